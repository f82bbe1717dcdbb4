"""A date or a clock time on a line of a text is no piece of a number split across its
lines (policy/split.py ``_WHEN`` in ``line_pieces``): a forwarded e-mail's ``Date: Wed,
Dec 1, 2026 at 4:45 PM`` joined with a number lines below read as an SSN or a card
(held-out gen24: every false stop of its invalid-SSN and Luhn-fail families was such a
forward).  A number really split across lines is still read."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in ("US_SSN", "US_ITIN", "CREDIT_CARD", "US_BANK_NUMBER", "ABA_ROUTING_NUMBER")
               for f in engine.analyze(text))


def _date_line(rnd: random.Random) -> str:
    h, m = rnd.randint(1, 12), rnd.randint(0, 59)
    day, year = rnd.randint(1, 28), rnd.randint(2019, 2027)
    return rnd.choice([
        f"Date: Wed, {rnd.choice(MONTHS)} {day}, {year} at {h}:{m:02d} {rnd.choice(['AM', 'PM'])}",
        f"Sent: {rnd.randint(1, 12)}/{day}/{year} {rnd.randint(0, 23)}:{m:02d}",
        f"Date: {year}-{rnd.randint(1, 12):02d}-{day:02d} {rnd.randint(0, 23):02d}:{m:02d}:{rnd.randint(0, 59):02d}",
        f"On {day} {rnd.choice(MONTHS)} {year}, at {h}:{m:02d}, Priya wrote:",
    ])


def _invalid_ssn(rnd: random.Random) -> str:
    return f"{rnd.choice(['000', '666', '9' + str(rnd.randint(10, 99))])}-{rnd.randint(10, 45):02d}-{rnd.randint(1000, 9999)}"


@PROPS
@given(seed=st.integers(0, 2**32 - 1))
def test_a_forwarded_header_joins_nothing(engine: Engine, seed: int) -> None:
    rnd = random.Random(seed)
    text = "\n".join(["FYI", "", "---------- Forwarded message ---------", "From: Dev <dev@example.com>",
                      _date_line(rnd), "Subject: docs", "To: ops@firm.example", "",
                      f"the form says SSN {_invalid_ssn(rnd)}, which isn't a valid number"])
    assert not _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "client SSN 536-22\nlunch at noon?\n8710",
    "Date: Dec 1, 2026 at 4:45 PM\ncard 4111 1111\nsee you at 5\n1111 1111",
])
def test_a_number_split_across_lines_is_still_read(engine: Engine, text: str) -> None:
    assert _stops(engine, text)
