"""Exports (actiance, globalrelay, csv, jsonl) through the real CLI, identities from the simulator; proofs."""

from __future__ import annotations

import csv
import email
import hashlib
import io
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest

from dlp_proxy.archive import iter_records, open_archive
from dlp_proxy.archive.export import CSV_COLUMNS
from dlp_proxy.policy.testing import SSN as SSN_VALID
from tests.conftest import Simulator, start_simulator, stop

SEED = bytes(range(32))
CONTENT_KEY = b"\x11" * 32
HASH_KEY = b"\x22" * 32
SSN = SSN_VALID
T0 = 1_700_000_000
#: every element Mattermost's Actiance exporter writes (actiance_export.go); nothing else may appear
ACTIANCE_TAGS = {
    "FileDump", "Conversation", "RoomID", "StartTimeUTC", "ParticipantEntered", "ParticipantLeft", "LoginName",
    "UserType", "DateTimeUTC", "CorporateEmailID", "Message", "MessageId", "UpdatedType", "UpdatedDateTimeUTC",
    "EditedNewMsgId", "Content", "PreviewsPost", "FileTransferStarted", "FileTransferEnded", "UserFileName",
    "FileName", "Status", "EndTimeUTC",
}  # fmt: skip


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    s = start_simulator()
    yield s
    stop(s.proc)


def decision(sim: Simulator, i: int, user: str, channel: str, *, action: str = "block", file: bool = False,
             ) -> dict[str, Any]:
    text = f"msg {i} <b>&amp; ssn {SSN}"
    content: list[dict[str, Any]] = [{"path": "body.message", "text": text, "findings": [
        {"entity_type": "US_SSN", "start": text.index(SSN), "end": text.index(SSN) + len(SSN)}]}]
    if file:
        content += [
            {"path": "file[0].name", "text": "statement.pdf", "findings": []},
            {"path": "file[0]:page1", "text": f"Account holder SSN {SSN}", "findings": [
                {"entity_type": "US_SSN", "start": 19, "end": 19 + len(SSN)}]},
        ]
    ch = sim.ids["channels"][channel]
    return {
        "type": "decision", "time": T0 + i * 60, "request_id": f"req{i}", "route": "posts.create",
        "route_group": "posts", "method": "POST", "action": action, "rule_id": "npi-default", "policy_version": "pv1",
        "reason": "customer NPI in a chat message",
        "context": {"user_id": sim.ids["users"][user], "username": user, "channel_id": ch,
                    "channel_name": "stale-name", "channel_type": "O"},
        "findings": [{"path": "body.message", "entity_type": "US_SSN", "start": 15, "end": 26, "score": 0.95,
                      "recognizer": "UsSsnRecognizer"}],
        "entity_counts": {"US_SSN": 1}, "content_hash": f"h{i}", "_content": content,
    }


def write(data: Path, records: list[dict[str, Any]]) -> None:
    a = open_archive(data / "archive", signing_key=SEED, content_key=CONTENT_KEY, hash_key=HASH_KEY)
    for r in records:
        a.append_sync(r)
    a.close_sync()


@pytest.fixture
def env(tmp_path: Path, sim: Simulator) -> dict[str, str]:
    keys = tmp_path / "data" / "keys"
    keys.mkdir(parents=True)
    (keys / "archive-signing.ed25519").write_bytes(SEED)
    (keys / "archive-content.key").write_bytes(CONTENT_KEY)
    (keys / "hash.key").write_bytes(HASH_KEY)
    recs = [
        decision(sim, 0, "alice", "town_square", action="quarantine"),
        decision(sim, 1, "alice", "dm_alice_bob", file=True),
        decision(sim, 2, "bob", "town_square", action="redact"),
        decision(sim, 3, "dlp-bot", "private"),
        {**decision(sim, 4, "carol", "town_square"), "action": "allow"},  # reached Mattermost: not a stopped post
        {"type": "review", "time": T0 + 5 * 60, "action": "comment",
         "context": {"user_id": sim.ids["users"]["carol"], "username": "carol"}},
        # a reviewer released the quarantined post 0 (quarantine/service.py's review record)
        {"type": "review", "time": T0 + 6 * 60, "action": "released", "channel_id": sim.ids["channels"]["town_square"],
         "actor": {"name": "sam", "user_id": sim.ids["users"]["sam"], "roles": ["approver"], "via": "console"},
         "quarantine_record_id": "q-record-0", "post_id": "p" * 26, "reason": "customer consented in writing"},
    ]
    write(tmp_path / "data", recs)
    return {**os.environ, "DLP_DATA_DIR": str(tmp_path / "data"), "DLP_UPSTREAM": sim.url,
            "DLP_EXPORT_TOKEN": sim.token("dlp-bot")}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "archive", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def export(env: dict[str, str], out: Path, fmt: str, *extra: str) -> Path:
    r = cli(env, "export", "--format", fmt, "--out", str(out), *extra)
    assert r.returncode == 0, r.stdout + r.stderr
    files = sorted(p for p in out.iterdir() if not p.name.startswith("."))
    assert len(files) == 1, files
    return files[0]


