"""A held request judged again at its release, under the channel as it is then.

A reviewer approves what the policy held for the channel as it was at the hold.
By the release the channel may have changed: a private channel converted to
public (api4/channel.go updateChannelPrivacy), a group message converted to a
channel (convertGroupMessageToChannel).  The gateway's channel-context cache
(``DLP_CHANNEL_CONTEXT_TTL``) would hide a conversion made directly on Mattermost
for up to its TTL, so the channel is asked of Mattermost afresh
(``ContextResolver.channel(fresh=True)``), with the credentials the release will be
sent with.  The held content is scanned again for what the current policy needs
in that context (a thread move reads its thread again: gateway/moves.py), and
the current policy decides.  If it now does more than hold (blocks), the release
is refused: ``QuarantineDelivery`` puts the item in ``release_refused`` with the
reason, archives it and tells the reviewer on the item.  A hold (or anything
looser) lets the approval stand.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx

from dlp_proxy.gateway import atrest
from dlp_proxy.gateway.context import token_from_request
from dlp_proxy.model import SEVERITY, Action, ChannelType, ContentItem, ItemKind, RequestContext
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


class ReleaseJudge:
    """``QuarantineDelivery.release_check`` for a gateway (see the module doc)."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

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
        if ctx.route == "posts.move":
            items, files, incomplete = await self._thread_again(ctx, items, tokens, payload)
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
        decision = policy.evaluate(scanned, ctx)
        if incomplete:
            from dlp_proxy.policy.uninspected import judge_uninspected

            decision = judge_uninspected(decision, incomplete, policy, fallback=pipeline.config.incomplete_file_action)
        if SEVERITY[decision.action] <= SEVERITY[Action.QUARANTINE]:
            return None
        where = _TYPE_NAMES.get(ctx.channel_type, "unknown") if ctx.channel_type else "unknown"
        return (f"judged again at the release, the policy now {decision.action.value}s it: the channel is "
                f"{where} now (rule {decision.rule_id or '-'}, policy {decision.policy_version or '-'}); "
                "not delivered")

    async def _thread_again(self, ctx: RequestContext, items: list[ContentItem], tokens: Sequence[str],
                            payload: Mapping[str, Any]) -> tuple[list[ContentItem], list[Any], list[Any]]:
        """A move's thread as it is now (replies may have been added since the hold)."""
        from urllib.parse import urlsplit

        from dlp_proxy.gateway.moves import MoveUnreadable, moved_thread, unread_files
        from dlp_proxy.gateway.pipeline import MOVE_FILE_MAX_BYTES

        segments = urlsplit(str(payload.get("path", ""))).path.rstrip("/").split("/")
        post_id = segments[-2] if len(segments) >= 2 else ""
        last: Exception | None = None
        for token in tokens:
            try:
                moved = await moved_thread(self.pipeline.context, token, post_id, max_file_bytes=MOVE_FILE_MAX_BYTES,
                                           file_timeout=self.pipeline.config.file_deadline_seconds)
            except MoveUnreadable as exc:
                last = exc
                continue
            kept = [i for i in items if not i.path.startswith("thread")]
            return kept + moved.items, list(moved.files), unread_files(moved)
        raise ReleaseCheckUnavailable(f"the thread could not be read again ({last or 'no credentials'})")


async def recheck_loosened(pipeline: Any, ctx: RequestContext, scanned: list[Any], policy: Any, decision: Any,
                           token: str | None) -> tuple[RequestContext, Any, list[Any]]:
    """A decision the channel's type or sharing made looser (findings held, masked or
    let through in a private channel that a public or shared one would block) is
    made again with the channel read afresh: the type came from the context cache,
    which shows a conversion made directly on Mattermost only after
    ``DLP_CHANNEL_CONTEXT_TTL``.  Only then: a clean message, or a decision the
    channel's type does not change, costs nothing more (no Mattermost call, the
    TTL stays as it is for everything else).

    Returns (context, decision, scanned), the inputs when nothing changed."""
    resolver = pipeline.context
    if (resolver is None or not ctx.channel_id or not atrest.is_id(ctx.channel_id) or token is None
            or SEVERITY[decision.action] >= SEVERITY[Action.BLOCK] or not any(s.findings for s in scanned)):
        return ctx, decision, scanned
    if ctx.channel_type is ChannelType.OPEN and ctx.channel_shared:
        return ctx, decision, scanned  # nothing stricter to become
    probe = policy.evaluate(scanned, replace(ctx, channel_type=ChannelType.OPEN, channel_shared=True))
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
    return fresh, policy.evaluate(scanned, fresh), scanned
