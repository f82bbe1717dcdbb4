"""What an integration answers: prevented at creation, checked after the fact.

Content an integration sends back is written by Mattermost itself, never through
the gateway (mattermost/mattermost):

- ``server/channels/app/integration_action.go`` ``DoPostActionWithCookie``: a click
  on an interactive button (POST /api/v4/posts/{post_id}/actions/{action_id}) makes
  Mattermost POST to the action's ``integration.url``; the answer's ``update`` is
  applied with ``UpdatePost`` (the post is rewritten), its ``ephemeral_text`` is
  shown to the clicker.  ``DoActionRequest`` sends a URL whose ``path.Clean`` starts
  with ``/plugins/`` or ``plugins/`` to a plugin in process (``DoLocalRequest``); any
  other URL goes out over HTTP.
- ``app/command.go`` ``ExecuteCommand`` / ``HandleCommandResponse``: a custom slash
  command's answer is posted in the channel; ``app/webhook.go`` ``TriggerWebhook``:
  an outgoing webhook's answer is posted; ``SubmitInteractiveDialog``: a dialog's
  submission goes to its ``url``, whose handler may post.
- Not inspected, by decision: an action answer's ``ephemeral_text`` and an ephemeral
  command response (``SendEphemeralPost``: the clicker's or caller's websockets only,
  never stored), and ``goto_location`` (a URL the caller's own client opens)
  (docs/architecture.md "Integration responses").

So the gateway acts twice:

1. **Prevention** (``refusal``, called from the pipeline on every content route): a
   body whose message attachments carry an action (``...actions[i].integration.url``,
   keys matched as Go's encoding/json matches them: case-insensitively) or whose
   ``props.mm_blocks_actions`` carry a button calling a URL (``action_url_items``) naming an
   integration that is neither a plugin route nor on the allowlist
   (``DLP_INTEGRATION_URLS``, URL prefixes) is refused with a 403 AppError that says
   why and what to do, archived as its own decision (rule ``integration-not-allowed``).
   That covers posts, edits, patches, scheduled posts, ephemeral posts, incoming
   webhooks (JSON or ``payload=``), slash-command response webhooks and bots alike.
   The registrations of outgoing webhooks and slash commands are refused the same way
   when a URL Mattermost will call is not allowlisted (``REGISTRATION_URLS``), and those
   registered behind the gateway are reported at its start (``audit_registrations``).
2. **Detection** (``ResponseWatch``), for what prevention cannot cover (allowlisted
   integrations, slash commands, dialog handlers): after Mattermost answered a post
   action, a dialog submission, a command (in its channel and every channel its answer
   names: ``answer_channels``) or a thread move (the copy in the destination:
   ``moved_posts``) through the gateway, a background worker reads the affected
   post(s) with the gateway's bot token and judges them with the policy.  A post the policy would stop is remediated (patched to its redacted text
   when the policy redacts and the text can be rewritten, else deleted), the original
   is archived (encrypted, as any stopped message) with action ``remediated``, and
   compliance is alerted.  A read that fails is archived as a failure and alerted.
   The client's answer is never delayed: the hook only enqueues (bounded queue); a
   job that finds the queue full is counted, and the next job archives and alerts
   how many went unchecked.
3. **Link previews** (``PREVIEW_ROUTES``): Mattermost fetches a post's first link
   itself and shows every reader the page's OpenGraph site name, title and description
   (app/post_metadata.go ``getEmbedForPost``); its answer to a create, update or patch
   carries them (``metadata.embeds``).  Such an answer is judged as shown
   (``shown_preview``, ``shown_readings``) by the same worker, as the author's post,
   and a post the policy would stop is deleted (the preview cannot be patched away:
   Mattermost keeps it per URL and hour), archived ``remediated`` with route
   ``<route>.preview`` and alerted (docs/architecture.md "Link previews").
4. **Read-back** (``ResponseWatch._schedule``): posts Mattermost creates with no answer
   the gateway sees (an incoming webhook's, ``POST /hooks/{id}`` answering ``ok``; a
   command response hook's; an outgoing webhook's answer to an ordinary post, posted by
   app/webhook.go TriggerWebhook -> CreateWebhookPost after the post was answered) are
   found by reading their channel back (``GET /api/v4/channels/{id}/posts?since=``), a
   few times over Mattermost's own timeout for outgoing webhooks (``OUTGOING_READS``),
   one reader per channel; each ``from_webhook``/``from_bot`` post not judged yet is
   judged with its link preview, remediated as above, archived with route
   ``integrations.readback`` (docs/architecture.md "Integration responses").  A
   read-back pending when the process stops is kept in Redis (``READBACK_KEY``: the
   channel id, its window and routes) and resumed by the same worker id at its next
   start (``resume``).  Not read back: an outgoing webhook's answer to a post Mattermost creates with no request
   (app/scheduled_post_job.go ``postScheduledPost``, a shared channel's synced post:
   both with ``TriggerWebhooks: true``): docs/architecture.md "What is not covered".  Every post
   any check reads is judged with the preview it carries (``post_preview``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import httpx

from dlp_proxy import atrest
from dlp_proxy.gateway import responses
from dlp_proxy.gateway.context import token_from_request
from dlp_proxy.gateway.extract import go_field_name, go_json_decode, go_struct_fields
from dlp_proxy.gateway.paths import go_clean
from dlp_proxy.gateway.pipeline import GatewayRequest, decode_and_extract, rewritable_paths
from dlp_proxy.gateway.routes import match
from dlp_proxy.interfaces import PolicyEngine
from dlp_proxy.model import Action, ContentItem, Decision, RequestContext
from dlp_proxy.policy.facts import InspectionFacts

log = logging.getLogger("dlp_proxy.gateway.integrations")

NOT_ALLOWED_ID = "api.dlp.integration_not_allowed.app_error"
NOT_ALLOWED_RULE = "integration-not-allowed"
NOT_ALLOWED_MESSAGE = (
    "This message has an interactive button or menu whose integration is not on the data-loss-prevention "
    "gateway's allowlist: what that integration answers would be posted without being checked, so the "
    "message was not sent. Ask an administrator to allowlist the integration (DLP_INTEGRATION_URLS), or use "
    "an integration that is a Mattermost plugin."
)

#: what a failed read of Mattermost raises (transport, status, a body that is no JSON)
_READ_ERRORS = (httpx.HTTPError, TimeoutError, ValueError)
#: a string field Mattermost reads as an action's integration URL (paths folded as Go folds keys)
_ACTION_URL = re.compile(r"(?:^|\.)actions\[\d+\]\.integration\.url$")
#: the URL of a markdown action (``props.mm_blocks_actions.<action id>.url``, newer
#: Mattermost: server/public/model/mm_blocks_actions.go ``Post.GetMmBlocksActionSpec``,
#: ``mmBlocksEntryMapToSpec``).  ``props`` is a struct field (``Post.Props``: its key
#: folded as Go folds it); below it everything is a ``map[string]any`` read with
#: exact keys: ``GetProp("mm_blocks_actions")``, ``actionsTop[actionID]``,
#: ``entryMap["type"]`` and ``entryMap["url"]``.  Any action id, dots and all.
_MM_BLOCKS_URL = re.compile(r"(?:^|\.)([^.]+)\.mm_blocks_actions\.(.+)\.url$", re.DOTALL)
#: the one mm_blocks action type that calls no integration: the clicker is sent to its URL
_MM_BLOCKS_OPEN_URL = "openURL"
#: a URL the allowlist compares: printable ASCII, no whitespace, backslash or userinfo tricks
_PLAIN_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[!#-;=?-\[\]_a-z~]+")

#: a registration's field Mattermost calls with each trigger and whose answer it
#: posts, by route (folded paths, as Go's encoding/json matches keys):
#: model.OutgoingWebhook ``callback_urls`` (server/public/model/outgoing_webhook.go; each
#: is POSTed by app/webhook.go TriggerWebhook, the answer's text and attachments posted
#: by CreateWebhookPost) and model.Command ``url`` (server/public/model/command.go;
#: app/command.go DoCommandRequest, the answer posted by HandleCommandResponse).  Neither
#: is ever served in process: IsValid requires an http(s) URL (IsValidHTTPURL), so the
#: plugin-route exemption of actions does not apply.
REGISTRATION_URLS: Mapping[str, re.Pattern[str]] = {
    "hooks.outgoing.create": re.compile(r"^body\.callback_urls\[\d+\]$"),
    "hooks.outgoing.update": re.compile(r"^body\.callback_urls\[\d+\]$"),
    "commands.create": re.compile(r"^body\.url$"),
    "commands.update": re.compile(r"^body\.url$"),
}
REGISTRATION_MESSAGE = (
    "This {what} calls an integration that is not on the data-loss-prevention gateway's allowlist: what that "
    "integration answers would be posted without being checked, so it was not saved. Ask an administrator to "
    "allowlist the integration (DLP_INTEGRATION_URLS)."
)
_REGISTRATION_WHAT = {"hooks.outgoing.create": "outgoing webhook", "hooks.outgoing.update": "outgoing webhook",
                      "commands.create": "slash command", "commands.update": "slash command"}

#: routes whose answer may have let an integration write a post, and where to look
WATCHED_ROUTES: Mapping[str, str] = {
    "actions.post": "post",  # the post the action belongs to (its update)
    "actions.dialog_submit": "channel",  # the dialog's channel
    "commands.execute": "channel",  # the command's channel
    # a thread move: the copy Mattermost made in the destination is read back and judged
    # (moves.py judged the source thread before it was forwarded; ``moved_posts``)
    "posts.move": "channel",
    # posts Mattermost creates without answering them (``Readback``): an incoming
    # webhook's (web/webhook.go incomingWebhook answers ``ok``), a command response
    # hook's (commandWebhook answers ``ok``)
    "hooks.incoming": "readback",
    "hooks.command_response": "readback",
    # an outgoing webhook registered or changed through the gateway: the hooks the
    # gateway knows (which posts may trigger one) are listed again
    "hooks.outgoing.create": "registration",
    "hooks.outgoing.update": "registration",
}
#: the route name of the read-back of a channel after a post that may trigger an
#: outgoing webhook (api4/post.go createPost: ``TriggerWebhooks``; ``outgoing_job``)
OUTGOING_ANSWER = "hooks.outgoing.answer"
#: the route name of one read of a channel (and of what it remediates: archived with
#: ``readback_for``, the requests whose reads it served, since one read serves them all)
READBACK = "integrations.readback"
#: app/webhook.go doOutgoingWebhookRequest: ServiceSettings.OutgoingIntegrationRequestsTimeout
#: (30 s by default): an outgoing webhook's answer is posted within it, or never
OUTGOING_TIMEOUT_SECONDS = 30.0
#: when a channel is read back after a post that may trigger an outgoing webhook,
#: seconds after the post: early reads remove an answer soon, the last one comes after
#: Mattermost's own timeout, when no answer can still be posted
OUTGOING_READS = (0.5, 2.0, 5.0, 12.0, OUTGOING_TIMEOUT_SECONDS + 5.0)
#: a webhook's post exists when Mattermost answers (HandleIncomingWebhook and
#: HandleCommandWebhook create it before they return): one read, a moment later, so a
#: burst to one channel is read once
HOOK_READS = (0.2,)
#: the read-backs a worker has pending, kept in Redis so that a restart resumes them
#: (``ResponseWatch.resume``): a hash per worker id, one field per channel id
#: (shape-checked), its value ``{"since": ms, "end": epoch seconds, "routes": [...]}``
#: (no content, no request)
READBACK_KEY = "dlp:readbacks:"
#: how long a worker's pending read-backs outlive its last write: a worker down longer
#: (or gone for good) finds none
READBACK_KEEP_SECONDS = 3600
#: the routes a read-back serves: all an entry in Redis may name
READBACK_ROUTES = frozenset({"hooks.outgoing.answer", "hooks.incoming", "hooks.command_response"})
#: model.CommandWebhook: a command's response URL is valid 30 minutes (CommandWebhookLifetime)
COMMAND_HOOK_LIFETIME = 30 * 60.0
#: how long a listing of outgoing webhooks (or an incoming webhook) is trusted
HOOKS_TTL = 15.0
#: routes whose answer is the post as Mattermost will show it, link preview included
#: (app/post.go CreatePost runs ``getEmbedsAndImages`` before it saves and answers the
#: post prepared for the client; UpdatePost and PatchPost answer
#: ``PreparePostForClientWithEmbedsAndImages``; cards are posts): an OpenGraph
#: preview Mattermost fetched itself is judged with the message (``shown_preview``)
PREVIEW_ROUTES = frozenset({"posts.create", "posts.update", "posts.patch",
                            "cards.create", "cards.update", "cards.patch"})
#: the OpenGraph fields the web app shows under a post (PostAttachmentOpenGraph), in order
PREVIEW_FIELDS = ("site_name", "title", "description")
#: app/post.go MoveThread: the reply it adds to the copied thread's new root
#: (``model.PostTypeWrangler``) marks a moved thread in its destination
WRANGLER_TYPE = "system_wrangler"
#: a post's update time is Mattermost's clock, the request's is the gateway's
CLOCK_SKEW_MS = 5000


def action_url_items(items: Iterable[ContentItem]) -> list[ContentItem]:
    """The string fields of a body that Mattermost may read as an action's integration URL:

    - an attachment's action, ``...actions[i].integration.url`` (model/post.go
      ``GetAction`` over ``Attachments()``: keys folded);
    - a markdown action, ``props.mm_blocks_actions.<id>.url`` (exact keys below
      ``props``) when the entry's ``type`` (exact key) is a non-empty string other
      than ``openURL`` (server/channels/app ``resolvePostActionSetupFromPost``,
      integration format mm_block/block/card: ``GetMmBlocksActionSpec`` then
      ``ResolveMmBlocksAction``, whose ``ExternalURL`` for ``type: external`` is the
      ``upstreamURL`` ``DoActionRequest`` posts to; an entry without a string
      ``type`` is no action (``mmBlocksEntryMapToSpec`` returns nil), ``openURL``
      sends the clicker to the URL; any other type is refused by Mattermost today,
      and checked here all the same).  Every reading of a duplicated ``type`` counts
      (Go keeps the last): one that is not ``openURL`` makes the URL checked."""
    items = list(items)
    types: dict[str, list[str]] = {}
    for i in items:
        if i.path.endswith(".type"):
            types.setdefault(i.path[: -len(".type")], []).append(i.text)
    out = []
    for i in items:
        if _ACTION_URL.search(go_field_name(i.path)):
            out.append(i)
            continue
        m = _MM_BLOCKS_URL.search(i.path)
        if m and go_field_name(m.group(1)) == "props":
            kinds = [k for k in types.get(i.path[: -len(".url")], []) if k]
            if any(k != _MM_BLOCKS_OPEN_URL for k in kinds):
                out.append(i)
    return out


def is_plugin_route(url: str) -> bool:
    """A URL ``DoActionRequest`` serves in process: a plugin's HTTP route.

    server/channels/app/integration_action.go ``DoActionRequest``: ``path.Clean(rawURL)``
    starting with ``/plugins/`` or ``plugins/`` goes to ``DoLocalRequest``; every other
    URL to ``http.NewRequest`` and the untrusted HTTP client.  No version read (the
    ``url.Parse`` + ``path.Clean`` ones, and the older site-URL ``/plugins`` check that
    still sends over HTTP) knows an ``rpc://`` scheme: such a URL is no plugin route
    here, it must be allowlisted like any other (Go's client refuses the scheme).

    Mattermost under a SiteURL subpath (``/chat``): the in-process rule stays
    ``/plugins/`` from the root (``doPluginRequest`` cuts ``plugins/<id>`` off the
    cleaned URL and calls ``ServePluginRequest`` directly, no router and no subpath),
    so ``/chat/plugins/x`` is no plugin route: Go sends it over HTTP, where a URL
    without a host fails.  An absolute URL on the SiteURL's host under
    ``path.Join(subpath, "plugins")`` is Mattermost's own plugin route reached over
    HTTP (``getPostActionClient`` gives it the internal client and the clicker's
    token); the gateway does not know the SiteURL's host, so such a URL must be
    allowlisted (``https://chat.example.com/chat/plugins/``) like any other."""
    cleaned = go_clean(url)
    return cleaned.startswith(("/plugins/", "plugins/"))


@dataclass(frozen=True, slots=True)
class _Prefix:
    scheme: str
    host: str
    port: int
    path: str  # "" or "/x/y" (no trailing slash): a whole segment prefix


def _port(scheme: str, port: int | None) -> int:
    return port if port is not None else (443 if scheme == "https" else 80)


class Allowlist:
    """URL prefixes of integrations whose answers may be posted (``DLP_INTEGRATION_URLS``).

    A URL matches an entry when scheme, host and port are the entry's and its path is
    the entry's path or below it (whole segments).  A URL with user info, a
    backslash, whitespace, non-ASCII or dot segments matches nothing."""

    def __init__(self, prefixes: Iterable[str] = ()) -> None:
        self.prefixes: list[_Prefix] = []
        for raw in prefixes:
            raw = raw.strip()
            if not raw:
                continue
            parts = urlsplit(raw)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
                raise ValueError(f"an integration URL prefix must be an http(s) URL with a host: {raw!r}")
            self.prefixes.append(_Prefix(parts.scheme, parts.hostname.lower(), _port(parts.scheme, parts.port),
                                         parts.path.rstrip("/")))

    def allows(self, url: str) -> bool:
        if not self.prefixes or not _PLAIN_URL.fullmatch(url):
            return False
        try:
            parts = urlsplit(url)
            port = _port(parts.scheme.lower(), parts.port)
        except ValueError:
            return False
        if "@" in parts.netloc or not parts.hostname:
            return False
        path = parts.path or "/"
        cleaned = go_clean(path)
        if path not in (cleaned, cleaned + "/"):
            return False  # dot segments or doubled slashes: the integration would see another path
        for p in self.prefixes:
            if (parts.scheme.lower(), parts.hostname.lower(), port) != (p.scheme, p.host, p.port):
                continue
            if not p.path or path == p.path or path.startswith(p.path + "/"):
                return True
        return False


def registration_url_items(route: str, items: Iterable[ContentItem]) -> list[ContentItem]:
    """The string fields of an outgoing webhook's or a slash command's registration
    that Mattermost will call (``REGISTRATION_URLS``); every duplicate and case variant
    of the key, as Go keeps one of them (a superset)."""
    pattern = REGISTRATION_URLS.get(route)
    if pattern is None:
        return []
    return [i for i in items if pattern.search(go_field_name(i.path))]


def refusal(items: Iterable[ContentItem], allowlist: Allowlist, route: str = "") -> str | None:
    """The sender's message when the body names an integration whose answers would
    not be inspected (module doc), else None.  ``route``: the route's name (a
    registration's URLs are checked too)."""
    items = list(items)
    for item in registration_url_items(route, items):
        if not allowlist.allows(item.text):
            return REGISTRATION_MESSAGE.format(what=_REGISTRATION_WHAT[route])
    for item in action_url_items(items):
        if not is_plugin_route(item.text) and not allowlist.allows(item.text):
            return NOT_ALLOWED_MESSAGE
    return None


# --------------------------------------------------------------------------- detection


@dataclass(frozen=True, slots=True)
class Job:
    route: str
    request_id: str
    target: str  # the request's path and query, as received
    headers: Mapping[str, str]  # the caller's credentials only (their context)
    client_ip: str
    post_id: str | None = None
    channel_id: str | None = None
    since_ms: int = 0
    #: other channels the answer may have posted to (a command's ``channel_id`` and its
    #: ``extra_responses``' ones)
    more_channels: tuple[str, ...] = ()
    #: why the answer naming those channels could not be read ("" when it was)
    answer_unread: str = ""
    #: a released move: the fingerprints (moves.post_fingerprint) of the posts a reviewer
    #: approved and the release judged again; a copy that matches one is not judged
    #: (the policy holds it: judging it would remove what was approved)
    approved: frozenset[str] = frozenset()
    #: a post answered with a link preview (``shown_preview``): judged as shown, from the answer
    shown: Mapping[str, Any] | None = None
    #: an incoming webhook's id (its channel is Mattermost's: ``GET /api/v4/hooks/incoming/{id}``)
    hook_id: str = ""
    #: the channel names an incoming webhook's payload asks for (``channel``: every reading)
    channel_names: tuple[str, ...] = ()
    #: a post that may trigger an outgoing webhook: the start of its message (trigger words)
    text: str = ""
    #: one read of a channel for posts Mattermost made (``ResponseWatch._schedule``)
    poll: bool = False
    #: a read's requests' routes (``READBACK``)
    readback_for: tuple[str, ...] = ()


_CREDENTIAL_HEADERS = ("authorization", "cookie")


def answer_channels(answer: bytes | None) -> tuple[tuple[str, ...], str]:
    """The channels a slash command's answer posted to besides the command's own, and
    why they could not be read ("" when they could).

    server/channels/api4/command.go ``executeCommand`` answers the client with the
    ``model.CommandResponse`` (``json.NewEncoder(w).Encode(response)``: Mattermost's own
    encoding, exact keys); app/command.go ``HandleCommandResponse`` posted it and each
    of its ``extra_responses`` with ``HandleCommandResponsePost``, which puts a response
    whose ``channel_id`` is set into that channel (the caller must be a member:
    ``GetChannelMember``), else into the command's channel.  A slash command
    response hook's request body is read the same way, its keys as Go reads them
    (model/command_response.go ``CommandResponseFromJSON``: ``json.Unmarshal``)."""
    if answer is None:
        return (), "the command's answer was not kept by the proxy"
    try:
        doc = json.loads(answer)
    except ValueError:
        return (), "the command's answer is not JSON"
    if not isinstance(doc, dict):
        return (), "the command's answer is not a JSON object"
    found: list[str] = []
    pending: list[Any] = [doc]
    depth = 0
    while pending and depth < 8:  # extra responses of extra responses are not posted, but read all the same
        nxt: list[Any] = []
        for resp in pending:
            if not isinstance(resp, dict):
                continue
            # keys as Go reads them (a client's response body: ``CHANNEL_ID`` fills
            # ChannelId, encoding/json matches field names case-insensitively); every
            # case variant is read (Go keeps the last: more channels is the safe side)
            for key, value in resp.items():
                name = go_field_name(str(key))
                if name == "channel_id" and isinstance(value, str) and value:
                    found.append(value)
                elif name == "extra_responses" and isinstance(value, list):
                    nxt.extend(value)
        pending, depth = nxt, depth + 1
    bad = [c for c in found if not atrest.is_id(c)]
    if bad:
        return (), "the command's answer names a channel that is not an id"
    return tuple(dict.fromkeys(found)), ""


def shown_preview(answer: bytes) -> dict[str, Any] | None:
    """The post in Mattermost's answer when it carries an OpenGraph link preview with
    text a reader sees, else None; the preview's shown fields under ``preview``.

    model.Post ``metadata.embeds`` (server/public/model/post_metadata.go, post_embed.go:
    ``{"type": "opengraph", "url": ..., "data": <opengraph.OpenGraph>}``), encoded by
    Mattermost with exact keys.  An answer that does not hold the word ``opengraph``
    is not parsed."""
    if b"opengraph" not in answer:
        return None
    try:
        doc = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    shown = post_preview(doc)
    if not shown:
        return None
    return {"id": doc.get("id"), "channel_id": doc.get("channel_id"), "user_id": doc.get("user_id"),
            "message": doc.get("message", ""), "props": doc.get("props"), "preview": shown}


def post_preview(post: Mapping[str, Any]) -> list[str]:
    """The OpenGraph site names, titles and descriptions a reader is shown under a post
    as Mattermost gives it (``metadata.embeds``, any read: app/post_metadata.go
    ``PreparePostForClient`` fills them for a post list too)."""
    metadata = post.get("metadata")
    embeds = metadata.get("embeds") if isinstance(metadata, dict) else None
    if not isinstance(embeds, list):
        return []
    shown: list[str] = []
    for embed in embeds:
        if not isinstance(embed, dict) or embed.get("type") != "opengraph" or not isinstance(embed.get("data"), dict):
            continue
        data = embed["data"]
        shown.extend(v for v in (data.get(k) for k in PREVIEW_FIELDS) if isinstance(v, str) and v.strip())
    return shown


_URL_IN_TEXT = re.compile(r"https?://\S+", re.I)


def _digit_edges(text: str, first: bool, last: bool) -> str:
    """``text`` as it meets its neighbours in ``shown_readings``' joined reading: up to
    its last digit (and a separator the writer left right after it) when a part
    follows, from its first digit (and a separator right before it) when one comes
    before (as policy/split.py joins the pieces of a split identifier)."""
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    start, end = 0, len(text)
    if not last:
        end = digits[-1] + 1
        while end < len(text) and end - digits[-1] <= 3 and not text[end].isalnum() and not text[end].isspace():
            end += 1
    if not first:
        start = digits[0]
        while start > 0 and digits[0] - start < 3 and not text[start - 1].isalnum() and not text[start - 1].isspace():
            start -= 1
    return text[start:end]


def shown_readings(message: str, preview: Iterable[str]) -> str:
    """What is judged of a post with a link preview: the message then the preview's
    site name, title and description, one per line (as the web app shows them); and,
    when two or more of them hold digits, those parts joined where their digits meet
    (links left out of the message: the preview's link sits between its text and
    the preview), so an identifier begun in the message and ended in the preview is
    read whole."""
    parts = [p for p in (message, *preview) if p]
    shown = "\n".join(parts)
    digit_parts = [t for t in (_URL_IN_TEXT.sub(" ", p) for p in parts) if any(c.isdigit() for c in t)]
    if len(digit_parts) < 2:
        return shown
    joined = "\n".join(_digit_edges(t, i == 0, i == len(digit_parts) - 1) for i, t in enumerate(digit_parts))
    return shown + "\n\n" + joined


def job_for(route: str, request_id: str, method: str, target: str, headers: Mapping[str, str], body: bytes,
            client_ip: str, started: float, params: Mapping[str, str] | None,
            answer: Callable[[], bytes | None] | None = None) -> Job | None:
    """The check a forwarded request calls for once Mattermost answered it, or None.
    ``answer``: Mattermost's answer body, read only for a route that needs it (a slash
    command's names the other channels it posted to: ``answer_channels``)."""
    creds = {k: v for k, v in headers.items() if k in _CREDENTIAL_HEADERS}
    if route in PREVIEW_ROUTES:
        try:
            body_back = answer() if answer is not None else None
        except Exception as exc:  # a proxy that cannot give the body back: said so, archived
            return Job(route, request_id, target, creds, client_ip,
                       answer_unread=f"the post's answer could not be read ({type(exc).__name__})")
        shown = shown_preview(body_back) if body_back else None
        if shown is None:
            return None
        return Job(route, request_id, target, creds, client_ip, post_id=str(shown.get("id", "")), shown=shown)
    where = WATCHED_ROUTES.get(route)
    if where is None:
        return None
    since = int(started * 1000) - CLOCK_SKEW_MS
    if where == "registration":
        return Job(route, request_id, target, {}, client_ip)
    if route == "hooks.incoming":
        return Job(route, request_id, target, {}, client_ip, since_ms=since,
                   hook_id=(params or {}).get("hook_id", ""),
                   channel_names=webhook_channel_names(body, headers.get("content-type", ""), target))
    if route == "hooks.command_response":
        # the response names other channels as a command's answer does (HandleCommandResponse);
        # its own channel is the command's, which only Mattermost knows (``ResponseWatch``)
        named, _ = answer_channels(body)
        return Job(route, request_id, target, {}, client_ip, since_ms=since, more_channels=named)
    if where == "post":
        post_id = (params or {}).get("post_id", "")
        return Job(route, request_id, target, creds, client_ip, post_id=post_id, since_ms=since)
    channel_id = ""
    try:
        # read as Mattermost's handler reads it (json.NewDecoder: the first value, invalid
        # UTF-8 as U+FFFD); json.loads refused a body with a byte that is not UTF-8, which
        # Mattermost runs all the same (atk21p: every reading of a body as Go's)
        doc, _rest = go_json_decode((body or b"{}").decode("utf-8", "replace"))
        channel_id = go_struct_fields(doc, "body").get("body.channel_id", "") if isinstance(doc, dict) else ""
    except ValueError:
        pass
    more: tuple[str, ...] = ()
    unread = ""
    if route == "commands.execute":
        try:
            more, unread = answer_channels(answer() if answer is not None else None)
        except Exception as exc:  # a proxy that cannot give the body back: said so, archived
            more, unread = (), f"the command's answer could not be read ({type(exc).__name__})"
    return Job(route, request_id, target, creds, client_ip, channel_id=channel_id, since_ms=since,
               more_channels=more, answer_unread=unread)


#: a field of an incoming webhook's payload that Mattermost reads as its ``channel``
#: (model.IncomingWebhookRequest ``ChannelName``, json ``channel``; every reading
#: extract.py takes: JSON body, ``payload=`` forms, multipart values), paths folded
_WEBHOOK_CHANNEL = re.compile(r"^(?:decoded:)?(?:body|form|form\.payload(?:#\d+)?)\.channel$")


def webhook_channel_names(body: bytes, content_type: str, target: str) -> tuple[str, ...]:
    """Every channel name an incoming webhook's request may ask for (a superset:
    every reading web/webhook.go incomingWebhook may take, as the gateway read it)."""
    from dlp_proxy.gateway.extract import BodyError, extract
    from dlp_proxy.gateway.goread import parse_query

    m = match("POST", "/hooks/x")
    if m.route is None:
        return ()
    query = target.partition("?")[2]
    try:
        ex = extract(m.route, body, content_type, parse_qsl(query, keep_blank_values=True, max_num_fields=1000),
                     go_query=parse_query(query))
    except (BodyError, ValueError):
        return ()
    names = [i.text for i in ex.items if i.text and _WEBHOOK_CHANNEL.match(go_field_name(i.path))]
    return tuple(dict.fromkeys(names))


def may_trigger(hook: Mapping[str, Any], channel_id: str, team_id: str | None, message: str) -> bool:
    """Whether an outgoing webhook may fire for a post (app/webhook.go
    handleWebhookEvents), as a superset: the hook's channel is the post's (any post
    when it has no trigger words) or empty, and the message, its leading white space
    left out as Go's ``unicode.IsSpace`` tells it, starts with one of the trigger
    words (``TriggerWordExactMatch`` and ``TriggerWordStartsWith`` both need the
    first ``strings.Fields`` word to start with it).  ``team_id``
    None: not known, any team."""
    if hook.get("delete_at") or (team_id is not None and hook.get("team_id") != team_id):
        return False
    return _fires(_trigger_of(hook), channel_id, _go_lstrip(message))


def _trigger_of(hook: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """(channel id or "", trigger words) of an outgoing webhook."""
    words = hook.get("trigger_words")
    return (str(hook.get("channel_id") or ""),
            tuple(w for w in words if isinstance(w, str)) if isinstance(words, list) else ())


def _fires(trigger: tuple[str, tuple[str, ...]], channel_id: str, head: str) -> bool:
    """``may_trigger`` on a hook's ``_trigger_of`` and the message without its leading space."""
    hook_channel, words = trigger
    if hook_channel not in (channel_id, ""):
        return False
    if hook_channel == channel_id and not words:
        return True
    return bool(head) and head.startswith(words)


def _go_is_space(c: str) -> bool:
    """Go's ``unicode.IsSpace`` (``strings.Fields``): the Latin-1 spaces, then Z*."""
    if c <= "\xff":
        return c in "\t\n\v\f\r \x85\xa0"
    return unicodedata.category(c) in ("Zs", "Zl", "Zp")


def _go_lstrip(text: str) -> str:
    i = 0
    while i < len(text) and _go_is_space(text[i]):
        i += 1
    return text[i:]


def outgoing_job(request_id: str, target: str, answer: bytes | None, client_ip: str, started: float) -> Job | None:
    """The read-back a created post calls for when an outgoing webhook may answer it
    (api4/post.go createPost ``TriggerWebhooks``; the answer is posted by
    app/webhook.go TriggerWebhook -> CreateWebhookPost with no request of its own),
    from Mattermost's answer (the post: its channel and message), or None."""
    if not answer:
        return None
    try:
        doc = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("message"), str):
        return None
    channel_id, post_id = str(doc.get("channel_id", "")), str(doc.get("id", ""))
    if not atrest.is_id(channel_id):
        return None
    return Job(OUTGOING_ANSWER, request_id, target, {}, client_ip, post_id=post_id if atrest.is_id(post_id) else None,
               channel_id=channel_id, since_ms=int(started * 1000) - CLOCK_SKEW_MS, text=doc["message"][:4096])


@dataclass(slots=True)
class _Readback:
    """A channel being read back: the requests it covers as (since ms, when their reads
    end: clock), until a read at or after that end has been made."""
    job: Job
    windows: list[tuple[int, float]]
    reads: tuple[float, ...]
    routes: set[str] = field(default_factory=set)
    #: set when a request needs a read sooner than the reader's current wait ends
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: when the reader's current wait ends (clock)
    wake_at: float = float("inf")


class ResponseWatch:
    """Checks, after the fact, the posts an integration's answer wrote (module doc).

    ``pipeline``: the gateway's Pipeline (its detector, policy, context and archive);
    ``upstream``: an httpx client to Mattermost; ``token``: the gateway's bot token
    (reads every channel, edits and deletes others' posts: a system admin bot)."""

    def __init__(self, pipeline: Any, upstream: httpx.AsyncClient, token: str | None, *, max_queue: int = 1000,
                 workers: int = 1, timeout: float = 5.0, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 outgoing_reads: tuple[float, ...] = OUTGOING_READS, hook_reads: tuple[float, ...] = HOOK_READS,
                 hooks_ttl: float = HOOKS_TTL, redis: Any = None, worker_id: str | None = None) -> None:
        self.pipeline = pipeline
        #: where pending read-backs are kept (``READBACK_KEY``): the pipeline's Redis
        #: unless given; None keeps them in memory only
        self.redis = redis if redis is not None else getattr(pipeline, "redis", None)
        self.worker_id = worker_id or str(getattr(getattr(pipeline, "config", None), "worker_id", "") or "w0")
        #: channels whose read-back changed since it was last written to Redis
        self._dirty: set[str] = set()
        self._dirty_event = asyncio.Event()
        #: set by ``stop``: what is pending then stays in Redis for the next start
        self._stopping = False
        self.upstream = upstream
        self.token = token
        self.timeout = timeout
        self.clock = clock
        #: how the read-backs wait (injected by tests: no test races a timer)
        self.sleep = sleep
        self.outgoing_reads = outgoing_reads
        self.hook_reads = hook_reads
        self.hooks_ttl = hooks_ttl
        self.workers = workers
        self.queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=max_queue)
        #: channels being read back (``_schedule``), at most ``max_queue``
        self._readbacks: dict[str, _Readback] = {}
        self._readback_tasks: set[asyncio.Task[None]] = set()
        #: posts already judged by a read-back, (id, update_at), the newest kept
        self._seen: OrderedDict[tuple[str, int], None] = OrderedDict()
        #: every outgoing webhook (``_outgoing_hooks``), when it was listed (clock)
        self._outgoing: list[dict[str, Any]] | None = None
        #: their channels and trigger words (``_trigger_of``), matched on every created post
        self._triggers: list[tuple[str, tuple[str, ...]]] = []
        self._outgoing_at = float("-inf")
        #: incoming webhooks read (id -> (when, hook))
        self._incoming: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        #: channels a command ran in, when (a command response hook posts in its command's channel)
        self._command_channels: OrderedDict[str, float] = OrderedDict()
        #: registrations reported as not allowlisted (at the start or since)
        self._reported: set[str] = set()
        #: jobs refused because the queue was full, not yet archived
        self.dropped = 0
        self._tasks: list[asyncio.Task[Any]] = []
        #: jobs done (tests wait on it)
        self.done = 0

    # ------------------------------------------------------------------ queue
    def offer(self, job: Job) -> bool:
        """Enqueue without waiting; False (counted, archived later) when the queue is full.
        An outgoing webhook registered or changed through the gateway is no job: the
        hooks are listed again before the next post is matched (at once, so a post
        right after it cannot be matched against the old listing)."""
        if job.route in ("hooks.outgoing.create", "hooks.outgoing.update"):
            self._outgoing_at = float("-inf")
            return True
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("integration response check queue full", extra={"request_id": job.request_id})
            return False
        return True

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._worker()) for _ in range(self.workers)]
        if self.redis is not None:
            self._tasks.append(loop.create_task(self._persister()))
            self._tasks.append(loop.create_task(self.resume()))

    async def stop(self, timeout: float = 5.0) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.queue.join(), timeout)
        # reads not yet due are not waited for: they stay in Redis, resumed at the next start
        self._stopping = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._flush(), timeout)
        for task in list(self._readback_tasks):
            task.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _worker(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                if self.dropped:
                    count, self.dropped = self.dropped, 0
                    await self._unchecked(job, f"{count} integration response(s) not checked: the check queue was full",
                                          "integration-response-queue-full")
                await self.check(job)
            except Exception:
                log.exception("integration response check failed", extra={"request_id": job.request_id})
                with contextlib.suppress(Exception):
                    await self._unchecked(job, "the check failed", "integration-response-check-failed")
            finally:
                self.done += 1
                self.queue.task_done()

    # ------------------------------------------------------------------ check
    async def _get(self, path: str) -> httpx.Response:
        return await asyncio.wait_for(
            self.upstream.get(path, headers={"Authorization": f"Bearer {self.token}"}), self.timeout)

    async def _json(self, path: str) -> Any:
        """GET ``path`` with the bot token: its JSON (raises ``_READ_ERRORS``)."""
        resp = await self._get(path)
        resp.raise_for_status()
        return resp.json()

    async def _posts_since(self, channel: str, since_ms: int) -> list[dict[str, Any]]:
        """One read of a channel: its posts since ``since_ms`` (api4/post.go
        getPostsForChannel ``since``; raises ``_READ_ERRORS``)."""
        body = await self._json(f"/api/v4/channels/{channel}/posts?since={max(since_ms, 1)}")
        found = body.get("posts") if isinstance(body, dict) else None
        return [p for p in found.values() if isinstance(p, dict)] if isinstance(found, dict) else []

    async def _unreadable(self, job: Job, what: str, exc: BaseException) -> None:
        """A read a check needed failed: archived and alerted, the check ends."""
        await self._unchecked(job, f"{what} ({type(exc).__name__})", "integration-response-unreadable")

    # ------------------------------------------------------------------ read-backs
    def outgoing_possible(self) -> bool:
        """False while the hooks last listed (within ``hooks_ttl``) are none at all: a
        created post is then not even parsed.  False without a bot token: nothing can
        be listed or read (the start-up audit archived and alerted it once,
        ``audit_registrations``), rather than one record per post."""
        if not self.token:
            return False
        return self._outgoing is None or bool(self._outgoing) or self.clock() - self._outgoing_at > self.hooks_ttl

    def wants_outgoing(self, channel_id: str, message: str) -> bool:
        """Whether a post just created may trigger an outgoing webhook (``may_trigger``
        on the hooks last listed; True while they are not listed or the listing is
        older than ``hooks_ttl``: the job lists them again).  In memory, no I/O: called
        on every created post."""
        if self._outgoing is None or self.clock() - self._outgoing_at > self.hooks_ttl:
            return True
        head = _go_lstrip(message)
        return any(_fires(t, channel_id, head) for t in self._triggers)

    def _schedule(self, channel: str, job: Job, reads: tuple[float, ...]) -> None:
        """Read ``channel`` for posts Mattermost made since ``job.since_ms``, ``reads``
        seconds from now, the last one at or after Mattermost's own deadline.  One reader
        per channel: a request for a channel being read adds its window (each read serves
        every window still due, from the earliest ``since``; a window is due until a read
        at or after its end; the reads are the union of the requests'), and the reads start
        again from now when its first read is due before the reader's current wait ends (so
        a burst never starves the reads: after a restart the next read, the earliest of
        all, is due before any later request's first one).  At most
        ``queue.maxsize`` channels; the others are counted as dropped (archived and alerted
        by the next job)."""
        now = self.clock()
        end = now + reads[-1]
        current = self._readbacks.get(channel)
        if current is not None:
            current.routes.add(job.route)
            current.windows.append((job.since_ms, end))
            current.reads = tuple(sorted(set(current.reads) | set(reads)))
            if now + reads[0] < current.wake_at:
                current.wake.set()
            self._persist(channel)
            return
        if len(self._readbacks) >= self.queue.maxsize:
            self.dropped += 1
            log.warning("integration read-back limit reached", extra={"request_id": job.request_id})
            return
        self._readbacks[channel] = _Readback(job, [(job.since_ms, end)], reads, routes={job.route})
        self._persist(channel)
        task = asyncio.get_running_loop().create_task(self._read_on(channel))
        self._readback_tasks.add(task)
        task.add_done_callback(self._readback_tasks.discard)

    async def _wait(self, seconds: float, rb: _Readback) -> bool:
        """Wait ``seconds`` (the injected sleep); False when woken early by a request."""
        rb.wake.clear()
        rb.wake_at = self.clock() + seconds
        sleeper = asyncio.ensure_future(self.sleep(max(0.0, seconds)))
        waker = asyncio.ensure_future(rb.wake.wait())
        try:
            done, _ = await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                if not task.done():
                    task.cancel()
        return sleeper in done

    async def _read_on(self, channel: str) -> None:
        rb = self._readbacks[channel]
        try:
            elapsed, i = 0.0, 0
            while rb.windows:
                if i >= len(rb.reads):  # a window still due (added late): its reads again
                    elapsed, i = 0.0, 0
                if not await self._wait(rb.reads[i] - elapsed, rb):
                    elapsed, i = 0.0, 0  # a new request: the reads start again from now
                    continue
                elapsed, i = rb.reads[i], i + 1
                now = self.clock()
                since = min(w[0] for w in rb.windows)
                self.offer(replace(rb.job, route=READBACK, channel_id=channel, since_ms=since, poll=True,
                                   more_channels=(), post_id=None, shown=None, answer_unread="",
                                   readback_for=tuple(sorted(rb.routes))))
                rb.windows = [w for w in rb.windows if w[1] > now]
                self._persist(channel)
        finally:
            if not self._stopping:  # (stopped: it stays, in Redis too, for the next start)
                self._readbacks.pop(channel, None)
                self._persist(channel)

    # ------------------------------------------------------------------ kept in Redis
    def _persist(self, channel: str) -> None:
        """``channel``'s read-back changed: written to Redis by ``_persister``."""
        if self.redis is None or self._stopping:
            return
        self._dirty.add(channel)
        self._dirty_event.set()

    async def _persister(self) -> None:
        """One writer, so Redis always ends with each channel's latest state."""
        while True:
            await self._dirty_event.wait()
            self._dirty_event.clear()
            await self._flush()

    async def _flush(self) -> None:
        redis, key = self.redis, READBACK_KEY + self.worker_id
        while self._dirty and redis is not None:
            channel = self._dirty.pop()
            rb = self._readbacks.get(channel)
            try:
                if rb is None or not rb.windows:
                    await redis.hdel(key, channel)
                    continue
                entry = {"since": min(w[0] for w in rb.windows), "end": max(w[1] for w in rb.windows),
                         "routes": sorted(rb.routes & READBACK_ROUTES)}
                await redis.hset(key, channel, json.dumps(entry))
                await redis.expire(key, READBACK_KEEP_SECONDS)
            except Exception as exc:  # Redis down: the read-back goes on, in memory only
                log.warning("a pending read-back could not be kept in Redis (%s)", type(exc).__name__)

    async def resume(self) -> int:
        """The read-backs this worker had pending when it stopped (``READBACK_KEY``),
        scheduled again: read at once (posts Mattermost made while no gateway read
        them), the last read at or after their end.  How many."""
        if self.redis is None:
            return 0
        key = READBACK_KEY + self.worker_id
        try:
            entries = await self.redis.hgetall(key)
        except Exception as exc:
            log.warning("pending read-backs could not be read from Redis (%s)", type(exc).__name__)
            return 0
        now, resumed = self.clock(), 0
        for raw_channel, raw in entries.items():
            channel = raw_channel.decode("ascii", "replace") if isinstance(raw_channel, bytes) else str(raw_channel)
            try:
                entry = json.loads(raw)
                since, end = int(entry["since"]), float(entry["end"])
                routes = sorted({str(r) for r in entry["routes"]} & READBACK_ROUTES)
            except (ValueError, TypeError, KeyError):
                routes = []
            if not atrest.is_id(channel) or not routes:
                with contextlib.suppress(Exception):
                    await self.redis.hdel(key, raw_channel)
                continue
            job = Job(routes[0], responses.new_request_id(), f"/api/v4/channels/{channel}/posts", {}, "",
                      channel_id=channel, since_ms=since)
            self._schedule(channel, job, tuple(sorted({0.0, max(0.0, end - now)})))
            if channel in self._readbacks:
                self._readbacks[channel].routes.update(routes)
                resumed += 1
        return resumed

    async def _poll(self, job: Job) -> None:
        """One read of a channel: the webhooks' and bots' posts since the request (every
        post Mattermost makes for an integration carries ``from_webhook`` or
        ``from_bot``: app/webhook.go CreateWebhookPost, app/command.go
        HandleCommandResponsePost, app/post.go CreatePost for a bot) not judged yet are
        judged, link previews included."""
        channel = job.channel_id or ""
        if not atrest.is_id(channel):
            return
        try:
            found = await self._posts_since(channel, job.since_ms)
        except _READ_ERRORS as exc:
            await self._unreadable(job, "the channel could not be read", exc)
            return
        for post in found:
            if post.get("delete_at") or not _from_integration(post):
                continue
            key = (str(post.get("id", "")), int(post.get("update_at", 0) or 0))
            if key in self._seen:
                continue
            self._seen[key] = None
            while len(self._seen) > 20_000:
                self._seen.popitem(last=False)
            await self._judge(job, post)

    async def _outgoing_hooks(self, job: Job) -> list[dict[str, Any]] | None:
        """Every outgoing webhook, listed again when the listing is older than
        ``hooks_ttl``; one not on the allowlist seen for the first time is reported
        (``_report``: registered behind the gateway while it runs).  None: could not be
        listed (archived and alerted)."""
        if self._outgoing is not None and self.clock() - self._outgoing_at <= self.hooks_ttl:
            return self._outgoing
        try:
            hooks = await self._pages("/api/v4/hooks/outgoing?", 200, 50)
        except (httpx.HTTPError, TimeoutError, ValueError, AttributeError) as exc:
            await self._unchecked(job, f"the outgoing webhooks could not be listed ({type(exc).__name__}): "
                                       "an answer to this post was not read back", "integration-response-unchecked")
            return None
        self._outgoing, self._outgoing_at = [h for h in hooks if not h.get("delete_at")], self.clock()
        self._triggers = [_trigger_of(h) for h in self._outgoing]
        allowlist = getattr(getattr(self.pipeline, "config", None), "integration_allowlist", None) or Allowlist()
        for hook in self._outgoing:
            urls = hook.get("callback_urls")
            if not isinstance(urls, list) or any(not isinstance(u, str) or not allowlist.allows(u) for u in urls):
                await self._report(job, "outgoing webhook", str(hook.get("id", "")), "/api/v4/hooks/outgoing/")
        return self._outgoing

    async def _report(self, job: Job, what: str, reg_id: str, path: str) -> None:
        """A registration whose URLs are not allowlisted: archived (its id only) and alerted, once."""
        shown = reg_id if atrest.is_id(reg_id) else "?"
        if shown != "?" and shown in self._reported:
            return
        self._reported.add(shown)
        why = f"{what} {shown} calls an integration that is not on the allowlist"
        one = replace(job, target=path + shown)  # the record's path names the registration
        await self._unchecked(one, why, "integration-registration-not-allowed", text=(
            f"DLP: {why} (DLP_INTEGRATION_URLS): what it answers is posted without being checked. "
            "Delete it, or allowlist the integration."))

    async def _after_post(self, job: Job) -> None:
        """A post that may trigger an outgoing webhook: its channel is read back over
        Mattermost's timeout when one of the team's hooks may fire (``may_trigger``;
        app/webhook.go handleWebhookEvents: open channels only)."""
        hooks = await self._outgoing_hooks(job)
        channel = job.channel_id or ""
        if not hooks or not any(may_trigger(h, channel, None, job.text) for h in hooks):
            return
        try:
            info = await self._json(f"/api/v4/channels/{channel}")
        except _READ_ERRORS as exc:
            await self._unreadable(job, "the channel could not be read", exc)
            return
        if not isinstance(info, dict) or info.get("type") != "O":
            return
        team = str(info.get("team_id", ""))
        if any(may_trigger(h, channel, team, job.text) for h in hooks):
            self._schedule(channel, job, self.outgoing_reads)

    async def _incoming_hook(self, hook_id: str) -> dict[str, Any] | None:
        """An incoming webhook as Mattermost keeps it (api4/webhook.go getIncomingHook),
        or None when it does not exist (any more)."""
        cached = self._incoming.get(hook_id)
        if cached is not None and self.clock() - cached[0] <= self.hooks_ttl:
            return cached[1]
        resp = await self._get(f"/api/v4/hooks/incoming/{hook_id}")
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        hook = resp.json()
        if not isinstance(hook, dict):
            raise ValueError("not an object")
        self._incoming[hook_id] = (self.clock(), hook)
        while len(self._incoming) > 1000:
            self._incoming.popitem(last=False)
        return hook

    async def _direct_channel(self, creator: str, username: str) -> str:
        """The direct channel between an incoming webhook's creator and ``@username``
        ("" when that user does not exist: Mattermost refused the post)."""
        if not atrest.is_id(creator) or not username:
            return ""
        resp = await self._get(f"/api/v4/users/username/{quote(username, safe='')}")
        if resp.status_code == 404:
            return ""
        resp.raise_for_status()
        user = resp.json()
        other = str(user.get("id", "")) if isinstance(user, dict) else ""
        if not atrest.is_id(other):
            return ""
        resp = await asyncio.wait_for(self.upstream.post(
            "/api/v4/channels/direct", json=[creator, other], headers={"Authorization": f"Bearer {self.token}"}),
            self.timeout)
        resp.raise_for_status()
        found = resp.json()
        return str(found.get("id", "")) if isinstance(found, dict) else ""

    async def _after_hook(self, job: Job) -> None:
        """An incoming webhook's or a command response hook's request was answered: the
        channels its post can be in are read back (``HOOK_READS``).

        - incoming (app/webhook.go HandleIncomingWebhook): the hook's channel, or the
          payload's ``channel``: ``@user`` a direct message between the hook's creator and
          that user, ``#name`` or ``name`` the hook's team's channel of that name
          (``GetByName``, deleted ones too); a locked hook posts only to its own channel.
          Every name is read (a superset).  The direct channel is found as Mattermost
          made it (``GetOrCreateDirectChannel``): api4/channel.go ``createDirectChannel``
          answers the existing channel of any pair to a session with manage_system
          (the bot), and the webhook's post already created it.
        - command response (HandleCommandWebhook -> HandleCommandResponse): the command's
          channel, which only Mattermost knows (model.CommandWebhook is never served):
          every channel a command ran in through this gateway in the hook's lifetime (30
          minutes), and the channels the response names (``answer_channels``)."""
        channels: list[str] = []
        if job.route == "hooks.incoming":
            if not atrest.is_id(job.hook_id):
                return
            try:
                hook = await self._incoming_hook(job.hook_id)
                if hook is None:
                    await self._unchecked(job, "the incoming webhook could not be found to read its channel",
                                          "integration-response-unchecked")
                    return
                channels.append(str(hook.get("channel_id", "")))
                for name in job.channel_names:
                    if name.startswith("@"):
                        channels.append(await self._direct_channel(str(hook.get("user_id", "")), name[1:]))
                        continue
                    name = name[1:] if name.startswith("#") else name
                    team = str(hook.get("team_id", ""))
                    if not name or not atrest.is_id(team):
                        continue
                    resp = await self._get(f"/api/v4/teams/{team}/channels/name/{quote(name, safe='')}"
                                           "?include_deleted=true")
                    if resp.status_code == 404:
                        continue  # no such channel: Mattermost could not have posted there
                    resp.raise_for_status()
                    found = resp.json()
                    channels.append(str(found.get("id", "")) if isinstance(found, dict) else "")
            except _READ_ERRORS as exc:
                await self._unreadable(job, "the webhook's channel could not be found", exc)
                return
        else:
            now = self.clock()
            for channel, at in list(self._command_channels.items()):
                if now - at > COMMAND_HOOK_LIFETIME:
                    del self._command_channels[channel]
            channels.extend(self._command_channels)
            channels.extend(job.more_channels)
            if not channels:
                await self._unchecked(job, "a command's response hook posted where no command ran through the "
                                           "gateway", "integration-response-unchecked")
                return
        for channel in dict.fromkeys(channels):
            if atrest.is_id(channel):
                self._schedule(channel, job, self.hook_reads)

    async def check(self, job: Job) -> None:
        if job.route == "commands.execute" and job.channel_id and atrest.is_id(job.channel_id):
            self._command_channels[job.channel_id] = self.clock()
            self._command_channels.move_to_end(job.channel_id)
            while len(self._command_channels) > 256:
                self._command_channels.popitem(last=False)
        if job.route in (OUTGOING_ANSWER, READBACK, "hooks.incoming", "hooks.command_response"):
            if not self.token:
                await self._unchecked(job, "no bot token to read the channel with", "integration-response-unchecked")
            elif job.poll:
                await self._poll(job)
            elif job.route == OUTGOING_ANSWER:
                await self._after_post(job)
            else:
                await self._after_hook(job)
            return
        if job.route in PREVIEW_ROUTES:
            # judged from Mattermost's answer: no token needed to judge (only to delete)
            if job.shown is not None:
                await self._judge(job, dict(job.shown))
            elif job.answer_unread:
                await self._unchecked(job, job.answer_unread + ": its link preview was not checked",
                                      "link-preview-unchecked")
            return
        if not self.token:
            await self._unchecked(job, "no bot token to read the post with", "integration-response-unchecked")
            return
        posts: list[dict[str, Any]] = []
        try:
            if job.post_id is not None:
                if not atrest.is_id(job.post_id):
                    return
                resp = await self._get(f"/api/v4/posts/{job.post_id}")
                if resp.status_code == 404:
                    return  # an ephemeral post (never stored) or one deleted since: nothing is shown
                resp.raise_for_status()
                posts = [resp.json()]
            else:
                channels = [c for c in dict.fromkeys((job.channel_id or "", *job.more_channels)) if atrest.is_id(c)]
                caller = await self._caller(job) if channels and job.route != "posts.move" else None
                for channel in channels:
                    found = await self._posts_since(channel, job.since_ms)
                    if job.route == "posts.move":
                        from dlp_proxy.gateway.moves import post_fingerprint

                        key = self.pipeline.hash_key
                        posts.extend(p for p in moved_posts(found) if not job.approved
                                     or post_fingerprint(key, p.get("message"), p.get("props")) not in job.approved)
                        continue
                    # what the command or dialog's integration wrote: the caller's posts (a
                    # command's answer is posted as its caller: app/command.go
                    # HandleCommandResponsePost) and bots' and webhooks' posts; other people's
                    # posts in that window came through the gateway themselves
                    posts.extend(p for p in found if p.get("user_id") == caller or _from_integration(p))
        except _READ_ERRORS as exc:
            await self._unreadable(job, "the post could not be read", exc)
            return
        for post in posts:
            if post.get("delete_at"):
                continue
            await self._judge(job, post)
        if job.answer_unread:
            # the command's own channel was read; others its answer may have posted to were not
            await self._unchecked(job, job.answer_unread + ": other channels it may have posted to were not read",
                                  "integration-response-unchecked")

    async def _caller(self, job: Job) -> str | None:
        context = getattr(self.pipeline, "context", None)
        token = token_from_request(job.headers, "")
        if context is None or not token:
            return None
        user = await context.user(token)
        return user.id if user is not None else None

    async def _as_author(self, ctx: RequestContext, author: str, policy: Any, route: Any) -> RequestContext:
        """The post is judged as its author's (the sender policies scope on and exempt):
        the button's poster for an action's update, the caller or the integration's bot
        for a command or dialog.  Looked up with the bot token; a failed lookup is a
        context error (the policy's failure mode decides)."""
        if author == ctx.user_id:
            return ctx
        if not atrest.is_id(author) or not self.token:
            return replace(ctx, user_id=None, username=None, user_roles=(), is_bot=False, groups=(),
                           context_errors=(*ctx.context_errors,
                                           "author: not an id" if self.token else "author: no bot token"))
        try:
            resp = await self._get(f"/api/v4/users/{author}")
            resp.raise_for_status()
            body = resp.json()
            groups: tuple[str, ...] = ()
            context = getattr(self.pipeline, "context", None)
            if context is not None and self.token and "groups" in policy.needs_context_for(route.group):
                groups = await context.groups(author, self.token)
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:
            return replace(ctx, user_id=author, username=None, user_roles=(), is_bot=False, groups=(),
                           context_errors=(*ctx.context_errors, f"author: {type(exc).__name__}"))
        return replace(ctx, user_id=author, username=str(body.get("username", "")) or None,
                       user_roles=tuple(str(body.get("roles", "")).split()), is_bot=bool(body.get("is_bot", False)),
                       groups=groups)

    async def _judge(self, job: Job, post: dict[str, Any]) -> None:
        pipeline = self.pipeline
        started = time.perf_counter()
        post_id = str(post.get("id", ""))
        channel_id = str(post.get("channel_id", ""))
        if not atrest.is_id(post_id) or not atrest.is_id(channel_id):
            return
        shown = list(post.get("preview", ())) if job.shown is not None else post_preview(post)
        preview = bool(shown)
        # a link preview is judged as the web app shows it: the message, then the
        # preview's site name, title and description (a number split between them is one);
        # a post read back carries its own (metadata.embeds)
        message = shown_readings(str(post.get("message", "")), shown) if preview \
            else str(post.get("message", ""))
        doc: dict[str, Any] = {"channel_id": channel_id, "message": message}
        if isinstance(post.get("props"), dict) and post["props"]:
            doc["props"] = post["props"]
        body = json.dumps(doc, ensure_ascii=False).encode()
        m = match("POST", "/api/v4/posts")
        route = m.route
        assert route is not None
        req = GatewayRequest(method="POST", target="/api/v4/posts", headers=dict(job.headers), body=body,
                             client_ip=job.client_ip, request_id=job.request_id)
        _, ex = decode_and_extract(route, body, "", "application/json", "", pipeline.config.max_text_body_bytes)
        policy = pipeline.policy()
        ctx: RequestContext = await pipeline._context(req, route, {}, ex, "/api/v4/posts", policy)
        ctx = replace(await self._as_author(ctx, str(post.get("user_id", "")), policy, route),
                      route=f"{job.route}.preview" if preview else f"{job.route}.response")
        entities = policy.required_entities(ctx)
        scanned = await pipeline._scan(ex.items, entities)
        scanned = await pipeline._cross_field(scanned, entities, None, [])  # split across attachment fields
        # a redaction patches the post's JSON string fields; anything else is deleted
        decision: Decision = policy.decide(scanned, ctx, InspectionFacts(rewritable=rewritable_paths(ex)))
        if decision.action not in (Action.REDACT, Action.QUARANTINE, Action.BLOCK):
            return
        # a preview cannot be patched away (Mattermost keeps it per URL and hour): deleted
        if self.token:
            how, outcome = await self._remediate(post_id, ex, decision, policy,
                                                 redact=not preview and decision.action is Action.REDACT)
        else:  # judged (from the answer) but nothing to remove it with: its own decision
            how, outcome = "impossible", "no bot token"
        record = pipeline._record(req, route, "/api/v4/posts", ctx, decision, ex.items, started)
        record.update({
            "route": f"{job.route}.preview" if preview else job.route,
            "path": pipeline._archived_path(GatewayRequest("POST", job.target, {}, b"")),
            "action": "remediated",
            "policy_action": decision.action.value,
            "remediation": how,
            "remediation_result": outcome,
            "post_id": atrest.safe_id(pipeline.hash_key, post_id, verified=True),
            **({"readback_for": list(job.readback_for)} if job.readback_for else {}),
            "_content": [
                {"path": atrest.safe_field_path(pipeline.hash_key, s.item.path), "text": s.item.text,
                 "findings": [{"entity_type": f.entity_type, "start": f.start, "end": f.end} for f in s.findings]}
                for s in decision.scanned
            ],
        })
        record_id = await pipeline.archive.append(record)
        kinds = ", ".join(sorted({f.entity_type for _, f in decision.findings})) or "none"
        where = f"~{ctx.channel_name}" if atrest.shown_name(ctx.channel_name) else "a channel"
        done = {"patched": "replaced its text with the redacted text", "deleted": "deleted the post",
                "impossible": "could not remove the post"}[how]
        what = ("a moved thread" if job.route == "posts.move" else
                f"the link preview Mattermost fetched for a post ({job.route})" if preview and job.shown is not None
                else f"an integration's post or its link preview ({job.route})" if preview else
                f"an integration's answer ({job.route})")
        if job.readback_for:
            what = (f"an integration's post or its link preview, read back after {', '.join(job.readback_for)}"
                    if preview else f"an integration's post, read back after {', '.join(job.readback_for)}")
        text = (f"DLP REMEDIATED: {what} put {kinds} into a post in {where}; "
                f"the gateway {done}" + ("" if outcome == "ok" else
                                         ": no bot token (DLP_NOTIFY_TOKEN), remove the post by hand"
                                         if how == "impossible" else
                                         f", but Mattermost refused it ({outcome}): remove the post by hand") +
                f". Rule: {decision.rule_id or '-'} · record {record_id} · request {job.request_id}")
        await self._alert(decision, policy, text, record_id)

    async def _remediate(self, post_id: str, ex: Any, decision: Decision, policy: Any, *,
                         redact: bool) -> tuple[str, str]:
        """("patched" | "deleted", "ok" | what went wrong)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            if redact:
                new = json.loads(self.pipeline._redacted_body(ex, decision, policy.redact_footnote))
                patch = {"message": new.get("message", "")}
                if "props" in new:
                    patch["props"] = new["props"]
                resp = await asyncio.wait_for(
                    self.upstream.put(f"/api/v4/posts/{post_id}/patch", json=patch, headers=headers), self.timeout)
                how = "patched"
            else:
                resp = await asyncio.wait_for(self.upstream.delete(f"/api/v4/posts/{post_id}", headers=headers),
                                              self.timeout)
                how = "deleted"
        except (httpx.HTTPError, TimeoutError) as exc:
            return ("patched" if redact else "deleted"), type(exc).__name__
        return how, "ok" if resp.status_code < 300 else f"status {resp.status_code}"

    async def _unchecked(self, job: Job, why: str, reason: str, *, text: str = "") -> None:
        """Fail closed where nothing else can be done: archive, then alert compliance."""
        req = GatewayRequest("POST", job.target, {}, b"", client_ip=job.client_ip, request_id=job.request_id)
        record_id = await self.pipeline.record_failure(req, reason=reason, error=why, action=Action.FAIL_OPEN,
                                                       route_name=job.route)
        what = ("a moved thread" if job.route == "posts.move" else
                f"a post's link preview ({job.route})" if job.route in PREVIEW_ROUTES else
                f"an integration's answer ({job.route})")
        text = (text or f"DLP UNCHECKED: {what} could not be checked: {why}. Review the channel by hand.") + (
            f" Record {record_id or '-'} · request {job.request_id}")
        await self._alert(None, self.pipeline.policy(), text, record_id or "")

    # ------------------------------------------------------------------ registrations
    async def audit_registrations(self, allowlist: Allowlist, request_id: str, *, per_page: int = 200,
                                  max_pages: int = 50) -> int:
        """The outgoing webhooks and slash commands already registered in Mattermost
        (before the gateway, or where it cannot see: the System Console's own requests
        do pass it, ``mmctl --local`` or a plugin's ``CreateCommand`` do not) whose URLs
        are not on the allowlist: each is archived (a ``failure`` record,
        ``integration-registration-not-allowed``; its id, never its URL) and compliance is
        alerted, since what it answers is posted unchecked.  Run once at the gateway's
        start; a listing that fails is archived and alerted too.  Returns how many.

        Listed with the bot token as Mattermost lists them for a system admin:
        api4/webhook.go ``getOutgoingHooks`` (no team or channel: every hook), api4/team.go
        ``getAllTeams``, api4/command.go ``listCommands`` with ``custom_only=true``
        (``ListTeamCommandsByUser``: the full ``model.Command``, its ``url`` included)."""
        job = Job("integrations.audit", request_id, "/api/v4/hooks/outgoing", {}, "")
        if not self.token:
            await self._unchecked(job, "no bot token to list them with", "integration-registrations-unchecked",
                                  text="DLP UNCHECKED: the outgoing webhooks and slash commands registered in "
                                       "Mattermost could not be listed (no bot token).")
            return 0
        found: list[tuple[str, str, str]] = []  # (what, id, its API path)
        try:
            for hook in await self._pages("/api/v4/hooks/outgoing?", per_page, max_pages):
                urls = hook.get("callback_urls")
                if not hook.get("delete_at") and isinstance(urls, list) and any(
                        not isinstance(u, str) or not allowlist.allows(u) for u in urls):
                    found.append(("outgoing webhook", str(hook.get("id", "")), "/api/v4/hooks/outgoing/"))
            for team in await self._pages("/api/v4/teams?", per_page, max_pages):
                team_id = str(team.get("id", ""))
                if not atrest.is_id(team_id):
                    continue
                resp = await self._get(f"/api/v4/commands?team_id={team_id}&custom_only=true")
                resp.raise_for_status()
                for cmd in resp.json() or []:
                    url = cmd.get("url") if isinstance(cmd, dict) else None
                    if isinstance(cmd, dict) and not cmd.get("delete_at") and not cmd.get("plugin_id") and (
                            not isinstance(url, str) or not allowlist.allows(url)):
                        found.append(("slash command", str(cmd.get("id", "")), "/api/v4/commands/"))
        except (httpx.HTTPError, TimeoutError, ValueError, AttributeError) as exc:
            await self._unchecked(job, f"the registrations could not be listed ({type(exc).__name__})",
                                  "integration-registrations-unchecked",
                                  text="DLP UNCHECKED: the outgoing webhooks and slash commands registered in "
                                       f"Mattermost could not be listed ({type(exc).__name__}).")
            return 0
        for what, reg_id, path in found:
            await self._report(job, what, reg_id, path)
        return len(found)

    async def _pages(self, path: str, per_page: int, max_pages: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in range(max_pages):
            resp = await self._get(f"{path}page={page}&per_page={per_page}")
            resp.raise_for_status()
            batch = resp.json()
            if not isinstance(batch, list):
                raise ValueError("not a list")
            out.extend(b for b in batch if isinstance(b, dict))
            if len(batch) < per_page:
                return out
        raise ValueError("more pages than the gateway reads")

    async def _alert(self, decision: Decision | None, policy: PolicyEngine, text: str, record_id: str) -> None:
        channel = (decision.alert_channel_id if decision is not None else None) or policy_alert_channel(policy)
        if not channel or not self.token:
            # A warning, not an error: mitmproxy's errorcheck ends a gateway that logs an error
            # while starting, and the start-up report of registered integrations alerts too.
            # The record is archived either way.
            log.warning("integration response alert not sent: %s", "no alert channel" if not channel else
                        "no bot token to post it with", extra={"record_id": record_id})
            return
        try:
            resp = await asyncio.wait_for(self.upstream.post(
                "/api/v4/posts", json={"channel_id": channel, "message": text,
                                       "props": {"from_dlp_proxy": True, "dlp_record_id": record_id}},
                headers={"Authorization": f"Bearer {self.token}"}), self.timeout)
            if resp.status_code >= 300:
                log.warning("integration response alert refused", extra={"status": resp.status_code})
        except (httpx.HTTPError, TimeoutError):
            log.warning("integration response alert not sent", extra={"record_id": record_id})


def moved_posts(found: Iterable[Any]) -> list[dict[str, Any]]:
    """The posts of the threads moved into a channel, among its posts since the move.

    app/post.go MoveThread -> CopyWranglerPostlist creates every post of the thread again
    in the target (root first, new ids, the authors kept), then a ``system_wrangler``
    post whose ``RootId`` is the new root: each such post names a moved thread, and
    that root and its replies are what the move put there (system posts excepted)."""
    posts = [p for p in found if isinstance(p, dict)]
    roots = {str(p.get("root_id")) for p in posts if p.get("type") == WRANGLER_TYPE and p.get("root_id")}
    return [p for p in posts if (str(p.get("id")) in roots or str(p.get("root_id", "")) in roots)
            and not str(p.get("type", "")).startswith("system_")]


def _from_integration(post: Mapping[str, Any]) -> bool:
    """A post Mattermost marks as a webhook's or a bot's (model.PostPropsFromWebhook,
    PostPropsFromBot)."""
    props = post.get("props")
    return isinstance(props, dict) and any(str(props.get(k, "")).lower() == "true" for k in ("from_webhook", "from_bot"))


def policy_alert_channel(policy: PolicyEngine) -> str | None:
    """The policy's default alert channel, when it has Mattermost's id shape."""
    value = policy.alert_channel_id
    return value if value is not None and atrest.is_id(value) else None

