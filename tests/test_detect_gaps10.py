"""Attack pass 10 evasions, each as a class (detect/normalize.py, structure.py, recognizers):

- leet-spelled identifier labels (``S5N``, ``$SN``, ``@cct``, ``r0uting``, ``1BAN``) read as
  the label (``normalize._leet_labels``), so a bare number that needs context is judged with it;
- accounts written with letters (``ABC123456``, ``5KX12345``) beside an account word, and
  Mexican CLABEs (``recognizers/bank.py``);
- identifier fragments that data holds apart (``structure.fragment_pieces``): values of keys
  sharing a stem, digit keys of one object, card groups apart by words, a table's number
  header continued by its first row, a short column read down;
- look-alike letters of several scripts as whole tokens (``ƽƷб-ƧƧ-8710``), Lisu ``ꓶ``;
  Nemeth Braille digits; tag characters inside digit groups (dropped already).
"""

from __future__ import annotations

import pytest

from dlp_proxy.detect import Engine
from dlp_proxy.detect.normalize import normalize
from tests.conftest import stopped_as


@pytest.mark.parametrize(("text", "entity"), [
    ("S5N 536228710", "US_SSN"),
    ("$SN 536228710", "US_SSN"),
    ("55N: 536228710", "US_SSN"),
    ("my $0c1al 5ecur1ty is 536228710", "US_SSN"),
    ("@cct 12345678901", "US_BANK_NUMBER"),
    ("4cct no 12345678901", "US_BANK_NUMBER"),
    ("r0uting 021000021", "ABA_ROUTING_NUMBER"),
    ("r0u71ng 021000021", "ABA_ROUTING_NUMBER"),
    ("$$N 536228710", "US_SSN"),
    ("c@rd 41111111 11111111", "CREDIT_CARD"),  # a grouping that needs a card word
    ("1T1N 912701234", "US_ITIN"),
])
def test_leet_label_gives_context(engine: Engine, text: str, entity: str) -> None:
    assert entity in stopped_as(engine, text)


def test_leet_label_folds_only_the_label() -> None:
    n = normalize("S5N 536228710 and $$N")
    assert n.text == "SsN 536228710 and ssN"
    assert "leet-labels" in n.transforms_in(0, 3)


@pytest.mark.parametrize("text", [
    "484 536228710",  # digits alone are no label
    "ab1 536228710",
    "t3st run 536228710",
    "5sn 4 u: see build 536228710",
    "the 4cc3ss log 536228710",
])
def test_leet_hard_negatives(engine: Engine, text: str) -> None:
    assert not stopped_as(engine, text)


# -- accounts with letters, CLABE -------------------------------------------------


