"""Chat-table attack of 2026-12-07 (a helper that read no test): tables a desk pastes that
were stopped, and values down a column that were not.  Real detector.

- False stops: an account column read down as one number (``| 4417 | AAPL | 100 |`` over
  ``| 4418 | MSFT | 200 |``), and an account header labelling a row's run across an order
  id and a quantity (``| Acct | Order | Qty |`` over ``| 55012 | 881234 | 5000 |``).
- Misses: a value continued down a long table's column under a key naming it (the
  header names nothing: ``| Field | Data |``), and long cells down a column headed in
  German or Spanish (``Kreditkarte``, ``Tarjeta``, ``Bankverbindung``).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import kinds

STOPPING = {"US_SSN", "CREDIT_CARD", "IBAN_CODE", "US_BANK_NUMBER", "US_ITIN"}


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


BLOTTERS = {
    "account-symbol-qty-px": (["Acct #", "Symbol", "Qty", "Px"],
                              [["4417", "AAPL", "100", "187.42"], ["4418", "MSFT", "200", "415.10"],
                               ["4419", "IBM", "300", "190.01"]]),
    "account-order-fills": (["Acct", "Order", "Qty", "Filled", "Leaves"],
                            [["55012", "881234", "5000", "3000", "2000"], ["55013", "881235", "1200", "1200", "0"]]),
    "rep-account-order": (["Rep", "Acct", "Order ID", "Qty"],
                          [["JS", "55012", "881234", "300"], ["", "55013", "881235", "400"]]),
    "account-side-order": (["Acct", "Side", "Qty", "Px", "Order ID"],
                           [["10234", "B", "500", "99", "774001"], ["10234", "S", "200", "101", "774002"],
                            ["10235", "B", "100", "98", "774003"]]),
    "date-account-qty": (["Trade Date", "Acct", "Qty"], [["11/19", "4471", "300"], ["11/20", "4472", "500"]]),
    "positions": (["Account", "Symbol", "Position", "Avg Cost"],
                  [["30417", "AAPL", "1500", "187.42"], ["30417", "MSFT", "800", "415.10"],
                   ["30422", "IBM", "2000", "190.01"]]),
    "account-qty-px": (["Acct", "Qty", "Px"], [["30417", "1500", "187.42"], ["30422", "2000", "190.01"]]),
}


@pytest.mark.parametrize("case", sorted(BLOTTERS))
def test_a_desks_account_table_is_not_stopped(engine: Any, case: str) -> None:
    header, rows = BLOTTERS[case]
    text = _table(header, rows)
    assert not kinds(engine, text) & STOPPING, text


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 12), width=st.integers(4, 5))
def test_property_short_accounts_down_a_column_beside_their_trades_stay_apart(engine: Any, seed: int, n: int,
                                                                             width: int) -> None:
    """Account ids of four or five digits (no account number alone: a 6-digit value under
    "Acct" is one, by the account reading's own rule) are not joined down the column."""
    rnd = random.Random(seed)
    rows = [[str(rnd.randrange(10 ** (width - 1), 10**width)), rnd.choice(["AAPL", "MSFT", "IBM"]),
             str(rnd.randrange(1, 50) * 100)] for _ in range(n)]
    text = _table(["Acct", "Symbol", "Qty"], rows)
    assert "US_BANK_NUMBER" not in kinds(engine, text), text


_FILLER = [["Name", "Bob"], ["City", "Boston"], ["State", "MA"], ["Zip", "MA"]]
MISSES = {
    "key-card-long-table": ("CREDIT_CARD", ["Item", "Value"],
                            [["Card", "4111"], ["", "1111"], ["", "1111"], ["", "1111"], *_FILLER]),
    "key-ssn-long-table": ("US_SSN", ["Field", "Data"], [["SSN", "536"], ["", "22"], ["", "8710"], *_FILLER]),
    "key-iban-long-table": ("IBAN_CODE", ["Feld", "Wert"],
                            [["IBAN", "DE89"], ["", "3704"], ["", "0044"], ["", "0532"], ["", "0130"], ["", "00"],
                             ["BIC", "COBADEFF"]]),
    "kreditkarte": ("CREDIT_CARD", ["Kunde", "Kreditkarte"], [["Bob", "4111111111"], ["", "111111"]]),
    "tarjeta": ("CREDIT_CARD", ["Cliente", "Tarjeta"], [["Bob", "41111111"], ["", "11111111"]]),
    "bankverbindung": ("IBAN_CODE", ["Feld", "Wert"], [["Bankverbindung", "DE8937040044"], ["", "0532013000"]]),
}


@pytest.mark.parametrize("case", sorted(MISSES))
def test_a_value_down_a_column_its_key_or_a_foreign_header_names_is_found(engine: Any, case: str) -> None:
    entity, header, rows = MISSES[case]
    text = _table(header, rows)
    assert entity in kinds(engine, text), text


# -- the re-attack of the fixes above (same day) ---------------------------------------------

REATTACK = {
    # a card down an account column beside row numbers: read down without the account word,
    # the card found by its own check
    "card-down-an-account-column": ("CREDIT_CARD", "card on file, one group a row:\n" + _table(
        ["#", "Acct"], [["1", "4111"], ["2", "1111"], ["3", "1111"], ["4", "1111"]])),
    # a header naming an SSN that also mentions an account
    "ssn-header-mentioning-an-account": ("US_SSN", _table(["#", "SSN (acct holder)"],
                                                          [["1", "536"], ["2", "22"], ["3", "8710"]])),
    "tax-id-or-account-header": ("US_SSN", _table(["Tax ID / Account", "Seq"], [["536", "1"], ["22", "2"], ["8710", "3"]])),
    # a value continued across an account column and a quantity column (its dangling dash)
    "dashed-ssn-across-acct-and-qty": (None, _table(["Acct", "Qty"], [["536-22-", "8710"]])),
}


@pytest.mark.parametrize("case", sorted(REATTACK))
def test_the_reattack_of_the_account_rules_is_stopped(engine: Any, case: str) -> None:
    entity, text = REATTACK[case]
    found = kinds(engine, text) & STOPPING
    assert (entity in found) if entity else found, text


def test_accounts_under_one_key_of_a_long_table_are_not_one_number(engine: Any) -> None:
    text = _table(["Item", "Value", "Notes"], [["Desk", "Equities", ""], ["Account", "4417", "margin"],
                                               ["", "4418", "cash"], ["", "4419", "IRA"], ["Branch", "NYC", ""],
                                               ["Rep", "Bob", ""], ["Status", "open", ""]])
    assert not kinds(engine, text) & STOPPING, text
