"""The split window scans its ASCII joins apart from the others (policy/split.py
``apart``): a few pieces of Hebrew, Korean or OCR text in a channel no longer make
every later post's scan take the detector's slow paths over every join.  Real Redis at
127.0.0.1:6379, real detector."""

from __future__ import annotations

from collections.abc import Collection

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlp_proxy.detect import build_detector
from dlp_proxy.model import Finding
from dlp_proxy.policy.split import SPLIT_TRANSFORM, SplitWindow, apart, may_carry_a_piece, moved_back
from tests.test_policy_split import SPLITS
from tests.test_policy_split import redis_client as redis_client  # noqa: F401 - fixture

KEY = b"a" * 32

_PART = st.text(st.sampled_from("ab1 \n\u05d0\uac00\u00e9"), min_size=1, max_size=12)


@given(st.lists(_PART, min_size=1, max_size=8), st.data())
def test_each_part_is_scanned_once_and_found_where_it_was(parts: list[str], data: st.DataObject) -> None:
    text = "".join(parts)
    starts = [sum(map(len, parts[:i])) for i in range(len(parts))]
    groups = apart(text, starts)
    kinds = {p.isascii() for p in parts}
    assert len(groups) == len(kinds)
    assert sorted("".join(g for g, _ in groups)) == sorted(text)
    for group, where in groups:
        assert len(kinds) == 1 or len({c.isascii() for c in group}) <= 1 or not group.isascii()
        assert sum(size for _, _, size in where) == len(group)
        # any span of the scanned text: located in the joined text, over the same
        # characters, unless it runs past its part (into one it never met there)
        lo = data.draw(st.integers(0, len(group)))
        hi = data.draw(st.integers(lo, len(group)))
        f = Finding(entity_type="US_SSN", start=lo, end=hi, score=1.0, recognizer="r")
        back = moved_back([f], where)
        part = next((at, origin, size) for at, origin, size in reversed(where) if at <= lo)
        if hi <= part[0] + part[2]:
            assert len(back) == 1 and text[back[0].start:back[0].end] == group[lo:hi]
        else:
            assert back == []


class _Recording:
    """The real detector, with every text the window asks it to scan recorded."""

    def __init__(self) -> None:
        self.engine = build_detector(ner=False)
        self.texts: list[str] = []

    def analyze(self, text: str, *, entities: Collection[str] | None = None, rendered: bool = True) -> list[Finding]:
        self.texts.append(text)
        return self.engine.analyze(text, entities=entities, rendered=rendered)


@pytest.fixture(scope="module")
def detector() -> _Recording:
    return _Recording()


#: others' pieces in the channel, with digits at their edges (each meets a new post)
POLLUTION = ["\u05d7\u05e9\u05d1\u05d5\u05df 4471 \u05e0\u05e9\u05dc\u05d7 20931",
             "\uacc4\uc88c 3382 \ud655\uc778 7719",
             "M9\"A+5%/ 1120 caf\u00e9 88"]


@pytest.mark.parametrize(("messages", "etype"), SPLITS)
async def test_a_split_identifier_is_caught_in_a_channel_with_other_scripts(redis_client, detector, messages, etype):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    for text in POLLUTION:
        await window.check("u2", "c1", text, detector)
    for text in messages[:-1]:
        if may_carry_a_piece(text):
            await window.check("u1", "c1", text, detector)
    detector.texts.clear()
    found = await window.check("u1", "c1", messages[-1], detector)
    assert etype in [f.entity_type for f in found if SPLIT_TRANSFORM in f.transforms]
    assert all(0 <= f.start < f.end <= len(messages[-1]) for f in found)
    # the joins with the other scripts' pieces were read apart from the ASCII ones
    joined = [t for t in detector.texts if "zzzzzzzzzzz" in t]
    assert any(t.isascii() for t in joined) and any(not t.isascii() for t in joined)


async def test_a_split_identifier_whose_halves_are_written_among_other_scripts(redis_client, detector):
    client, prefix = redis_client
    window = SplitWindow(client, key=KEY, prefix=prefix)
    for text in POLLUTION:
        await window.check("u2", "c1", text, detector)
    await window.check("u1", "c1", "\u05de\u05e1\u05e4\u05e8 ssn 536-22", detector)
    found = await window.check("u1", "c1", "8710 \u05ea\u05d5\u05d3\u05d4", detector)
    assert [f.entity_type for f in found] == ["US_SSN"]
    assert (found[0].start, found[0].end) == (0, 4)
