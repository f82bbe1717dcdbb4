"""Normalization before detection, with an offset map back to the original text.

Evasions this undoes (each recorded as a *transform* name on the findings it
revealed, never with the value):

- ``unicode-digits`` / ``fullwidth-digits`` / ``arabic-indic-digits`` /
  ``devanagari-digits``: every Unicode decimal digit becomes its ASCII digit;
- ``nfkc``: compatibility forms (full-width letters, odd spaces) folded;
- ``zero-width``: format characters (ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft
  hyphen, bidi controls: Unicode category Cf) dropped;
- ``unicode-dashes``: every dash-like character becomes ``-``;
- ``html-tags``: tags dropped (block tags leave a space);
- ``markdown``: emphasis/code markers dropped (``*``, `````, ``~``, and ``_`` next
  to a digit becomes a space);
- ``html-entities`` and ``percent-encoding``: decoded in place, repeatedly up to
  ``MAX_DEPTH`` layers (``&amp;#52;`` is two layers).

The result maps every normalized character ``i`` to the original span
``[starts[i], ends[i])`` so findings are reported on the text the user sent.
Lone surrogates (invalid UTF-8 smuggled through ``surrogateescape``) become
U+FFFD first so nothing downstream can raise on them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

MAX_DEPTH = 3

_TAG_RE = re.compile(r"<!--.*?-->|</?[A-Za-z][A-Za-z0-9:-]{0,30}(?:\s[^<>]{0,300})?/?>", re.DOTALL)
_BLOCK_TAGS = frozenset(
    "br p div li ul ol tr td th table h1 h2 h3 h4 h5 h6 pre blockquote hr section article header footer".split()
)
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_PERCENT_RE = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u02d7\u2796\u30fc\u2500")
_MD_DROP = frozenset("*`~")
_CHEAP_TRIGGER = re.compile(r"[<&%*`~_]")


def _digit_block(ch: str) -> str:
    cp = ord(ch)
    if 0xFF10 <= cp <= 0xFF19:
        return "fullwidth-digits"
    if 0x0660 <= cp <= 0x0669 or 0x06F0 <= cp <= 0x06F9:
        return "arabic-indic-digits"
    if 0x0966 <= cp <= 0x096F:
        return "devanagari-digits"
    return "unicode-digits"


@dataclass(slots=True)
class Normalized:
    """Normalized text and, per normalized char, the original span it came from."""

    text: str
    starts: list[int]
    ends: list[int]
    #: (original start, original end, transform) for every change made
    events: list[tuple[int, int, str]] = field(default_factory=list)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if not self.starts:
            return (0, 0)
        end = max(end, start + 1)
        start = min(max(start, 0), len(self.starts) - 1)
        end = min(end, len(self.ends))
        return (self.starts[start], self.ends[end - 1])

    def transforms_in(self, start: int, end: int) -> tuple[str, ...]:
        """Transforms that touched the original span [start, end)."""
        found: dict[str, None] = {}
        for s, e, name in self.events:
            if s < end and e > start:
                found[name] = None
        return tuple(found)

    @property
    def changed(self) -> bool:
        return bool(self.events)


def identity(text: str) -> Normalized:
    n = len(text)
    return Normalized(text, list(range(n)), list(range(1, n + 1)), [])


def sanitize(text: str) -> str:
    """Replace lone surrogates (and NUL) so the text is valid Unicode; length is kept."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def _one_pass(text: str, decode: bool) -> Normalized:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    events: list[tuple[int, int, str]] = []
    i = 0
    n = len(text)
    ascii_only = text.isascii()

    def emit(s: str, a: int, b: int) -> None:
        for c in s:
            out.append(c)
            starts.append(a)
            ends.append(b)

    while i < n:
        ch = text[i]
        if ch == "<":
            m = _TAG_RE.match(text, i)
            if m:
                name = m.group(0)[1:].lstrip("/").split(None, 1)[0].rstrip("/>").lower() if m.group(0)[1:2] != "!" else ""
                if name in _BLOCK_TAGS:
                    emit(" ", i, m.end())
                events.append((i, m.end(), "html-tags"))
                i = m.end()
                continue
        elif decode and ch == "&":
            m = _ENTITY_RE.match(text, i)
            if m:
                decoded = html.unescape(m.group(0))
                if decoded != m.group(0):
                    emit(_fold(decoded), i, m.end())
                    events.append((i, m.end(), "html-entities"))
                    i = m.end()
                    continue
        elif decode and ch == "%":
            m = _PERCENT_RE.match(text, i)
            if m:
                try:
                    decoded = unquote_to_bytes(m.group(0)).decode("utf-8")
                except UnicodeDecodeError:
                    decoded = ""
                if decoded:
                    emit(_fold(decoded), i, m.end())
                    events.append((i, m.end(), "percent-encoding"))
                    i = m.end()
                    continue
        elif ch in _MD_DROP:
            events.append((i, i + 1, "markdown"))
            i += 1
            continue
        elif ch == "_":
            prev_digit = bool(out) and out[-1].isdigit()
            next_digit = i + 1 < n and text[i + 1].isdigit()
            if prev_digit or next_digit:
                emit(" ", i, i + 1)
                events.append((i, i + 1, "markdown"))
                i += 1
                continue
        if ascii_only or ch.isascii():
            if ch < " " and ch not in "\t\n\r":
                emit(" ", i, i + 1)
                events.append((i, i + 1, "control-chars"))
            else:
                out.append(ch)
                starts.append(i)
                ends.append(i + 1)
            i += 1
            continue
        # non-ASCII character
        cat = unicodedata.category(ch)
        if cat == "Cf":
            events.append((i, i + 1, "zero-width"))
        elif cat == "Nd":
            emit(str(unicodedata.decimal(ch)), i, i + 1)
            events.append((i, i + 1, _digit_block(ch)))
        elif ch in _DASHES or cat == "Pd":
            emit("-", i, i + 1)
            events.append((i, i + 1, "unicode-dashes"))
        elif cat in ("Zs", "Zl", "Zp"):
            emit(" " if cat == "Zs" else "\n", i, i + 1)
            events.append((i, i + 1, "nfkc"))
        elif cat in ("Cs", "Co", "Cn", "Cc"):
            emit(" " if cat != "Cs" else "\ufffd", i, i + 1)
        else:
            folded = unicodedata.normalize("NFKC", ch)
            if folded != ch:
                # NFKC can itself produce digits or dashes (e.g. circled digits are not Nd).
                emit(_fold(folded), i, i + 1)
                events.append((i, i + 1, "nfkc"))
            else:
                out.append(ch)
                starts.append(i)
                ends.append(i + 1)
        i += 1
    return Normalized("".join(out), starts, ends, events)


