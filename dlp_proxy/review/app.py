"""The reviewer console: server-rendered pages (Jinja2, plain CSS, no JavaScript)
and a JSON API for SOAR tools, on its own port (never the proxy port).

Pages use a session cookie (HttpOnly, SameSite=Strict, Secure unless turned off
for http://127.0.0.1 tests) and a per-session CSRF token in every form.  The API
uses ``Authorization: Bearer <token>`` only, never the cookie, so a browser can
not be tricked into calling it.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dlp_proxy.forwarding import client_address
from dlp_proxy.interfaces import Detector
from dlp_proxy.model import ENTITY_TYPES
from dlp_proxy.quarantine import (
    Actor,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    QuarantineService,
    State,
    is_mattermost_id,
)
from dlp_proxy.quarantine.service import MAX_PAGE_SIZE, SEVERITIES, SORTS, VERDICTS
from dlp_proxy.review.auth import (
    Authenticator,
    HolderRefused,
    HolderUnavailable,
    ReviewSettings,
    SignInError,
    normalize_login,
)
from dlp_proxy.review.context import ContextSettings, ConversationContext, context_openapi, context_routes
from dlp_proxy.review.dashboard import Dashboard, dashboard_openapi, dashboard_routes
from dlp_proxy.review.oidc import routes as oidc_routes
from dlp_proxy.review.openapi import openapi_document

log = logging.getLogger("dlp_proxy.review")

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "dlp_review_session"
LOGIN_COOKIE = "dlp_review_login"

MESSAGES = {
    "released": "Approved and released to Mattermost.",
    "awaiting_second": "First approval recorded; a second approver must release it.",
    "release_failed": "Approved, but the release failed; it will be retried (see the error below).",
    "release_unknown": "Approved; the release outcome is unknown — check Mattermost.",
    "release_refused": ("Approved, but not delivered: judged again at the release (the channel changed since the "
                        "hold), the policy now stops it — see the reason below. Reject it, or retry once the "
                        "channel is back to what you approved."),
    "rejected": "Rejected. The sender was told.",
    "commented": "Comment added.",
    "retried": "Release retried.",
    "retry_queued": ("Retry asked: a running gateway makes it on its next sweep, judged again under the channel "
                     "as it is then (it looks in Mattermost for the earlier delivery first)."),
    "bulk": "Bulk action done; see the results below.",
    "assigned": "Assigned.",
    "signed_out": "Signed out.",
}

AGE_FILTERS = {
    "": (None, None),
    "lt1h": (None, 3600.0),
    "gt1h": (3600.0, None),
    "gt4h": (4 * 3600.0, None),
    "gt24h": (24 * 3600.0, None),
}

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def fmt_age(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def fmt_time(ts: float | None) -> str:
    if not ts:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ts))


class Console:
    def __init__(self, service: QuarantineService, auth: Authenticator, settings: ReviewSettings) -> None:
        self.q = service
        self.auth = auth
        self.s = settings
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
        self.env.filters["age"] = fmt_age
        self.env.filters["time"] = fmt_time
        self.networks = settings.networks
        self.context: ConversationContext | None = None  # review/context.py, set by create_app

    # ------------------------------------------------------------ plumbing
    def render(self, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = self.env.get_template(name).render(
            states=[s.value for s in State], entity_types=ENTITY_TYPES, settings=self.q.settings,
            verdicts=VERDICTS, severities=SEVERITIES, sorts=SORTS, **ctx
        )
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def _cookie(self, resp: Response, name: str, value: str, max_age: int | None) -> None:
        resp.set_cookie(name, value, max_age=max_age, httponly=True, secure=self.s.secure_cookies,
                        samesite="strict", path="/")  # fmt: skip

    async def current(self, request: Request) -> tuple[Actor, str] | None:
        return await self.auth.session(request.cookies.get(SESSION_COOKIE))

    def client_ip(self, request: Request) -> str:
        """The client's address by the same rule as the proxy port
        (dlp_proxy.forwarding): forwarding headers only from a trusted proxy."""
        peer = request.client.host if request.client else "unknown"
        return client_address(peer, request.headers.items(), self.networks, self.s.client_ip_header)

    def page(
        self, fn: Callable[[Request, Actor, str], Awaitable[Response]], *, post: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            sess = await self.current(request)
            if sess is None:
                if post:
                    return self.render("error.html", 403, title="Session expired",
                                       message="Your session expired. Sign in again.", actor=None)  # fmt: skip
                return RedirectResponse("/login", 303, headers=SECURITY_HEADERS)
            actor, csrf = sess
            # whoever works the queue can be assigned items (any sign-in method)
            await self.q.register_reviewer(actor)
            if post:
                form = await request.form()
                sent = str(form.get("csrf", ""))
                if not sent or not hmac.compare_digest(sent, csrf):
                    return self.render("error.html", 403, title="Form expired",
                                       message="This form is stale or was not sent by the console (CSRF check). "
                                       "Reload the page and try again.", actor=actor, csrf=csrf)  # fmt: skip
            return await fn(request, actor, csrf)

        return handler

    # ------------------------------------------------------------ sign-in
    async def login_form(self, request: Request, error: str = "", status: int = 200) -> Response:
        token = secrets.token_urlsafe(32)
        resp = self.render("login.html", status, login_csrf=token, error=error, actor=None,
                           signed_out=request.query_params.get("msg") == "signed_out")  # fmt: skip
        self._cookie(resp, LOGIN_COOKIE, token, 900)
        return resp

    async def login_get(self, request: Request) -> Response:
        if await self.current(request):
            return RedirectResponse("/", 303)
        return await self.login_form(request)

    async def login_post(self, request: Request) -> Response:
        form = await request.form()
        sent, cookie = str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")
        if not sent or not cookie or not hmac.compare_digest(sent, cookie):
            return await self.login_form(request, "The sign-in form expired. Try again.", 403)
        login_id, password = str(form.get("login_id", "")), str(form.get("password", ""))
        ip = self.client_ip(request)
        try:
            actor = await self.auth.attempt(login_id, password, ip, request.cookies)
        except SignInError as exc:
            await self._archive_failed_sign_in(login_id, ip, exc)
            return await self.login_form(request, str(exc), 429 if exc.reason == "rate_limited" else 403)
        now = time.time()
        record: dict[str, Any] = {"type": "review", "action": "sign_in", "actor": actor.to_json(), "ts": now,
                                  "time": fmt_time(now), "client_ip": ip}  # fmt: skip
        if actor.via == "break-glass":
            # Compliance hears of every break-glass use, naming the person behind it.
            record["alert"] = await self.auth.alert_compliance(
                f"Break-glass sign-in to the DLP review console: account {actor.name}, held by Mattermost user "
                f"{actor.user_id}, from {ip} at {fmt_time(now)}. The archive keeps the record (review/sign_in).")
        await self.q.archive.append(record)
        sid = await self.auth.create_session(actor)
        resp = RedirectResponse("/", 303, headers=SECURITY_HEADERS)
        self._cookie(resp, SESSION_COOKIE, sid, int(self.s.session_max))
        resp.delete_cookie(LOGIN_COOKIE, path="/")
        # this browser signed in to this account: its later tries on it are counted on
        # their own, out of reach of whoever guesses at the account (auth.budgets)
        login = normalize_login(login_id)
        resp.set_cookie(self.auth.device_cookie_name(login), self.auth.mint_device(login),
                        max_age=int(self.s.device_ttl), httponly=True, secure=self.s.secure_cookies,
                        samesite="strict", path="/login")  # fmt: skip
        return resp

    async def _archive_failed_sign_in(self, login_id: str, ip: str, exc: SignInError) -> None:
        """A failed sign-in in the tamper-evident archive: the login as a keyed
        hash (a password typed into the login field stays unreadable), the address,
        the reason, and the resolved principal when one was found.  An archive
        failure here is logged; the person still gets their refusal."""
        now = time.time()
        record: dict[str, Any] = {"type": "review", "action": "sign_in_failed", "ts": now, "time": fmt_time(now),
                  "login_hash": self.auth.hashed("login", normalize_login(login_id)), "client_ip": ip,
                  "reason": exc.reason, "via": "break-glass" if exc.break_glass else "console",
                  "user_id": exc.user_id if is_mattermost_id(exc.user_id) else None}  # fmt: skip
        if exc.break_glass and exc.locked:
            # someone is guessing a break-glass password: Compliance hears of it once per lockout
            record["alert"] = await self.auth.alert_compliance(
                f"Break-glass account locked after repeated failed sign-ins to the DLP review console, from {ip} "
                f"at {fmt_time(now)}; it belongs to Mattermost user {exc.user_id}. Locked for that address (or, "
                f"when guesses come from many addresses, for browsers that never signed in to it); a browser "
                f"that signed in to it before still can.")
        try:
            await self.q.archive.append(record)
        except Exception as err:  # the refusal stands either way; the failure is visible in the log
            log.error("failed sign-in could not be archived", extra={"error_type": type(err).__name__})

    async def logout(self, request: Request, actor: Actor, csrf: str) -> Response:
        await self.auth.end_session(request.cookies.get(SESSION_COOKIE))
        resp = RedirectResponse("/login?msg=signed_out", 303, headers=SECURITY_HEADERS)
        resp.delete_cookie(SESSION_COOKIE, path="/")
        return resp

    # ------------------------------------------------------------ queue
    FILTERS = ("state", "channel", "team", "entity", "sender", "age", "q", "sort", "severity", "assignee",
               "overdue", "verdict", "page", "size")  # fmt: skip

    def _filters(self, params: Any) -> dict[str, Any]:
        f = {k: str(params.get(k, "")).strip() for k in self.FILTERS}
        f["state"] = f["state"] or "active"
        if f["age"] not in AGE_FILTERS:
            f["age"] = ""
        f["sort"] = f["sort"] if f["sort"].lstrip("-") in SORTS else "age"
        f["page"] = str(max(1, int(f["page"]))) if f["page"].isdigit() else "1"
        f["size"] = str(min(MAX_PAGE_SIZE, max(1, int(f["size"])))) if f["size"].isdigit() else "50"
        return f

    @staticmethod
    def query_filters(f: dict[str, Any], actor: Actor) -> dict[str, Any]:
        """Console/API filter names -> QuarantineService.query keywords."""
        assignee: str | None = f.get("assignee") or None
        if assignee == "me":
            assignee = actor.user_id or "-"  # an actor without a principal has no items of their own
        min_age, max_age = AGE_FILTERS.get(f.get("age") or "", (None, None))
        return {"state": f.get("state") or "active", "channel": f.get("channel") or None,
                "team": f.get("team") or None, "entity": f.get("entity") or None, "sender": f.get("sender") or None,
                "min_age": min_age, "max_age": max_age, "search": f.get("q") or None,
                "severity": f.get("severity") or None, "assignee": assignee,
                "overdue": {"yes": True, "no": False}.get(f.get("overdue") or ""),
                "verdict": f.get("verdict") or None}  # fmt: skip

    def _qs(self, f: dict[str, Any], **override: Any) -> str:
        merged = {**f, **override}
        return "/?" + urlencode({k: v for k, v in merged.items() if v not in ("", None)})

    async def queue(self, request: Request, actor: Actor, csrf: str, *, results: Any = None,
                    error: str = "", status: int = 200) -> Response:  # fmt: skip
        f = self._filters(request.query_params)
        try:
            page = await self.q.query(page=int(f["page"]), size=int(f["size"]), sort=f["sort"],
                                      **self.query_filters(f, actor))  # fmt: skip
        except InvalidRequest as exc:
            page = {"items": [], "total": 0, "page": 1, "size": int(f["size"]), "pages": 1, "sort": f["sort"]}
            error, status = str(exc), 422
        counts = {"breach": 0, "warn": 0, "open": 0, "failed": 0, "mine": 0, "overdue": 0}
        for it in await self.q.list_items(state="active"):
            counts["open"] += it["state"] in ("held", "awaiting_second")
            counts["failed"] += it["state"] in ("release_failed", "release_unknown", "release_refused")
            counts[it["sla"]] = counts.get(it["sla"], 0) + 1
            counts["mine"] += bool(actor.user_id) and it["assignee"] == actor.user_id
            counts["overdue"] += it["overdue"]
        msg = MESSAGES.get(request.query_params.get("msg", ""), "")
        items = page["items"]
        labels = await self.context.labels(items) if self.context else {}  # readable channel names
        return self.render("queue.html", status, actor=actor, csrf=csrf, items=items, page=page, f=f,
                           counts=counts, message=msg, results=results, error=error, qs=lambda **o: self._qs(f, **o),
                           reviewers=await self.q.reviewers(), labels=labels)  # fmt: skip

    async def queue_get(self, request: Request, actor: Actor, csrf: str) -> Response:
        if not actor.can("view"):
            return self.render("error.html", 403, title="Not allowed", message="No console role.", actor=actor)
        return await self.queue(request, actor, csrf)

    async def bulk(self, request: Request, actor: Actor, csrf: str) -> Response:
        form = await request.form()
        ids = [str(v) for v in form.getlist("ids")]
        action, reason = str(form.get("action", "")), str(form.get("reason", ""))
        if not ids:
            return await self.queue(request, actor, csrf, error="Select at least one item.", status=422)
        try:
            results = await self.q.bulk(ids, action, actor, reason, verdict=str(form.get("verdict", "")) or None,
                                        assignee=str(form.get("assignee", "")) or None)  # fmt: skip
        except InvalidRequest as exc:
            return await self.queue(request, actor, csrf, error=str(exc), status=422)
        return await self.queue(request, actor, csrf, results=results)

    async def claim(self, request: Request, actor: Actor, csrf: str) -> Response:
        try:
            got = await self.q.claim_next(actor)
        except Forbidden as exc:
            return await self.queue(request, actor, csrf, error=str(exc), status=403)
        if not got:
            return await self.queue(request, actor, csrf, error="Nothing left to claim.", status=200)
        return RedirectResponse(f"/items/{got[0]}", 303, headers=SECURITY_HEADERS)

    # ------------------------------------------------------------ item
    async def item_page(self, request: Request, actor: Actor, csrf: str, *, reveal: str | None = None,
                        error: str = "", status: int = 200) -> Response:  # fmt: skip
        item_id = request.path_params["item_id"]
        try:
            item = await self.q.show(item_id, actor, reveal_reason=reveal)
        except NotFound:
            return self.render("error.html", 404, title="Not found", message=f"No item {item_id}.",
                               actor=actor, csrf=csrf)  # fmt: skip
        except (Forbidden, InvalidRequest, Conflict) as exc:
            if reveal is None:
                raise
            item = await self.q.show(item_id, actor)
            error, status = str(exc), 403 if isinstance(exc, Forbidden) else 422
        msg = MESSAGES.get(request.query_params.get("msg", ""), "")
        conversation = await self.context.for_item(item, actor) if self.context else None
        return self.render("item.html", status, actor=actor, csrf=csrf, item=item, message=msg, error=error,
                           conversation=conversation, reviewers=await self.q.reviewers())  # fmt: skip

    async def item_get(self, request: Request, actor: Actor, csrf: str) -> Response:
        try:
            return await self.item_page(request, actor, csrf)
        except Forbidden as exc:
            return self.render("error.html", 403, title="Not allowed", message=str(exc), actor=actor, csrf=csrf)

    async def item_reveal(self, request: Request, actor: Actor, csrf: str) -> Response:
        form = await request.form()
        return await self.item_page(request, actor, csrf, reveal=str(form.get("reason", "")))

    async def item_action(self, request: Request, actor: Actor, csrf: str) -> Response:
        item_id, action = request.path_params["item_id"], request.path_params["action"]
        form = await request.form()
        reason = str(form.get("reason", ""))
        verdict = str(form.get("verdict", "")) or None
        try:
            if action == "approve":
                out = await self.q.approve(item_id, actor, reason, verdict=verdict)
                msg = out["state"]
            elif action == "reject":
                await self.q.reject(item_id, actor, reason, verdict=verdict)
                msg = "rejected"
            elif action == "assign":
                await self.q.assign(item_id, actor, str(form.get("assignee", "")), note=reason)
                msg = "assigned"
            elif action == "comment":
                await self.q.comment(item_id, actor, reason)
                msg = "commented"
            elif action == "retry":
                await self.q.retry_release(item_id, actor, reason, force=form.get("force") == "1")
                # this console does not deliver: a gateway makes the retry (and judges it again)
                msg = "retried" if self.q.delivers else "retry_queued"
            else:
                return self.render("error.html", 404, title="Not found", message="Unknown action.", actor=actor)
        except NotFound:
            return self.render("error.html", 404, title="Not found", message=f"No item {item_id}.", actor=actor)
        except (Forbidden, InvalidRequest, Conflict) as exc:
            code = 403 if isinstance(exc, Forbidden) else 409 if isinstance(exc, Conflict) else 422
            return await self.item_page(request, actor, csrf, error=str(exc), status=code)
        return RedirectResponse(f"/items/{item_id}?msg={msg}", 303, headers=SECURITY_HEADERS)

    # ------------------------------------------------------------ API
    def api(self, fn: Callable[[Request, Actor], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            try:
                actor = await self.auth.api_actor(request.headers.get("authorization", ""))
            except HolderRefused as exc:
                return JSONResponse({"error": "forbidden", "message": str(exc)}, 403)
            except HolderUnavailable as exc:
                return JSONResponse({"error": "unavailable", "message": f"cannot check the token's holder in "
                                     f"Mattermost now: {exc}"}, 503, headers={"Retry-After": "30"})  # fmt: skip
            if actor is None:
                return JSONResponse({"error": "unauthorized", "message": "a valid Bearer token is required"}, 401,
                                    headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
            try:
                await self.q.register_reviewer(actor)
                out = await fn(request, actor)
            except NotFound as exc:
                return JSONResponse({"error": "not_found", "message": str(exc)}, 404)
            except Forbidden as exc:
                return JSONResponse({"error": "forbidden", "message": str(exc)}, 403)
            except Conflict as exc:
                return JSONResponse({"error": "conflict", "message": str(exc), "state": exc.state}, 409)
            except InvalidRequest as exc:
                return JSONResponse({"error": "invalid", "message": str(exc)}, 422)
            except ValueError as exc:
                return JSONResponse({"error": "invalid", "message": f"bad JSON body: {exc}"}, 422)
            if isinstance(out, Response):
                return out
            return JSONResponse(out, headers={"Cache-Control": "no-store"})

        return handler

    @staticmethod
    async def _body(request: Request) -> dict[str, Any]:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    async def api_list(self, request: Request, actor: Actor) -> Any:
        if not actor.can("view"):
            raise Forbidden(f"{actor.name} may not view")
        p = request.query_params

        def num(name: str) -> float | None:
            return float(p[name]) if p.get(name) else None

        def integer(name: str, default: int) -> int:
            try:
                return int(p.get(name, default))
            except ValueError as exc:
                raise InvalidRequest(f"{name} must be a whole number") from exc

        f = {k: p.get(k, "") for k in ("state", "channel", "team", "entity", "sender", "q", "severity", "assignee",
                                       "overdue", "verdict")}  # fmt: skip
        f["q"] = p.get("search", f["q"])
        filters = self.query_filters(f, actor) | {"min_age": num("min_age"), "max_age": num("max_age")}
        sort = p.get("sort", "age")
        if "page" in p or "size" in p:
            out = await self.q.query(page=integer("page", 1), size=integer("size", 50), sort=sort, **filters)
            return JSONResponse(out, headers={"Cache-Control": "no-store", "X-Total-Count": str(out["total"])})
        # no page asked for: every match as a plain list (limit/offset still honoured), the total in a header
        items = await self.q.list_items(sort=sort, **filters)
        offset, limit = integer("offset", 0), p.get("limit")
        chosen = items[offset:] if limit is None else items[offset : offset + integer("limit", 0)]
        return JSONResponse(chosen, headers={"Cache-Control": "no-store", "X-Total-Count": str(len(items))})

    async def api_reviewers(self, request: Request, actor: Actor) -> Any:
        if not actor.can("view"):
            raise Forbidden(f"{actor.name} may not view")
        return await self.q.reviewers()

    async def api_show(self, request: Request, actor: Actor) -> Any:
        item = await self.q.show(request.path_params["item_id"], actor)
        if self.context is not None:  # decided reasons back from the archive, masked (review/context.py)
            await self.context.restore_notes(item)
        return item

    async def api_action(self, request: Request, actor: Actor) -> Any:
        item_id, action = request.path_params["item_id"], request.path_params["action"]
        body = await self._body(request)
        reason = str(body.get("reason", body.get("text", "")))
        if action == "reveal":
            return await self.q.reveal(item_id, actor, reason)
        verdict = body.get("verdict")
        if verdict is not None and not isinstance(verdict, str):
            raise InvalidRequest("verdict must be a string")
        if action == "approve":
            return await self.q.approve(item_id, actor, reason, verdict=verdict)
        if action == "reject":
            return await self.q.reject(item_id, actor, reason, verdict=verdict)
        if action == "assign":
            return await self.q.assign(item_id, actor, str(body.get("assignee", "")), note=reason)
        if action == "comment":
            return {"record_id": await self.q.comment(item_id, actor, reason)}
        if action == "retry":
            return await self.q.retry_release(item_id, actor, reason, force=bool(body.get("force")))
        raise NotFound(f"unknown action {action!r}")

    async def api_bulk(self, request: Request, actor: Actor) -> Any:
        body = await self._body(request)
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InvalidRequest("ids must be a list of item ids")
        verdict, assignee = body.get("verdict"), body.get("assignee")
        return await self.q.bulk(ids, str(body.get("action", "")), actor, str(body.get("reason", "")),
                                 verdict=str(verdict) if verdict else None,
                                 assignee=str(assignee) if assignee else None)  # fmt: skip

    async def openapi(self, request: Request) -> Response:
        doc = openapi_document()
        doc["paths"].update({**context_openapi(), **dashboard_openapi()})  # review/context.py, dashboard.py
        return JSONResponse(doc)

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


def create_app(
    service: QuarantineService,
    *,
    upstream_url: str,
    settings: ReviewSettings | None = None,
    authenticator: Authenticator | None = None,
    context: ContextSettings | None = None,
    detector: Detector | Callable[[], Detector] | None = None,
) -> Starlette:
    """The console and its API as one Starlette app (serve it on its own port)."""
    settings = settings or ReviewSettings()
    auth = authenticator or Authenticator(service.r, upstream_url, settings)
    c = Console(service, auth, settings)
    # context for the decision and the Compliance dashboard (review/context.py, review/dashboard.py)
    c.context = ConversationContext(service, upstream_url, context or ContextSettings(token=settings.lookup_token),
                                    detector=detector)  # fmt: skip
    routes = [*context_routes(c), *dashboard_routes(c, Dashboard(c)),
        Route("/login", c.login_get, methods=["GET"]),
        Route("/login", c.login_post, methods=["POST"]),
        Route("/logout", c.page(c.logout, post=True), methods=["POST"]),
        Route("/", c.page(c.queue_get), methods=["GET"]),
        Route("/bulk", c.page(c.bulk, post=True), methods=["POST"]),
        Route("/claim", c.page(c.claim, post=True), methods=["POST"]),
        Route("/items/{item_id}", c.page(c.item_get), methods=["GET"]),
        Route("/items/{item_id}/reveal", c.page(c.item_reveal, post=True), methods=["POST"]),
        Route("/items/{item_id}/{action}", c.page(c.item_action, post=True), methods=["POST"]),
        Route("/api/openapi.json", c.openapi, methods=["GET"]),
        Route("/api/v1/items", c.api(c.api_list), methods=["GET"]),
        Route("/api/v1/items/{item_id}", c.api(c.api_show), methods=["GET"]),
        Route("/api/v1/reviewers", c.api(c.api_reviewers), methods=["GET"]),
        Route("/api/v1/items/{item_id}/{action}", c.api(c.api_action), methods=["POST"]),
        Route("/api/v1/bulk", c.api(c.api_bulk), methods=["POST"]),
        Route("/healthz", c.healthz, methods=["GET"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        *oidc_routes(c, settings.oidc, settings.sso_header),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await auth.aclose()
        if c.context is not None:
            await c.context.aclose()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.console = c
    return app
