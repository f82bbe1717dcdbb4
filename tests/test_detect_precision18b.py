"""Red-team pass atk16d, precision and encodings (det18b), each a class with generated
members and the identifiers beside them that must still be stopped:

- a card is never a part of a longer run of groups with the same separator (a USPS
  tracking number's 22 digits, four of whose inner groups pass a card's checks);
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.checksums import luhn_ok
from tests.conftest import stopped_as

DIGITS = "0123456789"


def _card(body: str) -> str:
    """``body`` (an issuer's first digits and more) completed with its Luhn check digit."""
    return next(body + d for d in DIGITS if luhn_ok(body + d))

# -- a card's four groups inside a longer run grouped alike ---------------------------------

TRACKING_LABELS = ["tracking: ", "USPS tracking ", "certified mail ", "FedEx tracking # ", "shipment ", "", "pkg "]


def _fours(digits: str, sep: str) -> str:
    return sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(["9400", "9405", "9205", "9270", "9407"]), st.sampled_from(["4", "51", "52", "6011"]),
       st.text(DIGITS, min_size=14, max_size=14), st.text(DIGITS, min_size=2, max_size=2),
       st.sampled_from(TRACKING_LABELS), st.sampled_from([" ", "-", "."]))
def test_a_card_shaped_part_of_a_longer_grouped_number_is_no_card(prefix: str, iin: str, body: str, tail: str,
                                                                 label: str, sep: str) -> None:
    """``9400 6251 0551 7637 1984 05``: the reader reads the 22 digits as one number;
    its inner 16 (here made to pass a card's checks) are no card of their own."""
    run = _fours(prefix + _card((iin + body)[:15]) + tail, sep)
    assert "CREDIT_CARD" not in stopped_as(_ENGINE, label + run), label + run


@pytest.mark.parametrize("text", [
    "4111 1111 1111 1111", "card 4111 1111 1111 1111 12", "card: 4111-1111-1111-1111-1226",
    "4111 1111 1111 1111, exp 12 26", "4111 1111 1111 1111\n12 26", "cc 4111.1111.1111.1111 / 1226",
    "visa 4111 1111 1111 1111 cvv 123",
])
def test_a_card_grouped_as_a_card_is_still_stopped(engine: Any, text: str) -> None:
    """The run is the card, or a card word labels the run starting at it, or another
    separator ends the card: still a card."""
    assert "CREDIT_CARD" in stopped_as(engine, text), text


def _engine() -> Any:
    from dlp_proxy.detect import build_detector
    from tests.conftest import ROOT

    return build_detector(ROOT / "config", ner=False)


_ENGINE = _engine()
