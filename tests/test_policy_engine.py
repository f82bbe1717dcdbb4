"""Policy evaluation: scopes, actions, exceptions, combinations, thresholds, order, context failure."""

from __future__ import annotations

import hashlib

import pytest

from dlp_proxy.model import Action, ChannelType
from dlp_proxy.policy import load_policy
from dlp_proxy.policy.engine import findings_to_redact
from dlp_proxy.policy.testing import (
    ACCOUNT,
    CARD,
    EMAIL,
    HASH_KEY,
    IBAN,
    PHONE,
    ROUTING,
    SSN,
    SSN2,
    ctx,
    item,
    policy_from,
)
from dlp_proxy.policy.values import hmac_form, normalize_value, sha256_form

SSN_RULE = """
schema: 1
rules:
  - id: r
    action: block
    match: {{entities: [US_SSN]}}
    scope: {scope}
"""


def ssn_msg(score: float = 0.9):
    return [item(f"client ssn {SSN} thanks", [("US_SSN", SSN, score)])]


# --------------------------------------------------------------------------- scopes

SCOPE_CASES = [
    # (scope yaml, context overrides, expected action)
    ("{route_groups: [posts]}", {}, Action.BLOCK),
    ("{route_groups: [edits, files]}", {}, Action.ALLOW),
    ("{route_groups: [edits]}", {"route_group": "edits"}, Action.BLOCK),
    ("{channel_types: [O]}", {}, Action.BLOCK),
    ("{channel_types: [public]}", {}, Action.BLOCK),
    ("{channel_types: [direct, group]}", {}, Action.ALLOW),
    ("{channel_types: [direct, group]}", {"channel_type": "G"}, Action.BLOCK),
    ("{channel_types: [P]}", {"channel_type": "P"}, Action.BLOCK),
    # no channel in the request at all (profile): channel-type scope does not match
    ("{channel_types: [O]}", {"channel_id": None, "channel_type": None, "route_group": "profile"}, Action.ALLOW),
    ("{shared: true}", {"channel_shared": True}, Action.BLOCK),
    ("{shared: true}", {"channel_shared": False}, Action.ALLOW),
    # Mattermost omits "shared" for unshared channels: resolved channel, None -> not shared
    ("{shared: true}", {"channel_shared": None}, Action.ALLOW),
    ("{shared: false}", {"channel_shared": None}, Action.BLOCK),
    ("{teams: [sales]}", {}, Action.BLOCK),
    ("{teams: [t1]}", {}, Action.BLOCK),
    ("{teams: [ops]}", {}, Action.ALLOW),
    ("{teams: [sales]}", {"channel_type": "D", "team_id": None, "team_name": None}, Action.ALLOW),
    ("{channels: [town-square]}", {}, Action.BLOCK),
    ("{channels: [c1]}", {}, Action.BLOCK),
    ("{channels: [c2, other]}", {}, Action.ALLOW),
    ("{users: [alice]}", {}, Action.BLOCK),
    ("{users: [u1]}", {}, Action.BLOCK),
    ("{users: [bob]}", {}, Action.ALLOW),
    ("{groups: [advisors]}", {"groups": ("advisors", "nyc")}, Action.BLOCK),
    ("{groups: [advisors]}", {"groups": ("ops",)}, Action.ALLOW),
    ("{senders: [people]}", {}, Action.BLOCK),
    ("{senders: [bots]}", {}, Action.ALLOW),
    ("{senders: [bots]}", {"is_bot": True}, Action.BLOCK),
    ("{senders: [webhooks]}", {"hook_id": "h1", "user_id": None, "username": None}, Action.BLOCK),
    ("{senders: [people]}", {"hook_id": "h1", "user_id": None, "username": None}, Action.ALLOW),
    ("{hooks: [h1]}", {"hook_id": "h1"}, Action.BLOCK),
    ("{hooks: [h1]}", {"hook_id": "h2"}, Action.ALLOW),
    ("{hooks: [h1]}", {}, Action.ALLOW),
    # dimensions are ANDed
    ("{channel_types: [O], teams: [sales]}", {}, Action.BLOCK),
    ("{channel_types: [O], teams: [ops]}", {}, Action.ALLOW),
]


