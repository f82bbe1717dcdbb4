"""Normalization: each evasion family undone, and the offset map points at the original."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect.normalize import normalize, sanitize

CASES = [
    ("５３６－２２－１９３７", "536-22-1937", {"fullwidth-digits", "unicode-dashes"}),
    ("ＡＢ１", "AB1", {"nfkc", "fullwidth-digits"}),
    ("٥٣٦-٢٢-١٩٣٧", "536-22-1937", {"arabic-indic-digits"}),
    ("۵۳۶", "536", {"arabic-indic-digits"}),
    ("५३६-२२", "536-22", {"devanagari-digits"}),
    ("536\u200b22\u200d1937\ufeff", "536221937", {"zero-width"}),
    ("53\u00ad6\u2060", "536", {"zero-width"}),
    ("536\u201322\u20141937\u2212", "536-22-1937-", {"unicode-dashes"}),
    ("**536**-`22`-~~1937~~", "536-22-1937", {"markdown"}),
    ("_536_", " 536 ", {"markdown"}),
    ("<b>536</b>-<span class='x'>22</span>", "536-22", {"html-tags"}),
    ("a<br>b", "a b", {"html-tags"}),
    # a decoded no-break space is folded as a literal one is (attack pass 4, A2)
    ("&#53;&#x33;6&nbsp;x", "536 x", {"html-entities", "nfkc"}),
    ("%35%33%36-22", "536-22", {"percent-encoding"}),
    ("&amp;#53;", "5", {"html-entities"}),  # two layers
    ("536\u00a022", "536 22", {"nfkc"}),
    ("plain ascii text", "plain ascii text", set()),
]


@pytest.mark.parametrize(("raw", "expected", "transforms"), CASES)
def test_normalize(raw: str, expected: str, transforms: set[str]) -> None:
    n = normalize(raw)
    assert n.text == expected
    assert {e[2] for e in n.events} >= transforms
    assert len(n.starts) == len(n.ends) == len(n.text)


def test_offset_map_points_at_original() -> None:
    raw = "SSN: ５\u200b３６–22–1937 ok"
    n = normalize(raw)
    i = n.text.index("536")
    a, b = n.original_span(i, i + 11)
    assert raw[a:b] == "５\u200b３６–22–1937"
    assert set(n.transforms_in(a, b)) == {"fullwidth-digits", "zero-width", "unicode-dashes"}
    assert n.transforms_in(0, 4) == ()


def test_sanitize_surrogates() -> None:
    bad = "ab\udcff\ud800cd"
    s = sanitize(bad)
    assert len(s) == len(bad)
    s.encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_offsets_monotonic_and_in_range(raw: str) -> None:
    raw = sanitize(raw)
    n = normalize(raw)
    assert len(n.starts) == len(n.text)
    prev = 0
    for s, e in zip(n.starts, n.ends, strict=True):
        assert 0 <= s < e <= len(raw)
        assert s >= prev
        prev = s
