"""Aligned (fixed-width) tables: columns apart by runs of blanks under a header, as a
terminal, a report or a pasted screen writes them (probe 5: 17 of 20 such tables under
``Name  Account  Routing`` had no finding; the header labelled the first row only, the
60 characters a label reaches).  ``structure.mark_tables`` marks them as it marks a
delimited table: each column gap a cell boundary, each line break a row boundary, so the
header labels every cell below it and no number spans two cells or two rows."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.checksums import aba_ok, luhn_ok
from dlp_proxy.detect.structure import CELL, ROW, column_header, mark_tables
from dlp_proxy.recognizers.ssn import ssn_valid
from tests.conftest import kinds

US_SSN = "US_SSN"
ACCOUNT = "US_BANK_NUMBER"
ROUTING = "ABA_ROUTING_NUMBER"

names = st.tuples(st.sampled_from(["Sofia", "Yuki", "Priya", "Maria", "Wei", "Ahmed", "Li"]),
                  st.sampled_from(["Lee", "Brown", "Park", "Okafor", "Rossi", "Chen", "O'Brien"])).map(" ".join)
accounts = st.integers(10**7, 10**14 - 1).map(str).filter(
    lambda s: len(set(s)) >= 5 and not s.endswith("000"))  # (no filler digits, no round amount)
routings = st.integers(10**7, 10**9 - 1).map(lambda n: f"{n:09d}").filter(aba_ok)
ssns = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]:03d}-{t[1]:02d}-{t[2]:04d}").filter(lambda s: ssn_valid(s.replace("-", "")))

cards = st.tuples(st.sampled_from(["4", "51", "6011"]), st.integers(10**13, 10**14 - 1)).map(
    lambda t: next((t[0] + str(t[1]))[:15] + d for d in "0123456789" if luhn_ok((t[0] + str(t[1]))[:15] + d)))

COLUMNS = {ACCOUNT: ("Account", "Acct #", "Account No", "Acct Number"), ROUTING: ("Routing", "ABA", "Routing No"),
           US_SSN: ("SSN", "Social Security No", "SSN/TIN")}


def aligned(rows: list[list[str]], gaps: list[int], right: list[bool]) -> str:
    """``rows`` (the header first) as a fixed-width table: each column as wide as its
    widest cell, ``gaps[k]`` blanks after column ``k``, numbers right-aligned where
    ``right[k]`` (the header too, as a report prints it)."""
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    lines = []
    for r in rows:
        cells = [c.rjust(widths[k]) if right[k] else c.ljust(widths[k]) for k, c in enumerate(r)]
        lines.append("".join(c + " " * gaps[k] for k, c in enumerate(cells)).rstrip() + " " * (len(lines) % 2))
    return "\n".join(lines)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), entity=st.sampled_from(sorted(COLUMNS)), n=st.integers(1, 6),
       gaps=st.lists(st.integers(2, 8), min_size=3, max_size=3), right=st.lists(st.booleans(), min_size=3, max_size=3))
def test_property_a_header_labels_every_row_of_an_aligned_table(engine: Any, data: st.DataObject, entity: str, n: int,
                                                                gaps: list[int], right: list[bool]) -> None:
    values = {ACCOUNT: accounts, ROUTING: routings, US_SSN: ssns}[entity]
    header = ["Name", data.draw(st.sampled_from(COLUMNS[entity])), "Branch"]
    rows = [[data.draw(names), data.draw(values), data.draw(st.sampled_from(["NYC", "Boston", "Jersey City"]))]
            for _ in range(n)]
    right[0] = right[2] = False
    text = aligned([header, *rows], gaps, right)
    found = [f for f in engine.analyze(text) if f.entity_type == entity]
    assert len({text[f.start:f.end].strip() for f in found}) >= len({r[1] for r in rows}), text


def test_the_header_names_each_cells_column() -> None:
    text = aligned([["Name", "Account", "Routing"], ["Sofia Lee", "695393302", "056290589"],
                    ["Yuki Brown", "4934722077409", "227945621"]], [4, 3, 0], [False, True, False])
    marked = mark_tables(text)
    assert len(marked) == len(text) and marked.count(ROW) == 2 and marked.count(CELL) == 6
    assert column_header(marked, marked.index("4934722077409")) == "Account"
    assert column_header(marked, marked.index("227945621")) == "Routing"
    assert column_header(marked, marked.index("Yuki")) == "Name"


def test_a_row_break_of_an_aligned_table_joins_no_cells(engine: Any) -> None:
    # a date's end and the next row's id fused across the line break read as an ABA number
    # (issue 15's blotter); in an aligned table the break is a row's end
    rows = [["Trade", "Settle", "Side"]] + [[f"1013{k}", f"2026-11-{19 + k}", "B"] for k in range(4)]
    text = aligned(rows, [3, 3, 0], [False, False, False])
    assert ROW in mark_tables(text)
    assert not kinds(engine, text) & {ROUTING, US_SSN, ACCOUNT}, text


def test_prose_with_double_blanks_is_no_table() -> None:
    for text in ("Thanks.  See you at 3pm\nOK  fine", "Hi  there\nsee  the attached  note  on 12 items",
                 "one line  only", "Name  Account\n\nSofia Lee  695393302",
                 "Name    Account\nSofia Lee 695393302 and more words"):
        assert mark_tables(text) == text, text


def test_a_header_of_values_is_no_header() -> None:
    text = "2026-11-19  10131\n2026-11-20  10132\n2026-11-21  10133"
    assert mark_tables(text) == text


def test_a_row_that_leaves_cells_empty_keeps_its_cells_under_their_headers() -> None:
    text = "a     b     c\n1     2     3\n            4\n      5"
    marked = mark_tables(text)
    assert len(marked) == len(text)
    assert column_header(marked, marked.index("4")) == "c" and column_header(marked, marked.index("5")) == "b"


def _down(cells: list[str], label: str, key: bool, kind: str, data: st.DataObject) -> str:
    """``cells`` down the value column of a two-column table (aligned, pipe or CSV)."""
    form = data.draw(st.sampled_from(["aligned", "pipe", "csv"]))
    keys = [label if key else "Name"] + ["(cont)"] * (len(cells) - 1)
    head = ["Field", "Value"] if key else ["Name", label]
    rows = [head, *([k, c] for k, c in zip(keys, cells, strict=True))]
    if not key:
        rows[1][0] = "Jane Doe"
        for r in rows[2:]:
            r[0] = data.draw(st.sampled_from(["", "(cont)", "x"]))
    if form == "csv":  # (four lines or fewer: no table mark_tables marks)
        return "\n".join(f"{a},{b}" for a, b in rows)
    if form == "pipe":
        lines = [f"| {a} | {b} |" for a, b in rows]
        return "\n".join([lines[0], "|---|---|", *lines[1:]])
    width = max(len(r[0]) for r in rows) + data.draw(st.integers(2, 5))
    return "\n".join((a.ljust(width) + b).rstrip() if a else " " * width + b for a, b in rows)


@settings(max_examples=120, deadline=None)
@given(data=st.data(), entity=st.sampled_from([US_SSN, "CREDIT_CARD"]), key=st.booleans(), cut=st.integers(1, 3))
def test_property_an_identifier_continued_down_its_column_is_read(engine: Any, data: st.DataObject, entity: str,
                                                                  key: bool, cut: int) -> None:
    """Attack pass 6 of 2026-12-07: an aligned table's rows are never joined, so a value
    continued on the next row ("(cont)"), or listed down its column, was read as no number;
    a column's runs of digit-group cells are read down (``structure._column_runs``) under the
    column's header or the run's first row's key."""
    if entity == US_SSN:
        d = data.draw(ssns)
        pieces = [d[:7], d[7:]] if cut == 1 else [d[:4], d[4:7], d[7:]] if cut == 2 else [d[:3], d[4:6], d[7:]]
        label = data.draw(st.sampled_from(["SSN", "Social Security No"]))
    else:
        c = data.draw(cards)
        pieces = [f"{c[:4]} {c[4:8]} {c[8:12]}", c[12:]] if cut == 1 else [c[:4], c[4:8], c[8:12], c[12:]]
        label = data.draw(st.sampled_from(["Card", "Visa card", "Card number"]))
    text = _down(pieces, label, key, entity, data)
    assert entity in kinds(engine, text), text


