"""Thread moves and releases judged where the content lands, end to end: the real
gateway process (its own Redis), the simulator, the quarantine CLI.

POST /api/v4/posts/{id}/move names only the destination; Mattermost copies the whole
thread there (app/post.go MoveThread, CopyWranglerPostlist: messages, props, files).
The gateway reads the thread as the caller and judges it under the destination's
channel type (gateway/moves.py).  A held message is judged again at its release,
under the channel as it is then (gateway/rejudge.py).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Gateway, Simulator, archive_records, start_gateway, stop, wait_for
from tests.test_quarantine_gateway import _cli

SSN_TEXT = "Client SSN 536-22-8710 for the transfer"


@pytest.fixture(scope="module")
def mgw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("mgw"))
    yield gw
    stop(gw.proc)


# ------------------------------------------------------------------ helpers (straight to the simulator)

def _as(sim: Simulator, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.token(user)}"}


def _channel(sim: Simulator, ctype: str = "P", user: str = "alice") -> str:
    r = httpx.post(f"{sim.url}/api/v4/channels", headers=_as(sim, user), timeout=10, json={
        "team_id": sim.ids["team"], "name": "m" + uuid.uuid4().hex[:12], "display_name": "Move test", "type": ctype})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


def _post(sim: Simulator, channel: str, message: str, root: str = "", file_ids: list[str] | None = None) -> str:
    body: dict[str, Any] = {"channel_id": channel, "message": message, "root_id": root}
    if file_ids:
        body["file_ids"] = file_ids
    r = httpx.post(f"{sim.url}/api/v4/posts", headers=_as(sim, "alice"), json=body, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _file(sim: Simulator, channel: str, name: str, data: bytes) -> str:
    r = httpx.post(f"{sim.url}/api/v4/files?channel_id={channel}&filename={name}", headers=_as(sim, "alice"),
                   content=data, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["file_infos"][0]["id"])


def _moves(sim: Simulator) -> list[dict[str, Any]]:
    return list(httpx.get(f"{sim.url}/__sim/moves", timeout=10).json())


def _move(gw: Gateway, post_id: str, to: str) -> httpx.Response:
    with gw.client("alice") as c:
        return c.post(f"/api/v4/posts/{post_id}/move", json={"channel_id": to})


def _reached(sim: Simulator, post_id: str) -> bool:
    return any(r["path"] == f"/api/v4/posts/{post_id}/move" for r in sim.requests())


def _decision(gw: Gateway, request_id: str) -> dict[str, Any]:
    return next(r for r in archive_records(gw.data_dir) if r.get("request_id") == request_id)


# ------------------------------------------------------------------ moves

def test_thread_with_an_ssn_moved_from_a_dm_to_a_public_channel_is_stopped(mgw: Gateway) -> None:
    sim = mgw.sim
    dm, town = sim.channel("dm_alice_bob"), sim.channel("town_square")
    root = _post(sim, dm, "about the transfer we discussed")
    _post(sim, dm, SSN_TEXT, root=root)  # the identifier is in a reply, the request names the root
    r = _move(mgw, root, town)
    assert r.status_code == 403, r.text
    assert r.json()["id"] == "api.dlp.blocked.app_error"
    assert not _reached(sim, root)
    assert all(m["post_id"] != root for m in _moves(sim))
    rec = _decision(mgw, r.json()["request_id"])
    assert rec["route"] == "posts.move" and rec["action"] == "block" and rec["rule_id"] == "npi-public"
    assert rec["context"]["channel_type"] == "O"  # the destination's type, not the DM's
    assert "536-22-8710" not in json.dumps(rec)


def test_ssn_in_a_file_of_the_thread_is_judged_too(mgw: Gateway) -> None:
    sim = mgw.sim
    private = _channel(sim)
    fid = _file(sim, private, "notes.txt", f"Customer list\n{SSN_TEXT}\n".encode())
    root = _post(sim, private, "notes attached", file_ids=[fid])
    r = _move(mgw, root, sim.channel("town_square"))
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.blocked.app_error", r.text
    assert not _reached(sim, root)
    rec = _decision(mgw, r.json()["request_id"])
    assert any(f["path"].startswith("thread.file[0]") for f in rec["findings"]), rec["findings"]


def test_a_clean_thread_is_moved(mgw: Gateway) -> None:
    sim = mgw.sim
    private, town = _channel(sim), sim.channel("town_square")
    root = _post(sim, private, "lunch at noon?")
    _post(sim, private, "yes, order #4471 ships Friday", root=root)
    r = _move(mgw, root, town)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "OK"}
    moved = [m for m in _moves(sim) if m["post_id"] == root]
    assert len(moved) == 1 and moved[0]["to_channel_id"] == town and len(moved[0]["post_ids"]) == 2
    landed = {p["message"] for p in sim.posts() if p["channel_id"] == town and p["id"] in moved[0]["post_ids"]}
    assert landed == {"lunch at noon?", "yes, order #4471 ships Friday"}


def test_a_thread_that_cannot_be_read_is_not_moved(mgw: Gateway) -> None:
    sim = mgw.sim
    private = _channel(sim)
    root = _post(sim, private, "quarterly numbers")
    fault = {"status": 503, "path_prefix": f"/api/v4/posts/{root}/thread", "method": "GET", "count": 1}
    assert httpx.post(f"{sim.url}/__sim/faults", json=fault, timeout=10).status_code == 201
    try:
        r = _move(mgw, root, sim.channel("town_square"))
    finally:
        httpx.delete(f"{sim.url}/__sim/faults", timeout=10)
    assert r.status_code == 503, r.text
    body = r.json()
    assert body["id"] == "api.dlp.unavailable.app_error" and body["status_code"] == 503 and body["request_id"]
    assert not _reached(sim, root)
    rec = _decision(mgw, body["request_id"])
    assert rec["route"] == "posts.move" and rec["action"] == "block" and rec["rule_id"] == "move-thread-unreadable"


def test_a_move_the_caller_may_not_read_is_refused_unread(mgw: Gateway) -> None:
    sim = mgw.sim
    private = _channel(sim, user="bob")  # alice is not a member: Mattermost answers 403 to her thread read
    r = httpx.post(f"{sim.url}/api/v4/posts", headers=_as(sim, "bob"), json={"channel_id": private, "message": "x"},
                   timeout=10)
    root = str(r.json()["id"])
    r = _move(mgw, root, sim.channel("town_square"))
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.route_denied.app_error", r.text
    assert not _reached(sim, root)


def test_a_held_move_is_released_by_moving(mgw: Gateway) -> None:
    sim = mgw.sim
    private, dm = _channel(sim), sim.channel("dm_alice_bob")
    root = _post(sim, private, "for bob only")
    _post(sim, private, SSN_TEXT, root=root)
    r = _move(mgw, root, dm)
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    assert not _reached(sim, root)
    item = _item_for(mgw, r.json()["request_id"])
    ok = _cli(mgw, "approve", item, "--reason", "verified with the client by phone",
              "--principal", sim.ids["users"]["carol"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    deadline = time.monotonic() + 60
    while not (moved := [m for m in _moves(sim) if m["post_id"] == root]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(moved) == 1 and moved[0]["to_channel_id"] == dm
    assert _state(mgw, item) == "released"


# ------------------------------------------------------------------ releases judged again

def _item_for(gw: Gateway, request_id: str) -> str:
    listed = _cli(gw, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return next(i["id"] for i in json.loads(listed.stdout) if i.get("request_id") == request_id)


def _state(gw: Gateway, item: str) -> str:
    shown = _cli(gw, "show", item, "--json")
    assert shown.returncode == 0, shown.stderr
    return str(json.loads(shown.stdout)["state"])


def test_a_release_after_a_private_channel_became_public_is_not_delivered(mgw: Gateway) -> None:
    sim = mgw.sim
    private = _channel(sim)
    text = "Wire for the client, SSN 536-22-8710, approve please " + os.urandom(4).hex()
    with mgw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": private, "message": text})
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    item = _item_for(mgw, r.json()["request_id"])
    # converted directly on Mattermost: the gateway's channel cache still says private
    conv = httpx.put(f"{sim.url}/api/v4/channels/{private}/privacy", headers=_as(sim, "alice"),
                     json={"privacy": "O"}, timeout=10)
    assert conv.status_code == 200, conv.text
    ok = _cli(mgw, "approve", item, "--reason", "verified with the client by phone",
              "--principal", sim.ids["users"]["carol"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    deadline = time.monotonic() + 60
    while (state := _state(mgw, item)) in ("approved", "releasing") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert state == "release_refused"
    assert not [p for p in sim.posts() if text in p.get("message", "") and p.get("type", "") == ""]
    shown = json.loads(_cli(mgw, "show", item, "--json").stdout)
    assert "public" in shown["release_error"] and "npi-public" in shown["release_error"]
    refused = [r for r in archive_records(mgw.data_dir) if r.get("type") == "review" and r.get("item_id") == item
               and r.get("action") == "release_refused"]
    assert len(refused) == 1 and "public" in refused[0]["reason"]
    # the reviewer closes it: rejected, the sender told, never delivered
    rej = _cli(mgw, "reject", item, "--reason", "channel is public now", "--principal", sim.ids["users"]["carol"])
    assert rej.returncode == 0, rej.stdout + rej.stderr
    assert _state(mgw, item) == "rejected"
    assert not [p for p in sim.posts() if text in p.get("message", "") and p.get("type", "") == ""]


def test_a_hold_made_after_a_conversion_the_cache_has_not_seen_is_a_block(mgw: Gateway) -> None:
    sim = mgw.sim
    private = _channel(sim)
    with mgw.client("alice") as c:
        first = c.post("/api/v4/posts", json={"channel_id": private, "message": "morning all"})
        assert first.status_code == 201, first.text  # the gateway now has the channel cached as private
        conv = httpx.put(f"{sim.url}/api/v4/channels/{private}/privacy", headers=_as(sim, "alice"),
                         json={"privacy": "O"}, timeout=10)
        assert conv.status_code == 200, conv.text
        r = c.post("/api/v4/posts", json={"channel_id": private, "message": SSN_TEXT})
        # the cached type would hold it; read afresh, the channel is public: blocked
        assert r.status_code == 403 and r.json()["id"] == "api.dlp.blocked.app_error", r.text
        clean = c.post("/api/v4/posts", json={"channel_id": private, "message": "lunch at noon?"})
        assert clean.status_code == 201, clean.text
    rec = _decision(mgw, r.json()["request_id"])
    assert rec["rule_id"] == "npi-public" and rec["context"]["channel_type"] == "O"


# ------------------------------------------------------------------ hostile thread answers

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=_json | st.fixed_dictionaries({"order": _json, "posts": st.dictionaries(st.text(max_size=26), _json)}))
def test_any_thread_answer_is_judged_or_refused(doc: Any) -> None:
    import asyncio

    import redis.asyncio as aioredis

    from dlp_proxy.gateway.context import ContextResolver
    from dlp_proxy.gateway.moves import MovedThread, MoveUnreadable, moved_thread

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/thread"):
            return httpx.Response(200, json=doc)
        return httpx.Response(200, content=b"file bytes")

    async def run() -> MovedThread | MoveUnreadable:
        client = httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(answer))
        resolver = ContextResolver(aioredis.Redis(), client, hash_key=b"k" * 32)
        try:
            return await moved_thread(resolver, "tok", "a" * 26, max_file_bytes=1024, file_timeout=5)
        except MoveUnreadable as exc:
            return exc
        finally:
            await client.aclose()

    out = asyncio.run(run())
    assert isinstance(out, MovedThread | MoveUnreadable)
    if isinstance(out, MovedThread):
        assert all(i.path.startswith("thread") for i in out.items)


# ------------------------------------------------------------------ the thread is frozen while it moves

def _held(sim: Simulator, path: str, method: str, *, status: int | None = None) -> None:
    """Mattermost holds the next ``method path`` (recorded first, answered later):
    the test waits for the record, never for a timer."""
    fault: dict[str, Any] = {"delay_ms": 8000, "path_prefix": path, "method": method, "count": 1}
    if status is not None:
        fault["status"] = status
    assert httpx.post(f"{sim.url}/__sim/faults", json=fault, timeout=10).status_code == 201


def _wait_reached(sim: Simulator, path: str, method: str) -> None:
    wait_for(lambda: any(r["path"] == path and r["method"] == method for r in sim.requests()),
             f"{method} {path} to reach the simulator")


def _redis(gw: Gateway) -> Any:
    import redis

    return redis.Redis.from_url((gw.data_dir / "redis" / "url").read_text().strip())


def _patch(gw: Gateway, post_id: str, message: str) -> httpx.Response:
    with gw.client("alice") as c:
        return c.put(f"/api/v4/posts/{post_id}/patch", json={"message": message})


def _refused_as_moving(gw: Gateway, r: httpx.Response, route: str) -> None:
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["id"] == "api.dlp.thread_moving.app_error" and body["status_code"] == 409, body
    assert "being moved" in body["message"] or "being changed" in body["message"], body
    rec = _decision(gw, body["request_id"])
    assert rec["route"] == route and rec["action"] == "block", rec
    assert rec["rule_id"] == "thread-being-moved", rec


def test_writes_to_a_thread_are_refused_while_its_move_is_held_at_mattermost(mgw: Gateway) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sim = mgw.sim
    private, town = _channel(sim), sim.channel("town_square")
    root = _post(sim, private, "status update")
    reply = _post(sim, private, "thanks", root=root)
    _held(sim, f"/api/v4/posts/{root}/move", "POST")
    try:
        with ThreadPoolExecutor(1) as pool:
            moving = pool.submit(_move, mgw, root, town)
            _wait_reached(sim, f"/api/v4/posts/{root}/move", "POST")  # judged, marked, forwarded: held there
            # the marks name no post: keyed hashes only
            names = [k.decode() for k in _redis(mgw).scan_iter(match="dlp:moving:*", count=1000)]
            assert len(names) >= 2 and not any(root in n or reply in n for n in names), names
            r = _patch(mgw, reply, "client account number 536-22-8710")
            _refused_as_moving(mgw, r, "posts.patch")
            with mgw.client("alice") as c:
                up = c.put(f"/api/v4/posts/{reply}", json={"id": reply, "channel_id": private, "message": "edited"})
                _refused_as_moving(mgw, up, "posts.update")
                # a new reply, its root_id read as Go reads it (keys fold case, the last one wins)
                new = c.post("/api/v4/posts", content=json.dumps(
                    {"channel_id": private, "message": "one more", "ROOT_ID": root}).encode(),
                    headers={"Content-Type": "application/json"})
                _refused_as_moving(mgw, new, "posts.create")
                # another thread is not frozen
                other = _post(sim, private, "another thread")
                assert c.put(f"/api/v4/posts/{other}/patch", json={"message": "fine"}).status_code == 200
            moved = moving.result(timeout=60)
    finally:
        httpx.delete(f"{sim.url}/__sim/faults", timeout=10)
    assert moved.status_code == 200, moved.text
    # the marks were dropped before the client had the answer
    assert not list(_redis(mgw).scan_iter(match="dlp:moving:*", count=1000))
    landed = [m for m in _moves(sim) if m["post_id"] == root]
    assert len(landed) == 1
    assert {p["message"] for p in sim.posts() if p["id"] in landed[0]["post_ids"]} == {"status update", "thanks"}


def test_edits_work_again_once_mattermost_has_answered_the_move(mgw: Gateway) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sim = mgw.sim
    private, town = _channel(sim), sim.channel("town_square")
    root = _post(sim, private, "status update")
    reply = _post(sim, private, "thanks", root=root)
    _held(sim, f"/api/v4/posts/{root}/move", "POST", status=500)  # held, then Mattermost fails it
    try:
        with ThreadPoolExecutor(1) as pool:
            moving = pool.submit(_move, mgw, root, town)
            _wait_reached(sim, f"/api/v4/posts/{root}/move", "POST")
            _refused_as_moving(mgw, _patch(mgw, reply, "thanks again"), "posts.patch")
            failed = moving.result(timeout=60)
    finally:
        httpx.delete(f"{sim.url}/__sim/faults", timeout=10)
    assert failed.status_code == 500, failed.text
    # the thread stayed where it was and is no longer frozen
    r = _patch(mgw, reply, "thanks again")
    assert r.status_code == 200, r.text
    assert any(p["id"] == reply and p["message"] == "thanks again" for p in sim.posts())
    assert _move(mgw, root, town).status_code == 200


def test_a_move_while_an_edit_of_its_thread_is_held_is_refused(mgw: Gateway) -> None:
    from concurrent.futures import ThreadPoolExecutor

    sim = mgw.sim
    private, town = _channel(sim), sim.channel("town_square")
    root = _post(sim, private, "status update")
    reply = _post(sim, private, "thanks", root=root)
    _held(sim, f"/api/v4/posts/{reply}/patch", "PUT")
    try:
        with ThreadPoolExecutor(1) as pool:
            editing = pool.submit(_patch, mgw, reply, "thanks, all done")
            _wait_reached(sim, f"/api/v4/posts/{reply}/patch", "PUT")  # judged, marked, forwarded: held there
            names = [k.decode() for k in _redis(mgw).scan_iter(match="dlp:writing:*", count=1000)]
            assert names and not any(reply in n for n in names), names
            r = _move(mgw, root, town)
            _refused_as_moving(mgw, r, "posts.move")
            assert not _reached(sim, root)
            edited = editing.result(timeout=60)
    finally:
        httpx.delete(f"{sim.url}/__sim/faults", timeout=10)
    assert edited.status_code == 200, edited.text
    # the edit answered: the move goes through (and carries the edited reply, judged)
    assert _move(mgw, root, town).status_code == 200
    landed = [m for m in _moves(sim) if m["post_id"] == root]
    assert len(landed) == 1 and len(landed[0]["post_ids"]) == 2


@settings(max_examples=40, deadline=None)
@given(posts=st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=6, unique=True))
def test_freeze_marks_are_exclusive_for_moves_shared_for_writes_and_name_no_post(posts: list[str]) -> None:
    """ThreadFreeze on the real Redis (127.0.0.1:6379): hostile post ids never appear in
    key names; a move excludes writes and other moves, writes share; each owner
    drops only its own marks."""
    import asyncio

    import redis.asyncio as aioredis

    from dlp_proxy.gateway.moves import ThreadBusy, ThreadFreeze

    async def run() -> None:
        r = aioredis.Redis(host="127.0.0.1", port=6379)
        tf = ThreadFreeze(r, os.urandom(32))
        mine = list(posts)
        try:
            await tf.mark_writing("w1", mine[:1], 30)
            await tf.mark_writing("w2", mine[:1], 30)  # two writes to one post at once
            with pytest.raises(ThreadBusy):
                await tf.mark_moving("m1", mine, 30)
            assert not tf.holds("m1")
            await tf.release("w1")
            with pytest.raises(ThreadBusy):
                await tf.mark_moving("m1", mine, 30)  # w2 still writes
            await tf.release("w2")
            await tf.mark_moving("m1", mine, 30)
            names = tf._keys(mine)
            assert all([await r.exists(k) for k in names if k.startswith(tf.MOVING)])
            assert all(n.startswith((tf.MOVING, tf.WRITING)) and len(n.split(':')[-1]) == 32 for n in names)
            # the part after the key prefix (a post id may spell the prefix itself: 'dlp:writing:');
            # a short one may be hex by chance
            hashes = [n.split(":")[-1] for n in names]
            assert not any(p in h for p in mine for h in hashes if len(p) >= 12)
            with pytest.raises(ThreadBusy):
                await tf.mark_writing("w3", mine[-1:], 30)
            with pytest.raises(ThreadBusy):
                await tf.mark_moving("m2", mine[-1:], 30)
            await tf.release("w3")  # holds nothing: drops nothing
            assert await r.exists(tf._keys(mine[-1:])[0])
            await tf.release("m1")
            assert not any([await r.exists(k) for k in tf._keys(mine)])
            await tf.mark_writing("w4", mine, 30)
            await tf.release("w4")
        finally:
            await r.aclose()

    asyncio.run(run())


# ------------------------------------------------------------------ the destination read back

def _direct_patch(sim: Simulator, post_id: str, message: str) -> None:
    """A write that does not pass the gateway (a plugin, the API reached directly)."""
    r = httpx.put(f"{sim.url}/api/v4/posts/{post_id}/patch", headers=_as(sim, "alice"), json={"message": message},
                  timeout=10)
    assert r.status_code == 200, r.text


def _copy_of(sim: Simulator, root: str, message: str) -> dict[str, Any]:
    landed = [m for m in _moves(sim) if m["post_id"] == root]
    assert len(landed) == 1
    return next(p for p in sim.posts() if p["id"] in landed[0]["post_ids"] and p["message"] == message)


def _moved_remediations(gw: Gateway) -> list[dict[str, Any]]:
    return [r for r in archive_records(gw.data_dir) if r.get("route") == "posts.move" and r.get("action") == "remediated"]


def test_a_moved_thread_is_read_back_in_its_destination(mgw: Gateway) -> None:
    """What Mattermost copied (app/post.go MoveThread: CopyWranglerPostlist, then a
    system_wrangler reply on the new root) is read back and judged: a post changed
    behind the gateway's back between the judgment and the copy is remediated there."""
    from concurrent.futures import ThreadPoolExecutor

    sim = mgw.sim
    private, town = _channel(sim), sim.channel("town_square")
    root = _post(sim, private, "status update")
    reply = _post(sim, private, "thanks", root=root)
    before = len(_moved_remediations(mgw))
    _held(sim, f"/api/v4/posts/{root}/move", "POST")
    try:
        with ThreadPoolExecutor(1) as pool:
            moving = pool.submit(_move, mgw, root, town)
            _wait_reached(sim, f"/api/v4/posts/{root}/move", "POST")  # judged clean, forwarded, held there
            _direct_patch(sim, reply, SSN_TEXT)
            moved = moving.result(timeout=60)
    finally:
        httpx.delete(f"{sim.url}/__sim/faults", timeout=10)
    assert moved.status_code == 200, moved.text
    leaked = _copy_of(sim, root, SSN_TEXT)
    wait_for(lambda: next(p for p in sim.posts() if p["id"] == leaked["id"])["delete_at"],
             "the copied post with the SSN removed from the public channel")
    rec = wait_for(lambda: _moved_remediations(mgw)[before:], "the remediation record")[0]
    assert rec["policy_action"] == "block" and rec["remediation"] == "deleted" and "536-22-8710" not in json.dumps(rec)
    assert not _copy_of(sim, root, "status update")["delete_at"]  # the clean root stays


