"""Request headers are judged where Mattermost or a plugin reads them (issue 14, "What it must do" 5).

A plugin's ServeHTTP and a route the table does not know get every header; Mattermost
itself stores the User-Agent (audit records, a login's session props: the text after
``Mattermost/`` is the session's browser version) and X-Forwarded-For (audits; the
client's address when TrustedProxyIPHeader names it).  These went to Mattermost unread.
gateway/headers.py says which are read; their values are judged with the decoding of
an unknown write's path, never echoed.
"""

from __future__ import annotations

from base64 import b64encode

from dlp_proxy.gateway.headers import judged, passes
from tests.conftest import STOPPED_IDS, Gateway, archive_records
from tests.shown import shown
from tests.test_gateway_atrest import find_identifiers

BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Mattermost/5.6.0 Chrome/120.0.6099.291 Electron/28.2.2 Safari/537.36")


def _reached(gw: Gateway, method: str, path: str) -> bool:
    return any(r["method"] == method and r["path"] == path for r in gw.sim.requests())


def _stopped(r: object) -> bool:
    import httpx

    assert isinstance(r, httpx.Response)
    return r.status_code == 403 and r.json().get("id") in STOPPED_IDS


def test_headers_of_an_unknown_write_are_judged(gateway: Gateway) -> None:
    gw = gateway
    b64 = b64encode(b"536-22-8710").decode()
    with gw.client("alice") as c:
        for headers in [
            {"X-Client-Ref": "client SSN 536-22-8710"},
            {"X-SSN": "536228710"},  # the name labels the value
            {"User-Agent": "Mattermost/536-22-8710"},
            {"Referer": "https://chat.example.com/x?ssn=%35%33%36-22-8710"},
            {"X-Request-ID": b64},
            {"X-Note": "card%204111%201111%201111%201111"},
        ]:
            for method, path in [("POST", "/api/v4/zzunknown/things"), ("DELETE", "/api/v4/zzunknown/things/v2"),
                                 ("PUT", "/plugins/com.example.zz/api/records")]:
                gw.sim.clear()
                r = c.request(method, path, json={} if method != "DELETE" else None, headers=headers)
                assert _stopped(r), (method, path, headers, r.status_code, r.text)
                assert not _reached(gw, method, path), (method, path, headers)
                # the value is never echoed in the answer
                assert "8710" not in shown(r.text) and "1111" not in shown(r.text) and b64 not in r.text
        # clean headers: forwarded as they are
        gw.sim.clear()
        r = c.post("/api/v4/zzunknown/things", json={}, headers={"User-Agent": BROWSER, "X-Trace": "abc-def"})
        assert r.status_code != 403, r.text
        sent = [q for q in gw.sim.requests() if q["path"] == "/api/v4/zzunknown/things"]
        assert sent and dict((k.lower(), v) for k, v in sent[0]["headers"])["user-agent"] == BROWSER


def test_headers_mattermost_stores_are_judged_on_known_routes(gateway: Gateway) -> None:
    gw = gateway
    town = gw.sim.channel("town_square")
    with gw.client("alice") as c:
        for headers in [
            {"User-Agent": "Mattermost/536-22-8710"},
            {"User-Agent": "Mozilla/5.0 (ssn five three six two two eight seven one zero)"},
            {"X-Forwarded-For": "536-22-8710"},
            {"X-Forwarded-For": "ssn 536228710, 10.0.0.1"},
            {"X-Real-IP": "536.22.8710"},
        ]:
            gw.sim.clear()
            r = c.post("/api/v4/posts", json={"channel_id": town, "message": "morning all"}, headers=headers)
            assert _stopped(r), (headers, r.status_code, r.text)
            assert not _reached(gw, "POST", "/api/v4/posts"), headers
        # a header only a plugin reads: judged on the plugin's routes, not on a core route
        gw.sim.clear()
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "morning all"},
                   headers={"User-Agent": BROWSER, "X-Forwarded-For": "10.1.2.3", "X-Trace": "7f3a-22"})
        assert r.status_code == 201, r.text
        r = c.post("/plugins/playbooks/api/v0/runs", json={"name": "drill"}, headers={"X-Client-SSN": "536228710"})
        assert _stopped(r), r.text
        assert not _reached(gw, "POST", "/plugins/playbooks/api/v0/runs")


def test_a_login_user_agent_is_judged_though_its_body_is_not(gateway: Gateway) -> None:
    """app/login.go DoLogin: the session's browser version is the text after ``Mattermost/``."""
    gw = gateway
    import httpx

    body = {"login_id": "alice", "password": "alice-password"}
    with httpx.Client(base_url=gw.url, timeout=30) as c:
        gw.sim.clear()
        r = c.post("/api/v4/users/login", json=body, headers={"User-Agent": "Mattermost/536-22-8710"})
        assert r.status_code == 400 and "8710" not in shown(r.text), r.text
        assert not _reached(gw, "POST", "/api/v4/users/login")
        gw.sim.clear()
        r = c.post("/api/v4/users/login", json=body, headers={"User-Agent": BROWSER})
        assert r.status_code == 200, r.text
        assert _reached(gw, "POST", "/api/v4/users/login")


