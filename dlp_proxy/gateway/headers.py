"""Request headers as Mattermost and its plugins read them: which are judged as text.

A header value reaches Mattermost as the client wrote it, and some are stored:

- ``User-Agent``: web/handlers.go ``Handler.ServeHTTP`` puts ``r.UserAgent()`` in the
  request context (``request.NewContext``), which web/context.go ``MakeAuditRecord``
  writes into every audit record (``Actor.Client``); app/login.go ``DoLogin`` stores
  the browser's name and version read from it in the session's props (the version is
  the text after ``Mattermost/``: app/user_agent.go ``getBrowserVersion``), which the
  system console and the user's own sessions list show.
- ``X-Forwarded-For``: the same context keeps it as sent (``XForwardedFor``, in every
  audit record), and utils.GetIPAddress takes its first field, unchecked, as the
  client's address when ``ServiceSettings.TrustedProxyIPHeader`` names it (as it
  names ``X-Real-IP``): stored with sessions and audits.  The gateway appends the
  peer's address and keeps what came before (gateway/addon.py ``_add_forward_headers``).
- ``Accept-Language``: read for the translation only (i18n.GetTranslationsAndLocaleFromRequest).
- ``X-Request-ID`` is *not* read: Mattermost makes its own (handlers.go
  ``requestID := model.NewId()``).
- A plugin's ``ServeHTTP`` gets the whole request (app/plugin_requests.go
  ``servePluginRequest``): it may read and store any header.  So may a route the
  table does not know.

So on every inspected write ``User-Agent`` is judged, and every header the gateway
controls or that is hop-by-hop (``SHAPES``: ``Authorization``, ``Cookie``,
``Content-Length``, ``Host``, ``X-Forwarded-For``...) is judged when its value is not
the shape a real client sends; on an unknown write and a plugin route every other
header is judged too, its name with its value (``X-SSN: AAAGGSSSS``), and so is every
header of ``SHAPES`` whatever its shape (a plugin reads them as it likes:
``U1NOOiA1MzYyMjg3MTA=`` has a cookie's shape and a host name's, and is base64 of an SSN).  A value is
read with the same decoding as an unknown write's path (percent-decoding until
stable, a base64 or hex token decoded: ``pipeline.path_items``).

A header's value is never echoed: the text judged goes to the archive encrypted, like
any body field, and its item path names a header only when the name is a plain word
(``header.x-ssn``, else ``header.*``).  A Mattermost id in ``Authorization`` or
``Cookie`` (a session token) is replaced by ``<id>`` before it is judged: a token is
no content and must not be archived.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from dlp_proxy.detect.decode import decode_token
from dlp_proxy.model import ContentItem

_TCHARS = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_IPV6 = r"[0-9A-Fa-f:]{2,39}(?:%[A-Za-z0-9]{1,15})?|[0-9A-Fa-f:]{2,29}" + _IPV4
_IP = rf"(?:{_IPV4}|{_IPV6}|\[(?:{_IPV6})\])(?::\d{{1,5}})?"
_HOST = r"(?:[A-Za-z][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*|" + _IPV4 + r"|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?"
_ID = r"[a-z0-9]{26}"
_Q = r"(?:\s*;\s*q=[01](?:\.\d{0,3})?)?"
_MEDIA = r"(?:[A-Za-z0-9*][A-Za-z0-9.+*-]{0,63}/[A-Za-z0-9*][A-Za-z0-9.+*-]{0,63})"
_PARAM = rf"\s*;\s*{_TCHARS}=(?:{_TCHARS}|\"[^\"\\\x00-\x1f]{{0,200}}\")"
#: a digit run no shape lets through (a header's shape passes values with numbers:
#: a version, a port; five digits in a row or in groups are judged as text)
_LONG_DIGITS = re.compile(r"\d(?:[\s._/:-]?\d){4,}")


def _c(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


#: headers hop-by-hop or controlled by the gateway (framing, credentials, forwarding,
#: fetch metadata): skipped when the value is this shape, else judged as text.
SHAPES: dict[str, re.Pattern[str]] = {
    "host": _c(_HOST),
    "content-length": _c(r"\d{1,15}"),
    "transfer-encoding": _c(r"(?i)chunked"),
    "content-encoding": _c(r"[A-Za-z0-9-]{1,20}(?:\s*,\s*[A-Za-z0-9-]{1,20}){0,3}"),
    "content-type": _c(rf"{_MEDIA}(?:{_PARAM}){{0,4}}"),
    "connection": _c(r"[A-Za-z-]{1,30}(?:\s*,\s*[A-Za-z-]{1,30}){0,5}"),
    "keep-alive": _c(r"[a-z]+=\d{1,6}(?:\s*,\s*[a-z]+=\d{1,6})?"),
    "te": _c(r"[A-Za-z-]{1,20}(?:\s*,\s*[A-Za-z-]{1,20}){0,3}"),
    "upgrade": _c(r"(?i)websocket|h2c"),
    "expect": _c(r"(?i)100-continue"),
    "accept": _c(rf"{_MEDIA}(?:{_PARAM})*(?:\s*,\s*{_MEDIA}(?:{_PARAM})*){{0,20}}"),
    "accept-encoding": _c(rf"(?:{_TCHARS}{_Q})(?:\s*,\s*{_TCHARS}{_Q}){{0,10}}"),
    "accept-language": _c(rf"(?:[A-Za-z]{{1,8}}(?:-[A-Za-z0-9]{{1,8}}){{0,3}}|\*){_Q}"
                          rf"(?:\s*,\s*(?:[A-Za-z]{{1,8}}(?:-[A-Za-z0-9]{{1,8}}){{0,3}}|\*){_Q}){{0,20}}"),
    "authorization": _c(r"(?i:bearer|token)\s+[A-Za-z0-9_-]{1,64}"),
    "cookie": _c(rf"{_TCHARS}=(?:{_ID}|[A-Za-z_.-]{{0,64}}|true|false)(?:;\s*{_TCHARS}=(?:{_ID}|[A-Za-z_.-]{{0,64}}|true|false))*"),
    "x-csrf-token": _c(_ID),
    "x-requested-with": _c(r"XMLHttpRequest"),
    "x-forwarded-for": _c(rf"(?:{_IP}|unknown)(?:\s*,\s*(?:{_IP}|unknown)){{0,20}}"),
    "x-real-ip": _c(_IP),
    "x-forwarded-proto": _c(r"(?i)https?(?:\s*,\s*https?)*"),
    "x-forwarded-host": _c(_HOST),
    "origin": _c(rf"(?:https?://{_HOST}|null)"),
    "cache-control": _c(r"[a-z-]{1,20}(?:=\d{1,10})?(?:\s*,\s*[a-z-]{1,20}(?:=\d{1,10})?){0,5}"),
    "pragma": _c(r"no-cache"),
    "dnt": _c(r"[01]"),
    "priority": _c(r"u=\d(?:,\s*i)?|i"),
    "sec-fetch-dest": _c(r"[a-z-]{1,20}"),
    "sec-fetch-mode": _c(r"[a-z-]{1,20}"),
    "sec-fetch-site": _c(r"[a-z-]{1,20}"),
    "sec-fetch-user": _c(r"\?[01]"),
    "sec-ch-ua": _c(r'(?:"[A-Za-z ;_.()-]{1,40}";v="\d{1,4}(?:\.\d{1,5}){0,3}"(?:,\s*)?){1,6}'),
    "sec-ch-ua-mobile": _c(r"\?[01]"),
    "sec-ch-ua-platform": _c(r'"[A-Za-z ]{0,20}"'),
    "sec-websocket-key": _c(r"[A-Za-z0-9+/]{22}=="),
    "sec-websocket-version": _c(r"\d{1,2}"),
    "sec-websocket-extensions": _c(r"[a-z_; =0-9-]{0,100}"),
    "x-page-load-context": _c(r"page_load|reconnect"),
}
#: shapes whose values are numbers by nature (their digits are no identifier)
_NUMERIC = frozenset({"content-length", "keep-alive", "x-forwarded-for", "x-real-ip", "sec-ch-ua",
                      "sec-websocket-key", "cache-control"})
#: shapes naming a host: an address and a port are numbers, a host name's digits are read
_HOSTS = frozenset({"host", "x-forwarded-host", "origin"})
_ADDRESS_OR_PORT = re.compile(rf"\[[0-9A-Fa-f:.]+\]|(?<![A-Za-z0-9-]){_IPV4}(?![A-Za-z0-9-])|:\d{{1,5}}$")
#: headers Mattermost itself stores on any route (see the module's docstring)
STORED = frozenset({"user-agent"})
#: the gateway's own request headers (the X-Forwarded-For it writes is judged before it does)
_CREDENTIALS = frozenset({"authorization", "cookie", "x-csrf-token"})
_IDS = re.compile(_ID)
_PLAIN_NAME = re.compile(r"[a-z][a-z-]{0,40}")
_WORDS = re.compile(r"[^\s,;=]+=*")


def passes(name: str, value: str) -> bool:
    """Whether a header of ``SHAPES`` has the shape a real client sends (skipped unread)."""
    shape = SHAPES.get(name)
    if shape is None or shape.fullmatch(value) is None:
        return False
    if name in _NUMERIC:
        return True
    if name in _HOSTS:
        value = _ADDRESS_OR_PORT.sub("", value)
    elif name in _CREDENTIALS:
        value = _IDS.sub("", value)  # a session token is a Mattermost id
    return _LONG_DIGITS.search(value) is None


def _decoded(value: str) -> str:
    """A value as the detector should read it: percent-decoded until stable, each
    base64 or hex word decoded (as an unknown write's path: pipeline._path_segment)."""
    for _ in range(8):
        unquoted = unquote(value)
        if unquoted == value:
            break
        value = unquoted
    return _WORDS.sub(lambda m: decode_token(m.group(0)) or m.group(0), value)


def judged(headers: Mapping[str, str] | Iterable[tuple[str, str]], *, every: bool) -> list[tuple[str, str]]:
    """(lower-case name, text to judge) of each header that is read: ``User-Agent``,
    a ``SHAPES`` header not of its shape, and with ``every`` (unknown writes, plugin
    routes) any other header, its name with its value."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[str, str]] = []
    for raw_name, value in pairs:
        if (text := _judged_one(raw_name, value, every)) is not None:
            out.append((raw_name.lower(), text))
    return out


@functools.lru_cache(maxsize=4096)
def _judged_one(raw_name: str, value: str, every: bool) -> str | None:
    """One header's text to judge, or None (remembered: a client sends the same
    headers on every request; in memory only)."""
    name = raw_name.lower()
    if name in SHAPES:
        if passes(name, value) and not every:
            # (a plugin reads its request's headers as it likes: with ``every`` each is
            # read whatever its shape, a session token excepted)
            return None
    elif name not in STORED and not every:
        return None
    if name in _CREDENTIALS:
        value = _IDS.sub("<id>", value)
    text = _decoded(value)
    if name not in SHAPES and name not in STORED:
        text = f"{_decoded(raw_name)} {text}"  # a custom header's name labels its value
    return text


#: reads whose headers Mattermost stores: web/oauth.go completeOAuth (``GET
#: /oauth/{service}/complete`` and its older spellings under /signup, /login and
#: /api/v3/oauth) calls app DoLogin, which stores the User-Agent's browser version in
#: the new session's props (matched on the classified, lower-case path)
SESSION_READS = re.compile(r"/(?:oauth|signup|login|api/v3/oauth)/[a-z0-9]+/complete")


def session_read(path: str) -> bool:
    """Whether a body-less read of ``path`` makes a session from its headers."""
    return path.endswith("/complete") and SESSION_READS.fullmatch(path) is not None


#: the item paths of the headers any read's handler may store: reads write audit
#: records (api4/file.go getFile, getFileLink; api4/post.go getPostThread...), whose
#: ``Actor.Client`` is the User-Agent and whose address comes from X-Forwarded-For or
#: X-Real-IP (web/context.go MakeAuditRecord, utils.GetIPAddress)
_READ_STORED = frozenset({"header.user-agent", "header.x-forwarded-for", "header.x-real-ip"})


def read_items(headers: Mapping[str, str], path: str) -> list[ContentItem]:
    """The headers of a body-less read to judge (``path``: its classified path): those
    an audit record stores (``_READ_STORED``, when not of their shape), all of
    ``header_items`` on a read that logs in (``session_read``)."""
    items = header_items(headers, every=False)
    if session_read(path):
        return items
    return [i for i in items if i.path in _READ_STORED]


#: the stored header text (``read_items``) a body-less read may carry:
#: its User-Agent is judged on every read (an audit record holds it), unbudgeted, so no
#: more than a real client sends (a browser's is a few hundred characters); 400 past it
MAX_READ_HEADER_CHARS = 4096

#: header text the gateway reads at most (values, Cookie apart): a real client sends
#: a few KiB; Go's net/http accepts 1 MiB (http.DefaultMaxHeaderBytes), which would
#: be scanned unbudgeted on every request
MAX_HEADER_CHARS = 64 * 1024
#: a browser's cookies for the site (about 4 KiB each)
MAX_COOKIE_CHARS = 256 * 1024


def oversized(headers: Mapping[str, str]) -> bool:
    """Whether the request's headers are more than a real client sends (refused 431)."""
    total = 0
    for name, value in headers.items():
        if name.lower() == "cookie":
            if len(value) > MAX_COOKIE_CHARS:
                return True
            continue
        total += len(name) + len(value)
    return total > MAX_HEADER_CHARS


def item_path(name: str) -> str:
    """The item path of a header's text: its name only when a plain word."""
    return f"header.{name}" if _PLAIN_NAME.fullmatch(name) else "header.*"


def header_items(headers: Mapping[str, str] | Iterable[tuple[str, str]], *, every: bool) -> list[ContentItem]:
    """``judged`` as content items, one per header (``header.<name>``)."""
    return [ContentItem(item_path(name), text) for name, text in judged(headers, every=every)]
