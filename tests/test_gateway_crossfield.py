"""Context across the fields of one request (findings 4), in process: the real
detector, the real pipeline, a policy that blocks SSNs and redacts nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from dlp_proxy.gateway.pipeline import (
    CrossFieldText,
    GatewayConfig,
    GatewayRequest,
    Pipeline,
    _structural,
    split_piece,
)
from dlp_proxy.model import ContentItem, ItemKind, ScannedItem
from dlp_proxy.policy.testing import SSN, policy_from

DIGITS = SSN.replace("-", "")
CHANNEL = "y7kk5cjibi194smnz58ymwypmh"
POLICY = """
schema: 1
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN]}
"""


class _Archive:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def append(self, record: dict[str, Any]) -> str:
        self.records.append(record)
        return f"r{len(self.records)}"


@pytest.fixture(scope="module")
def detector() -> Any:
    from dlp_proxy.detect import build_detector

    return build_detector(None, ner=False)


def _verdict(detector: Any, body: Any) -> Any:
    policy = policy_from(POLICY)
    archive = _Archive()
    pipeline = Pipeline(detector=detector, policy=lambda: policy, archive=archive, context=None,  # type: ignore[arg-type]
                        quarantine=None, hash_key=b"k" * 32, config=GatewayConfig())
    req = GatewayRequest("POST", "/api/v4/posts", {"content-type": "application/json"}, json.dumps(body).encode())
    return asyncio.run(pipeline.handle(req)), archive.records


def _post(**props: Any) -> dict[str, Any]:
    return {"channel_id": CHANNEL, "message": props.pop("message", "see below"), "props": props,
            "pending_post_id": "5k6t5qgumkaunbt8j7o9dxhzxy:1733300000000"}


def test_a_title_labels_the_value_of_its_field(detector: Any) -> None:
    bare, _ = _verdict(detector, _post(attachments=[{"fields": [{"title": "Reference", "value": DIGITS}]}]))
    assert bare.forward
    v, records = _verdict(detector, _post(attachments=[{"fields": [{"title": "SSN", "value": DIGITS}]}]))
    assert not v.forward
    (finding,) = [f for f in records[-1]["findings"] if f["entity_type"] == "US_SSN"]
    assert "cross-field-context" in finding["transforms"]


def test_a_number_value_and_a_multiline_field(detector: Any) -> None:
    v, _ = _verdict(detector, _post(attachments=[{"pretext": "client social security numbers",
                                                  "fields": [{"title": "a", "value": int(DIGITS)}]}]))
    assert not v.forward
    v, _ = _verdict(detector, _post(message="ssn list attached",
                                    attachments=[{"text": f"first line\nsecond\n{DIGITS}\nlast"}]))
    assert not v.forward


def test_structural_fields_get_no_label(detector: Any) -> None:
    # "account" in the message; pending_post_id's millisecond timestamp is no account number
    v, _ = _verdict(detector, _post(message="account review done", custom_at=1733300000000))
    assert v.forward
    assert _structural("body.pending_post_id") and _structural("body.props.custom_at")
    assert _structural("body.props.attachments[0].id") and not _structural("body.props.attachments[0].fields[0].value")


def test_labelled_text_maps_back_to_the_field() -> None:
    aug = CrossFieldText()
    aug.add(3, f"no digits here\nref {DIGITS} ok", "ssn")
    text = aug.text()
    at = text.index(DIGITS)
    assert aug.locate(at, at + 9) == (3, len("no digits here\nref "), len("no digits here\nref ") + 9)
    assert text.startswith("no digits here\nssn: ref ")  # only lines with digits are labelled
    label_at = text.index("ssn: ")
    assert aug.locate(label_at, label_at + 3) is None  # a finding in the label is no finding of the field
    assert aug.locate(0, 3) == (3, 0, 3)


def test_the_split_piece_keeps_head_and_tail() -> None:
    items = [ScannedItem(ContentItem("body.message", "a" * 300 + " 536-22 " + "b" * 300 + " 8710"), ()),
             ScannedItem(ContentItem("body.pending_post_id", "u:1733300000000"), ()),
             ScannedItem(ContentItem("body.props.x", "ok 1"), ())]
    piece = split_piece(items, 256)
    assert piece.endswith(" 8710") and "1733300000000" not in piece and "ok 1" not in piece


def test_a_file_enters_the_split_window_only_as_a_fragment() -> None:
    short = ScannedItem(ContentItem("file[0]", "part two: 8710", ItemKind.FILE), ())
    blotter = ScannedItem(ContentItem("file[0]", "id,qty\n" + "10131,500\n" * 100 + "total,50000", ItemKind.FILE), ())
    assert split_piece([short], 256) == "part two: 8710"
    assert split_piece([blotter], 256) == ""
