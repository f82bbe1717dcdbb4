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

What the detector finds in such a reading of bytes no viewer shows as text (``RAW_READING``:
``bytes=...``, a PDF object's ``values``, undrawn ``stream`` and name trees' ``names``, an
RTF's ``data=...`` and picture ``bytes``, a ZIP's ``extra`` fields, the ``strings`` of a
binary no reader read) stands only when it is written there as text (``judge_raw``, in
the file worker's ``filescan._job``): on one line, read without joining lines (the
detector reads a short text's lines as chat messages split across posts: a binary's
runs, one a line, joined that way gave most of the false findings: a font's tables, a
certificate's dates, a PDF's section numbers; a number read across a line end gives way
to what its own line holds); not a decimal's digits; and in an identifier's usual
groups (one run of digits, or groups of three or more with at most one of two and a last
one of any length: ``AAA-GG-SSSS``, ``4111 1111 1111 1111``, ``GB82 WEST 1234 5698 7654
32``), unless the detector read a label beside it (its explanation names a context
word of three letters or more: ``SSN 5 3 6 2 2 8 7 1 0``; ``ac`` or ``no`` occur in a
binary's runs by chance).  Numbers in other groups (``1 0 0 0 1 0 0 0 1``, ``35 37 26 26 ...``,
``3,58,57,58``) are a binary's data: PostScript matrices, font widths, lexer tables.
"""

from __future__ import annotations

import codecs
import dataclasses
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

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


#: the last part of the location of a reading of bytes no viewer shows as text: the raw
#: reading's chunks (``bytes=0-1048571``), an RTF picture's bytes (``image=pict-1/bytes``),
#: an RTF data group's runs (``data=objdata-1``), a ZIP entry's extra fields (``extra``), a
#: PDF object's values, an undrawn stream's runs and the keys of its name trees
#: (``object=7@1043/values``, ``.../stream``, ``names``), the printable strings of a binary
#: no reader read or of what an image carries besides its pixels (``strings``,
#: ``metadata/strings``)
RAW_READING = re.compile(r"(?:^|/)(?:bytes=\d+-\d+|bytes|data=[^/=]+-\d+|extra|values|stream|strings|names)$")
#: transforms by which the detector read an identifier across lines (policy/split.py's
#: reading of a short text's lines, or a line break inside the identifier)
_ACROSS_LINES = frozenset({"split-messages", "line-breaks"})
_LINE_BREAK = re.compile("[\n\r\u2028\u2029\x85\x0b\x0c]")
#: the alphanumeric groups of an identifier as written (``GB82``, ``WEST``, ``8710``)
_GROUP = re.compile(r"[^\W_]+")
_DIGIT = re.compile(r"\d")
#: what stands between two groups of an identifier written as text
_SEPARATOR = re.compile(r"\s*[-./\u2010-\u2015\u2212\ufe63\uff0d]?\s*")
#: a decimal point and digits next to the identifier: a quantity's digits (``0.5772156649015329``)
_DECIMAL_BEFORE = re.compile(r"\d\.$")
_DECIMAL_AFTER = re.compile(r"^\.\d")
#: a recognizer's explanation of a finding with a context word beside it (``recognizers._common``)
#: of three characters or more: one or two letters (``ac``, ``no``) occur in a binary's runs by chance
_LABELLED = re.compile(r"(?:^|; )context='[^']{3,}'")


class _Found(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def transforms(self) -> tuple[str, ...]: ...
    @property
    def explanation(self) -> str: ...


_F = TypeVar("_F", bound=_Found)


def is_raw_reading(location: str) -> bool:
    """Whether ``location`` is a reading of bytes no viewer shows as text (``RAW_READING``)."""
    return RAW_READING.search(location) is not None


def usual_groups(written: str) -> bool:
    """Whether an identifier as written stands in an identifier's usual groups: one
    group, or groups of three characters or more but for at most one of two and the last
    (SSN 3-2-4, cards 4-4-4-4 and 4-6-5, an IBAN's groups of four with its check digits
    and tail, an account number in one piece or hyphenated), each two apart by blanks
    or one dash, dot or slash (``536 - 22 - 8710``), not by other marks (``767&'&546767``)."""
    groups = list(_GROUP.finditer(written))
    if len(groups) <= 1:
        return True
    inner = [len(g.group()) for g in groups[:-1]]
    if min(inner) < 2 or sum(1 for n in inner if n < 3) > 1:
        return False
    return all(_SEPARATOR.fullmatch(written, a.end(), b.start()) for a, b in itertools.pairwise(groups))


def raw_finding_stands(text: str, finding: _Found) -> bool:
    """Whether ``finding``, in ``text`` (a raw reading: ``is_raw_reading``), is written
    there as text (module doc): on one line and read without joining lines, not a
    decimal's digits, and in its usual groups or beside a label (the detector's
    explanation names the context word it found: ``context='ssn'``)."""
    if _ACROSS_LINES.intersection(finding.transforms):
        return False
    written = text[finding.start:finding.end]
    if _LINE_BREAK.search(written.strip()):
        return False
    if len(_DIGIT.findall(written)) < 6:
        return True  # not written in digits (words, look-alike letters, an encoding): as the detector read it
    if _DECIMAL_BEFORE.search(text[max(0, finding.start - 2):finding.start]) or _DECIMAL_AFTER.search(
            text[finding.end:finding.end + 2]):
        return False
    return usual_groups(written) or _LABELLED.search(finding.explanation) is not None


#: a line read again for an identifier the detector read across its end: at most this
#: many characters of it (from a little before the identifier's start), and this many
#: times a file (``judge_raw``'s ``relines``; past that, such findings stand: fail closed)
RELINE_CHARS = 512
RELINE_MAX = 64


def judge_raw(location: str, text: str, findings: Sequence[_F],
              analyze: Callable[[str], Sequence[_F]] | None = None, relines: list[int] | None = None) -> list[_F]:
    """``findings`` in a segment at ``location`` with ``text``: those of a raw reading
    that are not written there as text (``raw_finding_stands``) left out.  A finding the
    detector read across a line end (a number followed by the next line's digits:
    ``12345678901`` + ``1 0 obj``) gives way to what ``analyze`` (the detector) finds of
    its type on its first line, if that stands.  ``relines``: the re-readings left to the
    file, one list shared by its segments (None: ``RELINE_MAX`` for this segment); past
    them, such findings stand as found."""
    if not findings or not is_raw_reading(location):
        return list(findings)
    left = relines if relines is not None else [RELINE_MAX]
    kept: list[_F] = []
    for f in findings:
        if raw_finding_stands(text, f):
            kept.append(f)
            continue
        written = text[f.start:f.end]
        if not _LINE_BREAK.search(written.strip()) or _ACROSS_LINES.intersection(f.transforms) or analyze is None:
            continue
        if left[0] <= 0:
            kept.append(f)
            continue
        left[0] -= 1
        kept.extend(_on_its_line(text, f, analyze))
    return kept


def _on_its_line(text: str, f: _F, analyze: Callable[[str], Sequence[_F]]) -> list[_F]:
    """What ``analyze`` finds of ``f``'s type on the line ``f`` starts on (at most
    ``RELINE_CHARS`` of it), where ``f`` is, that stands (offsets in ``text``)."""
    start = max(_last_break(text, f.start), f.start - RELINE_CHARS // 4)
    m = _LINE_BREAK.search(text, f.start)
    end = min(m.start() if m else len(text), start + RELINE_CHARS)
    line = text[start:end]
    out: list[_F] = []
    for g in analyze(line):
        if (getattr(g, "entity_type", None) != getattr(f, "entity_type", None)
                or not (start + g.start < f.end and f.start < start + g.end)):
            continue
        moved = dataclasses.replace(g, start=g.start + start, end=g.end + start)  # type: ignore[type-var]
        if raw_finding_stands(text, moved):
            out.append(moved)
    return out


def _last_break(text: str, before: int) -> int:
    """Where the line holding ``text[before]`` starts."""
    return max(text.rfind(c, 0, before) for c in "\n\r\u2028\u2029\x85\x0b\x0c") + 1


__all__ = ["CUT_WINDOW", "RAW_READING", "RUNS_CHUNK", "TEXT_TYPES", "is_raw_reading", "judge_raw",
           "raw_finding_stands", "read_raw", "usual_groups"]
