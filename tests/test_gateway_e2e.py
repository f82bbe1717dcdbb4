"""End to end over real sockets: the gateway process, its private Redis, the simulator.

For every content route in the table: a request carrying an identifier is
stopped and never reaches Mattermost (the simulator's record proves it), and a
clean one reaches Mattermost byte-for-byte unchanged.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import Gateway, archive_records
from tests.shown import shown


@pytest.fixture(scope="module")
def gateway(module_gateway: Gateway) -> Gateway:
    """This module's own gateway (conftest ``module_gateway``: its clean posts are not
    joined with the session gateway's window of earlier modules' hostile pieces)."""
    return module_gateway


DIRTY = "Client SSN is 536-22-1234, please update the account"
CLEAN = "Lunch at noon? Order #4471 ships Friday, ticket 20931."

STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}


@dataclass
class Case:
    name: str
    build: Callable[[Gateway, str], tuple[str, str, dict[str, str], bytes]]
    user: str = "alice"


def _json(method: str, path: str, doc: Any) -> tuple[str, str, dict[str, str], bytes]:
    return method, path, {"Content-Type": "application/json"}, json.dumps(doc).encode()


def _multipart(fields: list[tuple[str, str | None, bytes]]) -> tuple[dict[str, str], bytes]:
    boundary = "----dlpproxytest" + uuid.uuid4().hex
    out = b""
    for name, filename, data in fields:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disp}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: text/plain\r\n"
        out += b"\r\n" + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, out


def _seed_post(gw: Gateway) -> str:
    r = httpx.post(f"{gw.sim.url}/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"), "message": "seed"},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _seed_scheduled(gw: Gateway) -> str:
    r = httpx.post(f"{gw.sim.url}/api/v4/posts/schedule",
                   json={"channel_id": gw.sim.channel("town_square"), "message": "seed", "scheduled_at": 4102444800000},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=10)
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


def _seed_bookmark(gw: Gateway) -> str:
    town = gw.sim.channel("town_square")
    r = httpx.post(f"{gw.sim.url}/api/v4/channels/{town}/bookmarks",
                   json={"display_name": "seed", "type": "link", "link_url": "https://example.com"},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=10)
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


def _files_multipart(gw: Gateway, m: str) -> tuple[str, str, dict[str, str], bytes]:
    headers, body = _multipart([("channel_id", None, gw.sim.channel("town_square").encode()),
                                ("client_ids", None, b"cid1"), ("files", "notes.txt", m.encode())])
    return "POST", "/api/v4/files", headers, body


def _webhook_form(gw: Gateway, m: str) -> tuple[str, str, dict[str, str], bytes]:
    from urllib.parse import urlencode

    body = urlencode({"payload": json.dumps({"text": m})}).encode()
    return "POST", f"/hooks/{gw.sim.ids['incoming_hook']}", {"Content-Type": "application/x-www-form-urlencoded"}, body


def _webhook_multipart(gw: Gateway, m: str) -> tuple[str, str, dict[str, str], bytes]:
    headers, body = _multipart([("text", None, m.encode())])
    return "POST", f"/hooks/{gw.sim.ids['incoming_hook']}", headers, body


CASES = [
    Case("posts.create", lambda g, m: _json("POST", "/api/v4/posts", {"channel_id": g.sim.channel("town_square"), "message": m})),
    Case("posts.create.attachment", lambda g, m: _json("POST", "/api/v4/posts", {
        "channel_id": g.sim.channel("town_square"), "message": "see attachment",
        "props": {"attachments": [{"fields": [{"title": "note", "value": m}]}]}})),
    Case("posts.update", lambda g, m: (lambda pid: _json("PUT", f"/api/v4/posts/{pid}", {
        "id": pid, "channel_id": g.sim.channel("town_square"), "message": m}))(_seed_post(g))),
    Case("posts.patch", lambda g, m: _json("PUT", f"/api/v4/posts/{_seed_post(g)}/patch", {"message": m})),
    Case("posts.ephemeral", lambda g, m: _json("POST", "/api/v4/posts/ephemeral", {
        "user_id": g.sim.ids["users"]["bob"], "post": {"channel_id": g.sim.channel("town_square"), "message": m}}), user="carol"),
    Case("posts.schedule.create", lambda g, m: _json("POST", "/api/v4/posts/schedule", {
        "channel_id": g.sim.channel("town_square"), "message": m, "scheduled_at": 4102444800000})),
    Case("posts.schedule.update", lambda g, m: (lambda sid: _json("PUT", f"/api/v4/posts/schedule/{sid}", {
        "id": sid, "channel_id": g.sim.channel("town_square"), "message": m, "scheduled_at": 4102444800000}))(_seed_scheduled(g))),
    Case("drafts.upsert", lambda g, m: _json("POST", "/api/v4/drafts", {"channel_id": g.sim.channel("town_square"), "message": m})),
    Case("posts.move", lambda g, m: _json("POST", f"/api/v4/posts/{_seed_post(g)}/move", {
        "channel_id": g.sim.channel("town_square"), "note": m})),
    Case("files.multipart", _files_multipart),
    Case("files.raw", lambda g, m: ("POST", f"/api/v4/files?channel_id={g.sim.channel('town_square')}&filename=notes.txt",
                                    {"Content-Type": "text/plain"}, m.encode())),
    Case("files.filename", lambda g, m: ("POST", f"/api/v4/files?channel_id={g.sim.channel('town_square')}&filename="
                                         + quote(m + ".txt", safe=""), {"Content-Type": "text/plain"}, b"nothing to see")),
    Case("uploads.create", lambda g, m: _json("POST", "/api/v4/uploads", {
        "channel_id": g.sim.channel("town_square"), "filename": m + ".txt", "file_size": 10})),
    Case("hooks.incoming.json", lambda g, m: _json("POST", f"/hooks/{g.sim.ids['incoming_hook']}", {"text": m})),
    Case("hooks.incoming.form", _webhook_form),
    Case("hooks.incoming.multipart", _webhook_multipart),
    Case("hooks.incoming.attachment", lambda g, m: _json("POST", f"/hooks/{g.sim.ids['incoming_hook']}", {
        "text": "alert", "attachments": [{"pretext": "x", "text": m}]})),
    Case("hooks.command_response", lambda g, m: _json("POST", f"/hooks/commands/{g.sim.ids['command_hook']}", {"text": m})),
    Case("commands.execute", lambda g, m: _json("POST", "/api/v4/commands/execute", {
        "channel_id": g.sim.channel("town_square"), "command": "/echo " + m})),
    Case("actions.post", lambda g, m: _json("POST", f"/api/v4/posts/{_seed_post(g)}/actions/act1", {"selected_option": m})),
    Case("actions.dialog_submit", lambda g, m: _json("POST", "/api/v4/actions/dialogs/submit", {
        "url": "http://integration/x", "callback_id": "cb", "state": "", "channel_id": g.sim.channel("town_square"),
        "team_id": g.sim.ids["team"], "submission": {"note": m}, "cancelled": False})),
    Case("channels.create", lambda g, m: _json("POST", "/api/v4/channels", {
        "team_id": g.sim.ids["team"], "name": "n" + uuid.uuid4().hex[:10], "display_name": "New", "purpose": m, "type": "O"})),
    Case("channels.update", lambda g, m: _json("PUT", f"/api/v4/channels/{g.sim.channel('town_square')}", {
        "id": g.sim.channel("town_square"), "name": "town-square", "display_name": "Town Square", "header": m, "type": "O"})),
    Case("channels.patch", lambda g, m: _json("PUT", f"/api/v4/channels/{g.sim.channel('town_square')}/patch", {"header": m})),
    Case("bookmarks.create", lambda g, m: _json("POST", f"/api/v4/channels/{g.sim.channel('town_square')}/bookmarks", {
        "display_name": m, "type": "link", "link_url": "https://example.com"})),
    Case("bookmarks.patch", lambda g, m: _json("PATCH",
                                               f"/api/v4/channels/{g.sim.channel('town_square')}/bookmarks/{_seed_bookmark(g)}",
                                               {"display_name": m})),
    Case("users.patch", lambda g, m: _json("PUT", f"/api/v4/users/{g.sim.ids['users']['alice']}/patch", {"position": m})),
    Case("users.update", lambda g, m: _json("PUT", f"/api/v4/users/{g.sim.ids['users']['alice']}", {
        "id": g.sim.ids["users"]["alice"], "username": "alice", "nickname": m})),
    Case("users.custom_status", lambda g, m: _json("PUT", f"/api/v4/users/{g.sim.ids['users']['alice']}/status/custom", {
        "emoji": "calendar", "text": m})),
    Case("playbooks.run", lambda g, m: _json("POST", "/plugins/playbooks/api/v0/runs", {
        "name": "incident", "description": m, "owner_user_id": g.sim.ids["users"]["alice"], "team_id": g.sim.ids["team"]})),
    Case("unknown_write", lambda g, m: _json("POST", "/api/v4/some/future/route", {"anything": {"deep": [m]}})),
]


def _send(gw: Gateway, case: Case, message: str) -> tuple[httpx.Response, bytes, str]:
    method, path, headers, body = case.build(gw, message)
    headers = {**headers, "Authorization": f"Bearer {gw.sim.token(case.user)}"}
    gw.sim.clear()
    r = httpx.request(method, gw.url + path, headers=headers, content=body, timeout=30)
    return r, body, path


def _reached(gw: Gateway, path: str) -> list[dict[str, Any]]:
    """Requests that reached Mattermost on this path, except the gateway's own
    sender notifications (ephemeral posts it sends with its bot token) and its
    reads (the upload session it asks for before each chunk)."""
    p = path.split("?", 1)[0]
    return [r for r in gw.sim.requests()
            if r["path"] == p and r["method"] != "GET" and b"from_dlp_proxy" not in base64.b64decode(r["body_b64"])]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_identifier_is_stopped_and_never_reaches_mattermost(gateway: Gateway, case: Case) -> None:
    r, _, path = _send(gateway, case, DIRTY)
    assert r.status_code in (403,), (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    err = r.json()
    assert err["id"] in STOP_IDS
    assert err["status_code"] == r.status_code != 401
    assert "Social Security number" in err["message"]
    assert "536-22-1234" not in r.text and "1234" not in shown(err["message"])
    assert err["request_id"] and r.headers["x-request-id"] == err["request_id"]
    assert _reached(gateway, path) == []


#: Mattermost shows a post's HTML as text: what is between ``<`` and ``>`` is read
TAGGED = ('<x client SSN 536-22-1234, please update the account>', '<b title="client SSN 536-22-1234">hi</b>')
TAG_CASES = [c for c in CASES if c.name in ("posts.create", "files.multipart", "files.raw")]


@pytest.mark.parametrize("message", TAGGED, ids=["inside", "attribute"])
@pytest.mark.parametrize("case", TAG_CASES, ids=[c.name for c in TAG_CASES])
def test_identifier_inside_a_tag_is_stopped(gateway: Gateway, case: Case, message: str) -> None:
    r, _, path = _send(gateway, case, message)
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["id"] in STOP_IDS
    assert _reached(gateway, path) == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_clean_request_reaches_mattermost_unchanged(gateway: Gateway, case: Case) -> None:
    r, body, path = _send(gateway, case, CLEAN)
    assert r.headers.get("content-type", "").startswith("application/json") or r.status_code < 300
    assert not r.text.startswith("{") or r.json().get("id", "") not in STOP_IDS, r.text
    reached = _reached(gateway, path)
    assert len(reached) == 1, (r.status_code, r.text)
    assert base64.b64decode(reached[0]["body_b64"]) == body
    assert reached[0]["query"] == (path.split("?", 1)[1] if "?" in path else "")


def test_decisions_are_archived_with_context_and_no_raw_identifier(gateway: Gateway) -> None:
    case = CASES[0]
    r, _, _ = _send(gateway, case, DIRTY)
    request_id = r.json()["request_id"]
    records = [rec for rec in archive_records(gateway.data_dir) if rec.get("request_id") == request_id]
    assert len(records) == 1
    rec = records[0]
    assert rec["action"] in ("block", "quarantine")
    assert rec["route"] == "posts.create"
    assert rec["context"]["user_id"] == gateway.sim.ids["users"]["alice"]
    assert rec["context"]["channel_id"] == gateway.sim.channel("town_square")
    assert rec["context"]["channel_type"] == "O"
    assert rec["policy_version"]
    assert "US_SSN" in rec["entity_types"]
    assert rec["findings"][0]["path"] == "body.message"
    assert rec["content_hash"]
    raw = b"".join(p.read_bytes() for p in (gateway.data_dir / "archive").rglob("*") if p.is_file())
    assert b"536-22-1234" not in raw


def test_reads_and_websocket_pass_unchanged(gateway: Gateway) -> None:
    with gateway.client() as c:
        gateway.sim.clear()
        r = c.get("/api/v4/users/me", headers={"Host": "chat.example.com"})
        assert r.status_code == 200 and r.json()["username"] == "alice"
        rec = [x for x in gateway.sim.requests() if x["path"] == "/api/v4/users/me"][-1]
        headers = {k.lower(): v for k, v in rec["headers"].items()} if isinstance(rec["headers"], dict) else {
            k.lower(): v for k, v in rec["headers"]}
        assert headers["host"] == "chat.example.com"  # Host kept
        assert headers["x-forwarded-for"] == "127.0.0.1"
        assert headers["x-real-ip"] == "127.0.0.1"
        assert c.head("/api/v4/system/ping").status_code in (200, 405)
    hello = _websocket_first_message(gateway)
    assert hello.get("event") == "hello" or "seq" in hello


def _websocket_first_message(gw: Gateway) -> dict[str, Any]:
    import socket

    from wsproto import WSConnection
    from wsproto.connection import ConnectionType
    from wsproto.events import AcceptConnection, Request, TextMessage

    host, port = gw.url.removeprefix("http://").split(":")
    ws = WSConnection(ConnectionType.CLIENT)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(ws.send(Request(host=f"{host}:{port}", target="/api/v4/websocket",
                                     extra_headers=[(b"authorization", f"Bearer {gw.sim.token('alice')}".encode())])))
        accepted = False
        while True:
            ws.receive_data(sock.recv(65536))
            for event in ws.events():
                if isinstance(event, AcceptConnection):
                    accepted = True
                elif isinstance(event, TextMessage):
                    assert accepted
                    return dict(json.loads(event.data))


def test_graphql_denied(gateway: Gateway) -> None:
    with gateway.client() as c:
        gateway.sim.clear()
        r = c.post("/api/v5/graphql", json={"query": "{ config }"})
        assert r.status_code == 403 and r.json()["id"] == "api.dlp.route_denied.app_error"
        assert gateway.sim.requests() == []


BYPASS = [
    ("double-slash", "//api/v4//posts", {}, None),
    ("dot-segments", "/api/v4/users/../posts", {}, None),
    ("percent-encoded", "/api/v4/%70osts", {}, None),
    ("double-encoded", "/api/v4/%2570osts", {}, None),
    ("upper-case", "/API/V4/POSTS", {}, None),
    ("trailing-slash", "/api/v4/posts/", {}, None),
    ("text-plain", "/api/v4/posts", {"Content-Type": "text/plain"}, None),
    ("no-content-type", "/api/v4/posts", {"Content-Type": ""}, None),
    ("fullwidth-digits", "/api/v4/posts", {}, lambda b: b.replace(b"536-22-1234", "５３６-２２-１２３４".encode())),
    ("json-unicode-escape", "/api/v4/posts", {}, lambda b: b.replace(b"536-22-1234", b"\\u0035\\u00336-22-1234")),
    ("duplicate-key", "/api/v4/posts", {}, lambda b: b[:-1] + b', "message": "clean"}'),
    ("case-variant-key", "/api/v4/posts", {}, lambda b: b.replace(b'"message"', b'"Message"')),
]


@pytest.mark.parametrize(("name", "path", "headers", "transform"), BYPASS, ids=[b[0] for b in BYPASS])
def test_bypass_attempts_are_stopped(gateway: Gateway, name: str, path: str, headers: dict[str, str], transform: Any) -> None:
    body = json.dumps({"channel_id": gateway.sim.channel("town_square"), "message": DIRTY}).encode()
    if transform is not None:
        body = transform(body)
    h = {"Content-Type": "application/json", "Authorization": f"Bearer {gateway.sim.token('alice')}", **headers}
    h = {k: v for k, v in h.items() if v}
    gateway.sim.clear()
    r = httpx.post(gateway.url + path, content=body, headers=h, timeout=30)
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["id"] in STOP_IDS
    assert _reached(gateway, "/api/v4/posts") == []


def test_encoded_body_is_refused_mattermost_does_not_decode_it(gateway: Gateway) -> None:
    # Go's net/http never undoes a request Content-Encoding: Mattermost would read
    # (and, on file routes, store) the encoded bytes.  The gateway refuses them.
    body = json.dumps({"channel_id": gateway.sim.channel("town_square"), "message": DIRTY}).encode()
    with gateway.client() as c:
        gateway.sim.clear()
        r = c.post("/api/v4/posts", content=gzip.compress(body), headers={"Content-Encoding": "gzip",
                                                                           "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["id"] == "api.dlp.bad_request.app_error"
        assert _reached(gateway, "/api/v4/posts") == []


def test_undecodable_compressed_body_is_refused(gateway: Gateway) -> None:
    with gateway.client() as c:
        gateway.sim.clear()
        r = c.post("/api/v4/posts", content=b"\x1f\x8bnot really gzip", headers={"Content-Encoding": "gzip",
                                                                                    "Content-Type": "application/json"})
        assert r.status_code == 400 and r.headers["content-type"] == "application/json"
        assert r.json()["id"] == "api.dlp.bad_request.app_error"
        assert gateway.sim.requests() == []


def test_malformed_json_with_identifier_is_stopped(gateway: Gateway) -> None:
    with gateway.client() as c:
        gateway.sim.clear()
        r = c.post("/api/v4/posts", content=b'{"message": "' + DIRTY.encode() + b'", ', headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["id"] == "api.dlp.bad_request.app_error"  # not JSON: refused
        assert gateway.sim.requests() == []


def test_malformed_multipart_is_refused(gateway: Gateway) -> None:
    with gateway.client() as c:
        gateway.sim.clear()
        r = c.post("/api/v4/files", content=b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n" + DIRTY.encode(),
                   headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert r.status_code in (400, 403) and r.headers["content-type"] == "application/json"
        assert gateway.sim.requests() == []


# ---------------------------------------------------------------- resumable uploads


def _fresh_channel(gw: Gateway) -> str:
    """A channel of its own (made on the simulator directly): the split window of the
    shared session gateway holds pieces other tests posted in town square, and a file's
    text joins them (policy/split.py is fed by every inspected text)."""
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                   json={"team_id": gw.sim.ids["team"], "name": "up-" + os.urandom(4).hex(), "display_name": "Uploads",
                         "type": "O"}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _upload_session(gw: Gateway, size: int, filename: str = "notes.txt", channel: str | None = None) -> str:
    with gw.client() as c:
        r = c.post("/api/v4/uploads", json={"channel_id": channel or gw.sim.channel("town_square"), "filename": filename,
                                            "file_size": size})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def test_resumable_upload_clean_file_goes_through(gateway: Gateway) -> None:
    data = b"quarterly notes: revenue up, ticket 20931 closed\n" * 40
    uid = _upload_session(gateway, len(data), channel=_fresh_channel(gateway))
    half = len(data) // 2
    with gateway.client() as c:
        gateway.sim.clear()
        r1 = c.post(f"/api/v4/uploads/{uid}", content=data[:half], headers={"Content-Type": "application/octet-stream"})
        assert r1.status_code == 204, r1.text
        r2 = c.post(f"/api/v4/uploads/{uid}", content=data[half:], headers={"Content-Type": "application/octet-stream"})
        assert r2.status_code in (200, 201), r2.text
        assert r2.json()["name"] == "notes.txt"
    reached = _reached(gateway, f"/api/v4/uploads/{uid}")
    assert [base64.b64decode(x["body_b64"]) for x in reached] == [data[:half], data[half:]]


def test_resumable_upload_identifier_split_across_chunks_stops_the_last_chunk(gateway: Gateway) -> None:
    data = b"client list\n" + b"x" * 100 + b"\nJane Roe SSN 536-22-1234 acct review\n" + b"y" * 50
    cut = data.index(b"-22-") + 2  # the SSN straddles the chunk boundary
    uid = _upload_session(gateway, len(data))
    with gateway.client() as c:
        gateway.sim.clear()
        r1 = c.post(f"/api/v4/uploads/{uid}", content=data[:cut], headers={"Content-Type": "application/octet-stream"})
        assert r1.status_code == 204, r1.text
        r2 = c.post(f"/api/v4/uploads/{uid}", content=data[cut:], headers={"Content-Type": "application/octet-stream"})
        assert r2.status_code == 403, r2.text
        assert r2.json()["id"] in STOP_IDS
    reached = _reached(gateway, f"/api/v4/uploads/{uid}")
    assert [base64.b64decode(x["body_b64"]) for x in reached] == [data[:cut]]  # the last chunk never reached Mattermost
    leftovers = list((gateway.data_dir / "uploads").glob("*"))
    assert leftovers == []  # the kept chunks are discarded after the decision


def test_resumable_upload_chunks_are_judged_one_at_a_time(gateway: Gateway) -> None:
    """Two chunks of one upload side by side would both read the same offset, both
    look partial and go on unjudged while Mattermost stores both: while one chunk is
    with Mattermost (held there by an injected delay), another is refused (400), and
    once it has been answered the next is judged with it."""
    import threading

    data = b"client list\nJane Roe SSN 536-22-1234 review\n" + b"y" * 60
    uid = _upload_session(gateway, len(data))
    half = len(data) // 2
    sim = gateway.sim.url
    gateway.sim.clear()
    r = httpx.post(f"{sim}/__sim/faults", json={"delay_ms": 20000, "path_prefix": f"/api/v4/uploads/{uid}",
                                                "method": "POST", "count": 1}, timeout=10)
    assert r.status_code in (200, 201), r.text
    first: list[httpx.Response] = []
    try:
        with gateway.client() as c:
            t = threading.Thread(target=lambda: first.append(c.post(
                f"/api/v4/uploads/{uid}", content=data[:half], headers={"Content-Type": "application/octet-stream"})))
            t.start()
            for _ in range(400):  # until the first chunk is with Mattermost (recorded before the delay)
                if _reached(gateway, f"/api/v4/uploads/{uid}"):
                    break
                t.join(0.05)
            assert _reached(gateway, f"/api/v4/uploads/{uid}")
            with gateway.client() as c2:
                second = c2.post(f"/api/v4/uploads/{uid}", content=data[half:],
                                 headers={"Content-Type": "application/octet-stream"})
            assert second.status_code == 400, second.text
            assert len(_reached(gateway, f"/api/v4/uploads/{uid}")) == 1  # the concurrent chunk never left
            t.join(60)
            assert first and first[0].status_code == 204, first
            again = c.post(f"/api/v4/uploads/{uid}", content=data[half:], headers={"Content-Type": "application/octet-stream"})
            assert again.status_code == 403, again.text  # judged with the first: the SSN is whole
    finally:
        httpx.delete(f"{sim}/__sim/faults", timeout=10)


def test_resumable_upload_partial_chunk_with_identifier_in_query_is_stopped(gateway: Gateway) -> None:
    data = b"x" * 200
    uid = _upload_session(gateway, len(data))
    with gateway.client() as c:
        gateway.sim.clear()
        r = c.post(f"/api/v4/uploads/{uid}?note=" + quote("client SSN 536-22-1234"), content=data[:100],
                   headers={"Content-Type": "application/octet-stream"})
        assert r.status_code == 403, r.text
    assert _reached(gateway, f"/api/v4/uploads/{uid}") == []
