"""The quarantine through the running gateway: a direct message with an SSN is held
(durable, encrypted, in the gateway's own Redis), worked from the CLI, released to
Mattermost exactly once as its author, and every step is in the archive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, Gateway, Simulator, archive_records, free_port, start_gateway, stop


@pytest.fixture(scope="module")
def qgw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("qgw"))
    yield gw
    stop(gw.proc)


def _cli(gw: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DLP_DATA_DIR": str(gw.data_dir), "DLP_UPSTREAM": gw.sim.url,
           "DLP_NOTIFY_TOKEN": gw.sim.token("dlp-bot"), "DLP_BOT_TOKEN": gw.sim.token("dlp-bot")}
    env.pop("DLP_REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def _hold(gw: Gateway, text: str) -> dict:
    r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("dm_alice_bob"), "message": text,
                                                   "pending_post_id": os.urandom(8).hex()},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403, r.text
    assert r.json()["id"] == "api.dlp.quarantined.app_error"
    return dict(r.json())


def _posts_with(gw: Gateway, needle: str) -> list[dict]:
    return [p for p in gw.sim.posts() if needle in p.get("message", "") and p.get("type", "") == ""]


def test_hold_list_approve_releases_once_as_the_author(qgw: Gateway) -> None:
    text = "Wire for the client, SSN 536-22-8841, approve please"
    err = _hold(qgw, text)
    assert _posts_with(qgw, "536-22-8841") == []  # held, not posted
    listed = _cli(qgw, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)
    item = next(i for i in items if i.get("record_id") or i.get("id"))
    assert "536-22-8841" not in listed.stdout  # masked in listings
    # an approval from the shell names the operator's own Mattermost id (one person, one principal)
    nobody = _cli(qgw, "approve", item["id"], "--reason", "verified with the client by phone")
    assert nobody.returncode == 1 and "no principal" in nobody.stderr and not _posts_with(qgw, "536-22-8841")
    bad = _cli(qgw, "approve", item["id"], "--reason", "verified", "--principal", "carol")
    assert bad.returncode == 1 and "26 characters" in bad.stderr
    alice = _cli(qgw, "approve", item["id"], "--reason", "my own", "--principal", qgw.sim.ids["users"]["alice"])
    assert alice.returncode == 1 and "own message" in alice.stderr  # the sender herself
    approve = _cli(qgw, "approve", item["id"], "--reason", "verified with the client by phone",
                   "--principal", qgw.sim.ids["users"]["carol"])
    assert approve.returncode == 0, approve.stdout + approve.stderr
    released = _posts_with(qgw, "536-22-8841")
    assert len(released) == 1
    assert released[0]["user_id"] == qgw.sim.ids["users"]["alice"]
    assert released[0]["channel_id"] == qgw.sim.channel("dm_alice_bob")
    again = _cli(qgw, "approve", item["id"], "--reason", "second approval attempt", "--principal",
                 qgw.sim.ids["users"]["bob"])
    assert again.returncode != 0
    assert len(_posts_with(qgw, "536-22-8841")) == 1  # exactly once
    records = archive_records(qgw.data_dir)
    assert any(r.get("request_id") == err["request_id"] and r["action"] == "quarantine" for r in records)
    assert any(r.get("type") == "review" for r in records), [r.get("type") for r in records][-5:]


def test_reject_never_posts_and_sender_is_told(qgw: Gateway) -> None:
    _hold(qgw, "Please open the account, SSN 536-22-7713")
    items = json.loads(_cli(qgw, "list", "--json").stdout)
    assert items
    for item in items:
        out = _cli(qgw, "reject", item["id"], "--reason", "customer data in chat")
        assert out.returncode == 0, out.stderr
    assert _posts_with(qgw, "536-22-7713") == []
    notices = [p for p in qgw.sim.posts() if p.get("type") == "system_ephemeral"
               and p.get("ephemeral_target_user_id") == qgw.sim.ids["users"]["alice"]]
    assert notices and all("536-22-7713" not in p["message"] for p in notices)


def test_redis_files_hold_no_readable_identifier(qgw: Gateway) -> None:
    _hold(qgw, "Client SSN 536-22-9044 for the transfer form")
    redis_dir = qgw.data_dir / "redis"
    blob = b"".join(p.read_bytes() for p in redis_dir.rglob("*") if p.is_file() and p.name != "redis.log")
    assert b"536-22-9044" not in blob and b"536229044" not in blob


def test_console_is_served_on_its_own_port(simulator: Simulator, tmp_path: Path) -> None:
    review = free_port()
    gw = start_gateway(simulator, tmp_path / "gw", "--review-listen", f"127.0.0.1:{review}")
    try:
        page = httpx.get(f"http://127.0.0.1:{review}/login", timeout=10)
        assert page.status_code == 200 and "<form" in page.text
        # never on the proxy port: the proxy forwards /login to Mattermost instead
        simulator.clear()
        httpx.get(f"{gw.url}/login", timeout=10)
        assert any(r["path"] == "/login" for r in simulator.requests())
    finally:
        stop(gw.proc)
