"""Link previews as Mattermost makes them (server/channels/app/post_metadata.go).

On create and on edit, Mattermost finds the message's first autolink
(``getFirstLinkAndImages``: the first ``markdown.Autolink``), fetches it itself
(``getLinkMetadataForURL``: GET with ``LinkMetadataTimeoutMilliseconds``, 5 s by
default), parses its OpenGraph tags (``parseOpenGraphMetadata``, dyatlov/go-opengraph:
``<meta property="og:...">``; title and description HTML-unescaped, each cut to 300
runes by ``model.TruncateOpenGraph``) and stores the result per (URL, hour of the
post's creation) in its LinkMetadata table, a failed fetch included.  The post comes
back with ``metadata.embeds = [{"type": "opengraph", "url": ..., "data": {...}}]``
and every reader is shown the page's site name, title and description under the
post (``ServiceSettings.EnableLinkPreviews``, on by default).

The simulator does the same for http(s) links so the gateway's after-the-fact check
of what Mattermost fetched can be tested against a real page on a real socket.  A post
whose ``props.unsafe_links`` is the string ``"true"`` gets no embed (and Mattermost
would measure no images) unless its first link is a permalink (``getEmbedsAndImages``,
model/post.go ``HasUnsafeLinks``)."""

from __future__ import annotations

import html
import re
import threading
import urllib.request
from html.parser import HTMLParser
from typing import Any

#: model.TruncateOpenGraph: title and description cut to this many runes
MAX_OG_TEXT = 300
#: ExperimentalSettings.LinkMetadataTimeoutMilliseconds default
TIMEOUT_SECONDS = 5.0
_FENCE = re.compile(r"```.*?(```|$)", re.S)
_CODE = re.compile(r"`[^`]*`")
_LINK = re.compile(r"https?://[^\s<>()\[\]`]+", re.I)
#: post_metadata.go looksLikeAPermalink: the site URL, then ``team/pl/<post id>`` (the
#: simulator serves any host as its own site)
_PERMALINK = re.compile(r"^[a-z]+://[^/]+/[0-9a-z_-]{1,64}/pl/[a-z0-9]{26}$")


def first_link(message: str) -> str | None:
    """The first bare http(s) link outside code (a simplification of Mattermost's
    markdown autolink scan that is enough for the tests)."""
    text = _CODE.sub(" ", _FENCE.sub(" ", message))
    m = _LINK.search(text)
    return m.group(0).rstrip(".,;:!?'\"") if m else None


class _OpenGraph(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        a = {k: v or "" for k, v in attrs}
        prop = a.get("property", "")
        if prop.startswith("og:") and prop[3:] in ("title", "description", "site_name", "type", "url"):
            self.values.setdefault(prop[3:], a.get("content", ""))


def opengraph(url: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any] | None:
    """The page's OpenGraph data as Mattermost returns it, or None (no page, no tags)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "text/html;q=0.8"}),  # noqa: S310
                                    timeout=timeout) as resp:
            body = resp.read(1024 * 1024).decode("utf-8", "replace")
    except Exception:
        return None
    parser = _OpenGraph()
    try:
        parser.feed(body)
    except Exception:
        return None
    if not parser.values:
        return None
    v = parser.values
    return {"type": v.get("type", ""), "url": url if v.get("url") else "",
            "title": html.unescape(v.get("title", ""))[:MAX_OG_TEXT],
            "description": html.unescape(v.get("description", ""))[:MAX_OG_TEXT],
            "determiner": "", "site_name": v.get("site_name", ""), "locale": "", "locales_alternate": None,
            "images": None, "audios": None, "videos": None}


class LinkPreviews:
    """Mattermost's LinkMetadata table: (URL, hour) -> what the first fetch found."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._saved: dict[tuple[str, int], dict[str, Any] | None] = {}
        self._lock = threading.Lock()

    def embeds(self, message: str, create_at_ms: int, props: Any = None) -> list[dict[str, Any]]:
        """``metadata.embeds`` for a post (empty when previews are off or nothing is found).

        app/post_metadata.go ``getEmbedForPost``: a post with ``props.attachments`` has a
        ``message_attachment`` embed and no link fetched; with
        ``ServiceSettings.EnableLinkPreviews`` off nothing is fetched."""
        link = first_link(message)
        if isinstance(props, dict) and props.get("unsafe_links") == "true" and not (
                link is not None and _PERMALINK.search(link)):
            # model/post.go HasUnsafeLinks (the string "true" only): getEmbedsAndImages
            # returns before getEmbedForPost, and getImagesForPost returns none, unless
            # the first link looks like a permalink (looksLikeAPermalink); nothing is
            # fetched or stored
            return []
        if isinstance(props, dict) and "attachments" in props:
            return [{"type": "message_attachment"}]
        link = link if self.enabled else None
        if link is None:
            return []
        key = (link, create_at_ms - create_at_ms % 3_600_000)  # model.FloorToNearestHour
        with self._lock:
            known = key in self._saved
            og = self._saved.get(key)
        if not known:
            og = opengraph(link)
            with self._lock:
                og = self._saved.setdefault(key, og)
        if og is None:
            return [{"type": "link", "url": link}]
        return [{"type": "opengraph", "url": link, "data": og}]
