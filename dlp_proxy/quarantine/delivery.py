"""Quarantine delivery: the release of an approved item to Mattermost (as its
author, then as the release bot), its idempotency marker, retries with backoff,
settling a release and telling the sender.  Builds on quarantine/store.py; the
state machine is in quarantine/service.py."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from dlp_proxy.quarantine import crypto, notices
from dlp_proxy.quarantine.common import (
    RELEASE_PROP,
    SYSTEM,
    Conflict,
    NotFound,
    State,
    _f,
    _s,
)
from dlp_proxy.quarantine.store import QuarantineStore
from dlp_proxy.settings import upstream_parts

log = logging.getLogger("dlp_proxy.quarantine")

T = TypeVar("T")


#: ``await release_check(payload, credentials)``: the held request judged again just
#: before it is sent (dlp_proxy/gateway/rejudge.py); ``payload`` is the held request
#: (method, path, body, context, decision), ``credentials`` the header lists it would
#: be sent with (the author's, then the bot's).  None: send it; a text: the reason it
#: must not be sent.  Raises ``ReleaseCheckUnavailable`` when it cannot tell now.
ReleaseCheck = Callable[[Mapping[str, Any], list[list[tuple[str, str]]]], Awaitable[str | None]]


class ReleaseCheckUnavailable(Exception):
    """The release could not be judged again now (Mattermost unreachable): retried later."""


class QuarantineDelivery(QuarantineStore):
    """Releasing approved items and telling senders (see the module doc)."""

    #: set by the gateway (which has the policy, the detector and Mattermost's
    #: address): a release is judged again under the channel as it is at the
    #: release; without it (a pipeline-less tool) releases go out as approved
    release_check: ReleaseCheck | None = None

    # ---------------------------------------------------------------- deliverers
    async def heartbeat(self, worker_id: str) -> None:
        """A gateway that delivers releases says so (dlp-proxy quarantine tells an
        operator whether an approval will be released now or when one starts)."""
        await self.r.zadd(self._k("deliverers"), {worker_id: self.clock()})

    async def deliverer_alive(self, within: float = 60.0) -> bool:
        now = self.clock()
        await self.r.zremrangebyscore(self._k("deliverers"), "-inf", now - 24 * 3600)
        return bool(await self.r.zrangebyscore(self._k("deliverers"), now - within, "+inf"))

    async def _release(self, item_id: str, *, force: bool = False) -> str:
        if not self.delivers:
            # never from a process that only records decisions: it cannot judge the
            # release again (``release_check``); the gateway's sweep releases it
            raise Conflict("this process does not deliver releases: a running gateway releases the item",
                           "not_delivering")
        key = self._k("item", item_id)
        h = await self._raw(item_id)
        idem_key = self._k("idem", h.get("idem") or item_id)
        now = self.clock()
        token = secrets.token_hex(8)
        marker = f"sending:{item_id}:{token}"

        async def abort() -> str:
            # Nothing left this process: undo the begin (if it ran).  A forced retry
            # goes back to release_unknown (its earlier send is still unaccounted
            # for), a plain one to release_failed, and is retried.
            restore = State.RELEASE_UNKNOWN if force else State.RELEASE_FAILED
            err = ("not re-sent: Redis connection lost before the check; the earlier send is still unaccounted for"
                   if force else "Redis connection lost before sending")  # fmt: skip
            await self._retrying(lambda: self._abort_release(
                keys=[key, idem_key, self._k("retry"), self._k("releasing")],
                args=[token, marker, now + self.settings.retry_base, item_id, restore.value, err]))  # fmt: skip
            return restore.value

        try:
            outcome, before = await self._run(
                self._begin_release, [key, idem_key, self._k("releasing")],
                [item_id, repr(now), "1" if force else "0", int(self.settings.idem_ttl), token],
            )  # fmt: skip
        except (RedisConnectionError, RedisTimeoutError):
            # We do not know whether the script ran; we do know nothing was sent.
            return await abort()
        if outcome == "conflict":
            return before
        if outcome == "late":
            return await self._expire_late(item_id, before)
        if outcome == "marked":
            if before.startswith("done:"):
                # Same idempotency key already released (a retried post held twice).
                await self._settle(item_id, h, via="duplicate", post_id=before.split(":")[-1])
                return State.RELEASED.value
            await self._run(self._transition, [key], [h.get("state", ""), State.RELEASE_UNKNOWN.value,
                            "release_error", "another release with the same idempotency key is in flight"])  # fmt: skip
            return State.RELEASE_UNKNOWN.value
        if outcome != "ok":
            raise NotFound(f"no quarantined item {item_id!r}")
        # Begun: from here until the request is on the wire, a Redis failure means
        # nothing was sent, so the release is put back instead of left 'releasing'.
        found: str | None = None
        try:
            h = await self._raw(item_id)
            if before == State.RELEASE_UNKNOWN.value:
                # A forced retry of a release whose first send may have landed: look in
                # Mattermost before sending again, never post twice.
                try:
                    found = await self._find_delivered(item_id, h)
                except _Failed as exc:
                    err = f"not re-sent: could not check Mattermost for the earlier delivery ({exc})"
                    await self._retrying(lambda: self._run(self._transition, [key], [
                        State.RELEASING.value, State.RELEASE_UNKNOWN.value, "release_error", err]))  # fmt: skip
                    await self._retrying(lambda: self.r.zrem(self._k("releasing"), item_id))
                    return State.RELEASE_UNKNOWN.value
            prepared = None if found is not None else await self._prepare_send(item_id, h)
            refusal = None if prepared is None else await self._judged_again(prepared)
        except (RedisConnectionError, RedisTimeoutError):
            return await abort()
        except _Failed as exc:
            return await self._release_failed(item_id, h, idem_key, str(exc))
        if refusal is not None:
            return await self._release_refused(item_id, h, idem_key, refusal)
        if found is not None:
            await self._retrying(lambda: self.r.set(idem_key, f"done:{item_id}:{found}",
                                                    ex=int(self.settings.idem_ttl)))  # fmt: skip
            await self._settle(item_id, h, via="found", post_id=found)
            return State.RELEASED.value
        assert prepared is not None
        try:
            via, post_id, answer = await self._send(item_id, *prepared)
        except _Ambiguous as exc:
            await self._check_finished(prepared[0], "unknown")
            err = str(exc)
            await self._retrying(lambda: self._run(self._transition, [key], [
                State.RELEASING.value, State.RELEASE_UNKNOWN.value, "release_error", err]))  # fmt: skip
            await self._retrying(lambda: self.r.zrem(self._k("releasing"), item_id))
            await self._record(SYSTEM, "release_unknown", h, reason=err)
            return State.RELEASE_UNKNOWN.value
        except _Failed as exc:
            await self._check_finished(prepared[0], "failed")
            return await self._release_failed(item_id, h, idem_key, str(exc))
        await self._check_finished(prepared[0], "sent")
        await self._check_answered(prepared[0], answer)
        await self._retrying(lambda: self.r.set(idem_key, f"done:{item_id}:{post_id}", ex=int(self.settings.idem_ttl)))
        await self._settle(item_id, h, via=via, post_id=post_id)
        return State.RELEASED.value

    async def _judged_again(
        self, prepared: tuple[dict[str, Any], list[tuple[str, list[tuple[str, str]], bytes]]]
    ) -> str | None:
        """The reason the release must not go out now (``release_check``), or None.

        A reviewer approved what the policy held for the channel as it was then; a
        channel converted since (private to public, a group message to a channel)
        may now be one where the policy blocks it (quarantine.md, "Release")."""
        if self.release_check is None:
            return None
        payload, attempts = prepared
        try:
            return await self.release_check(payload, [hdrs for _via, hdrs, _data in attempts])
        except ReleaseCheckUnavailable as exc:
            raise _Failed(f"not sent: the release could not be judged again now ({exc})") from exc
        except Exception as exc:  # a broken check never lets the release out unjudged
            log.exception("release check failed")
            raise _Failed(f"not sent: the release could not be judged again ({type(exc).__name__})") from exc

    async def _check_finished(self, payload: Mapping[str, Any], outcome: str) -> None:
        """Tell the release check the send is over ("sent", "unknown" or "failed"), when
        it wants to know (``finished``: gateway/rejudge.py drops a move's thread marks
        and reads the moved thread back in its destination).  Never fails the release."""
        finished = getattr(self.release_check, "finished", None)
        if finished is None:
            return
        try:
            await finished(payload, outcome)
        except Exception:
            log.exception("release check's finished hook failed")

    async def _check_answered(self, payload: Mapping[str, Any], answer: tuple[list[tuple[str, str]], bytes]) -> None:
        """Give the release check Mattermost's answer to the release (``answered``:
        gateway/rejudge.py offers a post whose answer carries a link preview to the
        preview check, as for a forwarded post).  Never fails the release."""
        answered = getattr(self.release_check, "answered", None)
        if answered is None:
            return
        try:
            await answered(payload, *answer)
        except Exception:
            log.exception("release check's answered hook failed")

    async def _release_refused(self, item_id: str, h: Mapping[str, str], idem_key: str, why: str) -> str:
        """Judged again at the release, the policy now stops it: nothing was sent.
        The item waits in ``release_refused`` with the reason (the console shows it):
        a reviewer rejects it (the sender is told), or retries once the channel is
        back to what the approval was for (judged again then)."""
        async def refuse() -> None:
            pipe = self.r.pipeline(transaction=True)
            pipe.delete(idem_key)
            pipe.zrem(self._k("retry"), item_id)
            pipe.zrem(self._k("releasing"), item_id)
            await pipe.execute()
            await self._run(self._transition, [self._k("item", item_id)], [
                State.RELEASING.value, State.RELEASE_REFUSED.value, "release_error", why])  # fmt: skip

        await self._retrying(refuse)
        rec = await self._record(SYSTEM, "release_refused", h, reason=why, checked=True)
        await self._note(item_id, h, SYSTEM, "release_refused", why, rec)
        return State.RELEASE_REFUSED.value

    async def _release_failed(self, item_id: str, h: Mapping[str, str], idem_key: str, err: str) -> str:
        """Mattermost created nothing: free the marker and retry later with backoff."""
        attempts = int(_f(h.get("release_attempts"), 1))
        delay = min(self.settings.retry_max, self.settings.retry_base * 2 ** max(0, attempts - 1))

        async def fail() -> None:
            pipe = self.r.pipeline(transaction=True)
            pipe.delete(idem_key)
            pipe.zadd(self._k("retry"), {item_id: self.clock() + delay})
            pipe.zrem(self._k("releasing"), item_id)
            await pipe.execute()
            await self._run(self._transition, [self._k("item", item_id)], [
                State.RELEASING.value, State.RELEASE_FAILED.value, "release_error", err])  # fmt: skip

        await self._retrying(fail)
        await self._record(SYSTEM, "release_failed", h, reason=err, attempt=attempts)
        return State.RELEASE_FAILED.value

    async def _retrying(self, fn: Callable[[], Awaitable[T]], attempts: int = 40) -> T:
        """After a release was sent, its outcome must be recorded even if Redis
        blinks: retry for ~20 s before giving up (the item then shows 'releasing'
        and becomes release_unknown; never re-sent automatically)."""
        for i in range(attempts):
            try:
                return await fn()
            except (RedisConnectionError, RedisTimeoutError, OSError):
                if i == attempts - 1:
                    raise
                await asyncio.sleep(0.5)
        raise AssertionError("unreachable")

    async def _settle(self, item_id: str, h: Mapping[str, str], *, via: str, post_id: str) -> None:
        """Mark the item released.  The Redis steps are retried on their own (the
        transition and the shred are idempotent); the archive record and the
        sender's notification happen once, so a Redis blink does not repeat them."""
        await self._retrying(lambda: self._run(
            self._transition,
            [self._k("item", item_id)],
            [
                "releasing,approved,release_failed,release_unknown",
                State.RELEASED.value,
                "released_via", via, "released_post_id", post_id, "released_at", repr(self.clock()),
                "release_error", "",
            ],
        ))  # fmt: skip
        await self._retrying(lambda: self._shred(item_id, h))
        try:
            await self._record(SYSTEM, "released", h, via=via, post_id=post_id)
        except Exception as exc:  # released already: flag it, never hide it
            name = type(exc).__name__
            log.error("archive record of release of %s failed: %s", item_id, name)
            await self._retrying(lambda: self.r.hset(self._k("item", item_id), "archive_error", name))
        if via != "duplicate":
            await self._notify(h, State.RELEASED.value)

    async def _prepare_send(
        self, item_id: str, h: Mapping[str, str]
    ) -> tuple[dict[str, Any], list[tuple[str, list[tuple[str, str]], bytes]]]:
        """Everything the release needs from Redis (content, credentials), read
        before anything is sent.  Raises _Failed when it cannot be released."""
        dk = await self._data_key(h, item_id)
        if dk is None:
            raise _Failed("the item's data key is gone; it cannot be released")
        payload = json.loads(crypto.open_sealed(dk, h["ct"], item_id, "request"))
        headers = [(k, v) for k, v in payload["headers"] if k.lower() not in ("content-length", "host")]
        body = payload["body"].encode("latin-1")
        post = _post_body(payload, body)
        if post is not None:
            # Tag the post with the item it releases: a forced retry finds exactly
            # this item's post, never another held copy of the same text.
            post["props"] = {**(post["props"] if isinstance(post.get("props"), dict) else {}),
                             RELEASE_PROP: item_id}  # fmt: skip
            body = json.dumps(post).encode()
        cred_blob = await self.r.get(self._k("cred", item_id))
        attempts: list[tuple[str, list[tuple[str, str]], bytes]] = []
        if cred_blob or h.get("auth_needed") == "0":
            auth = json.loads(crypto.open_sealed(dk, _s(cred_blob), item_id, "credentials")) if cred_blob else []
            attempts.append(("author", headers + [(k, v) for k, v in auth], body))
        bot = self._bot_request(post, h, headers)
        if bot is not None:
            attempts.append(bot)
        if not attempts:
            raise _Failed("the sender's credentials expired and no bot token is configured for this route")
        return payload, attempts

    async def _send(
        self, item_id: str, payload: Mapping[str, Any], attempts: list[tuple[str, list[tuple[str, str]], bytes]]
    ) -> tuple[str, str, tuple[list[tuple[str, str]], bytes]]:
        """Send the release (as the author, then as the bot on 401/403).  No Redis
        access here: once this runs, the request may be on the wire.  Returns how it
        went out, the post's id and (the headers it was sent with, Mattermost's answer)."""
        last = ""
        for via, hdrs, data in attempts:
            # the held path is the client's: it carries Mattermost's subpath already
            url = upstream_parts(self.upstream_url)[0] + payload["path"]
            try:
                resp = await self._client().request(
                    payload["method"], url, headers=[*hdrs, ("X-DLP-Release", item_id)], content=data
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise _Failed(f"Mattermost unreachable: {type(exc).__name__}") from exc
            except httpx.HTTPError as exc:
                raise _Ambiguous(f"sent, but no answer from Mattermost: {type(exc).__name__}") from exc
            if resp.status_code < 300:
                post_id = ""
                try:
                    post_id = str(resp.json().get("id", ""))
                except (ValueError, AttributeError):
                    pass
                return via, post_id, (hdrs, resp.content)
            last = f"Mattermost answered {resp.status_code} to the release as {via}"
            if resp.status_code not in (401, 403):
                raise _Failed(last)
        raise _Failed(last)

    async def _find_delivered(self, item_id: str, h: Mapping[str, str]) -> str | None:
        """The id of the post an earlier, interrupted release of this item already
        created, or None if the channel has no such post.  A release post carries
        this item's id in its props (RELEASE_PROP): that tag is what is matched, so
        another item's post with the same text, sender and thread is never taken for
        this one.  Only posts (POST /api/v4/posts) can be checked; for other routes
        this raises _Failed (a person must decide)."""
        dk = await self._data_key(h, item_id)
        if dk is None:
            raise _Failed("the item's data key is gone")
        payload = json.loads(crypto.open_sealed(dk, h["ct"], item_id, "request"))
        post = _post_body(payload, payload["body"].encode("latin-1"))
        if post is None:
            raise _Failed(f"a {payload['method']} {urlsplit(payload['path']).path} cannot be looked up")
        if not post.get("channel_id"):
            raise _Failed("the held post names no channel")
        tokens: list[list[tuple[str, str]]] = []
        cred_blob = await self.r.get(self._k("cred", item_id))
        if cred_blob:
            tokens.append(json.loads(crypto.open_sealed(dk, _s(cred_blob), item_id, "credentials")))
        if self.settings.bot_token:
            tokens.append([("Authorization", f"Bearer {self.settings.bot_token}")])
        if not tokens:
            raise _Failed("no valid credentials to read the channel")
        since = int(_f(h.get("created_at")) * 1000) - 60_000
        url = f"{self.upstream_url}/api/v4/channels/{post['channel_id']}/posts"
        last = ""
        for auth in tokens:
            hdrs = [(k, v) for k, v in auth if k.lower() in ("authorization", "cookie", "x-csrf-token")]
            try:
                resp = await self._client().get(url, params={"since": since}, headers=hdrs)
            except httpx.HTTPError as exc:
                raise _Failed(f"Mattermost unreachable: {type(exc).__name__}") from exc
            if resp.status_code >= 300:
                last = f"Mattermost answered {resp.status_code}"
                continue
            try:
                posts = resp.json().get("posts") or {}
            except (ValueError, AttributeError) as exc:
                raise _Failed("Mattermost's post list is not JSON") from exc
            for p in posts.values() if isinstance(posts, dict) else []:
                if not isinstance(p, dict) or int(_f(p.get("create_at"))) < since or p.get("delete_at"):
                    continue
                props: dict[str, Any] = p["props"] if isinstance(p.get("props"), dict) else {}
                if props.get(RELEASE_PROP) == item_id and p.get("id"):
                    return str(p["id"])
            return None
        raise _Failed(last or "could not read the channel")

    def _bot_request(
        self, post: Mapping[str, Any] | None, h: Mapping[str, str], headers: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]], bytes] | None:
        """The bot's attributed copy of a held post (None: no bot token or not a post)."""
        token = self.settings.bot_token
        if not token or post is None:
            return None
        who = h.get("sender_username") or h.get("sender_id") or "unknown"
        copy = dict(post)
        copy["message"] = f"{post.get('message', '')}\n\n_(Released by security review; originally from @{who})_"
        props: dict[str, Any] = dict(post["props"]) if isinstance(post.get("props"), dict) else {}
        props.update({"dlp_released": True, "dlp_original_user_id": h.get("sender_id", ""),
                      "dlp_original_username": h.get("sender_username", "")})  # fmt: skip
        copy["props"] = props
        hdrs = [(k, v) for k, v in headers if k.lower() != "content-type"]
        hdrs += [("Authorization", f"Bearer {token}"), ("Content-Type", "application/json")]
        return "bot", hdrs, json.dumps(copy).encode()

    async def _expire_late(self, item_id: str, before: str) -> str:
        """An item approved at or after its review deadline: never sent (workflow.py
        expires it; this layer alone leaves it as it is)."""
        return before

    async def _notify(self, h: Mapping[str, str], outcome: str, *, reason: str = "") -> None:
        """Tell the sender (ephemeral post in the original channel).  A failure is
        recorded on the item, never raised: the decision itself stands."""
        token = self.settings.notify_token
        channel, user = h.get("channel_id"), h.get("sender_id")
        item_id = h.get("id", "")
        if not token or not channel or not user:
            status = "not sent: " + ("no notify token configured" if not token else "no channel or sender")
            await self._retrying(lambda: self.r.hset(self._k("item", item_id), "notify_status", status))
            return
        msg = notices.outcome_text(h, outcome, self.messages(), reason=reason)
        try:
            resp = await self._client().post(
                self.upstream_url + "/api/v4/posts/ephemeral",
                json={"user_id": user, "post": {"channel_id": channel, "message": msg}},
                headers={"Authorization": f"Bearer {token}"},
            )
            status = "sent" if resp.status_code < 300 else f"failed: HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            status = f"failed: {type(exc).__name__}"
        # Retried on its own: re-running the whole notification would post it twice.
        await self._retrying(lambda: self.r.hset(self._k("item", item_id), "notify_status", f"{outcome}: {status}"))
        await notices.outcome_dm(self, h, outcome, reason=reason)  # durable: survives a reload, reaches mobile


def _post_body(payload: Mapping[str, Any], body: bytes) -> dict[str, Any] | None:
    """The JSON object of a held POST /api/v4/posts, or None for anything else."""
    if payload["method"] != "POST" or urlsplit(payload["path"]).path.rstrip("/") != "/api/v4/posts":
        return None
    try:
        post = json.loads(body)
    except ValueError:
        return None
    return post if isinstance(post, dict) else None


class _Failed(Exception):
    """Mattermost did not create anything: safe to retry."""


class _Ambiguous(Exception):
    """The request was sent but no answer came: retrying could post twice."""
