"""Go's standard-library readings of a request, ported: the bytes as Mattermost sees them.

Mattermost is a Go server; how it reads a body is decided by Go's ``mime`` and
``mime/multipart`` packages, not by what a Python library would make of the same
bytes.  Ported here (Go 1.21-1.23 semantics; file paths are in the Go source tree):

- ``parse_media_type``: ``src/mime/mediatype.go`` ``ParseMediaType`` (lower-cased
  type, tokens, quoted strings with MSIE backslashes, RFC 2231 continuations,
  duplicate parameters, ``ErrInvalidMediaParameter`` returning the type alone);
- ``read_multipart``: ``src/mime/multipart/multipart.go`` ``Reader.NextPart``
  (preamble skipped up to the first ``--boundary`` line, transport padding after a
  boundary, LF-only mode decided on the first boundary line, a part's body ends at
  ``CRLF--boundary`` followed by white space, ``--`` or the end), part headers by
  ``src/net/textproto/reader.go`` ``ReadMIMEHeader``, and
  ``Content-Transfer-Encoding: quoted-printable`` decoded as
  ``src/mime/quotedprintable/reader.go`` does.  **No other transfer encoding is
  decoded** (base64 parts are handed over as they are);
- ``Part.form_name`` / ``Part.file_name``: ``Part.FormName`` / ``Part.FileName``
  (``form-data`` disposition only; ``filepath.Base`` of the filename);
- ``parse_query``: ``src/net/url/url.go`` ``ParseQuery`` (what ``r.URL.Query()``
  reads; ``Values.Get`` is case-sensitive and returns the first value).

Whatever Go refuses raises ``GoReadError``; the caller answers 400 (Mattermost
would have refused the request, or stored only what preceded the error).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["GoReadError", "Multipart", "Part", "parse_media_type", "parse_query", "query_unescape",
           "quoted_printable_decode", "read_multipart"]

_TSPECIALS = frozenset('()<>@,;:\\"/[]?=')
#: bufio.Reader's default size in multipart.NewReader (peekBufferSize): a line
#: of the preamble or between parts longer than this is an error in Go
PEEK_BUFFER = 4096


class GoReadError(ValueError):
    """Go's reader returns an error for these bytes."""


class InvalidMediaParameter(GoReadError):
    """mime.ErrInvalidMediaParameter: the media type is usable, the parameters are not."""

    def __init__(self, mediatype: str) -> None:
        super().__init__("mime: invalid media parameter")
        self.mediatype = mediatype


def _is_token_char(c: str) -> bool:
    return " " < c < "\x7f" and c not in _TSPECIALS


def _go_lower(s: str) -> str:
    """strings.ToLower: per-rune simple case mapping (Python's full mapping turns
    U+0130 into two runes; Go turns it into 'i')."""
    if s.isascii():
        return s.lower()
    return "".join("i" if c == "\u0130" else (c.lower() if len(c.lower()) == 1 else c) for c in s)


def _consume_token(v: str) -> tuple[str, str]:
    for i, c in enumerate(v):
        if not _is_token_char(c):
            return v[:i], v[i:]
    return v, ""


def _consume_value(v: str) -> tuple[str, str]:
    if not v:
        return "", v
    if v[0] != '"':
        return _consume_token(v)
    out: list[str] = []
    i = 1
    while i < len(v):
        c = v[i]
        if c == '"':
            return "".join(out), v[i + 1:]
        if c == "\\" and i + 1 < len(v) and v[i + 1] in _TSPECIALS:
            out.append(v[i + 1])
            i += 2
            continue
        if c in "\r\n":
            return "", v
        out.append(c)
        i += 1
    return "", v  # no closing quote


def _is_space(c: str) -> bool:
    """Go's unicode.IsSpace.  Not ``str.isspace``, which also says yes to U+001C-U+001F."""
    if c < "\u0100":
        return c in "\t\n\v\f\r \x85\xa0"
    return unicodedata.category(c) == "Zs" or c in "\u2028\u2029"


