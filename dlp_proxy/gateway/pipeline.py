"""The gateway's request pipeline, independent of mitmproxy.

    route -> decode -> extract -> (files) -> context -> detect -> decide -> record -> act

``Pipeline.handle`` takes a ``GatewayRequest`` and returns a ``Verdict``: forward
unchanged, forward rewritten (redaction), or answer with an AppError.  The
mitmproxy addon (addon.py) only translates flows to and from these types, and
wraps ``handle`` in the deadline and the fail-closed net: *any* exception that
escapes here stops the request with a 503 and is archived as ``fail_closed``.

Ordering guarantees, which the tests check:
- the decision record is durable (``Archive.append`` returned) before a
  request is forwarded or answered;
- a quarantined request is durable in the quarantine store before the sender
  is told it is held;
- nothing is forwarded for a route that was not fully judged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, unquote

import httpx
import unicodedata2 as unicodedata  # the normalizer's tables (detect/normalize.py)

from dlp_proxy import atrest
from dlp_proxy.archive.format import utc_now_iso
from dlp_proxy.detect.decode import decode_token
from dlp_proxy.detect.normalize import ascii_fold, may_read_as_digits, rendered_digits
from dlp_proxy.detect.words import split_reading
from dlp_proxy.gateway import (
    attached,
    audience,
    authdata,
    emoji,
    fullname,
    headers,
    links,
    mentions,
    permalinks,
    responses,
)
from dlp_proxy.gateway.budget import LoopMeter, ScanBudgetExceeded, address_group
from dlp_proxy.gateway.context import ContextResolver, token_from_request
from dlp_proxy.gateway.extract import (
    BodyError,
    Extracted,
    FilePart,
    decode_content_encoding,
    extract,
    filename_items,
    go_field_name,
    go_json_decode,
    go_path,
    is_reference_id,
    key_may_hold_number,
    no_content_shape_error,
)
from dlp_proxy.gateway.filescan import KeptFileText, ScanSession
from dlp_proxy.gateway.goread import parse_query
from dlp_proxy.gateway.lookups import Screen, TtlCache, Unresolved
from dlp_proxy.gateway.paths import PathError, check_target, spellings, split_target, under_subpath
from dlp_proxy.gateway.paths import go_path as go_url_path
from dlp_proxy.gateway.rendered import RENDERED_PART as _RENDERED_PART
from dlp_proxy.gateway.rendered import RenderedPost, rendered_posts
from dlp_proxy.gateway.routes import (
    EGRESS_QUERY_ROUTE_NAMES,
    QUERY_ROUTE_SUFFIX,
    UNKNOWN_ROUTE,
    WRITE_METHODS,
    Body,
    Match,
    Route,
    match,
    query_is_trivial,
)
from dlp_proxy.interfaces import Archive, Detector, HeldRequest, PolicyEngine, QuarantineStore
from dlp_proxy.keys import keyed_hash
from dlp_proxy.model import (
    SEVERITY,
    TEXT_KINDS,
    Action,
    ContentItem,
    Decision,
    Finding,
    ItemKind,
    RequestContext,
    ScannedItem,
)
from dlp_proxy.policy.facts import InspectionFacts
from dlp_proxy.policy.split import Added, completed_within, has_label_word, may_carry_a_piece

log = logging.getLogger("dlp_proxy.gateway")

#: failures talking to Mattermost: recorded as context errors, the policy decides
_UPSTREAM_ERRORS = (httpx.HTTPError, asyncio.TimeoutError)

#: headers a held request keeps for its release (everything else is dropped)
RELEASE_HEADERS = ("content-type", "authorization", "cookie", "x-csrf-token", "x-requested-with", "user-agent")


#: an upload lock dropped only by its holder (Pipeline.release_upload)
_RELEASE_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass(slots=True)
class GatewayRequest:
    method: str
    target: str  # raw path + query, as received
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    client_ip: str = ""
    request_id: str = field(default_factory=responses.new_request_id)
    #: the body on disk (``filescan.Spooled``, written as it arrived) when ``body`` is
    #: ``b""``: an upload, read by the file worker from the spool, never in this process
    spool: Any = None
    #: the largest body the gateway admitted this request with (the route's cap, or the
    #: unauthenticated cap: ``DLPAddon._admit``); its decoded readings are held to it too
    body_limit: int | None = None


@dataclass(slots=True)
class Verdict:
    forward: bool
    response: tuple[int, dict[str, str], bytes] | None = None
    new_body: bytes | None = None
    decision: Decision | None = None
    record_id: str | None = None
    route: str | None = None
    #: work to run after the answer went out (sender notification)
    after: Callable[[], Awaitable[None]] | None = None
    #: a channel this request may convert or rename: its cached context is dropped
    #: again once Mattermost answered (``ContextResolver.forget_channel``)
    channel_changed: str | None = None
    #: the piece a forwarded request put in the split window (``policy.split.Added``):
    #: withdrawn if Mattermost refuses the request, tagged with a created post's id
    #: (``split_answered``)
    split_piece: Any = None
    #: an upload's files' text ends, kept by their ids from Mattermost's answer
    #: (``split_files_uploaded``)
    split_files: list[str] | None = None


@dataclass(slots=True)
class GatewayConfig:
    scan_deadline_seconds: float = 5.0
    #: the deadline for requests that carry files (uploads are opened and scanned
    #: in worker processes, so a long one does not hold up other requests)
    file_deadline_seconds: float = 120.0
    #: bodies above this many decoded bytes on non-file routes are refused (413)
    max_text_body_bytes: int = 4 * 1024 * 1024
    #: "inspect" | "block" | "allow"
    unknown_write: str = "inspect"
    #: the path of Mattermost's SiteURL ("/chat"; "" for none): routes are matched
    #: under it, and Mattermost serves nothing outside it (``classify_path``)
    upstream_subpath: str = ""
    #: route names whose inspection failures forward the request (recorded as fail_open)
    fail_open_routes: frozenset[str] = frozenset()
    #: action when a file cannot be fully inspected and the policy engine has no
    #: ``uninspected`` section (a Policy always has one: dlp_proxy/policy/uninspected.py)
    incomplete_file_action: Action = Action.QUARANTINE
    #: run detection inline (on the event loop) up to this many characters; above
    #: it, in a worker thread.  Inline is much cheaper for chat-sized messages (no
    #: thread hop, no GIL hand-offs between the loop and the scan threads), but an
    #: inline scan cannot be abandoned at the deadline: only the built-in engine,
    #: whose worst case on this many characters is measured (docs/benchmarks.md),
    #: is run inline, and only texts with few digits (``inline_eligible``); the
    #: server sets 0 for a plug-in detector (DLP_DETECTOR).
    inline_scan_chars: int = 1024
    #: a post's message longer than this many characters (runes) is refused before it
    #: is scanned: Mattermost refuses it too (model/post.go PostMessageMaxRunesV2;
    #: a server on the old schema allows 4,000).  0: no check
    max_post_runes: int = 16383
    worker_id: str = "w0"
    #: seconds Mattermost may take to answer (the addon's upstream timer): how long a
    #: thread's "moving" / "writing" marks may outlive their request (gateway/moves.py)
    upstream_timeout_seconds: float = 60.0
    #: integrations whose answers may be posted (dlp_proxy.gateway.integrations.Allowlist);
    #: None: an empty allowlist (only plugin routes)
    integration_allowlist: Any = None
    redact_footnote: str = "(Identifiers in this message were masked by the data-loss-prevention gateway.)"
    #: DLP_LINK_PREVIEWS / DLP_LINK_PREVIEW_HOSTS (gateway/links.py): posts with other
    #: links are forwarded with ``props.unsafe_links``
    link_previews: str = "allow"
    link_preview_hosts: frozenset[str] = frozenset()


class Notifier:
    """Tells the sender (ephemeral post) and compliance (alert channel); best effort."""

    async def notify(self, ctx: RequestContext, decision: Decision, record_id: str,
                     policy: PolicyEngine | None = None, item_id: str = "") -> None:  # pragma: no cover
        return None


class Pipeline:
    def __init__(
        self,
        *,
        detector: Detector,
        policy: Callable[[], PolicyEngine],
        archive: Archive,
        context: ContextResolver | None,
        quarantine: QuarantineStore | None,
        hash_key: bytes,
        config: GatewayConfig | None = None,
        notifier: Notifier | None = None,
        split_window: Any = None,
        uploads: Any = None,
        redis: Any = None,
        file_scanner: Any = None,
        text_scanner: Any = None,
        scan_budget: Any = None,
    ) -> None:
        self.detector = detector
        self.policy = policy
        self.archive = archive
        self.context = context
        self.quarantine = quarantine
        self.hash_key = hash_key
        self.config = config or GatewayConfig()
        self.notifier = notifier
        self.split_window = split_window
        #: dlp_proxy.files.UploadStore: chunks of resumable uploads, encrypted on disk
        self.uploads = uploads
        self.redis = redis
        #: request id -> the Redis key of the upload lock it holds (``_lock_upload``)
        self._upload_locks: dict[str, str] = {}
        from dlp_proxy.gateway.moves import ThreadFreeze

        #: a thread is frozen for writes while it is moved (gateway/moves.py)
        self.thread_freeze = ThreadFreeze(redis, hash_key) if redis is not None else None
        #: dlp_proxy.gateway.filescan.FileScanner: files extracted and scanned off-process
        self.file_scanner = file_scanner
        #: FileScanner whose workers scan texts too long (or digit-heavy) for the event
        #: loop: a scan past the deadline kills its worker.  None: a thread pool (a
        #: pipeline assembled for tests or tools), where an abandoned scan runs on
        self.text_scanner = text_scanner
        #: dlp_proxy.gateway.budget.ScanBudget: off-loop scan seconds per user
        self.scan_budget = scan_budget
        #: bot user id -> its owner's id ("" when it has none that could be read): whose
        #: scan budget a bot's requests pay from (``_budget_key``)
        self._bot_owners: TtlCache[str, str] = TtlCache(BOT_OWNER_SECONDS, 10_000)
        #: the clock of what a request costs the event loop (LoopMeter): the thread's CPU time
        self.loop_clock: Callable[[], float] = time.thread_time
        self.scan_pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="dlp-scan")
        #: the context words of key paths seen (``_KeyTerms``): ``body.message`` costs nothing twice
        self.key_terms_cache: dict[str, frozenset[str]] = {}
        #: field paths that ``atrest.safe_field_path`` keeps as they are (``_field_path``)
        self._plain_field_paths: set[str] = set()
        #: (text, entities) of header items the detector found nothing in, and (text, None)
        #: of what else a read's handler gets, found empty or proven so by the detector's
        #: gate (``_reads_carry``; in memory only)
        self._clean_headers: set[tuple[str, frozenset[str] | None]] = set()
        if context is not None and getattr(context, "terms_of", None) is None:
            # a channel's display name and purpose are cached as their context words only
            context.terms_of = getattr(detector, "context_terms", None)

    # ------------------------------------------------------------------ entry

    def classify(self, method: str, target: str, *, has_body: bool = False) -> tuple[Match, str, str]:
        """The route a request is judged as: every reading of its path
        (dlp_proxy.gateway.paths.readings: Go's and the most decoded) is
        matched, and the most inspected result applies (denied > content >
        unknown write > no content > passthrough).  Readings that name two
        different content routes are refused (``PathError``): a real client
        never sends such a path, and judging it as either route could judge
        the wrong body."""
        check_target(target)  # a raw '#': Go keeps it in the path, refused (paths.check_target)
        raw_path, query = split_target(target)
        m, path = classify_path(method, raw_path, has_body=has_body, subpath=self.config.upstream_subpath)
        return m, path, query

    async def handle(self, req: GatewayRequest, classified: tuple[Match, str, str] | None = None) -> Verdict:
        """``classified``: ``classify(req.method, req.target)`` when the caller already has it."""
        try:
            m, path, query = (classified if classified is not None
                              else self.classify(req.method, req.target,
                                                 has_body=bool(req.body) or req.spool is not None))
        except PathError as exc:
            return await self._refuse(req, 400, responses.BAD_REQUEST_ID, f"The request path is not valid ({exc}).", "bad-path")
        if req.spool is not None and (m.route is None or m.route.body not in (Body.FILES, Body.UPLOAD_CHUNK)
                                      or self.file_scanner is None):
            # only a file route's body is read from its spool (in a worker): any other
            # reading of the request gets its bytes
            req.body, req.spool = await asyncio.to_thread(req.spool.read), None
        if headers.oversized(req.headers):
            # more header text than a client sends: never read (gateway/headers.py); a
            # read too, answered with an AppError rather than forwarded to be refused
            # in plain text upstream (Go's net/http answers "431 Request Header Fields
            # Too Large" as text/plain over 1 MiB: src/net/http/server.go readRequest)
            return await self._refuse(req, 431, responses.TOO_LARGE_ID,
                                      "The request's headers are larger than the data-loss-prevention gateway reads.",
                                      "headers-too-large")
        if m.kind == "not_found":
            # outside Mattermost's subpath: no handler there would read it (classify_path)
            return await self._refuse(req, 404, responses.NOT_FOUND_ID, NOT_FOUND_MESSAGE, "outside-subpath")
        if m.kind == "denied":
            return await self._refuse(req, 403, responses.DENIED_ID, f"This request is not allowed: {m.reason}.", "denied-route")
        if m.kind == "no_content":
            # a body that is not exactly what the handler reads is refused (typing's
            # parent_id is broadcast as it is: extract.no_content_shape_error)
            problem = no_content_shape_error(m.shape, req.body) if req.body else None
            if problem is None and req.body and m.shape not in ("credentials", "search") and \
                    req.headers.get("content-encoding", "").strip().lower() not in ("", "identity"):
                problem = "Content-Encoding is not accepted on this route"
            if problem is not None:
                return await self._refuse(req, 400, responses.BAD_REQUEST_ID,
                                          f"The request could not be inspected: {problem}.", "bad-body")
            if (said := headers.header_items(req.headers, every=False)) and await self._headers_carry(said):
                # its body is not read, its headers are: a login's User-Agent becomes its
                # session's browser version (app/login.go; gateway/headers.py)
                return await self._refuse(req, 400, responses.BAD_REQUEST_ID, HEADER_REFUSED_MESSAGE,
                                          HEADER_REFUSED_RULE)
            try:
                kept = credential_fields(path, req.body, query) if m.shape == "credentials" else {}
            except CredentialBodyError as exc:
                # Go reads the stored fields of this body, and the gateway cannot be sure
                # which (issue 14: refuse rather than judge nothing)
                return await self._refuse(req, 400, responses.BAD_REQUEST_ID,
                                          f"The request could not be inspected: {exc}.", "bad-body")
            if kept:
                # the fields of a credential request Mattermost stores or shows, judged on
                # their own: the password, token and MFA code are never read nor archived
                judged = await self._inspect(replace(req, body=json.dumps(kept).encode(), spool=None),
                                             CREDENTIALS_ROUTE, {}, path, "")
                if judged.forward:  # the request as sent (nothing of it is rewritten)
                    return Verdict(forward=True, decision=judged.decision, record_id=judged.record_id)
                return judged
            return Verdict(forward=True)
        if m.kind == "query":
            # a read whose query Mattermost hands to a plugin or an integration
            # (routes.QUERY_ROUTES): judged like a body unless its query is trivial and
            # what else the handler gets (a plugin's path and headers: ``plugin_read_items``)
            # holds nothing the detector finds (its own gate first: ``_reads_carry``); a
            # query that leaves the firm (routes.EGRESS_QUERY_ROUTES) whatever its shape
            assert m.route is not None
            if headers.session_read(path) and await self._headers_carry(headers.header_items(req.headers, every=False)):
                # an OAuth login's User-Agent becomes its session's browser version
                return await self._refuse(req, 400, responses.BAD_REQUEST_ID, HEADER_REFUSED_MESSAGE,
                                          HEADER_REFUSED_RULE)
            read = self._query_read(req.target, req.headers, path, m.route)
            if ((_quick_egress(m.route, query) or query_is_trivial(query))
                    and not await self._reads_carry(read)):
                return Verdict(forward=True)
            return await self._inspect(req, m.route, m.params or {}, path, query)
        if m.kind == "passthrough":
            # a read's User-Agent (and a controlled header not of its shape) is stored too:
            # every audit record holds it (web/context.go MakeAuditRecord: ``Actor.Client``),
            # and reads audit (api4/file.go getFile, getFileLink, getFileInfosForPost;
            # api4/post.go getPostThread...), and an OAuth login's becomes its session's
            # browser version (headers.session_read).  Remembered once judged clean.
            said = headers.read_items(req.headers, path)
            if sum(len(i.text) for i in said) > headers.MAX_READ_HEADER_CHARS:
                return await self._refuse(req, 400, responses.BAD_REQUEST_ID, READ_HEADERS_TOO_LONG_MESSAGE,
                                          "read-headers-too-long")
            if said and await self._headers_carry(said):
                return await self._refuse(req, 400, responses.BAD_REQUEST_ID, HEADER_REFUSED_MESSAGE,
                                          HEADER_REFUSED_RULE)
            return Verdict(forward=True)
        route = m.route
        assert route is not None
        changed = channel_changed(req.method, path, req.body or b"")
        if changed is not None:
            mentions.forget_channel_names()
            if self.context is not None:
                await self.context.forget_channel(changed)
        if self.quarantine is not None and (widened := audience.widened_channel(req.method, path, req.body)):
            # a channel made public or shared after messages were released into it (gateway/audience.py)
            if await audience.released_into(self.quarantine, widened):
                return await self._refuse(req, 403, audience.WIDENED_ID, audience.WIDENED_MESSAGE,
                                          audience.WIDENED_RULE, route=route)
        if m.kind == "unknown_write" and not req.body and not query and req.method.upper() not in WRITE_METHODS:
            read = path_items(req.target, req.headers)
            plugin = (plugin_read_items(req.target, req.headers, self.config.upstream_subpath)
                      if path.startswith(PLUGIN_PREFIX) else [])
            if all(i.path.startswith(_HEADER_PREFIX) for i in read) and not await self._reads_carry([*read, *plugin]):
                # a DELETE (or any verb) with nothing to read in its path, whose headers
                # (with the path) hold nothing the detector finds (scanned once: ``_headers_carry``)
                return Verdict(forward=True, channel_changed=changed)
        if m.kind == "unknown_write" and self.config.unknown_write == "allow":
            return Verdict(forward=True)
        if m.kind == "unknown_write" and self.config.unknown_write == "block":
            return await self._refuse(req, 403, responses.DENIED_ID, "This kind of request is not allowed by the data-loss-prevention gateway.", "unknown-write-blocked")
        verdict = await self._inspect(req, route, m.params or {}, path, query)
        verdict.channel_changed = changed if verdict.forward else None
        return verdict

    async def judge_frame(self, req: GatewayRequest, route: Route) -> Verdict:
        """A client websocket frame (dlp_proxy.gateway.websocket): ``req.body`` is
        the frame, judged as a JSON body under ``route``; archived like a request."""
        return await self._inspect(req, route, {}, route.template, "")

    async def refuse_frame(self, req: GatewayRequest, route: Route, reason: str) -> Verdict:
        """A frame dropped unread (binary, malformed, a malformed credential): archived."""
        return await self._refuse(req, 400, responses.BAD_REQUEST_ID, f"The websocket frame was dropped: {reason}.",
                                  "websocket-frame-refused", route=route)

    # ------------------------------------------------------------------ inspect

    async def _inspect(self, req: GatewayRequest, route: Route, params: dict[str, str], path: str, query: str) -> Verdict:
        # what judging this request costs the event loop is charged to its sender's
        # scan budget (past a clean post's own share: dlp_proxy.gateway.budget)
        meter = LoopMeter(self.loop_clock)
        try:
            async with contextlib.AsyncExitStack() as stack:  # (a scan session's worker is held until the end)
                return await meter.run(self._inspect_in(stack, req, route, params, path, query, meter))
        finally:
            meter.charge(self.scan_budget)

    async def _inspect_in(self, stack: contextlib.AsyncExitStack, req: GatewayRequest, route: Route,
                          params: dict[str, str], path: str, query: str, meter: LoopMeter | None = None) -> Verdict:
        started = time.perf_counter()
        session = None
        ctype = req.headers.get("content-type", "")

        limit = self.config.max_text_body_bytes
        if req.body_limit is not None:
            limit = min(limit, req.body_limit)  # (a request without credentials: the unauthenticated cap)
        encoded = req.headers.get("content-encoding", "").strip().lower() not in ("", "identity")
        if (req.body or req.spool is not None) and (route.body is Body.ANY or encoded):
            # a body that may be read decompressed (gateway/decode.py) is decoded only once
            # its sender is known (the user, else the client address) and has scan time
            # left: what the decoding costs the event loop is charged there (the meter),
            # also when it ends in a refusal (attack 16h F1: nothing was ever charged)
            early_key = await self._sender_key(req, query)
            if meter is not None:
                meter.key = early_key
            if early_key is not None and self.scan_budget is not None:
                try:
                    self.scan_budget.check(early_key)
                except ScanBudgetExceeded:
                    return await self._refuse(req, 429, SCAN_BUDGET_ID, SCAN_BUDGET_MESSAGE, "scan-budget", route=route)
        args = (route, req.body if req.spool is None else req.spool, req.headers.get("content-encoding", ""), ctype,
                query, limit)
        try:
            if req.spool is None and len(req.body) <= INLINE_EXTRACT_BYTES:
                body, ex = decode_and_extract(*args)
            elif self.file_scanner is not None:
                # A large body (a file upload) takes the MIME parser ~20 ms per MB of
                # Python: in a worker process, so the event loop never waits for it.
                # Its files stay in that worker to be judged there (one copy of the
                # body in the gateway, not three: docs/benchmarks.md); so does an
                # upload chunk, which that worker stores (``_upload_chunk``).
                session = await stack.enter_async_context(self.file_scanner.session(self.config.file_deadline_seconds))
                body, ex = await session.extract_body(*args, timeout=self.config.file_deadline_seconds, keep_files=True)
            else:
                # (no worker pool: a pipeline assembled for tests or tools) in a thread
                body, ex = await asyncio.to_thread(decode_and_extract, *args)
        except BodyError as exc:
            error_id = responses.TOO_LARGE_ID if exc.status == 413 else responses.BAD_REQUEST_ID
            return await self._refuse(req, exc.status, error_id, f"The request could not be inspected: {exc}.", "bad-body", route=route)
        except ValueError as exc:  # e.g. too many query fields
            return await self._refuse(req, 400, responses.BAD_REQUEST_ID, f"The request could not be inspected: {exc}.", "bad-body", route=route)

        if self.config.max_post_runes and route.group in _POST_GROUPS:
            for item in ex.items:
                if go_path(item.path) in _MESSAGE_PATHS and len(item.text) > self.config.max_post_runes:
                    # Mattermost refuses it (400); no need to scan what cannot be posted
                    return await self._refuse(
                        req, 400, responses.BAD_REQUEST_ID,
                        f"The message is longer than {self.config.max_post_runes} characters, which Mattermost does not accept.",
                        "message-too-long", route=route)
        if (why := mentions.display_name_refusal(route.name, ex.items)):
            # digits shown as a display name beside others make numbers no text holds
            return await self._refuse(req, 400, responses.BAD_REQUEST_ID, f"The display name is not accepted: {why}.",
                                      "display-name-digits", route=route)
        from dlp_proxy.gateway import ownprops

        if ownprops.reserved_prop(route.group, ex):
            # a prop only the gateway sets (its release workflow trusts it): gateway/ownprops.py
            return await self._refuse(req, 400, ownprops.REFUSED_ID, ownprops.REFUSED_MESSAGE, ownprops.REFUSED_RULE,
                                      route=route)
        # an action naming an integration whose answers would go unchecked (integrations.py)
        from dlp_proxy.gateway import integrations

        if (why := integrations.refusal(ex.items, self.config.integration_allowlist or integrations.Allowlist(), route.name)):
            return await self._refuse(req, 403, integrations.NOT_ALLOWED_ID, why, integrations.NOT_ALLOWED_RULE, route=route)
        moved: Any = None
        if route.name == "posts.move":
            # the thread moves with the request: judged as the destination's content (gateway/moves.py)
            from dlp_proxy.gateway.moves import MoveUnreadable, moved_thread

            freeze = None
            if self.thread_freeze is not None:
                tf, ttl = self.thread_freeze, self.config.file_deadline_seconds + self.config.upstream_timeout_seconds

                async def freeze(ids: list[str]) -> None:
                    await tf.mark_moving(req.request_id, ids, ttl)
            try:
                moved = await moved_thread(self.context, token_from_request(req.headers, query),
                                           params.get("post_id", ""), max_file_bytes=MOVE_FILE_MAX_BYTES,
                                           file_timeout=self.config.file_deadline_seconds, freeze=freeze)
            except MoveUnreadable as exc:
                from dlp_proxy.gateway.moves import MOVING_ID, MOVING_RULE

                return await self._refuse(req, exc.status, exc.error_id, str(exc),
                                          MOVING_RULE if exc.error_id == MOVING_ID else "move-thread-unreadable",
                                          route=route)
            ex.items.extend(moved.items)
            ex.files.extend(moved.files)
        elif self.thread_freeze is not None and (written := _thread_posts_written(route, params, ex)):
            # a write to a post of a thread being moved is refused (and a move waits for it)
            from dlp_proxy.gateway.moves import MOVING_ID, MOVING_MESSAGE, MOVING_RULE, ThreadBusy

            deadline = (self.config.file_deadline_seconds if route.body in (Body.FILES, Body.UPLOAD_CHUNK)
                        else self.config.scan_deadline_seconds)
            try:
                await self.thread_freeze.mark_writing(req.request_id, written,
                                                      deadline + self.config.upstream_timeout_seconds)
            except ThreadBusy:
                return await self._refuse(req, 409, MOVING_ID, MOVING_MESSAGE, MOVING_RULE, route=route)
        upload_state: str | None = None
        if route.body is Body.UPLOAD_CHUNK:
            opened: list[ScanSession] = []
            open_session: Callable[[], Awaitable[ScanSession]] | None = None
            if session is None and self.file_scanner is not None:
                scanner = self.file_scanner

                async def open_worker() -> ScanSession:
                    # a small chunk (read inline) may complete a large file: it is
                    # assembled and judged in a worker all the same, held to the end
                    opened.append(await stack.enter_async_context(scanner.session(self.config.file_deadline_seconds)))
                    return opened[0]
                open_session = open_worker
            try:
                upload_state, ex, gaps = await self._upload_chunk(req, route, params.get("upload_id", ""), ex, session,
                                                                  open_session)
                session = opened[0] if opened else session
            except BodyError as exc:
                return await self._refuse(req, 400, responses.BAD_REQUEST_ID, f"The request could not be inspected: {exc}.",
                                          "bad-body", route=route)
        items = list(ex.items) + filename_items(ex.files)
        if path.startswith(PLUGIN_PREFIX):
            # a plugin's ServeHTTP gets the path after its id and every header, whatever
            # the method (app/plugin_requests.go servePluginRequest)
            items.extend(plugin_read_items(req.target, None, self.config.upstream_subpath))
        if route.name in EGRESS_QUERY_ROUTE_NAMES:
            # a query that leaves the firm: also read fully decoded, a URL as a request
            # target (``egress_items``: a label in its query labels a number in its path)
            items.extend(egress_items(query))
        if route.name == UNKNOWN_ROUTE_NAME:
            # an unknown write's path is read like its query (a path segment may hold
            # anything), its headers with them (gateway/headers.py)
            items.extend(path_items(req.target, req.headers))
        elif route.group == "websocket":
            # a frame's values one word each (``{"k0": "ssn", "k1": "five", ...}``): also read
            # on one line, as an array's elements are (``spelled_across``, atk27 D)
            items.extend(spelled_across(items, "body.data"))
        else:
            # the headers Mattermost stores (User-Agent), those the gateway controls when
            # not their shape, and on a plugin's route every header (gateway/headers.py)
            items.extend(headers.header_items(req.headers, every=route.template.startswith("/plugins/")))
        # a bare nine digits in a user's stored identity-provider fields is a person's
        # number by the field's role: read with a label (gateway/authdata.py)
        items.extend(authdata.readings(route.name, items))
        incomplete: list[Any] = []  # dlp_proxy.policy.uninspected.UninspectedFile
        if upload_state is not None and gaps:
            # bytes Mattermost holds that never passed through here: not inspected
            from dlp_proxy.policy.uninspected import UninspectedFile

            incomplete.append(UninspectedFile("upload", ("upload-bytes-not-seen",),
                                              ex.files[0].filename if ex.files else ""))
        if moved is not None:
            from dlp_proxy.gateway.moves import unread_files

            incomplete.extend(unread_files(moved))
        if route.name == "posts.schedule.update":
            # Mattermost keeps the stored post's channel and thread (gateway/scheduled.py):
            # the edit is judged there, not in the channel its body names
            from dlp_proxy.gateway import scheduled

            try:
                ex.fields["body.channel_id"], ex.fields["body.root_id"] = await scheduled.stored_place(
                    self.context.upstream if self.context else None, token_from_request(req.headers, query),
                    params.get("scheduled_post_id", ""), self.config.scan_deadline_seconds)
            except scheduled.NotFound as exc:
                return await self._refuse(req, exc.status, responses.UNAVAILABLE_ID if exc.status == 503
                                          else responses.BAD_REQUEST_ID,
                                          f"The scheduled post could not be checked: {exc}.", "scheduled-post-unread",
                                          route=route)
        policy = self.policy()  # one policy object for the whole request, even across a reload
        channel_terms: list[str] = []
        ctx = await self._context(req, route, params, ex, path, policy, channel_terms)
        await self._learn_principal(ctx, token_from_request(req.headers, query))  # (whose budget pays)
        if meter is not None:
            meter.key = self._budget_key(ctx)
        fallback = self.context.fallback_token if self.context else None
        entities = policy.required_entities(ctx)

        async def screen(values: Sequence[str]) -> set[str]:
            # a value copied from the request names a lookup only when the detector
            # finds nothing in it (gateway/lookups.py sendable: Mattermost logs paths)
            try:
                return await self._holding_findings(values, entities, self._budget_key(ctx))
            except ScanBudgetExceeded:
                raise Unresolved(429, "the scan budget is spent") from None

        if mentions.applies(route.name, fallback) and any("~" in i.text or "@" in i.text for i in items):
            # ~channel and @user mentions as the web app shows them: with display names (gateway/mentions.py)
            try:
                items.extend(ContentItem(f"{p}#mentions", shown) for p, shown in await mentions.rendered_mentions(
                    ((i.path, i.text) for i in items if i.kind in TEXT_KINDS), team_id=ctx.team_id,
                    upstream=self.context.upstream if self.context else None,
                    token=token_from_request(req.headers, query), fallback_token=fallback,
                    timeout=self.config.scan_deadline_seconds, screen=screen))
            except Unresolved as exc:
                return await self._refuse_unresolved(req, exc, "The message's mentions could not be read", "mentions-unresolved", route)
        if route.name in fullname.ROUTES:
            # first and last name shown joined (model.User.GetFullName): gateway/fullname.py
            try:
                items.extend(ContentItem(p, shown) for p, shown in await fullname.readings(
                    route.name, params, items, upstream=self.context.upstream if self.context else None,
                    token=token_from_request(req.headers, query), fallback_token=fallback,
                    timeout=self.config.scan_deadline_seconds, screen=screen))
            except Unresolved as exc:
                return await self._refuse_unresolved(req, exc, "The user's names could not be read", "names-unresolved", route)
        if permalinks.applies(route.name, fallback) and any("pl" in i.text or "&" in i.text for i in items):
            # a permalink shows the linked post's message under the post (gateway/permalinks.py)
            try:
                items.extend(ContentItem(f"{p}#permalink", shown) for p, shown in await permalinks.linked_readings(
                    ((i.path, i.text) for i in items if i.kind in TEXT_KINDS),
                    upstream=self.context.upstream if self.context else None,
                    token=token_from_request(req.headers, query), fallback_token=fallback,
                    timeout=self.config.scan_deadline_seconds, screen=screen))
            except Unresolved as exc:
                return await self._refuse_unresolved(req, exc, "The message's permalinks could not be read", "permalink-unresolved", route)
        if attached.applies(route.name, fallback) and attached.any_file_ids(items):
            # the names of the files the post shows under its message (gateway/attached.py)
            try:
                names = await attached.attached_names(
                    items, upstream=self.context.upstream if self.context else None,
                    token=token_from_request(req.headers, query), fallback_token=fallback,
                    timeout=self.config.scan_deadline_seconds, channel_id=ctx.channel_id, screen=screen)
                items.extend([*names, *attached.shown_together(items, names)])
            except Unresolved as exc:
                return await self._refuse_unresolved(req, exc, "The post's files could not be read", "attached-files-unresolved", route)
        prescanned: list[ScannedItem] = []
        # Files sent without signing in (plugin routes Mattermost serves without a
        # session) pay their scan time from the client address's scan budget, so one
        # client cannot keep the file workers busy without credentials; a signed-in
        # user's files are bounded by the file deadline and the worker pool instead.
        file_budget = self._budget_key(ctx) if not ctx.user_id and self.scan_budget is not None else None
        if upload_state != "partial":
            for index, part in enumerate(ex.files):
                problems: list[str] = []
                if self.file_scanner is not None:
                    if file_budget is not None:
                        try:
                            self.scan_budget.check(file_budget)
                        except ScanBudgetExceeded:
                            return await self._refuse(
                                req, 429, SCAN_BUDGET_ID, SCAN_BUDGET_MESSAGE, "scan-budget", route=route)
                    started_file = time.perf_counter()
                    try:
                        prescanned.extend(await self._scan_file(part, entities, problems, session))
                    finally:
                        if file_budget is not None:
                            self.scan_budget.charge(file_budget, time.perf_counter() - started_file)
                else:
                    items.extend(await self._file_items(part, problems))
                if problems:
                    from dlp_proxy.policy.uninspected import UninspectedFile

                    incomplete.append(UninspectedFile(part.path, tuple(problems), part.filename, index, len(ex.files)))
        if (why := emoji.digit_image_refusal(route.name, [*items, *(s.item for s in prescanned)])):
            # a custom emoji showing a digit (gateway/emoji.py)
            return await self._refuse(req, 400, responses.BAD_REQUEST_ID, f"The custom emoji is not accepted: {why}.",
                                      emoji.RULE, route=route)
        # headers are scanned on their own: a text judged clean before (a client's
        # User-Agent, on every request) is not scanned again (``_clean_headers``), and
        # their scan is not charged to the sender's budget (a request's headers are
        # bounded by the proxy's header limits)
        said = [i for i in items if i.path.startswith(_HEADER_PREFIX)]
        if said:
            ekey = None if entities is None else frozenset(entities)
            items = [i for i in items if not i.path.startswith(_HEADER_PREFIX)]
            said = [i for i in said if (i.text, ekey) not in self._clean_headers]
        try:
            scanned = await self._scan(items, entities, budget_key=self._budget_key(ctx)) + prescanned
            if said:
                heard = await self._scan(said, entities)
                # a clean header is no field of the request's record (nor shown to a reviewer)
                self._remember_clean_headers(heard, entities)
                scanned.extend(s for s in heard if s.findings)
            scanned = await self._cross_field(scanned, entities, self._budget_key(ctx), channel_terms, session)
            if route.name in KEYS_ACROSS_ROUTES or route.name.startswith("websocket.custom_"):
                # keys and values read across the document (an identifier split over
                # keys: ``keys_across``, atk27r K), on their own (no other field's context)
                frame = route.group == "websocket"
                docs: list[tuple[Any, str]] = [(ex.json_doc.get("data") if frame and isinstance(ex.json_doc, dict)
                                                else ex.json_doc, "body.data" if frame else "body")]
                if ex.webhook_readings:
                    # a webhook's payload= or JSON body, whichever reading Mattermost takes
                    docs = [(doc, "form.payload" if how == "form" else "body")
                            for how, doc in ex.webhook_readings if how in ("form", "json")]
                across = [i for doc, at in docs for i in keys_across(doc, at)]
                if across:
                    scanned.extend(await self._scan(across, entities, budget_key=self._budget_key(ctx)))
        except BodyError as exc:
            return await self._refuse(req, exc.status, responses.TOO_LARGE_ID, f"The request could not be inspected: {exc}.",
                                      "bad-body", route=route)
        except ScanBudgetExceeded:
            return await self._refuse(req, 429, SCAN_BUDGET_ID,
                                      SCAN_BUDGET_MESSAGE, "scan-budget", route=route)
        if groups := _shown_with_their_names(scanned, SPLIT_MAX_CHARS):
            # a file's name and its content, shown together: an identifier split between them
            scanner = _WindowScanner(self, self._budget_key(ctx))
            try:
                for indices, texts in groups:
                    for k, f in await completed_within(texts, scanner, max_chars=SPLIT_MAX_CHARS):
                        at = indices[k]
                        scanned[at] = ScannedItem(scanned[at].item, (*scanned[at].findings, f))
            except ScanBudgetExceeded:
                return await self._refuse(req, 429, SCAN_BUDGET_ID, SCAN_BUDGET_MESSAGE, "scan-budget", route=route)
        # the split window's view of uploaded files' texts (policy/split.py ``remember_file``):
        # an upload's text ends, kept once Mattermost has stored it; a post's files' ends,
        # joined with its message and pieces of the post
        file_texts: list[str] | None = None
        file_parts: list[ScannedItem] = []
        if self.split_window is not None and ex.files and (
                route.name == "files.upload" or (route.name == "uploads.chunk" and upload_state == "complete")):
            file_texts = await self._file_ends(scanned, ex.files, session)
        elif self.split_window is not None and (attached_ids := attached.file_ids(items)):
            try:
                file_parts = await self._join_file_texts(scanned, attached_ids, self._budget_key(ctx))
            except ScanBudgetExceeded:
                return await self._refuse(req, 429, SCAN_BUDGET_ID, SCAN_BUDGET_MESSAGE, "scan-budget", route=route)
        window_piece = None  # policy.split.Added: taken out again if the request is stopped
        # what the reading learned besides the findings: the policy's decision takes it in
        # and is final (policy/facts.py)
        facts = InspectionFacts(
            uninspected=tuple(incomplete), uninspected_fallback=self.config.incomplete_file_action,
            rewritable=rewritable_paths(ex),
            frame=route.group == "websocket", signed_in=bool(ctx.user_id or ctx.hook_id),
            holdable=not route.name.endswith(QUERY_ROUTE_SUFFIX) and route is not CREDENTIALS_ROUTE,
            partial_upload=upload_state == "partial")
        #: the decision on ``scanned`` as it is, when made before the window (``decide`` is
        #: pure: the same findings, context and facts give the same decision)
        decided: Decision | None = None
        # A draft is shown to its writer only (api4/drafts.go: a user's drafts are read by
        # that user; the web app syncs them between the user's own devices) and is judged
        # again as a post when sent: it is no piece other readers see, and must not push
        # the pieces they do see out of the channel's window (40 drafts flushed it).  Nor
        # is a read's query (``.query`` routes): an autocomplete request per keystroke
        # repeats what was typed, and nobody reads it as a post.
        # a post's context words, for the channel's recent context (policy/split.py
        # ``SplitWindow.note``; None: the request gives and gets none)
        recent_words = (self._recent_words(items) if self.split_window is not None and ctx.user_id
                        and ctx.channel_id and route.name in _RECENT_ROUTES else None)
        if (self.split_window is not None and ctx.user_id and upload_state != "partial"
                and route.group != "drafts" and not route.name.endswith(QUERY_ROUTE_SUFFIX)
                and route is not CREDENTIALS_ROUTE
                and (route.group != "websocket" or route.name.startswith("websocket.custom_"))):
            piece = split_piece([*scanned, *file_parts], self.split_window.max_chars)
            if piece and any(s.findings for s in scanned) and \
                    (decided := policy.decide(scanned, ctx, facts)).action is Action.BLOCK:
                # Blocked on its own findings, whatever the window adds (nothing loosens a
                # block): its piece would be withdrawn once decided, and until then other
                # people's posts in the channel would be joined with it and stopped (a user
                # posting identifier-dense messages would get clean posts blocked).
                piece = ""
            if piece:
                # Every inspected text (fields, files, headers, drafts, commands...) may
                # carry a piece of an identifier split across requests (policy/split.py);
                # filler neither enters the window nor pays for its Redis round trip.
                # one window per channel (its audience); an edit stands in its post's place
                where = ctx.channel_id or f"~{route.group}"
                edited = (params.get("post_id") if route.group == "edits" else
                          params.get("scheduled_post_id") if route.name == "posts.schedule.update" else None)
                try:
                    window_piece = await self.split_window.add(
                        ctx.user_id, where, piece, _WindowScanner(self, self._budget_key(ctx)),
                        post_id=edited if edited and atrest.is_id(edited) else None,
                        thread=root if route.name in _THREADED and atrest.is_id(
                            root := str(ex.fields.get("body.root_id") or "")) else None,
                        send_at=scheduled_send_time(ex.json_doc) if route.group == "scheduled" else None,
                        recent=recent_words is not None and bool(ctx.channel_id),
                        words=recent_words or ())
                    extra = window_piece.findings
                except ScanBudgetExceeded:
                    return await self._refuse(req, 429, SCAN_BUDGET_ID,
                                              SCAN_BUDGET_MESSAGE, "scan-budget", route=route)
                if extra:
                    scanned.append(ScannedItem(ContentItem("split-window", ""), tuple(extra)))
                    decided = None
        decision = decided if decided is not None else policy.decide(scanned, ctx, facts)
        posted = [i for i in items if i.kind in TEXT_KINDS and "#" not in i.path]
        numbered = mentions.applies(route.name, fallback)
        if (numbered and decision.action in (Action.ALLOW, Action.MONITOR) and not any(s.findings for s in scanned)
                and mentions.has_numbered_names(i.text for i in posted)):
            # mentions of names with a digit run, read only now that the request was decided
            # clean without them (gateway/mentions.py: the name is then sent to Mattermost
            # with the post anyway; a request stopped on its findings never sends it)
            numbered = False
            more = await self._numbered_mentions(
                req, route, ctx, [(i.path, i.text) for i in posted], entities, token_from_request(req.headers, query),
                fallback, screen, window_piece)
            if isinstance(more, Verdict):
                return more
            if any(s.findings for s in more):
                scanned.extend(more)
                decision = policy.decide(scanned, ctx, facts)
        for last in (False, True):
            if ctx.channel_type is not None and decision.action is not Action.BLOCK and any(s.findings for s in scanned):
                # a decision the channel's (cached) type loosened: made again with it read afresh
                from dlp_proxy.gateway.rejudge import recheck_loosened

                ctx, decision, scanned = await recheck_loosened(self, ctx, scanned, policy, decision,
                                                                token_from_request(req.headers, query), facts)
            if (last or not numbered or decision.action not in (Action.ALLOW, Action.MONITOR, Action.REDACT)
                    or not any(s.findings for s in scanned)):
                break
            # A request forwarded with findings (masked by a redact decision, or as it is
            # by an allow or monitor one) is read with its digit-run mentions too, now that
            # its decision is made, in its texts as they are forwarded: a masked name is
            # never looked up, every other one reaches Mattermost with the post anyway.
            # Read without them, ``~q3-20261200 - ~q3-20261201 - ~q3-20261202`` beside a
            # masked SSN went through showing another one.  What they show belongs to no
            # field: a finding there stops the request (no redaction reaches it).
            forwarded = _forwarded_texts(posted, decision)
            if not mentions.has_numbered_names(t for _, t in forwarded):
                break
            more = await self._numbered_mentions(req, route, ctx, forwarded, entities,
                                                 token_from_request(req.headers, query), fallback, screen, window_piece)
            if isinstance(more, Verdict):
                return more
            if not any(s.findings for s in more):
                break
            scanned.extend(more)
            decision = policy.decide(scanned, ctx, facts)
        # acted on as is from here
        if upload_state is not None and decision.action not in (Action.ALLOW, Action.MONITOR) and self.uploads is not None:
            await asyncio.to_thread(self.uploads.discard, params.get("upload_id", ""))
        if window_piece is not None and decision.action in (Action.BLOCK, Action.QUARANTINE):
            # no reader sees a stopped request's text: it completes nothing later (if
            # Redis fails here the piece stays: a later join errs on the side of stopping)
            try:
                await self.split_window.withdraw(window_piece)
            except Exception as exc:
                log.warning("split window: a stopped request's piece could not be withdrawn (%s)", type(exc).__name__)
        # DLP_LINK_PREVIEWS (gateway/links.py): a post or incoming webhook forwarded or
        # held with a link whose host is not allowlisted gets ``props.unsafe_links``
        unsafe_links = False
        if self.config.link_previews != "allow" and decision.action is not Action.BLOCK:
            try:
                unsafe_links = await links.prepare(
                    route.name, ex, self.config.link_previews, self.config.link_preview_hosts,
                    upstream=self.context.upstream if self.context else None, post_id=params.get("post_id", ""),
                    token=lambda: token_from_request(req.headers, query), timeout=self.config.scan_deadline_seconds)
            except links.Refused as exc:
                if window_piece is not None:  # nothing reaches a reader
                    with contextlib.suppress(Exception):
                        await self.split_window.withdraw(window_piece)
                return await self._refuse(req, exc.status, responses.UNAVAILABLE_ID if exc.status == 503
                                          else responses.BAD_REQUEST_ID,
                                          f"The message's link previews could not be turned off: {exc}.",
                                          "unsafe-links", route=route)
        record = self._record(req, route, path, ctx, decision, items, started)
        if unsafe_links:
            record["rewritten"] = ["props." + links.UNSAFE_LINKS]  # what changed, not content
        if decision.details.get("uninspected"):
            record["uninspected"] = list(decision.details["uninspected"])
        if decision.action in (Action.BLOCK, Action.QUARANTINE, Action.REDACT):
            record["_content"] = [
                # the envelope keeps paths in clear (docs/archive.md): shape-checked
                {"path": self._field_path(s.item.path), "text": s.item.text,
                 "findings": [{"entity_type": f.entity_type, "start": f.start, "end": f.end} for f in s.findings]}
                for s in decision.scanned if s.findings or s.item.kind is not ItemKind.FILE
            ]
        record_id = await self.archive.append(record)
        if decision.action is Action.QUARANTINE:
            # a held upload shows its reviewer the whole extracted text: the texts its
            # worker kept come back now (``KeptFileText``)
            decision = replace(decision, scanned=await self._whole_texts(decision.scanned, session))
        verdict = await self._act(req, route, ctx, decision, record_id, ex, body, policy, unsafe_links=unsafe_links)
        verdict.route = route.name
        if window_piece is None and recent_words and verdict.forward and self.split_window is not None:
            # a post without a piece but with context words: they label the short posts
            # after it (``split_answered`` takes them out if Mattermost refuses it)
            try:
                window_piece = await self.split_window.note(
                    ctx.user_id, ctx.channel_id, recent_words,
                    thread=root if atrest.is_id(root := str(ex.fields.get("body.root_id") or "")) else None)
            except Exception as exc:
                log.warning("recent context: a post's context words could not be kept (%s)", type(exc).__name__)
        if file_texts is not None and verdict.forward:
            verdict.split_files = file_texts  # kept by the ids in Mattermost's answer
        if window_piece is not None and verdict.forward:
            # Mattermost's answer decides: a refusal takes the piece out again, a created
            # (scheduled) post's id tags it (``split_answered``)
            verdict.split_piece = window_piece
        if upload_state == "complete" and verdict.forward and self.uploads is not None and route.name != "remotecluster.upload":
            await asyncio.to_thread(self.uploads.discard, params.get("upload_id", ""))
        return verdict

    # ------------------------------------------------------------------ uploads

    UPLOAD_KEY = "dlp:upload:"

    async def register_upload(self, session: Mapping[str, Any]) -> None:
        """Remember an upload session Mattermost created (from its 201 response)."""
        if self.redis is None or not session.get("id"):
            return
        # The filename was the client's (and was judged when the session was
        # created): Redis keeps only its extension, which the file scanner reads.
        await self.redis.set(
            self.UPLOAD_KEY + str(atrest.safe_id(self.hash_key, str(session["id"]))),
            json.dumps({"file_size": int(session.get("file_size", 0)),
                        "filename": atrest.safe_filename(str(session.get("filename", ""))),
                        "channel_id": atrest.safe_id(self.hash_key, str(session.get("channel_id", "")))}),
            ex=7 * 24 * 3600,
        )

    UPLOAD_LOCK = "dlp:upload-lock:"

    async def _lock_upload(self, req: GatewayRequest, upload_id: str) -> None:
        """One chunk of an upload at a time, from reading the session's offset until
        Mattermost has answered (``release_locks``, called by the addon).  Two chunks
        judged side by side would both read the same offset, each look partial, and
        go on unjudged while Mattermost stores both and completes the file.
        Mattermost itself takes the session's lock and refuses a chunk whose offset no
        longer matches (app/upload.go UploadData), so a client sends chunks in order;
        a concurrent one is refused here with a 400 as it would be there.  The key is
        a keyed hash of the upload id; it expires with the file deadline when a
        gateway dies holding it."""
        if self.redis is None:
            return
        key = self.UPLOAD_LOCK + keyed_hash(self.hash_key, upload_id)[:32]
        ttl_ms = int((self.config.file_deadline_seconds + 60) * 1000)
        if not await self.redis.set(key, req.request_id, nx=True, px=ttl_ms):
            raise BodyError("another chunk of this upload is still being sent; send the chunks one at a time")
        self._upload_locks[req.request_id] = key

    async def release_upload(self, request_id: str) -> None:
        """Drop the upload lock ``request_id`` holds, if any (only its own)."""
        key = self._upload_locks.pop(request_id, None)
        if key is None or self.redis is None:
            return
        # compare-and-delete in one step: a lock that expired and was taken by the next
        # chunk in between is not ours to drop
        await self.redis.eval(_RELEASE_IF_OURS, 1, key, request_id)  # type: ignore[misc]

    def holds_locks(self, request_id: str) -> bool:
        """An upload lock or a thread's marks: held until Mattermost has answered."""
        return request_id in self._upload_locks or (
            self.thread_freeze is not None and self.thread_freeze.holds(request_id))

    async def split_answered(self, added: Any, route: str | None, status: int, answer: bytes | None) -> None:
        """Mattermost answered a request whose text put a piece in the split window.
        Refused (any status but 2xx: not a member of the channel, a bad field, a
        permission; api4 handlers store nothing before they answer an error), nobody sees
        the text: the piece leaves the window, or anyone could post into a channel he
        may not write to and get its members' posts joined with his numbers and stopped
        (attack pass 10 P5).  A created post (api4/post.go createPost answers 201 with
        the post): the piece is tagged with the post's id, so that the post's first edit
        stands where the post is in the channel's order (policy/split.py
        ``SplitWindow.tag``).  A scheduled post saved (api4/scheduled_post.go
        createSchedulePost and updateScheduledPost answer 201 with the scheduled post)
        is tagged with its id the same way: its delete takes the piece out, and an
        edit's piece replaces the versions before it.  Only requests with a piece pay
        this round trip; a failure is logged (a piece left in errs on the side of
        stopping; an untagged one puts an edit at its own time), never fails the
        answer.  No answer at all (the exchange failed): the piece stays, Mattermost may
        have stored the text."""
        if self.split_window is None:
            return
        if not 200 <= status < 300:
            try:
                await self.split_window.withdraw(added)
            except Exception as exc:
                log.warning("split window: a refused request's piece could not be withdrawn (%s)", type(exc).__name__)
            return
        if route not in _THREADED or status != 201 or not answer:
            return
        try:
            doc = json.loads(answer)
            post_id = doc.get("id") if isinstance(doc, dict) else None
            if isinstance(post_id, str) and atrest.is_id(post_id):
                await self.split_window.tag(added, post_id)
        except Exception as exc:
            log.warning("split window: a created post's piece could not be tagged (%s)", type(exc).__name__)

    def _recent_words(self, items: Sequence[ContentItem]) -> list[str]:
        """The context words (``Engine.context_terms``) of a post's message, for the
        channel's recent context; only when the message holds a word of an identifier's
        label (``split.has_label_word``, one regex pass), so a chat post pays ~1 us."""
        terms_of = getattr(self.detector, "context_terms", None)
        if terms_of is None:
            return []
        text = "\n".join(i.text[:RECENT_WORDS_CHARS] for i in items if i.path == "body.message")
        if not text or not has_label_word(text):
            return []
        return sorted({str(t) for t in terms_of(text) if len(t) > 2})

    async def _file_ends(self, scanned: Sequence[ScannedItem], parts: Sequence[Any],
                         session: ScanSession | None) -> list[str]:
        """Per uploaded file part, in order: its extracted text's first and last
        ``max_chars`` characters (``split.keep``), "" when they may carry no piece.  A
        long segment without findings stayed in the scan worker (``KeptFileText``): its
        ends are asked of it (``ScanSession.kept_ends``), never its whole text."""
        assert self.split_window is not None
        chars = self.split_window.max_chars
        out = []
        for part in parts:
            segs = [s.item for s in scanned if s.item.kind is ItemKind.FILE and s.item.path.startswith(part.path + ":")]
            kept = [it.index for it in segs if isinstance(it, KeptFileText)]
            ends: dict[int, tuple[str, str]] = {}
            if kept and session is not None:
                try:
                    ends = await session.kept_ends(part.path, [kept[0], kept[-1]], chars,
                                                   self.config.file_deadline_seconds)
                except Exception as exc:  # the worker no longer holds it: the ends it could give are unknown
                    log.warning("split window: an upload's kept text ends could not be read (%s)", type(exc).__name__)
            texts = [ends.get(it.index, ("", "")) if isinstance(it, KeptFileText) else (it.text, it.text)
                     for it in segs]
            head = tail = ""
            for first, _ in texts:
                head = f"{head}\n{first}" if head else first
                if len(head) > chars:
                    break
            for _, last in reversed(texts):
                tail = f"{last}\n{tail}" if tail else last
                if len(tail) > chars:
                    break
            whole = head if len(head) <= chars and not kept else f"{head[:chars]}\n{tail[-chars:]}"
            text = split_reading(whole)
            out.append(text if may_carry_a_piece(text) else "")
        return out

    async def _join_file_texts(self, scanned: list[ScannedItem], ids: Sequence[tuple[str, str]],
                               budget_key: str | None) -> list[ScannedItem]:
        """A post's message judged with the text ends of the files it attaches
        (``file_ids``, kept at upload: ``SplitWindow.file_texts``), in either order
        (``completed_within``): Mattermost shows the message over the files, so
        ``client SSN 536-22`` over a file holding ``8710`` is an SSN.  A finding is
        added to the message's.  Returns the files' texts as items, pieces of the post
        for the split window (``split_piece`` takes the short ones, as it does an
        upload's)."""
        assert self.split_window is not None
        texts = await self.split_window.file_texts([fid for _, fid in ids])
        parts = [ScannedItem(ContentItem(f"{path}#text", t, ItemKind.FILE), ()) for (path, _), t in zip(ids, texts, strict=True) if t]
        # every case variant of the message key (``Message``: Go reads the last one sent)
        for at in [i for i, s in enumerate(scanned)
                   if go_path(s.item.path) == "body.message" and s.item.kind is ItemKind.TEXT]:
            if not (parts and may_carry_a_piece(split_reading(scanned[at].item.text))):
                continue
            found = await completed_within([*(p.item.text for p in parts), scanned[at].item.text],
                                           _WindowScanner(self, budget_key), max_chars=SPLIT_MAX_CHARS, last_only=True)
            if found:
                scanned[at] = ScannedItem(scanned[at].item, (*scanned[at].findings, *(f for _, f in found)))
        return parts

    async def split_files_uploaded(self, texts: Sequence[str], status: int, answer: bytes | None) -> None:
        """Mattermost stored uploaded files (api4/file.go uploadFileStream answers 201
        with ``file_infos``, in the order of the request's files; a resumable upload's
        last chunk, api4/upload.go uploadData, 200 with the file's FileInfo): each file's text ends
        are kept by its id for the posts that attach it (``SplitWindow.remember_file``).
        A failure is logged, never fails the answer (a post then attaches a file whose
        text ends are unknown: judged with its name only)."""
        if self.split_window is None or status not in (200, 201) or not answer:
            return
        try:
            doc = json.loads(answer)
            # (a resumable upload's last chunk: api4/upload.go uploadData answers 200 with
            # the one FileInfo)
            infos = (doc.get("file_infos") if "file_infos" in doc else [doc]) if isinstance(doc, dict) else None
            if not isinstance(infos, list) or len(infos) != len(texts):
                return
            for info, text in zip(infos, texts, strict=True):
                fid = info.get("id") if isinstance(info, dict) else None
                if text and isinstance(fid, str) and atrest.is_id(fid):
                    await self.split_window.remember_file(fid, text)
        except Exception as exc:
            log.warning("split window: an upload's text ends could not be kept (%s)", type(exc).__name__)

    async def split_post_deleted(self, post_id: str, status: int) -> None:
        """Mattermost deleted a post (``DELETE /api/v4/posts/{id}`` answered 200) or a
        scheduled post (``DELETE /api/v4/posts/schedule/{id}``: api4/scheduled_post.go
        deleteScheduledPost answers 201): its pieces leave the split window (no reader
        sees them; 40 posts each deleted after posting flushed the window).  Only once
        Mattermost has agreed: a refused delete leaves the post shown.  A failure is
        logged, never fails the answer."""
        if self.split_window is None or status not in (200, 201):
            return
        try:
            await self.split_window.forget_post(post_id)
        except Exception as exc:
            log.warning("split window: a deleted post's pieces could not be withdrawn (%s)", type(exc).__name__)

    async def release_locks(self, request_id: str) -> None:
        """Drop every lock and mark ``request_id`` holds (each expires on its own too)."""
        try:
            await self.release_upload(request_id)
        finally:
            if self.thread_freeze is not None:
                await self.thread_freeze.release(request_id)

    async def _upload_offset(self, req: GatewayRequest, upload_id: str) -> dict[str, Any]:
        """The upload session as Mattermost holds it now (``getUpload``, api4/upload.go),
        asked with the caller's own token before every chunk: its ``file_offset`` says
        where this chunk will land and whether it completes the file."""
        if self.context is None:
            raise RuntimeError("resumable uploads need a Mattermost client to read the session")
        token = token_from_request(req.headers, split_target(req.target)[1])
        resp = await self.context.upstream.get(f"/api/v4/uploads/{upload_id}",
                                               headers={"Authorization": f"Bearer {token}"} if token else {})
        resp.raise_for_status()
        return dict(resp.json())

    async def _upload_chunk(self, req: GatewayRequest, route: Route, upload_id: str, ex: Extracted,
                            session: ScanSession | None = None,
                            open_session: Callable[[], Awaitable[ScanSession]] | None = None,
                            ) -> tuple[str, Extracted, list[tuple[int, int]]]:
        """Store the chunk where Mattermost will put it; return ("partial"|"complete",
        the extraction of the whole file when complete, byte ranges never seen here).

        Complete is Mattermost's own test (app/upload.go UploadData): the session's
        ``file_offset`` plus the bytes of this chunk (as sent: net/http decodes no
        Content-Encoding, and Content-Encoding is refused anyway) reaches
        ``file_size``.  A chunk Mattermost failed to store and the client sends
        again is written over at the same offset, so the judged file is the stored one.

        With a scan ``session`` the chunk never passes through this process: its
        worker, which holds it (or its place in the request's spool), seals it into
        the upload store, and a complete file is assembled there and judged there as
        the part ``upload`` (docs/benchmarks.md, "Upload memory").  A chunk read
        inline has no session: ``open_session`` opens one (for the rest of the
        request) when the chunk completes the file.

        A remote cluster's upload (``remotecluster.upload``) has no user session to
        ask with: each of its chunks is judged with every chunk before it."""
        if self.uploads is None:
            raise RuntimeError("resumable uploads need the upload store")
        if not atrest.is_id(upload_id):
            # Mattermost answers 400 too (api4/upload.go: c.RequireUploadId); the id
            # names a file of the upload store, so only its shape is accepted.
            raise BodyError("the upload id is not a Mattermost id")
        part = ex.files[0] if ex.files else None
        uploads = self.uploads
        timeout = self.config.file_deadline_seconds

        async def store(offset: int | None) -> int:
            """The chunk into the store at ``offset`` (None: at the end); its length."""
            if session is not None and part is not None and part.path in session.kept:
                return (await session.store_chunk(part.path, uploads, upload_id, offset, timeout))[0]
            chunk = part.data if part is not None else b""
            if offset is None:
                await asyncio.to_thread(uploads.append, upload_id, chunk)
            else:
                await asyncio.to_thread(uploads.write_at, upload_id, chunk, offset)
            return len(chunk)

        async def whole(size: int | None, filename: str) -> tuple[Extracted, list[tuple[int, int]]]:
            nonlocal session
            if session is None and open_session is not None:
                session = await open_session()  # (a partial chunk read inline waits for no worker)
            if session is not None:
                gaps = (await session.assemble_upload(uploads, upload_id, size, "upload", timeout))[1]
                data = b""  # (held by the session's worker: ``_scan_file`` judges it there)
            else:
                data, gaps = await asyncio.to_thread(uploads.assemble, upload_id, size)
            return Extracted(items=list(ex.items), files=[FilePart("upload", filename, data)],
                             body_format="raw", fields=ex.fields), gaps

        if route.name == "remotecluster.upload":
            await store(None)
            return "complete", (await whole(None, ""))[0], []
        await self._lock_upload(req, upload_id)
        session_doc = await self._upload_offset(req, upload_id)
        size = int(session_doc.get("file_size", 0))
        offset = int(session_doc.get("file_offset", 0))
        await self.register_upload(session_doc)
        length = await store(offset)
        # the chunk lands in the session's channel (app/upload.go UploadData works on
        # the stored session; a ``?channel_id=`` on the chunk is read by nobody)
        ex.fields["upload.channel_id"] = str(session_doc.get("channel_id", ""))
        if offset + length < size:
            return "partial", ex, []
        complete, gaps = await whole(size, str(session_doc.get("filename", "")))
        return "complete", complete, gaps

    async def _cross_field(self, scanned: list[ScannedItem], entities: Any, budget_key: str | None,
                           extra_terms: Sequence[str], session: ScanSession | None = None) -> list[ScannedItem]:
        """Context across the fields of one request (findings 4): the context words of
        every other field (an attachment field's title, a pretext, a prop, the user's
        position being set) and of the channel's display name and purpose label each
        line of a free-text field with digits, and that labelled text is scanned
        again; what it finds is added to the field, located in its own text.

        A field's key names are context too (``props.client_ssn`` -> "client ssn"):
        for its own value and for the other fields of the same object.  And the short
        scalar leaves of one object are also read joined, one ``key: value`` line per
        key (an array's elements on one line, separated by spaces), so a routing and
        an account number in two fields, or an identifier split across the elements
        of an array, are seen together (``JoinedText``).

        Only the detector's own vocabulary crosses fields (``Engine.context_terms``);
        structural fields (ids, timestamps, ``pending_post_id``) are never labelled.

        A file segment whose text stayed in the scan worker (``KeptFileText``, of
        ``session``) gives the words the worker reads in it; it never comes before
        its file's first ``4 * CROSS_FIELD_MAX_CHARS`` characters, so the joined
        reading of many fields, cut there, is the same without it."""
        terms_of = getattr(self.detector, "context_terms", None)
        if terms_of is None:
            return scanned
        key_terms = _KeyTerms(terms_of, self.key_terms_cache)
        # fields that may give context: free text (ids, times, versions carry no label);
        # a key named like an id whose words are an identifier's label (``taxpayer_id``,
        # ``national_id``) holds that identifier, not a reference
        texts = [i for i, s in enumerate(scanned)
                 if (s.item.text or isinstance(s.item, KeptFileText)) and not is_reference_id(s.item) and (
                     not _structural(s.item.path) or (s.item.kind is not ItemKind.FILE and key_terms.of(s.item.path)))]
        if _few_digits(scanned, texts):
            return scanned
        keyed = {i: key_terms.of(scanned[i].item.path) for i in texts if scanned[i].item.kind is not ItemKind.FILE}
        groups: dict[str, list[int]] = {}
        for i in keyed:
            groups.setdefault(_parent_object(scanned[i].item.path), []).append(i)
        group_terms = {g: frozenset().union(*(keyed[i] for i in members)) for g, members in groups.items()}
        if len(texts) < 2 and not extra_terms and not any(group_terms.values()):
            return scanned
        targets = [i for i in texts if scanned[i].item.kind is not ItemKind.FILE
                   and normalized_digits(scanned[i].item.text) >= 4][:CROSS_FIELD_MAX_TARGETS]
        joined_groups = [(g, members) for g, members in groups.items() if len(members) > 1
                         and sum(normalized_digits(scanned[i].item.text[:JOIN_MAX_LEAF_CHARS]) for i in members) >= 4]
        posts = [i for i in texts if scanned[i].item.kind is not ItemKind.FILE and _RENDERED_PART.search(scanned[i].item.path)]
        posts_have_digits = bool(posts) and sum(normalized_digits(scanned[i].item.text[:JOIN_MAX_LEAF_CHARS])
                                                 for i in texts if scanned[i].item.kind is not ItemKind.FILE) >= 4
        if not targets and not joined_groups and not posts_have_digits:
            return scanned
        own: dict[int, frozenset[str]] = {}
        base = set(extra_terms)
        if len(texts) <= CROSS_FIELD_MAX_TARGETS:
            own.update(await self._kept_terms(scanned, texts, session))
            read = _labels_other_fields(texts, targets, joined_groups, posts_have_digits)
            for i in texts:
                if isinstance(scanned[i].item, KeptFileText) or i not in read:
                    continue
                text = scanned[i].item.text
                if len(text) <= CROSS_FIELD_MAX_CHARS and (not text.isascii() or _ANY_LETTER.search(text)):
                    own[i] = frozenset(terms_of(text))
        else:
            # many fields (a plugin's document): one pass over them all, bounded; every
            # field is then labelled with every field's words (its own included)
            joined = "\n".join(scanned[i].item.text[:CROSS_FIELD_MAX_CHARS] for i in texts)
            base |= set(terms_of(joined[: 4 * CROSS_FIELD_MAX_CHARS]))
        labelled: list[CrossFieldText | JoinedText | RenderedPost] = []
        total = 0
        for i in targets:
            others = set(base)
            for j, words in own.items():
                if j != i:
                    others |= words
            if i in keyed:
                # its own key names and those of the other fields of its object
                others |= group_terms[_parent_object(scanned[i].item.path)]
            if others:
                aug = CrossFieldText()
                aug.add(i, scanned[i].item.text, _label(others))
                total += aug.pos
                if total > CROSS_FIELD_MAX_TOTAL:
                    raise BodyError("too many numbered lines to inspect with their context", 413)
                labelled.append(aug)
        for group, members in joined_groups:
            others = set(base) | group_terms[group]
            for j, words in own.items():
                if j not in members:
                    others |= words
            if not others:
                # no context word anywhere: numbers side by side (a chart's series) are
                # read one by one, as they were sent
                continue
            together = JoinedText(group, _label(others))
            for i in members:
                together.add(i, scanned[i].item.path, scanned[i].item.text)
            total += together.pos
            if total > CROSS_FIELD_MAX_TOTAL:
                raise BodyError("too many values to inspect together with their context", 413)
            if together.lines:
                labelled.append(together)
        if posts_have_digits:
            # a post as it is shown: its message and its attachments read as one text
            # (gateway/rendered.py); the context words of every field label its values
            post_terms = set(base)
            for words in own.values():
                post_terms |= words
            for i in keyed:
                post_terms |= keyed[i]
            for post_reading in rendered_posts(((i, scanned[i].item.path, scanned[i].item.text[:CROSS_FIELD_MAX_CHARS])
                                                for i in texts if scanned[i].item.kind is not ItemKind.FILE),
                                               _label(post_terms)):
                total += post_reading.pos
                if total > CROSS_FIELD_MAX_TOTAL:
                    raise BodyError("too many fields to inspect as the post shows them", 413)
                labelled.append(post_reading)
        if not labelled:
            return scanned
        found = await self._scan([ContentItem("cross-field", a.text()) for a in labelled], entities, budget_key)
        out = list(scanned)
        joined_out: dict[str, list[Finding]] = {}
        rendered_text: dict[str, str] = {}
        hits = [(reading, f) for reading, s in zip(labelled, found, strict=True) for f in s.findings]
        for reading, f in hits:
            hit = reading.locate(f.start, f.end)
            if hit is None:
                if isinstance(reading, JoinedText) and reading.spans_values(f.start, f.end):
                    # across fields (an array's elements, an object's leaves): the object's own finding
                    joined_out.setdefault(reading.group, []).append(
                        replace(f, transforms=(*f.transforms, "cross-field-joined"),
                                explanation=f"{f.explanation}; read across the fields of one object"))
                elif isinstance(reading, RenderedPost) and reading.spans_values(f.start, f.end):
                    # across the message and attachments of one post (as it is shown): the
                    # post's own finding, once per entity type and post whichever reading saw it
                    found_here = joined_out.setdefault(reading.group, [])
                    if not any(g.entity_type == f.entity_type for g in found_here):
                        rendered_text.setdefault(reading.group, reading.text())
                        found_here.append(replace(f, transforms=(*f.transforms, "cross-field-rendered"),
                                                  explanation=f"{f.explanation}; read across the message and "
                                                              "attachments of one post, as it is shown"))
                continue
            i, start, end = hit
            current = out[i]
            if any(g.entity_type == f.entity_type and g.start < end and start < g.end for g in current.findings):
                continue
            moved = replace(f, start=start, end=end, transforms=(*f.transforms, "cross-field-context"),
                            explanation=f"{f.explanation}; context from another field of the request")
            out[i] = ScannedItem(current.item, (*current.findings, moved))
        by_group = {a.group: a for a in labelled if isinstance(a, JoinedText)}
        for group, findings in joined_out.items():
            # not a field of the body: never rewritten (``rewritable_paths``), so stopped, not masked
            if group in rendered_text:
                out.append(ScannedItem(ContentItem(group, rendered_text[group]), tuple(findings)))
                continue
            out.append(ScannedItem(ContentItem(f"{group}{JOINED_SUFFIX}", by_group[group].text()), tuple(findings)))
        return out

    async def _scan_file(self, part: FilePart, entities: Any, problems: list[str],
                         session: ScanSession | None = None) -> list[ScannedItem]:
        """Extract and detect in a worker process (see filescan.py); a part the
        request's scan session holds is judged in that worker, and the long texts
        without findings stay there (``KeptFileText``: the gateway holds none of a
        large clean file; docs/benchmarks.md, "Upload memory")."""
        assert self.file_scanner is not None
        if session is not None and part.path in session.kept:
            whole = self.split_window.max_chars if self.split_window is not None else 0
            extraction, findings, left = await session.scan_kept(part.path, part.filename, entities,
                                                                 self.config.file_deadline_seconds, whole_chars=whole)
            if not extraction.complete:
                problems.extend(extraction.problems or ("incomplete",))
            return [ScannedItem(KeptFileText(f"{part.path}:{seg.location}", "", ItemKind.FILE, part.path, i, left[i])
                                if i in left else ContentItem(f"{part.path}:{seg.location}", seg.text, ItemKind.FILE),
                                tuple(fs))
                    for i, (seg, fs) in enumerate(zip(extraction.segments, findings, strict=True))]
        elif session is not None:  # (e.g. an upload's assembled file) in the worker this request holds
            extraction, findings = await session.scan(part.data, part.filename, entities,
                                                      self.config.file_deadline_seconds)
        else:
            extraction, findings = await self.file_scanner.scan(part.data, part.filename, entities,
                                                                self.config.file_deadline_seconds)
        if not extraction.complete:
            problems.extend(extraction.problems or ("incomplete",))
        return [ScannedItem(ContentItem(f"{part.path}:{seg.location}", seg.text, ItemKind.FILE), tuple(fs))
                for seg, fs in zip(extraction.segments, findings, strict=True)]

    async def _whole_texts(self, scanned: Sequence[ScannedItem], session: ScanSession | None) -> tuple[ScannedItem, ...]:
        """``scanned`` with the texts the scan session's worker kept put back
        (``KeptFileText``); raises when it no longer holds them."""
        kept = {s.item.part for s in scanned if isinstance(s.item, KeptFileText)}
        if not kept:
            return tuple(scanned)
        if session is None:
            raise RuntimeError("a file's text stayed in a scan worker no session holds")
        texts = {part: await session.kept_texts(part, self.config.file_deadline_seconds) for part in sorted(kept)}
        return tuple(ScannedItem(ContentItem(s.item.path, texts[s.item.part][s.item.index], ItemKind.FILE), s.findings)
                     if isinstance(s.item, KeptFileText) else s for s in scanned)

    async def _kept_terms(self, scanned: Sequence[ScannedItem], indexes: Sequence[int],
                          session: ScanSession | None) -> dict[int, frozenset[str]]:
        """For the ``KeptFileText`` items of ``scanned`` at ``indexes`` of at most
        ``CROSS_FIELD_MAX_CHARS``, their own context words as ``_cross_field`` reads
        them, asked of the worker that holds their texts (by index in ``scanned``)."""
        wanted: dict[str, dict[int, int]] = {}  # part -> segment index -> index in scanned
        for i in indexes:
            item = scanned[i].item
            if isinstance(item, KeptFileText) and item.length <= CROSS_FIELD_MAX_CHARS:
                wanted.setdefault(item.part, {})[item.index] = i
        if not wanted:
            return {}
        if session is None:
            raise RuntimeError("a file's text stayed in a scan worker no session holds")
        out: dict[int, frozenset[str]] = {}
        for part, where in wanted.items():
            found = await session.kept_terms(part, list(where), self.config.file_deadline_seconds)
            out.update({where[index]: frozenset(words) for index, words in found.items()})
        return out

    async def _file_items(self, part: FilePart, problems: list[str]) -> list[ContentItem]:
        """Without a file scanner (a pipeline assembled for tests or tools), a file
        is read as UTF-8 text; anything else counts as not fully inspected."""
        try:
            text = part.data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append("file-scanner-unavailable")
            return []
        return [ContentItem(f"{part.path}:text", text, ItemKind.FILE)]

    async def _numbered_mentions(self, req: GatewayRequest, route: Route, ctx: RequestContext,
                                 texts: Sequence[tuple[str, str]], entities: Any, token: str | None,
                                 fallback: str | None, screen: Screen,
                                 window_piece: Added | None) -> list[ScannedItem] | Verdict:
        """``texts`` (path, text as forwarded) read with their mentions of names with a
        digit run shown (``mentions.rendered_mentions`` with ``numbered``), scanned as
        ``<path>#mentions``; called only once the request is decided to be forwarded
        (gateway/mentions.py).  A refusal (the names could not be read, the scan budget,
        a body too large to read) takes the request's piece out of the split window."""
        try:
            shown = await mentions.rendered_mentions(
                texts, team_id=ctx.team_id, upstream=self.context.upstream if self.context else None,
                token=token, fallback_token=fallback,
                timeout=self.config.scan_deadline_seconds, screen=screen, numbered=True)
            return await self._scan([ContentItem(f"{p}#mentions", t) for p, t in shown], entities,
                                    budget_key=self._budget_key(ctx))
        except (Unresolved, ScanBudgetExceeded, BodyError) as exc:
            if window_piece is not None and self.split_window is not None:  # nothing reaches a reader
                with contextlib.suppress(Exception):
                    await self.split_window.withdraw(window_piece)
            if isinstance(exc, Unresolved):
                return await self._refuse_unresolved(req, exc, "The message's mentions could not be read",
                                                     "mentions-unresolved", route)
            if isinstance(exc, ScanBudgetExceeded):
                return await self._refuse(req, 429, SCAN_BUDGET_ID, SCAN_BUDGET_MESSAGE, "scan-budget", route=route)
            return await self._refuse(req, exc.status, responses.TOO_LARGE_ID,
                                      f"The request could not be inspected: {exc}.", "bad-body", route=route)

    async def _refuse_unresolved(self, req: GatewayRequest, exc: Unresolved, what: str, reason: str,
                                 route: Route) -> Verdict:
        """What Mattermost was asked to show beside a request (mentions' names, linked
        posts, attached files' names) could not be read: 400 when no token may read it,
        503 when Mattermost does not answer (fail closed)."""
        error_id = responses.UNAVAILABLE_ID if exc.status == 503 else responses.BAD_REQUEST_ID
        return await self._refuse(req, exc.status, error_id, f"{what}: {exc}.", reason, route=route)

    async def _holding_findings(self, values: Sequence[str], entities: Any, budget_key: str | None) -> set[str]:
        """The ``values`` in which the detector finds something (each read on its own,
        as a text: an id-shaped value is read too)."""
        scanned = await self._scan([ContentItem(f"lookup[{n}]", v) for n, v in enumerate(values)], entities,
                                   budget_key=budget_key)
        return {s.item.text for s in scanned if s.findings}

    async def _scan(self, items: Sequence[ContentItem], entities: Any, budget_key: str | None = None) -> list[ScannedItem]:
        skipped: list[ContentItem] = []
        kept: list[ContentItem] = []
        now_ms = None
        for i in items:
            if i.path in _OWN_FIELDS and now_ms is None:
                now_ms = int(time.time() * 1000)
            (skipped if is_reference_id(i) or (now_ms is not None and is_mattermost_stamp(i, now_ms))
             else kept).append(i)
        if skipped:
            scanned = await self._scan(kept, entities, budget_key)
            return scanned + [ScannedItem(i, ()) for i in skipped]
        total = sum(len(i.text) for i in items)
        if total == 0:
            return [ScannedItem(i, ()) for i in items]
        if inline_eligible(items, self.config.inline_scan_chars):
            return list(self.detector.scan(items, entities=entities))
        # Off the event loop, so other users' posts keep flowing; in a worker process,
        # so the deadline kills a scan that runs too long (CPU back to idle), and
        # charged to the user's scan budget.  What is charged is the scan's CPU time
        # (the worker's, ``_scan_texts_job``; the thread's, without scan workers), not
        # the wall time: a loaded host (other users' scans, the waits for a free worker,
        # the copies to and from it) must not make a user's ordinary posts cost more of
        # his budget.  A scan whose CPU time never came back is charged what it used:
        # nothing if it was still waiting for a worker at its deadline (attack 21h F2: a
        # flood's queue charged a victim's clean posts the whole deadline each, and he got
        # 429 for a minute), the CPU its worker spent if it was killed (``spent``), and,
        # without scan workers, the time its thread had run when it was abandoned.
        budget = self.scan_budget if budget_key is not None else None
        if budget is not None:
            budget.check(budget_key)
        cost: float | None = None
        spent: list[float] = []
        try:
            if self.text_scanner is not None:
                scanned, cost = await self.text_scanner.scan_texts(items, entities, self.config.scan_deadline_seconds,
                                                                   spent=spent)
                return list(scanned)
            loop = asyncio.get_running_loop()

            def job() -> tuple[list[ScannedItem], float]:
                begun = time.thread_time()
                spent.append(-time.perf_counter())  # started: wall time from here if abandoned
                out = list(self.detector.scan(items, entities=entities))
                return out, time.thread_time() - begun

            scanned, cost = await loop.run_in_executor(self.scan_pool, job)
            return scanned
        finally:
            if budget is not None:
                if cost is None and self.text_scanner is None:
                    cost = sum(time.perf_counter() + s for s in spent)  # (a thread running on)
                budget.charge(budget_key, sum(spent) if cost is None else cost)

    def _budget_key(self, ctx: RequestContext) -> str | None:
        """Whose scan budget pays: the Mattermost user, else the client address.  A bot's
        requests pay from one budget shared by all the bots of its owner, its principal
        (``quarantine/principals.py``), apart from the owner's own: N bots buy no more
        scan time than one, and a flood from a bot spends no person's budget.  A bot
        whose owner could not be read pays from a budget of its own."""
        if ctx.user_id:
            return self._principal_key(ctx.user_id, ctx.is_bot)
        if ctx.client_ip:
            return "ip:" + address_group(ctx.client_ip)  # an IPv6 /64 is one client
        return None

    def _principal_key(self, user_id: str, is_bot: bool) -> str:
        if not is_bot:
            return "u:" + user_id
        hit, owner = self._bot_owners.cached(user_id)
        return "b:" + (owner if hit and owner else user_id)

    async def _learn_principal(self, ctx: RequestContext, token: str | None) -> None:
        """Reads (and remembers) the owner of the bot a request comes from."""
        if ctx.user_id and ctx.is_bot:
            await self._learn_bot_owner(ctx.user_id, token)

    async def _learn_bot_owner(self, bot_id: str, token: str | None) -> None:
        if self.context is None or self._bot_owners.cached(bot_id)[0] or not atrest.is_id(bot_id):
            return
        try:
            owner = await self.context.bot_owner(bot_id, token)
        except Exception as exc:  # (Mattermost or Redis: only whose budget pays depends on it)
            log.warning("a bot's owner could not be read; its scans pay from its own budget",
                        extra={"error_type": type(exc).__name__})
            return
        self._bot_owners.remember(bot_id, owner or "")

    async def _sender_key(self, req: GatewayRequest, query: str) -> str | None:
        """Whose scan budget pays, before the body is read: the token's user (the
        cached ``users/me`` resolution the credentials check made), else the client
        address (``_budget_key`` once the context is known)."""
        token = token_from_request(req.headers, query)
        if token and self.context is not None:
            try:
                user = await self.context.user(token)
            except _UPSTREAM_ERRORS:
                user = None
            if user is not None and user.id:
                if user.is_bot:
                    await self._learn_bot_owner(user.id, token)
                return self._principal_key(user.id, user.is_bot)
        return "ip:" + address_group(req.client_ip) if req.client_ip else None

    async def _context(self, req: GatewayRequest, route: Route, params: dict[str, str], ex: Extracted, path: str,
                       policy: PolicyEngine, channel_terms: list[str] | None = None) -> RequestContext:
        token = token_from_request(req.headers, split_target(req.target)[1])
        post_id = _lookup(route.post_from, params, ex) if route.post_from else None
        # An edit lands in the stored post's channel, whatever its body says
        # (api4/post.go updatePost/patchPost: postPatchChecks checks the permission on
        # ``originalPost.ChannelId``; app/post.go UpdatePost edits ``oldPost.Clone()``):
        # the channel is looked up through the post, never taken from the body.
        channel_id = (_lookup(route.channel_from, params, ex) if route.channel_from and not route.post_from
                      else None)
        hook_id = params.get("hook_id") if route.group == "webhooks" else None
        errors: list[str] = []
        # Ids come from the client: only an id-shaped one is looked up (Mattermost
        # refuses the others: model.IsValidId), and the context keeps ids only in
        # their shape-checked form (atrest.safe_id), since it is archived and held.
        if channel_id and not atrest.is_id(channel_id):
            errors.append("channel: not an id")
            channel_id = atrest.safe_id(self.hash_key, channel_id)
            lookup_channel = False
        else:
            lookup_channel = True
        if post_id and not atrest.is_id(post_id):
            errors.append("post: not an id")
            post_id = None
        user = channel = None
        team_name: str | None = None
        groups: tuple[str, ...] = ()
        if self.context is not None:
            if token:
                try:
                    user = await self.context.user(token)
                except _UPSTREAM_ERRORS as exc:
                    errors.append(f"user: {type(exc).__name__}")
            if channel_id is None and post_id:
                try:
                    channel_id = await self.context.post_channel_id(post_id, token)
                except _UPSTREAM_ERRORS as exc:
                    errors.append(f"post: {type(exc).__name__}")
                if channel_id is None and not any(e.startswith("post:") for e in errors):
                    # unknown channel: the policy's failure mode decides (default closed)
                    errors.append("post: channel not resolved")
            if channel_id and lookup_channel:
                try:
                    channel = await self.context.channel(channel_id, token)
                except _UPSTREAM_ERRORS as exc:
                    errors.append(f"channel: {type(exc).__name__}")
                if channel is not None and channel_terms is not None:
                    channel_terms.extend(channel.terms)  # context words of its display name and purpose
            if channel is not None and channel.team_id and _needs(policy, route, "team"):
                try:
                    team_name = await self.context.team_name(channel.team_id, token)
                except _UPSTREAM_ERRORS as exc:
                    errors.append(f"team: {type(exc).__name__}")
            if user is not None and token and _needs(policy, route, "groups"):
                try:
                    groups = await self.context.groups(user.id, token)
                except _UPSTREAM_ERRORS as exc:
                    errors.append(f"groups: {type(exc).__name__}")
        root_id = ex.fields.get("body.root_id")
        root_verified = False
        if root_id and atrest.is_id(root_id) and not atrest.plain_id(root_id) and self.context is not None and token:
            # a long digit run in a root id: kept only if Mattermost knows the post
            try:
                root_verified = await self.context.post_channel_id(root_id, token) is not None
            except _UPSTREAM_ERRORS as exc:
                errors.append(f"root: {type(exc).__name__}")
        return RequestContext(
            route=route.name,
            route_group=route.group,
            method=req.method.upper(),
            path=self._safe_path(route, params, path),
            request_id=req.request_id,
            user_id=user.id if user else None,
            username=user.username if user else None,
            user_roles=user.roles if user else (),
            is_bot=user.is_bot if user else False,
            groups=groups,
            hook_id=atrest.safe_id(self.hash_key, hook_id),
            channel_id=atrest.safe_id(self.hash_key, channel_id, verified=channel is not None and channel.id == channel_id),
            channel_name=channel.name if channel else None,
            channel_type=channel.type if channel else None,
            channel_shared=channel.shared if channel else None,
            team_id=channel.team_id if channel else None,
            team_name=team_name,
            root_id=atrest.safe_id(self.hash_key, root_id, verified=root_verified),
            client_ip=req.client_ip or None,
            context_errors=tuple(errors),
        )

    # ------------------------------------------------------------------ record

    def _safe_path(self, route: Route | None, params: Mapping[str, str], path: str) -> str:
        """The path as archived: the route template with shape-checked parameters, or
        the masked path when no template matched (dlp_proxy.atrest)."""
        if route is not None and route.name != UNKNOWN_ROUTE_NAME:
            return atrest.route_path(self.hash_key, route.template, dict(params))
        return atrest.mask_path(self.hash_key, path)

    async def _headers_carry(self, items: Sequence[ContentItem]) -> bool:
        """Whether the detector finds anything in these header texts (all entity types:
        a route whose body is not read has no policy context)."""
        return await self._reads_carry(items)

    def _query_read(self, target: str, request_headers: Mapping[str, str], path: str,
                    route: Route | None = None) -> list[ContentItem]:
        """What the handler of a ``query`` read gets besides its query's fields: on a
        plugin's route its path after the plugin id and its headers
        (``plugin_read_items``), on a route whose query leaves the firm its words and
        URLs (``egress_items``), else the query's words (``query_items``)."""
        if path.startswith(PLUGIN_PREFIX):
            return plugin_read_items(target, request_headers, self.config.upstream_subpath)
        # (its User-Agent goes into the handler's audit record: ``read_headers_pass``)
        said = headers.read_items(request_headers, path)
        if route is not None and route.name in EGRESS_QUERY_ROUTE_NAMES:
            return [*egress_items(split_target(target)[1]), *said]
        return [*query_items(split_target(target)[1]), *said]

    def read_headers_pass(self, request_headers: Mapping[str, str], path: str) -> bool:
        """Whether a body-less ``passthrough`` read of ``path`` (classified) may be
        forwarded without a scan (the gateway's synchronous path, gateway/addon.py): the
        headers Mattermost stores from it (``headers.read_items``: its User-Agent in the
        audit record a handler writes) are few and proven clean (the detector's gate, or
        judged clean before)."""
        said = headers.read_items(request_headers, path)
        return (sum(len(i.text) for i in said) <= headers.MAX_READ_HEADER_CHARS
                and not self._fresh_reads(said))

    def read_passes(self, target: str, request_headers: Mapping[str, str], classified: tuple[Match, str, str]) -> bool:
        """Whether a body-less ``query`` read may be forwarded without a scan (the
        gateway's synchronous path, gateway/addon.py): its query is trivial and every
        text its handler gets is proven empty by the detector's gate or was judged
        clean before (``_reads_carry`` scans the others)."""
        m, path, query = classified
        if m.kind != "query" or m.route is None or headers.session_read(path):
            return False  # (a read that makes a session from its headers: judged in ``handle``)
        return ((_quick_egress(m.route, query) or query_is_trivial(query))
                and not self._fresh_reads(self._query_read(target, request_headers, path, m.route)))

    def _fresh_reads(self, items: Sequence[ContentItem]) -> list[ContentItem]:
        """The texts of ``items`` the detector's own gate (``could_find``: number words
        and look-alike letters included, never a digit count) does not prove empty and
        that were not judged clean before (all entity types)."""
        could_find = getattr(self.detector, "could_find", None)
        fresh = []
        for i in items:
            if (i.text, None) in self._clean_headers:
                continue
            if could_find is not None and not could_find(i.text):
                self._remember_clean_text(i.text)  # proven empty: not gated again
                continue
            fresh.append(i)
        return fresh

    async def _reads_carry(self, items: Sequence[ContentItem]) -> bool:
        """Whether the detector finds anything in these texts a handler gets besides a
        body (headers, a plugin's path, a read's query; all entity types): only
        ``_fresh_reads`` are scanned; a clean one is remembered."""
        fresh = self._fresh_reads(items)
        if not fresh:
            return False
        scanned = await self._scan(fresh, None)
        self._remember_clean_headers(scanned, None, every=True)
        return any(s.findings for s in scanned)

    def _remember_clean_headers(self, scanned: Sequence[ScannedItem], entities: Collection[str] | None,
                                every: bool = False) -> None:
        """``every``: any item's text (``_reads_carry``), else headers only."""
        for s in scanned:
            if (every or s.item.path.startswith(_HEADER_PREFIX)) and not s.findings:
                self._remember_clean_text(s.item.text, None if entities is None else frozenset(entities))

    def _remember_clean_text(self, text: str, entities: frozenset[str] | None = None) -> None:
        if len(self._clean_headers) >= KEY_TERMS_CACHE_SIZE:
            self._clean_headers.clear()
        self._clean_headers.add((text, entities))

    def _field_path(self, path: str) -> str:
        """``atrest.safe_field_path``, remembered for the paths it keeps as they are
        (``body.message`` is shape-checked once, not on every post).  Only those: the
        set holds nothing the archive does not hold in clear."""
        if path in self._plain_field_paths:
            return path
        safe = atrest.safe_field_path(self.hash_key, path)
        if safe == path:
            if len(self._plain_field_paths) >= KEY_TERMS_CACHE_SIZE:
                self._plain_field_paths.clear()
            self._plain_field_paths.add(path)
        return safe

    def _head(self, req: GatewayRequest, record_type: str) -> dict[str, Any]:
        """Fields every record the gateway archives starts with."""
        return {"type": record_type, "time": utc_now_iso(time.time()), "request_id": req.request_id,
                "worker": self.config.worker_id, "method": req.method.upper()}

    def _record(self, req: GatewayRequest, route: Route, path: str, ctx: RequestContext, decision: Decision,
                items: Sequence[ContentItem], started: float) -> dict[str, Any]:
        # (a dense post's ~1,000 findings sit in a few items: each item's path is checked once)
        # (at most ARCHIVE_FINDINGS_MAX listed, the rest counted: attack 21h F1, an
        # unauthenticated 60 KB body's 3,354 findings made a 780 KB record)
        findings: list[dict[str, Any]] = []
        counts: dict[str, int] = {}  # ``decision.entity_counts()``, in the same pass
        omitted = 0
        for s in decision.scanned:
            if not s.findings:
                continue
            safe = self._field_path(s.item.path)
            for f in s.findings:
                if len(findings) < ARCHIVE_FINDINGS_MAX:
                    findings.append({"path": safe, **f.to_json()})
                else:
                    omitted += 1
                counts[f.entity_type] = counts.get(f.entity_type, 0) + 1
        content_hash = keyed_hash(self.hash_key, "\x00".join(f"{i.path}\x01{i.text}" for i in items))
        return {
            **self._head(req, "decision"),
            "route": route.name,
            "route_group": route.group,
            "path": ctx.path,
            "context": atrest.safe_context(self.hash_key, ctx.to_json()),
            "action": decision.action.value,
            "rule_id": decision.rule_id,
            "reason": decision.reason,
            "policy_version": decision.policy_version,
            "entity_types": sorted(set(decision.entity_types) | counts.keys()),
            "entity_counts": counts,
            "findings": findings,
            **({"findings_omitted": omitted} if omitted else {}),
            "fields": sorted({self._field_path(i.path) for i in items})[:200],
            "content_hash": content_hash,
            "scan_ms": round((time.perf_counter() - started) * 1000, 3),
        }

    async def record_failure(self, req: GatewayRequest, *, reason: str, error: str, action: Action,
                             route_name: str | None = None) -> str | None:
        """Archive an inspection failure.  Returns None if even that failed."""
        record = {
            **self._head(req, "failure"),
            "route": route_name or "unknown",
            "path": self._archived_path(req),
            "action": action.value,
            "reason": reason,
            "error": atrest.safe_text(error),
        }
        try:
            return await self.archive.append(record)
        except Exception:
            log.exception("could not archive a failure record", extra={"request_id": req.request_id})
            return None

    async def _refuse(self, req: GatewayRequest, status: int, error_id: str, message: str, reason: str,
                      route: Route | None = None) -> Verdict:
        """A request refused before any decision (bad path, framing, body): archived, then answered.

        ``message`` may be built from a parser's error: it is passed through
        ``atrest.safe_text`` (quoted values withheld, digit runs masked) for the
        archive and for the answer alike."""
        message = atrest.safe_text(message)
        record = {
            **self._head(req, "decision"),
            "route": route.name if route else "unknown",
            "route_group": route.group if route else "unknown",
            "path": self._archived_path(req),
            "action": Action.BLOCK.value,
            "rule_id": reason,
            "reason": message,
            "policy_version": "",
        }
        record_id = await self.archive.append(record)
        return Verdict(forward=False, response=responses.app_error(status, error_id, message, request_id=req.request_id),
                       record_id=record_id)

    def _archived_path(self, req: GatewayRequest) -> str:
        """The archived path of a request known only by its target (a failure, a refusal)."""
        try:
            m, path = classify_path(req.method, split_target(req.target)[0], subpath=self.config.upstream_subpath)
        except PathError:
            return "<invalid>"
        return self._safe_path(m.route, m.params or {}, path)

    # ------------------------------------------------------------------ act

    async def _act(self, req: GatewayRequest, route: Route, ctx: RequestContext, decision: Decision,
                   record_id: str, ex: Extracted, body: bytes, policy: PolicyEngine, *,
                   unsafe_links: bool = False) -> Verdict:
        """Carry out the policy's decision as it is; every word the sender sees comes
        from the policy's ``messages`` (dlp_proxy.policy.notify)."""
        from dlp_proxy.policy.notify import user_message

        action = decision.action
        footnote = policy.redact_footnote
        after = (self._after(ctx, decision, record_id, policy) if decision.notify_sender or decision.alert_channel_id
                 else None)
        if action in (Action.ALLOW, Action.MONITOR):
            if unsafe_links:  # the body as Go reads it, props rewritten (``links.set_unsafe_links``)
                links.set_unsafe_links(ex.json_doc)
                return Verdict(forward=True, new_body=json.dumps(ex.json_doc, ensure_ascii=False).encode("utf-8"),
                               decision=decision, record_id=record_id, after=after)
            return Verdict(forward=True, decision=decision, record_id=record_id, after=after)
        if action is Action.REDACT:
            new_body = self._redacted_body(ex, decision, footnote, unsafe_links=unsafe_links)
            return Verdict(forward=True, new_body=new_body, decision=decision, record_id=record_id, after=after)
        worded = decision if decision.entity_types else replace(
            decision, entity_types=tuple(sorted({f.entity_type for _, f in decision.findings})))
        if action is Action.QUARANTINE:
            if self.quarantine is None:
                raise RuntimeError("policy chose quarantine but no quarantine store is configured")
            if unsafe_links:  # held as it will be released: without its preview
                links.set_unsafe_links(ex.json_doc)
                body = json.dumps(ex.json_doc, ensure_ascii=False).encode("utf-8")
            elif req.spool is not None and not body:  # the body is on disk (``GatewayRequest.spool``)
                body = await asyncio.to_thread(req.spool.read)
            held = HeldRequest(
                method=req.method.upper(),
                path=req.target,
                # (a body rewritten with unsafe_links is JSON: an incoming webhook's form too)
                headers=tuple((k, "application/json" if unsafe_links and k == "content-type" else v)
                              for k, v in req.headers.items() if k in RELEASE_HEADERS),
                # decoded: Content-Encoding is not kept for the release
                body=body,
                context=ctx,
                decision=decision,
                record_id=record_id,
                # client-supplied ("<user id>:<millis>"): only its keyed hash is kept
                idempotency_key=(atrest.hashed(self.hash_key, ex.fields["body.pending_post_id"], "pending")
                                 if ex.fields.get("body.pending_post_id") else req.request_id),
                created_at=time.time(),
            )
            item_id = await self.quarantine.hold(held)
            if after is not None:  # the notice names the held item (the sender's buttons)
                after = self._after(ctx, decision, record_id, policy, item_id)
            message = user_message(worded, policy)
            status, headers, body = responses.app_error(403, responses.QUARANTINED_ID, message, request_id=req.request_id,
                                                        detailed_error=f"quarantine item {item_id}")
            return Verdict(forward=False, response=(status, headers, body), decision=decision, record_id=record_id, after=after)
        message = user_message(worded, policy)
        return Verdict(forward=False, response=responses.app_error(403, responses.BLOCKED_ID, message, request_id=req.request_id),
                       decision=decision, record_id=record_id, after=after)

    def _after(self, ctx: RequestContext, decision: Decision, record_id: str,
               policy: PolicyEngine | None = None, item_id: str = "") -> Callable[[], Awaitable[None]] | None:
        notifier = self.notifier
        if notifier is None:
            return None

        async def run() -> None:
            await notifier.notify(ctx, decision, record_id, policy, item_id)

        return run

    def _redacted_body(self, ex: Extracted, decision: Decision, footnote: str | None = None, *,
                       unsafe_links: bool = False) -> bytes:
        from dlp_proxy.policy import findings_to_redact, redact_text

        doc = ex.json_doc
        # the findings that drove the decision, minus exempted (allow-listed) ones
        by_path: dict[str, list[Any]] = dict(findings_to_redact(decision))
        for path, findings in by_path.items():
            loc = ex.json_locations.get(path)
            if loc is None:
                raise RuntimeError(f"cannot redact field {path}: not a JSON string value")
            parent = doc
            for key in loc[:-1]:
                parent = parent[key]
            original = parent[loc[-1]]
            parent[loc[-1]] = redact_text(original, findings)
        # the footnote goes where Go reads the message: the last key it matches
        message_loc = next((loc for p, loc in reversed(ex.json_locations.items()) if go_path(p) == "body.message"),
                           None)
        if message_loc is not None and by_path:
            parent = doc
            for key in message_loc[:-1]:
                parent = parent[key]
            note = self.config.redact_footnote if footnote is None else footnote
            parent[message_loc[-1]] = f"{parent[message_loc[-1]]}\n\n{note}" if note else parent[message_loc[-1]]
        if unsafe_links:  # after the masking: it addresses props by the keys as sent
            links.set_unsafe_links(doc)
        elif isinstance(doc, dict):  # serialised as Go read it (case-variant keys)
            links.go_fields_collapsed(doc)
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _forwarded_texts(posted: Sequence[ContentItem], decision: Decision) -> list[tuple[str, str]]:
    """(path, text) of each of a request's own texts as a forwarding ``decision`` sends
    it: masked where a redact decision masks it (``Pipeline._redacted_body``: the same
    findings, the same masking), else as written.  (The redact footnote, the policy's
    own words, is not read.)"""
    from dlp_proxy.policy import findings_to_redact, redact_text

    masked = findings_to_redact(decision) if decision.action is Action.REDACT else {}
    return [(i.path, redact_text(i.text, masked[i.path]) if i.path in masked else i.text) for i in posted]


def decode_and_extract(route: Route, raw: bytes, content_encoding: str, content_type: str, query: str,
                       max_text_bytes: int, *, defer_files_from: int | None = None) -> tuple[bytes, Extracted]:
    """Read what the body and the query carry, as Mattermost will.

    Go's net/http never decodes a request's Content-Encoding, so Mattermost reads
    and stores the bytes as sent: on every route it handles (JSON, webhooks,
    files, upload chunks) an encoded body is refused (400) - a JSON handler would
    fail on it, a file handler would store and count the encoded bytes, and no
    Mattermost client sends one.  On a route nobody described (``Body.ANY``: a
    plugin may decode it or not) both the bytes as sent and their decoding are
    inspected.

    ``defer_files_from``: large file parts of ``raw`` are left in it (``extract``).

    Pure (no I/O, no state): run inline, in a thread or in a file worker process."""
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip().lower() not in ("", "identity")]
    qpairs = parse_qsl(query, keep_blank_values=True, max_num_fields=1000)
    if codings and raw and route.body is not Body.ANY:
        raise BodyError("Content-Encoding is not accepted on this route (Mattermost does not decode request bodies)")
    if route.body.value not in ("files", "upload_chunk") and len(raw) > max_text_bytes:
        raise BodyError("body is larger than the gateway accepts for this route", 413)
    # every decoded reading (an unlabelled stream, the Content-Encoding undone, and that
    # one's own readings) is held to the limit the raw body was held to, decoded in
    # steps that never pass it (gateway/decode.py): 413 at the cap, never a weaker reading
    ex = extract(route, raw, content_type, qpairs, go_query=parse_query(query), defer_files_from=defer_files_from,
                 decoded_limit=max_text_bytes)
    if not codings or not raw:
        return raw, ex
    body = decode_content_encoding(raw, content_encoding, limit=max_text_bytes)
    decoded = extract(route, body, content_type, [], decoded_limit=max_text_bytes - len(body))
    ex.items.extend(ContentItem(f"decoded:{i.path}", i.text, i.kind) for i in decoded.items)
    ex.files.extend(FilePart(f"decoded:{f.path}", f.filename, f.data, f.content_type) for f in decoded.files)
    ex.json_doc = None  # two readings: nothing to redact in place
    ex.json_locations = {}
    return body, ex


