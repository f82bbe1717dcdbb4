"""The seams between the gateway and its parts.

Each side service is behind a small Protocol so the gateway, the CLI and the
tests can plug in the real implementation or a real local instance:

- ``Detector``         dlp_proxy.detect      (pure; text in, findings out)
- ``PolicyEngine``     dlp_proxy.policy      (pure; findings + context in, decision out)
- ``Archive``          dlp_proxy.archive     (durable, tamper-evident record store)
- ``QuarantineStore``  dlp_proxy.quarantine  (encrypted held requests in Redis)
- ``FileExtractor``    dlp_proxy.files       (pure; file bytes in, text segments out)

Exceptions: every implementation raises subclasses of ``DLPError`` for expected
failures; the gateway treats *any* exception as a reason to fail closed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from dlp_proxy.model import ContentItem, Decision, Finding, RequestContext, ScannedItem

if TYPE_CHECKING:  # the policy package imports this module (DLPError)
    from dlp_proxy.policy.facts import InspectionFacts
    from dlp_proxy.policy.schema import Messages


class DLPError(Exception):
    """Base of every error dlp-proxy raises on purpose."""


class ArchiveError(DLPError):
    """The archive could not make a record durable.  The request must not proceed."""


class QuarantineError(DLPError):
    """The quarantine store could not hold an item durably."""


class ContextError(DLPError):
    """Who/where context could not be resolved (Mattermost or Redis unreachable)."""


class ExtractionError(DLPError):
    """A file could not be fully inspected (encrypted, corrupt, over a limit)."""


class Detector(Protocol):
    def analyze(self, text: str, *, entities: Collection[str] | None = None, rendered: bool = True) -> list[Finding]:
        """Findings in ``text``; offsets index ``text`` as given (not normalized).
        ``rendered``: ``text`` is shown as Markdown, its LaTeX rendered (a post's field);
        TeX there that the detector cannot read raises (``detect.TexUnreadableError``)."""
        ...

    def scan(
        self, items: Sequence[ContentItem], *, entities: Collection[str] | None = None
    ) -> list[ScannedItem]:
        """``analyze`` over several items; returns one ScannedItem per item, in order."""
        ...


class PolicyEngine(Protocol):
    @property
    def version(self) -> str:
        """Content hash of the policy in force (goes into every decision record)."""
        ...

    def required_entities(self, ctx: RequestContext) -> Collection[str] | None:
        """Entities a rule could act on for this context (None: all).  Lets the
        detector skip e.g. NER when no rule needs PERSON."""
        ...

    def evaluate(self, scanned: Sequence[ScannedItem], ctx: RequestContext) -> Decision:
        """The rules' decision on the findings and the context alone (replays, previews)."""
        ...

    def decide(self, scanned: Sequence[ScannedItem], ctx: RequestContext,
               facts: InspectionFacts = ...) -> Decision:
        """The final decision: ``evaluate``'s, as the reading's facts (files not fully
        inspected, what can be rewritten, a websocket frame, no sign-in, a partial
        upload) let it be carried out.  The gateway acts on it as is."""
        ...

    @property
    def alert_channel_id(self) -> str | None:
        """The default Compliance alert channel (None: no alerts without a rule's own)."""
        ...

    def needs_context_for(self, route_group: str) -> frozenset[str]:
        """Context fields ("team", "groups") a rule or exception that could apply to
        ``route_group`` scopes on: the gateway looks up only those."""
        ...

    #: the line added under a redacted message
    redact_footnote: str
    #: what people are told: AppErrors, sender notices
    messages: Messages


class Archive(Protocol):
    async def append(self, record: Mapping[str, Any]) -> str:
        """Make ``record`` durable; return its record id.  Raises ArchiveError."""
        ...

    async def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class HeldRequest:
    """Everything needed to release a quarantined request later, exactly once."""

    method: str
    path: str  # path + query as received
    headers: tuple[tuple[str, str], ...]  # only those needed for release (auth, content-type)
    body: bytes
    context: RequestContext
    decision: Decision
    record_id: str  # the archive record of the quarantine decision
    idempotency_key: str  # e.g. the post's pending_post_id
    created_at: float = 0.0
    meta: Mapping[str, Any] = field(default_factory=dict)


class QuarantineStore(Protocol):
    async def hold(self, held: HeldRequest) -> str:
        """Store encrypted and durable (AOF fsync'd) before returning the item id."""
        ...

    async def released_into(self, channel_id: str) -> bool:
        """Whether a message held for ``channel_id`` was (or may have been) released
        into it (gateway/audience.py)."""
        ...


@dataclass(frozen=True, slots=True)
class TextSegment:
    """Text extracted from a file, with where it sits (``page=3``, ``sheet=Clients!B7``,
    ``slide=2/notes``, ``member=a.zip/b.csv``)."""

    location: str
    text: str


@dataclass(frozen=True, slots=True)
class Extraction:
    file_type: str  # decided from content, e.g. "pdf", "xlsx", "zip", "text"
    segments: tuple[TextSegment, ...]
    complete: bool  # False when something could not be inspected
    problems: tuple[str, ...] = ()  # why it is incomplete: "encrypted", "zip-bomb", ...


class FileExtractor(Protocol):
    def extract(self, data: bytes, *, filename: str = "") -> Extraction: ...
