"""Cheaper passes find exactly what the passes they replaced found.

The number-words step's Hyperscan pass reads exactly what the Python tokenizing read.

``detect/words.py`` finds the tokens that open a window, and the letters glued to a
digit, by one Hyperscan pass (``_WordScan``) instead of tokenizing the whole text; it
drops a window that holds neither a digit nor three number words (``_may_read``); it
looks for a long ASCII text's triggers by one pass (``_TriggerScan``).  ``FAST = False``
is the code as it was (``_hits_reference``, every window read, the ``in`` tests): both
are compared here on generated hostile texts and on the corpora.  The filler step's
labels (``detect/filler.py`` ``labels``) are found the same way and compared with
``_LABEL.finditer``; the blob finder's run starts (``detect/decode.py`` ``_run_starts``)
with the run patterns' own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import decode, filler, gatescan, words
from dlp_proxy.detect import normalize as normalize_mod
from dlp_proxy.detect.normalize import sanitize
from dlp_proxy.detect.structure import mark_tables
from dlp_proxy.recognizers import _common
from tests.tablegen import dirty_csv, trade_csv

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(words._word_scan() is None, reason="no hyperscan wheel: only the reference runs")

#: number words of every kind and language, as written and folded, run together, with
#: accents and other scripts, spelled letters, the IBAN label, digits and separators
_ATOMS = [
    *sorted(words._entries()), *words._NATO, "iban", "IBAN", "hundred", "Fünf", "dreißig", "zwölf", "üç", "пять",
    "πέντε", "ünün", "unun", "fivethreesix", "ZweiUndZwanzig", "5", "36", "22", "8710", "0", "٣", "²", "五",
    "the", "is", "due", "someone", "often", "stone", "x1", "T+1", "a", "of", "on", "client",
]
_GAPS = [" ", "  ", "-", ", ", "\n", "\n- ", "|", "\x1f", "\x1e", "", ".", "\u00a0", "é", "ß"]


@st.composite
def _texts(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 40))):
        parts.append(draw(st.sampled_from(_ATOMS)))
        parts.append(draw(st.sampled_from(_GAPS)))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), draw(st.text(max_size=30)))
    text = "".join(parts)
    return text.upper() if draw(st.integers(0, 5)) == 0 else text


def _fast_and_reference(text: str, min_words: int) -> tuple[object, object]:
    try:
        words.FAST = True
        fast = words.number_word_edits(text, min_words)
        words.FAST = False
        ref = words.number_word_edits(text, min_words)
    finally:
        words.FAST = True
    return fast, ref


def _lows(text: str) -> Iterator[str]:
    low = text.translate(words._ASCII_LOWER) if text.isascii() else text.lower()
    yield low if len(low) == len(text) else text.translate(words._ASCII_LOWER)


def _check(text: str) -> None:
    for low in _lows(text):
        for tight in (True, False):
            fh, fg = words._hits(low, tight)
            rh, rg = words._hits_reference(low, tight)
            assert sorted(fh) == sorted(rh), (text, tight)
            assert sorted(fg) == sorted(rg), (text, tight)
    for min_words in (words.MIN_NUMBER_WORDS, 3, 1):
        fast, ref = _fast_and_reference(text, min_words)
        assert fast == ref, (text, min_words)
    long = (text + " ") * (words._LONG // max(1, len(text)) + 1)
    for t in (text, long):
        words.FAST = False
        try:
            ref_may = words.may_have_number_words(t)
        finally:
            words.FAST = True
        assert words.may_have_number_words(t) == ref_may, t


@settings(max_examples=600, deadline=None)
@given(_texts())
@example("Reminder: the report is due by the end of the month.")
@example("536 22 871 zero and 5three6 plus un un un")
@example("quatre vingt un")  # a three-word number with two window-opening tokens
@example("five hundred")
@example("unun oh one")  # tokens that count but open no window
@example("five\u0663 and due")  # a digit of another script touching a digit word
@example("iban golf bravo eight two")
def test_the_one_pass_reads_what_tokenizing_read(text: str) -> None:
    _check(text)


def _corpus_texts() -> Iterator[str]:
    for name in ("bd_corpus.jsonl", "corpus.jsonl"):
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)["text"]


def test_the_corpora_and_tables_read_the_same() -> None:
    n = 0
    for text in _corpus_texts():
        _check(text)
        _check(mark_tables(sanitize(text)))
        n += 1
    assert n > 4000
    for table in (trade_csv(300), dirty_csv(300)[0]):
        _check(mark_tables(sanitize(table)))


def test_a_lone_number_word_in_prose_opens_no_window_that_is_read() -> None:
    """The class the window filter is for: prose with a word that is a number word in
    some language ("due"), no digit near it, is not tokenized (and the filter is not
    vacuous: without it the window is there)."""
    text = "Reminder: annual attestation is due by the end of the month, thanks all. The desk is in room 1204."
    low = text.lower()
    assert words._windows(text, low, tight=False)
    assert words._windows(text, low, tight=True) == []
    near = "Reminder: the fee is due 536 22 8710 by the end of the month."
    assert words._windows(near, near.lower(), tight=True)


# -- filler labels (detect/filler.py ``labels``: one Hyperscan pass, then ``_LABEL.match``) --

_LABEL_ATOMS = [*filler._LABEL_WORDS, "ssns", "SSN", "Soc Sec", "ſſn", "\u212aard", "İtin", "ıtin", "xssn", "ssnx",
                "mastercard", "tax  id", "536", "-", " ", ":", "é", "\n", "the", "card5", "5card"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_LABEL_ATOMS), max_size=30), st.text(max_size=20))
@example(["ssns", " ", "ſſn", "İtin"], "")
def test_the_label_pass_finds_what_the_label_pattern_finds(atoms: list[str], noise: str) -> None:
    text = "".join(atoms) + noise
    got = [(m.start(), m.end()) for m in filler.labels(text)]
    assert got == [(m.start(), m.end()) for m in filler._LABEL.finditer(text)]


def test_every_label_starts_with_a_scanned_word() -> None:
    """The pass looks for ``_LABEL_WORDS``: each alternative of ``_LABEL`` must start
    with one of them, or ``labels`` would miss its matches."""
    body = filler._LABEL.pattern.split("(?:", 1)[1].rsplit(")(?![a-z])", 1)[0]
    for alt in body.split("|"):
        assert any(alt.startswith(w) for w in filler._LABEL_WORDS), alt


# -- blob runs (detect/decode.py ``_run_starts``: led by the character before a run) ----

_RUN_ATOMS = ["abcdefghijkl", "QUJDREVGR0hJSktMTU5PUA==", "deadbeefcafe0011", "a", "Z9", "+", "/", "_", "-", "=",
              " ", "\n", ":", "é", ",", "0x", "\\x41"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_RUN_ATOMS), max_size=40), st.text(max_size=20))
def test_run_starts_are_the_run_patterns_starts(atoms: list[str], noise: str) -> None:
    text = "".join(atoms) + noise
    for runs in (decode._B64_RUN, decode._ALNUM_RUN):
        assert list(decode._run_starts(runs, text)) == [m.start() for m in runs.finditer(text)]


# -- escapes: the first escape written outside the repeat (a literal ``re`` skips to) ----

@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["%", "%2", "%22", "%4A", "%g1", "\\x", "\\x41", "\\x4", "a", " ", "1", "é"]),
                max_size=40))
def test_escape_patterns_match_as_the_repeated_group_did(atoms: list[str]) -> None:
    text = "".join(atoms)
    old_percent = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
    old_hex = re.compile(r"(?:\\x[0-9A-Fa-f]{2}){6,}")
    assert [m.span() for m in normalize_mod._PERCENT_RE.finditer(text)] == [m.span() for m in old_percent.finditer(text)]
    assert [m.span() for m in decode._HEX_ESC_RE.finditer(text)] == [m.span() for m in old_hex.finditer(text)]


# -- the normalizer's pass: "%" and "&" trigger it only where an escape starts ----------

@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["%", "%22", "%2", "4.43%", "&", "&amp;", "&#53;", "&foo;", "Q&A", "536", " 22 ",
                                 "8710", "ssn", "\n", "*", "_", "<b>", ":one:", "a", "\r", "\\char53"]), max_size=30))
def test_a_text_the_pass_skips_normalizes_as_the_pass_did(atoms: list[str]) -> None:
    text = "".join(atoms)
    got = normalize_mod.normalize(text)
    with mock.patch.object(normalize_mod, "_needs_pass", lambda _t: True):
        ref = normalize_mod.normalize(text)
    assert got.text == ref.text
    assert list(got.starts) == list(ref.starts) and list(got.ends) == list(ref.ends)
    assert got.events == ref.events


# -- composing two readings: positions mapped by ``map`` when all are inside -----------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=30), st.lists(st.integers(0, 40), max_size=30),
       st.lists(st.integers(0, 40), max_size=30), st.booleans())
def test_compose_maps_positions_as_the_comprehension_did(outer_pos: list[int], starts: list[int], ends: list[int],
                                                         ranged: bool) -> None:
    n = len(outer_pos)
    outer = normalize_mod.Normalized("x" * n, range(n) if ranged else sorted(outer_pos),
                                     range(1, n + 1) if ranged else [p + 1 for p in sorted(outer_pos)], [])
    inner = normalize_mod.Normalized("y" * len(starts), starts, ends, [])
    got = normalize_mod._compose(outer, inner)
    last = outer.ends[-1] if outer.ends else 0
    assert list(got.starts) == [outer.starts[s] if s < n else last for s in starts]
    assert list(got.ends) == [outer.ends[e - 1] if 0 < e <= n else last for e in ends]


# -- digit runs and runs of numeric cells, a table row at a time (recognizers/_common.py) --

_ROW_ATOMS = ["536", "22", "8710", "O", "l", "-", " ", "  ", ".", ",", "\x1f", "\x1e", "\n", "|", "a", "SSN", "$", "#",
              "12:30", "1,250", "0.25%", "\t", "\x1f-\x1f", "\r\n"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_ROW_ATOMS), max_size=60))
def test_row_at_a_time_runs_are_the_whole_texts_runs(atoms: list[str]) -> None:
    text = "".join(atoms)
    zero = text.translate(_common._ZERO_DIGITS)
    whole = tuple((m.start(), m.end(), lens) for m in _common._RUN_RE.finditer(zero)
                  if (lens := _common._shape_lengths(m.group(0))))
    assert _common._run_shapes(text) == whole
    assert _common._cell_runs.__wrapped__(text) == _common._scan_cells(text)


def test_table_rows_runs_are_the_whole_texts_runs() -> None:
    for table in (trade_csv(200), dirty_csv(200)[0], trade_csv(200, sep="\t")):
        text = mark_tables(sanitize(table))
        zero = text.translate(_common._ZERO_DIGITS)
        whole = tuple((m.start(), m.end(), lens) for m in _common._RUN_RE.finditer(zero)
                      if (lens := _common._shape_lengths(m.group(0))))
        assert _common._run_shapes(text) == whole
        assert _common._cell_runs.__wrapped__(text) == _common._scan_cells(text)
        assert _common.ROW in text


# The normalizer's steps skipped where the gate pass reads no hint (a long number with a
# word glued after it, a card/SSN word glued after digits, a spelled separator, a filler
# label): the same reading, mapped the same way, as with every step searched.
_GLUE_ATOMS = ["536", "22", "8710", "5362287100", "536-22-8710", "4111 1111 1111 1111", "021000021", "12345678", "0",
               "please", "ok", "ssn", "SSN", "acct", "acctno", "dob", "exp", "CVV", "dash", "Hyphen", "then", "dot",
               "serial", "area", "group", "account", "card", "Visa", "iban", "GB82", "WEST", "tax id", "soc sec", "is",
               "x", "ab", "rtn", "v2.1", "1.2.3"]
_GLUE_GAPS = [" ", "", "-", ".", "/", "#", ":", ", ", "\n", " then ", "\t", "|", ",", "é"]


@st.composite
def _glue_texts(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(1, 30))):
        parts.append(draw(st.sampled_from(_GLUE_ATOMS)))
        parts.append(draw(st.sampled_from(_GLUE_GAPS)))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), draw(st.text(max_size=12)))
    return "".join(parts)


def _reading(text: str) -> tuple[object, ...]:
    n = normalize_mod.normalize(text)
    return n.text, list(n.starts), list(n.ends), n.events


def _same_reading_without_the_pass(text: str) -> None:
    for view in (text, mark_tables(sanitize(text))):
        gatescan.hits.cache_clear()
        with_pass = _reading(view)
        with mock.patch.object(gatescan, "ENABLED", False):
            assert _reading(view) == with_pass, view


@settings(max_examples=800, deadline=None)
@given(_glue_texts())
@example("5362287100please")
@example("ssn 536, then 22, then 8710 ok")
@example("536 dash 22 dash 8710")
def test_normalize_reads_the_same_without_the_pass(text: str) -> None:
    _same_reading_without_the_pass(text)


def test_normalize_reads_the_corpora_the_same_without_the_pass() -> None:
    for text in _corpus_texts():
        _same_reading_without_the_pass(text)
