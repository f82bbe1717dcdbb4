"""A number broken over two lines is read as the message renders it (atk21r R2, R2b).

The web app (marked, GFM ``br``: ``^( {2,}|\\)\\n``) and the mobile app (commonmark.js,
CommonMark 6.7 hard line breaks) render ``4111-1111-\\`` + line end + ``1111-1111`` as the
two lines without the backslash, and ``> 4111-1111-`` / ``> 1111-1111`` as one quote of the
same two lines; a bullet or heading marker shows the halves one under the other.  Each is
read as the same two lines written plainly, which the detector already joins.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config"

#: (first line's part, second line's part, entity): split as a plain line break is read
SPLITS = [
    ("4111-1111-", "1111-1111", "CREDIT_CARD"),
    ("card 5500 0000 ", "0000 0004", "CREDIT_CARD"),  # (blank groups over lines: with a label)
    ("536-22-", "8710", "US_SSN"),
    ("536-22", "-8710", "US_SSN"),
]
MARKERS = ["", "> ", ">", "> > ", "* ", "- ", "+ ", "# ", "### ", "  > "]
BREAKS = ["\\\n", "\\\r\n", "\n"]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_detector(REPO_CONFIG, ner=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(split=st.sampled_from(SPLITS), first=st.sampled_from(MARKERS), second=st.sampled_from(MARKERS),
       brk=st.sampled_from(BREAKS))
def test_a_number_over_two_rendered_lines_is_found(
    engine: Engine, split: tuple[str, str, str], first: str, second: str, brk: str
) -> None:
    a, b, entity = split
    message = f"{first}{a}{brk}{second}{b}"
    found = [f for f in engine.analyze(message) if f.entity_type == entity]
    assert found, repr(message)
    assert all(0 <= f.start < f.end <= len(message) for f in found)


def test_lists_of_small_numbers_stay_clean(engine: Engine) -> None:
    for message in ("- buy 100\n- sell 200", "> 536 shares\n> 22 left", "# Q3\n# 2026 plan", "1. 4111\n2. 1111"):
        assert not [f for f in engine.analyze(message) if f.entity_type in ("CREDIT_CARD", "US_SSN")], message
