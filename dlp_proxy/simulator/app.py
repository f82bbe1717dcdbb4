"""HTTP layer of the Mattermost simulator (Starlette, ASGI).

Every request that reaches the server is recorded byte-for-byte by
``RecordingMiddleware`` before routing, so a test can prove what Mattermost
would have received (and, through the gateway, what it never received).
Routes under ``/__sim/`` are the test-inspection API and are not recorded.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import html
import json
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from dlp_proxy.simulator import gohttp
from dlp_proxy.simulator.ids import id_from
from dlp_proxy.simulator.state import SERVER_VERSION, Fault, SimError, Simulator, bad_param

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Handler = Callable[[Request], Awaitable[Response]]

SIM_PREFIX = "/__sim/"


def app_error(status: int, error_id: str, message: str, request_id: str, detailed: str = "") -> Response:
    # Content-Type exactly application/json: the webapp parses nothing else.
    body = {
        "id": error_id,
        "message": message,
        "detailed_error": detailed,
        "request_id": request_id,
        "status_code": status,
    }
    return Response(json.dumps(body, separators=(",", ":")), status_code=status, media_type="application/json")


def json_response(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        status_code=status,
        media_type="application/json",
    )


def map_from_json(body: bytes) -> dict[str, str]:
    """server/public/model/utils.go ``MapFromJSON`` (see ``Api.login``)."""
    try:
        doc = gohttp.json_decode(body)
    except gohttp.GoError:
        return {}
    if not isinstance(doc, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in getattr(doc, "pairs", None) or doc.items():
        # decode.go object(): each value is decoded into a zero string and stored under
        # its key; null and a value of another type (UnmarshalTypeError, saved, decoding
        # goes on) leave it ""
        out[key] = value if isinstance(value, str) else ""
    return out


class RecordingMiddleware:
    """Records each request (raw body included), injects faults, adds Mattermost headers."""

    def __init__(self, app: ASGIApp, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(SIM_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        client = scope.get("client") or ("", 0)
        raw_path = scope.get("raw_path") or path.encode("utf-8")
        request_id = self.sim.new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        if scope["type"] == "websocket":
            self.sim.record(
                method="GET",
                path=path,
                raw_path=raw_path.decode("latin-1"),
                query=scope.get("query_string", b"").decode("latin-1"),
                headers=headers,
                body=b"",
                client=str(client[0]),
                websocket=True,
            )
            if self.sim.subpath and path.startswith(self.sim.subpath + "/"):
                scope = _under(scope, self.sim.subpath)
            await self.app(scope, receive, send)
            return

        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = bool(message.get("more_body", False))
        body = b"".join(chunks)
        method: str = scope["method"]
        self.sim.record(
            method=method,
            path=path,
            raw_path=raw_path.decode("latin-1"),
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            client=str(client[0]),
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [
                    (b"x-request-id", request_id.encode()),
                    (b"x-version-id", SERVER_VERSION.encode()),
                ]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        fault = self.sim.fault_for(method, path)
        if fault is not None:
            if fault.delay_ms:
                await asyncio.sleep(fault.delay_ms / 1000)
            if fault.status is not None:
                resp = app_error(
                    fault.status, "simulator.fault.app_error", "Injected fault.", request_id
                )
                await resp(scope, receive, send_with_headers)
                return

        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        query = scope.get("query_string", b"").decode("latin-1")
        if (cleaned := gohttp.mux_clean_path(path)) != path:
            # gorilla/mux Router.ServeHTTP (Mattermost's RootRouter: no SkipClean): a
            # path that is not clean is answered 301 to its cleaned form, no handler runs
            await _redirect(send_with_headers, 301, cleaned + (f"?{query}" if query else ""))
            return
        subpath = self.sim.subpath
        if subpath and scope["type"] == "http":
            if not path.startswith(subpath):
                # app/server.go: outside the subpath (``RootRouter.PathPrefix(subpath)``,
                # matched case-sensitively) the root router's NotFoundHandler redirects
                # into it (302, no handler runs)
                await _redirect(send_with_headers, 302, subpath + path + (f"?{query}" if query else ""))
                return
            if path != subpath and not path.startswith(subpath + "/"):
                # PathPrefix("/chat") is a string prefix: ``/chatty/...`` enters the
                # subrouter, whose routes all start with ``/chat/``: its NotFoundHandler
                # (Handle404) answers, no other handler runs
                await app_error(404, "api.context.404.app_error", "Sorry, we could not find the page.",
                                request_id)(scope, replay, send_with_headers)
                return
            scope = _under(scope, subpath)
        await self.app(scope, replay, send_with_headers)


async def _redirect(send: Send, status: int, location: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"location", location.encode("utf-8", "replace")), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def _under(scope: Scope, subpath: str) -> Scope:
    """The request as the subrouter's routes see it: the subpath taken off the front."""
    inner = dict(scope)
    inner["path"] = scope["path"][len(subpath):] or "/"
    raw = scope.get("raw_path")
    if raw is not None:
        # (the raw path may spell the subpath with escapes: read it off the decoded path)
        inner["raw_path"] = raw[len(subpath):] if raw.startswith(subpath.encode()) else inner["path"].encode()
    return inner


def _token_from(request: Request) -> tuple[str, str]:
    """(token, where it was found), as Mattermost reads them (gohttp.auth_token)."""
    auth = request.headers.getlist("authorization")
    return gohttp.auth_token(request.headers.getlist("cookie"), auth[0] if auth else "",
                             request.scope.get("query_string", b""))


