"""Free TCP ports for the servers the tests start (gateways, Redis, OIDC, SMTP, S3).

A port found by binding port 0 comes from the kernel's ephemeral range
(``net.ipv4.ip_local_port_range``), which every outgoing connection on the host
draws from as well.  Between the probe and the server's own bind, one of the
suite's many client connections can be given that very port, and the server
cannot listen: CI saw a gateway exit with "address already in use" and seven
tests error at set-up.  The kernel never hands out a port outside that range on
its own, so ports are picked below it (or above it, if it starts low); each is
handed out once per process, so two servers of one test never get the same one.
Under pytest-xdist each worker process draws from its own residue class of that range
(port mod the worker count), so two workers never hand out the same port either.
"""

from __future__ import annotations

import os
import random
import socket
import threading
from pathlib import Path

_LOCAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LINUX_DEFAULT = (32768, 60999)
#: below the ephemeral range, and clear of the well-known and most registered ports
_LOWEST = 20000
_given: set[int] = set()
_lock = threading.Lock()
#: this process's own generator: a property test seeding the module's does not make two
#: processes draw the same sequence
_random = random.Random()


def _worker_share() -> tuple[int, int]:
    """(index, count) of this pytest-xdist worker; (0, 1) outside xdist."""
    name, count = os.environ.get("PYTEST_XDIST_WORKER", ""), os.environ.get("PYTEST_XDIST_WORKER_COUNT", "")
    if name.startswith("gw") and name[2:].isdigit() and count.isdigit() and int(count) > 0:
        return int(name[2:]) % int(count), int(count)
    return 0, 1


def ephemeral_range() -> tuple[int, int]:
    try:
        low, high = (int(v) for v in _LOCAL_RANGE.read_text().split())
    except (OSError, ValueError):
        return _LINUX_DEFAULT
    return low, high


def _candidates() -> range:
    low, high = ephemeral_range()
    index, count = _worker_share()
    if low - _LOWEST >= 1000:
        # (room below the range for a test that takes a few consecutive ports)
        return range(_LOWEST + index, low - 16, count)
    if 65535 - high >= 1000:
        return range(high + 1 + index, 65536, count)
    return range(0)  # the range covers (nearly) everything: only the kernel's choice is left


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on, outside the ephemeral range where
    the host has one, never returned before by this process."""
    pool = _candidates()
    with _lock:
        for _ in range(200 if pool else 0):
            port = _random.choice(pool)
            if port not in _given and _bindable(port):
                _given.add(port)
                return port
        while True:  # no room outside the ephemeral range: the kernel's pick (the old race)
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
            if port not in _given:
                _given.add(port)
                return port
