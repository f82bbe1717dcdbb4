"""US_EIN, US_PASSPORT, US_DRIVER_LICENSE, DATE_OF_BIRTH: context-gated."""

from __future__ import annotations

import pytest

from recognizers.identity import DateOfBirthRecognizer, UsDriverLicenseRecognizer, UsPassportRecognizer
from recognizers.tax import UsEinRecognizer

CASES = [
    (UsEinRecognizer(), "EIN 12-3456789", True),
    (UsEinRecognizer(), "FEIN: 943456789", True),
    (UsEinRecognizer(), "12-3456789", False),
    (UsEinRecognizer(), "EIN 07-3456789", False),  # 07 is not an IRS prefix
    (UsEinRecognizer(), "EIN 123-45-6789", False),  # SSN shape is not an EIN
    (UsPassportRecognizer(), "passport no. 912345678", True),
    (UsPassportRecognizer(), "Passport C12345678", True),
    (UsPassportRecognizer(), "912345678", False),
    (UsPassportRecognizer(), "passport photo due 2026", False),
    (UsDriverLicenseRecognizer(), "driver's license D1234567", True),
    (UsDriverLicenseRecognizer(), "DL# S12345678", True),
    (UsDriverLicenseRecognizer(), "D1234567", False),
    (UsDriverLicenseRecognizer(), "license key ABC", False),
    (DateOfBirthRecognizer(), "DOB 04/12/1987", True),
    (DateOfBirthRecognizer(), "born March 5, 1961", True),
    (DateOfBirthRecognizer(), "date of birth: 1987-04-12", True),
    (DateOfBirthRecognizer(), "meeting 04/12/2026", False),
    (DateOfBirthRecognizer(), "DOB 13/45/1987", False),  # not a date
    (DateOfBirthRecognizer(), "born 04/12/2199", False),  # in the future
]


@pytest.mark.parametrize(("rec", "text", "found"), CASES)
def test_identity(rec: object, text: str, found: bool) -> None:
    assert bool(rec.analyze(text, [])) is found  # type: ignore[attr-defined]
