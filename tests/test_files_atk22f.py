"""Red-team pass 22 findings (files): text a reader reaches that the scanner read only as
raw bytes, or not at all.

- R3: a PDF's text-bearing dictionary strings (a field's tooltip ``/TU``, mapping name
  ``/TM``, partial name ``/T``, a widget's caption ``/MK /CA``, a layer's ``/Name``, an
  embedded file's ``/Desc`` and ``/UF``, a structure element's ``/Alt``) were read only as
  raw bytes, where ``rawread.judge_raw`` drops a number written over two lines:
  files/pdf.py ``_dictionary_text`` reads them as text;
- R4: uuencoded blocks as GNU sharutils' ``uudecode`` reads them: files/plain.py;
- PNG/WebP metadata after junk bytes: files/imagemeta.py.

Findings are judged as the file worker judges them (``rawread.judge_raw``)."""

from __future__ import annotations

import base64
import binascii
import io
import struct
import zlib
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dlp_proxy.detect import build_detector
from dlp_proxy.files import extract

#: an SSN and a card number, each written over two lines
SPLIT = b"client SSN 536-22-\n1234 card 4111 1111\n1111 1111"
WANTED = {"US_SSN", "CREDIT_CARD"}


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    return build_detector()


def _judged(detector, data: bytes, name: str) -> set[str]:  # type: ignore[no-untyped-def]
    from dlp_proxy.files.rawread import judge_raw

    ex = extract(data, filename=name)
    return {f.entity_type for seg in ex.segments
            for f in judge_raw(seg.location, seg.text, detector.analyze(seg.text), detector.analyze)}


# -- R3: PDF dictionary strings ------------------------------------------------------------


