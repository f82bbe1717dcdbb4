"""Interactive messages and dialogs, the way Mattermost runs them.

Sources (mattermost/mattermost):

- ``server/channels/api4/integration_action.go``: ``doPostAction`` (POST
  /api/v4/posts/{post_id}/actions/{action_id}, body ``DoPostActionRequest``; an
  encrypted ``cookie`` for an ephemeral post, checked for read permission on the
  cookie's channel, else read permission through the post), ``openDialog`` (POST
  /api/v4/actions/dialogs/open, no session: the signed trigger id is the credential)
  and ``submitDialog`` (POST /api/v4/actions/dialogs/submit, ``user_id`` overwritten
  with the session's user, read permission on ``channel_id``).
- ``server/channels/app/integration_action.go``: ``DoPostActionWithCookie`` (the
  post from the store, or for an ephemeral post the cookie; a
  ``PostActionIntegrationRequest`` POSTed to ``integration.url``; a non-200 answer is
  ``api.post.do_action.action_integration.app_error`` 400; ``update`` and
  ``ephemeral_text`` of the answer applied), ``OpenInteractiveDialog`` (trigger id
  verified, ``open_dialog`` websocket event to that user), ``SubmitInteractiveDialog``
  (``url`` removed, ``type`` = ``dialog_submission``, POSTed to the dialog's url; the
  answer decoded leniently and returned to the client).
- ``server/public/model/integration_action.go``: the shapes (``PostAction``,
  ``PostActionCookie``, ``PostActionIntegrationRequest``/``Response``,
  ``OpenDialogRequest``, ``SubmitDialogRequest``/``Response``), ``GenerateTriggerId``
  / ``DecodeAndVerifyTriggerId`` (``base64(client_id:user_id:millis:base64(ECDSA-SHA256
  signature))``, expired after ``OutgoingIntegrationRequestsTimeout``), and
  ``AddPostActionCookies`` / ``encryptPostActionCookie`` (AES-GCM, nonce prefixed,
  base64) which ``SendEphemeralPost`` (app/post.go) applies after
  ``GenerateActionIds``.  Integrations are "stripped from Posts when they are sent
  to the client, or are encrypted in a Cookie".

Outgoing requests go through Mattermost's untrusted HTTP client (``HTTPService().
MakeClient(false)``): a loopback, private or link-local address is refused unless it
is listed in ``ServiceSettings.AllowedUntrustedInternalConnections``
(``allowed_untrusted_internal_connections`` in /__sim/config here).

Websocket events the server would publish to a user (``ephemeral_message``,
``open_dialog``) go to the user's open websockets and are kept in ``events``
(GET /__sim/events?user_id=...).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import ipaddress
import json
import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dlp_proxy.simulator.state import SimError, bad_param, forbidden

if TYPE_CHECKING:
    from dlp_proxy.simulator.state import Simulator

JSON = dict[str, Any]

#: ServiceSettings.OutgoingIntegrationRequestsTimeout default (seconds)
OUTGOING_TIMEOUT = 30.0
#: model.PostActionRetainPropKeys
RETAIN_PROP_KEYS = ("from_webhook", "override_username", "override_icon_url")
ACTION_ERROR = "api.post.do_action.action_integration.app_error"


def _action_error(detail: str = "", status: int = 400) -> SimError:
    return SimError(status, ACTION_ERROR, "Action integration error.", detail)


class Interactions:
    """Cookie secret, trigger-id signing key and published events of one simulator."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.cookie_secret = os.urandom(32)  # App.PostActionCookieSecret
        self.signing_key = ec.generate_private_key(ec.SECP256R1())  # App.AsymmetricSigningKey
        self.events: list[JSON] = []
        self.allowed_internal: list[str] = []  # AllowedUntrustedInternalConnections
        self._listeners: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue[JSON]]]] = {}
        self.lock = threading.RLock()

    # ------------------------------------------------------------ events
    def publish(self, event: str, data: JSON, user_id: str, channel_id: str = "") -> None:
        """App.Publish to one user: kept for /__sim/events and sent on the user's websockets."""
        message = {"event": event, "data": data,
                   "broadcast": {"omit_users": None, "user_id": user_id, "channel_id": channel_id, "team_id": ""}}
        with self.lock:
            self.events.append(message)
            listeners = list(self._listeners.get(user_id, []))
        for loop, queue in listeners:
            loop.call_soon_threadsafe(queue.put_nowait, copy.deepcopy(message))

    def subscribe(self, user_id: str, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[JSON]) -> None:
        with self.lock:
            self._listeners.setdefault(user_id, []).append((loop, queue))

    def unsubscribe(self, user_id: str, queue: asyncio.Queue[JSON]) -> None:
        with self.lock:
            self._listeners[user_id] = [(lp, q) for lp, q in self._listeners.get(user_id, []) if q is not queue]

    def events_for(self, user_id: str | None) -> list[JSON]:
        with self.lock:
            return [copy.deepcopy(e) for e in self.events if not user_id or e["broadcast"]["user_id"] == user_id]

    # ----------------------------------------------------- ephemeral posts
    @staticmethod
    def generate_action_ids(sim: Simulator, post: JSON) -> None:
        """model.Post.GenerateActionIds: every action without an id gets one."""
        for attachment in _attachments(post):
            for action in attachment.get("actions") or []:
                if isinstance(action, dict) and not action.get("id"):
                    action["id"] = sim.new_id("action")

    def for_client(self, post: JSON) -> JSON:
        """model.AddPostActionCookies, then the integration removed from what the client sees."""
        out = copy.deepcopy(post)
        retain = {k: out["props"][k] for k in RETAIN_PROP_KEYS if k in (out.get("props") or {})}
        remove = [k for k in RETAIN_PROP_KEYS if k not in (out.get("props") or {})]
        for attachment in _attachments(out):
            for action in attachment.get("actions") or []:
                if not isinstance(action, dict):
                    continue
                cookie = {
                    "type": action.get("type", ""),
                    "post_id": out["id"],
                    "root_post_id": out.get("root_id") or out["id"],
                    "channel_id": out["channel_id"],
                    "data_source": action.get("data_source", ""),
                    "integration": action.get("integration"),
                    "retain_props": retain,
                    "remove_props": remove,
                }
                action["cookie"] = self._encrypt(json.dumps({k: v for k, v in cookie.items() if v not in ("", None)}))
                action.pop("integration", None)
        return out

    def _encrypt(self, plain: str) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + AESGCM(self.cookie_secret).encrypt(nonce, plain.encode(), None)).decode()

    def _decrypt(self, encoded: str) -> str:
        raw = base64.b64decode(encoded, validate=True)
        if len(raw) < 12:
            raise ValueError("cookie too short")
        return AESGCM(self.cookie_secret).decrypt(raw[:12], raw[12:], None).decode()

    # ---------------------------------------------------------- trigger ids
    def generate_trigger_id(self, user_id: str) -> tuple[str, str]:
        client_id = self.sim.new_id("trigger")
        data = f"{client_id}:{user_id}:{int(time.time() * 1000)}:"
        sig = self.signing_key.sign(data.encode(), ec.ECDSA(hashes.SHA256()))  # ASN.1 DER, as Go's ecdsa.Sign
        return client_id, base64.b64encode((data + base64.b64encode(sig).decode()).encode()).decode()

    def verify_trigger_id(self, trigger_id: str, timeout: float = OUTGOING_TIMEOUT) -> tuple[str, str]:
        try:
            decoded = base64.b64decode(trigger_id, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise SimError(400, "interactive_message.decode_trigger_id.base64_decode_failed",
                           "Unable to decode base64 for trigger ID for interactive dialog.") from None
        parts = decoded.split(":")
        if len(parts) != 4:
            raise SimError(400, "interactive_message.decode_trigger_id.missing_data",
                           "Trigger ID missing required data for interactive dialog.")
        client_id, user_id, millis, sig_b64 = parts
        try:
            ts = int(millis)
        except ValueError:
            ts = 0
        if time.time() * 1000 - ts > timeout * 1000:
            raise SimError(400, "interactive_message.decode_trigger_id.expired",
                           f"Trigger ID for interactive dialog is expired. Maximum time allowed is {int(timeout)}s.")
        try:
            sig = base64.b64decode(sig_b64, validate=True)
            self.signing_key.public_key().verify(sig, f"{client_id}:{user_id}:{millis}:".encode(),
                                                 ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature):
            raise SimError(400, "interactive_message.decode_trigger_id.verify_signature_failed",
                           "Signature verification failed for trigger ID for interactive dialog.") from None
        return client_id, user_id

    # ------------------------------------------------------ outgoing calls
    async def do_action_request(self, url: str, body: bytes) -> httpx.Response:
        """App.DoActionRequest through the untrusted client: 200 or an AppError."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _action_error("invalid url")
        await self._check_internal(parts.hostname)
        try:
            async with httpx.AsyncClient(timeout=OUTGOING_TIMEOUT, follow_redirects=False) as client:
                resp = await client.post(url, content=body, headers={"Content-Type": "application/json",
                                                                     "Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise _action_error(f"err={type(exc).__name__}") from None
        if resp.status_code != 200:
            raise _action_error(f"status={resp.status_code}")
        return resp

    async def _check_internal(self, host: str) -> None:
        """services/httpservice: a reserved address is refused unless allowed by host or CIDR."""
        with self.lock:
            allowed = list(self.allowed_internal)
        if host in allowed:
            return
        try:
            infos = await _resolve(host)
        except OSError:
            raise _action_error("err=lookup failed") from None
        for ip in infos:
            addr = ipaddress.ip_address(ip)
            if not (addr.is_loopback or addr.is_private or addr.is_link_local or addr.is_unspecified):
                continue
            if any(_in_cidr(addr, entry) for entry in allowed):
                continue
            raise _action_error("err=address forbidden, you may need to set AllowedUntrustedInternalConnections "
                                "to allow an integration access to your internal network")

    # ------------------------------------------------------------- routes
    async def do_post_action(self, post_id: str, action_id: str, actor: str, body: Any) -> JSON:
        """api4 doPostAction + app DoPostActionWithCookie."""
        sim = self.sim
        request = body if isinstance(body, dict) else {}  # a decode error is only logged there
        cookie: JSON | None = None
        raw_cookie = request.get("cookie")
        with sim.lock:
            if isinstance(raw_cookie, str) and raw_cookie:
                try:
                    cookie = json.loads(self._decrypt(raw_cookie))
                except (ValueError, UnicodeDecodeError, InvalidTag):
                    raise _action_error() from None
                if not isinstance(cookie, dict):
                    raise _action_error()
                sim._channel(str(cookie.get("channel_id", "")), actor)  # PermissionReadChannel
            else:
                post = sim.posts.get(post_id)
                if post is None or post["delete_at"]:
                    raise forbidden()  # SessionHasPermissionToChannelByPost is false for a missing post
                sim._channel(post["channel_id"], actor)
            user = sim.users.get(actor)
            if user is None:
                raise SimError(404, "app.user.missing_account.const", "Unable to find the user.")
            post = sim.posts.get(post_id)
            retain: JSON = {}
            remove: list[str] = []
            original_props: JSON | None = None
            if post is None or post["delete_at"]:
                if cookie is None:
                    raise SimError(404, "app.post.get.app_error", "Unable to get the post.")
                integration = cookie.get("integration")
                if not isinstance(integration, dict):
                    raise _action_error("no Integration in action cookie")
                if post_id != cookie.get("post_id"):
                    raise _action_error("postId doesn't match")
                channel = sim.channels.get(str(cookie.get("channel_id", "")))
                if channel is None:
                    raise SimError(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
                channel_id, action_type = channel["id"], str(cookie.get("type", ""))
                retain = dict(cookie.get("retain_props") or {})
                remove = list(cookie.get("remove_props") or [])
                root_id = str(cookie.get("root_post_id", ""))
            else:
                action = _get_action(post, action_id)
                if action is None or not isinstance(action.get("integration"), dict):
                    raise SimError(404, "api.post.do_action.action_id.app_error", "Unable to find the action.")
                integration = action["integration"]
                channel = sim.channels[post["channel_id"]]
                channel_id, action_type = post["channel_id"], str(action.get("type", ""))
                for key in RETAIN_PROP_KEYS:
                    if key in post["props"]:
                        retain[key] = post["props"][key]
                    else:
                        remove.append(key)
                original_props = copy.deepcopy(post["props"])
                root_id = post["root_id"] or post["id"]
            team = sim.teams.get(channel.get("team_id", ""))
            client_trigger, trigger_id = self.generate_trigger_id(actor)
            upstream = {
                "user_id": actor,
                "user_name": user["username"],
                "channel_id": channel_id,
                "channel_name": channel["name"],
                "team_id": channel.get("team_id", ""),
                "team_domain": team["name"] if team else "",
                "post_id": post_id,
                "trigger_id": trigger_id,
                "type": action_type,
                "data_source": "",
                "context": copy.deepcopy(integration.get("context")) if integration.get("context") else None,
            }
            if upstream["context"] is None:
                del upstream["context"]  # `json:"context,omitempty"`
            url = str(integration.get("url", ""))
        resp = await self.do_action_request(url, json.dumps(upstream).encode())
        answer: JSON = {}
        if resp.content:
            try:
                answer = json.loads(resp.content)
            except ValueError:
                raise _action_error() from None
            if not isinstance(answer, dict):
                raise _action_error()
        update = answer.get("update")
        if isinstance(update, dict):
            with sim.lock:
                stored = sim.posts.get(post_id)
                if stored is not None:
                    props = update.get("props")
                    if props is None:
                        props = original_props or {}
                    else:
                        props = {**{k: v for k, v in props.items() if k not in remove}, **retain}
                    stored["message"] = str(update.get("message", stored["message"]))
                    stored["props"] = props
                    stored["update_at"] = stored["edit_at"] = int(time.time() * 1000)
        text = answer.get("ephemeral_text")
        if isinstance(text, str) and text:
            post_json = sim.create_ephemeral_internal(actor, {"channel_id": channel_id, "root_id": root_id,
                                                              "message": text, "props": retain}, sender=actor)
            del post_json
        return {"status": "OK", "trigger_id": client_trigger}

    def open_dialog(self, body: Any) -> None:
        """api4 openDialog + app OpenInteractiveDialog."""
        if not isinstance(body, dict) or not isinstance(body.get("dialog", {}), dict):
            raise bad_param("dialog")
        if not body.get("url"):
            raise bad_param("url")
        client_trigger, user_id = self.verify_trigger_id(str(body.get("trigger_id", "")))
        request = copy.deepcopy(body)
        request["trigger_id"] = client_trigger
        self.publish("open_dialog", {"dialog": json.dumps(request)}, user_id)

    async def submit_dialog(self, body: Any, actor: str) -> JSON:
        """api4 submitDialog + app SubmitInteractiveDialog."""
        if not isinstance(body, dict):
            raise bad_param("dialog")
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise bad_param("url")
        submission = body.get("submission")
        if submission is not None and not isinstance(submission, dict):
            raise bad_param("dialog")
        with self.sim.lock:
            self.sim._channel(str(body.get("channel_id", "")), actor)  # PermissionReadChannel
            # SessionHasPermissionToTeam (app/authorization.go): false for an empty team id,
            # so the web app sends its current team, also from a direct message
            team_id = str(body.get("team_id", ""))
            if not team_id or not (actor in self.sim.team_members.get(team_id, set()) or self.sim.is_admin(actor)):
                raise forbidden()  # PermissionViewTeam
        request = {
            "type": "dialog_submission",
            "callback_id": str(body.get("callback_id", "")),
            "state": str(body.get("state", "")),
            "user_id": actor,
            "channel_id": str(body.get("channel_id", "")),
            "team_id": team_id,
            "submission": submission,
            "cancelled": bool(body.get("cancelled", False)),
        }
        resp = await self.do_action_request(url, json.dumps(request).encode())
        try:
            answer = json.loads(resp.content) if resp.content else {}
        except ValueError:
            answer = {}  # "Don't fail, an empty response is acceptable"
        out: JSON = {}
        if isinstance(answer, dict):
            for key in ("error", "errors", "type", "form"):
                if answer.get(key):
                    out[key] = answer[key]
        return out


def _attachments(post: JSON) -> list[JSON]:
    props = post.get("props")
    if not isinstance(props, dict):
        return []
    atts = props.get("attachments")
    return [a for a in atts if isinstance(a, dict)] if isinstance(atts, list) else []


def _get_action(post: JSON, action_id: str) -> JSON | None:
    for attachment in _attachments(post):
        for action in attachment.get("actions") or []:
            if isinstance(action, dict) and action.get("id") == action_id:
                return action
    return None


def _in_cidr(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, entry: str) -> bool:
    try:
        return addr in ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False


async def _resolve(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(i[4][0]) for i in infos]
