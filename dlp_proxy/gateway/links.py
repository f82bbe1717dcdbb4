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
400): the body is left as it is."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any

from dlp_proxy.gateway.extract import go_field_name

#: ``DLP_LINK_PREVIEWS`` values: today's behaviour, an allowlist of hosts, no host
MODES = ("allow", "allowlist", "off")
#: the routes whose body is a post Mattermost makes a preview for (api4/post.go
#: createPost, updatePost, patchPost; api4/scheduled_post.go: sent later by the
#: scheduled post job, with the scheduled post's props)
ROUTES = frozenset({"posts.create", "posts.update", "posts.patch", "posts.schedule.create", "posts.schedule.update"})
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
