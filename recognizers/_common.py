"""Shared machinery for the digit-based recognizers.

Digit runs
    ``digit_runs(text)`` finds runs of digit groups separated by short runs of
    spaces, punctuation and symbols, line breaks included (``123 45 6789``,
    ``4111.1111.1111.1111``, ``1 2 3 4 5 6 7 8 9``, ``5120·0230|7970``), with
    look-alike letters (O/o for 0, l/I for 1) allowed inside a run.  A table's cell
    and row boundaries (marked by detect/structure.py) are never separators.
    ``candidates(text, lengths)`` yields every contiguous sequence of groups whose
    digit count is in ``lengths``; recognizers validate them (checksums, ranges)
    and judge the grouping.  A candidate with look-alike letters is only reported
    when it validates.  ``cell_candidates(text, lengths)`` joins digit groups in
    adjacent cells of one table row apart (``| SSN | 536 | 22 | 8710 |``); a recognizer
    reports one only with a context word in that row or the column header
    (``row_context``).

Context
    A recognizer's context words are searched in a window before (and a smaller
    window after) the candidate, and in a table in the header of the candidate's
    column.  The *nearest* label before the candidate wins:
    "account team, order 12345678" sees ``order`` nearest, so no account context.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from dlp_proxy.detect import gatescan
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.detect.structure import CELL, ROW, column_header, header_words, table_trailer
from dlp_proxy.recognizers._fuzzy import FuzzyContext
from dlp_proxy.recognizers._structure import cuts, fused

# Latin O/o/l/I plus the Cyrillic and Greek letters that look the same.
LOOKALIKE = {"O": "0", "o": "0", "l": "1", "I": "1", "\u041e": "0", "\u043e": "0", "\u039f": "0", "\u03bf": "0",
             "\u0406": "1", "\u0456": "1", "\u04c0": "1"}
_LK = "OolI\u041e\u043e\u039f\u03bf\u0406\u0456\u04c0"
#: A separator mark between digit groups: any punctuation or symbol character, every
#: Unicode P* and S* category (``-`` ``.`` ``/`` ``·`` ``|`` ``#`` ``=`` ``%`` ``@`` ``$``
#: brackets...; issue 15: an evasion picks whichever is not accepted).  ``[^\w\s]`` is
#: every character that is neither a letter, digit, underscore nor white space, plus the
#: underscore (``Pc``).  ``\s`` holds the table boundaries U+001E and U+001F, which are
#: never separators (detect/structure.py).  Precision comes from validation (checksums,
#: area rules) and the recognizers' grouping and context judgement, not from the class.
_SEP_MARK = r"(?:[^\w\s]|_)"
#: One line's part of a separator: up to three blanks, or a run of marks with up to two
#: blanks before, between and after them (``-``, ``---``, ``----``, ``- - -``, ``....``:
#: however the run is drawn it is one separator; ``_MARK_RUN`` marks at most, a bound that
#: keeps the match linear) (space-aligned columns, four blanks or more apart, stay apart).
#: A currency sign, ``#`` or ``№`` after a blank opens an amount or a reference, not a
#: separator (``$536 $22 $8710``: three prices; ``#536 #22``: issue refs); glued
#: (``536$22$8710``, ``536#22#8710``) it is a separator like any symbol.
_MARK_RUN = 32
_LINE_PART = (rf"(?:(?![ \t]+[#\u2116$\u00a2-\u00a5\u20a0-\u20cf])[ \t]{{0,2}}{_SEP_MARK}"
              rf"(?:[ \t]{{0,2}}{_SEP_MARK}){{0,{_MARK_RUN - 1}}}[ \t]{{0,2}}|[ \t]{{0,3}})")
#: A separator: a line's part, or up to two line breaks each followed by an indent of up
#: to eight blanks and a line's part (``5120-0230`` line break, indented, ``-7970-8380``);
#: never empty (the lookahead), and bounded, so a run costs linear time.
_SEP = rf"(?=[ \t\r\n]|{_SEP_MARK}){_LINE_PART}(?:\r?\n[ \t]{{0,8}}{_LINE_PART}){{0,2}}"
#: How many ASCII letters glued to a number at a token's edge are read past
#: (``SSN aAAA-GG-SSSS``, ``card c4111111111111111``, ``4111111111111111x``): a reader
#: drops one or two stray letters by eye (attack atk10p F1), and the gateway's own
#: reading makes such glue of a separator (``**a**536``, ``a\u200b536``, fullwidth
#: ``\uff58536``).  Three letters or more are a word or a prefix (``ORD2024...``: a
#: label glued before a number is split off by detect/normalize.py); letters on both
#: sides of a digit inside a token (hex and base64 ids, ``e8400``, ``41d4``) never.
GLUED_LETTERS = 2
#: Before a run's first character: no letter or digit (after it, not in front: ``re``
#: then skips to the characters that can start a run, where a leading lookbehind is
#: tried at every position), or a digit after one or two letters that open their token.
_RUN_START = (
    rf"(?:(?<![A-Za-z0-9][0-9{_LK}])"
    r"|(?<=[A-Za-z][0-9])(?<![0-9][A-Za-z][0-9])(?<![A-Za-z]{3}[0-9])(?<![0-9][A-Za-z]{2}[0-9]))"
)
#: After a run: no letter or digit, or, after a digit, one or two letters that close
#: their token (not after a look-alike letter: "370159660966 let" is no run ``... l``).
_RUN_END = r"(?:(?![A-Za-z0-9])|(?<=[0-9])(?![0-9]|[A-Za-z](?:[A-Za-z]{2}|[A-Za-z]?[0-9])))"
#: A run: its first character, the check of what is before it, groups and separators,
#: the check of what is after it.
_RUN_RE = re.compile(rf"[0-9{_LK}]{_RUN_START}[0-9{_LK}]*(?:{_SEP}[0-9{_LK}]+)*{_RUN_END}")
_GROUP_RE = re.compile(rf"[0-9{_LK}]+")
MAX_CANDIDATE_DIGITS = 19
MAX_LOOKALIKES = 3
#: The nine-digit identifiers' candidate length (SSN, ITIN, EIN, routing number).
NINE: frozenset[int] = frozenset({9})


#: Labels of a taxpayer identification number as they appear as JSON key names and
#: form labels (``taxpayer_id``, ``taxId``, ``TAXID``) and spelled out: the gateway reads
#: a key path's names as words (gateway/pipeline.py ``key_words``), so these give a
#: value under such a key, or beside it in one object, identifier context (issue 15).
#: Shared by the SSN, ITIN and EIN recognizers: a TIN is any of the three.  ("tid" is
#: one only as a key's name: quoted in JSON pasted in a message, and spelled out by
#: ``key_words`` for a request's keys; in a desk's chat it is a trade id, ``tid
#: NNNNNNNNN amended``.)
TAXPAYER_ID_LABELS = (
    "taxid", "taxpayerid", "tax id no", "tax id num", "\"tid\"", "'tid'", "tax identification", "tax identification number",
    "taxpayer identification", "taxpayer identification number", "taxpayer id number", "taxpayer number",
    # (atk25r R2, R4: "tax number", "Tax No.", "tax identifiers", "their tax ids")
    "tax number", "tax no", "tax nbr", "tax num", "taxpayer no", "taxpayer nbr", "taxpayer num", "tax ids",
    "taxpayer ids", "tax identifier", "tax identifiers", "taxpayer identifier", "taxpayer identifiers",
    # in other languages, in Latin letters (held-out probe, class 4; the labels outside
    # ASCII are read as English ones by the normalizer: dlp_proxy/detect/foreign.py)
    "steuernummer", "steuer-id", "steuer id", "steueridentifikationsnummer", "codice fiscale",
    "numero fiscal", "numero de identificacion fiscal",
)
#: A national identification number (the SSN is the US one).
NATIONAL_ID_LABELS = (
    "national id", "nationalid", "national identifier", "national identification", "national identification number",
    "national id number", "national id no",
    # in other languages, in Latin letters (as ``TAXPAYER_ID_LABELS``'s)
    "sozialversicherungsnummer", "sozialversicherungsnr", "sozialversicherungs-nr", "sv-nummer",
    "burgerservicenummer", "bsn", "numero de securite sociale", "numero de seguro social",
    "numero di previdenza sociale", "personnummer",
)


@dataclass(frozen=True, slots=True)
class Candidate:
    digits: str
    start: int  # in the (normalized) analyzed text
    end: int
    groups: tuple[int, ...]  # digit count of each group
    seps: tuple[str, ...]  # separators between groups (stripped of surrounding blanks unless blank)
    lookalikes: int
    run_start: int
    run_end: int

    @property
    def is_bare(self) -> bool:
        return len(self.groups) == 1

    @property
    def uniform_sep(self) -> str | None:
        """The one separator used between all groups, or None if mixed/bare."""
        if not self.seps:
            return None
        first = self.seps[0]
        return first if all(s == first for s in self.seps) else None

    @property
    def whole_run(self) -> bool:
        return self.start == self.run_start and self.end == self.run_end

    def shape(self, *sizes: int) -> bool:
        return self.groups == sizes and self.uniform_sep is not None

    @property
    def split_digits(self) -> bool:
        """Every digit spaced out on its own (``1 2 3 4 ...``)."""
        return len(self.groups) >= 5 and all(g <= 2 for g in self.groups)


class _Group(NamedTuple):  # a tuple: built for every digit group of every scanned text
    text: str
    start: int
    end: int


_new_tuple = tuple.__new__  # _Group(...) without the Python-level __new__ frame (many per file)


@functools.lru_cache(maxsize=256)
def digit_runs(text: str) -> tuple[tuple[_Group, ...], ...]:
    runs: list[tuple[_Group, ...]] = []
    group = _Group
    for m in _RUN_RE.finditer(text):
        whole = m.group(0)
        if whole.isdigit():  # one group of ASCII digits (separators and look-alikes are not digits)
            runs.append((_new_tuple(group, (whole, m.start(), m.end())),))
            continue
        groups = tuple(
            [_new_tuple(group, (g.group(0), g.start(), g.end())) for g in _GROUP_RE.finditer(text, m.start(), m.end())]
        )
        # A run must hold a digit: look-alike letters only as evasion inside numbers.
        # (A group is ASCII digits and look-alike letters, which are all alphabetic.)
        if all(g.text.isalpha() for g in groups):
            continue
        runs.append(groups)
    return tuple(runs)


#: ASCII digits 1-9 to ``0``: every character class of ``_RUN_RE`` and ``_GROUP_RE`` holds
#: all ten digits or none, so the translated text has the same runs and groups, and runs
#: of one shape (every date, every amount of a column) become one string.
_ZERO_DIGITS = str.maketrans("123456789", "000000000")


@functools.lru_cache(maxsize=256)
def candidate_lengths(text: str) -> frozenset[int]:
    """Every digit count (up to ``MAX_CANDIDATE_DIGITS``) that a contiguous sequence of
    groups of one digit run has: the lengths ``candidates`` can yield at all.

    Computed once per text and shared by every recognizer: a text whose runs are
    too short (or too long) for a recognizer's lengths costs it one set test.
    The runs are found in the text with every digit read as ``0`` (the same runs,
    ``_ZERO_DIGITS``), a table row at a time (``_row_runs``), so a table's thousands of
    runs are a few distinct rows and no group is built (``digit_runs`` is only needed
    when a recognizer asks for candidates of a length present here).
    """
    out: set[int] = set()
    for _offset, _runs, lengths in _row_runs(text):
        out |= lengths
    return frozenset(out)


@functools.lru_cache(maxsize=4096)
def _shape_lengths(shape: str) -> frozenset[int]:
    """The digit counts (up to ``MAX_CANDIDATE_DIGITS``) of the contiguous sequences of
    groups of a run written with every digit ``0`` (none for look-alike letters only)."""
    if "0" not in shape:
        return frozenset()  # look-alike letters only: not a run (digit_runs)
    if shape.isdigit():  # one group of ASCII digits
        return frozenset((len(shape),)) if len(shape) <= MAX_CANDIDATE_DIGITS else frozenset()
    out: set[int] = set()
    groups = _GROUP_RE.findall(shape)
    sizes = [len(g) for g in groups]
    lead, trail = edge_lookalikes(groups[0], groups[-1])
    for i in range(len(sizes)):
        total = 0
        for j in range(i, len(sizes)):
            total += sizes[j]
            if total > MAX_CANDIDATE_DIGITS + lead + trail:
                break
            if total <= MAX_CANDIDATE_DIGITS:
                out.add(total)
            # the same sequence without the look-alike letters glued at either or both of
            # the run's edges
            cut_lead = lead if i == 0 else 0
            cut_trail = trail if j == len(sizes) - 1 else 0
            for trimmed in (total - cut_lead, total - cut_trail, total - cut_lead - cut_trail):
                if trimmed != total and 0 < trimmed <= MAX_CANDIDATE_DIGITS:
                    out.add(trimmed)
    return frozenset(out)


_LK_SET = frozenset(_LK)


def _lookalike_prefix(group: str) -> int:
    n = 0
    while n < len(group) and group[n] in _LK_SET:
        n += 1
    return n


def edge_lookalikes(first: str, last: str) -> tuple[int, int]:
    """How many look-alike letters at the start of a run's first group (``first``) and at
    the end of its last group (``last``) may be letters glued to the number rather than
    digits written as letters (``SSN IAAA-GG-SSSS``, ``card 4111111111111111o``): one or
    two (``GLUED_LETTERS``) next to an ASCII digit.  The run pattern reads a look-alike
    letter as a digit, so such a run also yields its candidates without them."""
    lead = _lookalike_prefix(first)
    if not (0 < lead <= GLUED_LETTERS and lead < len(first) and first[lead] in "0123456789"):
        lead = 0
    tail = last[::-1]
    trail = _lookalike_prefix(tail)
    if not (0 < trail <= GLUED_LETTERS and trail < len(tail) and tail[trail] in "0123456789"):
        trail = 0
    return lead, trail


_RunShapes = tuple[tuple[tuple[int, int, frozenset[int]], ...], frozenset[int]]
#: a row up to this long is looked up in the cache of rows (longer ones are scanned)
_CACHED_ROW = 512


def _scan_runs(zero: str) -> _RunShapes:
    """The runs of ``zero`` (a text with every digit ``0``) with a digit: their spans and
    the lengths each can yield, and all those lengths."""
    runs = tuple([(m.start(), m.end(), lens) for m in _RUN_RE.finditer(zero) if (lens := _shape_lengths(m.group(0)))])
    out: set[int] = set()
    for _a, _b, lens in runs:
        out |= lens
    return runs, frozenset(out)


_cached_runs = functools.lru_cache(maxsize=16_384)(_scan_runs)


@functools.lru_cache(maxsize=64)
def _row_runs(text: str) -> tuple[tuple[int, tuple[tuple[int, int, frozenset[int]], ...], frozenset[int]], ...]:
    """Per table row of ``text`` (split at ``ROW``; the whole text when it has none):
    its offset, its runs (``_scan_runs``, spans in the row) and the lengths they yield.

    A run never holds a table boundary (``ROW``, ``CELL``: neither a blank of ``_SEP``
    nor a mark) and what the run pattern looks at around a run sees a boundary as it
    sees the text's edge (neither is a letter or a digit), so a row has the same runs
    alone as in its text.  A table's rows with every digit ``0`` repeat (a blotter has a
    few dozen distinct rows): each distinct row is scanned once."""
    zero = text.translate(_ZERO_DIGITS)
    if ROW not in zero:
        runs, lengths = _scan_runs(zero)
        return ((0, runs, lengths),) if runs else ()
    rows = zero.split(ROW)
    found = {}
    for row in set(rows):
        if "0" in row:  # a run holds a digit
            shapes = _cached_runs(row) if len(row) <= _CACHED_ROW else _scan_runs(row)
            if shapes[0]:
                found[row] = shapes
    if not found:
        return ()
    # row i starts after the i rows before it and their i boundaries
    return tuple([(start + i, *found[row]) for i, (start, row) in enumerate(zip(_row_starts(rows), rows, strict=True))
                  if row in found])


def _row_starts(rows: list[str]) -> list[int]:
    """The length of the rows before each row of ``rows`` (without their boundaries)."""
    return [0, *itertools.accumulate(map(len, rows[:-1]))]


def _run_shapes(text: str) -> tuple[tuple[int, int, frozenset[int]], ...]:
    """Every run of ``text`` with a digit: its span and the lengths it can yield."""
    return tuple([(offset + a, offset + b, lens) for offset, runs, _ in _row_runs(text) for a, b, lens in runs])


@functools.lru_cache(maxsize=64)
def _rows_by_lengths(text: str) -> tuple[tuple[frozenset[int], tuple[int, ...]], ...]:
    """The rows of ``_row_runs(text)`` grouped by the lengths they yield: each distinct
    set of lengths with the indices (ascending) of its rows.  A table's rows yield a few
    distinct sets, so a recognizer's lengths are tested against those, not every row."""
    by: dict[frozenset[int], list[int]] = {}
    for i, (_offset, _runs, lengths) in enumerate(_row_runs(text)):
        by.setdefault(lengths, []).append(i)
    return tuple([(lengths, tuple(rows)) for lengths, rows in by.items()])


