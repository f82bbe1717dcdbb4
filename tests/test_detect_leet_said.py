"""Leet tokens read when words *say* the letters are digits (normalize ``_LEET_SAID``,
``_said_leet_edits``): right after an identifier's label, a token of look-alike letters
and digits in any grouping and with any share of real digits (``account number:
8TS|ABGI``, ``ITIN -> qSZqTEEAq``); the recognizers validate what it reads.  Without
such words, or with the token not right at a label, nothing changes (det23's shapes).

Not handled: a key written right after the token (``account: 8TS|ABGI (O is zero)``):
its ``O`` joins the look-alike reading's digit run (``... - 0``), which then reads as no
account; the same key before the label works."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER")
#: digit -> the look-alike letters a writer may use for it
LOOKS = {"0": "Oo", "1": "Il|i", "2": "Zz", "3": "Ee", "4": "Aa", "5": "Ss", "6": "Gb", "7": "Tt", "8": "B", "9": "gq"}
SAID = ["(letters are digits)", "- swap the letters back to numbers", "it's leetspeak",
        "read the letters as the numbers they look like", "l33t, sorry", "(treat the letters as digits)",
        "letters = look-alike digits"]
KEYS = ["O is zero, l is one, you know the drill.", "key: O=0 l=1 Z=2 E=3 A=4 S=5.", "(B is 8, T is 7)"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


def _luhn_digit(body: str) -> str:
    for d in "0123456789":
        total = 0
        for i, c in enumerate(reversed(body + d)):
            n = int(c) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return d
    raise AssertionError


def _ident(kind: str, rnd: random.Random) -> tuple[str, str]:
    if kind == "ssn":
        area = rnd.choice([a for a in range(101, 899) if a != 666])
        return "SSN", f"{area:03d}-{rnd.randint(11, 99):02d}-{rnd.randint(1001, 9999):04d}"
    if kind == "card":
        body = "4" + "".join(rnd.choice("0123456789") for _ in range(14))
        d = body + _luhn_digit(body)
        return "card", " ".join(d[i:i + 4] for i in range(0, 16, 4))
    return "account number", "".join(rnd.choice("123456789") for _ in range(rnd.randint(8, 12)))


def _leet(digits: str, rnd: random.Random, share: float) -> str:
    return "".join(rnd.choice(LOOKS[c]) if c in LOOKS and rnd.random() < share else c for c in digits)


@PROPS
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ssn", "card", "account"]),
       said=st.sampled_from(SAID + KEYS), share=st.sampled_from([0.7, 0.9, 1.0]),
       glue=st.sampled_from([": ", " = ", " -> ", " is "]))
def test_a_labelled_token_is_read_when_words_say_so(engine: Engine, seed: int, kind: str, said: str, share: float,
                                                    glue: str) -> None:
    rnd = random.Random(seed)
    label, value = _ident(kind, rnd)
    token = _leet(value, rnd, share)
    text = f"{said} {label}{glue}{token}" if said in KEYS else f"ok {label}{glue}{token} {said}"
    assert _stops(engine, text), text


@PROPS
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["ssn", "card", "account"]), share=st.sampled_from([0.9, 1.0]))
def test_without_the_words_an_all_letter_token_is_a_word(engine: Engine, seed: int, kind: str, share: float) -> None:
    rnd = random.Random(seed)
    label, value = _ident(kind, rnd)
    token = _leet(value, rnd, share)
    if any(c.isdigit() for c in token):
        return  # letters glued to digits in an identifier's shape are read with a label (pass 9, det21, det23)
    assert not _stops(engine, f"ok {label}: {token} thanks"), token


@pytest.mark.parametrize("text", [
    "account: GATES lol, it's leetspeak for the desk",          # a word with no identifier in it
    "SSN form ABE-GS-1337 l33t",                                 # a form's name, not right at the label
    "card SKU 4B0O-1l2g-qq88-EEAT leet",
    "strike 1337 on SPX, account: BOSS list below",              # 1337 is a price, not words saying so
    "leetspeak is fun: account managers meet at 10",
    "O is zero in the key, the account is closed",
])
def test_said_leet_negatives(engine: Engine, text: str) -> None:
    assert not _stops(engine, text)
