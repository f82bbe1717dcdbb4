"""The table shortcuts of branch tables-speed find exactly what the searches they
shorten found (docs/benchmarks.md, "File text MB/s").

- ``normalize._after_barrier``: the look-alike letters' run searches (``_alone_run_size``,
  ``_alone_letter_run``, the glued run of ``_letter_digit_edits``) start after the last
  word or line break before the hint, not 80 or 160 characters back;
- ``normalize._LETTER_RUN_HINT``: ``_letter_run_edits`` is not searched where the one
  pass finds no run of two letters between digits;
- ``normalize._through_starts`` / ``_through_ends``: an unchanged reading on either side
  is copied, not mapped position by position;
- ``ssn._three_groups``: the nine-digit gate, with no context word in the text, builds only
  the runs of three groups or more (the only ones with a shaped candidate);
- ``bank._PHRASE_AFTER_HINT_ASCII``: the account phrase hint's ASCII twin, read by the one
  pass (no search where it finds none).

Each is compared with the code as it was (the shortcut patched out) on generated marked
tables with identifiers, look-alike letters and words in their cells, and the whole
detector with every shortcut patched out (the slow reference path) with the detector as
shipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector, gatescan
from dlp_proxy.detect import normalize as N
from dlp_proxy.detect.engine import Engine
from dlp_proxy.detect.normalize import Normalized, sanitize
from dlp_proxy.detect.structure import mark_tables
from dlp_proxy.policy.testing import ACCOUNT, SSN
from dlp_proxy.recognizers import bank
from dlp_proxy.recognizers import ssn as ssn_mod
from dlp_proxy.recognizers.ssn import ItinRecognizer, SsnRecognizer

#: cells of a blotter and a client table, with what the shortcuts must not lose: lone
#: look-alike letters beside digit cells (``B``, ``S``, ``T+1``), letters glued to digits
#: (``T20261101000001``, ``4O12``), letter runs between groups (``536ab22cd8710``), nine
#: digits in one, two and three groups, labels and words
_CELLS = [
    "T20261101000001",
    "T+1 settle",
    "B",
    "S",
    "O",
    "l",
    "I",
    "Z",
    "2026-11-01",
    "2026-12-02",
    "ACC-01234",
    "037833100",
    "30303M102",
    "5100",
    "43.91",
    "223941.0",
    "16844336.0",
    "4440749358",
    "XNYS",
    "JD",
    "",
    "client 12345",
    "rebalance",
    "call back",
    SSN,
    SSN.replace("-", " "),
    SSN.replace("-", ""),
    ACCOUNT,
    "ssn",
    "SSN",
    "account",
    "acct",
    "itin",
    "4O12 8888 8888 l88l",
    "536ab22cd8710",
    "53 6-2 2-87 10",
    "9 1 2 7 0 4 5 6 7",
    "1 of 3",
    "part 1:",
    "#1",
    "(1)",
    "S-N-N",
    "4 5 3 9",
    "x",
    "id",
    "_",
    "a/c",
]
_SEPS = [",", "\t", ";", "|"]


@st.composite
def _tables(draw: st.DrawFn) -> str:
    sep = draw(st.sampled_from(_SEPS))
    width = draw(st.integers(1, 8))
    rows = []
    for _ in range(draw(st.integers(1, 14))):
        rows.append(sep.join(draw(st.sampled_from(_CELLS)) for _ in range(width)))
    text = "\n".join(rows)
    if draw(st.booleans()):
        text = draw(st.sampled_from(["client ssn\n", "Notes: account ", "x\n\n", ""])) + text
    if draw(st.integers(0, 4)) == 0:
        text = draw(st.text(max_size=20)) + text
    return text


def _marked(text: str) -> str:
    return mark_tables(sanitize(text))


@contextmanager
def _reference() -> Iterator[None]:
    """The code as it was: every shortcut above patched out."""
    with (
        mock.patch.object(N, "_after_barrier", lambda _data, lo, _k: lo),
        mock.patch.object(ssn_mod, "_three_groups", lambda _text: lambda _a, _b: True),
        mock.patch.object(N, "_through_starts", _through_starts_reference),
        mock.patch.object(N, "_through_ends", _through_ends_reference),
        mock.patch.object(gatescan, "ENABLED", False),
    ):
        yield


def _through_starts_reference(outer: Normalized, inner: list[int] | range) -> list[int]:
    n = len(outer.starts)
    return [outer.starts[s] if s < n else (outer.ends[-1] if outer.ends else 0) for s in inner]


def _through_ends_reference(outer: Normalized, inner: list[int] | range) -> list[int]:
    n = len(outer.ends)
    return [outer.ends[e - 1] if 0 < e <= n else (outer.ends[-1] if outer.ends else 0) for e in inner]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(None, ner=False)


@given(_tables())
@settings(max_examples=300, deadline=None)
@example("client 12345,,,T+1 settle\nclient 12346,,,call back")
@example("x,B,5100,43.91,223941.0,4440749358,MK")
def test_letter_runs_searched_from_the_last_word(text: str) -> None:
    marked = _marked(text)
    new = N._letter_digit_edits(marked)
    data = marked.encode("ascii").translate(N._ascii_hint_bytes()) if marked.isascii() else None
    starts = N._alone_starts(data) if data is not None else None
    with mock.patch.object(N, "_after_barrier", lambda _data, lo, _k: lo):
        assert N._letter_digit_edits(marked) == new
        if data is not None:
            assert N._alone_starts(data) == starts


@given(_tables())
@settings(max_examples=300, deadline=None)
@example("client 536ab22cd8710 x")
def test_letter_run_edits_without_the_pass(text: str) -> None:
    marked = _marked(text)
    new = N._letter_run_edits(marked, set())
    with mock.patch.object(gatescan, "ENABLED", False):
        reference = N._letter_run_edits(marked, set())
    assert reference == new
    if N._LETTER_RUN_HINT.search(marked) is None:
        assert reference == []  # the hint is a necessary condition of an edit


@given(st.lists(st.integers(0, 40), max_size=40), st.integers(0, 40), st.booleans(), st.booleans())
@settings(max_examples=300, deadline=None)
def test_through_an_unchanged_reading(inner: list[int], n: int, outer_same: bool, inner_same: bool) -> None:
    outer = (
        Normalized("x" * n, range(n), range(1, n + 1))
        if outer_same
        else Normalized("x" * n, [k * 2 for k in range(n)], [k * 2 + 1 for k in range(n)])
    )
    starts: list[int] | range = range(n) if inner_same else inner
    ends: list[int] | range = range(1, n + 1) if inner_same else inner
    assert N._through_starts(outer, starts) == _through_starts_reference(outer, starts)
    assert N._through_ends(outer, ends) == _through_ends_reference(outer, ends)


@given(_tables())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example("trade_id,cusip,notional\nT1,037833100,16844336.0\nT2,594918104,223941.0")
@example(f"id,note\n1,{SSN.replace('-', ' ')}\n2,{SSN}")
def test_nine_digit_gate_builds_only_shaped_runs(text: str) -> None:
    marked = _marked(text)
    for rec in (SsnRecognizer(), ItinRecognizer()):
        new = rec.could_match(marked)
        with mock.patch.object(ssn_mod, "_three_groups", lambda _text: lambda _a, _b: True):
            assert rec.could_match(marked) == new


def _findings(engine: Engine, text: str) -> list[tuple[str, int, int, float, str, tuple[str, ...], str]]:
    return [
        (f.entity_type, f.start, f.end, f.score, f.recognizer, f.transforms, f.explanation)
        for f in engine.analyze(text)
    ]


@given(_tables())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(f"client,account,ssn,note\nclient 12345,{ACCOUNT},{SSN},onboarding\nclient 12346,,,T+1 settle")
@example("trade_id,account,cusip,side,qty\nT20261101000001,ACC-01234,037833100,B,5100")
def test_tables_same_findings_as_the_reference_path(engine: Engine, text: str) -> None:
    new = _findings(engine, text)
    with _reference():
        assert _findings(engine, text) == new


_PHRASE_ATOMS = [
    "Ann Lee's account",
    "the acct",
    "is a/c",
    ", savings account",
    "(Bo Wu, acct no",
    "accounts",
    "acc't",
    "acc\u2019t",
    "Lee\u2019s account",
    "x",
    " ",
    "\n",
    "\x1f",
    "THE ACCOUNT",
    "is  acnt",
]


@given(st.lists(st.sampled_from(_PHRASE_ATOMS), max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_phrase_hint_twin_reads_ascii_text_alike(text: str) -> None:
    hint = bank._PHRASE_AFTER_HINT.search(text) is not None
    if text.isascii():
        assert (bank._PHRASE_AFTER_HINT_ASCII.search(text) is not None) == hint
    assert (
        gatescan.may_search(bank._PHRASE_AFTER_HINT_ASCII, text)
        and bank._PHRASE_AFTER_HINT.search(text) is not None
    ) == hint
