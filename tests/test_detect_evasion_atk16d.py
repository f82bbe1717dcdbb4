"""Recall findings of red-team pass atk16d (number words, filler labels, interleaved
letters), each as a class with its look-alikes that must stay as written:

- the letter ``o`` said for zero inside a run of English number words (``six o four
  eight``, ``NINE FOUR O NINE``, ``two-eight-o-nine``), never elsewhere (``a o b``,
  ``five o'clock``, Spanish/Italian ``o``, "or");
- a run that starts with one digit word followed by single digits (``seven 5 8 9 four
  7 eight 6 4``), not after a word naming a part (``last four 8 7 1 0``);
- Sino-Korean digit syllables standing alone, blanks between them (``육 육 이 - 팔 사
  - ...``), and CJK numeral groups with `` - `` between them (``九六零 - 七一 - 二一三九``);
- chat shorthand as an identifier's label before filler between groups (``cc``,
  ``cc#``, ``ss#``, ``soc``, ``a/c``, ``acc``), and ``no.`` after a label (``ITIN no. is
  983 space 58 space 4044``);
- a letter between every two digits (``0z0z7z1z0z5z6z2z4``): one letter repeated,
  or words saying to drop the letters, or random lower-case letters beside a label;
  never hex ids, hashes, UUIDs or sizes (``4x8``, ``1920x1080``).

The engine and ``stopped_as`` are the session's (tests/conftest.py); the writers of
digits are the other evasion tests' (``_english``, ``_korean``, ``_cjk``).
"""

from __future__ import annotations

import re
import uuid

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine
from dlp_proxy.detect.normalize import normalize, rendered_digits
from dlp_proxy.policy import testing as synth
from tests.conftest import stopped_as
from tests.test_detect_evasion_classes import _cjk
from tests.test_detect_evasion_pass6 import _korean
from tests.test_detect_evasion_words import AREA, CARD_GROUPS, DIGITS, FILLER, GROUP, LABELS, SERIAL, _english

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
EN = tuple(_english(str(d), "digits")[0] for d in range(10))  # the English digit words
ROUTING = synth.ROUTING
ACCOUNT = synth.ACCOUNT
#: (label, digits, what is found) of identifiers with zeros inside
WITH_ZEROS = [("routing number", ROUTING, "ABA_ROUTING_NUMBER"), ("routing", ROUTING, "ABA_ROUTING_NUMBER"),
              ("account number", ACCOUNT, "US_BANK_NUMBER"), ("client SSN", DIGITS, "US_SSN")]


def _case(word: str, how: str) -> str:
    return {"lower": word, "upper": word.upper(), "title": word.title()}[how]


# -- 1. "o" for zero -------------------------------------------------------------------

@SETTINGS
@given(which=st.sampled_from(WITH_ZEROS), zero=st.lists(st.sampled_from(["o", "O", "oh", "zero"]), min_size=12,
                                                          max_size=12),
       how=st.sampled_from(["lower", "upper", "title"]), sep=st.sampled_from([" ", "-", ", "]))
@example(which=WITH_ZEROS[0], zero=["o"] * 12, how="upper", sep=" ")
@example(which=WITH_ZEROS[3], zero=["o"] * 12, how="lower", sep="-")
def test_property_o_for_zero_in_a_run_of_number_words(engine: Engine, which: tuple[str, str, str], zero: list[str],
                                                      how: str, sep: str) -> None:
    label, digits, entity = which
    zeros = iter(["o", *zero])  # the first zero always an "o"
    words = [_case(next(zeros) if d == "0" else EN[int(d)], how) for d in digits]
    text = f"{label} {sep.join(words)}"
    assert entity in {f.entity_type for f in engine.analyze(text)}, (text, normalize(text).text)


_O = re.compile(r"(?<![\w'])[oO](?![\w'])")
_NOT_ENGLISH = ["a", "b", "well", "uno", "dos", "tres", "cuatro", "due", "tre", "quattro", "vai", "x", "says",
                "ok", "o'clock", "O'Brien", "7", "12"]


@SETTINGS
@given(st.lists(st.sampled_from([*_NOT_ENGLISH, "o", "O"]), min_size=1, max_size=16),
       st.sampled_from([" ", " - ", ", "]))
@example(["uno", "o", "dos", "o", "tres", "o", "cuatro", "o", "due"], " ")
@example(["a", "o", "b", "o", "7", "o", "12"], " ")
def test_property_o_without_an_english_number_word_beside_it_is_a_letter(pieces: list[str], sep: str) -> None:
    text = "fyi " + sep.join(pieces)
    assert _O.findall(normalize(text).text) == _O.findall(text), (text, normalize(text).text)


@pytest.mark.parametrize("text", [
    "five o'clock, six o'clock, seven o'clock, eight o'clock", "o o o o o o o o o", "O say can you see, one two",
    "room one o one", "a o b o c o d o e o f", "six o o o o seven o o",
])
def test_o_in_prose_reads_no_number(engine: Engine, text: str) -> None:
    assert stopped_as(engine, text) == set()
    assert not any(c.isdigit() for c in normalize(text).text), text


