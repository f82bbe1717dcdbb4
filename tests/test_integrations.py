"""Integration responses (dlp_proxy/gateway/integrations.py): a post whose buttons name
an integration that is neither a plugin route nor allowlisted is refused; what an
allowlisted integration writes back when its button is clicked is checked after the
fact and remediated.  Through the real gateway, the simulator (which performs post
actions as app/integration_action.go DoPostActionWithCookie does) and a real
integration server on a socket."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dlp_proxy.gateway.integrations import (
    NOT_ALLOWED_ID,
    NOT_ALLOWED_RULE,
    Allowlist,
    action_url_items,
    answer_channels,
    is_plugin_route,
    refusal,
    registration_url_items,
)
from dlp_proxy.gateway.paths import go_clean
from dlp_proxy.model import ContentItem
from dlp_proxy.simulator import ThreadedServer
from tests.conftest import (
    ROOT,
    Gateway,
    Simulator,
    archive_records,
    start_gateway,
    start_simulator,
    stop,
    wait_for,
)

SSN = "536-22-8710"


# ----------------------------------------------------------------------------- pure


def _items(url: str, path: str = "body.props.attachments[0].actions[0].integration.url") -> list[ContentItem]:
    return [ContentItem("body.message", "hi"), ContentItem(path, url)]


def test_plugin_routes_as_mattermost_resolves_them() -> None:
    # DoActionRequest: path.Clean(rawURL) starting with /plugins/ or plugins/; no version
    # knows an rpc:// scheme (it would go to Go's HTTP client): not a plugin route
    for url in ("/plugins/jira/action", "plugins/x/y", "/plugins/../plugins/x"):
        assert is_plugin_route(url), url
    for url in ("/plugins/../hooks/x", "plugins/../../x", "http://evil/plugins/x", "//evil/plugins/x",
                " /plugins/x", "/pluginsx/y", "https://chat.example.com/plugins/x", "rpc://myplugin/handle"):
        assert not is_plugin_route(url), url


def test_allowlist_prefixes() -> None:
    allow = Allowlist(["https://hooks.example.com/mm", "http://127.0.0.1:8099"])
    assert allow.allows("https://hooks.example.com/mm")
    assert allow.allows("https://hooks.example.com/mm/a?x=1")
    assert allow.allows("https://HOOKS.example.com:443/mm/a")
    assert allow.allows("http://127.0.0.1:8099/anything")
    for url in ("https://hooks.example.com/mmx", "http://hooks.example.com/mm/a", "https://hooks.example.com:8443/mm",
                "https://hooks.example.com.evil/mm", "https://hooks.example.com@evil.com/mm",
                "https://evil.com\\@hooks.example.com/mm", "https://hooks.example.com/mm/../admin",
                "https://hooks.example.com/mm//a", "https://hooks.example.com/mm/ a", "http://127.0.0.1:8098/x"):
        assert not allow.allows(url), url
    assert not Allowlist().allows("https://hooks.example.com/mm")
    with pytest.raises(ValueError):
        Allowlist(["hooks.example.com"])


def test_action_urls_are_found_as_go_reads_keys() -> None:
    # attachments are re-decoded into SlackAttachment structs: keys match case-insensitively,
    # U+017F (long s) folds to s
    for path in ("body.props.attachments[0].Actions[1].Integration.URL", "form.payload.attachments[2].actions[0].integration.url",
                 "body.attachments[0].action\u017f[0].integration.url"):
        assert action_url_items(_items("http://x/", path)), path
    assert not action_url_items(_items("http://x/", "body.props.attachments[0].actions[0].integration.context.url"))
    assert refusal(_items("http://x/h"), Allowlist()) is not None
    assert refusal(_items("/plugins/p/h"), Allowlist()) is None
    assert refusal(_items("http://x/h"), Allowlist(["http://x/"])) is None


@given(st.text(max_size=80))
@settings(max_examples=300, deadline=None)
def test_hostile_urls_never_crash_and_plugins_follow_go_clean(url: str) -> None:
    allow = Allowlist(["https://hooks.example.com/mm"])
    allowed = allow.allows(url)
    plugin = is_plugin_route(url)
    assert plugin == go_clean(url).startswith(("/plugins/", "plugins/"))
    if allowed:
        assert url.isascii() and "\\" not in url and "@" not in url.split("/")[2]
    assert (refusal(_items(url), allow) is None) == (plugin or allowed)


def _blocks(entries: dict[str, dict[str, str]]) -> list[ContentItem]:
    return [ContentItem("body.message", "Approve? [Approve](mmaction://approve)")] + [
        ContentItem(f"body.props.mm_blocks_actions.{aid}.{k}", v) for aid, e in entries.items() for k, v in e.items()]


def test_mm_blocks_action_urls_are_checked() -> None:
    # newer Mattermost: props.mm_blocks_actions.<id>.url of type external is the upstream
    # URL DoActionRequest posts to (GetMmBlocksActionSpec -> ResolveMmBlocksAction)
    allow = Allowlist(["https://hooks.example.com/mm"])
    assert refusal(_blocks({"approve": {"type": "external", "url": "http://evil.example/hook"}}), allow)
    assert refusal(_blocks({"a.b": {"url": "http://evil.example/hook", "type": "external"}}), allow)
    # an unknown type: checked all the same; a duplicated type: every reading counts
    assert refusal(_blocks({"x": {"type": "External", "url": "http://evil.example/hook"}}), allow)
    items = _blocks({"x": {"type": "openURL", "url": "http://evil.example/hook"}})
    assert refusal([*items, ContentItem("body.props.mm_blocks_actions.x.type", "external")], allow)
    # Go reads below props with exact keys (mm_blocks_actions.go mmBlocksEntryMapToSpec):
    # no string type is no action, a "URL" or "Type" key is never read, nor a folded registry
    assert refusal(_blocks({"x": {"URL": "http://evil.example/hook", "type": "external"}}), allow) is None
    assert refusal(_blocks({"x": {"url": "http://evil.example/hook"}}), allow) is None
    assert refusal(_blocks({"x": {"url": "http://evil.example/hook", "Type": "external"}}), allow) is None
    folded = [ContentItem("body.props.MM_Blocks_Actions.x.url", "http://evil.example/hook"),
              ContentItem("body.props.MM_Blocks_Actions.x.type", "external")]
    assert refusal(folded, allow) is None
    # ... but the struct field props is matched as Go folds it
    assert refusal([ContentItem("body.PROP\u017f.mm_blocks_actions.x.url", "http://evil.example/hook"),
                    ContentItem("body.PROP\u017f.mm_blocks_actions.x.type", "external")], allow)
    # allowlisted, a plugin route, or a link the clicker opens: no integration answers
    assert refusal(_blocks({"ok": {"type": "external", "url": "https://hooks.example.com/mm/a"}}), allow) is None
    assert refusal(_blocks({"ok": {"type": "external", "url": "/plugins/jira/approve"}}), allow) is None
    assert refusal(_blocks({"go": {"type": "openURL", "url": "https://docs.example.org/x"}}), allow) is None


@given(aid=st.text(min_size=1, max_size=20), kind=st.text(max_size=10), url=st.text(max_size=60),
       before=st.booleans())
@settings(max_examples=300, deadline=None)
def test_property_an_mm_blocks_url_passes_only_as_a_link_an_allowed_or_a_plugin_url(
        aid: str, kind: str, url: str, before: bool) -> None:
    allow = Allowlist(["https://hooks.example.com/mm"])
    entry = {"type": kind, "url": url} if before else {"url": url, "type": kind}
    passes = refusal(_blocks({aid: entry}), allow) is None
    assert passes == (kind in ("openURL", "") or is_plugin_route(url) or allow.allows(url))


def test_registration_urls_are_checked_as_go_reads_them() -> None:
    # model.OutgoingWebhook callback_urls / model.Command url: struct fields, keys folded
    allow = Allowlist(["https://hooks.example.com/mm"])
    hook = [ContentItem("body.team_id", "t"), ContentItem("body.callback_urls[0]", "https://hooks.example.com/mm/a"),
            ContentItem("body.Callback_URLs[1]", "http://evil.example/x")]
    assert [i.text for i in registration_url_items("hooks.outgoing.create", hook)] == [
        "https://hooks.example.com/mm/a", "http://evil.example/x"]
    assert "outgoing webhook" in (refusal(hook, allow, "hooks.outgoing.update") or "")
    assert refusal(hook[:2], allow, "hooks.outgoing.create") is None
    cmd = [ContentItem("body.trigger", "x"), ContentItem("body.URL", "http://evil.example/cmd")]
    assert "slash command" in (refusal(cmd, allow, "commands.create") or "")
    assert refusal([ContentItem("body.url", "https://hooks.example.com/mm/c")], allow, "commands.update") is None
    # a plugin route is no exemption here: Command.IsValid wants an http(s) URL
    assert refusal([ContentItem("body.url", "/plugins/x/y")], allow, "commands.create")
    # not a registration route: the same fields are nobody's URL
    assert refusal(cmd, allow, "posts.create") is None
    # nested keys are not the registration's fields
    assert refusal([ContentItem("body.autocomplete_data.url", "http://evil.example/")], allow, "commands.create") is None


def test_answer_channels_reads_the_command_response() -> None:
    a, b = "a" * 26, "b" * 26
    doc = {"text": "x", "channel_id": a, "extra_responses": [{"channel_id": b}, {"text": "same channel"}, None]}
    assert answer_channels(json.dumps(doc).encode()) == ((a, b), "")
    assert answer_channels(b'{"text": "x", "extra_responses": null}') == ((), "")
    assert answer_channels(None)[1] and answer_channels(b"oops")[1] and answer_channels(b"[]")[1]
    assert answer_channels(json.dumps({"channel_id": "../x"}).encode())[1]
    # a response hook's body is the client's: its keys as Go reads them (atk15 F4)
    assert answer_channels(json.dumps({"text": "x", "CHANNEL_ID": a}).encode()) == ((a,), "")
    assert answer_channels(json.dumps({"Extra_Responses": [{"channel_id": b}]}).encode()) == ((b,), "")
    assert answer_channels(json.dumps({"channel_id": a, "Channel_Id": b}).encode()) == ((a, b), "")


# ------------------------------------------------------------------------ end to end


class Integration:
    """The insider's (or a vendor's) integration server: answers every action with ``answer``."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}
        self.command_answer: dict[str, Any] = {}
        self.calls = 0
        self.command_calls: list[str] = []

    async def action(self, request: Request) -> Response:
        await request.body()
        self.calls += 1
        return JSONResponse(self.answer)

    async def command(self, request: Request) -> Response:
        # app/command.go DoCommandRequest: a form POST
        self.command_calls.append((await request.form()).get("command", ""))  # type: ignore[arg-type]
        return JSONResponse(self.command_answer)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, Simulator, Integration, str]]:
    integ = Integration()
    app = Starlette(routes=[Route("/allowed/hook", integ.action, methods=["POST"]),
                            Route("/other/hook", integ.action, methods=["POST"]),
                            Route("/allowed/command", integ.command, methods=["POST"]),
                            Route("/other/command", integ.command, methods=["POST"])])
    sim = start_simulator()
    base = tmp_path_factory.mktemp("integ")
    config = base / "config"
    shutil.copytree(Path(ROOT) / "config", config)
    policy = (config / "policy.yaml").read_text()
    alerts = sim.channel("compliance_alerts")
    # private channels redact here (the shipped policy holds them): the patch remediation
    held = "    action: quarantine\n    match:\n      entities: [US_SSN,"
    assert held in policy
    policy = policy.replace(held, held.replace("quarantine", "redact"), 1)
    # bob's SSNs are exempt: a post is judged as its author's
    assert "\nexceptions: []\n" in policy
    policy = policy.replace("\nexceptions: []\n", "\nexceptions:\n  - {id: bob-exempt, scope: {users: [bob]}, entities: [US_SSN]}\n")
    (config / "policy.yaml").write_text(policy.replace("alert_channel_id: null", f"alert_channel_id: {alerts}"))
    with ThreadedServer(app) as srv:
        httpx.post(f"{sim.url}/__sim/config", json={"allowed_untrusted_internal_connections": "127.0.0.1"})
        gw = start_gateway(sim, base / "gw", config_dir=config,
                           env={"DLP_INTEGRATION_URLS": f"{srv.url}/allowed/"})
        try:
            yield gw, sim, integ, srv.url
        finally:
            stop(gw.proc)
            stop(sim.proc)


