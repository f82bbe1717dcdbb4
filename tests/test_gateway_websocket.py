"""Websocket frames judged (issue 14, class 8): unit tests of the frame reading,
then frames through the real gateway to the simulator."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import wsproto
import wsproto.events as wse
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.websocket import classify_frame, frame_route
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway, archive_records, start_gateway

CHANNEL = "a" * 26
TOKEN = "b" * 26


def _f(doc: Any) -> bytes:
    return json.dumps(doc).encode()


# ------------------------------------------------------------------ reading
@pytest.mark.parametrize("doc", [
    {"seq": 1, "action": "ping"},
    {"seq": 2, "action": "ping", "data": {}},
    {"seq": 3, "action": "get_statuses", "data": None},
    {"seq": 4, "action": "get_statuses_by_ids", "data": {"user_ids": [CHANNEL]}},
    {"seq": 5, "action": "user_update_active_status", "data": {"user_is_active": True, "manual": False}},
    {"seq": 6, "action": "authentication_challenge", "data": {"token": TOKEN}},
    {"seq": 7, "action": "presence", "data": {"channel_id": CHANNEL}},
    {"seq": 8, "action": "presence", "data": {"thread_channel_id": "", "is_thread_view": False}},
    # wsapi/user.go userTyping: two ids, nothing else
    {"seq": 9, "action": "user_typing", "data": {"channel_id": CHANNEL, "parent_id": ""}},
    {"seq": 10, "action": "user_typing", "data": {"channel_id": CHANNEL, "parent_id": CHANNEL}},
])
def test_core_frames_without_content_pass_after_a_shape_check(doc: dict[str, Any]) -> None:
    assert classify_frame(_f(doc), True).kind == "pass"


@pytest.mark.parametrize("doc", [
    {"seq": 1, "action": "ping", "data": {"text": SSN}},  # every frame reaches plugins' WebSocketMessageHasBeenPosted
    {"seq": 1, "action": "ping", "extra": SSN},
    {"seq": 1, "action": "get_statuses_by_ids", "data": {"user_ids": [SSN]}},
    {"seq": 1, "action": "user_update_active_status", "data": {"user_is_active": SSN}},
    {"seq": 1, "action": "posted_notify_ack", "data": {"post_id": CHANNEL, "user_agent": "x"}},
    {"seq": 1, "action": "presence", "data": {"channel_id": SSN}},
    {"seq": 1, "action": "presence", "data": {"team_id": CHANNEL, "note": "x"}},
    {"seq": 1, "action": "custom_com.mattermost.calls_join", "data": {"channelID": CHANNEL, "title": "t"}},
    {"seq": 1, "action": "something_new", "data": {}},
    {"seq": "1", "action": "ping"},
])
def test_frames_that_may_carry_text_are_inspected(doc: dict[str, Any]) -> None:
    assert classify_frame(_f(doc), True).kind == "inspect"


@pytest.mark.parametrize("doc", [
    # wsapi/user.go userTyping broadcasts parent_id as it is: ids only
    {"seq": 1, "action": "user_typing", "data": {"channel_id": CHANNEL, "parent_id": f"client {SSN}"}},
    {"seq": 1, "action": "user_typing", "data": {"channel_id": CHANNEL, "parent_id": "536228710"}},
    {"seq": 1, "action": "user_typing", "data": {"channel_id": CHANNEL, "parent_id": 536228710}},
    {"seq": 1, "action": "user_typing", "data": {"channel_id": CHANNEL, "parent_id": "", "note": "x"}},
    {"seq": 1, "action": "user_typing", "data": {"channel_id": "536228710"}},
    {"seq": 1, "action": "USER_TYPING", "data": {"channel_id": CHANNEL}},
    {"seq": 1, "action": "user_typing", "data": {"channel_id": CHANNEL}, "extra": 1},
    # wsapi/system.go websocketNotificationAck: ids, enumerations, no numbers
    {"seq": 1, "action": "posted_notify_ack", "data": {"post_id": CHANNEL, "status": 536228710}},
    {"seq": 1, "action": "posted_notify_ack", "data": {"post_id": 536228710}},
    {"seq": 1, "action": "posted_notify_ack", "data": {"post_id": CHANNEL, "reason": "ssn 536-22-8710"}},
    {"seq": 1, "action": "posted_notify_ack", "data": {"post_id": CHANNEL, "data": {"n": 536228710}}},
    {"seq": 1, "action": "posted_notify_ack", "data": {"post_id": CHANNEL, "other": "x"}},
])
def test_core_frames_of_the_wrong_shape_are_dropped(doc: dict[str, Any]) -> None:
    assert classify_frame(_f(doc), True).kind == "drop"


@pytest.mark.parametrize(("raw", "is_text"), [
    (b'{"seq":1,"action":"ping"}', False),  # binary: msgpack for Mattermost
    (b'{"seq":1,"action":"ping","action":"custom_x"}', True),  # duplicate key
    (b'{"seq":1,"action":"ping","Action":"custom_x"}', True),  # Go folds Action onto action
    (b'{"seq":1,"action":"ping","\\u212aey":1,"key":2}', True),  # KELVIN SIGN folds to k
    (b'{"seq":1,"action":"ping"} {"x":1}', True),  # trailing value
    (b'[1,2]', True),
    (b'{"seq":1,"action":"authentication_challenge","data":{"token":"x","note":"y"}}', True),
    (b'{"seq":1,"action":"Authentication_Challenge","data":{"token":"' + TOKEN.encode() + b'"}}', True),
    (b'{"seq":1,"action":7}', True),
    (b'{"seq":1,"action":"user_typing","data":{"a":{"b":1,"b":2}}}', True),
])
def test_frames_the_gateway_cannot_read_as_mattermost_does_are_dropped(raw: bytes, is_text: bool) -> None:
    assert classify_frame(raw, is_text).kind == "drop"


def test_a_credential_frame_is_never_inspected() -> None:
    judged = classify_frame(_f({"seq": 1, "action": "authentication_challenge", "data": {"token": SSN}}), True)
    assert judged.kind == "drop" and judged.token is None


def test_routes_and_labels() -> None:
    assert frame_route("user_typing").name == "websocket.user_typing"
    assert frame_route("user_typing").channel_from == "body.data.channel_id"
    assert classify_frame(_f({"action": "custom_" + "123456789", "data": {}}), True).action_label == "~other"


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3), max_leaves=8)


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(st.sampled_from(["seq", "action", "data", "Action", "DATA", "seQ", "x", "\u212aey", "token"]),
                       _VALUES | st.sampled_from(["ping", "get_statuses", "user_typing", "custom_a", "presence",
                                                  "authentication_challenge"]), max_size=4))
def test_a_frame_that_passes_unread_carries_no_string_but_ids_and_its_action(doc: dict[str, Any]) -> None:
    """Invariant: a frame that passes without inspection has only the keys
    seq/action/data, and no string in it other than its action, 26-character
    ids (user ids, a token)."""
    judged = classify_frame(_f(doc), True)
    if judged.kind != "pass":
        return
    assert set(doc) <= {"seq", "action", "data"}
    strings: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, str):
            strings.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                strings.append(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc.get("data"))
    allowed = {"user_ids", "token", "user_is_active", "manual", "channel_id", "team_id", "thread_channel_id",
               "is_thread_view", ""}
    assert all(s in allowed or (len(s) == 26 and s.isalnum()) for s in strings), doc


# ------------------------------------------------------------------ through the gateway
class WS:
    def __init__(self, url: str, headers: list[tuple[bytes, bytes]]) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
        self.sock.sendall(self.ws.send(wse.Request(host=f"{host}:{port}", target="/api/v4/websocket",
                                                   extra_headers=headers)))
        self.events: list[Any] = []

    def wait(self, pred: Any, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ev in self.events:
                if pred(ev):
                    self.events.remove(ev)
                    return ev
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            self.ws.receive_data(data)
            for ev in self.ws.events():
                if isinstance(ev, wse.TextMessage):
                    self.events.append(json.loads(ev.data))
                elif isinstance(ev, wse.AcceptConnection):
                    self.events.append("accepted")
        raise TimeoutError(f"no matching event; have {self.events}")

    def send_text(self, text: str) -> None:
        self.sock.sendall(self.ws.send(wse.Message(data=text)))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(self.ws.send(wse.Message(data=data)))

    def close(self) -> None:
        self.sock.close()


@pytest.fixture(scope="module")
def wsgw(simulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    from tests.conftest import stop

    gw = start_gateway(simulator, tmp_path_factory.mktemp("wsgw"))
    yield gw
    stop(gw.proc)


def _received(gw: Gateway) -> list[dict[str, Any]]:
    return list(httpx.get(gw.sim.url + "/__sim/ws_messages", timeout=10).json())


def test_websocket_frames_judged_through_the_gateway(wsgw: Gateway) -> None:
    gw = wsgw
    httpx.delete(gw.sim.url + "/__sim/requests", timeout=10)
    town = gw.sim.channel("town_square")
    conn = WS(gw.url, [(b"authorization", f"Bearer {gw.sim.token('alice')}".encode())])
    try:
        conn.wait(lambda e: e == "accepted")
        conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "hello")
        # clean frames pass byte for byte (odd spacing on purpose: not re-serialized)
        ping = '{"seq": 1,  "action":"ping"}'
        typing = '{"seq":2,"action":"user_typing","data":{"channel_id":"TOWN","parent_id":""}}'.replace("TOWN", town)
        plugin_clean = ('{"seq":3,"action":"custom_com.mattermost.calls_join","data":{"channelID":"TOWN","title":"standup"}}'
                        .replace("TOWN", town))
        conn.send_text(ping)
        assert conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 1)["data"]["text"] == "pong"
        conn.send_text(typing)
        conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 2)
        conn.send_text(plugin_clean)
        conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 3)
        # frames carrying an identifier are dropped
        typing_dirty = json.dumps({"seq": 4, "action": "user_typing", "data": {"channel_id": town, "parent_id": f"client {SSN}"}})
        plugin_dirty = json.dumps({"seq": 5, "action": "custom_com.mattermost.calls_join",
                                   "data": {"channelID": town, "title": f"call about {SSN}"}})
        ping_dirty = json.dumps({"seq": 6, "action": "ping", "data": {"note": SSN}})
        conn.send_text(typing_dirty)
        conn.send_text(plugin_dirty)
        conn.send_text(ping_dirty)
        conn.send_bytes(b"\x83\xa3seq\x07\xa6action\xa4ping\xa4data\x80")  # msgpack
        # each dropped frame is answered as Mattermost answers a failed request (the
        # typing frame is refused for its shape: its parent_id is no id)
        for seq in (4, 5, 6):
            reply = conn.wait(lambda e, seq=seq: isinstance(e, dict) and e.get("seq_reply") == seq)
            assert reply["status"] == "FAIL" and reply["error"]["id"] == "api.dlp.blocked.app_error"
            assert SSN not in json.dumps(reply)
        # the socket stays usable: a clean frame after the drops still passes
        conn.send_text('{"seq":8,"action":"ping"}')
        conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 8)
    finally:
        conn.close()
    texts = [m.get("text") for m in _received(gw)]
    assert texts == [ping, typing, plugin_clean, '{"seq":8,"action":"ping"}']
    assert not any("bytes_b64" in m for m in _received(gw))
    digits = SSN.replace("-", "")
    records = [r for r in archive_records(gw.data_dir) if str(r.get("route", "")).startswith("websocket.")]
    by_route: dict[str, list[str]] = {}
    for r in records:
        by_route.setdefault(r["route"], []).append(r["action"])
    assert by_route["websocket.user_typing"] == ["block"]  # the clean one passed after its shape check
    assert "block" in by_route["websocket.custom_com.mattermost.calls_join"]
    assert "block" in by_route["websocket.ping"]
    assert "block" in by_route["websocket.~binary"]
    blocked = [r for r in records if r["action"] == "block" and r.get("entity_types")]
    assert all("US_SSN" in r["entity_types"] for r in blocked) and len(blocked) == 2
    raw = b"".join(p.read_bytes() for p in (gw.data_dir / "archive").rglob("*") if p.is_file())
    assert SSN.encode() not in raw and digits.encode() not in raw


def test_authentication_challenge_gives_later_frames_their_user(wsgw: Gateway) -> None:
    gw = wsgw
    # a session token as Mattermost issues them (model.NewId(), 26 x [a-z0-9])
    login = httpx.post(gw.url + "/api/v4/users/login", json={"login_id": "bob", "password": "bob-password"}, timeout=10)
    session_token = login.headers["token"]
    assert len(session_token) == 26
    conn = WS(gw.url, [])
    try:
        conn.wait(lambda e: e == "accepted")
        conn.send_text(json.dumps({"seq": 1, "action": "authentication_challenge", "data": {"token": session_token}}))
        conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 1)
        conn.send_text(json.dumps({"seq": 2, "action": "custom_x_y", "data": {"t": f"{SSN}"}}))
        conn.send_text('{"seq":3,"action":"ping"}')
        conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 3)
    finally:
        conn.close()
    rec = [r for r in archive_records(gw.data_dir) if r.get("route") == "websocket.custom_x_y"][-1]
    assert rec["action"] == "block"
    assert rec["context"]["user_id"] == gw.sim.ids["users"]["bob"]
    raw = b"".join(p.read_bytes() for p in (gw.data_dir / "archive").rglob("*") if p.is_file())
    assert session_token.encode() not in raw
