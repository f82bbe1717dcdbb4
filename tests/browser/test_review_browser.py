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
import redis.asyncio as aioredis

from dlp_proxy.quarantine import QuarantineService, QuarantineSettings
from dlp_proxy.review import ReviewSettings, create_app
from tests.test_quarantine_support import (
    IBAN,
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
            return QuarantineService(r, master_key=MASTER, archive=None, upstream_url=sim_url,
                                     settings=QuarantineSettings(notify_token="dlp-bot-token"))  # fmt: skip

        async def seed() -> list[str]:
            r = aioredis.Redis.from_url(rs.url)
            q = svc(r)
            ids = [
                await q.hold(make_held(sim, sender="alice", channel="private", created_at=q.clock() - 5 * 3600)),
                await q.hold(make_held(sim, sender="bob", channel="town_square", text=f"Wire to {IBAN} please",
                                       created_at=q.clock() - 1.5 * 3600)),  # fmt: skip
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
        q = QuarantineService(r, master_key=MASTER, archive=None, upstream_url="http://unused")
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
