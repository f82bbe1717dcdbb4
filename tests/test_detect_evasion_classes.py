"""Evasion classes of the last insider pass (FINDINGS items 1, 2, 3, 5 and the CJK part
of 9), each as a class: every Unicode line break or white space as a separator,
labels glued to the digits, Markdown/HTML/emoji shortcodes that render as the number,
CJK numerals, misreadings (an SSN word near a 2-7 number, a bracketed group, a
dashed account after a routing number) and groups in adjacent cells of one table row.
Negatives for each: the look-alikes stay clean.  End to end through the gateway for
separators and Markdown.  Then the next pass (issue 15): any run of punctuation or
symbols (every Unicode P* and S*) as a separator, IBAN groups included; inline LaTeX
and TeX between digits; English number words; small capitals; glued lower-case labels."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest
import regex
import unicodedata2
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize, rendered_digits, sanitize
from dlp_proxy.detect.structure import ROW, mark_tables
from dlp_proxy.policy import testing as synth
from tests.conftest import Gateway, assert_post_stopped, post_message, post_reached
from tests.tablegen import trade_csv

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
SSN = synth.SSN
AREA, GROUP, SERIAL = SSN.split("-")
SSN_DIGITS = SSN.replace("-", "")
CARD = synth.CARD.replace(" ", "")
CARD_GROUPS = [CARD[i : i + 4] for i in range(0, 16, 4)]
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")

#: Every line break Unicode defines and every other white space / control that is not a
#: printable separator, from Unicode's own properties.
_LB = regex.compile(r"[\p{Line_Break=BK}\p{Line_Break=CR}\p{Line_Break=LF}\p{Line_Break=NL}]")
_WS = regex.compile(r"\p{White_Space}")
LINE_BREAKS = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and _LB.match(chr(c))]
WHITE = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and _WS.match(chr(c))]
CONTROLS = [chr(c) for c in range(0x20) if chr(c) not in "\x1e\x1f"] + [chr(c) for c in range(0x7F, 0xA0)]
SEPARATORS = sorted(set(LINE_BREAKS + WHITE + CONTROLS))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _found(engine: Engine, text: str) -> list[tuple[str, str]]:
    return [(f.entity_type, text[f.start : f.end]) for f in engine.analyze(text)]


def _cjk(digits: str, forms: str = "〇一二三四五六七八九") -> str:
    return "".join(forms[int(c)] if c.isdigit() else c for c in digits)


# (class, text, entity, the original substring the finding covers)
CASES: list[tuple[str, str, str, str]] = [
    *[(f"line break U+{ord(b):04X}", f"ssn {AREA}{b}{GROUP}{b}{SERIAL}", "US_SSN", f"{AREA}{b}{GROUP}{b}{SERIAL}")
      for b in LINE_BREAKS],
    ("bare CR in a card", "card " + "\r".join(CARD_GROUPS), "CREDIT_CARD", "\r".join(CARD_GROUPS)),
    ("vertical tab, no word", "\v".join([AREA, GROUP, SERIAL]) + " ok", "US_SSN", "\v".join([AREA, GROUP, SERIAL])),
    ("form feed after the dash", f"ssn {AREA}-{GROUP}-\f{SERIAL}", "US_SSN", f"{AREA}-{GROUP}-\f{SERIAL}"),
    ("NEL and CRLF", f"ssn {AREA}\x85{GROUP}\r\n{SERIAL}", "US_SSN", f"{AREA}\x85{GROUP}\r\n{SERIAL}"),
    ("card across U+2028, dash on the 2nd", f"{CARD_GROUPS[0]}-{CARD_GROUPS[1]}\u2028-{CARD_GROUPS[2]}-{CARD_GROUPS[3]}",
     "CREDIT_CARD", f"{CARD_GROUPS[0]}-{CARD_GROUPS[1]}\u2028-{CARD_GROUPS[2]}-{CARD_GROUPS[3]}"),
    ("ideographic space", f"ssn {AREA}\u3000{GROUP}\u3000{SERIAL}", "US_SSN", f"{AREA}\u3000{GROUP}\u3000{SERIAL}"),
    # glued to letters
    ("label glued before", f"SSN{SSN}", "US_SSN", SSN),
    ("card word glued", f"card{CARD}", "CREDIT_CARD", CARD),
    ("hash label glued", f"#ssn{SSN_DIGITS}", "US_SSN", SSN_DIGITS),
    ("acct# glued", "acct#44719022", "US_BANK_NUMBER", "44719022"),
    ("acct glued", "acct44719022 pls", "US_BANK_NUMBER", "44719022"),
    ("words before the label", f"myssn{SSN_DIGITS}", "US_SSN", SSN_DIGITS),
    ("label glued after", f"{SSN_DIGITS}ssn", "US_SSN", SSN_DIGITS),
    ("glued both sides", f"card{CARD}exp", "CREDIT_CARD", CARD),
    ("word glued after", f"ssn {SSN_DIGITS}please", "US_SSN", SSN_DIGITS),
    ("IBAN whose country is a glue word stays whole", "IS140159260076545510730339 is Icelandic", "IBAN_CODE",
     "IS140159260076545510730339"),
    ("brand glued", "visa" + "-".join(CARD_GROUPS), "CREDIT_CARD", "-".join(CARD_GROUPS)),
    ("missing space after a word", f"My SSN is{SSN}", "US_SSN", SSN),
    ("word glued after a card", f"{CARD}thanks", "CREDIT_CARD", CARD),
    ("SS# glued upper case", f"SS#{SSN_DIGITS}", "US_SSN", SSN_DIGITS),
    ("routing glued", "routing021000021 wire", "ABA_ROUTING_NUMBER", "021000021"),
    ("label with no glued", "acctno44719022", "US_BANK_NUMBER", "44719022"),
    ("label with num glued", f"SSNNUM{SSN_DIGITS}", "US_SSN", SSN_DIGITS),
    ("phrase glued", f"socialsecurity{SSN_DIGITS}", "US_SSN", SSN_DIGITS),
    ("reference link", f"ssn [{AREA}][1]-{GROUP}-{SERIAL}", "US_SSN", f"{AREA}][1]-{GROUP}-{SERIAL}"),
    ("backslash escapes", f"ssn {AREA}\\-{GROUP}\\-{SERIAL}", "US_SSN", f"{AREA}\\-{GROUP}\\-{SERIAL}"),
    ("CJK enumeration comma", "ssn " + _cjk(SSN).replace("-", "、"), "US_SSN", _cjk(SSN).replace("-", "、")),
    # markdown, HTML and shortcodes
    ("link around a group", f"ssn [{AREA}](https://example.com/a/b/c)-{GROUP}-{SERIAL}", "US_SSN",
     f"{AREA}](https://example.com/a/b/c)-{GROUP}-{SERIAL}"),
    ("link around the number", f"ssn [{SSN}](x)", "US_SSN", SSN),
    ("strike inside", f"ssn {AREA[0]}~~{AREA[1:]}~~-{GROUP}-{SERIAL}", "US_SSN", f"{AREA[0]}~~{AREA[1:]}~~-{GROUP}-{SERIAL}"),
    ("bold inside", f"ssn {AREA[:1]}**{AREA[1:]}**-{GROUP}-{SERIAL}", "US_SSN", f"{AREA[:1]}**{AREA[1:]}**-{GROUP}-{SERIAL}"),
    ("code inside", f"ssn {AREA}`-`{GROUP}-{SERIAL}", "US_SSN", f"{AREA}`-`{GROUP}-{SERIAL}"),
    ("underscore inside", f"ssn {AREA}_{GROUP}_{SERIAL}", "US_SSN", f"{AREA}_{GROUP}_{SERIAL}"),
    ("long HTML comment", f"{AREA}-{GROUP[0]}<!-- nothing to see in this comment at all -->{GROUP[1]}-{SERIAL}", "US_SSN",
     f"{AREA}-{GROUP[0]}<!-- nothing to see in this comment at all -->{GROUP[1]}-{SERIAL}"),
    ("tag with attributes", f"ssn {AREA}-{GROUP[0]}<span class=\"a b c\">{GROUP[1]}</span>-{SERIAL}", "US_SSN",
     f"{AREA}-{GROUP[0]}<span class=\"a b c\">{GROUP[1]}</span>-{SERIAL}"),
    ("emoji shortcodes", "ssn " + "".join(f":{unicodedata.name(d).split()[-1].lower()}:" for d in AREA) + f"-{GROUP}-{SERIAL}",
     "US_SSN", "".join(f":{unicodedata.name(d).split()[-1].lower()}:" for d in AREA) + f"-{GROUP}-{SERIAL}"),
    ("all shortcodes, no digit", "ssn " + "".join(f":{unicodedata.name(d).split()[-1].lower()}:" for d in SSN_DIGITS),
     "US_SSN", "".join(f":{unicodedata.name(d).split()[-1].lower()}:" for d in SSN_DIGITS)),
    ("keycap ten emoji", "ssn \U0001f51f" + SSN_DIGITS[2:], "US_SSN", ""),
    # CJK numerals and full-width digits
    ("CJK numerals", "ssn " + _cjk(SSN), "US_SSN", _cjk(SSN)),
    ("financial CJK numerals, 3-2-4", "社会安全号码" + _cjk(SSN, "零壹贰叁肆伍陆柒捌玖"), "US_SSN",
     _cjk(SSN, "零壹贰叁肆伍陆柒捌玖")),
    ("traditional financial forms", "ssn " + _cjk(SSN_DIGITS, "零壹貳參肆伍陸柒捌玖"), "US_SSN",
     _cjk(SSN_DIGITS, "零壹貳參肆伍陸柒捌玖")),
    ("CJK mixed with ASCII groups", f"ssn {AREA}-{_cjk(GROUP)}-{SERIAL}", "US_SSN", f"{AREA}-{_cjk(GROUP)}-{SERIAL}"),
    ("full-width digits", "ssn " + "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in SSN), "US_SSN",
     "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in SSN)),
    ("CJK card", "卡号" + _cjk(CARD), "CREDIT_CARD", _cjk(CARD)),
    # misreadings
    ("EIN shape, her SSN after", f"tax id {SSN_DIGITS[:2]}-{SSN_DIGITS[2:]} (her SSN)", "US_SSN",
     f"{SSN_DIGITS[:2]}-{SSN_DIGITS[2:]}"),
    ("bracketed area", f"SSN ({AREA}) {GROUP}-{SERIAL}", "US_SSN", f"({AREA}) {GROUP}-{SERIAL}"),
    ("bracketed group", f"social {AREA} ({GROUP}) {SERIAL}", "US_SSN", f"{AREA} ({GROUP}) {SERIAL}"),
    ("dashed account after routing", "021000021 / 4471-9022-83 for the wire", "US_BANK_NUMBER", "4471-9022-83"),
    ("spaced account after routing", "wire 021000021 4471 9022 83", "US_BANK_NUMBER", "4471 9022 83"),
    # groups in adjacent cells of one row
    ("markdown table row", f"| field | a | b | c |\n|---|---|---|---|\n| SSN | {AREA} | {GROUP} | {SERIAL} |\n"
     "| name | x | y | z |\n", "US_SSN", f"{AREA} | {GROUP} | {SERIAL}"),
    ("TSV row", f"SSN\t{AREA}\t{GROUP}\t{SERIAL}\nname\tx\ty\tz\n", "US_SSN", f"{AREA}\t{GROUP}\t{SERIAL}"),
    ("header names the parts", f"| ssn area | group | serial |\n|---|---|---|\n| {AREA} | {GROUP} | {SERIAL} |\n",
     "US_SSN", f"{AREA} | {GROUP} | {SERIAL}"),
    ("card in cells", "| what | 1 | 2 | 3 | 4 |\n|---|---|---|---|---|\n| card | " + " | ".join(CARD_GROUPS) + " |\n",
     "CREDIT_CARD", " | ".join(CARD_GROUPS)),
    ("two groups in one cell", f"| SSN | {AREA}-{GROUP} | {SERIAL} |\n|---|---|---|\n| x | y | z |\n", "US_SSN",
     f"{AREA}-{GROUP} | {SERIAL}"),
    ("one-line pipe row", f"SSN | {AREA} | {GROUP} | {SERIAL}", "US_SSN", f"{AREA} | {GROUP} | {SERIAL}"),
]

#: Every punctuation and symbol character of the BMP, from Unicode's categories, but
#: those whose compatibility form is a letter or digit (``㆖`` is ``上``, ``℡`` is TEL,
#: ``⑴`` is (1)) or several marks (``⁇`` is ??, and the run's bound counts what renders):
#: the normalizer reads them as that, as they render.
MARKS = [chr(c) for c in range(0x21, 0x10000) if not 0xD800 <= c <= 0xDFFF
         and unicodedata.category(chr(c))[0] in "PS"
         and len(n := unicodedata.normalize("NFKC", chr(c))) == 1 and not n.isalnum()]
IBAN = "GB82WEST12345698765432"
IBAN_GROUPS = [IBAN[i : i + 4] for i in range(0, len(IBAN), 4)]
ROUTING = "011000015"

CASES += [
    *[(f"mark {m!r} in an ssn", f"ssn {AREA}{m}{GROUP}{m}{SERIAL}", "US_SSN", f"{AREA}{m}{GROUP}{m}{SERIAL}")
      for m in "#()[]{}<>=%@$\u00a7\u2022"],
    *[(f"mark {m!r} in a card", "card " + m.join(CARD_GROUPS), "CREDIT_CARD", m.join(CARD_GROUPS))
      for m in "=#%<>@[](){}"],
    *[(f"iban sep {m!r}", m.join(IBAN_GROUPS), "IBAN_CODE", m.join(IBAN_GROUPS))
      for m in ["/", ".", ",", ":", "|", "@", " - ", "  ", "\u2022", "_"]],
    ("CJK one as the dash", f"ssn {AREA}\u4e00{GROUP}\u4e00{SERIAL}", "US_SSN", f"{AREA}\u4e00{GROUP}\u4e00{SERIAL}"),
    ("CJK one as a card's dash", "card " + "\u4e00".join(CARD_GROUPS), "CREDIT_CARD", "\u4e00".join(CARD_GROUPS)),
    ("CJK one as a digit still", f"ssn {SSN_DIGITS[:7]}\u4e00{SSN_DIGITS[8:]}" if SSN_DIGITS[7] == "1" else f"ssn {SSN}",
     "US_SSN", ""),
    ("account after routing, #", f"{ROUTING} account 4839#2017#46", "US_BANK_NUMBER", "4839#2017#46"),
    ("account after routing, brackets", f"{ROUTING} account 4839(2017)46", "US_BANK_NUMBER", "4839(2017)46"),
    # inline LaTeX (Mattermost's EnableInlineLatex) and TeX in a latex block
    ("latex pairs", f"ssn ${AREA}$-${GROUP}$-${SERIAL}$", "US_SSN", ""),
    ("latex thin space", f"ssn ${AREA[0]}\\!{AREA[1:]}$-{GROUP}-{SERIAL}", "US_SSN", ""),
    ("latex card", "card " + " ".join(f"${g}$" for g in CARD_GROUPS), "CREDIT_CARD", ""),
    ("latex iban", "IBAN " + " ".join(f"${g}$" for g in IBAN_GROUPS), "IBAN_CODE", ""),
    ("latex block", f"```latex\n{AREA}\\text{{-}}{GROUP}\\text{{-}}{SERIAL}\n```", "US_SSN", ""),
    # number words, small capitals, glued lower-case labels
    ("word in digits", f"ssn {AREA[0]}three{AREA[2]}-{GROUP}-{SERIAL[:2]}one{SERIAL[3]}", "US_SSN", ""),
    ("all words", "ssn " + " ".join(("zero one two three four five six seven eight nine".split())[int(d)]
                                   for d in SSN_DIGITS), "US_SSN", ""),
    ("word at the end of a card", "card " + " ".join(CARD_GROUPS)[:-1] + "one", "CREDIT_CARD", ""),
    ("rtn and acct glued", f"rtn{ROUTING}acct12345678", "US_BANK_NUMBER", "12345678"),
    ("iban glued lower case", "iban" + IBAN.lower(), "IBAN_CODE", IBAN.lower()),
    ("small capitals, Arabic-Indic digits", "\u0262\u0299\u0668\u0662 WEST 1234 5698 7654 32", "IBAN_CODE", ""),
]


@pytest.mark.parametrize(("family", "text", "entity", "span"), CASES, ids=[c[0] for c in CASES])
def test_evasion_class_detected(engine: Engine, family: str, text: str, entity: str, span: str) -> None:
    got = _found(engine, text)
    if span:
        assert (entity, span) in got, (family, got)
    else:
        assert entity in [e for e, _ in got], (family, got)


def test_keycap_ten_folds_to_ten() -> None:
    n = normalize("id 4111 1111 1111 11:keycap_ten:")
    assert n.text == "id 4111 1111 1111 1110"
    assert n.original_span(n.text.index("10"), len(n.text)) == (20, 32)
    n = normalize("id \U0001f51f!")
    assert n.text == "id 10!" and n.original_span(3, 5) == (3, 4)


# -- negatives: what each class must leave alone ----------------------------------------

NEGATIVES = [
    "ORD12345678 shipped, see ORD4111111111111111 too",
    "order ORD5362287100 filled",
    "hash a3f5e2b9c1d4e5f64111111111111111 deployed",
    "sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "upgraded to v536.22.8710 and build 4.12.7.1893",
    "CUSIP 38259P508 and 037833100 bought 1,500",
    "Austin123456 and Boston4111 are the desks",
    "casino123456789 and ORDNO5362287100 and XS1CC2345678",
    "build 0123456789abcdef and 10am, 2024Q3 and 100bps",
    "disc4111111111111111 is a part number",
    "see [ticket 48213](https://jira.example.com/browse/OPS-48213) please",
    "reacting :thumbsup: :one: for yes :two: for no",
    "我们一起讨论一下三四个问题，七八个人参加",
    "第一季度的收入增长了百分之三十五",
    "tax id 12-3456789 for the LLC",
    "call (212) 555-1234 about the (536) 22 item",
    "meeting 10:30\r\nroom 1204\r\nbridge 4471\r\n",
    # issue 15's look-alikes: any mark is a separator, these stay what they are
    "see #1234 #5678 and #536 #22 #8710",
    "prices $536 $22 $8710 and 99.5% @ 101.25",
    "acct contact: (608) 976-4813",
    "meeting 2024-05-06 at 10:30:45, v4.111.1111",
    "one of two, three or four of them",
    "one two three four five apples",
    "cost $5 and $6, $x$ is a variable",
    "latex $x^{2}+y_{1}$ and \\frac{1}{2}",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_stay_clean(engine: Engine, text: str) -> None:
    assert [(e, v) for e, v in _found(engine, text) if e in STOPPING] == []


@pytest.mark.parametrize("brk", ["\r", "\u2028", "\u2029", "\x85", "\v", "\f"])
def test_clean_csv_with_any_line_break_is_not_stopped(engine: Engine, brk: str) -> None:
    """Rows ended by any Unicode line break are rows: the end of one row's date and the
    next row's id are never fused into a routing number."""
    text = trade_csv(3000).replace("\n", brk)
    assert len(text) > 140_000
    marked = mark_tables(text)
    assert marked.count(ROW) > 2900
    assert [f for f in engine.analyze(text) if f.entity_type in STOPPING] == []


