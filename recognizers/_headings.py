"""A heading over a list of numbers labels each of them (attack pass 25, F0).

``find_context`` gives a label on an earlier line to a number only when the number
starts its own line (a form's ``Account number:`` above its value): "Type: Roth IRA"
above a line of other words names nothing there.  Chat writes a list of identifiers
otherwise::

    Here are the SSNs            SSNs:                 ssn:
    Jane Doe AAAGGSSSS           - Jane Doe AAAGGSSSS    jane: AAAGGSSSS
    John Roe AAAGGSSSS           - John Roe AAAGGSSSS    john: AAAGGSSSS

A *heading* is a line holding a recognizer's context word, no run of three digits or
more, at most ``_HEADING_CHARS`` characters, and after the word only marks or words that go
on naming the list (``_HEADING_TAIL``: "for the new accounts", "below", "list", "numbers:";
"the SSN form is attached" names a form, "SSN ticket queue" tickets).  The lines under it (two blank or rule lines allowed before each) are its *items*
while each holds one number of six digits or more (its digits may be grouped: one run,
other runs of at most three digits: ``Client 12 AAAGGSSSS``) with at most
``_ITEM_BEFORE`` characters before it on its line (a bullet, a name, a key: ``jane:``,
``Jane=``, ``Jane Doe -``) and ``_ITEM_AFTER`` after it, and no negative label on the line.
The list ends at the first other line.  The heading's word labels every item's number,
however long the list (the 60-character window does not reach the 25th line).

Cost: per text and regex, once: the lines holding a match of the regex's bare
alternation (``_common._occurrences``, already found for the context searches) are
tried as headings, and each line under a heading is read once (an item line holds a
6-digit run, so it is no heading: no line is walked twice).  Per candidate, a bisect.
"""

from __future__ import annotations

import bisect
import re

from dlp_proxy.recognizers._common import _NEGATIVE_RE, ContextHit, _occurrences, words_disown

#: a heading is a short line
_HEADING_CHARS = 100
#: what may stand before and after an item's number on its line
_ITEM_BEFORE = 48
_ITEM_AFTER = 30
#: digit runs as a reader groups them (``AAA-GG-SSSS``, ``AAA GG SSSS``, ``0 AAAGGSSSS``)
#: (a blank joins only short groups: "Jane 20240115 AAAGGSSSS" holds two numbers)
_RUN = re.compile(r"[0-9](?:[0-9]|[-./_](?=[0-9])|(?<![0-9]{5}) (?=[0-9]{1,4}(?![0-9])))*")
_THREE_DIGITS = re.compile(r"[0-9]{3}")
#: what a heading may say after its word: nothing but marks (an emoji too), or words that
#: go on naming the list ("SSNs for the new accounts", "social security numbers below",
#: "SSN list", "account numbers:", "ITINs (no dashes)", "SSN's:"), or anything after a
#: mark that ends the naming ("SSNs - new hires", "SSNs, please verify": atk25r R1);
#: "the SSN form is attached" names a form
_HEADING_TAIL = re.compile(
    r"(?:[ \t]*(?:s\b|['’]s\b|numbers?|nos?|nbrs?|nums?|ids?|#|list|lists|below|as follows|follow|follows|following|"
    r"here|are|for\b.*|of\b.*|on file\b.*|in\b.*|from\b.*|to\b.*|we\b.*|i\b.*|\(.*|[,:;\-–—|/][ \t]*\S.*"
    r"|[^\w\s]+|_+))*[ \t]*\Z",
    re.IGNORECASE)
#: a line that only rules the heading off (``---``, ``===``, ``***``, ``___``)
_RULE_LINE = re.compile(r"[ \t]*(?:[-=*_~–—][ \t]*){3,}")
#: a plural's ``s`` (``SSNs``, ``ITINs``, ``accts``)
_PLURAL = re.compile(r"(?<=[A-Za-z]{2})[sS]\b")  # ("SOCIALS": atk25r R4)

#: (regex, text) -> (sorted item starts, item ends, hits) of the last text asked
_LAST: dict[int, tuple[re.Pattern[str], str, tuple[list[int], list[int], list[ContextHit]]]] = {}


def _item(line: str) -> tuple[int, int] | None:
    """The span in ``line`` of its one number of six digits or more, when it is a list item."""
    found: tuple[int, int] | None = None
    for m in _RUN.finditer(line):
        digits = sum(ch.isdigit() for ch in m.group(0))
        if digits >= 6:
            if found is not None:
                return None  # two numbers: a row of values, no item
            found = m.span()
        elif digits > 3:
            return None  # another number on the line
    if found is None or found[0] > _ITEM_BEFORE or len(line.rstrip()) - found[1] > _ITEM_AFTER:
        return None
    if _NEGATIVE_RE is not None and _NEGATIVE_RE.search(line) is not None:
        return None  # "phone 2125550143" under "account numbers"
    return found


