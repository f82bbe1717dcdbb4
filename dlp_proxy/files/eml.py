"""E-mail messages (RFC 5322 / MIME): headers, every text part, every attachment
(recursively, as its own file).

Every reading a mail client could show is judged: each part decoded per its declared
Content-Transfer-Encoding (Python's ``email`` decodes it with or without MIME-Version,
as MIME clients do), and, for a message that does not declare MIME-Version, the whole
message as written (``as-written``: RFC 2045 lets a client read such a message as plain
RFC 822 text, its body undecoded; it is also the reading the file had as plain text, so
taking a text file for a message never loses one).  Every multipart's preamble and
epilogue (the text around its boundaries) is read too: the file stores it, and a
nested message's (an attachment's, base64-encoded) is no clear byte of the upload."""

from __future__ import annotations

import email
import email.policy
from email.message import Message
from typing import TYPE_CHECKING

from dlp_proxy.files.css import css_generated
from dlp_proxy.files.text import decode, strip_markup

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

_HEADERS = ("From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Sender", "Comments", "Keywords")


def extract_eml(data: bytes, ctx: Ctx, kind: str = "eml", name: str = "") -> None:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    if msg.defects:
        ctx.problem("corrupt")
    if msg.get("MIME-Version") is None:
        ctx.span("as-written").extract(data, kind="text-or-binary", name=name)
    heads: list[str] = []
    for name in _HEADERS:
        for value in msg.get_all(name) or []:
            heads.append(f"{name}: {_header(value)}")
    ctx.add("headers", "\n".join(heads))
    index = multiparts = 0
    for part in msg.walk():
        ctx.budget.check_time()
        if part.is_multipart():
            # the text before the first boundary and after the last (RFC 2046 5.1.1 says
            # to ignore it; the stored file holds it, and a client showing the source,
            # or a reader of a nested message, shows it)
            multiparts += 1
            extra = [t for t in (part.preamble, part.epilogue) if isinstance(t, str) and t.strip()]
            if extra and not ctx.add(f"multipart={multiparts}/preamble-epilogue", "\n".join(extra)):
                return
            continue
        index += 1
        if not ctx.budget.take_entry(ctx.loc(f"part={index}")):
            return
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        filename = part.get_filename()
        ctype = part.get_content_type()
        if filename or not ctype.startswith("text/"):
            name = _header(filename) if filename else f"part{index}"
            ctx.child(f"attachment={name}").extract(payload, name=name)
            continue
        text = _text(part, payload)
        where = "body" if index == 1 else f"part={index}"
        if ctype == "text/html":
            # what the part's style sheets draw and its lists number, as for an HTML file
            css_generated(text, ctx, where)
            text = strip_markup(text)
        ctx.add(where, text)


def _header(value: object) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except Exception:
        return str(value)


def _text(part: Message, payload: bytes) -> str:
    charset = part.get_content_charset()
    if charset:
        try:
            return payload.decode(charset, errors="replace")
        except LookupError:
            pass
    return decode(payload) or payload.decode("latin-1")
