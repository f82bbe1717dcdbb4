"""Strict link previews for slash command responses (``/hooks/commands/{id}``).

web/webhook.go commandWebhook reads the body with model.CommandResponseFromHTTPBody:
JSON only for ``application/json`` (older), ``json.Unmarshal`` first whatever the label
(a middle version), JSON first then plain text unless the label is JSON (newest);
app/command.go HandleCommandResponsePost makes a post per response and per extra
response, each with that response's props.  The gateway rewrites the one reading all
versions share and refuses (400) a body read differently by different versions.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import pytest

from dlp_proxy.gateway import links
from dlp_proxy.gateway.extract import extract
from dlp_proxy.gateway.routes import match
from tests.conftest import Gateway, Simulator
from tests.test_strict_links import HOSTS, Pages, env  # noqa: F401  (the module's gateway)

ROUTE = match("POST", "/hooks/commands/abcdefghijklmnopqrstuvwxyz").route
LINK = "see https://evil.example/"


def _readings(body: str, ctype: str) -> list[tuple[str, Any]]:
    assert ROUTE is not None
    return extract(ROUTE, body.encode(), ctype, []).webhook_readings


def test_the_readings_follow_each_version() -> None:
    doc = json.dumps({"text": LINK})
    assert [k for k, _ in _readings(doc, "application/json")] == ["json"]
    assert [k for k, _ in _readings(doc, "application/json; charset=utf-8")] == ["json"]
    # the older versions read any other label as plain text, the newer ones try JSON first
    assert [k for k, _ in _readings(doc, "text/plain")] == ["json", "text"]
    assert [k for k, _ in _readings(doc, "")] == ["json", "text"]
    assert _readings(LINK, "text/plain") == [("text", LINK)]
    # a JSON value json.Unmarshal cannot put in a CommandResponse is read as text where
    # a version falls back to it (and refused where it does not)
    for body in ('{"text": 5, "props": {}}', '["x"]', '"x"', '{"attachments": [{"title": 1}]}',
                 '{"extra_responses": [{"text": []}]}', '{"props": "x"}'):
        assert _readings(body, "application/json") == [("text", body)], body
    # json.Decoder (the oldest) reads the first value, json.Unmarshal refuses what follows
    assert [k for k, _ in _readings('{"text": "a"} trailing', "application/json")] == ["json", "text"]


def test_only_one_reading_is_rewritten() -> None:
    assert links.command_response([("json", {"text": "no link"})], "allowlist", HOSTS) is None
    assert links.command_response([("text", LINK)], "allowlist", HOSTS) == {"text": LINK}
    assert links.command_response([("json", {"text": LINK})], "allow", HOSTS) is None
    doc = {"text": LINK, "props": {"keep": "me"},
           "extra_responses": [{"text": "two"}, None, {"text": "three", "props": {"k": "v"}}]}
    assert links.command_response([("json", doc)], "allowlist", HOSTS) is doc
    assert doc["extra_responses"][0]["props"] == {"unsafe_links": "true"}
    assert doc["extra_responses"][2]["props"] == {"k": "v", "unsafe_links": "true"}
    for readings in ([("json", {"text": LINK}), ("text", json.dumps({"text": LINK}))],
                     [("json", {"text": LINK, "props": "x"})],
                     [("json", {"text": LINK, "extra_responses": [{"props": 1}]})]):
        with pytest.raises(links.Unrewritable):
            links.command_response(readings, "allowlist", HOSTS)


def _posts(sim: Simulator, mark: str) -> list[dict[str, Any]]:
    return [p for p in sim.posts() if mark in p.get("message", "")]


def test_a_command_response_with_a_link_loses_its_preview(env: tuple[Gateway, Simulator, Pages, int]) -> None:  # noqa: F811
    gw, sim, pages, port = env
    pages.og["cmd"] = {"title": "leaky"}
    hook = f"/hooks/commands/{sim.ids['command_hook']}"
    marks = [os.urandom(4).hex() for _ in range(5)]
    url = f"http://127.0.0.1:{port}/p/cmd"
    with httpx.Client(base_url=gw.url, timeout=30) as c:
        # JSON labelled JSON: one reading; the extra response is a post of its own
        r = c.post(hook, json={"response_type": "in_channel", "text": f"{marks[0]} {url}", "props": {"keep": "me"},
                               "extra_responses": [{"response_type": "in_channel", "text": f"{marks[1]} {url}"}]})
        assert r.status_code == 200, r.text
        # plain text: one reading, forwarded as {"text": ...}
        r = c.post(hook, content=f"{marks[2]} {url}", headers={"Content-Type": "text/plain"})
        assert r.status_code == 200, r.text
        # JSON labelled text: JSON for some versions, the whole body as text for others
        r = c.post(hook, content=json.dumps({"response_type": "in_channel", "text": f"{marks[3]} {url}"}),
                   headers={"Content-Type": "text/plain"})
        assert r.status_code == 400, r.text
        assert "application/json" in r.json()["message"]
        # the same without a link goes as it came
        r = c.post(hook, content=json.dumps({"response_type": "in_channel", "text": f"{marks[4]} no link"}),
                   headers={"Content-Type": "text/plain"})
        assert r.status_code == 200, r.text
    (first,), (second,), (third,) = (_posts(sim, m) for m in marks[:3])
    assert first["props"]["unsafe_links"] == "true" and first["props"]["keep"] == "me"
    assert second["props"]["unsafe_links"] == "true"
    assert third["props"]["unsafe_links"] == "true" and third["message"] == f"{marks[2]} {url}"
    assert _posts(sim, marks[3]) == []
    assert [p["message"] for p in _posts(sim, marks[4])] != []
    assert "cmd" not in pages.fetches
