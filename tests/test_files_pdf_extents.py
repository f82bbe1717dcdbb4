"""Text a viewer shows in another order than it is drawn, by the text state that moves
glyphs (files/pdf.py: ``page_text``'s ``_Order``, ``_widget_shows_its_value``).

Attack pass 19: a piece drawn with a text rise (``Ts``) onto an earlier baseline, left of
what was drawn there; negative character spacing (``Tc``) that shows a string right to
left; positive ``Tc``, TJ gaps or spaces in a monospace font that leave room for a second
string drawn afterwards inside the first's extent (two strings interleaved glyph by glyph);
a form field whose appearance stream draws its value with the ``Tc`` trick.  Each page
shows an SSN, a card or an IBAN that the reading in drawing order does not hold; the page
is now read by position and rendered, and the readings stop it.  Ordinary born-digital
text (reportlab's justified paragraphs, one word per ``Td`` as word processors export,
kerning, fake bold) is not taken as out of order: each such page would cost a rendering.

The PDFs are written here, object by object.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from dlp_proxy.files import extract
from dlp_proxy.files.pdf import page_text
from tests.filegen import pdf_of_objects

SSN = "536-22-7102"
CARD = "4012 8888 8888 1881"
IBAN = "GB82 WEST 1234 5698 7654 32"
SECRETS = [("Customer SSN: ", SSN), ("Card on file: ", CARD), ("IBAN: ", IBAN)]
STOP = {"US_SSN", "CREDIT_CARD", "IBAN_CODE"}
COURIER = b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>"
#: a Courier glyph at 12 points
CELL = 7.2


def _pdf(content: bytes, fonts: list[bytes] | None = None, *, page: bytes = b"", catalog: bytes = b"",
         extra: list[bytes] | None = None, resources: bytes | None = None) -> bytes:
    """One page (objects 1-4: catalog, pages, page, its compressed content), its fonts
    /F1, /F2 .. from object 5 on, then the ``extra`` objects; ``resources``: the page's
    resource dictionary's body instead of those fonts."""
    fonts = fonts if fonts is not None else [COURIER]
    names = b" ".join(b"/F%d %d 0 R" % (n + 1, n + 5) for n in range(len(fonts)))
    res = resources if resources is not None else b"/Font << " + names + b" >>"
    body = zlib.compress(content)
    objs: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << " + res
        + b" >> /Contents 4 0 R " + page + b">>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
        *fonts, *(extra or [])]
    return pdf_of_objects(objs, b"1.7")


