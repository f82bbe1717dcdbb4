"""Posts Mattermost writes with no answer the gateway sees (issue 14, attack pass 5 B1):
an incoming webhook's post (``POST /hooks/{id}`` answers ``ok``), a command response
hook's, and an outgoing webhook's answer to an ordinary post (app/webhook.go
TriggerWebhook -> CreateWebhookPost, after Mattermost answered the post).  The gateway
reads the channel back with its bot token and judges those posts as shown, link
preview included (dlp_proxy/gateway/integrations.py ``ResponseWatch._schedule``).

Pure parts first (the trigger matching as a superset of Go's, the payload's channel
names, the read schedule with an injected sleep and clock), then end to end through
the real gateway, the simulator (which fires outgoing webhooks as
app/webhook.go handleWebhookEvents does) and real page and integration servers."""

from __future__ import annotations

import asyncio
import html
import json
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from dlp_proxy.gateway.integrations import (
    OUTGOING_ANSWER,
    Job,
    ResponseWatch,
    may_trigger,
    outgoing_job,
    webhook_channel_names,
)
from dlp_proxy.policy.testing import SSN
from dlp_proxy.simulator import ThreadedServer
from tests.conftest import (
    ROOT,
    Gateway,
    Simulator,
    archive_records,
    start_gateway,
    start_simulator,
    stop,
    wait_for,
)

CHANNEL = "c" * 26

# ----------------------------------------------------------------------------- pure


def _go_is_space(c: str) -> bool:
    """Go's unicode.IsSpace (strings.Fields)."""
    if c in "\t\n\v\f\r \x85\xa0":
        return True
    return ord(c) > 0xFF and unicodedata.category(c) in ("Zs", "Zl", "Zp")


def _go_first_word(message: str) -> str:
    word = ""
    for c in message:
        if _go_is_space(c):
            if word:
                return word
        else:
            word += c
    return word


def _go_fires(hook: dict[str, Any], channel_id: str, message: str) -> bool:
    """app/webhook.go handleWebhookEvents for one hook of the post's team."""
    first = _go_first_word(message)
    triggers = hook["trigger_words"]
    if hook["channel_id"] not in (channel_id, ""):
        return False
    if hook["channel_id"] == channel_id and not triggers:
        return True
    if hook["trigger_when"] == 0:
        return bool(first) and first in triggers
    return bool(first) and any(first.startswith(t) for t in triggers)


_SPACES = st.sampled_from(["", " ", "\t", "\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\u200b", "\u2028"])
_WORDS = st.sampled_from(["", "go", "gopher", "deploy", "dé", "GO", "status!", "\u00a0go"])


@settings(max_examples=400, deadline=None)
@given(triggers=st.lists(_WORDS, max_size=3), when=st.sampled_from([0, 1]),
       hook_channel=st.sampled_from(["", CHANNEL, "d" * 26]),
       message=st.lists(st.one_of(_SPACES, _WORDS, st.text(max_size=4)), max_size=6).map("".join))
def test_property_may_trigger_is_a_superset_of_go(triggers: list[str], when: int, hook_channel: str,
                                                   message: str) -> None:
    hook = {"team_id": "t" * 26, "channel_id": hook_channel, "trigger_words": triggers, "trigger_when": when}
    if _go_fires(hook, CHANNEL, message):
        assert may_trigger(hook, CHANNEL, "t" * 26, message)
        assert may_trigger(hook, CHANNEL, None, message)
    assert not may_trigger(hook, CHANNEL, "u" * 26, message)  # another team's hooks never fire
    assert not may_trigger({**hook, "delete_at": 5}, CHANNEL, None, message)


def test_may_trigger_examples() -> None:
    team = {"team_id": "t" * 26}
    on_channel = {**team, "channel_id": CHANNEL, "trigger_words": [], "trigger_when": 0}
    assert may_trigger(on_channel, CHANNEL, None, "anything at all")
    assert not may_trigger(on_channel, "d" * 26, None, "anything at all")
    words = {**team, "channel_id": "", "trigger_words": ["status"], "trigger_when": 0}
    assert may_trigger(words, CHANNEL, None, "  status please")
    assert not may_trigger(words, CHANNEL, None, "the status")


