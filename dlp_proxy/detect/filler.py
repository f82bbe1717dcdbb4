"""Readings of digit groups that other words or markup keep apart, for the normalizer.

- ``filler-words``: up to ``MAX_FILLER_WORDS`` short words (and commas, colons) between
  the digit groups of one identifier ("starts 536, then 22, ends 8710", "536-22 and last
  four 8710", "GB82 WEST then 1234 5698 then 7654 32"), and a ``#`` before each group
  ("#536 #22 #8710": Mattermost makes no hashtag of a ``#`` before a digit).  Read only
  when the groups' lengths make up an identifier's exact shape (SSN/ITIN 3-2-4, EIN 2-7,
  a card's fours, Amex 4-6-5, Diners 4-6-4, an IBAN's country, check digits and groups of
  four) and an identifier's label is a few words before the first group or after the
  last ("536, then 22, then 8710 is her ssn"), in the same sentence (no ``.;!?`` and a
  word between them): the filler becomes one space.
- ``list-markers``: the markers of an ordered Markdown list ("1. 536\\n2. 22\\n3. 8710")
  render as list numbering, not as text of the item: dropped when two or more items in a
  row are numbered one after the other (a lone "2024. " may be a number the reader sees).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import threading
from collections.abc import Iterator
from typing import Any

from dlp_proxy.detect import gatescan

_hs: Any
try:  # a dependency on x86-64; optional elsewhere (the labels are then searched by ``_LABEL``)
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _hs = None

#: words between two groups, at most
MAX_FILLER_WORDS = 4
#: a filler word, at most this many letters
MAX_FILLER_LETTERS = 8
#: how far before the first group an identifier's label may be
LABEL_REACH = 48

#: identifiers' labels (lower case), as words
_LABEL = re.compile(
    r"(?i)(?<![a-z])(?:ssn|ssns|social|soc sec|itin|ein|tin|tax id|card|credit|debit|visa|"
    r"mastercard|amex|pan|iban|account|acct|routing|aba|bank)(?![a-z])"
)
#: a digit group: digits (a card's or an IBAN's groups of up to four, SSN parts) with one
#: dash or blank between its own parts, or an IBAN's upper-case groups
_GROUP = (r"(?:[0-9]{1,7}(?:[- ][0-9]{1,7}){0,4}|[A-Z]{2}[0-9]{2}(?: [A-Z0-9]{4}){0,7}(?: [A-Z0-9]{1,4})?"
          r"|[A-Z0-9]{4}(?: [A-Z0-9]{4}){0,7}(?: [A-Z0-9]{1,4})?)")
_PART = re.compile(r"(?<![A-Za-z0-9#])#?" + _GROUP + r"(?![A-Za-z0-9])")
#: blanks, or one line break with blanks around it; and the same, optional
_BL = r"(?:[ \t]*\n[ \t]*|[ \t]+)"
_BL0 = r"[ \t]*\n?[ \t]*"
#: a short word of filler, with a mark after it (``then,`` ``(then)`` ``last four:``)
_WORD = rf"\(?(?:[a-z]{{1,{MAX_FILLER_LETTERS}}}|[A-Z][a-z]{{0,{MAX_FILLER_LETTERS - 1}}})[,;:.)]?{_BL}"
#: what may stand between two groups: a mark (comma, colon, semicolon, slash, dash, dot,
#: bracket) or blanks, then up to ``MAX_FILLER_WORDS`` short words (lower case or capitalized)
_FILLER = re.compile(rf"(?:{_BL0}[,;:/().-]?{_BL}|{_BL0}[,;:/().-]{_BL0})(?:{_WORD}){{0,{MAX_FILLER_WORDS}}}")
#: a place where filler (or a ``#``) stands between two digit groups: digit-led, one pass
_GAP = re.compile(
    rf"[0-9A-Z](?:{_BL0}[,;:/().-]?{_BL}(?:{_WORD}){{1,{MAX_FILLER_WORDS}}}#?[0-9A-Z]|{_BL0}[,;:/().-]?{_BL0}#[0-9])"
)
#: how far after its label a sequence of groups may reach
_GROUPS_REACH = 80
#: group starts tried after one label
_STARTS_PER_LABEL = 3
#: group starts tried before one label (the groups of an IBAN, with filler: up to 8)
_STARTS_BEFORE_LABEL = 10
#: a sentence's end between a label and the groups: they belong to different sentences
#: ("ssn field empty. shipped 536 boxes, then 22 crates...", "...8710 pallets. ssn field")
_SENTENCE_END = re.compile(r"[.;!?]\s+[A-Za-z]")
_CARD_SHAPES = frozenset({(4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3), *((4, 4, 4, last) for last in range(1, 5))})
_DIGIT_SHAPES = frozenset({(3, 2, 4), (2, 7), *_CARD_SHAPES})


def _chunks(group: str) -> list[str]:
    return [c for c in re.split(r"[- ]", group.lstrip("#")) if c]


def _shape_ok(groups: list[str]) -> bool:
    chunks = [c for g in groups for c in _chunks(g)]
    if all(c.isdigit() for c in chunks):
        return tuple(len(c) for c in chunks) in _DIGIT_SHAPES
    # an IBAN: country and check digits, then groups of four, the last one to four
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}", chunks[0]) or len(chunks) < 3:
        return False
    return all(len(c) == 4 for c in chunks[1:-1]) and 1 <= len(chunks[-1]) <= 4 and 15 <= sum(map(len, chunks)) <= 34


_LABEL_WORDS = ("ssn", "social", "soc sec", "itin", "ein", "tin", "tax id", "card", "credit", "debit", "visa",
                "mastercard", "amex", "pan", "iban", "account", "acct", "routing", "aba", "bank")


#: the label words as one case-insensitive alternation, for the one pass of gatescan.py
_LABEL_WORDS_RX = re.compile("|".join(re.escape(w) for w in _LABEL_WORDS), re.IGNORECASE)
gatescan.register(_LABEL_WORDS_RX)


def may_have_filler(text: str) -> bool:
    """An identifier's label may be in ``text``: the gate pass's reading of the words
    when it read the text (False proves no word is in it; True, a superset, only costs
    the filler step's own search), else ``in`` tests on the lower-cased text."""
    seen = gatescan.scanned(_LABEL_WORDS_RX, text)
    if seen is not None:
        return seen
    low = text.lower()
    return any(w in low for w in _LABEL_WORDS)


#: False: ``labels`` is ``_LABEL.finditer`` (the reference; for the differential tests)
FAST = True
#: the characters other than ASCII letters that ``(?i)[a-z]`` matches (Python's ``re``
#: docs), as the letter they match: so the Hyperscan pass sees every place a label
#: can start
_CASE_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


class _LabelScan:
    """Where a label may start, in one Hyperscan pass (``_LABEL`` is led by a
    lookbehind, which ``re`` tries at every position of the text): each label word,
    case-insensitive, on the text as ASCII (the four non-ASCII letters ``(?i)`` reads as
    ASCII ones folded, every other character ``?``: one byte each, the text's offsets)."""

    def __init__(self) -> None:
        words = sorted(set(_LABEL_WORDS))
        self.lengths = [len(w) for w in words]
        self.db = _hs.Database()
        self.db.compile(expressions=[w.encode("ascii") for w in words], ids=list(range(len(words))),
                        elements=len(words), flags=[_hs.HS_FLAG_CASELESS] * len(words))
        self.local = threading.local()

    def starts(self, text: str) -> list[int]:
        scratch = getattr(self.local, "scratch", None)
        if scratch is None:
            scratch = self.local.scratch = _hs.Scratch(self.db)
        out: list[int] = []
        lengths = self.lengths

        def on_match(idx: int, _from: int, to: int, _flags: int, _ctx: object) -> None:
            out.append(to - lengths[idx])

        data = text.encode("ascii") if text.isascii() else text.translate(_CASE_FOLDS).encode("ascii", "replace")
        self.db.scan(data, match_event_handler=on_match, scratch=scratch)
        return sorted(set(out))


@functools.cache
def _label_scan() -> _LabelScan | None:
    return _LabelScan() if _hs is not None else None


def prepare() -> None:
    """Build the label pass's database now (the engine does, once), not on the first text."""
    _label_scan()


def labels(text: str) -> Iterator[re.Match[str]]:
    """``_LABEL.finditer(text)``: the same matches.  Every match of ``_LABEL`` starts with
    one of its words, so ``_LabelScan`` finds a superset of where matches start; each
    is tried in order with ``_LABEL.match`` (whose lookbehind sees the text before it)
    from the end of the last match on, as ``finditer`` scans."""
    scan = _label_scan() if FAST else None
    if scan is None:
        yield from _LABEL.finditer(text)
        return
    reach = 0
    for start in scan.starts(text):
        if start < reach:
            continue
        m = _LABEL.match(text, start)
        if m is not None:
            reach = m.end()
            yield m


def filler_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Edits (start, end, replacement, source start, source end) for ``filler-words``."""
    gaps = [m.start() for m in _GAP.finditer(text)]
    if not gaps:
        return []
    edits: list[tuple[int, int, str, int, int]] = []
    done = -1
    seen: set[int] = set()

    def take(parts: list[tuple[int, int]]) -> None:
        for (_, b), (c, _) in itertools.pairwise(parts):
            if text[b:c] != " ":
                edits.append((b, c, " ", b, c))
        for a, _ in parts:
            if text[a] == "#":
                edits.append((a, a + 1, "", a, a + 1))

    for label in labels(text):
        k = bisect.bisect_left(gaps, label.end())
        if k < len(gaps) and gaps[k] <= label.end() + LABEL_REACH + _GROUPS_REACH:
            # the label before the groups ("ssn: starts 536, then 22, ends 8710")
            tried = 0
            for g in _PART.finditer(text, label.end(), min(len(text), label.end() + LABEL_REACH + _GROUPS_REACH)):
                if g.start() - label.end() > LABEL_REACH or tried >= _STARTS_PER_LABEL:
                    break
                tried += 1
                if g.start() < done or g.start() in seen:
                    continue
                seen.add(g.start())
                if _SENTENCE_END.search(text, label.end(), g.start()) is not None:
                    break
                found = _best(text, g.start())
                if found is not None:
                    parts, done = found
                    take(parts)
                    break
        # the label after the groups ("536, then 22, then 8710 is her ssn"): groups that
        # end at most LABEL_REACH before it, tried from the leftmost of the last few
        lo = max(0, label.start() - LABEL_REACH - _GROUPS_REACH, done)
        k = bisect.bisect_left(gaps, lo)
        if k == len(gaps) or gaps[k] >= label.start():
            continue  # no filler or # between digit groups before this label
        starts = [g.start() for g in _PART.finditer(text, lo, label.start())][-_STARTS_BEFORE_LABEL:]
        for start in starts:
            if start < done:
                continue
            found = _best(text, start)
            if (found is None or found[1] > label.start() or label.start() - found[1] > LABEL_REACH
                    or _SENTENCE_END.search(text, found[1], label.start() + 1) is not None):
                continue
            parts, done = found
            take(parts)
            break
    edits.sort()
    kept: list[tuple[int, int, str, int, int]] = []
    reach = -1
    for e in edits:
        if e[0] >= reach:
            kept.append(e)
            reach = e[1]
    return kept


def _best(text: str, start: int) -> tuple[list[tuple[int, int]], int] | None:
    """The most groups from ``start`` (each with its span) that make up an identifier's
    shape with filler or a ``#`` somewhere between them (blanks alone the detector reads
    already), and where they end."""
    parts: list[tuple[int, int]] = []
    best: tuple[list[tuple[int, int]], int] | None = None  # the longest that fits a shape
    pos = start
    size = 0
    for _ in range(8):
        g = _PART.match(text, pos)
        if g is None:
            break
        parts.append(g.span())
        size += sum(ch.isalnum() for ch in text[g.start():g.end()])
        if size > 34:
            break  # longer than any identifier read here
        if len(parts) > 1 and size >= 9 and _shape_ok([text[a:b] for a, b in parts]) and not _continues(text, g.end()):
            marked = any(text[a] == "#" for a, _ in parts)
            if marked or any(text[b:c].strip() for (_, b), (c, _) in itertools.pairwise(parts)):
                best = (list(parts), g.end())
        f = _FILLER.match(text, g.end())
        if f is None or f.end() == g.end():
            break
        pos = f.end()
    return best


def _continues(text: str, end: int) -> bool:
    """More digits right after the groups: the shape is part of a longer number."""
    return re.match(r"[- ]?[0-9]", text[end : end + 2]) is not None


# -- ordered list markers --------------------------------------------------------------

_LIST_ITEM = re.compile(r"(?m)^[ \t]{0,3}([0-9]{1,3})([.)])[ \t]+(?=\S)")
gatescan.register(_LIST_ITEM)


def list_marker_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Edits dropping the markers of an ordered list's items numbered one after the
    other (two or more in a row)."""
    if "." not in text and ")" not in text:
        return []
    if not gatescan.may_search(_LIST_ITEM, text):
        return []  # no item at all (the one pass of gatescan.py proves it)
    items = list(_LIST_ITEM.finditer(text))
    edits: list[tuple[int, int, str, int, int]] = []
    k = 0
    while k < len(items):
        j = k + 1
        while (j < len(items) and int(items[j].group(1)) == int(items[j - 1].group(1)) + 1
               and items[j].group(2) == items[k].group(2)
               and 1 <= text.count("\n", items[j - 1].end(), items[j].start()) <= 2):
            j += 1
        if j - k >= 2:
            for m in items[k:j]:
                edits.append((m.start(), m.end(), "", m.start(), m.end()))
        k = j
    return edits
