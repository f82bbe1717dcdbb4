"""Scans that read less of a text, or read it in C, find exactly what the whole-text
Python scans they replaced find (the detector's findings do not change; the whole
detector is compared with a base checkout by bench/diff_findings.py).

- ``structure._table_lines`` (byte translations) and ``_table_lines_by_line`` (the loop);
- ``filler.gap_starts`` (the gaps near labels, the search restarted after a character no
  gap holds) and the starts of ``_GAP.finditer`` over the whole text in those spans;
- ``structure._keyed_hint`` (the one pass on a lookahead-free form first) and
  ``_KEYED_HINT.search``;
- ``gatescan.match_spans`` (Hyperscan's spans of a context regex's bare alternation):
  every match of the alternation lies inside one of them.
"""

from __future__ import annotations

import bisect
import gc
import json
import random
from collections.abc import Iterator
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import filler, gatescan, structure
from dlp_proxy.detect.structure import CELL, ROW, mark_tables
from dlp_proxy.recognizers import _common
from tests.tablegen import dirty_csv, trade_csv

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


def _corpus_texts() -> Iterator[str]:
    for name in ("bd_corpus.jsonl", "corpus.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)["text"]
    for text in (trade_csv(300), trade_csv(300, sep="\t"), dirty_csv(300)[0]):
        yield text
        yield mark_tables(text)


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


def test_match_spans_hold_every_match_of_a_context_word(engine: object) -> None:
    regexes = {id(o._context_re): o._context_re for o in gc.get_objects()
               if isinstance(o, _common.DLPRecognizer) and o._context_re is not None}
    bares = [f[0] for f in map(_common._bare, regexes.values()) if f is not None]
    texts = list(_corpus_texts())[::7]
    read = 0
    for bare in bares:
        gatescan.register_spans(bare)
        for text in texts:
            spans = gatescan.match_spans(bare, text)
            if spans is None:
                continue
            read += 1
            starts, ends = spans
            assert all(a < b for a, b in zip(starts, ends, strict=True))
            assert all(b < a for b, a in zip(ends, starts[1:], strict=False))
            for pos in range(len(text)):
                m = bare.match(text, pos)
                if m is not None:
                    k = bisect.bisect_right(ends, m.start())
                    assert starts[k] <= m.start() and m.end() <= ends[k], (bare.pattern[:60], text[:80])
    assert read  # the pass read them (a registered regex, ASCII texts)
