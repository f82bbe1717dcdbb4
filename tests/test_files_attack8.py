"""Insider attack of 2026-12-07 on uploads (files): what a spreadsheet or a document shows
that the extractor read without the identifier.  Real files built here (hand-written
OOXML and ODF parts, so each case is exactly the markup the attack used), read through
the extractor and judged by the real detector; one file of each class goes through the
real gateway.

- Number formats: a ``[`` inside a quoted literal is text (``"[" "AAA-GG-"0000"]"``), a
  currency tag's symbol is shown (``[$AAA-409]\\-00\\-0000``), the literals of a fraction
  or a scientific format stand beside the value (``"AAA-GG-"0000 ?/?``), a date cell
  (``t="d"``) gets its format.
- Formulas: a shared formula's dependents (``<f t="shared" si="0"/>``) are their master's
  formula with the references moved; a formula the evaluator cannot work out is active
  content with or without a digit in its text (defined names, ``CODE("c")``).
- ODS: date, text and percentage styles.
- DOCX: numbering given by a paragraph's style; ``decimalZero`` counters.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import quoteattr

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.cells import SHARED_UNKNOWN, evaluate, format_number, format_text, shift_formula
from tests.conftest import Gateway
from tests.test_files_attack6 import _found, _where

AREA, GROUP, SERIAL = "536", "22", "8710"
SSN = f"{AREA}-{GROUP}-{SERIAL}"


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


# -- number formats -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(before=st.sampled_from(['"["', '"[x]"', '"[" ', "\\[", '"[$"', "[Blue]", "[>0]", "[$-409]", ""]),
       after=st.sampled_from(['"]"', ' "]"', "\\]", '"[h]"', "", " ?/?", "E+0", " #/##"]),
       text_cell=st.booleans())
def test_property_the_literals_of_any_section_stand_beside_the_value(before: str, after: str,
                                                                     text_cell: bool) -> None:
    """Whatever bracket, quote or code stands around the literal, the literal and the
    value are read side by side (``_unbracket``; ``_literals_around`` for a section that
    is not rendered)."""
    if text_cell:
        if "?" in after or "E" in after or "#" in after:
            after = ""
        shown = format_text(SERIAL, f'{before}"{AREA}-{GROUP}-"@{after}')
    else:
        shown = format_number(SERIAL, f'{before}"{AREA}-{GROUP}-"0000{after}')
    assert shown is not None and SSN in shown, shown


@pytest.mark.parametrize(("value", "code", "shown"), [
    ("228710", r"[$536-409]\-00\-0000", SSN),
    ("228710", r"[$536]\-00\-0000", SSN),
    ("1111", '"[" "4111 1111 1111 "0000"]"', "[ 4111 1111 1111 1111]"),
    ("111111111111", r"[$4111-409]\ 0000\ 0000\ 0000", "4111 1111 1111 1111"),
    ("1234.5", "[$$-409]0.00", "$1234.50"),  # the currency sign is shown, as Excel shows it
    ("1234.5", "[Red][<0]0.00;0.00", "1234.50"),
    ("45000", "[$-409]yyyy-mm-dd", "2023-03-15\n2027-03-16"),  # (the 1900 and the 1904 date systems)
    ("1.5", "[h]:mm", "36:00"),
])
def test_bracketed_codes(value: str, code: str, shown: str) -> None:
    assert format_number(value, code) == shown


def test_a_section_without_literals_is_still_not_rendered() -> None:
    assert format_number("0.5", "# ?/?") is None
    assert format_number("1234", "0.00E+00") is None


# -- formulas -----------------------------------------------------------------------------


@pytest.mark.parametrize(("master", "formula", "ref", "moved"), [
    ("A2", 'B2&"-"&C2&"-"&D2', "A3", 'B3&"-"&C3&"-"&D3'),
    ("A2", '$B$2&"B2"&C$2&SUM(B2:D2)&LOG10(B2)', "C5", '$B$2&"B2"&E$2&SUM(D5:F5)&LOG10(D5)'),
    ("A2", "B1", "A1", SHARED_UNKNOWN),  # moved off the sheet
    ("", "B2", "A3", SHARED_UNKNOWN),
])
def test_shift_formula(master: str, formula: str, ref: str, moved: str) -> None:
    assert shift_formula(master, formula, ref) == moved


@pytest.mark.parametrize(("formula", "value"), [
    ('=TEXT((CODE("&")-CODE(" "))*1000+CODE("6")-CODE(" "),"0")', "6022"),
    ('=LEN("abcde")&REPT("1",3)', "5111"),
    ('=SUBSTITUTE("536x22x8710","x","-")', SSN),
    ('=SUBSTITUTE("536x22x8710","x","-",2)', "536x22-8710"),
    ('=UNICODE("A")', "65"),
])
def test_more_functions(formula: str, value: str) -> None:
    assert evaluate(formula, lambda _ref: None) == value


# -- XLSX, hand-written --------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FULL_CALC = '<calcPr calcId="124519" fullCalcOnLoad="1"/>'


def _xlsx(rows: str, numfmts: dict[int, str] | None = None, calc: str = '<calcPr calcId="191029"/>',
          defined: str = "") -> bytes:
    numfmts = numfmts or {}
    nf = "".join(f'<numFmt numFmtId="{i}" formatCode={quoteattr(c)}/>' for i, c in numfmts.items())
    xfs = [0, *numfmts]
    styles = (f'<styleSheet xmlns="{_MAIN}">' + (f'<numFmts count="{len(numfmts)}">{nf}</numFmts>' if nf else "")
              + '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
              + f'<cellXfs count="{len(xfs)}">'
              + "".join(f'<xf numFmtId="{i}" applyNumberFormat="1"/>' for i in xfs) + "</cellXfs></styleSheet>")
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
                        "</Relationships>"),
        "xl/workbook.xml": (f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="Sheet1" sheetId="1" '
                            'r:id="rId1"/></sheets>' + (f"<definedNames>{defined}</definedNames>" if defined else "")
                            + calc + "</workbook>"),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": styles,
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>{rows}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text)
    return out.getvalue()


_NOTES = '<row r="1"><c r="A1" t="inlineStr"><is><t>Notes</t></is></c></row>'


def _formatted(value: str, code: str, t: str = "n") -> bytes:
    cell = (f'<c r="A2" s="1"><v>{value}</v></c>' if t == "n"
            else f'<c r="A2" s="1" t="inlineStr"><is><t>{value}</t></is></c>' if t == "is"
            else f'<c r="A2" s="1" t="{t}"><v>{value}</v></c>')
    return _xlsx(f'{_NOTES}<row r="2">{cell}</row>', {164: code})


def _shared(far: bool = False) -> bytes:
    b, c, d = ("H", "J", "L") if far else ("B", "C", "D")
    return _xlsx(
        f'<row r="2"><c r="A2" t="str"><f t="shared" ref="A2:A3" si="0">{b}2&amp;"-"&amp;{c}2&amp;"-"&amp;{d}2</f>'
        f'<v>x-y-z</v></c><c r="{b}2" t="inlineStr"><is><t>x</t></is></c><c r="{c}2" t="inlineStr"><is><t>y</t></is></c>'
        f'<c r="{d}2" t="inlineStr"><is><t>z</t></is></c></row>'
        f'<row r="3"><c r="A3" t="str"><f t="shared" si="0"/></c><c r="{b}3"><v>{AREA}</v></c><c r="{c}3"><v>{GROUP}</v>'
        f'</c><c r="{d}3"><v>{SERIAL}</v></c></row>', calc=_FULL_CALC)


XLSX_CASES = {
    "bracket-literal": lambda: _formatted(SERIAL, f'"[" "{AREA}-{GROUP}-"0000"]"'),
    "bracket-literal-text": lambda: _formatted(SERIAL, f'"[" "{AREA}-{GROUP}-"@"]"', t="is"),
    "bracket-literal-condition": lambda: _formatted(SERIAL, f'[>0]"[" "{AREA}-{GROUP}-"0000"]";General'),
    "currency-symbol": lambda: _formatted(GROUP + SERIAL, "[$" + AREA + r"-409]\-00\-0000"),
    "fraction": lambda: _formatted(SERIAL, f'"{AREA}-{GROUP}-"0000 ?/?'),
    "scientific": lambda: _formatted(SERIAL, f'"{AREA}-{GROUP}-"0000E+0'),
    "date-cell": lambda: _formatted(f"{SERIAL}-01-01T00:00:00", f'"{AREA}-{GROUP}-"yyyy', t="d"),
    "shared-formula": _shared,
    "shared-formula-far": lambda: _shared(far=True),
}


@pytest.mark.parametrize("case", sorted(XLSX_CASES))
def test_xlsx_shows_the_identifier(detector: Engine, case: str) -> None:
    data = XLSX_CASES[case]()
    assert "US_SSN" in _found(detector, data, "book.xlsx"), _where(data, "book.xlsx")


def test_card_behind_a_bracket_literal_and_a_currency_symbol(detector: Engine) -> None:
    for data in (_formatted("1111", '"[" "4111 1111 1111 "0000"]"'),
                 _formatted("111111111111", r"[$4111-409]\ 0000\ 0000\ 0000")):
        assert "CREDIT_CARD" in _found(detector, data, "book.xlsx"), _where(data, "book.xlsx")


def test_a_shared_formula_without_its_master_is_active_content() -> None:
    data = _xlsx('<row r="3"><c r="A3" t="str"><f t="shared" si="7"/></c></row>', calc=_FULL_CALC)
    assert "active-content" in extract(data, filename="b.xlsx").problems


def test_a_formula_of_defined_names_is_active_content() -> None:
    """``=pa&"-"&pb&"-"&pc`` holds no digit; its names point at cells that do."""
    data = _xlsx(
        '<row r="2"><c r="A2" t="str"><f>pa&amp;"-"&amp;pb&amp;"-"&amp;pc</f></c>'
        f'<c r="H2"><v>{AREA}</v></c><c r="J2"><v>{GROUP}</v></c><c r="L2"><v>{SERIAL}</v></c></row>', calc=_FULL_CALC,
        defined='<definedName name="pa">Sheet1!$H$2</definedName><definedName name="pb">Sheet1!$J$2</definedName>'
                '<definedName name="pc">Sheet1!$L$2</definedName>')
    assert "active-content" in extract(data, filename="b.xlsx").problems


def test_a_csv_formula_without_a_digit_is_active_content() -> None:
    """``CODE("&")-CODE(" ")`` is 6: a formula makes digits from none (``TRUE`` in arithmetic
    is not read here, so the field is not worked out)."""
    data = b'Client,Reference\nJohn Smith,"=TEXT((CODE(""&"")-CODE("" "")+TRUE)*(CODE(""~"")-CODE("" "")),""###-##-####"")"\n'
    assert "active-content" in extract(data, filename="c.csv").problems


def test_an_ordinary_spreadsheet_is_not_active_content() -> None:
    data = _xlsx(_NOTES + '<row r="2"><c r="A2"><v>3</v></c><c r="B2"><f>A2*2</f><v>6</v></c></row>')
    assert "active-content" not in extract(data, filename="b.xlsx").problems


# -- ODS styles ---------------------------------------------------------------------------

_ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" office:version="1.2"')


def _ods(data_style: str, cell: str) -> bytes:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}><office:automatic-styles>'
               f'{data_style}<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/>'
               '</office:automatic-styles><office:body><office:spreadsheet><table:table table:name="Sheet1">'
               '<table:table-row><table:table-cell office:value-type="string"><text:p>Notes</text:p></table:table-cell>'
               f'</table:table-row><table:table-row>{cell}</table:table-row></table:table></office:spreadsheet>'
               "</office:body></office:document-content>")
    return _ods_package(content)


def _ods_package(content: str, styles: str = "") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        if styles:
            z.writestr("styles.xml", styles, zipfile.ZIP_DEFLATED)
    return out.getvalue()


ODS_CASES = {
    "date-style": lambda: _ods(
        f'<number:date-style style:name="N1"><number:text>{AREA}-{GROUP}-</number:text>'
        '<number:year number:style="long"/></number:date-style>',
        f'<table:table-cell table:style-name="ce1" office:value-type="date" office:date-value="{SERIAL}-01-01">'
        "<text:p>01/01/10</text:p></table:table-cell>"),
    "text-style": lambda: _ods(
        f'<number:text-style style:name="N1"><number:text>{AREA}-{GROUP}-</number:text><number:text-content/>'
        "</number:text-style>",
        f'<table:table-cell table:style-name="ce1" office:value-type="string"><text:p>{SERIAL}</text:p>'
        "</table:table-cell>"),
    "percentage-style": lambda: _ods(
        f'<number:percentage-style style:name="N1"><number:text>{AREA}-{GROUP}-</number:text><number:number '
        'number:decimal-places="0" number:min-integer-digits="4"/><number:text>%</number:text></number:percentage-style>',
        '<table:table-cell table:style-name="ce1" office:value-type="percentage" office:value="87.1"><text:p>x</text:p>'
        "</table:table-cell>"),
}


@pytest.mark.parametrize("case", sorted(ODS_CASES))
def test_ods_styles_show_the_identifier(detector: Engine, case: str) -> None:
    data = ODS_CASES[case]()
    assert "US_SSN" in _found(detector, data, "book.ods"), _where(data, "book.ods")


# -- DOCX numbering -------------------------------------------------------------------------

_W = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"')


def _docx(body: str, numbering: str, styles: str = "", header: str = "") -> bytes:
    rels = f'<Relationship Id="rId2" Type="{_REL}/numbering" Target="numbering.xml"/>'
    ct = ('<Override PartName="/word/numbering.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/>')
    parts = {"word/document.xml": f"<w:document {_W}><w:body>{body}<w:sectPr/></w:body></w:document>",
             "word/numbering.xml": f"<w:numbering {_W}>{numbering}</w:numbering>"}
    if header:
        parts["word/header1.xml"] = f"<w:hdr {_W}>{header}</w:hdr>"
        rels += f'<Relationship Id="rId3" Type="{_REL}/header" Target="header1.xml"/>'
        ct += ('<Override PartName="/word/header1.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>')
    if styles:
        parts["word/styles.xml"] = f"<w:styles {_W}>{styles}</w:styles>"
        rels += f'<Relationship Id="rId1" Type="{_REL}/styles" Target="styles.xml"/>'
        ct += ('<Override PartName="/word/styles.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>')
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
        f'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>{ct}</Types>')
    parts["_rels/.rels"] = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="word/document.xml"/>'
                            "</Relationships>")
    parts["word/_rels/document.xml.rels"] = (
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + text)
    return out.getvalue()


def _lvl(fmt: str, start: int, text: str, ilvl: int = 0, more: str = "") -> str:
    numfmt = fmt if fmt.startswith("<") else f'<w:numFmt w:val="{fmt}"/>'
    return (f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="{start}"/>{numfmt}<w:lvlText w:val="{text}"/>{more}'
            "</w:lvl>")


def _multilevel(*levels: str) -> str:
    return (f'<w:abstractNum w:abstractNumId="0">{"".join(levels)}</w:abstractNum>'
            '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>')


def _at(text: str, ilvl: int) -> str:
    return (f'<w:p><w:pPr><w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="1"/></w:numPr></w:pPr>'
            f"<w:r><w:t>{text}</w:t></w:r></w:p>")


def _numbering(fmt: str, start: int, text: str) -> str:
    return (f'<w:abstractNum w:abstractNumId="0">{_lvl(fmt, start, text)}</w:abstractNum>'
            '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>')


def _numbered(text: str, num: int = 1) -> str:
    return (f'<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num}"/></w:numPr></w:pPr>'
            f"<w:r><w:t>{text}</w:t></w:r></w:p>")


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


_REF_PARA = "<w:r><w:t>client reference</w:t></w:r></w:p>"
DOCX_CASES = {
    "style-numbering": lambda: _docx(
        f'<w:p><w:pPr><w:pStyle w:val="RefList"/></w:pPr>{_REF_PARA}',
        _numbering("decimal", int(SERIAL), f"{AREA}-{GROUP}-%1"),
        '<w:style w:type="paragraph" w:styleId="Base"><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'
        '<w:style w:type="paragraph" w:styleId="RefList"><w:basedOn w:val="Base"/></w:style>'),
    "decimal-zero": lambda: _docx(
        f'<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>{_REF_PARA}',
        _numbering("decimalZero", int(SERIAL[-1]), f"{AREA}-{GROUP}-{SERIAL[:2]}%1")),
    # round 2: a level an override defines whole; two nums of one abstract numbering continue
    # one count (999 then 1000); a numbered paragraph in a header; a numbering style's link
    "override-level": lambda: _docx(
        _para("Customer reference") + _numbered("on file"),
        f'<w:abstractNum w:abstractNumId="0">{_lvl("decimal", 1, "%1.")}</w:abstractNum><w:num w:numId="1">'
        f'<w:abstractNumId w:val="0"/><w:lvlOverride w:ilvl="0">{_lvl("decimal", int(SERIAL), f"{AREA}-{GROUP}-%1")}'
        "</w:lvlOverride></w:num>"),
    "shared-abstract": lambda: _docx(
        _numbered("first") + _para("Customer reference") + _numbered("on file", 2),
        f'<w:abstractNum w:abstractNumId="0">{_lvl("decimal", 999, f"{AREA}-{GROUP}-%1")}</w:abstractNum>'
        '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="0"/></w:num>'),
    "header": lambda: _docx(_para("Customer letter"), _numbering("decimal", int(SERIAL), f"{AREA}-{GROUP}-%1"),
                            header=_numbered("on file")),
    "num-style-link": lambda: _docx(
        _para("Customer reference") + _numbered("on file", 2),
        f'<w:abstractNum w:abstractNumId="0"><w:styleLink w:val="CustList"/>'
        f'{_lvl("decimal", int(SERIAL), f"{AREA}-{GROUP}-%1")}</w:abstractNum><w:abstractNum w:abstractNumId="1">'
        '<w:numStyleLink w:val="CustList"/></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        '<w:num w:numId="2"><w:abstractNumId w:val="1"/></w:num>',
        '<w:style w:type="numbering" w:styleId="CustList"><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr>'
        "</w:style>"),
    # round 3: Word 2010's custom format "0001, 0002, ..." (in mc:AlternateContent); a level
    # that never restarts (lvlRestart 0); a numbered paragraph only in a text box's Fallback
    "custom-format": lambda: _docx(
        _at("Client record", 0) + _at("SSN follows", 1) + _at("(SSN)", 2),
        _multilevel(_lvl("decimal", int(AREA), ""), _lvl("decimal", int(GROUP), "", 1),
                    _lvl('<mc:AlternateContent><mc:Choice Requires="w14"><w:numFmt w:val="custom" '
                         'w:format="0001, 0002, 0003, ..."/></mc:Choice><mc:Fallback><w:numFmt w:val="decimal"/>'
                         "</mc:Fallback></mc:AlternateContent>", int(SERIAL[1:]), "%1-%2-%3", 2))),
    "never-restarts": lambda: _docx(
        _at("Previous client", 0) + _at("old notes", 1) + _at("Client record", 0) + _at("SSN follows", 1)
        + _at("(SSN)", 2),
        # (counted on: 00 then 01; restarted, 00 again, no SSN's group)
        _multilevel(_lvl("decimal", int(AREA) - 1, ""), _lvl("decimalZero", 0, "", 1, '<w:lvlRestart w:val="0"/>'),
                    _lvl("decimal", int(SERIAL), "%1-%2-%3", 2))),
    "fallback-not-counted": lambda: _docx(
        _at("Client record", 0)
        + '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:txbxContent><w:p><w:r><w:t>see sidebar'
        f'</w:t></w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent>{_at("see sidebar", 1)}'
        "</w:txbxContent></mc:Fallback></mc:AlternateContent></w:r></w:p>"
        + _at("SSN follows", 1) + _at("(SSN)", 2),
        # (the Choice drawn: 99; the Fallback counted too: 100, no SSN's group)
        _multilevel(_lvl("decimal", int(AREA), ""), _lvl("decimal", 99, "", 1),
                    _lvl("decimal", int(SERIAL), "%1-%2-%3", 2))),
    # the re-attack: a level restarted only after the first level (lvlRestart 1) counts on
    # over the second level's paragraphs; a hexadecimal counter
    "restart-after-first": lambda: _docx(
        _at("Client record", 0) + _at("notes", 1) + _at("(SSN)", 2) + _at("notes", 1) + _at("(SSN)", 2),
        # (AAA-GG'-0000 then AAA-GG-0001; restarted after the second level, AAA-GG-0000 again)
        _multilevel(_lvl("decimal", int(AREA), ""), _lvl("decimal", int(GROUP) - 1, "", 1),
                    _lvl("decimal", 0, "%1-%2-000%3", 2, '<w:lvlRestart w:val="1"/>'))),
    "hex-counter": lambda: _docx(
        _para("Customer reference") + _numbered("on file"),
        _numbering("hex", int(SERIAL, 16), f"{AREA}-{GROUP}-%1")),
}


@pytest.mark.parametrize(("fmt", "n", "shown"), [
    ("decimal", 7, "7"), ("decimalZero", 7, "07"), ("hex", 34576, "8710"), ("hex", 255, "FF"), ("ordinal", 12, "12th"),
    ("ordinal", 22, "22nd"), ("upperLetter", 28, "BB"), ("lowerLetter", 3, "c"), ("upperRoman", 1994, "MCMXCIV"),
    ("lowerRoman", 4, "iv"), ("none", 5, ""), ("bullet", 5, ""), ("cardinalText", 5, "5"),
    ("custom:001, 002, 003, ...", 5, "005"),
])
def test_a_list_counter_is_drawn_in_its_format(fmt: str, n: int, shown: str) -> None:
    from dlp_proxy.files.ooxml import _counter

    assert _counter(n, fmt) == shown


@pytest.mark.parametrize("case", sorted(DOCX_CASES))
def test_docx_list_labels_show_the_identifier(detector: Engine, case: str) -> None:
    data = DOCX_CASES[case]()
    assert "US_SSN" in _found(detector, data, "memo.docx"), _where(data, "memo.docx")


def test_a_style_whose_numbering_is_removed_numbers_nothing() -> None:
    data = _docx('<w:p><w:pPr><w:pStyle w:val="Plain"/></w:pPr><w:r><w:t>text</w:t></w:r></w:p>',
                 _numbering("decimal", 1, "%1."),
                 '<w:style w:type="paragraph" w:styleId="Plain"><w:pPr><w:numPr><w:numId w:val="0"/></w:numPr>'
                 "</w:pPr></w:style>")
    assert not [s for s in extract(data, filename="m.docx").segments if s.location == "body/list-labels"]


def _page_field(simple: bool, text: str) -> str:
    if simple:
        return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t>' \
               "</w:r></w:fldSimple></w:p>"
    return (f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
            '</w:r><w:r><w:t>1</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


@pytest.mark.parametrize("simple", [False, True], ids=["complex-field", "simple-field"])
@pytest.mark.parametrize("start", [int(SERIAL), int(SERIAL) - 2, 0], ids=["page-1", "page-3", "numbered-from-1"])
def test_a_page_number_field_shows_its_page(detector: Engine, simple: bool, start: int) -> None:
    """A header's ``PAGE`` field after ``AAA-GG-`` shows the SSN on the page numbered SSSS:
    page numbering from SSSS (``w:pgNumType w:start``), from two pages before it, or
    from 1 with the page number as the serial's last digit (attack of 2026-12-07)."""
    prefix = f"Client ref {AREA}-{GROUP}-" + ("" if start else SERIAL[:3])  # (from 1: ...871 then page 1)
    section = f'<w:sectPr><w:pgNumType w:start="{start}"/></w:sectPr>' if start else ""
    data = _docx(_para("Customer letter") + section, _numbering("decimal", 1, "%1."),
                 header=_page_field(simple, prefix))
    assert "US_SSN" in _found(detector, data, "letter.docx"), _where(data, "letter.docx")