@functools.lru_cache(maxsize=128)
def _runs_for(text: str, wanted: frozenset[int]) -> tuple[tuple[_Group, ...], ...]:
    """The runs of ``digit_runs(text)`` that have a sequence of groups of a ``wanted``
    length, built only for those (a table's dates and amounts are never split), once
    per text and length set (every recognizer asks for its own lengths)."""
    group = _Group
    rows = _row_runs(text)
    picked = [ids for lengths, ids in _rows_by_lengths(text) if not lengths.isdisjoint(wanted)]
    if not picked:
        return ()
    order = picked[0] if len(picked) == 1 else sorted([i for ids in picked for i in ids])  # the text's order
    return tuple([
        tuple([_new_tuple(group, (g.group(0), g.start(), g.end()))
               for g in _GROUP_RE.finditer(text, offset + start, offset + end)])
        for offset, runs, _lengths in map(rows.__getitem__, order)
        for start, end, lens in runs if not lens.isdisjoint(wanted)
    ])


def _runs_kept(text: str, wanted: frozenset[int],
               keep: Callable[[int, int], bool]) -> Iterator[tuple[_Group, ...]]:
    """``_runs_for(text, wanted)`` without the runs whose span (as ``_row_runs`` has
    it: its groups lie inside) ``keep`` rules out; those are not built, the others as
    they are asked for (a ``could_match`` stops at its first)."""
    group = _Group
    rows = _row_runs(text)
    picked = [ids for lengths, ids in _rows_by_lengths(text) if not lengths.isdisjoint(wanted)]
    if not picked:
        return
    order = picked[0] if len(picked) == 1 else sorted([i for ids in picked for i in ids])  # the text's order
    for offset, runs, _lengths in map(rows.__getitem__, order):
        for start, end, lens in runs:
            if not lens.isdisjoint(wanted) and keep(offset + start, offset + end):
                yield tuple([_new_tuple(group, (g.group(0), g.start(), g.end()))
                             for g in _GROUP_RE.finditer(text, offset + start, offset + end)])


def may_have_candidates(text: str, lengths: frozenset[int]) -> bool:
    """False proves ``candidates(text, lengths)`` yields nothing (one cached set test)."""
    return max(lengths) > MAX_CANDIDATE_DIGITS or not lengths.isdisjoint(candidate_lengths(text))


def _sep(text: str, a: int, b: int) -> str:
    raw = text[a:b]
    stripped = raw.strip(" \t")
    if not stripped:
        return " "
    if "\n" in stripped:
        # a line break beside punctuation is the text wrapping: the punctuation separates
        inner = stripped.replace("\r", "").replace("\n", "").strip(" \t")
        return inner or "\n"
    return stripped


def between_tokens(text: str, c: Candidate, *, clause: bool = True) -> bool:
    """``c`` is not its whole run, but it is the whole number as written on its line:
    where the run goes on, a line break stands between (a run reaches across up to two:
    the next line's ``[15:08] rsingh: ...`` or ``10y at 4.28`` after ``acct 8909441999``
    ending its line, a chat transcript), or a list's comma, semicolon or slash before
    another number of eight digits or more (``acct: 98765432101, 98765432102``: two
    accounts; held-out probe of 2026-12-06; not ``4,512,345``'s groups of three), or a
    clause's end (``_CLAUSE_GAP``: ``acct N? 73116 ...``; not with ``clause`` False)."""
    if c.whole_run:
        return True
    if c.end < c.run_end:
        j = c.end
        while j < c.run_end and not (text[j].isdigit() or text[j] in _LK_SET):
            j += 1
        gap = text[c.end:j]
        if "\n" not in gap and not _listed(gap, len(c.digits), _digits_from(text, j, 1)) \
                and not (clause and _CLAUSE_GAP.match(gap) is not None):
            return False
    if c.start > c.run_start:
        i = c.start
        while i > c.run_start and not (text[i - 1].isdigit() or text[i - 1] in _LK_SET):
            i -= 1
        gap = text[i:c.start]
        if "\n" not in gap and not _listed(gap, len(c.digits), _digits_from(text, i - 1, -1)) \
                and not (clause and _CLAUSE_GAP.match(gap) is not None):
            return False
    return True


#: what stands between two numbers of a list: a comma, a semicolon or a slash, blanks around it
_LIST_GAP = re.compile(r"[ \t]*[,;/][ \t]*")
#: a gap that ends a clause between two numbers: a bracket; a question or exclamation
#: mark, a semicolon, comma, colon or full stop before a blank; a dash between blanks
#: ("acct N? 73116 UBER showing", "account N, $830k", "acct N - 500 shares": held-out probe
#: 6 of 2026-12-07, where the account's run went on to the next number; not the ``;`` of
#: ``&#52;``, nor ``4,512``)
_CLAUSE_GAP = re.compile(r"[ \t]*(?:[()\[\]]|[?!;,.:](?=[ \t])|(?<=[ \t])[-\u2013\u2014](?=[ \t]))")


