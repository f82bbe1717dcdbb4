"""A post as it is shown (gateway/rendered.py): the message and every message
attachment's pretext, author, title, text, fields and footer read as one text, so
digit groups split across them are one number.  In process with the real detector
and pipeline (properties), then end to end through the real gateway."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.rendered import RenderedPost, rendered_posts
from dlp_proxy.policy import testing as synth
from tests.conftest import Gateway
from tests.inprocess import judge

SSN = synth.SSN
AREA, GROUP, SERIAL = SSN.split("-")
CARD = synth.CARD.replace(" ", "")
CHANNEL = "y7kk5cjibi194smnz58ymwypmh"
POLICY = """
schema: 1
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN, CREDIT_CARD, US_BANK_NUMBER]}
"""
REDACT_POLICY = """
schema: 1
rules:
  - id: npi
    action: redact
    match: {entities: [US_SSN, CREDIT_CARD]}
"""
PARTS = ("pretext", "author_name", "title", "text", "footer")


@pytest.fixture(scope="module")
def detector() -> Any:
    from dlp_proxy.detect import build_detector

    return build_detector(None, ner=False)


def _verdict(detector: Any, body: Any, path: str = "/api/v4/posts", policy_text: str = POLICY) -> Any:
    return judge(detector, body, policy_text=policy_text, path=path)


def _post(message: str, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"channel_id": CHANNEL, "message": message, "props": {"attachments": attachments}}


FOUND = [
    _post(f"client SSN {AREA}-{GROUP}", [{"footer": SERIAL}]),
    _post("client SSN below", [{"text": f"{AREA}-{GROUP}"}, {"text": SERIAL}]),
    _post("x", [{"fields": [{"title": "area", "value": AREA, "short": True},
                            {"title": "group", "value": GROUP, "short": True},
                            {"title": "serial", "value": SERIAL, "short": True}]}]),
    _post("client card", [{"title": CARD[:4] + " " + CARD[4:8]}, {"title": CARD[8:12] + " " + CARD[12:]}]),
    _post("client SSN", [{"fields": [{"title": "a", "value": AREA, "short": True},
                                     {"title": "b", "value": int(GROUP), "short": True},
                                     {"title": "c", "value": SERIAL, "short": True}]}]),
    _post("social security number", [{"pretext": AREA}, {"author_name": GROUP}, {"footer": SERIAL}]),
    {"channel_id": CHANNEL, "Message": f"client SSN {AREA}", "Props": {"attachments": [{"Title": f"{GROUP}-{SERIAL}"}]}},
    _post(f"client SSN {AREA}-{GROUP}", [{"actions": [{"id": "a1", "name": SERIAL}]}]),
    _post("client SSN five three six", [{"footer": "two two eight seven one zero"}]),
    _post("client SSN", [{"text": f"1. {AREA}\n2. {GROUP}"}, {"footer": SERIAL}]),
]


@pytest.mark.parametrize("body", FOUND, ids=[f"split-{i}" for i in range(len(FOUND))])
def test_a_number_split_across_message_and_attachments_is_stopped(detector: Any, body: dict[str, Any]) -> None:
    v, records = _verdict(detector, body)
    assert not v.forward, records[-1]["findings"]


def test_the_incoming_webhook_payload_too(detector: Any) -> None:
    v, _ = _verdict(detector, {"text": f"client SSN {AREA}-{GROUP}", "attachments": [{"footer": SERIAL}]},
                    path="/hooks/abcdefghijklmnopqrstuvwxyz")
    assert not v.forward


CLEAN = [
    _post("weekly totals", [{"fields": [{"title": "a", "value": AREA, "short": True},
                                        {"title": "b", "value": GROUP, "short": True},
                                        {"title": "c", "value": SERIAL, "short": True}]}]),
    _post(f"build {AREA} done", [{"title": f"Job {GROUP}", "footer": f"{SERIAL} ms"}]),
    _post("release notes", [{"text": "version 5.36"}, {"footer": "22 files, 8710 lines"}]),
]


@pytest.mark.parametrize("body", CLEAN, ids=[f"clean-{i}" for i in range(len(CLEAN))])
def test_look_alikes_pass(detector: Any, body: dict[str, Any]) -> None:
    v, records = _verdict(detector, body)
    assert v.forward, records[-1]["findings"]


def test_a_finding_within_one_field_goes_back_to_it_and_one_across_fields_is_not_redacted(detector: Any) -> None:
    # within one field (labelled by the message): masked in place
    v, records = _verdict(detector, _post("client ssn", [{"footer": SSN}]), policy_text=REDACT_POLICY)
    assert v.forward and SSN not in json.loads(v.new_body)["props"]["attachments"][0]["footer"]
    # across the message and a footer: no field holds it whole, redaction is impossible: blocked
    v, records = _verdict(detector, _post(f"client SSN {AREA}-{GROUP}", [{"footer": SERIAL}]), policy_text=REDACT_POLICY)
    assert not v.forward
    assert any("cross-field-rendered" in f.get("transforms", ()) for f in records[-1]["findings"])


def test_the_reading_follows_the_render_order_and_maps_back() -> None:
    items = [(0, "body.message", "hello"),
             (5, "body.props.attachments[0].footer", "foot"),
             (1, "body.props.attachments[0].pretext", "pre"),
             (3, "body.props.attachments[0].fields[0].title", "t"),
             (4, "body.props.attachments[0].fields[0].value", "v"),
             (2, "body.props.attachments[0].title", "title"),
             (6, "body.props.attachments[1].text", "second")]
    shown, values = rendered_posts(items, "ssn")
    assert shown.text() == "ssn\nhello\npre\ntitle\nt: v\nfoot\nsecond"
    assert values.text() == "ssn: hello pre title v foot second"
    at = shown.text().index("foot")
    assert shown.locate(at, at + 4) == (5, 0, 4)
    assert shown.spans_values(at - 2, at + 4) and shown.locate(at - 2, at + 4) is None
    assert rendered_posts([(0, "body.message", "no attachments 536")], "ssn") == []


_FIELD = st.sampled_from(PARTS + ("field",))


def _attach(parts: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Each (part, text) in its own attachment, or fields side by side in one."""
    out: list[dict[str, Any]] = []
    for part, text in parts:
        if part == "field":
            if out and "fields" in out[-1]:
                out[-1]["fields"].append({"title": "x", "value": text, "short": True})
            else:
                out.append({"fields": [{"title": "x", "value": text, "short": True}]})
        else:
            out.append({part: text})
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.lists(_FIELD, min_size=3, max_size=3), cut=st.integers(0, 2),
       label=st.sampled_from(["client SSN", "ssn on file", "social security number", "SSN"]))
