"""det27: the detection gaps attack pass 25 (atk25r) left open, each fixed as a class.

- R2: words right below a table that name one of its columns ("the third column is each
  client's social", "the Ref column is their SSN") or all its numbers ("numbers above are
  their tax ids") label that column's values (``structure.table_trailer``); a line under a
  list of "name number" lines that points back at it labels the list
  (``_headings._footer``); ``tax number``, ``Tax No.``, ``taxpayer no``, ``tax
  identifiers``, ``tax ids`` name a taxpayer's number.
- R3: a header word with a digit or an ``_N`` glued (``SSN9``, ``ssn_1``, ``SSN2``) names
  its column, in a two-line CSV too (``structure._labelled``).
- R4: a plural header (``SOCIALS``, ``Tax IDs``); emphasis and dots (``S**S**N``,
  ``S.S.N.``) stay read.
- R5: a copy suffix after a file name's number (``(1)``, `` (2)``, ``-1``) is no digit group
  of it (``engine.copy_suffix_blanked``).
- R6: the words saying the digits are reversed on the next line, on the line above, or
  after a long clause (``reversal.readings``).
- N1: "order" as in "in order", "in reverse order" keeps the label before it
  (``_common.ordering_word``); "order #4471", "order number N" stay references.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.model import ContentItem, ItemKind
from dlp_proxy.policy.testing import SSN, SSN2
from dlp_proxy.recognizers.ssn import itin_valid, ssn_valid

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
_STOPS = frozenset({"US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE"})
_BARE = SSN.replace("-", "")
_BARE2 = SSN2.replace("-", "")
_ACCOUNT = "4471902283"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)} & _STOPS


def _md(header: str, trailer: str = "") -> str:
    body = f"| Name | Dept | {header} |\n|---|---|---|\n| Ann Lee | Ops | {_BARE} |\n| Bob Ray | HR | {_BARE2} |"
    return body + (f"\n\n{trailer}" if trailer else "")


def _csv(header: str, trailer: str = "", rows: int = 2) -> str:
    lines = [f"Name,Dept,{header}", f"Ann Lee,Ops,{_BARE}", f"Bob Ray,HR,{_BARE2}"][: rows + 1]
    return "\n".join(lines) + (f"\n{trailer}" if trailer else "")


# -- R2: words below a table name a column; tax number headers ------------------------------

_TRAILERS = [
    "The third column is each client's social.",
    "the last column is their SSN",
    "col 3 = tax ids",
    "numbers above are their tax ids",
    "those are their SSNs, please keep them safe",
]


@pytest.mark.parametrize("trailer", _TRAILERS)
@pytest.mark.parametrize("header", ["Ref", "Number", "Code", "Info"])
def test_words_below_a_table_name_its_column(engine: Engine, header: str, trailer: str) -> None:
    for text in (_md(header, trailer), _csv(header, trailer)):
        assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("header", ["Ref", "Code"])
def test_words_below_a_table_name_its_column_by_header(engine: Engine, header: str) -> None:
    for text in (_md(header, f"the {header} column is their social"), _csv(header, f"{header} = their SSN")):
        assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("text", [
    f"Name, Ref\nAnn Lee, {_BARE}\nBob Ray, {_BARE2}\nnumbers above are their tax ids",
    f"Ann Lee - {_BARE}\nBob Ray - {_BARE2}\n\nthe numbers above are their socials",
    f"- Ann Lee {_BARE}\n- Bob Ray {_BARE2}\nthese are the SSNs you asked for",
])
def test_a_line_under_a_list_pointing_back_labels_it(engine: Engine, text: str) -> None:
    assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("header", ["tax number", "Tax No.", "tax no", "Taxpayer No", "TAX NBR", "tax_number", "TaxNo"])
def test_tax_number_headers_name_a_taxpayer_number(engine: Engine, header: str) -> None:
    for text in (_md(header), _csv(header), _csv(header, rows=1)):
        assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("text", [
    _md("Ref", "the second column is their SSN"),       # another column named
    _md("Ref", "call them to confirm"),                  # no word for the number
    _csv("Ref", "\nping ops if you have any questions about the new SSN forms"),  # a word, not pointing at it
    _md("Tax Amount"), _md("Tax Year"), _csv("Tax"),     # a tax column that is no taxpayer number
    f"Ann Lee {_BARE}\nBob Ray {_BARE2}\n\nping me if you have any questions about the new SSN form",
    f"order {_BARE}\norder {_BARE2}\nthose are the orders to ship",
    f"Ann Lee {_BARE}\nBob Ray {_BARE2}\nthose are the tickets for the social on Friday",  # another kind named
    f"Ann Lee {_BARE}\nBob Ray {_BARE2}\nthese are order numbers, not SSNs",
    _md("Order #", "the numbers above are order ids, not SSNs"),
    _md("Ticket", "the third column is tickets; SSN stays in the vault"),
])
def test_table_and_list_lookalikes_stay_clean(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


# -- R3: header words with glued digits or _N ------------------------------------------------

@pytest.mark.parametrize("header", ["SSN9", "ssn_1", "ssn_last9", "SSN2", "ssn_full", "SSN_1", "employee_ssn2", "ssn9_full"])
def test_header_words_with_glued_digits_name_the_column(engine: Engine, header: str) -> None:
    for text in (_md(header), _csv(header), _csv(header, rows=1), f"Name,{header}\nAnn Lee,{_BARE}"):
        assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("header", ["Q3", "W2", "v2", "Order2", "batch_1", "Form 1099", "ID1", "ref_2"])
def test_header_words_with_digits_that_name_no_identifier_stay_clean(engine: Engine, header: str) -> None:
    for text in (_md(header), _csv(header), _csv(header, rows=1), f"Name,{header}\nAnn Lee,{_BARE}"):
        assert not _stops(engine, text), text


# -- R4: plural and marked headers ----------------------------------------------------------

@pytest.mark.parametrize("header", ["SOCIALS", "socials", "tax identifiers", "Tax Identifiers", "Tax IDs", "TAX IDS",
                                    "S**S**N", "**S**S**N**", "S.S.N.", "S.S.N"])
def test_plural_and_marked_headers_name_the_column(engine: Engine, header: str) -> None:
    for text in (_md(header), _csv(header), f"Name,{header}\nAnn Lee,{_BARE}", f"{header}\nAnn Lee {_BARE}\nBob Ray {_BARE2}"):
        assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("header", ["Statuses", "Orders", "Totals", "Units", "Invoices"])
def test_plural_headers_that_name_no_identifier_stay_clean(engine: Engine, header: str) -> None:
    for text in (_md(header), _csv(header), f"Name,{header}\nAnn Lee,{_BARE}"):
        assert not _stops(engine, text), text


# -- R5: copy suffixes after a number in a file name ----------------------------------------

_SCAN = SSN.replace("-", "_")


@pytest.mark.parametrize("name", [
    f"scan_{_SCAN}(1).pdf", f"scan_{_SCAN} (1).pdf", f"scan_{_SCAN}-1.pdf", f"scan {SSN.replace('-', ' ')}(2).pdf",
    f"scan_{SSN.replace('-', '.')}(12).pdf", f"scan_{_SCAN}(1)", f"scan_{_SCAN} (3)", f"{_SCAN}-2",
])
def test_a_copy_suffix_is_no_digit_group_of_a_file_name(engine: Engine, name: str) -> None:
    found = engine.scan([ContentItem("file[0].name", name, ItemKind.FILENAME)])[0].findings
    assert "US_SSN" in {f.entity_type for f in found}, name
    if "." in name:  # a file name in a message
        assert "US_SSN" in _stops(engine, f"attached {name} for you"), name


@pytest.mark.parametrize("name", [
    "invoice_2024_11_19(1).pdf", "report-2024-11-19-1.pdf", "IMG_20241119_143015(1).jpg", "order_4471(1).pdf",
    "build-4.12.7-1.tar.gz", "Q3_budget_v2(1).xlsx", "statement_0042_2024(1).pdf", "trade_123456789(1).csv",
])
def test_copy_suffixed_file_names_without_an_identifier_stay_clean(engine: Engine, name: str) -> None:
    found = engine.scan([ContentItem("file[0].name", name, ItemKind.FILENAME)])[0].findings
    assert not {f.entity_type for f in found} & _STOPS, name
    assert not _stops(engine, f"attached {name} for you"), name


# -- R6: reversal stated on another line or after a long clause -----------------------------

def _reversed_ssns(seed: str, n: int = 4) -> list[str]:
    """Dashed SSNs written backwards whose reversed form is no SSN nor ITIN as written."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < n:
        s = f"{rng.randint(1, 899):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        if not ssn_valid(s) or ssn_valid(s[::-1]) or itin_valid(s[::-1]):
            continue
        out.append(f"{s[:3]}-{s[3:5]}-{s[5:]}"[::-1])
    return out


