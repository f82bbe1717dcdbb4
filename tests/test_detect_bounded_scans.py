"""Scans that read less of a text, or read it in C, find exactly what the whole-text
Python scans they replaced find (the detector's findings do not change; the whole
detector is compared with a base checkout by bench/diff_findings.py).

- ``structure._table_lines`` (byte translations) and ``_table_lines_by_line`` (the loop);
- ``filler.gap_starts`` (the gaps near labels, the search restarted after a character no
  gap holds) and the starts of ``_GAP.finditer`` over the whole text in those spans;
- ``structure._keyed_hint`` (the one pass on a lookahead-free form first) and
  ``_KEYED_HINT.search``;
- ``gatescan.match_ends`` (Hyperscan's ends of a context regex's bare alternation):
  every match of the alternation ends at one of them;
- ``gatescan.finditer`` through a lead (the regex tried only where its lead matches) and
  ``finditer``; ``gatescan.search_lead`` and ``search``;
- ``normalize._leet_hint_starts`` (byte classes) and ``_LEET_HINT.finditer``;
- ``Normalized.transforms_finder`` (events indexed by start) and ``transforms_in``.
"""

from __future__ import annotations

import gc
import random
import re
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import filler, gatescan, normalize, structure
from dlp_proxy.detect.structure import CELL, ROW
from dlp_proxy.recognizers import _common, _structure, bank
from tests.conftest import corpus_texts as _corpus_texts

DATA = Path(__file__).resolve().parent / "data"

_LINES = st.lists(st.sampled_from(
    ["a", "1", "-", "|", ":", "\t", " ", ",", ";", "\n", "\r", CELL, ROW, "é", "--", "| --- |", "x,y"]
), max_size=40).map("".join)
_GAPS = st.lists(st.sampled_from(
    ["ssn", "then", "536", "22", "8710", "A", "B", "#5", "'", "?", "\n", " ", "  ", "-", "+1", "subtract",
     "(then)", "card", "4111", ",", ";", ".", "Acct", "12345", "!", CELL, ROW, "é", "x"]
), max_size=60).map(" ".join)
_KEYED = st.lists(st.sampled_from(
    ["a", "x", "_", "]", ".", " ", "1", "22", "'", '"', ":", "=", "\t", "at 3:30", "p1", "a 12=5", "b 7 =5"]
), max_size=30).map("".join)


def _check_gaps(text: str, spans: list[tuple[int, int]]) -> None:
    whole = [m.start() for m in filler._GAP.finditer(text)]
    want = sorted({g for g in whole if any(a <= g <= b for a, b in spans)})
    assert filler.gap_starts(text, spans) == want


@settings(max_examples=2000, deadline=None)
@given(_LINES)
@example("| a | b |\n|---|:-:|\n| 1 | 2 |\n")
@example("a,b\n-\n\n1,2")
def test_table_lines_are_the_loops(text: str) -> None:
    assert structure._table_lines(text) == structure._table_lines_by_line(text)


@settings(max_examples=2000, deadline=None)
@given(_GAPS, st.lists(st.tuples(st.integers(-50, 400), st.integers(0, 200)), max_size=5),
       st.sampled_from([1, 8, 4096]))
@example("ssn 536 then 22 ' then 8710", [(0, 30)], 4096)
def test_gap_starts_are_the_whole_searchs(text: str, spans: list[tuple[int, int]], lookback: int) -> None:
    saved = filler._BARRIER_LOOKBACK
    filler._BARRIER_LOOKBACK = lookback
    try:
        _check_gaps(text, sorted((a, a + n) for a, n in spans))
    finally:
        filler._BARRIER_LOOKBACK = saved


@settings(max_examples=2000, deadline=None)
@given(_KEYED)
@example("Call moved to 3:30pm")
@example("a 12=5")
def test_keyed_hint_is_the_regex(text: str) -> None:
    assert structure._keyed_hint(text) == (structure._KEYED_HINT.search(text) is not None)