class Api:
    """Route handlers; each returns a Response and turns SimError into AppError JSON."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    # ------------------------------------------------------------- helpers
    @staticmethod
    def rid(request: Request) -> str:
        return str(request.scope.get("state", {}).get("request_id", ""))

    def actor(self, request: Request) -> str:
        token, where = _token_from(request)
        session = self.sim.session_for_token(token) if token else None
        if session is None:
            raise SimError(401, "api.context.session_expired.app_error", "Invalid or expired session, please login again.")
        if where == "query":
            # web/handlers.go ServeHTTP: a token in the query string is taken for an OAuth
            # session only (the simulator has none)
            raise SimError(401, "api.context.token_provided.app_error",
                           "Session is not OAuth but token was provided in the query string.")
        if where == "cookie" and request.method != "GET":
            # web/handlers.go checkCSRFToken: X-CSRF-Token must equal the session's
            # CSRF token; X-Requested-With: XMLHttpRequest is still accepted.
            csrf = request.headers.get("x-csrf-token", "")
            xhr = request.headers.get("x-requested-with", "") == "XMLHttpRequest"
            if csrf != session.csrf and not xhr:
                raise SimError(401, "api.context.session_expired.app_error", "Invalid or expired session, please login again.")
        return session.user_id

    @staticmethod
    async def json_body(request: Request) -> Any:
        # api4/*.go: json.NewDecoder(r.Body).Decode(&v), whatever the Content-Type
        # says; the first JSON value is read and anything after it left unread.
        # No Content-Encoding is undone (net/http never decodes a request body).
        raw = await request.body()
        try:
            return gohttp.json_decode(raw)
        except gohttp.GoError as exc:
            raise bad_param("body") from exc

    def wrap(self, fn: Handler) -> Handler:
        async def handler(request: Request) -> Response:
            try:
                return await fn(request)
            except SimError as err:
                return app_error(err.status, err.error_id, err.message, self.rid(request), err.detailed)

        return handler

    # --------------------------------------------------------------- users
    async def ping(self, request: Request) -> Response:
        return json_response({"ActiveSearchBackend": "database", "AndroidLatestVersion": "", "status": "OK"})

    async def login(self, request: Request) -> Response:
        # api4/user.go login: ``props := model.MapFromJSON(r.Body)`` (server/public/model/
        # utils.go: ``json.NewDecoder(data).Decode(&objmap)`` into a map[string]string, its
        # error ignored): the first JSON value, what follows unread, invalid UTF-8 as
        # U+FFFD; a map, so keys match exactly (no case folding) and the last one wins; a
        # value that is not a string is skipped (UnmarshalTypeError), the others kept;
        # a body Go cannot decode is an empty map.  ``device_id`` is stored in the session.
        props = map_from_json(await request.body())
        session, user = self.sim.login(props.get("login_id", ""), props.get("password", ""),
                                       props.get("device_id", ""))
        resp = json_response(user)
        resp.headers["Token"] = session.token
        resp.set_cookie("MMAUTHTOKEN", session.token, path="/", httponly=True, samesite="lax")
        resp.set_cookie("MMUSERID", user["id"], path="/", samesite="lax")
        resp.set_cookie("MMCSRF", session.csrf, path="/", samesite="lax")
        return resp

    async def user_sessions(self, request: Request) -> Response:
        actor = self.actor(request)
        uid = self._user_id(request, actor)
        if uid != actor:
            raise SimError(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
        return json_response(self.sim.user_sessions(uid))

    async def logout(self, request: Request) -> Response:
        token, _ = _token_from(request)
        self.sim.logout(token)
        resp = json_response({"status": "OK"})
        for name in ("MMAUTHTOKEN", "MMUSERID", "MMCSRF"):
            resp.delete_cookie(name, path="/")
        return resp

    def _user_id(self, request: Request, actor: str) -> str:
        uid = str(request.path_params["user_id"])
        return actor if uid == "me" else uid

    async def get_user(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.get_user(self._user_id(request, actor)))

    async def user_groups(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.user_groups(self._user_id(request, actor), actor))

    async def user_by_username(self, request: Request) -> Response:
        self.actor(request)
        return json_response(self.sim.user_by_username(str(request.path_params["username"])))

    async def user_by_email(self, request: Request) -> Response:
        self.actor(request)
        return json_response(self.sim.user_by_email(str(request.path_params["email"])))

    async def create_group(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_group(await self.json_body(request), actor), 201)

    async def add_group_members(self, request: Request) -> Response:
        actor = self.actor(request)
        group_id = str(request.path_params["group_id"])
        return json_response(self.sim.add_group_members(group_id, await self.json_body(request), actor))

    async def user_teams(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.user_teams(self._user_id(request, actor)))

    async def typing(self, request: Request) -> Response:
        """api4/user.go publishUserTyping: ``model.TypingRequest`` (``channel_id``,
        ``parent_id``, struct fields read as Go does); the channel must be an id the
        caller may post in; ``parent_id`` is broadcast as it is (app PublishUserTyping)."""
        actor = self.actor(request)
        body = await self.json_body(request)
        channel_id = body.get("channel_id") if isinstance(body, dict) else None
        if not isinstance(channel_id, str) or len(channel_id) != 26:
            raise bad_param("channel_id")
        self.sim.get_channel(channel_id, actor)
        return json_response({"status": "OK"})

    async def patch_user(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.patch_user(self._user_id(request, actor), await self.json_body(request), actor))

    async def delete_user(self, request: Request) -> Response:
        """DELETE /api/v4/users/{id}: deactivation (api4/user.go deleteUser, not ``permanent``)."""
        actor = self.actor(request)
        if request.query_params.get("permanent", "").lower() == "true":
            # ServiceSettings.EnableAPIUserDeletion is off by default
            raise SimError(401, "api.user.delete_user.not_enabled.app_error",
                           "Permanent user deletion feature is not enabled. Please contact your System Administrator.")  # fmt: skip
        return json_response(self.sim.set_active(self._user_id(request, actor), False, actor))

    async def update_user_active(self, request: Request) -> Response:
        """PUT /api/v4/users/{id}/active ``{"active": bool}`` (api4/user.go updateUserActive)."""
        actor = self.actor(request)
        body = await self.json_body(request)
        if not isinstance(body, dict) or not isinstance(body.get("active"), bool):
            raise bad_param("active")
        return json_response(self.sim.set_active(self._user_id(request, actor), body["active"], actor))

    async def update_user(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.update_user(self._user_id(request, actor), await self.json_body(request), actor))

    async def custom_status(self, request: Request) -> Response:
        actor = self.actor(request)
        uid = self._user_id(request, actor)
        return json_response(self.sim.set_custom_status(uid, await self.json_body(request), actor))

    async def get_bot(self, request: Request) -> Response:
        actor = self.actor(request)
        deleted = request.query_params.get("include_deleted", "").lower() in ("1", "true")
        return json_response(self.sim.get_bot(str(request.path_params["bot_id"]), actor, include_deleted=deleted))

    async def assign_bot(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.assign_bot(str(request.path_params["bot_id"]),
                                                 str(request.path_params["user_id"]), actor))

    async def create_bot(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_bot(await self.json_body(request), actor), 201)

    async def create_user_access_token(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_user_access_token(
            str(request.path_params["user_id"]), await self.json_body(request), actor))

    # --------------------------------------------------- teams / channels
    async def patch_bot(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.patch_bot(str(request.path_params["bot_id"]), await self.json_body(request), actor))

    async def users_by_usernames(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.users_by_usernames(await self.json_body(request), actor))

    async def create_team(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_team(await self.json_body(request), actor), 201)

    async def patch_team(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.patch_team(str(request.path_params["team_id"]), await self.json_body(request),
                                                 actor))

    async def get_team(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.get_team(str(request.path_params["team_id"]), actor))

    async def get_channel(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.get_channel(str(request.path_params["channel_id"]), actor))

    async def create_channel(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_channel(await self.json_body(request), actor), 201)

    async def update_channel(self, request: Request) -> Response:
        actor = self.actor(request)
        cid = str(request.path_params["channel_id"])
        return json_response(self.sim.update_channel(cid, await self.json_body(request), actor))

    async def channel_privacy(self, request: Request) -> Response:
        actor = self.actor(request)
        cid = str(request.path_params["channel_id"])
        return json_response(self.sim.channel_privacy(cid, await self.json_body(request), actor))

    async def patch_channel(self, request: Request) -> Response:
        actor = self.actor(request)
        cid = str(request.path_params["channel_id"])
        return json_response(self.sim.patch_channel(cid, await self.json_body(request), actor))

    async def direct_channel(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.direct_channel(await self.json_body(request), actor), 201)

    async def create_bookmark(self, request: Request) -> Response:
        actor = self.actor(request)
        cid = str(request.path_params["channel_id"])
        return json_response(self.sim.create_bookmark(cid, await self.json_body(request), actor), 201)

    async def patch_bookmark(self, request: Request) -> Response:
        actor = self.actor(request)
        cid = str(request.path_params["channel_id"])
        bid = str(request.path_params["bookmark_id"])
        return json_response(self.sim.patch_bookmark(cid, bid, await self.json_body(request), actor))

    async def get_incoming_hook(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.get_incoming_hook(str(request.path_params["hook_id"]), actor))

    async def add_channel_member(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.add_channel_member(
            str(request.path_params["channel_id"]), await self.json_body(request), actor), 201)

    async def channel_members(self, request: Request) -> Response:
        actor = self.actor(request)
        # api4/params.go: page >= 0, per_page default 60, at most 200
        try:
            page = max(0, int(request.query_params.get("page", "0")))
            per_page = min(200, max(1, int(request.query_params.get("per_page", "60"))))
        except ValueError:
            page, per_page = 0, 60
        cid = str(request.path_params["channel_id"])
        return json_response(self.sim.channel_members_page(cid, actor, page, per_page))

    async def channel_posts(self, request: Request) -> Response:
        actor = self.actor(request)
        q = request.query_params
        # api4/post.go getPostsForChannel: after/before must be valid ids, since an int64;
        # page/per_page as api4/params.go reads them (per_page default 60, at most 200)
        for name in ("after", "before"):
            if q.get(name) and not re.fullmatch(r"[a-z0-9]{26}", q[name]):
                raise bad_param(name)
        try:
            since = int(q.get("since") or 0)
        except ValueError as exc:
            raise bad_param("since") from exc
        try:
            page = max(0, int(q.get("page", "0")))
            per_page = min(200, max(1, int(q.get("per_page", "60"))))
        except ValueError:
            page, per_page = 0, 60
        return json_response(self.sim.channel_posts(str(request.path_params["channel_id"]), actor, page=page,
                                                    per_page=per_page, before=q.get("before", ""),
                                                    after=q.get("after", ""), since=since))  # fmt: skip

    async def post_thread(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.post_thread(str(request.path_params["post_id"]), actor))

    async def users_by_ids(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.users_by_ids(await self.json_body(request), actor))

    # --------------------------------------------------------------- posts
    async def create_post(self, request: Request) -> Response:
        actor = self.actor(request)
        post = self.sim.create_post(await self.json_body(request), actor)
        # api4/post.go createPost: CreatePostFlags{TriggerWebhooks: true}; the outgoing
        # webhooks run after the answer (app/post.go handlePostEvents, simulator/commands.py)
        self.sim.custom.fire_outgoing(post)
        return json_response(post, 201)

    async def ephemeral(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_ephemeral(await self.json_body(request), actor), 201)

    async def get_post(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.get_post(str(request.path_params["post_id"]), actor))

    async def delete_post(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.delete_post(str(request.path_params["post_id"]), actor))

    async def update_post(self, request: Request) -> Response:
        actor = self.actor(request)
        pid = str(request.path_params["post_id"])
        return json_response(self.sim.update_post(pid, await self.json_body(request), actor))

    async def patch_post(self, request: Request) -> Response:
        actor = self.actor(request)
        pid = str(request.path_params["post_id"])
        return json_response(self.sim.patch_post(pid, await self.json_body(request), actor))

    async def move_post(self, request: Request) -> Response:
        actor = self.actor(request)
        pid = str(request.path_params["post_id"])
        return json_response(self.sim.move_post(pid, await self.json_body(request), actor))

    async def schedule(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_scheduled(await self.json_body(request), actor), 201)

    async def team_scheduled(self, request: Request) -> Response:
        actor = self.actor(request)
        direct = request.query_params.get("includeDirectChannels") == "true"
        return json_response(self.sim.team_scheduled(str(request.path_params["team_id"]), actor, direct))

    async def update_schedule(self, request: Request) -> Response:
        actor = self.actor(request)
        sid = str(request.path_params["scheduled_id"])
        # (api4/scheduled_post.go updateScheduledPost answers 201, as createSchedulePost does)
        return json_response(self.sim.update_scheduled(sid, await self.json_body(request), actor), 201)

    async def delete_schedule(self, request: Request) -> Response:
        actor = self.actor(request)
        # (api4/scheduled_post.go deleteScheduledPost answers 201 with the deleted one)
        return json_response(self.sim.delete_scheduled(str(request.path_params["scheduled_id"]), actor), 201)

    async def draft(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.upsert_draft(await self.json_body(request), actor), 201)

    async def post_action(self, request: Request) -> Response:
        # api4/integration_action.go doPostAction (simulator/interactive.py)
        actor = self.actor(request)
        pid = str(request.path_params["post_id"])
        raw = await request.body()
        try:
            body = gohttp.json_decode(raw)
        except gohttp.GoError:
            body = {}  # a decode error is only logged there
        return json_response(await self.sim.interactions.do_post_action(
            pid, str(request.path_params["action_id"]), actor, body))

    async def dialog_open(self, request: Request) -> Response:
        # api4 openDialog: APIHandler, no session (the signed trigger id is the credential)
        self.sim.interactions.open_dialog(await self.json_body(request))
        return json_response({"status": "OK"})

    async def dialog_submit(self, request: Request) -> Response:
        actor = self.actor(request)
        body = await self.json_body(request)
        return json_response(await self.sim.interactions.submit_dialog(body, actor))

    async def execute_command(self, request: Request) -> Response:
        # api4/command.go executeCommand: a custom command (simulator/commands.py) or a built-in one
        actor = self.actor(request)
        body = await self.json_body(request)
        custom = self.sim.custom.lookup(body, actor)
        if custom is not None:
            cmd, channel_id, text = custom
            return json_response(await self.sim.custom.execute(cmd, body, actor, channel_id, text))
        return json_response(self.sim.execute_command(body, actor))

    async def create_command(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.custom.create_command(await self.json_body(request), actor), 201)

    async def update_command(self, request: Request) -> Response:
        actor = self.actor(request)
        cid = str(request.path_params["command_id"])
        return json_response(self.sim.custom.update_command(cid, await self.json_body(request), actor))

    async def list_outgoing_hooks(self, request: Request) -> Response:
        actor = self.actor(request)
        page, per_page = _paging(request)
        q = request.query_params
        return json_response(self.sim.custom.list_outgoing_hooks(actor, page, per_page, q.get("team_id", ""),
                                                                 q.get("channel_id", "")))

    async def channel_by_name(self, request: Request) -> Response:
        """GET /teams/{team_id}/channels/name/{channel_name} (api4/channel.go
        getChannelByName: the team's channel of that name; read_channel on it, or
        a system admin; deleted ones with ``include_deleted=true``)."""
        actor = self.actor(request)
        tid, name = str(request.path_params["team_id"]), str(request.path_params["channel_name"])
        deleted = request.query_params.get("include_deleted", "") == "true"
        with self.sim.lock:
            for c in self.sim.channels.values():
                if c.get("team_id") == tid and c.get("name") == name and (deleted or not c.get("delete_at")):
                    return json_response(self.sim.get_channel(c["id"], actor))
        raise SimError(404, "app.channel.get_by_name.missing.app_error", "Channel does not exist.")

    async def list_commands(self, request: Request) -> Response:
        actor = self.actor(request)
        q = request.query_params
        return json_response(self.sim.custom.list_commands(actor, q.get("team_id", ""),
                                                           q.get("custom_only", "") == "true"))

    async def list_teams(self, request: Request) -> Response:
        # api4/team.go getAllTeams: a system admin sees every team (others: the ones they belong to here)
        actor = self.actor(request)
        page, per_page = _paging(request)
        with self.sim.lock:
            teams = [copy.deepcopy(t) for tid, t in sorted(self.sim.teams.items())
                     if self.sim.is_admin(actor) or actor in self.sim.team_members[tid]]
        return json_response(teams[page * per_page:(page + 1) * per_page])

    async def create_outgoing_hook(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.custom.create_outgoing_hook(await self.json_body(request), actor), 201)

    async def update_outgoing_hook(self, request: Request) -> Response:
        actor = self.actor(request)
        hid = str(request.path_params["hook_id"])
        return json_response(self.sim.custom.update_outgoing_hook(hid, await self.json_body(request), actor))

    # --------------------------------------------------------------- files
    async def upload_files(self, request: Request) -> Response:
        """api4/file.go uploadFileStream: r.ParseForm(); multipart/form-data by
        mime.ParseMediaType -> Go's multipart reader (a base64 part is stored as the
        bytes sent, quoted-printable decoded, the preamble skipped); else the body is
        the file (uploadFileSimple), read as sent."""
        actor = self.actor(request)
        ctype = request.headers.get("content-type", "")
        raw = await request.body()
        form = _parse_form(ctype, raw, request.url.query)
        infos: list[dict[str, Any]] = []
        client_ids: list[str] = []
        boundary = _multipart_boundary(ctype)
        if boundary is not None:
            channel_id = gohttp.query_get(request.url.query, "channel_id")
            try:
                parts = gohttp.read_all_parts(raw, boundary)
            except gohttp.GoError as exc:
                raise SimError(400, "api.file.upload_file.read_request.app_error", "Unable to upload file(s).", str(exc)) from exc
            uploads: list[gohttp.GoPart] = []
            for part in parts:
                name = part.form_name()
                if not name:
                    continue
                if not part.file_name():
                    value = part.data[:10 * 1024].decode("utf-8", "replace")
                    if name == "channel_id":
                        channel_id = value or channel_id
                    elif name == "client_ids":
                        client_ids.append(value)
                    else:
                        raise bad_param(name)
                    continue
                uploads.append(part)
            if not channel_id:
                raise bad_param("channel_id")
            if not uploads:
                raise SimError(400, "api.file.upload_file.incorrect_number_of_files.app_error", "Unable to upload files. Incorrect number of files specified.")
            if client_ids and len(client_ids) != len(uploads):
                raise SimError(400, "api.file.upload_file.incorrect_number_of_client_ids.app_error", "Unable to upload files. Incorrect number of client_ids.")
            for part in uploads:
                infos.append(self.sim.add_file(channel_id, part.file_name(), part.data, actor, part.get("Content-Type")))
        else:
            channel_id = gohttp.query_get(request.url.query, "channel_id")
            filename = gohttp.query_get(request.url.query, "filename")
            if not channel_id:
                raise bad_param("channel_id")
            if not filename:
                raise bad_param("filename")
            # a form-labelled body was consumed by r.ParseForm: the file is what is left (nothing)
            body = b"" if form is not None and form[1] else raw
            infos.append(self.sim.add_file(channel_id, filename, body, actor))
            client_id = gohttp.query_get(request.url.query, "client_id")
            if client_id:
                client_ids = [client_id]
        return json_response({"file_infos": infos, "client_ids": client_ids}, 201)

    async def create_emoji(self, request: Request) -> Response:
        """api4/emoji.go createEmoji: ``r.ParseMultipartForm`` (not multipart: 400
        ``api.emoji.create.parse.app_error``), the first ``emoji`` value a JSON
        model.Emoji (missing or not JSON: 400 invalid ``emoji``); app/emoji.go
        CreateEmoji: ``Emoji.IsValid`` (name 1-64 of ``[a-zA-Z0-9_+-]``), the creator
        must be the caller (403 ``api.emoji.create.other_user.app_error``), a name taken
        is 400 ``api.emoji.create.duplicate.app_error``, no ``image`` file 400; the
        Emoji encoded back with 200 (createEmoji writes no status)."""
        actor = self.actor(request)
        ctype = request.headers.get("content-type", "")
        raw = await request.body()
        boundary = _multipart_boundary(ctype)
        if boundary is None:
            raise SimError(400, "api.emoji.create.parse.app_error", "Unable to create emoji. Could not understand request.")
        try:
            parts = gohttp.read_all_parts(raw, boundary)
        except gohttp.GoError as exc:
            raise SimError(400, "api.emoji.create.parse.app_error", "Unable to create emoji. Could not understand request.",
                           str(exc)) from exc
        values = [p.data for p in parts if p.form_name() == "emoji" and not p.file_name()]
        images = [p.data for p in parts if p.form_name() == "image" and p.file_name()]
        try:
            meta = gohttp.json_decode(values[0], unmarshal=True) if values else None
        except gohttp.GoError:
            meta = None
        if not isinstance(meta, dict):
            raise bad_param("emoji")
        return json_response(self.sim.create_emoji(meta, images[0] if images else None, actor))

    async def get_file(self, request: Request) -> Response:
        actor = self.actor(request)
        info, data = self.sim.get_file(str(request.path_params["file_id"]), actor)
        return Response(data, media_type=info["mime_type"])

    async def get_file_info(self, request: Request) -> Response:
        actor = self.actor(request)
        info, _ = self.sim.get_file(str(request.path_params["file_id"]), actor)
        return json_response(info)

    async def create_upload(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_upload(await self.json_body(request), actor), 201)

    async def get_upload(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.get_upload(str(request.path_params["upload_id"]), actor))

    async def upload_data(self, request: Request) -> Response:
        """api4/upload.go doUploadData: multipart/form-data (mime.ParseMediaType) ->
        the first part from Go's multipart reader, at most file_size - file_offset
        bytes of it (app/upload.go UploadData's LimitedReader); else the raw body,
        refused when longer than what is left."""
        actor = self.actor(request)
        ctype = request.headers.get("content-type", "")
        raw = await request.body()
        boundary = _multipart_boundary(ctype)
        if boundary is not None:
            try:
                part = gohttp.MultipartReader(raw, boundary).next_part()
            except gohttp.GoError as exc:
                raise SimError(400, "api.upload.upload_data.multipart_error", "Unable to read the multipart data.", str(exc)) from exc
            if part is None:
                raise SimError(400, "api.upload.upload_data.multipart_error", "Unable to read the multipart data.")
            info = self.sim.upload_chunk(str(request.path_params["upload_id"]), part.data, actor, truncate=True)
        else:
            info = self.sim.upload_chunk(str(request.path_params["upload_id"]), raw, actor)
        if info is None:
            return Response(status_code=204)
        return json_response(info)

    # --------------------------------------------------------------- hooks
    async def incoming_hook(self, request: Request) -> Response:
        payload = await _webhook_payload(request, self.sim.webhook_rule)
        self.sim.incoming_webhook(str(request.path_params["hook_id"]), payload)
        return PlainTextResponse("ok")

    async def command_hook(self, request: Request) -> Response:
        payload = await _command_payload(request)
        self.sim.command_webhook(str(request.path_params["hook_id"]), payload)
        return PlainTextResponse("ok")

    # ------------------------------------------------------ remote clusters
    def _remote_cluster(self, request: Request) -> Response | None:
        """web/handlers.go ServeHTTP, RequireRemoteClusterToken: the X-RemoteCluster-Id's
        stored token must match X-RemoteCluster-Token, checked before the handler reads
        the body; otherwise 401 api.context.session_expired.app_error
        (web/context.go RemoteClusterTokenRequired)."""
        known = self.sim.ids["remote_cluster"]
        if (request.headers.get("X-RemoteCluster-Id") == known["id"]
                and request.headers.get("X-RemoteCluster-Token") == known["token"]):
            return None
        return app_error(401, "api.context.session_expired.app_error", "Invalid or expired session, please login again.",
                         self.rid(request), "TokenRequired")

    async def remote_cluster_ping(self, request: Request) -> Response:
        """api4/remote_cluster.go remoteClusterPing: the frame's ping answered with the times."""
        if (refused := self._remote_cluster(request)) is not None:
            return refused
        await request.body()
        now = int(time.time() * 1000)
        return json_response({"sent_at": now, "recv_at": now})

    async def remote_cluster_upload(self, request: Request) -> Response:
        """api4/remote_cluster.go uploadRemoteData: the bytes of an upload session a remote
        cluster created; the file's info once written (recorded as it reached the server)."""
        if (refused := self._remote_cluster(request)) is not None:
            return refused
        body = await request.body()
        return json_response({"id": str(request.path_params["upload_id"]), "size": len(body)})

    # ----------------------------------------------------------- playbooks
    async def create_run(self, request: Request) -> Response:
        actor = self.actor(request)
        return json_response(self.sim.create_run(await self.json_body(request), actor), 201)

    async def run_status(self, request: Request) -> Response:
        actor = self.actor(request)
        rid = str(request.path_params["run_id"])
        return json_response(self.sim.run_status(rid, await self.json_body(request), actor))

    # ------------------------------------------ reads whose query leaves the firm
    @staticmethod
    def _query(request: Request, name: str) -> str:
        """``r.URL.Query().Get(name)`` (gohttp.query_get: Go's ParseQuery, first value)."""
        return gohttp.query_get(request.scope.get("query_string", b""), name)

    async def redirect_location(self, request: Request) -> Response:
        """api4/system.go getRedirectLocation (link previews on): ``url`` from the query,
        "" a 400 invalid-param AppError; Mattermost sends ``HEAD url`` to that host and
        answers ``{"location": <its Location header>}``, ``""`` on any failure (and caches
        either by the URL).  The simulator sends nothing anywhere: ``""``."""
        self.actor(request)
        if self._query(request, "url") == "":
            raise bad_param("url")
        return json_response({"location": ""})

    async def image(self, request: Request) -> Response:
        """api4/image.go getImage with the image proxy off: ``url`` parsed by Go's
        url.Parse (a control character: an error; an opaque ``scheme:rest``: 400
        ``api.image.get.app_error``), its scheme and host defaulted to the site's, then a
        302 to it (http.Redirect).  With the proxy on Mattermost would fetch it itself."""
        self.actor(request)
        raw = self._query(request, "url")
        scheme = _URL_SCHEME.match(raw)
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw) or (scheme and not raw[scheme.end():].startswith("/")):
            return app_error(400, "api.image.get.app_error", "Unable to get image.", self.rid(request))
        if not scheme:
            site = f"{request.url.scheme}://{request.headers.get('host', 'localhost')}"
            raw = site + raw if raw.startswith("/") and not raw.startswith("//") else (
                f"{request.url.scheme}:{raw}" if raw.startswith("//") else f"{site}/{raw}")
        return _go_redirect(raw, 302)

    async def oauth_authorize_page(self, request: Request) -> Response:
        """web/oauth.go authorizeOAuthPage (the OAuth 2.0 service provider on): a request
        without ``response_type``, ``client_id`` (an id) or ``redirect_uri``
        (AuthorizeRequest.IsValid) is sent to the error page; without a session, a 302 to
        ``/login?redirect_to=`` the request URI; with one, as for a trusted app
        (app/oauth.go AllowOAuthAppAccessToUser), a 302 to ``redirect_uri`` with a code
        and the client's ``state``: the query leaves for the OAuth app's site."""
        q = {k: self._query(request, k) for k in ("response_type", "client_id", "redirect_uri", "state")}
        if q["response_type"] not in ("code", "token") or not _ID26.fullmatch(q["client_id"]) or not q["redirect_uri"]:
            return _go_redirect("/error?type=oauth_invalid_param", 302)
        token, _ = _token_from(request)
        if not token or self.sim.session_for_token(token) is None:
            uri = request.url.path + ("?" + request.url.query if request.url.query else "")
            return _go_redirect("/login?redirect_to=" + quote(uri, safe=""), 302)
        sep = "&" if "?" in q["redirect_uri"] else "?"
        return _go_redirect(f"{q['redirect_uri']}{sep}code={self.sim.new_id('oauth-code')}&state={quote(q['state'])}", 302)

    async def oauth_login(self, request: Request) -> Response:
        """web/oauth.go loginWithOAuth/mobileLoginWithOAuth/signupWithOAuth ->
        app/oauth.go GetOAuthLoginEndpoint: the props (``action``, ``redirect_to``,
        ``desktop_token``, invite ``t``/``id``) and a token go into ``state`` (base64 of
        their JSON), ``login_hint`` as it is, in a 302 to the provider's authorization
        endpoint: the query leaves for the identity provider."""
        service = str(request.path_params["service"])
        step = request.url.path.rsplit("/", 1)[-1]
        action = {"login": "login", "mobile_login": "mobile", "signup": "signup"}[step]
        props = {"action": action, "token": self.sim.new_id("oauth-state")}
        for name in ("redirect_to", "desktop_token", "t", "id"):
            if value := self._query(request, name):
                props[name] = value
        state = base64.b64encode(json.dumps(props, separators=(",", ":")).encode()).decode()
        url = (f"https://idp.example/{service}/authorize?response_type=code&client_id=mattermost"
               f"&state={quote(state, safe='')}")
        if hint := self._query(request, "login_hint"):
            url += "&login_hint=" + quote(hint, safe="")
        return _go_redirect(url, 302)

    async def saml_login(self, request: Request) -> Response:
        """web/saml.go loginWithSaml: ``action`` (with the team), ``redirect_to``
        (HTML-escaped), ``email_token``, ``desktop_token`` go into the RelayState (base64
        of their JSON) of a 302 to the SAML provider: the query leaves for it."""
        props: dict[str, str] = {}
        if action := self._query(request, "action"):
            props["action"] = action
            if action == "email_to_sso":
                props["email_token"] = self._query(request, "email_token")
        if redirect_to := self._query(request, "redirect_to"):
            props["redirect_to"] = html.escape(redirect_to)
        if desktop := self._query(request, "desktop_token"):
            props["desktop_token"] = desktop
        props["is_mobile"] = str(action == "mobile").lower()
        relay = base64.b64encode(json.dumps(props, separators=(",", ":")).encode()).decode()
        return _go_redirect("https://idp.example/saml?SAMLRequest=x&RelayState=" + quote(relay, safe=""), 302)

    async def login_switch(self, request: Request) -> Response:
        """api4/user.go switchAccountType: json into model.SwitchRequest (a decode error:
        400 invalid ``switch_request``); a transition it does not know is a 400 too; else
        ``{"follow_link": ...}`` (the simulator switches nothing)."""
        body = await self.json_body(request)
        if not isinstance(body, dict):
            raise bad_param("switch_request")
        cur, new = gohttp.pointer_field(body, "current_service")[1], gohttp.pointer_field(body, "new_service")[1]
        if (cur, new) not in _SWITCHES and not (cur == "email" and new in _SSO_SERVICES) and not (
                cur in _SSO_SERVICES and new == "email"):
            raise bad_param("switch_request")
        return json_response({"follow_link": "/login?extra=signin_change"})

    # ----------------------------------------------------------- catch-all
    async def not_found(self, request: Request) -> Response:
        if self.sim.unknown_route_status == 200:
            return json_response({})
        return app_error(
            404, "api.context.404.app_error", "Sorry, we could not find the page.", self.rid(request),
            "There doesn't appear to be an api call for the url='" + request.url.path + "'.",
        )

    # ----------------------------------------------------------- websocket
    async def websocket(self, ws: WebSocket) -> None:
        """Hello event, authentication_challenge, a status reply to each action, and the
        events the server publishes to the connection's user (``ephemeral_message``,
        ``open_dialog``: simulator/interactive.py), each with the connection's ``seq``."""
        auth_lines = ws.headers.getlist("authorization")
        token, _ = gohttp.auth_token(ws.headers.getlist("cookie"), auth_lines[0] if auth_lines else "",
                                     ws.scope.get("query_string", b""))
        await ws.accept()
        session = self.sim.session_for_token(token) if token else None
        seq = 0
        send_lock = asyncio.Lock()
        events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        subscribed: list[str] = []

        async def send(text: str) -> None:
            async with send_lock:  # replies and published events from two tasks
                await ws.send_text(text)

        async def hello() -> None:
            nonlocal seq
            await send(json.dumps({
                "event": "hello",
                "data": {"connection_id": self.sim.new_id("ws"), "server_version": SERVER_VERSION},
                "broadcast": {"omit_users": None, "user_id": session.user_id if session else "", "channel_id": "", "team_id": ""},
                "seq": seq,
            }))
            seq += 1
            if session is not None and session.user_id not in subscribed:
                self.sim.interactions.subscribe(session.user_id, loop, events)
                subscribed.append(session.user_id)

        async def push() -> None:
            nonlocal seq
            while True:
                event = await events.get()
                async with send_lock:
                    await ws.send_text(json.dumps({**event, "seq": seq}))
                    seq += 1

        pusher = asyncio.create_task(push())
        if session is not None:
            await hello()
        try:
            while True:
                frame = await ws.receive()
                if frame["type"] == "websocket.disconnect":
                    return
                if frame.get("text") is None:
                    # a binary frame: Mattermost would decode it as msgpack
                    # (app/platform/web_conn.go readPump); recorded, not answered
                    with self.sim.lock:
                        self.sim.ws_messages.append({"bytes_b64": base64.b64encode(frame.get("bytes") or b"").decode("ascii")})
                    continue
                text = frame["text"]
                with self.sim.lock:
                    self.sim.ws_messages.append({"text": text})
                try:
                    msg = json.loads(text)
                except ValueError:
                    continue
                if not isinstance(msg, dict):
                    continue
                reply: dict[str, Any] = {"status": "OK", "seq_reply": msg.get("seq", 0)}
                if msg.get("action") == "authentication_challenge":
                    data = msg.get("data") if isinstance(msg.get("data"), dict) else {}
                    session = self.sim.session_for_token(str((data or {}).get("token", "")))
                    if session is None:
                        reply = {"status": "FAIL", "seq_reply": msg.get("seq", 0), "error": {
                            "id": "api.web_socket_router.not_authenticated.app_error",
                            "message": "Not authenticated."}}
                        await send(json.dumps(reply))
                        continue
                    await send(json.dumps(reply))
                    await hello()
                    continue
                if msg.get("action") == "ping":
                    reply["data"] = {"text": "pong", "version": SERVER_VERSION}
                await send(json.dumps(reply))
        except WebSocketDisconnect:
            return
        finally:
            pusher.cancel()
            for user_id in subscribed:
                self.sim.interactions.unsubscribe(user_id, events)


