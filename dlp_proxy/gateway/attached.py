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

The same read gives the file's channel.  Mattermost attaches any file its sender
uploaded and no post holds yet to a post in any channel (store/sqlstore/file_info_store.go
``AttachToPost`` sets the file's ``ChannelId`` to the post's; app/post.go checks no
channel), while the gateway judged the upload for the channel it was uploaded in
(a channel exempted from a rule, a private channel where a reviewer released it): a
post attaching a file uploaded in another channel is refused (400, upload it again
in this channel).  The web and mobile apps upload a post's files in its channel.

A file of *no* channel (``channel_id`` empty) is attached the same way: AttachToPost's
only conditions are ``PostId = ''`` and the creator (the sender, or ``nouser``), and it
moves the file into the post's channel; neither api4/post.go ``createPostChecks`` nor
app/post.go ``CreatePost`` → ``attachFilesToPost`` → ``attachFileIDsToPost`` (nor an
edit's app/post.go ``attachNewFilesToPost``) looks at the file's channel.  Such files
are made by app/file.go ``CopyFileInfos`` (``ChannelId = ""``, ``PostId = ""``: the
plugin API's copy of any file, a post of another channel's included), by plugins and
imports, and are the legacy rows the ``ChannelId`` column was added after (read back as
``COALESCE(FileInfo.ChannelId, '')``).  Their bytes were never judged by the gateway
for this channel: every upload it judges names its channel (api4/file.go
``uploadFileStream`` requires ``channel_id``; an attachment's upload session too), so
no id it judged has an empty one, and a copy gets a new id.  A post attaching an
unattached file of no channel is refused (400, ``NO_CHANNEL``).  One already attached
to a post (``post_id`` set) is not attached again (AttachToPost needs ``PostId = ''``;
a post shows the files whose ``PostId`` is its own, store ``GetForPost``): it is shown
only by the post it already belongs to (an edit keeping its files), and passes.

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
from typing import Any, NamedTuple

from dlp_proxy.gateway.extract import go_path
from dlp_proxy.gateway.lookups import Screen, TtlCache, Unresolved, read_fields, read_ids
from dlp_proxy.gateway.mentions import ROUTES, TOKENLESS_ROUTES
from dlp_proxy.model import MATTERMOST_ID, ContentItem, ItemKind

_FILE_ID_PATH = re.compile(r"body\.file_ids\[\d+\]")
#: files read for one post (more: refused)
MAX_FILES = 10
#: seconds a file's name (or its absence) is trusted in process memory
CACHE_SECONDS = 60.0
#: entries of that cache (a full reset when it is reached)
CACHE_MAX = 4096


def applies(route_name: str, fallback_token: str | None) -> bool:
    return route_name in ROUTES or (route_name in TOKENLESS_ROUTES and bool(fallback_token))


def file_ids(items: Iterable[ContentItem]) -> list[tuple[str, str]]:
    """(path, id) of each ``body.file_ids[i]`` that is a Mattermost id, in order; the
    key read as Go reads it (``extract.go_path``: ``File_Ids`` is ``file_ids``), every
    case variant's ids (Go keeps the last: reading them all is the safe side)."""
    return [(i.path, i.text) for i in items
            if _FILE_ID_PATH.fullmatch(go_path(i.path)) and MATTERMOST_ID.fullmatch(i.text)]


def any_file_ids(items: Iterable[ContentItem]) -> bool:
    """Whether an item is one of ``body.file_ids`` (as Go reads the key)."""
    return any(go_path(i.path).startswith("body.file_ids[") for i in items)


class Attached(NamedTuple):
    """What ``GET /api/v4/files/{id}/info`` says of an attached file (model.FileInfo)."""

    name: str
    channel_id: str
    post_id: str


class FileNames(TtlCache[str, "Attached | None"]):
    """(name, channel id, post id) of files by id, in process memory for ``CACHE_SECONDS``
    (a file's post id, once set, never changes: store ``Upsert`` keeps it)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(CACHE_SECONDS, CACHE_MAX, clock)


_DEFAULT = FileNames()


async def _read(upstream: Any, file_id: str, tokens: Sequence[str], timeout: float) -> Attached | None:
    fields = await read_fields(upstream, f"/api/v4/files/{file_id}/info", ("name", "channel_id", "post_id"), tokens,
                               timeout, what="an attached file", forbidden="an attached file the sender cannot read")
    return None if fields is None else Attached(*fields)


#: why a post attaching a file uploaded in another channel is refused
OTHER_CHANNEL = ("a file uploaded in another channel is attached; it was checked for that channel, "
                 "so upload it again in this one")
#: why a post attaching a file of no channel is refused
NO_CHANNEL = ("an attached file belongs to no channel (a copy made by an integration, or an import), so its "
              "content was never checked for this channel; upload it again in this one")


async def attached_names(items: Iterable[ContentItem], *, upstream: Any, token: str | None,
                         fallback_token: str | None, timeout: float, channel_id: str | None = None,
                         cache: FileNames | None = None, screen: Screen | None = None) -> list[ContentItem]:
    """A FILENAME item (``<path>.name``) per attached file that exists, in order.  Only
    ids ``lookups.sendable`` keeps are read (``screen``: the detector); any other
    reads as no file.  A file uploaded in a channel other than the post's
    (``channel_id``; unknown: any channel) is refused (400, ``OTHER_CHANNEL``): its
    upload was judged for its own channel; so is an unattached file of no channel
    (400, ``NO_CHANNEL``): it was never judged for any (module docstring)."""
    ids = file_ids(items)
    if not ids:
        return []
    if len(ids) > MAX_FILES:
        raise Unresolved(400, f"more than {MAX_FILES} files attached to one post")
    infos = await read_ids((fid for _, fid in ids), upstream=upstream, token=token, fallback_token=fallback_token,
                           timeout=timeout, cache=cache or _DEFAULT, screen=screen, what="attached files",
                           read=_read)
    found = [info for info in infos.values() if info is not None]
    if any(info.channel_id and info.channel_id != channel_id for info in found):
        raise Unresolved(400, OTHER_CHANNEL)
    if any(not info.channel_id and not info.post_id for info in found):
        raise Unresolved(400, NO_CHANNEL)
    return [ContentItem(f"{path}.name", info.name, ItemKind.FILENAME) for path, fid in ids
            if (info := infos.get(fid)) and info.name]


def shown_together(items: Iterable[ContentItem], names: Sequence[ContentItem]) -> list[ContentItem]:
    """The post's message as shown with its files: the message, then the files' names
    without their extensions (a stem starts its name: ``536.txt`` shows ``536`` where
    a number is read), side by side and one a line (``body.message#files``)."""
    if not names:
        return []
    messages = [i.text for i in items if go_path(i.path) == "body.message" and i.kind is ItemKind.TEXT] or [""]
    stems = [os.path.splitext(n.text)[0] for n in names]
    return [ContentItem("body.message#files", message + sep + joined)
            for message in dict.fromkeys(messages)
            for sep, joined in (("\n", " ".join(stems)), ("\n", "\n".join(stems)))]
