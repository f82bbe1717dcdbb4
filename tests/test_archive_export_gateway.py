"""End to end: posts and a file a real gateway stopped, exported for the vendor with Mattermost's identities."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import httpx
import pytest

from dlp_proxy.policy.testing import SSN
from tests.conftest import Simulator, start_gateway, stop


def test_stopped_traffic_exports_with_real_identities(simulator: Simulator, tmp_path: Path) -> None:
    # the gateway starts with a scheduled export configured (the slot itself is tested under an injected clock)
    gw = start_gateway(simulator, tmp_path / "gw", env={
        "DLP_EXPORT_SCHEDULE": "daily@02:00", "DLP_EXPORT_DIR": str(tmp_path / "scheduled"),
        "DLP_EXPORT_TOKEN": simulator.token("dlp-bot")})
    try:
        town, dm = simulator.channel("town_square"), simulator.channel("dm_alice_bob")
        with gw.client("alice") as c:
            assert c.post("/api/v4/posts", json={"channel_id": town, "message": f"client SSN {SSN}"}).status_code == 403
            assert c.post("/api/v4/posts", json={"channel_id": dm, "message": f"bob, use {SSN}"}).status_code == 403
        r = httpx.post(f"{gw.url}/api/v4/files", headers={"Authorization": f"Bearer {simulator.token('bob')}"},
                       data={"channel_id": town}, files={"files": ("client.txt", f"SSN {SSN}".encode(), "text/plain")},
                       timeout=60)
        assert r.status_code == 403
        env = {**os.environ, "DLP_DATA_DIR": str(gw.data_dir), "DLP_UPSTREAM": simulator.url,
               "DLP_EXPORT_TOKEN": simulator.token("dlp-bot")}
        out = tmp_path / "out"
        r2 = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "archive", "export", "--format", "actiance",
                             "--decrypt", "--out", str(out)], env=env, capture_output=True, text=True, timeout=120)
        assert r2.returncode == 0, r2.stdout + r2.stderr
    finally:
        stop(gw.proc)
    (zpath,) = out.glob("*.zip")
    with zipfile.ZipFile(zpath) as zf:
        root = ET.fromstring(zf.read("actiance_export.xml"))
        names = zf.namelist()
    for tag in ("LoginName", "CorporateEmailID"):
        values = {e.text for e in root.iter(tag)}
        assert values == {"alice@acme.example", "bob@acme.example", "dlp-bot@acme.example"}, (tag, values)
    convs = {c.get("Perspective"): c for c in root.findall("Conversation")}
    assert "Town Square" in convs
    town_msgs = convs["Town Square"].findall("Message")
    assert [m.findtext("LoginName") for m in town_msgs] == [
        "alice@acme.example", "dlp-bot@acme.example", "bob@acme.example", "dlp-bot@acme.example"]
    assert SSN in (town_msgs[0].findtext("Content") or "")
    assert "blocked by the DLP gateway" in (town_msgs[1].findtext("Content") or "")
    upload = convs["Town Square"].find("FileTransferStarted")
    assert upload is not None and upload.findtext("UserFileName") == "client.txt"
    assert upload.findtext("FileName") in names
    dm_conv = next(c for c in root.findall("Conversation") if (c.findtext("RoomID") or "").startswith("direct - "))
    assert {e.findtext("LoginName") for e in dm_conv.findall("ParticipantEntered")} >= {
        "alice@acme.example", "bob@acme.example"}


def test_a_bad_schedule_stops_the_start_up(simulator: Simulator, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="DLP_EXPORT_SCHEDULE"):
        start_gateway(simulator, tmp_path / "gw", env={"DLP_EXPORT_SCHEDULE": "weekly@mon"})