def test_actiance_zip_with_real_identities_files_and_manifest(env: dict[str, str], tmp_path: Path,
                                                              sim: Simulator) -> None:
    path = export(env, tmp_path / "a", "actiance", "--decrypt")
    assert path.name == f"batch001-{T0 * 1000}-{(T0 + 360) * 1000}.zip"  # shared.GetBatchPath
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert names[0] == "actiance_export.xml" and names[-1] == "dlp-manifest.json"
        entries = {n: zf.read(n) for n in names}
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
    manifest = json.loads(entries["dlp-manifest.json"])
    for name, data in entries.items():
        if name != "dlp-manifest.json":
            assert manifest["entries"][name] == hashlib.sha256(data).hexdigest()
    assert manifest["stopped_posts"] == 4 and manifest["content"] == "clear"
    xml = entries["actiance_export.xml"]
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<FileDump '
                          b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">')
    root = ET.fromstring(xml)
    assert {e.tag for e in root.iter()} <= ACTIANCE_TAGS
    convs = {c.findtext("RoomID"): c for c in root.findall("Conversation")}
    town = convs[f"public - town-square - {sim.ids['channels']['town_square']}"]
    assert town.get("Perspective") == "Town Square"  # the display name, resolved from Mattermost
    assert [c.tag for c in town][:2] == ["RoomID", "StartTimeUTC"] and town[-1].tag == "EndTimeUTC"
    assert town.findtext("StartTimeUTC") == str(T0 * 1000) and town.findtext("EndTimeUTC") == str((T0 + 360) * 1000)
    # real emails in every identity field
    for tag in ("LoginName", "CorporateEmailID"):
        values = [e.text or "" for e in root.iter(tag)]
        assert values and all(v.endswith("@acme.example") for v in values), values
    msgs = town.findall("Message")
    assert msgs[0].findtext("LoginName") == "alice@acme.example"
    assert msgs[0].findtext("DateTimeUTC") == str(T0 * 1000)  # milliseconds
    assert SSN in (msgs[0].findtext("Content") or "")
    notice = msgs[1]
    assert notice.findtext("LoginName") == "dlp-bot@acme.example" and notice.findtext("UserType") == "bot"
    assert "quarantined" in (notice.findtext("Content") or "") and "US_SSN x1" in (notice.findtext("Content") or "")
    assert "redacted" in (msgs[3].findtext("Content") or "")
    released = msgs[4].findtext("Content") or ""  # the reviewer's release, in the same conversation
    assert msgs[4].findtext("LoginName") == "dlp-bot@acme.example"
    assert "released to Mattermost by sam@acme.example" in released and "customer consented" in released
    bot_conv = convs[f"private - trading-desk - {sim.ids['channels']['private']}"]
    assert bot_conv.find("Message/UserType").text == "bot"  # type: ignore[union-attr]
    dm = next(c for k, c in convs.items() if k.startswith("direct - "))
    entered = sorted(e.findtext("LoginName") or "" for e in dm.findall("ParticipantEntered"))
    assert entered == ["alice@acme.example", "bob@acme.example", "dlp-bot@acme.example"]
    assert [c.tag for c in dm if c.tag not in ("ParticipantEntered", "ParticipantLeft")][2:5] == [
        "Message", "FileTransferStarted", "FileTransferEnded"]
    fname = dm.findtext("FileTransferStarted/FileName") or ""
    assert dm.findtext("FileTransferStarted/UserFileName") == "statement.pdf"
    assert SSN.encode() in entries[fname]  # the file's archived text, at its path, in clear with the key
    # the allowed post and the review comment are not conversation messages
    assert sum(len(c.findall("Message")) for c in root.findall("Conversation")) == 9