def _pdf_file(objs: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF of ``objs`` (numbered from 1, the catalog first) with its cross-reference table."""
    out = bytearray(b"%PDF-1.6\n")
    offsets = []
    for n, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, trailer, xref)
    return bytes(out)


def _lit(text: bytes) -> bytes:
    return b"(" + text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _utf16(text: bytes) -> bytes:
    return b"<feff" + text.decode().encode("utf-16-be").hex().encode() + b">"


def _pdf(catalog_extra: bytes = b"", page_extra: bytes = b"", *objects: bytes) -> bytes:
    """A one-page PDF reading ``hello``; ``objects`` numbered from 5 on."""
    content = b"BT /F1 12 Tf 72 300 Td (hello) Tj ET"
    return _pdf_file([
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 400] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> "
        + page_extra + b" >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *objects,
    ])


def _field(key: bytes, value: bytes) -> bytes:
    """A text field (object 5, a widget on the page) with ``key`` set to ``value``."""
    return _pdf(b"/AcroForm << /Fields [5 0 R] >>", b"/Annots [5 0 R]",
                b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [0 0 10 10] /P 3 0 R " + key + b" "
                + value + b" >>")


PDF: dict[str, Callable[[], bytes]] = {
    "field tooltip /TU": lambda: _field(b"/TU", _lit(SPLIT)),
    "field tooltip /TU in UTF-16BE": lambda: _field(b"/TU", _utf16(SPLIT)),
    "field tooltip /TU through a reference": lambda: _pdf(
        b"/AcroForm << /Fields [5 0 R] >>", b"/Annots [5 0 R]",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (n) /Rect [0 0 10 10] /TU 6 0 R >>", _lit(SPLIT)),
    "field mapping name /TM": lambda: _field(b"/TM", _lit(SPLIT)),
    "field partial name /T of a parent": lambda: _pdf(
        b"/AcroForm << /Fields [6 0 R] >>", b"/Annots [5 0 R]",
        b"<< /Type /Annot /Subtype /Widget /Parent 6 0 R /Rect [0 0 10 10] >>",
        b"<< /FT /Tx /T " + _lit(SPLIT) + b" /Kids [5 0 R] >>"),
    "widget caption /MK /CA": lambda: _field(b"/FT /Btn /Ff 65536 /MK", b"<< /CA " + _lit(SPLIT) + b" >>"),
    "layer name /OCProperties /OCGs /Name": lambda: _pdf(
        b"/OCProperties << /OCGs [5 0 R] /D << /Order [5 0 R] >> >>", b"",
        b"<< /Type /OCG /Name " + _lit(SPLIT) + b" >>"),
    "embedded file description /Desc": lambda: _pdf(
        b"/Names << /EmbeddedFiles << /Names [(a.txt) 5 0 R] >> >>", b"",
        b"<< /Type /Filespec /F (a.txt) /UF (a.txt) /Desc " + _lit(SPLIT) + b" /EF << /F 6 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"),
    "embedded file name /UF": lambda: _pdf(
        b"/Names << /EmbeddedFiles << /Names [(a.txt) 5 0 R] >> >>", b"",
        b"<< /Type /Filespec /F (a.txt) /UF " + _utf16(SPLIT) + b" /EF << /F 6 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 5 >>\nstream\nhello\nendstream"),
    "annotation rich text /RC as a stream": lambda: _pdf(
        b"", b"/Annots [5 0 R]",
        b"<< /Type /Annot /Subtype /FreeText /Rect [0 0 90 90] /DA (/Helv 9 Tf) /RC 6 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(b"<body><p>" + SPLIT + b"</p></body>") + b"<body><p>" + SPLIT
        + b"</p></body>\nendstream"),
    "field value /V as a text stream": lambda: _pdf(
        b"/AcroForm << /Fields [5 0 R] >>", b"/Annots [5 0 R]",
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (n) /Rect [0 0 10 10] /V 6 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(zlib.compress(SPLIT)) + zlib.compress(SPLIT)
        + b"\nendstream"),
    "structure element /Alt": lambda: _pdf(
        b"/StructTreeRoot 5 0 R /MarkInfo << /Marked true >>", b"",
        b"<< /Type /StructTreeRoot /K [6 0 R] >>",
        b"<< /Type /StructElem /S /Figure /P 5 0 R /Alt " + _lit(SPLIT) + b" >>"),
}


@pytest.mark.parametrize("case", sorted(PDF))
def test_pdf_dictionary_text_is_read_as_text(detector, case: str) -> None:  # type: ignore[no-untyped-def]
    """atk22 R3: the string was read only as raw bytes (``bytes=...``, ``.../values``),
    where the SSN and the card, each over two lines, were dropped."""
    assert _judged(detector, PDF[case](), "form.pdf") >= WANTED, case


def test_pdf_strings_decode_as_pdfdocencoding() -> None:
    """``\\x85`` is an en dash in PDFDocEncoding (a viewer shows ``536–22–1234``), not a
    line end (NEL) as Latin-1 reads it."""
    from dlp_proxy.files.pdf import pdfdoc_text

    assert pdfdoc_text(b"536\x8522\x851234") == "536\u201322\u20131234"
    assert pdfdoc_text(b"\xfe\xff\x005\x003") == "53"
    assert pdfdoc_text(b"\xef\xbb\xbf53") == "53"
    ex = extract(_field(b"/TU", _lit(b"client SSN 536\x8522\x851234")), filename="f.pdf")
    assert any("536\u201322\u20131234" in s.text for s in ex.segments if s.location.startswith("dictionary="))


def test_a_clean_form_passes_and_a_signature_is_not_read(detector) -> None:  # type: ignore[no-untyped-def]
    """Radio buttons' kids named ``0`` ... ``9`` are objects of their own (never read
    joined into a number); a signature's ``/Contents`` (PKCS#7 bytes) is not read."""
    kids = b"".join(b"%d 0 R " % n for n in range(7, 17))
    objs = [b"<< /Type /Annot /Subtype /Widget /Parent 6 0 R /T (%d) /AS /Off /Rect [0 0 9 9] >>" % k
            for k in range(10)]
    data = _pdf(
        b"/AcroForm << /Fields [5 0 R 6 0 R] >>", b"/Annots [5 0 R " + kids + b"]",
        b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (sign here) /TU (Sign with your full name) /Rect [0 0 9 9] "
        b"/V << /Type /Sig /ByteRange [0 10 20 30] /Contents <" + b"3536323232" * 40 + b"> /Name (Jane Roe) >> >>",
        b"<< /FT /Btn /Ff 49152 /T (choice) /TU (Pick one of ten) /Kids [" + kids + b"] >>",
        *objs)
    ex = extract(data, filename="form.pdf")
    texts = [s for s in ex.segments if s.location.startswith("dictionary=")]
    assert any("Sign with your full name" in s.text for s in texts)
    assert not any("5622" in s.text for s in texts)
    assert not [f for s in ex.segments for f in detector.analyze(s.text) if f.entity_type in WANTED]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from([b"/TU", b"/T", b"/Name", b"/Opt", b"/Kids", b"/Parent", b"/Contents", b"/MK"]),
                max_size=6),
       st.lists(st.one_of(st.binary(max_size=24).map(_lit), st.integers(1, 12).map(lambda n: b"%d 0 R" % n),
                          st.just(b"[5 0 R (x) [(y)]]"), st.just(b"<< /CA (z) /Kids [5 0 R] >>")), max_size=6))
