"""Enclosed Latin letters NFKC leaves as symbols or in brackets (``enclosed-letters``):
negative circled and negative squared capitals, regional indicators (one alone shows a
boxed letter, a pair a flag: ``🇬🇧82`` is read ``GB82``) and parenthesized letters
(NFKC: ``(G)``), read as their letter, so an IBAN's letters written with them are
still letters."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
IBAN = ["GB82", "WEST", "1234", "5698", "7654", "32"]

#: each style by the Unicode name of its capital letters (looked up here, not taken
#: from the normalizer's table)
STYLES = {
    "negative squared": "NEGATIVE SQUARED LATIN CAPITAL LETTER {}",
    "negative circled": "NEGATIVE CIRCLED LATIN CAPITAL LETTER {}",
    "regional indicator": "REGIONAL INDICATOR SYMBOL LETTER {}",
    "parenthesized": "PARENTHESIZED LATIN CAPITAL LETTER {}",
    "squared": "SQUARED LATIN CAPITAL LETTER {}",
    "circled": "CIRCLED LATIN CAPITAL LETTER {}",
}


def _styled(word: str, style: str, emoji: bool) -> str:
    out = []
    for ch in word:
        if ch.isalpha():
            out.append(unicodedata.lookup(STYLES[style].format(ch)) + ("\ufe0f" if emoji else ""))
        else:
            out.append(ch)
    return "".join(out)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(styles=st.lists(st.sampled_from(sorted(STYLES)), min_size=2, max_size=2), emoji=st.booleans(),
       which=st.sampled_from(["country", "bank", "both"]), label=st.sampled_from(["iban ", "pay to ", ""]))
def test_property_iban_letters_enclosed(engine: Engine, styles: list[str], emoji: bool, which: str,
                                        label: str) -> None:
    groups = list(IBAN)
    if which in ("country", "both"):
        groups[0] = _styled(groups[0], styles[0], emoji)
    if which in ("bank", "both"):
        groups[1] = _styled(groups[1], styles[1], emoji)
    text = label + " ".join(groups)
    assert normalize(text).text.endswith(" ".join(IBAN)), normalize(text).text
    assert "IBAN_CODE" in {f.entity_type for f in engine.analyze(text)}, text


def test_every_enclosed_capital_reads_as_its_letter() -> None:
    for style, name in STYLES.items():
        for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
            ch = unicodedata.lookup(name.format(letter))
            assert normalize(f"x{ch}1").text == f"x{letter}1", (style, letter)


def test_parenthesized_small_letters_read_as_their_letter() -> None:
    for letter in "abcdefghijklmnopqrstuvwxyz":
        ch = unicodedata.lookup(f"PARENTHESIZED LATIN SMALL LETTER {letter.upper()}")
        assert normalize(f"x{ch}1").text == f"x{letter}1", letter


@pytest.mark.parametrize("text", ["go 🇺🇸 team, 12 wins in a row 🇬🇧", "🅰️ or 🅱️: vote by 5 pm", "ⓜ️ 🅿️ 12"])
def test_flags_and_letter_emoji_in_chat_stay_clean(engine: Engine, text: str) -> None:
    stopping = {"US_SSN", "CREDIT_CARD", "IBAN_CODE", "US_BANK_NUMBER", "ABA_ROUTING_NUMBER"}
    assert not stopping & {f.entity_type for f in engine.analyze(text)}, text
