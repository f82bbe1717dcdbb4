"""Context for a reviewer's decision: where a held message was going, to whom,
and what was said just before it (docs/quarantine.md, "Context for the decision").

Fetched from Mattermost when the item is viewed, never stored:

- the channel's readable name: GET /api/v4/channels/{id} (``display_name``,
  ``name``, ``type``; api4/channel.go getChannel) and its team's display name
  (GET /api/v4/teams/{id}, api4/team.go getTeam);
- for direct and group messages, the other participants' usernames:
  GET /api/v4/channels/{id}/members (api4/channel.go getChannelMembers) then
  POST /api/v4/users/ids (api4/user.go getUsersByIds; a JSON array of ids);
- the last few posts before the held one: GET /api/v4/channels/{id}/posts
  (api4/post.go getPostsForChannel), newest page first, then ``before=<oldest
  post id>`` pages until enough posts older than the hold are found.

Names and participants are cached in memory for a short while (``cache_seconds``);
posts are never cached, written to Redis or to the archive.  Every post is
masked by the gateway's own detector before it reaches the page (the same
``segments`` masking as the held message); a post the detector cannot check is
withheld, never shown unmasked.  Viewing posts is recorded in the archive
(``review`` / ``view_context``: who, which item, how many posts; no text), at
most once per reviewer and item per ``record_every`` seconds.

Requests use the reviewer's own Mattermost token when the console has one for
the session, else the bot's (``DLP_NOTIFY_TOKEN``): the console's Mattermost
sign-in signs out again at once (review/auth.py), so today that is the bot.  If
Mattermost cannot be reached, the page says "context unavailable" and shows the
rest; nothing here ever fails the page.

Decided items: the history notes of an item (approve/reject reasons, comments)
are encrypted under the item's data key and destroyed with it at the decision.
``restore_notes`` puts them back from the archive records the history names
(masked by the detector: a reviewer may have typed an identifier into a reason).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from starlette.requests import Request
from starlette.routing import Route

from dlp_proxy.interfaces import Detector
from dlp_proxy.quarantine import Actor, QuarantineService, is_mattermost_id
from dlp_proxy.quarantine.masking import segments
from dlp_proxy.review.dashboard import archive_records

if TYPE_CHECKING:
    from dlp_proxy.review.app import Console

log = logging.getLogger("dlp_proxy.review.context")

#: What a post the detector could not check shows instead of its text.
WITHHELD = "[not shown: this post could not be checked for identifiers]"
#: Longest post text put through the detector (Mattermost's own limit is 16383 runes).
MAX_POST_CHARS = 16383
#: A Mattermost page of posts (api4/params.go: per_page default 60, at most 200).
PAGE = 60
#: Pages read backwards before giving up on finding posts older than the hold.
MAX_PAGES = 4
#: Group channels have at most 8 members (model.ChannelGroupMaxUsers); 200 covers any page.
MEMBERS_PAGE = 200


@dataclass(frozen=True, slots=True)
class ContextSettings:
    #: posts shown before the held one (0: none); DLP_REVIEW_CONTEXT_POSTS
    posts: int = 5
    #: how long channel names and participants are kept in memory
    cache_seconds: float = 60.0
    #: per Mattermost request
    timeout: float = 5.0
    #: the bot's token (DLP_NOTIFY_TOKEN); None: no context unless the reviewer has a token
    token: str | None = None
    #: an archive record of a reviewer viewing an item's posts at most this often
    record_every: float = 900.0

    def __post_init__(self) -> None:
        if not 0 <= self.posts <= 50:
            raise ValueError("review context: posts must be between 0 and 50")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class Unavailable(Exception):
    """Mattermost did not answer usefully (unreachable, an error status, bad JSON)."""


class ConversationContext:
    def __init__(
        self,
        service: QuarantineService,
        upstream_url: str,
        settings: ContextSettings,
        *,
        detector: Detector | Callable[[], Detector] | None = None,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.q = service
        self.upstream = upstream_url.rstrip("/")
        self.s = settings
        self._http = http or httpx.AsyncClient(timeout=settings.timeout)
        self._own_http = http is None
        self._detector_src = detector
        self._detector: Detector | None = None
        self._build_failed_until = -1e18
        self._detector_lock = asyncio.Lock()
        self._scan_lock = asyncio.Lock()
        self.clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}
        self._recorded: dict[tuple[str, str], float] = {}

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    # ------------------------------------------------------------ detector
    async def detector(self) -> Detector:
        """The gateway's detector (passed in), else one built from the same
        configuration on first use (dlp_proxy.detect.build_detector)."""
        if self._detector is not None:
            return self._detector
        async with self._detector_lock:
            if self._detector is None:
                if self.clock() < self._build_failed_until:  # a failed build is not retried for every post
                    raise RuntimeError("the detector could not be built")
                src = self._detector_src
                if src is None:
                    from dlp_proxy.detect import build_detector

                    src = build_detector
                if callable(src) and not hasattr(src, "analyze"):
                    try:
                        self._detector = await asyncio.to_thread(src)
                    except Exception:
                        self._build_failed_until = self.clock() + 60.0
                        raise
                else:
                    self._detector = src  # type: ignore[assignment]
        assert self._detector is not None
        return self._detector

    async def mask(self, text: str) -> list[dict[str, Any]] | None:
        """``text`` as masked segments; None when the detector cannot check it
        (the caller withholds the text)."""
        if len(text) > MAX_POST_CHARS:
            return None
        try:
            det = await self.detector()
            async with self._scan_lock:  # one scan at a time: the console must not starve the proxy
                found = await asyncio.to_thread(det.analyze, text)
        except Exception as exc:  # DetectionLimitError, a broken configuration...: withhold, never show unmasked
            log.warning("context post not checked; withheld", extra={"error_type": type(exc).__name__})
            return None
        findings = [{"entity_type": f.entity_type, "start": f.start, "end": f.end, "score": f.score} for f in found]
        return [{"text": g.text, "entity_type": g.entity_type} for g in segments(text, findings, reveal=False)]

    async def masked_plain(self, text: str) -> str:
        segs = await self.mask(text)
        if segs is None:
            return WITHHELD
        return "".join(s["text"] for s in segs)

    # ------------------------------------------------------------ Mattermost
    async def _get(self, path: str, token: str, *, params: Mapping[str, Any] | None = None,
                   json_body: Any = None) -> Any:  # fmt: skip
        headers = {"Authorization": f"Bearer {token}", "X-Requested-With": "XMLHttpRequest"}
        try:
            if json_body is not None:
                resp = await self._http.post(self.upstream + path, json=json_body, headers=headers)
            else:
                resp = await self._http.get(self.upstream + path, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise Unavailable(f"Mattermost unreachable ({type(exc).__name__})") from exc
        if resp.status_code != 200:
            raise Unavailable(f"Mattermost answered HTTP {resp.status_code}")
        try:
            return resp.json()
        except ValueError as exc:
            raise Unavailable("Mattermost's answer is not JSON") from exc

    def _cached(self, kind: str, key: str) -> Any:
        hit = self._cache.get((kind, key))
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        return None

    def _store(self, kind: str, key: str, value: Any) -> None:
        if len(self._cache) > 2048:  # bounded: drop what has expired, else everything
            now = self.clock()
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) > 2048:
                self._cache.clear()
        self._cache[(kind, key)] = (self.clock() + self.s.cache_seconds, value)

    async def usernames(self, user_ids: list[str], token: str) -> dict[str, str]:
        """id -> username for ``user_ids`` (POST /users/ids), cached per id."""
        out: dict[str, str] = {}
        missing = []
        for uid in dict.fromkeys(u for u in user_ids if is_mattermost_id(u)):
            name = self._cached("user", uid)
            if name is None:
                missing.append(uid)
            else:
                out[uid] = name
        if missing:
            users = await self._get("/api/v4/users/ids", token, json_body=missing)
            for u in users if isinstance(users, list) else []:
                if isinstance(u, dict) and is_mattermost_id(u.get("id")) and isinstance(u.get("username"), str):
                    out[u["id"]] = u["username"]
                    self._store("user", u["id"], u["username"])
        return out

    async def channel(self, item: Mapping[str, Any], token: str) -> dict[str, Any]:
        """Readable names of the item's channel and, for direct and group
        messages, the other participants (cached briefly)."""
        cid = str(item.get("channel_id") or "")
        cached = self._cached("channel", cid)
        if cached is None:
            ch = await self._get(f"/api/v4/channels/{cid}", token)
            if not isinstance(ch, dict):
                raise Unavailable("Mattermost's channel is not an object")
            ctype = str(ch.get("type", ""))
            team = ""
            if is_mattermost_id(ch.get("team_id")):
                try:
                    t = await self._get(f"/api/v4/teams/{ch['team_id']}", token)
                    team = str(t.get("display_name") or t.get("name") or "") if isinstance(t, dict) else ""
                except Unavailable:
                    team = ""
            members: list[str] = []
            if ctype in ("D", "G"):
                got = await self._get(f"/api/v4/channels/{cid}/members", token,
                                      params={"page": 0, "per_page": MEMBERS_PAGE})  # fmt: skip
                members = [str(m["user_id"]) for m in got if isinstance(m, dict)
                           and is_mattermost_id(m.get("user_id"))] if isinstance(got, list) else []  # fmt: skip
            cached = {"id": cid, "type": ctype, "display_name": str(ch.get("display_name") or ""),
                      "name": str(ch.get("name") or ""), "team_name": team, "member_ids": members}  # fmt: skip
            self._store("channel", cid, cached)
        out = {k: v for k, v in cached.items() if k != "member_ids"}
        sender = str(item.get("sender_id") or "")
        names = await self.usernames(list(cached["member_ids"]), token) if cached["member_ids"] else {}
        out["participants"] = sorted(names[u] for u in cached["member_ids"] if u != sender and u in names)
        out["unresolved_participants"] = sum(1 for u in cached["member_ids"] if u != sender and u not in names)
        if not out["display_name"] and out["type"] in ("D", "G"):
            everyone = [names.get(u, "") for u in cached["member_ids"]]
            out["display_name"] = ", ".join(sorted(n for n in everyone if n))
        return out

    async def labels(self, items: Sequence[Mapping[str, Any]], *, deadline: float = 1.5,
                     concurrency: int = 8) -> dict[str, str]:  # fmt: skip
        """channel id -> a readable label for a list of items (the queue page):
        the display name of a public or private channel, the members' usernames
        of a direct or group message.  Resolved through the same short cache;
        what is not resolved within ``deadline`` seconds (or at all) is left out,
        and the page shows what the item itself says.  Never raises."""
        token = self.s.token
        if not token:
            return {}
        ids = list(dict.fromkeys(str(i.get("channel_id") or "") for i in items))
        ids = [c for c in ids if is_mattermost_id(c)]
        out: dict[str, str] = {}
        gate = asyncio.Semaphore(concurrency)

        async def one(cid: str) -> None:
            async with gate:
                try:
                    ch = await self.channel({"channel_id": cid, "sender_id": ""}, token)
                except Exception:  # unresolved: the page falls back to the item's own name
                    return
            if ch["type"] in ("D", "G") and ch["participants"]:
                out[cid] = ", ".join("@" + u for u in ch["participants"])
            elif ch["display_name"]:
                out[cid] = str(ch["display_name"])

        tasks = [asyncio.ensure_future(one(c)) for c in ids]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=deadline)
            for t in pending:
                t.cancel()
        return out

    async def posts_before(self, item: Mapping[str, Any], token: str) -> tuple[list[dict[str, Any]], str]:
        """The last ``posts`` posts created before the item was held, oldest
        first, masked: of its thread when the held post is a reply (``root_id``),
        else of the channel; system messages and the item's own released copy
        left out.  Never cached.  Returns them and where they were read
        (``thread`` or ``channel``)."""
        want = self.s.posts
        if want <= 0:
            return [], "channel"
        cid = str(item.get("channel_id") or "")
        held_ms = int(float(item.get("created_at") or 0) * 1000)
        own = {str(item.get("released_post_id") or "")} - {""}
        found: list[dict[str, Any]] = []
        params: dict[str, Any] = {"page": 0, "per_page": PAGE}
        root = str(item.get("root_id") or "")
        thread = is_mattermost_id(root)
        for _ in range(MAX_PAGES):
            if thread:  # a reply: its thread is the conversation (GET /posts/{root}/thread, the whole thread)
                try:
                    page = await self._get(f"/api/v4/posts/{root}/thread", token)
                except Unavailable:
                    thread = False  # the root is gone or unreadable: the channel instead
                    continue
            else:
                page = await self._get(f"/api/v4/channels/{cid}/posts", token, params=params)
            if not isinstance(page, dict):
                raise Unavailable("Mattermost's post list is not an object")
            order = [p for p in page.get("order") or [] if isinstance(p, str)]
            posts = _obj(page.get("posts"))
            for pid in order:
                p = posts.get(pid)
                if not isinstance(p, dict) or pid in own or p.get("delete_at"):
                    continue
                props = _obj(p.get("props"))
                if props.get("dlp_release_id") == item.get("id") or str(p.get("type", "")).startswith("system_"):
                    continue
                if int(p.get("create_at") or 0) < held_ms:
                    found.append(p)
                    if len(found) >= want and not thread:  # a channel page is newest first
                        break
            if thread or len(found) >= want or not order or not page.get("prev_post_id"):
                break
            params = {"before": order[-1], "page": 0, "per_page": PAGE}
        # newest first (a thread's order is not relied on), the last ``want``, then oldest first
        found = sorted(found, key=lambda p: (int(p.get("create_at") or 0), str(p.get("id", ""))), reverse=True)
        found = found[:want][::-1]
        names = await self.usernames([str(p.get("user_id", "")) for p in found], token)
        out = []
        for p in found:
            text = str(p.get("message") or "")
            segs = await self.mask(text)
            props = _obj(p.get("props"))
            author = names.get(str(p.get("user_id", "")), "")
            if props.get("from_webhook") == "true" and isinstance(props.get("override_username"), str):
                author = f"{props['override_username']} (webhook)"
            out.append({
                "id": str(p.get("id", "")),
                "user": author or "unknown user",
                "create_at": int(p.get("create_at") or 0) / 1000.0,
                "reply": bool(p.get("root_id")),
                "files": len(p.get("file_ids") or []) if isinstance(p.get("file_ids"), list) else 0,
                "segments": segs if segs is not None else [{"text": WITHHELD, "entity_type": None}],
                "withheld": segs is None,
            })  # fmt: skip
        return out, "thread" if thread else "channel"

    # ------------------------------------------------------------ the view
    async def for_item(self, item: dict[str, Any], actor: Actor, *, user_token: str | None = None) -> dict[str, Any]:
        """Everything the item page shows about the conversation; also puts the
        decided reasons back into ``item["history"]`` (``restore_notes``).
        Never raises: a failure is ``status: unavailable`` with a reason."""
        await self.restore_notes(item)
        token = user_token or self.s.token
        out: dict[str, Any] = {"status": "ok", "channel": None, "posts": [], "posts_status": "ok",
                               "posts_source": "channel", "rights": "reviewer" if user_token else "bot",
                               "posts_wanted": self.s.posts}  # fmt: skip
        if not is_mattermost_id(item.get("channel_id")):
            out["status"] = out["posts_status"] = "no_channel"
            return out
        if not token:
            out["status"] = out["posts_status"] = "not_configured"
            out["reason"] = "no Mattermost token for the console (DLP_NOTIFY_TOKEN)"
            return out
        try:
            out["channel"] = await self.channel(item, token)
        except Unavailable as exc:
            out["status"], out["reason"] = "unavailable", str(exc)
        except Exception as exc:  # never fail the page
            out["status"], out["reason"] = "unavailable", type(exc).__name__
        try:
            out["posts"], out["posts_source"] = await self.posts_before(item, token)
        except Unavailable as exc:
            out["posts_status"], out["posts_reason"] = "unavailable", str(exc)
        except Exception as exc:
            out["posts_status"], out["posts_reason"] = "unavailable", type(exc).__name__
        if out["posts"]:
            await self._record_view(item, actor, len(out["posts"]), out["rights"])
        return out

    async def _record_view(self, item: Mapping[str, Any], actor: Actor, count: int, rights: str) -> None:
        who = actor.principal or actor.name
        key = (who, str(item.get("id", "")))
        now = self.clock()
        if now - self._recorded.get(key, -1e18) < self.s.record_every:
            return
        self._recorded[key] = now
        if len(self._recorded) > 4096:
            self._recorded = {k: t for k, t in self._recorded.items() if now - t < self.s.record_every}
        wall = time.time()
        record = {"type": "review", "action": "view_context", "ts": wall,
                  "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(wall)), "item_id": item.get("id", ""),
                  "actor": actor.to_json(), "channel_id": item.get("channel_id", ""), "posts_shown": count,
                  "rights": rights, "quarantine_record_id": item.get("record_id", "")}  # fmt: skip
        try:
            await self.q.archive.append(record)
        except Exception as exc:  # the reviewer still sees the page; the failure is in the log
            log.error("context view could not be archived", extra={"error_type": type(exc).__name__})

    async def restore_notes(self, item: dict[str, Any]) -> None:
        """History notes destroyed with the item's key, put back (masked) from
        the archive records the history entries name.  Never raises: a note
        that cannot be restored stays marked destroyed."""
        try:
            await self._restore_notes(item)
        except Exception as exc:
            log.warning("could not restore decided reasons", extra={"error_type": type(exc).__name__})

    async def _restore_notes(self, item: dict[str, Any]) -> None:
        history = item.get("history") or []
        wanted = {str(h["record_id"]): h for h in history
                  if h.get("note_shredded") and h.get("record_id")}  # fmt: skip
        if not wanted:
            return
        since = float(item.get("created_at") or 0) - 60.0
        for rec in await archive_records(self.q.archive, since=since):
            h = wanted.get(str(rec.get("record_id", "")))
            if h is None:
                continue
            reason = rec.get("reason")
            if isinstance(reason, str) and reason:
                h["note"] = await self.masked_plain(reason)
                h["note_shredded"] = False
                h["note_from_archive"] = True
            for key in ("verdict",):
                if isinstance(rec.get(key), str) and key not in h:
                    h[key] = rec[key]


def context_routes(console: Console) -> list[Route]:
    """``GET /api/v1/items/{id}/context``: the item page's context as JSON."""

    async def api_context(request: Request, actor: Actor) -> Any:
        ctx = console.context
        item = await console.q.show(request.path_params["item_id"], actor)  # needs the view permission
        if ctx is None:
            return {"item_id": item["id"], "status": "not_configured", "history": item.get("history", [])}
        out = await ctx.for_item(item, actor)
        return {"item_id": item["id"], **out, "history": item.get("history", [])}

    return [Route("/api/v1/items/{item_id}/context", console.api(api_context), methods=["GET"])]