def _listed(gap: str, own: int, other: int) -> bool:
    """``gap`` parts two numbers of a list, each of eight digits or more."""
    return own >= 8 and other >= 8 and _LIST_GAP.fullmatch(gap) is not None


def _digits_from(text: str, at: int, step: int) -> int:
    """How many digits stand in a row from ``at`` on (``step`` 1) or back (-1)."""
    n = 0
    while 0 <= at < len(text) and text[at].isdigit():
        n += 1
        at += step
    return n


def continues_past(text: str, c: Candidate) -> bool:
    """``c``'s groups are some of a longer run that goes on before or after them with
    ``c``'s own separator (``9400 6251 0551 7637 1984 05``: a tracking number's 22
    digits, four of whose inner groups make ``6251 0551 7637 1984``).  A reader reads
    the run as one number; a part of it is no number of its own."""
    sep = c.uniform_sep
    if sep is None:
        return False
    if c.start > c.run_start:
        i = c.start - 1
        while i > c.run_start and not (text[i].isdigit() or text[i] in _LK_SET):
            i -= 1
        if _sep(text, i + 1, c.start) == sep:
            return True
    if c.end < c.run_end:
        j = c.end
        while j < c.run_end and not (text[j].isdigit() or text[j] in _LK_SET):
            j += 1
        if _sep(text, c.end, j) == sep:
            return True
    return False


def candidates(text: str, lengths: Iterable[int], first: frozenset[str] | None = None,
               runs: Callable[[int, int], bool] | None = None) -> Iterator[Candidate]:
    """Every sequence of whole groups of one run with a digit count in ``lengths``;
    with ``first``, only those whose first character (as written: a look-alike
    letter is not a digit) is one of ``first``; with ``runs``, only those of the runs
    for whose span (every candidate of the run lies inside it) ``runs`` says True (the
    others are not built: ``_runs_kept``)."""
    wanted = lengths if isinstance(lengths, frozenset) else frozenset(lengths)
    if not may_have_candidates(text, wanted):
        return  # no sequence of groups has a wanted digit count
    top = max(wanted)
    cut: list[bool] = []  # FIX fields, times, dates, amounts, versions are never fused (_structure.py)
    for run in _runs_for(text, wanted) if runs is None else _runs_kept(text, wanted, runs):
        yield from _run_candidates(text, run, wanted, top, first, cut, None)
        if run[0].text[0] in _LK_SET or run[-1].text[-1] in _LK_SET:
            lead, trail = edge_lookalikes(run[0].text, run[-1].text)
            if lead or trail:
                # the run without the look-alike letters glued at its edges: only the
                # sequences that hold a trimmed group (the others were yielded above)
                groups = list(run)
                g = groups[0]
                groups[0] = _new_tuple(_Group, (g.text[lead:], g.start + lead, g.end))
                g = groups[-1]
                groups[-1] = _new_tuple(_Group, (g.text[: len(g.text) - trail], g.start, g.end - trail))
                yield from _run_candidates(text, tuple(groups), wanted, top, first, cut, (lead > 0, trail > 0))


def _run_candidates(text: str, run: tuple[_Group, ...], wanted: frozenset[int], top: int,
                    first: frozenset[str] | None, cut: list[bool],
                    trimmed: tuple[bool, bool] | None) -> Iterator[Candidate]:
    """``candidates`` of one run; with ``trimmed`` (its first, last group trimmed), only
    the sequences holding a trimmed group.  ``cut`` caches ``bool(cuts(text))``."""
    run_start, run_end = run[0].start, run[-1].end
    last = len(run) - 1
    for i in range(len(run)):
        if first is not None and run[i].text[0] not in first:
            continue
        digits = ""
        sizes: list[int] = []
        seps: list[str] = []
        for j in range(i, len(run)):
            g = run[j]
            if j > i:
                seps.append(_sep(text, run[j - 1].end, g.start))
            digits += g.text
            sizes.append(len(g.text))
            if len(digits) > top:
                break
            if len(digits) in wanted:
                if trimmed is not None and not ((trimmed[0] and i == 0) or (trimmed[1] and j == last)):
                    continue
                # _GROUP_RE admits ASCII digits and look-alike letters only
                looks = 0 if digits.isdigit() else sum(1 for c in digits if c in LOOKALIKE)
                if looks > MAX_LOOKALIKES or looks * 2 >= len(digits):
                    continue
                if len(seps) > 1 and _cuts_a_unit(text, run, i, j, seps):
                    continue
                if not cut:
                    cut.append(bool(cuts(text)))
                if cut[0] and fused(text, run[i].start, g.end):
                    continue
                if looks:
                    clean = "".join(LOOKALIKE.get(c, c) for c in digits)
                else:
                    clean = digits
                yield Candidate(
                    clean, run[i].start, g.end, tuple(sizes), tuple(seps), looks, run_start, run_end
                )


#: Adjacent table cells each holding one short group of digits ("| SSN | 536 | 22 | 8710 |").
_CELL_NUM = r"[ \t]*[0-9]{1,6}(?:[-./][0-9]{1,6}){0,3}[ \t]*"
#: a cell holding only a separator between two numeric cells ("| 536 | - | 22 | - | 8710 |")
_CELL_MARK = r"[ \t]*[-./][ \t]*"
_CELL_RUN_RE = re.compile(
    rf"(?:(?<=[\x1f\x1e\n])|^){_CELL_NUM}(?:\x1f(?:{_CELL_MARK}\x1f)?{_CELL_NUM})+(?=[\x1f\x1e\r\n]|$)"
)


def single_digit_cells(sizes: tuple[int, ...]) -> bool:
    """Groups of one digit each, nine or more (cell-joined: "| 5 | 3 | 6 | 2 | 2 | ..."):
    a number spelled out one digit per cell, never a table's quantities."""
    return len(sizes) >= 9 and max(sizes) == 1
_CELL_GROUP_RE = re.compile(r"[0-9]+")


_CellRuns = tuple[tuple[tuple[tuple[int, int], ...], tuple[int, ...]], ...]


def _scan_cells(text: str) -> _CellRuns:
    out = []
    for m in _CELL_RUN_RE.finditer(text):
        groups = tuple([(g.start(), g.end()) for g in _CELL_GROUP_RE.finditer(text, m.start(), m.end())])
        out.append((groups, tuple([b - a for a, b in groups])))
    return tuple(out)


_cached_cells = functools.lru_cache(maxsize=16_384)(_scan_cells)


@functools.lru_cache(maxsize=64)
def _cell_runs(text: str) -> _CellRuns:
    """Per run of adjacent numeric cells: its digit groups' spans and sizes (once per text,
    shared by every recognizer).  Found a table row at a time with every digit read as
    ``0`` (as ``_row_runs``: a run of cells never crosses ``ROW``, and the pattern sees a
    row's edges as it sees the boundary), each distinct row scanned once."""
    zero = text.translate(_ZERO_DIGITS)
    if ROW not in zero:
        return _scan_cells(zero)
    rows = zero.split(ROW)
    found = {}
    for row in set(rows):
        if CELL in row and "0" in row:  # two cells or more, a digit
            cells = _cached_cells(row) if len(row) <= _CACHED_ROW else _scan_cells(row)
            if cells:
                found[row] = cells
    if not found:
        return ()
    out = []
    for i, (start, row) in enumerate(zip(_row_starts(rows), rows, strict=True)):
        row_cells = found.get(row)
        if row_cells is not None:
            offset = start + i  # after the rows before it and their boundaries
            out.extend([(tuple([(a + offset, b + offset) for a, b in groups]), sizes) for groups, sizes in row_cells])
    return tuple(out)


def cell_candidates(text: str, lengths: Iterable[int],
                    shape: Callable[[tuple[int, ...]], bool] | None = None) -> Iterator[Candidate]:
    """Digit groups in adjacent cells of one table row joined ("| SSN | 536 | 22 | 8710 |":
    the groups of one number put in cells of their own).  A cell boundary is never a
    separator for ``candidates``; these are yielded apart, with every separator
    ``CELL``, and a recognizer reports one only with a context word in the same row
    (``row_context``) or its column's header: a clean table's adjacent numeric columns
    (quantity, price, id) are not a number.  ``shape(group sizes)`` filters before a
    candidate is built (a clean table has many runs of numeric cells)."""
    if CELL not in text:
        return
    wanted = lengths if isinstance(lengths, frozenset) else frozenset(lengths)
    top = max(wanted)
    for groups, sizes in _cell_runs(text):
        if sum(sizes) < min(wanted):
            continue
        for i in range(len(groups)):
            total = 0
            for j in range(i, len(groups)):
                total += sizes[j]
                if total > top:
                    break
                if j > i and total in wanted and (shape is None or shape(tuple(sizes[i : j + 1]))):
                    seps = tuple(CELL if CELL in text[groups[k][1] : groups[k + 1][0]]
                                 else text[groups[k][1] : groups[k + 1][0]] for k in range(i, j))
                    if CELL not in seps:
                        continue  # within one cell: an ordinary candidate
                    digits = "".join(text[a:b] for a, b in groups[i : j + 1])
                    yield Candidate(digits, groups[i][0], groups[j][1], tuple(b - a for a, b in groups[i : j + 1]),
                                    seps, 0, groups[0][0], groups[-1][1])


#: how far above a table its caption may label a column that has no header
TABLE_CAPTION_REACH = 80


def _row_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    row_start = max(text.rfind(ROW, 0, start), text.rfind("\n", 0, start)) + 1
    ends = [k for k in (text.find(ROW, end), text.find("\n", end)) if k >= 0]
    return row_start, (min(ends) if ends else len(text))


def row_context(rec: DLPRecognizer, text: str, c: Candidate) -> ContextHit | None:
    """``rec``'s context word in the table row of ``c`` (a cell-joined candidate), or in
    the header of its first cell's column."""
    row_start, row_end = _row_bounds(text, c.start, c.end)
    row = text[row_start:row_end]
    hit = rec.context_hit(row, c.start - row_start, c.end - row_start, before=60, after=40)
    if hit is None and rec._context_re is not None:
        header = column_header(text, c.start)
        named = next((h for h in _spanned_headers(text, c.start, c.end) if rec._context_re.search(h)), None)
        if named is not None:  # the header of a column the number spans ("| client | SSN |")
            hit = ContextHit(named.lower(), 0)
        else:
            # the table's caption, the text right above it, labels the row's groups whatever
            # the columns' headers ("client ssn" then "|area|group|serial|", "|a|b|c|d|", "| | |")
            table_start = text.rfind("\n", 0, c.start) + 1
            caption = text[max(0, table_start - TABLE_CAPTION_REACH):table_start]
            m = rec._context_re.search(caption)
            table_end = text.find("\n", c.end)
            below = "" if table_end < 0 else text[table_end:table_end + TABLE_CAPTION_REACH]
            b = None if m is not None or not below else rec._context_re.search(below)
            if m is not None:
                hit = ContextHit(m.group(0).lower(), -(len(caption) - m.start()))
            elif b is not None:
                # the words right below the table name its rows ("|first|middle|last|" over
                # "|AAA|GG|SSSS|", then "those are the three parts of her social security number")
                hit = ContextHit(b.group(0).lower(), table_end - c.end + b.start())
            elif header == "" and _blank_header_row(text, table_start):
                # a Markdown table whose header row is wholly empty names no column: its
                # rows read as the lines they render as (a line "536 | 22 | 8710" is one)
                hit = ContextHit("", 0)
    return hit


