"""Go's readings of an HTTP request, as the simulated Mattermost server uses them.

Written apart from the gateway's own port (dlp_proxy/gateway/goread.py) and kept
apart on purpose: the simulator, and the differential tests' oracle built on it,
must not share the gateway's assumptions.  Each function follows the Go source
named in its docstring line for line (Go 1.21-1.23; paths in the Go tree):

- ``parse_media_type``   src/mime/mediatype.go ParseMediaType
- ``parse_query``        src/net/url/url.go ParseQuery (pairs with a bad escape or
                         a ';' in the key are dropped)
- ``MultipartReader``    src/mime/multipart/multipart.go Reader.NextPart,
                         partReader/scanUntilBoundary/matchAfterPrefix,
                         src/net/textproto/reader.go ReadMIMEHeader,
                         src/mime/quotedprintable/reader.go
- ``json_decode``        src/encoding/json: Decoder.Decode (first value, the rest
                         unread) and Unmarshal (nothing but white space after it);
                         objects are ``GoObject``: struct fields matched
                         case-insensitively (fold.go foldName), the last key wins

Errors are raised as ``GoError``: the simulated handler answers as Mattermost does.
"""

from __future__ import annotations

import json
import posixpath
import sys
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

#: encoding/json's maxNestingDepth; the C scanner needs Python's recursion limit above it
GO_JSON_MAX_DEPTH = 10000


class GoError(ValueError):
    pass


class ErrInvalidMediaParameter(GoError):
    def __init__(self, mediatype: str) -> None:
        super().__init__("mime: invalid media parameter")
        self.mediatype = mediatype


def _tspecial(c: str) -> bool:
    return c in '()<>@,;:\\"/[]?='


def _token_char(c: str) -> bool:
    return 0x20 < ord(c) < 0x7F and not _tspecial(c)


def _to_lower(s: str) -> str:
    """strings.ToLower: per-rune simple case mapping (Python's full mapping turns
    U+0130 into two runes; Go turns it into 'i')."""
    if s.isascii():
        return s.lower()
    return "".join("i" if c == "\u0130" else (c.lower() if len(c.lower()) == 1 else c) for c in s)


def _consume_token(v: str) -> tuple[str, str]:
    i = 0
    while i < len(v) and _token_char(v[i]):
        i += 1
    return v[:i], v[i:]


def _consume_value(v: str) -> tuple[str, str]:
    if v == "":
        return "", ""
    if v[0] != '"':
        return _consume_token(v)
    buf: list[str] = []
    i = 1
    while i < len(v):
        r = v[i]
        if r == '"':
            return "".join(buf), v[i + 1:]
        if r == "\\" and i + 1 < len(v) and _tspecial(v[i + 1]):
            buf.append(v[i + 1])
            i += 2
            continue
        if r in ("\r", "\n"):
            return "", v
        buf.append(r)
        i += 1
    return "", v


def _go_is_space(c: str) -> bool:
    """unicode.IsSpace (not str.isspace: that also takes U+001C-U+001F)."""
    if ord(c) < 0x100:
        return c in "\t\n\v\f\r \x85\xa0"
    return unicodedata.category(c) == "Zs" or c in "\u2028\u2029"


def _lstrip_unicode(v: str) -> str:
    i = 0
    while i < len(v) and _go_is_space(v[i]):
        i += 1
    return v[i:]


def _trim_space(v: str) -> str:
    """strings.TrimSpace."""
    v = _lstrip_unicode(v)
    j = len(v)
    while j > 0 and _go_is_space(v[j - 1]):
        j -= 1
    return v[:j]


def _consume_media_param(v: str) -> tuple[str, str, str]:
    rest = _lstrip_unicode(v)
    if not rest.startswith(";"):
        return "", "", v
    rest = _lstrip_unicode(rest[1:])
    param, rest = _consume_token(rest)
    param = _to_lower(param)
    if param == "":
        return "", "", v
    rest = _lstrip_unicode(rest)
    if not rest.startswith("="):
        return "", "", v
    rest = _lstrip_unicode(rest[1:])
    value, rest2 = _consume_value(rest)
    if value == "" and rest2 == rest:
        return "", "", v
    return param, value, rest2


