"""The normalizer's Unicode tables are current (unicodedata2), not the interpreter's
(Python 3.11's unicodedata is Unicode 14): digits added since (outlined digits
U+1CCF0.., Kawi, Nag Mundari, Garay, Sunuwar...) are digits to the detector and to the
gateway's inline-scan gate.  The reference is the ``regex`` module's own property
tables, so the next Unicode version cannot silently reopen the gap."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import regex
import unicodedata2
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize, rendered_digits, sanitize
from dlp_proxy.gateway.pipeline import normalized_digits
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
_ND = regex.compile(r"\p{Nd}")
#: every decimal digit Unicode defines, by the ``regex`` module's tables
DIGITS = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and _ND.match(chr(c))]
#: the zero of each script whose digits Python 3.11 does not know (the attack's blocks)
NEW_ZEROS = {"outlined": 0x1CCF0, "kawi": 0x11F50, "nag mundari": 0x1E4F0, "garay": 0x10D40, "sunuwar": 0x11BF0}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _in(zero: int, text: str) -> str:
    return "".join(chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in text)


def test_the_tables_know_every_digit_regex_knows() -> None:
    assert unicodedata2.unidata_version >= "16.0.0"
    assert all(unicodedata2.category(d) == "Nd" for d in DIGITS)
    assert {chr(z) for z in NEW_ZEROS.values()} <= set(DIGITS)


def test_every_unicode_digit_is_its_ascii_digit() -> None:
    for d in DIGITS:
        assert normalize(d).text == str(unicodedata2.decimal(d)), f"U+{ord(d):04X}"


@pytest.mark.parametrize("script", sorted(NEW_ZEROS))
def test_an_ssn_in_newer_digits_is_found(engine: Engine, script: str) -> None:
    text = _in(NEW_ZEROS[script], f"client SSN {synth.SSN}")
    found = [(f.entity_type, text[f.start : f.end]) for f in engine.analyze(text)]
    assert ("US_SSN", _in(NEW_ZEROS[script], synth.SSN)) in found


def test_a_card_in_outlined_digits_is_found(engine: Engine) -> None:
    text = _in(NEW_ZEROS["outlined"], f"card {synth.CARD}")
    assert "CREDIT_CARD" in {f.entity_type for f in engine.analyze(text)}


_PIECES = ["1", "a", " ", "-", "three", "five", *[chr(z + 5) for z in NEW_ZEROS.values()], "\u200b", "\u0301"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_the_inline_gate_counts_the_newer_digits(pieces: list[str]) -> None:
    """The gateway's inline-scan gate bounds the digits the engine sees, newer digits included."""
    text = "".join(pieces)
    seen = len(re.findall(r"[0-9]", normalize(sanitize(text)).text))
    assert normalized_digits(text) >= seen
    gate_own = sum(1 for c in text if unicodedata2.category(c) == "Nd")
    assert gate_own + rendered_digits(text) >= seen
