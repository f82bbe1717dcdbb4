"""The cheaper candidate generation finds exactly what the first one found.

``recognizers/_common.py`` builds ``candidate_lengths`` from the runs of the text with
every digit read as ``0`` and builds the groups of a run only when one of its sequences
can have a wanted length; context words are searched in the lower-cased text of an
ASCII text; the phone gate searches a necessary condition before each full pattern.
The run, clock, date, amount and version patterns are digit-led (the check before the
first digit after it).  ``mark_tables`` counts delimiters with one C-level count per line and marks a run of table
lines at once.  Each is compared here with the code it replaced (kept below as the reference), on
generated texts and on the corpora, as written and as the engine analyzes them
(``mark_tables(sanitize(...))``, then ``normalize``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector, decode, gatescan
from dlp_proxy.detect import normalize as normalize_mod
from dlp_proxy.detect.normalize import normalize, sanitize
from dlp_proxy.detect.structure import CELL, ROW, mark_tables, window_prefix
from dlp_proxy.recognizers import _common, _structure, bank, contact
from dlp_proxy.recognizers._common import Candidate, DLPRecognizer
from tests.tablegen import dirty_csv, trade_csv

ROOT = Path(__file__).resolve().parent.parent
_ALL_LENGTHS = frozenset(range(1, 20))


def _reference_lengths(text: str) -> frozenset[int]:
    """candidate_lengths as first written: every run's groups built by digit_runs, and
    the same run without the look-alike letters glued at its edges (``edge_lookalikes``:
    ``I536-22-8710``, ``candidates`` yields those sequences too)."""
    out: set[int] = set()
    for run in _common.digit_runs.__wrapped__(text):
        lead, trail = _common.edge_lookalikes(run[0].text, run[-1].text)
        for drop_lead in {0, lead}:
            for drop_trail in {0, trail}:
                sizes = [len(g.text) for g in run]
                sizes[0] -= drop_lead
                sizes[-1] -= drop_trail
                for i in range(len(sizes)):
                    total = 0
                    for j in range(i, len(sizes)):
                        total += sizes[j]
                        if total > _common.MAX_CANDIDATE_DIGITS:
                            break
                        if (drop_lead and i == 0) or (drop_trail and j == len(sizes) - 1) or not (drop_lead or drop_trail):
                            out.add(total)
    return frozenset(out)


def _reference_candidates(text: str, lengths: Iterable[int], first: frozenset[str] | None = None) -> list[Candidate]:
    """candidates as first written: every run of digit_runs enumerated, no length shortcut."""
    with mock.patch.object(_common, "_runs_for", lambda t, _w: _common.digit_runs.__wrapped__(t)), \
            mock.patch.object(_common, "may_have_candidates", lambda _t, _l: True):
        return list(_common.candidates(text, lengths, first))


def _reference_phone_gate(rec: contact.PhoneNumberRecognizer, text: str) -> bool:
    return (
        contact._NANP_RE.search(text) is not None
        or contact._INTL_RE.search(text) is not None
        or (contact._BARE_RE.search(text) is not None and rec.context_anywhere(text))
    )


def _reference_context_present(rec: DLPRecognizer, text: str) -> bool:
    if not rec.context_anywhere(text):
        return False
    if rec._context_re is not None and rec._context_re.search(text) is not None:
        return True
    return rec._fuzzy is not None and rec._fuzzy.present(text)


_LENGTH_SETS = [frozenset({9}), frozenset({6}), frozenset({8, 9, 10, 11, 12, 13, 14, 15, 16, 17}),
                frozenset(range(13, 20)), frozenset({10}), _ALL_LENGTHS]


@pytest.fixture(scope="module")
def recognizers() -> list[DLPRecognizer]:
    engine = build_detector(ROOT / "config", ner=False)
    return [r for r in engine.analyzer.registry.recognizers if isinstance(r, DLPRecognizer)]


def _views(text: str) -> list[str]:
    marked = mark_tables(sanitize(text))
    return [text, marked, normalize(marked).text]


def _check(text: str, recs: list[DLPRecognizer]) -> None:
    for view in _views(text):
        _common.candidate_lengths.cache_clear()
        _common._runs_for.cache_clear()
        assert _common.candidate_lengths(view) == _reference_lengths(view)
        for lengths in _LENGTH_SETS:
            assert list(_common.candidates(view, lengths)) == _reference_candidates(view, lengths)
        first = frozenset("23456")
        assert list(_common.candidates(view, _ALL_LENGTHS, first)) == _reference_candidates(view, _ALL_LENGTHS, first)
        for rec in recs:
            assert rec.context_present(view) == _reference_context_present(rec, view), (type(rec).__name__, view)
            probe = rec._context_probe
            assert probe(view) == (probe.loose is not None and probe.loose.search(view) is not None)
            if isinstance(rec, contact.PhoneNumberRecognizer):
                assert rec.could_match(view) == _reference_phone_gate(rec, view), view


_PIECES = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=10),
    st.sampled_from([" ", "-", ".", "/", "\n", " \n ", "\n-", "   ", "    ", "\t", ":", "|", "·", ",", "+", "(", ")",
                     "O", "o", "l", "I", "\u041e", "\u0456", "a1", "1a", "x", "=", "%", "$", "#", CELL, ROW, ",",
                     "\uff15", "\u0665", "\u00b2", "\u212a", "+1 ", "+44 20 ", "(212) ", "555-1234", "2024-02-27",
                     "Tel", "phone", "SSN", "ssn:", "Social Security", "soical", "tin", "Martin", "acct", "Account",
                     "routing", "ABA", "iban", "IBAN", "sort code", "ITIN", "tax id", "EIN", "order", "ref"]),
    st.text(max_size=3),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, max_size=25).map("".join))
def test_generated_texts_same_candidates(recognizers: list[DLPRecognizer], text: str) -> None:
    _check(text, recognizers)


def _corpus_texts() -> list[str]:
    texts = []
    for name in ("corpus.jsonl", "bd_corpus.jsonl"):
        with open(ROOT / "tests" / "data" / name, encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


def test_corpus_texts_same_candidates(recognizers: list[DLPRecognizer]) -> None:
    texts = _corpus_texts()
    assert len(texts) > 4000
    for text in texts:
        _check(text, recognizers)


def test_tables_same_candidates(recognizers: list[DLPRecognizer]) -> None:
    for text in (trade_csv(300), trade_csv(300, sep="\t"), dirty_csv(300)[0]):
        _check(text, recognizers)


def _blobs(text: str) -> list[object]:
    return list(decode.find_blobs(text, 200))


def _reference_blobs(text: str) -> list[object]:
    """find_blobs as first written: each pattern searched over the whole text, whatever
    the gate pass reads (the twelve hex digits of a hex blob)."""
    with mock.patch.object(decode, "_at_runs", lambda rx, _runs, t: rx.finditer(t)), \
            mock.patch.object(gatescan, "ENABLED", False):
        return list(decode.find_blobs(text, 200))


_BLOB_PIECES = st.one_of(
    st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=30),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-=", min_size=1, max_size=40),
    st.sampled_from([" ", "\n", "=", "==", "0x", "\\x41\\x42", ":", ".", "-", "_", "+", "/", "é", "Reconciliation",
                     "U1NOIDUzNi0yMi05NzEw", "35333620323220393731", "MTIzLTQ1LTY3ODk=", "AB:CD:EF:01:02:03", "MTIzNDU2Nzg5", "313233343536"]),
)


@settings(max_examples=800, deadline=None)
@given(st.lists(_BLOB_PIECES, max_size=20).map("".join))
def test_generated_texts_same_blobs(text: str) -> None:
    assert _blobs(text) == _reference_blobs(text)
    for rx, runs in ((decode._B64_RE, decode._B64_RUN), (decode._HEX_RE, decode._ALNUM_RUN)):
        assert [m.span() for m in decode._at_runs(rx, runs, text)] == [m.span() for m in rx.finditer(text)]


def test_corpus_texts_same_blobs() -> None:
    for text in _corpus_texts():
        for view in _views(text):
            assert _blobs(view) == _reference_blobs(view)


def _reference_mark_tables(text: str) -> str:
    """structure.mark_tables as first written: ``_count`` and ``_mark_line`` per line
    (since pass 7, the ``\r`` of a CRLF between two rows a blank)."""
    from dlp_proxy.detect import structure as st_

    if CELL in text or ROW in text:
        text = text.replace(CELL, " ").replace(ROW, " ")
    text = st_.canonical_breaks(text)
    if "\n" not in text or not any(d in text for d in st_._DELIMS):
        return text
    lines = text.split("\n")
    n = len(lines)
    owner: list[str | None] = [None] * n
    for delim in st_._DELIMS:
        if delim not in text:
            continue
        counts = [st_._count(line, delim) if delim in line else 0 for line in lines]
        i = 0
        while i < n:
            c = counts[i]
            if c == 0 or owner[i] is not None:
                i += 1
                continue
            j = i + 1
            while j < n and counts[j] == c and owner[j] is None:
                j += 1
            if j - i >= st_._min_rows(delim, c):
                for k in range(i, j):
                    owner[k] = delim
            i = j
    if not any(owner):
        return text
    out: list[str] = []
    for k, line in enumerate(lines):
        mark = owner[k]
        row = mark is not None and k + 1 < n and owner[k + 1] == mark
        if row and line.endswith("\r"):
            line = line[:-1] + " "  # a CRLF row break: the \r a blank, the \n the ROW
        out.append(line if mark is None else st_._mark_line(line, mark))
        if k + 1 < n:
            out.append(ROW if row else "\n")
    return "".join(out)


_TABLE_PIECES = st.one_of(
    st.sampled_from([",", ", ", ";", "; ", "\t", "|", " | ", "\n", "\r\n", "\r", '"', '"a,b"', '"x;y\tz"', "a", "1", "22",
                     "Bob", "536-22-8710", " ", CELL, ROW, "\x0b", "\u2028", "| --- |"]),
    st.text(alphabet=",;\t|\n\" ab1", max_size=6),
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_TABLE_PIECES, max_size=40).map("".join))
def test_generated_texts_same_table_marks(text: str) -> None:
    assert mark_tables(text) == _reference_mark_tables(text)


def test_corpus_and_tables_same_table_marks() -> None:
    texts = _corpus_texts() + [trade_csv(300), trade_csv(300, sep="\t"), dirty_csv(300)[0],
                               trade_csv(50).replace("wire sent", '"wire, sent"')]
    for text in texts:
        assert mark_tables(text) == _reference_mark_tables(text)


def _reference_window_prefix(text: str, pos: int, max_skip: int) -> tuple[str, int]:
    """structure.window_prefix as first written: the line breaks found by ``rfind``/``find``."""
    if pos <= 0 or ROW not in text:
        return "", 0
    last_row = text.rfind(ROW, 0, pos)
    last_line = text.rfind("\n", 0, pos)
    if last_row <= last_line:
        return "", 0
    table_start = last_line + 1
    header_end = text.find(ROW, table_start)
    next_row = text.find(ROW, pos)
    next_line = text.find("\n", pos)
    if next_row < 0 or (0 <= next_line < next_row) or next_row + 1 - pos > max_skip:
        return "", 0
    return text[table_start:header_end] + ROW, next_row + 1 - pos


def _same_window_prefixes(text: str) -> None:
    marked = mark_tables(text)
    for pos in range(len(marked) + 2):
        for skip in (3, 400):
            assert window_prefix(marked, pos, skip) == _reference_window_prefix(marked, pos, skip), (marked, pos)


@settings(max_examples=500, deadline=None)
@given(st.lists(_TABLE_PIECES, max_size=40).map("".join))
def test_generated_texts_same_window_prefixes(text: str) -> None:
    _same_window_prefixes(text)


def test_tables_same_window_prefixes() -> None:
    text = "notes above\n" + trade_csv(40) + "\nprose between\n\n" + dirty_csv(40)[0] + "\nend"
    _same_window_prefixes(text)


# The digit-led patterns (the check before the first digit moved after it) against the
# lookbehind-led ones they replaced: the same matches.
_LED_BY_LOOKBEHIND = {
    # a run stands alone, or has one or two letters glued at its token's edge beside a
    # digit (``_common.GLUED_LETTERS``: "a536-22-8710", "4111111111111111x")
    "run": (_common._RUN_RE,
            r"(?:(?<![A-Za-z0-9])|(?<=(?<![A-Za-z0-9])[A-Za-z])(?=[0-9])|(?<=(?<![A-Za-z0-9])[A-Za-z][A-Za-z])(?=[0-9]))"
            rf"[0-9{_common._LK}][0-9{_common._LK}]*(?:{_common._SEP}[0-9{_common._LK}]+)*"
            r"(?:(?![A-Za-z0-9])|(?<=[0-9])(?=[A-Za-z]{1,2}(?![A-Za-z0-9])))"),
    "clock": (_structure._CLOCK, r"(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]{1,9})?)?Z?(?![0-9])"),
    "thousands": (_structure._THOUSANDS, r"(?<![0-9,.])[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9]|,[0-9])"),
    "percent": (_structure._PERCENT, r"(?<![0-9.,])[0-9]{1,3}[.,][0-9]{1,4}%"),
    "dotted": (_structure._DOTTED, r"(?<![0-9.])[0-9]{1,5}(?:\.[0-9]{1,6}){2,}(?![0-9])"),
    "letters": (normalize_mod._LETTER_SEPARATED, r"(?<![0-9])[0-9]{1,7}(?:[A-Za-z][0-9]{1,7}){1,4}(?![0-9])"),
    "routing-pair": (bank._PAIR_LED, bank._PAIR_RE.pattern),
    # a mark inside a digit group (``53:6-22-8710``): normalize._inner_mark_edits
    "inner-marked": (normalize_mod._INNER_MARKED_DIGIT_LED, normalize_mod._INNER_MARKED.pattern),
    "b64-run": (decode._B64_RUN, r"[A-Za-z0-9+/_-]{12,}"),
    "alnum-run": (decode._ALNUM_RUN, r"[0-9A-Za-z]{12,}"),
    "date": (_structure._DATE,
             r"(?<![0-9])(?:(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
             r"|(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12][0-9]|3[01])/(?:19|20)[0-9]{2})(?![0-9])"),
}


def _same_matches(text: str) -> None:
    for name, (new, old) in _LED_BY_LOOKBEHIND.items():
        want = [(m.span(), m.group(0)) for m in re.finditer(old, text)]
        assert [(m.span(), m.group(0)) for m in new.finditer(text)] == want, (name, text)
    # the pair's hint (the pass's reading of it rules a text out) holds every pair
    if bank._PAIR_LED.search(text) is not None:
        assert bank._PAIR_HINT.search(text) is not None, text


_DIGIT_PIECES = st.one_of(
    st.text(alphabet="0123456789", min_size=1, max_size=5),
    st.sampled_from(["-", "/", ":", ".", ",", " ", "\n", "a", "Z", "T", "O", "l", "\u041e", "19", "20", "2024", "0", "1",
                     "12", "31", "abcdefghijk", "+/_-", "x", "b", "021000021", " / ", " and ", "--", "11/19/2024", "2024-11-19", "14:30:15.123", "25,676", "10.4.12.1", "x1", CELL, ";", "'", "|", "_", "53:6-22"]),
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(_DIGIT_PIECES, max_size=20).map("".join))
def test_digit_led_patterns_same_matches(text: str) -> None:
    _same_matches(text)


def _inner_edits_reference(text: str) -> list[tuple[int, int, str, int, int]]:
    """``normalize._inner_mark_edits`` without the one pass's gates (every run searched)."""
    with mock.patch.object(gatescan, "ENABLED", False):
        return normalize_mod._inner_mark_edits(text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_DIGIT_PIECES, max_size=20).map("".join))
def test_inner_mark_edits_gated_same_edits(text: str) -> None:
    """A text where the pass finds no mark inside a digit group gets no inner-mark edit:
    the same edits as searching every run."""
    for view in (text, mark_tables(sanitize(text))):
        assert normalize_mod._inner_mark_edits(view) == _inner_edits_reference(view), view


@pytest.mark.parametrize("mark", list(":;.,'|_"))
def test_inner_mark_edits_gated_each_mark(mark: str) -> None:
    text = f"client SSN 53{mark}6-22-8710 and 4111 11{mark}11 1111 1111"
    assert normalize_mod._inner_mark_edits(text) == _inner_edits_reference(text) != []


def test_inner_mark_edits_gated_corpora() -> None:
    for text in _corpus_texts() + [trade_csv(200), dirty_csv(200)[0]]:
        for view in _views(text):
            assert normalize_mod._inner_mark_edits(view) == _inner_edits_reference(view)


def test_digit_led_patterns_same_matches_corpus() -> None:
    for text in _corpus_texts() + [trade_csv(200), dirty_csv(200)[0]]:
        for view in _views(text):
            _same_matches(view)
            _same_matches(view.translate(_common._ZERO_DIGITS))
