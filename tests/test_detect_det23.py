"""det23: evasion families a held-out generator measured below 0.99 recall, as classes.

Each family has a hypothesis property test over valid identifiers (SSN areas never
000/666/9xx, Luhn cards with real prefixes) written with that family's random evasion
(tests/det23_gen.py, the same generators bench/bench_evasion.py reports), and a hard-negative
property test (tickers, product codes, hashes, order ids, base32 tokens, code, prose).
A family's positive property holds for a share of its messages (``_RECALL``): a few
identifiers of a generator are unreadable by design (a bare nine-digit SSN with no label).
"""

from __future__ import annotations

import random
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
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


def _recall(engine: Engine, family: gen.Gen, seed: int, n: int = 150) -> float:
    rng = random.Random(f"det23:{seed}")
    return sum(_stops(engine, family(rng)) for _ in range(n)) / n


# ---------------------------------------------------------------- leet


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_leet_labelled_or_told_is_read(engine: Engine, rng: random.Random) -> None:
    """A labelled identifier with words saying the letters are digits, or a labelled card
    (its Luhn check) without them, written with up to half its digits as look-alike
    letters (A E T G S B Z O I o l | b g q)."""
    kind, d = gen.ident(rng)
    v = gen.leet_value(rng, d, kind)
    lab = gen.label(rng, kind)
    told = rng.choice(gen.LEET_TOLD)
    text = rng.choice([f"{told}: {lab} {v}", f"{lab} {v} {told}", *([f"{lab} {v}"] if kind == "card" else [])])
    assert _stops(engine, text), text


def test_leet_family_recall(engine: Engine) -> None:
    assert _recall(engine, gen.leet, 1) >= 0.95


@pytest.mark.parametrize("text", [
    "client SSN 5E6-22-B710", "SSN 5E6-2Z-B7lO (leet)", "read the letters as numbers: 5E6-22-B7lO",
    "card 4lll 1lll 1lll 1lll (leetspeak)", "l33t: Visa 4lll-1lll-1lll-1lll",
    "09Zbg257G decode the leet", "read the letters as numbers: ok SB6T242O6",
])
def test_leet_examples(engine: Engine, text: str) -> None:
    assert _stops(engine, text)


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_leet_hard_negatives_pass(engine: Engine, rng: random.Random) -> None:
    text = gen.neg_leet(rng)
    assert not _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "leetspeak product code E2B-7LO in stock", "SSN form ABE-GS-1337 l33t", "commit 4f3b2a1c9 read the letters as numbers",
    "l33t tickers GOOG BABA SBSI ZBRA TSLA up 3%", "token GEZDGNBVGY3TQOJQ (read the letters as numbers)",
    "card SKU 4B0O-1l2g-qq88-EEAT leet", "h4x0r 1337 n00b: order E2B-7LO-4411 shipped",
    "l33t: order 1Z9b4S7T2 shipped", "ticket 5E9GT2O1B (leet)", "read the letters as numbers: promo code G9B6T3S2A",
])
def test_leet_negatives(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)


# ---------------------------------------------------------------- interleave


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_interleave_told_is_read(engine: Engine, rng: random.Random) -> None:
    """Digits with a filler letter or character between each two (one repeated, random
    letters, punctuation, groups kept with dashes), with words saying to drop them."""
    assert _stops(engine, gen.interleave(rng))


def test_interleave_family_recall(engine: Engine) -> None:
    assert _recall(engine, gen.interleave, 2) >= 0.98


@pytest.mark.parametrize("text", [
    "5x3x6x2x2x8x7x1x0 (skip the x's)", "5a3b6-2c2-8d7e1f0 (ignore the letters)",
    "drop every other character: 4q1w1e1r-1t1y1u1i-1o1p1a1s-1d1f1g1h",
    "every 2nd char is noise: 5k3S6f2F2T8I7u1T0d",
])
def test_interleave_examples(engine: Engine, text: str) -> None:
    assert _stops(engine, text)


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_interleave_hard_negatives_pass(engine: Engine, rng: random.Random) -> None:
    text = gen.neg_interleave(rng)
    assert not _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "sha 3f2a8b1c9d4e5f60 (ignore the letters in the log)", "1920x1080 and 3840x2160, skip the x's",
    "build 1a2b3c4d5e6f7 digits only please", "ratio 1:2:3:4:5:6:7:8:9 drop every other one",
    "v1.2.3.4.5.6.7.8.9.10 (only the numbers count)", "order A1B2C3D4 qty 55 (ignore the letters)",
])
def test_interleave_negatives(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)


