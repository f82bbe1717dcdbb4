"""A single repeated ASCII letter between digit groups of an identifier's exact shape
is its separator (issue 15, finding 3): ``xSSNx536x22x8710``.  Ordinary alphanumeric
ids (order ids, CUSIPs, hex hashes, UUIDs) stay what they are.  Real detector."""

from __future__ import annotations

import string
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.normalize import normalize

SSN = ("536", "22", "8710")
CARD = ("4111", "1111", "1111", "1111")
STOP = {"US_SSN", "CREDIT_CARD", "US_ITIN"}


@pytest.fixture(scope="module")
def detector() -> Any:
    from dlp_proxy.detect import build_detector

    return build_detector(None, ner=False)


def _types(detector: Any, text: str) -> set[str]:
    return {f.entity_type for f in detector.analyze(text)}


@pytest.mark.parametrize("text", [
    "xSSNx536x22x8710", "SSNx536x22x8710", "ssn 536x22x8710", "536x22x8710", "ssnx536X22x8710",
    "my ssn is qSSNq536q22q8710q ok", "ssn a536a22a8710a", "card 4111x1111x1111x1111", "4111Q1111Q1111Q1111",
    "zCARDz4111z1111z1111z1111",
])
def test_a_repeated_letter_between_groups_of_an_identifiers_shape_is_its_separator(detector: Any, text: str) -> None:
    assert _types(detector, text) & STOP, (text, normalize(text).text)


@pytest.mark.parametrize("text", [
    "order AB123C45", "order AB123C45D6789", "CUSIP 38259P508", "id 536a22b8710",   # different letters
    "item 536x22x8710x9", "x536x22x87105",                                          # not the shape
    "hash 3fa536b22b8710c9", "commit deadb536b22b8710", "sha 9e107d9d372bb6826bd81d3542a419d6",
    "uuid 123e4567-e89b-12d3-a456-426614174000", "ISIN US0378331005", "part 12x34x5678",
    "build 1a2a3", "see you at 10x15", "4x100m relay in 3x2x4 grid",
])
def test_ordinary_alphanumeric_ids_are_not_identifiers(detector: Any, text: str) -> None:
    assert not _types(detector, text) & STOP, (text, normalize(text).text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(letter=st.sampled_from(string.ascii_letters), groups=st.sampled_from([SSN, CARD]),
       glued=st.booleans(), label=st.sampled_from(["", "ssn", "SSN", "card", "ref"]))
def test_property_any_letter_as_the_separator_is_read(detector: Any, letter: str, groups: tuple[str, ...],
                                                     glued: bool, label: str) -> None:
    run = letter.join(groups)
    text = f"{letter}{label}{letter}{run}" if glued and label else f"{label} {run}".strip()
    assert _types(detector, text) & STOP, (text, normalize(text).text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["uuid", "hex", "order"]), seed=st.integers(0, 2**64 - 1),
       letters=st.text(string.ascii_uppercase, min_size=2, max_size=4))
def test_property_hashes_uuids_and_order_ids_pass(detector: Any, kind: str, seed: int, letters: str) -> None:
    if kind == "uuid":
        value = str(uuid.UUID(int=seed * 2**64 + seed))
    elif kind == "hex":
        value = f"{seed:016x}{seed * 7919 % 2**64:016x}"
    else:
        digits = f"{seed:020d}"
        value = "".join(f"{letters[i % len(letters)]}{digits[3 * i:3 * i + 3]}" for i in range(len(letters) + 1))
    assert not _types(detector, f"ref {value}") & STOP, value
