"""Issue 14 in process: text readings, the trivial-query rule, the gateway's own props."""

from __future__ import annotations

import json

import pytest

from dlp_proxy.gateway.extract import Extracted, _extract_json_route, extract, text_readings
from dlp_proxy.gateway.ownprops import reserved_prop
from dlp_proxy.gateway.routes import UNKNOWN_ROUTE, match, query_is_trivial
from dlp_proxy.policy.testing import SSN


def test_text_readings_keep_gos_reading_first_and_add_the_others() -> None:
    ascii_text = f"ssn {SSN}".encode()
    assert text_readings(ascii_text) == [("", ascii_text.decode())]
    bom = text_readings(b"\xff\xfe" + ascii_text)
    assert bom[0][1].endswith(ascii_text.decode())  # Go: the bytes as they are
    assert [k for k, _ in bom] == ["", "~utf16", "~latin1"]  # FF FE is no UTF-8
    spaced = SSN.replace("-", "\xa0")
    latin = text_readings(b"ssn " + spaced.encode("latin-1"))
    assert [k for k, _ in latin] == ["", "~latin1"] and latin[1][1] == "ssn " + spaced


def test_a_document_looking_generic_body_is_read_as_text_and_as_the_document() -> None:
    body = b"{\\rtf1 {\\*\\datastore ssn " + SSN.encode() + b"}}"
    ex = extract(UNKNOWN_ROUTE, body, "text/plain", [])
    assert len(ex.files) == 1
    assert any(SSN in i.text for i in ex.items)


@pytest.mark.parametrize("query,trivial", [
    ("", True), ("page=0&per_page=60", True), ("statuses=InProgress,Finished", True),
    ("team_id=ofdgyweipb8z9k8457m3rrqihe&page=1", True),
    ("a=536&b=22&c=8710", False), ("q=536228710", False), ("message=hello+there", False),
    ("since=1700000000000", False), ("id=53622871000000000000000000", False), ("x=%35%33%36", True),
])
def test_query_is_trivial(query: str, trivial: bool) -> None:
    assert query_is_trivial(query) is trivial


def test_query_routes_are_matched_only_for_body_less_reads_of_their_paths() -> None:
    assert match("GET", "/plugins/com.x/add").route.name == "plugins.query"  # type: ignore[union-attr]
    assert match("HEAD", "/plugins/playbooks/api/v0/runs").route.name == "playbooks.query"  # type: ignore[union-attr]
    assert match("GET", "/api/v4/teams/abc/commands/autocomplete_suggestions").kind == "query"
    assert match("GET", "/api/v4/users/me").kind == "passthrough"
    assert match("GET", "/plugins/com.x/add", has_body=True).kind == "unknown_write"


def _doc(doc: object) -> Extracted:
    ex = Extracted()
    _extract_json_route(json.dumps(doc).encode(), ex)
    return ex


def test_reserved_props() -> None:
    assert reserved_prop("posts", _doc({"message": "hi", "props": {"dlp_release_id": "x"}}))
    assert reserved_prop("edits", _doc({"PROPS": {"from_dlp_proxy": True}}))
    assert reserved_prop("webhooks", _doc({"text": "a", "extra_responses": [{"props": {"dlp_released": True}}]}))
    assert reserved_prop("posts", _doc({"post": {"props": {"dlp_item_id": "x"}}}))
    assert not reserved_prop("posts", _doc({"props": {"DLP_release_id": "x", "card": "y"}}))  # map keys are exact
    assert not reserved_prop("unknown", _doc({"props": {"dlp_release_id": "x"}}))