def test_a_page_number_beside_ordinary_text_is_clean(detector: Engine) -> None:
    data = _docx(_para("Quarterly review"), _numbering("decimal", 1, "%1."), header=_page_field(False, "Page "))
    assert not _found(detector, data, "memo.docx") & {"US_SSN", "CREDIT_CARD", "US_BANK_NUMBER"}


def test_a_word_number_picture_drops_the_digits_left_of_its_x() -> None:
    from dlp_proxy.files.ooxml import _dropping_picture

    assert _dropping_picture("111053", "x##") == "053"  # Word's own example
    assert _dropping_picture(f"99{AREA}{GROUP}{SERIAL}", "x00-00-0000") == SSN
    assert _dropping_picture("111053", '"x"##') is None


def test_a_pptx_bullets_number_is_read_before_its_text(detector: Engine) -> None:
    from lxml import etree
    from pptx import Presentation
    from pptx.util import Inches

    prs = Presentation()
    box = prs.slides.add_slide(prs.slide_layouts[6]).shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
    box.text_frame.paragraphs[0].text = "Card on file:"
    p = box.text_frame.add_paragraph()
    p.text = "1111 1111 1111"
    auto = etree.SubElement(p._p.get_or_add_pPr(), "{http://schemas.openxmlformats.org/drawingml/2006/main}buAutoNum")
    auto.set("type", "arabicPlain")
    auto.set("startAt", "4111")
    out = io.BytesIO()
    prs.save(out)
    data = out.getvalue()
    assert "CREDIT_CARD" in _found(detector, data, "deck.pptx"), _where(data, "deck.pptx")


