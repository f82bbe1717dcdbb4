"""Custom slash commands and outgoing webhooks: registered, and commands run, the
way Mattermost does it.

Sources (mattermost/mattermost):

- ``server/channels/api4/command.go`` ``createCommand`` (POST /api/v4/commands:
  ``json.NewDecoder`` into ``model.Command``, ``CreatorId`` set to the session's
  user, 201), ``updateCommand`` (PUT /api/v4/commands/{command_id}: the body's ``id``
  must be the path's, else ``invalid_param command_id``), ``executeCommand`` (the
  ``model.CommandResponse`` encoded back to the client, ``extra_responses`` and all).
- ``server/public/model/command.go`` ``Command.IsValid``: ``url`` required, at most
  1024 bytes, ``IsValidHTTPURL``; method ``P`` or ``G``; trigger 1..128 bytes, no
  leading ``/``, no space.  ``app/command.go`` ``createCommand`` lower-cases the
  trigger and refuses a duplicate; ``UpdateCommand`` keeps id, token, creator, team.
- ``app/command.go`` ``tryExecuteCustomCommand`` + ``DoCommandRequest`` (a form POST,
  or a GET with the form as query, to ``cmd.URL`` through the untrusted HTTP client;
  ``Authorization: Token <token>``; a non-200 answer is
  ``api.command.execute_command.failed_resp.app_error`` 500; the body read with
  ``model.CommandResponseFromHTTPBody``: JSON when the Content-Type is
  application/json, else the whole body is the text), then ``HandleCommandResponse``:
  ``HandleCommandResponsePost`` for the response and for each of its
  ``extra_responses`` (not theirs): the post goes to the command's channel, or to
  the response's ``channel_id`` when the caller is a member of it (else
  ``api.command.command_post.forbidden.app_error`` 403, the other responses still
  posted, and the request answered ``api.command.execute_command.create_post_failed.app_error``
  500); ``from_webhook`` set for a custom command; ``CreateCommandPost``: an
  ``in_channel`` response is created as a post, an ephemeral one (the default) with
  text or attachments is sent to the caller only.
- ``api4/webhook.go`` ``createOutgoingHook`` / ``updateOutgoingHook`` and
  ``model/outgoing_webhook.go`` ``OutgoingWebhook.IsValid`` (``callback_urls``: at
  least one, each ``IsValidHTTPURL``).
- ``app/post.go`` ``handlePostEvents``: a post created with ``TriggerWebhooks`` (api4
  post.go ``createPost``; never a webhook's own post: ``CreateWebhookPost`` passes
  ``CreatePostFlags{}``) runs ``handleWebhookEvents`` in a goroutine after Mattermost
  answered: in an open channel only, the team's hooks whose ``channel_id`` is the
  post's (every post when it has no trigger words) or empty, matching the message's
  first ``strings.Fields`` word exactly (``trigger_when`` 0,
  ``TriggerWordExactMatch``) or as a prefix (1, ``TriggerWordStartsWith``).
  ``TriggerWebhook`` POSTs the ``OutgoingWebhookPayload`` (form, or JSON when the
  hook's ``content_type`` is application/json) to every callback URL (untrusted
  client, ``OutgoingIntegrationRequestsTimeout``) and an answer with ``text`` or
  ``attachments`` is posted by ``CreateWebhookPost`` as the hook's creator
  (``from_webhook``, ``webhook_display_name``, ``<url|text>`` links rewritten, a
  ``response_type: comment`` answer as a reply), its link preview fetched as any post's
  (``fire_outgoing``).

Not modelled: the permission scheme (any team member may register a command or an
outgoing webhook here; Mattermost asks for ``manage_own_slash_commands`` /
``manage_own_outgoing_webhooks``), OAuth connections, mentions in the form.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import httpx

from dlp_proxy.simulator.state import SimError, bad_param, forbidden, now_ms

if TYPE_CHECKING:
    from dlp_proxy.simulator.state import Simulator

JSON = dict[str, Any]
TIMEOUT = 30.0
#: app/webhook.go linkWithTextRegex (CreateWebhookPost: ``<url|text>`` -> ``[text](url)``)
_LINK_WITH_TEXT = re.compile(r"<([^\n<|>]+)\|([^|\n>]+)>")
#: model.OutgoingWebhook TriggerWhen values (app/webhook.go)
TRIGGER_EXACT, TRIGGER_STARTS_WITH = 0, 1


def _valid_http_url(url: Any) -> bool:
    """model.IsValidHTTPURL: an http:// or https:// URL that url.Parse accepts."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        return False
    try:
        urlsplit(url)
    except ValueError:
        return False
    return True


