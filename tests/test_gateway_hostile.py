"""Hostile load: cheap checks before costly work, scans a deadline stops, bounded resources (issue 16)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.normalize import normalize, sanitize
from dlp_proxy.gateway.pipeline import INLINE_MAX_DIGITS, inline_eligible, normalized_digits
from dlp_proxy.model import ContentItem

_PIECES = ["1", "a", " ", "-", "\u2488", "\u2460", "\u00b2", "\u2474", "\uff15", "\u0663", "\u2469", "\u2491",
           "&#53;", "&sup2;", "&frac12;", "&amp;#52;", "%35", "%C2%B2", "%E2%91%A0", "&", "%", "\U0001f100", "\u00bd",
           "\u3251", "\u200b", "x"]


@given(st.lists(st.sampled_from(_PIECES), max_size=60))
@settings(max_examples=300, deadline=None)
def test_the_inline_gate_counts_at_least_the_digits_the_engine_sees(pieces: list[str]) -> None:
    text = "".join(pieces)
    seen = len(re.findall(r"[0-9]", normalize(sanitize(text)).text))
    assert normalized_digits(text) >= seen


def test_compatibility_digits_are_not_scanned_on_the_event_loop() -> None:
    # 65 "digit full stop" characters: no \\d among them, 65 digits after NFKC
    text = "\u2488" * (INLINE_MAX_DIGITS + 1)
    assert not re.search(r"\d", text)
    assert not inline_eligible([ContentItem("body.message", text)], 1024)
    assert inline_eligible([ContentItem("body.message", "\u2488" * INLINE_MAX_DIGITS)], 1024)
    assert not inline_eligible([ContentItem("body.message", "&sup2;" * 33)], 1024)