def test_hostile_dictionaries_never_break_the_walk(keys: list[bytes], values: list[bytes]) -> None:
    """Cycles (a field its own kid, ``/Parent`` loops), broken references, strings of any
    bytes: the walk ends and reads what it can."""
    body = b"<< " + b" ".join(k + b" " + v for k, v in zip(keys, values, strict=False)) + b" >>"
    extract(_pdf(b"/AcroForm << /Fields [5 0 R] >>", b"/Annots [5 0 R]", body, body), filename="x.pdf")


# -- R4: uuencoded blocks as GNU sharutils' uudecode reads them ------------------------------

SECRET = b"client SSN 536-22-1234 card 4111111111111111\n"


def _uu_char(n: int) -> bytes:
    return bytes([32 + n if n else 96])


def _uu_line(chunk: bytes, *, count: int | None = None, tail: bytes = b"") -> bytes:
    """One uuencoded line of ``chunk``, its length character saying ``count`` bytes."""
    data = b"".join(binascii.b2a_uu(chunk[i:i + 45])[1:-1] for i in range(0, len(chunk), 45))
    return _uu_char(len(chunk) if count is None else count) + data + tail + b"\n"


def _uu(payload: bytes, head: bytes = b"begin 644 c.txt", *, step: int = 45,
        line: Callable[[bytes], bytes] = _uu_line, last: bytes = b"`\nend\n") -> bytes:
    body = b"".join(line(payload[i:i + step]) for i in range(0, len(payload), step))
    return b"notes\n\n" + head + b"\n" + body + last


UU: dict[str, Callable[[], bytes]] = {
    # (on main: the header needed 3-4 mode digits and one space)
    "mode 0100644": lambda: _uu(SECRET * 3, b"begin 0100644 c.txt"),
    "mode 7, two blanks": lambda: _uu(SECRET * 3, b"begin  7  c.txt"),
    # sharutils decodes what the length character says and ignores the rest of the line
    "padded lines": lambda: _uu(SECRET * 3, line=lambda c: _uu_line(c, tail=b"PADDINGPADDING")),
    "trailing blanks": lambda: _uu(SECRET * 3, line=lambda c: _uu_line(c, tail=b"      ")),
    # each line holds 48 bytes; its length character says 45: the 3 last are not output
    "length under the data": lambda: _uu(
        b"".join(SECRET[i:i + 45].ljust(45, b" ") + b"\xff\xfe\xfd" for i in range(0, len(SECRET) * 3, 45)),
        line=lambda c: _uu_line(c, count=min(45, len(c))), step=48),
    # a blank line before the terminator is decoded as data by sharutils (garbage at the
    # end), after the text
    "no backquote line, a blank one": lambda: _uu(SECRET * 3, last=b"\n \nend\n"),
    "base64 lines with trailing blanks": lambda: b"x\nbegin-base64 644 c.txt\n" + b"".join(
        line + b"   \n" for line in base64.encodebytes(SECRET * 3).splitlines()) + b"====\n",
    "base64 quads across lines": lambda: b"x\nbegin-base64 644 c.txt\n" + b"\n".join(
        base64.b64encode(SECRET * 3)[i:i + 30] for i in range(0, 200, 30)) + b"\n====\n",
}


@pytest.mark.parametrize("case", sorted(UU))
def test_uuencoded_blocks_are_read_as_sharutils_reads_them(detector, case: str) -> None:  # type: ignore[no-untyped-def]
    """atk22 R4: the reader stopped at what sharutils' ``uudecode`` reads on past."""
    assert _judged(detector, UU[case](), "notes.txt") >= WANTED, case


