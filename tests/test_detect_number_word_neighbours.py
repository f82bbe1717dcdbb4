"""A number word beside an identifier never hides it.

The normalizer reads number words as digits where they touch digit groups
(``536 22 871 zero`` is an SSN), and that reading alone turned ``536-22-8710 four-eyes``
into ``536-22-87104`` and ``4111 1111 1111 1111 two`` into a 17-digit run: any word of
the lists after (or before) an identifier hid it.  The engine now also judges the text
with its number words left as words, and keeps both readings' findings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"

#: (text of the identifier with its label, entity)
IDENTIFIERS = [
    ("client SSN 536-22-8710", "US_SSN"),
    ("SSN 536 22 8710", "US_SSN"),
    ("card 4111 1111 1111 1111", "CREDIT_CARD"),
    ("card 5500-0000-0000-0004", "CREDIT_CARD"),
    ("IBAN GB82 WEST 1234 5698 7654 32", "IBAN_CODE"),
    ("ITIN 912-70-1234", "US_ITIN"),
]
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "twenty", "hundred", "thousand", "first", "dozen", "uno", "dos", "eins", "zwei", "trois",
         "four-eyes", "two-factor", "one-off", "five-star", "nine-to-five"]
GLUES = [" ", "-", ", ", " / ", "\n", " and ", ": "]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ident=st.sampled_from(IDENTIFIERS), before=st.lists(st.sampled_from(WORDS), max_size=2),
       after=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), glue=st.sampled_from(GLUES),
       tail=st.sampled_from(["", " from the shell", " please", "."]))
@example(ident=IDENTIFIERS[0], before=[], after=["four-eyes"], glue=" ", tail=" from the shell")
@example(ident=IDENTIFIERS[2], before=[], after=["two"], glue=" ", tail="")
def test_a_number_word_beside_an_identifier_never_hides_it(
    engine: Engine, ident: tuple[str, str], before: list[str], after: list[str], glue: str, tail: str
) -> None:
    text, entity = ident
    message = " ".join(before) + (" " if before else "") + text + glue + " ".join(after) + tail
    found = [f for f in engine.analyze(message) if f.entity_type == entity]
    assert found, message
    assert all(0 <= f.start < f.end <= len(message) for f in found)


def test_number_words_still_spell_a_number(engine: Engine) -> None:
    """The words' reading is kept: spelled digits and a spelled last digit are still read."""
    for message in ("SSN five three six two two eight seven one zero", "client SSN 536-22-871 zero"):
        assert any(f.entity_type == "US_SSN" for f in engine.analyze(message)), message
