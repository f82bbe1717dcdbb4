"""Per-user scan budget: seconds of off-loop scanning one principal may use.

A token bucket per key (a Mattermost user id, or the client address when the
request has no user): ``seconds`` of scanning per ``window`` seconds, refilled
continuously.  A scan is allowed while the bucket is not empty and charged with
the time it took afterwards, so one scan may overdraw by at most the scan
deadline, and then the next ones wait for the refill.  Process-local (each
gateway worker keeps its own), bounded in memory, clock injected for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable


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
