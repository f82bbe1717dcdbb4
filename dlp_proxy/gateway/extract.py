"""Everything a request says, as content items with field paths.

Pure functions: bytes and headers in, ``Extracted`` out.  The rule is to read a
body **the way Mattermost's handler for its route reads it** (docs/architecture.md,
"How bodies are read"), never by what the client says about it:

* JSON routes decode the body as one JSON document whatever the Content-Type
  (``json.NewDecoder(r.Body).Decode`` in server/channels/api4/*.go); a body that
  is not one is refused, never scanned as some weaker reading;
* incoming webhooks take every reading any Mattermost version takes
  (server/channels/web/webhook.go: form ``payload=``, multipart values, JSON);
* multipart bodies are read by a port of Go's ``mime/multipart``
  (dlp_proxy/gateway/goread.py): quoted-printable parts decoded, base64 parts
  judged as the raw bytes Mattermost stores (and as their decoding), preamble and
  epilogue inspected;
* any body on a route nobody described is typed by its content: a document,
  archive or compressed stream goes to the file scanner, and a compressed stream
  without a Content-Encoding label (zlib, raw deflate, LZMA alone, zstd) is read
  decompressed too, as a plugin decompressing it itself reads it with ``io.ReadAll``:
  trailing bytes ignored, a truncated or corrupt stream read up to where it stops, raw
  deflate tried on every body (``unlabelled_streams``; an additional reading, bounded,
  refused when it cannot be read).

Every key, string and number of a JSON document is walked (Go's decoder matches
field names case-insensitively, so no field is "the" message), the values of
repeated keys too, and query-string values are content.

Limits are enforced, not hoped for: a body that is too deep, has too many
strings, or that Go would read differently than this module can raises
``BodyError`` and the request is refused with a 400/413 AppError.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl

# every decompression is bounded there (``Room``: a decoded reading is held to the raw body's limit)
from dlp_proxy import atrest
from dlp_proxy.detect.normalize import may_read_as_digits
from dlp_proxy.gateway.decode import MAX_DECODED_BYTES, MAX_STREAM_DEPTH, Room, stream_readings
from dlp_proxy.gateway.decode import BodyError as BodyError  # (re-exported: callers import it from here)
from dlp_proxy.gateway.decode import decode_content_encoding as decode_content_encoding
from dlp_proxy.gateway.decode import unlabelled_streams as unlabelled_streams
from dlp_proxy.gateway.goread import (
    GoReadError,
    Multipart,
    Part,
    media_type_lenient,
    parse_media_type,
    read_multipart,
)
from dlp_proxy.gateway.routes import Body, Route
from dlp_proxy.model import MATTERMOST_ID, ContentItem, ItemKind, is_mattermost_id

MAX_JSON_DEPTH = 64
MAX_ITEMS = 20_000
MAX_MULTIPART_PARTS = 256


@dataclass(slots=True)
class FilePart:
    path: str  # e.g. "file[0]"
    filename: str
    data: bytes
    content_type: str = ""
    #: (start, end) of the file's bytes in the body when they were left there, not
    #: copied out (``extract``'s ``defer_files_from``): ``data`` is then empty
    span: tuple[int, int] | None = None


@dataclass(slots=True)
class Extracted:
    items: list[ContentItem] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)
    #: parsed JSON document (for redaction by path) when the body was JSON
    json_doc: Any = None
    #: maps an item path to the JSON location (keys/indices) of a string value
    json_locations: dict[str, tuple[str | int, ...]] = field(default_factory=dict)
    #: how the body was read: "json", "form", "multipart", "raw", "empty"
    body_format: str = "empty"
    #: string fields by dotted path without indices (for channel_id, root_id, ...)
    fields: dict[str, str] = field(default_factory=dict)
    #: an incoming webhook's readings, one per branch some Mattermost version takes:
    #: ("form", the first ``payload`` decoded: ``r.FormValue``), ("json", the body
    #: decoded), ("multipart", its texts by item path) (gateway/links.py ``webhook_request``)
    webhook_readings: list[tuple[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------- decoding



def decode_text(data: bytes) -> str:
    """Bytes to text the way Go does (``string(b)``): the bytes as they are, invalid
    UTF-8 as U+FFFD, never an error; a byte-order mark is no instruction (a UTF-8
    one stays U+FEFF, a UTF-16 one two U+FFFD).  The other plausible readings are
    ``text_readings``: a reader must never take one of them *instead of* this one."""
    return data.decode("utf-8", errors="replace")


def text_readings(data: bytes) -> list[tuple[str, str]]:
    """Every plausible decoding of ``data`` as text, as (path suffix, text), Go's
    first (``decode_text``, suffix ``""``): then, when it starts with a UTF-16
    byte-order mark, UTF-16 as the mark says (``~utf16``: a reader that trusts the
    mark), and when the bytes are not valid UTF-8, Latin-1 (``~latin1``: a reader
    that takes bytes as characters).  Each is inspected: a UTF-16 mark followed by
    ASCII was read as UTF-16 only (garbage) while a plugin reads the ASCII (atk16p F7).
    (A file's text is read by dlp_proxy.files, not here.)"""
    go = decode_text(data)
    out = [("", go)]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        utf16 = data.decode("utf-16", errors="replace")
        if utf16 != go:
            out.append(("~utf16", utf16))
    if "\ufffd" in go and not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            out.append(("~latin1", data.decode("latin-1")))
    return out


# --------------------------------------------------------------------------- JSON walk


class _DupDict(dict[str, Any]):
    """A JSON object that remembers values of repeated keys.  Go keeps the last
    one, other parsers the first: the gateway inspects all of them."""

    shadowed: list[tuple[str, Any]]
    order: list[tuple[str, Any]]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = _DupDict()
    out.shadowed = []
    out.order = pairs  # every key in document order (Go's decoder assigns in this order)
    for key, value in pairs:
        if key in out:
            out.shadowed.append((key, out[key]))
        out[key] = value
    return out


_ASCII_DIGIT = re.compile(r"[0-9]")


def _has_digit(text: str) -> bool:
    """``any(c.isdigit() for c in text)``, fast for ASCII text."""
    if text.isascii():
        return _ASCII_DIGIT.search(text) is not None
    return any(c.isdigit() for c in text)


def go_field_name(key: str) -> str:
    """The name encoding/json matches a JSON key to a struct field by, lower-cased.

    Go (src/encoding/json/decode.go ``object``, fold.go ``foldName``): an exact
    field name first, else a case-insensitive match under simple Unicode case
    folding.  Mattermost's field names are ASCII, so only ASCII letters and the two
    non-ASCII runes whose fold orbit holds an ASCII letter (U+212A KELVIN SIGN ~ k,
    U+017F LONG S ~ s) can reach one; every other rune is kept as it is (it matches
    no ASCII name).  Not ``str.lower``: it turns U+0130 into ``i`` + a combining dot."""
    if len(key) <= _REMEMBERED_KEY:
        return _go_field_name_remembered(key)
    return _go_field_name(key)


#: keys up to this long have their field name remembered (a body's keys are the same
#: few field names and paths, read several times a request); longer ones are not kept
_REMEMBERED_KEY = 96


def _go_field_name(key: str) -> str:
    if key.isascii():
        return key.lower()
    return "".join(c.lower() if c.isascii() else _GO_FOLD.get(c, c) for c in key)


_go_field_name_remembered = functools.lru_cache(maxsize=2048)(_go_field_name)


def _may_hold_number(key: str) -> bool:
    return _has_digit(key) or not key.isascii() or may_read_as_digits(key)


_key_may_hold_number = functools.lru_cache(maxsize=2048)(_may_hold_number)


def key_may_hold_number(key: str) -> bool:
    """Whether a client-chosen name (a JSON key, a query parameter's name, a websocket
    action) may hold an identifier as the detector reads it: a digit of any script, a
    non-ASCII character (the normalizer folds compatibility digits, numerals,
    look-alikes), or what the engine's own first gate says its reading may turn into
    digits (``normalize.may_read_as_digits``: number words, ``ssn five three six ...``,
    letters read as digits, markup between digits).  Such a key is scanned as an item of
    its own (``walk_json``) and hashed at rest (atrest.py); ``message``,
    ``attachments``, ``from_webhook`` are not.  Remembered for short keys (a body's
    keys are the same few field names): atk27 A, C."""
    return _key_may_hold_number(key) if len(key) <= _REMEMBERED_KEY else _may_hold_number(key)


_GO_FOLD = {"\u212a": "k", "\u017f": "s"}


def go_path(path: str) -> str:
    """An item's path (``body.File_Ids[0]``, keys as sent) with every key as Go matches
    it to a struct field (``go_field_name``: ``body.file_ids[0]``).  Code that looks
    for a field Mattermost reads (a post's ``message``, its ``file_ids``) compares this,
    never the path as sent: ``{"File_Ids": [...]}`` fills ``Post.FileIds``
    (encoding/json matches field names case-insensitively) and, compared as sent,
    escaped every check of attached files (atk14 F1, F2)."""
    return go_field_name(path)
#: struct fields are recorded this deep (channel_id, post.channel_id, data.channel_id...)
_FIELD_DEPTH = 8


def go_struct_fields(doc: Any, prefix: str) -> dict[str, str]:
    """The string fields Go's decoder leaves in a struct after decoding ``doc``, by
    dotted path of lower-cased (``go_field_name``) keys: keys are taken **in document
    order and the last one wins**, exact duplicates and case variants alike
    (``{"channel_id": A, "Channel_ID": B}`` is B); a JSON ``null`` leaves a string
    field as it was (decode.go ``literalStore``: null is a no-op for non-pointer
    kinds) and clears a nested object (a pointer set to nil); a non-string value
    leaves it unset (Go reports an UnmarshalTypeError and Mattermost answers 400).
    Two objects under one key (or its case variants) merge, as Go decodes the
    second into the struct the first filled.  Arrays are not entered."""
    fields: dict[str, str] = {}
    _go_fields(doc, prefix, fields, 0, set())
    return fields


def _go_fields(doc: Any, prefix: str, fields: dict[str, str], depth: int, entered: set[str]) -> None:
    # ``entered``: the paths read as an object so far; only under those can ``fields``
    # hold a key (``path.``...), so only those are searched for keys to clear
    if depth >= _FIELD_DEPTH or not isinstance(doc, dict):
        return
    pairs = getattr(doc, "order", None)
    for key, value in (pairs if pairs is not None else doc.items()):
        path = f"{prefix}.{go_field_name(str(key))}" if prefix else go_field_name(str(key))
        if isinstance(value, str):
            fields[path] = value
        elif isinstance(value, dict):
            fields.pop(path, None)
            entered.add(path)
            _go_fields(value, path, fields, depth + 1, entered)
        elif value is None:
            if path in entered:
                sub = path + "."
                for k in [k for k in fields if k.startswith(sub)]:
                    del fields[k]
        else:
            fields.pop(path, None)
            if path in entered:
                sub = path + "."
                for k in [k for k in fields if k.startswith(sub)]:
                    del fields[k]


def walk_json(
    doc: Any, prefix: str, out: Extracted, *, depth: int = 0, loc: tuple[str | int, ...] = ()
) -> None:
    if depth == 0 and isinstance(doc, dict) and "#" not in prefix and "~" not in prefix:
        # the struct fields Go's decoder would set (channel_id, root_id...): the first
        # reading of a body that has several keeps its own
        for k, v in go_struct_fields(doc, prefix).items():
            out.fields.setdefault(k, v)
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
    # A child that is a string, an integer, a boolean or null is read here, as the call
    # for it would read it (its depth and the item count checked first): most of a
    # body's values, one Python call each less (tests/test_extract_walk.py)
    leaf = depth < MAX_JSON_DEPTH
    items = out.items
    if isinstance(doc, dict):
        for key, value in doc.items():
            key_s = str(key)
            if key_may_hold_number(key_s):
                items.append(ContentItem(f"{prefix}{{key}}", key_s, ItemKind.KEY))
            child = f"{prefix}.{key_s}" if prefix else key_s
            kind = type(value)
            if leaf and (kind is str or kind is int or kind is bool or value is None):
                if len(items) > MAX_ITEMS:
                    raise BodyError("too many values in the body", 413)
                if kind is str:
                    if value:
                        items.append(ContentItem(child, value))
                        out.json_locations[child] = (*loc, key_s)
                elif kind is int:
                    items.append(ContentItem(child, str(value)))
                continue
            walk_json(value, child, out, depth=depth + 1, loc=(*loc, key_s))
        for i, (key, value) in enumerate(getattr(doc, "shadowed", ())):
            # not addressable for redaction (no location): a finding here blocks
            walk_json(value, f"{prefix}.{key}#dup{i}", out, depth=depth + 1, loc=())
        return
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            kind = type(value)
            if leaf and (kind is str or kind is int or kind is bool or value is None):
                if len(items) > MAX_ITEMS:
                    raise BodyError("too many values in the body", 413)
                if kind is str:
                    if value:
                        child = f"{prefix}[{i}]"
                        items.append(ContentItem(child, value))
                        out.json_locations[child] = (*loc, i)
                elif kind is int:
                    items.append(ContentItem(f"{prefix}[{i}]", str(value)))
                continue
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


# --------------------------------------------------------------------------- forms and multipart


def parse_form(data: bytes) -> list[tuple[str, str]]:
    """``url.ParseQuery`` (net/http ParseForm), read more widely: Go drops a pair
    with a bad escape or a ``;`` in its key, this keeps it literally."""
    try:
        return parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_ITEMS)
    except ValueError as exc:
        raise BodyError(f"malformed form body: {exc}") from None


