"""FIX messages with their separators written out, and routing/account pairs a cheque's
words name (held-out probe of 2026-12-07: 81 FIX messages with ``^A``, ``<SOH>``, ``\\x01``
or ``␁`` between fields stopped as account numbers; 112 pairs after "voided check shows"
or "from the check:" missed)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.model import ABA_ROUTING_NUMBER, US_BANK_NUMBER, US_SSN
from dlp_proxy.recognizers.bank import aba_valid
from dlp_proxy.recognizers.ssn import ssn_valid
from tests.conftest import kinds

#: how people paste a FIX message whose SOH bytes their tool could not show
SEPARATORS = ["^A", "<SOH>", "[SOH]", "\\x01", "\\u0001", "\u2401", "|", "\x01"]
#: numeric fields of an order or an execution report: MsgSeqNum, OrderQty, ClOrdID,
#: OrderID, ExecID, CumQty, SecurityID, SendingTime as digits
NUMERIC_TAGS = [34, 38, 11, 37, 17, 14, 48, 60, 9]

values = st.integers(10, 10**12).map(str)
fields = st.lists(st.tuples(st.sampled_from(NUMERIC_TAGS), values), min_size=4, max_size=12)
accounts = st.sampled_from(["ACCT01", "ACCT-HF-7", "ACCOUNT_A", "ACCT-PRIME01"])


def _message(sep: str, body: list[tuple[int, str]], account: str) -> str:
    parts = ["8=FIX.4.4", "9=176", "35=D", "49=ACMEOMS", "56=NYSE", f"1={account}",
             *(f"{t}={v}" for t, v in body), "10=128"]
    return sep.join(parts) + sep


@settings(max_examples=150, deadline=None)
@given(sep=st.sampled_from(SEPARATORS), body=fields, account=accounts)
def test_property_a_fix_messages_numeric_fields_are_no_account(engine: Any, sep: str, body: list[tuple[int, str]],
                                                                account: str) -> None:
    text = _message(sep, body, account)
    assert US_BANK_NUMBER not in kinds(engine, text), ascii(text)


ssns = st.tuples(st.integers(1, 899), st.integers(1, 99), st.integers(1, 9999)).map(
    lambda t: f"{t[0]:03d}-{t[1]:02d}-{t[2]:04d}").filter(lambda s: ssn_valid(s.replace("-", "")))


@settings(max_examples=60, deadline=None)
@given(sep=st.sampled_from(SEPARATORS), body=fields, ssn=ssns)
def test_property_an_ssn_in_a_fix_text_field_is_found(engine: Any, sep: str, body: list[tuple[int, str]],
                                                      ssn: str) -> None:
    text = _message(sep, [*body[:2], (58, f"client SSN {ssn}"), *body[2:]], "ACCT01")  # 58: Text
    assert US_SSN in kinds(engine, text), ascii(text)


@settings(max_examples=60, deadline=None)
@given(sep=st.sampled_from(["|", "^A", "<SOH>"]), ssn=ssns)
def test_property_quoted_printable_in_a_fix_message_is_still_read(engine: Any, sep: str, ssn: str) -> None:
    """Only a numeric field's ``=`` is no escape: marks written as escapes inside a field
    (``58=SSN 536=2D22=2D8710``, or as a field of their own) are decoded as before."""
    a, g, s = ssn.split("-")
    for field in (f"58=client SSN {a}=2D{g}=2D{s}", f"{a}=2D{g}=2D{s}"):
        text = sep.join(["8=FIX.4.4", "35=D", "1=ACCT01", field, "10=128"]) + sep
        assert US_SSN in kinds(engine, text), ascii(text)


def _aba(prefix: int, middle: str) -> str:
    """A nine-digit routing number passing the ABA check (weights 3 7 1): the check digit
    computed, the result checked by the recognizer's own ``aba_valid``."""
    body = f"{prefix:02d}{middle}"
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    return body + str(-sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 10)


routings = st.builds(_aba, st.sampled_from([*range(1, 13), *range(21, 33), *range(61, 73), 80]),
                     st.text("0123456789", min_size=6, max_size=6)).filter(aba_valid)
account_numbers = st.integers(10**7, 10**11 - 1).map(str)


@settings(max_examples=80, deadline=None)
@given(routing=routings, account=account_numbers,
       form=st.sampled_from(["voided check shows {r} {a}", "check bottom reads {r} / {a}",
                             "from the check: {r} {a} 1001", "bottom of her cheque: {r} {a}",
                             "cheque {r} {a}", "voided cheque attached, {r} {a}"]))
def test_property_a_pair_a_cheques_words_name_is_found(engine: Any, routing: str, account: str, form: str) -> None:
    text = form.format(r=routing, a=account)
    assert {ABA_ROUTING_NUMBER, US_BANK_NUMBER} <= kinds(engine, text), text


@pytest.mark.parametrize("form", ["pls check {r} and {a} in the blotter", "check {r} vs {a}",
                                  "new account form missing routing number and voided check, case {a}"])
def test_check_as_a_verb_names_no_cheque(engine: Any, form: str) -> None:
    text = form.format(r="021000021", a="28174339")
    assert US_BANK_NUMBER not in kinds(engine, text), text
