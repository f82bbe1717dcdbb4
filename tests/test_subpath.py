"""Mattermost under a SiteURL subpath (atk10p F4).

app/server.go mounts every route under the path of ``ServiceSettings.SiteURL``
(``s.Router = s.RootRouter.PathPrefix(subpath).Subrouter()``) and redirects what is
outside it into it.  The gateway had no notion of it: ``/chat/api/v4/...`` was an
unknown write, so route-specific checks (a display name made of digits, mentions,
channel scoping) were off.  ``DLP_UPSTREAM=http://mattermost:8065/chat`` now names it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from dlp_proxy.gateway.pipeline import classify_path
from tests.conftest import ROOT, STOPPED_IDS, Gateway, Simulator, free_port, start_gateway, stop, wait_port

SUB = "/chat"


def _start_simulator(subpath: str) -> Simulator:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dlp_proxy.cli", "simulate", "--listen", f"127.0.0.1:{port}",
                             "--subpath", subpath], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(port, proc)
    url = f"http://127.0.0.1:{port}"
    return Simulator(url, proc, httpx.get(f"{url}/__sim/ids", timeout=10).json())


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = _start_simulator(SUB)
    # (the later --upstream wins: Mattermost's base URL with its SiteURL path)
    gateway = start_gateway(sim, tmp_path_factory.mktemp("subpath") / "gw", "--upstream", sim.url + SUB)
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


def _reached(gw: Gateway, path: str, method: str = "POST") -> bool:
    return any(r["path"] == path and r["method"] == method for r in gw.sim.requests())


def test_the_simulator_serves_under_its_subpath_as_mattermost_does(gw: Gateway) -> None:
    headers = {"Authorization": f"Bearer {gw.sim.token('alice')}"}
    r = httpx.get(f"{gw.sim.url}{SUB}/api/v4/users/me", headers=headers, timeout=10)
    assert r.status_code == 200 and r.json()["username"] == "alice"
    r = httpx.get(f"{gw.sim.url}/api/v4/users/me", headers=headers, timeout=10)
    assert r.status_code == 302 and r.headers["location"] == f"{SUB}/api/v4/users/me"


def test_routes_under_the_subpath_are_judged_as_their_routes(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    team = gw.sim.ids["team"]
    with gw.client("alice") as c:
        gw.sim.clear()
        # route-specific checks apply: a display name made of digits is refused (gateway/mentions.py)
        r = c.put(f"{SUB}/api/v4/users/me/patch", json={"nickname": "22-8710"})
        assert r.status_code == 400, r.text
        r = c.post(f"{SUB}/api/v4/channels", json={"team_id": team, "name": "zz-sub", "display_name": "536",
                                                     "type": "O"})
        assert r.status_code == 400, r.text
        assert not _reached(gw, f"{SUB}/api/v4/users/me/patch", "PUT")
        assert not _reached(gw, f"{SUB}/api/v4/channels")
        r = c.post(f"{SUB}/api/v4/posts", json={"channel_id": town, "message": "client SSN 536-22-8710"})
        assert r.status_code == 403 and r.json()["id"] in STOPPED_IDS, r.text
        # a clean post goes through, its mentions read under the subpath
        gw.sim.clear()
        r = c.post(f"{SUB}/api/v4/posts", json={"channel_id": town, "message": "see ~town-square"})
        assert r.status_code == 201, r.text
        paths = [q["path"] for q in gw.sim.requests()]
        assert f"{SUB}/api/v4/posts" in paths
        assert any(p.startswith(f"{SUB}/api/v4/teams/") and p.endswith("/channels/name/town-square")
                   for p in paths), paths


def test_writes_outside_the_subpath_are_refused_reads_pass(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    with gw.client("alice") as c:
        gw.sim.clear()
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "hello"})
        assert r.status_code == 404 and r.json()["id"] == "api.context.404.app_error", r.text
        r = c.put("/chatty/api/v4/users/me/patch", json={"nickname": "22-8710"})
        assert r.status_code == 404, r.text
        assert not [q for q in gw.sim.requests() if q["method"] != "GET"]
        r = c.get("/api/v4/users/me", follow_redirects=False)
        assert r.status_code == 302, r.text  # Mattermost's answer, passed through


def test_classification_takes_the_subpath_off_every_reading() -> None:
    m, path = classify_path("POST", "/chat/api/v4/posts", subpath="/chat")
    assert (m.kind, m.route and m.route.name, path) == ("content", "posts.create", "/api/v4/posts")
    m, path = classify_path("POST", "/ch%61t/api/v4/posts", subpath="/chat")
    assert m.route is not None and m.route.name == "posts.create"
    assert classify_path("POST", "/api/v4/posts", subpath="/chat")[0].kind == "not_found"
    assert classify_path("GET", "/api/v4/posts", subpath="/chat")[0].kind == "passthrough"
    assert classify_path("POST", "/chat/api/v4/posts")[0].kind == "unknown_write"


def test_the_upstream_url_names_the_subpath() -> None:
    from pydantic import ValidationError

    from dlp_proxy.settings import Settings, upstream_parts

    assert upstream_parts("http://mm:8065/chat/") == ("http://mm:8065", "/chat")
    assert upstream_parts("http://mm:8065") == ("http://mm:8065", "")
    assert Settings(upstream="https://mm.example/team-chat").upstream == "https://mm.example/team-chat"
    for bad in ("mm:8065", "http://mm/chat?x=1", "http://mm/chat#x", "http://user@mm/", "http://mm/a b"):
        with pytest.raises(ValidationError):
            Settings(upstream=bad)


def _raw(url: str, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
         ) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request with ``target`` sent byte for byte (httpx would resolve dot
    segments and re-encode the path)."""
    import socket

    host, port = url.removeprefix("http://").split(":")
    head = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}",
            "Connection: close", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    raw_headers, _, payload = rest.partition(b"\r\n\r\n")
    fields = {}
    for line in raw_headers.split(b"\r\n"):
        name, _, value = line.decode("latin-1").partition(":")
        fields[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), fields, payload


