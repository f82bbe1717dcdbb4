"""Held-out red-team pass atk21d (issue 15): the classes it found weak.

- JSON / source-code escapes of single characters (``\\u0035``, ``\\u{35}``, ``\\U00000035``,
  ``\\x35``, ``\\065``) decoded like HTML entities and percent escapes, with the finding on
  the escapes that write it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import decode_escapes
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SSN, CARD = synth.SSN, synth.CARD


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


# ---------------------------------------------------------------- backslash escapes

PLAIN = [
    f"client SSN {SSN}",
    f"the social is {SSN.replace('-', '')}",
    f"card {CARD}",
    f"IBAN {synth.IBAN}",
    f"account number {synth.ROUTING[:4]}-{synth.ROUTING[4:8]}",
]


def _escape(ch: str, form: int) -> str:
    cp = ord(ch)
    return [f"\\u{cp:04x}", f"\\u{cp:04X}", f"\\u{{{cp:x}}}", f"\\U{cp:08x}", f"\\x{cp:02x}", f"\\{cp:03o}"][
        form
    ]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), which=st.integers(0, len(PLAIN) - 1), json=st.booleans())
def test_backslash_escapes_are_caught_as_the_plain_text(
    engine: Engine, data: st.DataObject, which: int, json: bool
) -> None:
    text = PLAIN[which]
    label, value = (
        text.rsplit(" ", 1) if which != 2 and which != 3 else (text.split(" ", 1)[0], text.split(" ", 1)[1])
    )
    picks = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(value) - 1), st.integers(0, 5)), min_size=1, max_size=len(value)
        )
    )
    chosen = dict(picks)
    for k, form in list(chosen.items()):
        if form == 5 and k and value[k - 1].isdigit() and k - 1 not in chosen and k + 1 not in chosen:
            chosen[k] = 0  # an octal escape alone after a digit is a separator (test below)
    encoded = "".join(_escape(c, chosen[k]) if k in chosen else c for k, c in enumerate(value))
    assume(encoded != value)
    written = f'{label} {{"id":"X-1","v":"{encoded}"}}' if json else f"{label} {encoded}"
    decoded = decode_escapes(written)
    assert decoded is not None and value in decoded.text
    assert _stops(engine, written), written


def test_a_finding_in_escapes_points_at_them(engine: Engine) -> None:
    esc = "".join(f"\\u{ord(c):04x}" for c in SSN)
    text = f'the social is {{"ssn":"{esc}"}} ok'
    f = next(f for f in engine.analyze(text) if f.entity_type == "US_SSN")
    assert esc in text[f.start : f.end] and "backslash-escapes" in f.transforms


def test_a_surrogate_pair_is_one_character() -> None:
    decoded = decode_escapes("x \\ud835\\udfd3 y")  # U+1D7D3 MATHEMATICAL BOLD DIGIT FIVE
    assert decoded is not None and decoded.text == "x \U0001d7d3 y"


@pytest.mark.parametrize(
    "text",
    [
        "path C:\\users\\123\\file and \\x41",
        "regex \\d{3}-\\d{2} and \\u00e9t\\u00e9 2024",
        "see \\\\server\\share\\2024\\q3 report, 12 items",
        "lone \\ud835 surrogate 12",
    ],
)
def test_escapes_in_ordinary_text_stop_nothing(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


# ---------------------------------------------------------------- account phrasing

ACCT = "7311797004"
NAMES = [
    "Ana",
    "Mr. Grunwald",
    "K. Nakamura",
    "the Abramowitz trust",
    "Sato household",
    "Mr. O'Brien",
    "Linda Ruiz",
]
NAMED = [
    "account for {n} is {v}",
    "the acct for {n} is: {v}",
    "account number of {n}: {v}",
    "acct of {n}: `{v}`",
    "{v} is {n}'s account no",
    "{v} - that's the account for {n}",
    "{v} is the account for {n}",
    "for {n} the brokerage account on file is {v}",
    "{n} gave us a new account yesterday, it's {v}",
    "{v} ({n}, account)",
    "re {n}: account we have on the form is {v}",
]
FOREIGN = [
    "номер счёта {v} ({n})",
    "номер счета: {v}",
    "pls note 口座番号 {v} for {n}",
    "账户号码：{v}",
    "계좌번호 {v}",
    "numéro de compte {v}",
    "número de cuenta: {v}",
    "Kontonummer {v}",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    template=st.sampled_from(NAMED + FOREIGN),
    name=st.sampled_from(NAMES),
    value=st.sampled_from([ACCT, "7311-7970", "731-179700", "73117970041"]),
)
def test_an_account_named_in_desk_phrasing_or_another_language_is_caught(
    engine: Engine, template: str, name: str, value: str
) -> None:
    text = template.format(n=name, v=value)
    found = [f for f in engine.analyze(text) if f.entity_type == "US_BANK_NUMBER"]
    assert any(text[f.start : f.end] == value for f in found), text


@pytest.mark.parametrize(
    "text",
    [
        "the account for Tom Becker traded 73117970 notional last quarter",
        "73117970 shares is what Tom Becker's account owns now",
        "the account of Tom Becker was charged 12.50 in fees, invoice 73117970",
        "account review for Tom Becker scheduled 3/4, ticket 73117970",
        "the account for Ana is up 4.2% YTD, 731,179 in gains",
        "new phone # for the account: +33 1 38 57 90 50",
        "account contact phone 01 38 57 90 50",
        "account desk +44 (0)20 7946 0018",
    ],
)
def test_an_account_word_near_another_number_stops_nothing(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


# ---------------------------------------------------------------- false stops


@pytest.mark.parametrize(
    "text",
    [
        "is everyone on 470.34.7068 yet?",
        "is everyone on ２８８.９４.８９７３ yet?",
        "we moved from 470.34.7068 last night",
        "still on 470.34.7068, sorry",
        "order\nid 525-85-3750A stuck in pending new",
        "order\r\nid 525-85-3750A stuck in pending new",
        "trade\nref 525-85-3750B rejected",
    ],
)
def test_a_release_or_a_reference_is_no_ssn(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


@pytest.mark.parametrize(
    "text",
    [
        "for the new client, here it is 536.22.8710 Thanks!",
        "SSN on file 536.22.8710",
        "client SSN 536-22-8710A",
        "order\nclient SSN 536-22-8710",
    ],
)
def test_the_same_shapes_with_a_person_are_still_caught(engine: Engine, text: str) -> None:
    assert _stops(engine, text), text


# ---------------------------------------------------------------- alphanumeric accounts

PERSHING = ["U1E234567", "F1B234567", "J1Z234567", "T1K234567", "A7V204961"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    label=st.sampled_from(
        ["acct#", "acc#", "acc. number", "a/c no", "acnt", "accout", "acount", "brokerage account"]
    ),
    value=st.sampled_from(PERSHING),
    name=st.sampled_from(["Mr. O'Brien", "Dave Pollard", "Sato household"]),
)
def test_a_pershing_style_account_under_a_label_or_a_slip_is_caught(
    engine: Engine, label: str, value: str, name: str
) -> None:
    text = f"{name} {label} {value}"
    assert any(
        f.entity_type == "US_BANK_NUMBER" and text[f.start : f.end] == value for f in engine.analyze(text)
    ), text


def test_a_cusip_in_trade_talk_under_an_account_word_is_no_account(engine: Engine) -> None:
    for text in ["acct 12 bought 500 U1E234567 @ 101", "account restricted list: U1E234567"]:
        assert not any(f.entity_type == "US_BANK_NUMBER" for f in engine.analyze(text)), text


# ---------------------------------------------------------------- IBAN confusables

IBANS = ["LU280019400644750000", "PL61109010140000071219812874", "BE68539007547034", "IE29AIBK93115212345678"]


def _grouped(s: str) -> str:
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(iban=st.sampled_from(IBANS), label=st.sampled_from(["IBAN ", "IBAN: ", "IBAN is ", "IBAN to "]))
def test_a_roman_numeral_letter_in_an_iban_is_read_as_its_letter(
    engine: Engine, iban: str, label: str
) -> None:
    # U+216C ROMAN NUMERAL FIFTY (NFKC ``L``), U+2160 ROMAN NUMERAL ONE (``I``)
    swap = {"L": "\u216c", "I": "\u2160"}
    k = next((i for i, c in enumerate(iban) if c in swap), None)
    assume(k is not None)
    assert k is not None
    text = label + _grouped(iban[:k] + swap[iban[k]] + iban[k + 1 :])
    assert any(f.entity_type == "IBAN_CODE" for f in engine.analyze(text)), text


@pytest.mark.parametrize(
    ("iban", "letter", "alike"),
    [("BE68539007547034", "e", "\u03b5"), ("IE29AIBK93115212345678", "i", "\u03b9")],
)
def test_a_lower_case_iban_with_a_greek_letter_is_caught(
    engine: Engine, iban: str, letter: str, alike: str
) -> None:
    text = "IBAN is " + _grouped(iban).lower().replace(letter, alike, 1)
    assert any(f.entity_type == "IBAN_CODE" for f in engine.analyze(text)), text


def test_roman_numerals_alone_are_still_numbers(engine: Engine) -> None:
    assert _stops(engine, "SSN \u2164\u2162\u2165-22-8710")
    assert not _stops(engine, "the IBAN is in the email, chapter \u216b")


def test_an_irish_iban_is_no_run_of_filler_words(engine: Engine) -> None:
    """``IE`` reads as "i.e." and ``AIBK`` as a word between groups in the filler reading;
    a valid IBAN written out is kept whole (it was missed even in plain ASCII)."""
    for text in ["IBAN IE29 AIBK 9311 5212 3456 78", "pay to ie29 aibk 9311 5212 3456 78 pls"]:
        assert any(f.entity_type == "IBAN_CODE" for f in engine.analyze(text)), text


# ---------------------------------------------------------------- words between groups


@pytest.mark.parametrize(
    "text",
    [
        "ssn\npart 1: 536\npart 2: 22-8710",
        "SS# grp 1: 536; grp 2: 22; grp 3: 8710",
        f"credit card part 1: {CARD[:4]}; blk 2: {CARD[5:9]}; blk 3: {CARD[10:14]}; chunk 4: {CARD[15:]}",
        "SSN five three six dash two two dash eight seven one zero",
        "ssn five three six hyphen two two hyphen eight seven one zero",
    ],
)
def test_labels_or_the_word_dash_between_groups_are_read_through(engine: Engine, text: str) -> None:
    assert _stops(engine, text), text


@pytest.mark.parametrize(
    "text",
    [
        "see part 1: intro and part 2: 22 pages, total 8710 words",
        "part 1: 3 lots; part 2: 25 lots; part 3: 1200 shares",
        "Mary made a dash for the exit at one two three",
    ],
)
def test_numbered_parts_of_ordinary_text_stop_nothing(engine: Engine, text: str) -> None:
    assert not _stops(engine, text), text


def test_a_backslash_between_digit_groups_stays_a_separator(engine: Engine) -> None:
    """``\\012`` after a digit is no octal escape (a line break) but a separator then digits."""
    assert decode_escapes("the ITIN # is 912//70\\0123") is None
    assert _stops(engine, "the ITIN # is 912//70\\0123")
    assert _stops(engine, "ssn 5\\063\\066-22-8710")  # a run of escapes after a digit is still one


def test_a_roman_numeral_glued_to_a_greek_capital_and_a_doubled_colon(engine: Engine) -> None:
    for text in [
        "IBAN \u03a1\u216c61 1090 1014 0000 0712 1981 2874",
        "IBAN:: PL61 1090 1014 0000 0712 1981 2874",
    ]:
        assert any(f.entity_type == "IBAN_CODE" for f in engine.analyze(text)), text
