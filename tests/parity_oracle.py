"""What Mattermost reads from a request, per route: the oracle of the parity tests.

Built on the simulator's port of Go's readers (dlp_proxy/simulator/gohttp.py) and
on nothing of the gateway (dlp_proxy.gateway.extract / goread are not imported),
so that the tests hold the gateway against Go's semantics and not against its own
assumptions.  Each reader follows the Mattermost handler named in its docstring
(server/... paths in mattermost/mattermost).

``Reading.texts`` are the strings Mattermost would store or show; ``Reading.files``
the file bytes it would store.  A reading that Mattermost refuses is empty.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from dlp_proxy.simulator import gohttp
from dlp_proxy.simulator.app import escape_control_chars_from_payload


@dataclass
class Reading:
    texts: list[str] = field(default_factory=list)
    files: list[bytes] = field(default_factory=list)

    def all_texts(self) -> list[str]:
        """The texts, and what a person opening each stored file reads in it."""
        out = list(self.texts)
        for data in self.files:
            out.extend(file_texts(data))
        return out


def file_texts(data: bytes, depth: int = 0) -> list[str]:
    """A stored file as a person reads it: its text, or the text of what it packs."""
    out = [data.decode("utf-8", "replace")]
    if depth > 3:
        return out
    if data[:2] == b"\x1f\x8b":
        try:
            out.extend(file_texts(gzip.decompress(data), depth + 1))
        except (OSError, EOFError, zlib.error):
            pass
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for name in zf.namelist()[:20]:
                    out.extend(file_texts(zf.read(name), depth + 1))
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            pass
    return out


def _json(body: bytes, reading: Reading, *, unmarshal: bool = False, lenient: bool = False) -> bool:
    try:
        doc = gohttp.json_decode(body, unmarshal=unmarshal, lenient=lenient)
    except gohttp.GoError:
        return False
    reading.texts.extend(gohttp.strings_of(doc))
    return True


def _media_type(ctype: str) -> tuple[str, dict[str, str]] | None:
    try:
        return gohttp.parse_media_type(ctype)
    except gohttp.ErrInvalidMediaParameter as exc:
        return exc.mediatype, {}
    except gohttp.GoError:
        return None


def _parse_form_consumes(ctype: str) -> bool:
    """net/http parsePostForm: the body is read as a form when ParseMediaType says so."""
    mt = _media_type(ctype or "application/octet-stream")
    return mt is not None and mt[0] == "application/x-www-form-urlencoded"


def _parts(body: bytes, ctype: str) -> list[gohttp.GoPart] | None:
    """r.MultipartReader / ParseMultipartForm: multipart/form-data with a boundary."""
    try:
        mediatype, params = gohttp.parse_media_type(ctype)
    except gohttp.GoError:
        return None
    if mediatype != "multipart/form-data" or "boundary" not in params:
        return None
    try:
        return gohttp.read_all_parts(body, params["boundary"])
    except gohttp.GoError:
        return None


def json_route(body: bytes) -> Reading:
    """api4/post.go createPost and every JSON route: json.NewDecoder(r.Body).Decode,
    whatever the Content-Type; no Content-Encoding decoded (net/http)."""
    r = Reading()
    _json(body, r)
    return r


def incoming_webhook(body: bytes, ctype: str, query: str, rule: str) -> Reading:
    """web/webhook.go incomingWebhook, newer (``rule="mime"``) or older (``"split"``)."""
    r = Reading()
    consumed = _parse_form_consumes(ctype)
    if rule == "split":
        is_form = ctype.split("; ")[0] == "application/x-www-form-urlencoded"
        is_multipart = ctype.startswith("multipart/form-data")
    else:
        mediatype = ""
        if ctype:
            mt = _media_type(ctype)
            if mt is None:
                return r  # 400
            mediatype = mt[0]
        is_form = mediatype == "application/x-www-form-urlencoded"
        is_multipart = mediatype == "multipart/form-data"
    if is_form:
        values = (gohttp.parse_query(body) if consumed else []) + gohttp.parse_query(query)
        payload = gohttp.form_values(values, "payload")
        raw = (payload[0] if payload else "").encode("utf-8")
        if not _json(raw, r):  # IncomingWebhookRequestFromJSON's retry (model/incoming_webhook.go)
            _json(escape_control_chars_from_payload(raw), r)
        return r
    if is_multipart:
        for part in _parts(body, ctype) or []:
            if part.form_name() and not part.file_name():
                r.texts.append(part.data.decode("utf-8", "replace"))
        return r
    if not consumed and not _json(body, r):
        _json(escape_control_chars_from_payload(body), r)
    return r


def command_webhook(body: bytes, ctype: str) -> Reading:
    """model.CommandResponseFromHTTPBody: older (JSON only for application/json, else
    the body is the text) and newer (JSON first, else the text): both."""
    r = Reading()
    _json(body, r, unmarshal=True)
    r.texts.append(body.decode("utf-8", "replace"))
    return r


def files_upload(body: bytes, ctype: str, query: str) -> Reading:
    """api4/file.go uploadFileStream: multipart (parseMultipartRequestHeader) ->
    uploadFileMultipart: file parts stored as NextPart hands them over; else the
    body is the file (uploadFileSimple), unless r.ParseForm consumed it."""
    r = Reading()
    try:
        mediatype, params = gohttp.parse_media_type(ctype) if ctype else ("", {})
    except gohttp.GoError:
        mediatype, params = "", {}
    if mediatype == "multipart/form-data":
        if "boundary" not in params:
            return r
        for part in _parts(body, ctype) or []:
            if part.form_name() and part.file_name():
                r.files.append(part.data)
                r.texts.append(part.file_name())
        return r
    if not dict(parse_qsl(query)).get("filename") or not dict(parse_qsl(query)).get("channel_id"):
        return r
    r.files.append(b"" if _parse_form_consumes(ctype) else body)
    return r


def plugin_route(body: bytes, ctype: str, content_encoding: str) -> Reading:
    """A plugin's own handler (plugin.ServeHTTP gets the http.Request as is): it may
    decode JSON, a form, multipart, or keep the body as a file, and may undo a
    Content-Encoding itself.  The union of all of these."""
    r = Reading()
    bodies = [body]
    if content_encoding.strip().lower() == "gzip":
        try:
            bodies.append(gzip.decompress(body))
        except (OSError, EOFError, zlib.error):
            pass
    for b in bodies:
        _json(b, r, lenient=True)
        if _parse_form_consumes(ctype):
            r.texts.extend(v.decode("utf-8", "replace") for _, v in gohttp.parse_query(b))
        for part in _parts(b, ctype) or []:
            r.files.append(part.data)
        r.files.append(b)
    return r


def request_headers(route: str, headers: dict[str, str]) -> Reading:
    """The header values a handler reads and may store, as Go's net/http hands them over
    (``Header.Get`` folds the name; the value is as sent).

    - Every route (web/handlers.go ``Handler.ServeHTTP``): ``r.UserAgent()`` and
      ``X-Forwarded-For`` go into the request context, written into audit records
      (web/context.go ``MakeAuditRecord``); utils.GetIPAddress takes the first field of
      the ``TrustedProxyIPHeader`` headers (``X-Forwarded-For``, ``X-Real-IP``) unchecked.
      At login (app/login.go) the User-Agent's browser version is stored in the session.
    - ``route == "plugin"`` (a plugin's ServeHTTP, a route nobody described): every header,
      its name with its value, as sent and as a handler that percent-decodes or base64-decodes
      a value reads it."""
    r = Reading()
    folded = {k.lower(): v for k, v in headers.items()}
    if route == "plugin":
        for name, value in folded.items():
            for v in _decodings(value):
                r.texts.append(f"{name} {v}")
        return r
    for name in ("user-agent", "x-forwarded-for", "x-real-ip"):
        if name in folded:
            value = folded[name]
            r.texts.append(value)
            if name != "user-agent":
                r.texts.append(value.split(",")[0].strip())
    return r


def _decodings(value: str) -> list[str]:
    import base64
    import binascii
    from urllib.parse import unquote

    out = [value, unquote(value)]
    try:
        out.append(base64.b64decode(value, validate=True).decode("utf-8"))
    except (binascii.Error, ValueError):
        pass
    return out


def egress_query(query: str, name: str) -> Reading:
    """A read whose query value Mattermost sends to another host (api4/system.go
    getRedirectLocation ``client.Head(url)``, api4/image.go getImage, web/oauth.go and
    web/saml.go redirects): ``r.URL.Query().Get(name)`` (url.ParseQuery, the first
    value), and what that host reads of it: the URL's path and query unescaped once more
    (its own net/url), a ``+`` a space."""
    r = Reading()
    value = gohttp.query_get(query, name)
    if value:
        r.texts.append(value)
        try:
            r.texts.append(gohttp._query_unescape(value.encode()).decode("utf-8", "replace"))
        except gohttp.GoError:
            pass
    return r


def plugin_query(query: str) -> Reading:
    """A read whose query Mattermost hands on (server/channels/app/plugin_requests.go
    servePluginRequest: a plugin's ServeHTTP gets ``r.URL``; app/command_autocomplete.go
    getDynamicListArgument: ``user_input`` in the FetchURL's query): the values a
    handler reads with ``r.URL.Query()`` (url.ParseQuery), and their names."""
    r = Reading()
    for key, value in gohttp.parse_query(query):
        r.texts.extend(t.decode("utf-8", "replace") for t in (key, value) if t)
    return r


def credential_route(path: str, body: bytes) -> Reading:
    """The stored fields of a credential route as Go reads them (``json.NewDecoder(r.Body)
    .Decode``: the first value, the rest unread; invalid UTF-8 as U+FFFD):

    - ``/api/v4/users/login`` (api4/user.go login): ``model.MapFromJSON`` into a
      ``map[string]string``, its error ignored (server/public/model/utils.go): keys
      matched exactly; ``id``, ``login_id`` (audit record), ``device_id`` (session);
    - ``/oauth/authorize`` (web/oauth.go authorizeOAuthApp): a ``*model.AuthorizeRequest``
      (keys folded as encoding/json folds them: ``gohttp.GoObject``), refused on any
      decode error; ``state``, ``scope``, ``redirect_uri``, ``code_challenge``,
      ``code_challenge_method``, ``resource`` are stored in OAuthAuthData."""
    r = Reading()
    try:
        doc = gohttp.json_decode(body)
    except gohttp.GoError:
        return r
    if not isinstance(doc, dict):
        return r
    if path == "/api/v4/users/login":
        # a map: the last value of each exact key (GoObject keeps them as sent)
        for name in ("id", "login_id", "device_id"):
            values = [v for k, v in doc.pairs if k == name and isinstance(v, str)]  # type: ignore[attr-defined]
            if values:
                r.texts.append(values[-1])
        return r
    for name in ("state", "scope", "redirect_uri", "code_challenge", "code_challenge_method", "resource"):
        value = doc.get(name)
        if isinstance(value, str):
            r.texts.append(value)
    return r
