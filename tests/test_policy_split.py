"""Split identifiers across consecutive messages: real Redis at 127.0.0.1:6379, real detector."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from dlp_proxy.detect import build_detector
from dlp_proxy.policy.split import SPLIT_TRANSFORM, SplitWindow, may_carry_a_piece

KEY = b"s" * 32


@pytest.fixture(scope="module")
def detector():
    return build_detector()


@pytest.fixture
async def redis_client():
    client = aioredis.Redis(host="127.0.0.1", port=6379)
    prefix = f"test:policy:split:{uuid.uuid4().hex}:"
    try:
        yield client, prefix
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


SPLITS = [
    # (messages, entity type expected on the last one)
    (["my ssn is 536-22", "8710"], "US_SSN"),
    (["my ssn is 536-22-", "8710"], "US_SSN"),
    (["ssn 536", "22", "8710"], "US_SSN"),
    (["card 4111 1111", "1111 1111"], "CREDIT_CARD"),
    # words around the halves
    (["ok so it's 536-22 and the rest", "is 8710 ok?"], "US_SSN"),
    (["first part: 536-22-", "second part -8710 thanks"], "US_SSN"),
    (["536-22", "and then -8710"], "US_SSN"),
    # filler posts between the halves (fillers with a number too)
    (["536-22", "one sec", "phone died", "ok", "8710"], "US_SSN"),
    (["536-22", "back in 5", "room 12 is free", "8710"], "US_SSN"),
    (["card 4111 1111", "hold on", "1111 1111"], "CREDIT_CARD"),
    # three pieces with words around each
    (["ssn is 536", "then 22", "and 8710 done"], "US_SSN"),
]


@pytest.mark.parametrize(("messages", "etype"), SPLITS)
async def test_split_identifier_is_caught(redis_client, detector, messages, etype):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    for text in messages[:-1]:
        if not may_carry_a_piece(text):
            continue  # as the gateway: fillers never enter the window
        assert await window.check("u1", "c1", text, detector) == []
    found = await window.check("u1", "c1", messages[-1], detector)
    assert [f.entity_type for f in found] == [etype]
    f = found[0]
    last = messages[-1]
    assert 0 <= f.start < f.end <= len(last)
    assert SPLIT_TRANSFORM in f.transforms
    assert "consecutive messages" in f.explanation


async def test_windows_are_per_user_and_channel(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    await window.check("u1", "c1", "my ssn is 536-22", detector)
    assert await window.check("u2", "c1", "8710", detector) == []
    assert await window.check("u1", "c2", "8710", detector) == []
    assert [f.entity_type for f in await window.check("u1", "c1", "8710", detector)] == ["US_SSN"]


async def test_window_limits_messages_and_age(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix, max_messages=2)
    await window.check("u1", "c1", "my ssn is 536", detector)
    await window.check("u1", "c1", "22", detector)
    # the first fragment fell out of a two-message window
    assert await window.check("u1", "c1", "8710", detector) == []

    window = SplitWindow(client, key=KEY, prefix=prefix + "ttl:", ttl_seconds=1)
    await window.check("u1", "c1", "my ssn is 536-22", detector)
    name = window.redis_key("u1", "c1")
    assert 0 < await client.ttl(name) <= 1
    # age the stored fragment: rewrite its timestamp into the past through the same sealing
    [blob] = await client.lrange(name, 0, -1)
    frag = window._open(name, blob)
    assert frag is not None
    frag["t"] -= 5
    await client.delete(name)
    await client.rpush(name, window._seal(name, frag))
    assert await window.check("u1", "c1", "8710", detector) == []
    assert await client.llen(name) == 2  # the old fragment is only trimmed by count, never used


async def test_window_keeps_at_most_max_messages_fragments(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix, max_messages=3)
    for i in range(10):
        assert await window.check("u1", "c1", f"note {i}", detector) == []
    name = window.redis_key("u1", "c1")
    blobs = await client.lrange(name, 0, -1)
    assert [window._open(name, b)["s"] for b in blobs] == ["note 7", "note 8", "note 9"]  # type: ignore[index]
    assert 0 < await client.ttl(name) <= 300


async def test_nothing_readable_in_redis(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    await window.check("alice-id", "chan-id", "my ssn is 536-22", detector)
    await window.check("alice-id", "chan-id", "8710 thanks", detector)
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    assert len(keys) == 1
    name = keys[0].decode()
    assert "alice" not in name and "chan" not in name
    blobs = await client.lrange(name, 0, -1)
    assert len(blobs) == 2
    for needle in (b"536", b"8710", b"ssn", b"thanks"):
        assert not any(needle in blob for blob in blobs)
    # bound to its key: the same blob under another key does not decrypt
    other = window.redis_key("bob", "chan-id")
    assert window._open(other, blobs[0]) is None
    assert [window._open(name, b)["s"] for b in blobs] == ["my ssn is 536-22", "8710 thanks"]  # type: ignore[index]
    # a different installation key cannot read it either
    assert SplitWindow(client, key=b"x" * 32, prefix=prefix)._open(name, blobs[0]) is None


async def test_tampered_window_restarts(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    await window.check("u1", "c1", "my ssn is 536-22", detector)
    name = window.redis_key("u1", "c1")
    # a key of the wrong type (tampered, or an earlier version's single-string window)
    await client.set(name, b"garbage-garbage-garbage")
    assert await window.check("u1", "c1", "8710", detector) == []
    assert await client.type(name) == b"list"
    # a fragment that does not decrypt is dropped; the others still count
    await window.check("u1", "c1", "my ssn is 536-22", detector)
    await client.rpush(name, b"garbage-garbage-garbage-garbage")
    assert [f.entity_type for f in await window.check("u1", "c1", "8710", detector)] == ["US_SSN"]
    await window.clear("u1", "c1")
    assert await client.get(window.redis_key("u1", "c1")) is None


async def test_whole_identifier_in_one_message_is_left_to_the_normal_scan(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    await window.check("u1", "c1", "hello team", detector)
    assert await window.check("u1", "c1", "ssn 536-22-8710", detector) == []
    # and an identifier already sent does not fire again on the next message
    assert await window.check("u1", "c1", "ok thanks", detector) == []


async def test_redis_down_raises(detector):
    client = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    window = SplitWindow(client, key=KEY, prefix="x:")
    with pytest.raises(Exception):
        await window.check("u1", "c1", "8710", detector)
    await client.aclose()


def test_bad_limits():
    with pytest.raises(ValueError):
        SplitWindow(None, key=KEY, max_messages=1)
    with pytest.raises(ValueError):
        SplitWindow(None, key=KEY, max_chars=4)
    with pytest.raises(ValueError):
        SplitWindow(None, key=KEY, max_messages=33)


def test_fillers_do_not_enter_the_window():
    assert not may_carry_a_piece("one sec, phone died")
    # one digit in a longer text is filler ("ok 1", "back in 5"): it must not push pieces out
    assert not may_carry_a_piece("back in 5")
    assert not may_carry_a_piece("ok 1")
    assert may_carry_a_piece("back in 15")
    assert may_carry_a_piece("5") and may_carry_a_piece("-0") and may_carry_a_piece(" 5- ")  # a lone digit is a piece
    assert may_carry_a_piece("and \u2464\u2465 more")  # circled digits are digits to the detector


async def test_filler_with_one_digit_does_not_push_pieces_out(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix, max_messages=4)
    assert await window.check("u1", "c9", "ssn 536-22", detector) == []
    # the gateway asks may_carry_a_piece first: filler never reaches the window
    for filler in ["ok 1", "brb 2", "one sec", "back in 5"] * 5:
        assert not may_carry_a_piece(filler)
    found = await window.check("u1", "c9", "-8710", detector)
    assert [f.entity_type for f in found] == ["US_SSN"]


NOT_SPLITS = [
    # unrelated numbers in consecutive posts do not make an identifier by themselves
    ["meeting at 3", "room 12", "call at 4"],
    ["bought 1,500 shares", "at 182.35", "settles T+1"],
    ["v2.14", "build 3301", "ticket 48213"],
    # two whole identifiers in consecutive posts are not a third made of their halves
    ["SSNs: 536-22-8710, 536-22-8711", "536-22-8712, 536-22-8713 for the audit"],
    ["ssn 536-22-8710", "and 536-22-8711"],
    ["ABA routing 011000015 account 4471902283 for the wire please", "1234 thanks"],
]


@pytest.mark.parametrize("messages", NOT_SPLITS)
async def test_unrelated_numbers_are_not_joined_into_an_identifier(redis_client, detector, messages):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    for text in messages:
        assert await window.check("u1", "c1", text, detector) == []


async def test_a_piece_older_than_the_window_is_not_joined(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix, max_messages=3)
    await window.check("u1", "c1", "536-22", detector)
    for text in ("at 1", "at 2", "at 3"):
        await window.check("u1", "c1", text, detector)
    assert await window.check("u1", "c1", "8710", detector) == []
