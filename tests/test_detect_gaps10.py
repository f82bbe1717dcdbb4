"""Attack pass 10 evasions, each as a class (detect/normalize.py, structure.py, recognizers):

- leet-spelled identifier labels (``S5N``, ``$SN``, ``@cct``, ``r0uting``, ``1BAN``) read as
  the label (``normalize._leet_labels``), so a bare number that needs context is judged with it;
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = {"US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)} & STOPPING


@pytest.mark.parametrize(("text", "entity"), [
    ("S5N 536228710", "US_SSN"),
    ("$SN 536228710", "US_SSN"),
    ("55N: 536228710", "US_SSN"),
    ("my $0c1al 5ecur1ty is 536228710", "US_SSN"),
    ("@cct 12345678901", "US_BANK_NUMBER"),
    ("4cct no 12345678901", "US_BANK_NUMBER"),
    ("r0uting 021000021", "ABA_ROUTING_NUMBER"),
    ("r0u71ng 021000021", "ABA_ROUTING_NUMBER"),
])
def test_leet_label_gives_context(engine: Engine, text: str, entity: str) -> None:
    assert entity in _stops(engine, text)


def test_leet_label_folds_only_the_label() -> None:
    n = normalize("S5N 536228710 and $$N")
    assert n.text == "SsN 536228710 and ssN"
    assert "leet-labels" in n.transforms_in(0, 3)


@pytest.mark.parametrize("text", [
    "484 536228710",  # digits alone are no label
    "ab1 536228710",
    "t3st run 536228710",
    "5sn 4 u: see build 536228710",
    "the 4cc3ss log 536228710",
])
def test_leet_hard_negatives(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)


# -- accounts with letters, CLABE -------------------------------------------------


@pytest.mark.parametrize("text", [
    "brokerage account ABC123456",
    "acct 5KX12345 for the transfer",
    "please credit account 12345678AB today",
    "Acct#: XY1234567",
    "clabe 002180012345678906",
    "transferencia SPEI a la CLABE 012 180 01234567890 9",
    "002180012345678906",
])
def test_accounts_with_letters_and_clabe(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" in _stops(engine, text)


@pytest.mark.parametrize("text", [
    "account locked, ticket INC0012345",
    "account upgraded to v12345",
    "account holds 037833100 shares",  # a CUSIP
    "account team shipped build AB123456",
    "clabe 002180012345678907",  # wrong check digit
    "order 002180012345678906 shipped",  # an order label: no context, and labelled
    "the account page, see ABC123",  # too few digits
])
def test_accounts_hard_negatives(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" not in _stops(engine, text)


def test_clabe_check_digit() -> None:
    from recognizers.bank import clabe_valid
    assert clabe_valid("002010077777777771")
    assert not clabe_valid("002010077777777772")