def test_a_released_move_is_frozen_while_sent_and_read_back(mgw: Gateway) -> None:
    """A held move judged again at its release reads its thread under the thread freeze
    (an edit through the gateway while the release is at Mattermost is refused 409),
    the marks are dropped once the send is over, and the copy is read back: what the
    reviewer approved stays, what changed behind the gateway's back is remediated."""
    sim = mgw.sim
    private, dm = _channel(sim), sim.channel("dm_alice_bob")
    root = _post(sim, private, "for bob only")
    reply = _post(sim, private, SSN_TEXT, root=root)
    r = _move(mgw, root, dm)
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    item = _item_for(mgw, r.json()["request_id"])
    before = len(_moved_remediations(mgw))
    _held(sim, f"/api/v4/posts/{root}/move", "POST")
    try:
        ok = _cli(mgw, "approve", item, "--reason", "verified with the client by phone",
                  "--principal", sim.ids["users"]["carol"])
        assert ok.returncode == 0, ok.stdout + ok.stderr
        _wait_reached(sim, f"/api/v4/posts/{root}/move", "POST")  # the release, judged again, at Mattermost
        _refused_as_moving(mgw, _patch(mgw, reply, "edited while it moves"), "posts.patch")
        _direct_patch(sim, root, "for bob only, account 536-22-8710 too")
        wait_for(lambda: _state(mgw, item) == "released", "the release answered")
    finally:
        httpx.delete(f"{sim.url}/__sim/faults", timeout=10)
    wait_for(lambda: not list(_redis(mgw).scan_iter(match="dlp:moving:*", count=1000)), "the marks dropped")
    changed = _copy_of(sim, root, "for bob only, account 536-22-8710 too")
    wait_for(lambda: next(p for p in sim.posts() if p["id"] == changed["id"])["delete_at"], "the changed root removed")
    rec = wait_for(lambda: _moved_remediations(mgw)[before:], "the remediation record")[0]
    assert rec["remediation"] == "deleted" and "536-22-8710" not in json.dumps(rec)
    assert not _copy_of(sim, root, SSN_TEXT)["delete_at"]  # what the reviewer approved is delivered
