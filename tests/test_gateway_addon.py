"""The mitmproxy addon in isolation, with mitmproxy's own test flows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from mitmproxy.test import tflow

from dlp_proxy.gateway.addon import DLPAddon
from dlp_proxy.gateway.pipeline import GatewayConfig, Verdict


class _Pipeline:
    """Stands in for the pipeline; each test says what handle() does."""

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour
        self.config = GatewayConfig(scan_deadline_seconds=0.3, fail_open_routes=frozenset({"posts.create"}))
        self.failures: list[dict[str, Any]] = []

    def classify(self, method: str, target: str, *, has_body: bool = False) -> Any:
        from dlp_proxy.gateway.pipeline import Pipeline

        return Pipeline.classify(self, method, target, has_body=has_body)  # type: ignore[arg-type]

    async def handle(self, req: Any, classified: Any = None) -> Verdict:
        return await self.behaviour(req)

    def read_headers_pass(self, request_headers: Any, path: str) -> bool:
        return True  # (the stored headers of a read proven clean: Pipeline.read_headers_pass)

    async def record_failure(self, req: Any, **kw: Any) -> str | None:
        self.failures.append(kw)
        return "rec1"

    async def release_locks(self, request_id: str) -> None:
        return None

    def holds_locks(self, request_id: str) -> bool:
        return False


def _flow(path: str = "/api/v4/channels/x/patch", body: bytes = b'{"header":"x"}') -> Any:
    f = tflow.tflow()
    f.request.method = "PUT"
    f.request.path = path
    f.request.content = body
    return f


async def _raise(req: Any) -> Verdict:
    raise ValueError("boom")


async def _hang(req: Any) -> Verdict:
    await asyncio.sleep(5)
    return Verdict(forward=True)


@pytest.mark.parametrize(("behaviour", "reason"), [(_raise, "inspection-error"), (_hang, "scan-deadline")])
async def test_any_failure_answers_503_and_records(behaviour: Any, reason: str) -> None:
    p = _Pipeline(behaviour)
    addon = DLPAddon(p, max_body_bytes=1000)  # type: ignore[arg-type]
    f = _flow()
    await addon.request(f)
    assert f.response is not None and f.response.status_code == 503
    assert f.response.headers["content-type"] == "application/json"
    assert json.loads(f.response.content)["id"] == "api.dlp.unavailable.app_error"
    assert p.failures[0]["reason"] == reason and p.failures[0]["action"].value == "fail_closed"


async def test_fail_open_only_for_configured_route_and_recorded_as_such() -> None:
    p = _Pipeline(_raise)
    addon = DLPAddon(p, max_body_bytes=1000)  # type: ignore[arg-type]
    f = _flow("/api/v4/posts", b'{"message":"x"}')
    f.request.method = "POST"
    await addon.request(f)
    assert f.response is None  # forwarded
    assert p.failures[0]["action"].value == "fail_open"


async def test_an_archive_failure_is_never_failed_open() -> None:
    """The decision's record could not be written (the decision may have been to stop
    the request): even on a fail-open route nothing is forwarded without it."""
    from dlp_proxy.interfaces import ArchiveError

    async def _archive_fails(req: Any) -> Verdict:
        raise ArchiveError("the archive could not encode the record")

    p = _Pipeline(_archive_fails)
    addon = DLPAddon(p, max_body_bytes=1000)  # type: ignore[arg-type]
    f = _flow("/api/v4/posts", b'{"message":"x"}')
    f.request.method = "POST"
    await addon.request(f)
    assert f.response is not None and f.response.status_code == 503
    assert p.failures[0]["action"].value == "fail_closed"


@pytest.mark.parametrize(("headers", "status"), [
    ([("content-length", "5"), ("transfer-encoding", "chunked")], 400),
    ([("content-length", "5"), ("content-length", "5")], 400),
    ([("content-length", "abc")], 400),
    ([("content-length", "5000")], 413),
])
def test_requestheaders_refuses_framing_and_size(headers: list[tuple[str, str]], status: int) -> None:
    addon = DLPAddon(_Pipeline(_raise), max_body_bytes=1000)  # type: ignore[arg-type]
    f = _flow()
    for k in ("content-length", "transfer-encoding"):
        f.request.headers.pop(k, None)
    for k, v in headers:
        f.request.headers.add(k, v)
    addon.requestheaders(f)
    assert f.response is not None and f.response.status_code == status
    assert f.response.headers["content-type"] == "application/json"
    assert f.response.headers["connection"] == "close"


def test_forward_headers_not_spoofable_unless_trusted() -> None:
    f = _flow()
    f.request.headers["X-Real-IP"] = "6.6.6.6"
    f.request.headers["X-Forwarded-Proto"] = "https"
    DLPAddon(_Pipeline(_raise), max_body_bytes=1000)._add_forward_headers(f)  # type: ignore[arg-type]
    peer = f.client_conn.peername[0]
    assert f.request.headers["X-Real-IP"] == peer
    assert f.request.headers["X-Forwarded-For"].endswith(peer)
    f2 = _flow()
    f2.request.headers["X-Real-IP"] = "6.6.6.6"
    DLPAddon(_Pipeline(_raise), max_body_bytes=1000, trusted_proxies=(peer + "/32",))._add_forward_headers(f2)  # type: ignore[arg-type]
    assert f2.request.headers["X-Real-IP"] == "6.6.6.6"


def test_forward_headers_fold_repeats_and_keep_the_rest() -> None:
    f = _flow()
    f.request.headers.add("x-forwarded-for", "10.0.0.1")
    f.request.headers.add("X-Forwarded-For", "10.0.0.2")
    f.request.headers.add("X-Forwarded-Proto", "https")
    f.request.headers.add("x-forwarded-proto", "http")
    f.request.headers.add("X-Real-IP", "6.6.6.6")
    others = [(k, v) for k, v in f.request.headers.fields if k.lower() not in
              (b"x-forwarded-for", b"x-forwarded-proto", b"x-real-ip")]
    peer = f.client_conn.peername[0]
    DLPAddon(_Pipeline(_raise), max_body_bytes=1000, trusted_proxies=(peer + "/32",))._add_forward_headers(f)  # type: ignore[arg-type]
    h = f.request.headers
    assert h.get_all("x-forwarded-for") == [f"10.0.0.1, 10.0.0.2, {peer}"]
    assert h.get_all("x-forwarded-proto") == ["https, http"]  # trusted: kept as mitmproxy folds them
    assert h.get_all("x-real-ip") == ["6.6.6.6"]
    assert [(k, v) for k, v in h.fields if k.lower() not in
            (b"x-forwarded-for", b"x-forwarded-proto", b"x-real-ip")] == others
    g = _flow()
    DLPAddon(_Pipeline(_raise), max_body_bytes=1000)._add_forward_headers(g)  # type: ignore[arg-type]
    assert g.request.headers.get_all("x-forwarded-for") == [peer]
    assert g.request.headers.get_all("x-forwarded-proto") == [g.request.scheme]


def test_header_dict_is_what_headers_items_gives() -> None:
    from dlp_proxy.gateway.addon import header_dict

    f = _flow()
    f.request.headers.add("Cookie", "a=1")
    f.request.headers.add("cookie", "b=2")
    f.request.headers.add("X-Odd", "caf\xe9".encode("latin-1").decode("utf-8", "surrogateescape"))
    f.request.headers.fields += ((b"X-Raw", b"\xff\xfe"),)
    expected = {k.lower(): v for k, v in f.request.headers.items(multi=False)}
    assert header_dict(f.request.headers.fields) == expected
    assert expected["cookie"] == "a=1, b=2"


def test_websocket_history_is_trimmed() -> None:
    f = tflow.twebsocketflow()
    for _ in range(5):
        f.websocket.messages.append(f.websocket.messages[0])
    judging = DLPAddon(_Pipeline(_raise), max_body_bytes=1000).websocket_message(f)  # type: ignore[arg-type]
    assert len(f.websocket.messages) == 0  # trimmed before the frame is judged
    if asyncio.iscoroutine(judging):
        judging.close()  # the judgment itself is not what this test is about


def test_inline_scan_gate_admits_chat_and_sends_digit_walls_to_a_thread() -> None:
    from dlp_proxy.gateway.pipeline import INLINE_MAX_DIGITS, inline_eligible
    from dlp_proxy.model import ContentItem

    chat = [ContentItem("body.message", "Order #4471 ships Friday, ticket 20931.")]
    assert inline_eligible(chat, 1024)
    assert not inline_eligible(chat, 10)  # longer than the limit
    wall = [ContentItem("body.message", "1" * (INLINE_MAX_DIGITS + 1))]
    assert not inline_eligible(wall, 1024)
    fullwidth = [ContentItem("body.message", "\uff15" * (INLINE_MAX_DIGITS + 1))]  # digits in any script count
    assert not inline_eligible(fullwidth, 1024)
    split = [ContentItem("a", "1" * INLINE_MAX_DIGITS), ContentItem("b", "2")]  # counted across items
    assert not inline_eligible(split, 1024)


async def test_reads_are_forwarded_without_judging_but_denied_reads_are_judged() -> None:
    judged: list[str] = []

    async def record(req: Any) -> Verdict:
        judged.append(req.target)
        return Verdict(forward=False, response=(403, {"Content-Type": "application/json"}, b'{"id":"denied"}'))

    addon = DLPAddon(_Pipeline(record), max_body_bytes=1000)  # type: ignore[arg-type]
    read = _flow("/api/v4/users/me", body=b"")
    read.request.method = "GET"
    assert addon.request(read) is None  # forwarded here and now
    assert read.response is None and read.request.headers["X-Forwarded-For"] and judged == []
    addon.responseheaders(read)  # cancels its upstream timer
    # a read *with* a body is judged: a plugin's ServeHTTP reads it whatever the method
    with_body = _flow("/plugins/com.example.x/api", body=b'{"note":"x"}')
    with_body.request.method = "GET"
    pending_read = addon.request(with_body)
    assert pending_read is not None
    await pending_read
    assert judged == ["/plugins/com.example.x/api"]
    judged.clear()
    denied = _flow("/api/v5/anything")
    denied.request.method = "GET"
    pending = addon.request(denied)
    assert pending is not None
    await pending
    assert judged == ["/api/v5/anything"] and denied.response is not None and denied.response.status_code == 403
    odd = _flow("/api/v4/%00x")  # a path the normalizer refuses is judged (and refused) too
    odd.request.method = "GET"
    pending = addon.request(odd)
    assert pending is not None
    await pending
    assert len(judged) == 2


async def test_the_route_requestheaders_read_is_reused_only_for_the_same_request() -> None:
    """``requestheaders`` classifies the request once (``CLASSIFIED``); ``_request``
    judges with it only when the method, path and body presence are the ones it
    read: otherwise the request is classified again."""
    from dlp_proxy.gateway.addon import CLASSIFIED
    from dlp_proxy.gateway.pipeline import Pipeline

    got: list[Any] = []

    class _Recording(_Pipeline):
        async def handle(self, req: Any, classified: Any = None) -> Verdict:
            got.append(classified)
            return Verdict(forward=True)

    addon = DLPAddon(_Recording(_raise), max_body_bytes=1000)  # type: ignore[arg-type]
    path = "/api/v4/channels/x/patch"
    plain = _Pipeline(_raise)  # a pipeline's classify with its default config (no subpath)
    earlier = Pipeline.classify(plain, "PUT", path, has_body=True)  # type: ignore[arg-type]
    f = _flow(path)
    f.metadata[CLASSIFIED] = ("PUT", path, True, earlier)
    await addon.request(f)
    assert got[-1] is earlier
    for stale in (("PUT", "/api/v4/users/me", True), ("PUT", path, False), ("POST", path, True)):
        f = _flow(path)
        old = Pipeline.classify(plain, stale[0], stale[1], has_body=stale[2])  # type: ignore[arg-type]
        f.metadata[CLASSIFIED] = (*stale, old)
        await addon.request(f)
        assert got[-1] is not old
        assert got[-1][1] == path and got[-1][0] == Pipeline.classify(plain, "PUT", path, has_body=True)[0]  # type: ignore[arg-type]