def test_property_an_ssn_split_over_any_parts_of_a_post_is_stopped(
        detector: Any, where: list[str], cut: int, label: str) -> None:
    groups = [AREA, GROUP, SERIAL]
    in_message = groups[:cut]
    rest = groups[cut:]
    message = " ".join([label, *in_message])
    parts = list(zip(where, rest, strict=False))
    v, records = _verdict(detector, _post(message, _attach(parts)))
    assert not v.forward, (message, parts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.lists(_FIELD, min_size=3, max_size=3),
       numbers=st.lists(st.integers(1, 99999), min_size=3, max_size=3),
       message=st.sampled_from(["weekly totals", "deploy finished", "sprint report", ""]))
def test_property_numbers_of_a_post_without_context_pass(
        detector: Any, where: list[str], numbers: list[int], message: str) -> None:
    parts = list(zip(where, [str(n) for n in numbers], strict=True))
    v, records = _verdict(detector, _post(message, _attach(parts)))
    assert v.forward, (message, parts, records[-1]["findings"])


def test_rendered_post_is_a_reading() -> None:
    r = RenderedPost("body#rendered")
    r.put("ssn\n")
    r.put("536", 1)
    r.put("\n")
    r.put("22", 2)
    assert r.locate(4, 7) == (1, 0, 3) and r.locate(0, 3) is None and r.spans_values(4, 10)


# -- end to end: through the real gateway -----------------------------------------------


def _reached(gw: Gateway, marker: str, path: str) -> bool:
    return any(marker.encode() in base64.b64decode(r["body_b64"]) for r in gw.sim.requests()
               if r["path"] == path and r["method"] == "POST")


