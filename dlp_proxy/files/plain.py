"""Plain text (any encoding), HTML, XML, JSON and RTF."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dlp_proxy.files.bounded import TooBig, caps
from dlp_proxy.files.css import css_generated
from dlp_proxy.files.rows import delimited_rows, html_rows, pipe_rows
from dlp_proxy.files.text import (
    binary_strings,
    cjk_readings,
    decode,
    detect_encoding,
    identifier_runs,
    iter_decoded,
    iter_ebcdic,
    json_strings,
    line_blocks,
    looks_ebcdic,
    numerals,
    strip_markup,
    text_kind,
)

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx


#: how a formula field starts: Excel (and LibreOffice) read a CSV field starting with
#: ``=``, ``+``, ``-`` or ``@`` as a formula (the "CSV injection" prefixes); ``@`` is the
#: Lotus form of ``=``, ``+``/``-`` keep their sign (``+53&"6-22"`` is ``=+53&"6-22"``)
_FORMULA_START = ("=", "+", "-", "@")
#: (the sign first, its field start looked behind for: a scan for a character class
#: costs ~4x less than one for a field start, on a blotter full of commas)
_FORMULA_FIELD = re.compile(
    r"[=@+-](?:(?<=[,;\t\n][=@+-])|(?<=[,;\t\n] [=@+-])|(?<=[,;\t\n]\"[=@+-])|(?<=^[=@+-])|(?<=^\"[=@+-]))"
    r"(?:(?<=[=@])|(?![\d.]*[ \t]*(?:[,;\t\r\n]|$)|[\d.]+\"))",
    re.MULTILINE,
)
#: a formula prefix after a blank: the field may start with blanks before it
#: (``,  =536&"-22-"&8710``; the look-behinds above are of fixed width); the prefix
#: first, the rarer character class (a search from every comma cost 3x the one above)
_BLANK_PREFIX = re.compile(r"[=@+-](?<=[ \t][=@+-])")
#: a number in scientific notation (``5.3622871E8``): Excel reads it as the number and
#: shows a whole number of up to 11 digits in full under the General format (AAAGGSSSS)
_SCI_FIELD = re.compile(
    r"(^|[,;\t])([ \t]*\"?)([+-]?[0-9]+(?:\.[0-9]+)?[eE]\+?[0-9]{1,2})(?=\"?[ \t]*(?:[,;\t\r\n]|$))",
    re.MULTILINE,
)
_SCI_HINT = re.compile(r"[eE](?<=[0-9][eE])\+?[0-9]")
#: a signed number is a number, not a formula whose value says more
_PLAIN_NUMBER = re.compile(r"[+-]?[\d.,\s]*")
_FIELD_SEP = re.compile(r"[,;\t]")
#: a CSV/TSV block of fewer lines has its rows read as a spreadsheet shows them (``rows.delimited_rows``)
_FEW_ROWS = 64
#: the encoding an XML declaration names
#: A tag, comment or declaration: the markup reading of an HTML or XML file (those holding a digit)
_MARKUP = re.compile(r"<[^<>]{1,8000}>")
_DIGIT = re.compile(r"[0-9]")
#: a picture written into the markup (``src="data:image/png;base64,..."``): read by
#: embedded.extract_data_uris, left out of the markup reading
_DATA_URI = re.compile(r"data:[^\s\"'<>]{64,}")
_XML_ENCODING = re.compile(r"""^(\s*<\?xml\s[^>]{0,200}?encoding\s*=\s*)["'][^"']*["']""")


def csv_formulas(block: str, loc: str, ctx: Ctx) -> bool:
    """Fields of a delimited text that start with ``=``, ``+``, ``-`` or ``@``: Excel
    evaluates them as formulas when it opens the file (``client SSN,=CHAR(53)&...``,
    ``+CHAR(53)&...``, ``@53&"6-22-87"&10``), blanks before the prefix included.  A
    block whose numbers in scientific notation Excel shows as whole numbers
    (``5.3622871E8`` -> ``AAAGGSSSS``) is added as ``<loc>/shown``.  Each formula is evaluated as a sheet formula
    (``cells.evaluate``; references to the block's own cells, column A first, line 1 of
    the block row 1) and its value added as ``<loc>/formula line=N``, after the label to
    its left.  False once the text budget is spent."""
    import csv
    import io

    from dlp_proxy.files.cells import col_letters, evaluate, formula_shaped

    if _SCI_HINT.search(block) is not None:
        shown = _SCI_FIELD.sub(lambda m: m.group(1) + m.group(2) + _general_number(m.group(3)), block)
        if shown != block and not ctx.add(f"{loc}/shown", shown):
            return False
    if _FORMULA_FIELD.search(block) is None and not _blank_formula_field(block):
        return True
    lines = block.splitlines()
    first_line = next((ln for ln in lines if ln.strip()), "")
    delimiter = max(",;\t", key=first_line.count) if _FIELD_SEP.search(first_line) else ","
    rows = list(csv.reader(io.StringIO(block), delimiter=delimiter))
    values = {f"{col_letters(c + 1)}{r + 1}": v for r, row in enumerate(rows) for c, v in enumerate(row[:702])}
    out: list[str] = []
    for r, row in enumerate(rows):
        label = ""
        for cell in row:
            # blanks before a formula prefix are read as the formula (fail closed)
            field = cell.lstrip(" \t") if cell.lstrip(" \t").startswith(_FORMULA_START) else cell
            if field.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(field):
                formula = "=" + field[1:] if field[0] in "=@" else "=" + field
                value = evaluate(formula, values.get)
                if value is not None and value != field:
                    out.append(f"{label}: {value}" if label else value)
                elif value is None and _FUNCTION_OR_SHEET.search(field) and formula_shaped(formula[1:]):
                    # a function or another sheet's cell it cannot work out: computed on open
                    # (``=HEX2DEC("218")&...``; insider attack of 2026-12-06, F2), with or
                    # without a digit in its text (``ROW()``, ``CODE("c")`` make digits from
                    # none: attack of 2026-12-07); a phone number's ``+1 (212) ...`` calls nothing
                    ctx.problem("active-content", f"{loc}/formulas")
            elif field.strip() and not any(ch.isdigit() for ch in field):
                label = field.strip()
        if r % 256 == 0:
            ctx.budget.check_time()
    return not out or ctx.add(f"{loc}/formulas", "\n".join(out))


#: a function call or a reference to another sheet in a formula field
_FUNCTION_OR_SHEET = re.compile(r"[A-Za-z][A-Za-z0-9._]*[ \t]*\(|!\$?[A-Za-z]{1,3}\$?[0-9]")


def _blank_formula_field(block: str) -> bool:
    """Whether a field of ``block`` is blanks (and a quote) before a formula prefix."""
    for m in _BLANK_PREFIX.finditer(block):
        j = m.start()
        while j > 0 and block[j - 1] in " \t":
            j -= 1
        if j > 0 and block[j - 1] == '"':
            j -= 1
        if j == 0 or block[j - 1] in ",;\t\n":
            return True
    return False


def _general_number(field: str) -> str:
    """A number in scientific notation as Excel's General format shows it once the
    CSV is opened: a whole number of up to 11 digits in full (``5.3622871E8`` ->
    ``AAAGGSSSS``); any other value as written."""
    v = float(field)
    if v != int(v) or abs(v) >= 1e11:
        return field
    return str(int(v))


def extract_text(data: bytes, ctx: Ctx, kind: str = "text-or-binary", name: str = "") -> str:
    ebcdic = looks_ebcdic(data)
    if ebcdic:
        # a mainframe export in EBCDIC reads as Latin-1 noise or binary: read it decoded,
        # as a second reading (``encoding=cp037/lines=...``)
        for loc, block in line_blocks(iter_ebcdic(data)):
            ctx.budget.check_time()
            if not ctx.add(f"encoding=cp037/{loc}", block):
                return "text"
    head = decode(data[:8192])
    if head is None and ebcdic:
        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return "text"  # text in EBCDIC, read above: no unsupported type
    if head is None:
        from dlp_proxy.files.sniff import pillow_format

        if pillow_format(data):
            # any raster Pillow reads (ICO, TGA, PCX, DDS, SGI, QOI, ...) is a picture
            ctx.extract(data, kind="image", name=name)
            binary_strings(data, ctx.budget, ctx.loc("strings"))
            return "image"
        ctx.problem("unsupported-type")
        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return "binary"
    kind = text_kind(decode(data) or "" if len(data) <= 8192 else head)
    if b"begin" in data:
        uudecoded(data, ctx)
    if kind in ("html", "xml"):
        text = decode(data) or ""
        # what its style sheets draw and its lists number (css.py)
        css_generated(text, ctx)
        if kind == "xml":
            from dlp_proxy.files.xmltext import xml_readings

            # the text is decoded already (by its declaration when it has one): the
            # parser must not decode it again by that declaration
            readings = xml_readings(_XML_ENCODING.sub(r'\1"utf-8"', text, count=1).encode("utf-8"))
            if readings is None:
                stripped = strip_markup(text, xml=True)
            else:
                # every element a field of its own; mixed content also read joined
                stripped, joined = readings
                if joined is not None:
                    for loc, block in line_blocks([joined]):
                        ctx.budget.check_time()
                        if not ctx.add(f"text/joined/{loc}", block):
                            return kind
        else:
            stripped = strip_markup(text)
            for number, row in html_rows(text):
                if not ctx.add(f"text/table-row={number}", row):
                    return kind
        for loc, block in line_blocks([stripped]):
            ctx.budget.check_time()
            if not ctx.add(f"text/{loc}", block):
                return kind
        if ctx.limits.ocr:
            from dlp_proxy.files.embedded import extract_data_uris

            # pictures written into the page (<img src="data:...">, SVG <image href>)
            extract_data_uris(text, ctx)
        if kind == "xml" and "<svg" in text[:65536]:
            from dlp_proxy.files.svg import add_svg_reading

            # an SVG is drawn by the browser: its text as displayed (svg.py)
            add_svg_reading(data, ctx, text)
        else:
            # the markup the readings above drop, read too: a tag, an attribute or a comment
            # holding a digit (``<x client SSN AAA-GG-SSSS>`` in a text file that starts with
            # a tag, ``<p title="...">``, ``<!-- ... -->``), one a line (not an SVG's: its
            # markup is the drawing's coordinates, its text read as drawn by svg.py)
            tags = (_DATA_URI.sub("data:", m.group(0)) for m in _MARKUP.finditer(text))
            markup = "\n".join(t for t in tags if _DIGIT.search(t))
            for loc, block in line_blocks([markup]):
                ctx.budget.check_time()
                if not ctx.add(f"markup/{loc}", block):
                    return kind
        _legacy_readings(data, kind, ctx)
        return kind
    for loc, block in line_blocks(iter_decoded(data)):
        ctx.budget.check_time()
        if not ctx.add(loc, block):
            return kind
        if not csv_formulas(block, loc, ctx):
            return kind
        if "|" in block:
            first = int(loc.split("=", 1)[1].split("-", 1)[0])
            for number, row in pipe_rows(block):
                if not ctx.add(f"line={first + number - 1}/row", row):
                    return kind
        if kind in ("csv", "tsv") and block.count("\n", 0, 1 << 16) < _FEW_ROWS:
            # (a small file: a delimited table of many rows is read by the detector, structure.py)
            first = int(loc.split("=", 1)[1].split("-", 1)[0])
            for number, row in delimited_rows(block):
                if not ctx.add(f"line={first + number - 1}/row", row):
                    return kind
    if kind == "json" and b"\\u" in data:
        text = decode(data) or ""
        try:
            ctx.add("json-decoded", json_strings(text))
        except ValueError:
            pass
    _legacy_readings(data, kind, ctx)
    return kind


#: a header line as GNU sharutils' ``uudecode`` takes one (``sscanf(buf, "begin-base64 %o
#: %[^\\n]")``, then ``"begin %o %[^\\n]"``): ``begin`` at the start of a line, blanks or none,
#: an octal mode of any length (``0100644``; a sign allowed), blanks or none, a name of one
#: character or more (the rest of the line)
_UU_BEGIN = re.compile(rb"^begin(-base64)?[ \t\v\f\r]*[+-]?[0-7]+[ \t\v\f\r]*([^\n]+)", re.MULTILINE)
#: encoded blocks of one file decoded at most (more: ``corrupt``, the rest unread)
MAX_UU_BLOCKS = 64
#: sharutils reads a line with ``fgets`` into ``char buf[2 * BUFSIZ]`` (glibc: 8192): a
#: longer line is read in pieces of this many bytes
UU_LINE = 2 * 8192 - 1
#: a byte as ``DEC(c) = ((c) - ' ') & 077`` reads it, written in ``binascii.a2b_uu``'s range
_UU_CANON = bytes(32 + ((b - 32) & 63) for b in range(256))
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/=]+")


def _fgets_lines(data: bytes, pos: int) -> Iterator[tuple[bytes, int]]:
    """The lines ``fgets`` reads from ``pos`` on (the newline kept; a line longer than
    ``UU_LINE`` in pieces) and where the next one starts."""
    while pos < len(data):
        nl = data.find(b"\n", pos, pos + UU_LINE)
        end = nl + 1 if nl >= 0 else min(len(data), pos + UU_LINE)
        yield data[pos:end], end
        pos = end


def _uu_readings(data: bytes, pos: int, ctx: Ctx) -> tuple[bytes, bytes, bool]:
    """A uuencoded block from ``pos`` (after its header) read two ways: as sharutils'
    ``read_stduu`` does (each line's first character counts its bytes, ``DEC(c)``: a space
    or a backquote, 0, ends the data; the bytes are taken from the line's characters
    whatever they are, beyond the line's end from what ``fgets`` left in its buffer (the
    newline, a NUL, a longer earlier line's bytes); no other check: padding, trailing
    blanks, a length that disagrees with the data, a blank or ``end`` line before the
    zero-length one (decoded as data) are all read on) and as a lenient decoder does
    (blank lines skipped, an ``end`` line ends the block, a line gives what its own
    characters hold, at most what its length says); and whether the block is well formed
    (every line's length agrees with its data, a zero-length line then ``end``): then
    both readings are the same."""
    buf = bytearray(UU_LINE + 1)
    faithful = bytearray()
    lenient = bytearray()
    lenient_done = False
    agrees = True
    ended = False
    cap = caps(ctx)
    lines = _fgets_lines(data, pos)
    for count, (line, _end) in enumerate(lines):
        if count % 4096 == 4095:
            ctx.budget.check_time()
        buf[:len(line)] = line
        buf[len(line)] = 0
        n = (line[0] - 32) & 63
        body = line.rstrip(b"\r\n")
        if not lenient_done:
            if body == b"end" or (body and n == 0):
                lenient_done = True
            elif body:
                chars = body[1:].translate(_UU_CANON)
                have = min(n, len(chars) * 3 // 4)
                lenient += binascii.a2b_uu(bytes([32 + have]) + chars[:(have * 4 + 2) // 3])
        if n == 0:
            ended = next(lines, (b"", 0))[0] in (b"end\n", b"end\r\n", b"end")
            break
        need = (n + 2) // 3 * 4
        # (the characters the n bytes take: a2b_uu refuses others after them)
        faithful += binascii.a2b_uu(bytes([32 + n]) + bytes(buf[1:1 + (n * 4 + 2) // 3]).translate(_UU_CANON))
        agrees = agrees and need <= len(body) - 1 <= need + 2
        if len(faithful) > cap or len(lenient) > cap:
            raise TooBig
    return bytes(faithful), bytes(lenient), agrees and ended and faithful == lenient


def _b64_reading(data: bytes, pos: int, ctx: Ctx) -> tuple[bytes, bool]:
    """A ``begin-base64`` block from ``pos`` read leniently (as POSIX says: "characters
    not found in the table shall be ignored"; sharutils' own reader skips them too, newer
    ones through gnulib's decoder): the lines up to one starting with ``====`` (or the
    file's end), every character outside the base64 alphabet ignored, a group of
    characters ended by ``=`` padding decoded on its own (quads may cross lines); and
    whether every line was clean base64 (then the reading is the one any decoder gives)."""
    text = bytearray()
    clean = True
    cap = caps(ctx)
    ended = False
    for count, (line, _end) in enumerate(_fgets_lines(data, pos)):
        if count % 4096 == 4095:
            ctx.budget.check_time()
        if line.startswith(b"===="):
            ended = True
            break
        body = line.rstrip(b"\r\n")
        if _B64_JUNK.search(body):
            clean = False
        text += _B64_JUNK.sub(b"", body)
        if len(text) * 3 // 4 > cap:
            raise TooBig
    out = bytearray()
    for group in re.split(rb"=+", bytes(text)):
        group = group[:len(group) - len(group) % 4] + (group[len(group) - len(group) % 4:] if len(group) % 4 > 1 else b"")
        if group:
            out += base64.b64decode(group + b"=" * (-len(group) % 4))
    return bytes(out), clean and ended


def uudecoded(data: bytes, ctx: Ctx) -> None:
    """Each uuencoded block of a text file (``begin 644 name`` ... ``end``, or ``uuencode
    -m``'s ``begin-base64`` ... ``====``) decoded as GNU sharutils' ``uudecode`` decodes it
    (``_uu_readings``, ``_b64_reading``: a header with any octal mode, lines read on
    whatever their padding, blanks or length character say), and read as the file it is
    (``uudecode=<name>``): the detector decodes base64 and hex words, not uuencode's
    lines, and a base64 block split in lines is read a line at a time.  A block that is
    not well formed is also read as a lenient decoder reads it (``uudecode=<name>/lenient``)
    when that differs, and such readings are read as a file only when they are one of a
    known type or text; else by their printable runs (``uudecode=<name>/bytes``: prose
    after a line ``begin 2 weeks ...`` decodes to noise, which is neither held as a
    binary nor judged as text).  Bounded by the file's uncompressed budget."""
    for number, m in enumerate(_UU_BEGIN.finditer(data)):
        if number >= MAX_UU_BLOCKS:
            ctx.problem("corrupt", "uudecode")
            return
        name = m[2].decode("latin-1").strip() or "-"
        loc = f"uudecode={name}"
        pos = data.find(b"\n", m.end())
        if pos < 0:
            continue  # no line after the header
        try:
            if m[1]:
                out, well_formed = _b64_reading(data, pos + 1, ctx)
                readings = [(loc, out)]
            else:
                faithful, lenient, well_formed = _uu_readings(data, pos + 1, ctx)
                readings = [(loc, faithful)]
                if lenient != faithful:
                    readings.append((f"{loc}/lenient", lenient))
        except TooBig:
            ctx.problem("size-limit", loc)
            return
        for where, decoded in readings:
            if not decoded:
                continue
            ctx.budget.uncompressed += len(decoded)
            if well_formed or _readable(decoded):
                ctx.child(where).extract(decoded, name=name)
            else:
                ctx.add(f"{where}/bytes", identifier_runs(decoded))


def _readable(data: bytes) -> bool:
    """Whether decoded bytes are a file of a known type or text (not noise)."""
    from dlp_proxy.files.sniff import sniff

    if sniff(data) != "text-or-binary":
        return True
    return decode(data[:8192]) is not None


def _legacy_readings(data: bytes, kind: str, ctx: Ctx) -> None:
    """A file without a BOM read in every legacy CJK encoding under which it shows
    numerals (``text.cjk_readings``: Shift_JIS/CP932 ``５３６ー２２ー８７１０`` that reads
    as ``‚T‚R‚U`` in cp1252): each line block holding such a numeral, as
    ``encoding=cp932/lines=1-4`` (markup stripped for HTML and XML)."""
    if data.isascii():
        return  # (every reading of ASCII is the same)
    found = detect_encoding(data[:65536], whole=len(data) <= 65536)
    if found is None or found[1]:
        return  # binary, or a BOM says which encoding the file is in
    for enc in cjk_readings(data, found[0]):
        for loc, block in line_blocks(iter_decoded(data, encoding=enc)):
            ctx.budget.check_time()
            if numerals().search(block) is None:
                continue
            if kind in ("html", "xml"):
                block = strip_markup(block, xml=kind == "xml")
            if not ctx.add(f"encoding={enc}/{loc}", block):
                return


def extract_rtf(data: bytes, ctx: Ctx, kind: str = "rtf", name: str = "") -> None:
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")
    try:
        text = str(rtf_to_text(raw, errors="replace"))  # type: ignore[no-untyped-call]
    except Exception:
        ctx.problem("corrupt")
        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return
    for loc, block in line_blocks([text]):
        ctx.budget.check_time()
        if not ctx.add(loc, block):
            return
    # striprtf drops the contents of destinations such as {\*\...} (annotations,
    # hidden fields) and reads \bin data as text; the reading of rtf.read keeps the
    # first and skips the second (and decodes \u characters whatever striprtf made of
    # the groups around them)
    from dlp_proxy.files import rtf

    reading = rtf.read(raw, ctx.budget.check_time)
    lines = (" ".join(line.split()) for line in reading.text.split("\n"))
    ctx.add("raw", "\n".join(line for line in lines if line))
    # the lines whose \'hh bytes read otherwise in another code page the document names
    # (or a double-byte one, where a charset is unknown or bytes do not decode)
    for codec, other in reading.alternates:
        lines = (" ".join(line.split()) for line in other.split("\n"))
        ctx.add(f"raw/codepage={codec}", "\n".join(line for line in lines if line))
    from dlp_proxy.files.embedded import extract_rtf_data, extract_rtf_pictures

    # the data groups hex-decoded (objects, data stores, themes), and without OCR the
    # pictures' bytes: the file's raw reading sees their hex digits only (rawread.py)
    extract_rtf_data(reading.data, reading.pictures, ctx)
    if ctx.limits.ocr:
        extract_rtf_pictures(reading.pictures, ctx)
