"""A comment or processing instruction inside an identifier in an Office or ODF part
(file attack of 2026-12-07, night pass, class 4).

XML 1.0 (2.5, 2.6): comments and processing instructions are not character data; a
parser hands the application the text either side of one as one string, so Word,
Excel, PowerPoint and LibreOffice show ``<w:t>AAA-GG-<!---->SSSS</w:t>`` as AAA-GG-SSSS.
The readers took an element's ``text`` only, which stops at the comment.  Each file is
made by the library people make them with (python-docx, openpyxl, python-pptx, odfpy),
then the comment is put into the identifier's bytes where hypothesis draws it.  Real
extractor and detector."""

from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from tests.test_files_attack6 import _found, _where
from tests.test_files_attack8 import _docx as _docx_body
from tests.test_files_attack9 import _run

#: a valid SSN, a Luhn-valid card and a valid IBAN (mod 97), as a viewer shows them
VALUES = {
    "US_SSN": ("Client SSN: ", "536-22-8710"),
    "CREDIT_CARD": ("Card on file: ", "4539 5260 1815 9083"),
    "IBAN_CODE": ("Wire to IBAN ", "GB33BUKB20201555555555"),
}
INSERTS = ["<!---->", "<!-- x -->", "<?x y?>", "<?pi?>"]


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _patched(data: bytes, parts: str, old: bytes, new: bytes) -> bytes:
    """``data`` (a zip) with ``old`` replaced by ``new`` in the members whose names start
    with ``parts``; at least one member must change."""
    out = io.BytesIO()
    changed = 0
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename.startswith(parts) and old in body:
                body = body.replace(old, new)
                changed += 1
            zout.writestr(info, body)
    assert changed, (parts, old)
    return out.getvalue()


def _docx(text: str) -> bytes:
    import docx

    doc = docx.Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _xlsx(label: str, value: str) -> bytes:
    """A sheet whose cell holds ``value`` (openpyxl writes it as a shared string)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "Client", label.strip(" :")
    ws["A2"], ws["B2"] = "J. Smith", value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _pptx(text: str) -> bytes:
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = text
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _odt(text: str) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    doc = OpenDocumentText()
    doc.text.addElement(P(text=text))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


FORMATS = {
    "docx": ("memo.docx", "word/", lambda label, value: _docx(label + value)),
    "xlsx": ("clients.xlsx", "xl/", lambda label, value: _xlsx(label, value)),
    "pptx": ("deck.pptx", "ppt/slides/", lambda label, value: _pptx(label + value)),
    "odt": ("memo.odt", "content.xml", lambda label, value: _odt(label + value)),
}


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(sorted(VALUES)), fmt=st.sampled_from(sorted(FORMATS)), data=st.data())
def test_a_comment_inside_an_identifier_does_not_hide_it(detector: Engine, kind: str, fmt: str,
                                                         data: st.DataObject) -> None:
    label, value = VALUES[kind]
    cut = data.draw(st.integers(1, len(value) - 1), label="cut")
    insert = data.draw(st.sampled_from(INSERTS), label="insert")
    name, parts, make = FORMATS[fmt]
    spliced = _patched(make(label, value), parts, value.encode(), (value[:cut] + insert + value[cut:]).encode())
    assert kind in _found(detector, spliced, name), _where(spliced, name)


def test_a_number_cell_with_a_comment_is_read_under_its_format(detector: Engine) -> None:
    """``<v>53622<!---->8710</v>`` under the number format ``000-00-0000``: Excel reads
    the value 536228710 and shows AAA-GG-SSSS."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["B1"] = "Client", "Tax ID"
    ws["A2"], ws["B2"] = "J. Smith", 536228710
    ws["B2"].number_format = "000-00-0000"
    out = io.BytesIO()
    wb.save(out)
    spliced = _patched(out.getvalue(), "xl/worksheets/", b"<v>536228710</v>", b"<v>53622<!---->8710</v>")
    assert "US_SSN" in _found(detector, spliced, "clients.xlsx"), _where(spliced, "clients.xlsx")


def test_a_comment_between_words_adds_nothing(detector: Engine) -> None:
    data = _patched(_docx("Quarterly review of holdings"), "word/", b"review of", b"review<!-- 536-22- -->of")
    assert not _found(detector, data, "memo.docx") & set(VALUES)


# -- what else splits a run's text for a reader but not for Word (re-attack of 2026-12-07 night)

_MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'


def _para(*runs: str) -> str:
    return "<w:p>" + "".join(runs) + "</w:p>"


def _alternate(choice: str, fallback: str) -> str:
    return (f'<mc:AlternateContent {_MC}><mc:Choice Requires="w14">{_run(choice)}</mc:Choice>'
            f"<mc:Fallback>{_run(fallback)}</mc:Fallback></mc:AlternateContent>")


#: the SSN's last part: in both branches of an mc:AlternateContent (a reader shows one:
#: ECMA-376 Part 3, 10.2; read side by side they glued ``SSSSSSSS``), in the Fallback
#: alone, after an element inside a w:t (an ignorable extension element: Word shows the
#: text after it), and under a ruby annotation (drawn above the base text, not inside it)
SPLITS = {
    "both branches": _alternate("8710", "8710"),
    "the fallback": _alternate("xxxx", "8710"),
    "an element inside w:t": '<w:r><w:t xml:space="preserve"><w14:x xmlns:w14="urn:x"/>8710</w:t></w:r>',
    "a ruby annotation": ('<w:r><w:ruby><w:rubyPr/><w:rt>' + _run("77") + '</w:rt><w:rubyBase>' + _run("8710")
                          + "</w:rubyBase></w:ruby></w:r>"),
}


@pytest.mark.parametrize("case", sorted(SPLITS))
def test_what_word_shows_whole_is_read_whole(detector: Engine, case: str) -> None:
    data = _docx_body(_para(_run("Client SSN: 536-22-"), SPLITS[case]), "")
    assert "US_SSN" in _found(detector, data, "memo.docx"), _where(data, "memo.docx")
