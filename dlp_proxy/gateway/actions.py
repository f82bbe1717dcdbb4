"""The sender's side of a held message: "Report a false positive" / "Request release".

The ephemeral notice of a held message carries two interactive message buttons
(dlp_proxy.policy.notify.sender_action_attachments).  Mattermost runs them
(server/channels/app/integration_action.go):

1. the sender clicks; Mattermost POSTs a ``PostActionIntegrationRequest`` (its own
   ``user_id``, a signed ``trigger_id``, the button's ``context``) to ``BUTTON_PATH``
   on this gateway;
2. the gateway checks the context's token and asks Mattermost to open the
   justification dialog (POST /api/v4/actions/dialogs/open with the trigger id);
3. the sender submits the dialog through the gateway, which inspects the submission
   like any other content (route ``actions.dialog_submit``); Mattermost POSTs the
   ``SubmitDialogRequest`` (``user_id`` set from the session, the dialog ``state``) to
   ``DIALOG_PATH``;
4. the gateway checks the token again, masks the justification with the detector,
   records the report once (``QuarantineService.sender_report``: the item's history and
   the archive), and tells the sender it was received.

Both paths are served on the proxy listener under ``PREFIX``, answered by the
gateway and never forwarded to Mattermost.  Mattermost reaches them at
``DLP_SENDER_ACTIONS_URL``; when that is an internal address, Mattermost's
``ServiceSettings.AllowedUntrustedInternalConnections`` must list it
(docs/quarantine.md "Sender's side").

The token: the button's context holds the item id, the report kind, an expiry and a
nonce, and an HMAC-SHA256 over those and the sender's Mattermost user id, keyed by a
key derived from the gateway's hash key (dlp_proxy.keys).  The sender id is not in
the context: the MAC only verifies with the ``user_id`` Mattermost attests, so a
click or submission by anyone else fails.  Mattermost never shows the context to the
client (stripped from posts, sealed in the ephemeral post's cookie); the dialog
``state`` is shown to the sender's own client, and is bound to the sender alike.
A token records one report: its MAC is marked used in Redis (SET NX) before the
report is written, so a replayed submission is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from dlp_proxy.gateway import responses
from dlp_proxy.interfaces import Detector, PolicyEngine
from dlp_proxy.policy.notify import (
    JUSTIFICATION_FIELD,
    JUSTIFICATION_MAX,
    JUSTIFICATION_MIN,
    justification_dialog,
    report_received,
    sender_action_attachments,
)

log = logging.getLogger("dlp_proxy.sender_actions")

PREFIX = "/dlp-proxy/sender/"
BUTTON_PATH = PREFIX + "action"
DIALOG_PATH = PREFIX + "dialog"
KINDS = ("false_positive", "release_request")
FORBIDDEN_ID = "api.dlp.sender_action.forbidden.app_error"
NOT_FOUND_ID = "api.dlp.sender_action.not_found.app_error"
#: a PostActionIntegrationRequest / SubmitDialogRequest is small; the justification at most 3000 runes
MAX_BODY = 64 * 1024
_PURPOSE = b"dlp-proxy sender actions v1"


class TokenError(Exception):
    """A context or dialog state that does not verify; the message names why (no values)."""


@dataclass(frozen=True, slots=True)
class Claims:
    item_id: str
    kind: str
    sender_id: str
    expires_at: int
    mac: str


class SenderTokens:
    """Mint and verify the per-notice tokens (see the module doc)."""

    def __init__(self, hash_key: bytes, *, clock: Callable[[], float] = time.time) -> None:
        # a key of its own: a token MAC is never comparable with a content hash
        self._key = hmac.new(hash_key, _PURPOSE, hashlib.sha256).digest()
        self.clock = clock

    def _mac(self, item_id: str, sender_id: str, kind: str, exp: str, nonce: str) -> str:
        msg = "\x00".join(("v1", item_id, sender_id, kind, exp, nonce)).encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()

    def mint(self, item_id: str, sender_id: str, kind: str, expires_at: float) -> dict[str, str]:
        if kind not in KINDS:
            raise ValueError(f"unknown report kind {kind!r}")
        exp = str(int(expires_at))
        nonce = secrets.token_hex(8)
        return {"v": "1", "item": item_id, "kind": kind, "exp": exp, "nonce": nonce,
                "mac": self._mac(item_id, sender_id, kind, exp, nonce)}

    def verify(self, context: Any, user_id: Any) -> Claims:
        if not isinstance(context, dict) or context.get("v") != "1":
            raise TokenError("no token")
        fields = [context.get(k) for k in ("item", "kind", "exp", "nonce", "mac")]
        if not all(isinstance(f, str) and f for f in fields) or not isinstance(user_id, str) or not user_id:
            raise TokenError("incomplete token")
        item, kind, exp, nonce, mac = (str(f) for f in fields)
        if kind not in KINDS or not exp.isdigit():
            raise TokenError("malformed token")
        if not hmac.compare_digest(self._mac(item, user_id, kind, exp, nonce), mac):
            raise TokenError("token does not verify for this user")
        if int(exp) < self.clock():
            raise TokenError("token expired")
        return Claims(item_id=item, kind=kind, sender_id=user_id, expires_at=int(exp), mac=mac)


class SenderActions:
    """Serves ``BUTTON_PATH`` and ``DIALOG_PATH``; builds the buttons for a notice."""

    def __init__(
        self,
        *,
        base_url: str | None,
        tokens: SenderTokens,
        redis: Any,
        quarantine: Any,
        detector: Detector,
        upstream: httpx.AsyncClient,
        notify_token: str | None,
        policy: Callable[[], PolicyEngine],
        lifetime: float,
    ) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.tokens = tokens
        self.redis = redis
        self.quarantine = quarantine
        self.detector = detector
        self.upstream = upstream
        self.notify_token = notify_token
        self.policy = policy
        #: how long a notice's buttons work: as long as the item can still be decided
        self.lifetime = lifetime

    @property
    def enabled(self) -> bool:
        return self.base_url is not None

    # ------------------------------------------------------------ the notice
    def attachments(self, item_id: str, sender_id: str, policy: PolicyEngine | None) -> list[dict[str, Any]] | None:
        """The buttons for the notice of held item ``item_id`` (None: not configured)."""
        if self.base_url is None or not item_id or not sender_id:
            return None
        exp = self.tokens.clock() + self.lifetime
        contexts = {kind: self.tokens.mint(item_id, sender_id, kind, exp) for kind in KINDS}
        return sender_action_attachments(policy, url=self.base_url + BUTTON_PATH, contexts=contexts)

    # -------------------------------------------------------------- serving
    async def handle(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        rid = responses.new_request_id()
        route = path.split("?", 1)[0]
        if not self.enabled or route not in (BUTTON_PATH, DIALOG_PATH):
            return responses.app_error(404, NOT_FOUND_ID, "No such sender action.", request_id=rid)
        if method.upper() != "POST":
            return responses.app_error(405, responses.BAD_REQUEST_ID, "Only POST.", request_id=rid)
        if len(body) > MAX_BODY:
            return responses.app_error(413, responses.TOO_LARGE_ID, "The request is too large.", request_id=rid)
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            return responses.app_error(400, responses.BAD_REQUEST_ID, "A JSON object is expected.", request_id=rid)
        try:
            if route == BUTTON_PATH:
                return await self._button(doc, rid)
            return await self._dialog(doc, rid)
        except TokenError as exc:
            log.warning("sender action refused", extra={"reason": str(exc), "path": route})
            return responses.app_error(403, FORBIDDEN_ID, "This button or form is not valid for you (or has expired).",
                                       request_id=rid, detailed_error=str(exc))

    async def _button(self, doc: dict[str, Any], rid: str) -> tuple[int, dict[str, str], bytes]:
        """A click (PostActionIntegrationRequest): open the justification dialog."""
        claims = self.tokens.verify(doc.get("context"), doc.get("user_id"))
        await self._item_of_sender(claims)
        trigger_id = doc.get("trigger_id")
        if not isinstance(trigger_id, str) or not trigger_id:
            return _ok({"ephemeral_text": "Mattermost sent no trigger id: the form cannot be opened."})
        policy = self.policy()
        dialog = justification_dialog(policy, kind=claims.kind, reference=claims.item_id)
        dialog["state"] = json.dumps(doc["context"], sort_keys=True, separators=(",", ":"))
        assert self.base_url is not None
        try:
            resp = await self.upstream.post("/api/v4/actions/dialogs/open", json={
                "trigger_id": trigger_id, "url": self.base_url + DIALOG_PATH, "dialog": dialog})
            opened = resp.status_code < 300
        except httpx.HTTPError:
            opened = False
        if not opened:
            log.warning("justification dialog could not be opened", extra={"item_id": claims.item_id})
            return _ok({"ephemeral_text": "The form could not be opened. Try again in a moment."})
        return _ok({})

    async def _dialog(self, doc: dict[str, Any], rid: str) -> tuple[int, dict[str, str], bytes]:
        """A submission (SubmitDialogRequest): record the report once."""
        try:
            context = json.loads(str(doc.get("state") or ""))
        except ValueError:
            context = None
        claims = self.tokens.verify(context, doc.get("user_id"))
        if doc.get("cancelled"):
            return _ok({})
        submission = doc.get("submission")
        text = submission.get(JUSTIFICATION_FIELD) if isinstance(submission, dict) else None
        if not isinstance(text, str) or len(text.strip()) < JUSTIFICATION_MIN:
            return _ok({"errors": {JUSTIFICATION_FIELD: f"Write at least {JUSTIFICATION_MIN} characters."}})
        if len(text) > JUSTIFICATION_MAX:
            return _ok({"errors": {JUSTIFICATION_FIELD: f"Write at most {JUSTIFICATION_MAX} characters."}})
        await self._item_of_sender(claims)
        masked = await self.mask(text.strip())
        ttl = max(1, claims.expires_at - int(self.tokens.clock()))
        used_key = f"dlp:sender-actions:used:{claims.mac}"
        if not await self.redis.set(used_key, "1", nx=True, ex=ttl):
            return _ok({"error": "This report was already sent."})
        try:
            await self.quarantine.sender_report(claims.item_id, claims.sender_id, claims.kind, masked)
        except Exception:
            await self.redis.delete(used_key)  # not recorded: the sender may try again
            raise
        await self._confirm(claims, doc.get("channel_id"))
        return _ok({})

    async def _item_of_sender(self, claims: Claims) -> None:
        from dlp_proxy.quarantine import NotFound

        try:
            item = await self.quarantine.get(claims.item_id)
        except NotFound:
            raise TokenError("no such item") from None
        if item.get("sender_id") != claims.sender_id:
            raise TokenError("not the sender of this item")

    async def mask(self, text: str) -> str:
        """The justification with every finding masked (any score: it is stored), and
        every other run of four or more digits too (``mask_free_text``): a bare SSN
        carries no context for the detector to find it by."""
        from dlp_proxy.policy.redact import mask_free_text

        findings = await asyncio.to_thread(self.detector.analyze, text)
        return mask_free_text(text, findings)

    async def _confirm(self, claims: Claims, channel_id: Any) -> None:
        if not self.notify_token or not isinstance(channel_id, str) or not channel_id:
            return
        text = report_received(self.policy(), reference=claims.item_id)
        try:
            await self.upstream.post("/api/v4/posts/ephemeral", headers={"Authorization": f"Bearer {self.notify_token}"},
                                     json={"user_id": claims.sender_id, "post": {
                                         "channel_id": channel_id, "message": text,
                                         "props": {"from_dlp_proxy": True, "dlp_item_id": claims.item_id}}})
        except httpx.HTTPError:
            log.warning("report confirmation not sent", extra={"item_id": claims.item_id})


def _ok(doc: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, json.dumps(doc).encode()