#: seconds a bot's owner is remembered (``Pipeline._budget_key``); an owner changes by
#: ``POST /bots/{id}/assign/{user_id}`` only
BOT_OWNER_SECONDS = 600.0

SCAN_BUDGET_ID = "api.dlp.scan_budget.app_error"
#: findings a decision record lists (the others only counted in ``entity_counts``;
#: ``findings_omitted`` says how many)
ARCHIVE_FINDINGS_MAX = 200
SCAN_BUDGET_MESSAGE = ("You sent more than the data-loss-prevention gateway can check right now. "
                       "Wait a minute and try again.")
#: route groups whose body.message is a post's message (Mattermost's length limit applies);
#: not webhooks: Mattermost splits a long webhook message into several posts
_POST_GROUPS = frozenset({"posts", "edits", "scheduled", "drafts"})
_MESSAGE_PATHS = frozenset({"body.message", "body.post.message"})


#: labelled fields scanned again per request, and the longest field whose context words are read
CROSS_FIELD_MAX_TARGETS = 256
CROSS_FIELD_MAX_CHARS = 65536
#: characters of labelled text one request may cost (a text of many short numbered lines
#: doubles in size): beyond, the request is refused (413) rather than judged without context
CROSS_FIELD_MAX_TOTAL = 2_000_000
#: what separates two labelled fields: more than a context window reaches across (letters
#: that are no context word), so one field's label never reaches another field's number
_CROSS_GAP = "\n\n" + "z" * 72 + "\n\n"
_ANY_DIGIT = re.compile(r"[0-9]")
_ANY_LETTER = re.compile(r"[A-Za-z]")
_STRUCTURAL_NAMES = frozenset({"id", "ids", "seq", "version", "timestamp", "ts", "pending_post_id", "type",
                               "file_size", "size", "width", "height", "page", "per_page", "priority"})


