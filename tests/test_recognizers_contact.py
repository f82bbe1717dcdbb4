from __future__ import annotations

import pytest

from dlp_proxy.recognizers.contact import EmailAddressRecognizer, PhoneNumberRecognizer
from dlp_proxy.recognizers.securities import CusipCodeRecognizer, IsinCodeRecognizer, cusip_valid, isin_valid


@pytest.mark.parametrize(
    ("text", "n"),
    [("mail a.lee+ops@firm.example.com", 1), ("x@y", 0), ("a..b@example.com", 0), ("john_doe@example.org, k@ex.io", 2)],
)
def test_email(text: str, n: int) -> None:
    assert len(EmailAddressRecognizer().analyze(text, [])) == n


@pytest.mark.parametrize(
    ("text", "n"),
    [("call (212) 555-0143", 1), ("212-555-0143", 1), ("+1 212 555 0143", 1), ("phone 2125550143", 1),
     ("2125550143", 0), ("112-555-0143", 0), ("+44 20 7946 0958", 1), ("v1.2.3", 0)],
)
def test_phone(text: str, n: int) -> None:
    assert len(PhoneNumberRecognizer().analyze(text, [])) == n


@pytest.mark.parametrize(
    ("value", "ok"), [("037833100", True), ("38259P508", True), ("912828YK0", True), ("037833101", False)]
)
def test_cusip_valid(value: str, ok: bool) -> None:
    assert cusip_valid(value) is ok


@pytest.mark.parametrize(("value", "ok"), [("US0378331005", True), ("US5949181045", True), ("US0378331006", False)])
def test_isin_valid(value: str, ok: bool) -> None:
    assert isin_valid(value) is ok


def test_cusip_digits_need_context() -> None:
    assert CusipCodeRecognizer().analyze("CUSIP 037833100", [])
    assert not CusipCodeRecognizer().analyze("ref 037833100", [])
    assert CusipCodeRecognizer().analyze("ref 38259P508", [])
    assert IsinCodeRecognizer().analyze("ISIN US0378331005", [])