def _deck(where: str) -> bytes:
    """A deck whose numbered bullet (``startAt`` 4111 before ``1111 1111 1111``) comes from
    the text body's list style, or stands in the speaker notes."""
    from lxml import etree
    from pptx import Presentation
    from pptx.util import Inches

    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    frame = (slide.notes_slide.notes_text_frame if where == "notes"
             else slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1)).text_frame)
    frame.paragraphs[0].text = "Card on file:"
    p = frame.add_paragraph()
    p.text = "1111 1111 1111"
    if where == "notes":
        holder = p._p.get_or_add_pPr()
    else:
        lst = frame._txBody.find(f"{a}lstStyle")
        if lst is None:
            lst = etree.SubElement(frame._txBody, f"{a}lstStyle")
            frame._txBody.remove(lst)
            frame._txBody.insert(1, lst)
        holder = etree.SubElement(lst, f"{a}lvl1pPr")
        frame.paragraphs[0]._p.get_or_add_pPr().append(etree.Element(f"{a}buNone"))
    auto = etree.SubElement(holder, f"{a}buAutoNum")
    auto.set("type", "arabicPlain")
    auto.set("startAt", "4111")
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


@pytest.mark.parametrize("where", ["notes", "list-style"])
def test_a_pptx_bullets_number_from_notes_or_a_list_style(detector: Engine, where: str) -> None:
    data = _deck(where)
    assert "CREDIT_CARD" in _found(detector, data, "deck.pptx"), _where(data, "deck.pptx")


