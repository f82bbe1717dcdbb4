"""What people are told: the sender's notice, the compliance alert, the HTTP error.

The web app does not show a failed post's error text, so the gateway also sends
the sender an ephemeral post or bot DM (``sender_notice``).  Every text names the
KIND of data found (``describe_entities``), never a value, and says what to do.
The AppError ``id`` tells a blocked request from one held for review so clients
and tests can tell them apart without parsing prose.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dlp_proxy.atrest import WITHHELD, shown_field_path, shown_name
from dlp_proxy.model import (
    BLOCK_ERROR_ID,
    QUARANTINE_ERROR_ID,
    Action,
    Decision,
    RequestContext,
    describe_entities,
)
from dlp_proxy.policy.schema import Messages

if TYPE_CHECKING:
    from dlp_proxy.interfaces import PolicyEngine as Policy  # anything with the policy's ``messages``

__all__ = [
    "BLOCK_ERROR_ID",
    "QUARANTINE_ERROR_ID",
    "SENDER_ACTION_IDS",
    "alert_text",
    "error_id",
    "justification_dialog",
    "outcome_notice",
    "report_received",
    "sender_action_attachments",
    "sender_notice",
    "tex_unreadable_message",
    "user_message",
]

_DEFAULT_MESSAGES = Messages()

#: dlp_proxy.policy.split.SPLIT_TRANSFORM, and the content item path the gateway
#: gives findings completed across messages (not imported: split pulls in crypto)
_SPLIT_TRANSFORM = "split-messages"
_SPLIT_ITEM_PATH = "split-window"


class _SafeFormat(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fmt(template: str, **values: str) -> str:
    return template.format_map(_SafeFormat(values))


def _messages(policy: Policy | None) -> Messages:
    return policy.messages if policy is not None else _DEFAULT_MESSAGES


def error_id(decision: Decision) -> str:
    """AppError id for a stopped request."""
    return QUARANTINE_ERROR_ID if decision.action == Action.QUARANTINE else BLOCK_ERROR_ID


def _what_to_do(m: Messages) -> str:
    return _fmt(m.what_to_do, secure_channel=m.secure_channel, contact=m.contact)


def user_message(decision: Decision, policy: Policy | None = None) -> str:
    """The AppError ``message`` for a stopped request (block or quarantine)."""
    m = _messages(policy)
    entities = describe_entities(list(decision.entity_types))
    unchecked = str(decision.details.get("uninspected_message") or "")
    if unchecked and decision.action in (Action.QUARANTINE, Action.BLOCK):
        held = decision.action == Action.QUARANTINE
        head = unchecked + (" It is held for compliance review." if held else " It was not sent.")
        tail = "You will be told when a reviewer has released or rejected it." if held else ""
        return " ".join(p for p in (head, tail) if p)
    if decision.action == Action.QUARANTINE:
        head = _fmt(m.quarantined, entities=entities)
        tail = "You will be told when a reviewer has released or rejected it."
    elif decision.action == Action.REDACT:
        head = _fmt(m.redacted, entities=entities)
        tail = ""
    else:
        head = _fmt(m.blocked, entities=entities)
        tail = ""
    return " ".join(p for p in (head, tail, _what_to_do(m)) if p)


def tex_unreadable_message(policy: Policy | None = None) -> str:
    """The AppError ``message`` for a post whose rendered LaTeX detection cannot read
    (``detect.TexUnreadableError``): what to change, from the policy's ``messages``."""
    m = _messages(policy)
    return _fmt(m.tex_unreadable, secure_channel=m.secure_channel, contact=m.contact)


def _where(ctx: RequestContext) -> str:
    if shown_name(ctx.channel_name):
        return f"~{ctx.channel_name}"
    if ctx.channel_type is not None and ctx.channel_type.value in ("D", "G"):
        return "a direct message"
    if ctx.channel_id:
        return f"channel {ctx.channel_id}"
    return {
        "profile": "your profile",
        "commands": "a slash command",
        "webhooks": "a webhook",
    }.get(ctx.route_group, "a request")