def test_clean_table_with_adjacent_numeric_columns_is_not_stopped(engine: Engine) -> None:
    rng = random.Random(5)
    rows = ["| qty | px | id | n |", "|---|---|---|---|"]
    for _ in range(400):
        rows.append(f"| {rng.randint(100, 899)} | {rng.randint(10, 99)} | {rng.randint(1000, 9999)} | "
                    + " | ".join(str(rng.randint(1000, 9999)) for _ in range(4)) + " |")
    text = "\n".join(rows)
    assert [f for f in engine.analyze(text) if f.entity_type in STOPPING] == []


# -- properties ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["ssn", "card"]), st.lists(st.sampled_from(SEPARATORS), min_size=3, max_size=3),
       st.integers(0, 2))
def test_any_break_or_space_as_separator(engine: Engine, kind: str, seps: list[str], width: int) -> None:
    """An identifier whose groups are separated by any Unicode line break, white space or
    control character (one kind, up to three of it) is found, and the finding covers the
    original text from its first digit to its last."""
    groups, entity = ([AREA, GROUP, SERIAL], "US_SSN") if kind == "ssn" else (CARD_GROUPS, "CREDIT_CARD")
    sep = seps[0] * (1 + min(width, 1))
    value = sep.join(groups)
    text = f"{kind} {value} ok"
    assert (entity, value) in _found(engine, text), [hex(ord(c)) for c in sep]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["ssn", "card", "iban"]), st.lists(st.sampled_from(MARKS), min_size=1, max_size=3),
       st.sampled_from(["", " "]))
