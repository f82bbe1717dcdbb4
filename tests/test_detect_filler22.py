"""atk22r R2: a few junk characters inside a labelled identifier, as a class.

One or two filler characters (``536-22-871x0``, ``4829x103755``, ``5698 x7654``) in the
digit groups of an identifier, with words telling the reader to drop them ("skip the x",
"drop the x's", "ignore the letters", "remove the junk"), are dropped whatever their
number (``normalize._sparse_filler``); det23's rule wanted nine digits and three gaps.
Without such words, one letter glued between two digits of a card's group right after a
card word is a typo-like junk letter when the digits without it pass Luhn and an issuer
range (``normalize._card_typo_edits``).  The recognizers validate what is read (SSN area
rules, Luhn and issuer, ABA checksum, IBAN mod-97, an account's label).

Hard negatives: hashes, order ids (``x4329: 2300``), versions, product codes and tickers,
with and without the words; a card-shaped number with a junk letter and no card word, or
failing Luhn.  Synthetic values only.
"""

from __future__ import annotations

import random
import string
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

sys.path.insert(0, str(Path(__file__).resolve().parent))
import det23_gen as gen  # noqa: E402

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])
#: advertising/specimen SSNs the recognizer rightly refuses
_SPECIMEN = frozenset({"078051120", "219099999", "457555462", "123456789"})

#: words naming the character to drop ({c}: the character)
NAMED = ("(skip the {c})", "skip the {c}", "drop the {c}'s", "(drop the {c}s)", "ignore the {c}", "remove all {c}'s",
         "pls strip the {c}", "delete the '{c}'", "omit every {c}", "cut the junk {c}s", "toss the {c}s")
#: words naming no character: single letters between digits are dropped
UNNAMED = ("(ignore the letters)", "remove the junk", "drop the letters", "skip the junk chars", "strip the filler",
           "letters are noise", "digits only", "ignore any letters")
LETTERS = "abcdefghjkmnpqrtuvwyz"
#: letters that look like no digit (a labelled card's look-alike letters, ``z`` for 2 or
#: ``b`` for 6, are read as those digits: tests/test_detect_det23.py)
PLAIN_LETTERS = "cdfhjkmnprvwxy"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


def _ssn(r: random.Random) -> str:
    while True:
        d = gen.ssn(r)
        if d not in _SPECIMEN:
            return d


def _acct(r: random.Random) -> str:
    """An account number of 10-13 digits, varied (one digit repeated, or ``...0000``, is
    no account the recognizer takes)."""
    d = [*r.sample("123456789", 5), *(r.choice(string.digits) for _ in range(r.randint(4, 7)))]
    r.shuffle(d)
    return ("7" if d[0] == "0" else d[0]) + "".join(d[1:]) + r.choice("123456789")


def _value(r: random.Random) -> tuple[str, str, list[str]]:
    """(kind, label, groups) of a valid identifier written in groups."""
    kind = r.choice(["ssn", "card", "acct", "aba", "iban"])
    if kind == "ssn":
        d = _ssn(r)
        return kind, r.choice(gen.SSN_LABELS), [f"{d[:3]}-{d[3:5]}-{d[5:]}"]
    if kind == "card":
        d = gen.card(r)
        return kind, r.choice(gen.CARD_LABELS), (gen.groups_of("card", d) if r.random() < 0.7 else [d])
    if kind == "acct":
        d = _acct(r)
        return kind, r.choice(("acct", "account", "acct #", "account no.", "checking acct")), [d]
    if kind == "aba":
        return kind, r.choice(("routing", "routing #", "ABA", "routing no.")), [gen.aba(r)]
    v = gen.iban(r)
    return kind, "IBAN", [v[i : i + 4] for i in range(0, len(v), 4)]