def _spanned_headers(text: str, start: int, end: int) -> list[str]:
    """The header cells of every column ``[start, end)`` of a marked row spans."""
    out: list[str] = []
    pos = start
    while 0 <= pos < end:
        header = column_header(text, pos)
        if header:
            out.append(header)
        pos = text.find(CELL, pos, end)
        pos = pos + 1 if pos >= 0 else -1
    return out


#: a table's first row with no text in any cell (``| | | |`` marked by ``mark_tables``)
_BLANK_FIRST_ROW = re.compile(r"(?:\A|\n)[ \t|\x1f]*\x1f[ \t|\x1f]*\x1e")
gatescan.register(_BLANK_FIRST_ROW)


def blank_header_table(text: str) -> bool:
    """``text`` (marked) holds a table whose header row is wholly empty."""
    return CELL in text and gatescan.search(_BLANK_FIRST_ROW, text)


def _blank_header_row(text: str, table_start: int) -> bool:
    end = text.find(ROW, table_start)
    header = text[table_start:end if end >= 0 else len(text)]
    return CELL in header and not header.replace(CELL, "").strip(" \t|")


def _cuts_a_unit(text: str, run: tuple[_Group, ...], i: int, j: int, seps: list[str]) -> bool:
    """A candidate with mixed separators that starts or ends where the run continues
    with one of its own separators: it takes the tail of one number and the head of
    the next ("536-22-1234, 536-22-1235" holds no ``22-1234, 536``)."""
    first = seps[0]
    if all(x == first for x in seps):
        return False  # one separator throughout: judged by the recognizers as before
    inner = set(seps)
    if i > 0 and _sep(text, run[i - 1].end, run[i].start) in inner:
        return True
    return j + 1 < len(run) and _sep(text, run[j].end, run[j + 1].start) in inner


#: what may stand between the words of a context phrase ("social security", "acct no"):
#: blanks, ``_``, ``.``, ``-``, and the marks ``~ + *`` a writer joins words with
#: ("social~security~no"); never a line break (a phrase never runs across lines), nor a
#: colon or a comma, which end a label ("account: #1001" is no "account #").
PHRASE_GAP = r"[ \t_.~+*-]*"
#: what may stand between the letters of an acronym spelled a letter at a time (``S S N``):
#: also the marks a writer puts between letters ("S/S/N", "S|S|N", "S:S:N", "S,S,N",
#: "S+S+N").  ASCII only: the characters outside ASCII that look like these (``·``, ``／``)
#: are the normalizer's to fold, and an ASCII class keeps the Hyperscan pass and the
#: context probes' ASCII shadow exact.
LETTER_GAP = r"[ \t_.\-/|:,+~*]*"


def _spelled(word: str) -> bool:
    return all(len(p) == 1 for p in word.split(" "))


def _order(word: str) -> tuple[int, str]:
    """Where ``word``'s alternative stands (the first that matches at a place wins): the
    longest pattern first, an acronym spelled where its letters written together stand
    (so "a c c t" stays after "acct ending", which names the number after it)."""
    key = re.escape(word.replace(" ", "")) if _spelled(word) else phrase_pattern(word)
    return -len(key), key


def phrase_pattern(word: str) -> str:
    """The regex of a context word (lower-cased, as ``context_words`` gives it): its parts
    apart by ``PHRASE_GAP``; in an acronym spelled (every part one character), its letters
    apart by ``LETTER_GAP``."""
    parts = word.split(" ")
    if not _spelled(word):
        return PHRASE_GAP.join(map(re.escape, parts))
    # between two letters any mark; before a number sign only a phrase's gap ("acct: #1001"
    # is a label's colon, then a number)
    return "".join(re.escape(a) + (LETTER_GAP if a.isalpha() and b.isalpha() else PHRASE_GAP)
                   for a, b in itertools.pairwise(parts)) + re.escape(parts[-1])


#: an acronym-like context word, also spelled a letter at a time: three to five ASCII
#: letters ("ssn", "itin", "aba"), or two to five and a number sign ("ss#", "ssn#")
_ACRONYM = re.compile(r"[a-z]{3,5}|[a-z]{2,5}#")


def context_words(words: Sequence[str], *, spelled: bool = True) -> list[str]:
    """``words`` stripped and lower-cased, each acronym-like word (``_ACRONYM``) spelled a
    letter at a time ("s s n", "s s #"; as a phrase its letters may then stand apart or
    together: "ssn", "I.T.I.N", "A/B/A", "S:S:N", "S S #", atk27r), without repeats, in a
    fixed order.  ``spelled`` False: as written, for words that take a number away from
    an identifier's label (``NEGATIVE_LABELS``: spelled, "isin" read "is in" and took the
    SSN in "SSN is in fact ..." for a security's number)."""
    return sorted({" ".join(w) if spelled and _ACRONYM.fullmatch(w) else w
                   for w in (w.strip().lower() for w in words if w and w.strip())})


def _context_alternation(words: Sequence[str], *, spelled: bool = True) -> str | None:
    words = context_words(words, spelled=spelled)
    if not words:
        return None
    # longest first; equal lengths in code-point order (a set's own order changes with each
    # process's hash seed: the same words made a different regex in each worker)
    # longest first (``_order``); equal lengths in code-point order (a set's own order changes
    # with each process's hash seed: the same words made a different regex in each worker)
    alts = [phrase_pattern(w) for w in sorted(words, key=_order)]
    return "(?:" + "|".join(dict.fromkeys(alts)) + ")"


def context_regex(words: Sequence[str], *, spelled: bool = True) -> re.Pattern[str] | None:
    alternation = _context_alternation(words, spelled=spelled)
    if alternation is None:
        return None
    rx = re.compile(r"(?<![a-z0-9])" + alternation + r"(?![a-z0-9])", re.IGNORECASE)
    _CONTEXT_REGEXES.add((rx.pattern, rx.flags))
    return rx


#: ``context_regex``'s regexes (pattern, flags): a recognizer's, kept for every text (a
#: fuzzy slips' regex is made per text), read by Hyperscan for ``_scan_occurrences``
_CONTEXT_REGEXES: set[tuple[str, int]] = set()


def loose_context_regex(words: Sequence[str]) -> re.Pattern[str] | None:
    """``context_regex(words)`` without its word-boundary lookarounds.

    ``find_context`` only ever searches substrings of the text (a window before,
    a tail after), where a lookbehind/lookahead can succeed at the cut that fails
    in the whole text; but any match there contains a match of the bare
    alternation, which is then also found in the whole text.  So "this finds
    nothing in the text" proves that no context word can be found anywhere in it.
    """
    alternation = _context_alternation(words)
    return None if alternation is None else re.compile(alternation, re.IGNORECASE)


def context_literals(words: Sequence[str]) -> tuple[str, ...] | None:
    """Lower-case literals, one of which occurs in any lower-cased ASCII text that
    ``loose_context_regex(words)`` matches (a plain ``in`` test per literal is much
    cheaper than the case-insensitive alternation).

    Each word's alternative is its space-separated parts joined by
    ``PHRASE_GAP`` (not a line break: a phrase never runs across lines), so a
    match contains every part; the longest part stands for the
    word, and a literal containing another one is redundant.  None (no shortcut)
    when a word has a non-ASCII character: case-insensitive matching can pair
    one with an ASCII letter (KELVIN SIGN and ``k``), which ``in`` would miss.
    """
    parts = [max(w.split(" "), key=len) for w in context_words(words)]
    if not all(p.isascii() and p for p in parts):
        return None
    unique = sorted(set(parts), key=lambda w: (len(w), w))
    kept: list[str] = []
    for p in unique:
        if not any(k in p for k in kept):
            kept.append(p)
    return tuple(kept)


@functools.lru_cache(maxsize=8)
def _ascii_lower(text: str) -> str | None:
    """``text.lower()`` for an ASCII text (None otherwise), once per text for every
    recognizer's context probe."""
    return text.lower() if text.isascii() else None


#: the only characters outside ASCII that ``re.IGNORECASE`` matches with an ASCII
#: character (each with one letter); tests/test_context_probe.py checks every code point
FOLDS_TO_ASCII: dict[int, str] = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_OUTSIDE_ASCII = re.compile("[^\x00-\x7f" + "".join(map(chr, FOLDS_TO_ASCII)) + "]+")


@functools.lru_cache(maxsize=8)
def ascii_shadow(text: str) -> str:
    """``text`` lower-cased as ASCII, one character for each of its characters: those
    that ``re.IGNORECASE`` matches with an ASCII letter as that letter, every other
    character outside ASCII as NUL.  A case-insensitive pattern made of ASCII literals
    (and classes of ASCII characters) matches somewhere in ``text`` exactly when its
    lower-cased ASCII form matches in the shadow: a non-ASCII text keeps the fast
    searches of an ASCII one (one letter of Hebrew or Korean in a joined text made
    every context probe a case-insensitive search of the whole of it)."""
    out = text if text.isascii() else _OUTSIDE_ASCII.sub(lambda m: "\x00" * len(m.group()), text).translate(FOLDS_TO_ASCII)
    return out.lower()


_LAST_LOWER: tuple[str, str | None] | None = None


