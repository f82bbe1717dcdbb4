"""Presidio recognizers for financial PII, one module per entity family.

``default_recognizers()`` is the explicit registry the detection engine starts
from (config/recognizers.yaml adds pattern/deny-list recognizers, context
words, allow-lists and firm account formats on top).
"""

from __future__ import annotations

from recognizers._common import DLPRecognizer
from recognizers.bank import (
    AccountNumberRecognizer,
    FirmAccountRecognizer,
    RoutingAccountPairRecognizer,
    RoutingNumberRecognizer,
    SortCodeAccountRecognizer,
)
from recognizers.cards import PaymentCardRecognizer
from recognizers.contact import EmailAddressRecognizer, PhoneNumberRecognizer
from recognizers.iban import IbanCodeRecognizer
from recognizers.identity import BirthDateRecognizer, DriverLicenseRecognizer, PassportRecognizer
from recognizers.securities import CusipCodeRecognizer, IsinCodeRecognizer
from recognizers.ssn import ItinRecognizer, SsnRecognizer
from recognizers.tax import EinRecognizer

__all__ = [
    "AccountNumberRecognizer",
    "BirthDateRecognizer",
    "CusipCodeRecognizer",
    "DLPRecognizer",
    "DriverLicenseRecognizer",
    "EinRecognizer",
    "EmailAddressRecognizer",
    "FirmAccountRecognizer",
    "IbanCodeRecognizer",
    "IsinCodeRecognizer",
    "ItinRecognizer",
    "PassportRecognizer",
    "PaymentCardRecognizer",
    "PhoneNumberRecognizer",
    "RoutingAccountPairRecognizer",
    "RoutingNumberRecognizer",
    "SortCodeAccountRecognizer",
    "SsnRecognizer",
    "default_recognizers",
]


def default_recognizers() -> list[DLPRecognizer]:
    return [
        SsnRecognizer(),
        ItinRecognizer(),
        PaymentCardRecognizer(),
        RoutingNumberRecognizer(),
        AccountNumberRecognizer(),
        SortCodeAccountRecognizer(),
        RoutingAccountPairRecognizer(),
        IbanCodeRecognizer(),
        EinRecognizer(),
        PassportRecognizer(),
        DriverLicenseRecognizer(),
        BirthDateRecognizer(),
        EmailAddressRecognizer(),
        PhoneNumberRecognizer(),
        CusipCodeRecognizer(),
        IsinCodeRecognizer(),
    ]
