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
from dlp_proxy.policy.testing import ACCOUNT, CARD, SSN
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

    def wait(self, pred: Any, timeout: float = 60) -> Any:
        """The first event ``pred`` matches.  ``timeout`` outlasts a test gateway's 25 s
        scan deadline: a frame's answer (its FAIL, or the deadline's) is waited for, not
        raced against a loaded machine (where the scan workers, at nice 19, may take
        more than 10 s to answer a msgpack frame)."""
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
        conn.send_bytes(b"\x83\xa3seq\x07\xa6action\xa4ping\xa4data\x80\x00")  # msgpack + a trailing byte
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


# ------------------------------------------------------------------ ids Mattermost could not have made (atk27 B, E)
def _card_account() -> str:
    # 26 digits: a card number glued to an account number (model.IsValidId accepts it)
    return CARD.replace(" ", "") + ACCOUNT


def _card_in_alphabet() -> str:
    # 26 characters of model.NewId's alphabet, a 16-digit run in them
    return CARD.replace(" ", "") + "y" * 10


def test_typing_and_ids_that_newid_could_not_have_made_are_refused(wsgw: Gateway) -> None:
    """Typing's parent_id is broadcast to every channel member (app/user.go
    PublishUserTyping): only an id model.NewId could have made, with no long digit run,
    passes; a posted_notify_ack post id, presence and status ids outside NewId's
    alphabet are dropped too (atk27 B, E)."""
    gw = wsgw
    town = gw.sim.channel("town_square")
    alice = gw.sim.ids["users"]["alice"]
    before = len(_received(gw))
    conn = WS(gw.url, [(b"authorization", f"Bearer {gw.sim.token('alice')}".encode())])
    frames = {
        11: {"action": "user_typing", "data": {"channel_id": town, "parent_id": _card_account()}},
        12: {"action": "user_typing", "data": {"channel_id": town, "parent_id": _card_in_alphabet()}},
        13: {"action": "user_typing", "data": {"channel_id": town, "parent_id": "ssn" + SSN.replace("-", "") + "z" * 14}},
        14: {"action": "posted_notify_ack", "data": {"post_id": _card_account(), "status": "success", "reason": ""}},
        15: {"action": "presence", "data": {"channel_id": town, "team_id": _card_account()}},
        16: {"action": "get_statuses_by_ids", "data": {"user_ids": [alice, _card_account()]}},
    }
    try:
        conn.wait(lambda e: e == "accepted")
        conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "hello")
        for seq, doc in frames.items():
            conn.send_text(json.dumps({"seq": seq, **doc}))
        for seq in frames:
            reply = conn.wait(lambda e, seq=seq: isinstance(e, dict) and e.get("seq_reply") == seq)
            assert reply["status"] == "FAIL" and reply["error"]["id"] == "api.dlp.blocked.app_error", (seq, reply)
        # real ids still pass: a thread's root id, the user's own id
        ok_typing = json.dumps({"seq": 17, "action": "user_typing", "data": {"channel_id": town, "parent_id": town}})
        ok_statuses = json.dumps({"seq": 18, "action": "get_statuses_by_ids", "data": {"user_ids": [alice]}})
        conn.send_text(ok_typing)
        conn.send_text(ok_statuses)
        for seq in (17, 18):
            reply = conn.wait(lambda e, seq=seq: isinstance(e, dict) and e.get("seq_reply") == seq)
            assert reply.get("status") != "FAIL", reply
    finally:
        conn.close()
    texts = [m.get("text") for m in _received(gw)[before:]]
    assert texts == [ok_typing, ok_statuses]