def _multipart_boundary(ctype: str) -> str | None:
    """api4/file.go parseMultipartRequestHeader."""
    if not ctype:
        return None
    try:
        mediatype, params = gohttp.parse_media_type(ctype)
    except gohttp.GoError:
        return None
    if mediatype != "multipart/form-data":
        return None
    if "boundary" not in params:
        raise SimError(400, "api.upload.upload_data.invalid_content_type", "Invalid Content-Type.", "no multipart boundary param in Content-Type")
    return params["boundary"]


def _parse_form(ctype: str, raw: bytes, query: str) -> tuple[list[tuple[bytes, bytes]], bool] | None:
    """net/http Request.ParseForm: (values of the body form then the query, whether
    the body was consumed).  The body is a form when mime.ParseMediaType (even with
    bad parameters) says application/x-www-form-urlencoded; None when the type is
    not that."""
    try:
        mediatype = gohttp.parse_media_type(ctype or "application/octet-stream")[0]
    except gohttp.ErrInvalidMediaParameter as exc:
        mediatype = exc.mediatype
    except gohttp.GoError:
        mediatype = ""
    if mediatype != "application/x-www-form-urlencoded":
        return None
    return gohttp.parse_query(raw[:10 << 20]) + gohttp.parse_query(query), True


async def _webhook_payload(request: Request, rule: str) -> Any:
    """web/webhook.go incomingWebhook.  ``rule`` "mime": the newer handler
    (mime.ParseMediaType; a parse error other than ErrInvalidMediaParameter is a
    400); "split": the older one (``strings.Split(ct, "; ")[0]`` for forms,
    ``strings.HasPrefix(ct, "multipart/form-data")`` for multipart).  Both call
    r.ParseForm() first, which consumes a form body."""
    ctype = request.headers.get("content-type", "")
    raw = await request.body()
    form = _parse_form(ctype, raw, request.url.query)
    body = b"" if form is not None else raw  # ParseForm read it
    if rule == "split":
        is_form = ctype.split("; ")[0] == "application/x-www-form-urlencoded"
        is_multipart = ctype.startswith("multipart/form-data")
    else:
        mediatype = ""
        if ctype:
            try:
                mediatype = gohttp.parse_media_type(ctype)[0]
            except gohttp.ErrInvalidMediaParameter as exc:
                mediatype = exc.mediatype
            except gohttp.GoError as exc:
                raise SimError(400, "api.webhook.incoming.error", "Unable to parse the Content-Type.") from exc
        is_form = mediatype == "application/x-www-form-urlencoded"
        is_multipart = mediatype == "multipart/form-data"
    if is_form:
        values = form[0] if form is not None else gohttp.parse_query(request.url.query)
        payload = gohttp.form_values(values, "payload")
        return _incoming_webhook_json((payload[0] if payload else "").encode("utf-8"))
    if is_multipart:
        # r.ParseMultipartForm(0) then gorilla/schema decodes r.PostForm (the
        # non-file values); not multipart/form-data by ParseMediaType: nothing
        out: dict[str, Any] = {}
        try:
            mediatype, params = gohttp.parse_media_type(ctype)
        except gohttp.GoError:
            return out
        if mediatype != "multipart/form-data" or "boundary" not in params:
            return out
        try:
            parts = gohttp.read_all_parts(raw, params["boundary"])
        except gohttp.GoError:
            return out
        for part in parts:
            name = part.form_name()
            if name and not part.file_name():
                out.setdefault(name, part.data.decode("utf-8", "replace"))  # schema: first value
        return out
    return _incoming_webhook_json(body)


