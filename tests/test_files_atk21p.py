"""Attack pass 21p (files): text a reader sees that the scanner did not read.

- F1: PNG text chunks after IDAT, deflated (zTXt, compressed iTXt, XMP), and the ICC
  profile's text tags (iCCP): files/imagemeta.py walks every container of the file;
- F5: a PDF page whose digits are one form XObject painted ~800 times, or one mesh
  shading: files/pdf.py counts segments as painted and renders shadings;
- F6: /Differences glyph names with suffixes (``five.alt``): files/glyphnames.py maps
  them as the Adobe Glyph List says, in pypdf's text layer too;
- LOW: uuencoded blocks of a text file: files/plain.py ``uudecoded``.

Real files made here, read by ``dlp_proxy.files.extract`` and, for each class, uploaded
through the running gateway (the simulator's record shows what reached Mattermost)."""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zlib
from collections.abc import Callable

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from dlp_proxy.detect import build_detector
from dlp_proxy.files import extract
from tests.conftest import STOPPED_IDS, Gateway

SECRET = b"client SSN 536-22-1234 card 4111111111111111"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    return build_detector()


def _entities(detector, data: bytes, name: str) -> tuple[set[str], tuple[str, ...]]:  # type: ignore[no-untyped-def]
    ex = extract(data, filename=name)
    return {f.entity_type for seg in ex.segments for f in detector.analyze(seg.text)}, ex.problems


# -- F1: images ------------------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def _png(*after_idat: bytes, before_idat: bytes = b"", size: tuple[int, int] = (1, 1)) -> bytes:
    """A white RGB PNG with chunks placed before and after its IDAT."""
    w, h = size
    raw = b"".join(b"\x00" + b"\xff" * 3 * w for _ in range(h))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + before_idat
        + _chunk(b"IDAT", zlib.compress(raw))
        + b"".join(after_idat)
        + _chunk(b"IEND", b"")
    )


def _icc(tag_type: bytes, payload: bytes) -> bytes:
    """An ICC profile with one ``desc`` tag of ``tag_type``."""
    tag = tag_type + b"\0" * 4 + payload
    body = struct.pack(">I", 1) + b"desc" + struct.pack(">II", 128 + 16, len(tag)) + tag
    header = bytearray(128)
    struct.pack_into(">I", header, 0, 128 + len(body))
    header[12:24] = b"mntrRGB XYZ "
    header[36:40] = b"acsp"
    return bytes(header) + body


def _icc_desc(text: bytes) -> bytes:
    return _icc(b"desc", struct.pack(">I", len(text) + 1) + text + b"\0" + b"\0" * 79)


def _icc_mluc(text: str) -> bytes:
    encoded = text.encode("utf-16-be")
    return _icc(b"mluc", struct.pack(">II", 1, 12) + b"enUS" + struct.pack(">II", len(encoded), 28) + encoded)


def _picture_with_text(text: str) -> bytes:
    im = Image.new("RGB", (700, 100), "white")
    ImageDraw.Draw(im).text((10, 25), text, fill="black", font=ImageFont.truetype(FONT, 40))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def _exif_unicode_comment(text: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + text.encode("utf-16-le")
    return exif.tobytes()


def _jpeg_split_icc(profile: bytes) -> bytes:
    """A JPEG whose ICC profile is cut in two APP2 chunks in the middle of its text."""
    base = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(base, "JPEG")
    jpeg = base.getvalue()
    cut = profile.index(b"536-22") + 3
    segments = b"".join(
        b"\xff\xe2" + struct.pack(">H", 2 + 14 + len(part)) + b"ICC_PROFILE\x00" + bytes([n + 1, 2]) + part
        for n, part in enumerate((profile[:cut], profile[cut:]))
    )
    return jpeg[:2] + segments + jpeg[2:]


def _jpeg_split_extended_xmp(text: bytes) -> bytes:
    base = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(base, "JPEG")
    jpeg = base.getvalue()
    packet = b"<x:xmpmeta><dc:description>" + text + b"</dc:description></x:xmpmeta>"
    cut = packet.index(b"536-22") + 3
    head = b"http://ns.adobe.com/xmp/extension/\x00" + b"0" * 32 + struct.pack(">I", len(packet))
    segments = b"".join(
        b"\xff\xe1"
        + struct.pack(">H", 2 + len(head) + 4 + len(part))
        + head
        + struct.pack(">I", offset)
        + part
        for offset, part in ((cut, packet[cut:]), (0, packet[:cut]))
    )
    return jpeg[:2] + segments + jpeg[2:]


def _gif_with(*extensions: bytes) -> bytes:
    """A two-frame GIF with extension blocks after its second frame."""
    out = io.BytesIO()
    frames = [Image.new("P", (20, 10), 0), Image.new("P", (20, 10), 1)]
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    data = out.getvalue()
    return data[:-1] + b"".join(extensions) + b";"


def _sub_blocks(data: bytes) -> bytes:
    return (
        b"".join(bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255))
        + b"\x00"
    )


