"""Attack pass 12d's false stops (precision), each a class with generated phrasings, and
the identifiers next to them that must still be stopped."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.conftest import stopped_as

RNG = random.Random(12)


def _ein() -> str:
    return f"{RNG.choice([12, 20, 27, 45, 46, 84, 86, 87, 91, 93])}-{RNG.randrange(10**6, 10**7)}"


# -- B8: W-9 talk names SSN and EIN together; the 2-7 grouping is the EIN's ---------------

EIN_WITH_SSN_WORD = [
    "W-9 received: SSN/EIN field = {ein} (Acme LLC)",
    "SSN or EIN: {ein} (corporation)",
    "entity has no SSN, EIN {ein}",
    "TIN type: EIN (not SSN) {ein}",
    "W-9: TIN (SSN or EIN) {ein}",
    "Acme Capital LLC, tax id {ein}; the managing member's SSN is on file separately",
    "B-notice: TIN {ein} mismatch, entity not SSN",
    "for the trust use the EIN {ein}, not the grantor's SSN",
    "name,SSN/EIN\nAcme LLC,{ein}\nBeta Partners LP,{ein}",
]


@pytest.mark.parametrize("template", EIN_WITH_SSN_WORD)
def test_an_ein_beside_an_ssn_word_is_no_ssn(engine: Any, template: str) -> None:
    for _ in range(8):
        text = template.replace("{ein}", _ein(), 1).replace("{ein}", _ein())
        assert not stopped_as(engine, text) & {"US_SSN", "US_ITIN"}, text


@pytest.mark.parametrize("text", [
    "SSN 53-6228710", "her ssn is 53-6228710", "SSN: 53-6228710, not the EIN", "tax id 78-4256078 (her SSN)",
    "tax id 76-3669936 (the client SSN)", "client SSN 536-22-8710 and the LLC's EIN 12-7760308",
])
def test_a_person_s_number_in_ein_form_under_its_own_label_is_stopped(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text
