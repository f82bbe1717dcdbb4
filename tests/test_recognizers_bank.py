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


# ---------------------------------------------------------------- an account beside a routing number

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from dlp_proxy.recognizers.bank import AccountBesideRoutingRecognizer  # noqa: E402

BESIDE = AccountBesideRoutingRecognizer(ABA)
_PROSE = ["the settlement desk confirmed", "the trade booked fine today", "thanks", "see the ticket",
          "Bob asked twice", "per the client's letter", "\n", "- ops"]


def _beside(text: str) -> list[str]:
    return [text[r.start:r.end] for r in BESIDE.analyze(text, [])]


@pytest.mark.parametrize(("text", "accounts"), [
    ("wire to routing 021000021 for Bob. credit 483920117", ["483920117"]),
    ("ABA 026009593 ... further credit 0049381726 please", ["0049381726"]),
    ("routing 021000021 and the other one 8830-1192-77", ["8830-1192-77"]),
    # numbers that are something else
    ("Chase routing is 021000021, call 2125550143", []),
    ("routing 021000021 settles 20241204", []),
    ("routing 021000021 fee of 125000", []),
    ("routing 021000021 bought 25,676 323268169 @ 102", []),
    ("routing 021000021 paid $4839201", []),
    ("routing 021000021 EIN 94-6350073", []),
    # no routing number (no routing word, or not ABA-valid): nothing
    ("order 021000021 credit 483920117", []),
    ("routing 021000022 credit 483920117", []),
])
def test_an_account_beside_a_routing_number(text: str, accounts: list[str]) -> None:
    assert _beside(text) == accounts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_PROSE), max_size=60), st.sampled_from(["credit", "for", "to", "->", ""]),
       st.booleans())
def test_property_a_routing_and_an_account_anywhere_in_one_text_are_both_found(prose: list[str], word: str,
                                                                                account_first: bool) -> None:
    """However far apart (attack pass 6, C4: 250 characters was the policy's reach)."""
    from dlp_proxy.detect import build_detector

    detector = _DETECTOR[0] if _DETECTOR else _DETECTOR.append(build_detector(None, ner=False)) or _DETECTOR[0]
    routing, account = "wire to routing 021000021", f"{word} 483920117".strip()
    parts = [account, *prose, routing] if account_first else [routing, *prose, account]
    found = {f.entity_type for f in detector.analyze(" ".join(parts))}
    assert {"ABA_ROUTING_NUMBER", "US_BANK_NUMBER"} <= found


_DETECTOR: list = []