_PATH_PARTS = re.compile(r"[.\[\]#{}:~]")


def _thread_posts_written(route: Route, params: Mapping[str, str], ex: Extracted) -> list[str]:
    """The posts a request writes to, for the thread freeze (gateway/moves.py): the
    post its path names (an edit, a patch, an action run on it: routes with
    ``post_from="path.post_id"``), and the thread a new post replies to (its
    ``root_id`` as Go's decoder reads it: ``Extracted.fields``).  Reactions carry no
    content and are no content route."""
    out: list[str] = []
    if route.post_from == "path.post_id" and atrest.is_id(pid := params.get("post_id", "")):
        out.append(pid)
    if route.group == "posts" and atrest.is_id(root := ex.fields.get("body.root_id") or ""):
        out.append(root)
    return out


def _labels_other_fields(texts: Sequence[int], targets: Sequence[int],
                         joined_groups: Sequence[tuple[str, Sequence[int]]], posts_have_digits: bool) -> set[int]:
    """The fields of ``texts`` whose own context words (``Engine.context_terms``, ~1 us
    a character: 16 ms of the event loop for a 16,000-character message) label some
    reading of ``_cross_field``: a field's words label every *other* target, every
    joined object it is not a member of, and the post as shown.  The words of a field
    no such reading takes are never read (a long message alone in its request with a
    few ids: it is its own only target)."""
    if posts_have_digits:
        return set(texts)
    members = [frozenset(m) for _, m in joined_groups]
    return {i for i in texts if any(t != i for t in targets) or any(i not in m for m in members)}


