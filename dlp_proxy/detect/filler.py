"""Readings of digit groups that other words or markup keep apart, for the normalizer.

- ``filler-words``: up to ``MAX_FILLER_WORDS`` short words (and commas, colons) between
  the digit groups of one identifier ("starts 536, then 22, ends 8710", "536-22 and last
  four 8710", "GB82 WEST then 1234 5698 then 7654 32"), and a ``#`` before each group
  ("#536 #22 #8710": Mattermost makes no hashtag of a ``#`` before a digit).  Read only
  when the groups' lengths make up an identifier's exact shape (SSN/ITIN 3-2-4, EIN 2-7,
  a card's fours, Amex 4-6-5, Diners 4-6-4, an IBAN's country, check digits and groups of
  four) and a label of that identifier (``_LABEL_KINDS``: "acct" or "bank" names no SSN)
  is a few words before the first group or after the last ("536, then 22, then 8710 is
  her ssn"), in the same sentence (no ``.;!?`` and a word between them): the filler
  becomes one space.  A price, a time, a date (``2026-12-05``, ``27 Jan 2024``) or a
  quantity with thousands separators is no group (``_NOT_GROUP``, ``dates.MONTH_DATE``).  After such a label, on its line (``_labelled``; a number
  followed by a unit or a plural, "12345 users", is a count there, no group): groups of
  any lengths that make up the identifier, in the order the words name, a masked form's
  slots (any character repeated: ``uniform_slots``) filled by the groups after it, a
  template's named slots given values by name (``{a}{b} a=53622 b=8710``: ``_assigned``),
  a card one off with arithmetic beside it; the span is then read as the identifier
  written whole.  A number a word right before or after it names as another kind (``zip
  53622``, ``53622 (zip)``) is no group.
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
from collections.abc import Iterable, Iterator
from typing import Any

from dlp_proxy.detect import gatescan, hsdb
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.detect.dates import month_dates

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
    r"(?i)(?<![a-z])(?:ssn|ssns|ss#|social|soc sec|soc|itin|ein|tin|tax id|card|cc|credit|debit|visa|"
    r"mastercard|amex|pan|iban|account|acct|acc|a/c|routing|aba|bank)(?![a-z])"
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
_WORD = (rf"\(?(?:[a-z]{{1,{MAX_FILLER_LETTERS}}}|[A-Z][a-z]{{0,{MAX_FILLER_LETTERS - 1}}})"
         rf"(?:[,;:.)]?{_BL}|[?!][.)]?[ \t]+)")
#: a mark closing the words before the next group ("4111 1111 - ok - 1111 1111")
_CLOSE = rf"(?:[-,;:/(]{_BL})?"
#: what may stand between two groups: a mark (comma, colon, semicolon, slash, dash, dot,
#: bracket) or blanks, then up to ``MAX_FILLER_WORDS`` short words (lower case or
#: capitalized, a mark after each, or a question's inside its line: "(lunch?) 8710"), and
#: a mark closing them
_FILLER = re.compile(rf"(?:{_BL0}[,;:/().-]?{_BL}|{_BL0}[,;:/().-]{_BL0})(?:(?:{_WORD}){{1,{MAX_FILLER_WORDS}}}{_CLOSE})?")
#: a masked slot of one character a digit (``***``, ``xx``, ``XXXX``, ``####``, ``____``,
#: ``????``, ``NNNN``) ...
_SLOTS = r"(?:[*xX\u2022#_?]{2,19}|N{2,19})"
#: where a masked slot follows digits (the gate of ``filler_edits``)
_MASK_GAP = rf"[0-9][- ](?:{_SLOTS}|[\[<{{]|[A-Za-z]{{2,8}}(?![A-Za-z0-9]))"
#: a place where filler (or a ``#``) stands between two digit groups: digit-led, one pass
#: (also: groups of a length no shape has with blanks between, "ssn 53622 1234", and
#: arithmetic after a number, "card 4111111111111112 - 1": the label's reading, ``_labelled``;
#: and a masked slot after digits, "536-22-####")
_GAP = re.compile(
    rf"[0-9A-Z](?:{_BL0}[,;:/().-]?{_BL}(?:{_WORD}){{1,{MAX_FILLER_WORDS}}}{_CLOSE}#?[0-9A-Z]|{_BL0}[,;:/().-]?{_BL0}#[0-9])"
    r"|[0-9]{5}[ \t]+[0-9]|[0-9][ \t]+[0-9]{5}|" + _MASK_GAP +
    r"|[Ss]ubtract|[Mm]inus|take (?:one|1)|(?:plus|add) (?:one|1)|one (?:less|more)|[0-9) (][-+] ?1(?![0-9])"
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
#: the abbreviation of "number" right after a label ("ITIN no. is 983...", "acct nbr. 12"):
#: its dot ends no sentence
_NUMBER_ABBREVIATION = re.compile(r"(?i)[ \t]*(?:no|nbr|num)\.")


def _after_label(text: str, label: re.Match[str]) -> int:
    """Where a label's sentence goes on: after the label, and after a ``no.`` right after it."""
    m = _NUMBER_ABBREVIATION.match(text, label.end())
    return label.end() if m is None else m.end()
_CARD_SHAPES = frozenset({(4, 6, 5), (4, 6, 4), (4, 4, 4, 4, 3), *((4, 4, 4, last) for last in range(1, 5))})
_DIGIT_SHAPES = frozenset({(3, 2, 4), (2, 7), *_CARD_SHAPES})
_SSN, _EIN, _CARD, _IBAN = (frozenset({k}) for k in ("ssn", "ein", "card", "iban"))
#: the identifier each shape reads as: a 3-2-4 is an SSN or ITIN, never a card or an account
_SHAPE_KINDS: dict[tuple[int, ...], frozenset[str]] = {(3, 2, 4): _SSN, (2, 7): _EIN,
                                                       **{shape: _CARD for shape in _CARD_SHAPES}}