#: Content-Transfer-Encoding values a part may carry: Go decodes quoted-printable
#: and hands everything else over as it is; the identity ones and base64 are what
#: real clients send.  Anything else is refused (no guessing what a reader makes of it).
_KNOWN_CTE = frozenset({"", "7bit", "8bit", "binary", "quoted-printable", "base64"})
_B64_CHARS = re.compile(rb"[A-Za-z0-9+/=\s]*")


def _b64_decoded(data: bytes) -> bytes | None:
    if not _B64_CHARS.fullmatch(data):
        return None
    try:
        return base64.b64decode(re.sub(rb"\s+", b"", data) + b"==", validate=False)
    except (ValueError, binascii.Error):
        return None


def _multipart(body: bytes, boundary: str, defer_files_from: int | None = None) -> Multipart:
    """``read_multipart`` with the gateway's limits.  ``defer_files_from``: a file part
    (a ``filename`` parameter, not base64) of at least this many bytes is left in the
    body (``Part.span``), not copied out of it."""

    def defer(part: Part) -> bool:
        return part.transfer_encoding.strip().lower() != "base64" and part.has_filename_param()

    try:
        if defer_files_from is None:
            mp = read_multipart(body, boundary, max_parts=MAX_MULTIPART_PARTS)
        else:
            mp = read_multipart(body, boundary, max_parts=MAX_MULTIPART_PARTS, defer=defer)
            for i, part in enumerate(mp.parts):
                if part.span is not None and part.span[1] - part.span[0] < defer_files_from:
                    # small: copied out after all (bytes, as every other part)
                    data = body[part.span[0] : part.span[1]]
                    mp.parts[i] = replace(part, raw=data, data=data, span=None)
    except GoReadError as exc:
        msg = str(exc)
        raise BodyError(f"malformed multipart body ({msg})", 413 if "too many parts" in msg else 400) from None
    for part in mp.parts:
        if part.transfer_encoding.strip().lower() not in _KNOWN_CTE:
            raise BodyError("multipart part with an unknown Content-Transfer-Encoding")
    return mp


