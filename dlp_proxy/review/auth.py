"""Sign-in, sessions, CSRF, rate limits and API tokens of the reviewer console.

- Reviewers sign in with their Mattermost login and password, checked by the
  upstream (POST /api/v4/users/login); the console then reads /users/me,
  /users/{id}/groups and /users/{id}/teams with that session token, maps group,
  team and system-role membership to console roles, and logs the Mattermost
  session out again: the console never keeps a Mattermost token.
- Break-glass local accounts (argon2id hashes) from a JSON file, for when
  Mattermost itself is down.  Their use is archived like any sign-in.
- Sessions live in Redis under a SHA-256 of the cookie value, with an idle and an
  absolute lifetime; each session has its own CSRF token.
- API tokens for SOAR tools are configured as SHA-256 hashes (never in clear).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from dlp_proxy.quarantine import ROLES, Actor


@dataclass(frozen=True)
class ReviewSettings:
    #: console role -> Mattermost group names whose members get it
    role_groups: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {"reviewer": ("security-reviewers",), "approver": ("security-approvers",),
                                 "auditor": ("compliance-auditors",)})  # fmt: skip
    #: console role -> Mattermost team names whose members get it
    role_teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: console role -> Mattermost system roles (e.g. system_admin) that get it
    role_system_roles: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: {"admin": ("system_admin",)})
    secure_cookies: bool = True
    session_idle: float = 30 * 60.0
    session_max: float = 8 * 3600.0
    login_limit_ip: int = 20  # sign-in attempts per IP per window
    login_limit_user: int = 5  # failed sign-ins per login id per window
    login_window: float = 300.0
    break_glass_file: Path | None = None
    #: sha256(token) hex -> {"name": ..., "roles": [...]}
    api_tokens: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    redis_prefix: str = "dlp:review"
    mattermost_timeout: float = 10.0

    def __post_init__(self) -> None:
        for mapping in (self.role_groups, self.role_teams, self.role_system_roles):
            for role in mapping:
                if role not in ROLES:
                    raise ValueError(f"review settings: unknown role {role!r} (roles: {', '.join(ROLES)})")


class SignInError(Exception):
    """Shown to the person signing in (never says which half was wrong)."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_api_tokens(path: Path) -> dict[str, dict[str, Any]]:
    """``{"tokens": [{"name": "soar", "sha256": "...", "roles": ["approver"]}]}``"""
    data = json.loads(path.read_text())
    out: dict[str, dict[str, Any]] = {}
    for i, t in enumerate(data.get("tokens", [])):
        roles = [r for r in t.get("roles", []) if r in ROLES]
        if not t.get("sha256") or not roles:
            raise ValueError(f"{path}: tokens[{i}] needs sha256 and at least one known role")
        out[str(t["sha256"])] = {"name": str(t.get("name", f"token{i}")), "roles": roles}
    return out


def hash_password(password: str) -> str:
    return PasswordHasher().hash(password)