def _blocks(text: str, rx: re.Pattern[str]) -> tuple[list[int], list[int], list[ContextHit]]:
    starts: list[int] = []
    ends: list[int] = []
    hits: list[tuple[int, str]] = []  # (the heading word's start, the word)
    occ = _occurrences(rx, text)
    marks = occ.ends if occ is not None else [m.end() for m in rx.finditer(text)]
    done = -1  # the end of the last line read (as a heading or an item)
    for e in marks:
        if e <= done:
            continue
        a = text.rfind("\n", 0, e - 1) + 1 if e > 0 else 0
        b = text.find("\n", max(a, e - 1))
        b = len(text) if b < 0 else b
        done = b
        line = text[a:b]
        if len(line) > _HEADING_CHARS or _THREE_DIGITS.search(line):
            continue
        m = rx.search(line)
        if m is None:
            line = _PLURAL.sub(" ", line)  # "ITINs:", "accts" (same length: positions kept)
            m = rx.search(line)
        if m is None:
            continue
        if not _HEADING_TAIL.match(line, m.end()):
            _footer(text, a, line, m, starts, ends, hits)
            continue  # "Hi team, the SSN form is attached", "SSN ticket queue": the words name something else
        listed = len(starts)
        pos, blank = b + 1, 0
        while pos < len(text):
            nl = text.find("\n", pos)
            nl = len(text) if nl < 0 else nl
            item_line = text[pos:nl]
            if not item_line.strip() or _RULE_LINE.fullmatch(item_line):
                blank += 1  # a blank line, or a rule under the heading (``---``, ``===``)
                if blank > 2:
                    break
                pos = nl + 1
                continue
            span = _item(item_line)
            if span is None:
                break
            blank = 0
            starts.append(pos + span[0])
            ends.append(pos + span[1])
            hits.append((a + m.start(), m.group(0).lower()))
            done = nl
            pos = nl + 1
        if len(starts) == listed:
            _footer(text, a, line, m, starts, ends, hits)  # "the numbers above are their tax ids": no heading
    if len(starts) > 1 and any(starts[k] > starts[k + 1] for k in range(len(starts) - 1)):
        order = sorted(range(len(starts)), key=starts.__getitem__)  # a footer's items: before the lists read after it
        starts, ends, hits = [starts[k] for k in order], [ends[k] for k in order], [hits[k] for k in order]
    return starts, ends, [ContextHit(word, at) for at, word in hits]


#: words of a line under a list that point back at its numbers ("the numbers above",
#: "those are", "they are", "that's", "each client's social")
_FOOTER_POINTS = re.compile(
    r"(?i)(?<![a-z])(?:above|th(?:o|e)se|they|that(?:['’]s|[ \t]+is|[ \t]+are)|this[ \t]+is|both|each|(?:the|all)[ \t]+(?:numbers|ones|list))(?![a-z])")
#: how many items above a footer it speaks of
_FOOTER_ITEMS = 50


def _footer(text: str, a: int, line: str, m: re.Match[str], starts: list[int], ends: list[int],
            hits: list[tuple[int, str]]) -> None:
    """The line ``line`` at ``a``, its context word ``m``, under a list, pointing back at it
    ("the numbers above are their tax ids", "those are their SSNs": atk25r R2): the
    word labels the list's items (appended to ``starts``, ``ends``, ``hits``)."""
    if _FOOTER_POINTS.search(line) is None or words_disown(line, m.start()):
        return  # "these are order numbers, not SSNs", "those are the tickets for the social"
    for span in _items_above(text, a):
        if starts and span[0] <= max(ends):
            continue  # an item of a list read already
        starts.append(span[0])
        ends.append(span[1])
        hits.append((a + m.start(), m.group(0).lower()))


def _items_above(text: str, a: int) -> list[tuple[int, int]]:
    """The items' number spans (ascending) of the list right above the line starting at
    ``a`` (two blank or rule lines may stand between), up to the first other line."""
    out: list[tuple[int, int]] = []
    end, blank = a - 1, 0
    while end > 0 and len(out) < _FOOTER_ITEMS:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end]
        if not line.strip() or _RULE_LINE.fullmatch(line):
            if out:
                break
            blank += 1
            if blank > 2:
                break
        else:
            span = _item(line)
            if span is None:
                break
            out.append((start + span[0], start + span[1]))
        end = start - 1
    out.reverse()
    return out


def heading_blocks(text: str, rx: re.Pattern[str] | None) -> tuple[list[int], list[int], list[ContextHit]] | None:
    """The items' number spans (starts, ends, ascending) and their heading's word (the
    hit's ``distance`` holds the word's position), once per text and regex; None when
    ``text`` holds no heading over a list."""
    if rx is None or "\n" not in text:
        return None
    last = _LAST.get(id(rx))
    if last is not None and last[0] is rx and last[1] is text:
        got = last[2]
    else:
        got = _blocks(text, rx)
        if len(_LAST) > 64:
            _LAST.clear()
        _LAST[id(rx)] = (rx, text, got)
    return got if got[0] else None


def heading_label(text: str, start: int, end: int, rx: re.Pattern[str] | None,
                  names: re.Pattern[str] | None = None) -> ContextHit | None:
    """The word of the heading whose list holds ``[start, end)`` as (part of) an item's
    number; with ``names``, only a heading line that ``names`` also finds in (a word saying
    the list is of numbers: "account numbers", not "Margin accounts")."""
    blocks = heading_blocks(text, rx)
    if blocks is None:
        return None
    starts, ends, hits = blocks
    i = bisect.bisect_right(starts, start) - 1
    if i < 0 or end > ends[i]:
        return None
    hit = hits[i]
    if names is not None:
        a = text.rfind("\n", 0, hit.distance) + 1
        b = text.find("\n", hit.distance)
        if names.search(text, a, len(text) if b < 0 else b) is None:
            return None
    return ContextHit(hit.word, hit.distance - start)
