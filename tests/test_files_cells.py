"""Spreadsheet cells as displayed: number formats, string formulas, and real XLSX files
(openpyxl writes formulas without cached values, as most generators do)."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.cells import evaluate, format_number
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
SSN = synth.SSN
SSN_DIGITS = SSN.replace("-", "")
AREA, GROUP, SERIAL = SSN.split("-")


@pytest.mark.parametrize(
    ("value", "code", "shown"),
    [
        (SSN_DIGITS, "000-00-0000", SSN),
        (SSN_DIGITS + ".0", "000\\-00\\-0000", SSN),
        ("2125550142", "[<=9999999]###-####;(###) ###-####", "(212) 555-0142"),
        ("5550142", "[<=9999999]###-####;(###) ###-####", "555-0142"),
        ("1234567.891", "#,##0.00", "1,234,567.89"),
        ("-5", "0.00", "-5.00"),
        ("-5", "0.00;(0.00)", "(5.00)"),
        ("12", '"acct "00000', "acct 00012"),
        ("1234", "00000-0000", "00000-1234"),
        ("0", "0;-0;\"zero\"", "zero"),
        ("12", "General", None),
        ("45000", "yyyy-mm-dd", None),  # dates are not rendered
        ("0.25", "0%", "25%"),
        ("abc", "0", None),
    ],
)
def test_format_number(value: str, code: str, shown: str | None) -> None:
    assert format_number(value, code) == shown


CELLS = {"A1": f"{AREA}-{GROUP}-", "B1": SERIAL, "C1": SSN_DIGITS, "D1": "x"}


@pytest.mark.parametrize(
    ("formula", "value"),
    [
        ("=A1&B1", SSN),
        (f'=CONCATENATE("{AREA}","-{GROUP}-",B1)', SSN),
        ("=_xlfn.CONCAT(A1,$B$1)", SSN),
        ('=TEXT(C1,"000-00-0000")', SSN),
        ('=LEFT(C1,3)&"-"&MID(C1,4,2)&"-"&RIGHT(C1,4)', SSN),
        ('=TRIM("  a   b ")&UPPER(D1)', "a bX"),
        ('="say ""hi"""', 'say "hi"'),
        ("=(A1)&(B1)", SSN),
        ("=SUM(A1:B1)", None),
        ("=A1+1", None),
        ("=Sheet2!A1&B1", None),
        ("=VLOOKUP(A1,B1:C9,2,FALSE)", None),
        ("=", None),
    ],
)
def test_evaluate(formula: str, value: str | None) -> None:
    assert evaluate(formula, CELLS.get) == value


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('0#?.,;"\\-()[]<=>_*@%ymd ') + ["E+", "acct"]), max_size=40).map("".join),
       st.one_of(st.integers(-10**12, 10**12).map(str), st.floats(allow_nan=True).map(repr)))
def test_format_number_never_raises(code: str, value: str) -> None:
    shown = format_number(value, code)
    assert shown is None or len(shown) <= 4096


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(list('=&(),"A1B$:!+ ') + ["CONCAT(", "TEXT(", "MID(", "LEFT(", "0"]),
                max_size=60).map("".join))
def test_evaluate_never_raises(formula: str) -> None:
    value = evaluate(formula, CELLS.get)
    assert value is None or len(value) <= 4096


def test_deep_nesting_is_refused_not_crashed() -> None:
    assert evaluate("=" + "(" * 5000 + "A1" + ")" * 5000, CELLS.get) is None


def _book() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Clients"
    ws["A1"] = f"{AREA}-{GROUP}-"
    ws["B1"] = SERIAL
    ws["C1"] = "=A1&B1"  # concatenation of two strings
    ws["A2"] = int(SSN_DIGITS)
    ws["A2"].number_format = "000-00-0000"  # Excel's "Social Security Number" format
    ws["B2"] = f'=CONCATENATE("{AREA}","-{GROUP}-","{SERIAL}")'
    ws["C2"] = f'=TEXT({SSN_DIGITS},"000-00-0000")'
    ws["D2"] = "=E2&F2"  # refers to cells written later in the sheet
    ws["E2"] = "=A1"
    ws["F2"] = "=B1"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_cells_as_displayed() -> None:
    ex = extract(_book(), filename="book.xlsx")
    shown = {(s.location, s.text) for s in ex.segments}
    for loc in ("sheet=Clients!C1/formula value", "sheet=Clients!A2/displayed", "sheet=Clients!B2/formula value",
                "sheet=Clients!C2/formula value", "sheet=Clients!D2/formula value"):
        assert (loc, SSN) in shown, loc
    assert ("sheet=Clients!A2", SSN_DIGITS) in shown  # the stored value is still there


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def test_xlsx_displayed_ssn_is_detected(engine: Engine) -> None:
    ex = extract(_book(), filename="book.xlsx")
    hits = {s.location for s in ex.segments if any(f.entity_type == "US_SSN" for f in engine.analyze(s.text))}
    assert {"sheet=Clients!A2/displayed", "sheet=Clients!C1/formula value", "sheet=Clients!B2/formula value",
            "sheet=Clients!C2/formula value", "sheet=Clients!D2/formula value"} <= hits


def _ods_book() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Clients")
    row = TableRow()
    for v in (f"{AREA}-{GROUP}-", SERIAL):
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=v))
        row.addElement(cell)
    # formulas as a generator writes them: no displayed text, no cached value
    row.addElement(TableCell(formula="of:=[.A1]&[.B1]"))
    row.addElement(TableCell(formula=f'of:=CONCATENATE("{AREA}";"-{GROUP}-";[.B1])'))
    row.addElement(TableCell(formula="of:=[Other.A1]&[.B1]"))  # another sheet: not evaluated
    table.addElement(row)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_ods_formulas_evaluated() -> None:
    ex = extract(_ods_book(), filename="book.ods")
    shown = {(s.location, s.text) for s in ex.segments}
    assert ("sheet=Clients!C1/formula value", SSN) in shown
    assert ("sheet=Clients!D1/formula value", SSN) in shown
    assert not any(loc.startswith("sheet=Clients!E1/formula value") for loc, _ in shown)
    assert any(loc == "sheet=Clients!E1" and "[Other.A1]" in text for loc, text in shown)  # the formula as written


def test_xlsx_column_header_labels_the_cells_below(engine: Engine) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Book"
    ws.append(["Client", "Account", "SSN", "Amount"])
    ws.append(["Ann", int(synth.ACCOUNT), int(SSN_DIGITS), 1200.5])
    out = io.BytesIO()
    wb.save(out)
    ex = extract(out.getvalue(), filename="book.xlsx")
    texts = {s.location: s.text for s in ex.segments}
    # (a name under the "Client" header is data, not a row label)
    assert texts["sheet=Book!B2"] == f"Account: {synth.ACCOUNT}" and texts["sheet=Book!A2"] == "Ann"
    found = {s.location: {f.entity_type for f in engine.analyze(s.text)} for s in ex.segments}
    assert "US_BANK_NUMBER" in found["sheet=Book!B2"]
    assert "US_SSN" in found["sheet=Book!C2"]  # nine bare digits, labelled by the header
    assert found["sheet=Book!D2"] == set()
