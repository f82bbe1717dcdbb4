"""Who is acting and where: resolved through the Mattermost API, cached in Redis.

The MMUSERID cookie is not authoritative, so the user is resolved with the
caller's own token (GET /api/v4/users/me), the channel with GET
/api/v4/channels/{id}.  Results are cached in Redis with a TTL under keys
derived from a keyed hash of the token: no raw token is ever stored.  An
entry that carries a name which may hold an identifier (a username such as
``u4111111111111111``: ``atrest.safe_name``) is kept in process memory only,
never in Redis.

Failure modes are distinct on purpose:
- Redis unreachable raises (the gateway fails closed: a decision needs it);
- Mattermost unreachable or slow is recorded in ``context_errors`` and the
  policy's per-rule failure mode decides (default: closed).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as aioredis

from dlp_proxy import atrest
from dlp_proxy.gateway.goread import parse_query
from dlp_proxy.keys import keyed_hash
from dlp_proxy.model import ChannelType

CACHE_PREFIX = "dlp:ctx:"


_COOKIE_NAME_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _cookie_value(raw: str) -> str | None:
    """net/http parseCookieValue (allowDoubleQuote): one pair of surrounding quotes
    dropped; None when a byte is not a valid cookie-value byte."""
    if len(raw) > 1 and raw[0] == raw[-1] == '"':
        raw = raw[1:-1]
    if any(not (0x20 <= ord(c) < 0x7F) or c in '";\\' for c in raw):
        return None
    return raw


#: what Go's textproto.TrimString trims (net/textproto/reader.go isASCIISpace)
_GO_SPACE = " \t\r\n"


def session_cookie(cookie_header: str, name: str = "MMAUTHTOKEN") -> str | None:
    """``r.Cookie(name)`` as Go reads it (net/http/cookie.go readCookies): the line split
    on ";", each part trimmed, then the name before "=" trimmed (``textproto.TrimString``),
    the name a token, the value valid, the FIRST match (SimpleCookie took the last, and
    gave up on the whole line at one bad pair)."""
    for part in cookie_header.split(";"):
        part = part.strip(_GO_SPACE)
        if not part:
            continue
        key, eq, raw = part.partition("=")
        key = key.strip(_GO_SPACE)  # Go trims the name too: "MMAUTHTOKEN =x" is MMAUTHTOKEN (atk16 F3)
        if key != name or not key or not set(key) <= _COOKIE_NAME_CHARS:
            continue
        value = _cookie_value(raw) if eq else ""
        if value is not None:
            return value
    return None


#: where Mattermost found a request's token (app/authentication.go TokenLocation)
TOKEN_COOKIE, TOKEN_HEADER, TOKEN_QUERY = "cookie", "header", "query"


def token_from_request(headers: Mapping[str, str], query: str) -> str | None:
    """The session or access token, in Mattermost's order and reading
    (app/authentication.go ParseAuthTokenFromRequest): ``token_location``'s token."""
    return token_location(headers, query)[0]


def token_location(headers: Mapping[str, str], query: str) -> tuple[str | None, str | None]:
    """The session or access token and where it was found (``TOKEN_COOKIE``,
    ``TOKEN_HEADER``, ``TOKEN_QUERY``), in Mattermost's order and reading
    (app/authentication.go ParseAuthTokenFromRequest): the MMAUTHTOKEN cookie (even
    empty: Go returns it and the request is then unauthenticated), else
    ``Authorization: Bearer|Token <t>``, else the first ``access_token`` of the query.
    The addon forwards one Cookie line and refuses two Authorization headers, so the
    line read here is the one Mattermost reads."""
    cookie = session_cookie(headers.get("cookie", ""))
    if cookie is not None:
        return cookie or None, TOKEN_COOKIE
    auth = headers.get("authorization", "")
    # Go: strings.ToUpper(h[0:6]) == "BEARER" -> h[7:]; strings.ToLower(h[0:5]) == "token" -> h[6:]
    if len(auth) > 6 and auth[:6].upper() == "BEARER":
        return auth[7:] or None, TOKEN_HEADER
    if len(auth) > 5 and auth[:5].lower() == "token":
        return auth[6:] or None, TOKEN_HEADER
    token = _query_token(query)
    return (token, TOKEN_QUERY) if token else (None, None)


