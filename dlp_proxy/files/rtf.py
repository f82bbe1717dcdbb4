"""RTF read as a Word reader reads it, in one pass over the file ([MS-RTF] 1.9.1).

``read(raw)`` gives the text of every destination (ignorable ``{\\*...}`` ones too:
annotations, field instructions, hidden text; not the data of pictures and objects),
and the pictures.  What striprtf misses or gets wrong and this pass reads:

- ``\\binN``: N bytes of binary data that no reader shows as text; they are skipped,
  whatever they hold (braces that would close groups, digits that would join the
  digits around them: ``536-22-\\bin4 9999 8710`` shows ``AAA-GG-SSSS``), and a
  picture's data when they are in a ``\\pict`` group;
- ``\\uN`` characters (with ``\\ucN`` fallback characters skipped), ``\\'hh`` bytes in
  the document's code page (``\\ansicpgN``, a double-byte one too), the nonbreaking
  hyphen ``\\_`` shown as ``-``, ``\\~`` as a space.

Linear in the file: one regex token at a time, no backtracking.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field

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

TEXT, DATA, PICT = 0, 1, 2


@dataclass
class Reading:
    text: str = ""
    pictures: list[bytes] = field(default_factory=list)
    #: (destination, content) of every data group (``_DATA``: ``\\objdata``,
    #: ``\\datastore``, ``\\themedata``, a group inside a picture, ...): its text as
    #: written (hex as Word writes it, ``\\binN`` bytes as latin-1 characters)
    data: list[tuple[str, str]] = field(default_factory=list)


def read(raw: str, check: Callable[[], None] | None = None) -> Reading:
    """The text and pictures of RTF ``raw`` (the file's bytes decoded as latin-1, one
    character a byte).  ``check`` is called every few thousand tokens (a time budget)."""
    out: list[str] = []
    pictures: list[bytes] = []
    pending = bytearray()  # \'hh bytes not yet decoded
    codec = "cp1252"
    stack: list[tuple[int, int, bool]] = []
    dest, uc, skip, apart = TEXT, 1, 0, False
    hexdata: list[str] = []
    bindata: list[str] = []
    datatext: list[str] = []  # the content of the data group being read
    dataname = ""
    data: list[tuple[str, str]] = []
    pos, n, count = 0, len(raw), 0

    def flush() -> None:
        if pending:
            out.append(pending.decode(codec, "replace"))
            pending.clear()

    def picture() -> None:
        if bindata:
            pictures.append("".join(bindata).encode("latin-1"))
        else:
            digits = re.sub(r"[^0-9a-fA-F]", "", "".join(hexdata))
            if len(digits) >= 2:
                pictures.append(bytes.fromhex(digits[: len(digits) // 2 * 2]))
        hexdata.clear()
        bindata.clear()

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
                pending.append(int(hexbyte, 16))
            elif dest == PICT:
                hexdata.append(hexbyte)
            else:
                datatext.append(hexbyte)
            continue
        flush()
        if text is not None:
            if skip:
                dropped = min(skip, len(text))
                skip -= dropped
                text = text[dropped:]
            if dest == TEXT:
                out.append(text)
            elif dest == PICT:
                hexdata.append(text)
            else:
                datatext.append(text)
        elif brace == "{":
            stack.append((dest, uc, apart))
            if dest == PICT:
                dest = DATA  # a group inside a picture (\picprop, \blipuid) holds no picture data
                dataname = "pict-group"
            skip, apart = 0, False
        elif brace == "}":
            if dest == PICT:
                picture()
            if apart:
                out.append("\n")
            was = dest
            dest, uc, apart = stack.pop() if stack else (TEXT, 1, False)
            if was == DATA and dest != DATA:
                if datatext:
                    data.append((dataname, "".join(datatext)))
                datatext.clear()
            skip = 0
        elif symbol is not None:
            if dest == TEXT and symbol == "*" and not apart:
                out.append("\n")
                apart = True
            elif dest == TEXT and symbol in _SYMBOLS:
                out.append(_SYMBOLS[symbol])
        elif word is not None:
            param = m.group(2)
            if word == "bin":
                size = max(0, int(param or 0))
                if dest == PICT:
                    bindata.append(raw[pos : pos + size])
                elif dest == DATA:
                    datatext.append(raw[pos : pos + size])
                pos += size
            elif word == "u" and param is not None:
                if dest == TEXT:
                    out.append(chr(int(param) % 65536))
                skip = uc
            elif word == "uc" and param is not None:
                uc = max(0, min(int(param), 16))
            elif word == "ansicpg" and param is not None:
                try:
                    codec = codecs.lookup(f"cp{int(param)}").name
                except LookupError:
                    pass
            elif dest == TEXT:
                if word == "pict":
                    dest = PICT
                elif word in _DATA:
                    dest = DATA
                    dataname = word
                elif word in _APART and not apart:
                    out.append("\n")
                    apart = True
                elif word in _BREAKS:
                    out.append("\n")
                elif word in _BLANKS:
                    out.append(" ")
    flush()
    if dest == PICT:
        picture()  # an unclosed picture group at the end of the file
    if datatext:
        data.append((dataname, "".join(datatext)))  # an unclosed data group
    return Reading("".join(out), pictures, data)


_HEX_TEXT = re.compile(r"[0-9a-fA-F\s]+")


def data_bytes(content: str) -> bytes:
    """A data group's bytes: its hex digits decoded (as Word reads ``\\objdata``,
    ``\\themedata``, ``\\datastore``); content that is not hex as written."""
    if _HEX_TEXT.fullmatch(content):
        digits = re.sub(r"\s", "", content)
        return bytes.fromhex(digits[: len(digits) // 2 * 2])
    return content.encode("latin-1", "replace")
