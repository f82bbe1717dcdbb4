"""Attack pass atk12d A1: a masked group filled later in the same message
(``SSN 536-22-#### where #### = 8710``): a masked slot (``#``, ``X``, ``x``, ``_``, ``?``,
``N``, or a named one: ``[redacted]``, ``{x}``, a word glued to the digits and given
later) and the groups after it that fill it (detect/filler.py ``_labelled``); and
A17's same-line words between the halves (``card 4111 1111 - ok - 1111 1111``).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.conftest import stopped_as

PLACEHOLDERS = ["####", "XXXX", "xxxx", "____", "????", "NNNN", "abcd", "{x}", "[redacted]", "[last 4]"]
SSN_LABELS = ["SSN", "client SSN", "social security no.", "her SSN", "SSN#"]
SSN_FORMS = ["{l} 536-22-{p} where {p} = 8710", "{l} 536-22-{p} ({p} is 8710)", "{l} 536-22-{p}; fill in 8710",
             "{l} 536-22-{p}, last four 8710", "{l} 536-22-{p}\n{p} = 8710"]
CARD_FORMS = ["card 4111 1111 1111 {p} where {p} = 1111", "card 4111 1111 {p} 1111 ({p}=1111)",
              "visa 4111 1111 1111 {p}; fill in 1111"]


def _cases(seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for form in SSN_FORMS:
        for p in rng.sample(PLACEHOLDERS, 4):
            out.append((form.format(l=rng.choice(SSN_LABELS), p=p), "US_SSN"))
    for form in CARD_FORMS:
        for p in rng.sample([p for p in PLACEHOLDERS if p not in ("{x}", "[redacted]", "[last 4]")], 3):
            out.append((form.format(p=p), "CREDIT_CARD"))
    return out


@pytest.mark.parametrize(("text", "want"), _cases(1212) + _cases(99))
def test_a_masked_group_filled_later_is_stopped(engine: Any, text: str, want: str) -> None:
    assert want in stopped_as(engine, text), text


SAME_LINE = [
    "card 4111 1111 - ok - 1111 1111",
    "card 4111 1111 - call me - 1111 1111",
    "card 4111 1111 - and the rest is - 1111 1111",
    "client SSN 536-22 (lunch?) 8710",
    "client SSN 536-22. lunch at noon? 8710",
    "IBAN GB82 WEST 1234 lunch? 5698 7654 32",
]


@pytest.mark.parametrize("text", SAME_LINE)
def test_words_and_marks_between_the_halves_on_one_line_are_stopped(engine: Any, text: str) -> None:
    assert stopped_as(engine, text)


CLEAN = [
    "SSN on file ***-**-8710, ticket 4521 closed",
    "SSN 536-22-#### pending; 77 failed",  # a count fills no slot
    "card ending XXXX 1111, 3 disputes open",
    "SSN backfill: 617 done, abcd = 12",
    "acct XXXX-4829 where XXXX = branch code 0210",
    "the SSN field shows ###-##-#### until verified; retry 3 times",
    "SSN batch 617 done; done: 77",
]


@pytest.mark.parametrize("text", CLEAN)
def test_masked_forms_without_their_digits_are_not_stopped(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text)