def _fold(s: str) -> str:
    """Digits, dashes and format chars inside decoded or NFKC-folded text."""
    if s.isascii():
        return s
    res = []
    for c in s:
        cat = unicodedata.category(c)
        if cat == "Cf":
            continue
        if cat == "Nd":
            res.append(str(unicodedata.decimal(c)))
        elif c in _DASHES or cat == "Pd":
            res.append("-")
        else:
            res.append(c)
    return "".join(res)


def _compose(outer: Normalized, inner: Normalized) -> Normalized:
    """``inner`` normalized ``outer.text``; map inner positions through outer to the original."""
    starts = [outer.starts[s] if s < len(outer.starts) else (outer.ends[-1] if outer.ends else 0) for s in inner.starts]
    ends = [outer.ends[e - 1] if 0 < e <= len(outer.ends) else (outer.ends[-1] if outer.ends else 0) for e in inner.ends]
    events = list(outer.events)
    for s, e, name in inner.events:
        a, b = outer.original_span(s, e)
        events.append((a, b, name))
    return Normalized(inner.text, starts, ends, events)


def normalize(text: str) -> Normalized:
    """Normalize ``text`` (already sanitized) for detection."""
    if text.isascii() and not _CHEAP_TRIGGER.search(text):
        return identity(text)
    result = _one_pass(text, decode=True)
    depth = 1
    while depth < MAX_DEPTH and any(name in ("html-entities", "percent-encoding") for _, _, name in result.events):
        if not (_ENTITY_RE.search(result.text) or _PERCENT_RE.search(result.text)):
            break
        again = _one_pass(result.text, decode=True)
        if again.text == result.text:
            break
        result = _compose(result, again)
        depth += 1
    return result
