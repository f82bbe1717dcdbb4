"""OpenID Connect sign-in to the reviewer console against a real provider:
panva's oidc-provider (an OpenID-certified implementation) under node, from
tests/oidc/provider.mjs, on a free port.  The console runs in uvicorn with real
Redis and the Mattermost simulator (where the person's account, system roles and
synced groups live).  Every refusal is checked to leave no session and an
archived ``sign_in_failed`` record.

The provider's test hook (POST /__test/mode) makes its token endpoint answer with
an ID token re-signed from the real one with one thing wrong (signature, issuer,
audience, nonce, expiry, ``alg: none``): what a compromised or misconfigured
provider, or a token injected by an attacker, would look like."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import redis.asyncio as aioredis

from dlp_proxy.quarantine import QuarantineService, QuarantineSettings
from dlp_proxy.review import ReviewSettings, create_app
from dlp_proxy.review.oidc import HeaderAuthSettings, OidcClient, OidcError, OidcSettings
from dlp_proxy.simulator.ids import id_from
from dlp_proxy.simulator.state import Simulator
from tests.test_quarantine_support import (
    MASK_REASONS,
    MASTER,
    RedisServer,
    ServedApp,
    free_port,
    make_held,
    redis_server,
    simulator,
)

ROOT = Path(__file__).resolve().parents[1]
PROVIDER_DIR = ROOT / "tests" / "oidc"
NODE = shutil.which("node")
CLIENT_ID = "dlp-review-console"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"

#: the provider's accounts (login -> claims); the Mattermost side is the simulator's seed
ACCOUNTS: dict[str, dict[str, Any]] = {
    # reviewer by the groups claim
    "sam": {"email": "sam@acme.example", "email_verified": True, "preferred_username": "sam", "name": "Sam",
            "groups": ["dlp-reviewers", "staff"]},
    # no groups claim, but a Mattermost system admin: admin by the Mattermost sources
    "carol": {"email": "Carol@Acme.example", "email_verified": True, "preferred_username": "carol"},
    # approver by the claim (bob has no Mattermost role of his own)
    "bob": {"email": "bob@acme.example", "email_verified": True, "preferred_username": "bob",
            "groups": ["dlp-approvers"]},
    # no role claim and no Mattermost role: no access
    "alice": {"email": "alice@acme.example", "email_verified": True, "preferred_username": "alice"},
    # a role claim, but no Mattermost account: no principal, no access
    "eve": {"email": "eve@elsewhere.example", "email_verified": True, "groups": ["dlp-approvers"]},
    # the e-mail is not verified by the provider
    "mallory": {"email": "bob@acme.example", "email_verified": False, "groups": ["dlp-approvers"]},
}  # fmt: skip

NO_PROVIDER = NODE is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir()


def uid(key: str) -> str:
    return id_from(f"user:{key}")


class Provider:
    """tests/oidc/provider.mjs on a free port."""

    def __init__(self, tmp: Path, redirect_uris: list[str]) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        cfg = tmp / "provider.json"
        cfg.write_text(json.dumps({"port": self.port, "issuer": self.issuer, "client_id": CLIENT_ID,
                                   "client_secret": CLIENT_SECRET, "redirect_uris": redirect_uris,
                                   "accounts": ACCOUNTS}))  # fmt: skip
        self.proc = subprocess.Popen([str(NODE), "provider.mjs", str(cfg)], cwd=PROVIDER_DIR,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "ready <issuer>" once listening (or EOF if it died)
        if not line.startswith("ready"):
            self.proc.kill()
            raise RuntimeError(f"the OIDC provider did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")
        # keep draining its output so it never blocks on a full pipe
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=stream.read, daemon=True).start()

    def mode(self, mode: str) -> None:
        httpx.post(self.issuer + "/__test/mode", json={"mode": mode}).raise_for_status()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class LateApp:
    """An ASGI app whose port is known before the app is built (the redirect URL names it)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


class ListArchive:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def append(self, record: Any) -> str:
        self.records.append(json.loads(json.dumps(record, default=str)))
        return f"rec-{len(self.records)}"


@dataclass
class Env:
    url: str
    provider: Provider
    sim: Simulator
    sim_url: str
    archive: ListArchive
    rs: RedisServer
    settings: OidcSettings