def _few_digits(scanned: Sequence[ScannedItem], texts: Sequence[int]) -> bool:
    """``Pipeline._cross_field`` has nothing to label nor to join: every target holds 4
    digits or more (``normalized_digits``), and every joined group's fields 4 or more
    together, so fewer than 4 in all the fields that may be either means neither (a
    chat post without numbers stops here, before its key names' context words are
    looked up).  Counted as both count them: whole, and a joined leaf's first
    ``JOIN_MAX_LEAF_CHARS``."""
    digits = 0
    for i in texts:
        item = scanned[i].item
        if item.kind is ItemKind.FILE:
            continue
        digits += normalized_digits(item.text)
        if len(item.text) > JOIN_MAX_LEAF_CHARS:
            digits += normalized_digits(item.text[:JOIN_MAX_LEAF_CHARS])
        if digits >= 4:
            return False
    return True


@functools.lru_cache(maxsize=4096)
def _structural(path: str) -> bool:
    """Fields that hold ids, times and versions, never free text.  (A request's field
    paths are few and recur: each is read once per process.)"""
    last = _PATH_PARTS.split(path.lower())
    seg = next((p for p in reversed(last) if p and not p.isdigit() and not p.startswith("dup")), "")
    return seg in _STRUCTURAL_NAMES or seg.endswith(("_at", "_id", "_ids"))


