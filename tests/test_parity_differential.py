"""Differential tests: the gateway against a Mattermost-parsing oracle.

The oracle (tests/parity_oracle.py) reads a request the way Mattermost's handler
for its route does, with Go semantics (the simulator's independent port of Go's
readers).  Hypothesis generates hostile requests: content types and their
spellings, Content-Encoding, multipart shapes (preamble, epilogue, transfer
encodings, LF lines, padding after boundaries), JSON nesting, escapes, duplicate
and case-variant keys, trailing data, forms vs JSON.  The invariant, for every
one: **whenever the oracle's reading contains an identifier the detector finds in
plain text, the gateway does not forward the request.**

The gateway runs in-process (``Pipeline.handle``) with the real detector, the
real file extractor (in-process, no worker pool) and a policy that blocks any
SSN or card; the end-to-end versions of each class are in test_parity_e2e.py.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import io
import os
import quopri
import sys
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.pipeline import GatewayConfig, GatewayRequest, Pipeline, decode_and_extract
from dlp_proxy.model import Action
from dlp_proxy.policy.testing import CARD, SSN, policy_from
from tests import parity_oracle as oracle

POLICY = """
schema: 1
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN, CREDIT_CARD]}
"""
ENTITIES = ["US_SSN", "CREDIT_CARD"]
CHANNEL = "y7kk5cjibi194smnz58ymwypmh"
#: DLP_PARITY_EXAMPLES raises it for a longer hunt (the default run takes about a minute)
EXAMPLES = int(os.environ.get("DLP_PARITY_EXAMPLES", "400"))

# encoding/json reads up to 10000 levels; the oracle's decoder must too (gohttp.json_decode)
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10500))


class _Archive:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def append(self, record: dict[str, Any]) -> str:
        self.records.append(record)
        return f"r{len(self.records)}"


class _InProcessFiles:
    """FileScanner's interface, run in this process: the real extractor and detector."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector

    async def scan(self, data: bytes, filename: str, entities: Any, timeout: float) -> Any:
        from dlp_proxy.files import Limits, extract

        extraction = extract(data, filename=filename, limits=Limits(max_seconds=30))
        return extraction, [list(self.detector.analyze(s.text, entities=entities)) for s in extraction.segments]

    async def extract_body(self, *args: Any, timeout: float) -> Any:
        return decode_and_extract(*args)


_STATE: dict[str, Any] = {}


def _detector() -> Any:
    if "detector" not in _STATE:
        from dlp_proxy.detect import build_detector

        _STATE["detector"] = build_detector(None, ner=False)
    return _STATE["detector"]


def _pipeline() -> Pipeline:
    detector = _detector()
    policy = policy_from(POLICY)
    return Pipeline(detector=detector, policy=lambda: policy, archive=_Archive(), context=None,  # type: ignore[arg-type]
                    quarantine=None, hash_key=b"k" * 32,
                    config=GatewayConfig(incomplete_file_action=Action.BLOCK, inline_scan_chars=0),
                    file_scanner=_InProcessFiles(detector))


def detector_finds(reading: oracle.Reading) -> bool:
    # (whether an identifier is in the readings: the TeX check, which refuses rendered
    # Markdown it cannot read, is the gateway's and is asked of its own items)
    return any(f.score >= 0.5 for t in reading.all_texts() if t
               for f in _detector().analyze(t, entities=ENTITIES, rendered=False))


def gateway_forwards(method: str, target: str, headers: dict[str, str], body: bytes) -> bool:
    req = GatewayRequest(method=method, target=target, headers={k.lower(): v for k, v in headers.items()}, body=body)
    try:
        verdict = asyncio.run(_pipeline().handle(req))
    except Exception:  # the addon answers 503 to any exception: not forwarded
        return False
    return verdict.forward


# --------------------------------------------------------------------------- strategies

SECRET_TEXTS = st.sampled_from([f"client ssn {SSN}", f"SSN: {SSN.replace('-', '')}", f"card {CARD}",
                                f"please update ssn {SSN} today"])


