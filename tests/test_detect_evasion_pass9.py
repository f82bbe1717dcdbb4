"""Attack pass 9 text-evasion findings, each as a class:

- F13: digit groups of a card or an SSN each in straight quotes or angle brackets, or in
  a comma-separated list, as code and data write them (``card "4111" "1111" ...``,
  ``["4111", "1111", ...]``, ``VALUES ('John', '536', '22', '8710')``, ``setCard(4111,
  1111, ...)``, ``<4111> <1111>``): straight quotes and angle brackets are brackets around
  a digit group like curly ones, and a bracket dropped before the first group leaves a blank
  where a word would be glued to it.
- F3: letters drawn as digits (``B`` 8, ``g`` 9, ``T`` 7, ``S`` 5, ``l`` 1, Cyrillic ``В``,
  ``З``, ``б``...) inside a run of digit groups are read as those digits
  (``normalize_lookalike``), where one of them is glued to a digit; words stay words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import _letter_digits, normalize, normalize_lookalike
from dlp_proxy.policy import testing as synth

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
CARD_GROUPS = synth.CARD.split(" ")
SSN_GROUPS = synth.SSN.split("-")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _entities(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text)}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


QUOTES = [('"', '"'), ("'", "'"), ("<", ">"), ("", "")]
JOINS = [" ", ", ", ",", ",  "]
#: how code and data hold a list of values: {} is the list
HOLDERS = ["{}", "card {}", "card = [{}]", '{{"card": [{}]}}', "setCard({})", "card.set({});",
           "INSERT INTO cards VALUES ('John', {});", "```json\n{{\"card\": [{}]}}\n```"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quote=st.sampled_from(QUOTES), join=st.sampled_from(JOINS), holder=st.sampled_from(HOLDERS))
def test_property_card_groups_quoted_as_data(engine: Engine, quote: tuple[str, str], join: str, holder: str) -> None:
    assume(quote != ("", "") or join != " ")  # the bare control is covered everywhere else
    o, c = quote
    text = holder.format(join.join(f"{o}{g}{c}" for g in CARD_GROUPS))
    assert "CREDIT_CARD" in _entities(engine, text), text


@pytest.mark.parametrize("text", [
    f'client SSN "{SSN_GROUPS[0]}" "{SSN_GROUPS[1]}" "{SSN_GROUPS[2]}"',
    f"ssn = ['{SSN_GROUPS[0]}', '{SSN_GROUPS[1]}', '{SSN_GROUPS[2]}']",
    f"INSERT INTO clients (name, ssn_area, ssn_group, ssn_serial) VALUES ('John', '{SSN_GROUPS[0]}', "
    f"'{SSN_GROUPS[1]}', '{SSN_GROUPS[2]}');",
    f"client ssn <{SSN_GROUPS[0]}>-<{SSN_GROUPS[1]}>-<{SSN_GROUPS[2]}>",
])
def test_ssn_groups_quoted_as_data(engine: Engine, text: str) -> None:
    assert "US_SSN" in _entities(engine, text)


@pytest.mark.parametrize(("text", "reads"), [
    ('card "4111" "1111"', "card 4111 1111"),
    ("x = ['4111', '1111']", "x = 4111, 1111"),
    ("setCard(4111, 1111)", "set Card 4111, 1111"),  # the label a hump of the name (camel-labels)
    ("f(536)22", "f 536 22"),
    ("<4111> <1111>", "4111 1111"),
])
def test_quotes_read_as_brackets(text: str, reads: str) -> None:
    assert normalize(text).text == reads


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(groups=st.lists(st.integers(0, 9999).map(lambda n: f"{n:04d}"), min_size=2, max_size=6),
       quote=st.sampled_from(QUOTES), join=st.sampled_from(JOINS), holder=st.sampled_from(HOLDERS))
def test_property_clean_number_lists_stay_clean(engine: Engine, groups: list[str], quote: tuple[str, str],
                                                join: str, holder: str) -> None:
    """A list of numbers that is no card (no valid Luhn run of 13-19 digits in it) and no
    SSN stops nothing, however it is quoted."""
    digits = "".join(groups)
    assume(not any(_luhn_ok(digits[i:j]) for i in range(len(digits)) for j in range(i + 13, min(len(digits), i + 19) + 1)))
    o, c = quote
    text = holder.format(join.join(f"{o}{g}{c}" for g in groups)).replace("card", "item")
    found = _entities(engine, text) & set(STOPPING)
    assert not found, (text, found)


@pytest.mark.parametrize("text", [
    'version = ["1", "2", "10"]',
    "SELECT * FROM trades WHERE date BETWEEN '2024-01-02' AND '2024-12-31';",
    'dims = {"w": "1920", "h": "1080", "dpi": "96"}',
    "ports: ['8080', '8443', '9090']",
    "<td>250</td><td>1500</td><td>99.5</td>",
    "It's the 1990's, 2000's and 2010's again",
    'qty "100" "250" "75" px "12"',
])
def test_clean_code_and_data_stay_clean(engine: Engine, text: str) -> None:
    assert not _entities(engine, text) & set(STOPPING)


def _drawn(digit: str) -> list[str]:
    return sorted(c for c, d in _letter_digits().items() if d == digit)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), which=st.sampled_from(["card", "ssn"]))
def test_property_letters_drawn_as_digits_in_a_run(engine: Engine, data: st.DataObject, which: str) -> None:
    groups = list(CARD_GROUPS if which == "card" else SSN_GROUPS)
    sep = " " if which == "card" else "-"
    flat = [(g, i) for g, grp in enumerate(groups) for i in range(len(grp))]
    # one letter glued to a digit (the group holds a digit beside it), up to 5 more anywhere
    g0 = data.draw(st.sampled_from([g for g, grp in enumerate(groups) if len(grp) >= 2]))
    i0 = data.draw(st.integers(0, len(groups[g0]) - 1))
    more = data.draw(st.lists(st.sampled_from(flat), max_size=5))
    swapped = {(g0, i0), *more}
    assume(any(any(k != i for k in range(len(groups[g])) if (g, k) not in swapped) and abs(k - i) == 1
               for g, i in swapped for k in range(len(groups[g])) if (g, k) not in swapped))
    out = []
    for g, grp in enumerate(groups):
        out.append("".join(data.draw(st.sampled_from(_drawn(c))) if (g, i) in swapped and _drawn(c) else c
                           for i, c in enumerate(grp)))
    text = ("card " if which == "card" else "client SSN ") + sep.join(out)
    want = "CREDIT_CARD" if which == "card" else "US_SSN"
    assert want in _entities(engine, text), text


@pytest.mark.parametrize("text", [
    "pls charge 4Ol2 8888 8888 l88l exp 12/29", "4012 BBBB BBBB 1BB1", "4012 \u0412\u0412\u0412\u0412 "
    "\u0412\u0412\u0412\u0412 1\u0412\u04121", "client SSN 536-22-8T10", "client SSN 5\u04176-22-87lO",
])
def test_letters_drawn_as_digits_found(engine: Engine, text: str) -> None:
    assert _entities(engine, text) & set(STOPPING), text


@pytest.mark.parametrize("text", [
    "Boss 2024 SOS 911", "T1000 and T800 models, Q3 2024 results", "IBAN GB82 WEST 1234 5698 7654 32",
    "Order B2B-88 shipped 10g of S5 parts, 2x Z80 chips", "ref AB12 CD34 EF56 GH78",
    "meet at gate B12, seat 14A, flight BA 2490", "use 1080p or 4K at 60Hz; H264 at 8Mbps",
])
def test_words_and_codes_with_digits_stay_clean(engine: Engine, text: str) -> None:
    assert not _entities(engine, text) & {"CREDIT_CARD", "US_SSN", "US_ITIN"}, text


def test_letter_reading_only_in_a_digit_run() -> None:
    assert normalize_lookalike("Boss 2024 SOS") is None
    assert normalize_lookalike("a 4O12 b") is None  # too short for an identifier
    read = normalize_lookalike("x 4012 BBBB BBBB 1BB1 y")
    assert read is not None and read.text == "x 4012 8888 8888 1881 y"
    assert read.original_span(2, 21) == (2, 21)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(st.uuids(), min_size=1, max_size=4), upper=st.booleans())
def test_property_hex_ids_stay_clean(engine: Engine, ids: list[object], upper: bool) -> None:
    text = "ids: " + ", ".join(str(u).upper() if upper else str(u) for u in ids)
    assert not _entities(engine, text) & {"CREDIT_CARD", "US_SSN", "US_ITIN"}, text
