"""atk21p F2, F3, F7 (and the request target's other spellings) end to end: raw HTTP/1.1
to the real gateway process, the simulator recording what reaches "Mattermost".

- F2: a raw ``#`` in the request target (Go keeps it in ``r.URL.Path``: the plugin
  gets ``/note#client SSN ...``) is refused with a 400 AppError, archived, nothing
  forwarded; so is a target with bytes that are not UTF-8 (no client sends either).
- F3: login's ``device_id`` and ``/oauth/authorize``'s ``state`` behind trailing
  bytes, invalid UTF-8, a ``ſ`` key, or in ``code_challenge``/``resource``: never
  forwarded (403 when judged, 400 when the body is not one JSON object).
- F7: ``{"title":"note"}\\nclient SSN ...`` to a plugin or an unknown write: refused.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import Gateway, archive_records
from tests.filegen import SSN_BODY

STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}
BAD_ID = "api.dlp.bad_request.app_error"
CLIENT = "abcdefghijkmnopqrstuvwxyz0"


def _send(
    gw: Gateway,
    method: str,
    target: bytes,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    token: bool = True,
) -> tuple[int, dict[str, Any] | None]:
    u = urlsplit(gw.url)
    h = {"Host": "x", "Connection": "close"}
    if token:
        h["Authorization"] = f"Bearer {gw.sim.token('alice')}"
    h.update(headers or {})
    if body:
        h["Content-Length"] = str(len(body))
    head = (
        method.encode()
        + b" "
        + target
        + b" HTTP/1.1\r\n"
        + "".join(f"{k}: {v}\r\n" for k, v in h.items()).encode()
    )
    with socket.create_connection((u.hostname, u.port), timeout=60) as s:
        s.sendall(head + b"\r\n" + body)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    status = int(out.split(b" ", 2)[1])
    payload = out.split(b"\r\n\r\n", 1)[1]
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, None


def _reached(gw: Gateway, marker: str) -> list[dict[str, Any]]:
    hits = []
    for r in gw.sim.requests():
        blob = json.dumps({k: v for k, v in r.items() if k != "body_b64"}) + base64.b64decode(
            r.get("body_b64") or ""
        ).decode("latin-1")
        if marker in blob:
            hits.append(r)
    return hits


def _archived(gw: Gateway, request_id: str) -> list[dict[str, Any]]:
    return [x for x in archive_records(gw.data_dir) if x.get("request_id") == request_id]


# --------------------------------------------------------------------------- F2: the request target

HASH_TARGETS = [
    ("GET", f"/plugins/com.example.notes/note#client%20SSN%20{SSN_BODY}"),
    ("DELETE", f"/plugins/com.example.notes/note#client%20SSN%20{SSN_BODY}"),
    ("POST", f"/plugins/com.example.notes/note#client%20SSN%20{SSN_BODY}"),
    ("POST", f"/plugins/playbooks/api/v0/runs#client%20SSN%20{SSN_BODY}"),
    ("GET", f"/plugins/com.example.notes/note?x=1#client%20SSN%20{SSN_BODY}"),
]


@pytest.mark.parametrize("method,target", HASH_TARGETS, ids=["get", "delete", "post", "playbooks", "query"])
def test_a_raw_hash_in_the_target_is_refused(gateway: Gateway, method: str, target: str) -> None:
    gateway.sim.clear()
    body = b"{}" if method == "POST" else b""
    status, err = _send(
        gateway, method, target.encode(), body, {"Content-Type": "application/json"} if body else {}
    )
    assert status == 400 and err is not None and err["id"] == BAD_ID, (status, err)
    assert _reached(gateway, SSN_BODY) == [] and _reached(gateway, "/note") == []
    recs = _archived(gateway, err["request_id"])
    assert len(recs) == 1 and recs[0]["action"] == "block" and recs[0]["rule_id"] == "bad-path"
    assert SSN_BODY not in json.dumps(recs[0])


def test_an_encoded_hash_is_a_character_of_the_path(gateway: Gateway) -> None:
    """``%23`` is what a client sends for a '#' it means: read as part of the path."""
    gateway.sim.clear()
    status, err = _send(
        gateway, "GET", f"/plugins/com.example.notes/note%23client%20SSN%20{SSN_BODY}".encode()
    )
    assert status == 403 and err is not None and err["id"] in STOP_IDS, (status, err)
    assert _reached(gateway, SSN_BODY) == []
    gateway.sim.clear()
    status, _ = _send(gateway, "GET", b"/plugins/com.example.notes/note%23top")
    assert status != 400 and len(gateway.sim.requests()) == 1


def test_bytes_that_are_not_utf8_in_the_target_are_refused(gateway: Gateway) -> None:
    """Go keeps raw bytes in r.URL.Path as they are; no client sends them unencoded."""
    gateway.sim.clear()
    status, err = _send(gateway, "GET", b"/plugins/com.example.notes/\xff" + SSN_BODY.encode())
    assert status == 400 and err is not None and err["id"] == BAD_ID, (status, err)
    assert _reached(gateway, SSN_BODY) == []


# --------------------------------------------------------------------------- F3: credential bodies

DEVICE = f"android_rn-v2:client SSN {SSN_BODY}"
LOGIN_CASES = [
    (b'{"login_id":"alice","password":"alice-password","device_id":"%s"} x' % DEVICE.encode(), 400),
    (b'{"login_id":"alice","password":"alice-password","device_id":"%s"}{}' % DEVICE.encode(), 400),
    (b'{"login_id":"alice","password":"alice-password","device_id":"\xff%s"}' % DEVICE.encode(), 403),
    (
        b'{"login_id":"alice","password":"alice-password","device_id":"x","device_id":"%s"}'
        % DEVICE.encode(),
        403,
    ),
]


@pytest.mark.parametrize(
    "body,status", LOGIN_CASES, ids=["trailing", "trailing-json", "bad-utf8", "duplicate"]
)
def test_login_device_id_is_judged_as_go_reads_it(gateway: Gateway, body: bytes, status: int) -> None:
    gateway.sim.clear()
    got, err = _send(
        gateway, "POST", b"/api/v4/users/login", body, {"Content-Type": "application/json"}, token=False
    )
    assert got == status and err is not None, (got, err)
    assert err["id"] in (STOP_IDS if status == 403 else {BAD_ID})
    assert _reached(gateway, SSN_BODY) == []
    assert all(
        b"alice-password" not in p.read_bytes()
        for p in gateway.data_dir.rglob("*")
        if p.is_file() and p.stat().st_size < 50_000_000
    )


AUTHORIZE = {"response_type": "code", "client_id": CLIENT, "redirect_uri": "https://app.example/cb"}
AUTHORIZE_CASES = [
    ((json.dumps({**AUTHORIZE, "state": f"client SSN {SSN_BODY}"}) + " x").encode(), 400),
    (json.dumps({**AUTHORIZE, "\u017ftate": f"client SSN {SSN_BODY}"}, ensure_ascii=False).encode(), 403),
    (json.dumps({**AUTHORIZE, "code_challenge": f"client SSN {SSN_BODY}"}).encode(), 403),
    (json.dumps({**AUTHORIZE, "resource": f"https://app.example/{SSN_BODY}"}).encode(), 403),
]


@pytest.mark.parametrize(
    "body,status", AUTHORIZE_CASES, ids=["trailing", "long-s", "code-challenge", "resource"]
)
def test_authorize_fields_are_judged_as_go_reads_them(gateway: Gateway, body: bytes, status: int) -> None:
    gateway.sim.clear()
    got, err = _send(gateway, "POST", b"/oauth/authorize", body, {"Content-Type": "application/json"})
    assert got == status and err is not None, (got, err)
    assert _reached(gateway, SSN_BODY) == []


def test_a_clean_login_still_passes_as_sent(gateway: Gateway) -> None:
    gateway.sim.clear()
    body = b'{"login_id":"alice","password":"alice-password","device_id":"android_rn-v2:abc"}\n'
    got, _ = _send(
        gateway, "POST", b"/api/v4/users/login", body, {"Content-Type": "application/json"}, token=False
    )
    reached = [r for r in gateway.sim.requests() if r["path"] == "/api/v4/users/login"]
    assert len(reached) == 1 and base64.b64decode(reached[0]["body_b64"]) == body, got


# --------------------------------------------------------------------------- F7: unknown handlers

ANY_CASES = [
    ("application/json", f'{{"title":"note"}}\nclient SSN {SSN_BODY}'),
    ("text/plain", f'"note" client SSN {SSN_BODY}'),
    ("text/plain", f"1 client SSN {SSN_BODY}"),
]


@pytest.mark.parametrize("path", ["/plugins/com.example.notes/api/v1/notes", "/api/v4/some/new/route"])
@pytest.mark.parametrize(
    "ctype,body", ANY_CASES, ids=["json-then-text", "string-then-text", "number-then-text"]
)
def test_text_after_a_json_value_is_read_on_unknown_handlers(
    gateway: Gateway, path: str, ctype: str, body: str
) -> None:
    gateway.sim.clear()
    got, err = _send(gateway, "POST", path.encode(), body.encode(), {"Content-Type": ctype})
    assert got in (400, 403) and err is not None, (got, err)
    assert _reached(gateway, SSN_BODY) == []


def test_a_clean_plugin_json_body_passes_as_sent(gateway: Gateway) -> None:
    gateway.sim.clear()
    body = b'{"title":"note","tags":["a","b"]}'
    _send(
        gateway,
        "POST",
        b"/plugins/com.example.notes/api/v1/notes",
        body,
        {"Content-Type": "application/json"},
    )
    reached = [r for r in gateway.sim.requests() if r["path"] == "/plugins/com.example.notes/api/v1/notes"]
    assert len(reached) == 1 and base64.b64decode(reached[0]["body_b64"]) == body


# --------------------------------------------------------------------------- F4: a read's stored headers

FILE_ID = "abcdefghijkmnopqrstuvwxyz0"


@pytest.mark.parametrize("path", [f"/api/v4/files/{FILE_ID}", f"/api/v4/files/{FILE_ID}/link"])
@pytest.mark.parametrize("header", ["User-Agent", "X-Forwarded-For"])
def test_the_headers_an_audited_read_stores_are_judged(gateway: Gateway, path: str, header: str) -> None:
    """api4/file.go getFile / getFileLink: c.MakeAuditRecord, whose Actor.Client is the
    User-Agent and whose address comes from X-Forwarded-For (web/context.go)."""
    gateway.sim.clear()
    status, err = _send(gateway, "GET", path.encode(), headers={header: f"Mozilla/5.0 client SSN {SSN_BODY}"})
    assert status == 400 and err is not None and err["id"] == BAD_ID, (status, err)
    assert _reached(gateway, SSN_BODY) == []
    gateway.sim.clear()
    _send(
        gateway,
        "GET",
        path.encode(),
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0"},
    )
    assert [r["path"] for r in gateway.sim.requests()] == [path]


# --------------------------------------------------------------------------- the simulator reads as Go does


def _sim_send(sim_url: str, method: str, target: bytes, body: bytes = b"") -> tuple[int, bytes]:
    u = urlsplit(sim_url)
    head = method.encode() + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    head += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    with socket.create_connection((u.hostname, u.port), timeout=30) as s:
        s.sendall(head + body)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
    return int(out.split(b" ", 2)[1]), out.split(b"\r\n\r\n", 1)[1]


def test_the_simulator_keeps_a_hash_in_the_path_as_go_does(gateway: Gateway) -> None:
    """url.ParseRequestURI cuts no fragment: r.URL.Path keeps '#...' (the plugin gets it)."""
    sim = gateway.sim
    sim.clear()
    _sim_send(sim.url, "GET", b"/plugins/com.example.notes/note#client%20x")
    assert [r["path"] for r in sim.requests()] == ["/plugins/com.example.notes/note#client x"]


def test_the_simulator_reads_a_login_as_map_from_json(gateway: Gateway) -> None:
    """api4/user.go login: model.MapFromJSON (the first value, trailing bytes unread,
    invalid UTF-8 as U+FFFD, keys exact); the device_id is stored in the session."""
    sim = gateway.sim
    body = b'{"login_id":"alice","password":"alice-password","device_id":"dev-\xff-1"} trailing'
    status, payload = _sim_send(sim.url, "POST", b"/api/v4/users/login", body)
    assert status == 200, payload
    with httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {sim.token('alice')}"}) as c:
        devices = [s["device_id"] for s in c.get("/api/v4/users/me/sessions").json()]
    assert "dev-\ufffd-1" in devices
    # a case variant is another key of the map: no login_id, no login
    status, _ = _sim_send(
        sim.url, "POST", b"/api/v4/users/login", b'{"LOGIN_ID":"alice","password":"alice-password"}'
    )
    assert status == 401
