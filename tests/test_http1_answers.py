"""The gateway's HTTP/1 request-body patch answers a request at most once.

Driven at mitmproxy's layer level (no sockets), so the order of events that a
loaded machine produces only sometimes is produced every time: mitmproxy answers a
request itself (the 413 for a declared body over the limit: ``ResponseProtocolError``
leaves ``response`` unset) and closes the connection; the ``ConnectionClosed`` that
follows reaches the body reader, whose h11 reader then fails on the missing body.
"""
from __future__ import annotations

from typing import Any

import pytest
from mitmproxy import options
from mitmproxy.connection import Client, ConnectionState
from mitmproxy.proxy import commands, events
from mitmproxy.proxy.context import Context
from mitmproxy.proxy.layers.http import _http1
from mitmproxy.proxy.layers.http._events import ResponseProtocolError

from dlp_proxy.gateway import server as gateway_server

HEAD = b"POST /api/v4/posts HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n"
CHUNKED_HEAD = b"POST /api/v4/posts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


def _server() -> tuple[Any, Client]:
    gateway_server._patch_mitmproxy_error_pages()
    client = Client(peername=("127.0.0.1", 40000), sockname=("127.0.0.1", 8065), timestamp_start=0.0)
    client.state = ConnectionState.OPEN
    layer: Any = _http1.Http1Server(Context(client, options.Options()))
    list(layer.handle_event(events.Start()))
    return layer, client


def _sent(cmds: list[Any]) -> list[bytes]:
    return [c.data for c in cmds if isinstance(c, commands.SendData)]


def test_no_second_answer_once_mitmproxy_answered_and_closed() -> None:
    layer, client = _server()
    list(layer.handle_event(events.DataReceived(client, HEAD)))
    # mitmproxy answers the body over its limit itself (HttpStream: ResponseProtocolError
    # 413 through Http1Server.send), then closes: server.close_connection sets CLOSED
    answer = list(layer.handle_event(ResponseProtocolError(layer.stream_id, "too large", 413)))
    assert [d[:12] for d in _sent(answer)] == [b"HTTP/1.1 413"]
    client.state = ConnectionState.CLOSED
    cmds = list(layer.handle_event(events.ConnectionClosed(client)))
    assert _sent(cmds) == []
    assert any(isinstance(c, commands.CloseConnection) for c in cmds)


def test_a_body_cut_short_by_the_gateways_own_close_is_answered() -> None:
    # the gateway's body deadline closes a connection whose body never completes
    # (a bare-LF chunk line h11 waits on forever): nothing answered it yet
    layer, client = _server()
    list(layer.handle_event(events.DataReceived(client, CHUNKED_HEAD + b"3\nabc\n0\n\n")))
    client.state = ConnectionState.CLOSED
    sent = _sent(list(layer.handle_event(events.ConnectionClosed(client))))
    assert len(sent) == 1 and sent[0].startswith(b"HTTP/1.1 400"), sent


@pytest.mark.parametrize("bad", [b"zz\r\nabc\r\n", b"-3\r\nabc\r\n"])
def test_a_malformed_chunk_is_answered_once(bad: bytes) -> None:
    layer, client = _server()
    cmds = list(layer.handle_event(events.DataReceived(client, CHUNKED_HEAD + bad)))
    sent = _sent(cmds)
    assert len(sent) == 1 and sent[0].startswith(b"HTTP/1.1 400"), sent
    assert gateway_server.BODY_FRAMING.encode() in sent[0]
    # the client then closes while the writer is still open: nothing more is written
    client.state = ConnectionState.CAN_WRITE
    assert _sent(list(layer.handle_event(events.ConnectionClosed(client)))) == []