def _webp_with(kind: bytes, body: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(out, "WEBP")
    data = out.getvalue()
    chunk = kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")
    riff = data[12:] + chunk
    return b"RIFF" + struct.pack("<I", 4 + len(riff)) + b"WEBP" + riff


#: what a viewer shows as two lines each (atk21r R1: read only as raw bytes, a number over two
#: lines is not joined, so the metadata reading itself must reach it)
BROKEN = b"Card 4111 1111\n1111 1111\nSSN 536-22-\n8710"


def _jpeg_stray_byte_then_comment(text: bytes) -> bytes:
    """A JPEG with one byte that starts no marker after APP0, then a COM segment: libjpeg,
    Pillow and Go's image/jpeg skip the byte and read on."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 200, 200)).save(out, "JPEG")
    data = out.getvalue()
    end = 4 + int.from_bytes(data[4:6], "big")
    return data[:end] + b"\x00" + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + data[end:]


IMAGES: dict[str, Callable[[], bytes]] = {
    "png zTXt after IDAT": lambda: _png(_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(SECRET))),
    "png compressed iTXt after IDAT": lambda: _png(
        _chunk(b"iTXt", b"Comment\x00\x01\x00en\x00\x00" + zlib.compress(SECRET))
    ),
    "png XMP in iTXt after IDAT": lambda: _png(
        _chunk(
            b"iTXt",
            b"XML:com.adobe.xmp\x00\x01\x00\x00\x00"
            + zlib.compress(b"<x:xmpmeta><dc:description>" + SECRET + b"</dc:description></x:xmpmeta>"),
        )
    ),
    "png iCCP desc": lambda: _png(
        before_idat=_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(_icc_desc(SECRET)))
    ),
    "png iCCP mluc": lambda: _png(
        before_idat=_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(_icc_mluc(SECRET.decode())))
    ),
    "png eXIf UNICODE user comment": lambda: _png(_chunk(b"eXIf", _exif_unicode_comment(SECRET.decode()))),
    "png picture with text and zTXt": lambda: (
        _picture_with_text("Quarterly report")[:-12]
        + _chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(SECRET))
        + _chunk(b"IEND", b"")
    ),
    "jpeg ICC profile split in two chunks": lambda: _jpeg_split_icc(_icc_desc(SECRET)),
    "jpeg extended XMP split in two chunks": lambda: _jpeg_split_extended_xmp(SECRET),
    "gif comment after the second frame": lambda: _gif_with(b"\x21\xfe" + _sub_blocks(SECRET)),
    "gif ICC profile extension": lambda: _gif_with(
        b"\x21\xff" + _sub_blocks(b"ICCRGBG1012" + _icc_mluc(SECRET.decode()))
    ),
    "webp ICCP mluc": lambda: _webp_with(b"ICCP", _icc_mluc(SECRET.decode())),
}


STRAY: dict[str, Callable[[], bytes]] = {
    "jpeg stray byte before a comment": lambda: _jpeg_stray_byte_then_comment(BROKEN),
    "gif stray byte before a comment": lambda: _gif_with(b"\x00" + b"\x21\xfe" + _sub_blocks(BROKEN)),
}


@pytest.mark.parametrize("case", sorted(STRAY))
def test_a_stray_byte_does_not_end_the_metadata_reading(detector, case: str) -> None:  # type: ignore[no-untyped-def]
    """atk21r R1: the metadata walker stopped at a byte that starts no block, so the
    comment after it was read only as raw bytes, where the file worker's rule
    (``rawread.judge_raw``) drops a number read across a line end: judged as the worker
    judges, the card and the SSN are found."""
    from dlp_proxy.files.rawread import judge_raw

    ex = extract(STRAY[case](), filename="picture.jpg")
    found = {f.entity_type for seg in ex.segments
             for f in judge_raw(seg.location, seg.text, detector.analyze(seg.text), detector.analyze)}
    assert {"US_SSN", "CREDIT_CARD"} <= found, case


@pytest.mark.parametrize("case", sorted(IMAGES))
def test_text_in_any_image_metadata_container_is_read(detector, case: str) -> None:  # type: ignore[no-untyped-def]
    data = IMAGES[case]()
    found, _problems = _entities(detector, data, "picture.png")
    assert {"US_SSN", "CREDIT_CARD"} <= found, case


def test_a_clean_compressed_comment_is_read_and_passes(detector) -> None:  # type: ignore[no-untyped-def]
    data = _png(_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"holiday photo, lake shore, 2019")))
    ex = extract(data, filename="lake.png")
    assert any("holiday photo" in s.text for s in ex.segments if s.location == "metadata")
    assert not [f for s in ex.segments for f in detector.analyze(s.text)]
    assert ex.problems == ("no-text",)  # the pixels hold no text: as before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        # a deflate stream that ends early, and one that is no deflate stream
        (b"Comment\x00\x00" + zlib.compress(SECRET)[:-8], "corrupt"),
        (b"Comment\x00\x00" + b"not deflate at all", "corrupt"),
        # 64 MiB of zeros: over the per-container cap (imagemeta.MAX_CONTAINER_BYTES)
        (b"Comment\x00\x00" + zlib.compress(b"\0" * (64 << 20), 9), "size-limit"),
    ],
)
def test_a_container_that_cannot_be_read_is_held_not_no_text(body: bytes, code: str) -> None:
    ex = extract(_png(_chunk(b"zTXt", body)), filename="x.png")
    assert code in ex.problems, ex.problems
    assert not ex.complete


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"prVt"]), st.binary(max_size=64)
        ),
        max_size=6,
    ),
    st.binary(max_size=32),
)
def test_hostile_png_chunks_never_break_the_reading(chunks: list[tuple[bytes, bytes]], tail: bytes) -> None:
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.imagemeta import container_texts
    from dlp_proxy.files.limits import Budget, Limits

    data = _png(*(_chunk(k, b) for k, b in chunks)) + tail
    container_texts(data, Ctx(Budget(Limits())))
    for cut in (9, 20, len(data) // 2):
        container_texts(data[:cut], Ctx(Budget(Limits())))


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_hostile_gif_jpeg_webp_icc_never_break_the_reading(body: bytes) -> None:
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.imagemeta import Texts, container_texts, icc_texts
    from dlp_proxy.files.limits import Budget, Limits

    for head in (b"GIF89a", b"\xff\xd8", b"RIFF\0\0\0\0WEBP"):
        container_texts(head + body, Ctx(Budget(Limits())))
    icc_texts(bytes(128) + body, Texts(Ctx(Budget(Limits()))))


# -- F5: PDF pages that paint digits without many segments ------------------------------


def _pdf_file(objs: list[bytes]) -> bytes:
    """A PDF of ``objs`` (numbered from 1) with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(
        b"%010d 00000 n \n" % o for o in offsets
    )
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def _pdf(page_extra: bytes, content: bytes, *objects: bytes) -> bytes:
    """A one-page PDF: Helvetica as /F1 (object 5), ``objects`` from number 6 on."""
    zc = zlib.compress(content)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 400] /Contents 4 0 R " + page_extra + b" >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(zc) + zc + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *objects,
    ]
    return _pdf_file(objs)


