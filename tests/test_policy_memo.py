"""The policy engine's per-policy memo (scope views, context needs) never changes a decision."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.model import Action, ChannelType, RequestContext
from dlp_proxy.policy import PolicyStore, engine, load_policy
from dlp_proxy.policy.engine import NO, YES, Policy, rule_state, scope_state
from dlp_proxy.policy.schema import Exemption, PolicyDoc, Rule, Scope
from dlp_proxy.policy.testing import CARD, SSN, ctx, item, policy_from
from dlp_proxy.policy.values import normalize_value, normalize_value_general

# --------------------------------------------------------------------------- equivalence

CHANNELS = ["c1", "c2", "town-square"]
TEAMS = ["t1", "sales"]
USERS = ["u1", "alice", "svc"]
GROUPS = ["g1", "g2"]
HOOKS = ["h1", "h2"]
ROUTE_GROUPS = ["posts", "edits", "files", "profile"]


def _sub(values: list[Any]) -> st.SearchStrategy[list[Any] | None]:
    return st.none() | st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True)


scopes = st.fixed_dictionaries(
    {},
    optional={
        "route_groups": _sub(ROUTE_GROUPS),
        "channel_types": _sub(["O", "P", "D", "G"]),
        "shared": st.none() | st.booleans(),
        "teams": _sub(TEAMS),
        "channels": _sub(CHANNELS),
        "users": _sub(USERS),
        "groups": _sub(GROUPS),
        "senders": _sub(["people", "bots", "webhooks"]),
        "hooks": _sub(HOOKS),
    },
).map(lambda d: {k: v for k, v in d.items() if v is not None})

actions = st.sampled_from(["allow", "monitor", "redact", "quarantine", "block"])

rules = st.builds(
    lambda i, ents, action, scope, unless, failure: {
        "id": f"r{i}",
        "action": action,
        "match": {"entities": ents},
        "scope": scope,
        **({"unless": unless} if unless else {}),
        **({"on_context_error": failure} if failure else {}),
    },
    st.integers(),
    st.lists(st.sampled_from(["US_SSN", "CREDIT_CARD"]), min_size=1, max_size=2, unique=True),
    actions,
    scopes,
    scopes,
    st.none() | actions,
)

exceptions = st.builds(
    lambda scope, ents: {"scope": scope, **({"entities": ents} if ents else {})},
    scopes.filter(bool),
    st.none() | st.lists(st.sampled_from(["US_SSN", "CREDIT_CARD"]), min_size=1, max_size=1),
)

#: values each context field takes in the equivalence test
DOMAIN: dict[str, list[Any]] = {
    "route_group": ROUTE_GROUPS,
    "user_id": [None, "u1", "svc", "u2"],
    "username": [None, "alice", "bob"],
    "is_bot": [False, True],
    "groups": [(), ("g1",), ("g2", "g3"), ("g3",)],
    "hook_id": [None, "", "h1", "h2", "h3"],
    "channel_id": [None, "c1", "c2", "c9"],
    "channel_name": [None, "town-square", "other"],
    "channel_type": [None, *ChannelType],
    "channel_shared": [None, True, False],
    "team_id": [None, "t1", "t9"],
    "team_name": [None, "sales", "ops"],
    "context_errors": [(), ("channel: TimeoutError",)],
}

contexts = st.fixed_dictionaries({k: st.sampled_from(v) for k, v in DOMAIN.items()}).map(
    lambda kw: RequestContext(**kw)
)


def _variants(base: RequestContext) -> list[RequestContext]:
    """``base`` and every context that differs from it in one field: neighbours share
    most key facts, so a fact missing from the memo key shows as a reused wrong view."""
    return [base] + [replace(base, **{f: v}) for f, values in DOMAIN.items() for v in values]


def _policy(rule_dicts: list[dict[str, Any]], exception_dicts: list[dict[str, Any]]) -> Policy:
    seen: set[str] = set()
    unique = []
    for r in rule_dicts:
        if r["id"] not in seen:
            seen.add(r["id"])
            unique.append(r)
    doc = PolicyDoc.model_validate(
        {"rules": unique, "exceptions": [{"id": f"e{i}", **e} for i, e in enumerate(exception_dicts)]}
    )
    return Policy(doc, raw=repr((unique, exception_dicts)).encode(), hash_key=b"k" * 32)


SCANNED = [item(f"ssn {SSN} card {CARD}", [("US_SSN", SSN), ("CREDIT_CARD", CARD)])]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(rules, min_size=1, max_size=4),
    st.lists(exceptions, max_size=2),
    contexts,
    st.booleans(),
)
def test_memoized_results_equal_direct_evaluation(rule_dicts, exception_dicts, base, backwards):
    warm = _policy(rule_dicts, exception_dicts)  # one memo serves every context
    cold = _policy(rule_dicts, exception_dicts)  # memo emptied before each context
    ctxs = _variants(base)
    for c in reversed(ctxs) if backwards else ctxs:
        cold._views.clear()
        cold._needs_by_group.clear()
        # the unmemoized definitions, as evaluated before the memo existed
        direct = {t for r in warm.rules if rule_state(r, c) != NO for t in (r.match.entities or ())}
        assert warm.required_entities(c) == direct == cold.required_entities(c)
        needs = {
            f
            for r in warm.rules
            if r.scope.route_groups is None or c.route_group in r.scope.route_groups
            for f in engine.scope_fields(r.scope) | engine.scope_fields(r.unless)
        } | {f for ex in warm.exceptions for f in engine.scope_fields(ex.scope)}
        assert warm.needs_context(c) == needs == warm.needs_context_for(c.route_group)
        view = warm._view(c)
        assert [(o, s) for o, _, s in view.live_rules] == [
            (o, rule_state(r, c)) for o, r in enumerate(warm.rules) if rule_state(r, c) != NO
        ]
        assert view.exceptions == tuple(ex for ex in warm.exceptions if scope_state(ex.scope, c) == YES)
        assert warm.evaluate(SCANNED, c) == cold.evaluate(SCANNED, c)
        cold._views.clear()
        assert warm.evaluate([], c) == cold.evaluate([], c)


# --------------------------------------------------------------------------- reload

def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


PUBLIC_ONLY = """
rules:
  - {id: pub, action: block, match: {entities: [US_SSN]}, scope: {channel_types: [O], route_groups: [posts]}}
