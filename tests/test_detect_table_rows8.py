"""Attack pass 8: a table row read as shown, and an ordered list as numbered.

F1: Mattermost renders a Markdown table row as its cells side by side, so ``|a|b|c|`` over
``|536|22|8710|`` shows ``536 22 8710``: the row's adjacent number cells are read joined
(``structure.table_row_reading``, the same ``split_row`` line files add), also in the header
row, down a one-column table, with a cell of two dashed groups (``|536-22|8710|``) and on a
line whose ``|`` makes no table.  A run under headers that each name their column
(``|qty|px|id|``) stays three fields.  F7/F18: CSV/TSV files (the engine reads their rows)
and ODT tables (``odf._table_rows``).  F10: an ordered list shows its first number plus the
item's index (``structure.rendered_list_numbers``)."""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.structure import CELL, ROW, mark_tables, rendered_list_numbers, table_row_reading
from dlp_proxy.files import extract
from dlp_proxy.policy import testing as synth
from dlp_proxy.recognizers.ssn import ssn_valid
from tests.conftest import Gateway, assert_post_stopped, post_message, post_reached

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
A, B, C = synth.SSN.split("-")
CARD = synth.CARD.split(" ")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> list[str]:
    return [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]


# the attack's reproductions (f1_mdtable_cells.py, t6.py): no label anywhere
F1 = [
    ("ssn-cells", f"|a|b|c|\n|-|-|-|\n|{A}|{B}|{C}|", "US_SSN"),
    ("card-cells", "|a|b|c|d|\n|-|-|-|-|\n|" + "|".join(CARD) + "|", "CREDIT_CARD"),
    ("ssn-header-row", f"| {A} | {B} | {C} |\n|:-:|:-:|:-:|", "US_SSN"),
    ("card-header-row", "| " + " | ".join(CARD) + " |\n|-|-|-|-|", "CREDIT_CARD"),
    ("ssn-column", f"|a|\n|-|\n|{A}|\n|{B}|\n|{C}|", "US_SSN"),
    ("ssn-two-cells", f"|a|b|\n|-|-|\n|{A}-{B}|{C}|", "US_SSN"),
    ("ssn-no-table", f"{A}-{B}|{C}", "US_SSN"),
    ("ssn-blank-headers", f"| | | |\n|-|-|-|\n|{A}|{B}|{C}|", "US_SSN"),
    ("ssn-name-cell", f"|name|a|b|c|\n|-|-|-|-|\n|John Smith|{A}|{B}|{C}|", "US_SSN"),
]


@pytest.mark.parametrize(("name", "text", "entity"), F1, ids=[c[0] for c in F1])
def test_a_row_shown_as_an_identifier_is_found_without_a_label(engine: Engine, name: str, text: str,
                                                              entity: str) -> None:
    if entity == "US_SSN" and name != "ssn-blank-headers":
        # attack 11 P2: numbers written apart (cells, a column) are an SSN only with a word naming it
        # (no checksum names one); a card names itself (Luhn and issuer)
        assert entity not in _stops(engine, text), name
        text = LABEL + text
    assert entity in _stops(engine, text), name


#: a caption naming the identifier, above a table of numbers written apart
LABEL = "client ssn\n\n"


def test_a_caption_labels_the_rows_line(engine: Engine) -> None:
    # an account number split over two cells under a caption naming it (attack pass 8, t6.py)
    assert "US_BANK_NUMBER" in _stops(engine, "account number\n\n|a|b|\n|-|-|\n|12345|67890|")
    assert _stops(engine, "fills today\n\n|a|b|\n|-|-|\n|12345|67890|") == []
    # a caption's own numbers never join the row's run
    assert _stops(engine, "ticket 4471-22 below\n|a|b|\n|-|-|\n|8710|5|") == []


