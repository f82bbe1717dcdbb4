"""Evasion families measured by bench/bench_evasion.py (det21), each with look-alikes
that must stay clean:

- look-alike letters in an IBAN from Unicode's confusables data, the capitals that
  confusables.txt gives the prototype ``l`` (``Ｉ`` ``𝐼`` ``Ӏ``: an Irish IBAN's ``IE``);
- an IBAN split inside its check digits or written one character at a time;
- check digits and BBAN digits written with ``O``/``I`` while the bank code holds real
  ``O``/``I`` letters (read by the country's structure, not everywhere);
- an account number as the tag of an e-mail plus-address, with account context;
- leet digits ``A`` 4, ``E`` 3 (with ``T`` 7, ``G`` 6...) in a labelled SSN or card;
- a Markdown table whose header cell names a form with a digit (``SSN on W-9``).

Every finding's offsets index the original text.
"""

from __future__ import annotations

import json
import string
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.structure import column_header, mark_tables
from dlp_proxy.recognizers.iban import iban_valid

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "US_BANK_NUMBER", "IBAN_CODE")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _found(engine: Engine, text: str, entity: str) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in engine.analyze(text) if f.entity_type == entity]


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


def _iban(country: str, bban: str) -> str:
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(num) % 97:02d}{bban}"


def _printed(v: str) -> str:
    return " ".join(v[i : i + 4] for i in range(0, len(v), 4))


IE_BANKS = st.text(alphabet=string.ascii_uppercase, min_size=4, max_size=4)
DIGITS14 = st.text(alphabet=string.digits, min_size=14, max_size=14)


@cache
def _lookalike_letters() -> dict[str, tuple[str, ...]]:
    """For each ASCII capital: the letters of other scripts confusables.txt pairs with it
    (its class; ``I``'s is ``l``'s), the mathematical ones included, and its fullwidth form."""
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    out: dict[str, tuple[str, ...]] = {}
    for c in string.ascii_uppercase:
        key = "l" if c == "I" else c
        alike = {
            g["c"]
            for g in raw.get(key, [])
            if len(g["c"]) == 1
            and not g["c"].isascii()
            and unicodedata.category(g["c"]) in ("Lu", "Lo", "Lt")
            and (g["c"].isupper() or c != "I")
        }
        alike.add(chr(0xFF21 + ord(c) - 65))
        out[c] = tuple(sorted(alike))
    return out


# ---------------------------------------------------------------- look-alike capitals


@pytest.mark.parametrize("i_letter", ["\uff29", "\U0001d43c", "\U0001d408", "\u04c0", "\u0406", "\u0399"])
def test_a_capital_i_lookalike_reads_as_i_not_l(engine: Engine, i_letter: str) -> None:
    """confusables.txt's prototype of ``I`` is ``l``: before det21 a fullwidth or
    mathematical ``I`` was folded to ``l`` and ``lE..`` is no Irish IBAN."""
    v = _iban("IE", "AIBK93115212345678")
    text = f"IBAN {i_letter}{_printed(v)[1:]} pls"
    spans = _found(engine, text, "IBAN_CODE")
    assert spans == [(5, len(text) - 4)], (text, spans)


@SETTINGS
@given(bank=IE_BANKS, digits=DIGITS14, data=st.data())
def test_iban_letters_in_any_lookalike(engine: Engine, bank: str, digits: str, data: st.DataObject) -> None:
    v = _iban("IE", bank + digits)
    table = _lookalike_letters()
    chars = list(v)
    for i in data.draw(st.sets(st.sampled_from([0, 1, 4, 5, 6, 7]), min_size=1)):
        chars[i] = data.draw(st.sampled_from(table[chars[i]]))
    text = "wire to " + _printed("".join(chars))
    assert _found(engine, text, "IBAN_CODE") == [(8, len(text))], text


# ---------------------------------------------------------------- split IBANs


@SETTINGS
@given(
    bank=IE_BANKS,
    digits=DIGITS14,
    sep=st.sampled_from([" ", "  ", "-", ".", "/", "|", ",", "_", " - ", "\u00b7", ":", " / "]),
    how=st.sampled_from(["each", "check"]),
)
@example(bank="WEST", digits="12345698765432", sep=" ", how="check")
def test_iban_split_inside_check_digits_or_per_character(
    engine: Engine, bank: str, digits: str, sep: str, how: str
) -> None:
    v = _iban("GB", bank + digits)
    written = sep.join(v) if how == "each" else f"{v[:3]}{sep}{_printed(v[3:])}"
    text = f"IBAN {written} asap"
    assert _found(engine, text, "IBAN_CODE") == [(5, 5 + len(written))], text