#: server/public/model/incoming_webhook.go escapeControlCharsFromPayload's regexp
#: ``(?s)"(text|fallback|pretext|author_name|title|value)"\s*:\s*"(\\"|[^"])*"`` on the
#: bytes (Go's ``\s``: ``[\t\n\f\r ]``; RE2's leftmost-first match is the one Python's re finds)
_ESCAPE_KEYS = re.compile(rb'"(?:text|fallback|pretext|author_name|title|value)"'
                          rb'[\t\n\f\r ]*:[\t\n\f\r ]*"(?:\\"|[^"])*"', re.S)


def escape_control_chars_from_payload(by: bytes) -> bytes:
    """incoming_webhook.go ``escapeControlCharsFromPayload``: every raw ``\\n`` and
    ``\\t`` of each match replaced by backslash-n, backslash-t."""
    return _ESCAPE_KEYS.sub(lambda m: m.group(0).replace(b"\n", b"\\n").replace(b"\t", b"\\t"), by)


def _incoming_webhook_json(raw: bytes) -> Any:
    """model.IncomingWebhookRequestFromJSON (server/public/model/incoming_webhook.go):
    json.Decoder.Decode; on an error, the same decode of
    ``escape_control_chars_from_payload(raw)``; on a second error 400.  (A backslash
    before a raw line feed in ``text`` is refused by the first decode and read, after
    the rewrite, as a backslash then ``n``; a raw control character anywhere else, or
    any other than LF and TAB, is refused by both.)"""
    try:
        return gohttp.json_decode(raw)
    except gohttp.GoError:
        pass
    try:
        return gohttp.json_decode(escape_control_chars_from_payload(raw))
    except gohttp.GoError as exc:
        raise SimError(400, "model.incoming_hook.parse_data.app_error", "Unable to parse incoming data.") from exc


