"""Identifiers hidden as text in a file's bytes, and clean pictures whose pixel bytes
read as digits: the two sides of the raw reading (dlp_proxy/files/rawread.py).

``hidden_cases()``: every carrier (bytes after a PNG's IEND or a JPEG's EOI, a JPEG
comment, an EXIF field, a GIF extension, a BMP's pixel array, a WebP chunk, a ZIP
comment or extra field, a PDF object no page uses, an RTF data group...) times every
writing (bare, labelled, in JSON or CSV, grouped or in one piece) of an SSN, a card
number, an IBAN and a bank account; each with the entity the gateway must stop it for.
``clean_pictures()``: uncompressed pictures (BMP, TIFF, PPM-like) whose pixel bytes
fall in the ASCII digit range (dark-theme greys, gradients, digit-coloured pixels laid
out in pairs or spaced, a PNG stored without compression), with no text written in them.
Every identifier is synthetic (tests use the 536-22-xxxx SSN range and test cards).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator

SSN = "536-22-8710"
CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"

#: (name, text, entity it must be stopped for)
WRITINGS: list[tuple[str, str, str]] = [
    ("ssn-bare", SSN, "US_SSN"),
    ("ssn-spaced-groups", "536 22 8710", "US_SSN"),
    ("ssn-labelled", f"client SSN: {SSN}", "US_SSN"),
    ("ssn-label-above", f"Client SSN\n{SSN}", "US_SSN"),
    ("ssn-one-piece-labelled", "SSN 536228710", "US_SSN"),
    ("ssn-glued-label", f"SSN{SSN}", "US_SSN"),
    ("ssn-json", f'{{"a":"{SSN}"}}', "US_SSN"),
    ("ssn-csv", f"J. Doe,{SSN},4111111111111111,2026-01-02", "US_SSN"),
    ("ssn-digits-spaced-labelled", "SSN 5 3 6 2 2 8 7 1 0", "US_SSN"),
    ("card-grouped", CARD, "CREDIT_CARD"),
    ("card-one-piece", "5500000000000004", "CREDIT_CARD"),
    ("card-dashed-labelled", "card 5500-0000-0000-0004 exp 12/27", "CREDIT_CARD"),
    ("card-amex", "3782 822463 10005", "CREDIT_CARD"),
    ("iban-grouped", IBAN, "IBAN_CODE"),
    ("iban-compact", IBAN.replace(" ", ""), "IBAN_CODE"),
    ("iban-labelled", "IBAN: DE89 3704 0044 0532 0130 00", "IBAN_CODE"),
    ("account-labelled", "checking account 12345678901", "US_BANK_NUMBER"),
]


def _png(size: int = 8) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


def _image(fmt: str, mode: str = "RGB", **kw: object) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, (16, 16), 90 if mode in ("L", "P") else (40, 90, 160)).save(out, fmt, **kw)
    return out.getvalue()


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _blocks(payload: bytes) -> bytes:
    return (
        b"".join(
            bytes([len(payload[i : i + 255])]) + payload[i : i + 255] for i in range(0, len(payload), 255)
        )
        + b"\0"
    )


def _jpeg_exif(text: bytes) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (16, 16), (40, 90, 160))
    exif = img.getexif()
    exif[0x010E] = text.decode()  # ImageDescription
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _bmp_in_pixels(text: bytes) -> bytes:
    data = bytearray(_dark_screen("BMP", 64, 32))
    at = int.from_bytes(data[10:14], "little") + 1000
    data[at : at + len(text)] = text
    return bytes(data)


def _pdf(objs: list[bytes]) -> bytes:
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)


_CONTENT = b"BT /F1 12 Tf 10 10 Td (Quarterly notes) Tj ET"


def _pdf_with(extra: bytes) -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Resources << /Font << /F1 "
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(_CONTENT) + _CONTENT + b"\nendstream",
            extra,
        ]
    )


def _pdf_string(text: bytes) -> bytes:
    return (
        b"("
        + text.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\n", b"\\n")
        + b")"
    )


def _zip(comment: bytes = b"", extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("notes.txt")
        info.extra = extra
        z.writestr(info, b"Quarterly notes, nothing else.\n")
        z.comment = comment
    return out.getvalue()


def carriers(text: str) -> Iterator[tuple[str, str, bytes]]:
    """(carrier, file name, file) for ``text`` hidden as text in each carrier."""
    raw = text.encode()
    line = b"\n" + raw + b"\n"
    png = _png()
    yield "png-after-iend", "shot.png", png + line
    yield "png-private-chunk", "shot.png", png[:-12] + _chunk(b"prVt", raw) + png[-12:]
    jpeg = _image("JPEG")
    yield (
        "jpeg-comment",
        "photo.jpg",
        jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(raw) + 2) + raw + jpeg[2:],
    )
    yield "jpeg-exif", "photo.jpg", _jpeg_exif(raw)
    yield "jpeg-after-eoi", "photo.jpg", jpeg + line
    gif = _image("GIF", "P")
    yield "gif-after-trailer", "anim.gif", gif + line
    yield "gif-app-extension", "anim.gif", gif[:-1] + b"\x21\xff\x0bXMPDataXMP" + _blocks(line) + b";"
    yield "bmp-after-pixels", "shot.bmp", _image("BMP") + line
    yield "bmp-in-pixels", "shot.bmp", _bmp_in_pixels(b"\x00" + raw + b"\x00")
    webp = _image("WEBP")
    chunk = b"ZZZZ" + len(line).to_bytes(4, "little") + line + (b"\0" if len(line) % 2 else b"")
    yield (
        "webp-unknown-chunk",
        "shot.webp",
        webp[:4] + (len(webp) - 8 + len(chunk)).to_bytes(4, "little") + webp[8:] + chunk,
    )
    yield "tiff-after-data", "scan.tif", _image("TIFF") + line
    yield "zip-comment", "notes.zip", _zip(comment=raw)
    yield "zip-extra", "notes.zip", _zip(extra=b"\x99\x99" + len(raw).to_bytes(2, "little") + raw)
    yield "pdf-unused-object", "report.pdf", _pdf_with(b"<< /Note " + _pdf_string(raw) + b" >>")
    yield (
        "pdf-comment",
        "report.pdf",
        _pdf_with(b"<< >>").replace(b"%PDF-1.4\n", b"%PDF-1.4\n%" + raw.replace(b"\n", b" ") + b"\n"),
    )
    yield (
        "rtf-datastore",
        "memo.rtf",
        b"{\\rtf1\\ansi hello {\\*\\datastore " + raw.hex().encode() + b"} world}",
    )
    yield (
        "binary-blob",
        "data.bin",
        bytes(range(256)) * 4 + b"\x00" + raw + b"\x00" + bytes(range(255, -1, -1)) * 4,
    )


def hidden_cases() -> Iterator[tuple[str, str, str, bytes, str]]:
    """(carrier, writing, file name, file, entity) for every carrier and writing."""
    for writing, text, entity in WRITINGS:
        for carrier, name, data in carriers(text):
            yield carrier, writing, name, data, entity


# -- clean pictures whose pixel bytes read as digits ----------------------------------------------------


def _dark_screen(fmt: str, width: int = 640, height: int = 360) -> bytes:
    """A dark-theme chat screen: greys around RGB(54, 57, 63) ('6', '9', '?' as bytes) with
    bars and blocks of other greys in the digit range; no text."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (54, 57, 63))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, width // 5, height), fill=(47, 49, 54))
    for i in range(0, height, 24):
        d.rectangle((width // 4, i + 4, width - 20, i + 14), fill=(49 + i % 7, 50 + i % 5, 52 + i % 3))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def _gradient(fmt: str, mode: str = "L") -> bytes:
    """Horizontal and vertical ramps: every byte value, digits included, in order."""
    from PIL import Image

    img = Image.new(mode, (256, 64))
    px = img.load()
    assert px is not None
    for x in range(256):
        for y in range(64):
            px[x, y] = x if mode == "L" else (x, (x + y) % 256, y * 4)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def digit_pixels(layout: str, fmt: str = "BMP") -> bytes:
    """A dark greyscale picture (pixel value 32, a blank as a byte) with a few pixels of
    the values of ASCII digits, laid out so the pixel bytes read as an identifier's
    digits as a binary's data gives them (a PostScript matrix, a font's widths):
    ``pairs``, a test card number's digits in pairs (``41 11 11 11 ...``); ``spaced``, an
    SSN's nine digits one pixel apart (``5 3 6 2 2 8 7 1 0``).  No text is drawn in it."""
    from PIL import Image

    if layout == "pairs":
        width, rows = 24, [b"41 11 11 11 11 11 11 11"]
    else:
        width, rows = 20, [b" ".join(bytes([c]) for c in b"536228710")]
    img = Image.new("L", (width, len(rows) + 2), 32)
    px = img.load()
    assert px is not None
    order = list(reversed(range(len(rows)))) if fmt == "BMP" else list(range(len(rows)))  # BMP rows bottom-up
    for y, piece in zip(order, rows, strict=True):
        for x, value in enumerate(piece):
            px[x, 1 + y] = value
    if fmt == "PNG":
        return stored_png(img.tobytes(), width, img.height)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def stored_png(pixels: bytes, width: int, height: int) -> bytes:
    """A greyscale PNG whose rows are stored as they are (filter None, deflate level 0),
    as some screenshot tools and encoders write: its pixel bytes stand in the file."""
    rows = b"".join(b"\x00" + pixels[y * width : (y + 1) * width] for y in range(height))
    head = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", head)
        + _chunk(b"IDAT", zlib.compress(rows, 0))
        + _chunk(b"IEND", b"")
    )


def clean_pictures() -> Iterator[tuple[str, bytes]]:
    """(name, file) of clean uncompressed pictures whose bytes read as digits."""
    for fmt, ext in (("BMP", "bmp"), ("TIFF", "tif"), ("PNG", "png"), ("ICO", "ico")):
        yield f"dark-screen.{ext}", _dark_screen(fmt, 128, 128) if fmt == "ICO" else _dark_screen(fmt)
        yield f"ramp-grey.{ext}", _gradient(fmt)
        if fmt != "ICO":
            yield f"ramp-rgb.{ext}", _gradient(fmt, "RGB")
    for layout in ("pairs", "spaced"):
        yield f"digit-pixels-{layout}.bmp", digit_pixels(layout)
        yield f"digit-pixels-{layout}.tif", digit_pixels(layout, "TIFF")
        yield f"digit-pixels-{layout}.png", digit_pixels(layout, "PNG")
