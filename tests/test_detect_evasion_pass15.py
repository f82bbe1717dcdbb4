"""Recall findings of the insider pass recorded in issue 15 (det15b), each as a class with
its look-alikes that must stay clean:

- A2: an SSN's parts named by their place (``area``/``group``/``serial``,
  ``first``/``middle``/``last``) written in any order;
- the gateway's digit gate counting a number word glued to a Sino-Korean digit
  (``00000오오two``, found by hypothesis: the gate counted 7 digits where the engine reads 8).
"""

from __future__ import annotations

import base64
import itertools
import random
from pathlib import Path

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import normalize, rendered_digits, sanitize
from dlp_proxy.policy import testing as synth
from tests.conftest import Gateway

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
SSN = synth.SSN
AREA, GROUP, SERIAL = SSN.split("-")
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _types(engine: Engine, text: str) -> set[str]:
    return {f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING}


# -- A2: parts named by their place, in any order --------------------------------------------

_PLACE_WORDS = [("area", "group", "serial"), ("first", "middle", "last"), ("first 3", "middle 2", "last 4"),
                ("first three", "middle two", "last four"), ("starts", "middle", "ends"),
                # (held-out probe of 2026-12-06: ordinals, "next")
                ("first 3 =", "next 2 =", "last 4 ="), ("1st three:", "2nd two:", "final four:"),
                ("first", "second", "third")]
_PARTS = (AREA, GROUP, SERIAL)


@pytest.mark.parametrize("words", _PLACE_WORDS)
@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
@pytest.mark.parametrize("join", [", ", " ", "; ", " and ", " | "])
def test_parts_named_by_place_in_any_order(engine: Engine, words: tuple[str, ...], order: tuple[int, ...],
                                           join: str) -> None:
    text = "fyi " + join.join(f"{words[k]} {_PARTS[k]}" for k in order)
    assert "US_SSN" in _types(engine, text), (text, normalize(text).text)


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_parts_with_their_place_after_them(engine: Engine, order: tuple[int, ...]) -> None:
    words = ("first", "middle", "last")
    text = "ssn: " + ", ".join(f"{_PARTS[k]} {words[k]}" for k in order)
    assert "US_SSN" in _types(engine, text), (text, normalize(text).text)


def test_reported_forms(engine: Engine) -> None:
    for text in (f"serial {SERIAL}, group {GROUP}, area {AREA}", f"last 4 {SERIAL} middle {GROUP} first {AREA}",
                 f"her SSN: last 4 {SERIAL} middle {GROUP} first {AREA}"):
        found = [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
        assert found and text[found[0].start : found[0].end].endswith(AREA), text


PLACE_NEGATIVES = [
    "first 100 users, middle 20, last 1000",
    "last 4 weeks: 8710 orders, middle 22, first 536",
    "area 536 sq ft, group 22 people, serial 8710 units",
    "first 536 rows, then 22 failed, last 8710 pending",
    "group 22 serial 8710 area 53",  # no part of an area's length
    "first 000 middle 22 last 8710",  # no SSN has area 000
    "next week we meet at 10, first 3 items cost 536 and the last 4 cost 8710",
    "first 536 rows, second 22 failed, third 8710 pending",
]


@pytest.mark.parametrize("text", PLACE_NEGATIVES)
def test_places_that_name_no_ssn_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set()


# -- the digit gate: number words glued to digits that rendering makes ------------------------

@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*"0123456789", "오", "삼", "이", "공", "two", "five", "⠼", "⠑", "⠃", " ", "-"]),
                max_size=30))
@example(["0", "0", "0", "0", "0", "오", "오", "two"])
@example(["⠼", "⠑", "⠃", "two", "5", "3", "6", "2", "2"])
def test_gate_counts_words_glued_to_rendered_digits(pieces: list[str]) -> None:
    """ASCII digits + ``rendered_digits`` bound the digits the normalizer reads (the
    gateway's inline-scan gate relies on it)."""
    raw = sanitize("".join(pieces))
    own = sum(c.isdigit() for c in raw)
    assert own + rendered_digits(raw) >= sum(c.isdigit() for c in normalize(raw).text), raw


# -- a labelled number in another base or a short encoding ------------------------------------

_SSN9 = int(AREA + GROUP + SERIAL)
_ACCT = 12345678


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