def labels_at(rx: re.Pattern[str], literals: Sequence[str], text: str) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)`` for a label regex whose every match starts with one of
    ``literals`` (lower case, ASCII) in any case: on ASCII text only the places where one
    of them stands are tried (``str.find`` on the lower-cased text: a file's megabyte
    costs what ``re`` spends on a few hundred characters), in order and not overlapping."""
    low = ascii_lower_last(text)
    if low is None:
        yield from rx.finditer(text)
        return
    starts: set[int] = set()
    for lit in literals:
        k = low.find(lit)
        while k >= 0:
            starts.add(k)
            k = low.find(lit, k + 1)
    yield from gatescan.matches_at(rx, text, sorted(starts))


def labelled_tokens(rx: re.Pattern[str], literals: Sequence[str], token: re.Pattern[str],
                    text: str) -> Iterator[re.Match[str]]:
    """The token (``token`` matched right after the label) of each label ``labels_at``
    finds, but a token of digits alone with no zero padding them: a run ``candidates``
    reads already (the glued readings of a labelled SSN and card)."""
    for m in labels_at(rx, literals, text):
        t = token.match(text, m.end())
        if t is not None and not (t.group(0).isdigit() and t.group(0)[0] != "0"):
            yield t


def glued_to(token: re.Match[str], start: int, end: int) -> bool:
    """A letter or a digit in ``token`` besides its number ``[start, end)`` (a number
    alone in its token, punctuation after it, is a run ``candidates`` reads)."""
    text = token.string
    return any(ch.isalnum() for ch in text[token.start():start]) or any(ch.isalnum() for ch in text[end:token.end()])


def ascii_lower_last(text: str) -> str | None:
    """``_ascii_lower(text)``, kept for the last text by identity (a recognizer asks
    once per candidate of the same text)."""
    global _LAST_LOWER
    last = _LAST_LOWER
    if last is not None and last[0] is text:
        return last[1]
    low = _ascii_lower(text)
    _LAST_LOWER = (text, low)  # one assignment: another thread sees the old or the new
    return low


def _first_char_alternation(words: Sequence[str], lookbehind: bool) -> str | None:
    """``_context_alternation(words)`` for lower-cased ASCII text, grouped by the first
    character of each word, which leads its alternative (with ``lookbehind``, the word
    boundary before it comes after it: ``c(?<![a-z0-9]c)``, the character before ``c``
    is no letter or digit).  ``re`` then skips to the characters that can start a word;
    a lookbehind or a long alternation in front is tried at every position (~2x on a
    file).  For yes/no searches: it matches where the alternation matches, though the
    alternative taken may differ.  None when a word is not ASCII (case-insensitive
    matching can pair a non-ASCII letter with an ASCII one, KELVIN SIGN and ``k``)."""
    clean = context_words(words)
    if not clean or not all(w.isascii() for w in words):
        return None
    by_first: dict[str, list[str]] = {}
    for w in sorted(clean, key=_order):  # as ``_context_alternation`` orders them
        pattern = phrase_pattern(w)
        rest = pattern[len(re.escape(w[0])):]
        by_first.setdefault(w[0], [])
        if rest not in by_first[w[0]]:
            by_first[w[0]].append(rest)
    alts = []
    for first, rests in sorted(by_first.items()):
        c = re.escape(first)
        guard = f"(?<![a-z0-9]{c})" if lookbehind else ""
        alts.append(f"{c}{guard}(?:" + "|".join(rests) + ")")
    return "(?:" + "|".join(alts) + ")"


def lower_alternation(words: Sequence[str]) -> str | None:
    """``_context_alternation(words)`` for lower-cased ASCII text, without lookarounds (the
    caller adds its own; yes/no searches): None when a word is not ASCII."""
    return _first_char_alternation(words, lookbehind=False)


def lower_context_regex(words: Sequence[str]) -> re.Pattern[str] | None:
    """A regex that finds a match in lower-cased ASCII text exactly when
    ``context_regex(words)`` finds one in the text (yes/no searches only: the alternative
    taken may differ).  Without IGNORECASE: every word is lower-cased ASCII, and on ASCII
    text lower-casing maps exactly the letters IGNORECASE folds (``[a-z0-9]`` in the
    lookarounds included)."""
    alternation = _first_char_alternation(words, lookbehind=True)
    return None if alternation is None else re.compile(alternation + r"(?![a-z0-9])")


class ContextProbe:
    """``bool(probe(text))``: False proves ``context_regex(words)`` has no match in any
    substring of ``text`` (so ``find_context`` finds nothing there)."""

    __slots__ = ("literals", "loose", "loose_lower")

    def __init__(self, words: Sequence[str]) -> None:
        self.loose = loose_context_regex(words)
        self.literals = context_literals(words)
        # On ASCII text, the same alternation without IGNORECASE over the lower-cased
        # text finds a match exactly when the loose regex does (every word is ASCII and
        # lower-cased), ~30x faster on a file window than the case-insensitive search.
        lower = _first_char_alternation(words, lookbehind=False)
        self.loose_lower = None if lower is None else re.compile(lower)
        if self.loose is not None:
            gatescan.register(self.loose)

    def __call__(self, text: str) -> bool:
        if self.loose is None:
            return False
        seen = gatescan.scanned(self.loose, text)
        if seen is False:
            return False
        # (a text with characters outside ASCII is searched in its ASCII shadow: every
        # word is ASCII where ``literals`` is set)
        low = ascii_shadow(text) if self.literals is not None else None
        if low is not None and self.literals is not None:
            # the literals are a cheaper test than the regex, but each one missing costs a
            # scan of the text: not tried where the pass has read the words already
            if seen is None:
                for lit in self.literals:
                    if lit in low:
                        break
                else:
                    return False
            if self.loose_lower is not None:
                return self.loose_lower.search(low) is not None
        return self.loose.search(text) is not None


# Labels that say a nearby number is *not* a customer identifier.
NEGATIVE_LABELS = [
    "order", "order no", "po", "purchase order", "invoice", "inv", "ticket", "case", "incident", "jira",
    "tracking", "shipment", "confirmation", "conf", "reference", "ref", "meeting id", "meeting", "request", "req",
    "zoom", "webex", "passcode", "pin", "room", "ext", "extension", "phone", "tel", "fax", "cell", "mobile",
    "rep", "direct", "dial", "sr", "ein", "fein",
    "call", "version", "build", "release", "sku", "part", "serial", "model", "item", "qty", "quantity",
    "cusip", "isin", "sedol", "ticker", "trade id", "trade", "order id", "employee id", "badge",
    "zip", "postal", "claim", "batch", "job", "pr", "issue", "bug", "commit", "rma",
    "vat", "vat no", "vat reg", "vat number", "company no", "company number", "exec", "execution", "clordid", "allocation",
    "duns", "lei", "crd", "figi", "code", "gl", "ledger", "cost center",
]
_NEGATIVE_RE = context_regex(NEGATIVE_LABELS, spelled=False)
#: negative labels that name a telephone: a number of nine digits is none (a US number has
#: ten, seven without its area code, an extension a few), so between a label and a
#: nine-digit number they take nothing away ("SSN, confirmed by phone, <9 digits>":
#: held-out probe, class 1)
PHONE_WORDS = frozenset({"phone", "tel", "fax", "cell", "mobile", "call", "ext", "extension"})
_DIGIT = re.compile(r"[0-9]")


#: "order" as the order things come in, no reference: "in order", "in reverse order",
#: "in the right order", "out of order" (atk25r N1: "SSN in order: N", "SSN, in reverse
#: order: N" lost their label to the reference word "order"); "order #4471", "order
#: number N", "the order N" name an order
_ORDERING_BEFORE = re.compile(
    r"(?i)(?:(?<![a-z])(?:in|out[ \t]+of)|(?<![a-z])(?:reverse|reversed|right|correct|same|original|proper|wrong|normal|usual|"
    r"sorted|random|alphabetical|numeric|numerical|descending|ascending|backwards?|inverse|opposite))[ \t]+\Z")


def ordering_word(text: str, start: int, end: int) -> bool:
    """``text[start:end]``, a negative label, is the word ``order`` as in "in order" (the
    order the digits come in), not a reference's label."""
    return end - start == 5 and text[start:end].lower() == "order" \
        and _ORDERING_BEFORE.search(text, max(0, start - 16), start) is not None


#: a word denying what the next words name ("not SSNs", "no ssn in here", "aren't socials")
_DENIED = re.compile(r"(?i)(?<![a-z])(?:not|no|never|none|isn['’]?t|aren['’]?t|without)[ \t]+(?:[a-z'’]+[ \t]+){0,2}\Z")


def words_disown(words: str, at: int, column: str = "") -> bool:
    """``words`` (a line below a table or a list, its context word at ``at``) name the
    numbers as another kind ("the numbers above are order ids", "those are the tickets")
    or deny the word ("not SSNs"): the word labels nothing there (atk25r R2's footers).
    ``column``: the header the words may name the column by ("the Ref column is their SSN")."""
    if _DENIED.search(words, max(0, at - 24), at) is not None:
        return True
    if column.strip():
        words = re.sub(r"(?i)(?<![a-z0-9])" + re.escape(" ".join(column.split())) + r"(?![a-z0-9])",
                       lambda m: " " * len(m.group(0)), words)
    plain = _HEADER_PLURAL.sub(" ", words)  # "tickets", "orders"
    return _NEGATIVE_RE is not None and any(not ordering_word(plain, m.start(), m.end())
                                            for m in _NEGATIVE_RE.finditer(plain))


def word_on_line(rx: re.Pattern[str] | None, text: str, start: int, end: int, before: int, after: int = 0) -> bool:
    """``rx`` matches on the line of ``text[start:end]`` within ``before`` characters
    before it or ``after`` after it, whatever stands between (a plain search, unlike
    ``find_context``, which stops at another label)."""
    if rx is None:
        return False
    lo = max(text.rfind("\n", 0, start) + 1, start - before)
    if rx.search(text, lo, start) is not None:
        return True
    if after <= 0:
        return False
    nl = text.find("\n", end, end + after)
    return rx.search(text, end, nl if nl >= 0 else min(len(text), end + after)) is not None


def glued_reference(text: str, c: Candidate) -> bool:
    """``c`` has letters glued to it (``GLUED_LETTERS``) and a label naming a reference
    (``NEGATIVE_LABELS``: serial, order, part, tracking...) before it on its line: a
    product or reference code with a check letter ("serial no. 4532015112830366X"), for a
    recognizer to read so when no context word of its own names the number."""
    before = _glued_letters_before(text, c.start)
    if not (before or _glued_letters_after(text, c.end)) or _NEGATIVE_RE is None:
        return False
    lo = max(0, c.start - 40)
    nl = text.rfind("\n", lo, c.start)
    seg = nl + 1 if nl >= 0 else lo
    if nl >= 0 and len(text[seg : c.start - before].split()) <= 1:
        # a label broken over a line ("order" / "id AAA-GG-SSSSA"): the line above too
        above = text.rfind("\n", max(0, nl - 40), nl)
        seg = above + 1 if above >= 0 else max(0, nl - 40)
    return _NEGATIVE_RE.search(text, seg, c.start - before) is not None