def _query_token(query: str) -> str | None:
    """``r.URL.Query().Get("access_token")``: the first value, empty or not (None: empty
    or absent)."""
    for key, value in parse_query(query):
        if key == "access_token":
            return value or None
    return None


def plugin_token(headers: Mapping[str, str], query: str) -> str | None:
    """The token a plugin's request is served under (app/plugin_requests.go
    ``servePluginRequest``), in its own order: ``Authorization: Bearer <t>`` or ``Token <t>``
    (the prefix with its blank), else the MMAUTHTOKEN cookie, else ``?access_token=`` (for
    any session).  Not the core API's order (``token_location``: the cookie first), so the
    addon refuses a plugin request whose two readings differ (insider re-attack of
    2026-12-07 night, 1a)."""
    auth = headers.get("authorization", "")
    if auth[:7].upper() == "BEARER ":
        return auth[7:] or None
    if auth[:6].lower() == "token ":
        return auth[6:] or None
    cookie = session_cookie(headers.get("cookie", ""))
    if cookie is not None:
        return cookie or None
    return _query_token(query)


#: Cookie pairs past which Go's readCookies returns no cookie at all (net/http, the
#: httpcookiemaxnum limit of Go 1.24.8 / 1.25.2; earlier Go reads them all): a Cookie
#: header with more pairs is read differently by Mattermost builds, so it is refused
MAX_COOKIE_PAIRS = 1000


def too_many_cookies(headers: Mapping[str, str]) -> bool:
    """More ``;``-separated pairs in the Cookie lines than ``MAX_COOKIE_PAIRS`` (the addon
    answers 400: which cookie Mattermost reads depends on its Go version; re-attack 1b)."""
    return headers.get("cookie", "").count(";") >= MAX_COOKIE_PAIRS


def _first(fields: Iterable[tuple[bytes, bytes]], name: bytes) -> str:
    """Go's ``Header.Get``: the first value of a header (names compare case-insensitively)."""
    for key, value in fields:
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def session_refused(method: str, fields: Iterable[tuple[bytes, bytes]], where: str | None,
                    headers: Mapping[str, str], *, plugin: bool = False) -> str | None:
    """Why Mattermost refuses a session-required request's token, found at ``where``
    (``token_location``), before the handler reads its body (web/handlers.go
    ``ServeHTTP``), though the token names a live session; None when it does not:

    - ``"csrf"``: the token is the session cookie, the method is not GET, and neither
      ``X-CSRF-Token`` (compared with the session's CSRF token, which the ``MMCSRF``
      cookie carries) nor ``X-Requested-With: XMLHttpRequest`` (accepted unless
      ``ExperimentalStrictCSRFEnforcement``) is sent (``checkCSRFToken``: 401
      ``api.context.session_expired.app_error``). The gateway cannot read the session's
      CSRF token, so a non-empty ``X-CSRF-Token`` passes unless it differs from the
      request's own ``MMCSRF`` cookie; a forged cross-site request can set neither header.
    - ``"query"``: the token came in the query string (``access_token``), which Mattermost
      accepts for OAuth sessions only (401 ``api.context.token_provided.app_error``); the
      gateway cannot tell an OAuth session, so it takes none (atk16 F2).

    ``plugin``: a plugin's route (app/plugin_requests.go ``servePluginRequest``): a query
    token counts for any session, and the session cookie of a write needs the CSRF header
    or X-Requested-With as above (a plugin also takes a ``csrf`` form field, which the
    gateway cannot read before the body: such a request is refused).
    """
    if where is None:
        return None
    if where == TOKEN_QUERY:
        return None if plugin else "query"
    if where != TOKEN_COOKIE or method == "GET":
        return None
    if _first(fields, b"x-requested-with") == "XMLHttpRequest":
        return None
    sent = _first(fields, b"x-csrf-token")
    if sent:
        expected = session_cookie(headers.get("cookie", ""), "MMCSRF")
        if not expected or hmac.compare_digest(sent.encode(), expected.encode()):
            return None
    return "csrf"


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    username: str
    roles: tuple[str, ...]
    is_bot: bool


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    id: str
    name: str
    type: ChannelType | None
    team_id: str | None
    shared: bool
    #: context words (the detector's vocabulary) in the display name and purpose
    terms: tuple[str, ...] = ()


