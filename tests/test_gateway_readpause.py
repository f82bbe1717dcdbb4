"""A client's HTTP/1 connection is not read while its request headers are judged
(dlp_proxy.gateway.readpause): real asyncio sockets, mitmproxy's own ``hook_task``
patched, the hook held open by the test (no timers)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from mitmproxy.proxy import server

from dlp_proxy.gateway.readpause import patch_pause_reads_during_request_headers


class Handler:
    """What ``hook_task`` uses of a mitmproxy ``ConnectionHandler``: its client connection's
    reader, and a hook the test completes."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.client = object()
        self.transports = {self.client: SimpleNamespace(reader=reader)}
        self.release = asyncio.Event()
        self.started = asyncio.Event()

    async def handle_hook(self, hook: Any) -> None:
        self.started.set()
        await self.release.wait()

    async def server_event(self, event: Any) -> None:
        return None


def request_hook(name: str, version: str = "HTTP/1.1") -> Any:
    return SimpleNamespace(name=name, blocking=False, flow=SimpleNamespace(request=SimpleNamespace(http_version=version)))


async def connected(limit: int = 64 * 1024) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Server]:
    """(the server side's reader, the client's writer, the server)."""
    accepted: asyncio.Future[asyncio.StreamReader] = asyncio.get_running_loop().create_future()

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set_result(reader)

    srv = await asyncio.start_server(on_client, "127.0.0.1", 0, limit=limit)
    port = srv.sockets[0].getsockname()[1]
    _, client = await asyncio.open_connection("127.0.0.1", port)
    return await accepted, client, srv


def transport_of(reader: asyncio.StreamReader) -> asyncio.Transport:
    transport = reader._transport  # type: ignore[attr-defined]
    assert isinstance(transport, asyncio.Transport)
    return transport


@pytest.fixture(autouse=True)
def patched() -> None:
    patch_pause_reads_during_request_headers()
    patch_pause_reads_during_request_headers()  # idempotent


async def test_no_read_while_the_headers_are_judged_then_every_byte_in_order() -> None:
    reader, client, srv = await connected()
    transport = transport_of(reader)
    handler = Handler(reader)
    body = bytes(range(256)) * 4096  # 1 MiB
    task = asyncio.ensure_future(server.ConnectionHandler.hook_task(handler, request_hook("requestheaders")))
    assert not transport.is_reading()  # paused where mitmproxy starts the hook, before its task runs
    client.write(body)
    await handler.started.wait()
    await asyncio.sleep(0)
    assert not transport.is_reading()
    handler.release.set()
    await task
    assert transport.is_reading()
    assert await reader.readexactly(len(body)) == body
    client.close()
    srv.close()


async def test_a_connection_closed_during_the_hook_is_not_resumed() -> None:
    reader, client, srv = await connected()
    transport = transport_of(reader)
    handler = Handler(reader)
    task = asyncio.ensure_future(server.ConnectionHandler.hook_task(handler, request_hook("requestheaders")))
    await handler.started.wait()
    transport.close()  # an early answer: the connection is closed
    handler.release.set()
    await task
    assert transport.is_closing()
    client.close()
    srv.close()


@pytest.mark.parametrize("hook", [request_hook("requestheaders", "HTTP/2.0"), request_hook("request"),
                                  request_hook("responseheaders")], ids=["http2", "request", "responseheaders"])
async def test_other_hooks_and_http2_streams_keep_reading(hook: Any) -> None:
    reader, client, srv = await connected()
    transport = transport_of(reader)
    handler = Handler(reader)
    task = asyncio.ensure_future(server.ConnectionHandler.hook_task(handler, hook))
    await handler.started.wait()
    assert transport.is_reading()
    client.write(b"x" * 1000)
    assert await reader.readexactly(1000) == b"x" * 1000  # read while the hook is pending
    handler.release.set()
    await task
    client.close()
    srv.close()


async def test_the_next_layer_hook_of_the_client_pauses_too() -> None:
    reader, client, srv = await connected()
    transport = transport_of(reader)
    handler = Handler(reader)
    hook = SimpleNamespace(name="next_layer", blocking=False, data=SimpleNamespace(context=SimpleNamespace(client=handler.client)))
    task = asyncio.ensure_future(server.ConnectionHandler.hook_task(handler, hook))
    assert not transport.is_reading()
    handler.release.set()
    await task
    assert transport.is_reading()
    client.close()
    srv.close()


async def test_the_readers_own_flow_control_does_not_undo_the_pause() -> None:
    reader, client, srv = await connected(limit=1024)
    transport = transport_of(reader)
    client.write(b"y" * 64 * 1024)
    while not reader._paused:  # type: ignore[attr-defined]  # its buffer is over twice its limit
        await asyncio.sleep(0)
    handler = Handler(reader)
    task = asyncio.ensure_future(server.ConnectionHandler.hook_task(handler, request_hook("requestheaders")))
    await handler.started.wait()
    buffered = len(reader._buffer)  # type: ignore[attr-defined]
    assert await reader.read(buffered) == b"y" * buffered  # drained below the limit: the reader would resume
    assert not transport.is_reading()
    handler.release.set()
    await task
    assert transport.is_reading()
    assert await reader.readexactly(64 * 1024 - buffered) == b"y" * (64 * 1024 - buffered)
    client.close()
    srv.close()


def headed_hook(*fields: tuple[bytes, bytes]) -> Any:
    from mitmproxy.http import Headers

    return SimpleNamespace(name="requestheaders", blocking=False,
                           flow=SimpleNamespace(request=SimpleNamespace(http_version="HTTP/1.1", headers=Headers(fields))))


@pytest.mark.parametrize("fields", [(), ((b"content-length", b"0"),), ((b"content-length", b"350"),),
                                    ((b"content-length", b"65536"),)],
                         ids=["no-body", "empty", "chat-post", "one-read"])
async def test_a_body_one_read_takes_is_not_paused_for(fields: tuple[tuple[bytes, bytes], ...]) -> None:
    reader, client, srv = await connected()
    transport = transport_of(reader)
    handler = Handler(reader)
    task = asyncio.ensure_future(server.ConnectionHandler.hook_task(handler, headed_hook(*fields)))
    assert transport.is_reading()
    handler.release.set()
    await task
    assert transport.is_reading()
    client.close()
    srv.close()


@pytest.mark.parametrize("fields", [((b"content-length", b"65537"),), ((b"transfer-encoding", b"chunked"),),
                                    ((b"content-length", b"10"), (b"content-length", b"10")),
                                    ((b"content-length", b"\xc2\xb2"),), ((b"content-length", b"-1"),)],
                         ids=["large", "chunked", "two-lengths", "not-ascii", "negative"])
async def test_a_body_that_may_need_more_reads_is_paused_for(fields: tuple[tuple[bytes, bytes], ...]) -> None:
    reader, client, srv = await connected()
    transport = transport_of(reader)
    handler = Handler(reader)
    task = asyncio.ensure_future(server.ConnectionHandler.hook_task(handler, headed_hook(*fields)))
    assert not transport.is_reading()
    handler.release.set()
    await task
    assert transport.is_reading()
    client.close()
    srv.close()
