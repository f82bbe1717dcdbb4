"""Text decoding, markup stripping and line-addressed segments."""

from __future__ import annotations

import codecs
import functools
import json
import re
import unicodedata
from collections.abc import Iterator
from html.parser import HTMLParser

from dlp_proxy.files.limits import Budget

#: characters per text segment when a text file is cut into line blocks
BLOCK_CHARS = 64 * 1024

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


#: a charset declared where a browser or an XML parser reads it: an XML declaration at
#: the start, an HTML ``<meta charset>`` / ``<meta http-equiv content="...; charset=">``
#: in the first 1024 bytes (the WHATWG prescan)
_XML_DECL = re.compile(rb"""\s{0,64}<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_META_CHARSET = re.compile(rb"""<meta\s[^>]{0,400}?charset\s*=\s*["']?([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
#: labels whose WHATWG encoding is a superset Python knows by another name (Shift_JIS is
#: decoded as windows-31j, EUC-KR as windows-949, GB2312/GBK as GB18030, Big5 as HKSCS)
_LABELS = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
    "csshiftjis": "cp932", "windows-31j": "cp932", "ms932": "cp932", "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
    "windows-949": "cp949", "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "chinese": "gb18030",
    "csgb2312": "gb18030", "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cn-big5": "big5hkscs",
    "x-x-big5": "big5hkscs", "csbig5": "big5hkscs",
}


def declared_encoding(head: bytes) -> str | None:
    """The legacy charset the document declares (an XML declaration, an HTML ``<meta>``)
    as a Python codec, as browsers and XML parsers honour it; None when there is no
    declaration, it names no codec Python has, or it names a Unicode encoding or
    Latin-1/ASCII (the detection below reads those already)."""
    m = _XML_DECL.match(head) or _META_CHARSET.search(head[:1024])
    if m is None:
        return None
    label = m.group(1).decode("ascii").lower()
    label = _LABELS.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name.startswith("utf") or name in ("ascii", "iso8859-1", "cp1252", "mbcs") or not _ascii_compatible(name):
        return None
    return name


_ASCII_PROBE = "".join(map(chr, range(0x20, 0x7B))).replace("\\", "").replace("~", "")


@functools.cache
def _ascii_compatible(codec: str) -> bool:
    """Whether ``codec`` reads ASCII letters, digits and marks as ASCII (a declaration in
    ASCII can only truly name such a codec: one that would read ``<meta`` otherwise,
    EBCDIC, UTF-7 or a stateful ISO-2022, is not honoured, and its reading is not taken
    in place of the bytes' own).  UTF-7 text gets no second reading: no client shows a
    file of a post decoded from UTF-7 (the HTML standard forbids browsers to support it,
    the WHATWG Encoding standard and so ``TextDecoder`` have no label for it), so what
    the Mattermost apps show is the bytes as written; a mail part that declares it is
    decoded by ``files/eml.py``, as mail clients do."""
    try:
        return _ASCII_PROBE.encode(codec).decode(codec) == _ASCII_PROBE and _ASCII_PROBE.encode(codec) == \
            _ASCII_PROBE.encode("ascii")
    except (UnicodeError, LookupError):
        return False


def detect_encoding(sample: bytes, *, whole: bool | None = None) -> tuple[str, int] | None:
    """(encoding, BOM length) for text, or None when ``sample`` looks binary.

    Order: BOM, a legacy charset the document declares (``declared_encoding``: an XML
    declaration, an HTML ``<meta charset>``), UTF-8, BOM-less UTF-16 (NULs in alternate
    positions), then cp1252 with a latin-1 fallback, the usual encodings of files from
    Windows desktops.  Undeclared legacy CJK text is read besides (``cjk_readings``).
    ``whole``: the sample is the entire file (default: when shorter than 64 KiB), so
    a multi-byte sequence cut at its end is an error, not a continuation.
    """
    if whole is None:
        whole = len(sample) < 65536
    for bom, enc in _BOMS:
        if sample.startswith(bom):
            return enc, len(bom)
    if not sample:
        return "utf-8", 0
    even_nul = sample[0::2].count(0)
    odd_nul = sample[1::2].count(0)
    half = max(1, len(sample) // 2)
    if odd_nul > 0.4 * half and even_nul < 0.05 * half:
        return "utf-16-le", 0
    if even_nul > 0.4 * half and odd_nul < 0.05 * half:
        return "utf-16-be", 0
    if b"\x00" in sample:
        return None
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32 or b == 127)
    if controls > 0.02 * len(sample):
        return None
    declared = declared_encoding(sample)
    if declared is not None:
        return declared, 0
    try:
        # A multi-byte sequence may be cut at the end of the sample.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=whole)
        return "utf-8", 0
    except UnicodeDecodeError:
        pass
    return "cp1252", 0


def decode(data: bytes) -> str | None:
    """Whole-buffer decode with detection; None for binary."""
    found = detect_encoding(data[:65536], whole=len(data) <= 65536)
    if found is None:
        return None
    enc, bom = found
    body = data[bom:]
    if enc == "utf-8":
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            enc = "cp1252"
    if enc == "cp1252":
        # cp1252 leaves five bytes undefined; latin-1 maps every byte.
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            return body.decode("latin-1")
    return body.decode(enc, errors="replace")


def iter_decoded(data: bytes, chunk_bytes: int = 1 << 20, encoding: str | None = None) -> Iterator[str]:
    """Decode ``data`` in chunks with an incremental decoder (bounded extra memory);
    in ``encoding`` when given (errors replaced), else the detected one."""
    if encoding is not None:
        found: tuple[str, int] | None = (encoding, 0)
    else:
        found = detect_encoding(data[:65536], whole=len(data) <= 65536)
    if found is None:
        return
    enc, bom = found
    view = memoryview(data)
    if enc == "utf-8":
        # the first 4 MiB must be UTF-8, checked a chunk at a time (a 4 MiB copy and
        # its 4 MiB decoding were 0.4x of a 20 MB upload in the worker's peak)
        probe_end = min(len(data), bom + (4 << 20))
        check = codecs.getincrementaldecoder("utf-8")()
        try:
            for pos in range(bom, probe_end, chunk_bytes):
                end = min(pos + chunk_bytes, probe_end)
                check.decode(view[pos:end], final=end == len(data))
        except UnicodeDecodeError:
            enc = "cp1252"
    if enc == "cp1252":
        if any(b in data for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")):
            enc = "latin-1"
    decoder = codecs.getincrementaldecoder(enc)(errors="replace")
    for pos in range(bom, len(data), chunk_bytes):
        text = decoder.decode(view[pos : pos + chunk_bytes], final=False)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


#: EBCDIC (IBM mainframes: cp037, cp500, cp1047, cp1140, cp273...) bytes of ordinary text:
#: space 0x40, letters, digits 0xF0-0xF9, common punctuation, tab and line ends
#: (0x05, 0x0D, 0x15 NL, 0x25 LF).  These have the same meaning in every Latin EBCDIC
#: code page, so one reading (cp037) shows every identifier whichever page wrote the file.
_EBCDIC_ALNUM = bytes([*range(0x81, 0x8A), *range(0x91, 0x9A), *range(0xA2, 0xAA), *range(0xC1, 0xCA),
                       *range(0xD1, 0xDA), *range(0xE2, 0xEA), *range(0xF0, 0xFA)])
_EBCDIC_TEXT = _EBCDIC_ALNUM + bytes([0x05, 0x0D, 0x15, 0x25, 0x40, *range(0x4B, 0x51), *range(0x5A, 0x62),
                                      *range(0x6B, 0x70), *range(0x7A, 0x80)])
#: the share of a sample that must be such bytes, and letters or digits
EBCDIC_TEXT_SHARE, EBCDIC_ALNUM_SHARE = 0.9, 0.2


def looks_ebcdic(data: bytes) -> bool:
    """Whether ``data`` reads as EBCDIC text (a mainframe export: ``JOHN SMITH  AAAGGSSSS``
    is ``d1 d6 c8 d5 40 ...``): in its first 64 KiB at least 90 % of the bytes are EBCDIC
    text bytes and 20 % letters or digits.  ASCII text has its spaces (0x20) and lower-case
    letters outside that set, UTF-8, UTF-16 and binary files most of their bytes; so a
    file that passes is text in no other reading either.  Two ``translate`` passes."""
    sample = data[:65536]
    if len(sample) < 8 or sample.isascii():
        return False
    other = len(sample.translate(None, _EBCDIC_TEXT))
    alnum = len(sample) - len(sample.translate(None, _EBCDIC_ALNUM))
    return other <= len(sample) * (1 - EBCDIC_TEXT_SHARE) and alnum >= len(sample) * EBCDIC_ALNUM_SHARE


def iter_ebcdic(data: bytes, chunk_bytes: int = 1 << 20) -> Iterator[str]:
    """``data`` decoded as cp037, a chunk at a time, EBCDIC's NL (0x15, U+0085) a line break."""
    for text in iter_decoded(data, chunk_bytes, encoding="cp037"):
        yield text.replace("\x85", "\n")


#: the legacy encodings of Japanese, Chinese and Korean Windows (Excel saves CSV and
#: Notepad used to save text in them; Japanese Excel opens a BOM-less CSV as CP932):
#: Shift_JIS/CP932, EUC-JP, GB2312/GBK/GB18030, Big5 (HKSCS), EUC-KR/CP949, and Johab
#: (Korean Windows code page 1361, the other Korean double-byte encoding: its numerals
#: are byte pairs no other of these reads as one)
CJK_ENCODINGS = ("cp932", "euc_jp", "gb18030", "big5hkscs", "cp949", "johab")


@functools.cache
def _numeral_list() -> tuple[str, ...]:
    """Every non-ASCII BMP character whose numeric value is a digit, 0 to 9: fullwidth
    digits, CJK numerals (``〇一二三``, ``零壹贰叁``), circled and Roman numbers...
    (what the detector reads as digits, detect/normalize.py ``_NUMERALS``)."""
    return tuple(chr(c) for c in range(0x80, 0x10000)
                 if not 0xD800 <= c < 0xE000 and unicodedata.numeric(chr(c), -1) in _DIGIT_VALUES)


_DIGIT_VALUES = frozenset(range(10))


@functools.cache
def numerals() -> re.Pattern[str]:
    """A non-ASCII digit or numeral (``_numeral_list``)."""
    return re.compile("[" + "".join(re.escape(ch) for ch in _numeral_list()) + "]")


@functools.cache
def _encoded_numerals(encoding: str) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """The byte pairs that are a numeral in ``encoding``: (a cheap superset, any lead byte
    of one before any trail byte of one; the pairs themselves).  A reading in it can show
    a number the file's own reading does not only where the bytes hold one."""
    pairs: dict[int, set[int]] = {}
    for ch in _numeral_list():
        try:
            raw = ch.encode(encoding)
        except UnicodeEncodeError:
            continue
        if len(raw) == 2:
            pairs.setdefault(raw[0], set()).add(raw[1])
    if not pairs:
        never = re.compile(b"(?!)")
        return never, never

    def cls(values: set[int]) -> bytes:
        return b"[" + b"".join(re.escape(bytes([v])) for v in sorted(values)) + b"]"

    rough = re.compile(cls(set(pairs)) + cls(set().union(*pairs.values())))
    exact = re.compile(b"|".join(re.escape(bytes([lead])) + cls(trails) for lead, trails in sorted(pairs.items())))
    return rough, exact


def cjk_readings(data: bytes, primary: str | None) -> list[str]:
    """The legacy CJK encodings (``CJK_ENCODINGS``) under which ``data`` holds a numeral
    (``５``, ``五``...) -- a number its own reading (``primary``, e.g. cp1252 or UTF-8)
    shows as other characters.  A file without a BOM has no encoding of its own: the
    recipient's application picks one, so every plausible reading is inspected.  Cost:
    one byte scan per encoding; only a file with such a byte pair is decoded again."""
    if primary is None or primary.startswith("utf-16") or primary.startswith("utf-32"):
        return []
    if data.isascii():
        return []
    out: list[str] = []
    for enc in CJK_ENCODINGS:
        if enc == primary:
            continue
        rough, exact = _encoded_numerals(enc)
        m = rough.search(data)
        if m is not None and exact.search(data, m.start()):
            out.append(enc)
    return out


def line_blocks(chunks: Iterator[str] | list[str], block_chars: int = BLOCK_CHARS) -> Iterator[tuple[str, str]]:
    """Cut a stream of text into (location, block) on line boundaries.

    Location is ``line=N`` for a one-line block and ``lines=N-M`` otherwise
    (1-based).  ``refine_location`` turns (location, offset) into the exact line.
    """
    line_no = 1
    buf = ""
    for chunk in chunks:
        buf += chunk
        while len(buf) >= block_chars:
            cut = buf.rfind("\n", 0, block_chars)
            cut = block_chars if cut < 0 else cut + 1
            block, buf = buf[:cut], buf[cut:]
            n = block.count("\n")
            yield _lines_loc(line_no, block), block
            line_no += n
    if buf:
        yield _lines_loc(line_no, buf), buf


def _lines_loc(first: int, block: str) -> str:
    last = first + block.rstrip("\n").count("\n")
    return f"line={first}" if last == first else f"lines={first}-{last}"


_LINES_RE = re.compile(r"(?:^|/)lines?=(\d+)(?:-\d+)?$")


def refine_location(location: str, text: str, offset: int) -> str:
    """The precise location of ``offset`` in a segment: for a line block
    (``.../lines=10-80``) the line holding the offset (``.../line=12``); other
    locations are returned unchanged.  A block of a sheet read as a table
    (``sheet=Name/lines=N-M``) gives the cell: ``sheet=Name!B12`` (cells.table_cell)."""
    from dlp_proxy.files.cells import table_cell

    cell = table_cell(location, text, offset)
    if cell is not None:
        return cell
    m = _LINES_RE.search(location)
    if not m:
        return location
    line = int(m.group(1)) + text.count("\n", 0, max(0, min(offset, len(text))))
    head = location[: m.start()] + ("/" if m.group(0).startswith("/") else "")
    return f"{head}line={line}"


#: HTML elements a browser lays out as a block, a line, a cell, a list entry or a box of
#: their own (the WHATWG HTML rendering section's ``display: block``, ``list-item``,
#: and ``table-*`` elements, ``option``s of a list, ``br``, and the elements whose text is not
#: shown inline: ``head``, ``title``, ``script``, ``style``...): their start and end are
#: line breaks, so ``<dt>Bob Smith</dt><dd>AAA-GG-SSSS</dd>`` is two lines, never
#: ``Bob SmithAAA-GG-SSSS``.  Any other element is inline text and joined
#: (``536-<b>22</b>-8710`` stays whole, as it is drawn), inline boxes (``img``, ``input``,
#: ``button``) included: they sit on the line of the text around them.
HTML_BREAKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "br", "caption", "center", "col", "colgroup",
    "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer",
    "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr",
    "html", "legend", "li", "listing", "main", "menu", "nav", "noscript", "ol", "optgroup", "option", "p",
    "plaintext", "pre", "script", "search", "section", "style", "summary", "table", "tbody", "td",
    "template", "tfoot", "th", "thead", "title", "tr", "ul", "xmp",
})


