"""The policy through the running gateway (issue 5, "Tests").

One real gateway process (private Redis, simulator upstream) runs with its own
configuration directory; each test installs the policy it needs by rewriting
``policy.yaml`` and sending SIGHUP (the reload path Compliance uses), then
waits until ``/readyz`` reports the new version.  Every scope dimension, every
action and every exception is exercised with real requests; the simulator's
record proves what reached Mattermost (masked, never raw) and which notices the
sender got.  The shipped default policy, the split-identifier window, reload
under load, an invalid policy file and ``dlp-proxy policy replay`` on the
archive this gateway wrote are covered too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, Gateway, Simulator, archive_records, start_gateway, stop
from tests.shown import shown

BLOCKED = "api.dlp.blocked.app_error"
QUARANTINED = "api.dlp.quarantined.app_error"

SSN = "536-22-1234"
SSN_DIGITS = "536221234"
DIRTY = f"Client SSN is {SSN}, please update the account"
CLEAN = "Lunch at noon? Order number four ships Friday, thanks"
CARD = "card number 4111 1111 1111 1111 for the refund, thanks"
IBAN = "wire to IBAN GB82 WEST 1234 5698 7654 32 today please"
ITIN = "Client ITIN 912-70-1234 on the form, thanks"
ROUTING = "Use routing number 011000015 for the bank, thanks"
ROUTING_ACCT = "ABA routing 011000015 account 1234567890 for the wire please"
CONTACT = "Reach Jane Roe at jane.roe@example.com or call 212-555-0147 today"
BULK = "SSNs: 536-22-1234, 536-22-1235, 536-22-1236, 536-22-1237, 536-22-1238 for the audit"

HEADER = "schema: 1\ndefaults: {min_score: 0.5, on_context_error: block, alert_channel_id: null}\n"


def version_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- gateway


class PolicyGateway:
    """The gateway plus its configuration directory, with helpers to drive it."""

    def __init__(self, gw: Gateway, config_dir: Path) -> None:
        self.gw = gw
        self.sim: Simulator = gw.sim
        self.config_dir = config_dir
        self.policy_path = config_dir / "policy.yaml"
        self.shipped = (ROOT / "config" / "policy.yaml").read_text()

    # -- policy
    def running_version(self) -> str:
        r = httpx.get(self.gw.admin_url + "/readyz", timeout=10)
        return str(r.json()["checks"]["policy"])

    def write_policy(self, text: str) -> None:
        """Replace policy.yaml atomically (write a temporary file, rename it)."""
        tmp = self.policy_path.with_name(f".policy.{uuid.uuid4().hex}.yaml")
        tmp.write_text(text)
        os.replace(tmp, self.policy_path)

    def install(self, text: str) -> str:
        """Install ``text`` as the running policy (SIGHUP), wait until it is in force."""
        version = version_of(text)
        if self.running_version() == version:
            return version
        self.write_policy(text)
        self.gw.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while self.running_version() != version:
            assert time.monotonic() < deadline, f"policy {version} not in force:\n{self.gw.log()[-3000:]}"
            time.sleep(0.02)
        return version

    def install_rules(self, body: str) -> str:
        return self.install(HEADER + body)

    # -- requests
    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sim.token(user)}"}

    def post(self, user: str, channel: str, message: str) -> httpx.Response:
        return httpx.post(f"{self.gw.url}/api/v4/posts", headers=self.headers(user),
                          json={"channel_id": self.sim.channel(channel), "message": message}, timeout=30)

    def hook(self, text: str, hook: str = "incoming_hook") -> httpx.Response:
        path = "/hooks/commands/" if hook == "command_hook" else "/hooks/"
        return httpx.post(f"{self.gw.url}{path}{self.sim.ids[hook]}", json={"text": text}, timeout=30)

    def seed_post(self, user: str, channel: str) -> str:
        r = httpx.post(f"{self.sim.url}/api/v4/posts", headers=self.headers(user),
                       json={"channel_id": self.sim.channel(channel), "message": "seed"}, timeout=10)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def records(self) -> list[dict[str, Any]]:
        return [r for r in archive_records(self.gw.data_dir) if r.get("type") == "decision"]

    def judged(self, send: Callable[[], httpx.Response]) -> tuple[httpx.Response, dict[str, Any]]:
        """Send one request; return the response and the one decision record it produced."""
        before = len(self.records())
        r = send()
        # (a remediation a background task archives meanwhile, for an earlier test's post, is
        # not this request's decision)
        new = [rec for rec in self.records()[before:] if rec.get("action") != "remediated"]
        assert len(new) == 1, (r.status_code, r.text, new)
        if r.status_code == 403:
            assert new[0]["request_id"] == r.json()["request_id"]
        return r, new[0]

    def reached(self, path: str) -> list[bytes]:
        """Bodies that reached Mattermost on ``path`` (not the gateway's own notices)."""
        out = []
        for rec in self.sim.requests():
            body = base64.b64decode(rec["body_b64"])
            if rec["path"] == path and b"from_dlp_proxy" not in body:
                out.append(body)
        return out

    def wait_posts(self, pred: Callable[[dict[str, Any]], bool], timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            found = [p for p in self.sim.posts() if pred(p)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


@pytest.fixture(scope="module")
def pg(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolicyGateway]:
    base = tmp_path_factory.mktemp("policy-gw")
    config = base / "config"
    shutil.copytree(ROOT / "config", config)
    gw = start_gateway(simulator, base / "data", config_dir=config)
    try:
        yield PolicyGateway(gw, config)
    finally:
        stop(gw.proc)


def _outcome(r: httpx.Response) -> str:
    """What the client saw: 'blocked', 'held' or 'sent'."""
    if r.status_code == 403:
        return {BLOCKED: "blocked", QUARANTINED: "held"}[r.json()["id"]]
    assert r.status_code < 300, (r.status_code, r.text)
    return "sent"


# ----------------------------------------------------------------------------- shipped default policy


DEFAULT_CASES = [
    # (name, sender, channel or "hook", text, expected outcome, action, rule)
    ("public-ssn", "alice", "town_square", DIRTY, "blocked", "block", "npi-public"),
    ("public-card", "alice", "town_square", CARD, "blocked", "block", "npi-public"),
    ("public-iban", "alice", "town_square", IBAN, "blocked", "block", "npi-public"),
    ("public-itin", "alice", "town_square", ITIN, "blocked", "block", "npi-public"),
    ("private-ssn", "alice", "private", DIRTY, "held", "quarantine", "npi-private"),
    ("dm-ssn", "alice", "dm_alice_bob", DIRTY, "held", "quarantine", "npi-private"),
    ("group-ssn", "alice", "group", DIRTY, "held", "quarantine", "npi-private"),
    ("shared-ssn", "alice", "shared", DIRTY, "blocked", "block", "npi-shared-channel"),
    ("dm-bulk", "alice", "dm_alice_bob", BULK, "blocked", "block", "npi-bulk"),
    ("private-routing-with-account", "alice", "private", ROUTING_ACCT, "held", "quarantine", "npi-private"),
    ("public-routing-with-account", "bob", "town_square", ROUTING_ACCT, "blocked", "block", "npi-public"),
    ("public-routing-alone", "alice", "town_square", ROUTING, "sent", "monitor", "routing-alone"),
    ("public-email-phone-name", "alice", "town_square", CONTACT, "sent", "allow", None),
    ("dm-email-phone-name", "alice", "dm_alice_bob", CONTACT, "sent", "allow", None),
    ("bot-public-ssn", "dlp-bot", "town_square", DIRTY, "blocked", "block", "npi-public"),
    ("bot-private-ssn", "dlp-bot", "private", DIRTY, "held", "quarantine", "npi-private"),
    ("webhook-ssn", "-", "hook", DIRTY, "blocked", "block", "npi-public"),
    ("webhook-clean", "-", "hook", CONTACT, "sent", "allow", None),
]


@pytest.mark.parametrize("case", DEFAULT_CASES, ids=[c[0] for c in DEFAULT_CASES])
def test_shipped_default_policy(pg: PolicyGateway, case: tuple[Any, ...]) -> None:
    name, sender, channel, text, outcome, action, rule = case
    version = pg.install(pg.shipped)
    pg.sim.clear()
    if channel == "hook":
        r, rec = pg.judged(lambda: pg.hook(text))
        path = f"/hooks/{pg.sim.ids['incoming_hook']}"
    else:
        r, rec = pg.judged(lambda: pg.post(sender, channel, text))
        path = "/api/v4/posts"
    assert _outcome(r) == outcome, (r.status_code, r.text)
    assert (rec["action"], rec["rule_id"]) == (action, rule)
    assert rec["policy_version"] == version
    reached = pg.reached(path)
    if outcome == "sent":
        assert len(reached) == 1 and text in reached[0].decode()  # unchanged
    else:
        assert reached == []
        err = r.json()
        for raw in (SSN, "4111 1111 1111 1111", "GB82", "912-70-1234", "1234567890"):
            assert raw not in r.text
        assert err["status_code"] == 403 and err["message"]


def test_shipped_policy_blocks_a_bulk_file_even_in_a_direct_message(pg: PolicyGateway) -> None:
    version = pg.install(pg.shipped)
    dm = pg.sim.channel("dm_alice_bob")
    rows = "".join(f"Client {i},536-22-{1234 + i}\n" for i in range(8)).encode()
    pg.sim.clear()
    r, rec = pg.judged(lambda: httpx.post(f"{pg.gw.url}/api/v4/files?channel_id={dm}&filename=clients.csv",
                                          headers={**pg.headers("alice"), "Content-Type": "text/csv"}, content=rows, timeout=30))
    assert _outcome(r) == "blocked" and (rec["action"], rec["rule_id"], rec["policy_version"]) == ("block", "npi-bulk", version)
    assert rec["route_group"] == "files" and pg.reached("/api/v4/files") == []
    # one identifier in a file in the same DM is held, not blocked
    r, rec = pg.judged(lambda: httpx.post(f"{pg.gw.url}/api/v4/files?channel_id={dm}&filename=one.txt",
                                          headers={**pg.headers("alice"), "Content-Type": "text/plain"},
                                          content=DIRTY.encode(), timeout=30))
    assert _outcome(r) == "held" and rec["rule_id"] == "npi-private"


def test_block_and_quarantine_have_distinct_error_ids(pg: PolicyGateway) -> None:
    pg.install(pg.shipped)
    blocked = pg.post("alice", "town_square", DIRTY)
    held = pg.post("alice", "dm_alice_bob", DIRTY)
    assert blocked.json()["id"] == BLOCKED and held.json()["id"] == QUARANTINED
    assert "quarantine item" in held.json()["detailed_error"]
    assert "held for compliance review" in held.json()["message"] and "not sent" in blocked.json()["message"]


# ----------------------------------------------------------------------------- scopes


def _rule(scope: str, action: str = "block", entities: str = "[US_SSN]") -> str:
    return f"rules:\n  - id: scoped\n    action: {action}\n    match: {{entities: {entities}}}\n    scope: {scope}\n"


def _send_as(pg: PolicyGateway, who: str) -> httpx.Response:
    """who: 'user@channel' or 'hook' / 'command_hook'."""
    if who in ("hook", "command_hook"):
        return pg.hook(DIRTY, "incoming_hook" if who == "hook" else who)
    user, channel = who.split("@")
    return pg.post(user, channel, DIRTY)


SCOPE_CASES: list[tuple[str, Callable[[Simulator], str], list[str], list[str]]] = [
    # (name, scope builder, requests stopped, requests let through)
    ("channel-type-public", lambda s: "{channel_types: [public]}",
     ["alice@town_square", "alice@shared"], ["alice@private", "alice@dm_alice_bob", "alice@group"]),
    ("channel-type-private", lambda s: "{channel_types: [P]}",
     ["alice@private"], ["alice@town_square", "alice@dm_alice_bob", "alice@group", "alice@shared"]),
    ("channel-type-direct", lambda s: "{channel_types: [direct]}",
     ["alice@dm_alice_bob"], ["alice@town_square", "alice@private", "alice@group"]),
    ("channel-type-group", lambda s: "{channel_types: [G]}",
     ["alice@group"], ["alice@town_square", "alice@private", "alice@dm_alice_bob"]),
    ("shared", lambda s: "{shared: true}", ["alice@shared"], ["alice@town_square", "alice@private", "alice@dm_alice_bob"]),
    ("not-shared", lambda s: "{shared: false, channel_types: [O]}", ["alice@town_square"], ["alice@shared"]),
    ("team-id", lambda s: f"{{teams: [{s.ids['team']}]}}",
     ["alice@town_square", "alice@private"], ["alice@dm_alice_bob", "alice@group"]),
    ("channel-name", lambda s: "{channels: [trading-desk]}", ["alice@private"], ["alice@town_square", "alice@shared"]),
    ("channel-id", lambda s: f"{{channels: [{s.channel('shared')}]}}", ["alice@shared"], ["alice@town_square"]),
    ("user-name", lambda s: "{users: [bob]}", ["bob@town_square", "bob@dm_alice_bob"], ["alice@town_square", "carol@town_square"]),
    ("user-id", lambda s: f"{{users: [{s.ids['users']['carol']}]}}", ["carol@town_square"], ["alice@town_square"]),
    ("group", lambda s: "{groups: [security-reviewers]}", ["sam@town_square"], ["alice@town_square", "bob@town_square"]),
    ("senders-bots", lambda s: "{senders: [bots]}", ["dlp-bot@town_square"], ["alice@town_square", "hook"]),
    ("senders-webhooks", lambda s: "{senders: [webhooks]}", ["hook", "command_hook"], ["alice@town_square", "dlp-bot@town_square"]),
    ("senders-people", lambda s: "{senders: [people]}", ["alice@town_square"], ["dlp-bot@town_square", "hook"]),
    ("hook-id", lambda s: f"{{hooks: [{s.ids['incoming_hook']}]}}", ["hook"], ["command_hook", "alice@town_square"]),
]


@pytest.mark.parametrize("case", SCOPE_CASES, ids=[c[0] for c in SCOPE_CASES])
def test_scope_dimension(pg: PolicyGateway, case: tuple[Any, ...]) -> None:
    name, scope, stopped, passed = case
    version = pg.install_rules(_rule(scope(pg.sim)))
    for who in stopped:
        r, rec = pg.judged(lambda: _send_as(pg, who))
        assert _outcome(r) == "blocked", (who, r.status_code, r.text)
        assert (rec["rule_id"], rec["policy_version"]) == ("scoped", version), who
    for who in passed:
        r, rec = pg.judged(lambda: _send_as(pg, who))
        assert _outcome(r) == "sent", (who, r.status_code, r.text)
        assert (rec["action"], rec["policy_version"]) == ("allow", version), who


def test_scope_group_ignores_self_made_custom_groups(pg: PolicyGateway) -> None:
    """A policy names a group to exempt or single out its members; any user may
    create a custom group with that name and join it (create_custom_group is in
    system_user), so only directory-synced groups count, as for console roles."""
    version = pg.install_rules(_rule("{groups: [desk-ssn-ok]}"))
    r = httpx.post(f"{pg.sim.url}/api/v4/groups", headers={"Authorization": f"Bearer {pg.sim.token('alice')}"},
                   json={"name": "desk-ssn-ok", "display_name": "Desk", "source": "custom", "allow_reference": True,
                         "user_ids": [pg.sim.ids["users"]["alice"]]}, timeout=30)
    assert r.status_code in (200, 201), r.text
    r, rec = pg.judged(lambda: _send_as(pg, "alice@town_square"))
    assert _outcome(r) == "sent", (r.status_code, r.text)
    assert (rec["action"], rec["policy_version"]) == ("allow", version)


def test_scope_team_by_name(pg: PolicyGateway) -> None:
    pg.install_rules(_rule("{teams: [acme]}"))
    assert _outcome(pg.post("alice", "town_square", DIRTY)) == "blocked"
    assert _outcome(pg.post("alice", "dm_alice_bob", DIRTY)) == "sent"


def _route_requests(pg: PolicyGateway) -> dict[str, Callable[[], httpx.Response]]:
    s, h, url = pg.sim, pg.headers("alice"), pg.gw.url
    town = s.channel("town_square")

    def edit() -> httpx.Response:
        pid = pg.seed_post("alice", "town_square")
        return httpx.put(f"{url}/api/v4/posts/{pid}/patch", headers=h, json={"message": DIRTY}, timeout=30)

    def files() -> httpx.Response:
        return httpx.post(f"{url}/api/v4/files?channel_id={town}&filename=notes.txt",
                          headers={**h, "Content-Type": "text/plain"}, content=DIRTY.encode(), timeout=30)

    def header() -> httpx.Response:
        # a channel of its own: a dirty header the scoped policy lets through would stay
        # in a shared channel and give its words to every later test's posts there
        own = _new_channel(pg, "O")
        return httpx.put(f"{url}/api/v4/channels/{own}/patch", headers=h, json={"header": DIRTY}, timeout=30)

    return {
        "posts": lambda: pg.post("alice", "town_square", DIRTY),
        "edits": edit,
        "files": files,
        "headers": header,
        "webhooks": lambda: pg.hook(DIRTY),
    }


@pytest.mark.parametrize("group", ["posts", "edits", "files", "headers", "webhooks"])
def test_scope_route_group(pg: PolicyGateway, group: str) -> None:
    version = pg.install_rules(_rule(f"{{route_groups: [{group}]}}"))
    for name, send in _route_requests(pg).items():
        r, rec = pg.judged(send)
        assert rec["policy_version"] == version
        if name == group:
            assert _outcome(r) == "blocked", (name, r.status_code, r.text)
            assert rec["rule_id"] == "scoped" and rec["route_group"] == group
        else:
            assert r.status_code < 300, (name, r.status_code, r.text)
            assert rec["action"] == "allow", name


def test_scope_route_group_teams(pg: PolicyGateway) -> None:
    # the gateway's route table has "teams" (team name/description) and "pages"
    # (wiki) groups: a policy must be able to name them
    version = pg.install_rules(_rule("{route_groups: [teams, pages]}"))
    team = pg.sim.ids["team"]
    r, rec = pg.judged(lambda: httpx.put(f"{pg.gw.url}/api/v4/teams/{team}/patch", headers=pg.headers("carol"),
                                         json={"description": DIRTY}, timeout=30))
    assert _outcome(r) == "blocked" and (rec["rule_id"], rec["route_group"], rec["policy_version"]) == ("scoped", "teams", version)
    assert _outcome(pg.post("alice", "town_square", DIRTY)) == "sent"


def _new_channel(pg: PolicyGateway, kind: str) -> str:
    """A new channel of ``kind`` ("O" open, "P" private) alice made, straight in the
    simulator (the gateway has never seen it)."""
    r = httpx.post(f"{pg.sim.url}/api/v4/channels", headers=pg.headers("alice"), timeout=10,
                   json={"team_id": pg.sim.ids["team"], "name": kind.lower() + uuid.uuid4().hex[:12],
                         "display_name": kind, "type": kind})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.mark.parametrize(("rule_mode", "outcome", "action"), [
    ("", "blocked", "block"),  # defaults.on_context_error: block (fail closed)
    ("    on_context_error: quarantine\n", "held", "quarantine"),
])
def test_context_failure_mode(pg: PolicyGateway, rule_mode: str, outcome: str, action: str) -> None:
    """Mattermost cannot say what the channel is: the rule's failure mode applies."""
    version = pg.install_rules("rules:\n  - id: private-only\n    action: monitor\n    match: {entities: [US_SSN]}\n"
                               "    scope: {channel_types: [P]}\n" + rule_mode)
    channel = _new_channel(pg, "P")  # never seen by the gateway: not cached
    fault = {"status": 503, "path_prefix": f"/api/v4/channels/{channel}", "method": "GET", "count": 20}
    assert httpx.post(f"{pg.sim.url}/__sim/faults", json=fault, timeout=10).status_code < 300
    try:
        r, rec = pg.judged(lambda: httpx.post(f"{pg.gw.url}/api/v4/posts", headers=pg.headers("alice"), timeout=30,
                                              json={"channel_id": channel, "message": DIRTY}))
    finally:
        httpx.delete(f"{pg.sim.url}/__sim/faults", timeout=10)
    assert _outcome(r) == outcome, r.text
    assert (rec["action"], rec["rule_id"], rec["policy_version"]) == (action, "private-only", version)
    assert rec["context"]["context_errors"] and "context unavailable" in rec["reason"]
    # without the failure the same rule only monitors
    r, rec = pg.judged(lambda: httpx.post(f"{pg.gw.url}/api/v4/posts", headers=pg.headers("alice"), timeout=30,
                                          json={"channel_id": channel, "message": DIRTY}))
    assert _outcome(r) == "sent" and rec["action"] == "monitor"


def test_unless_excludes_and_scope_combines_dimensions(pg: PolicyGateway) -> None:
    # dimensions are ANDed: bob, in public channels, but not in the shared one
    pg.install_rules("rules:\n  - id: scoped\n    action: block\n    match: {entities: [US_SSN]}\n"
                     "    scope: {users: [bob], channel_types: [O]}\n    unless: {shared: true}\n")
    assert _outcome(pg.post("bob", "town_square", DIRTY)) == "blocked"
    assert _outcome(pg.post("bob", "shared", DIRTY)) == "sent"
    assert _outcome(pg.post("bob", "private", DIRTY)) == "sent"
    assert _outcome(pg.post("alice", "town_square", DIRTY)) == "sent"


# ----------------------------------------------------------------------------- actions


ACTIONS_POLICY = """rules:
  - id: public-block
    action: block
    match: {entities: [US_SSN]}
    scope: {channel_types: [O]}
  - id: private-quarantine
    action: quarantine
    match: {entities: [US_SSN]}
    scope: {channel_types: [P]}
  - id: dm-redact
    action: redact
    match: {entities: [US_SSN, CREDIT_CARD]}
    scope: {channel_types: [D]}
  - id: group-monitor
    action: monitor
    match: {entities: [US_SSN]}
    scope: {channel_types: [G]}
  - id: card-allow
    action: allow
    match: {entities: [CREDIT_CARD]}
"""


@pytest.mark.parametrize(("channel", "outcome", "action", "rule"), [
    ("town_square", "blocked", "block", "public-block"),
    ("private", "held", "quarantine", "private-quarantine"),
    ("dm_alice_bob", "sent", "redact", "dm-redact"),
    ("group", "sent", "monitor", "group-monitor"),
])
def test_every_action(pg: PolicyGateway, channel: str, outcome: str, action: str, rule: str) -> None:
    version = pg.install_rules(ACTIONS_POLICY)
    pg.sim.clear()
    r, rec = pg.judged(lambda: pg.post("alice", channel, DIRTY))
    assert _outcome(r) == outcome, (r.status_code, r.text)
    assert (rec["action"], rec["rule_id"], rec["policy_version"]) == (action, rule, version)
    reached = pg.reached("/api/v4/posts")
    if outcome != "sent":
        assert reached == []
    elif action == "monitor":
        assert [json.loads(b)["message"] for b in reached] == [DIRTY]
    else:
        (body,) = reached
        assert SSN.encode() not in body and SSN_DIGITS.encode() not in body
        message = json.loads(body)["message"]
        assert message.startswith("Client SSN is ***-**-1234, please update the account\n\n")
        assert "masked" in message  # the footnote
        assert r.json()["message"] == message  # Mattermost stored the masked text


def test_allow_action_lets_through(pg: PolicyGateway) -> None:
    version = pg.install_rules(ACTIONS_POLICY)
    r, rec = pg.judged(lambda: pg.post("alice", "town_square", CARD))
    assert _outcome(r) == "sent"
    assert (rec["action"], rec["rule_id"], rec["policy_version"]) == ("allow", "card-allow", version)


def test_redact_masks_every_identifier_and_notifies(pg: PolicyGateway) -> None:
    pg.install_rules(ACTIONS_POLICY)
    text = f"SSN {SSN} and card 4111 1111 1111 1111 on file"
    pg.sim.clear()
    r = pg.post("alice", "dm_alice_bob", text)
    assert r.status_code == 201
    (body,) = pg.reached("/api/v4/posts")
    message = json.loads(body)["message"]
    assert message.startswith("SSN ***-**-1234 and card **** **** **** 1111 on file")
    assert SSN not in message and "4111 1111" not in message
    notes = pg.wait_posts(lambda p: p.get("ephemeral") and "masked" in p["message"]
                          and p["channel_id"] == pg.sim.channel("dm_alice_bob"))
    assert notes and SSN not in notes[-1]["message"]


def test_redact_footnote_follows_reloaded_policy(pg: PolicyGateway) -> None:
    pg.install(HEADER + 'redact_footnote: "_Masked by policy v2._"\n' + ACTIONS_POLICY)
    pg.sim.clear()
    assert pg.post("alice", "dm_alice_bob", DIRTY).status_code == 201
    (body,) = pg.reached("/api/v4/posts")
    assert json.loads(body)["message"].endswith("_Masked by policy v2._")


# ----------------------------------------------------------------------------- exceptions


def _hash_value(pg: PolicyGateway, value: str) -> list[str]:
    env = {**os.environ, "DLP_DATA_DIR": str(pg.gw.data_dir)}
    out = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "policy", "hash-value", "--keyed"],
                         input=value + "\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, check=True)
    lines = out.stdout.split()
    assert len(lines) == 2 and lines[0].startswith("sha256:") and lines[1].startswith("hmac:"), out.stdout
    assert value not in out.stdout and out.stderr == ""
    return lines


BLOCK_ALL = "rules:\n  - id: ssn-block\n    action: block\n    match: {entities: [US_SSN, US_BANK_NUMBER]}\n"


@pytest.mark.parametrize("form", [0, 1], ids=["sha256", "hmac"])
def test_exception_allow_listed_value(pg: PolicyGateway, form: int) -> None:
    allowed = "536-22-4321"
    digest = _hash_value(pg, allowed)[form]
    version = pg.install_rules(
        f"exceptions:\n  - id: firm-value\n    entities: [US_SSN]\n    values: [\"{digest}\"]\n" + BLOCK_ALL)
    assert allowed not in pg.policy_path.read_text()
    r, rec = pg.judged(lambda: pg.post("alice", "town_square", f"Firm reference {allowed} for the memo"))
    assert _outcome(r) == "sent" and rec["action"] == "allow" and rec["policy_version"] == version
    r, rec = pg.judged(lambda: pg.post("alice", "town_square", f"Firm reference {allowed.replace('-', ' ')} again"))
    assert _outcome(r) == "sent"  # normalized before hashing
    r, rec = pg.judged(lambda: pg.post("alice", "town_square", DIRTY))
    assert _outcome(r) == "blocked" and rec["rule_id"] == "ssn-block"
    # the allow-listed value does not launder another identifier in the same message
    r, _ = pg.judged(lambda: pg.post("alice", "town_square", f"Firm reference {allowed} and client {SSN} today"))
    assert _outcome(r) == "blocked"


def test_redact_keeps_allow_listed_value(pg: PolicyGateway) -> None:
    allowed = "536-22-4321"
    digest = _hash_value(pg, allowed)[0]
    pg.install_rules(f"exceptions:\n  - id: firm-value\n    entities: [US_SSN]\n    values: [\"{digest}\"]\n"
                     "rules:\n  - id: redact-ssn\n    action: redact\n    match: {entities: [US_SSN]}\n")
    pg.sim.clear()
    r = pg.post("alice", "town_square", f"Firm reference {allowed}, client {SSN} today")
    assert r.status_code == 201, r.text
    (body,) = pg.reached("/api/v4/posts")
    message = json.loads(body)["message"]
    assert SSN not in message
    assert message.startswith(f"Firm reference {allowed}, client ***-**-1234 today")


def test_exception_exempt_channel(pg: PolicyGateway) -> None:
    pg.install_rules("exceptions:\n  - id: secure-client-service\n    scope: {channels: [trading-desk]}\n"
                     "    entities: [US_BANK_NUMBER]\n" + BLOCK_ALL)
    account = "brokerage account number 4402-1187-3390 for the transfer today"
    assert _outcome(pg.post("alice", "private", account)) == "sent"
    assert _outcome(pg.post("alice", "town_square", account)) == "blocked"
    assert _outcome(pg.post("alice", "private", DIRTY)) == "blocked"  # SSNs are not exempted there


def test_exception_exempt_service_account(pg: PolicyGateway) -> None:
    version = pg.install_rules("exceptions:\n  - id: payroll-bot\n    scope: {users: [dlp-bot], senders: [bots]}\n" + BLOCK_ALL)
    r, rec = pg.judged(lambda: pg.post("dlp-bot", "town_square", DIRTY))
    assert _outcome(r) == "sent" and rec["action"] == "allow" and rec["policy_version"] == version
    assert _outcome(pg.post("alice", "town_square", DIRTY)) == "blocked"
    assert _outcome(pg.hook(DIRTY)) == "blocked"


# ----------------------------------------------------------------------------- notifications


def test_sender_notice_names_the_kind_never_the_value(pg: PolicyGateway) -> None:
    pg.install(pg.shipped)
    alice = pg.sim.ids["users"]["alice"]
    for channel, word in (("town_square", "not sent"), ("dm_alice_bob", "held for compliance review")):
        r = pg.post("alice", channel, DIRTY)
        request_id = r.json()["request_id"]
        notes = pg.wait_posts(lambda p, rid=request_id: bool(p.get("ephemeral")) and rid in p["message"])
        assert len(notes) == 1, channel
        note = notes[0]
        assert note["ephemeral_target_user_id"] == alice
        assert note["channel_id"] == pg.sim.channel(channel)
        assert note["user_id"] == pg.sim.ids["users"]["dlp-bot"]
        assert "Social Security number" in note["message"] and word in note["message"]
        text = note["message"]
        assert SSN not in text and SSN_DIGITS not in text and "536" not in shown(text)
        assert note["props"]["from_dlp_proxy"] is True


def test_compliance_alert(pg: PolicyGateway) -> None:
    alerts = pg.sim.channel("compliance_alerts")
    policy = pg.shipped.replace("alert_channel_id: null", f"alert_channel_id: {alerts}")
    assert policy != pg.shipped
    pg.install(policy)
    r = pg.post("alice", "dm_alice_bob", BULK)
    assert r.json()["id"] == BLOCKED
    request_id = r.json()["request_id"]
    posts = pg.wait_posts(lambda p: p["channel_id"] == alerts and request_id in p["message"])
    assert len(posts) == 1
    text = posts[0]["message"]
    assert "DLP BLOCK" in text and "npi-bulk" in text and "@alice" in text and "US_SSN x5" in text
    assert "536-22" not in text and not posts[0].get("ephemeral")
    # a rule without alert: no alert for a single SSN in a public channel
    r = pg.post("alice", "town_square", DIRTY)
    rid = r.json()["request_id"]
    time.sleep(0.5)
    assert not [p for p in pg.sim.posts() if p["channel_id"] == alerts and rid in p["message"]]


# ----------------------------------------------------------------------------- split identifiers


def test_identifier_split_across_two_posts_is_caught(pg: PolicyGateway) -> None:
    pg.install(pg.shipped)
    pg.sim.clear()
    first = pg.post("carol", "group", "Client SSN is 536-22")
    assert first.status_code == 201, first.text
    r, rec = pg.judged(lambda: pg.post("carol", "group", "1234 thanks"))
    assert _outcome(r) == "held" and rec["rule_id"] == "npi-private"
    assert "US_SSN" in rec["entity_types"]
    assert [json.loads(b)["message"] for b in pg.reached("/api/v4/posts")] == ["Client SSN is 536-22"]
    rid = r.json()["request_id"]
    (note,) = pg.wait_posts(lambda p: bool(p.get("ephemeral")) and rid in p["message"])
    assert note["ephemeral_target_user_id"] == pg.sim.ids["users"]["carol"]
    assert "previous messages" in note["message"] and "split-window" not in note["message"]
    assert "536" not in shown(note["message"]) and "1234" not in shown(note["message"])
    # another user completing it in the same channel puts it in front of the same readers
    # (issue 15); another channel's readers never saw the first half
    assert pg.post("carol", "town_square", "Client SSN is 536-22").status_code == 201
    assert pg.post("bob", "dm_alice_bob", "1234 thanks").status_code == 201
    assert _outcome(pg.post("bob", "town_square", "1234 thanks")) in ("blocked", "held")


def test_identifier_built_up_by_edit_is_caught(pg: PolicyGateway) -> None:
    pg.install(pg.shipped)
    pid = pg.seed_post("bob", "private")
    h = pg.headers("bob")
    r1 = httpx.put(f"{pg.gw.url}/api/v4/posts/{pid}/patch", headers=h, json={"message": "Client SSN is 536-22"}, timeout=30)
    assert r1.status_code == 200, r1.text
    r2 = httpx.put(f"{pg.gw.url}/api/v4/posts/{pid}/patch", headers=h, json={"message": "1234 is the rest"}, timeout=30)
    assert _outcome(r2) == "held"


# ----------------------------------------------------------------------------- reload


POLICY_A = HEADER + "rules:\n  - id: version-a\n    action: block\n    match: {entities: [US_SSN]}\n"
POLICY_B = HEADER + "rules:\n  - id: version-b\n    action: quarantine\n    match: {entities: [US_SSN]}\n"


def test_reload_under_load_every_request_judged_by_one_complete_policy(pg: PolicyGateway) -> None:
    va, vb = version_of(POLICY_A), version_of(POLICY_B)
    pg.install(POLICY_A)
    stop_flag = threading.Event()
    swaps = [0]

    def reloader() -> None:
        texts = [POLICY_B, POLICY_A]
        while not stop_flag.is_set():
            pg.write_policy(texts[swaps[0] % 2])
            pg.gw.proc.send_signal(signal.SIGHUP)
            swaps[0] += 1
            time.sleep(0.03)

    channels = ["town_square", "private", "dm_alice_bob", "group"]

    def send(i: int) -> httpx.Response:
        return pg.post("alice", channels[i % 4], f"Batch {i} client SSN is {SSN}, please check")

    t = threading.Thread(target=reloader)
    t.start()
    try:
        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(send, range(160)))
    finally:
        stop_flag.set()
        t.join()
    assert swaps[0] > 10
    assert all(r.status_code == 403 for r in responses), [(r.status_code, r.text) for r in responses if r.status_code != 403]
    by_id = {r["request_id"]: r for r in pg.records()}
    seen = set()
    for r in responses:
        err = r.json()
        rec = by_id[err["request_id"]]
        expected = {va: ("block", "version-a", BLOCKED), vb: ("quarantine", "version-b", QUARANTINED)}
        assert rec["policy_version"] in expected, rec["policy_version"]
        assert (rec["action"], rec["rule_id"], err["id"]) == expected[rec["policy_version"]]
        seen.add(rec["policy_version"])
    assert seen == {va, vb}  # the race really happened
    assert '"policy reload"' in pg.gw.log() or "policy reloaded" in pg.gw.log()


INVALID = HEADER + "rules:\n  - id: typo\n    action: block\n    match: {entities: [US_SNN]}\n"


@pytest.mark.parametrize("trigger", ["sighup", "file-watch"])
def test_invalid_policy_keeps_the_old_one_running(pg: PolicyGateway, trigger: str) -> None:
    old = pg.install(POLICY_A)
    log_before = len(pg.gw.log())
    pg.write_policy(INVALID)
    if trigger == "sighup":
        pg.gw.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 8
    while "US_SNN" not in pg.gw.log()[log_before:]:
        assert time.monotonic() < deadline, pg.gw.log()[log_before:]
        time.sleep(0.05)
    new_log = pg.gw.log()[log_before:]
    lines = [json.loads(line) for line in new_log.splitlines() if line.startswith("{") and "US_SNN" in line]
    assert lines
    detail = "\n".join(str(rec.get("detail", rec.get("msg", ""))) for rec in lines)
    assert f"keeping version {old}" in detail
    assert "policy.yaml:6:" in detail and "rules[0].match.entities" in detail and "unknown entity type 'US_SNN'" in detail
    assert pg.running_version() == old
    r, rec = pg.judged(lambda: pg.post("alice", "town_square", DIRTY))
    assert _outcome(r) == "blocked" and (rec["rule_id"], rec["policy_version"]) == ("version-a", old)
    assert pg.gw.proc.poll() is None
    pg.install(POLICY_A + "# fixed\n")  # a valid file replaces it again


# ----------------------------------------------------------------------------- replay


def test_replay_on_the_gateway_archive(pg: PolicyGateway, tmp_path: Path) -> None:
    pg.install(pg.shipped)
    time.sleep(0.01)
    since = f"{time.time():.3f}"  # epoch seconds: only this test's records
    time.sleep(0.01)
    public = pg.post("alice", "town_square", DIRTY).json()["request_id"]
    dm = pg.post("alice", "dm_alice_bob", DIRTY).json()["request_id"]
    assert pg.post("alice", "town_square", CONTACT).status_code == 201
    # candidate: public channels hold for review instead of blocking
    candidate = tmp_path / "candidate.yaml"
    text = pg.shipped.replace("  - id: npi-public\n    description: Customer identifier in a public channel or outside any channel\n"
                              "    action: block", "  - id: npi-public\n    description: Customer identifier in a public channel or "
                              "outside any channel\n    action: quarantine")
    assert text != pg.shipped
    candidate.write_text(text)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DLP_")}, "DLP_DATA_DIR": str(pg.gw.data_dir),
           "DLP_CONFIG_DIR": str(pg.config_dir)}
    out = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "policy", "replay", "--policy", str(candidate),
                          "--since", since, "--json"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert SSN not in out.stdout and SSN not in out.stderr
    report = json.loads(out.stdout)["archive"]
    assert report["evaluated"] == 3 and report["basis"].get("content", 0) >= 2
    assert report["old_policy_versions"] == {version_of(pg.shipped): 3}
    changes = {c["request_id"]: c for c in report["changes"]}
    assert set(changes) == {public}, report
    c = changes[public]
    assert (c["old_action"], c["new_action"], c["old_rule"], c["new_rule"]) == ("block", "quarantine", "npi-public", "npi-public")
    assert dm not in changes
    assert report["transitions"] == {"allow->allow": 1, "block->quarantine": 1, "quarantine->quarantine": 1}
    # the text report names the change too
    out = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "policy", "replay", "--policy", str(candidate),
                          "--since", since], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0 and "block -> quarantine" in out.stdout and "CHANGED" in out.stdout
    assert public in out.stdout and "1 decisions would change" in out.stdout