def _json_escape_digits(s: str, how: str) -> str:
    """A JSON string literal for ``s``: digits as \\uXXXX escapes ('all'), some, or none."""
    out = []
    for i, c in enumerate(s):
        if c.isdigit() and (how == "all" or (how == "some" and i % 2 == 0)):
            out.append(f"\\u{ord(c):04x}")
        elif c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


@st.composite
def json_documents(draw: st.DrawFn, text: str) -> bytes:
    """A JSON document carrying ``text`` (hostile spellings) as Mattermost decodes it."""
    lit = _json_escape_digits(text, draw(st.sampled_from(["none", "some", "all"])))
    depth = draw(st.sampled_from([0, 0, 1, 5, 40, 70, 200, 2000]))
    key = draw(st.sampled_from(["message", "Message", "MESSAGE", "text", "props"]))
    value = lit
    for _ in range(depth):
        value = '{"a":' + value + "}"
    parts = [f'"channel_id":"{CHANNEL}"', f'"{key}":{value}']
    if draw(st.booleans()):
        parts.append(f'"{key}":"clean"')  # duplicate key: Go keeps the last one
    if draw(st.booleans()):
        parts.reverse()
    doc = "{" + ",".join(parts) + "}"
    doc = draw(st.sampled_from(["", " ", "\r\n\t"])) + doc
    tail = draw(st.sampled_from(["", "", "\n", " garbage", "\r\n--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n--b--\r\n"]))
    return (doc + tail).encode()


