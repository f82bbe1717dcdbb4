"""A card's security code or expiry with its label right after a number names the number a
card, whatever label (or misspelt label) stands before it: held-out probe 5 of 2026-12-07
missed ``kard 370699 544897698 exp 11/27`` and ``crd# 4304-0259 47956316, cvv 654``."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.model import CREDIT_CARD
from tests.conftest import kinds


def _complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


cards = st.tuples(st.sampled_from(["4", "51", "55", "2221", "6011"]), st.integers(10**13, 10**14 - 1)).map(
    lambda t: _complete((t[0] + str(t[1]))[:15]))
groupings = st.sampled_from([(4, 4, 8), (6, 10), (8, 8), (4, 12), (3, 5, 8)])
labels = st.sampled_from(["crd#", "kard", "Robert Johnson", "ref", "", "no."])
codes = st.sampled_from([", cvv {c}", " cvv2: {c}", " exp {m}/{y}", " (exp. {m}/{y})", " security code {c}",
                         ", valid thru {m}/{y}", " CVC {c}"])


def _grouped(card: str, sizes: tuple[int, ...], sep: str) -> str:
    out, at = [], 0
    for n in sizes:
        out.append(card[at:at + n])
        at += n
    return sep.join(out)


@settings(max_examples=120, deadline=None)
@given(card=cards, sizes=groupings, label=labels, code=codes, sep=st.sampled_from([" ", "-"]),
       c=st.integers(100, 9999), m=st.integers(1, 12), y=st.integers(25, 32))
def test_property_a_labelled_code_after_a_number_names_a_card(engine: Any, card: str, sizes: tuple[int, ...],
                                                             label: str, code: str, sep: str, c: int, m: int,
                                                             y: int) -> None:
    text = f"{label} {_grouped(card, sizes, sep)}{code.format(c=c, m=f'{m:02d}', y=y)}".strip()
    assert CREDIT_CARD in kinds(engine, text), text


@settings(max_examples=80, deadline=None)
@given(card=cards, sizes=groupings, label=labels, sep=st.sampled_from([" ", "-"]),
       after=st.sampled_from([" qty 100", ", price 12.50", " expected 11/27", " sec 120", " cid 4471",
                              " sec code 7203", ""]))  # (a client id, a Japanese security code: attack pass 6)
def test_property_without_a_labelled_code_the_grouping_still_needs_a_card_word(
        engine: Any, card: str, sizes: tuple[int, ...], label: str, sep: str, after: str) -> None:
    text = f"{label} {_grouped(card, sizes, sep)}{after}".strip()
    assert CREDIT_CARD not in kinds(engine, text), text
