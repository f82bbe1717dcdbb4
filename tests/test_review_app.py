"""The reviewer console and its API over real sockets: real Redis, the Mattermost
simulator for sign-in, the console served by uvicorn."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from dlp_proxy.quarantine import QuarantineService, QuarantineSettings
from dlp_proxy.review import ReviewSettings, create_app, hash_password, token_hash
from dlp_proxy.simulator.ids import id_from
from dlp_proxy.simulator.state import Simulator
from tests.test_quarantine_support import (
    MASK_REASONS,
    MASTER,
    SSN,
    RedisServer,
    ServedApp,
    make_held,
    redis_server,
    released_posts,
    simulator,
)

APPROVER_TOKEN = "soar-approver-token-0123456789"
AUDITOR_TOKEN = "soar-auditor-token-0123456789"


@dataclass
class Env:
    sim: Simulator
    svc: QuarantineService
    url: str
    r: aioredis.Redis


@pytest.fixture(scope="module")
def rserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


def uid(key: str) -> str:
    """A seeded simulator user's Mattermost id (deterministic: dlp_proxy/simulator/ids.py)."""
    return id_from(f"user:{key}")


BG_PASSWORD = "correct horse battery"


def make_env_settings(tmp_path: Path, **kw: Any) -> ReviewSettings:
    bg = tmp_path / "break-glass.json"
    # Every break-glass account and API token names the person who holds it.
    bg.write_text(json.dumps({"accounts": [
        {"username": "bg-admin", "argon2": hash_password(BG_PASSWORD), "roles": ["admin"], "user_id": uid("carol")},
        {"username": "BreakGlass", "argon2": hash_password(BG_PASSWORD), "roles": ["approver"],
         "user_id": uid("sam")},
    ]}))  # fmt: skip
    defaults: dict[str, Any] = {
        "secure_cookies": False,
        "break_glass_file": bg,
        "api_tokens": {
            token_hash(APPROVER_TOKEN): {"name": "soar", "roles": ["approver"], "user_id": uid("bob")},
            token_hash(AUDITOR_TOKEN): {"name": "audit-bot", "roles": ["auditor"], "user_id": uid("bob")},
        },
        "lookup_token": "dlp-bot-token",
        "hash_key": b"k" * 32,
    }
    defaults.update(kw)
    return ReviewSettings(**defaults)


@pytest.fixture
async def env(rserver: RedisServer, tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Env]:
    kw = getattr(request, "param", {})
    client = aioredis.Redis.from_url(rserver.url)
    await client.flushall()
    with simulator() as (sim, sim_url):
        svc = QuarantineService(client, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=sim_url,
                                settings=QuarantineSettings(notify_token="dlp-bot-token"))  # fmt: skip
        # the console runs in uvicorn's own thread and loop: it gets its own client
        app_svc = QuarantineService(aioredis.Redis.from_url(rserver.url), master_key=MASTER, mask_text=MASK_REASONS, archive=None,
                                    upstream_url=sim_url, settings=QuarantineSettings(notify_token="dlp-bot-token"))
        app = create_app(app_svc, upstream_url=sim_url, settings=make_env_settings(tmp_path, **kw))
        with ServedApp(app) as served:
            yield Env(sim, svc, served.url, client)
        await svc.close()
    await client.aclose()


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field in the form"
    return m.group(1)


async def sign_in(c: httpx.AsyncClient, login: str, password: str) -> httpx.Response:
    page = await c.get("/login")
    return await c.post("/login", data={"csrf": csrf_of(page.text), "login_id": login, "password": password})


@pytest.mark.parametrize(
    ("login", "password", "status", "roles"),
    [
        ("sam", "sam-password", 303, {"reviewer"}),
        ("carol", "carol-password", 303, {"admin"}),
        ("alice", "alice-password", 403, None),  # not in a review group
        ("sam", "wrong", 403, None),
        ("bg-admin", BG_PASSWORD, 303, {"admin"}),
        ("bg-admin", "wrong horse", 403, None),
    ],
)
async def test_sign_in_table(env: Env, login: str, password: str, status: int, roles: set[str] | None) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        resp = await sign_in(c, login, password)
        assert resp.status_code == status, resp.text[:300]
        if roles is None:
            assert "dlp_review_session" not in resp.cookies
            assert (await c.get("/")).status_code == 303
            return
        cookie = resp.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
        page = await c.get("/")
        assert page.status_code == 200
        for role in roles:
            assert f'class="role role-{role}"' in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'none'")


