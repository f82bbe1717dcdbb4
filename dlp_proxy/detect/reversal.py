"""A number the words say is written backwards, read the other way round (det25b).

"ssn reversed = AAAA-GG-SSS, flip it when you key it in", "acct written backwards so the
bot skips it: NNNNNNNNNN (reverse it)", "read right to left: NNNNNNNNN -- that's the account
number": the writer tells the reader to reverse the digits, and the reader does.  Each
such number is judged with its characters in reverse order (same length: ``AAAA-GG-SSS``
reads ``SSS-GG-AAAA``), all of them in one reading (``readings``), and, when the
instruction stands between a label and the number ("acct written backwards so the bot
skips it: N"), in a second reading without the instruction's clause, so the label is
right before the number again.  A finding of a reading on a reversed number maps to the
number as written.

Only digits (6 to 19, in groups apart by one ``-`` or blank) on the instruction's line
are read: within ``_AFTER`` characters after the instruction (the first number there,
introduced by ``:``, ``=``, ``is`` or a blank) or ending within ``_BEFORE`` characters
before it ("N (reverse it)").  The clause is dropped only when it holds no digit and no
word naming the number as another kind (order, ticket, ref, id, trade...).  One
instruction regex search rules out the text without one; the rest is linear in the line.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from dlp_proxy.detect import gatescan

TRANSFORM = "reversed-digits"

#: words telling the reader the digits are written backwards: reversed, backwards, back to
#: front, right to left, in reverse (order), flip it, mirror(ed), inverted
_INSTRUCTION = re.compile(
    r"(?i)(?<![a-z])(?:reversed|reverse[ \t]+(?:it|them|that|this|order|the[ \t]+digits)|in[ \t]+reverse(?:[ \t]+order)?"
    r"|backwards?|back[ \t-]+to[ \t-]+front|right[ \t-]+to[ \t-]+left|flip(?:ped)?[ \t]+(?:it|them|that|this|the[ \t]+digits|around)"
    r"|mirror(?:ed)?|inverted|invert[ \t]+(?:it|them))(?![a-z])")
gatescan.register(_INSTRUCTION)  # a window of a file: not searched at every position
#: a number: 6 to 19 digits in groups apart by one ``-`` or blank (counted after the match)
_NUMBER = re.compile(r"(?<![0-9A-Za-z.,/:-])[0-9]+(?:[- ][0-9]+){0,5}(?![0-9A-Za-z]|[.,/:-][0-9])")
#: how far after the instruction the number may start, how far before it the number may end
_AFTER = 120
_BEFORE = 40
#: the clause between the instruction and the number ends where the number is introduced
_INTRODUCED = re.compile(r"(?i)(?:[:=]|->|(?<![a-z])(?:is|are|as))[ \t]*$")
#: words naming a number as another kind than an identifier: the clause is then kept
_OTHER_KIND = re.compile(
    r"(?i)(?<![a-z])(?:order|ord|ticket|tkt|ref|reference|id|trade|exec|conf|confirmation|invoice|case|inc|phone|tel"
    r"|zip|qty|quantity|px|price|amount|amt|version|build|tracking|serial)(?![a-z])")


#: an instruction on a line of its own: a short line, read with the lines next to it
_LINE_CHARS = 100
#: how many lines of numbers above such an instruction it speaks of
_LINES_ABOVE = 12


def _line_number(text: str, a: int, b: int, last: bool) -> tuple[int, int] | None:
    """The span of the first (``last``: the last) number of 6 to 19 digits on ``text[a:b]``."""
    found = None
    for n in _NUMBER.finditer(text, a, b):
        if 6 <= _digits(n.group()) <= 19:
            if not last:
                return n.span()
            found = n.span()
    return found


def _lines_above(text: str, ls: int) -> list[tuple[int, int]]:
    """The numbers of the lines right above the line starting at ``ls`` (one blank line
    may stand between), each line's last one, up to the first line with none."""
    out: list[tuple[int, int]] = []
    end, blank = ls - 1, 0
    while end > 0 and len(out) < _LINES_ABOVE:
        start = text.rfind("\n", 0, end) + 1
        if not text[start:end].strip():
            blank += 1
            if out or blank > 1:
                break
        else:
            span = _line_number(text, start, end, True)
            if span is None:
                break
            out.append(span)
        end = start - 1
    return out