_WHAT = {
    "posts": "message",
    "edits": "edit of a message",
    "scheduled": "scheduled message",
    "drafts": "draft",
    "files": "file upload",
    "uploads": "file upload",
    "channels": "channel settings",
    "headers": "change to the channel's header, purpose or name",  # (channels.patch and update set all three)
    "bookmarks": "channel bookmark",
    "webhooks": "webhook message",
    "commands": "slash command",
    "actions": "interactive message action",
    "profile": "profile update",
    "playbooks": "playbook update",
}


def sender_notice(
    decision: Decision,
    ctx: RequestContext,
    *,
    message_excerpt_path: str,
    at: datetime | None = None,
    policy: Policy | None = None,
) -> str:
    """Text of the ephemeral post / bot DM telling the sender what happened.

    ``message_excerpt_path`` is the field that carried the data (e.g. ``body.message``
    or ``file[0]:page=2``), shown so the sender knows which part to fix.  Mattermost
    stores the notice (a bot DM; the ephemeral post reaches the client): the path's
    client-chosen components (JSON keys, archive members, attachment and sheet names)
    are shown only when they have a name's shape (``atrest.shown_field_path``), and a
    channel name with a long digit run is not shown.
    """
    m = _messages(policy)
    when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    what = _WHAT.get(ctx.route_group, "request")
    entities = describe_entities(list(decision.entity_types))
    where = _where(ctx)
    if decision.action == Action.BLOCK:
        verdict = f"was **not sent**: it contains {entities}"
    elif decision.action == Action.QUARANTINE:
        verdict = (
            f"is **held for compliance review**: it contains {entities}. "
            "You will be told when a reviewer releases or rejects it"
        )
    elif decision.action == Action.REDACT:
        verdict = f"was sent with {entities} **masked**"
    else:
        verdict = f"was recorded for compliance because it contains {entities}"
    unchecked = str(decision.details.get("uninspected_message") or "")
    if unchecked:
        # a file that could not be inspected: say so, never "it contains ..."
        held = decision.action == Action.QUARANTINE
        verdict = ("is **held for compliance review**" if held else "was **not sent**") + f": {unchecked.rstrip('.')}"
        if held:
            verdict += ". You will be told when a reviewer releases or rejects it"
    split = any(_SPLIT_TRANSFORM in f.transforms for _, f in decision.findings)
    if unchecked:
        # the notice names the file; nothing was found in it, so no "share it elsewhere"
        lines = [f"Your {what} in {where} ({when}) {verdict}.",
                 f"If it should go through, ask {m.contact} to review it.",
                 f"Reference: {ctx.request_id}" if ctx.request_id else ""]
        return "\n".join(line for line in lines if line)
    if message_excerpt_path == _SPLIT_ITEM_PATH:
        where_line = "Where: across this message and previous messages in this channel."
    elif message_excerpt_path:
        where_line = f"Where: `{shown_field_path(message_excerpt_path).replace('`', WITHHELD)}`."
    else:
        where_line = ""
    lines = [
        f"Your {what} in {where} ({when}) {verdict}.",
        where_line,
        "Part of it was in previous messages in this channel (yours or another member's): an identifier "
        "sent in pieces is still customer data."
        if split
        else "",
        _what_to_do(m),
        f"Reference: {ctx.request_id}" if ctx.request_id else "",
    ]
    return "\n".join(line for line in lines if line)


def alert_text(
    decision: Decision,
    ctx: RequestContext,
    *,
    record_id: str | None = None,
    at: datetime | None = None,
) -> str:
    """Alert for the compliance channel: who, where, what kind, which rule.  No values."""
    when = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    # names only when they carry no long digit run (atrest.shown_name), else the ids
    who = (
        f"@{ctx.username}"
        if shown_name(ctx.username)
        else (ctx.user_id or (f"webhook {ctx.hook_id}" if ctx.hook_id else "unknown sender"))
    )
    counts = decision.entity_counts()
    kinds = ", ".join(f"{t} x{counts.get(t, 0)}" for t in decision.entity_types) or "none"
    team_shown = shown_name(ctx.team_name) or ctx.team_id
    team = f" (team {team_shown})" if team_shown else ""
    parts = [
        f"DLP {decision.action.value.upper()}: {_WHAT.get(ctx.route_group, 'request')} by {who} "
        f"in {_where(ctx)}{team} at {when}",
        f"Rule: {decision.rule_id or '-'} — {decision.reason}",
        f"Found: {kinds}",
        f"Request: {ctx.request_id or '-'}"
        + (f" · record {record_id}" if record_id else "")
        + f" · policy {decision.policy_version}",
    ]
    if decision.details.get("context_failure"):
        parts.append("Context lookup failed; the rule's failure mode was applied.")
    return "\n".join(parts)


