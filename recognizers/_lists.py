"""Short numbers written side by side as a list, not one identifier spaced out (det23b).

A digit run joins groups across any separator (``_common.digit_runs``), so a list of
strikes, fill sizes or lots (``strikes to quote: 34,39,25,18,26,33,43,30``, ``fill sizes
by venue: 47 16 1 32 55 20 33 3 16``, ``lots (x100) per account: 29 8 13 39 46 1 5 4
24``) reads as one long number; one such list in ten passes a card's Luhn check, and an
account word before it ("per account") made it an account number.  A held-out set of
ordinary finance chat had 13 % of such messages stopped.

``reads_as_list``: three groups or more (two with a list mark between), none longer than three digits (no card or SSN
grouping has such groups: their groups of four decide them), and either a list
separator (``,`` ``;`` ``/``) between two of them, groups of different lengths, or
groups of two or three digits; not threes apart by one mark that is no list mark
(``482-910-375``, ``123.456.789``: a number's grouping).  Digits written one at a time with a blank or one mark
(``4 1 1 1 ...``, ``5-3-6-2-2-8-7-1-0``) are one number spelled out, no list.

Such a run is one identifier only when the message shows it means one
(``list_intended``): the identifier's label right at it (``card: 41 11 11 ...``, ``SSN
53 62 28 71 0``, ``acct # 48 29 10 37 55``, a column header above it, ``... is my
card`` right after it; digits one at a time with list marks, ``SSN on file: 5, 3, 6, 2,
...``, with a label anywhere in the recognizer's window, as before: a list of one-digit
sizes or strikes is rare, an identifier spelled digit by digit a known evasion), not a
label that distributes over the list (``per account``, ``by card``, ``each acct``), or
an instruction to join the numbers anywhere in the message ("no spaces", "run them
together", "concatenate", "in pieces", "one group per line", "split up").  Words saying
the number follows in pieces are a label's tail (``card number (one group per line):``,
``routing, in pieces:``, ``ABA below``): the groups one to a line under it are the number.

``percent_escapes``: groups of two digits each written after a ``%`` (``%36%36%39``) are
a URL's percent-encoded characters; the engine judges what they decode to
(``normalize``), never their code points as digits.
"""

from __future__ import annotations

import functools
import itertools
import re

from dlp_proxy.recognizers._common import _GROUP_RE, Candidate, ContextHit, _sep

#: separators that make a list of numbers (as written between two groups, blanks stripped)
_LIST_MARKS = frozenset(",;/")

#: words saying the number is written in pieces, one to a line: "(one group per line)",
#: "one part a line", "a chunk per line", "split up", "broken up", "piece by piece"
_PIECES = (r"(?<![A-Za-z])(?:(?:one|a|each)\s+(?:group|part|piece|chunk|bit|block|set)s?\s+(?:per|a|each|to\s+a)\s+"
           r"(?:line|row|bullet|message)|split(?:\s+(?:it|them))?\s+up|broken\s+up|piece\s+by\s+piece)(?![A-Za-z])")
