"""Quarantine workflow: what reviewers and senders do to an item -- show and
reveal, claim, assign, comment, approve (four-eyes), reject, bulk, purge, retry a
release, and the sender's reports.  Builds on quarantine/delivery.py (an approval
releases at once when this process delivers); the state machine is in
quarantine/service.py."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from dlp_proxy.interfaces import QuarantineError
from dlp_proxy.quarantine.common import (
    ACTIVE_STATES,
    OPEN_STATES,
    PERMISSIONS,
    SYSTEM,
    VERDICTS,
    Actor,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    State,
    UnprovenPrincipal,
    _s,
)
from dlp_proxy.quarantine.delivery import QuarantineDelivery
from dlp_proxy.quarantine.masking import segments
from dlp_proxy.quarantine.principals import Unresolvable

#: states a release retry is refused in (409): a released item's retry changes nothing
_NOT_RETRIED = OPEN_STATES | {State.REJECTED.value, State.EXPIRED.value}


class QuarantineWorkflow(QuarantineDelivery):
    """Reviewer and sender actions on items (see the module doc)."""

    # ---------------------------------------------------------------- showing
    async def show(self, item_id: str, actor: Actor, *, reveal_reason: str | None = None) -> dict[str, Any]:
        """The item with its content: findings masked in context, or in clear when
        ``reveal_reason`` is given (which needs the reveal permission, a written
        reason, and is archived before anything is decrypted for display)."""
        self._require(actor, "view")
        revealing = reveal_reason is not None
        if revealing:
            self._require(actor, "reveal")
            self._reason(reveal_reason, self.settings.reveal_reason_min, "reveal")
        h, dk, payload = await self._content(item_id)
        item = self._summary(h, self.clock())
        if revealing:
            if payload is None:
                raise Conflict(f"item {item_id} was decided and its content destroyed", h.get("state", ""))
            rec = await self._record(actor, "reveal", h, reason=reveal_reason or "")
            await self._note(item_id, h, actor, "reveal", reveal_reason or "", rec)
        item["revealed"] = revealing
        item["history"] = await self.history(item_id, data_key=dk)
        if not actor.can("reveal"):
            await self._mask_notes(item["history"])
        if payload is None:
            item["content"] = None
            return item
        parts = []
        for s in payload["decision"]["scanned"]:
            segs = segments(s["text"], s["findings"], reveal=revealing)
            parts.append(
                {
                    "path": s["path"],
                    "kind": s["kind"],
                    "segments": [{"text": g.text, "entity_type": g.entity_type, "score": g.score} for g in segs],
                    "findings": [
                        {k: f[k] for k in ("entity_type", "start", "end", "score", "recognizer") if k in f}
                        for f in s["findings"]
                    ],
                }
            )
        item["content"] = parts
        item["request_path"] = urlsplit(payload["path"]).path
        item["decision_reason"] = payload["decision"].get("reason", "")
        item["has_credentials"] = bool(await self.r.exists(self._k("cred", item_id)))
        return item

    async def _mask_notes(self, history: list[dict[str, Any]]) -> None:
        """Notes (comments, reasons) as a viewer without the reveal permission may
        read them: masked by the detector, as the archive keeps them (a reviewer may
        have typed the identifier); withheld when they cannot be checked."""
        for entry in history:
            note = entry.get("note")
            if isinstance(note, str) and note and entry.get("via") != "system":
                entry["note"] = await self._checked_reason(Actor(str(entry.get("actor", "")), frozenset()), note)

    async def reveal(self, item_id: str, actor: Actor, reason: str) -> dict[str, Any]:
        return await self.show(item_id, actor, reveal_reason=reason)

    # ---------------------------------------------------------------- workflow
    async def claim_next(self, actor: Actor, count: int = 1) -> list[str]:
        """Give ``actor`` up to ``count`` open items: first claims abandoned by
        others (idle > claim_idle), then never-delivered ones."""
        self._require(actor, "claim")
        await self._ensure_group()
        got: list[str] = []
        idle_ms = int(self.settings.claim_idle * 1000)
        res = await self.r.xautoclaim(self.stream, self.GROUP, actor.name, idle_ms, "0-0", count=count)
        entries = list(res[1])
        if len(entries) < count:
            new = await self.r.xreadgroup(self.GROUP, actor.name, {self.stream: ">"}, count=count - len(entries))
            batches: list[Any] = list(new or [])
            for batch in batches:
                entries.extend(list(batch[1]))
        for sid, fields in entries:
            item_id = _s({_s(k): v for k, v in fields.items()}.get("item"))
            state = _s(await self.r.hget(self._k("item", item_id), "state"))
            if state not in OPEN_STATES:
                await self.r.xack(self.stream, self.GROUP, sid)
                await self.r.xdel(self.stream, sid)
                continue
            # claiming is taking the item: it is assigned to you
            await self.r.hset(self._k("item", item_id),
                              mapping={"claimed_by": actor.name, "claimed_at": repr(self.clock())})  # fmt: skip
            if actor.user_id:
                await self.r.hset(self._k("item", item_id),
                                  mapping={"assignee": actor.user_id, "assignee_name": actor.name})  # fmt: skip
            got.append(item_id)
        return got

    # ---------------------------------------------------------------- assignment
    async def register_reviewer(self, actor: Actor) -> None:
        """Remember who can work the queue (principal -> name, roles), so items can
        be assigned to them.  The console calls this at sign-in and on API use; a
        Mattermost sign-in's name wins over a break-glass or token name."""
        if not actor.user_id or not actor.can("claim") or actor.via == "system":
            return
        key = self._k("reviewers")
        old_raw = await self.r.hget(key, actor.user_id)
        old = json.loads(_s(old_raw)) if old_raw else {}
        name = actor.name
        if old.get("via") == "console" and actor.via != "console":
            name = old.get("name", name)
        entry = {"user_id": actor.user_id, "name": name, "roles": sorted(actor.roles),
                 "via": "console" if actor.via == "console" or old.get("via") == "console" else actor.via,
                 "seen": self.clock()}  # fmt: skip
        await self.r.hset(key, actor.user_id, json.dumps(entry, sort_keys=True))

    async def reviewers(self) -> list[dict[str, Any]]:
        """People items can be assigned to (those who may claim), by name."""
        raw = await self.r.hgetall(self._k("reviewers"))
        out = [json.loads(_s(v)) for v in raw.values()]
        return sorted((e for e in out if set(e.get("roles", ())) & PERMISSIONS["claim"]),
                      key=lambda e: (str(e.get("name", "")).lower(), e.get("user_id", "")))  # fmt: skip

    async def _reviewer(self, who: str) -> dict[str, Any]:
        wanted = who.strip().lstrip("@").lower()
        for e in await self.reviewers():
            if wanted in (str(e.get("user_id", "")).lower(), str(e.get("name", "")).lower()):
                return e
        raise InvalidRequest(f"{who!r} is not a reviewer: assign to someone who may claim items "
                             "(they appear here once they have signed in to the console)")  # fmt: skip

    async def assign(self, item_id: str, actor: Actor, assignee: str, *, note: str = "") -> dict[str, Any]:
        """Assign (or reassign) an undecided item to a reviewer, named by user id or
        name.  Taking an item yourself needs the claim permission; giving it to
        someone else needs ``assign`` (approvers, admins)."""
        self._require(actor, "claim")
        target = await self._reviewer(assignee)
        if target["user_id"] != actor.user_id:
            self._require(actor, "assign")
        h = await self._raw(item_id)
        if h.get("state") not in ACTIVE_STATES:
            raise Conflict(f"item {item_id} is {h.get('state')}: a decided item is not assigned", h.get("state", ""))
        before = h.get("assignee_name", "")
        await self.r.hset(self._k("item", item_id), mapping={
            "assignee": target["user_id"], "assignee_name": target["name"], "assigned_at": repr(self.clock()),
            "assigned_by": actor.name})  # fmt: skip
        rec = await self._record(actor, "assign", h, reason=note, assignee=target["user_id"],
                                 assignee_name=target["name"], assignee_before=before)  # fmt: skip
        await self._note(item_id, h, actor, "assign", note, rec, assignee=target["name"])
        return await self.get(item_id)

    async def comment(self, item_id: str, actor: Actor, text: str) -> str:
        self._require(actor, "comment")
        text = self._reason(text, 1, "comment")
        h = await self._raw(item_id)
        rec = await self._record(actor, "comment", h, reason=text)
        await self._note(item_id, h, actor, "comment", text, rec)
        return rec

    @staticmethod
    def _verdict(verdict: str | None) -> str | None:
        if verdict is None or verdict == "":
            return None
        if verdict not in VERDICTS:
            raise InvalidRequest(f"verdict must be one of {', '.join(VERDICTS)}")
        return verdict

    @staticmethod
    def _verdict_fields(actor: Actor, verdict: str | None) -> dict[str, Any]:
        return {"verdict": verdict, "verdict_by": actor.name} if verdict else {}

    async def _set_verdict(self, item_id: str, actor: Actor, verdict: str | None) -> None:
        if verdict:
            await self.r.hset(self._k("item", item_id), mapping={
                "verdict": verdict, "verdict_by": actor.name, "verdict_by_uid": actor.user_id or "",
                "verdict_at": repr(self.clock())})  # fmt: skip

    async def _principals(self, item_id: str, actor: Actor) -> tuple[str, list[str]]:
        """(the actor's principal, every principal that counts as the sender), bots
        resolved to their owners (quarantine/principals.py).  The sender counts as
        whoever controlled its identity when it was held (``controllers``: the sender,
        a bot's owner, a webhook's owner) and whoever controls it now (looked up
        again: a bot given to someone else since).  Forbidden when it cannot be told:
        a lookup that fails now is enough only when the hold recorded them all."""
        h = await self._raw(item_id)
        recorded = [c for c in h.get("controllers", "").split(",") if c]
        known = h.get("controllers_known") == "1"
        try:
            # A Mattermost password sign-in is never a bot (Mattermost refuses bots at
            # login: checkUserNotBot, server/channels/app/authentication.go); break-glass,
            # API token and CLI principals are ids from a file or flag: looked up.
            mine = actor.user_id or ""
            if mine and actor.via != "console":
                mine = await self.principals.resolve(mine)
        except Unresolvable as exc:
            raise Forbidden(f"cannot tell whose bot the approver's credential is, so the approval is refused: "
                            f"{exc}") from exc
        sender = h.get("sender_id", "")
        flag = h.get("sender_is_bot")
        hook = h.get("hook_id", "")
        theirs = [sender, *recorded] if sender else list(recorded)
        if not sender and not hook:
            raise Forbidden("this item's sender is unknown (it was sent without signing in), so "
                            "no approval can be shown not to be the sender's own: it can only be rejected")
        try:
            if hook:
                # an incoming webhook's message is its owner's (the principal) whatever
                # token the request carried; a command response hook cannot be read
                theirs.append(await self.principals.hook_owner(hook))
            if sender and flag != "0":
                theirs.append(await self.principals.resolve(sender, is_bot=flag == "1"))
            elif sender:
                # the gateway saw the sender's users/me when it held the item (not a bot):
                # looked up again when possible, and taken as a person if Mattermost cannot say
                try:
                    theirs.append(await self.principals.resolve(sender))
                except Unresolvable:
                    pass
        except Unresolvable as exc:
            if not known:
                raise Forbidden(f"cannot tell whose bot or webhook sent it, so the approval is refused: {exc}") from exc
        return mine, list(dict.fromkeys(t for t in theirs if t))

    async def approve(self, item_id: str, actor: Actor, reason: str, *, verdict: str | None = None) -> dict[str, Any]:
        """Approve; with four-eyes the first approval waits for a second person.
        Releases at once when the last approval lands.  Returns the item summary.
        Self-approval and four-eyes compare principals, a bot counting as its owner and
        whoever controls the sending identity as the sender (``_principals``)."""
        self._require(actor, "approve")
        reason = self._reason(reason, self.settings.decision_reason_min, "approve")
        verdict = self._verdict(verdict)
        key = self._k("item", item_id)
        mine, sender_principals = await self._principals(item_id, actor)
        # masked before the state changes: the first reason a process masks builds its
        # detector (tens of seconds on a loaded host), and an approval left without its
        # archive record past retry_base is taken back by the sweep (approval_unrecorded)
        shown = await self._checked_reason(actor, reason)
        need = "2" if self.settings.four_eyes else "1"
        for _ in range(2):
            now = self.clock()
            grace = now + self.settings.retry_base
            outcome, before = await self._run(
                self._approve, [key, self._k("retry")],
                [actor.name, mine, need, repr(now), grace, item_id, ",".join(sender_principals),
                 "1" if actor.proof == "claimed" else "0"],
            )  # fmt: skip
            if outcome != "expired":
                break
            # past its deadline and the sweep has not run yet: do what it would do; an
            # escalation (on_expiry: escalate) gives a new deadline, so try once more
            if await self.expire_item(item_id, now) != "escalated":
                raise Conflict(f"item {item_id} is expired: its review deadline passed before this approval",
                               State.EXPIRED.value)  # fmt: skip
        if outcome == "expired":  # escalated, and already past the new deadline too
            raise Conflict(f"item {item_id} is past its review deadline", State.EXPIRED.value)
        if outcome == "missing":
            raise NotFound(f"no quarantined item {item_id!r}")
        if outcome == "unproven":
            # on the record as a request (the reviewers see it in the history), never as an approval
            h = await self._raw(item_id)
            rec = await self._record(actor, "approve_request", h, reason=shown, checked=True, state_before=before)
            await self._note(item_id, h, actor, "approve_request", reason, rec)
            raise UnprovenPrincipal(f"{actor.name}'s principal is claimed, not proven (a CLI --principal without the "
                            "operator's Mattermost token): it cannot count as one of the two approvals this item "
                            "needs; prove it (dlp-proxy quarantine approve --token-file) or approve in the console")
        if outcome == "noprincipal":
            raise Forbidden(f"{actor.name} has no principal (the Mattermost user id of the person acting): "
                            "an approval needs one")
        if outcome == "self":
            raise Forbidden(f"{actor.name} may not approve their own message (same person as the sender)")
        if outcome == "same":
            raise Forbidden(f"four-eyes release: {actor.name} is the person who already approved; "
                            "a second approver is needed")
        if outcome == "conflict":
            raise Conflict(f"item {item_id} is {before}: it cannot be approved now", before)
        h = await self._raw(item_id)
        action = "approve_first" if outcome == "first" else "approve"
        try:
            rec = await self._record(actor, action, h, reason=shown, checked=True, state_before=before,
                                     **self._verdict_fields(actor, verdict))
        except Exception:
            after = State.AWAITING_SECOND.value if outcome == "first" else State.APPROVED.value
            undo = ["approver1", "approver1_uid", "approver1_at"] if outcome == "first" else [
                "approved_by", "decided_by", "decided_at"]  # fmt: skip
            await self._revert(keys=[key], args=[after, before, *undo])
            await self.r.zrem(self._k("retry"), item_id)
            raise
        await self.r.hset(key, f"{action}_record", rec)
        await self._set_verdict(item_id, actor, verdict)
        await self._note(item_id, h, actor, action, reason, rec, **({"verdict": verdict} if verdict else {}))
        if outcome == "ok":
            await self._finish_stream(h)
            await self.r.zrem(self._k("open"), item_id)
            if self.delivers:
                await self._release(item_id)
            else:
                # Approval is state: a running gateway (which knows Mattermost and the
                # bot token) releases it on its next sweep, exactly once.
                await self.r.zadd(self._k("retry"), {item_id: now})
        return await self.get(item_id)

    async def expire_item(self, item_id: str, now: float) -> str:
        """What the sweep does to one undecided item past its deadline: escalate it
        once (``on_expiry: escalate``, a new deadline) or expire it (rejected as
        undecided, archived, the sender told, the content shredded).  Returns
        ``escalated``, ``expired`` or ``gone`` (decided or purged meanwhile).  An
        approval that finds the item past its deadline calls this too, so an item is
        never approved late because the sweep has not run yet (workflow.approve)."""
        try:
            h = await self._raw(item_id)
        except NotFound:
            await self.r.zrem(self._k("open"), item_id)
            return "gone"
        if self.settings.on_expiry == "escalate" and h.get("escalated") != "1":
            new_exp = now + self.settings.escalate_after
            outcome, _ = await self._run(self._transition, [self._k("item", item_id)],
                                         ["held,awaiting_second", h.get("state", ""), "escalated", "1",
                                          "expires_at", repr(new_exp)])  # fmt: skip
            if outcome != "ok":
                return "gone"
            await self.r.zadd(self._k("open"), {item_id: new_exp})
            rec = await self._record(SYSTEM, "escalate", h, reason="undecided past the review deadline")
            await self._note(item_id, h, SYSTEM, "escalate", "", rec)
            return "escalated"
        try:
            await self._final(item_id, SYSTEM, "expire", State.EXPIRED, "undecided past the review deadline",
                              from_states=(State.HELD, State.AWAITING_SECOND), notify=True)  # fmt: skip
        except Conflict:
            await self.r.zrem(self._k("open"), item_id)
            return "gone"
        return "expired"

    async def _expire_late(self, item_id: str, before: str) -> str:
        """An item whose approval came at or after its review deadline (scripts.BEGIN_RELEASE
        ``late``: approved by a version that did not check the deadline) is expired, not
        sent, as if the sweep had expired it in time.  A forced retry of such an item
        whose earlier send is unaccounted for stays ``release_unknown`` (a person checks
        Mattermost and rejects it)."""
        if before == State.RELEASE_UNKNOWN.value:
            return before
        try:
            await self._final(item_id, SYSTEM, "expire", State.EXPIRED,
                              "approved after the review deadline: not released",
                              from_states=(State.APPROVED, State.RELEASE_FAILED, State.RELEASE_REFUSED),
                              notify=True)  # fmt: skip
        except Conflict as exc:
            return exc.state
        await self.r.zrem(self._k("retry"), item_id)
        return State.EXPIRED.value

    async def reject(self, item_id: str, actor: Actor, reason: str, *, notify: bool = True,
                     verdict: str | None = None) -> dict[str, Any]:  # fmt: skip
        self._require(actor, "reject")
        reason = self._reason(reason, self.settings.decision_reason_min, "reject")
        verdict = self._verdict(verdict)
        return await self._final(item_id, actor, "reject", State.REJECTED, reason,
                                 from_states=(State.HELD, State.AWAITING_SECOND, State.RELEASE_FAILED,
                                              State.RELEASE_REFUSED),
                                 notify=notify, verdict=verdict)  # fmt: skip

    async def _final(
        self,
        item_id: str,
        actor: Actor,
        action: str,
        to: State,
        reason: str,
        *,
        from_states: Sequence[State],
        notify: bool,
        verdict: str | None = None,
    ) -> dict[str, Any]:
        key = self._k("item", item_id)
        now = self.clock()
        outcome, before = await self._run(
            self._transition,
            [key],
            [",".join(s.value for s in from_states), to.value, "decided_by", actor.name, "decided_at", repr(now)],
        )
        if outcome == "missing":
            raise NotFound(f"no quarantined item {item_id!r}")
        if outcome == "conflict":
            raise Conflict(f"item {item_id} is {before}: it cannot be {to.value} now", before)
        h = await self._raw(item_id)
        try:
            # masked once, for the archive and the sender's DM alike
            shown = await self._checked_reason(actor, reason)
            rec = await self._record(actor, action, h, reason=shown, checked=True, state_before=before,
                                     **self._verdict_fields(actor, verdict))
        except Exception:
            await self._revert(keys=[key], args=[to.value, before, "decided_by", "decided_at"])
            raise
        await self._set_verdict(item_id, actor, verdict)
        await self._note(item_id, h, actor, action, reason, rec, **({"verdict": verdict} if verdict else {}))
        await self._shred(item_id, h)
        if notify:
            await self._notify(h, to.value, reason=shown)
        return await self.get(item_id)

    async def bulk(self, ids: Sequence[str], action: str, actor: Actor, reason: str, *,
                   verdict: str | None = None, assignee: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Apply approve|reject|comment|assign to many items; one result per id,
        never all-or-nothing.  Every result names the item's state after the action
        (a comment changes none: the state it is in)."""
        verdict = self._verdict(verdict)
        fn: dict[str, Callable[[str], Awaitable[Any]]] = {
            "approve": lambda i: self.approve(i, actor, reason, verdict=verdict),
            "reject": lambda i: self.reject(i, actor, reason, verdict=verdict),
            "comment": lambda i: self.comment(i, actor, reason),
            "assign": lambda i: self.assign(i, actor, assignee or "", note=reason),
        }
        if action not in fn:
            raise InvalidRequest(f"unknown bulk action {action!r}: use approve, reject, comment or assign")
        out: list[dict[str, Any]] = []
        for item_id in dict.fromkeys(ids):
            try:
                res = await fn[action](item_id)
                row: dict[str, Any] = {"id": item_id, "ok": True, "action": action}
                if isinstance(res, dict):
                    row["state"] = res.get("state")
                else:  # a comment: its archive record, and the state the item is in
                    row["record_id"] = res
                    row["state"] = (await self.get(item_id))["state"]
                out.append(row)
            except QuarantineError as exc:
                out.append({"id": item_id, "ok": False, "error": str(exc), "error_type": type(exc).__name__})
        return out

    async def purge(self, item_id: str, actor: Actor, reason: str, *, force: bool = False) -> str:
        """Delete an item from Redis entirely (the archive keeps its records).  An
        undecided item needs ``force`` (its sender is then told it was rejected)."""
        self._require(actor, "purge")
        reason = self._reason(reason, self.settings.decision_reason_min, "purge")
        h = await self._raw(item_id)
        if h.get("state") in ACTIVE_STATES and not force:
            raise Conflict(f"item {item_id} is {h.get('state')}: decide it first or purge with force", h["state"])
        rec = await self._record(actor, "purge", h, reason=reason, state_before=h.get("state", ""))
        if h.get("state") in OPEN_STATES:
            await self._notify(h, State.REJECTED.value)
        await self._finish_stream(h)
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self._k("item", item_id), self._k("cred", item_id), self._k("hist", item_id))
        for z in ("open", "all", "retry", "forced", "releasing"):
            pipe.zrem(self._k(z), item_id)
        await pipe.execute()
        return rec

    # ---------------------------------------------------------------- release
    async def retry_release(self, item_id: str, actor: Actor, reason: str, *, force: bool = False) -> dict[str, Any]:
        """Retry a failed release now; ``force`` also retries a release whose outcome
        is unknown (a human checked Mattermost and found the post missing).  A
        ``release_refused`` item is judged again (the channel may be back to what
        the approval was for)."""
        self._require(actor, "retry")
        reason = self._reason(reason, self.settings.decision_reason_min, "retry a release")
        h = await self._raw(item_id)
        if h.get("state") in _NOT_RETRIED:  # not approved, or never to be sent: nothing to retry
            raise Conflict(f"item {item_id} is {h.get('state')}: there is no release to retry", h.get("state", ""))
        if force and h.get("state") != State.RELEASE_UNKNOWN.value:
            force = False
        rec = await self._record(actor, "retry_release", h, reason=reason, force=force)
        await self._note(item_id, h, actor, "retry_release", reason, rec)
        if self.delivers:
            await self._release(item_id, force=force)
        elif force:
            # A process that does not deliver (the stand-alone console, the CLI) has no
            # policy to judge the release again with: the gateway's next sweep makes
            # the forced retry, through the same re-judgment as every release.
            await self.r.hset(self._k("item", item_id), "forced_retry_at", repr(self.clock()))
            await self.r.zadd(self._k("forced"), {item_id: self.clock()})
        else:
            await self.r.zadd(self._k("retry"), {item_id: self.clock()})  # the gateway's next sweep
        return await self.get(item_id)

    # ---------------------------------------------------------------- the sender's reports
    async def sender_report(self, item_id: str, sender_id: str, kind: str, justification_masked: str) -> str:
        """The sender's "false positive" or "release request" with a business
        justification (dlp_proxy.gateway.actions: the token is checked and the text
        masked by the detector there): on the item's history (the note sealed like
        every note) and in the archive.  Returns the archive record id."""
        if kind not in ("false_positive", "release_request"):
            raise InvalidRequest(f"unknown report kind {kind!r}: false_positive or release_request")
        h = await self._raw(item_id)
        if not sender_id or h.get("sender_id") != sender_id:
            raise Forbidden("only the sender of a held message can report on it")
        actor = Actor(h.get("sender_username") or sender_id, frozenset(), user_id=sender_id, via="mattermost")
        action = "sender_" + kind
        rec = await self._record(actor, action, h, reason=justification_masked, checked=True, report_kind=kind,
                                 state_at_report=h.get("state", ""))
        await self._note(item_id, h, actor, action, justification_masked, rec)
        await self.r.hset(self._k("item", item_id), mapping={f"{action}_at": repr(self.clock()),
                                                             f"{action}_record": rec})
        return rec