@settings(max_examples=100, deadline=None)
@given(gaps=st.lists(st.sampled_from([b" ", b"\x00", b"\t", b"\n", b"\r", b"\x0c"]), min_size=3, max_size=3),
       n=st.integers(1, 40))
def test_property_pdf_white_space_parts_operators_as_a_blank_does(gaps: list[bytes], n: int) -> None:
    """ISO 32000-1, 7.2.2: NUL, tab, line feed, form feed, carriage return and space are
    white space; a NUL between a path's operators hid every ``l`` from the segment count
    (attack of 2026-12-07), so the page was never rendered."""
    from dlp_proxy.files.pdf import _stream_paint

    a, b, c = gaps
    content = b"q" + a + b"".join(b"1" + a + b"2" + b + b"m" + c + b"3" + a + b"4" + b + b"l" + c for _ in range(n))
    assert _stream_paint(content, set())[0] == n


ROUND2_XLSX = {
    # a colour before the condition (Excel's own example writes it so)
    "colour-then-condition": lambda: _formatted(SERIAL, f'[Red][<=100]"none";[Blue][>100]"{AREA}-{GROUP}-"0000'),
    # two conditions, neither holds: the third section, not the text one
    "third-section": lambda: _formatted(SERIAL, f'[<0]"neg";[>100000]"big";"{AREA}-{GROUP}-"0000;@'),
}


