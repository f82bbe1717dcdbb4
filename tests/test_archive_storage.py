"""Second copies: a local replica directory and S3 Object Lock against a real local moto server."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from dlp_proxy.archive import open_archive, verify_archive
from dlp_proxy.archive.format import list_segments, public_key_bytes
from dlp_proxy.archive.storage import LocalReplica, S3ObjectLock
from tests.ports import free_port

SEED = bytes(range(32))
KEYS = {"signing_key": SEED, "content_key": b"\x11" * 32, "hash_key": b"\x22" * 32}
PUB = public_key_bytes(SEED)
MOTO = Path(sys.executable).parent / "moto_server"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    if not MOTO.exists():
        pytest.fail(f"{MOTO} missing: install moto[server] (a test dependency)")
    port = free_port()
    proc = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def s3(s3_endpoint: str) -> object:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def fill(d: Path, replicas: list, n: int = 80) -> None:
    a = open_archive(d, max_segment_bytes=3000, replicas=replicas, ship_checkpoint_seconds=0.0, **KEYS)
    for i in range(n):
        a.append_sync({"type": "decision", "i": i, "pad": "p" * 80})
    a.close_sync()


def test_s3_object_lock_backend(tmp_path: Path, s3) -> None:
    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    backend = S3ObjectLock("locked", client=s3, retention_days=30, legal_hold=True)
    backend.check_bucket()
    d = tmp_path / "a"
    fill(d, [backend])
    sealed = [p.name for _, p in list_segments(d)["w0"][:-1]]
    assert sealed and sorted(backend.segment_names()) == sorted(sealed)
    for name in sealed:
        assert backend.get_segment(name) == (d / name).read_bytes()
    key = f"dlp-archive/segments/{sealed[0]}"
    # (moto answers GetObjectRetention with a 500; HeadObject carries the same lock fields)
    head = s3.head_object(Bucket="locked", Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    # A locked version cannot be deleted, not even with governance bypass.
    version = s3.head_object(Bucket="locked", Key=key)["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket="locked", Key=key, VersionId=version, BypassGovernanceRetention=True)
    assert exc.value.response["Error"]["Code"] in ("AccessDenied", "InvalidRequest")
    assert (
        s3.get_object(Bucket="locked", Key=key, VersionId=version)["Body"].read()
        == (d / sealed[0]).read_bytes()
    )
    # COMPLIANCE retention alone (no legal hold) refuses the delete too.
    plain = S3ObjectLock("locked", client=s3, prefix="nohold/", retention_days=1, legal_hold=False)
    plain.put_segment("w0", 1, d / sealed[0])
    v2 = s3.head_object(Bucket="locked", Key=f"nohold/segments/{sealed[0]}")["VersionId"]
    with pytest.raises(ClientError):
        s3.delete_object(
            Bucket="locked", Key=f"nohold/segments/{sealed[0]}", VersionId=v2, BypassGovernanceRetention=True
        )
    # Its checkpoints are anchors: verify passes, and fails once the local tail is cut off.
    anchors = list(backend.checkpoints())
    assert anchors and verify_archive(d, PUB, anchors=anchors).ok
    last = list_segments(d)["w0"][-1][1]
    lines = last.read_bytes().splitlines(keepends=True)
    last.write_bytes(b"".join(lines[:3]))
    assert not verify_archive(d, PUB, anchors=anchors).ok


def test_s3_bucket_without_object_lock_is_refused(s3) -> None:
    s3.create_bucket(Bucket="plain")
    with pytest.raises(Exception):
        S3ObjectLock("plain", client=s3).check_bucket()


def test_local_replica_and_cli_cross_check(tmp_path: Path) -> None:
    rep = LocalReplica(tmp_path / "replica")
    d = tmp_path / "data" / "archive"
    fill(d, [rep])
    copies = list(rep.segment_copies())
    assert copies and all(p.stat().st_mode & 0o777 == 0o444 for p in copies)
    (tmp_path / "data" / "keys").mkdir()
    (tmp_path / "data" / "keys" / "archive-signing.ed25519").write_bytes(SEED)
    env = {**os.environ, "DLP_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, "-m", "dlp_proxy.cli", "archive", "verify", "--replica", str(tmp_path / "replica")]
    assert subprocess.run(cmd, env=env, capture_output=True).returncode == 0
    # delete the local copy of a sealed segment *and* everything after it: only the replica knows
    segs = list_segments(d)["w0"]
    for _, p in segs[1:]:
        p.unlink()
    os.chmod(segs[0][1], 0o644)
    lines = segs[0][1].read_bytes().splitlines(keepends=True)
    segs[0][1].write_bytes(b"".join(lines[:-1]))  # drop the seal too
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert out.returncode == 1, out.stdout
    assert "deleted" in out.stdout