def multipart_boundary(content_type: str) -> str | None:
    """api4/file.go parseMultipartRequestHeader: the boundary when ``mime.ParseMediaType``
    says ``multipart/form-data`` without error; None when Mattermost reads the body as
    a plain stream (http.ErrNotMultipart); ``BodyError`` for http.ErrMissingBoundary."""
    if not content_type:
        return None
    try:
        mediatype, params = parse_media_type(content_type)
    except GoReadError:
        return None
    if mediatype != "multipart/form-data":
        return None
    if "boundary" not in params:
        raise BodyError("multipart body without a boundary")
    return params["boundary"]


def _is_document(data: bytes) -> bool:
    """Typed by content: an archive, compressed stream, document or image (files/sniff.py)."""
    if len(data) < 4:
        return False
    from dlp_proxy.files.sniff import sniff

    return sniff(data) != "text-or-binary"


def _add_multipart(mp: Multipart, out: Extracted, *, skip_first: bool = False) -> None:
    """Every part of the Go reading: file parts (a filename, or content that is a
    document) to the file scanner, the others as text; base64 parts judged as the
    raw bytes Mattermost keeps and as their decoding; preamble and epilogue (which
    Go skips) scanned as text too."""
    out.body_format = "multipart"
    n_files = 0
    for i, part in enumerate(mp.parts):
        had_file = False
        if skip_first and i == 0:
            continue
        name = part.form_name() or f"part{i}"
        filename = part.file_name()
        if part.span is not None:
            # left in the body (``_multipart``'s ``defer_files_from``): a file part, not base64
            out.files.append(FilePart(f"file[{n_files}]", filename, b"", part.get("Content-Type"), part.span))
            n_files += 1
            continue
        readings = [part.data]
        if part.transfer_encoding.strip().lower() == "base64":
            decoded = _b64_decoded(part.data)
            if decoded is not None and decoded != part.data:
                readings.append(decoded)
        for j, data in enumerate(readings):
            suffix = "" if j == 0 else "~base64"
            is_file = bool(filename or part.has_filename_param())
            if is_file or _is_document(data):
                out.files.append(FilePart(f"file[{n_files}]{suffix}", filename, data, part.get("Content-Type")))
                had_file = True
                if is_file:
                    continue
            # a value (no filename: Go's multipart.Reader.ReadForm puts it in
            # Form.Value) is text to its reader whatever it looks like: an incoming
            # webhook posts ``text`` verbatim (web/webhook.go incomingWebhook:
            # ParseMultipartForm, schema.Decode of r.PostForm).  One that looks like a
            # document is read as that too, never instead (atk16p F8).
            texts = text_readings(data)
            text = texts[0][1]
            walked = False
            if name == "payload":
                doc = _webhook_reading(text)
                if doc is not _NO_JSON:
                    walk_json(doc, f"form.payload{suffix}", out)  # not redactable: a multipart body
                    walked = True
            if text and not walked:
                out.items.append(ContentItem(f"form.{name}{suffix}", text))
                if j == 0:
                    # multipart.Form.Value[name][0] / r.FormValue: case-sensitive, first
                    out.fields.setdefault(f"form.{name}", text)
            for other, reading in texts[1:]:
                out.items.append(ContentItem(f"form.{name}{suffix}{other}", reading))
        n_files += had_file
    for where, data in (("preamble", mp.preamble), ("epilogue", mp.epilogue)):
        for other, text in text_readings(data):
            if text.strip():
                out.items.append(ContentItem(f"multipart.{where}{other}", text))
    # channel_id may come as a form field on multipart uploads
    if "form.channel_id" in out.fields:
        out.fields.setdefault("query.channel_id", out.fields["form.channel_id"])


