"""Hand-built findings and contexts: for policy tests and `policy test` cases (pure, no detector)."""

from __future__ import annotations

from typing import Any

from dlp_proxy.model import ChannelType, ContentItem, Finding, RequestContext, ScannedItem
from dlp_proxy.policy.engine import Policy
from dlp_proxy.policy.schema import parse_policy_text

# Synthetic identifiers (made up; shapes and checksums valid where there is one).
SSN = "536-22-8710"
SSN2 = "536-22-8711"
CARD = "4111 1111 1111 1111"
ROUTING = "011000015"
ACCOUNT = "4471902283"
IBAN = "GB82 WEST 1234 5698 7654 32"
EMAIL = "jane.doe@example.com"
PHONE = "(212) 555-0142"

HASH_KEY = b"k" * 32


def policy_from(text: str, *, hash_key: bytes = HASH_KEY) -> Policy:
    doc = parse_policy_text(text, "test.yaml")
    return Policy(doc, raw=text.encode(), source="test.yaml", hash_key=hash_key)


Span = tuple[str, str] | tuple[str, str, float]


def item(text: str, spans: list[Span], path: str = "body.message") -> ScannedItem:
    """``spans``: (entity_type, substring[, score]); each substring is located in ``text``
    (the n-th repeat of the same substring finds the n-th occurrence)."""
    findings = []
    used: dict[str, int] = {}
    for spec in spans:
        etype, value = spec[0], spec[1]
        score = spec[2] if len(spec) > 2 else 0.9
        start = -1
        for _ in range(used.get(value, 0) + 1):
            start = text.index(value, start + 1)
        used[value] = used.get(value, 0) + 1
        if start < 0:
            raise ValueError(f"{etype} value not found in the text")
        findings.append(Finding(etype, start, start + len(value), float(score), "test"))
    return ScannedItem(ContentItem(path, text), tuple(findings))


def ctx(**kw: Any) -> RequestContext:
    base: dict[str, Any] = {
        "route": "posts.create",
        "route_group": "posts",
        "user_id": "u1",
        "username": "alice",
        "channel_id": "c1",
        "channel_name": "town-square",
        "channel_type": ChannelType.OPEN,
        "team_id": "t1",
        "team_name": "sales",
        "request_id": "req-1",
    }
    if "channel_type" in kw and isinstance(kw["channel_type"], str):
        kw["channel_type"] = ChannelType(kw["channel_type"])
    base.update(kw)
    return RequestContext(**base)
