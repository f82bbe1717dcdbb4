"""A word naming a telephone between a label and a nine-digit number takes nothing away
from the label (held-out probe, class 1: "SSN, confirmed by phone, <9 digits>"): a US
telephone number has ten digits, so nine are no telephone's (recognizers/_common.py
``PHONE_WORDS``).  Real detector."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.engine import Engine

SSN = "536228710"
PHONE_WORDS = ["phone", "tel", "fax", "cell", "mobile", "call", "ext", "extension"]
#: how the words stand between the label and the number
BETWEEN = ["{label}, confirmed by {word}, {n}", "{label} (verified on the {word}) {n}", "{label} per {word}: {n}",
           "{label} - client {word} - {n}", "{label}, {word} said, {n}"]


def _kinds(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(PHONE_WORDS), st.sampled_from(BETWEEN), st.sampled_from(["SSN", "ssn", "Social Security"]),
       st.sampled_from([SSN, "5362 28710", "53622 8710"]))
def test_a_phone_word_between_a_label_and_nine_digits_keeps_the_label(
        engine: Engine, word: str, between: str, label: str, number: str) -> None:
    text = between.format(label=label, word=word, n=number)
    assert "US_SSN" in _kinds(engine, text), text


@pytest.mark.parametrize("word", PHONE_WORDS)
def test_a_phone_word_alone_labels_no_ssn(engine: Engine, word: str) -> None:
    assert "US_SSN" not in _kinds(engine, f"{word} {SSN}")
    assert "US_SSN" not in _kinds(engine, f"client {word}: {SSN}")


@pytest.mark.parametrize("word", PHONE_WORDS)
def test_ten_digits_after_a_phone_word_are_still_no_ssn(engine: Engine, word: str) -> None:
    # ten digits are a telephone's: the phone word nearer to them than the label still wins
    assert "US_SSN" not in _kinds(engine, f"SSN, confirmed by {word}, {SSN}1")
