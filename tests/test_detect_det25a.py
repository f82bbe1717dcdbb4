"""Held-out set gen25 (det25a): routing and account numbers in a cheque's MICR line and
in wire formats (Fedwire tags, SWIFT MT fields), an account named by its kind as a noun
("Bob Tran's checking at BofA: N"), and digits spoken with pauses or words among digits.

The values are synthetic, computed here (ABA check digits, SSA-valid SSNs); the shapes
are the classes, in the ways people write them, not gen25's lines.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.recognizers import bank
from dlp_proxy.recognizers.ssn import ssn_valid

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
PROPS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

TRANSIT, AMOUNT, ON_US, DASH = "\u2446", "\u2447", "\u2448", "\u2449"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _found(engine: Engine, text: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in engine.analyze(text):
        if f.entity_type in STOPPING:
            out.setdefault(f.entity_type, set()).add(re.sub(r"[^0-9]", "", text[f.start : f.end]))
    return out


def _aba(rng: random.Random) -> str:
    while True:
        p = rng.choice([*range(1, 13), *range(21, 33), *range(61, 73), 80])
        head = f"{p:02d}" + "".join(rng.choice("0123456789") for _ in range(6))
        s = sum(int(c) * w for c, w in zip(head, (3, 7, 1, 3, 7, 1, 3, 7), strict=True))
        d = head + str((10 - s % 10) % 10)
        if bank.aba_valid(d):
            return d


def _not_aba(rng: random.Random) -> str:
    while True:
        d = "".join(rng.choice("0123456789") for _ in range(9))
        if not bank.aba_valid(d):
            return d


def _digits(rng: random.Random, n: int) -> str:
    return rng.choice("123456789") + "".join(rng.choice("0123456789") for _ in range(n - 1))


def _account(rng: random.Random, n: int) -> str:
    """An account number no card issuer's range starts (a 13-19 digit one may pass Luhn)."""
    return rng.choice("17") + _digits(rng, n - 1)


def _ssn(rng: random.Random) -> str:
    while True:
        d = f"{rng.randint(1, 899):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
        if ssn_valid(d):
            return d


_seed = st.integers(0, 2**32 - 1)

# ---------------------------------------------------------------- MICR lines

MICR_LEADS = ["MICR line: ", "bottom of the check Bob mailed in: ", "from the cheque image ", "", "pls key this in\n",
              "voided check attached, line reads ", "> "]


@PROPS
@given(seed=_seed, layout=st.integers(0, 5), lead=st.sampled_from(MICR_LEADS))
def test_micr_symbols_give_the_routing_and_the_account(engine: Engine, seed: int, layout: int, lead: str) -> None:
    rng = random.Random(seed)
    rt, acct, serial = _aba(rng), _account(rng, rng.randint(6, 14)), _digits(rng, 4)
    line = [
        f"{TRANSIT}{rt}{TRANSIT}{acct}{ON_US}{serial}",  # personal cheque
        f"{TRANSIT}{rt}{TRANSIT}{acct}{DASH}{serial}",  # a dash symbol where the on-us one goes
        f"{ON_US}{serial}{ON_US} {TRANSIT}{rt}{TRANSIT} {acct}{ON_US}",  # business: serial in the auxiliary field
        f"{DASH}{serial}{DASH} {TRANSIT}{rt}{TRANSIT} {acct}{DASH}",
        f"{TRANSIT} {rt} {TRANSIT} {acct} {ON_US} {serial} {AMOUNT}0000012500{AMOUNT}",
        f"{TRANSIT}{rt}{TRANSIT} {acct[:4]}-{acct[4:]}{ON_US} {serial}",
    ][layout]
    got = _found(engine, lead + line)
    assert rt in got.get("ABA_ROUTING_NUMBER", set()), (line, got)
    assert acct in got.get("US_BANK_NUMBER", set()), (line, got)


@PROPS
@given(seed=_seed, letters=st.sampled_from([("T", "O"), ("T", "U"), ("A", "C"), ("T", "C")]),
       lead=st.sampled_from(["", "from the check image: ", "ok so ", "scan reads "]), gap=st.sampled_from([" ", ""]))