# --------------------------------------------------------------------------- JSON as Go reads it

_NO_JSON: Any = object()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN / Infinity: encoding/json refuses them


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_reject_constant)
_LENIENT_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_reject_constant, strict=False)
_WS = re.compile(r"[ \t\n\r]*")


#: a \u escape of a UTF-16 surrogate (D800-DFFF): the only way a JSON text decoded
#: from UTF-8 with replacement can give Python a lone surrogate
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def go_surrogates(doc: Any) -> Any:
    """``doc`` with every lone surrogate in its strings (keys too) replaced by
    U+FFFD, as encoding/json's ``unquoteBytes`` does ("Invalid surrogate; fall back
    to replacement rune", src/encoding/json/decode.go).  Python's json keeps a lone
    ``\ud800`` as it is (a valid pair is joined by both): Mattermost then stores
    U+FFFD, and the text would not even encode for the archive.  Objects made by
    ``_pairs`` are rebuilt through it, so duplicate keys are shadowed as Go sees them."""
    if isinstance(doc, str):
        return _SURROGATE.sub("\ufffd", doc)
    if isinstance(doc, list):
        return [go_surrogates(v) for v in doc]
    if isinstance(doc, _DupDict):
        return _pairs([(go_surrogates(k), go_surrogates(v)) for k, v in doc.order])
    if isinstance(doc, dict):
        return {go_surrogates(k): go_surrogates(v) for k, v in doc.items()}
    return doc


def go_json_decode(text: str, *, lenient: bool = False) -> tuple[Any, str]:
    """``json.NewDecoder(r.Body).Decode(&v)``: the first JSON value of the body and
    what follows it (which the decoder leaves unread), lone surrogates replaced as Go
    replaces them (``go_surrogates``).  ``ValueError`` where Go refuses the document;
    ``BodyError`` when it nests too deep to read here."""
    idx = _WS.match(text).end()  # type: ignore[union-attr]
    try:
        doc, end = (_LENIENT_DECODER if lenient else _DECODER).raw_decode(text, idx)
        if _SURROGATE_ESCAPE.search(text, idx, end):
            doc = go_surrogates(doc)
    except RecursionError:
        raise BodyError("JSON nested too deeply") from None
    return doc, text[end:]


def _json_reading(text: str, *, lenient: bool) -> Any:
    """The document a JSON-reading version of Mattermost sees, or ``_NO_JSON``
    when encoding/json refuses it (then that version stores nothing)."""
    try:
        doc, _rest = go_json_decode(text, lenient=lenient)
    except BodyError:
        raise
    except ValueError:
        return _NO_JSON
    return doc


def _json_reading_rest(text: str) -> tuple[Any, str]:
    """(``_json_reading(text, lenient=True)``, what follows the first value)."""
    try:
        return go_json_decode(text, lenient=True)
    except BodyError:
        raise
    except ValueError:
        return _NO_JSON, ""


#: an object key a text reading reads no differently: a short name (``title``,
#: ``channel_id``); a longer key or one with other characters is read as text too
#: (nine number words take at least 27 letters)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z_\-.]{0,23}")


def _json_reads_all(doc: Any, rest: str) -> bool:
    """Whether the JSON reading of a body (``walk_json``) holds everything a reader of
    its raw text would see: nothing but white space after the first value, no float
    (Python's float keeps 17 significant digits: ``4111111111111111111.5`` is not
    read back as written), no object key other than a short plain name (keys are read
    only when they hold a digit: ``walk_json``)."""
    if rest.strip(" \t\r\n"):
        return False
    stack: list[Any] = [doc]
    while stack:
        v = stack.pop()
        if isinstance(v, float):
            return False
        if isinstance(v, dict):
            for key in v:
                if not _PLAIN_KEY.fullmatch(str(key)):
                    return False
            stack.extend(v.values())
            stack.extend(value for _, value in getattr(v, "shadowed", ()))
        elif isinstance(v, list):
            stack.extend(v)
    return True


#: server/public/model/incoming_webhook.go escapeControlCharsFromPayload: the regexp
#: ``(?s)"(text|fallback|pretext|author_name|title|value)"\s*:\s*"(\\"|[^"])*"``; Go's
#: ``\s`` is ``[\t\n\f\r ]`` (RE2 Perl class: no ``\v``, nothing beyond ASCII), and
#: RE2 picks the match a backtracking engine picks (leftmost-first), as Python's ``re`` does
_GO_WEBHOOK_ESCAPE = re.compile(r'"(?:text|fallback|pretext|author_name|title|value)"'
                                r'[\t\n\f\r ]*:[\t\n\f\r ]*"(?:\\"|[^"])*"', re.S)


def escape_control_chars_from_payload(text: str) -> str:
    """server/public/model/incoming_webhook.go ``escapeControlCharsFromPayload``: in
    each ``"key": "value"`` match of ``_GO_WEBHOOK_ESCAPE``, every raw line feed
    becomes the two characters backslash-n and every raw tab backslash-t (the whole
    match: a backslash before a raw line feed makes an escaped backslash then ``n``).
    On text decoded with U+FFFD for invalid UTF-8: no byte the rewrite looks at (``"``,
    ``\\``, LF, TAB) is ever part of an invalid sequence, so it is the same rewrite."""
    return _GO_WEBHOOK_ESCAPE.sub(lambda m: m.group(0).replace("\n", "\\n").replace("\t", "\\t"), text)


def go_incoming_webhook_decode(text: str) -> Any:
    """server/public/model/incoming_webhook.go ``IncomingWebhookRequestFromJSON``: the
    first JSON value (``json.Decoder.Decode``, what follows unread), and only when that
    fails, the same decode of ``escape_control_chars_from_payload(text)``.
    ``ValueError`` when both fail (Mattermost: 400 model.incoming_hook.parse_data.app_error);
    ``BodyError`` when it nests too deep to read here.  (Go also fails on a field of
    the wrong type: such a document is read here all the same, more than Mattermost reads.)"""
    try:
        return go_json_decode(text)[0]
    except ValueError as exc:
        if isinstance(exc, BodyError):
            raise
    return go_json_decode(escape_control_chars_from_payload(text))[0]


