"""Detection gaps of det17, each as a class with its look-alikes that must stay clean:

- precision: an HTML table's cell boundary is never a separator (``<td>300</td><td>45</td>
  <td>1350</td>`` is a row of three values, as ``|300|45|1350|`` is), with attributes, any
  case, blanks and line breaks, closing tags left out; a value inside one cell, a column
  headed by its label and a row's cells under a caption are still read;
- recall: an SSN given as its first five and last four digits with the counts written as
  digits (``ssn first 5 ... last 4 ...``);
- recall: a letter drawn as a digit standing alone as a group (``S-3-6-2-2-8-7-I-O``), and
  ``i`` read as ``1`` as ``I`` and ``l`` are;
- recall: a run of separator marks of any length between an IBAN's groups
  (``GB82 -- WEST -- ...``), as digit runs read one since pass 16.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.structure import CELL, ROW, mark_tables
from dlp_proxy.policy import testing as synth
from tests.conftest import stopped_as
from tests.test_budget_desk import _SYMS, desk_chat

AREA, GROUP, SERIAL = synth.SSN.split("-")
DIGITS = AREA + GROUP + SERIAL
IBAN_GROUPS = synth.IBAN.split()

# -- HTML table cells ------------------------------------------------------------------


def _tag(draw: Any, name: str, close: bool = False) -> str:
    """One table tag as people paste them: any case, maybe attributes, maybe blanks."""
    name = "".join(c.upper() if draw(st.booleans()) else c for c in name)
    if close:
        return f"</{name}>"
    attrs = draw(st.sampled_from(["", ' class="num"', " align=right", ' style="width:40px"', " nowrap",
                                  ' data-col="2"', ' colspan="1"']))
    return f"<{name}{attrs}>"


@st.composite
def html_row(draw: Any, cells: list[str], header: bool = False) -> str:
    cell = "th" if header else "td"
    gap = draw(st.sampled_from(["", " ", "\n", "\n  ", "\t"]))
    closes = draw(st.booleans())  # </td> may be left out
    row = gap.join(f"{_tag(draw, cell)}{v}{_tag(draw, cell, True) if closes else ''}" for v in cells)
    return f"{_tag(draw, 'tr')}{gap}{row}{gap}{_tag(draw, 'tr', True)}"


@st.composite
def html_table(draw: Any, rows: list[list[str]], header: list[str] | None = None) -> str:
    gap = draw(st.sampled_from(["", "\n", " "]))
    body = [draw(html_row(header, header=True))] if header else []
    body += [draw(html_row(r)) for r in rows]
    if draw(st.booleans()):
        body = [f"<tbody>{gap}", *body, "</tbody>"]
    return f"{_tag(draw, 'table')}{gap}{gap.join(body)}{gap}{_tag(draw, 'table', True)}"


#: a P&L / quantity row: three numbers of an SSN's group sizes (3, 2, 4 digits), area valid;
#: or three of five digits (15 digits: a card's length, Luhn and a 3x issuer one row in ~200)
_ROW_NUMBERS = st.one_of(
    st.tuples(st.integers(100, 665), st.integers(10, 99), st.integers(1000, 9999)),
    st.tuples(st.integers(30000, 39999), st.integers(10000, 99999), st.integers(10000, 99999)),
).map(lambda t: [str(v) for v in t])


@pytest.mark.parametrize("text", [
    "<table><tr><td>300</td><td>45</td><td>1350</td></tr></table>",
    "<TABLE><TR><TD>300</TD><TD>45</TD><TD>1350</TD></TR></TABLE>",
    '<table border="1"><tr><td class="qty">300</td> <td class="px">45</td> <td class="pnl">1350</td></tr></table>',
    "<table>\n  <tr>\n    <td>300</td>\n    <td>45</td>\n    <td>1350</td>\n  </tr>\n</table>",
    "<table><tr><td>300<td>45<td>1350</table>",  # closing tags left out
    "<tr><td>300</td><td>45</td><td>1350</td></tr>",  # a row pasted without its table
    "P&L by desk: <table><tr><th>qty</th><th>px</th><th>pnl</th></tr><tr><td>300</td><td>45</td><td>1350</td></tr></table>",
    "&lt;table&gt;&lt;tr&gt;&lt;td&gt;300&lt;/td&gt;&lt;td&gt;45&lt;/td&gt;&lt;td&gt;1350&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;",
])
def test_html_table_cells_are_separate_values(engine: Any, text: str) -> None:
    assert stopped_as(engine, text) == set(), text


@settings(max_examples=80, deadline=None)
@given(st.data(), st.lists(_ROW_NUMBERS, min_size=1, max_size=3), st.booleans())
@example(None, [["300", "45", "1350"]], False)
def test_any_html_table_of_numbers_is_no_identifier(engine: Any, data: Any, rows: list[list[str]], named: bool) -> None:
    """Rows of numbers an SSN's group sizes apart only by cell boundaries, in any table
    markup (case, attributes, blanks, line breaks, closing tags or not, with a header of
    column names or none): never one number."""
    if data is None:
        text = "<table><tr><td>300</td><td>45</td><td>1350</td></tr></table>"
    else:
        text = data.draw(html_table(rows, ["qty", "px", "pnl"] if named else None))
    assert stopped_as(engine, text) == set(), text


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from(["one-cell", "header", "caption", "header-split"]))
def test_html_table_identifiers_are_still_read(engine: Any, data: Any, form: str) -> None:
    """A value inside one cell, a column headed by its label (as a CSV header labels the
    cells below it), a row's cells joined under a caption or a header naming the
    identifier: found, as in a Markdown table."""
    if form == "one-cell":
        text = data.draw(html_table([["Bob", synth.SSN]]))
    elif form == "header":
        text = data.draw(html_table([["Bob", DIGITS]], ["name", "SSN"]))
    elif form == "caption":
        text = "client SSN " + data.draw(html_table([[AREA, GROUP, SERIAL]]))
    else:
        text = data.draw(html_table([[AREA, GROUP, SERIAL]], ["SSN", "b", "c"]))
    assert "US_SSN" in stopped_as(engine, text), text


_CARD_DIGITS = synth.CARD.replace(" ", "")
_CARD_REGROUPED = [_CARD_DIGITS[:5], _CARD_DIGITS[5:10], _CARD_DIGITS[10:]]  # 5-5-6: not a card's groups


@pytest.mark.parametrize("text", [
    "<table><tr><td>39764</td><td>37246</td><td>77016</td></tr></table>",  # 15 digits, Luhn, a 3x issuer
    "|39764|37246|77016|",
    "<table><tr>" + "".join(f"<td>{c}</td>" for c in _CARD_REGROUPED) + "</tr></table>",
    "|" + "|".join(_CARD_REGROUPED) + "|",
])
def test_a_card_regrouped_from_other_cells_needs_a_label(engine: Any, text: str) -> None:
    """A table row's cells read side by side are regrouped into a card's groups only with a
    label (as an SSN or an account needs one there); a card's own groups in cells name
    themselves."""
    assert stopped_as(engine, text) == set(), text
    assert "CREDIT_CARD" in stopped_as(engine, "card number " + text), text
    own = "<table><tr>" + "".join(f"<td>{g}</td>" for g in synth.CARD.split()) + "</tr></table>"
    assert "CREDIT_CARD" in stopped_as(engine, own)


@pytest.mark.parametrize("text", [
    f"client SSN <table><tr><td>{AREA}<br>{GROUP}<br>{SERIAL}</td></tr></table>",  # one cell's lines
    f"client SSN {AREA}-{GROUP}<td>{SERIAL}",  # a cell tag in prose: no table (a browser drops it)
    f"client SSN {AREA}-{GROUP}-{SERIAL} <table><tr><td>300</td><td>45</td></tr></table>",
])
def test_cell_tags_outside_a_table_row_still_join(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text


@settings(max_examples=60, deadline=None)
@given(st.data(), st.lists(_ROW_NUMBERS, min_size=1, max_size=3))
def test_html_marks_keep_length_and_only_mark_boundaries(data: Any, rows: list[list[str]]) -> None:
    """``mark_tables`` marks an HTML table in place: same length, only a tag's closing
    ``>`` becomes a boundary and line breaks inside a table blanks; every cell's digits
    and every attribute stay."""
    text = data.draw(html_table(rows))
    marked = mark_tables(text)
    assert len(marked) == len(text)
    for a, b in zip(text, marked, strict=True):
        assert a == b or (a == ">" and b in (CELL, ROW)) or (a in "\r\n" and b == " ")
    assert marked.count(CELL) == sum(len(r) for r in rows)
    assert marked.count(ROW) == len(rows) - 1


# -- an SSN as its first five and last four digits --------------------------------------

_FIRST = ["first 5", "first five", "first 5 digits", "first5", "first 5:", "first 5 ="]
_LAST = ["last 4", "last four", "last 4 digits", "last4", "last 4:", "last 4 -"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(_FIRST), st.sampled_from(_LAST), st.booleans(), st.sampled_from(["ssn", "SSN", "social"]),
       st.sampled_from([" ", ", ", " and "]))
@example("first 5", "last 4", False, "ssn", " ")
@example("first 5", "last 4", True, "ssn", ", ")
def test_first_five_and_last_four_are_one_ssn(engine: Any, first: str, last: str, swapped: bool, label: str,
                                              joint: str) -> None:
    head, tail = f"{first} {AREA}{GROUP}", f"{last} {SERIAL}"
    text = f"{label} {tail}{joint}{head}" if swapped else f"{label} {head}{joint}{tail}"
    assert "US_SSN" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "working the first 5 10000 lots, last 4 1500 left",  # no identifier label
    "ssn field empty. first 5 fills 10000, last 4 fills 1500",  # another sentence, counts of fills
    "acct 7: first 5 trades 12345, last 4 trades 6789",
])
def test_counts_without_an_ssn_stay_clean(engine: Any, text: str) -> None:
    assert stopped_as(engine, text) == set(), text


# -- letters drawn as digits standing alone as a group -----------------------------------

#: the letters ``normalize._DRAWN_DIGITS`` reads, by the digit they draw
_DRAWN = {"0": "Oo", "1": "lIi", "2": "Zz", "5": "Ss", "6": "Gb", "7": "T", "8": "B", "9": "gq"}


@settings(max_examples=80, deadline=None)
@given(st.data(), st.sampled_from(["-", " ", ".", " - ", "/"]))
@example(None, "-")
def test_a_letter_standing_alone_as_a_group_is_its_digit(engine: Any, data: Any, sep: str) -> None:
    """An SSN written in groups of one to three digits, the groups of one digit drawn as
    letters that stand alone between separators (``S-3-6-2-2-8-7-I-O``): read as the
    digits, wherever the same groups written in digits are read."""
    if data is None:
        text, plain = "client SSN S-3-6-2-2-8-7-I-O", "client SSN 5-3-6-2-2-8-7-1-0"
    else:
        sizes: list[int] = []
        while sum(sizes) < len(DIGITS):
            sizes.append(data.draw(st.integers(1, min(3, len(DIGITS) - sum(sizes)))))
        groups, at = [], 0
        for n in sizes:
            groups.append(DIGITS[at:at + n])
            at += n
        alone = [k for k, g in enumerate(groups) if len(g) == 1 and g in _DRAWN]
        assume(len(alone) >= 1)
        picked = data.draw(st.lists(st.sampled_from(alone), min_size=1, max_size=3, unique=True))
        drawn = [data.draw(st.sampled_from(_DRAWN[g])) if k in picked else g for k, g in enumerate(groups)]
        text, plain = f"client SSN {sep.join(drawn)} on file", f"client SSN {sep.join(groups)} on file"
        assume("US_SSN" in stopped_as(engine, plain))
    assert "US_SSN" in stopped_as(engine, text), text


def test_a_lone_letter_in_text_that_is_not_ascii(engine: Any) -> None:
    """The same reading in a text with other scripts (its own hint: ``normalize._alone_hint``)."""
    drawn = "-".join(_DRAWN[d][0] if k in (0, 7) and d in _DRAWN else d for k, d in enumerate(DIGITS))
    assert "US_SSN" in stopped_as(engine, f"Клиент SSN {drawn}, merci — café"), drawn


@pytest.mark.parametrize("text", [
    f"client SSN {AREA}-{GROUP}-{SERIAL[:2]}iO",  # lower-case i as I and l
    f"client SSN {AREA}-{GROUP}-{SERIAL[:2]}i0",
    f"client SSN {AREA}-{GROUP}-{SERIAL[:2]}l0",
])
def test_lower_case_i_is_a_one(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "settles T+2, bought 100 B 5 S 10 at 45",
    "i5-12400 and i7-13700 laptops for the desk, 5 o clock pickup",
    "class B 1000000 shares, class A 250000",
    "S&P 500 at 5,948, Q3 I think 4.4% on the 10 yr",
    "rows 5 I 3 O 2 S 1 were re-run",
    "T 1 2 3 4 5 6 7 8 9 10",
    "wifi6 router, pi4 b, 5 g 4 g",
])
def test_single_letters_in_chat_stay_clean(engine: Any, text: str) -> None:
    assert stopped_as(engine, text) == set(), text


# -- IBAN separator runs ----------------------------------------------------------------

_MARKS = "-._/~=*|+:"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=_MARKS, min_size=1, max_size=12), st.integers(0, 2), st.booleans())
@example("--", 1, True)
@example("----", 1, False)
@example("-" * 32, 0, True)
def test_any_separator_run_between_iban_groups_is_found(engine: Any, marks: str, blanks: int, label: bool) -> None:
    """Any run of marks (up to two blanks around and between them) between an IBAN's
    groups: one separator, as between digit groups."""
    pad = " " * blanks
    sep = pad + pad.join(marks) + pad
    text = ("IBAN " if label else "pay to ") + sep.join(IBAN_GROUPS) + " today"
    assert "IBAN_CODE" in stopped_as(engine, text), text


def test_iban_separator_runs_are_bounded(engine: Any) -> None:
    """More marks than a digit run reads as one separator (32): the groups stay apart."""
    sep = " " + "-" * 40 + " "
    assert "IBAN_CODE" not in stopped_as(engine, "pay to " + sep.join(IBAN_GROUPS))


# -- clean finance chat -----------------------------------------------------------------


def _finance_chat(seed: int, n: int) -> list[str]:
    """Desk chat (``desk_chat``) and lines with tickers, quantities, prices, dates, CUSIPs,
    order ids, single letters (share classes, T+n), counts (first/last n), separator runs
    and HTML tables of numbers."""
    rnd = random.Random(seed)
    chat = desk_chat(seed)
    cusips = ["037833100", "38259P508", "594918104", "912828ZT0", "46625H100"]

    def cells(k: int) -> str:
        return "".join(f"<td>{rnd.randint(1, 99999)}</td>" for _ in range(k))

    lines = []
    for _ in range(n):
        lines.append(rnd.choice([
            lambda: next(chat),
            lambda: f"CUSIP {rnd.choice(cusips)} {rnd.randint(1, 9) * 100} @ {rnd.randint(90, 110)}-{rnd.randint(0, 31):02d}",
            lambda: f"ord {rnd.choice('ABCDEFGHJK')}{rnd.randint(100000, 999999)} {rnd.choice(_SYMS)} "
                    f"{rnd.choice(['B', 'S'])} {rnd.randint(1, 50) * 100} {rnd.randint(10, 999)}.{rnd.randint(0, 99):02d}",
            lambda: f"first {rnd.randint(2, 9)} fills {rnd.randint(100, 99999)}, last {rnd.randint(2, 9)} "
                    f"{rnd.randint(100, 9999)} on {rnd.randint(1, 12)}/{rnd.randint(1, 28)}",
            lambda: f"class {rnd.choice('ABC')} {rnd.randint(1000, 999999)} sh, T+{rnd.randint(1, 3)} settle "
                    f"{rnd.randint(2024, 2026)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            lambda: f"<table><tr><th>qty</th><th>px</th><th>pnl</th></tr><tr>{cells(3)}</tr><tr>{cells(3)}</tr></table>",
            lambda: f"<table><tr>{cells(rnd.randint(2, 5))}</tr></table>",
            lambda: f"{rnd.choice(_SYMS)} -- {rnd.randint(100, 999)} -- {rnd.randint(10, 99)} -- {rnd.randint(1000, 9999)} bps",
            lambda: f"S {rnd.randint(1, 9)} B {rnd.randint(1, 9)} O {rnd.randint(1, 9)} net {rnd.randint(1, 9)} I think",
        ])())
    return lines


def test_generated_finance_chat_stays_clean(engine: Any) -> None:
    stopped = [line for line in _finance_chat(17, 400) if stopped_as(engine, line)]
    assert stopped == []