def test_the_corpora_read_the_same() -> None:
    rng = random.Random(15)
    texts = list(_corpus_texts())
    texts += ["\n".join(rng.choice(texts) for _ in range(rng.randint(5, 120))) for _ in range(60)]
    for text in texts:
        assert structure._table_lines(text) == structure._table_lines_by_line(text)
        assert structure._keyed_hint(text) == (structure._KEYED_HINT.search(text) is not None)
        near = sorted((m.start() - filler._GAP_REACH, m.end() + filler._GAP_REACH) for m in filler.labels(text))
        _check_gaps(text, near)


def test_match_ends_hold_every_match_of_a_context_word(engine: object) -> None:
    regexes = {id(o._context_re): o._context_re for o in gc.get_objects()
               if isinstance(o, _common.DLPRecognizer) and o._context_re is not None}
    bares = [f[0] for f in map(_common._bare, regexes.values()) if f is not None]
    texts = list(_corpus_texts())[::7]
    read = 0
    for bare in bares:
        gatescan.register_spans(bare)
        for text in texts:
            ends = gatescan.match_ends(bare, text)
            if ends is None:
                continue
            read += 1
            assert ends == sorted(set(ends))
            wanted = set()
            for pos in range(len(text)):
                m = bare.match(text, pos)
                if m is not None:
                    wanted.add(m.end())
            assert wanted <= set(ends), (bare.pattern[:60], text[:80])
    assert read  # the pass read them (a registered regex, ASCII texts)


#: each regex ``gatescan.finditer`` reads through a lead, and its lead
_LEAD_PAIRS = [(filler._GAP, filler._GAP_LEAD), (filler._NOT_GROUP, filler._NOT_GROUP_LEAD),
               (bank._PHRASE_BEFORE, bank._PHRASE_LEAD),
               *((getattr(_structure, name), lead) for name, (lead, _) in
                 zip(("_CLOCK", "_DATE", "_THOUSANDS", "_PERCENT", "_DOTTED"), _structure.LEADS, strict=True))]
_LEAD_ATOMS = st.lists(st.sampled_from(
    ["1", "12", "2024", "-", "/", ":", ".", ",", "%", "$", "@", "px", "at", "price", " ", "\t", "\n", "A", "Z",
     "x", "ssn", "then", "#", "(", ")", "+", "subtract", "one", "less", "take", "19", "20", "0", "3", "é",
     "O", "o", "l", "I", "ab", "_", "12345", "T2026", "ACC-", CELL, ROW]
), max_size=30).map("".join)


def test_leads_longest_matches_are_as_registered() -> None:
    for lead, longest in [(filler._GAP_LEAD, 8), (filler._NOT_GROUP_LEAD, 10), (bank._PHRASE_LEAD, 9),
                          *_structure.LEADS]:
        assert re._parser.parse(lead.pattern).getwidth()[1] == longest  # type: ignore[attr-defined]
        assert gatescan._SPAN_DBS[(lead.pattern, lead.flags)] is not None
        # each alternative read apart, its match's start known from its end (finditer's exact path)
        assert gatescan._LEAD_DBS[(lead.pattern, lead.flags)] is not None


@settings(max_examples=500, deadline=None)
@given(_LEAD_ATOMS, st.integers(0, 40), st.one_of(st.none(), st.integers(0, 60)))
def test_finditer_through_a_leads_ends_is_finditer(text: str, pos: int, endpos: int | None) -> None:
    """The path through the lead's ends alone (no alternatives' database) is kept right too."""
    saved = dict(gatescan._LEAD_DBS)
    gatescan._LEAD_DBS.clear()
    try:
        for rx, lead in _LEAD_PAIRS:
            want = [m.span() for m in (rx.finditer(text, pos) if endpos is None else rx.finditer(text, pos, endpos))]
            assert [m.span() for m in gatescan.finditer(rx, lead, text, pos, endpos)] == want
            assert _span(gatescan.search_lead(rx, lead, text)) == _span(rx.search(text))
    finally:
        gatescan._LEAD_DBS.update(saved)