def _webhook_reading(text: str) -> Any:
    """``go_incoming_webhook_decode``, or ``_NO_JSON`` when Mattermost cannot decode it."""
    try:
        return go_incoming_webhook_decode(text)
    except BodyError:
        raise
    except ValueError:
        return _NO_JSON


def _extract_json_route(body: bytes, out: Extracted) -> None:
    """A JSON route (api4/*.go: ``json.NewDecoder(r.Body).Decode`` or
    ``model.XFromJSON``, whatever the Content-Type): the body must be one JSON
    document.  Anything else is refused: Mattermost refuses it (or, for trailing
    bytes after the document, ignores them), and no real client sends it."""
    text = body.decode("utf-8", "replace")  # Go: invalid UTF-8 in strings -> U+FFFD
    if not text.strip(" \t\r\n"):
        return  # Go: EOF -> 400; nothing to inspect
    try:
        doc, rest = go_json_decode(text)
    except BodyError:
        raise
    except ValueError:
        raise BodyError("the body is not a JSON document") from None
    if rest.strip(" \t\r\n"):
        raise BodyError("data after the JSON document")
    out.json_doc = doc
    out.body_format = "json"
    walk_json(doc, "body", out)


# --------------------------------------------------------------------------- webhooks

FORM = "application/x-www-form-urlencoded"


def _extract_incoming_webhook(body: bytes, content_type: str, query: list[tuple[str, str]], out: Extracted) -> None:
    """web/webhook.go incomingWebhook, the union of the versions in the field.

    Both call ``r.ParseForm()`` first (net/http: the body is consumed as a form when
    ``mime.ParseMediaType`` says application/x-www-form-urlencoded, even with bad
    parameters).  Then the branch is chosen by Content-Type:

    * newer (``mime.ParseMediaType``; a parse error other than
      ErrInvalidMediaParameter answers 400): form -> ``r.FormValue("payload")``
      (body form first, then the query string); multipart/form-data -> the form
      values; else the body as JSON (model.IncomingWebhookRequestFromJSON, retried
      with control characters escaped);
    * older: ``strings.Split(ct, "; ")[0] == "application/x-www-form-urlencoded"``
      -> form; ``strings.HasPrefix(ct, "multipart/form-data")`` -> multipart; else JSON.

    Every reading either version takes is inspected.  A body no version can read is
    refused (Mattermost answers 400 to it anyway)."""
    lenient_mt = media_type_lenient(content_type or "application/octet-stream")
    parse_form_reads_body = lenient_mt is not None and lenient_mt[0] == FORM
    new_mt: str | None
    if not content_type:
        new_mt = ""
    else:
        new_mt = lenient_mt[0] if lenient_mt is not None else None  # None: the newer version answers 400
    old_form = content_type.split("; ")[0] == FORM
    old_multipart = content_type.startswith("multipart/form-data")
    form = old_form or new_mt == FORM
    multipart = old_multipart or new_mt == "multipart/form-data"
    json_branch = not (old_form or old_multipart) or (new_mt is not None and new_mt not in (FORM, "multipart/form-data"))
    read_something = False
    if form:
        payloads = [v for k, v in (parse_form(body) if parse_form_reads_body else []) if k == "payload"]
        payloads += [v for k, v in query if k == "payload"]
        for i, value in enumerate(payloads):
            # every payload through Mattermost's decode, its retry included: one it
            # cannot decode is refused, never skipped (a backslash before a raw line
            # feed is valid only after the retry's rewrite: it was skipped unread, atk17p F4)
            doc = _webhook_reading(value)
            if doc is _NO_JSON:
                raise BodyError("an incoming webhook payload= that Mattermost's decoder cannot read")
            if i == 0:  # r.FormValue("payload"): the first value, body before query
                out.webhook_readings.append(("form", doc))
            read_something = True
            out.body_format = "form"
            # not redactable in place: a rewritten form is not what was judged
            walk_json(doc, "form.payload" if i == 0 else f"form.payload#{i}", out)
        if parse_form_reads_body:
            # the other form values are read by nobody, but cost nothing to inspect
            for key, value in parse_form(body):
                if key != "payload" and value:
                    out.items.append(ContentItem(f"form.{key}", value))
            read_something = read_something or bool(body.strip())
    if multipart:
        boundary = _webhook_boundary(content_type)
        if boundary is not None:
            first = len(out.items)
            _add_multipart(_multipart(body, boundary), out)
            read_something = True
            out.webhook_readings.append(("multipart", {i.path: i.text for i in out.items[first:]}))
    if json_branch and not parse_form_reads_body:
        doc = _webhook_reading(body.decode("utf-8", "replace"))
        if doc is not _NO_JSON:
            out.webhook_readings.append(("json", doc))
            # redactable only when it is the one reading (a finding elsewhere blocks)
            out.json_doc = doc if not read_something else None
            read_something = True
            out.body_format = "json"
            walk_json(doc, "body", out)
    if not read_something and body.strip():
        raise BodyError("the webhook body is neither JSON, a form with payload=, nor multipart form data")


def _webhook_boundary(content_type: str) -> str | None:
    """http.Request.multipartReader (ParseMultipartForm): multipart/form-data with a boundary."""
    try:
        mediatype, params = parse_media_type(content_type)
    except GoReadError:
        return None
    return params.get("boundary") if mediatype == "multipart/form-data" else None


def _extract_command_webhook(body: bytes, content_type: str, out: Extracted) -> None:
    """model.CommandResponseFromHTTPBody (web/webhook.go commandWebhook): older
    versions decode JSON only for ``application/json`` (``strings.Split(ct, ";")[0]``
    trimmed) and take any other body as the response's plain text; a middle one tries
    ``json.Unmarshal`` first and falls back to the text whatever the label; the newest
    tries JSON first, then answers 400 for ``application/json`` and takes the text for
    anything else.  Both readings are inspected, always; ``webhook_readings`` lists
    the ones some version takes (``links.command_response`` rewrites only one)."""
    text = decode_text(body)
    json_ct = content_type.split(";")[0].strip(" \t") == "application/json"
    try:
        doc, rest = go_json_decode(text, lenient=True)
    except BodyError:
        raise
    except ValueError:
        doc, rest = _NO_JSON, ""
    if doc is not _NO_JSON:
        out.json_doc = doc
        out.body_format = "json"
        walk_json(doc, "body", out)
    # json.Unmarshal into model.CommandResponse: one value, an object (or null) whose
    # fields have their Go types; anything else is an error (the text is read instead)
    unmarshals = doc is not _NO_JSON and not rest.strip(" \t\r\n") and command_response_typed(doc)
    if unmarshals or (json_ct and isinstance(doc, dict) and command_response_typed(doc)):
        # (the oldest reads with json.Decoder: the first value, what follows unread)
        out.webhook_readings.append(("json", doc))
    if not json_ct or not unmarshals:
        out.webhook_readings.append(("text", text))
    out.items.append(ContentItem("body.text#plain", text))
    for other, reading in text_readings(body)[1:]:
        out.items.append(ContentItem(f"body.text#plain{other}", reading))


