"""The quarantine queue: durable, encrypted held requests and their review workflow.

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
- ``S:releasing``       zset id -> start time of releases in flight
- ``S:idem:{key}``      release idempotency marker (``sending:...`` then ``done:...``)
- ``S:audit``           stream of review records, only when no archive is configured

State machine (``State``)::

    held --approve--> approved --release--> releasing --> released
      |  \\--approve (four-eyes)--> awaiting_second --approve (2nd person)--> approved
      |                                 releasing --> release_failed (retried, visible)
      |                                 releasing --> release_unknown (crash mid-send; a human decides)
      +--reject--> rejected      +--expiry--> expired (or escalated once)

``released``, ``rejected`` and ``expired`` are final: the data key is deleted
(crypto-shred) and only the archive keeps the record.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dlp_proxy.interfaces import Archive, HeldRequest, QuarantineError
from dlp_proxy.model import describe_entities
from dlp_proxy.quarantine import crypto, notices, scripts
from dlp_proxy.quarantine.masking import mask_value, masked_text, segments
from dlp_proxy.quarantine.principals import PrincipalResolver, Unresolvable

log = logging.getLogger("dlp_proxy.quarantine")

T = TypeVar("T")


class State(enum.StrEnum):
    HELD = "held"
    AWAITING_SECOND = "awaiting_second"
    APPROVED = "approved"
    RELEASING = "releasing"
    RELEASED = "released"
    RELEASE_FAILED = "release_failed"
    RELEASE_UNKNOWN = "release_unknown"
    REJECTED = "rejected"
    EXPIRED = "expired"


OPEN_STATES = frozenset({State.HELD.value, State.AWAITING_SECOND.value})
FINAL_STATES = frozenset({State.RELEASED.value, State.REJECTED.value, State.EXPIRED.value})
ACTIVE_STATES = frozenset(s.value for s in State) - FINAL_STATES

ROLES = ("reviewer", "approver", "auditor", "admin")

#: Which role may do what.  Auditors are read-only: they see the queue and the
#: masked items and history, never the revealed values, and change nothing.
PERMISSIONS: Mapping[str, frozenset[str]] = {
    "view": frozenset({"reviewer", "approver", "auditor", "admin"}),
    "reveal": frozenset({"reviewer", "approver", "admin"}),
    "comment": frozenset({"reviewer", "approver", "admin"}),
    "claim": frozenset({"reviewer", "approver", "admin"}),
    "reject": frozenset({"reviewer", "approver", "admin"}),
    "approve": frozenset({"approver", "admin"}),
    "retry": frozenset({"approver", "admin"}),
    "purge": frozenset({"admin"}),
    #: give an item to *another* reviewer (anyone who may claim may take one)
    "assign": frozenset({"approver", "admin"}),
}

#: What a reviewer says about a decided item (the learning loop: ``quarantine verdicts``).
VERDICTS = ("true_positive", "false_positive", "benign")

#: Severities, most urgent first; set when an item is held (``severity_of``).
SEVERITIES = ("high", "medium", "low")

#: Default review deadlines per severity (DLP_QUARANTINE_SLA).
DEFAULT_SLA: Mapping[str, float] = {"high": 3600.0, "medium": 4 * 3600.0, "low": 24 * 3600.0}

#: Distinct identifiers in one request from which a hold counts as bulk.
BULK_FINDINGS = 5

#: List orders: ``age`` oldest first, ``severity`` most severe first, ``state`` in
#: workflow order, ``due`` soonest review deadline first; ``-`` reverses.
SORTS = ("age", "severity", "state", "due")
STATE_ORDER = {s: i for i, s in enumerate(
    ("release_unknown", "release_failed", "held", "awaiting_second", "approved", "releasing", "released",
     "rejected", "expired"))}  # fmt: skip
MAX_PAGE_SIZE = 500

#: A search text that is only digits (and separators) and this long looks like an
#: identifier someone copied from a message: it is refused, never looked for.
_IDENTIFIER_LIKE = re.compile(r"[\d\s\-./()]*")
#: Runs of digits outside the findings, masked in exported examples (an identifier
#: the detector missed is never exported in clear).
_DIGIT_RUN = re.compile(r"\d(?:[\s\-./]?\d){3,}")

#: Post prop naming the quarantine item a released post comes from (author and bot
#: copies alike); a forced retry recognises an earlier delivery by it.
RELEASE_PROP = "dlp_release_id"

#: Headers that authenticate the sender: stored apart, encrypted, with a short TTL.
AUTH_HEADERS = frozenset({"authorization", "cookie", "x-csrf-token"})


class NotFound(QuarantineError):
    """No such item (or it was purged)."""


class Conflict(QuarantineError):
    """The item is not in a state that allows this action (someone else acted first)."""

    def __init__(self, message: str, state: str = "") -> None:
        super().__init__(message)
        self.state = state


class Forbidden(QuarantineError):
    """The actor's role does not allow the action, or it is their own message."""


