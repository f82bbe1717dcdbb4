"""detect/wordtrie.py: a word set as a trie regex matches what its longest-first
alternation matches, at every position the same match."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import wordtrie
from dlp_proxy.detect.structure import _LABEL_TAIL, header_label_regex

# letters that share prefixes often, case variants, blanks and marks, and characters
# whose case-insensitive reading reaches ASCII (the Kelvin sign, the long s, dotted I)
_ALPHABET = "aAbBsS #.-\u017f\u212a\u0130\u00e9\u00c9k"
_words = st.lists(st.text(alphabet=_ALPHABET, min_size=1, max_size=6), min_size=1, max_size=25)
_texts = st.text(alphabet=_ALPHABET + "xz0\n", max_size=60)


def _plain(words: list[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in wordtrie.longest_first(words)) + ")"


def _pairs(words: list[str], flags: int, wrap: str = "{}") -> tuple[re.Pattern[str], re.Pattern[str]]:
    trie = wordtrie.trie_source(words, caseless=bool(flags & re.IGNORECASE))
    return re.compile(wrap.format(_plain(words)), flags), re.compile(wrap.format(trie), flags)


@settings(max_examples=400, deadline=None)
@given(words=_words, text=_texts, caseless=st.booleans(),
       wrap=st.sampled_from(["{}", "{}" + _LABEL_TAIL, r"(?<![A-Za-z0-9]){}(?![A-Za-z0-9])", "{}b?s"]))
def test_property_the_trie_matches_as_the_alternation(words: list[str], text: str, caseless: bool, wrap: str) -> None:
    flags = re.IGNORECASE if caseless else 0
    plain, trie = _pairs(words, flags, wrap)
    assert [m.span() for m in plain.finditer(text)] == [m.span() for m in trie.finditer(text)]
    for pos in range(len(text) + 1):
        a, b = plain.match(text, pos), trie.match(text, pos)
        assert (a and a.span()) == (b and b.span())
    for w in words:
        assert bool(plain.fullmatch(w)) == bool(trie.fullmatch(w))
        assert bool(plain.fullmatch(text)) == bool(trie.fullmatch(text))


def test_no_words_match_nothing() -> None:
    assert re.search(wordtrie.trie_source([]), "anything") is None
    assert re.search(wordtrie.trie_source([""]), "anything") is None


def test_a_prefix_word_and_its_longer_word() -> None:
    rx = re.compile(wordtrie.trie_source(["acct", "account", "acct no", "ac"], caseless=True), re.IGNORECASE)
    assert [m.group() for m in rx.finditer("ACCT NO, Account, acct, ac")] == ["ACCT NO", "Account", "acct", "ac"]


def test_case_twins_outside_ascii_keep_the_alternation() -> None:
    # the long s matches ``s`` case-insensitively: two branches could go on at one node
    assert wordtrie.trie_source(["\u017fa", "sb"], caseless=True) == "(?:sb|\u017fa)"
    assert wordtrie.trie_source(["\u017fa", "sb"], caseless=False) != "(?:sb|\u017fa)"


def test_the_shipped_header_label_is_a_trie() -> None:
    rx = header_label_regex(["SSN", "social security", "acct", "account number", "tax id"])
    assert rx.fullmatch("Social Security Number") and rx.fullmatch("acct #") and rx.fullmatch("SSN")
    assert not rx.fullmatch("the ssn") and "|acct|" not in rx.pattern


def test_case_twins_would_change_the_match_without_the_guard() -> None:
    # plain: ``sxyzw|ſab|s`` reads "sab" whole; a trie trying the ``s`` branch (``s`` then
    # ``s(?:xyzw)?``) before the ``ſ`` one would stop at "s"
    words = ["\u017fab", "s", "sxyzw"]
    plain, trie = _pairs(words, re.IGNORECASE)
    assert plain.match("sab").group() == trie.match("sab").group() == "sab"