def oidc_settings(issuer: str, redirect: str, **kw: Any) -> OidcSettings:
    base: dict[str, Any] = {
        "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_url": redirect,
        "scopes": ("openid", "email", "profile", "groups"), "role_claim": "groups",
        "role_values": {"reviewer": ("dlp-reviewers",), "approver": ("dlp-approvers",)},
    }  # fmt: skip
    return OidcSettings(**{**base, **kw})


def serve_console(rs: RedisServer, sim_url: str, archive: ListArchive, make_oidc: Any,
                  **review: Any) -> tuple[ServedApp, LateApp, Any]:  # fmt: skip
    late = LateApp()
    served = ServedApp(late)
    settings = make_oidc(f"http://127.0.0.1:{served.port}/oidc/callback")
    svc = QuarantineService(aioredis.Redis.from_url(rs.url), master_key=MASTER, mask_text=MASK_REASONS, archive=archive,
                            upstream_url=sim_url, settings=QuarantineSettings(notify_token="dlp-bot-token"))  # fmt: skip
    late.app = create_app(svc, upstream_url=sim_url, settings=ReviewSettings(
        secure_cookies=False, lookup_token="dlp-bot-token", hash_key=b"k" * 32, login_limit_ip=10_000,
        oidc=settings, **review))  # fmt: skip
    return served, late, settings


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    if NO_PROVIDER:
        pytest.skip("node and tests/oidc/node_modules are needed (bash scripts/dev test runs npm ci there)")
    tmp = tmp_path_factory.mktemp("oidc")
    with redis_server(tmp / "redis") as rs, simulator() as (sim, sim_url):
        archive = ListArchive()
        holder: dict[str, Provider] = {}

        def make(redirect: str) -> OidcSettings:
            holder["p"] = Provider(tmp, [redirect])
            return oidc_settings(holder["p"].issuer, redirect)

        served, _late, settings = serve_console(rs, sim_url, archive, make)
        try:
            with served:
                yield Env(served.url, holder["p"], sim, sim_url, archive, rs, settings)
        finally:
            holder["p"].stop()