def test_webhook_channel_names_every_reading() -> None:
    assert webhook_channel_names(json.dumps({"text": "t", "channel": "#partners"}).encode(), "application/json",
                                 "/hooks/x") == ("#partners",)
    # Go's encoding/json matches keys case-insensitively
    assert webhook_channel_names(b'{"text": "t", "CHANNEL": "a", "channel": "b"}', "application/json", "/hooks/x") \
        == ("a", "b")
    form = "payload=" + quote(json.dumps({"text": "t", "channel": "@bob"}))
    assert webhook_channel_names(form.encode(), "application/x-www-form-urlencoded", "/hooks/x") == ("@bob",)
    # r.FormValue("payload") reads the query string too
    assert webhook_channel_names(b"", "application/x-www-form-urlencoded", "/hooks/x?" + form) == ("@bob",)
    assert webhook_channel_names(b'{"text": "t"}', "application/json", "/hooks/x") == ()
    assert webhook_channel_names(b"\xff{", "application/json", "/hooks/x") == ()


def test_outgoing_job_reads_the_created_post() -> None:
    post = {"id": "p" * 26, "channel_id": CHANNEL, "message": "status now"}
    job = outgoing_job("r", "/api/v4/posts", json.dumps(post).encode(), "1.2.3.4", 1000.0)
    assert job is not None and job.route == OUTGOING_ANSWER and job.channel_id == CHANNEL
    assert job.text == "status now" and job.since_ms == 1000 * 1000 - 5000
    for bad in (None, b"", b"not json", b"[]", json.dumps({**post, "channel_id": "../x"}).encode(),
                json.dumps({**post, "message": 5}).encode()):
        assert outgoing_job("r", "/api/v4/posts", bad, "", 0.0) is None


class _Sleeps:
    """An injected sleep: each wait blocks until the test lets it go; the clock moves
    by the time slept."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waiting: list[tuple[float, asyncio.Future[None]]] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting.append((seconds, fut))
        await fut

    async def settle(self) -> None:
        for _ in range(10):
            await asyncio.sleep(0)

    async def wake(self) -> float:
        """Let the oldest wait still under way end; how long it was."""
        await self.settle()
        self.waiting = [(s, f) for s, f in self.waiting if not f.done()]
        seconds, fut = self.waiting.pop(0)
        self.now += seconds
        fut.set_result(None)
        await self.settle()
        return seconds


async def _written(probe, expected: bool) -> None:
    """Wait for the persister's Redis writes to land (real I/O: the injected clock's
    ``settle`` only lets the loop turn), checking a state, not racing a timer: up to
    ~10 s of polling, then the test's own assertion reports what is there."""
    for _ in range(1000):
        if bool(await probe()) == expected:
            return
        await asyncio.sleep(0.01)


def _drain(watch: ResponseWatch) -> list[Job]:
    out = []
    while not watch.queue.empty():
        out.append(watch.queue.get_nowait())
    return out