def test_uudecode_is_sharutils_faithful() -> None:
    """What ``read_stduu`` outputs: the length character's count of bytes, a backquote or
    a space as zero; a line that says more than it holds takes the rest from ``fgets``'s
    buffer (its newline, a NUL, an earlier longer line's bytes)."""
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget, Limits
    from dlp_proxy.files.plain import _uu_readings

    ctx = Ctx(Budget(Limits()))
    enc = binascii.b2a_uu(b"abcdefghi")  # "):6)C9&5F9VAI\n"
    faithful, lenient, well = _uu_readings(enc + b"`\nend\n", 0, ctx)
    assert faithful == lenient == b"abcdefghi" and well
    # says 3 bytes, holds 9: sharutils gives 3
    faithful, lenient, well = _uu_readings(b"#" + enc[1:] + b" \nend\n", 0, ctx)
    assert faithful == lenient == b"abc" and not well
    # a long line, then a short one that says 6 bytes and holds 3 ("#" + 4 characters):
    # the missing characters come from the buffer: "\n", NUL, then the long line's bytes
    short = binascii.b2a_uu(b"xyz")[1:5]
    faithful, lenient, _ = _uu_readings(enc + b"&" + short + b"\n`\nend\n", 0, ctx)
    assert lenient == b"abcdefghixyz"
    stale = bytearray(b"&" + short + b"\n\0" + enc[7:])
    assert faithful == b"abcdefghi" + binascii.a2b_uu(bytes(stale[:9]).translate(
        bytes(32 + ((b - 32) & 63) for b in range(256))))


def test_prose_that_looks_like_a_header_is_not_held(detector) -> None:  # type: ignore[no-untyped-def]
    """``begin 2 weeks ...`` is a header to sharutils (mode 2, name ``weeks ...``), and the
    prose after it decodes to noise: read by its printable runs, not held as a binary,
    nothing found."""
    data = (b"plan\nbegin 2 weeks from now, then review\nwe meet on tuesdays at 10\n"
            b"nothing else to report\n    indented line\nend\n")
    ex = extract(data, filename="plan.txt")
    assert ex.complete, ex.problems
    assert _judged(detector, data, "plan.txt") & WANTED == set()


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([b"begin 0100644 a\n", b"begin-base64 7 b\r\n", b"begin 5 \n"]),
       st.sampled_from([b"\nend\n", b"\n====\n", b""]))
def test_hostile_blocks_never_break_the_sharutils_reading(body: bytes, head: bytes, tail: bytes) -> None:
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget, Limits
    from dlp_proxy.files.plain import uudecoded

    uudecoded(b"notes\n" + head + body + tail, Ctx(Budget(Limits())))


# -- PNG and WebP metadata after junk bytes ---------------------------------------------------


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png(*after_idat: bytes) -> bytes:
    """A white 1x1 PNG with ``after_idat`` between its IDAT and its IEND."""
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + b"".join(after_idat)
            + _png_chunk(b"IEND", b""))


def _webp(*chunks: bytes) -> bytes:
    """A white lossy WebP with ``chunks`` (raw bytes) after its image chunk."""
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(out, "WEBP")
    riff = out.getvalue()[12:] + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(riff)) + b"WEBP" + riff


def _webp_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b"")


JUNK = b"\x00\x01junk!\x07"
IMAGES: dict[str, Callable[[], bytes]] = {
    "png tEXt after junk": lambda: _png(JUNK, _png_chunk(b"tEXt", b"Comment\x00" + SPLIT)),
    "png zTXt after junk": lambda: _png(JUNK, _png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(SPLIT))),
    "png tEXt with a bad CRC after junk": lambda: _png(JUNK, _png_chunk(b"tEXt", b"Comment\x00" + SPLIT)[:-4] + b"\0" * 4),
    "png zTXt inside a decoy chunk after junk": lambda: _png(
        JUNK + b"\x00\x00\x01\x00tEXtdecoy\x00", _png_chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(SPLIT)),
        b"\x00" * 300),
    "png chunk whose type is no letters, then iTXt": lambda: _png(
        _png_chunk(b"\x01\x02\x03\x04", b"x" * 8), _png_chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00" + SPLIT)),
    "webp XMP after junk": lambda: _webp(JUNK, _webp_chunk(b"XMP ", b"<x:xmpmeta>" + SPLIT + b"</x:xmpmeta>")),
    "webp XMP after a chunk whose size runs past the end": lambda: _webp(
        b"ABCD" + struct.pack("<I", 1 << 30), _webp_chunk(b"XMP ", SPLIT)),
}


