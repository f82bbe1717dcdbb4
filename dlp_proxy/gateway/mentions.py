"""A post's ``~channel`` mentions as the web app shows them: with the display names.

The web app renders ``~town-square`` as a link whose text is ``~`` and the channel's
*display name* (webapp/channels/src/utils/text_formatting.tsx
``autolinkChannelMentions``: the pattern ``\\B(~([a-z0-9.\\-_]*))`` case-insensitive,
the name lower-cased and looked up in ``channelNamesMap``; when it is not there,
trailing punctuation is cut off one character at a time while the last character is
punctuation (``[^\\p{L}\\d]``) and the rest is looked up again, the cut part shown
after the link).  So three channels whose display names are ``536``, ``22`` and
``8710`` turn ``client SSN ~a - ~b - ~c`` (no digit in it) into ``client SSN ~536 -
~22 - ~8710`` for every reader.

``rendered_mentions`` gives each text of a post that holds a mention a second
reading, the text with each mention replaced as the web app replaces it, judged
like the text itself (a finding there belongs to no field: a redact decision for
it becomes a block).  Names are resolved in the team of the post's channel with the
caller's token (``GET /api/v4/teams/{team_id}/channels/name/{name}``, api4/channel.go
``getChannelByName``), and with the gateway's fallback token when the caller cannot
read the channel (a private channel the readers belong to and the writer left).  A
post with no team (direct and group messages) is read in each of the caller's teams
(``GET /api/v4/users/me/teams``; the web app resolves mentions in the reader's
current team), at most ``MAX_TEAMS``.  Display names are kept in process memory
only, for ``CACHE_SECONDS`` (never in Redis, never logged).

Bounded: at most ``MAX_LOOKUPS`` names looked up per request (each mention tries
its name and its punctuation-stripped prefixes); more is refused (400), as is a
lookup Mattermost does not answer (503): fail closed.

The other way round (the channel renamed after the post) cannot be judged by
reading the post: ``display_name_refusal`` refuses a channel or bookmark display
name that has a digit and no letter (``536``, ``22-8710``), which is what a display
name must be to make a number out of mentions that the detector cannot see.  A
display name with letters (``Desk 536``) is allowed: its mentions are read with it
from then on, but posts made before the rename are not judged again
(docs/detection.md "Channel mentions").
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dlp_proxy.gateway import atrest
from dlp_proxy.gateway.extract import go_field_name

#: text_formatting.tsx autolinkChannelMentions: ``/\B(~([a-z0-9.\-_]*))/gi``
_MENTION = re.compile(r"(?<![A-Za-z0-9_])~([A-Za-z0-9.\-_]*)")
#: a channel name Mattermost can have (model.IsValidChannelIdentifier: 1-64 of [a-z0-9_-]);
#: the web app's map is keyed by such names, so nothing else resolves
_CHANNEL_NAME = re.compile(r"[a-z0-9_\-]{1,64}")
#: names looked up for one request (more: refused)
MAX_LOOKUPS = 32
#: teams a post without a team (direct or group message) is read in
MAX_TEAMS = 4
#: seconds a resolved display name (or its absence) is trusted in process memory
CACHE_SECONDS = 30.0
#: entries of that cache (a full reset when it is reached)
CACHE_MAX = 4096
#: the routes whose texts the web app formats as a post (message and attachments)
ROUTES = frozenset({"posts.create", "posts.update", "posts.patch", "posts.schedule.create",
                    "posts.schedule.update", "drafts.upsert"})


class Unresolved(Exception):
    """The mentions could not be resolved: refused with ``status``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _punctuation(ch: str) -> bool:
    """``/[^\\p{L}\\d]/u`` (``\\d`` is ASCII in JavaScript)."""
    return not (unicodedata.category(ch).startswith("L") or ch in "0123456789")


def candidates(text: str) -> list[tuple[int, int, list[str]]]:
    """(start, end, names to try in order) of every mention in ``text``: the whole
    lower-cased name, then each prefix left when trailing punctuation is cut off."""
    out = []
    for m in _MENTION.finditer(text):
        raw = m.group(1)
        if not raw:
            continue
        name = raw.lower()
        tries = [name]
        while name and _punctuation(name[-1]):
            name = name[:-1]
            if name:
                tries.append(name)
        tries = [t for t in tries if _CHANNEL_NAME.fullmatch(t)]
        if tries:
            out.append((m.start(), m.end(), tries))
    return out


def render(text: str, names: Callable[[str], str | None]) -> str | None:
    """``text`` with its mentions shown as the web app shows them, or None when no
    mention resolves (the text reads as it is)."""
    parts: list[str] = []
    pos = 0
    changed = False
    for start, end, tries in candidates(text):
        full = text[start + 1:end]
        for t in tries:
            shown = names(t)
            if shown is not None:
                parts.append(text[pos:start])
                parts.append("~" + shown + full[len(t):])  # the cut punctuation after the link
                pos = end
                changed = True
                break
    if not changed:
        return None
    parts.append(text[pos:])
    return "".join(parts)


