"""Evasion classes of the second insider pass, each as a class with its look-alikes:
number words (digits mixed in, compounds, words run together, seven languages, spelled
routing numbers), filler words or a ``#`` between the digit groups of one identifier,
and Markdown read as it renders (an ordered list's numbering, a table with an empty
header row, struck-through decoy digits)."""

from __future__ import annotations

import base64
import random
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize, normalize_without_struck, rendered_digits
from dlp_proxy.detect.words import _DIGIT_WORDS, _TEENS, _TENS
from dlp_proxy.policy import testing as synth
from tests.conftest import Gateway

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
SSN = synth.SSN
AREA, GROUP, SERIAL = SSN.split("-")
DIGITS = SSN.replace("-", "")
CARD = synth.CARD.replace(" ", "")
CARD_GROUPS = [CARD[i : i + 4] for i in range(0, 16, 4)]
IBAN_GROUPS = ["GB82", "WEST", "1234", "5698", "7654", "32"]
ROUTING = "021000021"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
SPELLED = {"es": "cinco tres seis dos dos ocho siete uno cero", "fr": "cinq trois six deux deux huit sept un zéro",
           "de": "fünf drei sechs zwei zwei acht sieben eins null"}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> list[str]:
    return [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]


CASES = [
    ("mixed", "client SSN five 3 six 2 two 8 seven 1 zero", "US_SSN"),
    ("compounds", "client SSN fifty-three six, twenty-two, eighty-seven ten", "US_SSN"),
    ("hundred", "client SSN 5 hundred 36 22 8710", "US_SSN"),
    ("hundred in words", "ssn five hundred thirty-six, twenty-two, eighty-seven ten", "US_SSN"),
    ("run together", "client SSN fivethreesix twotwo eightsevenonezero", "US_SSN"),
    ("spanish", "client SSN " + SPELLED["es"], "US_SSN"),
    ("french", "client SSN " + SPELLED["fr"], "US_SSN"),
    ("german", "client SSN " + SPELLED["de"], "US_SSN"),
    ("french compounds", "client SSN cinq cent trente-six, vingt-deux, huit mille sept cent dix", "US_SSN"),
    ("german compounds", "client SSN fünfhundertsechsunddreißig zweiundzwanzig achttausendsiebenhundertzehn", "US_SSN"),
    ("spanish compounds", "client SSN quinientos treinta y seis, veintidós, ocho mil setecientos diez", "US_SSN"),
    ("double and oh", "client SSN five three six double two eight seven one oh", "US_SSN"),
    ("filler across lines", f"client SSN starts {AREA},\nthen {GROUP},\nends {SERIAL}", "US_SSN"),
    ("filler in brackets", f"client SSN {AREA} (then) {GROUP} (then) {SERIAL}", "US_SSN"),
    ("list with blank lines", f"client SSN\n1. {AREA}\n\n2. {GROUP}\n\n3. {SERIAL}", "US_SSN"),
    ("list with labels", f"client SSN\n1. area {AREA}\n2. group {GROUP}\n3. serial {SERIAL}", "US_SSN"),
    ("list with filler", f"client SSN\n1. first: {AREA}\n2. then: {GROUP}\n3. last: {SERIAL}", "US_SSN"),
    ("routing spelled", "routing number zero two one zero zero zero zero two one", "ABA_ROUTING_NUMBER"),
    ("filler starts/then/ends", f"client SSN starts {AREA}, then {GROUP}, ends {SERIAL}", "US_SSN"),
    ("filler last four", f"client SSN {AREA}-{GROUP} and last four {SERIAL}", "US_SSN"),
    ("filler labels", f"client SSN first three {AREA} middle two {GROUP} last four {SERIAL}", "US_SSN"),
    ("filler card", f"card starts {CARD_GROUPS[0]} {CARD_GROUPS[1]}, then {CARD_GROUPS[2]}, ends {CARD_GROUPS[3]}",
     "CREDIT_CARD"),
    ("filler iban", "IBAN GB82 WEST then 1234 5698 then 7654 32", "IBAN_CODE"),
    ("hash groups", f"client SSN #{AREA} #{GROUP} #{SERIAL}", "US_SSN"),
    ("filler, label after", f"{AREA}, then {GROUP}, then {SERIAL} is her social security number", "US_SSN"),
    ("filler, label after a dash", f"{AREA} and {GROUP} and {SERIAL} - social", "US_SSN"),
    ("filler iban, label after", "GB82 WEST then 1234 5698 then 7654 32 is my iban", "IBAN_CODE"),
    ("filler card, label after", f"{CARD_GROUPS[0]} then {CARD_GROUPS[1]}, next {CARD_GROUPS[2]} and last "
     f"{CARD_GROUPS[3]} is the card number", "CREDIT_CARD"),
    ("ordered list", f"client SSN\n1. {AREA}\n2. {GROUP}\n3. {SERIAL}", "US_SSN"),
    ("ordered list parens", f"client SSN\n7) {AREA}\n8) {GROUP}\n9) {SERIAL}", "US_SSN"),
    ("table empty header", f"| | | |\n|---|---|---|\n| {AREA} | {GROUP} | {SERIAL} |", "US_SSN"),
    ("table caption", f"client ssn\n|   |   |   |\n|---|---|---|\n| {AREA} | {GROUP} | {SERIAL} |", "US_SSN"),
    ("struck decoy", f"ssn {AREA[:2]}~~7~~{AREA[2]}-{GROUP}-{SERIAL}", "US_SSN"),
    ("struck tail", f"ssn {AREA}-{GROUP}-{SERIAL[:2]}~~0~~{SERIAL[2:]}", "US_SSN"),
]


