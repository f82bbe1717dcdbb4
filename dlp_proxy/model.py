"""Core data types shared by every part of dlp-proxy.

These are the interfaces between the pipeline stages (see docs/architecture.md):

    route -> extract (ContentItem) -> detect (Finding) -> decide (Decision) -> record -> act

They are pure data: no I/O, no mitmproxy, no Redis.  Entity type names
(``ENTITY_TYPES``) and action names (``Action``) are a stable API: policies, the
archive and exports key on them, so never rename one.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

#: An id as Mattermost makes them: ``model.NewId``, 26 characters of lower-case base32
#: (server/public/model/utils.go).  ``model.IsValidId`` accepts more (any 26 bytes of
#: letters and digits): where the gateway requires this shape it is the stricter one.
#: Use ``fullmatch``.
MATTERMOST_ID = re.compile(r"[a-z0-9]{26}")


def is_mattermost_id(value: object) -> bool:
    """``value`` is a string of ``MATTERMOST_ID``'s shape."""
    return isinstance(value, str) and MATTERMOST_ID.fullmatch(value) is not None

# Stable entity type names.  Policies and archived records refer to these strings.
US_SSN = "US_SSN"
US_ITIN = "US_ITIN"
CREDIT_CARD = "CREDIT_CARD"
ABA_ROUTING_NUMBER = "ABA_ROUTING_NUMBER"
US_BANK_NUMBER = "US_BANK_NUMBER"
IBAN_CODE = "IBAN_CODE"
US_EIN = "US_EIN"
US_PASSPORT = "US_PASSPORT"
US_DRIVER_LICENSE = "US_DRIVER_LICENSE"
DATE_OF_BIRTH = "DATE_OF_BIRTH"
EMAIL_ADDRESS = "EMAIL_ADDRESS"
PHONE_NUMBER = "PHONE_NUMBER"
PERSON = "PERSON"
CUSIP = "CUSIP"
ISIN = "ISIN"

ENTITY_TYPES: tuple[str, ...] = (
    US_SSN,
    US_ITIN,
    CREDIT_CARD,
    ABA_ROUTING_NUMBER,
    US_BANK_NUMBER,
    IBAN_CODE,
    US_EIN,
    US_PASSPORT,
    US_DRIVER_LICENSE,
    DATE_OF_BIRTH,
    EMAIL_ADDRESS,
    PHONE_NUMBER,
    PERSON,
    CUSIP,
    ISIN,
)

#: True while a detector reads a text the split window joined from pieces of several
#: texts (policy/split.py), or a file's raw reading of bytes (gateway/filescan.py
#: ``_analyze_segment``): no one's message, so the engine does not read its lines as
#: pieces once more (detect/engine.py ``Engine._analyze_lines``)
JOINED_TEXT: ContextVar[bool] = ContextVar("joined_text", default=False)


@contextmanager
def lines_not_pieces() -> Iterator[None]:
    """``JOINED_TEXT`` set while the block runs (and restored after it)."""
    token = JOINED_TEXT.set(True)
    try:
        yield
    finally:
        JOINED_TEXT.reset(token)


#: Customer nonpublic personal information that the default decisions stop.
SENSITIVE_ENTITIES: frozenset[str] = frozenset(
    {US_SSN, US_ITIN, CREDIT_CARD, ABA_ROUTING_NUMBER, US_BANK_NUMBER, IBAN_CODE}
)


class Action(enum.StrEnum):
    """What the gateway does with a request.  Ordered by severity (see SEVERITY)."""

    ALLOW = "allow"
    MONITOR = "monitor"  # allow, but record as a would-be hit (policy rollout)
    REDACT = "redact"  # forward with identifiers masked
    QUARANTINE = "quarantine"  # hold for a security reviewer
    BLOCK = "block"
    # Outcomes that are not policy actions but are archived as decisions:
    FAIL_CLOSED = "fail_closed"  # inspection failed; request stopped with a 503
    FAIL_OPEN = "fail_open"  # inspection failed; forwarded because the route is configured so


SEVERITY: Mapping[Action, int] = {
    Action.ALLOW: 0,
    Action.MONITOR: 1,
    Action.REDACT: 2,
    Action.QUARANTINE: 3,
    Action.BLOCK: 4,
    Action.FAIL_OPEN: 0,
    Action.FAIL_CLOSED: 5,
}


class ItemKind(enum.StrEnum):
    TEXT = "text"  # a string from a JSON body, a form field, a query parameter
    FILENAME = "filename"
    FILE = "file"  # text extracted from an uploaded file
    #: a JSON object's key name that may hold a number (``extract.walk_json``): told from a
    #: value by its kind, not its path (a key may be named ``{key}`` itself)
    KEY = "key"


#: the kinds of a request's own text (a value, or a key's name), as against a file's
TEXT_KINDS = frozenset({ItemKind.TEXT, ItemKind.KEY})