#: the last parts of a key or label that name a reference of its own (``order_id``,
#: ``ExecID``, ``trade ref``, ``msg seq``, ``OrderNo``)
_REFERENCE_TAILS = frozenset({"id", "ids", "ref", "refs", "reference", "seq", "seqnum", "sequence", "no", "nbr", "num"})
_REFERENCE_WORDS = frozenset({
    *(w for w in NEGATIVE_LABELS if " " not in w), "execid", "orderid", "ordid", "clordid", "tradeid", "txn", "txnid",
    "transaction", "oid", "uuid", "guid", "msgseqnum", "seqnum", "msg", "exec", "cl", "ord", "tkt", "alloc",
    # what a desk's numbers are: prices, levels and sizes
    "px", "price", "level", "size", "lot", "share", "contract", "bid", "offer", "ask", "notional", "strike",
})
#: a quantity's unit right after a number (``266 34 3119 contracts``)
UNIT_AFTER = re.compile(r"[ \t]+(?:contracts?|shares?|shs|lots?|bps|units?|cars|ct|pcs)(?![A-Za-z])", re.IGNORECASE)
#: a label's tokens right before a number, with what may stand between (``: # = - no.``)
_LABEL_BEFORE = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]{0,40}(?:[ \t]+[A-Za-z][A-Za-z0-9_.\-]{0,40})?)[ \t]*(?:[:#=/][ \t]*|[ \t]+)$")
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
#: a value with a digit (``TRD-22307-B``, ``NNNNNNNNN``, ``INC0012345``): ``reference_document``
_REFERENCE_VALUE = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z\-]*[0-9])[A-Za-z0-9][A-Za-z0-9\-]{3,39}(?![A-Za-z0-9])")
#: a label's words right before a value, with the marks that may stand between
#: (``Confirmation #:``, ``Invoice No.``, ``PO#``, ``Tracking Number:``)
_REFERENCE_LABEL = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]{0,40}(?:[ \t]+[A-Za-z][A-Za-z0-9_.\-]{0,40}){0,2})"
                              r"[ \t]*(?:[:#=/.][ \t]*){0,3}$")
_NUMBER_WORDS = frozenset({"number", "no", "nbr", "num"})


def _reference_labelled(text: str, start: int) -> bool:
    """The value starting at ``start`` has a label of its own on its line naming a
    reference (``_names_a_reference``; ``Tracking Number``, ``PO Number``: the word
    before ``number``)."""
    line_start = max(text.rfind("\n", 0, start), text.rfind(ROW, 0, start), text.rfind(CELL, 0, start)) + 1
    m = _REFERENCE_LABEL.search(text, max(line_start, start - 48), start)
    if m is None:
        return False
    words = m.group(1).split()
    if _names_a_reference(m.group(1)) or _names_a_reference(words[-1]):
        return True
    return len(words) >= 2 and words[-1].lower().rstrip(".") in _NUMBER_WORDS and _names_a_reference(words[-2])


def reference_document(text: str, c: Candidate) -> bool:
    """``c`` is labelled as a reference (a confirmation, order, ticket, trade, tracking,
    invoice, PO or case number: ``Confirm No: ...``) and another value of ``text`` with a
    digit that is no card number (not a card's length passing Luhn) is labelled as one
    too (``Ref: TRD-22307-B``, ``Order Ref: NNNNNNNNN``): the text is a document of
    references (a trade confirmation, a ticket, an invoice), and ``c`` is one of them.
    A lone label (``ref 4532015112830366``) is no such evidence (attack 13 F1).  At most
    64 values are read."""
    if not _reference_labelled(text, c.start):
        return False
    for n, m in enumerate(_REFERENCE_VALUE.finditer(text)):
        if n >= 64:
            return False
        if m.start() < c.end and c.start < m.end():
            continue
        digits = "".join(ch for ch in m.group() if ch.isdigit())
        if len(digits) < 3 or (len(digits) == len(m.group()) and 12 <= len(digits) <= 19 and luhn_ok(digits)):
            continue
        if _reference_labelled(text, m.start()):
            return True
    return False


#: a FIX message's field before the value (``|17=``, SOH ``\x0137=``): ``8=FIX`` or ``35=``
#: somewhere in the text
_FIX_FIELD_BEFORE = re.compile(r"(?:^|[|\x01^;, \t])[0-9]{1,4}=$")
_FIX_MESSAGE = re.compile(r"(?:^|[|\x01^;, \t])(?:8=FIX|35=[0-9A-Za-z]{1,2}(?:[|\x01^;, \t]|$))")


#: FIX tags whose value is an account: ``1`` Account, ``79`` AllocAccount
FIX_ACCOUNT_TAGS = frozenset({1, 79})
_FIX_TAG_BEFORE = re.compile(r"(?:^|[|\x01^;, \t])([0-9]{1,4})=$")


def fix_field_tag(text: str, start: int) -> int | None:
    """The tag of the FIX field whose value starts at ``start`` (``|37=D707632215``: 37),
    in a text that is a FIX message (``8=FIX`` or ``35=``); None otherwise."""
    m = _FIX_TAG_BEFORE.search(text, max(0, start - 6), start)
    if m is None or _FIX_MESSAGE.search(text) is None:
        return None
    return int(m.group(1))


def _names_a_reference(label: str, generic: bool = True) -> bool:
    """``label`` names a reference (``generic``: also any key ending in id/ref/no/seq)."""
    parts = [p.lower() for p in _CAMEL.findall(label.replace("_", " ").replace("-", " ").replace(".", " "))]
    if not parts:
        return False
    joined = "".join(parts)
    last = parts[-1]
    singular = last[:-1] if last.endswith("s") and len(last) > 3 else last  # a REST path's /orders/<id>, "levels"
    return ((generic and last in _REFERENCE_TAILS) or last in _REFERENCE_WORDS or singular in _REFERENCE_WORDS
            or joined in _REFERENCE_WORDS)


def labelled_as_reference(text: str, c: Candidate) -> bool:
    """``c`` is a bare digit run whose label right before it on its line names a reference
    of another kind (``Re case N``, ``ticket #N``): ``named_as_reference``'s label test
    alone, not its table header's (a column headed ``Ref`` may be named an SSN below)."""
    return c.is_bare and _label_names_a_reference(_line_before(text, c), generic=False)


def _line_before(text: str, c: Candidate) -> str:
    """What stands before ``c`` on its line (or in its table cell), at most 48 characters."""
    line_start = max(text.rfind("\n", 0, c.start), text.rfind(ROW, 0, c.start), text.rfind(CELL, 0, c.start)) + 1
    return text[max(line_start, c.start - 48):c.start]


def _label_names_a_reference(before: str, generic: bool) -> bool:
    """The key or words ending ``before`` (``_LABEL_BEFORE``) name a reference."""
    m = _LABEL_BEFORE.search(before)
    return m is not None and (_names_a_reference(m.group(1), generic) or _names_a_reference(m.group(1).split()[-1], generic))


def named_as_reference(text: str, c: Candidate, *, units: bool = False, generic: bool = True) -> bool:
    """``c`` is a bare digit run that its own label names as a reference of another kind:
    the key or words right before it on its line (``ExecID 4829622509269090``, ``order id:
    394282622371472``, ``cl_ord_id=...``), the field of a FIX message it is the value of
    (``|17=3563655727060546181|``), or the header of its table column (``exec_id``).  For
    a recognizer whose identifier has no context word of its own there: an order or
    execution id happens to pass a card's checksum one time in ten.  ``units``: a
    quantity's unit right after it names it too (``266 34 3119 contracts``).  ``generic``:
    any key ending in id, ref, no or seq names one (not for an SSN: "id 536|22|8710" may
    be a person's id)."""
    before = _line_before(text, c)
    if _FIX_FIELD_BEFORE.search(before) is not None and _FIX_MESSAGE.search(text) is not None:
        return True
    if _label_names_a_reference(before, generic):
        return True
    if units and UNIT_AFTER.match(text, c.end) is not None:
        return True  # "266 34 3119 contracts"
    header = column_header(text, c.start) if CELL in text else None
    return bool(header) and _names_a_reference(header.strip(), generic)  # type: ignore[union-attr]


@dataclass(frozen=True, slots=True)
class ContextHit:
    word: str
    distance: int  # chars between the word and the candidate (negative = before)


#: any digit (``\d``: as ``find_context`` has always read the words after a number)
_ANY_DIGIT = re.compile(r"\d")


def _other_line(window: str, pos: int) -> bool:
    """A line break between ``pos`` and the end of ``window``, and words before the
    number on its own line: the label above does not name this number (a form's
    "Account number:\n12345678", label alone on the line above, still does)."""
    nl = window.rfind("\n", pos)
    if nl < 0 or not any(ch.isalpha() for ch in window[nl:]):
        return False
    # the number's own token starts its line ("Delivering Firm Account No." over
    # "7EL-963731": a firm's account number with letters): the label above names it
    head = window[nl + 1 :].lstrip(" \t")
    token = (0 < len(head) <= 8 and not any(ch.isspace() for ch in head) and head[-1] in "-./#:_") or (
        head.isalnum() and len(head) <= 4)
    # (a reference's name is its own label: "ref#", "INV-")
    return not token or (_NEGATIVE_RE is not None and _NEGATIVE_RE.search(head) is not None)


class _Occurrences:
    """Where the bare alternation of a context regex matches in a whole text (its
    ``finditer`` spans, ascending and disjoint), to ask whether any lies in a span.

    ``find_context`` searches a window ``text[lo:start]`` and a tail
    ``text[end:end + after]`` with the regex; a match there lies inside that span and
    contains a match of the bare alternation at its start ``a``.  ``finditer`` over the
    whole text returns, at or before ``a``, either a match starting at ``a`` (the bare
    alternation matches there whatever surrounds it) or one that began earlier and
    runs past ``a``: either way a returned span overlaps the window.  So "no returned
    span overlaps the window" proves the regex finds nothing in it, and the window's
    search (per candidate: ~20 us, most of a clean blotter's account reading) is
    skipped; the column header is looked up as before."""

    __slots__ = ("ends", "starts")

    def __init__(self, starts: list[int], ends: list[int]) -> None:
        self.starts = starts
        self.ends = ends

    def overlaps(self, a: int, b: int) -> bool:
        """Some span overlaps ``[a, b)`` (``a < b``; False for an empty span)."""
        if a >= b:
            return False
        i = bisect.bisect_right(self.ends, a)  # the first span ending after a
        return i < len(self.starts) and self.starts[i] < b


class _MatchEnds(_Occurrences):
    """``_Occurrences`` from the ends of every match of the bare alternation in the text
    (on ASCII text: one Hyperscan scan, ``gatescan.match_ends``; ``starts`` and ``ends``
    both hold them): a match of the regex in a window or tail ``[a, b)`` is a match of
    the bare alternation ``[x, e)`` with ``a <= x < e <= b``, whose end ``e`` is one of
    them.  So "no end in ``(a, b]``" proves the regex finds nothing there."""

    __slots__ = ()

    def overlaps(self, a: int, b: int) -> bool:
        """Some end lies in ``(a, b]`` (False for an empty span)."""
        if a >= b:
            return False
        i = bisect.bisect_right(self.ends, a)
        return i < len(self.ends) and self.ends[i] <= b


_LOOK_BEFORE = r"(?<![a-z0-9])"
_LOOK_AFTER = r"(?![a-z0-9])"