#: string fields of model.CommandResponse and model.SlackAttachment (encoding/json:
#: a value of another type is an UnmarshalTypeError; null leaves the zero value)
_COMMAND_STRINGS = frozenset({"response_type", "text", "username", "channel_id", "icon_url", "type",
                              "goto_location", "trigger_id"})
_ATTACHMENT_STRINGS = frozenset({"fallback", "color", "pretext", "author_name", "author_link", "author_icon",
                                 "title", "title_link", "text", "image_url", "thumb_url", "footer", "footer_icon"})


def _doc_pairs(doc: dict[str, Any]) -> Iterable[tuple[Any, Any]]:
    return getattr(doc, "order", None) or doc.items()


def _attachment_typed(att: Any) -> bool:
    if att is None:
        return True
    if not isinstance(att, dict):
        return False
    for key, value in _doc_pairs(att):
        name = go_field_name(str(key))
        if name in _ATTACHMENT_STRINGS and not (value is None or isinstance(value, str)):
            return False
        if name in ("fields", "actions") and not (value is None or (
                isinstance(value, list) and all(v is None or isinstance(v, dict) for v in value))):
            return False
    return True


def command_response_typed(doc: Any, depth: int = 0) -> bool:
    """Whether ``json.Unmarshal`` fills a model.CommandResponse from ``doc`` without a
    type error, as far as the fields that carry text and props go (the types inside
    attachment fields and actions are not checked)."""
    if doc is None:
        return True
    if not isinstance(doc, dict) or depth > 1:
        return False
    for key, value in _doc_pairs(doc):
        name = go_field_name(str(key))
        if name in _COMMAND_STRINGS and not (value is None or isinstance(value, str)):
            return False
        if name == "skip_slack_parsing" and not (value is None or isinstance(value, bool)):
            return False
        if name == "props" and not (value is None or isinstance(value, dict)):
            return False
        if name == "attachments" and not (value is None or (
                isinstance(value, list) and all(_attachment_typed(a) for a in value))):
            return False
        if name == "extra_responses" and not (value is None or (
                isinstance(value, list) and all(command_response_typed(r, depth + 1) for r in value))):
            return False
    return True


# --------------------------------------------------------------------------- any body



#: the share of a text's characters that are controls (but tab and line breaks),
#: replacement characters or undecodable bytes from which it is binary (a raw body's
#: bytes, not a message)
_BINARY_SHARE = 0.05
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ud800-\udfff]")  # (lone surrogates: bytes read surrogateescape)


def may_render(text: str) -> bool:
    r"""Whether a route's raw body read as ``text`` may be a message a client renders as
    Markdown with its LaTeX (``ContentItem.rendered``): not when it is binary (a plugin's
    import of random bytes held ``$`` and ``\`` the TeX check read as TeX).  A JSON
    string field always may."""
    return not text or len(_CONTROLS.findall(text)) < _BINARY_SHARE * len(text)


def _extract_any(body: bytes, content_type: str, out: Extracted, *, prefix: str = "body", depth: int = 0,
                 room: Room | None = None) -> None:
    """A route nobody described (unknown writes, plugin routes): every reading a
    handler could take.  A body that is a document, an archive or a compressed
    stream goes to the file scanner; a compressed stream without a Content-Encoding
    label (``unlabelled_streams``: a plugin may decompress it itself) is read
    decompressed too, each reading as a body of its own (``body~zlib``...);
    multipart is read as Go reads it; a form's values, a JSON document's strings,
    else the text itself."""
    room = room if room is not None else Room(MAX_DECODED_BYTES)
    streams = stream_readings(body, room)  # (every reading, nested ones too, taken from one room)
    if depth >= MAX_STREAM_DEPTH:
        # a stream this deep is refused; a trial inflate that found no final block is
        # dropped there (random bytes inflate a few bytes now and then, and so may
        # their output: a binary body must not be refused for that)
        if any(sure for _, _, sure in streams):
            raise BodyError("compressed body nested too deeply")
        streams = []
    for kind, decoded, _ in streams:
        reading = Extracted()
        _extract_any(decoded, content_type, reading, prefix=f"{prefix}~{kind}", depth=depth + 1, room=room)
        if len(out.items) + len(reading.items) > MAX_ITEMS:
            raise BodyError("too many values in the body", 413)
        # a reading, never the body a redaction rewrites (no json_doc, no fields)
        out.items.extend(reading.items)
        out.files.extend(reading.files)
    if _is_document(body):
        # a document, archive or compressed stream goes to the file scanner, *and* is
        # read as text below: a plugin's ServeHTTP gets the raw bytes
        # (server/channels/app/plugin_requests.go servePluginRequest) and may read them
        # as text; an e-mail, RTF or GIF-looking body was read as that document only,
        # and what its reader skips (a MIME preamble, a {\*\datastore} group, bytes
        # after a GIF trailer) went through (atk16p F7)
        out.files.append(FilePart(f"{prefix}.file", "", body))
        out.body_format = "raw"
    boundary = _webhook_boundary(content_type) if content_type else None
    if boundary is not None:
        _add_multipart(_multipart(body, boundary), out)
    mt = media_type_lenient(content_type) if content_type else None
    texts = text_readings(body)
    text = texts[0][1]
    for other, other_text in texts[1:]:
        # every other decoding (a UTF-16 byte-order mark trusted, Latin-1): its text,
        # and its JSON document when it is one
        out.items.append(ContentItem(f"{prefix}{other}", other_text))
        other_doc = _json_reading(other_text, lenient=True)
        if other_doc is not _NO_JSON and not isinstance(other_doc, str):
            walk_json(other_doc, f"{prefix}{other}", out)
    if mt is not None and mt[0] == FORM:
        for key, value in parse_form(body):
            if key == "payload":
                doc = _webhook_reading(value)
                if doc is not _NO_JSON:
                    walk_json(doc, f"{prefix}.form.payload", out)
                    continue
            if value:
                out.items.append(ContentItem(f"{prefix}.form.{key}", value))
    # and a handler that decodes the body as JSON whatever the label (json.Decoder
    # reads the first value: a JSON document in front of a multipart section counts)
    doc, rest = _json_reading_rest(text)
    if doc is not _NO_JSON:
        if out.json_doc is None and boundary is None:
            out.json_doc = doc
            out.body_format = "json"
        walk_json(doc, prefix, out)
        if not _json_reads_all(doc, rest):
            # the handler is unknown: a plugin's ServeHTTP gets the raw body
            # (app/plugin_requests.go servePluginRequest) and may read all of it as text,
            # where the JSON reading left bytes unread (what follows the first value:
            # ``{"title":"note"}\nclient SSN ...``, atk21p F7) or read them differently (a
            # key's text, a number Python's float rounds): the whole text is read too
            out.items.append(ContentItem(f"{prefix}~text", text, rendered=may_render(text)))
        return
    if boundary is None:
        out.body_format = out.body_format if out.body_format != "empty" else "raw"
        out.items.append(ContentItem(prefix, text, rendered=may_render(text)))