def test_a_split_iban_needs_its_checksum(engine: Engine) -> None:
    v = _iban("GB", "WEST12345698765432")
    bad = v[:2] + f"{(int(v[2:4]) + 1) % 100:02d}" + v[4:]
    assert not iban_valid(bad)
    for text in (f"IBAN {' '.join(bad)}", f"IBAN {bad[:3]} {bad[3:]}", "ship to G B 8 2 boxes, then W E S T"):
        assert not _found(engine, text, "IBAN_CODE"), text


def test_lookalike_digits_read_where_the_structure_wants_a_digit(engine: Engine) -> None:
    """A GB IBAN whose bank code holds real ``O`` and ``I`` letters and whose account digits
    are written with ``O`` for 0: before det21 every ``O``/``I`` after the country code was
    read as a digit, the bank code too, and the structure check refused it."""
    v = _iban("GB", "BOFI60161331926819")
    assert iban_valid(v)
    written = v[:4] + v[4:8] + v[8:].replace("0", "O")
    assert written != v
    text = f"IBAN {written}"
    assert _found(engine, text, "IBAN_CODE") == [(5, len(text))]
    # and a wrong one stays a wrong one
    assert not _found(engine, "IBAN " + written[:-1] + ("3" if written[-1] != "3" else "4"), "IBAN_CODE")


# ---------------------------------------------------------------- plus-addresses


@SETTINGS
@given(
    acct=st.text(alphabet=string.digits, min_size=8, max_size=12).filter(
        lambda d: d[0] != "0" and len(set(d)) > 3 and not d.endswith("0000")
    ),
    phrase=st.sampled_from(
        [
            "send the confirms to {a} - the tag is his account number",
            "acct in the plus tag: {a}",
            "use {a} (that's the brokerage account after the +)",
            "email {a}; account # after the plus",
        ]
    ),
)
def test_account_number_in_a_plus_address(engine: Engine, acct: str, phrase: str) -> None:
    addr = f"john+{acct}@client-mail.example"
    text = phrase.format(a=addr)
    start = text.index(acct)
    assert (start, start + len(acct)) in _found(engine, text, "US_BANK_NUMBER"), text


@pytest.mark.parametrize(
    "text",
    [
        "cc ops+48213377@desk.example on the recap",
        "newsletter signups go to alerts+20261205@gmail.com",
        "my sorting alias is anna.k+123456789@outlook.com",
        "call the account desk at +48213377 tomorrow",
        "acct rep phone +44 20 7946 0018",
    ],
)
def test_plus_addresses_without_account_context_stay_clean(engine: Engine, text: str) -> None:
    assert not _found(engine, text, "US_BANK_NUMBER"), text


# ---------------------------------------------------------------- leet digits

LEET = {"4": "A", "3": "E", "7": "T", "6": "G"}


@SETTINGS
@given(
    area=st.integers(100, 665),
    group=st.integers(10, 99),
    serial=st.integers(1000, 9999),
    sep=st.sampled_from(["-", " "]),
    label=st.sampled_from(["SSN", "client SSN:", "her social is", "SS#"]),
    data=st.data(),
)
@example(area=536, group=22, serial=1234, sep="-", label="SSN", data=None)
def test_leet_digits_in_a_labelled_ssn(
    engine: Engine, area: int, group: int, serial: int, sep: str, label: str, data: st.DataObject | None
) -> None:
    ssn = f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"
    pos = [i for i, c in enumerate(ssn) if c in LEET]
    if not pos:
        return
    picked = data.draw(st.sets(st.sampled_from(pos), min_size=1, max_size=3)) if data else set(pos[:2])
    written = "".join(LEET[c] if i in picked else c for i, c in enumerate(ssn))
    text = f"{label} {written} pls update"
    start = len(label) + 1
    assert (start, start + len(written)) in _found(engine, text, "US_SSN"), text


def test_leet_ssn_with_three_letters_in_ascii_text(engine: Engine) -> None:
    """Three letters leave six digits: enough for the raw quick check to send the text on."""
    text = "client SSN: 5EG-22-87A0"
    assert _found(engine, text, "US_SSN") == [(12, 23)]


