"""Sign-in, sessions, CSRF, rate limits and API tokens of the reviewer console.

Who may do what comes only from sources a user cannot assign to themselves
(docs/quarantine.md, "Where console roles come from"):

- Mattermost system roles (``users/me`` ``roles``, e.g. ``system_admin``, or a
  custom system role an administrator assigns);
- groups Mattermost *syncs* from a directory: ``source`` ``ldap`` (AD/LDAP group
  sync) or ``plugin_*`` (a group-sync plugin, e.g. SAML/Keycloak), matched by
  configured name or id.  Custom groups (``source`` ``custom``) never count, by
  name or by id: any user may create one (api4/group.go createGroup accepts only
  ``source: custom``) and add anyone to it (``manage_custom_group_members`` is in
  ``system_user`` by default, app/permissions_migrations.go);
- explicitly configured Mattermost user ids.

Team membership grants nothing: ``create_team`` is also in ``system_user``, so a
team name is as self-chosen as a custom group's.

Every actor maps to a *principal*, the Mattermost user id of the person behind it
(``Actor.user_id``): a Mattermost sign-in is that user; a break-glass account and
an API token name their holder's id in their files, and a file entry without a
valid id is refused when it is loaded.  Self-approval and four-eyes compare
principals (quarantine/service.py).

Sign-in limits count what is checked: the login as the lookup normalizes it
(``normalize_login``), the resolved user id, and the client address as
``dlp_proxy.forwarding`` derives it (forwarding headers only from
``DLP_TRUSTED_PROXIES``).  Break-glass accounts have stricter limits.  Redis keys
hold keyed hashes, never a login or an address.

Nobody can lock another person out (``Authenticator.budgets``).  Failures are
counted per account *and address* (a guesser from one address locks only that
address out of that account), per account over all addresses with a limit four
times higher (distributed guessing stays bounded; from one address it is never
reached), and every attempt per address.  A browser that signed in to an account
before carries a *device cookie* for it (signed, bound to the account; OWASP's
"device cookies" against lockout): its attempts on that account are counted on that
cookie alone (and every attempt on the account's trusted browsers' shared budget,
not the address's), so a guesser anywhere -- even behind the same address -- can at
most keep *new* browsers out of an account, never the holder's own.  Windows slide,
on the injected clock.

- Reviewers sign in with their Mattermost login and password, checked by the
  upstream (POST /api/v4/users/login); the console then reads /users/me and
  /users/{id}/groups with that session token, maps them to console roles, and logs
  the Mattermost session out again: the console never keeps a Mattermost token.
- Single sign-on with OpenID Connect (review/oidc.py): the identity provider's
  ID token names the person, who is looked up in Mattermost with the lookup
  token, so the principal is the same Mattermost id; roles from a configured
  claim and from the sources above.
- Break-glass local accounts (argon2id hashes) from a JSON file, for when
  Mattermost itself is down.  Their use is archived with the person and alerts
  Compliance (review/app.py).
- Sessions live in Redis under a SHA-256 of the cookie value, with an idle and an
  absolute lifetime; each session has its own CSRF token.
- API tokens for SOAR tools are configured as SHA-256 hashes (never in clear).
  With the lookup token, a token's holder is looked up in Mattermost as a session's
  roles are (``api_actor``): deactivated or gone refuses the token, and a Mattermost
  that cannot say refuses the request.  A break-glass account refuses a holder
  Mattermost says is deactivated, and works when Mattermost cannot be asked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dlp_proxy.forwarding import CLIENT_IP_HEADERS, Network, parse_networks
from dlp_proxy.quarantine import ROLES, Actor, is_mattermost_id

if TYPE_CHECKING:
    from dlp_proxy.review.oidc import HeaderAuthSettings, OidcSettings

log = logging.getLogger(__name__)

#: Group sources Mattermost sets only when it syncs a group from a directory:
#: ``ldap`` (model.GroupSourceLdap, server/public/model/group.go) and the
#: ``plugin_`` prefix of group-sync plugins (model.GroupSourcePluginPrefix, e.g.
#: ``plugin_keycloak`` for SAML).  An entry ending in ``_`` is a prefix.
SYNCED_GROUP_SOURCES = ("ldap", "plugin_")
#: a console session's roles are read from their sources again after this many seconds;
#: an API token's holder is looked up in Mattermost again after as many
ROLE_RECHECK = 60.0
#: where an API token's roles come from (``roles_from`` in the token file): ``file``
#: (the file's roles, while the holder is an active Mattermost user) or ``mattermost``
#: (the file's roles the holder also holds now by the console's role sources)
API_ROLE_SOURCES = ("file", "mattermost")

#: sign-in failure reasons as archived (the oidc_* ones: review/oidc.py)
REASONS = ("empty", "rate_limited", "bad_credentials", "no_role", "mattermost_unavailable", "mattermost_error",
           "break_glass_file", "oidc_unavailable", "oidc_state", "oidc_error", "oidc_token", "oidc_id_token",
           "no_mattermost_user", "sso_header", "holder_deactivated")  # fmt: skip


def normalize_login(raw: str) -> str:
    """The one spelling of a login the console looks up, sends to Mattermost and
    counts failures against: NFKC, format characters (zero-width...) removed,
    surrounding whitespace stripped, lower case (Mattermost matches usernames and
    e-mail addresses case-insensitively: store/sqlstore/user_store.go GetForLogin
    compares ``Username = lower(?) OR Email = lower(?)``).  So ``" breakglass"``,
    ``"breakglass\\t"`` and ``"BreakGlass"`` are one account with one budget."""
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip().lower()


def _id_list(mapping: Mapping[str, tuple[str, ...]], what: str) -> None:
    for role, ids in mapping.items():
        for value in ids:
            if not is_mattermost_id(value):
                raise ValueError(f"review settings: {what} for role {role!r} must be Mattermost ids "
                                 f"(26 characters a-z0-9), not {value!r}")  # fmt: skip


@dataclass(frozen=True)
class ReviewSettings:
    #: console role -> names of *synced* Mattermost groups (source ldap / plugin_*) whose members get it
    role_groups: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"reviewer": ("security-reviewers",), "approver": ("security-approvers",),
                                 "auditor": ("compliance-auditors",)})  # fmt: skip
    #: console role -> ids of synced Mattermost groups whose members get it
    role_group_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: console role -> Mattermost user ids that get it
    role_user_ids: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: console role -> Mattermost system roles (e.g. system_admin) that get it
    role_system_roles: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"admin": ("system_admin",)})
    #: group sources that count (see SYNCED_GROUP_SOURCES); "custom" is refused here
    synced_group_sources: tuple[str, ...] = SYNCED_GROUP_SOURCES
    secure_cookies: bool = True
    session_idle: float = 30 * 60.0
    session_max: float = 8 * 3600.0
    login_limit_ip: int = 20  # sign-in attempts per client address per window
    login_limit_user: int = 5  # failed sign-ins per login (and user id) and address, per window
    #: failed sign-ins per login (and user id) from all addresses without a device cookie, per window
    login_limit_account: int = 20
    login_window: float = 300.0
    login_limit_break_glass: int = 3  # failed sign-ins per break-glass account and address per break_glass_window
    login_limit_break_glass_account: int = 10  # ... from all addresses without a device cookie
    break_glass_window: float = 3600.0
    #: lifetime of the device cookie a browser gets for an account it signed in to
    device_ttl: float = 90 * 86400.0
    break_glass_file: Path | None = None
    #: sha256(token) hex -> {"name": ..., "roles": [...], "user_id": <holder's Mattermost id>}
    api_tokens: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: DLP_TRUSTED_PROXIES: peers whose X-Forwarded-For / X-Real-IP are believed
    trusted_proxies: tuple[str, ...] = ()
    #: DLP_CLIENT_IP_HEADER: the header of a trusted proxy that names the client (dlp_proxy/forwarding.py)
    client_ip_header: str = "x-forwarded-for"
    #: channel that receives break-glass alerts (posted with the notify token)
    alert_channel_id: str | None = None
    #: token used to resolve a login to its user id (GET /users/username|email/...) and to post alerts
    lookup_token: str | None = None
    #: key of the keyed hashes of logins, addresses and ids (Redis keys, archive)
    hash_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    redis_prefix: str = "dlp:review"
    mattermost_timeout: float = 10.0
    #: OpenID Connect sign-in (review/oidc.py); None: not offered
    oidc: OidcSettings | None = None
    #: identity headers of the firm's SSO proxy (review/oidc.py HeaderSignIn), believed only from trusted_proxies
    sso_header: HeaderAuthSettings | None = None

    def __post_init__(self) -> None:
        for mapping in (self.role_groups, self.role_group_ids, self.role_user_ids, self.role_system_roles):
            for role in mapping:
                if role not in ROLES:
                    raise ValueError(f"review settings: unknown role {role!r} (roles: {', '.join(ROLES)})")
        _id_list(self.role_group_ids, "group ids")
        _id_list(self.role_user_ids, "user ids")
        if "custom" in self.synced_group_sources:
            raise ValueError("review settings: custom groups can never grant a console role (any user can join one)")
        for digest, info in self.api_tokens.items():
            if not is_mattermost_id(info.get("user_id")):
                raise ValueError(f"review settings: API token {info.get('name', digest[:8])!r} needs user_id, "
                                 "the Mattermost user id of the person who holds it")  # fmt: skip
            if info.get("roles_from", "file") not in API_ROLE_SOURCES:
                raise ValueError(f"review settings: API token {info.get('name', digest[:8])!r}: roles_from must be "
                                 f"one of {', '.join(API_ROLE_SOURCES)}")  # fmt: skip
        if self.alert_channel_id is not None and not is_mattermost_id(self.alert_channel_id):
            raise ValueError("review settings: alert_channel_id must be a Mattermost channel id")
        parse_networks(self.trusted_proxies)
        if self.client_ip_header not in CLIENT_IP_HEADERS:
            raise ValueError(f"review settings: client_ip_header must be one of {', '.join(CLIENT_IP_HEADERS)}")
        if self.sso_header is not None and not self.trusted_proxies:
            raise ValueError("review settings: an SSO identity header needs DLP_TRUSTED_PROXIES (the SSO proxy's "
                             "address): from anyone else it is not believed")  # fmt: skip

    @property
    def networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)


class HolderUnavailable(Exception):
    """Mattermost could not say whether an API token's holder is still allowed: the
    request is refused (503), never let through."""


class HolderRefused(Exception):
    """An API token whose holder is deactivated or gone in Mattermost, or no longer
    holds a role the token needs (403)."""


class SignInError(Exception):
    """Shown to the person signing in (never says which half was wrong);
    ``reason`` (one of REASONS) is what the archive records."""

    def __init__(self, message: str, reason: str = "bad_credentials") -> None:
        super().__init__(message)
        self.reason = reason
        self.user_id: str | None = None  # the resolved principal, when known
        self.break_glass = False
        self.locked = False  # this failure used up a budget (the account is locked for its window)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_api_tokens(path: Path) -> dict[str, dict[str, Any]]:
    """``{"tokens": [{"name": "soar", "sha256": "...", "roles": ["approver"],
    "user_id": "<Mattermost id of the person who holds the token>",
    "roles_from": "file"}]}`` (``roles_from``: ``API_ROLE_SOURCES``, default ``file``)"""
    data = json.loads(path.read_text())
    out: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(data.get("tokens", [])):
        roles = [r for r in t.get("roles", []) if r in ROLES]
        if not t.get("sha256") or not roles:
            raise ValueError(f"{path}: tokens[{i}] needs sha256 and at least one known role")
        if not is_mattermost_id(t.get("user_id")):
            raise ValueError(f"{path}: tokens[{i}] needs user_id, the 26-character Mattermost user id "
                             "of the person who holds the token")  # fmt: skip
        source = t.get("roles_from", "file")
        if source not in API_ROLE_SOURCES:
            raise ValueError(f"{path}: tokens[{i}] roles_from must be one of {', '.join(API_ROLE_SOURCES)}")
        out[str(t["sha256"])] = {"name": str(t.get("name", f"token{i}")), "roles": roles, "user_id": t["user_id"],
                                 "roles_from": source}  # fmt: skip
    return out


@dataclass(frozen=True)
class BreakGlassAccount:
    username: str  # normalized (normalize_login)
    argon2: str
    roles: frozenset[str]
    user_id: str  # the principal: Mattermost user id of the person who holds the account


def load_break_glass(path: Path) -> dict[str, BreakGlassAccount]:
    """``{"accounts": [{"username": "bg-carol", "argon2": "$argon2id$...",
    "roles": ["admin"], "user_id": "<carol's Mattermost id>"}]}``.  Any entry
    without a valid holder id, hash or username is refused with a one-line
    ValueError naming it; so is a username that two entries normalize alike."""
    data = json.loads(path.read_text())
    out: dict[str, BreakGlassAccount] = {}
    for i, a in enumerate(data.get("accounts", []) if isinstance(data, dict) else []):
        if not isinstance(a, dict):
            raise ValueError(f"{path}: accounts[{i}] is not an object")
        name = normalize_login(str(a.get("username", "")))
        if not name or not str(a.get("argon2", "")).startswith("$argon2"):
            raise ValueError(f"{path}: accounts[{i}] needs username and argon2 (dlp-proxy review-hash-password)")
        if not is_mattermost_id(a.get("user_id")):
            raise ValueError(f"{path}: accounts[{i}] ({name}) needs user_id, the 26-character Mattermost user id "
                             "of the person who holds it")  # fmt: skip
        if name in out:
            raise ValueError(f"{path}: accounts[{i}] ({name}) repeats an earlier username")
        roles = frozenset(r for r in a.get("roles", ["admin"]) if r in ROLES)
        out[name] = BreakGlassAccount(name, str(a["argon2"]), roles, str(a["user_id"]))
    return out


def hash_password(password: str) -> str:
    return PasswordHasher().hash(password)


def keyed(key: bytes, kind: str, value: str) -> str:
    """Keyed hash of a login, address or id (for Redis keys and the archive)."""
    return hmac.new(key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()[:32]


#: Sliding-window budgets, one sorted set each (score: the time of a try on the
#: injected clock).  KEYS: the budgets; ARGV: now, this try's member, their limits,
#: then their windows (seconds).  -1: a budget is used up (nothing spent); else every
#: budget spent once, and 1 when one of them is now exactly at its limit.
_RESERVE = """
local n = #KEYS
local now = tonumber(ARGV[1])
for i = 1, n do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - tonumber(ARGV[2 + n + i]))
  if redis.call('ZCARD', KEYS[i]) >= tonumber(ARGV[2 + i]) then return -1 end