#: a leaf longer than this (or with a line break) is not read joined with its
#: object's other leaves (it is labelled on its own, ``CrossFieldText``)
JOIN_MAX_LEAF_CHARS = 256
#: the path of the item that holds findings read across the leaves of one object
JOINED_SUFFIX = "#joined"
_PATH_SEGMENTS = re.compile(r"[.#{}:~]")
_INDEX = re.compile(r"\[[0-9]+\]")
_KEY_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")
#: key names of a path that are read as words: the last few (the ones nearest the value)
KEY_WORDS_SEGMENTS = 4
#: a key's name that abbreviates a label only as a key's name: ``{"tid": ...}`` is a
#: taxpayer id, where "tid" in a desk's chat is a trade id (recognizers/_common.py
#: ``TAXPAYER_ID_LABELS``)
KEY_ABBREVIATIONS = {"tid": "tax id"}
#: key paths whose context words a pipeline remembers (beyond, it starts again)
KEY_TERMS_CACHE_SIZE = 4096


def key_words(path: str) -> str:
    """The key names of a field's path as words: ``body.props.client_ssn`` -> "props
    client ssn", ``body.data.accountNumber2`` -> "data account number" (split on
    ``_``, ``-``, camelCase; digits, array indices and the leading part dropped)."""
    segments = [seg for seg in _PATH_SEGMENTS.split(_INDEX.sub("", path))[1:]
                if seg and not seg.startswith("dup") and seg != "key"]
    words: list[str] = []
    for seg in segments[-KEY_WORDS_SEGMENTS:]:
        # a key spelled in other letters (full-width, mathematical, Cyrillic look-alikes)
        # reads as the ASCII word it shows
        # (folded letters keep no camelCase: small capitals fold to capitals)
        words.extend(w.lower() for w in _KEY_WORD.findall(seg if seg.isascii() else ascii_fold(seg).lower()))
    return " ".join(KEY_ABBREVIATIONS.get(w, w) for w in words)


