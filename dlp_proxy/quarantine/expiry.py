"""Quarantine expiry and keys: the periodic sweep (expire or escalate undecided
items, retry due releases, flag releases stuck mid-flight) and master-key rotation.
Builds on quarantine/workflow.py."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from dlp_proxy.quarantine import crypto, scripts
from dlp_proxy.quarantine.common import (
    SYSTEM,
    NotFound,
    State,
    _f,
    _s,
)
from dlp_proxy.quarantine.store import QuarantineStore
from dlp_proxy.quarantine.workflow import QuarantineWorkflow


class QuarantineExpiry(QuarantineWorkflow):
    """The periodic sweep and key rotation (see the module doc)."""

    # ---------------------------------------------------------------- periodic
    async def expire_due(self) -> dict[str, int]:
        """Expire (or escalate) undecided items past their time, retry failed
        releases that are due, and flag releases stuck mid-flight.  The gateway
        calls this every few seconds; it is safe to run on several workers."""
        now = self.clock()
        counts = {"expired": 0, "escalated": 0, "retried": 0, "unknown": 0}
        for raw in await self.r.zrangebyscore(self._k("open"), "-inf", now):
            done = await self.expire_item(_s(raw), now)
            if done in counts:
                counts[done] += 1
        for raw in await self.r.zrangebyscore(self._k("retry"), "-inf", now):
            item_id = _s(raw)
            # A lease, not a removal: if this sweep dies or loses Redis before the
            # release is begun, a later sweep retries the item.
            await self.r.zadd(self._k("retry"), {item_id: now + self.settings.retry_base})
            hs = {_s(k): _s(v) for k, v in (await self.r.hgetall(self._k("item", item_id))).items()}
            if not hs:
                await self.r.zrem(self._k("retry"), item_id)
                continue
            if hs.get("state") == State.APPROVED.value and not hs.get("approve_record"):
                # Approved in Redis but the approval never reached the archive (the
                # process or Redis died in between): back to the queue, undecided.
                outcome, _ = await self._run(self._transition, [self._k("item", item_id)], [
                    State.APPROVED.value, State.HELD.value, "approved_by", "", "decided_by", "",
                    "decided_at", ""])  # fmt: skip
                if outcome == "ok":
                    await self.r.zadd(self._k("open"), {item_id: _f(hs.get("expires_at"), now)})
                    await self._note(item_id, hs, SYSTEM, "approval_unrecorded", "", "")
                await self.r.zrem(self._k("retry"), item_id)
                continue
            try:
                result = await self._release(item_id)
                counts["retried"] += 1
            except NotFound:
                await self.r.zrem(self._k("retry"), item_id)
                continue
            if result != State.RELEASE_FAILED.value:  # release_failed has its next attempt scheduled
                await self.r.zrem(self._k("retry"), item_id)
        for raw in await self.r.zrangebyscore(self._k("forced"), "-inf", now):
            # A forced retry asked where nothing is delivered (retry_release): made here,
            # judged again like every release.  A lease, as for retries; an item that is
            # no longer release_unknown (released, rejected, retried meanwhile) is dropped.
            item_id = _s(raw)
            await self.r.zadd(self._k("forced"), {item_id: now + self.settings.retry_base})
            if _s(await self.r.hget(self._k("item", item_id), "state")) == State.RELEASE_UNKNOWN.value:
                try:
                    await self._release(item_id, force=True)
                    counts["retried"] += 1
                except NotFound:
                    pass
            await self.r.zrem(self._k("forced"), item_id)
            await self.r.hdel(self._k("item", item_id), "forced_retry_at")
        stale = now - self.settings.stale_release_after
        for raw in await self.r.zrangebyscore(self._k("releasing"), "-inf", stale):
            item_id = _s(raw)
            await self.r.zrem(self._k("releasing"), item_id)
            outcome, _ = await self._run(self._transition, [self._k("item", item_id)], [
                State.RELEASING.value, State.RELEASE_UNKNOWN.value, "release_error",
                "the release was interrupted (worker or Redis stopped); check Mattermost, then retry or reject"])  # fmt: skip
            if outcome == "ok":
                counts["unknown"] += 1
        return counts

    # ---------------------------------------------------------------- keys
    async def rotate_master_key(self, old: bytes, new: bytes) -> int:
        """Re-wrap every live data key from ``old`` to ``new``; content is not
        re-encrypted.  Returns how many items were re-wrapped.  Afterwards this
        service wraps new items with ``new``."""
        crypto.check_key(old)
        crypto.check_key(new)
        self._keyring[crypto.key_id(new)] = new
        self._keyring[crypto.key_id(old)] = old
        self._master = new
        self.audit_log.add_key(old)
        self.audit_log.add_key(new, current=True)
        n = await rotate_master_key(self.r, old, new, stream=self.stream)
        return n


async def rotate_master_key(r: aioredis.Redis, old: bytes, new: bytes, *, stream: str = "dlp:quarantine") -> int:
    """Re-wrap the data keys of every item under ``stream`` from ``old`` to ``new``."""
    old_id, new_id = crypto.key_id(old), crypto.key_id(new)
    script = r.register_script(scripts.REWRAP)
    n = 0
    for raw in await r.zrange(f"{stream}:all", 0, -1):
        item_id = _s(raw)
        key = f"{stream}:item:{item_id}"
        wk = _s(await r.hget(key, "wk"))
        if not wk or crypto.wrapped_key_id(wk) != old_id:
            continue
        dk = crypto.unwrap_key({old_id: old}, wk, item_id)
        if await script(keys=[key], args=[wk, crypto.wrap_key(new, dk, item_id), new_id]):
            n += 1
    # what outlives the shred (notes, masked examples) is sealed under keys derived
    # from the master key: re-sealed under the new one, decided items included
    for raw in await r.zrange(f"{stream}:all", 0, -1):
        item_id = _s(raw)
        key = f"{stream}:item:{item_id}"
        example = _s(await r.hget(key, "example"))
        if example.startswith(old_id + ":"):
            await r.hset(key, "example", _reseal(old, new, "example", item_id, example))
        hist = f"{stream}:hist:{item_id}"
        for i, entry in enumerate(await r.lrange(hist, 0, -1)):
            e = json.loads(_s(entry))
            if e.get("nk") and str(e.get("note", "")).startswith(old_id + ":"):
                e["note"] = _reseal(old, new, "note", item_id, e["note"])
                await r.lset(hist, i, json.dumps(e, sort_keys=True))
    return n


def _reseal(old: bytes, new: bytes, purpose: str, item_id: str, blob: str) -> str:
    plain = crypto.open_sealed(QuarantineStore._derived(old, purpose), blob.partition(":")[2], item_id, purpose)
    return f"{crypto.key_id(new)}:" + crypto.seal(QuarantineStore._derived(new, purpose), plain, item_id, purpose)