def _ink_runs(text: str, px: int = 40) -> list[tuple[float, float, float, float]]:
    """``text`` as DejaVu Sans draws it: one (x, y, w, h) box per run of ink pixels in a row."""
    font = ImageFont.truetype(FONT, px)
    im = Image.new("L", (int(px * 0.7 * len(text)) + 20, px + 20), 255)
    ImageDraw.Draw(im).text((5, 5), text, fill=0, font=font)
    w, h = im.size
    p = im.load()
    runs = []
    for row in range(h):
        col = 0
        while col < w:
            if p[col, row] < 128:
                start = col
                while col < w and p[col, row] < 128:
                    col += 1
                runs.append((start * 0.6, (h - row) * 0.6, (col - start) * 0.6, 0.6))
            col += 1
    return runs


def _placed(runs: list[tuple[float, float, float, float]], x0: float, y0: float) -> bytes:
    return b"\n".join(
        b"q %.2f 0 0 %.2f %.2f %.2f cm /Px Do Q" % (w, h, x0 + x, y0 + y) for x, y, w, h in runs
    )


_PX_FORM = b"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Length 12 >>\nstream\n0 0 1 1 re f\nendstream"


def pdf_form_digits(ssn: str = "536-22-1234", card: str = "4111111111111111") -> bytes:
    content = (
        b"BT /F1 18 Tf 40 300 Td (client SSN) Tj ET\n"
        + _placed(_ink_runs(ssn), 160, 270)
        + b"\nBT /F1 18 Tf 40 200 Td (card) Tj ET\n"
        + _placed(_ink_runs(card), 110, 170)
    )
    return _pdf(b"/Resources << /Font << /F1 5 0 R >> /XObject << /Px 6 0 R >> >>", content, _PX_FORM)


