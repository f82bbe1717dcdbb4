"""Attack pass atk22, the split window (policy/split.py) with a real Redis.

F3: an IBAN split over consecutive posts cut inside its letters ("IBAN GB82 WE" then "ST
1234 5698 ...", "IBAN G" then "B82 WEST ...", three posts).  F2: three or four posts with
no label cut inside digit groups ("536-2", "2-87", "10"; a card likewise): the chain is
read once more with the digits meeting at its cuts written together.  Property tests on
generated IBANs (mod 97, several countries), Luhn cards and SSNs cut at random points,
and on generated multi-post desk chat, which must never be glued into an identifier.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.policy.split import SplitWindow, may_carry_a_piece, unspaced
from tests.test_detect_lines22 import CARD_PREFIXES, SPECS, grouped, iban, luhn_card

KEY = b"s" * 32
_DETECTOR: list = []


@pytest.fixture(scope="module")
def detector(engine):
    _DETECTOR[:] = [engine]
    return engine


def _run(posts: list[str]) -> list[set[str]]:
    """``posts`` through a fresh window of one channel, filler through
    ``may_carry_a_piece`` as the gateway does: each post's finding types."""
    async def go() -> list[set[str]]:
        client = aioredis.Redis(host="127.0.0.1", port=6379)
        prefix = f"test:policy:split22:{uuid.uuid4().hex}:"
        clock = [1_000_000.0]
        window = SplitWindow(client, key=KEY, prefix=prefix, ttl_seconds=1800, clock=lambda: clock[0])
        out: list[set[str]] = []
        try:
            for text in posts:
                clock[0] += 7
                if not may_carry_a_piece(text, capitals=True):
                    out.append(set())
                    continue
                out.append({f.entity_type for f in await window.check("u1", "chan", text, _DETECTOR[0])})
        finally:
            keys = [k async for k in client.scan_iter(match=prefix + "*")]
            if keys:
                await client.delete(*keys)
            await client.aclose()
        return out
    return asyncio.run(go())


STOPPED = [
    (["IBAN GB82 WE", "ST 1234 5698 7654 32"], "IBAN_CODE"),
    (["IBAN G", "B82 WEST 1234 5698 7654 32"], "IBAN_CODE"),
    (["IBAN GB", "82 WEST 1234 5698 7654 32"], "IBAN_CODE"),
    (["IBAN GB82 W", "EST12345698765432"], "IBAN_CODE"),
    (["IBAN GB82", "WEST 1234 5698 7654 32"], "IBAN_CODE"),
    (["IBAN G B", "82 WEST 1234 5698 7654 32"], "IBAN_CODE"),
    (["wire to G", "B82 WEST 1234 5698 7654 32"], "IBAN_CODE"),
    (["IBAN GB82 WE", "ST 1234 56", "98 7654 32"], "IBAN_CODE"),
    (["536-2", "2-87", "10"], "US_SSN"),
    (["536-2", "2-8", "710"], "US_SSN"),
    (["client SSN follows", "536-2", "2-87", "10"], "US_SSN"),
    (["4111 11", "11 1111 1", "111"], "CREDIT_CARD"),
    (["4539 14", "88 0343 6", "467"], "CREDIT_CARD"),
    # F7: the last digits typed as the letters drawn as them
    (["client SSN 536-22-87", "lO"], "US_SSN"),
    (["client SSN 536-22-871", "O"], "US_SSN"),
    (["card 4111 1111 1111 111", "l"], "CREDIT_CARD"),
    (["client SSN 536-22-87", "ok", "lO"], "US_SSN"),
]


@pytest.mark.parametrize(("posts", "etype"), STOPPED)
def test_atk22_splits_cut_inside_a_group_are_stopped(detector, posts: list[str], etype: str) -> None:
    found = _run(posts)
    assert found[:-1] == [set()] * (len(posts) - 1)
    assert etype in found[-1]


def test_an_iban_label_keeps_its_lone_capital_apart() -> None:
    assert unspaced("IBAN G") == "IBAN G" and unspaced("E S 66") == "ES66" and unspaced("B A R C") == "BARC"
    assert may_carry_a_piece("IBAN G", capitals=True) and may_carry_a_piece("wire to GB", capitals=True)
    assert not may_carry_a_piece("IBAN G") and not may_carry_a_piece("meeting with IBM", capitals=True)
    assert not may_carry_a_piece("plan B", capitals=True) and not may_carry_a_piece("see you at 3 PM", capitals=False)