def test_any_punctuation_or_symbol_run_as_separator(engine: Engine, kind: str, marks: list[str], pad: str) -> None:
    """Any run of one to three Unicode P*/S* characters (blanks either side or not)
    between the groups is a separator: the identifier is found.  But a blank, then a
    currency sign, ``#`` or ``№``: that opens an amount or a reference (``$536 $22``)."""
    assume(not (pad and kind != "iban" and (unicodedata.category(marks[0]) == "Sc" or marks[0] in "#\u2116")))
    sep = pad + "".join(marks) + pad
    groups, entity = {"ssn": ([AREA, GROUP, SERIAL], "US_SSN"), "card": (CARD_GROUPS, "CREDIT_CARD"),
                      "iban": (IBAN_GROUPS, "IBAN_CODE")}[kind]
    text = f"{kind} {sep.join(groups)} ok"
    assert entity in [e for e, _ in _found(engine, text)], [hex(ord(c)) for c in sep]


_CLEAN = st.one_of(
    st.builds(lambda y, m, d: f"{y}-{m:02d}-{d:02d}", st.integers(1990, 2030), st.integers(1, 12), st.integers(1, 28)),
    st.builds(lambda h, m, s: f"{h:02d}:{m:02d}:{s:02d}", st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
    st.builds(lambda a, b: f"${a}.{b:02d}", st.integers(1, 99999), st.integers(0, 99)),
    st.builds(lambda a, b, c: f"v{a}.{b}.{c}", st.integers(0, 30), st.integers(0, 200), st.integers(0, 9999)),
    st.builds(lambda a, b, c: f"({a}) {b}-{c:04d}", st.integers(201, 989), st.integers(201, 989), st.integers(0, 9999)),
    st.builds(lambda a, b: f"#{a} #{b}", st.integers(1, 99999), st.integers(1, 99999)),
    st.builds(lambda a: f"{a}%", st.integers(1, 100)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_CLEAN, min_size=1, max_size=4), st.sampled_from([" ", ", ", " and ", "; "]))
def test_clean_look_alikes_with_marks_stay_clean(engine: Engine, pieces: list[str], joint: str) -> None:
    """Dates, times, prices, versions, phone numbers, issue refs and percentages, in any
    mix, without an identifier word: nothing that stops a message."""
    text = "update: " + joint.join(pieces)
    assert [(e, v) for e, v in _found(engine, text) if e in STOPPING] == []


MARKUP = st.sampled_from(["**", "__", "~~", "`", "*", "<b>", "</b>", "<!-- x -->", "<span>", "<i>"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10), MARKUP), max_size=4), st.booleans())
def test_markup_inside_digits_is_seen_through(engine: Engine, inserts: list[tuple[int, str]], shortcode: bool) -> None:
    chars: list[str] = list(SSN)
    if shortcode:
        chars[0] = f":{unicodedata.name(chars[0]).split()[-1].lower()}:"
    for pos, mark in sorted(inserts, reverse=True):
        chars.insert(pos + 1, mark)
    value = "".join(chars)
    text = f"ssn {value} thanks"
    got = [(f.start, f.end) for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    assert got, value
    start, end = got[0]
    assert text[start:end].startswith(chars[0][:1]) and text[start:end].endswith(SSN[-1]), text[start:end]


LABELS = st.sampled_from(["ssn", "SSN", "Ssn", "ss#", "SS#", "#ssn", "social", "ssn:", "my ssn", "myssn"])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(LABELS, st.sampled_from([SSN, SSN_DIGITS]), st.sampled_from(["", " ", ".", "ok", "\n"]))
def test_glued_labels(engine: Engine, label: str, value: str, after: str) -> None:
    text = f"{label}{value}{after}"
    assert ("US_SSN", value) in _found(engine, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(
    list("0123456789-[]()x:|*_~` \n") + ["ssn", "card", ":five:", ":keycap_ten:", "\r", "\v", "\u2028", "\x85",
                                        "三", "零", "柒", "<b>", "<!--", "-->", "](", "一个"]),
    max_size=40).map("".join))