# --------------------------------------------------------------------------- entry point


def extract(
    route: Route,
    body: bytes,
    content_type: str,
    query: list[tuple[str, str]],
    go_query: list[tuple[str, str]] | None = None,
    *,
    defer_files_from: int | None = None,
    decoded_limit: int = MAX_DECODED_BYTES,
) -> Extracted:
    """Content items of a request body as Mattermost's handler for ``route`` reads it
    (the bytes as received: request Content-Encoding is handled by the caller).
    ``query``: every pair of the query string, inspected; ``go_query``: the pairs Go's
    ``url.ParseQuery`` keeps (goread.parse_query), from which fields are read.
    ``defer_files_from``: on a file route, a multipart file part of at least this many
    bytes stays in the body (``FilePart.span``), not copied out (a file worker reads
    it from the spooled body instead: no second copy of the file in its memory).
    ``decoded_limit``: the most the body's decompressed readings (``decode.py``) may come
    to, all together: the limit the raw body was held to (413 past it)."""
    out = Extracted()
    for key, value in query:
        if value:
            out.items.append(ContentItem(f"query.{key}", value))
    # ``r.URL.Query().Get(name)``: Go's ParseQuery reading (pairs with a bad escape or
    # a ';' dropped), names case-sensitive, the first value even when it is empty
    for key, value in (go_query if go_query is not None else query):
        out.fields.setdefault(f"query.{key}", value)
    kind = route.body
    if kind is Body.WEBHOOK:
        # even without a body: r.FormValue("payload") reads the query string too
        _extract_incoming_webhook(body, content_type, query, out)
        return out
    if not body:
        return out
    if kind is Body.UPLOAD_CHUNK:
        # api4/upload.go doUploadData: multipart/form-data (mime.ParseMediaType) ->
        # the first part as multipart.Reader.NextPart hands it over; else the raw body.
        boundary = multipart_boundary(content_type)
        out.body_format = "raw"
        if boundary is not None:
            # (a large first part with a filename is left in the body: ``defer_files_from``)
            mp = _multipart(body, boundary, defer_files_from)
            if not mp.parts:
                raise BodyError("multipart upload chunk without a part")
            first = mp.parts[0]
            out.files.append(FilePart("chunk", first.file_name(), first.data, first.get("Content-Type"), first.span))
            _add_multipart(mp, out, skip_first=True)
            out.body_format = "raw"
        else:
            out.files.append(FilePart("chunk", "", body, content_type))
        return out
    if kind is Body.FILES:
        # api4/file.go uploadFileStream / user.go setProfileImage: multipart/form-data
        # (mime.ParseMediaType, no error) -> mime/multipart; else the body is the file
        # (uploadFileSimple, name in ?filename=).
        boundary = multipart_boundary(content_type)
        if boundary is not None:
            _add_multipart(_multipart(body, boundary, defer_files_from), out)
            return out
        filename = next((v for k, v in query if k == "filename"), "")
        out.files.append(FilePart("file[0]", filename, body, content_type))
        out.body_format = "raw"
        return out
    if kind is Body.COMMAND_WEBHOOK:
        _extract_command_webhook(body, content_type, out)
        return out
    if kind is Body.ANY:
        _extract_any(body, content_type, out, room=Room(decoded_limit))
        return out
    _extract_json_route(body, out)
    return out


#: Fields Mattermost validates as object ids (model.IsValidId: 26 characters of
#: [a-z0-9]) and uses as references.  A value there that is an id ``model.NewId``
#: could have made (its base32 alphabet, no run of six digits: ``atrest.new_id``) is
#: not scanned (ids are random base32 and trip the number recognizers' prefilter for
#: nothing); any other value is scanned as usual (some are shown to other users:
#: ``pending_post_id`` is echoed to the channel with the post).
REFERENCE_ID_FIELDS = frozenset({
    "body.id", "body.channel_id", "body.root_id", "body.parent_id", "body.original_id", "body.pending_post_id",
    "body.user_id", "body.team_id", "body.post_id", "body.post.channel_id", "body.post.root_id", "body.post.user_id",
})
_FILE_IDS = re.compile(r"body\.file_ids\[\d+\]")


def is_reference_id(item: ContentItem) -> bool:
    return atrest.new_id(item.text) and (
        item.path in REFERENCE_ID_FIELDS or bool(_FILE_IDS.fullmatch(item.path)))


def filename_items(files: list[FilePart]) -> list[ContentItem]:
    return [ContentItem(f"{f.path}.name", f.filename, ItemKind.FILENAME) for f in files if f.filename]



# --------------------------------------------------------------------------- no-content routes

_NAME_SHAPE = re.compile(r"[A-Za-z0-9._\-+@ :]{0,128}")
_LONG_DIGITS = re.compile(r"\d{5,}")
#: millisecond timestamps (1e12..1e13 is 2001..2286) and small counts are the only
#: numbers a read marker carries; anything else may be an account number
_SMALL_INT = 1000
_MILLIS = (10**12, 10**13)