#: HTML ruby annotations: a browser draws ``<rt>`` text above its base (and hides the
#: ``<rp>`` fallback parentheses), so ``<ruby>536<rt>x</rt></ruby>-22-8710`` shows
#: ``AAA-GG-SSSS`` on its line; an ``<rt>``/``<rp>`` ends at the next one or at ``</ruby>``
#: (its end tag may be omitted)
RUBY_ANNOTATIONS = frozenset({"rt", "rp"})


class _MarkupText(HTMLParser):
    """Text, comments and attribute values from HTML (and tolerant XML).  In HTML, ruby
    annotation text (``<rt>``, ``<rp>``) is kept apart (``annotations``) and follows
    its line, so the base text reads joined as it is drawn."""

    def __init__(self, breaks: frozenset[str] | None = HTML_BREAKS) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        #: element names whose boundaries break a line; None: every element's (XML)
        self.breaks = breaks
        #: ruby annotation text, read apart from the line it sits on
        self.annotations: list[str] = []
        self._in_annotation = False

    def _breaks(self, tag: str) -> bool:
        return self.breaks is None or tag in self.breaks

    def _line_break(self) -> None:
        """A line ends: the ruby annotations drawn above it follow it, a line each."""
        if self.annotations:
            self.parts.extend(self.annotations)
            self.annotations.clear()
        self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.breaks is not None and tag in RUBY_ANNOTATIONS:
            self._in_annotation = True
            self.annotations.append("\n")
        if self._breaks(tag):
            self._line_break()
        for _, value in attrs:
            if value and value.strip():
                self.parts.append(f" {value} ")
        if self._breaks(tag):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in RUBY_ANNOTATIONS or tag == "ruby" or self._breaks(tag):
            self._in_annotation = False
        if self._breaks(tag):
            self._line_break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        (self.annotations if self._in_annotation else self.parts).append(data)

    def handle_comment(self, data: str) -> None:
        self.parts.append(f" {data} ")

    def unknown_decl(self, data: str) -> None:
        # <![CDATA[...]]> in XML read by the HTML parser
        self.parts.append(data[6:] if data.startswith("CDATA[") else data)