@pytest.fixture(autouse=True)
def _normal_provider(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "env" in request.fixturenames:
        request.getfixturevalue("env").provider.mode("")


# --------------------------------------------------------------------- helpers
def start(c: httpx.Client, env: Env) -> tuple[str, str]:
    """GET /oidc/login: (the provider's authorization URL, the state)."""
    r = c.get(env.url + "/oidc/login")
    assert r.status_code == 303, r.text
    auth_url = r.headers["location"]
    assert auth_url.startswith(env.provider.issuer + "/auth?")
    return auth_url, parse_qs(urlsplit(auth_url).query)["state"][0]


def provider_login(c: httpx.Client, env: Env, auth_url: str, login: str) -> str:
    """Sign in at the provider's login page; returns the callback URL it redirects to."""
    url = auth_url
    for _ in range(10):
        r = c.get(url)
        if r.status_code in (302, 303):
            url = urljoin(url, r.headers["location"])
            if url.startswith(env.url):
                return url
            continue
        assert r.status_code == 200, r.text
        action = re.search(r'<form[^>]*action="([^"]+)"', r.text)
        assert action, r.text
        r = c.post(urljoin(url, action.group(1)), data={"prompt": "login", "login": login, "password": "any"})
        assert r.status_code in (302, 303), r.text
        url = urljoin(url, r.headers["location"])
        if url.startswith(env.url):
            return url
    raise AssertionError("the provider never redirected back")


def sign_in(env: Env, login: str, c: httpx.Client | None = None) -> tuple[httpx.Client, httpx.Response]:
    c = c or httpx.Client(follow_redirects=False, timeout=20)
    auth_url, _ = start(c, env)
    callback = provider_login(c, env, auth_url, login)
    return c, c.get(callback)


def signed_in_as(c: httpx.Client, env: Env) -> str | None:
    """The name the queue page shows, or None when it sends us to /login."""
    r = c.get(env.url + "/")
    if r.status_code == 303:
        return None
    m = re.search(r'<div class="who">\s*<span>([^<]+)</span>', r.text)
    return m.group(1) if m else None


def last(env: Env, action: str) -> dict[str, Any]:
    return next(r for r in reversed(env.archive.records) if r.get("action") == action)


# ----------------------------------------------------------------------- tests
def test_reviewer_by_group_claim_signs_in_as_their_mattermost_principal(env: Env) -> None:
    n = len(env.archive.records)
    c, r = sign_in(env, "sam")
    assert r.status_code == 200 and 'http-equiv="refresh" content="0;url=/"' in r.text
    assert signed_in_as(c, env) == "sam"
    rec = env.archive.records[n:][-1]
    assert rec["action"] == "sign_in"
    assert rec["actor"] == {"name": "sam", "user_id": uid("sam"), "roles": ["reviewer"], "via": "oidc"}
    assert rec["oidc"]["issuer"] == env.provider.issuer and "sam" not in json.dumps(rec["oidc"])
    # the flow cookie is gone, the session cookie is SameSite=Strict and HttpOnly
    cookies = r.headers.get_list("set-cookie")
    assert any(h.startswith("dlp_review_session=") and "samesite=strict" in h.lower() and "httponly" in h.lower()
               for h in cookies)  # fmt: skip
    assert any(h.startswith("dlp_review_oidc=") and "max-age=0" in h.lower() for h in cookies)


def test_roles_from_mattermost_sources_and_email_case(env: Env) -> None:
    """carol has no role claim; she is a Mattermost system admin (admin by the
    default role_system_roles).  Her provider e-mail differs in case only."""
    c, _ = sign_in(env, "carol")
    assert signed_in_as(c, env) == "carol"
    assert last(env, "sign_in")["actor"] == {"name": "carol", "user_id": uid("carol"), "roles": ["admin"],
                                             "via": "oidc"}  # fmt: skip


def test_pkce_s256_and_nonce_are_sent_and_the_flow_is_stored_hashed(env: Env) -> None:
    c = httpx.Client(follow_redirects=False)
    auth_url, state = start(c, env)
    q = parse_qs(urlsplit(auth_url).query)
    assert q["code_challenge_method"] == ["S256"] and q["response_type"] == ["code"]
    assert q["client_id"] == [CLIENT_ID] and len(q["nonce"][0]) >= 32 and len(state) >= 32
    assert "client_secret" not in auth_url and CLIENT_SECRET not in auth_url

    async def flow() -> dict[str, Any]:
        r = aioredis.Redis.from_url(env.rs.url)
        raw = await r.get("dlp:review:oidc:" + hashlib.sha256(state.encode()).hexdigest())
        keys = [k.decode() for k in await r.keys("dlp:review:oidc:*")]
        await r.aclose()
        assert raw is not None and all(state not in k for k in keys)
        return dict(json.loads(raw))

    stored = asyncio.run(flow())
    assert set(stored) == {"nonce", "verifier", "binding"}  # no address, no state in clear
    challenge = base64.urlsafe_b64encode(hashlib.sha256(stored["verifier"].encode()).digest()).rstrip(b"=").decode()
    assert q["code_challenge"] == [challenge] and stored["nonce"] == q["nonce"][0]


@pytest.mark.parametrize("mode", ["bad_signature", "bad_issuer", "bad_audience", "bad_nonce", "expired", "alg_none"])
def test_an_id_token_that_fails_a_check_gives_no_access(env: Env, mode: str) -> None:
    env.provider.mode(mode)
    n = len(env.archive.records)
    c, r = sign_in(env, "sam")
    assert r.status_code == 403 and "failed its checks" in r.text
    assert "dlp_review_session" not in c.cookies and signed_in_as(c, env) is None
    rec = env.archive.records[n:][-1]
    assert rec["action"] == "sign_in_failed" and rec["reason"] == "oidc_id_token" and rec["via"] == "oidc"


def test_the_same_provider_token_passes_once_the_mode_is_normal(env: Env) -> None:
    """The tampering hook is what failed above, not the flow: with it off, sam gets in."""
    env.provider.mode("")
    c, r = sign_in(env, "sam")
    assert r.status_code == 200 and signed_in_as(c, env) == "sam"


def test_wrong_state_or_replayed_callback_or_other_browser_is_refused(env: Env) -> None:
    c = httpx.Client(follow_redirects=False)
    auth_url, state = start(c, env)
    callback = provider_login(c, env, auth_url, "sam")
    assert f"state={state}" in callback
    forged = callback.replace(f"state={state}", "state=" + "A" * 43)
    r = c.get(forged)
    assert r.status_code == 403 and last(env, "sign_in_failed")["reason"] == "oidc_state"
    assert signed_in_as(c, env) is None

    # the callback, carried to another browser (no flow cookie): refused, and it uses the state up
    other = httpx.Client(follow_redirects=False)
    r = other.get(callback)
    assert r.status_code == 403 and last(env, "sign_in_failed")["reason"] == "oidc_state"
    r = c.get(callback)  # the right browser, but the state is single-use
    assert r.status_code == 403 and signed_in_as(c, env) is None

    # a fresh flow in the same browser: a replay of its callback after success is refused
    c2, ok = sign_in(env, "sam")
    assert ok.status_code == 200
    replay = c2.get(str(ok.request.url))
    assert replay.status_code == 403 and last(env, "sign_in_failed")["reason"] == "oidc_state"


def test_provider_error_answer_is_refused(env: Env) -> None:
    c = httpx.Client(follow_redirects=False)
    _, state = start(c, env)
    r = c.get(env.url + f"/oidc/callback?error=access_denied&state={state}")
    assert r.status_code == 403 and last(env, "sign_in_failed")["reason"] == "oidc_error"


def test_missing_role_claim_and_no_mattermost_role_is_no_access(env: Env) -> None:
    c, r = sign_in(env, "alice")
    assert r.status_code == 403 and "no security review role" in r.text
    assert signed_in_as(c, env) is None
    rec = last(env, "sign_in_failed")
    assert rec["reason"] == "no_role" and rec["user_id"] == uid("alice") and rec["via"] == "oidc"
    assert rec["login_hash"] and "alice" not in json.dumps(rec)


@pytest.mark.parametrize("login", ["eve", "mallory"])
def test_no_matching_mattermost_account_or_unverified_email_is_no_access(env: Env, login: str) -> None:
    c, r = sign_in(env, login)
    assert r.status_code == 403 and signed_in_as(c, env) is None
    assert last(env, "sign_in_failed")["reason"] == "no_mattermost_user"


def test_an_oidc_approver_cannot_approve_their_own_message(env: Env) -> None:
    """bob is an approver by the claim; his principal is his Mattermost id, so the
    self-approval rule (quarantine/service.py) holds for a held post of his."""

    async def hold() -> str:
        r = aioredis.Redis.from_url(env.rs.url)
        q = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=env.sim_url,
                              settings=QuarantineSettings(notify_token="dlp-bot-token"))  # fmt: skip
        item = await q.hold(make_held(env.sim, sender="bob", channel="town_square", created_at=q.clock()))
        await q.close()
        await r.aclose()
        return item

    item = asyncio.run(hold())
    c, _ = sign_in(env, "bob")
    page = c.get(env.url + f"/items/{item}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf
    r = c.post(env.url + f"/items/{item}/approve", data={"csrf": csrf.group(1), "reason": "looks fine to me"})
    assert r.status_code == 403, r.text


def test_secrets_codes_and_tokens_are_never_logged_or_archived(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    n = len(env.archive.records)
    env.provider.mode("bad_signature")
    c = httpx.Client(follow_redirects=False)
    auth_url, _ = start(c, env)
    callback = provider_login(c, env, auth_url, "sam")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    c.get(callback)
    env.provider.mode("")
    sign_in(env, "sam")
    # what production logs: our loggers and Authlib's at any level, everything else
    # from WARNING (logging_setup.py keeps httpx, which logs every URL, at WARNING)
    logged = [rec.getMessage() + json.dumps(rec.__dict__, default=str) for rec in caplog.records
              if rec.name.startswith(("dlp_proxy", "authlib")) or rec.levelno >= logging.WARNING]
    assert any(rec.name.startswith("dlp_proxy.review") for rec in caplog.records)  # the refusal was logged
    text = "\n".join(logged) + json.dumps(env.archive.records[n:])
    for secret in (CLIENT_SECRET, code, "sam@acme.example"):
        assert secret not in text
    assert "eyJ" not in text  # no JWT of any kind


def test_start_up_fetches_nothing_and_an_unreachable_provider_is_a_refusal(tmp_path: Path) -> None:  # no node needed
    dead = f"http://127.0.0.1:{free_port()}"
    archive = ListArchive()
    with redis_server(tmp_path / "redis") as rs, simulator() as (_sim, sim_url):
        served, _, _ = serve_console(rs, sim_url, archive, lambda redirect: oidc_settings(dead, redirect))
        with served:  # starts although the provider is down (nothing is fetched at start-up)
            c = httpx.Client(follow_redirects=False)
            page = c.get(served.url + "/login")
            assert page.status_code == 200 and 'href="/oidc/login"' in page.text and "Password" in page.text
            r = c.get(served.url + "/oidc/login")
            assert r.status_code == 403 and "not available" in r.text
    assert archive.records[-1]["reason"] == "oidc_unavailable" and archive.records[-1]["via"] == "oidc"


def test_discovery_for_another_issuer_is_refused(env: Env) -> None:
    """The discovery document must name exactly the configured issuer."""
    port = urlsplit(env.provider.issuer).port
    other = OidcClient(oidc_settings(f"http://localhost:{port}", "http://127.0.0.1:1/oidc/callback"))

    async def go() -> None:
        try:
            with pytest.raises(OidcError, match="another issuer"):
                await other.metadata()
        finally:
            await other.aclose()

    asyncio.run(go())


def test_key_rotation_refetches_the_jwks_once(env: Env) -> None:
    """A token naming a key id the cache lacks makes one JWKS fetch, not one per token."""
    fetched: list[str] = []

    class Counting(httpx.AsyncHTTPTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            fetched.append(request.url.path)
            return await super().handle_async_request(request)

    client = OidcClient(env.settings, transport=Counting())
    header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "kid": "unknown"}).encode()).rstrip(b"=").decode()
    token = f"{header}.e30.c2ln"

    async def go() -> None:
        try:
            for _ in range(3):
                with pytest.raises(OidcError):
                    await client.verify_id_token(token, "n")
        finally:
            await client.aclose()

    asyncio.run(go())
    assert fetched.count("/jwks") == 1 and fetched.count("/.well-known/openid-configuration") == 1


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"issuer": "http://idp.example"}, "https"),
        ({"redirect_url": "https://review.example/callback"}, "/oidc/callback"),
        ({"scopes": ("email",)}, "openid"),
        ({"role_values": {"superuser": ("x",)}}, "unknown role"),
        ({"user_lookup": "id"}, "user lookup"),
    ],
)
def test_settings_are_checked(kw: dict[str, Any], match: str) -> None:
    kw = dict(kw)
    good = {"issuer": "https://idp.example", "redirect": "https://review.example/oidc/callback"}
    oidc_settings(good["issuer"], good["redirect"])  # the base is valid: each case fails for its own reason
    issuer, redirect = kw.pop("issuer", good["issuer"]), kw.pop("redirect_url", good["redirect"])
    with pytest.raises(ValueError, match=match):
        oidc_settings(issuer, redirect, **kw)