ENCODED = [
    ("hex prefix", f"SSN 0x{_SSN9:x}", "US_SSN"),
    ("hex word", f"client SSN in hex: {_SSN9:x}", "US_SSN"),
    ("hex upper", f"ssn hex {_SSN9:X}", "US_SSN"),
    ("hex after", f"ssn {_SSN9:x} (hex)", "US_SSN"),
    ("hex h suffix", f"ssn {_SSN9:x}h", "US_SSN"),
    ("octal prefix", f"SSN 0o{_SSN9:o}", "US_SSN"),
    ("octal word", f"SSN octal {_SSN9:o}", "US_SSN"),
    ("binary prefix", f"SSN 0b{_SSN9:b}", "US_SSN"),
    ("binary word", f"her ssn in binary is {_SSN9:b}", "US_SSN"),
    ("base16", f"ssn base16 {_SSN9:x}", "US_SSN"),
    ("account hex", f"acct hex {_ACCT:x}", "US_BANK_NUMBER"),
    ("account 0x", f"wire to acct 0x{_ACCT:x}", "US_BANK_NUMBER"),
    ("card hex", f"card 0x{int(synth.CARD.replace(' ', '')):x}", "CREDIT_CARD"),
    ("base64 of the digits", f"SSN {_b64(AREA + GROUP + SERIAL)}", "US_SSN"),
    ("base64 of the dashed", f"SSN {_b64(SSN)}", "US_SSN"),
    ("short padded base64", f"acct {_b64(str(_ACCT))}", "US_BANK_NUMBER"),
    ("hex bytes of the digits", f"ssn in hex: {(AREA + GROUP + SERIAL).encode().hex()}", "US_SSN"),
]


@pytest.mark.parametrize(("name", "text", "entity"), ENCODED, ids=[c[0] for c in ENCODED])
def test_labelled_encodings_are_read(engine: Engine, name: str, text: str, entity: str) -> None:
    assert entity in _types(engine, text), text


ENCODED_NEGATIVES = [
    f"segfault at 0x{_SSN9:x} in libc",  # an address: no label
    f"commit {_SSN9:x} fixed the build",  # a short commit id: no base stated
    f"pointer 0x{int(synth.CARD.replace(' ', '')):x} freed twice",  # a card's value, unlabelled
    "ssn field sha256 0x" + "ab" * 32,  # a hash: more digits than any identifier
    "ssn lookup id 123e4567-e89b-12d3-a456-426614174000",  # a UUID
    f"build {_b64(str(_ACCT))} shipped",  # base64 of digits with no label
    "binary search faced 10 misses, octal 17 and hex ff",
    f"color hex {0xC0FFEE:x} for the account banner",  # 12648430: no account word names it
]


@pytest.mark.parametrize("text", ENCODED_NEGATIVES)
def test_unlabelled_or_hash_like_encodings_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set(), text


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**160), st.sampled_from(["0x{:x}", "{:x}", "hex {:x}", "sha1 {:040x}"]))
def test_hash_like_hex_without_label_stays_clean(engine: Engine, value: int, form: str) -> None:
    """Hex of any value, written as code or logs write it, with no identifier's label:
    never a stop (the decoded reading keeps only findings a context word names)."""
    assert _types(engine, "see " + form.format(value) + " in the log") == set()


# -- letters, marks and backslashes inside and between the groups -----------------------------

CARD = synth.CARD.replace(" ", "")
CARD_GROUPS = [CARD[i : i + 4] for i in range(0, 16, 4)]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet="acdefhjkmnprtuvwxyACDEFHJKMNPRUVWXY", min_size=1, max_size=8), min_size=3,
                max_size=3).filter(lambda runs: max(map(len, runs[:2])) >= 2
                                   and any(c not in "abcdefABCDEF" for c in "".join(runs[:2]))),
       st.booleans())
@example(["abc", "xyz", "q"], False)
def test_letter_runs_between_groups_are_separators(engine: Engine, runs: list[str], card: bool) -> None:
    """Runs of letters (one of two letters or more) glued between the groups of an exact
    shape: the identifier's dashes (``536abc22xyz8710``).  Letters that draw a digit
    (``O`` ``l`` ``S`` ``B``...) are left out: the look-alike reading takes those; and
    runs of hexadecimal letters only are a hex token (a request id, ``614bd27e3934``)."""
    if card:
        text = "".join(g + (runs[k] if k < 3 else "") for k, g in enumerate(CARD_GROUPS))
        assert "CREDIT_CARD" in _types(engine, text), text
    else:
        text = f"{AREA}{runs[0]}{GROUP}{runs[1]}{SERIAL}"
        assert "US_SSN" in _types(engine, text), (text, normalize(text).text)


