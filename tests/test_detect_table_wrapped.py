"""Chat-table attack of 2026-12-07 (a helper that read no test), the classes left open:
a value wrapped onto the next row (``| Bob | CCCC | CCCC |`` over ``| | CCCC | CCCC |``)
and a card's digits in two long cells of one row (``| Bob | NNNNNNNN | NNNNNNNN |``,
10 + 6), named by a card word in the header, the row or the words above the table
(``structure._add_runs``'s ``wrapped``, ``structure._add_long_runs``).  Real detector."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import kinds

STOPPING = {"US_SSN", "CREDIT_CARD", "IBAN_CODE", "US_BANK_NUMBER", "US_ITIN"}
#: synthetic test cards (Luhn-valid)
VISA, MASTERCARD = "4111111111111111", "5500000000000004"


def _md(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"


def _delimited(header: list[str], rows: list[list[str]], delim: str) -> str:
    return "\n".join(delim.join(r) for r in [header, *rows]) + "\n"


def _quad(card: str) -> list[str]:
    return [card[0:4], card[4:8], card[8:12], card[12:16]]


def _wrapped_rows(card: str) -> list[list[str]]:
    a, b, c, d = _quad(card)
    return [["Bob", a, b], ["", c, d]]


WRAPPED = {
    "markdown": lambda card: _md(["Client", "Card", ""], _wrapped_rows(card)),
    "markdown-two-headers": lambda card: _md(["Client", "Card", "(cont)"], _wrapped_rows(card)),
    "tsv": lambda card: _delimited(["Client", "Card", ""], _wrapped_rows(card) + [["Ann", "", ""]], "\t"),
    "csv": lambda card: _delimited(["Client", "Card", ""], _wrapped_rows(card) + [["Ann", "", ""]], ","),
    "quoted": lambda card: "> " + _md(["Client", "Card", ""], _wrapped_rows(card)).replace("\n", "\n> ").rstrip("> "),
    # the re-attack: a word cell after the run, a ditto mark in the name cell, a value
    # wrapped onto a row of one cell (an SSN's 3-2 then 4; a card's 4+8 then 4)
    "trailing-word": lambda card: _md(["Name", "Card", "", "Desk"], [["Bob", card[:4], card[4:8], "NY"],
                                                                     ["", card[8:12], card[12:], ""]]),
    "ditto": lambda card: _md(["Name", "Card", ""], [["Bob", card[:4], card[4:8]], ['"', card[8:12], card[12:]]]),
    "ditto-mark": lambda card: _md(["Name", "Card", ""], [["Bob", card[:4], card[4:8]], ["\u3003", card[8:12], card[12:]]]),
    "one-cell-row": lambda card: _md(["Name", "Card", "", ""], [["Bob", card[:4], card[4:8], card[8:12]],
                                                                ["", card[12:], "", ""]]),
    "three-rows": lambda card: _md(["Client", "Card", ""], [["Bob", card[0:4], card[4:8]], ["", card[8:10], card[10:12]],
                                                             ["", card[12:14], card[14:16]]]),
}


def test_an_ssn_wrapped_onto_a_row_of_one_cell_is_found(engine: Any) -> None:
    text = _md(["Name", "SSN", ""], [["Bob", "536", "22"], ["", "8710", ""]])
    assert "US_SSN" in kinds(engine, text), text


@pytest.mark.parametrize("case", sorted(WRAPPED))
@pytest.mark.parametrize("card", [VISA, MASTERCARD])
def test_a_card_wrapped_onto_the_next_row_is_found(engine: Any, case: str, card: str) -> None:
    text = WRAPPED[case](card)
    assert "CREDIT_CARD" in kinds(engine, text), text


LONG = {
    "8+8 under its header": lambda card: _md(["Client", "Card", ""], [["Bob", card[:8], card[8:]]]),
    "10+6 under its header": lambda card: _md(["Client", "Card number", ""], [["Bob", card[:10], card[10:]]]),
    "8+8 named in the row": lambda card: _md(["Client", "A", "B"], [["Bob (visa)", card[:8], card[8:]]]),
    "10+6 named above the table": lambda card: "Card numbers below\n" + _md(["Client", "A", "B"],
                                                                              [["Bob", card[:10], card[10:]]]),
    "8+8 as TSV": lambda card: _delimited(["Client", "Card", ""], [["Bob", card[:8], card[8:]], ["Ann", "", ""]], "\t"),
    "8+8 as CSV": lambda card: _delimited(["Client", "Kreditkarte", ""], [["Bob", card[:8], card[8:]], ["Ann", "", ""]],
                                          ","),
    "8+8 with a gap": lambda card: _md(["Client", "Card", "", ""], [["Bob", card[:8], "", card[8:]]]),
}


@pytest.mark.parametrize("case", sorted(LONG))
@pytest.mark.parametrize("card", [VISA, MASTERCARD])
def test_a_card_in_two_long_cells_of_a_row_is_found(engine: Any, case: str, card: str) -> None:
    text = LONG[case](card)
    assert "CREDIT_CARD" in kinds(engine, text), text


CLEAN = {
    # a trader's fills, his name once: the rows below continue his, and are numbers, not one
    "fills under one trader": _md(["Trader", "", ""], [["Bob", "100", "25"], ["", "200", "26"], ["", "5000", "131"]]),
    "ditto quantities": _md(["Desk", "Qty", "Px"], [["Rates", "1000", "99"], ["", "2500", "101"]]),
    "ssn-shaped across two rows": _md(["Trader", "", ""], [["Bob", "10", "25"], ["", "200", "26"]]),
    # long cells, no card word: order ids and dates
    "order ids": _md(["Client", "Order", "Booked"], [["Bob", "88123456", "20261119"], ["Ann", "88123457", "20261120"]]),
    # a card word, and long cells that are no card (Luhn fails)
    # the re-attack's false stop: order id, execution id and quantity (19 digits that pass
    # Luhn) under a caption naming Visa, the ticker
    "visa fills": "Visa (V) fills today\n" + _md(["Order ID", "Exec ID", "Qty"], [["4410023341", "556673", "100"],
                                                                                   ["4410023342", "556676", "100"]]),
    "visa fills, 16 digits": "Visa (V) fills today\n" + _md(["Order ID", "Exec ID"], [["4410023341", "556673"]]),
    "card fee rows": _md(["Card program", "Ref", "Date"], [["Visa rebate", "12345678", "20261119"]]),
}


@pytest.mark.parametrize("case", sorted(CLEAN))
def test_desk_tables_with_blank_or_long_cells_are_not_stopped(engine: Any, case: str) -> None:
    assert not kinds(engine, CLEAN[case]) & STOPPING, CLEAN[case]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 10))
def test_property_desk_rows_continued_under_one_name_are_not_stopped(engine: Any, seed: int, n: int) -> None:
    """A desk's continuation rows (the name cell blank below the first row) of
    quantities and prices: joined across rows, never an identifier."""
    rnd = random.Random(seed)
    rows = [[("Bob" if r == 0 else ""), str(rnd.choice([100, 200, 500, 1000, 2500, 5000])),
             f"{rnd.randint(10, 999)}"] for r in range(n)]
    text = _md(["Trader", "", ""], rows)
    assert not kinds(engine, text) & STOPPING, text


def _wide(n: int, label: str, cells: list[str]) -> str:
    """A table whose rows have ``n`` filler cells before the labelled run's columns."""
    width = n + 1 + len(cells)
    return ("| Client " + "| x " * n + f"| {label} " + "| " * (len(cells) - 1) + "|\n|" + "---|" * width + "\n"
            + "| Bob " + "| x " * n + "".join(f"| {c} " for c in cells) + "|\n"
            + "| Ann " + "| x " * (width - 1) + "|\n")