def _percent_hex_unescape(s: str) -> str:
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "%":
            h = s[i + 1:i + 3]
            if len(h) < 2 or any(c not in "0123456789abcdefABCDEF" for c in h):
                raise GoError("mime: bogus characters after %")
            out.append(int(h, 16))
            i += 3
        else:
            out += s[i].encode("utf-8")
            i += 1
    return out.decode("utf-8", "replace")


def _decode_2231_enc(v: str) -> str | None:
    sv = v.split("'", 2)
    if len(sv) != 3:
        return None
    charset = _to_lower(sv[0])
    if charset == "" or charset not in ("us-ascii", "utf-8"):
        return None
    try:
        return _percent_hex_unescape(sv[2])
    except GoError:
        return None


def parse_media_type(v: str) -> tuple[str, dict[str, str]]:
    """mime.ParseMediaType; ErrInvalidMediaParameter carries the media type."""
    base = v.split(";", 1)[0]
    mediatype = _trim_space(_to_lower(base))
    typ, rest = _consume_token(mediatype)
    if typ == "":
        raise GoError("mime: no media type")
    if rest != "":
        if not rest.startswith("/"):
            raise GoError("mime: expected slash after first token")
        sub, rest = _consume_token(rest[1:])
        if sub == "":
            raise GoError("mime: expected token after slash")
        if rest != "":
            raise GoError("mime: unexpected content after media subtype")
    params: dict[str, str] = {}
    continuation: dict[str, dict[str, str]] = {}
    v = v[len(base):]
    while len(v) > 0:
        v = _lstrip_unicode(v)
        if len(v) == 0:
            break
        key, value, rest = _consume_media_param(v)
        if key == "":
            if _trim_space(rest) == ";":
                break
            raise ErrInvalidMediaParameter(mediatype)
        pmap = params
        base_name, star, _ = key.partition("*")
        if star:
            pmap = continuation.setdefault(base_name, {})
        if key in pmap and pmap[key] != value:
            raise GoError("mime: duplicate parameter name")
        pmap[key] = value
        v = rest
    for key, piece_map in continuation.items():
        if key + "*" in piece_map:
            d = _decode_2231_enc(piece_map[key + "*"])
            if d is not None:
                params[key] = d
            continue
        buf = ""
        valid = False
        n = 0
        while True:
            simple = f"{key}*{n}"
            if simple in piece_map:
                valid = True
                buf += piece_map[simple]
                n += 1
                continue
            if simple + "*" not in piece_map:
                break
            valid = True
            enc = piece_map[simple + "*"]
            if n == 0:
                d = _decode_2231_enc(enc)
                if d is not None:
                    buf += d
            else:
                try:
                    buf += _percent_hex_unescape(enc)
                except GoError:
                    pass
            n += 1
        if valid:
            params[key] = buf
    return mediatype, params


def parse_query(query: bytes | str) -> list[tuple[bytes, bytes]]:
    """url.ParseQuery (src/net/url/url.go parseQuery, Go 1.17+): '&'-separated; a pair
    holding a ';' anywhere (``strings.Contains(key, ";")`` is tested before the pair is
    cut at '=') or with a bad escape is dropped."""
    if isinstance(query, str):
        query = query.encode("utf-8", "surrogateescape")
    out: list[tuple[bytes, bytes]] = []
    for chunk in query.split(b"&"):
        if not chunk:
            continue
        if b";" in chunk:
            continue
        key, _, value = chunk.partition(b"=")
        try:
            k, v = _query_unescape(key), _query_unescape(value)
        except GoError:
            continue
        out.append((k, v))
    return out


def _query_unescape(s: bytes) -> bytes:
    i = 0
    while i < len(s):
        if s[i:i + 1] == b"%":
            h = s[i + 1:i + 3]
            if len(h) < 2 or any(c not in b"0123456789abcdefABCDEF" for c in h):
                raise GoError("invalid URL escape")
            i += 3
        else:
            i += 1
    return unquote_to_bytes(s.replace(b"+", b" "))