def _edited(data: bytes, edits: dict[str, list[tuple[bytes, bytes]]]) -> bytes:
    """``data`` (a package) with each named part's ``(old, new)`` replacements made."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            body = src.read(info)
            for old, new in edits.get(info.filename, []):
                body = body.replace(old, new)
            z.writestr(info, body)
    return out.getvalue()


def _style_zero_text() -> bytes:
    """A workbook whose style 0 is a text format (``cellXfs[0]``), the cell naming none."""
    data = _xlsx(f'{_NOTES}<row r="2"><c r="A2" t="inlineStr"><is><t>{SERIAL}</t></is></c></row>',
                 {164: f'"{AREA}-{GROUP}-"@'})
    return _edited(data, {"xl/styles.xml": [(b'<xf numFmtId="0" applyNumberFormat="1"/><xf numFmtId="164"',
                                             b'<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="164"')]})


ROUND2_XLSX["style-zero"] = _style_zero_text


def _conditional_date() -> bytes:
    data = _formatted(f"{SERIAL}-01-01T00:00:00", "General", t="d")
    code = quoteattr(f'"{AREA}-{GROUP}-"yyyy')
    return _edited(data, {
        "xl/styles.xml": [(b"</styleSheet>", f'<dxfs count="1"><dxf><numFmt numFmtId="165" formatCode={code}/></dxf>'
                                             "</dxfs></styleSheet>".encode())],
        "xl/worksheets/sheet1.xml": [(b"</sheetData>", b'</sheetData><conditionalFormatting sqref="A2"><cfRule '
                                                       b'type="expression" dxfId="0" priority="1"><formula>TRUE'
                                                       b"</formula></cfRule></conditionalFormatting>")]})


ROUND2_XLSX["conditional-format-on-a-date"] = _conditional_date


@pytest.mark.parametrize("case", sorted(ROUND2_XLSX))
def test_round2_xlsx_shows_the_identifier(detector: Engine, case: str) -> None:
    data = ROUND2_XLSX[case]()
    assert "US_SSN" in _found(detector, data, "book.xlsx"), _where(data, "book.xlsx")


def _ods_cells(data_style: str, cell: str, column: str = "", row_style: str = "") -> bytes:
    """A sheet of one row whose styles are in styles.xml (the literal is not in the
    content's text: only the style applied shows it beside the value)."""
    styles = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_ODS_NS}><office:styles>{data_style}'
              '<style:style style:name="ce1" style:family="table-cell" style:data-style-name="N1"/>'
              "</office:styles></office:document-styles>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODS_NS}>'
               '<office:body><office:spreadsheet><table:table table:name="Sheet1">'
               f"{column}<table:table-row{row_style}>{cell}</table:table-row></table:table></office:spreadsheet>"
               "</office:body></office:document-content>")
    return _ods_package(content, styles)