def test_a_named_columns_numbers_are_not_read_as_one_by_the_column_reading() -> None:
    """A column named for another thing (``Qty``) is not read down as one number
    (``_table_pieces``); the text without the aligned marks is still read line by line
    as before, so four quantities that happen to make a card are stopped as they were
    at 677e2ec (the engine keeps both readings: attack pass 7)."""
    from dlp_proxy.detect.structure import fragment_pieces

    text = aligned([["Item", "Qty"], ["A", "4532"], ["B", "7975"], ["C", "4323"], ["D", "1948"]], [2, 0], [False, True])
    assert fragment_pieces(mark_tables(text)) == []


@settings(max_examples=100, deadline=None)
@given(data=st.data(), entity=st.sampled_from([US_SSN, "CREDIT_CARD"]), form=st.sampled_from([
    "Here is Jane's {w}.  Call me if it fails.\n{a}\n{b}", "Jane's {w} for the refund.  Thanks!\n{a}\n{b}",
    "Name        Notes\nJane Doe    {a}\n            {b}\n", "Name      {w}\nJane      {a}\n          {b}\n",
    "```latex\n\\text{{Client {w}:}}  \\text{{(Jane)}}\n{a}\n{b}\n```"]))
def test_property_an_aligned_tables_reading_is_one_more_never_the_only_one(engine: Any, data: st.DataObject,
                                                                           entity: str, form: str) -> None:
    """Attack pass 7 of 2026-12-07: two blanks in a line made the lines after it an aligned
    table's rows, and a number continued on the next line was no longer read across the
    break; the engine reads the text without the aligned marks too (as before them)."""
    if entity == US_SSN:
        d = data.draw(ssns)
        a, b, w = d[:7], d[7:], "SSN"
    else:
        c = data.draw(cards)
        a, b, w = f"{c[:4]} {c[4:8]}", f"{c[8:12]} {c[12:]}", "card"
    text = form.format(a=a, b=b, w=w)
    assert entity in kinds(engine, text), text