def test_actiance_without_key_withholds_content(env: dict[str, str], tmp_path: Path) -> None:
    path = export(env, tmp_path / "a", "actiance")
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        blob = b"".join(zf.read(n) for n in zf.namelist())
        root = ET.fromstring(zf.read("actiance_export.xml"))
        assert zf.read("warning.txt").startswith(b"Warning:Content withheld by the DLP gateway (no content key) - ")
    assert SSN.encode() not in data and SSN.encode() not in blob
    contents = [m.findtext("Content") or "" for m in root.iter("Message")]
    assert sum(c.startswith("[Content withheld by the DLP gateway") for c in contents) == 4
    assert sum("Content withheld: the archive holds it encrypted" in c for c in contents) == 4
    assert b"customer consented" not in blob and sum("Reason: withheld" in c for c in contents) == 1


def test_export_is_reproducible_byte_for_byte(env: dict[str, str], tmp_path: Path) -> None:
    one = export(env, tmp_path / "1", "actiance", "--decrypt", "--no-record")
    two = export(env, tmp_path / "2", "actiance", "--decrypt", "--no-record")
    assert one.read_bytes() == two.read_bytes()
    # later, with Mattermost gone: the identity snapshot in the manifest reproduces it
    offline = {**env, "DLP_UPSTREAM": "http://127.0.0.1:9", "DLP_EXPORT_TOKEN": ""}
    three = export(offline, tmp_path / "3", "actiance", "--decrypt", "--no-record", "--identities", str(one))
    assert three.read_bytes() == one.read_bytes()
    # and without either, the export refuses rather than invent addresses
    r = cli(offline, "export", "--format", "actiance", "--out", str(tmp_path / "4"))
    assert r.returncode == 2 and "DLP_EXPORT_TOKEN" in r.stderr
    r = cli({**offline, "DLP_EXPORT_TOKEN": "t"}, "export", "--format", "actiance", "--out", str(tmp_path / "4"))
    assert r.returncode == 1 and "unreachable" in r.stderr
    assert not list((tmp_path / "4").glob("*.zip"))


def test_every_run_is_an_archive_record(env: dict[str, str], tmp_path: Path) -> None:
    path = export(env, tmp_path / "a", "actiance")
    data_dir = Path(env["DLP_DATA_DIR"])
    runs = [r for r in iter_records(data_dir / "archive") if r.get("type") == "export"]
    assert len(runs) == 1
    run = runs[0]
    assert run["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and run["bytes"] == path.stat().st_size
    assert run["records"] == 7 and run["format"] == "actiance" and run["name"] == path.name
    assert run["archive_worker"] == "export"
    v = cli(env, "verify")
    assert v.returncode == 0, v.stdout + v.stderr


def test_csv_columns_identities_and_attachment_rows(env: dict[str, str], tmp_path: Path, sim: Simulator) -> None:
    path = export(env, tmp_path / "c", "csv", "--decrypt")
    with zipfile.ZipFile(path) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("posts.csv").decode())))
        names = zf.namelist()
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert list(CSV_COLUMNS[:18]) == [
        "Post Creation Time", "Team Id", "Team Name", "Team Display Name", "Channel Id", "Channel Name",
        "Channel Display Name", "Channel Type", "User Id", "User Email", "Username", "Post Id",
        "Edited By Post Id", "Replied to Post Id", "Post Message", "Post Type", "User Type", "Previews Post Id",
    ]  # fmt: skip
    first = rows[0]
    assert first["Post Creation Time"] == str(T0 * 1000) and first["Channel Type"] == "public"
    assert first["Channel Display Name"] == "Town Square" and first["Team Display Name"] == "Acme Securities"
    assert first["User Email"] == "alice@acme.example" and first["Post Type"] == "message"
    assert first["DLP Action"] == "quarantine" and SSN in first["Post Message"]
    att = [r for r in rows if r["Post Type"] == "attachment"]
    assert len(att) == 1 and att[0]["Post Message"].startswith("statement.pdf (files/")
    assert att[0]["Post Message"][len("statement.pdf ("):-1] in names
    assert [r["Post Type"] for r in rows].count("system_dlp_notice") == 4
    assert names[0] == "posts.csv" and names[-2:] == ["metadata.json", "dlp-manifest.json"]
    with zipfile.ZipFile(path) as zf:
        meta = json.loads(zf.read("metadata.json"))
    town = meta["Channels"][sim.ids["channels"]["town_square"]]
    assert town["RoomId"] == f"public - {sim.ids['channels']['town_square']}" and town["ChannelType"] == "O"
    assert meta["AttachmentsCount"] == 1 and meta["StartTime"] == T0 * 1000
    assert rows[-1]["DLP Record Type"] == "review" and len(rows) == 7 + 1 + 4  # records, 1 attachment, 4 notices


