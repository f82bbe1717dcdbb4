"""Escapes are decoded first, then read like any typed text (attack pass 4, A1/A2/A17).

Mattermost's web app renders a post through its Markdown renderer, which leaves an
existing HTML entity as it is (marked's ``escape`` keeps ``&(?!#?\\w+;)``), so the
browser decodes ``&#x202E;`` into a right-to-left override and ``&nbsp;`` into a
no-break space.  The detector must read the decoded text through every later step: the
displayed (bidi) order, the folding of spaces and dashes, invisible characters, number
words...  The property: whatever the detector catches written plainly, it catches with
any of its characters written as HTML entities (named, decimal, hex, zero-padded)."""

from __future__ import annotations

import html.entities
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.detect.normalize import decode_escapes, normalize
from dlp_proxy.policy import testing as synth
from tests.conftest import Gateway, assert_post_stopped, post_message, post_reached

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"
STOPPING = ("US_SSN", "US_ITIN", "CREDIT_CARD", "ABA_ROUTING_NUMBER", "US_BANK_NUMBER", "IBAN_CODE")
RLO, PDF = "\u202e", "\u202c"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


def _stops(engine: Engine, text: str) -> bool:
    return any(f.entity_type in STOPPING for f in engine.analyze(text))


#: the named entity of each character that has one (HTML5's table; the shortest name)
_NAMED: dict[str, str] = {}
for _name, _ch in sorted(html.entities.html5.items(), key=lambda kv: (len(kv[0]), kv[0])):
    if _name.endswith(";") and len(_ch) == 1 and _ch not in _NAMED:
        _NAMED[_ch] = "&" + _name


def entity(ch: str, form: int) -> str:
    """``ch`` as an HTML entity: 0 named (decimal when it has no name), 1 decimal, 2 hex,
    3 zero-padded decimal, 4 zero-padded hex, 5 decimal without the semicolon."""
    cp = ord(ch)
    if form == 0:
        return _NAMED.get(ch, f"&#{cp};")
    if form == 1:
        return f"&#{cp};"
    if form == 2:
        return f"&#x{cp:X};"
    if form == 3:
        return f"&#{cp:07d};"
    if form == 4:
        return f"&#x{cp:06x};"
    return f"&#{cp}"  # a browser decodes it without ';' too (when no digit follows)


SSN, CARD = synth.SSN, synth.CARD
A, G, S = SSN.split("-")
#: identifiers and evasions the detector catches written plainly
PLAIN = [
    f"client SSN {SSN}",
    f"client SSN {A} {G} {S}",
    f"client SSN {A}\u00a0{G}\u00a0{S}",
    f"client SSN {A}\u2002{G}\u2002{S}",
    f"client SSN {A}\u3000{G}\u3000{S}",
    f"client SSN {A}\u2007{G}\u2007{S}",
    f"client SSN {A}\u2009{G}\u2009{S}",
    f"client SSN {A}\u00a0-\u00a0{G}\u00a0-\u00a0{S}",
    f"client SSN {A}\u2013{G}\u2013{S}",
    f"client SSN {A[0]}\u200b{A[1:]}-{G}-{S[:2]}\u200b{S[2:]}",
    f"client SSN {A.translate(str.maketrans('0123456789', '０１２３４５６７８９'))}-{G}-{S}",
    RLO + f"client SSN {SSN}"[::-1] + PDF,
    f"card {RLO}" + CARD[::-1] + PDF,
    f"card {CARD}",
    f"card {CARD.replace(' ', chr(0xa0))}",
    "account number 1234\u00a05678\u00a09012",
    f"routing number {synth.ROUTING}",
    f"IBAN {synth.IBAN}",
    f"client SSN {A} dash {G} dash {S}",
    "client SSN five three six two two eight seven one zero",
]


def _encode(text: str, picks: list[tuple[int, int]]) -> str:
    """``text`` with the characters at the picked positions written as entities."""
    forms = dict(picks)
    out = []
    for k, ch in enumerate(text):
        form = forms.get(k)
        if form is None:
            out.append(ch)
            continue
        if form == 5 and k + 1 < len(text) and (text[k + 1].isdigit() or k + 1 in forms):
            form = 1  # without ';' only where nothing digit-like follows
        out.append(entity(ch, form))
    return "".join(out)


def test_the_plain_forms_are_caught(engine: Engine) -> None:
    for text in PLAIN:
        assert _stops(engine, text), text


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), which=st.integers(0, len(PLAIN) - 1))
@example(data=None, which=len(PLAIN) - 1)
def test_entity_forms_are_caught_as_the_plain_ones(engine: Engine, data: st.DataObject | None, which: int) -> None:
    text = PLAIN[which]
    if data is None:  # every character, hex
        encoded = _encode(text, [(k, 2) for k in range(len(text))])
    else:
        picks = data.draw(st.lists(st.tuples(st.integers(0, len(text) - 1), st.integers(0, 5)), max_size=len(text)))
        encoded = _encode(text, picks)
        assume(encoded != text)
    assert decode_escapes(encoded) is not None and decode_escapes(encoded).text == text  # type: ignore[union-attr]
    assert _stops(engine, encoded), encoded


@pytest.mark.parametrize("form", range(6))
def test_every_character_as_an_entity(engine: Engine, form: int) -> None:
    for text in PLAIN:
        encoded = _encode(text, [(k, form) for k in range(len(text))])
        assert _stops(engine, encoded), (form, encoded)


@pytest.mark.parametrize("space", ["&nbsp;", "&ensp;", "&emsp;", "&thinsp;", "&ThinSpace;", "&#x3000;", "&#x2007;",
                                   "&#x205F;", "&#x1680;", "&#160;", "&NonBreakingSpace;"])
