"""Identifiers a held-out probe (2026-12-07) got past the detector with their label right
before them: letters or zeros glued to an SSN, an ITIN or a card number (``SSN
559-25-1583R5``, ``SSN USD827-94-5167``, ``card 0345395243661715``), and an IBAN whose
country is named apart from its digits (``IBAN Germany 2285...``, ``German IBAN: ...``,
``IBAN 2285... (DE)``).  The label names the number a reader sees; without the label the
glued token stays a code of its own.  Values are made here with the recognizers' checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.model import CREDIT_CARD, IBAN_CODE, US_BANK_NUMBER, US_ITIN, US_SSN
from dlp_proxy.recognizers.iban import IBAN_LENGTHS, iban_valid
from dlp_proxy.recognizers.ssn import itin_valid, ssn_valid

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine() -> Any:
    return build_detector(ROOT / "config", ner=False)


def kinds(engine: Any, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)}


ssns = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]:03d}{t[1]:02d}{t[2]:04d}").filter(ssn_valid)
affixes = st.sampled_from(["R5", "T00:00:00Z", "X1", "ab", "_x9", "Q7Q"])
prefixes = st.sampled_from(["6q", "USD", "x", "0", "A1b"])


@settings(max_examples=120, deadline=None)
@given(d=ssns, label=st.sampled_from(["SSN", "ssn:", "SSN#", "social security number", "Soc Sec"]),
       sep=st.sampled_from(["-", ""]), pre=st.one_of(st.just(""), prefixes), post=st.one_of(st.just(""), affixes))
def test_property_an_ssn_glued_after_its_label_is_found(engine: Any, d: str, label: str, sep: str, pre: str,
                                                        post: str) -> None:
    assume(pre or post)
    # (nine digits in one after letters are a code's, "RITM397863070": only a zero pads them)
    assume(sep or not any(ch.isalpha() for ch in pre))
    number = sep.join((d[:3], d[3:5], d[5:]))
    text = f"{label} {pre}{number}{post}"
    assert US_SSN in kinds(engine, text), text


@settings(max_examples=60, deadline=None)
@given(d=ssns, post=affixes, word=st.sampled_from(["order", "build", "ticket", "room"]))
def test_property_the_same_token_with_no_label_is_a_code(engine: Any, d: str, post: str, word: str) -> None:
    text = f"{word} {d[:3]}{d[3:5]}{d[5:]}{post}"
    assert US_SSN not in kinds(engine, text), text


@settings(max_examples=60, deadline=None)
@given(group=st.sampled_from([70, 78, 88, 90, 92]), area=st.integers(0, 99), serial=st.integers(1, 9999),
       post=affixes)
def test_property_an_itin_glued_after_its_label_is_found(engine: Any, group: int, area: int, serial: int,
                                                         post: str) -> None:
    d = f"9{area:02d}{group:02d}{serial:04d}"
    assume(itin_valid(d))
    text = f"ITIN {d[:3]}-{d[3:5]}-{d[5:]}{post}"
    assert US_ITIN in kinds(engine, text), text


def _card(body: str) -> str:
    for last in "0123456789":
        if luhn_ok(body + last):
            return body + last
    raise AssertionError(body)


cards = st.tuples(st.sampled_from(["4", "51", "55", "2221", "6011", "37"]), st.integers(0, 10**14)).map(
    lambda t: _card((t[0] + f"{t[1]:014d}")[: (14 if t[0] == "37" else 15)]))


@settings(max_examples=120, deadline=None)
@given(card=cards, label=st.sampled_from(["card", "cc#", "credit card:", "visa"]),
       pre=st.one_of(st.just(""), st.sampled_from(["0", "00", "X", "ref"])), post=st.one_of(st.just(""), affixes))
def test_property_a_card_glued_after_its_label_is_found(engine: Any, card: str, label: str, pre: str,
                                                        post: str) -> None:
    assume(pre or post)
    text = f"{label} {pre}{card}{post}"
    assert CREDIT_CARD in kinds(engine, text), text


def _iban(cc: str, bban: str) -> str:
    n = int("".join(str(int(ch, 36)) for ch in bban + cc + "00"))
    return f"{cc}{98 - n % 97:02d}{bban}"


COUNTRIES = {"DE": ("Germany", "German"), "GB": ("UK", "British"), "NL": ("Netherlands", "Dutch"),
             "FR": ("France", "French"), "ES": ("Spain", "Spanish")}


def _bban(cc: str, digits: str) -> str:
    if cc == "GB":
        return "NWBK" + digits[:14]
    if cc == "NL":
        return "ABNA" + digits[:10]
    return digits[: IBAN_LENGTHS[cc] - 4]


@settings(max_examples=120, deadline=None)
@given(cc=st.sampled_from(sorted(COUNTRIES)), digits=st.text("0123456789", min_size=24, max_size=24),
       form=st.sampled_from(["IBAN {name} {n}", "{adj} IBAN: {n}", "IBAN {n} ({cc})", "{adj} client, IBAN {n}"]))
def test_property_an_iban_with_its_country_apart_is_found(engine: Any, cc: str, digits: str, form: str) -> None:
    iban = _iban(cc, _bban(cc, digits))
    assert iban_valid(iban)
    name, adj = COUNTRIES[cc]
    text = form.format(name=name, adj=adj, cc=cc, n=iban[2:])
    assert IBAN_CODE in kinds(engine, text), text


@settings(max_examples=80, deadline=None)
@given(cc=st.sampled_from(sorted(COUNTRIES)), digits=st.text("0123456789", min_size=24, max_size=24),
       at=st.integers(2, 15), bump=st.integers(1, 9))
def test_property_a_wrong_digit_is_no_iban(engine: Any, cc: str, digits: str, at: int, bump: int) -> None:
    iban = _iban(cc, _bban(cc, digits))
    rest = iban[2:]
    if not rest[at].isdigit():
        return
    wrong = rest[:at] + str((int(rest[at]) + bump) % 10) + rest[at + 1:]
    text = f"IBAN {COUNTRIES[cc][0]} {wrong}"
    assert IBAN_CODE not in kinds(engine, text), text


DECOYS = ["ticket", "order", "order id", "ref", "reference", "case", "invoice", "confirmation", "trade", "batch",
          "claim", "for the order form:", "on the ticket is", "(ref for the KYC file)", "zip"]


@settings(max_examples=150, deadline=None)
@given(d=ssns, label=st.sampled_from(["SSN", "Client's SSN", "social security number", "ssn#"]),
       decoy=st.sampled_from(DECOYS))
def test_property_a_reference_word_after_an_ssn_label_takes_nothing_away(engine: Any, d: str, label: str,
                                                                        decoy: str) -> None:
    """"SSN ticket N": nine digits close after a word naming only a person's number are
    that number, whatever reference word stands between (held-out probe, class 1)."""
    text = f"{label} {decoy} {d}"
    assert US_SSN in kinds(engine, text), text


@settings(max_examples=80, deadline=None)
@given(d=ssns, form=st.sampled_from(["SSN lookup is down. order {n} is stuck",
                                     "need SSN verification done, see case {n} for details",
                                     "tin mismatch report, ticket {n}", "order {n} shipped"]))
def test_property_a_reference_in_another_clause_keeps_its_own_label(engine: Any, d: str, form: str) -> None:
    text = form.format(n=d)
    assert US_SSN not in kinds(engine, text), text


@settings(max_examples=100, deadline=None)
@given(number=st.integers(10_000_000, 99_999_999_999).map(str).filter(lambda d: len(set(d)) > 2 and not d.endswith("0000")),
       label=st.sampled_from(["account number", "acct no.", "acct#", "account #"]),
       decoy=st.sampled_from(["order", "ref", "ticket", "trade", "for the order form:", "code"]))
def test_property_a_reference_word_after_an_account_number_label_takes_nothing_away(
        engine: Any, number: str, label: str, decoy: str) -> None:
    text = f"{label} {decoy} {number}"
    assert US_BANK_NUMBER in kinds(engine, text), text


@pytest.mark.parametrize("text", ["acct ops ticket 4829103755", "account number lookup is down. ticket 4829103755 open",
                                  "acct 24 bought 554000 AMD @ 152.58"])
def test_an_account_word_of_several_meanings_yields_to_a_reference(engine: Any, text: str) -> None:
    assert US_BANK_NUMBER not in kinds(engine, text), text


@settings(max_examples=80, deadline=None)
@given(d=ssns, filler=st.sampled_from(["ok?", "got it?", "Lunch later.", "hold on,"]),
       words=st.sampled_from([("starts", "ends"), ("first five", "last four"), ("begins with", "rest")]))
def test_property_an_ssn_split_across_sentences_by_its_parts_is_found(engine: Any, d: str, filler: str,
                                                                      words: tuple[str, str]) -> None:
    """"SSN starts 53622. ok? ends 8710": the first part in one sentence, the last in a
    later one (held-out probe, class 5)."""
    text = f"SSN {words[0]} {d[:5]}. {filler} {words[1]} {d[5:]}"
    assert US_SSN in kinds(engine, text), text


@pytest.mark.parametrize("text", ["ssn field starts empty. 53622 boxes shipped, ends 8710 pallets",
                                  "SSN first. then order 53622 ends 8710"])
def test_parts_in_other_sentences_without_their_words_are_not_joined(engine: Any, text: str) -> None:
    assert US_SSN not in kinds(engine, text), text


@settings(max_examples=80, deadline=None)
@given(d=ssns, a=st.sampled_from("rtewqzk"), b=st.sampled_from("rtewqzk"), form=st.sampled_from(["letters", "money"]))
def test_property_an_ssn_with_letters_between_or_as_an_amount_after_its_label(engine: Any, d: str, a: str, b: str,
                                                                             form: str) -> None:
    number = f"{d[:3]}{a}{d[3:5]}{b}{d[5:]}" if form == "letters" else f"${d[:3]},{d[3:6]},{d[6:]}"
    text = f"SSN {number}"
    assert US_SSN in kinds(engine, text), text


def test_an_amount_after_an_ssn_label_is_no_ssn_where_it_has_no_nine_digits(engine: Any) -> None:
    assert US_SSN not in kinds(engine, "ssn: $1,500,000 in the account")


@pytest.mark.parametrize("text", ["ACATS from Schwab 789974279 into 93270487", "journal from 789974279 to 98194031"])
def test_the_accounts_a_transfer_moves_between(engine: Any, text: str) -> None:
    assert US_BANK_NUMBER in kinds(engine, text), text


@pytest.mark.parametrize("text", ["[OPS-44707] ACAT transfer\nDetails: the trust's tax id 94-5819220 is on the W-9",
                                  "ACAT transfer 3 of 5 done", "journal entry 48213 posted"])
def test_a_transfer_named_alone_labels_no_number(engine: Any, text: str) -> None:
    assert US_BANK_NUMBER not in kinds(engine, text), text


@pytest.mark.parametrize("label", ["route", "numéro de routage", "Bankleitzahl", "code de routage"])
def test_a_routing_number_under_another_word_for_it(engine: Any, label: str) -> None:
    from dlp_proxy.model import ABA_ROUTING_NUMBER
    assert ABA_ROUTING_NUMBER in kinds(engine, f"{label} 021000021"), label


NOT_A_LABEL_OF_IT = [
    "SSN verification ticket {n} closed", "the SSN field on order {n} is blank", "SSN masking bug, Jira {n}",
    "SSN vendor invoice {n} for $2897", "client missing SSN holds CUSIP {n}, can we still sell?",
    "SSN RITM{n} closed", "SSN ticket CHG-{n}", "ssn fix in build b{n}", "classname Ssn709 job {n}",
    "SSN checks done, order {n} filled", "SSN for the order {n}", "SSN for the KYC ref {n}",
]


@settings(max_examples=120, deadline=None)
@given(d=ssns, form=st.sampled_from(NOT_A_LABEL_OF_IT))
def test_property_a_label_that_modifies_another_word_names_no_reference_after_it(engine: Any, d: str,
                                                                                form: str) -> None:
    """The reference word after a person's label counts only right after it: "SSN
    verification ticket N" is a ticket about SSNs, and a code's digits ("RITM", "CHG-")
    are the code's (held-out false-stop probe of 2026-12-07)."""
    text = form.format(n=d)
    assert US_SSN not in kinds(engine, text), text


