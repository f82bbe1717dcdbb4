"""A post's permalinks as the web app shows them: with the linked post's text under it.

Mattermost makes a permalink preview of a post whose first link looks like a
permalink (server/channels/app/post_metadata.go ``getEmbedForPost``:
``looksLikeAPermalink``, ``^<site URL>.*(/pl/)[a-z0-9]{26}$`` on the trimmed link, then
``getLinkMetadataForPermalink`` reads the referenced post and the embed is of type
``permalink`` with ``model.PreviewPost``), in any channel the readers can read; the
strict link-preview mode keeps it (``getEmbedsAndImages`` returns early on
``unsafe_links`` unless the first link is a permalink).  The web app shows the linked
post's message in a box under the message (components/post_view/post_message_preview).
So ``-8710`` posted anywhere and ``client SSN 536-22 https://<site>/team/pl/<its id>``
posted in another channel (no SSN in either, and the split window is per channel)
show every reader ``client SSN 536-22`` over ``-8710``.

``linked_readings`` gives each text of a post that holds something shaped like a
permalink id (``/pl/`` and 26 lower-case letters or digits; in the text as written
and markdown-unescaped: character references decoded, backslashes dropped, as
Mattermost reads a link destination) one more reading (two when markdown-unescaping
changes it): the text without the permalinks' URLs (shown as links), a line break and
each linked post's message, judged like the text itself (a finding there belongs to
no field: a redact decision for it becomes a block).  Every permalink is read, not
only the first link (what is a link depends on the markdown around it: fail closed).
The post is read with ``GET /api/v4/posts/{id}`` (api4/post.go ``getPost``), with the
caller's token and then the gateway's fallback token; a post no one of them may read
(403 for each) is refused (400: readers of its channel would see it under the post),
a missing one (404) shows nothing.  Messages are kept in process memory only, for
``CACHE_SECONDS`` (never in Redis, never logged).

Bounded: at most ``MAX_LINKS`` distinct permalinks per request (more: 400); a read
Mattermost does not answer is refused (503): fail closed.

Not covered: the linked post edited after the post that shows it (the preview shows
its current text; docs/detection.md "Permalink previews").
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dlp_proxy.gateway.lookups import Screen, TtlCache, Unresolved, read_field, read_ids
from dlp_proxy.gateway.mentions import ROUTES, TOKENLESS_ROUTES

#: post_metadata.go looksLikeAPermalink: ``(/pl/)[a-z0-9]{26}$`` (any host: the site URL
#: the gateway is reached by need not be the one Mattermost is configured with)
_PERMALINK = re.compile(r"/pl/([a-z0-9]{26})(?![a-z0-9])")
#: the run of non-blank characters a permalink sits in (its URL, a markdown link around it)
_LINK_RUN = re.compile(r"\S*/pl/[a-z0-9]{26}(?![a-z0-9])\S*")
#: distinct permalinks read for one request (more: refused)
MAX_LINKS = 4
#: seconds a linked post's message (or its absence) is trusted in process memory
CACHE_SECONDS = 10.0
#: entries of that cache (a full reset when it is reached)
CACHE_MAX = 2048
#: a linked message longer than this is read by its head and tail (the part next to
#: the post that shows it is its head; an identifier split there sits at a boundary)
MAX_CHARS = 4000


def applies(route_name: str, fallback_token: str | None) -> bool:
    """Whether the route's texts are read with their permalinks' posts shown."""
    return route_name in ROUTES or (route_name in TOKENLESS_ROUTES and bool(fallback_token))


def _readings(text: str) -> tuple[str, ...]:
    unescaped = html.unescape(text).replace("\\", "")
    return (text,) if unescaped == text else (text, unescaped)


def linked_ids(text: str) -> list[str]:
    """The post ids of the permalinks in ``text``, in order, each once."""
    if "pl" not in text and "&" not in text:
        return []
    out: list[str] = []
    for reading in _readings(text):
        for m in _PERMALINK.finditer(reading):
            if m.group(1) not in out:
                out.append(m.group(1))
    return out


class LinkedPosts(TtlCache[str, "str | None"]):
    """Linked posts' messages by id, in process memory for ``CACHE_SECONDS``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(CACHE_SECONDS, CACHE_MAX, clock)


_DEFAULT = LinkedPosts()


async def _read(upstream: Any, post_id: str, tokens: Sequence[str], timeout: float) -> str | None:
    """The message of post ``post_id``, read with the first token that may read it;
    None when there is no such post."""
    return await read_field(upstream, f"/api/v4/posts/{post_id}", "message", tokens, timeout,
                            what="a linked post",
                            forbidden="a permalink to a post the sender cannot read: its channel's members "
                                      "would see it under this post")


def _keep(message: str) -> str:
    if len(message) <= MAX_CHARS:
        return message
    half = MAX_CHARS // 2
    return message[:half] + "\n" + message[-half:]


async def linked_readings(texts: Iterable[tuple[str, str]], *, upstream: Any, token: str | None,
                          fallback_token: str | None, timeout: float,
                          cache: LinkedPosts | None = None, screen: Screen | None = None) -> list[tuple[str, str]]:
    """(path, text with the linked posts' messages under it) for each (path, text) of
    a post that holds a permalink to a post that exists.  Only ids ``lookups.sendable``
    keeps are read (``screen``: the detector); any other reads as no post."""
    found = [(p, t, ids) for p, t in texts if (ids := linked_ids(t))]
    if not found:
        return []
    wanted: list[str] = []
    for _, _, ids in found:
        wanted.extend(i for i in ids if i not in wanted)
    if len(wanted) > MAX_LINKS:
        raise Unresolved(400, f"more than {MAX_LINKS} permalinks in one post")
    messages = await read_ids(wanted, upstream=upstream, token=token, fallback_token=fallback_token,
                              timeout=timeout, cache=cache or _DEFAULT, screen=screen, what="linked posts",
                              read=_read)
    out = []
    for path, text, ids in found:
        shown = [_keep(m) for i in ids if (m := messages.get(i))]
        if shown:
            for reading in _readings(text):
                # the link is shown as a link; its URL is no text between the post and the preview
                cut = _LINK_RUN.sub(" ", reading)
                if cut != reading:
                    out.append((path, "\n".join((cut.rstrip(), *shown))))
    return out
