"""Spreadsheet cells as displayed: number formats, string formulas, and real XLSX files
(openpyxl writes formulas without cached values, as most generators do)."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.cells import evaluate, format_number
from dlp_proxy.policy import testing as synth
from tests.conftest import Gateway

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
        ("45000", "yyyy-mm-dd", "2023-03-15\n2027-03-16"),  # dates as shown, in the 1900 and the 1904 system
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
        ("=SUM(A1:B1)", str(int(SERIAL))),  # a range's text is left out, as Excel's SUM does
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


# -- ODS number styles -----------------------------------------------------------------

_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
           'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"')


def _ods_styled(style: str, value: str, *, kind: str = "number-style", value_type: str = "float",
                others: str = "") -> bytes:
    """An ODS whose cell B1 stores ``value`` under the data style ``style`` (the children
    of a ``number:<kind>`` named N1; ``others``: more data styles), its saved text the
    stored value, as a generator writes it (LibreOffice shows the value under the style)."""
    import zipfile

    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS} office:version="1.3">'
               f'<office:automatic-styles><number:{kind} style:name="N1">{style}</number:{kind}>{others}'
               '<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/>'
               '</office:automatic-styles><office:body><office:spreadsheet><table:table table:name="S">'
               '<table:table-row><table:table-cell office:value-type="string"><text:p>Note</text:p></table:table-cell>'
               f'<table:table-cell table:style-name="ce1" office:value-type="{value_type}" office:value="{value}">'
               f'<text:p>{value}</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
    return out.getvalue()


def _digits(n: int, *embedded: tuple[int, str]) -> str:
    inner = "".join(f'<number:embedded-text number:position="{p}">{t}</number:embedded-text>' for p, t in embedded)
    return f'<number:number number:decimal-places="0" number:min-integer-digits="{n}">{inner}</number:number>'


_LAST4 = '<number:text>536-22-</number:text><number:number number:min-integer-digits="4"/>'
ODS_STYLES = {
    # LibreOffice's own 000-00-0000: the separators are embedded in the number
    "embedded": (_digits(9, (4, "-"), (6, "-")), SSN_DIGITS, {}),
    "text-then-embedded": ("<number:text>5</number:text>" + _digits(8, (4, "-"), (6, "-")), SSN_DIGITS[1:], {}),
    "text-properties": ('<style:text-properties fo:color="#000000"/>' + _LAST4, SERIAL, {}),
    "map": ('<number:number number:min-integer-digits="1"/>'
            '<style:map style:condition="value()&gt;=0" style:apply-style-name="N2"/>', SERIAL,
            {"others": f'<number:number-style style:name="N2">{_LAST4}</number:number-style>'}),
    "currency": ('<number:currency-symbol>536-22-</number:currency-symbol><number:number number:min-integer-digits="4"/>',
                 SERIAL, {"kind": "currency-style", "value_type": "currency"}),
    "quoted": ('<number:text>SSN "536-22-</number:text><number:number number:min-integer-digits="4"/>', SERIAL, {}),
}


@pytest.mark.parametrize("case", sorted(ODS_STYLES))
def test_ods_value_is_read_as_its_number_style_shows_it(engine: Engine, case: str) -> None:
    style, value, kw = ODS_STYLES[case]
    ex = extract(_ods_styled(style, value, **kw), filename="a.ods")
    texts = [s.text for s in ex.segments if s.location == "sheet=S!B1"]
    assert any(SSN in t for t in texts), texts
    assert any(f.entity_type == "US_SSN" for t in texts for f in engine.analyze(t))


def test_ods_number_style_identifier_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    style, value, kw = ODS_STYLES["embedded"]
    gateway.sim.clear()
    r = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                   data={"channel_id": gateway.sim.channel("town_square")},
                   files={"files": ("book.ods", _ods_styled(style, value, **kw))}, timeout=120)
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]


def test_ods_number_style_on_a_clean_value_finds_nothing(engine: Engine) -> None:
    style = (_digits(1) + '<style:map style:condition="value()&lt;0" style:apply-style-name="N2"/>')
    neg = '<number:number-style style:name="N2"><number:text>-</number:text>' + _digits(1) + "</number:number-style>"
    for value in ("1200", "-35"):
        ex = extract(_ods_styled(style, value, others=neg), filename="a.ods")
        assert ex.complete and not [f for s in ex.segments for f in engine.analyze(s.text) if f.score >= 0.5]
        assert any(s.location == "sheet=S!B1" for s in ex.segments)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**12), st.integers(1, 12),
       st.lists(st.tuples(st.integers(0, 12), st.sampled_from(["-", " ", "/", ".-"])), max_size=3))
def test_ods_embedded_text_stands_its_position_from_the_right(value: int, digits: int,
                                                              embedded: list[tuple[int, str]]) -> None:
    """A reference: the value's digits (at least ``digits`` of them), each embedded text
    inserted with ``position`` digits right of it (at the left end when there are fewer,
    the further position further left)."""
    from lxml import etree

    from dlp_proxy.files.odf import _number_code

    number = etree.fromstring(f"<r {_ODF_NS}>{_digits(digits, *embedded)}</r>")[0]
    code = _number_code(number)
    assert code is not None
    shown = str(value).zfill(digits)
    want = ""
    for i, d in enumerate(reversed(shown)):
        want = d + "".join(t for p, t in embedded if p == i) + want
    want = "".join(t for p, t in sorted(embedded, key=lambda e: -e[0]) if p >= len(shown)) + want
    assert format_number(str(value), code) == want


# -- format_text as it read before its tokenizer was shared with format_number --------


def _format_text_before(text: str, code: str) -> str | None:
    """cells.format_text as of 18cf208, frozen (its own copy of the section walk): the
    oracle of the differential test below."""
    import re

    from dlp_proxy.files.cells import MAX_RESULT, _code_sections

    if not code or code in ("General", "@") or ("@" not in code and code.count(";") < 3):
        return None
    sections = _code_sections(code)
    section = None
    if len(sections) >= 4:
        section = sections[3]
    else:
        for s in sections:
            if "@" in re.sub(r'"[^"]*"|\\.', "", s):
                section = s
                break
    if section is None:
        return None
    out: list[str] = []
    plain = re.sub(r"\[[^\]]*\]", "", section)
    i = 0
    while i < len(plain):
        ch = plain[i]
        if ch == '"':
            end = plain.find('"', i + 1)
            end = len(plain) if end < 0 else end
            out.append(plain[i + 1 : end])
            i = end + 1
            continue
        if ch == "\\" and i + 1 < len(plain):
            out.append(plain[i + 1])
            i += 2
            continue
        if ch in "_*" and i + 1 < len(plain):
            out.append(" " if ch == "_" else plain[i + 1])
            i += 2
            continue
        out.append(text if ch == "@" else ch)
        i += 1
    shown = "".join(out)[:MAX_RESULT]
    return None if shown == text else shown


@settings(max_examples=2000, deadline=None)
@given(code=st.lists(st.sampled_from(list('0#?.,;"\\-_*[]<=>@%ymd ') + ["acct", '"536-22-"', "E+"]),
                     max_size=24).map("".join),
       text=st.sampled_from(["8710", "", "a@b", '"q"', "536-22-8710"]))
def test_format_text_as_before(code: str, text: str) -> None:
    """As before, but for brackets: a ``[`` inside a quoted literal is text now (the file
    attack of 2026-12-07; tests/test_files_attack8.py)."""
    from dlp_proxy.files.cells import format_text

    if "[" not in code:
        assert format_text(text, code) == _format_text_before(text, code)