def query_get(query: bytes | str, key: str) -> str:
    """``r.URL.Query().Get(key)`` (url.Values.Get): the first value of ``key``
    (case-sensitive), even an empty one; "" when absent."""
    want = key.encode()
    for k, v in parse_query(query):
        if k == want:
            return v.decode("utf-8", "replace")
    return ""


def form_values(values: list[tuple[bytes, bytes]], key: str) -> list[str]:
    k = key.encode()
    return [v.decode("utf-8", "replace") for kk, v in values if kk == k]


# --------------------------------------------------------------------------- multipart


@dataclass
class GoPart:
    header: dict[str, list[str]]
    data: bytes

    def get(self, key: str) -> str:
        vs = self.header.get(key)
        return vs[0] if vs else ""

    def _disp(self) -> tuple[str, dict[str, str]]:
        try:
            return parse_media_type(self.get("Content-Disposition"))
        except ErrInvalidMediaParameter as exc:
            return exc.mediatype, {}
        except GoError:
            return "", {}

    def form_name(self) -> str:
        d, p = self._disp()
        return p.get("name", "") if d == "form-data" else ""

    def file_name(self) -> str:
        fn = self._disp()[1].get("filename", "")
        return posixpath.basename(fn) if fn else ""


class MultipartReader:
    """multipart.NewReader over a fully received body; ``next_part`` is NextPart."""

    def __init__(self, body: bytes, boundary: str) -> None:
        b = ("\r\n--" + boundary + "--").encode("utf-8", "surrogateescape")
        self.buf = body
        self.pos = 0
        self.nl = b[:2]
        self.nl_dash_boundary = b[:len(b) - 2]
        self.dash_boundary_dash = b[2:]
        self.dash_boundary = b[2:len(b) - 2]
        self.parts_read = 0

    def _read_slice(self) -> tuple[bytes, bool]:
        """bufio.Reader.ReadSlice('\\n') with the 4096-byte buffer: (line, hit EOF)."""
        j = self.buf.find(b"\n", self.pos, self.pos + 4096)
        if j < 0:
            if len(self.buf) - self.pos >= 4096:
                raise GoError("multipart: NextPart: bufio: buffer full")
            line = self.buf[self.pos:]
            self.pos = len(self.buf)
            return line, True
        line = self.buf[self.pos:j + 1]
        self.pos = j + 1
        return line, False

    def _is_final_boundary(self, line: bytes) -> bool:
        if not line.startswith(self.dash_boundary_dash):
            return False
        rest = line[len(self.dash_boundary_dash):].lstrip(b" \t")
        return len(rest) == 0 or rest == self.nl

    def _is_boundary_delimiter_line(self, line: bytes) -> bool:
        if not line.startswith(self.dash_boundary):
            return False
        rest = line[len(self.dash_boundary):].lstrip(b" \t")
        if self.parts_read == 0 and rest == b"\n":
            self.nl = self.nl[1:]
            self.nl_dash_boundary = self.nl_dash_boundary[1:]
        return rest == self.nl

    def next_part(self) -> GoPart | None:
        if self.dash_boundary == b"--":
            raise GoError("multipart: boundary is empty")
        expect_new_part = False
        while True:
            line, eof = self._read_slice()
            if eof and self._is_final_boundary(line):
                return None
            if eof:
                raise GoError("multipart: NextPart: EOF")
            if self._is_boundary_delimiter_line(line):
                self.parts_read += 1
                return self._new_part()
            if self._is_final_boundary(line):
                return None
            if expect_new_part:
                raise GoError("multipart: expecting a new Part")
            if self.parts_read == 0:
                continue
            if line == self.nl:
                expect_new_part = True
                continue
            raise GoError("multipart: unexpected line in Next()")

    def _read_line(self) -> bytes:
        j = self.buf.find(b"\n", self.pos)
        if j < 0:
            raise GoError("unexpected EOF")
        line = self.buf[self.pos:j]
        self.pos = j + 1
        return line[:-1] if line.endswith(b"\r") else line

    def _read_mime_header(self) -> dict[str, list[str]]:
        m: dict[str, list[str]] = {}
        if self.buf[self.pos:self.pos + 1] in (b" ", b"\t"):
            raise GoError("malformed MIME header initial line")
        while True:
            kv = self._read_line().strip(b" \t")
            if len(kv) == 0:
                return m
            while self.buf[self.pos:self.pos + 1] in (b" ", b"\t"):
                kv = kv + b" " + self._read_line().strip(b" \t")
            if b":" not in kv:
                raise GoError("malformed MIME header line")
            k, v = kv.split(b":", 1)
            key = _canonical(k)
            for c in v:
                if not (c >= 0x80 or (c >= 0x20 and c != 0x7F) or c == 0x09):
                    raise GoError("malformed MIME header line")
            m.setdefault(key, []).append(v.lstrip(b" \t").decode("latin-1"))

    def _new_part(self) -> GoPart:
        header = self._read_mime_header()
        data = self._part_body()
        cte = header.get("Content-Transfer-Encoding", [""])[0]
        if cte.lower() == "quoted-printable":
            del header["Content-Transfer-Encoding"]
            data = qp_decode(data)
        return GoPart(header, data)

    def _part_body(self) -> bytes:
        """partReader.Read until io.EOF, scanUntilBoundary on the whole rest (readErr = EOF)."""
        buf = self.buf[self.pos:]
        total = 0
        out = bytearray()
        while True:
            n, done = self._scan(buf, total)
            out += buf[:n]
            total += n
            buf = buf[n:]
            if done:
                self.pos = len(self.buf) - len(buf)
                return bytes(out)
            if n == 0:
                raise GoError("multipart: unexpected EOF")

    def _scan(self, buf: bytes, total: int) -> tuple[int, bool]:
        if total == 0 and buf.startswith(self.dash_boundary):
            r = _match_after(buf, self.dash_boundary)
            if r == -1:
                return len(self.dash_boundary), False
            return 0, True
        i = buf.find(self.nl_dash_boundary)
        if i >= 0:
            r = _match_after(buf[i:], self.nl_dash_boundary)
            if r == -1:
                return i + len(self.nl_dash_boundary), False
            return i, True
        return len(buf), len(buf) == 0


