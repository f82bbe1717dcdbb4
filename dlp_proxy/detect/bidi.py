"""The displayed reading of bidirectional text (Unicode Bidirectional Algorithm, UAX #9).

The detector reads text in logical order; a browser shows it in visual order.  An
override or an embedding (``RLO <the SSN's characters reversed> NSS tneilc PDF`` shows
"client SSN" and the SSN in reading order), an isolate, a right-to-left mark, or right-to-left letters and
Arabic-Indic digits around digit groups reorder what the reader sees.  Mattermost
stores and shows these characters as sent (``model.Post.IsValid`` counts runes,
server/public/model/post.go), and the web app renders a post in a ``dir='auto'``
block (webapp/channels/src/components/post_view/post_message_view/post_message_view.tsx):
the post's first strong character sets the direction of every paragraph in it.

So a text holding a bidi control or a right-to-left character is also judged as
displayed: ``displayed_readings(text)`` gives, per paragraph direction that can occur
(left-to-right always; right-to-left too when the text has a strong right-to-left
character), the text with each paragraph (a line; a table row's cells are separated
by U+001F, a segment separator to UAX #9) in visual order, and for every character of
it the span of ``text`` it came from.  The levels come from ``python-bidi`` (the Rust
``unicode-bidi`` crate: a maintained, conformance-tested UAX #9 implementation),
whose ``debug`` output reports the resolved levels and the original classes; the
line is reordered from them (rules L1 and L2, mirrored glyphs by L4) and the result
checked against the library's own display string (invisible controls aside).  When
that check fails, every character of the paragraph maps to the whole paragraph: a
finding in it then masks the whole line (never less than what shows the value).

A text with no such character (every ASCII text, most others) pays one ``isascii``
or one character-class search (``may_reorder``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex
import unicodedata2
from bidi import get_display
from bidi.mirror import MIRRORED

#: The transform name findings of a displayed reading carry.
TRANSFORM = "bidi-reordering"

#: Characters that can make the displayed order differ from the logical one: the
#: explicit controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI) and every character of class
#: R, AL (strong right-to-left) or AN (Arabic numbers), from the ``regex`` module's tables.
_REORDERING = regex.compile(
    r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\p{Bidi_Class=R}\p{Bidi_Class=AL}\p{Bidi_Class=AN}]"
)
#: A strong right-to-left character (R, AL; RLM and ALM are among them): with one in
#: the text, a ``dir='auto'`` block may be right-to-left.
_STRONG_RTL = regex.compile(r"[\p{Bidi_Class=R}\p{Bidi_Class=AL}]")
#: Paragraph separators (class B) the engine's text may hold: ``\n``, U+001E (a table's
#: row boundary, detect/structure.py), U+001C, U+001D, U+0085, U+2029; ``\r`` too.
_PARAGRAPH = re.compile(r"[\n\r\x1c-\x1e\x85\u2029]")
#: Classes of characters rule X9 removes (the library keeps them in its output): invisible.
_REMOVED = frozenset({"RLE", "LRE", "RLO", "LRO", "PDF", "BN"})
_ISOLATE_OR_WS = frozenset({"WS", "FSI", "LRI", "RLI", "PDI"}) | _REMOVED

_LEVEL = re.compile(r"Level\(\s*(\d+),?\s*\)")
_CLASS = re.compile(r"\b([A-Z]{1,3})\b")


def may_reorder(text: str) -> bool:
    """``text`` holds a character that may make its displayed order differ."""
    return not text.isascii() and _REORDERING.search(text) is not None


@dataclass(frozen=True, slots=True)
class Reading:
    """``text`` in display order; ``starts[i]``/``ends[i]``: the span of the original
    text its character ``i`` came from."""

    text: str
    starts: list[int]
    ends: list[int]
    #: "L" or "R": the paragraph direction of this reading
    direction: str
    #: paragraphs that could be reordered only coarsely (each char maps to its paragraph)
    coarse: int = 0

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The smallest span of the original text holding every character that displays
        in ``[start, end)`` of this reading."""
        end = max(end, start + 1)
        start = min(max(start, 0), len(self.starts) - 1)
        end = min(end, len(self.ends))
        return min(self.starts[start:end]), max(self.ends[start:end])


def _byte_starts(s: str) -> list[int]:
    """The UTF-8 byte offset of every character of ``s``."""
    out: list[int] = []
    pos = 0
    for c in s:
        out.append(pos)
        o = ord(c)
        pos += 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
    return out