@pytest.mark.parametrize(("scope", "overrides", "expected"), SCOPE_CASES)
def test_scope_dimensions(scope, overrides, expected):
    policy = policy_from(SSN_RULE.format(scope=scope))
    decision = policy.evaluate(ssn_msg(), ctx(**overrides))
    assert decision.action == expected
    assert decision.rule_id == ("r" if expected != Action.ALLOW else None)
    assert decision.policy_version == policy.version


def test_unless_excludes_and_is_unknown_on_missing_context():
    policy = policy_from(
        """
rules:
  - id: r
    action: block
    match: {entities: [US_SSN]}
    unless: {channel_types: [P, D]}
    on_context_error: quarantine
"""
    )
    assert policy.evaluate(ssn_msg(), ctx()).action == Action.BLOCK
    assert policy.evaluate(ssn_msg(), ctx(channel_type="D")).action == Action.ALLOW
    d = policy.evaluate(ssn_msg(), ctx(channel_type=None, context_errors=("channel: timeout",)))
    assert d.action == Action.QUARANTINE
    assert d.details["context_failure"]["rule"] == "r"
    assert "context unavailable" in d.reason


# --------------------------------------------------------------------------- context failure

CONTEXT_FAILURE_CASES = [
    # (on_context_error line, expected action on failure)
    ("", Action.BLOCK),  # default: defaults.on_context_error = block
    ("on_context_error: quarantine", Action.QUARANTINE),
    ("on_context_error: allow", Action.ALLOW),
    ("on_context_error: monitor", Action.MONITOR),
]


@pytest.mark.parametrize(("line", "expected"), CONTEXT_FAILURE_CASES)
@pytest.mark.parametrize(
    "scope,failed_ctx",
    [
        ("{channel_types: [D]}", {"channel_type": None, "context_errors": ("channel lookup failed",)}),
        # channel id known but type never resolved (gateway did not say why): still unknown
        ("{channel_types: [D]}", {"channel_type": None}),
        ("{shared: true}", {"channel_type": None, "context_errors": ("channel lookup failed",)}),
        ("{teams: [sales]}", {"team_id": None, "team_name": None}),
        ("{groups: [advisors]}", {"groups": (), "context_errors": ("groups: 502",)}),
        ("{users: [alice]}", {"user_id": None, "username": None, "context_errors": ("users/me: 503",)}),
        ("{senders: [people]}", {"user_id": None, "username": None, "context_errors": ("users/me",)}),
    ],
)
def test_context_failure_mode(line, expected, scope, failed_ctx):
    policy = policy_from(
        f"""
rules:
  - id: r
    action: quarantine
    match: {{entities: [US_SSN]}}
    scope: {scope}
    {line}
"""
    )
    d = policy.evaluate(ssn_msg(), ctx(**failed_ctx))
    assert d.action == expected
    assert d.details["context_failure"]["applied"] == expected.value
    assert d.details["matched_rules"] == [{"rule": "r", "action": expected.value, "context_failure": True}]


def test_context_failure_default_comes_from_defaults_section():
    policy = policy_from(
        """
defaults: {on_context_error: quarantine}
rules:
  - {id: r, action: block, match: {entities: [US_SSN]}, scope: {channel_types: [O]}}
"""
    )
    assert policy.evaluate(ssn_msg(), ctx(channel_type=None)).action == Action.QUARANTINE
    assert policy.context_failure_modes() == {"r": "quarantine"}