def test_offsets_map_back_into_the_original(raw: str) -> None:
    raw = sanitize(raw)
    n = normalize(raw)
    assert len(n.starts) == len(n.ends) == len(n.text)
    for s, e in zip(n.starts, n.ends, strict=True):
        assert 0 <= s <= e <= len(raw)
    # every ASCII digit of the normalized text comes from a span of the original that
    # holds a digit, a digit shortcode or a numeral
    for i, ch in enumerate(n.text):
        if ch.isdigit():
            a, b = n.starts[i], n.ends[i]
            piece = raw[a:b]
            assert any(c.isdigit() or c in "三零柒一" or c.isalpha() for c in piece), (ch, piece)


# -- end to end: through the real gateway -----------------------------------------------

E2E = [
    f"client ssn {AREA}\v{GROUP}\v{SERIAL} pls update",
    "card " + "\u2028".join(CARD_GROUPS),
    f"ssn [{AREA}](https://example.com/x)-{GROUP}-{SERIAL}",
    "ssn " + "".join(f":{unicodedata.name(d).split()[-1].lower()}:" for d in SSN_DIGITS),
    f"SSN{SSN} on file",
    f"ssn {AREA}-{GROUP[0]}<!-- a comment long enough to hide it -->{GROUP[1]}-{SERIAL}",
    f"ssn {AREA}#{GROUP}#{SERIAL}",
    "wire to " + "/".join(IBAN_GROUPS),
    f"ssn ${AREA}$-${GROUP}$-${SERIAL}$",
    f"ssn {AREA[0]}three{AREA[2]}-{GROUP}-{SERIAL}",
    # attack pass 6 (tests/test_detect_evasion_pass6.py): unlabelled, through the gateway
    f"her number [{AREA}]-{GROUP}-{SERIAL}",
    f"her number \\mathtt{{{AREA}}}-\\mathtt{{{GROUP}}}-\\mathtt{{{SERIAL}}}",
    "card " + ":white_small_square:".join(CARD_GROUPS),
    f"her number {AREA} twenty two {SERIAL}",
]
assert GROUP == "22", "the E2E words above say the SSN's group"