def strip_markup(text: str, *, xml: bool = False) -> str:
    """Tags removed; text, comments, CDATA and attribute values kept, entities decoded;
    HTML ruby annotations (``<rt>``, ``<rp>``) after their line, a line each.
    ``xml``: every element boundary is a line break (no element is inline text)."""
    parser = _MarkupText(None if xml else HTML_BREAKS)
    try:
        parser.feed(text)
        parser.close()
    except Exception:
        return re.sub(r"<[^>]{0,2000}>", " ", text)
    # Inline text is joined without a separator so ``536-<b>22</b>-1234`` stays whole;
    # ruby annotations follow their line, each on a line of its own.
    parser._line_break()
    joined = "".join(parser.parts)
    return re.sub(r"[ \t]*\n[ \t\n]*", "\n", re.sub(r"[ \t\r\f\v]+", " ", joined)).strip()


def text_kind(text: str) -> str:
    """json / xml / html / csv / tsv / text (markdown and logs are text)."""
    head = text[:4096].lstrip("\ufeff \t\r\n")
    low = head[:1024].lower()
    if head[:1] in "{[":
        try:
            json.loads(text) if len(text) < (8 << 20) else None
            return "json"
        except ValueError:
            pass
    if low.startswith("<!doctype html") or "<html" in low or ("<body" in low and "</" in low):
        return "html"
    if low.startswith(("<?xml", "<!doctype", "<!--")) or (low.startswith("<") and re.match(r"<[a-z_][\w:.-]*[\s>/]", low)):
        # a DOCTYPE or a comment before the root element (an SVG from an editor) is XML too
        return "xml"
    lines = [ln for ln in head.splitlines()[:20] if ln.strip()]
    if len(lines) >= 2:
        for sep, kind in (("\t", "tsv"), (",", "csv"), (";", "csv"), ("|", "csv")):
            counts = {ln.count(sep) for ln in lines[:-1] or lines}
            if len(counts) == 1 and next(iter(counts)) >= 1:
                return kind
    return "text"