def _junk_places(groups: list[str], between_digits: bool) -> list[tuple[int, int]]:
    """(group, offset) where a junk character may go: inside the digit groups, glued to a
    digit (``between_digits``: with a digit on both sides)."""
    out = []
    for g, s in enumerate(groups):
        for k in range(len(s) + 1):
            left = s[k - 1] if k > 0 else ""
            right = s[k] if k < len(s) else ""
            if (left.isdigit() and right.isdigit()) if between_digits else (left.isdigit() or right.isdigit()):
                out.append((g, k))
    return out


def _with_junk(r: random.Random, groups: list[str], junk: str, between_digits: bool, n: int) -> list[str]:
    groups = list(groups)
    places = r.sample(_junk_places(groups, between_digits), n)
    for g, k in sorted(places, key=lambda p: -p[1]):
        groups[g] = groups[g][:k] + junk + groups[g][k:]
    return groups


def _message(r: random.Random, label: str, value: str, words: str) -> str:
    return r.choice([f"{label} {value} {words}", f"{words}: {label} {value}", f"{label}: {value}\n{words}",
                     f"here you go, {label} {value} {words} thx"])


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_junk_named_in_words_is_dropped(engine: Engine, rng: random.Random) -> None:
    """1-2 junk characters anywhere in the digit groups, glued to a digit, the words naming
    the character: found."""
    kind, label, groups = _value(rng)
    c = rng.choice("xXqz" if kind != "iban" else "xqz")
    value = " ".join(_with_junk(rng, groups, c, False, rng.randint(1, 2)))
    text = _message(rng, label, value, rng.choice(NAMED).format(c=c.lower()))
    assert _stops(engine, text), text


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_junk_letters_with_words_are_dropped(engine: Engine, rng: random.Random) -> None:
    """1-2 single letters between two digits, the words naming letters or junk: found."""
    kind, label, groups = _value(rng)
    value = groups
    for _ in range(rng.randint(1, 2)):
        value = _with_junk(rng, value, rng.choice(LETTERS), True, 1)
    text = _message(rng, label, " ".join(value), rng.choice(UNNAMED))
    assert _stops(engine, text), text


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_routing_and_account_with_junk(engine: Engine, rng: random.Random) -> None:
    """``routing 0210x00021 acct 4829x103755 (drop the x's)``: both found."""
    aba = _with_junk(rng, [gen.aba(rng)], "x", True, 1)[0]
    acct = _with_junk(rng, [_acct(rng)], "x", True, 1)[0]
    text = f"routing {aba} acct {acct} ({rng.choice(('drop', 'skip', 'ignore'))} the x's)"
    found = {f.entity_type for f in engine.analyze(text)}
    assert {"ABA_ROUTING_NUMBER", "US_BANK_NUMBER"} <= found, text


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_card_typo_letter_right_after_card_word(engine: Engine, rng: random.Random) -> None:
    """No words: one letter glued between two digits of a card's group, the card word right
    at it, the digits without it a card (Luhn, issuer): found."""
    d = gen.card(rng)
    groups = gen.groups_of("card", d) if rng.random() < 0.7 else [d]
    value = " ".join(_with_junk(rng, groups, rng.choice(LETTERS + "X"), True, 1))
    label = rng.choice(gen.CARD_LABELS)
    text = rng.choice([f"{label} {value}", f"{label}: {value}", f"pls charge {label} {value} today"])
    assert _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "SSN 536-22-871x0 (skip the x)",
    "SSN 536-2x2-8710 (skip the x)",
    "card 4532 0151 1283 03x66",
    "card 4532 0151 1283 03x66 (skip the x)",
    "acct 4829x103755 (drop the x)",
    "IBAN GB82 WEST 1234 5698 x7654 32 (skip the x)",
    "IBAN GB8x2 WEST 1234 5698 7654 32 (skip the x)",
])
def test_reported_examples(engine: Engine, text: str) -> None:
    assert _stops(engine, text), text


