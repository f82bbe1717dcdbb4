"""File type by content (magic bytes and structure), never by name or declared MIME type."""

from __future__ import annotations

import io
import lzma
import re
import zipfile
import zlib

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names are UTF-16LE in the CFB directory; an OOXML file encrypted with a
# password ("Encrypt with Password" in Office) is a CFB holding these two streams.
_CFB_ENCRYPTED_MARKERS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)

# ISO base media files whose major brand is HEIF/HEIC/AVIF (iPhone photos and screenshots)
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1",
                          b"avif", b"avis"})

_UNSUPPORTED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x7fELF", "elf"),
    (b"MZ", "exe"),
    (b"\x00\x00\x00\x0cjP  ", "jpeg2000"),
    (b"\x1a\x45\xdf\xa3", "matroska"),
    (b"OggS", "ogg"),
    (b"ID3", "mp3"),
    (b"fLaC", "flac"),
    (b"SQLite format 3\x00", "sqlite"),
)

_EML_HEADERS = re.compile(
    rb"^(from|to|cc|subject|date|received|return-path|message-id|mime-version|delivered-to|"
    rb"reply-to|x-[a-z0-9-]+|content-type|sender|dkim-signature|authentication-results|"
    rb"thread-topic|thread-index|in-reply-to|references|content-transfer-encoding|content-disposition):",
    re.IGNORECASE,
)
#: a body transfer encoding: the header alone makes a header block a mail message (a
#: mail client shows the body decoded)
_EML_ENCODED = re.compile(rb"^content-transfer-encoding:[ \t]*(?:quoted-printable|base64)[ \t]*$", re.IGNORECASE)


