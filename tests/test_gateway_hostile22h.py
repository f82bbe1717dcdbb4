"""Bounded cost before trust (issue 16), pass 22h: slash-command response hooks (no API
reads them: Mattermost's own answers and an id's shape are used before the body), bots
paying from their principal's scan budget, and the per-address cap behind a trusted
proxy.  Through the real gateway and the simulator over real sockets; the one clock that
matters (a command hook's lifetime) is injected in the unit test below it."""

from __future__ import annotations

import json
import socket
import string
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlp_proxy.gateway.admission import (
    COMMAND_HOOK_LIFETIME,
    COMMAND_HOOK_MISSING_ID,
    COMMAND_HOOK_USED_ID,
    UNKNOWN_SECONDS,
    CommandHooks,
)
from tests.conftest import Gateway, Simulator, archive_records, start_gateway, stop
from tests.test_gateway_hostile import _addr
from tests.test_gateway_hostile21h import _digits_body, _post_head, _random_id, _send

MISSING = (404, COMMAND_HOOK_MISSING_ID)


@pytest.fixture(scope="module")
def gw22(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    # 127.0.0.1 is the site's nginx here: what it forwards is the client address
    gw = start_gateway(simulator, tmp_path_factory.mktemp("hostile22h"), "--scan-deadline", "30",
                       env={"DLP_TRUSTED_PROXIES": "127.0.0.1/32", "DLP_MAX_CONNECTIONS_PER_IP": "3"})
    yield gw
    stop(gw.proc)


def _hook_requests(sim: Simulator, hook_id: str) -> int:
    return sum(1 for r in sim.requests() if r.get("path") == f"/hooks/commands/{hook_id}")


def _fresh_command_hook(sim: Simulator) -> str:
    """A hook as a custom command's execution makes one (model.CommandWebhook: 5 uses, 30 min)."""
    return str(httpx.post(f"{sim.url}/__sim/command_hooks", json={}, timeout=10).json()["id"])


# ---------------------------------------------------------------- command response hooks


def test_a_command_hook_that_cannot_exist_is_refused_before_its_body(gw22: Gateway) -> None:
    """Before: ``POST /hooks/commands/<anything>`` with a 60 KB digit-dense body was read,
    scanned (~1 s of a worker's CPU each) and archived, whatever the id.  An id that is
    no Mattermost id names no hook: 404 ``app.command_webhook.get.missing`` (as
    app/webhook.go HandleCommandWebhook answers an unknown hook) before the body, no
    record, nothing sent to Mattermost."""
    sim = gw22.sim
    body = _digits_body()
    records = len(archive_records(gw22.data_dir))
    sim.clear()
    for hook_id in ("x" * 5, "A" * 26, _random_id()[:25], _random_id() + "0", "abc_defghijkmnopqrstuwxyz1"):
        status, doc = _send(gw22, _post_head(f"/hooks/commands/{hook_id}", len(body)), body)
        assert (status, doc["id"]) == MISSING, (hook_id, status, doc)
        assert doc["status_code"] == 404 and doc["request_id"]
    assert len(archive_records(gw22.data_dir)) == records
    assert not [r for r in sim.requests() if r.get("path", "").startswith("/hooks/")]


def test_a_command_hook_mattermost_did_not_find_is_refused_before_its_body(gw22: Gateway) -> None:
    """An id Mattermost answered 404 to is answered that 404 before the body from then on
    (a ``NewId`` is never issued again): the flood of one id costs one judgment."""
    sim = gw22.sim
    hook_id = _random_id()
    sim.clear()
    first = httpx.post(f"{gw22.url}/hooks/commands/{hook_id}", json={"text": "build 12 finished"}, timeout=60)
    assert (first.status_code, first.json()["id"]) == MISSING, first.text  # Mattermost's own answer
    assert _hook_requests(sim, hook_id) == 1
    records = len(archive_records(gw22.data_dir))
    body = _digits_body()
    for _ in range(3):
        status, doc = _send(gw22, _post_head(f"/hooks/commands/{hook_id}", len(body)), body)
        assert (status, doc["id"]) == MISSING, doc
    assert _hook_requests(sim, hook_id) == 1
    assert len(archive_records(gw22.data_dir)) == records


def test_a_command_hooks_sixth_use_is_refused_before_its_body(gw22: Gateway) -> None:
    """A command hook takes five uses (``TryUse(hook.Id, 5)``): the gateway counts the
    ones Mattermost accepted and answers the sixth 400 ``app.command_webhook.try_use.invalid``
    as Mattermost would, before the body; the five are judged and posted."""
    sim = gw22.sim
    hook_id = _fresh_command_hook(sim)
    sim.clear()
    for i in range(5):
        r = httpx.post(f"{gw22.url}/hooks/commands/{hook_id}", json={"text": f"step {i} done"}, timeout=60)
        assert r.status_code == 200 and r.text == "ok", r.text
    body = _digits_body()
    status, doc = _send(gw22, _post_head(f"/hooks/commands/{hook_id}", len(body)), body)
    assert (status, doc["id"]) == (400, COMMAND_HOOK_USED_ID), doc
    assert _hook_requests(sim, hook_id) == 5
    # a hook of its own is not affected
    other = _fresh_command_hook(sim)
    r = httpx.post(f"{gw22.url}/hooks/commands/{other}", json={"text": "all green"}, timeout=60)
    assert r.status_code == 200 and r.text == "ok", r.text


def test_a_token_does_not_lift_a_command_hooks_body_cap(gw22: Gateway) -> None:
    """Mattermost ignores a session on ``/hooks/commands/{id}`` (APIHandlerTrustRequester):
    the hook's id is the credential.  Before, a user's token lifted the unauthenticated
    body cap (64 KiB) to the text cap (4 MiB) for any id; now a hook Mattermost has not
    accepted yet keeps it, token or not: 413 before the body."""
    sim = gw22.sim
    hook_id = _fresh_command_hook(sim)
    body = json.dumps({"text": "release notes " * 7_000}).encode()  # ~100 KB, clean
    assert 64 * 1024 < len(body) < 4 * 1024 * 1024
    sim.clear()
    extra = f"Authorization: Bearer {sim.token('alice')}\r\n"
    status, doc = _send(gw22, _post_head(f"/hooks/commands/{hook_id}", len(body), extra), body)
    assert status == 413, doc
    assert _hook_requests(sim, hook_id) == 0


def test_the_simulator_answers_command_hooks_as_mattermost() -> None:
    """The simulator's model of HandleCommandWebhook: five uses, then 400; a hook older
    than model.CommandWebhookLifetime is not found (404)."""
    from tests.conftest import start_simulator

    sim = start_simulator()
    try:
        hook_id = _fresh_command_hook(sim)
        answers = [httpx.post(f"{sim.url}/hooks/commands/{hook_id}", json={"text": "ok"}, timeout=10)
                   for _ in range(6)]
        assert [r.status_code for r in answers] == [200] * 5 + [400]
        assert answers[-1].json()["id"] == COMMAND_HOOK_USED_ID
        old = str(httpx.post(f"{sim.url}/__sim/command_hooks", json={"age_ms": 30 * 60 * 1000 + 1},
                             timeout=10).json()["id"])
        r = httpx.post(f"{sim.url}/hooks/commands/{old}", json={"text": "late"}, timeout=10)
        assert (r.status_code, r.json()["id"]) == MISSING
    finally:
        stop(sim.proc)


_ID = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=26, max_size=26)