# --------------------------------------------------------------------------- the sender's buttons
#: the two buttons on a held message's notice, by report kind -> action id.  Action
#: ids are alphanumeric: Mattermost routes ``/posts/{post_id}/actions/{action_id:[A-Za-z0-9]+}``
#: (server/channels/api4/integration_action.go InitAction)
SENDER_ACTION_IDS: dict[str, str] = {"false_positive": "dlpfalsepositive", "release_request": "dlpreleaserequest"}
#: the dialog's one field, and its bounds (model.DialogElementTextareaMaxLength is 3000)
JUSTIFICATION_FIELD = "justification"
JUSTIFICATION_MIN = 10
JUSTIFICATION_MAX = 3000


def sender_action_attachments(
    policy: Policy | None, *, url: str, contexts: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``props.attachments`` of a held message's notice: "Report a false positive" and
    "Request release" as interactive message buttons (server/public/model/
    integration_action.go PostAction: ``integration: {url, context}``).  ``contexts``:
    the signed context of each kind (dlp_proxy.gateway.actions); Mattermost keeps it
    from the client (stripped from posts, or sealed in the ephemeral post's cookie)."""
    m = _messages(policy)
    labels = {"false_positive": m.report_false_positive, "release_request": m.request_release}
    actions = [
        {
            "id": SENDER_ACTION_IDS[kind],
            "type": "button",
            "name": labels[kind],
            "style": "default" if kind == "false_positive" else "primary",
            "integration": {"url": url, "context": dict(contexts[kind])},
        }
        for kind in SENDER_ACTION_IDS
        if kind in contexts
    ]
    return [{"fallback": f"{m.report_false_positive} / {m.request_release}", "actions": actions}]


def justification_dialog(policy: Policy | None, *, kind: str, reference: str) -> dict[str, Any]:
    """The interactive dialog (model.Dialog) asking for a business justification.
    ``state`` is filled in by the caller (the signed context, returned on submit)."""
    m = _messages(policy)
    submit = m.report_false_positive if kind == "false_positive" else m.request_release
    intro = _fmt(m.justification_intro, contact=m.contact, reference=reference)
    return {
        "callback_id": kind,
        "title": m.justification_title,
        "introduction_text": intro + (f"\n\nReference: {reference}" if reference else ""),
        "elements": [
            {
                "display_name": m.justification_label,
                "name": JUSTIFICATION_FIELD,
                "type": "textarea",
                "subtype": "",
                "default": "",
                "placeholder": "",
                "help_text": m.justification_help,
                "optional": False,
                "min_length": JUSTIFICATION_MIN,
                "max_length": JUSTIFICATION_MAX,
                "data_source": "",
                "options": None,
            }
        ],
        "submit_label": submit,
        "notify_on_cancel": False,
        "state": "",
    }


def report_received(policy: Policy | None, *, reference: str) -> str:
    m = _messages(policy)
    return _fmt(m.report_received, contact=m.contact, reference=reference)


def outcome_notice(messages: Messages | None, outcome: str, *, where: str, entities: str, reference: str,
                   reason: str = "") -> str:
    """What the sender of a held message is told of its ``outcome`` (released |
    rejected | expired), in the ephemeral post and in the bot's DM alike.  ``reason``:
    the reviewer's written reason, already masked; ``entities``: the kinds found
    (``describe_entities``), never a value."""
    m = messages or _DEFAULT_MESSAGES
    ref = _fmt(m.reference, reference=reference)
    if outcome == "released":
        return f"{_fmt(m.released, where=where)} {ref}"
    head = _fmt(m.expired if outcome == "expired" else m.not_released, where=where, entities=entities)
    lines = [head]
    if reason and outcome != "expired":
        lines.append(_fmt(m.reviewer_reason, reason=reason))
    lines.append(f"{_fmt(m.send_instead, secure_channel=m.secure_channel)} {ref}")
    return "\n".join(lines)