def test_a_channel_is_read_until_after_mattermosts_timeout_and_a_burst_is_read_once() -> None:
    async def run() -> None:
        t = _Sleeps()
        watch = ResponseWatch(None, httpx.AsyncClient(), "token", max_queue=2, clock=t.clock, sleep=t.sleep,
                              outgoing_reads=(1.0, 35.0), hook_reads=(0.2,))
        job = Job(OUTGOING_ANSWER, "r1", "/api/v4/posts", {}, "", channel_id=CHANNEL, since_ms=900_000)
        watch._schedule(CHANNEL, job, watch.outgoing_reads)
        assert await t.wake() == 1.0
        first = _drain(watch)
        assert [(j.poll, j.channel_id, j.since_ms, j.route, j.readback_for) for j in first] == [
            (True, CHANNEL, 900_000, "integrations.readback", (OUTGOING_ANSWER,))]
        # the reader now waits 34 s for its last read; a webhook's post in that channel
        # needs a read in 0.2 s: the wait is cut short, no second reader, the reads start again
        watch._schedule(CHANNEL, Job("hooks.incoming", "r2", "/", {}, "", since_ms=950_000), watch.hook_reads)
        assert len(watch._readback_tasks) == 1
        assert await t.wake() == 0.2  # the union of the reads, from now (t = 1001.2)
        assert [(j.since_ms, j.readback_for) for j in _drain(watch)] == [
            (900_000, ("hooks.incoming", OUTGOING_ANSWER))]
        # a burst: the first request cuts the wait short once, the others wait for that read
        # (a burst cannot starve the reads), and each read serves them all
        for n in range(5):
            watch._schedule(CHANNEL, Job("hooks.incoming", f"b{n}", "/", {}, "", since_ms=960_000), watch.hook_reads)
        assert await t.wake() == 0.2
        assert [j.since_ms for j in _drain(watch)] == [900_000]
        assert await t.wake() == 0.8 and await t.wake() == 34.0  # t = 1036.2: after the first window's end
        assert [j.since_ms for j in _drain(watch)] == [900_000, 900_000]
        await t.settle()
        assert not watch._readbacks and not watch._readback_tasks  # every window read at or after its end
        # at most max_queue channels at once: the others are counted (archived by the next job)
        for i in range(3):
            watch._schedule(str(i) * 26, job, watch.hook_reads)
        assert len(watch._readbacks) == 2 and watch.dropped == 1
        await watch.stop(0.1)

    asyncio.run(run())


def test_hooks_listing_drives_which_posts_are_parsed() -> None:
    t = _Sleeps()
    watch = ResponseWatch(None, httpx.AsyncClient(), "token", clock=t.clock, sleep=t.sleep, hooks_ttl=15.0)
    assert watch.outgoing_possible() and watch.wants_outgoing(CHANNEL, "hi")  # not listed yet
    watch._outgoing, watch._outgoing_at = [], t.now
    assert not watch.outgoing_possible()
    watch._outgoing = [{"team_id": "t" * 26, "channel_id": "", "trigger_words": ["go"], "trigger_when": 0}]
    watch._triggers = [("", ("go",))]
    assert watch.outgoing_possible() and watch.wants_outgoing(CHANNEL, "go now")
    assert not watch.wants_outgoing(CHANNEL, "later")
    t.now += 16  # stale: every post may trigger until listed again
    assert watch.wants_outgoing(CHANNEL, "later")
    t.now -= 16
    # a registration through the gateway: listed again before the next post is matched
    assert watch.offer(Job("hooks.outgoing.create", "r", "/api/v4/hooks/outgoing", {}, ""))
    assert watch.queue.empty() and watch.wants_outgoing(CHANNEL, "later")
    assert not ResponseWatch(None, httpx.AsyncClient(), None).outgoing_possible()  # no token: nothing to list with


