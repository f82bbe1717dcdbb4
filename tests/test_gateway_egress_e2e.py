"""Reads whose query leaves the firm, and the login routes' stored fields, end to end
(gateway process, simulator).

- ``GET /api/v4/redirect_location?url=`` (api4/system.go getRedirectLocation: Mattermost
  sends ``HEAD url`` to that host, the web app asks for every link it previews),
  ``GET /api/v4/image?url=`` (api4/image.go: fetched by the image proxy, or a redirect),
  ``GET /oauth/authorize`` (web/oauth.go authorizeOAuthPage: ``state`` goes back to the
  OAuth app in the redirect), ``GET /oauth/{service}/login`` (``redirect_to`` and
  ``login_hint`` go to the identity provider), ``GET /login/sso/saml`` (the RelayState)
  and the ``complete`` callbacks (``code`` goes to the provider's token endpoint): an
  identifier in the query, however the URL spells it, is refused with a 403 AppError
  (never a 401), archived, never forwarded; a clean one reaches Mattermost unchanged;
- the login routes' bodies (``login/switch``, ``login/desktop_token``, ``login/cws`` as a
  form and its query, ``login/type``, ``/oauth/intune``): the fields Mattermost stores
  are judged (pipeline.credential_fields), never the password.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import Gateway, archive_records
from tests.filegen import SSN_BODY

STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}
PASSWORD = "correct-horse-battery-staple-7"
DIGITS = SSN_BODY.replace("-", "")
CLIENT_ID = "abcdefghijkmnopqrstuvwxyz0"


def _auth(gw: Gateway) -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.sim.token('alice')}"}


def _reached(gw: Gateway, path: str) -> list[dict[str, Any]]:
    return [r for r in gw.sim.requests() if r["path"].lower() == path.lower()]


def _stopped(gw: Gateway, r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json"
    err = r.json()
    assert err["id"] in STOP_IDS and err["status_code"] == 403
    assert SSN_BODY not in r.text and DIGITS not in r.text
    recs = [x for x in archive_records(gw.data_dir) if x.get("request_id") == err["request_id"]]
    assert len(recs) == 1 and recs[0]["action"] == "block", recs
    return recs[0]


#: an SSN in a URL Mattermost fetches or redirects to, spelled as a client may
URLS = {
    "path": f"https://evil.example/{SSN_BODY}",
    "path-slashes": "https://evil.example/ssn/" + SSN_BODY.replace("-", "/"),
    "host-label": f"https://{SSN_BODY}.evil.example/x.png",
    "own-query": f"https://evil.example/a?ssn={DIGITS}",
    "escaped-twice": "https://evil.example/" + quote(quote(SSN_BODY, safe=""), safe=""),
    "base64-segment": "https://evil.example/" + base64.b64encode(SSN_BODY.encode()).decode(),
}


@pytest.mark.parametrize("route", ["/api/v4/redirect_location", "/api/v4/image"])
@pytest.mark.parametrize("spelling", list(URLS), ids=list(URLS))
def test_an_identifier_in_a_url_mattermost_fetches_is_refused(
    gateway: Gateway, route: str, spelling: str
) -> None:
    gateway.sim.clear()
    r = httpx.get(
        f"{gateway.url}{route}?url={quote(URLS[spelling], safe='')}", headers=_auth(gateway), timeout=60
    )
    rec = _stopped(gateway, r)
    assert rec["route"].endswith(".query")
    assert _reached(gateway, route) == []
    assert SSN_BODY not in json.dumps(rec) and DIGITS not in json.dumps(rec)
    assert SSN_BODY not in gateway.log() and DIGITS not in gateway.log()


def test_a_clean_link_reaches_mattermost_unchanged(gateway: Gateway) -> None:
    for url in (
        "https://www.bloomberg.com/news/articles/2024-05-17/fed-holds-rates-steady",
        "https://github.com/mattermost/mattermost/pull/29345",
        "https://youtu.be/dQw4w9WgXcQ?t=42",
    ):
        for _ in range(2):  # (the second time from the gateway's memory of clean texts)
            gateway.sim.clear()
            query = "url=" + quote(url, safe="")
            r = httpx.get(
                f"{gateway.url}/api/v4/redirect_location?{query}", headers=_auth(gateway), timeout=60
            )
            assert r.status_code == 200 and r.json() == {"location": ""}, r.text
            reached = _reached(gateway, "/api/v4/redirect_location")
            assert len(reached) == 1 and reached[0]["query"] == query
    gateway.sim.clear()
    r = httpx.get(
        f"{gateway.url}/api/v4/image?url={quote('https://example.com/logo.png', safe='')}",
        headers=_auth(gateway),
        timeout=60,
        follow_redirects=False,
    )
    assert r.status_code == 302 and r.headers["location"] == "https://example.com/logo.png"


def _oauth_cases() -> list[tuple[str, dict[str, str]]]:
    return [
        (
            "/oauth/authorize",
            {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": "https://app.example/cb",
                "state": f"client {SSN_BODY}",
            },
        ),
        (
            "/oauth/authorize",
            {
                "response_type": "code",
                "client_id": CLIENT_ID,
                "redirect_uri": f"https://app.example/cb/{SSN_BODY}",
            },
        ),
        ("/oauth/gitlab/login", {"login_hint": f"ssn {SSN_BODY}"}),
        ("/oauth/gitlab/login", {"redirect_to": f"/team/messages/ssn-{DIGITS}"}),
        ("/oauth/openid/signup", {"t": f"ssn {SSN_BODY}"}),
        ("/oauth/gitlab/complete", {"code": f"ssn {SSN_BODY}", "state": "e30="}),
        ("/signup/gitlab/complete", {"code": f"ssn {SSN_BODY}", "state": "e30="}),
        ("/login/sso/saml", {"action": "login", "redirect_to": f"/ssn/{SSN_BODY}"}),
    ]


@pytest.mark.parametrize("which", range(len(_oauth_cases())))
def test_an_identifier_in_an_oauth_or_saml_redirect_is_refused(gateway: Gateway, which: int) -> None:
    path, params = _oauth_cases()[which]
    gateway.sim.clear()
    r = httpx.get(gateway.url + path, params=params, timeout=60, follow_redirects=False)
    _stopped(gateway, r)
    assert _reached(gateway, path) == []


@pytest.mark.parametrize(
    "path,params",
    [
        ("/api/v4/system/ping", {"device_id": f"android_rn:ssn {SSN_BODY}"}),
        ("/api/v4/plugins/marketplace", {"filter": f"ssn {SSN_BODY}"}),
    ],
    ids=["ping-device", "marketplace-filter"],
)
def test_a_query_sent_to_the_push_proxy_or_the_marketplace_is_judged(
    gateway: Gateway, path: str, params: dict[str, str]
) -> None:
    gateway.sim.clear()
    r = httpx.get(gateway.url + path, params=params, headers=_auth(gateway), timeout=60)
    _stopped(gateway, r)
    assert _reached(gateway, path) == []


def test_a_ping_passes_as_sent(gateway: Gateway) -> None:
    for query in ("", "get_server_status=true&use_rest_semantics=true", "device_id=android_rn-v2:abcdef"):
        gateway.sim.clear()
        r = httpx.get(f"{gateway.url}/api/v4/system/ping" + (f"?{query}" if query else ""), timeout=60)
        assert r.status_code == 200 and r.json()["status"] == "OK", r.text
        reached = _reached(gateway, "/api/v4/system/ping")
        assert len(reached) == 1 and reached[0]["query"] == query


def test_a_clean_oauth_read_passes_as_sent(gateway: Gateway) -> None:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "https://app.example/cb",
        "state": "xyzABC123",
    }
    gateway.sim.clear()
    r = httpx.get(gateway.url + "/oauth/authorize", params=params, timeout=60, follow_redirects=False)
    assert r.status_code == 302 and r.headers["location"].startswith("/login?redirect_to="), r.text
    gateway.sim.clear()
    r = httpx.get(
        gateway.url + "/oauth/authorize",
        params=params,
        headers=_auth(gateway),
        timeout=60,
        follow_redirects=False,
    )
    assert r.status_code == 302 and r.headers["location"].startswith("https://app.example/cb?code="), r.text
    assert r.headers["location"].endswith("&state=xyzABC123")
    gateway.sim.clear()
    r = httpx.get(
        gateway.url + "/login/sso/saml",
        params={"action": "login", "redirect_to": "/team/channels/x"},
        timeout=60,
        follow_redirects=False,
    )
    assert r.status_code == 302 and r.headers["location"].startswith("https://idp.example/saml?"), r.text


def test_a_session_read_still_judges_its_headers(gateway: Gateway) -> None:
    # /oauth/{service}/complete makes a session whose props keep the User-Agent's
    # browser version (app/login.go DoLogin): judged like before, now with its query
    gateway.sim.clear()
    r = httpx.get(
        gateway.url + "/oauth/gitlab/complete",
        params={"code": "abc", "state": "e30="},
        headers={"User-Agent": f"Mozilla/5.0 ssn {SSN_BODY}"},
        timeout=60,
        follow_redirects=False,
    )
    assert r.status_code == 400 and r.json()["status_code"] == 400, r.text
    assert _reached(gateway, "/oauth/gitlab/complete") == []


# --------------------------------------------------------------------------- login routes' bodies


def _login_cases() -> list[tuple[str, str, bytes, str]]:
    js = "application/json"
    form = "application/x-www-form-urlencoded"
    return [
        (
            "/api/v4/users/login/switch",
            js,
            json.dumps(
                {
                    "current_service": "email",
                    "new_service": "gitlab",
                    "email": f"ssn{DIGITS}@example.com",
                    "password": PASSWORD,
                }
            ).encode(),
            "",
        ),
        (
            "/api/v4/users/login/switch",
            js,
            json.dumps(
                {
                    "current_service": "email",
                    "new_service": "ldap",
                    "ldap_id": f"client {SSN_BODY}",
                    "password": PASSWORD,
                    "new_password": PASSWORD,
                }
            ).encode(),
            "",
        ),
        (
            "/api/v4/users/login/desktop_token",
            js,
            json.dumps({"token": "t" * 64, "device_id": f"desktop:client {SSN_BODY}"}).encode(),
            "",
        ),
        ("/api/v4/users/login/cws", form, f"login_id=ssn+{SSN_BODY}&cws_token=abc".encode(), ""),
        ("/api/v4/users/login/cws", form, b"cws_token=abc", f"login_id=ssn+{SSN_BODY}"),
        ("/api/v4/users/login/type", js, json.dumps({"login_id": f"client {SSN_BODY}"}).encode(), ""),
        (
            "/oauth/intune",
            js,
            json.dumps({"access_token": "x" * 40, "device_id": f"ios:ssn {SSN_BODY}"}).encode(),
            "",
        ),
    ]


@pytest.mark.parametrize(
    "which",
    range(len(_login_cases())),
    ids=["switch-email", "switch-ldap", "desktop-device", "cws-form", "cws-query", "type", "intune-device"],
)
def test_a_stored_field_of_a_login_route_is_judged(gateway: Gateway, which: int) -> None:
    path, ctype, body, query = _login_cases()[which]
    gateway.sim.clear()
    r = httpx.post(
        gateway.url + path + (f"?{query}" if query else ""),
        content=body,
        headers={"Content-Type": ctype},
        timeout=60,
    )
    rec = _stopped(gateway, r)
    assert _reached(gateway, path) == []
    assert PASSWORD not in json.dumps(rec)
    assert all(
        PASSWORD not in p.read_bytes().decode("latin-1")
        for p in gateway.data_dir.rglob("*")
        if p.is_file() and p.stat().st_size < 50_000_000
    )


def test_a_clean_account_switch_passes_as_sent(gateway: Gateway) -> None:
    gateway.sim.clear()
    body = json.dumps(
        {
            "current_service": "email",
            "new_service": "gitlab",
            "email": "alice@example.com",
            "password": PASSWORD,
        }
    ).encode()
    r = httpx.post(
        gateway.url + "/api/v4/users/login/switch",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 200 and r.json() == {"follow_link": "/login?extra=signin_change"}, r.text
    reached = _reached(gateway, "/api/v4/users/login/switch")
    assert len(reached) == 1 and base64.b64decode(reached[0]["body_b64"]) == body
