"""Exports in the shapes compliance pipelines already ingest.

Registry ``EXPORTERS`` (explicit, visible in a diff): ``jsonl``, ``csv``,
``actiance`` (Actiance/Smarsh XML), ``globalrelay`` (EML per channel).  The CSV,
Actiance and Global Relay shapes follow Mattermost's own compliance export
(server/enterprise/message_export/) so existing pipelines accept them; our
decision fields are added as extra CSV columns, a ``<DLPDecision>`` element in
each Actiance message and ``X-DLP-*`` headers plus a summary line in EML.

Stopped posts never existed in Mattermost, so ``Post Id`` / ``MessageId`` carry
the archive record id.  Message text: the masked excerpt in masked mode; in
encrypted mode a placeholder naming the record, or the decrypted text when the
exporter is given the content key (``--decrypt``, an explicit decision).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
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


def _summary(d: Mapping[str, Any]) -> str:
    ents = ", ".join(f"{k} x{v}" for k, v in d["entity_counts"].items()) or "none"
    return f"[DLP {d['action']} rule={d['rule_id']} policy={d['policy_version']} entities={ents} record={d['record_id']}]"


def export_jsonl(records: Iterable[Mapping[str, Any]], out: Path) -> list[Path]:
    path = out / "decisions.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(decision_fields(rec), ensure_ascii=False, sort_keys=True) + "\n")
    return [path]


CSV_COLUMNS = (
    # Mattermost compliance export posts.csv columns, in order:
    "Post Creation Time", "Team Id", "Team Name", "Team Display Name", "Channel Id", "Channel Name",
    "Channel Display Name", "Channel Type", "User Id", "User Email", "Username", "Post Id",
    "Edited By Post Id", "Replied to Post Id", "Post Message", "Post Type", "User Type", "Previews Post Id",
    # ours:
    "DLP Record Id", "DLP Record Type", "DLP Time", "DLP Action", "DLP Rule Id", "DLP Policy Version",
    "DLP Entity Types", "DLP Entity Counts", "DLP Max Scores", "DLP Route", "DLP Route Group",
    "DLP Request Id", "DLP Content Hash", "DLP Worker", "DLP Seq", "DLP Error",
)  # fmt: skip


def export_csv(records: Iterable[Mapping[str, Any]], out: Path) -> list[Path]:
    path = out / "posts.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for rec in records:
            d = decision_fields(rec)
            w.writerow(
                [
                    d["time_ms"], d["team_id"] or "", d["team_name"] or "", d["team_name"] or "",
                    d["channel_id"] or "", d["channel_name"] or "", d["channel_name"] or "",
                    d["channel_type"] or "", d["user_id"] or "", d["user_email"] or "", d["username"] or "",
                    d["record_id"], "", d["root_id"] or "", message_text(rec), "dlp_proxy_" + str(d["type"]),
                    "bot" if d["is_bot"] else "user", "",
                    d["record_id"], d["type"], d["time"], d["action"] or "", d["rule_id"] or "",
                    d["policy_version"] or "", " ".join(d["entity_types"]), json.dumps(d["entity_counts"]),
                    json.dumps(d["scores"]), d["route"] or "", d["route_group"] or "", d["request_id"] or "",
                    d["content_hash"] or "", d["worker"], d["seq"], d["error"] or "",
                ]
            )  # fmt: skip
    return [path]


def _by_channel(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for rec in records:
        ctx = _ctx(rec)
        key = str(ctx.get("channel_id") or (f"hook:{ctx['hook_id']}" if ctx.get("hook_id") else "no-channel"))
        groups.setdefault(key, []).append(rec)
    return groups


def _login(d: Mapping[str, Any]) -> str:
    return str(d["username"] or d["user_id"] or (f"webhook:{d['hook_id']}" if d["hook_id"] else "unknown"))


def _email(d: Mapping[str, Any], domain: str) -> str:
    return str(d["user_email"] or f"{_login(d).replace(':', '-')}@{domain}")


def export_actiance(
    records: Iterable[Mapping[str, Any]], out: Path, *, email_domain: str = "mattermost.invalid"
) -> list[Path]:
    root = ET.Element("FileDump")
    for channel_key, recs in _by_channel(records).items():
        ds = [decision_fields(r) for r in recs]
        first = ds[0]
        ctype = CHANNEL_TYPE_NAMES.get(str(first["channel_type"]), str(first["channel_type"] or "unknown"))
        conv = ET.SubElement(root, "Conversation", Perspective=str(first["channel_name"] or channel_key))
        ET.SubElement(
            conv, "RoomID"
        ).text = f"{ctype} - {first['channel_name'] or channel_key} - {channel_key}"
        ET.SubElement(conv, "StartTimeUTC").text = str(min(d["time_ms"] for d in ds) // 1000)
        seen: set[str] = set()
        for d in ds:
            if _login(d) in seen:
                continue
            seen.add(_login(d))
            pe = ET.SubElement(conv, "ParticipantEntered")
            ET.SubElement(pe, "LoginName").text = _login(d)
            ET.SubElement(pe, "UserType").text = "bot" if d["is_bot"] else "user"
            ET.SubElement(pe, "DateTimeUTC").text = str(d["time_ms"] // 1000)
            ET.SubElement(pe, "CorporateEmailID").text = _email(d, email_domain)
        for rec, d in zip(recs, ds, strict=True):
            m = ET.SubElement(conv, "Message")
            ET.SubElement(m, "MessageId").text = str(d["record_id"])
            ET.SubElement(m, "LoginName").text = _login(d)
            ET.SubElement(m, "UserType").text = "bot" if d["is_bot"] else "user"
            ET.SubElement(m, "DateTimeUTC").text = str(d["time_ms"] // 1000)
            ET.SubElement(m, "Content").text = _summary(d) + "\n" + message_text(rec)
            ET.SubElement(m, "PreviewsPost").text = ""
            dec = ET.SubElement(m, "DLPDecision")
            for key in ("action", "rule_id", "policy_version", "route", "request_id", "content_hash", "type"):
                ET.SubElement(dec, key).text = "" if d[key] is None else str(d[key])
            ents = ET.SubElement(dec, "entities")
            for et, count in d["entity_counts"].items():
                ET.SubElement(
                    ents, "entity", type=et, count=str(count), max_score=str(d["scores"].get(et, ""))
                )
        for login in seen:
            pl = ET.SubElement(conv, "ParticipantLeft")
            ET.SubElement(pl, "LoginName").text = login
            ET.SubElement(pl, "DateTimeUTC").text = str(max(d["time_ms"] for d in ds) // 1000)
        ET.SubElement(conv, "EndTimeUTC").text = str(max(d["time_ms"] for d in ds) // 1000)
    path = out / "actiance_export.xml"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return [path]


def export_globalrelay(
    records: Iterable[Mapping[str, Any]], out: Path, *, email_domain: str = "mattermost.invalid"
) -> list[Path]:
    paths = []
    for channel_key, recs in _by_channel(records).items():
        ds = [decision_fields(r) for r in recs]
        first = ds[0]
        name = str(first["channel_name"] or channel_key)
        participants = sorted({_email(d, email_domain) for d in ds})
        msg = EmailMessage()
        msg["From"] = participants[0]
        msg["To"] = ", ".join(participants)
        msg["Subject"] = f"Mattermost Compliance Export: {name}"
        msg["Date"] = format_datetime(dt.datetime.fromtimestamp(min(d["time_ms"] for d in ds) / 1000, dt.UTC))
        msg["Auto-Submitted"] = "auto-generated"
        msg["Precedence"] = "bulk"
        msg["X-GlobalRelay-MsgType"] = "Mattermost"
        msg["X-Mattermost-ChannelName"] = name
        msg["X-Mattermost-ChannelID"] = str(first["channel_id"] or channel_key)
        msg["X-Mattermost-ChannelType"] = CHANNEL_TYPE_NAMES.get(str(first["channel_type"]), "unknown")
        msg["X-DLP-Proxy-Records"] = str(len(ds))
        msg["X-DLP-Proxy-Actions"] = " ".join(sorted({str(d["action"]) for d in ds}))
        text_lines, html_rows = [], []
        for rec, d in zip(recs, ds, strict=True):
            body = message_text(rec)
            text_lines.append(f"* {d['time']} @{_login(d)} {_summary(d)}\n  {body}")
            html_rows.append(
                f"<tr><td>{html.escape(d['time'])}</td><td>@{html.escape(_login(d))}</td>"
                f"<td>{html.escape(_summary(d))}</td><td><pre>{html.escape(body)}</pre></td></tr>"
            )
        msg.set_content("\n".join(text_lines) + "\n")
        msg.add_alternative(
            "<html><body><table><tr><th>Time</th><th>User</th><th>Decision</th><th>Message</th></tr>"
            + "".join(html_rows)
            + "</table></body></html>",
            subtype="html",
        )
        buf = io.BytesIO(bytes(msg))
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in channel_key)
        path = out / f"globalrelay-{safe}.eml"
        path.write_bytes(buf.getvalue())
        paths.append(path)
    return paths


EXPORTERS: dict[str, Callable[[Iterable[Mapping[str, Any]], Path], list[Path]]] = {
    "jsonl": export_jsonl,
    "csv": export_csv,
    "actiance": export_actiance,
    "globalrelay": export_globalrelay,
}