# ---------------------------------------------------------------- hard negatives


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _negative(r: random.Random) -> str:
    kind = r.choice(["hash", "order", "alloc", "version", "product", "ticker", "size"])
    if kind == "hash":
        return r.choice([f"commit {_hex(r, 40)}", f"sha256 {_hex(r, 64)}", f"req id {_hex(r, 8)}-{_hex(r, 4)}-{_hex(r, 12)}",
                         f"build {_hex(r, 12)}"])
    if kind == "order":
        return f"order x{r.randint(1000, 9999)} filled, ORD{r.randint(10, 99)}x{r.randint(100000, 999999)} pending"
    if kind == "alloc":
        return "; ".join(f"x{r.randint(1000, 9999)}: {r.randint(100, 9999)}" for _ in range(r.randint(2, 5)))
    if kind == "version":
        return f"upgrade to v{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}b{r.randint(1, 9)} build {r.randint(1000, 99999)}"
    if kind == "product":
        return f"part {r.randint(1000, 9999)}-{r.randint(100, 999)}x{r.randint(10, 99)}-{r.randint(1000, 9999)} qty {r.randint(1, 500)}"
    if kind == "size":
        return f"screens {r.randint(1000, 4000)}x{r.randint(500, 3000)} and {r.randint(100, 999)}x{r.randint(100, 999)}"
    return f"{r.choice(('AAPL', 'MSFT', 'T', 'F'))} {r.randint(1, 9)}x{r.randint(1000, 9999)} {r.randint(100, 999)}c"


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_hard_negatives_with_words_are_not_found(engine: Engine, rng: random.Random) -> None:
    """Hashes, order ids, allocations, versions, part numbers, sizes and tickers, with
    words saying to drop a character or the letters: not stopped."""
    c = rng.choice("xbqa")
    words = rng.choice([*(w.format(c=c) for w in NAMED), *UNNAMED])
    text = rng.choice([f"{_negative(rng)} {words}", f"{words}: {_negative(rng)}"])
    assert not _stops(engine, text), text


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_card_shapes_without_card_word_or_luhn_are_not_found(engine: Engine, rng: random.Random) -> None:
    """A card number with a junk letter and no card word right at it (a part number, a
    reference, a ticket), or after a card word with the digits failing Luhn: not stopped."""
    d = gen.card(rng)
    if rng.random() < 0.5:
        bad = d[:-1] + str((int(d[-1]) + rng.randint(1, 9)) % 10)
        value = " ".join(_with_junk(rng, gen.groups_of("card", bad), rng.choice(PLAIN_LETTERS), True, 1))
        text = f"{rng.choice(gen.CARD_LABELS)} {value}"
    else:
        value = "-".join(_with_junk(rng, gen.groups_of("card", d), rng.choice(PLAIN_LETTERS), True, 1))
        text = f"{rng.choice(('part', 'ref', 'ticket', 'SKU', 'lot', 'order'))} {value}"
    assert not _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "card x4329: 2300, x4330: 1200 (skip the x)",
    "allocations x4329: 2300 x5512: 900 x7781: 1500",
    "card reader part 4532-0151-1283-03x66",
    "cc the desk: hash 4a5320151128303d66e9",
    "skip the x: 1920x1080 and 3840x2160 monitors",
    "ignore the letters in v2.14.3b7 build 88213",
    "FR14 2004 1010 0505 0001 3M02 606 (ignore the letters)",
])
def test_named_hard_negatives(engine: Engine, text: str) -> None:
    found = [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]
    if text.startswith("FR14"):
        assert found == ["IBAN_CODE"], text  # a valid IBAN as written keeps its letters
    else:
        assert not found, text


@pytest.mark.parametrize("text", [
    'SSN 536-22-8710 (drop the "5")',
    "SSN 536-22-8710 (skip the 5s)",
    "card 4532 0151 1283 0366 (skip the '0')",
    "SSN 536-22-8710 (drop the '-')",
])
def test_words_naming_a_digit_or_separator_hide_nothing(engine: Engine, text: str) -> None:
    """Words naming a digit as filler drop no digit; a named separator leaves the digits."""
    assert _stops(engine, text), text
