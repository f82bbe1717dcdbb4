"""The quarantine service against a real redis-server (AOF, fsync always) and the
Mattermost simulator on a real socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from dlp_proxy.interfaces import QuarantineError
from dlp_proxy.quarantine import (
    Actor,
    Conflict,
    Forbidden,
    InvalidRequest,
    QuarantineService,
    QuarantineSettings,
)
from dlp_proxy.simulator.state import Simulator
from tests.test_quarantine_support import (
    IBAN,
    MASK_REASONS,
    MASTER,
    SSN,
    SSN_DIGITS,
    Clock,
    RedisServer,
    all_posts,
    ephemerals,
    make_held,
    redis_server,
    released_posts,
    simulator,
)

SAM = Actor("sam", frozenset({"reviewer", "approver"}), user_id="sam-id")
CAROL = Actor("carol", frozenset({"approver"}), user_id="carol-id")
RITA = Actor("rita", frozenset({"reviewer"}), user_id="rita-id")
AUDREY = Actor("audrey", frozenset({"auditor"}), user_id="audrey-id")


@pytest.fixture(scope="module")
def rserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def sim() -> Iterator[tuple[Simulator, str]]:
    with simulator() as s:
        yield s


@pytest.fixture
async def r(rserver: RedisServer) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(rserver.url)
    await client.flushall()
    yield client
    await client.aclose()


def service(r: aioredis.Redis, url: str, clock: Clock | None = None, **settings: Any) -> QuarantineService:
    defaults: dict[str, Any] = {"notify_token": "dlp-bot-token", "bot_token": "dlp-bot-token"}
    defaults.update(settings)
    return QuarantineService(
        r,
        master_key=MASTER, mask_text=MASK_REASONS,
        archive=None,
        upstream_url=url,
        settings=QuarantineSettings(**defaults),
        **({"clock": clock} if clock else {}),
    )


async def audit(r: aioredis.Redis) -> list[dict[str, Any]]:
    return await QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url="http://x").audit_log.records()


async def test_hold_list_show_masked_reveal_approve_release(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    s, url = sim
    svc = service(r, url)
    held = make_held(s)
    item_id = await svc.hold(held)
    assert svc.durability_mode == "aof-always"

    items = await svc.list_items()
    assert [i["id"] for i in items] == [item_id]
    assert items[0]["entity_types"] == ["IBAN_CODE", "US_SSN"]
    assert items[0]["sender_username"] == "alice" and items[0]["state"] == "held"

    shown = await svc.show(item_id, SAM)
    text = "".join(seg["text"] for seg in shown["content"][0]["segments"])
    assert SSN not in text and SSN_DIGITS[:5] not in text.replace("-", "")
    assert "***-**-8841" in text and IBAN not in text
    assert [seg["entity_type"] for seg in shown["content"][0]["segments"] if seg["entity_type"]] == [
        "US_SSN", "IBAN_CODE"]  # fmt: skip

    with pytest.raises(InvalidRequest):
        await svc.reveal(item_id, SAM, "short")
    with pytest.raises(Forbidden):
        await svc.reveal(item_id, AUDREY, "auditor wants to look at it")
    revealed = await svc.reveal(item_id, SAM, "confirm whether this is a client SSN")
    assert SSN in "".join(seg["text"] for seg in revealed["content"][0]["segments"])
    records = await audit(r)
    assert records[-1]["action"] == "reveal" and records[-1]["reason"] == "confirm whether this is a client SSN"
    assert records[-1]["actor"]["name"] == "sam" and records[-1]["quarantine_record_id"] == held.record_id

    result = await svc.approve(item_id, SAM, "business need, client asked")
    assert result["state"] == "released" and result["released_via"] == "author"
    posts = released_posts(s)
    assert len(posts) == 1
    assert posts[0]["user_id"] == s.ids["users"]["alice"]
    assert posts[0]["channel_id"] == held.context.channel_id
    assert posts[0]["pending_post_id"] == held.idempotency_key
    assert posts[0]["message"] == held.decision.scanned[0].item.text
    # crypto-shred: no data key, no content, no credentials left
    h = await r.hgetall(f"dlp:quarantine:item:{item_id}")
    assert b"wk" not in h and b"ct" not in h
    assert not await r.exists(f"dlp:quarantine:cred:{item_id}")
    assert (await svc.show(item_id, SAM))["content"] is None
    notes = [e for e in ephemerals(s) if e["ephemeral_target_user_id"] == s.ids["users"]["alice"]]
    assert len(notes) == 1 and "released" in notes[0]["message"] and SSN not in notes[0]["message"]
    actions = [rec["action"] for rec in await audit(r)]
    assert actions == ["reveal", "approve", "released"]
    # approving again is a conflict, never a second post
    with pytest.raises(Conflict):
        await svc.approve(item_id, SAM, "again")
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_reject_notifies_and_shreds_without_posting(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    item_id = await svc.hold(make_held(s))
    with pytest.raises(InvalidRequest):
        await svc.reject(item_id, RITA, "")
    out = await svc.reject(item_id, RITA, "client data in a chat channel")
    assert out["state"] == "rejected" and out["shredded"] and out["decided_by"] == "rita"
    assert released_posts(s) == []
    notes = ephemerals(s)
    assert len(notes) == 1 and "not released" in notes[0]["message"] and "Social Security" in notes[0]["message"]
    assert (await audit(r))[-1]["action"] == "reject"
    assert await svc.list_items() == []  # default: active items only
    assert [i["id"] for i in await svc.list_items(state="all")] == [item_id]
    await svc.close()


def _dms(s: Simulator) -> list[str]:
    """The service's own posts to the sender (outcome DMs: quarantine/notices.py)."""
    return [p["message"] for p in all_posts(s) if (p.get("props") or {}).get("from_dlp_proxy")]


