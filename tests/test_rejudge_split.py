"""``ReleaseJudge``'s split-window step (gateway/rejudge.py ``_window``) against real
Redis: a released message's piece is put back once, whatever retries the release
takes; a failed send takes it out; a Redis error makes the release unavailable
(not sent, archived as release_failed and retried: quarantine/delivery.py)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.gateway.rejudge import ReleaseJudge
from dlp_proxy.model import SENSITIVE_ENTITIES, ContentItem, RequestContext, ScannedItem
from dlp_proxy.policy.split import SplitWindow
from dlp_proxy.quarantine.delivery import ReleaseCheckUnavailable

CHANNEL = "c" * 26
USER = "u" * 26


class _Policy:
    def required_entities(self, ctx: RequestContext) -> frozenset[str]:
        return frozenset(SENSITIVE_ENTITIES)


class _Pipeline:
    def __init__(self, window: SplitWindow) -> None:
        self.split_window = window
        self.detector = build_detector()

    def policy(self) -> _Policy:
        return _Policy()

    async def _scan(self, items: list[ContentItem], entities: Any, budget_key: Any = None) -> list[ScannedItem]:
        return [ScannedItem(i, ()) for i in items]


def _payload(request_id: str, text: str) -> dict[str, Any]:
    return {"method": "POST", "path": "/api/v4/posts", "decision": {"scanned": [
        {"path": "body.message", "kind": "text", "text": text, "findings": []}]}}


def _ctx(request_id: str) -> RequestContext:
    return RequestContext(user_id=USER, channel_id=CHANNEL, route="posts.create", request_id=request_id)


@pytest.fixture
async def window():
    client = aioredis.Redis(host="127.0.0.1", port=6379)
    w = SplitWindow(client, key=b"s" * 32, prefix=f"test:rejudge:split:{uuid.uuid4().hex}:")
    try:
        yield w
    finally:
        await client.delete(w.redis_key(USER, CHANNEL))
        await client.aclose()


async def _stored(w: SplitWindow) -> int:
    return int(await w.redis.llen(w.redis_key(USER, CHANNEL)))


async def test_a_release_puts_its_piece_back_once(window: SplitWindow) -> None:
    judge = ReleaseJudge(_Pipeline(window))
    text = "the other client's starts 536-22"
    items = [ContentItem("body.message", text)]
    assert await judge._window(_ctx("r1"), items, _payload("r1", text)) is None
    assert await _stored(window) == 1
    # a forced retry checks again (the first send's outcome unknown): replaced, not added
    await judge.finished({"context": _ctx("r1").to_json()}, "unknown")
    assert await judge._window(_ctx("r1"), items, _payload("r1", text)) is None
    assert await _stored(window) == 1
    # nothing created: taken out (a later retry judges it again and puts it back)
    await judge.finished({"context": _ctx("r1").to_json()}, "failed")
    assert await _stored(window) == 0
    assert await judge._window(_ctx("r1"), items, _payload("r1", text)) is None
    await judge.finished({"context": _ctx("r1").to_json()}, "sent")
    assert await _stored(window) == 1 and judge._placed == {}


async def test_a_release_completing_a_half_posted_since_is_refused(window: SplitWindow) -> None:
    pipeline = _Pipeline(window)
    judge = ReleaseJudge(pipeline)
    assert await window.check("b" * 26, CHANNEL, "-8710 thanks", pipeline.detector) == []
    text = "the other client's is 536-22"
    reason = await judge._window(_ctx("r2"), [ContentItem("body.message", text)], _payload("r2", text))
    assert reason is not None and "US_SSN" in reason and "split across messages" in reason
    assert await _stored(window) == 1  # its piece is taken out again: only the tail stays
    # what the reviewer was shown at the hold (the same part of it completing the same
    # type) was approved: the release goes on
    approved = _payload("r3", text)
    found = await window.add(USER, CHANNEL, text, pipeline.detector)
    await window.withdraw(found)
    approved["decision"]["scanned"].append({"path": "split-window", "kind": "text", "text": "",
                                            "findings": [f.to_json() for f in found.findings]})
    assert found.findings
    assert await judge._window(_ctx("r3"), [ContentItem("body.message", text)], approved) is None


class _Down:
    """A Redis that is not there."""

    def register_script(self, script: str) -> Any:
        async def run(**kw: Any) -> Any:
            from redis.exceptions import ConnectionError as RedisConnectionError

            raise RedisConnectionError("down")
        return run


async def test_a_redis_error_makes_the_release_unavailable() -> None:
    judge = ReleaseJudge(_Pipeline(SplitWindow(_Down(), key=b"s" * 32)))
    text = "starts 536-22"
    with pytest.raises(ReleaseCheckUnavailable, match="split-message window"):
        await judge._window(_ctx("r4"), [ContentItem("body.message", text)], _payload("r4", text))
    assert judge._placed == {}


class _Tags:
    def __init__(self) -> None:
        self.tagged: list[str] = []
        self.withdrawn: list[Any] = []

    async def tag(self, added: Any, post_id: str) -> bool:
        self.tagged.append(post_id)
        return True

    async def withdraw(self, added: Any) -> None:
        self.withdrawn.append(added)


_ID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=26, max_size=26)


@settings(max_examples=200, deadline=None)
@given(st.one_of(
    st.binary(max_size=80),
    st.builds(lambda i, extra: json.dumps({"id": i, **extra}).encode(), st.one_of(_ID, st.text(max_size=30)),
              st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)),
    st.builds(lambda v: json.dumps(v).encode(), st.one_of(st.lists(_ID, max_size=2), st.integers(), st.none())),
), st.sampled_from([200, 201, 204, 400, 403, 404, 413, 500, 503]), st.sampled_from(["posts.create", "posts.update", None]))
def test_an_answer_settles_the_requests_piece(answer: bytes, status: int, route: str | None) -> None:
    """``Pipeline.split_answered`` reads Mattermost's answer: any answer at all never
    raises; a refusal (not 2xx) withdraws the piece (nobody sees the text: attack pass
    10 P5, a non-member's post poisoned a channel's window); a createPost 201 tags the
    piece only with a Mattermost id from its JSON object."""
    from dlp_proxy import atrest
    from dlp_proxy.gateway.pipeline import Pipeline

    tags = _Tags()
    fake = type("P", (), {"split_window": tags})()
    piece = object()
    asyncio.run(Pipeline.split_answered(fake, piece, route, status, answer))  # type: ignore[arg-type]
    try:
        doc = json.loads(answer)
    except ValueError:
        doc = None
    want = doc.get("id") if status == 201 and route == "posts.create" and isinstance(doc, dict) else None
    assert tags.tagged == ([want] if isinstance(want, str) and atrest.is_id(want) else [])
    assert tags.withdrawn == ([] if 200 <= status < 300 else [piece])