async def _command_payload(request: Request) -> Any:
    """model.CommandResponseFromHTTPBody (older): JSON for application/json, else
    the whole body is the response text."""
    ctype = request.headers.get("content-type", "")
    raw = await request.body()
    if ctype.split(";")[0].strip() == "application/json":
        try:
            return gohttp.json_decode(raw, unmarshal=True)
        except gohttp.GoError as exc:
            raise SimError(400, "web.command_webhook.parse.app_error", "Unable to parse incoming data.") from exc
    return {"text": raw.decode("utf-8", "replace")}


class Inspect:
    """The /__sim/ test API (not part of Mattermost)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.sim.clear_recorded()
            return json_response({"status": "OK"})
        return json_response(self.sim.recorded())

    async def posts(self, request: Request) -> Response:
        return json_response(self.sim.all_posts())

    async def ids(self, request: Request) -> Response:
        return json_response(self.sim.ids)

    async def command_hooks(self, request: Request) -> Response:
        """A slash command's response hook, as a custom command's execution makes one
        (``Simulator.create_command_webhook``): for ``user`` (a seeded key, default alice)
        in town square; ``age_ms`` makes it that old.  Answers its id."""
        body = await request.json() if await request.body() else {}
        sim = self.sim
        user = sim.ids["users"][str(body.get("user", "alice"))]
        hook_id = sim.create_command_webhook(id_from("command:lookup"), user, sim.ids["channels"]["town_square"])
        with sim.lock:
            sim.command_hooks[hook_id]["create_at"] -= int(body.get("age_ms", 0))
        return json_response({"id": hook_id})

    async def moves(self, request: Request) -> Response:
        """Threads Mattermost moved (POST /api/v4/posts/{id}/move): from, to, new ids."""
        return json_response(self.sim.recorded_moves())

    async def ws_messages(self, request: Request) -> Response:
        with self.sim.lock:
            return json_response(list(self.sim.ws_messages))

    async def faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            with self.sim.lock:
                self.sim.faults.clear()
            return json_response({"status": "OK"})
        if request.method == "GET":
            with self.sim.lock:
                return json_response([vars(f) for f in self.sim.faults])
        try:
            body = json.loads(await request.body())
            fault = Fault(
                delay_ms=int(body.get("delay_ms", 0)),
                status=int(body["status"]) if body.get("status") is not None else None,
                path_prefix=str(body.get("path_prefix", "")),
                method=str(body.get("method", "")),
                remaining=int(body["count"]) if body.get("count") is not None else None,
            )
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            return json_response({"error": f"bad fault: {exc}"}, 400)
        with self.sim.lock:
            self.sim.faults.append(fault)
        return json_response(vars(fault), 201)

    async def copy_files(self, request: Request) -> Response:
        """What a plugin's ``CopyFileInfos`` makes (app/file.go): copies of files with no
        post and no channel, created by ``user_id``."""
        try:
            body = json.loads(await request.body())
            user_id, file_ids = body["user_id"], body["file_ids"]
        except (ValueError, TypeError, KeyError) as exc:
            return json_response({"error": f"bad copy: {exc}"}, 400)
        try:
            return json_response({"file_ids": self.sim.copy_files(str(user_id), file_ids)}, 201)
        except SimError as err:
            return json_response({"error": err.message}, err.status)

    async def events(self, request: Request) -> Response:
        """Websocket events the server published to a user (``ephemeral_message``,
        ``open_dialog``): what the web app would receive."""
        return json_response(self.sim.interactions.events_for(request.query_params.get("user_id")))

    async def config(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            status = int(body.get("unknown_route_status", self.sim.unknown_route_status))
            if status not in (200, 404):
                raise ValueError("unknown_route_status must be 200 or 404")
            rule = str(body.get("webhook_rule", self.sim.webhook_rule))
            if rule not in ("mime", "split"):
                raise ValueError("webhook_rule must be mime or split")
            # ServiceSettings.AllowedUntrustedInternalConnections: space-separated hosts or CIDRs
            allowed = str(body.get("allowed_untrusted_internal_connections",
                                   " ".join(self.sim.interactions.allowed_internal))).split()
            # ServiceSettings.EnableLinkPreviews (default true)
            previews = body.get("enable_link_previews", self.sim.previews.enabled)
            if not isinstance(previews, bool):
                raise ValueError("enable_link_previews must be true or false")
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return json_response({"error": f"bad config: {exc}"}, 400)
        self.sim.unknown_route_status = status
        self.sim.webhook_rule = rule
        self.sim.interactions.allowed_internal = allowed
        self.sim.previews.enabled = previews
        return json_response({"unknown_route_status": status, "webhook_rule": rule,
                              "allowed_untrusted_internal_connections": " ".join(allowed),
                              "enable_link_previews": previews})


ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_app(sim: Simulator) -> ASGIApp:
    """The simulator as an ASGI app (wrapped in the recording middleware)."""
    api = Api(sim)
    ins = Inspect(sim)
    w = api.wrap
    v4 = "/api/v4"
    routes: list[Route | WebSocketRoute] = [
        Route(f"{SIM_PREFIX}requests", ins.requests, methods=["GET", "DELETE"]),
        Route(f"{SIM_PREFIX}posts", ins.posts, methods=["GET"]),
        Route(f"{SIM_PREFIX}ids", ins.ids, methods=["GET"]),
        Route(f"{SIM_PREFIX}command_hooks", ins.command_hooks, methods=["POST"]),
        Route(f"{SIM_PREFIX}moves", ins.moves, methods=["GET"]),
        Route(f"{SIM_PREFIX}files/copy", ins.copy_files, methods=["POST"]),
        Route(f"{SIM_PREFIX}ws_messages", ins.ws_messages, methods=["GET"]),
        Route(f"{SIM_PREFIX}faults", ins.faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{SIM_PREFIX}config", ins.config, methods=["POST"]),
        Route(f"{SIM_PREFIX}events", ins.events, methods=["GET"]),
        Route(f"{v4}/system/ping", w(api.ping), methods=["GET"]),
        Route(f"{v4}/users/login", w(api.login), methods=["POST"]),
        Route(f"{v4}/users/logout", w(api.logout), methods=["POST"]),
        Route(f"{v4}/users/login/switch", w(api.login_switch), methods=["POST"]),
        Route(f"{v4}/redirect_location", w(api.redirect_location), methods=["GET"]),
        Route(f"{v4}/image", w(api.image), methods=["GET"]),
        Route("/oauth/authorize", w(api.oauth_authorize_page), methods=["GET"]),
        *(Route(f"/oauth/{{service}}/{step}", w(api.oauth_login), methods=["GET"])
          for step in ("login", "mobile_login", "signup")),
        Route("/login/sso/saml", w(api.saml_login), methods=["GET"]),
        Route(f"{v4}/users/{{user_id}}/sessions", w(api.user_sessions), methods=["GET"]),
        Route(f"{v4}/users/username/{{username}}", w(api.user_by_username), methods=["GET"]),
        Route(f"{v4}/users/email/{{email}}", w(api.user_by_email), methods=["GET"]),
        Route(f"{v4}/users/ids", w(api.users_by_ids), methods=["POST"]),
        Route(f"{v4}/users/{{user_id}}", w(api.get_user), methods=["GET"]),
        Route(f"{v4}/users/{{user_id}}", w(api.update_user), methods=["PUT"]),
        Route(f"{v4}/users/{{user_id}}", w(api.delete_user), methods=["DELETE"]),
        Route(f"{v4}/users/{{user_id}}/active", w(api.update_user_active), methods=["PUT"]),
        Route(f"{v4}/users/{{user_id}}/patch", w(api.patch_user), methods=["PUT"]),
        Route(f"{v4}/users/{{user_id}}/typing", w(api.typing), methods=["POST"]),
        Route(f"{v4}/users/{{user_id}}/groups", w(api.user_groups), methods=["GET"]),
        Route(f"{v4}/users/{{user_id}}/teams", w(api.user_teams), methods=["GET"]),
        Route(f"{v4}/users/{{user_id}}/status/custom", w(api.custom_status), methods=["PUT"]),
        Route(f"{v4}/groups", w(api.create_group), methods=["POST"]),
        Route(f"{v4}/groups/{{group_id}}/members", w(api.add_group_members), methods=["POST"]),
        Route(f"{v4}/bots", w(api.create_bot), methods=["POST"]),
        Route(f"{v4}/users/{{user_id}}/tokens", w(api.create_user_access_token), methods=["POST"]),
        Route(f"{v4}/bots/{{bot_id}}", w(api.get_bot), methods=["GET"]),
        Route(f"{v4}/bots/{{bot_id}}", w(api.patch_bot), methods=["PUT"]),
        Route(f"{v4}/bots/{{bot_id}}/assign/{{user_id}}", w(api.assign_bot), methods=["POST"]),
        Route(f"{v4}/users/usernames", w(api.users_by_usernames), methods=["POST"]),
        Route(f"{v4}/teams", w(api.create_team), methods=["POST"]),
        Route(f"{v4}/teams/{{team_id}}", w(api.get_team), methods=["GET"]),
        Route(f"{v4}/teams/{{team_id}}", w(api.patch_team), methods=["PUT"]),
        Route(f"{v4}/teams/{{team_id}}/patch", w(api.patch_team), methods=["PUT"]),
        Route(f"{v4}/teams/{{team_id}}/channels/name/{{channel_name}}", w(api.channel_by_name), methods=["GET"]),
        Route(f"{v4}/channels", w(api.create_channel), methods=["POST"]),
        Route(f"{v4}/channels/direct", w(api.direct_channel), methods=["POST"]),
        Route(f"{v4}/channels/{{channel_id}}", w(api.get_channel), methods=["GET"]),
        Route(f"{v4}/channels/{{channel_id}}", w(api.update_channel), methods=["PUT"]),
        Route(f"{v4}/channels/{{channel_id}}/patch", w(api.patch_channel), methods=["PUT"]),
        Route(f"{v4}/channels/{{channel_id}}/privacy", w(api.channel_privacy), methods=["PUT"]),
        Route(f"{v4}/channels/{{channel_id}}/posts", w(api.channel_posts), methods=["GET"]),
        Route(f"{v4}/channels/{{channel_id}}/members", w(api.channel_members), methods=["GET"]),
        Route(f"{v4}/channels/{{channel_id}}/members", w(api.add_channel_member), methods=["POST"]),
        Route(f"{v4}/hooks/incoming/{{hook_id}}", w(api.get_incoming_hook), methods=["GET"]),
        Route(f"{v4}/channels/{{channel_id}}/bookmarks", w(api.create_bookmark), methods=["POST"]),
        Route(f"{v4}/channels/{{channel_id}}/bookmarks/{{bookmark_id}}", w(api.patch_bookmark), methods=["PATCH"]),
        Route(f"{v4}/remotecluster/ping", w(api.remote_cluster_ping), methods=["POST"]),
        Route(f"{v4}/remotecluster/upload/{{upload_id}}", w(api.remote_cluster_upload), methods=["POST"]),
        Route(f"{v4}/posts", w(api.create_post), methods=["POST"]),
        Route(f"{v4}/posts/ephemeral", w(api.ephemeral), methods=["POST"]),
        Route(f"{v4}/posts/schedule", w(api.schedule), methods=["POST"]),
        Route(f"{v4}/posts/schedule/{{scheduled_id}}", w(api.update_schedule), methods=["PUT"]),
        Route(f"{v4}/posts/schedule/{{scheduled_id}}", w(api.delete_schedule), methods=["DELETE"]),
        Route(f"{v4}/posts/scheduled/team/{{team_id}}", w(api.team_scheduled), methods=["GET"]),
        Route(f"{v4}/posts/{{post_id}}", w(api.get_post), methods=["GET"]),
        Route(f"{v4}/posts/{{post_id}}", w(api.update_post), methods=["PUT"]),
        Route(f"{v4}/posts/{{post_id}}", w(api.delete_post), methods=["DELETE"]),
        Route(f"{v4}/posts/{{post_id}}/patch", w(api.patch_post), methods=["PUT"]),
        Route(f"{v4}/posts/{{post_id}}/thread", w(api.post_thread), methods=["GET"]),
        Route(f"{v4}/posts/{{post_id}}/move", w(api.move_post), methods=["POST"]),
        Route(f"{v4}/posts/{{post_id}}/actions/{{action_id}}", w(api.post_action), methods=["POST"]),
        Route(f"{v4}/actions/dialogs/submit", w(api.dialog_submit), methods=["POST"]),
        Route(f"{v4}/actions/dialogs/open", w(api.dialog_open), methods=["POST"]),
        Route(f"{v4}/commands/execute", w(api.execute_command), methods=["POST"]),
        Route(f"{v4}/commands", w(api.create_command), methods=["POST"]),
        Route(f"{v4}/commands", w(api.list_commands), methods=["GET"]),
        Route(f"{v4}/hooks/outgoing", w(api.list_outgoing_hooks), methods=["GET"]),
        Route(f"{v4}/teams", w(api.list_teams), methods=["GET"]),
        Route(f"{v4}/commands/{{command_id}}", w(api.update_command), methods=["PUT"]),
        Route(f"{v4}/hooks/outgoing", w(api.create_outgoing_hook), methods=["POST"]),
        Route(f"{v4}/hooks/outgoing/{{hook_id}}", w(api.update_outgoing_hook), methods=["PUT"]),
        Route(f"{v4}/drafts", w(api.draft), methods=["POST"]),
        Route(f"{v4}/files", w(api.upload_files), methods=["POST"]),
        Route(f"{v4}/files/{{file_id}}", w(api.get_file), methods=["GET"]),
        Route(f"{v4}/files/{{file_id}}/info", w(api.get_file_info), methods=["GET"]),
        Route(f"{v4}/uploads", w(api.create_upload), methods=["POST"]),
        Route(f"{v4}/uploads/{{upload_id}}", w(api.upload_data), methods=["POST"]),
        Route(f"{v4}/uploads/{{upload_id}}", w(api.get_upload), methods=["GET"]),
        Route("/hooks/commands/{hook_id}", w(api.command_hook), methods=["POST"]),
        Route(f"{v4}/emoji", w(api.create_emoji), methods=["POST"]),
        Route("/hooks/{hook_id}", w(api.incoming_hook), methods=["POST"]),
        Route("/plugins/playbooks/api/v0/runs", w(api.create_run), methods=["POST"]),
        Route("/plugins/playbooks/api/v0/runs/{run_id}/status", w(api.run_status), methods=["POST"]),
        WebSocketRoute(f"{v4}/websocket", api.websocket),
        Route("/{rest:path}", w(api.not_found), methods=ALL_METHODS),
    ]
    app = Starlette(routes=routes)
    return RecordingMiddleware(app, sim)


#: a URL's scheme as Go's url.Parse cuts it (getScheme: a letter, then letters, digits, + - .)
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_ID26 = re.compile(r"[a-z0-9]{26}")
_SSO_SERVICES = frozenset({"gitlab", "google", "office365", "openid", "saml"})
_SWITCHES = frozenset({("email", "ldap"), ("ldap", "email")})


def _go_redirect(location: str, status: int) -> Response:
    """net/http Redirect for a GET: the Location and a short HTML body."""
    body = f'<a href="{html.escape(location)}">Found</a>.\n\n'
    return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers={"Location": location})


def decode_body(record: dict[str, Any]) -> bytes:
    """The raw body bytes of a recorded request."""
    return base64.b64decode(record["body_b64"])


def decoded_path(raw_path: str) -> str:
    return unquote(raw_path)


def _paging(request: Request) -> tuple[int, int]:
    """api4 Params: ``page`` (default 0) and ``per_page`` (default 60, at most 200)."""
    def num(name: str, default: int) -> int:
        try:
            return max(0, int(request.query_params.get(name, default)))
        except ValueError:
            return default
    return num("page", 0), min(num("per_page", 60) or 60, 200)
