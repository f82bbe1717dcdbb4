"""Findings 4, 6, 7 and 8 of the insider pass (issue 14), end to end: the real gateway
in front of its own simulator, which reads requests as Mattermost does.

The policy here makes the channel matter: an identifier is blocked in a public
channel and only recorded (forwarded) in a private one, so reading the wrong
channel is a leak.  Each attack is first sent to the simulator directly where that
shows Mattermost stores the identifier where the gateway did not look.

- 6: the channel a request lands in, as Go finds it: encoding/json matches keys
  case-insensitively and the last one wins; ``r.URL.Query().Get`` is case-sensitive
  and takes the first value; an edit lands in the stored post's channel; an upload
  chunk in its session's; a channel converted to public is public at once;
- 8: every method but a body-less GET/HEAD/OPTIONS is judged (a plugin reads any);
  no-content routes and the typing frame are shape-checked;
- 4: a context word in one field gives context to a number in another field, in the
  channel's purpose, in the user's position;
- 7: a split identifier is caught across routes (drafts, headers, posts) and across
  filler.
"""

from __future__ import annotations

import base64
import gzip
import json
import lzma
import random
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlp_proxy.gateway.extract import unlabelled_streams
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway, Simulator, archive_records, start_gateway, start_simulator, stop

ROOT = Path(__file__).resolve().parents[1]
DIGITS = SSN.replace("-", "")
STOPPED = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error", "api.dlp.bad_request.app_error"}

POLICY = """
schema: 1
description: parity findings - identifiers recorded in private channels, blocked elsewhere
defaults: {min_score: 0.5, on_context_error: block}
exceptions: []
rules:
  - id: npi-open
    action: block
    match: {entities: [US_SSN, US_ITIN, CREDIT_CARD, US_BANK_NUMBER]}
    unless: {channel_types: [private, direct, group]}
  - id: npi-private
    action: monitor
    match: {entities: [US_SSN, US_ITIN, CREDIT_CARD, US_BANK_NUMBER]}
    scope: {channel_types: [private, direct, group]}
"""


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    s = start_simulator()
    yield s
    stop(s.proc)


