"""Legacy Office and Outlook files: OLE2 compound files (.doc, .xls, .ppt, .msg).

The container is read with olefile; what is inside is told apart by its streams:

- ``__substg1.0_*`` / ``__properties_version1.0``: Outlook .msg, read with extract-msg
  (headers, plain and HTML body, every attachment extracted recursively, embedded
  messages included) ([MS-OXMSG]); the RTF body (``PR_RTF_COMPRESSED``, which Outlook
  shows when it is the message's only body or its native one) is decompressed
  (``lzfu.py``) and read as an RTF file of its own at ``rtf-body``, whatever other
  bodies the message has;
- ``Workbook`` / ``Book``: Excel 97-2003 .xls, every cell of every sheet (hidden sheets
  flagged) with xlrd; a workbook with a FILEPASS record is ``encrypted``;
- ``WordDocument``: Word 97-2003 .doc; the text is read through the piece table (CLX)
  of the table stream, as [MS-DOC] 2.4.1 says: body, headers, footers, footnotes,
  comments and text boxes all live in that text; ``fEncrypted`` -> ``encrypted``;
- ``PowerPoint Document``: PowerPoint 97-2003 .ppt, every TextCharsAtom, TextBytesAtom
  and CString record of the record tree ([MS-PPT] 2.3), slides, notes and masters alike.

Chosen over Debian's antiword/catdoc/xls2csv by measurement (docs/files.md): no process
per file, and the piece table reads Unicode pieces antiword's text mode drops.
Embedded OLE objects (``ObjectPool``, ``MBD*``, ``EmbeddedObjects`` storages) are not
parsed as documents: their streams' printable strings are scanned.
Anything else in a compound file is ``unsupported-type`` (printable strings still scanned).
"""

from __future__ import annotations

import datetime
import struct
from typing import Any

from dlp_proxy.files.context import Ctx
from dlp_proxy.files.css import css_generated
from dlp_proxy.files.limits import TimeUp
from dlp_proxy.files.text import binary_strings, line_blocks, strip_markup

_EMBED_PREFIXES = ("ObjectPool/", "MBD", "EmbeddedObjects/", "_1")
#: Word's special characters -> text: cell/row marks, field delimiters, breaks
_WORD_CONTROL = str.maketrans({"\x07": "\t", "\x0b": "\n", "\x0c": "\n", "\x0d": "\n", "\x13": " ", "\x14": " ",
                               "\x15": " ", "\x01": " ", "\x08": " ", "\x1e": "-", "\x1f": ""})


def extract_encrypted(data: bytes, ctx: Ctx, kind: str = "cfb-encrypted", name: str = "") -> None:
    """An OOXML document in an OLE2 encryption envelope: nothing to read without the password."""
    ctx.problem("encrypted")


def extract_cfb(data: bytes, ctx: Ctx, kind: str = "cfb", name: str = "") -> str | None:
    """Returns the precise type (``msg``, ``xls``, ``doc``, ``ppt``) or None."""
    import olefile

    try:
        ole = olefile.OleFileIO(data if len(data) >= olefile.MINIMAL_OLEFILE_SIZE else _pad(data))
        names = ["/".join(p) for p in ole.listdir(streams=True, storages=False)]
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt")
        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return None
    top = {n.split("/", 1)[0] for n in names}
    try:
        if "__properties_version1.0" in top or any(n.startswith("__substg1.0_") for n in top):
            _msg(data, ctx)
            return "msg"
        if "Workbook" in top or "Book" in top:
            _xls(data, ctx)
            found = "xls"
        elif "WordDocument" in top:
            _doc(ole, ctx)
            found = "doc"
        elif "PowerPoint Document" in top:
            _ppt(ole.openstream("PowerPoint Document").read(), ctx)
            found = "ppt"
        else:
            ctx.problem("unsupported-type")
            binary_strings(data, ctx.budget, ctx.loc("strings"))
            return None
    except TimeUp:
        raise
    except _Encrypted:
        ctx.problem("encrypted")
        return None
    for name in names:
        if name.startswith(_EMBED_PREFIXES) and "/" in name:
            ctx.budget.check_time()
            _embedded(ole.openstream(name).read(), name, ctx)
    return found


