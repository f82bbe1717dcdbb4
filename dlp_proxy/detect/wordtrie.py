"""A set of literal words as one regex that Python's ``re`` reads fast: a trie.

``re`` tries an alternation of literal words (``ssn|social security|acct|...``) one word
after the other at every position of a text: for the few hundred context words of an
identifier, a search of a 150-character caption cost ~0.6 ms.  Written as a trie
(``a(?:cct|ccount)`` ... , each node's branches apart by their first character), a
position fails at its first character.

``trie_source(words)`` matches what ``"|".join(map(re.escape, longest_first(words)))``
matches, at every position the same match: at one position at most one branch of a node
can go on (their first characters differ), and within a branch the longer words come
first (a word ending inside a longer one is an optional tail, greedy), so the first
alternative that matches is the longest word, as in the longest-first alternation.
With ``re.IGNORECASE`` the branches are keyed by the lower case of their character; a
node where two keys still match each other case-insensitively (``s`` and ``ſ``) would let
two branches go on, so for such a set ``trie_source`` returns the plain alternation.
tests/test_detect_wordtrie.py compares both on generated words and texts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

_END = ""
#: a trie node: the next character (``_END``: a word ends here) to the node after it
_Node = dict[str, "_Node"]


def longest_first(words: Iterable[str]) -> list[str]:
    """The distinct words, longest first (ties alphabetical): the plain alternation's order."""
    return sorted(set(words), key=lambda w: (-len(w), w))


def trie_source(words: Iterable[str], caseless: bool = False) -> str:
    """A regex source (a group, or ``(?!)`` for no word) matching the literal ``words``
    as their longest-first alternation does (module docstring); ``caseless``: the
    pattern is compiled with ``re.IGNORECASE``."""
    ordered = longest_first(w for w in words if w)
    if not ordered:
        return "(?!)"
    trie: _Node = {}
    for w in ordered:
        node = trie
        for ch in w:
            node = node.setdefault(_key(ch) if caseless else ch, {})
        node[_END] = {}
    if caseless and _clashes(trie):
        return "(?:" + "|".join(re.escape(w) for w in ordered) + ")"
    return "(?:" + _source(trie) + ")"


def _key(ch: str) -> str:
    """``ch``'s branch key in a case-insensitive trie: its lower case when that is one
    character (``İ`` lowers to two: it stays itself, and ``_clashes`` sees it)."""
    low = ch.lower()
    return low if len(low) == 1 else ch


def _source(node: _Node) -> str:
    ends = _END in node
    branches = [(ch, child) for ch, child in node.items() if ch != _END]
    # the longer words first: a branch reaching further is tried before a shorter one
    # (only one branch can go on at a position; the order keeps the source stable)
    branches.sort(key=lambda kv: (-_depth(kv[1]), kv[0]))
    parts = [re.escape(ch) + _source(child) for ch, child in branches]
    if not parts:
        return ""
    body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
    if ends:
        if len(parts) == 1 and branches[0][1] == {_END: {}}:
            return body + "?"  # one character, then the word ends: ``x?``
        return "(?:" + body + ")?"
    return body


def _depth(node: _Node) -> int:
    return max((1 + _depth(child) for ch, child in node.items() if ch != _END), default=0)


def _clashes(node: _Node) -> bool:
    """Two keys of one node that ``re.IGNORECASE`` matches with each other."""
    keys = [ch for ch in node if ch != _END]
    odd = [ch for ch in keys if not ch.isascii()]
    if odd and any(_same_caseless(a, b) for a in odd for b in keys if a != b):
        return True
    return any(_clashes(child) for ch, child in node.items() if ch != _END)


@functools.lru_cache(maxsize=4096)
def _same_caseless(a: str, b: str) -> bool:
    return re.fullmatch(re.escape(a), b, re.IGNORECASE) is not None
