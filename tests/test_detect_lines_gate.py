"""The cheap facts that spare ordinary chat the line reading
(detect/engine.py ``Engine._analyze_lines``, policy/split.py ``line_pieces``) decide
exactly what the full reading decided: the same pieces, the same labels, the same digit
counts, the same findings.  Each is compared with the reading as it was written before
(kept here as the reference) on hostile generated texts: every line break the reader
splits on, digits of other scripts, numeric characters, label words glued to letters
and digits, characters whose lower case changes length, table marks.  The same for the
word lists searched as tries (detect/literals.py): the number words' pre-check.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import words
from dlp_proxy.detect.engine import _resolve
from dlp_proxy.detect.literals import literal_trie
from dlp_proxy.detect.normalize import sanitize
from dlp_proxy.detect.structure import mark_tables
from dlp_proxy.model import SENSITIVE_ENTITIES
from dlp_proxy.policy import split

# -- the reference: the reading as written before the gates ------------------------------


def _ref_digit_count(text: str) -> int:
    if text.isascii():
        return sum(map(text.count, "0123456789"))
    return sum(1 for c in text if c.isdigit() or c.isnumeric())


def _ref_label_at_end() -> re.Pattern[str]:
    alts = "|".join(re.escape(w) for w in split._label_words())
    return re.compile(r"(?<![a-z0-9])(?:" + alts + r")(?![a-z0-9])" + split._LABEL_TAIL + r"[\W_]*\Z")


_REF_LABEL = _ref_label_at_end()


def _ref_is_label(message: str) -> bool:
    tail = message[-split.LABEL_CHARS:].lower()
    return any(c.isalpha() for c in tail) and _REF_LABEL.search(tail) is not None


def _ref_may_carry(message: str) -> bool:
    n = _ref_digit_count(message)
    if n >= 2:
        return True
    if n == 0:
        return _ref_is_label(message)
    core = message.strip(split._SEPARATORS)
    return bool(core) and (split._digit(core[0]) or split._digit(core[-1]))


def _ref_line_pieces(text: str, marked: str | None = None) -> list[tuple[int, str]]:
    pieces: list[tuple[int, str]] = []
    between = False
    pos = 0
    for m in (*split._LINE_BREAK.finditer(text), None):
        end = len(text) if m is None else m.start()
        line = text[pos:end]
        if (_ref_may_carry(line) and _ref_may_carry(split._WHEN.sub(" ", split._COUNTED.sub(" ", line)))
                and (marked is None or split._TABLE_MARKS.search(marked, pos, end + 1) is None)):
            pieces.append((pos, line))
            if len(pieces) >= split.LINES_MAX_PIECES:
                break
        elif pieces:
            between = True
        if m is None:
            break
        pos = m.end()
    return pieces if len(pieces) >= 3 or (between and len(pieces) == 2) else []


# -- generated texts -------------------------------------------------------------------------

_WORDS = ["ssn", "SSN", "client SSN", "account", "Account Number", "acct#", "card no", "iban", "IBAN:", "tin",
          "meeting", "martin", "japan,", "cc", "acc", "routing #", "soc sec no", "ss #", "expiry", "is", "number",
          "lunch at noon?", "ok", "thanks", "617 done", "77 failed", "9980 letters sent", "bid", "px 101.25",
          "536-22", "8710", "4111 1111", "GB82 WEST 1234", "5", "-0", "12", "v2", "2pm", "3:30", "#4471",
          "\u0663\u0664", "\u2460", "\u00bd", "\u00b2", "\u0966", "\u212a", "\u0130", "\u03a3", "caf\u00e9",
          "\u2019", "\U0001f389", "|", " | ", "\t", ",", ";", ".", ":", "-", "=", "accountx", "xssn", "ssn1"]
_BREAKS = ["\n", "\r\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\n\n"]
# a line's padding: ``is_label`` reads its last ``LABEL_CHARS`` characters, so a label word
# may start that excerpt right after a letter of the line
_line = st.tuples(st.lists(st.sampled_from(_WORDS), max_size=5).map(" ".join),
                  st.sampled_from(["", "", " " * 44, ":" + " " * 43, "x" * 50])).map("".join)
_text = st.lists(st.tuples(_line, st.sampled_from(_BREAKS)), min_size=1, max_size=9).map(
    lambda parts: "".join(line + brk for line, brk in parts[:-1]) + parts[-1][0])
_noise = st.text(alphabet=st.sampled_from("aAsSnN0123456789 \n\r\u2028#:-|\t.\u0663\u2460\u00bd\u212a\u0130"),
                 max_size=80)
_texts = st.one_of(_text, _noise)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
@example("client SSN 536-22\nlunch at noon?\n8710")
@example("Order #4471 ships Friday.\nTicket is 20931 if you need it.\nThanks!")
@example("account1 done\nok\n5 done\n12")
@example("\u212aontonummer\nok\n12\n34")
@example("abczssn:" + " " * 44 + "\nok\n12 34")  # the excerpt starts at "ssn", after a "z"
@example("ok \u0663\u0664\nlunch\nthe \u0663\u0664 and more")  # digits of another script only
def test_line_pieces_as_the_full_reading(text: str) -> None:
    assert split.line_pieces(text) == _ref_line_pieces(text)
    assert split._digit_count(text) == _ref_digit_count(text)
    for line in split._LINE_BREAK.split(text):
        assert split.is_label(line) == _ref_is_label(line), line
        assert split.may_carry_a_piece(line) == _ref_may_carry(line), line


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_marked_line_pieces_as_the_full_reading(text: str) -> None:
    marked = mark_tables(sanitize(text), None)
    assert split.line_pieces(text, marked) == _ref_line_pieces(text, marked)
    if not split.line_pieces(text):  # the engine's gate: no piece unmarked, none marked
        assert _ref_line_pieces(text, marked) == []


def _ref_analyze_lines(engine: Any, text: str, wanted: frozenset[str]) -> list[Any]:
    """``Engine._analyze_lines`` as written before its gate."""
    found = engine._analyze_all(text, wanted)
    if len(text) > 4096 or not wanted & SENSITIVE_ENTITIES or not split._LINE_BREAK.search(text):
        return found
    marked = mark_tables(sanitize(text), engine._header_label)
    extra = [f for f in split.completed_lines(text, lambda t: engine._analyze_all(t, engine.supported), marked=marked)
             if f.entity_type in wanted and not any(g.entity_type == f.entity_type and g.start < f.end
                                                    and f.start < g.end for g in found)]
    return _resolve(sorted([*found, *extra], key=lambda f: (f.start, f.end, f.entity_type))) if extra else found


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_text)
@example("client SSN 536-22\nlunch at noon?\n8710")
@example("card 4111 1111\nlunch at noon?\n1111 1111")
@example("Hey team,\nquick reminder: review moved to Thursday.\nThanks")
@example("| a | b |\n|---|---|\n| 536 | 22 |\nok\n8710")
def test_the_engine_finds_what_the_ungated_line_reading_found(engine: Any, text: str) -> None:
    wanted = engine.supported
    assert engine._analyze_lines(text, wanted) == _ref_analyze_lines(engine, text, wanted)


_SPECIAL = st.text(alphabet=st.sampled_from("ab.*?+()[]{}|^$\\#- \u00e9\u00df"), min_size=1, max_size=4)


@settings(max_examples=400, deadline=None)
@given(st.lists(_SPECIAL, min_size=1, max_size=12), st.text(alphabet=st.sampled_from("ab.*?+()[]|^$\\#- x\u00e9"),
                                                              max_size=40))
def test_a_literal_trie_matches_where_a_word_occurs(ws: list[str], text: str) -> None:
    rx = re.compile(literal_trie(ws))
    assert (rx.search(text) is not None) == any(w in text for w in ws)
    for w in ws:
        assert rx.fullmatch(w)


def _ref_may_have_number_words(text: str) -> bool:
    low = text.translate(words._ASCII_LOWER) if text.isascii() else text.lower()
    triggers = words._ascii_triggers() if text.isascii() else words._triggers()
    return any(w in low for w in triggers) or (words._LETTERS_LABEL in low and any(w in low for w in words._NATO))


_NUMBER_TEXT = st.lists(st.sampled_from(["five", "FIVE", "fünf", "F\u00dcNF", "dreißig", "zéro", "\u4e09", "\u05e9\u05dc\u05d5\u05e9",
                                         "seven", "sevent", "niner", "iban", "IBAN", "alfa", "bravo", "ok", "lunch",
                                         "\u305c\u308d", "\u0219ase", "\u015eASE", "\u0434\u0432\u0430", "\u0414\u0412\u0410",
                                         "alt\u0131", "ALTI", "\u05e9\u05dc\u05d5\u05e9\u05d4", "\u0647\u0634\u062a",
                                         "\u212a", "\u0130", "caf\u00e9", "\u2019", "536", "-", " ", "\n"]),
                        max_size=12).map(" ".join)


@settings(max_examples=800, deadline=None)
@given(st.one_of(_NUMBER_TEXT, st.text(max_size=60), _texts))
@example("Let's sync after lunch about the new account opening workflow.")
@example("client SSN f\u00fcnf drei sechs")
def test_the_number_word_precheck_as_written_before(text: str) -> None:
    assert words.may_have_number_words(text) == _ref_may_have_number_words(text)


def test_a_joined_window_text_is_not_read_by_lines_in_a_scan_worker(engine: Any) -> None:
    """``model.JOINED_TEXT`` is a context variable of the gateway's process: a joined text
    the split window sends to a scan worker (``Pipeline._scan`` of a digit-dense window,
    gateway/pipeline.py ``_WindowScanner``) carries it in its item's path instead
    (``split-window``, ``Engine.scan``).  In a real worker: the same text is read by
    lines as a post's message and not as the window's."""
    import asyncio

    from dlp_proxy.gateway import filescan
    from dlp_proxy.model import ContentItem

    text = "client SSN 536-22\nlunch at noon?\n8710"
    assert engine._analyze_all(text, engine.supported) == []  # found by the line reading only

    async def run() -> list[Any]:
        scanner = filescan.FileScanner(workers=1, ner=False, nice=0, quick_start=True)
        try:
            await scanner.start()
            scanned, _ = await scanner.scan_texts(
                [ContentItem("body.message", text), ContentItem("split-window", text)], None, 300)
            return [s.findings for s in scanned]
        finally:
            scanner.shutdown()

    message, window = asyncio.run(run())
    assert {f.entity_type for f in message} == {"US_SSN"}
    assert window == ()
