"""Archive records -> the posts Mattermost's exporters take, with real identities.

Only what the gateway *stopped* goes into the conversation exports (Actiance,
Global Relay): decision records whose action is ``block``, ``quarantine`` or
``redact`` and whose context names a channel.  Everything that reached Mattermost
is already in Mattermost's own export; a stopped post exists only here.  (The CSV
and JSONL exports keep every record.)

Each stopped record becomes two posts in its channel's conversation:

1. the post as the sender wrote it: ``MessageId`` = the archive record id (the post
   never existed in Mattermost), the sender's real email and user type, the time in
   epoch milliseconds, the text in clear when the exporter holds the content key
   (``decrypt``), else a masked version (masked archives) or a statement that the
   content is withheld; its files as ``FileTransferStarted``/``Ended`` with the
   archived text of each file in the zip at ``FileName``;
2. a notice from the gateway's own account (the export token's user, a bot) stating
   what was stopped and why: action, rule, policy version, entity counts, reason,
   record id.  This is the DLP decision, in an element the vendor's schema already
   has.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dlp_proxy.archive.export.identity import Identities, IdentityError, dm_participants
from dlp_proxy.archive.export.model import Channel, FileRef, MemberHistory, Post
from dlp_proxy.archive.format import record_time
from dlp_proxy.model import MATTERMOST_ID

#: what the gateway stopped, and what it removed after the fact: an integration's answer that Mattermost
#: posted (action ``remediated``, gateway/integrations.py); Mattermost's own export has that post as
#: deleted or edited, so its content exists only here
STOPPED = frozenset({"block", "quarantine", "redact", "remediated"})
_VERB = {"block": "blocked", "quarantine": "held for review (quarantined)", "redact": "redacted"}
#: file parts as the gateway names them (gateway/extract.py FilePart paths; "upload" for resumable uploads)
_FILE_KEY = re.compile(r"^((?:file|chunk|upload)(?:\[\d+\])?)(?:\.name$|:)")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_stopped_post(rec: Mapping[str, Any]) -> bool:
    """A stopped write that Mattermost would have posted in a channel (directly or through an incoming webhook)."""
    ctx = rec.get("context")
    return (rec.get("type") == "decision" and rec.get("action") in STOPPED and isinstance(ctx, Mapping)
            and (bool(ctx.get("channel_id")) or bool(MATTERMOST_ID.fullmatch(str(ctx.get("hook_id") or "")))))


def time_ms(rec: Mapping[str, Any]) -> int:
    return round(record_time(dict(rec)) * 1000)


@dataclass(slots=True)
class Conversations:
    channels: dict[str, Channel] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    histories: dict[str, list[MemberHistory]] = field(default_factory=dict)
    start: int = 0
    end: int = 0
    records: int = 0
    withheld: int = 0


def _content_parts(rec: Mapping[str, Any]) -> tuple[str | None, dict[str, dict[str, Any]], bool]:
    """(message text or None, files {key: {name, segments}}, clear?) from ``_content`` or masked excerpts."""
    items: list[Mapping[str, Any]]
    clear = isinstance(rec.get("_content"), list)
    if clear:
        items = [i for i in rec["_content"] if isinstance(i, Mapping)]
        text_key = "text"
    else:
        c = rec.get("content")
        if not isinstance(c, Mapping):
            return None, {}, False
        if c.get("mode") != "masked":  # encrypted, no key: which files there were, nothing of what they said
            named: dict[str, dict[str, Any]] = {}
            for item in c.get("items", []):
                m = _FILE_KEY.match(str(item.get("path", ""))) if isinstance(item, Mapping) else None
                if m:
                    named.setdefault(m.group(1), {"name": "", "segments": []})
            return None, named, False
        items = [i for i in c.get("items", []) if isinstance(i, Mapping)]
        text_key = "excerpt"
    message: list[str] = []
    files: dict[str, dict[str, Any]] = {}
    for item in items:
        path, text = str(item.get("path", "")), str(item.get(text_key, ""))
        m = _FILE_KEY.match(path)
        if m:
            f = files.setdefault(m.group(1), {"name": "", "segments": []})
            if path.endswith(".name"):
                f["name"] = text
            else:
                f["segments"].append(text)
        elif path != "split-window":  # (the split-window finding has no text of its own)
            message.append(text)
    return "\n".join(message), files, clear


def _entities(rec: Mapping[str, Any]) -> str:
    counts = rec.get("entity_counts") or {}
    return ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())) or "none"


def notice(rec: Mapping[str, Any], sender: str, clear: bool, masked: bool) -> str:
    action = str(rec.get("action"))
    what = "a message" if rec.get("route_group") not in ("edits",) else "an edit of a message"
    if action == "redact":
        fate = ("was redacted: Mattermost received it with the detected values masked; "
                "the original above did not reach Mattermost")
    elif action == "remediated":
        how = {"patched": "replaced its text with the redacted text", "deleted": "deleted it"}.get(
            str(rec.get("remediation")), "removed it")
        result = str(rec.get("remediation_result") or "")
        route = str(rec.get("route") or "-")
        source = (f"was posted with a link preview Mattermost fetched itself ({route}: the message and the "
                  "preview's site name, title and description above)" if route.endswith(".preview") else
                  f"was posted by Mattermost from an integration's answer ({route})")
        fate = (f"{source}; the DLP gateway judged it one to stop but had no bot token to remove it: "
                "it is still in Mattermost") if rec.get("remediation") == "impossible" else (
            f"{source}; the DLP gateway then {how}" + ("" if result == "ok" else
                                                       " but Mattermost refused the change: it may still be in Mattermost"))
    elif action == "quarantine":
        fate = ("was held for review (quarantined) by the DLP gateway; it reaches Mattermost only if a reviewer "
                "releases it (see the DLP review notices)")
    else:
        fate = f"was {_VERB.get(action, action)} by the DLP gateway and did not reach Mattermost"
    if clear:
        content = "The content above is the original, exported in clear with the archive content key."
    elif masked:
        content = "Content withheld: the content above is masked; the archive keeps no clear copy."
    else:
        content = ("Content withheld: the archive holds it encrypted; the holder of the archive content key "
                   "can produce it.")
    return (f"DLP notice: {what} from {sender} {fate}. Rule: {rec.get('rule_id') or '-'}. "
            f"Policy version: {rec.get('policy_version') or '-'}. Detected: {_entities(rec)}. "
            f"Reason: {rec.get('reason') or '-'}. Archive record: {rec.get('record_id')}. {content}")


#: reviewer outcomes that change what happened to a held post (quarantine/service.py records)
REVIEW_ACTIONS = {
    "approve_first": "approved (first of two approvals)", "approve": "approved for release", "reject": "rejected",
    "released": "released to Mattermost", "release_failed": "not released (the release failed)",
    "escalate": "escalated", "purge": "purged",
}

def is_review_outcome(rec: Mapping[str, Any]) -> bool:
    return (rec.get("type") == "review" and rec.get("action") in REVIEW_ACTIONS
            and bool(MATTERMOST_ID.fullmatch(str(rec.get("channel_id", "")))))


def review_notice(rec: Mapping[str, Any], reviewer: str, clear: bool) -> str:
    text = (f"DLP review: the quarantined message of archive record {rec.get('quarantine_record_id') or '-'} was "
            f"{REVIEW_ACTIONS[str(rec.get('action'))]} by {reviewer}.")
    if rec.get("post_id"):
        text += f" Mattermost post id: {rec.get('post_id')}."
    if rec.get("reason"):
        text += f" Reason: {rec.get('reason')}" if clear else " Reason: withheld (given with the content key)."
    return text + f" Archive record: {rec.get('record_id')}."


def _channel(out: Conversations, ids: Identities, cid: str) -> None:
    if cid in out.channels:
        return
    ch = ids.channel(cid)
    team = ids.team(ch.team_id) if ch.team_id else None
    out.channels[cid] = Channel(cid, ch.name, ch.display_name, ch.type, ch.team_id,
                                team.name if team else "", team.display_name if team else "")
    members = []
    for uid in dm_participants(ch) if ch.type == "D" else ids.members(cid) if ch.type == "G" else []:
        u = ids.user(uid)
        members.append(MemberHistory(u.id, u.email, u.username, out.start, None, u.is_bot))
    out.histories[cid] = members


def conversations(records: Iterable[Mapping[str, Any]], ids: Identities, *, clear: bool = False) -> Conversations:
    """Raises ``IdentityError`` when Mattermost cannot say who or where."""
    out = Conversations()
    relevant = sorted((r for r in records if is_stopped_post(r) or is_review_outcome(r)),
                      key=lambda r: (time_ms(r), str(r.get("archive_worker")), int(r.get("seq") or 0)))
    if not relevant:
        return out
    me = ids.me()
    out.start = time_ms(relevant[0])
    out.end = time_ms(relevant[-1])
    for rec in relevant:
        t = time_ms(rec)
        rid = str(rec.get("record_id"))
        if rec.get("type") == "review":
            cid = str(rec["channel_id"])
            _channel(out, ids, cid)
            actor: Mapping[str, Any] = rec["actor"] if isinstance(rec.get("actor"), Mapping) else {}
            auid = str(actor.get("user_id") or "")
            if MATTERMOST_ID.fullmatch(auid):
                u = ids.user(auid)
                reviewer = f"{u.email} (@{u.username})"
            else:
                reviewer = f"the gateway ({actor.get('name') or 'system'})"
            out.posts.append(Post(post_id=f"{rid}-dlp", channel_id=cid, create_at=t, update_at=t,
                                  message=review_notice(rec, reviewer, clear), user_id=me.id, user_email=me.email,
                                  username=me.username, is_bot=True, post_type="system_dlp_notice",
                                  dlp={"record": rec, "notice": True}))
            continue
        ctx = rec["context"]
        uid = ctx.get("user_id")
        hook = None
        if not uid and ctx.get("hook_id"):
            # an incoming webhook: Mattermost posts as the hook's creator, in its channel unless the
            # payload named one (app/webhook.go CreateWebhookPost), with props from_webhook=true
            hook = ids.hook(str(ctx["hook_id"]))
            uid = hook.user_id
        cid = str(ctx.get("channel_id") or (hook.channel_id if hook else ""))
        if not cid:
            raise IdentityError("a stopped post's record names no channel")
        _channel(out, ids, cid)
        if not isinstance(uid, str) or not uid:
            raise IdentityError("a stopped post's record names no user")
        user = ids.user(uid)
        text, files, clear_text = _content_parts(rec)
        masked = text is not None and not clear_text
        if text is None:
            out.withheld += 1
            fields = ", ".join(str(i.get("path")) for i in (rec.get("content") or {}).get("items", [])) or "-"
            text = f"[Content withheld by the DLP gateway: encrypted in archive record {rid}; fields: {fields}]"
        elif masked:
            out.withheld += 1
            text = f"[Masked by the DLP gateway; the original is not retained]\n{text}"
        refs = []
        for key, f in sorted(files.items()):
            name = f["name"] or key
            data = "\n\n".join(f["segments"]).encode("utf-8") if (clear_text or masked) else None
            path = f"dlp-proxy/{cid}/{rid}/{_SAFE.sub('_', key)}-{_SAFE.sub('_', name)[:100]}.txt"
            note = "" if data is not None else "Content withheld by the DLP gateway (no content key)"
            refs.append(FileRef(f"{rid}-{key}", name, path, data, t, note=note))
        out.posts.append(Post(post_id=rid, channel_id=cid, create_at=t, update_at=t, message=text, user_id=user.id,
                              user_email=user.email, username=user.username, is_bot=user.is_bot,
                              root_id=str(ctx.get("root_id") or ""), files=tuple(refs), dlp={"record": rec},
                              props={"from_webhook": "true"} if hook else {}))
        sender = f"{user.email} (@{user.username})" + (f" through incoming webhook {hook.id}" if hook else "")
        out.posts.append(Post(post_id=f"{rid}-dlp", channel_id=cid, create_at=t, update_at=t,
                              message=notice(rec, sender, clear_text, masked),
                              user_id=me.id, user_email=me.email, username=me.username, is_bot=True,
                              post_type="system_dlp_notice", dlp={"record": rec, "notice": True}))
        out.records += 1
    return out
