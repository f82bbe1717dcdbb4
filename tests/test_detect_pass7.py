"""Attack pass 7 detection findings, each as a class with a property test:

- D1: digit words joined by hyphens read as digit words apart by blanks (``536 two-two
  8710``, ``five-three-six 22 8710``, ``536 22 eight-seven-one-zero``, ``Two-Two``);
  the hyphen inside one number (``twenty-two``) is still place value;
- D10: a CSV header cell naming an identifier (a recognizer's context word) labels the
  column of a table of one or two data rows (``Name,SSN`` above ``Bob Smith,536228710``),
  with ``,`` or ``;`` and ``\\n`` or ``\\r\\n``; two comma lines under no such header stay
  prose.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect import words as number_words
from dlp_proxy.detect.structure import CELL, ROW, header_label_regex, mark_tables
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SSN_DIGITS = synth.SSN.replace("-", "")
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


def _read(text: str, min_words: int = number_words.MIN_NUMBER_WORDS) -> str:
    out, at = [], 0
    for a, b, rep, _, _ in number_words.number_word_edits(text, min_words):
        out += [text[at:a], rep]
        at = b
    return "".join(out) + text[at:]


# -- D1 hyphen-joined digit words -------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "her number 536 two-two 8710",
    "her number five-three-six 22 8710",
    "her number 536 22 eight-seven-one-zero",
    "536 Two-Two 8710",
])
def test_reported_hyphen_joined_digit_words_are_found(engine: Engine, text: str) -> None:
    assert "US_SSN" in _types(engine, text)


def _caps(word: str, style: int) -> str:
    return (word, word.upper(), word.capitalize())[style]


@SETTINGS
@given(groups=st.lists(st.sampled_from(("digits", "spaced", "hyphen")), min_size=3, max_size=3),
       styles=st.lists(st.integers(0, 2), min_size=9, max_size=9))
@example(groups=["digits", "hyphen", "digits"], styles=[0] * 9)
def test_any_group_in_hyphen_joined_digit_words_reads_as_spaced(groups: list[str], styles: list[int]) -> None:
    """Each SSN group written as digits, digit words apart by blanks, or digit words
    joined by hyphens: the hyphen-joined groups read exactly as the blank-apart ones."""
    parts = [SSN_DIGITS[:3], SSN_DIGITS[3:5], SSN_DIGITS[5:]]
    at = 0

    def write(group: str, sep: str) -> str:
        nonlocal at
        words = []
        for d in group:
            words.append(_caps(DIGIT_WORDS[int(d)], styles[at]))
            at += 1
        return sep.join(words)

    hyphen = " ".join(p if g == "digits" else write(p, " " if g == "spaced" else "-")
                      for p, g in zip(parts, groups, strict=True))
    at = 0
    spaced = " ".join(p if g == "digits" else write(p, " ") for p, g in zip(parts, groups, strict=True))
    if all(g == "digits" for g in groups):
        return
    assert _read(hyphen) == _read(spaced) == "536 22 8710"


@pytest.mark.parametrize(("text", "reading"), [
    ("536 twenty-two 8710", "536 22 8710"),  # one number by place value
    ("fifty-three six, twenty-two", "536, 22"),  # a mark between numbers stays
    ("five-three-six", "536"),
])
def test_hyphen_inside_and_between_numbers(text: str, reading: str) -> None:
    assert _read(text, 1) == reading


def test_hyphen_before_a_digit_group_stays() -> None:
    """Only a hyphen between two numbers in words is a blank: one beside digits is a mark."""
    assert _read("536-two-two-8710") == "536-22-8710"


@pytest.mark.parametrize("text", [
    "a two-three day trip", "the one-two punch", "won three-two at home", "a two-way street",
])
def test_hyphenated_prose_stays_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


# -- D10 small labelled CSV tables ------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Name,SSN\nBob Smith,536228710",
    "Name,SSN\r\nBob Smith,536228710",
    "name;ssn\nbob smith;536228710\nann lee;536228710",
    "Name,Social Security Number\nBob Smith,536228710",
    "Name;SSN\r\nBob Smith;536228710\r\nAnn Lee;536228710",
    "Name,SSN\nBob Smith,536228710\nAnn Lee,536228710\nX Y,536228710",  # 3 rows of one comma
])
def test_reported_small_csv_tables_are_found(engine: Engine, text: str) -> None:
    assert "US_SSN" in _types(engine, text)


LABELS = header_label_regex(["ssn", "social security", "acct", "card number"])


@SETTINGS
@given(delim=st.sampled_from([",", ";"]), crlf=st.booleans(), rows=st.integers(1, 4),
       label=st.sampled_from(["SSN", "ssn", "Social Security Number", "ACCT #", "Card Number"]),
       first=st.booleans())
def test_a_labelled_header_makes_a_table_of_any_rows(delim: str, crlf: bool, rows: int, label: str,
                                                     first: bool) -> None:
    br = "\r\n" if crlf else "\n"
    header = delim.join([label, "Name"] if first else ["Name", label])
    body = [delim.join([SSN_DIGITS, f"Person {k}"] if first else [f"Person {k}", SSN_DIGITS]) for k in range(rows)]
    text = br.join([header, *body])
    marked = mark_tables(text, LABELS)
    assert len(marked) == len(text)
    assert marked.count(ROW) == rows and marked.count(CELL) == rows + 1
    assert "\r" not in marked  # a CRLF row break is one ROW: the header stays the table's
    assert mark_tables(text) == text or rows >= 4  # no label given: the old thresholds


@pytest.mark.parametrize("text", [
    "see you at 5,ok\nroom 536,228710",  # two chat lines with commas, no header
    "Name,Total\nBob Smith,536228710",  # a header naming no identifier
    "SSN,536228710\nBob,536228710",  # a first line with a digit is no header
    "my ssn is below,thanks\nBob Smith,536228710",  # a sentence is no header cell
])
def test_unlabelled_two_line_commas_stay_prose(text: str) -> None:
    assert mark_tables(text, LABELS) == text


def test_unlabelled_two_line_commas_stay_clean(engine: Engine) -> None:
    assert _types(engine, "Name,Total\nBob Smith,536228710") == set()