_NUMBER_STYLE = (f'<number:number-style style:name="N1"><number:text>{AREA}-{GROUP}-</number:text>'
                 '<number:number number:min-integer-digits="4"/></number:number-style>')
_PLAIN_CELL = f'<table:table-cell office:value-type="float" office:value="{SERIAL}"><text:p>-</text:p></table:table-cell>'
ROUND2_ODS = {
    "column-default-style": lambda: _ods_cells(
        _NUMBER_STYLE, _PLAIN_CELL, column='<table:table-column table:default-cell-style-name="ce1"/>'),
    "row-default-style": lambda: _ods_cells(_NUMBER_STYLE, _PLAIN_CELL, row_style=' table:default-cell-style-name="ce1"'),
    "elapsed-hours": lambda: _ods_cells(
        f'<number:time-style style:name="N1" number:truncate-on-overflow="false"><number:text>{AREA}-{GROUP}-'
        "</number:text><number:hours/></number:time-style>",
        f'<table:table-cell table:style-name="ce1" office:value-type="time" office:time-value="PT{SERIAL}H00M00S">'
        "<text:p>-</text:p></table:table-cell>"),
    "fraction-style": lambda: _ods_cells(
        f'<number:number-style style:name="N1"><number:text>{AREA}-{GROUP}-</number:text><number:fraction '
        'number:min-integer-digits="4" number:min-numerator-digits="1" number:min-denominator-digits="1"/>'
        "</number:number-style>",
        f'<table:table-cell table:style-name="ce1" office:value-type="float" office:value="{SERIAL}"><text:p>-</text:p>'
        "</table:table-cell>"),
}