def test_pending_read_backs_survive_a_restart_in_redis() -> None:
    """A read-back pending when the gateway stops is kept in Redis (the channel id, the
    window, the routes: nothing else) and resumed by the same worker at its next start:
    read at once, the last read at or after the window's end; then the entry goes."""
    import os

    import redis.asyncio as aioredis

    from dlp_proxy.gateway.integrations import READBACK_KEY

    worker = "test-" + os.urandom(4).hex()
    key = READBACK_KEY + worker

    async def run() -> None:
        redis = aioredis.Redis(host="127.0.0.1", port=6379)
        try:
            t = _Sleeps()
            first = ResponseWatch(None, httpx.AsyncClient(), "token", clock=t.clock, sleep=t.sleep,
                                  outgoing_reads=(1.0, 35.0), redis=redis, worker_id=worker)
            first.start()
            job = Job(OUTGOING_ANSWER, "r1", "/api/v4/posts", {"authorization": "Bearer x"}, "10.0.0.1",
                      channel_id=CHANNEL, since_ms=900_000, text=f"SSN {SSN}")
            first._schedule(CHANNEL, job, first.outgoing_reads)
            await t.settle()
            async def kept() -> bool:  # hset, then expire: both landed
                return bool(await redis.ttl(key) > 0)

            await _written(kept, True)  # the persister's writes: real Redis I/O
            stored = {k.decode(): json.loads(v) for k, v in (await redis.hgetall(key)).items()}
            assert stored == {CHANNEL: {"since": 900_000, "end": 1035.0, "routes": [OUTGOING_ANSWER]}}
            assert 0 < await redis.ttl(key) <= 3600
            await first.stop(0.1)  # stopped with the read due: it stays
            assert await redis.hexists(key, CHANNEL)
            # another worker's entries are not its own; unreadable ones are dropped
            await redis.hset(key, "not-an-id", json.dumps({"since": 1, "end": 1, "routes": [OUTGOING_ANSWER]}))
            await redis.hset(key, "d" * 26, "{")
            await redis.hset(key, "e" * 26, json.dumps({"since": 1, "end": 1, "routes": ["posts.create"]}))
            other = ResponseWatch(None, httpx.AsyncClient(), "token", clock=t.clock, sleep=t.sleep,
                                  redis=redis, worker_id=worker + "-other")
            assert await other.resume() == 0 and not other._readbacks
            t.now = 1010.0  # restarted 10 s later
            second = ResponseWatch(None, httpx.AsyncClient(), "token", clock=t.clock, sleep=t.sleep,
                                   redis=redis, worker_id=worker)
            second._tasks = [asyncio.get_running_loop().create_task(second._persister())]
            assert await second.resume() == 1
            assert set(await redis.hkeys(key)) == {CHANNEL.encode()}
            assert await t.wake() == 0.0  # at once: what was posted while no gateway read it
            (read,) = _drain(second)
            assert (read.poll, read.channel_id, read.since_ms, read.readback_for) == (
                True, CHANNEL, 900_000, (OUTGOING_ANSWER,))
            assert await t.wake() == 25.0  # the last read at the window's end (t = 1035)
            assert [j.since_ms for j in _drain(second)] == [900_000]
            await t.settle()
            await _written(lambda: redis.exists(key), False)
            assert not second._readbacks and not await redis.exists(key)  # done: the entry went
            await second.stop(0.1)
        finally:
            await redis.delete(key)
            await redis.aclose()

    asyncio.run(run())


class _Pipeline:
    """What ResponseWatch's fail-closed path uses of the pipeline: the failure record."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, str, str]] = []

    async def record_failure(self, req: Any, *, reason: str, error: str, action: Any, route_name: str) -> str:
        self.failures.append((reason, error, route_name))
        return "rec"

    def policy(self) -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(alert_channel_id=None)  # no alert channel: the alert is logged, not sent


def test_what_cannot_be_read_back_is_archived() -> None:
    async def run() -> None:
        pipeline = _Pipeline()
        hook = Job("hooks.incoming", "r", "/hooks/x", {}, "", hook_id="h" * 26)
        await ResponseWatch(pipeline, httpx.AsyncClient(), None).check(hook)  # no bot token
        # a command response hook where no command ran through this gateway: its channel is unknown
        await ResponseWatch(pipeline, httpx.AsyncClient(), "token").check(
            Job("hooks.command_response", "r", "/hooks/commands/x", {}, ""))
        assert pipeline.failures == [
            ("integration-response-unchecked", "no bot token to read the channel with", "hooks.incoming"),
            ("integration-response-unchecked", "a command's response hook posted where no command ran through the "
                                               "gateway", "hooks.command_response")]

    asyncio.run(run())


# ----------------------------------------------------------------------------- end to end


class Servers:
    """Web pages with OpenGraph tags (path -> tags) and an outgoing webhook's service."""

    def __init__(self) -> None:
        self.og: dict[str, dict[str, str]] = {}
        self.answers: dict[str, dict[str, Any]] = {}  # the trigger post's text -> the hook's answer
        self.hook_calls: list[dict[str, Any]] = []

    async def page(self, request: Request) -> Response:
        tags = "".join(f'<meta property="og:{k}" content="{html.escape(v)}">'
                       for k, v in self.og.get(request.path_params["name"], {}).items())
        return HTMLResponse(f"<html><head>{tags}</head><body>page</body></html>")

    async def outgoing(self, request: Request) -> Response:
        # app/webhook.go TriggerWebhook: the OutgoingWebhookPayload as JSON (content_type)
        payload = json.loads(await request.body())
        self.hook_calls.append(payload)
        return JSONResponse(self.answers.get(payload["text"], {}))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Simulator, Servers, str]]:
    servers = Servers()
    app = Starlette(routes=[Route("/p/{name}", servers.page),
                            Route("/allowed/outgoing", servers.outgoing, methods=["POST"])])
    sim = start_simulator()
    base = tmp_path_factory.mktemp("readback")
    config = base / "config"
    shutil.copytree(Path(ROOT) / "config", config)
    policy = (config / "policy.yaml").read_text()
    alerts = sim.channel("compliance_alerts")
    (config / "policy.yaml").write_text(policy.replace("alert_channel_id: null", f"alert_channel_id: {alerts}"))
    with ThreadedServer(app) as srv:
        httpx.post(f"{sim.url}/__sim/config", json={"allowed_untrusted_internal_connections": "127.0.0.1"})
        gw = start_gateway(sim, base / "gw", config_dir=config, env={"DLP_INTEGRATION_URLS": f"{srv.url}/allowed/"})
        try:
            yield gw, sim, servers, srv.url
        finally:
            stop(gw.proc)
            stop(sim.proc)


