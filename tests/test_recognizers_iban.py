from __future__ import annotations

import pytest

from dlp_proxy.recognizers.iban import IbanCodeRecognizer, iban_valid

IBAN = IbanCodeRecognizer()


@pytest.mark.parametrize(
    "text",
    ["GB33BUKB20201555555555", "GB33 BUKB 2020 1555 5555 55", "fr14 2004 1010 0505 0001 3m02 606",
     "DE89370400440532013000", "NO9386011117947", "CH9300762011623852957"],
)
def test_iban_positive(text: str) -> None:
    res = IBAN.analyze(f"wire to {text} please", [])
    assert len(res) == 1
    assert (res[0].start, res[0].end) == (8, 8 + len(text))


@pytest.mark.parametrize(
    "text",
    ["GB34BUKB20201555555555", "DE8937040044053201300", "US0378331005", "XX89370400440532013000",
     "DE89370400440532013000XYZ", "GB33 BUKB 2020 1555 5555"],  # XYZ: three letters glued (one or two are read past)
)
def test_iban_negative(text: str) -> None:
    assert IBAN.analyze(f"ref {text}", []) == []


def test_iban_valid() -> None:
    assert iban_valid("GB33BUKB20201555555555")
    assert not iban_valid("GB33BUKB2020155555555")