def _lstrip_space(v: str) -> str:
    # strings.TrimLeftFunc(v, unicode.IsSpace)
    i = 0
    while i < len(v) and _is_space(v[i]):
        i += 1
    return v[i:]


def _trim_space(v: str) -> str:
    # strings.TrimSpace
    v = _lstrip_space(v)
    end = len(v)
    while end and _is_space(v[end - 1]):
        end -= 1
    return v[:end]


def _consume_media_param(v: str) -> tuple[str, str, str]:
    rest = _lstrip_space(v)
    if not rest.startswith(";"):
        return "", "", v
    rest = _lstrip_space(rest[1:])
    param, rest = _consume_token(rest)
    param = _go_lower(param)
    if not param:
        return "", "", v
    rest = _lstrip_space(rest)
    if not rest.startswith("="):
        return "", "", v
    rest = _lstrip_space(rest[1:])
    value, rest2 = _consume_value(rest)
    if value == "" and rest2 == rest:
        return "", "", v
    return param, value, rest2


def _check_media_type(s: str) -> None:
    typ, rest = _consume_token(s)
    if not typ:
        raise GoReadError("mime: no media type")
    if not rest:
        return
    if not rest.startswith("/"):
        raise GoReadError("mime: expected slash after first token")
    sub, rest = _consume_token(rest[1:])
    if not sub:
        raise GoReadError("mime: expected token after slash")
    if rest:
        raise GoReadError("mime: unexpected content after media subtype")


_PCT = re.compile(r"%([0-9A-Fa-f]{2})")


def _percent_hex_unescape(s: str) -> str:
    i = 0
    while True:
        i = s.find("%", i)
        if i < 0:
            break
        if not _PCT.match(s, i):
            raise GoReadError("mime: bogus characters after %")
        i += 3
    return _PCT.sub(lambda m: chr(int(m.group(1), 16)), s).encode("latin-1").decode("utf-8", "replace")


def _decode_2231(v: str) -> str | None:
    sv = v.split("'", 2)
    if len(sv) != 3:
        return None
    charset = _go_lower(sv[0])
    if charset not in ("us-ascii", "utf-8"):
        return None
    try:
        return _percent_hex_unescape(sv[2])
    except GoReadError:
        return None


def parse_media_type(v: str) -> tuple[str, dict[str, str]]:
    """``mime.ParseMediaType``; raises ``InvalidMediaParameter`` (with ``.mediatype``)
    or ``GoReadError`` exactly where Go returns an error."""
    base = v.split(";", 1)[0]
    mediatype = _trim_space(_go_lower(base))
    _check_media_type(mediatype)
    params: dict[str, str] = {}
    continuation: dict[str, dict[str, str]] = {}
    rest = v[len(base):]
    while rest:
        rest = _lstrip_space(rest)
        if not rest:
            break
        key, value, after = _consume_media_param(rest)
        if not key:
            if _trim_space(after) == ";":
                break
            raise InvalidMediaParameter(mediatype)
        pmap = params
        if "*" in key:
            pmap = continuation.setdefault(key.split("*", 1)[0], {})
        if key in pmap and pmap[key] != value:
            raise GoReadError("mime: duplicate parameter name")
        pmap[key] = value
        rest = after
    for key, pieces in continuation.items():
        single = key + "*"
        if single in pieces:
            dec = _decode_2231(pieces[single])
            if dec is not None:
                params[key] = dec
            continue
        buf: list[str] = []
        valid = False
        n = 0
        while True:
            simple = f"{key}*{n}"
            if simple in pieces:
                valid = True
                buf.append(pieces[simple])
                n += 1
                continue
            encoded = simple + "*"
            if encoded not in pieces:
                break
            valid = True
            if n == 0:
                dec = _decode_2231(pieces[encoded])
                if dec is not None:
                    buf.append(dec)
            else:
                try:
                    buf.append(_percent_hex_unescape(pieces[encoded]))
                except GoReadError:
                    pass  # Go appends the (empty) partial result
            n += 1
        if valid:
            params[key] = "".join(buf)
    return mediatype, params