def test_rule_without_context_needs_ignores_context_errors():
    policy = policy_from("rules: [{id: r, action: quarantine, match: {entities: [US_SSN]}}]")
    d = policy.evaluate(ssn_msg(), ctx(channel_type=None, context_errors=("x",)))
    assert d.action == Action.QUARANTINE and "context_failure" not in d.details


def test_context_needs_are_listed():
    policy = load_policy()
    assert {"channel_type", "channel_shared"} <= policy.needs_context()
    policy = policy_from(
        """
rules:
  - {id: a, action: block, match: {entities: [US_SSN]}, scope: {groups: [g], route_groups: [files]}}
  - {id: b, action: block, match: {entities: [US_SSN]}, scope: {teams: [t]}}
"""
    )
    assert policy.needs_context(ctx()) == {"team"}
    assert policy.needs_context(ctx(route_group="files")) == {"team", "groups", "route_group"}
    assert policy.needs_context() == {"team", "groups", "route_group"}


# --------------------------------------------------------------------------- match conditions

def test_min_score():
    policy = policy_from("rules: [{id: r, action: block, match: {entities: [US_SSN], min_score: 0.7}}]")
    assert policy.evaluate(ssn_msg(0.69), ctx()).action == Action.ALLOW
    assert policy.evaluate(ssn_msg(0.7), ctx()).action == Action.BLOCK
    # default min_score comes from defaults (0.5)
    policy = policy_from("rules: [{id: r, action: block, match: {entities: [US_SSN]}}]")
    assert policy.evaluate(ssn_msg(0.49), ctx()).action == Action.ALLOW
    assert policy.evaluate(ssn_msg(0.5), ctx()).action == Action.BLOCK


@pytest.mark.parametrize(
    ("count_mode", "spans", "expected"),
    [
        ("distinct", [("US_SSN", SSN), ("US_SSN", SSN2)], Action.ALLOW),
        ("distinct", [("US_SSN", SSN), ("US_SSN", SSN2), ("CREDIT_CARD", CARD)], Action.BLOCK),
        ("distinct", [("US_SSN", SSN), ("US_SSN", SSN), ("US_SSN", SSN)], Action.ALLOW),  # same value thrice
        ("all", [("US_SSN", SSN), ("US_SSN", SSN), ("US_SSN", SSN)], Action.BLOCK),
        ("distinct", [("US_SSN", SSN), ("US_SSN", SSN2), ("EMAIL_ADDRESS", EMAIL)], Action.ALLOW),  # not listed
    ],
)
def test_min_count(count_mode, spans, expected):
    policy = policy_from(
        f"rules: [{{id: r, action: block, match: {{entities: [US_SSN, CREDIT_CARD], min_count: 3, count: {count_mode}}}}}]"
    )
    text = f"{SSN} {SSN2} {SSN} {SSN} {CARD} {EMAIL}"
    # the same SSN appearing in differently formatted spellings counts once
    d = policy.evaluate([item(text, spans)], ctx())
    assert d.action == expected


def test_min_count_counts_across_items_and_normalizes_values():
    policy = policy_from("rules: [{id: r, action: block, match: {entities: [US_SSN], min_count: 2}}]")
    a = item(f"a {SSN}", [("US_SSN", SSN)], path="body.message")
    b = item("b 536 22 8710", [("US_SSN", "536 22 8710")], path="body.props.attachments[0].text")
    c = item(f"c {SSN2}", [("US_SSN", SSN2)], path="file[0]:page=1")
    assert policy.evaluate([a, b], ctx()).action == Action.ALLOW  # one value, two spellings
    assert policy.evaluate([a, c], ctx()).action == Action.BLOCK


COMBO = """
rules:
  - id: combo
    action: block
    match: {{all_of: [ABA_ROUTING_NUMBER, US_BANK_NUMBER]{within}}}
"""