def _posts(sim: Simulator, **match: Any) -> list[dict[str, Any]]:
    return [p for p in sim.posts() if all(p.get(k) == v for k, v in match.items())]


def _remediated(gw: Gateway, route: str) -> list[dict[str, Any]]:
    return [r for r in archive_records(gw.data_dir) if r.get("action") == "remediated" and r.get("route") == route]


def _alerts(gw: Gateway, record_id: str) -> list[dict[str, Any]]:
    return [p for p in _posts(gw.sim, channel_id=gw.sim.channel("compliance_alerts")) if record_id in p["message"]]


def _hook(gw: Gateway, payload: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{gw.url}/hooks/{gw.sim.ids['incoming_hook']}", json=payload, timeout=30)


def test_incoming_webhook_post_with_a_leaky_preview_is_deleted_and_archived(
        env: tuple[Gateway, Simulator, Servers, str]) -> None:
    gw, sim, servers, base = env
    servers.og["in-clean"] = {"site_name": "Status", "title": "All systems normal"}
    servers.og["in-leak"] = {"site_name": "CRM", "title": f"Holder SSN {SSN}", "description": "client file"}
    clean, leak = _hook(gw, {"text": f"nightly report {base}/p/in-clean"}), _hook(gw, {"text": f"new case {base}/p/in-leak"})
    assert clean.status_code == 200 and leak.status_code == 200 and leak.text == "ok"  # the answer names no post
    post = wait_for(lambda: [p for p in _posts(sim, channel_id=sim.channel("town_square"))
                             if p["message"].endswith("/p/in-leak") and p["delete_at"]], "the webhook's post deleted")[0]
    assert post["props"]["from_webhook"] == "true"
    rec = wait_for(lambda: _remediated(gw, "integrations.readback.preview"), "the remediation record")[0]
    assert rec["readback_for"] == ["hooks.incoming"]
    assert rec["remediation"] == "deleted" and rec["remediation_result"] == "ok" and "US_SSN" in rec["entity_types"]
    assert SSN not in json.dumps(rec) and "content" in rec  # the post as shown, encrypted
    alert = wait_for(lambda: _alerts(gw, rec["record_id"]), "the compliance alert")[0]
    assert "hooks.incoming" in alert["message"] and SSN not in alert["message"]
    assert not [p for p in sim.posts() if p["message"].endswith("/p/in-clean") and p["delete_at"]]
    assert len(_remediated(gw, "integrations.readback.preview")) == 1


def test_incoming_webhook_channel_override_is_read_where_it_posted(env: tuple[Gateway, Simulator, Servers, str]) -> None:
    """HandleIncomingWebhook: ``channel`` (``#name`` or ``name``) is the hook's team's
    channel of that name: that channel is read back, not only the hook's own."""
    gw, sim, servers, base = env
    servers.og["override"] = {"title": f"SSN {SSN}"}
    r = _hook(gw, {"text": f"moved here {base}/p/override", "channel": "#partners"})
    assert r.status_code == 200, r.text
    post = wait_for(lambda: [p for p in _posts(sim, channel_id=sim.channel("shared"))
                             if p["message"].endswith("/p/override") and p["delete_at"]], "the post deleted")[0]
    assert post["props"]["from_webhook"] == "true"


def test_outgoing_webhook_answers_are_read_back(env: tuple[Gateway, Simulator, Servers, str]) -> None:
    """An ordinary post through the gateway triggers an outgoing webhook; its service's
    answer is posted by Mattermost with no request of its own: the leaky answer is
    deleted and archived, the clean one left alone."""
    gw, sim, servers, base = env
    with gw.client("carol") as c:  # registered through the gateway: its callback URL is allowlisted
        r = c.post("/api/v4/hooks/outgoing", json={
            "team_id": sim.ids["team"], "trigger_words": ["status"], "display_name": "Status bot",
            "callback_urls": [f"{base}/allowed/outgoing"], "content_type": "application/json"})
        assert r.status_code == 201, r.text
    servers.answers["status clean"] = {"text": "all green"}
    servers.answers["status leak"] = {"text": "looked it up", "response_type": "comment",
                                      "attachments": [{"text": f"holder SSN {SSN}"}]}
    with gw.client("alice") as c:
        for text in ("status clean", "status leak"):
            assert c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": text}
                          ).status_code == 201
    leak = wait_for(lambda: [p for p in _posts(sim, message="looked it up") if p["delete_at"]], "the answer deleted")[0]
    assert leak["props"]["from_webhook"] == "true" and leak["root_id"]  # a comment on the trigger post
    rec = wait_for(lambda: [r for r in _remediated(gw, "integrations.readback")
                            if OUTGOING_ANSWER in r["readback_for"]], "the remediation record")[0]
    assert rec["remediation"] == "deleted" and rec["remediation_result"] == "ok" and "US_SSN" in rec["entity_types"]
    assert SSN not in json.dumps(rec)
    clean = _posts(sim, message="all green")
    assert len(clean) == 1 and not clean[0]["delete_at"] and clean[0]["props"]["from_webhook"] == "true"
    assert [c["text"] for c in servers.hook_calls] == ["status clean", "status leak"]
    assert len(_remediated(gw, "integrations.readback")) == 1


