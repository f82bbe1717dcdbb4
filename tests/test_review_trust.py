"""The console's trust model over real sockets (real Redis, the Mattermost
simulator, the console in uvicorn, the real tamper-evident archive):

- roles come only from sources a user cannot give themselves: a custom group
  anyone can create, named like a review group (or configured by id), grants
  nothing; an LDAP-synced group (by name or id) and a configured user id do;
- one person, one principal: a person's Mattermost session and break-glass
  account are one approver, and neither approves that person's own message;
- sign-in limits count the normalized login, the resolved user id and the
  address a trusted proxy vouches for, nothing a client can vary for free;
- failed sign-ins and break-glass use are archived; break-glass use alerts
  Compliance.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.archive import iter_records, open_archive
from dlp_proxy.quarantine import Actor, Forbidden, QuarantineService, QuarantineSettings
from dlp_proxy.review import ReviewSettings, create_app, hash_password, token_hash
from dlp_proxy.review.auth import Authenticator, load_api_tokens, load_break_glass, normalize_login
from dlp_proxy.simulator.state import Fault, Simulator
from tests.test_quarantine_support import (
    MASK_REASONS,
    MASTER,
    Clock,
    RedisServer,
    ServedApp,
    all_posts,
    make_held,
    redis_server,
    released_posts,
    simulator,
)
from tests.test_review_app import APPROVER_TOKEN, BG_PASSWORD, make_env_settings, sign_in, uid

ARCHIVE_KEYS = {"signing_key": bytes(range(32)), "content_key": b"\x11" * 32, "hash_key": b"\x22" * 32}


@dataclass
class Env:
    sim: Simulator
    sim_url: str
    svc: QuarantineService
    url: str
    archive_dir: Path
    settings: ReviewSettings
    clock: Any = None

    def records(self, action: str | None = None) -> list[dict[str, Any]]:
        recs = [r for r in iter_records(self.archive_dir) if r.get("type") == "review"]
        return [r for r in recs if action is None or r.get("action") == action]


@pytest.fixture(scope="module")
def rserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
async def env(rserver: RedisServer, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    kw = dict(getattr(request, "param", {}))
    four_eyes = bool(kw.pop("four_eyes", False))
    clock = kw.pop("clock", None)
    client = aioredis.Redis.from_url(rserver.url)
    await client.flushall()
    archive = open_archive(tmp_path / "archive", worker_id="review", **ARCHIVE_KEYS)
    # the reason masker builds its detector on first use (16 s on a loaded machine):
    # built here, not inside a console request a 5 s client timeout is waiting for
    await asyncio.to_thread(MASK_REASONS, "warm up")
    qs = QuarantineSettings(notify_token="dlp-bot-token", four_eyes=four_eyes)
    with simulator() as (sim, sim_url):
        if kw.pop("alert", False):
            kw["alert_channel_id"] = sim.ids["channels"]["compliance_alerts"]
        settings = make_env_settings(tmp_path, **kw)
        svc = QuarantineService(client, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=sim_url, settings=qs)
        app_svc = QuarantineService(aioredis.Redis.from_url(rserver.url), master_key=MASTER, mask_text=MASK_REASONS, archive=archive,
                                    upstream_url=sim_url, settings=qs)  # fmt: skip
        auth = Authenticator(app_svc.r, sim_url, settings, clock=clock) if clock is not None else None
        with ServedApp(create_app(app_svc, upstream_url=sim_url, settings=settings, authenticator=auth)) as served:
            yield Env(sim, sim_url, svc, served.url, tmp_path / "archive", settings, clock)
        await svc.close()
    archive.close_sync()
    await client.aclose()


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the form"
    return m.group(1)


async def approve(c: httpx.AsyncClient, item_id: str, reason: str = "business need") -> httpx.Response:
    token = csrf_of((await c.get(f"/items/{item_id}")).text)
    return await c.post(f"/items/{item_id}/approve", data={"csrf": token, "reason": reason})


# ---------------------------------------------------------------- A: role sources


async def make_custom_group(env: Env, owner: str, name: str) -> str:
    """``owner`` creates a custom group through the Mattermost API and joins it."""
    async with httpx.AsyncClient(base_url=env.sim_url, headers={"Authorization": f"Bearer {owner}-token"}) as mm:
        resp = await mm.post("/api/v4/groups", json={"name": name, "display_name": name.title(), "source": "custom",
                                                     "allow_reference": True, "user_ids": [uid(owner)]})  # fmt: skip
        assert resp.status_code == 201, resp.text
        # the API lets nobody make a group look synced
        forged = await mm.post("/api/v4/groups", json={"name": name + "-x", "display_name": "X", "source": "ldap",
                                                       "allow_reference": True, "remote_id": "cn=x"})  # fmt: skip
        assert forged.status_code == 400 and forged.json()["id"] == "app.group.crud_permission"
        groups = (await mm.get("/api/v4/users/me/groups")).json()
        assert {(g["name"], g["source"]) for g in groups} == {(name, "custom")}
        return str(resp.json()["id"])


async def test_self_made_custom_group_grants_nothing(env: Env) -> None:
    gid = await make_custom_group(env, "alice", "security-approvers")
    async with httpx.AsyncClient(base_url=env.url) as c:
        resp = await sign_in(c, "alice", "alice-password")
        assert resp.status_code == 403 and "dlp_review_session" not in resp.cookies
        assert (await c.get("/")).status_code == 303
    [failed] = env.records("sign_in_failed")
    assert failed["reason"] == "no_role" and failed["user_id"] == uid("alice")
    # configured by id, a custom group still counts for nothing
    settings = make_env_settings(env.archive_dir.parent, role_group_ids={"approver": (gid,)})
    auth = Authenticator(env.svc.r, env.sim_url, settings)
    groups = [env.sim.groups[gid]]
    assert auth.roles_for(uid("alice"), {"system_user"}, groups) == set()
    await auth.aclose()


@pytest.mark.parametrize("env", [{"role_groups": {}, "role_group_ids": {"approver": (
    "kmdij5xnb9d6n1wqkfgjk13dza",)}, "role_user_ids": {"auditor": (uid("bob"),)}}], indirect=True)
async def test_ldap_group_by_id_and_configured_user_id_grant_roles(env: Env) -> None:
    assert env.sim.ids["group_security_reviewers"] == "kmdij5xnb9d6n1wqkfgjk13dza"
    async with httpx.AsyncClient(base_url=env.url) as sam, httpx.AsyncClient(base_url=env.url) as bob:
        assert (await sign_in(sam, "sam", "sam-password")).status_code == 303
        page = (await sam.get("/")).text
        assert 'class="role role-approver"' in page and 'class="role role-reviewer"' not in page
        assert (await sign_in(bob, "bob", "bob-password")).status_code == 303
        assert 'class="role role-auditor"' in (await bob.get("/")).text


async def test_ldap_group_by_name_grants_role(env: Env) -> None:
    # the default mapping: "security-reviewers", which the simulator seeds as an LDAP-synced group
    async with httpx.AsyncClient(base_url=env.url) as sam:
        assert (await sign_in(sam, "sam", "sam-password")).status_code == 303
        assert 'class="role role-reviewer"' in (await sam.get("/")).text
    [rec] = env.records("sign_in")
    assert rec["actor"]["user_id"] == uid("sam") and rec["actor"]["via"] == "console"


async def test_role_sources_table(env: Env) -> None:
    auth = Authenticator(env.svc.r, env.sim_url, env.settings)

    def g(source: str, name: str = "security-approvers", **kw: Any) -> dict[str, Any]:
        return {"id": "a" * 26, "name": name, "source": source, "delete_at": 0, **kw}

    someone = uid("alice")
    assert auth.roles_for(someone, set(), [g("ldap")]) == {"approver"}
    assert auth.roles_for(someone, set(), [g("plugin_keycloak")]) == {"approver"}  # SAML group sync plugin
    for source in ("custom", "", "LDAP", "plugin_", "ldapx", "xldap"):
        assert auth.roles_for(someone, set(), [g(source)]) == set(), source
    assert auth.roles_for(someone, set(), [g("ldap", delete_at=1)]) == set()  # archived group
    assert auth.roles_for(someone, {"system_user", "system_admin"}, []) == {"admin"}
    assert auth.roles_for(someone, {"system_user"}, ["not a group", None]) == set()
    await auth.aclose()
    with pytest.raises(ValueError, match="custom groups"):
        ReviewSettings(synced_group_sources=("ldap", "custom"))
    with pytest.raises(ValueError, match="Mattermost ids"):
        ReviewSettings(role_user_ids={"admin": ("carol",)})


# ---------------------------------------------------------------- B: one person, one principal


@pytest.mark.parametrize("env", [{"four_eyes": True}], indirect=True)
async def test_session_and_break_glass_of_one_person_are_one_approver(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim, sender="alice"))
    async with httpx.AsyncClient(base_url=env.url) as carol, httpx.AsyncClient(base_url=env.url) as carol_bg:
        assert (await sign_in(carol, "carol", "carol-password")).status_code == 303
        assert (await approve(carol, item_id)).status_code == 303
        assert (await env.svc.get(item_id))["state"] == "awaiting_second"
        # carol again, through her break-glass account (another name, same person)
        assert (await sign_in(carol_bg, "bg-admin", BG_PASSWORD)).status_code == 303
        resp = await approve(carol_bg, item_id, "second pair of eyes")
        assert resp.status_code == 403 and "already approved" in resp.text
        assert (await env.svc.get(item_id))["state"] == "awaiting_second" and released_posts(env.sim) == []
    # a second person (the SOAR token's holder, bob) releases it
    async with httpx.AsyncClient(base_url=env.url) as api:
        resp = await api.post(f"/api/v1/items/{item_id}/approve", headers={"Authorization": f"Bearer {APPROVER_TOKEN}"},
                              json={"reason": "second person agrees"})  # fmt: skip
        assert resp.status_code == 200 and resp.json()["state"] == "released"
    approvals = [(r["actor"]["name"], r["actor"]["user_id"]) for r in env.records() if r["action"].startswith("approve")]
    assert approvals == [("carol", uid("carol")), ("api:soar", uid("bob"))]


async def test_break_glass_cannot_approve_own_message(env: Env) -> None:
    """sam's Mattermost account is a reviewer only; his break-glass account may
    approve -- but not sam's own message."""
    mine = await env.svc.hold(make_held(env.sim, sender="sam"))
    other = await env.svc.hold(make_held(env.sim, sender="alice"))
    async with httpx.AsyncClient(base_url=env.url) as bg:
        assert (await sign_in(bg, "breakglass", BG_PASSWORD)).status_code == 303
        resp = await approve(bg, mine, "I vouch for it")
        assert resp.status_code == 403 and "own message" in resp.text
        assert (await env.svc.get(mine))["state"] == "held"
        assert (await approve(bg, other)).status_code == 303
    assert (await env.svc.get(other))["state"] == "released" and len(released_posts(env.sim)) == 1
    # nor through an API token the same person holds
    bobs = await env.svc.hold(make_held(env.sim, sender="bob"))
    async with httpx.AsyncClient(base_url=env.url) as api:
        resp = await api.post(f"/api/v1/items/{bobs}/approve", headers={"Authorization": f"Bearer {APPROVER_TOKEN}"},
                              json={"reason": "token of bob"})  # fmt: skip
        assert resp.status_code == 403 and "own message" in resp.json()["message"]