@pytest.mark.parametrize("text", [
    "brokerage account ABC123456",
    "acct 5KX12345 for the transfer",
    "please credit account 12345678AB today",
    "Acct#: XY1234567",
    "clabe 002180012345678906",
    "transferencia SPEI a la CLABE 012 180 01234567890 9",
    "002180012345678906",
])
def test_accounts_with_letters_and_clabe(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" in stopped_as(engine, text)


@pytest.mark.parametrize("text", [
    "account locked, ticket INC0012345",
    "account upgraded to v12345",
    "account holds 037833100 shares",  # a CUSIP
    "account team shipped build AB123456",
    "clabe 002180012345678907",  # wrong check digit
    "order 002180012345678906 shipped",  # an order label: no context, and labelled
    "the account page, see ABC123",  # too few digits
])
def test_accounts_hard_negatives(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" not in stopped_as(engine, text)


def test_clabe_check_digit() -> None:
    from recognizers.bank import clabe_valid
    assert clabe_valid("002010077777777771")
    assert not clabe_valid("002010077777777772")


# -- fragments held apart by data's structure (structure.fragment_pieces) ---------


@pytest.mark.parametrize(("text", "entity"), [
    ("card_1=4111 card_2=1111 card_3=1111 card_4=1111", "CREDIT_CARD"),
    ("card=4111&card=1111&card=1111&card=1111", "CREDIT_CARD"),
    ("ssn_a=536&ssn_b=22&ssn_c=8710", "US_SSN"),
    ('{"p1":"536","p2":"22","p3":"8710"}', "US_SSN"),
    ("x[0]: 536, x[1]: 22, x[2]: 8710", "US_SSN"),
    ('{"536": 1, "22": 2, "8710": 3}', "US_SSN"),
    ("{'536': 'a', '22': 'b', '8710': 'c'}", "US_SSN"),
    ("4111 and 1111 and 1111 and 1111", "CREDIT_CARD"),
    ("4111 then 1111 plus 1111, 1111", "CREDIT_CARD"),
    ("try 4111, and then 1111 / 1111 & 1111", "CREDIT_CARD"),
    ("| 536 | 22 |\n|---|---|\n| 8710 | x |", "US_SSN"),
    ("| 4111 | 1111 |\n|---|---|\n| 1111 | 1111 |", "CREDIT_CARD"),
    ("x,n\na,536\nb,22\nc,8710", "US_SSN"),
    ("id\tv\n1\t536\n2\t22\n3\t8710", "US_SSN"),
    ("x,y\n536,1\n22,2\n8710,3", "US_SSN"),
    ("| 536 | 22 |\n| :-: | --- |\n| 8710 | x |", "US_SSN"),
    ("name,ssn\nBob,536\n,22\n,8710", "US_SSN"),
])
def test_fragments_read_as_one(engine: Engine, text: str, entity: str) -> None:
    if entity == "US_SSN" and "ssn" not in text:
        # attack 11 P2: numbers written apart (keys, digit keys, a row, a column) are an SSN only
        # with a word naming it (no checksum names one): clean alone, stopped under a label
        assert entity not in stopped_as(engine, text)
        text = "client ssn\n\n" + text
    assert entity in stopped_as(engine, text)


@pytest.mark.parametrize("text", [
    "rooms 4111, 1111, 1112 and 1111",  # not Luhn-valid
    "ports 8080 and 8443 then 9090 plus 3000",
    "item,qty\napple,536\npear,22\nfig,8710",  # a column its header names
    '{"r": 255, "g": 128, "b": 0}',
    "width=1920&height=1080&depth=24",  # different stems
    "v1=1 v2=2 v3=3",  # too few digits
    "| year | q1 |\n|---|---|\n| 2024 | 512 |\n| 2025 | 640 |",
    "meeting at 10:30, 11:45 and 14:00",
    "100,250\n120,300\n130,350",  # never regrouped into 3-2-4 (100 | 12 | 0130)
    "x1=100&x2=120&x3=130",
    "4111,1\n1111,2\n1111,3\n1111,4",  # no header row: no column read (a window cut mid-table)
    "9,4111\n1111,2\n1111,3",  # a CSV's rows are not read across
])
def test_fragments_hard_negatives(engine: Engine, text: str) -> None:
    assert not stopped_as(engine, text)


# -- look-alike letters of several scripts, Nemeth digits, tag characters ----------


@pytest.mark.parametrize("text", [
    "ƽƷб-ƧƧ-8ꓶlO",  # Latin tone letters, Cyrillic be, Lisu uh (no confusables entry), l, O
    "ƽƷб-ƧƧ-8710",  # whole tokens of look-alikes, no letter glued to a digit
    "536-ƧƧ-ꓶ81O",
    "ssn ƽƷб ƧƧ 8ꓶ1O",
])
def test_lookalike_letters_of_other_scripts(engine: Engine, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text)


@pytest.mark.parametrize("text", [
    "⠼⠢⠒⠖-⠆⠆-⠦⠶⠂⠴",  # Nemeth lower-cell digits
    "⠼⠢⠒⠖⠤⠆⠆⠤⠦⠶⠂⠴",
    "⠼⠢⠒⠖⠀⠼⠆⠆⠀⠼⠦⠶⠂⠴",
    "⠼⠑⠉⠋-⠼⠃⠃-⠼⠓⠛⠁⠚",  # literary (UEB) digits: read already
    "5\U000e00313\U000e00206-2\U000e007f2-8710",  # tag characters inside the groups: dropped already
])
def test_braille_and_tag_digits(engine: Engine, text: str) -> None:
    assert "US_SSN" in stopped_as(engine, text)


@pytest.mark.parametrize("text", [
    "Зоб 2024 года",
    "Привет, как дела 2024",
    "Ƨome ƽtuff 12",
    "⠼⠁⠂⠃ ok",
])
def test_lookalike_hard_negatives(engine: Engine, text: str) -> None:
    assert not stopped_as(engine, text)