def _parent_object(path: str) -> str:
    """The object a leaf belongs to: its path without the last key (an array's
    elements belong to the object holding the array)."""
    bare = re.sub(r"(?:\[[0-9]+\])+$", "", path)
    cut = max(bare.rfind("."), bare.rfind("{"))
    return bare[:cut] if cut > 0 else bare


class _KeyTerms:
    """The context words of a path's key names, once per path without indices (the
    cache is the pipeline's, bounded: key paths are the client's to choose)."""

    def __init__(self, terms_of: Callable[[str], list[str]], cache: dict[str, frozenset[str]]) -> None:
        self.terms_of = terms_of
        self.cache = cache

    def of(self, path: str) -> frozenset[str]:
        bare = _INDEX.sub("", path)
        got = self.cache.get(bare)
        if got is None:
            if len(self.cache) >= KEY_TERMS_CACHE_SIZE:
                self.cache.clear()
            words = key_words(bare)
            # (a one- or two-letter key, ``x``, ``no``, is a name, not a word)
            got = self.cache[bare] = frozenset(t for t in self.terms_of(words) if len(t) > 2) if words else frozenset()
        return got


class JoinedText:
    """The short scalar leaves of one object read together: one ``"<label> <key
    words>: <value>"`` line per key, an array's elements on one line separated by
    spaces.  A finding within one leaf's value goes back to that leaf; one across
    several leaves belongs to the object (``spans_values``)."""

    def __init__(self, group: str, label: str) -> None:
        self.group = group
        self.label = label
        #: key (path without indices) -> [key words, [(field index, value)]], in order
        self.lines: dict[str, tuple[str, list[tuple[int, str]]]] = {}
        self.pos = 0
        self._text: str | None = None
        #: (start in the text, end, field index or -1 for a line of several leaves)
        self.spans: list[tuple[int, int, int]] = []

    def add(self, index: int, path: str, value: str) -> None:
        if len(value) > JOIN_MAX_LEAF_CHARS or "\n" in value or "\r" in value:
            return
        key = re.sub(r"(?:\[[0-9]+\])+$", "", path)
        line = self.lines.get(key)
        if line is None:
            line = self.lines[key] = (key_words(key), [])
        line[1].append((index, value))
        self.pos += len(self.label) + len(line[0]) + len(value) + 4
        self._text = None

    def text(self) -> str:
        if self._text is None:
            parts: list[str] = []
            pos = 0
            self.spans = []
            for words, values in self.lines.values():
                head = f"{self.label} {words}: ".lstrip()
                value = " ".join(v for _, v in values)
                parts.append(head + value + "\n")
                pos += len(head)
                self.spans.append((pos, pos + len(value), values[0][0] if len(values) == 1 else -1))
                pos += len(value) + 1
            self._text = "".join(parts)
            self.pos = pos
        return self._text

    def locate(self, start: int, end: int) -> tuple[int, int, int] | None:
        self.text()
        for a, b, index in self.spans:
            if index >= 0 and a <= start and end <= b:
                return index, start - a, end - a
        return None

    def spans_values(self, start: int, end: int) -> bool:
        self.text()
        return any(a < end and start < b for a, b, _ in self.spans)


def _label(terms: set[str], limit: int = 48) -> str:
    """The context words as one label, nearest the value last, within a context window."""
    out: list[str] = []
    size = 0
    for t in sorted(terms, key=lambda w: (len(w), w)):
        if size + len(t) + 1 > limit:
            break
        out.append(t)
        size += len(t) + 1
    return " ".join(out)


class CrossFieldText:
    """Fields with every line labelled (``"<words>: <line>"``), one text, and the way
    back from an offset in it to (field, offset in the field)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        #: (start in the text, end, field index, offset of the line in the field)
        self.spans: list[tuple[int, int, int, int]] = []

    def add(self, index: int, text: str, label: str) -> None:
        offset = 0
        for line in text.split("\n"):
            head = f"{label}: " if _ANY_DIGIT.search(line) or not line.isascii() else ""
            self.parts.append(head)
            self.pos += len(head)
            self.spans.append((self.pos, self.pos + len(line), index, offset))
            self.parts.append(line + "\n")
            self.pos += len(line) + 1
            offset += len(line) + 1
        self.parts.append(_CROSS_GAP)
        self.pos += len(_CROSS_GAP)

    def text(self) -> str:
        return "".join(self.parts)

    def locate(self, start: int, end: int) -> tuple[int, int, int] | None:
        for a, b, index, offset in self.spans:
            if a <= start and end <= b:
                return index, offset + start - a, offset + end - a
        return None


#: how much of a file's name and text ``_shown_with_their_names`` joins (the split
#: window's default ``max_chars``)
SPLIT_MAX_CHARS = 256


def _shown_with_their_names(scanned: Sequence[ScannedItem], max_chars: int) -> list[tuple[list[int], list[str]]]:
    """Per file of the request whose name may carry a piece of an identifier: its name
    without the extension, then its texts short enough to be a fragment (as
    ``split_piece`` takes them), with their indices in ``scanned`` (-1 for the name).
    Mattermost shows a file's name above its preview.  And the names of the request's
    files that may carry a piece, side by side (a post shows its files together)."""
    out: list[tuple[list[int], list[str]]] = []
    for s in scanned:
        if s.item.kind is not ItemKind.FILENAME or not s.item.path.endswith(".name"):
            continue
        stem = split_reading(os.path.splitext(s.item.text)[0])
        if not may_carry_a_piece(stem):
            continue
        prefix = s.item.path[: -len(".name")] + ":"
        indices, texts = [-1], [stem]
        for i, f in enumerate(scanned):
            if f.item.kind is ItemKind.FILE and f.item.path.startswith(prefix) and f.item.text \
                    and len(f.item.text) <= max_chars and may_carry_a_piece(f.item.text):
                indices.append(i)
                texts.append(f.item.text)  # as written: its findings are located in it
        if len(texts) > 1:
            out.append((indices, texts))
    # the names of the request's files, side by side ("Lee 533.txt" and "47-2210.txt")
    names = [(i, os.path.splitext(s.item.text)[0]) for i, s in enumerate(scanned)
             if s.item.kind is ItemKind.FILENAME and s.item.path.endswith(".name")]
    names = [(i, stem) for i, stem in names if may_carry_a_piece(split_reading(stem))]
    if len(names) > 1:
        out.append(([i for i, _ in names], [stem for _, stem in names]))  # a stem starts its name
    return out


_DELETED_POST = re.compile(r"/api/v4/posts/(?:schedule/)?([a-z0-9]{26})/?")
#: the routes whose piece is tagged with the id in Mattermost's answer, and whose
#: ``root_id`` places the piece in its thread (a scheduled edit's is the stored one)
_THREADED = frozenset({"posts.create", "posts.schedule.create", "posts.schedule.update"})
#: the routes whose message gives context words to the channel's recent context and
#: whose short text is read with it (policy/split.py ``SplitWindow.add``'s ``recent``):
#: posts created and edited; not scheduled posts (sent later, amid other posts), nor
#: incoming webhooks (no user: outside the split window)
_RECENT_ROUTES = frozenset({"posts.create", "posts.update", "posts.patch"})
#: how much of a message ``_recent_words`` reads
RECENT_WORDS_CHARS = 4096


def scheduled_send_time(doc: Any) -> float | None:
    """A scheduled post's send time in seconds (its ``scheduled_at``, ms since the
    epoch: model/scheduled_post.go; Mattermost refuses a body without a positive one),
    None when the body has none."""
    at = doc.get("scheduled_at") if isinstance(doc, dict) else None
    return at / 1000 if isinstance(at, int) and not isinstance(at, bool) and at > 0 else None


_SCHEDULED_POST = re.compile(r"/api/v4/posts/schedule/([a-z0-9]{26})/?")


def replaced_scheduled(method: str, path: str) -> str | None:
    """The scheduled post an edit replaces (``PUT /api/v4/posts/schedule/{id}``,
    api4/scheduled_post.go updateScheduledPost): when the edit puts no piece in the
    split window (its text carries none), its earlier versions leave the window all
    the same once Mattermost has saved it (they are never sent), as a delete's do."""
    m = _SCHEDULED_POST.fullmatch(path) if method == "PUT" else None
    return m.group(1) if m else None


