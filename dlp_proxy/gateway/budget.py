"""Per-user scan budget: seconds of judging one principal may make the gateway spend.

A token bucket per key (a Mattermost user id, or the client address when the
request has no user): ``seconds`` of scanning per ``window`` seconds, refilled
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
time in the file worker, ``Pipeline._inspect_in``.)
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")

#: loop CPU seconds of a request that are not charged (a clean post's own judging
#: takes ~1 ms; a post of a thousand findings ~16 ms)
LOOP_ALLOWANCE = 0.005


class ScanBudgetExceeded(Exception):
    """This principal used its scan time; refused (429) until the bucket refills."""


class ScanBudget:
    def __init__(self, seconds: float, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.capacity = float(seconds)
        self.rate = self.capacity / window if window > 0 else 0.0
        self.clock = clock
        self.max_keys = max_keys
        #: key -> (level, when)
        self._buckets: dict[str, tuple[float, float]] = {}

    @property
    def enabled(self) -> bool:
        return self.capacity > 0

    def _level(self, key: str, now: float) -> float:
        level, when = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, level + (now - when) * self.rate)

    def check(self, key: str) -> None:
        """Raise ``ScanBudgetExceeded`` when ``key`` has no scan time left."""
        if not self.enabled:
            return
        if self._level(key, self.clock()) <= 0:
            raise ScanBudgetExceeded(key)

    def charge(self, key: str, seconds: float) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if key not in self._buckets and len(self._buckets) >= self.max_keys:
            # drop the buckets that are full again (they carry no state), else start over
            self._buckets = {k: v for k, v in self._buckets.items() if self._level(k, now) < self.capacity}
            if len(self._buckets) >= self.max_keys:
                self._buckets.clear()
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
