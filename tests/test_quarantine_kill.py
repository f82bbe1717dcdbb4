"""kill -9 around the quarantine with real processes: the gateway right after it
told the sender "held", the process doing a release while Mattermost is slow;
and the reviewer console started as its own process on the gateway's Redis.

Nothing held is lost, nothing is released twice, and what is left is in a state
a person can see and act on."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import redis.asyncio as aioredis

from dlp_proxy.keys import load_key
from dlp_proxy.quarantine import Actor, QuarantineService, QuarantineSettings
from tests.conftest import ROOT, Gateway, Simulator, free_port, start_gateway, stop, wait_port

OPERATOR = Actor("kill-test-operator", frozenset({"approver"}), via="cli")


def _env(gw: Gateway) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLP_")}
    env.update({"DLP_DATA_DIR": str(gw.data_dir), "DLP_UPSTREAM": gw.sim.url,
                "DLP_NOTIFY_TOKEN": gw.sim.token("dlp-bot"),
                # the operator's own Mattermost id: CLI approvals need a principal
                "DLP_OPERATOR_USER_ID": gw.sim.ids["users"]["carol"]})  # fmt: skip
    return env


def _cli(gw: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    # (a bound against a hang, not a race: a CI run on a machine 3x slower than usual took
    # longer than 60 s for one approval, its release included)
    return subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", *args], cwd=ROOT, env=_env(gw),
                          capture_output=True, text=True, timeout=240)  # fmt: skip


def _listed(gw: Gateway, state: str = "all") -> dict[str, dict[str, Any]]:
    out = _cli(gw, "list", "--json", "--state", state)
    assert out.returncode == 0, out.stderr
    return {i["id"]: i for i in json.loads(out.stdout)}


def _hold(gw: Gateway, text: str) -> tuple[str, str]:
    """Post ``text`` as alice in the DM; return (request_id, pending_post_id) of the hold."""
    pending = os.urandom(8).hex()
    r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("dm_alice_bob"), "message": text,
                                                   "pending_post_id": pending},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)  # fmt: skip
    assert r.status_code == 403, r.text
    assert r.json()["id"] == "api.dlp.quarantined.app_error"
    return str(r.json()["request_id"]), pending


def _item_for(gw: Gateway, request_id: str) -> dict[str, Any]:
    items = [i for i in _listed(gw).values() if i["request_id"] == request_id]
    assert len(items) == 1, items
    return items[0]


def _posts_with(sim: Simulator, needle: str) -> list[dict[str, Any]]:
    return [p for p in sim.posts() if needle in p.get("message", "") and not p.get("type")]


def _redis_url(gw: Gateway) -> str:
    return (gw.data_dir / "redis" / "url").read_text().strip()


def _kill9_private_redis(url: str) -> None:
    """Kill the gateway's private Redis with -9 (as a host crash or an OOM kill of
    the whole container would): what was acknowledged must then come from the AOF
    on disk.  (A gateway killed alone takes its Redis down with SIGTERM.)"""
    client = redis.Redis.from_url(url, socket_timeout=2)
    pid = int(client.info("server")["process_id"])
    client.close()
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return  # a zombie waiting for its reaper: gone as far as Redis is concerned
        time.sleep(0.05)
    raise TimeoutError(f"redis-server {pid} did not die")


@pytest.fixture(scope="module")
def kgw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("kgw"))
    yield gw
    stop(gw.proc)


@pytest.fixture
def no_faults(simulator: Simulator) -> Iterator[None]:
    httpx.delete(f"{simulator.url}/__sim/faults", timeout=10)
    yield
    httpx.delete(f"{simulator.url}/__sim/faults", timeout=10)


# ---------------------------------------------------------------------- 1
def test_kill9_gateway_right_after_held_loses_nothing(simulator: Simulator, tmp_path: Path) -> None:
    data_dir = tmp_path / "gw"
    gw = start_gateway(simulator, data_dir)
    ssn = "536-41-7702"
    try:
        request_id, pending = _hold(gw, f"New account for the client, SSN {ssn}, please set it up")
        # the sender has just been told "held for review": the host crashes (Redis
        # first, so it gets no chance to exit cleanly when the gateway dies)
        _kill9_private_redis(_redis_url(gw))
        gw.proc.send_signal(signal.SIGKILL)
        gw.proc.wait(10)
    finally:
        stop(gw.proc)
    assert _posts_with(simulator, ssn) == []

    gw2 = start_gateway(simulator, data_dir)  # same data dir: same keys, same AOF
    try:
        item = _item_for(gw2, request_id)
        assert item["state"] == "held" and item["sender_username"] == "alice"
        assert item["entity_types"] == ["US_SSN"], item
        assert not item["shredded"]
        approve = _cli(gw2, "approve", item["id"], "--reason", "verified with the client by phone")
        assert approve.returncode == 0, approve.stdout + approve.stderr
        deadline = time.monotonic() + 60  # released by the restarted gateway's sweep
        while not (posts := _posts_with(simulator, ssn)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(posts) == 1, posts
        assert posts[0]["user_id"] == simulator.ids["users"]["alice"]
        assert posts[0]["pending_post_id"] == pending
        assert _listed(gw2)[item["id"]]["state"] == "released"
    finally:
        stop(gw2.proc)


# ---------------------------------------------------------------------- 2
_DELIVERER = """
import asyncio, sys
import redis.asyncio as aioredis
from dlp_proxy.keys import load_key
from dlp_proxy.quarantine import Actor, QuarantineService, QuarantineSettings
item_id, data_dir, redis_url, upstream, bot, principal = sys.argv[1:]
async def main():
    svc = QuarantineService(aioredis.Redis.from_url(redis_url), archive=None, upstream_url=upstream,
                            master_key=load_key("quarantine-master", base=__import__("pathlib").Path(data_dir)),
                            settings=QuarantineSettings(bot_token=bot, notify_token=bot))
    await svc.approve(item_id, Actor("kill-test-operator", frozenset({"approver"}), user_id=principal, via="cli"),
                      "checked with the client")