@given(st.text(alphabet=string.ascii_letters + string.digits + "_-.%", max_size=40).filter(
    lambda s: not (len(s) == 26 and s == s.lower() and s.isalnum() and s.isascii())))
def test_no_text_but_a_mattermost_id_can_name_a_command_hook(hook_id: str) -> None:
    hooks = CommandHooks(clock=lambda: 0.0)
    assert hooks.refusal(hook_id) is not None and hooks.refusal(hook_id)[:2] == MISSING  # type: ignore[index]
    hooks.answered(hook_id, 200, "")  # never remembered as known
    assert hooks.refusal(hook_id)[:2] == MISSING  # type: ignore[index]


@given(_ID)
def test_a_command_hooks_uses_and_lifetime_as_mattermost_counts_them(hook_id: str) -> None:
    now = [1000.0]
    hooks = CommandHooks(clock=lambda: now[0])
    assert hooks.refusal(hook_id) is None  # not known: judged and forwarded
    for _ in range(4):
        hooks.answered(hook_id, 200, "")
        assert hooks.refusal(hook_id) is None
    hooks.answered(hook_id, 200, "")
    assert hooks.refusal(hook_id)[:2] == (400, COMMAND_HOOK_USED_ID)  # type: ignore[index]
    # another hook accepted once, then its lifetime passes (it was created before the use)
    other = hook_id[::-1]
    hooks.answered(other, 200, "")
    now[0] += COMMAND_HOOK_LIFETIME - 1
    assert other == hook_id or hooks.refusal(other) is None
    now[0] += 1
    assert hooks.refusal(other)[:2] == MISSING  # type: ignore[index]
    # one Mattermost did not find: remembered UNKNOWN_SECONDS, then asked again
    third = "z" + hook_id[1:]
    hooks.answered(third, 404, COMMAND_HOOK_MISSING_ID)
    assert hooks.refusal(third)[:2] == MISSING  # type: ignore[index]
    now[0] += UNKNOWN_SECONDS
    assert hooks.refusal(third) is None or third in (hook_id, other)
    # another refusal (a body Mattermost could not parse) teaches nothing
    fourth = "y" + hook_id[1:]
    hooks.answered(fourth, 400, "web.command_webhook.parse.app_error")
    assert fourth in (hook_id, other, third) or hooks.refusal(fourth) is None


# ---------------------------------------------------------------- the per-address cap behind a proxy


