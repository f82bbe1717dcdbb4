"""A held request judged again at its release, under the channel as it is then.

A reviewer approves what the policy held for the channel as it was at the hold.
By the release the channel may have changed: a private channel converted to
public (api4/channel.go updateChannelPrivacy), a group message converted to a
channel (convertGroupMessageToChannel).  The gateway's channel-context cache
(``DLP_CHANNEL_CONTEXT_TTL``) would hide a conversion made directly on Mattermost
for up to its TTL, so the channel is asked of Mattermost afresh
(``ContextResolver.channel(fresh=True)``), with the credentials the release will be
sent with.  The held content is scanned again for what the current policy needs
in that context, and the current policy decides.  If it now does more than hold
(blocks), the release is refused: ``QuarantineDelivery`` puts the item in
``release_refused`` with the reason, archives it and tells the reviewer on the
item.  A hold (or anything looser) lets the approval stand.

A thread move is judged again the way the gateway judges one (gateway/moves.py):
its thread is read as it is now under the thread freeze (every post marked
"moving" before the reading that is judged, so an edit or reply through the gateway
between the check and the send is refused 409 instead of being copied unjudged),
the marks held until the release's send is over (``finished``, called by
``QuarantineDelivery``) or their TTL; and once sent, the copy Mattermost made in the
destination is read back and judged (``ResponseWatch``, route ``posts.move``:
remediated, archived and alerted like an integration's answer), as for a move the
gateway forwarded live.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx

from dlp_proxy import atrest
from dlp_proxy.gateway.context import token_from_request
from dlp_proxy.interfaces import PolicyEngine
from dlp_proxy.model import SEVERITY, Action, ChannelType, ContentItem, Decision, ItemKind, RequestContext
from dlp_proxy.policy.facts import NO_FACTS, InspectionFacts
from dlp_proxy.quarantine.delivery import ReleaseCheckUnavailable

log = logging.getLogger("dlp_proxy.gateway")

_TYPE_NAMES = {ChannelType.OPEN: "public", ChannelType.PRIVATE: "private", ChannelType.DIRECT: "a direct message",
               ChannelType.GROUP: "a group message"}


def context_from_json(doc: Mapping[str, Any]) -> RequestContext:
    """The inverse of ``RequestContext.to_json`` (a held item's context)."""
    fields = RequestContext.__dataclass_fields__
    kw: dict[str, Any] = {}
    for name, value in doc.items():
        if name not in fields:
            continue
        if name == "channel_type":
            try:
                value = ChannelType(value)
            except ValueError:
                value = None
        elif isinstance(value, list):
            value = tuple(value)
        kw[name] = value
    return RequestContext(**kw)


#: a release's send comes after its check: the marks of a move it froze outlive the
#: pipeline's own by one more upstream timeout
_RELEASE_MARK_EXTRA = 1.0


class ReleaseJudge:
    """``QuarantineDelivery.release_check`` for a gateway (see the module doc).

    ``watch``: the gateway's ``integrations.ResponseWatch`` (set by the server): a
    released move's destination is read back through it."""

    def __init__(self, pipeline: Any, watch: Any = None) -> None:
        self.pipeline = pipeline
        self.watch = watch
        #: held request id -> (freeze owner, credentials' tokens, check time, the judged
        #: posts' fingerprints) of a move judged and about to be sent
        self._moves: dict[str, tuple[str, list[str], float, frozenset[str]]] = {}
        #: freeze owner -> the fingerprints of the thread it read
        self._read: dict[str, frozenset[str]] = {}
        #: held request id -> the piece its release put back in the split window
        #: (``policy.split.Added``): taken out again if the send failed
        self._placed: dict[str, Any] = {}

    async def __call__(self, payload: Mapping[str, Any], credentials: Sequence[Sequence[tuple[str, str]]]) -> str | None:
        pipeline = self.pipeline
        resolver = pipeline.context
        ctx = context_from_json(payload.get("context") or {})
        tokens = [t for t in (token_from_request({k.lower(): v for k, v in hdrs}, "") for hdrs in credentials) if t]
        tokens = list(dict.fromkeys(tokens))
        errors = [e for e in ctx.context_errors if not e.startswith("channel:")]
        terms: list[str] = []
        if ctx.channel_id and atrest.is_id(ctx.channel_id) and resolver is not None:
            info = None
            for token in tokens:
                try:
                    info = await resolver.channel(ctx.channel_id, token, fresh=True)
                except (httpx.HTTPError, TimeoutError) as exc:
                    raise ReleaseCheckUnavailable(f"the channel could not be read: {type(exc).__name__}") from exc
                if info is not None:
                    break
            if info is None:
                errors.append("channel: not resolved at the release")
            else:
                terms.extend(info.terms)
            ctx = replace(ctx, channel_type=info.type if info else None, channel_shared=info.shared if info else None,
                          channel_name=info.name if info else None, context_errors=tuple(errors))
        items = [ContentItem(str(s["path"]), str(s["text"]), ItemKind(s.get("kind", "text")))
                 for s in (payload.get("decision") or {}).get("scanned") or ()]
        incomplete: list[Any] = []
        files: list[Any] = []
        owner = None
        try:
            if ctx.route == "posts.move":
                owner = f"release-{ctx.request_id or secrets.token_hex(8)}-{secrets.token_hex(4)}"
                items, files, incomplete = await self._thread_again(ctx, items, tokens, payload, owner)
            reason = await self._judge(ctx, items, files, incomplete, terms)
            if reason is None and owner is None:
                reason = await self._window(ctx, items, payload)
        except BaseException:
            await self._unfreeze(owner)
            raise
        if reason is not None:
            await self._unfreeze(owner)  # nothing is sent
        elif owner is not None and ctx.request_id:
            self._moves[ctx.request_id] = (owner, tokens, time.time(), self._read.pop(owner, frozenset()))
        elif owner is not None:
            log.warning("a released move without a request id: its marks expire on their own, no read-back")
        return reason

    async def answered(self, payload: Mapping[str, Any], headers: Sequence[tuple[str, str]], answer: bytes) -> None:
        """Mattermost's answer to a release that went out (``QuarantineDelivery``): a
        post answered with a link preview is offered to the watch's preview check, as a
        forwarded post's is (gateway/addon.py): what Mattermost added to the released
        post (the preview it fetched) was not part of what the reviewer approved."""
        if self.watch is None or not answer:
            return
        from dlp_proxy.gateway.integrations import PREVIEW_ROUTES, job_for

        method, target = str(payload.get("method", "")), str(payload.get("path", ""))
        m = self.pipeline.classify(method, target)[0]
        if m.route is None or m.route.name not in PREVIEW_ROUTES:
            return
        ctx = context_from_json(payload.get("context") or {})
        job = job_for(m.route.name, ctx.request_id or secrets.token_hex(8), method, target,
                      {k.lower(): v for k, v in headers}, b"", ctx.client_ip or "", time.time(), m.params,
                      answer=lambda: answer)
        if job is not None and job.shown is not None:
            # the message and its props are what the reviewer approved: only the
            # preview Mattermost added is judged (a number split between the message
            # and the preview is not seen here)
            self.watch.offer(replace(job, shown={**job.shown, "message": "", "props": None}))

    async def finished(self, payload: Mapping[str, Any], outcome: str) -> None:
        """The release's send is over (``QuarantineDelivery``): ``outcome`` is "sent",
        "unknown" (sent, the answer lost) or "failed" (nothing created).  A move's
        marks are dropped; a move that may have landed is read back in its destination."""
        ctx = context_from_json(payload.get("context") or {})
        placed = self._placed.get(ctx.request_id or "")
        if placed is not None and outcome != "unknown":
            # "sent": it is shown now; "failed": nothing was created, its piece goes
            # (a retry judges it again and puts it back).  "unknown": it may have
            # landed, so it stays (a forced retry's check replaces it, ``_window``)
            del self._placed[ctx.request_id or ""]
            if outcome == "failed":
                await self._withdraw(placed)
        held = self._moves.pop(ctx.request_id or "", None)
        if held is None:
            return
        owner, tokens, checked, approved = held
        await self._unfreeze(owner)
        if outcome == "failed" or self.watch is None or not ctx.channel_id or not atrest.is_id(ctx.channel_id):
            return
        from dlp_proxy.gateway.integrations import CLOCK_SKEW_MS, Job

        headers = {"authorization": f"Bearer {tokens[0]}"} if tokens else {}
        self.watch.offer(Job("posts.move", ctx.request_id or owner, str(payload.get("path", "")), headers,
                             ctx.client_ip or "", channel_id=ctx.channel_id,
                             since_ms=int(checked * 1000) - CLOCK_SKEW_MS, approved=approved))

    async def _window(self, ctx: RequestContext, items: list[ContentItem], payload: Mapping[str, Any]) -> str | None:
        """The held message's piece put back in the split window of the channel it is
        delivered to, as its sender's (it was taken out at the hold: no reader saw it
        then; policy/split.py).  If it now completes an identifier with the channel's
        pieces that the reviewer was not shown at the hold (a half posted since), the
        release is refused and the piece taken out again.  A Redis error makes the
        release unavailable now (not sent, archived, retried: ``ReleaseCheckUnavailable``)."""
        pipeline = self.pipeline
        window = getattr(pipeline, "split_window", None)
        if (window is None or not ctx.user_id or not ctx.channel_id or not atrest.is_id(ctx.channel_id)
                or ctx.route == "posts.move"):
            return None
        from redis.exceptions import RedisError

        from dlp_proxy.gateway.pipeline import _WindowScanner, split_piece

        policy = pipeline.policy()
        scanned = await pipeline._scan(items, policy.required_entities(ctx))
        piece = split_piece(scanned, window.max_chars)
        earlier = self._placed.pop(ctx.request_id or "", None)
        try:
            if earlier is not None:  # a forced retry's check: its first check's piece is replaced
                await window.withdraw(earlier)
            if not piece:
                return None
            edited = None
            if ctx.route in ("posts.patch", "posts.update", "cards.patch", "cards.update"):
                m = pipeline.classify(str(payload.get("method", "")), str(payload.get("path", "")))[0]
                edited = (m.params or {}).get("post_id")
            added = await window.add(ctx.user_id, ctx.channel_id, piece, _WindowScanner(pipeline, None),
                                     post_id=edited if edited and atrest.is_id(edited) else None)
        except (RedisError, OSError) as exc:
            raise ReleaseCheckUnavailable(f"the split-message window could not be read: {type(exc).__name__}") from exc
        approved = {(str(f.get("entity_type")), f.get("start"), f.get("end"))
                    for s in (payload.get("decision") or {}).get("scanned") or () if s.get("path") == "split-window"
                    for f in s.get("findings") or () if isinstance(f, dict)}
        new = sorted({f.entity_type for f in added.findings if (f.entity_type, f.start, f.end) not in approved})
        if not new:
            if ctx.request_id:
                self._placed[ctx.request_id] = added
            return None
        await self._withdraw(added)
        return (f"judged again at the release, the message now completes an identifier ({', '.join(new)}) split "
                "across messages of the channel with what was posted since the hold; not delivered")

    async def _withdraw(self, added: Any) -> None:
        try:
            await self.pipeline.split_window.withdraw(added)
        except Exception as exc:  # the piece stays: a later join errs on the side of stopping
            log.warning("split window: a released message's piece could not be withdrawn (%s)", type(exc).__name__)

    async def _unfreeze(self, owner: str | None) -> None:
        freeze = getattr(self.pipeline, "thread_freeze", None)
        if owner is not None:
            self._read.pop(owner, None)
        if owner is None or freeze is None:
            return
        try:
            await freeze.release(owner)
        except Exception:  # the marks expire on their own
            log.exception("could not drop a released move's thread marks")

    async def _judge(self, ctx: RequestContext, items: list[ContentItem], files: list[Any], incomplete: list[Any],
                     terms: list[str]) -> str | None:
        pipeline = self.pipeline
        policy = pipeline.policy()
        entities = policy.required_entities(ctx)
        scanned = await pipeline._scan(items, entities)
        for part in files:
            problems: list[str] = []
            if pipeline.file_scanner is not None:
                scanned.extend(await pipeline._scan_file(part, entities, problems))
            else:
                scanned.extend(await pipeline._scan(await pipeline._file_items(part, problems), entities))
            if problems:
                from dlp_proxy.policy.uninspected import UninspectedFile

                incomplete.append(UninspectedFile(part.path, tuple(problems), part.filename))
        scanned = await pipeline._cross_field(scanned, entities, None, terms)
        decision = policy.decide(scanned, ctx, InspectionFacts(
            uninspected=tuple(incomplete), uninspected_fallback=pipeline.config.incomplete_file_action))
        if SEVERITY[decision.action] <= SEVERITY[Action.QUARANTINE]:
            return None
        where = _TYPE_NAMES.get(ctx.channel_type, "unknown") if ctx.channel_type else "unknown"
        return (f"judged again at the release, the policy now {decision.action.value}s it: the channel is "
                f"{where} now (rule {decision.rule_id or '-'}, policy {decision.policy_version or '-'}); "
                "not delivered")

    async def _thread_again(self, ctx: RequestContext, items: list[ContentItem], tokens: Sequence[str],
                            payload: Mapping[str, Any], owner: str) -> tuple[list[ContentItem], list[Any], list[Any]]:
        """A move's thread as it is now (replies may have been added since the hold),
        read under the thread freeze as the gateway reads a live move (moves.py
        ``moved_thread`` with ``freeze``: marked, then read again; a write in flight or
        a post that joined between the readings makes it unavailable now: retried)."""
        from urllib.parse import urlsplit

        from dlp_proxy.gateway.moves import MoveUnreadable, moved_thread, post_fingerprint, unread_files
        from dlp_proxy.gateway.pipeline import MOVE_FILE_MAX_BYTES

        segments = urlsplit(str(payload.get("path", ""))).path.rstrip("/").split("/")
        post_id = segments[-2] if len(segments) >= 2 else ""
        config = self.pipeline.config
        store = getattr(self.pipeline, "thread_freeze", None)
        freeze = None
        if store is not None:
            ttl = config.file_deadline_seconds + (1 + _RELEASE_MARK_EXTRA) * config.upstream_timeout_seconds

            async def freeze(ids: list[str]) -> None:
                await store.mark_moving(owner, ids, ttl)
        last: Exception | None = None
        for token in tokens:
            try:
                moved = await moved_thread(self.pipeline.context, token, post_id, max_file_bytes=MOVE_FILE_MAX_BYTES,
                                           file_timeout=config.file_deadline_seconds, freeze=freeze)
            except MoveUnreadable as exc:
                last = exc
                await self._unfreeze(owner)  # the next credentials take the marks again
                continue
            kept = [i for i in items if not i.path.startswith("thread")]
            key = self.pipeline.hash_key
            self._read[owner] = frozenset(post_fingerprint(key, m, p) for m, p in moved.posts)
            return kept + moved.items, list(moved.files), unread_files(moved)
        raise ReleaseCheckUnavailable(f"the thread could not be read again ({last or 'no credentials'})")


async def recheck_loosened(pipeline: Any, ctx: RequestContext, scanned: list[Any], policy: PolicyEngine,
                           decision: Decision, token: str | None,
                           facts: InspectionFacts = NO_FACTS) -> tuple[RequestContext, Decision, list[Any]]:
    """A decision the channel's type or sharing made looser (findings held, masked or
    let through in a private channel that a public or shared one would block) is
    made again with the channel read afresh: the type came from the context cache,
    which shows a conversion made directly on Mattermost only after
    ``DLP_CHANNEL_CONTEXT_TTL``.  Only then: a clean message, or a decision the
    channel's type does not change, costs nothing more (no Mattermost call, the
    TTL stays as it is for everything else).

    ``facts``: the reading's (policy/facts.py), for the probe and the decision made again.
    Returns (context, decision, scanned), the inputs when nothing changed."""
    resolver = pipeline.context
    if (resolver is None or not ctx.channel_id or not atrest.is_id(ctx.channel_id) or token is None
            or SEVERITY[decision.action] >= SEVERITY[Action.BLOCK] or not any(s.findings for s in scanned)):
        return ctx, decision, scanned
    if ctx.channel_type is ChannelType.OPEN and ctx.channel_shared:
        return ctx, decision, scanned  # nothing stricter to become
    probe = policy.decide(scanned, replace(ctx, channel_type=ChannelType.OPEN, channel_shared=True), facts)
    if SEVERITY[probe.action] <= SEVERITY[decision.action]:
        return ctx, decision, scanned  # the type does not loosen this decision
    errors = [e for e in ctx.context_errors if not e.startswith("channel:")]
    try:
        info = await resolver.channel(ctx.channel_id, token, fresh=True)
    except (httpx.HTTPError, TimeoutError) as exc:
        info = None
        errors.append(f"channel: {type(exc).__name__} (fresh)")
    else:
        if info is None:
            errors.append("channel: not resolved (fresh)")
    fresh = replace(ctx, channel_type=info.type if info else None, channel_shared=info.shared if info else None,
                    channel_name=info.name if info else None, context_errors=tuple(errors))
    if fresh == ctx:
        return ctx, decision, scanned
    entities = policy.required_entities(fresh)
    if entities != policy.required_entities(ctx):
        # the channel as it is now asks for other entity types: the texts are scanned for them
        texts = [s.item for s in scanned if s.item.kind is not ItemKind.FILE]
        files = [s for s in scanned if s.item.kind is ItemKind.FILE]
        scanned = list(await pipeline._scan(texts, entities)) + files
    log.info("channel context re-read for a loosened decision",
             extra={"request_id": ctx.request_id, "channel_type_before": ctx.channel_type,
                    "channel_type_now": fresh.channel_type})
    return fresh, policy.decide(scanned, fresh, facts), scanned
