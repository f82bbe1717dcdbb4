"""Distinct-value counting stops once ``min_count`` values are seen, and reads each
finding's value once per evaluation (``engine._distinct_at_least``): it must agree with
counting every value (a dense post's ~1,000 findings against ``min_count: 5``)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.model import ContentItem, Finding, ScannedItem
from dlp_proxy.policy.engine import _distinct_at_least, _Hit, match_rule
from dlp_proxy.policy.schema import Match
from dlp_proxy.policy.testing import ctx, policy_from

#: spellings of a few values: the same value written differently counts once
VALUES = ["536-22-8710", "536 22 8710", "536228710", "536-22-8711", "4111 1111 1111 1111", "4111111111111111",
          "011000015", "4471902283", "ab12cd", "AB12CD", "\uff15\uff13\uff16228710"]
TYPES = ["US_SSN", "CREDIT_CARD", "US_BANK_NUMBER"]

findings_st = st.lists(st.tuples(st.sampled_from(TYPES), st.sampled_from(VALUES), st.sampled_from([0.3, 0.6, 0.9]),
                                 st.integers(0, 2)), max_size=30)


def _hits(spec: list[tuple[str, str, float, int]]) -> list[_Hit]:
    texts: dict[int, list[str]] = {0: [], 1: [], 2: []}
    located: list[tuple[int, Finding]] = []
    for etype, value, score, index in spec:
        parts = texts[index]
        start = sum(len(p) + 1 for p in parts)
        parts.append(value)
        located.append((index, Finding(etype, start, start + len(value), score, "test")))
    items = {i: ScannedItem(ContentItem(f"body.f{i}", " ".join(parts)), ()) for i, parts in texts.items()}
    return [_Hit(index, items[index], f) for index, f in located]


def _full_count(hits: list[_Hit]) -> int:
    return len({h.value_key() for h in hits})


@settings(max_examples=300, deadline=None)
@given(findings_st, st.lists(st.integers(1, 8), min_size=1, max_size=5))
def test_distinct_at_least_agrees_with_counting_every_value(spec, ns):
    hits = _hits(spec)
    memo: dict[int, tuple[object, ...]] = {}  # shared across calls, as the rules of one evaluation share it
    for n in ns:
        want = _full_count(hits) >= n
        assert _distinct_at_least(hits, n, None) is want
        assert _distinct_at_least(hits, n, memo) is want
        assert _distinct_at_least(hits[::-1], n, memo) is want


def _reference_match(match: Match, hits: list[_Hit], default_min: float) -> tuple[str, ...] | None:
    """``match_rule`` as it was before the shortcut (every value normalized, every time)."""
    from dlp_proxy.policy.engine import _combination

    min_score = default_min if match.min_score is None else match.min_score
    relevant = {*(match.entities or ()), *(match.all_of or ())}
    qualifying = [h for h in hits if h.finding.entity_type in relevant and h.finding.score >= min_score]
    if not qualifying:
        return None
    driving: list[str] = []
    if match.entities is not None:
        any_of = [h for h in qualifying if h.finding.entity_type in match.entities]
        if len(any_of) < match.min_count:
            return None
        if match.count == "distinct" and match.min_count > 1 and _full_count(any_of) < match.min_count:
            return None
        driving.extend(h.finding.entity_type for h in any_of)
    if match.all_of is not None:
        if not _combination(qualifying, match.all_of, match.within):
            return None
        if match.entities is None and match.min_count > 1:
            combo = [h for h in qualifying if h.finding.entity_type in match.all_of]
            if len(combo) < match.min_count:
                return None
            if match.count == "distinct" and _full_count(combo) < match.min_count:
                return None
        driving.extend(match.all_of)
    return tuple(dict.fromkeys(driving))


def _match(entities: list[str] | None, all_of: list[str] | None, n: int, count: str, min_score: float | None,
           within: int | None) -> Match:
    if entities is None and all_of is None:
        entities = TYPES[:1]
    return Match(entities=entities, all_of=all_of, min_count=n, count=count, min_score=min_score,
                 within=within if all_of is not None else None)


matches = st.builds(
    _match,
    st.none() | st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True),
    st.none() | st.lists(st.sampled_from(TYPES), min_size=2, max_size=3, unique=True),
    st.integers(1, 6), st.sampled_from(["distinct", "all"]), st.none() | st.sampled_from([0.5, 0.8]),
    st.none() | st.integers(0, 40))


@settings(max_examples=300, deadline=None)
@given(findings_st, st.lists(matches, min_size=1, max_size=4))
def test_match_rule_with_a_shared_memo_agrees_with_the_full_count(spec, rules):
    hits = _hits(spec)
    memo: dict[int, tuple[object, ...]] = {}
    for m in rules:
        assert match_rule(m, hits, 0.5, memo) == _reference_match(m, hits, 0.5)
        assert match_rule(m, hits, 0.5) == _reference_match(m, hits, 0.5)


def test_the_bulk_rule_stops_a_dense_post_and_not_one_value_repeated():
    policy = policy_from("rules: [{id: bulk, action: block, match: {entities: [US_SSN], min_count: 5, count: distinct}}]")
    distinct = _hits([("US_SSN", f"536-22-87{i:02d}", 0.9, 0) for i in range(1000)])
    same = _hits([("US_SSN", v, 0.9, 0) for v in ["536-22-8710", "536 22 8710", "536228710"] * 300])
    for hits, action in ((distinct, "block"), (same, "allow")):
        scanned = hits[0].scanned
        item = ScannedItem(scanned.item, tuple(h.finding for h in hits))
        assert policy.evaluate([item], ctx()).action.value == action


def _reference_combination(hits: list[_Hit], types: list[str], within: int | None) -> bool:
    """``_combination`` as it was: every finding of every type compared with every candidate."""
    by_type: dict[str, list[_Hit]] = {t: [] for t in types}
    for h in hits:
        if h.finding.entity_type in by_type:
            by_type[h.finding.entity_type].append(h)
    if any(not v for v in by_type.values()):
        return False
    if within is None:
        return True
    for idx in {h.item_index for h in hits if h.finding.entity_type in by_type}:
        per_type = {t: [h.finding for h in v if h.item_index == idx] for t, v in by_type.items()}
        if any(not v for v in per_type.values()):
            continue
        for candidates in per_type.values():
            for x in candidates:
                limit = x.end + within
                if all(any(f.end >= x.end and f.start <= limit for f in fs) for fs in per_type.values()):
                    return True
    return False


spans_st = st.lists(st.tuples(st.sampled_from(TYPES), st.integers(0, 30), st.integers(1, 6), st.integers(0, 1)),
                    max_size=25)


@settings(max_examples=500, deadline=None)
@given(spans_st, st.lists(st.sampled_from(TYPES), min_size=2, max_size=3, unique=True), st.none() | st.integers(0, 20))
@example([("US_SSN", 0, 5, 0), ("CREDIT_CARD", 9, 5, 0)], ["US_SSN", "CREDIT_CARD"], 4)  # exactly at the limit
@example([("US_SSN", 0, 5, 0), ("CREDIT_CARD", 10, 5, 0)], ["US_SSN", "CREDIT_CARD"], 4)  # one past it
def test_combination_agrees_with_comparing_every_pair(spans, types, within):
    from dlp_proxy.policy.engine import _combination

    items = {i: ScannedItem(ContentItem(f"body.f{i}", "x" * 200), ()) for i in (0, 1)}
    hits = [_Hit(index, items[index], Finding(etype, start, start + length, 0.9, "test"))
            for etype, start, length, index in spans]
    assert _combination(hits, types, within) is _reference_combination(hits, types, within)