def _held_post(gw: Gateway, forwarded_for: str | None) -> tuple[socket.socket, int]:
    """A post's headers through "nginx" (``X-Forwarded-For``, which it appends to), ``Expect: 100-continue``, no body:
    (socket, 100 when admitted, else the refusal's status)."""
    sock = socket.create_connection(_addr(gw))
    extra = f"X-Forwarded-For: {forwarded_for}\r\n" if forwarded_for else ""
    sock.sendall((
        f"POST /api/v4/posts HTTP/1.1\r\nHost: mm.example\r\nAuthorization: Bearer {gw.sim.token('alice')}\r\n"
        f"Content-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n{extra}\r\n"
    ).encode())
    sock.settimeout(60)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed unanswered")
        head += chunk
    return sock, int(head.split(b" ", 2)[1])


def test_behind_a_trusted_proxy_the_forwarded_address_is_capped(gw22: Gateway) -> None:
    """Before: connections from DLP_TRUSTED_PROXIES were not capped by address, so behind
    nginx one client could hold any number of requests open.  Now the address the proxy
    forwards is held to DLP_MAX_CONNECTIONS_PER_IP (3 here) in requests in progress: its
    fourth is answered 503 before the body; another client, and the proxy's own requests,
    are not affected; a finished request frees its place."""
    socks: list[socket.socket] = []
    try:
        statuses = []
        for _ in range(4):
            sock, status = _held_post(gw22, "203.0.113.7")
            socks.append(sock)
            statuses.append(status)
        assert statuses == [100, 100, 100, 503], statuses
        sock, status = _held_post(gw22, "203.0.113.8")  # another client behind the same proxy
        socks.append(sock)
        assert status == 100
        for _ in range(4):  # the proxy's own requests (nothing forwarded) are not capped by address
            sock, status = _held_post(gw22, None)
            socks.append(sock)
            assert status == 100
        socks[0].close()  # one of .7's requests ends: its place is free again
        deadline_socks = []
        for _ in range(50):
            sock, status = _held_post(gw22, "203.0.113.7")
            deadline_socks.append(sock)
            if status == 100:
                break
        socks.extend(deadline_socks)
        assert status == 100
    finally:
        for s in socks:
            s.close()


# ---------------------------------------------------------------- bots pay from their principal's budget


@pytest.fixture(scope="module")
def budget_gw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    # a plug-in detector is never run inline: every scan is charged; 1 ms of scan time an hour
    gw = start_gateway(simulator, tmp_path_factory.mktemp("bots22h"), "--scan-deadline", "30", env={
        "DLP_DETECTOR": "tests.faults:faulty_detector",
        "DLP_USER_SCAN_SECONDS": "0.001", "DLP_USER_SCAN_WINDOW": "3600",
    })
    yield gw
    stop(gw.proc)


def _bot_with_token(sim: Simulator, owner: str, name: str) -> str:
    admin = {"Authorization": f"Bearer {sim.token(owner)}"}
    bot = httpx.post(f"{sim.url}/api/v4/bots", json={"username": name, "display_name": name}, headers=admin,
                     timeout=10)
    assert bot.status_code == 201, bot.text
    bot_id = bot.json()["user_id"]
    member = httpx.post(f"{sim.url}/api/v4/channels/{sim.channel('town_square')}/members",
                        json={"user_id": bot_id}, headers=admin, timeout=10)
    assert member.status_code == 201, member.text
    token = httpx.post(f"{sim.url}/api/v4/users/{bot_id}/tokens", json={"description": "ci"}, headers=admin,
                       timeout=10)
    assert token.status_code == 200, token.text
    return str(token.json()["token"])


def test_a_bots_scans_pay_from_its_owners_bots_budget_and_spend_no_persons(budget_gw: Gateway) -> None:
    """Two bots of carol's: the first's digit-heavy post is scanned (and overdraws the
    1 ms budget), the second's is refused 429: they pay from one budget, their owner's
    (her principal), so N bots buy no more scan time than one.  Carol's own post, and
    alice's, are scanned: a bot's flood spends no person's budget (before: each bot had
    a budget of its own)."""
    sim = budget_gw.sim
    suffix = _random_id()[:6]
    first, second = (_bot_with_token(sim, "carol", f"ci-{suffix}-{n}") for n in ("a", "b"))
    town = sim.channel("town_square")
    text = " ".join(f"ticket {i:07d}" for i in range(20_000))[:16_000]

    def post(token: str) -> httpx.Response:
        return httpx.post(f"{budget_gw.url}/api/v4/posts", json={"channel_id": town, "message": text},
                          headers={"Authorization": f"Bearer {token}"}, timeout=120)

    r = post(first)
    assert r.status_code != 429, r.text
    r = post(second)
    assert r.status_code == 429 and r.json()["id"] == "api.dlp.scan_budget.app_error", r.text
    r = post(first)
    assert r.status_code == 429, r.text
    for person in ("carol", "alice"):
        r = post(sim.token(person))
        assert r.status_code != 429, (person, r.text)
        assert json.loads(r.text).get("id") != "api.dlp.scan_budget.app_error"