def _iban(seed: int) -> str:
    from random import Random

    from tests.det23_gen import iban

    return iban(Random(seed))


@settings(max_examples=120, deadline=None)
@given(data=st.data(), entity=st.sampled_from(["CREDIT_CARD", "IBAN_CODE"]), key=st.booleans(), cut=st.integers(7, 12))
def test_property_long_cells_continued_down_a_named_column_are_read(engine: Any, data: st.DataObject, entity: str,
                                                                    key: bool, cut: int) -> None:
    """Attack pass 7 of 2026-12-07: a group cell holds at most six digits, so half a card
    (``| 41111111 |`` over ``| 11111111 |``) or an IBAN cut into two long cells down a
    column was read as no number; a cell of one long group is read down a column that its
    header or the run's key names (``structure._LONG_CELL``)."""
    if entity == "CREDIT_CARD":
        value = data.draw(cards)
        label = data.draw(st.sampled_from(["Card", "Visa card", "Card number"]))
    else:
        value = _iban(data.draw(st.integers(0, 10**6)))
        label = data.draw(st.sampled_from(["IBAN", "Bank IBAN"]))
    pieces = [value[:cut], value[cut:]]
    assert entity in kinds(engine, _down(pieces, label, key, entity, data)), pieces


@settings(max_examples=120, deadline=None)
@given(data=st.data(), label=st.sampled_from(["Order", "Ref", "Trade date", "Qty", "Name", "Acct #", "Account No", "SSN"]),
       n=st.integers(2, 12), form=st.sampled_from(["pipe", "csv", "tsv"]))
def test_property_long_cells_down_a_column_no_card_or_iban_word_names_are_not_joined(
        engine: Any, data: st.DataObject, label: str, n: int, form: str) -> None:
    """Order ids, dates and references down a column (``20261119`` over ``20261120``) are
    many long cells, and a column of accounts or SSNs holds one whole value per cell: the
    column reading joins none of them (three accounts down "Acct #" read together made a
    CUSIP that cancelled the three accounts)."""
    from dlp_proxy.detect.structure import fragment_pieces

    values = data.draw(st.lists(st.integers(10**6, 10**12).map(str), min_size=n, max_size=n))
    rows = [["Desk", label], *(["EQ", v] for v in values)]
    if form == "pipe":
        lines = [f"| {a} | {b} |" for a, b in rows]
        text = "\n".join([lines[0], "|---|---|", *lines[1:]])
    else:
        text = "\n".join(("," if form == "csv" else "\t").join(r) for r in rows)
    pieces = fragment_pieces(mark_tables(text), engine._header_label)
    assert [p for p in pieces if sum(v in p[2] for v in values) > 1] == [], text


def test_accounts_down_an_account_column_stay_accounts(engine: Any) -> None:
    text = ("| Client | Acct # | Balance | Rep |\n|---|---|---|---|\n| our guy in Tampa | 3670414043 | 11199.36 | RS |\n"
            "| the Chens | 829937994 | 188983.13 | JL |\n| Mr. O'Brien | 266657747 | 963597.89 | RS |\n")
    found = [f for f in engine.analyze(text) if f.entity_type == ACCOUNT]
    assert {text[f.start:f.end] for f in found} >= {"3670414043", "829937994", "266657747"}