"""
PRIVATE_ONLY = """
rules:
  - {id: priv, action: quarantine, match: {entities: [CREDIT_CARD]}, scope: {channel_types: [P], groups: [g1]}}
"""


def test_memo_is_not_reused_across_a_policy_reload(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    _write(path, PUBLIC_ONLY)
    store = PolicyStore(path, hash_key=b"k" * 32)
    old = store.current
    ssn = [item(f"ssn {SSN}", [("US_SSN", SSN)])]
    public, private = ctx(), ctx(channel_type="P", groups=("g1",))
    for _ in range(2):  # second round served from the memo
        assert old.evaluate(ssn, public).action == Action.BLOCK
        assert old.required_entities(public) == {"US_SSN"}
        assert old.required_entities(private) == frozenset()
        assert old.needs_context_for("posts") == {"channel_type", "route_group"}
    _write(path, PRIVATE_ONLY)
    ok, _ = store.reload()
    assert ok and store.current is not old
    new = store.current
    assert new.evaluate(ssn, public).action == Action.ALLOW
    assert new.required_entities(public) == frozenset()
    assert new.required_entities(private) == {"CREDIT_CARD"}
    assert new.needs_context_for("posts") == {"channel_type", "groups"}
    card = [item(f"card {CARD}", [("CREDIT_CARD", CARD)])]
    assert new.evaluate(card, private).action == Action.QUARANTINE
    # a request that took the old policy before the swap is still judged by it alone
    assert old.evaluate(ssn, public).action == Action.BLOCK
    assert old.evaluate(card, private).action == Action.ALLOW


def test_context_differences_in_one_memo_key_class_still_flip_states():
    """Facts that change a scope state (resolved vs failed channel, sender kind, a listed
    name vs another one) give different memo keys, in both orders."""
    policy = policy_from(
        """
rules:
  - {id: dm, action: quarantine, match: {entities: [US_SSN]}, scope: {channel_types: [D]}}
  - {id: desk, action: block, match: {entities: [US_SSN]}, scope: {channels: [trading-desk]}}
  - {id: bots, action: monitor, match: {entities: [US_SSN]}, scope: {senders: [bots]}}
