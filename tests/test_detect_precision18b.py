"""Red-team pass atk16d, precision and encodings (det18b), each a class with generated
members and the identifiers beside them that must still be stopped:

- a card is never a part of a longer run of groups with the same separator (a USPS
  tracking number's 22 digits, four of whose inner groups pass a card's checks);
- each finding of a base64 or hex decoding stays distinct, on the part of the blob that
  writes it (a routing number and the account beside it: the account was dropped);
- an ISIN is no IBAN's start, and an IBAN read after a separator takes no lower-case word
  (``new issue LU8363344773 priced at``: the mod-97 check passed by chance);
- a label after a short blob names it (``393632373432363232 (his ITIN)``), and spaced hex
  bytes led by ``0x`` or ``\\x`` are read (``0x36 31 38 2d ...``).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.policy import testing as synth
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


# -- an ISIN and the words after it are no IBAN --------------------------------------------

SIX = ["priced", "traded", "called", "looked", "closed", "booked", "quoted", "filled", "rolled", "capped",
       "issued", "listed", "opened", "marked", "offers", "trades", "priced", "widens", "tights", "spread"]
TWO = ["at", "in", "up", "on", "to", "by", "as", "ok", "so", "of", "is", "it", "an", "or", "go", "no", "we"]


@settings(max_examples=40, deadline=None)
@given(st.text(DIGITS, min_size=9, max_size=9), st.data())
def test_an_isin_and_the_words_after_it_are_no_iban(body: str, data: st.DataObject) -> None:
    """An LU ISIN followed by two words whose letters make a 20-character LU IBAN that
    passes mod 97 (the words picked so it does): the ISIN, not an IBAN."""
    from dlp_proxy.recognizers.iban import iban_valid
    from dlp_proxy.recognizers.securities import isin_valid

    isin = next("LU" + body + d for d in DIGITS if isin_valid("LU" + body + d))
    words = [(a, b) for a in SIX for b in TWO if iban_valid(isin + a + b)]
    assume(words)
    a, b = data.draw(st.sampled_from(words))
    text = f"new issue {isin} {a} {b} 101.25"
    assert "IBAN_CODE" not in stopped_as(_ENGINE, text), text


@pytest.mark.parametrize("text", [
    "IBAN GB82 WEST 1234 5698 7654 32", "iban gb82 west 1234 5698 7654 32 thanks", "GB82WEST12345698765432 priced",
    "wire to GB82 WEST 1234 5698 7654 32 at noon", "IBAN DE89 3704 0044 0532 0130 00", "Gb82 West 1234 5698 7654 32",
])
def test_an_iban_is_still_stopped(engine: Any, text: str) -> None:
    assert "IBAN_CODE" in stopped_as(engine, text), text


# -- decodings: distinct findings, a label on either side, 0x-led spaced bytes --------------

ABAS = ["021000021", "011000015", "026009593", "121000358", "111000025", "322271627", "071000013"]
WIRES = ["wire: RTN {r} / acct {a}", "routing {r} account no {a}", "ABA {r}, a/c {a}", "routing {r} acct # {a}"]


def _encode(text: str, how: str) -> str:
    raw = text.encode()
    if how == "base64":
        return base64.b64encode(raw).decode()
    if how == "hex":
        return raw.hex()
    if how == "0x spaced":
        return "0x" + " ".join(f"{b:02x}" for b in raw)
    if how == "each 0x":
        return " ".join(f"0x{b:02x}" for b in raw)
    return " ".join(f"{b:02x}" for b in raw)


ENCODINGS = ["base64", "hex", "0x spaced", "each 0x", "spaced"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(ABAS), st.text(DIGITS, min_size=8, max_size=12), st.sampled_from(WIRES),
       st.sampled_from(ENCODINGS), st.sampled_from(["", "decode this: ", "(b64) ", "fyi "]))
def test_a_decoded_wire_is_judged_as_the_decoded_text(aba: str, acct: str, wire: str, how: str, lead: str) -> None:
    """The decision on an encoded wire instruction is the decision on its decoding: the
    routing number's and the account's findings are not merged onto one span (where the
    account yielded to the routing number: monitor only)."""
    plain = wire.format(r=aba, a=acct)
    text = lead + _encode(plain, how)
    want = stopped_as(_ENGINE, plain)
    assert stopped_as(_ENGINE, text) == want, (text, plain)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["his SSN", "her social", "SSN", "ssn", "social security no", "SS#"]),
       st.sampled_from(ENCODINGS), st.sampled_from(["-", "", " "]),
       st.sampled_from(["hex-decode: {b} ({l})", "{b} - {l}", "decode: {b} is the {l}", "{b} ({l})"]))
def test_a_label_after_a_blob_names_its_decoding(label: str, how: str, sep: str, where: str) -> None:
    """``hex-decode: 393632373432363232 (his ITIN)``: the label after the blob names it, as
    one before it does; spaced bytes led by ``0x`` are bytes (``ssn hex: 0x36 31 38 2d ...``)."""
    number = synth.SSN.replace("-", sep)
    text = where.format(b=_encode(number, how), l=label)
    assert "US_SSN" in stopped_as(_ENGINE, text), text


@pytest.mark.parametrize("text", [
    "hex 353336323238373130 (build id)", "trace 353336323238373130 - ticket", "request id 4e54 4d32 4d6a 4930 (hex)",
    "cc de ad be ef 01 02 03 04 05 06", "blob 353336323238373130\nSSN form is on the wiki",
])
def test_a_decoding_with_no_label_of_its_own_is_not_named(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text.replace("\\n", "\n")), text


def _engine() -> Any:
    from dlp_proxy.detect import build_detector
    from tests.conftest import ROOT

    return build_detector(ROOT / "config", ner=False)


_ENGINE = _engine()
