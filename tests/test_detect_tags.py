"""What is between ``<`` and ``>`` is read: Mattermost shows a post's HTML as text (its
web app formats posts with marked's ``sanitize``), so an identifier inside a tag, an
attribute or a comment is seen by every reader.  The normalizer drops tags
(``html-tags``); the engine also reads the text with them as written
(``normalize.markup_as_written``); so with Markdown markers touching a digit.

The property: wrapped in any tag-like or attribute-like markup, an identifier the
detector finds in the same text with the brackets removed is found, on the identifier."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.normalize import markup_as_written, normalize
from dlp_proxy.policy import testing as synth
from tests.conftest import stopped_as

CARD_DIGITS = synth.CARD.replace(" ", "")
IBAN = synth.IBAN.replace(" ", "")
#: (what is written, the identifier's own characters in it, its entity)
PAYLOADS = [
    (f"client SSN {synth.SSN}", synth.SSN, "US_SSN"),
    (f"card {CARD_DIGITS}", CARD_DIGITS, "CREDIT_CARD"),
    (f"card {synth.CARD}", synth.CARD, "CREDIT_CARD"),
    (f"IBAN {IBAN}", IBAN, "IBAN_CODE"),
    (f"routing {synth.ROUTING}", synth.ROUTING, "ABA_ROUTING_NUMBER"),
]

NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9:-]{0,8}", fullmatch=True)
WORD = st.from_regex(r"[a-z]{1,6}", fullmatch=True)
BLANK = st.sampled_from([" ", "  ", "\n", "\t", " \n "])
QUOTE = st.sampled_from(['"', "'", ""])


@st.composite
def _attribute(draw: Any, value: str | None = None) -> str:
    quote = draw(QUOTE)
    v = value if value is not None else draw(WORD)
    if not quote and " " in v:
        quote = '"'
    return f"{draw(NAME)}={quote}{v}{quote}"


@st.composite
def _wrapped(draw: Any, payload: str) -> str:
    """``payload`` somewhere in tag-like markup: the tag's text, an attribute's value,
    a comment, a closing or self-closing tag, nested tags, an unclosed ``<``."""
    name = draw(NAME)
    before = " ".join(draw(st.lists(_attribute(), max_size=2)))
    after = " ".join(draw(st.lists(_attribute(), max_size=2)))
    gap = draw(BLANK)
    form = draw(st.sampled_from(["text", "attribute", "comment", "closing", "self-closing", "nested", "unclosed",
                                 "body"]))
    if form == "text":
        inner = f"<{name}{gap}{before}{' ' if before else ''}{payload}{' ' if after else ''}{after}>"
    elif form == "attribute":
        inner = f"<{name}{gap}{before}{' ' if before else ''}{draw(_attribute(payload))}{' ' if after else ''}{after}>"
    elif form == "comment":
        inner = f"<!--{gap}{payload}{gap}-->"
    elif form == "closing":
        inner = f"</{name}{gap}{payload}>"
    elif form == "self-closing":
        inner = f"<{name}{gap}{payload}{draw(st.sampled_from(['/>', ' />']))}"
    elif form == "nested":
        inner = f"<{draw(NAME)} <{name}{gap}{payload}>>"
    elif form == "unclosed":
        inner = f"<{name}{gap}{payload}"
    else:
        inner = f"<{name}>{payload}</{name}>"
    for _ in range(draw(st.integers(0, 2))):  # more markup around it
        outer = draw(NAME)
        inner = f"<{outer}{' ' + draw(_attribute()) if draw(st.booleans()) else ''}>{inner}</{outer}>"
    prefix = draw(st.sampled_from(["", "note: ", "> ", "- ", "`", "| ", "```\n"]))
    suffix = {"`": "`", "| ": " |\n|---|", "```\n": "\n```"}.get(prefix, draw(st.sampled_from(["", " thanks", "\n"])))
    return f"{prefix}{inner}{suffix}"


@st.composite
def _case(draw: Any) -> tuple[str, str, str]:
    payload, value, entity = draw(st.sampled_from(PAYLOADS))
    return draw(_wrapped(payload)), value, entity


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_case())
def test_markup_around_an_identifier_never_hides_it(engine: Any, case: tuple[str, str, str]) -> None:
    text, value, entity = case
    bare = text.replace("<", "").replace(">", "")
    if entity not in {f.entity_type for f in engine.analyze(bare)}:
        return  # not found without the markup either: nothing the markup hid
    found = [f for f in engine.analyze(text) if f.entity_type == entity]
    assert found, text
    at = text.index(value)
    assert any(f.start <= at and f.end >= at + len(value) - 1 for f in found), (text, found)


ATK = [  # the attack pass's forms (a payload of four identifiers), each stopped
    "<x client SSN 536-22-8710, card 4111111111111111, IBAN GB82WEST12345698765432>",
    "<client card 4111 1111 1111 1111 exp 12/27>",
    '<b title="client SSN 536-22-8710">hi</b>',
    'client SSN <b x="536-22-8710">',
    '<div routing="021000021" acct="4829103755"></div>',
    "<!-- client SSN 536-22-8710 -->",
    "\\<x client SSN 536-22-8710\\>",
    "<mailto:client SSN 536-22-8710>",
    "<<x client SSN 536-22-8710>>",
    "<x client SSN 536-22-8710\u200b>",
    "<x\u00a0client SSN 536-22-8710>",
    "```\n<x client SSN 536-22-8710>\n```",
    '<img alt="536-22-8710"> SSN',
    '<a href="https://x.example/4111111111111111">card</a>',
    "SSN 536-22-8710<b>5</b>",  # the tag dropped would join a digit to the number
    # a Markdown marker dropped would join a digit to the number: shown as written
    "SSN 536-22-8710*5", "SSN 536-22-8710`5`", "SSN 536-22-8710~5", "SSN 536-22-8710__7",
    "card 4111111111111111*2", "card 4111111111111111**2**",
    "SSN 536-22-8710:five:", "card 4111111111111111:one:",  # a digit emoji glued to the number
]


@pytest.mark.parametrize("text", ATK)
def test_identifier_in_a_tag_is_stopped(engine: Any, text: str) -> None:
    assert stopped_as(engine, text), text


CLEAN = [  # tags and bracketed Mattermost syntax in ordinary chat: nothing is read into them
    "thanks <@alice>, see <https://example.com/desk/2024/10/15/report?id=4471902>",
    "<b>Order 4471</b> ships Friday, ticket <i>20931</i>",
    '<span class="qty">1500</span> shares at <b>101.25</b>, settle T+1',
    "<!-- build 20241015.3 --> deployed v2.14.7 to 3 hosts at 10:42",
    '<a href="https://jira.example.com/browse/OPS-4471">OPS-4471</a> closed',
    "<div id=\"row-17\">17 trades, 4 breaks</div>",
    "**4471** shares, `101.25`, ~2000 notional, fill_1500 at 10:42, 2*3*5 = 30",
    "ship 2:two: boxes at 10:30, 4:four:",
]


@pytest.mark.parametrize("text", CLEAN)
def test_tags_in_clean_chat_stop_nothing(engine: Any, text: str) -> None:
    assert not stopped_as(engine, text), text


def test_markup_as_written_keeps_every_character_where_it_was() -> None:
    text = '<b title="536-22-8710">x</b> <@alice> 3 < 4 <https://e.example>'
    written = markup_as_written(text)
    assert written is not None and len(written) == len(text)
    # (every ``<`` that could start a tag: a tag may hold another, ``<a <b SSN ...>>``)
    assert written == ' b title="536-22-8710">x /b> <@alice> 3 < 4  https://e.example>'
    assert "html-tags" not in {name for *_, name in normalize(written).events}  # no tag left to drop
    assert markup_as_written("3 < 4, <@alice>, <https://e.example>, *bold* a_b") is None
    assert markup_as_written("SSN 536-22-8710*5 **x**") == "SSN 536-22-8710 5 **x**"
    assert markup_as_written("SSN 536-22-8710:five: :five:") == "SSN 536-22-8710       :five:"


FILES = [  # (name, content): a text file that starts with a tag is sniffed as XML, its markup stripped
    ("notes.txt", b"<x client SSN 536-22-8710, please update the account>"),
    ("notes.txt", b"<x client card 4111111111111111>\nthanks"),
    ("page.html", b'<html><body><p title="client SSN 536-22-8710">hi</p></body></html>'),
    ("page.html", b"<html><body><p>hi</p><!-- card 4111111111111111 --></body></html>"),
    ("data.xml", b'<?xml version="1.0"?><rows><row note="client SSN 536-22-8710"/></rows>'),
]


def _file_stops(engine: Any, name: str, data: bytes) -> set[str]:
    from dlp_proxy.files import extract

    found: set[str] = set()
    for seg in extract(data, filename=name).segments:
        found |= stopped_as(engine, seg.text)
    return found


@pytest.mark.parametrize(("name", "data"), FILES)
def test_identifier_in_a_files_markup_is_stopped(engine: Any, name: str, data: bytes) -> None:
    assert _file_stops(engine, name, data), data


def test_a_files_clean_markup_stops_nothing(engine: Any) -> None:
    page = (b'<html><body><table><tr><td class="qty">1500</td><td>101.25</td></tr></table>'
            b'<a href="https://jira.example.com/browse/OPS-4471?t=20241015">OPS-4471</a>'
            b"<!-- build 20241015.3 --></body></html>")
    assert not _file_stops(engine, "page.html", page)