@functools.lru_cache(maxsize=256)
def _bare(positive: re.Pattern[str]) -> tuple[re.Pattern[str], re.Pattern[str] | None] | None:
    """``positive`` (``context_regex``'s or ``_fuzzy``'s form: the word-boundary
    lookarounds around an alternation) without its lookarounds, which matches wherever
    it matches (``(?:X)`` holds every alternative of ``X`` whatever the lookarounds bound
    to), and the same for lower-cased ASCII text (without IGNORECASE: ~20x faster; None
    unless the pattern is ASCII with no upper-case letter, so that on ASCII text it
    matches the lower-cased text exactly where IGNORECASE matches the text); None for a
    regex of another form (no shortcut)."""
    p = positive.pattern
    if not (p.startswith(_LOOK_BEFORE) and p.endswith(_LOOK_AFTER)) or len(p) <= len(_LOOK_BEFORE) + len(_LOOK_AFTER):
        return None
    core = "(?:" + p[len(_LOOK_BEFORE) : -len(_LOOK_AFTER)] + ")"
    try:
        bare = re.compile(core, positive.flags)
        lower = (re.compile(core, positive.flags & ~re.IGNORECASE)
                 if positive.flags & re.IGNORECASE and core.isascii() and core == core.lower() else None)
    except re.error:
        return None
    return bare, lower


#: per regex (by id), the last text it was asked about and its occurrences (identity:
#: a cache keyed by the regex would hash its whole pattern at every candidate)
_LAST_OCCURRENCES: dict[int, tuple[re.Pattern[str], str, _Occurrences | None]] = {}


def _occurrences(positive: re.Pattern[str], text: str) -> _Occurrences | None:
    """``_Occurrences`` of ``positive``'s bare alternation in ``text``, once per text and
    regex (every candidate of the text asks); None when ``positive`` has no bare form."""
    last = _LAST_OCCURRENCES.get(id(positive))
    if last is not None and last[0] is positive and last[1] is text:
        return last[2]
    found = _scan_occurrences(positive, text)
    if len(_LAST_OCCURRENCES) > 256:
        _LAST_OCCURRENCES.clear()  # fuzzy slip regexes come and go
    _LAST_OCCURRENCES[id(positive)] = (positive, text, found)  # one assignment: threads see old or new
    return found


def _scan_occurrences(positive: re.Pattern[str], text: str) -> _Occurrences | None:
    forms = _bare(positive)
    if forms is None:
        return None
    bare, lower = forms
    if (positive.pattern, positive.flags) in _CONTEXT_REGEXES:
        gatescan.register_spans(bare)  # once per pattern: kept for every text
    read = gatescan.match_ends(bare, text)
    if read is not None:
        return _MatchEnds(read, read)
    low = ascii_lower_last(text) if lower is not None else None
    starts: list[int] = []
    ends: list[int] = []
    for m in bare.finditer(text) if low is None or lower is None else lower.finditer(low):
        starts.append(m.start())
        ends.append(m.end())
    return _Occurrences(starts, ends)


#: (id of a regex, a header cell) -> (the regex, the word it finds there or None)
_HEADER_WORDS: dict[tuple[int, str], tuple[re.Pattern[str], str | None]] = {}


#: a header whose words a ``_`` or a case change parts
#: or a digit glues to (``SSN9``, ``ssn_1``: atk25r R3)
_HEADER_SPLIT_HINT = re.compile(r"[A-Za-z0-9][_.-][A-Za-z0-9]|[a-z0-9][A-Z]|[A-Za-z][0-9]")


#: a plural's ``s`` ending a header's word (``SOCIALS``, ``accts``)
_HEADER_PLURAL = re.compile(r"(?<=[A-Za-z]{2})[sS](?![A-Za-z])")


def _header_word(positive: re.Pattern[str], header: str) -> str | None:
    """``positive.search(header)``'s word, lower-cased, or None: once per regex and
    header cell (a table has a few headers, and every cell below one asks)."""
    key = (id(positive), header)
    got = _HEADER_WORDS.get(key)
    if got is not None and got[0] is positive:
        return got[1]
    m = positive.search(header)
    if m is None and _HEADER_SPLIT_HINT.search(header):
        # "tax_id", "acctNo", "accountNumber": the header's words apart (structure.header_words)
        m = positive.search(header_words(header))
    if m is None and _HEADER_PLURAL.search(header):
        m = positive.search(_HEADER_PLURAL.sub(" ", header_words(header)))  # "SOCIALS", "Tax IDs" (atk25r R4)
    word = None if m is None else m.group(0).lower()
    if len(_HEADER_WORDS) > 4096:
        _HEADER_WORDS.clear()
    _HEADER_WORDS[key] = (positive, word)
    return word


def _glued_letters_before(text: str, start: int) -> int:
    """The ASCII letters (up to ``GLUED_LETTERS``) right before ``start``."""
    n = 0
    while n < GLUED_LETTERS and start - n > 0 and text[start - n - 1] in _ASCII_LETTERS:
        n += 1
    return n


def _glued_letters_after(text: str, end: int) -> int:
    """The ASCII letters (up to ``GLUED_LETTERS``) right after ``end``."""
    n = 0
    while n < GLUED_LETTERS and end + n < len(text) and text[end + n] in _ASCII_LETTERS:
        n += 1
    return n


_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


#: how far past the end of ``find_context``'s tail a word that starts in it is read
_WORD_REACH = 40


#: a context word that opens a common phrase naming something else: "social media",
#: "social network", "social worker" (held-out probe: "our social media post got N views"
#: took "social" for an SSN's label; a broker-dealer's chat speaks of social media often)
_ANOTHER_THING_AFTER: dict[str, re.Pattern[str]] = {
    "social": re.compile(
        r"(?i)[ \t_-]*(?:media|network(?:s|ing)?|posts?|events?|workers?|clubs?|hours?|life|sciences?|studies"
        r"|services?|welfare|platforms?|channels?|feeds?|teams?|committee|calendar|impact|responsibility|distancing"
        r"|listening|selling|proof|justice|skills|activit(?:y|ies)|gatherings?|content|campaigns?|handles?"
        r"|profiles?)(?![a-z])"),
}


