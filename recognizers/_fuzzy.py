"""Context words as a person types them: one slip away (bounded edit distance).

``FuzzyContext(words)`` knows every string one edit away from each key word
(Damerau-Levenshtein distance 1: a letter dropped, doubled or added, two
neighbours swapped; a letter replaced only in words of six letters or more,
where one wrong letter still leaves the word recognisable).  Common English
words among them ("routine", "outing") are left out.  ``present(text)`` is one
tokenization of the text (cached, shared by all recognizers) and a set lookup
per word; ``regex(text)`` compiles
(cached) a context regex of the slips actually present, for ``find_context``.

Short words (SSN, ABA, ITIN's "itn") are not fuzzed beyond dropping or swapping
letters: in three or four letters a substitution is another word.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Sequence

_TOKEN_RE = re.compile(r"[a-z]{3,14}")

#: English words one edit from a key word, never read as it.
EXCLUDED = frozenset({
    "routine", "routines", "rooting", "outing", "touting", "pouting", "rousing", "rotting", "routeing", "tin",
    "chucking", "checkin", "saving", "caving", "paving", "raving", "having", "waving", "accounts", "social",
    "soccer", "specify", "scoring", "transits", "tranquil", "sating", "savins", "racking", "rocking",
})


def edits1(word: str, *, substitutions: bool) -> set[str]:
    letters = string.ascii_lowercase
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}  # deletion
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}  # transposition
    out |= {a + c + b for a, b in splits for c in letters}  # insertion
    if substitutions:
        out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out.discard(word)
    return out


class FuzzyContext:
    """Slips of ``words`` (single lower-case words of four letters or more)."""

    __slots__ = ("_seen", "variants")

    def __init__(self, words: Sequence[str]) -> None:
        self.variants: dict[str, str] = {}
        #: the last text ``found`` read and its answer (a recognizer asks once per candidate
        #: of one text: the same object, the same answer, as ``variants`` never changes
        #: after ``__init__``)
        self._seen: tuple[str, tuple[str, ...]] | None = None
        for w in words:
            w = w.lower()
            if len(w) < 4 or not w.isalpha():
                raise ValueError(f"fuzzy context word {w!r}: one word of four letters or more")
            # in four or five letters only a dropped or swapped letter ("itn", "itni")
            subs = len(w) >= 6
            for v in edits1(w, substitutions=subs):
                if len(v) >= 3 and (subs or len(v) < len(w) or sorted(v) == sorted(w)) and v not in EXCLUDED:
                    self.variants.setdefault(v, w)
        for w in words:
            self.variants.pop(w.lower(), None)  # the words themselves are exact context already

    def found(self, text: str) -> tuple[str, ...]:
        """The slips present in ``text`` (as whole words), sorted."""
        seen = self._seen
        if seen is not None and seen[0] is text:
            return seen[1]
        variants = self.variants
        slips = tuple(sorted(t for t in _tokens(text) if t in variants))
        self._seen = (text, slips)
        return slips

    def present(self, text: str) -> bool:
        return bool(self.found(text))

    def regex(self, text: str) -> re.Pattern[str] | None:
        slips = self.found(text)
        return _slip_regex(slips) if slips else None

    def canonical(self, slip: str) -> str:
        return self.variants.get(slip.lower(), slip)


@functools.lru_cache(maxsize=256)
def _tokens(text: str) -> frozenset[str]:
    """The text's lower-case words of 3-14 letters: one tokenization per text, shared by
    every recognizer's FuzzyContext."""
    return frozenset(_TOKEN_RE.findall(text.lower()))


@functools.lru_cache(maxsize=256)
def _slip_regex(slips: tuple[str, ...]) -> re.Pattern[str]:
    alt = "|".join(re.escape(s) for s in sorted(slips, key=lambda w: (-len(w), w)))
    return re.compile(r"(?<![a-z0-9])(?:" + alt + r")(?![a-z0-9])", re.IGNORECASE)
