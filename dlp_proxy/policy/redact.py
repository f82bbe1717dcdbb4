"""Masking identifiers in forwarded text (the REDACT action).

``redact_text`` replaces each finding's span of the original text with a mask that
keeps separators and, for long identifiers, the last four characters
(``***-**-6789``, ``************1111``), so the reader still knows which account
is meant without the number being disclosed.  Overlapping findings are merged.
The mask comes from ``dlp_proxy.detect.mask`` when the detection package provides
it; this module's own masking is used otherwise.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Sequence

from dlp_proxy.model import Finding

#: identifiers for which the last four characters may be shown
_KEEP_LAST4 = frozenset(
    {"US_SSN", "US_ITIN", "CREDIT_CARD", "US_BANK_NUMBER", "IBAN_CODE", "ABA_ROUTING_NUMBER"}
)


def fallback_mask(entity_type: str, value: str) -> str:
    alnum = sum(1 for c in value if c.isalnum())
    keep = 4 if entity_type in _KEEP_LAST4 and alnum >= 8 else 0
    out: list[str] = []
    remaining = alnum
    for ch in value:
        if ch.isalnum():
            out.append(ch if remaining <= keep else "*")
            remaining -= 1
        elif ch.isspace() or ch in "-./":
            out.append(ch)
        else:
            # anything else inside a span (encoding, markup, zero-width) is masked too
            out.append("*")
    return "".join(out)


def _masker() -> Callable[[str, str], str]:
    # imported dynamically: the detection package is optional for this module
    try:
        mask = getattr(importlib.import_module("dlp_proxy.detect"), "mask", None)
    except ImportError:
        return fallback_mask
    return mask if callable(mask) else fallback_mask


#: the transform of a finding seen in the displayed (bidi-reordered) order
#: (dlp_proxy.detect.bidi.TRANSFORM): its span holds the characters in logical order,
#: so "the last four" of it are not the last four the reader sees; it is masked in full
_REORDERED = "bidi-reordering"


def redact_text(text: str, findings: Sequence[Finding]) -> str:
    """``text`` with every finding's span masked.  Findings index ``text``."""
    spans = sorted(
        (max(0, f.start), min(len(text), f.end), f.entity_type, _REORDERED in f.transforms)
        for f in findings if f.end > f.start
    )
    merged: list[tuple[int, int, str, bool]] = []
    for start, end, etype, reordered in spans:
        if merged and start <= merged[-1][1]:
            prev = merged[-1]
            merged[-1] = (prev[0], max(prev[1], end), prev[2], prev[3] or reordered)
            continue
        merged.append((start, end, etype, reordered))
    mask = _masker()
    out: list[str] = []
    pos = 0
    for start, end, etype, reordered in merged:
        out.append(text[pos:start])
        value = text[start:end]
        masked = mask(etype, value) if not reordered else value
        if not isinstance(masked, str) or masked == value:
            masked = fallback_mask(etype if not reordered else "", value)
        out.append(masked)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def with_footnote(text: str, footnote: str) -> str:
    """Redacted text plus the policy's footnote (as the gateway forwards it)."""
    if not footnote:
        return text
    return f"{text}\n\n{footnote}"


#: a digit of any script, or a compatibility digit (superscript, circled, parenthesized,
#: full stop, dingbat negative-circled, enclosed CJK)
_D = r"[\d\u00b2\u00b3\u00b9\u2070-\u2089\u2460-\u24ff\u2776-\u2793\u3220-\u325f]"
#: digits joined by at most three characters that are neither letters nor digits
_DIGIT_CLUSTER = re.compile(rf"{_D}(?:[\W_]{{0,3}}{_D})+")


def _digits_in(run: str) -> int:
    return sum(1 for ch in run if ch.isdigit() or ch.isnumeric())


def mask_digit_clusters(text: str, *, min_digits: int = 4, char: str = "#") -> str:
    """Every cluster of ``min_digits`` or more digits (any script, compatibility
    digits included, joined by at most three other non-letters) with its digits
    replaced by ``char``."""
    return _DIGIT_CLUSTER.sub(
        lambda m: "".join(char if (ch.isdigit() or ch.isnumeric()) else ch for ch in m.group(0))
        if _digits_in(m.group(0)) >= min_digits else m.group(0), text)


def mask_free_text(text: str, findings: Sequence[Finding], *, min_digits: int = 4, char: str = "#") -> str:
    """Free text a person typed that will be stored (a sender's justification, a
    reviewer's reason): every finding masked in full (each letter and digit, none
    kept), then every cluster of ``min_digits`` or more digits that the detector did
    not claim, whatever its context (``mask_digit_clusters``).  A bare nine-digit SSN
    has no context words to be found by, and a stored note has no need of a number
    that long.  The one masker for stored free text."""
    chars = list(text)
    for f in findings:
        start, end = max(0, f.start), min(len(text), f.end)
        chars[start:end] = [char if ch.isalnum() else ch for ch in text[start:end]]
    return mask_digit_clusters("".join(chars), min_digits=min_digits, char=char)