class Authenticator:
    def __init__(self, r: aioredis.Redis, upstream_url: str, settings: ReviewSettings,
                 http: httpx.AsyncClient | None = None) -> None:  # fmt: skip
        self.r = r
        self.upstream = upstream_url.rstrip("/")
        self.s = settings
        self._http = http or httpx.AsyncClient(timeout=settings.mattermost_timeout)
        self._hasher = PasswordHasher()

    def _k(self, *parts: str) -> str:
        return ":".join((self.s.redis_prefix, *parts))

    # ------------------------------------------------------------ rate limits
    async def _count(self, key: str) -> int:
        pipe = self.r.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, int(self.s.login_window), nx=True)
        n, _ = await pipe.execute()
        return int(n)

    async def check_rate(self, ip: str, login_id: str) -> None:
        ip_n = await self._count(self._k("rl", "ip", ip))
        user_n = int(await self.r.get(self._k("rl", "user", token_hash(login_id.lower()))) or 0)
        if ip_n > self.s.login_limit_ip or user_n >= self.s.login_limit_user:
            raise SignInError("Too many sign-in attempts. Wait a few minutes and try again.")

    async def failed(self, login_id: str) -> None:
        await self._count(self._k("rl", "user", token_hash(login_id.lower())))

    # ------------------------------------------------------------ sign-in
    def _break_glass(self) -> dict[str, Any]:
        if self.s.break_glass_file is None or not self.s.break_glass_file.exists():
            return {}
        data = json.loads(self.s.break_glass_file.read_text())
        return {str(a["username"]): a for a in data.get("accounts", [])}

    async def sign_in(self, login_id: str, password: str) -> Actor:
        login_id = login_id.strip()
        if not login_id or not password:
            raise SignInError("Enter your Mattermost username and password.")
        local = self._break_glass().get(login_id)
        if local is not None:
            try:
                self._hasher.verify(str(local["argon2"]), password)
            except (VerificationError, InvalidHashError) as exc:
                raise SignInError("Sign-in failed: wrong username or password.") from exc
            roles = frozenset(r for r in local.get("roles", ["admin"]) if r in ROLES)
            return Actor(login_id, roles, user_id=None, via="break-glass")
        return await self._mattermost(login_id, password)

    async def _mattermost(self, login_id: str, password: str) -> Actor:
        try:
            resp = await self._http.post(self.upstream + "/api/v4/users/login",
                                         json={"login_id": login_id, "password": password})  # fmt: skip
        except httpx.HTTPError as exc:
            raise SignInError("Mattermost is not reachable; use a break-glass account if this persists.") from exc
        token = resp.headers.get("token", "")
        if resp.status_code != 200 or not token:
            raise SignInError("Sign-in failed: wrong username or password.")
        auth = {"Authorization": f"Bearer {token}"}
        try:
            me = (await self._http.get(self.upstream + "/api/v4/users/me", headers=auth)).json()
            uid = str(me["id"])
            groups_resp = await self._http.get(self.upstream + f"/api/v4/users/{uid}/groups", headers=auth)
            teams_resp = await self._http.get(self.upstream + f"/api/v4/users/{uid}/teams", headers=auth)
            groups = {str(g.get("name")) for g in groups_resp.json()} if groups_resp.status_code == 200 else set()
            teams = {str(t.get("name")) for t in teams_resp.json()} if teams_resp.status_code == 200 else set()
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise SignInError("Mattermost did not say who you are; try again.") from exc
        finally:
            try:
                await self._http.post(self.upstream + "/api/v4/users/logout", headers=auth)
            except httpx.HTTPError:
                pass
        system_roles = set(str(me.get("roles", "")).split())
        roles = set()
        for role in ROLES:
            if groups & set(self.s.role_groups.get(role, ())):
                roles.add(role)
            if teams & set(self.s.role_teams.get(role, ())):
                roles.add(role)
            if system_roles & set(self.s.role_system_roles.get(role, ())):
                roles.add(role)
        if not roles:
            raise SignInError("Your Mattermost account is not in a security review group.")
        return Actor(str(me.get("username", login_id)), frozenset(roles), user_id=uid, via="console")

    # ------------------------------------------------------------ sessions
    async def create_session(self, actor: Actor) -> str:
        sid = secrets.token_urlsafe(32)
        now = time.time()
        data = {"actor": actor.to_json(), "csrf": secrets.token_urlsafe(32), "created": now}
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
        await self.r.expire(key, int(self.s.session_idle))  # sliding idle timeout
        a = data["actor"]
        return Actor(a["name"], frozenset(a["roles"]), user_id=a.get("user_id"), via=a.get("via", "console")), str(
            data["csrf"]
        )

    async def end_session(self, sid: str | None) -> None:
        if sid:
            await self.r.delete(self._k("session", token_hash(sid)))

    def api_actor(self, authorization: str) -> Actor | None:
        if not authorization.lower().startswith("bearer "):
            return None
        digest = token_hash(authorization[7:].strip())
        for known, info in self.s.api_tokens.items():
            if hmac.compare_digest(known, digest):
                return Actor(f"api:{info['name']}", frozenset(info["roles"]), via="api")
        return None

    async def aclose(self) -> None:
        await self._http.aclose()
