"""AccountNumberRecognizer passes over the candidates no account word can reach
(``bank._Unlabelled``): the same results as searching every candidate's context, with
far fewer searches on a blotter whose header says ``account`` and whose rows say ``ACC-``."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

from dlp_proxy.detect.engine import sanitize
from dlp_proxy.detect.structure import mark_tables
from dlp_proxy.recognizers import _common, bank

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import tablegen  # noqa: E402
from bench_mix import blotter_rows  # noqa: E402


def _blotter(rows: int, sep: str = ",") -> str:
    return "".join(sep.join(str(v) for v in row) + "\n" for row in blotter_rows(rows))


def _accounts(rows: int, seed: int) -> str:
    rnd = random.Random(seed)
    lines = ["client,acct no,routing,balance,note" if seed % 2 else "id,account,ssn,amount,memo"]
    for i in range(rows):
        acct = str(rnd.randrange(10**7, 10**10))
        note = rnd.choice([f"acct {acct}", "wire to account", "bot 100 037833100 @ 99", "cusip 594918104",
                           f"a/c {acct[:8]}", f"chk# {acct}", f"acount {acct}", f"{acct} account", ""])
        lines.append(f"{i},{acct},{rnd.choice(['021000021', '123456789'])},{rnd.randrange(10**6)}.{rnd.randrange(100):02d},"
                     f"{note}")
    return "\n".join(lines) + "\n"


TEXTS = [
    _blotter(80),
    _blotter(40, sep="\t"),
    "Notes: account 48291037 and acct 1234567890.\n" + _blotter(40) + "\nafter: a/c 99887766, 4829103755 account\n",
    _accounts(80, 1),
    _accounts(80, 2),
    "header line\n" + _accounts(30, 3) + "\nplain text acct no 55512345678 then 12345678 far away from any word",
    tablegen.dirty_csv(80, every=7)[0],
    tablegen.trade_csv(60),
    "acct\n12345678\n\naccount,x\n1,22334455\n\"a\nb\",33445566\n",
    "the account: 0049381726, acount 8830119277, savings 77120033, ACC-12345 99887766 (the acc 4455667788)",
]


def _marked(engine: Any, text: str) -> str:
    return mark_tables(sanitize(text), engine._header_label)


def _results(rec: bank.AccountNumberRecognizer, text: str) -> list[tuple[int, int, float, str]]:
    return [(r.start, r.end, r.score, r.analysis_explanation.textual_explanation if r.analysis_explanation else "")
            for r in rec.analyze(text, [])]


@pytest.mark.parametrize("index", range(len(TEXTS)))
def test_same_results_as_every_candidate_searched(engine: Any, index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = bank.AccountNumberRecognizer()
    text = _marked(engine, TEXTS[index])
    fast = _results(rec, text)
    could = rec.could_match(text)
    monkeypatch.setattr(bank.AccountNumberRecognizer, "_unlabelled", lambda self, text: None)
    assert _results(rec, text) == fast
    assert rec.could_match(text) is could or (could is False and not fast)


def test_header_liveness_is_column_headers(engine: Any) -> None:
    """``_Unlabelled`` finds a position's header as ``column_header`` does (every position)."""
    from dlp_proxy.detect.structure import column_header

    rec = bank.AccountNumberRecognizer()
    for raw in TEXTS:
        text = _marked(engine, raw)
        gate = rec._unlabelled(text)
        assert gate is not None
        for pos in range(len(text)):
            header = column_header(text, pos)
            want = bool(header) and any(_common._header_word(rx, header) is not None for rx in gate.regexes)
            assert gate._header_live(pos) is want, (raw[:40], pos)
            if want:
                assert gate.may_label(pos, pos + 1)


