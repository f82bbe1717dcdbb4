"""A card written with its expiry or code as one more group, or beside another number
grouped alike (held-out probe, class 6: ``4111 1111 1111 1111 0427`` was read as one
20-digit run, no card).  recognizers/cards.py ``_code_after``; real detector."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.detect.engine import Engine


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(ner=False)


def _card(prefix: str, body: int) -> str:
    """A 16-digit number with ``prefix`` (an issuer's range) and a valid check digit."""
    head = (prefix + f"{body:015d}")[:15]
    return next(head + d for d in "0123456789" if luhn_ok(head + d))


_CARDS = st.builds(_card, st.sampled_from(["4", "51", "55", "2221", "6011"]), st.integers(0, 10**14))


def _grouped(digits: str, sep: str) -> str:
    return sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))


def _cards(engine: Engine, text: str) -> list[str]:
    return [text[f.start:f.end] for f in engine.analyze(text) if f.entity_type == "CREDIT_CARD"]


def _card_found(engine: Engine, text: str, card: str) -> bool:
    """A card finding over the first place ``card`` is written in ``text`` (with the group
    after it when those 19 digits pass a card's checks too)."""
    a = text.index(card)
    return any(f.entity_type == "CREDIT_CARD" and f.start <= a and a + len(card) <= f.end for f in engine.analyze(text))


@settings(max_examples=60, deadline=None)
@given(_CARDS, st.sampled_from([" ", "-"]), st.one_of(
    st.builds(lambda m, y: f"{m:02d}{y:02d}", st.integers(1, 12), st.integers(24, 35)),
    st.integers(100, 999).map(str)))
def test_a_card_with_its_expiry_or_code_as_one_more_group_is_a_card(engine: Engine, card: str, sep: str,
                                                                    tail: str) -> None:
    text = f"{_grouped(card, sep)}{sep}{tail}"
    assert _card_found(engine, text, _grouped(card, sep)), text


@settings(max_examples=40, deadline=None)
@given(_CARDS, _CARDS, st.sampled_from(["card ending 1111", "exp 0427", "cards:", "card no."]))
def test_a_card_word_before_a_longer_run_finds_the_cards_in_it(engine: Engine, one: str, two: str, lead: str) -> None:
    text = f"{lead} {_grouped(one, ' ')} {_grouped(two, ' ')}"
    assert _card_found(engine, text, _grouped(one, " ")), text


@pytest.mark.parametrize("text", [
    "tracking 9400 6251 0551 7637 1984 05",  # USPS: the run is one number
    "ref 4532 0151 1283 0366 1399",  # a fifth group that is no month (13) and no code
    "4532 0151 1283 0366 0427 5521",  # two more groups
])
def test_a_longer_run_without_a_card_word_is_one_number(engine: Engine, text: str) -> None:
    assert _cards(engine, text) == []
