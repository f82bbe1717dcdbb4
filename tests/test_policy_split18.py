"""Split identifiers across posts, issue 15 item 3 (red-team pass atk16d): groups one a
post with chat between them (chat with numbers of its own: a time, a price, a room),
one character a post, spelled in number words and letters typed apart, the last part
posted first with "first part" / "last part" hints.  Real Redis at 127.0.0.1:6379, the
real detector (``_run`` of test_policy_split: filler through ``may_carry_a_piece`` as
the gateway does).  And the other side: realistic consecutive chat with numbers is
never stopped."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.words import split_reading
from dlp_proxy.policy.split import SPLIT_TRANSFORM, Piece, plan, unspaced
from dlp_proxy.policy.testing import ACCOUNT, CARD, IBAN, ROUTING, SSN
from tests.test_policy_split import _run
from tests.test_policy_split import detector as detector  # noqa: F401 - fixture
from tests.test_policy_split import property_detector as property_detector  # noqa: F401 - fixture

_DIGITS = re.sub(r"\D", "", SSN)
_IBAN = IBAN.replace(" ", "")
#: (label, groups): the identifier typed a group a post after its label
_GROUPED = [
    ("client ssn", SSN.split("-")),
    ("card", CARD.split()),
    ("iban", IBAN.split()),
    (f"ABA {ROUTING}, acct #", [ACCOUNT[:4], ACCOUNT[4:]]),
]
#: chat between the groups: digit-free, and with numbers of its own (each a piece of the
#: window: two digits or more, or one at an edge)
_FILLER = ["ok", "lol", "one sec", "brb", "hold on", "meeting at 3", "room 12 is free", "call at 2:30?",
           "NVDA up 4% lol", "back in 5", "ok 1 min", "2 min", "did you see the CPI print?", "sure", "$4.50 for lunch"]


def _stopped(found: list) -> bool:
    return bool(found) and all(SPLIT_TRANSFORM in f.transforms for f in found)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ident=st.sampled_from(_GROUPED), data=st.data())
def test_property_groups_among_chat_with_numbers_are_stopped(property_detector, ident, data):
    label, groups = ident
    steps = [("u1", f"{label} {groups[0]}", None)]
    for group in groups[1:]:
        fillers = data.draw(st.lists(st.sampled_from(_FILLER), min_size=1, max_size=3))
        steps += [(data.draw(st.sampled_from(["u1", "u2"])), f, None) for f in fillers]
        steps.append(("u1", group, None))
    found = _run(steps)
    assert _stopped(found[-1]), (steps, found)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(label=st.sampled_from(["SS#", "client SSN", "his SSN is", "social security no"]),
       hint=st.sampled_from([("last part:", "first part"), ("second half", "first half"), ("rest:", "first bit")]),
       fillers=st.lists(st.sampled_from(_FILLER), max_size=2), blank=st.booleans())
def test_property_the_last_part_posted_first_with_hints_is_stopped(property_detector, label, hint, fillers, blank):
    later, first = hint
    head = f"{_DIGITS[:3]} {_DIGITS[3:5]}" if blank else f"{_DIGITS[:3]}-{_DIGITS[3:5]}"
    steps = [("u1", f"{later} {_DIGITS[5:]}", None), *(("u2", f, None) for f in fillers),
             ("u1", f"{label} {first} {head}", None)]
    found = _run(steps)
    assert _stopped(found[-1]), (steps, found)


def test_an_account_after_a_routing_number_hint_first(property_detector):
    steps = [("u1", f"last part: {ACCOUNT[5:]}", None), ("u2", "room 12 is free", None),
             ("u1", f"ABA {ROUTING}, account first part {ACCOUNT[:5]}", None)]
    assert _stopped(_run(steps)[-1])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ident=st.sampled_from([("IBAN", _IBAN), ("client SSN", _DIGITS), (f"wire: RTN {ROUTING} / a/c", ACCOUNT),
                              ("wire to IBAN", _IBAN)]))
def test_property_one_character_a_post_is_stopped(property_detector, ident):
    label, value = ident
    found = _run([("u1", label, None), *(("u1", c, None) for c in value)], max_messages=32)
    assert _stopped(found[-1]), (ident, found)


_EN = "zero one two three four five six seven eight nine".split()


def _spelled(group: str) -> str:
    return " ".join(_EN[int(c)] if c.isdigit() else c for c in group)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ident=st.sampled_from([("iban", IBAN.split()), ("wire to IBAN", IBAN.split()),
                              (f"ABA {ROUTING}, acct #", [ACCOUNT[:6], ACCOUNT[6:]])]))
def test_property_spelled_groups_and_letters_typed_apart_are_stopped(property_detector, ident):
    label, groups = ident
    # the gateway's reading of a post (pipeline.split_piece): number words as digits
    steps = [("u1", label, None), *(("u1", split_reading(_spelled(g)), None) for g in groups)]
    found = _run(steps)
    assert _stopped(found[-1]), (steps, found)


def test_letters_typed_apart_are_read_together():
    assert unspaced("E S 66") == "ES66" and unspaced("B A R C") == "BARC" and unspaced("W 109") == "W109"
    assert unspaced("536 22 8710") == "536 22 8710" and unspaced("ok 5") == "ok 5"


# ---------------------------------------------------------------- clean chat

_TICKERS = ["NVDA", "TSLA", "AAPL", "GS", "MS", "JPM", "XOM", "SPY", "TY", "FV", "ES", "DE", "IT", "GB", "NL", "FR"]
_WORDS = ["OK", "LOL", "BRB", "K", "A", "I", "FYI", "EOD", "Q3", "lol", "ok", "one sec", "two three", "the first part was fine",
          "last part: slide 9", "check your account", "new card arrived", "which ssn?"]


@st.composite
def _chat_post(draw: st.DrawFn) -> str:
    n = lambda a, b: draw(st.integers(a, b))  # noqa: E731
    t = draw(st.sampled_from(_TICKERS))
    return draw(st.sampled_from([
        f"{t} {n(10, 999)}.{n(0, 99):02d}", f"bid {n(1000, 9999)} offered {n(1000, 9999)} on the {t}",
        f"{n(1, 99)} lots {t} at {n(90, 130)}-{n(0, 31):02d}", f"{n(90, 130)}-{n(0, 31):02d}",
        f"buy {n(1, 50) * 100} {t}", f"sold {n(1, 9)},{n(0, 999):03d} {t} at {n(10, 500)}.{n(0, 99):02d}",
        f"call at {n(1, 12)}:{n(0, 59):02d}", f"back in {n(2, 30)}", f"room {n(1, 40)} is free",
        f"{t} up {n(1, 9)}% lol", f"{t} down {n(1, 9)}.{n(0, 9)}%", t, draw(st.sampled_from(_WORDS)),
        f"ticket {n(10000, 99999)} closed", f"ext {n(1000, 9999)}", f"{n(1, 12)}/{n(1, 28)}", f"size {n(1, 99) * 100}",
        f"{n(2, 80)} people signed up", f"order {n(1000, 99999)} shipped", f"PO {n(1000000, 9999999)} approved",
        f"v{n(1, 9)}.{n(0, 30)}.{n(0, 9)} is out", f"${n(1, 999)}.{n(0, 99):02d}", f"page {n(1, 40)}",
        f"{n(1, 5)} min", f"acct {n(1, 99)} is long {n(1, 99)},000 {t}", f"part {n(1, 3)} of the deck",
        f"settle {n(1, 12)}/{n(1, 28)}, confirm {n(100000, 999999)}", str(n(1, 99)), f"{t} {n(1000, 9999)}",
    ]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chat=st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), _chat_post()), min_size=2, max_size=30))
# a label that names its own number, then two bare prices in 32nds that glue into eight
# digits (found by a run of this test among others; the window read "acct" as their label)
@example(chat=[("u1", "NVDA 10.00"), ("u1", "NVDA 10.00"), ("u1", "acct 1 is long 1,000 NVDA"), ("u1", "90-00"),
               ("u1", "90-00")])
def test_property_consecutive_chat_with_numbers_is_never_stopped(property_detector, chat):
    found = _run([(u, t, None) for u, t in chat])
    assert not any(found), [(t, [f.entity_type for f in fs]) for (_, t), fs in zip(chat, found, strict=True) if fs]


def test_chains_past_chat_are_bounded():
    """The chains once more past the chat between the pieces: at most twice the chains,
    and the long ones stay within ``_LONG_JOINS``."""
    from dlp_proxy.policy import split

    pieces = [Piece(0.0, "client SSN 5")]
    for i in range(200):
        pieces.append(Piece(float(2 * i + 1), str(10 + i % 89)))
        pieces.append(Piece(float(2 * i + 2), f"room {10 + i % 80} is free"))
    for new in (Piece(1e9, "10"), Piece(1e9, "client ssn 5", "p1")):
        scan = plan(pieces, new, 31, 256)
        assert scan is not None
        long_joins = [j for j in scan.joins if len(j.segments) > split.MAX_CHAIN + 1]
        assert len(long_joins) <= split._LONG_JOINS
        assert len(scan.joins) <= 8 * 31 + 2 * (2 * split.MAX_CHAIN + 1) + split._LONG_JOINS
