"""Presidio recognizers for financial PII, one module per entity family.

``default_recognizers()`` is the explicit registry the detection engine starts
from (config/recognizers.yaml adds pattern/deny-list recognizers, context
words, allow-lists and firm account formats on top).
"""

from __future__ import annotations

from recognizers._common import DLPRecognizer
from recognizers.bank import AbaRoutingRecognizer, FirmAccountRecognizer, UsBankNumberRecognizer
from recognizers.cards import CreditCardRecognizer
from recognizers.contact import EmailRecognizer, PhoneRecognizer
from recognizers.iban import IbanRecognizer
from recognizers.identity import DateOfBirthRecognizer, UsDriverLicenseRecognizer, UsPassportRecognizer
from recognizers.securities import CusipRecognizer, IsinRecognizer
from recognizers.ssn import UsItinRecognizer, UsSsnRecognizer
from recognizers.tax import UsEinRecognizer

__all__ = [
    "AbaRoutingRecognizer",
    "CreditCardRecognizer",
    "CusipRecognizer",
    "DLPRecognizer",
    "DateOfBirthRecognizer",
    "EmailRecognizer",
    "FirmAccountRecognizer",
    "IbanRecognizer",
    "IsinRecognizer",
    "PhoneRecognizer",
    "UsBankNumberRecognizer",
    "UsDriverLicenseRecognizer",
    "UsEinRecognizer",
    "UsItinRecognizer",
    "UsPassportRecognizer",
    "UsSsnRecognizer",
    "default_recognizers",
]


def default_recognizers() -> list[DLPRecognizer]:
    return [
        UsSsnRecognizer(),
        UsItinRecognizer(),
        CreditCardRecognizer(),
        AbaRoutingRecognizer(),
        UsBankNumberRecognizer(),
        IbanRecognizer(),
        UsEinRecognizer(),
        UsPassportRecognizer(),
        UsDriverLicenseRecognizer(),
        DateOfBirthRecognizer(),
        EmailRecognizer(),
        PhoneRecognizer(),
        CusipRecognizer(),
        IsinRecognizer(),
    ]
