"""US_EIN, US_PASSPORT, US_DRIVER_LICENSE, DATE_OF_BIRTH: context-gated."""

from __future__ import annotations

import pytest

from dlp_proxy.recognizers.identity import BirthDateRecognizer, DriverLicenseRecognizer, PassportRecognizer
from dlp_proxy.recognizers.tax import EinRecognizer

CASES = [
    (EinRecognizer(), "EIN 12-3456789", True),
    (EinRecognizer(), "FEIN: 943456789", True),
    (EinRecognizer(), "12-3456789", False),
    (EinRecognizer(), "EIN 07-3456789", False),  # 07 is not an IRS prefix
    (EinRecognizer(), "EIN 123-45-6789", False),  # SSN shape is not an EIN
    (PassportRecognizer(), "passport no. 912345678", True),
    (PassportRecognizer(), "Passport C12345678", True),
    (PassportRecognizer(), "912345678", False),
    (PassportRecognizer(), "passport photo due 2026", False),
    (DriverLicenseRecognizer(), "driver's license D1234567", True),
    (DriverLicenseRecognizer(), "DL# S12345678", True),
    (DriverLicenseRecognizer(), "D1234567", False),
    (DriverLicenseRecognizer(), "license key ABC", False),
    (BirthDateRecognizer(), "DOB 04/12/1987", True),
    (BirthDateRecognizer(), "born March 5, 1961", True),
    (BirthDateRecognizer(), "date of birth: 1987-04-12", True),
    (BirthDateRecognizer(), "meeting 04/12/2026", False),
    (BirthDateRecognizer(), "DOB 13/45/1987", False),  # not a date
    (BirthDateRecognizer(), "born 04/12/2199", False),  # in the future
]


@pytest.mark.parametrize(("rec", "text", "found"), CASES)
def test_identity(rec: object, text: str, found: bool) -> None:
    assert bool(rec.analyze(text, [])) is found  # type: ignore[attr-defined]