@pytest.mark.parametrize(
    ("within", "gap", "expected"),
    [
        (", within: 20", 20, Action.BLOCK),  # exactly at the limit
        (", within: 20", 21, Action.ALLOW),
        (", within: 0", 0, Action.BLOCK),
        ("", 5000, Action.BLOCK),  # no distance: anywhere in the request
    ],
)
def test_combination_within_distance(within, gap, expected):
    policy = policy_from(COMBO.format(within=within))
    text = f"routing {ROUTING}" + " " * gap + f"{ACCOUNT} end"
    d = policy.evaluate([item(text, [("ABA_ROUTING_NUMBER", ROUTING), ("US_BANK_NUMBER", ACCOUNT)])], ctx())
    assert d.action == expected
    if expected == Action.BLOCK:
        assert set(d.entity_types) == {"ABA_ROUTING_NUMBER", "US_BANK_NUMBER"}


def test_combination_needs_every_type_and_same_item_when_within_given():
    policy = policy_from(COMBO.format(within=", within: 100"))
    only_routing = item(f"routing {ROUTING}", [("ABA_ROUTING_NUMBER", ROUTING)])
    only_account = item(f"acct {ACCOUNT}", [("US_BANK_NUMBER", ACCOUNT)], path="body.props.x")
    assert policy.evaluate([only_routing], ctx()).action == Action.ALLOW
    assert policy.evaluate([only_routing, only_account], ctx()).action == Action.ALLOW
    policy_anywhere = policy_from(COMBO.format(within=""))
    assert policy_anywhere.evaluate([only_routing, only_account], ctx()).action == Action.BLOCK


def test_combination_person_with_account_picks_the_close_pair():
    policy = policy_from(
        "rules: [{id: c, action: quarantine, match: {all_of: [PERSON, US_BANK_NUMBER], within: 30}}]"
    )
    far = "Jane Roe " + "x" * 200 + f" {ACCOUNT} " + "y" * 100 + " John Poe"
    # Jane is 200+ chars before, John is 100+ after: no pair within 30
    d = policy.evaluate([item(far, [("PERSON", "Jane Roe"), ("US_BANK_NUMBER", ACCOUNT), ("PERSON", "John Poe")])], ctx())
    assert d.action == Action.ALLOW
    near = "Jane Roe " + "x" * 200 + f" {ACCOUNT} for John Poe"
    d = policy.evaluate([item(near, [("PERSON", "Jane Roe"), ("US_BANK_NUMBER", ACCOUNT), ("PERSON", "John Poe")])], ctx())
    assert d.action == Action.QUARANTINE


def test_combination_three_types():
    policy = policy_from(
        "rules: [{id: c, action: block, match: {all_of: [PERSON, US_SSN, DATE_OF_BIRTH], within: 15}}]"
    )
    text = f"Jane Roe, {SSN}, 01/02/1960"
    spans = [("PERSON", "Jane Roe"), ("US_SSN", SSN), ("DATE_OF_BIRTH", "01/02/1960")]
    assert policy.evaluate([item(text, spans)], ctx()).action == Action.BLOCK
    text = f"Jane Roe, {SSN}, and her birthday is 01/02/1960"  # DOB 25 chars after the name
    assert policy.evaluate([item(text, spans)], ctx()).action == Action.ALLOW


# --------------------------------------------------------------------------- actions, order

ORDER = """
rules:
  - {id: mon, action: monitor, match: {entities: [US_SSN]}}
  - {id: red, action: redact, match: {entities: [US_SSN]}}
  - {id: q1, action: quarantine, match: {entities: [US_SSN]}}
  - {id: q2, action: quarantine, match: {entities: [US_SSN]}}
  - {id: blk, action: block, match: {entities: [US_SSN]}, scope: {channel_types: [O]}}
  - {id: ok, action: allow, match: {entities: [EMAIL_ADDRESS]}}
"""