def test_the_simulator_answers_unclean_and_outside_paths_as_gorilla_mux_does(gw: Gateway) -> None:
    """mux.Router.ServeHTTP: an unclean decoded path is a 301 to its clean form; the
    subpath is matched case-sensitively, as a string prefix (``/chatty`` enters the
    subrouter and is its 404); outside it a 302 into it.  No handler runs for any."""
    town = gw.sim.channel("town_square")
    body = json.dumps({"channel_id": town, "message": "hello"}).encode()
    auth = {"Authorization": f"Bearer {gw.sim.token('alice')}", "Content-Type": "application/json"}
    for target, status, location in [
        ("//chat/api/v4/posts", 301, "/chat/api/v4/posts"),
        ("/%2Fchat/api/v4/posts", 301, "/chat/api/v4/posts"),
        ("/chat/./api/v4/posts", 301, "/chat/api/v4/posts"),
        ("/chat/../api/v4/posts", 301, "/api/v4/posts"),
        ("/chat//api/v4/posts?x=1", 301, "/chat/api/v4/posts?x=1"),
        ("/CHAT/api/v4/posts", 302, "/chat/CHAT/api/v4/posts"),
        ("/api/v4/posts", 302, "/chat/api/v4/posts"),
        ("/chatty/api/v4/posts", 404, None),
        ("/chat/api/v4/posts/", 404, None),
    ]:
        code, headers, _ = _raw(gw.sim.url, "POST", target, body, auth)
        assert code == status, (target, code)
        if location is not None:
            assert headers["location"] == location, (target, headers)
    code, _, _ = _raw(gw.sim.url, "POST", "/chat%2Fapi/v4/posts", body, auth)
    assert code == 201  # decoded once, clean: the posts handler runs (Go's url.ParseRequestURI)


def _posts_with(gw: Gateway, needle: str) -> list[str]:
    town = gw.sim.channel("town_square")
    r = httpx.get(f"{gw.sim.url}{SUB}/api/v4/channels/{town}/posts?per_page=200",
                  headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=10)
    return [p["message"] for p in r.json()["posts"].values() if needle in p["message"]]


