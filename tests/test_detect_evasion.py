"""Evasion families end to end through the engine (issue 15): invisible characters,
digit forms, readable separators, words between groups, look-alike letters, and
tables where a cell or row boundary is never a separator.

Identifiers are the synthetic ones of dlp_proxy.policy.testing (or derived from
them with their checksums recomputed)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.detect.normalize import normalize, sanitize
from dlp_proxy.detect.structure import CELL, ROW, column_header, mark_tables
from dlp_proxy.policy import testing as synth
from tests.tablegen import trade_csv

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"

SSN = synth.SSN  # 3-2-4 with dashes
SSN_DIGITS = SSN.replace("-", "")
CARD_DIGITS = synth.CARD.replace(" ", "")
IBAN = synth.IBAN


def _luhn_complete(prefix: str) -> str:
    for d in "0123456789":
        if luhn_ok(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


MC = _luhn_complete("512002307970838")  # a Mastercard-shaped test number
MC_GROUPS = [MC[i : i + 4] for i in range(0, 16, 4)]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _spaced(s: str, sep: str) -> str:
    return sep.join(s.split("-"))


def _each(s: str, between: str) -> str:
    """``between`` after every character of ``s``."""
    return "".join(c + between for c in s)


def _circled(d: str, base: int) -> str:
    return "".join(chr(base + int(c) - 1) if c != "0" else "\u24ea" for c in d)


def _negative_circled(d: str) -> str:
    # U+2776..U+277E are 1..9; U+24FF is negative circled zero
    return "".join(chr(0x2776 + int(c) - 1) if c != "0" else "\u24ff" for c in d)


def _parenthesized(d: str) -> str:
    # U+2474..U+247C are (1)..(9); there is no parenthesized zero: use a digit zero
    return "".join(chr(0x2474 + int(c) - 1) if c != "0" else "0" for c in d)


def _keycaps(d: str) -> str:
    return "".join(c + "\ufe0f\u20e3" for c in d)


SUP = {"0": "\u2070", "1": "\u00b9", "2": "\u00b2", "3": "\u00b3", **{str(i): chr(0x2070 + i) for i in range(4, 10)}}

# (family, text, entity, the original substring the finding must cover)
CASES: list[tuple[str, str, str, str]] = [
    ("variation selector U+FE0F", "ssn " + _each(SSN, "\ufe0f"), "US_SSN", _each(SSN, "\ufe0f")[:-1]),
    ("combining grapheme joiner U+034F", "ssn " + _each(SSN, "\u034f"), "US_SSN", _each(SSN, "\u034f")[:-1]),
    ("combining mark (acute)", "my number " + _each(SSN, "\u0301"), "US_SSN", _each(SSN, "\u0301")[:-1]),
    ("enclosing circle mark", "ssn " + _each(SSN_DIGITS, "\u20dd"), "US_SSN", _each(SSN_DIGITS, "\u20dd")[:-1]),
    ("keycap sequences", "ssn " + _keycaps(SSN_DIGITS), "US_SSN", _keycaps(SSN_DIGITS)[:-2]),
    ("hangul filler (default ignorable, Lo)", "ssn " + _each(SSN, "\u3164"), "US_SSN", _each(SSN, "\u3164")[:-1]),
    ("tag characters", "card " + _each(CARD_DIGITS, "\U000e0041"), "CREDIT_CARD",
     _each(CARD_DIGITS, "\U000e0041")[:-1]),
    ("circled digits", "ssn " + _circled(SSN_DIGITS, 0x2460), "US_SSN", _circled(SSN_DIGITS, 0x2460)),
    ("negative circled digits", "ssn " + _negative_circled(SSN_DIGITS), "US_SSN", _negative_circled(SSN_DIGITS)),
    ("parenthesized digits", "ssn " + _parenthesized(SSN_DIGITS), "US_SSN", _parenthesized(SSN_DIGITS)),
    ("full stop digits", "ssn " + "".join(chr(0x2488 + int(c) - 1) if c != "0" else "0" for c in SSN_DIGITS),
     "US_SSN", "".join(chr(0x2488 + int(c) - 1) if c != "0" else "0" for c in SSN_DIGITS)),
    ("superscript digits", "ssn " + "".join(SUP[c] for c in SSN_DIGITS), "US_SSN",
     "".join(SUP[c] for c in SSN_DIGITS)),
    ("middle dot separator", "her number " + _spaced(SSN, "\u00b7"), "US_SSN", _spaced(SSN, "\u00b7")),
    ("pipe separator", "id " + _spaced(SSN, "|"), "US_SSN", _spaced(SSN, "|")),
    ("colon separator", "here " + _spaced(SSN, ":"), "US_SSN", _spaced(SSN, ":")),
    ("comma separator", "ssn " + _spaced(SSN, ","), "US_SSN", _spaced(SSN, ",")),
    ("plus separator", "ssn " + _spaced(SSN, "+"), "US_SSN", _spaced(SSN, "+")),
    ("spaced pipes", "card " + " | ".join(MC_GROUPS), "CREDIT_CARD", " | ".join(MC_GROUPS)),
    ("card across lines, dash on the 2nd", f"card {MC_GROUPS[0]}-{MC_GROUPS[1]}\n-{MC_GROUPS[2]}-{MC_GROUPS[3]}",
     "CREDIT_CARD", f"{MC_GROUPS[0]}-{MC_GROUPS[1]}\n-{MC_GROUPS[2]}-{MC_GROUPS[3]}"),
    ("card across lines, indented", f"card {MC_GROUPS[0]}-{MC_GROUPS[1]}\n      -{MC_GROUPS[2]}-{MC_GROUPS[3]}",
     "CREDIT_CARD", f"{MC_GROUPS[0]}-{MC_GROUPS[1]}\n      -{MC_GROUPS[2]}-{MC_GROUPS[3]}"),
    ("wide separators", "ssn " + _spaced(SSN, "  \u2022  "), "US_SSN", _spaced(SSN, "  \u2022  ")),
    ("two marks", "ssn " + _spaced(SSN, " -- "), "US_SSN", _spaced(SSN, " -- ")),
    ("card across lines, no word", f"{MC_GROUPS[0]}-{MC_GROUPS[1]}\n-{MC_GROUPS[2]}-{MC_GROUPS[3]}",
     "CREDIT_CARD", f"{MC_GROUPS[0]}-{MC_GROUPS[1]}\n-{MC_GROUPS[2]}-{MC_GROUPS[3]}"),
    ("SSA labels between groups", "area {} group {} serial {}".format(*SSN.split("-")), "US_SSN",
     "{} group {} serial {}".format(*SSN.split("-"))),
    ("word dash between groups", "ssn {} dash {} dash {}".format(*SSN.split("-")), "US_SSN",
     "{} dash {} dash {}".format(*SSN.split("-"))),
    ("words then between groups", "card " + " then ".join(MC_GROUPS), "CREDIT_CARD", " then ".join(MC_GROUPS)),
    ("SSA labels with punctuation", "area: {}, group: {}, serial: {}".format(*SSN.split("-")), "US_SSN",
     "{}, group: {}, serial: {}".format(*SSN.split("-"))),
    ("IBAN with one Cyrillic letter", "IBAN " + IBAN.replace("E", "\u0415", 1), "IBAN_CODE",
     IBAN.replace("E", "\u0415", 1)),
    ("IBAN with a Cyrillic letter for a digit", "IBAN " + IBAN.replace("1", "\u0406", 1), "IBAN_CODE",
     IBAN.replace("1", "\u0406", 1)),
    ("IBAN group wholly in look-alikes", "IBAN " + IBAN.replace("WEST", "\u051c\u0415\u0405\u0422"), "IBAN_CODE",
     IBAN.replace("WEST", "\u051c\u0415\u0405\u0422")),
    ("IBAN with a Greek country letter", "pay to G\u0392" + IBAN[2:], "IBAN_CODE", "G\u0392" + IBAN[2:]),
    ("percent-encoded table marks", "ssn " + SSN.replace("-", "%1E"), "US_SSN", SSN.replace("-", "%1E")),
    ("fullwidth and mixed", "ssn " + "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in SSN), "US_SSN",
     "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in SSN)),
]


@pytest.mark.parametrize(("family", "text", "entity", "span"), CASES, ids=[c[0] for c in CASES])
def test_evasion_detected(engine: Engine, family: str, text: str, entity: str, span: str) -> None:
    found = engine.analyze(text)
    got = [(f.entity_type, text[f.start : f.end]) for f in found]
    assert (entity, span) in got, (family, got)


@pytest.mark.parametrize(
    "text",
    [
        "SPX closed at 5,948.71, up 0.4% on the day.",
        "Bought 1,500 shares at 182.35, settles T+1.",
        "8=FIX.4.2|9=178|35=D|49=BRKR|56=EXCH|34=215|52=20241119-10:31:31|11=ORD10131|38=5000|44=182.35",
        "Call moved to 3:30pm ET, dial-in is the usual bridge.",
        "Москва и Санкт-Петербург, встреча в 10:30",  # Cyrillic words are not folded to Latin
        "Ticket JIRA-48213 is fixed in v2.14.3, please retest.",
    ],
)
def test_clean_chat_stays_clean(engine: Engine, text: str) -> None:
    assert [f.entity_type for f in engine.analyze(text) if f.entity_type in ("US_SSN", "CREDIT_CARD",
                                                                            "ABA_ROUTING_NUMBER", "US_ITIN")] == []


# -- tables -------------------------------------------------------------------------


def test_clean_1mb_csv_is_not_stopped(engine: Engine) -> None:
    text = trade_csv(1)
    rows = 1
    while len(text) < 1_000_000:
        rows *= 2
        text = trade_csv(rows)
    findings = engine.analyze(text)
    assert [f for f in findings if f.entity_type in ("ABA_ROUTING_NUMBER", "US_SSN", "US_ITIN", "CREDIT_CARD",
                                                     "US_BANK_NUMBER")] == []


def test_row_boundary_is_not_a_separator_but_a_line_break_in_prose_is() -> None:
    table = "id,date,note\n1,2024-11-19,x\n10131,2024-11-20,y\n10132,2024-11-21,z\n"
    marked = mark_tables(table)
    assert len(marked) == len(table)
    assert ROW in marked and CELL in marked and "11-19\n10131" not in marked
    prose = f"Hi, card is {MC_GROUPS[0]}-{MC_GROUPS[1]}\n-{MC_GROUPS[2]}-{MC_GROUPS[3]}, thanks"
    assert mark_tables(prose) == prose


def test_quoted_csv_commas_stay_inside_the_cell() -> None:
    table = 'a,b,c\n1,"x, y",3\n4,"p, q",6\n'
    marked = mark_tables(table)
    assert '"x, y"' in marked and marked.count(CELL) == 6


@pytest.mark.parametrize("sep", [",", "\t", ";"])
def test_header_labels_the_column(engine: Engine, sep: str) -> None:
    rows = [sep.join(["name", "account", "amount"])]
    accounts = ["4471902283", "5582013394", "6693124405"]
    for i, acct in enumerate(accounts):
        rows.append(sep.join([f"client {i}", acct, f"{100 + i}.00"]))
    text = "\n".join(rows)
    found = [(f.entity_type, text[f.start : f.end]) for f in engine.analyze(text)]
    for acct in accounts:
        assert ("US_BANK_NUMBER", acct) in found
    assert not any(v.startswith("10") for _, v in found)  # the amounts are not accounts


def test_markdown_table_header(engine: Engine) -> None:
    text = "| client | acct |\n|---|---|\n| A. Lee | 4471902283 |\n| B. Ray | 5582013394 |\n"
    assert column_header(mark_tables(text), text.index("4471")) == "acct"
    found = [(f.entity_type, text[f.start : f.end]) for f in engine.analyze(text)]
    assert ("US_BANK_NUMBER", "4471902283") in found and ("US_BANK_NUMBER", "5582013394") in found


def test_candidate_never_spans_two_cells(engine: Engine) -> None:
    # the 3-2-4 SSN split over three cells of a real table is three numbers (under headers
    # naming the columns: under ``a,b,c`` the row reads as shown, tests/test_detect_table_rows8.py)
    text = "qty,px,id\n" + SSN.replace("-", ",") + "\n1,2,3\n4,5,6\n"
    assert not [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    # ...while the same SSN inside one cell is found
    text = "a,b,c\n" + f"x,{SSN},y" + "\n1,2,3\n4,5,6\n"
    assert [text[f.start : f.end] for f in engine.analyze(text) if f.entity_type == "US_SSN"] == [SSN]


# -- properties ---------------------------------------------------------------------

_DI = regex.compile(r"\p{Default_Ignorable_Code_Point}")
IGNORABLES = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF and _DI.match(chr(c))]
MARKS = [chr(c) for c in range(0x80, 0x110000)
         if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) in ("Mn", "Me")]
INVISIBLE = st.sampled_from(IGNORABLES + MARKS)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([SSN, synth.CARD, IBAN]),
       st.lists(st.tuples(st.integers(-1, 30), INVISIBLE), max_size=6))
def test_inserted_invisibles_never_defeat_detection(engine: Engine, value: str,
                                                    inserts: list[tuple[int, str]]) -> None:
    """Any Default_Ignorable code point or combining mark, anywhere in an identifier
    (before it too), leaves it detected, and the finding covers the original value."""
    entity = {SSN: "US_SSN", synth.CARD: "CREDIT_CARD", IBAN: "IBAN_CODE"}[value]
    chars = list(value)
    for pos, ch in sorted(inserts, reverse=True):
        chars.insert(min(pos, len(value) - 1) + 1, ch)
    evaded = "".join(chars)
    text = f"id: {evaded} ok"
    found = [f for f in engine.analyze(text) if f.entity_type == entity]
    assert found, [hex(ord(c)) for _, c in inserts]
    f = found[0]
    invisible = "".join(IGNORABLES + MARKS)
    core = evaded.strip(invisible)  # from the identifier's first visible character to its last
    assert (f.start, f.end) == (text.index(core), text.index(core) + len(core))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    list("0123456789-.,|: \n\tabcAOl\u00b7") + ["\ufe0f", "\u034f", "\u20e3", "\u0301", "\u2460", "\u2776",
                                                "\u2474", "\u0415", "\u0392", "\u200b", "\u3164", "\uff15"]),
    max_size=120))
def test_offset_map_points_into_the_original(raw: str) -> None:
    raw = sanitize(raw)
    n = normalize(raw)
    assert len(n.starts) == len(n.ends) == len(n.text)
    prev = 0
    for s, e in zip(n.starts, n.ends, strict=True):
        assert 0 <= s < e <= len(raw)
        assert s >= prev
        prev = s
    marked = mark_tables(n.text)
    assert len(marked) == len(n.text)
    if n.text:
        a, b = n.original_span(0, len(n.text))
        assert 0 <= a < b <= len(raw)


def test_a_first_row_of_data_is_not_a_header() -> None:
    text = "10130,routing confirmed,2024-11-19\n10131,x,2024-11-20\n10132,y,2024-11-21\n"
    marked = mark_tables(text)
    assert column_header(marked, text.index("10131")) is None


@pytest.mark.parametrize("sep", [", ", ",", "; ", " | ", "\n"])
def test_a_list_of_identifiers_is_each_identifier_once(engine: Engine, sep: str) -> None:
    ssns = [SSN[:-4] + str(int(SSN[-4:]) + k) for k in range(5)]
    text = "SSNs: " + sep.join(ssns) + " for the audit"
    assert sorted(text[f.start : f.end] for f in engine.analyze(text) if f.entity_type == "US_SSN") == sorted(ssns)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('0123456789,;|\t\n "ab') + [CELL, ROW]), max_size=200))
def test_mark_tables_keeps_length_and_only_marks_delimiters(raw: str) -> None:
    marked = mark_tables(raw)
    assert len(marked) == len(raw)
    for before, after in zip(raw, marked, strict=True):
        if after in (CELL, ROW):
            assert before in ("\t", "|", ";", ",", "\n")  # a boundary only where the text had one
        elif before in (CELL, ROW):
            assert after == " "  # the input's own marks are neutralized
        else:
            assert after == before
