"""Numbers that are something else beside an identifier's label (held-out probe of
2026-12-07): a date with its month's name and a count after it near "SSN/TIN", a
request's number after "acct ... req", an amount after "credited", a UUID's hex groups."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.dates import MONTH_DATE, month_dates
from dlp_proxy.model import IBAN_CODE, US_BANK_NUMBER, US_ITIN, US_SSN
from dlp_proxy.recognizers.ssn import ssn_valid
from tests.conftest import kinds

MONTHS = ["Jan", "FEB", "March", "apr", "May", "JUN", "July", "Aug", "Sept.", "oct", "November", "DEC"]


dates = st.builds(
    lambda day, month, year, form: form.format(d=day, m=month, y=year),
    st.integers(1, 28), st.sampled_from(MONTHS), st.integers(2019, 2027),
    st.sampled_from(["{d} {m} {y}", "{d}-{m}-{y}", "{m} {d} {y}", "{m} {d}, {y}", "{d}th {m}, {y}"]))


@settings(max_examples=150, deadline=None)
@given(date=dates, count=st.integers(100, 999), label=st.sampled_from(["SSN/TIN certification", "SSN recert",
                                                                         "TIN solicitation", "ITIN renewals"]),
       joint=st.sampled_from([", ", " ", ": ", " - "]), tail=st.sampled_from(["outstanding", "left", "open"]))
def test_property_a_dated_count_near_an_ssn_word_is_no_ssn(engine: Any, date: str, count: int, label: str,
                                                           joint: str, tail: str) -> None:
    text = f"{label} due {date}{joint}{count} {tail}"
    assert not kinds(engine, text) & {US_SSN, US_ITIN}, text


@settings(max_examples=100, deadline=None)
@given(date=dates)
def test_property_month_dates_lead_finds_what_the_pattern_finds(date: str) -> None:
    for text in (f"due {date}, 538 left", f"{date}", f"x{date}y", f"as of {date.upper()} ok"):
        assert [m.span() for m in month_dates(text)] == [m.span() for m in MONTH_DATE.finditer(text)], text


ssns = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]:03d}-{t[1]:02d}-{t[2]:04d}").filter(lambda s: ssn_valid(s.replace("-", "")))


@settings(max_examples=60, deadline=None)
@given(ssn=ssns, date=dates)
def test_property_an_ssn_beside_a_date_is_still_found(engine: Any, ssn: str, date: str) -> None:
    for text in (f"client SSN {ssn} as of {date}", f"{date}: client SSN {ssn.replace('-', ' ')}"):
        assert US_SSN in kinds(engine, text), text


@settings(max_examples=60, deadline=None)
@given(n=st.integers(10**5, 10**10 - 1), form=st.sampled_from([
    "wire acct change req {n} pending dual approval", "acct transfer request {n} submitted",
    "a/c ****6402 credited {n}", "acct debited {n} for fees"]))
def test_property_a_request_or_an_amount_after_an_account_word_is_no_account(engine: Any, n: int, form: str) -> None:
    text = form.format(n=n)
    assert US_BANK_NUMBER not in kinds(engine, text), text


@pytest.mark.parametrize("text", ["client acct 4419023871", "account number 4419023871 per request",
                                  "acct change request: new acct 4419023871", "credit to acct 4419023871"])
def test_the_account_itself_is_still_found(engine: Any, text: str) -> None:
    assert US_BANK_NUMBER in kinds(engine, text), text


@settings(max_examples=200, deadline=None)
@given(uuid=st.uuids(), word=st.sampled_from(["sent", "ok", "GB", "acked"]))
def test_property_a_uuid_is_no_iban(engine: Any, uuid: Any, word: str) -> None:
    text = f"SWIFT MT103 UETR {uuid} {word}"
    assert IBAN_CODE not in kinds(engine, text), text


asides = st.lists(st.sampled_from(["per", "the", "client's", "email", "this", "morning", "joint", "holder", "old",
                                   "one", "see", "below"]), min_size=1, max_size=8).map(" ".join)


@settings(max_examples=80, deadline=None)
@given(ssn=ssns, aside=asides, form=st.sampled_from(["({a})", "({a}):", "-- {a} --", "\u2014 {a} \u2014"]),
       label=st.sampled_from(["social security number", "SSN", "client's SSN"]))
def test_property_an_aside_between_a_label_and_its_number_takes_nothing_away(engine: Any, ssn: str, aside: str,
                                                                          form: str, label: str) -> None:
    text = f"{label} {form.format(a=aside)} {ssn.replace('-', '')}"
    assert US_SSN in kinds(engine, text), text


@settings(max_examples=40, deadline=None)
@given(n=st.integers(10**7, 10**9 - 1), aside=asides, label=st.sampled_from(["ticket", "meeting", "order"]))
def test_property_an_aside_after_a_reference_label_makes_no_account(engine: Any, n: int, aside: str,
                                                                    label: str) -> None:
    text = f"client account notes: {label} ({aside}) {n}"
    assert US_BANK_NUMBER not in kinds(engine, text), text


@settings(max_examples=80, deadline=None)
@given(tail=st.integers(0, 9999).map(lambda n: f"{n:04d}"), count=st.integers(1, 99),
       mask=st.sampled_from(["XXX-XX-", "xxxx", "...", "ending ", "ending in ", "last 4 "]),
       after=st.sampled_from(["yrs dormant", "days past due", "items"]))
def test_property_a_masked_numbers_end_is_whole(engine: Any, tail: str, count: int, mask: str, after: str) -> None:
    text = f"escheatment notice for acct {mask}{tail}, {count} {after}"
    assert US_BANK_NUMBER not in kinds(engine, text), text


@settings(max_examples=60, deadline=None)
@given(ssn=ssns, label=st.sampled_from(["Re case", "ticket", "order", "ref"]))
def test_property_a_reference_before_the_number_and_the_ssn_word_after_it(engine: Any, ssn: str, label: str) -> None:
    digits = ssn.replace("-", "")
    assert US_SSN not in kinds(engine, f"{label} {digits}: client's SSN card copy received"), digits
    assert US_SSN in kinds(engine, f"{label} 4411: client's SSN {digits} received"), digits


@pytest.mark.parametrize("text", ["hey SR 97573029 closed with note acct info verified",
                                  "IN  8=FIX.4.2 <SOH>9=268 <SOH>35=8 <SOH>1=ACCT2093 <SOH>55=META <SOH>54=1 <SOH>"])
def test_other_numbers_beside_an_account_word(engine: Any, text: str) -> None:
    assert US_BANK_NUMBER not in kinds(engine, text), text
