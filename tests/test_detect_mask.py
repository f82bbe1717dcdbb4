from __future__ import annotations

import pytest

from dlp_proxy.detect import mask


@pytest.mark.parametrize(
    ("entity", "value", "masked"),
    [
        ("US_SSN", "536-22-6789", "***-**-6789"),
        ("US_SSN", "５３６２２６７８９", "***-**-6789"),
        ("US_ITIN", "912 70 3456", "***-**-3456"),
        ("CREDIT_CARD", "4111-1111-1111-1111", "**** **** **** 1111"),
        ("US_BANK_NUMBER", "0049384321", "******4321"),
        ("ABA_ROUTING_NUMBER", "011000015", "*****0015"),
        ("US_BANK_NUMBER", "12345", "*****"),
        ("IBAN_CODE", "GB33 BUKB 2020 1555 5555 55", "GB****************5555"),
        ("EMAIL_ADDRESS", "jane@example.com", "j***@example.com"),
        ("US_PASSPORT", "912345678", "*********"),
    ],
)
def test_mask(entity: str, value: str, masked: str) -> None:
    assert mask(entity, value) == masked
