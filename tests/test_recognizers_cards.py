"""CREDIT_CARD recognizer table: Luhn, issuer ranges, groupings."""

from __future__ import annotations

import pytest

from dlp_proxy.recognizers.cards import PaymentCardRecognizer, card_valid

CARD = PaymentCardRecognizer()

POSITIVE = [
    ("4532015112830366", "visa"),
    ("4532 0151 1283 0366", "visa"),
    ("4532-0151-1283-0366", "visa"),
    ("4222222222222", "visa"),  # 13 digits
    ("5425233430109903", "mastercard"),
    ("2223000048410010", "mastercard"),  # 2-series
    ("3714 496353 98431", "amex"),
    ("6011000990139424", "discover"),
    ("3530111333300000", "jcb"),
    ("3056 930902 5904", "diners"),
    ("6212 3456 7890 1265", "unionpay"),
    ("6221 2600 0000 0000 001", "discover"),
]


@pytest.mark.parametrize(("text", "brand"), POSITIVE)
def test_card_positive(text: str, brand: str) -> None:
    digits = "".join(c for c in text if c.isdigit())
    assert card_valid(digits) is not None
    res = CARD.analyze(f"pay with {text} today", [])
    assert len(res) == 1 and res[0].score >= 0.95
    assert (res[0].start, res[0].end) == (9, 9 + len(text))
    assert brand in res[0].analysis_explanation.textual_explanation


@pytest.mark.parametrize(
    "text",
    [
        "4532015112830367",  # Luhn fails
        "4532 0151 1283 0367",
        "1234567812345670",  # Luhn ok, no issuer starts with 1
        "9999 9999 9999 9995",
        "4444444444444444",
        "45320 1511 28303 66",  # odd grouping, no card word
        "order 4532-0151-1283-03661",  # 17 digits grouped: not a 16-digit card
        "ver4532015112830366",  # three letters glued: a prefix (one or two are read past: test_detect_glued_letters)
    ],
)
def test_card_negative(text: str) -> None:
    assert CARD.analyze(text, []) == []


def test_odd_grouping_with_context() -> None:
    assert CARD.analyze("card 45320 1511 28303 66", [])
    assert CARD.analyze("card 4 5 3 2 0 1 5 1 1 2 8 3 0 3 6 6", [])


def test_lookalikes_must_validate() -> None:
    assert CARD.analyze("4532 O151 l283 O366", [])  # validates after O->0, l->1
    assert not CARD.analyze("4532 O151 l283 O367", [])
