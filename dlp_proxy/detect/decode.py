"""Bounded decoding of base64 and hex blobs found in normalized text.

HTML entities, percent-encoding and LaTeX ``\\char`` are decoded by
``normalize.decode_escapes`` (they map character by character); base64 and hex change lengths wholesale, so a
blob is decoded, the decoded text analyzed recursively, and any finding is
reported on the whole encoded span.  Only decodings that look like text are
scanned (an embedded image or a hash decodes to binary and is skipped).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dlp_proxy.detect import gatescan

_B64_RE = re.compile(
    r"(?<![A-Za-z0-9+/_-])(?=[A-Za-z0-9+/_-]*[0-9+/_-]|[A-Za-z0-9+/_-]*[A-Z][A-Za-z0-9+/_-]*[a-z]|[A-Za-z0-9+/_-]*[a-z][A-Za-z0-9+/_-]*[A-Z])"
    r"[A-Za-z0-9+/_-]{12,}={0,2}(?![A-Za-z0-9+/_=-])"
)
_HEX_RE = re.compile(r"(?<![0-9A-Za-z])(?:0x)?((?:[0-9A-Fa-f]{2}){6,})(?![0-9A-Za-z])")
#: (the first escape outside the repeat: ``re`` then skips to each ``\\x``)
_HEX_ESC_RE = re.compile(r"\\x[0-9A-Fa-f]{2}(?:\\x[0-9A-Fa-f]{2}){5,}")
_HEX_SPACED_RE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{2}(?:[ :][0-9A-Fa-f]{2}){5,}(?![0-9A-Za-z])")
# Cheap necessary conditions, checked first (most chat has no blob and the
# patterns above, starting with lookarounds, are slow to search):
# a spaced-hex match contains five "[ :]XX" in a row;
_HEX_SPACED_HINT = re.compile(r"[ :][0-9A-Fa-f]{2}(?:[ :][0-9A-Fa-f]{2}){4}")
# a hex or base64 match is 12+ token characters, inside a whitespace-free word of 12+.
_TOKEN12 = re.compile(r"[A-Za-z0-9+/_-]{12}")
# Where a match can start.  A base64 match (its leading lookbehind, its greedy body
# and the lookahead that no token character follows) is a whole maximal run of token
# characters; a hex match is a whole maximal run of letters and digits.  So the
# patterns are tried only at the start of each such run of 12 or more (found with a
# leading character class, which the regex engine skips to; the patterns' leading
# lookbehinds make it try every position): the same matches, ~4x cheaper on prose.
# (Each is a maximal run: its first character is not after another one, checked after
# it, so a short word costs one try, not one per character.)
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-](?<![A-Za-z0-9+/_-]{2})[A-Za-z0-9+/_-]{11,}")
_ALNUM_RUN = re.compile(r"[0-9A-Za-z](?<![0-9A-Za-z]{2})[0-9A-Za-z]{11,}")
# The same starts, led by the character before the run (a run starts the text or follows
# a character outside its class): the engine then tries only after such characters (a
# blank, a mark), not at every letter of every word as the run patterns do.  A match
# takes that character and twelve of the run, so the next is after the run.
_B64_AFTER = re.compile(r"[^A-Za-z0-9+/_-][A-Za-z0-9+/_-]{12}")
_ALNUM_AFTER = re.compile(r"[^0-9A-Za-z][0-9A-Za-z]{12}")
_RUN_STARTS = {_B64_RUN: _B64_AFTER, _ALNUM_RUN: _ALNUM_AFTER}
# a hex match holds twelve hex digits in a row (prose and tables rarely do: their
# whitespace-free words of twelve are names, dates, ids)
_HEX12 = re.compile(r"[0-9A-Fa-f]{12}")
gatescan.register(_TOKEN12, _HEX_SPACED_HINT, _HEX12)


def _token_bytes(members: str) -> bytes:
    """A ``bytes.translate`` table: a byte of ``members`` to ``T``, every other to a blank."""
    return bytes(ord("T") if chr(b) in members else ord(" ") for b in range(256))


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#: each run pattern's characters, as a ``bytes.translate`` table for ASCII text
_RUN_BYTES = {_B64_RUN: _token_bytes(_ALNUM + "+/_-"), _ALNUM_RUN: _token_bytes(_ALNUM)}
_TWELVE = b"T" * 12


def _run_starts(runs: re.Pattern[str], text: str) -> Iterator[int]:
    """Where the matches of ``runs`` (``_B64_RUN`` or ``_ALNUM_RUN``) start: the start of
    every maximal run of twelve or more of its characters, in order.

    On ASCII text, the text translated to ``T`` (a run character) and blanks is searched
    for twelve ``T`` with ``bytes.find`` (C-speed, Python per run only): the first found
    from a blank (or the text's start) is the start of the next run of twelve or more (the
    position before it is a blank, or it would have been found there), and the next
    search starts at the blank that ends that run.  The same starts as the regexes below
    (``runs`` at 0, then ``_RUN_STARTS``: a character outside the class then twelve in it,
    one match per run), which other text runs."""
    if text.isascii():
        data = text.encode("ascii").translate(_RUN_BYTES[runs])
        k = data.find(_TWELVE)
        while k >= 0:
            yield k
            end = data.find(b" ", k)
            if end < 0:
                return
            k = data.find(_TWELVE, end)
        return
    first = runs.match(text)
    if first is not None:
        yield 0
    for r in _RUN_STARTS[runs].finditer(text):
        yield r.start() + 1


def _at_runs(rx: re.Pattern[str], runs: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` for a pattern whose every match starts a match of ``runs``."""
    for start in _run_starts(runs, text):
        m = rx.match(text, start)
        if m is not None:
            yield m