def deleted_post(method: str, path: str) -> str | None:
    """The post a request deletes (``DELETE /api/v4/posts/{id}``, api4/post.go
    deletePost; ``DELETE /api/v4/posts/schedule/{id}``, api4/scheduled_post.go
    deleteScheduledPost), for ``Pipeline.split_post_deleted``."""
    m = _DELETED_POST.fullmatch(path) if method == "DELETE" else None
    return m.group(1) if m else None


def split_piece(scanned: Sequence[ScannedItem], max_chars: int) -> str:
    """What a request adds to the split window: its texts that may carry a piece
    (``may_carry_a_piece`` of their reading with number words as digits,
    ``words.split_reading``; ids Mattermost validates are no text), in order, one per
    line; a long one keeps its head and its tail (a split identifier sits at a
    boundary).  A file's extracted text enters only when it is short enough to be a
    fragment itself: a document's first and last lines (a blotter's header row and
    totals) joined with the sender's recent chat make identifiers no one wrote."""
    parts: list[str] = []
    now_ms = int(time.time() * 1000)
    for s in scanned:
        text = s.item.text
        if (not text or is_reference_id(s.item) or _structural(s.item.path) or s.item.path.endswith(JOINED_SUFFIX)
                or is_mattermost_stamp(s.item, now_ms)
                or s.item.path.startswith(_HEADER_PREFIX)):  # a client's constant headers are no piece of a post
            continue
        # number words as digits (``client SSN five three six`` is ``client SSN 536``): the
        # window cuts and joins pieces at their digits; a text with neither digits nor
        # number words is left as it is and pays nothing more (words.may_have_number_words)
        if s.item.kind is ItemKind.FILENAME:
            # a file's name as it joins a post: a name ending in an SSN's first two groups,
            # then a post with its last four, join as one SSN (the extension would end the
            # piece on a dot, and a dot is not the writer's separator)
            text = os.path.splitext(text)[0]
        text = split_reading(text)
        if not may_carry_a_piece(text, capitals=True):
            continue
        if s.item.kind is ItemKind.FILE and len(text) > max_chars:
            continue
        parts.append(text if len(text) <= 2 * max_chars else f"{text[:max_chars]}\n{text[-max_chars:]}")
    joined = "\n".join(parts)
    if len(joined) > 2 * max_chars:
        joined = f"{joined[:max_chars]}\n{joined[-max_chars:]}"
    return joined


#: digits (as ``normalized_digits`` counts them) up to which a split-window text is
#: scanned on the event loop: its length is bounded by construction (policy/split.py,
#: at most ~8,000 characters, most of them the filler between joins, which costs the
#: engine next to nothing) and the engine's cost follows the digit runs (worst
#: ~7.5 us a digit, bench_inline_worst.py): ~2 ms at most.  A window of chat posts
#: with numbers holds a few dozen.
WINDOW_INLINE_DIGITS = 256


class _WindowScanner:
    """The detector as the split-message window (policy/split.py) sees it.  A joined
    text with few digits (chat posts with numbers) is scanned on the event loop; a
    digit-dense one (up to ~8,000 characters of pieces of posts of account numbers)
    goes through ``Pipeline._scan``'s gate like the request's own text: to a scan
    worker the deadline can kill, charged to the sender's scan budget."""

    def __init__(self, pipeline: Pipeline, budget_key: str | None) -> None:
        self.pipeline = pipeline
        self.budget_key = budget_key

    async def analyze(self, text: str, *, entities: Collection[str] | None = None) -> list[Finding]:
        if normalized_digits(text) <= WINDOW_INLINE_DIGITS:
            return list(self.pipeline.detector.analyze(text, entities=entities, rendered=False))  # (each post was checked when sent)
        scanned = await self.pipeline._scan([ContentItem("split-window", text, rendered=False)], entities, self.budget_key)
        return [f for s in scanned for f in s.findings]


#: fields where Mattermost's web app sends its own timestamps (ms since the epoch):
#: ``create_at`` (reset to 0 unless a system admin sends it, api4/post.go createPost),
#: ``update_at`` (set by the server, model/post.go PreSave) and the pending post id
#: ``<user id>:<ms>`` (the web app's createPost; echoed to the channel's clients)
_STAMP_FIELDS = frozenset({
    f"{prefix}{name}" for prefix in ("body.", "body.post.")
    for name in ("create_at", "update_at", "edit_at", "delete_at", "pending_post_id")
})
#: counters Mattermost keeps itself, which the web app sends as 0 (``is_mattermost_stamp``)
_COUNTER_FIELDS = frozenset({f"{prefix}reply_count" for prefix in ("body.", "body.post.")})
_OWN_FIELDS = _STAMP_FIELDS | _COUNTER_FIELDS
_STAMP = re.compile(r"[0-9]{13}")
_PENDING_ID = re.compile(r"[a-z0-9]{26}:([0-9]{13})")
#: how far from the gateway's clock a value may be and still be read as a timestamp:
#: a post retried after a day offline keeps its pending id
STAMP_PAST_MS = 30 * 24 * 3600 * 1000
STAMP_FUTURE_MS = 24 * 3600 * 1000


def is_mattermost_stamp(item: ContentItem, now_ms: int) -> bool:
    """A timestamp of Mattermost's own, in its shape: ``0``, or 13 digits within 30 days
    before and a day after ``now_ms`` (a pending post id: an id ``model.NewId`` could
    have made with no long digit run (``atrest.new_id``), ``:``, such a timestamp).  Scanning one costs the engine ~10x the message (a 13-digit run is a
    card-length candidate: ~45 us each, docs/benchmarks.md), and no identifier has this
    shape: a 13-digit card number starts with 4, a timestamp of these years with 17-18,
    and the window holds ~3 billion of the 10 trillion 13-digit values.  Anything else
    in these fields is scanned like any text.

    Also a counter Mattermost keeps itself (``reply_count``) at ``0``, the constant the
    web app's createPost sends with every post: a lone digit is a piece for the split
    window (policy/split.py), so every clean post paid a Redis round trip and a window
    scan for it; a constant the same for every sender carries nothing.  Any other value
    there is read like any text."""
    if item.path in _COUNTER_FIELDS:
        return item.text == "0"
    if item.path not in _STAMP_FIELDS:
        return False
    text = item.text
    if item.path.endswith("pending_post_id"):
        m = _PENDING_ID.fullmatch(text)
        if m is None or not atrest.new_id(text.partition(":")[0]):
            # the user id part is shown to the channel too: only an id NewId could have made
            return False
        text = m.group(1)
    elif text == "0":
        return True
    return bool(_STAMP.fullmatch(text)) and now_ms - STAMP_PAST_MS <= int(text) <= now_ms + STAMP_FUTURE_MS




def _needs(policy: PolicyEngine, route: Route, field: str) -> bool:
    """A context lookup costs a Mattermost call: make it only when a rule or
    exception that could apply to this route scopes on ``field``."""
    return field in policy.needs_context_for(route.group)


#: request bodies above this many bytes are decoded and parsed in a file worker process (see _inspect)
INLINE_EXTRACT_BYTES = 256 * 1024

#: a file of a moved thread is read up to this many bytes (Mattermost's default
#: MaxFileSize, 100 MB); a larger one is not inspected (the policy's ``uninspected``)
MOVE_FILE_MAX_BYTES = 100 * 1024 * 1024

#: digits above which a message is scanned off the event loop even when short: the
#: engine's cost grows with the digit runs it must examine, and an inline scan holds
#: the event loop (bench/bench_inline_worst.py measures the worst case).  Counted
#: after normalization, i.e. every character the engine reads as a digit: ASCII and
#: any other decimal digit, and what NFKC or an HTML entity / percent-escape turns
#: into digits (circled, parenthesized, superscript digits, ``&sup2;``, ``%32``...).
INLINE_MAX_DIGITS = 64
_ASCII_DIGITS = "0123456789"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=65536)
def _digit_weight(ch: str) -> int:
    """Digits the normalizer (dlp_proxy.detect.normalize) makes of one non-ASCII character."""
    from dlp_proxy.detect.normalize import _fold

    if unicodedata.category(ch) == "Nd":
        return 1
    return sum(1 for c in _fold(unicodedata.normalize("NFKC", ch)) if c in _ASCII_DIGITS)


#: texts up to this long have their ``normalized_digits`` remembered (``_short_digits``)
DIGITS_CACHE_CHARS = 1024


def normalized_digits(text: str) -> int:
    """At least as many digits as the detection engine sees in ``text`` after its
    normalizer: ASCII digits, every non-ASCII character by what its normalization
    yields (``⒈`` 1, ``⑩`` 2, ``²`` 1), and for escapes that decode to digits, two per
    ``&`` (``&frac12;`` is ``1⁄2``) and one per ``%`` (a percent-escape's own hex
    digits are counted too).  Linear, no normalization pass: the gate runs on the
    event loop for every short text.  A short text's count is remembered: a post's
    message is counted by the inline-scan gate, the cross-field gates and the split
    window's scanner, and one with a colon (``3:30``) pays ``rendered_digits`` (~25 us)."""
    if len(text) <= DIGITS_CACHE_CHARS:
        return _short_digits(text)
    return _count_digits(text)


@functools.lru_cache(maxsize=1024)
def _short_digits(text: str) -> int:
    # 1,024 texts of at most 1,024 characters (at most ~4 MB): a post's own readings
    # find its count again; nothing needs it across many posts
    return _count_digits(text)


def _count_digits(text: str) -> int:
    n = sum(map(text.count, _ASCII_DIGITS)) + 2 * text.count("&") + text.count("%")
    if not text.isascii():
        n += sum(_digit_weight(ch) for ch in _NON_ASCII.findall(text))
    elif not any(mark in text for mark in _RENDERING_MARKS) and not _has_number_word()(text.lower()):
        # ASCII without a shortcode's colon, markup or a number word: rendering adds no
        # digit (``rendered_digits`` is 0; one regex search instead of its word-by-word
        # look-up, ~25 us, several times a post: test_gateway_crossfield)
        return n
    # what rendering adds: digit emoji shortcodes, KEYCAP TEN, CJK numerals
    return n + rendered_digits(text)


#: characters without which an ASCII text has no digit emoji shortcode (``:one:``),
#: markup that rendering drops (``th**ree**``) nor escape that decoding reads (``&amp;``,
#: ``%35``, ``\char53``): ``detect.normalize.rendered_digits``
_RENDERING_MARKS = ":*_~`<&%\\"


@functools.cache
def _number_word() -> re.Pattern[str]:
    """Any ASCII number word the normalizer turns into digits (``detect.words``' ASCII
    triggers: the search runs on ASCII text only)."""
    from dlp_proxy.detect.words import _ascii_triggers

    return re.compile("|".join(re.escape(w) for w in sorted(_ascii_triggers(), key=lambda w: (-len(w), w))))


@functools.cache
def _has_number_word() -> Callable[[str], bool]:
    """``_number_word().search(text) is not None``, with one Hyperscan pass where it is
    installed (0.6 us against ~18 us for the regex's alternation of ~150 words on a chat
    line; tests/test_gateway_crossfield.py compares the two)."""
    pattern = _number_word()
    try:
        import hyperscan
    except ImportError:
        return lambda text: pattern.search(text) is not None
    from dlp_proxy.detect.words import _ascii_triggers

    words = sorted(set(_ascii_triggers()))
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        db.compile(expressions=[re.escape(w).encode() for w in words], ids=list(range(len(words))),
                   flags=[hyperscan.HS_FLAG_SINGLEMATCH] * len(words))
    except Exception:
        return lambda text: pattern.search(text) is not None

    def stop(*_: Any) -> bool:
        return True  # the first match ends the scan

    def has(text: str) -> bool:
        try:
            db.scan(text.encode("ascii"), match_event_handler=stop)
        except hyperscan.ScanTerminated:  # the callback stopped the scan: a match
            return True
        return False

    return has


def inline_eligible(items: Sequence[ContentItem], max_chars: int) -> bool:
    """May these items be scanned on the event loop (bounded, small worst case)?

    Digits are counted as the engine will see them (``normalized_digits``)."""
    if sum(len(i.text) for i in items) > max_chars:
        return False
    digits = 0
    for i in items:
        digits += normalized_digits(i.text)
        if digits > INLINE_MAX_DIGITS:
            return False
    return True


#: a path segment with nothing to read: a word (letters, ``_ - .``), an API version or a
#: Mattermost id without a long digit run (atrest.mask_path keeps the same)
_WORD_SEGMENT = re.compile(r"[A-Za-z_.\-]{1,64}|v\d")


NOT_FOUND_MESSAGE = "Sorry, we could not find the page."
#: a request whose body is not read, refused for what one of its headers holds
HEADER_REFUSED_MESSAGE = ("This request was not sent: one of its headers holds what reads as a customer "
                          "identifier (the data-loss-prevention gateway judges the headers Mattermost stores).")
HEADER_REFUSED_RULE = "header-identifier"
READ_HEADERS_TOO_LONG_MESSAGE = ("This request was not sent: its User-Agent (or another header Mattermost stores) "
                                 "is longer than a real client sends.")


def _fully_unquoted(text: str) -> str:
    """``text`` percent-decoded until stable (``%2535`` is ``%35`` is ``5``), as a
    server that decodes again reads it (``paths.normalize_path``)."""
    for _ in range(8):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def _path_segment(segment: str) -> str:
    """A segment as the detector should read it: a base64 or hex segment decoded
    (``NTM2LTIyLTg3MTA=``), as the detector decodes a blob in text."""
    return decode_token(segment) or segment


def path_items(target: str, request_headers: Mapping[str, str] | None = None) -> list[ContentItem]:
    """The path of a request the route table does not describe, as text to judge, or
    nothing when every segment is a word or a plain id and there is no query.

    ``path``: the query's names and values, then the path, each percent-decoded until
    stable (case kept), its segments joined by ``/`` (``536/22/8710`` reads as a number
    written with slashes), a base64 or hex segment decoded: one text, so a label in the
    query labels a number in the path (``/foo/AAAGGSSSS?ssn``) and the other way round.
    ``path.run``: each run of two or more adjacent segments that are not words, alone (a
    word before a number, ``update/536/22/8710``, would make it read as a version).

    ``request_headers``: every header a handler may read (gateway/headers.py ``judged``
    with ``every``: a custom header's name with its value, ``User-Agent``, a header the
    gateway controls that is not its shape) joins the same text after the path, decoded
    the same way: a plugin or an unknown route may read and store any of them."""
    raw_path, query = split_target(target)
    segments = [_path_segment(seg) for seg in _fully_unquoted(raw_path).split("/")]
    quiet = [seg == "" or bool(_WORD_SEGMENT.fullmatch(seg)) or atrest.plain_id(seg) for seg in segments]
    words = [_path_segment(_fully_unquoted(part)) for pair in parse_qsl(query, keep_blank_values=True)
             for part in pair if part]
    said = [text for _, text in headers.judged(request_headers, every=True)] if request_headers else []
    items: list[ContentItem] = []
    if said:
        # the headers with the path and query as one text (a label in one, a number in
        # the other); a header item: never a piece of the split window
        # (ids as ``<id>``: a client's headers on one route are one text, scanned once)
        shown = "/".join("<id>" if atrest.plain_id(seg) else seg for seg in segments)
        items.append(ContentItem(_HEADER_PREFIX + "request", " ".join([*words, shown, *said])))
    if all(quiet) and not words:
        return items
    items.append(ContentItem("path", " ".join([*words, "/".join(segments)])))
    run: list[str] = []
    for seg in [*segments, ""]:
        if seg and not _WORD_SEGMENT.fullmatch(seg):
            run.append(seg)
            continue
        if len(run) > 1:
            items.append(ContentItem("path.run", "/".join(run)))
        run = []
    return items


#: a credential route's fields judged (``credential_fields``): never held (a login cannot
#: wait for a reviewer, and the request kept would lack its password), never in the window
CREDENTIALS_ROUTE = Route("credentials.fields", "credentials", "POST", "/api/v4/users/login", Body.JSON)
#: (classified path, field names) of the fields of a credential route's JSON body that are
#: no secret and that Mattermost stores or shows:
#: - ``/oauth/authorize`` (web/oauth.go authorizeOAuthApp: ``json.NewDecoder(r.Body).Decode``
#:   into a ``*model.AuthorizeRequest``, server/public/model/authorize.go; app/oauth.go
#:   AllowOAuthAppAccessToUser): ``state``, ``scope``, ``redirect_uri``,
#:   ``code_challenge`` (with its ``code_challenge_method``) and ``resource`` are saved in
#:   OAuthAuthData and ``state`` goes back to the OAuth app in the redirect (a struct:
#:   encoding/json matches names case-insensitively, ``ſ`` U+017F as ``s``, ``K`` U+212A
#:   as ``k``: ``extract.go_field_name``);
#: - ``/api/v4/users/login`` (api4/user.go login, ``model.MapFromJSON``): ``login_id`` and
#:   ``id`` go into the audit record, ``device_id`` becomes the session's DeviceId (stored,
#:   listed with the user's sessions, sent to the push proxy).  A map: Go matches keys
#:   exactly; they are matched here as the struct would be (a superset);
#: - ``/api/v4/users/login/desktop_token`` (loginWithDesktopToken, model.MapFromJSON):
#:   ``device_id``, the session's DeviceId (DoLogin);
#: - ``/api/v4/users/login/switch`` (switchAccountType, json into model.SwitchRequest):
#:   ``email`` and ``ldap_id`` (LdapLoginId) go into the audit record and the switch,
#:   ``current_service``/``new_service`` name the services;
#: - ``/api/v4/users/login/cws`` (loginCWS: ``r.ParseForm``, so the form body *and* the
#:   query): ``login_id`` goes into the audit record, ``utm_campaign`` picks a redirect;
#: - ``/api/v4/users/login/type`` (newer servers; model/client4.go LoginType posts
#:   ``login_id``): ``login_id``, and ``device_id`` read as on a login;
#: - ``/oauth/intune`` (web/oauth.go loginByIntune, json into model.IntuneLoginRequest):
#:   ``device_id`` and ``voip_device_id``, the session's device ids (DoLogin), also in the
#:   audit record.
#: - ``/api/v4/users/{user_id}/auth`` (api4/user.go updateUserAuth, json into
#:   model.UserAuth; app/user.go UpdateUserAuth stores both through
#:   ``Store().User().UpdateAuthData`` with no format check, and user objects show them to
#:   admins): ``auth_data`` and ``auth_service`` (``password`` is not read).
#: ``/api/v4/users/login/sso/code-exchange`` (``login_code``, ``code_verifier``, ``state``:
#: one-time secrets compared, not stored) and the password routes keep nothing readable.
_CREDENTIAL_FIELDS: dict[str, frozenset[str]] = {
    "/oauth/authorize": frozenset({"state", "scope", "redirect_uri", "code_challenge", "code_challenge_method",
                                   "resource"}),
    "/oauth/intune": frozenset({"device_id", "voip_device_id"}),
    "/api/v4/users/login": frozenset({"login_id", "device_id", "id"}),
    "/api/v4/users/login/desktop_token": frozenset({"device_id"}),
    "/api/v4/users/login/switch": frozenset({"email", "ldap_id", "current_service", "new_service"}),
    "/api/v4/users/login/cws": frozenset({"login_id", "utm_campaign"}),
    "/api/v4/users/login/type": frozenset({"login_id", "device_id"}),
}
#: credential routes with a path parameter: (pattern of the whole path, fields kept)
_CREDENTIAL_FIELD_PATTERNS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"/api/v4/users/[^/]+/auth"), frozenset({"auth_data", "auth_service"})),
)
#: credential routes whose handler reads a form (``r.ParseForm``: an urlencoded body,
#: then the query) rather than, or as well as, JSON
_FORM_CREDENTIAL_ROUTES = frozenset({"/api/v4/users/login/cws"})