def media_type_lenient(v: str) -> tuple[str, dict[str, str]] | None:
    """``mime.ParseMediaType`` as net/http and Mattermost use it: the media type
    is kept on ``ErrInvalidMediaParameter`` (parameters dropped); ``None`` on any
    other error."""
    try:
        return parse_media_type(v)
    except InvalidMediaParameter as exc:
        return exc.mediatype, {}
    except GoReadError:
        return None


# --------------------------------------------------------------------------- multipart


def _canonical_key(k: bytes) -> str | None:
    """textproto.CanonicalMIMEHeaderKey; None where ReadMIMEHeader refuses the key."""
    if not k:
        return None
    for c in k:
        if c <= 0x20 or c >= 0x7F or chr(c) in '"(),/:;<=>?@[\\]{}':
            return None
    out: list[str] = []
    upper = True
    for ch in k.decode("ascii"):
        if upper and "a" <= ch <= "z":
            ch = ch.upper()
        elif not upper and "A" <= ch <= "Z":
            ch = ch.lower()
        out.append(ch)
        upper = ch == "-"
    return "".join(out)


def _trim(b: bytes) -> bytes:
    return b.strip(b" \t")


@dataclass(slots=True)
class Part:
    headers: dict[str, list[str]]
    #: the part's body bytes as they stand in the message
    raw: bytes
    #: what Go's NextPart hands over: ``raw``, or its quoted-printable decoding
    data: bytes
    #: the Content-Transfer-Encoding header as sent (Go deletes it once it decoded QP)
    transfer_encoding: str = ""
    #: (start, end) of ``raw`` in the body when the part was left where it stands
    #: (``read_multipart``'s ``defer``): ``raw`` and ``data`` are then empty
    span: tuple[int, int] | None = None

    def get(self, name: str) -> str:
        values = self.headers.get(name, [])
        return values[0] if values else ""

    def _disposition(self) -> tuple[str, dict[str, str]]:
        try:
            return parse_media_type(self.get("Content-Disposition"))
        except InvalidMediaParameter as exc:
            return exc.mediatype, {}
        except GoReadError:
            return "", {}

    def form_name(self) -> str:
        disposition, params = self._disposition()
        return params.get("name", "") if disposition == "form-data" else ""

    def file_name(self) -> str:
        filename = self._disposition()[1].get("filename", "")
        return posixpath.basename(filename) if filename else ""  # filepath.Base

    def has_filename_param(self) -> bool:
        return "filename" in self._disposition()[1]


@dataclass(slots=True)
class Multipart:
    parts: list[Part] = field(default_factory=list)
    #: bytes before the first boundary line and after the closing one: Go skips them
    preamble: bytes = b""
    epilogue: bytes = b""


def _read_line(body: bytes, pos: int) -> tuple[bytes, int, bool]:
    """(line including its \\n, next position, had a \\n)."""
    j = body.find(b"\n", pos)
    if j < 0:
        return body[pos:], len(body), False
    return body[pos:j + 1], j + 1, True


def _read_header(body: bytes, pos: int) -> tuple[dict[str, list[str]], int]:
    """textproto.Reader.ReadMIMEHeader from ``pos``; returns (headers, position after the blank line)."""
    headers: dict[str, list[str]] = {}
    if body[pos:pos + 1] in (b" ", b"\t"):
        raise GoReadError("malformed MIME header initial line")
    while True:
        line, pos, had_nl = _read_line(body, pos)
        if not had_nl:
            raise GoReadError("multipart: unexpected EOF in part headers")
        line = line[:-1]
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            return headers, pos
        kv = _trim(line)
        while body[pos:pos + 1] in (b" ", b"\t"):  # continuation lines
            nxt, npos, had = _read_line(body, pos)
            if not had:
                raise GoReadError("multipart: unexpected EOF in part headers")
            nxt = nxt[:-1]
            if nxt.endswith(b"\r"):
                nxt = nxt[:-1]
            kv += b" " + _trim(nxt)
            pos = npos
        k, colon, v = kv.partition(b":")
        if not colon:
            raise GoReadError("malformed MIME header line")
        key = _canonical_key(k)
        if key is None:
            raise GoReadError("malformed MIME header line")
        if any(not (c >= 0x80 or (0x20 <= c != 0x7F) or c == 0x09) for c in v):
            raise GoReadError("malformed MIME header line")
        headers.setdefault(key, []).append(v.lstrip(b" \t").decode("latin-1"))
        if len(headers) > 10000:
            raise GoReadError("multipart: message too large")