def pdf_mesh_digits(ssn: str = "536-22-1234", card: str = "4111111111111111") -> bytes:
    def vert(x: float, y: float) -> bytes:
        return struct.pack(">BHHB", 0, int(x / 720 * 65535), int(y / 400 * 65535), 0)

    mesh = b""
    for text, x0, y0 in ((ssn, 160, 270), (card, 110, 170)):
        for x, y, w, h in _ink_runs(text):
            x, y = x + x0, y + y0
            mesh += (
                vert(x, y)
                + vert(x + w, y)
                + vert(x + w, y + h)
                + vert(x, y)
                + vert(x + w, y + h)
                + vert(x, y + h)
            )
    zm = zlib.compress(mesh)
    shading = (
        b"<< /ShadingType 4 /ColorSpace /DeviceGray /BitsPerCoordinate 16 /BitsPerComponent 8 "
        b"/BitsPerFlag 8 /Decode [0 720 0 400 0 1] /Filter /FlateDecode /Length %d >>\nstream\n"
        % len(zm)
        + zm
        + b"\nendstream"
    )
    content = b"BT /F1 18 Tf 40 300 Td (client SSN) Tj ET\nBT /F1 18 Tf 40 200 Td (card) Tj ET\n/Sh0 sh\n"
    return _pdf(b"/Resources << /Font << /F1 5 0 R >> /Shading << /Sh0 6 0 R >> >>", content, shading)


def pdf_many_clean_forms(n: int = 120) -> bytes:
    """A clean chart: a text layer and one small square form painted ``n`` times (markers)."""
    marks = b"\n".join(b"q 4 0 0 4 %d %d cm /Px Do Q" % (60 + 5 * k, 100 + (k * 37) % 150) for k in range(n))
    content = b"BT /F1 18 Tf 40 340 Td (Quarterly volume chart, all desks) Tj ET\n" + marks
    return _pdf(b"/Resources << /Font << /F1 5 0 R >> /XObject << /Px 6 0 R >> >>", content, _PX_FORM)


@pytest.mark.parametrize(
    "make", [pdf_form_digits, pdf_mesh_digits], ids=["form-painted-800x", "mesh-shading"]
)
def test_digits_painted_without_segments_are_rendered_and_read(detector, make: Callable[[], bytes]) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    from dlp_proxy.files.pdf import render_reasons

    data = make()
    assert render_reasons(PdfReader(io.BytesIO(data)).pages[0]) & {"paths", "shading"}
    found, _problems = _entities(detector, data, "chart.pdf")
    assert {"US_SSN", "CREDIT_CARD"} <= found