def _chunks(group: str) -> list[str]:
    return [c for c in re.split(r"[- ]", group.lstrip("#")) if c]


def _shape_kinds(groups: list[str]) -> frozenset[str]:
    """The identifiers whose exact shape the groups' chunks make up (empty: none)."""
    chunks = [c for g in groups for c in _chunks(g)]
    if all(c.isdigit() for c in chunks):
        shape = tuple(len(c) for c in chunks)
        return _SHAPE_KINDS.get(shape, frozenset())
    # an IBAN: country and check digits, then groups of four, the last one to four
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}", chunks[0]) or len(chunks) < 3:
        return frozenset()
    if all(len(c) == 4 for c in chunks[1:-1]) and 1 <= len(chunks[-1]) <= 4 and 15 <= sum(map(len, chunks)) <= 34:
        return _IBAN
    return frozenset()


_LABEL_WORDS = ("ssn", "ss#", "social", "soc sec", "soc", "itin", "ein", "tin", "tax id", "card", "cc", "credit",
                "debit", "visa", "mastercard", "amex", "pan", "iban", "account", "acct", "acc", "a/c", "routing",
                "aba", "bank")

#: what each label names: a reading across words is weak evidence, kept only under a label
#: of the identifier it reads ("acct 7 sold 10000 at 189.25, 1500 left" is no SSN; "bank"
#: or "routing" names no SSN nor card).  An account word names an IBAN (its country, check
#: digits and mod-97 checksum are evidence of their own), never a 3-2-4 or a card.
_LABEL_KINDS: dict[str, frozenset[str]] = {
    # the shorthand of chat ("ss#", "soc", "cc", "cc#", "acc", "a/c") names what the word does
    **dict.fromkeys(("ssn", "ssns", "ss#", "social", "soc sec", "soc", "itin"), _SSN),
    **dict.fromkeys(("tin", "tax id"), _SSN | _EIN),
    "ein": _EIN,
    **dict.fromkeys(("card", "cc", "credit", "debit", "visa", "mastercard", "amex", "pan"), _CARD),
    "iban": _IBAN,
    **dict.fromkeys(("account", "acct", "acc", "a/c", "bank"), _IBAN),
    **dict.fromkeys(("routing", "aba"), frozenset()),
}


def _label_kinds(label: str) -> frozenset[str]:
    return _LABEL_KINDS.get(re.sub(r"\s+", " ", label.translate(_CASE_FOLDS).lower()), frozenset())


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
        self.db = hsdb.compile_db([w.encode("ascii") for w in words], [_hs.HS_FLAG_CASELESS] * len(words))
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
    yield from gatescan.matches_at(_LABEL, text, scan.starts(text))


#: a masked slot written with any other character, repeated (``%%%``, ``●●●●``, ``@@``,
#: ``~~~``, ``...``, ``oo``): a writer picks whichever mask the reader does not know
_ANY_SLOT = r"(?:[^\w\s\-\[\]{}<>()/|,;:'\"]{2,19}|o{2,19}|O{2,19})"
#: a masked form with such slots: digit groups and slots apart by a dash or a blank
_ANY_SLOT_FORM = re.compile(
    rf"(?<![\w\-])(?:{_ANY_SLOT}|[0-9]{{1,9}})(?:[- ](?:{_ANY_SLOT}|[0-9]{{1,9}})){{1,3}}(?![\w])")
_ANY_SLOT_CHUNK = re.compile(_ANY_SLOT)
#: where ``_ANY_SLOT_FORM`` may match: a digit, a dash or a blank beside a repeated mark
_ANY_SLOT_HINT = re.compile(r"[0-9][- ](?:([^\w\s])\1|oo|OO)|(?:([^\w\s])\2|oo|OO)[- ][0-9]")
gatescan.register(_ANY_SLOT_HINT)


def may_have_slots(text: str) -> bool:
    """A masked form with slots of another character than ``_SLOTS``' may be in ``text``."""
    return gatescan.may_search(_ANY_SLOT_HINT, text) and _ANY_SLOT_HINT.search(text) is not None


def uniform_slots(text: str) -> str:
    """``text`` with the slots of each masked form written with another character
    (``%%%-%%-8710``, ``536-22-●●●●``, ``536-oo-8710``: one character repeated, beside a
    digit group) written as ``#`` slots, one for one (same length, same offsets), so the
    masked reading (``_fill``) reads them as it reads ``###-##-8710``."""
    if not may_have_slots(text):
        return text
    out = list(text)
    changed = False
    for m in _ANY_SLOT_FORM.finditer(text):
        chunks = list(_ANY_SLOT_CHUNK.finditer(text, m.start(), m.end()))
        if not chunks or not any(ch.isdigit() for ch in m.group()):
            continue
        for ch in chunks:
            run = ch.group()
            if len(set(run)) != 1:
                continue  # one character repeated: a slot; mixed marks are something else
            out[ch.start() : ch.end()] = "#" * len(run)
            changed = True
    return "".join(out) if changed else text


