"""Bidirectional text (attack F1): the detector judges what the reader sees.

A browser lays text out by the Unicode Bidirectional Algorithm: an override (RLO), an
embedding (RLE), an isolate (RLI), right-to-left marks or letters around digit groups
show the digits, or their groups, in another order than they are stored.  The engine
also judges the displayed reading of such a text (detect/bidi.py) and maps what it
finds back to the characters that show it, so a redaction leaves nothing readable.

The oracle for "displays the identifier" is the bidi library itself (python-bidi's
``get_display``, the Rust unicode-bidi crate), independent of the reordering code under
test (which reorders from the library's levels and mirrors glyphs)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from bidi import get_display
from bidi.mirror import MIRRORED
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.bidi import displayed_readings, may_reorder
from dlp_proxy.policy import redact_text
from dlp_proxy.policy import testing as synth
from dlp_proxy.recognizers.ssn import SsnRecognizer
from tests.conftest import Gateway, assert_post_stopped, post_message, post_reached

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
RLE, LRE, PDF, RLO, LRO = "\u202b", "\u202a", "\u202c", "\u202e", "\u202d"
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
RLM, ALM = "\u200f", "\u061c"
HEBREW = "\u05d0\u05d1\u05d2"
ARABIC = "\u0627\u0644\u0631\u0642\u0645"
_CONTROLS = set(RLE + LRE + PDF + RLO + LRO + LRI + RLI + FSI + PDI + RLM + ALM + "\u200e")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _shown(text: str, direction: str | None) -> str:
    """What a reader sees (the library's visual order), controls left out."""
    return "".join(c for c in str(get_display(text, base_dir=direction)) if c not in _CONTROLS)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isascii() and c.isdigit())


def _shows(shown: str, label: str, groups: list[str], sep: str) -> bool:
    """``shown`` holds the label and, after it, the groups in order (as written, or
    with single blanks)."""
    flat = re.sub(r"\s+", " ", shown)
    at = flat.find(label)
    return at >= 0 and any(v in flat[at:] for v in (sep.join(groups), " ".join(groups)))


@st.composite
def ssns(draw: st.DrawFn) -> tuple[str, list[str]]:
    area = draw(st.integers(1, 899).filter(lambda a: a != 666))
    group = draw(st.integers(1, 99))
    serial = draw(st.integers(1, 9999))
    groups = [f"{area:03d}", f"{group:02d}", f"{serial:04d}"]
    assume(SsnRecognizer().valid("".join(groups)))
    return "client SSN", groups


@st.composite
def cards(draw: st.DrawFn) -> tuple[str, list[str]]:
    body = "4" + "".join(str(draw(st.integers(0, 9))) for _ in range(14))
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    number = body + str((10 - total % 10) % 10)
    return "card number", [number[i : i + 4] for i in range(0, 16, 4)]


def _wrap(kind: str, label: str, groups: list[str], sep: str, close: bool) -> str:
    """A logical text whose display (in a left-to-right or auto paragraph) shows
    ``label`` then the groups in order, by one bidi device."""
    value = sep.join(groups)
    if kind == "rlo-all":  # everything reversed under an override
        return RLO + f"{label} {value}"[::-1] + (PDF if close else "")
    if kind == "rlo-value":
        return f"{label} {RLO}{value[::-1]}" + (PDF if close else "")
    if kind in ("rle-groups", "rli-groups"):  # the groups in reverse order in a right-to-left run
        start, end = (RLE, PDF) if kind == "rle-groups" else (RLI, PDI)
        return f"{label} {start}{' '.join(reversed(groups))}" + (end if close else "")
    if kind == "rlm-groups":  # a right-to-left mark beside each blank between reversed groups
        return f"{RLM}{label}\n" + f"{RLM} {RLM}".join(reversed(groups))
    if kind == "hebrew-first":  # a right-to-left post: each line shown right to left
        return f"{HEBREW}\n" + " ".join(reversed(groups)) + f" {label}"
    raise AssertionError(kind)


_KINDS = ["rlo-all", "rlo-value", "rle-groups", "rli-groups", "rlm-groups", "hebrew-first"]


@settings(max_examples=150, deadline=None)
@given(st.one_of(ssns(), cards()), st.sampled_from(_KINDS), st.sampled_from([" ", "-"]), st.booleans())
@example(("client SSN", synth.SSN.split("-")), "rlo-all", "-", True)
@example(("client SSN", synth.SSN.split("-")), "rle-groups", " ", True)
@example(("card number", synth.CARD.split(" ")), "rlo-value", " ", False)
def test_a_displayed_identifier_is_found_and_redaction_hides_it(
    engine: Engine, ident: tuple[str, list[str]], kind: str, sep: str, close: bool
) -> None:
    label, groups = ident
    text = _wrap(kind, label, groups, sep, close)
    value_digits = "".join(groups)
    # the oracle: the library shows the value's digits in order (some paragraph direction
    # a dir='auto' post can take), and the logical text does not hold them in order
    directions = ["L", "R"] if kind in ("rlm-groups", "hebrew-first") else ["L"]
    assume(any(_shows(_shown(text, d), label, groups, sep) for d in directions))
    assume(not _shows(text, label, groups, sep))
    found = engine.analyze(text)
    assert any(f.entity_type in STOPPING for f in found), (kind, [f.entity_type for f in found])
    # (the logical order may be an identifier too: reversed card groups can pass Luhn)
    redacted = redact_text(text, found)
    for d in ("L", "R"):
        assert value_digits not in _digits(_shown(redacted, d)), (kind, d)
    assert value_digits not in _digits(redacted)