@pytest.mark.parametrize(("family", "text", "entity"), CASES, ids=[c[0] for c in CASES])
def test_class_detected(engine: Engine, family: str, text: str, entity: str) -> None:
    assert entity in _types(engine, text), (family, text)


NEGATIVES = [
    "one of two, three or four of them",
    "one two three four five apples",
    "someone often done, tender street tree, been seen, due to the null value",
    "un deux trois quatre, on y va",
    "oh well, one of two things",
    "I had a double espresso and a triple shot, one two three four",
    "five hundred people came, twenty-two stayed",
    "see #1234 #5678 and #536 #22 #8710",
    "card ending 4111, expires 12 25",
    "shipped 536 boxes of 22 crates in 8710 pallets; the ssn field was empty all week long, sadly",
    "1. buy milk\n2. call 536 about the 22 boxes\n3. ship 8710 units",
    "qty report\n| qty | px | id |\n|---|---|---|\n| 536 | 22 | 8710 |",
    "version 1.2~~.3~~ ok and ~~old~~ new",
    "release 2024. was good\n2025. is better",
    "account review: first 3 then 22 rows, ends at 8710",
    "shipped 536 boxes, and 22 crates, and 8710 pallets. ssn field empty",
    "ssn field empty. shipped 536 boxes, and 22 crates, and 8710 pallets",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_look_alikes_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == [], text


# -- properties ------------------------------------------------------------------------

LANGS = sorted(_DIGIT_WORDS)
LABELS = ["client SSN", "ssn", "social security number", "SSN on file:"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=st.sampled_from(LABELS), how=st.lists(st.sampled_from(["digit", *LANGS]), min_size=9, max_size=9),
       sep=st.sampled_from([" ", "  ", ", ", " - "]))
def test_property_digit_words_of_any_language_mixed_with_digits(
        engine: Engine, label: str, how: list[str], sep: str) -> None:
    """Each digit written as a digit or as a digit word of any language (at least four words)."""
    if sum(h != "digit" for h in how) < 4:
        how = [h if k % 2 else "en" for k, h in enumerate(how)]
    words = [d if h == "digit" else _DIGIT_WORDS[h][int(d)] for d, h in zip(DIGITS, how, strict=True)]
    text = f"{label} {sep.join(words)}"
    assert "US_SSN" in _types(engine, text), text


def _english(digits: str, style: str) -> list[str]:
    """A digit group in English words: digit by digit, as tens and units, or run together."""
    units = _DIGIT_WORDS["en"]
    if style == "together":
        return ["".join(units[int(d)] for d in digits)]
    if style == "pairs" and len(digits) % 2 == 0 and "0" not in digits[::2]:
        out = []
        for k in range(0, len(digits), 2):
            tens, unit = int(digits[k]), int(digits[k + 1])
            if tens == 1:
                out.append(_TEENS[unit])
            else:
                word = next(w for w, v in _TENS.items() if v == str(tens) and w != "fourty")
                out.append(word if unit == 0 else f"{word}-{units[unit]}")
        return out
    return [units[int(d)] for d in digits]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(styles=st.lists(st.sampled_from(["digits", "pairs", "together"]), min_size=3, max_size=3),
       label=st.sampled_from(LABELS), sep=st.sampled_from([", ", " ", " - "]))
def test_property_english_compounds_and_run_together(engine: Engine, styles: list[str], label: str, sep: str) -> None:
    groups = [" ".join(_english(g, s)) for g, s in zip((AREA, GROUP, SERIAL), styles, strict=True)]
    text = f"{label} {sep.join(groups)}"
    assert "US_SSN" in _types(engine, text), text


FILLER = ["then", "and", "next", "after", "ends", "starts", "last four", "middle two", "first three", "is", "and then",
          "followed by", "plus"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["ssn", "card", "iban"]), fill=st.lists(st.sampled_from(FILLER), min_size=5, max_size=5),
       comma=st.lists(st.booleans(), min_size=5, max_size=5), hashed=st.booleans(),
       lead=st.sampled_from(["", "starts ", "first three ", "is "]))