@pytest.mark.parametrize("form", [
    "SSN: {r}\nthe digits above are reversed",
    "SSN: {r}\n(reversed)",
    "SSN {r}\nnote: I wrote it backwards",
    "ssn\n{r}\nread it backwards",
    "SSN: {r}\n\nthe digits above are reversed",
    "Jane Doe SSN {r}\nJohn Roe SSN {r}\nboth written backwards",
    "written backwards below:\nSSN {r}",
    "SSN reversed, because the compliance bot keeps eating messages with numbers in them: {r}",
    "SSN (typed backwards on purpose so that the compliance bot does not catch it again, sorry for the extra step): {r}",
    "SSN, which I copied from the intake form she sent over last week: {r}\n(reversed)",
])
def test_reversal_on_another_line_or_after_a_long_clause(engine: Engine, form: str) -> None:
    for r in _reversed_ssns(form):
        text = form.format(r=r)
        assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "the trade was reversed yesterday\nticket 48213377 closed",
    "order 482133771\nreversed by the venue",
    "ticket 48213377\n(the charge was reversed)",
    "build 48213377 failed\nflip it back to the last green one",
])
def test_reversal_words_on_another_line_make_no_identifier(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


# -- N1: "order" as the order the digits come in ----------------------------------------------

@pytest.mark.parametrize("text", [
    f"SSN in order: {_BARE}",
    f"SSN (digits in order) {_BARE}",
    f"SSN, in the right order this time: {_BARE}",
    f"here is the SSN in the correct order {_BARE}",
    f"acct in order: {_ACCOUNT}",
])
def test_order_of_the_digits_keeps_the_label(engine: Engine, text: str) -> None:
    assert _stops(engine, text) & {"US_SSN", "US_BANK_NUMBER"}, text


def test_in_reverse_order_keeps_the_label(engine: Engine) -> None:
    for r in _reversed_ssns("N1"):
        text = f"SSN, in reverse order: {r.replace('-', '')}"
        assert "US_SSN" in _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "order #4471 shipped",
    "order number 123456789 shipped",
    f"SSN verified; order {_BARE} shipped",
    f"SSN for the order {_BARE}",
    f"ssn check done, order no {_BARE}",
    f"po order {_BARE}",
    f"acct updated, order {_ACCOUNT} filled",
])
def test_order_numbers_stay_references(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text