async def test_an_actor_without_a_principal_cannot_approve(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim))
    with pytest.raises(Forbidden, match="no principal"):
        await env.svc.approve(item_id, Actor("cli:root", frozenset({"admin"}), via="cli"), "from the shell")
    assert (await env.svc.get(item_id))["state"] == "held"


@pytest.mark.parametrize("env", [{"alert": True}], indirect=True)
async def test_break_glass_use_alerts_compliance_and_is_archived_with_the_person(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        assert (await sign_in(c, "bg-admin", BG_PASSWORD)).status_code == 303
    [rec] = env.records("sign_in")
    assert rec["actor"] == {"name": "bg-admin", "user_id": uid("carol"), "roles": ["admin"], "via": "break-glass"}
    assert rec["alert"] == "sent"
    alerts = [p for p in all_posts(env.sim) if p["channel_id"] == env.sim.ids["channels"]["compliance_alerts"]]
    assert len(alerts) == 1 and "Break-glass" in alerts[0]["message"] and uid("carol") in alerts[0]["message"]
    # guessing a break-glass password: one alert when the account locks, none before or after
    async with httpx.AsyncClient(base_url=env.url) as c:
        for _ in range(5):
            await sign_in(c, " BG-admin", "guess")
    alerts = [p for p in all_posts(env.sim) if p["channel_id"] == env.sim.ids["channels"]["compliance_alerts"]]
    assert len(alerts) == 2 and "locked" in alerts[1]["message"] and uid("carol") in alerts[1]["message"]
    assert [r.get("alert") for r in env.records("sign_in_failed")] == [None, None, "sent", None, None]


def test_files_without_a_principal_are_refused_at_load(tmp_path: Path) -> None:
    bg = tmp_path / "bg.json"
    bg.write_text(json.dumps({"accounts": [{"username": "bg-x", "argon2": hash_password("x" * 12), "roles": ["admin"]}]}))
    with pytest.raises(ValueError) as err:
        load_break_glass(bg)
    assert "accounts[0] (bg-x) needs user_id" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ValueError, match="needs user_id"):  # the console refuses to start with it
        create_app(SimpleNamespace(r=None), upstream_url="http://127.0.0.1:9",  # type: ignore[arg-type]
                   settings=ReviewSettings(break_glass_file=bg))
    bg.write_text(json.dumps({"accounts": [{"username": "bg-x", "argon2": hash_password("x" * 12),
                                            "user_id": "not-an-id"}]}))  # fmt: skip
    with pytest.raises(ValueError, match="needs user_id"):
        load_break_glass(bg)
    # two spellings of one account
    bg.write_text(json.dumps({"accounts": [{"username": u, "argon2": hash_password("x" * 12), "user_id": "a" * 26}
                                           for u in ("bg-x", " BG-X")]}))  # fmt: skip
    with pytest.raises(ValueError, match="repeats"):
        load_break_glass(bg)
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"tokens": [{"name": "soar", "sha256": "ab" * 32, "roles": ["approver"]}]}))
    with pytest.raises(ValueError) as err:
        load_api_tokens(tokens)
    assert "tokens[0] needs user_id" in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------- C: sign-in limits