@pytest.mark.parametrize("message", E2E, ids=[f"e2e-{i}" for i in range(len(E2E))])
def test_gateway_stops_the_evasion(gateway: Gateway, message: str) -> None:
    assert_post_stopped(gateway, message, separator=' ')


def test_gateway_passes_the_look_alikes(gateway: Gateway) -> None:
    marker = f"ok{random.randrange(10**6)}z"
    message = f"ORD12345678 shipped; see [ticket](https://jira.example.com/OPS) :one: vote {marker}"
    r = post_message(gateway, message, user="bob")
    assert r.status_code == 201, (r.status_code, r.text)
    assert post_reached(gateway, marker)


_RENDER_PIECES = ["1", "a", " ", "-", ":five:", ":keycap_ten:", ":one", "\U0001f51f", "五", "零", "〇", "一个", "Ⅳ", "Ⅻ", "ⅼ", "x",
                  "[1](u)", "**", "__", "<b>", "three", "one ", "dwa", "üç", "sıfır", "пять", "ένα", "$", "\\!", "{", "}", "\u0662",
                  "th", "ree", "\u200b", "\u0301", "fün", "f",
                  "\U0001ccf5", "\U00011f53", "\U0001e4f8",  # digits newer than Python 3.11's tables
                  # entities and escapes: the decoded text is read as typed
                  "&#x4E94;", "&#53;", "&sup2;", "&#x2152;", "&#x2469;", "th&#114;ee", "&#58;five&#58;", "&amp;#53;",
                  "%E4%BA%94", "&#x200B;", "&nbsp;", "&#x202E;", "&#x1D7D3;",
                  "&colon;five&colon;", "&fopf;ive", "t&hopf;ree", "&#x1F51F;", "\\char`5", "\\char\"FF15"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_RENDER_PIECES), max_size=60))