@pytest.mark.parametrize("case", sorted(ROUND2_ODS))
def test_round2_ods_shows_the_identifier(detector: Engine, case: str) -> None:
    data = ROUND2_ODS[case]()
    assert "US_SSN" in _found(detector, data, "book.ods"), _where(data, "book.ods")


# -- through the gateway ---------------------------------------------------------------------

GATEWAY_CASES = {
    "bracket-literal": (XLSX_CASES["bracket-literal"], "book.xlsx"),
    "shared-formula": (XLSX_CASES["shared-formula"], "book.xlsx"),
    "ods-date-style": (ODS_CASES["date-style"], "book.ods"),
    "docx-style-numbering": (DOCX_CASES["style-numbering"], "memo.docx"),
}


@pytest.mark.parametrize("case", sorted(GATEWAY_CASES))
def test_attack8_files_are_stopped_by_the_gateway(gateway: Gateway, case: str) -> None:
    make, name = GATEWAY_CASES[case]
    gateway.sim.clear()
    resp = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                      data={"channel_id": gateway.sim.channel("town_square")}, files={"files": (name, make())},
                      timeout=120)
    assert resp.status_code == 403, resp.text
    assert resp.json()["id"] in ("api.dlp.blocked.app_error", "api.dlp.quarantined.app_error")
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]