def _levels_and_classes(line: str, direction: str) -> tuple[list[int], list[str]] | None:
    """Resolved embedding levels and original bidi classes of ``line`` (one paragraph)
    per character, from the library's debug report; None if it cannot be read."""
    report = str(get_display(line, base_dir=direction, debug=True))
    try:
        classes_at = report.index("original_classes: [")
        levels_at = report.index("levels: [", classes_at)
        paragraphs_at = report.index("paragraphs: [", levels_at)
    except ValueError:
        return None
    byte_levels = [int(m) for m in _LEVEL.findall(report, levels_at, paragraphs_at)]
    byte_classes = _CLASS.findall(report, classes_at + len("original_classes: ["), levels_at)
    offsets = _byte_starts(line)
    size = len(line.encode("utf-8", "surrogatepass"))
    if len(byte_levels) != size or len(byte_classes) != size:
        return None
    return [byte_levels[b] for b in offsets], [byte_classes[b] for b in offsets]


def _visual_order(levels: list[int], classes: list[str], base: int) -> list[int]:
    """Rules L1 and L2 of UAX #9 on one line: the logical index shown at each position."""
    n = len(levels)
    lv = list(levels)
    trailing = True  # L1: white space and isolate controls before a separator or the line end
    for i in range(n - 1, -1, -1):
        cls = classes[i]
        if cls in ("S", "B"):
            lv[i] = base
            trailing = True
        elif trailing and cls in _ISOLATE_OR_WS:
            lv[i] = base
        else:
            trailing = False
    order = list(range(n))
    if not lv:
        return order
    highest = max(lv)
    lowest_odd = min(x for x in lv) | 1
    for level in range(highest, lowest_odd - 1, -1):  # L2
        i = 0
        while i < n:
            if lv[order[i]] >= level:
                j = i
                while j < n and lv[order[j]] >= level:
                    j += 1
                order[i:j] = order[i:j][::-1]
                i = j
            else:
                i += 1
    return order


#: each mirrored glyph and its mirror to one of the two: the library's display string
#: leaves glyphs unmirrored (rule L4 is the renderer's), this module mirrors them
_UNMIRROR = str.maketrans({c: min(c, m) for c, m in MIRRORED.items()})


def _visible(s: str) -> str:
    """``s`` without the characters rule X9 removes, mirrored glyphs made one."""
    return "".join(c for c in s if unicodedata2.bidirectional(c) not in _REMOVED).translate(_UNMIRROR)


def _reorder(line: str, direction: str) -> tuple[str, list[int]] | None:
    """``line`` in display order and the logical index of each displayed character;
    None when the library's report cannot be used (the caller falls back)."""
    found = _levels_and_classes(line, direction)
    if found is None:
        return None
    levels, classes = found
    order = _visual_order(levels, classes, 1 if direction == "R" else 0)
    shown = "".join(MIRRORED.get(line[k], line[k]) if levels[k] % 2 else line[k] for k in order)
    if _visible(shown) != _visible(str(get_display(line, base_dir=direction))):
        return None
    return shown, order


def displayed_readings(text: str) -> list[Reading]:
    """The readings of ``text`` as displayed that differ from its logical order: with
    left-to-right paragraphs, and with right-to-left ones when a strong right-to-left
    character is in the text.  Empty when ``may_reorder(text)`` is False."""
    if not may_reorder(text):
        return []
    directions = ["L", "R"] if _STRONG_RTL.search(text) is not None else ["L"]
    bounds: list[tuple[int, int]] = []
    pos = 0
    for m in _PARAGRAPH.finditer(text):
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, len(text)))
    readings: list[Reading] = []
    for direction in directions:
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        coarse = 0
        changed = False
        last = 0
        for a, b in bounds:
            out.append(text[last:a])  # the separator before this paragraph, as it is
            starts.extend(range(last, a))
            ends.extend(range(last + 1, a + 1))
            last = b
            line = text[a:b]
            if not line or (direction == "L" and _REORDERING.search(line) is None):
                out.append(line)  # nothing in it reorders a left-to-right paragraph
                starts.extend(range(a, b))
                ends.extend(range(a + 1, b + 1))
                continue
            done = _reorder(line, direction)
            if done is None:
                shown = str(get_display(line, base_dir=direction))
                coarse += 1
                out.append(shown)
                starts.extend([a] * len(shown))
                ends.extend([b] * len(shown))
                changed = True
                continue
            shown, order = done
            changed = changed or shown != line
            out.append(shown)
            starts.extend(a + k for k in order)
            ends.extend(a + k + 1 for k in order)
        out.append(text[last:])
        starts.extend(range(last, len(text)))
        ends.extend(range(last + 1, len(text) + 1))
        if changed:
            readings.append(Reading("".join(out), starts, ends, direction, coarse))
    return readings
