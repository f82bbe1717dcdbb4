"""Presidio recognizers for financial PII, one module per entity family.

``default_recognizers()`` is the explicit registry the detection engine starts
from (config/recognizers.yaml adds pattern/deny-list recognizers, context
words, allow-lists and firm account formats on top).
"""

from __future__ import annotations

from dlp_proxy.recognizers._common import DLPRecognizer
from dlp_proxy.recognizers.bank import (
    AccountBesideRoutingRecognizer,
    AccountNumberRecognizer,
    AlnumAccountRecognizer,
    ClabeRecognizer,
    FirmAccountRecognizer,
    RoutingAccountPairRecognizer,
    RoutingNumberRecognizer,
    SortCodeAccountRecognizer,
)
from dlp_proxy.recognizers.cards import PaymentCardRecognizer
from dlp_proxy.recognizers.contact import EmailAddressRecognizer, PhoneNumberRecognizer
from dlp_proxy.recognizers.iban import IbanCodeRecognizer
from dlp_proxy.recognizers.identity import BirthDateRecognizer, DriverLicenseRecognizer, PassportRecognizer
from dlp_proxy.recognizers.payments import MicrLineRecognizer, WireFieldRecognizer
from dlp_proxy.recognizers.securities import CusipCodeRecognizer, IsinCodeRecognizer
from dlp_proxy.recognizers.ssn import ItinRecognizer, SsnRecognizer
from dlp_proxy.recognizers.tax import EinRecognizer

__all__ = [
    "AccountBesideRoutingRecognizer",
    "AccountNumberRecognizer",
    "AlnumAccountRecognizer",
    "BirthDateRecognizer",
    "ClabeRecognizer",
    "CusipCodeRecognizer",
    "DLPRecognizer",
    "DriverLicenseRecognizer",
    "EinRecognizer",
    "EmailAddressRecognizer",
    "FirmAccountRecognizer",
    "IbanCodeRecognizer",
    "IsinCodeRecognizer",
    "ItinRecognizer",
    "MicrLineRecognizer",
    "PassportRecognizer",
    "PaymentCardRecognizer",
    "PhoneNumberRecognizer",
    "RoutingAccountPairRecognizer",
    "RoutingNumberRecognizer",
    "SortCodeAccountRecognizer",
    "SsnRecognizer",
    "WireFieldRecognizer",
    "default_recognizers",
]


def default_recognizers() -> list[DLPRecognizer]:
    routing = RoutingNumberRecognizer()
    return [
        SsnRecognizer(),
        ItinRecognizer(),
        PaymentCardRecognizer(),
        routing,
        AccountNumberRecognizer(),
        AlnumAccountRecognizer(),
        ClabeRecognizer(),
        AccountBesideRoutingRecognizer(routing),  # routing's configured context words included
        SortCodeAccountRecognizer(),
        RoutingAccountPairRecognizer(),
        MicrLineRecognizer(),
        WireFieldRecognizer(),
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
