"""Quarantine storage: the Redis layout, keys and scripts, sealing, holding a
request, and reading, summarising and searching items (the bottom layer of
``QuarantineService``, quarantine/service.py).

Redis layout (``S`` is the stream name, default ``dlp:quarantine``):

- ``S``                 stream, one entry per held item (field ``item`` = item id), consumer
                        group ``reviewers``; XAUTOCLAIM hands abandoned claims to others
- ``S:item:{id}``       hash: state, filterable metadata (route, channel, team, sender,
                        entity types and counts -- never content), ``ct`` (AES-GCM ciphertext
                        of the held request) and ``wk`` (the wrapped per-item data key)
- ``S:cred:{id}``       the sender's credentials for release, encrypted, with a short TTL
- ``S:hist:{id}``       list of history events (actor, action, time; notes encrypted)
- ``S:open``            zset id -> expiry time of undecided items
- ``S:all``             zset id -> creation time of every item not yet purged
- ``S:retry``           zset id -> next release attempt of items whose release failed
- ``S:forced``          zset id -> time a forced retry of a ``release_unknown`` item was asked
                        by a process that does not deliver (the gateway's sweep makes it)
- ``S:releasing``       zset id -> start time of releases in flight
- ``S:idem:{key}``      release idempotency marker (``sending:...`` then ``done:...``)
- ``S:audit``           stream of review records, only when no archive is configured

Helpers every layer uses live here too: the archive record of a reviewer action
(``_record``), the sealed history note (``_note``) and the crypto-shred (``_shred``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypedDict, Unpack

import httpx
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from dlp_proxy import atrest
from dlp_proxy.interfaces import Archive, HeldRequest, QuarantineError
from dlp_proxy.policy.schema import Messages
from dlp_proxy.quarantine import crypto, scripts
from dlp_proxy.quarantine.common import (
    _DIGIT_RUN,
    ACTIVE_STATES,
    AUTH_HEADERS,
    MAX_PAGE_SIZE,
    OPEN_STATES,
    SEVERITIES,
    SORTS,
    STATE_ORDER,
    SYSTEM,
    VERDICTS,
    Actor,
    Forbidden,
    InvalidRequest,
    NotFound,
    QuarantineSettings,
    State,
    _f,
    _s,
    check_search,
    severity_of,
)
from dlp_proxy.quarantine.masking import REASON_WITHHELD, mask_value, masked_text
from dlp_proxy.quarantine.principals import PrincipalResolver


class ItemFilters(TypedDict, total=False):
    """What ``list_items``, ``query`` and the console, API and CLI filter held items on."""

    #: a state, a list of states (or comma-separated), ``active`` (not final, the
    #: default), ``open`` (awaiting a decision), ``all`` or None
    state: str | Sequence[str] | None
    channel: str | None
    team: str | None
    entity: str | None
    sender: str | None
    #: seconds since the item was held
    min_age: float | None
    max_age: float | None
    #: words that must all occur (case-insensitive) in the item id, the request id the
    #: sender was given, the archive record id, the sender, channel, team or assignee
    #: name or id -- never in message content
    search: str | None
    severity: str | None
    #: a principal, or ``none`` for unassigned items
    assignee: str | None
    overdue: bool | None
    #: a verdict, ``none`` (not labelled) or ``any``
    verdict: str | None


log = logging.getLogger("dlp_proxy.quarantine")


class RedisAuditLog:
    """Fallback record of reviewer actions when no archive is configured: a Redis
    stream, durable under the same AOF rule, each record AES-GCM encrypted under a
    key derived from the master key (reasons and comments are free text a reviewer
    may have typed an identifier into).  Production passes the real archive."""

    def __init__(self, r: aioredis.Redis, key: str, master_key: bytes) -> None:
        self._r = r
        self._key = key
        self._keys = {crypto.key_id(master_key): master_key}
        self._current = master_key

    @staticmethod
    def _derive(master_key: bytes) -> bytes:
        return hmac.new(master_key, b"dlp-quarantine-audit-log", hashlib.sha256).digest()

    def add_key(self, master_key: bytes, *, current: bool = False) -> None:
        self._keys[crypto.key_id(master_key)] = master_key
        if current:
            self._current = master_key

    async def append(self, record: Mapping[str, Any]) -> str:
        raw = json.dumps(record, sort_keys=True, default=str).encode()
        rid = f"audit-{secrets.token_hex(8)}"
        blob = crypto.seal(self._derive(self._current), raw, rid, "audit")
        await self._r.xadd(self._key, {"id": rid, "kid": crypto.key_id(self._current), "ct": blob})
        return rid

    async def records(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        entries: list[Any] = list(await self._r.xrange(self._key) or [])
        for _sid, fields in entries:
            f = {_s(k): _s(v) for k, v in dict(fields or {}).items()}
            master = self._keys.get(f["kid"])
            if master is None:
                raise crypto.DecryptError(f"audit record {f['id']} needs master key {f['kid']}")
            rec = json.loads(crypto.open_sealed(self._derive(master), f["ct"], f["id"], "audit"))
            rec["record_id"] = f["id"]
            out.append(rec)
        return out

    async def close(self) -> None:
        return None


def _payload(held: HeldRequest) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    keep: list[tuple[str, str]] = []
    auth: list[tuple[str, str]] = []
    for name, value in held.headers:
        (auth if name.lower() in AUTH_HEADERS else keep).append((name, value))
    d = held.decision
    scanned = [
        {
            "path": s.item.path,
            "kind": s.item.kind.value,
            "text": s.item.text,
            "findings": [f.to_json() for f in s.findings],
        }
        for s in d.scanned
    ]
    payload = {
        "method": held.method,
        "path": held.path,
        "headers": keep,
        "body": held.body.decode("latin-1"),
        "context": held.context.to_json(),
        "decision": {
            "action": d.action.value,
            "policy_version": d.policy_version,
            "rule_id": d.rule_id,
            "reason": d.reason,
            "entity_types": list(d.entity_types),
            "scanned": scanned,
            "details": dict(d.details),
        },
        "record_id": held.record_id,
        "idempotency_key": held.idempotency_key,
        "meta": dict(held.meta),
    }
    return payload, auth


def mask_for_export(text: str, findings: Sequence[dict[str, Any]]) -> str:
    """``text`` with its findings masked (as the console shows it) and every other
    run of four or more digits masked too, so an identifier the detector missed is
    not exported in clear.  Lengths are kept: finding offsets stay valid."""
    out = masked_text(text, findings)
    spans = [(int(f["start"]), int(f["end"])) for f in findings]
    chars = list(out)
    for m in _DIGIT_RUN.finditer(out):
        if any(m.start() < e and s < m.end() for s, e in spans):
            continue
        chars[m.start() : m.end()] = mask_value(m.group(), keep=0)
    return "".join(chars)


def _example(held: HeldRequest, names_key: bytes) -> dict[str, Any]:
    """What a verdict on this hold teaches (``quarantine verdicts``): the masked
    text of every scanned part with its findings, and the policy's context.  It is
    exported in clear: field paths (JSON keys, archive members, attachment names) and
    names are shape-checked under ``names_key`` (atrest.safe_field_path, safe_context)."""
    d = held.decision
    parts = []
    for s in d.scanned:
        findings = [{k: f.to_json()[k] for k in ("entity_type", "start", "end", "score", "recognizer")}
                    for f in s.findings]  # fmt: skip
        parts.append({"path": atrest.safe_field_path(names_key, s.item.path), "kind": s.item.kind.value,
                      "text": mask_for_export(s.item.text, findings), "findings": findings})  # fmt: skip
    return {"parts": parts, "context": atrest.safe_context(names_key, held.context.to_json()), "action": d.action.value, "rule_id": d.rule_id,
            "policy_version": d.policy_version, "entity_types": list(d.entity_types)}  # fmt: skip


class QuarantineStore:
    """Held requests in Redis: keys, sealing, durability, hold and read.  See the module doc."""

    GROUP = "reviewers"

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        master_key: bytes,
        archive: Archive | None,
        upstream_url: str,
        stream: str = "dlp:quarantine",
        settings: QuarantineSettings | None = None,
        previous_master_keys: Iterable[bytes] = (),
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.time,
        delivers: bool | None = None,
        mask_text: Callable[[str], str] | None = None,
        messages: Callable[[], Messages] | None = None,
    ) -> None:
        self.r = redis
        self._master = crypto.check_key(master_key)
        self._keyring: dict[str, bytes] = {crypto.key_id(k): crypto.check_key(k) for k in previous_master_keys}
        self._keyring[crypto.key_id(master_key)] = master_key
        self.audit_log = RedisAuditLog(redis, f"{stream}:audit", master_key)
        for k in previous_master_keys:
            self.audit_log.add_key(k)
        self.archive: Archive = archive if archive is not None else self.audit_log
        self.upstream_url = upstream_url.rstrip("/")
        #: False: this process only records decisions (the CLI, a stand-alone console
        #: without Mattermost's address); a running gateway performs the releases
        self.delivers = bool(self.upstream_url) if delivers is None else delivers
        self.stream = stream
        #: masks a person's free text (reasons, comments) before it is archived or
        #: sent (quarantine/masking.py reason_masker); None: such text is withheld
        self.mask_text = mask_text
        self.settings = settings or QuarantineSettings()
        #: the current policy's wording (messages:), read at each notice: a reload applies
        self.messages: Callable[[], Messages] = messages or Messages
        self._http = http
        self._own_http = http is None
        self.clock = clock
        self._durable_checked_at = -1e18
        self._durability_mode = ""
        self._group_ready = False
        self._hold = self.r.register_script(scripts.HOLD)
        self._transition = self.r.register_script(scripts.TRANSITION)
        self._revert = self.r.register_script(scripts.REVERT)
        self._approve = self.r.register_script(scripts.APPROVE)
        self._begin_release = self.r.register_script(scripts.BEGIN_RELEASE)
        self._rewrap = self.r.register_script(scripts.REWRAP)
        self._abort_release = self.r.register_script(scripts.ABORT_RELEASE)
        #: bots count as their owner (quarantine/principals.py)
        self.principals = PrincipalResolver(self.upstream_url, self.settings.notify_token or self.settings.bot_token,
                                            self._client)  # fmt: skip

    # ---------------------------------------------------------------- keys
    def _k(self, kind: str, item_id: str = "") -> str:
        return f"{self.stream}:{kind}:{item_id}" if item_id else f"{self.stream}:{kind}"

    @staticmethod
    def _derived(master: bytes, purpose: str) -> bytes:
        return hmac.new(master, f"dlp-quarantine-{purpose}".encode(), hashlib.sha256).digest()

    def _seal_kept(self, purpose: str, item_id: str, data: bytes) -> str:
        """Sealed under a key derived from the master key, not the item's data key:
        survives the crypto-shred of a decided item (reviewers' notes, which the
        archive keeps anyway, and the masked example a verdict labels)."""
        return f"{crypto.key_id(self._master)}:" + crypto.seal(self._derived(self._master, purpose), data, item_id,
                                                              purpose)  # fmt: skip

    def _open_kept(self, purpose: str, item_id: str, blob: str) -> bytes | None:
        kid, _, sealed = blob.partition(":")
        master = self._keyring.get(kid)
        if master is None:
            return None
        return crypto.open_sealed(self._derived(master, purpose), sealed, item_id, purpose)

    @property
    def durability_mode(self) -> str:
        return self._durability_mode

    async def close(self) -> None:
        if self._http is not None and self._own_http:
            await self._http.aclose()
            self._http = None

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.settings.release_timeout)
        return self._http

    # ---------------------------------------------------------------- durability
    async def check_durability(self) -> str:
        """Make sure an acknowledged write survives a crash of Redis.

        ``aof-always``: CONFIG GET shows appendonly yes and appendfsync always, so
        Redis fsyncs the AOF before it answers.  ``waitaof``: Redis >= 7.2 with AOF
        on: every hold ends with WAITAOF 1 0 (the local fsync).  Anything else
        raises QuarantineError naming the settings to change.  Re-checked every
        60 s because CONFIG SET can change it at run time."""
        now = time.monotonic()
        if now - self._durable_checked_at < 60 and self._durability_mode:
            return self._durability_mode
        if self.settings.durability == "trust":
            self._durability_mode = "trusted"
        else:
            try:
                cfg = {_s(k): _s(v) for k, v in (await self.r.config_get("append*")).items()}
            except ResponseError as exc:
                raise QuarantineError(
                    "cannot read the Redis persistence settings (CONFIG GET is refused): "
                    "set quarantine durability to 'trust' only if this Redis fsyncs every write"
                ) from exc
            appendonly, appendfsync = cfg.get("appendonly", "?"), cfg.get("appendfsync", "?")
            if appendonly == "yes" and appendfsync == "always":
                self._durability_mode = "aof-always"
            elif appendonly == "yes" and await self._redis_version() >= (7, 2):
                self._durability_mode = "waitaof"
            else:
                raise QuarantineError(
                    f"Redis is not durable enough to hold quarantined messages: appendonly={appendonly} "
                    f"appendfsync={appendfsync}; set 'appendonly yes' and 'appendfsync always' "
                    "(or use Redis >= 7.2 with AOF on)"
                )
        self._durable_checked_at = now
        return self._durability_mode

    async def _redis_version(self) -> tuple[int, ...]:
        info = await self.r.info("server")
        raw = _s(info.get("redis_version", "0"))
        return tuple(int(p) for p in raw.split(".") if p.isdigit())

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.r.xgroup_create(self.stream, self.GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    # ---------------------------------------------------------------- hold
    async def hold(self, held: HeldRequest) -> str:
        """Encrypt and store ``held``; return its id once the write is durable."""
        try:
            return await self._hold_inner(held)
        except QuarantineError:
            raise
        except Exception as exc:  # any Redis/crypto failure: the gateway must fail closed
            raise QuarantineError(f"could not hold the request durably: {type(exc).__name__}") from exc

    async def _hold_inner(self, held: HeldRequest) -> str:
        mode = await self.check_durability()
        await self._ensure_group()
        now = self.clock()
        created = held.created_at or now
        item_id = f"q{int(created * 1000):x}{secrets.token_hex(6)}"
        payload, auth = _payload(held)
        dk = crypto.new_data_key()
        ct = crypto.seal(dk, json.dumps(payload, default=str).encode(), item_id, "request")
        cred = crypto.seal(dk, json.dumps(auth).encode(), item_id, "credentials") if auth else ""
        wk = crypto.wrap_key(self._master, dk, item_id)
        ctx = held.context
        names_key = self._derived(self._master, "names")
        counts = held.decision.entity_counts()
        severity = severity_of(held.decision)
        controllers, unknown = await self.sender_controllers(held)
        fields: dict[str, str] = {
            "id": item_id,
            "state": State.HELD.value,
            "created_at": repr(created),
            "expires_at": repr(created + self.settings.expire_after),
            "route": ctx.route,
            "route_group": ctx.route_group,
            "method": held.method,
            "channel_id": ctx.channel_id or "",
            # names in clear in Redis only when they hold no identifier (atrest.safe_name);
            # the sealed request keeps them as they are
            "channel_name": atrest.safe_name(names_key, ctx.channel_name or "") or "",
            "channel_type": ctx.channel_type.value if ctx.channel_type else "",
            "team_id": ctx.team_id or "",
            "team_name": atrest.safe_name(names_key, ctx.team_name or "") or "",
            "root_id": ctx.root_id or "",
            "sender_id": ctx.user_id or "",
            "sender_username": atrest.safe_name(names_key, ctx.username or "") or "",
            "hook_id": ctx.hook_id or "",
            "entity_types": ",".join(sorted(counts)),
            "entity_counts": json.dumps(counts, sort_keys=True),
            "finding_count": str(sum(counts.values())),
            "record_id": held.record_id,
            "request_id": ctx.request_id,
            "policy_version": held.decision.policy_version,
            "rule_id": held.decision.rule_id or "",
            "idem": held.idempotency_key or item_id,
            "auth_needed": "1" if auth else "0",
            "key_id": crypto.key_id(self._master),
            "wk": wk,
            "ct": ct,
            "release_attempts": "0",
            # fixed now: a later change of DLP_FOUR_EYES does not change this item's rule;
            # an item whose sender's controllers could not all be read needs two people
            "approvals_required": "2" if self.settings.four_eyes or unknown else "1",
            # whoever controlled the sending identity when it was held (the sender, a bot's
            # owner, a webhook's owner): none of them may approve (scripts.APPROVE)
            "controllers": ",".join(controllers),
            "controllers_known": "0" if unknown else "1",
            "severity": severity,
            "sla_due": repr(created + self.settings.sla.get(severity, self.settings.sla_breach)),
            "sender_is_bot": "1" if ctx.is_bot else "0",
            "example": self._seal_kept("example", item_id, json.dumps(_example(held, names_key), default=str).encode()),
        }
        hist = self._hist_entry(SYSTEM, "hold", now, record_id=held.record_id)
        argv: list[str] = [
            item_id,
            repr(created),
            repr(created + self.settings.expire_after),
            cred,
            str(int(self.settings.credential_ttl * 1000)),
            hist,
        ]
        for k, v in fields.items():
            argv += [k, v]
        await self._hold(
            keys=[
                self.stream,
                self._k("item", item_id),
                self._k("open"),
                self._k("all"),
                self._k("cred", item_id),
                self._k("hist", item_id),
            ],
            args=argv,
        )
        if mode == "waitaof":
            local, _replicas = await self.r.execute_command("WAITAOF", 1, 0, 5000)  # type: ignore[no-untyped-call]
            if int(local) < 1:
                raise QuarantineError("Redis did not confirm the AOF fsync of the held item (WAITAOF)")
        return item_id

    async def sender_controllers(self, held: HeldRequest) -> tuple[list[str], str]:
        """Who controls the identity ``held`` was sent as, read now (principals.py
        ``controllers``): (principals, why not all are known).  A lookup that fails or
        takes longer than the release timeout leaves them unknown; the item is then
        held anyway and needs two approvers, none of them a controller Mattermost
        names at approval time (workflow.py ``_principals``)."""
        ctx = held.context
        try:
            return await asyncio.wait_for(self.principals.controllers(
                sender_id=ctx.user_id or "", is_bot=bool(ctx.is_bot), hook_id=ctx.hook_id or "", route=ctx.route),
                self.settings.release_timeout)  # fmt: skip
        except (TimeoutError, httpx.HTTPError) as exc:
            return ([ctx.user_id] if ctx.user_id else []), f"lookup failed: {type(exc).__name__}"

    # ---------------------------------------------------------------- reading
    def _hist_entry(
        self,
        actor: Actor,
        action: str,
        now: float,
        *,
        note_ct: str = "",
        record_id: str = "",
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        entry: dict[str, Any] = {"t": now, "actor": actor.name, "via": actor.via, "action": action}
        if note_ct:
            entry["note"] = note_ct
        if record_id:
            entry["record_id"] = record_id
        if extra:
            entry.update(extra)
        return json.dumps(entry, sort_keys=True)

    async def _raw(self, item_id: str) -> dict[str, str]:
        raw = await self.r.hgetall(self._k("item", item_id))
        if not raw:
            raise NotFound(f"no quarantined item {item_id!r}")
        return {_s(k): _s(v) for k, v in raw.items()}

    def _summary(self, h: Mapping[str, str], now: float) -> dict[str, Any]:
        created = _f(h.get("created_at"))
        age = max(0.0, now - created)
        state = h.get("state", "")
        severity = h.get("severity", "")
        due = _f(h.get("sla_due")) or created + self.settings.sla_breach
        window = self.settings.sla.get(severity) if severity else None
        warn_at = due - 0.25 * window if window else created + self.settings.sla_warn
        overdue = state in OPEN_STATES and now >= due
        if state in OPEN_STATES:
            sla = "breach" if overdue else "warn" if now >= warn_at else "ok"
        else:
            sla = "done"
        approvals = [a for a in (h.get("approver1", ""), h.get("approved_by", "")) if a]
        return {
            "id": h.get("id", ""),
            "state": state,
            "created_at": created,
            "age_seconds": round(age, 1),
            "expires_at": _f(h.get("expires_at")),
            "sla": sla,
            "severity": severity or "medium",
            "sla_due": due,
            "overdue": overdue,
            "assignee": h.get("assignee", ""),
            "assignee_name": h.get("assignee_name", ""),
            "verdict": h.get("verdict", ""),
            "verdict_by": h.get("verdict_by", ""),
            "route": h.get("route", ""),
            "method": h.get("method", ""),
            "channel_id": h.get("channel_id", ""),
            "channel_name": h.get("channel_name", ""),
            "channel_type": h.get("channel_type", ""),
            "team_id": h.get("team_id", ""),
            "team_name": h.get("team_name", ""),
            "root_id": h.get("root_id", ""),
            "sender_id": h.get("sender_id", ""),
            "sender_username": h.get("sender_username", ""),
            "sender_is_bot": h.get("sender_is_bot", "") == "1",
            "hook_id": h.get("hook_id", ""),
            "entity_types": [e for e in h.get("entity_types", "").split(",") if e],
            "entity_counts": json.loads(h.get("entity_counts") or "{}"),
            "finding_count": int(_f(h.get("finding_count"))),
            "record_id": h.get("record_id", ""),
            "request_id": h.get("request_id", ""),
            "policy_version": h.get("policy_version", ""),
            "rule_id": h.get("rule_id", ""),
            "claimed_by": h.get("claimed_by", ""),
            "approvals": approvals,
            # as fixed when it was held (four-eyes then, or its sender's controllers unread)
            "approvals_required": int(_f(h.get("approvals_required"), 2 if self.settings.four_eyes else 1)),
            "controllers_known": h.get("controllers_known", "") == "1",
            "escalated": h.get("escalated", "") == "1",
            "decided_by": h.get("decided_by", ""),
            "decided_at": _f(h.get("decided_at")) or None,
            "release_attempts": int(_f(h.get("release_attempts"))),
            "release_error": h.get("release_error", ""),
            "released_via": h.get("released_via", ""),
            "released_post_id": h.get("released_post_id", ""),
            "notify_status": h.get("notify_status", ""),
            "shredded": "wk" not in h,
        }

    async def get(self, item_id: str) -> dict[str, Any]:
        """The item's summary (no content): what the list shows."""
        return self._summary(await self._raw(item_id), self.clock())

    async def list_items(self, *, sort: str = "age", limit: int | None = None, offset: int = 0,
                         **filters: Unpack[ItemFilters]) -> list[dict[str, Any]]:
        """Items filtered (``ItemFilters``) and sorted (default: oldest first), every
        match unless ``limit`` is given."""
        items = sort_items(await self._select(**filters), sort)
        return items[offset:] if limit is None else items[offset : offset + limit]

    async def released_into(self, channel_id: str) -> bool:
        """Whether an item held for ``channel_id`` was approved, is being released, was
        released or may have been (``release_unknown``): its message may be in the
        channel (gateway/audience.py refuses to widen such a channel's audience).  One
        pass over the items, as ``list_items``: asked only when a channel is made public
        or shared."""
        found = await self._select(state="approved,releasing,release_unknown,released", channel=channel_id)
        return any(i.get("channel_id") == channel_id for i in found)

    async def query(self, *, page: int = 1, size: int = 50, sort: str = "age",
                    **filters: Unpack[ItemFilters]) -> dict[str, Any]:
        """One page of ``list_items`` with the total: ``{"items", "total", "page",
        "size", "pages", "sort"}`` (the console, the API and the CLI all page
        through this, so one search gives the same ids everywhere)."""
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise InvalidRequest(f"page size must be 1..{MAX_PAGE_SIZE}")
        if page < 1:
            raise InvalidRequest("pages are numbered from 1")
        items = sort_items(await self._select(**filters), sort)
        total = len(items)
        return {"items": items[(page - 1) * size : page * size], "total": total, "page": page, "size": size,
                "pages": max(1, -(-total // size)), "sort": sort}  # fmt: skip

    async def _select(self, **filters: Unpack[ItemFilters]) -> list[dict[str, Any]]:
        unknown = set(filters) - set(ItemFilters.__annotations__)
        if unknown:  # a misspelt filter must not silently widen the list
            raise TypeError(f"unknown item filter(s): {', '.join(sorted(unknown))}")
        state = filters.get("state", "active")
        channel, team, entity, sender = (filters.get("channel"), filters.get("team"), filters.get("entity"),
                                         filters.get("sender"))
        min_age, max_age = filters.get("min_age"), filters.get("max_age")
        search, severity, assignee = filters.get("search"), filters.get("severity"), filters.get("assignee")
        overdue, verdict = filters.get("overdue"), filters.get("verdict")
        if state is None or state == "all":
            states: frozenset[str] | None = None
        elif state == "active":
            states = ACTIVE_STATES
        elif state == "open":
            states = OPEN_STATES
        elif isinstance(state, str):
            states = frozenset(state.split(","))
        else:
            states = frozenset(state)
        terms = check_search(search).lower().split() if search else []
        if severity and severity not in SEVERITIES:
            raise InvalidRequest(f"severity must be one of {', '.join(SEVERITIES)}")
        if verdict and verdict not in (*VERDICTS, "none", "any"):
            raise InvalidRequest(f"verdict must be one of {', '.join(VERDICTS)}, none or any")
        ids = [_s(i) for i in await self.r.zrange(self._k("all"), 0, -1)]
        now = self.clock()
        out: list[dict[str, Any]] = []
        fields = [
            "id", "state", "created_at", "expires_at", "route", "method", "channel_id", "channel_name",
            "channel_type", "team_id", "team_name", "root_id", "sender_id", "sender_username", "hook_id",
            "entity_types", "entity_counts", "finding_count", "record_id", "request_id", "policy_version",
            "rule_id", "claimed_by", "approver1", "approved_by", "escalated", "decided_by", "decided_at",
            "release_attempts", "release_error", "released_via", "released_post_id", "notify_status", "key_id",
            "severity", "sla_due", "assignee", "assignee_name", "verdict", "verdict_by", "sender_is_bot",
        ]  # fmt: skip
        chunk = 200
        for i in range(0, len(ids), chunk):
            pipe = self.r.pipeline(transaction=False)
            for item_id in ids[i : i + chunk]:
                pipe.hmget(self._k("item", item_id), fields)
                pipe.hexists(self._k("item", item_id), "wk")
            res = await pipe.execute()
            for j in range(0, len(res), 2):
                values, has_wk = res[j], res[j + 1]
                h = {k: _s(v) for k, v in zip(fields, values, strict=True) if v is not None}
                if not h.get("id"):
                    continue
                if has_wk:
                    h["wk"] = "1"
                if states is not None and h.get("state") not in states:
                    continue
                if not _match(h, channel=channel, team=team, entity=entity, sender=sender):
                    continue
                if terms and not _search_match(h, terms):
                    continue
                if assignee is not None and h.get("assignee", "") != ("" if assignee == "none" else assignee):
                    continue
                if (verdict == "none" and h.get("verdict")) or (verdict == "any" and not h.get("verdict")):
                    continue
                if verdict in VERDICTS and h.get("verdict") != verdict:
                    continue
                age = now - _f(h.get("created_at"))
                if min_age is not None and age < min_age:
                    continue
                if max_age is not None and age > max_age:
                    continue
                summary = self._summary(h, now)
                if severity and summary["severity"] != severity:
                    continue
                if overdue is not None and summary["overdue"] != overdue:
                    continue
                out.append(summary)
        return out

    async def verdict_examples(self, *, since: float | None = None) -> list[dict[str, Any]]:
        """Every item a reviewer labelled, as a labelled example for ``dlp-proxy
        eval`` and ``dlp-proxy policy replay --corpus`` (docs/quarantine.md): the
        masked text and findings of each part, entity types, channel type, the rule
        that held it, the policy's context and the verdict as ``expect``
        (true_positive: the policy was right to stop it; false_positive and benign:
        it should have passed).  Never a value in clear: the text is masked as the
        console shows it, other digit runs included."""
        out: list[dict[str, Any]] = []
        fields = ["id", "verdict", "verdict_by", "verdict_at", "state", "request_id", "record_id", "rule_id",
                  "policy_version", "channel_type", "entity_types", "example", "created_at", "severity"]  # fmt: skip
        for raw in await self.r.zrange(self._k("all"), 0, -1):
            item_id = _s(raw)
            values = await self.r.hmget(self._k("item", item_id), fields)
            h = {k: _s(v) for k, v in zip(fields, values, strict=True) if v is not None}
            if h.get("verdict") not in VERDICTS or not h.get("example"):
                continue
            if since is not None and _f(h.get("verdict_at")) < since:
                continue
            plain = self._open_kept("example", item_id, h["example"])
            if plain is None:
                continue  # sealed under a master key this process does not have
            ex = json.loads(plain)
            verdict = h["verdict"]
            parts = ex.get("parts") or []
            found = sorted({str(f["entity_type"]) for p in parts for f in p.get("findings", ())})
            findings = [{**f, "path": p["path"]} for p in parts for f in p.get("findings", ())]
            out.append({
                "id": item_id,
                # eval's and replay's corpus fields
                "text": "\n".join(str(p.get("text", "")) for p in parts),
                "expect": "stop" if verdict == "true_positive" else "allow",
                "entities": [] if verdict == "false_positive" else found,
                "category": "reviewer",
                "family": verdict,
                "context": ex.get("context") or {},
                # recorded detection: eval and replay judge these instead of re-detecting masked text
                "masked": True,
                "parts": parts,
                "findings": findings,
                # the review
                "verdict": verdict,
                "verdict_by": h.get("verdict_by", ""),
                "verdict_at": _f(h.get("verdict_at")) or None,
                "state": h.get("state", ""),
                "entity_types": found,
                "channel_type": h.get("channel_type", ""),
                "rule_id": h.get("rule_id", ""),
                "policy_version": h.get("policy_version", ""),
                "severity": h.get("severity", ""),
                "request_id": h.get("request_id", ""),
                "record_id": h.get("record_id", ""),
            })  # fmt: skip
        return out

    async def history(self, item_id: str, *, data_key: bytes | None = None) -> list[dict[str, Any]]:
        raw = await self.r.lrange(self._k("hist", item_id), 0, -1)
        out: list[dict[str, Any]] = []
        for entry in raw:
            e = json.loads(_s(entry))
            note = e.pop("note", None)
            kept = e.pop("nk", None)
            if note and kept and data_key is None:
                # decided (shredded): the console shows the note from the archive,
                # masked by the detector (review/context.py restore_notes)
                e["note"] = None
                e["note_shredded"] = True
            elif note and kept:  # sealed under the master-derived note key
                text = self._open_kept("note", item_id, note)
                e["note"] = text.decode() if text is not None else None
                if text is None:
                    e["note_unreadable"] = True  # sealed under a master key this process lacks
            elif note:  # written before notes outlived the item: gone with its data key
                if data_key is None:
                    e["note"] = None
                    e["note_shredded"] = True
                else:
                    e["note"] = crypto.open_sealed(data_key, note, item_id, "note").decode()
            out.append(e)
        return out

    async def _data_key(self, h: Mapping[str, str], item_id: str) -> bytes | None:
        wk = h.get("wk")
        if not wk:
            return None
        return crypto.unwrap_key(self._keyring, wk, item_id)

    async def _content(self, item_id: str) -> tuple[dict[str, str], bytes | None, dict[str, Any] | None]:
        h = await self._raw(item_id)
        dk = await self._data_key(h, item_id)
        if dk is None or not h.get("ct"):
            return h, dk, None
        payload = json.loads(crypto.open_sealed(dk, h["ct"], item_id, "request"))
        return h, dk, payload

    # ---------------------------------------------------------------- helpers
    @staticmethod
    def _require(actor: Actor, permission: str) -> None:
        if not actor.can(permission):
            raise Forbidden(f"{actor.name} ({', '.join(sorted(actor.roles)) or 'no role'}) may not {permission}")

    @staticmethod
    def _reason(reason: str | None, minimum: int, what: str) -> str:
        text = (reason or "").strip()
        if len(text) < minimum:
            raise InvalidRequest(f"a written reason of at least {minimum} characters is required to {what}")
        return text

    async def _checked_reason(self, actor: Actor, text: str) -> str:
        """A person's free text as it may be archived or sent to the sender: masked
        by the detector (a reviewer may paste the identifier), or REASON_WITHHELD
        when it cannot be checked -- never kept in clear.  The system's own reasons
        (expiry, release errors) are the service's words and pass as they are."""
        if not text or actor.via == "system":
            return text
        if self.mask_text is None:
            return REASON_WITHHELD
        try:
            return await asyncio.to_thread(self.mask_text, text)
        except Exception as exc:  # a broken detector, a text too long: withheld, never in clear
            log.warning("reason not checked for identifiers; withheld: %s", type(exc).__name__)
            return REASON_WITHHELD

    async def _record(
        self, actor: Actor, action: str, h: Mapping[str, str], *, reason: str = "", checked: bool = False,
        **extra: Any,
    ) -> str:
        """Archive ``actor``'s ``action`` on item ``h``.  ``reason`` is masked here
        (``_checked_reason``) unless the caller did so already (``checked``)."""
        if not checked:
            reason = await self._checked_reason(actor, reason)
        now = self.clock()
        record = {
            "type": "review",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "ts": now,
            "item_id": h.get("id", ""),
            "action": action,
            "actor": actor.to_json(),
            "reason": reason,
            "quarantine_record_id": h.get("record_id", ""),
            "request_id": h.get("request_id", ""),
            "route": h.get("route", ""),
            "channel_id": h.get("channel_id", ""),
            "team_id": h.get("team_id", ""),
            "sender_id": h.get("sender_id", ""),
            "sender_username": h.get("sender_username", ""),
            "entity_counts": json.loads(h.get("entity_counts") or "{}"),
            **extra,
        }
        return await self.archive.append(record)

    async def _run(self, script: Any, keys: list[str], args: list[Any]) -> tuple[str, str]:
        res = await script(keys=keys, args=args)
        return _s(res[0]), _s(res[1])

    async def _note(self, item_id: str, h: Mapping[str, str], actor: Actor, action: str, text: str,
                    record_id: str, **extra: Any) -> None:  # fmt: skip
        # Notes (reasons, comments) are sealed under a key derived from the master key.
        # Once the item is decided they are shown from the archive instead, masked by
        # the detector (review/context.py): a reviewer may have typed an identifier.
        note_ct = self._seal_kept("note", item_id, text.encode()) if text else ""
        if note_ct:
            extra = {**extra, "nk": 1}
        await self.r.rpush(
            self._k("hist", item_id),
            self._hist_entry(actor, action, self.clock(), note_ct=note_ct, record_id=record_id, extra=extra),
        )

    async def _finish_stream(self, h: Mapping[str, str]) -> None:
        sid = h.get("sid")
        if sid:
            await self._ensure_group()
            await self.r.xack(self.stream, self.GROUP, sid)
            await self.r.xdel(self.stream, sid)

    async def _shred(self, item_id: str, h: Mapping[str, str]) -> None:
        """Destroy the data key (and with it content, credentials and notes)."""
        pipe = self.r.pipeline(transaction=True)
        pipe.hdel(self._k("item", item_id), "wk", "ct")
        pipe.delete(self._k("cred", item_id))
        for z in ("open", "retry", "forced", "releasing"):
            pipe.zrem(self._k(z), item_id)
        await pipe.execute()
        await self._finish_stream(h)


def _match(h: Mapping[str, str], *, channel: str | None, team: str | None, entity: str | None,
           sender: str | None) -> bool:  # fmt: skip
    def has(value: str | None, *fields: str) -> bool:
        if not value:
            return True
        v = value.strip().lstrip("@~").lower()
        return any(v == h.get(f, "").lower() or (len(v) >= 2 and v in h.get(f, "").lower()) for f in fields)

    if entity and entity.upper() not in h.get("entity_types", "").split(","):
        return False
    return (
        has(channel, "channel_name", "channel_id")
        and has(team, "team_name", "team_id")
        and has(sender, "sender_username", "sender_id")
    )


#: what a search looks in: ids and names, never content
SEARCH_FIELDS = ("id", "request_id", "record_id", "sender_username", "sender_id", "channel_name", "channel_id",
                 "team_name", "team_id", "assignee_name", "assignee", "hook_id")  # fmt: skip


def _search_match(h: Mapping[str, str], terms: Sequence[str]) -> bool:
    hay = " ".join(h.get(f, "") for f in SEARCH_FIELDS).lower()
    return all(t.lstrip("@~") in hay for t in terms)


def sort_items(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Order items by ``sort`` (SORTS, ``-`` prefix reverses); ties oldest first."""
    key = sort.strip() or "age"
    reverse = key.startswith("-")
    key = key.lstrip("-")
    if key not in SORTS:
        raise InvalidRequest(f"sort must be one of {', '.join(SORTS)} (a leading - reverses)")
    rank = {s: i for i, s in enumerate(SEVERITIES)}

    def k(it: Mapping[str, Any]) -> tuple[Any, ...]:
        if key == "severity":
            return (rank.get(it["severity"], 1), it["created_at"], it["id"])
        if key == "state":
            return (STATE_ORDER.get(it["state"], 99), it["created_at"], it["id"])
        if key == "due":
            return (it["sla_due"], it["created_at"], it["id"])
        return (it["created_at"], it["id"])

    return sorted(items, key=k, reverse=reverse)
