"""PDF pages read as a viewer draws them (files/pdf.py: ``render_reasons``, ``page=N/rendered``).

Real PDFs made by tests/filegen.py: a picture of an identifier beside a sentence, an inline
image, an image inside a form XObject, text drawn as strokes, and a font whose ToUnicode CMap
says letters where the glyphs drawn are digits.  Each shows the identifier only in its
drawing; the rendering's OCR reads it.  Born-digital text in standard fonts is not rendered.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from dlp_proxy.files import Limits, extract
from dlp_proxy.files.pdf import MAX_PATH_SEGMENTS, _stream_paint, render_reasons
from dlp_proxy.interfaces import Extraction
from tests import filegen

SSN = filegen.SSN_DRAWN


def _at(ex: Extraction, location: str) -> str:
    return "".join(s.text for s in ex.segments if s.location == location)


def _rendered(ex: Extraction) -> list[str]:
    return [s.location for s in ex.segments if "/rendered" in s.location]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


@pytest.mark.parametrize(("kind", "reason"), [
    ("text-plus-image", "image"),
    ("inline-image", "inline-image"),
    ("form-image", "form-image"),
    ("vector-text", "paths"),
])
def test_what_only_the_drawing_shows_is_read_from_the_rendering(kind: str, reason: str) -> None:
    data = filegen.pdf_drawn(kind)
    assert reason in render_reasons(PdfReader(io.BytesIO(data)).pages[0])
    ex = extract(data, filename="memo.pdf")
    assert SSN not in _at(ex, "page=1")  # the text layer has only the sentence
    assert _digits(SSN) in _digits("".join(s.text for s in ex.segments if s.location.startswith("page=1/rendered")))


def test_a_tounicode_map_that_lies_about_the_glyphs_is_read_from_the_rendering() -> None:
    data = filegen.pdf_tounicode_lie()
    ex = extract(data, filename="statement.pdf")
    layer = _at(ex, "page=1")
    assert SSN not in layer and "fdg-cc-hbac" in layer  # extraction reads the ToUnicode letters
    assert SSN in _at(ex, "page=1/rendered")


def test_the_same_font_without_tounicode_is_read_from_its_text_layer_and_not_rendered() -> None:
    ex = extract(filegen.pdf_tounicode_lie(lie=False), filename="statement.pdf")
    assert SSN in _at(ex, "page=1")
    assert _rendered(ex) == []


@pytest.mark.parametrize("make", [
    lambda: filegen.pdf_document(2),
    filegen.pdf_ruled_report,
    lambda: filegen.pdf_pages(3),
], ids=["hidden-text-doc", "ruled-report", "three-pages"])
def test_born_digital_text_in_standard_fonts_is_not_rendered(make: Any) -> None:
    data = make()
    for page in PdfReader(io.BytesIO(data)).pages:
        assert render_reasons(page) == set()
    ex = extract(data, filename="report.pdf")
    assert _rendered(ex) == [] and ex.problems == ()


def test_only_the_pages_that_need_it_are_rendered() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for data in (filegen.pdf_pages(1), filegen.pdf_drawn("inline-image"), filegen.pdf_ruled_report()):
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    ex = extract(out.getvalue(), filename="pack.pdf")
    assert _rendered(ex) == ["page=2/rendered"] and SSN in _at(ex, "page=2/rendered")


def test_a_page_too_large_to_render_legibly_is_reported_not_passed() -> None:
    ex = extract(filegen.pdf_tounicode_lie(), filename="statement.pdf", limits=Limits(ocr_max_pixels=100_000))
    assert "ocr-limit" in ex.problems and _rendered(ex) == []


def test_pages_are_not_rendered_once_the_file_s_ocr_time_is_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdfium2
    from pypdf import PdfWriter

    renders: list[int] = []
    render = pypdfium2.PdfPage.render

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        renders.append(1)
        return render(self, *args, **kwargs)

    monkeypatch.setattr(pypdfium2.PdfPage, "render", counted)
    writer = PdfWriter()
    for _ in range(3):
        writer.append(PdfReader(io.BytesIO(filegen.pdf_tounicode_lie())))
    out = io.BytesIO()
    writer.write(out)
    ex = extract(out.getvalue(), filename="statement.pdf", limits=Limits(ocr_max_seconds=0.000_001))
    assert "ocr-limit" in ex.problems
    assert len(renders) == 1  # the first page spent the OCR time; the others were not drawn


def test_a_renderer_failure_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    import pypdfium2

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("pdfium")

    monkeypatch.setattr(pypdfium2, "PdfDocument", broken)
    ex = extract(filegen.pdf_tounicode_lie(), filename="statement.pdf")
    assert "corrupt" in ex.problems


def test_fonts_that_can_draw_other_glyphs_mark_the_page() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", filegen.FONT))
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont("DejaVu", 12)
    c.drawString(72, 700, "Quarterly memo")
    c.showPage()
    c.save()
    reasons = render_reasons(PdfReader(io.BytesIO(out.getvalue())).pages[0])
    assert {"tounicode", "font-program"} <= reasons


def _literal(text: bytes) -> bytes:
    return b"(" + text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=40), max_size=12))
def test_strings_that_spell_operators_are_not_operators(texts: list[bytes]) -> None:
    content = b"BT /F1 12 Tf 72 700 Td " + b" ".join(_literal(t) + b" Tj" for t in texts) + b" ET"
    reasons: set[str] = set()
    assert _stream_paint(content, reasons) == (0, []) and reasons == set()


@given(st.integers(min_value=0, max_value=3 * MAX_PATH_SEGMENTS), st.sampled_from([b"l", b"c", b"re"]))
def test_path_segments_are_counted(n: int, op: bytes) -> None:
    operands = {b"l": b"1 2", b"c": b"1 2 3 4 5 6", b"re": b"1 2 3 4"}[op]
    content = b"q 0 0 m " + b" ".join(operands + b" " + op for _ in range(n)) + b" S Q BT (l c re) Tj ET"
    reasons: set[str] = set()
    assert _stream_paint(content, reasons) == (n, []) and reasons == set()


def test_fonts_alone_get_only_the_first_pages_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    """An office export embeds its fonts on every page: only the first FONT_RENDER_PAGES
    pages are rendered for fonts that read as their glyph names say; a page with a picture
    is rendered wherever it is."""
    from pypdf import PdfWriter

    from dlp_proxy.files import pdf

    monkeypatch.setattr(pdf, "FONT_RENDER_PAGES", 1)
    writer = PdfWriter()
    honest = filegen.pdf_tounicode_lie(honest=True)
    for data in (honest, honest, filegen.pdf_drawn("inline-image")):
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    ex = extract(out.getvalue(), filename="pack.pdf")
    assert _rendered(ex) == ["page=1/rendered", "page=3/rendered"]


@pytest.mark.parametrize("subtype", ["Stamp", "Square", "FreeText", "Text", "Ink", "Widget"])
def test_text_drawn_by_an_annotation_appearance_is_read_from_the_rendering(subtype: str) -> None:
    """An annotation's (or a form field's) /AP /N draws on the page; its text is in neither
    the page's text layer nor the annotation's /Contents (a widget's /V says ``x``)."""
    data = filegen.pdf_annotation_drawn(subtype)
    assert "annotation" in render_reasons(PdfReader(io.BytesIO(data)).pages[0])
    ex = extract(data, filename="memo.pdf")
    # (the appearance stream's strings are also read as the object's values and the
    # file's bytes: those readings are not the page's, and not what this test is about)
    assert not any(SSN in s.text for s in ex.segments if "/rendered" not in s.location
                   and "/values" not in s.location and not s.location.startswith("bytes="))
    assert SSN in _at(ex, "page=1/rendered")


_LINE = f"client SSN {SSN}"


def test_pieces_drawn_right_to_left_are_read_by_position_and_rendered() -> None:
    data = filegen.pdf_out_of_order([1, 0], pieces=[_LINE[:-4], _LINE[-4:]])
    ex = extract(data, filename="memo.pdf")
    assert SSN not in _at(ex, "page=1")  # drawing order: "7102client SSN 536-22-"
    assert SSN in _at(ex, "page=1/layout") and SSN in _at(ex, "page=1/rendered")


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(len(_LINE))))
def test_glyphs_drawn_in_any_order_are_seen_out_of_order(order: list[int]) -> None:
    from dlp_proxy.files.pdf import page_text

    page = PdfReader(io.BytesIO(filegen.pdf_out_of_order(order))).pages[0]
    text, _hides, backwards = page_text(page)
    assert backwards == (order != sorted(order))


