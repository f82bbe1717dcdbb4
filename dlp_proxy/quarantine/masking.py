"""Showing a held message to a reviewer without showing the identifiers in it.

``mask_value`` keeps the shape of a value and at most its last four
alphanumerics (``***-**-6789``), which is what reviewers need to tell two
findings apart and what card/statement practice already prints.  Short values
(< 8 alphanumerics) are masked completely.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlp_proxy.policy.redact import mask_free_text

if TYPE_CHECKING:
    from dlp_proxy.interfaces import Detector

#: What the archive and the sender's DM say instead of a person's free text (a
#: reviewer's reason or comment) that could not be checked for identifiers.
REASON_WITHHELD = "[reason withheld: could not be checked]"

#: Longest free text put through the detector (Mattermost's own post limit).
MAX_REASON_CHARS = 16383



def mask_value(value: str, keep: int = 4) -> str:
    alnum = sum(1 for c in value if c.isalnum())
    visible = keep if alnum >= 8 else 0
    out: list[str] = []
    seen = 0
    for c in value:
        if c.isalnum():
            seen += 1
            out.append(c if seen > alnum - visible else "*")
        else:
            out.append(c)
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text; ``entity_type`` set when it is (part of) a finding."""

    text: str
    entity_type: str | None = None
    score: float | None = None


def segments(text: str, findings: Sequence[dict[str, Any]], *, reveal: bool = False) -> list[Segment]:
    """Split ``text`` into plain runs and finding runs (masked unless ``reveal``).

    Overlapping findings are merged into one run labelled with the first type.
    Offsets outside the text are clipped (a finding never widens the output).
    """
    spans: list[tuple[int, int, str, float]] = []
    for f in sorted(findings, key=lambda f: (int(f["start"]), -int(f["end"]))):
        start = max(0, min(len(text), int(f["start"])))
        end = max(start, min(len(text), int(f["end"])))
        if end == start:
            continue
        if spans and start < spans[-1][1]:
            s0, e0, t0, sc0 = spans[-1]
            spans[-1] = (s0, max(e0, end), t0, max(sc0, float(f.get("score", 0.0))))
            continue
        spans.append((start, end, str(f["entity_type"]), float(f.get("score", 0.0))))
    out: list[Segment] = []
    pos = 0
    for start, end, etype, score in spans:
        if start > pos:
            out.append(Segment(text[pos:start]))
        value = text[start:end]
        out.append(Segment(value if reveal else mask_value(value), etype, score))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out


def masked_text(text: str, findings: Sequence[dict[str, Any]]) -> str:
    return "".join(s.text for s in segments(text, findings))


def reason_masker(get_detector: Callable[[], Detector]) -> Callable[[str], str]:
    """``mask_text`` for QuarantineService: ``text`` with every finding of the
    detector masked in full (no digit kept) and every other run of four or more
    digits too.  The detector is ``get_detector()``, built on the first call (the
    CLI pays for it only when a reason is archived).  Raises when the text cannot
    be checked (too long, the detector fails): the service then withholds it."""
    built: list[Detector] = []
    lock = threading.Lock()  # called from worker threads: one build, one scan at a time

    def mask(text: str) -> str:
        if len(text) > MAX_REASON_CHARS:
            raise ValueError(f"longer than {MAX_REASON_CHARS} characters")
        with lock:
            if not built:
                built.append(get_detector())
            found = built[0].analyze(text)
        return mask_free_text(text, found, char="*")

    return mask
