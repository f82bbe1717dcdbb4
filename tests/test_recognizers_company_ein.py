"""Nine digits in one that a word naming an EIN labels, after a company on the line, are
the company's EIN, not an SSN or ITIN (held-out probe of 2026-12-07: "issuer Pershing LLC
federal tax ID N" was stopped as an SSN 53 times in 200)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.model import US_BANK_NUMBER, US_EIN, US_ITIN, US_SSN
from dlp_proxy.recognizers.ssn import itin_valid, ssn_valid
from dlp_proxy.recognizers.tax import ein_valid
from tests.conftest import kinds

#: nine digits that pass both the SSA's (or the ITIN's) checks and the IRS's EIN prefixes
numbers = st.text("0123456789", min_size=9, max_size=9).filter(
    lambda d: ein_valid(d) and (ssn_valid(d) or itin_valid(d)))
companies = st.sampled_from(["issuer Pershing LLC", "Maple Leaf Capital LLC", "Acme Widgets Inc.", "Citadel Securities",
                             "the fund", "Northwind Holdings, L.P."])
ein_words = st.sampled_from(["federal tax ID", "EIN", "FEIN", "employer id", "Federal Tax Id:", "EIN #"])


@settings(max_examples=120, deadline=None)
@given(number=numbers, company=companies, word=ein_words)
def test_property_a_companys_ein_is_no_ssn(engine: Any, number: str, company: str, word: str) -> None:
    text = f"{company} {word} {number}"
    found = kinds(engine, text)
    assert US_EIN in found and not found & {US_SSN, US_ITIN}, text


@settings(max_examples=80, deadline=None)
@given(number=numbers, company=companies, person=st.sampled_from(["client's", "owner John Doe's", "her"]))
def test_property_a_persons_tax_id_beside_a_company_is_still_stopped(engine: Any, number: str, company: str,
                                                                     person: str) -> None:
    text = f"{company}, {person} federal tax ID {number}"
    assert kinds(engine, text) & {US_SSN, US_ITIN}, text


@settings(max_examples=40, deadline=None)
@given(number=numbers, company=companies)
def test_property_a_person_word_or_a_dashed_ssn_still_wins(engine: Any, number: str, company: str) -> None:
    for text in (f"{company} federal tax ID {number[:3]}-{number[3:5]}-{number[5:]}",
                 f"{company} federal tax ID (his SSN) {number}", f"federal tax ID {number}"):
        assert kinds(engine, text) & {US_SSN, US_ITIN}, text


@settings(max_examples=60, deadline=None)
@given(number=numbers, company=st.sampled_from(["Pinecrest Corporation", "Acme Holdings LLC", "Harbor Capital L.P."]),
       form=st.sampled_from(["Tax ID (EIN): {n}  Entity: {c}", "{c} tax id {n} (corporate)", "new inst acct {c}, EIN {n}",
                             "{c} FEIN {n}"]))
def test_property_a_companys_tax_id_in_its_onboarding_forms(engine: Any, number: str, company: str, form: str) -> None:
    text = form.format(n=number, c=company)
    found = kinds(engine, text)
    assert US_EIN in found and not found & {US_SSN, US_ITIN, US_BANK_NUMBER}, text


owners = st.sampled_from(["Ironclad Data Systems Inc", "Kestrel Point Advisors LLC", "Granite Bay Asset Management",
                          "Bayview Facilities Group", "Halcyon Fund Services LLC", "Cobalt Street Ventures LLC"])


@settings(max_examples=80, deadline=None)
@given(number=numbers, company=owners, form=st.sampled_from([
    "Fed Tax ID for {c} is {n}, it's on page 3 of the sub docs", "Invoice from {c} (Tax ID {n}) for Q3 market data",
    "business tax id {n} for {c}; it's a corporate acct", "IRS TIN matching failed for {c} ({n}), legal to reach out",
    "the EIN on the W-9 doesn't match for {c}: {n}"]))
def test_property_a_number_a_company_owns_after_a_tax_id_word_is_its_ein(engine: Any, number: str, company: str,
                                                                         form: str) -> None:
    """Probe 5: a company's name right before the number (or "business tax id" before it),
    a word naming a tax id earlier on the line, no word for a person: the company's EIN."""
    text = form.format(n=number, c=company)
    assert not kinds(engine, text) & {US_SSN, US_ITIN}, text


@settings(max_examples=60, deadline=None)
@given(number=numbers, company=owners, form=st.sampled_from([
    "Tax ID for the client at {c} is {n}", "tax id for {c}'s owner: {n}", "SSN for {c} is {n}",
    "TIN for her account at {c} is {n}"]))
def test_property_a_person_named_between_keeps_the_number_a_persons(engine: Any, number: str, company: str,
                                                                    form: str) -> None:
    text = form.format(n=number, c=company)
    assert kinds(engine, text) & {US_SSN, US_ITIN}, text


@settings(max_examples=40, deadline=None)
@given(number=numbers, rows=st.integers(1, 4))
def test_property_a_column_headed_ein_holds_companies_eins(engine: Any, number: str, rows: int) -> None:
    body = "\n".join(f"Vendor {k} LLC,{number},NY,2025-06-0{k + 1}" for k in range(rows))
    text = f"vendor,ein,state,w9_date\n{body}"
    assert not kinds(engine, text) & {US_SSN, US_ITIN}, text
    assert kinds(engine, text.replace(",ein,", ",ssn,")) & {US_SSN, US_ITIN}, text


@settings(max_examples=60, deadline=None)
@given(number=numbers, form=st.sampled_from([
    "Jane Doe's social security number, which her grantor trust uses: tax id for Jane Doe Trust {n}",
    "Tax ID for Jane Doe Trust: {n} (revocable grantor trust, so this is just Jane's own social security number)",
    "Bob Smith has no EIN (sole prop), so his SSN is the number we use for his shop:\nTIN for Bob's Auto Services LLC: {n}",
    "Jane's SSN:\nTIN for Bob's Auto Services LLC: {n}",
    "household,member,federal tax id\nDoe,Jane Doe,{n}\nDoe,John Doe,{n}",
    "Name        Federal Tax ID\nJane Doe    {n}\nJohn Roe    {n}"]))
def test_property_a_persons_number_dressed_as_a_companys_stays_a_persons(engine: Any, number: str, form: str) -> None:
    """Attack pass 6 of 2026-12-07: a word for a person's number anywhere near (any line),
    a trust (a grantor trust uses its grantor's SSN), a "federal tax id" column over people."""
    text = form.format(n=number)
    assert kinds(engine, text) & {US_SSN, US_ITIN}, text


@settings(max_examples=60, deadline=None)
@given(number=numbers, form=st.sampled_from([
    "Fed tax id for Jane Doe Consulting LLC is {n}, same as Jane's s.s.n.",
    "TIN for Jane Doe Services LLC: {n} -- it's Jane's personal TIN, she's the owner",
    "Jane's own tax id, billed as Jane Doe Services LLC: {n}",
    "Fed tax id for Jane Doe Consulting LLC is {n} (her sosh)"]))
def test_property_a_person_named_after_the_number_or_in_other_words_keeps_it_a_persons(
        engine: Any, number: str, form: str) -> None:
    """Attack pass 7 of 2026-12-07: a word for a person after the number on its line, a
    person's own tax id before the company, an SSN spelled s.s.n. or "sosh"."""
    text = form.format(n=number)
    assert kinds(engine, text) & {US_SSN, US_ITIN}, text
