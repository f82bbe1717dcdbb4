"""The names of the files a post attaches, read with the post's message.

A post names its files by id (``file_ids``, uploaded earlier); the web app shows the
message over the files' tiles, each with its name (components/file_attachment_list).
So three clean uploads ``536.txt``, ``22.txt``, ``8710.txt`` attached to ``client SSN``
show an SSN that neither the message nor any upload holds (attack pass 9, F15).

``attached_names`` reads each id-shaped ``body.file_ids[i]`` of a post route's body with
``GET /api/v4/files/{id}/info`` (api4/file.go ``getFileInfo``), with the caller's
token and then the gateway's fallback token, and returns the names as FILENAME items
(``body.file_ids[i].name``): judged like any file name, and joined with each other by
the pipeline (``_shown_with_their_names``, split.completed_within).  ``shown_together``
reads the message over them (``body.message#files``: the message, a line break, the
names' stems side by side, and again one a line; a label-only message is no piece of
the split window, so completed_within does not join it).
A finding there belongs to no field: a redact decision for it becomes a block.  Names
are kept in process memory only, for ``CACHE_SECONDS`` (a file's name does not change).

Bounded: at most ``MAX_FILES`` files per post (model/post.go ``PostFileidsMaxRunes``
admits about ten ids; more: 400); a file neither token may read is refused (400, the
post would show it), Mattermost not answering 503: fail closed.  A missing file (404)
shows nothing.  The files' text ends, kept at upload, are joined with the message by the
pipeline (``Pipeline._join_file_texts``, policy/split.py ``remember_file``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dlp_proxy.gateway.lookups import Screen, TtlCache, Unresolved, read_field, read_ids
from dlp_proxy.gateway.mentions import ROUTES, TOKENLESS_ROUTES
from dlp_proxy.model import ContentItem, ItemKind

_FILE_ID_PATH = re.compile(r"body\.file_ids\[\d+\]")
_ID = re.compile(r"[a-z0-9]{26}")
#: files read for one post (more: refused)
MAX_FILES = 10
#: seconds a file's name (or its absence) is trusted in process memory
CACHE_SECONDS = 60.0
#: entries of that cache (a full reset when it is reached)
CACHE_MAX = 4096


def applies(route_name: str, fallback_token: str | None) -> bool:
    return route_name in ROUTES or (route_name in TOKENLESS_ROUTES and bool(fallback_token))


def file_ids(items: Iterable[ContentItem]) -> list[tuple[str, str]]:
    """(path, id) of each ``body.file_ids[i]`` that is a Mattermost id, in order."""
    return [(i.path, i.text) for i in items if _FILE_ID_PATH.fullmatch(i.path) and _ID.fullmatch(i.text)]


class FileNames(TtlCache[str, "str | None"]):
    """File names by id, in process memory for ``CACHE_SECONDS``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(CACHE_SECONDS, CACHE_MAX, clock)


_DEFAULT = FileNames()


async def _read(upstream: Any, file_id: str, tokens: Sequence[str], timeout: float) -> str | None:
    return await read_field(upstream, f"/api/v4/files/{file_id}/info", "name", tokens, timeout,
                            what="an attached file", forbidden="an attached file the sender cannot read")


async def attached_names(items: Iterable[ContentItem], *, upstream: Any, token: str | None,
                         fallback_token: str | None, timeout: float,
                         cache: FileNames | None = None, screen: Screen | None = None) -> list[ContentItem]:
    """A FILENAME item (``<path>.name``) per attached file that exists, in order.  Only
    ids ``lookups.sendable`` keeps are read (``screen``: the detector); any other
    reads as no file."""
    ids = file_ids(items)
    if not ids:
        return []
    if len(ids) > MAX_FILES:
        raise Unresolved(400, f"more than {MAX_FILES} files attached to one post")
    names = await read_ids((fid for _, fid in ids), upstream=upstream, token=token, fallback_token=fallback_token,
                           timeout=timeout, cache=cache or _DEFAULT, screen=screen, what="attached files",
                           read=_read)
    return [ContentItem(f"{path}.name", name, ItemKind.FILENAME) for path, fid in ids if (name := names.get(fid))]


def shown_together(items: Iterable[ContentItem], names: Sequence[ContentItem]) -> list[ContentItem]:
    """The post's message as shown with its files: the message, then the files' names
    without their extensions (a stem starts its name: ``536.txt`` shows ``536`` where
    a number is read), side by side and one a line (``body.message#files``)."""
    if not names:
        return []
    message = next((i.text for i in items if i.path == "body.message" and i.kind is ItemKind.TEXT), "")
    stems = [os.path.splitext(n.text)[0] for n in names]
    return [ContentItem("body.message#files", message + "\n" + " ".join(stems)),
            ContentItem("body.message#files", message + "\n" + "\n".join(stems))]
