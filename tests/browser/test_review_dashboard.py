"""The Compliance dashboard and the decision context in a real headless browser
(Debian's chromium driven by Playwright): charts drawn server-side as SVG with
the numbers of the JSON endpoint, the conversation before a held direct message
with its identifiers masked, and "context unavailable" when Mattermost is down.
Screenshots go to test-artifacts/review/."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from dlp_proxy.archive import open_archive
from dlp_proxy.detect import build_detector
from dlp_proxy.quarantine import QuarantineService, QuarantineSettings
from dlp_proxy.review import create_app
from dlp_proxy.review.context import ContextSettings
from tests.browser.test_review_browser import ARGS, ARTIFACTS, CHROMIUM, pytestmark  # noqa: F401
from tests.test_archive_log import KEYS
from tests.test_quarantine_support import (
    MASK_REASONS,
    MASTER,
    SSN,
    ServedApp,
    make_held,
    redis_server,
    simulator,
)
from tests.test_review_context import TOKEN, settings
from tests.test_review_dashboard import decision, review

CARD = "4111 1111 1111 1111"


@pytest.fixture
def console(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with redis_server(tmp_path / "redis") as rs, simulator() as (sim, sim_url):
        archive = open_archive(tmp_path / "archive", **KEYS)
        now = time.time()
        for days_ago, action, ents, rule, ctype in [
            (0, "quarantine", ["US_SSN"], "hold-identifiers", "D"),
            (0, "quarantine", ["US_SSN", "IBAN_CODE"], "hold-identifiers", "G"),
            (1, "block", ["CREDIT_CARD"], "block-cards", "O"),
            (1, "quarantine", ["US_SSN"], "hold-identifiers", "P"),
            (3, "block", ["CREDIT_CARD"], "block-cards", "O"),
        ]:
            archive.append_sync(decision(now - days_ago * 86400 - 60, action, ents, rule, ctype))
        archive.append_sync(review(now - 30, "approve", "qa", "false_positive", rule_id="hold-identifiers"))
        archive.append_sync(review(now - 20, "reject", "qb", "true_positive", rule_id="hold-identifiers"))
        archive.append_sync(review(now - 10, "reject", "qc", "true_positive", rule_id="block-cards"))
        users, dm = sim.ids["users"], sim.ids["channels"]["dm_alice_bob"]
        for i, (who, text) in enumerate([("bob", "Can you send me the client's card?"),
                                         ("alice", f"Sure, it is {CARD}"), ("bob", "And the SSN please")]):  # fmt: skip
            p = sim.create_post({"channel_id": dm, "message": text}, users[who])
            sim.posts[p["id"]]["create_at"] = int((now - 300 + i * 10) * 1000)
        qs = QuarantineSettings(notify_token="dlp-bot-token")

        async def seed() -> list[str]:
            r = aioredis.Redis.from_url(rs.url)
            q = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=sim_url, settings=qs)
            ids = [await q.hold(make_held(sim, sender="alice", channel="dm_alice_bob", text=f"my SSN {SSN} for the form",
                                          created_at=now - 200)),
                   await q.hold(make_held(sim, sender="bob", channel="private", created_at=now - 5 * 3600))]  # fmt: skip
            await q.close()
            await r.aclose()
            return ids

        ids = asyncio.run(seed())
        svc = QuarantineService(aioredis.Redis.from_url(rs.url), master_key=MASTER, mask_text=MASK_REASONS, archive=archive,
                                upstream_url=sim_url, settings=qs)  # fmt: skip
        app = create_app(svc, upstream_url=sim_url, settings=settings(), detector=build_detector(),
                         context=ContextSettings(posts=5, token="dlp-bot-token"))  # fmt: skip
        with ServedApp(app) as served:
            yield {"url": served.url, "ids": ids, "sim_url": sim_url}
        archive.close_sync()


def test_dashboard_and_context_in_the_browser(console: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    url, ids = console["url"], console["ids"]
    api = httpx.get(url + "/api/v1/dashboard?days=14", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)  # e.g. a CSP violation
        page.goto(url + "/login")
        page.get_by_label("Username or email").fill("sam")  # a reviewer
        page.get_by_label("Password").fill("sam-password")
        page.get_by_label("Password").press("Enter")
        page.get_by_role("link", name="Dashboard").click()
        expect(page).to_have_url(url + "/dashboard")
        expect(page.get_by_role("heading", name="Compliance dashboard")).to_be_visible()
        expect(page.locator(".dash-holds")).to_have_text(str(api["totals"]["quarantine"]))
        expect(page.locator(".dash-blocks")).to_have_text(str(api["totals"]["block"]))
        assert api["totals"] == {"quarantine": 3, "block": 2}
        # the charts are drawn: as many day bars as the JSON has non-zero day/action cells, with its numbers
        chart = page.get_by_role("img", name="Holds and blocks per day", exact=True)
        expect(chart).to_be_visible()
        cells = {(d["day"], k): d[k] for d in api["per_day"] for k in ("quarantine", "block") if d[k]}
        bars = chart.locator("rect.bar")
        expect(bars).to_have_count(len(cells))
        for i in range(bars.count()):
            b = bars.nth(i)
            assert int(b.get_attribute("data-value") or 0) == cells[(b.get_attribute("data-day"), b.get_attribute("data-key"))]
            assert (b.bounding_box() or {"height": 0})["height"] > 0  # really rendered, not just in the DOM
        expect(page.get_by_role("img", name="By channel type", exact=True).locator("rect.bar")).to_have_count(4)
        per_day_ctype = page.get_by_role("img", name="Stops per day by channel type", exact=True).locator("rect.bar")
        expect(per_day_ctype).to_have_count(sum(len(d["by_channel_type"]) for d in api["per_day"]))
        rates = page.get_by_role("img", name="False-positive rate by rule").locator("rect.rate")
        expect(rates).to_have_count(2)
        fp = page.locator("#tbl-fp tr", has_text="hold-identifiers").locator(".fp-rate")
        expect(fp).to_have_text("50%")
        expect(page.locator("#tbl-queue tr", has_text="held")).to_contain_text("5h")  # oldest held item
        page.screenshot(path=str(ARTIFACTS / "10-dashboard.png"), full_page=True)
        page.get_by_label("Period").select_option("7")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(url + "/dashboard?days=7")
        expect(page.get_by_label("Period")).to_have_value("7")
        expect(page.get_by_role("img", name="Holds and blocks per day", exact=True).locator("rect.bar")).to_have_count(len(cells))

        # the held direct message: who it was for, and what was said before it, masked
        page.goto(url + f"/items/{ids[0]}")
        ctx = page.get_by_role("region", name="Conversation context")
        expect(ctx.locator(".ctx-participants")).to_have_text("@bob")
        expect(ctx).to_contain_text("direct message")
        posts = ctx.locator(".ctx-post")
        expect(posts).to_have_count(4)  # three before it, then the held one
        expect(posts.nth(1)).to_contain_text("**** **** **** 1111")
        expect(posts.nth(1).locator("mark.finding")).to_have_attribute("title", "CREDIT_CARD")
        assert CARD not in page.content() and SSN not in page.content()
        page.screenshot(path=str(ARTIFACTS / "11-context.png"), full_page=True)
        # Mattermost down: the page still opens, and says so
        httpx.post(console["sim_url"] + "/__sim/faults", json={"status": 503, "path_prefix": "/api/v4/channels"})
        page.goto(url + f"/items/{ids[1]}")
        expect(page.locator(".ctx-unavailable")).to_have_count(1)  # one notice for the whole panel
        expect(page.locator(".ctx-unavailable")).to_contain_text("Context unavailable")
        expect(page.get_by_role("heading", name=f"Held message {ids[1]}")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "12-context-unavailable.png"), full_page=True)
        browser.close()
    assert not [e for e in errors if "Content Security Policy" in e], errors
