"""Attack pass 6 file findings (C2, C3, C7, C10, C13): files a recipient's application
shows an identifier in, that the extractor read without it.  Real files built here
(zipfile, openpyxl, python-docx through filegen), read through the extractor and judged
by the real detector; one file of each class goes through the real gateway.

- C3: an OOXML package's main part is the target of the ``officeDocument`` relationship,
  wherever it is (``word/theme/theme2.xml``), and a part a relationship or its content
  type makes content is read whatever its name.
- C2: text in Shift_JIS/CP932, EUC-JP, GB2312, Big5, EUC-KR with fullwidth digits, with
  or without a declared charset.
- C10: CSV fields starting with ``+``, ``-``, ``@`` are formulas to Excel.
- C13: every XML element boundary and every HTML block boundary is a text boundary.
- C7: XLSX number formats of conditional formats, and text sections (``"536-22-"@``).
"""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.cells import format_text
from dlp_proxy.files.text import cjk_readings, declared_encoding
from dlp_proxy.files.xmltext import xml_readings
from tests import filegen
from tests.conftest import Gateway

SSN = "536-22-8710"
FW_SSN = "５３６ー２２ー８７１０"  # fullwidth digits and the long-vowel mark Japanese users type
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _found(detector: Engine, data: bytes, filename: str) -> set[str]:
    ex = extract(data, filename=filename)
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


def _where(data: bytes, filename: str) -> list[tuple[str, str]]:
    return [(s.location, s.text[:80]) for s in extract(data, filename=filename).segments]


# -- C3: the main part by relationship -----------------------------------------------------


def _docx_main_at(main: str, text: str = f"Client SSN {SSN}, account 483920117", decoy: bool = False) -> bytes:
    """A package whose officeDocument relationship names ``main`` (and a content-type
    Override says so), as OPC allows; with ``decoy``, an innocent word/document.xml too."""
    out = io.BytesIO()
    doc = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           '<w:p><w:r><w:t>{}</w:t></w:r></w:p></w:body></w:document>')
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", f'<Types xmlns="{CT}"><Default Extension="rels" ContentType='
                    '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                    f'ContentType="application/xml"/><Override PartName="/{main}" ContentType="{WORD_MAIN}"/></Types>')
        zf.writestr("_rels/.rels", f'<Relationships xmlns="{REL}"><Relationship Id="rId1" Type="{OFFICE_DOC}" '
                    f'Target="{main}"/></Relationships>')
        zf.writestr(main, doc.format(text))
        if decoy:
            zf.writestr("word/document.xml", doc.format("Quarterly desk notes, nothing to see."))
    return out.getvalue()