def test_globalrelay_eml(env: dict[str, str], tmp_path: Path, sim: Simulator) -> None:
    path = export(env, tmp_path / "g", "globalrelay", "--decrypt")
    with zipfile.ZipFile(path) as zf:
        emls = {n: zf.read(n) for n in zf.namelist() if n.endswith(".eml")}
    town_id = sim.ids["channels"]["town_square"]
    msg = email.message_from_bytes(emls[f"Town Square - ({town_id}) - 0.eml"], policy=policy.default)
    assert msg["Subject"] == "Mattermost Compliance Export: Town Square"
    assert msg["X-GlobalRelay-MsgType"] == "Mattermost" and msg["X-Mattermost-ChannelType"] == "public"
    assert msg["Auto-Submitted"] == "auto-generated" and msg["Precedence"] == "bulk"
    assert msg["X-Mattermost-ChannelID"] == town_id and msg["X-Mattermost-ChannelName"] == "Town Square"
    assert msg["From"] == "alice@acme.example"
    assert b"\nTo: alice@acme.example,bob@acme.example,dlp-bot@acme.example\n" in emls[
        f"Town Square - ({town_id}) - 0.eml"].replace(b"\r\n", b"\n")
    assert sorted(a.addr_spec for a in msg["To"].addresses) == ["alice@acme.example", "bob@acme.example", "dlp-bot@acme.example"]
    html = msg.get_body(("html",)).get_content()
    plain = msg.get_body(("plain",)).get_content()
    assert "<h1>Mattermost Compliance Export</h1>" in html and "&lt;b&gt;&amp;amp;" in html
    assert SSN in plain and "DLP notice" in plain
    dm = emls[f" - ({sim.ids['channels']['dm_alice_bob']}) - 0.eml"]  # a DM has no display name
    dmsg = email.message_from_bytes(dm, policy=policy.default)
    atts = list(dmsg.iter_attachments())
    assert [a.get_filename() for a in atts] == ["statement.pdf"] and SSN.encode() in atts[0].get_content()
    assert "Uploaded file statement.pdf" in dmsg.get_body(("plain",)).get_content()


