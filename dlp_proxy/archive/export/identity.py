"""Who and where, as Mattermost knows them: emails, usernames, bot flag, channel and team names.

The archive records what the gateway knew at decision time (user id, username,
channel id/name/type, team id/name; see ``RequestContext``): no email, no display
names.  The exporters need them (Actiance ``LoginName``/``CorporateEmailID``, the
Global Relay ``From``/``To``, CSV ``User Email``), so they are resolved at export
time through Mattermost's REST API with a system account's token:

- ``GET /api/v4/users/{id}``: ``email``, ``username``, ``is_bot`` (Mattermost's
  exporters write ``UserType`` "bot" when ``Users.IsBot``, else "user");
- ``GET /api/v4/channels/{id}``: ``name``, ``display_name``, ``type``, ``team_id``;
  a direct channel's name is ``<user id>__<user id>`` (model/channel.go
  ``GetDMNameFromIds``), which gives both DM participants;
- ``GET /api/v4/channels/{id}/members``: a group message's participants
  (api4/channel.go ``getChannelMembers``, paged);
- ``GET /api/v4/hooks/incoming/{id}``: the user an incoming webhook posts as and its
  channel (api4/webhook.go ``getIncomingHook``; app/webhook.go posts as ``hook.UserId``);
- ``GET /api/v4/teams/{id}``: ``name``, ``display_name``.

Each answer is cached in process (``IdentityCache``, TTL 5 minutes by default;
the scheduled export keeps one across its runs), like the gateway's
``ContextResolver`` in-process layer.  The gateway's Redis layer is not reused: it
is keyed by the *caller's* token and holds what that caller may see, while the
export asks by id with a system account's token.  An id that is not
26 lowercase alphanumerics is never sent upstream.  A lookup that fails raises
``IdentityError``: the export stops rather than write an invented address.
``StaticIdentities`` serves a fixed snapshot (the one written to an export's
manifest), so an export can be reproduced byte for byte later.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from dlp_proxy.model import MATTERMOST_ID


class IdentityError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    email: str
    is_bot: bool


@dataclass(frozen=True, slots=True)
class ChannelMeta:
    id: str
    name: str
    display_name: str
    type: str
    team_id: str


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Hook:
    """An incoming webhook: Mattermost posts what it receives as ``user_id`` (app/webhook.go)."""

    id: str
    user_id: str
    channel_id: str


class Identities(Protocol):
    def user(self, user_id: str) -> User: ...
    def channel(self, channel_id: str) -> ChannelMeta: ...
    def team(self, team_id: str) -> Team: ...
    def me(self) -> User: ...
    def members(self, channel_id: str) -> list[str]: ...
    def hook(self, hook_id: str) -> Hook: ...
    def snapshot(self) -> dict[str, Any]: ...


def dm_participants(channel: ChannelMeta) -> list[str]:
    if channel.type != "D":
        return []
    ids = channel.name.split("__")
    return [i for i in ids if MATTERMOST_ID.fullmatch(i)] if len(ids) == 2 else []


class IdentityCache:
    """Answers kept across runs for ``ttl`` seconds (the scheduled export holds one), like the
    gateway's in-process context layer: a daily run does not ask Mattermost again for every sender."""

    def __init__(self, ttl_seconds: float = 300.0, *, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 50_000) -> None:
        self.ttl = ttl_seconds
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}

    def get(self, kind: str, ident: str) -> Any:
        hit = self._entries.get((kind, ident))
        if hit is None or hit[0] <= self.clock():
            return None
        return hit[1]

    def put(self, kind: str, ident: str, value: Any) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # bounded; a full reset is cheap and rare
        self._entries[(kind, ident)] = (self.clock() + self.ttl, value)


