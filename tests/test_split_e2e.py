"""Identifiers split across messages, end to end (issue 15, finding 1): the real gateway
process, its own Redis and the Mattermost simulator.  The four bypasses of the last
insider pass: (a) two users each post half in one channel, (b) the tail before the
head, (c) an earlier post edited to add the second half, (d) more than eleven
digit-bearing posts between the halves.  Each is stopped and nothing of the completing
request reaches Mattermost; the halves' channel-mates' ordinary chat passes.  Later
attack passes: drafts, a few characters a post, a label alone over the number, a post
edited many times and posts deleted between the halves."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Gateway, Simulator, start_gateway, start_simulator, stop

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = "api.dlp.blocked.app_error"
POLICY = """
schema: 1
defaults: {min_score: 0.5, on_context_error: block}
exceptions: []
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN, US_ITIN, CREDIT_CARD, US_BANK_NUMBER]}
"""


def split_gateway(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Gateway]:
    """A gateway with its own simulator and POLICY (block every identifier), stopped after."""
    sim: Simulator = start_simulator()
    base = tmp_path_factory.mktemp(name)
    config = base / "config"
    config.mkdir()
    (config / "policy.yaml").write_text(POLICY)
    (config / "recognizers.yaml").write_text((ROOT / "config" / "recognizers.yaml").read_text())
    g = start_gateway(sim, base / "data", config_dir=config)
    try:
        yield g
    finally:
        stop(g.proc)
        stop(sim.proc)


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from split_gateway(tmp_path_factory, "split-e2e")


def _send(gw: Gateway, user: str, method: str, path: str, body: Any) -> httpx.Response:
    gw.sim.clear()
    return httpx.request(method, gw.url + path, headers={"Authorization": f"Bearer {gw.sim.token(user)}"},
                         content=json.dumps(body).encode(), timeout=90)


def _post(gw: Gateway, user: str, channel: str, message: str) -> httpx.Response:
    r = _send(gw, user, "POST", "/api/v4/posts", {"channel_id": gw.sim.channel(channel), "message": message})
    return r


def _passes(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def _stopped(gw: Gateway, r: httpx.Response, path: str) -> None:
    assert r.status_code == 403 and r.json()["id"] == BLOCKED, (r.status_code, r.text)
    reached = [q for q in gw.sim.requests() if q["path"] == path and q["method"] != "GET"
               and b"from_dlp_proxy" not in base64.b64decode(q["body_b64"])]
    assert reached == [], reached


def test_a_two_users_each_post_half_in_one_channel(gw: Gateway) -> None:
    _passes(_post(gw, "alice", "town_square", "client ssn 536-22"))
    _stopped(gw, _post(gw, "bob", "town_square", "8710 thanks"), "/api/v4/posts")


def test_b_the_tail_before_the_head(gw: Gateway) -> None:
    _passes(_post(gw, "alice", "private", "-8710 is the rest"))
    _stopped(gw, _post(gw, "alice", "private", "the ssn starts 536-22"), "/api/v4/posts")


def test_c_an_earlier_post_edited_to_add_the_second_half(gw: Gateway) -> None:
    first = _passes(_post(gw, "alice", "group", "notes 77"))
    _passes(_post(gw, "alice", "group", "ssn 536-22"))
    path = f"/api/v4/posts/{first['id']}/patch"
    _stopped(gw, _send(gw, "alice", "PUT", path, {"message": "notes -8710"}), path)


def test_d_more_than_eleven_digit_posts_between_the_halves(gw: Gateway) -> None:
    _passes(_post(gw, "alice", "dm_alice_bob", "ssn 536-22"))
    for i in range(16):
        user = "bob" if i % 2 else "alice"
        _passes(_post(gw, user, "dm_alice_bob", f"room {i + 12} is booked, see you at {i % 9 + 1}pm"))
    _stopped(gw, _post(gw, "bob", "dm_alice_bob", "8710"), "/api/v4/posts")


def test_halves_in_two_channels_are_not_joined(gw: Gateway) -> None:
    # no one audience sees both (docs/detection.md, "Split across messages")
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    one, two = (_passes(_send(gw, "alice", "POST", "/api/v4/channels",
                              {"team_id": team, "name": f"desk-split-{n}", "display_name": f"Desk {n}", "type": "O"}))["id"]
                for n in (1, 2))
    _passes(_send(gw, "alice", "POST", "/api/v4/posts", {"channel_id": one, "message": "ssn 536-22"}))
    _passes(_send(gw, "alice", "POST", "/api/v4/posts", {"channel_id": two, "message": "ticket 8710 closed"}))


def _fresh_channel(gw: Gateway, name: str) -> str:
    """A new channel: the module's gateway keeps the other tests' pieces in theirs."""
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    body = {"team_id": team, "name": name, "display_name": name, "type": "O"}
    return str(_passes(_send(gw, "alice", "POST", "/api/v4/channels", body))["id"])


def _post_in(gw: Gateway, user: str, channel_id: str, message: str) -> httpx.Response:
    return _send(gw, user, "POST", "/api/v4/posts", {"channel_id": channel_id, "message": message})


def test_e_drafts_do_not_push_the_first_half_out_of_reach(gw: Gateway) -> None:
    # attack pass 8 (F8): drafts are seen by their writer alone, yet 40 of them with
    # numbers that complete nothing took the place of the visible first half
    channel = _fresh_channel(gw, "desk-drafts")
    _passes(_post_in(gw, "alice", channel, "client SSN 536-22-"))
    for i in range(2 * 32 + 8):
        _passes(_send(gw, "alice", "POST", "/api/v4/drafts",
                      {"channel_id": channel, "root_id": "", "message": f"ok {90000000 + 7 * i} {chr(97 + i % 26)}aa"}))
    _stopped(gw, _post_in(gw, "alice", channel, "8710"), "/api/v4/posts")


def test_f_an_identifier_typed_a_few_digits_a_post(gw: Gateway) -> None:
    # attack pass 8 (F13): five posts, and a card of four repeated groups
    five, card = _fresh_channel(gw, "desk-five"), _fresh_channel(gw, "desk-card")
    for part in ("client SSN 53", "6-2", "2-8", "71"):
        _passes(_post_in(gw, "alice", five, part))
    _stopped(gw, _post_in(gw, "alice", five, "0"), "/api/v4/posts")
    for part in ("card 4111", "1111", "1111"):
        _passes(_post_in(gw, "alice", card, part))
    _stopped(gw, _post_in(gw, "alice", card, "1111"), "/api/v4/posts")


def test_g_the_label_alone_in_the_post_above_the_number(gw: Gateway) -> None:
    # attack pass 9 (F16): a digit-free label was no piece, so the bare number in the
    # next post had no context word, and a long chain never started from it
    pair, chain = _fresh_channel(gw, "desk-label"), _fresh_channel(gw, "desk-label-chain")
    _passes(_post_in(gw, "alice", pair, "client SSN:"))
    _stopped(gw, _post_in(gw, "alice", pair, "536228710"), "/api/v4/posts")
    _passes(_post_in(gw, "alice", chain, "client SSN:"))
    for part in ("53", "6-2", "2-8", "71"):
        _passes(_post_in(gw, "alice", chain, part))
    _stopped(gw, _post_in(gw, "alice", chain, "0"), "/api/v4/posts")


def test_h_one_post_edited_many_times_between_the_halves(gw: Gateway) -> None:
    # attack pass 9 (F5): each version of the post between the halves was a distinct
    # piece, so 40 edits pushed the first half out of reach
    channel = _fresh_channel(gw, "desk-edits")
    _passes(_post_in(gw, "alice", channel, "client SSN 536-22-"))
    notes = _passes(_post_in(gw, "alice", channel, "notes 100200300"))
    path = f"/api/v4/posts/{notes['id']}/patch"
    for i in range(40):
        _passes(_send(gw, "alice", "PUT", path, {"message": f"ok {i:02d}99999999999999999"}))
    _passes(_send(gw, "alice", "PUT", path, {"message": "notes"}))
    _stopped(gw, _post_in(gw, "alice", channel, "8710"), "/api/v4/posts")


def test_i_posts_deleted_between_the_halves(gw: Gateway) -> None:
    # attack pass 9 (F5): 40 posts between the halves, each deleted right after
    # posting: readers see the halves adjacent, the window had 40 pieces between them
    channel = _fresh_channel(gw, "desk-deleted")
    _passes(_post_in(gw, "alice", channel, "client SSN 536-22-"))
    for i in range(40):
        post = _passes(_post_in(gw, "alice", channel, f"ok {i:02d}99999999999999999 aaa"))
        gone = httpx.delete(f"{gw.url}/api/v4/posts/{post['id']}", timeout=90,
                            headers={"Authorization": f"Bearer {gw.sim.token('alice')}"})
        assert gone.status_code == 200, gone.text
    _stopped(gw, _post_in(gw, "alice", channel, "8710"), "/api/v4/posts")


def test_j_replies_in_another_thread_between_the_halves(gw: Gateway) -> None:
    # attack pass 9 (F5): 40 replies in an unrelated thread between the halves (collapsed
    # threads show the halves side by side in the channel)
    channel = _fresh_channel(gw, "desk-thread")
    root = _passes(_post_in(gw, "alice", channel, "standup notes"))
    _passes(_post_in(gw, "alice", channel, "client SSN 536-22-"))
    for i in range(40):
        _passes(_send(gw, "alice", "POST", "/api/v4/posts", {"channel_id": channel, "root_id": root["id"],
                                                             "message": f"ok {i:02d}99999999999999999 aaa"}))
    _stopped(gw, _post_in(gw, "alice", channel, "8710"), "/api/v4/posts")


def test_desk_chat_is_not_joined_into_identifiers(gw: Gateway) -> None:
    # attack pass 10 P1: a Treasury price in 32nds after a size, or a label in one post
    # over digits of another, stopped 10 to 35 of 60 clean desk posts
    channel = _fresh_channel(gw, "desk-rates")
    for message in ("bid 5969 offered 2690 on the XOM", "17 lots TSLA at 116-23", "confirm 566463",
                    "acct 95 is long 50,000 JPM", "settle 5/2, confirm 128778", "ticket 4868 booked to acct DESK-4",
                    "TY 116-23 bid", "5969 lots done"):
        _passes(_post_in(gw, "alice", channel, message))
    # a split the writer shows is still joined: its own separator at the cut
    other = _fresh_channel(gw, "desk-rates-b")
    _passes(_post_in(gw, "alice", other, "17 lots TSLA at 116-23"))
    _passes(_post_in(gw, "alice", other, "536-22-"))
    _stopped(gw, _post_in(gw, "bob", other, "8710"), "/api/v4/posts")


def test_a_post_mattermost_refuses_leaves_no_piece(gw: Gateway) -> None:
    # attack pass 10 P5: bob, no member of alice's new channel, posts a half there:
    # Mattermost refuses it (403), nobody sees it, and alice's next post is not joined with it
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    body = {"team_id": team, "name": "desk-closed", "display_name": "desk-closed", "type": "O"}
    channel = str(_passes(_send(gw, "alice", "POST", "/api/v4/channels", body))["id"])
    refused = _post_in(gw, "bob", channel, "client SSN 536-22-")
    assert refused.status_code == 403 and not refused.json()["id"].startswith("api.dlp."), refused.text
    _passes(_post_in(gw, "alice", channel, "8710"))