def _stream(head: bytes, data: bytes) -> bytes:
    return b"<< " + head + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _s(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


# -- the attacks (Courier, 12 points: every glyph 7.2 wide) ----------------------------


def rise(label: str, secret: str) -> bytes:
    """The line's second half drawn first on y=700; then the first half drawn at y=730
    with a rise of -30: onto y=700, left of it."""
    line = label + secret
    cut = len(label) + len(secret) // 2
    return _pdf(b"BT /F1 12 Tf 1 0 0 1 %.2f 700 Tm (%s) Tj 1 0 0 1 72 730 Tm -30 Ts (%s) Tj 0 Ts ET"
                % (72 + cut * CELL, _s(line[cut:]), _s(line[:cut])))


def tc_reversed(label: str, secret: str) -> bytes:
    """The secret written backwards, shown from its last cell with Tc = -2 glyph widths:
    each glyph steps back, a viewer shows it forwards."""
    right = 72 + (len(label) + len(secret) - 1) * CELL
    return _pdf(b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (%s) Tj 1 0 0 1 %.2f 700 Tm %.1f Tc (%s) Tj 0 Tc ET"
                % (_s(label), right, -2 * CELL, _s(secret[::-1])))


def tc_gaps(label: str, secret: str) -> bytes:
    """The even characters with Tc = one glyph width (every other cell), then the odd ones
    from the second cell."""
    x = 72 + len(label) * CELL
    return _pdf(b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (%s) Tj 1 0 0 1 %.2f 700 Tm %.1f Tc (%s) Tj "
                b"1 0 0 1 %.2f 700 Tm (%s) Tj 0 Tc ET" % (_s(label), x, CELL, _s(secret[0::2]), x + CELL, _s(secret[1::2])))


def space_gaps(label: str, secret: str) -> bytes:
    """Nothing but spaces: the even characters one space apart, then the odd ones."""
    x = 72 + len(label) * CELL
    return _pdf(b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (%s) Tj ET BT /F1 12 Tf 1 0 0 1 %.2f 700 Tm (%s) Tj ET "
                b"BT /F1 12 Tf 1 0 0 1 %.2f 700 Tm (%s) Tj ET"
                % (_s(label), x, _s(" ".join(secret[0::2])), x + CELL, _s(" ".join(secret[1::2]))))


def tj_gaps(label: str, secret: str) -> bytes:
    """The even characters in a TJ whose numbers skip a cell each, then the odd ones."""
    x = 72 + len(label) * CELL

    def spaced(chars: str) -> bytes:
        return b"[" + b" -600 ".join(b"(%s)" % _s(c) for c in chars) + b"] TJ"

    return _pdf(b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (%s) Tj 1 0 0 1 %.2f 700 Tm %s 1 0 0 1 %.2f 700 Tm %s ET"
                % (_s(label), x, spaced(secret[0::2]), x + CELL, spaced(secret[1::2])))


def widget(label: str, secret: str) -> bytes:
    """A text field whose /V is the secret backwards and whose appearance stream shows it
    in one Tj with Tc = -2 glyph widths: a viewer shows the secret."""
    rev = _s(secret[::-1])
    ap = b"/Tx BMC q BT /Cour 12 Tf 1 0 0 1 %.2f 6 Tm %.1f Tc (%s) Tj ET Q EMC" % (
        2 + (len(secret) - 1) * CELL, -2 * CELL, rev)
    return _pdf(b"BT /F1 12 Tf 72 705 Td (%s) Tj ET" % _s(label), page=b"/Annots [6 0 R]",
                catalog=b"/AcroForm << /Fields [6 0 R] /DA (/Cour 12 Tf 0 g) >>",
                extra=[b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (pan) /V (%s) /DA (/Cour 12 Tf 0 g) "
                       b"/Rect [200 700 400 720] /F 4 /P 3 0 R /AP << /N 7 0 R >> >>" % rev,
                       _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 200 20] /Resources << /Font << /Cour 5 0 R >> >>",
                               ap)])


ATTACKS: dict[str, Callable[[str, str], bytes]] = {
    "rise": rise, "tc-reversed": tc_reversed, "tc-gaps": tc_gaps, "space-gaps": space_gaps, "tj-gaps": tj_gaps,
    "widget": widget}


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    from dlp_proxy.detect import build_detector

    return build_detector(None, ner=False)


def _key(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", text.upper())


def _stopped_at(detector, data: bytes, secret: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The page's readings in which the detector finds ``secret`` itself (a drawing-order
    reading can read an SSN's digits in another order as an SSN too)."""
    ex = extract(data, filename="statement.pdf")
    return sorted({seg.location for seg in ex.segments if seg.location.startswith("page=1")
                   for f in detector.analyze(seg.text)
                   if f.entity_type in STOP and _key(secret) in _key(seg.text[f.start:f.end])})


@pytest.mark.parametrize(("label", "secret"), SECRETS, ids=["ssn", "card", "iban"])
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_text_shown_in_another_order_than_drawn_is_read_as_shown(detector, attack: str, label: str,  # type: ignore[no-untyped-def]
                                                                 secret: str) -> None:
    data = ATTACKS[attack](label, secret)
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert _key(secret) not in _key(page.extract_text())  # the drawing order does not hold it
    stopped = _stopped_at(detector, data, secret)
    assert stopped and "page=1" not in stopped, stopped


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a != "widget"])
def test_the_attacks_are_out_of_order(attack: str) -> None:
    for label, secret in SECRETS:
        assert page_text(PdfReader(io.BytesIO(ATTACKS[attack](label, secret))).pages[0])[2]


