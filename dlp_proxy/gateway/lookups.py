"""What the gateway reads back from Mattermost to show a request as readers see it: a
short-lived cache in process memory and one field of an object read with the first
token that may read it (``gateway/attached.py``: a file's name; ``gateway/permalinks.py``:
a linked post's message).  Nothing read here is written to Redis or logged.

A lookup names what it reads with a value copied from the request (a ``~channel`` or
``@user`` mention's name, a permalink's post id, an attached file id), before the
request is decided: Mattermost logs the path of every request it serves
(web/handlers.go ``ServeHTTP``) and so does any proxy in front of it.  ``sendable``
keeps only the values that have the shape Mattermost accepts for them
(``CHANNEL_NAME``, ``USERNAME``, ``ID``) and in which neither the detector
(``Screen``, the request's entities) nor a digit-run check (``long_number``) finds
anything: a value left out is not looked up (it reads as a name or object that does
not exist); the text that holds it is judged all the same.  Where what Mattermost
shows for a value matters to the decision (a mention's display name), a value left
out for its digit run alone (``digit_named``) is looked up once the request is decided
to be forwarded, in its texts as forwarded (gateway/mentions.py)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from typing import Any, Generic, TypeVar

from dlp_proxy import atrest
from dlp_proxy.model import MATTERMOST_ID

K = TypeVar("K")
V = TypeVar("V")


#: model.IsValidChannelIdentifier (validSimpleAlphaNum ``^[a-z0-9]+([a-z\-\_0-9]+|(__)?)[a-z0-9]*$``),
#: at most ChannelNameMaxLength (64)
CHANNEL_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
#: model.IsValidUsername (validUsernameChars ``^[a-z0-9\.\-_]+$``, UserNameMinLength 1,
#: UserNameMaxLength 64) without model.restrictedUsernames
USERNAME = re.compile(r"[a-z0-9.\-_]{1,64}")
RESTRICTED_USERNAMES = frozenset({"all", "channel", "matterbot", "system"})
#: a Mattermost id (model.NewId: 26 of ``[a-z0-9]``)
ID = MATTERMOST_ID
#: digits (separators of up to three characters between them joined) that make a value
#: too number-like to send: names (a channel or user named for an account) and ids
#: (about 1 in 10,000 random ids has such a run: read as not found)
NAME_DIGITS = atrest.MIN_DIGIT_RUN
ID_DIGITS = 9

#: the values (of those given) in which the detector finds something
Screen = Callable[[Sequence[str]], Awaitable[Collection[str]]]


def long_number(value: str, digits: int) -> bool:
    """``value`` holds a run of ``digits`` or more digits (short separators joined)."""
    return atrest.digit_run(value) >= digits


async def sendable(values: Iterable[str], shape: re.Pattern[str], screen: Screen | None, *,
                   digits: int = NAME_DIGITS, excluded: Collection[str] = ()) -> list[str]:
    """The distinct ``values`` that may name a lookup sent to Mattermost: of ``shape``,
    not ``excluded``, no run of ``digits`` digits, nothing the detector (``screen``) finds."""
    shaped = [v for v in dict.fromkeys(values)
              if shape.fullmatch(v) and v not in excluded and not long_number(v, digits)]
    if not shaped or screen is None:
        return shaped
    flagged = set(await screen(shaped))
    return [v for v in shaped if v not in flagged]


async def digit_named(values: Iterable[str], shape: re.Pattern[str], screen: Screen | None, *,
                      digits: int = NAME_DIGITS, excluded: Collection[str] = ()) -> list[str]:
    """The distinct ``values`` of ``shape`` (not ``excluded``) that ``sendable`` leaves
    out for their digit run alone (the detector finds nothing in them)."""
    long = [v for v in dict.fromkeys(values)
            if shape.fullmatch(v) and v not in excluded and long_number(v, digits)]
    if not long or screen is None:
        return long
    flagged = set(await screen(long))
    return [v for v in long if v not in flagged]


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

    def clear(self) -> None:
        self._cache.clear()


async def read_ids(ids: Iterable[str], *, upstream: Any, token: str | None, fallback_token: str | None,
                   timeout: float, cache: TtlCache[str, V | None], screen: Screen | None, what: str,
                   read: Callable[[Any, str, Sequence[str], float], Awaitable[V | None]]) -> dict[str, V | None]:
    """The value ``read`` gives for each of the Mattermost ``ids`` that ``sendable``
    keeps (ids shaped as Mattermost's, nothing the detector, ``screen``, finds in them),
    from ``cache`` while it holds it; the caller's token first, then the fallback one.
    Refused (503) when there is no client or token to read ``what`` with."""
    token = token or fallback_token
    if upstream is None or not token:
        raise Unresolved(503, f"no Mattermost client or token to read {what} with")
    tokens = [token] + ([fallback_token] if fallback_token and fallback_token != token else [])
    out: dict[str, V | None] = {}
    for i in await sendable(ids, ID, screen, digits=ID_DIGITS):
        hit, value = cache.cached(i)
        if not hit:
            value = await read(upstream, i, tokens, timeout)
            cache.remember(i, value)
        out[i] = value
    return out


async def read_field(upstream: Any, path: str, field: str, tokens: Sequence[str], timeout: float, *,
                     what: str, forbidden: str) -> str | None:
    """The string ``field`` of the JSON object at ``path`` ("" when it has none), read
    with the first of ``tokens`` that may read it; None when there is no such object
    (404).  Refused, failing closed: 400 ``forbidden`` when no token may read it (its
    readers would see it), 503 when Mattermost does not answer as it should (``what``
    names the object in the reason)."""
    fields = await read_fields(upstream, path, (field,), tokens, timeout, what=what, forbidden=forbidden)
    return None if fields is None else fields[0]


async def read_fields(upstream: Any, path: str, fields: Sequence[str], tokens: Sequence[str], timeout: float, *,
                      what: str, forbidden: str) -> tuple[str, ...] | None:
    """``read_field`` for several string fields of one object, in the order asked."""
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
        values = [body.get(f) if isinstance(body, dict) else None for f in fields]
        return tuple(v if isinstance(v, str) else "" for v in values)
    if refused:
        raise Unresolved(400, forbidden)
    return None