def filler_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Edits (start, end, replacement, source start, source end) for ``filler-words``.
    Every edit comes from a label's reading (the loops below), so a text without a label
    of an identifier kind has none: the labels are found first (one Hyperscan pass),
    the gaps near them (``gap_starts``) only when one is there.  Slots of a masked form
    written with any repeated mark are read as ``#`` slots (``uniform_slots``)."""
    text = uniform_slots(text)
    found_labels = list(labels(text))
    near = [(m.start() - _GAP_REACH, m.end() + _GAP_REACH) for m in found_labels if _label_kinds(m.group())]
    if not near:
        return []
    # the gaps are looked up only within _GAP_REACH of a label of a kind (below)
    gaps = gap_starts(text, near)
    if not gaps and gatescan.search_lead(_GAP, _GAP_LEAD, text) is None and not may_have_template(text):
        return []  # no gap in the whole text: no reading at all, _labelled's neither
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

    others = _not_groups(text, found_labels)
    for label in found_labels:
        kinds = _label_kinds(label.group())
        if not kinds:
            continue
        k = bisect.bisect_left(gaps, label.end())
        if k < len(gaps) and gaps[k] <= label.end() + _GAP_REACH:
            # the label before the groups ("ssn: starts 536, then 22, ends 8710")
            tried = 0
            for g in _PART.finditer(text, label.end(), min(len(text), label.end() + LABEL_REACH + _GROUPS_REACH)):
                if g.start() - label.end() > LABEL_REACH or tried >= _STARTS_PER_LABEL:
                    break
                tried += 1
                if g.start() < done or g.start() in seen:
                    continue
                seen.add(g.start())
                if _SENTENCE_END.search(text, _after_label(text, label), g.start()) is not None:
                    break
                found = _best(text, g.start(), kinds, others)
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
            found = _best(text, start, kinds, others)
            if (found is None or found[1] > label.start() or label.start() - found[1] > LABEL_REACH
                    or _SENTENCE_END.search(text, found[1], label.start() + 1) is not None):
                continue
            parts, done = found
            take(parts)
            break
    for n, label in enumerate(found_labels):
        kinds = _label_kinds(label.group())
        if not kinds:
            continue
        stop = found_labels[n + 1].start() if n + 1 < len(found_labels) else len(text)
        read = _labelled(text, _after_label(text, label), min(stop, label.end() + LABEL_REACH + _GROUPS_REACH), kinds,
                        others)
        if read is None:
            continue
        a, b, ident, moved = read
        clash = [e for e in edits if e[0] < b and a < e[1]]
        if clash and not moved:
            continue  # the groups in order: the reading above has them
        edits = [e for e in edits if e not in clash]
        edits.append((a, b, ident, a, b))
    edits.sort()
    kept: list[tuple[int, int, str, int, int]] = []
    reach = -1
    for e in edits:
        if e[0] >= reach:
            kept.append(e)
            reach = e[1]
    return kept


#: how far from a label ``filler_edits`` looks up gaps: the groups after it
#: (``[label.end(), label.end() + _GAP_REACH]``) and before it (``[label.start() -
#: _GAP_REACH, label.start())``)
_GAP_REACH = LABEL_REACH + _GROUPS_REACH
#: a character no match of ``_GAP`` holds: every character of a match is a digit, an ASCII
#: letter, a blank, a line break, one of ``,;:/().#+-``, a question or exclamation mark
#: after a filler word, or a masked slot's ``*_?•[<{`` (``_GAP`` has no flag, no lookbehind)
_GAP_BARRIER = r"[^0-9A-Za-z \t\n,;:/().#+\-?!*_\u2022\[<{]"
_BARRIER = re.compile(_GAP_BARRIER)
#: the last such character of a span (``match(text, lo, hi)``: greedy, then back)
_LAST_BARRIER = re.compile(r"(?s).*" + _GAP_BARRIER)
#: where ``_GAP`` can match: a digit or capital before a blank, a line break, a mark or a
#: ``#`` (its first, third and masked-slot elements); five digits before a blank (its
#: second); a digit, bracket or blank before a sign; its words.  (Not "two digits": in a
#: table every digit pair led a try of ``_GAP`` at eight positions.)
_GAP_LEAD = re.compile(r"[0-9A-Z][ \t\n,;:/().#-]|[0-9]{5}[ \t]|[0-9) (][-+]"
                       r"|[Ss]ubtract|[Mm]inus|take (?:one|1)|(?:plus|add) (?:one|1)|one (?:less|more)")
gatescan.register_spans(_GAP_LEAD, 8)  # its longest match
#: how far back from a span ``gap_starts`` looks for such a character
_BARRIER_LOOKBACK = 4096


def gap_starts(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """The starts of ``_GAP.finditer(text)``'s matches that lie in one of ``spans``
    (``[a, b]``, sorted by start), the same as a search of the whole text finds, without
    searching all of it.

    No match holds a character of ``_GAP_BARRIER``, nor starts on one, and every element
    of ``_GAP`` that reads one fails there as at the text's end (its lookaheads,
    ``(?![0-9])`` and ``(?![A-Za-z0-9])``, succeed at both).  So the whole-text ``finditer`` goes on from at most
    just after such a character, and finds the first match after it, then the same ones
    as a ``finditer`` from there; and one cut at such a character (``endpos``) finds the
    same matches before it.  Each span is searched from after the last such character
    before it (within ``_BARRIER_LOOKBACK``, else from where the last search stopped, or
    the text's start) to the first one after it (or the text's end)."""
    found: list[int] = []  # the matches' starts in the regions searched, ascending
    searched = 0  # where the last search stopped: the text's start, a barrier or the text's end
    out: set[int] = set()
    for a, b in spans:
        a = max(a, 0)
        if b < a:
            continue
        if b >= searched:
            start = searched
            if a > searched:
                bar = _LAST_BARRIER.match(text, max(searched, a - _BARRIER_LOOKBACK), a)
                if bar is not None:
                    start = bar.end()
            cut = _BARRIER.search(text, b + 1)
            searched = len(text) if cut is None else cut.start()
            found.extend(m.start() for m in gatescan.finditer(_GAP, _GAP_LEAD, text, start, searched))
        k = bisect.bisect_left(found, a)
        while k < len(found) and found[k] <= b:
            out.add(found[k])
            k += 1
    return sorted(out)


def _best(text: str, start: int, kinds: frozenset[str],
          others: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], int] | None:
    """The most groups from ``start`` (each with its span) that make up the shape of an
    identifier of ``kinds`` with filler or a ``#`` somewhere between them (blanks alone
    the detector reads already), and where they end.  A number that is something else
    (``others``: a price, a time, a date, a quantity with thousands separators) is no group."""
    parts: list[tuple[int, int]] = []
    best: tuple[list[tuple[int, int]], int] | None = None  # the longest that fits a shape
    pos = start
    size = 0
    for _ in range(8):
        g = _PART.match(text, pos)
        if g is None or _overlaps(others, g.start(), g.end()) or _UNIT_AFTER.match(text, g.end()) is not None:
            break  # a price, a time...; or a count ("617 done, 77 failed, 4867 remaining")
        named_from = max(parts[-1][1] if parts else 0, g.start() - 24)
        if (NAMED_OTHER.search(text, named_from, g.start()) is not None
                or NAMED_OTHER_AFTER.match(text, g.end()) is not None
                or _code_named(text, named_from, g.start(), g.end(), parts)):
            break  # a number named as another kind ("zip 53622", "53622 (zip)")
        parts.append(g.span())
        size += sum(ch.isalnum() for ch in text[g.start():g.end()])
        if size > 34:
            break  # longer than any identifier read here
        shape = kinds & _shape_kinds([text[a:b] for a, b in parts]) if len(parts) > 1 and size >= 9 else frozenset()
        if shape == _IBAN and not _iban_ok("".join(c for a, b in parts for c in _chunks(text[a:b]))):
            # an IBAN's groups only where they pass mod 97: ``IBAN GB82 west 1234 ...`` has
            # its bank code in lower case, no filler word (attack pass 15)
            shape = frozenset()
        if shape and not _continues(text, g.end()):
            marked = any(text[a] == "#" for a, _ in parts)
            if marked or any(text[b:c].strip() for (_, b), (c, _) in itertools.pairwise(parts)):
                best = (list(parts), g.end())
        f = _FILLER.match(text, g.end())
        if f is None or f.end() == g.end():
            break
        pos = f.end()
    return best


