"""The context probes' ASCII shadow (recognizers/_common.py ``ascii_shadow``): a text
with characters outside ASCII is searched as fast as an ASCII one, with the same answer
as the case-insensitive search of the text itself."""

from __future__ import annotations

import re
import sys

from hypothesis import example, given
from hypothesis import strategies as st

from dlp_proxy.recognizers._common import FOLDS_TO_ASCII, ContextProbe, ascii_shadow, context_regex
from dlp_proxy.recognizers.bank import STRONG_ACCOUNT


def test_the_folds_are_every_character_ignorecase_pairs_with_ascii() -> None:
    # every code point, as Python's re reads it: a missing one would make a probe say
    # "no context word" where the search of the text finds one
    any_ascii = re.compile("[\x00-\x7f]", re.IGNORECASE)
    paired = {cp for cp in range(128, sys.maxunicode + 1) if any_ascii.match(chr(cp))}
    assert paired == set(FOLDS_TO_ASCII)
    for cp, letter in FOLDS_TO_ASCII.items():
        assert re.fullmatch(letter, chr(cp), re.IGNORECASE)
        assert [c for c in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(c, chr(cp), re.IGNORECASE)] == [letter]


def test_the_shadow_keeps_each_characters_place() -> None:
    text = "Ac\u0130ct \u05d0\u05d1 \u1100 \u017fsn \u212aonto\U0001f600 #"
    shadow = ascii_shadow(text)
    assert len(shadow) == len(text) and shadow.isascii()
    assert shadow == "acict \x00\x00 \x00 ssn konto\x00 #"


WORDS = [*STRONG_ACCOUNT, "s s n", "ss#", "tin", "kundenkonto", "social security"]
PROBE = ContextProbe(WORDS)
LOOSE = PROBE.loose
STRICT = context_regex(WORDS)
#: ASCII around the words' letters, the characters that pair with ASCII letters, and
#: letters, marks and digits from other scripts
_ALPHABET = st.sampled_from("acdeiklnorstuwyACSN#/ .-_\n\t0123\u0130\u0131\u017f\u212a\u00e9\u05d0\u1100\u0301\u0663\uff41")


@given(st.lists(st.one_of(st.sampled_from(WORDS), st.text(_ALPHABET, max_size=6)), max_size=8).map("".join))
@example("acc\u0131unt")
@example("\u017f\u017fn")
@example("\u05d0ssn\u05d0")
@example("\u00e9tin\u00e9")
def test_a_probe_answers_as_the_case_insensitive_search(text: str) -> None:
    assert LOOSE is not None and STRICT is not None
    assert PROBE(text) == (LOOSE.search(text) is not None)
    if text.isascii():
        return
    # the strict regex's lookarounds read the shadow as they read the text
    lower = re.compile(r"(?<![a-z0-9])" + LOOSE.pattern + r"(?![a-z0-9])")
    assert (lower.search(ascii_shadow(text)) is not None) == (STRICT.search(text) is not None)