def test_normalize_login() -> None:
    for raw in (" breakglass", "breakglass\t", "BreakGlass", "BREAKGLASS\n", "break\u200bglass", "\uff42reakglass"):
        assert normalize_login(raw) == "breakglass", raw


padding = st.text(alphabet=st.sampled_from(" \t\r\n\u00a0\u2003\u3000\u200b\u200c\u200d\u2060\ufeff"), max_size=5)


@settings(max_examples=300, deadline=None)
@given(login=st.from_regex(r"[a-z0-9._\-]{1,22}(@[a-z0-9.\-]{1,20})?", fullmatch=True), left=padding, right=padding,
       flips=st.lists(st.booleans(), min_size=45, max_size=45))
def test_padded_and_recased_logins_normalize_alike(login: str, left: str, right: str, flips: list[bool]) -> None:
    """Every spelling a client can vary for free (padding, zero-width characters,
    case) is the same login to the lookup and to the limits."""
    recased = "".join(c.upper() if f else c for c, f in zip(login, flips, strict=False))
    assert normalize_login(left + recased + right) == normalize_login(login) == login


async def test_padded_break_glass_logins_share_one_stricter_budget(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        for login in (" breakglass", "breakglass\t", "BREAKGLASS"):  # limit 3 for break-glass accounts
            assert (await sign_in(c, login, "wrong guess")).status_code == 403
        resp = await sign_in(c, "break\u200bglass", BG_PASSWORD)  # right password, another spelling
        assert resp.status_code == 429 and "Too many" in resp.text
    failed = env.records("sign_in_failed")
    assert [r["reason"] for r in failed] == ["bad_credentials"] * 3 + ["rate_limited"]
    assert {r["via"] for r in failed} == {"break-glass"} and {r["user_id"] for r in failed} == {uid("sam")}
    assert len({r["login_hash"] for r in failed}) == 1
    assert "breakglass" not in json.dumps(failed).lower()  # the login is hashed
    assert {r["client_ip"] for r in failed} == {"127.0.0.1"}


async def test_parallel_guesses_get_no_extra_tries(env: Env) -> None:
    """Tries are spent before the password is checked: 20 guesses at once at a
    break-glass account (3 allowed) get 3 evaluations, not 20."""
    async def guess(i: int) -> int:
        async with httpx.AsyncClient(base_url=env.url) as c:
            page = await c.get("/login")
            resp = await c.post("/login", data={"csrf": csrf_of(page.text), "login_id": "breakglass",
                                                "password": f"guess {i}"})  # fmt: skip
            return resp.status_code

    statuses = await asyncio.gather(*(guess(i) for i in range(20)))
    assert sorted(statuses) == [403] * 3 + [429] * 17, statuses
    reasons = [r["reason"] for r in env.records("sign_in_failed")]
    assert reasons.count("bad_credentials") == 3 and reasons.count("rate_limited") == 17


async def test_mattermost_login_spellings_count_against_one_user(env: Env) -> None:
    """Username, padded username and e-mail address of one account resolve to one
    user id (the lookup token), whose budget they share."""
    async with httpx.AsyncClient(base_url=env.url) as c:
        for login in ("sam", " Sam", "SAM\t", "sam@acme.example", "Sam@Acme.Example "):
            assert (await sign_in(c, login, "nope")).status_code == 403
        resp = await sign_in(c, "sam@acme.example", "sam-password")
        assert resp.status_code == 429
    assert {r["user_id"] for r in env.records("sign_in_failed")} == {uid("sam")}


@pytest.mark.parametrize("env", [{"login_limit_ip": 3, "login_limit_user": 100}], indirect=True)
async def test_forged_forwarding_headers_get_no_extra_tries(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        for i in range(3):
            c.headers.update({"X-Forwarded-For": f"198.51.100.{i}", "X-Real-IP": f"203.0.113.{i}"})
            assert (await sign_in(c, f"u{i}", "x")).status_code == 403
        c.headers.update({"X-Forwarded-For": "198.51.100.99", "X-Real-IP": "203.0.113.99"})
        assert (await sign_in(c, "carol", "carol-password")).status_code == 429
    assert {r["client_ip"] for r in env.records("sign_in_failed")} == {"127.0.0.1"}  # not the forged ones


@pytest.mark.parametrize("env", [{"login_limit_ip": 2, "login_limit_user": 100, "trusted_proxies": ("127.0.0.1/32",)}],
                         indirect=True)
async def test_a_trusted_proxy_names_the_client(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        c.headers.update({"X-Forwarded-For": "203.0.113.7"})  # (deploy/review.conf.template sets $remote_addr)
        for _ in range(2):
            assert (await sign_in(c, "nobody", "x")).status_code == 403
        assert (await sign_in(c, "carol", "carol-password")).status_code == 429  # 203.0.113.7 spent its budget
        c.headers.update({"X-Forwarded-For": "203.0.113.8, 127.0.0.1"})  # right-most untrusted hop
        assert (await sign_in(c, "carol", "carol-password")).status_code == 303
    async with httpx.AsyncClient(base_url=env.url) as c:
        c.headers.update({"X-Forwarded-For": "<script>, 203.0.113.9"})
        assert (await sign_in(c, "nobody", "x")).status_code == 403
        c.headers.update({"X-Forwarded-For": "203.0.113.10", "X-Real-IP": "not an address"})
        assert (await sign_in(c, "nobody", "x")).status_code == 403
    ips = [r["client_ip"] for r in env.records("sign_in_failed")]
    assert ips == ["203.0.113.7", "203.0.113.7", "203.0.113.7", "203.0.113.9", "203.0.113.10"]
    assert [r["client_ip"] for r in env.records("sign_in")] == ["203.0.113.8"]


@pytest.mark.parametrize("env", [{"login_limit_ip": 2, "login_limit_user": 100, "trusted_proxies": ("127.0.0.1/32",)}],
                         indirect=True)
async def test_a_client_x_real_ip_behind_an_appending_proxy_buys_no_tries(env: Env) -> None:
    """A proxy that only appends to X-Forwarded-For passes the browser's own X-Real-IP
    on: a new X-Real-IP a try must not make a new address (dlp_proxy/forwarding.py)."""
    async with httpx.AsyncClient(base_url=env.url) as c:
        for i in range(2):
            c.headers.update({"X-Real-IP": f"198.51.100.{i}", "X-Forwarded-For": "203.0.113.20"})
            assert (await sign_in(c, f"u{i}", "x")).status_code == 403
        c.headers.update({"X-Real-IP": "198.51.100.99"})
        assert (await sign_in(c, "carol", "carol-password")).status_code == 429
    assert {r["client_ip"] for r in env.records("sign_in_failed")} == {"203.0.113.20"}


@pytest.mark.parametrize("env", [{"login_limit_ip": 2, "login_limit_user": 100, "trusted_proxies": ("127.0.0.1/32",),
                                  "client_ip_header": "x-real-ip"}], indirect=True)
async def test_x_real_ip_is_believed_when_configured(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        c.headers.update({"X-Real-IP": "203.0.113.30", "X-Forwarded-For": "198.51.100.30"})
        assert (await sign_in(c, "nobody", "x")).status_code == 403
    assert [r["client_ip"] for r in env.records("sign_in_failed")] == ["203.0.113.30"]


# ---------------------------------------------------------------- nobody locks another person out

TRUSTING = {"trusted_proxies": ("127.0.0.1/32",)}  # the test names each client's address (X-Forwarded-For)


def _from(c: httpx.AsyncClient, address: str) -> httpx.AsyncClient:
    c.headers["X-Forwarded-For"] = address
    return c


@pytest.mark.parametrize("env", [TRUSTING], indirect=True)
async def test_guesses_from_another_address_do_not_lock_the_holder_out(env: Env) -> None:
    """Attack F10: wrong guesses at sam's Mattermost login and at the break-glass
    account from one address used up the account's budget for everyone.  Now they
    lock only that address out of that account; sam and carol (bg-admin's holder)
    sign in from their own."""
    async with httpx.AsyncClient(base_url=env.url) as attacker:
        _from(attacker, "198.51.100.66")
        for _ in range(5):
            assert (await sign_in(attacker, "sam", "guess")).status_code == 403
        for _ in range(3):
            assert (await sign_in(attacker, "bg-admin", "guess")).status_code == 403
        assert (await sign_in(attacker, "sam", "sam-password")).status_code == 429  # this address is done
        assert (await sign_in(attacker, "bg-admin", BG_PASSWORD)).status_code == 429
    async with httpx.AsyncClient(base_url=env.url) as sam:
        _from(sam, "203.0.113.7")
        assert (await sign_in(sam, "sam", "sam-password")).status_code == 303
    async with httpx.AsyncClient(base_url=env.url) as holder:
        _from(holder, "203.0.113.8")
        assert (await sign_in(holder, "bg-admin", BG_PASSWORD)).status_code == 303
    failed = env.records("sign_in_failed")
    assert [r["reason"] for r in failed] == ["bad_credentials"] * 8 + ["rate_limited"] * 2
    assert {r["client_ip"] for r in failed} == {"198.51.100.66"}


@pytest.mark.parametrize("env", [{**TRUSTING, "clock": Clock()}], indirect=True)
async def test_distributed_guessing_is_bounded_and_a_known_browser_still_signs_in(env: Env) -> None:
    """Guesses from many addresses stay bounded per account (10 an hour for a
    break-glass account, whatever the number of addresses); they can keep a new
    browser out for the window, never one that signed in to the account before
    (its device cookie), and the window slides on the injected clock."""
    async with httpx.AsyncClient(base_url=env.url) as known:
        _from(known, "203.0.113.8")
        assert (await sign_in(known, "breakglass", BG_PASSWORD)).status_code == 303
        device = [k for k in known.cookies.keys() if k.startswith("dlp_review_device_")]  # noqa: SIM118
        assert len(device) == 1 and "breakglass" not in device[0]
        known.cookies.delete("dlp_review_session")
        env.clock.t += 60
        statuses = []
        for i in range(20):  # 20 addresses, one guess each
            async with httpx.AsyncClient(base_url=env.url) as bot:
                statuses.append((await sign_in(_from(bot, f"198.51.100.{i}"), "breakglass", "guess")).status_code)
        assert statuses == [403] * 10 + [429] * 10  # ten evaluated an hour, not twenty
        async with httpx.AsyncClient(base_url=env.url) as fresh:
            assert (await sign_in(_from(fresh, "203.0.113.9"), "breakglass", BG_PASSWORD)).status_code == 429
        # the holder's browser: its own budget, unaffected (also from an address the guessers used)
        _from(known, "198.51.100.3")
        assert (await sign_in(known, "breakglass", BG_PASSWORD)).status_code == 303
        known.cookies.delete("dlp_review_session")
        # a device cookie is the account's own: it gives no way around another account's limits
        for _ in range(3):
            assert (await sign_in(_from(known, "203.0.113.8"), "bg-admin", "guess")).status_code == 403
        assert (await sign_in(known, "bg-admin", BG_PASSWORD)).status_code == 429
        # and a forged or stale one counts for nothing
        known.cookies.set(device[0], "x.9999999999.00", path="/login")
        assert (await sign_in(_from(known, "198.51.100.4"), "breakglass", BG_PASSWORD)).status_code == 429
    env.clock.t += 3601  # the window slid past the guesses
    async with httpx.AsyncClient(base_url=env.url) as fresh:
        assert (await sign_in(_from(fresh, "203.0.113.9"), "breakglass", BG_PASSWORD)).status_code == 303


@pytest.mark.parametrize("env", [{**TRUSTING, "clock": Clock()}], indirect=True)
async def test_a_stolen_device_cookie_gets_no_more_guesses(env: Env) -> None:
    """A device cookie exempts from the account-wide budget only: its own budget is
    the per-address one (5 failures per window for a Mattermost login)."""
    async with httpx.AsyncClient(base_url=env.url) as c:
        _from(c, "203.0.113.8")
        assert (await sign_in(c, "sam", "sam-password")).status_code == 303
        c.cookies.delete("dlp_review_session")
        statuses = []
        for i in range(7):
            statuses.append((await sign_in(_from(c, f"198.51.100.{i}"), "sam", "guess")).status_code)
        assert statuses == [403] * 5 + [429] * 2
        env.clock.t += 301
        assert (await sign_in(c, "sam", "sam-password")).status_code == 303


@pytest.mark.parametrize("env", [{**TRUSTING, "clock": Clock(), "login_limit_ip": 4}], indirect=True)
async def test_a_device_cookie_lifts_no_attempt_budget(env: Env) -> None:
    """A browser with a device cookie skips the address's budget, not every budget:
    the account's trusted browsers share one as large (here 4 attempts per window)."""
    async with httpx.AsyncClient(base_url=env.url) as c:
        _from(c, "203.0.113.8")
        assert (await sign_in(c, "sam", "sam-password")).status_code == 303
        statuses = []
        for _ in range(5):
            c.cookies.delete("dlp_review_session")
            statuses.append((await sign_in(c, "sam", "sam-password")).status_code)
        assert statuses == [303] * 4 + [429]
        env.clock.t += 301
        c.cookies.delete("dlp_review_session")
        assert (await sign_in(c, "sam", "sam-password")).status_code == 303


# ---------------------------------------------------------------- roles read again


async def test_a_sessions_roles_are_read_again_from_their_sources(env: Env, tmp_path: Path) -> None:
    """attack 16h F5: a session kept the roles it got at sign-in for its whole life
    (up to 8 hours): a grant removed from the configuration, a synced group left, an
    account deactivated or a break-glass entry deleted still approved."""
    from dlp_proxy.review.auth import ROLE_RECHECK

    clock = Clock()
    ip = "192.0.2.10"

    async def signed_in(settings: ReviewSettings, login: str, password: str) -> tuple[Authenticator, str]:
        auth = Authenticator(env.svc.r, env.sim_url, settings, clock=clock)
        return auth, await auth.create_session(await auth.attempt(login, password, ip))

    async def roles(auth: Authenticator, sid: str) -> set[str] | None:
        got = await auth.session(sid)
        return None if got is None else set(got[0].roles)

    # a grant in the console's configuration, removed when the console restarts (no lookup token)
    granted = make_env_settings(tmp_path, lookup_token=None,
                                role_user_ids={"approver": (uid("bob"),), "auditor": (uid("bob"),)})
    auth, bob = await signed_in(granted, "bob", "bob-password")
    assert await roles(auth, bob) == {"approver", "auditor"}
    restarted = Authenticator(env.svc.r, env.sim_url, clock=clock,
                              settings=make_env_settings(tmp_path, lookup_token=None, role_user_ids={"auditor": (uid("bob"),)}))
    assert await roles(restarted, bob) == {"approver", "auditor"}  # read again only after ROLE_RECHECK
    clock.t += ROLE_RECHECK
    assert await roles(restarted, bob) == {"auditor"}

    # Mattermost's side, read with the lookup token: a synced group left, an account deactivated
    looked_up = make_env_settings(tmp_path)
    auth, sam = await signed_in(looked_up, "sam", "sam-password")
    auth, carol = await signed_in(looked_up, "carol", "carol-password")
    assert await roles(auth, sam) == {"reviewer"} and await roles(auth, carol) == {"admin"}
    with env.sim.lock:
        env.sim.group_members[env.sim.ids["group_security_reviewers"]].discard(uid("sam"))
        env.sim.users[uid("carol")]["delete_at"] = 1
    clock.t += ROLE_RECHECK - 1
    assert await roles(auth, sam) == {"reviewer"} and await roles(auth, carol) == {"admin"}
    clock.t += 1
    assert await roles(auth, sam) is None and await roles(auth, carol) is None
    assert await auth.session(sam) is None  # the session is gone, not only refused once

    # a break-glass entry deleted from its file (its holder, carol, active again: a
    # deactivated holder's break-glass account is refused, see below)
    with env.sim.lock:
        env.sim.users[uid("carol")]["delete_at"] = 0
    auth, bg = await signed_in(looked_up, "bg-admin", BG_PASSWORD)
    assert await roles(auth, bg) == {"admin"}
    bg_file = looked_up.break_glass_file
    assert bg_file is not None
    data = json.loads(bg_file.read_text())
    data["accounts"] = [a for a in data["accounts"] if a["username"] != "bg-admin"]
    bg_file.write_text(json.dumps(data))
    clock.t += ROLE_RECHECK
    assert await roles(auth, bg) is None
    for a in (auth, restarted):
        await a.aclose()


# ---------------------------------------------------------------- API tokens and break-glass follow their holder
MM_ADMIN = {"Authorization": "Bearer dlp-bot-token"}


@pytest.mark.parametrize("env", [{"clock": Clock()}], indirect=True)
async def test_an_api_token_follows_its_holder_in_mattermost(env: Env) -> None:
    """attack 21h F4: a SOAR token kept approving and revealing after its holder was
    deactivated.  With the lookup token the holder is looked up (every ROLE_RECHECK
    seconds, as a session is): deactivated (DELETE /users/{id}, api4/user.go deleteUser)
    refuses approve, reject, reveal and reading (403); reactivated works again; a
    Mattermost that cannot say is refused too (503), never let through."""
    from dlp_proxy.review.auth import ROLE_RECHECK

    clock = env.clock
    item = await env.svc.hold(make_held(env.sim))  # sent by alice; the token is bob's
    async with httpx.AsyncClient(base_url=env.url, headers={"Authorization": f"Bearer {APPROVER_TOKEN}"}) as api, \
            httpx.AsyncClient(base_url=env.sim_url, headers=MM_ADMIN) as mm:  # fmt: skip
        assert (await api.get(f"/api/v1/items/{item}")).status_code == 200
        resp = await mm.delete(f"/api/v4/users/{uid('bob')}")
        assert resp.status_code == 200, resp.text
        assert (await mm.get(f"/api/v4/users/{uid('bob')}")).json()["delete_at"] > 0
        assert (
            await mm.get("/api/v4/users/me", headers={"Authorization": "Bearer bob-token"})
        ).status_code == 401
        clock.t += ROLE_RECHECK
        for action in ("approve", "reject", "reveal"):
            resp = await api.post(
                f"/api/v1/items/{item}/{action}", json={"reason": "checking the number for the case"}
            )
            assert resp.status_code == 403 and resp.json()["error"] == "forbidden", (action, resp.text)
            assert "deactivated" in resp.json()["message"]
        assert (await api.get("/api/v1/items")).status_code == 403
        assert (await env.svc.get(item))["state"] == "held"

        assert (await mm.put(f"/api/v4/users/{uid('bob')}/active", json={"active": True})).status_code == 200
        assert (
            await api.get(f"/api/v1/items/{item}")
        ).status_code == 403  # the refusal holds for ROLE_RECHECK
        clock.t += ROLE_RECHECK
        assert (await api.get(f"/api/v1/items/{item}")).status_code == 200

        with env.sim.lock:
            env.sim.faults.append(Fault(status=500, path_prefix=f"/api/v4/users/{uid('bob')}", method="GET"))
        clock.t += ROLE_RECHECK
        resp = await api.post(f"/api/v1/items/{item}/approve", json={"reason": "fine by me, approved"})
        assert resp.status_code == 503 and resp.json()["error"] == "unavailable", resp.text
        with env.sim.lock:
            env.sim.faults.clear()
        resp = await api.post(f"/api/v1/items/{item}/approve", json={"reason": "fine by me, approved"})
        assert resp.status_code == 200 and resp.json()["state"] == "released", resp.text


SAM_TOKEN = "soar-sam-token-0123456789abcdef"


@pytest.mark.parametrize("env", [{"clock": Clock(), "api_tokens": {
    token_hash(SAM_TOKEN): {"name": "soar-sam", "roles": ["reviewer", "approver"], "user_id": uid("sam"),
                            "roles_from": "mattermost"}}}], indirect=True)  # fmt: skip
async def test_a_token_with_roles_from_mattermost_keeps_only_what_its_holder_holds(env: Env) -> None:
    """``roles_from: mattermost``: the file's roles that the holder also holds now by
    the console's role sources (sam: reviewer by the synced group, not approver)."""
    from dlp_proxy.review.auth import ROLE_RECHECK

    item = await env.svc.hold(make_held(env.sim))
    async with httpx.AsyncClient(base_url=env.url, headers={"Authorization": f"Bearer {SAM_TOKEN}"}) as api:
        resp = await api.post(f"/api/v1/items/{item}/approve", json={"reason": "fine by me, approved"})
        assert resp.status_code == 403 and "may not approve" in resp.json()["message"], resp.text
        assert (await api.get(f"/api/v1/items/{item}")).status_code == 200  # a reviewer may view
        with env.sim.lock:
            env.sim.group_members[env.sim.ids["group_security_reviewers"]].discard(uid("sam"))
        env.clock.t += ROLE_RECHECK
        resp = await api.get(f"/api/v1/items/{item}")
        assert resp.status_code == 403 and "no longer holds" in resp.json()["message"]


@pytest.mark.parametrize("env", [{"clock": Clock(), "alert": True}], indirect=True)
async def test_break_glass_refuses_a_deactivated_holder_and_works_when_mattermost_is_down(env: Env) -> None:
    """Break-glass stays file-only (Mattermost may be down) but not for a person
    Mattermost *says* is deactivated: at sign-in and at the session's recheck."""
    from dlp_proxy.review.auth import ROLE_RECHECK

    async with (
        httpx.AsyncClient(base_url=env.url) as c,
        httpx.AsyncClient(base_url=env.sim_url, headers=MM_ADMIN) as mm,
    ):
        assert (await sign_in(c, "bg-admin", BG_PASSWORD)).status_code == 303  # held by carol, active
        assert (await c.get("/")).status_code == 200
        assert (await mm.delete(f"/api/v4/users/{uid('carol')}")).status_code == 200
        env.clock.t += ROLE_RECHECK
        assert (await c.get("/")).status_code == 303  # the session ended at its recheck
    async with httpx.AsyncClient(base_url=env.url) as c:
        resp = await sign_in(c, "bg-admin", BG_PASSWORD)
        assert resp.status_code == 403 and "deactivated" in resp.text
        failed = env.records("sign_in_failed")[-1]
        assert failed["reason"] == "holder_deactivated" and failed["user_id"] == uid("carol")
    with env.sim.lock:  # Mattermost cannot answer: break-glass works, and alerts as always
        env.sim.faults.append(Fault(status=503, path_prefix=f"/api/v4/users/{uid('carol')}", method="GET"))
    async with httpx.AsyncClient(base_url=env.url) as c:
        assert (await sign_in(c, "bg-admin", BG_PASSWORD)).status_code == 303
        assert (await c.get("/")).status_code == 200
    assert env.records("sign_in")[-1]["actor"]["via"] == "break-glass"
    assert env.records("sign_in")[-1]["alert"] == "sent"