def test_jsonl(env: dict[str, str], tmp_path: Path) -> None:
    r = cli(env, "export", "--format", "jsonl", "--out", str(tmp_path / "x"), "--since", "2023-11-14T22:14:20Z",
            "--until", str(T0 + 3 * 60), "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["records"] == 2
    rows = [json.loads(x) for x in (tmp_path / "x" / summary["name"]).read_text().splitlines()]
    assert [x["request_id"] for x in rows] == ["req1", "req2"]
    assert rows[0]["entity_counts"] == {"US_SSN": 1} and rows[0]["scores"] == {"US_SSN": 0.95}
    assert SSN not in (tmp_path / "x" / summary["name"]).read_text()


def test_prove_check_proof_and_consistency(env: dict[str, str], tmp_path: Path) -> None:
    rec_id = None
    for p in (Path(env["DLP_DATA_DIR"]) / "archive").glob("log-w0-*.jsonl"):
        for raw in p.read_text().splitlines():
            o = json.loads(raw)
            if "rec" in o and o["rec"]["seq"] == 3:
                rec_id = o["rec"]["record_id"]
    assert rec_id
    proof_file = tmp_path / "proof.json"
    r = cli(env, "prove", rec_id, "--out", str(proof_file))
    assert r.returncode == 0, r.stderr
    pub = tmp_path / "pub.hex"
    assert cli(env, "public-key", "--out", str(pub)).returncode == 0
    offline = {k: v for k, v in env.items() if k != "DLP_DATA_DIR"}
    offline["DLP_DATA_DIR"] = str(tmp_path / "empty")
    ok = cli(offline, "check-proof", str(proof_file), "--public-key", str(pub))
    assert ok.returncode == 0 and "proof OK" in ok.stdout, ok.stdout + ok.stderr
    proof = json.loads(proof_file.read_text())
    corruptions = [
        lambda p: p["record"].__setitem__("action", "allow"),
        lambda p: p["path"].__setitem__(0, "00" * 32),
        lambda p: p.__setitem__("path", p["path"][:-1]),
        lambda p: p.__setitem__("leaf_index", 2),
        lambda p: p["checkpoint"]["cp"].__setitem__("root", "11" * 32),
        lambda p: p["checkpoint"].__setitem__("sig", p["checkpoint"]["sig"][:-4] + "AAA="),
    ]
    for i, corrupt in enumerate(corruptions):
        bad = json.loads(json.dumps(proof))
        corrupt(bad)
        f = tmp_path / f"bad{i}.json"
        f.write_text(json.dumps(bad))
        r = cli(offline, "check-proof", str(f), "--public-key", str(pub))
        assert r.returncode == 1 and "INVALID" in r.stdout, (i, r.stdout)
    c = cli(env, "consistency", "--json")
    assert c.returncode == 0, c.stdout + c.stderr
    assert "extends the one of size 1" in c.stdout
    r = cli(env, "consistency", "--from", "2", "--to", "5")
    assert r.returncode == 0 and "size 5" in r.stdout and "size 2" in r.stdout
    assert cli(env, "prove", "no-such-record").returncode == 1


def test_group_message_participants_come_from_the_channel_members(env: dict[str, str], tmp_path: Path,
                                                                   sim: Simulator) -> None:
    write(Path(env["DLP_DATA_DIR"]), [decision(sim, 7, "carol", "group")])
    path = export(env, tmp_path / "a", "actiance", "--no-record")
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("actiance_export.xml"))
        manifest = json.loads(zf.read("dlp-manifest.json"))
    group = next(c for c in root.findall("Conversation") if (c.findtext("RoomID") or "").startswith("group - "))
    assert group.get("Perspective") == "alice, bob, carol"
    entered = sorted(e.findtext("LoginName") or "" for e in group.findall("ParticipantEntered"))
    assert entered == ["alice@acme.example", "bob@acme.example", "carol@acme.example", "dlp-bot@acme.example"]
    assert len(manifest["identities"]["members"][sim.ids["channels"]["group"]]) == 3
    offline = {**env, "DLP_UPSTREAM": "http://127.0.0.1:9"}
    again = export(offline, tmp_path / "b", "actiance", "--no-record", "--identities", str(path))
    assert again.read_bytes() == path.read_bytes()


def test_identity_cache_spares_mattermost_until_the_ttl(sim: Simulator) -> None:
    from dlp_proxy.archive.export.identity import IdentityCache, MattermostIdentities

    now = [1000.0]
    cache = IdentityCache(60, clock=lambda: now[0])
    alice, town = sim.ids["users"]["alice"], sim.ids["channels"]["town_square"]

    def lookups() -> int:
        return sum(1 for r in sim.requests() if r["path"] in (f"/api/v4/users/{alice}", f"/api/v4/channels/{town}"))

    sim.clear()
    # t=1000 the first run asks; t=1030 (within the TTL) the second does not; t=1061 the third asks again
    for at, expected in ((1000.0, 2), (1030.0, 2), (1061.0, 4)):
        now[0] = at
        ids = MattermostIdentities(sim.url, sim.token("dlp-bot"), cache=cache)
        assert ids.user(alice).email == "alice@acme.example" and ids.channel(town).display_name == "Town Square"
        assert set(ids.snapshot()["users"]) == {alice}  # each run's snapshot holds what it used
        ids.close()
        assert lookups() == expected