@pytest.mark.parametrize("env", [{"secure_cookies": True}], indirect=True)
async def test_secure_cookie_flag(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        resp = await sign_in(c, "sam", "sam-password")
        assert "Secure" in resp.headers["set-cookie"]


async def test_sign_in_needs_the_login_form_token(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        resp = await c.post("/login", data={"login_id": "sam", "password": "sam-password"})
        assert resp.status_code == 403 and "dlp_review_session" not in resp.cookies


async def test_sign_in_rate_limited_per_user(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        for _ in range(5):
            assert (await sign_in(c, "sam", "nope")).status_code == 403
        resp = await sign_in(c, "sam", "sam-password")  # right password, but locked for now
        assert resp.status_code == 429 and "Too many" in resp.text


@pytest.mark.parametrize("env", [{"login_limit_ip": 3, "login_limit_user": 100}], indirect=True)
async def test_sign_in_rate_limited_per_ip(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        for login in ("u1", "u2", "u3"):
            assert (await sign_in(c, login, "x")).status_code == 403
        assert (await sign_in(c, "carol", "carol-password")).status_code == 429


@pytest.mark.parametrize("env", [{"session_idle": 1.0}], indirect=True)
async def test_session_expires(env: Env) -> None:
    async with httpx.AsyncClient(base_url=env.url) as c:
        await sign_in(c, "sam", "sam-password")
        assert (await c.get("/")).status_code == 200
        await asyncio.sleep(2.1)
        resp = await c.get("/")
        assert resp.status_code == 303 and resp.headers["location"] == "/login"


async def test_csrf_and_roles_on_item_actions(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim))
    async with httpx.AsyncClient(base_url=env.url) as sam, httpx.AsyncClient(base_url=env.url) as carol:
        await sign_in(sam, "sam", "sam-password")
        await sign_in(carol, "carol", "carol-password")
        page = await carol.get(f"/items/{item_id}")
        token = csrf_of(page.text)
        assert SSN not in page.text and "***-**-8841" in page.text
        # no token, a wrong token, another session's token: refused, nothing happens
        for data in ({"reason": "ok"}, {"reason": "ok", "csrf": "forged"}):
            resp = await carol.post(f"/items/{item_id}/approve", data=data)
            assert resp.status_code == 403 and "CSRF" in resp.text
        sam_token = csrf_of((await sam.get(f"/items/{item_id}")).text)
        assert (await carol.post(f"/items/{item_id}/approve", data={"csrf": sam_token, "reason": "ok"})).status_code == 403
        assert (await env.svc.get(item_id))["state"] == "held"
        # sam is a reviewer only: no approve button, and the POST is refused
        sam_page = await sam.get(f"/items/{item_id}")
        assert "/approve" not in sam_page.text and "/reject" in sam_page.text
        resp = await sam.post(f"/items/{item_id}/approve", data={"csrf": sam_token, "reason": "looks fine"})
        assert resp.status_code == 403 and (await env.svc.get(item_id))["state"] == "held"
        # reveal: a short reason is refused and shows nothing
        resp = await sam.post(f"/items/{item_id}/reveal", data={"csrf": sam_token, "reason": "why"})
        assert resp.status_code == 422 and SSN not in resp.text
        resp = await sam.post(f"/items/{item_id}/reveal", data={"csrf": sam_token, "reason": "verify client identity"})
        assert resp.status_code == 200 and SSN in resp.text and resp.headers["cache-control"] == "no-store"
        # carol (admin) approves: released once
        resp = await carol.post(f"/items/{item_id}/approve", data={"csrf": token, "reason": "business need"})
        assert resp.status_code == 303
        assert (await env.svc.get(item_id))["state"] == "released"
        assert len(released_posts(env.sim)) == 1
        # cross-site POST of the sign-out form without the token is refused too
        assert (await sam.post("/logout", data={})).status_code == 403


async def test_self_approval_refused_in_console(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim, sender="carol"))
    async with httpx.AsyncClient(base_url=env.url) as carol:
        await sign_in(carol, "carol", "carol-password")
        token = csrf_of((await carol.get(f"/items/{item_id}")).text)
        resp = await carol.post(f"/items/{item_id}/approve", data={"csrf": token, "reason": "my own"})
        assert resp.status_code == 403 and "own message" in resp.text
    assert released_posts(env.sim) == []


async def test_queue_filters_and_bulk_reject(env: Env) -> None:
    a = await env.svc.hold(make_held(env.sim, sender="alice"))
    b = await env.svc.hold(make_held(env.sim, sender="bob", channel="town_square"))
    async with httpx.AsyncClient(base_url=env.url) as sam:
        await sign_in(sam, "sam", "sam-password")
        page = await sam.get("/", params={"sender": "bob"})
        assert b in page.text and a not in page.text
        page = await sam.get("/", params={"channel": "trading-desk"})
        assert a in page.text and b not in page.text
        page = await sam.get("/", params={"age": "gt1h"})
        assert a not in page.text and "Nothing matches" in page.text
        resp = await sam.post("/bulk", data={"csrf": csrf_of(page.text), "ids": [a, b], "action": "reject",
                                             "reason": "bulk: client data"})  # fmt: skip
        assert resp.status_code == 200 and resp.text.count("st-rejected") >= 2
    assert {(await env.svc.get(i))["state"] for i in (a, b)} == {"rejected"}


async def test_api_token_auth_roles_and_openapi(env: Env) -> None:
    item_id = await env.svc.hold(make_held(env.sim))
    async with httpx.AsyncClient(base_url=env.url) as c:
        spec = (await c.get("/api/openapi.json")).json()
        assert spec["openapi"].startswith("3.") and "/api/v1/items/{item_id}/approve" in spec["paths"]
        assert (await c.get("/api/v1/items")).status_code == 401
        assert (await c.get("/api/v1/items", headers={"Authorization": "Bearer nope"})).status_code == 401
        # the console cookie does not authenticate the API
        await sign_in(c, "carol", "carol-password")
        assert (await c.get("/api/v1/items")).status_code == 401
        aud = {"Authorization": f"Bearer {AUDITOR_TOKEN}"}
        soar = {"Authorization": f"Bearer {APPROVER_TOKEN}"}
        items = (await c.get("/api/v1/items", headers=aud)).json()
        assert [i["id"] for i in items] == [item_id]
        assert (await c.post(f"/api/v1/items/{item_id}/approve", headers=aud, json={"reason": "x" * 5})).status_code == 403
        shown = (await c.get(f"/api/v1/items/{item_id}", headers=aud)).json()
        assert SSN not in json.dumps(shown)
        assert (await c.post(f"/api/v1/items/{item_id}/approve", headers=soar, json={})).status_code == 422
        resp = await c.post(f"/api/v1/items/{item_id}/approve", headers=soar, json={"reason": "SOAR playbook 7"})
        assert resp.status_code == 200 and resp.json()["state"] == "released"
        resp = await c.post(f"/api/v1/items/{item_id}/reject", headers=soar, json={"reason": "too late"})
        assert resp.status_code == 409 and resp.json()["state"] == "released"
        assert (await c.get("/api/v1/items/nope", headers=soar)).status_code == 404
    records = await env.svc.audit_log.records()
    assert [r["actor"]["name"] for r in records if r["action"] == "approve"] == ["api:soar"]


# ------------------------------------------------------------------ issue 18: search, pages, assignment, verdicts

def _cli(rserver: RedisServer, tmp_path: Path, *args: str) -> Any:
    import base64
    import os
    import subprocess
    import sys

    env = {**os.environ, "DLP_REDIS_URL": rserver.url, "DLP_DATA_DIR": str(tmp_path / "cli-data"),
           "DLP_QUARANTINE_MASTER_KEY": base64.b64encode(MASTER).decode()}  # fmt: skip
    env.pop("DLP_UPSTREAM", None)
    done = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", *args], env=env, capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def test_cli_and_api_give_the_same_page(env: Env, rserver: RedisServer, tmp_path: Path) -> None:
    """One search, sort and page: the same ids, total and pages from the CLI and the API."""
    ids = [await env.svc.hold(make_held(env.sim, sender=s, channel=c)) for s, c in
           [("alice", "private"), ("bob", "town_square"), ("alice", "dm_alice_bob"), ("bob", "private"),
            ("alice", "private")]]  # fmt: skip
    soar = {"Authorization": f"Bearer {APPROVER_TOKEN}"}
    async with httpx.AsyncClient(base_url=env.url) as c:
        for search, sort, page, size in [("alice", "age", 1, 2), ("alice", "-age", 2, 2), ("acme", "severity", 1, 10),
                                         ("bob private", "state", 1, 1), ("nobody-at-all", "due", 1, 5)]:  # fmt: skip
            resp = await c.get("/api/v1/items", headers=soar,
                               params={"search": search, "sort": sort, "page": page, "size": size})  # fmt: skip
            assert resp.status_code == 200, resp.text
            api = resp.json()
            cli = _cli(rserver, tmp_path, "list", "--json", "--search", search, f"--sort={sort}", "--page", str(page),
                       "--size", str(size))  # fmt: skip
            assert [i["id"] for i in api["items"]] == [i["id"] for i in cli["items"]]
            assert (api["total"], api["pages"]) == (cli["total"], cli["pages"])
            assert resp.headers["x-total-count"] == str(api["total"])
        alice = (await c.get("/api/v1/items", headers=soar, params={"search": "alice", "size": 50})).json()
        assert [i["id"] for i in alice["items"]] == [ids[0], ids[2], ids[4]]
        # without page/size: the plain list, every match, the total in a header
        plain = await c.get("/api/v1/items", headers=soar, params={"search": "bob"})
        assert [i["id"] for i in plain.json()] == [ids[1], ids[3]] and plain.headers["x-total-count"] == "2"
        # an identifier is refused, and does not come back in the answer
        bad = await c.get("/api/v1/items", headers=soar, params={"search": SSN})
        assert bad.status_code == 422 and SSN not in bad.text
        spec = (await c.get("/api/openapi.json")).json()
        names = {p["name"] for p in spec["paths"]["/api/v1/items"]["get"]["parameters"]}
        assert {"search", "sort", "page", "size", "severity", "assignee", "overdue", "verdict"} <= names
        assert "/api/v1/items/{item_id}/assign" in spec["paths"] and "/api/v1/reviewers" in spec["paths"]
        assert "verdict" in spec["components"]["schemas"]["Reason"]["properties"]


async def test_api_assign_and_verdict(env: Env) -> None:
    item = await env.svc.hold(make_held(env.sim))
    other = await env.svc.hold(make_held(env.sim, sender="bob"))
    soar = {"Authorization": f"Bearer {APPROVER_TOKEN}"}
    async with httpx.AsyncClient(base_url=env.url) as c, httpx.AsyncClient(base_url=env.url) as sam:
        await sign_in(sam, "sam", "sam-password")  # sam becomes assignable by signing in
        await sam.get("/")
        people = (await c.get("/api/v1/reviewers", headers=soar)).json()
        assert {p["name"] for p in people} >= {"sam", "api:soar"}
        resp = await c.post(f"/api/v1/items/{item}/assign", headers=soar, json={"assignee": "sam"})
        assert resp.status_code == 200 and resp.json()["assignee"] == uid("sam")
        assert (await c.post(f"/api/v1/items/{item}/assign", headers=soar, json={"assignee": "alice"})).status_code == 422
        mine = await sam.get("/", params={"assignee": "me"})
        assert item in mine.text and other not in mine.text
        bad = await c.post(f"/api/v1/items/{item}/approve", headers=soar, json={"reason": "fine", "verdict": "meh"})
        assert bad.status_code == 422 and (await env.svc.get(item))["state"] == "held"
        ok = await c.post(f"/api/v1/items/{item}/approve", headers=soar,
                          json={"reason": "client's own account", "verdict": "benign"})  # fmt: skip
        assert ok.status_code == 200 and (ok.json()["verdict"], ok.json()["verdict_by"]) == ("benign", "api:soar")
        res = (await c.post("/api/v1/bulk", headers=soar, json={"ids": [other], "action": "comment",
                                                                 "reason": "asked the desk"})).json()  # fmt: skip
        assert res[0]["state"] == "held" and res[0]["record_id"]
    records = [x for x in await env.svc.audit_log.records() if x["action"] == "approve"]
    assert [(x["verdict"], x["verdict_by"]) for x in records] == [("benign", "api:soar")]


async def test_console_bulk_comment_and_decided_reason(env: Env) -> None:
    ids = [await env.svc.hold(make_held(env.sim)) for _ in range(2)]
    async with httpx.AsyncClient(base_url=env.url) as carol:
        await sign_in(carol, "carol", "carol-password")
        page = await carol.get("/")
        assert all(i in page.text for i in ids)
        for i in ids:  # the request id the sender was given is on the item
            assert (await env.svc.get(i))["request_id"] in page.text
        resp = await carol.post("/bulk", data={"csrf": csrf_of(page.text), "ids": ids, "action": "comment",
                                               "reason": "called the desk"})  # fmt: skip
        assert resp.status_code == 200 and "None" not in resp.text and resp.text.count("commented") == 2
        token = csrf_of((await carol.get(f"/items/{ids[0]}")).text)
        resp = await carol.post(f"/items/{ids[0]}/reject", data={"csrf": token, "reason": "client SSN in chat",
                                                                  "verdict": "true_positive"})  # fmt: skip
        assert resp.status_code == 303
        shown = await carol.get(f"/items/{ids[0]}")
        assert "client SSN in chat" in shown.text and "called the desk" in shown.text and "true positive" in shown.text
        assert SSN not in shown.text


def test_break_glass_without_an_alert_channel_warns_at_start(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Break-glass use is archived either way, but Compliance hears of it only through the
    alert channel, which the shipped policy leaves unset (insider attack of 2026-12-07
    night, F5): the console says so once, at start."""
    import logging

    from dlp_proxy.review.auth import Authenticator

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with caplog.at_level(logging.WARNING, logger="dlp_proxy.review.auth"):
        Authenticator(None, "http://127.0.0.1:9", make_env_settings(tmp_path / "a"))  # type: ignore[arg-type]
    assert any("alerts no one" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dlp_proxy.review.auth"):
        Authenticator(None, "http://127.0.0.1:9", make_env_settings(tmp_path / "b", alert_channel_id="c" * 26))  # type: ignore[arg-type]
    assert not any("alerts no one" in r.getMessage() for r in caplog.records)