def test_policy_messages_word_the_apperror_and_the_notice(pg: PolicyGateway) -> None:
    """Every word a sender sees comes from the policy's ``messages:``."""
    pg.install(HEADER + """messages:
  blocked: "MARKER-BLOCKED {entities}."
  quarantined: "MARKER-HELD {entities}."
  secure_channel: "MARKER-SECURE-CHANNEL"
rules:
  - id: block-public
    action: block
    match: {entities: [US_SSN]}
    unless: {channel_types: [direct]}
  - id: hold-dm
    action: quarantine
    match: {entities: [US_SSN]}
""")
    alice = pg.sim.ids["users"]["alice"]
    for channel, marker in (("town_square", "MARKER-BLOCKED"), ("dm_alice_bob", "MARKER-HELD")):
        r = pg.post("alice", channel, DIRTY)
        assert r.status_code == 403
        message = r.json()["message"]
        assert marker in message and "a Social Security number" in message and "MARKER-SECURE-CHANNEL" in message
        assert SSN not in message
        request_id = r.json()["request_id"]
        notes = pg.wait_posts(lambda p, rid=request_id: bool(p.get("ephemeral")) and rid in p["message"])
        assert len(notes) == 1 and notes[0]["ephemeral_target_user_id"] == alice
        assert "MARKER-SECURE-CHANNEL" in notes[0]["message"], notes[0]["message"]


