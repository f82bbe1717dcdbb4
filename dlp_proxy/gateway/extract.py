"""Everything a request says, as content items with field paths.

Pure functions: bytes and headers in, ``Extracted`` out.  The rule is to read a
body the way Mattermost might, and then some: a JSON route whose body does not
parse is still scanned as raw text, a JSON body sent as ``text/plain`` is still
parsed, webhooks are parsed as leniently as Mattermost parses them (raw control
characters inside strings), every key, string and number of a JSON document is
walked (Go's decoder matches field names case-insensitively, so no field is
"the" message), and query-string values are content too.

Limits are enforced, not hoped for: a body that is too deep, has too many
strings, or decompresses past its cap raises ``BodyError`` and the request is
refused with a 400/413 AppError.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP, EmailPolicy
from typing import Any, cast
from urllib.parse import parse_qsl

from dlp_proxy.gateway.routes import Body, Route
from dlp_proxy.model import ContentItem, ItemKind

MAX_JSON_DEPTH = 64
MAX_ITEMS = 20_000
MAX_DECODED_BYTES = 64 * 1024 * 1024
MAX_MULTIPART_PARTS = 256


class BodyError(ValueError):
    """The body cannot be read safely; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        # raised in a file worker process and pickled back: keep the status
        return (BodyError, (str(self), self.status))


@dataclass(slots=True)
class FilePart:
    path: str  # e.g. "file[0]"
    filename: str
    data: bytes
    content_type: str = ""


@dataclass(slots=True)
class Extracted:
    items: list[ContentItem] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)
    #: parsed JSON document (for redaction by path) when the body was JSON
    json_doc: Any = None
    #: maps an item path to the JSON location (keys/indices) of a string value
    json_locations: dict[str, tuple[str | int, ...]] = field(default_factory=dict)
    #: how the body was read: "json", "json-lenient", "form", "multipart", "raw", "empty"
    body_format: str = "empty"
    #: string fields by dotted path without indices (for channel_id, root_id, ...)
    fields: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- decoding


def decode_content_encoding(raw: bytes, encoding: str, *, limit: int = MAX_DECODED_BYTES) -> bytes:
    """Undo Content-Encoding (gzip, deflate, br, zstd; chained) with an output cap."""
    data = raw
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("identity", ""):
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + zlib.MAX_WBITS, limit)
        elif coding == "deflate":
            try:
                data = _inflate(data, zlib.MAX_WBITS, limit)
            except BodyError:
                data = _inflate(data, -zlib.MAX_WBITS, limit)  # raw deflate, as some clients send
        elif coding == "br":
            data = _brotli(data, limit)
        elif coding == "zstd":
            data = _zstd(data, limit)
        else:
            raise BodyError(f"unsupported Content-Encoding {coding!r}", 415)
    return data


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error as exc:
        raise BodyError(f"body cannot be decompressed: {exc}") from None
    if len(out) > limit or d.unconsumed_tail:
        raise BodyError("decompressed body is too large", 413)
    if not d.eof:
        raise BodyError("compressed body is truncated")
    if d.unused_data:
        # gzip allows concatenated members; decode them too rather than ignore them
        if wbits == 16 + zlib.MAX_WBITS:
            return out + _inflate(d.unused_data, wbits, limit - len(out))
        raise BodyError("trailing data after compressed body")
    return out


def _brotli(data: bytes, limit: int) -> bytes:
    try:
        import brotli  # installed with mitmproxy
    except ImportError:  # pragma: no cover - mitmproxy depends on it
        raise BodyError("brotli-encoded bodies are not supported here", 415) from None
    dec = brotli.Decompressor()
    out = bytearray()
    try:
        # feed in slices so a bomb is caught before it is fully inflated
        for i in range(0, len(data), 16384):
            out += dec.process(data[i : i + 16384])
            if len(out) > limit:
                raise BodyError("decompressed body is too large", 413)
        if not dec.is_finished():
            raise BodyError("compressed body is truncated")
    except brotli.error as exc:
        raise BodyError(f"body cannot be decompressed: {exc}") from None
    return bytes(out)


