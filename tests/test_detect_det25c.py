"""Attack pass 25 (det25c): identifiers a human reader sees labelled went through in clear.

F0: a heading line naming an identifier over lines that each hold one number after a
name, a bullet or a key (``recognizers/_headings.py``).  F1: a table's parts with the label
below the table, or under headers that name its parts (``structure._trailer``,
``structure.table_trailer``).  F2: a small CSV-ish list whose header names the identifier
in chat spelling (``Name, SSN``) or code spelling (``tax_id``, ``acctNo``:
``structure.names_identifier``, ``structure.header_words``).  F6: an SSN's groups apart by
``_`` then a file extension.  Values are synthetic; the generated ones are checked here.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.structure import header_words
from dlp_proxy.recognizers.ssn import itin_valid, ssn_valid

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")

SSN1, SSN2, SSN3 = "536228710", "449107324", "212406611"
ITIN = "912781234"
ACCT1, ACCT2 = "1234567890", "9876543210"
ROUTING = "021000021"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _found(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


def _spans(engine: Engine, text: str, entity: str) -> list[str]:
    return [text[f.start:f.end] for f in engine.analyze(text) if f.entity_type == entity]


def _ssns(rng: random.Random, n: int) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        d = f"{rng.randint(1, 899):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        if ssn_valid(d):
            out.append(d)
    return out


def test_synthetic_values_are_valid() -> None:
    assert all(ssn_valid(d) for d in (SSN1, SSN2, SSN3)) and itin_valid(ITIN)


# ---------------------------------------------------------------- F0: a heading over a list

HEADED = [
    f"Here are the SSNs\nJane Doe {SSN1}\nJohn Roe {SSN2}",
    f"SSNs:\n- Jane Doe {SSN1}\n- John Roe {SSN2}",
    f"SSNs for the new accounts:\nJane Doe {SSN1}",
    f"social security numbers below\nJane Doe: {SSN1}",
    f"SSN\nJane {SSN1}",
    f"Here are the SSNs\n\nJane Doe {SSN1}",
    f"Here are the SSNs\nJane Doe - {SSN1}",
    f"ssn:\n  jane: {SSN1}\n  john: {SSN2}",
    f"SSNs\nJane: {SSN1}",
    f"SSNs\nJane={SSN1}",
    f"SSNs\nJD {SSN1}",
    f"Client: SSN\nJane Doe: {SSN1}",
    f"Name - SSN\nJane Doe - {SSN1}",
    f"Name / SSN\nJane Doe / {SSN1}",
    f"socials:\n* Jane Doe {SSN1}\n* John Roe {SSN2}",
    f"Tax IDs\n1. Jane Doe {SSN1}\n2. John Roe {SSN2}",
    # atk25r R1: words after a mark, a possessive's apostrophe, an emoji, a rule, two blank lines
    f"SSNs - new hires\nJane Doe {SSN1}\nJohn Roe {SSN2}",
    f"SSNs, please verify\nJane Doe {SSN1}",
    f"SSN's:\nJane Doe {SSN1}",
    f"SSNs \U0001f447\nJane Doe {SSN1}",
    f"SSNs\n---\nJane Doe {SSN1}",
    f"SSNs\n\n\nJane Doe {SSN1}",
]


@pytest.mark.parametrize("text", HEADED)
def test_heading_labels_the_numbers_listed_under_it(engine: Engine, text: str) -> None:
    assert "US_SSN" in _found(engine, text), text


def test_every_number_of_a_long_headed_list_is_found(engine: Engine) -> None:
    rng = random.Random(25)
    ssns = _ssns(rng, 25)
    text = "Here are the SSNs for the new accounts\n" + "\n".join(f"Client {i} {d}" for i, d in enumerate(ssns))
    assert sorted(_spans(engine, text, "US_SSN")) == sorted(ssns)


@pytest.mark.parametrize("text", [
    f"ITINs:\nJane Doe {ITIN}",
    f"itin list\n- Jane Doe {ITIN}",
])
def test_heading_labels_itins(engine: Engine, text: str) -> None:
    assert "US_ITIN" in _found(engine, text), text


@pytest.mark.parametrize("text", [
    f"account numbers:\nJane Doe {ACCT1}\nJohn Roe {ACCT2}",
    "bank acct numbers\nJane 12345678\nJohn 87654321",
    f"Acct #s\n- Jane Doe: {ACCT1}",
])
def test_heading_labels_account_numbers(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" in _found(engine, text), text


@pytest.mark.parametrize("text", [
    # a kind of account over amounts, not the accounts' numbers
    "Margin accounts:\nJane 2500000\nJohn 1250000",
    "Type: Roth IRA\nVAT 741 0913 59",
    # a negative label on the item's line or after the heading's word
    f"account numbers:\nJane Doe phone {ACCT1}",
    f"SSN ticket queue\nJane {SSN1}",
    # a line that holds two numbers is a row of values, and ends the list
    f"SSN review\nJane 20240115 {SSN1}",
    f"SSNs\nJane 20240115 {SSN1}",
    f"Hi team, the SSN form is attached\nBob {SSN1}",
    # prose between the heading and the number
    f"SSNs are in the vault\nthe batch we ran last night finished with id {SSN1} at noon and more words",
    # no heading: the words are on a line with a number of their own
    f"SSN form 1099 sent\nJane {SSN1}",
    f"SSN questions go to ops\nJane {SSN1}",
])
def test_no_heading_no_label(engine: Engine, text: str) -> None:
    assert not ({"US_SSN", "US_BANK_NUMBER"} & _found(engine, text)), text


# ---------------------------------------------------------------- F1: label below a table

TABLES = [
    ("US_SSN", "| first | middle | last |\n| --- | --- | --- |\n| 536 | 22 | 8710 |\n\n"
               "those are the three parts of her social security number"),
    ("US_SSN", "|area|group|serial|\n|:-:|:-:|:-:|\n|536|22|8710|\nssn"),
    ("US_SSN", "| part | value |\n|---|---|\n| area | 536 |\n| group | 22 |\n| serial | 8710 |\nher ssn"),
    ("US_SSN", "| client | a | b | c |\n|---|---|---|---|\n| Jane | 536 | 22 | 8710 |\nsocials above"),
    ("US_ITIN", "| a | b | c |\n|---|---|---|\n| 912 | 78 | 1234 |\nher itin"),
    ("US_BANK_NUMBER", f"| a | b |\n|---|---|\n| {ROUTING} | {ACCT1} |\nrouting and account"),
    ("ABA_ROUTING_NUMBER", f"| a | b |\n|---|---|\n| {ROUTING} | {ACCT1} |\nrouting and account"),
    ("US_SSN", "<table><tr><td>536</td><td>22</td><td>8710</td></tr></table> ssn"),
    ("US_SSN", "<table><tr><td>536</td><td>22</td><td>8710</td></tr></table>\nssn"),
    ("US_SSN", "| x |\n|---|\n| 536 |\n| 22 |\n| 8710 |\nher ssn top to bottom"),
]


@pytest.mark.parametrize(("entity", "text"), TABLES)
def test_words_below_a_table_name_its_parts(engine: Engine, entity: str, text: str) -> None:
    assert entity in _found(engine, text), text


@pytest.mark.parametrize("text", [
    "| qty | px | id |\n|---|---|---|\n| 536 | 22 | 8710 |\nbooked, thanks",
    "| a | b | c |\n|---|---|---|\n| 536 | 22 | 8710 |",
    "| area | group | serial |\n|---|---|---|\n| 536 | 22 | 8710 |\nfills look right",
    f"| a | b |\n|---|---|\n| {ROUTING} | {ACCT1} |\nsee the totals",
    # a table whose headers name its columns is read by them, not by the words below
    f"| qty | notional |\n|---|---|\n| 200 | {ACCT1} |\naccount totals above",
])
def test_clean_tables_stay_clean(engine: Engine, text: str) -> None:
    assert not _found(engine, text), text


# ---------------------------------------------------------------- F2: small labelled CSV lists

CSV = [
    ("US_SSN", f"Name, SSN\nJane Doe, {SSN1}"),
    ("US_SSN", f"Name, SSN\nJane Doe, {SSN1}\nJohn Roe, {SSN2}\nAnn Lee, {SSN3}"),
    ("US_SSN", f"Name;SSN (no dashes)\nJane Doe;{SSN1}"),
    ("US_SSN", f"name,SSN/TIN\nJane Doe,{SSN1}\nJohn Roe,{SSN2}"),
    ("US_SSN", f"Name , SSN\nJane Doe , {SSN1}"),
    ("US_SSN", f"Name, SSN, DOB\nJane Doe, {SSN1}, 1980-01-02"),
    ("US_SSN", f'Name, SSN\n"Jane Doe", "{SSN1}"'),
    ("US_SSN", f"name,tax_id\nJane Doe,{SSN1}\nJohn Roe,{SSN2}\nAnn Lee,{SSN3}"),
    ("US_SSN", f"name,Customer TIN\nJane Doe,{SSN1}"),
    ("US_SSN", f"name,ssn_nbr\nJane Doe,{SSN1}"),
    ("US_SSN", f"name,ss_no\nJane Doe,{SSN1}"),
    ("US_SSN", f"name,taxId\nJane Doe,{SSN1}"),
    ("US_ITIN", f"Name, ITIN\nJane Doe, {ITIN}"),
    ("US_BANK_NUMBER", f"Name, Account\nJane Doe, {ACCT1}"),
    ("US_BANK_NUMBER", f"Name, Acct\nJane Doe, {ACCT1}\nJohn Roe, {ACCT2}"),
    ("US_BANK_NUMBER", f"name,acct_no\nJane Doe,{ACCT1}"),
    ("US_BANK_NUMBER", f"name,acct_num\nJane Doe,{ACCT1}"),
    ("US_BANK_NUMBER", f"name,account_number\nJane Doe,{ACCT1}"),
    ("US_BANK_NUMBER", f"name,acctNo\nJane Doe,{ACCT1}"),
    ("ABA_ROUTING_NUMBER", f"name,routing_no\nJane Doe,{ROUTING}"),
    ("IBAN_CODE", "name,iban\nJane Doe,GB82WEST12345698765432"),
    # atk25r R3: words after the name that say how it is written
    ("US_SSN", f"Name,SSN.value\nJane Doe,{SSN1.replace('-', '')}"),
    ("US_SSN", f"Name,SSN_NoDash\nJane Doe,{SSN1.replace('-', '')}"),
    ("US_SSN", f"Name,SSN-no-dashes\nJane Doe,{SSN1.replace('-', '')}"),
]


@pytest.mark.parametrize(("entity", "text"), CSV)
def test_small_list_under_a_header_naming_the_identifier(engine: Engine, entity: str, text: str) -> None:
    assert entity in _found(engine, text), text


@pytest.mark.parametrize(("cell", "words"), [
    ("tax_id", "tax id"), ("ssnNbr", "ssn Nbr"), ("acctNo", "acct No"), ("SSN/TIN", "SSN TIN"),
    ("account_number", "account number"), ("routing-no", "routing no"), ("Name", "Name"),
])
def test_header_words(cell: str, words: str) -> None:
    assert header_words(cell) == words


@pytest.mark.parametrize("text", [
    # an SSN header over 10-digit values: no SSN, no account
    f"name,SSN (no dashes)\nJane Doe,{ACCT1}\nJohn Roe,{ACCT2}",
    # a header that names a form, not the number
    f"Hi team, the SSN form is attached\nBob, please file {SSN1} today",
    # chat lines with commas and no header naming an identifier
    f"Hi Bob, fills are in\nqty 200, id {SSN1}",
])
def test_chat_commas_without_a_labelled_header_stay_prose(engine: Engine, text: str) -> None:
    assert not ({"US_SSN", "US_BANK_NUMBER"} & _found(engine, text)), text


# ---------------------------------------------------------------- F6: underscores and an extension

@pytest.mark.parametrize("text", [
    "536_22_8710.txt", "scan_536_22_8710.pdf", "jane_536_22_8710.txt",
    "uploaded scan_536_22_8710.pdf to the share", "536 22 8710.txt",
])
def test_underscored_ssn_with_an_extension(engine: Engine, text: str) -> None:
    assert "US_SSN" in _found(engine, text), text


@pytest.mark.parametrize("text", ["installer 536.22.8710.msi failed", "patch 536.22.8710.zip is out"])
def test_dotted_version_with_an_extension_stays_a_version(engine: Engine, text: str) -> None:
    assert "US_SSN" not in _found(engine, text), text