def test_the_finding_covers_the_rows_cells(engine: Engine) -> None:
    text = f"client ssn below\n\n|a|b|c|\n|-|-|-|\n|{A}|{B}|{C}|"
    found = [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    assert found and text[found[0].start:found[0].end] == f"{A}|{B}|{C}"


# clean: headers naming each column, decimals, dates, ids, one digit per cell, runs too short
NEGATIVES = [
    f"| qty | px | id |\n|---|---|---|\n| {A} | {B} | {C} |\n| 594 | 88 | 7079 |",
    "| bid | ask | last | vol |\n|---|---|---|---|\n| " + " | ".join(CARD) + " |",
    "|yyyy|mm|dd|amount|\n|-|-|-|-|\n|2026|11|19|4111|",
    "| sym | qty | px | total |\n|---|---|---|---|\n| AAPL | 100 | 25.50 | 2,550.00 |\n| IBM | 250 | 140.25 | 35,062.50 |",
    "| date | id | amount |\n|---|---|---|\n| 2026-11-19 | 10131 | 48600.00 |\n| 2026-11-20 | 10132 | 1250.00 |",
    "| a | b | c | d | e | f | g | h | i |\n|-|-|-|-|-|-|-|-|-|\n|5|3|6|2|2|8|7|1|0|",
    "|a|b|\n|-|-|\n|100|25|",
    f"|qty|\n|-|\n|{A}|\n|{B}|\n|{C}|",
    "id,qty,px\n536,22,8710\n412,55,1234\n100,25,2500\n",
    "ticket 1234 | 5678 done",
]


@pytest.mark.parametrize("text", NEGATIVES, ids=[f"neg-{i}" for i in range(len(NEGATIVES))])
def test_clean_numeric_tables_stay_clean(engine: Engine, text: str) -> None:
    assert _stops(engine, text) == []


@st.composite
def _ssn(draw: st.DrawFn) -> list[str]:
    groups = [f"{draw(st.integers(1, 899)):03d}", f"{draw(st.integers(1, 99)):02d}", f"{draw(st.integers(1, 9999)):04d}"]
    assume(ssn_valid("".join(groups)))
    return groups


_NEUTRAL = st.sampled_from(["a", "x", " ", "#", "1", "-", ""])


@settings(max_examples=80, deadline=None)
@given(_ssn(), st.lists(_NEUTRAL, min_size=3, max_size=3), st.sampled_from(["pipes", "spaced", "dash-cell", "csv", "tsv"]),
       st.booleans())
def test_any_ssn_across_cells_under_neutral_headers_is_found(engine: Engine, groups: list[str], heads: list[str],
                                                             layout: str, name_cell: bool) -> None:
    lead = ["John Smith"] if name_cell else []
    if layout in ("csv", "tsv"):
        sep = "," if layout == "csv" else "\t"
        rows = [["name", *heads] if name_cell else heads, [*lead, *groups], [*lead, "x", "y", "z"]]
        text = "\n".join(sep.join(r) for r in rows)
    else:
        cells = [f"{groups[0]}-{groups[1]}", groups[2]] if layout == "dash-cell" else groups
        pad = " " if layout == "spaced" else ""
        width = len(lead) + len(cells)
        head = (["name"] if name_cell else []) + (heads + ["b"])[:len(cells)]
        text = ("|" + "|".join(head) + "|\n|" + "-|" * width + "\n|"
                + "|".join(f"{pad}{c}{pad}" for c in [*lead, *cells]) + "|")
    assert "US_SSN" in _stops(engine, LABEL + text), text


_WORDS = st.sampled_from(["qty", "px", "id", "amount", "total", "fee", "vol", "bid", "ask", "shares"])


@settings(max_examples=80, deadline=None)
@given(st.lists(_WORDS, min_size=3, max_size=5), st.lists(st.lists(st.integers(0, 99999), min_size=5, max_size=5),
                                                          min_size=1, max_size=6))
def test_numeric_rows_under_named_columns_stay_clean(engine: Engine, heads: list[str], rows: list[list[int]]) -> None:
    n = len(heads)
    text = "|" + "|".join(heads) + "|\n|" + "-|" * n + "".join("\n|" + "|".join(map(str, r[:n])) + "|" for r in rows)
    assert _stops(engine, text) == []


# ---------------------------------------------------------------- hostile input to the reading

_HOSTILE = st.text(alphabet="0123456789|-. \tab\n\r" + CELL + ROW, max_size=300)


@settings(max_examples=400, deadline=None)
@given(_HOSTILE)
def test_table_row_reading_is_well_formed(text: str) -> None:
    marked = mark_tables(text)
    got = table_row_reading(marked)
    if got is None:
        return
    reading, spans = got
    assert spans == sorted(spans)
    for at, a, b in spans:
        assert 0 <= a < b <= len(marked)
        assert at < len(reading)
        assert re.search(r"[0-9]", marked[a:b])
    assert "\n\n\n" not in "".join(reading.split("\n\n\n\n"))  # the gap is the only line breaks


def test_table_row_reading_cost_is_linear() -> None:
    row = "|" + "|".join(["1234", "5678"] * 4) + "|\n"
    small = mark_tables("|a|b|\n|-|-|\n" + row * 500)
    big = mark_tables("|a|b|\n|-|-|\n" + row * 5000)
    table_row_reading(mark_tables("|a|b|\n|-|-|\n" + row))  # the first call's one-off set-up is not the cost

    def cost(marked: str) -> float:  # CPU time, the best of three (a noisy host slows single runs)
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            table_row_reading(marked)
            best = min(best, time.process_time() - t0)
        return best

    # ten times the rows: about ten times the cost where it is linear, ~100x where quadratic
    assert cost(big) < 40 * max(cost(small), 0.002)
    pipes = mark_tables("1|" * 200_000)
    t3 = time.process_time()
    table_row_reading(pipes)
    assert time.process_time() - t3 < 5.0


# ---------------------------------------------------------------- F10: ordered lists as numbered


def test_a_list_shows_its_first_number_plus_the_index(engine: Engine) -> None:
    start = int(A + B + "0000")
    text = f"client SSNs on file:\n\n{start}. (old)\n" + "1. John Smith\n" * 42
    listed = rendered_list_numbers(text)
    assert listed is not None
    assert f"{start + 42}. John Smith" in listed.text
    assert "US_SSN" in _stops(engine, text)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 999_999_999), st.lists(st.sampled_from(["1.", "1)", "7.", "1. x", "", "  indented",
                                                              "lazy text", "- bullet", "# head"]),
                                             max_size=30), st.sampled_from([".", ")"]))