def test_policy_words_the_unreadable_latex_refusal(pg: PolicyGateway) -> None:
    """The 400 for rendered LaTeX detection cannot read says what the policy's
    ``messages: tex_unreadable`` says (its placeholders filled), and nothing reaches
    Mattermost."""
    pg.install(HEADER + """messages:
  contact: "the MARKER-DESK"
  tex_unreadable: "MARKER-TEX: ask {contact}."
rules:
  - id: block-all
    action: block
    match: {entities: [US_SSN]}
""")
    pg.sim.clear()
    r = pg.post("alice", "town_square", "client SSN $\\csname x\\endcsname 5$")
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["id"] == "api.dlp.bad_request.app_error" and body["detailed_error"] == "tex-unreadable"
    assert body["message"] == "MARKER-TEX: ask the MARKER-DESK.", body
    assert pg.reached("/api/v4/posts") == []


def test_a_decision_the_gateway_must_harden_keeps_its_alert(pg: PolicyGateway) -> None:
    """A redaction that is impossible for the body (a form webhook) becomes a block:
    the rule's compliance alert still goes out (the decision is replaced, not rebuilt)."""
    alerts = pg.sim.channel("compliance_alerts")
    pg.install(f"schema: 1\ndefaults: {{min_score: 0.5, on_context_error: block, alert_channel_id: {alerts}}}\n"
               """rules:
  - id: redact-and-alert
    action: redact
    alert: true
    match: {entities: [US_SSN]}
""")
    r = httpx.post(f"{pg.gw.url}/hooks/{pg.sim.ids['incoming_hook']}",
                   content=("payload=" + json.dumps({"text": DIRTY})).encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 403 and r.json()["id"] == BLOCKED, r.text
    request_id = r.json()["request_id"]
    posts = pg.wait_posts(lambda p: p["channel_id"] == alerts and request_id in p["message"])
    assert len(posts) == 1, "the alert was dropped when the decision was hardened"
    assert "redact-and-alert" in posts[0]["message"] and SSN not in posts[0]["message"]
