"""Export delivery (a real SMTP server with STARTTLS + AUTH, S3 on moto) and incremental runs with crashes."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dlp_proxy.archive import iter_records, open_archive
from dlp_proxy.archive.export import job
from dlp_proxy.archive.export.delivery import DirectoryDestination
from dlp_proxy.archive.export.identity import MattermostIdentities
from tests.conftest import Simulator, free_port, wait_port
from tests.test_archive_export import CONTENT_KEY, HASH_KEY, SEED, SSN, cli, decision, write
from tests.test_archive_export import env as env  # noqa: F401 - fixture
from tests.test_archive_export import sim as sim  # noqa: F401 - fixture
from tests.test_archive_storage import s3_endpoint as s3_endpoint  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parent.parent


def self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    c, k = tmp / "smtp.crt", tmp / "smtp.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return c, k


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[int, Path, Path]]:
    cert, key = self_signed(tmp_path)
    out = tmp_path / "mailbox"
    out.mkdir()
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "smtp_server.py"), str(port), str(cert), str(key),
                             str(out), "archiver", "s3cret"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_port(port, proc)
    yield port, cert, out
    proc.terminate()
    proc.wait(10)


def test_globalrelay_over_smtp_with_starttls_and_auth(env: dict[str, str], tmp_path: Path,  # noqa: F811
                                                      smtp: tuple[int, Path, Path]) -> None:
    port, cert, mailbox = smtp
    args = ["export", "--format", "globalrelay", "--smtp-host", "127.0.0.1", "--smtp-port", str(port),
            "--smtp-to", "ingest@globalrelay.example", "--smtp-user", "archiver", "--smtp-cafile", str(cert)]
    bad = cli({**env, "DLP_EXPORT_SMTP_PASSWORD": "wrong"}, *args)
    assert bad.returncode == 1 and "SMTPAuthenticationError" in bad.stderr
    assert not list(mailbox.glob("*.eml"))
    r = cli({**env, "DLP_EXPORT_SMTP_PASSWORD": "s3cret"}, *args, "--incremental")
    assert r.returncode == 0, r.stdout + r.stderr
    metas = [json.loads(p.read_text()) for p in sorted(mailbox.glob("*.json"))]
    emls = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(mailbox.glob("*.eml"))]
    assert len(emls) == 3  # town square, the DM, trading desk
    for meta, msg in zip(metas, emls, strict=True):
        assert meta["tls"] and meta["login"] == "archiver"
        assert meta["rcpt_tos"] == ["ingest@globalrelay.example"]
        assert meta["mail_from"] == msg["From"] and meta["mail_from"].endswith("@acme.example")
        assert msg["X-GlobalRelay-MsgType"] == "Mattermost" and msg["Message-ID"]
    assert all(SSN not in m.get_body(("plain",)).get_content() for m in emls)  # no key: withheld
    # the run is in the chain of custody, and the next run has nothing new
    runs = [x for x in iter_records(Path(env["DLP_DATA_DIR"]) / "archive") if x.get("type") == "export"]
    assert len(runs) == 1 and runs[0]["destination"].startswith("smtp://127.0.0.1")
    again = cli({**env, "DLP_EXPORT_SMTP_PASSWORD": "s3cret"}, *args, "--incremental")
    assert again.returncode == 0 and "nothing new" in again.stdout
    assert len(list(mailbox.glob("*.eml"))) == 3
    # plain SMTP with a password is refused before anything is sent
    plain = cli({**env, "DLP_EXPORT_SMTP_PASSWORD": "s3cret"}, *args, "--smtp-plain")
    assert plain.returncode == 1 and "without STARTTLS" in plain.stderr


def test_s3_destination_matches_the_directory_export(env: dict[str, str], tmp_path: Path,  # noqa: F811
                                                     s3_endpoint: str) -> None:  # noqa: F811
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_bucket(Bucket="exports")
    r = cli({**env, **creds}, "export", "--format", "actiance", "--decrypt", "--no-record", "--s3-bucket", "exports",
            "--s3-endpoint-url", s3_endpoint, "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    obj = client.get_object(Bucket="exports", Key="dlp-exports/" + summary["name"])
    body = obj["Body"].read()
    assert hashlib.sha256(body).hexdigest() == summary["sha256"] == obj["Metadata"]["sha256"]
    local = cli(env, "export", "--format", "actiance", "--decrypt", "--no-record", "--out", str(tmp_path / "d"))
    assert local.returncode == 0
    assert (tmp_path / "d" / summary["name"]).read_bytes() == body


def _jsonl_ids(path: Path) -> list[str]:
    return [json.loads(line)["record_id"] for line in path.read_text().splitlines()]


def test_incremental_cli_exports_only_new_records(env: dict[str, str], tmp_path: Path,  # noqa: F811
                                                  sim: Simulator) -> None:  # noqa: F811
    out = tmp_path / "inc"
    first = cli(env, "export", "--format", "jsonl", "--incremental", "--out", str(out), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["records"] == 7
    second = cli(env, "export", "--format", "jsonl", "--incremental", "--out", str(out), "--json")
    assert json.loads(second.stdout)["exported"] is False
    write(Path(env["DLP_DATA_DIR"]), [decision(sim, 10, "bob", "town_square"), decision(sim, 11, "sam", "group")])
    third = cli(env, "export", "--format", "jsonl", "--incremental", "--out", str(out), "--json")
    s3 = json.loads(third.stdout)
    assert s3["records"] == 2 and s3["name"].startswith("batch002-")
    assert [json.loads(x)["request_id"] for x in (out / s3["name"]).read_text().splitlines()] == ["req10", "req11"]
    # the export runs' own records are the custody trail, not exported again
    assert len([x for x in iter_records(Path(env["DLP_DATA_DIR"]) / "archive") if x.get("type") == "export"]) == 2


class Crash(Exception):
    pass


def test_a_crash_anywhere_loses_and_duplicates_nothing(env: dict[str, str], tmp_path: Path,  # noqa: F811
                                                      sim: Simulator, monkeypatch: pytest.MonkeyPatch  # noqa: F811
                                                      ) -> None:
    data = Path(env["DLP_DATA_DIR"])
    ids = MattermostIdentities(sim.url, sim.token("dlp-bot"))
    out = tmp_path / "out"
    state = tmp_path / "state.json"
    exporter = open_archive(data / "archive", worker_id="export", signing_key=SEED, content_key=CONTENT_KEY,
                            hash_key=HASH_KEY)

    def run(**kw: Any) -> job.RunResult:
        return job.run_export(iter_records(data / "archive", content_key=CONTENT_KEY, decrypt=True), "actiance",
                              ids, DirectoryDestination(out), state_file=state, append=exporter.append_sync,
                              existing_exports=lambda: iter_records(data / "archive"), clear=True, **kw)

    class Torn(DirectoryDestination):
        def deliver(self, name: str, data: bytes, emails: Any) -> None:
            (self.path / f".{name}.tmp-1").parent.mkdir(parents=True, exist_ok=True)
            (self.path / f".{name}.tmp-1").write_bytes(data[: len(data) // 2])  # died while writing
            raise Crash

    # 1. crash while delivering: nothing delivered, marks unchanged
    with pytest.raises(Crash):
        job.run_export(iter_records(data / "archive"), "actiance", ids, Torn(out), state_file=state,
                       append=exporter.append_sync)
    assert not list(out.glob("*.zip")) and job.load_state(state)["marks"] == {}
    # 2. crash after delivering, before the export record and the marks
    with pytest.raises(Crash):
        run(after_deliver=lambda: (_ for _ in ()).throw(Crash()))
    delivered = sorted(out.glob("*.zip"))
    assert len(delivered) == 1
    first_bytes = delivered[0].read_bytes()
    # 3. the rerun delivers the same batch to the same name, byte for byte; crash after its export record
    real_save = job.save_state
    calls: list[int] = []

    def save_then_crash(path: Path, st: Any) -> None:
        calls.append(1)
        if len(calls) == 2:  # the final save (marks advanced)
            raise Crash
        real_save(path, st)

    monkeypatch.setattr(job, "save_state", save_then_crash)
    with pytest.raises(Crash):
        run()
    monkeypatch.setattr(job, "save_state", real_save)
    assert sorted(out.glob("*.zip")) == delivered and delivered[0].read_bytes() == first_bytes
    # 4. the next run recognises the pending batch: same file, no second export record
    res = run()
    assert res.redelivered and res.record_id is None
    assert sorted(out.glob("*.zip")) == delivered and delivered[0].read_bytes() == first_bytes
    runs = [x for x in iter_records(data / "archive") if x.get("type") == "export"]
    assert len(runs) == 1 and runs[0]["sha256"] == hashlib.sha256(first_bytes).hexdigest()
    # 5. then nothing is new; a new record comes in the next batch, alone
    assert run().artifact is None
    write(data, [decision(sim, 20, "bob", "town_square")])
    res = run()
    assert res.artifact is not None and res.artifact.name.startswith("batch002-")
    exporter.close_sync()
    ids.close()
    seen: list[str] = []
    for z in sorted(out.glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            root = zf.read("actiance_export.xml").decode()
        seen += [line.split(">")[1].split("<")[0] for line in root.splitlines()
                 if "<MessageId>" in line and "-dlp<" not in line]
    stopped = [r["record_id"] for r in iter_records(data / "archive")
               if r.get("type") == "decision" and r.get("action") != "allow"]
    assert sorted(seen) == sorted(stopped)  # each stopped post exactly once across the batches
    assert os.path.exists(state) and job.load_state(state)["pending"] is None


def test_exporter_killed_mid_delivery_loses_nothing(env: dict[str, str], tmp_path: Path,  # noqa: F811
                                                    smtp: tuple[int, Path, Path]) -> None:
    """kill -9 of a real exporter process while the SMTP server holds its first message."""
    import signal
    import time

    port, cert, mailbox = smtp
    run_env = {**env, "DLP_EXPORT_SMTP_PASSWORD": "s3cret"}
    args = [sys.executable, "-m", "dlp_proxy.cli", "archive", "export", "--format", "globalrelay", "--incremental",
            "--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-to", "ingest@globalrelay.example",
            "--smtp-user", "archiver", "--smtp-cafile", str(cert)]
    (mailbox / "hold").write_text("")
    proc = subprocess.Popen(args, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (mailbox / "0000.json").exists():  # the first EML is in the server, its reply held
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    (mailbox / "hold").unlink()
    archive = Path(env["DLP_DATA_DIR"]) / "archive"
    assert not [r for r in iter_records(archive) if r.get("type") == "export"]  # not recorded: not done
    again = subprocess.run(args, env=run_env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    ids = [email.message_from_bytes(p.read_bytes(), policy=policy.default)["Message-ID"]
           for p in sorted(mailbox.glob("*.eml"))]
    assert len(set(ids)) == 3  # every conversation delivered ...
    assert len(ids) == 4 and ids[0] in ids[1:]  # ... the interrupted one again, with the same Message-ID
    runs = [r for r in iter_records(archive) if r.get("type") == "export"]
    assert len(runs) == 1 and runs[0]["records"] == 7
    last = subprocess.run(args, env=run_env, capture_output=True, text=True, timeout=120)
    assert "nothing new" in last.stdout and len(list(mailbox.glob("*.eml"))) == 4


def test_a_batch_without_stopped_posts_sends_nothing_and_moves_on(tmp_path: Path,
                                                                  smtp: tuple[int, Path, Path]) -> None:
    from dlp_proxy.archive.export.delivery import SmtpDestination
    from dlp_proxy.archive.export.identity import StaticIdentities

    port, cert, mailbox = smtp
    a = open_archive(tmp_path / "archive", signing_key=SEED, content_key=CONTENT_KEY, hash_key=HASH_KEY)
    a.append_sync({"type": "decision", "time": 1_700_000_000, "action": "allow", "route": "posts.create"})
    dest = SmtpDestination("127.0.0.1", port, "ingest@globalrelay.example", username="archiver", password="s3cret",
                           cafile=str(cert))
    state = tmp_path / "state.json"
    res = job.run_export(iter_records(tmp_path / "archive"), "globalrelay", StaticIdentities({}), dest,
                         state_file=state, append=a.append_sync)
    assert res.artifact is not None and res.artifact.records == 1 and res.artifact.emails == {}
    with zipfile.ZipFile(__import__("io").BytesIO(res.artifact.data)) as zf:
        assert zf.namelist() == ["dlp-manifest.json"]
    assert not list(mailbox.glob("*.eml")) and job.load_state(state)["marks"] == {"w0": 0}
    a.close_sync()
