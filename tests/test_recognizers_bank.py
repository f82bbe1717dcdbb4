"""ABA_ROUTING_NUMBER, US_BANK_NUMBER and firm account formats."""

from __future__ import annotations

import pytest

from dlp_proxy.recognizers.bank import (
    AccountNumberRecognizer,
    FirmAccountRecognizer,
    RoutingNumberRecognizer,
    aba_valid,
)

ABA = RoutingNumberRecognizer()
BANK = AccountNumberRecognizer()


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("011000015", True), ("026009593", True), ("021000021", True), ("322271627", True), ("800000080", True), ("800000081", False),
     ("011000016", False), ("131000015", False), ("511000015", False), ("000000000", False)],
)
def test_aba_valid(digits: str, ok: bool) -> None:
    assert aba_valid(digits) is ok


@pytest.mark.parametrize(
    ("text", "found"),
    [("routing 011000015", True), ("ABA: 026009593", True), ("RTN 0260-09593", True), ("wire routing #021000021", True),
     ("011000015", False), ("order 011000015", False), ("routing 011000016", False), ("routing 011000015 ticket", True)],
)
def test_aba(text: str, found: bool) -> None:
    assert bool(ABA.analyze(text, [])) is found


BANK_POSITIVE = [
    "acct 0049381726",
    "Account number: 0049381726",
    "a/c 0049381726",
    "brokerage account 8830-1192-77",
    "my account is 0049381726",
    "deposit to account 0049381726 please",
    "0049381726 is the account number",
    "acct#77310028394821",
    "checking: 4402198837",
]
BANK_NEGATIVE = [
    "0049381726",
    "the account grew to 1500000 this year",
    "account value 2485533 at close",
    "call the account desk at 212-555-0143",
    "account review on 11/24/2026",
    "account balance $1234567",
    "acct 0049381726 shares",
    "order 0049381726 for the account",
    "account 4821",  # too short
    "acct 10000000",  # round amount
    "accounts opened: 12, AUM 48830119",
]


@pytest.mark.parametrize("text", BANK_POSITIVE)
def test_bank_positive(text: str) -> None:
    res = BANK.analyze(text, [])
    assert len(res) == 1 and res[0].entity_type == "US_BANK_NUMBER"


@pytest.mark.parametrize("text", BANK_NEGATIVE)
def test_bank_negative(text: str) -> None:
    assert BANK.analyze(text, []) == []


def test_firm_formats() -> None:
    rec = FirmAccountRecognizer(
        [{"name": "bd", "regex": r"\b[A-Z]{2}[0-9]{3}-[0-9]{5}\b", "score": 0.9},
         {"name": "legacy", "regex": r"\b5[A-Z][0-9]{6}\b", "context_required": True}]
    )
    assert [r.start for r in rec.analyze("use AB123-45678 now", [])] == [4]
    assert rec.analyze("code 5K123456", []) == []
    assert len(rec.analyze("acct 5K123456", [])) == 1
    with pytest.raises(ValueError, match=r"account_formats\[0\]"):
        FirmAccountRecognizer([{"name": "bad", "regex": "("}])
