"""atk27 A, C, D: identifiers spelled in number words where only digits were looked for.

A. A JSON key (Mattermost stores a post's, a user's, a draft's props keys verbatim and
   shows them), a websocket frame's data key, a plugin read's query name: scanned when
   the detector's own gate says its reading may hold digits
   (``normalize.may_read_as_digits``), not only when it holds a digit.
C. At rest the same predicate decides: such a key in an item's path, a query name, a
   websocket action is hashed, never kept in clear.
D. Number words split one per value of a websocket frame or one per plugin query
   parameter are read on one line, as a post's props list is.

Through the real gateway (its own data dir, the shared simulator); unit checks of the
predicates first.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from dlp_proxy import atrest
from dlp_proxy.gateway.extract import key_may_hold_number
from dlp_proxy.gateway.websocket import action_label
from dlp_proxy.policy.testing import CARD, SSN
from tests.conftest import Gateway, archive_records, start_gateway, stop
from tests.test_gateway_websocket import WS

_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: the synthetic SSN in number words, as a sender would type it
WORDS = " ".join(_DIGIT_NAMES[int(c)] for c in SSN if c.isdigit())
SPELLED = "ssn " + WORDS
CARD_SPELLED = "card " + " ".join(_DIGIT_NAMES[int(c)] for c in CARD if c.isdigit())
#: what must never be found at rest: any three words of the run, however joined
_AT_REST = [sep.join(WORDS.split()[:3]) for sep in (" ", "_", "-", "%20", "+")]


# ------------------------------------------------------------------ the predicates
@pytest.mark.parametrize("key", ["message", "attachments", "from_webhook", "override_username", "channel_id",
                                 "props", "file_ids", "pending_post_id", "metadata", "disable_group_highlight"])
def test_ordinary_keys_are_not_scanned(key: str) -> None:
    assert not key_may_hold_number(key)


@pytest.mark.parametrize("key", [SPELLED, SPELLED.replace(" ", "_"), CARD_SPELLED, "k0", "ssn \uff15\uff13\uff16"])
def test_keys_that_may_hold_a_number_are_scanned(key: str) -> None:
    assert key_may_hold_number(key)


def test_spelled_keys_and_actions_are_hashed_at_rest() -> None:
    key = b"k" * 32
    for path in (f"body.props.{SPELLED}", f"form.payload.props.{SPELLED}", f"query.{SPELLED.replace(' ', '_')}",
                 f"body.data.{SPELLED}{{key}}"):
        kept = atrest.safe_field_path(key, path)
        assert not any(w in kept for w in ("five", "three", "six")), kept
        assert kept.startswith(path.split(".")[0]), kept  # the item's source stays readable
    # ordinary paths and file locations keep their shape
    for path in ("body.props.attachments[0].fields[1].value", "file[0]:sheet=Q1!B2", "body.message", "query.per_page"):
        assert atrest.safe_field_path(key, path) == path
    assert action_label("custom_ssn_" + WORDS.replace(" ", "_")) == "~other"
    assert action_label("custom_com.mattermost.calls_join") == "custom_com.mattermost.calls_join"


# ------------------------------------------------------------------ through the gateway
@pytest.fixture(scope="module")
def kgw(simulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("spelled_keys"))
    yield gw
    stop(gw.proc)


def _reached(gw: Gateway, path: str) -> bool:
    """A request to ``path`` reached Mattermost (the gateway's notice to the sender aside)."""
    return any(r["path"].split("?")[0] == path and b"from_dlp_proxy" not in base64.b64decode(r["body_b64"])
               for r in gw.sim.requests())


def _send(gw: Gateway, method: str, path: str, *, query: str = "", **kw: Any) -> tuple[int, bool]:
    gw.sim.clear()
    headers = {"Authorization": f"Bearer {gw.sim.token('alice')}"} if not path.startswith("/hooks/") else {}
    r = httpx.request(method, gw.url + path + (f"?{query}" if query else ""), headers=headers, timeout=60, **kw)
    return r.status_code, _reached(gw, path)


def _carriers(gw: Gateway, props: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    town = gw.sim.channel("town_square")
    hook = f"/hooks/{gw.sim.ids['incoming_hook']}"
    post = {"channel_id": town, "message": "x", "props": props}
    return [
        ("posts.create", "POST", "/api/v4/posts", {"json": post}),
        ("users.patch", "PUT", f"/api/v4/users/{gw.sim.ids['users']['alice']}/patch", {"json": {"props": props}}),
        ("drafts", "POST", "/api/v4/drafts", {"json": post}),
        ("posts.schedule", "POST", "/api/v4/posts/schedule", {"json": {**post, "scheduled_at": 4102444800000}}),
        ("hook.json", "POST", hook, {"json": {"text": "x", "props": props}}),
        ("hook.form", "POST", hook, {"data": {"payload": json.dumps({"text": "x", "props": props})}}),
    ]


def test_a_json_key_in_number_words_is_stopped_on_every_carrier(kgw: Gateway) -> None:
    gw = kgw
    for props in ({SPELLED: "x"}, {CARD_SPELLED: 1}, {"outer": {SPELLED.replace(" ", "_"): True}}):
        for name, method, path, kw in _carriers(gw, props):
            status, reached = _send(gw, method, path, **kw)
            assert status == 403 and not reached, (name, props, status)
    # the same carriers with ordinary keys (one a number word on its own) still pass
    for name, method, path, kw in _carriers(gw, {"priority": "urgent", "due": "friday", "from_webhook": "true"}):
        status, reached = _send(gw, method, path, **kw)
        assert status < 300 and reached, (name, status)


def _frame(gw: Gateway, doc: dict[str, Any]) -> dict[str, Any]:
    """Sends one frame on a fresh signed-in socket; its reply, and whether Mattermost got it."""
    before = len(httpx.get(gw.sim.url + "/__sim/ws_messages", timeout=10).json())
    conn = WS(gw.url, [(b"authorization", f"Bearer {gw.sim.token('alice')}".encode())])
    try:
        conn.wait(lambda e: e == "accepted")
        conn.wait(lambda e: isinstance(e, dict) and e.get("event") == "hello")
        conn.send_text(json.dumps(doc))
        reply: dict[str, Any] = conn.wait(lambda e: isinstance(e, dict) and e.get("seq_reply") == doc["seq"])
    finally:
        conn.close()
    after = httpx.get(gw.sim.url + "/__sim/ws_messages", timeout=10).json()
    return {"status": reply.get("status"), "reached": len(after) > before}


def _dropped(gw: Gateway, cases: list[dict[str, Any]]) -> None:
    town = gw.sim.channel("town_square")
    for seq, data in enumerate(cases, start=1):
        got = _frame(gw, {"seq": seq, "action": "custom_com.mattermost.calls_join", "data": {"channelID": town, **data}})
        assert got == {"status": "FAIL", "reached": False}, (data, got)


def test_websocket_frame_data_keys_in_number_words_are_dropped(kgw: Gateway) -> None:
    """A: a key of a frame's data (``data`` reaches the plugin and any listener)."""
    _dropped(kgw, [{SPELLED: True}, {"nested": {"x": {SPELLED.replace(" ", "-"): 1}}}])


def test_websocket_frames_with_number_words_one_per_value_are_dropped(kgw: Gateway) -> None:
    """D: one word per value, or a list of words, read on one line."""
    _dropped(kgw, [{f"k{i}": w for i, w in enumerate(SPELLED.split())},
                   {"l": SPELLED.split()},
                   {"a": {f"k{i:02d}": w for i, w in enumerate(CARD_SPELLED.split())}}])
    # a clean frame with a few number words passes
    got = _frame(kgw, {"seq": 30, "action": "custom_com.mattermost.calls_join",
                       "data": {"channelID": kgw.sim.channel("town_square"), "title": "one on one", "n": "two",
                                "m": "three"}})
    assert got == {"status": "OK", "reached": True}, got


_PLUGIN_SEARCH = "/plugins/focalboard/api/v2/search"


def test_a_plugin_query_name_in_number_words_is_read(kgw: Gateway) -> None:
    """A: a query parameter's name (the plugin's ServeHTTP reads the whole URL)."""
    for name in (SPELLED.replace(" ", "_"), CARD_SPELLED.replace(" ", "-")):
        status, reached = _send(kgw, "GET", _PLUGIN_SEARCH, query=quote(name) + "=1")
        assert status == 403 and not reached, (name, status)


def test_plugin_query_words_one_per_parameter_are_read(kgw: Gateway) -> None:
    """D: one word per value or per name, the other side between them."""
    words = SPELLED.split()
    for query in (
        "&".join(f"k{i}={w}" for i, w in enumerate(words)),
        "&".join(f"{chr(97 + i)}={w}" for i, w in enumerate(words)),
        "&".join(f"{w}=1" for w in words),
    ):
        status, reached = _send(kgw, "GET", _PLUGIN_SEARCH, query=query)
        assert status == 403 and not reached, (query, status)
    status, reached = _send(kgw, "GET", _PLUGIN_SEARCH, query="page=0&per_page=60&sort=due&q=one+on+one")
    assert reached, status


def test_spelled_keys_are_not_kept_in_clear_at_rest(kgw: Gateway) -> None:
    gw = kgw
    # make sure each kind of record exists (the other tests may run alone)
    _send(gw, "POST", "/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"), "message": "x",
                                             "props": {SPELLED: "x"}})
    _send(gw, "GET", "/plugins/focalboard/api/v2/search", query=quote(SPELLED.replace(" ", "_")) + "=1")
    _frame(gw, {"seq": 1, "action": "custom_" + SPELLED.replace(" ", "_"), "data": {"n": 1}})
    records = archive_records(gw.data_dir)
    assert records
    clear = json.dumps([{k: v for k, v in r.items() if k != "content"} for r in records])
    for words in _AT_REST:
        assert words not in clear, words
    raw = b"".join(p.read_bytes() for p in (gw.data_dir / "archive").rglob("*") if p.is_file())
    for words in _AT_REST:
        assert words.encode() not in raw, words
    routes = {r.get("route") for r in records}
    assert "websocket.~other" in routes and not any("ssn_" in str(r) for r in routes)
