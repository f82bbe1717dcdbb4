"""The text an image file's metadata containers hold, each read as a standard reader
shows it (Pillow's ``Image.text``, exiftool, ``identify -verbose``, a viewer's
metadata panel), compressed ones inflated (bounded).

Pillow's ``img.info`` is a partial view: a PNG's text chunks after IDAT appear only
once the pixels are loaded, and the ICC profile is a binary whose text tags nobody
reads (attack pass 21p, F1).  So the containers are walked here, in the file's bytes:

- PNG: every chunk up to IEND (``png_texts``): ``tEXt``, ``zTXt`` and ``iTXt``
  (compressed or not) wherever they are, ``eXIf``, ``iCCP`` (the profile inflated,
  then its text tags: ``icc_texts``);
- JPEG: ``COM``, APP1 EXIF and XMP, the Extended XMP chunks joined by their offsets,
  the APP2 ``ICC_PROFILE`` chunks joined by their sequence numbers (an identifier split
  across two segments is read whole), APP13 (Photoshop, IPTC) by its printable runs
  that may hold an identifier (``text.identifier_runs``, as every binary span is);
- GIF: every comment, application (XMP, ICC profile) and plain-text extension, its
  sub-blocks joined, wherever it is among the frames;
- WebP: the RIFF ``EXIF``, ``XMP `` and ``ICCP`` chunks;
- any format Pillow opens (TIFF, HEIC...): ``img.info``'s strings, XMP, EXIF and ICC
  profile (``extract_metadata`` in images.py).

A compressed container that does not inflate is ``corrupt``; one over the per-container
cap (``MAX_CONTAINER_BYTES``), the file's uncompressed budget or the ratio limit is
``size-limit`` / ``zip-bomb``: the file is held, never "no text".
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.bounded import READ_CHUNK, Bomb, TooBig, caps, check_ratio
from dlp_proxy.files.text import identifier_runs

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: bytes one metadata container inflates to at most (Pillow's own cap on a PNG text chunk
#: is 1 MiB; exiftool shows more); over it: ``size-limit``
MAX_CONTAINER_BYTES = 16 << 20
#: chunks, segments or blocks walked in one file at most (time checked every 4096)
MAX_BLOCKS = 1 << 20
#: ICC profile tags read at most
MAX_ICC_TAGS = 1024

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Texts:
    """The texts found so far and the problems met (the caller adds both)."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.parts: list[str] = []
        self.blocks = 0

    def add(self, text: str) -> None:
        text = text.replace("\x00", " ").strip()
        if text:
            self.parts.append(text)

    def step(self) -> bool:
        """Count one block; False past ``MAX_BLOCKS`` (``corrupt``: the rest is unread)."""
        self.blocks += 1
        if self.blocks > MAX_BLOCKS:
            self.ctx.problem("corrupt", "metadata")
            return False
        if self.blocks % 4096 == 0:
            self.ctx.budget.check_time()
        return True

    def inflate(self, raw: bytes, wbits: int = zlib.MAX_WBITS) -> bytes | None:
        """``raw`` inflated within the caps, or None with the problem recorded."""
        ctx = self.ctx
        cap = min(caps(ctx), MAX_CONTAINER_BYTES)
        d = zlib.decompressobj(wbits)
        out = bytearray()
        try:
            for pos in range(0, len(raw), READ_CHUNK):
                ctx.budget.check_time()
                out += d.decompress(raw[pos : pos + READ_CHUNK], cap + 1 - len(out))
                if len(out) > cap or d.unconsumed_tail:
                    raise TooBig()
                check_ratio(ctx, len(out), pos + READ_CHUNK)
                if d.eof:
                    break
            if not d.eof:
                out += d.flush()
                if len(out) > cap:
                    raise TooBig()
                self.add(_decoded(bytes(out)))  # what a reader shows of a cut stream
                ctx.problem("corrupt", "metadata")
                return None
        except TooBig:
            ctx.problem("size-limit", "metadata")
            return None
        except Bomb:
            ctx.problem("zip-bomb", "metadata")
            return None
        except zlib.error:
            self.add(_decoded(bytes(out)))
            ctx.problem("corrupt", "metadata")
            return None
        ctx.budget.uncompressed += len(out)
        return bytes(out)


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


