"""What a thread move carries into its destination channel.

``POST /api/v4/posts/{post_id}/move`` (api4/post.go moveThread) sends only the
destination (``{"channel_id": ...}``), but Mattermost then copies the whole thread
there: app/post.go MoveThread reads ``GetPostThread(postID)`` (the root and every
reply of the thread the post belongs to), ``CopyWranglerPostlist`` creates each
post again in the target channel (message, props) and re-uploads each attached
file's bytes into it (``UploadFile(fileBytes, targetChannel.Id, oldFileInfo.Name)``),
and the originals are deleted.  Who may: a member of both channels
(``ValidateMoveOrCopy``) who may read the post (``GetPostIfAuthorized``), with a
wrangler role when the server names some (``hasPermittedWranglerRole``).

So the gateway reads the thread as the caller (with the request's own
credentials, through the context resolver's upstream client) and judges every
message, every prop's text, every file's name and its content under the
destination channel's context.  A thread it cannot read is a move it cannot
judge: refused (``MoveUnreadable``), never forwarded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from dlp_proxy.gateway import atrest, responses
from dlp_proxy.gateway.context import ContextResolver
from dlp_proxy.gateway.extract import BodyError, Extracted, FilePart, walk_json
from dlp_proxy.model import ContentItem, ItemKind

#: items of a thread start with this (``thread[3].message``): a release re-reads them
THREAD_PREFIX = "thread["

#: at most this many posts and files are read for one move (Mattermost's own
#: WranglerSettings.MoveThreadMaxCount defaults to 100; a longer thread is refused
#: here rather than judged in part)
MAX_POSTS = 1000
MAX_FILES = 200


class MoveUnreadable(Exception):
    """The thread (or one of its files) could not be read: the move is refused."""

    def __init__(self, message: str, status: int = 503, error_id: str = responses.UNAVAILABLE_ID) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id


@dataclass(slots=True)
class MovedThread:
    items: list[ContentItem] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)
    #: (path, problems, filename) of files not read in full (too large)
    unread: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)


_UPSTREAM = (httpx.HTTPError, TimeoutError, ValueError)


async def moved_thread(context: ContextResolver | None, token: str | None, post_id: str, *,
                       max_file_bytes: int, file_timeout: float) -> MovedThread:
    """The thread ``post_id`` belongs to, as content items and files (see the module doc)."""
    if context is None:
        raise MoveUnreadable("The thread to move could not be read: the gateway has no Mattermost client.")
    if not atrest.is_id(post_id):
        raise MoveUnreadable("The post to move is not a Mattermost id.", 400, responses.BAD_REQUEST_ID)
    if not token:
        raise MoveUnreadable("The thread to move could not be read: the request carries no credentials.",
                             403, responses.DENIED_ID)
    try:
        resp = await context.thread(post_id, token)
    except _UPSTREAM as exc:
        raise MoveUnreadable(f"The thread to move could not be read ({type(exc).__name__}); "
                             "it was not moved. Try again shortly.") from exc
    if resp.status_code in (401, 403, 404):
        # Mattermost refuses the move too (GetPostIfAuthorized): nothing to judge
        raise MoveUnreadable("The thread to move could not be read with your permissions; it was not moved.",
                             403, responses.DENIED_ID)
    if resp.status_code >= 300:
        raise MoveUnreadable(f"The thread to move could not be read (Mattermost answered {resp.status_code}); "
                             "it was not moved. Try again shortly.")
    try:
        doc = resp.json()
    except ValueError as exc:
        raise MoveUnreadable("The thread to move could not be read (not JSON); it was not moved.") from exc
    posts = doc.get("posts") if isinstance(doc, dict) else None
    order = doc.get("order") if isinstance(doc, dict) else None
    if not isinstance(posts, dict) or not isinstance(order, list) or not posts:
        raise MoveUnreadable("The thread to move could not be read (not a post list); it was not moved.")
    if len(posts) > MAX_POSTS:
        raise MoveUnreadable(f"The thread is longer than {MAX_POSTS} posts; the gateway does not move it.",
                             413, responses.TOO_LARGE_ID)
    # order first (Mattermost's), then any post the order leaves out: every post moves
    ids = [*dict.fromkeys(str(i) for i in order if str(i) in posts), *(k for k in posts if k not in order)]
    out = MovedThread()
    ex = Extracted()
    file_ids: list[tuple[str, str]] = []  # (file id, name)
    for n, pid in enumerate(ids):
        post = posts[pid]
        if not isinstance(post, dict):
            raise MoveUnreadable("The thread to move could not be read (a post is not an object); it was not moved.")
        try:
            # what CopyWranglerPostlist creates again: the message and the props
            walk_json(post.get("message", ""), f"thread[{n}].message", ex)
            walk_json(post.get("props") or {}, f"thread[{n}].props", ex)
        except BodyError as exc:
            raise MoveUnreadable(f"The thread is too large to check ({exc}); the gateway does not move it.",
                                 413, responses.TOO_LARGE_ID) from exc
        infos = (post.get("metadata") or {}).get("files") if isinstance(post.get("metadata"), dict) else None
        names = {str(i.get("id")): str(i.get("name", "")) for i in infos or [] if isinstance(i, dict)}
        raw_ids = post.get("file_ids")
        listed: list[str] = [str(f) for f in raw_ids] if isinstance(raw_ids, list) else []
        for fid in [*listed, *(k for k in names if k not in listed)]:
            file_ids.append((fid, names.get(fid, "")))
    out.items = list(ex.items)
    if len(file_ids) > MAX_FILES:
        raise MoveUnreadable(f"The thread carries more than {MAX_FILES} files; the gateway does not move it.",
                             413, responses.TOO_LARGE_ID)
    for j, (fid, name) in enumerate(dict.fromkeys(file_ids)):
        path = f"thread.file[{j}]"
        if not atrest.is_id(fid):
            raise MoveUnreadable("The thread to move names a file that is not a Mattermost id; it was not moved.")
        try:
            data = await context.file_bytes(fid, token, max_bytes=max_file_bytes, timeout=file_timeout)
        except (httpx.HTTPStatusError, *_UPSTREAM) as exc:
            raise MoveUnreadable(f"A file of the thread to move could not be read ({type(exc).__name__}); "
                                 "it was not moved.") from exc
        if data is None:
            out.unread.append((path, ("size-limit",), name))
            if name:  # its name is still judged
                out.items.append(ContentItem(f"{path}.name", name, ItemKind.FILENAME))
            continue
        out.files.append(FilePart(path, name, data))
    return out


def unread_files(thread: MovedThread) -> list[Any]:
    """``UninspectedFile`` entries for the files too large to read (the policy's
    ``uninspected`` section decides)."""
    from dlp_proxy.policy.uninspected import UninspectedFile

    return [UninspectedFile(path, problems, name) for path, problems, name in thread.unread]