# ------------------------------------------------- behind the firm's SSO proxy
PROXY, CLIENT = "127.0.0.2", "127.0.0.3"  # the SSO proxy's address (trusted), anyone else's


def test_sso_proxy_header_is_believed_only_from_the_proxy(tmp_path: Path) -> None:
    archive = ListArchive()
    header = HeaderAuthSettings("X-Auth-Request-Email", groups_header="X-Auth-Request-Groups",
                                role_values={"approver": ("dlp-approvers",)})  # fmt: skip
    with redis_server(tmp_path / "redis") as rs, simulator() as (_sim, sim_url):
        served, _, _ = serve_console(rs, sim_url, archive, lambda redirect: None, sso_header=header,
                                     trusted_proxies=(f"{PROXY}/32",))  # fmt: skip
        with served:
            def get(source: str, path: str, **headers: str) -> tuple[httpx.Client, httpx.Response]:
                c = httpx.Client(transport=httpx.HTTPTransport(local_address=source), follow_redirects=False)
                return c, c.get(served.url + path, headers=headers)

            c, page = get(CLIENT, "/login")
            assert 'href="/sso/header"' in page.text and 'href="/oidc/login"' not in page.text

            # through the proxy: bob, approver by the groups header, principal = his Mattermost id
            c, r = get(PROXY, "/sso/header", **{"X-Auth-Request-Email": "Bob@acme.example",
                                               "X-Auth-Request-Groups": "staff,dlp-approvers"})  # fmt: skip
            assert r.status_code == 200 and 'content="0;url=/"' in r.text
            assert archive.records[-1]["actor"] == {"name": "bob", "user_id": uid("bob"), "roles": ["approver"],
                                                    "via": "sso-header"}  # fmt: skip
            assert c.get(served.url + "/").status_code == 200
            # sam: no groups header; reviewer by the synced LDAP group in Mattermost
            _, r = get(PROXY, "/sso/header", **{"X-Auth-Request-Email": "sam@acme.example"})
            assert r.status_code == 200 and archive.records[-1]["actor"]["roles"] == ["reviewer"]

            # the same header from anyone else is not believed
            c, r = get(CLIENT, "/sso/header", **{"X-Auth-Request-Email": "bob@acme.example",
                                                "X-Auth-Request-Groups": "dlp-approvers"})  # fmt: skip
            assert r.status_code == 403 and archive.records[-1]["reason"] == "sso_header"
            assert c.get(served.url + "/").status_code == 303
            # from the proxy, but two values (a client's header passed on next to the proxy's)
            _, r = get(PROXY, "/sso/header", **{"X-Auth-Request-Email": "bob@acme.example, carol@acme.example"})
            assert r.status_code == 403
            c2 = httpx.Client(transport=httpx.HTTPTransport(local_address=PROXY))
            r = c2.get(served.url + "/sso/header", headers=[("X-Auth-Request-Email", "bob@acme.example"),
                                                            ("X-Auth-Request-Email", "carol@acme.example")])
            assert r.status_code == 403 and archive.records[-1]["reason"] == "sso_header"
            # two copies of the groups header (the client's passed on next to the proxy's)
            r = c2.get(served.url + "/sso/header", headers=[("X-Auth-Request-Email", "alice@acme.example"),
                                                            ("X-Auth-Request-Groups", "staff"),
                                                            ("X-Auth-Request-Groups", "dlp-approvers")])
            assert r.status_code == 403 and archive.records[-1]["reason"] == "sso_header"
            # no Mattermost account; no role
            _, r = get(PROXY, "/sso/header", **{"X-Auth-Request-Email": "eve@elsewhere.example"})
            assert r.status_code == 403 and archive.records[-1]["reason"] == "no_mattermost_user"
            _, r = get(PROXY, "/sso/header", **{"X-Auth-Request-Email": "alice@acme.example"})
            assert r.status_code == 403 and archive.records[-1]["reason"] == "no_role"
            assert archive.records[-1]["via"] == "sso-header" and archive.records[-1]["user_id"] == uid("alice")


