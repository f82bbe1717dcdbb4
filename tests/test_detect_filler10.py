"""Attack pass atk10d on the "words between groups" reading (detect/filler.py), as classes:

- P3/P2 (precision): a reading that joins digit groups across words is weak evidence: it
  needs a label of the identifier it reads ("acct", "bank", "routing", "debit" name no
  SSN), and a price, a time, a date or a quantity with thousands separators is no group;
- F4: under such a label, groups of any lengths that make up the identifier, digits named
  in the words ("first 5", "last 4") being no group;
- F5: a masked form and the groups that fill its slots, and groups in the order the
  words name ("last four ... first five ...");
- F6: a labelled card one off, with the arithmetic beside it;
- and the same pieces across two posts (the split window, policy/split.py).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine
from dlp_proxy.detect.filler import filler_edits
from dlp_proxy.policy import testing as synth
from dlp_proxy.policy.split import SplitWindow, may_carry_a_piece
from tests.conftest import Gateway, assert_post_stopped, post_reached

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")


def _types(engine: Engine, text: str) -> list[str]:
    return [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]


@pytest.fixture(scope="module")
def stops() -> Callable[[Engine, str], bool]:
    from dlp_proxy.cli.detect import STOP_ACTIONS, make_decider, policy_entities
    from dlp_proxy.model import ContentItem, ScannedItem

    policy = REPO_CONFIG / "policy.yaml"
    decider, _ = make_decider(policy, False)
    entities = policy_entities(policy, False)

    def stop(engine: Engine, text: str) -> bool:
        findings = engine.analyze(text, entities=entities)
        return decider([ScannedItem(ContentItem("text", text), tuple(findings))]) in STOP_ACTIONS

    return stop


#: (text, entity): each stopped
LEAKS = [
    # F4: any split of the identifier's length, digits in the words
    ("ssn first five 53622 last four 1234", "US_SSN"),
    ("ssn 53622 rest 1234", "US_SSN"),
    ("client ssn: 53622 and then 1234", "US_SSN"),
    ("ssn starts with 53622 ends with 1234", "US_SSN"),
    ("ITIN first five 91270 last four 1234", "US_ITIN"),
    ("card 411111111111 last 1111", "CREDIT_CARD"),
    ("card BIN 411111 rest 1111111111", "CREDIT_CARD"),
    ("IBAN DE8937040044 and then 0532013000", "IBAN_CODE"),
    ("ssn 536 and 221234", "US_SSN"),
    ("card 41111111 1111 and 1111", "CREDIT_CARD"),
    ("ssn: first 5 = 53622, last 4 = 1234", "US_SSN"),
    ("ssn begins 536-22, the last 4 are 1234", "US_SSN"),
    # F5: masked form + the rest, groups out of order
    ("SSN ***-**-1234, first five are 536-22", "US_SSN"),
    ("SSN xxx-xx-1234 (first five 53622)", "US_SSN"),
    ("ssn 536-22-xxxx last4 is 1234", "US_SSN"),
    ("ssn last four 1234, first three 536, middle two 22", "US_SSN"),
    ("ssn ends 1234, starts 53622", "US_SSN"),
    ("card ending 1111, first twelve 4111 1111 1111", "CREDIT_CARD"),
    ("visa xxxx-xxxx-xxxx-1111, the rest is 4111 1111 1111", "CREDIT_CARD"),
    ("IBAN DE89 XXXX XXXX XXXX XXXX 00, middle: 3704 0044 0532 0130", "IBAN_CODE"),
    # F6: a labelled card one off, with the arithmetic
    ("card 4111111111111112 then subtract one", "CREDIT_CARD"),
    ("visa 4111 1111 1111 1112, take one off the end", "CREDIT_CARD"),
    ("card 4111-1111-1111-1110 (last digit +1)", "CREDIT_CARD"),
    ("card: 4111111111111112 - 1", "CREDIT_CARD"),
]

#: clean desk chat: each left alone
CLEAN = [
    "acct 7 sold 10000 at 189.25, 1500 left",
    "acct 12 bought at 415.50, 2500 more to go",
    "account 3 filled 250.75 then 1200 shs",
    "acct 9 px 101.22 qty 4500",
    "acct 7 sold 10000 at 536.22, 1234 left",
    "account 55 avg px 415.50 on 2500",
    "acct 4 working 5000, done 2500 at 101.22",
    "bank stocks: JPM 189.25 on 1500 shs",
    "BAC bank bid 415.50, size 2500",
    "routing via IEX at 172.15 then 2000 more",
    "Amex (AXP) last 289.50 vol 2500",
    "debit spread on SPY at 536.22 x 1234",
    "card fees 189.25 per 1500 swipes",
    "Account 12: bought 536 shares, sold 22, net 1234 after the block",
    # a card that fails the checksum stays clean without arithmetic; ssn words with prices
    "card 4111111111111112 declined",
    "ssn checks: 12 at 10:30, 1,500 at $189.25 on 12/05",
    # counts beside an SSN word: a number followed by a unit or a plural is no group
    "SSN verification failed for 12345 users, 1234 retries",
    "ssn lookups: 12345 ok, 1234 failed",
    "SSN batch 20241 processed 5000 rows",
    "ssn field: 12 of 1234567 rows empty",
    "TIN matching: 54321 records, 9876 mismatches",
    "ssn audit 12345 done 1234 to go",
    # one row of a table is no group of the next row's
    "ssn\n828,,,rebalance\nclient 829,,,call back\nclient 830",
]


@pytest.mark.parametrize(("text", "entity"), LEAKS)
def test_labelled_pieces_are_read(engine: Engine, text: str, entity: str) -> None:
    assert entity in _types(engine, text), text


@pytest.mark.parametrize("text", CLEAN)
def test_desk_chat_is_left_alone(engine: Engine, text: str) -> None:
    assert _types(engine, text) == [], text


def test_a_label_reads_only_its_own_identifier() -> None:
    """The reading's edits: a 3-2-4 with an SSN label, none with an account, bank or
    routing label (those name no SSN), none with a card label (a 3-2-4 is no card)."""
    assert filler_edits("ssn 536, then 22, then 8710")
    for label in ("acct", "account", "bank", "routing", "aba", "card", "debit", "amex"):
        assert filler_edits(f"{label} 536, then 22, then 8710") == [], label


ACCOUNT_WORDS = ["acct", "account", "Acct", "ACCOUNT", "bank", "routing", "aba", "card", "debit", "credit", "amex",
                 "visa", "pan"]
VERBS = ["sold", "bought", "working", "filled", "bid", "offered", "avg px", "done"]
#: no "then" between two quantities: normalize.py's spelled-separators reads "1000 then 1200" as
#: "1000 1200", an 8-digit account beside "acct" (test_spelled_then_between_quantities, below)
TAILS = ["left", "more to go", "shs", "and 1200 more", "on the block", "remaining", "to go", "done"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=st.sampled_from(ACCOUNT_WORDS), n=st.integers(1, 999), verb=st.sampled_from(VERBS),
       sym=st.sampled_from(["AAPL", "JPM", "SPY", "BAC", "IEX", "MSFT"]), price=st.integers(10000, 99999),
       qty=st.integers(100, 99999), link=st.sampled_from([", ", " and ", " qty ", " on ", " x ", " / ", ", size "]),
       tail=st.sampled_from(TAILS))
def test_property_desk_lines_are_no_identifier(engine: Engine, stops: Callable[[Engine, str], bool], label: str,
                                               n: int, verb: str, sym: str, price: int, qty: int, link: str,
                                               tail: str) -> None:
    """No reading across words, and no stop.  (A price and a quantity that make a checksum-valid
    routing number beside "routing", "100.00, 9998", is read by the routing recognizer and
    monitored, not stopped: routing numbers are published.)"""
    text = f"{label} {n} {verb} {sym} at {price // 100}.{price % 100:02d}{link}{qty} {tail}"
    assert not [f for f in engine.analyze(text) if "filler-words" in f.transforms], text
    assert not stops(engine, text), text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.sets(st.integers(2, 7), min_size=1, max_size=2), fill=st.lists(
           st.sampled_from(["then", "and", "rest", "and then", "next", "followed by", "rest is"]), min_size=2,
           max_size=2), comma=st.booleans(), label=st.sampled_from(["ssn", "SSN", "client ssn:", "social"]),
       reverse=st.booleans())
def test_property_any_split_of_a_labelled_ssn(engine: Engine, cuts: set[int], fill: list[str], comma: bool,
                                              label: str, reverse: bool) -> None:
    """The SSN's nine digits cut anywhere (parts of two digits or more), words between, in
    order or last part first ("ends ..., starts ...")."""
    digits = synth.SSN.replace("-", "")
    edges = [0, *sorted(cuts), 9]
    parts = [digits[a:b] for a, b in itertools.pairwise(edges)]
    if any(len(p) < 2 for p in parts):
        return
    mark = "," if comma else ""
    if reverse and len(parts) == 2:
        text = f"{label} ends {parts[1]}{mark} starts {parts[0]}"
    else:
        text = f"{label} {parts[0]}" + "".join(f"{mark} {w} {p}" for w, p in zip(fill, parts[1:], strict=False))
    assert "US_SSN" in _types(engine, text), text


def test_spelled_then_between_quantities(engine: Engine, stops: Callable[[Engine, str], bool]) -> None:
    # 'then' between two whole hundreds is a sequence of quantities (normalize.py's spelled-separators)
    assert not stops(engine, "acct 1 sold AAPL at 100.00 on 1000 then 1200 more")
    assert not stops(engine, "acct 1 sold 500 then 2500 then 1200 at 12.5")
    assert stops(engine, "acct 1000 then 1234 5678")  # an account's group may be round, not two beside
    assert "US_SSN" in _types(engine, "ssn 536 then 22 then 1234")


@pytest.mark.parametrize("text", [
    "routing 1 sold AAPL at 100.00, 9998 left",
    "routing 1 sold AAPL at 100.00 9998 left",
    "routing 1 bought @ 100.00 9998 more",
    "routing 1 px 100.00; 9998 filled",
    "acct 1 sold at 1234.56 7890 12",
])
def test_a_price_gives_no_group_to_a_neighbour(engine: Engine, text: str) -> None:
    # a price's cents are no group of a routing or account number read across numbers (recognizers/_structure.py)
    assert not _types(engine, text), text


@pytest.mark.parametrize("text", ["routing 021000021 sold at 100.00", "SSN 536.22 1234", "ssn@536-22-1234",
                                  "acct 1234 5678 9012 at 100.00"])
def test_an_identifier_beside_a_price_is_still_read(engine: Engine, text: str) -> None:
    assert _types(engine, text), text


async def _split(messages: list[str]) -> list[str]:
    import redis.asyncio as aioredis

    client = aioredis.Redis(host="127.0.0.1", port=6379)
    prefix = f"test:filler10:{uuid.uuid4().hex}:"
    try:
        window = SplitWindow(client, key=b"s" * 32, prefix=prefix)
        found: list[str] = []
        for text in messages:
            if may_carry_a_piece(text):
                found = [f.entity_type for f in await window.check("u1", "c1", text, _SPLIT_DETECTOR[0])]
        return found
    finally:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


_SPLIT_DETECTOR: list[Engine] = []


@pytest.mark.parametrize(("messages", "entity"), [
    (["ssn first five: 53622", "last four 1234"], "US_SSN"),
    (["ssn last four: 1234", "first five 53622"], "US_SSN"),
    (["SSN ***-**-1234", "first five are 536-22"], "US_SSN"),
    (["card 411111111111", "last 1111"], "CREDIT_CARD"),
])
def test_pieces_across_two_posts(engine: Engine, messages: list[str], entity: str) -> None:
    _SPLIT_DETECTOR[:] = [engine]
    assert entity in asyncio.run(_split(messages)), messages


def _channel(gw: Gateway) -> str:
    name = "filler-" + "".join(random.choice("abcdefghij") for _ in range(10))
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                   json={"team_id": gw.sim.ids["team"], "name": name, "display_name": "Desk", "type": "O"},
                   timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_gateway_desk_line_passes_and_masked_ssn_is_stopped(gateway: Gateway) -> None:
    """Through the gateway: a clean desk line reaches Mattermost (in a channel of its own,
    no earlier piece to join), a masked SSN with its first five is stopped."""
    marker = "ref" + "".join(random.choice("klmnopqrst") for _ in range(8))
    channel = _channel(gateway)
    r = httpx.post(f"{gateway.url}/api/v4/posts",
                   json={"channel_id": channel, "message": f"acct 7 sold 10000 at 189.25, 1500 left {marker}"},
                   headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 201, r.text
    assert post_reached(gateway, marker)
    assert_post_stopped(gateway, "SSN ***-**-1234, first five are 536-22 ok")
    assert_post_stopped(gateway, "card 4111111111111112 then subtract one")