def test_rest_typing_with_a_parent_id_newid_could_not_have_made_is_refused(wsgw: Gateway) -> None:
    """POST /api/v4/users/{id}/typing (api4/user.go publishUserTyping): the same
    parent_id rule; refused with a 400 AppError, never reaching Mattermost (atk27 B)."""
    gw = wsgw
    town = gw.sim.channel("town_square")
    alice = gw.sim.ids["users"]["alice"]
    headers = {"Authorization": f"Bearer {gw.sim.token('alice')}"}
    httpx.delete(gw.sim.url + "/__sim/requests", timeout=10)
    for parent in (_card_account(), _card_in_alphabet()):
        r = httpx.post(f"{gw.url}/api/v4/users/{alice}/typing", headers=headers,
                       json={"channel_id": town, "parent_id": parent}, timeout=10)
        assert r.status_code == 400, r.text
        body = r.json()
        assert body["status_code"] == 400 and body["id"] and "message" in body and "detailed_error" in body
        assert parent not in r.text
    reached = [x for x in httpx.get(gw.sim.url + "/__sim/requests", timeout=10).json() if x["path"].endswith("/typing")]
    assert reached == []
    ok = httpx.post(f"{gw.url}/api/v4/users/{alice}/typing", headers=headers,
                    json={"channel_id": town, "parent_id": ""}, timeout=10)
    assert ok.status_code == 200, ok.text


def test_pending_post_ids_newid_could_not_have_made_are_scanned(wsgw: Gateway) -> None:
    """A post's pending_post_id is echoed to the channel with the post: an id-shaped
    value outside NewId's alphabet (or with a long digit run), alone or as the id part
    of ``<id>:<ms>``, is scanned as text, no longer skipped as an id (atk27 B)."""
    gw = wsgw
    town = gw.sim.channel("town_square")
    headers = {"Authorization": f"Bearer {gw.sim.token('alice')}"}
    hidden = "ssn" + SSN.replace("-", "") + "z" * 14
    now = int(time.time() * 1000)
    for pending in (hidden, f"{hidden}:{now}"):
        r = httpx.post(f"{gw.url}/api/v4/posts", headers=headers,
                       json={"channel_id": town, "message": "hello", "pending_post_id": pending}, timeout=10)
        assert r.status_code == 403 and r.json()["id"] == "api.dlp.blocked.app_error", r.text
    alice = gw.sim.ids["users"]["alice"]
    r = httpx.post(f"{gw.url}/api/v4/posts", headers=headers,
                   json={"channel_id": town, "message": "hello", "pending_post_id": f"{alice}:{now}"}, timeout=10)
    assert r.status_code == 201, r.text


# ------------------------------------------------------------------ binary (msgpack) frames (atk27 G)
def _mp(doc: Any) -> bytes:
    import msgpack

    return bytes(msgpack.packb(doc, use_bin_type=True))


def _sdp_frame(seq: int, text: str) -> bytes:
    # mattermost-plugin-calls webapp/src/client.ts: ws.send('sdp', {data: deflate(JSON.stringify(offer))}, true)
    import zlib

    offer = json.dumps({"type": "offer", "sdp": text}).encode()
    return _mp({"action": "custom_com.mattermost.calls_sdp", "seq": seq, "data": {"data": zlib.compress(offer)}})


#: an SDP offer as a browser writes one (session id, SSRCs, ports, a fingerprint)
_SDP = "\r\n".join([
    "v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0 1",
    "a=msid-semantic: WMS 7b6bb0c5-2f0e-4c1b-9a59-3f1f0d2c8e11",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126", "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0",
    "a=ice-ufrag:Zx4b", "a=ice-pwd:PLkkjq6JeQyBRtK/0e0mZGWy", "a=ice-options:trickle",
    "a=fingerprint:sha-256 6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08",
    "a=setup:actpass", "a=mid:0", "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level", "a=sendrecv",
    "a=rtcp-mux", "a=rtpmap:111 opus/48000/2", "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=ssrc:3779648384 cname:Jq9KD2p3xC0w1Yq3", "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "a=mid:1",
    "a=rtpmap:96 VP8/90000", "a=ssrc-group:FID 2231627014 1460196215", "a=ssrc:2231627014 cname:Jq9KD2p3xC0w1Yq3", "",
])


@pytest.mark.parametrize("raw", [
    _mp({"seq": 1, "action": "ping"}) + b"\x00",  # trailing bytes
    b"\xc1\x00",  # not msgpack
    _mp([1, 2]),  # not a map
    _mp({1: 2}),  # a key that is not a string
    b"\x82\xa1a\x01\xa1a\x02",  # a repeated key
    b"\x81\xa1a" * 40 + b"\xc0",  # nested past MAX_MSGPACK_DEPTH
    b"\x91" * 5000 + b"\xc0",  # nested past msgpack's stack
    _mp({"seq": 1, "action": "custom_x", "data": {"t": b"\xff\xfe\x00"}}),  # a bin that is no text
    _mp({"seq": 1, "action": "custom_x", "data": {"t": float("nan")}}),
])
def test_binary_frames_the_gateway_cannot_read_are_dropped(raw: bytes) -> None:
    judged = classify_frame(raw, False)
    assert judged.kind == "drop" and judged.action_label == "~binary", judged


