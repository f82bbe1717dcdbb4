"""The mitmproxy addon: translates flows to the pipeline and enforces fail-closed.

mitmproxy logs an exception raised by an addon and lets the flow continue
(addonmanager.safecall), so an unhandled error would forward the request
unjudged.  Every hook here catches everything itself.  The ``request`` hook
forwards plain reads synchronously and returns a coroutine for everything else:
mitmproxy awaits a hook's awaitable result in the connection's own task, so
awaiting the archive or Redis does not stall other connections.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

from mitmproxy import connection, http

from dlp_proxy.forwarding import client_address, peer_is_trusted
from dlp_proxy.gateway import mentions, responses
from dlp_proxy.gateway.actions import PREFIX as SENDER_PREFIX
from dlp_proxy.gateway.actions import SenderActions
from dlp_proxy.gateway.admission import CommandHooks, CredentialCheck
from dlp_proxy.gateway.budget import address_group
from dlp_proxy.gateway.context import (
    plugin_token,
    session_refused,
    token_from_request,
    token_location,
    too_many_cookies,
)
from dlp_proxy.gateway.headers import oversized
from dlp_proxy.gateway.integrations import PREVIEW_ROUTES, WATCHED_ROUTES, job_for, outgoing_job
from dlp_proxy.gateway.lookups import TtlCache
from dlp_proxy.gateway.pipeline import GatewayRequest, Pipeline, Verdict, deleted_post, replaced_scheduled
from dlp_proxy.gateway.routes import WRITE_METHODS, Body
from dlp_proxy.interfaces import ArchiveError, PolicyEngine
from dlp_proxy.model import Action
from dlp_proxy.settings import Settings

log = logging.getLogger("dlp_proxy.gateway")

#: websocket messages kept per flow (mitmproxy keeps every message otherwise)
WEBSOCKET_HISTORY = 0

#: flow.metadata keys: answer now, before the body is read (``patch_mitmproxy_early_answer``);
#: the largest body this flow may have (counted as it streams in when no Content-Length)
EARLY = "dlp_early"
BODY_LIMIT = "dlp_body_limit"
#: flow.metadata key: the cap the request was admitted with (its decoded readings are held to it)
ADMITTED_CAP = "dlp_admitted_cap"
#: flow.metadata key: the user whose credentials the request carries, when known before
#: its body (its bytes in flight count against that user's share: ``_party``)
PARTY_USER = "dlp_party_user"
#: flow.metadata key: for a body without Content-Length, the addon's ``_grow``: its share
#: of the bytes-in-flight budget grows as the body arrives (False: the budget is spent)
BODY_GROW = "dlp_body_grow"
#: a body of more than this many bytes (declared, or a route cap without Content-Length)
#: is *large*: one party may have ``Limits.max_large_bodies_per_client`` of them arriving
LARGE_BODY = 1024 * 1024
#: flow.metadata keys of a body written to disk as it arrives (``patch_mitmproxy_early_answer``):
#: its ``filescan.SpoolWriter`` while it arrives, the bytes received, its ``filescan.Spooled``
#: once complete, why it could not be kept (the request is then refused, fail closed)
SPOOL = "dlp_spool"
SPOOL_WANTED = "dlp_spool_wanted"
SPOOL_RECEIVED = "dlp_spool_received"
SPOOLED = "dlp_spooled"
SPOOL_FAILED = "dlp_spool_failed"
#: flow.metadata key: the piece a created post put in the split window, tagged with the
#: post's id from Mattermost's answer, or withdrawn if it refuses (``Pipeline.split_answered``)
SPLIT_PIECE = "dlp_split_piece"
#: a post a forwarded DELETE removes: its pieces leave the split window once Mattermost
#: answered 200 (``Pipeline.split_post_deleted``)
SPLIT_DELETED = "dlp_split_deleted"
#: an upload's files' text ends, kept by the ids in Mattermost's answer
#: (``Pipeline.split_files_uploaded``)
SPLIT_FILES = "dlp_split_files"
#: flow.metadata key: (method, path, has a body, ``Pipeline.classify``'s answer) as
#: ``requestheaders`` classified the request; ``_request`` judges with it when the
#: method, path and body presence are still the same (one classification a request)
CLASSIFIED = "dlp_classified"
#: a file route's (or an upload chunk's) body larger than this is spooled as it arrives (smaller ones are read inline)
SPOOL_BODY_MIN = 256 * 1024
#: bytes of a spooled body queued in the upstream connection's write buffer above which
#: the forward waits for Mattermost to take them (``_pump_spool``)
FORWARD_HIGH_WATER = 1024 * 1024

UNAUTHENTICATED_ID = "api.dlp.unauthenticated.app_error"
#: flow.metadata keys of a websocket: whether it is authenticated (the upgrade's
#: credentials, or an ``authentication_challenge`` frame Mattermost will accept), and the
#: refusal reasons already archived for it (a repeated one is counted, not archived again)
WS_AUTH = "dlp_ws_auth"
WS_ARCHIVED = "dlp_ws_archived"
#: seconds an unauthenticated websocket may stay open: Mattermost closes one that set no
#: token at the first tick of its ``authTicker`` (app/platform/web_conn.go
#: ``authCheckInterval = 5 * time.Second``, writePump)
WS_AUTH_SECONDS = 5.0
BUSY_ID = responses.MIDBODY_BUSY_ID

#: content routes Mattermost serves without a session (web/webhook.go: the hook id is the credential)
_NO_SESSION_ROUTES = frozenset({"hooks.incoming", "hooks.command_response"})
#: service credentials Mattermost checks on their own routes only, before it reads a body
#: (web/handlers.go ServeHTTP: RequireCloudKey, RequireRemoteClusterToken, which looks the
#: X-RemoteCluster-Id up and compares its token): the route prefix and the headers that
#: make up the credential
_SERVICE_TOKENS = (("/api/v4/cloud/", ("x-cloud-token",)),
                   ("/api/v4/remotecluster/", ("x-remotecluster-id", "x-remotecluster-token")))
#: flow.metadata key: the keyed hash of a service credential not yet seen accepted
SERVICE_CREDENTIAL = "dlp_service_credential"
#: flow.metadata key: the id of the command hook a forwarded request uses (its answer is learnt)
COMMAND_HOOK = "dlp_command_hook"
#: how long a service credential Mattermost accepted is trusted with its routes' caps
SERVICE_TRUST_SECONDS = 3600.0


def _command_hook_id(target: str) -> str:
    """The id of ``/hooks/commands/{id}`` as Mattermost reads it: the path percent-decoded
    once (Go's url.ParseRequestURI), as written; the route table's reading is lower-cased,
    and an id in another case is another id (``NewId`` makes lower-case ones)."""
    from urllib.parse import unquote

    path = unquote(target.split("?", 1)[0], errors="replace")
    at = path.rfind("/hooks/commands/")
    return path[at + len("/hooks/commands/"):] if at >= 0 else ""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one client may cost the gateway before it is judged (docs/architecture.md)."""

    #: largest body of a route that carries no files: Mattermost refuses more than
    #: ServiceSettings.MaximumPayloadSizeBytes (+512) on those (web/handlers.go)
    max_text_body_bytes: int = 4 * 1024 * 1024
    #: largest body of a write without (valid) credentials to a route Mattermost may
    #: serve without a session (an unknown write, a webhook-like plugin route)
    unauthenticated_max_body_bytes: int = 64 * 1024
    #: request bodies being received or judged, all connections together (503 above)
    max_inflight_bytes: int = 256 * 1024 * 1024
    #: of those, what one party (a user; without valid credentials, a client address) may
    #: hold; a single request may still take its route's cap (0: no cap)
    max_inflight_bytes_per_client: int = 64 * 1024 * 1024
    #: open client connections per address (an IPv6 /64 counts as one; 0: no cap); peers
    #: in DLP_TRUSTED_PROXIES are not capped, the addresses they forward are (their
    #: requests in progress and websockets: ``DLPAddon._forwarded_slot``)
    max_connections_per_ip: int = 256
    #: open client connections in all (0: no cap; ``connection_cap`` works it out from the
    #: process's file limit): above it a new connection is closed at once
    max_client_connections: int = 0
    #: large bodies (``LARGE_BODY``) one party may have arriving at once (0: no cap)
    max_large_bodies_per_client: int = 16
    #: seconds from connect (or the end of the previous exchange) to complete request headers
    header_timeout: float = 75.0
    #: seconds a body may take to arrive, plus one per ``body_min_rate`` bytes it declares;
    #: also the grace period after which the bytes received must keep up with
    #: ``body_min_rate`` (``received >= body_min_rate * (elapsed - body_timeout)``)
    body_timeout: float = 60.0
    body_min_rate: float = 16 * 1024
    #: seconds a body may go without a byte before its connection is closed (0: no limit)
    body_idle_timeout: float = 30.0

    @classmethod
    def from_settings(cls, cfg: Settings) -> Limits:
        return cls(max_text_body_bytes=cfg.max_text_body, unauthenticated_max_body_bytes=cfg.unauthenticated_max_body,
                   max_inflight_bytes=cfg.max_inflight_bytes,
                   max_inflight_bytes_per_client=cfg.max_inflight_bytes_per_client,
                   max_connections_per_ip=cfg.max_connections_per_ip,
                   max_client_connections=connection_cap(cfg.max_client_connections),
                   max_large_bodies_per_client=cfg.max_large_bodies_per_client,
                   header_timeout=cfg.client_header_timeout, body_timeout=cfg.client_body_timeout,
                   body_min_rate=float(cfg.client_body_min_rate), body_idle_timeout=cfg.client_body_idle_timeout)

    def body_deadline(self, size: int) -> float:
        """Seconds a body of ``size`` bytes may take to arrive."""
        return self.body_timeout + size / max(1.0, self.body_min_rate)


#: file descriptors kept for everything but client connections (the archive, Redis,
#: the workers' pipes, the upstream pool, spool files), at most a quarter of the limit
FD_RESERVE = 1024
#: descriptors one client connection may hold: its socket, its upstream connection
#: (mitmproxy opens one per client connection), an upload's spool file
FDS_PER_CONNECTION = 3


def connection_cap(configured: int | None, soft_limit: int | None = None) -> int:
    """The client-connection cap: what ``DLP_MAX_CLIENT_CONNECTIONS`` says (0: none), or
    by default ``(RLIMIT_NOFILE - reserve) / 3``, ``reserve = min(1024, limit / 4)``; a
    configured cap above that is lowered to it (with a warning): past the file limit the
    gateway could no longer open its archive, Redis or upstream connections (attack 21h
    F3: ~80 addresses at 256 connections each reached 19,216 of 20,000)."""
    if soft_limit is None:
        import resource

        soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft_limit == -1 or soft_limit >= 1 << 30:  # RLIM_INFINITY
        safe = 1 << 20
    else:
        safe = max(16, (soft_limit - min(FD_RESERVE, soft_limit // 4)) // FDS_PER_CONNECTION)
    if configured is None:
        return safe
    if configured == 0:
        return 0
    if configured > safe:
        log.warning("DLP_MAX_CLIENT_CONNECTIONS is above what the file limit allows; lowered",
                    extra={"configured": configured, "cap": safe, "rlimit_nofile": soft_limit})
        return safe
    return configured


class DLPAddon:
    def __init__(self, pipeline: Pipeline, *, max_body_bytes: int, metrics: Any = None,
                 trusted_proxies: tuple[str, ...] = (), client_ip_header: str = "x-forwarded-for",
                 upstream_timeout: float | None = 60.0,
                 limits: Limits | None = None) -> None:
        import ipaddress

        from dlp_proxy.files.runner import return_large_allocations

        # request bodies are the gateway's largest allocations: freed, their memory
        # goes back to the system (see return_large_allocations)
        return_large_allocations()
        self.limits = limits or Limits(max_text_body_bytes=pipeline.config.max_text_body_bytes)
        #: bytes of request bodies being received or judged, by flow id (its connection,
        #: its reservation, the party that holds it) and by party (``_party``)
        self.inflight_bytes = 0
        self._reserved: dict[str, tuple[str, int, str]] = {}
        self._party_bytes: dict[str, int] = {}
        #: per connection id: its address, open exchanges, its read timer
        self._conns: dict[str, _Conn] = {}
        self._per_ip: dict[str, int] = {}
        #: behind a trusted proxy: open exchanges (and websockets) per forwarded client
        #: address, and by flow id (its connection, its address): ``_forwarded_slot``
        self._fwd_open: dict[str, int] = {}
        self._fwd_flows: dict[str, tuple[str, str]] = {}
        #: bodies arriving, by flow id: their progress and read timer (``_BodyWatch``)
        self._body_timers: dict[str, _BodyWatch] = {}
        #: large bodies arriving, by flow id (its party) and by party
        self._large: dict[str, str] = {}
        self._party_large: dict[str, int] = {}
        self.clock: Callable[[], float] = time.monotonic
        #: spool files of bodies received or being forwarded, by flow id (deleted when done)
        self._spools: dict[str, Any] = {}
        #: refusals before the body was read, by reason (also a metric)
        self.early_refusals: dict[str, int] = {}
        self.upstream_timeout = upstream_timeout
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.trusted_proxies = tuple(ipaddress.ip_network(n, strict=False) for n in trusted_proxies)
        #: DLP_CLIENT_IP_HEADER: how a trusted proxy names the client (dlp_proxy/forwarding.py)
        self.client_ip_header = client_ip_header
        self.pipeline = pipeline
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.inflight = 0
        self.accepting = True
        self._idle = asyncio.Event()
        self._idle.set()
        self._tasks: set[asyncio.Task[None]] = set()
        #: service credentials Mattermost answered 2xx to (keyed hashes): trusted with their
        #: routes' caps before the body for ``SERVICE_TRUST_SECONDS``
        self._services: TtlCache[bytes, bool] = TtlCache(SERVICE_TRUST_SECONDS, 4096)
        self._service_key = secrets.token_bytes(32)
        #: answers SENDER_PREFIX itself (dlp_proxy.gateway.actions); set by the server
        self.sender_actions: SenderActions | None = None
        #: checks what an integration posted after an action, dialog or command
        #: (dlp_proxy.gateway.integrations.ResponseWatch); set by the server
        self.integration_watch: Any = None
        #: incoming-webhook ids and remote-cluster credentials, asked of Mattermost before
        #: the body (dlp_proxy.gateway.admission); set by the server
        self.credentials: CredentialCheck | None = None
        #: slash-command response hooks, as Mattermost answered their uses (no API reads them)
        self.command_hooks = CommandHooks()

    # ------------------------------------------------------------ requestheaders

    def requestheaders(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        """Everything that can be decided before the body is read: framing, shutdown,
        credentials (as Mattermost would check them), size, bytes in flight.  A refusal
        here is answered at once and the connection closed, the body never read
        (``patch_mitmproxy_early_answer``).  Returns a coroutine only when the
        caller's token must be looked up (not yet in the local cache)."""
        try:
            self._exchange_started(flow)
            return self._check_headers(flow)
        except Exception:
            log.exception("requestheaders failed; refusing")
            self._answer_early(flow, responses.app_error(503, responses.UNAVAILABLE_ID, _UNAVAILABLE,
                                                         request_id=responses.new_request_id()), "error")
            return None

    def _check_headers(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        req = flow.request
        if not self.accepting:
            self._answer_early(flow, responses.app_error(503, responses.UNAVAILABLE_ID, "The gateway is shutting down. Try again.",
                                                         request_id=responses.new_request_id()), "shutting-down")
            return None
        if not self._forwarded_slot(flow):
            self._busy_early(flow, "connections")
            return None
        lengths = req.headers.get_all("content-length")
        te = req.headers.get_all("transfer-encoding")
        if len(lengths) > 1 or (lengths and te) or len(te) > 1:
            # Request smuggling territory: two framings that two parsers may read
            # differently.  Refuse, and close the connection.
            self._answer_early(flow, responses.app_error(400, responses.BAD_REQUEST_ID,
                                                         "Ambiguous request framing (Content-Length with Transfer-Encoding, or repeated).",
                                                         request_id=responses.new_request_id()), "framing")
            return None
        declared: int | None = None
        if lengths:
            try:
                declared = int(lengths[0])
            except ValueError:
                declared = -1
            if declared < 0:
                self._answer_early(flow, responses.app_error(400, responses.BAD_REQUEST_ID, "Invalid Content-Length.",
                                                             request_id=responses.new_request_id()), "framing")
                return None
            if declared > self.max_body_bytes:
                self._too_large(flow)
                return None
        if len(req.headers.get_all("authorization")) > 1:
            # Go's Header.Get reads the first; a folded "a, b" is neither: no client sends two
            self._answer_early(flow, responses.app_error(400, responses.BAD_REQUEST_ID,
                                                         "More than one Authorization header.",
                                                         request_id=responses.new_request_id()), "framing")
            return None
        cookies = req.headers.get_all("cookie")
        if len(cookies) > 1:
            # Go's Request.Cookie reads each Cookie line on its own (net/http/cookie.go
            # readCookies); a folded "a=1, MMAUTHTOKEN=x" would hide the second from the
            # gateway.  Forwarded as the one line RFC 9113 8.2.3 makes of them, which is
            # what both then read.
            req.headers.set_all("cookie", ["; ".join(cookies)])
        has_body = bool(te) or bool(declared)
        try:
            m, path, query = classified = self.pipeline.classify(req.method, req.path, has_body=has_body)
            flow.metadata[CLASSIFIED] = (req.method, req.path, has_body, classified)  # reused by ``_request``
        except Exception:
            # a bad path: judged (and refused, archived) by the pipeline; its body is
            # still held to the text cap
            self._admit(flow, self.limits.max_text_body_bytes, declared, has_body)
            return None
        route = m.route
        files = route is not None and route.body in (Body.FILES, Body.UPLOAD_CHUNK)
        cap = self.max_body_bytes if files else self.limits.max_text_body_bytes
        if (m.kind == "content" and files and getattr(self.pipeline, "file_scanner", None) is not None):
            flow.metadata[SPOOL_WANTED] = True  # once admitted, written to disk as it arrives (``_admit``)
        if m.kind not in ("content", "unknown_write") or route is None:
            self._admit(flow, cap, declared, has_body)
            return None
        if route.name == "hooks.command_response" and m.kind == "content":
            # no API reads a command hook: what Mattermost answered before, and an id's
            # shape, are all that can be known before the body (gateway/admission.py)
            hook_id = _command_hook_id(req.path)
            refusal = self.command_hooks.refusal(hook_id)
            if refusal is not None:
                self._answer_early(flow, responses.app_error(*refusal, request_id=responses.new_request_id()),
                                   "unknown-hook")
                return None
            flow.metadata[COMMAND_HOOK] = hook_id
            if not self.command_hooks.accepted(hook_id):
                # the id is this route's credential, not a token Mattermost ignores here
                cap = min(cap, self.limits.unauthenticated_max_body_bytes)
        credentials = self.credentials
        if route.name == "hooks.incoming" and credentials is not None and credentials.can_check_hooks:
            # the hook's id is this route's credential (whatever token the request carries:
            # Mattermost posts as the hook's creator): an unknown hook is refused as
            # Mattermost refuses it, before its body is read or scanned (attack 21h F1)
            hook_id = str((m.params or {}).get("hook_id") or "")
            known = credentials.hook_cached(hook_id)
            if known is None:
                return self._verify_hook(flow, hook_id, route, path, query, cap, declared, has_body)
            if known != 200:
                self._unknown_hook(flow, known)
                return None
        return self._check_credentials(flow, route, path, query, cap, declared, has_body, m.kind == "content")

    def _check_credentials(self, flow: http.HTTPFlow, route: Any, path: str, query: str, cap: int,
                           declared: int | None, has_body: bool, content: bool = True) -> Awaitable[None] | None:
        """The request's token (or service credential), as Mattermost would check it."""
        req = flow.request
        needs_session = content and route.name not in _NO_SESSION_ROUTES
        headers = req.headers
        folded = header_dict(headers.fields)
        token, where = token_location(folded, query)
        resolver = self.pipeline.context
        if token is None:
            remote = self._remote_cluster_credential(path, headers)
            if remote is not None and self.credentials is not None and self.credentials.can_check_services:
                return self._check_remote_cluster(flow, remote, cap, declared, has_body)
            service = self._service_credential(path, headers)
            if service is None:
                self._unauthenticated(flow, needs_session, cap, declared, has_body)
            elif self._services.cached(service)[0]:
                self._admit(flow, cap, declared, has_body)  # Mattermost accepted it on a request before
            else:
                # Mattermost checks it before it reads the body; the gateway cannot, so a
                # credential not yet seen accepted is held to the unauthenticated cap (a
                # remote cluster's regular ping or a small request earns it the route's)
                flow.metadata[SERVICE_CREDENTIAL] = service
                self._admit(flow, min(cap, self.limits.unauthenticated_max_body_bytes), declared, has_body)
            return None
        plugin = path.startswith("/plugins/")
        if too_many_cookies(folded) or (plugin and plugin_token(folded, query) != token):
            # a Cookie line Mattermost's Go reads one way or another by its version; a plugin
            # request whose token a plugin reads otherwise than the core API (the header
            # before the cookie, "Bearer " with its blank): which user acts is ambiguous
            self._answer_early(flow, responses.app_error(
                400, responses.BAD_REQUEST_ID,
                "This request carries credentials Mattermost could read as another user's, so it was not sent.",
                request_id=responses.new_request_id()), "ambiguous-credentials")
            return None
        if needs_session and session_refused(req.method, headers.fields, where, folded, plugin=plugin):
            # a live session Mattermost still refuses before the handler (a session cookie
            # without its CSRF header, a token in the query string: atk16 F1, F2): as
            # without a session, answered before the body, nothing scanned or held
            self._unauthenticated(flow, needs_session, cap, declared, has_body)
            return None
        if resolver is None:
            self._admit(flow, cap, declared, has_body)
            return None
        known = resolver.user_cached(token)
        if known is True:
            cached_id = getattr(resolver, "user_id_cached", None)
            flow.metadata[PARTY_USER] = cached_id(token) if cached_id is not None else None
            self._admit(flow, cap, declared, has_body)
            return None
        if known is False:
            self._unauthenticated(flow, needs_session, cap, declared, has_body)
            return None
        return self._check_token(flow, token, needs_session, cap, declared, has_body)

    @staticmethod
    def _remote_cluster_credential(path: str, headers: Any) -> tuple[str, str] | None:
        if not path.startswith("/api/v4/remotecluster/"):
            return None
        remote_id, token = headers.get("x-remotecluster-id") or "", headers.get("x-remotecluster-token") or ""
        return (remote_id, token) if remote_id and token else None

    def _check_remote_cluster(self, flow: http.HTTPFlow, remote: tuple[str, str], cap: int,
                              declared: int | None, has_body: bool) -> Awaitable[None] | None:
        """A remote cluster's credential, as Mattermost judges it (``admission``): accepted,
        the route's cap; refused, answered before the body (attack 21h F1)."""
        assert self.credentials is not None
        known = self.credentials.service_cached(*remote)
        if known is None:
            return self._verify_remote_cluster(flow, remote, cap, declared, has_body)
        self._remote_cluster_answered(flow, known, cap, declared, has_body)
        return None

    def _remote_cluster_answered(self, flow: http.HTTPFlow, status: int, cap: int, declared: int | None,
                                 has_body: bool) -> None:
        if status == 200:
            self._admit(flow, cap, declared, has_body)
            return
        # Mattermost answers 401 api.context.session_expired.app_error (web/context.go
        # RemoteClusterTokenRequired); the gateway never answers 401: 403, its own id
        self._answer_early(flow, responses.app_error(
            403, UNAUTHENTICATED_ID, "The remote cluster's credentials were not accepted, so this was not sent.",
            request_id=responses.new_request_id()), "unauthenticated")

    async def _verify_remote_cluster(self, flow: http.HTTPFlow, remote: tuple[str, str], cap: int,
                                     declared: int | None, has_body: bool) -> None:
        assert self.credentials is not None
        try:
            status = await self.credentials.remote_cluster(*remote)
        except Exception as exc:
            log.warning("a remote cluster's credentials could not be checked; refusing",
                        extra={"error_type": type(exc).__name__})
            self._unverified(flow)
            return
        try:
            self._remote_cluster_answered(flow, status, cap, declared, has_body)
        except Exception:
            log.exception("requestheaders failed; refusing")
            self._answer_early(flow, responses.app_error(503, responses.UNAVAILABLE_ID, _UNAVAILABLE,
                                                         request_id=responses.new_request_id()), "error")

    async def _verify_hook(self, flow: http.HTTPFlow, hook_id: str, route: Any, path: str, query: str, cap: int,
                           declared: int | None, has_body: bool) -> None:
        assert self.credentials is not None
        try:
            status = await self.credentials.hook(hook_id)
        except Exception as exc:
            log.warning("a webhook could not be looked up; refusing", extra={"error_type": type(exc).__name__})
            self._unverified(flow)
            return
        try:
            if status != 200:
                self._unknown_hook(flow, status)
                return
            more = self._check_credentials(flow, route, path, query, cap, declared, has_body)
            if more is not None:
                await more
        except Exception:
            log.exception("requestheaders failed; refusing")
            self._answer_early(flow, responses.app_error(503, responses.UNAVAILABLE_ID, _UNAVAILABLE,
                                                         request_id=responses.new_request_id()), "error")

    def _command_hook_answered(self, hook_id: str, resp: http.Response) -> None:
        """Mattermost's answer to a command hook's use (``admission.CommandHooks``); the
        gateway's own answers (a refusal, a hold) never reach here (``_answer`` drops the key)."""
        error_id = ""
        if resp.status_code >= 400:
            try:
                doc = json.loads(resp.get_content(strict=False) or b"{}")
                error_id = str(doc.get("id", "")) if isinstance(doc, dict) else ""
            except ValueError:
                error_id = ""
        self.command_hooks.answered(hook_id, resp.status_code, error_id)

    def _unknown_hook(self, flow: http.HTTPFlow, status: int) -> None:
        """As app/webhook.go HandleIncomingWebhook answers a hook it cannot find (400) or
        when incoming webhooks are off (501), before the body is read."""
        from dlp_proxy.gateway import admission

        if status == 501:
            resp = responses.app_error(501, admission.HOOK_DISABLED_ID, admission.HOOK_DISABLED_MESSAGE,
                                       request_id=responses.new_request_id())
        else:
            resp = responses.app_error(400, admission.HOOK_INVALID_ID, admission.HOOK_INVALID_MESSAGE,
                                       request_id=responses.new_request_id())
        self._answer_early(flow, resp, "unknown-hook")

    def _unverified(self, flow: http.HTTPFlow) -> None:
        """The credential could not be checked with Mattermost: fail closed (503)."""
        self._answer_early(flow, responses.app_error(
            503, responses.UNAVAILABLE_ID, "The gateway could not check these credentials with Mattermost. Try again.",
            request_id=responses.new_request_id()), "unverified")

    def _service_credential(self, path: str, headers: Any) -> bytes | None:
        """A keyed hash (a key of this process, never stored) of the service credential
        the request carries for its route, or None."""
        for prefix, names in _SERVICE_TOKENS:
            if path.startswith(prefix):
                values = [headers.get(name) or "" for name in names]
                if all(values):
                    return hmac.new(self._service_key, "\x00".join([prefix, *values]).encode(), "sha256").digest()
        return None

    async def _check_token(self, flow: http.HTTPFlow, token: str, needs_session: bool, cap: int,
                           declared: int | None, has_body: bool) -> None:
        """The token's users/me resolution (cached in Redis and in process; a refused
        token is remembered for ``ContextResolver.negative_ttl`` seconds).  Mattermost
        or Redis unreachable: nothing is decided here (the pipeline's context rules are)."""
        assert self.pipeline.context is not None
        try:
            user = await self.pipeline.context.user(token)
        except Exception as exc:
            log.warning("credentials could not be checked before the body", extra={"error_type": type(exc).__name__})
            self._admit(flow, cap, declared, has_body)
            return
        try:
            if user is None:
                self._unauthenticated(flow, needs_session, cap, declared, has_body)
            else:
                flow.metadata[PARTY_USER] = user.id
                self._admit(flow, cap, declared, has_body)
        except Exception:
            log.exception("requestheaders failed; refusing")
            self._answer_early(flow, responses.app_error(503, responses.UNAVAILABLE_ID, _UNAVAILABLE,
                                                         request_id=responses.new_request_id()), "error")

    def _unauthenticated(self, flow: http.HTTPFlow, needs_session: bool, cap: int,
                         declared: int | None, has_body: bool) -> None:
        if needs_session:
            # Mattermost answers 401 api.context.session_expired.app_error before it reads
            # the body; the gateway must never answer 401 (the web app would sign out), so:
            # 403, its own id, and the body is never read.
            self._answer_early(flow, responses.app_error(
                403, UNAUTHENTICATED_ID,
                "Your session has expired or is not valid, so this was not sent. Sign in again and retry.",
                request_id=responses.new_request_id()), "unauthenticated")
            return
        self._admit(flow, min(cap, self.limits.unauthenticated_max_body_bytes), declared, has_body)

    def _admit(self, flow: http.HTTPFlow, cap: int, declared: int | None, has_body: bool) -> None:
        """Body size and bytes in flight; the body's read deadline."""
        flow.metadata[ADMITTED_CAP] = cap
        if declared is not None and declared > cap:
            self._too_large(flow)
            return None
        if not has_body:
            return None
        # every body reserves a first share and grows it as its bytes arrive (``_grow``):
        # reserving its route's whole cap (a chunked body, attack 12p F8) or its declared
        # Content-Length (attack 16h F3: 64 idle connections declaring 4 MiB to the login
        # route, or one user's three idle uploads, held the whole budget for their body
        # deadline) before a byte arrived let a few parties that send nothing shut
        # everyone's writes.  A declared body still has its declared size's deadline.
        # Nor a first share (attack 21h F7: 4 users x 256 uploads declaring 100 MB and
        # sending nothing held the 256 MiB budget in 256 KiB first shares for the 1 h 48 min
        # of their deadline): a body holds what has arrived, and no more than
        # ``max_large_bodies_per_client`` large ones of a party may be arriving at once;
        # one that stops sending is closed (``_BodyWatch``: idle timeout, minimum rate).
        limit = declared if declared is not None else cap
        party = self._party(flow)
        if not self._fits(party, 0, cap):
            self._busy_early(flow)
            return None
        large_cap = self.limits.max_large_bodies_per_client
        large = limit > LARGE_BODY
        if large and large_cap and self._party_large.get(party, 0) >= large_cap:
            self._busy_early(flow, "large-bodies")
            return None
        flow.metadata[BODY_LIMIT] = limit  # counted as it arrives (patch_mitmproxy_early_answer)
        flow.metadata[BODY_GROW] = self._grow
        self._reserved[flow.id] = (flow.client_conn.id, 0, party)
        if large:
            self._large[flow.id] = party
            self._party_large[party] = self._party_large.get(party, 0) + 1
        # (the deadline of a declared body is its length's; of one without, a first share's)
        self._arm_body_timer(flow, self.limits.body_deadline(declared if declared is not None else
                                                             min(limit, 256 * 1024)))
        if flow.metadata.pop(SPOOL_WANTED, False) and (declared is None or declared > SPOOL_BODY_MIN):
            self._start_spool(flow)  # (a small body is read inline, as any body)
        return None

    def _start_spool(self, flow: http.HTTPFlow) -> None:
        """An upload's body goes to an encrypted file as it arrives, never into
        mitmproxy's buffer: a file worker reads it there, and the gateway forwards it
        from there once judged (docs/architecture.md).  A spool that cannot be
        opened or written refuses the request once its body is in (``_request``)."""
        from dlp_proxy.gateway.filescan import SpoolWriter

        assert self.pipeline.file_scanner is not None
        try:
            writer = SpoolWriter(self.pipeline.file_scanner.spool_dir())
        except Exception as exc:
            log.error("could not open a spool file; the request will be refused", extra={"error_type": type(exc).__name__})
            flow.metadata[SPOOL_FAILED] = type(exc).__name__
            writer = None
        flow.metadata[SPOOL] = writer
        if writer is not None:
            self._spools[flow.id] = writer

    def _too_large(self, flow: http.HTTPFlow) -> None:
        self._answer_early(flow, responses.app_error(413, responses.TOO_LARGE_ID,
                                                     "The request is larger than the data-loss-prevention gateway accepts.",
                                                     request_id=responses.new_request_id()), "too-large")

    def _answer_early(self, flow: http.HTTPFlow, resp: tuple[int, dict[str, str], bytes], reason: str) -> None:
        """Answer before the body is read, then close the connection."""
        flow.request.headers.pop("expect", None)  # no "100 Continue": the body is not wanted
        # HTTP/1: the connection is closed after the answer; HTTP/2 (no Connection
        # header allowed) and HTTP/3: the stream is reset
        self._answer(flow, resp, close=not (flow.request.is_http2 or flow.request.is_http3))
        flow.metadata[EARLY] = True
        # no response or error hook follows an early answer: the exchange ends here
        # (an HTTP/2 connection lives on, and its idle timer must be re-armed)
        self._exchange_done(flow)
        self.early_refusals[reason] = self.early_refusals.get(reason, 0) + 1
        if self.metrics is not None and hasattr(self.metrics, "early_refusals"):
            self.metrics.early_refusals.labels(reason=reason).inc()

    def _party(self, flow: http.HTTPFlow) -> str:
        """Who holds a body's bytes in flight: the user whose credentials it carries, else
        the client address (as ``dlp_proxy.forwarding`` reads it behind a trusted proxy)."""
        user = flow.metadata.get(PARTY_USER)
        if user:
            return "u:" + str(user)
        peer = flow.client_conn.peername[0] if flow.client_conn.peername else ""
        fields = ((k.decode("latin-1"), v.decode("latin-1")) for k, v in flow.request.headers.fields)
        return "ip:" + address_group(client_address(peer, fields, self.trusted_proxies, self.client_ip_header))

    def _fits(self, party: str, more: int, cap: int) -> bool:
        """Whether ``more`` bytes may be reserved: within the whole budget and the party's
        share of it (a single request may always take its route's cap, ``cap``)."""
        if self.inflight_bytes + more > max(self.limits.max_inflight_bytes, cap):
            return False
        share = self.limits.max_inflight_bytes_per_client
        return not share or self._party_bytes.get(party, 0) + more <= max(share, cap)

    def _busy_early(self, flow: http.HTTPFlow, reason: str = "busy") -> None:
        resp = responses.app_error(503, BUSY_ID, "The data-loss-prevention gateway is busy. Try again in a moment.",
                                   request_id=responses.new_request_id())
        resp[1]["Retry-After"] = "5"
        self._answer_early(flow, resp, reason)

    def _grow(self, flow_id: str, received: int, limit: int) -> bool:
        """A body has ``received`` bytes: its reservation grown to cover them (doubling,
        at most ``limit``); False when the budget (or its party's share) cannot."""
        watch = self._body_timers.get(flow_id)
        if watch is not None and received > watch.received:
            watch.received = received
            watch.last = self.clock()
        held = self._reserved.get(flow_id)
        if held is None or received <= held[1]:
            return True
        want = min(limit, max(received, 2 * held[1]))
        if not self._fits(held[2], want - held[1], limit):
            return False
        self.inflight_bytes += want - held[1]
        self._party_bytes[held[2]] = self._party_bytes.get(held[2], 0) + want - held[1]
        self._reserved[flow_id] = (held[0], want, held[2])
        return True

    def _release(self, flow_id: str) -> None:
        spool = self._spools.pop(flow_id, None)
        if spool is not None:
            # (a forward still reading it holds the file open: deleting it is safe)
            spool.abort() if hasattr(spool, "abort") else spool.remove()
        held = self._reserved.pop(flow_id, None)
        if held is not None:
            self.inflight_bytes -= held[1]
            left = self._party_bytes.get(held[2], 0) - held[1]
            if left > 0:
                self._party_bytes[held[2]] = left
            else:
                self._party_bytes.pop(held[2], None)
        timer = self._body_timers.pop(flow_id, None)
        if timer is not None:
            timer.cancel()
        party = self._large.pop(flow_id, None)
        if party is not None:
            left = self._party_large.get(party, 0) - 1
            if left > 0:
                self._party_large[party] = left
            else:
                self._party_large.pop(party, None)

    # ------------------------------------------------------------ connections

    def client_connected(self, client: connection.Client) -> None:
        """Connection caps, in all and per address (an IPv6 /64 counted as one address);
        the first request's headers get ``header_timeout``.  A connection above a cap is
        closed at once, before a byte of it is read."""
        try:
            peer = client.peername[0] if client.peername else ""
            total = self.limits.max_client_connections
            if total and len(self._conns) >= total:
                # (proxies in DLP_TRUSTED_PROXIES too: their connections hold descriptors alike)
                self._refuse_connection(client, "too many client connections", "connections-total")
                return
            ip = address_group(peer)
            cap = self.limits.max_connections_per_ip
            counted = bool(cap) and not self._trusted(peer)
            if counted:
                if self._per_ip.get(ip, 0) >= cap:
                    self._refuse_connection(client, "too many connections from this address", "connections")
                    return
                self._per_ip[ip] = self._per_ip.get(ip, 0) + 1
            conn = _Conn(ip if counted else None)
            self._conns[client.id] = conn
            self._arm_header_timer(client.id, conn)
        except Exception:
            log.exception("client_connected failed")

    def _forwarded_slot(self, flow: http.HTTPFlow) -> bool:
        """The per-address cap behind a trusted proxy (DLP_TRUSTED_PROXIES): the proxy's
        own connections are not capped by address (they carry everyone's requests), so
        the client address it forwards (``forwarding.client_address``) is: its requests
        in progress through the proxy, and its websockets until they close, count as its
        connections, against the same ``max_connections_per_ip``.  False: over the cap
        (answered 503 before the body).  The cap in all counts the proxy's connections."""
        cap = self.limits.max_connections_per_ip
        if not cap or flow.id in self._fwd_flows:
            return True
        peer = flow.client_conn.peername[0] if flow.client_conn.peername else ""
        if not self.trusted_proxies or not self._trusted(peer):
            return True
        fields = ((k.decode("latin-1"), v.decode("latin-1")) for k, v in flow.request.headers.fields)
        ip = address_group(client_address(peer, fields, self.trusted_proxies, self.client_ip_header))
        if ip == address_group(peer):
            return True  # nothing forwarded: the proxy's own request
        if self._fwd_open.get(ip, 0) >= cap:
            return False
        self._fwd_open[ip] = self._fwd_open.get(ip, 0) + 1
        self._fwd_flows[flow.id] = (flow.client_conn.id, ip)
        return True

    def _forwarded_done(self, flow_id: str) -> None:
        held = self._fwd_flows.pop(flow_id, None)
        if held is None:
            return
        left = self._fwd_open.get(held[1], 1) - 1
        if left > 0:
            self._fwd_open[held[1]] = left
        else:
            self._fwd_open.pop(held[1], None)

    def _refuse_connection(self, client: connection.Client, why: str, reason: str) -> None:
        client.error = why  # mitmproxy closes a client whose connect hook set an error
        self.early_refusals[reason] = self.early_refusals.get(reason, 0) + 1
        if self.metrics is not None and hasattr(self.metrics, "early_refusals"):
            self.metrics.early_refusals.labels(reason=reason).inc()

    def client_disconnected(self, client: connection.Client) -> None:
        conn = self._conns.pop(client.id, None)
        if conn is None:
            return
        if conn.timer is not None:
            conn.timer.cancel()
        if conn.ip is not None:
            left = self._per_ip.get(conn.ip, 1) - 1
            if left > 0:
                self._per_ip[conn.ip] = left
            else:
                self._per_ip.pop(conn.ip, None)
        for flow_id in [f for f, (cid, _, _) in self._reserved.items() if cid == client.id]:
            self._release(flow_id)
        for flow_id in [f for f, (cid, _) in self._fwd_flows.items() if cid == client.id]:
            self._forwarded_done(flow_id)

    def _exchange_started(self, flow: http.HTTPFlow) -> None:
        conn = self._conns.get(flow.client_conn.id)
        if conn is None:
            return
        conn.open += 1
        if conn.timer is not None:
            conn.timer.cancel()
            conn.timer = None

    def _exchange_done(self, flow: http.HTTPFlow) -> None:
        self._release(flow.id)
        if flow.response is None or flow.response.status_code != 101:
            self._forwarded_done(flow.id)  # (a websocket counts until its connection closes)
        conn = self._conns.get(flow.client_conn.id)
        if conn is None:
            return
        conn.open = max(0, conn.open - 1)
        if flow.response is not None and flow.response.status_code == 101:
            conn.upgraded = True  # a websocket: idle by nature, mitmproxy's own inactivity timeout applies
        if conn.open == 0 and not conn.upgraded:
            self._arm_header_timer(flow.client_conn.id, conn)

    def _arm_header_timer(self, client_id: str, conn: _Conn) -> None:
        if self.limits.header_timeout <= 0:
            return
        if conn.timer is not None:
            conn.timer.cancel()
        conn.timer = asyncio.get_running_loop().call_later(self.limits.header_timeout, self._read_timeout, client_id, "headers")

    def _arm_body_timer(self, flow: http.HTTPFlow, seconds: float) -> None:
        """The body's read rules (``_BodyWatch``): its total deadline (``seconds``), the
        idle timeout between its bytes, and the minimum rate after the grace period."""
        if self.limits.body_timeout <= 0:
            return
        now = self.clock()
        watch = _BodyWatch(flow.client_conn.id, now, now + seconds)
        self._body_timers[flow.id] = watch
        self._watch_body(flow.id, watch, now)

    def _watch_body(self, flow_id: str, watch: _BodyWatch, now: float) -> None:
        phase, due = self._body_rule(watch, now)
        if phase is not None:
            self._body_timers.pop(flow_id, None)
            self._read_timeout(watch.client_id, phase)
            return
        watch.handle = asyncio.get_running_loop().call_later(max(0.0, due - now), self._body_check, flow_id)

    def _body_check(self, flow_id: str) -> None:
        watch = self._body_timers.get(flow_id)
        if watch is None:
            return
        try:
            watch.handle = None
            self._watch_body(flow_id, watch, self.clock())
        except Exception:
            log.exception("checking a body's progress failed")

    def _body_rule(self, watch: _BodyWatch, now: float) -> tuple[str | None, float]:
        """(the rule a body broke, or None; when to look again).  Rules: the total
        deadline; no byte for ``body_idle_timeout`` seconds; after ``body_timeout``
        seconds, fewer than ``body_min_rate`` bytes per second since then (attack 21h F7:
        a declared 100 MB that never came held its connection for the 1 h 48 min of
        the total deadline)."""
        lim = self.limits
        if now >= watch.deadline:
            return "body", now
        due = watch.deadline
        if lim.body_idle_timeout > 0:
            idle_at = watch.last + lim.body_idle_timeout
            if now >= idle_at:
                return "body-idle", now
            due = min(due, idle_at)
        if lim.body_min_rate > 0:
            # the moment the bytes received stop being enough
            short_at = watch.start + lim.body_timeout + watch.received / lim.body_min_rate
            if now >= short_at:
                return "body-rate", now
            due = min(due, short_at)
        return None, due

    def _read_timeout(self, client_id: str, phase: str) -> None:
        """A client that did not send its headers (or body) in time: closed, like a
        slow-reading server would (no answer: the request was never complete)."""
        try:
            log.info("client too slow; closing its connection", extra={"phase": phase})
            self.early_refusals["read-timeout"] = self.early_refusals.get("read-timeout", 0) + 1
            if self.metrics is not None and hasattr(self.metrics, "early_refusals"):
                self.metrics.early_refusals.labels(reason="read-timeout").inc()
            self._close_client(client_id, f"client read timeout ({phase})")
        except Exception:
            log.exception("closing a slow client failed")

    @staticmethod
    def _close_client(client_id: str, why: str) -> None:
        """Close a client connection (its handler is cancelled: the socket is closed)."""
        from mitmproxy import ctx

        proxyserver = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
        handler = proxyserver.connections.get(client_id) if proxyserver else None
        if handler is None:
            return
        for conn, io in list(handler.transports.items()):
            if conn.id == client_id and io.handler is not None:
                io.handler.cancel(why)

    # ------------------------------------------------------------ request

    def request(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        """Reads (GET, HEAD, OPTIONS...) that match no denied route are forwarded
        right here, synchronously (most of a Mattermost client's traffic: no
        coroutine, no deadline, no scan); everything else is judged in ``_judge``."""
        timer = self._body_timers.pop(flow.id, None)
        if timer is not None:
            timer.cancel()  # the body is complete
        if flow.response is not None:
            return None  # answered in requestheaders
        if self.sender_actions is not None and flow.request.path.startswith(SENDER_PREFIX):
            return self._sender_action(flow)  # the gateway's own endpoint, never forwarded
        try:
            req = flow.request
            if req.method.upper() not in WRITE_METHODS and not req.raw_content:
                earlier = flow.metadata.get(CLASSIFIED)
                classified = (earlier[3] if earlier is not None and earlier[:3] == (req.method, req.path, False)
                              else self.pipeline.classify(req.method, req.path))
                said = header_dict(req.headers.fields)
                if (((classified[0].kind == "passthrough" and self.pipeline.read_headers_pass(said, classified[1]))
                        or (classified[0].kind == "query" and self.pipeline.read_passes(req.path, said, classified)))
                        and not oversized(said)):
                    # (a read whose query, path and headers a plugin gets is judged unless
                    # its query is trivial and the rest proven clean: routes.QUERY_ROUTES)
                    flow.metadata.pop(CLASSIFIED, None)
                    self._arm_upstream_timer(flow)
                    self._add_forward_headers(flow)
                    return None
        except Exception:  # noqa: S110 - a bad path (or anything odd) is judged, and refused, in _judge
            pass
        return self._judge(flow)

    async def _sender_action(self, flow: http.HTTPFlow) -> None:
        """Mattermost calling the sender's buttons and dialog (dlp_proxy.gateway.actions)."""
        assert self.sender_actions is not None
        self.inflight += 1  # drained on shutdown like a judged request
        self._idle.clear()
        try:
            resp = await self.sender_actions.handle(flow.request.method, flow.request.path, flow.request.raw_content or b"")
        except Exception:
            log.exception("sender action failed")
            resp = responses.app_error(503, responses.UNAVAILABLE_ID, _UNAVAILABLE, request_id=responses.new_request_id())
        finally:
            self.inflight -= 1
            if self.inflight == 0:
                self._idle.set()
        self._answer(flow, resp)

    async def _judge(self, flow: http.HTTPFlow) -> None:
        self.inflight += 1
        self._idle.clear()
        try:
            await self._request(flow)
        finally:
            self.inflight -= 1
            if self.inflight == 0:
                self._idle.set()

    async def _request(self, flow: http.HTTPFlow) -> None:
        req = flow.request
        spooled = flow.metadata.get(SPOOLED)
        if spooled is not None:
            self._spools[flow.id] = spooled  # deleted when the exchange is done (``_release``)
        greq = GatewayRequest(
            method=req.method,
            target=req.path,
            headers=header_dict(req.headers.fields),
            body=req.raw_content or b"",
            client_ip=client_address(flow.client_conn.peername[0] if flow.client_conn.peername else "", ((k.decode("latin-1"), v.decode("latin-1")) for k, v in req.headers.fields), self.trusted_proxies, self.client_ip_header),  # dlp_proxy/forwarding.py
            spool=spooled,
            body_limit=flow.metadata.get(ADMITTED_CAP),
        )
        started = time.perf_counter()
        route_name: str | None = None
        deadline = self.pipeline.config.scan_deadline_seconds
        classified = None
        try:
            has_body = bool(greq.body) or spooled is not None
            earlier = flow.metadata.pop(CLASSIFIED, None)
            if earlier is not None and earlier[:3] == (greq.method, greq.target, has_body):
                classified = earlier[3]  # as requestheaders read the same method, path and body presence
            else:
                classified = self.pipeline.classify(greq.method, greq.target, has_body=has_body)
            m = classified[0]
            route_name = m.route.name if m.route else None
            if m.route is not None and (m.route.body in (Body.FILES, Body.UPLOAD_CHUNK) or m.route.name == "posts.move"
                                        or (m.route.body is Body.ANY and has_body)):
                # (a move carries the thread's files: gateway/moves.py; a body on a plugin or
                # unknown route may be a file, or a compressed stream holding one: extract.py)
                deadline = self.pipeline.config.file_deadline_seconds
        except Exception:  # noqa: S110 - a bad path is handled (and refused) by handle()
            pass
        if SPOOL in flow.metadata and spooled is None:
            # the body could not be kept on disk: never judged, never forwarded
            await self._spool_failed(flow, greq, route_name)
            return
        try:
            # asyncio.timeout, not wait_for: no extra task per request
            async with asyncio.timeout(deadline):
                verdict = await self.pipeline.handle(greq, classified)
        except asyncio.CancelledError:
            # Shutdown while judging: never forward unjudged.
            self._answer(flow, responses.app_error(503, responses.UNAVAILABLE_ID, "The gateway is shutting down. Try again.",
                                                   request_id=greq.request_id), close=True)
            if flow.killable:
                flow.kill()  # type: ignore[no-untyped-call]
            raise
        except BaseException as exc:
            await self.pipeline.release_locks(greq.request_id)
            await self._failed(flow, greq, exc, route_name)
            return
        finally:
            if self.metrics is not None:
                self.metrics.observe_scan(time.perf_counter() - started)
        if self.pipeline.holds_locks(greq.request_id):
            if verdict.forward:
                # held until Mattermost has answered this chunk, move or edit (response /
                # error hooks): an upload's lock, a thread's marks (gateway/moves.py)
                flow.metadata["dlp_upload_lock"] = greq.request_id
            else:
                await self.pipeline.release_locks(greq.request_id)
        if verdict.forward and verdict.route is not None:
            flow.metadata["dlp_route"] = verdict.route
            flow.metadata["dlp_request_id"] = greq.request_id
            flow.metadata["dlp_client_ip"] = greq.client_ip
        if verdict.forward and verdict.channel_changed is not None:
            flow.metadata["dlp_channel_changed"] = verdict.channel_changed
        if verdict.forward and verdict.split_piece is not None:
            flow.metadata[SPLIT_PIECE] = verdict.split_piece
        if verdict.forward and verdict.split_files:
            flow.metadata[SPLIT_FILES] = verdict.split_files
        if verdict.forward and classified is not None and verdict.split_piece is None and (
                gone := deleted_post(greq.method, classified[1]) or replaced_scheduled(greq.method, classified[1])):
            # its pieces leave the split window once deleted (a scheduled post: or replaced
            # by an edit that puts none there)
            flow.metadata[SPLIT_DELETED] = gone
        self._apply(flow, greq, verdict)

    # ------------------------------------------------------------ response

    def response(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        """Learn upload sessions from Mattermost's answer (their file size tells the
        gateway which chunk completes the file).  Synchronous for every other flow:
        mitmproxy awaits a hook's result only when it is awaitable."""
        self._exchange_done(flow)
        follow: Awaitable[None] | None = None
        service = flow.metadata.pop(SERVICE_CREDENTIAL, None)
        if service is not None and flow.response is not None and 200 <= flow.response.status_code < 300:
            self._services.remember(service, True)
        command_hook = flow.metadata.pop(COMMAND_HOOK, None)
        if command_hook is not None and flow.response is not None and not flow.metadata.get(EARLY):
            self._command_hook_answered(str(command_hook), flow.response)
        if self.integration_watch is not None and (flow.metadata.get("dlp_route") in WATCHED_ROUTES or
                                                   flow.metadata.get("dlp_route") in PREVIEW_ROUTES):
            self._watch_integration(flow)
        if flow.metadata.get("dlp_route") == "uploads.create":
            follow = self._register_upload(flow)
        elif flow.metadata.get("dlp_channel_changed"):
            # forgotten before forwarding too; again now, in case a request in between
            # cached the channel as it was (its context, and the display names mentions show)
            mentions.forget_channel_names()
            if self.pipeline.context is not None:
                follow = self._forget_channel(str(flow.metadata["dlp_channel_changed"]))
        split = flow.metadata.pop(SPLIT_PIECE, None)
        if split is not None and flow.response is not None:
            follow = self._split_tag(split, flow.metadata.get("dlp_route"), flow.response.status_code,
                                     flow.response.get_content(strict=False), follow)
        files = flow.metadata.pop(SPLIT_FILES, None)
        if files is not None and flow.response is not None:
            follow = self._split_files(files, flow.response.status_code, flow.response.get_content(strict=False), follow)
        deleted = flow.metadata.pop(SPLIT_DELETED, None)
        if deleted is not None and flow.response is not None:
            follow = self._split_forget(str(deleted), flow.response.status_code, follow)
        lock = flow.metadata.pop("dlp_upload_lock", None)
        if lock is not None:
            # released before the client has Mattermost's answer: a client sends the next
            # chunk (or edits the moved thread) once it has it, and would find the lock
            # still held (a background release raced it and lost on a loaded machine)
            return self._release_then(str(lock), follow)
        return follow

    async def _split_tag(self, added: Any, route: Any, status: int, answer: bytes | None,
                         follow: Awaitable[None] | None) -> None:
        """Mattermost's answer settles the request's piece in the split window (before
        the client has the answer: its first edit cannot overtake the tag)."""
        await self.pipeline.split_answered(added, route if isinstance(route, str) else None, status, answer)
        if follow is not None:
            await follow

    async def _split_files(self, texts: Any, status: int, answer: bytes | None,
                           follow: Awaitable[None] | None) -> None:
        """An upload's files' text ends are kept by their ids (``Pipeline.split_files_uploaded``),
        before the client has the ids to attach."""
        await self.pipeline.split_files_uploaded(texts, status, answer)
        if follow is not None:
            await follow

    async def _split_forget(self, post_id: str, status: int, follow: Awaitable[None] | None) -> None:
        """A deleted post's pieces leave the split window (``Pipeline.split_post_deleted``)."""
        await self.pipeline.split_post_deleted(post_id, status)
        if follow is not None:
            await follow

    async def _release_then(self, request_id: str, follow: Awaitable[None] | None) -> None:
        try:
            await self.pipeline.release_locks(request_id)
        except Exception:
            log.exception("could not release an upload's lock or a thread's marks (they expire on their own)")
        if follow is not None:
            await follow

    def _watch_integration(self, flow: http.HTTPFlow) -> None:
        """Mattermost ran an integration for this request, or answered a post with a link
        preview it fetched itself: what it posted is checked in the background
        (dlp_proxy/gateway/integrations.py); never delays this answer."""
        route = flow.metadata.get("dlp_route")
        preview = route in PREVIEW_ROUTES
        if flow.response is None or flow.response.status_code not in (
                (200, 201) if preview or WATCHED_ROUTES.get(str(route)) == "registration" else (200,)):
            return
        if route == "posts.create" and flow.response.status_code == 201 and self.integration_watch.outgoing_possible():
            self._watch_outgoing(flow)
        if preview and "content-encoding" not in flow.response.headers and (
                b"opengraph" not in (flow.response.raw_content or b"")):
            return  # the common post: no link preview in the answer, nothing else done
        try:
            m = self.pipeline.classify(flow.request.method, flow.request.path)[0]
            job = job_for(str(flow.metadata["dlp_route"]), str(flow.metadata.get("dlp_request_id", "")) or
                          responses.new_request_id(), flow.request.method, flow.request.path,
                          header_dict(flow.request.headers.fields), flow.request.raw_content or b"",
                          str(flow.metadata.get("dlp_client_ip", "")), flow.request.timestamp_start, m.params,
                          answer=lambda: flow.response.get_content(strict=False) if flow.response else None)
        except Exception:
            log.exception("could not queue an integration response check")
            return
        if job is not None:
            self.integration_watch.offer(job)

    def _watch_outgoing(self, flow: http.HTTPFlow) -> None:
        """A created post an outgoing webhook may answer (integrations.outgoing_job): its
        channel is read back; never delays this answer."""
        try:
            job = outgoing_job(str(flow.metadata.get("dlp_request_id", "")) or responses.new_request_id(),
                               flow.request.path, flow.response.get_content(strict=False) if flow.response else None,
                               str(flow.metadata.get("dlp_client_ip", "")), flow.request.timestamp_start)
        except Exception:
            log.exception("could not queue an outgoing webhook check")
            return
        if job is not None and self.integration_watch.wants_outgoing(job.channel_id or "", job.text):
            self.integration_watch.offer(job)

    def _release_upload(self, flow: http.HTTPFlow) -> None:
        """Mattermost answered (or the exchange failed): the next chunk of this upload
        may be judged."""
        request_id = flow.metadata.pop("dlp_upload_lock", None)
        if request_id is not None:
            task = asyncio.get_running_loop().create_task(self.pipeline.release_locks(str(request_id)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _forget_channel(self, channel_id: str) -> None:
        try:
            assert self.pipeline.context is not None
            await self.pipeline.context.forget_channel(channel_id)
        except Exception:
            log.exception("could not forget a changed channel's context")

    async def _register_upload(self, flow: http.HTTPFlow) -> None:
        try:
            if flow.response is not None and flow.response.status_code in (200, 201):
                import json

                await self.pipeline.register_upload(json.loads(flow.response.get_content(strict=False) or b"{}"))
        except Exception:
            # The chunk handler asks Mattermost for the session when it was not registered.
            log.exception("could not register an upload session")

    async def _failed(self, flow: http.HTTPFlow, greq: GatewayRequest, exc: BaseException, route_name: str | None) -> None:
        from dlp_proxy.detect.engine import TexUnreadableError  # (loaded by then)
        from dlp_proxy.policy.notify import tex_unreadable_message

        timeout = isinstance(exc, TimeoutError | asyncio.TimeoutError)
        unreadable = isinstance(exc, TexUnreadableError)
        reason = "scan-deadline" if timeout else "tex-unreadable" if unreadable else "inspection-error"
        error = "deadline exceeded" if timeout else f"{type(exc).__name__}"
        # Fail-open is for an inspection that could not finish; a decision whose record
        # could not be written never forwards (nothing leaves without its record, and
        # the decision may have been to stop the request); nor does TeX detection cannot
        # read (texcheck.py: the sender chose how it renders, so it never fails open).
        fail_open = (route_name is not None and route_name in self.pipeline.config.fail_open_routes
                     and not isinstance(exc, ArchiveError) and not unreadable)
        action = Action.FAIL_OPEN if fail_open else Action.FAIL_CLOSED
        log.error("inspection failed", extra={"request_id": greq.request_id, "reason": reason, "error_type": type(exc).__name__,
                                              "action": action.value, "route": route_name})
        record_id = await self.pipeline.record_failure(greq, reason=reason, error=error, action=action, route_name=route_name)
        if self.metrics is not None:
            self.metrics.decision(action.value, route_name or "unknown", ())
        if fail_open and record_id is not None:
            self._add_forward_headers(flow)
            return
        if unreadable and record_id is not None:
            # the sender can act on it (no retry helps): a 400 that says what to change
            self._answer(flow, responses.app_error(400, responses.BAD_REQUEST_ID, tex_unreadable_message(self._policy()),
                                                   request_id=greq.request_id, detailed_error=reason))
            return
        self._answer(flow, responses.app_error(
            503, responses.UNAVAILABLE_ID,
            "The data-loss-prevention gateway could not check this message, so it was not sent. Try again in a moment.",
            request_id=greq.request_id, detailed_error=reason))

    def _policy(self) -> PolicyEngine | None:
        """The policy in force, for its wording; None (the default wording) when it cannot
        be had: a refusal's answer must not fail on it."""
        try:
            return self.pipeline.policy()
        except Exception:
            log.exception("the policy's messages could not be read; the default wording is used")
            return None

    async def _spool_failed(self, flow: http.HTTPFlow, greq: GatewayRequest, route_name: str | None) -> None:
        """A body whose spool file could not be written: archived as a failure and
        refused (503), whatever ``fail_open_routes`` says (there is nothing to forward)."""
        reason = str(flow.metadata.get(SPOOL_FAILED) or "incomplete")
        log.error("request body could not be spooled; refused",
                  extra={"request_id": greq.request_id, "error_type": reason, "route": route_name})
        await self.pipeline.record_failure(greq, reason="spool-failed", error=reason, action=Action.FAIL_CLOSED,
                                           route_name=route_name)
        if self.metrics is not None:
            self.metrics.decision(Action.FAIL_CLOSED.value, route_name or "unknown", ())
        self._answer(flow, responses.app_error(
            503, responses.UNAVAILABLE_ID,
            "The data-loss-prevention gateway could not keep this upload to check it, so it was not sent. "
            "Try again in a moment.", request_id=greq.request_id, detailed_error="spool-failed"))

    def _apply(self, flow: http.HTTPFlow, greq: GatewayRequest, verdict: Verdict) -> None:
        if self.metrics is not None and verdict.decision is not None:
            self.metrics.decision(verdict.decision.action.value, verdict.route or "unknown", verdict.decision.entity_types)
            if verdict.decision.details.get("uninspected"):
                self.metrics.uninspected(verdict.decision.details["uninspected"])
        if verdict.forward:
            self._arm_upstream_timer(flow)
            if verdict.new_body is not None:
                flow.request.headers.pop("content-encoding", None)
                flow.request.content = verdict.new_body  # also sets Content-Length
                flow.request.headers["content-type"] = "application/json"
            self._add_forward_headers(flow)
        else:
            assert verdict.response is not None
            self._answer(flow, verdict.response)
        if verdict.after is not None:
            task = asyncio.create_task(self._run_after(verdict.after, greq.request_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run_after(self, fn: Any, request_id: str) -> None:
        try:
            await fn()
        except Exception:
            log.exception("sender notification failed", extra={"request_id": request_id})

    def _trusted(self, peer: str) -> bool:
        return peer_is_trusted(peer, self.trusted_proxies)  # one rule for every port: dlp_proxy/forwarding.py

    def _arm_upstream_timer(self, flow: http.HTTPFlow) -> None:
        """mitmproxy has no upstream read timeout: a Mattermost that never answers
        would hold the connection forever.  Past ``upstream_timeout`` the flow is
        killed (the client sees the connection close) and counted."""
        if not self.upstream_timeout:
            return

        def fire() -> None:
            self._timers.pop(flow.id, None)
            if flow.response is not None:
                return
            log.warning("upstream did not answer in time; closing the upstream connection",
                        extra={"route": flow.metadata.get("dlp_route")})
            if self.metrics is not None:
                self.metrics.upstream_errors.labels(kind="timeout").inc()
            # Closing the server side makes mitmproxy answer the client with its
            # protocol error, which the gateway renders as a JSON AppError (502).
            from mitmproxy import ctx

            proxyserver = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
            handler = proxyserver.connections.get(flow.client_conn.id) if proxyserver else None
            if handler is not None and flow.server_conn in handler.transports:
                handler.close_connection(flow.server_conn)
            elif flow.killable:
                flow.kill()  # type: ignore[no-untyped-call]

        self._timers[flow.id] = asyncio.get_running_loop().call_later(self.upstream_timeout, fire)

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        timer = self._timers.pop(flow.id, None)
        if timer is not None:
            timer.cancel()

    def _add_forward_headers(self, flow: http.HTTPFlow) -> None:
        """X-Forwarded-For is appended to; X-Real-IP and X-Forwarded-Proto from the
        client are kept only when the peer is a trusted proxy (DLP_TRUSTED_PROXIES),
        so a client cannot choose the address Mattermost logs for it.

        The header fields are rebuilt in one pass: each ``headers[name] = value``
        on mitmproxy's multidict rebuilds the whole tuple, which cost three times
        as much on every forwarded request."""
        peer = flow.client_conn.peername[0] if flow.client_conn.peername else ""
        headers = flow.request.headers
        found: dict[bytes, list[bytes]] = {}
        kept: list[tuple[bytes, bytes]] = []
        for name, value in headers.fields:
            lname = name.lower()
            if lname in _FORWARD_HEADERS:
                found.setdefault(lname, []).append(value)
            else:
                kept.append((name, value))
        trusted = bool(found.get(b"x-forwarded-proto") or found.get(b"x-real-ip")) and self._trusted(peer)
        bpeer = peer.encode("utf-8", "surrogateescape")
        prior = found.get(b"x-forwarded-for")
        proto = b", ".join(found[b"x-forwarded-proto"]) if trusted and found.get(b"x-forwarded-proto") else None
        real = b", ".join(found[b"x-real-ip"]) if trusted and found.get(b"x-real-ip") else None
        kept.append((b"X-Forwarded-For", b", ".join(prior) + b", " + bpeer if prior else bpeer))
        kept.append((b"X-Forwarded-Proto", proto or flow.request.scheme.encode("ascii")))
        kept.append((b"X-Real-IP", real or bpeer))
        headers.fields = tuple(kept)

    @staticmethod
    def _answer(flow: http.HTTPFlow, resp: tuple[int, dict[str, str], bytes], *, close: bool = False) -> None:
        status, headers, body = resp
        h = dict(headers)
        if close:
            h["Connection"] = "close"
        flow.metadata.pop(SERVICE_CREDENTIAL, None)  # the gateway's own answer verifies no credential
        flow.metadata.pop(COMMAND_HOOK, None)  # nor tells anything of a command hook
        flow.response = http.Response.make(status, body, h)

    def error(self, flow: http.HTTPFlow) -> None:
        """mitmproxy's own failures (upstream refused, timed out, protocol errors)."""
        timer = self._timers.pop(flow.id, None)
        if timer is not None:
            timer.cancel()
        try:
            self._exchange_done(flow)
            self._release_upload(flow)
        except Exception:
            log.exception("error hook failed")
        try:
            if self.metrics is not None and flow.error is not None:
                m = (flow.error.msg or "").lower()
                kind = ("timeout" if "timeout" in m or "timed out" in m
                        else "connect" if "connect" in m or "refused" in m else "other")
                self.metrics.upstream_errors.labels(kind=kind).inc()
        except Exception:
            log.exception("error hook failed")

    # ------------------------------------------------------------ websocket

    def websocket_message(self, flow: http.HTTPFlow) -> Awaitable[None] | None:
        """Client frames are judged (dlp_proxy.gateway.websocket); server frames pass.

        mitmproxy's websocket layer appends the message, runs this hook and
        forwards the message only after every addon returned (it awaits an
        awaitable result: addonmanager.invoke_addon), and only if
        ``message.dropped`` is still False (proxy/layers/websocket.py).  So a
        client frame is held until ``_judge_frame`` decided; anything but an
        allowing verdict drops it.  The history is trimmed first: the layer keeps
        its own reference to the message."""
        try:
            ws = flow.websocket
            if ws is None or not ws.messages:
                return None
            message = ws.messages[-1]
            if len(ws.messages) > WEBSOCKET_HISTORY:
                del ws.messages[: len(ws.messages) - WEBSOCKET_HISTORY]
            if not message.from_client or message.injected:
                return None
        except Exception:
            log.exception("websocket hook failed")
            return None
        return self._judge_frame(flow, message)

    def websocket_start(self, flow: http.HTTPFlow) -> None:
        """An unauthenticated websocket is closed after ``WS_AUTH_SECONDS`` unless it
        authenticated by then, as Mattermost closes it (web_conn.go writePump's authTicker)."""
        try:
            loop = asyncio.get_running_loop()
            loop.call_later(WS_AUTH_SECONDS, lambda: self._spawn(self._ws_auth_deadline(flow)))
        except Exception:
            log.exception("websocket_start failed")

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ws_auth_deadline(self, flow: http.HTTPFlow) -> None:
        try:
            if flow.live and await self._ws_authenticated(flow) is False:
                self._count_early("ws-unauthenticated")
                self._close_client(flow.client_conn.id, "websocket not authenticated in time")
        except Exception:
            log.exception("websocket authentication deadline failed")

    async def _ws_authenticated(self, flow: http.HTTPFlow) -> bool:
        """Whether the socket is authenticated: the upgrade's credentials as Mattermost
        reads them (app/authentication.go ParseAuthTokenFromRequest; api4/websocket.go
        connectWebSocket upgrades without a session, and an invalid token leaves the
        socket unauthenticated), or an ``authentication_challenge`` accepted since.
        Mattermost or Redis unreachable: True (frames are judged as they always were)."""
        state = flow.metadata.get(WS_AUTH)
        if state is not None:
            return bool(state)
        resolver = self.pipeline.context
        token = token_from_request(header_dict(flow.request.headers.fields), flow.request.path.partition("?")[2])
        if resolver is None:
            state = True
        elif token is None:
            state = False
        else:
            try:
                state = await resolver.user(token) is not None
            except Exception as exc:
                log.warning("websocket credentials could not be checked", extra={"error_type": type(exc).__name__})
                return True  # (asked again at the next frame)
        flow.metadata[WS_AUTH] = state
        return state

    async def _ws_challenge(self, flow: http.HTTPFlow, token: str) -> bool | None:
        """An ``authentication_challenge`` on an unauthenticated socket: True when
        Mattermost will accept the token, False when it will not (it closes the socket:
        app/platform/websocket_router.go ServeWebSocket), None when it cannot be told."""
        resolver = self.pipeline.context
        if resolver is None:
            return None
        try:
            return await resolver.user(token) is not None
        except Exception as exc:
            log.warning("websocket credentials could not be checked", extra={"error_type": type(exc).__name__})
            return None

    def _count_early(self, reason: str) -> None:
        self.early_refusals[reason] = self.early_refusals.get(reason, 0) + 1
        if self.metrics is not None and hasattr(self.metrics, "early_refusals"):
            self.metrics.early_refusals.labels(reason=reason).inc()

    def _first_refusal(self, flow: http.HTTPFlow, reason: str) -> bool:
        """True the first time a websocket has a frame refused for ``reason``: only that
        one is archived (a frame refused unread carries nothing to keep, and archiving
        each would let one socket make the gateway fsync per frame: attack 16h F7)."""
        seen = flow.metadata.setdefault(WS_ARCHIVED, set())
        if reason in seen:
            return False
        seen.add(reason)
        return True

    async def _judge_frame(self, flow: http.HTTPFlow, message: Any) -> None:
        from dlp_proxy.gateway import websocket

        self.inflight += 1
        self._idle.clear()
        message.drop()  # until judged allowed
        headers = {k: v for k, v in header_dict(flow.request.headers.fields).items()
                   if not k.startswith("content-")}
        headers["content-type"] = "application/json"
        token = flow.metadata.get("dlp_ws_token")
        if token and "authorization" not in headers:
            headers["authorization"] = f"Bearer {token}"
        greq = GatewayRequest(
            method="WS",
            target=flow.request.path,
            headers=headers,
            body=bytes(message.content),
            client_ip=flow.client_conn.peername[0] if flow.client_conn.peername else "",
        )
        route_name: str | None = None
        try:
            judged = websocket.classify_frame(greq.body, message.is_text)
            if judged.body is not None:
                greq.body = judged.body  # a binary frame is judged (and archived) as the JSON it stands for
            route = websocket.frame_route(judged.action_label)
            route_name = route.name
            label = websocket.metric_label(judged.action_label)
            if not await self._ws_authenticated(flow):
                # Mattermost's router serves an unauthenticated socket nothing but an
                # authentication_challenge (app/platform/websocket_router.go ServeWebSocket:
                # not_authenticated for any other action; a challenge whose token is not a
                # string or not a session closes the socket): here nothing else is
                # forwarded, judged or archived per frame (one record per socket and reason)
                if judged.kind == "pass" and judged.token is not None:
                    accepted = await self._ws_challenge(flow, judged.token)
                    if accepted is not False:
                        flow.metadata[WS_AUTH] = True  # (not told: its frames are judged as any socket's)
                        flow.metadata["dlp_ws_token"] = judged.token
                        message.dropped = False
                        return
                closing = judged.action_label == "authentication_challenge"
                self._count_early("ws-unauthenticated")
                if self._first_refusal(flow, "unauthenticated"):
                    await self.pipeline.refuse_frame(greq, route, "the websocket is not authenticated")
                if closing:
                    self._close_client(flow.client_conn.id, "websocket authentication refused")
                else:
                    self._refuse_frame(flow, judged.seq, "This socket is not signed in, so this was not sent.",
                                       UNAUTHENTICATED_ID)
                return
            if judged.kind == "pass":
                if judged.token is not None:
                    flow.metadata["dlp_ws_token"] = judged.token  # memory only, for the next frames' context
                message.dropped = False
                return
            async with asyncio.timeout(self.pipeline.config.scan_deadline_seconds):
                if judged.kind == "drop":
                    if self._first_refusal(flow, judged.reason):
                        await self.pipeline.refuse_frame(greq, route, judged.reason)
                    else:
                        self._count_early("ws-frame-repeated")
                    if self.metrics is not None:
                        self.metrics.decision(Action.BLOCK.value, label, ())
                    self._refuse_frame(flow, judged.seq, "The message was not sent: the data-loss-prevention gateway cannot read it.")
                    return
                verdict = await self.pipeline.judge_frame(greq, route)
            if self.metrics is not None and verdict.decision is not None:
                self.metrics.decision(verdict.decision.action.value, label, verdict.decision.entity_types)
            if verdict.forward and verdict.new_body is None:
                message.dropped = False
            else:
                self._refuse_frame(flow, judged.seq, "The message was not sent because it appears to contain customer information.")
            if verdict.after is not None:
                task = asyncio.create_task(self._run_after(verdict.after, greq.request_id))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except BaseException as exc:
            message.drop()
            timeout = isinstance(exc, TimeoutError | asyncio.TimeoutError)
            reason = "scan-deadline" if timeout else "inspection-error"
            log.error("websocket frame judgment failed; dropped",
                      extra={"request_id": greq.request_id, "reason": reason, "error_type": type(exc).__name__,
                             "route": route_name})
            if not isinstance(exc, asyncio.CancelledError):
                await self.pipeline.record_failure(greq, reason=reason, error=type(exc).__name__,
                                                   action=Action.FAIL_CLOSED, route_name=route_name)
            else:
                raise
        finally:
            self.inflight -= 1
            if self.inflight == 0:
                self._idle.set()

    @staticmethod
    def _refuse_frame(flow: http.HTTPFlow, seq: int | None, message: str, error_id: str = responses.BLOCKED_ID) -> None:
        """Answer a dropped frame as Mattermost answers a failed one (the client's
        callback for ``seq`` fires); best effort, injected toward the client only."""
        if seq is None:
            return
        try:
            from mitmproxy import ctx

            from dlp_proxy.gateway.websocket import refusal_reply

            proxyserver = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
            if proxyserver is not None:
                proxyserver.inject_websocket(flow, True, refusal_reply(seq, error_id, message))
        except Exception:
            log.exception("could not answer a dropped websocket frame")

    # ------------------------------------------------------------ shutdown

    async def drain(self, timeout: float) -> bool:
        """Stop accepting new requests and wait for in-flight judgments."""
        self.accepting = False
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout)
        return True


class _BodyWatch:
    """A body arriving: when it started, its last byte, the bytes so far, its total
    deadline, the timer that looks at it next (``DLPAddon._body_rule``)."""

    __slots__ = ("client_id", "deadline", "handle", "last", "received", "start")

    def __init__(self, client_id: str, start: float, deadline: float) -> None:
        self.client_id = client_id
        self.start = start
        self.last = start
        self.received = 0
        self.deadline = deadline
        self.handle: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.handle = None


class _Conn:
    """A client connection's read-timeout state."""

    __slots__ = ("ip", "open", "timer", "upgraded")

    def __init__(self, ip: str | None) -> None:
        #: the address counted against the per-address cap (None: not counted)
        self.ip = ip
        #: exchanges whose headers arrived and whose answer did not go out yet
        self.open = 0
        self.timer: asyncio.TimerHandle | None = None
        self.upgraded = False


def patch_mitmproxy_early_answer() -> None:
    """Let the addon answer a request from ``requestheaders`` without reading its body.

    mitmproxy reads (and buffers) the whole body even when ``requestheaders`` set a
    response, and answers after it (proxy/layers/http/__init__.py,
    ``state_wait_for_request_headers`` then ``state_consume_request_body``).  For a
    flow marked ``EARLY`` the response is sent right after the hook and the stream
    is ended with a protocol error that writes nothing more (the HTTP/1 connection
    is closed, an HTTP/2 stream reset), as mitmproxy does for a body over
    ``body_size_limit``.  A flow with ``BODY_LIMIT`` (every admitted body: its
    Content-Length, or its route's cap without one) has its share of the bytes in
    flight grown as its bytes arrive (``BODY_GROW``; 503 when the budget or its
    party's share cannot grow) and is refused with 413 as soon as more than that
    many bytes arrived.

    A flow with a ``SPOOL`` writer (an upload, ``DLPAddon._start_spool``) has its body
    written to that encrypted file as it arrives instead of into mitmproxy's buffer
    (``state_consume_request_body``); once judged, it is forwarded from the file
    (``_pump_spool``), a chunk at a time, pausing while more than
    ``FORWARD_HIGH_WATER`` bytes wait in the upstream connection's write buffer.
    mitmproxy's own streaming (``flow.request.stream``) cannot do this: it sends the
    request upstream as it arrives, before the ``request`` hook judged it.
    Idempotent.
    """
    from mitmproxy.net.http import status_codes
    from mitmproxy.proxy import commands
    from mitmproxy.proxy.events import Wakeup as wakeup
    from mitmproxy.proxy.layers import http as layers_http
    from mitmproxy.proxy.layers.http import _events as ev
    from mitmproxy.proxy.layers.http._hooks import HttpErrorHook, HttpRequestHook, HttpResponseHeadersHook

    stream_cls: Any = layers_http.HttpStream
    if getattr(stream_cls, "_dlp_early_patched", False):
        return
    original_headers = stream_cls.state_wait_for_request_headers
    original_check = stream_cls.check_body_size
    original_consume = stream_cls.state_consume_request_body
    original_handle = stream_cls._handle_event

    def state_wait_for_request_headers(self: Any, event: Any) -> Generator[Any, Any, None]:
        yield from original_headers(self, event)
        f = self.flow
        if (f is None or f.response is None or not f.metadata.get(EARLY) or event.end_stream
                or self.client_state != self.state_consume_request_body):
            return
        f.response.timestamp_start = f.response.timestamp_end = time.time()
        client = self.context.client
        yield layers_http.SendHttp(ev.ResponseHeaders(self.stream_id, f.response, False), client)
        if f.response.raw_content:
            yield layers_http.SendHttp(ev.ResponseData(self.stream_id, f.response.raw_content), client)
        yield layers_http.SendHttp(
            ev.ResponseProtocolError(self.stream_id, "answered before the body", status_codes.NO_RESPONSE), client)
        self.client_state = self.state_errored
        self.server_state = self.state_errored
        f.live = False

    # The wrappers below that only add a case (a body over the flow's limit, a spooled
    # body, a wakeup) are plain functions handing back mitmproxy's own generator
    # otherwise: a generator of their own around it was resumed at every event of
    # every request (mitmproxy drives these with ``yield from`` and ``send``, which
    # take any generator).

    def refuse_busy(self: Any) -> Generator[Any, Any, None]:
        from mitmproxy import flow as mflow

        message = responses.MIDBODY_BUSY_MESSAGE
        self.flow.error = mflow.Error(message)
        yield HttpErrorHook(self.flow)
        yield layers_http.SendHttp(ev.ResponseProtocolError(self.stream_id, message, 503), self.context.client)
        self.client_state = self.state_errored
        self.flow.live = False

    def check_body_size(self: Any, request: bool) -> Generator[Any, Any, bool]:
        limit = self.flow.metadata.get(BODY_LIMIT) if request and self.flow is not None else None
        if limit is not None:
            grow = self.flow.metadata.get(BODY_GROW)
            if grow is not None and not grow(self.flow.id, len(self.request_body_buf), limit):
                return refused_busy(self)
            if len(self.request_body_buf) > limit:
                return refused_body_size(self)
        return original_check(self, request)  # type: ignore[no-any-return]

    def refused_busy(self: Any) -> Generator[Any, Any, bool]:
        yield from refuse_busy(self)
        return True

    def refused_body_size(self: Any) -> Generator[Any, Any, bool]:
        yield from refuse_over_limit(self)
        return True

    def refuse_over_limit(self: Any) -> Generator[Any, Any, None]:
        from mitmproxy import flow as mflow

        message = "Request body exceeds the gateway's limit for this route."
        self.flow.error = mflow.Error(message)
        yield HttpErrorHook(self.flow)
        yield layers_http.SendHttp(ev.ResponseProtocolError(self.stream_id, message, 413), self.context.client)
        self.client_state = self.state_errored
        self.flow.live = False

    def state_consume_request_body(self: Any, event: Any) -> Generator[Any, Any, None]:
        f = self.flow
        if f is None or SPOOL not in f.metadata or isinstance(event, ev.RequestTrailers):
            return original_consume(self, event)  # type: ignore[no-any-return]
        return consume_into_spool(self, event, f)

    def consume_into_spool(self: Any, event: Any, f: Any) -> Generator[Any, Any, None]:
        writer = f.metadata[SPOOL]
        if isinstance(event, ev.RequestData):
            received = f.metadata[SPOOL_RECEIVED] = f.metadata.get(SPOOL_RECEIVED, 0) + len(event.data)
            if writer is not None and SPOOL_FAILED not in f.metadata:
                try:
                    writer.feed(event.data)
                except Exception as exc:  # the rest of the body is read and dropped; refused when complete
                    f.metadata[SPOOL_FAILED] = type(exc).__name__
                    writer.abort()
            limit = f.metadata.get(BODY_LIMIT)
            grow = f.metadata.get(BODY_GROW) if limit is not None else None
            if grow is not None and not grow(f.id, received, limit):
                yield from refuse_busy(self)
            elif limit is not None and received > limit:
                yield from refuse_over_limit(self)
            return
        if not isinstance(event, ev.RequestEndOfMessage):
            yield from original_consume(self, event)  # (raises: not an event of this state)
            return
        if writer is not None and SPOOL_FAILED not in f.metadata:
            try:
                f.metadata[SPOOLED] = writer.finish()
            except Exception as exc:
                f.metadata[SPOOL_FAILED] = type(exc).__name__
                writer.abort()
        f.request.timestamp_end = time.time()
        f.request.data.content = b""  # the body is in the spool (Content-Length stays as sent)
        self.client_state = self.state_done
        yield HttpRequestHook(f)
        if (yield from self.check_killed(True)):
            return
        if f.response:
            f.response.timestamp_start = time.time()
            yield HttpResponseHeadersHook(f)
            if (yield from self.check_killed(True)):
                return
            yield from self.send_response()
            return
        spooled = f.metadata.get(SPOOLED)
        if spooled is None and not f.request.raw_content:
            # never forward a body that was not kept (the addon answers these itself)
            yield layers_http.SendHttp(ev.ResponseProtocolError(self.stream_id, "request body not kept", 503),
                                       self.context.client)
            self.client_state = self.server_state = self.state_errored
            return
        ok = yield from self.make_server_connection()
        if not ok:
            return
        content = f.request.raw_content
        server = self.context.server
        yield layers_http.SendHttp(ev.RequestHeaders(self.stream_id, f.request, False), server)
        if content:  # a body the gateway replaced
            yield layers_http.SendHttp(ev.RequestData(self.stream_id, content), server)
        else:
            self._dlp_forward = spooled.chunks()
            yield from _pump_spool(self)
            return
        if f.request.trailers:
            yield layers_http.SendHttp(ev.RequestTrailers(self.stream_id, f.request.trailers), server)
        yield layers_http.SendHttp(ev.RequestEndOfMessage(self.stream_id), server)

    def _pump_spool(self: Any) -> Generator[Any, Any, None]:
        """Forward the spooled body's next chunks; wait (a wakeup) while the upstream
        connection's write buffer holds more than ``FORWARD_HIGH_WATER``."""
        chunks = self._dlp_forward
        server = self.context.server
        try:
            while True:
                if self.server_state == self.state_errored or not self.flow.live:
                    chunks.close()
                    self._dlp_forward = None
                    return
                if _upstream_backlog(self.flow) > FORWARD_HIGH_WATER:
                    yield commands.RequestWakeup(0.005)
                    return
                chunk = next(chunks, None)
                if chunk is None:
                    break
                yield layers_http.SendHttp(ev.RequestData(self.stream_id, chunk), server)
        except Exception as exc:
            # the spool changed under the gateway (its authentication failed): Mattermost
            # gets a cut body (it stores nothing), the client an error
            log.error("spooled body failed its check while forwarding", extra={"error_type": type(exc).__name__})
            self._dlp_forward = None
            yield layers_http.SendHttp(ev.RequestProtocolError(self.stream_id, "spooled body failed its check"), server)
            yield layers_http.SendHttp(ev.ResponseProtocolError(self.stream_id, "spooled body failed its check", 502),
                                       self.context.client)
            self.client_state = self.server_state = self.state_errored
            return
        self._dlp_forward = None
        if self.flow.request.trailers:
            yield layers_http.SendHttp(ev.RequestTrailers(self.stream_id, self.flow.request.trailers), server)
        yield layers_http.SendHttp(ev.RequestEndOfMessage(self.stream_id), server)

    def _handle_event(self: Any, event: Any) -> Generator[Any, Any, None]:
        if isinstance(event, wakeup):  # only ``_pump_spool`` asks a stream for wakeups
            return _woken(self)
        return original_handle(self, event)  # type: ignore[no-any-return]

    def _woken(self: Any) -> Generator[Any, Any, None]:
        if getattr(self, "_dlp_forward", None) is not None:
            yield from _pump_spool(self)

    stream_cls.state_wait_for_request_headers = state_wait_for_request_headers
    stream_cls.check_body_size = check_body_size
    stream_cls.state_consume_request_body = state_consume_request_body
    stream_cls._handle_event = _handle_event
    stream_cls._dlp_early_patched = True


def _upstream_backlog(flow: http.HTTPFlow) -> int:
    """Bytes waiting in the write buffer of the flow's upstream connection (0 when
    it cannot be found)."""
    try:
        from mitmproxy import ctx

        proxyserver = ctx.master.addons.get("proxyserver")  # type: ignore[no-untyped-call]
        handler = proxyserver.connections.get(flow.client_conn.id) if proxyserver else None
        io = handler.transports.get(flow.server_conn) if handler is not None else None
        writer = io.writer if io is not None else None
        return int(writer.transport.get_write_buffer_size()) if writer is not None else 0
    except Exception:
        return 0


#: request headers the gateway sets for Mattermost (``_add_forward_headers``)
_FORWARD_HEADERS = frozenset({b"x-forwarded-for", b"x-forwarded-proto", b"x-real-ip"})


def header_dict(fields: tuple[tuple[bytes, bytes], ...]) -> dict[str, str]:
    """Request headers as a dict with lower-case names, repeated headers folded
    with ", " in order: what ``{k.lower(): v for k, v in headers.items()}`` gives
    on mitmproxy's ``Headers``, at a fifteenth of the cost (that walks the
    multidict once per name)."""
    out: dict[str, str] = {}
    for name, value in fields:
        key = name.decode("utf-8", "surrogateescape").lower()
        text = value.decode("utf-8", "surrogateescape")
        prev = out.get(key)
        out[key] = text if prev is None else f"{prev}, {text}"
    return out


_UNAVAILABLE = "The data-loss-prevention gateway could not check this request, so it was not sent. Try again in a moment."