def _flagged(content: bytes, fonts: list[bytes] | None = None, extra: list[bytes] | None = None) -> bool:
    return page_text(PdfReader(io.BytesIO(_pdf(content, fonts, extra=extra))).pages[0])[2]


@pytest.mark.parametrize(("content", "flagged"), [
    # word spacing that moves each space back past the glyph before it: right to left
    (b"BT /F1 12 Tf 300 700 Td -21.6 Tw (2 0 1 7) Tj ET", True),
    (b"BT /F1 12 Tf 300 700 Td 3 Tw (2 0 1 7) Tj ET", False),
    # TJ numbers that step back less than TJ_BACK (1000) yet past each glyph (600)
    (b"BT /F1 12 Tf 300 700 Td [(2) 900 (0) 900 (1) 900 (7)] TJ ET", True),
    (b"BT /F1 12 Tf 300 700 Td [(2) 40 (0) -300 (1) 80 (7)] TJ ET", False),
    # glyphs squeezed to nothing or mirrored by the horizontal scaling
    (b"BT /F1 12 Tf 300 700 Td -100 Tz (7102) Tj ET", True),
    # a second show with no positioning between carries on from the first's end
    (b"BT /F1 12 Tf 72 700 Td (Customer ) Tj (SSN) Tj /F1 10 Tf ( 536) Tj ET", False),
    # ... and a Td moves from the line's start, not from where the shows got to: into the first
    (b"BT /F1 12 Tf 72 700 Td (Customer ) Tj 20 0 Td (SSN) Tj ET", True),
    # the spacing is graphics state: restored by Q, kept across BT
    (b"q BT /F1 12 Tf -14.4 Tc ET Q BT /F1 12 Tf 72 700 Td (7102) Tj ET", False),
    (b"BT /F1 12 Tf -14.4 Tc ET BT 300 700 Td (2017) Tj ET", True),
    # " sets the word and character spacing, then shows
    (b"BT /F1 12 Tf 14 TL 300 714 Td 0 -14.4 (2017) \" ET", True),
    # a rise onto a line, left of what is drawn there; a superscript is a line of its own
    (b"BT /F1 12 Tf 1 0 0 1 200 700 Tm (9058) Tj 1 0 0 1 72 720 Tm -20 Ts (SSN) Tj ET", True),
    (b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (x) Tj 5 Ts /F1 8 Tf (2) Tj 0 Ts /F1 12 Tf ( + y) Tj ET", False),
    # fake bold (drawn twice half a point apart) and a piece drawn again over itself
    (b"BT /F1 12 Tf 1 0 0 1 72 700 Tm (Total) Tj 1 0 0 1 72.5 700 Tm (Total) Tj ET", False),
], ids=["tw-reversed", "tw-justified", "tj-steps-back", "tj-kerning", "tz-mirrored", "pen-carried",
        "td-from-the-line-start", "tc-restored-by-Q", "tc-kept-across-BT", "quote-spacing", "rise-onto-a-line",
        "superscript", "fake-bold"])
def test_the_text_state_moves_the_glyphs(content: bytes, flagged: bool) -> None:
    assert _flagged(content) is flagged


def test_a_form_xobject_is_laid_out_in_its_own_fonts_and_matrix() -> None:
    """The form's /F1 is Courier, the page's /F1 a font whose glyphs are ten times as wide:
    the form's pieces are laid out in Courier (where they abut), placed by its /Matrix."""
    wide = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 32 /LastChar 126 /Widths [%s] >>" % (
        b" ".join([b"6000"] * 95))

    def page(form: bytes) -> bytes:
        xobject = _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 300 50] /Matrix [1 0 0 1 72 700] "
                          b"/Resources << /Font << /F1 5 0 R >> >>", form)
        return _pdf(b"q /X1 Do Q BT /F1 12 Tf 400 700 Td (x) Tj ET", [COURIER], extra=[xobject, wide],
                    resources=b"/Font << /F1 7 0 R >> /XObject << /X1 6 0 R >>")

    assert not page_text(PdfReader(io.BytesIO(page(b"BT /F1 12 Tf (536-22) Tj 43.2 0 Td (-7102) Tj ET"))).pages[0])[2]
    # right to left in Courier (in the page's wide font, the same spacing would move forwards)
    assert page_text(PdfReader(io.BytesIO(page(b"BT /F1 12 Tf 72 0 Td -14.4 Tc (2017-22-635) Tj ET"))).pages[0])[2]


