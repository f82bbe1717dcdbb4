"""RTF read as a Word reader reads it, in one pass over the file ([MS-RTF] 1.9.1).

``read(raw)`` gives the text of every destination (ignorable ``{\\*...}`` ones too:
annotations, field instructions, hidden text; not the data of pictures and objects),
and the pictures.  What striprtf misses or gets wrong and this pass reads:

- ``\\binN``: N bytes of binary data that no reader shows as text; they are skipped,
  whatever they hold (braces that would close groups, digits that would join the
  digits around them: ``536-22-\\bin4 9999 8710`` shows ``AAA-GG-SSSS``), and a
  picture's data when they are in a ``\\pict`` group;
- ``\\uN`` characters (with ``\\ucN`` fallback characters skipped), the nonbreaking
  hyphen ``\\_`` shown as ``-``, ``\\~`` as a space;
- ``\\'hh`` bytes in the code page of the font they are written in, as Word and
  LibreOffice decode them: the font table (``\\fonttbl``, read token by token: line
  breaks and nested groups anywhere) gives each font's ``\\fcharsetN`` (or ``\\cpgN``);
  the current font (``\\fN``; ``\\plain`` and the document's start: ``\\deffN``) is
  kept per group; charset 0, 1 and 2 (ANSI, default, symbol) are the document's code
  page (``\\ansicpgN``, ``\\ansi``, ``\\mac``, ``\\pc``, ``\\pca`` in the header: one in a
  nested group, a ``{\\*\\generator ...}``, does not change it).  A run of bytes is
  decoded whole, so a double-byte character's lead and trail bytes are one character
  even with ``{}``, an ignorable group or a control word between them.  Where the
  reading is uncertain (an unknown charset or code page, bytes that do not decode in
  their font's code page, or more than one code page in the document), the bytes are
  also read in every other code page the document names (with the double-byte ones when
  a charset is unknown or a run does not decode): ``Reading.alternates`` holds the
  lines that read differently.

Linear in the file: one regex token at a time, no backtracking.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import regex

_TOKEN = re.compile(
    r"\\([a-zA-Z]{1,32})(-?[0-9]{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z'])|([{}])|([^\\{}]+)|\\")
#: destinations whose content is data, not text (hex or binary)
_DATA = frozenset({"objdata", "datastore", "themedata", "colorschememapping", "blipuid", "passwordhash",
                   "datafield", "nonshppict", "fontemb", "fontfile", "bliptag", "picprop"})
#: control words that end a line or paragraph, and those shown as a blank
_BREAKS = frozenset({"par", "line", "row", "sect", "page", "outlinelevel"})
_BLANKS = frozenset({"tab", "cell", "emspace", "enspace", "qmspace"})
#: destinations whose text stands apart from the text around them (not inline):
#: their text is read as lines of their own, as is every ignorable ``{\\*...}`` one's
#: (a field instruction ``SYMBOL 53`` never joins the field's result ``536-...``)
_APART = frozenset({"footnote", "header", "headerl", "headerr", "headerf", "footer", "footerl", "footerr",
                    "footerf", "annotation", "atnid", "atnauthor", "title", "subject", "author", "operator",
                    "keywords", "comment", "doccomm", "txe", "xe", "tc", "sp", "sn", "sv", "fonttbl",
                    "stylesheet", "info"})
_SYMBOLS = {"\\": "\\", "{": "{", "}": "}", "~": " ", "_": "-", "\n": "\n", "\r": "\n", "\t": " "}

#: ``\\fcharsetN`` -> Python codec ([MS-RTF] and Word's table); "" is the document's
#: code page (ANSI, default and symbol charsets).  A charset not here is unknown.
CHARSETS: dict[int, str] = {
    0: "", 1: "", 2: "", 77: "mac_roman", 78: "cp932", 79: "cp949", 80: "cp936", 81: "cp950", 82: "johab",
    84: "mac_arabic", 85: "mac_greek", 86: "mac_turkish", 87: "cp874", 88: "mac_latin2", 89: "mac_cyrillic",
    128: "cp932", 129: "cp949", 130: "johab", 134: "cp936", 136: "cp950", 161: "cp1253", 162: "cp1254",
    163: "cp1258", 177: "cp1255", 178: "cp1256", 179: "cp1256", 180: "cp1256", 181: "cp1255", 186: "cp1257",
    204: "cp1251", 222: "cp874", 238: "cp1250", 254: "cp437", 255: "cp850",
}
#: the document's code page from its character set word
_DOC_CHARSETS = {"ansi": "cp1252", "mac": "mac_roman", "pc": "cp437", "pca": "cp850"}
#: the double-byte code pages: the readings added when a charset is unknown or a run of
#: bytes does not decode (a single-byte code page reads ASCII digits as every other does)
DOUBLE_BYTE = ("cp932", "cp936", "cp949", "cp950")
#: at most this many other readings of a document's bytes
MAX_ALTERNATES = 12
_UNKNOWN = "?"

TEXT, DATA, PICT = 0, 1, 2


@dataclass
class Reading:
    text: str = ""
    pictures: list[bytes] = field(default_factory=list)
    #: (destination, content) of every data group (``_DATA``: ``\\objdata``,
    #: ``\\datastore``, ``\\themedata``, a group inside a picture, ...): its text as
    #: written (hex as Word writes it, ``\\binN`` bytes as latin-1 characters)
    data: list[tuple[str, str]] = field(default_factory=list)
    #: (codec, lines): the lines of the text that read differently when every ``\\'hh``
    #: run is decoded in ``codec`` (a code page the document names, or a double-byte one
    #: where the reading is uncertain; see the module's docstring)
    alternates: list[tuple[str, str]] = field(default_factory=list)


class _Run:
    """``\\'hh`` bytes written one after the other in one code page (``codec``; "" the
    document's), decoded when the reading is done."""

    __slots__ = ("codec", "data")

    def __init__(self, codec: str) -> None:
        self.data = bytearray()
        self.codec = codec


