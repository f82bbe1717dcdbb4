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
