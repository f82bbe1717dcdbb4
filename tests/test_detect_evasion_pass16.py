"""Recall findings of insider attack pass 16 (atk15 p7), each as a class with its
look-alikes that must stay clean:

- runs of hexadecimal letters glued between an identifier's digit groups
  (``client SSN 536ee22ee8710``, ``card 4111ab1111cd1111ef1111``, ``routing
  0260ab0959cd3``): read as separators when an identifier label is near or the shape's
  check passes, a hex token (UUID group, commit id, request id) otherwise;
- a run of separator marks of any length, blanks between them, between digit groups
  (``536----22----8710``, ``4111 - - 1111 - - 1111 - - 1111``) reads as one separator;
- the archive's ``digit_run`` joins such runs too (``a536----22----8710``).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.atrest import MIN_DIGIT_RUN, digit_run, safe_name, safe_text
from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
AREA, GROUP, SERIAL = synth.SSN.split("-")
CARD = ("4111", "1111", "1111", "1111")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


@pytest.mark.parametrize(("text", "kind"), [
    ("client SSN 536ee22ee8710", "US_SSN"),
    ("client SSN 536ab-22cd-8710", "US_SSN"),
    ("client SSN 536BB22DD8710", "US_SSN"),
    ("client SSN 536ab.22cd.8710", "US_SSN"),
    ("536ee22ee8710 is her ssn", "US_SSN"),
    ("card 4111ab1111cd1111ef1111", "CREDIT_CARD"),
    ("4111ab1111cd1111ef1111 exp 12/28", "CREDIT_CARD"),  # Luhn: no label needed
    ("routing 0260ab0959cd3", "ABA_ROUTING_NUMBER"),
    ("client SSN 536abc22xyz8710", "US_SSN"),  # pass 15, still found
])
def test_hex_letter_runs_between_groups_are_read(engine: Engine, text: str, kind: str) -> None:
    assert kind in _types(engine, text)


@pytest.mark.parametrize("text", [
    "request id 536ee22ee8710 failed",  # no label: a hex token
    "build 536ee22ee8710 deployed",
    "commit 614bd27e3934 fixed it",
    "uuid 123e4567-e89b-12d3-a456-426614174000",
    "card order 123e4567-e89b-12d3-a456-536ab22c8710 shipped",  # a UUID's group, label or not
    "4111ab1111cd1111ef1112 is an etag",  # card shape, Luhn fails
    "trace 0260ab0959cd4",  # 4-4-1, ABA check fails
    "call 555-1234 or 555 - 1234",
    "v1.2.3 released 2024-01-05, see 10.0.0.1",
])
def test_hex_ids_and_chat_numbers_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


@pytest.mark.parametrize("text", [
    "client SSN 536----22----8710", "client SSN 536....22....8710", "client SSN 536 - - 22 - - 8710",
    "client SSN 536---22---8710", "client SSN 536 -- 22 -- 8710", "client SSN 536 ..... 22 ..... 8710",
    "card 4111----1111----1111----1111", "card 4111 - - 1111 - - 1111 - - 1111",
    "card 4111 ~~~~~ 1111 ~~~~~ 1111 ~~~~~ 1111", "client SSN 536########22########8710",
    "client SSN 536::::::::#22::::::::#8710", "client SSN 536-- -- -- -- --22-- -- -- -- --8710",
])
def test_separator_runs_between_groups_are_one_separator(engine: Engine, text: str) -> None:
    assert _types(engine, text) & {"US_SSN", "CREDIT_CARD"}


#: (``#`` and currency signs after a blank open a reference or an amount, by design:
#: recognizers/_common.py ``_LINE_PART``; glued they are separators, as above)
_MARKS = "-._/~=*|+:"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet=_MARKS, min_size=1, max_size=12), st.integers(0, 2)), min_size=1,
                max_size=3), st.sampled_from(["ssn", "card"]))
@example([("----", 0)], "ssn")
@example([("-", 1), ("-", 1)], "card")
def test_any_separator_run_between_groups_is_found(engine: Engine, run: list[tuple[str, int]], kind: str) -> None:
    """Any run of marks, up to two blanks around and between them, between an identifier's
    groups (the same run between every two) still finds it."""
    sep = "".join(" " * blanks + marks for marks, blanks in run) + " " * run[0][1]
    if kind == "ssn":
        text, want = f"client SSN {sep.join((AREA, GROUP, SERIAL))} on file", "US_SSN"
    else:
        text, want = f"card {sep.join(CARD)} exp 12/28", "CREDIT_CARD"
    assert want in _types(engine, text), text


@settings(max_examples=80, deadline=None)
@given(st.uuids(), st.integers(min_value=0, max_value=2**160 - 1), st.integers(min_value=0, max_value=2**64 - 1),
       st.sampled_from(["deploy {u} done, commit {h}, request {r}", "see {h} and {u}", "req-id {r} trace {u}"]))
@example(uuid.UUID("123e4567-e89b-12d3-a456-536ab22c8710"), 0x614BD27E3934, 0x536EE22EE8710, "see {h} and {u}")
def test_random_hex_ids_in_chat_stay_clean(engine: Engine, u: uuid.UUID, h: int, r: int, template: str) -> None:
    text = template.format(u=u, h=f"{h:040x}", r=f"{r:x}")
    assert _types(engine, text) == set(), text


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789abcdef", min_size=7, max_size=40))
def test_random_hex_tokens_without_a_label_stay_clean(engine: Engine, token: str) -> None:
    """A bare hex run of 7-40 characters in chat (no identifier label) is no identifier
    unless it is a card's or a routing number's checked shape (which a hex run rarely is:
    then the digits alone would be read too)."""
    found = _types(engine, f"the build {token} is green")
    assert found <= {"CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER"}, token
    if found:
        assert not any(c in "abcdef" for c in token) or len([c for c in token if c.isdigit()]) in (9, 16), token


@pytest.mark.parametrize("name", ["a536----22----8710", "a536 - - 22 - - 8710", "x536....22....8710"])
def test_archive_joins_separator_runs(name: str) -> None:
    assert digit_run(name) >= 9
    assert safe_name(b"k" * 32, name) != name
    assert "22" not in safe_text(f"channel {name}")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=" -._/~", min_size=1, max_size=40))
def test_archive_digit_run_reads_any_separator_run(sep: str) -> None:
    assert digit_run(sep.join((AREA, GROUP, SERIAL))) == 9
    assert digit_run(f"town{sep}square") < MIN_DIGIT_RUN
