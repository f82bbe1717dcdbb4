"""Pictures embedded in text formats, read like an uploaded image (OCR): ``data:``
URIs (an HTML ``<img src>``, an SVG ``<image href>``, CSS ``url()``) and RTF ``\\pict``
groups.  Each is a nested file of the container (``image=data-uri-1``, ``image=pict-1``),
counted against ``Limits.max_entries`` like a package part, under the file's OCR budget.
Also the data groups of an RTF (``\\objdata``, ``\\datastore``, ``\\themedata``...),
hex-decoded and read as embedded files or by their printable runs (``data=objdata-1``)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: ``data:[<type>][;param]*[;base64],<data>`` (RFC 2397), any media type: a browser
#: sniffs the picture from its bytes, not from the label
_DATA_URI = re.compile(r"data:([\w.+/-]*)((?:;[\w.+-]+=?[^;,\s\"'<>]*)*?)(;base64)?,([^\"'<>)\s]*(?:[ \t]*\r?\n\s*[A-Za-z0-9+/=]+)*)",
                       re.IGNORECASE)


def data_uris(text: str) -> list[bytes]:
    """The decoded payloads of the ``data:`` URIs in ``text`` (undecodable ones left out)."""
    return [blob for _, blob in typed_data_uris(text)]


def typed_data_uris(text: str) -> list[tuple[str, bytes]]:
    """(media type as written, lower case; decoded payload) of each ``data:`` URI."""
    out: list[tuple[str, bytes]] = []
    for m in _DATA_URI.finditer(text):
        payload = m.group(4)
        try:
            if m.group(3):
                digits = re.sub(r"[^A-Za-z0-9+/=]", "", unquote_to_bytes(payload).decode("latin-1")).split("=")[0]
                blob = base64.b64decode(digits + "=" * (-len(digits) % 4))
            else:
                blob = unquote_to_bytes(payload)
        except (binascii.Error, ValueError):
            continue
        if blob:
            out.append((m.group(1).lower(), blob))
    return out


def extract_data_uris(text: str, ctx: Ctx) -> None:
    """Every ``data:`` URI of an HTML, SVG or XML file, read as a file of its own."""
    if "data:" not in text.lower():
        return
    for number, blob in enumerate(data_uris(text), 1):
        where = f"image=data-uri-{number}"
        if not ctx.budget.take_entry(ctx.loc(where)):
            return
        ctx.child(where).extract(blob)


def rtf_pictures(raw: str) -> list[bytes]:
    """The picture data of every RTF ``{\\pict ...}`` group (hex as Word writes it, or
    ``\\binN`` bytes), except the ``\\nonshppict`` fallback copy of a picture already
    given (``rtf.read``)."""
    from dlp_proxy.files import rtf

    return rtf.read(raw).pictures


def extract_rtf_pictures(pictures: list[bytes], ctx: Ctx) -> None:
    """Each picture of an RTF file (``rtf_pictures``) read as a file of its own."""
    for number, blob in enumerate(pictures, 1):
        where = f"image=pict-{number}"
        if not ctx.budget.take_entry(ctx.loc(where)):
            return
        ctx.child(where).extract(blob)


#: magic numbers of files an RTF object's data may carry after its OLE1 header
_EMBEDDED_MAGIC = (b"PK\x03\x04", b"%PDF-", b"\x89PNG\r\n\x1a\n", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b\x08",
                   b"{\\rtf")


def extract_rtf_data(groups: list[tuple[str, str]], pictures: list[bytes], ctx: Ctx) -> None:
    """The data groups of an RTF (``rtf.Reading.data``), hex-decoded: the bytes Word
    takes for an embedded object, a theme or a data store.  A group whose bytes hold a
    file of a type read here (a ZIP or Office package, a PDF, an image, gzip, RTF; found
    after an OLE1 object header too) is read as that file (``data=objdata-1``); any
    other group's bytes (an OLE compound file, a password hash) by their printable runs
    that may hold an identifier (``text.identifier_runs``).
    Without OCR, a picture (``\\pict``) is read by its printable runs likewise
    (``image=pict-1/bytes``): with OCR it is read as an image (``extract_rtf_pictures``),
    its bytes included."""
    from dlp_proxy.files import rtf
    from dlp_proxy.files.sniff import sniff
    from dlp_proxy.files.text import identifier_runs

    for number, (name, content) in enumerate(groups, 1):
        ctx.budget.check_time()
        where = f"data={name}-{number}"
        blob = rtf.data_bytes(content)
        if not blob.strip(b"\x00 \t\r\n"):
            continue
        if not ctx.budget.take_entry(ctx.loc(where)):
            return
        starts = [at for at in (blob.find(m, 0, 4096) for m in _EMBEDDED_MAGIC) if at >= 0]
        at = min(starts) if starts else -1
        if at >= 0 and sniff(blob[at:]) not in ("text-or-binary", "text", "cfb"):
            ctx.child(where).extract(blob[at:])
        elif not ctx.add(where, identifier_runs(blob)):
            return
    if ctx.limits.ocr:
        return
    for number, blob in enumerate(pictures, 1):
        ctx.budget.check_time()
        if not ctx.add(f"image=pict-{number}/bytes", identifier_runs(blob)):
            return
