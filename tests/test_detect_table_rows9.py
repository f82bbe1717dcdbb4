"""Attack pass 9: a row's cells as a reader sees them side by side (F1, F7, F19) and an
ordered list inside a blockquote (F2).

A reader sees a blank inside a cell like the gap between two cells (``|4111 1111|1111 1111|``,
``|536 22|8710|``), an empty cell as a wider gap (``|536||22|8710|``), a CSV quote or an
Excel text formula's ``="..."`` as nothing, and nine digits cut 2-1-2-2-2 or 5-4 as the
number they spell: the row's run is read with its groups as written and, when its digits have
an SSN's or a card's length, in that identifier's groups (``structure._run_lines``).  A
column whose header is an identifier's label (``|ssn|``) is read with its header as label;
the header-word rule (``|qty|px|id|``) still keeps other columns apart."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.structure import mark_tables, rendered_list_numbers, split_row, table_row_reading
from dlp_proxy.files import extract
from dlp_proxy.policy import testing as synth
from dlp_proxy.recognizers.ssn import ssn_valid

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
A, B, C = synth.SSN.split("-")
CARD = synth.CARD.split(" ")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> list[str]:
    return [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]


# the attack's reproductions (f1_table_cells.py): no label anywhere but a header naming the column
F1 = [
    ("card-two-cells", f"|a|b|\n|-|-|\n|{CARD[0]} {CARD[1]}|{CARD[2]} {CARD[3]}|", "CREDIT_CARD"),
    ("card-3-1", f"|a|b|\n|-|-|\n|{CARD[0]} {CARD[1]} {CARD[2]}|{CARD[3]}|", "CREDIT_CARD"),
    ("ssn-blank-in-cell", f"|a|b|\n|-|-|\n|{A} {B}|{C}|", "US_SSN"),
    ("ssn-spaced-digits", f"|a|b|c|\n|-|-|-|\n|{' '.join(A)}|{' '.join(B)}|{' '.join(C)}|", "US_SSN"),
    ("ssn-one-spaced", f"|a|b|c|\n|-|-|-|\n|{A}|{' '.join(B)}|{C}|", "US_SSN"),
    ("ssn-empty-cell", f"|a|b|c|\n|-|-|-|\n|{A}||{B}|{C}|", "US_SSN"),
    ("ssn-blank-cell", f"|a|b|c|d|\n|-|-|-|-|\n|{A}|  |{B}|{C}|", "US_SSN"),
    ("ssn-5-cells", f"|a|b|c|d|e|\n|-|-|-|-|-|\n|{A[:2]}|{A[2]}|{B}|{C[:2]}|{C[2:]}|", "US_SSN"),
    ("ssn-column-ssn", f"|ssn|\n|-|\n|{A}|\n|{B}|\n|{C}|", "US_SSN"),
    ("ssn-column-spaced", f"|a|\n|-|\n|{A} {B}|\n|{C}|", "US_SSN"),
    ("ssn-5-4", f"|a|b|\n|-|-|\n|{A}{B}|{C}|", "US_SSN"),
    ("ssn-header-names-it", f"|ssn|ssn|ssn|\n|-|-|-|\n|{A}|{B}|{C}|", "US_SSN"),
    ("csv-card", f"name,a,b\nJohn Smith,{CARD[0]} {CARD[1]},{CARD[2]} {CARD[3]}\nJane Doe,x,y\n", "CREDIT_CARD"),
    ("csv-quoted-blank", f'name,a,b\nJohn Smith,"{A} {B}",{C}\nJane Doe,x,y\n', "US_SSN"),
    ("csv-empty-cell", f"name,a,,b,c\nJohn Smith,{A},,{B},{C}\nJane Doe,x,,y,z\n", "US_SSN"),
    ("csv-excel-text", f'name,a,b,c\nJohn Smith,="{A}",="{B}",="{C}"\nJane Doe,x,y,z\n', "US_SSN"),
    ("csv-5-4", f"name,a,b\nJohn Smith,{A}{B},{C}\nJane Doe,x,y\n", "US_SSN"),
]


@pytest.mark.parametrize(("name", "text", "entity"), F1, ids=[c[0] for c in F1])
def test_a_row_as_a_reader_sees_it_is_found(engine: Engine, name: str, text: str, entity: str) -> None:
    if entity == "US_SSN" and "ssn" not in text:
        # attack 11 P2: numbers written apart (cells, a column) are an SSN only with a word naming it
        # (no checksum names one); a card names itself (Luhn and issuer)
        assert entity not in _stops(engine, text), name
        text = LABEL + text
    assert entity in _stops(engine, text), name


#: a caption naming the identifier, above a table of numbers written apart
LABEL = "client ssn\n\n"


NEGATIVES = [
    f"| qty | px | id |\n|---|---|---|\n| {A} {B} | | {C} |\n| 594 | 88 | 7079 |",
    f"|qty|px|\n|-|-|\n|{A}{B}|{C}|",
    f"|qty|\n|-|\n|{A} {B}|\n|{C}|",
    "| bid | ba | ask | as | last | lv | vol |\n" + "|---" * 7 + "|\n| " + " | | ".join(CARD) + " |",
    "|a|b|\n|-|-|\n|1 000|25|",
    "|a|b|c|\n|-|-|-|\n|12||34|",
    "id,qty,px\n536,,22,8710\n412,55,1234\n100,25,2500\n",
]


@pytest.mark.parametrize("text", NEGATIVES, ids=[f"neg-{i}" for i in range(len(NEGATIVES))])
def test_clean_numeric_tables_stay_clean(engine: Engine, text: str) -> None:
    assert _stops(engine, text) == []


def test_split_row_reads_cells_as_shown() -> None:
    # office rows (docx/xlsx/odt) and HTML rows go through split_row
    assert split_row(["John Smith", A, "", B, C]) == [f"John Smith : {A} | {B} | {C}"]
    assert split_row([f"{CARD[0]} {CARD[1]}", f"{CARD[2]} {CARD[3]}"]) == [" | ".join(CARD)]
    assert split_row([f'="{A}"', f'="{B}"', f'="{C}"']) == [f"{A} | {B} | {C}"]
    assert split_row([A + B, C]) == [f"{A}{B} | {C}", f"{A} | {B} | {C}"]
    assert split_row([A, "x", B, C]) == []  # a text cell ends a run
    assert split_row(["", A, "", ""]) == []
    assert split_row(["190", "133000"]) == ["190 | 133000"]  # a price and a notional: not regrouped


def _docx_row(cells: list[str]) -> bytes:
    import docx

    doc = docx.Document()
    table = doc.add_table(rows=1, cols=len(cells))
    for cell, value in zip(table.rows[0].cells, cells, strict=True):
        cell.text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _found(engine: Engine, data: bytes, name: str) -> set[str]:
    ex = extract(data, filename=name)
    assert ex.complete, ex.problems
    return {f.entity_type for s in ex.segments for f in engine.analyze(s.text) if f.entity_type in STOPPING}


def test_office_rows_with_a_blank_inside_or_an_empty_cell_between(engine: Engine) -> None:
    # F19: DOCX rows (the XLSX rows' gaps become empty cells too, ooxml._split_row_cells)
    assert "CREDIT_CARD" in _found(engine, _docx_row([f"{CARD[0]} {CARD[1]}", f"{CARD[2]} {CARD[3]}"]), "c.docx")
    assert "US_SSN" not in _found(engine, _docx_row([A, "", B, C]), "s.docx")  # no word names it (attack 11 P2)
    assert "US_SSN" in _found(engine, _docx_row(["ssn", A, "", B, C]), "s.docx")


@st.composite
def _ssn(draw: st.DrawFn) -> str:
    groups = f"{draw(st.integers(1, 899)):03d}{draw(st.integers(1, 99)):02d}{draw(st.integers(1, 9999)):04d}"
    assume(ssn_valid(groups))
    return groups


@settings(max_examples=60, deadline=None)
@given(_ssn(), st.lists(st.integers(1, 8), min_size=1, max_size=4, unique=True),
       st.lists(st.integers(1, 8), max_size=3), st.lists(st.sampled_from(["", "  "]), min_size=9, max_size=9))
def test_any_ssn_cut_into_cells_with_blanks_and_gaps_is_found(engine: Engine, digits: str, cuts: list[int],
                                                              blanks: list[int], empties: list[str]) -> None:
    # the nine digits cut into cells anywhere, blanks inside cells, empty cells between
    bounds = [0, *sorted(cuts), 9]
    assume(all(b - a <= 6 for a, b in zip(bounds, bounds[1:], strict=False)))  # a longer cell is a number of its own
    cells = []
    for gap, (a, b) in zip(empties, zip(bounds, bounds[1:], strict=False), strict=False):
        part = digits[a:b]
        for k in sorted((k - a for k in blanks if a < k < b), reverse=True):
            part = part[:k] + " " + part[k:]
        cells.append(part)
        cells.append(gap)
    cells.pop()
    groups = " ".join(cells).split()
    # two numbers side by side (3+6, a price and a notional) are read as two numbers
    assume(len(groups) >= 3 or len(groups[-1]) == 4)
    n = len(cells)
    text = LABEL + "|" + "|".join("x" * n) + "|\n|" + "-|" * n + "\n|" + "|".join(cells) + "|"
    assert "US_SSN" in _stops(engine, text), text


_WORDS = st.sampled_from(["qty", "px", "id", "amount", "total", "fee", "vol", "bid", "ask", "shares"])


@settings(max_examples=60, deadline=None)
@given(st.lists(_WORDS, min_size=3, max_size=5),
       st.lists(st.lists(st.one_of(st.integers(0, 99999).map(str), st.just(""),
                                   st.tuples(st.integers(0, 999), st.integers(0, 999)).map(lambda t: f"{t[0]} {t[1]}")),
                         min_size=5, max_size=5), min_size=1, max_size=6))
def test_rows_under_named_columns_stay_clean(engine: Engine, heads: list[str], rows: list[list[str]]) -> None:
    n = len(heads)
    text = "|" + "|".join(heads) + "|\n|" + "-|" * n + "".join("\n|" + "|".join(r[:n]) + "|" for r in rows)
    assert _stops(engine, text) == []


_HOSTILE = st.text(alphabet='0123456789|-. \tab\n\r="' + "\x1e\x1f", max_size=300)


@settings(max_examples=300, deadline=None)
@given(_HOSTILE)
def test_table_row_reading_is_well_formed_on_hostile_rows(text: str) -> None:
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


# ---------------------------------------------------------------- F2: a list inside a blockquote


@pytest.mark.parametrize("quote", ["> ", ">", "> > ", " > "])
def test_a_list_in_a_blockquote_is_numbered_as_shown(engine: Engine, quote: str) -> None:
    start = int(A + B + "0000")
    text = f"client SSNs:\n\n{quote}{start}. old\n" + f"{quote}1. x\n" * 42
    listed = rendered_list_numbers(text)
    assert listed is not None and f"{start + 42}. x" in listed.text
    assert "US_SSN" in _stops(engine, text)


def test_a_quote_ends_a_list() -> None:
    # a list outside the quote and one inside are two lists
    listed = rendered_list_numbers("5. a\n> 1. b\n> 1. c")
    assert listed is not None and "> 2. c" in listed.text and "5. a" in listed.text
    assert rendered_list_numbers("5. a\n> 1. b") is None


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 999_999_999), st.lists(st.tuples(st.sampled_from(["", "> ", ">", "> > ", " > "]),
                                                       st.sampled_from(["1. x", "1) x", "", "text", "- b", "  1. y"])),
                                             max_size=30))
def test_quoted_list_numbers_map_back(start: int, lines: list[tuple[str, str]]) -> None:
    text = f"> {start}. first\n" + "\n".join(q + line for q, line in lines)
    listed = rendered_list_numbers(text)
    if listed is None:
        return
    for m in re.finditer(r"[0-9]+", listed.text):
        a, b = listed.original_span(m.start(), m.end())
        assert 0 <= a <= b <= len(text)
        assert re.search(r"[0-9]", text[a:b])
    if lines and lines[0] == ("> ", "1. x"):
        assert f"> {start + 1}. x" in listed.text


# ---------------------------------------------------------------- F7: a CSV file of one data row
# (the SSN rows under a header naming it: numbers written apart need a label, attack 11 P2)

CSV_ONE_ROW = {
    "card": (f"name,a,b\nJohn Smith,{CARD[0]} {CARD[1]},{CARD[2]} {CARD[3]}\n", "CREDIT_CARD"),
    "quoted-blank": (f'name,ssn,b\nJohn Smith,"{A} {B}",{C}\n', "US_SSN"),
    "empty-cell": (f"name,ssn,,b,c\nJohn Smith,{A},,{B},{C}\n", "US_SSN"),
    "excel-text": (f'name,ssn,b,c\nJohn Smith,="{A}",="{B}",="{C}"\n', "US_SSN"),
    "5-4": (f"name,ssn,b\nJohn Smith,{A}{B},{C}\n", "US_SSN"),
    "tsv": (f"name\tssn\t\tb\nJohn Smith\t{A} {B}\t\t{C}\n", "US_SSN"),
}


@pytest.mark.parametrize("name", list(CSV_ONE_ROW))
def test_a_csv_file_of_one_row_is_read_as_a_spreadsheet_shows_it(engine: Engine, name: str) -> None:
    text, entity = CSV_ONE_ROW[name]
    assert entity in _found(engine, text.encode(), "clients.tsv" if name == "tsv" else "clients.csv")


def test_delimited_rows_leave_named_columns_apart() -> None:
    from dlp_proxy.files.rows import delimited_rows

    assert delimited_rows(f"name,a,b,c\nJohn Smith,{A},{B},{C}\n") == [(2, f"John Smith : {A} | {B} | {C}")]
    assert delimited_rows(f"id,qty,px\n{A},{B},{C}\n412,55,1234\n") == []
    assert delimited_rows(f"{A},{B},{C}\n") == [(1, f"{A} | {B} | {C}")]  # no header: the row is data
    assert delimited_rows("plain prose, no numbers\n") == []


def test_an_xlsx_row_with_an_empty_column_between_groups(engine: Engine) -> None:
    # F19: Excel shows John Smith | 536 | (empty) | 22 | 8710
    import openpyxl

    for row in (["John Smith ssn", A, None, B, C], ["John Smith ssn", int(A), None, int(B), int(C)]):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["name", "a", "b", "c", "d"])  # the row's word names it (attack 11 P2: no label, no SSN)
        ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        assert "US_SSN" in _found(engine, out.getvalue(), "clients.xlsx")
