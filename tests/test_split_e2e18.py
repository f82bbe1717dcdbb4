"""Identifiers split across posts with chat between the pieces, the last part posted
first, an IBAN a group a post (issue 15 item 3, red-team pass atk16d), end to end: the
real gateway process, its own Redis and the Mattermost simulator.  Each post alone
passes; the post that completes the identifier is stopped and does not reach
Mattermost; the channel's ordinary chat with numbers passes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import count

import pytest

from dlp_proxy.policy.testing import ACCOUNT, IBAN, ROUTING, SSN
from tests import test_split_e2e
from tests.conftest import Gateway
from tests.test_split_words_e2e import _passes, _post, _stopped

_DIGITS = re.sub(r"\D", "", SSN)
_names = count()


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    policy = test_split_e2e.POLICY
    test_split_e2e.POLICY = policy.replace("US_BANK_NUMBER]", "US_BANK_NUMBER, IBAN_CODE]")
    try:
        yield from test_split_e2e.split_gateway(tmp_path_factory, "split-e2e18")
    finally:
        test_split_e2e.POLICY = policy


def _channel(gw: Gateway) -> str:
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    n = next(_names)
    r = test_split_e2e._send(gw, "alice", "POST", "/api/v4/channels",
                             {"team_id": team, "name": f"desk-e2e18-{n}", "display_name": f"Desk {n}", "type": "O"})
    return str(_passes(r)["id"])


def test_groups_among_chat_with_numbers(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "alice", ch, f"client ssn {_DIGITS[:3]}"))
    for message in ("room 12 is free", "lol", "NVDA up 4% lol"):
        _passes(_post(gw, "alice", ch, message))
    _passes(_post(gw, "alice", ch, _DIGITS[3:5]))
    _passes(_post(gw, "alice", ch, "call at 2:30?"))
    _stopped(gw, _post(gw, "alice", ch, _DIGITS[5:]))


def test_the_last_part_first_with_hints(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "alice", ch, f"last part: {_DIGITS[5:]}"))
    _passes(_post(gw, "alice", ch, "sure"))
    _stopped(gw, _post(gw, "alice", ch, f"SS# first part {_DIGITS[:3]} {_DIGITS[3:5]}"))


def test_an_iban_a_group_a_post(gw: Gateway) -> None:
    ch = _channel(gw)
    groups = IBAN.split()
    _passes(_post(gw, "alice", ch, f"iban {groups[0]}"))
    for group in groups[1:-1]:
        _passes(_post(gw, "alice", ch, group))
        _passes(_post(gw, "alice", ch, "one sec"))
    _stopped(gw, _post(gw, "alice", ch, groups[-1]))


def test_an_account_after_the_routing_numbers_label(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "alice", ch, f"ABA {ROUTING}, acct #"))
    _passes(_post(gw, "alice", ch, ACCOUNT[:5]))
    _stopped(gw, _post(gw, "alice", ch, ACCOUNT[5:]))


def test_desk_chat_with_numbers_passes(gw: Gateway) -> None:
    ch = _channel(gw)
    for message in ("NVDA", "bid 5969 offered 2690 on the XOM", "17 lots TSLA at 116-23", "call at 2:30?",
                    "room 12 is free", "back in 5", "GS", "size 4400", "TSLA up 4% lol", "one sec", "$182.35",
                    "the first part was fine", "ticket 48213 closed", "OK", "22 people signed up"):
        _passes(_post(gw, "alice", ch, message))