@example(["1", "1", "1", "五", "three"])  # a numeral glued to a number word (found by the full run)
@example(["th", "\u200b", "ree"])
@example(["üç", "üç", "&nbsp;", "üç", "üç", "&#x1F51F;"])  # number words glued to the keycap's 10 (found by a run)
@example(["th", "**", "ree", "**"])
@example(["&#x2152;", "th&#114;ee", "&#x4E94;"])
@example(["&fopf;ive", " ", "&colon;five&colon;", " ", "t&hopf;ree", " ", "&fopf;ive"])  # no digit in the raw text
def test_rendered_digits_bounds_what_rendering_adds(pieces: list[str]) -> None:
    """ASCII digits + ``rendered_digits`` >= the digits the engine sees (what a gate that
    bounds the inline scan's digits without normalizing must count)."""
    text = "".join(pieces)
    seen = sum(c.isdigit() for c in normalize(sanitize(text)).text)
    # the gate's own count (gateway/pipeline.py normalized_digits) reads the current tables
    own = sum(c.isdigit() or unicodedata2.category(c) == "Nd" for c in text)
    assert own + rendered_digits(text) >= seen


@settings(max_examples=300, deadline=None)
@given(digits=st.text("123456789", min_size=1, max_size=20), lower=st.booleans(),
       sep=st.sampled_from(["", "-", " "]))
def test_property_roman_numerals_read_as_their_digits(digits: str, lower: bool, sep: str) -> None:
    """Roman numerals of the Number Forms block, one per digit (insider pass 4, A10:
    ``ⅤⅢⅥ`` is 536), written by code point (U+2160 ROMAN NUMERAL ONE + d - 1, the small
    ones from U+2170), not from the reader's table."""
    base = 0x2170 if lower else 0x2160
    text = sep.join(chr(base + int(d) - 1) for d in digits)
    assert regex.sub(r"[^0-9]", "", normalize(text).text) == digits, text


def test_an_ssn_in_roman_numerals_is_found() -> None:
    engine = build_detector(Path(__file__).resolve().parent.parent / "config", ner=False)
    area, group, serial = synth.SSN.split("-")

    def roman(part: str) -> str:
        return "".join(chr(0x2160 + int(d) - 1) if d != "0" else "\u3007" for d in part)

    text = f"client SSN {roman(area)}-{roman(group)}-{roman(serial)}"
    assert "US_SSN" in [f.entity_type for f in engine.analyze(text)], text
    assert normalize("Chapter \u216b").text == "Chapter 12"