def test_glyphs_shuffled_one_per_text_matrix_are_read_from_the_rendering() -> None:
    import random

    order = list(range(len(_LINE)))
    random.Random(1).shuffle(order)
    ex = extract(filegen.pdf_out_of_order(order), filename="memo.pdf")
    assert SSN not in _at(ex, "page=1") and SSN in _at(ex, "page=1/rendered")


def test_glyphs_drawn_in_reading_order_get_no_layout_reading() -> None:
    ex = extract(filegen.pdf_out_of_order(list(range(len(_LINE)))), filename="memo.pdf")
    assert SSN in _at(ex, "page=1")
    assert [s.location for s in ex.segments if s.location.startswith("page=1/")] == []


@pytest.mark.parametrize(("ranges", "differences"), [(False, True), (True, True), (False, False), (True, False)],
                         ids=["bfchar", "bfrange", "winansi-bfchar", "winansi-bfrange"])
def test_a_tounicode_map_that_disagrees_with_the_glyph_names_is_a_reason_on_any_page(
        monkeypatch: pytest.MonkeyPatch, ranges: bool, differences: bool) -> None:
    """The glyphs a standard font draws for a code (its /Differences name, else the code's
    own character) are digits; the ToUnicode map says letters."""
    from pypdf import PdfWriter

    from dlp_proxy.files import pdf

    lie = filegen.pdf_tounicode_lie(ranges=ranges, differences=differences)
    assert "tounicode-mismatch" in render_reasons(PdfReader(io.BytesIO(lie)).pages[0])
    honest = filegen.pdf_tounicode_lie(ranges=ranges, honest=True, differences=differences)
    assert render_reasons(PdfReader(io.BytesIO(honest)).pages[0]) == {"tounicode"}
    monkeypatch.setattr(pdf, "FONT_RENDER_PAGES", 1)
    writer = PdfWriter()
    for data in (honest, honest, lie):
        writer.append(PdfReader(io.BytesIO(data)))
    out = io.BytesIO()
    writer.write(out)
    ex = extract(out.getvalue(), filename="pack.pdf")
    assert _rendered(ex) == ["page=1/rendered", "page=3/rendered"]  # page 3: past the font cap
    assert SSN in _at(ex, "page=3/rendered")


