"""The split window's filler between joins (``split._GAP``): what it must keep apart, and
what it must not cost the window's scan."""

from __future__ import annotations

import re

from dlp_proxy.detect import decode
from dlp_proxy.policy import split

#: chat posts with numbers, as the window holds them (bench/wrk_gateway.lua's)
_CHAT = [
    "Market opens in 10 minutes.",
    "Order #4471 ships Friday, ticket 20931.",
    "Call moved to 3:30pm ET.",
    "SPX closed at 5,948.71, up 0.4% on the day.",
    "Room 1204 is booked from 10 to 11:30",
]


def test_the_gap_keeps_joins_apart() -> None:
    gap = split._GAP
    # more line breaks at each side than a separator may hold
    assert gap.startswith("\n" * 3) and gap.endswith("\n" * 3)
    # more non-blank characters than a recognizer's context window reaches across
    assert len(gap.replace("\n", "")) >= split.CONTEXT_BEFORE - 6
    assert len(gap.replace("\n", "")) > split.CONTEXT_AFTER
    # letters only, no word of 12 token characters (decode's whole-text blob search)
    assert set(gap) <= {"z", "\n"}
    assert not re.search(r"[A-Za-z0-9+/_=-]{12}", gap)


def test_the_gap_is_no_block_wrapped_in_lines() -> None:
    """Two lines in a row of 4 letters or more read as a base32 block wrapped in lines:
    six such lines in each gap were decoded at every window scan (~40 % of its CPU)."""
    assert decode._BLOCK_PAIR.search("\n" + split._GAP) is None
    pieces = [split.Piece(float(i), m) for i, m in enumerate(_CHAT[:4])]
    scan = split.plan(pieces, split.Piece(9.0, _CHAT[4]), 31, 256)
    assert scan is not None and scan.text.count(split._GAP) >= 2
    assert list(decode._wrapped_blocks(scan.text)) == []
    assert list(decode._wrapped_blocks(scan.alone_text)) == []