#: between a label and the run it names: blanks, a colon, ``#``, ``=``, a dash, brackets,
#: quotes and the words of a label's tail ("card number is", "acct no.", "SSN #")
_GLUE_BEFORE = re.compile(
    r"(?:[\s:#=.,\-\u2013\u2014()\[\]{}'\"`*>]|(?<![A-Za-z])(?:numbers?|num|nbr|nr|no|is|was|reads|of|below|"
    r"follows|as\s+follows|following|here|in\s+(?:pieces|parts|chunks|bits|groups|halves|thirds))(?![A-Za-z])|"
    + _PIECES + r")*",
    re.IGNORECASE,
)
#: between a run and a label after it ("... is my card", "..., the client's SSN")
_GLUE_AFTER = re.compile(
    r"(?:[\s:,=.\-\u2013\u2014()\[\]'\"`*<]|(?<![A-Za-z])(?:is|was|are|my|the|his|her|their|its|our|your|a|an|"
    r"client'?s?|customer'?s?)(?![A-Za-z]))*",
    re.IGNORECASE,
)
#: a word that spreads the label over the numbers after it: "lots per account:",
#: "fills by card:", "each acct" (the label names where each number goes, not the run)
_DISTRIBUTIVE = re.compile(
    r"(?<![A-Za-z])(?:per|each|every|by|across|among|between|for\s+each|for\s+every)\s+"
    r"(?!(?:his|her|their|my|our|your|its|the\s+client's|client's)\s)"  # "per his acct": as he gave it
    r"(?:[A-Za-z'/&-]+\s+){0,2}\S*$",
    re.IGNORECASE,
)
#: an instruction to read the numbers as one: "no spaces", "without the commas",
#: "run them together", "concatenate", "join them up", "as one number"
_JOIN = re.compile(
    r"(?<![A-Za-z])(?:"
    r"(?:no|without(?:\s+the)?|remove(?:\s+the)?|strip(?:\s+the)?|drop(?:\s+the)?|delete(?:\s+the)?|minus(?:\s+the)?|"
    r"ignore(?:\s+the)?|lose(?:\s+the)?)\s+(?:spaces?|blanks?|commas?|semicolons?|separators?|slashes|dashes|gaps?|"
    r"punctuation|delimiters?)"
    r"|(?:run|put|stick|glue|stitch|smush|squash|mash|mush|combine|merge|join)\s+(?:them|these|those|it|all|"
    r"(?:the|all\s+the|these|those)\s+(?:\w+\s+)?(?:digits|numbers|groups|parts|pieces|bits|chunks))\s+(?:together|up)"
    r"|join(?:ed)?\s+(?:them|these|those|it)\b"
    r"|concat(?:enat\w*)?"
    r"|" + _PIECES +
    r"|(?:as|into|is|makes?|forms?)\s+one\s+(?:long\s+|single\s+|big\s+)?(?:number|string|value|id|sequence)"
    r")(?![A-Za-z])",
    re.IGNORECASE,
)


def _short_numbers(groups: tuple[int, ...], seps: tuple[str, ...]) -> bool:
    marked = any(s in _LIST_MARKS for sep in seps for s in sep)
    if len(groups) < 2 or max(groups) > 3 or (len(groups) == 2 and not marked):
        return False
    if not marked and seps[0].strip() and len(set(seps)) == 1 and all(n == 3 for n in groups[:-1]):
        return False  # "482-910-375", "123.456.78": a number grouped in threes by one mark, no list
    return marked or max(groups) > 1  # list marks, groups of different lengths or of two or three digits


def reads_as_list(c: Candidate, text: str) -> bool:
    """``c``'s groups are short numbers written side by side (module doc), or some of
    such a run's (``1 7 9 9 9 3`` of ``1 7 9 9 9 3 64 4``: the run is the list)."""
    if _short_numbers(c.groups, c.seps):
        return True
    if c.whole_run or c.is_bare or max(c.groups) > 3:
        return False
    groups = [(m.start(), m.end()) for m in _GROUP_RE.finditer(text, c.run_start, c.run_end)]
    seps = tuple(_sep(text, a[1], b[0]) for a, b in itertools.pairwise(groups))
    return _short_numbers(tuple(b - a for a, b in groups), seps)


@functools.lru_cache(maxsize=16)
def join_instruction(text: str) -> bool:
    """The message asks for numbers to be read as one ("no spaces", "concatenate").
    Asked for each candidate of a text (a binary's raw reading has thousands), so
    answered once per text."""
    return _JOIN.search(text) is not None


def label_at(text: str, c: Candidate, hit: ContextHit | None) -> bool:
    """``hit`` (a recognizer's context hit for ``c``) names the run itself: right before
    it with only a label's tail between (``card: ``, ``acct # ``, ``SSN is ``), a column
    header (distance 0), or right after it (``... is my card``); and no word before the
    label spreads it over the numbers (``per account:``)."""
    if hit is None:
        return False
    spelled = max(c.groups) == 1  # one digit at a time: the recognizer's own window names it
    if hit.distance < 0:
        if not spelled and _GLUE_BEFORE.fullmatch(text, c.start + hit.distance, c.start) is None:
            return False
        return not _distributed(text, c, hit)
    if hit.distance == 0 or spelled:
        return True
    return _GLUE_AFTER.fullmatch(text, c.end, c.end + hit.distance) is not None