end
local last = 0
for i = 1, n do
  redis.call('ZADD', KEYS[i], now, ARGV[2])
  redis.call('EXPIRE', KEYS[i], math.ceil(tonumber(ARGV[2 + n + i])) + 60)
  if redis.call('ZCARD', KEYS[i]) == tonumber(ARGV[2 + i]) then last = 1 end
end
return last
"""


@dataclass(frozen=True)
class Spent:
    """The tries one sign-in spent (given back on success) and whether this try is
    the last a budget allows (its failure locks that budget for its window)."""

    keys: list[str]
    member: str
    last: bool


class Authenticator:
    def __init__(self, r: aioredis.Redis, upstream_url: str, settings: ReviewSettings,
                 http: httpx.AsyncClient | None = None, *, clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.r = r
        self.clock = clock
        self.upstream = upstream_url.rstrip("/")
        self.s = settings
        self._http = http or httpx.AsyncClient(timeout=settings.mattermost_timeout)
        self._hasher = PasswordHasher()
        self._reserve = r.register_script(_RESERVE) if r is not None else None
        if self._break_glass() and not (settings.alert_channel_id and settings.lookup_token):
            # break-glass use is archived either way; Compliance hears of it only through the
            # alert channel (insider attack of 2026-12-07 night, F5: the shipped policy has none)
            log.warning("break-glass accounts are configured but their use alerts no one: set the policy's "
                        "alert_channel_id and DLP_NOTIFY_TOKEN")
        #: user id -> the Mattermost sources of a password sign-in's roles, until its session is made
        self._sources: dict[str, dict[str, Any]] = {}
        #: token digest -> (checked at, the actor or why it is refused): API holders are
        #: looked up again after ROLE_RECHECK seconds
        self._api_checked: dict[str, tuple[float, Actor | str]] = {}

    def _k(self, *parts: str) -> str:
        return ":".join((self.s.redis_prefix, *parts))

    def hashed(self, kind: str, value: str) -> str:
        return keyed(self.s.hash_key, kind, value)

    # ------------------------------------------------------------ rate limits
    def budgets(self, login: str, user_id: str | None, ip: str, *, break_glass: bool,
                device: str | None = None) -> list[tuple[str, int, float]]:  # fmt: skip
        """(key, limit, window) of every failure budget a sign-in spends.

        With a valid device cookie for this account (``device``, its nonce): that
        cookie's own budget only.  Without: per account (the normalized login and
        the user id it resolves to) and address, and per account from every address
        (``login_limit_account``: four times the per-address limit by default, so one
        address never reaches it)."""
        s = self.s
        limit, window = (s.login_limit_break_glass, s.break_glass_window) if break_glass else \
            (s.login_limit_user, s.login_window)  # fmt: skip
        if device:
            return [(self._k("rl", "dev", self.hashed("device", device)), limit, window)]
        wide = s.login_limit_break_glass_account if break_glass else s.login_limit_account
        where = self.hashed("ip", ip)
        out: list[tuple[str, int, float]] = []
        accounts = [("bg" if break_glass else "login", self.hashed("login", login), limit, wide, window)]
        if user_id:
            accounts.append(("uid", self.hashed("uid", user_id), s.login_limit_user, s.login_limit_account,
                             s.login_window))  # fmt: skip
        for kind, h, lim, wide_lim, win in accounts:
            out.append((self._k("rl", kind, h, "ip", where), lim, win))
            out.append((self._k("rl", kind, h), wide_lim, win))
        return out

    async def _spend(self, budgets: list[tuple[str, int, float]]) -> Spent:
        """Spend one try of every budget in one atomic step, or raise rate_limited
        spending nothing once one is used up."""
        keys = [k for k, _, _ in budgets]
        member = f"{self.clock()!r}:{secrets.token_hex(6)}"
        args = [repr(self.clock()), member, *(str(limit) for _, limit, _ in budgets),
                *(repr(float(window)) for _, _, window in budgets)]  # fmt: skip
        res = int(await self._reserve(keys=keys, args=args))
        if res < 0:
            raise SignInError("Too many sign-in attempts. Wait a few minutes and try again.", "rate_limited")
        return Spent(keys, member, res == 1)

    async def check_ip(self, ip: str) -> None:
        """Every attempt spends the address's budget, before any other work."""
        await self._spend([(self._k("rl", "ip", self.hashed("ip", ip)), self.s.login_limit_ip, self.s.login_window)])

    async def reserve(self, login: str, user_id: str | None = None, *, ip: str = "", break_glass: bool = False,
                      device: str | None = None) -> Spent:  # fmt: skip
        """Spend one try of every failure budget *before* the password is checked,
        in one atomic step (so parallel guesses cannot all pass a check made before
        any of them failed); refuse, spending nothing, once a budget is used up.
        ``release`` gives the tries back when the sign-in succeeds."""
        return await self._spend(self.budgets(login, user_id, ip, break_glass=break_glass, device=device))

    async def release(self, spent: Spent) -> None:
        for key in spent.keys:
            await self.r.zrem(key, spent.member)

    # ------------------------------------------------------------ device cookies
    def device_cookie_name(self, login: str) -> str:
        """One cookie per account a browser signed in to (the name reveals nothing)."""
        return "dlp_review_device_" + self.hashed("device-name", login)[:16]

    def _device_mac(self, login: str, nonce: str, expires: str) -> str:
        return hmac.new(self.s.hash_key, "\x00".join(("device", login, nonce, expires)).encode(),
                        hashlib.sha256).hexdigest()  # fmt: skip

    def mint_device(self, login: str) -> str:
        """A device cookie for ``login`` (normalized), given after a sign-in succeeded."""
        nonce = secrets.token_urlsafe(18)
        expires = str(int(self.clock() + self.s.device_ttl))
        return f"{nonce}.{expires}.{self._device_mac(login, nonce, expires)}"

    def device_nonce(self, login: str, value: str | None) -> str | None:
        """The nonce of a valid, unexpired device cookie for ``login``, else None."""
        parts = (value or "").split(".")
        if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) < self.clock():
            return None
        if not hmac.compare_digest(parts[2], self._device_mac(login, parts[0], parts[1])):
            return None
        return parts[0]

    # ------------------------------------------------------------ sign-in
    def _break_glass(self) -> dict[str, BreakGlassAccount]:
        if self.s.break_glass_file is None or not self.s.break_glass_file.exists():
            return {}
        return load_break_glass(self.s.break_glass_file)

    def break_glass_account(self, login: str) -> BreakGlassAccount | None:
        try:
            return self._break_glass().get(login)
        except (OSError, ValueError) as exc:  # edited into something invalid since the start: fail closed
            raise SignInError("Break-glass accounts are misconfigured; ask an administrator.",
                              "break_glass_file") from exc  # fmt: skip

    async def resolve_user_id(self, login: str) -> str | None:
        """The Mattermost user id a login names (GET /api/v4/users/username/{u} or
        /users/email/{e}, server/channels/api4/user.go, with the lookup token), so
        an account's failures are counted once however it is spelled.  None when
        no lookup token is configured or Mattermost does not say."""
        if not self.s.lookup_token or not login:
            return None
        path = f"/api/v4/users/email/{quote(login, safe='')}" if "@" in login else \
            f"/api/v4/users/username/{quote(login, safe='')}"  # fmt: skip
        try:
            resp = await self._http.get(self.upstream + path,
                                        headers={"Authorization": f"Bearer {self.s.lookup_token}"})  # fmt: skip
            uid = resp.json().get("id") if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError, AttributeError):
            return None
        return uid if is_mattermost_id(uid) else None

    async def attempt(self, login_id: str, password: str, ip: str,
                      devices: Mapping[str, str] | None = None) -> Actor:  # fmt: skip
        """One sign-in with its limits: returns the actor, or raises SignInError
        (its ``reason``, ``user_id`` and ``break_glass`` say what to archive).
        ``devices``: the request's cookies; a valid device cookie for this login
        puts the attempt on that cookie's budget alone (``budgets``)."""
        login = normalize_login(login_id)
        local: BreakGlassAccount | None = None
        uid: str | None = None
        try:
            device = self.device_nonce(login, (devices or {}).get(self.device_cookie_name(login))) if login else None
            if device is None:
                await self.check_ip(ip)
            else:
                # the address's budget is not this browser's to share with whoever else is
                # behind it; the account's own trusted browsers share one instead (a holder
                # who signs in again and again costs Mattermost no more than an address may)
                await self._spend([(self._k("rl", "trusted", self.hashed("login", login)), self.s.login_limit_ip,
                                    self.s.login_window)])  # fmt: skip
            if not login or not password:
                raise SignInError("Enter your Mattermost username and password.", "empty")
            local = self.break_glass_account(login)
            uid = local.user_id if local is not None else await self.resolve_user_id(login)
            spent = await self.reserve(login, uid, ip=ip, break_glass=local is not None, device=device)
            try:
                if local is not None:
                    actor = self._verify_break_glass(local, password)
                    if await self.holder_deactivated(local.user_id):
                        raise SignInError("The person who holds this break-glass account is deactivated in "
                                          "Mattermost; it cannot be used.", "holder_deactivated")  # fmt: skip
                else:
                    actor = await self._mattermost(login, password)
            except SignInError as exc:  # the reserved tries stay spent: they are this failure
                exc.locked = spent.last
                raise
            await self.release(spent)
            return actor
        except SignInError as exc:
            exc.user_id, exc.break_glass = uid, local is not None
            raise

    def _verify_break_glass(self, local: BreakGlassAccount, password: str) -> Actor:
        try:
            self._hasher.verify(local.argon2, password)
        except (VerificationError, InvalidHashError) as exc:
            raise SignInError("Sign-in failed: wrong username or password.") from exc
        return Actor(local.username, local.roles, user_id=local.user_id, via="break-glass")

    def roles_for(self, user_id: str, system_roles: set[str], groups: list[Any]) -> set[str]:
        """Console roles from the sources a user cannot give themselves (module doc)."""
        synced_names: set[str] = set()
        synced_ids: set[str] = set()
        for g in groups:
            if not isinstance(g, dict) or g.get("delete_at"):
                continue
            source = str(g.get("source", ""))
            if not any(source.startswith(s) and len(source) > len(s) if s.endswith("_") else source == s
                       for s in self.s.synced_group_sources):  # fmt: skip
                continue  # custom (or unknown) groups never count
            if is_mattermost_id(g.get("id")):
                synced_ids.add(str(g["id"]))
            if isinstance(g.get("name"), str) and g["name"]:
                synced_names.add(g["name"])
        roles: set[str] = set()
        for role in ROLES:
            if synced_names & set(self.s.role_groups.get(role, ())):
                roles.add(role)
            if synced_ids & set(self.s.role_group_ids.get(role, ())):
                roles.add(role)
            if user_id in self.s.role_user_ids.get(role, ()):
                roles.add(role)
            if system_roles & set(self.s.role_system_roles.get(role, ())):
                roles.add(role)
        return roles

    async def _mattermost(self, login_id: str, password: str) -> Actor:
        try:
            resp = await self._http.post(self.upstream + "/api/v4/users/login",
                                         json={"login_id": login_id, "password": password})  # fmt: skip
        except httpx.HTTPError as exc:
            raise SignInError("Mattermost is not reachable; use a break-glass account if this persists.",
                              "mattermost_unavailable") from exc  # fmt: skip
        token = resp.headers.get("token", "")
        if resp.status_code != 200 or not token:
            raise SignInError("Sign-in failed: wrong username or password.")
        auth = {"Authorization": f"Bearer {token}"}
        try:
            me = (await self._http.get(self.upstream + "/api/v4/users/me", headers=auth)).json()
            uid = str(me["id"])
            if not is_mattermost_id(uid):
                raise ValueError("not a Mattermost id")
            # Without the LDAP-groups license Mattermost answers 403 here; only the
            # other sources count then.  Non-referenceable synced groups are left out
            # for users without sysconsole_read_user_management_groups
            # (api4/group.go getGroupsByUserId): configure the groups as mentionable.
            groups_resp = await self._http.get(self.upstream + f"/api/v4/users/{uid}/groups", headers=auth)
            groups = groups_resp.json() if groups_resp.status_code == 200 else []
            if not isinstance(groups, list):
                groups = []
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise SignInError("Mattermost did not say who you are; try again.", "mattermost_error") from exc
        finally:
            try:
                await self._http.post(self.upstream + "/api/v4/users/logout", headers=auth)
            except httpx.HTTPError:
                pass
        system_roles = set(str(me.get("roles", "")).split())
        roles = self.roles_for(uid, system_roles, groups)
        if not roles:
            raise SignInError("Your Mattermost account has no security review role.", "no_role")
        self._sources[uid] = self._sources_of(system_roles, groups)
        return Actor(str(me.get("username", login_id)), frozenset(roles), user_id=uid, via="console")

    # ------------------------------------------------------------ sessions
    async def create_session(self, actor: Actor) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        data = {"actor": actor.to_json(), "csrf": secrets.token_urlsafe(32), "created": now,
                "roles_at": self.clock()}  # fmt: skip
        sources = self._sources.pop(actor.user_id or "", None)
        if actor.via == "console" and sources is not None:
            data["sources"] = sources
        await self.r.set(self._k("session", token_hash(sid)), json.dumps(data), ex=int(self.s.session_idle))
        return sid

    async def session(self, sid: str | None) -> tuple[Actor, str] | None:
        if not sid:
            return None
        key = self._k("session", token_hash(sid))
        raw = await self.r.get(key)
        if raw is None:
            return None
        data = json.loads(raw)
        if time.time() - float(data["created"]) > self.s.session_max:
            await self.r.delete(key)
            return None
        a = data["actor"]
        actor = Actor(a["name"], frozenset(a["roles"]), user_id=a.get("user_id"), via=a.get("via", "console"))
        if self.clock() - float(data.get("roles_at", 0.0)) >= ROLE_RECHECK:
            checked = await self.recheck(actor, data.get("sources"))
            if checked is None:  # the person lost every role (or is gone): the session ends
                await self.r.delete(key)
                return None
            data["actor"], data["roles_at"] = checked.to_json(), self.clock()
            actor = checked
            await self.r.set(key, json.dumps(data), ex=int(self.s.session_idle))
        else:
            await self.r.expire(key, int(self.s.session_idle))  # sliding idle timeout
        return actor, str(data["csrf"])

    async def recheck(self, actor: Actor, sources: Mapping[str, Any] | None = None) -> Actor | None:
        """A signed-in actor's roles as their sources grant them now (a session keeps
        what it was given at sign-in for at most ``ROLE_RECHECK`` seconds), or None
        when none is left.  A break-glass account is read from its file again.  A
        Mattermost user, with the lookup token configured, is read from Mattermost
        (``GET /users/{id}``: deactivated or gone ends the session), fail closed when
        Mattermost does not answer.  A password sign-in's roles are then worked out
        again with the console's configuration as it is now (``roles_for``) from the
        user's system roles and synced groups: read again when the token may read
        another user's groups (api4/group.go getGroupsByUserId needs manage_system),
        else as they were at sign-in (``sources``).  A single sign-on's roles (from
        its identity provider too) are kept while its Mattermost user is active."""
        if actor.via == "break-glass":
            try:
                local = self._break_glass().get(normalize_login(actor.name))
            except (OSError, ValueError):
                return None  # edited into something invalid: fail closed
            if local is None or local.user_id != actor.user_id or not local.roles:
                return None
            if await self.holder_deactivated(local.user_id):
                return None
            return Actor(local.username, local.roles, user_id=local.user_id, via=actor.via)
        uid = actor.user_id
        if uid is None or not is_mattermost_id(uid):
            return None
        system_roles = set(sources.get("roles", ())) if sources else set()
        groups: list[Any] = list(sources.get("groups", ())) if sources else []
        if self.s.lookup_token:
            auth = {"Authorization": f"Bearer {self.s.lookup_token}"}
            try:
                resp = await self._http.get(self.upstream + f"/api/v4/users/{uid}", headers=auth)
                user = resp.json() if resp.status_code == 200 else None
                if not isinstance(user, dict) or user.get("delete_at"):
                    return None
                system_roles = set(str(user.get("roles", "")).split())
                if actor.via == "console":
                    groups_resp = await self._http.get(self.upstream + f"/api/v4/users/{uid}/groups", headers=auth)
                    fresh = groups_resp.json() if groups_resp.status_code == 200 else None
                    if isinstance(fresh, list):
                        groups = fresh
            except (httpx.HTTPError, ValueError):
                return None
        roles = set(self.roles_for(uid, system_roles, groups)) if actor.via == "console" else set(actor.roles)
        return Actor(actor.name, frozenset(roles), user_id=uid, via=actor.via) if roles else None

    def _sources_of(self, system_roles: set[str], groups: list[Any]) -> dict[str, Any]:
        """What a password sign-in's roles were worked out from, as a session keeps
        it: system role names and the synced groups only (id, name, source)."""
        kept = [{k: g.get(k) for k in ("id", "name", "source")} for g in groups
                if isinstance(g, dict) and not g.get("delete_at") and self.roles_for("", set(), [g])]
        return {"roles": sorted(r for r in system_roles if r.replace("_", "").isalnum()), "groups": kept}

    async def end_session(self, sid: str | None) -> None:
        if sid:
            await self.r.delete(self._k("session", token_hash(sid)))

    async def _holder(self, uid: str) -> dict[str, Any] | None:
        """``GET /users/{uid}`` with the lookup token (api4/user.go getUser): the user
        when active; None when Mattermost says deactivated (``delete_at`` > 0: DELETE
        /users/{id} or PUT /users/{id}/active, api4/user.go deleteUser /
        updateUserActive) or gone (404).  HolderUnavailable when it does not answer
        that (unreachable, another status, a body that is not this user)."""
        auth = {"Authorization": f"Bearer {self.s.lookup_token}"}
        try:
            resp = await self._http.get(self.upstream + f"/api/v4/users/{uid}", headers=auth)
            if resp.status_code == 404:
                return None
            user = resp.json() if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            raise HolderUnavailable(f"Mattermost is not reachable ({type(exc).__name__})") from exc
        if not isinstance(user, dict) or user.get("id") != uid:
            raise HolderUnavailable(f"Mattermost did not say who the holder is (HTTP {resp.status_code})")
        return None if user.get("delete_at") else user

    async def holder_deactivated(self, uid: str) -> bool:
        """A break-glass holder's check: True only when Mattermost *answers* that the
        person is deactivated or gone.  Break-glass is for when Mattermost is down, so
        an unreachable Mattermost (or no lookup token) lets the account work, as before."""
        if not self.s.lookup_token:
            return False
        try:
            return await self._holder(uid) is None
        except HolderUnavailable:
            return False

    async def api_actor(self, authorization: str) -> Actor | None:
        """The actor of an API request's Bearer token, or None for an unknown token.
        With the lookup token configured, the holder is looked up in Mattermost (at
        most every ``ROLE_RECHECK`` seconds, as a console session is): a deactivated or
        gone holder, or one who no longer holds any of the token's roles when the
        token's ``roles_from`` is ``mattermost``, raises HolderRefused; a Mattermost
        that cannot be asked raises HolderUnavailable (fail closed)."""
        if not authorization.lower().startswith("bearer "):
            return None
        digest = token_hash(authorization[7:].strip())
        for known, info in self.s.api_tokens.items():
            if hmac.compare_digest(known, digest):
                actor = Actor(f"api:{info['name']}", frozenset(info["roles"]), user_id=str(info["user_id"]), via="api")
                if not self.s.lookup_token:
                    return actor
                return await self._api_checked_actor(known, actor, str(info.get("roles_from", "file")))
        return None

    async def _api_checked_actor(self, digest: str, actor: Actor, roles_from: str) -> Actor:
        now = self.clock()
        cached = self._api_checked.get(digest)
        if cached is None or now - cached[0] >= ROLE_RECHECK or now < cached[0]:
            uid = actor.user_id or ""
            user = await self._holder(uid)  # HolderUnavailable: nothing cached, refused now
            result: Actor | str
            if user is None:
                result = "the token's holder is deactivated or gone in Mattermost"
            elif roles_from == "mattermost":
                try:
                    resp = await self._http.get(self.upstream + f"/api/v4/users/{uid}/groups",
                                                headers={"Authorization": f"Bearer {self.s.lookup_token}"})  # fmt: skip
                    fresh = resp.json() if resp.status_code == 200 else None
                except (httpx.HTTPError, ValueError) as exc:
                    raise HolderUnavailable(f"Mattermost is not reachable ({type(exc).__name__})") from exc
                # groups the lookup token may not read (403) count as none: fewer roles, never more
                groups: list[Any] = fresh if isinstance(fresh, list) else []
                roles = actor.roles & self.roles_for(uid, set(str(user.get("roles", "")).split()), groups)
                result = (Actor(actor.name, frozenset(roles), user_id=uid, via=actor.via) if roles else
                          "the token's holder no longer holds any of its roles in Mattermost")  # fmt: skip
            else:
                result = actor
            self._api_checked[digest] = cached = (now, result)
        if isinstance(cached[1], str):
            raise HolderRefused(cached[1])
        return cached[1]

    async def alert_compliance(self, message: str) -> str:
        """Post ``message`` to the compliance alert channel (the gateway's alert
        mechanism: POST /api/v4/posts with the notify token, as
        gateway/notify.py does).  Returns how it went, for the archive; never raises."""
        if not self.s.alert_channel_id or not self.s.lookup_token:
            return "not sent: no alert channel or notify token configured"
        try:
            resp = await self._http.post(
                self.upstream + "/api/v4/posts",
                json={"channel_id": self.s.alert_channel_id, "message": message, "props": {"from_dlp_proxy": True}},
                headers={"Authorization": f"Bearer {self.s.lookup_token}"},
            )
        except httpx.HTTPError as exc:
            return f"failed: {type(exc).__name__}"
        return "sent" if resp.status_code < 300 else f"failed: HTTP {resp.status_code}"

    async def aclose(self) -> None:
        await self._http.aclose()
