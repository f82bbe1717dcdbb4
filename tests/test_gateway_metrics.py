"""The decision counters count every call, whichever label sets came before
(``Metrics.decision`` keeps each label set's child)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.metrics import Metrics


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["allow", "block", "redact"]), st.sampled_from(["posts.create", "", "x"]),
                          st.lists(st.sampled_from(["US_SSN", "CREDIT_CARD"]), max_size=3)), max_size=20))
def test_decision_counts_every_call(calls):
    m = Metrics()
    for action, route, types in calls:
        m.decision(action, route, types)
    for action in ("allow", "block", "redact"):
        for route in ("posts.create", "unknown", "x"):
            want = sum(1 for a, r, _ in calls if a == action and (r or "unknown") == route)
            got = m.registry.get_sample_value("dlp_decisions_total", {"action": action, "route": route})
            assert (got or 0) == want
    for etype in ("US_SSN", "CREDIT_CARD"):
        want = sum(types.count(etype) for _, _, types in calls)
        assert (m.registry.get_sample_value("dlp_entities_total", {"entity_type": etype}) or 0) == want
