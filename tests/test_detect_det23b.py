"""Held-out set gen23 (det23b): lists of short numbers in finance chat were read as one
identifier (a card when the joined digits passed Luhn, an account number after "per
account"), 13 % of such messages stopped.

A run of short numbers written as a list (list separators, groups of different lengths,
groups of two or three digits) is one identifier only with its label right at it or an
instruction to join it (``recognizers/_lists.py``); a card's and an SSN's own groupings,
and digits written one at a time, are read as before.  Values are synthetic (checksums
computed here).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.checksums import luhn_ok
from dlp_proxy.recognizers.cards import card_valid
from dlp_proxy.recognizers.ssn import ssn_valid

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _found(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


# ---------------------------------------------------------------- lists of short numbers

PREFIXES = [
    "strikes to quote: ", "strikes ", "fills: ", "fill sizes by venue: ", "lots (x100) per account: ",
    "lots per account: ", "qty per acct: ", "volumes: ", "hourly volume in k: ", "seat numbers for the offsite: ",
    "contracts by account - ", "allocations per client account: ", "fills by card program: ", "px ticks: ",
    "bids in bps: ", "", "re the card fees, tiers are ", "per the SSN form, counts: ",
]
LIST_SEPS = [", ", ",", "; ", ";", " / ", "/", " ", "  ", " ,", " ; "]
SUFFIXES = ["", ".", " thx", " (prelim)", " - pls confirm", "\nlmk"]

_items = st.lists(st.integers(1, 3).flatmap(lambda n: st.integers(0 if n == 1 else 10 ** (n - 1), 10 ** n - 1)),
                  min_size=5, max_size=15)


@PROPS
@given(prefix=st.sampled_from(PREFIXES), items=_items, sep=st.sampled_from(LIST_SEPS),
       suffix=st.sampled_from(SUFFIXES))
def test_a_list_of_short_numbers_is_never_stopped(engine: Engine, prefix: str, items: list[int], sep: str,
                                                  suffix: str) -> None:
    # (one-digit items apart by blanks only are digits spelled out one at a time, read as
    # one number as before: recognizers/_lists.py; with a list mark they are a list)
    assume(not (all(n < 10 for n in items) and not sep.strip()))
    text = prefix + sep.join(map(str, items)) + suffix
    assert not _found(engine, text), text


@PROPS
@given(prefix=st.sampled_from(PREFIXES), items=_items, seps=st.lists(st.sampled_from(LIST_SEPS), min_size=14,
                                                                   max_size=14))
def test_a_list_with_mixed_separators_is_never_stopped(engine: Engine, prefix: str, items: list[int],
                                                       seps: list[str]) -> None:
    assume(not (all(n < 10 for n in items) and not "".join(seps[: len(items) - 1]).strip()))
    text = prefix + str(items[0]) + "".join(s + str(n) for s, n in zip(seps, items[1:], strict=False))
    assert not _found(engine, text), text


HELD_OUT_SHAPES = [
    "strikes to quote: 34,39,25,18,26,33,43,30",
    "fill sizes by venue: 47 16 1 32 55 20 33 3 16",
    "seat numbers for the offsite: 65, 28, 27, 61, 29, 20, 80, 65, 37",
    "lots (x100) per account: 26; 54; 68; 83; 33; 87; 28; 91",
    "lots (x100) per account: 29 8 13 39 46 1 5 4 24",
    "lots per account: 123; 456; 789; 321",
    "contracts by account - 1 7 9 9 9 3 64 4",
    "per the SSN form, counts: 10, 10, 10, 0 10",
    "see https://wiki.example/a?id=%36%36%39%32%31%32%33%34%38%38%39%30%31%32",
    "String.fromCharCode(53, 49, 54, 50, 50, 56, 55, 49, 48)",
]


@pytest.mark.parametrize("text", HELD_OUT_SHAPES)
def test_the_held_out_shapes_pass(engine: Engine, text: str) -> None:
    assert not _found(engine, text), text


# ---------------------------------------------------------------- identifiers still found


def _card(rnd: random.Random) -> str:
    prefix, n = rnd.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("6011", 16), ("4", 13)])
    while True:
        body = prefix + "".join(rnd.choice("0123456789") for _ in range(n - len(prefix) - 1))
        for last in "0123456789":
            if luhn_ok(body + last) and card_valid(body + last) and len(set(body + last)) > 2:
                return body + last


def _ssn(rnd: random.Random) -> str:
    while True:
        d = f"{rnd.randint(100, 899):03d}{rnd.randint(10, 99):02d}{rnd.randint(1000, 9999):04d}"
        if ssn_valid(d):
            return d


EVASION_SEPS = [" ", "-", ".", " - ", "/", " / ", "·", "|", "_", ", ", "; ", "  "]


def _groups(d: str, sizes: list[int]) -> list[str]:
    out, i = [], 0
    for n in sizes:
        out.append(d[i : i + n])
        i += n
    return out


def _written_card(d: str, how: str, sep: str) -> str:
    if how == "fours":
        return sep.join(_groups(d, [4] * (len(d) // 4) + ([len(d) % 4] if len(d) % 4 else [])))
    if how == "pairs":
        return sep.join(_groups(d, [2] * (len(d) // 2) + ([1] if len(d) % 2 else [])))
    if how == "digits":
        return sep.join(d)
    return d


CARD_LABELS = ["card ", "card: ", "cc# ", "card number ", "card number is ", "visa ", "Card No. ", "debit card - "]
SSN_LABELS = ["SSN ", "ssn: ", "SSN # ", "social ", "client SSN is ", "ss# "]


@PROPS
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["fours", "pairs", "digits", "whole"]),
       sep=st.sampled_from(EVASION_SEPS), label=st.sampled_from(CARD_LABELS))
def test_a_labelled_card_in_any_grouping_is_still_found(engine: Engine, seed: int, how: str, sep: str,
                                                        label: str) -> None:
    text = label + _written_card(_card(random.Random(seed)), how, sep)
    assert "CREDIT_CARD" in _found(engine, text), text


@PROPS
@given(seed=st.integers(0, 2**32 - 1), how=st.sampled_from(["324", "digits", "pairs", "whole"]),
       sep=st.sampled_from(EVASION_SEPS), label=st.sampled_from(SSN_LABELS))
def test_a_labelled_ssn_in_any_grouping_is_still_found(engine: Engine, seed: int, how: str, sep: str,
                                                       label: str) -> None:
    d = _ssn(random.Random(seed))
    written = {"324": sep.join(_groups(d, [3, 2, 4])), "digits": sep.join(d),
               "pairs": sep.join(_groups(d, [2, 2, 2, 2, 1])), "whole": d}[how]
    assert "US_SSN" in _found(engine, label + written), label + written


@PROPS
@given(seed=st.integers(0, 2**32 - 1), sep=st.sampled_from([" ", "-", "."]))
def test_an_unlabelled_card_in_its_own_grouping_or_spelled_out_is_still_found(engine: Engine, seed: int,
                                                                               sep: str) -> None:
    d = _card(random.Random(seed))
    for how in ("fours", "digits", "whole"):
        text = "pls process " + _written_card(d, how, sep) + " today"
        assert "CREDIT_CARD" in _found(engine, text), text


@pytest.mark.parametrize("text", [
    "fills: {pairs}, run them together",
    "{pairs} (no spaces)",
    "concatenate these: {pairs}",
    "{pairs} is my card",
    "card\n{pairs}",
])
def test_a_list_shaped_card_with_intent_is_found(engine: Engine, text: str) -> None:
    d = _card(random.Random(7))
    written = text.format(pairs=_written_card(d, "pairs", " "))
    assert "CREDIT_CARD" in _found(engine, written), written


@pytest.mark.parametrize("text", [
    "acct # 48 29 10 37 55",
    "account: 4 8 2 9 1 0 3 7 5 5",
    "account number is 482; 910; 375",
    "lots per account: 48 29 10 37 55, no spaces",
    "wire to account at Chase 482-910-375",
])
def test_a_labelled_account_written_apart_is_found(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" in _found(engine, text), text


@pytest.mark.parametrize("text", [
    "lots (x100) per account: 48 29 10 37 55",
    "qty by acct: 48; 29; 10; 37; 55",
    "each account gets 4 8 29 10 3 75 5",
])
def test_an_account_word_spread_over_a_list_is_no_label(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" not in _found(engine, text), text


PIECE_WORDS = ["in pieces:", "(one group per line)", "below", "follows:", "- one chunk a line", "split up:",
               "broken up:", ", in parts:", "as follows:"]
LINE_MARKS = ["", "* ", "- ", "> ", "`"]


@PROPS
@given(seed=st.integers(0, 2**32 - 1), words=st.sampled_from(PIECE_WORDS), mark=st.sampled_from(LINE_MARKS),
       label=st.sampled_from(["card", "card number", "debit card", "cc#"]), size=st.sampled_from([2, 3]))
def test_a_labelled_card_in_pieces_one_a_line_is_found(engine: Engine, seed: int, words: str, mark: str,
                                                        label: str, size: int) -> None:
    """Words saying the number is written in pieces are a label's tail: the short groups
    one to a line under it are the card (the list rule would otherwise read a list)."""
    d = _card(random.Random(seed))
    close = "`" if mark == "`" else ""
    lines = "\n".join(f"{mark}{g}{close}" for g in _groups(d, [size] * (16 // size) + ([16 % size] if 16 % size else [])))
    text = f"ok, {label} {words}\n{lines}"
    assert "CREDIT_CARD" in _found(engine, text), text


@PROPS
@given(prefix=st.sampled_from(["strikes below:", "fills, in pieces by venue:", "lots per account, below:",
                               "sizes as follows:"]),
       items=st.lists(st.integers(1, 99), min_size=6, max_size=12), mark=st.sampled_from(LINE_MARKS))
def test_a_list_one_a_line_under_piece_words_and_no_label_is_never_stopped(engine: Engine, prefix: str,
                                                                           items: list[int], mark: str) -> None:
    close = "`" if mark == "`" else ""
    text = prefix + "\n" + "\n".join(f"{mark}{n}{close}" for n in items)
    assert not (_found(engine, text) & set(STOPPING)), text


@PROPS
@given(prefix=st.sampled_from(["allocation per acct (last 4 only):", "fills per account:", "split by acct:",
                               "each account gets:", "per a/c breakdown:"]),
       items=st.lists(st.tuples(st.integers(1001, 9999), st.integers(2, 99)), min_size=2, max_size=5),
       tag=st.sampled_from(["x", "xx", "#", ""]), sep=st.sampled_from([", ", "; ", " / "]))
def test_values_per_account_are_a_list(engine: Engine, prefix: str, items: list[tuple[int, int]], tag: str,
                                       sep: str) -> None:
    """A label a word spreads over what follows (``per acct``) with a list of items after
    it, each a tag and a value (``x4329: 2300``): values per account, not account numbers,
    whatever the items' lengths (recognizers/_lists.py ``spread_over_list``)."""
    text = f"{prefix} " + sep.join(f"{tag}{a}: {q * 100}" for a, q in items)
    assert not (_found(engine, text) & set(STOPPING)), text


@pytest.mark.parametrize("text", ["wire per account 44719022, thanks", "per account: 44719022, pls confirm",
                                  "acct 4471902283, routing 011000015"])
def test_one_account_number_with_a_comma_after_is_still_found(engine: Engine, text: str) -> None:
    assert "US_BANK_NUMBER" in _found(engine, text)


@pytest.mark.parametrize("text", [
    "SSN for Bob: 53 62 28 71 0", "SSN pairs 53 62 28 71 0", "card no. for Bob 453 201 511 283 036 6",
    "Card on file for Bob:\n453 201 511 283 036 6", "card, exp 04/29, cvv 123: 453 201 511 283 036 6",
    "453 201 511 283 036 6 is Bob's card", "wire per his acct 48 29 10 37 55",
    "Client pays by card: 453 201 511 283 036 6",
])
def test_a_labelled_number_cut_in_even_chunks_is_found_with_words_between(engine: Engine, text: str) -> None:
    """atk22r R1: the list rule asked for the label right at every run, so any word between
    a label and a number cut in pairs or threes let it pass; a number cut in even chunks
    (``_lists._chunked``) takes its label anywhere in the recognizer's window."""
    assert _found(engine, text) & set(STOPPING), text