def test_most_severe_wins_ties_go_to_first_rule():
    policy = policy_from(ORDER)
    d = policy.evaluate(ssn_msg(), ctx())
    assert (d.action, d.rule_id) == (Action.BLOCK, "blk")
    assert [m["rule"] for m in d.details["matched_rules"]] == ["mon", "red", "q1", "q2", "blk"]
    d = policy.evaluate(ssn_msg(), ctx(channel_type="D"))
    assert (d.action, d.rule_id) == (Action.QUARANTINE, "q1")


@pytest.mark.parametrize(
    ("action", "notify"),
    [("allow", False), ("monitor", False), ("redact", True), ("quarantine", True), ("block", True)],
)
def test_each_action_and_default_notification(action, notify):
    policy = policy_from(f"rules: [{{id: r, action: {action}, match: {{entities: [US_SSN]}}}}]")
    d = policy.evaluate(ssn_msg(), ctx())
    assert d.action == Action(action)
    assert d.rule_id == "r"
    assert d.entity_types == ("US_SSN",)
    assert d.notify_sender is notify
    assert d.alert_channel_id is None


def test_notify_and_alert_settings():
    policy = policy_from(
        """
defaults: {alert_channel_id: compliance-alerts}
rules:
  - {id: a, action: block, match: {entities: [US_SSN]}, notify_sender: false, alert: true}
  - {id: b, action: monitor, match: {entities: [CREDIT_CARD]}, notify_sender: true, alert_channel_id: other}
"""
    )
    d = policy.evaluate(ssn_msg(), ctx())
    assert (d.notify_sender, d.alert_channel_id) == (False, "compliance-alerts")
    d = policy.evaluate([item(CARD, [("CREDIT_CARD", CARD)])], ctx())
    assert (d.action, d.notify_sender, d.alert_channel_id) == (Action.MONITOR, True, "other")


def test_nothing_found_and_only_non_matching_findings():
    policy = policy_from("rules: [{id: r, action: block, match: {entities: [US_SSN]}}]")
    d = policy.evaluate([], ctx())
    assert (d.action, d.rule_id, d.reason) == (Action.ALLOW, None, "nothing found")
    d = policy.evaluate([item(f"{EMAIL} {PHONE}", [("EMAIL_ADDRESS", EMAIL), ("PHONE_NUMBER", PHONE)])], ctx())
    assert (d.action, d.reason) == (Action.ALLOW, "no rule matched")


# --------------------------------------------------------------------------- exceptions

EXC = """
rules:
  - {{id: r, action: block, match: {{entities: [US_SSN, US_BANK_NUMBER]}}}}
  - {{id: bulk, action: block, match: {{entities: [US_SSN, US_BANK_NUMBER], min_count: 2}}}}
exceptions:
{exceptions}
"""


def _acct_and_ssn():
    return [item(f"acct {ACCOUNT} ssn {SSN}", [("US_BANK_NUMBER", ACCOUNT), ("US_SSN", SSN)])]


def test_exempt_channel_by_name_and_id():
    for ch in ("town-square", "c1"):
        policy = policy_from(EXC.format(exceptions=f"  - {{id: secure, scope: {{channels: [{ch}]}}}}"))
        d = policy.evaluate(_acct_and_ssn(), ctx())
        assert d.action == Action.ALLOW, ch
        assert d.reason == "all findings exempted"
        assert {e["exception"] for e in d.details["exempted"]} == {"secure"}
        assert policy.evaluate(_acct_and_ssn(), ctx(channel_id="c9", channel_name="x")).action == Action.BLOCK


def test_exemption_limited_to_entity_types_leaves_the_rest_judged():
    policy = policy_from(
        EXC.format(exceptions="  - {id: secure, scope: {channels: [c1]}, entities: [US_BANK_NUMBER]}")
    )
    d = policy.evaluate(_acct_and_ssn(), ctx())
    assert (d.action, d.rule_id, d.entity_types) == (Action.BLOCK, "r", ("US_SSN",))  # bulk no longer reached
    assert [e["entity_type"] for e in d.details["exempted"]] == ["US_BANK_NUMBER"]


