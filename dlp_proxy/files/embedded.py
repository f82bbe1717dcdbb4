"""Pictures embedded in text formats, read like an uploaded image (OCR): ``data:``
URIs (an HTML ``<img src>``, an SVG ``<image href>``, CSS ``url()``) and RTF ``\\pict``
groups.  Each is a nested file of the container (``image=data-uri-1``, ``image=pict-1``),
counted against ``Limits.max_entries`` like a package part, under the file's OCR budget."""

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
    out: list[bytes] = []
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
            out.append(blob)
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