def test_an_embedded_font_that_lies_past_the_font_cap_gets_its_pages_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    """An office-like PDF in an embedded TrueType font whose ToUnicode map reads its digit
    glyphs as letters: past FONT_RENDER_PAGES, the font check (a specimen of the codes the
    document shows, drawn and OCR'd once a font) finds the lie and the page with the SSN is
    rendered; the same PDF with an honest map gets no page past the cap rendered."""
    from dlp_proxy.files import pdf

    monkeypatch.setattr(pdf, "FONT_RENDER_PAGES", 1)
    lie = filegen.pdf_embedded_font_pages(3, secret_page=3, lie=True)
    ex = extract(lie, filename="report.pdf")
    assert SSN not in _at(ex, "page=3")  # the text layer reads letters
    assert _rendered(ex) == ["page=1/rendered", "page=2/rendered", "page=3/rendered"]
    assert _digits(SSN) in _digits(_at(ex, "page=3/rendered"))
    honest = extract(filegen.pdf_embedded_font_pages(3, secret_page=3), filename="report.pdf")
    assert SSN in _at(honest, "page=3")
    assert _rendered(honest) == ["page=1/rendered"]


def test_the_font_check_compares_the_specimen_with_the_text_layer() -> None:
    """``font_lies`` on the fonts themselves: the honest font's codes read as they
    extract; the lying font draws digits for codes that extract to letters."""
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget
    from dlp_proxy.files.pdf import font_lies, page_font_uses

    verdicts = []
    for lie in (False, True):
        page = PdfReader(io.BytesIO(filegen.pdf_embedded_font_pages(1, secret_page=1, lie=lie))).pages[0]
        uses = page_font_uses(page)
        assert uses is not None and len(uses) == 1
        ((font, codes),) = uses.values()
        assert set(b"0123456789SN") <= codes
        verdicts.append(font_lies(font, sorted(codes), Ctx(Budget(Limits()))))
    assert verdicts == [False, True]


@pytest.mark.parametrize(("read", "claimed", "agree"), [
    ("0123456789", "0123456789", True),
    ("Oo1l", "Ool1", True),  # O and l read as the digits the recognizers take them for
    ("4?7+", "4?7+", True),
    ("5", "e", False),  # a digit drawn for a letter
    ("0123456789", "0123456798", False),  # two digits swapped
    ("012345678", "0123456789", False),  # a digit said but not drawn
    ("07", "0?", True),  # ? drawn alone reads as 7
    ("077", "0?", False),  # ... once
])
def test_digits_agree(read: str, claimed: str, agree: bool) -> None:
    from dlp_proxy.files.pdf import _digits_agree

    assert _digits_agree(read, claimed) is agree


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=64))
def test_literal_strings_are_read_back_as_written(raw: bytes) -> None:
    """A content stream's literal string, escaped as a writer escapes it (parentheses,
    backslashes, octal for the rest), reads back as its bytes."""
    from dlp_proxy.files.pdf import _tokens

    escaped = b"".join(b"\\" + bytes([c]) if c in b"()\\" else b"\\%03o" % c if c < 32 or c > 126 else bytes([c])
                       for c in raw)
    assert list(_tokens(b"BT (" + escaped + b") Tj ET")) == [("o", b"BT"), ("s", raw), ("o", b"Tj"), ("o", b"ET")]


def test_any_content_stream_is_tokenised_without_error() -> None:
    """Random bytes and random mixes of content-stream tokens (a seeded generator: the
    hypothesis version of this test failed under pytest at a load of ~18 without a
    traceback that could be read, and passed run directly)."""
    import random

    from pypdf.generic import DictionaryObject

    from dlp_proxy.files.pdf import _shown_codes

    rng = random.Random(19)
    parts = [b"(", b")", b"\\", b"<", b">", b"<<", b">>", b"[", b"]", b"/F1", b"Tf", b"Tj", b"TJ", b"q", b"Q",
             b"BT", b"ET", b"BI", b"12", b"-3.5", b"%c\n", b" ", b"\\05", b"AB"]
    for _ in range(3000):
        if rng.random() < 0.5:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
        else:
            data = b" ".join(rng.choice(parts) for _ in range(rng.randrange(40)))
        uses: dict[int, Any] = {}
        assert _shown_codes(data, DictionaryObject(), uses) in (True, False)