@pytest.mark.parametrize("body", FOUND[:5], ids=[f"e2e-split-{i}" for i in range(5)])
def test_gateway_stops_a_post_split_across_attachments(gateway: Gateway, body: dict[str, Any]) -> None:
    marker = f"ref{random.randrange(10**6)}q"
    sent = {**body, "channel_id": gateway.sim.channel("town_square"), "message": f"{marker} {body['message']}"}
    r = httpx.post(f"{gateway.url}/api/v4/posts", json=sent,
                   headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403, (r.status_code, r.text)
    assert not _reached(gateway, marker, "/api/v4/posts")


def test_gateway_stops_a_webhook_split_across_attachments(gateway: Gateway) -> None:
    marker = f"ref{random.randrange(10**6)}q"
    path = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    r = httpx.post(f"{gateway.url}{path}", timeout=30,
                   json={"text": f"{marker} client SSN {AREA}-{GROUP}", "attachments": [{"footer": SERIAL}]})
    assert r.status_code in (400, 403), (r.status_code, r.text)
    assert not _reached(gateway, marker, path)


def test_gateway_passes_a_post_with_attachments_and_no_identifier(gateway: Gateway) -> None:
    # letters only: six random digits could meet a piece of the channel's split window
    # (other tests' posts in town_square) and read as an identifier by chance
    marker = "ok" + "".join(random.choice("abcdefghjkmnpqrtuvwxy") for _ in range(8)) + "z"
    sent = _post(f"weekly totals {marker}", CLEAN[0]["props"]["attachments"])
    sent["channel_id"] = gateway.sim.channel("town_square")
    r = httpx.post(f"{gateway.url}/api/v4/posts", json=sent,
                   headers={"Authorization": f"Bearer {gateway.sim.token('bob')}"}, timeout=30)
    assert r.status_code == 201, (r.status_code, r.text)
    assert _reached(gateway, marker, "/api/v4/posts")


# -- only what Mattermost shows, never between shown parts (attack-b findings 2 and 3) ---------

DECOY = "please review the attached statement before the call tomorrow morning, thanks again"
HIDDEN = [
    # a case variant before the kept key: the web app reads ``pretext``
    _post(f"client SSN {AREA}-{GROUP}-", [{"PRETEXT": DECOY, "pretext": SERIAL}]),
    _post("client SSN", [{"FIELDS": [{"title": "a", "value": DECOY, "short": True}],
                          "fields": [{"title": "a", "value": f"{AREA}-{GROUP}", "short": True},
                                     {"title": "b", "value": SERIAL, "short": True}]}]),
    # a message key the route does not read (model.Post has no ``text``)
    {"channel_id": CHANNEL, "message": f"client SSN {AREA}-{GROUP}-", "text": DECOY,
     "props": {"attachments": [{"pretext": SERIAL}]}},
]
WEBHOOK_HIDDEN = [
    # CreateWebhookPost keeps only the payload's own attachments
    {"text": "client SSN", "props": {"attachments": [{"fields": [{"title": "a", "value": DECOY, "short": True}]}]},
     "attachments": [{"fields": [{"title": "a", "value": f"{AREA}-{GROUP}", "short": True},
                                 {"title": "b", "value": SERIAL, "short": True}]}]},
    {"text": f"client SSN {AREA}-{GROUP}-", "props": {"attachments": [{"pretext": DECOY}]},
     "attachments": [{"pretext": SERIAL}]},
    {"text": f"client SSN {AREA}-{GROUP}-", "attachments": [{"Pretext": DECOY, "pretext": SERIAL}]},
]
TITLES = [
    _post("client SSN on file", [{"fields": [{"title": f"{AREA}-{GROUP}-", "value": "x", "short": True},
                                             {"title": SERIAL, "value": "y", "short": True}]}]),
    _post("client SSN on file", [{"fields": [{"title": f"{AREA}-{GROUP}", "value": "x", "short": True},
                                             {"title": f"-{SERIAL}", "value": "y", "short": True}]}]),
]


@pytest.mark.parametrize("body", HIDDEN + TITLES, ids=[f"hidden-{i}" for i in range(len(HIDDEN))]
                         + [f"titles-{i}" for i in range(len(TITLES))])
def test_text_never_shown_does_not_separate_shown_parts(detector: Any, body: dict[str, Any]) -> None:
    v, records = _verdict(detector, body)
    assert not v.forward, records[-1]["findings"]


@pytest.mark.parametrize("body", WEBHOOK_HIDDEN, ids=[f"webhook-hidden-{i}" for i in range(len(WEBHOOK_HIDDEN))])
def test_a_webhooks_props_attachments_do_not_separate_shown_parts(detector: Any, body: dict[str, Any]) -> None:
    v, records = _verdict(detector, body, path="/hooks/abcdefghijklmnopqrstuvwxyz")
    assert not v.forward


def test_the_readings_take_shown_keys_only() -> None:
    items = [(0, "body.message", "client SSN 536-22-"),
             (1, "body.props.attachments[0].PRETEXT", "decoy words"),
             (2, "body.props.attachments[0].pretext", "8710"),
             (3, "body.props.attachments[0].footer#dup0", "shadowed"),
             (4, "body.props.ATTACHMENTS[0].text", "never read"),
             (5, "body.attachments[0].text", "not a post field")]
    texts = [r.text() for r in rendered_posts(items, "")]
    assert "client SSN 536-22-\n8710" in texts  # the web app's exact keys
    assert "client SSN 536-22-\ndecoy words" in texts  # Go's fold, had PRETEXT come last
    assert not any("shadowed" in t or "never read" in t for t in texts)
    assert not any("not a post field" in t and "536" in t for t in texts)
    # a webhook: its own attachments with its text, never its props' attachments
    hook = [(0, "body.text", "SSN 536-22-"), (1, "body.props.attachments[0].pretext", "decoy"),
            (2, "body.attachments[0].pretext", "8710")]
    assert "SSN 536-22-\n8710" in [r.text() for r in rendered_posts(hook, "")]
    # titles of fields side by side, as their header row shows them
    fields = [(0, "body.message", "m"), (1, "body.props.attachments[0].fields[0].title", "536-22-"),
              (2, "body.props.attachments[0].fields[0].value", "x"),
              (3, "body.props.attachments[0].fields[1].title", "8710"),
              (4, "body.props.attachments[0].fields[1].value", "y")]
    readings = rendered_posts(fields, "ssn")
    assert [r.text() for r in readings][1:] == ["ssn: m x y", "ssn: 536-22- 8710"]
    assert readings[2].spans_values(5, 17)


def test_too_many_case_variants_are_refused() -> None:
    from dlp_proxy.gateway.extract import BodyError

    items = [(0, "body.text", "m")]
    for a in range(5):
        items += [(len(items), f"body.attachments[{a}].text", "x"), (len(items) + 1, f"body.attachments[{a}].TEXT", "y")]
    with pytest.raises(BodyError):
        rendered_posts(items, "")


_HIDDEN_PATH = st.sampled_from([
    "body.props.attachments[0].PRETEXT", "body.props.attachments[0].Footer", "body.props.attachments[1].TITLE",
    "body.props.attachments[0].Fields[0].value", "body.props.attachments[0].fields[0].VALUE",
    "body.props.attachments[0].pretext#dup0", "body.props.Attachments[0].text", "body.text",
    "body.attachments[0].text", "body.props.attachments[0].actions[0].NAME", "body.props.attachments[0].title\n",
    "body.attachments[0].text\n", "body.props.attachments[0].text\n",
])
_SHOWN = [("body.message", "client SSN"), ("body.props.attachments[0].pretext", "536"),
          ("body.props.attachments[0].title", "22"), ("body.props.attachments[0].fields[0].value", "87"),
          ("body.props.attachments[0].footer", "10"), ("body.props.attachments[1].text", "end")]


@settings(max_examples=200, deadline=None)
@given(decoys=st.lists(st.tuples(_HIDDEN_PATH, st.text(min_size=1, max_size=40), st.integers(0, 20)), max_size=4),
       label=st.sampled_from(["", "ssn"]))
def test_property_a_decoy_in_a_key_never_shown_never_separates_shown_parts(
        decoys: list[tuple[str, str, int]], label: str) -> None:
    clean = [(i, path, text) for i, (path, text) in enumerate(_SHOWN)]
    hostile = list(clean)
    seen = {path for _, path, _ in clean}
    for n, (path, text, at) in enumerate(decoys):
        if path not in seen:  # one value per path, as a JSON object has
            seen.add(path)
            hostile.insert(min(at, len(hostile)), (100 + n, path, text))
    expected = {r.text() for r in rendered_posts(clean, label)}
    got = {r.text() for r in rendered_posts(hostile, label)}
    assert expected <= got, (hostile, expected - got)


@pytest.mark.parametrize("body", [HIDDEN[0], TITLES[0]], ids=["e2e-hidden-case-variant", "e2e-titles"])
def test_gateway_stops_a_split_number_with_hidden_text_or_in_titles(gateway: Gateway, body: dict[str, Any]) -> None:
    marker = f"ref{random.randrange(10**6)}q"
    sent = {**body, "channel_id": gateway.sim.channel("town_square"), "message": f"{marker} {body['message']}"}
    r = httpx.post(f"{gateway.url}/api/v4/posts", json=sent,
                   headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403, (r.status_code, r.text)
    assert not _reached(gateway, marker, "/api/v4/posts")


def test_gateway_stops_a_webhook_whose_props_attachments_separate_shown_parts(gateway: Gateway) -> None:
    marker = f"ref{random.randrange(10**6)}q"
    path = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    body = {**WEBHOOK_HIDDEN[1], "text": f"{marker} {WEBHOOK_HIDDEN[1]['text']}"}
    r = httpx.post(f"{gateway.url}{path}", timeout=30, json=body)
    assert r.status_code in (400, 403), (r.status_code, r.text)
    assert not _reached(gateway, marker, path)