def test_exempt_service_account_and_hook():
    policy = policy_from(
        EXC.format(
            exceptions="  - {id: svc, scope: {users: [svc-payroll], senders: [bots]}}\n"
            "  - {id: hook, scope: {hooks: [h-ledger]}}"
        )
    )
    assert policy.evaluate(_acct_and_ssn(), ctx(username="svc-payroll", is_bot=True)).action == Action.ALLOW
    # same username but not a bot account: not exempt
    assert policy.evaluate(_acct_and_ssn(), ctx(username="svc-payroll")).action == Action.BLOCK
    assert policy.evaluate(_acct_and_ssn(), ctx(hook_id="h-ledger", user_id=None, username=None)).action == Action.ALLOW
    assert policy.evaluate(_acct_and_ssn(), ctx(hook_id="h-other", user_id=None, username=None)).action == Action.BLOCK


def test_exemption_with_unknown_context_does_not_apply():
    policy = policy_from(EXC.format(exceptions="  - {id: dm, scope: {channel_types: [D]}}"))
    assert policy.evaluate(_acct_and_ssn(), ctx(channel_type="D")).action == Action.ALLOW
    d = policy.evaluate(_acct_and_ssn(), ctx(channel_type=None, context_errors=("timeout",)))
    assert d.action == Action.BLOCK and "exempted" not in d.details


@pytest.mark.parametrize("form", ["sha256", "hmac"])
def test_allow_listed_values_hashed(form):
    value_hash = sha256_form(ACCOUNT) if form == "sha256" else hmac_form(ACCOUNT, HASH_KEY)
    policy = policy_from(
        EXC.format(exceptions=f'  - {{id: omnibus, entities: [US_BANK_NUMBER], values: ["{value_hash}"]}}')
    )
    assert ACCOUNT not in policy.raw.decode()
    # the allow-listed account passes, written with other separators too
    spaced = "44 7190 2283"
    d = policy.evaluate([item(f"wire to {spaced}", [("US_BANK_NUMBER", spaced)])], ctx())
    assert d.action == Action.ALLOW and d.details["exempted"][0]["exception"] == "omnibus"
    # another account is still blocked
    d = policy.evaluate([item("wire to 4471902284", [("US_BANK_NUMBER", "4471902284")])], ctx())
    assert d.action == Action.BLOCK
    # the same digits detected as another entity type are not covered (entities: [US_BANK_NUMBER])
    d = policy.evaluate([item(f"id {ACCOUNT}", [("US_SSN", ACCOUNT)])], ctx())
    assert d.action == Action.BLOCK
    # an SSN next to the allowed account is still judged
    d = policy.evaluate(_acct_and_ssn(), ctx())
    assert (d.action, d.entity_types) == (Action.BLOCK, ("US_SSN",))


def test_hmac_form_depends_on_installation_key():
    other_key = b"o" * 32
    policy = policy_from(
        EXC.format(exceptions=f'  - {{id: v, values: ["{hmac_form(ACCOUNT, HASH_KEY)}"]}}'), hash_key=other_key
    )
    assert policy.evaluate([item(ACCOUNT, [("US_BANK_NUMBER", ACCOUNT)])], ctx()).action == Action.BLOCK


def test_value_normalization_and_plain_hash():
    assert normalize_value("536-22-8710") == normalize_value("５３６ ２２ ８７１０") == "536228710"
    assert normalize_value("gb82 west") == "GB82WEST"
    assert sha256_form("536-22-8710") == "sha256:" + hashlib.sha256(b"536228710").hexdigest()


# --------------------------------------------------------------------------- required entities, redaction set