def sniff(data: bytes) -> str:
    """The primary type of ``data``.

    Document types: ``pdf``, ``docx``, ``xlsx``, ``pptx``, ``odt``, ``ods``, ``odp``,
    ``ooxml`` (an OOXML package of another kind), ``zip``, ``tar``, ``gzip``, ``bzip2``,
    ``xz``, ``lzma`` (raw LZMA), ``zstd``, ``compress`` (Unix .Z), ``zlib`` (raw zlib), ``rtf``, ``eml``, ``cfb-encrypted`` (password-protected Office file),
    ``cfb`` (legacy .doc/.xls/.ppt/.msg), ``png``/``jpeg``/... (images), ``text``,
    ``binary`` (nothing recognised) or an unsupported kind (``7z``, ``rar``, ...).
    """
    head = data[:1024]
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return zip_kind(data)
    if data.startswith(CFB_MAGIC):
        window = data[: 1 << 20]
        if any(m in window for m in _CFB_ENCRYPTED_MARKERS):
            return "cfb-encrypted"
        return "cfb"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith(b"BZh") and len(data) > 3 and data[3:4].isdigit():
        return "bzip2"
    if data.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if data.startswith(b"\x28\xb5\x2f\xfd") or (data[1:4] == b"\x2a\x4d\x18" and 0x50 <= data[0] <= 0x5F):
        return "zstd"  # a frame, or a skippable frame first (RFC 8878)
    if data.startswith(b"\x1f\x9d") and len(data) >= 3 and not data[2] & 0x60 and 9 <= data[2] & 0x1F <= 16:
        return "compress"  # Unix compress, .Z
    if len(data) >= 262 and data[257:262] == b"ustar":
        return "tar"
    for magic, kind in _IMAGE_MAGIC:
        if data.startswith(magic):
            return kind
    if data.startswith(b"BM") and len(data) > 26 and data[14:15] in (b"\x0c", b"(", b"@", b"l", b"|"):
        return "bmp"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "heic"
    for magic, kind in _UNSUPPORTED_MAGIC:
        if data.startswith(magic):
            return kind
    # Netpbm (P1-P7) and X bitmaps (C source): images every Linux viewer shows
    if re.match(rb"P[1-6](?:\s+|#[^\n]*\n)+\d+(?:\s+|#[^\n]*\n)+\d+\s", head):
        return "pnm"
    if re.match(rb"\s*(/\*.*?\*/\s*)?#define\s+\S*width\s+\d+", head, re.DOTALL):
        return "xbm"
    # PostScript / EPS is a program: drawn only by an interpreter the gateway does not run
    if data.startswith((b"%!PS", b"\xc5\xd0\xd3\xc6")):
        return "postscript"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{\\rtf"):
        return "rtf"
    # PDF readers accept the header anywhere in the first 1024 bytes.
    if b"%PDF-" in head:
        return "pdf"
    if _looks_like_eml(data):
        return "eml"
    if zipfile.is_zipfile(io.BytesIO(data)):
        # A ZIP whose central directory is found at the end but which does not start
        # with a local header: self-extracting archives, or prepended junk.
        return "zip"
    # streams without magic, after every type that has one
    if _lzma_alone(data):
        return "lzma"
    if _zlib(data):
        return "zlib"
    return "text-or-binary"


#: bytes of a stream without magic (raw LZMA, zlib) decoded to tell it from other files
_TRIAL_BYTES = 4096


def _lzma_alone(data: bytes) -> bool:
    """A raw LZMA stream (``.lzma``, ``xz --format=lzma``, LZMA SDK): a properties byte
    (lc + lp * 9 + pb * 45 < 225), a dictionary size of 2^n or 2^n + 2^(n-1), and an
    uncompressed size that is unknown (all ones) or under 256 GiB, as liblzma's picky
    reader (``xz --format=auto``) checks; then the first bytes must decode.  No text
    starts so (bytes 10-12 of the size are zero)."""
    if len(data) < 14 or data[0] >= 225:
        return False
    size = int.from_bytes(data[5:13], "little")
    if size != (1 << 64) - 1 and size >= 1 << 38:
        return False
    dict_size = int.from_bytes(data[1:5], "little")
    low = dict_size & -dict_size  # lowest set bit
    if dict_size == 0 or dict_size not in (low, low * 3):
        return False
    return _trial(lzma.LZMADecompressor(format=lzma.FORMAT_ALONE), data)


def _zlib(data: bytes) -> bool:
    """A raw zlib stream (RFC 1950: ``zlib.compress``, ``.zz``, ``qpdf --qdf`` ...): a
    deflate header whose check bits hold, no preset dictionary, and a start that inflates
    (a text starting ``x^`` does not)."""
    if len(data) < 8 or data[0] & 0x0F != 8 or data[0] >> 4 > 7 or data[1] & 0x20:
        return False
    if (data[0] << 8 | data[1]) % 31:
        return False
    return _trial(zlib.decompressobj(), data)


def _trial(d: object, data: bytes) -> bool:
    """Whether the first bytes decode without error (a stream this short must end)."""
    piece = data[:_TRIAL_BYTES]
    try:
        d.decompress(piece, 1 << 20)  # type: ignore[attr-defined]
    except (lzma.LZMAError, zlib.error, EOFError):
        return False
    return len(data) > _TRIAL_BYTES or bool(d.eof)  # type: ignore[attr-defined]


def zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:5000])
            if "mimetype" in names:
                try:
                    mimetype = zf.read("mimetype")[:100].decode("ascii", "replace").strip()
                except Exception:
                    mimetype = ""
                if mimetype.startswith("application/vnd.oasis.opendocument."):
                    sub = mimetype.rsplit(".", 1)[-1]
                    return {"text": "odt", "spreadsheet": "ods", "presentation": "odp"}.get(sub, "odf")
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    return "docx"
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "ppt/presentation.xml" in names:
                    return "pptx"
                return "ooxml"
    except Exception:
        return "zip"  # the zip extractor reports the corruption
    return "zip"


def _looks_like_eml(data: bytes) -> bool:
    lines = data[:4096].split(b"\n", 20)[:20]
    hits = 0
    for line in lines:
        line = line.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            continue  # folded header continuation
        if _EML_ENCODED.match(line):
            hits += 2
        elif _EML_HEADERS.match(line):
            hits += 1
        elif not re.match(rb"^[!-9;-~]+:", line):
            return False
    return hits >= 2


def pillow_format(data: bytes) -> str:
    """The format name when Pillow opens ``data`` as a raster (ICO, TGA, PCX, DDS, SGI,
    QOI, ...), else "" (the header only: the pixels are decoded by ``extract_image``)."""
    try:
        from PIL import Image

        img = Image.open(io.BytesIO(data))
        width, height = img.size
        return str(img.format or "") if width > 0 and height > 0 else ""
    except Exception:
        return ""


#: "image": a raster only Pillow recognised (``pillow_format``)
IMAGE_TYPES = frozenset({"image", "png", "jpeg", "gif", "tiff", "bmp", "webp", "heic", "pnm", "xbm"})
