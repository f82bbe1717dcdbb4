"""Detection gaps of det19 (attack atk17d), each as a class with its look-alikes that must
stay clean:

- emoji_split: a flag (a pair of regional indicators) glued after a digit is a picture
  between the digit groups, a separator, as any other emoji there; never the letters
  ``US`` glued to the number.  A flag beside a price or a word, or regional indicators
  spelling an IBAN's letters (four in a row, or a country code after a blank), as before.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.normalize import normalize
from dlp_proxy.policy import testing as synth
from tests.conftest import stopped_as

AREA, GROUP, SERIAL = synth.SSN.split("-")
SSN_DIGITS = AREA + GROUP + SERIAL

#: flags (pairs of regional indicators), some with a variation selector after them
FLAGS = ["\U0001f1fa\U0001f1f8", "\U0001f1ec\U0001f1e7", "\U0001f1e9\U0001f1ea", "\U0001f1ea\U0001f1fa",
         "\U0001f1fa\U0001f1f8\ufe0f"]


def _cut(digits: str, sizes: list[int]) -> list[str]:
    out, i = [], 0
    for s in sizes:
        if i < len(digits):
            out.append(digits[i : i + s])
            i += s
    if i < len(digits):
        out.append(digits[i:])
    return out


@settings(max_examples=60, deadline=None)
@given(which=st.sampled_from(["ssn", "account", "card"]), flag=st.sampled_from(FLAGS),
       sizes=st.lists(st.integers(1, 4), min_size=2, max_size=12), trailing=st.booleans())
@example(which="account", flag=FLAGS[0], sizes=[3, 3, 3], trailing=True)
def test_flag_between_digit_groups_reads_as_a_blank(engine: Any, which: str, flag: str, sizes: list[int],
                                                  trailing: bool) -> None:
    digits, label, kind = {
        "ssn": (SSN_DIGITS, "SSN", "US_SSN"),
        "account": (synth.ACCOUNT, f"routing {synth.ROUTING} acct #", "US_BANK_NUMBER"),
        "card": (synth.CARD.replace(" ", ""), "card", "CREDIT_CARD"),
    }[which]
    groups = _cut(digits, sizes)
    text = f"{label} {flag.join(groups)}{flag if trailing else ''}"
    spaced = f"{label} {' '.join(groups)}"
    assert stopped_as(engine, text) == stopped_as(engine, spaced), text
    if sizes[:3] == [3, 3, 3] or which == "ssn" and sizes[:2] == [3, 2]:
        assert kind in stopped_as(engine, text), text


def test_flag_reads_as_a_blank_only_after_a_digit() -> None:
    us = FLAGS[0]
    assert normalize(f"142{us}486").text == "142 486"
    assert normalize(f"iban {us}82").text == "iban US82"  # a country code after a blank
    bank = "".join(chr(0x1F1E6 + ord(c) - ord("A")) for c in "WEST")
    assert normalize(f"GB82{bank}1234").text == "GB82WEST1234"  # four in a row: letters


@settings(max_examples=60, deadline=None)
@given(flag=st.sampled_from(FLAGS), price=st.decimals(0, 9999, places=2).map(str),
       qty=st.integers(1, 999999), form=st.integers(0, 3))
def test_flags_beside_prices_stay_clean(engine: Any, flag: str, price: str, qty: int, form: int) -> None:
    text = [f"{flag} CPI {price}", f"EURUSD {price}{flag} {qty}", f"{qty}{flag}{price} cleared",
            f"NVDA \U0001f680 +{price}% {flag}{qty} sh"][form]
    assert stopped_as(engine, text) == set(), text


# -- Markdown footnotes --------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(which=st.sampled_from(["ssn", "card", "account"]), ids=st.sampled_from(["123456", "abcdef"]),
       blank=st.sampled_from(["\n\n", "\n"]), indent=st.sampled_from(["", " "]))
@example(which="card", ids="123456", blank="\n\n", indent="")
def test_footnote_definitions_read_as_lines(engine: Any, which: str, ids: str, blank: str, indent: str) -> None:
    """The groups of an identifier in footnote definitions under the label that references
    them (``cc[^1][^2]`` then ``[^1]: 4111``, ``[^2]: 1111``...) read as the lines they show."""
    groups, label, kind = {
        "ssn": ([AREA, GROUP, SERIAL], "SSN", "US_SSN"),
        "card": (synth.CARD.split(), "cc#", "CREDIT_CARD"),
        "account": ([synth.ACCOUNT], f"routing {synth.ROUTING} / account", "US_BANK_NUMBER"),
    }[which]
    refs = "".join(f"[^{ids[i]}]" for i in range(len(groups)))
    defs = "\n".join(f"{indent}[^{ids[i]}]: {g}" for i, g in enumerate(groups))
    text = f"{label}{refs}{blank}{defs}"
    shown = f"{label}{blank}" + "\n".join(f"{indent}{g}" for g in groups)
    assert stopped_as(engine, text) == stopped_as(engine, shown), text
    assert kind in stopped_as(engine, text), text


@settings(max_examples=60, deadline=None)
@given(nums=st.lists(st.integers(1, 9999), min_size=2, max_size=4),
       words=st.sampled_from(["Q3 10-K p.", "filing", "see page", "px", "shares"]))
def test_footnotes_of_ordinary_numbers_stay_clean(engine: Any, nums: list[int], words: str) -> None:
    refs = "".join(f"[^{i + 1}]" for i in range(len(nums)))
    defs = "\n".join(f"[^{i + 1}]: {words} {n}" for i, n in enumerate(nums))
    text = f"Revenue grew 4% y/y{refs}\n\n{defs}"
    assert stopped_as(engine, text) == set(), text


# -- number words of another script among ASCII digits -------------------------------------

SCRIPT_WORDS = {
    "ru": "ноль один два три четыре пять шесть семь восемь девять".split(),
    "el": "μηδέν ένα δύο τρία τέσσερα πέντε έξι επτά οκτώ εννέα".split(),
    "uk": "нуль один два три чотири пʼять шість сім вісім девʼять".split(),
}


@settings(max_examples=80, deadline=None)
@given(lang=st.sampled_from(sorted(SCRIPT_WORDS)), worded=st.sets(st.integers(0, 8), min_size=1, max_size=4),
       sep=st.sampled_from([" ", " - ", ", "]))
@example(lang="ru", worded={1}, sep=" ")
@example(lang="uk", worded={0}, sep=" ")
def test_script_number_words_among_digits(engine: Any, lang: str, worded: set[int], sep: str) -> None:
    """A Cyrillic or Greek digit word among ASCII digits (``SSN 5 три 6 2 2 8 7 1 0``) is
    its digit, never folded into Latin look-alike letters because digits are near."""
    words = SCRIPT_WORDS[lang]
    toks = [words[int(c)] if k in worded else c for k, c in enumerate(SSN_DIGITS)]
    parts = [" ".join(toks[:3]), " ".join(toks[3:5]), " ".join(toks[5:])]
    text = f"SSN {sep.join(parts)}"
    assert "US_SSN" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "спасибо, 2 акции по 45 и 1350 позже",  # Russian chat with quantities, no identifier
    "три варианта: 536 или 22 или 8710",
    "τρία 5 6 lots at 99.5",
])
def test_script_words_near_numbers_stay_clean(engine: Any, text: str) -> None:
    assert stopped_as(engine, text) == set(), text
