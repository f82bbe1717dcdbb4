"""Attack pass atk22: a line break inside an identifier in ONE text.

F5: an IBAN with a line break inside its first four characters (``G`` line break ``B82 WEST
...``, ``GB`` line break ``82 ...``, ``GB8`` line break ``2 ...``): any Unicode line break,
CRLF, a blank line, a quote marker opening the next line.  F6: an unlabelled card number
broken by one line break (``4539`` line break ``1488 0343 6467``, ``4`` line break ``539
...``, Amex ``3`` line break ``782 822463 10005``): read as on one line when the groups
then are a card's grouping.  Property tests on generated IBANs (mod 97, several
countries), Luhn cards with real prefixes and cut points anywhere; and generated clean
multi-line desk chat that must stay clean.
"""

from __future__ import annotations

import random
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import stopped_as

#: BBAN structures (SWIFT registry; recognizers/iban.py ``_BBAN_SPECS``): n digits, a
#: capitals, c either
SPECS = {"GB": "a4n14", "IE": "a4n14", "DE": "n18", "NL": "a4n10", "FR": "n10c11n2", "CH": "n5c12",
         "ES": "n20", "IT": "a1n10c12", "BE": "n12", "AT": "n16", "PL": "n24", "NO": "n11"}
BREAKS = ["\n", "\r\n", "\u2028", "\u2029", "\x85", "\v", "\f", "\n\n", "\n> ", "  \n", "\n  "]


def iban(rng: random.Random, country: str) -> str:
    bban = ""
    for kind, count in ((s[0], int(s[1:])) for s in _spec_parts(SPECS[country])):
        # a place for either: mostly digits, as real accounts are (a run of five letters
        # or more after a break reads as a word, no group: recognizers/iban.py ``_a_word``)
        bban += "".join(rng.choice(string.ascii_uppercase) if kind == "a" or (kind == "c" and rng.random() < 0.1)
                        else rng.choice(string.digits) for _ in range(count))
    num = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    return f"{country}{98 - num % 97:02d}{bban}"


def _spec_parts(spec: str) -> list[str]:
    out, cur = [], ""
    for ch in spec:
        if ch.isalpha() and cur:
            out.append(cur)
            cur = ""
        cur += ch
    return [*out, cur]


def luhn_card(rng: random.Random, prefix: str, length: int) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for d in string.digits:
        digits = [int(c) for c in (body + d)][::-1]
        if sum(x if i % 2 == 0 else (x * 2 - 9 if x * 2 > 9 else x * 2) for i, x in enumerate(digits)) % 10 == 0:
            return body + d
    raise AssertionError


CARD_PREFIXES = [("4539", 16), ("4111", 16), ("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("6011", 16),
                 ("34", 15), ("37", 15), ("3528", 16)]


def grouped(card: str) -> str:
    if len(card) == 15:
        return f"{card[:4]} {card[4:10]} {card[10:]}"
    return " ".join(card[i:i + 4] for i in range(0, len(card), 4))


def broken(printed: str, cut: int, brk: str) -> str:
    """``printed`` with ``brk`` put at ``cut`` (a blank there becomes the break)."""
    if printed[cut] == " ":
        return printed[:cut] + brk + printed[cut + 1:]
    return printed[:cut] + brk + printed[cut:]


# -- F5 -----------------------------------------------------------------------------


F5 = ["IBAN G\nB82 WEST 1234 5698 7654 32", "G\nB82 WEST 1234 5698 7654 32", "GB\n82 WEST 1234 5698 7654 32",
      "IBAN GB8\n2 WEST 1234 5698 7654 32", "G\nB82WEST12345698765432", "IBAN G\r\nB82 WEST 1234 5698 7654 32",
      "IBAN G\u2028B82 WEST 1234 5698 7654 32", "IBAN G\x85B82 WEST 1234 5698 7654 32",
      "IBAN G\vB82 WEST 1234 5698 7654 32", "IBAN G\fB82 WEST 1234 5698 7654 32",
      "IBAN G\n\nB82 WEST 1234 5698 7654 32", "IBAN G\n> B82 WEST 1234 5698 7654 32",
      "IBAN D\nE89 3704 0044 0532 0130 00", "IBAN DE\n89 3704 0044 0532 0130 00",
      "Client wire details\nIBAN G\nB82 WEST 1234 5698 7654 32\n"]


@pytest.mark.parametrize("text", F5)
def test_f5_an_iban_broken_inside_its_first_four_characters_is_stopped(engine: Any, text: str) -> None:
    assert "IBAN_CODE" in stopped_as(engine, text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), country=st.sampled_from(sorted(SPECS)), brk=st.sampled_from(BREAKS),
       compact=st.booleans(), label=st.sampled_from(["", "IBAN ", "wire to ", "pls send to\n"]),
       head=st.booleans(), where=st.integers(0, 10**6))