def test_letters_drawn_as_digits_count_only_glued_to_a_number() -> None:
    # a post of them is a piece (F7), a word of them in lower case is chat
    assert may_carry_a_piece("lO", capitals=True) and may_carry_a_piece("O", capitals=True)
    assert not may_carry_a_piece("lol", capitals=True) and not may_carry_a_piece("oo", capitals=True)
    assert not may_carry_a_piece("lO")  # a text's line is read as written


@pytest.mark.parametrize("posts", [["client SSN 536-22-87", "lol"], ["O", "client SSN 536-22-87"],
                                   ["lO", "IO", "536-22-87"], ["536-22-87", "lO"], ["px 101.25", "O"]])
def test_letters_drawn_as_digits_elsewhere_complete_nothing(detector, posts: list[str]) -> None:
    assert not any(_run(posts))


def _cuts(rng: random.Random, printed: str, n: int) -> list[str]:
    """``printed`` cut at ``n`` distinct points (a blank at a cut is dropped)."""
    points = sorted(rng.sample(range(1, len(printed)), n))
    parts = [printed[a:b].strip() for a, b in zip([0, *points], [*points, len(printed)], strict=True)]
    return parts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), country=st.sampled_from(sorted(SPECS)), cuts=st.integers(1, 2),
       label=st.sampled_from(["IBAN ", "client IBAN: ", ""]))
def test_property_an_iban_cut_anywhere_over_posts_is_stopped(detector, seed: int, country: str, cuts: int,
                                                             label: str) -> None:
    rng = random.Random(seed)
    value = iban(rng, country)
    parts = _cuts(rng, " ".join(value[i:i + 4] for i in range(0, len(value), 4)), cuts)
    if not label and len(parts[0].replace(" ", "")) < 4:
        parts = _cuts(rng, " ".join(value[i:i + 4] for i in range(0, len(value), 4))[4:], cuts)
        parts[0] = value[:4] + " " + parts[0]
    posts = [label + parts[0], *parts[1:]]
    if any(not p for p in posts):
        return
    found = _run(posts)
    assert any("IBAN_CODE" in f for f in found), posts


def _ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), kind=st.sampled_from(["ssn", "card"]))
def test_property_bare_posts_cut_inside_groups_are_stopped(detector, seed: int, kind: str) -> None:
    rng = random.Random(seed)
    if kind == "ssn":
        value, want = _ssn(rng), "US_SSN"
        if value in ("078-05-1120", "219-09-9999", "457-55-5462", "123-45-6789"):
            return
    else:
        value, want = grouped(luhn_card(rng, *rng.choice(CARD_PREFIXES))), "CREDIT_CARD"
    # two cuts, each inside a digit group (a digit on both sides)
    inside = [i for i in range(1, len(value)) if value[i - 1].isdigit() and value[i].isdigit()]
    a, b = sorted(rng.sample(inside, 2))
    posts = [value[:a], value[a:b], value[b:]]
    found = _run(posts)
    assert want in found[-1], posts


TICKERS = ["AAPL", "MSFT", "TSLA", "XOM", "GE", "IBM", "NVDA", "ES", "NQ", "TY", "GB", "DE", "AT"]


def _chat(rng: random.Random) -> str:
    q = rng.choice([100, 200, 500, 1000, 1200, 2500, 4500, 5000, 10000])
    px = f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}"
    t = rng.choice(TICKERS)
    return rng.choice([
        f"buy {q} {t} @ {px}", f"{t} {px} bid", f"{q}", f"{px}", f"{rng.randint(90, 130)}-{rng.randint(0, 31):02d}",
        f"{rng.randint(1, 12)}:{rng.choice(['00', '15', '30'])}", f"room {rng.randint(1, 40)}", f"{t}",
        f"{rng.randint(1, 999)} {rng.choice(['Main St', 'Park Ave'])}", f"- {q} {t}", f"{rng.randint(1, 9)}. {t} {q}",
        f"{q} lots", f"ticket {rng.randint(1000, 9999)}", f"{rng.randint(10, 99)}", f"{t} {rng.randint(10, 99)}",
        f"{rng.randint(90, 130)}-{rng.randint(0, 31):02d}+", f"{rng.randint(1, 9)}/{rng.randint(1, 28)}",
        f"{rng.randint(1000, 9999)} {rng.randint(10, 99)}", f"IBAN {t}", "ok", "thanks", "size?",
    ])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), n=st.integers(3, 10))
def test_property_desk_chat_over_posts_is_not_glued_into_identifiers(detector, seed: int, n: int) -> None:
    rng = random.Random(seed)
    posts = [_chat(rng) for _ in range(n)]
    found = _run(posts)
    assert not any(found), list(zip(posts, found, strict=True))
