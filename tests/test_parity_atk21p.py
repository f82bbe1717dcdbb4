"""atk21p F2, F3, F7: the request target, credential bodies and unknown-handler bodies
read as Go reads them (differential, in-process; end to end: test_parity_atk21p_e2e.py).

- F2: a raw ``#`` in the request target.  Go's ``url.ParseRequestURI`` (src/net/url/url.go
  ``parse`` with ``viaRequest``) cuts no fragment: ``#...`` stays in ``r.URL.Path``
  and gorilla/mux's plugin route hands it to the plugin.  The gateway refuses any
  target holding one (paths.check_target): no client sends it.
- F3: the stored fields of a credential route (login's ``id``/``login_id``/
  ``device_id``; ``POST /oauth/authorize``'s ``state``, ``scope``, ``redirect_uri``,
  ``code_challenge``, ``resource``) are read with Go's decoder (the first value;
  invalid UTF-8 and lone surrogates as U+FFFD; keys folded as encoding/json folds
  them, ``ſ`` U+017F as ``s``, ``K`` U+212A as ``k``); a body whose reading is not
  certain (data after the value, not JSON, not an object) is refused with a 400.
- F7: on a route whose handler is unknown (plugins, unknown writes) a JSON body is read
  as text too when its JSON reading leaves anything out (what follows the first value).

The invariant: whenever the oracle's reading (tests/parity_oracle.py, Go semantics)
holds an identifier the detector finds, the gateway does not forward the request.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway import paths
from dlp_proxy.gateway.extract import extract
from dlp_proxy.gateway.paths import PathError, split_target
from dlp_proxy.gateway.pipeline import credential_fields
from dlp_proxy.gateway.routes import UNKNOWN_ROUTE
from dlp_proxy.policy.testing import CARD, SSN
from tests import parity_oracle as oracle
from tests.test_parity_differential import EXAMPLES, SECRET_TEXTS, detector_finds, gateway_forwards

H = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
CLIENT = "abcdefghijkmnopqrstuvwxyz0"
PASSWORD = "correct-horse-battery-staple-7"

# --------------------------------------------------------------------------- F2: '#'


def test_split_target_keeps_a_hash_as_go_does() -> None:
    # url.ParseRequestURI: strings.Cut(rest, "?"), no fragment cut
    assert split_target("/plugins/x/note#a b?q=1#z") == ("/plugins/x/note#a b", "q=1#z")
    with pytest.raises(PathError):
        paths.check_target("/plugins/x/note#client")
    with pytest.raises(PathError):
        paths.check_target("/api/v4/users/me?x=1#y")
    paths.check_target("/plugins/x/note%23client")  # an encoded '#' is a character of the path


@pytest.mark.parametrize("method", ["GET", "DELETE", "POST", "PUT", "OPTIONS", "HEAD"])
def test_a_hash_in_the_target_is_refused(method: str) -> None:
    for target in (
        f"/plugins/com.example.notes/note#client%20SSN%20{SSN}",
        f"/plugins/playbooks/api/v0/runs#client%20SSN%20{SSN}",
        "/api/v4/users/me#x",
        f"/api/v4/posts?channel_id=x#{SSN}",
    ):
        body = b"{}" if method in ("POST", "PUT") else b""
        assert not gateway_forwards(
            method, target, {"Content-Type": "application/json"} if body else {}, body
        )


@H
@given(
    before=st.text(alphabet="abcdefghij/%._-", max_size=20),
    after=st.text(max_size=30),
    method=st.sampled_from(["GET", "POST", "DELETE", "PATCH"]),
)
def test_no_target_with_a_raw_hash_is_forwarded(before: str, after: str, method: str) -> None:
    target = f"/plugins/com.example.notes/{before}#{after}".replace("\r", "").replace("\n", "")
    body = b'{"a":"b"}' if method in ("POST", "PATCH") else b""
    assert not gateway_forwards(method, target, {"Content-Type": "application/json"} if body else {}, body)


# --------------------------------------------------------------------------- F3: credential fields

LOGIN = "/api/v4/users/login"
AUTHORIZE = "/oauth/authorize"
_LONG_S, _KELVIN = "\u017f", "\u212a"


def _folds(name: str) -> st.SearchStrategy[str]:
    """Spellings of a field name encoding/json matches to it (case, ſ for s, K for k)."""

    def spell(flags: list[int]) -> str:
        out = []
        for c, f in zip(name, flags, strict=True):
            if c == "s" and f == 2:
                out.append(_LONG_S)
            elif c == "k" and f == 2:
                out.append(_KELVIN)
            elif f:
                out.append(c.upper())
            else:
                out.append(c)
        return "".join(out)

    return st.lists(st.integers(0, 2), min_size=len(name), max_size=len(name)).map(spell)


def _go_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


@st.composite
def credential_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    path = draw(st.sampled_from([LOGIN, AUTHORIZE]))
    secret = draw(SECRET_TEXTS)
    if path == LOGIN:
        field = draw(st.sampled_from(["device_id", "login_id", "id"]))
        key = field if draw(st.booleans()) else draw(_folds(field))
        pairs = [("login_id", "alice"), ("password", PASSWORD), (key, secret)]
    else:
        field = draw(st.sampled_from(["state", "scope", "redirect_uri", "code_challenge", "resource"]))
        key = draw(_folds(field))
        pairs = [
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", "https://app.example/cb"),
            (key, secret),
        ]
    if draw(st.booleans()):
        pairs.append((key, draw(st.sampled_from(["", "x", "android"]))))  # a later duplicate
    pairs = draw(st.permutations(pairs))
    doc = "{" + ",".join(f"{_go_string(k)}:{_go_string(v)}" for k, v in pairs) + "}"
    raw = doc.encode()
    if draw(st.booleans()):
        # invalid UTF-8 somewhere inside a string value (Go: U+FFFD) or a lone surrogate escape
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\\ud800"]))
        at = raw.index(b'"', raw.index(b":") + 1) + 1
        raw = raw[:at] + junk + raw[at:]
    trailing = draw(
        st.sampled_from([b"", b" ", b"\n", b" x", b"{}", b"]", b"\xff", b"\x00garbage"])
        | st.binary(max_size=12)
    )
    return path, raw + trailing


@H
@given(case=credential_bodies())
def test_a_credential_field_go_stores_is_never_forwarded_unjudged(case: tuple[str, bytes]) -> None:
    path, body = case
    reading = oracle.credential_route(path, body)
    if not detector_finds(reading):
        return
    assert not gateway_forwards("POST", path, {"Content-Type": "application/json"}, body), body


@pytest.mark.parametrize(
    "body",
    [
        b'{"login_id":"alice","password":"p","device_id":"android_rn-v2:client SSN %s"} x' % SSN.encode(),
        b'{"login_id":"alice","password":"p","device_id":"android_rn-v2:client SSN %s"}{}' % SSN.encode(),
        b'{"login_id":"alice","password":"p","device_id":"\xffclient SSN %s"}' % SSN.encode(),
        b'{"login_id":"alice","password":"p","device_id":"\\ud800client SSN %s"}' % SSN.encode(),
        b'{"login_id":"alice","password":"p","device_id":"a","device_id":"client SSN %s"}' % SSN.encode(),
        b'{"id":"client SSN %s","password":"p"}' % SSN.encode(),
    ],
    ids=["trailing", "trailing-json", "bad-utf8", "lone-surrogate", "duplicate", "id"],
)
def test_login_fields_in_hostile_bodies(body: bytes) -> None:
    assert not gateway_forwards("POST", LOGIN, {"Content-Type": "application/json"}, body)


@pytest.mark.parametrize(
    "key",
    ["state", f"{_LONG_S}tate", "STATE", "code_challenge", "resource", f"{_LONG_S}cope", "redirect_URI"],
)
def test_authorize_fields_under_go_folds(key: str) -> None:
    doc = {
        "response_type": "code",
        "client_id": CLIENT,
        "redirect_uri": "https://app.example/cb",
        key: f"client SSN {SSN}",
    }
    assert not gateway_forwards(
        "POST", AUTHORIZE, {"Content-Type": "application/json"}, json.dumps(doc).encode()
    )
    trailing = json.dumps({"response_type": "code", "client_id": CLIENT, "state": f"client SSN {SSN}"}) + " x"
    assert not gateway_forwards("POST", AUTHORIZE, {"Content-Type": "application/json"}, trailing.encode())


def test_credential_fields_reading() -> None:
    body = '{"ſtate":"a","STATE":"b","code_challenge":"c","resource":"r","client_secret":"s"}'.encode()
    assert sorted(credential_fields(AUTHORIZE, body).values()) == ["a", "b", "c", "r"]
    assert credential_fields(LOGIN, b'{"device_id":"d","password":"p","token":"123456"}') == {
        "device_id": "d"
    }
    assert credential_fields(LOGIN, b"  ") == {}
    assert credential_fields("/api/v4/users/password/reset", b"not json") == {}


def test_a_clean_login_still_passes() -> None:
    body = json.dumps({"login_id": "alice", "password": PASSWORD, "device_id": "android_rn-v2:abc"}).encode()
    assert gateway_forwards("POST", LOGIN, {"Content-Type": "application/json"}, body)
    assert gateway_forwards("POST", LOGIN, {"Content-Type": "application/json"}, body + b"\r\n")


# --------------------------------------------------------------------------- F7: unknown handlers

ANY_PATHS = [
    "/plugins/com.example.notes/api/v1/notes",
    "/plugins/playbooks/api/v0/runs",
    "/api/v4/some/new/route",
]


@st.composite
def json_then_text(draw: st.DrawFn) -> tuple[str, str, bytes]:
    path = draw(st.sampled_from(ANY_PATHS))
    first = draw(
        st.sampled_from(['{"title":"note"}', '"note"', "1", "[]", "null", "true", '{"a":[1,2,{"b":"c"}]}'])
    )
    sep = draw(st.sampled_from(["", " ", "\n", "\r\n", "\t", "x"]))
    tail = draw(SECRET_TEXTS)
    noise = draw(st.text(alphabet='abc {}[]",:', max_size=8))
    ctype = draw(st.sampled_from(["application/json", "text/plain", "", "application/octet-stream"]))
    return path, ctype, (first + sep + noise + " " + tail).encode()


@H
@given(case=json_then_text())
def test_text_after_a_first_json_value_is_read_on_unknown_handlers(case: tuple[str, str, bytes]) -> None:
    path, ctype, body = case
    reading = oracle.plugin_route(body, ctype, "")
    if not detector_finds(reading):
        return
    headers = {"Content-Type": ctype} if ctype else {}
    assert not gateway_forwards("POST", path, headers, body), body


def test_the_text_reading_is_added_only_when_the_json_reading_leaves_something_out() -> None:
    plain = extract(UNKNOWN_ROUTE, b'{"title":"note","n":[1,2]}', "application/json", [])
    assert not any(i.path.endswith("~text") for i in plain.items)
    for body in (
        b'{"title":"note"}\nclient SSN ' + SSN.encode(),
        b'{"five three six two two one two three four":1}',
        b'{"n":4111111111111111111.5}',
        b"1 " + CARD.encode(),
    ):
        ex = extract(UNKNOWN_ROUTE, body, "application/json", [])
        assert [i.text for i in ex.items if i.path == "body~text"] == [body.decode()], body


def test_raw_bytes_that_are_not_utf8_in_the_target_are_refused() -> None:
    # mitmproxy's Request.path: the target decoded with surrogateescape; Go keeps the bytes
    with pytest.raises(PathError):
        paths.check_target("/plugins/x/\udcff536-22-8710")
    assert not gateway_forwards("GET", "/plugins/x/\udcffa", {}, b"")
    paths.check_target("/plugins/x/\u00e9")  # raw UTF-8 is read as Go reads it


# --------------------------------------------------------------------------- F4: a read's stored headers

FILE_ID = "abcdefghijkmnopqrstuvwxyz0"


@pytest.mark.parametrize(
    "target",
    [
        f"/api/v4/files/{FILE_ID}",
        f"/api/v4/files/{FILE_ID}/link",
        "/api/v4/posts/abcdefghijkmnopqrstuvwxyz1/thread",
        "/api/v4/users/me",
    ],
)
@pytest.mark.parametrize("header", ["User-Agent", "X-Forwarded-For"])
def test_a_read_whose_handler_audits_has_its_stored_headers_judged(target: str, header: str) -> None:
    # web/context.go MakeAuditRecord: Actor.Client = the User-Agent, the address from
    # X-Forwarded-For (TrustedProxyIPHeader); api4/file.go getFile/getFileLink audit
    assert not gateway_forwards("GET", target, {header: f"Mozilla/5.0 client SSN {SSN}"}, b"")
    assert gateway_forwards(
        "GET", target, {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0.0.0"}, b""
    )
    assert not gateway_forwards("GET", target, {"User-Agent": "Mozilla/5.0 " + "a" * 5000}, b"")


def test_a_watched_command_body_is_read_as_go_reads_it() -> None:
    """integrations.job_for: the channel a forwarded slash command runs in, read with Go's
    decoder (invalid UTF-8 as U+FFFD); json.loads refused the body and nothing was watched."""
    from dlp_proxy.gateway.integrations import job_for

    channel = "y7kk5cjibi194smnz58ymwypmh"
    body = b'{"channel_id":"%s","command":"/echo \xff hi"}' % channel.encode()
    job = job_for(
        "commands.execute",
        "r",
        "POST",
        "/api/v4/commands/execute",
        {},
        body,
        "",
        0.0,
        {},
        answer=lambda: b"{}",
    )
    assert job is not None and job.channel_id == channel


def test_a_read_judges_only_the_headers_an_audit_record_stores() -> None:
    """A large cookie of another site on the same domain (an SSO proxy's JWT) is no part
    of an audit record: a read with it passes; X-Real-IP is (utils.GetIPAddress)."""
    target = f"/api/v4/files/{FILE_ID}"
    jwt = "AWSELBAuthSessionCookie-0=" + "eyJ0eXAiOiJKV1Qi" * 400
    assert gateway_forwards("GET", target, {"Cookie": jwt, "User-Agent": "Mozilla/5.0 Chrome/120.0"}, b"")
    assert not gateway_forwards("GET", target, {"X-Real-IP": f"client SSN {SSN}"}, b"")
