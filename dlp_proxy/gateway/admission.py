"""Credentials of the routes Mattermost serves without a session, checked before the body.

An incoming webhook's id is the credential of ``POST /hooks/{id}`` (web/webhook.go
``incomingWebhook``: ``APIHandlerTrustRequester``, no session; app/webhook.go
``HandleIncomingWebhook`` looks the hook up and answers 400
``web.incoming_webhook.invalid.app_error`` "Invalid webhook." to an unknown one, 501
``web.incoming_webhook.disabled.app_error`` when incoming webhooks are off).  A remote
cluster's ``X-RemoteCluster-Id``/``X-RemoteCluster-Token`` is the credential of
``/api/v4/remotecluster/*`` (web/handlers.go ``ServeHTTP``: ``RequireRemoteClusterToken``,
401 ``api.context.session_expired.app_error`` before the handler reads the body).

Attack 21h F1: the gateway decoded, scanned (1.87 s of CPU for 60 KB) and archived
(13-27x the body) requests to hooks that do not exist and with invented remote-cluster
tokens, which Mattermost refuses before any content work.  So the gateway asks first:

- a hook: ``GET /api/v4/hooks/incoming/{id}`` with the gateway's lookup token
  (``DLP_NOTIFY_TOKEN``, a system admin; what ``principals.hook_owner`` reads), known
  hooks remembered ``KNOWN_SECONDS``, unknown ones ``UNKNOWN_SECONDS``; a lookup that
  fails (Mattermost unreachable, an unexpected answer) refuses the request (503, fail
  closed) and is not remembered;
- a remote-cluster credential: ``POST /api/v4/remotecluster/ping`` with the same two
  headers and an empty frame: 401 means Mattermost refuses the credential (it checks it
  before the body, so the empty frame is never read then); any other answer (a 400
  for the empty frame) means it accepts it.

Lookups run at most ``CONCURRENT`` at once (a flood of random ids waits for them, and is
refused 503 when the wait passes ``TIMEOUT``): a random id costs one Mattermost lookup,
as it costs Mattermost one store lookup.

Slash-command response hooks (``/hooks/commands/{id}``, web/webhook.go ``commandWebhook``,
``APIHandlerTrustRequester``) cannot be looked up: Mattermost has no API that reads a
command webhook (model.CommandWebhook is never served), and no request tells a live hook
from an unknown one without using one of its five uses (app/webhook.go
``HandleCommandWebhook``: the store's ``Get``, 404 ``app.command_webhook.get.missing`` for
an unknown or expired one, then ``TryUse(hook.Id, 5)``, 400
``app.command_webhook.try_use.invalid`` past the fifth use, before anything is posted).
So they are bounded instead (``CommandHooks``, issue 16):

- an id that is no Mattermost id (``model.NewId``: 26 characters of ``[a-z0-9]``) names no
  hook: answered 404 ``app.command_webhook.get.missing`` before the body (Mattermost
  would read the body first and answer 400 to one it cannot parse, 404 otherwise);
- Mattermost's answers are remembered: an id it did not find is answered that 404 before
  the body for ``UNKNOWN_SECONDS`` (a ``NewId`` is never issued again); a hook it
  accepted is counted, and its sixth use, or any use ``COMMAND_HOOK_LIFETIME`` after the
  first accepted one (the hook was created before it), is answered as Mattermost answers
  them (400 ``try_use.invalid``; 404) before the body;
- any other request is judged without credentials: the unauthenticated body cap
  (``DLP_UNAUTHENTICATED_MAX_BODY``, below Mattermost's ``MaximumPayloadSizeBytes``; also
  with a user's token, which Mattermost ignores here, until Mattermost has accepted a use
  of the hook) and scan time charged to the client address and to the total of requests
  without a user (``DLP_UNAUTHENTICATED_SCAN_SECONDS``; a user's token moves the charge
  to that user).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx

from dlp_proxy.gateway.lookups import TtlCache
from dlp_proxy.model import is_mattermost_id

log = logging.getLogger("dlp_proxy.gateway")

#: seconds a hook Mattermost knows (or a remote-cluster credential it accepted) is trusted
KNOWN_SECONDS = 300.0
#: seconds a hook Mattermost does not know (or a refused credential) is refused without asking again
UNKNOWN_SECONDS = 60.0
#: lookups at once, and how long one (its wait for a turn included) may take
CONCURRENT = 8
TIMEOUT = 5.0
#: a Mattermost id (model.IsValidId): any other hook id cannot exist

HOOK_INVALID_ID = "web.incoming_webhook.invalid.app_error"
HOOK_INVALID_MESSAGE = "Invalid webhook."
HOOK_DISABLED_ID = "web.incoming_webhook.disabled.app_error"
HOOK_DISABLED_MESSAGE = "Incoming webhooks have been disabled by the system admin."


#: app/webhook.go HandleCommandWebhook: ``TryUse(hook.Id, 5)``; model.CommandWebhookLifetime
COMMAND_HOOK_USES = 5
COMMAND_HOOK_LIFETIME = 30 * 60.0
COMMAND_HOOK_MISSING_ID = "app.command_webhook.get.missing"
COMMAND_HOOK_MISSING_MESSAGE = "Webhook does not exist."
COMMAND_HOOK_USED_ID = "app.command_webhook.try_use.invalid"
COMMAND_HOOK_USED_MESSAGE = "Invalid webhook."


class CommandHooks:
    """What the gateway knows of slash-command response hooks, from Mattermost's own
    answers to the requests it forwarded (module docstring).  Process-local, bounded."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = 10_000) -> None:
        self.clock = clock
        self._unknown: TtlCache[str, int] = TtlCache(UNKNOWN_SECONDS, max_entries, clock)
        #: accepted hooks: (first accepted, uses seen); bounded like a TtlCache
        self._known: dict[str, tuple[float, int]] = {}
        self.max_entries = max_entries

    def refusal(self, hook_id: str) -> tuple[int, str, str] | None:
        """Mattermost's answer to a use of ``hook_id`` when it is certain before the body
        (status, AppError id, message), else None (to be judged and forwarded)."""
        if not is_mattermost_id(hook_id) or self._unknown.cached(hook_id)[0]:
            return 404, COMMAND_HOOK_MISSING_ID, COMMAND_HOOK_MISSING_MESSAGE
        known = self._known.get(hook_id)
        if known is not None:
            first, uses = known
            if self.clock() - first >= COMMAND_HOOK_LIFETIME:
                return 404, COMMAND_HOOK_MISSING_ID, COMMAND_HOOK_MISSING_MESSAGE
            if uses >= COMMAND_HOOK_USES:
                return 400, COMMAND_HOOK_USED_ID, COMMAND_HOOK_USED_MESSAGE
        return None

    def accepted(self, hook_id: str) -> bool:
        """Whether Mattermost accepted a use of ``hook_id`` (a live hook, as far as known)."""
        return hook_id in self._known and self.refusal(hook_id) is None

    def answered(self, hook_id: str, status: int, error_id: str) -> None:
        """Mattermost answered a forwarded use of ``hook_id``."""
        if not is_mattermost_id(hook_id):
            return
        if 200 <= status < 300:
            first, uses = self._known.get(hook_id, (self.clock(), 0))
            if hook_id not in self._known and len(self._known) >= self.max_entries:
                now = self.clock()
                self._known = {k: v for k, v in self._known.items() if now - v[0] < COMMAND_HOOK_LIFETIME}
                if len(self._known) >= self.max_entries:
                    self._known.clear()
            self._known[hook_id] = (first, uses + 1)
        elif status == 404 and error_id == COMMAND_HOOK_MISSING_ID:
            self._known.pop(hook_id, None)
            self._unknown.remember(hook_id, 404)
        elif status == 400 and error_id == COMMAND_HOOK_USED_ID:
            first = self._known.get(hook_id, (self.clock(), 0))[0]
            self._known[hook_id] = (first, COMMAND_HOOK_USES)