class DisplayNames:
    """Display names of channels by (team, name), in process memory for ``CACHE_SECONDS``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, str | None]] = {}

    def cached(self, team_id: str, name: str) -> tuple[bool, str | None]:
        hit = self._cache.get((team_id, name))
        if hit is None or hit[0] <= self.clock():
            return False, None
        return True, hit[1]

    def remember(self, team_id: str, name: str, display: str | None) -> None:
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[(team_id, name)] = (self.clock() + CACHE_SECONDS, display)


_DEFAULT = DisplayNames()


async def _lookup(upstream: Any, team_id: str, name: str, tokens: Sequence[str], timeout: float) -> str | None:
    """The display name of channel ``name`` of the team, read with the first token that
    may read it; None when none can (no such channel for anyone who tried)."""
    for token in tokens:
        try:
            resp = await asyncio.wait_for(upstream.get(f"/api/v4/teams/{team_id}/channels/name/{name}",
                                                       headers={"Authorization": f"Bearer {token}"}), timeout)
        except Exception as exc:  # transport errors, a timeout
            raise Unresolved(503, f"a channel mention could not be resolved ({type(exc).__name__})") from None
        if resp.status_code in (401, 403, 404):
            continue
        if resp.status_code != 200:
            raise Unresolved(503, f"a channel mention could not be resolved (status {resp.status_code})")
        try:
            body = resp.json()
        except ValueError:
            raise Unresolved(503, "a channel mention could not be resolved (not JSON)") from None
        shown = body.get("display_name") if isinstance(body, dict) else None
        return shown if isinstance(shown, str) else ""
    return None


async def _teams(upstream: Any, token: str, timeout: float) -> list[str]:
    try:
        resp = await asyncio.wait_for(upstream.get("/api/v4/users/me/teams",
                                                   headers={"Authorization": f"Bearer {token}"}), timeout)
    except Exception as exc:
        raise Unresolved(503, f"the caller's teams could not be read ({type(exc).__name__})") from None
    if resp.status_code != 200:
        raise Unresolved(503 if resp.status_code >= 500 else 403,
                         f"the caller's teams could not be read (status {resp.status_code})")
    try:
        teams = resp.json()
    except ValueError:
        raise Unresolved(503, "the caller's teams could not be read (not JSON)") from None
    ids = [str(t.get("id", "")) for t in teams if isinstance(t, dict)] if isinstance(teams, list) else []
    return [t for t in ids if atrest.is_id(t)][:MAX_TEAMS]


async def rendered_mentions(texts: Iterable[tuple[str, str]], *, team_id: str | None, upstream: Any,
                            token: str | None, fallback_token: str | None, timeout: float,
                            cache: DisplayNames | None = None) -> list[tuple[str, str]]:
    """(path, text as shown) for each (path, text) of a post that holds a mention that
    resolves to a channel: one reading per team the post is read in."""
    texts = [(p, t) for p, t in texts if "~" in t and candidates(t)]
    if not texts:
        return []
    if upstream is None or not token:
        raise Unresolved(503, "no Mattermost client or token to resolve channel mentions with")
    cache = cache or _DEFAULT
    if team_id and atrest.is_id(team_id):
        teams = [team_id]
    else:
        teams = await _teams(upstream, token, timeout)
    tokens = [token] + ([fallback_token] if fallback_token and fallback_token != token else [])
    wanted = list(dict.fromkeys(n for _, t in texts for _, _, tries in candidates(t) for n in tries))
    resolved: dict[tuple[str, str], str | None] = {}
    lookups = 0
    for team in teams:
        for name in wanted:
            hit, shown = cache.cached(team, name)
            if not hit:
                lookups += 1
                if lookups > MAX_LOOKUPS:
                    raise Unresolved(400, f"more than {MAX_LOOKUPS} channel mentions to resolve in one post")
                shown = await _lookup(upstream, team, name, tokens, timeout)
                cache.remember(team, name, shown)
            resolved[(team, name)] = shown
    out = []
    for team in teams:
        for path, text in texts:
            shown_text = render(text, lambda n, team=team: resolved.get((team, n)))  # type: ignore[misc]
            if shown_text is not None:
                out.append((path, shown_text))
    return out


#: the routes that set a display name shown wherever it is mentioned or listed
#: (api4/channel.go createChannel, updateChannel, patchChannel; channel_bookmark.go)
DISPLAY_NAME_ROUTES = frozenset({"channels.create", "channels.update", "channels.patch",
                                 "bookmarks.create", "bookmarks.patch"})


def digits_only(text: str) -> bool:
    """A display name with a digit (any script: ``Nd`` and digit-valued ``No``) and no letter."""
    has_digit = False
    for ch in text:
        cat = unicodedata.category(ch)
        if cat.startswith("L"):
            return False
        if cat == "Nd" or unicodedata.digit(ch, None) is not None or unicodedata.numeric(ch, None) is not None:
            has_digit = True
    return has_digit


def display_name_refusal(route_name: str, items: Iterable[Any]) -> str | None:
    """Why the display name this request sets is refused, or None."""
    if route_name not in DISPLAY_NAME_ROUTES:
        return None
    for item in items:
        top, dot, key = item.path.partition(".")
        if top == "body" and dot and go_field_name(key) == "display_name" and digits_only(item.text):
            return ("a display name made of digits without a letter is not accepted: shown in a mention, "
                    "a list or a bookmark bar beside others, digits make numbers the message never holds")
    return None