@settings(max_examples=1500, deadline=None)
@given(_LEAD_ATOMS, st.integers(0, 40), st.one_of(st.none(), st.integers(0, 60)))
@example("The 10-year is at 4.43%, spread to the 2s is 12bps. The 10-year is at 4.43%, 12:30 2024-12-05", 0, None)
def test_finditer_through_a_lead_is_finditer(text: str, pos: int, endpos: int | None) -> None:
    for rx, lead in _LEAD_PAIRS:
        want = [m.span() for m in (rx.finditer(text, pos) if endpos is None else rx.finditer(text, pos, endpos))]
        assert [m.span() for m in gatescan.finditer(rx, lead, text, pos, endpos)] == want


def test_finditer_through_a_lead_reads_the_corpora() -> None:
    for text in _corpus_texts():
        for rx, lead in _LEAD_PAIRS:
            assert [m.span() for m in gatescan.finditer(rx, lead, text)] == [m.span() for m in rx.finditer(text)]


_PHRASE_ATOMS = st.lists(st.sampled_from(
    ["account", "Acct", "ACC", "acc't", "accnt", "a/c", "A/C", "bank", "Brokerage", "savings", "checking", " ", "\t",
     "\n", "number", "no.", "#", "for", "of", "the", "John", "Smith", "Household", "is", ":", "=", "-", "on file",
     "we have", "it's", ",", "x", "5", "12345", "é", CELL, ROW]
), max_size=25).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_PHRASE_ATOMS)
@example("account number for John Smith is: 12345")
@example("xaccount of Smith: 1, bank acct on file is 5, savings acc, it's 7")
def test_account_phrases_through_a_lead_are_finditer(text: str) -> None:
    rx, lead = bank._PHRASE_BEFORE, bank._PHRASE_LEAD
    assert [m.span() for m in gatescan.finditer(rx, lead, text)] == [m.span() for m in rx.finditer(text)]


def _span(m: re.Match[str] | None) -> tuple[int, int] | None:
    return None if m is None else m.span()


@settings(max_examples=1500, deadline=None)
@given(_LEAD_ATOMS)
@example("T20261101000000\x1f2026-11-01\x1fACC-85319\x1f30303M102\x1f48600\x1f107.49\x1e")
@example("53622 1234")
def test_search_through_a_lead_is_search(text: str) -> None:
    for rx, lead in _LEAD_PAIRS:
        assert _span(gatescan.search_lead(rx, lead, text)) == _span(rx.search(text))


def test_search_through_a_lead_reads_the_corpora() -> None:
    for text in _corpus_texts():
        for rx, lead in _LEAD_PAIRS:
            assert _span(gatescan.search_lead(rx, lead, text)) == _span(rx.search(text))


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(["a", "Z", "1", "$", "@", "!", "|", "+", "(", " ", ".", "-", "é"]), max_size=25)
       .map("".join))
def test_leet_hint_starts_are_the_regexs(text: str) -> None:
    assert normalize._leet_hint_starts(text) == [m.start() for m in normalize._LEET_HINT.finditer(text)]


_EVENTS = st.lists(st.tuples(st.integers(0, 300), st.integers(-3, 40), st.sampled_from(["a", "b", "c", "lookalike"])),
                   max_size=60).map(lambda evs: [(s, s + n, name) for s, n, name in evs])


@settings(max_examples=1500, deadline=None)
@given(_EVENTS, st.lists(st.tuples(st.integers(-10, 320), st.integers(0, 50)), min_size=1, max_size=20))
def test_transforms_finder_is_transforms_in(events: list[tuple[int, int, str]], spans: list[tuple[int, int]]) -> None:
    norm = normalize.Normalized("x" * 400, range(400), range(1, 401), events)
    find = norm.transforms_finder()
    for a, n in spans:
        assert find(a, a + n) == norm.transforms_in(a, a + n)


def test_transforms_finder_reads_the_corpora_as_transforms_in() -> None:
    for text in list(_corpus_texts())[::3]:
        for norm in (normalize.normalize(text), normalize.normalize_lookalike(text)):
            if norm is None or not norm.events:
                continue
            find = norm.transforms_finder()
            for a in range(0, len(text), 7):
                assert find(a, a + 12) == norm.transforms_in(a, a + 12)
