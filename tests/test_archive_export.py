"""Exports (jsonl, csv, actiance, globalrelay) and the proof commands, through the real CLI."""

from __future__ import annotations

import csv
import email
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from email import policy
from pathlib import Path

import pytest

from dlp_proxy.archive import open_archive
from dlp_proxy.archive.export import CSV_COLUMNS

SEED = bytes(range(32))
CONTENT_KEY = b"\x11" * 32
SSN = "123-45-6789"  # synthetic


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    keys = tmp_path / "data" / "keys"
    keys.mkdir(parents=True)
    (keys / "archive-signing.ed25519").write_bytes(SEED)
    (keys / "archive-content.key").write_bytes(CONTENT_KEY)
    (keys / "hash.key").write_bytes(b"\x22" * 32)
    e = {**os.environ, "DLP_DATA_DIR": str(tmp_path / "data")}
    a = open_archive(
        tmp_path / "data" / "archive", signing_key=SEED, content_key=CONTENT_KEY, hash_key=b"\x22" * 32
    )
    for i in range(12):
        ch = ("c-town", "town-square", "O") if i % 2 else ("c-dm", "u1__u2", "D")
        text = f"msg {i} <b>&amp; ssn {SSN}"
        a.append_sync(
            {
                "type": "decision",
                "time": 1_700_000_000 + i * 60,
                "request_id": f"req{i}",
                "route": "posts.create",
                "route_group": "posts",
                "method": "POST",
                "action": "block" if i % 3 else "quarantine",
                "rule_id": "npi-default",
                "policy_version": "pv1",
                "context": {
                    "user_id": f"u{i % 3}",
                    "username": f"user{i % 3}",
                    "channel_id": ch[0],
                    "channel_name": ch[1],
                    "channel_type": ch[2],
                    "team_id": "t1",
                    "team_name": "acme",
                },
                "findings": [
                    {
                        "path": "body.message",
                        "entity_type": "US_SSN",
                        "start": 15,
                        "end": 26,
                        "score": 0.95,
                        "recognizer": "UsSsnRecognizer",
                    }
                ],
                "entity_counts": {"US_SSN": 1},
                "content_hash": f"h{i}",
                "_content": [
                    {
                        "path": "body.message",
                        "text": text,
                        "findings": [
                            {"entity_type": "US_SSN", "start": text.index(SSN), "end": text.index(SSN) + 11}
                        ],
                    }
                ],
            }
        )
    a.append_sync(
        {
            "type": "review",
            "time": 1_700_000_000 + 13 * 60,
            "action": "approve",
            "context": {"user_id": "rev1", "username": "reviewer"},
        }
    )
    a.close_sync()
    return e


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dlp_proxy.cli", "archive", *args], env=env, capture_output=True, text=True
    )


def test_jsonl(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "x"
    r = cli(
        env,
        "export",
        "--format",
        "jsonl",
        "--out",
        str(out),
        "--since",
        "2023-11-14T22:15:20Z",
        "--until",
        "1700000600",
    )
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in (out / "decisions.jsonl").read_text().splitlines()]
    assert [x["request_id"] for x in rows] == [f"req{i}" for i in range(2, 10)]
    row = rows[0]
    for key in (
        "request_id",
        "time",
        "user_id",
        "channel_id",
        "team_id",
        "route",
        "action",
        "entity_types",
        "entity_counts",
        "scores",
        "policy_version",
        "content_hash",
        "record_id",
    ):
        assert key in row
    assert row["entity_counts"] == {"US_SSN": 1} and row["scores"] == {"US_SSN": 0.95}
    assert SSN not in (out / "decisions.jsonl").read_text()


def test_csv_columns(env: dict[str, str], tmp_path: Path) -> None:
    r = cli(env, "export", "--format", "csv", "--out", str(tmp_path / "c"))
    assert r.returncode == 0, r.stderr
    with open(tmp_path / "c" / "posts.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert list(CSV_COLUMNS[:18]) == [
        "Post Creation Time", "Team Id", "Team Name", "Team Display Name", "Channel Id", "Channel Name",
        "Channel Display Name", "Channel Type", "User Id", "User Email", "Username", "Post Id",
        "Edited By Post Id", "Replied to Post Id", "Post Message", "Post Type", "User Type", "Previews Post Id",
    ]  # fmt: skip
    assert len(rows) == 13
    assert rows[0]["Post Creation Time"] == "1700000000000" and rows[0]["DLP Action"] == "quarantine"
    assert rows[0]["Post Message"].startswith("[content encrypted in archive record")
    assert SSN not in (tmp_path / "c" / "posts.csv").read_text()
    # --decrypt is the explicit way to produce the stopped text
    r = cli(env, "export", "--format", "csv", "--decrypt", "--out", str(tmp_path / "d"))
    assert r.returncode == 0, r.stderr
    assert SSN in (tmp_path / "d" / "posts.csv").read_text()