@dataclass(frozen=True, slots=True)
class ContentItem:
    """One piece of user content found in a request.

    ``path`` says where it came from, e.g. ``body.message``,
    ``body.props.attachments[0].fields[1].value``, ``form.payload.text``,
    ``file[0].name`` or ``file[0]:sheet=Clients!B7``.  It goes into the decision
    record so a reviewer knows which field carried the identifier.
    """

    path: str
    text: str
    kind: ItemKind = ItemKind.TEXT
    #: whether a Mattermost client may show ``text`` as Markdown with its LaTeX rendered
    #: (KaTeX): False for a binary raw body (gateway/extract.py) and a text the split
    #: window joined; a file's text and name never are, whatever this says
    rendered: bool = field(default=True, kw_only=True)


@dataclass(frozen=True, slots=True)
class Finding:
    """A detected identifier.  ``start``/``end`` index the *original* text of the item.

    ``transforms`` lists the normalization steps that were needed to see it
    (e.g. ``("fullwidth-digits", "zero-width")`` or ``("base64",)``);
    ``explanation`` is human-readable reasoning for ``--explain`` and reviewers.
    Neither ever contains the value itself.
    """

    entity_type: str
    start: int
    end: int
    score: float
    recognizer: str
    transforms: tuple[str, ...] = ()
    explanation: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "recognizer": self.recognizer,
            **({"transforms": list(self.transforms)} if self.transforms else {}),
        }


@dataclass(frozen=True, slots=True)
class ScannedItem:
    item: ContentItem
    findings: tuple[Finding, ...]


class ChannelType(enum.StrEnum):
    """Mattermost channel types (model/channel.go)."""

    OPEN = "O"
    PRIVATE = "P"
    DIRECT = "D"
    GROUP = "G"


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Who is sending what, where.  Filled by the gateway; unknown fields stay None.

    ``route`` is the route table entry name (e.g. ``posts.create``);
    ``route_group`` the coarse family policies scope on: ``posts``, ``edits``,
    ``scheduled``, ``drafts``, ``files``, ``uploads``, ``channels``, ``headers``,
    ``bookmarks``, ``webhooks``, ``commands``, ``actions``, ``profile``,
    ``playbooks``, ``unknown``.
    """

    route: str = "unknown"
    route_group: str = "unknown"
    method: str = "POST"
    path: str = ""
    request_id: str = ""
    user_id: str | None = None
    username: str | None = None
    user_roles: tuple[str, ...] = ()
    is_bot: bool = False
    groups: tuple[str, ...] = ()
    hook_id: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    channel_type: ChannelType | None = None
    channel_shared: bool | None = None
    team_id: str | None = None
    team_name: str | None = None
    root_id: str | None = None
    client_ip: str | None = None
    #: a context lookup that was needed but failed (e.g. Mattermost unreachable)
    context_errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is None or value == () or (value is False and name != "is_bot"):
                continue
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of policy evaluation for one request."""

    action: Action
    policy_version: str
    rule_id: str | None = None
    reason: str = ""
    #: entity types that drove the decision, for the user-facing message
    entity_types: tuple[str, ...] = ()
    scanned: tuple[ScannedItem, ...] = ()
    notify_sender: bool = False
    alert_channel_id: str | None = None
    #: extra data for the record (e.g. which failure mode applied)
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        return [(s.item.path, f) for s in self.scanned for f in s.findings]

    def entity_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for _, f in self.findings:
            counts[f.entity_type] = counts.get(f.entity_type, 0) + 1
        return counts


#: The AppError ids of a stopped request: one set, used by the gateway's answers and
#: the policy's wording alike (clients and tests tell a block from a hold by them).
BLOCK_ERROR_ID = "api.dlp.blocked.app_error"
QUARANTINE_ERROR_ID = "api.dlp.quarantined.app_error"

#: Human-readable names of entity types for messages to chat users.
ENTITY_LABELS: Mapping[str, str] = {
    US_SSN: "a Social Security number",
    US_ITIN: "an ITIN (taxpayer identification number)",
    CREDIT_CARD: "a payment card number",
    ABA_ROUTING_NUMBER: "a bank routing number",
    US_BANK_NUMBER: "a bank or brokerage account number",
    IBAN_CODE: "an IBAN",
    US_EIN: "an employer identification number",
    US_PASSPORT: "a passport number",
    US_DRIVER_LICENSE: "a driver's license number",
    DATE_OF_BIRTH: "a date of birth",
    EMAIL_ADDRESS: "an email address",
    PHONE_NUMBER: "a phone number",
    PERSON: "a person's name",
    CUSIP: "a CUSIP",
    ISIN: "an ISIN",
}


def describe_entities(entity_types: tuple[str, ...] | list[str]) -> str:
    """'a Social Security number and a bank routing number' (never a value)."""
    labels = [ENTITY_LABELS.get(e, e) for e in dict.fromkeys(entity_types)]
    if not labels:
        return "customer information"
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]
