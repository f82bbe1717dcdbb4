"""Issue 15, the insider pass's precision findings (false stops on broker-dealer chat),
each a class with generated phrasings, and the identifiers beside them that must still
be stopped: round sizes side by side in a 3-2-4's widths, a caller's check of an SSN's
last four and a zip code, and amounts or routing numbers keyed beside an account code."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.conftest import stopped_as

RNG = random.Random(1515)
ABAS = ["021000021", "011000015", "026009593", "121000358", "111000025", "322271627", "071000013"]


def _round_triple(rng: random.Random) -> tuple[int, int, int]:
    """Three sizes in a 3-2-4's widths, each round (what a desk splits a block into)."""
    while True:
        area = rng.randrange(20, 180) * 5
        if area != 666:
            return area, rng.randrange(1, 20) * 5, rng.randrange(1, 200) * 50


# -- round sizes, fills and allocations in exact 3-2-4 widths ------------------------------

QUANTITY_TEMPLATES = [
    "filled {a} {b} {c}", "3 lots: {a}-{b}-{c}", "split the block as {a} {b} {c}", "fills {a}, {b}, {c}",
    "legs {a}-{b}-{c} contracts", "alloc {a}-{b}-{c} across ACME/GSCO/MSFD", "bought {a} {b} {c} ESZ6",
    "sizes: {a}/{b}/{c}", "working {a} {b} {c} @ 101.25", "blocks of {a} {b} {c} for the three funds",
    "sold {a}-{b}-{c} shs across the accounts", "qty {a} {b} {c} done",
    "partials {a}-{b}-{c}, rest working", "TY tranches {a}.{b}.{c} pls confirm",
]


@pytest.mark.parametrize("template", QUANTITY_TEMPLATES)
def test_round_sizes_side_by_side_are_no_ssn(engine: Any, template: str) -> None:
    rng = random.Random(template)
    for _ in range(12):
        a, b, c = _round_triple(rng)
        text = template.format(a=a, b=f"{b:02d}", c=f"{c:04d}")
        assert not stopped_as(engine, text) & {"US_SSN", "US_ITIN"}, text


@pytest.mark.parametrize("text", [
    "client 536-22-8710", "filled 536-22-8710",  # not round: the dashed shape is an SSN's
    "3 lots: 536-22-8710", "SSN 125-50-2000", "her social 250 10 5000 for the fills",
    "client SSN 300-25-4000", "bought 100 shares for client ssn 400 20 1500",
])
def test_an_ssn_beside_trade_words_is_still_stopped(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text


def test_round_groups_with_no_trade_word_are_still_an_ssn(engine: Any) -> None:
    """Roundness alone lets nothing through: a dashed round 3-2-4 with no word of a
    desk's sizes near it stays an SSN."""
    for _ in range(20):
        a, b, c = _round_triple(RNG)
        text = f"please update the file: {a}-{b:02d}-{c:04d}"
        assert "US_SSN" in stopped_as(engine, text), text


# -- the last four of an SSN and a zip code -----------------------------------------------

ZIP_TEMPLATES = [
    "last four SSN {l4}, zip {zip}", "last four SSN {l4}, {zip} (zip)", "last four SSN {l4} - {zip} zip",
    "ssn last four {l4} and the zip is {zip}", "SSN last 4: {l4} | zip: {zip}", "SSN ending {l4}, zip code {zip}",
    "caller verified ssn last four {l4}, zip {zip}, dob on file", "SSN on file; mailing zip {zip}-{l4}",
    "last 4 ssn {l4} / {zip} is the zip", "ssn last four {l4}, postal code {zip}",
]


@pytest.mark.parametrize("template", ZIP_TEMPLATES)
def test_last_four_and_a_zip_are_no_ssn(engine: Any, template: str) -> None:
    rng = random.Random(template)
    for _ in range(12):
        text = template.format(l4=f"{rng.randrange(1, 10000):04d}", zip=f"{rng.randrange(10000, 89999):05d}")
        assert not stopped_as(engine, text) & {"US_SSN", "US_ITIN"}, text


@pytest.mark.parametrize("text", [
    "ssn first five 53622 last four 8710", "ssn ends 8710, starts 53622", "ssn last four 8710, 53622",
    "ssn: 809 29 6588 dob on file", "client SSN 536-22-8710 zip 53622", "SSN 536 22 8710 (zip 53622 on file)",
])
def test_an_ssn_given_in_pieces_beside_a_zip_is_still_stopped(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text


# -- amounts and routing numbers keyed beside an account code -----------------------------

ACCOUNT_CODE_TEMPLATES = [
    "acct=ACME gross={amt} rt={aba}", "rt={aba} acct=ACME amt={amt}", "acct=ACME gross={amt} aba={aba}",
    "acct ACME gross {amt} aba {aba}", "wire {amt} to aba {aba} acct ACME", "aba {aba} acct GSCO qty {amt}",
    '{{"acct": "ACME", "gross": {amt}, "aba": "{aba}"}}', '{{"rt": "{aba}", "acct": "ACME", "gross": {amt}}}',
    "routing {aba} ACME principal {amt}", "aba {aba} acct GSCO gross {amt} net {amt2}",
    "wire instructions: aba {aba} acct GSCO, notional {amt}, trade ref {amt2}",
    "acct ACME-CAP net {amt} rt {aba}", "{aba} rt, acct ACME", "rt:{aba} acct:ACME", "rt={aba} a/c=HF-ALPHA",
]


@pytest.mark.parametrize("template", ACCOUNT_CODE_TEMPLATES)
def test_amounts_and_routing_numbers_beside_an_account_code_are_no_account(engine: Any, template: str) -> None:
    rng = random.Random(template)
    for _ in range(10):
        text = template.format(aba=rng.choice(ABAS), amt=rng.randrange(10**6, 10**8) * 10 + rng.randrange(1, 10),
                               amt2=rng.randrange(10**6, 10**8))
        assert "US_BANK_NUMBER" not in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "acct 4829103755", "account no. 68275337 (joint)", "4829103755 is the account number", "acct_id=4829103755",
    '{"account": "4829103755", "routing": "021000021"}', "routing 021000021 account 48291037",
    "021000021 / 48291037 for the wire", "48291037 / 021000021", "ck# 4829103755 rt 021000021",
    "wire to routing 021000021 for Bob credit 483920117", "ffc J Doe 4829103755", "acct ACME 4829103755",
    "rt 021000021 acct 4829103755", "aba 021000021 account 4829103755 amount 1253750", "rt=021000021 acct=12345678",
])
def test_an_account_beside_amounts_and_codes_is_still_stopped(engine: Any, text: str) -> None:
    assert "US_BANK_NUMBER" in stopped_as(engine, text), text
