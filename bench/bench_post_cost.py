"""CPU of the parts of judging a post that the gateway does in its own process, in
process and without the network: stable enough to compare two checkouts on a busy
machine, where end-to-end runs (bench_gateway.py) drift by 2x.

    .venv/bin/python bench/bench_post_cost.py [--repeat 7] [--base-root /tmp/base]

Each figure is the best of ``--repeat`` timings (``time.process_time``) of a loop:

- ``post_items_us``: ``Pipeline._scan`` of the items the web app's createPost body
  yields (message, Mattermost ids and timestamps), one clean chat message;
- ``window_us``: the split-message window's scan after six chat posts with numbers
  (``SplitWindow.check``'s joined text, ``Engine.analyze`` with ``JOINED_TEXT`` set, as
  the window scans it);
- ``plan_us``: ``split.plan`` of a chat post with a number against a full window
  (124 earlier pieces, at the gateway's default ``DLP_SPLIT_MAX_FRAGMENTS``);
- ``findings_back_ms``: what a digit-heavy post's ~1,000 findings cost the event loop
  when they come back from a scan worker (unpickling the worker's answer);
- ``dense_loop_ms``: the event loop thread's CPU for ``Pipeline.handle`` of a post of
  ~1,000 account numbers, its scan in a thread (a worker in the gateway): evaluation,
  record and hand-off of its findings (``dense_loop_cost``);
- ``handle_us``: ``Pipeline.handle`` of one whole createPost request, averaged over the
  21 chat messages of bench_gateway.py's ``clean`` scenario (7 with numbers), with the
  split-message window on the Redis at 127.0.0.1:6379 (its own key prefix, deleted
  after; the gateway's default window size) and an archive that keeps nothing: what the gateway's own code costs a post
  on the event loop, without mitmproxy, the network or the archive's disk;
  ``handle_piece_us`` / ``handle_plain_us``: the same for the 5 messages that go into the
  split-message window (``split.may_carry_a_piece``) and for the 16 others;
  ``handle_dirty_us``: the same for the ``mix`` scenario's 3 posts with an identifier
  (blocked; their sender notice, sent after the answer, is not included);
- ``reply_array_us`` / ``reply_packed_us``: a Lua script's reply of a full split window
  (124 fragments of 150 bytes) on the event loop, as an array (what ``_PUSH_LUA``
  returns) and as one ``<length>:<blob>`` string split in Python (what it returned
  before): the script call and the reply, on the Redis at 127.0.0.1:6379;
- ``notice_us``: the event loop thread's CPU for one sender notice's POST as
  ``MattermostNotifier`` sends it (httpx, a kept-alive connection) to the simulator
  (``dlp-proxy simulate``, started for it), 3 % of the ``mix``'s posts.

With ``--base-root`` the same is run from that checkout (an earlier commit) too, in
alternation, and both are printed side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def best(fn, n: int, repeat: int) -> float:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        out.append((time.process_time() - t0) / n)
    return min(out)


def measure(repeat: int) -> dict[str, float]:
    sys.path.insert(0, os.getcwd())
    from dlp_proxy.detect import build_detector
    from dlp_proxy.gateway import filescan
    from dlp_proxy.gateway.pipeline import Pipeline, classify_path, decode_and_extract
    from dlp_proxy.model import SENSITIVE_ENTITIES, ContentItem, RequestContext
    from dlp_proxy.policy import split
    from dlp_proxy.policy.engine import load_policy

    det = build_detector(ner=False)
    policy = load_policy(hash_key=b"k" * 32)
    uid, channel = "of87r5na6sdaxwg9ik1ik3gboy", "y7kk5cjibi194smnz58ymwypmh"
    now = int(time.time() * 1000)
    body = json.dumps({"file_ids": [], "message": "Desk meeting moved to 3:30, room 12", "channel_id": channel,
                       "root_id": "", "pending_post_id": f"{uid}:{now}", "user_id": uid, "create_at": 0,
                       "metadata": {}, "props": {}, "update_at": now, "reply_count": 0}).encode()
    m, _ = classify_path("POST", "/api/v4/posts")
    _, ex = decode_and_extract(m.route, body, "", "application/json", "", 1 << 20)
    ctx = RequestContext(route="posts.create", route_group="posts", channel_id=channel, user_id=uid)
    entities = policy.required_entities(ctx)
    pipeline = Pipeline(detector=det, policy=lambda: policy, archive=None, context=None,  # type: ignore[arg-type]
                        quarantine=None, hash_key=b"h" * 32)
    loop = asyncio.new_event_loop()
    items = list(ex.items)
    post_items = best(lambda: loop.run_until_complete(pipeline._scan(items, entities)), 300, repeat)

    msgs = ["Desk meeting moved to 3:30, room 12", "Can you check order 4471 before the close?", "Call me at ext 221",
            "Moved 2pm to 4pm", "Q3 deck is v12 now", "Room 7 is free at 10"]
    if hasattr(split, "plan"):  # the channel window (pairs both ways, chains)
        scan = split.plan([split.Piece(float(i), x) for i, x in enumerate(msgs[:5])], split.Piece(9.0, msgs[5]),
                          31, 256)
        text = scan.text if scan is not None else ""
    else:  # an earlier checkout: one user's chain
        pieces = [split._earlier_piece(x) for x in msgs[:5]]
        head, _ = split._new_piece(msgs[5])
        text = split._candidates_text(pieces, head).text
    # as the window scans it (policy/split.py ``_analyze``): a joined text, whose lines
    # are no pieces of one message (an earlier checkout without the flag reads it as is)
    import dlp_proxy.model as model_mod

    joined = getattr(model_mod, "JOINED_TEXT", None)
    token = joined.set(True) if joined is not None else None
    try:
        window = best(lambda: det.analyze(text, entities=SENSITIVE_ENTITIES), 100, repeat)
    finally:
        if joined is not None and token is not None:
            joined.reset(token)
    # ``split.plan`` over a full channel window: at the gateway's default size (32) a new
    # piece is planned against READ_FACTOR * 31 = 124 earlier ones (here 5 texts in turn)
    full = [split.Piece(float(i), msgs[i % 5]) for i in range(124)]
    plan_cost = best(lambda: split.plan(full, split.Piece(200.0, msgs[5]), 31, 256), 100, repeat) \
        if hasattr(split, "plan") else 0.0

    digits = " ".join(f"acct {i:09d}" for i in range(2000))[:16_000]
    scanned = det.scan([ContentItem("body.message", digits)], entities=entities)
    if hasattr(filescan, "pack_findings"):
        answer = pickle.dumps(([filescan.pack_findings(s.findings) for s in scanned], 0.1))

        def back() -> None:
            packed, _ = pickle.loads(answer)
            [filescan.unpack_findings(fs) for fs in packed]
    else:
        answer = pickle.dumps((scanned, 0.1))

        def back() -> None:
            pickle.loads(answer)
    findings_back = best(back, 5, repeat)
    pipeline.scan_pool.shutdown()
    replies = reply_cost(repeat)
    notice = notice_cost(repeat)
    handle = handle_cost(det, policy, uid, channel, repeat)
    dense = dense_loop_cost(det, policy, uid, channel, repeat)
    return {"post_items_us": round(post_items * 1e6, 1), "window_us": round(window * 1e6, 1),
            "plan_us": round(plan_cost * 1e6, 1),
            "findings_back_ms": round(findings_back * 1e3, 2), "findings": len(scanned[0].findings),
            "handle_us": round(handle["handle"] * 1e6, 1), "handle_piece_us": round(handle["piece"] * 1e6, 1),
            "handle_plain_us": round(handle["plain"] * 1e6, 1), "handle_dirty_us": round(handle["dirty"] * 1e6, 1),
            "dense_loop_ms": round(dense * 1e3, 2), "notice_us": round(notice * 1e6, 1),
            "reply_array_us": round(replies["array"] * 1e6, 1), "reply_packed_us": round(replies["packed"] * 1e6, 1)}


#: bench/wrk_gateway.lua's clean messages
CLEAN = [
    "Lunch at noon?", "The Q3 deck is in the shared drive.", "Order #4471 ships Friday, ticket 20931.",
    "Can you review the model portfolio before the 2pm call?", "Market opens in 10 minutes.",
    "Thanks, looks good to me.", "Rebalancing request for the growth sleeve is approved.",
    "Hey team, quick reminder that the quarterly review moved to Thursday afternoon.",
    "Please bring the updated onboarding checklist and the compliance training notes.",
    "Markets were choppy this morning but the desk handled the flow well.",
    "Can someone take a look at the draft client letter before it goes out?",
    "I'll be out of office on Friday, Sam is covering my book.",
    "Call moved to 3:30pm ET, dial-in is the usual bridge.",
    "Thanks all for the great work on the migration, it went smoothly.",
    "SPX closed at 5,948.71, up 0.4% on the day.",
    "Let's sync after lunch about the new account opening workflow.",
    "Who has the latest version of the best-execution deck?",
    "Room 1204 is booked from 10 to 11:30",
    "Client asked about rebalancing into more fixed income, I'll follow up.",
    "Heads up, the VPN will be down for maintenance tonight.",
    "Reminder: annual attestation is due by the end of the month.",
]


def reply_cost(repeat: int) -> dict[str, float]:
    """``reply_array_us`` / ``reply_packed_us``: best of ``repeat`` timings
    (``time.thread_time``) of 100 script calls."""
    import redis.asyncio as aioredis

    async def run() -> dict[str, float]:
        client = aioredis.Redis(host="127.0.0.1", port=6379)
        name = f"bench-post-cost:{os.getpid()}:reply"
        try:
            await client.rpush(name, *[os.urandom(150) for _ in range(124)])
            array = client.register_script("return redis.call('LRANGE', KEYS[1], 0, -1)")
            packed = client.register_script(
                "local b = redis.call('LRANGE', KEYS[1], 0, -1) local out = {} "
                "for i = 1, #b do out[#out + 1] = string.len(b[i]) .. ':' .. b[i] end return table.concat(out)")

            async def as_array() -> list[bytes]:
                return list(await array(keys=[name]))

            async def as_packed() -> list[bytes]:
                raw, out, i = bytes(await packed(keys=[name])), [], 0
                while i < len(raw):
                    colon = raw.index(b":", i)
                    end = colon + 1 + int(raw[i:colon])
                    out.append(raw[colon + 1:end])
                    i = end
                return out

            assert await as_array() == await as_packed()
            best: dict[str, float] = {}
            for label, fn in (("array", as_array), ("packed", as_packed)):
                spent = []
                for _ in range(repeat):
                    t0 = time.thread_time()
                    for _ in range(100):
                        await fn()
                    spent.append((time.thread_time() - t0) / 100)
                best[label] = min(spent)
            return best
        finally:
            await client.delete(name)
            await client.aclose()

    return asyncio.run(run())


def notice_cost(repeat: int) -> float:
    """``notice_us``: best of ``repeat`` timings (``time.thread_time``) of 20 sender
    notices posted the way ``MattermostNotifier.notify`` posts one."""
    import httpx

    from tests.conftest import start_simulator, stop

    sim = start_simulator()

    async def run() -> float:
        token = sim.token("dlp-bot")
        body = {"user_id": str(sim.ids["users"]["alice"]),
                "post": {"channel_id": sim.channel("town_square"), "message": "Your message was not sent: " + "x" * 160,
                         "props": {"from_dlp_proxy": True, "dlp_record_id": "r" * 28}}}
        async with httpx.AsyncClient(base_url=sim.url) as client:
            async def notice() -> None:
                resp = await client.post("/api/v4/posts/ephemeral", json=body,
                                         headers={"Authorization": f"Bearer {token}"})
                assert resp.status_code < 300, resp.status_code
            for _ in range(10):
                await notice()
            spent = []
            for _ in range(repeat):
                t0 = time.thread_time()
                for _ in range(20):
                    await notice()
                spent.append((time.thread_time() - t0) / 20)
        return min(spent)

    try:
        return asyncio.run(run())
    finally:
        stop(sim.proc)


def _dirty() -> list[str]:
    """bench/wrk_gateway.lua's posts with an identifier (the ``mix`` scenario's 1 in 33)."""
    from dlp_proxy.policy.testing import CARD, SSN

    return [f"Client SSN is {SSN}, please update the account",
            f"New client: SSN {SSN.replace('-', ' ')}, open the IRA today",
            f"Card {CARD} exp 09/27 for the wire fee"]


class _NoArchive:
    async def append(self, record: Any) -> str:
        return "r"


def handle_cost(det: Any, policy: Any, uid: str, channel: str, repeat: int) -> dict[str, float]:
    import redis.asyncio as aioredis

    from dlp_proxy.gateway.pipeline import GatewayRequest, Pipeline
    from dlp_proxy.policy import split
    from dlp_proxy.policy.split import SplitWindow

    async def run() -> dict[str, float]:
        client = aioredis.Redis(host="127.0.0.1", port=6379)
        prefix = f"bench-post-cost:{os.getpid()}:"
        try:  # the gateway's own window (DLP_SPLIT_MAX_FRAGMENTS, DLP_SPLIT_WINDOW_SECONDS)
            from dlp_proxy.settings import Settings

            fields = Settings.model_fields
            max_messages = int(fields["split_max_fragments"].default)
            ttl = int(fields["split_window_seconds"].default)
        except (ImportError, KeyError, AttributeError):
            max_messages, ttl = 12, 1800
        window = SplitWindow(client, key=b"s" * 32, max_messages=max_messages, ttl_seconds=ttl, prefix=prefix)
        pipeline = Pipeline(detector=det, policy=lambda: policy, archive=_NoArchive(), context=None,  # type: ignore[arg-type]
                            quarantine=None, hash_key=b"h" * 32, split_window=window)
        def post(i: int, message: str) -> GatewayRequest:
            now = int(time.time() * 1000) + i
            body = json.dumps({"file_ids": [], "message": message, "channel_id": channel, "root_id": "",
                               "pending_post_id": f"{uid}:{now}", "user_id": uid, "create_at": 0, "metadata": {},
                               "props": {}, "update_at": now, "reply_count": 0}).encode()
            return GatewayRequest("POST", "/api/v4/posts", {"content-type": "application/json"}, body,
                                  client_ip="127.0.0.1")

        reqs = [post(i, message) for i, message in enumerate(CLEAN)]
        dirty = [post(i, message) for i, message in enumerate(_dirty())]
        # no context resolver: the split window is keyed by the user id, so give the
        # pipeline one through a context that names the user
        pipeline._context = _fixed_context(pipeline._context, uid)  # type: ignore[method-assign]
        times: list[float] = []
        kinds: dict[str, list[float]] = {"piece": [], "plain": [], "dirty": []}
        piece = [split.may_carry_a_piece(m) for m in CLEAN]
        try:
            for _ in range(repeat):
                spent = {"piece": 0.0, "plain": 0.0}
                t0 = time.process_time()
                for _ in range(10):
                    for r, has_piece in zip(reqs, piece, strict=True):
                        t1 = time.process_time()
                        v = await pipeline.handle(r)
                        spent["piece" if has_piece else "plain"] += time.process_time() - t1
                        assert v.forward, v
                times.append((time.process_time() - t0) / (10 * len(reqs)))
                kinds["piece"].append(spent["piece"] / (10 * sum(piece)))
                kinds["plain"].append(spent["plain"] / (10 * (len(piece) - sum(piece))))
                t0 = time.process_time()
                for _ in range(10):
                    for r in dirty:
                        v = await pipeline.handle(r)
                        assert not v.forward, v
                kinds["dirty"].append((time.process_time() - t0) / (10 * len(dirty)))
        finally:
            keys = [k async for k in client.scan_iter(match=prefix + "*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
            pipeline.scan_pool.shutdown()
        return {"handle": min(times), "piece": min(kinds["piece"]), "plain": min(kinds["plain"]),
                "dirty": min(kinds["dirty"])}

    return asyncio.run(run())


def dense_loop_cost(det: Any, policy: Any, uid: str, channel: str, repeat: int) -> float:
    """The event loop thread's CPU (``time.thread_time``) for ``Pipeline.handle`` of a
    createPost whose message holds ~1,000 account numbers: its scan runs in the
    pipeline's scan thread (a worker process in the gateway), so what is left is the
    loop's share (findings back, evaluation, record, archive hand-off).  Best of
    ``repeat``; no split window, an archive that keeps nothing."""
    from dlp_proxy.gateway.pipeline import GatewayRequest, Pipeline

    digits = " ".join(f"acct {i:09d}" for i in range(2000))[:16_000]
    now = int(time.time() * 1000)
    body = json.dumps({"file_ids": [], "message": digits, "channel_id": channel, "root_id": "",
                       "pending_post_id": f"{uid}:{now}", "user_id": uid, "create_at": 0, "metadata": {},
                       "props": {}, "update_at": now, "reply_count": 0}).encode()
    req = GatewayRequest("POST", "/api/v4/posts", {"content-type": "application/json"}, body, client_ip="127.0.0.1")

    async def run() -> float:
        pipeline = Pipeline(detector=det, policy=lambda: policy, archive=_NoArchive(), context=None,  # type: ignore[arg-type]
                            quarantine=None, hash_key=b"h" * 32)
        pipeline._context = _fixed_context(pipeline._context, uid)  # type: ignore[method-assign]
        spent = []
        try:
            for _ in range(repeat + 1):
                t0 = time.thread_time()
                v = await pipeline.handle(req)
                spent.append(time.thread_time() - t0)
                assert not v.forward, v
        finally:
            pipeline.scan_pool.shutdown()
        return min(spent[1:])

    return asyncio.run(run())


def _fixed_context(real: Any, uid: str) -> Any:
    from dataclasses import replace

    async def ctx(*args: Any, **kwargs: Any) -> Any:
        return replace(await real(*args, **kwargs), user_id=uid)
    return ctx


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3, help="alternations between the checkouts")
    ap.add_argument("--base-root")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.repeat)))
        return 0
    roots = {"this": ROOT}
    if args.base_root:
        roots["base"] = Path(args.base_root).resolve()
    results: dict[str, list[dict[str, float]]] = {k: [] for k in roots}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for _ in range(args.rounds):
        for name, root in roots.items():
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--repeat", str(args.repeat)],
                                 cwd=root, env=env, capture_output=True, text=True, check=True)
            results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    for name, runs in results.items():
        merged = {k: min(r[k] for r in runs) for k in runs[0]}
        print(name, json.dumps(merged))
    return 0


if __name__ == "__main__":
    sys.exit(main())