def _line_below(text: str, le: int) -> tuple[int, int] | None:
    """The first number of the next line that is not blank after ``le`` (a line end)."""
    pos = le + 1
    for _ in range(2):
        if pos >= len(text):
            return None
        nl = text.find("\n", pos)
        nl = len(text) if nl < 0 else nl
        if text[pos:nl].strip():
            return _line_number(text, pos, nl, False)
        pos = nl + 1
    return None


@dataclass(frozen=True, slots=True)
class Reading:
    """``text`` with numbers reversed: ``spans`` holds, for each, (start, end) in ``text``
    and (start, end) of the number in the original text, in order."""

    text: str
    spans: tuple[tuple[int, int, int, int], ...]

    def original_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The number as written that ``[start, end)`` of the reading lies in, if any."""
        k = bisect.bisect_right(self.spans, (start, len(self.text) + 1)) - 1
        if k >= 0:
            a, b, x, y = self.spans[k]
            if a <= start and end <= b:
                return x, y
        return None


def may_reverse(text: str) -> bool:
    return gatescan.search(_INSTRUCTION, text)


def _digits(token: str) -> int:
    return sum(1 for ch in token if ch.isdigit())


def readings(text: str) -> list[Reading]:
    """At most two readings of ``text`` (module docstring): every number its words say is
    reversed, reversed in place (same length); and, where the words stand between a label
    and the number, with their clause dropped and the number reversed.  Two readings
    whatever the number of instructions: the cost stays linear in the text."""
    in_place: dict[tuple[int, int], None] = {}
    dropped: dict[tuple[int, int], tuple[int, int]] = {}  # clause start -> number span, by number
    for m in _INSTRUCTION.finditer(text):
        ls = text.rfind("\n", 0, m.start()) + 1
        le = text.find("\n", m.end())
        le = len(text) if le < 0 else le
        # the first number after the instruction on its line
        for n in _NUMBER.finditer(text, m.end(), le):
            if n.start() > m.end() + _AFTER:
                break  # (the number starts within ``_AFTER``: read whole, not cut at the reach)
            if not 6 <= _digits(n.group()) <= 19:
                continue
            in_place[n.span()] = None
            gap = text[m.end() : n.start()]
            if (not any(ch.isdigit() for ch in gap) and _OTHER_KIND.search(gap) is None
                    and _INTRODUCED.search(gap) is not None):
                # "acct written backwards so the bot skips it: N": the label right before the number
                dropped.setdefault(n.span(), (m.start(), n.start()))
            break
        # the last number ending shortly before it ("N (reverse it)")
        last = None
        for n in _NUMBER.finditer(text, max(ls, m.start() - _BEFORE - 40), m.start()):
            if 6 <= _digits(n.group()) <= 19 and m.start() - n.end() <= _BEFORE:
                last = n
        if last is not None:
            in_place[last.span()] = None
        elif not any(ch.isdigit() for ch in text[ls:le]) and le - ls <= _LINE_CHARS:
            # the instruction on a line of its own words, under the numbers it speaks of
            # ("SSN: N" then "(the digits above are reversed)", a list then "all written
            # backwards": atk25r R6) or over the one it announces ("reversed below:" then "N")
            for a, b in _lines_above(text, ls):
                in_place[a, b] = None
            below = _line_below(text, le)
            if below is not None:
                in_place[below] = None
    out: list[Reading] = []
    if in_place:
        parts: list[str] = []
        spans: list[tuple[int, int, int, int]] = []
        at = 0
        for a, b in sorted(in_place):
            if a < at:
                continue
            parts += [text[at:a], text[a:b][::-1]]
            spans.append((a, b, a, b))
            at = b
        parts.append(text[at:])
        out.append(Reading("".join(parts), tuple(spans)))
    if dropped:
        parts, spans, at, size = [], [], 0, 0
        for (a, b), (cut, _) in sorted(dropped.items(), key=lambda kv: kv[1]):
            if cut < at:
                continue
            head = text[at:cut] + " "
            parts += [head, text[a:b][::-1]]
            size += len(head)
            spans.append((size, size + b - a, a, b))
            size += b - a
            at = b
        parts.append(text[at:])
        out.append(Reading("".join(parts), tuple(spans)))
    return out
