"""Attack pass 7 file findings (D7, D11, D12): files a recipient's application shows an
identifier in, that the extractor read without it.  Real files built here (openpyxl,
codecs), read through the extractor and judged by the real detector; one file of each
class goes through the real gateway.

- D7: Johab (Korean Windows code page 1361) text with fullwidth digits.
- D11: what Excel shows of a spreadsheet: ``TEXTJOIN``, a CSV number in scientific
  notation (``5.3622871E8`` shows as ``536228710``), blanks before a CSV formula's ``=``,
  and the ``*`` fill of a number format (``000*-00-0000``: one ``-`` at least).
- D12: HTML ruby: the ``<rt>`` annotation is drawn above its base, so the base text
  reads joined (``<ruby>536<rt>x</rt></ruby>-22-8710`` shows ``536-22-8710``).
"""

from __future__ import annotations

import io

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.cells import evaluate, format_number, format_text
from dlp_proxy.files.text import cjk_readings, strip_markup
from tests.conftest import Gateway
from tests.test_files_attack6 import _found, _where  # the same readings as attack pass 6's tests

SSN = "536-22-8710"
FW_SSN = "５３６－２２－８７１０"


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


# -- D7: Johab ------------------------------------------------------------------------------


def test_johab_text_is_read_in_its_encoding(detector: Engine) -> None:
    data = f"고객 SSN {FW_SSN} 계좌\n".encode("johab")
    assert "johab" in cjk_readings(data, "cp1252")
    assert "US_SSN" in _found(detector, data, "notes.txt"), _where(data, "notes.txt")
    csv = f"고객,SSN\nBob,{FW_SSN}\n".encode("johab")
    assert "US_SSN" in _found(detector, csv, "clients.csv"), _where(csv, "clients.csv")


# -- D11: spreadsheet display ---------------------------------------------------------------


def _none(_ref: str) -> str | None:
    return None


@pytest.mark.parametrize(("formula", "shown"), [
    ('=TEXTJOIN("-",1,536,22,8710)', SSN),
    ('=TEXTJOIN("-",TRUE,536,"",22,8710)', SSN),
    ('=_xlfn.TEXTJOIN("-",true(),"536",22,"8710")', SSN),
    ('=TEXTJOIN("-",FALSE,536,"",22)', "536--22"),
    ('=TEXTJOIN("-",0,536,"",22)', "536--22"),
    ('=TEXTJOIN("",1,"a",TRUE)', "aTRUE"),
])
def test_textjoin(formula: str, shown: str) -> None:
    assert evaluate(formula, _none) == shown


@pytest.mark.parametrize("field", ['"=TEXTJOIN(""-"",1,536,22,8710)"', '\t=536&"-22-"&8710',
                                   ' =536&"-22-"&8710', '  \t+53&"6-22-87"&10', '" =536&""-22-""&8710"'])
def test_csv_formulas_textjoin_and_blanks_before_the_prefix(detector: Engine, field: str) -> None:
    data = f"Client,SSN\nBob Smith,{field}\n".encode()
    formulas = [s.text for s in extract(data, filename="c.csv").segments if s.location.endswith("/formulas")]
    assert formulas and SSN in formulas[0], _where(data, "c.csv")
    assert "US_SSN" in _found(detector, data, "c.csv")


def test_csv_numbers_in_scientific_notation_are_read_as_excel_shows_them(detector: Engine) -> None:
    data = b'Client,SSN\nBob,5.3622871E8\nAl,"4.12345678E+08"\nCy,5.36228712e8\nDe,53622871.3E1\n'
    shown = [s.text for s in extract(data, filename="c.csv").segments if s.location.endswith("/shown")]
    assert shown == ['Client,SSN\nBob,536228710\nAl,"412345678"\nCy,536228712\nDe,536228713\n']
    assert "US_SSN" in _found(detector, data, "c.csv"), _where(data, "c.csv")
    tsv = b"Client\tAccount\nBob\t4.83920117e8\n"
    assert [s.text for s in extract(tsv, filename="c.tsv").segments if s.location.endswith("/shown")] == [
        "Client\tAccount\nBob\t483920117\n"]


def test_scientific_numbers_excel_shows_in_scientific_notation_are_left_alone() -> None:
    # a fraction, 12+ digits, or no field of its own: shown as written
    data = b"item,v\na,1.5E-3\nb,1.23456789012E11\nc,x5E8\nd,1E5 m\n"
    assert not [s for s in extract(data, filename="c.csv").segments if s.location.endswith("/shown")]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=99_999_999_999))
def test_every_whole_number_excel_shows_in_full_is_read_in_full(n: int) -> None:
    digits = str(n)
    sci = f"{digits[0]}.{digits[1:] or '0'}E{len(digits) - 1}"
    data = f"k,v\na,{sci}\n".encode()
    shown = [s.text for s in extract(data, filename="c.csv").segments if s.location.endswith("/shown")]
    assert shown == [f"k,v\na,{n}\n"]


@pytest.mark.parametrize(("code", "shown"), [
    ("000*-00-0000", SSN), ("000-00*-0000", SSN), ('000*-"-"00"-"0000', "536--22-8710"),
    ("000-00-0000* ", SSN + " "),
])
def test_the_fill_character_is_shown_once(code: str, shown: str) -> None:
    assert format_number("536228710", code) == shown


def test_the_fill_character_of_a_text_section_is_shown_once() -> None:
    assert format_text("8710", '"536-22"*-@') == SSN


def test_xlsx_fill_format_shows_the_identifier(detector: Engine) -> None:
    data = _xlsx_number(536228710, "000*-00-0000")
    assert "US_SSN" in _found(detector, data, "book.xlsx"), _where(data, "book.xlsx")


