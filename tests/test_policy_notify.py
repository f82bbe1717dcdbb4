"""Redaction output, sender notices, compliance alerts and AppError texts: kinds, never values."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy import atrest
from dlp_proxy.model import Action, Decision, Finding
from dlp_proxy.policy import (
    BLOCK_ERROR_ID,
    QUARANTINE_ERROR_ID,
    alert_text,
    error_id,
    load_policy,
    redact_text,
    sender_notice,
    user_message,
    with_footnote,
)
from dlp_proxy.policy.redact import fallback_mask
from dlp_proxy.policy.testing import ACCOUNT, CARD, IBAN, SSN, ctx, item, policy_from
from tests.shown import shown

REDACT_CASES = [
    (f"ssn {SSN} ok", [("US_SSN", SSN)], "ssn ***-**-8710 ok"),
    (f"card {CARD}.", [("CREDIT_CARD", CARD)], "card **** **** **** 1111."),
    (f"a {SSN} b {ACCOUNT}", [("US_SSN", SSN), ("US_BANK_NUMBER", ACCOUNT)], "a ***-**-8710 b ******2283"),
    ("no findings", [], "no findings"),
]


@pytest.mark.parametrize(("text", "spans", "expected"), REDACT_CASES)
def test_redact_text(text, spans, expected):
    s = item(text, spans)
    assert redact_text(text, s.findings) == expected


def test_redact_overlapping_and_out_of_range_findings():
    text = f"x {SSN} y"
    start = text.index(SSN)
    findings = [
        Finding("US_SSN", start, start + len(SSN), 0.9, "a"),
        Finding("US_ITIN", start + 4, start + len(SSN), 0.6, "b"),
        Finding("US_SSN", start, 10_000, 0.6, "c"),
    ]
    out = redact_text(text, findings)
    assert SSN not in out and "8710" not in shown(out).replace("***-**-8710", "") and out.startswith("x ")
    assert "22" not in out


@pytest.mark.parametrize(
    ("etype", "value", "expected"),
    [
        ("US_SSN", SSN, "***-**-8710"),
        ("IBAN_CODE", IBAN, "**** **** **** **** **54 32"),
        ("US_SSN", "5362", "****"),  # too short to show the last four
        ("PERSON", "Jane Roe", "**** ***"),
        ("US_SSN", "536\u200b22\u200b8710", "*******8710"),  # zero-width chars masked too
    ],
)
def test_fallback_mask_never_leaks_more_than_last_four(etype, value, expected):
    masked = fallback_mask(etype, value)
    assert masked == expected
    digits = [c for c in masked if c.isalnum()]
    assert len(digits) <= 4


def test_footnote():
    policy = load_policy()
    assert with_footnote("hi ***", policy.redact_footnote).endswith(policy.redact_footnote)
    assert with_footnote("hi", "") == "hi"


def _decision(action: Action, types=("US_SSN",)) -> Decision:
    s = item(f"ssn {SSN} acct {ACCOUNT}", [("US_SSN", SSN), ("US_BANK_NUMBER", ACCOUNT)])
    return Decision(action=action, policy_version="sha256:abc", rule_id="npi-public", reason="Customer identifier",
                    entity_types=tuple(types), scanned=(s,))


def test_error_ids_and_user_messages():
    assert BLOCK_ERROR_ID == "api.dlp.blocked.app_error"
    assert QUARANTINE_ERROR_ID == "api.dlp.quarantined.app_error"
    assert error_id(_decision(Action.BLOCK)) == BLOCK_ERROR_ID
    assert error_id(_decision(Action.QUARANTINE)) == QUARANTINE_ERROR_ID
    blocked = user_message(_decision(Action.BLOCK, ("US_SSN", "US_BANK_NUMBER")))
    assert "not sent" in blocked and "Social Security number" in blocked and "account number" in blocked
    held = user_message(_decision(Action.QUARANTINE))
    assert "held for compliance review" in held
    for text in (blocked, held):
        assert SSN not in text and ACCOUNT not in text and "8710" not in shown(text)


def test_messages_are_configurable():
    policy = policy_from(
        "messages: {secure_channel: '~client-secure', contact: 'the NPI desk'}\n"
        "rules: [{id: r, action: block, match: {entities: [US_SSN]}}]\n"
    )
    text = user_message(_decision(Action.BLOCK), policy)
    assert "~client-secure" in text and "the NPI desk" in text


@pytest.mark.parametrize(
    ("action", "words"),
    [
        (Action.BLOCK, "was **not sent**"),
        (Action.QUARANTINE, "held for compliance review"),
        (Action.REDACT, "**masked**"),
        (Action.MONITOR, "recorded"),
    ],
)
def test_sender_notice(action, words):
    at = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)
    c = ctx(channel_name="client-desk", request_id="req-77")
    text = sender_notice(_decision(action), c, message_excerpt_path="body.message", at=at)
    assert words in text
    assert "~client-desk" in text and "2026-03-04 15:30 UTC" in text
    assert "Social Security number" in text and "`body.message`" in text and "req-77" in text
    assert "secure" in text and "review" in text
    assert SSN not in text and "8710" not in shown(text)


@pytest.mark.parametrize(("path", "shown"), [
    ("file[0]:member=clients/536-22-8710.txt/line=1", "`file[0]:member=clients/….txt/line=1`"),
    ("file[0]:member=clients/536228710.txt", "`file[0]:member=clients/….txt`"),
    ("file[0]:member=clients/536/22/8710.txt", "`file[0]:…`"),
    ("file[0]:attachment=acct-4471902283.eml/attachment=x.txt", "`file[0]:attachment=….eml/attachment=x.txt`"),
    ("body.props.acct4471902283", "`body.props.…`"),
    ("body.props{key}", "`body.props{key}`"),
    ("file[0]:sheet=Q1!B2", "`file[0]:sheet=Q1!B2`"),
])
def test_sender_notice_withholds_names_from_the_request(path: str, shown: str) -> None:
    """Mattermost stores the notice (the bot's DM): a member, attachment, key or sheet
    name that may carry an identifier is withheld from its ``Where:`` (attack F5)."""
    text = sender_notice(_decision(Action.BLOCK), ctx(), message_excerpt_path=path)
    assert f"Where: {shown}." in text, text
    where = text.split("Where: ", 1)[1].split("\n", 1)[0]
    assert not re.search(r"\d{6,}", re.sub(r"(?<=\d)\D{1,3}(?=\d)", "", where)), where


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789-/ ._:=!()a\u200b\u0665\uff15`", min_size=1, max_size=40))
def test_sender_notice_never_lines_up_a_long_number(name: str) -> None:
    digits = sum(c.isdigit() for c in name)
    text = sender_notice(_decision(Action.BLOCK), ctx(), message_excerpt_path=f"file[0]:member={name}/line=1")
    where = text.split("Where: ", 1)[1].split("\n", 1)[0]
    assert atrest.digit_run(where) < atrest.MIN_DIGIT_RUN or digits < atrest.MIN_DIGIT_RUN, (name, where)
    assert where.count("`") == 2, where


def test_names_with_a_long_digit_run_are_not_shown() -> None:
    c = ctx(username="u4111111111111111", channel_name="clients-536228710", team_name="t-4471902283",
            user_id="uid1", channel_id="cid1", team_id="tid1")
    d = _decision(Action.BLOCK)
    notice = sender_notice(d, c, message_excerpt_path="body.message")
    alert = alert_text(d, c)
    for text in (notice, alert):
        assert "4111111111111111" not in text and "536228710" not in text and "4471902283" not in text, text
    assert "channel cid1" in notice
    assert "by uid1 in channel cid1 (team tid1)" in alert


def test_uninspected_extension_with_digits_is_not_shown() -> None:
    from dlp_proxy.policy.uninspected import UninspectedFile, file_label

    assert file_label(UninspectedFile("file[0]", ("encrypted",), "a.mp4")) == "the .mp4 file"
    assert file_label(UninspectedFile("file[0]", ("encrypted",), "notes.a4471902")) == "the file"


def test_sender_notice_direct_message_and_edits():
    c = ctx(channel_name=None, channel_type="D", route_group="edits")
    text = sender_notice(_decision(Action.QUARANTINE), c, message_excerpt_path="")
    assert "Your edit of a message in a direct message" in text


def test_alert_text():
    c = ctx(username="alice", channel_name="town-square", team_name="sales", request_id="req-9")
    d = _decision(Action.BLOCK, ("US_SSN", "US_BANK_NUMBER"))
    text = alert_text(d, c, record_id="rec-1", at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert text.startswith("DLP BLOCK: message by @alice in ~town-square (team sales) at 2026-01-02 03:04:05 UTC")
    assert "Rule: npi-public" in text and "US_SSN x1, US_BANK_NUMBER x1" in text
    assert "req-9" in text and "rec-1" in text and "sha256:abc" in text
    assert SSN not in text and ACCOUNT not in text
    hook = alert_text(d, ctx(username=None, user_id=None, hook_id="h1", route_group="webhooks"))
    assert "webhook message by webhook h1" in hook


def test_outcome_notices_come_from_the_policys_messages() -> None:
    from dlp_proxy.policy.notify import outcome_notice
    from dlp_proxy.policy.schema import Messages

    m = Messages(released="MARK-R {where}", not_released="MARK-N {entities}", expired="MARK-E {where}",
                 reviewer_reason="MARK-WHY {reason}", send_instead="MARK-S {secure_channel}",
                 reference="MARK-REF {reference}", secure_channel="the vault")
    assert outcome_notice(m, "released", where="~deals", entities="x", reference="q1") == "MARK-R ~deals MARK-REF q1"
    rejected = outcome_notice(m, "rejected", where="~deals", entities="a Social Security number",
                              reference="q2", reason="use the vault")
    assert rejected.splitlines() == ["MARK-N a Social Security number", "MARK-WHY use the vault",
                                     "MARK-S the vault MARK-REF q2"]
    expired = outcome_notice(m, "expired", where="a direct message", entities="x", reference="q3", reason="r")
    assert expired.splitlines()[0] == "MARK-E a direct message" and "MARK-WHY" not in expired
    # the defaults say what happened, where, and never a value
    default = outcome_notice(None, "rejected", where="~deals", entities="a Social Security number", reference="q4")
    assert "not released" in default and "a Social Security number" in default and "(reference q4)" in default