def _xlsx_under(folder: str) -> bytes:
    """A workbook and its sheet under ``folder`` (xl/theme), found through the relationships."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", f'<Types xmlns="{CT}"><Default Extension="rels" ContentType='
                    '"application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
                    f'ContentType="application/xml"/><Override PartName="/{folder}/workbook.xml" '
                    f'ContentType="{SHEET_MAIN}"/></Types>')
        zf.writestr("_rels/.rels", f'<Relationships xmlns="{REL}"><Relationship Id="rId1" Type="{OFFICE_DOC}" '
                    f'Target="{folder}/workbook.xml"/></Relationships>')
        zf.writestr(f"{folder}/workbook.xml",
                    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r='
                    '"http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                    '<sheet name="Clients" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr(f"{folder}/_rels/workbook.xml.rels",
                    f'<Relationships xmlns="{REL}"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                    'officeDocument/2006/relationships/worksheet" Target="sheet1.xml"/></Relationships>')
        zf.writestr(f"{folder}/sheet1.xml",
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                    '<row r="1"><c r="A1" t="inlineStr"><is><t>Client</t></is></c>'
                    '<c r="B1" t="inlineStr"><is><t>SSN</t></is></c></row>'
                    '<row r="2"><c r="A2" t="inlineStr"><is><t>Bob Smith</t></is></c>'
                    f'<c r="B2" t="inlineStr"><is><t>{SSN}</t></is></c></row></sheetData></worksheet>')
    return out.getvalue()


C3_CASES = {
    "docx-main-in-theme": (lambda: _docx_main_at("word/theme/theme2.xml"), "memo.docx"),
    "docx-main-is-styles": (lambda: _docx_main_at("word/styles.xml"), "memo.docx"),
    "docx-main-is-itemprops": (lambda: _docx_main_at("customXml/itemProps1.xml"), "memo.docx"),
    "docx-decoy-document": (lambda: _docx_main_at("word/theme/theme1.xml", decoy=True), "memo.docx"),
    "xlsx-workbook-in-theme": (lambda: _xlsx_under("xl/theme"), "book.xlsx"),
}


@pytest.mark.parametrize("case", sorted(C3_CASES))
def test_the_main_part_is_found_by_its_relationship(detector: Engine, case: str) -> None:
    make, name = C3_CASES[case]
    data = make()
    assert "US_SSN" in _found(detector, data, name), _where(data, name)


def test_the_main_part_is_read_as_its_kind_and_the_decoy_too() -> None:
    ex = extract(_docx_main_at("word/theme/theme1.xml", decoy=True), filename="memo.docx")
    locations = [s.location for s in ex.segments]
    assert "body" in locations and "part=word/document.xml" in locations, locations
    body = next(s.text for s in ex.segments if s.location == "body")
    assert SSN in body
    sheet = extract(_xlsx_under("xl/theme"), filename="book.xlsx")
    assert any(s.location.startswith("sheet=Clients!B2") and SSN in s.text for s in sheet.segments)


def test_styles_and_theme_of_real_documents_are_still_noise() -> None:
    """python-docx/openpyxl packages: styles, theme, settings and font tables are declared
    as such by their content types and relationships, and their text is skipped as before;
    only the names they give a reader (their attribute values: a style's name in the Styles
    pane, issue 19) are read, as ``part=<name>/attributes``, and hold nothing the detector finds."""
    detector = build_detector(ner=False)
    for data, name in ((filegen.docx_document(), "a.docx"), (filegen.xlsx_document(), "a.xlsx")):
        segments = extract(data, filename=name).segments
        locations = [s.location for s in segments if not s.location.endswith("/attributes")]
        assert not [x for x in locations if any(k in x for k in ("theme", "styles", "fontTable", "settings.xml"))], locations
        attributes = [s for s in segments if s.location.endswith("/attributes")]
        assert attributes
        assert not [f for s in attributes for f in detector.analyze(s.text) if f.score >= 0.5]


# -- C2: legacy CJK encodings ---------------------------------------------------------------

LINE = f"顧客 SSN {FW_SSN} 口座"
FW_SSN_DASH = FW_SSN.replace("ー", "－")  # fullwidth hyphen-minus, in every encoding below
#: (client label, identifier) per encoding, in the language that uses it
CJK = {"shift_jis": ("顧客", FW_SSN), "cp932": ("顧客", FW_SSN), "euc_jp": ("顧客", FW_SSN),
       "gb2312": ("客户", FW_SSN_DASH), "big5": ("顧客", FW_SSN_DASH), "euc_kr": ("고객", FW_SSN_DASH)}


@pytest.mark.parametrize("encoding", sorted(CJK))
def test_legacy_cjk_text_is_read_in_its_encoding(detector: Engine, encoding: str) -> None:
    client, ssn = CJK[encoding]
    data = f"{client} SSN {ssn}\n".encode(encoding)
    assert "US_SSN" in _found(detector, data, "notes.txt"), _where(data, "notes.txt")
    csv = f"{client},SSN\nBob,{ssn}\n".encode(encoding)
    assert "US_SSN" in _found(detector, csv, "clients.csv"), _where(csv, "clients.csv")


@pytest.mark.parametrize(("data", "name"), [
    (f'<html><head><meta charset="shift_jis"></head><body>{LINE}</body></html>'.encode("cp932"), "page.html"),
    (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=EUC-JP"></head><body>{LINE}'
     '</body></html>'.encode("euc_jp"), "page.html"),
    (f'<?xml version="1.0" encoding="Shift_JIS"?>\n<client><ssn>{FW_SSN}</ssn></client>'.encode("cp932"), "c.xml"),
])
def test_a_declared_charset_is_honoured(detector: Engine, data: bytes, name: str) -> None:
    assert "US_SSN" in _found(detector, data, name), _where(data, name)


def test_declared_encoding_reads_labels_as_browsers_do() -> None:
    assert declared_encoding(b'<meta charset="Shift_JIS">') == "cp932"
    assert declared_encoding(b'<?xml version="1.0" encoding="gb2312"?><a/>') == "gb18030"
    assert declared_encoding(b'<meta charset="utf-8">') is None  # detection reads Unicode already
    assert declared_encoding(b'<meta charset="no-such-charset">') is None


def test_text_without_cjk_numerals_gets_no_extra_reading() -> None:
    """The extra readings cost a byte scan: a French cp1252 file or Japanese UTF-8 text
    without numeral byte pairs is decoded once."""
    french = "Café résumé naïve déjà vu, façade.\n".encode("cp1252") * 200
    assert cjk_readings(french, "cp1252") == []
    assert not [s for s in extract(french, filename="a.txt").segments if s.location.startswith("encoding=")]
    assert cjk_readings(LINE.encode("cp932"), "cp1252") == ["cp932"]
    assert cjk_readings(LINE.encode("utf-8-sig"), None) == []


# -- C10: CSV formulas with + - @ -------------------------------------------------------------


@pytest.mark.parametrize("field", ['+CHAR(53)&"36-22-8710"', '+"53"&"6-22-87"&"10"', '+53&"6-22-87"&10',
                                   '@53&"6-22-87"&10', '-(-53)&"6-22-87"&10', '="53"&"6-22-87"&"10"'])
def test_csv_formula_prefixes_are_evaluated(detector: Engine, field: str) -> None:
    data = f"Client,SSN\nBob Smith,{field}\n".encode()
    ex = extract(data, filename="clients.csv")
    formulas = [s.text for s in ex.segments if s.location.endswith("/formulas")]
    assert formulas and SSN in formulas[0], _where(data, "clients.csv")
    assert "US_SSN" in _found(detector, data, "clients.csv")


def test_signed_numbers_are_not_formulas() -> None:
    ex = extract(b"item,delta\napples,-5\npears,+7\nplums,-\n", filename="d.csv")
    assert not [s for s in ex.segments if s.location.endswith("/formulas")]


# -- C13: element boundaries -----------------------------------------------------------------

C13_CASES = {
    "xml-compact": ('<?xml version="1.0"?>\n<client><name>Bob Smith</name><ssn>536-22-8710</ssn></client>', "c.xml"),
    "xml-id-glued": ("<client><id>17</id><ssn>536-22-8710</ssn></client>", "c.xml"),
    "html-dt-dd": ("<html><body><dl><dt>Bob Smith</dt><dd>536-22-8710</dd></dl></body></html>", "p.html"),
    "html-h4-blockquote": ("<html><body><h4>Bob Smith 17</h4><blockquote>536-22-8710</blockquote></body></html>",
                           "p.html"),
    "html-option": ("<html><body><select><option>17</option><option>536-22-8710</option></select></body></html>",
                    "p.html"),
    "html-end-tag": ("<html><body><h5>ref 17</h5>536-22-8710</body></html>", "p.html"),
    "xml-mixed-inline": ("<doc><p>her SSN 536-<b>22</b>-8710</p><n>1</n></doc>", "d.xml"),
    "html-inline": ("<html><body><p>her SSN 536-<b>22</b>-8710</p></body></html>", "p.html"),
    "xml-internal-entities": ('<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY a "536-22"><!ENTITY b "-87">]>\n'
                              "<client><name>Bob Smith</name><ssn>&a;&b;10</ssn></client>", "c.xml"),
}


def test_entity_expansion_stays_bounded() -> None:
    """A billion-laughs document: libxml2 refuses the amplification; nothing blows up."""
    lol = b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">' + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&" + bytes([97 + i]) + b";") * 10) for i in range(9)) + b"]><l>&j;</l>"
    ex = extract(lol, filename="lol.xml")
    assert sum(len(s.text) for s in ex.segments) < 1_000_000


@pytest.mark.parametrize("case", sorted(C13_CASES))
def test_element_boundaries_are_text_boundaries(detector: Engine, case: str) -> None:
    text, name = C13_CASES[case]
    assert "US_SSN" in _found(detector, text.encode(), name), _where(text.encode(), name)


def test_element_only_xml_is_one_field_a_line_and_mixed_content_also_joined() -> None:
    readings = xml_readings(b"<r><a>536</a><b>22</b><p>x 5<i>3</i>6</p></r>")
    assert readings is not None
    separated, joined = readings
    assert separated.split("\n") == ["536", "22", "x 5", "3", "6"]
    assert joined is not None and joined.split("\n") == ["536", "22", "x 536"]
    assert xml_readings(b"<r><a>1</a></r>") == ("1", None)


_NAMES = st.sampled_from(["a", "b", "ssn", "name", "x:y"])
_VALUES = st.text(alphabet="0123456789-ab ", min_size=1, max_size=12).filter(lambda v: v.strip() == v and v)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_NAMES, _VALUES), min_size=1, max_size=12))
def test_every_element_value_is_a_line_of_its_own(fields: list[tuple[str, str]]) -> None:
    """Property: in element-only XML, each element's value is one whole line (never glued
    to its neighbour's)."""
    body = "".join(f"<{n.replace(':', '_')}>{v}</{n.replace(':', '_')}>" for n, v in fields)
    readings = xml_readings(f"<root>{body}</root>".encode())
    assert readings is not None
    assert readings[0].split("\n") == [v for _, v in fields]
    assert readings[1] is None


