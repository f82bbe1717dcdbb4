"""The reviewer console in a real headless browser (Debian's chromium driven by
Playwright): sign in, filter, reveal with a reason, approve.  Screenshots go to
test-artifacts/review/."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from dlp_proxy.quarantine import QuarantineService, QuarantineSettings
from dlp_proxy.review import ReviewSettings, create_app
from tests.test_quarantine_support import (
    IBAN,
    MASK_REASONS,
    MASTER,
    SSN,
    RedisServer,
    ServedApp,
    make_held,
    redis_server,
    released_posts,
    simulator,
)

CHROMIUM = os.environ.get("DLP_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "review"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="chromium not installed (apt-get install chromium)"),
]


@pytest.fixture
def console(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with redis_server(tmp_path / "redis") as rs, simulator() as (sim, sim_url):
        def svc(r: aioredis.Redis) -> QuarantineService:
            return QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=sim_url,
                                     settings=QuarantineSettings(notify_token="dlp-bot-token"))  # fmt: skip

        async def seed() -> list[str]:
            r = aioredis.Redis.from_url(rs.url)
            q = svc(r)
            ids = [
                await q.hold(make_held(sim, sender="alice", channel="private", created_at=q.clock() - 5 * 3600)),
                # one kind of identifier: low severity, due after 24 h, warned after 18 h
                await q.hold(make_held(sim, sender="bob", channel="town_square", text=f"Wire to {IBAN} please",
                                       created_at=q.clock() - 19 * 3600)),  # fmt: skip
                await q.hold(make_held(sim, sender="alice", channel="dm_alice_bob", text=f"my SSN {SSN} for the form")),
            ]
            await q.close()
            await r.aclose()
            return ids

        ids = asyncio.run(seed())
        app = create_app(svc(aioredis.Redis.from_url(rs.url)), upstream_url=sim_url,
                         settings=ReviewSettings(secure_cookies=False))  # fmt: skip
        with ServedApp(app) as served:
            yield {"url": served.url, "sim": sim, "ids": ids, "redis": rs}


def state_of(rs: RedisServer, item_id: str) -> str:
    async def get() -> str:
        r = aioredis.Redis.from_url(rs.url)
        q = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url="http://unused")
        state = (await q.get(item_id))["state"]
        await r.aclose()
        return str(state)

    return asyncio.run(get())


def test_sign_in_filter_reveal_approve(console: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url, sim, ids = console["url"], console["sim"], console["ids"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 820})
        page.goto(url + "/")
        expect(page).to_have_url(url + "/login")
        page.get_by_label("Username or email").fill("carol")
        page.get_by_label("Password").fill("carol-password")
        page.screenshot(path=str(ARTIFACTS / "01-login.png"))
        page.get_by_label("Password").press("Enter")  # keyboard submit
        expect(page.get_by_role("caption")).to_have_text("3 items")
        expect(page.locator(".age.sla-breach")).to_have_count(1)
        expect(page.locator(".age.sla-warn")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "02-queue.png"), full_page=True)

        page.get_by_label("Entity type").select_option("US_SSN")
        page.get_by_label("Sender").fill("alice")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("caption")).to_have_text("2 items")
        page.get_by_label("Channel").fill("trading-desk")
        page.get_by_label("Channel").press("Enter")
        expect(page.get_by_role("caption")).to_have_text("1 item")
        page.screenshot(path=str(ARTIFACTS / "03-filtered.png"), full_page=True)

        page.get_by_role("link", name=ids[0]).click()
        expect(page.locator("pre.text")).to_contain_text("***-**-8841")
        assert SSN not in page.content()
        page.get_by_label("Reason to reveal the values (recorded in the archive)").fill(
            "Confirm the SSN belongs to the client on file"
        )
        page.get_by_role("button", name="Reveal values").click()
        expect(page.locator("pre.text")).to_contain_text(SSN)
        expect(page.locator(".revealed")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "04-revealed.png"), full_page=True)

        page.get_by_label("Verdict (approve)").select_option("benign")
        page.get_by_label("Approval reason").fill("Client asked for it on a recorded line")
        page.get_by_role("button", name="Approve and release").click()
        expect(page.get_by_role("status")).to_contain_text("released")
        expect(page.locator(".badge.big")).to_have_text("released")
        assert SSN not in page.content()  # shredded: nothing left to show
        page.screenshot(path=str(ARTIFACTS / "05-approved.png"), full_page=True)
        browser.close()
    posts = released_posts(sim)
    assert len(posts) == 1 and SSN in posts[0]["message"]
    assert state_of(console["redis"], ids[0]) == "released"
    assert state_of(console["redis"], ids[2]) == "held"


def _sign_in(page: Any, url: str, login: str, password: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")


def item_field(rs: RedisServer, item_id: str, name: str) -> Any:
    async def get() -> Any:
        r = aioredis.Redis.from_url(rs.url)
        q = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url="http://unused")
        value = (await q.get(item_id))[name]
        await r.aclose()
        return value

    return asyncio.run(get())


def test_search_by_the_senders_reference_sort_and_pages(console: dict[str, Any]) -> None:
    """The sender quotes the reference from their notice (the request id); the
    analyst pastes it into the search box and finds the one item."""
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url, ids, rs = console["url"], console["ids"], console["redis"]
    ref = item_field(rs, ids[1], "request_id")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 820})
        _sign_in(page, url, "carol", "carol-password")
        expect(page.get_by_role("caption")).to_have_text("3 items")
        expect(page.locator("td.reqid")).to_have_count(3)  # the reference is on every item
        page.get_by_label("Search").fill(ref)
        page.get_by_label("Search").press("Enter")
        expect(page.get_by_role("caption")).to_have_text("1 item")
        expect(page.get_by_role("link", name=ids[1])).to_be_visible()
        expect(page.locator("td.reqid")).to_have_text([ref])
        page.screenshot(path=str(ARTIFACTS / "10-search-reference.png"), full_page=True)
        # an identifier pasted by mistake is refused, and not echoed
        page.get_by_label("Search").fill(SSN)
        page.get_by_label("Search").press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("not searched")
        assert SSN not in page.locator("main").inner_text()
        # sort by severity, one item a page: the medium hold first, then pages on
        page.get_by_label("Search").fill("")
        page.get_by_label("Sort by").select_option("severity")
        page.get_by_label("Per page").select_option("25")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator(".sev").first).to_have_text("medium")
        page.goto(url + "/?sort=-age&size=1")
        expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 of 3")
        expect(page.get_by_role("link", name=ids[2])).to_be_visible()
        page.get_by_role("link", name="Next →").click()
        expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 2 of 3")
        expect(page.get_by_role("link", name=ids[0])).to_be_visible()  # newest first: held 5 h ago
        page.screenshot(path=str(ARTIFACTS / "11-pages.png"), full_page=True)
        browser.close()


def test_assignment_and_my_items(console: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, ids, rs = console["url"], console["ids"], console["redis"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        sam = browser.new_context(viewport={"width": 1360, "height": 820}).new_page()
        _sign_in(sam, url, "sam", "sam-password")  # signing in makes sam assignable
        expect(sam.get_by_role("caption")).to_have_text("3 items")
        carol = browser.new_context(viewport={"width": 1360, "height": 820}).new_page()
        _sign_in(carol, url, "carol", "carol-password")
        carol.get_by_role("link", name=ids[0]).click()
        expect(carol.locator("dd.assignee")).to_have_text("nobody")
        carol.get_by_label("Assign to").select_option(label="sam")
        carol.get_by_role("button", name="Assign").click()
        expect(carol.get_by_role("status")).to_contain_text("Assigned")
        expect(carol.locator("dd.assignee")).to_have_text("sam")
        carol.screenshot(path=str(ARTIFACTS / "12-assigned.png"), full_page=True)
        # sam sees it under "my items"; a reviewer may take, not hand out
        sam.goto(url + "/")
        sam.get_by_role("link", name="my items").click()
        expect(sam.get_by_role("caption")).to_have_text("1 item")
        expect(sam.get_by_role("link", name=ids[0])).to_be_visible()
        expect(sam.get_by_role("link", name=ids[2])).to_have_count(0)
        sam.goto(url + f"/items/{ids[2]}")
        expect(sam.get_by_label("Assign to").locator("option")).to_have_text(["sam (me)"])
        sam.get_by_role("button", name="Assign").click()
        expect(sam.locator("dd.assignee")).to_have_text("sam")
        sam.screenshot(path=str(ARTIFACTS / "13-my-items.png"), full_page=True)
        browser.close()
    assert item_field(rs, ids[0], "assignee_name") == "sam"
    assert item_field(rs, ids[2], "assignee_name") == "sam"


def test_verdicts_in_the_console(console: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, ids, rs = console["url"], console["ids"], console["redis"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 820})
        _sign_in(page, url, "carol", "carol-password")
        page.get_by_role("link", name=ids[2]).click()
        # a decision needs a verdict: the browser will not send the form without one
        page.get_by_label("Rejection reason").fill("It is the sender's own SSN, but not in chat")
        page.get_by_role("button", name="Reject").click()
        expect(page.get_by_label("Verdict (reject)")).to_have_js_property("validity.valid", False)
        # (read with a plain client: Playwright's loop runs in this thread)
        assert redis.Redis.from_url(rs.url).hget(f"dlp:quarantine:item:{ids[2]}", "state") == b"held"
        page.get_by_label("Verdict (reject)").select_option("false_positive")
        page.get_by_role("button", name="Reject").click()
        expect(page.get_by_role("status")).to_contain_text("Rejected")
        expect(page.locator("dd .verdict")).to_have_text("false positive")
        # the decided reason stays on the page after the content is destroyed
        expect(page.locator("table.history")).to_contain_text("It is the sender's own SSN, but not in chat")
        page.screenshot(path=str(ARTIFACTS / "14-verdict.png"), full_page=True)
        page.goto(url + "/?state=all")
        page.get_by_label("Verdict", exact=True).select_option("false_positive")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("caption")).to_have_text("1 item")
        expect(page.locator("td .verdict")).to_have_text("false positive")
        browser.close()
    assert item_field(rs, ids[2], "verdict") == "false_positive"
    assert item_field(rs, ids[2], "verdict_by") == "carol"
