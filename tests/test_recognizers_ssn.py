"""US_SSN / US_ITIN recognizer tables (synthetic numbers only)."""

from __future__ import annotations

import pytest

from dlp_proxy.recognizers.ssn import ItinRecognizer, SsnRecognizer, itin_valid, ssn_valid
from tests.shown import shown

SSN = SsnRecognizer()
ITIN = ItinRecognizer()

# (text, expected [(start, end)] , min score)
SSN_CASES = [
    ("SSN 536-22-1937", [(4, 15)], 0.9),
    ("536-22-1937", [(0, 11)], 0.8),  # 3-2-4 with dashes needs no context
    ("her social is 536221937", [(14, 23)], 0.85),
    ("ss# 536 22 1937", [(4, 15)], 0.9),
    ("Taxpayer ID 536.22.1937 on file", [(12, 23)], 0.9),
    ("5 3 6 2 2 1 9 3 7", [(0, 17)], 0.6),  # spaced out digit by digit
    ("SSN 536-22-l937", [(4, 15)], 0.9),  # look-alike l for 1
    ("ssn 536\n22\n1937", [(4, 15)], 0.9),
]
SSN_NEGATIVE = [
    "536221937",  # bare nine digits without context
    "order 536221937 shipped",
    "000-22-1937",  # area 000
    "666-22-1937",  # area 666
    "912-70-3456",  # 9XX is never an SSN
    "536-00-1937",  # group 00
    "536-22-0000",  # serial 0000
    "078-05-1120",  # Woolworth specimen
    "123-45-6789",  # advertising specimen
    "111-11-1111",
    "SSN 5362219370",  # ten digits
    "call 536 22 1937 4",
    "Can you send me the SSN through the portal?",
    "invoice INV536221937",  # glued to letters
]


@pytest.mark.parametrize(("text", "spans", "score"), SSN_CASES)
def test_ssn_positive(text: str, spans: list[tuple[int, int]], score: float) -> None:
    res = SSN.analyze(text, [])
    assert [(r.start, r.end) for r in res] == spans
    assert all(r.score >= score for r in res)
    assert all(r.entity_type == "US_SSN" for r in res)


@pytest.mark.parametrize("text", SSN_NEGATIVE)
def test_ssn_negative(text: str) -> None:
    assert SSN.analyze(text, []) == []


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("536221937", True), ("001010001", True), ("899999999", True), ("900221937", False), ("666221937", False),
     ("000221937", False), ("536001937", False), ("536220000", False), ("219099999", False), ("457555462", False)],
)
def test_ssn_valid(digits: str, ok: bool) -> None:
    assert ssn_valid(digits) is ok


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("912703456", True), ("950503456", True), ("999993456", True), ("912923456", True), ("912933456", False),
     ("912493456", False), ("912893456", False), ("536703456", False), ("912700000", False)],
)
def test_itin_valid(digits: str, ok: bool) -> None:
    assert itin_valid(digits) is ok


@pytest.mark.parametrize(
    ("text", "found"),
    [("ITIN 912-70-3456", True), ("912-70-3456", True), ("itin: 912703456", True), ("912703456", False),
     ("912-40-3456", False), ("ref 912-93-3456", False)],
)
def test_itin(text: str, found: bool) -> None:
    assert bool(ITIN.analyze(text, [])) is found


def test_explanation_never_has_value() -> None:
    (r,) = SSN.analyze("SSN 536-22-1937", [])
    expl = r.analysis_explanation.textual_explanation
    assert "1937" not in shown(expl) and "536" not in shown(expl)
    assert "context='ssn'" in expl
