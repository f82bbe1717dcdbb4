"""Context for the reviewer's decision (dlp_proxy/review/context.py): readable
channel names, the other participants of a direct or group message, the posts
before the held one masked by the gateway's own detector, never stored; and the
simulator routes it reads, answered in Mattermost's shapes.  Real Redis, the
simulator and the console on real sockets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from dlp_proxy.detect import build_detector
from dlp_proxy.model import Finding
from dlp_proxy.quarantine import Actor, QuarantineService, QuarantineSettings
from dlp_proxy.review import ReviewSettings, create_app, token_hash
from dlp_proxy.review.context import WITHHELD, ContextSettings, ConversationContext
from dlp_proxy.simulator.state import Simulator
from tests.shown import shown
from tests.test_quarantine_support import (
    MASK_REASONS,
    MASTER,
    SSN,
    RedisServer,
    ServedApp,
    free_port,
    make_held,
    redis_server,
    simulator,
)
from tests.test_review_app import csrf_of, sign_in, uid

TOKEN = "soar-context-token-0123456789"
AUDITOR = "audit-context-token-0123456789"
CARD = "4111 1111 1111 1111"
MARKER = "zebra-marker-7731"  # a word that must never reach Redis or the archive
ADMIN = Actor("carol", frozenset({"admin"}), user_id=uid("carol"))


@pytest.fixture(scope="module")
def detector() -> Any:
    return build_detector()


@pytest.fixture(scope="module")
def rserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@dataclass
class Env:
    sim: Simulator
    sim_url: str
    svc: QuarantineService
    url: str
    r: aioredis.Redis


def settings() -> ReviewSettings:
    return ReviewSettings(secure_cookies=False, lookup_token="dlp-bot-token", hash_key=b"k" * 32, api_tokens={
        token_hash(TOKEN): {"name": "soar", "roles": ["approver"], "user_id": uid("bob")},
        token_hash(AUDITOR): {"name": "audit", "roles": ["auditor"], "user_id": uid("bob")}})  # fmt: skip


@pytest.fixture
async def env(rserver: RedisServer, detector: Any) -> AsyncIterator[Env]:
    client = aioredis.Redis.from_url(rserver.url)
    await client.flushall()
    qs = QuarantineSettings(notify_token="dlp-bot-token")
    with simulator() as (sim, sim_url):
        svc = QuarantineService(client, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=sim_url, settings=qs)
        app_svc = QuarantineService(aioredis.Redis.from_url(rserver.url), master_key=MASTER, mask_text=MASK_REASONS, archive=None,
                                    upstream_url=sim_url, settings=qs)  # fmt: skip
        app = create_app(app_svc, upstream_url=sim_url, settings=settings(), detector=detector,
                         context=ContextSettings(posts=3, token="dlp-bot-token"))  # fmt: skip
        with ServedApp(app) as served:
            yield Env(sim, sim_url, svc, served.url, client)
        await svc.close()
    await client.aclose()


def post(sim: Simulator, who: str, channel: str, message: str, *, at: int | None = None) -> str:
    p = sim.create_post({"channel_id": sim.ids["channels"][channel], "message": message}, sim.ids["users"][who])
    if at is not None:
        with sim.lock:
            sim.posts[p["id"]]["create_at"] = at
    return str(p["id"])


async def api(env: Env, path: str, token: str = TOKEN) -> httpx.Response:
    async with httpx.AsyncClient() as c:
        return await c.get(env.url + path, headers={"Authorization": f"Bearer {token}"})


# ------------------------------------------------------------------ simulator shapes


async def test_simulator_posts_pages_like_mattermost() -> None:
    """GET /channels/{id}/posts: newest page, then ``before`` pages; cursors as
    app/post.go AddCursorIdsForPostList sets them."""
    with simulator() as (sim, url):
        cid = sim.ids["channels"]["town_square"]
        ids = [post(sim, "alice", "town_square", f"m{i}", at=1_700_000_100_000 + i) for i in range(7)]
        auth = {"Authorization": "Bearer alice-token"}
        async with httpx.AsyncClient(base_url=url, headers=auth) as c:
            first = (await c.get(f"/api/v4/channels/{cid}/posts", params={"per_page": 3})).json()
            assert first["order"] == ids[::-1][:3]
            assert set(first["posts"]) == set(first["order"])
            assert first["next_post_id"] == "" and first["prev_post_id"] == ids[3]
            older = (await c.get(f"/api/v4/channels/{cid}/posts", params={"before": ids[4], "per_page": 3})).json()
            assert older["order"] == [ids[3], ids[2], ids[1]]
            assert older["next_post_id"] == ids[4]  # page 0 of a before-query: the anchor itself
            assert older["prev_post_id"] == ids[0]
            last = (await c.get(f"/api/v4/channels/{cid}/posts", params={"before": ids[1], "per_page": 3})).json()
            assert last["order"] == [ids[0]] and last["prev_post_id"] == ""  # a short page: nothing older
            after = (await c.get(f"/api/v4/channels/{cid}/posts", params={"after": ids[1], "per_page": 2})).json()
            assert after["order"] == [ids[3], ids[2]] and after["prev_post_id"] == ids[1]
            bad = await c.get(f"/api/v4/channels/{cid}/posts", params={"before": "nope"})
            assert bad.status_code == 400 and bad.json()["id"] == "api.context.invalid_body_param.app_error"  # SetInvalidParam (web/context.go)
            # a private channel the reader is not in: 403, as Mattermost answers it
            dm = sim.ids["channels"]["dm_alice_bob"]
            denied = await c.get(f"/api/v4/channels/{dm}/posts", headers={"Authorization": "Bearer sam-token"})
            assert denied.status_code == 403


async def test_simulator_users_by_ids_and_members() -> None:
    with simulator() as (sim, url):
        users = sim.ids["users"]
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": "Bearer alice-token"}) as c:
            got = (await c.post("/api/v4/users/ids", json=[users["bob"], "x" * 26, users["carol"]])).json()
            assert [u["username"] for u in got] == ["bob", "carol"]  # unknown ids left out
            assert "email" not in got[0]  # another user's profile, sanitized for a non-admin
            for body in ([], {"ids": [users["bob"]]}, "bob"):
                bad = await c.post("/api/v4/users/ids", json=body)
                assert bad.status_code == 400 and "user_ids" in bad.json()["message"]
            assert (await c.get("/api/v4/users/ids")).status_code in (400, 404, 405)  # GET is not the route
            dm = sim.ids["channels"]["dm_alice_bob"]
            members = (await c.get(f"/api/v4/channels/{dm}/members")).json()
            assert sorted(m["user_id"] for m in members) == sorted([users["alice"], users["bob"]])


# ------------------------------------------------------------------ the item page and API


async def test_item_page_shows_names_participants_and_masked_posts(env: Env) -> None:
    sim = env.sim
    now_ms = int(time.time() * 1000)
    post(env.sim, "bob", "dm_alice_bob", "can you send the account details?", at=now_ms - 60_000)
    post(env.sim, "alice", "dm_alice_bob", f"card on file is {CARD} {MARKER}", at=now_ms - 50_000)
    post(env.sim, "bob", "dm_alice_bob", "thanks, and the SSN?", at=now_ms - 40_000)
    post(env.sim, "bob", "dm_alice_bob", "too old to be shown", at=now_ms - 70_000)
    item_id = await env.svc.hold(make_held(sim, sender="alice", channel="dm_alice_bob", created_at=now_ms / 1000 - 30))
    post(env.sim, "bob", "dm_alice_bob", "written after the hold", at=now_ms)

    async with httpx.AsyncClient(base_url=env.url) as c:
        assert (await sign_in(c, "carol", "carol-password")).status_code == 303
        page = await c.get(f"/items/{item_id}")
    assert page.status_code == 200
    html = page.text
    assert 'class="ctx-participants"><span class="ctx-user">@bob</span>' in html  # the other participant, not ids
    assert "direct message" in html
    assert CARD not in html and "**** **** **** 1111" in html  # masked by the detector
    assert "CREDIT_CARD" in html
    assert "can you send the account details?" in html and "thanks, and the SSN?" in html
    assert "too old to be shown" not in html  # only the last 3 (ContextSettings(posts=3))
    assert "written after the hold" not in html
    assert html.index("can you send the account") < html.index("thanks, and the SSN?")  # oldest first

    resp = await api(env, f"/api/v1/items/{item_id}/context")
    assert resp.status_code == 200
    data = resp.json()
    assert data["status"] == "ok" and data["posts_status"] == "ok" and data["rights"] == "bot"
    assert data["channel"]["type"] == "D" and data["channel"]["participants"] == ["bob"]
    assert data["channel"]["display_name"] == "alice, bob"
    assert [p["user"] for p in data["posts"]] == ["bob", "alice", "bob"]
    text = "".join(s["text"] for s in data["posts"][1]["segments"])
    assert CARD not in text and text.startswith("card on file is **** **** **** 1111")
    # an auditor (read-only) sees the same masked context; a bad token nothing
    assert (await api(env, f"/api/v1/items/{item_id}/context", AUDITOR)).status_code == 200
    assert (await api(env, f"/api/v1/items/{item_id}/context", "wrong")).status_code == 401
    assert (await api(env, "/api/v1/items/qnope/context")).status_code == 404


async def test_public_channel_names_and_team(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim, sender="bob", channel="private"))
    data = (await api(env, f"/api/v1/items/{item_id}/context")).json()
    assert data["channel"]["display_name"] == "Trading Desk"
    assert data["channel"]["team_name"] == "Acme Securities"
    assert data["channel"]["type"] == "P" and data["channel"]["participants"] == []
    assert data["posts"] == [] and data["posts_status"] == "ok"


async def test_context_is_never_stored(env: Env) -> None:
    now_ms = int(time.time() * 1000)
    post(env.sim, "alice", "town_square", f"the {MARKER} plan", at=now_ms - 5000)
    item_id = await env.svc.hold(make_held(env.sim, sender="bob", channel="town_square"))
    for _ in range(2):
        data = (await api(env, f"/api/v1/items/{item_id}/context")).json()
        assert any(MARKER in s["text"] for p in data["posts"] for s in p["segments"])
    # nothing of the posts in Redis, in any key or value
    dump = b""
    for key in await env.r.keys("*"):
        kind = (await env.r.type(key)).decode()
        dump += key
        if kind == "string":
            dump += await env.r.get(key) or b""
        elif kind == "hash":
            dump += b"".join(k + v for k, v in (await env.r.hgetall(key)).items())
        elif kind == "list":
            dump += b"".join(await env.r.lrange(key, 0, -1))
        elif kind == "zset":
            dump += b"".join(await env.r.zrange(key, 0, -1))
        elif kind == "stream":
            dump += b"".join(b"".join(k + v for k, v in f.items()) for _, f in await env.r.xrange(key))
    assert MARKER.encode() not in dump
    # the archive (the encrypted fallback log here) notes the view, once, without the text
    records = await env.svc.audit_log.records()
    views = [r for r in records if r.get("action") == "view_context"]
    assert len(views) == 1 and views[0]["item_id"] == item_id and views[0]["posts_shown"] == 1
    assert views[0]["actor"]["name"] == "api:soar"
    assert MARKER not in repr(records)


async def test_mattermost_unreachable_shows_context_unavailable(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim, sender="alice", channel="group"))
    async with httpx.AsyncClient(base_url=env.url) as c:
        assert (await sign_in(c, "carol", "carol-password")).status_code == 303
        async with httpx.AsyncClient() as sim_c:
            # every channel read fails from now on (the sign-in above is done)
            await sim_c.post(env.sim_url + "/__sim/faults", json={"status": 503, "path_prefix": "/api/v4/channels"})
        page = await c.get(f"/items/{item_id}")
        assert page.status_code == 200
        assert "Context unavailable" in page.text
        assert "Held message" in page.text and "***-**-8841" in page.text  # the rest of the page is there
        # a decision still works
        r = await c.post(f"/items/{item_id}/reject", data={"csrf": csrf_of(page.text), "reason": "not allowed"})
        assert r.status_code == 303


async def test_unreachable_upstream_never_raises(detector: Any) -> None:
    ctx = ConversationContext(None, f"http://127.0.0.1:{free_port()}",  # type: ignore[arg-type]
                              ContextSettings(token="t", timeout=2.0), detector=detector)  # fmt: skip
    item = {"id": "q1", "channel_id": "a" * 26, "created_at": time.time(), "history": []}
    out = await ctx.for_item(item, ADMIN)
    assert out["status"] == "unavailable" and out["posts_status"] == "unavailable"
    assert "unreachable" in out["reason"]
    none = ConversationContext(None, "http://127.0.0.1:1", ContextSettings(token=None))  # type: ignore[arg-type]
    assert (await none.for_item(dict(item), ADMIN))["status"] == "not_configured"
    await ctx.aclose()
    await none.aclose()


class Broken:
    def analyze(self, text: str, **_: Any) -> list[Finding]:
        raise RuntimeError("scan limit")


class Finds:
    def analyze(self, text: str, **_: Any) -> list[Finding]:
        i = text.find(SSN)
        return [Finding("US_SSN", i, i + len(SSN), 0.9, "t")] if i >= 0 else []


async def test_a_post_the_detector_cannot_check_is_withheld() -> None:
    ctx = ConversationContext(None, "http://x", ContextSettings(), detector=Broken())  # type: ignore[arg-type]
    assert await ctx.mask(f"my SSN {SSN}") is None
    assert await ctx.masked_plain(f"my SSN {SSN}") == WITHHELD
    ok = ConversationContext(None, "http://x", ContextSettings(), detector=Finds())  # type: ignore[arg-type]
    assert await ok.masked_plain(f"my SSN {SSN}.") == "my SSN ***-**-8841."
    assert await ok.mask("x" * 20000) is None  # longer than any Mattermost post: not scanned, not shown
    # the detector may be given as a factory, built once on first use
    built: list[int] = []

    def factory() -> Finds:
        built.append(1)
        return Finds()

    lazy = ConversationContext(None, "http://x", ContextSettings(), detector=factory)  # type: ignore[arg-type]
    await asyncio.gather(*(lazy.masked_plain(SSN) for _ in range(5)))
    assert built == [1]

    # a factory that fails: every post withheld, and the build is not retried for each one
    tries: list[int] = []

    def broken() -> Finds:
        tries.append(1)
        raise OSError("recognizers missing")

    now = [0.0]
    bad = ConversationContext(None, "http://x", ContextSettings(), detector=broken,  # type: ignore[arg-type]
                              clock=lambda: now[0])  # fmt: skip
    assert [await bad.masked_plain(SSN) for _ in range(3)] == [WITHHELD] * 3
    assert tries == [1]
    now[0] += 61
    assert await bad.masked_plain(SSN) == WITHHELD and tries == [1, 1]


async def test_names_are_cached_briefly_posts_never(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim, sender="alice", channel="dm_alice_bob"))
    env.sim.clear_recorded()
    for _ in range(3):
        assert (await api(env, f"/api/v1/items/{item_id}/context")).json()["status"] == "ok"
    paths = [r["path"] for r in env.sim.recorded()]
    cid = env.sim.ids["channels"]["dm_alice_bob"]
    assert paths.count(f"/api/v4/channels/{cid}") == 1  # the channel: once, then from memory
    assert paths.count(f"/api/v4/channels/{cid}/members") == 1
    assert paths.count(f"/api/v4/channels/{cid}/posts") == 3  # the posts: every view


async def test_decided_reason_stays_visible_masked(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim, sender="alice", channel="private"))
    await env.svc.comment(item_id, ADMIN, "Asked the desk head about it")
    await env.svc.reject(item_id, ADMIN, f"Client SSN {SSN} may not go to this channel", notify=False)
    async with httpx.AsyncClient(base_url=env.url) as c:
        assert (await sign_in(c, "carol", "carol-password")).status_code == 303
        html = (await c.get(f"/items/{item_id}")).text
    assert "The content was destroyed" in html  # the item itself was shredded ...
    assert "Asked the desk head about it" in html  # ... but the history keeps its notes, from the archive
    # archived masked in full (quarantine/masking.py reason_masker): no digit of it is kept
    assert "Client SSN ***-**-**** may not go to this channel" in html and "8841" not in shown(html)
    hist = (await api(env, f"/api/v1/items/{item_id}/context")).json()["history"]
    notes = {h["action"]: h for h in hist}
    assert notes["reject"]["note_from_archive"] is True
    assert notes["reject"]["note"] == "Client SSN ***-**-**** may not go to this channel"
    listed = {h["action"]: h for h in (await api(env, f"/api/v1/items/{item_id}")).json()["history"]}
    assert listed["reject"]["note"] == notes["reject"]["note"] and listed["comment"]["note_from_archive"] is True


def test_context_settings_bounds(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="posts"):
        ContextSettings(posts=51)
    assert ContextSettings().posts == 5


async def test_a_reply_gets_its_thread(env: Env) -> None:
    """A held reply: the posts before it in its thread (GET /posts/{root}/thread),
    not the channel's latest chatter."""
    sim, now_ms = env.sim, int(time.time() * 1000)
    root = post(sim, "bob", "town_square", "Thread: client onboarding", at=now_ms - 90_000)
    post(sim, "alice", "town_square", "unrelated channel chatter", at=now_ms - 20_000)
    with sim.lock:
        reply = sim.create_post({"channel_id": sim.ids["channels"]["town_square"], "message": "which form?",
                                 "root_id": root}, sim.ids["users"]["carol"])  # fmt: skip
        sim.posts[reply["id"]]["create_at"] = now_ms - 60_000
    item_id = await env.svc.hold(make_held(sim, sender="alice", channel="town_square", root_id=root,
                                           created_at=now_ms / 1000 - 10))  # fmt: skip
    data = (await api(env, f"/api/v1/items/{item_id}/context")).json()
    assert data["posts_source"] == "thread"
    assert [("".join(s["text"] for s in p["segments"]), p["user"]) for p in data["posts"]] == [
        ("Thread: client onboarding", "bob"), ("which form?", "carol")]
    # the root gone: the channel instead
    with sim.lock:
        sim.posts[root]["delete_at"] = now_ms
    data = (await api(env, f"/api/v1/items/{item_id}/context")).json()
    assert data["posts_source"] == "channel" and data["posts_status"] == "ok"
    assert "unrelated channel chatter" in [p["segments"][0]["text"] for p in data["posts"]]