def test_a_form_counts_each_time_it_is_painted() -> None:
    from pypdf import PdfReader

    from dlp_proxy.files.pdf import MAX_PATH_SEGMENTS, render_reasons

    def page(content: bytes, *objects: bytes) -> set[str]:
        data = _pdf(
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /Px 6 0 R /Two 7 0 R >> >>", content, *objects
        )
        return render_reasons(PdfReader(io.BytesIO(data)).pages[0])

    two = (
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Px 6 0 R >> >> "
        b"/Length 12 >>\nstream\n/Px Do /Px Do\nendstream"
    )
    n = MAX_PATH_SEGMENTS
    assert "paths" not in page(b" ".join([b"/Px Do"] * n), _PX_FORM, two)
    assert "paths" in page(b" ".join([b"/Px Do"] * (n + 1)), _PX_FORM, two)
    # nested: each /Two paints /Px twice; a name written with #xx escapes is the same name
    assert "paths" not in page(b" ".join([b"/Two Do"] * (n // 2)), _PX_FORM, two)
    assert "paths" in page(b" ".join([b"/T#77o Do"] * (n // 2 + 1)), _PX_FORM, two)
    # a form that paints itself: rendered (a viewer stops somewhere; the count cannot)
    selfish = (
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /Px 6 0 R >> >> "
        b"/Length 6 >>\nstream\n/Px Do\nendstream"
    )
    assert "form-depth" in page(b"/Px Do", selfish, two)
    # a soft mask shapes what is painted
    data = _pdf(
        b"/Resources << /Font << /F1 5 0 R >> /ExtGState << /G0 6 0 R >> >>",
        b"/G0 gs 0 0 720 400 re f",
        b"<< /Type /ExtGState /SMask << /S /Luminosity /G 7 0 R >> >>",
        _PX_FORM,
    )
    assert "soft-mask" in render_reasons(PdfReader(io.BytesIO(data)).pages[0])


def test_many_clean_forms_are_rendered_and_pass(detector) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    from dlp_proxy.files.pdf import render_reasons

    data = pdf_many_clean_forms()
    assert "paths" in render_reasons(PdfReader(io.BytesIO(data)).pages[0])
    ex = extract(data, filename="chart.pdf")
    assert ex.complete, ex.problems
    assert any(s.location == "page=1/rendered" for s in ex.segments)
    assert not [f for s in ex.segments for f in detector.analyze(s.text)]


# -- F6: glyph names with suffixes ------------------------------------------------------


def pdf_differences(names: str, shown: bytes = b"client SSN ABCHDDHEDBF") -> bytes:
    font = (
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
        b"/BaseEncoding /WinAnsiEncoding /Differences [65 " + names.encode() + b"] >> >>"
    )
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 720 400] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
    ]
    content = b"BT /F1 24 Tf 40 300 Td (" + shown + b") Tj ET"
    objs += [b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream", font]
    return _pdf_file(objs)


DIFFERENCES = {
    "alt": "/five.alt /three.alt /six.alt /two.alt /one.alt /four.alt /zero.alt /hyphen.alt",
    "lf": "/five.lf /three.lf /six.lf /two.lf /one.lf /four.lf /zero.lf /hyphen",
    "uni-suffixed": "/uni0035.sc /uni0033.ss01 /uni0036 /u0032 /u0031.alt /four.tf /zero.osf /uni002D",
}


@pytest.mark.parametrize("variant", sorted(DIFFERENCES))
def test_suffixed_glyph_names_read_as_the_digits_drawn(detector, variant: str) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    data = pdf_differences(DIFFERENCES[variant])
    assert "536-22-1234" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    found, _problems = _entities(detector, data, "statement.pdf")
    assert "US_SSN" in found


def test_glyph_names_map_as_the_adobe_glyph_list_says() -> None:
    from dlp_proxy.files.glyphnames import glyph_text

    # the specification's own example, and the rules one by one
    assert glyph_text("Lcommaaccent_uni20AC0308_u1040C.alternate") == "\u013b\u20ac\u0308\U0001040c"
    assert glyph_text("/five.alt") == "5"
    assert glyph_text("five_three") == "53"
    assert glyph_text("uni00350033") == "53"
    assert glyph_text("u1F600") == "\U0001f600"
    assert glyph_text("uniD835") == ""  # a surrogate is no character
    assert glyph_text("g5") == "" and glyph_text(".notdef") == ""


def test_unmappable_glyph_names_get_the_page_rendered() -> None:
    from pypdf import PdfReader

    from dlp_proxy.files.pdf import render_reasons

    data = pdf_differences("/g5 /g3 /g6 /g2 /g1 /g4 /g0 /hyphen")
    assert "glyph-names" in render_reasons(PdfReader(io.BytesIO(data)).pages[0])
    assert "glyph-names" not in render_reasons(
        PdfReader(io.BytesIO(pdf_differences(DIFFERENCES["alt"]))).pages[0]
    )


def test_suffixed_names_spelling_a_word_pass(detector) -> None:  # type: ignore[no-untyped-def]
    data = pdf_differences("/S.alt /e.sc /c.ss01 /r /t.alt /space", b"quarterly ABCDBEF summary")
    ex = extract(data, filename="memo.pdf")
    assert "Secret" in ex.segments[0].text and ex.complete
    assert not [f for s in ex.segments for f in detector.analyze(s.text)]


# -- LOW: uuencode ------------------------------------------------------------------------


def uuencoded(data: bytes, name: str = "clients.txt") -> bytes:
    lines = b"".join(binascii.b2a_uu(data[i : i + 45]) for i in range(0, len(data), 45))
    return b"here is the file\n\nbegin 644 " + name.encode() + b"\n" + lines + b"`\nend\n"


def test_uuencoded_blocks_are_decoded(detector) -> None:  # type: ignore[no-untyped-def]
    payload = (SECRET + b"\n") * 4
    for data in (uuencoded(payload), b"begin-base64 644 c.txt\n" + base64.encodebytes(payload) + b"====\n"):
        found, _problems = _entities(detector, data, "notes.txt")
        assert {"US_SSN", "CREDIT_CARD"} <= found
    clean = extract(
        uuencoded(b"minutes of the tuesday meeting, nothing to report\n" * 3), filename="notes.txt"
    )
    assert clean.complete and any(s.location.startswith("uudecode=clients.txt/") for s in clean.segments)
    prose = extract(
        b"We begin 644 days from now.\nbegin 644 plan\nthen we stop here, not uuencoded\n", filename="a.txt"
    )
    assert prose.complete and not any("uudecode" in s.location for s in prose.segments)


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=400),
    st.sampled_from([b"begin 644 a.txt\n", b"begin-base64 600 b\r\n", b"begin 0644 c\n"]),
)
def test_hostile_uuencoded_blocks_never_break_the_reading(body: bytes, head: bytes) -> None:
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget, Limits
    from dlp_proxy.files.plain import uudecoded

    uudecoded(b"notes\n" + head + body + b"\nend\n", Ctx(Budget(Limits())))


# -- through the gateway ------------------------------------------------------------------

STOPPED: dict[str, tuple[Callable[[], bytes], str]] = {
    "png-ztxt": (IMAGES["png zTXt after IDAT"], "lake.png"),
    "png-iccp": (IMAGES["png iCCP desc"], "scan.png"),
    "pdf-form-digits": (pdf_form_digits, "chart.pdf"),
    "pdf-mesh-digits": (pdf_mesh_digits, "chart.pdf"),
    "pdf-differences-alt": (lambda: pdf_differences(DIFFERENCES["alt"]), "statement.pdf"),
    "uuencoded-text": (lambda: uuencoded((SECRET + b"\n") * 2), "notes.txt"),
}
PASSED: dict[str, tuple[Callable[[], bytes], str]] = {
    "png-clean-ztxt": (
        lambda: _png(_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(b"lake shore, 2019"))),
        "lake.png",
    ),
    "pdf-many-clean-forms": (pdf_many_clean_forms, "chart.pdf"),
    "pdf-suffixed-word": (
        lambda: pdf_differences("/S.alt /e.sc /c.ss01 /r /t.alt /space", b"ABCDBEF"),
        "memo.pdf",
    ),
    "uuencoded-clean": (lambda: uuencoded(b"minutes of the tuesday meeting\n" * 3), "notes.txt"),
}


def _upload(gw: Gateway, data: bytes, name: str) -> httpx.Response:
    return httpx.post(
        f"{gw.url}/api/v4/files",
        headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
        data={"channel_id": gw.sim.channel("town_square")},
        files={"files": (name, data)},
        timeout=120,
    )


def _stored(gw: Gateway, data: bytes) -> bool:
    return any(
        data in base64.b64decode(r.get("body_b64") or "")
        for r in gw.sim.requests()
        if r["path"] == "/api/v4/files"
    )


@pytest.mark.parametrize("case", sorted(STOPPED))
def test_each_class_is_stopped_at_the_gateway(gateway: Gateway, case: str) -> None:
    make, name = STOPPED[case]
    data = make()
    gateway.sim.clear()
    r = _upload(gateway, data, name)
    assert r.status_code == 403 and r.json()["id"] in STOPPED_IDS, r.text
    assert not _stored(gateway, data)


@pytest.mark.parametrize("case", sorted(PASSED))
def test_clean_look_alikes_are_forwarded(gateway: Gateway, case: str) -> None:
    make, name = PASSED[case]
    data = make()
    gateway.sim.clear()
    r = _upload(gateway, data, name)
    assert r.status_code == 201, r.text
    assert _stored(gateway, data)


# -- atk21r R6: text drawn out of reading order --------------------------------------------

_FONT = b"/Resources << /Font << /F1 5 0 R >> >>"
OUT_OF_ORDER = {
    # one TJ whose spacing moves the pen back left: the page shows 536-22-8710
    "tj moves back": b"BT /F1 12 Tf 112 300 Td [(8710) 5700 (536-22-)] TJ ET\n",
    # two pieces on baselines 0.6 pt apart: one line to a reader, two rounded baselines
    "baselines 0.6 pt apart": b"BT /F1 12 Tf 1 0 0 1 132.3 260 Tm (1111 1111) Tj ET\n"
    b"BT /F1 12 Tf 1 0 0 1 72 260.6 Tm (4111 1111) Tj ET\n",
}
IN_ORDER = {
    "kerning and word spaces": b"BT /F1 12 Tf 72 300 Td [(W) 80 (ire the funds) -250 (today)] TJ ET\n",
    "two lines": b"BT /F1 12 Tf 72 300 Td (first line) Tj 0 -14 Td (second line) Tj ET\n",
}


@pytest.mark.parametrize("case", sorted(OUT_OF_ORDER))
def test_text_drawn_out_of_reading_order_is_noticed(case: str) -> None:
    """``page_text``'s out-of-order flag: the page is then read by position and rendered."""
    import pypdf

    from dlp_proxy.files.pdf import page_text

    page = pypdf.PdfReader(io.BytesIO(_pdf(_FONT, OUT_OF_ORDER[case]))).pages[0]
    assert page_text(page)[2], case


@pytest.mark.parametrize("case", sorted(IN_ORDER))
def test_text_in_reading_order_is_not_flagged(case: str) -> None:
    import pypdf

    from dlp_proxy.files.pdf import page_text

    page = pypdf.PdfReader(io.BytesIO(_pdf(_FONT, IN_ORDER[case]))).pages[0]
    assert not page_text(page)[2], case


# -- atk21r R5: a form field's appearance that places its value's pieces apart --------------


def _widget_pdf(value: bytes, appearance: bytes) -> bytes:
    """One page with one text field whose /AP /N draws ``appearance``."""
    z = zlib.compress(appearance)
    return _pdf(
        b"/Resources << /Font << /F1 5 0 R >> >> /Annots [6 0 R]",
        b"BT /F1 14 Tf 72 360 Td (Customer form) Tj ET",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (a) /V (" + value + b") /Rect [72 300 300 324] "
        b"/P 3 0 R /F 4 /AP << /N 7 0 R >> >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 228 24] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % len(z) + z + b"\nendstream",
    )


@pytest.mark.parametrize(
    ("value", "appearance", "trusted"),
    [
        # the pieces of /V drawn apart: the page shows 536-22-8710, /V reads 8710 536-22-
        (b"8710 536-22-", b"/Tx BMC BT /F1 12 Tf 42 6 Td (8710) Tj -40 0 Td (536-22-) Tj ET EMC", False),
        # the value drawn as it is: no rendering needed
        (b"Jane Doe", b"/Tx BMC BT /F1 12 Tf 2 6 Td (Jane Doe) Tj ET EMC", True),
    ],
)
def test_a_field_is_trusted_to_show_its_value_only_when_drawn_in_one_piece(
    value: bytes, appearance: bytes, trusted: bool
) -> None:
    import pypdf

    from dlp_proxy.files.pdf import _widget_shows_its_value

    page = pypdf.PdfReader(io.BytesIO(_widget_pdf(value, appearance))).pages[0]
    annot = page["/Annots"][0].get_object()
    assert _widget_shows_its_value(annot) is trusted