class LookupFailed(Exception):
    """Mattermost could not be asked (or answered something unexpected): fail closed."""


class CredentialCheck:
    """Incoming-webhook ids and remote-cluster credentials, as Mattermost judges them."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        token: str | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.client = client
        self.token = token
        self._known: TtlCache[str, int] = TtlCache(KNOWN_SECONDS, max_entries, clock)
        self._unknown: TtlCache[str, int] = TtlCache(UNKNOWN_SECONDS, max_entries, clock)
        self._turns = asyncio.Semaphore(CONCURRENT)
        self._key = secrets.token_bytes(32)
        #: Mattermost lookups made (a test and the metrics read it)
        self.lookups = 0

    @property
    def can_check_hooks(self) -> bool:
        return self.client is not None and bool(self.token)

    @property
    def can_check_services(self) -> bool:
        return self.client is not None

    def _cached(self, key: str) -> int | None:
        """200: known; another status: Mattermost's refusal; None: not cached."""
        hit, status = self._known.cached(key)
        if hit:
            return status
        hit, status = self._unknown.cached(key)
        return status if hit else None

    def hook_cached(self, hook_id: str) -> int | None:
        if not is_mattermost_id(hook_id):
            return 400  # never a Mattermost id: no hook has it
        return self._cached("h:" + hook_id)

    async def hook(self, hook_id: str) -> int:
        """200 when the incoming webhook exists; 400 (unknown) or 501 (incoming webhooks
        off) as Mattermost answers then; ``LookupFailed`` otherwise."""
        cached = self.hook_cached(hook_id)
        if cached is not None:
            return cached
        assert self.client is not None and self.token
        resp = await self._ask(
            "GET", f"/api/v4/hooks/incoming/{hook_id}", {"Authorization": f"Bearer {self.token}"}, None
        )
        if resp.status_code == 200:
            status = 200
        elif resp.status_code in (400, 404):
            status = 400  # api4/webhook.go getIncomingHook: app.webhooks.get_incoming.app_error
        elif resp.status_code == 501:
            status = 501
        else:
            # 401/403: the lookup token is not an admin's (or expired): nothing is known
            raise LookupFailed(f"Mattermost answered {resp.status_code} to the webhook lookup")
        self._remember("h:" + hook_id, status)
        return status

    def service_key(self, remote_id: str, token: str) -> str:
        return "r:" + hmac.new(self._key, f"{remote_id}\x00{token}".encode(), "sha256").hexdigest()

    def service_cached(self, remote_id: str, token: str) -> int | None:
        return self._cached(self.service_key(remote_id, token))

    async def remote_cluster(self, remote_id: str, token: str) -> int:
        """200 when Mattermost accepts the remote-cluster credential, 401 when it refuses it."""
        key = self.service_key(remote_id, token)
        cached = self._cached(key)
        if cached is not None:
            return cached
        resp = await self._ask(
            "POST",
            "/api/v4/remotecluster/ping",
            {
                "X-RemoteCluster-Id": remote_id,
                "X-RemoteCluster-Token": token,
                "Content-Type": "application/json",
            },
            b"{}",
        )
        if resp.status_code in (401, 403):
            status = 401
        elif resp.status_code >= 500 or resp.status_code == 404:
            raise LookupFailed(f"Mattermost answered {resp.status_code} to the remote-cluster ping")
        else:
            status = 200
        self._remember(key, status)
        return status

    def remember_service(self, remote_id: str, token: str) -> None:
        """Mattermost accepted the credential on a forwarded request."""
        self._remember(self.service_key(remote_id, token), 200)

    def _remember(self, key: str, status: int) -> None:
        (self._known if status == 200 else self._unknown).remember(key, status)

    async def _ask(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Any:
        assert self.client is not None
        try:
            async with asyncio.timeout(TIMEOUT):
                async with self._turns:
                    self.lookups += 1
                    return await self.client.request(method, path, headers=headers, content=body)
        except (httpx.HTTPError, TimeoutError) as exc:
            raise LookupFailed(f"Mattermost could not be asked: {type(exc).__name__}") from exc
