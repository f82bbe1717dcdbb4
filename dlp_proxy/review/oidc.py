"""Single sign-on for the reviewer console (docs/operations.md, "The reviewer
console"): OpenID Connect, or the identity header of the firm's SSO proxy
(``HeaderSignIn``, believed only from DLP_TRUSTED_PROXIES).

The console is an OpenID Connect *relying party* using Authlib: the
authorization-code flow with PKCE (S256), a ``state`` that is single-use, bound
to the browser that started the flow (a cookie whose hash is stored with it) and
kept in Redis for a few minutes, and a ``nonce`` that the ID token must carry.

The ID token is checked before anything in it is believed: a JWS (never JWE, never
``alg: none``) with an asymmetric algorithm the provider announces, its signature
against the provider's JWKS (fetched from the discovery document's ``jwks_uri`` at
the first sign-in, not at start-up, cached, fetched again once when a token names
a key id the cache does not hold: key rotation), ``iss`` equal to the configured
issuer, ``aud`` containing the client id (``azp`` when there are several),
``exp``/``iat``/``nbf`` with a small leeway, and the nonce.  The discovery
document's own ``issuer`` must equal the configured one (OpenID Connect
Discovery 1.0, section 4.3), and the RFC 9207 ``iss`` response parameter, when the
provider sends one, too.

Who the person is in Mattermost: one configured claim (``email`` by default, or
``preferred_username``) is looked up with the console's lookup token (the notify
bot's: GET /api/v4/users/email/{email} or /users/username/{username},
server/channels/api4/user.go), so the session's principal is the Mattermost user
id and self-approval and four-eyes keep comparing one id per person
(quarantine/service.py).  A person with no Mattermost account cannot sign in.
An e-mail claim counts only with ``email_verified: true`` (unless turned off).

Console roles: the configured role claim (e.g. ``groups``), its values mapped to
roles by ``DLP_REVIEW_OIDC_ROLE_VALUES``, joined with the Mattermost role sources
of review/auth.py (system roles, synced groups, configured ids) read with the
lookup token, unless ``DLP_REVIEW_OIDC_MATTERMOST_ROLES=0``.  No role: no access.

Every refusal is archived (``review``/``sign_in_failed`` with ``via: oidc`` and
the reason); the client secret, codes and tokens are never logged or archived,
and the subject and login only as keyed hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.jose import JsonWebKey, JsonWebToken, KeySet
from authlib.jose.errors import JoseError
from authlib.oidc.core import CodeIDToken
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from dlp_proxy.quarantine import ROLES, Actor, is_mattermost_id
from dlp_proxy.review.auth import SignInError, normalize_login

if TYPE_CHECKING:
    from dlp_proxy.review.app import Console

log = logging.getLogger("dlp_proxy.review.oidc")

#: asymmetric JWS algorithms an ID token may use (never HS*, never none)
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
FLOW_COOKIE = "dlp_review_oidc"
USER_LOOKUPS = ("email", "username")


def _secure_url(url: str, what: str) -> None:
    """https, or http to a loopback address (a provider on the same host, tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            if host == "localhost" or ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            pass
    raise ValueError(f"OIDC settings: {what} must be an https:// URL (http only to a loopback address), not {url!r}")


@dataclass(frozen=True)
class OidcSettings:
    """The console's OpenID Connect client (built from DLP_REVIEW_OIDC_*)."""

    issuer: str
    client_id: str
    redirect_url: str  # https://review.example.com/oidc/callback, registered at the provider
    client_secret: str | None = field(default=None, repr=False)  # None: a public client (PKCE only)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    #: claim holding the person's groups/roles (a dotted path for nested claims, e.g. realm_access.roles)
    role_claim: str | None = None
    #: console role -> values of the role claim that grant it
    role_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: the claim that names the person's Mattermost account, and how it is looked up
    user_claim: str = "email"
    user_lookup: str = "email"  # email | username
    require_verified_email: bool = True
    mattermost_roles: bool = True  # also grant the roles of review/auth.py's Mattermost sources
    ca_file: Path | None = None  # CA bundle of a provider with a private CA
    leeway: float = 60.0
    jwks_ttl: float = 3600.0
    flow_ttl: float = 600.0
    label: str = "single sign-on"
    timeout: float = 10.0

    def __post_init__(self) -> None:
        _secure_url(self.issuer, "the issuer")
        _secure_url(self.redirect_url, "the redirect URL")
        if not self.client_id:
            raise ValueError("OIDC settings: a client id is required")
        if "openid" not in self.scopes:
            raise ValueError("OIDC settings: the scopes must include openid")
        if self.user_lookup not in USER_LOOKUPS:
            raise ValueError(f"OIDC settings: user lookup must be one of {', '.join(USER_LOOKUPS)}")
        for role in self.role_values:
            if role not in ROLES:
                raise ValueError(f"OIDC settings: unknown role {role!r} (roles: {', '.join(ROLES)})")
        if self.role_values and not self.role_claim:
            raise ValueError("OIDC settings: role values need a role claim")
        if urlsplit(self.redirect_url).path != CALLBACK_PATH:
            raise ValueError(f"OIDC settings: the redirect URL must end in {CALLBACK_PATH} (the console's route)")


LOGIN_PATH = "/oidc/login"
CALLBACK_PATH = "/oidc/callback"
HEADER_PATH = "/sso/header"


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """``a.b`` -> claims["a"]["b"]; None when any step is missing."""
    value: Any = claims
    for step in path.split("."):
        if not isinstance(value, Mapping) or step not in value:
            return None
        value = value[step]
    return value


def claim_roles(claims: Mapping[str, Any], s: OidcSettings) -> set[str]:
    """Console roles the role claim grants (a list of strings or one string)."""
    if not s.role_claim:
        return set()
    raw = claim_at(claims, s.role_claim)
    values = {raw} if isinstance(raw, str) else {v for v in raw if isinstance(v, str)} if isinstance(raw, list) else set()
    return {role for role, wanted in s.role_values.items() if values & set(wanted)}


class OidcError(Exception):
    """The provider or its answer cannot be used (not shown to the person in detail)."""


class OidcClient:
    """Discovery, the authorization URL, the code exchange and the ID token check."""

    def __init__(self, settings: OidcSettings, *, clock: Callable[[], float] = time.time,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:  # fmt: skip
        self.s = settings
        self.clock = clock
        self._transport = transport
        self._http = httpx.AsyncClient(timeout=settings.timeout, verify=self._verify(), transport=transport)
        self._meta: dict[str, Any] | None = None
        self._meta_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0

    def _verify(self) -> Any:
        return str(self.s.ca_file) if self.s.ca_file else True

    async def _get_json(self, url: str) -> dict[str, Any]:
        try:
            resp = await self._http.get(url, headers={"Accept": "application/json"})
            data = resp.json() if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcError(f"{url}: {type(exc).__name__}") from exc
        if not isinstance(data, dict):
            raise OidcError(f"{url}: HTTP {resp.status_code}")
        return data

    async def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched on first use and kept for jwks_ttl."""
        if self._meta is not None and self.clock() - self._meta_at < self.s.jwks_ttl:
            return self._meta
        meta = await self._get_json(self.s.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if meta.get("issuer") != self.s.issuer:
            raise OidcError("the discovery document names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(meta.get(name), str):
                raise OidcError(f"the discovery document has no {name}")
            try:
                _secure_url(meta[name], name)
            except ValueError as exc:
                raise OidcError(str(exc)) from exc
        if "S256" not in meta.get("code_challenge_methods_supported", ["S256"]):
            raise OidcError("the provider does not support PKCE S256")
        self._meta, self._meta_at = meta, self.clock()
        return meta

    async def keys(self, *, refresh: bool = False) -> KeySet:
        fresh = self._keys is not None and self.clock() - self._keys_at < self.s.jwks_ttl
        if self._keys is not None and fresh and not refresh:
            return self._keys
        if refresh and self._keys is not None and self.clock() - self._keys_at < 30:
            return self._keys  # a token naming unknown keys does not make us fetch more than twice a minute
        meta = await self.metadata()
        data = await self._get_json(meta["jwks_uri"])
        try:
            keys = JsonWebKey.import_key_set(data)
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError("the provider's JWKS cannot be read") from exc
        self._keys, self._keys_at = keys, self.clock()
        return keys

    def _oauth(self, meta: Mapping[str, Any]) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.s.client_id,
            client_secret=self.s.client_secret,
            token_endpoint_auth_method="client_secret_basic" if self.s.client_secret else "none",
            scope=" ".join(self.s.scopes),
            redirect_uri=self.s.redirect_url,
            code_challenge_method="S256",
            timeout=self.s.timeout,
            verify=self._verify(),
            transport=self._transport,
        )

    async def authorization_url(self, state: str, nonce: str, verifier: str) -> str:
        meta = await self.metadata()
        async with self._oauth(meta) as oauth:
            url, _ = oauth.create_authorization_url(meta["authorization_endpoint"], state=state,
                                                    code_verifier=verifier, nonce=nonce)  # fmt: skip
        return str(url)

    async def exchange(self, code: str, verifier: str) -> dict[str, Any]:
        """The token endpoint's answer to the code (with the PKCE verifier)."""
        meta = await self.metadata()
        try:
            async with self._oauth(meta) as oauth:
                token = await oauth.fetch_token(meta["token_endpoint"], grant_type="authorization_code", code=code,
                                                code_verifier=verifier)  # fmt: skip
        except Exception as exc:  # Authlib's OAuthError, httpx errors, a non-JSON answer
            raise OidcError(f"token endpoint: {type(exc).__name__}") from exc
        if not isinstance(token, Mapping) or not isinstance(token.get("id_token"), str):
            raise OidcError("the token endpoint sent no ID token")
        return dict(token)

    async def verify_id_token(self, id_token: str, nonce: str, access_token: str | None = None) -> dict[str, Any]:
        """The ID token's claims after every check of the module doc; OidcError otherwise."""
        meta = await self.metadata()
        if id_token.count(".") != 2:
            raise OidcError("the ID token is not a signed JWT")
        try:
            header = json.loads(base64.urlsafe_b64decode(id_token.split(".")[0] + "=="))
        except ValueError as exc:
            raise OidcError("the ID token's header cannot be read") from exc
        alg = header.get("alg") if isinstance(header, dict) else None
        allowed = set(ID_TOKEN_ALGORITHMS) & set(meta.get("id_token_signing_alg_values_supported", ["RS256"]))
        if alg not in allowed:
            raise OidcError(f"the ID token's algorithm {str(alg)[:16]!r} is not accepted")
        keys = await self.keys()
        kid = header.get("kid")
        if kid is not None and not any(k.kid == kid for k in keys.keys):
            keys = await self.keys(refresh=True)  # the provider rotated its keys
        jwt = JsonWebToken([alg])
        try:
            claims = jwt.decode(
                id_token, keys, claims_cls=CodeIDToken,
                claims_options={"iss": {"essential": True, "value": self.s.issuer},
                                "aud": {"essential": True, "value": self.s.client_id},
                                "sub": {"essential": True}, "nonce": {"essential": True}},
                claims_params={"nonce": nonce, "client_id": self.s.client_id, "access_token": access_token},
            )  # fmt: skip
            claims.validate(now=int(self.clock()), leeway=int(self.s.leeway))
        except (JoseError, ValueError, TypeError) as exc:
            raise OidcError(f"the ID token was refused: {type(exc).__name__}") from exc
        out = dict(claims)
        # the same checks, spelled out: a library upgrade that loosened one would not pass silently
        aud = out.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if out.get("iss") != self.s.issuer or self.s.client_id not in auds or not isinstance(out.get("sub"), str):
            raise OidcError("the ID token is for another issuer or client")
        if not isinstance(out.get("nonce"), str) or not hmac.compare_digest(out["nonce"], nonce):
            raise OidcError("the ID token's nonce is not this sign-in's")
        if not isinstance(out.get("exp"), int | float) or out["exp"] < self.clock() - self.s.leeway:
            raise OidcError("the ID token expired")
        return out

    async def aclose(self) -> None:
        await self._http.aclose()


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class _SsoSignIn:
    """What the single sign-on ways in share: the Mattermost account behind an
    identity (the principal), its console roles, the archive records, the session."""

    via = "oidc"

    def __init__(self, console: Console) -> None:
        self.c = console

    async def _principal(self, login: str, lookup: str, granted: set[str], *, use_mattermost_roles: bool) -> Actor:
        """The Mattermost user ``login`` names (by ``lookup``: email or username),
        with ``granted`` roles joined by the Mattermost sources' when asked."""
        user = await self._mattermost_user(login, lookup)
        uid = str(user["id"])
        roles = set(granted)
        if use_mattermost_roles:
            roles |= self.c.auth.roles_for(uid, set(str(user.get("roles", "")).split()), await self._groups(uid))
        if not roles:
            exc = SignInError("Your account has no security review role.", "no_role")
            exc.user_id = uid
            raise exc
        return Actor(str(user.get("username") or login), frozenset(roles), user_id=uid, via=self.via)

    def _lookup_headers(self) -> dict[str, str]:
        token = self.c.auth.s.lookup_token
        if not token:
            raise SignInError("Single sign-on needs the notify token to find your Mattermost account.",
                              "no_mattermost_user")  # fmt: skip
        return {"Authorization": f"Bearer {token}"}

    async def _mattermost_user(self, login: str, kind: str) -> dict[str, Any]:
        if not login or len(login) > 254 or "/" in login:
            raise SignInError("Your sign-in did not say who you are in Mattermost.", "no_mattermost_user")
        path = f"/api/v4/users/{kind}/{quote(login, safe='')}"
        try:
            resp = await self.c.auth._http.get(self.c.auth.upstream + path, headers=self._lookup_headers())
            user = resp.json() if resp.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInError("Mattermost is not reachable; try again.", "mattermost_unavailable") from exc
        if not isinstance(user, dict) or not is_mattermost_id(user.get("id")) or user.get("delete_at"):
            raise SignInError("You have no active Mattermost account.", "no_mattermost_user")
        if kind == "email" and str(user.get("email", "")).lower() != login:
            raise SignInError("You have no active Mattermost account.", "no_mattermost_user")
        return user

    async def _groups(self, uid: str) -> list[Any]:
        try:
            resp = await self.c.auth._http.get(self.c.auth.upstream + f"/api/v4/users/{uid}/groups",
                                               headers=self._lookup_headers())  # fmt: skip
            groups = resp.json() if resp.status_code == 200 else []
        except (httpx.HTTPError, ValueError):
            groups = []
        return groups if isinstance(groups, list) else []

    async def _refuse(self, request: Request, ip: str, exc: SignInError, login: str = "") -> Response:
        now = time.time()
        record: dict[str, Any] = {
            "type": "review", "action": "sign_in_failed", "ts": now, "time": _fmt(now),
            "login_hash": self.c.auth.hashed("login", normalize_login(login)) if login else None,
            "client_ip": ip, "reason": exc.reason, "via": self.via,
            "user_id": exc.user_id if is_mattermost_id(exc.user_id) else None,
        }  # fmt: skip
        try:
            await self.c.q.archive.append(record)
        except Exception as err:  # the refusal stands either way
            log.error("failed sign-in could not be archived", extra={"error_type": type(err).__name__})
        resp = await self.c.login_form(request, str(exc), 429 if exc.reason == "rate_limited" else 403)
        resp.delete_cookie(FLOW_COOKIE, path="/oidc/")
        return resp

    async def _signed_in(self, actor: Actor, ip: str, extra: Mapping[str, Any]) -> Response:
        now = time.time()
        await self.c.q.archive.append({"type": "review", "action": "sign_in", "actor": actor.to_json(), "ts": now,
                                       "time": _fmt(now), "client_ip": ip, **extra})  # fmt: skip
        sid = await self.c.auth.create_session(actor)
        # A page, not a redirect: the session cookie is SameSite=Strict, and a redirect
        # that continues the provider's cross-site navigation would not carry it.
        resp = self.c.render("signed_in.html", actor=None)
        from dlp_proxy.review.app import SESSION_COOKIE

        self.c._cookie(resp, SESSION_COOKIE, sid, int(self.c.s.session_max))
        resp.delete_cookie(FLOW_COOKIE, path="/oidc/")
        return resp


class OidcSignIn(_SsoSignIn):
    """The console's /oidc/login and /oidc/callback (registered by ``routes``)."""

    def __init__(self, console: Console, settings: OidcSettings, client: OidcClient | None = None) -> None:
        super().__init__(console)
        self.s = settings
        self.client = client or OidcClient(settings)

    def _key(self, state: str) -> str:
        return self.c.auth._k("oidc", _hash(state))

    def _flow_cookie(self, resp: Response, value: str, max_age: int) -> None:
        # Lax, not Strict: the provider's redirect back is a cross-site navigation
        resp.set_cookie(FLOW_COOKIE, value, max_age=max_age, httponly=True, secure=self.c.s.secure_cookies,
                        samesite="lax", path="/oidc/")  # fmt: skip

    async def login(self, request: Request) -> Response:
        ip = self.c.client_ip(request)
        try:
            await self.c.auth.check_ip(ip)
            state, nonce, binding = (secrets.token_urlsafe(32) for _ in range(3))
            verifier = secrets.token_urlsafe(64)  # 86 characters (RFC 7636: 43-128)
            try:
                url = await self.client.authorization_url(state, nonce, verifier)
            except OidcError as exc:
                log.warning("OIDC provider unusable", extra={"error_type": type(exc.__cause__ or exc).__name__})
                raise SignInError("Single sign-on is not available right now; try again or use another way in.",
                                  "oidc_unavailable") from exc  # fmt: skip
        except SignInError as exc:
            return await self._refuse(request, ip, exc)
        flow = {"nonce": nonce, "verifier": verifier, "binding": _hash(binding)}  # no address: Redis holds none
        await self.c.auth.r.set(self._key(state), json.dumps(flow), ex=int(self.s.flow_ttl))
        resp = RedirectResponse(url, 303, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        self._flow_cookie(resp, binding, int(self.s.flow_ttl))
        return resp

    async def callback(self, request: Request) -> Response:
        ip = self.c.client_ip(request)
        p = request.query_params
        login_hint = ""
        try:
            await self.c.auth.check_ip(ip)
            state = p.get("state", "")
            raw = await self.c.auth.r.getdel(self._key(state)) if state and len(state) <= 128 else None
            if raw is None:
                raise SignInError("This sign-in expired or was not started here. Start again.", "oidc_state")
            flow = json.loads(raw)
            binding = request.cookies.get(FLOW_COOKIE, "")
            if not binding or not hmac.compare_digest(_hash(binding), str(flow["binding"])):
                raise SignInError("This sign-in was started in another browser. Start again.", "oidc_state")
            if p.get("error"):
                raise SignInError("The identity provider did not sign you in.", "oidc_error")
            if "iss" in p and p["iss"] != self.s.issuer:  # RFC 9207
                raise SignInError("The answer came from another identity provider.", "oidc_state")
            code = p.get("code", "")
            if not code or len(code) > 2048:
                raise SignInError("The identity provider sent no authorization code.", "oidc_error")
            try:
                token = await self.client.exchange(code, str(flow["verifier"]))
            except OidcError as exc:
                raise SignInError("The identity provider did not confirm the sign-in.", "oidc_token") from exc
            try:
                claims = await self.client.verify_id_token(token["id_token"], str(flow["nonce"]),
                                                           token.get("access_token"))  # fmt: skip
            except OidcError as exc:
                log.warning("OIDC ID token refused", extra={"reason": str(exc)[:120]})
                raise SignInError("The identity provider's answer failed its checks.", "oidc_id_token") from exc
            login_hint = str(claim_at(claims, self.s.user_claim) or "")
            actor = await self._actor(claims)
        except SignInError as exc:
            return await self._refuse(request, ip, exc, login_hint)
        sub_hash = self.c.auth.hashed("oidc_sub", claims["sub"])
        return await self._signed_in(actor, ip, {"oidc": {"issuer": self.s.issuer, "sub_hash": sub_hash}})

    async def _actor(self, claims: Mapping[str, Any]) -> Actor:
        """The Mattermost user behind the claims, and their console roles."""
        raw = claim_at(claims, self.s.user_claim)
        login = normalize_login(raw) if isinstance(raw, str) else ""
        if self.s.user_lookup == "email" and self.s.require_verified_email and claims.get("email_verified") is not True:
            raise SignInError("Your identity provider has not verified your e-mail address.", "no_mattermost_user")
        return await self._principal(login, self.s.user_lookup, claim_roles(claims, self.s),
                                     use_mattermost_roles=self.s.mattermost_roles)  # fmt: skip

class HeaderSignIn(_SsoSignIn):
    """Sign-in behind the firm's authenticating proxy (oauth2-proxy, Pomerium...):
    GET /sso/header believes the configured identity header (and groups header)
    only when the TCP peer is one of DLP_TRUSTED_PROXIES, maps it to the Mattermost
    account like an OIDC claim, and opens a console session."""

    via = "sso-header"

    def __init__(self, console: Console, settings: HeaderAuthSettings) -> None:
        super().__init__(console)
        self.s = settings

    async def sign_in(self, request: Request) -> Response:
        from dlp_proxy.forwarding import peer_is_trusted

        ip = self.c.client_ip(request)
        login = ""
        try:
            await self.c.auth.check_ip(ip)
            peer = request.client.host if request.client else ""
            values = request.headers.getlist(self.s.header)
            if not peer_is_trusted(peer, self.c.networks) or len(values) != 1:
                raise SignInError("Single sign-on through the firm's proxy is not available on this address.",
                                  "sso_header")  # fmt: skip
            login = normalize_login(values[0])
            granted: set[str] = set()
            if self.s.groups_header:
                # One copy or none, as for the identity header: a proxy that appends its
                # own groups header next to one the client sent would otherwise let the
                # client add any group (and with it any console role).
                copies = request.headers.getlist(self.s.groups_header)
                if len(copies) > 1:
                    raise SignInError("Single sign-on through the firm's proxy is not available on this address.",
                                      "sso_header")  # fmt: skip
                groups = {g.strip() for v in copies for g in v.split(",")}
                granted = {role for role, wanted in self.s.role_values.items() if groups & set(wanted)}
            actor = await self._principal(login, self.s.lookup, granted, use_mattermost_roles=self.s.mattermost_roles)
        except SignInError as exc:
            return await self._refuse(request, ip, exc, login)
        return await self._signed_in(actor, ip, {"sso_header": self.s.header})


@dataclass(frozen=True)
class HeaderAuthSettings:
    """Identity headers set by the firm's SSO proxy (DLP_REVIEW_SSO_*)."""

    header: str  # e.g. X-Auth-Request-Email (oauth2-proxy --set-xauthrequest)
    lookup: str = "email"  # email | username
    groups_header: str | None = None  # e.g. X-Auth-Request-Groups (comma-separated)
    role_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    mattermost_roles: bool = True
    label: str = "the firm's single sign-on"

    def __post_init__(self) -> None:
        if self.lookup not in USER_LOOKUPS:
            raise ValueError(f"SSO header settings: lookup must be one of {', '.join(USER_LOOKUPS)}")
        for role in self.role_values:
            if role not in ROLES:
                raise ValueError(f"SSO header settings: unknown role {role!r} (roles: {', '.join(ROLES)})")
        if self.role_values and not self.groups_header:
            raise ValueError("SSO header settings: role values need a groups header")


def _fmt(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


def routes(console: Console, settings: OidcSettings | None, header: HeaderAuthSettings | None = None) -> list[Route]:
    """The single sign-on routes (none when neither way is configured); the
    sign-in page shows a button for each that exists."""
    console.env.globals["oidc_label"] = settings.label if settings else None
    console.env.globals["sso_header_label"] = header.label if header else None
    out: list[Route] = []
    if settings is not None:
        flow = OidcSignIn(console, settings)
        out += [Route(LOGIN_PATH, flow.login, methods=["GET"]), Route(CALLBACK_PATH, flow.callback, methods=["GET"])]
    if header is not None:
        out.append(Route(HEADER_PATH, HeaderSignIn(console, header).sign_in, methods=["GET"]))
    return out