def _match_after_prefix(body: bytes, at: int, prefix_len: int) -> int:
    """multipart.matchAfterPrefix with the whole body read (readErr = EOF)."""
    j = at + prefix_len
    if j == len(body):
        return 1
    c = body[j]
    if c in b" \t\r\n":
        return 1
    if c == 0x2D:  # '-'
        if j + 1 == len(body):
            return -1
        if body[j + 1] == 0x2D:
            return 1
    return -1


def quoted_printable_decode(data: bytes) -> bytes:
    """``mime/quotedprintable.Reader`` on a whole body (Go 1.21 semantics)."""
    out = bytearray()
    pos = 0
    n = len(data)
    while pos < n:
        j = data.find(b"\n", pos)
        whole = data[pos:] if j < 0 else data[pos:j + 1]
        at_eof = j < 0
        pos = n if j < 0 else j + 1
        line = whole.rstrip(b"\n\r \t")
        has_lf = whole.endswith(b"\n")
        has_crlf = whole.endswith(b"\r\n")
        if line.endswith(b"="):
            right = whole[len(line):]
            line = line[:-1]
            if not (right.startswith(b"\n") or right.startswith(b"\r\n") or (not right and line and at_eof)):
                raise GoReadError("quotedprintable: invalid bytes after =")
        elif has_lf:
            line += b"\r\n" if has_crlf else b"\n"
        i = 0
        while i < len(line):
            b = line[i]
            if b == 0x3D:  # '='
                hexpair = line[i + 1:i + 3]
                if len(hexpair) == 2 and all(chr(h) in "0123456789abcdefABCDEF" for h in hexpair):
                    out.append(int(hexpair, 16))
                    i += 3
                    continue
                if len(line) >= i + 2 and line[i + 1] not in b"\r\n":
                    out.append(0x3D)  # "Take the = as a literal ="
                    i += 1
                    continue
                raise GoReadError("quotedprintable: invalid escape")
            if b in b"\t\r\n" or b >= 0x80 or 0x20 <= b <= 0x7E:
                out.append(b)
                i += 1
                continue
            raise GoReadError("quotedprintable: invalid unescaped byte in body")
    return bytes(out)