def test_micr_in_ascii_with_its_on_us_letter(engine: Engine, seed: int, letters: tuple[str, str], lead: str,
                                            gap: str) -> None:
    rng = random.Random(seed)
    rt, acct, serial = _aba(rng), _account(rng, rng.randint(6, 13)), _digits(rng, 4)
    t, o = letters
    text = f"{lead}{t}{rt}{t}{gap}{acct}{o} {serial} thx"
    got = _found(engine, text)
    assert rt in got.get("ABA_ROUTING_NUMBER", set()), (text, got)
    assert acct in got.get("US_BANK_NUMBER", set()), (text, got)


@PROPS
@given(seed=_seed, word=st.sampled_from(["MICR", "micr reads", "voided check:", "cheque line", "E-13B"]))
def test_micr_in_ascii_without_on_us_letter_needs_micr_words(engine: Engine, seed: int, word: str) -> None:
    rng = random.Random(seed)
    rt, acct, serial = _aba(rng), _account(rng, rng.randint(6, 13)), _digits(rng, 4)
    assert acct in _found(engine, f"{word} T{rt}T {acct} {serial}").get("US_BANK_NUMBER", set())
    assert _found(engine, f"ticket T{rt}T {acct} {serial}") == {}


@PROPS
@given(seed=_seed, word=st.sampled_from(["micr: ", "MICR line reads ", "E-13B line ", "bottom of the check: "]),
       serial_first=st.booleans(), dashed=st.booleans())
def test_a_micr_line_named_and_written_without_its_symbols(engine: Engine, seed: int, word: str,
                                                           serial_first: bool, dashed: bool) -> None:
    rng = random.Random(seed)
    rt, acct, serial = _aba(rng), _account(rng, rng.randint(8, 12)), _digits(rng, 4)
    shown = f"{acct[:4]}-{acct[4:]}" if dashed else acct
    text = word + (f"{serial} {rt} {shown}" if serial_first else f"{rt} {shown} {serial}")
    got = _found(engine, text)
    assert rt in got.get("ABA_ROUTING_NUMBER", set()) and acct in got.get("US_BANK_NUMBER", set()), (text, got)


@pytest.mark.parametrize("tail", ["ticket {rt} closed", "reader jam, order 48291037 at 10:30", "fixed {bad} 48291037"])
def test_a_micr_word_without_a_routing_and_an_account_names_nothing(engine: Engine, tail: str) -> None:
    rng = random.Random(7)
    text = "the MICR reader is fine, " + tail.format(rt=_aba(rng), bad=_not_aba(rng))
    assert _found(engine, text) == {}, text


@PROPS
@given(seed=_seed, lead=st.sampled_from(["ticket ", "build ", "ref ", "see job ", "", "MICR "]),
       tail=st.sampled_from(["", " closed", " 12345678O", " -> retry"]))
def test_transit_letters_around_a_number_failing_the_aba_check_are_no_field(engine: Engine, seed: int, lead: str,
                                                                             tail: str) -> None:
    rng = random.Random(seed)
    text = f"{lead}T{_not_aba(rng)}T{tail}"
    assert _found(engine, text) == {}, text


def test_micr_ascii_forms_in_ids_stay_clean(engine: Engine) -> None:
    rng = random.Random(25)
    for _ in range(40):
        rt = _aba(rng)
        for text in (f"job T{rt}T finished", f"XT{rt}T", f"T{rt}TX 4829", f"ticket T{rt}T, owner ops",
                     f"T{rt}A 48291037O"):
            assert _found(engine, text) == {}, text


# ---------------------------------------------------------------- wire formats

@PROPS
@given(seed=_seed, tag=st.sampled_from(["4200", "5000"]), name=st.sampled_from(["*JOHN DOE*", "*ACME LLC*", "*X*"]),
       glued=st.booleans())
def test_fedwire_party_tag_account(engine: Engine, seed: int, tag: str, name: str, glued: bool) -> None:
    rng = random.Random(seed)
    acct, rt = _account(rng, rng.randint(6, 14)), _not_aba(rng)
    sep = "" if glued else "\n"
    text = f"fedwire draft{sep}{{{tag}}}D{acct}{name}{sep}{{4100}}F{rt}*FIRST NATL*{sep}{{2000}}000010000000"
    assert acct in _found(engine, text).get("US_BANK_NUMBER", set()), text