#: a number that is something else than an identifier's digit group: a price (``189.25``,
#: ``@ 415``, ``$1500``, ``px 101``), a quantity with thousands separators (``10,000``), a
#: time (``10:30``), a date (``2026-12-05``, ``12/05``)
_NOT_GROUP = re.compile(
    r"(?<![0-9.,])[0-9]{1,7}\.[0-9]{2}(?![0-9]|[.,][0-9])"
    r"|(?:[@$]|(?<![A-Za-z])px(?![A-Za-z]))[ \t]*[0-9][0-9,]*(?:\.[0-9]+)?"
    r"|(?<![0-9,.])[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9]|,[0-9])"
    r"|(?<![0-9:])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9:])"
    r"|(?<![0-9])(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9](?![0-9])"
    r"|(?<![0-9/])[0-9]{1,2}/[0-9]{1,2}(?:/[0-9]{2,4})?(?![0-9/])"
)
#: where ``_NOT_GROUP`` can match (each alternative without its lookarounds): it is tried
#: only inside this one's spans (``gatescan.finditer``)
_NOT_GROUP_LEAD = re.compile(
    r"[0-9]{1,7}\.[0-9]{2}|[@$]|px|[0-9]{1,3},[0-9]{3}|[0-9]{1,2}:[0-9]{2}"
    r"|(?:19|20)[0-9]{2}-[01][0-9]-[0-3][0-9]|[0-9]{1,2}/[0-9]{1,2}"
)
gatescan.register_spans(_NOT_GROUP_LEAD, 10)  # its longest match
#: digits named in the words ("first 5", "the last 4 are"): a count, no group
#: ... only with the digits or the word "digits" after it: "middle 22" alone is the group
_COUNT = re.compile(r"(?i)(?<![a-z])(?:first|last|final|middle|remaining)[ \t]?[0-9]{1,2}(?![0-9])"
                    r"(?=[ \t]*(?:digits?|nums?|numbers?|[:=#-]|are|is|were|was|read|reads)?[ \t]*[0-9]"
                    r"|[ \t]+(?:digits?|nums?|numbers?)(?![a-z]))")


_DIGITS_BLANK = re.compile(r"[0-9]")


def _not_groups(text: str, near: list[re.Match[str]]) -> list[tuple[int, int]]:
    """``_NOT_GROUP``'s spans (sorted) where a label's groups may be: around each label."""
    reach = LABEL_REACH + _GROUPS_REACH + 16
    spans: list[tuple[int, int]] = []
    lo = hi = -1
    for label in near:
        a, b = max(0, label.start() - reach), label.end() + reach
        if a > hi:
            if hi > lo:
                spans.extend(_others(text, lo, hi))
            lo = a
        hi = max(hi, b)
    if hi > lo:
        spans.extend(_others(text, lo, hi))
    return sorted(set(spans))


