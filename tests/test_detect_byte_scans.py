"""Searches done with ``bytes.translate`` and ``bytes.find`` on ASCII text find exactly
what the regexes they replaced find.

The normalizer looks for a letter drawn as a digit beside a digit (``_ascii_hint_starts``,
``may_have_letter_digits``), for a digit glued after a letter (``_glue_points``) and for a
bracket beside a digit (``may_have_marks``) on ASCII text by translating the text to a
few classes and finding pairs of them; the regexes (the code as it was) still read every
other text.  Both are compared here on generated texts and on the corpora.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import normalize as N
from dlp_proxy.detect.structure import CELL, ROW
from recognizers._fuzzy import FuzzyContext
from tests.conftest import corpus_texts as _corpus_texts

DATA = Path(__file__).resolve().parent / "data"

_ATOMS = st.lists(st.one_of(
    st.sampled_from(["0", "1", "7", "42", "B", "G", "I", "O", "S", "T", "Z", "b", "g", "l", "o", "q", "s", "z",
                     "a", "x", "Q", "#", ":", ".", "\\", "(", ")", "[", "]", "{", "}", '"', "'", "<", ">",
                     " ", "\n", "-", CELL, ROW, "é", "৪", "Ⅰ", "（", "５"]),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=3),
), max_size=30).map("".join)


def _marks_reference(text: str) -> bool:
    """``may_have_marks`` as it was: each bracket found by the regex, its neighbours looked at."""
    find = N._ASCII_BRACKETS.finditer if text.isascii() else N._BRACKETS.finditer
    n = len(text)
    for m in find(text):
        i = m.start()
        if (i + 1 < n and text[i + 1].isdigit()) or (i and (text[i - 1].isdigit() or (
                text[i - 1] == "\\" and i > 1 and text[i - 2].isdigit()))):
            return True
    return False


def _check(text: str) -> None:
    hint, ascii_hint, _ = N._letter_runs()
    rx = ascii_hint if text.isascii() else hint
    # a hint is a letter glued to a digit, or (det17) a letter alone as a group beside one
    alone = {m.start(1) if m.group(1) else m.start(2) for m in N._alone_hint().finditer(text)}
    if text.isascii():  # the byte scan drops a lone letter whose run is shorter than an identifier
        data = text.encode("ascii").translate(N._ascii_hint_bytes())
        alone = {k for k in alone if N._alone_run_size(data, k) >= 7}
    assert N._letter_hint_starts(text) == sorted({m.start() for m in rx.finditer(text)} | alone)
    assert N.may_have_letter_digits(text) == (rx.search(text) is not None or bool(alone))
    assert N._glue_points(text) == [m.start() for m in N._GLUE_POINT.finditer(text)]
    assert N.may_have_marks(text) == _marks_reference(text)


@settings(max_examples=3000, deadline=None)
@given(_ATOMS)
@example("4Ol2 8888 8888 l88l")
@example("card 4012 BBBB BBBB 1BB1, 12bps, 2s")
@example("ssn#536-22-8710 acct:12345678 SSN536")
@example("[536]-22-8710 (4532) \\(0151\\) 1\\[2")
def test_byte_scans_find_what_the_regexes_find(text: str) -> None:
    _check(text)


def test_byte_scans_read_the_corpora_and_tables_the_same() -> None:
    for text in _corpus_texts():
        _check(text)
        _check(text.lower())


def test_fuzzy_found_answers_each_text_as_it_reads() -> None:
    fuzzy = FuzzyContext(["social", "security"])
    a = "my soical is 536-22-8710"
    b = "".join(["my secuirty ", "code"])
    assert fuzzy.found(a) == ("soical",)
    assert fuzzy.found(a) == ("soical",)  # the same text again
    assert fuzzy.found(b) == ("secuirty",)  # another text: read, not the last answer
    assert fuzzy.found("".join(["my soical", " is 536-22-8710"])) == ("soical",)  # an equal text, another object
    assert fuzzy.found("nothing here") == ()