def test_required_entities_follow_scope():
    policy = policy_from(
        """
rules:
  - {id: a, action: block, match: {entities: [US_SSN]}}
  - {id: b, action: block, match: {all_of: [PERSON, US_BANK_NUMBER]}, scope: {route_groups: [files]}}
  - {id: c, action: block, match: {entities: [IBAN_CODE]}, unless: {channel_types: [D]}}
"""
    )
    assert policy.required_entities(ctx()) == {"US_SSN", "IBAN_CODE"}
    assert policy.required_entities(ctx(route_group="files")) == {"US_SSN", "IBAN_CODE", "PERSON", "US_BANK_NUMBER"}
    assert policy.required_entities(ctx(channel_type="D")) == {"US_SSN"}
    assert "PERSON" not in load_policy().required_entities(ctx())


def test_findings_to_redact_skips_exempted_and_other_types():
    policy = policy_from(
        f"""
rules:
  - {{id: r, action: redact, match: {{entities: [US_SSN, CREDIT_CARD]}}}}
exceptions:
  - {{id: v, values: ["{sha256_form(SSN2)}"]}}
"""
    )
    text = f"{SSN} and {SSN2} and {CARD} mail {EMAIL}"
    s = item(text, [("US_SSN", SSN), ("US_SSN", SSN2), ("CREDIT_CARD", CARD), ("EMAIL_ADDRESS", EMAIL)])
    d = policy.evaluate([s], ctx())
    assert d.action == Action.REDACT
    spans = {(f.entity_type, text[f.start : f.end]) for f in findings_to_redact(d)["body.message"]}
    assert spans == {("US_SSN", SSN), ("CREDIT_CARD", CARD)}


# --------------------------------------------------------------------------- shipped default policy

DEFAULT_CASES = [
    # (name, text, spans, ctx overrides, action, rule)
    ("ssn public", f"ssn {SSN}", [("US_SSN", SSN)], {}, Action.BLOCK, "npi-public"),
    ("ssn private", f"ssn {SSN}", [("US_SSN", SSN)], {"channel_type": "P"}, Action.QUARANTINE, "npi-private"),
    ("ssn direct", f"ssn {SSN}", [("US_SSN", SSN)], {"channel_type": "D", "team_id": None, "team_name": None}, Action.QUARANTINE, "npi-private"),
    ("ssn group", f"ssn {SSN}", [("US_SSN", SSN)], {"channel_type": "G"}, Action.QUARANTINE, "npi-private"),
    ("ssn shared private", f"ssn {SSN}", [("US_SSN", SSN)], {"channel_type": "P", "channel_shared": True}, Action.BLOCK, "npi-shared-channel"),
    ("itin public", "itin 912-70-1234", [("US_ITIN", "912-70-1234")], {}, Action.BLOCK, "npi-public"),
    ("card dm", f"card {CARD}", [("CREDIT_CARD", CARD)], {"channel_type": "D"}, Action.QUARANTINE, "npi-private"),
    ("iban public", f"iban {IBAN}", [("IBAN_CODE", IBAN)], {}, Action.BLOCK, "npi-public"),
    ("account private", f"acct {ACCOUNT}", [("US_BANK_NUMBER", ACCOUNT)], {"channel_type": "P"}, Action.QUARANTINE, "npi-private"),
    ("ssn in profile", f"ssn {SSN}", [("US_SSN", SSN)], {"route_group": "profile", "channel_id": None, "channel_name": None, "channel_type": None}, Action.BLOCK, "npi-public"),
    ("ssn by webhook", f"ssn {SSN}", [("US_SSN", SSN)], {"route_group": "webhooks", "hook_id": "h1", "user_id": None, "username": None}, Action.BLOCK, "npi-public"),
    ("ssn by bot in dm", f"ssn {SSN}", [("US_SSN", SSN)], {"is_bot": True, "channel_type": "D"}, Action.QUARANTINE, "npi-private"),
    ("routing alone", f"aba {ROUTING}", [("ABA_ROUTING_NUMBER", ROUTING)], {}, Action.MONITOR, "routing-alone"),
    ("routing+weak account public", f"aba {ROUTING} acct {ACCOUNT}", [("ABA_ROUTING_NUMBER", ROUTING), ("US_BANK_NUMBER", ACCOUNT, 0.35)], {}, Action.BLOCK, "routing-with-account-public"),
    ("routing+weak account dm", f"aba {ROUTING} acct {ACCOUNT}", [("ABA_ROUTING_NUMBER", ROUTING), ("US_BANK_NUMBER", ACCOUNT, 0.35)], {"channel_type": "D"}, Action.QUARANTINE, "routing-with-account-private"),
    ("routing+weak account far", f"aba {ROUTING}" + "." * 300 + ACCOUNT, [("ABA_ROUTING_NUMBER", ROUTING), ("US_BANK_NUMBER", ACCOUNT, 0.35)], {}, Action.MONITOR, "routing-alone"),
    ("email phone name pass", f"Jane Roe {EMAIL} {PHONE}", [("PERSON", "Jane Roe"), ("EMAIL_ADDRESS", EMAIL), ("PHONE_NUMBER", PHONE)], {}, Action.ALLOW, None),
    ("low score ssn", f"ssn {SSN}", [("US_SSN", SSN, 0.3)], {}, Action.ALLOW, None),
    ("ein", "ein 12-3456789", [("US_EIN", "12-3456789")], {}, Action.MONITOR, "low-risk-identifiers"),
    ("unknown channel type", f"ssn {SSN}", [("US_SSN", SSN)], {"channel_type": None, "context_errors": ("channel: 503",)}, Action.BLOCK, "npi-shared-channel"),  # first blocking rule whose scope is unknown
    ("unknown channel type routing", f"aba {ROUTING}", [("ABA_ROUTING_NUMBER", ROUTING)], {"channel_type": None, "context_errors": ("channel: 503",)}, Action.MONITOR, "routing-alone"),
]