async def test_simulator_thread_shape() -> None:
    with simulator() as (sim, url):
        root = post(sim, "alice", "town_square", "root", at=1_700_000_100_000)
        p = sim.create_post({"channel_id": sim.ids["channels"]["town_square"], "message": "re", "root_id": root},
                            sim.ids["users"]["bob"])  # fmt: skip
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": "Bearer alice-token"}) as c:
            for pid in (root, p["id"]):  # the thread of the root or of any reply
                t = (await c.get(f"/api/v4/posts/{pid}/thread")).json()
                assert t["order"] == [p["id"], root] and set(t["posts"]) == {root, p["id"]}
            missing = await c.get(f"/api/v4/posts/{'z' * 26}/thread")
            assert missing.status_code == 404 and missing.json()["id"] == "app.post.get.app_error"


async def test_queue_names_channels_and_dm_participants(env: Env) -> None:
    await env.svc.hold(make_held(env.sim, sender="alice", channel="dm_alice_bob"))
    await env.svc.hold(make_held(env.sim, sender="alice", channel="group"))
    await env.svc.hold(make_held(env.sim, sender="bob", channel="private"))
    async with httpx.AsyncClient(base_url=env.url) as c:
        assert (await sign_in(c, "carol", "carol-password")).status_code == 303
        html = (await c.get("/")).text
        assert '<span class="ctx-label">@alice, @bob</span>' in html  # the DM's people, not its id
        assert '<span class="ctx-label">@alice, @bob, @carol</span>' in html
        assert '<span class="ctx-label">Trading Desk</span>' in html
        async with httpx.AsyncClient() as sim_c:
            await sim_c.post(env.sim_url + "/__sim/faults", json={"status": 503, "path_prefix": "/api/v4/"})
        # names already resolved stay for a minute; the queue never depends on Mattermost
        assert (await c.get("/")).status_code == 200
    fresh = ConversationContext(None, env.sim_url, ContextSettings(token="dlp-bot-token"))  # type: ignore[arg-type]
    items = [{"channel_id": env.sim.ids["channels"]["private"]}, {"channel_id": "not-an-id"}]
    assert await fresh.labels(items) == {}  # Mattermost failing: nothing resolved, nothing raised
    await fresh.aclose()


async def test_name_cache_expires_on_the_injected_clock(detector: Any) -> None:
    now = [1000.0]
    with simulator() as (sim, url):
        ctx = ConversationContext(None, url, ContextSettings(token="dlp-bot-token", cache_seconds=60.0),  # type: ignore[arg-type]
                                  detector=detector, clock=lambda: now[0])  # fmt: skip
        item = {"id": "q1", "channel_id": sim.ids["channels"]["private"], "sender_id": ""}
        cid = item["channel_id"]

        def reads() -> int:
            return sum(1 for r in sim.recorded() if r["path"] == f"/api/v4/channels/{cid}")

        assert (await ctx.channel(item, "dlp-bot-token"))["display_name"] == "Trading Desk"
        with sim.lock:
            sim.channels[cid]["display_name"] = "Trading Desk (renamed)"
        now[0] += 59
        assert (await ctx.channel(item, "dlp-bot-token"))["display_name"] == "Trading Desk"  # from memory
        assert reads() == 1
        now[0] += 2
        assert (await ctx.channel(item, "dlp-bot-token"))["display_name"] == "Trading Desk (renamed)"
        assert reads() == 2
        await ctx.aclose()
