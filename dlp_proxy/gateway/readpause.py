"""Stop reading a client's connection while the gateway decides whether it wants the body.

mitmproxy reads a client connection in a loop of its own (``ConnectionHandler.
handle_connection``) and runs each event hook in a task of its own
(``ConnectionHandler.hook_task``).  While the ``next_layer`` hook (the connection's
first bytes) or an HTTP/1 request's ``requestheaders`` hook is pending (the gateway
decides there whether a body is wanted at all: credentials, size, bytes in flight;
``DLPAddon.requestheaders``), that loop went on reading the body the client pushes,
64 KiB at a time, into events the paused HTTP layer queues, for a refusal that drops
them all: ~640 KB of a refused 3 MB post.  Here the client connection's transport
stops reading where mitmproxy starts the hook (``pause_reading``: the kernel's receive
buffer fills, TCP flow control holds the sender) and reads again once the hook is
done, unless the connection was closed by then (an early answer).  What asyncio had
already read is still delivered (two reads: ~370 KB of that 3 MB post): nothing is
lost or reordered, and an admitted body arrives as before.

Nor is a request whose body is at most ``SMALL_BODY`` bytes (a Content-Length that
small, or no body: no Content-Length and no Transfer-Encoding): one read of the
connection takes all of it, usually with its headers, so there is nothing to hold
back, and the pause would cost every chat post and read an ``epoll`` removal, a re-add
and a coroutine.

HTTP/2: not paused during ``requestheaders`` (the connection carries other streams,
which keep flowing while one stream's headers are judged).  Idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

#: a declared body this small (or none) is not worth a pause: one read takes it
#: (``StreamReader.read``'s chunk in mitmproxy is 64 KiB)
SMALL_BODY = 64 * 1024


def _small_body(request: Any) -> bool:
    """Whether an HTTP/1 request declares one Content-Length of at most ``SMALL_BODY``
    or no body at all (neither Content-Length nor Transfer-Encoding)."""
    headers = getattr(request, "headers", None)
    if headers is None:
        return False
    if headers.get_all("transfer-encoding"):
        return False
    lengths = headers.get_all("content-length")
    if not lengths:
        return True
    return len(lengths) == 1 and lengths[0].isascii() and lengths[0].isdigit() and int(lengths[0]) <= SMALL_BODY


def _client_transport(handler: Any, hook: Any) -> asyncio.Transport | None:
    """The asyncio transport of the client connection to pause during ``hook``, else None:
    ``next_layer`` (the connection's first bytes; no protocol layer reads it yet) and an
    HTTP/1 request's ``requestheaders`` when its body may be more than one read (``_small_body``)."""
    if hook.name == "requestheaders":
        request = getattr(getattr(hook, "flow", None), "request", None)
        if request is None or not str(request.http_version).startswith("HTTP/1") or _small_body(request):
            return None
    elif hook.name == "next_layer":
        context = getattr(getattr(hook, "data", None), "context", None)
        if context is None or getattr(context, "client", None) is not handler.client:
            return None
    else:
        return None
    io = handler.transports.get(handler.client)
    reader = getattr(io, "reader", None) if io is not None else None
    if not isinstance(reader, asyncio.StreamReader):
        return None  # (a mitmproxy_rs stream: UDP, QUIC, WireGuard)
    transport = getattr(reader, "_transport", None)
    if not isinstance(transport, asyncio.Transport) or transport.is_closing():
        return None
    # The StreamReader pauses the transport itself while its buffer holds more than
    # twice its limit, and resumes it once read below: it would undo this pause.  The
    # pause is this module's until the hook is done (then the reader pauses again
    # at its next read if its buffer is still full).
    reader._paused = False  # type: ignore[attr-defined]
    return transport


async def _resume_after(hook_task: Coroutine[Any, Any, None], transport: asyncio.Transport) -> None:
    try:
        await hook_task
    finally:
        if not transport.is_closing():
            transport.resume_reading()


def patch_pause_reads_during_request_headers() -> None:
    from mitmproxy.proxy import server

    cls: Any = server.ConnectionHandler
    if getattr(cls, "_dlp_readpause_patched", False):
        return
    original = cls.hook_task

    def hook_task(self: Any, hook: Any) -> Coroutine[Any, Any, None]:
        # a plain function: called (and the transport paused) right where mitmproxy
        # starts the hook, before its read loop runs again
        coro: Coroutine[Any, Any, None] = original(self, hook)
        transport = _client_transport(self, hook)
        if transport is None:
            return coro
        transport.pause_reading()  # (idempotent: a transport already paused stays paused)
        return _resume_after(coro, transport)

    cls.hook_task = hook_task
    cls._dlp_readpause_patched = True
