"""Per-user scan budget: seconds of judging one principal may make the gateway spend.

A token bucket per key (a Mattermost user id; for a bot, its owner's id, one bucket
for all of that owner's bots and apart from the owner's own, ``Pipeline._budget_key``;
or the client address when the request has no user): ``seconds`` of scanning per ``window`` seconds, refilled
continuously.  A scan is allowed while the bucket is not empty and charged with
the time it took afterwards, so one scan may overdraw by at most the scan
deadline, and then the next ones wait for the refill.  Process-local (each
gateway worker keeps its own), bounded in memory, clock injected for tests.

What a request costs the event loop is charged too (``LoopMeter``: the CPU time of
the request's own steps on the loop thread), past ``LOOP_ALLOWANCE`` per request:
a post with a thousand findings spends ~16 ms there deciding and recording them,
time every other user's posts wait, and a clean post's own judging (~1 ms) never
is: a user who posts identifier-dense messages runs out sooner, and his next scan is
refused (429, ``Pipeline._scan``).

Every charge is CPU time, never wall time: a scan worker's job reports its own
``process_time`` (the pickling and copies to and from the worker, and the wait for a
free one, are not in it), the thread-pool fallback its thread's ``thread_time``, the
loop meter the loop thread's.  On a loaded host a post waits longer but costs its
sender no more.  (One exception: files sent without signing in are charged their wall
time in the file worker, ``Pipeline._inspect_in``.)  A scan that waited for a busy
worker and reached its deadline before it started costs nothing; one killed at its
deadline costs the CPU its worker spent on it (``FileScanner.run``'s ``spent``).

Requests without a user are charged by client address (``address_group``: an IPv4
address, an IPv6 /64, one customer's allocation), and all of them together by
``ANONYMOUS``, a bucket of its own (``anonymous_seconds``): many addresses cannot buy
more scan time than that, whatever they send.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: loop CPU seconds of a request that are not charged (a clean post's own judging
#: takes ~1 ms; a post of a thousand findings ~16 ms)
LOOP_ALLOWANCE = 0.005


#: the bucket every request without a user is charged to as well (its keys start "ip:")
ANONYMOUS = "ip:*"


def address_group(ip: str) -> str:
    """What counts as one client address for budgets and caps: an IPv4 address (also
    written IPv4-mapped), an IPv6 address's /64 (one subscriber's network: 2^64
    addresses for the price of one); anything unreadable as itself."""
    import ipaddress

    try:
        addr = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return ip
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(addr) >> 64 << 64, 64)))
    return str(addr)


class ScanBudgetExceeded(Exception):
    """This principal used its scan time; refused (429) until the bucket refills."""


class ScanBudget:
    def __init__(self, seconds: float, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000, anonymous_seconds: float = 0.0) -> None:
        self.capacity = float(seconds)
        #: the ``ANONYMOUS`` bucket's capacity (0: none), refilled over the same window
        self.anonymous_capacity = float(anonymous_seconds)
        self.anonymous_rate = self.anonymous_capacity / window if window > 0 else 0.0
        self.rate = self.capacity / window if window > 0 else 0.0
        self.clock = clock
        self.max_keys = max_keys
        #: key -> (level, when)
        self._buckets: dict[str, tuple[float, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def _level(self, key: str, now: float) -> float:
        capacity, rate = ((self.anonymous_capacity, self.anonymous_rate) if key == ANONYMOUS
                          else (self.capacity, self.rate))
        level, when = self._buckets.get(key, (capacity, now))
        return min(capacity, level + (now - when) * rate)

    def _anonymous(self, key: str) -> bool:
        return self.anonymous_capacity > 0 and key.startswith("ip:") and key != ANONYMOUS

    def check(self, key: str) -> None:
        """Raise ``ScanBudgetExceeded`` when ``key`` (or, for a key without a user, all
        of them together) has no scan time left."""
        if not self.enabled:
            return
        now = self.clock()
        if self._level(key, now) <= 0 or (self._anonymous(key) and self._level(ANONYMOUS, now) <= 0):
            raise ScanBudgetExceeded(key)

    def charge(self, key: str, seconds: float) -> None:
        if not self.enabled or seconds <= 0:
            return
        if self._anonymous(key):
            self._charge(ANONYMOUS, seconds)
        self._charge(key, seconds)

    def _charge(self, key: str, seconds: float) -> None:
        now = self.clock()
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            # drop the buckets that are full again (they carry no state), else start over
            self._buckets = {k: v for k, v in self._buckets.items()
                             if k == ANONYMOUS or self._level(k, now) < self.capacity}
            if len(self._buckets) >= self.max_keys:
                self._buckets = {k: v for k, v in self._buckets.items() if k == ANONYMOUS}
        self._buckets[key] = (self._level(key, now) - seconds, now)

    def remaining(self, key: str) -> float:
        return self._level(key, self.clock())


class LoopMeter:
    """The CPU time the event-loop thread spends in one coroutine's own steps
    (``await meter.run(coro)``): each step the task runs it is timed with
    ``clock`` (the thread's CPU time), while the time it waits for I/O, a worker
    or the CPU, and the steps of other tasks in between, are not counted.
    ``key``: whose budget pays (set once the request's sender is known)."""

    def __init__(self, clock: Callable[[], float] = time.thread_time) -> None:
        self.clock = clock
        self.seconds = 0.0
        self.key: str | None = None

    def run(self, coro: Awaitable[T]) -> Awaitable[T]:
        return _Metered(coro.__await__(), self)

    def charge(self, budget: ScanBudget | None, allowance: float = LOOP_ALLOWANCE) -> None:
        """Charge what the request spent past ``allowance`` to ``key``'s budget."""
        if budget is not None and self.key is not None and self.seconds > allowance:
            budget.charge(self.key, self.seconds - allowance)


class _Metered(Generic[T]):
    """An awaitable that times every step of the one it wraps (``LoopMeter.run``)."""

    def __init__(self, inner: Generator[Any, Any, T], meter: LoopMeter) -> None:
        self._inner = inner
        self._meter = meter

    def __await__(self) -> Generator[Any, Any, T]:
        return self  # type: ignore[return-value]

    def __iter__(self) -> _Metered[T]:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        started = self._meter.clock()
        try:
            return self._inner.send(value)
        finally:
            self._meter.seconds += self._meter.clock() - started

    def throw(self, *exc: Any) -> Any:
        started = self._meter.clock()
        try:
            return self._inner.throw(*exc)
        finally:
            self._meter.seconds += self._meter.clock() - started

    def close(self) -> None:
        self._inner.close()
