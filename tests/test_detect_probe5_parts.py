"""Held-out probe 5 of 2026-12-07: an SSN given in parts under its label.

- "first 5 of <name>'s social: AAA-GG" then "last 4: SSSS" on the next line: the words
  naming the first part stand on the label's line before the label (filler._read);
- "social for <name>: AAA-GG-SS SS": written as an SSN begins, its last four cut, under a
  word naming a person's number farther than the label right at it (ssn._ssn_led)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.model import US_SSN
from dlp_proxy.recognizers.ssn import ssn_valid
from tests.conftest import kinds

ssns = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]:03d}{t[1]:02d}{t[2]:04d}").filter(ssn_valid)
names = st.sampled_from(["Wei Rossi", "Fatima Ivanova", "Grace Schmidt", "David Brown", "the client"])
labels = st.sampled_from(["social", "SSN", "social security number", "ss#"])


@settings(max_examples=100, deadline=None)
@given(d=ssns, name=names, label=labels, head=st.sampled_from(["first 5", "first five", "first part"]),
       tail=st.sampled_from(["last 4:", "last 4", "last four is", "ends"]), sep=st.sampled_from(["-", ""]),
       brk=st.sampled_from(["\n", "\n\n", " / "]))
def test_property_first_part_named_before_the_label_and_last_on_the_next_line(
        engine: Any, d: str, name: str, label: str, head: str, tail: str, sep: str, brk: str) -> None:
    text = f"{head} of {name}'s {label}: {d[:3]}{sep}{d[3:5]}{brk}{tail} {d[5:]}"
    assert US_SSN in kinds(engine, text), text


@settings(max_examples=100, deadline=None)
@given(d=ssns, name=names, label=labels, cut=st.integers(1, 3), mark=st.just("-"),  # (dotted: a version, structure.py)
       blank=st.sampled_from([" ", "-", "  "]))
def test_property_an_ssn_begun_as_written_with_its_serial_cut(engine: Any, d: str, name: str, label: str, cut: int,
                                                               mark: str, blank: str) -> None:
    text = f"{label} for {name}: {d[:3]}{mark}{d[3:5]}{mark}{d[5:5 + cut]}{blank}{d[5 + cut:]}"
    assert US_SSN in kinds(engine, text), text


@settings(max_examples=60, deadline=None)
@given(d=ssns, head=st.sampled_from(["lots per account:", "fills:", "qty by desk:"]))
def test_property_a_list_of_short_numbers_stays_a_list(engine: Any, d: str, head: str) -> None:
    text = f"{head} {d[:3]}, {d[3:5]}, {d[5:7]}, {d[7:]}"
    assert US_SSN not in kinds(engine, text), text


@settings(max_examples=60, deadline=None)
@given(d=ssns, head=st.sampled_from(["social league results:", "social budget:", "social committee scores:"]))
def test_property_social_naming_a_club_or_a_budget_is_no_label(engine: Any, d: str, head: str) -> None:
    """Attack pass 7: "social" before the number names an SSN only as a label ("social for
    X:", "social #"), not a league's or a budget's figures."""
    text = f"{head} {d[:3]}-{d[3:5]}-{d[5:7]} {d[7:]}"
    assert US_SSN not in kinds(engine, text), text