asyncio.run(main())
"""


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _release_requests(sim: Simulator, item_id: str) -> list[dict[str, Any]]:
    return [r for r in sim.requests() if r["method"] == "POST" and r["path"] == "/api/v4/posts"
            and ["x-dlp-release", item_id] in r["headers"]]  # fmt: skip


@pytest.mark.parametrize(
    ("landed", "ssn"),
    [
        (True, "536-41-7719"),  # Mattermost created the post after the sender died
        (False, "536-41-7733"),  # Mattermost failed it (503 after the delay): nothing posted
    ],
)
async def test_kill9_of_the_releasing_process_never_releases_twice(
    kgw: Gateway, no_faults: None, landed: bool, ssn: str
) -> None:
    sim = kgw.sim
    request_id, pending = _hold(kgw, f"Transfer form for the client, SSN {ssn}, thanks")
    item_id = _item_for(kgw, request_id)["id"]
    sim.clear()
    delay_s = 4.0
    fault: dict[str, Any] = {"delay_ms": int(delay_s * 1000), "path_prefix": "/api/v4/posts", "method": "POST",
                             "count": 1}  # fmt: skip
    if not landed:
        fault["status"] = 503
    r = httpx.post(f"{sim.url}/__sim/faults", json=fault, timeout=10)
    assert r.status_code == 201, r.text
    # The releasing process: the service as the gateway runs it (it delivers), here
    # alone in a process of its own so the test can kill it mid-send.
    approver = subprocess.Popen([sys.executable, "-c", _DELIVERER, item_id, str(kgw.data_dir), _redis_url(kgw), sim.url,
                                 sim.token("dlp-bot"), sim.ids["users"]["carol"]], cwd=ROOT, env=_env(kgw),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not _release_requests(sim, item_id):  # the release is on the wire, Mattermost is slow
            assert approver.poll() is None, approver.communicate()
            assert time.monotonic() < deadline, "the release never reached the simulator"
            time.sleep(0.05)
        sent_at = time.monotonic()
        approver.send_signal(signal.SIGKILL)
        assert approver.wait(10) == -signal.SIGKILL
    finally:
        stop(approver)

    # The process died between sending and hearing back: the item says so.
    assert _listed(kgw)[item_id]["state"] == "releasing"
    # Approving again is refused and sends nothing.
    again = _cli(kgw, "approve", item_id, "--reason", "approve it again")
    assert again.returncode != 0 and "releasing" in again.stderr, again.stdout + again.stderr

    # Mattermost finishes the slow request after its delay: the post lands once (or not at all).
    while time.monotonic() < sent_at + delay_s + 1.0:
        time.sleep(0.1)
    assert len(_posts_with(sim, ssn)) == (1 if landed else 0)

    # Housekeeping (what the gateway's loop runs, with a short stale_release_after)
    # flags the stuck release as unknown; automatic retries never send it again.
    clock = Clock()
    client = aioredis.Redis.from_url(_redis_url(kgw))
    svc = QuarantineService(client, master_key=load_key("quarantine-master", base=kgw.data_dir, create=False),
                            archive=None, upstream_url=sim.url, clock=clock,
                            settings=QuarantineSettings(stale_release_after=1.0, retry_base=1.0,
                                                        bot_token=sim.token("dlp-bot"),
                                                        notify_token=sim.token("dlp-bot")))  # fmt: skip
    try:
        clock.offset = 5.0
        counts = await svc.expire_due()
        assert counts["unknown"] == 1, counts
        item = await svc.get(item_id)
        assert item["state"] == "release_unknown" and item["release_error"], item
        for _ in range(3):  # the approval's retry entry comes due: still nothing re-sent
            clock.offset += 3600.0
            await svc.expire_due()
        # A retry that is not forced leaves it to a person.
        after = await svc.retry_release(item_id, OPERATOR, "retry after the crash")
        assert after["state"] == "release_unknown", after
        again = _cli(kgw, "approve", item_id, "--reason", "approve it once more")
        assert again.returncode != 0, again.stdout
        assert len(_release_requests(sim, item_id)) == 1  # never sent a second time
        listed = _listed(kgw, "active")
        assert listed[item_id]["state"] == "release_unknown"  # visible, waiting for a person
        assert ssn not in json.dumps(listed)
        # The person forces the retry: the service looks in the channel first and
        # re-sends only if the earlier send did not land.
        forced = await svc.retry_release(item_id, OPERATOR, "checked the channel, retry", force=True)
        assert forced["state"] == "released", forced
        assert forced["released_via"] == ("found" if landed else "author"), forced
        for _ in range(2):  # a second forced retry or more housekeeping change nothing
            clock.offset += 3600.0
            await svc.expire_due()
        assert (await svc.retry_release(item_id, OPERATOR, "retry once more", force=True))["state"] == "released"
    finally:
        await svc.close()
        await client.aclose()
    await asyncio.sleep(0.3)
    posts = _posts_with(sim, ssn)
    assert len(posts) == 1, posts
    assert [p["pending_post_id"] for p in posts] == [pending]
    assert posts[0]["user_id"] == sim.ids["users"]["alice"]
    assert forced["released_post_id"] == posts[0]["id"]
    assert len(_release_requests(sim, item_id)) == (1 if landed else 2)
    assert _listed(kgw, "all")[item_id]["state"] == "released"


# ---------------------------------------------------------------------- 3
def test_review_console_as_its_own_process(kgw: Gateway) -> None:
    ssn = "536-41-7726"
    _request_id, _ = _hold(kgw, f"Client asked to update SSN {ssn} on file")
    item_id = _item_for(kgw, _request_id)["id"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = kgw.data_dir / "review.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "dlp_proxy.cli", "review", "--listen", f"127.0.0.1:{port}",
                                 "--upstream", kgw.sim.url, "--insecure-cookies"], cwd=ROOT, env=_env(kgw),
                                stdout=log, stderr=log)  # fmt: skip
    try:
        wait_port(port, proc, timeout=30)

        def sign_in(c: httpx.Client, login: str, password: str) -> httpx.Response:
            form = c.get("/login")
            assert form.status_code == 200 and "<form" in form.text
            m = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert m, form.text
            return c.post("/login", data={"csrf": m.group(1), "login_id": login, "password": password})

        with httpx.Client(base_url=base, timeout=30) as c:
            assert c.get("/").status_code == 303  # not signed in: to the sign-in page
            # the form's CSRF token is required
            assert c.post("/login", data={"csrf": "forged", "login_id": "sam",
                                          "password": "sam-password"}).status_code == 403  # fmt: skip
            for login, password in (("sam", "wrong-password"), ("bob", "bob-password")):
                refused = sign_in(c, login, password)
                assert refused.status_code == 403, (login, refused.status_code)
                assert "dlp_review_session" not in c.cookies
            ok = sign_in(c, "sam", "sam-password")
            assert ok.status_code == 303 and ok.headers["location"] == "/", ok.text
            queue = c.get("/")
            assert queue.status_code == 200
            assert item_id in queue.text
            assert ssn not in queue.text and ssn.replace("-", "") not in queue.text
            page = c.get(f"/items/{item_id}")
            assert page.status_code == 200 and ssn not in page.text  # masked until revealed
    finally:
        code = stop(proc, signal.SIGTERM)
    log_text = log_path.read_text(errors="replace")
    assert code == 0, log_text[-3000:]
    assert "Traceback" not in log_text and ssn not in log_text
    assert "Finished server process" in log_text, log_text[-2000:]