def test_no_header_value_at_rest(gateway: Gateway) -> None:
    """After the runs above (same session gateway), neither the archive nor the log holds one."""
    gw = gateway
    with gw.client("alice") as c:
        c.post("/api/v4/zzunknown/things", json={}, headers={"X-Client-Ref": "acct 4111-1111-1111-1111 ssn 536-22-8710"})
    records = archive_records(gw.data_dir)
    assert any(r.get("route") == "unknown" for r in records)
    blob = b"".join(p.read_bytes() for p in gw.data_dir.rglob("*") if p.is_file() and "redis" not in p.parts)
    assert find_identifiers(blob) == []


def test_shapes() -> None:
    browser = {
        "host": "chat.example.com", "user-agent": BROWSER, "accept": "application/json, text/plain, */*",
        "accept-encoding": "gzip, deflate, br, zstd", "accept-language": "en-US,en;q=0.9",
        "authorization": "Bearer abcdefghijkmnopqrstuvwxyz0", "content-type": "application/json",
        "content-length": "1234567", "x-requested-with": "XMLHttpRequest", "x-csrf-token": "abcdefghijkmnopqrstuvwxyz0",
        "cookie": "MMAUTHTOKEN=abcdefghijkmnopqrstuvwxyz0; MMUSERID=abcdefghijkmnopqrstuvwxyz0",
        "origin": "https://chat.example.com", "x-forwarded-for": "10.0.0.1, 2001:db8::1",
        "sec-ch-ua": '"Not_A Brand";v="8", "Chromium";v="120"', "sec-fetch-mode": "cors",
    }
    assert [n for n, _ in judged(browser, every=False)] == ["user-agent"]
    # a plugin route or an unknown write: every header is read, whatever its shape (a
    # plugin reads any of them; "Cookie: U1NOOiA1MzYyMjg3MTA=" has a cookie's shape), and
    # a session token is no content
    every = dict(judged(browser, every=True))
    assert sorted(every) == sorted(browser)
    assert "abcdefghijkmnopqrstuvwxyz0" not in " ".join(every.values())
    for name, value in [("host", "536-22-8710.example.com"), ("authorization", "Bearer 536228710"),
                        ("cookie", "MMAUTHTOKEN=abcdefghijkmnopqrstuvwxyz0; ssn=536228710"),
                        ("x-forwarded-for", "536-22-8710"), ("content-type", "multipart/form-data; boundary=53622871")]:
        assert not passes(name, value), (name, value)
    # a session token is never part of the text judged (nor archived with it)
    assert judged({"cookie": "MMAUTHTOKEN=abcdefghijkmnopqrstuvwxyz0; ssn=536228710"}, every=False) == [
        ("cookie", "MMAUTHTOKEN=<id>; ssn=536228710")]
    assert judged({"x-b": b64encode(b"536-22-8710").decode()}, every=True) == [("x-b", "x-b 536-22-8710")]


def test_more_header_text_than_a_client_sends_is_refused_unread(gateway: Gateway) -> None:
    """mitmproxy sets no limit on a request's headers (Go's is 1 MiB): a header's text is
    scanned without the sender's scan budget, so more than a client sends is refused."""
    from dlp_proxy.gateway.headers import MAX_HEADER_CHARS, oversized

    assert not oversized({"user-agent": BROWSER, "cookie": "a=b; " * 10000})
    assert oversized({"x-pad": "a" * (MAX_HEADER_CHARS + 1)})
    gw = gateway
    with gw.client("alice") as c:
        gw.sim.clear()
        r = c.post("/api/v4/zzunknown/things", json={}, headers={"X-Pad": "words-" * 12000})
        assert r.status_code == 431 and r.json()["id"] == "api.dlp.request_too_large.app_error", r.text
        assert not _reached(gw, "POST", "/api/v4/zzunknown/things")


def test_an_oauth_login_user_agent_is_judged(gateway: Gateway) -> None:
    """web/oauth.go completeOAuth is a GET that logs in (app DoLogin: the session's props
    from the User-Agent): its headers are judged though reads pass unread."""
    import httpx

    gw = gateway
    with httpx.Client(base_url=gw.url, timeout=30) as c:
        for path in ("/oauth/gitlab/complete?code=x&state=y", "/signup/gitlab/complete?code=x",
                     "/login/office365/complete?code=x"):
            gw.sim.clear()
            r = c.get(path, headers={"User-Agent": "Mattermost/536-22-8710"})
            assert r.status_code == 400 and "8710" not in shown(r.text), (path, r.text)
            assert not _reached(gw, "GET", path.split("?")[0])
        gw.sim.clear()
        c.get("/oauth/gitlab/complete?code=x", headers={"User-Agent": BROWSER})
        assert _reached(gw, "GET", "/oauth/gitlab/complete")
        # any read's User-Agent is judged too: reads write audit records holding it
        # (web/context.go MakeAuditRecord; api4/file.go getFile...: atk21p F4)
        r = c.get("/api/v4/users/me", headers={"User-Agent": "Mattermost/536-22-8710"})
        assert r.status_code == 400 and not _reached(gw, "GET", "/api/v4/users/me")
        c.get("/api/v4/users/me", headers={"User-Agent": BROWSER})
        assert _reached(gw, "GET", "/api/v4/users/me")
