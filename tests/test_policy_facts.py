"""The policy decides once and finally (issue 17 item 2): the reading's facts go into
``Policy.decide`` and the gateway acts on what comes out as is (policy/facts.py)."""

from __future__ import annotations

import ast
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.model import Action
from dlp_proxy.policy.facts import NO_FACTS, InspectionFacts
from dlp_proxy.policy.testing import SSN, ctx, item, policy_from
from dlp_proxy.policy.uninspected import UninspectedFile
from tests.conftest import ROOT

CHANNEL = "a" * 26
POLICY = f"""
schema: 1
defaults: {{alert_channel_id: {CHANNEL}}}
uninspected: {{encrypted: quarantine, too_large: block, unreadable: quarantine, no_text: allow}}
rules:
  - id: ssn-dm
    action: redact
    alert: true
    match: {{entities: [US_SSN]}}
    scope: {{channel_types: [D]}}
  - id: ssn
    action: quarantine
    alert: true
    match: {{entities: [US_SSN]}}
    scope: {{channel_types: [O, P]}}
"""
TEXT = f"ssn {SSN}"


def _scanned(path: str = "body.message") -> list:
    return [item(TEXT, [("US_SSN", SSN)], path)]


def test_no_facts_is_the_rules_decision() -> None:
    policy = policy_from(POLICY)
    assert policy.decide(_scanned(), ctx()) == policy.evaluate(_scanned(), ctx())


def test_an_unrewritable_redaction_is_blocked_and_keeps_its_alert() -> None:
    policy = policy_from(POLICY)
    dm = ctx(channel_type="D")
    assert policy.decide(_scanned(), dm, InspectionFacts(rewritable={"body.message"})).action is Action.REDACT
    d = policy.decide(_scanned("form.payload"), dm, InspectionFacts(rewritable={"body.message"}))
    assert d.action is Action.BLOCK and d.rule_id == "ssn-dm" and d.alert_channel_id == CHANNEL
    assert d.details["facts"] == ["unredactable"] and d.details["matched_rules"]


def test_a_frame_is_never_held_nor_rewritten() -> None:
    policy = policy_from(POLICY)
    for channel_type in ("O", "D"):
        d = policy.decide(_scanned(), ctx(channel_type=channel_type), InspectionFacts(frame=True))
        assert d.action is Action.BLOCK and d.details["facts"] == ["websocket-frame"]


def test_nobody_signed_in_is_never_held() -> None:
    policy = policy_from(POLICY)
    d = policy.decide(_scanned(), ctx(user_id=None), InspectionFacts(signed_in=False))
    assert d.action is Action.BLOCK and d.alert_channel_id == CHANNEL and d.details["facts"] == ["not-signed-in"]


def test_an_uninspected_file_then_no_sign_in() -> None:
    """The facts apply in order: the policy's uninspected action (quarantine for an
    encrypted file), then the hold nobody can be asked about becomes a block."""
    policy = policy_from(POLICY)
    locked = InspectionFacts(uninspected=(UninspectedFile("files[0]", ("encrypted",), "a.zip"),))
    clean = [item("hello", [])]
    d = policy.decide(clean, ctx(), locked)
    assert d.action is Action.QUARANTINE and d.rule_id == "uninspected-encrypted"
    d = policy.decide(clean, ctx(), replace(locked, signed_in=False))
    assert d.action is Action.BLOCK and d.rule_id == "uninspected-encrypted"


def test_a_partial_upload_is_labelled_only_when_allowed() -> None:
    policy = policy_from(POLICY)
    d = policy.decide([item("hello", [])], ctx(), InspectionFacts(partial_upload=True))
    assert d.action is Action.ALLOW and d.rule_id == "upload-chunk-buffered"
    assert policy.decide(_scanned(), ctx(), InspectionFacts(partial_upload=True)).action is Action.QUARANTINE


@settings(max_examples=200, deadline=None)
@given(frame=st.booleans(), signed_in=st.booleans(), partial=st.booleans(), rewritable=st.booleans(),
       channel_type=st.sampled_from(["O", "P", "D"]), dirty=st.booleans(),
       cause=st.sampled_from([None, "encrypted", "ocr-limit", "no-text", "corrupt"]))
def test_property_facts_only_tighten_and_keep_the_alert(frame: bool, signed_in: bool, partial: bool,
                                                        rewritable: bool, channel_type: str, dirty: bool,
                                                        cause: str | None) -> None:
    """Whatever the facts, the final decision is never looser than the rules' (but the
    uninspected ``no_text: allow`` which the rules never see), a hold has someone to
    ask, a frame is allowed or blocked, and an alert the rules raised stays."""
    from dlp_proxy.model import SEVERITY

    policy = policy_from(POLICY)
    scanned = _scanned() if dirty else [item("hello", [])]
    c = ctx(channel_type=channel_type, user_id="u1" if signed_in else None)
    facts = InspectionFacts(
        uninspected=(UninspectedFile("files[0]", (cause,), "a.pdf"),) if cause else (),
        rewritable={"body.message"} if rewritable else (), frame=frame, signed_in=signed_in,
        partial_upload=partial)
    rules = policy.evaluate(scanned, c)
    final = policy.decide(scanned, c, facts)
    assert SEVERITY[final.action] >= SEVERITY[rules.action]
    if rules.alert_channel_id:
        assert final.alert_channel_id == rules.alert_channel_id
    if not signed_in:
        assert final.action is not Action.QUARANTINE
    if frame:
        assert final.action not in (Action.QUARANTINE, Action.REDACT)
    if final.action is Action.REDACT:
        assert rewritable
    assert policy.decide(scanned, c, NO_FACTS) == rules


# -- nothing rewrites the decision after the policy ---------------------------------------

GATEWAY = ROOT / "dlp_proxy" / "gateway"


@pytest.mark.parametrize("path", sorted(GATEWAY.glob("*.py")), ids=lambda p: p.name)
def test_the_gateway_does_not_rewrite_a_decisions_action(path: object) -> None:
    """``replace(<decision>, action=...)`` and ``getattr(policy, ...)`` belong to the policy:
    the gateway acts on ``decide``'s decision as is and reads the policy by its protocol."""
    tree = ast.parse(path.read_text())  # type: ignore[attr-defined]
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id == "replace" and any(k.arg == "action" for k in node.keywords):
            bad.append(f"line {node.lineno}: replace(..., action=...)")
        if node.func.id == "getattr" and node.args and isinstance(node.args[0], ast.Name) \
                and "policy" in node.args[0].id:
            bad.append(f"line {node.lineno}: getattr({node.args[0].id}, ...)")
    assert not bad, bad