def test_blotter_searches_only_cells_an_account_word_reaches(engine: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean blotter: the header's ``account`` labels its column (``ACC-nnnnn``, no
    candidate), a row's ``ACC-`` the CUSIP two cells after it; the trade ids, amounts
    and order numbers are not searched."""
    rec = bank.AccountNumberRecognizer()
    text = _marked(engine, _blotter(200))
    calls = []
    real = bank.find_context

    def counting(*args: Any, **kw: Any) -> Any:
        calls.append(args[1])
        return real(*args, **kw)

    monkeypatch.setattr(bank, "find_context", counting)
    found = rec.analyze(text, [])
    numeric = [r for r in found if text[r.start : r.end] in {"037833100", "594918104", "023135106"}]
    assert found and len(numeric) == len(found)  # the numeric CUSIPs (then cancelled by the CUSIP reading)
    assert len(calls) == len(found)  # one weak search a row: its CUSIP's


def _reference_spans(gate: Any) -> list[tuple[int, int]]:
    """``_Unlabelled._spans`` as first written: every row of a table walked cell by cell
    (the header's live cells' spans), then merged."""
    from dlp_proxy.detect.structure import CELL, ROW, has_tables

    spans: list[tuple[int, int]] = []
    for occ, before, after in ((gate.strong, 25, 40), (gate.weak, 0, 15), (gate.fuzzy, 0, 30)):
        if occ is not None:
            spans.extend((a - before, b + after) for a, b in zip(occ.starts, occ.ends, strict=True))
    text = gate.text
    if has_tables(text):
        row = text.find(ROW)
        while row >= 0:
            _, line_end, cells = gate._row(row)
            if any(cells):
                pos = row
                for part in text[row + 1 : line_end].split(ROW):
                    cell = pos + 1
                    for k, value in enumerate(part.split(CELL)):
                        if k < len(cells) and cells[k]:
                            spans.append((cell, cell + len(value) + 1))
                        cell += len(value) + 1
                    pos += len(part) + 1
            row = text.find(ROW, line_end)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _ragged(seed: int) -> str:
    """Tables with an account column in any place (the last one included), rows of the
    header's width and some ragged ones (a cell fewer or more), empty cells, quoted
    cells, numbers at a row's edges, two or three tables apart by prose; account words
    in a few data cells only (their reach is listed apart from the columns)."""
    rnd = random.Random(seed)
    out = []
    for _table in range(rnd.randrange(1, 4)):
        width = rnd.randrange(2, 6)
        header = [rnd.choice(["id", "amount", "memo", "client", "note", ""]) for _ in range(width)]
        header[rnd.randrange(width)] = rnd.choice(["account", "acct no", "a/c"])
        out.append(",".join(header))
        for _ in range(rnd.randrange(3, 40)):
            cells = [rnd.choice(["", "12345678", "4471902283", "x", '"a,b"', "99.5", "536 22", "client 7"])
                     for _ in range(width + (rnd.choice([-1, 1]) if rnd.random() < 0.15 else 0))]
            if rnd.random() < 0.03:
                cells[0] = "acct 4829103755"
            out.append(",".join(cells))
        out.append(rnd.choice(["", "some prose between tables, 12345678 here", "notes 4471902283\n7788"]))
    return "\n".join(out) + rnd.choice(["", "\n"])


@pytest.mark.parametrize("index", range(len(TEXTS) + 40))
def test_spans_are_the_row_walk(engine: Any, index: int) -> None:
    """``_spans`` finds a live column's cell of each row by one search per column: the
    spans the cell-by-cell walk it replaced found."""
    raw = TEXTS[index] if index < len(TEXTS) else _ragged(index)
    for sep in (",", "\t"):
        text = _marked(engine, raw.replace(",", sep))
        gate = bank.AccountNumberRecognizer()._new_unlabelled(text)
        assert gate is not None
        spans = gate._spans()
        assert list(zip(spans.starts, spans.ends, strict=True)) == _reference_spans(gate), raw[:60]


def test_proof_is_kept_for_the_same_text_only(engine: Any) -> None:
    """``could_match`` and ``analyze`` share a window's proof (the same text object);
    an equal text built apart gets its own."""
    rec = bank.AccountNumberRecognizer()
    text = _marked(engine, TEXTS[3])
    gate = rec._unlabelled(text)
    assert gate is not None and rec._unlabelled(text) is gate
    other = "".join(list(text))
    assert other == text and other is not text
    assert rec._unlabelled(other) is not gate


@pytest.mark.parametrize("index", range(len(TEXTS) + 40))
def test_may_label_is_the_spans_overlap(engine: Any, index: int) -> None:
    """``may_label`` reads the live cells at the span's characters (a cell and its line
    breaks), not from a list of every row's: the answer of the merged list, for every
    span without a table boundary (a run holds none) and for every run."""
    from dlp_proxy.detect.structure import CELL, ROW

    raw = TEXTS[index] if index < len(TEXTS) else _ragged(index)
    rnd = random.Random(index)
    for sep in (",", "\t"):
        text = _marked(engine, raw.replace(",", sep))
        rec = bank.AccountNumberRecognizer()
        spans = rec._new_unlabelled(text)._spans()  # type: ignore[union-attr]
        asked: list[tuple[int, int]] = []
        for offset, runs, _lengths in _common._row_runs(text):
            asked.extend((offset + a, offset + b) for a, b, _ in runs)
        for _ in range(300):
            a = rnd.randrange(len(text))
            asked.append((a, min(len(text), a + rnd.randrange(1, 30))))
        kept = {lazy: rec._new_unlabelled(text) for lazy in (True, False)}  # caches filled as the queries come
        for lazy, gate in kept.items():
            gate.lazy = lazy  # type: ignore[union-attr]
        checked = 0
        for k, (a, b) in enumerate(asked + [(a, a + 1) for a in range(len(text))]):
            if ROW in text[a:b] or CELL in text[a:b]:
                continue
            for lazy in (True, False):
                gate = rec._new_unlabelled(text) if k % 7 == 0 else kept[lazy]  # and one with cold caches
                assert gate is not None
                gate.lazy = lazy
                assert gate.may_label(a, b) is spans.overlaps(a, b), (raw[:40], lazy, a, b, text[a:b])
            checked += 1
        assert checked > 50
