"""Per-file limits and the running budget one extraction spends against them.

``Limits`` is the operator-facing configuration (documented defaults in
docs/files.md).  ``Budget`` is private to one extraction: it collects segments
and problems, counts characters, entries and uncompressed bytes, and carries the
deadline that every extractor checks between units of work (pages, members,
rows).  The time limits count the CPU time of the extracting process
(``time.process_time``: its own work, which the file controls, not the time other
processes on a loaded host take from it), with a wall-clock deadline as the outer
bound.  A runaway C call cannot be interrupted cooperatively; the process-pool
runner (``runner.py``) adds signal-based timers (CPU and wall) and, as a last
resort, kills the worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from dlp_proxy.interfaces import Extraction, TextSegment

MiB = 1024 * 1024

#: Every problem code an Extraction can carry.  Any of them means "not fully inspected".
PROBLEM_CODES: tuple[str, ...] = (
    "encrypted",  # password-protected document, encrypted archive member, OOXML in an OLE2 envelope
    "zip-bomb",  # compression ratio over max_ratio
    "depth-limit",  # containers nested deeper than max_depth
    "entry-limit",  # more archive members (or parts) than max_entries
    "size-limit",  # file, member or total uncompressed bytes over their limit
    "text-limit",  # more extracted characters than max_total_extracted_chars
    "page-limit",  # more pages than max_pages (only the first max_pages were read)
    "frame-limit",  # an animated image with more distinct frames than images.MAX_FRAMES
    "time-limit",  # max_seconds of CPU spent, or max_wall_seconds elapsed
    "corrupt",  # the format was recognised but could not be parsed (fully)
    "unsupported-type",  # no extractor for this content (only printable strings were taken)
    "ocr-disabled",  # an image that would need OCR, and OCR is off
    "ocr-unavailable",  # OCR is on but the engine or its model is not installed
    "ocr-failed",  # the OCR engine ran and failed
    "ocr-limit",  # an image over ocr_max_pixels, or OCR over ocr_max_seconds: not read
    "no-text",  # an image in which no text was found (pre-check or OCR): nothing to judge
    "active-content",  # shows what it computes when opened (formula, field, script) and that was not worked out
)


#: The policy's ``uninspected`` causes (dlp_proxy.policy.schema.Uninspected) per problem
#: code; a code not listed is ``unreadable``.
PROBLEM_CAUSES: dict[str, str] = {
    "encrypted": "encrypted",
    "zip-bomb": "too_large",
    "depth-limit": "too_large",
    "entry-limit": "too_large",
    "size-limit": "too_large",
    "text-limit": "too_large",
    "page-limit": "too_large",
    "frame-limit": "too_large",
    "time-limit": "too_large",
    "ocr-limit": "too_large",
    "corrupt": "unreadable",
    "unsupported-type": "unreadable",
    "ocr-disabled": "unreadable",
    "ocr-unavailable": "unreadable",
    "ocr-failed": "unreadable",
    "no-text": "no_text",
    "active-content": "active_content",
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Limits for one file (including everything nested inside it).

    Defaults are chosen for a chat gateway: Mattermost's default MaxFileSize is
    100 MB, so a file over ``max_file_bytes`` is never fully read.
    """

    max_file_bytes: int = 100 * MiB
    #: total characters of text taken from one file, all segments together
    max_total_extracted_chars: int = 50_000_000
    max_pages: int = 2_000
    #: archive members (all levels together) and OOXML/ODF package parts
    max_entries: int = 10_000
    #: nesting of containers: a ZIP in a ZIP is depth 2
    max_depth: int = 5
    #: uncompressed/compressed ratio above which a member is a bomb ...
    max_ratio: float = 100.0
    #: ... once it has produced at least this many bytes (tiny files compress absurdly well)
    ratio_floor_bytes: int = 1 * MiB
    #: all decompressed bytes of one file, all levels together
    max_total_uncompressed_bytes: int = 512 * MiB
    #: CPU seconds of the extracting process (its own work: tesseract's too, it runs in-process)
    max_seconds: float = 30.0
    #: wall-clock seconds: the outer bound, however little CPU a loaded host gives the worker
    max_wall_seconds: float = 120.0
    #: OCR images (top-level files, archive members, attachments, images in documents,
    #: image-only PDF pages) with Tesseract
    ocr: bool = True
    ocr_languages: str = "eng"
    #: images larger than this are not read (``ocr-limit``): 50 MP covers 48 MP phone photos
    ocr_max_pixels: int = 50_000_000
    #: OCR CPU seconds per file, all its images together (``ocr-limit`` when spent)
    ocr_max_seconds: float = 45.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or isinstance(value, str):
                continue
            if not value > 0:
                raise ValueError(f"files limit {f.name!r} must be > 0, got {value!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Limits:
        """Build from configuration (e.g. the ``files:`` section of a YAML file);
        an unknown key or a bad value raises ValueError naming the option."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown files limit {key!r}; known: {', '.join(sorted(known))}")
            default = getattr(cls(), key)
            try:
                if isinstance(default, bool):
                    if not isinstance(value, bool):
                        raise TypeError
                    kwargs[key] = value
                elif isinstance(default, str):
                    kwargs[key] = str(value)
                else:
                    kwargs[key] = type(default)(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"files limit {key!r} must be a {type(default).__name__}, got {value!r}"
                ) from None
        return cls(**kwargs)


class TimeUp(BaseException):
    """The extraction's CPU limit was spent or its wall deadline passed (raised by
    Budget.check_time or the worker's timers).

    A BaseException so that parsers' own ``except Exception`` blocks cannot swallow it
    when the worker's SIGALRM timer fires inside them."""


class Budget:
    """Mutable state of one extraction.  Not thread-safe; one per extract() call.

    ``cpu_clock`` (default ``time.process_time``) counts against ``Limits.max_seconds``
    and ``ocr_max_seconds``; ``wall_clock`` (default ``time.monotonic``) against
    ``max_wall_seconds``.  Both injectable for tests."""

    def __init__(self, limits: Limits, *, start: float | None = None,
                 cpu_clock: Callable[[], float] = time.process_time,
                 wall_clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.cpu_clock = cpu_clock
        self.wall_clock = wall_clock
        #: CPU clock at the start, and the CPU clock's reading at which max_seconds is spent
        self.started = cpu_clock() if start is None else start
        self.deadline = self.started + limits.max_seconds
        self.wall_started = wall_clock()
        self.wall_deadline = self.wall_started + limits.max_wall_seconds
        #: the extraction was stopped by the wall deadline (a loaded host), not its CPU limit
        self.wall_expired = False
        self.segments: list[TextSegment] = []
        self.problems: list[tuple[str, str]] = []  # (code, location)
        self.chars = 0
        self.entries = 0
        self.uncompressed = 0
        self.text_full = False
        self.ocr_seconds = 0.0  # OCR CPU time spent so far (Limits.ocr_max_seconds)

    # -- time -----------------------------------------------------------------
    def check_time(self) -> None:
        if self.wall_clock() > self.wall_deadline:
            self.wall_expired = True
            self.problem("time-limit", "wall")
            raise TimeUp()
        if self.cpu_clock() > self.deadline:
            raise TimeUp()

    def remaining_seconds(self) -> float:
        """CPU seconds left (``max_seconds``)."""
        return max(0.0, self.deadline - self.cpu_clock())

    def remaining_wall_seconds(self) -> float:
        return max(0.0, self.wall_deadline - self.wall_clock())

    def slowdown(self) -> float:
        """Wall seconds per CPU second of this extraction so far (>= 1; 1 until it has
        spent a tenth of a CPU second): how much longer than its CPU time a step
        takes on this host now."""
        cpu = self.cpu_clock() - self.started
        if cpu < 0.1:
            return 1.0
        return max(1.0, (self.wall_clock() - self.wall_started) / cpu)

    # -- problems -------------------------------------------------------------
    def problem(self, code: str, location: str = "") -> None:
        assert code in PROBLEM_CODES, code
        if (code, location) not in self.problems:
            self.problems.append((code, location))

    # -- text -----------------------------------------------------------------
    def add(self, location: str, text: str) -> bool:
        """Record a segment.  Returns False once the character budget is spent
        (the caller should stop producing text)."""
        if not text or text.isspace():
            return not self.text_full
        if self.text_full:
            return False
        room = self.limits.max_total_extracted_chars - self.chars
        if len(text) > room:
            text = text[:room]
            self.text_full = True
            self.problem("text-limit", location)
        if text:
            self.segments.append(TextSegment(location, text))
            self.chars += len(text)
        return not self.text_full

    # -- containers -----------------------------------------------------------
    def take_entry(self, location: str) -> bool:
        """Count one archive member / package part; False (and a problem) when over."""
        if self.entries >= self.limits.max_entries:
            self.problem("entry-limit", location)
            return False
        self.entries += 1
        return True

    def uncompressed_room(self) -> int:
        return max(0, self.limits.max_total_uncompressed_bytes - self.uncompressed)

    def result(self, file_type: str) -> Extraction:
        codes = tuple(dict.fromkeys(code for code, _ in self.problems))
        return Extraction(
            file_type=file_type,
            segments=tuple(self.segments),
            complete=not codes,
            problems=codes,
        )