def test_property_filler_words_between_groups(engine: Engine, kind: str, fill: list[str], comma: list[bool],
                                              hashed: bool, lead: str) -> None:
    label, groups, entity = {"ssn": ("client SSN", [AREA, GROUP, SERIAL], "US_SSN"),
                             "card": ("card", CARD_GROUPS, "CREDIT_CARD"),
                             "iban": ("IBAN", ["GB82 WEST", "1234 5698", "7654 32"], "IBAN_CODE")}[kind]
    mark = "#" if hashed and kind != "iban" else ""
    text = f"{label} {lead}{mark}{groups[0]}"
    for k, g in enumerate(groups[1:]):
        text += ("," if comma[k] else "") + f" {fill[k]} {mark}{g}"
    assert entity in _types(engine, text), text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["ssn", "card", "iban"]), fill=st.lists(st.sampled_from(FILLER), min_size=5, max_size=5),
       comma=st.lists(st.booleans(), min_size=5, max_size=5), hashed=st.booleans(),
       link=st.sampled_from([" ", " is her ", " - ", " that's the ", " (", " = ", ", their "]))
def test_property_filler_words_label_after(engine: Engine, kind: str, fill: list[str], comma: list[bool],
                                           hashed: bool, link: str) -> None:
    """The label after the groups ("536, then 22, then 8710 is her ssn")."""
    label, groups, entity = {"ssn": ("ssn", [AREA, GROUP, SERIAL], "US_SSN"),
                             "card": ("card number", CARD_GROUPS, "CREDIT_CARD"),
                             "iban": ("iban", ["GB82 WEST", "1234 5698", "7654 32"], "IBAN_CODE")}[kind]
    mark = "#" if hashed and kind != "iban" else ""
    text = f"{mark}{groups[0]}"
    for k, g in enumerate(groups[1:]):
        text += ("," if comma[k] else "") + f" {fill[k]} {mark}{g}"
    text += link + label
    assert entity in _types(engine, text), text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fill=st.lists(st.sampled_from(["of", "in", "and", "plus", "by"]), min_size=2, max_size=2),
       numbers=st.tuples(st.integers(100, 999), st.integers(10, 99), st.integers(1000, 9999)))