def _button_post(gw: Gateway, url: str, message: str = "status below", channel: str = "town_square",
                 user: str = "alice") -> httpx.Response:
    with gw.client(user) as c:
        return c.post("/api/v4/posts", json={
            "channel_id": gw.sim.channel(channel), "message": message,
            "props": {"attachments": [{"text": "click to refresh", "actions": [
                {"id": "refresh", "name": "Refresh", "type": "button", "integration": {"url": url, "context": {}}}]}]}})


def _wait(predicate: Any, what: str, timeout: float = 20.0) -> Any:
    return wait_for(predicate, what, timeout)


def _sim_post(sim: Simulator, post_id: str) -> dict[str, Any]:
    return next(p for p in sim.posts() if p["id"] == post_id)


def test_unlisted_integration_refused(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    gw, sim, _, base = env
    for url in (f"{base}/other/hook", "https://integrations.example.net/hook", f"{base}/allowed/../other/hook"):
        r = _button_post(gw, url)
        assert r.status_code == 403, r.text
        err = r.json()
        assert err["id"] == NOT_ALLOWED_ID and "allowlist" in err["message"] and "administrator" in err["message"]
    # a webhook's attachments (form payload) and a patch are judged the same way
    with gw.client("alice") as c:
        pid = _button_post(gw, "/plugins/p/h").json()["id"]
        r = c.put(f"/api/v4/posts/{pid}/patch", json={"props": {"attachments": [
            {"actions": [{"id": "x", "name": "X", "integration": {"URL": f"{base}/other/hook"}}]}]}})
        assert r.status_code == 403 and r.json()["id"] == NOT_ALLOWED_ID
    records = [r for r in archive_records(gw.data_dir) if r.get("rule_id") == NOT_ALLOWED_RULE]
    assert len(records) == 4 and all(r["action"] == "block" for r in records)
    assert not any(base in json.dumps(r) for r in records)  # the URL is the sender's text: not archived


def test_plugin_and_allowlisted_integrations_pass(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    gw, _, _, base = env
    for url in ("/plugins/jira/action", f"{base}/allowed/hook"):
        r = _button_post(gw, url)
        assert r.status_code == 201, (url, r.text)
    assert _button_post(gw, "rpc://jira/handle").status_code == 403


def test_action_update_checked_after_the_fact(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    gw, sim, integ, base = env
    clean = _button_post(gw, f"{base}/allowed/hook").json()
    leaky = _button_post(gw, f"{base}/allowed/hook").json()
    with gw.client("alice") as c:
        integ.answer = {"update": {"message": "refreshed: all clear"}}
        r = c.post(f"/api/v4/posts/{clean['id']}/actions/refresh", json={})
        assert r.status_code == 200, r.text
        integ.answer = {"update": {"message": f"client SSN {SSN}"}}
        r = c.post(f"/api/v4/posts/{leaky['id']}/actions/refresh", json={})
        assert r.status_code == 200, r.text  # the click's answer is not held up by the check
    # the SSN the integration wrote is removed (public channel: the policy blocks, so deleted)
    _wait(lambda: _sim_post(sim, leaky["id"])["delete_at"], "the leaky post deleted")
    records = _wait(lambda: [r for r in archive_records(gw.data_dir) if r.get("action") == "remediated"],
                    "the remediation record")
    assert len(records) == 1
    rec = records[0]
    assert rec["route"] == "actions.post" and rec["policy_action"] == "block" and rec["remediation"] == "deleted"
    assert rec["remediation_result"] == "ok" and "US_SSN" in rec["entity_types"]
    assert "content" in rec and SSN not in json.dumps(rec)  # the original, encrypted
    # compliance is told (policy alert channel), without the value
    alerts = _wait(lambda: [p for p in sim.posts() if p["channel_id"] == sim.channel("compliance_alerts")
                            and "REMEDIATED" in p["message"]], "the compliance alert")
    assert rec["record_id"] in alerts[0]["message"] and SSN not in alerts[0]["message"]
    # one worker takes jobs in order: the clean update, checked first, was left alone
    post = _sim_post(sim, clean["id"])
    assert post["message"] == "refreshed: all clear" and not post["delete_at"]


def test_redacted_update_is_patched(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    gw, sim, integ, base = env
    post = _button_post(gw, f"{base}/allowed/hook", channel="private").json()
    integ.answer = {"update": {"message": f"client SSN {SSN} confirmed"}}
    with gw.client("alice") as c:
        assert c.post(f"/api/v4/posts/{post['id']}/actions/refresh", json={}).status_code == 200
    patched = _wait(lambda: "confirmed" in _sim_post(sim, post["id"])["message"] and
                    SSN not in _sim_post(sim, post["id"])["message"] and _sim_post(sim, post["id"]), "the patch")
    assert not patched["delete_at"] and "masked" in patched["message"]  # the policy's footnote
    rec = _wait(lambda: [r for r in archive_records(gw.data_dir)
                         if r.get("action") == "remediated" and r.get("remediation") == "patched"], "the record")[0]
    assert rec["policy_action"] == "redact" and rec["remediation_result"] == "ok" and "content" in rec


def test_unreadable_post_is_archived_and_alerted(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    gw, sim, integ, base = env
    post = _button_post(gw, f"{base}/allowed/hook").json()
    integ.answer = {}
    with gw.client("alice") as c:
        # the first click caches the post's channel for the click's own judging
        assert c.post(f"/api/v4/posts/{post['id']}/actions/refresh", json={}).status_code == 200
        httpx.post(f"{sim.url}/__sim/faults", json={"path_prefix": f"/api/v4/posts/{post['id']}", "method": "GET",
                                                    "status": 500, "count": 1})
        try:
            assert c.post(f"/api/v4/posts/{post['id']}/actions/refresh", json={}).status_code == 200
            failures = _wait(lambda: [r for r in archive_records(gw.data_dir) if r.get("type") == "failure"
                                      and r.get("reason") == "integration-response-unreadable"], "the failure record")
        finally:
            httpx.delete(f"{sim.url}/__sim/faults")
    assert failures[0]["route"] == "actions.post" and failures[0]["action"] == "fail_open"
    _wait(lambda: [p for p in sim.posts() if p["channel_id"] == sim.channel("compliance_alerts")
                   and "UNCHECKED" in p["message"] and failures[0]["record_id"] in p["message"]], "the alert")


def test_full_queue_is_archived_and_alerted() -> None:
    """A check that finds the queue full is dropped, counted, and the next check archives
    and alerts how many went unchecked (real simulator; the pipeline's archive stubbed)."""
    import asyncio
    from types import SimpleNamespace

    from dlp_proxy.gateway.integrations import Job, ResponseWatch
    from dlp_proxy.simulator import SimulatorServer

    failures: list[dict[str, Any]] = []

    async def record_failure(req: Any, **kw: Any) -> str:
        failures.append(kw)
        return f"rec{len(failures)}"

    with SimulatorServer() as sim:
        ids = httpx.get(sim.url + "/__sim/ids").json()
        alerts = ids["channels"]["compliance_alerts"]
        policy = SimpleNamespace(alert_channel_id=alerts)  # the PolicyEngine property the alert reads
        pipeline = SimpleNamespace(record_failure=record_failure, policy=lambda: policy)

        async def run() -> None:
            async with httpx.AsyncClient(base_url=sim.url) as upstream:
                watch = ResponseWatch(pipeline, upstream, ids["tokens"]["dlp-bot"], max_queue=1)
                jobs = [Job("commands.execute", f"req{i}", "/api/v4/commands/execute", {}, "") for i in range(3)]
                assert [watch.offer(j) for j in jobs] == [True, False, False]
                watch.start()
                await watch.stop(timeout=60)
                assert watch.done == 1 and watch.dropped == 0

        asyncio.run(run())
        assert [f["reason"] for f in failures] == ["integration-response-queue-full"]
        assert failures[0]["error"].startswith("2 integration response(s) not checked")
        posts = httpx.get(sim.url + "/__sim/posts").json()
        assert any(p["channel_id"] == alerts and "UNCHECKED" in p["message"] and "rec1" in p["message"] for p in posts)


def test_command_answer_is_read_back_from_its_channel(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    """A command's answer is posted by Mattermost (app/command.go HandleCommandResponse):
    the channel's posts since the request are read with the bot token and judged."""
    gw, sim, _, _ = env
    channel = sim.channel("town_square")
    with gw.client("alice") as c:
        r = c.post("/api/v4/commands/execute", json={"channel_id": channel, "command": "/echo status is green",
                                                      "team_id": sim.ids["team"]})
        assert r.status_code == 200, r.text
    bot = f"Bearer {sim.token('dlp-bot')}"
    reads = _wait(lambda: [q for q in sim.requests() if q["path"] == f"/api/v4/channels/{channel}/posts"
                           and "since=" in q["query"] and dict(q["headers"]).get("authorization") == bot],
                  "the bot's read of the channel")
    assert reads
    assert not [r for r in archive_records(gw.data_dir) if r.get("route") == "commands.execute"
                and r.get("action") == "remediated"]


def test_update_judged_as_the_posts_author(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    """The policy exempts bob's SSNs: the update of bob's post, clicked by alice, is his."""
    gw, sim, integ, base = env
    post = _button_post(gw, f"{base}/allowed/hook", user="bob").json()
    marker = _button_post(gw, f"{base}/allowed/hook").json()  # alice's
    integ.answer = {"update": {"message": f"the record {SSN}"}}
    with gw.client("alice") as c:
        assert c.post(f"/api/v4/posts/{post['id']}/actions/refresh", json={}).status_code == 200
        assert c.post(f"/api/v4/posts/{marker['id']}/actions/refresh", json={}).status_code == 200
    # one worker, in order: once alice's is remediated, bob's was judged
    _wait(lambda: _sim_post(sim, marker["id"])["delete_at"], "alice's post deleted")
    assert SSN in _sim_post(sim, post["id"])["message"] and not _sim_post(sim, post["id"])["delete_at"]
    assert not [r for r in archive_records(gw.data_dir) if r.get("action") == "remediated"
                and r.get("context", {}).get("user_id") == sim.ids["users"]["bob"]]


def test_unlisted_mm_blocks_action_refused(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    gw, sim, _, base = env
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={
            "channel_id": sim.channel("town_square"), "message": "Approve? [Approve](mmaction://approve)",
            "props": {"mm_blocks_actions": {"approve": {"type": "external", "url": f"{base}/other/hook"}}}})
        assert r.status_code == 403 and r.json()["id"] == NOT_ALLOWED_ID, r.text
        r = c.post("/api/v4/posts", json={
            "channel_id": sim.channel("town_square"), "message": "Approve? [Approve](mmaction://approve)",
            "props": {"mm_blocks_actions": {"approve": {"type": "external", "url": f"{base}/allowed/hook"}}}})
        assert r.status_code == 201, r.text


def test_unlisted_registrations_refused(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    """Outgoing webhooks and slash commands whose URLs are not allowlisted are never
    saved: Mattermost would post what they answer (app/webhook.go TriggerWebhook,
    app/command.go HandleCommandResponse) without the gateway seeing it."""
    gw, sim, _, base = env
    team = sim.ids["team"]
    before = len(sim.requests())
    with gw.client("alice") as c:
        bad_hooks = [{"team_id": team, "channel_id": sim.channel("town_square"), "display_name": "h",
                      "callback_urls": [f"{base}/allowed/hook", f"{base}/other/hook"]},
                     {"team_id": team, "trigger_words": ["go"], "CALLBACK_URLS": ["https://evil.example/x"]}]
        for body in bad_hooks:
            r = c.post("/api/v4/hooks/outgoing", json=body)
            assert r.status_code == 403 and r.json()["id"] == NOT_ALLOWED_ID and "outgoing webhook" in r.json()["message"], r.text
        r = c.post("/api/v4/commands", json={"team_id": team, "trigger": "leak", "method": "P",
                                              "url": f"{base}/allowed/../other/command"})
        assert r.status_code == 403 and "slash command" in r.json()["message"], r.text
        # allowlisted: saved by Mattermost; then an update to an unlisted URL is refused
        hook = c.post("/api/v4/hooks/outgoing", json={"team_id": team, "trigger_words": ["go"],
                                                       "callback_urls": [f"{base}/allowed/hook"]})
        assert hook.status_code == 201, hook.text
        cmd = c.post("/api/v4/commands", json={"team_id": team, "trigger": "okcmd", "method": "P",
                                                "url": f"{base}/allowed/command"})
        assert cmd.status_code == 201, cmd.text
        r = c.put(f"/api/v4/hooks/outgoing/{hook.json()['id']}",
                  json={**hook.json(), "callback_urls": [f"{base}/other/hook"]})
        assert r.status_code == 403 and r.json()["id"] == NOT_ALLOWED_ID, r.text
        r = c.put(f"/api/v4/commands/{cmd.json()['id']}", json={**cmd.json(), "url": f"{base}/other/command"})
        assert r.status_code == 403 and r.json()["id"] == NOT_ALLOWED_ID, r.text
        ok = c.put(f"/api/v4/commands/{cmd.json()['id']}", json={**cmd.json(), "url": f"{base}/allowed/command?v=2"})
        assert ok.status_code == 200 and ok.json()["url"].endswith("?v=2"), ok.text
    reached = [q for q in sim.requests()[before:] if q["path"].startswith(("/api/v4/hooks/outgoing", "/api/v4/commands"))]
    assert [(q["method"], q["path"].rsplit("/", 1)[-1] == "outgoing" or q["path"] == "/api/v4/commands")
            for q in reached] == [("POST", True), ("POST", True), ("PUT", False)]
    records = [r for r in archive_records(gw.data_dir) if r.get("rule_id") == NOT_ALLOWED_RULE
               and r.get("route", "").startswith(("hooks.outgoing", "commands."))]
    assert len(records) == 5 and all(r["action"] == "block" for r in records)
    assert not any(base in json.dumps(r) for r in records)


def test_command_extra_responses_read_back_in_their_channels(env: tuple[Gateway, Simulator, Integration, str]) -> None:
    """A custom command's answer may post into other channels (``channel_id`` of the
    response or of its ``extra_responses``: app/command.go HandleCommandResponsePost):
    the gateway reads the channels Mattermost's answer names and remediates there."""
    gw, sim, integ, base = env
    team = sim.ids["team"]
    with gw.client("alice") as c:
        cmd = c.post("/api/v4/commands", json={"team_id": team, "trigger": "report", "method": "P",
                                                "url": f"{base}/allowed/command"})
        assert cmd.status_code == 201, cmd.text
        integ.command_answer = {"response_type": "in_channel", "text": "report: all clear",
                                "extra_responses": [{"response_type": "in_channel", "channel_id": sim.channel("private"),
                                                     "text": f"client SSN {SSN} on file"}]}
        r = c.post("/api/v4/commands/execute", json={"channel_id": sim.channel("town_square"), "command": "/report now",
                                                      "team_id": team})
        assert r.status_code == 200, r.text
        assert r.json()["extra_responses"][0]["channel_id"] == sim.channel("private")
    assert integ.command_calls[-1] == "/report"
    leaked = _wait(lambda: [p for p in sim.posts() if p["channel_id"] == sim.channel("private")
                            and "on file" in p["message"]], "the extra response posted")[0]
    # the private channel redacts: the post is patched in place
    _wait(lambda: SSN not in _sim_post(sim, leaked["id"])["message"], "the extra response remediated")
    rec = _wait(lambda: [r for r in archive_records(gw.data_dir) if r.get("route") == "commands.execute"
                         and r.get("action") == "remediated"], "the remediation record")[0]
    assert rec["remediation"] == "patched" and rec["remediation_result"] == "ok" and SSN not in json.dumps(rec)
    clean = [p for p in sim.posts() if p["channel_id"] == sim.channel("town_square") and p["message"] == "report: all clear"]
    assert clean and not clean[0]["delete_at"]


def test_registrations_made_behind_the_gateway_are_reported_at_its_start(tmp_path: Path) -> None:
    """Outgoing webhooks and slash commands registered where the gateway could not
    check them (before it, mmctl --local, a plugin) are listed with the bot token at
    the gateway's start: each one not on the allowlist is archived and alerted."""
    sim = start_simulator()
    try:
        config = tmp_path / "config"
        shutil.copytree(Path(ROOT) / "config", config)
        alerts = sim.channel("compliance_alerts")
        policy = (config / "policy.yaml").read_text()
        (config / "policy.yaml").write_text(policy.replace("alert_channel_id: null", f"alert_channel_id: {alerts}"))
        admin = {"Authorization": f"Bearer {sim.token('carol')}"}
        team = sim.ids["team"]
        made = []
        for path, body in (
                ("/api/v4/hooks/outgoing", {"team_id": team, "trigger_words": ["go"],
                                            "callback_urls": ["https://vendor.example/ok/hook"]}),
                ("/api/v4/hooks/outgoing", {"team_id": team, "trigger_words": ["leak"],
                                            "callback_urls": ["https://vendor.example/ok/x", "https://evil.example/x"]}),
                ("/api/v4/commands", {"team_id": team, "trigger": "fine", "method": "P",
                                      "url": "https://vendor.example/ok/cmd"}),
                ("/api/v4/commands", {"team_id": team, "trigger": "exfil", "method": "G",
                                      "url": "https://evil.example/cmd"})):
            r = httpx.post(sim.url + path, json=body, headers=admin, timeout=10)
            assert r.status_code == 201, r.text
            made.append(r.json()["id"])
        gw = start_gateway(sim, tmp_path / "gw", config_dir=config,
                           env={"DLP_INTEGRATION_URLS": "https://vendor.example/ok/"})
        try:
            found = _wait(lambda: [r for r in archive_records(gw.data_dir)
                                   if r.get("reason") == "integration-registration-not-allowed"], "the audit records")
            _wait(lambda: len([r for r in archive_records(gw.data_dir)
                               if r.get("reason") == "integration-registration-not-allowed"]) == 2, "both")
            found = [r for r in archive_records(gw.data_dir) if r.get("reason") == "integration-registration-not-allowed"]
            text = json.dumps(found)
            assert made[1] in text and made[3] in text and made[0] not in text and made[2] not in text
            assert "evil.example" not in text  # the URL is not archived
            _wait(lambda: len([p for p in sim.posts() if p["channel_id"] == alerts and "not on the allowlist" in p["message"]])
                  == 2, "the alerts")
        finally:
            stop(gw.proc)
    finally:
        stop(sim.proc)