class InvalidRequest(QuarantineError):
    """A required reason is missing or too short, an unknown action, ..."""


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``4h``, ``1d`` -> seconds."""
    t = text.strip().lower()
    unit = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}.get(t[-1:], 0.0)
    number = float(t[:-1] if unit else t)
    if number <= 0:
        raise ValueError(f"a review deadline must be positive, not {text!r}")
    return number * (unit or 1.0)


def parse_sla(spec: str) -> dict[str, float]:
    """``high=1h,medium=4h,low=24h`` -> seconds per severity (missing ones keep
    their default)."""
    out = dict(DEFAULT_SLA)
    for part in spec.split(","):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep or name not in SEVERITIES:
            raise ValueError(f"quarantine SLA: {part.strip()!r} is not severity=duration "
                             f"(severities: {', '.join(SEVERITIES)})")  # fmt: skip
        out[name] = parse_duration(value)
    return out


def severity_of(decision: Any) -> str:
    """How urgent a hold is, from the policy's decision when it was made: bulk
    (``BULK_FINDINGS`` or more identifiers, or a matched rule counting many) is
    ``high``; several kinds of identifier, or an uninspected file (unknown
    content) is ``medium``; a single kind of identifier is ``low``."""
    counts = decision.entity_counts()
    total = sum(counts.values())
    rules = decision.details.get("matched_rules") if isinstance(decision.details, Mapping) else None
    names = [str(r.get("rule", "")) for r in rules or () if isinstance(r, Mapping)]
    if total >= BULK_FINDINGS or any("bulk" in n for n in [*names, decision.rule_id or ""]):
        return "high"
    if len(counts) >= 2 or total == 0:
        return "medium"
    return "low"


def check_search(text: str) -> str:
    """The search text, or InvalidRequest when it looks like an identifier: search
    covers item, request and record ids and names, never message content, and an
    identifier is never something to look for (or to leave in a log)."""
    t = text.strip()
    if len(t) > 200:
        raise InvalidRequest("search text is too long (200 characters at most)")
    digits = sum(c.isdigit() for c in t)
    if digits >= 6 and _IDENTIFIER_LIKE.fullmatch(t):
        raise InvalidRequest("search covers item, request and archive record ids, senders, channels and teams; "
                             "a number that looks like an identifier is not searched")  # fmt: skip
    return t


#: A Mattermost id: 26 characters of [a-z0-9] (model.IsValidId, server/public/model/utils.go).
MATTERMOST_ID = re.compile(r"[a-z0-9]{26}")


def is_mattermost_id(value: object) -> bool:
    return isinstance(value, str) and MATTERMOST_ID.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and the person behind it.

    ``user_id`` is the actor's *principal*: the Mattermost user id of the person
    who holds the credential used -- their Mattermost session, a break-glass
    account, an API token (both files name the holder's id), the CLI operator
    (``--principal``), and any later sign-in method (an OIDC identity maps to the
    same id).  One person is one principal whatever the way in: self-approval and
    four-eyes compare principals, never names, and an approval needs one.
    ``name`` is for display and history only; ``via`` says which way in."""

    name: str
    roles: frozenset[str]
    user_id: str | None = None  # the principal (Mattermost user id)
    via: str = "console"  # console | api | cli | break-glass | system

    @property
    def principal(self) -> str | None:
        return self.user_id

    def can(self, permission: str) -> bool:
        return bool(self.roles & PERMISSIONS[permission])

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "user_id": self.user_id,
            "roles": sorted(self.roles),
            "via": self.via,
        }


SYSTEM = Actor("system", frozenset({"admin"}), via="system")


@dataclass(frozen=True, slots=True)
class QuarantineSettings:
    four_eyes: bool = False  # two distinct approvers before release
    expire_after: float = 24 * 3600.0  # undecided items are expired after this
    on_expiry: str = "reject"  # reject | escalate (escalate once, then reject)
    escalate_after: float = 24 * 3600.0  # extra time an escalated item gets
    credential_ttl: float = 15 * 60.0  # how long the sender's own credentials are kept
    claim_idle: float = 15 * 60.0  # a claim idle this long goes to the next reviewer
    sla_warn: float = 3600.0  # items held before severities existed: warn after this ...
    sla_breach: float = 4 * 3600.0  # ... and overdue after this
    #: review deadline per severity (DLP_QUARANTINE_SLA); warned at 75 % of it
    sla: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_SLA))
    bot_token: str | None = None  # releases when the sender's credentials expired
    notify_token: str | None = None  # ephemeral posts to the sender (needs system admin)
    release_timeout: float = 10.0
    retry_base: float = 30.0
    retry_max: float = 1800.0
    stale_release_after: float = 300.0  # 'releasing' older than this -> release_unknown
    reveal_reason_min: int = 10
    decision_reason_min: int = 3
    idem_ttl: float = 30 * 86400.0
    #: aof-check (CONFIG GET must show appendonly yes + appendfsync always, or WAITAOF
    #: is available) | trust (a managed Redis whose durability is guaranteed elsewhere)
    durability: str = "aof-check"

    def __post_init__(self) -> None:
        if self.on_expiry not in ("reject", "escalate"):
            raise ValueError(f"quarantine on_expiry must be 'reject' or 'escalate', not {self.on_expiry!r}")
        if self.durability not in ("aof-check", "trust"):
            raise ValueError(f"quarantine durability must be 'aof-check' or 'trust', not {self.durability!r}")
        unknown = set(self.sla) - set(SEVERITIES)
        if unknown or any(float(v) <= 0 for v in self.sla.values()):
            raise ValueError(f"quarantine sla: severities {', '.join(SEVERITIES)} with positive durations")


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    return str(v)