def _ref_value(v: Any) -> bool:
    if v is None or isinstance(v, bool):
        return True
    if isinstance(v, str):
        return v == "" or bool(MATTERMOST_ID.fullmatch(v))
    if isinstance(v, int):
        return 0 <= v <= _SMALL_INT or _MILLIS[0] <= v < _MILLIS[1]
    if isinstance(v, list):
        return len(v) <= 1000 and all(_ref_value(x) for x in v)
    if isinstance(v, dict):
        return len(v) <= 64 and all(go_field_name(k) in _REF_KEYS and _ref_value(x) for k, x in _ordered(v))
    return False  # floats


#: keys a read marker or view carries (model.ChannelView, MapBoolFromJSON of set_unread)
_REF_KEYS = frozenset({"channel_id", "prev_channel_id", "collapsed_threads_supported", "channel_ids",
                       "team_id", "post_id", "user_id", "root_id", "last_viewed_at", "since"})


def _ordered(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    return list(getattr(doc, "order", None) or doc.items())


def _object_of(doc: Any, fields: dict[str, Callable[[Any], bool]], required: tuple[str, ...] = ()) -> str | None:
    if not isinstance(doc, dict):
        return "the body is not a JSON object"
    seen: set[str] = set()
    for key, value in _ordered(doc):
        name = go_field_name(key)
        check = fields.get(name)
        if check is None:
            return "the body has a field this route does not take"
        if not check(value):
            return f"the field {name} is not what Mattermost expects"
        seen.add(name)
    if any(r not in seen for r in required):
        return "a required field is missing"
    return None


def _id_or_empty(v: Any) -> bool:
    return v is None or v == "" or is_mattermost_id(v)


def _new_id_or_empty(v: Any) -> bool:
    # a value broadcast to other users: an id model.NewId could have made, no digit run
    return v is None or v == "" or (isinstance(v, str) and atrest.new_id(v))


def _bool(v: Any) -> bool:
    return v is None or isinstance(v, bool)


#: digits a telemetry string may hold (any script): metric names, platforms, agents and
#: label values are words (``TTFB``, ``channel_switch``, ``macos``, ``team_controller``)
TELEMETRY_MAX_DIGITS = 3
_SEMVER = re.compile(r"\d{1,4}\.\d{1,4}\.\d{1,4}")


def _telemetry_string_ok(v: str) -> bool:
    """A client-metrics string: a name with at most ``TELEMETRY_MAX_DIGITS`` digits, a
    report version (``0.1.0``), or an id.  Mattermost keeps only known metric names and
    the accepted platforms and agents (server/public/model/metrics.go ``ProcessLabels``,
    ``acceptedPlatforms``, ``acceptedAgents``; server/channels/app/metrics.go skips
    unknown metrics), so no real client sends more digits; a dashed identifier
    (``AAA-GG-SSSS``, has no 5-digit run) is refused (attack pass 8, F14)."""
    if len(v) > 256:
        return False
    if _SEMVER.fullmatch(v) or (MATTERMOST_ID.fullmatch(v) and not _LONG_DIGITS.search(v)):
        return True
    return sum(1 for ch in v if ch.isdigit() or ch.isnumeric()) <= TELEMETRY_MAX_DIGITS


def _telemetry_ok(v: Any, depth: int = 0) -> bool:
    if depth > 16:
        return False
    if isinstance(v, str):
        return _telemetry_string_ok(v)
    if isinstance(v, dict):
        return len(v) <= 1000 and all(_telemetry_ok(k, depth + 1) and _telemetry_ok(x, depth + 1) for k, x in _ordered(v))
    if isinstance(v, list):
        return len(v) <= 1000 and all(_telemetry_ok(x, depth + 1) for x in v)
    return True  # numbers are measurements, booleans, null


def no_content_shape_error(shape: str, body: bytes) -> str | None:
    """Whether the body of a no-content route (routes.NO_CONTENT_ROUTES) has exactly
    the shape Mattermost's handler reads; a reason to refuse it (400) otherwise.

    - ``typing``: api4/user.go publishUserTyping decodes model.TypingRequest
      (``channel_id``, ``parent_id``); app/user.go PublishUserTyping broadcasts
      ``parent_id`` to every member of the channel as it is: ``channel_id`` must be an
      id, ``parent_id`` empty or an id ``model.NewId`` could have made with no run of
      six digits (``atrest.new_id``; 26 digits of a card and an account number are
      ``[a-z0-9]{26}`` and the detector reads no identifier in them), nothing else may
      be there;
    - ``view``: api4/channel.go viewChannel, model.ChannelView (``channel_id``,
      ``prev_channel_id``, ``collapsed_threads_supported``);
    - ``refs``: read markers (set_unread: model.MapBoolFromJSON; mark_read): ids,
      booleans, small counts and millisecond timestamps only;
    - ``ids`` / ``names``: a JSON array of ids (model.IsValidId) / short names;
    - ``empty``: nothing (or an empty JSON value);
    - ``telemetry``: client metrics: any JSON whose strings are names with at most 3
      digits, report versions or ids (``_telemetry_string_ok``);
    - ``credentials``, ``search``: never read.

    JSON is read as Go reads it (go_json_decode; keys matched as encoding/json does)."""
    if shape in ("credentials", "search") or not body.strip(b" \t\r\n"):
        return None
    try:
        doc, rest = go_json_decode(body.decode("utf-8", "replace"))
    except BodyError:
        return "the body is nested too deeply"
    except ValueError:
        return "the body is not a JSON document"
    if rest.strip(" \t\r\n"):
        return "data after the JSON document"
    if shape == "typing":
        return _object_of(doc, {"channel_id": is_mattermost_id, "parent_id": _new_id_or_empty}, ("channel_id",))
    if shape == "view":
        return _object_of(doc, {"channel_id": _id_or_empty, "prev_channel_id": _id_or_empty,
                                "collapsed_threads_supported": _bool})
    if shape == "refs":
        return None if _ref_value(doc) else "the body carries something other than ids"
    if shape == "ids":
        ok = isinstance(doc, list) and len(doc) <= 10_000 and all(is_mattermost_id(v) for v in doc)
        return None if ok else "the body is not a list of ids"
    if shape == "names":
        ok = isinstance(doc, list) and len(doc) <= 10_000 and all(
            isinstance(v, str) and _NAME_SHAPE.fullmatch(v) and not _LONG_DIGITS.search(v) for v in doc)
        return None if ok else "the body is not a list of names"
    if shape == "empty":
        return None if doc in ({}, [], None, "") else "this request takes no body"
    if shape == "telemetry":
        return None if _telemetry_ok(doc) else "the body carries text this route does not take"
    return "unknown body shape"