# -- C7: conditional and text-section formats ------------------------------------------------


def _xlsx_conditional(value: object, code: str, *, text_format: str = "") -> bytes:
    import openpyxl
    from openpyxl.formatting.rule import Rule
    from openpyxl.styles.differential import DifferentialStyle
    from openpyxl.styles.numbers import NumberFormat

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Client", "Ref"])
    ws.append(["Bob Smith", value])
    if text_format:
        ws["B2"].number_format = text_format
    if code:
        dxf = DifferentialStyle(numFmt=NumberFormat(numFmtId=200, formatCode=code))
        ws.conditional_formatting.add("B2", Rule(type="expression", dxf=dxf, formula=["TRUE"]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


C7_CASES = {
    "cf-literal": lambda: _xlsx_conditional(1, '"536-22-8710"'),
    "cf-ssn-format": lambda: _xlsx_conditional(536228710, "000-00-0000"),
    "cf-text-section": lambda: _xlsx_conditional("8710", '"536-22-"@'),
    "text-at-format": lambda: _xlsx_conditional("8710", "", text_format='"536-22-"@'),
    "fourth-section": lambda: _xlsx_conditional("8710", "", text_format='0;-0;0;"536-22-"@'),
}


@pytest.mark.parametrize("case", sorted(C7_CASES))
def test_xlsx_formats_that_show_an_identifier(detector: Engine, case: str) -> None:
    data = C7_CASES[case]()
    assert "US_SSN" in _found(detector, data, "book.xlsx"), _where(data, "book.xlsx")


def test_a_conditional_format_without_a_number_format_adds_nothing() -> None:
    import openpyxl
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import PatternFill

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ref", 5])
    ws.conditional_formatting.add("B1", CellIsRule(operator="greaterThan", formula=["1"], fill=PatternFill("solid")))
    out = io.BytesIO()
    wb.save(out)
    assert not [s for s in extract(out.getvalue(), filename="b.xlsx").segments if "conditional" in s.location]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20), st.text(alphabet='"@;\\_*[]0#.-x ', max_size=30))
