"""The simulator's interactive messages and dialogs against Mattermost's rules
(server/channels/app/integration_action.go, api4/integration_action.go,
public/model/integration_action.go), with a recording integration on a real socket."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dlp_proxy.simulator import SimulatorServer, ThreadedServer


class Integration:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.answer: dict[str, Any] = {}
        self.status = 200
        self.sim_url = ""

    async def action(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.calls.append(body)
        if self.answer.get("open_dialog"):
            async with httpx.AsyncClient() as c:
                r = await c.post(self.sim_url + "/api/v4/actions/dialogs/open", json={
                    "trigger_id": body["trigger_id"], "url": self.answer["open_dialog"],
                    "dialog": {"callback_id": "cb", "title": "Why", "elements": [], "state": "st"}})
                assert r.status_code == 200, r.text
        return JSONResponse({k: v for k, v in self.answer.items() if k != "open_dialog"}, status_code=self.status)


@pytest.fixture
def env() -> Iterator[tuple[SimulatorServer, ThreadedServer, Integration]]:
    integ = Integration()
    app = Starlette(routes=[Route("/hook", integ.action, methods=["POST"])])
    with SimulatorServer() as sim, ThreadedServer(app) as srv:
        integ.sim_url = sim.url
        yield sim, srv, integ


def _ids(sim: SimulatorServer) -> dict[str, Any]:
    return dict(httpx.get(sim.url + "/__sim/ids").json())


def _as(sim: SimulatorServer, user: str) -> httpx.Client:
    return httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {user}-token"}, timeout=30)


def _ephemeral(sim: SimulatorServer, ids: dict[str, Any], url: str, to: str = "alice") -> dict[str, Any]:
    with _as(sim, "dlp-bot") as bot:
        r = bot.post("/api/v4/posts/ephemeral", json={"user_id": ids["users"][to], "post": {
            "channel_id": ids["channels"]["dm_alice_bob"], "message": "held",
            "props": {"attachments": [{"actions": [
                {"id": "btn1", "type": "button", "name": "Go", "integration": {"url": url, "context": {"k": "secret"}}},
                {"type": "button", "name": "No id", "integration": {"url": url}}]}]}}})
        assert r.status_code == 201, r.text
    events = httpx.get(sim.url + "/__sim/events", params={"user_id": ids["users"][to]}).json()
    return dict(json.loads(events[-1]["data"]["post"]))


def test_ephemeral_post_action_with_cookie_and_dialog(env: tuple[SimulatorServer, ThreadedServer, Integration]) -> None:
    sim, srv, integ = env
    ids = _ids(sim)
    httpx.post(sim.url + "/__sim/config", json={"allowed_untrusted_internal_connections": "127.0.0.1"})
    post = _ephemeral(sim, ids, srv.url + "/hook")
    actions = post["props"]["attachments"][0]["actions"]
    # GenerateActionIds; the integration (url, context) only inside the sealed cookie
    assert actions[0]["id"] == "btn1" and len(actions[1]["id"]) == 26
    assert all("integration" not in a and a["cookie"] for a in actions)
    assert "secret" not in json.dumps(post) and srv.url not in json.dumps(post)
    integ.answer = {"ephemeral_text": "done", "open_dialog": srv.url + "/hook"}
    with _as(sim, "alice") as alice:
        r = alice.post(f"/api/v4/posts/{post['id']}/actions/btn1", json={"cookie": actions[0]["cookie"]})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "OK" and len(r.json()["trigger_id"]) == 26
        call = integ.calls[-1]
        assert call["user_id"] == ids["users"]["alice"] and call["user_name"] == "alice"
        assert call["context"] == {"k": "secret"} and call["post_id"] == post["id"] and call["type"] == "button"
        assert call["channel_id"] == ids["channels"]["dm_alice_bob"] and call["team_id"] == ""
        raw = base64.b64decode(call["trigger_id"]).decode().split(":")
        assert raw[0] == r.json()["trigger_id"] and raw[1] == ids["users"]["alice"]
        events = httpx.get(sim.url + "/__sim/events", params={"user_id": ids["users"]["alice"]}).json()
        dialog = json.loads(next(e for e in reversed(events) if e["event"] == "open_dialog")["data"]["dialog"])
        assert dialog["trigger_id"] == r.json()["trigger_id"] and dialog["dialog"]["state"] == "st"
        assert any(json.loads(e["data"]["post"])["message"] == "done" for e in events if e["event"] == "ephemeral_message")
        # a tampered cookie; no cookie for a post that is not stored
        bad = alice.post(f"/api/v4/posts/{post['id']}/actions/btn1", json={"cookie": actions[0]["cookie"][:-4] + "AAAA"})
        assert bad.status_code == 400 and bad.json()["id"] == "api.post.do_action.action_integration.app_error"
        assert alice.post(f"/api/v4/posts/{post['id']}/actions/btn1", json={}).status_code == 403
        # the dialog submission: user_id from the session, url removed, type set
        integ.answer = {"errors": {"x": "bad"}}
        submit = {"url": srv.url + "/hook", "callback_id": "cb", "state": "st", "user_id": ids["users"]["bob"],
                  "channel_id": ids["channels"]["dm_alice_bob"], "team_id": "", "submission": {"a": "b"}}
        calls = len(integ.calls)
        # no team: SessionHasPermissionToTeam("") is false, even from a DM
        assert alice.post("/api/v4/actions/dialogs/submit", json=submit).status_code == 403
        assert len(integ.calls) == calls
        sub = alice.post("/api/v4/actions/dialogs/submit", json={**submit, "team_id": ids["team"]})
        assert sub.status_code == 200 and sub.json() == {"errors": {"x": "bad"}}
        call = integ.calls[-1]
        assert call["user_id"] == ids["users"]["alice"] and call["type"] == "dialog_submission" and "url" not in call
        assert call["submission"] == {"a": "b"} and call["state"] == "st"
        # a non-200 integration answer is Mattermost's 400
        integ.status = 500
        r = alice.post(f"/api/v4/posts/{post['id']}/actions/btn1", json={"cookie": actions[0]["cookie"]})
        assert r.status_code == 400 and r.json()["id"] == "api.post.do_action.action_integration.app_error"
    with _as(sim, "sam") as sam:  # not a member of the DM channel in the cookie
        r = sam.post(f"/api/v4/posts/{post['id']}/actions/btn1", json={"cookie": actions[0]["cookie"]})
        assert r.status_code == 403


def test_internal_address_refused_unless_allowed(env: tuple[SimulatorServer, ThreadedServer, Integration]) -> None:
    sim, srv, integ = env
    ids = _ids(sim)
    post = _ephemeral(sim, ids, srv.url + "/hook")
    cookie = post["props"]["attachments"][0]["actions"][0]["cookie"]
    with _as(sim, "alice") as alice:
        r = alice.post(f"/api/v4/posts/{post['id']}/actions/btn1", json={"cookie": cookie})
        assert r.status_code == 400 and "AllowedUntrustedInternalConnections" in r.json()["detailed_error"]
        assert integ.calls == []
        httpx.post(sim.url + "/__sim/config", json={"allowed_untrusted_internal_connections": "10.0.0.0/8 127.0.0.0/8"})
        assert alice.post(f"/api/v4/posts/{post['id']}/actions/btn1", json={"cookie": cookie}).status_code == 200
        assert len(integ.calls) == 1


def test_trigger_ids_are_signed_and_expire(env: tuple[SimulatorServer, ThreadedServer, Integration]) -> None:
    sim, _srv, _integ = env
    inter = sim.sim.interactions
    _client_id, trigger = inter.generate_trigger_id("u" * 26)
    assert inter.verify_trigger_id(trigger)[1] == "u" * 26
    client_id, user, millis, sig = base64.b64decode(trigger).decode().split(":")
    forged = base64.b64encode(f"{client_id}:{'v' * 26}:{millis}:{sig}".encode()).decode()
    dialog = {"url": "http://x/y", "dialog": {"title": "t"}}
    r = httpx.post(sim.url + "/api/v4/actions/dialogs/open", json={**dialog, "trigger_id": forged})
    assert r.status_code == 400 and r.json()["id"] == "interactive_message.decode_trigger_id.verify_signature_failed"
    old = base64.b64encode(f"{client_id}:{user}:{int(time.time() * 1000) - 31_000}:{sig}".encode()).decode()
    r = httpx.post(sim.url + "/api/v4/actions/dialogs/open", json={**dialog, "trigger_id": old})
    assert r.status_code == 400 and r.json()["id"] == "interactive_message.decode_trigger_id.expired"
    r = httpx.post(sim.url + "/api/v4/actions/dialogs/open", json={"trigger_id": trigger, "dialog": {}})
    assert r.status_code == 400  # no url
    assert httpx.post(sim.url + "/api/v4/actions/dialogs/open", json={**dialog, "trigger_id": trigger}).status_code == 200


def test_direct_channel_is_created_once(env: tuple[SimulatorServer, ThreadedServer, Integration]) -> None:
    sim, _srv, _integ = env
    ids = _ids(sim)
    pair = [ids["users"]["dlp-bot"], ids["users"]["sam"]]
    with _as(sim, "dlp-bot") as bot:
        a = bot.post("/api/v4/channels/direct", json=pair)
        b = bot.post("/api/v4/channels/direct", json=list(reversed(pair)))
        assert a.status_code == b.status_code == 201 and a.json()["id"] == b.json()["id"] and a.json()["type"] == "D"
        assert bot.post("/api/v4/posts", json={"channel_id": a.json()["id"], "message": "hi"}).status_code == 201
    with _as(sim, "alice") as alice:
        assert alice.post("/api/v4/channels/direct", json=pair).status_code == 403


def test_events_reach_the_users_websocket(env: tuple[SimulatorServer, ThreadedServer, Integration]) -> None:
    """App.Publish: the ephemeral post goes to its user's open websockets (and only theirs)."""
    from tests.test_simulator import _ws_connect, _ws_events

    sim, srv, _integ = env
    ids = _ids(sim)
    alice_sock, alice_ws = _ws_connect(sim.url, "/api/v4/websocket", [(b"authorization", b"Bearer alice-token")])
    bob_sock, bob_ws = _ws_connect(sim.url, "/api/v4/websocket", [(b"authorization", b"Bearer bob-token")])
    try:
        assert [e if e == "accepted" else e["event"] for e in _ws_events(alice_sock, alice_ws, 2)] == ["accepted", "hello"]
        assert len(_ws_events(bob_sock, bob_ws, 2)) == 2
        post = _ephemeral(sim, ids, srv.url + "/hook")
        (event,) = _ws_events(alice_sock, alice_ws, 1)
        assert event["event"] == "ephemeral_message" and event["seq"] == 1
        assert json.loads(event["data"]["post"])["id"] == post["id"]
        assert event["broadcast"]["user_id"] == ids["users"]["alice"]
        bob_sock.settimeout(0.5)
        with pytest.raises(TimeoutError):
            bob_sock.recv(65536)
    finally:
        alice_sock.close()
        bob_sock.close()
