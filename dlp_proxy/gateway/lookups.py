"""What the gateway reads back from Mattermost to show a request as readers see it: a
short-lived cache in process memory and one field of an object read with the first
token that may read it (``gateway/attached.py``: a file's name; ``gateway/permalinks.py``:
a linked post's message).  Nothing read here is written to Redis or logged."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Unresolved(Exception):
    """What a request names could not be read from Mattermost: refused with ``status``
    (mentions, linked posts, attached files)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class TtlCache(Generic[K, V]):
    """Values by key, trusted for ``seconds``; at ``max_entries`` the cache starts
    over (a full reset: bounded memory, no bookkeeping per entry)."""

    def __init__(self, seconds: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._cache: dict[K, tuple[float, V]] = {}

    def cached(self, key: K) -> tuple[bool, V | None]:
        hit = self._cache.get(key)
        if hit is None or hit[0] <= self.clock():
            return False, None
        return True, hit[1]

    def remember(self, key: K, value: V) -> None:
        if len(self._cache) >= self.max_entries:
            self._cache.clear()
        self._cache[key] = (self.clock() + self.seconds, value)


async def read_field(upstream: Any, path: str, field: str, tokens: Sequence[str], timeout: float, *,
                     what: str, forbidden: str) -> str | None:
    """The string ``field`` of the JSON object at ``path`` ("" when it has none), read
    with the first of ``tokens`` that may read it; None when there is no such object
    (404).  Refused, failing closed: 400 ``forbidden`` when no token may read it (its
    readers would see it), 503 when Mattermost does not answer as it should (``what``
    names the object in the reason)."""
    refused = False
    for token in tokens:
        try:
            resp = await asyncio.wait_for(upstream.get(path, headers={"Authorization": f"Bearer {token}"}), timeout)
        except Exception as exc:  # transport errors, a timeout
            raise Unresolved(503, f"{what} could not be read ({type(exc).__name__})") from None
        if resp.status_code == 404:
            continue
        if resp.status_code in (401, 403):
            refused = True
            continue
        if resp.status_code != 200:
            raise Unresolved(503, f"{what} could not be read (status {resp.status_code})")
        try:
            body = resp.json()
        except ValueError:
            raise Unresolved(503, f"{what} could not be read (not JSON)") from None
        value = body.get(field) if isinstance(body, dict) else None
        return value if isinstance(value, str) else ""
    if refused:
        raise Unresolved(400, forbidden)
    return None