def test_sso_header_without_trusted_proxies_stops_the_start() -> None:
    with pytest.raises(ValueError, match="DLP_TRUSTED_PROXIES"):
        ReviewSettings(sso_header=HeaderAuthSettings("X-Auth-Request-Email"))


def test_settings_from_the_environment(tmp_path: Path) -> None:
    from dlp_proxy.settings import load_settings
    from dlp_proxy.wiring import review_settings

    secret = tmp_path / "oidc-secret"
    secret.write_text(CLIENT_SECRET + "\n")
    env = {"DLP_REVIEW_OIDC_ISSUER": "https://idp.example/realms/acme", "DLP_REVIEW_OIDC_CLIENT_ID": "dlp-review",
           "DLP_REVIEW_OIDC_CLIENT_SECRET_FILE": str(secret),
           "DLP_REVIEW_OIDC_REDIRECT_URL": "https://review.example/oidc/callback",
           "DLP_REVIEW_OIDC_ROLE_CLAIM": "realm_access.roles",
           "DLP_REVIEW_OIDC_ROLE_VALUES": "reviewer=dlp-review;approver=dlp-approve,dlp-lead"}  # fmt: skip
    rs = review_settings(load_settings(env=env), hash_key=b"k" * 32)
    assert rs.oidc is not None and rs.oidc.client_secret == CLIENT_SECRET
    assert rs.oidc.role_values == {"reviewer": ("dlp-review",), "approver": ("dlp-approve", "dlp-lead")}
    assert CLIENT_SECRET not in repr(rs)
    assert review_settings(load_settings(env={}), hash_key=b"k" * 32).oidc is None
    with pytest.raises(ValueError, match="DLP_REVIEW_OIDC_CLIENT_ID"):
        review_settings(load_settings(env={"DLP_REVIEW_OIDC_ISSUER": "https://idp.example"}), hash_key=b"k" * 32)
    claims = {"realm_access": {"roles": ["dlp-lead", "x"]}}
    from dlp_proxy.review.oidc import claim_roles

    assert claim_roles(claims, rs.oidc) == {"approver"}
    assert claim_roles({"realm_access": {"roles": "dlp-review"}}, rs.oidc) == {"reviewer"}
    assert claim_roles({"realm_access": ["dlp-review"]}, rs.oidc) == set()
