"""Red-team pass atk16d, precision and encodings (det18b), each a class with generated
members and the identifiers beside them that must still be stopped:

- a card is never a part of a longer run of groups with the same separator (a USPS
  tracking number's 22 digits, four of whose inner groups pass a card's checks);
- each finding of a base64 or hex decoding stays distinct, on the part of the blob that
  writes it (a routing number and the account beside it: the account was dropped);
- a FIX message's id field (``|37=...|``, OrderID) holds an id, not a card, when the
  message shows itself one (begin string, message type, eight fields or more);
- an ISIN is no IBAN's start, and an IBAN read after a separator takes no lower-case word
  (``new issue LU8363344773 priced at``: the mod-97 check passed by chance);
- a word cut by a context window's edge is no word (a P&L table's ``| BAC | 1560116 |
  80101861``: the window before the number started at ``AC``, read as ``ac``);
- a label after a short blob names it (``393632373432363232 (his ITIN)``), and spaced hex
  bytes led by ``0x`` or ``\\x`` are read (``0x36 31 38 2d ...``).
"""

from __future__ import annotations

import base64
import functools
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


# -- a FIX message's id fields ------------------------------------------------------------

FIX_ID_TAGS = ["11", "17", "37", "41", "198", "527", "880"]


def _fix(fields: list[tuple[str, str]], sep: str) -> str:
    body = sep.join(f"{k}={v}" for k, v in fields)
    return f"8=FIX.4.4{sep}9={len(body)}{sep}{body}{sep}10=123{sep}"


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(FIX_ID_TAGS), st.sampled_from(["4", "51", "6011", "37"]), st.text(DIGITS, min_size=14, max_size=14),
       st.sampled_from(["|", "^", "\x01"]), st.text(DIGITS, min_size=9, max_size=11),
       st.sampled_from(["", "raw fix: ", "seeing this reject: ", "```\n"]), st.sampled_from(["D", "8", "F", "G"]))
def test_a_fix_message_s_id_field_is_no_card(tag: str, iin: str, body: str, sep: str, other: str, lead: str,
                                            kind: str) -> None:
    """An execution report's OrderID that passes a card's checks (its other ids shorter
    than a card: no evidence ``_ids_in`` reads) is the order's id."""
    card = _card((iin + body)[: 14 if iin == "37" else 15])
    fields = [("35", kind), ("49", "BRKR"), ("56", "EXEC"), ("34", "97311"), ("52", "20260809-13:47:17.486"),
              ("11" if tag != "11" else "41", other), (tag, card), ("55", "QQQ"), ("54", "1"), ("38", "500")]
    text = lead + _fix(fields, sep)
    assert "CREDIT_CARD" not in stopped_as(_ENGINE, text), text


@pytest.mark.parametrize("text", [
    _fix([("35", "8"), ("49", "A"), ("56", "B"), ("34", "1"), ("52", "x"), ("58", "4111111111111111"), ("55", "IBM")], "|"),
    _fix([("35", "D"), ("49", "A"), ("56", "B"), ("34", "1"), ("52", "x"), ("1", "4111111111111111"), ("55", "IBM")], "|"),
    _fix([("35", "8"), ("49", "A"), ("56", "B"), ("58", "card on file"), ("37", "4111111111111111"), ("55", "IBM")], "|"),
    "37=4111111111111111 rejected", "35=D|37=4111111111111111|55=IBM", "order id 4111111111111111",
])
def test_a_card_outside_a_fix_id_field_is_still_stopped(engine: Any, text: str) -> None:
    """A card in a FIX message's free text or account field, with a card word, or under a
    FIX tag outside a whole message (attack 13 F1: a label alone is no id): a card."""
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


# -- a word cut at a context window's edge ---------------------------------------------------

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@settings(max_examples=60, deadline=None)
@given(st.text(UPPER, min_size=1, max_size=2), st.sampled_from(["AC", "ACC", "ACCT", "SSN", "CC"]),
       st.lists(st.text(DIGITS, min_size=7, max_size=8).filter(lambda d: d[0] != "0"), min_size=3, max_size=3),
       st.sampled_from(["|", "\t"]))
def test_a_ticker_ending_in_a_label_is_no_label(head: str, tail: str, cells: list[str], sep: str) -> None:
    """A P&L row's ticker (``BAC``) whose end is a label (``ac``) labels nothing: the window
    before the second number started inside the ticker and read its end as a word."""
    rows = ["desk", "realized", "unrealized", "total"], [head + tail, *cells]
    if sep == "|":
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|---|---:|---:|---:|")
    else:
        lines = ["\t".join(r) for r in rows]
    text = "EOD P&L\n" + "\n".join(lines)
    assert not stopped_as(_ENGINE, text) & {"US_BANK_NUMBER", "US_SSN", "CREDIT_CARD"}, text


@pytest.mark.parametrize("text", [
    "| desk | account | pnl |\n|---|---|---:|\n| BAC | 80101861 | 1560116 |", "ac# 80101861", "ac no 80101861",
    "a/c 80101861", "BAC a/c 80101861", "0049381726 is the account number", "client SSN 536228710",
])
def test_an_account_label_is_still_read(engine: Any, text: str) -> None:
    assert stopped_as(engine, text.replace("\\n", "\n")), text


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
    assert _decision(text) == _decision(plain), (text, plain)


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


@functools.cache
def _policy() -> Any:
    from dlp_proxy.policy import load_policy
    from tests.conftest import ROOT

    return load_policy(ROOT / "config" / "policy.yaml")


def _decision(text: str) -> str:
    """The shipped policy's action on ``text`` posted (``posts.create``, channel type
    unresolved), as the red team's harness judged it."""
    from dlp_proxy.model import ContentItem, RequestContext, ScannedItem

    scanned = [ScannedItem(ContentItem("body.message", text), tuple(_ENGINE.analyze(text)))]
    action = _policy().evaluate(
        scanned, RequestContext(route="posts.create", route_group="posts")).action
    return str(getattr(action, "value", action))


def _engine() -> Any:
    from dlp_proxy.detect import build_detector
    from tests.conftest import ROOT

    return build_detector(ROOT / "config", ner=False)


_ENGINE = _engine()
