"""Scheduled posts in the split window, end to end (attack pass 10): the real gateway,
its own Redis and the Mattermost simulator.  Mattermost sends a scheduled post itself
at its ``scheduled_at`` (app/scheduled_post_job.go), so its piece is placed then: 40
scheduled posts between two halves no longer push the first out of reach, and a
scheduled half deleted (``DELETE /api/v4/posts/schedule/{id}``) or edited to something
else no longer completes a later post."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Gateway
from tests.test_split_e2e import _fresh_channel, _passes, _post_in, _send, _stopped, split_gateway


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from split_gateway(tmp_path_factory, "split-sched")


def _in(seconds: float) -> int:
    """``scheduled_at`` that many seconds from now (ms), far from any test's duration."""
    return int((time.time() + seconds) * 1000)


def _schedule(gw: Gateway, channel: str, message: str, seconds: float) -> httpx.Response:
    return _send(gw, "alice", "POST", "/api/v4/posts/schedule",
                 {"channel_id": channel, "message": message, "scheduled_at": _in(seconds)})


def test_forty_scheduled_posts_between_the_halves(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-sched-flush")
    _passes(_post_in(gw, "alice", channel, "client SSN 536-22-"))
    for i in range(40):
        _passes(_schedule(gw, channel, f"ok {i:02d}99999999999999999 aaa", 7200 + i))
    _stopped(gw, _post_in(gw, "alice", channel, "8710"), "/api/v4/posts")


def test_a_scheduled_tail_of_a_visible_head_is_stopped(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-sched-tail")
    _passes(_post_in(gw, "alice", channel, "client SSN 536-22-"))
    _stopped(gw, _schedule(gw, channel, "8710", 600), "/api/v4/posts/schedule")


def test_a_deleted_scheduled_half_completes_nothing(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-sched-delete")
    sid = _passes(_schedule(gw, channel, "client SSN 536-22-", 600))["id"]
    # sent within the window's age of a post now: readers will see both
    _stopped(gw, _post_in(gw, "alice", channel, "8710"), "/api/v4/posts")
    gone = httpx.delete(f"{gw.url}/api/v4/posts/schedule/{sid}", timeout=90,
                        headers={"Authorization": f"Bearer {gw.sim.token('alice')}"})
    assert gone.status_code == 201, gone.text
    _passes(_post_in(gw, "alice", channel, "8710"))


def test_an_edited_scheduled_half_is_replaced(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-sched-edit")
    sid = _passes(_schedule(gw, channel, "client SSN 536-22-", 600))["id"]
    _passes(_send(gw, "alice", "PUT", f"/api/v4/posts/schedule/{sid}",
                  {"id": sid, "channel_id": channel, "message": "standup moved", "scheduled_at": _in(600)}))
    _passes(_post_in(gw, "alice", channel, "8710"))


# -- a post's message joined with its attached files' text (attack pass 10) -----------

#: a document long enough that its text is no piece of the channel's window on its own
_PROSE = "Quarterly onboarding notes for the desk. Nothing else in here matters much. " * 12


def _upload(gw: Gateway, channel: str, name: str, text: str) -> str:
    """Upload through the gateway; the id Mattermost gave the file."""
    r = httpx.post(f"{gw.url}/api/v4/files", params={"channel_id": channel}, data={"channel_id": channel},
                   files={"files": (name, text.encode(), "text/plain")}, timeout=90,
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"})
    return str(_passes(r)["file_infos"][0]["id"])


def _post_with(gw: Gateway, channel: str, message: str, file_ids: list[str]) -> httpx.Response:
    return _send(gw, "alice", "POST", "/api/v4/posts", {"channel_id": channel, "message": message, "file_ids": file_ids})


def test_a_message_and_the_end_of_its_attached_file(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-file-tail")
    fid = _upload(gw, channel, "notes.txt", _PROSE + "the rest: 8710")
    _stopped(gw, _post_with(gw, channel, "client SSN 536-22", [fid]), "/api/v4/posts")


def test_a_message_and_the_start_of_its_attached_file(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-file-head")
    fid = _upload(gw, channel, "notes.txt", "-8710 " + _PROSE)
    _stopped(gw, _post_with(gw, channel, "client SSN 536-22", [fid]), "/api/v4/posts")


def test_a_file_holding_the_head_under_a_message_with_the_tail(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-file-order")
    fid = _upload(gw, channel, "notes.txt", _PROSE + "client SSN 536-22-")
    _stopped(gw, _post_with(gw, channel, "8710", [fid]), "/api/v4/posts")


def test_a_clean_message_with_a_file_passes(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-file-clean")
    fid = _upload(gw, channel, "notes.txt", _PROSE + "room 12 at 3pm")
    _passes(_post_with(gw, channel, "see the notes, 2 pages", [fid]))


def test_a_message_and_the_end_of_a_file_uploaded_in_chunks(gw: Gateway) -> None:
    channel = _fresh_channel(gw, "desk-file-chunks")
    data = (_PROSE + "the rest: 8710").encode()
    auth = {"Authorization": f"Bearer {gw.sim.token('alice')}"}
    r = httpx.post(f"{gw.url}/api/v4/uploads", headers=auth, timeout=90,
                   json={"channel_id": channel, "filename": "notes.txt", "file_size": len(data)})
    uid = _passes(r)["id"]
    half = len(data) // 2
    for chunk, status in ((data[:half], 204), (data[half:], 200)):
        r = httpx.post(f"{gw.url}/api/v4/uploads/{uid}", content=chunk, timeout=90,
                       headers={**auth, "Content-Type": "application/octet-stream"})
        assert r.status_code == status, r.text
    _stopped(gw, _post_with(gw, channel, "client SSN 536-22", [r.json()["id"]]), "/api/v4/posts")