#: the words that name nothing but a person's nine digits: a reference word between one
#: of them and nine digits close after it takes nothing away ("SSN ticket N", "ITIN ref
#: N", "Client's SSN for the order form: N": held-out evasion probe of 2026-12-07, class
#: 1, 108 of 244 missed; ``close_gap`` says how close), where a word of several meanings
#: ("tin", "tax id", "social") yields to it
PERSON_NUMBER_WORDS = frozenset({
    "ssn", "ssns", "ss#", "ss #", "ssn#", "s.s.n", "s s n", "snn", "snn#", "ssan", "ssn no", "ssn nbr", "social security",
    "social security number", "social security no", "social security nbr", "social security num", "socialsecurity",
    "socialsecuritynumber", "soc sec", "soc sec #", "soc sec no", "soc sec nbr", "soc sec num", "socsec", "social sec",
    "itin", "itin#", "itin no",
})
#: labels that say the number after them is an account's or a routing number, in words
#: of that meaning only ("account number order N", "routing number ref N": the same probe)
NUMBER_LABEL_WORDS = frozenset({
    "account number", "account no", "account num", "account nbr", "account #", "account#", "acct no", "acct num",
    "acct nbr", "acct#", "acct number", "a/c no", "a/c #", "acc no", "acc#", "acc number", "accnt #", "accnt no",
    "routing number", "routing no", "routing #", "aba", "aba#", "aba no", "rtn", "rt#", "numero de cuenta",
    "numero de compte", "kontonummer",
})
#: what may stand between such a word and its number: at most ``_CLOSE_WORDS`` words that
#: are no reference word, no sentence's end
_CLOSE_WORDS = 2
_SENTENCE_END = re.compile(r"[.;!?](?:[ \t]|$)|\n")
_GAP_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: blanks and marks only, or the abbreviation of "number" (``order no``, ``ticket #:``)
_JUST_MARKS = re.compile(r"[\s#:.=()\[\]-]*(?:(?:no|nbr|num|number|id)\b[\s#:.=-]*)?", re.IGNORECASE)
#: words of a clause's grammar, not counted among those words
_FUNCTION_WORDS = frozenset({"a", "an", "the", "for", "on", "in", "of", "to", "from", "per", "at", "with", "is", "are",
                             "was", "this", "that", "his", "her", "their", "its", "my", "our", "your", "as", "be"})


#: a number read as a measure: a currency sign or code before it, cents after it, or a
#: count's noun or a unit after it ("processed N rows", "compared N pairs", "$N.00 in fees",
#: "N shares affected": held-out false-stop probe of 2026-12-07)
_MEASURE_BEFORE = re.compile(r"(?:[$\u20ac\u00a3]|(?<![A-Za-z])(?:usd|eur|gbp)[ \t]?)\Z", re.IGNORECASE)
_MEASURE_AFTER = re.compile(
    r"\.[0-9]{2}(?![0-9])|[ \t]*(?:ms|msec|sec|secs|seconds|usd|eur|gbp|bps)(?![A-Za-z])|[ \t]+(?:rows?|records?|pairs?|"
    r"calls?|requests?|items?|entries|lines?|hits|events?|messages?|files?|docs?|documents?|accounts?|users?|"
    r"customers?|clients?|names?|matches|matched|unmatched|mismatches|errors?|exceptions?|failures?|breaks?|"
    r"shares?|shs|contracts?|units?|lots?|times|bytes|kb|mb|gb|dollars?|cents?)(?![A-Za-z])", re.IGNORECASE)


#: a currency's code: the measure's own mark, no word between a label and its number
_CURRENCY_CODES = frozenset({"usd", "eur", "gbp"})


def read_as_measure(text: str, start: int, end: int, label_end: int) -> bool:
    """``text[start:end]`` is a measure (``_MEASURE_BEFORE``, ``_MEASURE_AFTER``) and a word
    of another kind stands between its label (ending at ``label_end``) and it: "SSN
    validation processed N rows" counts rows; "SSN: N rows", "SSN is $N" (only grammar
    between) still name the number."""
    if _MEASURE_BEFORE.search(text, max(0, start - 4), start) is None and _MEASURE_AFTER.match(text, end) is None:
        return False
    return any(w.lower() not in _FUNCTION_WORDS and w.lower() not in _CURRENCY_CODES
               for w in _GAP_WORD.findall(text, label_end, start))


def standalone(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` is a token of its own: no letter or digit glued to it, no code's
    prefix joined by a dash or an underscore before it (``CHG-<9 digits>``, ``CS<9 digits>A``
    are a ticket's)."""
    if end < len(text) and text[end].isalnum():
        return False
    if start == 0:
        return True
    before = text[start - 1]
    return not (before.isalnum() or (before in "-_" and start > 1 and text[start - 2].isalnum()))


def close_gap(text: str, pos: int, end: int) -> bool:
    """The words between a person's number's label (ending at ``pos`` of ``text``) and
    the number (starting at ``end``) stay within one clause: no sentence's end, a reference
    word or a clause's grammar right after the label (a word of another kind there makes
    the label its modifier: "SSN verification ticket N", "the SSN field on order N", held-out
    false-stop probe of 2026-12-07), no reference word right before the number with other
    words before it ("SSN for the order N" is an order's: det27; "SSN ticket N", "SSN for
    the order form: N" are the SSN), and at most ``_CLOSE_WORDS`` words besides reference
    words and a clause's grammar ("SSN for the order form: N" has one, "form")."""
    gap = text[pos:end]
    if gap[:1].isalnum():
        return False  # the label inside a token ("classname Ssn709 job N")
    if gap.startswith(".") and text[max(0, pos - 3):pos].lower().endswith(("no", "nbr", "num", "nr")):
        gap = gap[1:]  # the label's abbreviation ("acct no. for the order: N")
    if len(gap) > 40 or _SENTENCE_END.search(gap) is not None or _DIGIT.search(gap) is not None:
        return False  # (a number between: the label's own, "classname Ssn709 job N" read "Ssn 709")
    first = _GAP_WORD.search(gap)
    if first is not None and first.group(0).lower() not in _FUNCTION_WORDS and (
            _NEGATIVE_RE is None or _NEGATIVE_RE.match(gap, first.start()) is None):
        return False  # the label names another thing ("SSN verification ticket N", "SSN field on order N")
    if _NEGATIVE_RE is not None:
        refs = list(_NEGATIVE_RE.finditer(gap))
        if refs and _JUST_MARKS.fullmatch(gap, refs[-1].end()) and not _JUST_MARKS.fullmatch(gap, 0, refs[0].start()):
            return False  # a reference word right before the number, other words before it: its own ("SSN for the order N")
    plain = gap if _NEGATIVE_RE is None else _NEGATIVE_RE.sub(" ", gap)
    return sum(1 for w in _GAP_WORD.findall(plain) if w.lower() not in _FUNCTION_WORDS) <= _CLOSE_WORDS


def closely_labelled(text: str, start: int, end: int, hit: ContextHit, words: frozenset[str]) -> bool:
    """The number at ``[start, end)`` is a token of its own and its label ``hit``, one of
    ``words``, stands before it with only what ``close_gap`` lets between: the label names
    it whatever reference word stands there ("SSN ticket N", "account number order N")."""
    return (hit.distance < 0 and hit.word in words and standalone(text, start, end)
            and close_gap(text, start + hit.distance, start))


def _names_another_thing(word: str, window: str, end: int) -> bool:
    """The context word ``word``, ending at ``end`` of ``window``, opens a phrase naming
    something else (``_ANOTHER_THING_AFTER``): it labels no number."""
    rx = _ANOTHER_THING_AFTER.get(word)
    return rx is not None and rx.match(window, end) is not None


def find_context(
    text: str,
    start: int,
    end: int,
    positive: re.Pattern[str] | None,
    *,
    before: int = 60,
    after: int = 30,
    negative: bool = True,
) -> ContextHit | None:
    """The nearest positive context word around [start, end), unless a negative label
    sits between it and the candidate."""
    if positive is None:
        return None
    lo = max(0, start - before)
    # letters glued to the number are no label of it ("token=ac3077722d": ``ac`` is not
    # "a/c"; ``GLUED_LETTERS``): the window ends before them, the tail starts after them
    glued = _glued_letters_before(text, start)
    best: ContextHit | None = None
    occurrences = _occurrences(positive, text)
    if occurrences is None or occurrences.overlaps(lo, start - glued):
        window = text[lo : start - glued]
        best_pos = -1
        # searched in the text, not the window: a word cut at the window's start is no word
        # ("| BAC | 1560116 | 80101861": the window's "AC" is a ticker's end, not "ac")
        for m in positive.finditer(text, lo, start - glued):
            if m.end() - lo > best_pos:
                best_pos = m.end() - lo
                best = ContextHit(m.group(0).lower(), -(len(window) - best_pos) - glued)
        if best is not None and best.distance < 0 and _other_line(window, best_pos):
            best = None  # "Type: Roth IRA\nVAT 741 0913 59": a label on an earlier line is not this number's
        if best is not None and _names_another_thing(best.word, window, best_pos):
            best = None
        if best is not None and negative and _NEGATIVE_RE is not None:
            nine = len(_DIGIT.findall(text, start, end)) == 9
            if ((best.word in NUMBER_LABEL_WORDS or (nine and best.word in PERSON_NUMBER_WORDS))
                    and standalone(text, start, end) and close_gap(text, lo + best_pos, start - glued)):
                return best  # "SSN ticket N", "ITIN ref N": the person's number, whatever words come between
            for m in _NEGATIVE_RE.finditer(window, best_pos):
                # a negative label nearer to the number than the positive one
                if nine and m.group(0).lower() in PHONE_WORDS:
                    continue
                if not positive.match(window, m.start()) and not ordering_word(window, m.start(), m.end()):
                    best = None
                    break
    if best is None:
        # a table column's header labels every cell below it (detect/structure.py)
        header = column_header(text, start)
        if header:
            word = _header_word(positive, header)
            if word is not None:
                return ContextHit(word, 0)
        if header is not None and (below := table_trailer(text, start)) is not None:
            # a small table whose headers name nothing: the words right below it name its cells
            # (or, under headers, words naming its column: not "order ids, not SSNs")
            under = positive.search(below[1])
            if under is not None and header and words_disown(below[1], under.start(), header):
                under = None
            if under is not None:
                return ContextHit(under.group(0).lower(), below[0] + under.start() - end)
    if best is None and after and (occurrences is None or occurrences.overlaps(end, end + after)):
        skip = _glued_letters_after(text, end)
        tail = text[end + skip : end + after]
        # "... 123456789 is my SSN": only words right after, before any other number
        cut = _ANY_DIGIT.search(tail)
        tail = tail[: cut.start()] if cut else tail
        t0 = end + skip
        t1 = t0 + len(tail)
        # (a word the tail's end cuts is read whole: "accounting" is no "acc")
        for m in positive.finditer(text, t0, min(len(text), t1 + _WORD_REACH)):
            if m.start() >= t1:
                break
            # "... acct # 123": a label right before the next number belongs to that number
            if cut is not None and not tail[m.end() - t0 :].strip(" \t#:.=-no"):
                continue
            best = ContextHit(m.group(0).lower(), m.start() - t0 + skip)
            break
    return best


def fuzzy_context(text: str, start: int, end: int, fuzzy: FuzzyContext, **kw: int) -> ContextHit | None:
    """``find_context`` with the typing slips of ``fuzzy``'s words present in ``text``;
    the hit's word is ``canonical~slip`` ("social~soical")."""
    rx = fuzzy.regex(text)
    if rx is None:
        return None
    hit = find_context(text, start, end, rx, **kw)  # type: ignore[arg-type]
    return None if hit is None else ContextHit(f"{fuzzy.canonical(hit.word)}~{hit.word}", hit.distance)


class DLPRecognizer(EntityRecognizer):
    """Base for the recognizers in this package.

    They do their own context gating (a context-gated entity is not reported at
    all without context), so their results are marked as already
    context-enhanced and Presidio's enhancer leaves them alone.  ``context`` is
    the list of words; ``add_context`` lets config/recognizers.yaml extend it.
    """

    DEFAULT_CONTEXT: tuple[str, ...] = ()
    #: Key words also accepted one typing slip away ("soical", "acount"): _fuzzy.py.
    FUZZY: tuple[str, ...] = ()

    def __init__(self, supported_entities: list[str], name: str | None = None, context: list[str] | None = None):
        super().__init__(
            supported_entities=supported_entities,
            name=name or type(self).__name__,
            supported_language="en",
            context=list(context if context is not None else self.DEFAULT_CONTEXT),
        )
        self._context_re = context_regex(self.context)
        self._context_lower = lower_context_regex(self.context)
        self._context_probe = ContextProbe(self.context)
        self._fuzzy = FuzzyContext(self.FUZZY) if self.FUZZY else None

    def load(self) -> None:
        return None

    def add_context(self, words: Sequence[str]) -> None:
        self.context = list(dict.fromkeys([*self.context, *words]))
        self._context_re = context_regex(self.context)
        self._context_lower = lower_context_regex(self.context)
        self._context_probe = ContextProbe(self.context)

    def could_match(self, text: str) -> bool:
        """A cheap necessary condition for ``analyze(text)`` to return anything.

        False only when ``analyze`` certainly finds nothing in ``text``: the engine
        then skips Presidio for this recognizer's entity.  Overrides check a prefix
        of ``analyze``'s own conditions (a candidate that validates, a context word
        anywhere in the text when one is required); the default is True.
        """
        return True

    def context_anywhere(self, text: str) -> bool:
        """False proves ``context_hit`` finds nothing for any span of ``text``."""
        return self._context_probe(text) or (self._fuzzy is not None and self._fuzzy.present(text))

    def context_present(self, text: str) -> bool:
        """A context word of this recognizer, as a word, somewhere in ``text`` (stricter
        than ``context_anywhere``, which may say True for a word inside another one)."""
        if not self.context_anywhere(text):
            return False
        # (the lookarounds are ``[a-z0-9]``: the shadow answers as the text would)
        low = ascii_shadow(text) if self._context_lower is not None else None
        if low is not None and self._context_lower is not None:
            if self._context_lower.search(low) is not None:
                return True
        elif self._context_re is not None and self._context_re.search(text) is not None:
            return True
        return self._fuzzy is not None and self._fuzzy.present(text)

    def shaped_or_context_gate(self, text: str, found: Iterable[Candidate],
                               valid: Callable[[Candidate], bool], shaped: Callable[[Candidate], object]) -> bool:
        """The usual ``could_match``: a candidate that validates and is either shaped
        (``shaped`` truthy, e.g. a non-zero score) like the identifier or has a context word somewhere in ``text`` (the context
        probe runs at most once, and only when a valid unshaped candidate needs it)."""
        context: bool | None = None
        for c in found:
            if not valid(c):
                continue
            if shaped(c):
                return True
            if context is None:
                context = self.context_anywhere(text)
            if context:
                return True
        return False

    def context_hit(self, text: str, start: int, end: int, **kw: int) -> ContextHit | None:
        hit = find_context(text, start, end, self._context_re, **kw)  # type: ignore[arg-type]
        if hit is None and self._fuzzy is not None:
            hit = fuzzy_context(text, start, end, self._fuzzy, **kw)
        return hit

    def result(
        self,
        entity: str,
        start: int,
        end: int,
        score: float,
        pattern: str,
        validation: str,
        hit: ContextHit | None = None,
        extra: str = "",
    ) -> RecognizerResult:
        parts = [f"pattern={pattern}", f"validation={validation}"]
        if hit is not None:
            parts.append(f"context='{hit.word}' ({hit.distance:+d} chars)")
        else:
            parts.append("context=none")
        if extra:
            parts.append(extra)
        name = str(getattr(self, "name", type(self).__name__))
        expl = AnalysisExplanation(
            recognizer=name,
            original_score=score,
            pattern_name=pattern,
            validation_result=True,
            textual_explanation="; ".join(parts),
        )
        return RecognizerResult(
            entity_type=entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=expl,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            },
        )

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        raise NotImplementedError




def lookalike_note(c: Candidate) -> str:
    return "lookalike-letters" if c.lookalikes else ""
