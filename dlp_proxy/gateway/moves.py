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

The thread is frozen while its move is judged and forwarded (``ThreadFreeze``): the
thread is read once for its post ids, every id is marked "moving" in Redis, and
the thread is read again and judged.  A write through the gateway to a marked post
(an edit or patch, an action run on it, a reply whose ``root_id`` is in the
thread) is refused with a 409 until Mattermost has answered the move (the addon
drops the marks) or the marks expire; a move that finds a write to a post of its
thread in flight is refused with a 409 too.  Without it a post edited between the
read and the move lands in the destination unjudged (Mattermost copies the thread
as it is when the move runs).  A post that joined the thread between the two
reads (and so is not marked) makes the move a 409: the caller tries again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from dlp_proxy import atrest
from dlp_proxy.gateway import responses
from dlp_proxy.gateway.context import ContextResolver
from dlp_proxy.gateway.extract import BodyError, Extracted, FilePart, walk_json
from dlp_proxy.keys import keyed_hash
from dlp_proxy.model import ContentItem, ItemKind

#: items of a thread start with this (``thread[3].message``): a release re-reads them
THREAD_PREFIX = "thread["

#: at most this many posts and files are read for one move (Mattermost's own
#: WranglerSettings.MoveThreadMaxCount defaults to 100; a longer thread is refused
#: here rather than judged in part)
MAX_POSTS = 1000
MAX_FILES = 200

#: the answer to a write refused while its thread is being moved (and to a move
#: refused while a write to its thread is in flight)
MOVING_ID = "api.dlp.thread_moving.app_error"
MOVING_RULE = "thread-being-moved"
MOVING_MESSAGE = "This thread is being moved; try again in a moment."
BUSY_MESSAGE = "A post of this thread is being changed; the thread was not moved. Try again in a moment."
CHANGED_MESSAGE = "The thread changed while it was being checked; it was not moved. Try again in a moment."


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
    #: each post's (message, props) as read, for ``post_fingerprint`` (what was judged)
    posts: list[tuple[Any, Any]] = field(default_factory=list)


def post_fingerprint(hash_key: bytes, message: Any, props: Any) -> str:
    """A keyed hash of what ``CopyWranglerPostlist`` copies of a post (its message and
    props, as the strings the gateway judges): a copy in the destination with the same
    fingerprint is what was judged; never the text itself."""
    ex = Extracted()
    try:
        walk_json(message if message is not None else "", "m", ex)
        walk_json(props or {}, "p", ex)
    except BodyError:
        return ""
    return keyed_hash(hash_key, "moved-post:" + json.dumps([(i.path, i.text) for i in ex.items]))


_UPSTREAM = (httpx.HTTPError, TimeoutError, ValueError)


class ThreadBusy(Exception):
    """A post is marked by a move (for a write), or being written (for a move)."""


#: KEYS: n "moving" keys, then their n "writing" keys; ARGV: owner, ttl ms.  Marks
#: every post as moving, or none when one is marked by another move or written now.
_MARK_MOVE = """
local n = #KEYS / 2
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, n do
  local m = redis.call('get', KEYS[i])
  if m and m ~= ARGV[1] then return 0 end
  redis.call('zremrangebyscore', KEYS[n + i], '-inf', now)
  if redis.call('zcard', KEYS[n + i]) > 0 then return 0 end
end
for i = 1, n do redis.call('set', KEYS[i], ARGV[1], 'PX', tonumber(ARGV[2])) end
return 1
"""

#: the same keys: one more write to every post, or none when one is being moved
_MARK_WRITE = """
local n = #KEYS / 2
local t = redis.call('time')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, n do
  if redis.call('exists', KEYS[i]) == 1 then return 0 end
end
for i = 1, n do
  redis.call('zadd', KEYS[n + i], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('pexpire', KEYS[n + i], tonumber(ARGV[2]))
end
return 1
"""

#: drop what ARGV[1] holds (a mark that expired and was taken by another is left)
_UNMARK = """
local n = #KEYS / 2
for i = 1, n do
  if redis.call('get', KEYS[i]) == ARGV[1] then redis.call('del', KEYS[i]) end
  redis.call('zrem', KEYS[n + i], ARGV[1])
end
return 1
"""