# -- 2. a digit word, then single digits -----------------------------------------------

@SETTINGS
@given(label=st.sampled_from([*LABELS, "ssn\n", "his SSN is\n", "her social"]),
       words=st.lists(st.booleans(), min_size=8, max_size=8), dashes=st.booleans())
@example(label="ssn\n", words=[False, False, False, True, False, True, False, False], dashes=False)
def test_property_a_digit_word_then_single_digits(engine: Engine, label: str, words: list[bool], dashes: bool) -> None:
    """The first digit in words, the next as a digit, the rest either (fewer than four
    words: read as digits mixed with words)."""
    how = [True, False, *words[1:]]
    while sum(how) > 3:
        how[how.index(True, 2)] = False
    toks = [EN[int(d)] if w else d for d, w in zip(DIGITS, how, strict=True)]
    run = " - ".join(" ".join(toks[a:b]) for a, b in ((0, 3), (3, 5), (5, 9))) if dashes else " ".join(toks)
    text = f"{label} {run}"
    assert "US_SSN" in stopped_as(engine, text), (text, normalize(text).text)


def test_a_counted_part_stays_a_count(engine: Engine) -> None:
    """A word naming a part before the digit word: the word is a count, not a digit."""
    text = "ssn first five 5 3 6 2 2 last four 8 7 1 0"
    assert "US_SSN" in stopped_as(engine, text), normalize(text).text
    assert "four" in normalize("ssn last four 8 7 1 0").text
    # a lone count before digit groups, as before
    assert "four" in normalize(f"ssn last four {SERIAL} 32").text


# -- 3. Sino-Korean syllables apart by blanks, CJK numeral groups apart by " - " -------

@SETTINGS
@given(inner=st.sampled_from([" ", "  ", " - "]), between=st.sampled_from([" - ", " ", "  ", "-"]),
       zero=st.sampled_from(["공", "영"]), card=st.booleans(), label=st.sampled_from(["", "ssn ", "social: "]))
def test_property_korean_digit_syllables_apart_by_blanks(engine: Engine, inner: str, between: str, zero: str,
                                                          card: bool, label: str) -> None:
    groups = CARD_GROUPS if card else [AREA, GROUP, SERIAL]
    text = ("card " if card else label or "ssn ") + between.join(inner.join(_korean(g, zero)) for g in groups)
    assert ("CREDIT_CARD" if card else "US_SSN") in stopped_as(engine, text), (text, normalize(text).text)
    assert rendered_digits(text) >= sum(map(len, groups))  # the gateway's digit gate sees them


@SETTINGS
@given(inner=st.sampled_from(["", " "]), between=st.sampled_from([" - ", " . ", " / ", " – "]),
       forms=st.sampled_from(["〇一二三四五六七八九", "零一二三四五六七八九", "零壹贰叁肆伍陆柒捌玖"]))
def test_property_cjk_numeral_groups_apart_by_a_spaced_mark(engine: Engine, inner: str, between: str,
                                                           forms: str) -> None:
    text = "ssn " + between.join(inner.join(_cjk(g, forms)) for g in (AREA, GROUP, SERIAL))
    assert "US_SSN" in stopped_as(engine, text), (text, normalize(text).text)


@pytest.mark.parametrize("text", [
    "오늘 이 사람은 일 이 삼 사 오 했다",
    "이 사 오 일 구 해요",  # six syllables: no run
    "사과 이 개, 배 삼 개, 감 오 개 주세요",
    "三 - 四个人, 五 - 六个",
    "第一 - 二 章",
])
def test_korean_and_chinese_prose_stays_words(engine: Engine, text: str) -> None:
    assert stopped_as(engine, text) == set()
    assert not any(c.isdigit() for c in normalize(text).text), (text, normalize(text).text)


# -- 4. chat shorthand labels before filler between the groups -------------------------

_SHORTHAND = [("cc", "card"), ("cc#", "card"), ("CC", "card"), ("ss#", "ssn"), ("SS#", "ssn"), ("soc", "ssn"),
              ("a/c", "iban"), ("acc", "iban"), ("acct#", "iban")]


@SETTINGS
@given(label=st.sampled_from(_SHORTHAND), fill=st.lists(st.sampled_from([*FILLER, "uh", "um"]), min_size=5,
                                                        max_size=5),
       lead=st.sampled_from(["", "is ", ": ", "= "]))
@example(label=("cc", "card"), fill=["uh"] * 5, lead="is ")
def test_property_shorthand_labels_before_filler(engine: Engine, label: tuple[str, str], fill: list[str],
                                                 lead: str) -> None:
    word, kind = label
    groups, entity = {"ssn": ([AREA, GROUP, SERIAL], "US_SSN"), "card": (CARD_GROUPS, "CREDIT_CARD"),
                      "iban": (["GB82 WEST", "1234 5698", "7654 32"], "IBAN_CODE")}[kind]
    text = f"{word} {lead}{groups[0]}" + "".join(f" {f} {g}" for f, g in zip(fill, groups[1:], strict=False))
    assert entity in stopped_as(engine, text), (text, normalize(text).text)