@pytest.fixture(scope="module")
def gw(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    base = tmp_path_factory.mktemp("parity-findings")
    config = base / "config"
    config.mkdir()
    (config / "policy.yaml").write_text(POLICY)
    (config / "recognizers.yaml").write_text((ROOT / "config" / "recognizers.yaml").read_text())
    g = start_gateway(sim, base / "data", config_dir=config)
    yield g
    stop(g.proc)


def _auth(gw: Gateway, user: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.sim.token(user)}"}


def _through(gw: Gateway, method: str, path: str, body: bytes | None = None, *, json_body: Any = None,
             headers: dict[str, str] | None = None) -> httpx.Response:
    gw.sim.clear()
    content = json.dumps(json_body).encode() if json_body is not None else body
    return httpx.request(method, gw.url + path, headers={**_auth(gw), **(headers or {})}, content=content, timeout=90)


def _direct(gw: Gateway, method: str, path: str, *, json_body: Any) -> httpx.Response:
    return httpx.request(method, gw.sim.url + path, headers=_auth(gw), content=json.dumps(json_body).encode(),
                         timeout=30)


def _reached(gw: Gateway, path: str) -> list[dict[str, Any]]:
    p = path.split("?", 1)[0]
    return [r for r in gw.sim.requests() if r["path"] == p and r["method"] != "GET"
            and b"from_dlp_proxy" not in base64.b64decode(r["body_b64"])]


def _stopped(gw: Gateway, r: httpx.Response, path: str) -> None:
    assert r.status_code in (400, 403), (r.status_code, r.text)
    assert r.json()["id"] in STOPPED, r.text
    assert _reached(gw, path) == []


def _post(gw: Gateway, channel: str, message: str) -> httpx.Response:
    return _through(gw, "POST", "/api/v4/posts", json_body={"channel_id": channel, "message": message})


# --------------------------------------------------------------------------- 6: channel resolution


def test_baseline_the_policy_makes_the_channel_matter(gw: Gateway) -> None:
    town, private = gw.sim.channel("town_square"), gw.sim.channel("private")
    assert _post(gw, private, f"client ssn {SSN}").status_code == 201  # recorded, forwarded
    r = _post(gw, town, f"client ssn {SSN}")
    _stopped(gw, r, "/api/v4/posts")


@pytest.mark.parametrize("keys", [
    ("channel_id", "Channel_Id"),          # case variant after the real key: Go keeps the last
    ("channel_id", "CHANNEL_ID"),
    ("channel_id", "channel_id"),          # an exact duplicate
    ("channel_id", "channel_\u0130d"),     # not a fold of channel_id for Go: ignored by it
    ("channel_id", "\u212aey"),            # a fold of "Key": ignored too (no such field)
])
def test_duplicate_and_case_folded_channel_keys_are_read_as_go_reads_them(gw: Gateway, keys: tuple[str, str]) -> None:
    town, private = gw.sim.channel("town_square"), gw.sim.channel("private")
    first, second = keys
    body = f'{{"{first}": "{private}", "{second}": "{town}", "message": "client ssn {SSN}"}}'.encode()
    go_reads_town = second.lower() == "channel_id"
    r = _through(gw, "POST", "/api/v4/posts", body)
    if go_reads_town:
        # Mattermost would store it in the public channel: stopped
        _stopped(gw, r, "/api/v4/posts")
        direct = httpx.post(gw.sim.url + "/api/v4/posts", headers=_auth(gw), content=body, timeout=30)
        assert direct.status_code == 201 and direct.json()["channel_id"] == town
    else:
        assert r.status_code == 201, r.text
        assert r.json()["channel_id"] == private


def test_a_null_after_the_channel_leaves_it_as_go_does(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    body = f'{{"channel_id": "{town}", "CHANNEL_ID": null, "message": "client ssn {SSN}"}}'.encode()
    _stopped(gw, _through(gw, "POST", "/api/v4/posts", body), "/api/v4/posts")


def test_query_channel_is_case_sensitive_and_the_first_value(gw: Gateway) -> None:
    town, private = gw.sim.channel("town_square"), gw.sim.channel("private")
    csv = f"name,ssn\njane roe,{SSN}\n".encode()
    for query in (f"Channel_Id={private}&channel_id={town}", f"channel_id={town}&channel_id={private}",
                  f"channel_id={private};x&channel_id={town}"):
        path = f"/api/v4/files?{query}&filename=clients.csv"
        r = _through(gw, "POST", path, csv, headers={"Content-Type": "text/csv"})
        _stopped(gw, r, path)
    # and the simulator (Go's url.Values.Get) stores it in the public channel
    direct = httpx.post(f"{gw.sim.url}/api/v4/files?Channel_Id={private}&channel_id={town}&filename=a.txt",
                        headers=_auth(gw), content=b"hello", timeout=30)
    assert direct.status_code == 201 and direct.json()["file_infos"][0]["channel_id"] == town


def test_an_edit_lands_in_the_stored_posts_channel_not_the_bodys(gw: Gateway) -> None:
    town, private = gw.sim.channel("town_square"), gw.sim.channel("private")
    created = _post(gw, town, "quarterly review at 3")
    assert created.status_code == 201, created.text
    post_id = created.json()["id"]
    for method, path, body in (
        ("PUT", f"/api/v4/posts/{post_id}", {"id": post_id, "channel_id": private, "message": f"client ssn {SSN}"}),
        ("PUT", f"/api/v4/posts/{post_id}/patch", {"channel_id": private, "message": f"client ssn {SSN}"}),
    ):
        _stopped(gw, _through(gw, method, path, json_body=body), path)
    # the same edit of a post in the private channel is recorded and goes through
    kept = _post(gw, private, "notes")
    pid = kept.json()["id"]
    r = _through(gw, "PUT", f"/api/v4/posts/{pid}", json_body={"id": pid, "channel_id": town, "message": f"ssn {SSN}"})
    assert r.status_code == 200 and r.json()["channel_id"] == private


def test_an_upload_chunk_lands_in_its_sessions_channel(gw: Gateway) -> None:
    town, private = gw.sim.channel("town_square"), gw.sim.channel("private")
    data = f"name,ssn\njane roe,{SSN}\nrichard roe,{SSN}\n".encode()
    session = _through(gw, "POST", "/api/v4/uploads",
                       json_body={"channel_id": town, "filename": "clients.csv", "file_size": len(data)})
    assert session.status_code == 201, session.text
    upload_id = session.json()["id"]
    path = f"/api/v4/uploads/{upload_id}?channel_id={private}"
    _stopped(gw, _through(gw, "POST", path, data), path)


def test_a_converted_channel_is_judged_by_its_new_type_at_once(gw: Gateway) -> None:
    created = _through(gw, "POST", "/api/v4/channels", json_body={
        "team_id": gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"],
        "name": "deal-room", "display_name": "Deal room", "type": "P"})
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    assert _post(gw, cid, f"client ssn {SSN}").status_code == 201  # private: recorded (and the type cached)
    r = _through(gw, "PUT", f"/api/v4/channels/{cid}/privacy", json_body={"privacy": "O"})
    assert r.status_code == 200 and r.json()["type"] == "O"
    _stopped(gw, _post(gw, cid, f"client ssn {SSN}"), "/api/v4/posts")


# --------------------------------------------------------------------------- 8: methods and shapes


@pytest.mark.parametrize("method", ["DELETE", "PROPFIND", "REPORT", "FROB", "GET", "OPTIONS"])
def test_any_method_with_a_body_to_a_plugin_is_judged(gw: Gateway, method: str) -> None:
    path = "/plugins/com.example.notes/api/v1/notes"
    r = _through(gw, method, path, json_body={"note": f"client ssn {SSN}"})
    _stopped(gw, r, path)
    clean = _through(gw, method, path, json_body={"note": "lunch at noon"})
    assert clean.status_code not in (400, 403) or clean.json().get("id") not in STOPPED
    assert [r["method"] for r in gw.sim.requests() if r["path"] == path] == [method]


def test_a_delete_without_a_body_passes_unread(gw: Gateway) -> None:
    path = "/plugins/com.example.notes/api/v1/notes/abc"
    r = _through(gw, "DELETE", path)
    assert r.status_code == 404 and [x["method"] for x in _reached(gw, path)] == ["DELETE"]


@pytest.mark.parametrize("body", [
    {"channel_id": "TOWN", "parent_id": f"client {SSN}"},
    {"channel_id": "TOWN", "parent_id": DIGITS},
    {"channel_id": "TOWN", "parent_id": "", "note": "x"},
    {"channel_id": "TOWN", "PARENT_ID": "a" * 25 + "!"},
    {"channel_id": DIGITS},
    ["TOWN"],
])
def test_typing_carries_ids_only(gw: Gateway, body: Any) -> None:
    town = gw.sim.channel("town_square")
    raw = json.dumps(body).replace("TOWN", town).encode()
    path = f"/api/v4/users/{gw.sim.ids['users']['alice'] if 'users' in gw.sim.ids else 'me'}/typing"
    r = _through(gw, "POST", path, raw)
    assert r.status_code == 400 and r.json()["id"] == "api.dlp.bad_request.app_error", r.text
    assert _reached(gw, path) == [] and DIGITS not in r.text


def test_a_well_formed_typing_request_passes(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    path = "/api/v4/users/me/typing"
    r = _through(gw, "POST", path, json_body={"channel_id": town, "parent_id": ""})
    assert r.status_code == 200 and r.json() == {"status": "OK"}, r.text
    assert len(_reached(gw, path)) == 1


def test_lookups_by_ids_carry_ids_only(gw: Gateway) -> None:
    path = "/api/v4/users/ids"
    r = _through(gw, "POST", path, json_body=[DIGITS])
    assert r.status_code == 400 and _reached(gw, path) == []


# --------------------------------------------------------------------------- 4: context across fields


def test_attachment_field_title_gives_context_to_its_value(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    bare = {"channel_id": town, "message": "see below",
            "props": {"attachments": [{"fields": [{"title": "Reference", "value": DIGITS}]}]}}
    r = _through(gw, "POST", "/api/v4/posts", json_body=bare)
    assert r.status_code == 201, r.text  # nine digits without context are no SSN
    for title in ("SSN", "Social Security"):
        body = {"channel_id": town, "message": "see below",
                "props": {"attachments": [{"fields": [{"title": title, "value": DIGITS}]}]}}
        _stopped(gw, _through(gw, "POST", "/api/v4/posts", json_body=body), "/api/v4/posts")
    # a pretext or the message itself labels a value in another field too
    body = {"channel_id": town, "message": "client SSN below",
            "props": {"attachments": [{"text": DIGITS}]}}
    _stopped(gw, _through(gw, "POST", "/api/v4/posts", json_body=body), "/api/v4/posts")


@pytest.mark.parametrize("field", ["purpose", "header"])
def test_the_channels_purpose_and_header_give_context(gw: Gateway, field: str) -> None:
    """The purpose and the header (shown at the top of the channel; atk25 F3) label a bare number."""
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    created = _through(gw, "POST", "/api/v4/channels", json_body={
        "team_id": team, "name": f"onboarding-{field}", "display_name": "Onboarding", "type": "O"})
    cid = created.json()["id"]
    assert _post(gw, cid, DIGITS).status_code == 201  # no context yet
    r = _through(gw, "PUT", f"/api/v4/channels/{cid}/patch", json_body={field: "post the client name and SSN here"})
    assert r.status_code == 200, r.text
    _stopped(gw, _post(gw, cid, DIGITS), "/api/v4/posts")


def test_a_header_set_by_the_slash_command_gives_context_at_once(gw: Gateway) -> None:
    """``/header`` through commands/execute changes the header as a patch does; the
    channel's cached context words go with it (atk25r R4: they stayed for the cache's
    lifetime, so a bare number right after it passed)."""
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    created = _through(gw, "POST", "/api/v4/channels", json_body={
        "team_id": team, "name": "onboarding-cmd", "display_name": "Onboarding", "type": "O"})
    cid = created.json()["id"]
    assert _post(gw, cid, DIGITS).status_code == 201  # no context yet, and the channel is cached
    r = _through(gw, "POST", "/api/v4/commands/execute", json_body={
        "channel_id": cid, "team_id": team, "command": "/header post the client name and SSN here"})
    assert r.status_code == 200, r.text
    _stopped(gw, _post(gw, cid, DIGITS), "/api/v4/posts")


def test_profile_position_gives_context_to_the_nickname(gw: Gateway) -> None:
    path = "/api/v4/users/me/patch"
    _stopped(gw, _through(gw, "PUT", path, json_body={"position": "SSN", "nickname": DIGITS}), path)


# --------------------------------------------------------------------------- 7: split identifiers


def test_split_across_a_draft_and_a_post(gw: Gateway) -> None:
    """A draft is shown to its writer alone (api4/drafts.go: a user reads their own
    drafts), so the half in it joins nothing while it is a draft; once sent, it is a
    post beside the other half and is stopped (docs/detection.md, split window)."""
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    cid = _through(gw, "POST", "/api/v4/channels", json_body={
        "team_id": team, "name": "desk-draft", "display_name": "Desk draft", "type": "O"}).json()["id"]
    first, rest = SSN[:6], SSN[6:]  # "536-22" / "-8710"
    r = _through(gw, "POST", "/api/v4/drafts", json_body={"channel_id": cid, "message": f"client {first}"})
    assert r.status_code not in (400, 403), r.text
    assert _post(gw, cid, rest).status_code == 201  # readers see "-8710" alone
    _stopped(gw, _post(gw, cid, f"client {first}"), "/api/v4/posts")  # the draft, sent


def test_split_across_a_channel_header_and_a_post(gw: Gateway) -> None:
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    cid = _through(gw, "POST", "/api/v4/channels", json_body={
        "team_id": team, "name": "desk-7", "display_name": "Desk 7", "type": "O"}).json()["id"]
    r = _through(gw, "PUT", f"/api/v4/channels/{cid}/patch", json_body={"header": f"ssn {SSN[:6]}"})
    assert r.status_code == 200, r.text
    _stopped(gw, _post(gw, cid, SSN[6:]), "/api/v4/posts")


def test_split_survives_filler(gw: Gateway) -> None:
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    cid = _through(gw, "POST", "/api/v4/channels", json_body={
        "team_id": team, "name": "desk-9", "display_name": "Desk 9", "type": "O"}).json()["id"]
    assert _post(gw, cid, f"ssn {SSN[:6]}").status_code == 201
    for i in range(12):
        assert _post(gw, cid, ["ok", "one sec", f"ok {i % 10}", "brb 5"][i % 4]).status_code == 201
    _stopped(gw, _post(gw, cid, SSN[6:]), "/api/v4/posts")


# --------------------------------------------------------------------------- 4: key names as context


def _fresh_channel(gw: Gateway, name: str) -> str:
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    r = _through(gw, "POST", "/api/v4/channels", json_body={
        "team_id": team, "name": name, "display_name": name.title(), "type": "O"})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_a_bare_number_under_a_plain_key_passes(gw: Gateway) -> None:
    cid = _fresh_channel(gw, "metrics-1")
    for props in ({"count": int(DIGITS)}, {"count": DIGITS}, {"x": [536, 22, 8710]}):
        r = _through(gw, "POST", "/api/v4/posts", json_body={"channel_id": cid, "message": "weekly totals",
                                                             "props": props})
        assert r.status_code == 201, (props, r.text)
        assert len(_reached(gw, "/api/v4/posts")) == 1


@pytest.mark.parametrize(("message", "props"), [
    ("see props", {"ssn": DIGITS}),
    ("see props", {"ssn": int(DIGITS)}),               # a JSON number
    ("ssn", {"x": [536, 22, 8710]}),                   # split across an array's elements
    ("see props", {"routing_number": "011000015", "account_number": "4839201746"}),
])
def test_a_props_key_is_context_for_its_value(gw: Gateway, message: str, props: dict[str, Any]) -> None:
    town = gw.sim.channel("town_square")
    body = {"channel_id": town, "message": message, "props": props}
    _stopped(gw, _through(gw, "POST", "/api/v4/posts", json_body=body), "/api/v4/posts")


def test_a_key_is_context_on_other_routes(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    path = "/api/v4/users/me/patch"
    _stopped(gw, _through(gw, "PUT", path, json_body={"props": {"ssn": DIGITS}}), path)
    path = "/api/v4/posts/schedule"
    body = {"channel_id": town, "message": "see props", "props": {"ssn": DIGITS}, "scheduled_at": 4102444800000}
    _stopped(gw, _through(gw, "POST", path, json_body=body), path)
    path = "/api/v4/actions/dialogs/submit"
    body = {"url": "/plugins/x/dialog", "callback_id": "cb", "state": "", "channel_id": town,
            "team_id": gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"],
            "submission": {"ssn": int(DIGITS)}, "cancelled": False}
    _stopped(gw, _through(gw, "POST", path, json_body=body), path)


def test_a_key_is_context_in_a_websocket_frame(gw: Gateway) -> None:
    from tests.test_gateway_websocket import WS

    before = len(httpx.get(gw.sim.url + "/__sim/ws_messages", timeout=10).json())
    conn = WS(gw.url, [(b"authorization", f"Bearer {gw.sim.token('alice')}".encode())])
    try:
        conn.wait(lambda e: e == "accepted")
        conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "hello")
        conn.send_text(json.dumps({"seq": 1, "action": "presence", "data": {"ssn": DIGITS}}))
        reply = conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 1)
        assert reply["status"] == "FAIL" and reply["error"]["id"] == "api.dlp.blocked.app_error"
        conn.send_text('{"seq":2,"action":"ping"}')  # the socket stays usable; the clean frame passes
        conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == 2)
    finally:
        conn.close()
    texts = [m.get("text") for m in httpx.get(gw.sim.url + "/__sim/ws_messages", timeout=10).json()[before:]]
    assert texts == ['{"seq":2,"action":"ping"}']


# --------------------------------------------------------------------------- lone surrogates


def test_a_lone_surrogate_escape_is_read_as_go_reads_it(gw: Gateway) -> None:
    """encoding/json turns ``\\ud800`` without its pair into U+FFFD (decode.go
    unquoteBytes); Python keeps the lone surrogate, which no archive can encode: the
    gateway answered 503, and with fail-open configured forwarded the SSN."""
    town, private = gw.sim.channel("town_square"), gw.sim.channel("private")
    raw = (f'{{"channel_id":"{town}","message":"client ssn {SSN} \\ud800"}}').encode()
    r = _through(gw, "POST", "/api/v4/posts", raw, headers={"Content-Type": "application/json"})
    _stopped(gw, r, "/api/v4/posts")
    # recorded in a private channel: the archive takes it (it could not encode it before)
    raw = (f'{{"channel_id":"{private}","message":"client ssn {SSN} \\udc00 \\ud83d\\ude00"}}').encode()
    r = _through(gw, "POST", "/api/v4/posts", raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    stored = httpx.get(f"{gw.sim.url}/api/v4/posts/{r.json()['id']}", headers=_auth(gw), timeout=30).json()
    assert stored["message"] == f"client ssn {SSN} \ufffd \U0001f600"
    # a key spelled with one: Go matches no field, and neither does the gateway
    raw = (f'{{"channel_id":"{town}","mess\\ud800age":"client ssn {SSN}","message":"hi"}}').encode()
    r = _through(gw, "POST", "/api/v4/posts", raw, headers={"Content-Type": "application/json"})
    _stopped(gw, r, "/api/v4/posts")  # every string is inspected, keys' values included


# --------------------------------------------------------------------------- the session cookie


def _cookie_post(gw: Gateway, cookies: list[str], channel: str, message: str) -> httpx.Response:
    gw.sim.clear()
    headers = [("Content-Type", "application/json"), ("X-Requested-With", "XMLHttpRequest")]
    headers += [("Cookie", c) for c in cookies]
    body = json.dumps({"channel_id": channel, "message": message}).encode()
    return httpx.post(gw.url + "/api/v4/posts", headers=headers, content=body, timeout=90)


def test_the_session_cookie_is_the_first_valid_one_as_go_reads_it(gw: Gateway) -> None:
    """net/http readCookies: the first MMAUTHTOKEN wins, a pair with an invalid value
    is skipped (not the whole line), and every Cookie line is read.  The gateway took
    the last (SimpleCookie), so it judged as one user what Mattermost did as another."""
    town, bob = gw.sim.channel("town_square"), gw.sim.token("bob")
    ok = [f"MMAUTHTOKEN={bob}; MMAUTHTOKEN=not-a-token",      # first wins: bob
          f'x="bad\\value; MMAUTHTOKEN="{bob}"',              # a bad pair skipped, quotes dropped
          ["theme=dark", f"MMAUTHTOKEN={bob}"]]               # two lines
    for cookies in ok:
        r = _cookie_post(gw, cookies if isinstance(cookies, list) else [cookies], town, "lunch at noon?")
        assert r.status_code == 201, (cookies, r.text)
        (post,) = [p for p in _reached(gw, "/api/v4/posts")]
        assert json.loads(base64.b64decode(post["body_b64"]))["message"] == "lunch at noon?"
    # the first is not a session: Mattermost would answer 401, the gateway its own non-401
    r = _cookie_post(gw, [f"MMAUTHTOKEN=not-a-token; MMAUTHTOKEN={bob}"], town, "lunch at noon?")
    assert r.status_code != 401 and r.status_code >= 400 and _reached(gw, "/api/v4/posts") == []


def test_two_authorization_headers_are_refused(gw: Gateway) -> None:
    gw.sim.clear()
    headers = [("Authorization", f"Bearer {gw.sim.token('alice')}"), ("Authorization", f"Bearer {gw.sim.token('bob')}"),
               ("Content-Type", "application/json")]
    body = json.dumps({"channel_id": gw.sim.channel("town_square"), "message": "hi"}).encode()
    r = httpx.post(gw.url + "/api/v4/posts", headers=headers, content=body, timeout=90)
    assert r.status_code == 400 and r.json()["id"] == "api.dlp.bad_request.app_error"
    assert _reached(gw, "/api/v4/posts") == []


def test_a_cookie_name_is_trimmed_as_go_trims_it(gw: Gateway) -> None:
    """net/http readCookies trims the name before "=" (``textproto.TrimString``): with
    ``MMAUTHTOKEN =<bob>`` and alice's bearer token Mattermost acts as bob, so the gateway
    must judge bob (attack of 2026-12-07 night, F3: it judged and archived alice)."""
    town, bob, alice = gw.sim.channel("town_square"), gw.sim.token("bob"), gw.sim.token("alice")
    bob_id, alice_id = gw.sim.ids["users"]["bob"], gw.sim.ids["users"]["alice"]
    for name in ("MMAUTHTOKEN ", "MMAUTHTOKEN\t", " MMAUTHTOKEN "):
        gw.sim.clear()
        headers = [("Content-Type", "application/json"), ("X-Requested-With", "XMLHttpRequest"),
                   ("Authorization", f"Bearer {alice}"), ("Cookie", f"theme=dark; {name}={bob}")]
        marker = f"lunch at noon? {name!r}"
        r = httpx.post(gw.url + "/api/v4/posts", headers=headers, timeout=90,
                       content=json.dumps({"channel_id": town, "message": marker}).encode())
        assert r.status_code == 201, (name, r.text)
        (post,) = [p for p in gw.sim.posts() if p["message"] == marker]
        assert post["user_id"] == bob_id != alice_id
    records = [rec for rec in archive_records(gw.data_dir) if rec.get("route") == "posts.create"]
    assert len(records) >= 3 and {rec["context"]["user_id"] for rec in records[-3:]} == {bob_id}


def _csrf_post(gw: Gateway, headers: list[tuple[str, str]], query: str = "", message: str = "") -> httpx.Response:
    gw.sim.clear()
    body = json.dumps({"channel_id": gw.sim.channel("town_square"), "message": message or f"client ssn {SSN}"})
    return httpx.post(gw.url + "/api/v4/posts" + query, headers=[("Content-Type", "application/json"), *headers],
                      content=body.encode(), timeout=90)


def test_a_session_mattermost_refuses_before_its_handler_is_refused_unread(gw: Gateway) -> None:
    """web/handlers.go ServeHTTP refuses a live session before the handler reads the body
    when the token is the session cookie of a write with neither ``X-CSRF-Token`` nor
    ``X-Requested-With: XMLHttpRequest`` (checkCSRFToken), or the token is in the query
    string of a session that is not OAuth (``api.context.token_provided.app_error``).
    The gateway judged, held and later delivered such requests (attack of 2026-12-07
    night, F1 and F2): they are now answered as without a session, 403, nothing judged,
    held or archived, and nothing reaches Mattermost."""
    bob = gw.sim.token("bob")
    before = len(archive_records(gw.data_dir))
    refused = [
        [("Cookie", f"MMAUTHTOKEN={bob}")],                                        # a forged cross-site form
        [("Cookie", f"MMAUTHTOKEN={bob}"), ("X-Requested-With", "xmlhttprequest")],  # Go compares exactly
        [("Cookie", f"MMAUTHTOKEN={bob}; MMCSRF=right"), ("X-CSRF-Token", "wrong")],
        [("Cookie", f"MMAUTHTOKEN={bob}"), ("X-Requested-With", "fetch"), ("X-Requested-With", "XMLHttpRequest")],
    ]
    for headers in refused:
        r = _csrf_post(gw, headers)
        assert r.status_code == 403 and r.json()["id"] == "api.dlp.unauthenticated.app_error", (headers, r.text)
        assert _reached(gw, "/api/v4/posts") == []
    r = _csrf_post(gw, [], query=f"?access_token={bob}")
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.unauthenticated.app_error", r.text
    assert _reached(gw, "/api/v4/posts") == []
    assert len(archive_records(gw.data_dir)) == before  # nothing judged: no decision to record
    # what Mattermost may accept is judged as before (a CSRF token the gateway cannot
    # check against the session's is Mattermost's to refuse)
    for headers in ([("Cookie", f"MMAUTHTOKEN={bob}"), ("X-Requested-With", "XMLHttpRequest")],
                    [("Cookie", f"MMAUTHTOKEN={bob}; MMCSRF=its-own"), ("X-CSRF-Token", "its-own")],
                    [("Cookie", f"MMAUTHTOKEN={bob}"), ("X-CSRF-Token", "the session's, unknown to the gateway")],
                    [("Authorization", f"Bearer {bob}")]):
        _stopped(gw, _csrf_post(gw, headers), "/api/v4/posts")
    for headers in ([("Cookie", f"MMAUTHTOKEN={bob}"), ("X-Requested-With", "XMLHttpRequest")],
                    [("Authorization", f"Bearer {bob}")]):
        r = _csrf_post(gw, headers, message="lunch at noon?")
        assert r.status_code == 201 and len(_reached(gw, "/api/v4/posts")) == 1, (headers, r.text)


def test_credentials_mattermost_reads_as_another_user_are_refused(gw: Gateway) -> None:
    """A plugin's request is served under the token app/plugin_requests.go
    ``servePluginRequest`` reads: ``Authorization: Bearer <t>`` (with its blank) before the
    session cookie, then ``?access_token=`` for any session; the core API reads the cookie
    first and takes ``h[7:]`` after any six letters "bearer".  A Cookie line of more pairs
    than Go 1.24.8+ reads at all is read by the cookie only by older Go.  Where the
    readings name different users the request is refused 400, nothing judged or sent
    (re-attack of 2026-12-07 night, 1a and 1b: judged as alice, acted as bob)."""
    alice, bob = gw.sim.token("alice"), gw.sim.token("bob")
    run = {"name": "incident", "description": "lunch at noon?", "owner_user_id": gw.sim.ids["users"]["alice"],
           "team_id": gw.sim.ids["team"]}
    refused = [
        ("/plugins/playbooks/api/v0/runs", [("Cookie", f"MMAUTHTOKEN={alice}"), ("X-Requested-With", "XMLHttpRequest"),
                                            ("Authorization", f"Bearer {bob}")]),
        (f"/plugins/playbooks/api/v0/runs?access_token={bob}", [("Authorization", f"BearerX{alice}")]),
        ("/api/v4/posts", [("Cookie", f"MMAUTHTOKEN={alice}" + ";" * 1000), ("X-Requested-With", "XMLHttpRequest"),
                           ("Authorization", f"Bearer {bob}")]),
    ]
    for path, headers in refused:
        gw.sim.clear()
        body = run if path.startswith("/plugins/") else {"channel_id": gw.sim.channel("town_square"), "message": "hi"}
        r = httpx.post(gw.url + path, headers=[("Content-Type", "application/json"), *headers],
                       content=json.dumps(body).encode(), timeout=90)
        assert r.status_code == 400 and r.json()["id"] == "api.dlp.bad_request.app_error", (path, r.text)
        assert _reached(gw, path) == [], path
    # one credential, read alike: judged (a plugin takes a query token for any session)
    for path, headers in [("/plugins/playbooks/api/v0/runs", [("Authorization", f"Bearer {alice}")]),
                          (f"/plugins/playbooks/api/v0/runs?access_token={alice}", [])]:
        gw.sim.clear()
        r = httpx.post(gw.url + path, headers=[("Content-Type", "application/json"), *headers],
                       content=json.dumps({**run, "description": f"client ssn {SSN}"}).encode(), timeout=90)
        _stopped(gw, r, path)


# --------------------------------------------------------------------------- F7: unlabelled compressed bodies


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


_COMPRESSIONS: dict[str, Any] = {
    "zlib": zlib.compress,
    "zlib-level1": lambda d: zlib.compress(d, 1),
    "deflate": _raw_deflate,
    "lzma-alone": lambda d: lzma.compress(d, format=lzma.FORMAT_ALONE),
    "zstd": lambda d: __import__("zstandard").ZstdCompressor().compress(d),
    "zlib-of-zlib": lambda d: zlib.compress(zlib.compress(d)),
    "deflate-of-lzma": lambda d: _raw_deflate(lzma.compress(d, format=lzma.FORMAT_ALONE)),
    "zlib-truncated": lambda d: zlib.compress(d)[:-6],  # io.ReadAll keeps what decoded
    "deflate-of-gzip": lambda d: _raw_deflate(gzip.compress(d)),
}


@pytest.mark.parametrize("path", ["/plugins/com.example.notes/api/v1/import", "/api/v4/widgets/import"])
@pytest.mark.parametrize("kind", sorted(_COMPRESSIONS))
def test_an_unlabelled_compressed_body_is_read_decompressed(gw: Gateway, kind: str, path: str) -> None:
    """A plugin (or a handler the gateway does not know) may decompress its body itself
    (Go's compress/zlib, compress/flate, ulikunitz/xz/lzma, klauspost/compress/zstd):
    sent without Content-Encoding, the body is still read decompressed (attack F7)."""
    body = _COMPRESSIONS[kind](json.dumps({"note": f"client ssn {SSN}"}).encode() * 3)
    r = _through(gw, "POST", path, body, headers={"Content-Type": "application/octet-stream"})
    _stopped(gw, r, path)
    assert DIGITS not in r.text


@pytest.mark.parametrize("kind", ["zlib", "deflate", "lzma-alone", "zstd"])
def test_a_clean_compressed_body_passes_byte_for_byte(gw: Gateway, kind: str) -> None:
    path = "/plugins/com.example.notes/api/v1/import"
    body = _COMPRESSIONS[kind](b"lunch at noon, the usual place\n" * 20)
    r = _through(gw, "POST", path, body, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code not in (400, 403, 413, 415), r.text
    (got,) = _reached(gw, path)
    assert base64.b64decode(got["body_b64"]) == body


@pytest.mark.parametrize(("body", "status"), [
    (zlib.compress(b"\0" * (80 << 20), 9), 413),  # 80 MiB of zeros: over the decoded-body limit
    (b"\x04\x22\x4d\x18" + b"\x40\x40\xc0" + b"x" * 40, 415),  # LZ4 frame: no decoder here
    (b"\xff\x06\x00\x00sNaPpY" + b"x" * 40, 415),  # snappy framing
])
def test_an_unreadable_compressed_body_is_refused_not_read_weaker(gw: Gateway, body: bytes, status: int) -> None:
    path = "/plugins/com.example.notes/api/v1/import"
    r = _through(gw, "POST", path, body, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == status, r.text
    assert r.json()["id"].startswith("api.dlp."), r.text
    assert _reached(gw, path) == []


def _raw_deflate_sync(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


_NOT_WHOLE: dict[str, Any] = {
    "trailing-newline": lambda d: _raw_deflate(d) + b"\n",
    "trailing-nul": lambda d: _raw_deflate(d) + b"\0",
    "junk": lambda d: _raw_deflate(d) + b"\x00\x01junk",
    "truncated": lambda d: _raw_deflate(d)[:-3],
    "sync-flush": _raw_deflate_sync,
}


@pytest.mark.parametrize("path", ["/plugins/com.example.x/api/v1/note", "/api/v4/widgets/import"])
@pytest.mark.parametrize("kind", sorted(_NOT_WHOLE))
def test_raw_deflate_not_exactly_one_stream_is_read_too(gw: Gateway, kind: str, path: str) -> None:
    """``io.ReadAll(flate.NewReader(r.Body))`` returns the text of a raw deflate stream
    followed by bytes (compress/flate stops at the final block), of one cut short or
    ended by a sync flush (what decoded, with ErrUnexpectedEOF): the gateway reads it too."""
    body = _NOT_WHOLE[kind](json.dumps({"text": f"client SSN {SSN} please update the account"}).encode())
    r = _through(gw, "POST", path, body, headers={"Content-Type": "application/octet-stream"})
    _stopped(gw, r, path)
    assert DIGITS not in r.text


def test_a_binary_body_that_inflates_a_few_bytes_passes_byte_for_byte(gw: Gateway) -> None:
    """A trial inflate is an additional reading: a clean binary body still passes."""
    path = "/plugins/com.example.notes/api/v1/import"
    body = random.Random(125).randbytes(512)  # inflates 5 bytes before it errors
    assert unlabelled_streams(body)
    r = _through(gw, "POST", path, body, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code not in (400, 403, 413, 415), r.text
    (got,) = _reached(gw, path)
    assert base64.b64decode(got["body_b64"]) == body
