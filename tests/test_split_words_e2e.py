"""Identifiers split across consecutive posts *written as number words*, end to end
(insider pass 4, A14): the real gateway process, its own Redis and the Mattermost
simulator.  Each post alone passes; the window reads its number words as digits
(``words.split_reading``, gateway/pipeline.py ``split_piece``) and stops the post that
completes the identifier, whoever writes it; ordinary chat with number words passes."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import pytest

from dlp_proxy.policy.testing import CARD, SSN
from tests.conftest import Gateway
from tests.test_split_e2e import BLOCKED, _send, split_gateway

#: the test's own writer of digits as English words (not the reader's tables)
_EN = "zero one two three four five six seven eight nine".split()
_names = count()


def spell(digits: str) -> str:
    return " ".join(_EN[int(d)] for d in re.sub(r"\D", "", digits))


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from split_gateway(tmp_path_factory, "split-words-e2e")


def _channel(gw: Gateway, shared: str | None = None) -> str:
    """A fresh channel of alice's (a window of its own), or a seeded one alice and bob
    are members of."""
    if shared is not None:
        return str(gw.sim.channel(shared))
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    n = next(_names)
    r = _send(gw, "alice", "POST", "/api/v4/channels",
              {"team_id": team, "name": f"desk-words-{n}", "display_name": f"Words {n}", "type": "O"})
    return str(_passes(r)["id"])


def _post(gw: Gateway, user: str, channel: str, message: str) -> httpx.Response:
    return _send(gw, user, "POST", "/api/v4/posts", {"channel_id": channel, "message": message})


def _passes(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def _stopped(gw: Gateway, r: httpx.Response) -> None:
    assert r.status_code == 403 and r.json()["id"] == BLOCKED, (r.status_code, r.text)
    reached = [q for q in gw.sim.requests() if q["path"] == "/api/v4/posts" and q["method"] != "GET"
               and b"from_dlp_proxy" not in base64.b64decode(q["body_b64"])]
    assert reached == [], reached


def test_ssn_in_words_over_two_posts_same_user(gw: Gateway) -> None:
    ch = _channel(gw)
    words = spell(SSN).split()
    _passes(_post(gw, "alice", ch, "client SSN " + " ".join(words[:3])))
    _stopped(gw, _post(gw, "alice", ch, " ".join(words[3:])))


def test_ssn_in_words_over_two_posts_two_users(gw: Gateway) -> None:
    ch = _channel(gw, "town_square")
    words = spell(SSN).split()
    _passes(_post(gw, "alice", ch, "client SSN " + " ".join(words[:3])))
    _stopped(gw, _post(gw, "bob", ch, " ".join(words[3:])))


def test_card_in_words_over_two_posts(gw: Gateway) -> None:
    ch = _channel(gw)
    words = spell(CARD).split()
    _passes(_post(gw, "alice", ch, "card " + " ".join(words[:4])))
    _stopped(gw, _post(gw, "alice", ch, " ".join(words[4:])))


def test_digits_then_words(gw: Gateway) -> None:
    ch = _channel(gw, "private")
    digits = re.sub(r"\D", "", SSN)
    _passes(_post(gw, "alice", ch, f"client SSN {digits[:3]}"))
    _stopped(gw, _post(gw, "bob", ch, spell(digits[3:])))


def test_words_then_digits(gw: Gateway) -> None:
    ch = _channel(gw)
    digits = re.sub(r"\D", "", SSN)
    _passes(_post(gw, "alice", ch, "client SSN " + spell(digits[:5])))
    _stopped(gw, _post(gw, "alice", ch, digits[5:]))


def test_chat_with_number_words_passes(gw: Gateway) -> None:
    ch = _channel(gw)
    for message in ("one sec", "I have one or two questions", "meet at three", "two of them left at five",
                    "room one is free", "we need four more chairs", "the seven dwarfs"):
        _passes(_post(gw, "alice", ch, message))


def test_digits_then_polish_words(gw: Gateway) -> None:
    # the report's form: "client SSN 536 22", then the rest in Polish digit words
    ch = _channel(gw)
    digits = re.sub(r"\D", "", SSN)
    polish = "zero jeden dwa trzy cztery piec szesc siedem osiem dziewiec".split()
    _passes(_post(gw, "alice", ch, f"client SSN {digits[:3]} {digits[3:5]}"))
    _stopped(gw, _post(gw, "alice", ch, " ".join(polish[int(d)] for d in digits[5:])))