class ThreadFreeze:
    """Per-post marks in Redis: "moving" (one move, exclusive) and "writing" (any
    number of edits and replies at once).  Key names carry a keyed hash of the post
    id, never the id; the owner is the gateway's request id.  A mark expires after
    ``ttl`` seconds on its own (a gateway that died holding it); the addon drops it
    when Mattermost has answered (``release``)."""

    MOVING = "dlp:moving:"
    WRITING = "dlp:writing:"

    def __init__(self, redis: Any, hash_key: bytes) -> None:
        self.redis = redis
        self.hash_key = hash_key
        #: request id -> the keys it holds
        self._held: dict[str, list[str]] = {}

    def _keys(self, post_ids: Iterable[str]) -> list[str]:
        hashed = [keyed_hash(self.hash_key, "post:" + p)[:32] for p in dict.fromkeys(post_ids)]
        return [self.MOVING + h for h in hashed] + [self.WRITING + h for h in hashed]

    async def _take(self, script: str, request_id: str, post_ids: Iterable[str], ttl: float) -> None:
        keys = self._keys(post_ids)
        if not keys:
            return
        ttl_ms = max(1000, int(ttl * 1000))
        if not await self.redis.eval(script, len(keys), *keys, request_id, ttl_ms):
            raise ThreadBusy()
        self._held.setdefault(request_id, []).extend(keys)

    async def mark_moving(self, request_id: str, post_ids: Iterable[str], ttl: float) -> None:
        await self._take(_MARK_MOVE, request_id, post_ids, ttl)

    async def mark_writing(self, request_id: str, post_ids: Iterable[str], ttl: float) -> None:
        await self._take(_MARK_WRITE, request_id, post_ids, ttl)

    def holds(self, request_id: str) -> bool:
        return request_id in self._held

    async def release(self, request_id: str) -> None:
        keys = self._held.pop(request_id, None)
        if not keys:
            return
        # each take added its moving keys, then their writing keys: one pair per post
        moving = list(dict.fromkeys(k for k in keys if k.startswith(self.MOVING)))
        flat = [*moving, *(self.WRITING + k[len(self.MOVING):] for k in moving)]
        await self.redis.eval(_UNMARK, len(flat), *flat, request_id)


#: called with the ids of the thread's posts once read: marks them (or raises ``ThreadBusy``)
Freeze = Callable[[list[str]], Awaitable[None]]


async def _read_thread(context: ContextResolver, token: str, post_id: str) -> tuple[dict[str, Any], list[str]]:
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
    return posts, ids


async def moved_thread(context: ContextResolver | None, token: str | None, post_id: str, *,
                       max_file_bytes: int, file_timeout: float, freeze: Freeze | None = None) -> MovedThread:
    """The thread ``post_id`` belongs to, as content items and files (see the module doc).

    ``freeze``: marks the posts read (``ThreadFreeze.mark_moving``); the thread is then
    read again and that reading is judged, so no write made before the marks is
    missed.  A post in the second reading that was not marked: 409."""
    if context is None:
        raise MoveUnreadable("The thread to move could not be read: the gateway has no Mattermost client.")
    if not atrest.is_id(post_id):
        raise MoveUnreadable("The post to move is not a Mattermost id.", 400, responses.BAD_REQUEST_ID)
    if not token:
        raise MoveUnreadable("The thread to move could not be read: the request carries no credentials.",
                             403, responses.DENIED_ID)
    posts, ids = await _read_thread(context, token, post_id)
    if freeze is not None:
        marked = {post_id, *ids}
        try:
            await freeze(sorted(marked))
        except ThreadBusy as exc:
            raise MoveUnreadable(BUSY_MESSAGE, 409, MOVING_ID) from exc
        posts, ids = await _read_thread(context, token, post_id)
        if not set(ids) <= marked:
            raise MoveUnreadable(CHANGED_MESSAGE, 409, MOVING_ID)
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
            out.posts.append((post.get("message", ""), post.get("props") or {}))
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