def _type0(widths: dict[int, int]) -> bytes:
    """A composite font (Identity-H: two-byte codes) with /W for ``widths``."""
    w = b" ".join(b"%d [%d]" % (code, width) for code, width in sorted(widths.items()))
    return (b"<< /Type /Font /Subtype /Type0 /BaseFont /Sans /Encoding /Identity-H /DescendantFonts "
            b"[<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Sans /CIDSystemInfo << /Registry (Adobe) "
            b"/Ordering (Identity) /Supplement 0 >> /DW 1000 /W [" + w + b"] >> ] >>")


def test_a_composite_font_is_laid_out_by_its_two_byte_codes_and_w() -> None:
    """Words placed at their /W widths are in order (read as one-byte codes, each glyph
    would be two, one of them 1000 wide: every word would overlap the next); a string in
    it shown right to left by Tc is out of order."""
    widths = {ord(c): round(_width(c, "Helvetica", 1000)) for c in "0123456789- SNabcdefghijklmnopqrstuvwxyz"}
    font = _type0(widths)

    def codes(text: str) -> bytes:
        return b"<" + "".join(f"{ord(c):04x}" for c in text).encode() + b">"

    x, shows = 72.0, []
    for word in "client SSN 536-22-7102".split():
        shows.append(b"1 0 0 1 %.3f 700 Tm %s Tj" % (x, codes(word)))
        x += sum(widths[ord(c)] for c in word + " ") * 12 / 1000
    assert not _flagged(b"BT /F1 12 Tf " + b" ".join(shows) + b" ET", [font])
    assert _flagged(b"BT /F1 12 Tf 1 0 0 1 300 700 Tm -13.5 Tc %s Tj ET" % codes("2017"), [font])


# -- ordinary born-digital text is not out of order ------------------------------------


def test_reportlab_justified_paragraphs_are_in_order() -> None:
    """Platypus justifies with word spacing (Tw, negative too), switches fonts within a line
    without moving the pen, raises superscripts (Ts), and lays out tables."""
    from reportlab.lib.enums import TA_JUSTIFY
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    words = ("the quarterly allocation review for branch customers noted an invoice of 12,345.67 "
             "(net) to WAVE Ltd. \"quoted\" AVA Tokyo, offline fi ff").split()
    body = ParagraphStyle("j", parent=getSampleStyleSheet()["BodyText"], alignment=TA_JUSTIFY)
    story = []
    for n in range(12):
        text = " ".join(words[(n + i) % len(words)] for i in range(70))
        story.append(Paragraph(text + " <b>bold</b> <i>italic</i> x<super>2</super> H<sub>2</sub>O", body))
        story.append(Table([[f"row {r}", "account review", f"{r * 12.5:.2f}"] for r in range(4)]))
    out = io.BytesIO()
    SimpleDocTemplate(out).build(story)
    pages = PdfReader(io.BytesIO(out.getvalue())).pages
    assert len(pages) >= 2
    assert [n for n, page in enumerate(pages) if page_text(page)[2]] == []


_FONTS = ["Helvetica", "Times-Roman", "Courier"]
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:-()'\"&%$",
                min_size=1, max_size=12)