"""
    )
    ssn = [item(f"ssn {SSN}", [("US_SSN", SSN)])]
    sequence = [
        (ctx(channel_type="D"), Action.QUARANTINE, False),
        (ctx(channel_type=None), Action.BLOCK, True),  # channel id known, type missing: fail closed
        (ctx(channel_type="D"), Action.QUARANTINE, False),
        (ctx(channel_name="trading-desk"), Action.BLOCK, False),
        (ctx(channel_name="other"), Action.ALLOW, False),
        (ctx(channel_name="trading-desk"), Action.BLOCK, False),
        (ctx(is_bot=True), Action.MONITOR, False),
        (ctx(is_bot=False), Action.ALLOW, False),
        (ctx(channel_id=None, channel_type=None, channel_name=None), Action.ALLOW, False),
        (ctx(channel_id=None, channel_type=None, channel_name=None, context_errors=("x",)), Action.BLOCK, True),
    ]
    for _ in range(2):
        for c, action, failure in sequence:
            d = policy.evaluate(ssn, c)
            assert d.action == action, c
            assert ("context_failure" in d.details) == failure


def test_memo_is_bounded(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(engine, "MEMO_MAX", 3)
    policy = policy_from(
        "rules: [{id: r, action: block, match: {entities: [US_SSN]}, scope: {channel_types: [O, P]}}]"
    )
    ssn = [item(f"ssn {SSN}", [("US_SSN", SSN)])]
    expected = {ChannelType.OPEN: Action.BLOCK, ChannelType.PRIVATE: Action.BLOCK, ChannelType.DIRECT: Action.ALLOW}
    for _ in range(3):
        for ctype, action in expected.items():
            for shared in (None, True, False):
                for errors in ((), ("x",)):
                    c = ctx(channel_type=ctype, channel_shared=shared, context_errors=errors)
                    assert policy.evaluate(ssn, c).action == action
                    assert len(policy._views) <= 3
        for i in range(10):
            assert policy.needs_context_for(f"group-{i}") == {"channel_type"}
            assert len(policy._needs_by_group) <= 3


def test_unknown_channel_type_still_fails_on_a_clean_request():
    """The no-findings shortcut still decides the scopes: a channel type the policy cannot
    read raises (the gateway answers 503), it is never taken as clean."""
    policy = policy_from(
        "rules: [{id: r, action: block, match: {entities: [US_SSN]}, scope: {channel_types: [O]}}]"
    )
    bad = RequestContext(route_group="posts", channel_id="c1", channel_type="X")  # type: ignore[arg-type]
    for _ in range(2):
        with pytest.raises(ValueError):
            policy.evaluate([], bad)
        with pytest.raises(ValueError):
            policy.required_entities(bad)


def test_scope_and_rule_fields_are_the_ones_the_memo_key_covers():
    """Rule states are memoized on the context facts scopes read (Policy._scope_key); a
    new scope dimension or a rule/exception field that makes a state depend on anything
    else (a schedule, an expiry, a rollout percentage...) must be added to that key or
    evaluated outside the memo.  This test fails when such a field appears."""
    assert set(Scope.model_fields) == set(engine.DIMENSION_FIELDS)
    assert set(Rule.model_fields) == {
        "id", "description", "action", "match", "scope", "unless", "on_context_error",
        "notify_sender", "alert", "alert_channel_id",
    }
    assert set(Exemption.model_fields) == {"id", "description", "scope", "entities", "values"}


def test_shipped_policy_memo_stays_small_over_many_channels_and_users():
    policy = load_policy(Path(__file__).resolve().parent.parent / "config" / "policy.yaml")
    for i in range(500):
        c = ctx(channel_id=f"c{i}", channel_name=f"n{i}", user_id=f"u{i}", username=f"user{i}",
                channel_type=[ChannelType.OPEN, ChannelType.PRIVATE][i % 2])
        assert policy.required_entities(c) >= {"US_SSN"}
    # names no scope lists do not enter the key: two classes (public / private)
    assert len(policy._views) == 2


# --------------------------------------------------------------------------- values

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)) | st.text())
def test_normalize_value_ascii_shortcut_is_the_same_normalization(value: str):
    assert normalize_value(value) == normalize_value_general(value)


@pytest.mark.parametrize("digits", ["\U0001ccf0\U0001ccf5\U0001ccf9", "\U00011f50\U00011f55\U00011f59"])
def test_a_value_in_digits_newer_than_pythons_unicode_hashes_as_its_ascii_digits(digits: str) -> None:
    # outlined digits (Unicode 16) and Kawi (15): the detector folds them (detect/normalize.py on
    # unicodedata2), so an exception or a memo keyed on the ASCII value must match them too
    assert normalize_value("acct " + digits) == "ACCT059"