def test_property_filler_without_a_label_is_left_alone(engine: Engine, fill: list[str],
                                                       numbers: tuple[int, int, int]) -> None:
    a, b, c = numbers
    text = f"shipped {a} boxes {fill[0]} {b} crates {fill[1]} {c} pallets"
    assert _types(engine, text) == [], text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(1, 97), mark=st.sampled_from([".", ")"]), indent=st.sampled_from(["", " ", "  "]),
       label=st.sampled_from(LABELS))
def test_property_ordered_list_numbering_is_no_digit(engine: Engine, start: int, mark: str, indent: str,
                                                      label: str) -> None:
    lines = [f"{indent}{start + k}{mark} {g}" for k, g in enumerate((AREA, GROUP, SERIAL))]
    text = label + "\n" + "\n".join(lines)
    assert "US_SSN" in _types(engine, text), text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pad=st.sampled_from(["", " ", "   "]), caption=st.sampled_from(["", "client ssn\n", "see below\n"]),
       align=st.sampled_from(["---", ":--", "--:", ":-:"]))
def test_property_table_with_an_empty_header_row(engine: Engine, pad: str, caption: str, align: str) -> None:
    text = (f"{caption}|{pad}|{pad}|{pad}|\n|{align}|{align}|{align}|\n"
            f"| {AREA} | {GROUP} | {SERIAL} |")
    assert "US_SSN" in _types(engine, text), text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.integers(0, 9), decoy=st.text("0123456789", min_size=1, max_size=3), sep=st.sampled_from(["-", " "]))
def test_property_struck_decoy_digits(engine: Engine, at: int, decoy: str, sep: str) -> None:
    """Decoy digits struck through anywhere inside the number: the reading without them
    is the number."""
    number = sep.join((AREA, GROUP, SERIAL))
    spots = [k for k in range(1, len(number)) if number[k - 1].isdigit()]
    k = spots[at % len(spots)]
    text = f"ssn {number[:k]}~~{decoy}~~{number[k:]}"
    bare = normalize_without_struck(text)
    assert bare is not None and number in bare.text
    assert "US_SSN" in _types(engine, text), (text, bare.text)


_PIECES = ["1", "a", " ", "-", "three", "fivethreesix", "fifty-", "hundred", "twelve", "cinco", "fünf", "zéro",
           "someone", "eighty", "x", ", "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40))
def test_rendered_digits_bounds_the_number_words(pieces: list[str]) -> None:
    """ASCII digits + ``rendered_digits`` >= the digits the engine sees after number words."""
    text = "".join(pieces)
    seen = sum(c.isdigit() for c in normalize(text).text)
    assert sum(c.isdigit() for c in text) + rendered_digits(text) >= seen, text


# -- end to end: through the real gateway -----------------------------------------------

E2E = [c[1] for c in CASES if c[0] in ("mixed", "run together", "german", "filler starts/then/ends", "filler iban",
                                       "french compounds",
                                       "ordered list", "table empty header", "struck decoy", "hash groups")]


@pytest.mark.parametrize("message", E2E, ids=[f"e2e-{i}" for i in range(len(E2E))])
def test_gateway_stops_the_class(gateway: Gateway, message: str) -> None:
    marker = f"ref{random.randrange(10**6)}q"
    r = httpx.post(f"{gateway.url}/api/v4/posts",
                   json={"channel_id": gateway.sim.channel("town_square"), "message": f"{marker}\n\n{message}"},
                   headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403, (r.status_code, r.text)
    assert not any(marker.encode() in base64.b64decode(q["body_b64"]) for q in gateway.sim.requests()
                   if q["path"] == "/api/v4/posts" and q["method"] == "POST")