def test_a_decoded_space_is_folded_as_a_typed_one(space: str) -> None:
    """A2: the decoded text goes through the whole pass (a typed U+00A0 reads as a space)."""
    assert normalize(f"client SSN {A}{space}{G}{space}{S}").text == f"client SSN {A} {G} {S}"
    assert normalize(space).text == normalize(html.unescape(space)).text


def test_a_finding_in_decoded_text_maps_to_the_entities(engine: Engine) -> None:
    text = "x &#x202E;" + f"client SSN {SSN}"[::-1] + "&#x202C; y"
    found = [f for f in engine.analyze(text) if f.entity_type == "US_SSN"]
    assert found
    f = found[0]
    assert "bidi-reordering" in f.transforms
    assert text[f.start:f.end] == SSN[::-1]
    spaced = f"SSN {A}&nbsp;{G}&nbsp;{S}"
    g = next(f for f in engine.analyze(spaced) if f.entity_type == "US_SSN")
    assert spaced[g.start:g.end] == f"{A}&nbsp;{G}&nbsp;{S}" and "html-entities" in g.transforms


def test_entities_in_ordinary_chat_find_nothing(engine: Engine) -> None:
    for text in ["Q&amp;A at 10:30 &ndash; 50&#37; done", "R&amp;D budget 2024&nbsp;&ndash;&nbsp;2025",
                 "&#x202E;olleh&#x202C; 12 items", "room 5&nbsp;22 at 8&nbsp;pm"]:
        assert not _stops(engine, text), text


TEX = [  # A17: KaTeX's \char in every radix it reads (in a ```latex block)
    "client SSN\n```latex\n" + "".join(f"\\char{ord(c)}" if c.isdigit() else c for c in SSN) + "\n```",
    "client SSN\n```latex\n" + "".join(f"\\char\"{ord(c):04X}" if c.isdigit() else c for c in SSN) + "\n```",
    "client SSN\n```latex\n\\text{\\char\"00" + f"{ord(A[0]):X}}}{A[1:]}-{G}-{S}\n```",
    "client SSN\n```latex\n" + "".join(f"\\char'{ord(c):o} " if c.isdigit() else c for c in SSN) + "\n```",
    "client SSN\n```latex\n" + "".join(f"\\char`{c}" if c.isdigit() else c for c in SSN) + "\n```",
]


@pytest.mark.parametrize("text", TEX)
def test_latex_char_in_every_radix(engine: Engine, text: str) -> None:
    """The normalizer reads each radix; in rendered TeX holding a digit the detector
    refuses ``\\char`` (it reads every digit that follows: attack pass 5 of 2026-12-07)."""
    from dlp_proxy.detect import TexUnreadableError

    assert SSN in normalize(text).text
    with pytest.raises(TexUnreadableError):
        engine.analyze(text)


def test_latex_char_of_ordinary_text_finds_nothing(engine: Engine) -> None:
    assert normalize("use \\char92 for a backslash").text == "use \\for a backslash"
    assert not _stops(engine, "\\char65\\char66 costs 12 dollars")


# ---------------------------------------------------------------- through the real gateway

E2E = [
    "&#x202E;" + f"client SSN {SSN}"[::-1] + "&#x202C;",  # A1
    "&#8238;" + f"client SSN {SSN}"[::-1] + "&#8236;",
    "card &#x202E;" + CARD[::-1] + "&#x202C;",
    "|a|\n|-|\n|&#x202E;" + f"client SSN {SSN}"[::-1] + "&#x202C;|",
    f"client SSN {A}&nbsp;{G}&nbsp;{S}",  # A2
    f"client SSN {A}&nbsp;-&nbsp;{G}&nbsp;-&nbsp;{S}",
    f"client SSN {A}&ensp;{G}&ensp;{S}",
    f"client SSN {A}&emsp;{G}&emsp;{S}",
    f"client SSN {A}&thinsp;{G}&thinsp;{S}",
    f"client SSN {A}&ThinSpace;{G}&ThinSpace;{S}",
    f"client SSN {A}&#x3000;{G}&#x3000;{S}",
    "card " + CARD.replace(" ", "&nbsp;"),
    "card " + CARD.replace(" ", "&#x2007;"),
    "account number 1234&nbsp;5678&nbsp;9012",
]


@pytest.mark.parametrize("message", E2E, ids=[f"entity-{i}" for i in range(len(E2E))])
def test_gateway_stops_an_identifier_written_with_entities(gateway: Gateway, message: str) -> None:
    assert_post_stopped(gateway, message, separator='\n')


@pytest.mark.parametrize("message", TEX, ids=[f"tex-{i}" for i in range(len(TEX))])
def test_gateway_refuses_latex_char_where_digits_are(gateway: Gateway, message: str) -> None:
    """A17's ``\\char`` forms: refused 400 ``tex-unreadable`` (attack pass 5), never forwarded."""
    marker = f"\nref{random.randrange(10**6)}q"
    r = post_message(gateway, message + marker)
    assert r.status_code == 400 and r.json()["detailed_error"] == "tex-unreadable", (r.status_code, r.text)
    assert not post_reached(gateway, marker)


def test_gateway_passes_chat_with_entities(gateway: Gateway) -> None:
    marker = f"ok{random.randrange(10**6)}z"
    r = post_message(gateway, f"Q&amp;A at 10:30&nbsp;&ndash; room 5&nbsp;22 {marker}", user="bob")
    assert r.status_code == 201, (r.status_code, r.text)
    assert post_reached(gateway, marker)
