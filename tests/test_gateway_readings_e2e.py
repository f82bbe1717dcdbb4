"""Issue 14 end to end (gateway process, simulator): every request is read the way
Mattermost reads it, and a text is never read as one thing *instead of* another.

- a body on a generic route (a plugin, Playbooks, an unknown /api/v4 route) that starts
  with a UTF-16 byte-order mark before ASCII, or looks like an e-mail, an RTF or a GIF,
  is read as text (Go: the bytes as they are; a plugin's ServeHTTP gets them raw:
  server/channels/app/plugin_requests.go) *and* as the document (atk16p F7);
- an incoming webhook's multipart ``text`` value that looks like a document is posted
  verbatim by Mattermost (web/webhook.go incomingWebhook: ParseMultipartForm, then
  schema.Decode of r.PostForm; the simulator: ``_incoming_webhook_payload``): it is read
  as text (atk16p F8);
- a body-less read whose query Mattermost hands to a plugin (``/plugins/...``) or to a
  command's dynamic-list FetchURL (``autocomplete_suggestions?user_input=``,
  app/command_autocomplete.go) is judged: a 403 AppError, archived (atk16p F3);
- a post prop only the gateway sets (``dlp_release_id``...) is refused (400);
- a read with more header text than a client sends gets a 431 AppError, not the
  upstream's plain-text answer.
"""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Gateway, archive_records

SECRET = b"client SSN 536-22-1234, please update the account"
CLEAN = b"Lunch at noon? Order #4471 ships Friday, ticket 20931."
STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
DISGUISES = {
    "utf16-bom": lambda t: b"\xff\xfe" + t,
    "eml-preamble": lambda t: (b"From: ops@example.com\r\nMIME-Version: 1.0\r\n"
                               b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n" + t
                               + b"\r\n--BB\r\nContent-Type: text/plain\r\n\r\nhello\r\n--BB--\r\n"),
    "rtf-datastore": lambda t: b"{\\rtf1\\ansi Daily list {\\*\\datastore " + t + b"}}",
    "gif-trailer": lambda t: GIF + b"\n" + t,
}
GENERIC_PATHS = ["/plugins/com.example.notes/api/v1/note", "/plugins/playbooks/api/v0/runs", "/api/v4/some/new/route"]


def _auth(gw: Gateway, user: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.sim.token(user)}"}


def _reached(gw: Gateway, path: str, method: str | None = None) -> list[dict[str, Any]]:
    """Requests that reached Mattermost on ``path`` (not the gateway's own notices)."""
    return [r for r in gw.sim.requests()
            if r["path"] == path and (method is None or r["method"] == method)
            and b"from_dlp_proxy" not in base64.b64decode(r["body_b64"])]


def _stopped(r: httpx.Response) -> None:
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    err = r.json()
    assert err["id"] in STOP_IDS and err["status_code"] == 403
    assert "536-22-1234" not in r.text


def _multipart(fields: list[tuple[str, bytes]]) -> tuple[dict[str, str], bytes]:
    boundary = "b" + uuid.uuid4().hex
    body = b"".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{n}"\r\n\r\n'.encode() + v + b"\r\n"
                    for n, v in fields) + f"--{boundary}--\r\n".encode()
    return {"Content-Type": f"multipart/form-data; boundary={boundary}"}, body


# --------------------------------------------------------------------------- (a) every reading


@pytest.mark.parametrize("disguise", list(DISGUISES), ids=list(DISGUISES))
@pytest.mark.parametrize("path", GENERIC_PATHS, ids=["plugin", "playbooks", "unknown"])
def test_generic_body_that_looks_like_a_document_is_read_as_text_too(gateway: Gateway, path: str,
                                                                     disguise: str) -> None:
    gateway.sim.clear()
    body = DISGUISES[disguise](SECRET)
    r = httpx.post(gateway.url + path, content=body, headers={**_auth(gateway), "Content-Type": "text/plain"},
                   timeout=60)
    _stopped(r)
    assert _reached(gateway, path) == []


@pytest.mark.parametrize("disguise", ["utf16-bom", "rtf-datastore"])
def test_generic_clean_body_that_looks_like_a_document_still_passes(gateway: Gateway, disguise: str) -> None:
    gateway.sim.clear()
    path = GENERIC_PATHS[0]
    body = DISGUISES[disguise](CLEAN)
    r = httpx.post(gateway.url + path, content=body, headers={**_auth(gateway), "Content-Type": "text/plain"},
                   timeout=60)
    assert not (r.status_code == 403 and r.json().get("id") in STOP_IDS), r.text
    reached = _reached(gateway, path)
    assert len(reached) == 1 and base64.b64decode(reached[0]["body_b64"]) == body


@pytest.mark.parametrize("disguise", list(DISGUISES), ids=list(DISGUISES))
def test_webhook_multipart_text_that_looks_like_a_document_is_read_as_text(gateway: Gateway,
                                                                           disguise: str) -> None:
    hook = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    value = DISGUISES[disguise](SECRET)
    headers, body = _multipart([("text", value), ("username", b"bot")])
    before = len(gateway.sim.posts())
    gateway.sim.clear()
    r = httpx.post(gateway.url + hook, content=body, headers=headers, timeout=60)
    _stopped(r)
    assert _reached(gateway, hook) == []
    assert len(gateway.sim.posts()) == before


