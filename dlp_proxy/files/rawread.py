"""Every file's bytes read as text too, whatever its format's reading covered.

Mattermost stores an uploaded file byte for byte and serves it as stored
(server/channels/api4/file.go ``uploadFileStream`` -> app/file.go ``UploadFileX``); the
web app's code preview reads any file it previews as UTF-8 text (``fetch().text()``),
and ``cat``, ``grep``, ``strings`` or an editor show whatever bytes are there.  A format
reader reads what its format means (a GIF's frames, an RTF's text destinations, a
PDF's pages, a message's parts) and skips the rest: text after a GIF's trailer or in an
extension block, after a BMP's pixels, in an unknown RIFF chunk, in an RTF data group,
in a message's MIME preamble, in a PDF comment or JavaScript action (attack pass 16p,
F1-F6).  So the dispatcher (``core.extract_into``) hands every file it extracts, nested
ones included, to ``read_raw`` after its format's reading; the union of both is judged.

- A binary file (any type but text): its printable runs, 5 characters or more, in
  UTF-8 (ASCII included), UTF-16LE and UTF-16BE (``outside.printable_runs``), read a
  chunk of about 1 MiB at a time (cut between two NULs or after a line end, where no
  run crosses; else chunks overlap by 4 KiB), ``bytes=<start>-<end>``.
- A text file: when its reading was the UTF-8 decoding of all its bytes (no other
  charset declared or detected, every byte valid UTF-8, a UTF-8 BOM or none), nothing:
  the raw reading would add nothing.  Otherwise every other plausible decoding: UTF-8
  ignoring the BOM and the detected charset (``encoding=utf-8/lines=...``; a UTF-16 or
  UTF-32 BOM followed by ASCII reads as garbage in the BOM's encoding and as the text in
  the web app), unless it is mostly NULs (a real UTF-16 file), then its UTF-8 runs; and
  its UTF-16 runs at the alignment the file's own decoding did not read.  Where the
  file's charset is ASCII-compatible (cp1252, a declared CJK one), a line of ASCII bytes
  reads the same in both, so only the UTF-8 lines that differ and hold a digit are given
  (an identifier beside a byte cp1252 reads as a letter, ``SSN\xe9536...``).
- A slice of a file already read raw (a span outside a ZIP's index, a polyglot's second
  reading, a message's as-written text: ``Ctx.covered``) is not read again.

Compressed bytes are not seen this way; each format reads its own compressed regions
(``pdf.py``: every string and name of every object; ``rtf.py``/``plain.py``: the
hex-decoded data groups; ``eml.py``: every multipart's preamble and epilogue;
``bounded.zip_directory``: a ZIP-based package's comment, entry names and extra
fields).  The text counts against the file's character budget and the reading checks
the time limit between chunks, so a limit hit fails closed as any reading does.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dlp_proxy.files.text import identifier_runs

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: bytes read a chunk at a time (time checked between); a chunk is cut where no run crosses
RUNS_CHUNK = 1 << 20
#: how far back from a chunk's end a cut is looked for; failing one, chunks overlap by this
CUT_WINDOW = 4096
#: the public types of text files (``plain.extract_text``)
TEXT_TYPES = frozenset({"text", "csv", "tsv", "json", "markdown", "html", "xml", "svg"})
#: a UTF-8 reading with more NULs than this share (and 8) is no plausible reading (UTF-16/32 text)
MAX_NUL_SHARE = 0.01


def read_raw(data: bytes, ctx: Ctx, kind: str, public: str) -> None:
    """Read ``data`` (a file extracted as ``kind``, found to be ``public``) as raw text."""
    if ctx.covered or not data:
        return
    if kind == "text-or-binary" and public == "image":
        return  # a raster found by plain.extract_text: read as an image, raw there
    if public in TEXT_TYPES:
        _text(data, ctx)
    else:
        _runs(data, ctx, utf8=True)


def _utf8_reading(data: bytes, found: tuple[str, int] | None) -> bool:
    """Whether a text file's reading was the UTF-8 decoding of all its bytes."""
    if found is None or found[0] != "utf-8":
        return False
    if data.isascii():
        return True
    try:
        codecs.decode(data, "utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _text(data: bytes, ctx: Ctx) -> None:
    from dlp_proxy.files.text import detect_encoding, line_blocks

    found = detect_encoding(data[:65536], whole=len(data) <= 65536)
    if _utf8_reading(data, found):
        return
    enc, bom = found if found is not None else ("", 0)
    utf8 = data.count(0) <= max(8, MAX_NUL_SHARE * len(data))
    if utf8:
        # UTF-8 ignoring the BOM and the detected charset: what the web app shows.  Read
        # in an ASCII-compatible charset (cp1252, a declared CJK one), a line of ASCII
        # bytes is the same text in both readings: only the lines that differ and hold a
        # digit are given (the others blank, so line numbers hold)
        differ = enc != "" and not enc.startswith(("utf-16", "utf-32"))
        for loc, block in line_blocks(_utf8(data, differ=differ)):
            ctx.budget.check_time()
            if not ctx.add(f"encoding=utf-8/{loc}", block):
                return
    if b"\x00" not in data:
        return  # no UTF-16 runs, and the UTF-8 reading above has every UTF-8 run
    # the UTF-16 runs the file's own decoding did not read (a byte put in shifts the
    # rest of a UTF-16 text by one: garbage in the BOM's decoding, text in these runs)
    le = bom % 2 if enc.startswith("utf-16-le") else None
    be = bom % 2 if enc.startswith("utf-16-be") else None
    _runs(data, ctx, utf8=not utf8, skip_le=le, skip_be=be)


#: a line of ASCII characters only, or without a digit (``_utf8(differ=True)``)
_SAME_LINE = re.compile(r"^(?:[\x00-\x09\x0b-\x7f]*|[^\d\n]*)$", re.MULTILINE)


def _utf8(data: bytes, chunk: int = RUNS_CHUNK, *, differ: bool = False) -> Iterator[str]:
    """``data`` decoded as UTF-8 (errors replaced), a chunk at a time; ``differ``: the
    lines of ASCII characters only, or without a digit, blanked (whole lines: a chunk's
    last line waits for the next chunk)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    view = memoryview(data)
    carry = ""
    for pos in range(0, len(data), chunk):
        text = decoder.decode(view[pos:pos + chunk], final=pos + chunk >= len(data))
        if not differ:
            yield text
            continue
        text = carry + text
        cut = text.rfind("\n") + 1 if pos + chunk < len(data) else len(text)
        text, carry = text[:cut], text[cut:]
        yield _SAME_LINE.sub("", text)
    if carry:
        yield _SAME_LINE.sub("", carry)


def _cut(data: bytes, end: int) -> tuple[int, int]:
    """(where this chunk ends, where the next starts): between two NULs or after a line
    end in the chunk's last ``CUT_WINDOW`` bytes, where no printable run crosses; else
    the next chunk starts ``CUT_WINDOW`` bytes back (an overlap)."""
    lo = max(0, end - CUT_WINDOW)
    at = data.rfind(b"\x00\x00", lo, end)
    if at >= 0:
        return at + 1, at + 1
    at = max(data.rfind(b"\n", lo, end), data.rfind(b"\r", lo, end))
    if at >= 0:
        return at + 1, at + 1
    return end + CUT_WINDOW, end


def _runs(data: bytes, ctx: Ctx, *, utf8: bool, skip_le: int | None = None, skip_be: int | None = None) -> None:
    """The printable runs of ``data``, a chunk at a time (``bytes=<start>-<end>``);
    UTF-16 runs starting at an offset of parity ``skip_le``/``skip_be`` left out (the
    file's own UTF-16 decoding read them)."""
    n = len(data)
    pos = 0
    while pos < n:
        ctx.budget.check_time()
        end, nxt = (n, n) if pos + RUNS_CHUNK >= n else _cut(data, pos + RUNS_CHUNK)
        end = min(end, n)
        piece = data[pos:end]
        text = identifier_runs(piece, utf8=utf8, base=pos, skip_le=skip_le, skip_be=skip_be)
        if not ctx.add(f"bytes={pos}-{end}", text):
            return
        pos = max(nxt, pos + 1)


__all__ = ["CUT_WINDOW", "RUNS_CHUNK", "TEXT_TYPES", "read_raw"]
