"""Letters that show as a stroke, a dot or a lengthening between digit groups, beside the
marks that separate them (insider attack of 2026-12-07 B5: ARABIC TATWEEL after a group,
then the dash: ``AAAـ-GGـ-SSSS``)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.model import CREDIT_CARD, US_SSN
from dlp_proxy.recognizers.ssn import ssn_valid

#: hand-picked from Unicode's data, not from the normalizer's tables: letters PropList.txt
#: marks Extender (TATWEEL, NKO LAJANYALAN, MODIFIER LETTER TRIANGULAR COLON, the half-width
#: prolonged sound mark) and letters drawn as a dot or a stroke (LATIN LETTER SINOLOGICAL
#: DOT, HANGUL LETTER EU)
LETTERS = ("\u0640", "\u07fa", "\u02d0", "\uff70", "\ua78f", "\u3161")


ssns = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]:03d}{t[1]:02d}{t[2]:04d}").filter(ssn_valid)


@settings(max_examples=80, deadline=None)
@given(d=ssns, letter=st.sampled_from(LETTERS), mark=st.sampled_from(["-", ".", "/", " "]),
       side=st.sampled_from(["before", "after", "both"]))
def test_property_a_separator_letter_beside_the_mark_is_no_wall(engine: Any, d: str, letter: str, mark: str,
                                                                side: str) -> None:
    gap = {"before": letter + mark, "after": mark + letter, "both": letter + mark + letter}[side]
    text = f"client SSN {d[:3]}{gap}{d[3:5]}{gap}{d[5:]}"
    assert US_SSN in {f.entity_type for f in engine.analyze(text)}, ascii(text)


cards = st.text("0123456789", min_size=15, max_size=15).map(lambda b: "4" + b).filter(
    lambda c: luhn_ok(c) and len(set(c)) > 3)


@settings(max_examples=40, deadline=None)
@given(card=cards, letter=st.sampled_from(LETTERS))
def test_property_a_card_with_a_separator_letter_beside_its_dashes_is_found(engine: Any, card: str,
                                                                           letter: str) -> None:
    text = "card " + "-".join(letter + card[i:i + 4] for i in range(0, 16, 4))
    assert CREDIT_CARD in {f.entity_type for f in engine.analyze(text)}, ascii(text)


@pytest.mark.parametrize("text", ["مرحبا بالجميـــع 2024", "the ratio is 3ː1 today", "ー予定 12:30"])
def test_ordinary_text_with_such_letters_is_no_identifier(engine: Any, text: str) -> None:
    assert not engine.analyze(text)