def _width(text: str, font: str, size: float, tc: float = 0.0) -> float:
    """The width of ``text`` in a standard font (its AFM widths, reportlab's copy)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return float(stringWidth(text, font, size)) + tc * len(text)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(st.lists(_WORD, min_size=1, max_size=10), min_size=1, max_size=8),
       font=st.sampled_from(_FONTS), size=st.floats(6, 24), tc=st.sampled_from([0.0, -0.2, 0.3]),
       widths=st.booleans(), kern=st.integers(-120, 120), data=st.data())
def test_words_placed_one_td_each_at_their_true_widths_are_in_order(
        lines: list[list[str]], font: str, size: float, tc: float, widths: bool, kern: int, data: st.DataObject) -> None:
    """A word processor's export: one Tj per word (some a kerned TJ), placed by Td where the
    word before it ends plus a space (and a justification's extra), in a standard font with
    or without /Widths, with a little character spacing."""
    table = b"/FirstChar 32 /LastChar 126 /Widths [%s]" % b" ".join(
        b"%d" % round(_width(chr(c), font, 1000)) for c in range(32, 127)) if widths else b""
    spec = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding %s >>" % (font.encode(), table)
    ops = [b"BT /F1 %.2f Tf %.2f Tc 1 0 0 1 72 740 Tm" % (size, tc)]
    for words in lines:
        x = line = 0.0
        for word in words:
            ops.append(b"%.3f 0 Td" % x)
            line += x
            if len(word) > 2 and data.draw(st.booleans()):
                ops.append(b"[(%s) %d (%s)] TJ" % (_s(word[:2]), kern, _s(word[2:])))
                advance = _width(word, font, size, tc) - kern / 1000 * size
            else:
                ops.append(b"(%s) Tj" % _s(word))
                advance = _width(word, font, size, tc)
            x = advance + _width(" ", font, size, tc) + data.draw(st.floats(0, 6))
        ops.append(b"%.3f %.2f Td" % (-line, -size * 1.2))
    assert not _flagged(b"\n".join([*ops, b"ET"]), [spec])


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet="0123456789ABCDEFGHKMNPRSTUVXYZ", min_size=4, max_size=24), font=st.sampled_from(_FONTS),
       size=st.floats(6, 24), cut=st.integers(2, 22), at=st.floats(0, 1), relative=st.booleans())
def test_the_second_half_of_a_string_drawn_inside_the_first_is_out_of_order(
        text: str, font: str, size: float, cut: int, at: float, relative: bool) -> None:
    """The same glyphs, the second half of the string moved back inside the first half's
    extent (past a third of an em from either end): the two interleave where a viewer shows them."""
    cut = min(cut, len(text) - 1)
    first, second = text[:cut], text[cut:]
    width = _width(first, font, size)
    margin = 0.31 * size
    offset = margin + at * (width - 2 * margin)
    move = b"%.3f 0 Td" % offset if relative else b"1 0 0 1 %.3f 700 Tm" % (72 + offset)
    content = b"BT /F1 %.2f Tf 1 0 0 1 72 700 Tm (%s) Tj %s (%s) Tj ET" % (size, _s(first), move, _s(second))
    spec = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % font.encode()
    assert _flagged(content, [spec])


@settings(max_examples=30, deadline=None)
@given(text=st.text(alphabet="0123456789ABCDEFGHKMNPRSTUVXYZ", min_size=2, max_size=20), font=st.sampled_from(_FONTS),
       size=st.floats(6, 24), factor=st.floats(1.5, 3))
def test_a_string_shown_right_to_left_by_its_character_spacing_is_out_of_order(
        text: str, font: str, size: float, factor: float) -> None:
    widest = max(_width(c, font, size) for c in text)
    spec = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % font.encode()
    assert _flagged(b"BT /F1 %.2f Tf 300 700 Td %.3f Tc (%s) Tj ET" % (size, -factor * widest, _s(text)), [spec])


def test_a_widget_that_moves_its_glyphs_does_not_show_its_value() -> None:
    from dlp_proxy.files.pdf import _moves_glyphs

    assert not _moves_glyphs(b"/Tx BMC q 1 1 198 18 re W n BT /Helv 12 Tf 0 g 0 Tc 100 Tz 2 5.28 Td () Tj ET Q EMC")
    for op in (b"-14.4 Tc", b"3 Tw", b"-100 Tz", b"-4 Ts", b"[() 1200 ()] TJ", b"1 2 () \"", b"-1 0 0 1 90 0 Tm",
               b"/Helv -12 Tf", b"0 1 -1 0 9 0 cm"):
        assert _moves_glyphs(b"BT /Helv 12 Tf " + op + b" () Tj ET"), op