def test_leet_digits_in_a_labelled_card(engine: Engine) -> None:
    text = "Visa 4111 1111 1111 111A thx"  # 4111 1111 1111 1114? no: the synthetic card's last 1
    assert not _stops(engine, text)  # 4111111111111114 fails Luhn: the reading is checked
    text = "Visa 2221 1273 0580 51E7 thx"
    assert _found(engine, text, "CREDIT_CARD") == [(5, 24)]
    text = "amex 3782 8224A 631 0005"  # not a card's shape: left alone
    assert not _stops(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "session id 5E6-22-12E4 from the login service",  # the shape, no label
        "commit 5e6a22f fixes the card-fee rounding",
        "card reader firmware 4A3E-7T12-BEEF deployed",
        "AE86 and GT-R34 parked in lot 3, ssn lookup is down",
        "SSN field blank; error code E3A-22-9T1A on the form",  # three letters, too few digits
        "the 5E6 board, SSN process review at 10",
    ],
)
def test_leet_lookalikes_stay_clean(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


# ---------------------------------------------------------------- table headers with a digit


def test_a_header_naming_a_form_labels_its_column() -> None:
    text = mark_tables(
        "| Client | SSN on W-9 (primary) | Status |\n|---|---|---|\n| the client | 855762405 | MK |"
    )
    assert column_header(text, text.index("855762405")) == "SSN on W-9 (primary)"
    # a first row holding values is data, no header
    data = mark_tables("| a | 855762405 | x |\n| b | 855762406 | y |")
    assert column_header(data, data.index("855762406")) is None


def test_markdown_table_header_with_a_form_number(engine: Engine) -> None:
    text = "| Client | SSN on W-9 (primary) | Status |\n|---|---|---|\n| Sato household | 758184461 | needs W-9 |"
    start = text.index("758184461")
    assert (start, start + 9) in _found(engine, text, "US_SSN")
    clean = "| Trade ID | Quantity (Q3, net) | Px |\n|---|---|---|\n| T10131 | 758184461 | 101.25 |"
    assert not _stops(engine, clean)


# ---------------------------------------------------------------- an IBAN read by its look after its label


@pytest.mark.parametrize(
    "written",
    [
        "lE29 AIBK 9311 5212 3456 78",  # l for I in the country code
        "GBO5 OEVO 7913 4952 2688 74",  # O for 0 in the check digits, real O in the bank code
        "CH65 7012 6537 520O 8247 2",  # O for 0 where Switzerland's structure allows a letter
        "GB78 ⊤EST 1234 5698 7654 32",  # a symbol drawn as T (GB78TEST...)
        "GB82 WEST 1234 5698 7654 3|",  # a bar drawn as 1 (hmm: not this IBAN's last digit)
    ],
)
def test_iban_read_by_its_look_after_its_label(engine: Engine, written: str) -> None:
    text = f"beneficiary IBAN: {written} thx"
    start = text.index(written)
    spans = _found(engine, text, "IBAN_CODE")
    if written.endswith("3|"):
        assert not spans  # GB82WEST12345698765431 fails mod 97: a look never makes a wrong one valid
    else:
        assert spans == [(start, start + len(written))], (text, spans)


@pytest.mark.parametrize(
    "text",
    [
        "IBAN bill lookup is down again, use the old form",
        "IBAN: Oil and gas desk still waiting on the Frankfurt office",
        "IBAN field is empty on 12 of the 40 onboarding forms",
        "iban lO lI Ol IO lO Il oI lo",
    ],
)
def test_words_after_an_iban_label_stay_words(engine: Engine, text: str) -> None:
    assert not _found(engine, text, "IBAN_CODE"), text


# ---------------------------------------------------------------- a label lines away

FILLER = "Employer: Northwind Capital LP\npls confirm by EOD\nPhone on file"


@pytest.mark.parametrize(
    "text",
    [
        f"868753578\n{FILLER}\n^ that's the SSN",
        f"868 75 3578\n{FILLER}\nthe number above is his ssn",
        f"868753578\n{FILLER}\n(above: her social)",
        f"Social Security Number\n{FILLER}\nok\n868753578",
        f"Client SSN below\n{FILLER}\n868-75-3578",
    ],
)
def test_ssn_with_its_label_lines_away(engine: Engine, text: str) -> None:
    digits = next(t for t in text.split("\n") if t[:1].isdigit())
    start = text.index(digits)
    assert (start, start + len(digits)) in _found(engine, text, "US_SSN"), text


@pytest.mark.parametrize(
    "text",
    [
        f"868753578\n{FILLER}\n^ that's the order id for the block trade",
        f"SSN lookup in the CRM times out for entity accounts since Monday\n{FILLER}\nok\n868753578",
        f"SSN\n{FILLER}\nTrade 4411 filled\n868753578\nok",  # another number between
        f"868753578 is the order id\n{FILLER}\n^ that's the SSN",  # not alone on its line
    ],
)
def test_a_far_label_must_be_a_label_of_a_lone_number(engine: Engine, text: str) -> None:
    assert not _found(engine, text, "US_SSN"), text


# ---------------------------------------------------------------- bars drawn as 1


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("pls SSN 536-22-87\uffe80", "US_SSN"),  # half-width bar for the 1 of 8710
        ("card 4\u2223\u2223\u2223 1111 1111 1111", "CREDIT_CARD"),  # DIVIDES for the 1s of 4111
    ],
)
def test_a_bar_glued_to_a_digit_reads_as_one(engine: Engine, text: str, entity: str) -> None:
    assert _found(engine, text, entity), text


def test_bars_as_separators_still_separate(engine: Engine) -> None:
    assert _found(engine, "card 4111\u22231111\u22231111\u22231111", "CREDIT_CARD")
    assert not _stops(engine, "qty 100\u2223200\u2223300 px 101.25")
