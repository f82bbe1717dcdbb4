"""Office content the specific readers skipped (attack pass 4, A6/A7): text held in
elements or attributes of a part a specific reader takes (xlsx headers, validation
prompts, tooltips; pptx charts and comments; docx form-field entries, tooltips, ``w:sym``
characters, computed list labels) and formulas the application computes on open
(``CHAR``, arithmetic under a number format).  Real files written by openpyxl and
python-docx (or patched from them), each with a clean counterpart that must pass; one
stop goes through the real gateway."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import httpx
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.datavalidation import DataValidation

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.cells import evaluate, format_number
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway

DIGITS = SSN.replace("-", "")
AREA, GROUP, SERIAL = SSN.split("-")


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _found(detector: Engine, data: bytes, name: str) -> list[str]:
    ex = extract(data, filename=name)
    return [s.location for s in ex.segments for f in detector.analyze(s.text)
            if f.score >= 0.5 and f.entity_type == "US_SSN"]


def _xlsx(build: object) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "client"
    build(ws)  # type: ignore[operator]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _header(ws: object) -> None:
    ws.oddHeader.center.text = f"client SSN {SSN}"  # type: ignore[attr-defined]


def _prompt(ws: object) -> None:
    dv = DataValidation(type="list", formula1='"a,b"', showInputMessage=True, promptTitle="client SSN", prompt=SSN)
    ws.add_data_validation(dv)  # type: ignore[attr-defined]
    dv.add("B1")


def _tooltip(ws: object) -> None:
    ws["B1"] = "see"  # type: ignore[index]
    ws["B1"].hyperlink = "https://example.com/"  # type: ignore[index]
    ws["B1"].hyperlink.tooltip = f"client SSN {SSN}"  # type: ignore[index]


def _char_formula(ws: object) -> None:
    ws["A1"] = "client SSN"  # type: ignore[index]
    ws["B1"] = "=" + "&".join('"-"' if ch == "-" else f"CHAR({ord(ch)})" for ch in SSN)  # type: ignore[index]


def _arith_formula(ws: object) -> None:
    ws["A1"] = "client SSN"  # type: ignore[index]
    ws["B1"] = f"={int(DIGITS) // 2}*2+{int(DIGITS) % 2}"  # type: ignore[index]
    ws["B1"].number_format = "000-00-0000"  # type: ignore[index]


def _ref_formula(ws: object) -> None:
    ws["A1"] = "client SSN"  # type: ignore[index]
    ws["C1"] = int(DIGITS) - 1000  # type: ignore[index]
    ws["B1"] = "=C1+1000"  # type: ignore[index]
    ws["B1"].number_format = "000-00-0000"  # type: ignore[index]


XLSX = {"header": _header, "validation-prompt": _prompt, "hyperlink-tooltip": _tooltip,
        "char-formula": _char_formula, "arithmetic-formula": _arith_formula, "reference-formula": _ref_formula}


@pytest.mark.parametrize("case", sorted(XLSX))
def test_xlsx_text_outside_the_cells_and_computed_values_are_read(detector: Engine, case: str) -> None:
    assert _found(detector, _xlsx(XLSX[case]), "book.xlsx")


def _blotter(ws: object) -> None:
    ws.append(["trade", "qty", "price", "notional"])  # type: ignore[attr-defined]
    for n in range(2, 40):
        ws.append([f"T{n:05d}", n * 100, 12.5 + n, f"=B{n}*C{n}"])  # type: ignore[attr-defined]
        ws[f"D{n}"].number_format = "#,##0.00"  # type: ignore[index]
    ws.append(["total", "=SUM(B2:B39)", "", "=SUM(D2:D39)"])  # type: ignore[attr-defined]
    ws.oddHeader.center.text = "Blotter &D"  # type: ignore[attr-defined]


def test_a_clean_blotter_with_formulas_passes(detector: Engine) -> None:
    data = _xlsx(_blotter)
    ex = extract(data, filename="book.xlsx")
    assert ex.complete, ex.problems
    assert not _found(detector, data, "book.xlsx")
    # the products are computed under their format: the reading is not a no-op
    assert any(s.location.endswith("/formula value") and s.text == "2,900.00" for s in ex.segments)


# -- docx -------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_with(body_xml: str, numbering: str = "") -> bytes:
    d = docx.Document()
    d.add_paragraph("quarterly memo")
    if numbering:
        d.add_paragraph("item", style="List Number")
    out = io.BytesIO()
    d.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                text = data.decode()
                cut = text.rindex("<w:sectPr")
                data = (text[:cut] + body_xml + text[cut:]).encode()
            elif info.filename == "word/numbering.xml" and numbering:
                data = re.sub(numbering.split("|")[0], numbering.split("|")[1], data.decode(), count=1).encode()
            zf.writestr(info, data)
    return patched.getvalue()


def _list_para(num_id: str) -> str:
    return (f'<w:p><w:r><w:t>client SSN</w:t></w:r></w:p><w:p><w:pPr><w:numPr><w:ilvl w:val="0"/>'
            f'<w:numId w:val="{num_id}"/></w:numPr></w:pPr><w:r><w:t>on file</w:t></w:r></w:p>')


DOCX = {
    "sym-characters": ('<w:p><w:r><w:t xml:space="preserve">client SSN </w:t></w:r><w:r>'
                       + "".join(f'<w:sym w:font="Arial" w:char="{ord(ch):04X}"/>' for ch in SSN)
                       + "</w:r></w:p>", ""),
    "sym-symbol-font": ('<w:p><w:r><w:t xml:space="preserve">client SSN </w:t></w:r><w:r>'
                        + "".join(f'<w:sym w:font="Symbol" w:char="F0{ord(ch):02X}"/>' for ch in SSN)
                        + "</w:r></w:p>", ""),
    "dropdown-entry": ('<w:p><w:r><w:t xml:space="preserve">client SSN </w:t></w:r><w:r><w:fldChar w:fldCharType="begin">'
                       '<w:ffData><w:name w:val="Dropdown1"/><w:ddList><w:result w:val="1"/>'
                       f'<w:listEntry w:val="none"/><w:listEntry w:val="{SSN}"/></w:ddList></w:ffData></w:fldChar></w:r>'
                       '<w:r><w:instrText> FORMDROPDOWN </w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
                       '</w:p>', ""),
    "symbol-fields": ('<w:p><w:r><w:t xml:space="preserve">client SSN </w:t></w:r>' + "".join(
        f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> SYMBOL {ord(ch)} \\f Arial </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>' for ch in SSN)
        + "</w:p>", ""),
    "formula-field": ('<w:p><w:r><w:t xml:space="preserve">client SSN </w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/>'
                      f'</w:r><w:r><w:instrText> = {int(DIGITS) // 2}*2+{int(DIGITS) % 2} </w:instrText></w:r><w:r>'
                      '<w:instrText>\\# "000\'-\'00\'-\'0000"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
                      '</w:r><w:r><w:t>x</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>', ""),
    "hyperlink-tooltip": (f'<w:p><w:hyperlink w:anchor="x" w:tooltip="client SSN {SSN}"><w:r><w:t>see</w:t></w:r>'
                          '</w:hyperlink></w:p>', ""),
}


@pytest.mark.parametrize("case", sorted(DOCX))
def test_docx_text_outside_the_runs_is_read(detector: Engine, case: str) -> None:
    body, numbering = DOCX[case]
    assert _found(detector, _docx_with(body, numbering), "memo.docx")


def _numbered(lvl_text: str, start: int) -> bytes:
    """python-docx's template's "List Number" list with its first level's label and start changed."""
    d = docx.Document()
    d.add_paragraph("client SSN")
    d.add_paragraph("on file", style="List Number")
    out = io.BytesIO()
    d.save(out)
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    body = src.read("word/document.xml").decode()
    num_id = re.findall(r'<w:numId w:val="(\d+)"/>', body)
    styles = src.read("word/styles.xml").decode()
    if not num_id:  # the style holds the numbering: put it on the paragraph
        style = re.search(r'<w:style [^>]*w:styleId="ListNumber".*?</w:style>', styles, re.S)
        assert style is not None
        num_id = re.findall(r'<w:numId w:val="(\d+)"/>', style.group(0))
    numbering = src.read("word/numbering.xml").decode()
    abstract = re.search(rf'<w:num w:numId="{num_id[0]}"[^>]*>\s*<w:abstractNumId w:val="(\d+)"/>', numbering)
    assert abstract is not None
    block = re.search(rf'<w:abstractNum [^>]*w:abstractNumId="{abstract.group(1)}".*?</w:abstractNum>', numbering, re.S)
    assert block is not None
    lvl0 = re.search(r'<w:lvl w:ilvl="0".*?</w:lvl>', block.group(0), re.S)
    assert lvl0 is not None
    new_lvl = re.sub(r'<w:start w:val="\d+"/>', f'<w:start w:val="{start}"/>', lvl0.group(0))
    new_lvl = re.sub(r'<w:lvlText w:val="[^"]*"/>', f'<w:lvlText w:val="{lvl_text}"/>', new_lvl)
    numbering = numbering.replace(lvl0.group(0), new_lvl)
    body = body.replace('<w:pStyle w:val="ListNumber"/>',
                        f'<w:pStyle w:val="ListNumber"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id[0]}"/></w:numPr>')
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/numbering.xml":
                data = numbering.encode()
            elif info.filename == "word/document.xml":
                data = body.encode()
            zf.writestr(info, data)
    return patched.getvalue()


