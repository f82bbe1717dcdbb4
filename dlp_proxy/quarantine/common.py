"""What every quarantine layer shares: states, roles and permissions, the
settings, the errors and the small parsers (quarantine/service.py has the state machine)."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dlp_proxy.interfaces import QuarantineError
from dlp_proxy.model import MATTERMOST_ID as MATTERMOST_ID
from dlp_proxy.model import is_mattermost_id as is_mattermost_id

#: the Mattermost URL the gateway forwards to, written by every gateway at its start: an
#: operator's token (``dlp-proxy quarantine --token-file``) and a stand-alone console's
#: sign-ins are checked there, so a shell that points DLP_UPSTREAM at a server of its own
#: proves no one (insider attack of 2026-12-07 night, F4: one operator gave both four-eyes
#: approvals as two "proven" people through two fake servers)
GATEWAY_UPSTREAM_KEY = "dlp:gateway:upstream"


def _site(url: str) -> str:
    """A URL's scheme, host and port only (no user information, path or query in a message)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


async def checked_upstream(r: Any, configured: str | None) -> str | None:
    """The Mattermost URL to check an operator's token or a sign-in at: the gateway's own
    (``GATEWAY_UPSTREAM_KEY``), else ``configured`` (no gateway has started on this Redis
    yet); None when neither is known.  A configured URL that is not the gateway's is
    refused (``QuarantineError``), whatever the token says."""
    raw = await r.get(GATEWAY_UPSTREAM_KEY)
    registered = raw.decode("utf-8", "replace").rstrip("/") if raw else None
    mine = (configured or "").rstrip("/") or None
    if registered and mine and mine != registered:
        raise QuarantineError(
            f"DLP_UPSTREAM / --upstream ({_site(mine)}) is not the Mattermost the gateway forwards to "
            f"({_site(registered)}): tokens and sign-ins are checked there only")
    return registered or mine


class State(enum.StrEnum):
    HELD = "held"
    AWAITING_SECOND = "awaiting_second"
    APPROVED = "approved"
    RELEASING = "releasing"
    RELEASED = "released"
    RELEASE_FAILED = "release_failed"
    RELEASE_UNKNOWN = "release_unknown"
    #: approved, but judged again at the release under the channel as it is then
    #: (converted since the hold) and the policy now stops it: not sent (delivery.py)
    RELEASE_REFUSED = "release_refused"
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
    ("release_unknown", "release_refused", "release_failed", "held", "awaiting_second", "approved", "releasing", "released",
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


class UnprovenPrincipal(Forbidden):
    """A claimed principal (a CLI ``--principal`` without proof) approving an item that
    needs two approvals: recorded as a request (``approve_request``), never counted."""


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





@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, and the person behind it.

    ``user_id`` is the actor's *principal*: the Mattermost user id of the person
    who holds the credential used -- their Mattermost session, a break-glass
    account, an API token (both files name the holder's id), the CLI operator
    (``--principal``), and any later sign-in method (an OIDC identity maps to the
    same id).  One person is one principal whatever the way in: self-approval and
    four-eyes compare principals, never names, and an approval needs one.
    ``name`` is for display and history only; ``via`` says which way in.

    ``proof`` says how a CLI principal was established: ``mattermost-token`` (the
    operator's own token, resolved with ``users/me``) or ``claimed`` (``--principal``
    taken on trust: never one of two four-eyes approvals); ``os_user`` and ``host``
    are where the CLI ran.  Each is archived when set (None elsewhere)."""

    name: str
    roles: frozenset[str]
    user_id: str | None = None  # the principal (Mattermost user id)
    via: str = "console"  # console | api | cli | break-glass | system
    proof: str | None = None
    os_user: str | None = None
    host: str | None = None

    @property
    def principal(self) -> str | None:
        return self.user_id

    def can(self, permission: str) -> bool:
        return bool(self.roles & PERMISSIONS[permission])

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "user_id": self.user_id,
            "roles": sorted(self.roles),
            "via": self.via,
        }
        for k in ("proof", "os_user", "host"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out


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