async def test_a_pasted_identifier_in_a_reason_is_masked_in_the_archive_and_the_dm(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    s, url = sim
    svc = service(r, url)
    rejected = await svc.hold(make_held(s))
    commented = await svc.hold(make_held(s))
    await svc.comment(commented, RITA, f"is {SSN} the client's?")
    await svc.reject(rejected, RITA, f"client SSN {SSN} in a channel")
    await svc.purge(commented, Actor("ada", frozenset({"admin"}), user_id="ada-id"), f"duplicate of {SSN}", force=True)
    records = [x for x in await audit(r) if x["action"] in ("comment", "reject", "purge")]
    assert [x["action"] for x in records] == ["comment", "reject", "purge"]
    (dm,) = [m for m in _dms(s) if rejected in m]
    (dm_reason,) = [line for line in dm.splitlines() if line.startswith("Reviewer's reason:")]
    # the reasons had no digit but the SSN's: none is left
    for text in [x["reason"] for x in records] + [dm_reason]:
        assert not any(ch.isdigit() for ch in text), text
    assert SSN not in dm and SSN_DIGITS not in dm.replace("-", "")
    assert "client SSN ***-**-**** in a channel" in dm and records[1]["reason"] == "client SSN ***-**-**** in a channel"
    await svc.close()


async def test_notes_are_masked_for_a_viewer_who_may_not_reveal(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    # attack 16h F6: an auditor read a reviewer's comment and reveal reason in clear
    # while the item was open (the archive's copy was masked)
    s, url = sim
    svc = service(r, url)
    item_id = await svc.hold(make_held(s))
    await svc.comment(item_id, RITA, f"is {SSN} the client's?")
    await svc.reveal(item_id, SAM, f"checking {SSN} against the CRM")
    for viewer in (AUDREY, RITA, SAM):
        notes = [h["note"] for h in (await svc.show(item_id, viewer))["history"] if h.get("note")]
        assert len(notes) == 2, notes
        if viewer.can("reveal"):  # who may reveal the content may read what reviewers typed
            assert any(SSN in n for n in notes)
        else:
            assert all(SSN not in n and SSN_DIGITS not in n.replace("-", "") for n in notes), notes
            assert "is ***-**-**** the client's?" in notes
    assert not AUDREY.can("reveal") and SAM.can("reveal")
    await svc.close()


@pytest.mark.parametrize("masker", ["none", "broken"])
async def test_a_reason_that_cannot_be_checked_is_withheld_never_kept_in_clear(
    r: aioredis.Redis, sim: tuple[Simulator, str], masker: str
) -> None:
    def broken(text: str) -> str:
        raise RuntimeError("detector configuration broken")

    s, url = sim
    svc = service(r, url)
    svc.mask_text = None if masker == "none" else broken
    item_id = await svc.hold(make_held(s))
    await svc.reject(item_id, RITA, f"client SSN {SSN} in a channel")
    (rec,) = [x for x in await audit(r) if x["action"] == "reject"]
    (dm,) = [m for m in _dms(s) if item_id in m]
    assert rec["reason"] == "[reason withheld: could not be checked]"
    assert "Reviewer's reason: [reason withheld: could not be checked]" in dm and SSN not in dm
    # the service's own reasons (expiry, release errors) are not a person's text: kept
    clock = Clock()
    svc2 = service(r, url, clock=clock, expire_after=60)
    svc2.mask_text = svc.mask_text
    late = await svc2.hold(make_held(s))
    clock.t += 61
    await svc2.expire_due()
    assert [x["reason"] for x in await audit(r) if x["item_id"] == late] == ["undecided past the review deadline"]
    await svc.close()
    await svc2.close()


@pytest.mark.parametrize(
    ("actor", "action", "allowed"),
    [
        (AUDREY, "approve", False),
        (AUDREY, "reject", False),
        (AUDREY, "comment", False),
        (AUDREY, "reveal", False),
        (RITA, "approve", False),
        (RITA, "reject", True),
        (RITA, "comment", True),
        (CAROL, "approve", True),
        (Actor("root", frozenset({"admin"}), user_id="root-id"), "approve", True),
        (Actor("nobody", frozenset()), "reject", False),
    ],
)
async def test_role_table(
    r: aioredis.Redis, sim: tuple[Simulator, str], actor: Actor, action: str, allowed: bool
) -> None:
    s, url = sim
    svc = service(r, url)
    item_id = await svc.hold(make_held(s))
    call = {
        "approve": lambda: svc.approve(item_id, actor, "looks fine to me"),
        "reject": lambda: svc.reject(item_id, actor, "not allowed here"),
        "comment": lambda: svc.comment(item_id, actor, "asked the sender"),
        "reveal": lambda: svc.reveal(item_id, actor, "need to see the value"),
    }[action]
    if allowed:
        await call()
    else:
        with pytest.raises(Forbidden):
            await call()
        assert (await svc.get(item_id))["state"] == "held"
    await svc.close()


async def test_self_approval_refused_by_principal(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """Self-approval compares principals (the person's Mattermost user id), whatever
    the account is called; an actor with no principal may not approve at all."""
    s, url = sim
    svc = service(r, url)
    item_id = await svc.hold(make_held(s, sender="sam"))
    by_id = Actor("sam-renamed", frozenset({"approver"}), user_id=s.ids["users"]["sam"])
    with pytest.raises(Forbidden, match="own message"):
        await svc.approve(item_id, by_id, "I know this one")
    sams_break_glass = Actor("bg-ops", frozenset({"admin"}), user_id=s.ids["users"]["sam"], via="break-glass")
    with pytest.raises(Forbidden, match="own message"):
        await svc.approve(item_id, sams_break_glass, "mine")
    with pytest.raises(Forbidden, match="no principal"):
        await svc.approve(item_id, Actor("sam", frozenset({"admin"}), via="break-glass"), "mine")
    assert (await svc.get(item_id))["state"] == "held" and released_posts(s) == []
    await svc.approve(item_id, CAROL, "carol approves for sam")
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_an_item_without_a_signed_in_sender_is_its_webhooks_creators_or_nobodys(
        r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """An incoming webhook's message is its creator's (app/webhook.go CreateWebhookPost posts
    as the hook's user): the creator may not approve it.  With neither a user nor a hook, no
    approval can be shown not to be the sender's own: it can only be rejected."""
    from dataclasses import replace

    s, url = sim
    svc = service(r, url)
    base = make_held(s, sender="carol", channel="town_square")
    hooked = replace(base, context=replace(base.context, user_id=None, username=None,
                                           hook_id=s.ids["incoming_hook"], route_group="webhooks"))
    item_id = await svc.hold(hooked)
    carol = Actor("carol", frozenset({"approver"}), user_id=s.ids["users"]["carol"])
    with pytest.raises(Forbidden, match="own message"):
        await svc.approve(item_id, carol, "my hook, fine")
    sam = Actor("sam", frozenset({"approver"}), user_id=s.ids["users"]["sam"])
    assert (await svc.approve(item_id, sam, "carol's hook, approved by sam"))["state"] == "released"

    nobody = replace(base, context=replace(base.context, user_id=None, username=None, hook_id=None))
    anon = await svc.hold(nobody)
    for actor in (carol, sam):
        with pytest.raises(Forbidden, match="sender is unknown"):
            await svc.approve(anon, actor, "looks fine to me")
    assert (await svc.get(anon))["state"] == "held"
    await svc.reject(anon, sam, "unknown sender")
    assert (await svc.get(anon))["state"] == "rejected"
    await svc.close()


# ------------------------------------------------------------------ whoever controls the sending identity

def _as(held: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(held, context=replace(held.context, **changes))


async def test_a_bot_given_away_after_the_hold_is_still_its_owners_message(
        r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """The bot's owner when the message was held is recorded with it (attack F4): carol
    sends through her bot, gives the bot to bob (POST /bots/{id}/assign/{user_id}) and
    may still not approve; bob, who controls the bot now, may not either."""
    s, url = sim
    holder = service(r, url)
    item_id = await holder.hold(_as(make_held(s, sender="dlp-bot", channel="town_square"), is_bot=True))
    await holder.close()
    with s.lock:
        s.bots[s.ids["users"]["dlp-bot"]]["owner_id"] = s.ids["users"]["bob"]
    console = service(r, url)  # another process: nothing cached from the hold
    for who in ("carol", "bob"):
        with pytest.raises(Forbidden, match="own message"):
            await console.approve(item_id, Actor(who, frozenset({"approver"}), user_id=s.ids["users"][who]),
                                  "fine by me")
    assert (await console.get(item_id))["state"] == "held" and released_posts(s) == []
    sam = Actor("sam", frozenset({"approver"}), user_id=s.ids["users"]["sam"])
    assert (await console.approve(item_id, sam, "neither owner"))["state"] == "released"
    await console.close()


async def test_a_webhooks_message_is_its_owners_whatever_token_it_carried(
        r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """Mattermost posts an incoming webhook's message as the hook's user and ignores a
    token sent along: carol's hook called with alice's token is still carol's message
    (attack F4); once recorded, deleting the hook does not block other approvers."""
    s, url = sim
    svc = service(r, url)
    hooked = _as(make_held(s, sender="alice", channel="town_square"), hook_id=s.ids["incoming_hook"],
                 route="hooks.incoming", route_group="webhooks")
    item_id = await svc.hold(hooked)
    carol = Actor("carol", frozenset({"approver"}), user_id=s.ids["users"]["carol"])
    with pytest.raises(Forbidden, match="own message"):
        await svc.approve(item_id, carol, "my hook, fine")
    with s.lock:
        s.incoming_hooks[s.ids["incoming_hook"]]["delete_at"] = 1
    console = service(r, url)
    with pytest.raises(Forbidden, match="own message"):
        await console.approve(item_id, carol, "the hook is gone now")
    sam = Actor("sam", frozenset({"approver"}), user_id=s.ids["users"]["sam"])
    assert (await console.approve(item_id, sam, "carol's hook, approved by sam"))["state"] == "released"
    await svc.close()
    await console.close()


async def test_controllers_unread_at_hold_time_need_two_approvers(
        r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """The bot's owner could not be read when the message was held (the lookup token may
    not read other people's bots): the item is held, needs two people even without
    four-eyes, and neither may be the owner Mattermost names at approval time."""
    s, url = sim
    weak = service(r, url, notify_token=s.ids["tokens"]["alice"], bot_token=None)
    item_id = await weak.hold(_as(make_held(s, sender="dlp-bot", channel="town_square"), is_bot=True))
    await weak.close()
    svc = service(r, url)
    shown = await svc.get(item_id)
    assert shown["approvals_required"] == 2 and shown["controllers_known"] is False
    with pytest.raises(Forbidden, match="own message"):
        await svc.approve(item_id, Actor("carol", frozenset({"approver"}), user_id=s.ids["users"]["carol"]), "fine")
    sam = Actor("sam", frozenset({"approver"}), user_id=s.ids["users"]["sam"])
    assert (await svc.approve(item_id, sam, "first look"))["state"] == "awaiting_second"
    assert released_posts(s) == []
    bob = Actor("bob", frozenset({"approver"}), user_id=s.ids["users"]["bob"])
    assert (await svc.approve(item_id, bob, "second person"))["state"] == "released"
    await svc.close()


async def test_a_command_response_is_never_shown_not_to_be_an_approvers_own(
        r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """A slash command's response hook: the command's creator wrote the answer and
    Mattermost never serves the hook (model.CommandWebhook): nobody may approve it."""
    s, url = sim
    svc = service(r, url)
    held = _as(make_held(s, sender="alice", channel="town_square"), user_id=None, username=None,
               hook_id=s.ids["command_hook"], route="hooks.command_response", route_group="webhooks")
    item_id = await svc.hold(held)
    for who in ("carol", "sam", "bob"):
        with pytest.raises(Forbidden):
            await svc.approve(item_id, Actor(who, frozenset({"approver"}), user_id=s.ids["users"][who]), "fine")
    assert (await svc.get(item_id))["state"] == "held"
    await svc.close()


async def test_four_eyes_needs_two_distinct_approvers(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url, four_eyes=True)
    item_id = await svc.hold(make_held(s))
    first = await svc.approve(item_id, SAM, "ok for me")
    assert first["state"] == "awaiting_second" and first["approvals"] == ["sam"]
    assert released_posts(s) == []
    with pytest.raises(Forbidden, match="second approver"):
        await svc.approve(item_id, SAM, "still ok")
    same_person = Actor("sam-alt", frozenset({"approver"}), user_id="sam-id")
    with pytest.raises(Forbidden):
        await svc.approve(item_id, same_person, "same mattermost user")
    second = await svc.approve(item_id, CAROL, "agree")
    assert second["state"] == "released" and second["approvals"] == ["sam", "carol"]
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_two_reviewers_at_once_exactly_one_outcome(
    rserver: RedisServer, r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    s, url = sim
    r2 = aioredis.Redis.from_url(rserver.url)
    a, b = service(r, url), service(r2, url)
    ids = [await a.hold(make_held(s)) for _ in range(12)]

    async def act(svc: QuarantineService, actor: Actor, kind: str, item_id: str) -> str:
        try:
            if kind == "approve":
                await svc.approve(item_id, actor, "fine")
            else:
                await svc.reject(item_id, actor, "not fine")
            return kind
        except Conflict:
            return "conflict"

    for n, item_id in enumerate(ids):
        kinds = ("approve", "reject") if n % 2 else ("approve", "approve")
        res = await asyncio.gather(act(a, SAM, kinds[0], item_id), act(b, CAROL, kinds[1], item_id))
        assert sorted(res).count("conflict") == 1, res
        winner = next(x for x in res if x != "conflict")
        state = (await a.get(item_id))["state"]
        assert state == ("released" if winner == "approve" else "rejected")
    pending = [p["pending_post_id"] for p in released_posts(s)]
    assert len(pending) == len(set(pending))
    approved = [i for i in ids if (await a.get(i))["state"] == "released"]
    assert len(pending) == len(approved)
    await a.close()
    await b.close()
    await r2.aclose()


async def test_expiry_rejects_and_tells_sender_or_escalates(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, expire_after=600)
    old = await svc.hold(make_held(s))
    clock.t += 300
    young = await svc.hold(make_held(s))
    assert await svc.expire_due() == {"expired": 0, "escalated": 0, "retried": 0, "unknown": 0}
    clock.t += 301
    assert (await svc.expire_due())["expired"] == 1
    assert (await svc.get(old))["state"] == "expired" and (await svc.get(old))["shredded"]
    assert (await svc.get(young))["state"] == "held"
    assert "not reviewed in time" in ephemerals(s)[0]["message"]
    rec = (await audit(r))[-1]
    assert rec["action"] == "expire" and rec["actor"]["name"] == "system"

    esc = service(r, url, clock, expire_after=600, on_expiry="escalate", escalate_after=100)
    clock.t += 300
    assert (await esc.expire_due())["escalated"] == 1
    item = await esc.get(young)
    assert item["state"] == "held" and item["escalated"]
    clock.t += 101
    assert (await esc.expire_due())["expired"] == 1
    assert (await esc.get(young))["state"] == "expired"
    assert released_posts(s) == []
    await svc.close()
    await esc.close()


async def test_failed_release_is_visible_and_retried_once(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, retry_base=30)
    item_id = await svc.hold(make_held(s))
    import httpx

    async with httpx.AsyncClient() as c:
        await c.post(url + "/__sim/faults", json={"status": 500, "path_prefix": "/api/v4/posts", "method": "POST",
                                                   "count": 1})  # fmt: skip
    out = await svc.approve(item_id, SAM, "fine")
    assert out["state"] == "release_failed" and "500" in out["release_error"]
    assert out["release_attempts"] == 1 and not out["shredded"]
    assert [i["id"] for i in await svc.list_items(state="release_failed")] == [item_id]
    assert (await svc.expire_due())["retried"] == 0  # not due yet
    clock.t += 31
    assert (await svc.expire_due())["retried"] == 1
    item = await svc.get(item_id)
    assert item["state"] == "released" and item["release_attempts"] == 2 and item["shredded"]
    assert len(released_posts(s)) == 1
    clock.t += 3600
    await svc.expire_due()
    assert len(released_posts(s)) == 1
    actions = [rec["action"] for rec in await audit(r)]
    assert actions == ["approve", "release_failed", "released"]
    await svc.close()


async def test_expired_credentials_release_through_bot_with_attribution(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    s, url = sim
    svc = service(r, url, credential_ttl=0.2)
    held = make_held(s)
    item_id = await svc.hold(held)
    await asyncio.sleep(0.4)
    out = await svc.approve(item_id, SAM, "fine")
    assert out["state"] == "released" and out["released_via"] == "bot"
    (post,) = released_posts(s)
    bot_id = next(uid for uid, u in s.users.items() if u["username"] == "dlp-bot")
    assert post["user_id"] == bot_id and post["channel_id"] == held.context.channel_id
    assert "Released by security review; originally from @alice" in post["message"]
    assert post["props"]["dlp_original_user_id"] == s.ids["users"]["alice"]

    nobot = service(r, url, credential_ttl=0.2, bot_token=None)
    item2 = await nobot.hold(make_held(s))
    await asyncio.sleep(0.4)
    out2 = await nobot.approve(item2, SAM, "fine")
    assert out2["state"] == "release_failed" and "credentials expired" in out2["release_error"]
    await svc.close()
    await nobot.close()


async def test_revoked_token_falls_back_to_bot(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    item_id = await svc.hold(make_held(s, token="revoked-token"))
    out = await svc.approve(item_id, SAM, "fine")
    assert out["state"] == "released" and out["released_via"] == "bot"
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_same_idempotency_key_released_once(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    a = await svc.hold(make_held(s, pending="pend-1"))
    b = await svc.hold(make_held(s, pending="pend-1"))
    await svc.approve(a, SAM, "fine")
    out = await svc.approve(b, SAM, "fine")
    assert out["state"] == "released" and out["released_via"] == "duplicate"
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_thread_reply_released_into_its_thread(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    root = s.create_post({"channel_id": s.ids["channels"]["private"], "message": "root"}, s.ids["users"]["bob"])
    svc = service(r, url)
    item_id = await svc.hold(make_held(s, root_id=root["id"]))
    await svc.approve(item_id, SAM, "fine")
    reply = [p for p in released_posts(s) if p["id"] != root["id"]]
    assert len(reply) == 1 and reply[0]["root_id"] == root["id"]
    await svc.close()


async def test_comment_and_bulk(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    ids = [await svc.hold(make_held(s)) for _ in range(3)]
    await svc.comment(ids[0], RITA, "asked alice on the phone")
    shown = await svc.show(ids[0], AUDREY)
    assert [h["note"] for h in shown["history"] if h["action"] == "comment"] == ["asked alice on the phone"]
    res = await svc.bulk([*ids, "nope"], "reject", RITA, "bulk clean-up")
    assert [x["ok"] for x in res] == [True, True, True, False]
    assert [(await svc.get(i))["state"] for i in ids] == ["rejected"] * 3
    # after the shred the note is not shown from Redis; the archive has it (the console
    # shows it from there, masked: review/context.py)
    shown = await svc.show(ids[0], AUDREY)
    assert [h.get("note_shredded") for h in shown["history"] if h["action"] == "comment"] == [True]
    assert any(rec["reason"] == "asked alice on the phone" for rec in await audit(r))
    with pytest.raises(InvalidRequest):
        await svc.bulk(ids, "explode", RITA, "x")
    await svc.close()


@pytest.mark.parametrize(
    ("field", "value", "expect"),
    [
        ("channel", "trading", 1),
        ("channel", "town-square", 1),
        ("team", "acme", 2),
        ("entity", "US_SSN", 1),
        ("entity", "IBAN_CODE", 2),
        ("sender", "@bob", 1),
        ("sender", "alice", 1),
        ("min_age", 100, 1),
        ("max_age", 100, 1),
    ],
)
async def test_list_filters(
    r: aioredis.Redis, sim: tuple[Simulator, str], field: str, value: Any, expect: int
) -> None:
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock)
    await svc.hold(make_held(s, sender="alice", channel="private"))
    clock.t += 200
    await svc.hold(make_held(s, sender="bob", channel="town_square", text=f"IBAN {IBAN} only"))
    assert len(await svc.list_items(**{field: value})) == expect
    await svc.close()


async def test_abandoned_claim_goes_to_the_next_reviewer(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url, claim_idle=0.3)
    a = await svc.hold(make_held(s))
    b = await svc.hold(make_held(s))
    assert await svc.claim_next(SAM) == [a]
    assert await svc.claim_next(CAROL) == [b]
    assert await svc.claim_next(RITA) == []
    await asyncio.sleep(0.4)  # sam vanished
    assert await svc.claim_next(RITA) == [a]
    assert (await svc.get(a))["claimed_by"] == "rita"
    await svc.reject(b, CAROL, "not allowed")
    await asyncio.sleep(0.4)
    assert await svc.claim_next(SAM) == [a]  # b decided: acked, never handed out again
    await svc.close()


async def test_redis_without_fsync_always_is_refused(tmp_path: Path, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    with redis_server(tmp_path / "r", appendfsync="everysec") as server:
        client = aioredis.Redis.from_url(server.url)
        svc = service(client, url)
        with pytest.raises(QuarantineError, match="appendfsync=everysec"):
            await svc.hold(make_held(s))
        assert await client.dbsize() == 0
        trusting = service(client, url, durability="trust")
        assert await trusting.hold(make_held(s))
        await client.aclose()


async def test_master_key_rotation_rewraps_without_touching_content(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    s, url = sim
    svc = service(r, url)
    ids = [await svc.hold(make_held(s)) for _ in range(3)]
    await svc.reject(ids[2], RITA, "not allowed", verdict="true_positive")  # shredded: nothing to re-wrap
    before = {i: await r.hget(f"dlp:quarantine:item:{i}", "ct") for i in ids}
    new = bytes(range(100, 132))
    assert await svc.rotate_master_key(MASTER, new) == 2
    for i in ids:
        assert await r.hget(f"dlp:quarantine:item:{i}", "ct") == before[i]
    fresh = QuarantineService(r, master_key=new, archive=None, upstream_url=url)
    assert SSN in json.dumps((await fresh.reveal(ids[0], SAM, "verify after key rotation"))["content"])
    # what outlives the shred (the masked example a verdict labels) is re-sealed too,
    # and a live item's notes
    assert [x["id"] for x in await fresh.verdict_examples()] == [ids[2]]
    stale = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=url)
    with pytest.raises(QuarantineError, match="not loaded"):
        await stale.show(ids[0], SAM)
    await svc.approve(ids[1], SAM, "fine")
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_redis_files_hold_no_readable_identifier(
    rserver: RedisServer, r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    s, url = sim
    svc = service(r, url)
    ids = [await svc.hold(make_held(s)) for _ in range(3)]
    await svc.comment(ids[0], RITA, f"sender confirmed {SSN} belongs to the client")
    await svc.reveal(ids[1], SAM, f"check {SSN} against the CRM record")
    await svc.reject(ids[2], RITA, "not allowed")
    raw_aof = rserver.files_bytes()
    await r.bgrewriteaof()
    await r.save()
    for _ in range(100):
        info = await r.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            break
        await asyncio.sleep(0.05)
    files = rserver.files_bytes()
    assert (rserver.dir / "dump.rdb").exists()
    assert b"dlp:quarantine:item:" in files  # the items are really in there
    for blob in (raw_aof, files):
        for needle in (SSN, SSN_DIGITS, IBAN, "CLIENT SSN", "Client SSN is", "alice-token"):
            assert needle.encode() not in blob, needle
            assert needle.lower().encode() not in blob.lower(), needle
    await svc.close()


# ------------------------------------------------------------ interrupted releases
async def _fault(url: str, **fault: Any) -> None:
    import httpx

    async with httpx.AsyncClient() as c:
        r = await c.post(url + "/__sim/faults", json={"path_prefix": "/api/v4/posts", "method": "POST", **fault})
        assert r.status_code == 201, r.text


@pytest.mark.parametrize("landed", [False, True])
async def test_forced_retry_never_settles_on_another_items_post(
    r: aioredis.Redis, sim: tuple[Simulator, str], landed: bool
) -> None:
    """Two held messages with the same text, sender, channel and thread.  The first
    is released; the second's send times out (it lands, or Mattermost fails it).  The
    forced retry must find the second's own post, or send it: never take the first's."""
    s, url = sim
    svc = service(r, url, release_timeout=0.3)
    first, second = make_held(s, pending="pend-first"), make_held(s, pending="pend-second")
    assert first.body.replace(b"pend-first", b"") == second.body.replace(b"pend-second", b"")
    a, b = await svc.hold(first), await svc.hold(second)
    released_a = await svc.approve(a, SAM, "fine")
    assert released_a["state"] == "released"

    # the second release: sent, then no answer in time
    await _fault(url, delay_ms=1000, count=1, **({} if landed else {"status": 503}))
    out = await svc.approve(b, SAM, "fine")
    assert out["state"] == "release_unknown", out
    await asyncio.sleep(1.2)  # Mattermost finishes the slow request (creates the post, or not)
    assert len(released_posts(s)) == (2 if landed else 1)

    forced = await svc.retry_release(b, SAM, "checked the channel, retry", force=True)
    assert forced["state"] == "released", forced
    assert forced["released_via"] == ("found" if landed else "author"), forced
    assert forced["released_post_id"] != released_a["released_post_id"]
    posts = {p["pending_post_id"]: p for p in released_posts(s)}
    assert sorted(posts) == ["pend-first", "pend-second"]  # each delivered, once
    assert posts["pend-second"]["id"] == forced["released_post_id"]
    assert posts["pend-first"]["id"] == released_a["released_post_id"]
    for item_id, p in ((a, posts["pend-first"]), (b, posts["pend-second"])):
        assert p["props"]["dlp_release_id"] == item_id
        assert p["message"] == first.decision.scanned[0].item.text  # what the reader sees is unchanged
    await svc.close()


async def test_bot_release_is_tagged_with_its_item(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)
    item_id = await svc.hold(make_held(s, token="revoked-token"))
    assert (await svc.approve(item_id, SAM, "fine"))["released_via"] == "bot"
    (post,) = released_posts(s)
    assert post["props"]["dlp_release_id"] == item_id and post["props"]["dlp_released"] is True
    await svc.close()


def _fail_once(r: aioredis.Redis, method: str, when: Any) -> list[str]:
    """Make ``r.<method>`` raise ConnectionError once, the first time ``when(*args)``
    (awaited) is true: Redis lost at exactly that step.  Returns a log of failures."""
    real = getattr(r, method)
    fired: list[str] = []

    async def wrapper(*args: Any, **kw: Any) -> Any:
        if not fired and await when(*args):
            fired.append(method)
            raise RedisConnectionError("Connection closed by server.")
        return await real(*args, **kw)

    setattr(r, method, wrapper)
    return fired


async def _state(r: aioredis.Redis, item_id: str) -> str:
    raw = await r.hget(f"dlp:quarantine:item:{item_id}", "state")
    return raw.decode() if raw else ""


@pytest.mark.parametrize("step", ["reread", "credentials"])
async def test_redis_lost_after_release_begun_puts_it_back(
    r: aioredis.Redis, sim: tuple[Simulator, str], step: str
) -> None:
    """Redis drops the connection after the release was begun but before anything
    was sent: the item goes back to release_failed and is retried, never left
    'releasing' with nothing sent."""
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, retry_base=30)
    item_id = await svc.hold(make_held(s))
    if step == "reread":
        fired = _fail_once(r, "hgetall", lambda key: _is_releasing(r, key))
    else:
        fired = _fail_once(r, "get", _is_cred_key)
    out = await svc.approve(item_id, SAM, "fine")
    assert fired, "the failure was not injected"
    assert out["state"] == "release_failed" and "before sending" in out["release_error"], out
    assert released_posts(s) == []
    assert not await r.zscore("dlp:quarantine:releasing", item_id)
    clock.t += 31
    assert (await svc.expire_due())["retried"] == 1
    item = await svc.get(item_id)
    assert item["state"] == "released" and item["released_via"] == "author", item
    assert len(released_posts(s)) == 1
    clock.t += 3600
    await svc.expire_due()
    assert len(released_posts(s)) == 1
    await svc.close()


async def _is_releasing(r: aioredis.Redis, key: Any) -> bool:
    k = key.decode() if isinstance(key, bytes) else str(key)
    return k.startswith("dlp:quarantine:item:") and await _state(r, k.rsplit(":", 1)[1]) == "releasing"


async def _is_cred_key(key: Any) -> bool:
    return str(key).startswith("dlp:quarantine:cred:")


async def test_redis_lost_in_forced_retry_goes_back_to_unknown(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """The same loss during a forced retry of a release_unknown item: it stays
    release_unknown (its first send is still unaccounted for), nothing is sent,
    and it is never retried automatically."""
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, release_timeout=0.3, retry_base=30)
    item_id = await svc.hold(make_held(s))
    await _fault(url, delay_ms=1000, count=1, status=503)
    assert (await svc.approve(item_id, SAM, "fine"))["state"] == "release_unknown"
    await asyncio.sleep(1.2)
    fired = _fail_once(r, "hgetall", lambda key: _is_releasing(r, key))
    out = await svc.retry_release(item_id, SAM, "checked the channel, retry", force=True)
    assert fired and out["state"] == "release_unknown", out
    for _ in range(3):
        clock.t += 3600
        await svc.expire_due()
    assert (await svc.get(item_id))["state"] == "release_unknown"
    assert released_posts(s) == []
    out = await svc.retry_release(item_id, SAM, "checked the channel again", force=True)
    assert out["state"] == "released" and out["released_via"] == "author", out
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_retry_sweep_that_loses_redis_keeps_the_retry(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """The housekeeping sweep loses Redis while picking up a due retry: the next
    sweep still retries it (the item is not left release_failed with no retry)."""
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, retry_base=30)
    item_id = await svc.hold(make_held(s))
    await _fault(url, status=500, count=1)
    assert (await svc.approve(item_id, SAM, "fine"))["state"] == "release_failed"
    clock.t += 31

    async def is_item(key: Any) -> bool:
        return str(key) == f"dlp:quarantine:item:{item_id}"

    fired = _fail_once(r, "hgetall", is_item)
    with pytest.raises(RedisConnectionError):
        await svc.expire_due()
    assert fired
    clock.t += 31
    assert (await svc.expire_due())["retried"] == 1
    assert (await svc.get(item_id))["state"] == "released"
    assert len(released_posts(s)) == 1
    await svc.close()


async def test_redis_blink_after_release_tells_the_sender_once(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """Redis drops the connection while the outcome of a sent release is written:
    the release is recorded once and the sender is told once."""
    s, url = sim
    svc = service(r, url)
    item_id = await svc.hold(make_held(s))

    async def notify_status(key: Any, *args: Any) -> bool:
        return "notify_status" in args

    fired = _fail_once(r, "hset", notify_status)
    out = await svc.approve(item_id, SAM, "fine")
    assert fired and out["state"] == "released" and out["notify_status"].startswith("released: sent"), out
    assert len(released_posts(s)) == 1
    assert len([e for e in ephemerals(s) if "released" in e["message"]]) == 1
    assert [rec["action"] for rec in await audit(r)] == ["approve", "released"]
    await svc.close()


async def test_release_judged_again_refused_then_retried(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """The gateway's release check (gateway/rejudge.py) says no: nothing is sent, the
    item is release_refused with the reason (archived, on its history); it says it
    cannot tell: release_failed (retried); once it says yes, a retry releases."""
    from dlp_proxy.quarantine.delivery import ReleaseCheckUnavailable

    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, retry_base=30)
    answers: list[Any] = ["the channel is public now (rule npi-public); not delivered"]
    seen: list[Any] = []

    async def check(payload: Any, credentials: Any) -> str | None:
        seen.append((payload["method"], [k.lower() for hdrs in credentials for k, _ in hdrs]))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    svc.release_check = check
    item_id = await svc.hold(make_held(s))
    out = await svc.approve(item_id, SAM, "fine")
    assert out["state"] == "release_refused" and "public" in out["release_error"] and not out["shredded"]
    assert released_posts(s) == [] and seen[0][0] == "POST" and "authorization" in seen[0][1]
    assert (await svc.expire_due())["retried"] == 0  # never retried on its own
    history = [h["action"] for h in (await svc.show(item_id, SAM))["history"]]
    assert "release_refused" in history
    answers.append(ReleaseCheckUnavailable("Mattermost unreachable"))
    out = await svc.retry_release(item_id, CAROL, "channel is private again")
    assert out["state"] == "release_failed" and "judged again" in out["release_error"] and released_posts(s) == []
    answers.append(None)
    clock.t += 61  # second attempt: backoff doubled
    assert (await svc.expire_due())["retried"] == 1
    assert (await svc.get(item_id))["state"] == "released" and len(released_posts(s)) == 1
    actions = [rec["action"] for rec in await audit(r)]
    assert actions == ["approve", "release_refused", "retry_release", "release_failed", "released"]
    await svc.close()


async def test_a_refused_release_can_be_rejected(r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    s, url = sim
    svc = service(r, url)

    async def no(payload: Any, credentials: Any) -> str | None:
        return "stopped now"

    svc.release_check = no
    item_id = await svc.hold(make_held(s))
    assert (await svc.approve(item_id, SAM, "fine"))["state"] == "release_refused"
    out = await svc.reject(item_id, CAROL, "the channel is public now")
    assert out["state"] == "rejected" and out["shredded"] and released_posts(s) == []
    await svc.close()


async def test_forced_retry_from_a_console_that_does_not_deliver_is_judged_again_by_the_gateway(
        r: aioredis.Redis, sim: tuple[Simulator, str]) -> None:
    """The stand-alone console (``dlp-proxy review``: delivers=False, no policy) never
    sends a forced retry itself: it is queued, and the gateway's sweep makes it through
    its release check like every release (gateway/rejudge.py)."""
    s, url = sim
    clock = Clock()
    gateway = service(r, url, clock, release_timeout=0.3, retry_base=30)
    console = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=url,
                                settings=QuarantineSettings(notify_token="dlp-bot-token", bot_token="dlp-bot-token"),
                                clock=clock, delivers=False)
    seen: list[str] = []
    answers: list[str | None] = [None, "the channel is public now; not delivered", None]  # approve, forced, retry

    async def check(payload: Any, credentials: Any) -> str | None:
        seen.append(payload["method"])
        return answers.pop(0)

    gateway.release_check = check
    item_id = await gateway.hold(make_held(s))
    await _fault(url, delay_ms=1000, count=1, status=503)
    assert (await gateway.approve(item_id, SAM, "fine"))["state"] == "release_unknown"
    await asyncio.sleep(1.2)  # Mattermost failed the slow request: nothing landed
    seen.clear()
    out = await console.retry_release(item_id, SAM, "checked the channel, retry", force=True)
    assert out["state"] == "release_unknown" and released_posts(s) == [] and seen == []
    with pytest.raises(Conflict):
        await console._release(item_id, force=True)  # never, from a process that does not deliver
    clock.t += 1
    assert (await gateway.expire_due())["retried"] == 1
    out = await gateway.get(item_id)
    assert out["state"] == "release_refused" and "public" in out["release_error"] and seen == ["POST"]
    assert released_posts(s) == []
    # the queue is consumed: a later sweep does nothing; a retry once the channel is back releases
    assert (await gateway.expire_due())["retried"] == 0 and seen == ["POST"]
    out = await console.retry_release(item_id, CAROL, "channel is private again")
    clock.t += 1
    await gateway.expire_due()
    assert (await gateway.get(item_id))["state"] == "released" and len(released_posts(s)) == 1 and len(seen) == 2
    await gateway.close()
    await console.close()


@pytest.mark.parametrize("state", ["held", "awaiting_second", "rejected"])
async def test_a_release_retry_of_an_item_with_no_release_is_refused(
    r: aioredis.Redis, sim: tuple[Simulator, str], state: str
) -> None:
    # attack 16h: a retry on a held item answered 200 and archived a retry that did nothing
    s, url = sim
    svc = service(r, url, four_eyes=True)
    item_id = await svc.hold(make_held(s))
    if state == "awaiting_second":
        await svc.approve(item_id, SAM, "first approval")
    elif state == "rejected":
        await svc.reject(item_id, RITA, "not a business need")
    assert (await svc.get(item_id))["state"] == state
    before = [x for x in await audit(r) if x["action"] == "retry_release"]
    with pytest.raises(Conflict):
        await svc.retry_release(item_id, SAM, "retry the release please", force=True)
    assert [x for x in await audit(r) if x["action"] == "retry_release"] == before == []
    assert released_posts(s) == []
    await svc.close()


# ------------------------------------------------------------ the review deadline binds approvals
async def test_an_approval_past_the_deadline_expires_the_item_instead(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    """The sweep has not run (a stopped gateway, the seconds between sweeps): an
    approval at or after ``expires_at`` is refused (409 expired) and the item is
    expired as the sweep would (archived, sender told, shredded), never released."""
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, expire_after=600)
    item_id = await svc.hold(make_held(s))
    clock.t += 600  # exactly at the deadline: the sweep would expire it now
    with pytest.raises(Conflict) as exc:
        await svc.approve(item_id, SAM, "approved after the deadline")
    assert exc.value.state == "expired"
    item = await svc.get(item_id)
    assert item["state"] == "expired" and item["shredded"]
    assert [rec["action"] for rec in await audit(r)] == ["expire"]
    assert "not reviewed in time" in ephemerals(s)[0]["message"]
    assert await r.zscore("dlp:quarantine:open", item_id) is None
    assert released_posts(s) == []
    assert (await svc.expire_due())["expired"] == 0  # nothing left for the sweep
    await svc.close()


async def test_four_eyes_second_approval_past_the_deadline_is_refused(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, expire_after=600, four_eyes=True)
    item_id = await svc.hold(make_held(s))
    clock.t += 100
    assert (await svc.approve(item_id, SAM, "first approval in time"))["state"] == "awaiting_second"
    clock.t += 501
    with pytest.raises(Conflict):
        await svc.approve(item_id, CAROL, "second approval too late")
    assert (await svc.get(item_id))["state"] == "expired"
    assert [rec["action"] for rec in await audit(r)] == ["approve_first", "expire"]
    assert released_posts(s) == []
    await svc.close()


async def test_an_escalating_queue_escalates_a_late_approval_first(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    """With ``on_expiry: escalate`` the sweep would have escalated the item (a new
    deadline), so an approval just past the first deadline escalates it and counts."""
    s, url = sim
    clock = Clock()
    svc = service(r, url, clock, expire_after=600, on_expiry="escalate", escalate_after=100)
    item_id = await svc.hold(make_held(s))
    clock.t += 650
    assert (await svc.approve(item_id, SAM, "approved in the escalation window"))["state"] == "released"
    assert [rec["action"] for rec in await audit(r)] == ["escalate", "approve", "released"]
    late = await svc.hold(make_held(s))
    clock.t += 650
    await svc.expire_due()  # escalated
    clock.t += 101
    with pytest.raises(Conflict):
        await svc.approve(late, SAM, "past the escalation deadline too")
    assert (await svc.get(late))["state"] == "expired"
    await svc.close()


async def test_release_of_an_item_approved_late_is_refused_one_approved_in_time_goes_out(
    r: aioredis.Redis, sim: tuple[Simulator, str]
) -> None:
    """Approved before its deadline, released after it (the gateway was down): sent.
    Approved after its deadline (by a version that did not check it): expired at the
    release step, never sent."""
    s, url = sim
    clock = Clock()
    recorder = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=url,
                                 settings=QuarantineSettings(expire_after=600), clock=clock, delivers=False)
    gateway = service(r, url, clock, expire_after=600)
    in_time = await gateway.hold(make_held(s))
    late = await gateway.hold(make_held(s))
    clock.t += 500
    assert (await recorder.approve(in_time, SAM, "approved in time"))["state"] == "approved"
    assert (await recorder.approve(late, SAM, "stands for an old approval"))["state"] == "approved"
    # what an approval without the deadline check left: decided after expires_at
    await r.hset(f"dlp:quarantine:item:{late}", "expires_at", repr(clock.t - 1))
    clock.t += 3600
    await gateway.expire_due()
    assert (await gateway.get(in_time))["state"] == "released"
    assert (await gateway.get(late))["state"] == "expired"
    assert len(released_posts(s)) == 1
    records = await audit(r)
    assert [rec["action"] for rec in records if rec["item_id"] == late] == ["approve", "expire"]
    assert [rec["action"] for rec in records if rec["item_id"] == in_time] == ["approve", "released"]
    assert "approved after the review deadline" in [rec for rec in records if rec["item_id"] == late][-1]["reason"]
    await recorder.close()
    await gateway.close()