_NEGATIVES = [
    f"{HEBREW} 1250 {HEBREW}, 22 {HEBREW} 12/03/2026",
    f"{ARABIC} \u0661\u0662\u0665\u0660 {ARABIC} \u0662\u0662",
    f"{HEBREW} order 536 qty 22 price 8710",  # three unrelated numbers, no label
    f"{RLI}{HEBREW} 3 {HEBREW}{PDI} shipped 2 boxes, 400 units",
    f"{ARABIC} 12 {ARABIC} 5 {ARABIC} 2026 {ARABIC} 4 x 250",
    "\u05de\u05d7\u05d9\u05e8 99.50, \u05db\u05de\u05d5\u05ea 1200, \u05ea\u05d0\u05e8\u05d9\u05da 2026-03-12",
    f"{RLO}hello world{PDF} 2026-12-04 10:30",
]


@pytest.mark.parametrize("text", _NEGATIVES, ids=[f"neg-{i}" for i in range(len(_NEGATIVES))])
def test_right_to_left_chat_with_numbers_stays_clean(engine: Engine, text: str) -> None:
    assert may_reorder(text)
    assert not [f.entity_type for f in engine.analyze(text) if f.entity_type in STOPPING]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 12-|\n()[]") + sorted(_CONTROLS) + list(HEBREW + ARABIC) + ["\u0661"]),
               max_size=60))
def test_a_reading_is_a_permutation_of_each_line(text: str) -> None:
    """Every displayed reading maps each of its characters to the original character it
    shows (up to mirroring), and covers each original character once."""
    for reading in displayed_readings(text):
        assert len(reading.text) == len(text) == len(reading.starts)
        if reading.coarse:
            continue
        assert sorted(reading.starts) == list(range(len(text)))
        for k, c in enumerate(reading.text):
            o = text[reading.starts[k]]
            assert c == o or MIRRORED.get(o) == c, (k, c, o)


def test_ascii_and_left_to_right_text_has_no_displayed_reading() -> None:
    assert not may_reorder(f"client SSN {synth.SSN}")
    assert not may_reorder("Grüße, ½ price, 五三六")
    assert displayed_readings("plain text 123") == []


# ---------------------------------------------------------------- through the real gateway

E2E = [
    RLO + f"client SSN {synth.SSN}"[::-1] + PDF,
    RLO + f"client SSN {synth.SSN}"[::-1],
    f"{RLI}{RLO}" + f"SSN {synth.SSN}"[::-1] + f"{PDF}{PDI}",
    f"SSN {RLE}" + " ".join(reversed(synth.SSN.split("-"))) + PDF,
    f"SSN {RLI}" + " ".join(reversed(synth.SSN.split("-"))) + PDI,
    RLO + synth.CARD.replace(" ", "")[::-1] + PDF,
    RLM + "SSN " + f"{RLM} {RLM}".join(reversed(synth.SSN.split("-"))),
]


@pytest.mark.parametrize("message", E2E, ids=[f"bidi-{i}" for i in range(len(E2E))])
def test_gateway_stops_a_displayed_identifier(gateway: Gateway, message: str) -> None:
    assert_post_stopped(gateway, message, separator='\n')


def test_gateway_passes_right_to_left_chat(gateway: Gateway) -> None:
    marker = f"ok{random.randrange(10**6)}z"
    r = post_message(gateway, f"{HEBREW} 1250 {HEBREW}, 22 {HEBREW} {marker}", user="bob")
    assert r.status_code == 201, (r.status_code, r.text)
    assert post_reached(gateway, marker)


def test_an_unconfirmed_line_maps_as_a_whole(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the library's levels cannot be read (or the reordering disagrees with its
    display string), every character of the line maps to the whole line: a finding
    there masks the line, never less than what shows the value."""
    import dlp_proxy.detect.bidi as bidi_mod

    monkeypatch.setattr(bidi_mod, "_levels_and_classes", lambda line, direction: None)
    line = RLO + f"client SSN {synth.SSN}"[::-1] + PDF
    text = f"hello\n{line}\nbye"
    (reading,) = displayed_readings(text)
    assert reading.coarse == 1
    found = [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    assert found and all((f.start, f.end) == (6, 6 + len(line)) for f in found)
    redacted = redact_text(text, found)
    assert redacted.startswith("hello\n") and redacted.endswith("\nbye")
    assert not any(c.isdigit() for c in redacted)


def test_a_label_shown_reversed_is_context_for_another_field(engine: Engine) -> None:
    """The gateway shows one field's context words to another field's numbers
    (``Engine.context_terms``): a label written under an override counts as displayed."""
    assert "ssn" not in engine.context_terms("NSS tneilc")
    assert "ssn" in engine.context_terms(RLO + "NSS tneilc" + PDF)