def read_multipart(body: bytes, boundary: str, *, max_parts: int = 1000,
                   defer: Callable[[Part], bool] | None = None) -> Multipart:
    """Every part ``multipart.NewReader(body, boundary).NextPart()`` yields, in order,
    until io.EOF; ``GoReadError`` where Go returns any other error.

    ``defer``: asked of each part that is not quoted-printable (its headers set, its
    bytes and ``span`` not yet); True leaves its bytes in the body, not copied out
    (``span`` says where they are; ``raw`` and ``data`` are empty)."""
    if not boundary:
        raise GoReadError("multipart: boundary is empty")
    b = boundary.encode("utf-8", "surrogateescape")
    dash_boundary = b"--" + b
    dash_boundary_dash = dash_boundary + b"--"
    nl = b"\r\n"
    out = Multipart()
    pos = 0
    parts_read = 0
    expect_new_part = False
    preamble_end: int | None = None

    def lwsp(rest: bytes) -> bytes:
        return rest.lstrip(b" \t")

    def is_final(line: bytes) -> bool:
        if not line.startswith(dash_boundary_dash):
            return False
        rest = lwsp(line[len(dash_boundary_dash):])
        return not rest or rest == nl

    while True:
        line_start = pos
        line, pos, had_nl = _read_line(body, pos)
        if len(line) > PEEK_BUFFER:
            raise GoReadError("multipart: NextPart: bufio: buffer full")
        if not had_nl:
            if is_final(line):
                out.epilogue = b""
                break
            raise GoReadError("multipart: NextPart: EOF")
        # isBoundaryDelimiterLine (switches to LF mode on the first boundary line)
        delimiter = False
        if line.startswith(dash_boundary):
            rest = lwsp(line[len(dash_boundary):])
            if parts_read == 0 and rest == b"\n":
                nl = b"\n"
            delimiter = rest == nl
        if delimiter:
            if preamble_end is None:
                preamble_end = line_start
            parts_read += 1
            if parts_read > max_parts:
                raise GoReadError("multipart: too many parts")
            headers, start = _read_header(body, pos)
            nl_dash = nl + dash_boundary
            end = -1
            if body.startswith(dash_boundary, start) and _match_after_prefix(body, start, len(dash_boundary)) == 1:
                end = start
            else:
                i = body.find(nl_dash, start)
                while i >= 0:
                    if _match_after_prefix(body, i, len(nl_dash)) == 1:
                        end = i
                        break
                    i = body.find(nl_dash, i + 1)
            if end < 0:
                raise GoReadError("multipart: unexpected EOF in a part")
            cte = headers.get("Content-Transfer-Encoding", [""])[0]
            if defer is not None and cte.lower() != "quoted-printable" and defer(Part(headers, b"", b"", cte)):
                out.parts.append(Part(headers, b"", b"", cte, (start, end)))
                pos = end
                expect_new_part = False
                continue
            raw = body[start:end]
            data = raw
            if cte.lower() == "quoted-printable":
                data = quoted_printable_decode(raw)
                del headers["Content-Transfer-Encoding"]
            out.parts.append(Part(headers, raw, data, cte))
            pos = end
            expect_new_part = False
            continue
        if is_final(line):
            if preamble_end is None:
                preamble_end = line_start
            out.epilogue = body[pos:]
            break
        if expect_new_part:
            raise GoReadError("multipart: expecting a new Part")
        if parts_read == 0:
            continue  # preamble
        if line == nl:
            expect_new_part = True
            continue
        raise GoReadError("multipart: unexpected line in Next()")
    out.preamble = body[:preamble_end or 0]
    return out


# --------------------------------------------------------------------------- net/url


def _unhex(c: str) -> int:
    return int(c, 16)


def query_unescape(s: str) -> str:
    """``url.QueryUnescape`` (src/net/url/url.go ``unescape`` in encodeQueryComponent
    mode): ``+`` is a space, ``%XX`` a byte; a ``%`` not followed by two hex digits is
    an error (``ValueError``).  Bytes that are not UTF-8 become U+FFFD here (Go keeps
    them; only text is compared)."""
    if "%" not in s and "+" not in s:
        return s
    out = bytearray()
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c == "%":
            h = s[i + 1 : i + 3]
            if len(h) != 2 or any(x not in "0123456789abcdefABCDEF" for x in h):
                raise ValueError("invalid URL escape")
            out.append(_unhex(h))
            i += 3
        elif c == "+":
            out.append(0x20)
            i += 1
        else:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
    return out.decode("utf-8", "replace")


def parse_query(raw: str, *, max_pairs: int = 10_000) -> list[tuple[str, str]]:
    """``url.ParseQuery`` (src/net/url/url.go ``parseQuery``, Go 1.17+), as
    ``r.URL.Query()`` reads a request's query: pairs split on ``&``; a pair holding a
    ``;`` is dropped; an empty pair skipped; key and value unescaped, a pair with a bad
    escape dropped.  The order is kept (``Values.Get`` returns the first value)."""
    out: list[tuple[str, str]] = []
    for pair in raw.split("&"):
        if ";" in pair or not pair:
            continue
        key, _, value = pair.partition("=")
        try:
            out.append((query_unescape(key), query_unescape(value)))
        except ValueError:
            continue
        if len(out) > max_pairs:
            raise ValueError("too many query fields")
    return out
