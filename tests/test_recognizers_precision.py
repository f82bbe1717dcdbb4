"""Structure-aware precision and context as people write it (issue 15, items 5 and 6).

Through the whole engine (normalization, gates, resolution) with the shipped
configuration: each line says which entity types must be found and which must
not.  Identifiers are synthetic (checksums computed, SSNs from
dlp_proxy.policy.testing or high areas).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.model import (
    ABA_ROUTING_NUMBER,
    CUSIP,
    SENSITIVE_ENTITIES,
    US_BANK_NUMBER,
    US_EIN,
    US_ITIN,
    US_SSN,
)
from dlp_proxy.policy.testing import ACCOUNT, ROUTING, SSN
from recognizers._fuzzy import FuzzyContext, edits1
from recognizers.securities import cusip_valid

ROOT = Path(__file__).resolve().parent.parent
SSN9 = SSN.replace("-", "")
ITIN = "912-78-4521"
CUSIP_NUM = "037833100"  # numeric, valid check digit
assert cusip_valid(CUSIP_NUM)


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    return build_detector(ROOT / "config", ner=False)


def found(engine, text: str, entities: frozenset[str] | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.entity_type for f in engine.analyze(text, entities=entities)}


# (text, must find, must not find)
CASES: list[tuple[str, set[str], set[str]]] = [
    # EIN: a 2-7 number is a business identifier, not a person's SSN/ITIN
    ("Harbor Logistics LLC tax id 12-3456789", {US_EIN}, {US_SSN, US_ITIN}),
    ("Federal Tax ID # 35-1921282 on the W-9", {US_EIN}, {US_SSN, US_ITIN}),
    ("TIN 94-1234567 (the trust)", {US_EIN}, {US_SSN, US_ITIN}),
    ("entity: Cedar Ridge Partners\nTax ID: 45-6789012\nState: DE", {US_EIN}, {US_SSN}),
    ("SSN 53-6228710", {US_SSN}, set()),  # called an SSN: the person's number, whatever the grouping
    (f"tax id {SSN9}", {US_SSN}, set()),  # nine bare digits with "tax id": may be a person's
    (f"SSN {SSN}", {US_SSN}, set()),
    # versions and build numbers
    ("Bloomberg terminal build 107.82.1172 is crashing", set(), {US_SSN, US_ITIN}),
    ("rolled back to release 862.97.9765", set(), {US_SSN, US_ITIN}),
    ("version 536.22.8710 of the statement generator", set(), {US_SSN}),
    ("ssn 536.22.8710", {US_SSN}, set()),  # dotted with SSN context is still an SSN
    (f"here it is {SSN.replace('-', '.')}", {US_SSN}, set()),
    # CUSIPs after share quantities are not accounts, and do not swallow the quantity
    (f"in the IRA account bot 25,676 {CUSIP_NUM} @ 102.587", {CUSIP}, SENSITIVE_ENTITIES),
    (f"for the Novak account: 134000 sh {CUSIP_NUM} settled", {CUSIP}, SENSITIVE_ENTITIES),
    (f"client account: buy 800 {CUSIP_NUM} for the model", set(), SENSITIVE_ENTITIES),
    (f"in the IRA account client wants 258000 of {CUSIP_NUM}", set(), SENSITIVE_ENTITIES),
    (f"acct {CUSIP_NUM} sold 100 shares", {US_BANK_NUMBER}, {CUSIP}),  # labelled: the account wins
    # UK VAT, phones, labels on another line
    ("their VAT number is GB625868602\nRequested by: desk-3", set(), SENSITIVE_ENTITIES),
    ("Type: Roth IRA\nsupplier VAT 741 0913 59, pay net 30", set(), SENSITIVE_ENTITIES),
    ("account rep: +1 770 509 9183", set(), SENSITIVE_ENTITIES),
    ("Account number:\n4471902283", {US_BANK_NUMBER}, set()),  # a form's label above its value
    # typos and abbreviations
    (f"soical {SSN9}", {US_SSN}, set()),
    (f"her socila security is {SSN9}", {US_SSN}, set()),
    (f"ss# {SSN9}", {US_SSN}, set()),
    (f"s.s.n. {SSN9}", {US_SSN}, set()),
    (f"itn {ITIN.replace('-', '')}", {US_ITIN}, set()),
    (f"acount {ACCOUNT}", {US_BANK_NUMBER}, set()),
    (f"wire to acocunt {ACCOUNT}", {US_BANK_NUMBER}, set()),
    (f"acc't {ACCOUNT}", {US_BANK_NUMBER}, set()),
    (f"routign {ROUTING} a/c {ACCOUNT}", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"aba# {ROUTING}\nacount number {ACCOUNT}", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    ("the routine check found 4471902283 rows", set(), SENSITIVE_ENTITIES),
    # UK sort code + account
    ("sort code 20-00-00 account 12345678", {US_BANK_NUMBER}, set()),
    ("20-00-00 12345678", {US_BANK_NUMBER}, set()),
    ("pay GBP to 20-04-23 / 17891094", {US_BANK_NUMBER}, set()),
    ("Sort code: 40-11-62\nAccount number: 71829304", {US_BANK_NUMBER}, set()),
    ("trade date 12-11-24 41829304", set(), SENSITIVE_ENTITIES),  # a date and a reference
    ("05-11-24 20241105 20241106", set(), SENSITIVE_ENTITIES),
    # routing + account pairs with the purpose in words
    (f"{ROUTING} / {ACCOUNT} for the wire", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"{ROUTING} / {ACCOUNT} (routing / account)", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"use {ROUTING}/{ACCOUNT} for the ACH", {ABA_ROUTING_NUMBER, US_BANK_NUMBER}, set()),
    (f"order {ROUTING} / {ACCOUNT} for the wire desk", set(), {US_BANK_NUMBER}),
    (f"{ROUTING} / {ACCOUNT} shipped", set(), {US_BANK_NUMBER}),
    # FIX tag=value messages: every value is its own field
    ("8=FIX.4.2|9=178|35=D|49=CLNT7|56=EXEC2|34=215|52=20241203-14:30:15.123|11=536228710|55=AAPL|54=1|"
     "38=5000|40=2|44=150.25|10=128", set(), SENSITIVE_ENTITIES),
    ("8=FIX.4.4\x019=120\x0135=8\x0137=4471902283\x0111=ORD20241203001\x0148=037833100\x0138=2500\x0110=007",
     set(), SENSITIVE_ENTITIES),
]


@pytest.mark.parametrize(("text", "want", "never"), CASES)
def test_structure_and_context(engine, text: str, want: set[str], never: set[str]) -> None:  # type: ignore[no-untyped-def]
    got = found(engine, text)
    assert want <= got, got
    assert not (got & never), got


def test_gateway_entities_still_see_cusips(engine) -> None:  # type: ignore[no-untyped-def]
    """The gateway asks only for the policy's entities: a CUSIP must still cancel the
    account reading of its digits, and is not reported."""
    text = f"in the IRA account bot 2,900 {CUSIP_NUM} @ 101.683"
    got = found(engine, text, frozenset({US_SSN, US_BANK_NUMBER, ABA_ROUTING_NUMBER}))
    assert got == set()


def test_fuzzy_variants() -> None:
    fc = FuzzyContext(["social", "account", "routing", "itin"])
    for slip in ("soical", "socail", "acount", "accout", "routign", "itn", "iitn"):
        assert fc.found(f"the {slip} is") == (slip,), slip
    for word in ("social", "routine", "outing", "tin", "special", "accent", "counting"):
        assert fc.found(f"the {word} is") == (), word
    assert fc.canonical("soical") == "social"
    with pytest.raises(ValueError):
        FuzzyContext(["ssn"])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["social", "account", "routing", "security", "checking"]), st.data())
def test_every_single_slip_of_a_long_word_is_found(word: str, data: st.DataObject) -> None:
    fc = FuzzyContext([word])
    slips = sorted(v for v in edits1(word, substitutions=True) if len(v) >= 3 and v in fc.variants)
    slip = data.draw(st.sampled_from(slips))
    assert fc.found(f"x {slip.upper()} y") == (slip,)
    assert fc.canonical(slip) == word