def _match_after(buf: bytes, prefix: bytes) -> int:
    if len(buf) == len(prefix):
        return 1
    c = buf[len(prefix)]
    if c in b" \t\r\n":
        return 1
    if c == ord("-"):
        if len(buf) == len(prefix) + 1:
            return -1
        if buf[len(prefix) + 1] == ord("-"):
            return 1
    return -1


def _canonical(k: bytes) -> str:
    if not k:
        raise GoError("malformed MIME header line")
    for c in k:
        if not (0x21 <= c <= 0x7E) or chr(c) in '"(),/:;<=>?@[\\]{}':
            raise GoError("malformed MIME header line")
    s = k.decode()
    return "-".join(w[:1].upper() + w[1:].lower() for w in s.split("-"))


def qp_decode(data: bytes) -> bytes:
    """quotedprintable.NewReader(...).Read until EOF."""
    out = bytearray()
    lines = data.split(b"\n")
    for idx, piece in enumerate(lines):
        last = idx == len(lines) - 1
        if last and piece == b"":
            break
        whole = piece if last else piece + b"\n"
        line = whole.rstrip(b" \t\r\n")
        if line.endswith(b"="):
            right = whole[len(line):]
            line = line[:-1]
            if not (right.startswith(b"\n") or right.startswith(b"\r\n") or (right == b"" and line != b"" and last)):
                raise GoError("quotedprintable: invalid bytes after =")
        elif whole.endswith(b"\n"):
            line = line + (b"\r\n" if whole.endswith(b"\r\n") else b"\n")
        i = 0
        while i < len(line):
            b = line[i]
            if b == ord("="):
                h = line[i + 1:i + 3]
                ok = len(h) == 2 and all(c in b"0123456789ABCDEFabcdef" for c in h)
                if ok:
                    out.append(int(h, 16))
                    i += 3
                    continue
                if len(line) - i >= 2 and line[i + 1] not in (ord("\r"), ord("\n")):
                    out.append(b)
                    i += 1
                    continue
                raise GoError("quotedprintable: bad escape")
            if b in (9, 10, 13) or b >= 0x80:
                out.append(b)
            elif b < 0x20 or b > 0x7E:
                raise GoError("quotedprintable: invalid unescaped byte")
            else:
                out.append(b)
            i += 1
    return bytes(out)


