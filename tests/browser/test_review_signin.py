"""Signing in to the reviewer console in a real headless Chromium (Playwright):
single sign-on through a real OpenID Connect provider (tests/oidc/provider.mjs,
panva's oidc-provider), and the Mattermost password.  The browser does what a
person does: the button, the provider's login page, back to the queue; cookies,
SameSite rules and the redirect chain are the browser's own.  Screenshots go to
test-artifacts/review/."""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest

from tests.browser.test_review_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.test_review_oidc import NODE, PROVIDER_DIR, Env, _normal_provider, env, last, uid

__all__ = ["_normal_provider", "env"]  # fixtures used from the OIDC tests

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="chromium not installed (apt-get install chromium)"),
    pytest.mark.skipif(NODE is None or not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir(),
                       reason="node and tests/oidc/node_modules are needed (bash scripts/dev test)"),  # fmt: skip
]


def browse(env: Env, fn: Any) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            fn(page)
        finally:
            browser.close()


def sso(page: Any, env: Env, login: str, shot: str = "") -> None:
    """From the console's sign-in page through the provider's login page and back."""
    from playwright.sync_api import expect

    page.goto(env.url + "/")
    expect(page).to_have_url(env.url + "/login")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    page.wait_for_url(env.provider.issuer + "/interaction/**")
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    if shot:
        page.screenshot(path=str(ARTIFACTS / shot))
    page.locator('button[type="submit"]').click()


def test_oidc_sign_in_reaches_the_queue_and_signs_out(env: Env) -> None:
    from playwright.sync_api import expect

    def run(page: Any) -> None:
        page.goto(env.url + "/login")
        expect(page.get_by_label("Username or email")).to_be_visible()  # both ways in are offered
        page.screenshot(path=str(ARTIFACTS / "10-signin-choices.png"))
        sso(page, env, "sam", "11-provider-login.png")
        page.wait_for_url(env.url + "/")  # the "signed in" page moves on by itself, with the Strict cookie
        expect(page.locator(".who")).to_contain_text("sam")
        expect(page.locator(".role-reviewer")).to_have_text("reviewer")
        page.screenshot(path=str(ARTIFACTS / "12-oidc-queue.png"), full_page=True)
        assert last(env, "sign_in")["actor"]["user_id"] == uid("sam")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("status")).to_have_text("Signed out.")
        page.goto(env.url + "/")
        expect(page).to_have_url(env.url + "/login")

    browse(env, run)


@pytest.mark.parametrize(("login", "mode", "shown"), [
    ("alice", "", "no security review role"),
    ("sam", "bad_signature", "failed its checks"),
    ("sam", "bad_issuer", "failed its checks"),
    ("sam", "bad_audience", "failed its checks"),
])  # fmt: skip
def test_oidc_refusals_leave_the_browser_signed_out(env: Env, login: str, mode: str, shown: str) -> None:
    from playwright.sync_api import expect

    env.provider.mode(mode)

    def run(page: Any) -> None:
        sso(page, env, login)
        page.wait_for_url(env.url + "/oidc/callback**")
        expect(page.get_by_role("alert")).to_contain_text(shown)
        expect(page.get_by_label("Username or email")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"13-refused-{login}-{mode or 'none'}.png"))
        page.goto(env.url + "/")
        expect(page).to_have_url(env.url + "/login")
        names = [c["name"] for c in page.context.cookies(env.url)]
        assert "dlp_review_session" not in names

    browse(env, run)


def test_oidc_callback_with_a_forged_state_is_refused(env: Env) -> None:
    """A callback link with someone else's code and a made-up state, opened in
    the victim's browser (login CSRF), signs nobody in."""
    from playwright.sync_api import expect

    def run(page: Any) -> None:
        with httpx.Client(follow_redirects=False) as attacker:
            from tests.test_review_oidc import provider_login, start

            auth_url, _ = start(attacker, env)
            callback = provider_login(attacker, env, auth_url, "bob")
        page.goto(callback)  # the attacker's own, valid callback, in the victim's browser
        expect(page.get_by_role("alert")).to_contain_text("another browser")
        page.goto(env.url + "/")
        expect(page).to_have_url(env.url + "/login")

    browse(env, run)
    assert last(env, "sign_in_failed")["reason"] == "oidc_state"


def test_mattermost_password_sign_in_still_works(env: Env) -> None:
    from playwright.sync_api import expect

    def run(page: Any) -> None:
        page.goto(env.url + "/login")
        page.get_by_label("Username or email").fill("carol")
        page.get_by_label("Password").fill("wrong-password")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
        page.get_by_label("Username or email").fill("carol")
        page.get_by_label("Password").fill("carol-password")
        page.get_by_label("Password").press("Enter")
        page.wait_for_url(env.url + "/")
        expect(page.locator(".who")).to_contain_text("carol")
        expect(page.locator(".role-admin")).to_have_text("admin")
        page.screenshot(path=str(ARTIFACTS / "14-mattermost-queue.png"), full_page=True)

    browse(env, run)
    assert last(env, "sign_in")["actor"] == {"name": "carol", "user_id": uid("carol"), "roles": ["admin"],
                                             "via": "console"}  # fmt: skip
