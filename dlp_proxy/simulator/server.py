"""Running the simulator: in the foreground (``serve``) or in a thread (``SimulatorServer``)."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator
from typing import Any, Self

import uvicorn

from dlp_proxy.simulator.app import create_app
from dlp_proxy.simulator.state import Simulator


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _config(sim: Simulator, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(sim),
        host=host,
        port=port,
        log_level=log_level,
        ws="wsproto",
        lifespan="off",
        access_log=False,
        # Keep request bodies intact for recording; h11 parses strictly.
        http="h11",
    )


def serve(
    host: str = "127.0.0.1",
    port: int = 8065,
    sim: Simulator | None = None,
    *,
    on_ready: Callable[[str], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Run the simulator in the foreground until interrupted. ``port=0`` picks a free port;
    ``on_ready`` is called with the base URL once the socket listens."""
    sim = sim or Simulator()
    sock = _bind(host, port)
    bound = sock.getsockname()[1]
    server = _QuietServer(_config(sim, host, bound, log_level))

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    # SIGINT/SIGTERM: graceful shutdown and a 0 exit (uvicorn would re-raise the signal).
    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if on_ready is not None:
            on_ready(_url(host, bound))
        server.run(sockets=[sock])
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sock.close()


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its caller."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class ThreadedServer:
    """Any ASGI app on a real socket (127.0.0.1, free port by default) in a background thread."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = _bind(host, port)
        self.port: int = self._sock.getsockname()[1]
        self.url = _url(host, self.port)
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", ws="wsproto", lifespan="off",
            access_log=False, http="h11",
        )
        self._server = _QuietServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="asgi-server", daemon=True
        )

    def start(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SimulatorServer(ThreadedServer):
    """The simulator on a real socket in a background thread (for tests and embedding).

    >>> with SimulatorServer() as srv:   # doctest: +SKIP
    ...     httpx.get(srv.url + "/api/v4/system/ping")
    """

    def __init__(self, sim: Simulator | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim or Simulator()
        super().__init__(create_app(self.sim), host, port)
