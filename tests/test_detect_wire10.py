"""Attack pass 10d (F13, P4, F7, F16, F8), each as a class:

- bank details as a wire desk writes them: the account before the routing number
  ("4829103755 / 021000021", "... @ 021000021", "... rt 021000021", "... via 021000021"),
  a bank's desk abbreviation beside a pair ("JPM 021000021 4829103755"), and the desk's
  field abbreviations (``chk``, ``sav``, ``ffc``, ``fbo``, ``bene``: recognizers/bank.py
  ``DESK_ACCOUNT``), which name only the number right after them;
- a nine-digit number with a CUSIP check digit beside securities words (restricted list,
  stocks, positions) is a security, not an account (``SECURITIES_WORDS``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlp_proxy.detect import Engine, build_detector
from tests.conftest import Gateway, assert_post_stopped

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = {"US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)} & STOPPING


WIRES = [
    "ck# 4829103755 rt 021000021",
    "4829103755 / 021000021",
    "wire: 4829103755 @ 021000021 JPMC",
    "JPM 021000021 4829103755 J Doe",
    "for credit to J Doe 4829103755 via 021000021",
    "acct 4829103755 aba 021000021",
    "4829103755 routing no. 021000021",
    "4829-1037-55 / 021000021",
    "ffc 4829103755",
    "FFC: J Doe 4829103755",
    "chk 4829103755",
    "chk# 4829103755",
    "sav 4829103755",
    "sav acct no. 4829103755",
    "fbo Jane Roe 4829103755",
    "bene 4829103755",
]


@pytest.mark.parametrize("text", WIRES)
def test_wire_details_as_the_desk_writes_them(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" in _stops(engine, text)


WIRE_NEGATIVES = [
    "chk the 4829103755 ticket",
    "chk ticket 4829103755",
    "chk build 4829103755 passed",
    "sav file 4829103755.txt",
    "sav 20% on fees this quarter, chk 2025 numbers",
    "rt if you agree 021000021",
    "order 4829103755 / 021000021",
    "ticket 4829103755 / 021000021",
    "bot 4829103755 @ 021000021",
    "sold 1250000 @ 021000021",
    "build 20240115 / 021000021",
    "2125550143 / 021000021 call me",
    "the ratio 1234567 / 987654321",
    "10000000 / 021000021",
    "downloads: 4829103 / 021000021",
    "case 4829103 via 021000021",
    "merged PR 4829103 via commit 021000021",
    "fbo the 2024 plan, 500 people",
    "bene 2024 report",
    "ffc meeting at 10",
    # P4: numeric CUSIPs (valid check digit) beside securities words
    "bank desk: 459200101 and 037833100 on the restricted list",
    "bank stocks on watch: 060505104 (BAC), 949746101 (WFC)",
    "bank names restricted: 459200101",
    "account 7 position 459200101 500 shs",
    "custody holds 037833100 for the fund",
]


@pytest.mark.parametrize("text", WIRE_NEGATIVES)
def test_wire_hard_negatives_stay_clean(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)


def test_an_account_label_beside_a_cusip_shaped_account_still_names_it(engine: Engine) -> None:
    # the exemption is for numbers the label does not touch
    assert "US_BANK_NUMBER" in _stops(engine, "account 459200101 on the restricted list")


@pytest.mark.parametrize("message", ["ck# 4829103755 rt 021000021", "4829103755 / 021000021", "ffc 4829103755"])
def test_gateway_stops_wire_details(gateway: Gateway, message: str) -> None:
    assert_post_stopped(gateway, message)