# -- ICC profiles ---------------------------------------------------------------------


def icc_texts(profile: bytes, out: Texts) -> None:
    """The text tags of an ICC profile (``desc``, ``cprt``, ``dmnd``, ``dmdd``, ``vued``...,
    whatever their signature): ``textDescriptionType`` (ASCII and Unicode), ``textType``,
    ``multiLocalizedUnicodeType`` (every record), iccMAX ``utf8``/``ut16`` and ``zut8``
    (deflated UTF-8); then the profile's printable runs that may hold an identifier
    (UTF-8, UTF-16 either order: ``text.identifier_runs``), for any other tag type's text."""
    if len(profile) >= 132:
        count = min(int.from_bytes(profile[128:132], "big"), MAX_ICC_TAGS)
        for n in range(count):
            at = 132 + 12 * n
            if at + 12 > len(profile):
                break
            offset, size = struct.unpack(">II", profile[at + 4 : at + 12])
            _icc_tag(profile[offset : offset + size], out)
    out.add(identifier_runs(profile))


def _icc_tag(tag: bytes, out: Texts) -> None:
    kind = tag[:4]
    if kind == b"desc" and len(tag) >= 12:
        n = int.from_bytes(tag[8:12], "big")
        out.add(tag[12 : 12 + n].decode("latin-1"))
        at = 12 + n
        if at + 8 <= len(tag):
            m = int.from_bytes(tag[at + 4 : at + 8], "big")
            out.add(tag[at + 8 : at + 8 + 2 * m].decode("utf-16-be", "replace"))
    elif kind == b"text":
        out.add(tag[8:].decode("latin-1"))
    elif kind == b"mluc" and len(tag) >= 16:
        records, size = struct.unpack(">II", tag[8:16])
        for r in range(min(records, MAX_ICC_TAGS)):
            at = 16 + r * max(size, 12)
            if at + 12 > len(tag):
                break
            length, offset = struct.unpack(">II", tag[at + 4 : at + 12])
            out.add(tag[offset : offset + length].decode("utf-16-be", "replace"))
    elif kind == b"utf8":
        out.add(tag[8:].decode("utf-8", "replace"))
    elif kind == b"ut16":
        out.add(tag[8:].decode("utf-16-be", "replace"))
    elif kind == b"zut8":
        inflated = out.inflate(tag[8:])
        if inflated is not None:
            out.add(inflated.decode("utf-8", "replace"))


# -- EXIF and XMP ------------------------------------------------------------------------

#: EXIF tags Windows writes in UTF-16LE (XPTitle, XPComment, XPAuthor, XPKeywords, XPSubject)
_XP_TAGS = (0x9C9B, 0x9C9C, 0x9C9D, 0x9C9E, 0x9C9F)
#: IFDs read besides IFD0: Exif, GPS, Interoperability
_SUB_IFDS = (0x8769, 0x8825, 0xA005)


def exif_texts(exif: Any, out: Texts) -> None:
    """The strings of a Pillow ``Exif``: IFD0 and its Exif, GPS and Interop IFDs; the
    ``XP*`` tags as UTF-16LE, ``UserComment`` by its character code (``UNICODE``: UTF-16)."""
    items: list[tuple[int, Any]] = list(exif.items())
    for ifd in _SUB_IFDS:
        try:
            items += list(exif.get_ifd(ifd).items())
        except Exception:  # noqa: S112 - a broken sub-IFD: the others are read
            continue
    for tag, value in items:
        if isinstance(value, bytes):
            if tag in _XP_TAGS:
                value = value.decode("utf-16-le", "replace")
            elif tag == 0x9286 and value[:8] == b"UNICODE\x00":
                body = value[8:]
                value = body.decode("utf-16-be" if body[:1] == b"\x00" else "utf-16-le", "replace")
            else:
                value = value[8:] if tag == 0x9286 else value
                value = _decoded(value)
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            value = " ".join(value)
        if isinstance(value, str):
            out.add(value)