@PROPS
@given(seed=_seed, glued=st.booleans())
def test_fedwire_institution_tags_routing(engine: Engine, seed: int, glued: bool) -> None:
    rng = random.Random(seed)
    a, b, c, acct = _aba(rng), _aba(rng), _aba(rng), _account(rng, 10)
    sep = "" if glued else "\n"
    text = (f"{{1510}}1000{sep}{{2000}}000010000000{sep}{{3100}}{a}*SENDER BK*{sep}{{3400}}{b}*RCVR BK*{sep}"
            f"{{4100}}F{c}*BENE BK*{sep}{{4200}}D{acct}*JANE ROE*")
    got = _found(engine, text)
    assert {a, b, c} <= got.get("ABA_ROUTING_NUMBER", set()), (text, got)
    assert acct in got.get("US_BANK_NUMBER", set())


@PROPS
@given(seed=_seed, field=st.sampled_from([":50K:", ":59:", ":50A:", ":59A:", ":58A:", ":50F:"]),
       newline=st.booleans())
def test_swift_party_field_account(engine: Engine, seed: int, field: str, newline: bool) -> None:
    rng = random.Random(seed)
    acct = _account(rng, rng.randint(6, 14))
    text = f":20:REF{rng.randint(1000, 99999)}\n{field}{chr(10) if newline else ''}/{acct}\nACME CAPITAL LLC\n:71A:SHA"
    assert acct in _found(engine, text).get("US_BANK_NUMBER", set()), text


@PROPS
@given(seed=_seed, lead=st.sampled_from([":57A:", ":57D:", ":56A:", "bene bank ", ""]))
def test_fedwire_code_routing_and_bene_slash_account(engine: Engine, seed: int, lead: str) -> None:
    rng = random.Random(seed)
    rt, acct = _aba(rng), _account(rng, rng.randint(8, 12))
    got = _found(engine, f"{lead}//FW{rt}\nbene /{acct}\nJane Roe")
    assert rt in got.get("ABA_ROUTING_NUMBER", set())
    assert acct in got.get("US_BANK_NUMBER", set())


def test_wire_tags_need_their_shape() -> None:
    from dlp_proxy.recognizers import payments

    rec = payments.WireFieldRecognizer()
    for text in ("{4200}X4829103755", "{4300}D4829103755", ":20:/4829103755", "ref:59:/4829103755",
                 ":59:/GB82WEST12345698765432", "{2000}000010000000", "/FW021000021", ":50K:/0000000"):
        assert rec.analyze(text, []) == [], text


# ---------------------------------------------------------------- account kinds as nouns

HOLDERS = ["Bob Tran's", "the Okafor trust's", "Mrs. Alvarez's", "the Feldmans'", "her", "my", "our joint",
           "Tom Becker (the dentist)'s", "his"]
KINDS = ["checking", "savings", "DDA", "money market", "checking acct"]
BANKS = ["BofA", "Chase", "Wells Fargo", "TD Bank", "First National Bank", "chase", "bofa", "Bank of America"]


@PROPS
@given(seed=_seed, holder=st.sampled_from(HOLDERS), kind=st.sampled_from(KINDS), bank_=st.sampled_from(BANKS),
       at=st.sampled_from(["at", "with", "@", "w/"]), sep=st.sampled_from([": ", " # ", " - ", " is ", ":", ", acct # ", ", number ", " ", ", account no.: "]),
       dashed=st.booleans())
def test_an_account_kind_at_a_bank_labels_the_number(engine: Engine, seed: int, holder: str, kind: str, bank_: str,
                                                     at: str, sep: str, dashed: bool) -> None:
    rng = random.Random(seed)
    acct = _account(rng, rng.randint(7, 12))
    shown = f"{acct[:4]}-{acct[4:8]}-{acct[8:]}".rstrip("-") if dashed else acct
    text = f"fyi {holder} {kind} {at} {bank_}{sep}{shown}, add as ACH bank"
    assert acct in _found(engine, text).get("US_BANK_NUMBER", set()), text


