"""QuarantineService.sender_report: the sender's report on the item (history, the
reviewer console) and in the archive; only the sender; kept after the item is decided."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dlp_proxy.quarantine import (
    Actor,
    Forbidden,
    InvalidRequest,
    NotFound,
    QuarantineService,
    QuarantineSettings,
)
from dlp_proxy.simulator.state import Simulator
from tests.test_quarantine_support import MASK_REASONS, MASTER, SSN, Clock, make_held
from tests.test_review_app import Env, env, rserver, sign_in, uid  # noqa: F401 - fixtures

ADMIN = Actor("carol", frozenset({"admin"}), user_id=uid("carol"), via="cli")


async def test_report_on_the_item_and_in_the_archive(env: Env) -> None:  # noqa: F811
    item_id = await env.svc.hold(make_held(env.sim))
    masked = "Client asked by phone, call back on ********0199"
    rec = await env.svc.sender_report(item_id, uid("alice"), "release_request", masked)
    records = await env.svc.audit_log.records()
    (report,) = [r for r in records if r.get("action") == "sender_release_request"]
    assert report["item_id"] == item_id and report["reason"] == masked and report["report_kind"] == "release_request"
    assert report["actor"]["user_id"] == uid("alice") and report["actor"]["via"] == "mattermost"
    assert report["state_at_report"] == "held"
    shown = await env.svc.show(item_id, ADMIN)
    (entry,) = [h for h in shown["history"] if h["action"] == "sender_release_request"]
    assert entry["note"] == masked and entry["record_id"] == rec and entry["actor"] == "alice"
    assert (await env.svc.get(item_id))["state"] == "held"  # a report decides nothing
    # the reviewer sees it on the item page
    async with httpx.AsyncClient(base_url=env.url) as carol:
        await sign_in(carol, "carol", "carol-password")
        page = (await carol.get(f"/items/{item_id}")).text
    assert "sender release request" in page and masked in page and SSN not in page


async def test_only_the_sender_and_known_kinds(env: Env) -> None:  # noqa: F811
    item_id = await env.svc.hold(make_held(env.sim))
    with pytest.raises(Forbidden):
        await env.svc.sender_report(item_id, uid("bob"), "false_positive", "not mine to report")
    with pytest.raises(Forbidden):
        await env.svc.sender_report(item_id, "", "false_positive", "no user at all")
    with pytest.raises(InvalidRequest):
        await env.svc.sender_report(item_id, uid("alice"), "approve", "a kind that does not exist")
    with pytest.raises(NotFound):
        await env.svc.sender_report("q0", uid("alice"), "false_positive", "no such item here")
    assert not [r for r in await env.svc.audit_log.records() if str(r.get("action")).startswith("sender_")]


async def test_a_report_after_the_decision_is_archived(env: Env) -> None:  # noqa: F811
    item_id = await env.svc.hold(make_held(env.sim))
    await env.svc.reject(item_id, ADMIN, "customer data in chat")
    await env.svc.sender_report(item_id, uid("alice"), "false_positive", "It was a ticket number, not an SSN")
    shown = await env.svc.show(item_id, ADMIN)
    (entry,) = [h for h in shown["history"] if h["action"] == "sender_false_positive"]
    assert entry.get("note") is None  # the item's key is destroyed: the text lives in the archive only
    (report,) = [r for r in await env.svc.audit_log.records() if r.get("action") == "sender_false_positive"]
    assert report["reason"] == "It was a ticket number, not an SSN" and report["state_at_report"] == "rejected"


def _bot_dm_posts(sim: Simulator, user: str) -> list[dict[str, Any]]:
    name = "__".join(sorted([uid("dlp-bot"), uid(user)]))
    with sim.lock:
        dm = [c["id"] for c in sim.channels.values() if c["type"] == "D" and c["name"] == name]
        return [dict(p) for p in sim.posts.values() if p["channel_id"] in dm]


async def test_outcome_dms_for_every_outcome(env: Env) -> None:  # noqa: F811
    clock = Clock()
    svc = QuarantineService(env.r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=env.svc.upstream_url, clock=clock,
                            settings=QuarantineSettings(notify_token="dlp-bot-token", bot_token="dlp-bot-token",
                                                        expire_after=600))
    rejected = await svc.hold(make_held(env.sim))
    released = await svc.hold(make_held(env.sim, text="Approved: SSN 536-22-1190"))
    expired = await svc.hold(make_held(env.sim, text="Never looked at: SSN 536-22-5521"))
    await svc.reject(rejected, ADMIN, "please use the secure channel")
    await svc.approve(released, ADMIN, "client consent on file")
    clock.t += 601
    assert (await svc.expire_due())["expired"] == 1
    by_item = {p["props"]["dlp_item_id"]: p for p in _bot_dm_posts(env.sim, "alice")}
    assert by_item[rejected]["props"]["dlp_outcome"] == "rejected"
    assert "Reviewer's reason: please use the secure channel" in by_item[rejected]["message"]
    assert by_item[released]["props"]["dlp_outcome"] == "released" and "**released**" in by_item[released]["message"]
    assert by_item[expired]["props"]["dlp_outcome"] == "expired" and "not reviewed in time" in by_item[expired]["message"]
    assert all(p["user_id"] == uid("dlp-bot") for p in by_item.values())
    assert not any(s in p["message"] for p in by_item.values() for s in (SSN, "536-22-1190", "536-22-5521"))
    assert (await env.r.hget(f"dlp:quarantine:item:{rejected}", "dm_status")) == b"rejected: sent"
    # a failing Mattermost: the outcome stands, the failure is on the item
    other = await svc.hold(make_held(env.sim, text="One more: SSN 536-22-7002"))
    failing = QuarantineService(env.r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url="http://127.0.0.1:9", clock=clock,
                                settings=QuarantineSettings(notify_token="dlp-bot-token"))
    await failing.reject(other, ADMIN, "not this one")
    assert (await failing.get(other))["state"] == "rejected"
    assert (await env.r.hget(f"dlp:quarantine:item:{other}", "dm_status")).startswith(b"rejected: failed")
    await svc.close()
    await failing.close()