def _has_token12(text: str) -> bool:
    # twelve token characters in a row are in a whitespace-free word of twelve or more
    return gatescan.search(_TOKEN12, text)


@dataclass(frozen=True, slots=True)
class Blob:
    start: int
    end: int
    kind: str  # "base64" | "hex"
    text: str  # decoded


def _texty(raw: bytes) -> str | None:
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not s:
        return None
    printable = sum(1 for c in s if c.isprintable() or c in "\n\r\t")
    if printable < 0.9 * len(s):
        return None
    # A decoding must carry something worth scanning: digits or another encoding layer.
    return s


def _b64(token: str) -> bytes | None:
    t = token.rstrip("=")
    if len(t) % 4 == 1:
        return None
    padded = t + "=" * (-len(t) % 4)
    try:
        if "-" in t or "_" in t:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def find_blobs(text: str, max_blob_chars: int) -> Iterator[Blob | tuple[int, int]]:
    """Decoded blobs; a ``(start, end)`` tuple means a blob too large to decode."""
    seen: list[tuple[int, int]] = []
    escapes = "\\x" in text
    spaced = gatescan.search(_HEX_SPACED_HINT, text)
    tokens = _has_token12(text)
    if not (escapes or spaced or tokens):
        return
    for m in _HEX_ESC_RE.finditer(text if escapes else ""):
        raw = bytes.fromhex(m.group(0).replace("\\x", ""))
        s = _texty(raw)
        if s:
            seen.append((m.start(), m.end()))
            yield Blob(m.start(), m.end(), "hex", s)
    for m in _HEX_SPACED_RE.finditer(text if spaced else ""):
        raw = bytes.fromhex(re.sub(r"[ :]", "", m.group(0)))
        s = _texty(raw)
        if s:
            seen.append((m.start(), m.end()))
            yield Blob(m.start(), m.end(), "hex", s)
    for m in _at_runs(_HEX_RE, _ALNUM_RUN, text if tokens and gatescan.may_search(_HEX12, text) else ""):
        if any(a <= m.start() < b for a, b in seen):
            continue
        if len(m.group(1)) > max_blob_chars:
            yield (m.start(), m.end())
            continue
        s = _texty(bytes.fromhex(m.group(1)))
        if s:
            seen.append((m.start(), m.end()))
            yield Blob(m.start(), m.end(), "hex", s)
    for m in _at_runs(_B64_RE, _B64_RUN, text if tokens else ""):
        if any(a <= m.start() < b for a, b in seen):
            continue
        if m.end() - m.start() > max_blob_chars:
            yield (m.start(), m.end())
            continue
        decoded = _b64(m.group(0))
        if decoded is None:
            continue
        s = _texty(decoded)
        if s:
            yield Blob(m.start(), m.end(), "base64", s)


def decode_token(token: str) -> str | None:
    """The text a whole token (a path segment, a query word) decodes to when it is a
    base64 or hex blob as ``find_blobs`` reads one in text, else None.

    A path joins its segments with ``/``, a base64 character, so a segment encoded on its
    own is not a blob of the joined text: the caller decodes it here, before joining."""
    hexed = _HEX_RE.fullmatch(token)
    if hexed is not None:
        s = _texty(bytes.fromhex(hexed.group(1)))
        if s:
            return s
    if _B64_RE.fullmatch(token) is not None:
        decoded = _b64(token)
        if decoded is not None:
            return _texty(decoded)
    return None