def _f(v: Any, default: float = 0.0) -> float:
    try:
        return float(_s(v)) if v not in (None, b"", "") else default
    except ValueError:
        return default


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


def _example(held: HeldRequest) -> dict[str, Any]:
    """What a verdict on this hold teaches (``quarantine verdicts``): the masked
    text of every scanned part with its findings, and the policy's context."""
    d = held.decision
    parts = []
    for s in d.scanned:
        findings = [{k: f.to_json()[k] for k in ("entity_type", "start", "end", "score", "recognizer")}
                    for f in s.findings]  # fmt: skip
        parts.append({"path": s.item.path, "kind": s.item.kind.value,
                      "text": mask_for_export(s.item.text, findings), "findings": findings})  # fmt: skip
    return {"parts": parts, "context": held.context.to_json(), "action": d.action.value, "rule_id": d.rule_id,
            "policy_version": d.policy_version, "entity_types": list(d.entity_types)}  # fmt: skip


class QuarantineService:
    """Held requests in Redis, their review, release and expiry.  See the module doc."""

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
        self.settings = settings or QuarantineSettings()
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
        counts = held.decision.entity_counts()
        severity = severity_of(held.decision)
        fields: dict[str, str] = {
            "id": item_id,
            "state": State.HELD.value,
            "created_at": repr(created),
            "expires_at": repr(created + self.settings.expire_after),
            "route": ctx.route,
            "route_group": ctx.route_group,
            "method": held.method,
            "channel_id": ctx.channel_id or "",
            "channel_name": ctx.channel_name or "",
            "channel_type": ctx.channel_type.value if ctx.channel_type else "",
            "team_id": ctx.team_id or "",
            "team_name": ctx.team_name or "",
            "root_id": ctx.root_id or "",
            "sender_id": ctx.user_id or "",
            "sender_username": ctx.username or "",
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
            # fixed now: a later change of DLP_FOUR_EYES does not change this item's rule
            "approvals_required": "2" if self.settings.four_eyes else "1",
            "severity": severity,
            "sla_due": repr(created + self.settings.sla.get(severity, self.settings.sla_breach)),
            "sender_is_bot": "1" if ctx.is_bot else "0",
            "example": self._seal_kept("example", item_id, json.dumps(_example(held), default=str).encode()),
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
            "approvals_required": 2 if self.settings.four_eyes else 1,
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

    async def list_items(
        self,
        *,
        state: str | Sequence[str] | None = "active",
        channel: str | None = None,
        team: str | None = None,
        entity: str | None = None,
        sender: str | None = None,
        min_age: float | None = None,
        max_age: float | None = None,
        search: str | None = None,
        severity: str | None = None,
        assignee: str | None = None,
        overdue: bool | None = None,
        verdict: str | None = None,
        sort: str = "age",
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Items filtered and sorted (default: oldest first), every match unless
        ``limit`` is given.  ``state``: a state, a list of states, ``active`` (not
        final), ``open`` (awaiting a decision), ``all`` or None.  ``search``: words
        that must all occur (case-insensitive) in the item id, the request id the
        sender was given, the archive record id, the sender, channel, team or
        assignee name or id -- never in message content.  ``assignee``: a
        principal, or ``none`` for unassigned items."""
        items = await self._select(state=state, channel=channel, team=team, entity=entity, sender=sender,
                                   min_age=min_age, max_age=max_age, search=search, severity=severity,
                                   assignee=assignee, overdue=overdue, verdict=verdict)  # fmt: skip
        items = sort_items(items, sort)
        return items[offset:] if limit is None else items[offset : offset + limit]

    async def query(self, *, page: int = 1, size: int = 50, sort: str = "age", **filters: Any) -> dict[str, Any]:
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

    async def _select(
        self,
        *,
        state: str | Sequence[str] | None = "active",
        channel: str | None = None,
        team: str | None = None,
        entity: str | None = None,
        sender: str | None = None,
        min_age: float | None = None,
        max_age: float | None = None,
        search: str | None = None,
        severity: str | None = None,
        assignee: str | None = None,
        overdue: bool | None = None,
        verdict: str | None = None,
    ) -> list[dict[str, Any]]:
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

    async def reveal(self, item_id: str, actor: Actor, reason: str) -> dict[str, Any]:
        return await self.show(item_id, actor, reveal_reason=reason)

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

    async def _record(
        self, actor: Actor, action: str, h: Mapping[str, str], *, reason: str = "", **extra: Any
    ) -> str:
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

    async def _set_verdict(self, item_id: str, actor: Actor, verdict: str | None) -> None:
        if verdict:
            await self.r.hset(self._k("item", item_id), mapping={
                "verdict": verdict, "verdict_by": actor.name, "verdict_by_uid": actor.user_id or "",
                "verdict_at": repr(self.clock())})  # fmt: skip

    async def _principals(self, item_id: str, actor: Actor) -> tuple[str, str]:
        """(the actor's principal, the sender's principal), bots resolved to their
        owners (quarantine/principals.py).  Forbidden when it cannot be told."""
        h = await self._raw(item_id)
        try:
            # A Mattermost password sign-in is never a bot (Mattermost refuses bots at
            # login: checkUserNotBot, server/channels/app/authentication.go); break-glass,
            # API token and CLI principals are ids from a file or flag: looked up.
            mine = actor.user_id or ""
            if mine and actor.via != "console":
                mine = await self.principals.resolve(mine)
            sender = h.get("sender_id", "")
            flag = h.get("sender_is_bot")
            theirs = sender
            if sender and flag != "0":
                theirs = await self.principals.resolve(sender, is_bot=flag == "1")
            elif sender:
                # the gateway saw the sender's users/me when it held the item (not a bot):
                # looked up again when possible, and taken as a person if Mattermost cannot say
                try:
                    theirs = await self.principals.resolve(sender)
                except Unresolvable:
                    theirs = sender
        except Unresolvable as exc:
            raise Forbidden(f"cannot tell whose bot is involved, so the approval is refused: {exc}") from exc
        return mine, theirs

    async def approve(self, item_id: str, actor: Actor, reason: str, *, verdict: str | None = None) -> dict[str, Any]:
        """Approve; with four-eyes the first approval waits for a second person.
        Releases at once when the last approval lands.  Returns the item summary.
        Self-approval and four-eyes compare principals, a bot counting as its owner."""
        self._require(actor, "approve")
        reason = self._reason(reason, self.settings.decision_reason_min, "approve")
        verdict = self._verdict(verdict)
        key = self._k("item", item_id)
        mine, sender_principal = await self._principals(item_id, actor)
        now = self.clock()
        need = "2" if self.settings.four_eyes else "1"
        grace = now + self.settings.retry_base
        outcome, before = await self._run(
            self._approve, [key, self._k("retry")],
            [actor.name, mine, need, repr(now), grace, item_id, sender_principal],
        )  # fmt: skip
        if outcome == "missing":
            raise NotFound(f"no quarantined item {item_id!r}")
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
            rec = await self._record(actor, action, h, reason=reason, state_before=before,
                                     **({"verdict": verdict, "verdict_by": actor.name} if verdict else {}))  # fmt: skip
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

    async def reject(self, item_id: str, actor: Actor, reason: str, *, notify: bool = True,
                     verdict: str | None = None) -> dict[str, Any]:  # fmt: skip
        self._require(actor, "reject")
        reason = self._reason(reason, self.settings.decision_reason_min, "reject")
        verdict = self._verdict(verdict)
        return await self._final(item_id, actor, "reject", State.REJECTED, reason,
                                 from_states=(State.HELD, State.AWAITING_SECOND, State.RELEASE_FAILED),
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
            rec = await self._record(actor, action, h, reason=reason, state_before=before,
                                     **({"verdict": verdict, "verdict_by": actor.name} if verdict else {}))  # fmt: skip
        except Exception:
            await self._revert(keys=[key], args=[to.value, before, "decided_by", "decided_at"])
            raise
        await self._set_verdict(item_id, actor, verdict)
        await self._note(item_id, h, actor, action, reason, rec, **({"verdict": verdict} if verdict else {}))
        await self._shred(item_id, h)
        if notify:
            await self._notify(h, to.value, reason=reason)
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
        for z in ("open", "all", "retry", "releasing"):
            pipe.zrem(self._k(z), item_id)
        await pipe.execute()
        return rec

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
        for z in ("open", "retry", "releasing"):
            pipe.zrem(self._k(z), item_id)
        await pipe.execute()
        await self._finish_stream(h)

    # ---------------------------------------------------------------- release
    async def retry_release(self, item_id: str, actor: Actor, reason: str, *, force: bool = False) -> dict[str, Any]:
        """Retry a failed release now; ``force`` also retries a release whose outcome
        is unknown (a human checked Mattermost and found the post missing)."""
        self._require(actor, "retry")
        reason = self._reason(reason, self.settings.decision_reason_min, "retry a release")
        h = await self._raw(item_id)
        if force and h.get("state") != State.RELEASE_UNKNOWN.value:
            force = False
        rec = await self._record(actor, "retry_release", h, reason=reason, force=force)
        await self._note(item_id, h, actor, "retry_release", reason, rec)
        if self.delivers or force:
            await self._release(item_id, force=force)
        else:
            await self.r.zadd(self._k("retry"), {item_id: self.clock()})  # the gateway's next sweep
        return await self.get(item_id)

    # ---------------------------------------------------------------- deliverers
    async def heartbeat(self, worker_id: str) -> None:
        """A gateway that delivers releases says so (dlp-proxy quarantine tells an
        operator whether an approval will be released now or when one starts)."""
        await self.r.zadd(self._k("deliverers"), {worker_id: self.clock()})

    async def deliverer_alive(self, within: float = 60.0) -> bool:
        now = self.clock()
        await self.r.zremrangebyscore(self._k("deliverers"), "-inf", now - 24 * 3600)
        return bool(await self.r.zrangebyscore(self._k("deliverers"), now - within, "+inf"))

    async def _release(self, item_id: str, *, force: bool = False) -> str:
        key = self._k("item", item_id)
        h = await self._raw(item_id)
        idem_key = self._k("idem", h.get("idem") or item_id)
        now = self.clock()
        token = secrets.token_hex(8)
        marker = f"sending:{item_id}:{token}"

        async def abort() -> str:
            # Nothing left this process: undo the begin (if it ran).  A forced retry
            # goes back to release_unknown (its earlier send is still unaccounted
            # for), a plain one to release_failed, and is retried.
            restore = State.RELEASE_UNKNOWN if force else State.RELEASE_FAILED
            err = ("not re-sent: Redis connection lost before the check; the earlier send is still unaccounted for"
                   if force else "Redis connection lost before sending")  # fmt: skip
            await self._retrying(lambda: self._abort_release(
                keys=[key, idem_key, self._k("retry"), self._k("releasing")],
                args=[token, marker, now + self.settings.retry_base, item_id, restore.value, err]))  # fmt: skip
            return restore.value

        try:
            outcome, before = await self._run(
                self._begin_release, [key, idem_key, self._k("releasing")],
                [item_id, repr(now), "1" if force else "0", int(self.settings.idem_ttl), token],
            )  # fmt: skip
        except (RedisConnectionError, RedisTimeoutError):
            # We do not know whether the script ran; we do know nothing was sent.
            return await abort()
        if outcome == "conflict":
            return before
        if outcome == "marked":
            if before.startswith("done:"):
                # Same idempotency key already released (a retried post held twice).
                await self._settle(item_id, h, via="duplicate", post_id=before.split(":")[-1])
                return State.RELEASED.value
            await self._run(self._transition, [key], [h.get("state", ""), State.RELEASE_UNKNOWN.value,
                            "release_error", "another release with the same idempotency key is in flight"])  # fmt: skip
            return State.RELEASE_UNKNOWN.value
        if outcome != "ok":
            raise NotFound(f"no quarantined item {item_id!r}")
        # Begun: from here until the request is on the wire, a Redis failure means
        # nothing was sent, so the release is put back instead of left 'releasing'.
        found: str | None = None
        try:
            h = await self._raw(item_id)
            if before == State.RELEASE_UNKNOWN.value:
                # A forced retry of a release whose first send may have landed: look in
                # Mattermost before sending again, never post twice.
                try:
                    found = await self._find_delivered(item_id, h)
                except _Failed as exc:
                    err = f"not re-sent: could not check Mattermost for the earlier delivery ({exc})"
                    await self._retrying(lambda: self._run(self._transition, [key], [
                        State.RELEASING.value, State.RELEASE_UNKNOWN.value, "release_error", err]))  # fmt: skip
                    await self._retrying(lambda: self.r.zrem(self._k("releasing"), item_id))
                    return State.RELEASE_UNKNOWN.value
            prepared = None if found is not None else await self._prepare_send(item_id, h)
        except (RedisConnectionError, RedisTimeoutError):
            return await abort()
        except _Failed as exc:
            return await self._release_failed(item_id, h, idem_key, str(exc))
        if found is not None:
            await self._retrying(lambda: self.r.set(idem_key, f"done:{item_id}:{found}",
                                                    ex=int(self.settings.idem_ttl)))  # fmt: skip
            await self._settle(item_id, h, via="found", post_id=found)
            return State.RELEASED.value
        assert prepared is not None
        try:
            via, post_id = await self._send(item_id, *prepared)
        except _Ambiguous as exc:
            err = str(exc)
            await self._retrying(lambda: self._run(self._transition, [key], [
                State.RELEASING.value, State.RELEASE_UNKNOWN.value, "release_error", err]))  # fmt: skip
            await self._retrying(lambda: self.r.zrem(self._k("releasing"), item_id))
            await self._record(SYSTEM, "release_unknown", h, reason=err)
            return State.RELEASE_UNKNOWN.value
        except _Failed as exc:
            return await self._release_failed(item_id, h, idem_key, str(exc))
        await self._retrying(lambda: self.r.set(idem_key, f"done:{item_id}:{post_id}", ex=int(self.settings.idem_ttl)))
        await self._settle(item_id, h, via=via, post_id=post_id)
        return State.RELEASED.value

    async def _release_failed(self, item_id: str, h: Mapping[str, str], idem_key: str, err: str) -> str:
        """Mattermost created nothing: free the marker and retry later with backoff."""
        attempts = int(_f(h.get("release_attempts"), 1))
        delay = min(self.settings.retry_max, self.settings.retry_base * 2 ** max(0, attempts - 1))

        async def fail() -> None:
            pipe = self.r.pipeline(transaction=True)
            pipe.delete(idem_key)
            pipe.zadd(self._k("retry"), {item_id: self.clock() + delay})
            pipe.zrem(self._k("releasing"), item_id)
            await pipe.execute()
            await self._run(self._transition, [self._k("item", item_id)], [
                State.RELEASING.value, State.RELEASE_FAILED.value, "release_error", err])  # fmt: skip

        await self._retrying(fail)
        await self._record(SYSTEM, "release_failed", h, reason=err, attempt=attempts)
        return State.RELEASE_FAILED.value

    async def _retrying(self, fn: Callable[[], Awaitable[T]], attempts: int = 40) -> T:
        """After a release was sent, its outcome must be recorded even if Redis
        blinks: retry for ~20 s before giving up (the item then shows 'releasing'
        and becomes release_unknown; never re-sent automatically)."""
        for i in range(attempts):
            try:
                return await fn()
            except (RedisConnectionError, RedisTimeoutError, OSError):
                if i == attempts - 1:
                    raise
                await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    async def _settle(self, item_id: str, h: Mapping[str, str], *, via: str, post_id: str) -> None:
        """Mark the item released.  The Redis steps are retried on their own (the
        transition and the shred are idempotent); the archive record and the
        sender's notification happen once, so a Redis blink does not repeat them."""
        await self._retrying(lambda: self._run(
            self._transition,
            [self._k("item", item_id)],
            [
                "releasing,approved,release_failed,release_unknown",
                State.RELEASED.value,
                "released_via", via, "released_post_id", post_id, "released_at", repr(self.clock()),
                "release_error", "",
            ],
        ))  # fmt: skip
        await self._retrying(lambda: self._shred(item_id, h))
        try:
            await self._record(SYSTEM, "released", h, via=via, post_id=post_id)
        except Exception as exc:  # released already: flag it, never hide it
            name = type(exc).__name__
            log.error("archive record of release of %s failed: %s", item_id, name)
            await self._retrying(lambda: self.r.hset(self._k("item", item_id), "archive_error", name))
        if via != "duplicate":
            await self._notify(h, State.RELEASED.value)

    async def _prepare_send(
        self, item_id: str, h: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[tuple[str, list[tuple[str, str]], bytes]]]:
        """Everything the release needs from Redis (content, credentials), read
        before anything is sent.  Raises _Failed when it cannot be released."""
        dk = await self._data_key(h, item_id)
        if dk is None:
            raise _Failed("the item's data key is gone; it cannot be released")
        payload = json.loads(crypto.open_sealed(dk, h["ct"], item_id, "request"))
        headers = [(k, v) for k, v in payload["headers"] if k.lower() not in ("content-length", "host")]
        body = payload["body"].encode("latin-1")
        post = _post_body(payload, body)
        if post is not None:
            # Tag the post with the item it releases: a forced retry finds exactly
            # this item's post, never another held copy of the same text.
            post["props"] = {**(post["props"] if isinstance(post.get("props"), dict) else {}),
                             RELEASE_PROP: item_id}  # fmt: skip
            body = json.dumps(post).encode()
        cred_blob = await self.r.get(self._k("cred", item_id))
        attempts: list[tuple[str, list[tuple[str, str]], bytes]] = []
        if cred_blob or h.get("auth_needed") == "0":
            auth = json.loads(crypto.open_sealed(dk, _s(cred_blob), item_id, "credentials")) if cred_blob else []
            attempts.append(("author", headers + [(k, v) for k, v in auth], body))
        bot = self._bot_request(post, h, headers)
        if bot is not None:
            attempts.append(bot)
        if not attempts:
            raise _Failed("the sender's credentials expired and no bot token is configured for this route")
        return payload, attempts

    async def _send(
        self, item_id: str, payload: Mapping[str, Any], attempts: list[tuple[str, list[tuple[str, str]], bytes]]
    ) -> tuple[str, str]:
        """Send the release (as the author, then as the bot on 401/403).  No Redis
        access here: once this runs, the request may be on the wire."""
        last = ""
        for via, hdrs, data in attempts:
            url = self.upstream_url + payload["path"]
            try:
                resp = await self._client().request(
                    payload["method"], url, headers=[*hdrs, ("X-DLP-Release", item_id)], content=data
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise _Failed(f"Mattermost unreachable: {type(exc).__name__}") from exc
            except httpx.HTTPError as exc:
                raise _Ambiguous(f"sent, but no answer from Mattermost: {type(exc).__name__}") from exc
            if resp.status_code < 300:
                post_id = ""
                try:
                    post_id = str(resp.json().get("id", ""))
                except (ValueError, AttributeError):
                    pass
                return via, post_id
            last = f"Mattermost answered {resp.status_code} to the release as {via}"
            if resp.status_code not in (401, 403):
                raise _Failed(last)
        raise _Failed(last)

    async def _find_delivered(self, item_id: str, h: Mapping[str, str]) -> str | None:
        """The id of the post an earlier, interrupted release of this item already
        created, or None if the channel has no such post.  A release post carries
        this item's id in its props (RELEASE_PROP): that tag is what is matched, so
        another item's post with the same text, sender and thread is never taken for
        this one.  Only posts (POST /api/v4/posts) can be checked; for other routes
        this raises _Failed (a person must decide)."""
        dk = await self._data_key(h, item_id)
        if dk is None:
            raise _Failed("the item's data key is gone")
        payload = json.loads(crypto.open_sealed(dk, h["ct"], item_id, "request"))
        post = _post_body(payload, payload["body"].encode("latin-1"))
        if post is None:
            raise _Failed(f"a {payload['method']} {urlsplit(payload['path']).path} cannot be looked up")
        if not post.get("channel_id"):
            raise _Failed("the held post names no channel")
        tokens: list[list[tuple[str, str]]] = []
        cred_blob = await self.r.get(self._k("cred", item_id))
        if cred_blob:
            tokens.append(json.loads(crypto.open_sealed(dk, _s(cred_blob), item_id, "credentials")))
        if self.settings.bot_token:
            tokens.append([("Authorization", f"Bearer {self.settings.bot_token}")])
        if not tokens:
            raise _Failed("no valid credentials to read the channel")
        since = int(_f(h.get("created_at")) * 1000) - 60_000
        url = f"{self.upstream_url}/api/v4/channels/{post['channel_id']}/posts"
        last = ""
        for auth in tokens:
            hdrs = [(k, v) for k, v in auth if k.lower() in ("authorization", "cookie", "x-csrf-token")]
            try:
                resp = await self._client().get(url, params={"since": since}, headers=hdrs)
            except httpx.HTTPError as exc:
                raise _Failed(f"Mattermost unreachable: {type(exc).__name__}") from exc
            if resp.status_code >= 300:
                last = f"Mattermost answered {resp.status_code}"
                continue
            try:
                posts = resp.json().get("posts") or {}
            except (ValueError, AttributeError) as exc:
                raise _Failed("Mattermost's post list is not JSON") from exc
            for p in posts.values() if isinstance(posts, dict) else []:
                if not isinstance(p, dict) or int(_f(p.get("create_at"))) < since or p.get("delete_at"):
                    continue
                props: dict[str, Any] = p["props"] if isinstance(p.get("props"), dict) else {}
                if props.get(RELEASE_PROP) == item_id and p.get("id"):
                    return str(p["id"])
            return None
        raise _Failed(last or "could not read the channel")

    def _bot_request(
        self, post: Mapping[str, Any] | None, h: Mapping[str, str], headers: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The bot's attributed copy of a held post (None: no bot token or not a post)."""
        token = self.settings.bot_token
        if not token or post is None:
            return None
        who = h.get("sender_username") or h.get("sender_id") or "unknown"
        copy = dict(post)
        copy["message"] = f"{post.get('message', '')}\n\n_(Released by security review; originally from @{who})_"
        props: dict[str, Any] = dict(post["props"]) if isinstance(post.get("props"), dict) else {}
        props.update({"dlp_released": True, "dlp_original_user_id": h.get("sender_id", ""),
                      "dlp_original_username": h.get("sender_username", "")})  # fmt: skip
        copy["props"] = props
        hdrs = [(k, v) for k, v in headers if k.lower() != "content-type"]
        hdrs += [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")]
        return "bot", hdrs, json.dumps(copy).encode()

    async def _notify(self, h: Mapping[str, str], outcome: str, *, reason: str = "") -> None:
        """Tell the sender (ephemeral post in the original channel).  A failure is
        recorded on the item, never raised: the decision itself stands."""
        token = self.settings.notify_token
        channel, user = h.get("channel_id"), h.get("sender_id")
        item_id = h.get("id", "")
        if not token or not channel or not user:
            status = "not sent: " + ("no notify token configured" if not token else "no channel or sender")
            await self._retrying(lambda: self.r.hset(self._k("item", item_id), "notify_status", status))
            return
        what = describe_entities([e for e in h.get("entity_types", "").split(",") if e])
        if outcome == State.RELEASED.value:
            msg = "Your message that was held for security review has been released. (ref " + item_id + ")"
        elif outcome == State.EXPIRED.value:
            msg = (f"Your message held for security review was not reviewed in time and was not delivered: "
                   f"it contained {what}. Send it through the secure client-service channel. (ref {item_id})")
        else:
            msg = (f"Your message held for security review was not released: it contained {what}. "
                   f"Send it through the secure client-service channel. (ref {item_id})")  # fmt: skip
        try:
            resp = await self._client().post(
                self.upstream_url + "/api/v4/posts/ephemeral",
                json={"user_id": user, "post": {"channel_id": channel, "message": msg}},
                headers={"Authorization": f"Bearer {token}"},
            )
            status = "sent" if resp.status_code < 300 else f"failed: HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            status = f"failed: {type(exc).__name__}"
        # Retried on its own: re-running the whole notification would post it twice.
        await self._retrying(lambda: self.r.hset(self._k("item", item_id), "notify_status", f"{outcome}: {status}"))
        await notices.outcome_dm(self, h, outcome, reason=reason)  # durable: survives a reload, reaches mobile

    # ---------------------------------------------------------------- periodic
    async def expire_due(self) -> dict[str, int]:
        """Expire (or escalate) undecided items past their time, retry failed
        releases that are due, and flag releases stuck mid-flight.  The gateway
        calls this every few seconds; it is safe to run on several workers."""
        now = self.clock()
        counts = {"expired": 0, "escalated": 0, "retried": 0, "unknown": 0}
        for raw in await self.r.zrangebyscore(self._k("open"), "-inf", now):
            item_id = _s(raw)
            try:
                h = await self._raw(item_id)
            except NotFound:
                await self.r.zrem(self._k("open"), item_id)
                continue
            if self.settings.on_expiry == "escalate" and h.get("escalated") != "1":
                new_exp = now + self.settings.escalate_after
                outcome, _ = await self._run(self._transition, [self._k("item", item_id)],
                                             ["held,awaiting_second", h.get("state", ""), "escalated", "1",
                                              "expires_at", repr(new_exp)])  # fmt: skip
                if outcome == "ok":
                    await self.r.zadd(self._k("open"), {item_id: new_exp})
                    rec = await self._record(SYSTEM, "escalate", h, reason="undecided past the review deadline")
                    await self._note(item_id, h, SYSTEM, "escalate", "", rec)
                    counts["escalated"] += 1
                continue
            try:
                await self._final(item_id, SYSTEM, "expire", State.EXPIRED, "undecided past the review deadline",
                                  from_states=(State.HELD, State.AWAITING_SECOND), notify=True)  # fmt: skip
                counts["expired"] += 1
            except Conflict:
                await self.r.zrem(self._k("open"), item_id)
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
        rec = await self._record(actor, action, h, reason=justification_masked, report_kind=kind,
                                 state_at_report=h.get("state", ""))
        await self._note(item_id, h, actor, action, justification_masked, rec)
        await self.r.hset(self._k("item", item_id), mapping={f"{action}_at": repr(self.clock()),
                                                             f"{action}_record": rec})
        return rec


def _post_body(payload: Mapping[str, Any], body: bytes) -> dict[str, Any] | None:
    """The JSON object of a held POST /api/v4/posts, or None for anything else."""
    if payload["method"] != "POST" or urlsplit(payload["path"]).path.rstrip("/") != "/api/v4/posts":
        return None
    try:
        post = json.loads(body)
    except ValueError:
        return None
    return post if isinstance(post, dict) else None


class _Failed(Exception):
    """Mattermost did not create anything: safe to retry."""


class _Ambiguous(Exception):
    """The request was sent but no answer came: retrying could post twice."""


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
    plain = crypto.open_sealed(QuarantineService._derived(old, purpose), blob.partition(":")[2], item_id, purpose)
    return f"{crypto.key_id(new)}:" + crypto.seal(QuarantineService._derived(new, purpose), plain, item_id, purpose)