@pytest.mark.parametrize("text", ["account number cleanup job 7790233900 ran at 03:00",
                                  "account number change ticket 4829103755 approved"])
def test_an_account_number_label_that_modifies_another_word(engine: Any, text: str) -> None:
    assert US_BANK_NUMBER not in kinds(engine, text), text


ICAO = {"0": "zero", "1": "wun", "2": "too", "3": "tree", "4": "fower", "5": "fife", "6": "six", "7": "seven",
        "8": "ait", "9": "niner"}


@settings(max_examples=60, deadline=None)
@given(d=ssns, sep=st.sampled_from(["dash", "hyphen", "Dash"]))
def test_property_spoken_digits_with_a_spoken_dash(engine: Any, d: str, sep: str) -> None:
    """"SSN seven too wun dash fife too dash ...": ICAO forms read as digits across the
    spoken separator (held-out probe, class 13)."""
    spoken = [" ".join(ICAO[ch] for ch in part) for part in (d[:3], d[3:5], d[5:])]
    text = f"SSN {spoken[0]} {sep} {spoken[1]} {sep} {spoken[2]}"
    assert US_SSN in kinds(engine, text), text


@settings(max_examples=100, deadline=None)
@given(d=ssns, form=st.sampled_from(["SSN dedupe compared {n} pairs", "SSN validation processed {n} rows in 8 min",
                                     "SSN remediation cost estimate: {n}.93", "SSN audit: {n} shares affected",
                                     "SSN backfill loaded USD {n}"]))
def test_property_a_measure_after_other_words_is_no_ssn(engine: Any, d: str, form: str) -> None:
    text = form.format(n=d)
    assert US_SSN not in kinds(engine, text), text


@settings(max_examples=60, deadline=None)
@given(d=ssns, form=st.sampled_from(["SSN {n} rows", "SSN is ${n}", "ssn: ${n}.00", "client SSN {n} pls", "SSN USD {n}"]))
def test_property_a_measure_right_after_its_label_is_still_the_ssn(engine: Any, d: str, form: str) -> None:
    text = form.format(n=d)
    assert US_SSN in kinds(engine, text), text


@settings(max_examples=80, deadline=None)
@given(cc=st.sampled_from(sorted(COUNTRIES)), digits=st.text("0123456789", min_size=24, max_size=24),
       pre=st.sampled_from(["", "0", "x"]), post=st.sampled_from(["f2", "00", "Q", "abc"]))
def test_property_an_iban_glued_after_its_label_is_found(engine: Any, cc: str, digits: str, pre: str,
                                                         post: str) -> None:
    iban = _iban(cc, _bban(cc, digits))
    text = f"IBAN {pre}{iban}{post}"
    assert IBAN_CODE in kinds(engine, text), text