def test_outgoing_hook_registered_behind_the_gateway_is_reported_while_it_runs(
        env: tuple[Gateway, Simulator, Servers, str]) -> None:
    gw, sim, _, base = env
    admin = {"Authorization": f"Bearer {sim.token('carol')}"}
    hidden = httpx.post(f"{sim.url}/api/v4/hooks/outgoing", headers=admin, timeout=10, json={
        "team_id": sim.ids["team"], "trigger_words": ["zz-never"], "callback_urls": ["https://evil.example/x"]}).json()
    # the next listing (a registration through the gateway lists them again at once)
    with gw.client("carol") as c:
        assert c.post("/api/v4/hooks/outgoing", json={"team_id": sim.ids["team"], "trigger_words": ["zz-other"],
                                                       "callback_urls": [f"{base}/allowed/outgoing"]}).status_code == 201
        assert c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": "hello"}
                      ).status_code == 201
    found = wait_for(lambda: [r for r in archive_records(gw.data_dir)
                              if r.get("reason") == "integration-registration-not-allowed"
                              and hidden["id"] in json.dumps(r)], "the report")
    assert len(found) == 1 and "evil.example" not in json.dumps(found)


def test_incoming_webhook_to_a_direct_message_is_read_there(env: tuple[Gateway, Simulator, Servers, str]) -> None:
    """``channel: "@bob"``: the direct channel between the hook's creator and bob."""
    gw, sim, servers, base = env
    servers.og["dm-leak"] = {"title": f"SSN {SSN}"}
    r = _hook(gw, {"text": f"for you {base}/p/dm-leak", "channel": "@bob"})
    assert r.status_code == 200, r.text
    post = wait_for(lambda: [p for p in sim.posts() if p["message"].endswith("/p/dm-leak") and p["delete_at"]],
                    "the direct message deleted")[0]
    assert post["channel_id"] not in sim.ids["channels"].values()  # the DM the webhook's post created