def _xlsx_number(value: object, code: str = "", formula: str = "") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Client", "Ref"])
    ws.append(["Bob Smith", formula or value])
    if code:
        ws["B2"].number_format = code
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_xlsx_textjoin_formula_shows_the_identifier(detector: Engine) -> None:
    data = _xlsx_number(None, formula='=TEXTJOIN("-",TRUE,536,22,8710)')
    values = [s.text for s in extract(data, filename="b.xlsx").segments if s.location.endswith("/formula value")]
    assert values == [SSN], _where(data, "b.xlsx")
    assert "US_SSN" in _found(detector, data, "book.xlsx")


# -- D12: HTML ruby -------------------------------------------------------------------------


@pytest.mark.parametrize(("html", "text"), [
    ("<p>SSN <ruby>536<rt>x</rt></ruby>-22-8710</p><p>next</p>", f"SSN {SSN}\nx\nnext"),
    ("<p>SSN <ruby>536<rp>(</rp><rt>a</rt><rp>)</rp></ruby>-<ruby>22<rt>b</rt></ruby>-8710</p>",
     f"SSN {SSN}\n(\na\n)\nb"),
    ("<p>SSN <ruby>5<rt>x<rt>y</ruby>36-22-8710</p>", f"SSN {SSN}\nx\ny"),  # end tags omitted
    (f"<p>SSN <ruby>x<rt>{SSN}</rt></ruby> end</p>", f"SSN x end\n{SSN}"),  # the annotation is read
])
def test_ruby_base_text_is_joined_and_the_annotation_read_apart(html: str, text: str) -> None:
    assert strip_markup(html) == text


def test_ruby_in_xml_is_no_annotation() -> None:
    assert strip_markup("<x><rt>1</rt>2</x>", xml=True) == "1\n2"


def test_ruby_html_file(detector: Engine) -> None:
    data = b"<html><body><p>Bob Smith SSN <ruby>536<rt>x</rt></ruby>-22-8710</p></body></html>"
    assert "US_SSN" in _found(detector, data, "page.html"), _where(data, "page.html")


# -- through the gateway ---------------------------------------------------------------------

GATEWAY_CASES = {
    "d7-johab": (lambda: f"고객 SSN {FW_SSN} 계좌\n".encode("johab"), "notes.txt"),
    "d11-textjoin-csv": (lambda: b'Client,SSN\nBob,"=TEXTJOIN(""-"",1,536,22,8710)"\n', "clients.csv"),
    "d11-fill-format": (lambda: _xlsx_number(536228710, "000*-00-0000"), "book.xlsx"),
    "d12-ruby": (lambda: b"<html><body><p>Bob Smith SSN <ruby>536<rt>x</rt></ruby>-22-8710</p></body></html>",
                 "page.html"),
}


@pytest.mark.parametrize("case", sorted(GATEWAY_CASES))
def test_attack7_files_are_stopped_by_the_gateway(gateway: Gateway, case: str) -> None:
    make, name = GATEWAY_CASES[case]
    gateway.sim.clear()
    resp = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                      data={"channel_id": gateway.sim.channel("town_square")}, files={"files": (name, make())},
                      timeout=120)
    assert resp.status_code == 403, resp.text
    assert resp.json()["id"] in ("api.dlp.blocked.app_error", "api.dlp.quarantined.app_error")
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]


# -- D4: a DOCX part saved under the usual name of styles, numbering or settings ----------

_W = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
      'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROOTS = {"header": "hdr", "footer": "ftr", "footnotes": "footnotes", "endnotes": "endnotes", "comments": "comments"}
_CT = {"header": "header", "footer": "footer", "footnotes": "footnotes", "endnotes": "endnotes",
       "comments": "comments"}


def _docx_with_part_at(kind: str, name: str, text: str) -> bytes:
    import zipfile

    root = _ROOTS[kind]
    inner = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"
    if kind in ("footnotes", "endnotes", "comments"):
        child = {"footnotes": "footnote", "endnotes": "endnote", "comments": "comment"}[kind]
        inner = f'<w:{child} w:id="1">{inner}</w:{child}>'
    part = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:{root} {_W}>{inner}</w:{root}>'
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/'
          'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
          'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
          'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
          f'<Override PartName="/word/{name}" ContentType="application/vnd.openxmlformats-officedocument.'
          f'wordprocessingml.{_CT[kind]}+xml"/></Types>')
    rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{_R}/officeDocument" '
            'Target="word/document.xml"/></Relationships>')
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W}><w:body><w:p><w:r>'
           '<w:t>Quarterly notes</w:t></w:r></w:p></w:body></w:document>')
    drels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
             f'openxmlformats.org/package/2006/relationships"><Relationship Id="rIdX" Type="{_R}/{kind}" '
             f'Target="{name}"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", ct)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", doc)
        z.writestr("word/_rels/document.xml.rels", drels)
        z.writestr(f"word/{name}", part)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["styles.xml", "numbering.xml", "settings.xml"])
@pytest.mark.parametrize("kind", sorted(_ROOTS))
def test_a_content_part_saved_under_an_auxiliary_parts_name_is_read(detector: Engine, kind: str, name: str) -> None:
    """Attack pass 7, D4: with no styles (numbering, settings) relationship the reader
    looked for those parts by their usual names and read a header saved there as styles."""
    assert "US_SSN" in _found(detector, _docx_with_part_at(kind, name, f"Client SSN {SSN}"), "a.docx")
    assert "US_SSN" not in _found(detector, _docx_with_part_at(kind, name, "Client notes"), "a.docx")