def _lookup(codec: str) -> str | None:
    try:
        return codecs.lookup(codec).name
    except LookupError:
        return None


def read(raw: str, check: Callable[[], None] | None = None) -> Reading:
    """The text and pictures of RTF ``raw`` (the file's bytes decoded as latin-1, one
    character a byte).  ``check`` is called every few thousand tokens (a time budget)."""
    out: list[str | _Run] = []
    pictures: list[bytes] = []
    pending: _Run | None = None  # the \'hh bytes being read
    doc_codec = "cp1252"
    #: the code pages named anywhere (fonts, a nested \ansicpg), and whether a charset or
    #: code page was unknown
    named: set[str] = set()
    unknown = False
    fonts: dict[int, str] = {}  # font number -> codec ("" the document's, _UNKNOWN)
    by_cpg: set[int] = set()  # the fonts whose code page a \cpg named
    doc_set = False  # an \ansicpg set the document's code page
    deff = 0
    # the group state: destination, \uc, read apart, current font (None: \deff), in the
    # font table, the font being defined there, \'hh bytes held while an apart group is read
    stack: list[tuple[int, int, bool, int | None, bool, int | None, _Run | None]] = []
    dest, uc, skip, apart = TEXT, 1, 0, False
    font: int | None = None
    fonttbl, defining = False, None
    held: _Run | None = None
    hexdata: list[str] = []
    bindata: list[str] = []
    datatext: list[str] = []  # the content of the data group being read
    dataname = ""
    data: list[tuple[str, str]] = []
    pos, n, count = 0, len(raw), 0

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            out.append(pending)
            pending = None

    def current() -> str:
        codec = fonts.get(deff if font is None else font, "")
        return "" if codec == _UNKNOWN else codec

    def picture() -> None:
        if bindata:
            pictures.append("".join(bindata).encode("latin-1"))
        else:
            digits = re.sub(r"[^0-9a-fA-F]", "", "".join(hexdata))
            if len(digits) >= 2:
                pictures.append(bytes.fromhex(digits[: len(digits) // 2 * 2]))
        hexdata.clear()
        bindata.clear()

    def flush_text(text: str) -> None:
        flush()
        out.append(text)

    def set_apart() -> None:
        """The group's text is read apart; the bytes before it wait for the text after it."""
        nonlocal apart, held, pending
        held, pending = pending, None
        out.append("\n")
        apart = True

    while pos < n:
        count += 1
        if check is not None and count % 8192 == 0:
            check()
        m = _TOKEN.match(raw, pos)
        if m is None:  # (every character starts a token)
            break
        pos = m.end()
        word, hexbyte, symbol, brace, text = m.group(1), m.group(3), m.group(4), m.group(5), m.group(6)
        if hexbyte is not None:
            if skip:
                skip -= 1
            elif dest == TEXT:
                codec = current()
                if pending is None or pending.codec != codec:
                    flush()
                    pending = _Run(codec)
                pending.data.append(int(hexbyte, 16))
            elif dest == PICT:
                hexdata.append(hexbyte)
            else:
                datatext.append(hexbyte)
            continue
        if text is not None:
            if skip:
                dropped = min(skip, len(text))
                skip -= dropped
                text = text[dropped:]
            if dest == TEXT:
                text = text.replace("\r", "").replace("\n", "")  # (line breaks of the file are not text)
                if text:
                    flush_text(text)
            elif dest == PICT:
                hexdata.append(text)
            else:
                datatext.append(text)
        elif brace == "{":
            stack.append((dest, uc, apart, font, fonttbl, defining, held))
            if dest == PICT:
                dest = DATA  # a group inside a picture (\picprop, \blipuid) holds no picture data
                dataname = "pict-group"
            skip, apart, held = 0, False, None
        elif brace == "}":
            if dest == PICT:
                picture()
            if apart:
                flush_text("\n")
                pending = held  # the bytes before the apart group go on after it
            was = dest
            dest, uc, apart, font, fonttbl, defining, held = (
                stack.pop() if stack else (TEXT, 1, False, None, False, None, None))
            if was == DATA and dest != DATA:
                if datatext:
                    data.append((dataname, "".join(datatext)))
                datatext.clear()
            skip = 0
        elif symbol is not None:
            if dest == TEXT and symbol == "*" and not apart:
                set_apart()
            elif dest == TEXT and symbol in _SYMBOLS:
                flush_text(_SYMBOLS[symbol])
        elif word is not None:
            param = m.group(2)
            number = int(param) if param is not None else None
            if word == "bin":
                size = max(0, number or 0)
                if dest == PICT:
                    bindata.append(raw[pos : pos + size])
                elif dest == DATA:
                    datatext.append(raw[pos : pos + size])
                pos += size
            elif word == "u" and number is not None:
                if dest == TEXT:
                    flush_text(chr(number % 65536))
                skip = uc
            elif word == "uc" and number is not None:
                uc = max(0, min(number, 16))
            elif word == "f" and number is not None:
                font = number
                if fonttbl:
                    defining = number
            elif word == "plain":
                font = None
            elif word == "deff" and number is not None:
                deff = number
            elif word in ("fcharset", "cpg") and number is not None and fonttbl:
                if word == "cpg":
                    cp = _lookup(f"cp{number}") if number else ""
                else:
                    cp = CHARSETS.get(number)
                if cp is None:
                    unknown = True
                elif cp:
                    named.add(cp)
                if defining is not None and (word == "cpg" or defining not in by_cpg):
                    fonts[defining] = _UNKNOWN if cp is None else cp
                    if word == "cpg":
                        by_cpg.add(defining)  # (a font's \cpg names its code page over its \fcharset)
            elif word == "fonttbl":
                fonttbl = True
                if dest == TEXT and not apart:
                    set_apart()
            elif word == "ansicpg" or word in _DOC_CHARSETS:
                cp = _DOC_CHARSETS.get(word) or (_lookup(f"cp{number}") if number is not None else None)
                if cp is None:
                    unknown = True
                elif len(stack) <= 1 and dest == TEXT and not apart:
                    if word == "ansicpg":
                        if doc_set and doc_codec != cp:
                            named.add(doc_codec)  # a second code page in the header: read so too
                        doc_set = True
                    if word == "ansicpg" or not doc_set:
                        doc_codec = cp
                else:
                    named.add(cp)  # a code page in a nested group (a generator's): read so too
            elif dest == TEXT:
                if word == "pict":
                    dest = PICT
                elif word in _DATA:
                    dest = DATA
                    dataname = word
                elif word in _APART and not apart:
                    set_apart()
                elif word in _BREAKS:
                    flush_text("\n")
                elif word in _BLANKS:
                    flush_text(" ")
    if apart and held is not None:
        flush()
        pending = held
    flush()
    if dest == PICT:
        picture()  # an unclosed picture group at the end of the file
    if datatext:
        data.append((dataname, "".join(datatext)))  # an unclosed data group
    text, alternates = _render(out, doc_codec, named, unknown or _UNKNOWN in fonts.values(), check)
    return Reading(text, pictures, data, alternates)


def _render(out: list[str | _Run], doc_codec: str, named: set[str], unknown: bool,
            check: Callable[[], None] | None) -> tuple[str, list[tuple[str, str]]]:
    """The text, each run in its code page; and the other readings (``Reading.alternates``)."""
    runs = [piece for piece in out if isinstance(piece, _Run)]
    undecoded = False
    parts: list[str] = []
    for piece in out:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        codec = piece.codec or doc_codec
        try:
            parts.append(piece.data.decode(codec))
        except UnicodeDecodeError:
            undecoded = True
            parts.append(piece.data.decode(codec, "replace"))
    text = "".join(parts)
    if not runs:
        return text, []
    candidates = {doc_codec, *named}
    if unknown or undecoded:
        candidates.update(DOUBLE_BYTE)
    used = {piece.codec or doc_codec for piece in runs}
    if len(used) == 1:
        candidates.discard(next(iter(used)))
    order = sorted(candidates, key=lambda c: (c not in DOUBLE_BYTE, c))[:MAX_ALTERNATES]
    lines = set(text.split("\n"))
    alternates: list[tuple[str, str]] = []
    # every run's bytes, one a line (a line feed is no byte of a double-byte character in
    # any code page here: each run decodes as it does alone), decoded once per code page
    joined = b"\n".join(piece.data for piece in runs)
    for codec in order:
        if check is not None:
            check()
        if not _FOREIGN_DIGIT.search(joined.decode(codec, "replace")):
            continue  # (its bytes show no digit in this code page: its letters spell no number)
        decoded = {id(piece): piece.data.decode(codec, "replace") for piece in runs}
        other = "".join(piece if isinstance(piece, str) else decoded[id(piece)] for piece in out)
        new = [line for line in other.split("\n") if line not in lines and _FOREIGN_DIGIT.search(line)]
        if new:
            alternates.append((codec, "\n".join(new)))
    return text, alternates


#: a character with a numeric value outside ASCII (a full-width, superscript or circled
#: digit), which the detector's normalizer reads as a digit: what another code page's
#: reading of a run can add to an identifier (``Reading.alternates`` keeps only the lines
#: that have one: an ordinary document's accented letters and quotes, read in each code
#: page its font table names, are no number in any of them)
_FOREIGN_DIGIT = regex.compile(r"[[\p{Nd}\p{No}]--\p{ASCII}]", regex.V1)


_HEX_TEXT = re.compile(r"[0-9a-fA-F\s]+")


def data_bytes(content: str) -> bytes:
    """A data group's bytes: its hex digits decoded (as Word reads ``\\objdata``,
    ``\\themedata``, ``\\datastore``); content that is not hex as written."""
    if _HEX_TEXT.fullmatch(content):
        digits = re.sub(r"\s", "", content)
        return bytes.fromhex(digits[: len(digits) // 2 * 2])
    return content.encode("latin-1", "replace")