def _others(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """The spans of ``_NOT_GROUP`` and of dates with a month's name (``dates.MONTH_DATE``:
    ``27 Jan 2024``) in ``text[lo:hi]``."""
    return ([m.span() for m in gatescan.finditer(_NOT_GROUP, _NOT_GROUP_LEAD, text, lo, hi)]
            + [m.span() for m in month_dates(text, lo, hi)])


def _overlaps(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    k = bisect.bisect_left(spans, (a, a))
    return any(s < b and a < e for s, e in spans[max(0, k - 1) : k + 1])


# -- a label's digits in any split, order or masked form --------------------------------

#: ``_SLOTS`` (above) ...
#: ... or a named one, of any width (``[redacted]``, ``<last4>``, ``{x}``)
_NAMED = r"(?:\[[A-Za-z0-9 ]{1,12}\]|<[A-Za-z0-9 ]{1,12}>|\{[A-Za-z0-9 ]{1,8}\})"
_MASK = rf"(?:{_SLOTS}|{_NAMED})"
#: one token: chunks of digits or masked slots with a dash or blank between them, or an
#: IBAN's country, check digits and what follows
_TOKEN = re.compile(
    rf"(?<![A-Za-z0-9*\u2022#_?])(?:[A-Z]{{2}}[0-9]{{2}}[A-Z0-9]{{0,30}}|[0-9]{{1,19}}|{_MASK})"
    rf"(?:[- ](?:[0-9]{{1,19}}|{_MASK}))*(?![A-Za-z0-9*\u2022#_?])"
)
_CHUNK = re.compile(rf"[0-9]+|{_MASK}|[A-Z]{{2}}[0-9]{{2}}[A-Z0-9]*")
_MASKED = re.compile(_MASK)
_FIXED_SLOTS = re.compile(_SLOTS)
#: a word standing for a group, glued to the digits ("536-22-abcd") and given later
#: ("where abcd = 8710", "abcd is 8710"): read as a named slot (``_placeholders``)
_WORD_SLOT = re.compile(r"(?<=[0-9][- ])([A-Za-z]{2,8})(?![A-Za-z0-9])")
_GIVEN = r"[ \t]*(?:=|:|is|are|->)[ \t]*[0-9]"
#: where the words say a group goes: first (0), between (1, no word), last (2)
_HEAD = re.compile(r"(?i)(?<![a-z])(?:first|starts?|starting|begins?|beginning|bin|prefix|leading)(?![a-z])")
_TAIL = re.compile(r"(?i)(?<![a-z])(?:last|ends?|ending|final|suffix)(?![a-z])|last[0-9]")
#: a word after a number that makes it a count or an amount ("12345 users", "1234 ms",
#: "12 of", "12345 failed"), not a group: a plural (not "is", "ends", "digits"...) or a unit
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:%|(?!(?:is|was|as|its|has|this|plus|thus|digits|ends|starts|begins|equals|reads|follows|goes|comes"
    # chat's sign-offs ("... last four is 8976 pls"): no plural
    r"|pls|plss|plz|thanks|thnks|tks|cheers|yes|kudos)(?![A-Za-z]))[a-z]{2,}s(?![A-Za-z])"
    r"|(?:failed|fail|done|left|of|per|each|total|pending|processed|took|remaining|more|to go|shs?|ms|secs?"
    r"|mins?|hrs?|[km]|mm|bn|pct|percent|x|times|open|this|out of"
    # a status in the past tense ("1703 matched, 246 mismatched"), not the words that join
    # one group to the next ("536 followed by 22")
    r"|(?!(?:followed|prefixed|suffixed|appended|repeated|reversed|padded|joined|separated|combined|concatenated"
    r"|grouped|attached|added|used|needed|required|masked|redacted|hidden|listed|stored|called|named|noted)"
    r"(?![A-Za-z]))[a-z]{3,}ed)(?![A-Za-z]))", re.IGNORECASE)
_A_WORD = re.compile(r"[A-Za-z]+")
#: words that name a number as another kind of number than an identifier's digits
_OTHER_NUMBER = (r"zip(?:[ \t]*code)?|postal(?:[ \t]*code)?|postcode|ext|extension|phone|tel|fax|dob|born|year|yr|"
                 r"age|pin|room|floor|suite|apt|unit|order|ticket|ref|qty|px|price")
#: a word right before a number that names it as another kind of number: no piece of the
#: identifier a label's words give ("last four SSN 1396, zip 18937": a caller's check),
#: also with a verb between ("and the zip is 53622")
NAMED_OTHER = re.compile(
    rf"(?i)(?<![a-z])(?:{_OTHER_NUMBER})[ \t]*(?:[:#=.]|(?:is|was|of|reads|being)(?![a-z]))?[ \t]*$")
_NAMED_OTHER = NAMED_OTHER
#: a card's code or expiry label right before a number of three or four digits (``_code_named``)
_CARD_CODE = re.compile(
    r"(?i)(?<![a-z])(?:cvv2?|cvc2?|cv2|cid|csc|exp|expiry|expires|expiration|security[ \t]*code)"
    r"[ \t]*[:#=.]?[ \t]*$")


def _code_named(text: str, lo: int, start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    """The group ``text[start:end]`` is a card's code or expiry by its label ("Amex <4-6-5>
    cvv 2576", "pan=<15> exp=0927": held-out probe 6 of 2026-12-07): three or four digits
    after the groups ``spans`` that already make a whole card (13-19 digits passing Luhn).
    Otherwise the label is filler like any other word ("<4-4-4>, cvv <4>" is a card's last
    group disguised), and a longer number after "cvv" is no code."""
    if not 3 <= sum(ch.isdigit() for ch in text[start:end]) <= 4 or _CARD_CODE.search(text, lo, start) is None:
        return False
    digits = "".join(ch for a, b in spans for ch in text[a:b] if ch.isdigit())
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


#: ... or right after it, naming it and closing the phrase ("53622 (zip)", "53622 zip.",
#: "53622 is the zip, and"; not "8710, zip 53622", where the word labels the next number,
#: nor "6588 dob on file", where it labels what follows)
NAMED_OTHER_AFTER = re.compile(
    rf"(?i)[ \t]*[(\[,;\-]?[ \t]*(?:(?:is|was|=)[ \t]+)?(?:(?:the|my|her|his|their|its)[ \t]+)?(?:{_OTHER_NUMBER})"
    r"(?![a-z])(?=[ \t]*(?:[)\].,;:!?]|\n|$)|[ \t]+(?:and|&|then|but|too|also|ok|pls|please|thx|thanks)(?![a-z]))")


#: what turns a number into the one meant ("then subtract one", "(last digit +1)", "- 1")
_ARITH = re.compile(r"(?i)subtract|minus|(?:take|knock) (?:one|1)|(?:plus|add) (?:one|1)|one (?:less|more)"
                    r"|(?<![0-9])[-+] ?1(?![0-9])")
#: a line break, or a table's record or cell mark (detect/structure.py)
_ROW_END = re.compile("[\n\x1c-\x1f]")
_TABLE_MARK = re.compile("[\x1c-\x1f]")
#: tokens read after one label, at most
_MAX_TOKENS = 6




def _iban_ok(value: str) -> bool:
    moved = value[4:] + value[:4]
    return 15 <= len(value) <= 34 and int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _as_identifier(value: str, kinds: frozenset[str]) -> str | None:
    """``value`` (digits, or an IBAN's letters and digits) written as the identifier of
    ``kinds`` it is, or None."""
    if value[:2].isalpha():
        return value if "iban" in kinds and value[2:4].isdigit() and _iban_ok(value) else None
    if not value.isdigit():
        return None  # digits then an IBAN's letters ("536 536 536 GB82"): no SSN, EIN or card
    if len(value) == 9 and "ssn" in kinds:
        return f"{value[:3]}-{value[3:5]}-{value[5:]}"
    if len(value) == 9 and "ein" in kinds:
        return f"{value[:2]}-{value[2:]}"
    if "card" in kinds and 13 <= len(value) <= 19 and value[0] in "23456" and luhn_ok(value):
        return value
    return None


#: words naming an identifier's first part, and its last part
_FIRST_PART = re.compile(r"(?i)(?<![a-z])(?:starts?(?:[ \t]+with)?|starting(?:[ \t]+with)?|begins?(?:[ \t]+with)?|"
                         r"beginning|first(?:[ \t]+(?:part|half|five|six|eight|[0-9]))?|prefix)(?![a-z])")
_LAST_PART = re.compile(r"(?i)(?<![a-z])(?:ends?(?:[ \t]+with|[ \t]+in)?|ending(?:[ \t]+in)?|last(?:[ \t]+(?:part|half|four|"
                        r"six|eight|[0-9]))?|rest|remaining|remainder|suffix)(?![a-z])")


def _labelled(text: str, lo: int, hi: int, kinds: frozenset[str],
              others: list[tuple[int, int]]) -> tuple[int, int, str, bool] | None:
    """The identifier of ``kinds`` that a label's following words give in pieces (``lo``
    to ``hi``, one sentence), as (start, end, identifier): groups of any lengths that make
    up its length ("ssn first five 53622 last four 1234", "card BIN 411111 rest
    1111111111"), in the order the words name ("ssn ends 1234, starts 53622"), a masked
    form and the groups that fill its slots ("SSN ***-**-1234, first five are 536-22"), or
    a card one off with the arithmetic beside it ("card 4111111111111112 then subtract one").
    The flag: the digits are not the groups in the order written (moved, filled or fixed)."""
    if may_have_template(text):
        filled = _assigned(text, lo, hi, kinds)
        if filled is not None:
            return filled
    text = _placeholders(text, lo, hi)
    end = _SENTENCE_END.search(text, lo, hi)
    found = _read(text, lo, hi if end is None else end.start(), kinds, others)
    if (found is None and end is not None and _FIRST_PART.search(text, lo, end.start()) is not None
            and (last := _LAST_PART.search(text, end.start(), hi)) is not None):
        # the first part in one sentence, the last in a later one, words between ("SSN
        # starts 53622. ok? ends 8710": held-out probe of 2026-12-07, class 5): read to the
        # end of the sentence that names the last part
        after = _SENTENCE_END.search(text, last.end(), hi)
        found = _read(text, lo, hi if after is None else after.start(), kinds, others)
    if found is None and (end is not None or _ROW_END.search(text, lo, hi) is not None):
        # a masked form filled in the next sentence or on the next line ("536-22-####; fill
        # in 8710", "536-22-####" then "#### = 8710")
        breaks = [m.start() for m in itertools.islice(_ROW_END.finditer(text, lo, hi), 2)]
        found = _read(text, lo, breaks[1] if len(breaks) > 1 else hi, kinds, others, masked_only=True)
    return found


#: a slot named in a template, as code and mail-merge write them: ``{a}``, ``${a}``,
#: ``$a``, ``%(a)s``, ``<a>``, ``[a]``, ``{{a}}``
_TEMPLATE_SLOT = (r"(?:\{\{?([A-Za-z_][A-Za-z0-9_]{0,11})\}\}?|\$\{([A-Za-z_][A-Za-z0-9_]{0,11})\}"
                  r"|\$([A-Za-z_][A-Za-z0-9_]{0,11})|%\(([A-Za-z_][A-Za-z0-9_]{0,11})\)s"
                  r"|<([A-Za-z_][A-Za-z0-9_]{0,11})>|\[([A-Za-z_][A-Za-z0-9_]{0,11})\])")
_TEMPLATE_SLOT_RE = re.compile(_TEMPLATE_SLOT)
#: a template: slots and digit groups side by side or apart by a dash, a dot or a blank,
#: with one slot at least ("{a}{b}", "{a}-{b}-{c}", "$a-22-$c", "536-{x}")
_TEMPLATE = re.compile(rf"(?:{_TEMPLATE_SLOT}|[0-9]{{1,9}})(?:[-. ]?(?:{_TEMPLATE_SLOT}|[0-9]{{1,9}})){{1,5}}")
#: where a template may be: a slot's opening beside a slot's end, a digit or a separator
_TEMPLATE_HINT = re.compile(r"[}>\]0-9a-zA-Z_][-. ]?(?:\{\{?|\$\{?|%\(|<|\[)[A-Za-z_]")
gatescan.register(_TEMPLATE_HINT)
#: a slot's value given by its name (``a=536``, ``b: 22``, ``"c": "8710"``, ``x is 536``)
_ASSIGN = r"(?<![A-Za-z0-9_]){name}[\"']?[ \t]*(?:=|:|->|is|are)[ \t]*[\"']?([0-9]{{1,9}}(?:[- ][0-9]{{1,9}}){{0,2}})(?![0-9])"
#: how far after a template its slots' values may be given
_ASSIGN_REACH = 160


def may_have_template(text: str) -> bool:
    """A template with named slots may be in ``text`` (``_assigned``)."""
    return gatescan.may_search(_TEMPLATE_HINT, text) and _TEMPLATE_HINT.search(text) is not None


def _assigned(text: str, lo: int, hi: int, kinds: frozenset[str]) -> tuple[int, int, str, bool] | None:
    """A template after a label whose named slots the text gives values for by name
    ("ssn {a}{b} where a=53622 b=8710", "ssn ${a}-${b}-${c}; a=536, b=22, c=8710",
    "SSN <first>-<mid>-8710, first=536 mid=22"): the identifier it is filled in with."""
    for form in _TEMPLATE.finditer(text, lo, hi):
        if form.start() - lo > LABEL_REACH:
            return None
        slots = list(_TEMPLATE_SLOT_RE.finditer(text, form.start(), form.end()))
        if not slots:
            continue
        reach = min(len(text), form.end() + _ASSIGN_REACH)
        value = ""
        pos = form.start()
        end = form.end()
        for slot in slots:
            value += "".join(re.findall(r"[0-9]", text[pos : slot.start()]))
            name = next(g for g in slot.groups() if g)
            given = re.compile(_ASSIGN.format(name=re.escape(name))).search(text, form.end(), reach)
            if given is None:
                break
            value += re.sub(r"[- ]", "", given.group(1))
            end = max(end, given.end())
            pos = slot.end()
        else:
            value += "".join(re.findall(r"[0-9]", text[pos : form.end()]))
            ident = _as_identifier(value, kinds) if value else None
            if ident is not None:
                return form.start(), end, ident, True
    return None


def _placeholders(text: str, lo: int, hi: int) -> str:
    """``text`` with each word glued to digits that the words after it give digits for
    ("536-22-abcd where abcd = 8710") written as a named slot of the same length
    (``{bc}``), there and where it is given."""
    for m in _WORD_SLOT.finditer(text, lo, hi):
        word = m.group(1)
        if _LABEL.fullmatch(word) or re.search(rf"(?<![A-Za-z]){word}{_GIVEN}", text[m.end() : hi]) is None:
            continue
        slot = "{" + word[1:-1] + "}"
        text = text[: m.start()] + re.sub(rf"(?<![A-Za-z]){word}(?![A-Za-z])", slot, text[m.start() : hi]) + text[hi:]
    return text


#: between two numbers of a list: blanks, list marks and numbers read as no group (a
#: quantity "0,100", a price), no word (recognizers/_lists.py)
_LIST_GAP = re.compile(r"[ \t,;/.0-9]*")


#: a part named the last ("last four is", "ends", "final 4 =") right before a group
_TAIL_NEAR = 24
#: words, and line breaks, that may stand between a part named the first and one named
#: the last ("social, first five NNNNN" / "(rest in a sec)" / "ok last four is NNNN")
_NAMED_PART_WORDS = 12
_NAMED_PART_LINES = 2
_LINE_MARKS = re.compile("\n")


def _named_tail(text: str, prev: int, start: int) -> bool:
    """A word naming the last part stands right before the group at ``start``."""
    return _TAIL.search(text, max(prev, start - _TAIL_NEAR), start) is not None


def _lines_between(text: str, a: int, b: int) -> bool:
    """At most ``_NAMED_PART_LINES`` line breaks and no table mark between ``a`` and ``b``."""
    return (_TABLE_MARK.search(text, a, b) is None
            and sum(1 for _ in itertools.islice(_LINE_MARKS.finditer(text, a, b), _NAMED_PART_LINES + 1))
            <= _NAMED_PART_LINES)


def _read(text: str, lo: int, hi: int, kinds: frozenset[str], others: list[tuple[int, int]],
          masked_only: bool = False) -> tuple[int, int, str, bool] | None:
    """``_labelled``'s reading of ``lo`` to ``hi`` (``masked_only``: a masked form's only)."""
    counts = [m.span() for m in _COUNT.finditer(text, lo, hi)]
    if counts:
        # a count's digits are no group, nor part of the group after them: "first 5 NNNNN
        # last 4 NNNN" holds the tokens NNNNN and NNNN, not "5 NNNNN" and "4 NNNN" (a token
        # joins chunks apart by a blank); blanked, same length
        parts, at = [], 0
        for a, b in counts:
            parts += [text[at:a], _DIGITS_BLANK.sub(" ", text[a:b])]
            at = b
        text = "".join([*parts, text[at:]])
    tokens: list[tuple[int, int, list[str], int]] = []  # span, chunks, where the words put it
    prev = lo
    for m in _TOKEN.finditer(text, lo, hi):
        if not tokens and (m.start() - lo > LABEL_REACH or _TABLE_MARK.search(text, lo, m.start()) is not None):
            return None  # too far, or in another cell or row than the label
        named = bool(tokens) and tokens[-1][3] == 0 and _named_tail(text, prev, m.start())
        if tokens and (_TABLE_MARK if masked_only else _ROW_END).search(text, tokens[0][1], m.start()) is not None \
                and not (named and not masked_only and _lines_between(text, tokens[-1][1], m.start())):
            break  # the groups of one line and cell: a table's next row or cell is another record
        if _MASKED.search(m.group()):
            pass  # a masked form ("536-22-[last 4]"), no count
        elif (_overlaps(others, m.start(), m.end()) or _overlaps(counts, m.start(), m.end())
                or _UNIT_AFTER.match(text, m.end()) is not None
                or _NAMED_OTHER.search(text, max(prev, m.start() - 24), m.start()) is not None
                or NAMED_OTHER_AFTER.match(text, m.end()) is not None
                or _code_named(text, max(prev, m.start() - 24), m.start(), m.end(),
                               ((a, b) for a, b, _, _ in tokens))):
            continue  # ... or a number the word right before or after names as another ("zip 18937", "18937 (zip)")
        if tokens and len(_A_WORD.findall(text, tokens[-1][1], m.start())) > (
                _NAMED_PART_WORDS if named else MAX_FILLER_WORDS + 1):
            break
        # (the first group's words start on the label's line before the label: "first 5 of
        # her social: NNN-NN" / "last 4: NNNN" names the first part: held-out probe 5)
        words = text[prev if tokens else max(text.rfind("\n", 0, lo) + 1, lo - LABEL_REACH) : m.start()]
        place = 2 if _TAIL.search(words) else 0 if _HEAD.search(words) else 1
        tokens.append((m.start(), m.end(), _CHUNK.findall(m.group()), place))
        prev = m.end()
        if len(tokens) >= _MAX_TOKENS:
            break
    if not tokens:
        return None
    masked = [t for t in tokens if any(_MASKED.fullmatch(c) for c in t[2])]
    if masked:
        return _fill(text, tokens, masked[0], kinds)
    if masked_only:
        return None
    for i in range(min(3, len(tokens))):
        for j in range(i + 2, min(len(tokens), i + 4) + 1):
            run = tokens[i:j]
            if any(len("".join(c)) < (4 if kinds == _CARD else 2) for _, _, c, _ in run):
                continue
            if sum(len(c) for _, _, c, _ in run) >= 3 and all(len(x) <= 3 for _, _, c, _ in run for x in c) and all(
                    _LIST_GAP.fullmatch(text, b, c) for (_, b, _, _), (c, _, _, _) in itertools.pairwise(run)):
                continue  # "counts: 10, 10, 10, 0 10": short numbers side by side are a list (det23b)
            if (all(not text[b:c].strip() for (_, b, _, _), (c, _, _, _) in itertools.pairwise(run))
                    and _shape_kinds(["-".join(c) for _, _, c, _ in run])):
                continue  # blanks between the groups of a shape: the recognizers read it as written
            ordered = sorted(run, key=lambda t: t[3])
            ident = _as_identifier("".join("".join(c) for _, _, c, _ in ordered), kinds)
            if ident is not None:
                return run[0][0], run[-1][1], ident, ordered != run
    if "card" in kinds:
        for a, b, chunks, _ in tokens:
            value = "".join(chunks)
            if (value.isdigit() and 13 <= len(value) <= 19 and not luhn_ok(value)
                    and _ARITH.search(text, b, min(hi, b + 40)) is not None):
                for fixed in (str(int(value) - 1).zfill(len(value)), str(int(value) + 1).zfill(len(value))):
                    ident = _as_identifier(fixed, kinds) if len(fixed) == len(value) else None
                    if ident is not None:
                        return a, b, ident, True
    return None


def _fill(text: str, tokens: list[tuple[int, int, list[str], int]], template: tuple[int, int, list[str], int],
          kinds: frozenset[str]) -> tuple[int, int, str, bool] | None:
    """A masked form's slots filled by the next groups of as many digits, in order."""
    named = [c for c in template[2] if _MASKED.fullmatch(c) and not _FIXED_SLOTS.fullmatch(c)]
    slots = sum(len(c) for c in template[2] if _FIXED_SLOTS.fullmatch(c))
    rest = [t for t in tokens if t is not template and "".join(t[2]).isdigit()]
    for i in range(len(rest)):
        given = ""
        for j in range(i, min(len(rest), i + 3)):
            given += "".join(rest[j][2])
            if named:  # a named slot of any width: the next group (one named slot only)
                if len(named) > 1 or slots:
                    return None
                slots = len(given)
            if len(given) < slots:
                continue
            if len(given) == slots:
                digits = iter(given)
                value = "".join("".join(next(digits) for _ in range(len(c) if _FIXED_SLOTS.fullmatch(c) else slots))
                                if _MASKED.fullmatch(c) else c for c in template[2])
                ident = _as_identifier(value, kinds)
                if ident is not None:
                    used = [template, *rest[i : j + 1]]
                    return min(t[0] for t in used), max(t[1] for t in used), ident, True
            break
    return None


def _continues(text: str, end: int) -> bool:
    """More digits right after the groups: the shape is part of a longer number."""
    return re.match(r"[- ]?[0-9]", text[end : end + 2]) is not None


# -- ordered list markers --------------------------------------------------------------

_LIST_ITEM = re.compile(r"(?m)^[ \t]{0,3}([0-9]{1,3})([.)])[ \t]+(?=\S)")
gatescan.register(_LIST_ITEM)


#: A Markdown footnote (GitHub's, PHP Markdown Extra's): its definition's marker at a
#: line's start (``[^1]: ``, ``[^a]: ``) and a reference to it (``card[^1][^2]``).  Read as
#: a list item's marker is: the definitions are lines of text one under the other, the
#: references marks a reader passes over (``cc[^1][^2]`` then ``[^1]: 4111``, ``[^2]: 1111``
#: reads ``cc`` then ``4111``, ``1111``).
_FOOTNOTE_DEF = re.compile(r"(?m)^[ \t]{0,3}\[\^[^\]\s\[]{1,20}\]:[ \t]*")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s\[]{1,20}\](?!:)")


def footnote_edits(text: str) -> list[tuple[int, int, str, int, int]]:
    """Edits dropping Markdown footnotes' definition markers and references, when the text
    has a definition (a ``[^x]`` with no definition is text as written)."""
    if "[^" not in text:
        return []
    defs = list(_FOOTNOTE_DEF.finditer(text))
    if not defs:
        return []
    spans = [(m.start(), m.end()) for m in defs] + [(m.start(), m.end()) for m in _FOOTNOTE_REF.finditer(text)]
    return [(a, b, "", a, b) for a, b in sorted(spans)]


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