# ---------------------------------------------------------------- JSON / source code


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_code_escapes_are_read(engine: Engine, rng: random.Random) -> None:
    """An identifier written as source code builds it: ``\\u0035`` ``\\x35`` octal escapes,
    ``String.fromCharCode(53,...)``, ``chr(53)+chr(51)``, quoted pieces joined by ``+``,
    arrays of its digits or characters."""
    text = gen.json_escape(rng)
    assert _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "const ssn = String.fromCharCode(53,51,54,45,50,50,45,56,55,49,48);",
    "ssn = chr(53)+chr(51)+chr(54)+chr(45)+chr(50)+chr(50)+chr(45)+chr(56)+chr(55)+chr(49)+chr(48)",
    "$card = chr(52).chr(49).chr(49).chr(49).chr(32).chr(49).chr(49).chr(49).chr(49).chr(32).chr(49).chr(49)"
    ".chr(49).chr(49).chr(32).chr(49).chr(49).chr(49).chr(49);",
    'pan = String.fromCodePoint(0x34,0x31,0x31,0x31,0x20,0x31,0x31,0x31,0x31,0x20,0x31,0x31,0x31,0x31,0x20,'
    '0x31,0x31,0x31,0x31)',
])
def test_char_code_examples(engine: Engine, text: str) -> None:
    assert _stops(engine, text)


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_code_hard_negatives_pass(engine: Engine, rng: random.Random) -> None:
    text = gen.neg_code(rng)
    assert not _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "String.fromCharCode(72,101,108,108,111) + chr(33)", "ord('5') == 53 and chr(53) == '5'",
    "const sizes = [53, 51, 54, 45, 50]; // px", "char(10) + char(13) line ends, build 5362287",
])
def test_char_code_negatives(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)


# ---------------------------------------------------------------- groups on lines of their own


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_groups_on_lines_are_read(engine: Engine, rng: random.Random) -> None:
    """An identifier's groups one a line: bullets, quote markers, numbering (``1.``,
    ``1)``, ``(1)``, ``#1``, ``1/3:``, ``step 1:``), blank lines or CRLF between, the label
    above or below."""
    text = gen.two_lines(rng)
    assert _stops(engine, text), text


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_numbered_lists_without_a_label_pass(engine: Engine, rng: random.Random) -> None:
    text = gen.neg_lines(rng)
    assert not _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "top sellers\n(1) 150\n(2) 20\n(3) 3000", "ranks:\n#1 512\n#2 44\n#3 1234", "fills\n1/3: 512\n2/3: 44\n3/3: 1234",
    "step 1: 100\nstep 2: 20\nstep 3: 3000", "part 1: 100\npart 2: 20\npart 3: 3000",
])
def test_numbered_lines_negatives(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)


# ---------------------------------------------------------------- number words mixed with digits


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_number_words_mixed_with_digits_are_read(engine: Engine, rng: random.Random) -> None:
    """Digits as English words mixed with digits (``oh`` for zero, ``double``/``triple``,
    ``five hundred thirty-six``), the spoken ``dash`` between a word and a digit."""
    text = gen.words(rng)
    assert _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "SSN: four eight five dash 5 three dash six 9 three one", "SSN: 4 eight five dash 5 three dash six 9 three one",
    "soc sec no is one hundred thirty-two dash 4 1 dash three 7 3 one",
])
def test_number_words_examples(engine: Engine, text: str) -> None:
    assert _stops(engine, text)


@SETTINGS
@given(st.randoms(use_true_random=False))
def test_number_word_prose_passes(engine: Engine, rng: random.Random) -> None:
    text = gen.neg_words(rng)
    assert not _stops(engine, text), text


@pytest.mark.parametrize("text", [
    "Mary made a dash for the exit at one two three", "the 5 dash 10 sprint, then two dash three laps",
    "four dash 4 is a chord name", "we sold 500 dash 200 lots, then three more",
])
def test_spoken_dash_negatives(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)
