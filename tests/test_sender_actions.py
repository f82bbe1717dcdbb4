"""The sender's side end to end: real gateway, real simulator, the official JS client.

A held direct message -> the ephemeral notice carries "Report a false positive" and
"Request release" buttons (and a durable copy arrives as a DM from the bot) -> the
sender clicks (doPostActionWithCookie through the gateway) -> Mattermost (the
simulator) calls the gateway's button endpoint, which opens the justification dialog
-> the sender submits it (submitInteractiveDialog through the gateway, inspected) ->
Mattermost calls the dialog endpoint -> the report is on the item and in the archive,
the justification masked.  Someone else, a forged or expired token and a replay are
refused.  Released and rejected items are told by DM, with the reviewer's reason.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlp_proxy.gateway.actions import DIALOG_PATH, SenderTokens
from dlp_proxy.policy.notify import SENDER_ACTION_IDS
from tests.conftest import ROOT, Gateway, Simulator, archive_records, free_port, start_gateway, stop

JS_DIR = Path(__file__).resolve().parent / "js"
PHONE = "212-555-0199"  # passes the policy (no rule on phone numbers), masked before it is stored


@pytest.fixture(scope="module")
def sgw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    # Mattermost refuses integrations on internal addresses unless they are listed
    # (ServiceSettings.AllowedUntrustedInternalConnections): the gateway is on 127.0.0.1
    httpx.post(f"{simulator.url}/__sim/config", json={"allowed_untrusted_internal_connections": "127.0.0.1"})
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gw = start_gateway(simulator, tmp_path_factory.mktemp("sgw"), "--listen", f"127.0.0.1:{port}",
                       env={"DLP_SENDER_ACTIONS_URL": url})
    gw = dataclasses.replace(gw, url=url)  # the later --listen wins
    yield gw
    stop(gw.proc)
    httpx.post(f"{simulator.url}/__sim/config", json={"allowed_untrusted_internal_connections": ""})


def _uid(gw: Gateway, user: str) -> str:
    return str(gw.sim.ids["users"][user])


def _hold(gw: Gateway, text: str, user: str = "alice") -> str:
    r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("dm_alice_bob"), "message": text},
                   headers={"Authorization": f"Bearer {gw.sim.token(user)}"}, timeout=30)
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    return str(r.json()["detailed_error"].rsplit(" ", 1)[1])


def _events(gw: Gateway, user: str, event: str) -> list[dict[str, Any]]:
    got = httpx.get(f"{gw.sim.url}/__sim/events", params={"user_id": _uid(gw, user)}, timeout=10).json()
    return [e for e in got if e["event"] == event]


def _wait(fn: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("timed out")


def _notice(gw: Gateway, item_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        for e in _events(gw, "alice", "ephemeral_message"):
            post = json.loads(e["data"]["post"])
            if post["props"].get("dlp_item_id") == item_id:
                return dict(post)
        return None
    return dict(_wait(find))


def _dialogs(gw: Gateway, user: str = "alice") -> list[dict[str, Any]]:
    return [json.loads(e["data"]["dialog"]) for e in _events(gw, user, "open_dialog")]


def _node(gw: Gateway, user: str, *args: str) -> dict[str, Any]:
    assert shutil.which("node"), "node is needed for the @mattermost/client tests"
    if not (JS_DIR / "node_modules" / "@mattermost" / "client").is_dir():
        pytest.fail("tests/js/node_modules is missing: npm ci in tests/js")
    proc = subprocess.run(["node", "sender_actions.mjs", *args], cwd=JS_DIR, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "BASE_URL": gw.url, "MM_TOKEN": gw.sim.token(user)})
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _submission(dialog: dict[str, Any], gw: Gateway, text: str) -> dict[str, Any]:
    # what the web app sends (components/interactive_dialog: url, callback_id, state,
    # the current channel and team -- a team also from a DM: Mattermost refuses an
    # empty team id -- and the submission)
    return {"url": dialog["url"], "callback_id": dialog["dialog"]["callback_id"], "state": dialog["dialog"]["state"],
            "channel_id": gw.sim.channel("dm_alice_bob"), "team_id": gw.sim.ids["team"],
            "submission": {"justification": text}, "cancelled": False}


def _cli(gw: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DLP_DATA_DIR": str(gw.data_dir), "DLP_UPSTREAM": gw.sim.url,
           "DLP_NOTIFY_TOKEN": gw.sim.token("dlp-bot"), "DLP_RELEASE_BOT_TOKEN": gw.sim.token("dlp-bot")}
    env.pop("DLP_REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def _bot_dms(gw: Gateway, user: str) -> list[dict[str, Any]]:
    """Posts in the DM channel of the bot and ``user`` (name: the two ids, sorted)."""
    name = "__".join(sorted([_uid(gw, "dlp-bot"), _uid(gw, user)]))
    r = httpx.post(f"{gw.sim.url}/api/v4/channels/direct", json=[_uid(gw, "dlp-bot"), _uid(gw, user)],
                   headers={"Authorization": f"Bearer {gw.sim.token('dlp-bot')}"}, timeout=10)
    assert r.status_code == 201 and r.json()["name"] == name and r.json()["type"] == "D"
    return [p for p in gw.sim.posts() if p["channel_id"] == r.json()["id"] and not p["ephemeral"]]


@pytest.mark.js
def test_notice_buttons_dialog_and_report_end_to_end(sgw: Gateway) -> None:
    item_id = _hold(sgw, "Please wire it, client SSN 536-22-4471")
    notice = _notice(sgw, item_id)
    actions = notice["props"]["attachments"][0]["actions"]
    assert [a["name"] for a in actions] == ["Report a false positive", "Request release"]  # config/policy.yaml
    assert [a["id"] for a in actions] == list(SENDER_ACTION_IDS.values())
    # the client sees a sealed cookie, never the integration (url, token)
    assert all(a["cookie"] and "integration" not in a for a in actions)
    assert "536-22-4471" not in json.dumps(notice)
    # the durable copy: a DM from the bot, in the sender's DM channel with it
    held = _wait(lambda: [p for p in _bot_dms(sgw, "alice") if p["props"].get("dlp_item_id") == item_id])
    assert held[0]["user_id"] == _uid(sgw, "dlp-bot") and "held for compliance review" in held[0]["message"]
    assert held[0]["props"]["dlp_outcome"] == "held" and "536-22-4471" not in held[0]["message"]

    # the click, as the web app does it, through the gateway
    release = actions[1]
    before = len(_dialogs(sgw))
    clicked = _node(sgw, "alice", "click", notice["id"], release["id"], release["cookie"])
    assert clicked["ok"] and clicked["result"]["status"] == "OK", clicked
    dialog = _wait(lambda: _dialogs(sgw)[before:])[-1]
    assert dialog["trigger_id"] == clicked["result"]["trigger_id"]  # the client's id of this click
    assert dialog["url"] == sgw.url + DIALOG_PATH
    assert dialog["dialog"]["callback_id"] == "release_request"
    assert dialog["dialog"]["elements"][0]["name"] == "justification"

    text = f"The client confirmed by phone, call back on {PHONE} if needed"
    sgw.sim.clear()
    submitted = _node(sgw, "alice", "submit", json.dumps(_submission(dialog, sgw, text)))
    assert submitted == {"ok": True, "result": {}}, submitted
    # the submission went through the gateway's inspection on its way to Mattermost
    assert any(r["path"] == "/api/v4/actions/dialogs/submit" for r in sgw.sim.requests())

    records = [r for r in archive_records(sgw.data_dir) if r.get("item_id") == item_id]
    report = [r for r in records if r.get("action") == "sender_release_request"]
    assert len(report) == 1
    assert report[0]["actor"]["user_id"] == _uid(sgw, "alice") and report[0]["report_kind"] == "release_request"
    assert PHONE not in report[0]["reason"] and not re.search(r"[0-9]{4}", report[0]["reason"])  # no number stored
    assert "The client confirmed by phone" in report[0]["reason"]
    assert PHONE not in json.dumps(archive_records(sgw.data_dir))
    shown = _cli(sgw, "show", item_id, "--json")
    assert shown.returncode == 0, shown.stderr
    hist = [h for h in json.loads(shown.stdout)["history"] if h["action"] == "sender_release_request"]
    assert len(hist) == 1 and hist[0]["note"] == report[0]["reason"] and hist[0]["record_id"] == report[0]["record_id"]
    redis_blob = b"".join(p.read_bytes() for p in (sgw.data_dir / "redis").rglob("*")
                          if p.is_file() and p.name != "redis.log")
    assert PHONE.encode() not in redis_blob
    # the sender is told the report was received
    assert _wait(lambda: [p for p in sgw.sim.posts() if p.get("ephemeral") and p["props"].get("dlp_item_id") == item_id
                          and "report" in p["message"]])

    # replay of the same submission: refused by the integration, nothing recorded twice
    again = _node(sgw, "alice", "submit", json.dumps(_submission(dialog, sgw, text)))
    assert again == {"ok": True, "result": {"error": "This report was already sent."}}, again
    # someone else with the sender's dialog state (bob is in the channel): Mattermost
    # attests bob's user id, the token does not verify for him
    bob = _node(sgw, "bob", "submit", json.dumps(_submission(dialog, sgw, "I want this released too, please")))
    assert not bob["ok"] and bob["status_code"] == 400
    assert bob["server_error_id"] == "api.post.do_action.action_integration.app_error"
    # bob clicking the button of alice's notice (a cookie is bound to nothing but the
    # channel; the token inside it is alice's)
    bob_click = _node(sgw, "bob", "click", notice["id"], release["id"], release["cookie"])
    assert not bob_click["ok"] and bob_click["status_code"] == 400
    reports = [r for r in archive_records(sgw.data_dir) if r.get("item_id") == item_id
               and str(r.get("action", "")).startswith("sender_")]
    assert len(reports) == 1


def test_false_positive_button_with_the_raw_action_route(sgw: Gateway) -> None:
    """The same flow with plain HTTP on Mattermost's routes (POST /posts/{id}/actions/{id}
    with the cookie; POST /actions/dialogs/submit), through the gateway."""
    item_id = _hold(sgw, "Account check: SSN 536-22-6618 for the form")
    notice = _notice(sgw, item_id)
    fp = notice["props"]["attachments"][0]["actions"][0]
    alice = httpx.Client(base_url=sgw.url, headers={"Authorization": f"Bearer {sgw.sim.token('alice')}"}, timeout=30)
    before = len(_dialogs(sgw))
    r = alice.post(f"/api/v4/posts/{notice['id']}/actions/{fp['id']}", json={"cookie": fp["cookie"]})
    assert r.status_code == 200 and r.json()["status"] == "OK", r.text
    dialog = _wait(lambda: _dialogs(sgw)[before:])[-1]
    assert dialog["dialog"]["callback_id"] == "false_positive"
    short = alice.post("/api/v4/actions/dialogs/submit", json=_submission(dialog, sgw, "too short"))
    assert short.status_code == 200 and "justification" in short.json()["errors"]
    ok = alice.post("/api/v4/actions/dialogs/submit",
                    json=_submission(dialog, sgw, "That number is our internal ticket id, not an SSN"))
    assert ok.status_code == 200 and ok.json() == {}, ok.text
    kinds = [r["action"] for r in archive_records(sgw.data_dir) if r.get("item_id") == item_id]
    assert "sender_false_positive" in kinds
    # an identifier in the justification itself: the gateway inspects the submission
    # (route actions.dialog_submit) before Mattermost sees it
    dirty = alice.post("/api/v4/actions/dialogs/submit", json=_submission(dialog, sgw, "the SSN is 536-22-6618 ok"))
    assert dirty.status_code == 403 and dirty.json()["id"].startswith("api.dlp."), dirty.text


@pytest.mark.js
def test_forged_expired_and_foreign_tokens_are_refused(sgw: Gateway) -> None:
    item_id = _hold(sgw, "Routing 021000021 account 4402113377 SSN 536-22-9010")
    notice = _notice(sgw, item_id)
    release = notice["props"]["attachments"][0]["actions"][1]
    before = len(_dialogs(sgw))
    assert _node(sgw, "alice", "click", notice["id"], release["id"], release["cookie"])["ok"]
    dialog = _wait(lambda: _dialogs(sgw)[before:])[-1]
    state = json.loads(dialog["dialog"]["state"])
    alice = httpx.Client(base_url=sgw.url, headers={"Authorization": f"Bearer {sgw.sim.token('alice')}"}, timeout=30)

    def submit_state(st: dict[str, Any]) -> httpx.Response:
        body = _submission(dialog, sgw, "Please release, the client asked for it")
        body["state"] = json.dumps(st)
        return alice.post("/api/v4/actions/dialogs/submit", json=body)

    for forged in ({**state, "mac": "0" * 64}, {**state, "item": "q0000"}, {**state, "exp": str(int(state["exp"]) + 9)},
                   {**state, "kind": "false_positive"}, {k: v for k, v in state.items() if k != "mac"}):
        r = submit_state(forged)
        assert r.status_code == 400 and r.json()["id"] == "api.post.do_action.action_integration.app_error", r.text
    # a token minted with the gateway's own key, but expired
    hash_key = (sgw.data_dir / "keys" / "hash.key").read_bytes()
    expired = SenderTokens(hash_key).mint(item_id, _uid(sgw, "alice"), "release_request", time.time() - 1)
    assert submit_state(expired).status_code == 400
    # the same, valid: accepted (the refusals above were for the reasons tested)
    fresh = SenderTokens(hash_key).mint(item_id, _uid(sgw, "alice"), "release_request", time.time() + 60)
    assert submit_state(fresh).status_code == 200
    # called directly (not through Mattermost): a Mattermost-shaped 403, never 401
    direct = httpx.post(sgw.url + DIALOG_PATH, json={"type": "dialog_submission", "state": json.dumps(expired),
                                                     "user_id": _uid(sgw, "alice"), "submission": {}}, timeout=10)
    assert direct.status_code == 403 and direct.json()["id"] == "api.dlp.sender_action.forbidden.app_error"
    assert direct.json()["detailed_error"] == "token expired"
    other = SenderTokens(hash_key).mint(item_id, _uid(sgw, "bob"), "release_request", time.time() + 60)
    direct = httpx.post(sgw.url + DIALOG_PATH, json={"type": "dialog_submission", "state": json.dumps(other),
                                                     "user_id": _uid(sgw, "bob"),
                                                     "submission": {"justification": "bob wants it out now"}}, timeout=10)
    assert direct.status_code == 403 and direct.json()["detailed_error"] == "not the sender of this item"
    # the gateway's paths are never forwarded to Mattermost
    sgw.sim.clear()
    assert httpx.get(sgw.url + "/dlp-proxy/sender/anything", timeout=10).status_code == 404
    assert not [r for r in sgw.sim.requests() if r["path"].startswith("/dlp-proxy/")]


def test_released_and_rejected_are_told_by_dm_with_the_reason(sgw: Gateway) -> None:
    rejected = _hold(sgw, "For the file: SSN 536-22-3307")
    released = _hold(sgw, "Approved transfer, SSN 536-22-5150")
    out = _cli(sgw, "reject", rejected, "--reason", "customer data in chat; use the secure channel")
    assert out.returncode == 0, out.stderr
    out = _cli(sgw, "approve", released, "--reason", "client consent on file", "--principal", _uid(sgw, "carol"))
    assert out.returncode == 0, out.stderr

    def dm(item: str, outcome: str) -> list[dict[str, Any]]:
        return [p for p in _bot_dms(sgw, "alice")
                if p["props"].get("dlp_item_id") == item and p["props"].get("dlp_outcome") == outcome]

    no = _wait(lambda: dm(rejected, "rejected"))[0]
    assert "not released" in no["message"]
    assert "Reviewer's reason: customer data in chat; use the secure channel" in no["message"]
    assert "536-22-3307" not in no["message"] and no["user_id"] == _uid(sgw, "dlp-bot")
    yes = _wait(lambda: dm(released, "released"), timeout=60)[0]  # released by the gateway's sweep
    assert "released" in yes["message"] and "536-22-5150" not in yes["message"]


def test_without_the_setting_there_are_no_buttons(simulator: Simulator, tmp_path: Path) -> None:
    gw = start_gateway(simulator, tmp_path / "gw")
    try:
        before = len(_events(gw, "alice", "ephemeral_message"))
        _hold(gw, "Plain notice please, SSN 536-22-8120")
        posts = [json.loads(e["data"]["post"]) for e in _wait(lambda: _events(gw, "alice", "ephemeral_message")[before:])]
        assert posts and all("attachments" not in p["props"] and "dlp_item_id" not in p["props"] for p in posts)
        assert "held for compliance review" in posts[0]["message"]
        assert httpx.post(gw.url + DIALOG_PATH, json={}, timeout=10).status_code == 404
    finally:
        stop(gw.proc)


def test_the_web_app_gets_notice_and_dialog_over_its_websocket_through_the_gateway(sgw: Gateway) -> None:
    """What the web app sees: the ephemeral notice and the open_dialog event arrive on
    its websocket, through the gateway, as Mattermost publishes them."""
    from tests.test_gateway_websocket import WS

    conn = WS(sgw.url, [(b"authorization", f"Bearer {sgw.sim.token('alice')}".encode())])
    try:
        conn.wait(lambda e: e == "accepted")
        conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "hello")
        item_id = _hold(sgw, "Over the socket: SSN 536-22-7741")
        ev = conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "ephemeral_message"
                       and json.loads(e["data"]["post"])["props"].get("dlp_item_id") == item_id, timeout=30)
        post = json.loads(ev["data"]["post"])
        fp = post["props"]["attachments"][0]["actions"][0]
        r = httpx.post(f"{sgw.url}/api/v4/posts/{post['id']}/actions/{fp['id']}", json={"cookie": fp["cookie"]},
                       headers={"Authorization": f"Bearer {sgw.sim.token('alice')}"}, timeout=30)
        assert r.status_code == 200, r.text
        dlg = conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "open_dialog", timeout=30)
        dialog = json.loads(dlg["data"]["dialog"])
        assert dialog["trigger_id"] == r.json()["trigger_id"] and dialog["dialog"]["callback_id"] == "false_positive"
    finally:
        conn.close()