@pytest.mark.parametrize("filler", ["space", "then", "and"])
def test_no_after_a_label_ends_no_sentence(engine: Engine, filler: str) -> None:
    text = f"ITIN no. is {AREA} {filler} {GROUP} {filler} {SERIAL}"
    assert "US_SSN" in stopped_as(engine, text), normalize(text).text


@pytest.mark.parametrize("text", [
    f"cc: ops team. shipped {AREA} boxes, then {GROUP} crates, then {SERIAL} pallets",
    f"cc bob; {AREA} boxes of {GROUP} crates in {SERIAL} pallets",
    f"a/c review: first 3 then {GROUP} rows, ends at {SERIAL}",
    f"ssn? no. shipped {AREA} boxes, then {GROUP} crates, then {SERIAL}",
])
def test_shorthand_labels_need_the_shape_and_the_sentence(engine: Engine, text: str) -> None:
    assert stopped_as(engine, text) == set(), normalize(text).text


# -- 5. a letter between every two digits ------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_TOLD = ["(ignore the letters)", "- drop the letters", "digits only", "(remove all letters)"]


def _interleave(digits: str, letters: list[str]) -> str:
    return "".join(d + letters[k % len(letters)] for k, d in enumerate(digits))[:-1]


@SETTINGS
@given(which=st.sampled_from([("ssn", DIGITS, "US_SSN"), ("card", "".join(CARD_GROUPS), "CREDIT_CARD"),
                              ("routing", ROUTING, "ABA_ROUTING_NUMBER")]),
       letter=st.sampled_from([*_LETTERS, *_LETTERS.upper()]),
       others=st.lists(st.sampled_from(_LETTERS), min_size=18, max_size=18),
       how=st.sampled_from(["one letter", "told", "labelled"]), told=st.sampled_from(_TOLD),
       where=st.sampled_from(["{label} {v}", "{label}: {v} {told}", "{v} {told} - {label}"]))
@example(which=("ssn", DIGITS, "US_SSN"), letter="z", others=["w"] * 18, how="one letter", told=_TOLD[0],
         where="{label}: {v} {told}")
def test_property_a_letter_between_every_two_digits(engine: Engine, which: tuple[str, str, str], letter: str,
                                                    others: list[str], how: str, told: str, where: str) -> None:
    label, digits, entity = which
    if how == "one letter":
        letters = [letter]
    else:
        letters = [others[0], "q" if others[0] != "q" else "z", *others[1:]]  # two letters at least, one not hex
    if how == "labelled":
        where = "{label} {v}"
    text = where.format(label=label, v=_interleave(digits, letters), told=told)
    assert entity in {f.entity_type for f in engine.analyze(text)}, (text, normalize(text).text)


def _interleaved_read(text: str) -> bool:
    return any(name == "interleaved-letters" for _, _, name in normalize(text).events)


@SETTINGS
@given(token=st.one_of(
    st.text("0123456789abcdef", min_size=8, max_size=64),
    st.text("0123456789ABCDEF", min_size=8, max_size=64),
    st.builds(lambda n: uuid.UUID(int=n).hex, st.integers(0, 2**128 - 1)),
    st.builds(lambda a, b, c: f"{a}x{b}x{c}", st.integers(1, 9999), st.integers(1, 9999), st.integers(1, 999)),
    st.text("0123456789abcdefghijklmnopqrstuvwxyz", min_size=8, max_size=40)),
    label=st.sampled_from(["acct hash", "card token", "ssn field id", "order", "commit", "sku"]))
@example(token="4a5b6c7d8e9f0a1b2c3", label="acct hash")
@example(token="1920x1080", label="sku")
def test_property_hex_ids_and_sizes_keep_their_letters(token: str, label: str) -> None:
    """Hex ids, hashes, UUIDs, sizes and random ids beside labels: no letter dropped, but
    where one letter stands between every two of eight digits or more."""
    letters = token[1::2]
    one_letter = len(token) >= 15 and token[0::2].isdigit() and len(set(letters.lower())) == 1 \
        and letters.isalpha()
    assume(not one_letter)
    text = f"{label} {token} ok"
    assert not _interleaved_read(text) or (
        not all(c in "0123456789abcdefABCDEF" for c in letters) and token[0::2].isdigit()), text


@pytest.mark.parametrize("text", [
    "crate 4x8x2 and panel 4x8, screen 1920x1080, bolts 3x5x7x9",
    "ssn field id 3f4a9c2e1b7d5f8a6 (hex)",
    "acct 1a2b3c4d5e6f7a8b9 is an etag",
    f"order {uuid.UUID(int=0x1234567890abcdef1234567890abcdef)} shipped",
])
def test_interleaved_look_alikes_stay(engine: Engine, text: str) -> None:
    assert not _interleaved_read(text)
    assert stopped_as(engine, text) == set()