class ContextResolver:
    def __init__(
        self,
        redis: aioredis.Redis,
        upstream: httpx.AsyncClient,
        *,
        hash_key: bytes,
        ttl_seconds: int = 300,
        timeout_seconds: float = 2.0,
        local_ttl_seconds: float = 10.0,
        negative_ttl_seconds: int = 10,
        channel_ttl_seconds: int = 60,
        post_ttl_seconds: int = 30,
        fallback_token: str | None = None,
    ) -> None:
        self.redis = redis
        self.upstream = upstream
        self.hash_key = hash_key
        self.ttl = ttl_seconds
        self.timeout = timeout_seconds
        #: seconds a context entry is trusted in process memory (Redis holds it for ``ttl``)
        self.local_ttl = local_ttl_seconds
        #: seconds a token Mattermost refused stays known as refused: short, so a flood
        #: of made-up tokens leaves few keys behind (each is one users/me call, as it
        #: would be one session lookup in Mattermost)
        self.negative_ttl = negative_ttl_seconds
        #: seconds a channel's type and names are trusted (Redis); a conversion or patch
        #: through the gateway forgets them at once (``forget_channel``), one made some
        #: other way is seen after at most this long
        self.channel_ttl = channel_ttl_seconds
        #: seconds a post's channel is trusted (a thread can be moved: api4/post.go moveThread)
        self.post_ttl = post_ttl_seconds
        #: a bot's token to read a post the caller cannot (the edit's channel must be known)
        self.fallback_token = fallback_token
        #: (optional) the detector's context words in a text (Engine.context_terms):
        #: the only part of a channel's display name and purpose that is cached
        self.terms_of: Any = None
        self.local_max = 50_000
        self._local: dict[str, tuple[float, Any]] = {}

    async def _cached(self, key: str) -> Any:
        # A short in-process layer in front of the shared Redis cache: a chat
        # burst from one user does not pay a Redis round trip per post.
        hit = self._local.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        raw = await self.redis.get(CACHE_PREFIX + key)
        if raw is None:
            return None
        value = json.loads(raw)
        self._remember(key, value, now)
        return value

    async def _store(self, key: str, value: Any, ttl: int | None = None, *, names: Iterable[str] = ()) -> None:
        """Cache ``value`` here and in Redis; only here (``local_ttl``) when one of the
        ``names`` it carries (a username, channel, team or group name Mattermost
        accepted) may hold an identifier (``atrest.safe_name`` would hash it): no raw
        identifier at rest, and policies still read the name as it is."""
        ttl = self.ttl if ttl is None else ttl
        if any(atrest.safe_name(self.hash_key, n) != n for n in names):
            self._remember(key, value, time.monotonic(), min(self.local_ttl, ttl))
            return
        await self.redis.set(CACHE_PREFIX + key, json.dumps(value), ex=ttl)
        self._remember(key, value, time.monotonic(), min(self.local_ttl, ttl))

    def _remember(self, key: str, value: Any, now: float, local_ttl: float | None = None) -> None:
        if len(self._local) >= self.local_max:
            self._local.clear()  # bounded; a full reset is cheap and rare
        self._local[key] = (now + (self.local_ttl if local_ttl is None else local_ttl), value)

    async def _get(self, path: str, token: str) -> httpx.Response:
        return await asyncio.wait_for(
            self.upstream.get(path, headers={"Authorization": f"Bearer {token}"}), self.timeout
        )

    def user_cached(self, token: str) -> bool | None:
        """From the in-process cache only: True (a user), False (Mattermost refused
        the token), None (not known here: ask ``user``)."""
        hit = self._local.get("user:" + keyed_hash(self.hash_key, token))
        if hit is None or hit[0] <= time.monotonic():
            return None
        return not hit[1].get("invalid")

    def user_id_cached(self, token: str) -> str | None:
        """The token's user id from the in-process cache only (None: not known here, or refused)."""
        hit = self._local.get("user:" + keyed_hash(self.hash_key, token))
        if hit is None or hit[0] <= time.monotonic() or hit[1].get("invalid"):
            return None
        return str(hit[1].get("id") or "") or None

    async def user(self, token: str) -> UserInfo | None:
        """The token's user; None when Mattermost says the token is not valid."""
        key = "user:" + keyed_hash(self.hash_key, token)
        data = await self._cached(key)
        if data is None:
            resp = await self._get("/api/v4/users/me", token)
            if resp.status_code in (401, 403, 404):
                data = {"invalid": True}
            else:
                resp.raise_for_status()
                body = resp.json()
                data = {
                    "id": body.get("id", ""),
                    "username": body.get("username", ""),
                    "roles": str(body.get("roles", "")).split(),
                    "is_bot": bool(body.get("is_bot", False)),
                }
            await self._store(key, data, self.negative_ttl if data.get("invalid") else None,
                              names=[str(data.get("username", ""))])
        if data.get("invalid"):
            return None
        return UserInfo(data["id"], data["username"], tuple(data["roles"]), bool(data["is_bot"]))

    async def channel(self, channel_id: str, token: str | None, *, fresh: bool = False) -> ChannelInfo | None:
        """The channel's type and names; ``fresh``: asked of Mattermost now, never
        from a cache (a release re-judged after a conversion, ``DLP_CHANNEL_CONTEXT_TTL``
        must not hide it), and the answer refreshes the cache."""
        # the id came from the request: only its keyed hash names a Redis key
        key = "chan:" + keyed_hash(self.hash_key, channel_id)[:32]
        data = None if fresh else await self._cached(key)
        if data is None:
            if token is None:
                return None
            resp = await self._get(f"/api/v4/channels/{channel_id}", token)
            if resp.status_code in (401, 403, 404):
                return None  # not cached: may be a permission problem of this caller only
            resp.raise_for_status()
            body = resp.json()
            data = {
                "id": body.get("id", channel_id),
                "name": body.get("name", ""),
                "type": body.get("type", ""),
                "team_id": body.get("team_id") or None,
                "shared": bool(body.get("shared", False)),
                # context words of the display name, purpose and header (findings 4;
                # atk25 F3: the web app shows the header at the top of the channel, and
                # any member sets it with a patch): the words only, from the detector's
                # vocabulary, never the text itself
                "terms": self._terms("\n".join(str(body.get(k) or "") for k in ("display_name", "purpose", "header"))),
            }
            await self._store(key, data, self.channel_ttl, names=[str(data["name"])])
        try:
            ctype: ChannelType | None = ChannelType(data["type"])
        except ValueError:
            ctype = None
        return ChannelInfo(data["id"], data["name"], ctype, data.get("team_id"), bool(data.get("shared")),
                           tuple(str(t) for t in data.get("terms", ()) if isinstance(t, str)))

    def _terms(self, text: str) -> list[str]:
        if self.terms_of is None or not text.strip():
            return []
        try:
            return sorted({str(t) for t in self.terms_of(text)})[:32]
        except Exception:  # a detector without the API, or one that failed: no terms
            return []

    async def forget_channel(self, channel_id: str) -> None:
        """A channel was converted, patched or updated: its cached type and names go
        (here and in Redis; other gateway processes keep theirs at most ``local_ttl``)."""
        key = "chan:" + keyed_hash(self.hash_key, channel_id)[:32]
        self._local.pop(key, None)
        await self.redis.delete(CACHE_PREFIX + key)

    async def team_name(self, team_id: str, token: str | None) -> str | None:
        """The team's name (policies may scope on a team by name or id)."""
        key = "team:" + team_id
        cached = await self._cached(key)
        if cached is None:
            if token is None:
                return None
            resp = await self._get(f"/api/v4/teams/{team_id}", token)
            if resp.status_code in (401, 403, 404):
                return None  # not cached: may be this caller's permission only
            resp.raise_for_status()
            cached = str(resp.json().get("name", ""))
            await self._store(key, cached, names=[cached])
        return str(cached) or None

    async def bot_owner(self, bot_id: str, token: str | None = None) -> str | None:
        """The ``owner_id`` of a bot (a user id, or a plugin's id for a plugin's bot):
        ``GET /api/v4/bots/{id}?include_deleted=true`` with the gateway's own token first
        (api4/bot.go getBot hides other people's bots without ``read_others_bots``), then
        the caller's.  None when neither may read it."""
        key = "bot:" + keyed_hash(self.hash_key, bot_id)[:32]
        cached = await self._cached(key)
        if cached is not None:
            return str(cached)
        for who in dict.fromkeys(t for t in (self.fallback_token, token) if t):
            resp = await self._get(f"/api/v4/bots/{bot_id}?include_deleted=true", who)
            if resp.status_code in (401, 403, 404):
                continue
            resp.raise_for_status()
            owner = str(resp.json().get("owner_id", ""))
            if owner:
                await self._store(key, owner, None)
            return owner or None
        return None

    async def post_channel_id(self, post_id: str, token: str | None) -> str | None:
        key = "post:" + keyed_hash(self.hash_key, post_id)[:32]
        cached = await self._cached(key)
        if cached is not None:
            return str(cached)
        for who in dict.fromkeys(t for t in (token, self.fallback_token) if t):
            resp = await self._get(f"/api/v4/posts/{post_id}", who)
            if resp.status_code in (401, 403, 404):
                continue  # this caller may not read it: the bot may
            resp.raise_for_status()
            channel_id = str(resp.json().get("channel_id", ""))
            if channel_id:
                await self._store(key, channel_id, self.post_ttl)
            return channel_id or None
        return None

    async def thread(self, post_id: str, token: str) -> httpx.Response:
        """GET /api/v4/posts/{id}/thread as the caller (api4/post.go getPostThread:
        the whole thread, root and replies, of any post in it): what a move carries
        (app/post.go MoveThread reads the same list).  Never cached: a thread grows."""
        return await self._get(f"/api/v4/posts/{post_id}/thread", token)

    async def file_bytes(self, file_id: str, token: str, *, max_bytes: int, timeout: float) -> bytes | None:
        """GET /api/v4/files/{id} as the caller (api4/file.go getFile), read up to
        ``max_bytes``: None when the file is larger.  Raises ``httpx.HTTPStatusError``
        on a refusal and the transport errors as they come."""
        async def read() -> bytes | None:
            async with self.upstream.stream("GET", f"/api/v4/files/{file_id}",
                                            headers={"Authorization": f"Bearer {token}"}) as resp:
                resp.raise_for_status()
                out = bytearray()
                async for chunk in resp.aiter_bytes():
                    out += chunk
                    if len(out) > max_bytes:
                        return None
                return bytes(out)

        return await asyncio.wait_for(read(), timeout)

    async def groups(self, user_id: str, token: str) -> tuple[str, ...]:
        key = "groups:" + user_id
        cached = await self._cached(key)
        if cached is None:
            resp = await self._get(f"/api/v4/users/{user_id}/groups", token)
            if resp.status_code in (401, 403, 404, 501):
                cached = []
            else:
                resp.raise_for_status()
                # Only groups Mattermost syncs from a directory count (the console's
                # rule, review/auth.py SYNCED_GROUP_SOURCES): any user may create a
                # custom group (create_custom_group is in system_user) and give it
                # the name a policy exempts, so a custom group's name proves nothing.
                cached = [g.get("name", "") for g in resp.json()
                          if isinstance(g, dict) and _synced(g.get("source"))]
            await self._store(key, cached, names=[str(g) for g in cached])
        return tuple(str(g) for g in cached)


def _synced(source: object) -> bool:
    """A group source Mattermost sets only when it syncs a group from a directory:
    ``ldap`` or a group-sync plugin's ``plugin_*`` (model.GroupSourceLdap and
    GroupSourcePluginPrefix, server/public/model/group.go)."""
    return isinstance(source, str) and (source == "ldap" or source.startswith("plugin_"))