def test_rendered_list_numbers_map_back(start: int, lines: list[str], delim: str) -> None:
    text = f"{start}{delim} first\n" + "\n".join(lines)
    listed = rendered_list_numbers(text)
    if listed is None:
        return
    for m in re.finditer(r"[0-9]+", listed.text):
        a, b = listed.original_span(m.start(), m.end())
        assert 0 <= a <= b <= len(text)
        assert re.search(r"[0-9]", text[a:b])
    # items of one list numbered one after the other, from the first one's number
    shown = [int(m[1]) for m in re.finditer(rf"^([0-9]+){re.escape(delim)}(?=[ \t]|$)", listed.text, re.M)]
    assert shown[0] == start
    assert shown[1] == start + 1 if len(shown) > 1 and lines and lines[0].startswith("1" + delim) else True


def test_lists_numbered_as_written_have_no_reading() -> None:
    assert rendered_list_numbers("1. a\n2. b\n3. c") is None
    assert rendered_list_numbers("plain text, no list.") is None
    assert rendered_list_numbers("1. a\n\nsome paragraph\n\n1. b") is None  # two lists


# ---------------------------------------------------------------- F7, F18: CSV/TSV and ODT files


def _odt_table(rows: list[list[str]]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentText()
    table = Table(name="T")
    table.addElement(TableColumn(numbercolumnsrepeated=len(rows[0])))
    for row in rows:
        tr = TableRow()
        for value in row:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.text.addElement(table)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _found(engine: Engine, data: bytes, name: str) -> set[str]:
    ex = extract(data, filename=name)
    assert ex.complete, ex.problems
    return {f.entity_type for s in ex.segments for f in engine.analyze(s.text) if f.entity_type in STOPPING}


FILES = {
    "clients.csv": f"name,ssn,b,c\nJohn Smith,{A},{B},{C}\nJane Doe,412,55,1234\n".encode(),
    "clients.tsv": f"name\tssn\tb\tc\nJohn Smith\t{A}\t{B}\t{C}\n".encode(),
    "clients.odt": b"",
}


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_rows_are_read_as_shown(engine: Engine, name: str) -> None:
    data = _odt_table([["name", "a", "b", "c"], ["John Smith ssn", A, B, C]]) if name.endswith(".odt") else FILES[name]
    assert "US_SSN" in _found(engine, data, name)


def test_odt_rows_of_two_rows_never_fuse(engine: Engine) -> None:
    data = _odt_table([["Ticket", "Qty", "Ref"], ["T-88812", "100", A], [B, C, "settled"]])
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert _found(engine, data, "t.odt") == set()


# ---------------------------------------------------------------- through the real gateway


@pytest.mark.parametrize("text", [LABEL + F1[0][1], LABEL + F1[4][1], LABEL + F1[6][1],
                                  f"client SSNs on file:\n\n{A}{B}0000. (old)\n" + "1. John Smith\n" * 42],
                         ids=["cells", "column", "no-table", "list-numbering"])
def test_gateway_stops_a_row_shown_as_an_identifier(gateway: Gateway, text: str) -> None:
    assert_post_stopped(gateway, text, separator="\n\n")


def test_gateway_passes_named_numeric_columns(gateway: Gateway) -> None:
    r = post_message(gateway, NEGATIVES[0] + "\n\nok-fills", user="bob")
    assert r.status_code == 201, (r.status_code, r.text)
    assert post_reached(gateway, "ok-fills")