INNER_MARKS = [f"{AREA[:2]}:{AREA[2]}-{GROUP}-{SERIAL}", f"{AREA}-{GROUP[0]}:{GROUP[1]}-{SERIAL[:2]}:{SERIAL[2:]}",
               f"{AREA[0]}.{AREA[1:]} {GROUP} {SERIAL}", f"{AREA}/{GROUP}/{SERIAL[:1]};{SERIAL[1:]}",
               f"client ssn {AREA[:2]}'{AREA[2]}-{GROUP}-{SERIAL}", f"card {CARD_GROUPS[0]} {CARD_GROUPS[1][:2]}:"
               f"{CARD_GROUPS[1][2:]} {CARD_GROUPS[2]} {CARD_GROUPS[3]}"]


@pytest.mark.parametrize("text", INNER_MARKS)
def test_a_mark_inside_a_group_is_read_past(engine: Engine, text: str) -> None:
    assert _types(engine, text) & {"US_SSN", "CREDIT_CARD"}, (text, normalize(text).text)


IBAN_GROUPS = ["GB82", "WEST", "1234", "5698", "7654", "32"]


@pytest.mark.parametrize("sep", ["\\", " \\", "\\\\", "\\ "])
@pytest.mark.parametrize("label", ["", "IBAN "])
def test_backslash_between_iban_groups(engine: Engine, sep: str, label: str) -> None:
    text = label + sep.join(IBAN_GROUPS)
    assert "IBAN_CODE" in _types(engine, text), (text, normalize(text).text)


@pytest.mark.parametrize("text", ["IBAN GB82 west 1234 5698 7654 32", "IBAN GB82 West 1234 5698 7654 32",
                                  "iban: GB82 west 1234 5698 7654 32 pls"])
def test_iban_bank_code_in_lower_case_is_no_filler(engine: Engine, text: str) -> None:
    """The filler reading took ``west`` for a word between groups (and dropped it): an
    IBAN's groups are read across words only where they pass mod 97."""
    assert "IBAN_CODE" in _types(engine, text), (text, normalize(text).text)


LOOKALIKES = ["S36-22-87IO", "536-ZZ-87IO", "S3G-22-B7lO", "SSN S36 22 87IO", "S36/22/87IO", "ssn SЗ6-22-87IO",
              "SSN 53:6-22-87IO"]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_letters_standing_for_digits(engine: Engine, text: str) -> None:
    assert "US_SSN" in _types(engine, text), text


MIXED_NEGATIVES = [
    "build 536abc22xyz8710rc ready",  # letters glued to an end: one token, an id
    "ORD536ab22cd8710 filled",
    "sha deadb536bc22fe8710aa",
    "merged e40d21a1-a91a-65d0-a6ee-614bd27e3934 into main",  # a UUID's last group: hex
    "request id 025dc79b9772, retrying",
    "train 12:30-14:45, back 18:05",
    "ratio 1.5-2.25 and 3:1",
    "release 2.1.0-22-1234 tagged",  # a version's points: no mark inside a group
    "see C:\\Users\\ops\\reports\\2026 and \\\\share\\q4",
    "$\\frac{5}{36}$ and \\alpha 22",
]


@pytest.mark.parametrize("text", MIXED_NEGATIVES)
def test_ids_times_and_paths_stay_clean(engine: Engine, text: str) -> None:
    assert _types(engine, text) == set(), (text, normalize(text).text)


# -- end to end: through the real gateway -----------------------------------------------------

E2E = [f"serial {SERIAL}, group {GROUP}, area {AREA}", f"acct hex {_ACCT:x}", f"SSN {_b64(AREA + GROUP + SERIAL)}",
       f"{AREA}abc{GROUP}xyz{SERIAL}", f"{AREA[:2]}:{AREA[2]}-{GROUP}-{SERIAL}", "\\".join(IBAN_GROUPS)]


@pytest.mark.parametrize("message", E2E, ids=[f"e2e-{i}" for i in range(len(E2E))])
def test_gateway_stops_the_class(gateway: Gateway, message: str) -> None:
    marker = f"ref{random.randrange(10**6)}q"
    r = httpx.post(f"{gateway.url}/api/v4/posts",
                   json={"channel_id": gateway.sim.channel("town_square"), "message": f"{marker}\n\n{message}"},
                   headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403, (r.status_code, r.text)
    assert not any(marker.encode() in base64.b64decode(q["body_b64"]) for q in gateway.sim.requests()
                   if q["path"] == "/api/v4/posts" and q["method"] == "POST")
