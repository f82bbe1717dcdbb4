"""The flat decision view every exporter shares (JSONL rows, the CSV ``DLP *`` columns).

Message text: the decrypted text when the exporter holds the content key, the
masked excerpt in masked mode, else a placeholder naming the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dlp_proxy.archive.format import record_time

CHANNEL_TYPE_NAMES = {"O": "public", "P": "private", "D": "direct", "G": "group"}


def _ctx(rec: Mapping[str, Any]) -> dict[str, Any]:
    ctx = rec.get("context")
    return dict(ctx) if isinstance(ctx, Mapping) else {}


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message_text(rec: Mapping[str, Any]) -> str:
    if isinstance(rec.get("_content"), list):
        return "\n".join(str(i.get("text", "")) for i in rec["_content"])
    content = rec.get("content")
    if isinstance(content, Mapping):
        if content.get("mode") == "masked":
            return "\n".join(str(i.get("excerpt", "")) for i in content.get("items", []))
        return f"[content encrypted in archive record {rec.get('record_id')}]"
    return ""


def decision_fields(rec: Mapping[str, Any]) -> dict[str, Any]:
    """The flat decision view every exporter shares."""
    ctx = _ctx(rec)
    findings = [f for f in rec.get("findings", []) or [] if isinstance(f, Mapping)]
    counts = rec.get("entity_counts") or {}
    if not counts:
        for f in findings:
            counts[str(f.get("entity_type"))] = counts.get(str(f.get("entity_type")), 0) + 1
    scores: dict[str, float] = {}
    for f in findings:
        et = str(f.get("entity_type"))
        scores[et] = max(scores.get(et, 0.0), float(f.get("score") or 0.0))
    t = record_time(dict(rec))
    return {
        "record_id": rec.get("record_id"),
        "type": rec.get("type"),
        "time": _iso(t),
        "time_ms": int(t * 1000),
        "request_id": rec.get("request_id"),
        "worker": rec.get("archive_worker"),
        "seq": rec.get("seq"),
        "user_id": ctx.get("user_id"),
        "username": ctx.get("username"),
        "user_email": ctx.get("user_email") or ctx.get("email"),
        "is_bot": bool(ctx.get("is_bot")),
        "hook_id": ctx.get("hook_id"),
        "channel_id": ctx.get("channel_id"),
        "channel_name": ctx.get("channel_name"),
        "channel_type": ctx.get("channel_type"),
        "team_id": ctx.get("team_id"),
        "team_name": ctx.get("team_name"),
        "root_id": ctx.get("root_id"),
        "route": rec.get("route"),
        "route_group": rec.get("route_group"),
        "method": rec.get("method"),
        "action": rec.get("action"),
        "rule_id": rec.get("rule_id"),
        "policy_version": rec.get("policy_version"),
        "entity_types": sorted(counts),
        "entity_counts": dict(sorted(counts.items())),
        "scores": dict(sorted(scores.items())),
        "findings": [
            {k: f.get(k) for k in ("path", "entity_type", "start", "end", "score", "recognizer") if k in f}
            for f in findings
        ],
        "content_hash": rec.get("content_hash"),
        "content_mode": (rec.get("content") or {}).get("mode")
        if isinstance(rec.get("content"), Mapping)
        else None,
        "error": rec.get("error"),
    }