def test_every_spelling_of_a_subpath_write_is_judged_as_the_route_mattermost_runs(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    dirty = json.dumps({"channel_id": town, "message": "client SSN 536-22-8710"}).encode()
    auth = {"Authorization": f"Bearer {gw.sim.token('alice')}", "Content-Type": "application/json"}
    targets = ["/chat/api/v4/posts", "/chat%2Fapi/v4/posts", "/ch%61t/api/v4/posts", "//chat/api/v4/posts",
               "/%2Fchat/api/v4/posts", "/chat/./api/v4/posts", "/chat//api/v4/posts", "/chat/api/v4/posts/",
               "/chat/api/v4/users/../posts", "/chat/../api/v4/posts", "/chat/../chat/api/v4/posts",
               "/CHAT/api/v4/posts", "/Chat/api/v4/posts", "/chatty/api/v4/posts", "/api/v4/posts", "/",
               "/chat", "/chat/", "/chat/api/v4/posts%2F", "/chat/api%2Fv4%2Fposts", "/chat%2F..%2Fapi/v4/posts",
               "/chat/plugins/../api/v4/posts", "/chat\\api\\v4\\posts", "/chat/api/v4/posts;x=1"]
    for target in targets:
        code, _, payload = _raw(gw.url, "POST", target, dirty, auth)
        assert code in (400, 403, 404), (target, code, payload[:200])
        if code == 403:
            assert json.loads(payload)["id"] in STOPPED_IDS, (target, payload[:200])
    assert _posts_with(gw, "8710") == []


def test_a_clean_write_reaches_the_handler_under_every_spelling_mattermost_serves(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    auth = {"Authorization": f"Bearer {gw.sim.token('alice')}", "Content-Type": "application/json"}
    for n, target in enumerate(["/chat/api/v4/posts", "/chat%2Fapi/v4/posts", "/ch%61t/api/v4/posts"]):
        body = json.dumps({"channel_id": town, "message": f"spelling {n} fine"}).encode()
        code, _, payload = _raw(gw.url, "POST", target, body, auth)
        assert code == 201, (target, code, payload[:200])
    # a spelling whose subpath Mattermost does not match (case, prefix) reaches no
    # handler: the gateway answers it as Mattermost's router would, never forwards it
    gw.sim.clear()
    for target in ["/CHAT/api/v4/posts", "/Chat/api/v4/posts", "/chatty/api/v4/posts"]:
        body = json.dumps({"channel_id": town, "message": "wrong case"}).encode()
        code, _, payload = _raw(gw.url, "POST", target, body, auth)
        assert code == 404 and json.loads(payload)["id"] == "api.context.404.app_error", (target, code)
    assert [q for q in gw.sim.requests() if q["method"] == "POST"] == []


def test_classification_matches_the_subpath_case_sensitively() -> None:
    for raw in ("/CHAT/api/v4/posts", "/Chat/api/v4/posts", "/chatty/api/v4/posts", "/%43hat/api/v4/posts"):
        assert classify_path("POST", raw, subpath="/chat")[0].kind == "not_found", raw
    m, path = classify_path("POST", "/chat/API/v4/posts", subpath="/chat")
    assert m.route is not None and m.route.name == "posts.create"  # the route table stays wide
    m, _ = classify_path("POST", "/Team-Chat/api/v4/posts", subpath="/Team-Chat")
    assert m.route is not None and m.route.name == "posts.create"
    assert classify_path("POST", "/team-chat/api/v4/posts", subpath="/Team-Chat")[0].kind == "not_found"


def test_integration_urls_under_a_subpath_as_mattermost_resolves_them(gw: Gateway) -> None:
    """app/integration_action.go DoActionRequest: ``/plugins/...`` is served in process
    from the root whatever the subpath (doPluginRequest); ``/chat/plugins/...`` is no
    plugin route (an HTTP request without a host): refused unless allowlisted.  The
    refusal's record names the route, the subpath taken off (``_archived_path``)."""
    from dlp_proxy.gateway.integrations import NOT_ALLOWED_ID, is_plugin_route

    assert is_plugin_route("/plugins/p/h") and not is_plugin_route("/chat/plugins/p/h")
    town = gw.sim.channel("town_square")

    def button(url: str) -> dict[str, object]:
        return {"channel_id": town, "message": "approve?", "props": {"attachments": [
            {"text": "x", "actions": [{"id": "ok", "name": "OK", "integration": {"url": url}}]}]}}

    with gw.client("alice") as c:
        gw.sim.clear()
        r = c.post(f"{SUB}/api/v4/posts", json=button(f"{SUB}/plugins/p/h"))
        assert r.status_code == 403 and r.json()["id"] == NOT_ALLOWED_ID, r.text
        assert not _reached(gw, f"{SUB}/api/v4/posts")
        request_id = r.json()["request_id"]
        r = c.post(f"{SUB}/api/v4/posts", json=button("/plugins/p/h"))
        assert r.status_code == 201, r.text
    from tests.conftest import archive_records

    (record,) = [rec for rec in archive_records(gw.data_dir) if rec.get("request_id") == request_id]
    assert record["path"] == "/api/v4/posts" and record["route"] == "posts.create", record
