"""Attack pass 6 detection findings (issue 15), each as a class with a property test:

- C14: brackets (any Unicode Ps/Pe, and a Markdown escape's backslash) around or beside
  digit groups are separators: ``[536]-22-8710``, ``536)-22-8710``, ``\\(536\\)-\\(22\\)``,
  ``card (4532) (0151) ...``; phone notation and amounts stay what they are;
- C5: TeX read as KaTeX renders it: a command with a braced argument shows the argument
  (``\\mathtt{536}-\\mathtt{22}-...``, ``$\\overline{536}-...$``, ``\\mathrm{-}``), spacing
  commands are blanks (nothing, when narrower than a word space between two digits);
- C6: a Mattermost emoji shortcode between digit groups is a separator (``4111:star:1111``);
- C1: number words mixed with digit groups where the words are tens/teens/compounds
  (``536 twenty two 8710``, ``536 22 eighty seven ten``, an IBAN's check digits or an
  account's first digits in words), and a digit word ending a mixed run (``536 22 871 zero``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import unicodedata2
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SSN_GROUPS = synth.SSN.split("-")
CARD_GROUPS = synth.CARD.split(" ")
LUHN_CARD = ["4532", "0151", "1283", "0366"]
IBAN_DE = ["DE89", "3704", "0044", "0532", "0130", "00"]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


def _spans(engine: Engine, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in engine.analyze(text)]


# -- C14 brackets -----------------------------------------------------------------------------

#: every opening/closing bracket pair Unicode defines (Ps then Pe), from its own tables
BRACKETS = [chr(c) for c in range(sys.maxunicode + 1)
            if not 0xD800 <= c <= 0xDFFF and unicodedata2.category(chr(c)) in ("Ps", "Pe")]
#: braces (and what NFKC folds to one, ``︷``) are TeX grouping, read as KaTeX renders them
#: (invisible: ``22{8710`` is 228710); every other bracket is a separator
_TEX_GROUPING = frozenset("{}")
OPENERS = [c for c in BRACKETS if unicodedata2.category(c) == "Ps"
           and unicodedata2.normalize("NFKC", c) not in _TEX_GROUPING]
CLOSERS = [c for c in BRACKETS if unicodedata2.category(c) == "Pe"
           and unicodedata2.normalize("NFKC", c) not in _TEX_GROUPING]

BRACKET_CASES = [
    ("her number [536]-22-8710", "US_SSN", "[536]-22-8710"),
    ("her number 536)-22-8710", "US_SSN", "536)-22-8710"),
    ("her number \\(536\\)-\\(22\\)-\\(8710\\)", "US_SSN", "\\(536\\)-\\(22\\)-\\(8710\\)"),
    ("her number \\[536\\]-22-8710", "US_SSN", "\\[536\\]-22-8710"),
    ("card (4532) (0151) (1283) (0366)", "CREDIT_CARD", "(4532) (0151) (1283) (0366)"),
    ("card (4532)(0151)(1283)(0366)", "CREDIT_CARD", "(4532)(0151)(1283)(0366)"),
    ("her number 「536」-「22」-「8710」", "US_SSN", "「536」-「22」-「8710」"),
]


@pytest.mark.parametrize(("text", "entity", "span"), BRACKET_CASES)
def test_reported_brackets_are_separators(engine: Engine, text: str, entity: str, span: str) -> None:
    assert (entity, span) in _spans(engine, text)


@SETTINGS
@given(st.sampled_from(["ssn", "card"]), st.lists(st.tuples(st.sampled_from(OPENERS), st.sampled_from(CLOSERS),
                                                            st.booleans(), st.booleans()), min_size=4, max_size=4),
       st.sampled_from(["-", " ", "", "- "]), st.booleans())
@example("ssn", [("[", "]", True, True), ("(", ")", False, False), ("(", ")", False, False), ("(", ")", False, False)],
         "-", False)
@example("ssn", [("(", ")", False, True), ("(", ")", False, False), ("(", ")", False, False), ("(", ")", False, False)],
         "-", False)
def test_any_bracket_beside_any_group_is_a_separator(engine: Engine, kind: str,
                                                     wraps: list[tuple[str, str, bool, bool]], sep: str,
                                                     escaped: bool) -> None:
    """Any Ps/Pe bracket (escaped with a backslash or not) before and/or after any group."""
    groups = SSN_GROUPS if kind == "ssn" else LUHN_CARD
    esc = "\\" if escaped else ""
    wraps = wraps[: len(groups)]
    if not any(before or after for _, _, before, after in wraps):
        wraps[0] = ("(", ")", True, True)
    parts = [(esc + o if before else "") + g + (esc + c if after else "")
             for g, (o, c, before, after) in zip(groups, wraps, strict=True)]
    body = parts[0]
    for k in range(1, len(parts)):
        bracket_between = wraps[k - 1][3] or wraps[k][2]
        body += (sep if (sep or bracket_between) else "-") + parts[k]  # no bracket, no mark: glued
    text = ("her number " if kind == "ssn" else "card ") + body + " today"
    assert ("US_SSN" if kind == "ssn" else "CREDIT_CARD") in _types(engine, text), (text, normalize(text).text)


BRACKET_NEGATIVES = [
    "call me at (212) 555-0147 today",
    "acct contact: (608) 976-4813",
    "UK desk +44 (0)20 7484 3953",
    "P&L was (1,500.00) yesterday, (2,250.50) today",
    "see items (1), (2) and (3) of the memo",
    "the 2024 report [2024-01-05] covers (10:30-11:45)",
    "quantities (500) (250) (125) (75)",
]


@pytest.mark.parametrize("text", BRACKET_NEGATIVES)
def test_phone_notation_and_amounts_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


def test_phone_notation_is_left_as_written() -> None:
    assert normalize("call (212) 555-0147").text == "call (212) 555-0147"
    assert normalize("UK +44 (0)20 7484 3953").text == "UK +44 (0)20 7484 3953"


# -- C5 TeX ------------------------------------------------------------------------------------

#: KaTeX commands of one argument that show it (font, accent, box, decoration)
SHOWING = ["mathtt", "mathbf", "mathrm", "mathsf", "mathit", "text", "textbf", "texttt", "overline", "underline",
           "boxed", "hat", "widehat", "tilde", "bm", "mathbb", "operatorname", "fbox", "underbrace", "bold"]
#: separators as TeX writes them
TEX_SEPS = ["-", "\\mathrm{-}", "\\text{-}", "\\ ", "\\quad ", " - ", "\\text{ - }", "{-}"]


@SETTINGS
@given(st.sampled_from(["ssn", "card"]), st.lists(st.sampled_from(SHOWING), min_size=4, max_size=4),
       st.lists(st.booleans(), min_size=4, max_size=4), st.sampled_from(TEX_SEPS), st.booleans(), st.booleans())
@example("ssn", ["mathtt"] * 4, [True] * 4, "-", False, False)
@example("ssn", ["overline"] * 4, [True] * 4, "-", True, False)
@example("card", ["mathtt"] * 4, [True] * 4, "\\ ", True, False)
def test_tex_commands_around_groups_show_them(engine: Engine, kind: str, cmds: list[str], wrap: list[bool],
                                              sep: str, dollars: bool, nested: bool) -> None:
    """Any showing command around any group, any TeX separator, with or without ``$``."""
    groups = SSN_GROUPS if kind == "ssn" else LUHN_CARD
    if not any(wrap[: len(groups)]):
        wrap = [True, *wrap[1:]]
    parts = []
    for g, cmd, w in zip(groups, cmds, wrap, strict=False):
        inner = f"\\mathbf{{{g}}}" if nested else g
        parts.append(f"\\{cmd}{{{inner}}}" if w else inner)
    body = sep.join(parts)
    if dollars:
        body = f"${body}$"
    text = ("her number " if kind == "ssn" else "card ") + body
    assert ("US_SSN" if kind == "ssn" else "CREDIT_CARD") in _types(engine, text), (text, normalize(text).text)


TEX_CASES = [
    "her number \\mathtt{536}-\\mathtt{22}-\\mathtt{8710}",
    "her number $\\mathbf{536}-\\mathbf{22}-\\mathbf{8710}$",
    "card $\\mathtt{4111}\\ \\mathtt{1111}\\ \\mathtt{1111}\\ \\mathtt{1111}$",
    "her number $\\overline{536}-\\overline{22}-\\overline{8710}$",
    "her number $536\\mathrm{-}2\\,2\\mathrm{-}87\\;10$",
    "her number $5\\phantom{x}36-22-8710$",
    "her number $\\textcolor{red}{536}-\\textcolor{blue}{22}-\\color{green}8710$",
    "her number 536\\hspace{1em}22\\hspace{1em}8710",
]


@pytest.mark.parametrize("text", TEX_CASES)
def test_reported_tex_forms_are_found(engine: Engine, text: str) -> None:
    from dlp_proxy.detect import TexUnreadableError

    try:
        found = _types(engine, text)
    except TexUnreadableError:
        # (a phantom is refused since re-attack 3 of 2026-12-07: it reserves blank room that
        # later source is drawn into; a refusal stops the message)
        assert "phantom" in text, text
        return
    assert found & {"US_SSN", "CREDIT_CARD"}, normalize(text).text


TEX_NEGATIVES = [
    "latex $x^{2}+y_{1}$ and \\frac{1}{2}",
    "the fit is $\\mathbf{0.536}$ with $\\overline{22}$ samples and \\textbf{8710} rows",
    "\\textcolor{red}{note}: see \\mathtt{config.yaml} line 22",
    "$\\frac{536}{22}$ is about 24.36",
    "path C:\\Users\\bob\\report 2024",
]


@pytest.mark.parametrize("text", TEX_NEGATIVES)
def test_clean_tex_stays_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


def test_tex_reading_maps_back() -> None:
    text = "her number \\mathtt{536}-\\mathtt{22}-\\mathtt{8710} ok"
    norm = normalize(text)
    assert "536-22-8710" in norm.text
    a = norm.text.index("536")
    start, end = norm.original_span(a, a + len("536-22-8710"))
    assert text[start:end].startswith("536") and text[start:end].endswith("8710")


# -- C6 emoji shortcodes ------------------------------------------------------------------------

#: shortcode names as Mattermost matches them (``[\w+-]+``), with a letter
NAMES = st.from_regex(r"\A[a-z][a-z0-9_+-]{0,30}\Z", fullmatch=True)


@SETTINGS
@given(st.sampled_from(["ssn", "card", "iban"]), NAMES, st.sampled_from(["", " ", "  "]))
@example("card", "white_small_square", "")
@example("iban", "heavy_minus_sign", "")
@example("ssn", "star", " ")
@example("ssn", "be0", "")  # a glued label's word inside the name ("be" + "0"): still the shortcode's
def test_any_shortcode_between_groups_is_a_separator(engine: Engine, kind: str, name: str, pad: str) -> None:
    groups = {"ssn": SSN_GROUPS, "card": CARD_GROUPS, "iban": IBAN_DE}[kind]
    assume(not (kind == "iban" and len(name) == 4 and name.isalnum()))  # a bank code's place (GB82:WEST:...)
    body = f"{pad}:{name}:{pad}".join(groups)
    text = {"ssn": "her number ", "card": "card ", "iban": "IBAN "}[kind] + body
    entity = {"ssn": "US_SSN", "card": "CREDIT_CARD", "iban": "IBAN_CODE"}[kind]
    assert entity in _types(engine, text), (text, normalize(text).text)


SHORTCODE_NEGATIVES = [
    "meeting at 10:30:45 then 11:15:00",
    "ratio 3:1:2 and 536 :thumbsup: great",
    "scores 12 :star: 15 :star: 18",
    "build 2024:rc1:17 passed",
]


@pytest.mark.parametrize("text", SHORTCODE_NEGATIVES)
def test_shortcodes_in_clean_text_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


def test_acct_with_shortcodes() -> None:
    engine = build_detector(REPO_CONFIG, ner=False)
    assert "US_BANK_NUMBER" in _types(engine, "acct 5512:heavy_minus_sign:3390:heavy_minus_sign:21")


# -- C1 number words mixed with digit groups ---------------------------------------------------

_UNITS = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}


def _say(chunk: str, hyphen: bool) -> str:
    """A chunk of one or two digits as English says it (a leading zero digit by digit)."""
    if len(chunk) == 1 or chunk[0] == "0":
        return " ".join(_UNITS[int(c)] for c in chunk)
    n = int(chunk)
    if n < 20:
        return _TEENS[n - 10]
    return _TENS[n // 10] + (("-" if hyphen else " ") + _UNITS[n % 10] if n % 10 else "")


@st.composite
def _spoken_group(draw: st.DrawFn, group: str) -> str:
    """A digit group said in chunks of one or two digits (``8710``: ``eighty seven ten``,
    ``eight seven ten``, ``eighty-seven one zero``...)."""
    out, i = [], 0
    while i < len(group):
        size = draw(st.sampled_from([1, 2])) if len(group) - i >= 2 else 1
        out.append(_say(group[i : i + size], draw(st.booleans())))
        i += size
    return " ".join(out)


@st.composite
def _mixed_ssn(draw: st.DrawFn) -> str:
    spoken = draw(st.lists(st.booleans(), min_size=3, max_size=3).filter(lambda b: any(b)))
    parts = [draw(_spoken_group(g)) if s else g for g, s in zip(SSN_GROUPS, spoken, strict=True)]
    return " ".join(parts)


@SETTINGS
@given(_mixed_ssn())
@example("536 twenty two 8710")
@example("536 22 eighty seven ten")
@example("five thirty six 22 8710")
@example("536 22 871 zero")
@example("536 two two 8710")
@example("53 six 22 8710")
def test_ssn_groups_in_words_and_digits_read_as_groups(engine: Engine, body: str) -> None:
    """An SSN with any of its groups said in words (tens, teens, digit words), the others
    in digits, unlabelled: the groups a reader sees are read 3-2-4."""
    text = f"her number {body}"
    assert "US_SSN" in _types(engine, text), (text, normalize(text).text)


WORD_CASES = [
    ("IBAN DE eighty nine 3704 0044 0532 0130 00", "IBAN_CODE"),
    ("DE eighty-nine 3704 0044 0532 0130 00", "IBAN_CODE"),
    ("routing 021000021 account forty eight 3920117", "US_BANK_NUMBER"),
    ("account forty eight 3920117", "US_BANK_NUMBER"),
    ("acct 55 twelve 3390", "US_BANK_NUMBER"),
    ("card 4532 0151 twelve eighty-three 0366", "CREDIT_CARD"),
    ("her number 536 22 871 zero", "US_SSN"),
]


@pytest.mark.parametrize(("text", "entity"), WORD_CASES)
def test_reported_word_forms_are_found(engine: Engine, text: str, entity: str) -> None:
    assert entity in _types(engine, text), normalize(text).text


WORD_NEGATIVES = [
    "last four 7654 32",
    "first three 536 then the rest",
    "we sold twenty five 1234567 shares",
    "about twenty two 2024 reports, 536 pages",
    "DE twenty 2024 meeting notes",
    "the score was 536 to twenty two after 87 ten minutes",
    "one of two",
]


@pytest.mark.parametrize("text", WORD_NEGATIVES)
def test_mixed_words_in_clean_text_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


# -- C11 Sino-Korean digit words -----------------------------------------------------------------

_SK_DIGITS = "공일이삼사오육칠팔구"


def _korean(digits: str, zero: str = "공") -> str:
    return "".join((zero if c == "0" else _SK_DIGITS[int(c)]) if c.isdigit() else c for c in digits)


@SETTINGS
@given(st.sampled_from(["-", ".", " - ", "/", ""]), st.sampled_from(["공", "영"]), st.booleans())
def test_sino_korean_digit_words_are_digits(engine: Engine, sep: str, zero: str, card: bool) -> None:
    groups = CARD_GROUPS if card else SSN_GROUPS
    label = "카드 " if card else ("her number " if sep else "SSN ")  # nine digits run together need a label
    text = label + sep.join(_korean(g, zero) for g in groups)
    assert ("CREDIT_CARD" if card else "US_SSN") in _types(engine, text), (text, normalize(text).text)
    from dlp_proxy.detect.normalize import rendered_digits
    assert rendered_digits(text) >= sum(len(g) for g in groups)  # the gateway's digit gate sees them


KOREAN_NEGATIVES = [
    "이사 사이 오이 일일이 구구단",
    "이 사람은 일이 많아서 오늘 삼층에서 구일에 만나요",
    "오오오오오오오 대박 이이이이이이이이이",
    "사이사이 일일이 이야기 이이이",
]


@pytest.mark.parametrize("text", KOREAN_NEGATIVES)
def test_korean_prose_stays_words(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


# -- hostile input: the new readings keep the offset map and the digit gate honest ---------------

_PIECES = [*"0123456789-[](){} :$\\_", "\\mathtt{", "\\overline{", "\\textcolor{red}{", "\\color{red}", "\\frac{",
           "\\phantom{x}", "\\hspace{1em}", "\\,", "\\;", "\\!", "\\ ", "\\quad", "\\(", "\\)", ":star:", ":be0:",
           ":heavy_minus_sign:", "「", "」", "［", "］", "오", "삼", "육", "이", "공", "twenty", "two", "eighty",
           "DE", "(0)", "+", "\n"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=50))
@example(["\\mathtt{", "5", "}", "-", "\\mathtt{", "2", "}"])
@example(["오", "삼", "육", "-", "이", "이", "-", "8", "7", "1", "0"])
def test_new_readings_map_back_and_stay_under_the_gate(pieces: list[str]) -> None:
    """Every normalized character maps into the original, every digit comes from a span
    holding a digit or a letter (a word, a Hangul syllable), and the gateway's digit gate
    (ASCII digits + ``rendered_digits``) counts at least the digits the engine sees."""
    from dlp_proxy.detect.normalize import rendered_digits, sanitize
    raw = sanitize("".join(pieces))
    n = normalize(raw)
    assert len(n.starts) == len(n.ends) == len(n.text)
    for s, e in zip(n.starts, n.ends, strict=True):
        assert 0 <= s <= e <= len(raw)
    for i, ch in enumerate(n.text):
        if ch.isdigit():
            piece = raw[n.starts[i] : n.ends[i]]
            assert any(c.isdigit() or c.isalpha() for c in piece), (ch, piece)
    own = sum(c.isdigit() for c in raw)
    assert own + rendered_digits(raw) >= sum(c.isdigit() for c in n.text)
