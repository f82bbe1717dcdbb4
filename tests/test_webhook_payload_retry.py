"""atk17p F4: an incoming webhook payload is read by the port of Mattermost's decode
with its retry (server/public/model/incoming_webhook.go ``IncomingWebhookRequestFromJSON``:
json.Decoder.Decode, and on an error the same decode of
``escapeControlCharsFromPayload(by)``), on every branch (form ``payload=`` in the body
and the query string, the JSON body, multipart ``payload``); a payload it cannot
decode is refused 400, never skipped.  A ``text`` holding a backslash before a raw line
feed (or tab) is invalid JSON, valid after the rewrite: Mattermost posts it, and the
simulator (same port) does too."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlp_proxy.gateway.extract import (
    BodyError,
    escape_control_chars_from_payload,
    extract,
    go_incoming_webhook_decode,
)
from dlp_proxy.gateway.routes import match
from dlp_proxy.simulator import app as sim_app
from tests.conftest import Gateway

SSN = "536-22-1234"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}


def _doc(text: str) -> str:
    return '{"text": "' + text + '"}'


def _webhook(body: bytes, content_type: str, query: list[tuple[str, str]] | None = None) -> Any:
    m = match("POST", "/hooks/abcdefghijklmnopqrstuvwxyz")
    assert m.route is not None
    return extract(m.route, body, content_type, query or [])


def _texts(ex: Any) -> str:
    return "\n".join(i.text for i in ex.items)


# --------------------------------------------------------------------------- the port


@pytest.mark.parametrize("ctl", ["\n", "\t"])
def test_a_backslash_before_a_raw_control_character_is_read_after_the_rewrite(ctl: str) -> None:
    doc = _doc(f"client SSN {SSN} \\{ctl}.")
    with pytest.raises(ValueError):
        json.loads(doc, strict=False)  # invalid for any JSON decoder
    escaped = "\\n" if ctl == "\n" else "\\t"
    assert go_incoming_webhook_decode(doc) == {"text": f"client SSN {SSN} \\{escaped[1]}."}
    assert escape_control_chars_from_payload(doc) == _doc(f"client SSN {SSN} \\{escaped}.")
    assert sim_app._incoming_webhook_json(doc.encode()) == {"text": f"client SSN {SSN} \\{escaped[1]}."}


def test_the_rewrite_touches_only_the_listed_keys() -> None:
    # a raw line feed in "username" is not rewritten: both decodes fail, Mattermost answers 400
    doc = '{"text": "a", "username": "b\nc"}'
    with pytest.raises(ValueError):
        go_incoming_webhook_decode(doc)
    with pytest.raises(sim_app.SimError):
        sim_app._incoming_webhook_json(doc.encode())
    # \s in Go is [\t\n\f\r ]: no vertical tab between the key and the colon
    assert escape_control_chars_from_payload('{"text"\v: "a\nb"}') == '{"text"\v: "a\nb"}'
    assert escape_control_chars_from_payload('{"title" \n:\t"a\nb"}') == '{"title" \\n:\\t"a\\nb"}'


_CTL = st.sampled_from(["\n", "\t", "\\\n", "\\\t", "\\\\\n", "\r", "\x01", "\\", "\""])
_PLAIN = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\"\\"), max_size=6)


@given(pieces=st.lists(st.tuples(_PLAIN, _CTL), min_size=1, max_size=5),
       key=st.sampled_from(["text", "fallback", "pretext", "author_name", "title", "value", "username"]))
def test_gateway_and_simulator_ports_agree_and_every_decodable_payload_is_read(pieces: list[tuple[str, str]],
                                                                                key: str) -> None:
    value = "".join(p + c for p, c in pieces) + f" SSN {SSN}"
    doc = '{"' + key + '": "' + value + '"}'
    try:
        gw: Any = go_incoming_webhook_decode(doc)
    except ValueError:
        gw = None
    try:
        sim: Any = sim_app._incoming_webhook_json(doc.encode())
    except sim_app.SimError:
        sim = None
    assert gw == sim
    body = ("payload=" + urllib.parse.quote(doc)).encode()
    if gw is None:
        with pytest.raises(BodyError):
            _webhook(body, FORM["Content-Type"])
        return
    ex = _webhook(body, FORM["Content-Type"])
    assert ex.webhook_readings == [("form", gw)]
    assert isinstance(gw, dict) and any(SSN in i.text for i in ex.items if i.path.startswith("form.payload"))


# --------------------------------------------------------------------------- every branch


@pytest.mark.parametrize("ctl", ["\n", "\t"])
def test_every_branch_reads_the_rewritten_payload(ctl: str) -> None:
    doc = _doc(f"client SSN {SSN} \\{ctl}.")
    form = _webhook(("payload=" + urllib.parse.quote(doc)).encode(), FORM["Content-Type"])
    query = _webhook(b"", FORM["Content-Type"], [("payload", doc)])
    body = _webhook(doc.encode(), "application/json")
    for ex in (form, query, body):
        assert SSN in _texts(ex)
    assert form.webhook_readings[0][0] == "form" and query.webhook_readings[0][0] == "form"
    assert body.webhook_readings == [("json", {"text": f"client SSN {SSN} \\{'n' if ctl == chr(10) else 't'}."})]


@pytest.mark.parametrize("where", ["body", "query", "second"])
def test_a_payload_no_reading_decodes_is_refused(where: str) -> None:
    bad = '{"text": "x\\q"}'  # an invalid escape the rewrite does not touch
    good = urllib.parse.quote(_doc("hello"))
    with pytest.raises(BodyError):
        if where == "body":
            _webhook(("payload=" + urllib.parse.quote(bad)).encode(), FORM["Content-Type"])
        elif where == "query":
            _webhook(b"", FORM["Content-Type"], [("payload", bad)])
        else:
            _webhook(f"payload={good}".encode(), FORM["Content-Type"], [("payload", bad)])


# --------------------------------------------------------------------------- end to end


def _post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers=headers, timeout=60)


@pytest.mark.parametrize("ctl", ["\n", "\t"])
@pytest.mark.parametrize("how", ["form", "query", "json"])
def test_gateway_stops_what_mattermost_would_post(gateway: Gateway, ctl: str, how: str) -> None:
    hook = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    doc = _doc(f"client SSN {SSN} \\{ctl}.")
    if how == "form":
        target, body, headers = hook, ("payload=" + urllib.parse.quote(doc)).encode(), FORM
    elif how == "query":
        target, body, headers = f"{hook}?payload={urllib.parse.quote(doc)}", b"", FORM
    else:
        target, body, headers = hook, doc.encode(), {"Content-Type": "application/json"}
    # the simulator, as Mattermost, posts it
    before = len(gateway.sim.posts())
    r = _post(gateway.sim.url + target, body, headers)
    assert r.status_code == 200, r.text
    assert SSN in gateway.sim.posts()[-1]["message"]
    # the gateway stops it
    before = len(gateway.sim.posts())
    r = _post(gateway.url + target, body, headers)
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["id"] in STOP_IDS and SSN not in r.text
    assert len(gateway.sim.posts()) == before


def test_a_clean_rewritten_payload_is_posted_through_the_gateway(gateway: Gateway) -> None:
    hook = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    doc = _doc("build green \\\n done")
    r = _post(gateway.url + hook, ("payload=" + urllib.parse.quote(doc)).encode(), FORM)
    assert r.status_code == 200, r.text
    assert gateway.sim.posts()[-1]["message"] == "build green \\n done"


def test_an_undecodable_payload_is_refused_by_the_gateway(gateway: Gateway) -> None:
    hook = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    before = len(gateway.sim.posts())
    r = _post(gateway.url + hook, ("payload=" + urllib.parse.quote('{"text": "x\\q ' + SSN + '"}')).encode(), FORM)
    assert r.status_code == 400, r.text
    assert r.json()["status_code"] == 400 and SSN not in r.text
    assert len(gateway.sim.posts()) == before