#: embedded streams that are files of their own (an OLE "Package" holds the file as is;
#: "CONTENTS" a PDF or image; an embedded workbook is a compound file)
_EMBEDDED_FILES = (b"PK\x03\x04", b"%PDF-", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x89PNG", b"\xff\xd8\xff")


def _embedded(data: bytes, name: str, ctx: Ctx) -> None:
    """An embedded OLE object: a file of a known format is extracted as a file (through
    the context's dispatcher); any other stream's printable strings are scanned."""
    child = ctx.child(f"embedded={name}")
    if data.startswith(_EMBEDDED_FILES) and child.depth <= ctx.limits.max_depth:
        child.extract(data, name=name.rsplit("/", 1)[-1])
    else:
        binary_strings(data, ctx.budget, child.prefix)


class _Encrypted(Exception):
    pass


def _pad(data: bytes) -> bytes:
    # olefile takes a bytes argument shorter than MINIMAL_OLEFILE_SIZE for a file name
    return data + b"\x00" * (1536 - len(data))


# -- .msg ----------------------------------------------------------------------------


def _msg(data: bytes, ctx: Ctx) -> None:
    import logging

    import extract_msg

    logging.getLogger("extract_msg").setLevel(logging.CRITICAL)
    msg = extract_msg.openMsg(data, delayAttachments=False, strict=False)
    try:
        _message(msg, ctx)
    finally:
        try:
            msg.close()
        except Exception:  # noqa: S110 - nothing to release but the bytes
            pass


def _safe(getter: Any) -> str:
    try:
        value = getter()
    except TimeUp:
        raise
    except Exception:
        return ""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _message(msg: Any, ctx: Ctx) -> None:
    headers = [f"{label}: {_safe(lambda a=attr: getattr(msg, a))}" for label, attr in
               (("From", "sender"), ("To", "to"), ("Cc", "cc"), ("Bcc", "bcc"), ("Subject", "subject"),
                ("Date", "date"))]
    ctx.add("headers", "\n".join(h for h in headers if not h.endswith(": ")))
    body = _safe(lambda: msg.body)
    for loc, block in line_blocks([body]):
        ctx.budget.check_time()
        if not ctx.add(f"body/{loc}", block):
            return
    markup = _safe(lambda: msg.htmlBody)
    if markup.strip():
        # what the HTML body's style sheets draw and its lists number, as for an HTML file
        css_generated(markup, ctx, "html")
    html = strip_markup(markup)
    if html.strip() and "".join(html.split()) not in "".join(body.split()):
        ctx.add("html", html)  # (extract-msg makes an HTML body from the plain one: scanned once)
    _rtf_body(msg, ctx)
    for index, att in enumerate(list(msg.attachments)[: ctx.limits.max_entries]):
        ctx.budget.check_time()
        name = _safe(lambda a=att: a.getFilename()) or _safe(lambda a=att: a.longFilename) or f"attachment{index + 1}"
        sub = f"attachment={name}"
        if not ctx.budget.take_entry(ctx.loc(sub)):
            return
        payload = _safe_data(att)
        child = ctx.child(sub)
        if child.depth > ctx.limits.max_depth:
            child.problem("depth-limit")
            continue
        if isinstance(payload, (bytes, bytearray)):
            child.extract(bytes(payload), name=name)
        elif payload is not None and hasattr(payload, "attachments"):
            _message(payload, child)  # an embedded message
        else:
            child.problem("unsupported-type")  # a reference to a file elsewhere, an OLE object


def _rtf_body(msg: Any, ctx: Ctx) -> None:
    """The message's compressed RTF body (``__substg1.0_10090102``), decompressed within
    the file's uncompressed budget and read as an RTF file at ``rtf-body`` (text, objects,
    pictures; at the message's depth: it is the message's body, not a file in it).  A
    stream that does not decompress, or decompresses with faults, is ``corrupt`` (what
    did decompress is read); one over the budget ``size-limit``."""
    from dlp_proxy.files import lzfu
    from dlp_proxy.files.bounded import caps

    try:
        stream = msg.getStream("__substg1.0_10090102")
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt", "rtf-body")
        return
    if not stream:
        return
    try:
        decoded = lzfu.decode(bytes(stream), caps(ctx), ctx.budget.check_time)
    except lzfu.Overflow:
        ctx.problem("size-limit", "rtf-body")
        return
    except ValueError:
        ctx.problem("corrupt", "rtf-body")
        return
    if decoded.faults:
        ctx.problem("corrupt", "rtf-body")
    ctx.budget.uncompressed += len(decoded.data)
    if decoded.data:
        body = Ctx(ctx.budget, ctx.depth, ctx.loc("rtf-body"), ctx.recurse)
        body.extract(decoded.data, kind="rtf", name="rtf-body.rtf")


def _safe_data(att: Any) -> Any:
    try:
        return att.data
    except TimeUp:
        raise
    except Exception:
        return None


# -- .xls ----------------------------------------------------------------------------


def _xls(data: bytes, ctx: Ctx) -> None:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=_NullLog(), ragged_rows=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise _Encrypted() from None
        raise
    try:
        for index in range(book.nsheets):
            ctx.budget.check_time()
            sheet = book.get_sheet(index)
            hidden = " (hidden)" if getattr(sheet, "visibility", 0) else ""
            for r in range(sheet.nrows):
                if r % 256 == 0:
                    ctx.budget.check_time()
                for c, cell in enumerate(sheet.row(r)):
                    text = _xls_cell(cell, book.datemode)
                    if text and not ctx.add(f"sheet={sheet.name}!{_col(c)}{r + 1}{hidden}", text):
                        return
            book.unload_sheet(index)
        names = [n.name for n in getattr(book, "name_obj_list", [])]
        ctx.add("workbook", "\n".join(names))
    finally:
        book.release_resources()


class _NullLog:
    def write(self, _text: str) -> None:
        return None


def _col(n: int) -> str:
    out = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def _xls_cell(cell: Any, datemode: int) -> str:
    import xlrd

    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        value = float(cell.value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            moment = xlrd.xldate_as_datetime(cell.value, datemode)
        except Exception:
            return str(cell.value)
        return str(moment.date().isoformat() if moment.time() == datetime.time() else moment.isoformat(sep=" "))
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    return str(cell.value)


# -- .doc ----------------------------------------------------------------------------


def _doc(ole: Any, ctx: Ctx) -> None:
    word = ole.openstream("WordDocument").read()
    if len(word) < 0x01AA:
        raise ValueError("FIB too short")
    ident, flags = struct.unpack_from("<H", word, 0)[0], struct.unpack_from("<H", word, 0x0A)[0]
    if ident != 0xA5EC:
        raise ValueError("not a Word 97+ document")
    if flags & 0x0100:
        raise _Encrypted()
    table_name = "1Table" if flags & 0x0200 else "0Table"
    table = ole.openstream(table_name).read()
    fc_clx, lcb_clx = struct.unpack_from("<II", word, 0x01A2)
    clx = table[fc_clx : fc_clx + lcb_clx]
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:  # Prc: property modifiers, skipped
        (size,) = struct.unpack_from("<H", clx, pos + 1)
        pos += 3 + size
    if pos >= len(clx) or clx[pos] != 0x02:
        raise ValueError("no piece table")
    (lcb,) = struct.unpack_from("<I", clx, pos + 1)
    plc = clx[pos + 5 : pos + 5 + lcb]
    n = (len(plc) - 4) // 12
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    parts: list[str] = []
    for i in range(n):
        (fc_raw,) = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * i + 2)
        length = max(0, cps[i + 1] - cps[i])
        if fc_raw & 0x40000000:
            start = (fc_raw & 0x3FFFFFFF) // 2
            parts.append(word[start : start + length].decode("cp1252", "replace"))
        else:
            start = fc_raw & 0x3FFFFFFF
            parts.append(word[start : start + 2 * length].decode("utf-16-le", "replace"))
        if i % 256 == 0:
            ctx.budget.check_time()
    text = "".join(parts).translate(_WORD_CONTROL)
    for loc, block in line_blocks([text]):
        ctx.budget.check_time()
        if not ctx.add(loc, block):
            return


# -- .ppt ----------------------------------------------------------------------------

_TEXT_CHARS, _TEXT_BYTES, _CSTRING = 0x0FA0, 0x0FA8, 0x0FBA


def _ppt(stream: bytes, ctx: Ctx) -> None:
    texts: list[str] = []
    pos, end, count = 0, len(stream), 0
    while pos + 8 <= end:
        ver_inst, rtype, length = struct.unpack_from("<HHI", stream, pos)
        pos += 8
        count += 1
        if count % 4096 == 0:
            ctx.budget.check_time()
        if ver_inst & 0x0F == 0x0F:
            continue  # a container: its children follow
        body = stream[pos : pos + length]
        if rtype in (_TEXT_CHARS, _CSTRING):
            texts.append(body.decode("utf-16-le", "replace"))
        elif rtype == _TEXT_BYTES:
            texts.append(body.decode("latin-1"))
        pos += length
    text = "\n".join(t.replace("\r", "\n").replace("\x0b", "\n") for t in texts)
    for loc, block in line_blocks([text]):
        ctx.budget.check_time()
        if not ctx.add(loc, block):
            return
