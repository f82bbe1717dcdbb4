"""Attack pass atk12d A17: the halves of an identifier in ONE post with unrelated lines
between them ("client SSN 536-22", "lunch at noon?", "8710").  The engine reads a short
text's lines as the split window reads a channel's posts (policy/split.py
``completed_lines``): the lines that may carry a piece are the pieces, the others filler,
under the posts' precision rules (a reading across lines counts when it names itself,
has a label of its own or the writer visibly split it).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from dlp_proxy.policy.split import line_pieces
from tests.conftest import stopped_as

FILLER = ["lunch at noon?", "px 101.25 on the 10y", "ok", "see you at the 2pm", "ES 6012.25 NQ 21000.50",
          "ticket OPS-4521 updated", "thanks", "will check with ops", "", "call me after the close"]
SSN_LABELS = ["SSN", "client SSN", "her SSN:", "social", "ssn#", "SSN is", "the client's SSN"]
CARD_LABELS = ["card", "card no", "visa", "client card:"]
IBAN_LABELS = ["IBAN", "iban:", "client IBAN"]
#: (label kind, head, tail): the halves as written
HALVES = [
    ("ssn", "536-22", "8710"), ("ssn", "536-22-", "8710"), ("ssn", "536", "22-8710"), ("ssn", "536 22", "8710"),
    ("ssn", "536228", "710"),
    ("card", "4111 1111", "1111 1111"), ("card", "4111 1111 1111", "1111"), ("card", "4111", "1111 1111 1111"),
    ("card", "5500 0000", "0000 0004"),
    ("iban", "GB82 WEST 1234", "5698 7654 32"), ("iban", "GB82 WEST 1234 5698", "7654 32"),
    ("iban", "DE89 3704 0044", "0532 0130 00"),
]
LABELS = {"ssn": SSN_LABELS, "card": CARD_LABELS, "iban": IBAN_LABELS}
WANT = {"ssn": {"US_SSN"}, "card": {"CREDIT_CARD"}, "iban": {"IBAN_CODE"}}

A17 = [
    "client SSN 536-22\nlunch at noon?\n8710",
    "card 4111 1111\nlunch at noon?\n1111 1111",
    "IBAN GB82 WEST 1234\nlunch at noon?\n5698 7654 32",
    "client SSN 536-22\nlunch at noon?\npx 101.25 on the 10y\nok\nsee you at the 2pm\nES 6012.25 NQ 21000.50\n8710",
    "card 4111 1111\nlunch at noon?\npx 101.25 on the 10y\nok\nsee you at the 2pm\n1111 1111",
    "IBAN GB82 WEST 1234\nlunch at noon?\npx 101.25 on the 10y\nok\n5698 7654 32",
    "client SSN 536-22\nok\nthe last four are 8710",
    "card 4111\nok\n1111\nlunch?\n1111\nsure\n1111",
]


@pytest.mark.parametrize("text", A17)
def test_halves_on_lines_with_other_lines_between_are_stopped(engine: Any, text: str) -> None:
    assert stopped_as(engine, text)


def _generated(seed: int) -> list[tuple[str, set[str]]]:
    rng = random.Random(seed)
    out = []
    for kind, head, tail in HALVES:
        for _ in range(3):
            label = rng.choice(LABELS[kind])
            between = rng.sample(FILLER, rng.randint(1, 5))
            if not any(line.strip() for line in between):
                between.append("ok")
            text = "\n".join([f"{label} {head}".strip(), *between, tail])
            out.append((text, WANT[kind]))
    return out


@pytest.mark.parametrize(("text", "want"), _generated(1212) + _generated(2024))
def test_generated_halves_on_lines_are_stopped(engine: Any, text: str, want: set[str]) -> None:
    assert stopped_as(engine, text) & want, text


CLEAN = [
    # bare halves with no label of their own and no cut mark: a trader's bare answers
    "536-22\nlunch at noon?\n8710",
    "116-23\nok\n5000",
    "bid 536-22\nlunch at noon?\n8710 lots",
    # counts on the lines of a status report under an SSN/account/card word (B7)
    "SSN backfill:\n617 done\nlunch?\n77 failed\n4867 remaining",
    "TIN/SSN mismatches (B-notice)\n3928 views\nsee you at the 2pm\n9980 letters sent\n\n2401 matched\nok\n90 open",
    "card dispute queue\n41 open\nthanks\n1111 closed\nok\n17 pending",
]


@pytest.mark.parametrize("text", CLEAN)
def test_clean_lines_are_not_stopped(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text)


def _desk(seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(40):
        lines = []
        for _ in range(rng.randint(3, 7)):
            r = rng.random()
            if r < 0.35:
                lines.append(str(rng.choice([rng.randint(1, 999), rng.randint(1000, 9999), rng.randint(10000, 99999)])))
            elif r < 0.5:
                lines.append(f"{rng.randint(90, 130)}-{rng.randint(0, 31):02d}")
            elif r < 0.7:
                lines.append(f"{rng.choice(['bid', 'offer', 'size?', 'mine', 'yours', 'can you do'])} {rng.randint(1, 9999)}")
            else:
                lines.append(rng.choice(FILLER))
        out.append("\n".join(lines))
    return out


@pytest.mark.parametrize("text", _desk(7))
def test_desk_chat_with_bare_numbers_on_lines_is_not_stopped(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text)


def test_line_pieces_are_the_lines_that_may_carry_one_when_filler_stands_between() -> None:
    text = "client SSN 536-22\nlunch at noon?\n8710"
    assert line_pieces(text) == [(0, "client SSN 536-22"), (33, "8710")]
    assert line_pieces("client SSN 536-22\n8710") == []  # adjacent: read together as written
    assert line_pieces("SSN backfill:\n617 done\nok\n77 failed") == []  # counts are no pieces