def exif_payload(payload: bytes, out: Texts) -> None:
    """An EXIF block as stored (``Exif\\0\\0`` and a TIFF header, or the header alone)."""
    from PIL import Image

    exif = Image.Exif()
    try:
        exif.load(payload if payload[:6] == b"Exif\x00\x00" else b"Exif\x00\x00" + payload)
        exif_texts(exif, out)
    except Exception:  # noqa: S110 - a broken EXIF block: its runs are read below
        pass
    out.add(identifier_runs(payload))


# -- PNG ---------------------------------------------------------------------------------


#: a PNG chunk's type: four ASCII letters (libpng's ``png_check_chunk_name``)
_PNG_TYPE = re.compile(rb"[A-Za-z]{4}")
#: the type of a chunk that holds text, found after bytes that start no chunk
_PNG_META = re.compile(rb"tEXt|zTXt|iTXt|iCCP|eXIf")
#: PNG chunk lengths are under 2^31 (libpng: ``png_read_chunk_header``)
_PNG_MAX_LENGTH = 0x7FFFFFFF


def png_texts(data: bytes, out: Texts) -> None:
    """Every chunk of a PNG up to IEND: text chunks inflated where compressed, the EXIF
    and ICC profile read.  A chunk's CRC is not checked (libpng warns and discards an
    ancillary chunk whose CRC is wrong; other readers show it).  Bytes that start no
    chunk (a type that is not four letters, a length over 2^31 or past the file's end)
    end libpng's and Pillow's reading, but nothing says which reader a recipient uses
    (exiftool follows the lengths without checking the type; a tool may search for the
    next chunk): past them, every text chunk's type found (``tEXt``, ``zTXt``, ``iTXt``,
    ``iCCP``, ``eXIf``) is read as a chunk with the length before it, so no text chunk
    stands unread behind junk."""
    pos = 8
    while pos + 8 <= len(data) and out.step():
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        typed = _PNG_TYPE.fullmatch(kind) is not None and length <= _PNG_MAX_LENGTH
        if not typed or pos + 12 + length > len(data):
            if typed:
                _png_chunk(kind, data[pos + 8 : pos + 8 + length], out)  # a cut chunk: what it holds
            # past junk, every text chunk found by its type, each read with its own length
            # (a decoy's length does not hide the chunks inside it)
            for m in _PNG_META.finditer(data, pos + 5):
                at = m.start() - 4
                found = int.from_bytes(data[at : at + 4], "big")
                if not out.step():
                    return
                if found <= _PNG_MAX_LENGTH:
                    _png_chunk(m.group(), data[at + 8 : at + 8 + found], out)
            return
        _png_chunk(kind, data[pos + 8 : pos + 8 + length], out)
        pos += 12 + length
        if kind == b"IEND":
            break


def _png_chunk(kind: bytes, body: bytes, out: Texts) -> None:
    if kind == b"tEXt":
        key, _, text = body.partition(b"\x00")
        out.add(f"{key.decode('latin-1')}: {text.decode('latin-1')}")
    elif kind == b"zTXt":
        key, _, rest = body.partition(b"\x00")
        inflated = out.inflate(rest[1:])
        if inflated is not None:
            out.add(f"{key.decode('latin-1')}: {inflated.decode('latin-1')}")
    elif kind == b"iTXt":
        key, _, rest = body.partition(b"\x00")
        flag = rest[:1] == b"\x01"
        _lang, _, rest = rest[2:].partition(b"\x00")
        translated, _, text = rest.partition(b"\x00")
        out.add(translated.decode("utf-8", "replace"))
        if flag:
            inflated = out.inflate(text)
            if inflated is None:
                return
            text = inflated
        out.add(f"{key.decode('latin-1')}: {text.decode('utf-8', 'replace')}")
    elif kind == b"iCCP":
        name, _, rest = body.partition(b"\x00")
        out.add(name.decode("latin-1"))
        profile = out.inflate(rest[1:])
        if profile is not None:
            icc_texts(profile, out)
    elif kind == b"eXIf":
        exif_payload(body, out)