@pytest.mark.parametrize("text", [
    "checking the price at Chase: 48291037 shares",
    "I was checking with Bob: 48291037 is the ticket",
    "checking at 10:30 with Ops: 48291037 order",
    "still checking with JPM - ticket 48291037",
    "we are checking at Citi: order 48291037",
    "savings at scale: 48291037 users",
    "the money market at 5.1% beats 48291037 bps",
])
def test_checking_as_a_verb_labels_nothing(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" not in _found(engine, text), text


# ---------------------------------------------------------------- spoken digits

_WORD = "zero one two three four five six seven eight nine".split()
PAUSES = ["... ", "…", "… ", " ... ", ". . . ", "....", "...", ".. ", " -- ", "  —  ", " ~ "]


def _say(group: str, rng: random.Random, joiner: str) -> str:
    out: list[str] = []
    k = 0
    while k < len(group):
        if k + 1 < len(group) and group[k] == group[k + 1] and rng.random() < 0.3:
            out.append(f"double {_WORD[int(group[k])]}")
            k += 2
        else:
            out.append(rng.choice(["oh", "zero"]) if group[k] == "0" else _WORD[int(group[k])])
            k += 1
    return joiner.join(out)


@PROPS
@given(seed=_seed, pause=st.sampled_from(PAUSES), joiner=st.sampled_from([" ", "-"]),
       label=st.sampled_from(["ss number is ", "social security # = ", "my social is ", "SSN: ",
                              "she read me her social over the phone: "]))
def test_ssn_spoken_with_pauses(engine: Engine, seed: int, pause: str, joiner: str, label: str) -> None:
    rng = random.Random(seed)
    d = _ssn(rng)
    said = pause.join(_say(g, rng, joiner) for g in (d[:3], d[3:5], d[5:]))
    text = f"client on line 2 says {label}{said}, can someone key it in"
    assert "US_SSN" in _found(engine, text), text


@PROPS
@given(seed=_seed, label=st.sampled_from(["SSN is ", "social ", "SSN -> ", "ss# is ", "her social: "]))
def test_ssn_words_among_digit_groups_from_the_first_digit(engine: Engine, seed: int, label: str) -> None:
    rng = random.Random(seed)
    d = _ssn(rng)
    cuts = sorted(rng.sample(range(2, 9), 3))
    parts = [d[:1], d[1 : cuts[0]], d[cuts[0] : cuts[1]], d[cuts[1] : cuts[2]], d[cuts[2] :]]
    # a word for the first digit, then digits and words in turn ("four 022 one 9 five 72")
    said = []
    for k, p in enumerate(parts):
        said.append(" ".join(_WORD[int(c)] for c in p) if k % 2 == 0 else p)
    text = f"{label}{' '.join(said)} ty"
    assert "US_SSN" in _found(engine, text), text


@pytest.mark.parametrize("text", [
    "I have three... no, four... options for the call",
    "counting down: three... two... one... go",
    "last four 7654 32 on the form",
    "first three 536, rest on file",
    "two... maybe three... tickets left for 4pm",
    "we bought four 100 lot blocks and two 200 lots",
])
def test_pauses_and_counts_in_prose_stay_clean(engine: Engine, text: str) -> None:
    assert _found(engine, text) == {}, text


# ---------------------------------------------------------------- linear regexes

_HOSTILE = st.builds(
    lambda motif, n, tail: motif * n + tail,
    st.sampled_from(["1-", "1 ", "A ", "Ab ", "Ab of ", "\u24461", "1\u2449", "{4200}D1-", ":59:/1 ", "T1",
                     "'s checking at Ab ", "checking at A"]),
    st.integers(500, 4000),
    st.sampled_from(["", "x", "\u2446", ":", "#"]),
)


@settings(max_examples=40, deadline=None)
@given(_HOSTILE)
def test_new_regexes_are_linear_on_long_hostile_text(text: str) -> None:
    # each regex with a quantifier inside a quantifier: its inner part starts with a
    # character its outer separator needs, so a match is found or refused in one pass
    from dlp_proxy.recognizers import payments

    for rx in (payments._GROUP, payments._FED_PARTY, payments._MT_ACCOUNT, payments._ASCII_ON_US,
               payments._MICR_TRANSIT, payments._ASCII_TRANSIT, bank._PHRASE_BEFORE):
        for m in rx.finditer(text):
            assert m.end() - m.start() <= len(text)
    payments.MicrLineRecognizer().analyze(text, [])
    payments.WireFieldRecognizer().analyze(text, [])


def test_a_holders_account_that_passes_the_aba_check_is_an_account(engine: Engine) -> None:
    """The number after "Bob's checking at BofA:" is his account even when its nine digits
    pass a routing number's checksum and a routing word ("ACH") follows (the property test
    above drew 120716818): the holder's phrase right before it names it."""
    text = "fyi Bob Tran's checking at BofA: 120716818, add as ACH bank"
    assert "US_BANK_NUMBER" in {r.entity_type for r in engine.analyze(text)}, text