def test_a_computed_list_label_is_read(detector: Engine) -> None:
    data = _numbered(f"{AREA}-{GROUP}-%1", int(SERIAL))
    assert "body/list-labels" in _found(detector, data, "memo.docx")


def test_a_clean_numbered_list_passes(detector: Engine) -> None:
    data = _numbered("%1.", 1)
    ex = extract(data, filename="memo.docx")
    assert ex.complete, ex.problems
    assert any(s.location == "body/list-labels" and "\n1. on file" in s.text for s in ex.segments)
    assert not _found(detector, data, "memo.docx")


# -- the evaluator ------------------------------------------------------------------


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters='"'),
               min_size=1, max_size=30))
@settings(max_examples=200, deadline=None)
def test_char_concatenation_gives_the_text(text: str) -> None:
    assert evaluate("=" + "&".join(f"CHAR({ord(ch)})" for ch in text), {}.get) == text


@given(st.integers(0, 10**9), st.integers(1, 10**6))
@settings(max_examples=200, deadline=None)
def test_arithmetic_matches_python(a: int, b: int) -> None:
    cells = {"A1": str(a)}.get
    assert evaluate(f"A1*{b}+{b}-{b}", cells) == str(a * b)
    assert evaluate(f"-A1+{b}*2", cells) == str(-a + b * 2)
    assert evaluate(f"({a}+{b})*2", cells) == str((a + b) * 2)
    assert evaluate(f'TEXT({a}*1,"000-00-0000")', cells) == format_number(str(a), "000-00-0000")


