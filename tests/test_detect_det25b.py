"""det25b: classes a held-out set (gen25) found, as classes.

Precision: the firm's own books (GL, error, suspense, house accounts, cost centers) are no
customer accounts; a dashed 3-2-4 chained to a group holding a letter is part of a longer
id; the processors' published test card numbers, said to be test data, carry no
cardholder.  Recall: a number the words say is written backwards is read the other way
round; an identifier given in named parts ("first five", "last four", "begins"/"ends")
across a few lines of one message is read whole.  Values are generated (seeded), the
wording differs from the held-out set's.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.recognizers.cards import PUBLIC_TEST_PANS, card_valid

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)}


def _ssn(rng: random.Random, last: str | None = None) -> str:
    while True:
        area = rng.randint(1, 899)
        if area == 666:
            continue
        serial = f"{rng.randint(1, 9999):04d}"
        if last is not None:
            serial = serial[:3] + last
            if serial == "0000":
                continue
        return f"{area:03d}{rng.randint(1, 99):02d}{serial}"


def _account(rng: random.Random, n: int) -> str:
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _card(rng: random.Random) -> str:
    while True:
        body = "4" + "".join(str(rng.randint(0, 9)) for _ in range(14))
        for d in "0123456789":
            if luhn_ok(body + d) and body + d not in PUBLIC_TEST_PANS:
                return body + d


# -- 1. the firm's own books --------------------------------------------------------

_FIRM = [
    "move the break to the G/L account {n} today",
    "booked it to our suspense acct {n}, ops will clear",
    "nostro account {n} at the correspondent is short",
    "cost centre / general ledger account {n} for the accrual",
    "bust goes to error acct {n}",
    "parked in account {n} (firm suspense) until tomorrow",
    "proprietary account {n} was flat at the close",
]
_CUSTOMER = [
    "her error acct {n} is wrong on the statement",
    "client's house account {n}",
    "account {n} (moved from error acct)",
    "the customer suspense account {n} for Mrs Lee",
    "acct {n} for the client",
    "ACAT in, delivering firm acct {n} for Ana Lopez",  # "firm" alone: another broker's customer
    "house acct {n} for the Garcias",
    # atk25r E1: a house account is also a customer's with no rep; a name beside the qualifier
    "house acct {n} Jane Doe",
    "Jane Doe - house account {n}",
    "Jane Doe acct {n} (house)",
    "Jane Doe: error acct {n}",
    "Jane Doe\nerror acct {n}",
    "Jane Doe error acct {n}, John Roe error acct 48213377",
]


@pytest.mark.parametrize("form", _FIRM)
def test_firm_books_are_no_customer_account(engine: Engine, form: str) -> None:
    rng = random.Random(form)
    for n in (_account(rng, 8), _account(rng, 10), f"{_account(rng, 4)}-{_account(rng, 4)}"):
        assert "US_BANK_NUMBER" not in _types(engine, form.format(n=n)), form.format(n=n)


@pytest.mark.parametrize("form", _CUSTOMER)
def test_customer_context_wins_over_firm_words(engine: Engine, form: str) -> None:
    rng = random.Random(form)
    n = _account(rng, 9)
    assert "US_BANK_NUMBER" in _types(engine, form.format(n=n)), form.format(n=n)


# -- 2. a dashed 3-2-4 inside a longer id with letters ---------------------------------

_CHAINED = ["alloc {s}-B7 confirmed", "exec id {s}-X done", "see TKT-{s} in the queue", "route order QX9-{s} to the desk",
            "{s}-ab is the clordid"]
#: the same shape that no word on its line names as a reference: an SSN with a tag added (atk25r E2)
_CHAINED_UNNAMED = ["Jane Doe {s}-A", "A-{s}", "{s}-0 for Jane", "W2 JANE DOE {s}-A.pdf", "{s}-A"]


@pytest.mark.parametrize("form", _CHAINED_UNNAMED)
def test_ssn_shape_chained_without_a_reference_word_is_an_ssn(engine: Engine, form: str) -> None:
    rng = random.Random(form)
    for _ in range(5):
        s = _ssn(rng)
        text = form.format(s=f"{s[:3]}-{s[3:5]}-{s[5:]}")
        assert "US_SSN" in _types(engine, text), text


@pytest.mark.parametrize("form", _CHAINED)
def test_ssn_shape_chained_to_letter_groups_is_an_id(engine: Engine, form: str) -> None:
    rng = random.Random(form)
    for _ in range(5):
        s = _ssn(rng)
        text = form.format(s=f"{s[:3]}-{s[3:5]}-{s[5:]}")
        assert "US_SSN" not in _types(engine, text), text


def test_chained_ssn_with_ssn_word_still_stops(engine: Engine) -> None:
    rng = random.Random(7)
    s = _ssn(rng)
    dashed = f"{s[:3]}-{s[3:5]}-{s[5:]}"
    assert "US_SSN" in _types(engine, f"client ssn {dashed}-A on the form")
    assert "US_SSN" in _types(engine, f"ref {dashed} done")  # no letter chained: still an SSN's shape


# -- 3. published test card numbers ---------------------------------------------------

def test_every_listed_test_pan_is_a_valid_card() -> None:
    assert all(card_valid(p) is not None for p in PUBLIC_TEST_PANS)


def _grouped(p: str) -> str:
    if len(p) == 15:
        return f"{p[:4]} {p[4:10]} {p[10:]}"
    return " ".join(p[i : i + 4] for i in range(0, len(p), 4))


@pytest.mark.parametrize("form", ["checkout in staging takes {p}", "dummy PAN for the qa run: {p}",
                                  "{p} is the sandbox card", "use testcard {p} with any cvv",
                                  "mock payment card {p} for the non-prod env"])
def test_public_test_cards_said_to_be_test_data_pass(engine: Engine, form: str) -> None:
    for p in sorted(PUBLIC_TEST_PANS):
        for shown in (p, _grouped(p)):
            text = form.format(p=shown)
            assert "CREDIT_CARD" not in _types(engine, text), text


@pytest.mark.parametrize("form", ["card {p} exp 11/29", "charge {p} for the client", "{p}"])
def test_public_test_cards_without_test_words_still_stop(engine: Engine, form: str) -> None:
    for p in ("4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"):
        assert "CREDIT_CARD" in _types(engine, form.format(p=_grouped(p)))


def test_real_card_in_test_talk_still_stops(engine: Engine) -> None:
    rng = random.Random(3)
    for _ in range(5):
        c = _card(rng)
        assert "CREDIT_CARD" in _types(engine, f"sandbox test card {_grouped(c)} pls")


# -- 4. a number written backwards, with the instruction -------------------------------

@pytest.mark.parametrize("form", [
    "her social, back to front: {r}",
    "SSN (mirror it) {r}",
    "the social in reverse -> {r}",
    "soc sec {r} - read it right to left",
])
def test_reversed_ssn_with_instruction(engine: Engine, form: str) -> None:
    rng = random.Random(form)
    for _ in range(5):
        s = _ssn(rng, last="9")  # written backwards it starts with 9: no SSN as written
        d = f"{s[:3]}-{s[3:5]}-{s[5:]}"
        text = form.format(r=d[::-1])
        assert "US_SSN" in _types(engine, text), text


@pytest.mark.parametrize("form", [
    "wire acct typed backwards so the filter misses it: {r}",
    "DDA # is inverted, so the scanner does not see it, here goes: {r}",
    "acct no. in reverse order because of the filter bot = {r}",
])
def test_reversed_account_with_instruction_far_from_label(engine: Engine, form: str) -> None:
    rng = random.Random(form)
    for _ in range(5):
        text = form.format(r=_account(rng, 10))
        assert "US_BANK_NUMBER" in _types(engine, text), text


@pytest.mark.parametrize("text", [
    "the trade was reversed yesterday, ticket 48213377 closed",
    "order 482133771 reversed by the venue",
    "flip it: 90210 is the zip",
    "read right to left: the build 48213377 failed",
])
def test_reversal_words_alone_make_no_identifier(engine: Engine, text: str) -> None:
    assert not _types(engine, text) & set(STOPPING), text


def test_reversal_readings_stay_two_however_many_instructions() -> None:
    from dlp_proxy.detect import reversal

    rng = random.Random(5)
    text = " ".join(f"acct backwards: {_account(rng, 9)} (flip it)" for _ in range(300))
    got = reversal.readings(text)
    assert len(got) <= 2
    assert len(got[0].spans) == 300  # every number, in one reading


# -- 5. named parts across lines of one message -----------------------------------------

@pytest.mark.parametrize("form", [
    "ssn first five {a}\nhold on\nlast four {b}",
    "social - starts {a}\nbrb phone\nends with {b} thx",
    "soc sec, begins {a}\n\nand the last 4 is {b}",
])
def test_named_parts_across_lines(engine: Engine, form: str) -> None:
    rng = random.Random(form)
    for _ in range(5):
        s = _ssn(rng)
        text = form.format(a=s[:5], b=s[5:])
        assert "US_SSN" in _types(engine, text), text


@pytest.mark.parametrize("signoff", ["pls", "plz", "thanks", "cheers"])
def test_named_parts_before_a_signoff(engine: Engine, signoff: str) -> None:
    rng = random.Random(signoff)
    c = _card(rng)
    assert "CREDIT_CARD" in _types(engine, f"card begins {c[:8]} and ends {c[8:]} {signoff}")


def test_parts_not_named_stay_apart_across_lines(engine: Engine) -> None:
    rng = random.Random(11)
    s = _ssn(rng)
    # a count then a number on another line, no part named: not one identifier
    assert "US_SSN" not in _types(engine, f"ssn lookup down, {s[:5]} tickets open\nlunch?\nroom {s[5:]}")


@pytest.mark.parametrize("text", [
    "test card 4222222222222\uff13\uff17\uff18 in sandbox",  # a test PAN's ASCII digits, then fullwidth ones
    "test card 4222222222222 three seven eight in sandbox",  # ... then digits written as words
])
def test_a_test_pans_digits_with_more_digits_written_otherwise_are_a_card(engine: Engine, text: str) -> None:
    """atk25r E3: the test-card rule read only a finding's ASCII digits."""
    assert "CREDIT_CARD" in _types(engine, text), text
