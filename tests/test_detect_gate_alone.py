"""The engine's first gate reads number words as its normalization does
(``may_read_as_digits(text, alone=True)``: ``words.may_read_number_words``), not wherever one
stands (``digit_bound``, which the gateway keeps for pieces of a split number): a text it
rules out has no finding with the looser gate either.  Real detector, generated texts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import engine as engine_module
from dlp_proxy.detect import normalize as norm
from dlp_proxy.detect.engine import Engine

_PIECES = st.sampled_from([
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "zero", "oh", "o", "due", "tre", "eins",
    "zwei", "cinq", "hundred", "thousand", "twenty", "fifty-five", "ninety", "dash", "hyphen", "and", "then", "point",
    "ssn", "SSN", "acct", "card", "routing", "social", "is", "my", "the", "end", "of", "month", "someone", "phone",
    "money", "Reminder:", "annual", "ends", "starts", "first", "last", "middle", " ", ", ", ". ", "\n", "-", "/",
    "FIVE", "Three", "sixty", "seventy-two", "double", "triple", "x", "l", "O", "I", "S", "B", "Z",
])
_TEXTS = st.lists(_PIECES, max_size=18).map(" ".join)


def _findings(engine: Engine, text: str) -> list[tuple[str, int, int]]:
    return sorted((f.entity_type, f.start, f.end) for f in engine.analyze(text))


@settings(max_examples=400, deadline=None)
@given(_TEXTS)
def test_property_the_tight_gate_rules_out_only_texts_the_loose_one_finds_nothing_in(
        engine: Engine, text: str) -> None:
    if norm.may_read_as_digits(text, alone=True) or not text.isascii():
        return  # the gate let it through: the same reading either way
    tight = _findings(engine, text)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine_module, "may_read_as_digits", lambda t, alone=False: norm.may_read_as_digits(t))
        loose = _findings(engine, text)
    assert tight == loose, text


def test_one_number_word_in_prose_is_not_read() -> None:
    text = "Reminder: annual attestation is due by the end of the month."
    assert norm.may_read_as_digits(text)  # the gateway's reading: "due" may be a piece of a number
    assert not norm.may_read_as_digits(text, alone=True)
    assert norm.may_read_as_digits("ssn five three six two two eight seven one oh", alone=True)
