"""An identifier split over the cells of one table row (attack F2).

A cell boundary is never a separator for the ordinary digit runs (a CSV blotter's
date end and the next cell's id are no routing number), but Mattermost renders a
Markdown table's row as its cells side by side: ``|536|22|8710|`` under a caption
"client SSN" reads as the number.  Adjacent numeric cells (a cell of only a dash,
dot or slash may stand between them) that join into an identifier's exact group shape
(3-2-4, a card's fours, Amex 4-6-5...) or a run of nine or more single-digit cells are
a candidate; it is reported when it validates (SSN validity, Luhn and issuer) and a
word for it labels the row: in the row, in the header of a column it spans, or in the
table's caption (the text right above it), whatever the other headers say.  Numeric
tables in chat with no such word (quantities, prices, dates across cells) and clean
CSV blotters stay clean.  An IBAN (mod-97, the country's length and structure) is read
across the cells of one row when it fills them whole, with no label needed."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.policy import testing as synth
from dlp_proxy.recognizers.ssn import ssn_valid
from tests.conftest import Gateway, assert_post_stopped, post_message, post_reached
from tests.tablegen import trade_csv

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SSN_GROUPS = synth.SSN.split("-")
CARD_GROUPS = synth.CARD.split(" ")
IBAN_GROUPS = synth.IBAN.split(" ")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> list[str]:
    return [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]


def _table(headers: list[str], row: list[str]) -> str:
    return "|" + "|".join(headers) + "|\n|" + "-|" * len(headers) + "\n|" + "|".join(row) + "|"


# (name, text, entity): the attack's reproductions and variants of them
CASES = [
    ("caption, part headers", "client SSN\n\n" + _table(["area", "group", "serial"], SSN_GROUPS), "US_SSN"),
    ("caption, dash cells", "client SSN\n\n" + _table(list("abcde"), [SSN_GROUPS[0], "-", SSN_GROUPS[1], "-",
                                                                   SSN_GROUPS[2]]), "US_SSN"),
    ("caption, one digit per cell", "client SSN\n\n" + _table(list("abcdefghi"), list(synth.SSN.replace("-", ""))),
     "US_SSN"),
    ("caption, card in four cells", "card number\n\n" + _table(list("abcd"), CARD_GROUPS), "CREDIT_CARD"),
    ("second column's header", "|client|SSN|\n|-|-|\n|" + "-".join(SSN_GROUPS[:2]) + "|" + SSN_GROUPS[2] + "|",
     "US_SSN"),
    ("card one digit per cell", "card\n\n" + _table(["#"] * 16, list(synth.CARD.replace(" ", ""))), "CREDIT_CARD"),
    ("spaced cells, neutral headers", "the ssn:\n| x | y | z |\n|---|---|---|\n| " + " | ".join(SSN_GROUPS) + " |",
     "US_SSN"),
    ("slash cells", "SSN below\n" + _table(list("abcde"), [SSN_GROUPS[0], "/", SSN_GROUPS[1], "/", SSN_GROUPS[2]]),
     "US_SSN"),
    # an IBAN's mod-97 check is strong: across whole cells of one row, no label needed
    ("IBAN in cells", _table(list("abcdef"), IBAN_GROUPS), "IBAN_CODE"),
    ("IBAN in cells, label cell first", _table(list("abcdefg"), ["pay to", *IBAN_GROUPS]), "IBAN_CODE"),
    ("IBAN split mid-group", _table(list("abc"), ["".join(IBAN_GROUPS)[:7], "".join(IBAN_GROUPS)[7:15],
                                                  "".join(IBAN_GROUPS)[15:]]), "IBAN_CODE"),
]


@pytest.mark.parametrize(("name", "text", "entity"), CASES, ids=[c[0] for c in CASES])
def test_a_row_of_cells_that_reads_as_an_identifier_is_found(engine: Engine, name: str, text: str,
                                                             entity: str) -> None:
    assert entity in _stops(engine, text), name


@st.composite
def _ssn(draw: st.DrawFn) -> list[str]:
    groups = [f"{draw(st.integers(1, 899)):03d}", f"{draw(st.integers(1, 99)):02d}", f"{draw(st.integers(1, 9999)):04d}"]
    assume(ssn_valid("".join(groups)))
    return groups


_LAYOUTS = ["groups", "dashes", "digits"]
_HEADERS = ["letters", "blank", "parts", "words"]
_LABELS = ["client SSN", "SSN of the client below", "social security number:"]


@settings(max_examples=120, deadline=None)
@given(_ssn(), st.sampled_from(_LAYOUTS), st.sampled_from(_HEADERS), st.sampled_from(_LABELS), st.booleans())
@example(SSN_GROUPS, "digits", "letters", "client SSN", True)
def test_any_ssn_in_one_row_under_its_caption_is_found(engine: Engine, groups: list[str], layout: str,
                                                       header: str, label: str, blank_line: bool) -> None:
    if layout == "groups":
        row = groups
    elif layout == "dashes":
        row = [groups[0], "-", groups[1], "-", groups[2]]
    else:
        row = list("".join(groups))
    heads = {"letters": [chr(97 + k) for k in range(len(row))], "blank": [" "] * len(row),
             "parts": [f"part {k}" for k in range(len(row))], "words": ["col"] * len(row)}[header]
    text = label + ("\n\n" if blank_line else "\n") + _table(heads, row) + "\n|" + "|".join(["x"] * len(row)) + "|"
    assert "US_SSN" in _stops(engine, text)


# numeric tables in chat: quantities, prices, dates across cells, ids; no word for an identifier
NEGATIVES = [
    _table(["qty", "px", "total"], ["536", "22", "8710"]),
    "fills today\n\n" + _table(["qty", "px", "total"], ["536", "22", "8710"]),
    "desk P&L\n" + _table(["yyyy", "mm", "dd", "amount"], ["2026", "11", "19", "4111"]),
    "order book\n" + _table(["bid", "ask", "last", "vol"], ["4111", "1111", "1111", "1111"]),
    "counts per hour\n" + _table([str(h) for h in range(9)], list("536228710")),
    "scores\n" + _table(list("abcdefghijklmnop"), list("4111111111111111")),
    "trades\n" + _table(["id", "-", "qty"], ["536", "-", "22"]) + "\n|8710|-|5|",
    "| sym | qty | px |\n|---|---|---|\n| AAPL | 536 | 22 |\n| MSFT | 8710 | 301 |\n| IBM | 22 | 8710 |",
    "card fees by tier\n" + _table(["tier", "fee", "cap"], ["1", "25", "2500"]),
    "date,qty,px\n2026,11,19\n536,22,8710\n4111,1111,1111\n",
    # an IBAN-like start and numbers after it that fail the check, or spill into a cell
    _table(list("abcdef"), [*IBAN_GROUPS[:5], "33"]),
    _table(list("abcdef"), [*IBAN_GROUPS[:5], IBAN_GROUPS[5] + "1"]),
    "| desk | code | qty | px |\n|---|---|---|---|\n| FX | DE12 | 3456 | 7890 |\n| EQ | GB82 | 1200 | 5600 |",
]


@pytest.mark.parametrize("text", NEGATIVES, ids=[f"neg-{i}" for i in range(len(NEGATIVES))])
def test_numeric_tables_in_chat_stay_clean(engine: Engine, text: str) -> None:
    assert _stops(engine, text) == []


def test_clean_blotters_stay_clean(engine: Engine) -> None:
    for sep in (",", "\t", "|"):
        assert _stops(engine, trade_csv(400, sep=sep) if sep != "|" else trade_csv(400).replace(",", "|")) == []


# ---------------------------------------------------------------- through the real gateway


@pytest.mark.parametrize("text", [c[1] for c in CASES[:5]], ids=[c[0] for c in CASES[:5]])
def test_gateway_stops_a_row_that_reads_as_an_identifier(gateway: Gateway, text: str) -> None:
    assert_post_stopped(gateway, text, separator='\n\n')


def test_gateway_passes_a_numeric_table(gateway: Gateway) -> None:
    marker = f"ok{random.randrange(10**6)}z"
    r = post_message(gateway, NEGATIVES[1] + f"\n\n{marker}", user="bob")
    assert r.status_code == 201, (r.status_code, r.text)
    assert post_reached(gateway, marker)