def test_format_text_never_raises_and_is_bounded(text: str, code: str) -> None:
    shown = format_text(text, code)
    assert shown is None or len(shown) <= 4096


# -- through the gateway ---------------------------------------------------------------------

GATEWAY_CASES = {
    "c3-decoy-docx": (lambda: _docx_main_at("word/theme/theme1.xml", decoy=True), "memo.docx"),
    "c2-cp932-csv": (lambda: f"顧客,番号\nボブ,{FW_SSN}\n".encode("cp932"), "clients.csv"),
    "c10-plus-formula": (lambda: b'Client,SSN\nBob Smith,+CHAR(53)&"36-22-8710"\n', "clients.csv"),
    "c13-compact-xml": (lambda: b"<client><id>17</id><ssn>536-22-8710</ssn></client>", "export.xml"),
    "c7-conditional-format": (lambda: _xlsx_conditional(1, '"536-22-8710"'), "book.xlsx"),
}


@pytest.mark.parametrize("case", sorted(GATEWAY_CASES))
def test_attack6_files_are_stopped_by_the_gateway(gateway: Gateway, case: str) -> None:
    make, name = GATEWAY_CASES[case]
    gateway.sim.clear()
    resp = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                      data={"channel_id": gateway.sim.channel("town_square")}, files={"files": (name, make())},
                      timeout=120)
    assert resp.status_code == 403, resp.text
    assert resp.json()["id"] in ("api.dlp.blocked.app_error", "api.dlp.quarantined.app_error")
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]
