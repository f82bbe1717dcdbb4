"""Attack pass 10d (F13, P4, F7, F16, F8), each as a class:

- bank details as a wire desk writes them: the account before the routing number
  ("4829103755 / 021000021", "... @ 021000021", "... rt 021000021", "... via 021000021"),
  a bank's desk abbreviation beside a pair ("JPM 021000021 4829103755"), and the desk's
  field abbreviations (``chk``, ``sav``, ``ffc``, ``fbo``, ``bene``: recognizers/bank.py
  ``DESK_ACCOUNT``), which name only the number right after them;
- a nine-digit number with a CUSIP check digit beside securities words (restricted list,
  stocks, positions) is a security, not an account (``SECURITIES_WORDS``);
- a labelled number in scientific notation with a full-precision mantissa, as a spreadsheet
  shows a long cell, is its digits (``normalize._scientific``);
- a digit group written once with a count ("4111 followed by 1111 three times": ``normalize._repeated``);
- a digit group written once with a count ("4111 followed by 1111 three times":
  ``normalize._repeated``);
- digits spoken over the phone after a label: ICAO forms (wun, tree, fower, fife, niner),
  homophones (won, to, too, for, ate) and ASCII Roman numerals one per digit, only in a run
  of an identifier's length (``words.spoken_digit_edits``).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine
from dlp_proxy.detect.words import spoken_digit_edits
from tests.conftest import Gateway, assert_post_stopped, stopped_as

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
    assert "US_BANK_NUMBER" in stopped_as(engine, text)


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
    assert not stopped_as(engine, text)


def test_an_account_label_beside_a_cusip_shaped_account_still_names_it(engine: Engine) -> None:
    # the exemption is for numbers the label does not touch
    assert "US_BANK_NUMBER" in stopped_as(engine, "account 459200101 on the restricted list")


@pytest.mark.parametrize("message", ["ck# 4829103755 rt 021000021", "4829103755 / 021000021", "ffc 4829103755"])
def test_gateway_stops_wire_details(gateway: Gateway, message: str) -> None:
    assert_post_stopped(gateway, message)


# F7: scientific notation, as a spreadsheet shows a long cell (detect/normalize.py ``_scientific``)
@pytest.mark.parametrize(("text", "entity"), [
    ("card 4.111111111111111e15", "CREDIT_CARD"),
    ("card 4.111111111111111E+15", "CREDIT_CARD"),
    ("SSN 5.3622123e8", "US_SSN"),
    ("SSN 536.221.234e0", "US_SSN"),
])
def test_scientific_notation_of_a_labelled_number(engine: Engine, text: str, entity: str) -> None:
    assert entity in stopped_as(engine, text)


@pytest.mark.parametrize("text", [
    "SSN 5.36e8",  # an approximation, no identifier
    "card 1.5e15 in revenue",
    "the ssn table has 1.23456789e12 rows",
    "4.111111111111111e15",  # no label
    "avogadro 6.02214076e23",
    "ssn growth 5.3622123e-8",
])
def test_scientific_notation_negatives(engine: Engine, text: str) -> None:
    assert not stopped_as(engine, text)


# F16, F8: digits spoken over the phone in a labelled run (detect/words.py ``spoken_digit_edits``)
@pytest.mark.parametrize(("text", "entity"), [
    ("ssn fife tree six two two wun two tree fower", "US_SSN"),
    ("ssn five tree six too too won too tree for", "US_SSN"),
    ("SSN: fife zee-ro ait, six two, wun two tree niner", "US_SSN"),
    ("card fower wun wun wun, wun wun wun wun, wun wun wun wun, wun wun wun wun", "CREDIT_CARD"),
    ("SSN V III VI II II I II III IV", "US_SSN"),
])
def test_spoken_digits_in_a_labelled_run(engine: Engine, text: str, entity: str) -> None:
    assert entity in stopped_as(engine, text)


@pytest.mark.parametrize("text", [
    "ssn: I want to go to the store for a while, too",
    "card for you to sign, too: won it for the team and ate too much",
    "ssn to to to for for for too too won",  # homophones alone are words
    "account chapters I II III IV V VI VII VIII IX",  # an enumeration
    "I went to the tree for two hours, won one too",
    "fife tree six two two wun two tree fower",  # no label
    "card: section V III and VI",
])
def test_spoken_digit_negatives(engine: Engine, text: str) -> None:
    assert not stopped_as(engine, text)


_ENGLISH = ("i", "you", "we", "the", "a", "went", "want", "go", "store", "team", "sign", "it", "is", "was", "back",
            "then", "and", "or", "in", "on", "at", "of", "my", "your", "ssn", "card", "account", "routing", "SSN",
            "I", "V", "X", "ok", "won", "to", "too", "for", "fore", "ate", "tree", ",", "-", "/")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_ENGLISH), min_size=1, max_size=40))
def test_homophones_alone_never_make_a_number(engine: Engine, words: list[str]) -> None:
    """English sentences with to/too/for/won/ate/tree (even next to a label) make no digit."""
    text = " ".join(words)
    assert spoken_digit_edits(text) == []
    assert not stopped_as(engine, text)


# F16: a digit group written once with a count (detect/normalize.py ``_repeated``)
@pytest.mark.parametrize(("text", "entity"), [
    ("card: 4111 followed by 1111 three times", "CREDIT_CARD"),
    ("card 4111, then 1111 3 times", "CREDIT_CARD"),
])
def test_repeated_group_of_a_labelled_number(engine: Engine, text: str, entity: str) -> None:
    assert entity in stopped_as(engine, text)


@pytest.mark.parametrize("text", [
    "card 4111 x4",  # 4111411141114111 fails the Luhn check: no card
    "ordered 4111 x4 boxes",  # no label
    "card games x4 tonight",
    "card 12 x3",
    "ssn table 1000 x4 rows",
    "ping 1111 three times then 4111 twice",
])
def test_repeated_group_negatives(engine: Engine, text: str) -> None:
    assert not stopped_as(engine, text)