def read_all_parts(body: bytes, boundary: str) -> list[GoPart]:
    r = MultipartReader(body, boundary)
    parts: list[GoPart] = []
    while True:
        p = r.next_part()
        if p is None:
            return parts
        parts.append(p)


# --------------------------------------------------------------------------- JSON


def _no_constants(name: str) -> Any:
    raise ValueError(name)


_MISSING: Any = object()


def fold_name(name: str) -> str:
    """src/encoding/json/fold.go foldName: ASCII letters upper-cased, every other rune
    replaced by the smallest rune of its simple-fold orbit.  Only two non-ASCII runes
    have an ASCII letter in their orbit (KELVIN SIGN: K k; LONG S: S s); the others
    are kept, which matches no ASCII field name either way."""
    return "".join(c.upper() if c.isascii() else {"\u212a": "K", "\u017f": "S"}.get(c, c) for c in name)


class GoObject(dict[str, Any]):
    """A decoded JSON object as a Go struct reads it (src/encoding/json/decode.go
    ``object``): a field is set by every key that is its name exactly or under
    ``fold_name``, in document order, so the **last** such key wins, duplicates and
    case variants alike; a ``null`` leaves a (non-pointer) field as it was.

    ``get`` / ``[]`` / ``in`` read that way (the handlers read struct fields); the
    dict itself (iteration, ``json.dumps``) keeps the keys as sent, as a Go
    ``map[string]any`` (props) does, exact duplicates last-wins."""

    pairs: list[tuple[str, Any]]

    def _field(self, name: str) -> Any:
        want = fold_name(name)
        value: Any = _MISSING
        for key, v in self.pairs:
            if key == name or fold_name(key) == want:
                if v is None and value is not _MISSING:
                    continue
                value = v
        return value

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        value = self._field(key)
        return default if value is _MISSING else value

    def __getitem__(self, key: str) -> Any:
        value = self._field(key)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._field(key) is not _MISSING


def pointer_field(obj: Any, name: str) -> tuple[bool, Any]:
    """A pointer or map struct field as src/encoding/json/decode.go fills it from
    ``obj`` (a ``GoObject``): every key that is ``name`` under ``fold_name``, in
    document order; ``null`` sets the pointer (or map) to nil, an object is decoded
    into the map an earlier one made (``d.object``: a non-nil map is reused, its
    keys added, the last of an exact duplicate winning), any other value is the
    value.  ``(False, None)``: nil (absent or null) - for ``model.PostPatch`` that
    is "leave this field as it is" (model/post.go ``Post.Patch``)."""
    want = fold_name(name)
    value: Any = None
    for key, v in getattr(obj, "pairs", None) or (obj.items() if isinstance(obj, dict) else ()):
        if not (key == name or fold_name(key) == want):
            continue
        if isinstance(v, dict) and isinstance(value, dict):
            value = {**value, **v}
        elif isinstance(v, dict):
            value = dict(v)
        else:
            value = v
    return value is not None, value


def _rune_string(s: str) -> str:
    """A decoded JSON string as Go holds it: decode.go unquoteBytes turns an escape
    of a lone UTF-16 surrogate into utf8.RuneError (U+FFFD); Python keeps it (a valid
    pair is joined by both)."""
    if s.isascii():
        return s
    return s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _go_object(pairs: list[tuple[str, Any]]) -> GoObject:
    pairs = [(_rune_string(k), _go_runes(v)) for k, v in pairs]
    obj = GoObject(pairs)
    obj.pairs = pairs
    return obj


def _go_runes(doc: Any) -> Any:
    # strings in arrays and a top-level string (objects are handled as they are made)
    if isinstance(doc, str):
        return _rune_string(doc)
    if isinstance(doc, list):
        return [_go_runes(v) for v in doc]
    return doc


