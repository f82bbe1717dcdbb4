"""A private Redis for the gateway when none is configured (``DLP_REDIS_URL`` unset).

It listens on a Unix socket, ``$DLP_DATA_DIR/redis/redis.sock``, in a directory
only the gateway's user can enter, behind a random password, with its data in
the same directory and the durability the quarantine needs: AOF with ``appendfsync always`` (an item is on disk before the sender is
told it is held).  The URL (with the password) is written to
``$DLP_DATA_DIR/redis/url`` (mode 0600) so ``dlp-proxy quarantine`` finds it.
If the server dies it is restarted; meanwhile requests that need Redis fail
closed.

Why a socket and not a port: a free port found by binding port 0 comes from the
kernel's ephemeral range, which every outgoing connection on the host draws
from too, so between the probe and redis-server's own bind another connection
can take it and the server cannot start (seen in CI as "address already in
use").  A path nobody else writes has no such race, and a restarted server is
found at the same place.  Only where the path is longer than a socket address
allows (``sun_path``, 108 bytes on Linux) does it fall back to a free TCP port on
127.0.0.1, as it did before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

from dlp_proxy.procs import die_with_parent

log = logging.getLogger("dlp_proxy.redis")


class RedisUnavailable(RuntimeError):
    pass


def find_redis_server(configured: Path | None = None) -> str:
    path = str(configured) if configured else shutil.which("redis-server")
    if path:
        return path
    for candidate in ("/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"):
        if os.path.exists(candidate):
            return candidate
    raise RedisUnavailable(
        "redis-server was not found on PATH (or DLP_REDIS_SERVER) and DLP_REDIS_URL is not set. Install it "
        "(Debian/Ubuntu: apt-get install redis-server) or point DLP_REDIS_URL at a Redis."
    )


#: the longest path ``bind`` takes for a Unix socket on Linux (``sun_path`` less its NUL)
SUN_PATH_MAX = 107


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    def __init__(self, data_dir: Path, binary: Path | None = None) -> None:
        self.dir = data_dir / "redis"
        self.binary = binary
        self.port = 0
        self.socket_path = (self.dir / "redis.sock").absolute()  # (the URL and redis.conf need it whole)
        #: False when the socket's path is too long for ``bind``: then a TCP port
        self.unix = len(os.fsencode(self.socket_path)) <= SUN_PATH_MAX
        self.password = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self._monitor: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def url(self) -> str:
        if self.unix:
            return f"unix://:{self.password}@{quote(str(self.socket_path))}?db=0"
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    #: launches on a TCP port before giving up: a port found free can be taken before
    #: redis-server binds it (then it exits at start, and another port is tried)
    TCP_ATTEMPTS = 5

    def _attempts(self) -> int:
        return 1 if self.unix else self.TCP_ATTEMPTS

    def start(self) -> str:
        """Prepare, launch and wait, all on the calling thread (which must outlive
        the server: it dies with that thread, see dlp_proxy.procs)."""
        self._prepare()
        for attempt in range(self._attempts()):
            self._launch()
            try:
                self._wait_ready()
                break
            except RedisUnavailable:
                if attempt + 1 >= self._attempts():
                    raise
        return self.url

    async def start_async(self) -> str:
        """``start`` from the event loop: the slow parts in a thread, the launch on
        the loop's own thread so the server dies with the gateway."""
        await asyncio.to_thread(self._prepare)
        for attempt in range(self._attempts()):
            self._launch()
            try:
                await asyncio.to_thread(self._wait_ready)
                break
            except RedisUnavailable:
                if attempt + 1 >= self._attempts():
                    raise
        return self.url

    def _prepare(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        pw_file = self.dir / "password"
        if pw_file.exists():
            self.password = pw_file.read_text().strip()
        else:
            self.password = secrets.token_urlsafe(24)
            _write_private(pw_file, self.password)
        self._stop_leftover()

    def _stop_leftover(self) -> None:
        """A Redis left by an earlier gateway (one that died where the kernel
        could not signal its children, or on another platform).  Two servers must
        never share one AOF: stop the old one (SIGTERM makes Redis fsync and exit)
        before starting ours."""
        pid_file = self.dir / "redis.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return  # not running (or no /proc: nothing we can check safely)
        if b"redis-server" not in cmdline:
            return  # the pid was reused by something else
        log.warning("stopping a private Redis left behind by an earlier gateway", extra={"pid": pid})
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
            time.sleep(0.05)
        if Path(f"/proc/{pid}").exists():
            os.kill(pid, signal.SIGKILL)

    def _launch(self, port: int | None = None) -> None:
        binary = find_redis_server(self.binary)
        if self.unix:
            listen = ["port 0", f'unixsocket "{self.socket_path}"', "unixsocketperm 600"]
        else:
            self.port = port or free_port()
            listen = ["bind 127.0.0.1", f"port {self.port}"]
        conf = "\n".join(
            [
                *listen,
                f'dir "{self.dir}"',
                "appendonly yes",
                "appendfsync always",
                'appendfilename "appendonly.aof"',
                'dbfilename "dump.rdb"',
                "save 300 1",
                f"requirepass {self.password}",
                "protected-mode yes",
                'logfile "redis.log"',
                f'pidfile "{self.dir / "redis.pid"}"',
                "daemonize no",
                # quarantine streams must never be evicted
                "maxmemory-policy noeviction",
            ]
        )
        conf_path = self.dir / "redis.conf"
        _write_private(conf_path, conf + "\n")
        # Its own session, so a Ctrl-C does not hit it before the gateway has
        # drained; and it dies with the gateway, even one killed with -9.
        self.proc = subprocess.Popen(
            [binary, str(conf_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        _write_private(self.dir / "url", self.url)

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RedisUnavailable(f"private redis-server exited at start; see {self.dir / 'redis.log'}")
            try:
                with self._connect() as s:
                    s.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                    reply = s.recv(64)
                    if b"PONG" in reply:
                        log.info("private redis started", extra={"socket": str(self.socket_path)} if self.unix
                                 else {"port": self.port})
                        return
                    if b"LOADING" in reply:
                        time.sleep(0.1)
                        continue
            except OSError:
                pass
            time.sleep(0.05)
        raise RedisUnavailable("private redis-server did not become ready")

    def _connect(self) -> socket.socket:
        if not self.unix:
            return socket.create_connection(("127.0.0.1", self.port), timeout=0.2)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.settimeout(0.2)
            s.connect(str(self.socket_path))
        except OSError:
            s.close()
            raise
        return s

    async def supervise(self) -> None:
        """Restart the server if it dies (at the same socket, or the same port where possible)."""
        while not self._stopping:
            await asyncio.sleep(1.0)
            if self.proc is not None and self.proc.poll() is not None and not self._stopping:
                log.error("private redis exited; restarting")
                try:
                    # same socket or port, so clients reconnect without being told
                    self._launch(self.port)
                    await asyncio.to_thread(self._wait_ready)
                except Exception:
                    log.exception("private redis restart failed")

    def stop(self) -> None:
        self._stopping = True
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: redis fsyncs the AOF and exits
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
            if self.proc.poll() is None:
                self.proc.kill()


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
