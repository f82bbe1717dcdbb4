"""The per-notice tokens of the sender's buttons (dlp_proxy.gateway.actions) and the
wording of the buttons and dialog (dlp_proxy.policy.notify, the policy's messages)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from dlp_proxy.gateway.actions import KINDS, SenderTokens, TokenError
from dlp_proxy.policy.notify import justification_dialog, sender_action_attachments
from dlp_proxy.policy.schema import Messages

KEY = b"k" * 32
ALICE, BOB = "a" * 26, "b" * 26


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_mint_verify_expire_with_an_injected_clock() -> None:
    clock = Clock(1000.0)
    tokens = SenderTokens(KEY, clock=clock)
    ctx = tokens.mint("q1", ALICE, "release_request", 2000.0)
    claims = tokens.verify(ctx, ALICE)
    assert (claims.item_id, claims.kind, claims.sender_id, claims.expires_at) == ("q1", "release_request", ALICE, 2000)
    clock.t = 2000.0
    tokens.verify(ctx, ALICE)  # the last second still counts
    clock.t = 2000.5
    with pytest.raises(TokenError, match="expired"):
        tokens.verify(ctx, ALICE)


def test_bound_to_the_sender_the_key_and_every_field() -> None:
    tokens = SenderTokens(KEY, clock=Clock(0))
    ctx = tokens.mint("q1", ALICE, "false_positive", 10)
    with pytest.raises(TokenError, match="does not verify"):
        tokens.verify(ctx, BOB)
    with pytest.raises(TokenError):
        SenderTokens(b"x" * 32, clock=Clock(0)).verify(ctx, ALICE)
    for field, value in (("item", "q2"), ("kind", "release_request"), ("exp", "11"), ("nonce", "00"), ("mac", "0" * 64)):
        with pytest.raises(TokenError):
            tokens.verify({**ctx, field: value}, ALICE)
    for missing in ctx:
        with pytest.raises(TokenError):
            tokens.verify({k: v for k, v in ctx.items() if k != missing}, ALICE)
    with pytest.raises(ValueError):
        tokens.mint("q1", ALICE, "anything", 10)
    # two notices for the same item: two different tokens (the replay marker is per token)
    assert tokens.mint("q1", ALICE, "false_positive", 10)["mac"] != ctx["mac"]


@given(st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=70), st.integers(), st.none()), max_size=7),
       st.one_of(st.text(max_size=30), st.none(), st.integers()))
def test_anything_else_is_refused_never_crashes(context: dict[str, object], user: object) -> None:
    with pytest.raises(TokenError):
        SenderTokens(KEY, clock=Clock(0)).verify(context, user)


def test_buttons_and_dialog_follow_the_policy_wording() -> None:
    class P:
        messages = Messages(report_false_positive="Not customer data", request_release="Please release",
                            justification_title="Why it should go", contact="the Desk")

    atts = sender_action_attachments(P(), url="http://gw/x", contexts={k: {"v": "1"} for k in KINDS})  # type: ignore[arg-type]
    assert [a["name"] for a in atts[0]["actions"]] == ["Not customer data", "Please release"]
    assert all(a["integration"] == {"url": "http://gw/x", "context": {"v": "1"}} for a in atts[0]["actions"])
    assert all(a["id"].isalnum() for a in atts[0]["actions"])  # api4 route {action_id:[A-Za-z0-9]+}
    d = justification_dialog(P(), kind="release_request", reference="q9")  # type: ignore[arg-type]
    assert d["title"] == "Why it should go" and d["submit_label"] == "Please release"
    assert "the Desk" in d["introduction_text"] and "q9" in d["introduction_text"]
    assert d["elements"][0]["type"] == "textarea" and d["elements"][0]["max_length"] == 3000
    with pytest.raises(ValidationError):  # model.DialogTitleMaxLength is 24
        Messages(justification_title="x" * 25)