def spread_over_list(text: str, c: Candidate, hit: ContextHit | None) -> bool:
    """``hit`` is a label a word before spreads over what follows (``allocation per acct
    (last 4 only): x4329: 2300, x7576: 900``, ``lots per account: IRA-7 7900, HF-B 2700``)
    and ``c``'s run has a list mark (``,`` ``;`` ``/``) in it: the numbers are the list's
    items, each a value for one account, not one account number (whatever their lengths:
    ``reads_as_list`` asks for short groups)."""
    if hit is None or not _distributed(text, c, hit):
        return False
    return (_ITEM_AFTER.match(text, c.end) is not None or _ITEM_BEFORE.search(text, max(0, c.start - 12), c.start) is not None
            or any(ch in _ITEM_MARKS for ch in text[c.start:c.end]))


#: what parts a list's items (``|``: the cell bar of a table row's reading, ``engine``'s
#: ``table_row_reading`` of ``x4329: 2300, x7576: 900``)
_ITEM_MARKS = _LIST_MARKS | {"|"}


#: another item of a list right after a number or right before it: a list mark, then a
#: number within a short tag (``2300, x7576``, ``IRA-7 7900, HF-B 2700``)
_ITEM_AFTER = re.compile(r"[ \t]*[,;/|][ \t]*[^\s,;/|]{0,6}?[0-9]")
_ITEM_BEFORE = re.compile(r"[0-9][^\s,;/|]{0,6}[ \t]*[,;/|][ \t]*[^\s,;/|]{0,6}$")


def list_intended(text: str, c: Candidate, hit: ContextHit | None, *, checksum: bool = False) -> bool:
    """A run that ``reads_as_list`` is one identifier: the recognizer found its label in
    its window (before it with any words between, ``SSN for Bob: 53 62 28 71 0``, or after
    it, ``... is Bob's card``) and no word spreads that label over a list (``lots per
    account:``; for a number with a checksum, a card's Luhn and IIN, not even that:
    ``pays by card: 453 201 ...``) where the run is one number cut in even chunks
    (``_chunked``); the label right at it (``label_at``) where it reads as a list's items;
    or the message asks to join the numbers.  (atk22r R1: asking for the label right at
    every run let any word between pass a labelled number cut in pairs or threes.)"""
    if join_instruction(text):
        return True
    if hit is None:
        return False
    if not _chunked(c):
        return label_at(text, c, hit)  # items of a list (list marks, lengths that vary): the label right at it
    return checksum or not _distributed(text, c, hit)


def _distributed(text: str, c: Candidate, hit: ContextHit) -> bool:
    """``hit`` is a label before ``c`` that a word right before it spreads over the
    numbers after it (``_DISTRIBUTIVE``: ``lots per account:``)."""
    if hit.distance >= 0:
        return False
    end = c.start + hit.distance
    return _DISTRIBUTIVE.search(text, max(0, end - 40), end) is not None


def _chunked(c: Candidate) -> bool:
    """``c``'s groups are one number cut in even chunks: all of one size (two or three
    digits; the last may be shorter) apart by one repeated mark that is no list mark
    (``53 62 28 71 0``, ``453 201 511 283 036 6``), as a writer cuts a number to read it
    out; a list's items vary in length or are parted by ``,`` ``;`` ``/``."""
    groups, seps = c.groups, c.seps
    if len(groups) < 3 or groups[0] not in (2, 3) or any(n != groups[0] for n in groups[:-1]) or groups[-1] > groups[0]:
        return False
    return len(set(seps)) == 1 and not any(ch in _LIST_MARKS for ch in seps[0])


def percent_escapes(text: str, c: Candidate) -> bool:
    """Every group of ``c`` is two digits written right after a ``%`` (``%36%36%39``):
    percent-encoded characters, whose decoding the engine judges (module doc)."""
    if len(c.groups) < 2 or any(n != 2 for n in c.groups) or any(s != "%" for s in c.seps):
        return False
    return c.start > 0 and text[c.start - 1] == "%"