class CredentialBodyError(ValueError):
    """A credential route's body the gateway cannot read its stored fields from as Go
    does (``credential_fields``): refused with a 400, never forwarded unjudged."""


def credential_fields(path: str, body: bytes, query: str = "") -> dict[str, str]:
    """The non-secret fields of a credential route's JSON body (``_CREDENTIAL_FIELDS``),
    read as Go reads them, or {}: the rest (a password, a token, an MFA code) is never
    looked at.  On a route read as a form (``_FORM_CREDENTIAL_ROUTES``: ``r.ParseForm``)
    the body as a form and the query, every value of a name (names matched
    case-insensitively, a superset of Go's exact first value), and the body as JSON too
    when it is one (never refused: the handler does not read JSON).

    Go: ``json.NewDecoder(r.Body).Decode`` (model.MapFromJSON ignores its error; the
    OAuth handler does not): the first JSON value only, invalid UTF-8 and lone
    surrogates as U+FFFD (``extract.go_json_decode``).  Every value of a matching key
    is kept, repeated keys and case variants too (Go keeps the last one; a later type
    error keeps the earlier keys in the map), a value that is not a string as its
    JSON text.  ``CredentialBodyError`` where the one reading is not certain: a body
    that is not one JSON object (data after it, not JSON, nested too deep, not an
    object): no Mattermost client sends one, and judging nothing is not an option."""
    names = _CREDENTIAL_FIELDS.get(path)
    if names is None:
        names = next((kept for pattern, kept in _CREDENTIAL_FIELD_PATTERNS if pattern.fullmatch(path)), None)
    if names is None:
        return {}
    if path in _FORM_CREDENTIAL_ROUTES:
        return _form_credential_fields(names, body, query)
    text = body.decode("utf-8", "replace")  # Go: invalid UTF-8 in a string -> U+FFFD
    if not text.strip(" \t\r\n"):
        return {}  # Go: EOF (an empty map; the OAuth handler answers 400)
    try:
        doc, rest = go_json_decode(text)
    except BodyError:
        raise CredentialBodyError("the body is nested too deeply") from None
    except ValueError:
        raise CredentialBodyError("the body is not a JSON document") from None
    if rest.strip(" \t\r\n"):
        raise CredentialBodyError("data after the JSON document")
    if not isinstance(doc, dict):
        raise CredentialBodyError("the body is not a JSON object")
    pairs = getattr(doc, "order", None)
    kept: dict[str, str] = {}
    for key, value in (pairs if pairs is not None else doc.items()):
        name = go_field_name(str(key))
        if name not in names or value is None or value == "":
            continue
        text_value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        slot, n = name, 0
        while slot in kept:  # every value of the key (Go keeps the last, another reader the first)
            n += 1
            slot = f"{name}#{n}"
        kept[slot] = text_value
    return kept


def _form_credential_fields(names: frozenset[str], body: bytes, query: str) -> dict[str, str]:
    """``credential_fields`` of a route whose handler calls ``r.ParseForm``."""
    pairs: list[tuple[str, object]] = []
    text = body.decode("utf-8", "replace") if body else ""
    try:
        doc, _rest = go_json_decode(text) if text.strip(" \t\r\n") else (None, "")
    except (BodyError, ValueError):
        doc = None
    if isinstance(doc, dict):
        pairs.extend((str(k), v) for k, v in doc.items())
    for form in (text, query):
        pairs.extend(parse_qsl(form, keep_blank_values=False))
    kept: dict[str, str] = {}
    for k, v in pairs:
        if k.lower() in names and isinstance(v, str) and v:
            key, n = k, 1
            while key in kept:
                n += 1
                key = f"{k}#{n}"
            kept[key] = v
    return kept


#: the classified path of a plugin's route (routes.QUERY_ROUTES: ``/plugins/{plugin_id}/**``)
PLUGIN_PREFIX = "/plugins/"
#: Mattermost's plugin route: app/channels.go ``PathPrefix("/plugins/{plugin_id:[A-Za-z0-9\\_\\-\\.]+}")``
_PLUGIN_ROUTE = re.compile(r"/plugins/[A-Za-z0-9_.\-]+(?=/|$)", re.IGNORECASE)


def query_items(query: str) -> list[ContentItem]:
    """A read's query as one text to judge: every name and value (a name is a word a
    handler may read, ``?NNN-NN-NNNN``), percent-decoded until stable, a base64 or hex
    word decoded (``path_items``)."""
    words = [_path_segment(_fully_unquoted(part)) for pair in parse_qsl(query, keep_blank_values=True)
             for part in pair if part]
    return [ContentItem("query", " ".join(words))] if words else []


#: the longest query of a read that leaves the firm (routes.EGRESS_QUERY_ROUTES) passed
#: on the detector's gate and a scan that is not charged to the sender (``_reads_carry``):
#: a longer one is judged in full, its scan charged to the sender's budget
EGRESS_QUICK_CHARS = 4096


def _quick_egress(route: Route, query: str) -> bool:
    """Whether a ``query`` read may pass on ``_reads_carry`` whatever its query's shape:
    a read whose query leaves the firm, of at most ``EGRESS_QUICK_CHARS``."""
    return route.name in EGRESS_QUERY_ROUTE_NAMES and len(query) <= EGRESS_QUICK_CHARS


def egress_items(query: str) -> list[ContentItem]:
    """A query Mattermost sends out of the firm or redirects to (routes.EGRESS_QUERY_ROUTES),
    as texts to judge: its words (``query_items``), and each value that is a URL or a
    path read as a request target (``path_items``: percent-decoded until stable, its own
    query's words before its path, runs of segments that are not words alone), so
    ``https://host/536/22/8710?ssn`` reads as a labelled number; its host's labels and
    user information (sent to that host too) as words of their own
    (``query.url.host``: ``AAA-GG-SSSS.evil.example``).  Nothing for an empty query."""
    return list(_egress_items(query))


@functools.lru_cache(maxsize=4096)
def _egress_items(query: str) -> tuple[ContentItem, ...]:
    """``egress_items`` (remembered: the web app asks for the same links again and
    again; in memory only)."""
    items = query_items(query)
    for _, value in parse_qsl(query, keep_blank_values=False):
        url = _fully_unquoted(value)
        if "/" not in url:
            continue
        for i in path_items(url):
            items.append(ContentItem("query.url.run" if i.path == "path.run" else "query.url", i.text))
        authority = _URL_AUTHORITY.match(url)
        if authority is not None and (words := [w for w in re.split(r"[.:@]+", authority.group(1)) if w]):
            items.append(ContentItem("query.url.host", " ".join(words)))
    return tuple(items)


#: a URL's authority (``//user:pass@host:port``), as any client cuts it: after the scheme
#: (or a leading ``//``, or ``\\`` a browser reads as one), up to the path, query or fragment
_URL_AUTHORITY = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.\-]*:)?[/\\]{2}([^/\\?#]*)")


def plugin_read_items(target: str, request_headers: Mapping[str, str] | None, subpath: str = "") -> list[ContentItem]:
    """What a plugin's ServeHTTP gets besides the body, as texts to judge
    (server/channels/app/plugin_requests.go servePluginRequest: the whole request, its
    ``r.URL.Path`` with ``<subpath>/plugins/<plugin_id>`` trimmed off):

    - ``plugin.path``: the query's names and values, then the path after the plugin id
      as Go's net/url decodes it (once: ``paths.go_path``), a base64 or hex segment
      decoded: one text (a label in the query labels a number in the path);
    - ``plugin.path.written``: that path as written (its escapes), and
      ``plugin.path.decoded``: percent-decoded until stable, when they differ;
    - with ``request_headers``, each header a plugin reads (gateway/headers.py
      ``header_items`` with ``every``): never echoed, archived like any field.

    A path whose Go reading names no plugin route (a reading the gateway classified as
    one) is read whole."""
    items = list(_plugin_path_items(target, subpath))
    if request_headers:
        items.extend(headers.header_items(request_headers, every=True))
    return items


@functools.lru_cache(maxsize=4096)
def _plugin_path_items(target: str, subpath: str) -> tuple[ContentItem, ...]:
    """``plugin_read_items``' path and query (remembered: a client reads the same plugin
    paths again and again; in memory only)."""
    raw_path, query = split_target(target)
    try:
        go, _ = go_url_path(raw_path)
    except PathError:
        go = raw_path
    sub = subpath.rstrip("/")
    rest = go[len(sub):] if sub and go.startswith(sub + "/") else go
    m = _PLUGIN_ROUTE.match(rest)
    after = rest[m.end():] if m else go
    written = raw_path
    at = re.search(r"/plugins/[A-Za-z0-9_.\-]+(?=/|$)", raw_path, re.IGNORECASE)
    if at is not None and m is not None:
        written = raw_path[at.end():]
    pairs = parse_qsl(query, keep_blank_values=True)
    words = [_path_segment(_fully_unquoted(part)) for pair in pairs for part in pair if part]
    shown = "/".join(_path_segment(seg) for seg in after.split("/"))
    items: list[ContentItem] = []
    if words or shown.strip("/"):
        items.append(ContentItem("plugin.path", " ".join([*words, shown])))
    # the query's names alone and its values alone, each on one line, when one of them may
    # hold a number only its reading shows: a name spelled in number words
    # (``?ssn_five_three_...=1``), or one word per name or value (``?k0=ssn&k1=five...``),
    # the names or values between them no longer part of the run (atk27 A, D)
    for name, side in (("plugin.query.names", 0), ("plugin.query.values", 1)):
        texts = [_path_segment(_fully_unquoted(pair[side])) for pair in pairs if pair[side]]
        if len(texts) >= 1 + side and _may_spell_number(texts):
            items.append(ContentItem(name, " ".join(texts)))
    if any("[" in pair[0] for pair in pairs):
        # bracketed names (``?ssn[five]=three&six[two]=two...``: PHP/Rails-style nested
        # parameters) read as words, name then value, on one line (atk27r Q)
        # (and without the bare-digit parts: a flag's "=1" between the words)
        parts = [" ".join(_QUERY_BRACKETS.sub(" ", w).split()) for w in words]
        if _may_spell_number(parts):
            items.append(ContentItem("plugin.query.words", " ".join(parts)))
            worded = [p for p in parts if not p.isdigit()]
            if worded != parts:
                items.append(ContentItem("plugin.query.words#worded", " ".join(worded)))
    for name, text in (("plugin.path.written", written), ("plugin.path.decoded", _fully_unquoted(after))):
        if text not in (after, shown) and text.strip("/"):
            items.append(ContentItem(name, text))
    return tuple(items)


#: the brackets of a nested query parameter's name (``a[b][c]``)
_QUERY_BRACKETS = re.compile(r"[\[\]]+")


def _may_spell_number(texts: Sequence[str]) -> bool:
    """Some of ``texts`` may hold a number only its reading shows (number words, letters
    read as digits: the detector's own gate, ``normalize.may_read_as_digits``), or is
    not ASCII (the gate reads only ASCII text)."""
    return any(not t.isascii() or may_read_as_digits(t) for t in texts)


def spelled_across(items: Sequence[ContentItem], prefix: str) -> list[ContentItem]:
    """The short string values under ``prefix`` (a websocket frame's ``data``), in
    order, on one line separated by spaces (``<prefix>#joined``): an identifier in
    number words split one word per value (``{"k0": "ssn", "k1": "five", ...}`` or a
    list of words) reads as it does in one value, as a post's props list does
    (``JoinedText``, but needing no context word from another field, and across keys).
    Only when two values or more are there and one of them may hold a number its
    reading shows (``_may_spell_number``): values with digits alone are read across fields as
    before (``Pipeline._cross_field``), so a frame of ids and counters gets no new
    reading.  Never rewritten (not a field): a finding stops the frame (atk27 D)."""
    texts = [i.text for i in items
             if i.text and (i.path.startswith(prefix + ".") or i.path.startswith(prefix + "["))
             and i.kind is not ItemKind.KEY  # (a key is read on its own: extract.walk_json)
             and len(i.text) <= JOIN_MAX_LEAF_CHARS and "\n" not in i.text and "\r" not in i.text]
    if len(texts) < 2 or not _may_spell_number(texts):
        return []
    return [ContentItem(f"{prefix}{JOINED_SUFFIX}", " ".join(texts))]


#: the routes whose JSON body Mattermost stores and shows with its keys (a post's props,
#: a draft's, a scheduled post's, a user's props, an incoming webhook's attachments, a
#: plugin's websocket frame): its keys and values are also read across (``keys_across``)
KEYS_ACROSS_ROUTES = frozenset({
    "posts.create", "posts.ephemeral", "posts.update", "posts.patch", "posts.schedule.create",
    "posts.schedule.update", "drafts.upsert", "users.patch", "users.update", "hooks.incoming",
    "hooks.command_response",
})
#: pieces read across a document at most (the first ones: a longer document is cut)
KEYS_ACROSS_MAX_PIECES = 512
KEYS_ACROSS_MAX_DEPTH = 64
_KEYS_ACROSS_DIGIT = re.compile(r"[0-9]")


def keys_across(doc: Any, prefix: str) -> list[ContentItem]:
    """A JSON document's keys and short scalar values in document order, each on one line
    (``<prefix>#keyed``: a key, then its value), and its keys alone (``<prefix>#keys``):
    an identifier split over keys (``{"ssn": {"AAA": {"GG": {"SSSS": 1}}}}``, one key per
    array element ``[{"ssn": 1}, {"five": 1}, ...]``) or over keys and values
    (``{"ssn five": "three six", ...}``) reads as it does in one value (atk27r K).

    A line is read only when two of its pieces or more may hold a piece of a number (a
    digit, or ``normalize.may_read_as_digits``) and one of them is a key or holds no
    digit: values with digits alone are read across fields as before
    (``Pipeline._cross_field``: an attachment's "Qty" "100", "Price" "45.20" gets no new
    reading).  Fields that hold ids and times (``_structural``) are left out.  Never
    rewritten (not a field): a finding stops the request."""
    keyed: list[tuple[str, bool]] = []  # (text, is a key)

    def walk(node: Any, path: str, depth: int) -> None:
        if len(keyed) >= KEYS_ACROSS_MAX_PIECES or depth > KEYS_ACROSS_MAX_DEPTH:
            return
        if isinstance(node, dict):
            for key, value in node.items():
                key_s = str(key)
                child = f"{path}.{key_s}"
                if _structural(child):
                    continue
                if key_s and "\n" not in key_s and len(key_s) <= JOIN_MAX_LEAF_CHARS:
                    keyed.append((key_s, True))
                walk(value, child, depth + 1)
        elif isinstance(node, list):
            for value in node:
                walk(value, path, depth + 1)
        elif isinstance(node, str):
            if node and len(node) <= JOIN_MAX_LEAF_CHARS and "\n" not in node and "\r" not in node:
                keyed.append((node, False))
        elif isinstance(node, int) and not isinstance(node, bool):
            keyed.append((str(node), False))

    walk(doc, prefix, 0)
    out: list[ContentItem] = []
    for suffix, pieces in (("#keyed", keyed), ("#keys", [p for p in keyed if p[1]])):
        holding = [(t, k) for t, k in pieces if key_may_hold_number(t)]
        if len(holding) >= 2 and any(k or not _KEYS_ACROSS_DIGIT.search(t) for t, k in holding):
            out.append(ContentItem(f"{prefix}{suffix}", " ".join(t for t, _ in pieces)))
    return out


def rewritable_paths(ex: Extracted) -> Collection[str]:
    """The item paths a redaction can rewrite: a JSON body's string fields (none for any
    other body).  ``InspectionFacts.rewritable``."""
    return ex.json_locations.keys() if ex.json_doc is not None else ()


def _lookup(spec: str, params: dict[str, str], ex: Extracted) -> str | None:
    source, _, name = spec.partition(".")
    if source == "path":
        return params.get(name)
    if source == "query":
        return ex.fields.get(f"query.{name}") or ex.fields.get(f"form.{name}")
    if source == "body":
        return ex.fields.get(f"body.{name}") or ex.fields.get(f"form.payload.{name}")
    if source == "upload":
        return ex.fields.get(f"upload.{name}")
    return None


UNKNOWN_ROUTE_NAME = UNKNOWN_ROUTE.name
_HEADER_PREFIX = "header."

#: how much inspection a classification gets (the larger wins among readings)
_KIND_RANK = {"passthrough": 0, "query": 1, "no_content": 2, "unknown_write": 3, "content": 4, "denied": 5}


def classify_path(method: str, raw_path: str, *, has_body: bool = False, subpath: str = "") -> tuple[Match, str]:
    """(match, the reading it came from) for the most inspected reading of ``raw_path``.

    ``subpath`` (Mattermost's SiteURL path, ``/chat``): each reading is matched with it
    taken off the front, case-sensitively, as gorilla/mux matches it
    (``paths.under_subpath``; app/server.go mounts every route under it).  A request no
    reading of which is under it reaches no handler in Mattermost (the root router
    redirects it into the subpath): a read passes, anything else is ``not_found``."""
    best: tuple[Match, str] | None = None
    sub = subpath.rstrip("/")
    all_readings = spellings(raw_path)
    under = [p.lower() for r in all_readings if (p := under_subpath(r, sub)) is not None]
    for path in under if len(under) < 2 else dict.fromkeys(under):
        m = match(method, path, has_body=has_body)
        if best is None or _KIND_RANK[m.kind] > _KIND_RANK[best[0].kind]:
            best = (m, path)
        elif (m.kind == "content" == best[0].kind and m.route is not None and best[0].route is not None
              and m.route.name != best[0].route.name):
            raise PathError("the path names two different routes")
    if best is None:  # outside the subpath in every reading
        outside = match(method, "/", has_body=has_body)
        return (outside if outside.kind == "passthrough" else Match("not_found")), all_readings[0].lower()
    return best


def _severity(action: Action) -> int:
    return SEVERITY[action]



#: routes that change what a channel is (type, names, purpose): api4/channel.go
#: updateChannel, patchChannel, updateChannelPrivacy, convertChannelToPrivate,
#: convertGroupMessageToChannel, restoreChannel, deleteChannel
_CHANNEL_CHANGES = re.compile(
    r"^/api/v4/channels/([a-z0-9]{26})(?:/(?:patch|privacy|convert|convert_to_channel|restore))?/?$")


#: a slash command that sets a channel's header, purpose or name (server/channels/app/
#: slashcommands/command_header.go, command_purpose.go, command_rename.go)
_CHANNEL_COMMAND = re.compile(rb"(?i)\"\s*/(?:header|purpose|rename)(?![a-z])")
_CHANNEL_ID_VALUE = re.compile(rb'(?i)"channel_id"\s*:\s*"([a-z0-9]{26})"')


def channel_changed(method: str, path: str, body: bytes = b"") -> str | None:
    """The channel a write to ``path`` may convert or rename, else None; for
    ``commands/execute`` running ``/header``, ``/purpose`` or ``/rename``, the channel
    id in its body (atk25r R4: the header set by a command kept its cached context
    words for the cache's lifetime): the last ``channel_id`` (encoding/json keeps the
    last of duplicate keys and folds their case; forgetting a cache is harmless, so a
    key spelled otherwise only costs a fresh lookup later)."""
    if method.upper() in ("GET", "HEAD", "OPTIONS"):
        return None
    m = _CHANNEL_CHANGES.match(path)
    if m:
        return m.group(1)
    if path.rstrip("/") == "/api/v4/commands/execute" and _CHANNEL_COMMAND.search(body[:65536]):
        ids = _CHANNEL_ID_VALUE.findall(body[:65536])
        return ids[-1].decode() if ids else None
    return None