@pytest.mark.parametrize("n", [300, 1000])  # (a post holds 16,383 characters: 1,000 cells a row, three rows)
@pytest.mark.parametrize(("label", "cells", "kind"), [
    ("SSN", ["53", "6", "22", "87", "10"], "US_SSN"),  # (an SSN's digits in other groups: read in its 3-2-4)
    ("Card", ["41111", "11111", "11111", "1"], "CREDIT_CARD"),
], ids=["ssn", "card"])
def test_a_run_past_a_rows_256th_cell_is_read(engine: Any, n: int, label: str, cells: list[str], kind: str) -> None:
    """A row wider than ``structure.MAX_CELLS`` is read in overlapping windows: its
    cells past the 256th are not dropped (chat-table attack of 2026-12-07)."""
    assert kind in kinds(engine, _wide(n, label, cells))


def test_row_windows_cover_every_cell_with_overlap() -> None:
    from dlp_proxy.detect.structure import MAX_CELLS, ROW_WINDOW_OVERLAP, _row_windows

    for n in (1, 2, MAX_CELLS - 1, MAX_CELLS, MAX_CELLS + 1, 3 * MAX_CELLS + 7):
        cells = [(k, k + 1) for k in range(n)]
        header = [str(k) for k in range(n)]
        windows = list(_row_windows(cells, header))
        seen = [c for part, _ in windows for c in part]
        assert set(seen) == set(cells)
        assert all(len(part) <= MAX_CELLS and h == [str(a) for a, _ in part] for part, h in windows)
        # every run of up to ROW_WINDOW_OVERLAP cells lies whole in one window
        for start in range(0, max(n - ROW_WINDOW_OVERLAP, 0) + 1, 7):
            run = set(cells[start:start + ROW_WINDOW_OVERLAP])
            assert any(run <= set(part) for part, _ in windows), (n, start)