# -- JPEG --------------------------------------------------------------------------------

_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_EXT_XMP = b"http://ns.adobe.com/xmp/extension/\x00"
_ICC = b"ICC_PROFILE\x00"


#: a marker after a JPEG scan's entropy-coded data: 0xFF followed by no stuffing (0x00) nor RSTn
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data of a JPEG scan starting at ``pos`` ends (its next
    marker; the last byte when none follows)."""
    m = _SCAN_END.search(data, pos)
    return m.start() if m else max(pos, len(data) - 1)


def jpeg_texts(data: bytes, out: Texts) -> None:
    """Every marker segment before the image data and between its scans: ``COM``, APP1
    EXIF / XMP / Extended XMP (joined), APP2 ICC profile chunks (joined), other APPn as
    printable runs."""
    icc: dict[int, bytes] = {}
    extended: dict[bytes, dict[int, bytes]] = {}
    pos = 2
    while pos + 4 <= len(data) and out.step():
        if data[pos] != 0xFF:
            # bytes that start no marker: skipped to the next 0xFF, as libjpeg ("extraneous
            # bytes before marker"), Pillow and Go's image/jpeg (reader.go: "Extraneous data
            # is silently ignored") do, so nothing a reader shows after them goes unread
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                break
            pos = nxt
            continue
        marker = data[pos + 1]
        if marker == 0xD9:
            break
        if marker in (0x00, 0x01, *range(0xD0, 0xD8)) or marker == 0xFF:
            # fill bytes, a stuffed zero (no marker: libjpeg's next_marker reads on), RSTn
            pos += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        body = data[pos + 4 : pos + 2 + length]
        pos += 2 + length
        if marker == 0xFE:
            out.add(_decoded(body))
        elif marker == 0xE1 and body[:6] == b"Exif\x00\x00":
            exif_payload(body, out)
        elif marker == 0xE1 and body.startswith(_XMP):
            out.add(body[len(_XMP) :].decode("utf-8", "replace"))
        elif marker == 0xE1 and body.startswith(_EXT_XMP) and len(body) >= len(_EXT_XMP) + 40:
            head = len(_EXT_XMP)
            guid = body[head : head + 32]
            offset = int.from_bytes(body[head + 36 : head + 40], "big")
            extended.setdefault(guid, {})[offset] = body[head + 40 :]
        elif marker == 0xE2 and body.startswith(_ICC) and len(body) >= 14:
            icc[body[12]] = body[14:]
        elif 0xE0 <= marker <= 0xEF:
            out.add(identifier_runs(body))
        if marker == 0xDA:
            pos = scan_end(data, pos)
    for pieces in extended.values():
        joined = b"".join(pieces[k] for k in sorted(pieces))
        out.add(joined.decode("utf-8", "replace"))
    if icc:
        icc_texts(b"".join(icc[k] for k in sorted(icc)), out)


# -- GIF ---------------------------------------------------------------------------------


def _sub_blocks(data: bytes, pos: int, out: Texts) -> tuple[bytes, int]:
    """The data sub-blocks from ``pos`` joined, and the position after their terminator."""
    parts: list[bytes] = []
    while pos < len(data) and out.step():
        size = data[pos]
        pos += 1
        if size == 0:
            break
        parts.append(data[pos : pos + size])
        pos += size
    return b"".join(parts), pos


#: a byte that starts a GIF block: an extension, an image descriptor, the trailer
_GIF_BLOCK_START = re.compile(rb"[\x21\x2c\x3b]")


def gif_texts(data: bytes, out: Texts) -> None:
    """Every extension block of a GIF: comments, plain text, application extensions
    (XMP read as stored, its length bytes included, as XMP readers do; an ICC profile)."""
    if len(data) < 13:
        return
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while pos < len(data) and out.step():
        kind = data[pos]
        if kind == 0x3B:
            break
        if kind == 0x2C:  # an image: descriptor, local colour table, LZW size, data
            if pos + 10 > len(data):
                break
            local = data[pos + 9]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
            _, pos = _sub_blocks(data, pos, out)
            continue
        if kind != 0x21:
            # a byte that starts no block: Pillow's GifImagePlugin reads past it one byte at a
            # time; skipped to the next byte that can start one
            m = _GIF_BLOCK_START.search(data, pos + 1)
            if m is None:
                break
            pos = m.start()
            continue
        if pos + 2 > len(data):
            break
        label = data[pos + 1]
        start = pos + 2
        joined, pos = _sub_blocks(data, start, out)
        if label == 0xFE:
            out.add(_decoded(joined))
        elif label == 0x01:
            out.add(_decoded(joined[12:]))
        elif label == 0xFF:
            app, rest = joined[:11], joined[11:]
            if app == b"ICCRGBG1012":
                icc_texts(rest, out)
            elif app == b"XMP DataXMP":
                out.add(data[start + 12 : pos].decode("utf-8", "replace"))
            else:
                out.add(identifier_runs(rest))


# -- WebP --------------------------------------------------------------------------------


#: a RIFF chunk's FourCC: four printable ASCII characters
_FOURCC = re.compile(rb"[\x20-\x7e]{4}")
#: the FourCC of a WebP chunk that holds text, found after bytes that start no chunk
_WEBP_META = re.compile(rb"EXIF|XMP |ICCP")


def webp_texts(data: bytes, out: Texts) -> None:
    """The RIFF chunks of a WebP: EXIF, XMP, ICC profile; other chunks but the pixels'
    as printable runs.  libwebp's demuxer follows each chunk's size (an unknown FourCC
    skipped by it, as here) and stops at a size past the file's end; read here to the
    file's end, past the RIFF size; past bytes that start no chunk (a FourCC that is not
    printable ASCII, a size past the end), every ``EXIF``, ``XMP `` or ``ICCP`` found is
    read as a chunk with the size after it, so no metadata chunk stands unread behind
    junk."""
    pos = 12
    while pos + 8 <= len(data) and out.step():
        kind = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        typed = _FOURCC.fullmatch(kind) is not None
        if not typed or pos + 8 + size > len(data):
            if typed:
                _webp_chunk(kind, data[pos + 8 : pos + 8 + size], out)  # a cut chunk: what it holds
            # past junk, every metadata chunk found by its FourCC, each read with its own size
            for m in _WEBP_META.finditer(data, pos + 1):
                at = m.start()
                if not out.step():
                    return
                _webp_chunk(m.group(), data[at + 8 : at + 8 + int.from_bytes(data[at + 4 : at + 8], "little")], out)
            return
        _webp_chunk(kind, data[pos + 8 : pos + 8 + size], out)
        pos += 8 + size + (size & 1)


def _webp_chunk(kind: bytes, body: bytes, out: Texts) -> None:
    if kind == b"EXIF":
        exif_payload(body, out)
    elif kind == b"XMP ":
        out.add(body.decode("utf-8", "replace"))
    elif kind == b"ICCP":
        icc_texts(body, out)
    elif kind not in (b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"):
        out.add(identifier_runs(body))


def container_texts(data: bytes, ctx: Ctx) -> Texts:
    """The metadata texts of an image file by its own container format (PNG, JPEG, GIF,
    WebP); empty for the others."""
    out = Texts(ctx)
    if data[:8] == _PNG_SIGNATURE:
        png_texts(data, out)
    elif data[:2] == b"\xff\xd8":
        jpeg_texts(data, out)
    elif data[:6] in (b"GIF87a", b"GIF89a"):
        gif_texts(data, out)
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        webp_texts(data, out)
    return out
