"""Scheduled posts in the split window (attack pass 10): Mattermost sends a scheduled
post itself at its ``scheduled_at`` (app/scheduled_post_job.go), not through the
gateway, so its piece is placed at that time, kept apart until then (it pushes no piece
of the posts shown now out of reach), judged with the pieces around its send time, and
leaves when the scheduled post is deleted or edited.  Real Redis, real detector, an
injected clock."""

from __future__ import annotations

import uuid

import pytest
import redis.asyncio as aioredis

from dlp_proxy.detect import build_detector
from dlp_proxy.policy.split import Piece, SplitWindow, plan

KEY = b"s" * 32
T0 = 1_000_000.0


@pytest.fixture(scope="module")
def detector():
    return build_detector()


@pytest.fixture
async def window():
    client = aioredis.Redis(host="127.0.0.1", port=6379)
    prefix = f"test:split:sched10:{uuid.uuid4().hex}:"
    clock = [T0]
    w = SplitWindow(client, key=KEY, prefix=prefix, ttl_seconds=300, clock=lambda: clock[0])
    w.test_clock = clock  # type: ignore[attr-defined]
    try:
        yield w
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


def _at(w: SplitWindow, t: float) -> None:
    w.test_clock[0] = T0 + t  # type: ignore[attr-defined]


def _types(found) -> list[str]:
    return [f.entity_type for f in found]


async def _schedule(w, detector, text, send_in, sid=None, user="u2"):
    """Schedule ``text`` ``send_in`` seconds from the window's clock; tag it with ``sid``
    as the gateway does from Mattermost's answer."""
    added = await w.add(user, "c1", text, detector, send_at=w.clock() + send_in)
    if sid:
        assert await w.tag(added, sid)
    return added


async def test_forty_scheduled_posts_between_the_halves_do_not_flush_the_window(window, detector):
    """The reproducer: head, 40 scheduled posts with numbers that may meet it, tail."""
    _at(window, 0)
    assert await window.check("u1", "c1", "client SSN 536-22-", detector) == []
    for i in range(40):
        _at(window, 1 + i)
        assert await _schedule(window, detector, f"ok {i:02d}99999999999 reminder", 3600 + i) is not None
    _at(window, 60)
    assert _types(await window.check("u1", "c1", "8710", detector)) == ["US_SSN"]


async def test_scheduled_posts_sent_soon_do_not_push_the_visible_half_out(window, detector):
    """Scheduled posts sent within the window's age are partners of their own budget."""
    _at(window, 0)
    assert await window.check("u1", "c1", "client SSN 536-22-", detector) == []
    for i in range(40):
        _at(window, 1 + i / 10)
        await _schedule(window, detector, f"ok {i:02d}99999999999 reminder", 30 + i)
    _at(window, 10)
    assert _types(await window.check("u1", "c1", "8710", detector)) == ["US_SSN"]


async def test_a_scheduled_half_is_joined_with_a_post_shown_before_its_send_time(window, detector):
    """The tail scheduled first, the head posted later but before the tail is sent:
    readers see both, so the head is stopped."""
    _at(window, 0)
    assert await _schedule(window, detector, "8710", 200, sid="a" * 26) is not None
    _at(window, 100)
    assert _types(await window.check("u1", "c1", "client SSN 536-22-", detector)) == ["US_SSN"]


async def test_a_scheduled_half_is_judged_with_the_pieces_around_its_send_time(window, detector):
    """Scheduled after the head: stopped when it is sent within the window's age of the
    head; one sent long after the head has aged out is not joined with it (readers see
    them as far apart as two posts that long apart)."""
    _at(window, 0)
    assert await window.check("u1", "c1", "client SSN 536-22-", detector) == []
    _at(window, 1)
    assert _types((await window.add("u2", "c1", "8710", detector, send_at=T0 + 200)).findings) == ["US_SSN"]
    assert (await window.add("u2", "c1", "8710", detector, send_at=T0 + 1000)).findings == []
    # two scheduled halves sent close together are joined, however far from now
    _at(window, 2)
    assert (await window.add("u2", "c1", "card 4111 1111", detector, send_at=T0 + 5000)).findings == []
    assert _types((await window.add("u2", "c1", "1111 1111", detector, send_at=T0 + 5010)).findings) == [
        "CREDIT_CARD"]


async def test_a_scheduled_piece_enters_the_window_when_sent(window, detector):
    """Until its send time the piece is apart (no post shown now reads it as before it);
    once sent, the next piece of the channel moves it into the window at its time."""
    _at(window, 0)
    await _schedule(window, detector, "client SSN 536-22-", 1000, sid="b" * 26)
    name = window.redis_key("u1", "c1")
    assert await window.redis.llen(name) == 0 and await window.redis.zcard(window.scheduled_key(name)) == 1
    _at(window, 500)
    assert await window.check("u1", "c1", "8710", detector) == []  # 500 s before it is sent
    _at(window, 1100)
    assert _types(await window.check("u1", "c1", "8710", detector)) == ["US_SSN"]
    assert await window.redis.zcard(window.scheduled_key(name)) == 0