def json_strings(text: str) -> str:
    """Keys and string values of a JSON document, unescaped (``\\u0035...`` spelled out)."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                out.append(str(k))
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            out.append(node)

    walk(json.loads(text))
    return "\n".join(out)


#: printable runs of this many characters or more are read from a binary span
MIN_RUN = 5
_UTF8_RUN = re.compile(r"[^\x00-\x08\x0b-\x1f\x7f-\x9f\ufffd]{" + str(MIN_RUN) + ",}")
_UTF16LE_RUN = re.compile(rb"(?:[\x09\x20-\x7e]\x00){%d,}" % MIN_RUN)
_UTF16BE_RUN = re.compile(rb"(?:\x00[\x09\x20-\x7e]){%d,}" % MIN_RUN)


def printable_runs(data: bytes) -> str:
    """The printable runs of ``data`` (``MIN_RUN`` characters or more): UTF-8 (ASCII
    included), UTF-16LE and UTF-16BE, one a line."""
    text = data.decode("utf-8", "replace")
    parts = [m.group().strip() for m in _UTF8_RUN.finditer(text)]
    parts += [m.group().decode("utf-16-le") for m in _UTF16LE_RUN.finditer(data)]
    parts += [m.group().decode("utf-16-be") for m in _UTF16BE_RUN.finditer(data)]
    return "\n".join(p for p in parts if len(p) >= MIN_RUN)


#: a run of a file's raw bytes (``identifier_runs``): printable UTF-8, line ends included
_TEXT_RUN = re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]{" + str(MIN_RUN) + ",}")
#: ... kept when it holds this many digits (any script's) in a row, at most 3 separators
#: (blanks, ``-``, ``.``, ``/``, parentheses...) between two of them, or an address ``xx@yyy.zz``
#: (shorter ones occur in compressed data: ``y@c.Hr`` once in a 7.9 MB XLSX)
RUN_DIGITS = 6
_RUN_KEPT = re.compile(r"\d(?:[^\w@]{0,3}\d){" + str(RUN_DIGITS - 1) + r"}|[\w.%+-]{2}@[\w-]{3,}\.[A-Za-z]{2}")


def identifier_runs(data: bytes, *, utf8: bool = True, base: int = 0, skip_le: int | None = None,
                    skip_be: int | None = None) -> str:
    """The printable runs of ``data`` that may hold an identifier, one a line: UTF-8
    (ASCII included; ``utf8``), UTF-16LE and UTF-16BE runs of ``MIN_RUN`` characters or
    more (line ends inside a run kept: a label on the line above its number stays with
    it) that hold ``RUN_DIGITS`` digits in a row (at most 3 separators between two) or an
    e-mail address's shape (``xx@yyy.zz``).  Every identifier the detector finds in a
    file's bytes is such a group of digits (SSN, card, IBAN, account, routing and phone numbers in their usual writing)
    or an e-mail address; the other runs of a binary (random bytes of compressed data and
    pixels give ~4.5 % of their size in runs of mixed-script noise, which the detector
    reads at a few thousand characters a second) are left out.
    ``skip_le``/``skip_be``: UTF-16 runs at an offset of this parity (``base`` the
    offset of ``data`` in its file) are left out (a UTF-16 decoding read them)."""
    parts: list[str] = []
    if utf8:
        for found in _TEXT_RUN.finditer(data.decode("utf-8", "replace")):
            if _RUN_KEPT.search(found.group()):
                parts.append(found.group().strip())
    for pattern, codec, skip in ((_UTF16LE_RUN, "utf-16-le", skip_le), (_UTF16BE_RUN, "utf-16-be", skip_be)):
        for m in pattern.finditer(data):
            if skip is None or (base + m.start()) % 2 != skip:
                run = m.group().decode(codec)
                if _RUN_KEPT.search(run):
                    parts.append(run)
    return "\n".join(p for p in parts if len(p) >= MIN_RUN)


_ASCII_RUN = re.compile(rb"[\x20-\x7e\t]{5,}")
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){5,}")


def binary_strings(data: bytes, budget: Budget, location: str) -> None:
    """Printable ASCII and UTF-16LE runs of an unparsed binary, like strings(1).
    Defence in depth only: the file is still reported incomplete by the caller."""
    parts: list[str] = []
    size = 0
    for m in _ASCII_RUN.finditer(data):
        parts.append(m.group().decode("ascii"))
        size += len(parts[-1])
        if size > BLOCK_CHARS:
            budget.add(location, "\n".join(parts))
            parts, size = [], 0
            budget.check_time()
    for m in _UTF16_RUN.finditer(data):
        parts.append(m.group().decode("utf-16-le"))
        size += len(parts[-1])
        if size > BLOCK_CHARS:
            budget.add(location, "\n".join(parts))
            parts, size = [], 0
            budget.check_time()
    if parts:
        budget.add(location, "\n".join(parts))
