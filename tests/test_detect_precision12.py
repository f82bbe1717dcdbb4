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


# -- B1: long numeric order/exec/trade ids that pass a card's checksum --------------------


def _card_like(n: int, rng: random.Random) -> str:
    """A Luhn- and issuer-valid digit run of length ``n`` (what one id in ten looks like)."""
    from dlp_proxy.recognizers.cards import card_valid

    while True:
        d = rng.choice("3456") + "".join(rng.choice("0123456789") for _ in range(n - 1))
        if card_valid(d):
            return d


#: texts holding several ids named by their labels, one of them (``{v}``) passing a card's
#: checks, the others (``{x}``) not: the ids are ids
ID_PLACES = [
    "ExecID {v} filled, ExecID {x} rejected", "order id {v} rejected; order id: {x} ok",
    "cl_ord_id={v} orig_cl_ord_id={x} status=NEW", "trade ref {v} replaces trade ref {x}",
    "GET /api/v1/orders/{v} 200\nGET /api/v1/orders/{x} 404", "8=FIX.4.4|9=120|35=8|11={x}|17={v}|37={x}|55=IBM|10=123|",
    "8=FIX.4.2\x0135=D\x0111={v}\x0141={x}\x0155=MSFT\x01", "TradeID={v} ParentID={x}",
]


def _not_card(n: int, rng: random.Random) -> str:
    from dlp_proxy.recognizers.cards import card_valid

    while True:
        d = "".join(rng.choice("0123456789") for _ in range(n))
        if d[0] != "0" and not card_valid(d):
            return d


@pytest.mark.parametrize("template", ID_PLACES)
def test_ids_named_by_their_labels_are_no_cards(engine: Any, template: str) -> None:
    rng = random.Random(template)
    for n in (13, 15, 16, 19):
        text = template.format(v=_card_like(n, rng), x=_not_card(n, rng))
        assert "CREDIT_CARD" not in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "card ref 4532015112830366", "pls charge ref 4532015112830366 exp 11/27 cvv 123", "ref 4532015112830366",
    "credit card order id 4532015112830366", "ExecID 4532015112830366 filled",
    "order id 4532015112830366 and order id 5398228707871527",
])
def test_a_label_alone_does_not_make_a_card_an_id(engine: Any, text: str) -> None:
    """Attack 13 F1: a label before a card let it through; only other ids beside it that
    fail a card's checks (what random ids do 24 times in 25) say the label names ids."""
    assert "CREDIT_CARD" in stopped_as(engine, text), text


def test_an_execution_export_with_numeric_ids_is_clean(engine: Any) -> None:
    """Random 16 and 19 digit ids (attack 12d C1: a 200 KB export was blocked), every
    tenth row's ids made to pass a card's checks."""
    rng = random.Random(5)

    def ids(n: int, i: int) -> str:
        return _card_like(n, rng) if i % 10 == 0 else _not_card(n, rng)

    rows = ["ts,cl_ord_id,order_id,exec_id,symbol,side,qty,px"] + [
        f"2026-12-04T13:{i:02d}:00Z,{ids(16, i)},{ids(16, i)},{ids(19, i)},AAPL,B,"
        f"{rng.randrange(100, 5000)},{rng.randrange(100, 300)}.25" for i in range(40)]
    assert not stopped_as(engine, "\n".join(rows))


@pytest.mark.parametrize("text", [
    "4111111111111111", "card 4111111111111111", "pay with 4111111111111111 ok", "order id 4111 1111 1111 1111",
    "order id 4111111111111111 card", "card_number,name\n4111111111111111,bob\n5500005555555559,ann\n4012888888881881,al",
    "ref 4111-1111-1111-1111",
])
def test_a_card_grouped_as_one_or_with_its_own_word_is_stopped(engine: Any, text: str) -> None:
    assert "CREDIT_CARD" in stopped_as(engine, text), text


# -- B2: key=value lines where the account word keys a code of its own --------------------

@pytest.mark.parametrize("template", [
    "2026-12-04T13:35:00Z INFO risk.check ok acct={code} gross={n}", "pnl acct={code} mtd={n} ytd={n}",
    "acct:{code} id:{n}", "account_id={code} msg_seq={n}", "margin acct={code} req={n} excess={n}",
])
def test_an_account_word_keying_a_code_does_not_name_the_next_key_s_number(engine: Any, template: str) -> None:
    rng = random.Random(template)
    for _ in range(10):
        code = rng.choice(["HF-ALPHA", "PB-3", "ALGO-2", "BK93", "BOOK-12", "MM01"])
        text = template.replace("{code}", code)
        while "{n}" in text:
            text = text.replace("{n}", str(rng.randrange(10**8, 10**10)), 1)
        assert "US_BANK_NUMBER" not in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "acct=4829103755", "account number: 4829103755", "acct=4829103755 gross=100", "wire to acct 4829103755 ref=77",
    "acct: 4829103755", "account_no=4829103755 desk=HF",
])
def test_an_account_word_keying_the_number_is_kept(engine: Any, text: str) -> None:
    assert "US_BANK_NUMBER" in stopped_as(engine, text), text


# -- B3: spaced or dotted 3-2-4 named as something else ----------------------------------

@pytest.mark.parametrize("template", [
    "ref {a} {b} {c}", "ticket {a} {b} {c}", "order qty {a} {b} {c}", "px levels {a} {b} {c}",
    "{a} {b} {c} contracts across 3 expiries", "levels {a}.{b}.{c}", "ref {a}.{b}.{c}", "OID {a}.{b}.{c}",
])
def test_a_spaced_or_dotted_3_2_4_named_otherwise_is_no_ssn(engine: Any, template: str) -> None:
    rng = random.Random(template)
    for _ in range(10):
        text = template.format(a=rng.randrange(100, 899), b=rng.randrange(10, 99), c=rng.randrange(1000, 9999))
        assert "US_SSN" not in stopped_as(engine, text), text


@pytest.mark.parametrize("text", ["536 22 8710", "ssn 536 22 8710", "ssn 536.22.8710", "ref 536-22-8710",
                                  "her social is 536 22 8710", "client SSN ticket 536 22 8710",
                                  "customer ssn ref 536.22.8710"])
def test_a_3_2_4_alone_dashed_or_labelled_is_stopped(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text


# -- B4/B7: counts and numbers named as another kind under an SSN word --------------------

@pytest.mark.parametrize("template", [
    "SSN backfill: {a} done, {b} failed, {c} remaining", "W-9 SSN checks: {a} matched, {b} mismatched (out of {c})",
    "TIN/SSN mismatches (B-notice): {a} this year, {b} open, 3 letters sent",
    "KBA: last four SSN {d}, zip {z}", "verified last 4 of SSN {d} and zip code {z}",
    "caller ok - ssn last 4 {d}, dob year {y}, zip {z}",
])
def test_counts_and_other_numbers_under_an_ssn_word_are_no_ssn(engine: Any, template: str) -> None:
    rng = random.Random(template)
    for _ in range(15):
        text = template.format(a=rng.randrange(100, 999), b=rng.randrange(10, 99), c=rng.randrange(1000, 9999),
                               d=rng.randrange(1000, 9999), z=rng.randrange(10000, 99999), y=rng.randrange(1940, 2005))
        assert "US_SSN" not in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "ssn first five 53622 last four 8710", "SSN starts 536, then 22, ends 8710", "ssn 536 then 22 then 8710",
    "ssn 536 followed by 22 followed by 8710", "SSN ***-**-8710, first five are 536-22", "ssn ends 8710, starts 53622",
])
def test_an_ssn_given_in_pieces_is_still_read(engine: Any, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text), text
