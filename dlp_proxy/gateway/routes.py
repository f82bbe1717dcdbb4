"""The declarative route table: every Mattermost route that can carry content.

Four kinds of entries, all matched against the *normalized* path
(dlp_proxy.gateway.paths.normalize_path):

- ``CONTENT_ROUTES``: known routes that put content in front of people.  Each
  says how Mattermost's handler reads its body (``Body``: the Go source each kind
  follows is named on the kind and in docs/architecture.md "How bodies are
  read"), where the channel id sits, and the route group policies scope on
  (posts, edits, files, headers, webhooks...).
- ``DENIED_ROUTES``: answered with a 403 AppError, never forwarded
  (``/api/v5/graphql`` existed only behind a feature flag and was removed).
- ``QUERY_ROUTES``: body-less reads whose query string Mattermost hands to a plugin
  or an integration: the query is judged like a body when it is not trivial.
- ``NO_CONTENT_ROUTES``: writes that carry no user-visible content (search,
  credentials, read markers...).  They pass without inspection.  A credential
  route is here on purpose: passwords must never be scanned, archived or held.

Any other request but a body-less GET/HEAD/OPTIONS (``READ_METHODS``: DELETE,
PROPFIND, made-up verbs, and a read method *with* a body included) is an
*unknown write* and goes through the ``unknown_write`` rule (default: inspect
every string in the body generically and apply the policy).  So a route
Mattermost adds tomorrow is inspected, not waved through;
tests/test_gateway_routes.py holds this table against the list of every v4
write operation in shared/data/mattermost-v4-write-operations.tsv.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cache

from dlp_proxy.model import MATTERMOST_ID

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: the only methods read without inspection, and only without a body.  Every other
#: method (DELETE, PROPFIND, a made-up verb...) may carry content to a handler that
#: reads it: a plugin's ServeHTTP gets the raw request whatever its method
#: (server/channels/app/plugin_requests.go ServePluginRequest -> servePluginRequest
#: -> hooks.ServeHTTP; the plugin router matches no method), so it is judged like a write.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
INSPECTED_PREFIXES = ("/api/", "/hooks/", "/plugins/")


class Body(enum.StrEnum):
    """How Mattermost's handler reads the body (extract.py reads it the same way;
    docs/architecture.md "How bodies are read" cites the Go source of each).

    No kind decodes a request Content-Encoding: Go's net/http never does, so
    Mattermost reads (and stores) the bytes as sent.  The gateway refuses an
    encoded body on every kind but ``ANY`` (pipeline.decode_and_extract)."""

    #: ``json.NewDecoder(r.Body).Decode`` / ``model.XFromJSON`` (api4/*.go): one JSON
    #: document whatever the Content-Type; anything else is refused
    JSON = "json"
    #: web/webhook.go incomingWebhook: form ``payload=`` (body, then query), multipart
    #: values, or JSON (model.IncomingWebhookRequestFromJSON: decoded, and on an error
    #: decoded again with raw LF/TAB escaped), chosen by Content-Type in two ways across
    #: versions: every reading is inspected
    WEBHOOK = "webhook"
    #: web/webhook.go commandWebhook, model.CommandResponseFromHTTPBody: JSON, or the
    #: whole body as the response text: both readings are inspected
    COMMAND_WEBHOOK = "command_webhook"
    #: api4/file.go uploadFileStream, user.go setProfileImage: Go mime/multipart when
    #: ``mime.ParseMediaType`` says multipart/form-data, else the raw body is the file
    FILES = "files"
    #: api4/upload.go doUploadData: the first multipart part, or the raw body, appended
    #: to an upload session (app/upload.go UploadData)
    UPLOAD_CHUNK = "upload_chunk"
    #: a route nobody described (unknown writes, plugins): every reading, and a body
    #: that is a document, archive or compressed stream goes to the file scanner
    ANY = "any"


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    group: str
    method: str
    template: str
    body: Body = Body.JSON
    #: where the channel id is: "body.<dotted.path>", "path.<param>", "query.<param>",
    #: "upload.channel_id" (the upload session Mattermost holds)
    channel_from: str | None = None
    #: where the post id is, for edits: its channel is looked up through the post
    post_from: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.template)


@cache
def _compile(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{([a-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template.lower()))
    regex = regex.replace(r"\*\*", ".*")
    return re.compile("^" + regex + "$")


R = Route
CONTENT_ROUTES: tuple[Route, ...] = (
    # --- posts (api4/post.go, scheduled_post.go, drafts.go)
    R("posts.create", "posts", "POST", "/api/v4/posts", channel_from="body.channel_id"),
    R("posts.ephemeral", "posts", "POST", "/api/v4/posts/ephemeral", channel_from="body.post.channel_id"),
    R("posts.update", "edits", "PUT", "/api/v4/posts/{post_id}", post_from="path.post_id", channel_from="body.channel_id"),
    R("posts.patch", "edits", "PUT", "/api/v4/posts/{post_id}/patch", post_from="path.post_id"),
    R("posts.move", "posts", "POST", "/api/v4/posts/{post_id}/move", channel_from="body.channel_id"),
    R("posts.rewrite", "posts", "POST", "/api/v4/posts/rewrite"),
    R("ai.rewrite", "posts", "POST", "/api/v4/ai/rewrite"),
    R("posts.schedule.create", "scheduled", "POST", "/api/v4/posts/schedule", channel_from="body.channel_id"),
    R("posts.schedule.update", "scheduled", "PUT", "/api/v4/posts/schedule/{scheduled_post_id}", channel_from="body.channel_id"),
    R("drafts.upsert", "drafts", "POST", "/api/v4/drafts", channel_from="body.channel_id"),
    R("cards.create", "posts", "POST", "/api/v4/cards", channel_from="body.channel_id"),
    R("cards.update", "edits", "PUT", "/api/v4/cards/{post_id}", post_from="path.post_id"),
    R("cards.patch", "edits", "PUT", "/api/v4/cards/{post_id}/patch", post_from="path.post_id"),
    # --- files (api4/file.go, upload.go)
    R("files.upload", "files", "POST", "/api/v4/files", Body.FILES, channel_from="query.channel_id"),
    R("uploads.create", "uploads", "POST", "/api/v4/uploads", channel_from="body.channel_id"),
    # the chunk lands in its session's channel (app/upload.go UploadData reads the stored session)
    R("uploads.chunk", "uploads", "POST", "/api/v4/uploads/{upload_id}", Body.UPLOAD_CHUNK, channel_from="upload.channel_id"),
    R("users.image", "profile", "POST", "/api/v4/users/{user_id}/image", Body.FILES),
    # --- shared channels: a remote cluster's upload session and profile images
    # (api4/remote_cluster.go uploadRemoteData -> doUploadData; remoteSetProfileImage
    # -> ParseMultipartForm), and its message frames (remoteClusterAcceptMessage: JSON)
    R("remotecluster.upload", "files", "POST", "/api/v4/remotecluster/upload/{upload_id}", Body.UPLOAD_CHUNK),
    R("remotecluster.image", "profile", "POST", "/api/v4/remotecluster/{user_id}/image", Body.FILES),
    R("remotecluster.msg", "shared", "POST", "/api/v4/remotecluster/msg"),
    # --- other uploads that carry files people see or that are imported as content
    # (multipart: api4/emoji.go, team.go setTeamIcon/importTeam, bot.go, brand.go,
    # plugin.go uploadPlugin): judged by content like any file
    R("emoji.create", "files", "POST", "/api/v4/emoji", Body.FILES),
    R("teams.image", "profile", "POST", "/api/v4/teams/{team_id}/image", Body.FILES),
    R("teams.import", "files", "POST", "/api/v4/teams/{team_id}/import", Body.FILES),
    R("bots.icon", "profile", "POST", "/api/v4/bots/{bot_user_id}/icon", Body.FILES),
    R("brand.image", "profile", "POST", "/api/v4/brand/image", Body.FILES),
    R("plugins.upload", "files", "POST", "/api/v4/plugins", Body.FILES),
    # --- webhooks and commands (web/webhook.go, api4/command.go)
    R("hooks.incoming", "webhooks", "POST", "/hooks/{hook_id}", Body.WEBHOOK),
    R("hooks.command_response", "webhooks", "POST", "/hooks/commands/{hook_id}", Body.COMMAND_WEBHOOK),
    R("commands.execute", "commands", "POST", "/api/v4/commands/execute", channel_from="body.channel_id"),
    # registrations of integrations Mattermost calls and whose answers it posts
    # (api4/webhook.go createOutgoingHook/updateOutgoingHook, api4/command.go
    # createCommand/updateCommand: json.NewDecoder into model.OutgoingWebhook /
    # model.Command): their URLs are checked against the integration allowlist
    # (gateway/integrations.py).  The hook's id is not ``hook_id``: that names an
    # incoming webhook as the sender.
    R("hooks.outgoing.create", "webhooks", "POST", "/api/v4/hooks/outgoing"),
    R("hooks.outgoing.update", "webhooks", "PUT", "/api/v4/hooks/outgoing/{outgoing_hook_id}"),
    R("commands.create", "commands", "POST", "/api/v4/commands"),
    R("commands.update", "commands", "PUT", "/api/v4/commands/{command_id}"),
    # --- interactive messages (api4/integration_action.go)
    R("actions.post", "actions", "POST", "/api/v4/posts/{post_id}/actions/{action_id}", post_from="path.post_id"),
    R("actions.dialog_submit", "actions", "POST", "/api/v4/actions/dialogs/submit", channel_from="body.channel_id"),
    R("actions.dialog_open", "actions", "POST", "/api/v4/actions/dialogs/open"),
    # --- channels: names, headers, purposes (api4/channel.go)
    R("channels.create", "channels", "POST", "/api/v4/channels"),
    R("channels.update", "headers", "PUT", "/api/v4/channels/{channel_id}", channel_from="path.channel_id"),
    R("channels.patch", "headers", "PUT", "/api/v4/channels/{channel_id}/patch", channel_from="path.channel_id"),
    R("channels.convert", "channels", "POST", "/api/v4/channels/{channel_id}/convert_to_channel", channel_from="path.channel_id"),
    R("channels.views.create", "channels", "POST", "/api/v4/channels/{channel_id}/views", channel_from="path.channel_id"),
    R("channels.views.patch", "channels", "PATCH", "/api/v4/channels/{channel_id}/views/{view_id}", channel_from="path.channel_id"),
    R("bookmarks.create", "bookmarks", "POST", "/api/v4/channels/{channel_id}/bookmarks", channel_from="path.channel_id"),
    R("bookmarks.patch", "bookmarks", "PATCH", "/api/v4/channels/{channel_id}/bookmarks/{bookmark_id}", channel_from="path.channel_id"),
    # --- teams (display name, description, invite messages)
    R("teams.create", "teams", "POST", "/api/v4/teams"),
    R("teams.update", "teams", "PUT", "/api/v4/teams/{team_id}"),
    R("teams.patch", "teams", "PUT", "/api/v4/teams/{team_id}/patch"),
    # --- profile (api4/user.go, status.go)
    R("users.update", "profile", "PUT", "/api/v4/users/{user_id}"),
    R("users.patch", "profile", "PUT", "/api/v4/users/{user_id}/patch"),
    R("users.custom_status", "profile", "PUT", "/api/v4/users/{user_id}/status/custom"),
    # names shown in place of ``@username`` (nickname, first and last name; a bot's
    # display name is its user's first name: model.UserFromBot): api4/user.go
    # createUser (json into model.User), api4/bot.go createBot, patchBot
    # (model.BotPatch), convertBotToUser (model.UserPatch); gateway/mentions.py
    R("users.create", "profile", "POST", "/api/v4/users"),
    R("bots.create", "profile", "POST", "/api/v4/bots"),
    R("bots.patch", "profile", "PUT", "/api/v4/bots/{bot_user_id}"),
    R("bots.convert_to_user", "profile", "POST", "/api/v4/bots/{bot_user_id}/convert_to_user"),
    # --- wiki pages (newer servers)
    R("wikis.write", "pages", "POST", "/api/v4/wikis/**"),
    R("wikis.update", "pages", "PUT", "/api/v4/wikis/**"),
    R("wikis.patch", "pages", "PATCH", "/api/v4/wikis/**"),
    # --- Playbooks plugin: runs, status updates, checklists, retrospectives
    R("playbooks.post", "playbooks", "POST", "/plugins/playbooks/**", Body.ANY),
    R("playbooks.put", "playbooks", "PUT", "/plugins/playbooks/**", Body.ANY),
    R("playbooks.patch", "playbooks", "PATCH", "/plugins/playbooks/**", Body.ANY),
)

#: Body-less reads (GET/HEAD/OPTIONS) whose *query string* Mattermost hands to a plugin
#: or an integration: inspected like a body (items ``query.<name>``), decided by the
#: policy, archived, refused with a 403 AppError when stopped (never held: there is no
#: write to release), when the query is not trivial (``query_is_trivial``) or what else the
#: handler gets holds something (a plugin's path after its id and its headers:
#: ``Pipeline.read_passes``); every other body-less read passes unread.  Route names end
#: in ``.query``.  The reads whose query leaves the firm (``EGRESS_QUERY_ROUTES``) are
#: judged whatever the query's shape.
#:
#: - ``/plugins/{plugin_id}/**``: server/channels/app/plugin_requests.go
#:   ServePluginRequest -> servePluginRequest hands the whole request, query and
#:   headers included, to the plugin's ServeHTTP whatever its method (Playbooks first:
#:   its own policy group);
#: - ``GET /api/v4/teams/{team_id}/commands/autocomplete_suggestions``: api4/command.go
#:   listCommandAutocompleteSuggestions reads ``user_input`` (and ``channel_id``) from
#:   the query; app/command_autocomplete.go getDynamicListArgument puts it in the
#:   query of a GET to the command's dynamic-list FetchURL (doPluginRequest: the
#:   plugin's ServeHTTP).
QUERY_ROUTE_SUFFIX = ".query"
#: Body-less reads whose query Mattermost sends out of the firm, or answers with a
#: redirect carrying it to another site: every name and value is read (a URL value also
#: as a request target: ``pipeline.egress_items``) whatever its shape, gated by the
#: detector's own check (``Engine.could_find``) so a clean link costs no scan, and
#: judged like a body when something may be there.  An identifier in a URL Mattermost
#: fetches or redirects to is a leak: refused 403 (an AppError), archived, never held.
#:
#: - ``/api/v4/redirect_location``: api4/system.go getRedirectLocation reads
#:   ``r.URL.Query().Get("url")`` and sends ``client.Head(url)`` to that host (the web
#:   app asks for every link it previews), caching the answer by the URL;
#: - ``/api/v4/image``: api4/image.go getImage reads ``url``; with the image proxy on,
#:   Mattermost fetches it (ImageProxy.GetImage), else it redirects the browser there;
#: - ``/oauth/**`` (web/oauth.go): ``authorize`` (authorizeOAuthPage: ``state`` goes back
#:   to the OAuth app in the redirect to ``redirect_uri``, ``client_id``/``scope`` into the
#:   audit record, the whole request URI into ``/login?redirect_to=``), ``{service}/login``
#:   (``redirect_to``, ``login_hint``, ``desktop_token`` into the state and the redirect to
#:   the identity provider: app/oauth.go GetOAuthLoginEndpoint), ``mobile_login``,
#:   ``signup``, ``{service}/complete`` (``code`` is sent to the provider's token
#:   endpoint); the older ``complete`` spellings under ``/signup``, ``/login`` and
#:   ``/api/v3/oauth`` (they also make a session from the headers: ``headers.session_read``);
#: - ``/login/sso/saml`` (web/saml.go loginWithSaml): ``redirect_to``, ``action``,
#:   ``email_token``, ``desktop_token`` go into the RelayState sent to the SAML provider;
#: - ``/api/v4/system/ping`` (api4/system.go getSystemPing): ``r.FormValue("device_id")``
#:   is the device a test push notification is sent to through the push proxy
#:   (app SendTestPushNotification); clients ping often, mostly with no query;
#: - ``/api/v4/plugins/marketplace`` (api4/plugin.go getMarketplacePlugins ->
#:   parseMarketplacePluginFilter): ``filter`` and the rest go in the query of the
#:   request to the plugin marketplace (app GetMarketplacePlugins).
EGRESS_QUERY_ROUTES: tuple[Route, ...] = (
    R("redirect_location.query", "unknown", "GET", "/api/v4/redirect_location", Body.ANY),
    R("image.query", "unknown", "GET", "/api/v4/image", Body.ANY),
    R("oauth.query", "unknown", "GET", "/oauth/**", Body.ANY),
    R("oauth.complete.query", "unknown", "GET", "/signup/{service}/complete", Body.ANY),
    R("oauth.complete.query", "unknown", "GET", "/login/{service}/complete", Body.ANY),
    R("oauth.complete.query", "unknown", "GET", "/api/v3/oauth/{service}/complete", Body.ANY),
    R("saml.query", "unknown", "GET", "/login/sso/saml", Body.ANY),
    R("system.ping.query", "unknown", "GET", "/api/v4/system/ping", Body.ANY),
    R("marketplace.query", "unknown", "GET", "/api/v4/plugins/marketplace", Body.ANY),
)
EGRESS_QUERY_ROUTE_NAMES = frozenset(r.name for r in EGRESS_QUERY_ROUTES)
QUERY_ROUTES: tuple[Route, ...] = (
    *EGRESS_QUERY_ROUTES,
    R("playbooks.query", "playbooks", "GET", "/plugins/playbooks/**", Body.ANY),
    R("plugins.query", "unknown", "GET", "/plugins/**", Body.ANY),
    R("commands.autocomplete.query", "commands", "GET", "/api/v4/teams/{team_id}/commands/autocomplete_suggestions",
      Body.ANY, channel_from="query.channel_id"),
)

#: a query's words that carry nothing to inspect: ids (no run of 5 digits) and words of
#: ``[A-Za-z0-9_.:-]`` that hold, all together, at most ``_TRIVIAL_DIGITS`` digits
_WORD = re.compile(r"[A-Za-z0-9_.:\-]{0,64}")
_DIGITS_RUN = re.compile(r"[0-9]{5}")
_TRIVIAL_DIGITS = 4


def query_is_trivial(query: str) -> bool:
    """Whether a ``QUERY_ROUTES`` read's query string (as sent, without ``?``) needs no
    inspection: empty, or every name and value (percent-decoded, ``+`` as a space) an
    id or a comma-separated list of words, with at most 4 digits in the whole query
    outside ids (``page=0&per_page=60``, ``statuses=InProgress,Finished``: a number
    cut into several values is not trivial).  Anything else is read.

    The shape only: a trivial query still passes unread only when the detector's own
    gate proves its words (and on a plugin's route its path and headers) empty, or they
    were scanned clean (``Pipeline.read_passes``): number words and look-alike letters
    walk around a digit count."""
    if not query:
        return True
    if len(query) > 2048:
        return False
    from urllib.parse import unquote_plus

    digits = 0
    for pair in query.split("&"):
        for part in pair.split("=", 1):
            text = unquote_plus(part)
            for word in text.split(","):
                if MATTERMOST_ID.fullmatch(word) and not _DIGITS_RUN.search(word):
                    continue
                if "%" in word or not _WORD.fullmatch(word):
                    return False
                digits += sum(c.isdigit() for c in word)
    return digits <= _TRIVIAL_DIGITS


DENIED_ROUTES: tuple[tuple[str, str], ...] = (
    # (template, reason)
    ("/api/v5/**", "the GraphQL API (/api/v5/graphql) is not used by Mattermost clients and is denied"),
)

# Writes that carry nothing shown to other people.  Keep this list short and
# obvious: everything not here and not a content route is inspected generically.
NO_CONTENT_ROUTES: tuple[tuple[str, str, str, str], ...] = (
    # (method or "*", template, reason, shape).  The shape is what the body must be
    # (extract.no_content_shape_error; anything else is refused with a 400 AppError):
    # "typing", "view", "refs" (ids, booleans and small numbers only), "ids", "names",
    # "empty"; "credentials" and "search" bodies are never read (passwords must not be
    # scanned or archived; search terms are shown to nobody) but for the fields of a
    # credential route Mattermost stores (pipeline.credential_fields), "telemetry" takes names
    # with at most 3 digits, versions and ids only (extract._telemetry_string_ok)
    ("*", "/api/v4/users/login", "credentials", "credentials"),
    ("*", "/api/v4/users/login/**", "credentials", "credentials"),
    ("*", "/api/v4/users/logout", "session", "empty"),
    ("*", "/api/v4/users/password/**", "credentials", "credentials"),
    ("*", "/api/v4/users/{user_id}/password", "credentials", "credentials"),
    ("*", "/api/v4/users/mfa", "credentials", "credentials"),
    ("*", "/api/v4/users/mfa/**", "credentials", "credentials"),
    ("*", "/api/v4/users/{user_id}/mfa", "credentials", "credentials"),
    ("*", "/api/v4/users/{user_id}/mfa/**", "credentials", "credentials"),
    ("*", "/api/v4/users/{user_id}/auth", "credentials", "credentials"),
    ("*", "/oauth/**", "credentials", "credentials"),
    ("*", "/api/v4/users/tokens/revoke", "credentials", "credentials"),
    ("*", "/api/v4/users/tokens/disable", "credentials", "credentials"),
    ("*", "/api/v4/users/tokens/enable", "credentials", "credentials"),
    ("*", "/api/v4/users/tokens/rotate", "credentials", "credentials"),
    ("*", "/api/v4/users/{user_id}/sessions/revoke", "credentials", "credentials"),
    ("*", "/api/v4/users/{user_id}/typing", "typing indicator", "typing"),
    ("*", "/api/v4/channels/members/{user_id}/view", "read marker", "view"),
    ("*", "/api/v4/channels/members/{user_id}/mark_read", "read marker", "refs"),
    ("*", "/api/v4/users/{user_id}/posts/{post_id}/set_unread", "read marker", "refs"),
    ("*", "/api/v4/client_perf", "client telemetry", "telemetry"),
    ("*", "/api/v4/perf", "client telemetry", "telemetry"),
    ("POST", "/api/v4/posts/ids", "lookup by ids", "ids"),
    ("POST", "/api/v4/posts/ids/reactions", "lookup by ids", "ids"),
    ("POST", "/api/v4/users/ids", "lookup by ids", "ids"),
    ("POST", "/api/v4/users/usernames", "lookup by names", "names"),
    ("POST", "/api/v4/users/status/ids", "lookup by ids", "ids"),
    ("POST", "/api/v4/channels/stats/member_count", "lookup by ids", "ids"),
    ("POST", "/api/v4/teams/{team_id}/channels/ids", "lookup by ids", "ids"),
    ("POST", "/api/v4/emoji/names", "lookup by names", "names"),
    ("POST", "/api/v4/roles/names", "lookup by names", "names"),
    ("POST", "/api/v4/groups/names", "lookup by names", "names"),
    # Searches: the terms are shown to nobody.  A compliance officer searching for
    # an account number must not be blocked.
    ("POST", "/api/v4/posts/search", "search", "search"),
    ("POST", "/api/v4/teams/{team_id}/posts/search", "search", "search"),
    ("POST", "/api/v4/**/search", "search", "search"),
    ("POST", "/api/v4/files/search", "search", "search"),
    ("POST", "/api/v4/omnisearch/search", "search", "search"),
)


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # "content" | "denied" | "no_content" | "unknown_write" | "query" | "passthrough"
    route: Route | None = None
    params: dict[str, str] | None = None
    reason: str = ""
    #: for "no_content": what its body must look like (see NO_CONTENT_ROUTES)
    shape: str = ""


UNKNOWN_ROUTE = Route("unknown", "unknown", "*", "/**", Body.ANY)


def match(method: str, path: str, *, has_body: bool = False) -> Match:
    """Classify a request; ``path`` must already be normalized.  A GET, HEAD or
    OPTIONS passes unread only without a body (``has_body``): with one it is judged
    like an unknown write, on any route (a plugin reads what it likes)."""
    method = method.upper()
    for template, reason in DENIED_ROUTES:
        if _compile(template).match(path):
            return Match("denied", reason=reason)
    if method in READ_METHODS:
        if not has_body:
            for route in QUERY_ROUTES:
                m = route.pattern.match(path)
                if m:
                    # its query is read when not trivial (pipeline: ``query_is_trivial``)
                    return Match("query", route, m.groupdict())
            return Match("passthrough")
        return Match("unknown_write", UNKNOWN_ROUTE, {})
    for route in CONTENT_ROUTES:
        if route.method != method:
            continue
        m = route.pattern.match(path)
        if m:
            return Match("content", route, m.groupdict())
    for rmethod, template, reason, shape in NO_CONTENT_ROUTES:
        if rmethod in ("*", method) and _compile(template).match(path):
            return Match("no_content", reason=reason, shape=shape)
    if path.startswith(INSPECTED_PREFIXES) or path in ("/api", "/hooks", "/plugins"):
        return Match("unknown_write", UNKNOWN_ROUTE, {})
    # Writes outside the API (static files, the web app) carry no content to
    # Mattermost's database; still inspected generically, to be safe.
    return Match("unknown_write", UNKNOWN_ROUTE, {})