@pytest.mark.parametrize("case", sorted(IMAGES))
def test_image_metadata_after_junk_is_read(detector, case: str) -> None:  # type: ignore[no-untyped-def]
    """The walker stopped at bytes that start no chunk; the text chunk after them was read
    only as raw bytes, where a number written over two lines is dropped."""
    assert _judged(detector, IMAGES[case](), "picture.png") >= WANTED, case


def test_clean_pictures_with_junk_pass(detector) -> None:  # type: ignore[no-untyped-def]
    for data in (_png(JUNK, _png_chunk(b"tEXt", b"Comment\x00lake shore, 2019")),
                 _webp(JUNK, _webp_chunk(b"XMP ", b"<x:xmpmeta>lake shore, 2019</x:xmpmeta>"))):
        ex = extract(data, filename="lake.png")
        assert any("lake shore" in s.text for s in ex.segments if s.location == "metadata")
        assert not [f for s in ex.segments for f in detector.analyze(s.text) if f.entity_type in WANTED]


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=200), st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"EXIF", b"XMP ", b"ICCP"]),
       st.binary(max_size=64))
def test_hostile_junk_never_breaks_the_walk(junk: bytes, kind: bytes, body: bytes) -> None:
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.imagemeta import container_texts
    from dlp_proxy.files.limits import Budget, Limits

    chunk = _png_chunk(kind, body) if kind.islower() or kind[:1].islower() else _webp_chunk(kind, body)
    for data in (_png(junk, chunk, junk), _webp(junk, chunk, junk)):
        for cut in (len(data), len(data) - 3, len(data) // 2):
            container_texts(data[:cut], Ctx(Budget(Limits())))


# -- through the gateway ------------------------------------------------------------------

STOPPED: dict[str, tuple[Callable[[], bytes], str]] = {
    "pdf-tooltip": (PDF["field tooltip /TU"], "form.pdf"),
    "pdf-layer-name": (PDF["layer name /OCProperties /OCGs /Name"], "plan.pdf"),
    "uu-padded": (UU["padded lines"], "notes.txt"),
    "png-text-after-junk": (IMAGES["png tEXt after junk"], "lake.png"),
}
PASSED: dict[str, tuple[Callable[[], bytes], str]] = {
    "pdf-clean-tooltip": (lambda: _field(b"/TU", _lit(b"Enter the client's\nfull name")), "form.pdf"),
    "uu-clean-padded": (lambda: _uu(b"minutes of the tuesday meeting\n" * 3,
                                    line=lambda c: _uu_line(c, tail=b"PADDING")), "notes.txt"),
    "prose-begin": (lambda: b"plan\nbegin 2 weeks from now\nwe meet on tuesdays\n", "plan.txt"),
}


def _upload(gw, data: bytes, name: str):  # type: ignore[no-untyped-def]
    import httpx

    return httpx.post(
        f"{gw.url}/api/v4/files",
        headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
        data={"channel_id": gw.sim.channel("town_square")},
        files={"files": (name, data)},
        timeout=120,
    )


def _stored(gw, data: bytes) -> bool:  # type: ignore[no-untyped-def]
    return any(data in base64.b64decode(r.get("body_b64") or "")
               for r in gw.sim.requests() if r["path"] == "/api/v4/files")


@pytest.mark.parametrize("case", sorted(STOPPED))
def test_each_class_is_stopped_at_the_gateway(gateway, case: str) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import STOPPED_IDS

    make, name = STOPPED[case]
    data = make()
    gateway.sim.clear()
    r = _upload(gateway, data, name)
    assert r.status_code == 403 and r.json()["id"] in STOPPED_IDS, r.text
    assert not _stored(gateway, data)


@pytest.mark.parametrize("case", sorted(PASSED))
def test_clean_look_alikes_are_forwarded(gateway, case: str) -> None:  # type: ignore[no-untyped-def]
    make, name = PASSED[case]
    data = make()
    gateway.sim.clear()
    r = _upload(gateway, data, name)
    assert r.status_code == 201, r.text
    assert _stored(gateway, data)