def test_f5_property_a_generated_iban_broken_once_anywhere_is_stopped(engine: Any, seed: int, country: str, brk: str,
                                                                      compact: bool, label: str, head: bool,
                                                                      where: int) -> None:
    value = iban(random.Random(seed), country)
    printed = value if compact else " ".join(value[i:i + 4] for i in range(0, len(value), 4))
    # inside the first four characters, or anywhere
    cut = 1 + where % 3 if head else 1 + where % (len(printed) - 1)
    text = label + broken(printed, cut, brk)
    assert "IBAN_CODE" in stopped_as(engine, text), repr(text)


# -- F6 -----------------------------------------------------------------------------


F6 = ["4539\n1488 0343 6467", "4\n539 1488 0343 6467", "4539 14\n88 0343 6467", "4539 1488 0343 646\n7",
      "3\n782 822463 10005", "3782 822463 1000\n5", "4539148803436\n467", "4\n539148803436467",
      "4539 1488 03\n43 6467", "paid with 4\n111 1111 1111 1111", "5555 5555 5555 444\n4", "4539\r\n1488 0343 6467",
      "4539\u20281488 0343 6467"]


@pytest.mark.parametrize("text", F6)
def test_f6_an_unlabelled_card_broken_by_one_line_break_is_stopped(engine: Any, text: str) -> None:
    assert "CREDIT_CARD" in stopped_as(engine, text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), prefix=st.sampled_from(CARD_PREFIXES), where=st.integers(0, 10**6),
       brk=st.sampled_from(["\n", "\r\n", "\u2028", "\x85", " \n", "\n "]), compact=st.booleans(),
       before=st.sampled_from(["", "paid with ", "ok here:\n", "see below\n"]))
def test_f6_property_a_generated_card_broken_once_is_stopped(engine: Any, seed: int, prefix: tuple[str, int],
                                                             where: int, brk: str, compact: bool,
                                                             before: str) -> None:
    card = luhn_card(random.Random(seed), *prefix)
    printed = card if compact else grouped(card)
    if compact:
        # a block broken by a line: a runt of up to four digits on one side (a wrap)
        k = where % 4 + 1
        cut = k if where % 2 else len(printed) - k
    else:
        cut = 1 + where % (len(printed) - 1)
    text = before + broken(printed, cut, brk)
    assert "CREDIT_CARD" in stopped_as(engine, text), repr(text)


# -- clean multi-line chat -------------------------------------------------------------


TICKERS = ["AAPL", "MSFT", "TSLA", "XOM", "GE", "IBM", "NVDA", "ES", "NQ", "TY", "GB", "DE", "AT", "NL"]


def _line(rng: random.Random) -> str:
    r = rng.random()
    q = rng.choice([100, 200, 500, 1000, 1200, 2500, 4500, 5000, 10000, 25000])
    px = f"{rng.randint(5, 900)}.{rng.randint(0, 99):02d}"
    t = rng.choice(TICKERS)
    options = [
        f"buy {q} {t} @ {px}", f"{t} {px} bid", f"sold {q:,} {t} at {px}", f"{q}", f"{px}",
        f"{rng.randint(90, 130)}-{rng.randint(0, 31):02d}", f"meeting at {rng.randint(1, 12)}:{rng.choice(['00', '15', '30'])}",
        f"room {rng.randint(1, 40)} is free", f"{rng.randint(1, 999)} {rng.choice(['Main St', 'Baker St', 'Park Ave'])}",
        f"- {q} {t}", f"{rng.randint(1, 9)}. {t} {q}", f"{t} {rng.choice(['up', 'down'])} {rng.randint(1, 9)}%",
        f"{q} {rng.choice(['lots', 'shares', 'contracts'])}", f"ticket OPS-{rng.randint(1000, 9999)}",
        f"px {px} size {q}", f"{t} {rng.randint(10, 99)}", f"{t}\n{rng.randint(10, 99)} {px}",
        f"{rng.randint(1000, 9999)}", "ok", "thanks", "lunch?", "",
    ]
    return options[int(r * len(options))]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), n=st.integers(2, 8))
def test_property_clean_multi_line_desk_chat_is_not_stopped(engine: Any, seed: int, n: int) -> None:
    rng = random.Random(seed)
    text = "\n".join(_line(rng) for _ in range(n))
    assert not stopped_as(engine, text) & {"CREDIT_CARD", "IBAN_CODE"}, repr(text)


CLEAN = ["plan B\nAT 5,948.71 close", "GB\n82 people signed up", "G\nB 82", "4500\n1200 3400", "qty 4500\n1200 3400 5600",
         "45320151\n12830366", "AT\n12 noon", "DE\n89 3704", "buy 500 GE\n82 WEST st"]


@pytest.mark.parametrize("text", CLEAN)
def test_numbers_on_lines_that_make_no_identifier_are_not_stopped(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text)