class MattermostIdentities:
    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None, cache: IdentityCache | None = None) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=timeout, transport=transport,
                                   headers={"Authorization": f"Bearer {token}"})
        self.cache = cache or IdentityCache()
        #: what this run used (its snapshot), whether asked now or taken from the cache
        self._users: dict[str, User] = {}
        self._channels: dict[str, ChannelMeta] = {}
        self._teams: dict[str, Team] = {}
        self._members: dict[str, list[str]] = {}
        self._hooks: dict[str, Hook] = {}

    def close(self) -> None:
        self.client.close()

    def _get(self, kind: str, ident: str) -> Mapping[str, Any]:
        if not MATTERMOST_ID.fullmatch(ident):
            raise IdentityError(f"{kind} id is not a Mattermost id")
        try:
            path = f"/api/v4/{kind}{ident}" if kind.endswith("/") else f"/api/v4/{kind}s/{ident}"
            r = self.client.get(path)
        except httpx.HTTPError as exc:
            raise IdentityError(f"Mattermost unreachable resolving a {kind}: {type(exc).__name__}") from exc
        if r.status_code != 200:
            raise IdentityError(f"Mattermost answered {r.status_code} resolving a {kind}")
        body = r.json()
        if not isinstance(body, dict):
            raise IdentityError(f"Mattermost answered a non-object resolving a {kind}")
        return body

    def user(self, user_id: str) -> User:
        if user_id not in self._users:
            u = self.cache.get("user", user_id)
            if u is None:
                b = self._get("user", user_id)
                u = User(user_id, str(b.get("username", "")), str(b.get("email", "")), bool(b.get("is_bot", False)))
                self.cache.put("user", user_id, u)
            self._users[user_id] = u
        return self._users[user_id]

    def channel(self, channel_id: str) -> ChannelMeta:
        if channel_id not in self._channels:
            c = self.cache.get("channel", channel_id)
            if c is None:
                b = self._get("channel", channel_id)
                c = ChannelMeta(channel_id, str(b.get("name", "")), str(b.get("display_name", "")),
                                str(b.get("type", "")), str(b.get("team_id", "")))
                self.cache.put("channel", channel_id, c)
            self._channels[channel_id] = c
        return self._channels[channel_id]

    def team(self, team_id: str) -> Team:
        if team_id not in self._teams:
            t = self.cache.get("team", team_id)
            if t is None:
                b = self._get("team", team_id)
                t = Team(team_id, str(b.get("name", "")), str(b.get("display_name", "")))
                self.cache.put("team", team_id, t)
            self._teams[team_id] = t
        return self._teams[team_id]

    def hook(self, hook_id: str) -> Hook:
        """GET /api/v4/hooks/incoming/{id}: who an incoming webhook posts as, and where."""
        if hook_id not in self._hooks:
            h = self.cache.get("hook", hook_id)
            if h is None:
                b = self._get("hooks/incoming/", hook_id)
                h = Hook(hook_id, str(b.get("user_id", "")), str(b.get("channel_id", "")))
                self.cache.put("hook", hook_id, h)
            self._hooks[hook_id] = h
        return self._hooks[hook_id]

    def members(self, channel_id: str) -> list[str]:
        """A group channel's member ids: GET /api/v4/channels/{id}/members, 200 a page."""
        if channel_id not in self._members and (hit := self.cache.get("members", channel_id)) is not None:
            self._members[channel_id] = hit
        if channel_id not in self._members:
            if not MATTERMOST_ID.fullmatch(channel_id):
                raise IdentityError("channel id is not a Mattermost id")
            out: list[str] = []
            for page in range(100):  # a group message has at most 8 members; bounded anyway
                try:
                    r = self.client.get(f"/api/v4/channels/{channel_id}/members",
                                        params={"page": page, "per_page": 200})
                except httpx.HTTPError as exc:
                    raise IdentityError(f"Mattermost unreachable listing members: {type(exc).__name__}") from exc
                body = r.json() if r.status_code == 200 else None
                if not isinstance(body, list):
                    raise IdentityError(f"Mattermost answered {r.status_code} listing channel members")
                out += [str(m.get("user_id")) for m in body if isinstance(m, dict) and MATTERMOST_ID.fullmatch(str(m.get("user_id")))]
                if len(body) < 200:
                    break
            self._members[channel_id] = sorted(set(out))
            self.cache.put("members", channel_id, self._members[channel_id])
        return self._members[channel_id]

    def me(self) -> User:
        """The token's own account: the gateway's bot, which signs the DLP notices."""
        cached = self.cache.get("me", "")
        if isinstance(cached, User):
            self._users[cached.id] = cached
            self._me = cached.id
            return cached
        try:
            r = self.client.get("/api/v4/users/me")
        except httpx.HTTPError as exc:
            raise IdentityError(f"Mattermost unreachable resolving the export account: {type(exc).__name__}") from exc
        b = r.json() if r.status_code == 200 else None
        if not isinstance(b, dict) or not MATTERMOST_ID.fullmatch(str(b.get("id", ""))):
            raise IdentityError(f"Mattermost answered {r.status_code} resolving the export account")
        u = User(str(b["id"]), str(b.get("username", "")), str(b.get("email", "")), bool(b.get("is_bot", False)))
        self._users[u.id] = u
        self._me = u.id
        self.cache.put("me", "", u)
        return u

    def snapshot(self) -> dict[str, Any]:
        return {
            "me": getattr(self, "_me", None),
            "users": {k: asdict(v) for k, v in sorted(self._users.items())},
            "channels": {k: asdict(v) for k, v in sorted(self._channels.items())},
            "teams": {k: asdict(v) for k, v in sorted(self._teams.items())},
            "members": dict(sorted(self._members.items())),
            "hooks": {k: asdict(v) for k, v in sorted(self._hooks.items())},
        }


class StaticIdentities:
    """A snapshot (``MattermostIdentities.snapshot()``, kept in each export's manifest)."""

    def __init__(self, snap: Mapping[str, Any]) -> None:
        self.users = {k: User(**v) for k, v in (snap.get("users") or {}).items()}
        self.channels = {k: ChannelMeta(**v) for k, v in (snap.get("channels") or {}).items()}
        self.teams = {k: Team(**v) for k, v in (snap.get("teams") or {}).items()}
        self._me = snap.get("me")
        self._members: dict[str, list[str]] = {k: list(v) for k, v in (snap.get("members") or {}).items()}
        self.hooks = {k: Hook(**v) for k, v in (snap.get("hooks") or {}).items()}

    def hook(self, hook_id: str) -> Hook:
        try:
            return self.hooks[hook_id]
        except KeyError:
            raise IdentityError("webhook not in the identity snapshot") from None

    def members(self, channel_id: str) -> list[str]:
        try:
            return self._members[channel_id]
        except KeyError:
            raise IdentityError("channel members not in the identity snapshot") from None

    def me(self) -> User:
        if not isinstance(self._me, str):
            raise IdentityError("the identity snapshot names no export account")
        return self.user(self._me)

    def user(self, user_id: str) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise IdentityError("user not in the identity snapshot") from None

    def channel(self, channel_id: str) -> ChannelMeta:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise IdentityError("channel not in the identity snapshot") from None

    def team(self, team_id: str) -> Team:
        try:
            return self.teams[team_id]
        except KeyError:
            raise IdentityError("team not in the identity snapshot") from None

    def snapshot(self) -> dict[str, Any]:
        return {
            "me": self._me,
            "users": {k: asdict(v) for k, v in sorted(self.users.items())},
            "channels": {k: asdict(v) for k, v in sorted(self.channels.items())},
            "teams": {k: asdict(v) for k, v in sorted(self.teams.items())},
            "members": dict(sorted(self._members.items())),
            "hooks": {k: asdict(v) for k, v in sorted(self.hooks.items())},
        }