def test_a_stopped_webhook_post_is_exported_as_its_hooks_creator(env: dict[str, str], tmp_path: Path,
                                                                 sim: Simulator) -> None:
    rec = decision(sim, 8, "carol", "town_square")
    rec["context"] = {"hook_id": sim.ids["incoming_hook"]}  # /hooks/{id}: no token, no user, maybe no channel
    rec["route"], rec["route_group"] = "hooks.incoming", "webhooks"
    write(Path(env["DLP_DATA_DIR"]), [rec])
    path = export(env, tmp_path / "a", "actiance", "--no-record")
    with zipfile.ZipFile(path) as zf:
        root = ET.fromstring(zf.read("actiance_export.xml"))
        manifest = json.loads(zf.read("dlp-manifest.json"))
    town = next(c for c in root.findall("Conversation") if c.get("Perspective") == "Town Square")
    msgs = town.findall("Message")
    hooked = [i for i, m in enumerate(msgs) if "through incoming webhook" in (m.findtext("Content") or "")]
    assert len(hooked) == 1
    post = msgs[hooked[0] - 1]  # the post itself, then its notice
    assert post.findtext("LoginName") == "carol@acme.example" and post.findtext("UserType") == "user"
    assert manifest["identities"]["hooks"][sim.ids["incoming_hook"]]["user_id"] == sim.ids["users"]["carol"]


@pytest.mark.parametrize(("how", "result", "said"), [
    ("deleted", "ok", "then deleted it."),
    ("patched", "ok", "then replaced its text with the redacted text."),
    ("deleted", "403", "then deleted it but Mattermost refused the change: it may still be in Mattermost."),
])
def test_a_remediated_integration_answer_is_exported_with_what_the_gateway_did(
        env: dict[str, str], tmp_path: Path, sim: Simulator, how: str, result: str, said: str) -> None:
    # gateway/integrations.py: an integration's answer that Mattermost posted and the gateway then removed;
    # Mattermost's own export has it only as deleted or edited, so ours must carry it
    rec = {**decision(sim, 9, "carol", "town_square"), "action": "remediated", "policy_action": "block",
           "route": "actions.post", "remediation": how, "remediation_result": result}
    write(Path(env["DLP_DATA_DIR"]), [rec])
    path = export(env, tmp_path / "c", "csv", "--decrypt", "--no-record")
    with zipfile.ZipFile(path) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("posts.csv").decode())))
    post = [r for r in rows if r["DLP Action"] == "remediated" and r["Post Type"] == "message"]
    assert len(post) == 1 and SSN in post[0]["Post Message"] and post[0]["User Email"] == "carol@acme.example"
    notices = [r["Post Message"] for r in rows if r["Post Type"] == "system_dlp_notice"
               and "integration's answer (actions.post)" in r["Post Message"]]
    assert len(notices) == 1 and said in notices[0], notices


def test_a_post_deleted_for_its_link_preview_is_exported_as_such(
        env: dict[str, str], tmp_path: Path, sim: Simulator) -> None:
    # gateway/integrations.py PREVIEW_ROUTES: the post and the preview Mattermost fetched, deleted
    rec = {**decision(sim, 10, "carol", "town_square"), "action": "remediated", "policy_action": "block",
           "route": "posts.create.preview", "remediation": "deleted", "remediation_result": "ok"}
    write(Path(env["DLP_DATA_DIR"]), [rec])
    path = export(env, tmp_path / "c", "csv", "--decrypt", "--no-record")
    with zipfile.ZipFile(path) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("posts.csv").decode())))
    notices = [r["Post Message"] for r in rows if r["Post Type"] == "system_dlp_notice"
               and "link preview Mattermost fetched itself (posts.create.preview" in r["Post Message"]]
    assert len(notices) == 1 and "then deleted it." in notices[0] and "integration" not in notices[0], notices


def test_an_id_with_a_line_break_after_it_is_no_mattermost_id() -> None:
    """``^...$`` with ``match`` let an id followed by a line break through to the
    identity lookups; every id check is now ``MATTERMOST_ID.fullmatch``."""
    import httpx

    from dlp_proxy.archive.export.identity import (
        ChannelMeta,
        IdentityError,
        MattermostIdentities,
        dm_participants,
    )

    a, b = "a" * 26, "b" * 26
    assert dm_participants(ChannelMeta("c" * 26, f"{a}__{b}", "", "D", "")) == [a, b]
    assert dm_participants(ChannelMeta("c" * 26, f"{a}\n__{b}", "", "D", "")) == [b]
    asked: list[str] = []
    transport = httpx.MockTransport(lambda r: asked.append(r.url.path) or httpx.Response(404, json={}))
    ids = MattermostIdentities("http://mm.invalid", "t", transport=transport)
    with pytest.raises(IdentityError, match="not a Mattermost id"):
        ids._get("user", a + "\n")
    assert asked == []
