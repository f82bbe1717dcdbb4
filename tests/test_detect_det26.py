"""det26: held-out longer pasted content (gen26).

Precision:
- a value written masked (``ending in NNNN``, ``***-**-NNNN``, ``XXXX XXXX XXXX NNNN``,
  ``DE** ... **NN NN``, ``x1234``) is a complete mention: never joined across lines with
  another masked value, a date, a phone number or a number named as another kind
  (``client ID CRM-...``) (policy/split.py ``_Join.masked_apart``);
- a number under a reference's label (``Confirm No:``) in a document of references (another
  labelled reference beside it), no card word anywhere: no card (``reference_document``).

Recall:
- a label alone on the line above its value, its note in brackets (``Account Number
  (transfer from)``) or the value a token with letters (``7EL-963731``);
- a form's labels in one block and their values in the next, same order (``paired_form``);
- an account number ending its line before a chat transcript's ``[hh:mm] name:`` line (a
  digit run reaches across the line break: ``between_tokens``);
- a bank's name with ``of`` between label and number (``Bank of America``).
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.conftest import stopped_as

_SENSITIVE = {"US_SSN", "US_BANK_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_ITIN", "ABA_ROUTING_NUMBER"}


def _d(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn(rng: random.Random, n: int, prefix: str) -> str:
    from dlp_proxy.detect.checksums import luhn_ok

    while True:
        d = prefix + _d(rng, n - len(prefix))
        if luhn_ok(d):
            return d


# -- 1. masked values are complete mentions -------------------------------------------

_MASKED = [
    lambda r: f"account ending in {_d(r, 4)}", lambda r: f"acct ending {_d(r, 4)}", lambda r: f"checking acct x{_d(r, 4)}",
    lambda r: f"acct ****{_d(r, 4)}", lambda r: f"brokerage acct XXXXXX{_d(r, 4)}",
    lambda r: f"account ends with {_d(r, 4)}", lambda r: f"verified last 4 of SSN ***-**-{_d(r, 4)}",
    lambda r: f"SSN XXX-XX-{_d(r, 4)}", lambda r: f"card on file XXXX XXXX XXXX {_d(r, 4)} expires 0{r.randint(1, 9)}/2{r.randint(6, 9)}",
    lambda r: f"card XXXX-XXXX-XXXX-{_d(r, 4)}", lambda r: f"IBAN DE** **** **** **** **{_d(r, 2)} {_d(r, 2)}",
]
_OTHER = [
    lambda r: f"client ID CRM-{_d(r, 6)}", lambda r: f"callback {r.randint(201, 989)}-{_d(r, 3)}-{_d(r, 4)}",
    lambda r: f"callback ({r.randint(201, 989)}) {_d(r, 3)}-{_d(r, 4)}", lambda r: f"callback +1 {r.randint(201, 989)} {_d(r, 3)} {_d(r, 4)}",
]


def _call_notes(seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(40):
        body = [rng.choice(_MASKED)(rng) for _ in range(rng.randint(2, 4))]
        body += [rng.choice(_OTHER)(rng) for _ in range(rng.randint(0, 2))]
        rng.shuffle(body)
        out.append("Call notes - Jane Doe\n" + "\n".join("- " + b for b in body))
    return out


@pytest.mark.parametrize("text", [
    "Call notes - Luis Doe\n- account ending in 2533\n- client ID CRM-541262\n- IBAN DE** **** **** **** **85 85",
    "Call notes - Grace Doe\n- client ID CRM-623633\n- card on file XXXX XXXX XXXX 9043 expires 10/30\n"
    "- account ending in 9521\n- verified identity with last 4 of SSN ***-**-7660",
])
def test_masked_values_on_lines_are_not_joined(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text) & _SENSITIVE, text


@pytest.mark.parametrize("seed", [26, 27])
def test_generated_call_notes_with_masked_values_pass(engine: Any, seed: int) -> None:
    stopped = [t for t in _call_notes(seed) if stopped_as(engine, t) & _SENSITIVE]
    assert len(stopped) <= 1, stopped[:3]


@pytest.mark.parametrize(("text", "want"), [
    ("client SSN 536-22\nok\nthe last four are 8710", "US_SSN"),  # a partial and the last four: still joined
    ("SSN ***-**-8710\nlunch?\nfirst five are 536-22", "US_SSN"),  # the first five fill the masked slots
])
def test_a_masked_value_with_its_missing_digits_is_still_read(engine: Any, text: str, want: str) -> None:
    assert want in stopped_as(engine, text), text


# -- 2. a reference's number in a document of references ------------------------------

_REF_LABELS = ["Confirm No:", "Confirmation #:", "Conf#", "Tracking Number:", "Invoice No.", "PO#", "Case Number:",
               "Ticket #", "Trade ID:", "Order No:", "Reference:"]
_REF_OTHERS = ["Order Ref: 652502797", "Ref: TRD-22307-B", "Ticket INC0012345", "Invoice #88213"]


@pytest.mark.parametrize("label", _REF_LABELS)
def test_a_reference_number_in_a_confirmation_is_no_card(engine: Any, label: str) -> None:
    rng = random.Random(label)
    for n, prefix in ((13, "4"), (16, "4"), (16, "51"), (15, "37")):
        text = (f"TRADE CONFIRMATION\n{label} {_luhn(rng, n, prefix)}\n{rng.choice(_REF_OTHERS)}\n"
                "Trade Date: 12/02/2026   Settle Date: 12/05/2026\nSOLD 3,200 UNH @ 127.3969\nNet Amount: 407,680.14")
        if n == 13:  # a length no network issues any more
            assert "CREDIT_CARD" not in stopped_as(engine, text), text
        else:  # a card's length: another labelled reference beside it is too cheap to add
            assert "CREDIT_CARD" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    "ref 4532015112830366",  # a label alone (attack 13 F1)
    "Confirm No: 4532015112830366\nRef: TRD-22307-B\npaid by card",  # a card word in the text
    "order id 4532015112830366 and order id 5398228707871527",  # the other reference is a card too
    "ref 4532015112830366, ticket 123",  # another labelled reference: too cheap to add beside a 16-digit card
])
def test_a_card_under_a_label_alone_is_still_a_card(engine: Any, text: str) -> None:
    assert "CREDIT_CARD" in stopped_as(engine, text), text


# -- 3. forms copied from a PDF --------------------------------------------------------

@pytest.mark.parametrize("text", [
    "CUSTOMER INFORMATION\nName of Account Owner\nGrace Doe\nDate of Birth\n02/15/1973\n"
    "Account Number (transfer from)\n16228339\nStreet Address\n4796 Lexington Ave",
    "CUSTOMER INFORMATION\nName of Account Owner\nHannah Doe\nDate of Birth\n12/09/1952\n"
    "Delivering Firm Account No.\n7KZ-737407\nStreet Address\n4310 Ridge Rd",
])
def test_label_on_the_line_above_its_value(engine: Any, text: str) -> None:
    assert "US_BANK_NUMBER" in stopped_as(engine, text), text


_FORM = [("Name of Account Owner", "Jane Doe"), ("Date of Birth", "07/22/1940"), ("Street Address", "7315 Maple Ave"),
         ("City, State ZIP", "Princeton, NJ 08540"), ("Primary Phone", "+1 917 426 1774")]


@pytest.mark.parametrize("label", ["SSN", "Social Security Number", "Social Security / Tax ID Number", "SSN:"])
@pytest.mark.parametrize("blank", [False, True])
@pytest.mark.parametrize("at", [1, 2, 4])
def test_label_block_then_value_block(engine: Any, label: str, blank: bool, at: int) -> None:
    fields = list(_FORM)
    fields.insert(at, (label, "840 40 8165"))
    text = ("CUSTOMER INFORMATION\n" + "\n".join(k for k, _ in fields) + ("\n\n" if blank else "\n")
            + "\n".join(v for _, v in fields))
    assert "US_SSN" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", [
    # the value under the SSN label is a count; the numbers are no identifier
    "Weekly stats\nSSN backfill\nAccount review\nCard disputes\n\n12 done\n34 left\n56 pending",
    # the blocks differ in size: no pairing
    "Name\nSSN\nPhone\n\nJane Doe\n840 40 81\n",
])
def test_label_blocks_without_an_identifier_value_pass(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text) & _SENSITIVE, text


# -- 4. / 7. chat transcripts ----------------------------------------------------------

@pytest.mark.parametrize("pair", ["routing {r} acct {a}", "ABA {r} / acct {a}", "RTN {r} DDA {a}",
                                  "for the wire use his personal checking acct {a}"])
@pytest.mark.parametrize("after", ["[15:08] rsingh: ok got it, will do after the close", "15:08 ok",
                                   "[2026-12-05 15:08] bob: ok", "10y at 4.28, curve steepening again"])
def test_account_ending_its_line_before_a_transcript_line(engine: Any, pair: str, after: str) -> None:
    rng = random.Random(pair + after)
    line = pair.format(r="021000021", a=_d(rng, 1) + "9" + _d(rng, 8))
    text = f"[15:06] bob: anyone seen the Fed minutes?\n[15:07] sgupta: {line}\n{after}\n[15:09] sgupta: ty"
    assert "US_BANK_NUMBER" in stopped_as(engine, text), text


# -- 5. bullets naming a bank ----------------------------------------------------------

@pytest.mark.parametrize("bank", ["Bank of America", "Bank of New York Mellon", "Bank of the West", "Bank of Hawaii"])
def test_a_bank_name_with_of_is_no_amount_word(engine: Any, bank: str) -> None:
    text = f"Summary for the handoff:\n- household: Doe family trust\n- outside checking acct at {bank}: 260564020\n- AUM ~19mm"
    assert "US_BANK_NUMBER" in stopped_as(engine, text), text


@pytest.mark.parametrize("text", ["acct value of 12345678", "account balance of 12345678"])
def test_amount_words_still_name_amounts(engine: Any, text: str) -> None:
    assert "US_BANK_NUMBER" not in stopped_as(engine, text), text
