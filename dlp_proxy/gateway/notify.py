"""Telling people: the sender (ephemeral post) and compliance (alert channel).

The web app does not show a failed post's error text (it marks the post
"failed" with a retry link), so the sender is also told through Mattermost
itself: an ephemeral post in the channel they wrote in, sent with the
gateway's notification token (a bot or admin account holding
``create_post_ephemeral``; ``DLP_NOTIFY_TOKEN``).  Notifications never carry
the identifier, only its kind.  They are best effort and happen after the
decision is archived; a failure is logged, never retried into a loop.
"""

from __future__ import annotations

import logging

import httpx

from dlp_proxy.gateway.actions import SenderActions
from dlp_proxy.gateway.pipeline import Notifier
from dlp_proxy.interfaces import PolicyEngine
from dlp_proxy.model import Decision, RequestContext

log = logging.getLogger("dlp_proxy.notify")


class MattermostNotifier(Notifier):
    def __init__(self, client: httpx.AsyncClient, token: str | None, actions: SenderActions | None = None) -> None:
        self.client = client
        self.token = token
        #: the held notice's buttons (dlp_proxy.gateway.actions; None: no buttons)
        self.actions = actions

    async def notify(self, ctx: RequestContext, decision: Decision, record_id: str,
                     policy: PolicyEngine | None = None, item_id: str = "") -> None:
        """``policy``: the one that decided (its ``messages`` word the notice);
        ``item_id``: the quarantine item of a held request (its notice gets the
        sender's buttons, and a durable copy as a DM from the bot)."""
        if not self.token:
            return
        from dlp_proxy.policy import alert_text, sender_notice
        from dlp_proxy.quarantine.notices import send_dm

        headers = {"Authorization": f"Bearer {self.token}"}
        if decision.notify_sender and ctx.user_id and ctx.channel_id:
            where = next((path for path, _ in decision.findings), "the message")
            text = sender_notice(decision, ctx, message_excerpt_path=where, policy=policy)
            props: dict[str, object] = {"from_dlp_proxy": True, "dlp_record_id": record_id}
            buttons = self.actions.attachments(item_id, ctx.user_id, policy) if (self.actions and item_id) else None
            if buttons:
                props.update({"dlp_item_id": item_id, "attachments": buttons})
            resp = await self.client.post(
                "/api/v4/posts/ephemeral",
                json={"user_id": ctx.user_id, "post": {"channel_id": ctx.channel_id, "message": text, "props": props}},
                headers=headers,
            )
            if resp.status_code >= 300:
                log.warning("sender notification refused", extra={"status": resp.status_code, "record_id": record_id})
            if item_id:
                status = await send_dm(self.client, "", self.token, ctx.user_id, text,
                                       {"dlp_record_id": record_id, "dlp_item_id": item_id, "dlp_outcome": "held"})
                if status != "sent":
                    log.warning("held DM not sent", extra={"status": status, "record_id": record_id})
        if decision.alert_channel_id:
            resp = await self.client.post(
                "/api/v4/posts",
                json={"channel_id": decision.alert_channel_id, "message": alert_text(decision, ctx),
                      "props": {"from_dlp_proxy": True, "dlp_record_id": record_id}},
                headers=headers,
            )
            if resp.status_code >= 300:
                log.warning("compliance alert refused", extra={"status": resp.status_code, "record_id": record_id})