@pytest.mark.parametrize("formula", ['"a"+1', "1/0", 'HEX2DEC("218")', "A1>2", "NOW()", "CHAR(0)", "1+", "Data!A1"])
def test_what_is_not_evaluated_gives_none(formula: str) -> None:
    assert evaluate(formula, {"A1": "1"}.get) is None


def test_a_char_formula_xlsx_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    gateway.sim.clear()
    resp = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                      data={"channel_id": gateway.sim.channel("town_square")},
                      files={"files": ("book.xlsx", _xlsx(_char_formula))}, timeout=120)
    assert resp.status_code == 403, resp.text
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]


# -- ODF (odfpy) and CSV ------------------------------------------------------------


def _ods(cells: list[dict[str, str]]) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="S")
    row = TableRow()
    row.addElement(TableCell(valuetype="string", stringvalue="client SSN"))
    row.lastChild.addElement(P(text="client SSN"))
    for attrs in cells:
        shown = attrs.pop("shown", "")
        cell = TableCell(**attrs)
        if shown:
            cell.addElement(P(text=shown))
        row.addElement(cell)
    table.addElement(row)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _odt_user_field(value: str) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P, UserFieldDecl, UserFieldDecls, UserFieldGet

    doc = OpenDocumentText()
    decls = UserFieldDecls()
    decls.addElement(UserFieldDecl(name="f", valuetype="string", stringvalue=value))
    doc.text.addElement(decls)
    p = P(text="client SSN ")
    p.addElement(UserFieldGet(name="f"))
    doc.text.addElement(p)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


ODF = {
    "ods-bare-value": lambda: _ods([{"valuetype": "float", "value": DIGITS}]),
    "ods-char-formula": lambda: _ods([{"valuetype": "string", "stringvalue": "",
                                       "formula": "of:=" + "&".join('"-"' if ch == "-" else f"CHAR({ord(ch)})"
                                                                    for ch in SSN)}]),
    "odt-user-field": lambda: _odt_user_field(SSN),
}


@pytest.mark.parametrize("case", sorted(ODF))
def test_odf_values_and_formulas_are_read(detector: Engine, case: str) -> None:
    assert _found(detector, ODF[case](), "a." + case[:3])


def test_a_clean_ods_with_a_sum_passes(detector: Engine) -> None:
    data = _ods([{"valuetype": "float", "value": "12", "shown": "12"},
                 {"valuetype": "float", "value": "30", "formula": "of:=SUM([.B1];[.C1])", "shown": "42"}])
    assert not _found(detector, data, "a.ods")
    assert not _found(detector, _odt_user_field("quarterly"), "a.odt")


@pytest.mark.parametrize("line", [
    "client SSN," + "=" + "&".join(f"CHAR({ord(ch)})" for ch in SSN),
    f"client SSN,={int(DIGITS) // 2}*2+{int(DIGITS) % 2}",
])
def test_csv_formula_fields_are_evaluated(detector: Engine, line: str) -> None:
    assert "line=1/formulas" in _found(detector, (line + "\n").encode(), "a.csv")


def test_a_clean_csv_with_formulas_passes(detector: Engine) -> None:
    data = b"trade,qty,price,notional\nT1,100,12.5,=B2*C2\nT2,200,13.5,=B3*C3\ntotal,=B2+B3,,=D2+D3\n"
    ex = extract(data, filename="a.csv")
    assert any(s.location.endswith("/formulas") and "1250" in s.text.split("\n") for s in ex.segments), ex.segments
    assert not _found(detector, data, "a.csv")