def test_binary_frames_are_read_as_the_json_they_stand_for() -> None:
    import zlib

    import msgpack

    ext = bytes(msgpack.packb({"seq": 1, "action": "custom_x", "data": {"t": msgpack.ExtType(5, b"x")}}))
    assert classify_frame(ext, False).kind == "drop"
    bomb = _mp({"seq": 1, "action": "custom_x", "data": {"t": zlib.compress(b"a" * 10_000_000)}})
    assert classify_frame(bomb, False).kind == "drop"
    assert classify_frame(_mp({"seq": 2, "action": "ping"}), False).kind == "pass"
    sdp = classify_frame(_sdp_frame(3, "v=0"), False)
    assert sdp.kind == "inspect" and sdp.action_label == "custom_com.mattermost.calls_sdp"
    assert sdp.body is not None and json.loads(sdp.body)["data"]["data"] == json.dumps({"type": "offer", "sdp": "v=0"})


def test_binary_msgpack_frames_judged_through_the_gateway(wsgw: Gateway) -> None:
    """The Calls plugin's clients send msgpack frames (its SDP offer zlib-compressed in
    a bin): a clean one reaches Mattermost byte for byte; one carrying an identifier in
    a string, a key or its compressed SDP is dropped and answered FAIL; what the
    gateway cannot read is dropped as before (atk27 G)."""
    import msgpack

    gw = wsgw
    before = len(_received(gw))
    town = gw.sim.channel("town_square")
    clean_sdp = _sdp_frame(21, _SDP)
    clean_ping = _mp({"seq": 22, "action": "ping"})
    dirty = {
        23: _mp({"seq": 23, "action": "custom_com.mattermost.calls_join", "data": {"channelID": town, "title": f"call {SSN}"}}),
        24: _mp({"seq": 24, "action": "custom_x_y", "data": {f"client {SSN}": True}}),
        25: _sdp_frame(25, _SDP + f"a=note:client SSN {SSN}\r\n"),
    }
    # unreadable: dropped unanswered (their seq is not read either)
    unreadable = [bytes(msgpack.packb({"seq": 26, "action": "custom_x_y", "data": {"t": msgpack.ExtType(7, SSN.encode())}})),
                  _mp({"seq": 27, "action": "custom_x_y", "data": {"t": "ok"}}) + _mp({"t": SSN})]
    conn = WS(gw.url, [(b"authorization", f"Bearer {gw.sim.token('alice')}".encode())])
    try:
        conn.wait(lambda e: e == "accepted")
        conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "hello")
        conn.send_bytes(clean_sdp)
        conn.send_bytes(clean_ping)
        for raw in [*unreadable, *dirty.values()]:
            conn.send_bytes(raw)
        for seq in dirty:
            reply = conn.wait(lambda e, seq=seq: isinstance(e, dict) and e.get("seq_reply") == seq)
            assert reply["status"] == "FAIL" and reply["error"]["id"] == "api.dlp.blocked.app_error", (seq, reply)
        conn.send_text('{"seq":28,"action":"ping"}')
        conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 28)
    finally:
        conn.close()
    import base64

    got = _received(gw)[before:]
    binaries = [base64.b64decode(m["bytes_b64"]) for m in got if "bytes_b64" in m]
    assert binaries == [clean_sdp, clean_ping]
    records = [r for r in archive_records(gw.data_dir) if str(r.get("route", "")).startswith("websocket.")]
    blocked = [r for r in records if r["action"] == "block" and "US_SSN" in (r.get("entity_types") or ())]
    routes = {r["route"] for r in blocked}
    assert {"websocket.custom_com.mattermost.calls_join", "websocket.custom_x_y",
            "websocket.custom_com.mattermost.calls_sdp"} <= routes
    raw_archive = b"".join(p.read_bytes() for p in (gw.data_dir / "archive").rglob("*") if p.is_file())
    assert SSN.encode() not in raw_archive
