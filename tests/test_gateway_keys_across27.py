"""atk27r K, Q, C2, F through the real gateway.

K. An identifier split over a JSON document's keys (digit groups as nested keys, one key
   per array element), over keys and values, or one word per array element of a post's
   props: the document's keys and short values are also read in order on one line
   (``pipeline.keys_across``), on the routes whose JSON Mattermost stores and shows.
Q. A plugin query's bracketed names (``?ssn[five]=three&...``) read as words.
C2. The archive's field paths: the digit groups of nested-digit keys are not kept in clear.
F. An upload whose file name ends in a copy suffix other than "(1)" (``engine.copy_suffix_blanked``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dlp_proxy.policy.testing import ACCOUNT, CARD, SSN
from tests.conftest import Gateway, archive_records, start_gateway, stop
from tests.test_gateway_spelled_keys import WORDS, _frame, _reached, _send

_GROUPS = SSN.split("-")
_CARD_GROUPS = CARD.split()


@pytest.fixture(scope="module")
def agw(simulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("keys_across27"))
    yield gw
    stop(gw.proc)


def _nested(groups: list[str], leaf: Any) -> Any:
    doc: Any = leaf
    for g in reversed(groups):
        doc = {g: doc}
    return doc


def _split_props() -> list[dict[str, Any]]:
    words = WORDS.split()
    return [
        {"ssn": _nested(_GROUPS, 1)},                                            # digit groups as nested keys
        {"card": _nested(_CARD_GROUPS, "x")},
        {"acct": _nested([ACCOUNT[:4], ACCOUNT[4:8], ACCOUNT[8:]], 1)},
        {f"ssn {words[0]}": f"{words[1]} {words[2]}", f"{words[3]} {words[4]}": f"{words[5]} {words[6]}",
         words[7]: f"{words[8]}"},                                               # words over keys and values
        {"k": [{w: 1} for w in ["ssn", *words]]},                                # one key per array element
        {"k": ["ssn", *words]},                                                  # one word per array element
    ]


def _routes(gw: Gateway, props: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    town = gw.sim.channel("town_square")
    post = {"channel_id": town, "message": "see props", "props": props}
    hook = f"/hooks/{gw.sim.ids['incoming_hook']}"
    return [
        ("posts.create", "POST", "/api/v4/posts", {"json": post}),
        ("drafts", "POST", "/api/v4/drafts", {"json": post}),
        ("posts.schedule", "POST", "/api/v4/posts/schedule", {"json": {**post, "scheduled_at": 4102444800000}}),
        ("users.patch", "PUT", f"/api/v4/users/{gw.sim.ids['users']['alice']}/patch", {"json": {"props": props}}),
        ("hook.json", "POST", hook, {"json": {"text": "x", "props": props}}),
        ("hook.form", "POST", hook, {"data": {"payload": json.dumps({"text": "x", "props": props})}}),
    ]


def test_an_identifier_split_over_keys_is_stopped(agw: Gateway) -> None:
    for props in _split_props():
        for name, method, path, kw in _routes(agw, props):
            status, reached = _send(agw, method, path, **kw)
            assert status == 403 and not reached, (name, props, status)


def test_an_identifier_split_over_websocket_frame_keys_is_dropped(agw: Gateway) -> None:
    town = agw.sim.channel("town_square")
    for seq, data in enumerate(_split_props()[:5], start=1):
        got = _frame(agw, {"seq": seq, "action": "custom_com.mattermost.calls_join", "data": {"channelID": town, **data}})
        assert got == {"status": "FAIL", "reached": False}, (data, got)
    got = _frame(agw, {"seq": 40, "action": "custom_com.mattermost.calls_join",
                       "data": {"channelID": town, "v": {"2": {"sessions": 3}}, "one": "on one", "n": 12}})
    assert got == {"status": "OK", "reached": True}, got


@pytest.mark.parametrize("props", [
    {"priority": "urgent", "due": "friday", "counts": {"2026": {"11": 3}}, "one": "on one"},
    {"attachments": [{"fields": [{"title": "Qty", "value": "100", "short": True},
                                 {"title": "Price", "value": "45.20", "short": True},
                                 {"title": "Order", "value": "12345", "short": True}]}]},
    {"poll": {"options": ["one", "two", "three"], "votes": [3, 5, 2]}},
])
def test_clean_documents_with_numbers_in_keys_and_values_pass(agw: Gateway, props: dict[str, Any]) -> None:
    for name, method, path, kw in _routes(agw, props):
        status, reached = _send(agw, method, path, **kw)
        assert status < 300 and reached, (name, props, status)


_PLUGIN_SEARCH = "/plugins/focalboard/api/v2/search"


def test_a_plugin_query_with_bracketed_names_is_read_as_words(agw: Gateway) -> None:
    w = ["ssn", *WORDS.split()]
    query = f"{w[0]}[{w[1]}]={w[2]}&{w[3]}[{w[4]}]={w[5]}&{w[6]}[{w[7]}]={w[8]}&{w[9]}=1"
    status, reached = _send(agw, "GET", _PLUGIN_SEARCH, query=query)
    assert status == 403 and not reached, status
    status, reached = _send(agw, "GET", _PLUGIN_SEARCH, query="filter[status]=open&filter[due]=one+week&page[size]=20")
    assert reached, status


def test_nested_digit_keys_are_not_kept_in_clear_at_rest(agw: Gateway) -> None:
    _send(agw, "POST", "/api/v4/posts", json={"channel_id": agw.sim.channel("town_square"), "message": "x",
                                              "props": {"ssn": _nested(_GROUPS, 1)}})
    _frame(agw, {"seq": 1, "action": "custom_com.mattermost.calls_join", "data": {"card": _nested(_CARD_GROUPS, 1)}})
    records = archive_records(agw.data_dir)
    fields = json.dumps([r.get("fields") for r in records])
    assert "ssn" in fields or "card" in fields  # the records are there
    for shown in (f".{_GROUPS[0]}.", f".{_GROUPS[0]}{{key}}", f".{_CARD_GROUPS[0]}{{key}}", f".{_CARD_GROUPS[0]}."):
        assert shown not in fields, shown


@pytest.mark.parametrize("suffix", [" (1) (1)", "(1)(2)", " 2", " (3rd copy)", "[1]", "~1", "-100", " (1000)", "_1"])
def test_an_upload_named_with_a_copy_suffix_is_stopped(agw: Gateway, suffix: str) -> None:
    name = f"scan_{SSN.replace('-', '_')}{suffix}.pdf"
    agw.sim.clear()
    r = httpx.post(agw.url + "/api/v4/files", headers={"Authorization": f"Bearer {agw.sim.token('alice')}"},
                   data={"channel_id": agw.sim.channel("town_square")},
                   files={"files": (name, b"hello world\n", "application/octet-stream")}, timeout=60)
    assert r.status_code == 403 and not _reached(agw, "/api/v4/files"), (name, r.status_code)