@pytest.mark.parametrize(
    ("text", "spans", "overrides", "action", "rule"),
    [c[1:] for c in DEFAULT_CASES],
    ids=[c[0] for c in DEFAULT_CASES],
)
def test_shipped_default_policy(text, spans, overrides, action, rule):
    policy = load_policy()
    d = policy.evaluate([item(text, spans)], ctx(**overrides))
    assert (d.action, d.rule_id) == (action, rule)


def test_shipped_bulk_rule():
    policy = load_policy()
    ssns = [f"536-22-87{n:02d}" for n in range(10, 15)]
    text = "clients: " + ", ".join(ssns)
    d = policy.evaluate([item(text, [("US_SSN", s) for s in ssns])], ctx(channel_type="D"))
    assert (d.action, d.rule_id) == (Action.BLOCK, "npi-bulk")
    # four distinct: quarantined as single identifiers in a DM
    d = policy.evaluate([item(text, [("US_SSN", s) for s in ssns[:4]])], ctx(channel_type="D"))
    assert (d.action, d.rule_id) == (Action.QUARANTINE, "npi-private")
    # five pastes of one SSN is not a bulk disclosure
    text = " ".join([SSN] * 5)
    d = policy.evaluate([item(text, [("US_SSN", SSN)] * 5)], ctx(channel_type="D"))
    assert d.rule_id == "npi-private"
    # a spreadsheet whose identifiers are spread across cells (items) is still bulk
    cells = [item(s, [("US_SSN", s)], path=f"file[0]:sheet=Clients!B{i}") for i, s in enumerate(ssns)]
    d = policy.evaluate(cells, ctx(route_group="files", channel_type="P"))
    assert d.rule_id == "npi-bulk"


def test_channel_type_enum_and_string_values_agree():
    policy = load_policy()
    d1 = policy.evaluate(ssn_msg(), ctx(channel_type=ChannelType.DIRECT))
    assert d1.action == Action.QUARANTINE