def test_simulator_posts_a_document_looking_webhook_value_verbatim(gateway: Gateway) -> None:
    """The simulator reads the value as Mattermost does (no typing by content): what the
    gateway must judge is exactly what is posted."""
    value = DISGUISES["rtf-datastore"](CLEAN)
    headers, body = _multipart([("text", value)])
    r = httpx.post(f"{gateway.sim.url}/hooks/{gateway.sim.ids['incoming_hook']}", content=body, headers=headers,
                   timeout=30)
    assert r.status_code == 200, r.text
    assert gateway.sim.posts()[-1]["message"] == value.decode()


# --------------------------------------------------------------------------- (b) queries a plugin gets


def _query_cases(gw: Gateway) -> list[tuple[str, dict[str, str]]]:
    team, town = gw.sim.ids["team"], gw.sim.channel("town_square")
    return [(f"/api/v4/teams/{team}/commands/autocomplete_suggestions",
             {"user_input": "/jira create " + SECRET.decode(), "channel_id": town}),
            ("/plugins/com.mattermost.plugin-todo/add", {"message": SECRET.decode()}),
            ("/plugins/playbooks/api/v0/runs", {"search_term": SECRET.decode()})]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["autocomplete", "plugin", "playbooks"])
def test_a_query_handed_to_a_plugin_is_judged(gateway: Gateway, which: int) -> None:
    path, params = _query_cases(gateway)[which]
    gateway.sim.clear()
    r = httpx.get(gateway.url + path, params=params, headers=_auth(gateway), timeout=60)
    _stopped(r)  # a Mattermost-shaped 403, never a 401
    assert _reached(gateway, path) == []
    rid = r.json()["request_id"]
    recs = [x for x in archive_records(gateway.data_dir) if x.get("request_id") == rid]
    assert len(recs) == 1 and recs[0]["route"].endswith(".query") and recs[0]["action"] == "block"
    assert any(f["path"].startswith("query.") for f in recs[0]["findings"])


def test_a_trivial_or_clean_query_reaches_the_plugin_unchanged(gateway: Gateway) -> None:
    path = "/plugins/com.mattermost.plugin-todo/lists"
    for query in ("page=0&per_page=60", "message=" + CLEAN.decode().replace(" ", "+").replace("#", "%23")):
        gateway.sim.clear()
        r = httpx.get(f"{gateway.url}{path}?{query}", headers=_auth(gateway), timeout=60)
        assert not (r.status_code == 403 and r.json().get("id") in STOP_IDS), r.text
        reached = _reached(gateway, path, "GET")
        assert len(reached) == 1 and reached[0]["query"] == query


def test_a_read_the_table_does_not_list_still_passes_with_its_query(gateway: Gateway) -> None:
    gateway.sim.clear()
    r = httpx.get(f"{gateway.url}/api/v4/users/me", params={"x": SECRET.decode()}, headers=_auth(gateway),
                  timeout=30)
    assert r.status_code == 200


# --------------------------------------------------------------------------- the gateway's own props


def _post_cases(gw: Gateway, props: dict[str, Any]) -> list[tuple[str, str, dict[str, str], bytes]]:
    town = gw.sim.channel("town_square")
    js = {"Content-Type": "application/json"}
    return [
        ("POST", "/api/v4/posts", js, json.dumps({"channel_id": town, "message": "hi", "props": props}).encode()),
        ("POST", "/api/v4/posts", js, json.dumps({"channel_id": town, "message": "hi", "Props": props}).encode()),
        ("POST", "/api/v4/drafts", js, json.dumps({"channel_id": town, "message": "hi", "props": props}).encode()),
        ("POST", f"/hooks/{gw.sim.ids['incoming_hook']}", js, json.dumps({"text": "hi", "props": props}).encode()),
    ]


@pytest.mark.parametrize("which", [0, 1, 2, 3], ids=["post", "post-Props", "draft", "webhook"])
def test_a_client_may_not_set_the_gateways_props(gateway: Gateway, which: int) -> None:
    method, path, headers, body = _post_cases(gateway, {"dlp_release_id": "x" * 26, "card": "a"})[which]
    gateway.sim.clear()
    r = httpx.request(method, gateway.url + path, content=body, headers={**headers, **_auth(gateway)}, timeout=60)
    assert r.status_code == 400, r.text
    assert r.json()["id"] == "api.dlp.reserved_prop.app_error"
    assert _reached(gateway, path, method) == []


def test_other_props_pass(gateway: Gateway) -> None:
    method, path, headers, body = _post_cases(gateway, {"card": "release notes", "from_webhook": "true"})[0]
    gateway.sim.clear()
    r = httpx.request(method, gateway.url + path, content=body, headers={**headers, **_auth(gateway)}, timeout=60)
    assert r.status_code == 201, r.text
    assert len(_reached(gateway, path, method)) == 1


# --------------------------------------------------------------------------- oversized headers on a read


def test_a_read_with_oversized_headers_gets_an_app_error(gateway: Gateway) -> None:
    host, port = gateway.url.split("//", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(b"GET /api/v4/users/me HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n")
        out = b""
        deadline = time.monotonic() + 30
        while b"\r\n\r\n" not in out or not out.rstrip().endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk or time.monotonic() > deadline:
                break
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head[:100]
    assert b"application/json" in head.lower()
    assert json.loads(body)["status_code"] == 431
