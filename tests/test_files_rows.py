"""Identifiers whose groups sit in adjacent cells of one table row, and row labels.

Word and PowerPoint tables, markdown and HTML tables, spreadsheets: a row holding
``SSN | 536 | 22 | 8710`` is read as one line; a spreadsheet label to the left of a
number (A1 "SSN", B1 536228710) gives it context as a column header does.  Cells of
two different rows never fuse (the false positive detect/structure.py prevents).
Real files, the real detector; the stops go through the real gateway.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.rows import html_rows, pipe_rows, split_row
from tests import filegen
from tests.conftest import Gateway

SPLIT = [["Field", "Value", "", ""], ["Name", "Ann Example", "", ""], ["SSN", "536", "22", "8710"]]
#: the end of one row and the start of the next hold the groups: never one number
ACROSS_ROWS = [["Ticket", "Qty", "Ref"], ["T-88812", "100", "536"], ["22", "8710", "settled"]]

DIRTY: dict[str, Callable[[], bytes]] = {
    "docx": lambda: filegen.docx_table(SPLIT),
    "pptx": lambda: filegen.pptx_table(SPLIT),
    "xlsx-split": lambda: filegen.xlsx_rows([["Client", "Ann"], ["SSN", 536, 22, 8710]]),
    "xlsx-row-label": lambda: filegen.xlsx_rows([["SSN", 536228710]]),
    # number formats with literal text: Excel shows 536- 22- 8710 in the row
    "xlsx-format-literals": lambda: filegen.xlsx_rows([["Client", "Ann"], ["SSN", 536, 22, 8710]],
                                                      {"B2": '0"-"', "C2": '0"-"'}),
    "xlsx-format-literals-slash": lambda: filegen.xlsx_rows([["Client", "Ann"], ["SSN", 536, 22, 8710]],
                                                            {"B2": '0"/"', "C2": '0"/"'}),
    # ... and before them: Excel shows 536 -22 -8710 (a stored 22 shown as -22 is no negative
    # number), and 536 from a stored 36 under "5"00
    "xlsx-format-literals-before": lambda: filegen.xlsx_rows([["Client", "Ann"], ["SSN", 536, 22, 8710]],
                                                             {"C2": '"-"0', "D2": '"-"0'}),
    "xlsx-format-literals-before-digits": lambda: filegen.xlsx_rows([["Client", "Ann"], ["SSN", 36, 22, 8710]],
                                                                    {"B2": '"5"00', "C2": '"-"00', "D2": '"-"0000'}),
    "xlsx-row-label-below-header": lambda: filegen.xlsx_rows([["Field", "Value"], ["Name", "Ann"],
                                                              ["Tax id (SSN)", 536228710]]),
    "md": lambda: b"# Client\n\n| Field | A | B | C |\n|---|---|---|---|\n| Name | Ann | x | y |\n"
                  b"| SSN | 536 | 22 | 8710 |\n",
    "html": lambda: b"<html><body><table><tr><th>Field</th><th>a</th><th>b</th><th>c</th></tr>"
                    b"<tr><td>Name</td><td>Ann</td><td></td><td></td></tr>"
                    b"<tr><td>SSN</td><td>536</td><td>22</td><td>8710</td></tr></table></body></html>",
}
NAMES = {"docx": "client.docx", "pptx": "deck.pptx", "md": "notes.md", "html": "page.html"}
CLEAN: dict[str, Callable[[], bytes]] = {
    "docx": lambda: filegen.docx_table(ACROSS_ROWS),
    "pptx": lambda: filegen.pptx_table(ACROSS_ROWS),
    "xlsx": lambda: filegen.xlsx_rows([["Ticket", "Qty", "Ref"], ["T-88812", 100, 536], [22, 8710, "settled"]]),
    # a negative number under a format whose negative section shows "-" (a sign, not a literal)
    "xlsx-negative-section": lambda: filegen.xlsx_rows([["Total", "Qty", "Adj"], ["Desk", 4500000, -10]],
                                                       {"C2": '0;"-"0'}),
    "md": lambda: b"| Ticket | Qty | Ref |\n|---|---|---|\n| T-88812 | 100 | 536 |\n| 22 | 8710 | settled |\n",
    "html": lambda: b"<table><tr><td>T-88812</td><td>100</td><td>536</td></tr>"
                    b"<tr><td>22</td><td>8710</td><td>settled</td></tr></table>",
}


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _name(key: str) -> str:
    return NAMES.get(key.split("-")[0], "sheet.xlsx")


def _found(detector: Engine, data: bytes, name: str) -> set[str]:
    ex = extract(data, filename=name)
    assert ex.complete, ex.problems
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


@pytest.mark.parametrize("key", sorted(DIRTY))
def test_identifier_across_cells_of_one_row_is_found(detector: Engine, key: str) -> None:
    assert "US_SSN" in _found(detector, DIRTY[key](), _name(key))


@pytest.mark.parametrize("key", sorted(CLEAN))
def test_cells_of_two_rows_never_fuse(detector: Engine, key: str) -> None:
    assert _found(detector, CLEAN[key](), _name(key)) == set()


def test_split_row_needs_adjacent_short_number_cells() -> None:
    assert split_row(["SSN", "536", "22", "8710"]) == ["SSN : 536 | 22 | 8710"]
    assert split_row(["IBAN", "DE89", "3704", "0044", "0532", "0130", "00"]) != []
    # separators a number format (or the writer) shows beside a cell's digits
    assert split_row(["SSN", "536-", "22-", "8710"]) == ["SSN : 536 | 22 | 8710"]
    assert split_row(["SSN", "536)", "22/", "8710."]) == ["SSN : 536 | 22 | 8710"]
    assert split_row(["Total", "45000", "-10"]) == []  # a leading sign: a negative number
    assert split_row(["Total", "-12.5", "-3.25"]) == []  # decimals are not group cells
    # an empty cell is a wider gap, no break (attack pass 9 F19: Excel shows 536 _ 22 8710)
    assert split_row(["SSN", "536", "", "22", "8710"]) == ["SSN : 536 | 22 | 8710"]
    assert split_row(["SSN", "536", "x", "22", "8710"]) == []  # a text cell breaks the run
    assert split_row(["Qty", "100", "Price", "25.50"]) == []
    assert split_row(["12", "34"]) == []  # too few digits to be an identifier
    assert split_row(["536228710"]) == []  # one cell: read as it is already
    # the row's other numbers are left out: only the run's cells can fuse
    assert split_row(["T-1", "2026-11-01", "48600", "250", "4409722233", "AL"]) == ["AL : 48600 | 250"]


def test_pipe_and_html_rows_are_located() -> None:
    text = "intro\n| a | b | c |\n| SSN | 536 | 22 | 8710 |\n"
    assert pipe_rows(text) == [(3, "SSN : 536 | 22 | 8710")]
    assert html_rows("<table><tr><td>x</td></tr><tr><td>SSN</td><td>536</td><td>22</td><td>8710</td></tr>") == [
        (2, "SSN : 536 | 22 | 8710")
    ]


def test_pipe_rows_cost_is_linear() -> None:
    """A hostile line of many pipes and numbers: one regex pass, no blow-up."""
    import time

    line = "|" + "| 1 " * 200_000 + "|\n"
    started = time.process_time()
    pipe_rows(line * 5)
    assert time.process_time() - started < 5.0


def _upload(gw: Gateway, data: bytes, name: str) -> httpx.Response:
    gw.sim.clear()
    return httpx.post(f"{gw.url}/api/v4/files", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                      data={"channel_id": gw.sim.channel("town_square")}, files={"files": (name, data)}, timeout=120)


@pytest.mark.parametrize("key", ["docx", "xlsx-row-label", "xlsx-format-literals", "md"])
def test_split_row_upload_is_stopped_by_the_gateway(gateway: Gateway, key: str) -> None:
    r = _upload(gateway, DIRTY[key](), _name(key))
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]


@pytest.mark.parametrize("key", ["docx", "xlsx"])
def test_clean_table_upload_is_forwarded(gateway: Gateway, key: str) -> None:
    r = _upload(gateway, CLEAN[key](), _name(key))
    assert r.status_code == 201, r.text