def _failed(trigger: str, status: int = 500, msg_id: str = "api.command.execute_command.failed.app_error") -> SimError:
    return SimError(status, msg_id, f"Command with a trigger of '{trigger}' failed.")


class CustomCommands:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.commands: dict[str, JSON] = {}
        self.outgoing_hooks: dict[str, JSON] = {}
        #: outgoing webhooks being triggered (handleWebhookEvents' goroutines)
        self._firing: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------ registration
    def _team_member(self, team_id: Any, actor: str) -> str:
        if not isinstance(team_id, str) or team_id not in self.sim.teams:
            raise bad_param("team_id")
        if actor not in self.sim.team_members[team_id] and not self.sim.is_admin(actor):
            raise forbidden()
        return team_id

    def _check_command(self, cmd: JSON) -> None:
        url = cmd.get("url")
        if not isinstance(url, str) or not url or len(url) > 1024:
            raise SimError(400, "model.command.is_valid.url.app_error", "Invalid URL.")
        if not _valid_http_url(url):
            raise SimError(400, "model.command.is_valid.url_http.app_error", "Invalid URL.")
        trigger = cmd.get("trigger")
        if not isinstance(trigger, str) or not 1 <= len(trigger) <= 128 or trigger.startswith("/") or " " in trigger:
            raise SimError(400, "model.command.is_valid.trigger.app_error", "Invalid trigger.")
        if cmd.get("method") not in ("P", "G"):
            raise SimError(400, "model.command.is_valid.method.app_error", "Invalid Method.")

    def _unique(self, team_id: str, trigger: str, exclude: str = "") -> None:
        builtin = ("echo", "me", "shrug", "header", "purpose", "rename", "away", "online", "offline", "dnd")
        if trigger in builtin or any(c["id"] != exclude and c["team_id"] == team_id and c["trigger"] == trigger
                                     and not c["delete_at"] for c in self.commands.values()):
            raise SimError(400, "api.command.duplicate_trigger.app_error", "This trigger word is already in use.")

    def create_command(self, body: Any, actor: str) -> JSON:
        with self.sim.lock:
            if not isinstance(body, dict):
                raise bad_param("command")
            team_id = self._team_member(body.get("team_id"), actor)
            t = now_ms()
            cmd: JSON = {
                "id": self.sim.new_id("command"), "token": self.sim.new_id("command-token"), "create_at": t,
                "update_at": t, "delete_at": 0, "creator_id": actor, "team_id": team_id,
                "trigger": str(body.get("trigger", "")).lower() if isinstance(body.get("trigger"), str) else None,
                "method": body.get("method", ""), "username": str(body.get("username", "")),
                "icon_url": str(body.get("icon_url", "")), "auto_complete": bool(body.get("auto_complete", False)),
                "display_name": str(body.get("display_name", "")), "description": str(body.get("description", "")),
                "url": body.get("url"),
            }
            self._check_command(cmd)
            self._unique(team_id, cmd["trigger"])
            self.commands[cmd["id"]] = cmd
            return copy.deepcopy(cmd)

    def update_command(self, command_id: str, body: Any, actor: str) -> JSON:
        with self.sim.lock:
            if not isinstance(body, dict):
                raise bad_param("command")
            if body.get("id") != command_id:
                raise bad_param("command")  # api4 updateCommand: decode error or another id
            old = self.commands.get(command_id)
            if old is None or old["delete_at"]:
                raise SimError(404, "api.command.command_not_found.app_error", "Command not found.")
            if body.get("team_id", "") != old["team_id"]:
                raise SimError(400, "api.command.team_mismatch.app_error", "Unable to update command across teams.")
            self._team_member(old["team_id"], actor)
            new = {**old, "trigger": str(body.get("trigger", "")).lower() if isinstance(body.get("trigger"), str) else None,
                   "method": body.get("method", ""), "url": body.get("url"), "update_at": now_ms(),
                   "username": str(body.get("username", "")), "icon_url": str(body.get("icon_url", "")),
                   "display_name": str(body.get("display_name", "")), "description": str(body.get("description", ""))}
            self._check_command(new)
            self._unique(new["team_id"], new["trigger"], exclude=command_id)
            self.commands[command_id] = new
            return copy.deepcopy(new)

    def _check_hook(self, hook: JSON) -> None:
        urls = hook.get("callback_urls")
        if not isinstance(urls, list) or not urls or len(str(urls)) > 1024:
            raise SimError(400, "model.outgoing_hook.is_valid.callback.app_error", "Invalid callback urls.")
        if not all(_valid_http_url(u) for u in urls):
            raise SimError(400, "model.outgoing_hook.is_valid.url.app_error", "Invalid callback URLs.")
        if not hook.get("channel_id") and not hook.get("trigger_words"):
            raise SimError(400, "api.webhooks.create_outgoing.triggers.app_error",
                           "Either trigger_words or channel_id must be set.")

    def create_outgoing_hook(self, body: Any, actor: str) -> JSON:
        with self.sim.lock:
            if not isinstance(body, dict):
                raise bad_param("outgoing_webhook")
            team_id = self._team_member(body.get("team_id"), actor)
            t = now_ms()
            hook: JSON = {
                "id": self.sim.new_id("outgoing-hook"), "token": self.sim.new_id("outgoing-token"), "create_at": t,
                "update_at": t, "delete_at": 0, "creator_id": actor, "channel_id": str(body.get("channel_id", "")),
                "team_id": team_id, "trigger_words": body.get("trigger_words") or [],
                "trigger_when": body.get("trigger_when", 0), "callback_urls": body.get("callback_urls"),
                "display_name": str(body.get("display_name", "")), "description": str(body.get("description", "")),
                "content_type": str(body.get("content_type", "")), "username": str(body.get("username", "")),
                "icon_url": str(body.get("icon_url", "")),
            }
            self._check_hook(hook)
            self.outgoing_hooks[hook["id"]] = hook
            return copy.deepcopy(hook)

    def update_outgoing_hook(self, hook_id: str, body: Any, actor: str) -> JSON:
        with self.sim.lock:
            if not isinstance(body, dict):
                raise bad_param("outgoing_webhook")
            if body.get("id") != hook_id:
                raise bad_param("hook_id")
            old = self.outgoing_hooks.get(hook_id)
            if old is None or old["delete_at"]:
                raise SimError(404, "app.webhooks.get_outgoing.app_error", "Unable to get the webhook.")
            self._team_member(old["team_id"], actor)
            new = {**old, "callback_urls": body.get("callback_urls"), "trigger_words": body.get("trigger_words") or [],
                   "channel_id": str(body.get("channel_id", "")), "display_name": str(body.get("display_name", "")),
                   "update_at": now_ms(), "creator_id": actor}
            self._check_hook(new)
            self.outgoing_hooks[hook_id] = new
            return copy.deepcopy(new)

    # ---------------------------------------------------------------- listing
    def list_outgoing_hooks(self, actor: str, page: int, per_page: int, team_id: str = "",
                            channel_id: str = "") -> list[JSON]:
        """api4/webhook.go getOutgoingHooks: the channel's hooks with ``channel_id``
        (GetOutgoingWebhooksForChannelPageByUser), else the team's with ``team_id``
        (GetOutgoingWebhooksForTeamPageByUser), else every hook; for a session with
        manage_others_outgoing_webhooks (a system admin here)."""
        with self.sim.lock:
            if not self.sim.is_admin(actor):
                raise forbidden()
            hooks = sorted((h for h in self.outgoing_hooks.values() if not h["delete_at"]
                            and (h["channel_id"] == channel_id if channel_id else
                                 h["team_id"] == team_id if team_id else True)), key=lambda h: h["create_at"])
            return copy.deepcopy(hooks[page * per_page:(page + 1) * per_page])

    def list_commands(self, actor: str, team_id: str, custom_only: bool) -> list[JSON]:
        """api4/command.go listCommands with ``custom_only=true``: the team's commands in
        full (``ListTeamCommandsByUser``), all of them for a system admin, the caller's
        own for a team member (built-in ones are not listed here)."""
        with self.sim.lock:
            self._team_member(team_id, actor)
            if not custom_only:
                raise bad_param("custom_only")
            return [copy.deepcopy(c) for c in self.commands.values() if c["team_id"] == team_id
                    and not c["delete_at"] and (self.sim.is_admin(actor) or c["creator_id"] == actor)]

    # ---------------------------------------------------------------- execution
    def lookup(self, body: Any, actor: str) -> tuple[JSON, str, str] | None:
        """(command, channel id, text) when ``body`` runs a custom command, else None
        (a built-in one, or an error the built-in path reports).  api4/command.go
        executeCommand takes the team from the channel (not for a DM or GM)."""
        if not isinstance(body, dict):
            return None
        command, channel_id = body.get("command"), body.get("channel_id")
        if not isinstance(command, str) or not command.startswith("/") or not isinstance(channel_id, str):
            return None
        with self.sim.lock:
            channel = self.sim._channel(channel_id, actor, write=True)
            team_id = channel.get("team_id") or str(body.get("team_id", ""))
            trigger, _, rest = command[1:].partition(" ")
            found = None
            for cmd in self.commands.values():
                if cmd["team_id"] == team_id and cmd["trigger"] == trigger.lower() and not cmd["delete_at"]:
                    found = copy.deepcopy(cmd)
            return (found, channel_id, rest) if found is not None else None

    async def execute(self, cmd: JSON, body: JSON, actor: str, channel_id: str, message: str) -> JSON:
        """tryExecuteCustomCommand + DoCommandRequest + HandleCommandResponse."""
        sim = self.sim
        trigger = cmd["trigger"]
        with sim.lock:
            channel = sim.channels[channel_id]
            team = sim.teams[cmd["team_id"]]
            form = {"token": cmd["token"], "team_id": cmd["team_id"], "team_domain": team.get("name", ""),
                    "channel_id": channel_id, "channel_name": channel.get("name", ""), "user_id": actor,
                    "user_name": sim.users[actor]["username"], "command": "/" + trigger, "text": message,
                    "trigger_id": "", "root_id": str(body.get("root_id", "") or ""),
                    "response_url": "http://simulator/hooks/commands/" + sim.create_command_webhook(
                        cmd["id"], actor, channel_id, str(body.get("root_id", "") or ""))}
        url = str(cmd["url"])
        parts = urlsplit(url)
        try:
            await sim.interactions._check_internal(parts.hostname or "")
        except SimError:
            raise _failed(trigger) from None
        headers = {"Accept": "application/json", "Authorization": "Token " + cmd["token"]}
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
                if cmd["method"] == "G":
                    sep = "&" if parts.query else ""
                    resp = await client.get(url.split("?")[0] + "?" + parts.query + sep + urlencode(form),
                                            headers=headers)
                else:
                    resp = await client.post(url, content=urlencode(form).encode(), headers={
                        **headers, "Content-Type": "application/x-www-form-urlencoded"})
        except httpx.HTTPError:
            raise _failed(trigger) from None
        if resp.status_code != 200:
            raise _failed(trigger, msg_id="api.command.execute_command.failed_resp.app_error")
        if resp.headers.get("content-type", "").split(";")[0].strip() == "application/json":
            try:
                answer = json.loads(resp.content)
            except ValueError:
                raise _failed(trigger) from None
            if not isinstance(answer, dict):
                raise _failed(trigger)
        else:
            answer = {"text": resp.text}
        response = _command_response(answer)
        last_error: SimError | None = None
        for one in [response, *(response["extra_responses"] or [])]:
            try:
                self._post(cmd, one, actor, channel_id, form["root_id"])
            except SimError as exc:
                last_error = exc
        if last_error is not None:
            raise SimError(500, "api.command.execute_command.create_post_failed.app_error",
                           f"Command '{trigger}' failed to post response. Please contact your System Administrator.")
        return response

    # ------------------------------------------------------- outgoing webhooks
    def fire_outgoing(self, post: JSON) -> asyncio.Task[None] | None:
        """app/post.go handlePostEvents: ``handleWebhookEvents`` in the background, after
        the post was answered (module doc).  The task, or None when no hook is relevant."""
        relevant = self._relevant_hooks(post)
        if not relevant:
            return None
        task = asyncio.get_running_loop().create_task(self._trigger_all(post, relevant))
        self._firing.add(task)
        task.add_done_callback(self._firing.discard)
        return task

    def _relevant_hooks(self, post: JSON) -> list[tuple[JSON, str]]:
        """app/webhook.go handleWebhookEvents: (hook, trigger word) for each hook that fires."""
        sim = self.sim
        with sim.lock:
            channel = sim.channels.get(str(post.get("channel_id", "")))
            if channel is None or channel.get("type") != "O":  # model.ChannelTypeOpen only
                return []
            words = str(post.get("message", "")).split()  # strings.Fields
            first = words[0] if words else ""
            out: list[tuple[JSON, str]] = []
            for hook in self.outgoing_hooks.values():
                if hook["delete_at"] or hook["team_id"] != channel.get("team_id"):
                    continue
                if hook["channel_id"] not in (post["channel_id"], ""):
                    continue
                triggers = [t for t in hook.get("trigger_words") or [] if isinstance(t, str)]
                if hook["channel_id"] == post["channel_id"] and not triggers:
                    out.append((copy.deepcopy(hook), ""))
                elif hook.get("trigger_when", 0) == TRIGGER_EXACT and first and first in triggers:
                    out.append((copy.deepcopy(hook), first))
                elif hook.get("trigger_when", 0) == TRIGGER_STARTS_WITH and first and any(
                        first.startswith(t) for t in triggers):
                    out.append((copy.deepcopy(hook), next(t for t in triggers if first.startswith(t))))
            return out

    async def _trigger_all(self, post: JSON, relevant: list[tuple[JSON, str]]) -> None:
        sim = self.sim
        with sim.lock:
            channel = copy.deepcopy(sim.channels[post["channel_id"]])
            team = sim.teams.get(channel.get("team_id", ""), {})
            user = sim.users.get(str(post.get("user_id", "")), {})
        for hook, trigger_word in relevant:
            payload = {"token": hook["token"], "team_id": hook["team_id"], "team_domain": team.get("name", ""),
                       "channel_id": post["channel_id"], "channel_name": channel.get("name", ""),
                       "timestamp": post.get("create_at", 0), "user_id": post.get("user_id", ""),
                       "user_name": user.get("username", ""), "post_id": post["id"],
                       "text": post.get("message", ""), "trigger_word": trigger_word,
                       "file_ids": ",".join(post.get("file_ids") or [])}
            await asyncio.gather(*(self._trigger(hook, url, payload, post) for url in hook["callback_urls"]))

    async def _trigger(self, hook: JSON, url: str, payload: JSON, post: JSON) -> None:
        """TriggerWebhook for one callback URL: a failure is logged by Mattermost, nothing posted."""
        sim = self.sim
        if hook.get("content_type") == "application/json":
            body, ctype = json.dumps(payload).encode(), "application/json"
        else:  # OutgoingWebhookPayload.ToFormValues
            body, ctype = urlencode({k: str(v) for k, v in payload.items()}).encode(), "application/x-www-form-urlencoded"
        try:
            await sim.interactions._check_internal(urlsplit(url).hostname or "")
            async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
                resp = await client.post(url, content=body, headers={"Content-Type": ctype, "Accept": "application/json"})
            # doOutgoingWebhookRequest: json.NewDecoder(LimitReader(body, 1 MiB)).Decode, whatever the status
            raw = resp.content[:1024 * 1024]
            if not raw.strip():
                return  # io.EOF: nothing to post
            answer = json.JSONDecoder().raw_decode(raw.decode("utf-8", "replace").lstrip())[0]
        except (SimError, httpx.HTTPError, ValueError):
            return
        if not isinstance(answer, dict):
            return
        text, attachments = answer.get("text"), answer.get("attachments")
        if text is None and not (isinstance(attachments, list) and attachments):
            return
        props: JSON = dict(answer["props"]) if isinstance(answer.get("props"), dict) else {}
        props["webhook_display_name"] = hook.get("display_name", "")
        if isinstance(attachments, list) and attachments:
            props["attachments"] = attachments
        for key in ("override_icon_url", "override_username", "from_webhook"):
            props.pop(key, None)
        props["from_webhook"] = "true"
        message = _LINK_WITH_TEXT.sub(r"[\2](\1)", text if isinstance(text, str) else "")
        root = post["id"] if answer.get("response_type") == "comment" else ""
        ptype = str(answer["type"]) if isinstance(answer.get("type"), str) else ""
        if ptype.startswith("system_"):
            return  # CreateWebhookPost refuses a system type
        with contextlib.suppress(SimError):
            await asyncio.to_thread(sim.create_post, {"channel_id": post["channel_id"], "message": message,
                                                      "props": props, "root_id": root, "type": ptype},
                                    hook["creator_id"], from_webhook=True)

    def _post(self, cmd: JSON, response: JSON, actor: str, channel_id: str, root_id: str) -> None:
        """HandleCommandResponsePost + CreateCommandPost."""
        sim = self.sim
        target = channel_id
        with sim.lock:
            if response["channel_id"]:
                if response["channel_id"] not in sim.channel_members or actor not in sim.channel_members[response["channel_id"]]:
                    raise SimError(403, "api.command.command_post.forbidden.app_error",
                                   "Specified user is not a member of specified channel.")
                target = response["channel_id"]
                root_id = root_id if sim.posts.get(root_id, {}).get("channel_id") == target else ""
            props: JSON = dict(response["props"] or {})
            props["from_webhook"] = "true"
            if response["attachments"]:
                props["attachments"] = response["attachments"]
            text = response["text"]
            if response["response_type"] == "in_channel":
                sim.create_post({"channel_id": target, "message": text, "props": props, "root_id": root_id,
                                 "type": response["type"]}, actor, from_webhook=True)
            elif text or response["attachments"]:
                sim.create_ephemeral_internal(actor, {"channel_id": target, "message": text, "props": props,
                                                      "root_id": root_id}, sender=actor)


def _command_response(doc: JSON) -> JSON:
    """model.CommandResponse as Go decodes it and encodes it back (every field)."""
    def one(d: Any) -> JSON:
        d = d if isinstance(d, dict) else {}
        return {"response_type": str(d.get("response_type", "")), "text": str(d.get("text", "")),
                "username": str(d.get("username", "")), "channel_id": str(d.get("channel_id", "")),
                "icon_url": str(d.get("icon_url", "")), "type": str(d.get("type", "")),
                "props": d.get("props") if isinstance(d.get("props"), dict) else None,
                "goto_location": str(d.get("goto_location", "")), "trigger_id": str(d.get("trigger_id", "")),
                "skip_slack_parsing": bool(d.get("skip_slack_parsing", False)),
                "attachments": d.get("attachments") if isinstance(d.get("attachments"), list) else None,
                "extra_responses": None}

    top = one(doc)
    extra = doc.get("extra_responses")
    if isinstance(extra, list):
        top["extra_responses"] = [one(e) for e in extra]
    return top