def _zstd(data: bytes, limit: int) -> bytes:
    try:
        import zstandard  # installed with mitmproxy
    except ImportError:  # pragma: no cover
        raise BodyError("zstd-encoded bodies are not supported here", 415) from None
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(data)
        out = reader.read(limit + 1)
    except zstandard.ZstdError as exc:
        raise BodyError(f"body cannot be decompressed: {exc}") from None
    if len(out) > limit:
        raise BodyError("decompressed body is too large", 413)
    return bytes(out)


def decode_text(data: bytes) -> str:
    """Bytes to text the way Go does: invalid UTF-8 becomes U+FFFD, never an error."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------- JSON walk


class _DupDict(dict[str, Any]):
    """A JSON object that remembers values of repeated keys.  Go keeps the last
    one, other parsers the first: the gateway inspects all of them."""

    shadowed: list[tuple[str, Any]]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = _DupDict()
    out.shadowed = []
    for key, value in pairs:
        if key in out:
            out.shadowed.append((key, out[key]))
        out[key] = value
    return out


def parse_json(data: bytes | str, *, lenient: bool = False) -> Any:
    text = decode_text(data) if isinstance(data, bytes) else data
    # strict=False accepts raw control characters inside strings, which is what
    # Mattermost's webhook handler tolerates after its own retry with escaping.
    return json.loads(text, strict=not lenient, object_pairs_hook=_pairs)


_ASCII_DIGIT = re.compile(r"[0-9]")


def _has_digit(text: str) -> bool:
    """``any(c.isdigit() for c in text)``, fast for ASCII text."""
    if text.isascii():
        return _ASCII_DIGIT.search(text) is not None
    return any(c.isdigit() for c in text)


def walk_json(
    doc: Any, prefix: str, out: Extracted, *, depth: int = 0, loc: tuple[str | int, ...] = ()
) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BodyError("JSON nested too deeply")
    if len(out.items) > MAX_ITEMS:
        raise BodyError("too many values in the body", 413)
    if isinstance(doc, str):
        if doc:
            out.items.append(ContentItem(prefix, doc))
            if loc:
                out.json_locations[prefix] = loc
        return
    if isinstance(doc, bool) or doc is None:
        return
    if isinstance(doc, int):
        # an account number sent as a JSON number is still an account number
        out.items.append(ContentItem(prefix, str(doc)))  # what json.dumps writes for an int
        return
    if isinstance(doc, float):
        out.items.append(ContentItem(prefix, json.dumps(doc)))
        return
    if isinstance(doc, dict):
        for key, value in doc.items():
            key_s = str(key)
            if _has_digit(key_s):
                out.items.append(ContentItem(f"{prefix}{{key}}", key_s))
            child = f"{prefix}.{key_s}" if prefix else key_s
            if isinstance(value, str) and depth < 8:
                flat = _strip_indices(child) if "[" in child else child
                out.fields.setdefault(flat.lower(), value)
            walk_json(value, child, out, depth=depth + 1, loc=(*loc, key_s))
        for i, (key, value) in enumerate(getattr(doc, "shadowed", ())):
            # not addressable for redaction (no location): a finding here blocks
            walk_json(value, f"{prefix}.{key}#dup{i}", out, depth=depth + 1, loc=())
        return
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            walk_json(value, f"{prefix}[{i}]", out, depth=depth + 1, loc=(*loc, i))
        return


def _strip_indices(path: str) -> str:
    out = []
    skip = False
    for c in path:
        if c == "[":
            skip = True
        elif c == "]":
            skip = False
        elif not skip:
            out.append(c)
    return "".join(out)


# --------------------------------------------------------------------------- forms


class _ParseHeadersOnce(EmailPolicy):
    """``email.policy.HTTP`` that parses each distinct header value once per body.

    ``Message.get`` builds a structured header object (``HeaderRegistry``) on every
    call, and reading one part's name, filename, type and payload fetches the same
    headers six times: ~70 % of the parse of a 20 KB upload (1.1 ms).  Header
    objects are immutable, so handing back the one already built for the same
    name and value changes nothing but the work.  One instance per body (the
    cache lives and dies with the parse)."""

    def header_fetch_parse(self, name: str, value: str) -> Any:
        if hasattr(value, "name"):
            return value
        parsed: dict[tuple[str, str], Any] = self.__dict__["_parsed"]
        key = (name.lower(), value)
        hit = parsed.get(key)
        if hit is None:
            hit = parsed[key] = super().header_fetch_parse(name, value)
        return hit


_HTTP_ONCE = _ParseHeadersOnce(linesep=HTTP.linesep, max_line_length=HTTP.max_line_length)


def _http_policy() -> _ParseHeadersOnce:
    policy = _HTTP_ONCE.clone()  # clones share the header registry
    object.__setattr__(policy, "_parsed", {})  # policies refuse attribute assignment
    return policy


def parse_multipart(data: bytes, content_type: str) -> Iterator[tuple[str, str | None, str, bytes]]:
    """Yield (field name, filename or None, part content type, bytes) per part.

    Uses the standard library's MIME parser on a synthesized header, which is
    strict about boundaries and tolerant of everything else.
    """
    if "boundary=" not in content_type.lower():
        raise BodyError("multipart body without a boundary")
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    msg = cast(EmailMessage, BytesParser(policy=_http_policy()).parsebytes(head + data))
    if not msg.is_multipart():
        raise BodyError("malformed multipart body")
    defects = list(msg.defects)
    parts = list(msg.iter_parts())
    if any(type(d).__name__ in ("StartBoundaryNotFoundDefect", "CloseBoundaryNotFoundDefect") for d in defects):
        raise BodyError("malformed multipart body (boundary)")
    if len(parts) > MAX_MULTIPART_PARTS:
        raise BodyError("too many multipart parts", 413)
    for part in parts:
        if part.is_multipart():
            raise BodyError("nested multipart bodies are not accepted")
        disposition = part.get("Content-Disposition", "")
        name = part.get_param("name", header="content-disposition") or ""
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if payload is None:
            payload = b""
        if not disposition:
            raise BodyError("multipart part without Content-Disposition")
        yield str(name), filename, part.get_content_type(), bytes(payload)


def parse_form(data: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(decode_text(data), keep_blank_values=True, max_num_fields=MAX_ITEMS)
    except ValueError as exc:
        raise BodyError(f"malformed form body: {exc}") from None


# --------------------------------------------------------------------------- entry point


def extract(
    route: Route,
    body: bytes,
    content_type: str,
    query: list[tuple[str, str]],
) -> Extracted:
    """Content items of a request whose body is already Content-Encoding-decoded."""
    out = Extracted()
    for key, value in query:
        if value:
            out.items.append(ContentItem(f"query.{key}", value))
            out.fields.setdefault(f"query.{key.lower()}", value)
    ctype = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return out
    kind = route.body
    if kind is Body.UPLOAD_CHUNK:
        # A chunk is raw file bytes (or multipart, first part only); the gateway
        # assembles chunks and judges the whole file before the last is forwarded.
        if ctype.startswith("multipart/"):
            for i, (name, filename, pctype, data) in enumerate(parse_multipart(body, content_type)):
                out.files.append(FilePart(f"chunk[{i}]", filename or name, data, pctype))
                break
        else:
            out.files.append(FilePart("chunk", "", body, ctype))
        out.body_format = "raw"
        return out
    if ctype.startswith("multipart/"):
        _extract_multipart(body, content_type, out, files_expected=kind is Body.FILES)
        return out
    if kind is Body.FILES:
        # raw-body upload: the body is the file, its name is in ?filename=
        filename = next((v for k, v in query if k == "filename"), "")
        out.files.append(FilePart("file[0]", filename, body, ctype))
        out.body_format = "raw"
        return out
    if ctype == "application/x-www-form-urlencoded":
        _extract_form(body, out)
        return out
    _extract_json_or_text(body, out, lenient=kind in (Body.WEBHOOK, Body.ANY))
    return out


def _extract_json_or_text(body: bytes, out: Extracted, *, lenient: bool) -> None:
    text = decode_text(body)
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        for is_lenient in ((False, True) if lenient else (False,)):
            try:
                doc = parse_json(text, lenient=is_lenient)
            except (ValueError, RecursionError):
                continue
            out.json_doc = doc
            out.body_format = "json-lenient" if is_lenient else "json"
            walk_json(doc, "body", out)
            return
    elif lenient and "=" in text and "\n" not in text[:200]:
        # a form body sent without the form content type
        try:
            _extract_form(body, out)
            return
        except BodyError:
            pass
    # Not parseable: still content.  Mattermost will reject it, but a body we
    # cannot read is scanned as the raw text it is, never skipped.
    out.body_format = "raw"
    out.items.append(ContentItem("body", text))


def _extract_form(body: bytes, out: Extracted) -> None:
    out.body_format = "form"
    for key, value in parse_form(body):
        if key == "payload":
            try:
                doc = parse_json(value, lenient=True)
            except (ValueError, RecursionError):
                out.items.append(ContentItem("form.payload", value))
                continue
            out.json_doc = doc
            walk_json(doc, "form.payload", out)
        elif value:
            out.items.append(ContentItem(f"form.{key}", value))
            out.fields.setdefault(f"form.{key.lower()}", value)


def _extract_multipart(body: bytes, content_type: str, out: Extracted, *, files_expected: bool) -> None:
    out.body_format = "multipart"
    n_files = 0
    for name, filename, pctype, data in parse_multipart(body, content_type):
        if filename is not None:
            out.files.append(FilePart(f"file[{n_files}]", filename, data, pctype))
            n_files += 1
            continue
        text = decode_text(data)
        if name == "payload":
            try:
                doc = parse_json(text, lenient=True)
                out.json_doc = doc
                walk_json(doc, "form.payload", out)
                continue
            except (ValueError, RecursionError):
                pass
        if text:
            out.items.append(ContentItem(f"form.{name}", text))
            out.fields.setdefault(f"form.{name.lower()}", text)
    # channel_id may come as a form field on multipart uploads
    if "form.channel_id" in out.fields:
        out.fields.setdefault("query.channel_id", out.fields["form.channel_id"])


#: Fields Mattermost validates as object ids (model.IsValidId: 26 characters of
#: [a-z0-9]) and uses as references, never shows to anyone.  A value there that
#: is *exactly* id-shaped is not scanned (ids are random base32 and trip the
#: number recognizers' prefilter for nothing); any other value is scanned as usual.
REFERENCE_ID_FIELDS = frozenset({
    "body.id", "body.channel_id", "body.root_id", "body.parent_id", "body.original_id", "body.pending_post_id",
    "body.user_id", "body.team_id", "body.post_id", "body.post.channel_id", "body.post.root_id", "body.post.user_id",
})
_ID_SHAPE = re.compile(r"[a-z0-9]{26}")
_FILE_IDS = re.compile(r"body\.file_ids\[\d+\]")


def is_reference_id(item: ContentItem) -> bool:
    return bool(_ID_SHAPE.fullmatch(item.text)) and (
        item.path in REFERENCE_ID_FIELDS or bool(_FILE_IDS.fullmatch(item.path)))


def filename_items(files: list[FilePart]) -> list[ContentItem]:
    return [ContentItem(f"{f.path}.name", f.filename, ItemKind.FILENAME) for f in files if f.filename]

