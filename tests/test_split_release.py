"""The split-message window and the quarantine's releases, end to end (the real gateway
process, its own Redis, the Mattermost simulator, the quarantine CLI).  A held message's
piece leaves the window at the hold (nobody sees it); at its release it is put back as
its sender's in the channel it is delivered to, judged again there: a half posted
since the hold that it now completes stops the release (release_refused, archived);
released, it is a half that a later post cannot complete unseen.  And a created post's
piece is tagged with its id from Mattermost's answer: its first edit stands where the
post is in the channel's order (docs/detection.md, "Split across messages")."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import Gateway, Simulator, archive_records, start_gateway, stop, wait_for
from tests.test_quarantine_gateway import _cli

HELD = "api.dlp.quarantined.app_error"


@pytest.fixture(scope="module")
def sgw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("split-release"))
    yield gw
    stop(gw.proc)


def _post(gw: Gateway, user: str, channel: str, message: str) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": channel, "message": message},
                      headers={"Authorization": f"Bearer {gw.sim.token(user)}"}, timeout=90)


def _channel(gw: Gateway) -> str:
    """A private channel of alice's own (a window of its own)."""
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                   json={"team_id": team, "name": f"split-rel-{os.urandom(4).hex()}", "display_name": "Desk",
                         "type": "P"}, timeout=10)
    assert r.status_code == 201, r.text
    cid = str(r.json()["id"])
    return cid


def _item_for(gw: Gateway, request_id: str) -> str:
    listed = _cli(gw, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return next(i["id"] for i in json.loads(listed.stdout) if i.get("request_id") == request_id)


def _state(gw: Gateway, item: str) -> str:
    shown = _cli(gw, "show", item, "--json")
    assert shown.returncode == 0, shown.stderr
    return str(json.loads(shown.stdout)["state"])


def _approve(gw: Gateway, item: str) -> str:
    ok = _cli(gw, "approve", item, "--reason", "verified with the client by phone",
              "--principal", gw.sim.ids["users"]["carol"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    return str(wait_for(lambda: (s := _state(gw, item)) not in ("approved", "releasing") and s,
                        "the release to be settled", timeout=90))


def _shown(gw: Gateway, needle: str) -> list[dict]:
    return [p for p in gw.sim.posts() if needle in p.get("message", "") and p.get("type", "") == ""]


def _held(r: httpx.Response) -> str:
    assert r.status_code == 403 and r.json()["id"] == HELD, r.text
    return str(r.json()["request_id"])


def test_a_release_that_now_completes_an_identifier_is_refused(sgw: Gateway) -> None:
    channel = _channel(sgw)
    mark = os.urandom(4).hex()
    # held for its own SSN; it ends with the head of another one
    request_id = _held(_post(sgw, "alice", channel, f"SSN 536-22-8841 ok {mark}, the other client's is 536-22"))
    item = _item_for(sgw, request_id)
    # the tail, posted while the head is held: nothing in the window to join (withdrawn)
    r = _post(sgw, "alice", channel, "-8710 thanks")
    assert r.status_code == 201, r.text
    assert _approve(sgw, item) == "release_refused"
    assert _shown(sgw, mark) == []
    shown = json.loads(_cli(sgw, "show", item, "--json").stdout)
    assert "split across messages" in shown["release_error"] and "US_SSN" in shown["release_error"]
    refused = [x for x in archive_records(sgw.data_dir) if x.get("type") == "review" and x.get("item_id") == item
               and x.get("action") == "release_refused"]
    assert len(refused) == 1 and "split across messages" in refused[0]["reason"]


def test_a_released_half_is_completed_by_no_later_post(sgw: Gateway) -> None:
    channel = _channel(sgw)
    mark = os.urandom(4).hex()
    item = _item_for(sgw, _held(_post(sgw, "alice", channel, f"SSN 536-22-8841 ok {mark}, the other client's is 536-22")))
    assert _approve(sgw, item) == "released"
    assert len(_shown(sgw, mark)) == 1
    # its piece is back in the channel's window: the tail is joined with it and held
    _held(_post(sgw, "alice", channel, "-8710 thanks"))
    assert _shown(sgw, "-8710 thanks") == [] or all(p["channel_id"] != channel for p in _shown(sgw, "-8710 thanks"))


def test_a_posts_first_edit_stands_where_the_post_is(sgw: Gateway) -> None:
    # alice: "ref 77" (A), then "ssn 536" (B), then "-22" (C).  Editing A to "8710" puts
    # it before B and C in the channel's order: "8710" "ssn 536" "-22" holds no SSN in
    # channel order; placed at the edit's time (after C) it would read 536-22-8710.
    channel = _channel(sgw)
    first = _post(sgw, "alice", channel, "ref 77 noted")
    assert first.status_code == 201, first.text
    for text in ("ssn 536", "-22"):
        r = _post(sgw, "alice", channel, text)
        assert r.status_code == 201, r.text
    edit = httpx.put(f"{sgw.url}/api/v4/posts/{first.json()['id']}/patch", json={"message": "8710"},
                     headers={"Authorization": f"Bearer {sgw.sim.token('alice')}"}, timeout=90)
    assert edit.status_code == 200, edit.text