def json_decode(body: bytes, *, unmarshal: bool = False, lenient: bool = False) -> Any:
    """encoding/json on ``body``: Decoder.Decode (``unmarshal=False``: the first value,
    the rest unread) or Unmarshal.  ``lenient``: raw control characters accepted in
    strings (what IncomingWebhookRequestFromJSON's retry comes to).  GoError if Go
    refuses."""
    text = body.decode("utf-8", "replace")
    if sys.getrecursionlimit() < GO_JSON_MAX_DEPTH + 500:
        sys.setrecursionlimit(GO_JSON_MAX_DEPTH + 500)
    dec = json.JSONDecoder(parse_constant=_no_constants, strict=not lenient, object_pairs_hook=_go_object)
    i = 0
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    try:
        doc, end = dec.raw_decode(text, i)
    except (ValueError, RecursionError) as exc:
        raise GoError(f"json: {exc}") from None
    if unmarshal and text[end:].strip(" \t\r\n"):
        raise GoError("json: invalid character after top-level value")
    return _go_runes(doc)


def strings_of(doc: Any) -> list[str]:
    """Every string, key and number of a decoded document (what could be stored)."""
    out: list[str] = []
    stack = [doc]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, bool) or v is None:
            continue
        elif isinstance(v, int | float):
            out.append(json.dumps(v))
        elif isinstance(v, dict):
            for k, x in v.items():
                out.append(k)
                stack.append(x)
        elif isinstance(v, list):
            stack.extend(v)
    return out


def _valid_cookie_value_byte(c: str) -> bool:
    # net/http/cookie.go validCookieValueByte
    return 0x20 <= ord(c) < 0x7F and c not in '";\\'


def request_cookie(lines: list[str], name: str) -> str | None:
    """``(*http.Request).Cookie(name)``: net/http/cookie.go readCookies over every
    Cookie header line in order (each split on ";", parts trimmed by
    textproto.TrimString, then the name before "=" trimmed the same way, a part
    without "=" has an empty value, the name must be a
    valid token, the value passes parseCookieValue with quotes allowed); the first
    cookie of that name, or None (http.ErrNoCookie)."""
    for line in lines:
        for part in line.split(";"):
            part = part.strip(" \t\r\n")
            if not part:
                continue
            key, _, val = part.partition("=")
            key = key.strip(" \t\r\n")  # name = textproto.TrimString(name)
            if key != name or not key or not all(_token_char(c) for c in key):
                continue
            if len(val) > 1 and val.startswith('"') and val.endswith('"'):
                val = val[1:-1]
            if all(_valid_cookie_value_byte(c) for c in val):
                return val
    return None


def auth_token(cookie_lines: list[str], authorization: str, query: bytes | str) -> tuple[str, str]:
    """app/authentication.go ParseAuthTokenFromRequest: (token, location), the location
    ``"cookie"``, ``"header"``, ``"query"`` or ``""`` (none).  The cookie wins even when
    empty; ``Authorization`` is the first header's value (Header.Get); "BEARER" compared
    upper-cased on h[0:6] and the token h[7:]; "token" lower-cased on h[0:5] and the token
    h[6:]; then access_token, the first."""
    cookie = request_cookie(cookie_lines, "MMAUTHTOKEN")
    if cookie is not None:
        return cookie, "cookie"
    h = authorization
    if len(h) > 6 and h[0:6].upper() == "BEARER":
        return h[7:], "header"
    if len(h) > 5 and h[0:5].lower() == "token":
        return h[6:], "header"
    token = query_get(query, "access_token")
    return token, "query" if token else ""


def path_clean(p: str) -> str:
    """Go's ``path.Clean`` (lexical): ``//`` collapsed, ``.`` dropped, ``..`` resolved
    (never above the root), ``""`` is ``"."``."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(seg)
    cleaned = "/".join(out)
    return "/" + cleaned if rooted else (cleaned or ".")


def mux_clean_path(p: str) -> str:
    """gorilla/mux ``cleanPath`` (mux.go): ``path.Clean`` on a rooted path with its
    trailing slash kept.  ``Router.ServeHTTP`` answers 301 to it, and runs no
    handler, when it differs from the request's (decoded) path."""
    if p == "":
        return "/"
    if not p.startswith("/"):
        p = "/" + p
    np = path_clean(p)
    if p.endswith("/") and np != "/":
        np += "/"
    return np
