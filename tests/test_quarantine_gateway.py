"""The quarantine through the running gateway: a direct message with an SSN is held
(durable, encrypted, in the gateway's own Redis), worked from the CLI, released to
Mattermost exactly once as its author, and every step is in the archive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
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
           "DLP_NOTIFY_TOKEN": gw.sim.token("dlp-bot"), "DLP_RELEASE_BOT_TOKEN": gw.sim.token("dlp-bot")}
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


def released_by_gateway(gw: Gateway, needle: str, timeout: float = 60) -> list[dict]:
    """The CLI records an approval; the running gateway releases it on its next
    sweep (every ~2 s).  Waits for the post to reach the simulator."""
    deadline = time.monotonic() + timeout
    while not (posts := _posts_with(gw, needle)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return posts


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
    assert bad.returncode == 2 and "26 characters" in bad.stderr and "--principal" in bad.stderr
    alice = _cli(qgw, "approve", item["id"], "--reason", "my own", "--principal", qgw.sim.ids["users"]["alice"])
    assert alice.returncode == 1 and "own message" in alice.stderr  # the sender herself
    approve = _cli(qgw, "approve", item["id"], "--reason", "verified with the client by phone",
                   "--principal", qgw.sim.ids["users"]["carol"])
    assert approve.returncode == 0, approve.stdout + approve.stderr
    assert "no gateway is running" not in approve.stderr  # this one is
    released = released_by_gateway(qgw, "536-22-8841")
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
    gw = start_gateway(simulator, tmp_path / "gw", "--review-listen", f"127.0.0.1:{review}",
                       env={"DLP_REVIEW_SECURE_COOKIES": "0"})  # plain http here
    try:
        page = httpx.get(f"http://127.0.0.1:{review}/login", timeout=10)
        assert page.status_code == 200 and "<form" in page.text
        # never on the proxy port: the proxy forwards /login to Mattermost instead
        simulator.clear()
        httpx.get(f"{gw.url}/login", timeout=10)
        assert any(r["path"] == "/login" for r in simulator.requests())
        # the console believes no client-sent X-Forwarded-For (DLP_TRUSTED_PROXIES unset):
        # 20 attempts per address, however many addresses the client claims
        with httpx.Client(base_url=f"http://127.0.0.1:{review}", timeout=10) as c:
            statuses = []
            for i in range(21):
                form = c.get("/login", headers={"X-Forwarded-For": f"198.51.100.{i}"}).text
                csrf = form.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                statuses.append(c.post("/login", data={"csrf": csrf, "login_id": f"nobody{i}", "password": "x"},
                                       headers={"X-Forwarded-For": f"198.51.100.{i}"}).status_code)  # fmt: skip
        assert statuses == [403] * 20 + [429], statuses
        failed = [r for r in archive_records(gw.data_dir) if r.get("action") == "sign_in_failed"]
        assert len(failed) == 21 and {r["client_ip"] for r in failed} == {"127.0.0.1"}
        assert [r["reason"] for r in failed] == ["bad_credentials"] * 20 + ["rate_limited"]
    finally:
        stop(gw.proc)


def test_break_glass_file_without_principal_stops_the_start(simulator: Simulator, tmp_path: Path) -> None:
    bg = tmp_path / "break-glass.json"
    bg.write_text(json.dumps({"accounts": [{"username": "bg-ops", "argon2": "$argon2id$v=19$m=65536,t=3,p=4$x$y",
                                            "roles": ["admin"]}]}))  # fmt: skip
    with pytest.raises(RuntimeError) as err:
        start_gateway(simulator, tmp_path / "gw", "--review-listen", f"127.0.0.1:{free_port()}",
                      env={"DLP_REVIEW_BREAK_GLASS_FILE": str(bg)})
    assert f"{bg}: accounts[0] (bg-ops) needs user_id, the 26-character Mattermost user id" in str(err.value)


def test_the_senders_reference_finds_the_item_and_a_verdict_is_exported(qgw: Gateway, tmp_path: Path) -> None:
    """Through the real gateway: the sender is told a reference (the request id of
    the 403); the analyst searches for it, rejects with a verdict, and the export
    holds the masked example, never the SSN."""
    err = _hold(qgw, "Client SSN 536-22-6120 for the account form")
    ref = err["request_id"]
    # what the sender is given: the AppError's request_id, and the notice's "Reference:"
    notices = [p["message"] for p in qgw.sim.posts() if p.get("type") == "system_ephemeral"]
    assert any(f"Reference: {ref}" in m for m in notices), notices[-2:]
    found = json.loads(_cli(qgw, "list", "--json", "--state", "all", "--search", ref).stdout)
    assert len(found) == 1 and found[0]["request_id"] == ref and found[0]["severity"] == "low"
    out = _cli(qgw, "reject", found[0]["id"], "--reason", "client NPI in a DM", "--verdict", "true_positive")
    assert out.returncode == 0, out.stderr
    export = tmp_path / "verdicts.jsonl"
    done = _cli(qgw, "verdicts", "--jsonl", "-o", str(export))
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in export.read_text().splitlines()]
    mine = [r for r in rows if r["request_id"] == ref]
    assert len(mine) == 1 and mine[0]["expect"] == "stop" and mine[0]["entities"] == ["US_SSN"]
    assert mine[0]["context"]["channel_type"] == "D" and "***-**-6120" in mine[0]["text"]
    assert "536-22-6120" not in export.read_text() and "536226120" not in export.read_text()


def test_a_bots_message_stays_its_owners_after_the_bot_is_given_away(qgw: Gateway) -> None:
    """The gateway records who controls the sending identity when it holds a message
    (attack F4): carol's bot sends an SSN, carol gives the bot to bob (POST
    /bots/{id}/assign/{user_id}); neither carol nor bob may approve it, sam may."""
    sim = qgw.sim
    users = sim.ids["users"]
    bot, bot_auth = users["dlp-bot"], {"Authorization": f"Bearer {sim.token('dlp-bot')}"}
    dm = httpx.post(f"{sim.url}/api/v4/channels/direct", json=[bot, users["alice"]], headers=bot_auth, timeout=30)
    assert dm.status_code in (200, 201), dm.text
    r = httpx.post(f"{qgw.url}/api/v4/posts", json={"channel_id": dm.json()["id"], "pending_post_id": os.urandom(8).hex(),
                                                   "message": "Client file, SSN 536-22-6614, from the bot"},
                   headers=bot_auth, timeout=30)  # fmt: skip
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    listed = _cli(qgw, "list", "--json")
    item = next(i for i in json.loads(listed.stdout) if i.get("request_id") == r.json()["request_id"])
    carol_auth = {"Authorization": f"Bearer {sim.token('carol')}"}
    given = httpx.post(f"{sim.url}/api/v4/bots/{bot}/assign/{users['bob']}", headers=carol_auth, timeout=30)
    assert given.status_code == 200 and given.json()["owner_id"] == users["bob"], given.text
    try:
        for who in ("carol", "bob"):  # the owner when it was sent, and the owner now
            refused = _cli(qgw, "approve", item["id"], "--reason", "fine by me", "--principal", users[who])
            assert refused.returncode == 1 and "own message" in refused.stderr, (who, refused.stderr)
        assert _posts_with(qgw, "536-22-6614") == []
        ok = _cli(qgw, "approve", item["id"], "--reason", "checked with the desk", "--principal", users["sam"])
        assert ok.returncode == 0, ok.stdout + ok.stderr
        released = released_by_gateway(qgw, "536-22-6614", timeout=120)
        state = next(i for i in json.loads(_cli(qgw, "list", "--json", "--state", "all").stdout) if i["id"] == item["id"])
        assert len(released) == 1, (state, [p for p in sim.posts() if "6614" in p.get("message", "")])
    finally:
        back = httpx.post(f"{sim.url}/api/v4/bots/{bot}/assign/{users['carol']}", headers=carol_auth, timeout=30)
        assert back.status_code == 200
