"""kill -9 of Redis in the middle of a review burst: nothing lost, nothing released twice."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from dlp_proxy.quarantine import Actor, QuarantineService, QuarantineSettings
from dlp_proxy.simulator.state import Simulator
from tests.test_quarantine_support import (
    MASK_REASONS,
    MASTER,
    Clock,
    RedisServer,
    ephemerals,
    make_held,
    released_posts,
    simulator,
)

SAM = Actor("sam", frozenset({"approver"}), user_id="sam-id")


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, str]]:
    with simulator() as s:
        yield s


@pytest.mark.slow
async def test_kill9_redis_mid_review(tmp_path: Path, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    server = RedisServer(tmp_path / "redis")
    server.start()
    clock = Clock()
    client = aioredis.Redis.from_url(server.url, socket_timeout=3, socket_connect_timeout=1)
    svc = QuarantineService(
        client,
        master_key=MASTER, mask_text=MASK_REASONS,
        archive=None,
        upstream_url=url,
        settings=QuarantineSettings(notify_token="dlp-bot-token", retry_base=5),
        clock=clock,
    )
    try:
        helds = [make_held(s) for _ in range(24)]
        ids = [await svc.hold(h) for h in helds]
        async with httpx.AsyncClient() as c:  # slow Mattermost: releases are in flight at the kill
            await c.post(url + "/__sim/faults", json={"delay_ms": 300, "path_prefix": "/api/v4/posts",
                                                       "method": "POST"})  # fmt: skip

        errors: list[str] = []

        async def approve(n: int, item_id: str) -> None:
            await asyncio.sleep(n * 0.02)
            try:
                await svc.approve(item_id, SAM, "release after review")
            except Exception as exc:  # the kill: connection errors are expected here
                errors.append(type(exc).__name__)

        tasks = [asyncio.create_task(approve(n, i)) for n, i in enumerate(ids)]
        await asyncio.sleep(0.25)
        server.kill9()
        await asyncio.sleep(0.3)
        server.start()  # same port, same AOF directory
        await asyncio.gather(*tasks)

        print("errors during the kill:", errors)
        # nothing lost: every acknowledged item is still there
        assert len(await svc.list_items(state="all")) == len(ids)
        for _ in range(4):
            for item_id in ids:
                if (await svc.get(item_id))["state"] == "held":
                    await svc.approve(item_id, SAM, "release after review")
            clock.t += 3600
            await svc.expire_due()
        states = {i: (await svc.get(i))["state"] for i in ids}
        posts = released_posts(s)
        pending = [p["pending_post_id"] for p in posts]
        # nothing released twice, and every item released exactly once
        assert len(pending) == len(set(pending)), "a held message was posted twice"
        assert sorted(pending) == sorted(h.idempotency_key for h in helds), (states, errors)
        assert set(states.values()) == {"released"}, (states, errors)
        # released means delivered: each item names its own post, tagged with its id
        by_id = {p["id"]: p for p in posts}
        for item_id, held in zip(ids, helds, strict=True):
            item = await svc.get(item_id)
            post = by_id[item["released_post_id"]]
            assert post["pending_post_id"] == held.idempotency_key, item
            assert post["props"]["dlp_release_id"] == item_id
        # and each sender was told once, however often Redis blinked
        refs = [e["message"] for e in ephemerals(s) if "has been **released**" in e["message"]]
        assert len(refs) == len(ids), refs
        assert sorted(r.rsplit("(reference ", 1)[1].rstrip(")") for r in refs) == sorted(ids)
    finally:
        await svc.close()
        await client.aclose()
        server.stop()