def test_actiance_xml(env: dict[str, str], tmp_path: Path) -> None:
    r = cli(env, "export", "--format", "actiance", "--out", str(tmp_path / "a"))
    assert r.returncode == 0, r.stderr
    root = ET.parse(tmp_path / "a" / "actiance_export.xml").getroot()
    assert root.tag == "FileDump"
    convs = root.findall("Conversation")
    rooms = sorted(c.findtext("RoomID") for c in convs)
    assert "public - town-square - c-town" in rooms and "direct - u1__u2 - c-dm" in rooms
    conv = next(c for c in convs if c.findtext("RoomID") == "public - town-square - c-town")
    assert [child.tag for child in conv][:3] == ["RoomID", "StartTimeUTC", "ParticipantEntered"]
    assert conv[-1].tag == "EndTimeUTC"
    msgs = conv.findall("Message")
    assert len(msgs) == 6
    m = msgs[0]
    for tag in ("MessageId", "LoginName", "UserType", "DateTimeUTC", "Content", "PreviewsPost"):
        assert m.find(tag) is not None
    assert m.find("DLPDecision/action").text in ("block", "quarantine")
    assert m.find("DLPDecision/entities/entity").get("type") == "US_SSN"
    pe = conv.find("ParticipantEntered")
    assert pe.findtext("CorporateEmailID").endswith("@mattermost.invalid")


def test_globalrelay_eml(env: dict[str, str], tmp_path: Path) -> None:
    r = cli(env, "export", "--format", "globalrelay", "--decrypt", "--out", str(tmp_path / "g"))
    assert r.returncode == 0, r.stderr
    files = sorted((tmp_path / "g").glob("*.eml"))
    assert len(files) == 3  # two channels + the reviewer action without a channel
    msg = email.message_from_bytes(
        (tmp_path / "g" / "globalrelay-c-town.eml").read_bytes(), policy=policy.default
    )
    assert msg["Subject"] == "Mattermost Compliance Export: town-square"
    assert msg["X-GlobalRelay-MsgType"] == "Mattermost"
    assert msg["Auto-Submitted"] == "auto-generated" and msg["Precedence"] == "bulk"
    assert msg["X-Mattermost-ChannelID"] == "c-town" and msg["X-Mattermost-ChannelType"] == "public"
    assert msg["Date"] and "@" in msg["From"]
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert SSN in plain and "[DLP " in plain
    assert "&lt;b&gt;&amp;amp;" in html  # escaped


def test_prove_check_proof_and_consistency(env: dict[str, str], tmp_path: Path) -> None:
    line = (Path(env["DLP_DATA_DIR"]) / "archive").glob("log-w0-*.jsonl")
    rec_id = None
    for p in line:
        for raw in p.read_text().splitlines():
            o = json.loads(raw)
            if "rec" in o and o["rec"]["seq"] == 5:
                rec_id = o["rec"]["record_id"]
    assert rec_id
    proof_file = tmp_path / "proof.json"
    r = cli(env, "prove", rec_id, "--out", str(proof_file))
    assert r.returncode == 0, r.stderr
    pub = tmp_path / "pub.hex"
    assert cli(env, "public-key", "--out", str(pub)).returncode == 0
    # offline: no data dir, only the public key file
    offline = {k: v for k, v in env.items() if k != "DLP_DATA_DIR"}
    offline["DLP_DATA_DIR"] = str(tmp_path / "empty")
    ok = cli(offline, "check-proof", str(proof_file), "--public-key", str(pub))
    assert ok.returncode == 0 and "proof OK" in ok.stdout, ok.stdout + ok.stderr
    proof = json.loads(proof_file.read_text())
    corruptions = [
        lambda p: p["record"].__setitem__("action", "allow"),
        lambda p: p["path"].__setitem__(0, "00" * 32),
        lambda p: p.__setitem__("path", p["path"][:-1]),
        lambda p: p.__setitem__("leaf_index", 4),
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
    cfile = tmp_path / "cons.json"
    cfile.write_text(c.stdout[: c.stdout.rindex("}") + 1])
    assert cli(offline, "check-proof", str(cfile), "--public-key", str(pub)).returncode == 0
    r = cli(env, "consistency", "--from", "3", "--to", "9")
    assert r.returncode == 0 and "size 9" in r.stdout and "size 3" in r.stdout
    assert cli(env, "prove", "no-such-record").returncode == 1
