"""Outcome notices as a direct message from the bot: held, released, rejected, expired.

An ephemeral post is gone on reload and never reaches an offline phone (Mattermost
does not store it, and push notifications are not sent for it), so every outcome is
also sent as a direct message from the notification bot (``DLP_NOTIFY_TOKEN``) to
the sender: GET /api/v4/users/me (the bot's own id, once per token), POST
/api/v4/channels/direct ``[bot_id, sender_id]`` (creates the DM channel or returns
the existing one: app/channel.go GetOrCreateDirectChannel), then POST /api/v4/posts.
The ephemeral notice stays, for immediacy.

Like the ephemeral notice, a DM names the kind of data, never a value; a rejection
carries the reviewer's written reason.  Best effort: the outcome stands whatever
happens here, and how it went is kept on the item (``dm_status``).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from dlp_proxy import atrest
from dlp_proxy.model import describe_entities
from dlp_proxy.policy.notify import outcome_notice
from dlp_proxy.policy.schema import Messages

if TYPE_CHECKING:
    from dlp_proxy.quarantine.delivery import QuarantineDelivery

log = logging.getLogger("dlp_proxy.quarantine.notices")

#: SHA-256 of a token -> the bot's user id (a token's owner does not change)
_BOT_IDS: dict[str, str] = {}


async def send_dm(client: httpx.AsyncClient, base_url: str, token: str, user_id: str, message: str,
                  props: Mapping[str, Any] | None = None) -> str:
    """Post ``message`` in the DM channel of the token's bot and ``user_id``.
    ``base_url``: Mattermost's URL ("" when ``client`` has it as its base).
    Returns "sent" or what failed (for the item; no content)."""
    headers = {"Authorization": f"Bearer {token}"}
    token_key = hashlib.sha256(token.encode()).hexdigest()
    try:
        bot_id = _BOT_IDS.get(token_key)
        if bot_id is None:
            me = await client.get(base_url + "/api/v4/users/me", headers=headers)
            if me.status_code >= 300:
                return f"failed: users/me HTTP {me.status_code}"
            bot_id = str(me.json().get("id", ""))
            if not bot_id:
                return "failed: users/me without an id"
            _BOT_IDS[token_key] = bot_id
        if bot_id == user_id:
            return "not sent: the sender is the bot itself"
        ch = await client.post(base_url + "/api/v4/channels/direct", json=[bot_id, user_id], headers=headers)
        if ch.status_code >= 300:
            return f"failed: channels/direct HTTP {ch.status_code}"
        channel_id = str(ch.json().get("id", ""))
        post = await client.post(base_url + "/api/v4/posts", headers=headers, json={
            "channel_id": channel_id, "message": message, "props": {"from_dlp_proxy": True, **(props or {})}})
        return "sent" if post.status_code < 300 else f"failed: posts HTTP {post.status_code}"
    except (httpx.HTTPError, ValueError) as exc:
        return f"failed: {type(exc).__name__}"


def _where(h: Mapping[str, str]) -> str:
    if h.get("channel_type") in ("D", "G"):
        return "a direct message"
    name = h.get("channel_name", "")
    # kept hashed (``~`` + hex) when it carries a long digit run (atrest.safe_name): not shown
    if name and not name.startswith("~") and atrest.shown_name(name):
        return f"~{name}"
    return "a channel"


def outcome_text(h: Mapping[str, str], outcome: str, messages: Messages | None = None, *, reason: str = "") -> str:
    """What the sender is told of ``outcome`` (released | rejected | expired) of held
    item ``h``, in the policy's wording (``messages:``; dlp_proxy.policy.notify)."""
    what = describe_entities([e for e in h.get("entity_types", "").split(",") if e])
    return outcome_notice(messages, outcome, where=_where(h), entities=what, reference=h.get("id", ""),
                          reason=reason)


async def outcome_dm(service: QuarantineDelivery, h: Mapping[str, str], outcome: str, *, reason: str = "") -> None:
    """Send the outcome DM for held item ``h``; record how it went on the item."""
    token = service.settings.notify_token
    user, item_id = h.get("sender_id", ""), h.get("id", "")
    if not token or not user:
        return
    status = await send_dm(service._client(), service.upstream_url, token, user,
                           outcome_text(h, outcome, service.messages(), reason=reason), {"dlp_item_id": item_id, "dlp_outcome": outcome})
    if status != "sent":
        log.warning("outcome DM not sent", extra={"item_id": item_id, "status": status})
    await service._retrying(lambda: service.r.hset(service._k("item", item_id), "dm_status", f"{outcome}: {status}"))