def context_openapi() -> dict[str, Any]:
    """The OpenAPI path of the context endpoint (merged into /api/openapi.json)."""
    seg = {"type": "object", "properties": {"text": {"type": "string"},
                                             "entity_type": {"type": "string", "nullable": True}}}  # fmt: skip
    return {"/api/v1/items/{item_id}/context": {"get": {
        "summary": "The conversation around a held item, read from Mattermost now (not stored)",
        "description": "Readable channel and team names, the other participants of a direct or group message, "
                       "the last DLP_REVIEW_CONTEXT_POSTS posts before the held one (masked by the gateway's "
                       "detector; a post it cannot check is withheld), and the item's history with decided "
                       "reasons restored (masked) from the archive. status/posts_status: ok, unavailable "
                       "(Mattermost did not answer; reason says why), not_configured (no token), no_channel. "
                       "Viewing posts is archived (review/view_context).",
        "parameters": [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {
            "200": {"description": "the context", "content": {"application/json": {"schema": {
                "type": "object", "required": ["item_id", "status", "posts_status", "posts", "history"],
                "properties": {
                    "item_id": {"type": "string"},
                    "status": {"type": "string", "enum": ["ok", "unavailable", "not_configured", "no_channel"]},
                    "posts_status": {"type": "string", "enum": ["ok", "unavailable", "not_configured",
                                                                "no_channel"]},
                    "reason": {"type": "string"}, "posts_reason": {"type": "string"},
                    "posts_source": {"type": "string", "enum": ["channel", "thread"],
                                     "description": "thread: the held post is a reply; its thread before it"},
                    "rights": {"type": "string", "enum": ["bot", "reviewer"]},
                    "channel": {"type": "object", "nullable": True, "properties": {
                        "id": {"type": "string"}, "type": {"type": "string", "enum": ["O", "P", "D", "G"]},
                        "display_name": {"type": "string"}, "name": {"type": "string"},
                        "team_name": {"type": "string"},
                        "participants": {"type": "array", "items": {"type": "string"},
                                         "description": "usernames of the other members of a D/G channel"},
                        "unresolved_participants": {"type": "integer"}}},
                    "posts": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "user": {"type": "string"},
                        "create_at": {"type": "number", "description": "Unix time"},
                        "reply": {"type": "boolean"}, "files": {"type": "integer"}, "withheld": {"type": "boolean"},
                        "segments": {"type": "array", "items": seg}}}},
                    "history": {"type": "array", "items": {"type": "object"}},
                }}}}},
            "401": {"description": "missing or unknown Bearer token"},
            "403": {"description": "the token's role may not view"},
            "404": {"description": "no such item"},
        },
    }}}  # fmt: skip