async def test_a_deleted_scheduled_posts_piece_leaves(window, detector):
    _at(window, 0)
    await _schedule(window, detector, "client SSN 536-22-", 100, sid="c" * 26)
    assert await window.forget_post("c" * 26) == 1
    _at(window, 150)
    assert await window.check("u1", "c1", "8710", detector) == []
    # control: not deleted, the same is stopped
    _at(window, 1000)
    await _schedule(window, detector, "client SSN 536-22-", 100, sid="d" * 26)
    _at(window, 1150)
    assert _types(await window.check("u1", "c1", "8710", detector)) == ["US_SSN"]


async def test_an_edited_scheduled_post_replaces_its_piece(window, detector):
    """An edit replaces the scheduled post: its earlier text is never sent, so it
    completes nothing and is not judged with the edit."""
    sid = "e" * 26
    _at(window, 0)
    await _schedule(window, detector, "client SSN 536-22-", 100, sid=sid)
    _at(window, 10)
    edit = await window.add("u2", "c1", "order 4400981 shipped", detector, post_id=sid, send_at=T0 + 120)
    assert edit.findings == []
    assert await window.tag(edit, sid)
    name = window.redis_key("u1", "c1")
    assert await window.redis.zcard(window.scheduled_key(name)) == 1
    _at(window, 200)
    assert await window.check("u1", "c1", "8710", detector) == []
    assert await window.forget_post(sid) == 1  # the edit's piece left too


async def test_a_stopped_scheduled_posts_piece_is_withdrawn(window, detector):
    _at(window, 0)
    added = await _schedule(window, detector, "client SSN 536-22-", 100)
    await window.withdraw(added)
    assert await window.redis.zcard(window.scheduled_key(window.redis_key("u1", "c1"))) == 0


async def test_nothing_readable_in_the_scheduled_pieces(window, detector):
    _at(window, 0)
    await _schedule(window, detector, "client SSN 536-22-", 100, sid="f" * 26)
    raw = b"".join(await window.redis.zrange(window.scheduled_key(window.redis_key("u1", "c1")), 0, -1))
    assert b"536-22" not in raw and b"SSN" not in raw and b"f" * 26 not in raw
    keys = [k async for k in window.redis.scan_iter(match=window.prefix + "*")]
    assert keys and not any(b"f" * 26 in k for k in keys)  # (names: keyed hashes, hex)


def test_pieces_shown_after_the_new_one_have_their_own_budget():
    """``plan``: pieces shown later (scheduled) neither take the places of those shown
    before nor the reverse; each side is bounded by ``pairs``."""
    head = Piece(1.0, "client SSN 536-22-")
    chat = [Piece(2.0 + i, f"room {i} at noon") for i in range(4)]  # no partners: out of any chain
    later = [Piece(100.0 + i, f"ok {i:02d}99999999999") for i in range(10)]
    scan = plan([head, *chat, *later], Piece(50.0, "8710"), 3, 256)
    assert scan is not None and "536-22-\n8710" in scan.text
    assert sum(f"ok {i:02d}" in scan.text for i in range(10)) <= 3
    tail = Piece(200.0, "-8710")
    before = [Piece(10.0 + i, f"ok {i:02d}99999999999") for i in range(10)]
    scan = plan([*before, tail], Piece(50.0, "client SSN 536-22"), 3, 256)
    assert scan is not None and "536-22-8710" in scan.text.replace("\n", "")


# -- an uploaded file's text ends, for the posts that attach it -----------------------

async def test_a_files_text_ends_are_kept_sealed_by_a_keyed_hash_of_its_id(window):
    fid = "g" * 26
    text = "client SSN 536-22 " + "x" * 2000 + " ref 8710"
    await window.remember_file(fid, text)
    (kept,) = await window.file_texts([fid])
    assert kept is not None and kept.startswith("client SSN 536-22") and kept.endswith("ref 8710")
    assert len(kept) == 2 * window.max_chars + 1
    keys = [k async for k in window.redis.scan_iter(match=window.prefix + "*")]
    raw = b"".join([*keys, *[await window.redis.get(k) for k in keys]])
    assert fid.encode() not in raw and b"SSN 536-22" not in raw and b"ref 8710" not in raw
    assert 0 < await window.redis.ttl(window.file_key(fid)) <= 7 * 24 * 3600
    # unknown, or tampered: none
    await window.redis.set(window.file_key("h" * 26), b"0" * 40)
    assert await window.file_texts(["h" * 26, "i" * 26]) == [None, None]


@pytest.mark.parametrize(("ends", "message"), [
    (["Quarterly notes for the desk, nothing much.\nthe rest 8710"], "client SSN 536-22"),
    (["-8710 is the rest\nQuarterly notes for the desk"], "client SSN 536-22"),
    (["Quarterly notes for the desk.\nclient SSN 536-22-"], "8710"),
    (["nothing here 12", "Quarterly notes.\nclient SSN 536-22-"], "8710 thanks"),
])
async def test_a_message_is_judged_with_its_files_text_ends_in_either_order(detector, ends, message):
    from dlp_proxy.policy.split import completed_within

    found = await completed_within([*ends, message], detector, last_only=True)
    assert {k for k, _ in found} == {len(ends)} and {f.entity_type for _, f in found} == {"US_SSN"}


async def test_a_clean_message_with_its_files_text_ends_is_clean(detector):
    from dlp_proxy.policy.split import completed_within

    assert await completed_within(["Quarterly notes.\nroom 12 at 3pm", "see page 2"], detector, last_only=True) == []
