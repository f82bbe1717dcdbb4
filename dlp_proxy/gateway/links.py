"""Strict link previews: ``props.unsafe_links`` set before Mattermost sees a post.

Mattermost fetches a post's first autolink itself and shows every reader the page's
OpenGraph title and description; readers' clients load markdown images from remote
hosts.  The gateway can judge a preview only after it was made, stored and broadcast
(docs/architecture.md "Link previews", B10), and never sees a remote image (B7).

The post prop ``unsafe_links: "true"`` stops both before they exist, in the Mattermost
versions that have it (server/public/model/post.go ``PostPropsUnsafeLinks``,
``HasUnsafeLinks``: the string ``"true"`` only; mattermost/mattermost#26098):
server/channels/app/post_metadata.go ``getEmbedsAndImages`` returns before
``getEmbedForPost`` unless the first link is a permalink, and ``getImagesForPost``
returns no images.  So with ``DLP_LINK_PREVIEWS=allowlist`` (or ``off``) the gateway
adds it to the body it forwards of a post whose strings hold a link or an image on a
host not in ``DLP_LINK_PREVIEW_HOSTS`` (``off``: any host).

Links are found the fail-closed way: every ``//`` (in the text as it is, and again
with backslashes as slashes, as browsers read a URL; tabs or line breaks between the
two slashes dropped) and every ``www.`` starts an authority (markdown/autolink.go
``parseWWWAutolink``: ``www\\d{0,3}\\.``); an authority is allowlisted only when it is
exactly a host name (letters, digits, dots, hyphens; a port) on the list.  Anything
else (userinfo, percent-escapes, non-ASCII, a doubled slash in a path) counts as a
host not on the list: the post loses its preview, never the other way round.  The
text is also read markdown-unescaped (character references such as ``&#47;``,
``&sol;``, ``&#x2F;`` decoded, backslash escapes dropped: markdown/inlines.go
``Unescape``, which Mattermost applies to link and image destinations and reference
definitions, as CommonMark clients do), and a special scheme followed by no ``//``
(``http:evil.example/a.png``: a browser on an https page reads the authority after
the colon) starts an authority too; so a link to an allowlisted host spelled with
character references also loses its preview (its undecoded reading is no host name).

``props`` is rewritten as Go reads it (``model.Post``/``model.PostPatch``/
``model.ScheduledPost`` ``Props StringInterface `json:"props"```): every top-level
key whose ``go_field_name`` is ``props`` decodes, in document order, into the one
map (encoding/json reuses a non-nil map: an object's keys are added, the last of an
exact duplicate key wins; ``null`` sets the map to nil).  The forwarded body has all
of those keys replaced by one ``props`` key, last, holding that map plus
``unsafe_links: "true"``.  A ``props`` that is neither an object nor null makes
Mattermost refuse the post (``json.NewDecoder(r.Body).Decode``: UnmarshalTypeError,
400): the body is left as it is.

A patch (``PUT /api/v4/posts/{id}/patch``) is a ``model.PostPatch`` whose ``Props
*StringInterface`` replaces the post's props whole when it is set and leaves them
as they are when it is not (server/public/model/post.go ``Post.Patch``: ``if
patch.Props != nil { o.SetProps(*patch.Props) }``; app/post.go ``PatchPost`` ->
``UpdatePost`` with ``SafeUpdate: false``, which copies the patched post's props
over the stored ones).  So a patch with no props (absent, or ``null``: a nil
pointer) cannot simply gain ``props: {"unsafe_links": "true"}``: every other prop
of the post (attachments, a webhook's ``override_username``, a reply's
``previewed_post``...) would be dropped.  The gateway reads the post's props with
the caller's token (``GET /api/v4/posts/{id}``, api4/post.go getPost) and sends
them back with ``unsafe_links`` (``current_props``, ``keep_current_props``); a post
that has ``unsafe_links`` already is forwarded as it came.  A post it cannot read
is refused (fail closed).  Limits: a props change made by someone else between
that read and Mattermost's patch is undone; with
``ServiceSettings.ExperimentalEnableHardenedMode`` a patch by a user session of a
post holding props reserved for integrations (``from_webhook``,
``override_username``... model.ContainsIntegrationsReservedProps) is refused by
Mattermost (api4/post.go patchPost ``postHardenedModeCheckWithContext`` checks the
patch's props), as it would be had the client sent them."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from dlp_proxy.gateway.extract import go_field_name

#: ``DLP_LINK_PREVIEWS`` values: today's behaviour, an allowlist of hosts, no host
MODES = ("allow", "allowlist", "off")
#: the routes whose body is a post Mattermost makes a preview for (api4/post.go
#: createPost, updatePost, patchPost; api4/scheduled_post.go: sent later by the
#: scheduled post job, with the scheduled post's props)
ROUTES = frozenset({"posts.create", "posts.update", "posts.patch", "posts.schedule.create", "posts.schedule.update",
                    "hooks.incoming", "hooks.command_response"})
#: an incoming webhook (web/webhook.go incomingWebhook -> app/webhook.go
#: HandleIncomingWebhook -> CreateWebhookPost, which copies the request's ``props``
#: into the post, ``attachments``, ``override_*`` and ``from_webhook`` excepted, and
#: splitWebhookPost gives every piece of a long text those props): ``webhook_request``
WEBHOOK_ROUTES = frozenset({"hooks.incoming"})
#: a slash command's delayed response (web/webhook.go commandWebhook ->
#: app/command.go HandleCommandWebhook -> HandleCommandResponse: a post per response
#: and per ``extra_responses`` item, each with that response's props,
#: ``HandleCommandResponsePost``: ``post.SetProps(response.Props)``): ``command_response``
COMMAND_ROUTES = frozenset({"hooks.command_response"})
#: the routes whose body is a ``model.PostPatch`` (``Props *StringInterface``)
PATCH_ROUTES = frozenset({"posts.patch"})
#: model.PostPropsUnsafeLinks
UNSAFE_LINKS = "unsafe_links"

_SLASHES = re.compile(r"/[\t\r\n]*/")
_WWW = re.compile(r"(?<![A-Za-z0-9.\-_])www[0-9]{0,3}\.", re.I)
_AUTHORITY = re.compile(r"[^/?#\s]*")
_POINTY = re.compile(r"<[^<>\n]*>")
_HOST = re.compile(r"([a-z0-9](?:[a-z0-9.\-]*[a-z0-9])?)\.?(?::[0-9]{0,5})?")
#: a WHATWG "special" scheme with no ``//`` after its colon: a browser on a page of
#: another scheme reads what follows as the authority (``http:evil.example/a.png``
#: on an https site loads http://evil.example/a.png; slashes and backslashes after the
#: colon are skipped, "special authority ignore slashes state")
_SCHEME = re.compile(r"(?<![A-Za-z0-9+.\-])(?:https?|wss?|ftp|file):(?![/\\]{2})[/\\]?", re.I)
#: markdown backslash escapes (markdown/inlines.go ``Unescape``, ``isEscapableByte``)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
#: markdown and prose around a link: stripped from an authority's end only
_TRAILING = ")]}>*_~.,;:!?'\"`|"


def _decoded(text: str) -> set[str]:
    """The text as it is and as markdown reads a link destination or a reference
    definition: server/public/shared/markdown/inlines.go ``Unescape`` (used for image
    and link URLs, getFirstLinkAndImages) drops backslash escapes and decodes character
    references (``&#47;``, ``&#x2F;``, ``&sol;``), as CommonMark clients do.  Python's
    ``html.unescape`` is a superset (it also decodes some references without ``;``),
    and the decoding is repeated while it changes the text (a doubly encoded slash):
    more readings can only find more hosts."""
    found = {text}
    for _ in range(4):
        if "&" not in text and "\\" not in text:
            break
        text = html.unescape(_ESCAPE.sub(r"\1", text))
        if text in found:
            break
        found.add(text)
    return found


def _readings(text: str) -> Iterator[str]:
    """The text as Go's url.Parse reads it (Mattermost's fetch) and as a browser's URL
    parser may (backslashes as slashes), each also markdown-unescaped (``_decoded``);
    each again with tabs dropped inside ``<...>`` (a CommonMark pointy link destination
    may hold a tab, which a browser strips from a URL).  A link is allowlisted only when
    it is in every reading."""
    variants = {v for d in _decoded(text) for v in (d, d.replace("\\", "/"))}
    for reading in {_SLASHES.sub("//", v) for v in variants}:
        yield reading
        if "\t" in reading and "<" in reading:
            yield _POINTY.sub(lambda m: m.group(0).replace("\t", ""), reading)


def link_hosts(text: str) -> Iterator[str | None]:
    """The host of every link the text may hold, lower-cased; ``None`` for an
    authority that is not a plain host name (it is on no allowlist)."""
    for reading in _readings(text):
        starts = [m.end() for m in re.finditer("//", reading)]
        starts += [m.start() for m in _WWW.finditer(reading)]
        schemes = [m.end() for m in _SCHEME.finditer(reading)]
        for start in starts + schemes:
            authority = _AUTHORITY.match(reading, start).group(0).rstrip(_TRAILING)  # type: ignore[union-attr]
            if not authority and start in schemes and start not in starts:
                continue  # ``https:`` in prose: no authority follows, nothing is fetched
            m = _HOST.fullmatch(authority.lower())
            yield m.group(1) if m else None


def post_strings(doc: Any, depth: int = 0) -> Iterator[str]:
    """Every string of the body, keys and repeated keys included (what Mattermost
    reads of it is a subset: the message, the props' attachments...)."""
    if depth > 64:
        return
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        pairs: Iterable[tuple[Any, Any]] = getattr(doc, "order", None) or doc.items()
        for key, value in pairs:
            yield str(key)
            yield from post_strings(value, depth + 1)
    elif isinstance(doc, list):
        for value in doc:
            yield from post_strings(value, depth + 1)


def needs_unsafe_links(route_name: str, doc: Any, mode: str, hosts: frozenset[str]) -> bool:
    """Whether the post in ``doc`` must be forwarded with ``props.unsafe_links``."""
    if mode == "allow" or route_name not in ROUTES or not isinstance(doc, dict):
        return False
    return any(host is None or mode == "off" or host not in hosts
               for text in post_strings(doc) if any(c in text for c in "/\\:&") or "www" in text.lower()
               for host in link_hosts(text))


def go_props(doc: dict[str, Any]) -> tuple[bool, dict[str, Any] | None]:
    """``(readable, props)``: the props map Go's decoder leaves after reading ``doc``
    (None: nil), and False when a ``props`` value is neither an object nor null."""
    props: dict[str, Any] | None = None
    pairs: Iterable[tuple[Any, Any]] = getattr(doc, "order", None) or doc.items()
    for key, value in pairs:
        if go_field_name(str(key)) != "props":
            continue
        if value is None:
            props = None
        elif isinstance(value, dict):
            props = {} if props is None else props
            props.update(value)  # a _DupDict holds the last value of a repeated key
        else:
            return False, None
    return True, props


def go_fields_collapsed(doc: dict[str, Any]) -> None:
    """Rewrite ``doc`` in place so that serialising it keeps Go's reading of its
    top-level struct fields.  ``json.dumps`` writes each exact key once, where it first
    appeared, with its last value: with case variants (``channel_id``, ``Channel_ID``,
    ``channel_id``) Go would then read a different one (the variant written last, not
    the key sent last), e.g. another channel than the one judged.  Each group of keys
    Go matches to one field (``go_field_name``) becomes one key, the one sent last,
    with its value as it is now (masked by the redact action if it was); a group of
    objects is merged in document order (later keys win), as Go decodes each into the
    struct or map the earlier ones filled (one level deep: nested structs sent twice
    keep the later one)."""
    pairs: Iterable[tuple[Any, Any]] = getattr(doc, "order", None) or list(doc.items())
    groups: dict[str, list[str]] = {}
    for key, _ in pairs:
        if key in doc:  # (a key removed since it was read is gone)
            groups.setdefault(go_field_name(str(key)), []).append(str(key))
    merged: dict[str, Any] = {}
    for keys in groups.values():
        last = keys[-1]
        if len(set(keys)) > 1 and all(isinstance(doc.get(k), dict) for k in keys):
            value: Any = {}
            for k in keys:
                value.update(doc[k])
        else:
            value = doc.get(last)
        merged[last] = value
    doc.clear()
    doc.update(merged)


def can_set_unsafe_links(doc: Any) -> bool:
    return isinstance(doc, dict) and go_props(doc)[0]


def set_unsafe_links(doc: dict[str, Any]) -> None:
    """Rewrite ``doc`` in place: its props, as Go reads them, plus ``unsafe_links``,
    under one ``props`` key (the last one: nothing after it decodes into the map)."""
    readable, props = go_props(doc)
    if not readable:
        raise ValueError("props is neither an object nor null")
    for key in [k for k in doc if go_field_name(str(k)) == "props"]:
        del doc[key]
    go_fields_collapsed(doc)
    merged = dict(props or {})
    merged[UNSAFE_LINKS] = "true"
    doc["props"] = merged


def keeps_props(route_name: str, doc: Any) -> bool:
    """Whether ``doc`` is a patch that leaves the post's props as they are (Go reads
    its ``Props`` as a nil pointer: no props key, or the last one ``null``)."""
    return route_name in PATCH_ROUTES and isinstance(doc, dict) and go_props(doc) == (True, None)


class Refused(Exception):
    """The body needs ``unsafe_links`` and cannot get it: refused with ``status``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class PropsUnreadable(Refused):
    """The patched post's props could not be read."""


async def current_props(upstream: Any, post_id: str, token: str | None, timeout: float) -> dict[str, Any]:
    """The post's props as Mattermost holds them, read with the caller's own token
    (``GET /api/v4/posts/{id}``: api4/post.go getPost, ``PreparePostForClient``; an
    image-proxied attachment URL in them is turned back by patchPost's
    ``PostPatchWithProxyRemovedFromImageURLs``).  ``PropsUnreadable`` otherwise:
    404 or 403 when Mattermost would refuse the patch too (no such post, not the
    caller's to read; a 401 is answered 403), 503 when Mattermost did not answer."""
    from dlp_proxy import atrest

    if not atrest.is_id(post_id):
        raise PropsUnreadable(400, "the post id is not a Mattermost id")  # api4: RequirePostId, 400
    if upstream is None or not token:
        raise PropsUnreadable(503, "no Mattermost client or token to read the post with")
    try:
        resp = await asyncio.wait_for(upstream.get(f"/api/v4/posts/{post_id}",
                                                   headers={"Authorization": f"Bearer {token}"}), timeout)
    except Exception as exc:  # transport errors, a timeout: Mattermost did not answer
        raise PropsUnreadable(503, f"the post could not be read ({type(exc).__name__})") from None
    if resp.status_code in (401, 403, 404):
        raise PropsUnreadable(404 if resp.status_code == 404 else 403,
                              "the post could not be read with the caller's token")
    if resp.status_code != 200:
        raise PropsUnreadable(503, f"the post could not be read (status {resp.status_code})")
    try:
        body = resp.json()
    except ValueError:
        raise PropsUnreadable(503, "the post could not be read (not JSON)") from None
    props = body.get("props") if isinstance(body, dict) else None
    if props is None:
        return {}
    if not isinstance(props, dict):
        raise PropsUnreadable(503, "the post's props are not an object")
    return props


def keep_current_props(doc: dict[str, Any], current: dict[str, Any]) -> bool:
    """Make the patch ``doc`` (``keeps_props``) carry the post's ``current`` props, so
    that ``set_unsafe_links`` adds to them instead of replacing them; False (``doc``
    untouched) when the post has ``unsafe_links`` already: nothing to change."""
    if current.get(UNSAFE_LINKS) == "true":
        return False
    doc["props"] = dict(current)
    order = getattr(doc, "order", None)
    if order is not None:  # the last props key is the one Go's reading ends with
        doc.order = [*order, ("props", doc["props"])]  # type: ignore[attr-defined]
    return True


class Unrewritable(Refused):
    """A webhook that needs ``unsafe_links`` but has no one reading to rewrite (400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(400, reason)


def webhook_request(readings: list[tuple[str, Any]], mode: str, hosts: frozenset[str]) -> Any:
    """The incoming webhook's ``IncomingWebhookRequest`` to forward as JSON with
    ``unsafe_links`` (``extract.Extracted.webhook_readings``), or None when no
    reading holds a link that needs it.

    web/webhook.go incomingWebhook reads a form's ``payload`` (``r.FormValue``), the
    values of a multipart form (gorilla/schema into the struct: no ``props`` can be
    set that way) or the body as JSON, by Content-Type, and the versions in the field
    pick the branch differently.  The request is forwarded as the one JSON document
    every version reads the same way (``application/json``: the JSON branch in both;
    a ``payload`` left in the query is then read by neither), with the reading's
    ``props`` plus ``unsafe_links`` (``set_unsafe_links``, by the pipeline).  Refused
    (``Unrewritable``) when a reading needs it and there is not exactly one reading,
    or it is multipart: forwarding one would change what another version posts,
    and a multipart request cannot carry props."""
    if not any(needs_unsafe_links("hooks.incoming", doc if isinstance(doc, dict) else {"_": doc}, mode, hosts)
               for _, doc in readings):
        return None
    if len(readings) != 1:
        raise Unrewritable("the webhook body can be read more than one way; send it as JSON")
    kind, doc = readings[0]
    if kind == "multipart":
        raise Unrewritable("a multipart webhook cannot carry props; send it as JSON")
    if not isinstance(doc, dict) or not can_set_unsafe_links(doc):
        raise Unrewritable("the webhook payload is not a JSON object whose props are an object")
    return doc


def command_response(readings: list[tuple[str, Any]], mode: str, hosts: frozenset[str]) -> Any:
    """The slash command response to forward as JSON with ``unsafe_links`` (on it and
    on each of its ``extra_responses``, each a post of its own), or None when no
    reading holds a link that needs it.

    model.CommandResponseFromHTTPBody reads the body as JSON or as the response's
    plain text, by version and Content-Type (``extract._extract_command_webhook``
    lists the readings).  One reading is rewritten: JSON gets the props, plain text
    becomes ``{"text": ...}`` (every version reads ``application/json`` JSON that
    unmarshals as JSON: the same post, now with props).  A body read as JSON by some
    versions and as text by others is refused (``Unrewritable``), as is a JSON
    response whose props or extra responses cannot carry the prop."""
    if not any(needs_unsafe_links("hooks.command_response", doc if isinstance(doc, dict) else {"_": doc}, mode, hosts)
               for _, doc in readings):
        return None
    if len(readings) != 1:
        raise Unrewritable("the command response is read as JSON by some Mattermost versions and as plain text "
                           "by others; send it as application/json")
    kind, doc = readings[0]
    if kind == "text":
        return {"text": doc}
    if not isinstance(doc, dict) or not can_set_unsafe_links(doc):
        raise Unrewritable("the command response is not a JSON object whose props are an object")
    pairs: Iterable[tuple[Any, Any]] = getattr(doc, "order", None) or list(doc.items())
    extras = [v for k, v in pairs if go_field_name(str(k)) == "extra_responses"]
    for extra in extras[-1] if extras and isinstance(extras[-1], list) else ():  # Go keeps the last
        if extra is None:
            continue
        if not can_set_unsafe_links(extra):
            raise Unrewritable("an extra response is not a JSON object whose props are an object")
        set_unsafe_links(extra)
    return doc


async def prepare(route_name: str, ex: Any, mode: str, hosts: frozenset[str], *, upstream: Any,
                  post_id: str, token: Callable[[], str | None], timeout: float) -> bool:
    """Whether the body the policy lets through (``ex.json_doc``, made ready here) is
    forwarded with ``unsafe_links``: an incoming webhook's one reading becomes the
    document (``webhook_request``); a patch without props gets the post's current
    props (``current_props``).  ``Refused`` when it needs the prop and cannot get it."""
    if mode == "allow" or route_name not in ROUTES:
        return False
    if route_name in WEBHOOK_ROUTES:
        doc = webhook_request(ex.webhook_readings, mode, hosts)
        if doc is None:
            return False
        ex.json_doc = doc  # forwarded as JSON: every version reads it the same way
    elif route_name in COMMAND_ROUTES:
        doc = command_response(ex.webhook_readings, mode, hosts)
        if doc is None:
            return False
        ex.json_doc = doc  # forwarded as application/json: one reading in every version
    if not (needs_unsafe_links(route_name, ex.json_doc, mode, hosts) and can_set_unsafe_links(ex.json_doc)):
        return False
    if keeps_props(route_name, ex.json_doc):
        return keep_current_props(ex.json_doc, await current_props(upstream, post_id, token(), timeout))
    return True
