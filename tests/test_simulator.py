"""The Mattermost simulator over a real socket with real HTTP requests."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import wsproto
import wsproto.events as wse

from dlp_proxy.simulator import SimulatorServer
from dlp_proxy.simulator.ids import is_valid_id

REPO = Path(__file__).resolve().parent.parent

POST_KEYS = {
    "id", "create_at", "update_at", "edit_at", "delete_at", "is_pinned", "user_id", "channel_id",
    "root_id", "original_id", "message", "type", "props", "hashtags", "pending_post_id",
    "reply_count", "last_reply_at", "participants", "metadata",
}
APP_ERROR_KEYS = {"id", "message", "detailed_error", "request_id", "status_code"}
FILE_INFO_KEYS = {
    "id", "user_id", "channel_id", "post_id", "create_at", "update_at", "delete_at", "name",
    "extension", "size", "mime_type", "width", "height", "has_preview_image", "mini_preview",
    "remote_id", "archived",
}
CHANNEL_KEYS = {
    "id", "create_at", "update_at", "delete_at", "team_id", "type", "display_name", "name", "header",
    "purpose", "last_post_at", "total_msg_count", "extra_update_at", "creator_id", "scheme_id", "props",
    "group_constrained", "shared", "total_msg_count_root", "policy_id", "last_root_post_at",
}


@pytest.fixture(scope="module")
def server():
    with SimulatorServer() as srv:
        yield srv


@pytest.fixture
def sim(server):
    httpx.delete(server.url + "/__sim/requests")
    httpx.delete(server.url + "/__sim/faults")
    return server


@pytest.fixture
def ids(server) -> dict[str, Any]:
    return httpx.get(server.url + "/__sim/ids").json()


def client(srv, token: str | None = "alice-token") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=srv.url, headers=headers, timeout=10)


def assert_app_error(resp: httpx.Response, status: int, error_id: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert set(body) == APP_ERROR_KEYS
    assert body["status_code"] == status
    assert body["request_id"] == resp.headers["x-request-id"]
    if error_id:
        assert body["id"] == error_id
    return body


# ----------------------------------------------------------------------- seed
def test_seed_ids_are_mattermost_shaped_and_deterministic(sim, ids):
    from dlp_proxy.simulator import Simulator

    assert Simulator().ids == ids  # same ids on every run
    every = [ids["team"], ids["incoming_hook"], ids["command_hook"], ids["group_security_reviewers"],
             *ids["users"].values(), *ids["channels"].values()]
    assert all(is_valid_id(i) for i in every), every
    assert len(set(every)) == len(every)
    assert ids["tokens"] == {"alice": "alice-token", "bob": "bob-token", "carol": "carol-token",
                             "sam": "sam-token", "dlp-bot": "dlp-bot-token"}


@pytest.mark.parametrize(
    ("channel", "ctype", "shared"),
    [("town_square", "O", False), ("private", "P", False), ("dm_alice_bob", "D", False),
     ("group", "G", False), ("shared", "O", True), ("compliance_alerts", "O", False)],
)
def test_seeded_channels(sim, ids, channel, ctype, shared):
    with client(sim, "carol-token") as c:
        ch = c.get(f"/api/v4/channels/{ids['channels'][channel]}").json()
    assert set(ch) == CHANNEL_KEYS
    assert (ch["type"], ch["shared"]) == (ctype, shared)
    if ctype == "D":
        a, b = sorted([ids["users"]["alice"], ids["users"]["bob"]])
        assert ch["name"] == f"{a}__{b}" and ch["team_id"] == ""
    elif ctype == "G":
        assert len(ch["name"]) == 40 and ch["team_id"] == ""
    else:
        assert ch["team_id"] == ids["team"]


def test_users_groups_teams(sim, ids):
    with client(sim, "sam-token") as c:
        me = c.get("/api/v4/users/me").json()
        assert me["username"] == "sam" and me["id"] == ids["users"]["sam"]
        groups = c.get("/api/v4/users/me/groups").json()
        assert [(g["name"], g["source"]) for g in groups] == [("security-reviewers", "ldap")]
        teams = c.get(f"/api/v4/users/{me['id']}/teams").json()
        assert [t["name"] for t in teams] == ["acme"]
        assert c.get(f"/api/v4/teams/{ids['team']}").json()["name"] == "acme"
        carol = c.get(f"/api/v4/users/{ids['users']['carol']}").json()
        assert "system_admin" in carol["roles"].split()
        # another user's groups need manage_system (api4/group.go getGroupsByUserId)
        assert c.get(f"/api/v4/users/{ids['users']['alice']}/groups").status_code == 403
        bot = c.get(f"/api/v4/users/{ids['users']['dlp-bot']}").json()
        assert bot["is_bot"] is True
    with client(sim, "carol-token") as admin:
        assert admin.get(f"/api/v4/users/{ids['users']['alice']}/groups").json() == []
    assert httpx.get(sim.url + "/api/v4/system/ping").json()["status"] == "OK"


# ----------------------------------------------------------------------- auth
@pytest.mark.parametrize(
    ("method", "headers", "query", "cookies", "status"),
    [
        ("GET", {"Authorization": "Bearer alice-token"}, "", {}, 200),
        ("GET", {"Authorization": "bearer alice-token"}, "", {}, 200),
        ("GET", {"Authorization": "Token alice-token"}, "", {}, 200),
        # a token in the query string: OAuth sessions only (web/handlers.go ServeHTTP)
        ("GET", {}, "?access_token=alice-token", {}, 401),
        ("GET", {}, "", {"MMAUTHTOKEN": "alice-token"}, 200),
        ("GET", {}, "", {}, 401),
        ("GET", {"Authorization": "Bearer nope"}, "", {}, 401),
        ("GET", {"Authorization": "Basic alice-token"}, "", {}, 401),
        # cookie wins over the header, as in Mattermost
        ("GET", {"Authorization": "Bearer alice-token"}, "", {"MMAUTHTOKEN": "stale"}, 401),
        # CSRF: cookie auth on a write needs X-CSRF-Token or X-Requested-With
        ("PUT", {}, "", {"MMAUTHTOKEN": "alice-token"}, 401),
        ("PUT", {"X-Requested-With": "XMLHttpRequest"}, "", {"MMAUTHTOKEN": "alice-token"}, 200),
        ("PUT", {"Authorization": "Bearer alice-token"}, "", {}, 200),
    ],
)
def test_auth(sim, ids, method, headers, query, cookies, status):
    uid = ids["users"]["alice"]
    url = f"{sim.url}/api/v4/users/{uid}/patch{query}" if method == "PUT" else f"{sim.url}/api/v4/users/me{query}"
    with httpx.Client(cookies=cookies) as c:
        resp = c.request(method, url, headers=headers, json={"nickname": "ally"} if method == "PUT" else None)
    if status == 401:
        assert_app_error(resp, 401, "api.context.token_provided.app_error" if query else
                         "api.context.session_expired.app_error")
    else:
        assert resp.status_code == status, resp.text
        assert resp.json()["id"] == uid


def test_password_login_sets_token_and_cookies(sim, ids):
    with httpx.Client(base_url=sim.url) as c:
        bad = c.post("/api/v4/users/login", json={"login_id": "alice", "password": "wrong"})
        assert_app_error(bad, 401)
        resp = c.post("/api/v4/users/login", json={"login_id": "bob@acme.example", "password": "bob-password"})
        assert resp.status_code == 200
        assert resp.json()["id"] == ids["users"]["bob"]
        token = resp.headers["Token"]
        assert is_valid_id(token)
        assert c.cookies["MMAUTHTOKEN"] == token and c.cookies["MMUSERID"] == ids["users"]["bob"]
        csrf = c.cookies["MMCSRF"]
        assert c.get("/api/v4/users/me").json()["username"] == "bob"  # cookie session
        no_csrf = c.put(f"/api/v4/users/{ids['users']['bob']}/patch", json={"nickname": "b"})
        assert_app_error(no_csrf, 401)
        ok = c.put(f"/api/v4/users/{ids['users']['bob']}/patch", json={"nickname": "b"}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200
        c.post("/api/v4/users/logout", headers={"X-CSRF-Token": csrf})
        c.cookies.clear()
        assert_app_error(c.get("/api/v4/users/me", headers={"Authorization": f"Bearer {token}"}), 401)
    with httpx.Client(base_url=sim.url) as c:
        assert_app_error(c.post("/api/v4/users/login", json={"login_id": "dlp-bot", "password": ""}), 401)


# ----------------------------------------------------------------------- posts
def test_post_lifecycle(sim, ids):
    town = ids["channels"]["town_square"]
    with client(sim) as alice, client(sim, "bob-token") as bob:
        resp = alice.post("/api/v4/posts", json={"channel_id": town, "message": "hello #deal", "pending_post_id": "p1",
                                                 "props": {"attachments": [{"text": "x"}]}})
        assert resp.status_code == 201 and resp.headers["content-type"] == "application/json"
        post = resp.json()
        assert set(post) == POST_KEYS
        assert is_valid_id(post["id"]) and post["user_id"] == ids["users"]["alice"]
        assert (post["hashtags"], post["pending_post_id"], post["edit_at"]) == ("#deal", "p1", 0)
        assert post["props"] == {"attachments": [{"text": "x"}]}
        pid = post["id"]

        reply = alice.post("/api/v4/posts", json={"channel_id": town, "message": "re", "root_id": pid}).json()
        assert reply["root_id"] == pid and reply["reply_count"] == 1

        assert_app_error(bob.put(f"/api/v4/posts/{pid}/patch", json={"message": "hijack"}), 403)
        patched = alice.put(f"/api/v4/posts/{pid}/patch", json={"message": "edited", "is_pinned": True}).json()
        assert patched["message"] == "edited" and patched["edit_at"] > 0 and patched["is_pinned"] is True
        assert_app_error(alice.put(f"/api/v4/posts/{pid}", json={"id": "other", "message": "x"}), 400)
        updated = alice.put(f"/api/v4/posts/{pid}", json={"id": pid, "message": "replaced", "props": {"k": "v"}}).json()
        assert (updated["message"], updated["props"]) == ("replaced", {"k": "v"})
        assert alice.get(f"/api/v4/posts/{pid}").json()["message"] == "replaced"

        listing = alice.get(f"/api/v4/channels/{town}/posts").json()
        assert set(listing) == {"order", "posts", "next_post_id", "prev_post_id", "has_next"}
        assert pid in listing["order"] and listing["posts"][pid]["message"] == "replaced"

        moved = alice.post(f"/api/v4/posts/{pid}/move", json={"channel_id": ids["channels"]["private"]})
        assert moved.json() == {"status": "OK"}
        # app/post.go MoveThread: the thread is created again in the target (new ids), the originals deleted
        assert_app_error(alice.get(f"/api/v4/posts/{reply['id']}"), 404)
        record = [m for m in alice.get("/__sim/moves").json() if m["post_id"] == pid]
        assert len(record) == 1 and record[0]["to_channel_id"] == ids["channels"]["private"]
        copies = [alice.get(f"/api/v4/posts/{i}").json() for i in record[0]["post_ids"]]
        assert [(c["message"], c["channel_id"]) for c in copies] == [
            ("replaced", ids["channels"]["private"]), ("re", ids["channels"]["private"])]
        assert copies[1]["root_id"] == copies[0]["id"] == record[0]["new_root_id"]
        thread = alice.get(f"/api/v4/posts/{copies[0]['id']}/thread").json()
        assert {p["type"] for p in thread["posts"].values()} == {"", "system_wrangler"}
        # the caller must be a member of the target (app/post.go ValidateMoveOrCopy)
        other = alice.post("/api/v4/posts", json={"channel_id": town, "message": "x"}).json()
        mine = alice.post("/api/v4/channels", json={"team_id": ids["team"], "name": "alice-only", "type": "P"}).json()
        assert_app_error(bob.post(f"/api/v4/posts/{other['id']}/move", json={"channel_id": mine["id"]}), 400,
                         "app.post.move_thread_command.error")


@pytest.mark.parametrize(
    ("body", "status", "error_id"),
    [
        (b"not json", 400, "api.context.invalid_body_param.app_error"),
        (json.dumps({"message": "no channel"}).encode(), 400, "api.context.invalid_body_param.app_error"),
        (json.dumps({"channel_id": "x" * 26, "message": "m"}).encode(), 404, None),
        (json.dumps({"channel_id": "CH", "message": "m" * 16384}).encode(), 400, "model.post.is_valid.message_length.app_error"),
        (json.dumps({"channel_id": "CH", "message": "m", "root_id": "y" * 26}).encode(), 400, None),
        (json.dumps({"channel_id": "CH", "message": "m", "file_ids": ["z" * 26]}).encode(), 400, None),
    ],
)
def test_post_errors(sim, ids, body, status, error_id):
    body = body.replace(b"CH", ids["channels"]["town_square"].encode())
    with client(sim) as c:
        assert_app_error(c.post("/api/v4/posts", content=body), status, error_id)


def test_post_to_channel_user_is_not_in(sim, ids):
    with client(sim) as c:  # alice is not in compliance-alerts
        assert_app_error(c.post("/api/v4/posts", json={"channel_id": ids["channels"]["compliance_alerts"], "message": "m"}), 403)


def test_ephemeral_posts_need_admin_and_are_inspectable(sim, ids):
    body = {"user_id": ids["users"]["alice"], "post": {"channel_id": ids["channels"]["town_square"], "message": "Your message was stopped"}}
    with client(sim) as alice:
        assert_app_error(alice.post("/api/v4/posts/ephemeral", json=body), 403)
    with client(sim, "dlp-bot-token") as bot:
        resp = bot.post("/api/v4/posts/ephemeral", json=body)
    assert resp.status_code == 201 and resp.json()["type"] == "system_ephemeral"
    posts = httpx.get(sim.url + "/__sim/posts").json()
    eph = [p for p in posts if p["ephemeral"] and p["id"] == resp.json()["id"]]
    assert eph and eph[0]["ephemeral_target_user_id"] == ids["users"]["alice"]


def test_scheduled_posts_and_drafts(sim, ids):
    town = ids["channels"]["town_square"]
    with client(sim) as c:
        resp = c.post("/api/v4/posts/schedule", json={"channel_id": town, "message": "later", "scheduled_at": 4102444800000})
        assert resp.status_code == 201
        sp = resp.json()
        assert {"id", "scheduled_at", "processed_at", "error_code", "message", "channel_id", "user_id"} <= set(sp)
        assert_app_error(c.post("/api/v4/posts/schedule", json={"channel_id": town, "message": "x"}), 400)
        upd = c.put(f"/api/v4/posts/schedule/{sp['id']}", json={**sp, "message": "even later"})
        # api4/scheduled_post.go updateScheduledPost answers 201; another user's post is a 403
        assert upd.status_code == 201 and upd.json()["message"] == "even later"
        with client(sim, "bob-token") as bob:
            assert_app_error(bob.put(f"/api/v4/posts/schedule/{sp['id']}", json=sp), 403)
        draft = c.post("/api/v4/drafts", json={"channel_id": town, "message": "draft 1", "root_id": ""})
        assert draft.status_code == 201
        d = draft.json()
        assert (d["message"], d["user_id"], d["delete_at"]) == ("draft 1", ids["users"]["alice"], 0)
        again = c.post("/api/v4/drafts", json={"channel_id": town, "message": "draft 2"}).json()
        assert again["create_at"] == d["create_at"] and again["message"] == "draft 2"


# ----------------------------------------------------------------------- files
def test_multipart_files_and_raw_body_file(sim, ids):
    town = ids["channels"]["town_square"]
    with client(sim) as c:
        resp = c.post("/api/v4/files", data={"channel_id": town, "client_ids": ["c1", "c2"]},
                      files=[("files", ("a.txt", b"alpha", "text/plain")), ("files", ("b.csv", b"x,y\n1,2\n", "text/csv"))])
        assert resp.status_code == 201, resp.text
        out = resp.json()
        assert out["client_ids"] == ["c1", "c2"]
        assert [set(f) for f in out["file_infos"]] == [FILE_INFO_KEYS, FILE_INFO_KEYS]
        assert [(f["name"], f["extension"], f["size"]) for f in out["file_infos"]] == [("a.txt", "txt", 5), ("b.csv", "csv", 8)]

        raw = bytes(range(256))
        resp = c.post("/api/v4/files", params={"channel_id": town, "filename": "blob.bin", "client_id": "c3"}, content=raw)
        assert resp.status_code == 201
        info = resp.json()["file_infos"][0]
        assert resp.json()["client_ids"] == ["c3"] and info["name"] == "blob.bin" and info["size"] == 256
        assert c.get(f"/api/v4/files/{info['id']}").content == raw
        assert c.get(f"/api/v4/files/{info['id']}/info").json()["id"] == info["id"]
        assert_app_error(c.post("/api/v4/files", params={"channel_id": town}, content=b"x"), 400)

        post = c.post("/api/v4/posts", json={"channel_id": town, "message": "see file", "file_ids": [info["id"]]}).json()
        assert post["file_ids"] == [info["id"]]
        assert post["metadata"]["files"][0]["post_id"] == post["id"]
        with client(sim, "bob-token") as bob:  # a file belongs to its uploader
            assert_app_error(bob.post("/api/v4/posts", json={"channel_id": town, "message": "m", "file_ids": [info["id"]]}), 400)


@pytest.mark.parametrize("multipart_chunks", [False, True])
def test_upload_sessions(sim, ids, multipart_chunks):
    data = b"0123456789" * 100
    with client(sim) as c:
        resp = c.post("/api/v4/uploads", json={"channel_id": ids["channels"]["town_square"], "filename": "big.txt", "file_size": len(data)})
        assert resp.status_code == 201
        us = resp.json()
        assert (us["type"], us["file_offset"], us["file_size"]) == ("attachment", 0, len(data))
        chunks = [data[:300], data[300:700], data[700:]]
        for i, chunk in enumerate(chunks):
            if multipart_chunks:
                r = c.post(f"/api/v4/uploads/{us['id']}", files={"data": ("big.txt", chunk)})
            else:
                r = c.post(f"/api/v4/uploads/{us['id']}", content=chunk)
            if i < len(chunks) - 1:
                assert r.status_code == 204 and r.content == b""
        assert r.status_code == 200
        info = r.json()
        assert set(info) == FILE_INFO_KEYS and info["size"] == len(data)
        assert c.get(f"/api/v4/files/{info['id']}").content == data
        assert_app_error(c.post(f"/api/v4/uploads/{us['id']}", content=b"x"), 404)


# ----------------------------------------------------------------------- hooks
@pytest.mark.parametrize(
    ("content_type", "body", "status", "message"),
    [
        ("application/json", b'{"text": "json hook"}', 200, "json hook"),
        (None, b'{"text": "no content type"}', 200, "no content type"),
        ("application/x-www-form-urlencoded", b"payload=%7B%22text%22%3A%22form%20hook%22%7D", 200, "form hook"),
        # Mattermost's lenient JSON: a raw newline inside a string is accepted
        ("application/json", b'{"text": "line one\nline two"}', 200, "line one\nline two"),
        ("application/json", b'{"text": "x", "attachments": [{"text": "att"}]}', 200, "x"),
        ("application/json", b'{"text": ', 400, None),
        ("application/json", b'{"username": "no text"}', 400, None),
    ],
)
def test_incoming_webhook(sim, ids, content_type, body, status, message):
    headers = {"Content-Type": content_type} if content_type else {}
    resp = httpx.post(f"{sim.url}/hooks/{ids['incoming_hook']}", content=body, headers=headers)
    if status == 200:
        assert resp.status_code == 200 and resp.text == "ok"
        last = httpx.get(sim.url + "/__sim/posts").json()[-1]
        assert last["message"] == message and last["channel_id"] == ids["channels"]["town_square"]
        assert last["props"]["from_webhook"] == "true"
    else:
        assert_app_error(resp, status)


def test_webhook_multipart_unknown_hook_and_command_hook(sim, ids):
    resp = httpx.post(f"{sim.url}/hooks/{ids['incoming_hook']}", data={"text": "multipart hook", "username": "crm"},
                      files={"dummy": ("d.txt", b"")})
    assert resp.text == "ok"
    last = httpx.get(sim.url + "/__sim/posts").json()[-1]
    assert last["message"] == "multipart hook" and last["props"]["override_username"] == "crm"
    assert_app_error(httpx.post(f"{sim.url}/hooks/{'q' * 26}", json={"text": "x"}), 400)
    resp = httpx.post(f"{sim.url}/hooks/commands/{ids['command_hook']}", json={"response_type": "in_channel", "text": "delayed"})
    assert resp.status_code == 200 and resp.text == "ok"
    assert httpx.get(sim.url + "/__sim/posts").json()[-1]["message"] == "delayed"


def test_commands_actions_dialogs(sim, ids):
    town = ids["channels"]["town_square"]
    with client(sim) as c:
        resp = c.post("/api/v4/commands/execute", json={"channel_id": town, "team_id": ids["team"], "command": "/echo said by echo"})
        assert resp.status_code == 200 and "response_type" in resp.json()
        assert httpx.get(sim.url + "/__sim/posts").json()[-1]["message"] == "said by echo"
        c.post("/api/v4/commands/execute", json={"channel_id": town, "command": "/header new header"})
        assert c.get(f"/api/v4/channels/{town}").json()["header"] == "new header"
        assert_app_error(c.post("/api/v4/commands/execute", json={"channel_id": town, "command": "/nosuch x"}), 404)
        post = c.post("/api/v4/posts", json={"channel_id": town, "message": "with button"}).json()
        # a post without that action, a dialog without a url: refused as Mattermost does
        # (app/integration_action.go; the full flow: tests/test_sender_simulator.py)
        act = c.post(f"/api/v4/posts/{post['id']}/actions/approve", json={"selected_option": "yes"})
        assert_app_error(act, 404)
        assert act.json()["id"] == "api.post.do_action.action_id.app_error"
        dlg = c.post("/api/v4/actions/dialogs/submit", json={"callback_id": "x", "submission": {"note": "free text"}})
        assert_app_error(dlg, 400)


# -------------------------------------------------------- channels and users
def test_channels_bookmarks(sim, ids):
    with client(sim) as c:
        resp = c.post("/api/v4/channels", json={"team_id": ids["team"], "name": "deals-q3", "display_name": "Deals", "type": "P", "purpose": "p"})
        assert resp.status_code == 201
        ch = resp.json()
        assert set(ch) == CHANNEL_KEYS and (ch["type"], ch["purpose"]) == ("P", "p")
        assert_app_error(c.post("/api/v4/channels", json={"team_id": ids["team"], "name": "deals-q3", "type": "O"}), 400)
        up = c.put(f"/api/v4/channels/{ch['id']}", json={**ch, "header": "h1"}).json()
        assert up["header"] == "h1"
        assert c.put(f"/api/v4/channels/{ch['id']}/patch", json={"purpose": "p2"}).json()["purpose"] == "p2"
        with client(sim, "bob-token") as bob:  # bob is not a member of the private channel
            assert_app_error(bob.put(f"/api/v4/channels/{ch['id']}/patch", json={"purpose": "x"}), 403)
        bm = c.post(f"/api/v4/channels/{ch['id']}/bookmarks", json={"display_name": "Wiki", "link_url": "https://wiki.example", "type": "link"})
        assert bm.status_code == 201 and bm.json()["type"] == "link"
        patched = c.patch(f"/api/v4/channels/{ch['id']}/bookmarks/{bm.json()['id']}", json={"display_name": "Wiki 2"}).json()
        assert patched["updated"]["display_name"] == "Wiki 2" and patched["deleted"]["display_name"] == "Wiki"
        dm = c.post("/api/v4/channels/direct", json=[ids["users"]["alice"], ids["users"]["bob"]])
        assert dm.status_code == 201 and dm.json()["id"] == ids["channels"]["dm_alice_bob"]


def test_users_bots(sim, ids):
    alice_id = ids["users"]["alice"]
    with client(sim) as c:
        assert c.put(f"/api/v4/users/{alice_id}/patch", json={"position": "Broker"}).json()["position"] == "Broker"
        me = c.get("/api/v4/users/me").json()
        assert c.put(f"/api/v4/users/{alice_id}", json={**me, "first_name": "Alicia"}).json()["first_name"] == "Alicia"
        assert_app_error(c.put(f"/api/v4/users/{ids['users']['bob']}/patch", json={"position": "x"}), 403)
        st = c.put(f"/api/v4/users/{alice_id}/status/custom", json={"emoji": "calendar", "text": "in a meeting"})
        assert st.json() == {"status": "OK"}
        assert_app_error(c.post("/api/v4/bots", json={"username": "mybot"}), 403)
    with client(sim, "carol-token") as carol:
        bot = carol.post("/api/v4/bots", json={"username": "notify-bot", "display_name": "Notify"})
        assert bot.status_code == 201 and bot.json()["owner_id"] == ids["users"]["carol"]
        assert carol.get(f"/api/v4/users/{bot.json()['user_id']}").json()["is_bot"] is True


def test_playbooks(sim, ids):
    with client(sim) as c:
        run = c.post("/plugins/playbooks/api/v0/runs", json={"name": "Incident", "team_id": ids["team"], "owner_user_id": ids["users"]["alice"]})
        assert run.status_code == 201
        st = c.post(f"/plugins/playbooks/api/v0/runs/{run.json()['id']}/status", json={"message": "status update", "reminder": 600})
        assert st.status_code == 200 and len(st.json()["status_posts"]) == 1


# ----------------------------------------------------------------- recording
def test_records_requests_byte_for_byte(sim, ids):
    body = b'{"channel_id":"%s","message":"exact  bytes \\u00e9"}' % ids["channels"]["town_square"].encode()
    with httpx.Client() as c:
        c.post(f"{sim.url}/api/v4/posts?set_online=true&x=%41", content=body,
               headers=[("Authorization", "Bearer alice-token"), ("X-Dup", "1"), ("X-Dup", "2"), ("Content-Type", "text/plain")])
        c.get(f"{sim.url}/api/v4//users/%6De")  # a spelling the simulator does not route: still recorded
    httpx.get(sim.url + "/__sim/posts")  # inspection calls are not recorded
    reqs = httpx.get(sim.url + "/__sim/requests").json()
    assert [r["seq"] for r in reqs] == sorted(r["seq"] for r in reqs) and len(reqs) == 2
    first, second = reqs
    assert {"seq", "method", "path", "query", "headers", "body_b64"} <= set(first)
    assert (first["method"], first["path"], first["query"]) == ("POST", "/api/v4/posts", "set_online=true&x=%41")
    assert base64.b64decode(first["body_b64"]) == body
    assert ["x-dup", "1"] in first["headers"] and ["x-dup", "2"] in first["headers"]
    assert ["authorization", "Bearer alice-token"] in first["headers"]
    assert second["raw_path"] == "/api/v4//users/%6De" and second["body_b64"] == ""
    assert httpx.delete(sim.url + "/__sim/requests").status_code == 200
    assert httpx.get(sim.url + "/__sim/requests").json() == []


@pytest.mark.parametrize(
    ("status_cfg", "method", "path", "expected"),
    [(404, "POST", "/api/v4/nosuch", 404), (200, "POST", "/api/v4/nosuch", 200),
     (404, "GET", "/plugins/other/x", 404), (404, "POST", "/api/v4/system/ping", 404)],
)
def test_unknown_routes(sim, status_cfg, method, path, expected):
    httpx.post(sim.url + "/__sim/config", json={"unknown_route_status": status_cfg})
    try:
        resp = httpx.request(method, sim.url + path, content=b"{}")
    finally:
        httpx.post(sim.url + "/__sim/config", json={"unknown_route_status": 404})
    if expected == 404:
        assert_app_error(resp, 404, "api.context.404.app_error")
    else:
        assert resp.status_code == 200 and resp.json() == {}
    assert httpx.get(sim.url + "/__sim/requests").json()[-1]["path"] == path


def test_faults_status_delay_and_count(sim, ids):
    town = ids["channels"]["town_square"]
    r = httpx.post(sim.url + "/__sim/faults", json={"status": 503, "path_prefix": "/api/v4/posts", "method": "POST", "count": 1})
    assert r.status_code == 201
    with client(sim) as c:
        assert_app_error(c.post("/api/v4/posts", json={"channel_id": town, "message": "m"}), 503)
        assert c.post("/api/v4/posts", json={"channel_id": town, "message": "m"}).status_code == 201  # count used up
        httpx.post(sim.url + "/__sim/faults", json={"delay_ms": 400, "path_prefix": "/api/v4/users/me"})
        t0 = time.monotonic()
        assert c.get("/api/v4/users/me").status_code == 200
        assert time.monotonic() - t0 >= 0.35
        # cleared: a 120 s delay, then the delete; the next read is answered within the
        # client's 30 s (a state, not a race of a short bound against the request)
        httpx.post(sim.url + "/__sim/faults", json={"delay_ms": 120_000, "path_prefix": "/api/v4/users/me"})
        httpx.delete(sim.url + "/__sim/faults")
        assert c.get("/api/v4/users/me", timeout=30).status_code == 200
    assert httpx.post(sim.url + "/__sim/faults", json={"status": "x"}).status_code == 400


# ----------------------------------------------------------------- websocket
def _ws_connect(url: str, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[socket.socket, wsproto.WSConnection]:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    sock.sendall(ws.send(wse.Request(host=f"{host}:{port}", target=path, extra_headers=headers)))
    return sock, ws


def _ws_events(sock: socket.socket, ws: wsproto.WSConnection, want: int) -> list[Any]:
    out: list[Any] = []
    deadline = time.monotonic() + 5
    while len(out) < want and time.monotonic() < deadline:
        ws.receive_data(sock.recv(65536))
        for ev in ws.events():
            if isinstance(ev, wse.TextMessage):
                out.append(json.loads(ev.data))
            elif isinstance(ev, wse.AcceptConnection):
                out.append("accepted")
    return out


def test_websocket_hello_ping_and_challenge(sim, ids):
    sock, ws = _ws_connect(sim.url, "/api/v4/websocket", [(b"authorization", b"Bearer alice-token")])
    try:
        events = _ws_events(sock, ws, 2)
        assert events[0] == "accepted" and events[1]["event"] == "hello"
        assert events[1]["broadcast"]["user_id"] == ids["users"]["alice"]
        sock.sendall(ws.send(wse.Message(data=json.dumps({"action": "ping", "seq": 7}))))
        (pong,) = _ws_events(sock, ws, 1)
        assert pong["seq_reply"] == 7 and pong["data"]["text"] == "pong"
    finally:
        sock.close()
    sock, ws = _ws_connect(sim.url, "/api/v4/websocket", [])
    try:
        assert _ws_events(sock, ws, 1) == ["accepted"]
        sock.sendall(ws.send(wse.Message(data=json.dumps({"action": "authentication_challenge", "seq": 1, "data": {"token": "bob-token"}}))))
        reply, hello = _ws_events(sock, ws, 2)
        assert reply == {"status": "OK", "seq_reply": 1} and hello["event"] == "hello"
    finally:
        sock.close()
    reqs = httpx.get(sim.url + "/__sim/requests").json()
    assert [r["websocket"] for r in reqs if r["path"] == "/api/v4/websocket"] == [True, True]
    texts = [m["text"] for m in httpx.get(sim.url + "/__sim/ws_messages").json()]
    assert any('"ping"' in t for t in texts)


# ----------------------------------------------------------------------- CLI
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_cli_simulate_prints_seed_and_serves(tmp_path, stop_signal):
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlp_proxy.cli", "simulate", "--listen", "127.0.0.1:0", "--ready-file", str(ready)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "simulator did not start"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        assert info["url"].startswith("http://127.0.0.1:")
        me = httpx.get(info["url"] + "/api/v4/users/me", headers={"Authorization": "Bearer carol-token"}, timeout=5)
        assert me.json()["username"] == "carol"
    finally:
        proc.send_signal(stop_signal)
        out, _ = proc.communicate(timeout=15)
    for needle in ("alice-token", "bob-token", "carol-token", "sam-token", "dlp-bot-token", "town_square", "/hooks/"):
        assert needle in out
    assert proc.returncode == 0