def test_command_response_hook_post_is_read_back(env: tuple[Gateway, Simulator, Servers, str]) -> None:
    """HandleCommandWebhook posts in its command's channel, which only Mattermost knows:
    the channels commands ran in through the gateway are read back."""
    gw, sim, servers, base = env
    servers.og["cmd-leak"] = {"description": f"SSN {SSN}"}
    with gw.client("alice") as c:
        assert c.post("/api/v4/commands/execute", json={"channel_id": sim.channel("town_square"), "command": "/echo hi",
                                                         "team_id": sim.ids["team"]}).status_code == 200
    r = httpx.post(f"{gw.url}/hooks/commands/{sim.ids['command_hook']}", timeout=30,
                   json={"response_type": "in_channel", "text": f"result {base}/p/cmd-leak"})
    assert r.status_code == 200, r.text
    wait_for(lambda: [p for p in sim.posts() if p["message"].endswith("/p/cmd-leak") and p["delete_at"]],
             "the hook's post deleted")
    rec = wait_for(lambda: [r for r in _remediated(gw, "integrations.readback.preview")
                            if "hooks.command_response" in r["readback_for"]], "its record")[0]
    assert rec["remediation"] == "deleted"


def test_a_read_back_pending_at_a_restart_is_done_by_the_next_start(tmp_path: Path) -> None:
    """Through the real gateway: an outgoing webhook answers late; the gateway is stopped
    before the answer is posted, and the one started next (same data dir, same private
    Redis) reads the channel back and deletes the leaky answer."""
    import threading

    servers = Servers()
    released = threading.Event()  # set by the test's thread, polled by the server's

    async def late(request: Request) -> Response:
        payload = json.loads(await request.body())
        servers.hook_calls.append(payload)
        for _ in range(200):  # answers once the test let it (the first gateway is gone)
            if released.is_set():
                break
            await asyncio.sleep(0.05)
        return JSONResponse({"text": "late answer", "attachments": [{"text": f"holder SSN {SSN}"}]})

    app = Starlette(routes=[Route("/allowed/outgoing", late, methods=["POST"])])
    sim = start_simulator()
    config = tmp_path / "config"
    shutil.copytree(Path(ROOT) / "config", config)
    gw = None
    try:
        with ThreadedServer(app) as srv:
            httpx.post(f"{sim.url}/__sim/config", json={"allowed_untrusted_internal_connections": "127.0.0.1"})
            env = {"DLP_INTEGRATION_URLS": f"{srv.url}/allowed/"}
            gw = start_gateway(sim, tmp_path / "gw", config_dir=config, env=env)
            with gw.client("carol") as c:
                assert c.post("/api/v4/hooks/outgoing", json={
                    "team_id": sim.ids["team"], "trigger_words": ["late"], "callback_urls": [f"{srv.url}/allowed/outgoing"],
                    "content_type": "application/json"}).status_code == 201
            with gw.client("alice") as c:
                assert c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"),
                                                     "message": "late report"}).status_code == 201
            wait_for(lambda: servers.hook_calls, "the outgoing webhook called")
            # the read-back is scheduled and kept in the gateway's own Redis (its URL file);
            # its reads are not done (the hook holds its answer back)
            import redis as sync_redis

            from dlp_proxy.gateway.integrations import READBACK_KEY

            private = sync_redis.Redis.from_url((gw.data_dir / "redis" / "url").read_text().strip())
            wait_for(lambda: private.keys(READBACK_KEY + "*"), "the read-back kept in Redis")
            private.close()
            assert stop(gw.proc) == 0
            released.set()
            answer = wait_for(lambda: _posts(sim, message="late answer"), "the late answer posted")[0]
            assert not answer["delete_at"]  # nobody read it back: the first gateway is gone
            gw = start_gateway(sim, tmp_path / "gw", config_dir=config, env=env)
            wait_for(lambda: [p for p in _posts(sim, message="late answer") if p["delete_at"]], "the answer deleted")
            rec = wait_for(lambda: [r for r in _remediated(gw, "integrations.readback")
                                    if OUTGOING_ANSWER in r["readback_for"]], "the remediation record")[0]
            assert rec["remediation"] == "deleted" and SSN not in json.dumps(rec)
    finally:
        if gw is not None:
            stop(gw.proc)
        stop(sim.proc)