def _encode_part(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


@st.composite
def multipart_bodies(draw: st.DrawFn, fields: list[tuple[str, str | None, bytes]]) -> tuple[str, bytes]:
    """(boundary, body) of a hostile multipart/form-data body carrying ``fields``."""
    boundary = draw(st.sampled_from(["b", "XyZ", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a b"]))
    nl = draw(st.sampled_from([b"\r\n", b"\r\n", b"\n"]))
    pad = draw(st.sampled_from([b"", b"", b" ", b"\t "]))
    bb = boundary.encode()
    out = draw(st.sampled_from([b"", b"", b"preamble text" + nl, b'{"text":"in the preamble"}' + nl]))
    for name, filename, data in fields:
        cte = draw(st.sampled_from(["", "", "7bit", "base64", "quoted-printable", "BASE64", "binary"]))
        decoy = draw(st.booleans()) and cte.lower() == "base64"
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += b"--" + bb + pad + nl + f"Content-Disposition: {disp}".encode() + nl
        if cte:
            out += f"Content-Transfer-Encoding: {cte}".encode() + nl
        encoded = _encode_part(data, cte.lower()) if not decoy else base64.encodebytes(b"decoy") + data
        out += nl + encoded.rstrip(b"\n") + nl
    out += b"--" + bb + b"--" + pad + nl
    out += draw(st.sampled_from([b"", b"", b"epilogue", nl]))
    return boundary, out


CTYPE_LABELS = ["application/json", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8",
                "application/x-www-form-urlencoded;charset=utf-8", "APPLICATION/X-WWW-FORM-URLENCODED",
                "application/x-www-form-urlencoded ; x", "application/x-www-form-urlencoded; a=1; a=2", "text/plain", "", "multipart/form-data; boundary=b",
                "multipart/form-data-x; boundary=b", "multipart/form-data; boundary=b; boundary=c", "application/octet-stream"]


def _check(method: str, target: str, headers: dict[str, str], body: bytes, reading: oracle.Reading) -> None:
    if detector_finds(reading):
        assert not gateway_forwards(method, target, headers, body), (method, target, headers, body[:400])


# --------------------------------------------------------------------------- properties


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_json_routes(data: st.DataObject) -> None:
    """Classes 1, 2, 3 and 5 on JSON routes (api4/post.go createPost & co.)."""
    text = data.draw(SECRET_TEXTS)
    body = data.draw(json_documents(text))
    ctype = data.draw(st.sampled_from(CTYPE_LABELS))
    headers = {"Content-Type": ctype} if ctype else {}
    if data.draw(st.booleans()):
        if data.draw(st.booleans()):
            body = data.draw(st.sampled_from([gzip.compress, _gzip_comment]))(body)
        headers["Content-Encoding"] = data.draw(st.sampled_from(["gzip", "identity", "GZIP, identity"]))
    route = data.draw(st.sampled_from([("POST", "/api/v4/posts"), ("PUT", f"/api/v4/posts/{CHANNEL}/patch"),
                                       ("POST", "/api/v4/drafts"), ("POST", "/api/v4/remotecluster/msg")]))
    _check(*route, headers, body, oracle.json_route(body))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_incoming_webhooks_under_both_versions(data: st.DataObject) -> None:
    """Class 1 (form vs JSON across versions), 2 (preamble), 3 (nesting), 4 (base64
    parts) on web/webhook.go incomingWebhook, newer and older Content-Type tests."""
    text = data.draw(SECRET_TEXTS)
    doc = data.draw(json_documents(text))
    shape = data.draw(st.sampled_from(["json", "form", "multipart", "query"]))
    query = ""
    if shape == "json":
        body = doc
    elif shape == "form":
        body = b"payload=" + data.draw(st.sampled_from([doc.replace(b"%", b"%25").replace(b"&", b"%26").replace(b"+", b"%2B"),
                                                         doc.replace(b" ", b"+").replace(b"&", b"%26")]))
    elif shape == "query":
        body = data.draw(st.sampled_from([b"", b"x=1", doc]))
        query = "payload=" + doc.decode("utf-8", "replace").replace("%", "%25").replace("&", "%26").replace("#", "%23").replace(" ", "%20")
    else:
        boundary, body = data.draw(multipart_bodies([("text", None, text.encode()), ("username", None, b"bot")]))
    ctype = data.draw(st.sampled_from(CTYPE_LABELS + (["multipart/form-data; boundary=\"" + boundary + "\""]
                                                      if shape == "multipart" else [])))
    headers = {"Content-Type": ctype} if ctype else {}
    reading = oracle.Reading()
    for rule in ("mime", "split"):
        r = oracle.incoming_webhook(body, ctype, query, rule)
        reading.texts += r.texts
    _check("POST", "/hooks/abcdefghijklmnopqrstuvwxyz" + ("?" + query if query else ""), headers, body, reading)


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_command_webhooks(data: st.DataObject) -> None:
    text = data.draw(SECRET_TEXTS)
    body = data.draw(st.sampled_from([text.encode(), data.draw(json_documents(text))]))
    ctype = data.draw(st.sampled_from(CTYPE_LABELS))
    _check("POST", "/hooks/commands/abcdefghijklmnopqrstuvwxyz", {"Content-Type": ctype} if ctype else {}, body,
           oracle.command_webhook(body, ctype))


def _zip(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(name, data)
    return buf.getvalue()


def _gzip_comment(data: bytes) -> bytes:
    """A gzip stream of a decoy, ``data`` riding in the header's FCOMMENT field."""
    member = bytearray(gzip.compress(b"nothing to see"))
    member[3] |= 0x10
    return bytes(member[:10]) + data.replace(b"\0", b" ") + b"\0" + bytes(member[10:])


FILE_MAKERS: list[Callable[[bytes], bytes]] = [lambda d: d, gzip.compress, lambda d: _zip("clients.csv", d), _gzip_comment]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_file_uploads(data: st.DataObject) -> None:
    """Classes 2, 4 and 5 on api4/file.go uploadFileStream: multipart parts as Go
    hands them over (base64 raw, QP decoded, preamble skipped), raw bodies, encodings."""
    text = data.draw(SECRET_TEXTS)
    content = data.draw(st.sampled_from(FILE_MAKERS))(("name,note\njane," + text + "\n").encode())
    if data.draw(st.booleans()):
        boundary, body = data.draw(multipart_bodies([("channel_id", None, CHANNEL.encode()),
                                                     ("files", "clients.csv", content)]))
        ctype = data.draw(st.sampled_from([f"multipart/form-data; boundary=\"{boundary}\"",
                                           f"Multipart/Form-Data; boundary=\"{boundary}\"; charset=utf-8",
                                           f"multipart/form-data; boundary*=utf-8''{boundary.replace(' ', '%20')}",
                                           f"multipart/form-data; boundary=\"{boundary}\"; boundary=other"]))
        target = "/api/v4/files"
    else:
        body, ctype = content, data.draw(st.sampled_from(["application/octet-stream", "", "text/csv",
                                                           "application/x-www-form-urlencoded"]))
        target = f"/api/v4/files?channel_id={CHANNEL}&filename=clients.csv"
    headers = {"Content-Type": ctype} if ctype else {}
    if data.draw(st.booleans()):
        headers["Content-Encoding"] = "gzip"
        body = data.draw(st.sampled_from([gzip.compress, _gzip_comment]))(body)
    _check("POST", target, headers, body, oracle.files_upload(body, ctype, target.partition("?")[2]))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_undescribed_write_routes(data: st.DataObject) -> None:
    """Class 9: a body on a route missing from the table (a plugin's upload, an
    internal route) is typed by its content: archives and compressed streams are opened."""
    text = data.draw(SECRET_TEXTS)
    raw = ("name,note\njane," + text + "\n").encode()
    shape = data.draw(st.sampled_from(["file", "json", "multipart", "form"]))
    if shape == "file":
        body = data.draw(st.sampled_from(FILE_MAKERS))(raw)
        ctype = data.draw(st.sampled_from(["application/octet-stream", "", "application/json", "text/plain"]))
    elif shape == "json":
        body = data.draw(json_documents(text))
        ctype = data.draw(st.sampled_from(CTYPE_LABELS))
    elif shape == "form":
        body = b"note=" + raw.replace(b"\n", b"%0A").replace(b" ", b"+")
        ctype = "application/x-www-form-urlencoded"
    else:
        boundary, body = data.draw(multipart_bodies([("file", "x.bin", data.draw(st.sampled_from(FILE_MAKERS))(raw))]))
        ctype = f"multipart/form-data; boundary=\"{boundary}\""
    headers = {"Content-Type": ctype} if ctype else {}
    if data.draw(st.booleans()):
        headers["Content-Encoding"] = "gzip"
        body = gzip.compress(body)
    path = data.draw(st.sampled_from(["/plugins/com.example.files/api/v1/upload", "/api/v4/some/new/route",
                                      "/plugins/playbooks/api/v0/runs"]))
    _check("POST", path, headers, body, oracle.plugin_route(body, ctype, headers.get("Content-Encoding", "")))


#: a text wrapped so that it looks like something else to a reader that picks one
#: reading by the first bytes: a UTF-16 byte-order mark before ASCII, an RTF whose
#: ``\\*\\datastore`` group an RTF reader skips, an e-mail with the text in its MIME
#: preamble, a GIF with the text after its trailer, a PDF header (atk16p F7, F8)
DISGUISES: list[Callable[[bytes], bytes]] = [
    lambda t: b"\xff\xfe" + t,
    lambda t: b"\xfe\xff" + t,
    lambda t: b"\xef\xbb\xbf" + t,
    lambda t: b"{\\rtf1\\ansi hello {\\*\\datastore " + t + b"}}",
    lambda t: (b"From: ops@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n"
               + t + b"\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BB--\r\n"),
    lambda t: base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7") + b"\n" + t,
    lambda t: b"%PDF-1.4\n" + t + b"\n%%EOF\n",
]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_text_that_looks_like_a_document_is_read_as_text_too(data: st.DataObject) -> None:
    """A text body or value that starts like a document (or with a byte-order mark) is
    read as text as Go reads it (``string(b)``: bytes as they are) *and* as what it
    looks like, never only as one: on a plugin or unknown route (the plugin's ServeHTTP
    gets the raw bytes) and in an incoming webhook's multipart value (posted verbatim)."""
    text = data.draw(SECRET_TEXTS).encode()
    wrapped = data.draw(st.sampled_from(DISGUISES))(text)
    where = data.draw(st.sampled_from(["plugin", "webhook-multipart", "command-response"]))
    if where == "plugin":
        ctype = data.draw(st.sampled_from(["text/plain", "", "application/octet-stream", "application/json"]))
        headers = {"Content-Type": ctype} if ctype else {}
        path = data.draw(st.sampled_from(["/plugins/com.example.notes/api/v1/note", "/api/v4/some/new/route",
                                          "/plugins/playbooks/api/v0/runs"]))
        _check("POST", path, headers, wrapped, oracle.plugin_route(wrapped, ctype, ""))
    elif where == "webhook-multipart":
        boundary, body = data.draw(multipart_bodies([("text", None, wrapped), ("username", None, b"bot")]))
        ctype = f"multipart/form-data; boundary=\"{boundary}\""
        reading = oracle.incoming_webhook(body, ctype, "", "mime")
        _check("POST", "/hooks/abcdefghijklmnopqrstuvwxyz", {"Content-Type": ctype}, body, reading)
    else:
        ctype = data.draw(st.sampled_from(["text/plain", ""]))
        _check("POST", "/hooks/commands/abcdefghijklmnopqrstuvwxyz", {"Content-Type": ctype} if ctype else {},
               wrapped, oracle.command_webhook(wrapped, ctype))


#: reads whose query Mattermost hands to a plugin or an integration (routes.QUERY_ROUTES)
QUERY_PATHS = ["/plugins/com.mattermost.plugin-todo/add", "/plugins/playbooks/api/v0/runs",
               f"/api/v4/teams/{CHANNEL}/commands/autocomplete_suggestions"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_query_handed_to_a_plugin_is_read(data: st.DataObject) -> None:
    """A body-less GET (HEAD, OPTIONS) whose query a plugin's ServeHTTP or a command's
    dynamic-list FetchURL gets: whatever ``url.ParseQuery`` reads from it is judged."""
    from urllib.parse import quote, quote_plus

    text = data.draw(SECRET_TEXTS)
    name = data.draw(st.sampled_from(["message", "user_input", "q", "text", "ssn"]))
    value = data.draw(st.sampled_from([quote(text), quote_plus(text), quote(text, safe=""),
                                       "".join(f"%{b:02X}" for b in text.encode())]))
    extras = data.draw(st.lists(st.sampled_from(["page=0", "per_page=60", f"channel_id={CHANNEL}", "a=b"]),
                                max_size=3))
    pairs = [*extras, f"{name}={value}"]
    query = "&".join(data.draw(st.permutations(pairs)))
    method = data.draw(st.sampled_from(["GET", "GET", "HEAD", "OPTIONS"]))
    path = data.draw(st.sampled_from(QUERY_PATHS))
    _check(method, f"{path}?{query}", {}, b"", oracle.plugin_query(query))


#: reads whose query value Mattermost sends to another host (routes.EGRESS_QUERY_ROUTES):
#: (path, the name the handler reads)
EGRESS_READS = [("/api/v4/redirect_location", "url"), ("/api/v4/image", "url"), ("/oauth/authorize", "state"),
                ("/oauth/authorize", "redirect_uri"), ("/oauth/gitlab/login", "redirect_to"),
                ("/oauth/gitlab/login", "login_hint"), ("/login/sso/saml", "redirect_to"),
                ("/api/v4/system/ping", "device_id"), ("/api/v4/plugins/marketplace", "filter")]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_query_sent_to_another_host_is_read(data: st.DataObject) -> None:
    """A body-less GET whose query value Mattermost fetches or redirects to: whatever
    that host reads of it (``oracle.egress_query``) is judged, however the URL holds it."""
    from urllib.parse import quote, quote_plus

    text = data.draw(SECRET_TEXTS)
    slug = data.draw(st.sampled_from([quote(text, safe=""), quote_plus(text), text.replace(" ", "-"),
                                      "/".join(text.split())]))
    url = data.draw(st.sampled_from([f"https://evil.example/{slug}", f"https://evil.example/a?q={slug}",
                                     f"https://{slug.replace('/', '.').replace('%', '')}.evil.example/",
                                     f"/team/pl/{slug}", slug]))
    value = data.draw(st.sampled_from([quote(url, safe=""), quote(quote(url, safe=""), safe=""), quote_plus(url),
                                       "".join(f"%{b:02X}" for b in url.encode())]))
    path, name = data.draw(st.sampled_from(EGRESS_READS))
    extras = data.draw(st.lists(st.sampled_from(["response_type=code", "client_id=abcdefghijkmnopqrstuvwxyz0",
                                                 "action=login", "a=b"]), max_size=2))
    query = "&".join(data.draw(st.permutations([*extras, f"{name}={value}"])))
    method = data.draw(st.sampled_from(["GET", "GET", "HEAD"]))
    _check(method, f"{path}?{query}", {}, b"", oracle.egress_query(query, name))


#: where a header rides: a header the gateway controls, one Mattermost stores, a custom one
HEADER_NAMES = ["User-Agent", "X-Forwarded-For", "X-Real-IP", "Referer", "X-Request-ID", "X-Client-Ref", "X-SSN",
                "Authorization", "Cookie", "Host", "Content-Type", "Accept-Language", "Origin", "x-forwarded-for"]
HEADER_ROUTES = [("plugin", "POST", "/plugins/com.example.crm/api/records", b'{"x": 1}'),
                 ("plugin", "DELETE", "/api/v4/some/new/route", b""),
                 ("plugin", "PUT", "/plugins/playbooks/api/v0/runs/x", b"{}"),
                 ("core", "POST", "/api/v4/posts", b'{"channel_id": "' + CHANNEL.encode() + b'", "message": "hi"}'),
                 ("core", "POST", "/api/v4/users/login", b'{"login_id": "a", "password": "b"}'),
                 # reads that write audit records (api4/file.go getFile, getFileLink; atk21p F4)
                 ("core", "GET", "/api/v4/files/abcdefghijkmnopqrstuvwxyz0", b""),
                 ("core", "GET", "/api/v4/files/abcdefghijkmnopqrstuvwxyz0/link", b"")]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_request_headers(data: st.DataObject) -> None:
    """Issue 14 "What it must do" 5: header values a handler reads (a plugin's or an
    unknown route's: any; Mattermost's: User-Agent, X-Forwarded-For) are judged, plain,
    percent-encoded or base64, whatever the header."""
    text = data.draw(SECRET_TEXTS)
    how = data.draw(st.sampled_from(["plain", "percent", "base64", "in-list"]))
    value = {"plain": text, "percent": "".join(f"%{b:02X}" if not chr(b).isalpha() else chr(b) for b in text.encode()),
             "base64": base64.b64encode(text.encode()).decode(), "in-list": f"{text}, 10.0.0.1"}[how]
    name = data.draw(st.sampled_from(HEADER_NAMES))
    kind, method, target, body = data.draw(st.sampled_from(HEADER_ROUTES))
    headers = {"Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.6099.109",
               name: value}
    _check(method, target, headers, body, oracle.request_headers(kind, headers))


# --------------------------------------------------------------------------- the oracle itself


def test_oracle_reads_what_mattermost_reads() -> None:
    """Sanity of the oracle on cases whose Go reading is known from the source."""
    # JSON routes ignore the Content-Type, decode escapes, read the first value only
    assert "5" in oracle.json_route(b'{"message":"\\u0035"} trailing').texts
    # newer webhook handler: "application/x-www-form-urlencoded;charset=utf-8" is a form
    body = b'payload={"text":"hi"}'
    assert oracle.incoming_webhook(body, "application/x-www-form-urlencoded;charset=utf-8", "", "mime").texts == ["text", "hi"]
    # older one: not a form by strings.Split(ct, "; "), and ParseForm already read the body
    assert oracle.incoming_webhook(body, "application/x-www-form-urlencoded;charset=utf-8", "", "split").texts == []
    # a base64 part is stored as sent (mime/multipart decodes quoted-printable only)
    mp = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
          b"aGk=\r\n--b--\r\n")
    assert oracle.files_upload(mp, "multipart/form-data; boundary=b", "").files == [b"aGk="]


@pytest.mark.parametrize("text", [f"client ssn {SSN}", f"card {CARD}"])
def test_every_secret_text_is_found_by_the_detector(text: str) -> None:
    assert detector_finds(oracle.Reading(texts=[text]))


def test_gzip_text_outside_the_compressed_stream_is_read() -> None:
    """Mattermost stores a .gz file as sent: text in its header's comment or after its
    last member is in the stored file though gunzip skips it (class 5)."""
    from dlp_proxy.files import extract

    secret = f"jane roe ssn {SSN}".encode()
    for data in (_gzip_comment(secret), gzip.compress(b"nothing to see") + secret):
        texts = [s.text for s in extract(data, filename="x.gz").segments]
        assert any(SSN in t for t in texts), texts


# --------------------------------------------------------------------------- where it lands (findings 6, 8)
#
# The invariants above hold under a policy that blocks every identifier anywhere.
# Reading the wrong *channel* (or not reading a request at all because of its
# method) leaks under a policy where the channel matters: identifiers blocked in a
# public channel, recorded (forwarded) in a private one.  The oracle says which
# channel Go stores the request in (simulator/gohttp.py: GoObject for JSON struct
# fields, query_get for url.Values.Get); whenever that is not the private channel and
# the oracle's reading holds an identifier, the gateway must not forward it.

from dlp_proxy.gateway.context import ChannelInfo, UserInfo  # noqa: E402
from dlp_proxy.model import ChannelType  # noqa: E402
from dlp_proxy.simulator import gohttp  # noqa: E402

PUBLIC, PRIVATE = CHANNEL, "fi6g55gu8w4oq8szb9u547ec4c"
POST_IN_PUBLIC = "p" * 26
CHANNEL_POLICY = """
schema: 1
defaults: {on_context_error: block}
rules:
  - id: npi-open
    action: block
    match: {entities: [US_SSN, CREDIT_CARD]}
    unless: {channel_types: [private]}
  - id: npi-private
    action: monitor
    match: {entities: [US_SSN, CREDIT_CARD]}
    scope: {channel_types: [private]}
"""


class _Context:
    """ContextResolver's interface: a public and a private channel, one post in the public one."""

    terms_of = None

    def user_cached(self, token: str) -> bool:
        return True

    async def user(self, token: str) -> UserInfo:
        return UserInfo("u" * 26, "alice", ("system_user",), False)

    async def channel(self, channel_id: str, token: str | None) -> ChannelInfo | None:
        types = {PUBLIC: ChannelType.OPEN, PRIVATE: ChannelType.PRIVATE}
        if channel_id not in types:
            return None
        return ChannelInfo(channel_id, "c", types[channel_id], "t" * 26, False)

    async def post_channel_id(self, post_id: str, token: str | None) -> str | None:
        return PUBLIC if post_id == POST_IN_PUBLIC else None

    async def team_name(self, team_id: str, token: str | None) -> str | None:
        return None

    async def groups(self, user_id: str, token: str) -> tuple[str, ...]:
        return ()

    async def forget_channel(self, channel_id: str) -> None:
        return None


def _channel_pipeline() -> Pipeline:
    detector = _detector()
    policy = policy_from(CHANNEL_POLICY)
    return Pipeline(detector=detector, policy=lambda: policy, archive=_Archive(), context=_Context(),  # type: ignore[arg-type]
                    quarantine=None, hash_key=b"k" * 32,
                    config=GatewayConfig(incomplete_file_action=Action.BLOCK, inline_scan_chars=0),
                    file_scanner=_InProcessFiles(detector))


def _forwards_by_channel(method: str, target: str, headers: dict[str, str], body: bytes) -> bool:
    headers = {"authorization": "Bearer " + "t" * 26, **{k.lower(): v for k, v in headers.items()}}
    try:
        verdict = asyncio.run(_channel_pipeline().handle(GatewayRequest(method, target, headers, body)))
    except Exception:
        return False
    return verdict.forward


CHANNEL_KEYS = ["channel_id", "CHANNEL_ID", "Channel_Id", "channel_ID", "cHaNnEl_iD",
                "channel_\u0130d", "channel_id ", "channelid", "channel_ıd"]
CHANNEL_VALUES = [PUBLIC, PRIVATE, None, "", 5, "not-an-id"]


@st.composite
def channel_json(draw: st.DrawFn, text: str) -> bytes:
    """A JSON object whose channel is named by several keys: duplicates, case variants,
    spellings Go does not fold onto channel_id, nulls, wrong types, in any order."""
    pairs = [(draw(st.sampled_from(CHANNEL_KEYS)), draw(st.sampled_from(CHANNEL_VALUES)))
             for _ in range(draw(st.integers(1, 4)))]
    pairs.append((draw(st.sampled_from(["message", "Message", "MESSAGE"])), text))
    pairs = draw(st.permutations(pairs))
    import json as _json

    return ("{" + ", ".join(f"{_json.dumps(k)}: {_json.dumps(v)}" for k, v in pairs) + "}").encode()


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_json_channel_is_the_one_go_stores_in(data: st.DataObject) -> None:
    """Finding 6: encoding/json matches struct fields case-insensitively (fold.go) and the
    last key wins; a null leaves the field, a wrong type fails the decode (400)."""
    text = data.draw(SECRET_TEXTS)
    body = data.draw(channel_json(text))
    route = data.draw(st.sampled_from([("POST", "/api/v4/posts"), ("POST", "/api/v4/drafts"),
                                       ("POST", "/api/v4/posts/schedule")]))
    doc = gohttp.json_decode(body)
    stored_in = doc.get("channel_id")
    values = [v for k, v in doc.pairs if gohttp.fold_name(k) == gohttp.fold_name("channel_id")]
    if any(v is not None and not isinstance(v, str) for v in values):
        return  # UnmarshalTypeError: Mattermost answers 400, stores nothing
    if stored_in != PRIVATE and detector_finds(oracle.json_route(body)):
        assert not _forwards_by_channel(*route, {"Content-Type": "application/json"}, body), body


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_an_edit_is_judged_in_the_stored_posts_channel(data: st.DataObject) -> None:
    """Finding 6: api4/post.go updatePost/patchPost edit the stored post: its channel,
    never the body's, decides."""
    text = data.draw(SECRET_TEXTS)
    body = data.draw(channel_json(text))
    path = data.draw(st.sampled_from([f"/api/v4/posts/{POST_IN_PUBLIC}", f"/api/v4/posts/{POST_IN_PUBLIC}/patch"]))
    if detector_finds(oracle.json_route(body)):
        assert not _forwards_by_channel("PUT", path, {}, body), body


QUERY_KEYS = ["channel_id", "Channel_Id", "CHANNEL_ID", "channel_id;x", "channel%5Fid", "channel_id%zz", "channel+id"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_query_channel_is_the_one_go_reads(data: st.DataObject) -> None:
    """Finding 6: ``r.URL.Query().Get("channel_id")`` (api4/file.go uploadFileSimple): Go's
    ParseQuery (';' pairs and bad escapes dropped), case-sensitive, the first value."""
    text = data.draw(SECRET_TEXTS)
    raw = ("name,note\njane," + text + "\n").encode()
    pairs = [f"{data.draw(st.sampled_from(QUERY_KEYS))}={data.draw(st.sampled_from([PUBLIC, PRIVATE, '']))}"
             for _ in range(data.draw(st.integers(1, 4)))]
    pairs.append("filename=clients.csv")
    query = "&".join(data.draw(st.permutations(pairs)))
    stored_in = gohttp.query_get(query, "channel_id")
    reading = oracle.files_upload(raw, "text/csv", query)
    if stored_in and stored_in != PRIVATE and any(
            detector_finds(oracle.Reading(texts=oracle.file_texts(f))) for f in reading.files):
        assert not _forwards_by_channel("POST", f"/api/v4/files?{query}", {"Content-Type": "text/csv"}, raw), query


METHODS = ["DELETE", "PROPFIND", "REPORT", "MKCOL", "FROB", "GET", "HEAD", "OPTIONS", "post", "Put", "PATCH", "TRACE"]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_every_method_that_carries_a_body_is_judged(data: st.DataObject) -> None:
    """Finding 8: a plugin's ServeHTTP (app/plugin_requests.go) reads the request whatever
    its method; so may a handler Mattermost adds tomorrow.  Any method with a body."""
    text = data.draw(SECRET_TEXTS)
    body = data.draw(json_documents(text))
    ctype = data.draw(st.sampled_from(CTYPE_LABELS))
    method = data.draw(st.sampled_from(METHODS))
    path = data.draw(st.sampled_from(["/plugins/com.example.notes/api/v1/notes", "/plugins/playbooks/api/v0/runs/x",
                                      "/api/v4/posts/" + CHANNEL, "/api/v4/users/me/typing",
                                      "/api/v4/channels/members/me/view", "/api/v4/users/ids"]))
    headers = {"Content-Type": ctype} if ctype else {}
    _check(method, path, headers, body, oracle.plugin_route(body, ctype, ""))
