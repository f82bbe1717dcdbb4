"""A post as it is shown: its message and every message attachment, one text.

Mattermost shows a post's message and then each of its message attachments
(``props.attachments`` of a post, ``attachments`` of an incoming webhook's payload:
server/public/model/message_attachment.go), and the web app renders an attachment
in this order (webapp/channels/src/components/post_view/message_attachments/
message_attachment/message_attachment.tsx, ``render``): the pretext, the author
name, the title, the text, the fields (``getFieldsTable``: a table whose header
row holds the titles and whose body row the values, short fields side by side),
the footer, then the action buttons' names (``renderPostActions``).  A reader sees them together, so a number split across them
(``message: "SSN 536-22"``, ``footer: "8710"``) is one number to the reader.

Only text Mattermost shows goes into these readings: a payload's own ``attachments``
(and ``text``) or a post's ``props.attachments`` (and ``message``), never an incoming
webhook's ``props.attachments`` (app/webhook.go ``CreateWebhookPost`` keeps that prop
only as the payload's decoded ``[]*model.SlackAttachment``), a shadowed duplicate key
(``#dup`` paths) or a case variant of a key that is not the one kept.  Go keeps the
last case variant of a folded key and the document order is not in the paths, so when
variants collide every way of keeping one (for ``props``, or none: the web app reads
exact keys) is a reading of its own (at most ``MAX_VARIANT_READINGS``, more is refused).
Text left out is still judged on its own (it is stored), but never between shown parts.

``RenderedPost`` builds three readings of one post, each judged as one text:

* *as shown*: the message, then per attachment its pretext, author, title, text,
  one line of fields (``title: value`` side by side), its footer, one per line;
* *the values side by side* (only when the post or the request has a context
  word: numbers side by side with none are a series): the post's context words (its own and the request's,
  as ``_cross_field`` gathers them), then every field value and every short text
  of the post in render order on one line, so digit groups in consecutive fields
  or attachments read as one number;
* *the titles side by side* (same condition): the context words, then the titles of
  the fields on one line, as ``getFieldsTable`` draws short fields' titles in one
  header row (``<thead>``) above their values.

A finding within one field goes back to that field (located in its own text, so
it can be masked); one that spans several fields belongs to the post
(``spans_values``): the pipeline records it on an item of its own, which no
redaction can rewrite, so a redact decision for it becomes a block.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from dlp_proxy.gateway.extract import BodyError, go_field_name

#: a field of a message attachment: ``<post>.[props.]attachments[i].<part>``, every key's
#: spelling captured (which ones Mattermost reads depends on where the attachment is)
_ATTACHMENT_PART = re.compile(
    r"^(?P<post>.*?)\.(?:(?P<props>props)\.)?(?P<att>attachments)\[(?P<a>[0-9]+)\]\."
    r"(?:(?P<actions>actions)\[(?P<b>[0-9]+)\]\.(?P<name>name)"
    r"|(?P<fields>fields)\[(?P<f>[0-9]+)\]\.(?P<fk>title|value)"
    r"|(?P<part>pretext|author_name|title|text|footer))\Z",
    re.IGNORECASE,
)
#: the message of a post (``message``) or of an incoming webhook payload (``text``)
_MESSAGE = re.compile(r"^(?P<post>.*?)\.(?P<key>message|text)\Z", re.IGNORECASE)
#: render order of an attachment's parts (fields between the text and the footer)
_ORDER = {"pretext": 0, "author_name": 1, "title": 2, "text": 3, "fields": 4, "footer": 5, "actions": 6}
#: a path that may be part of a post with attachments (a cheap test before grouping)
RENDERED_PART = re.compile(r"(?i)attachments\[")
#: a value longer than this is not put on the values line (it is read as shown)
VALUES_LINE_MAX_CHARS = 256
#: readings of one post when case variants leave open which key Go keeps (more: refused)
MAX_VARIANT_READINGS = 16
#: the two places a post's attachments are shown from, with the key of their message:
#: ``props`` of a post (``message``), the payload's own ``attachments`` (``text``)
_PROPS, _TOP = "props", "top"

#: (sort key in render order, field index, text, levels): a level is (slot, spelling)
#: where Go keeps one of several case variants of a key (the last in the document)
_Member = tuple[tuple[int, int, int, int], int, str, tuple[tuple[str, str], ...]]
#: a slot of a key inside a post's ``props.attachments`` (``_variants``: maybe read exactly)
_IN_PROPS = "#props:"


def _member(path: str) -> tuple[str, str, tuple[int, int, int, int], tuple[tuple[str, str], ...]] | None:
    """(post, source, sort key, levels) of a shown message or attachment part, or None
    for text Mattermost does not show (it is still judged on its own)."""
    m = _ATTACHMENT_PART.match(path)
    if m is not None:
        post = m.group("post")
        a = int(m.group("a"))
        if m.group("f") is not None:
            first, order = m.group("fields"), _ORDER["fields"] * 10_000 + int(m.group("f")) * 2 + (
                go_field_name(m.group("fk")) == "value")
            inner: tuple[str, str] | None = (f"{first}[{m.group('f')}].{go_field_name(m.group('fk'))}", m.group("fk"))
        elif m.group("b") is not None:  # the buttons, after the footer (``renderPostActions``)
            first, order = m.group("actions"), _ORDER["actions"] * 10_000 + int(m.group("b"))
            inner = (f"{first}[{m.group('b')}].name", m.group("name"))
        else:
            first, order = m.group("part"), _ORDER[go_field_name(m.group("part"))] * 10_000
            inner = None
        # a payload's ``attachments`` (IncomingWebhookRequest, CommandResponse) is decoded
        # into []*SlackAttachment: keys folded, the last case variant kept.  A post's
        # ``props.attachments`` is a map Go folds when it reads it (model/post.go
        # ``Attachments``; ``GenerateActionIds`` stores that in its place) and the web app
        # reads with exact keys (``attachment.pretext``): one spelling of a key is shown,
        # or none (``_variants`` reads each way)
        att = m.group("att")
        levels = [(f"{post}.{att}[{a}]|{go_field_name(first)}", first)]
        if inner is not None:
            levels.append((f"{post}.{att}[{a}].{inner[0]}", inner[1]))
        if m.group("props") is not None:
            # ``props`` is a map (model.StringInterface) read with the exact key
            # ``attachments``: another spelling is stored but never shown; ``props`` itself
            # is a struct field of model.Post (folded)
            if att != "attachments":
                return None
            return post, _PROPS, (1, a, order, 0), ((f"{post}|props", m.group("props")),
                                                    *((_IN_PROPS + slot, spelling) for slot, spelling in levels))
        return post, _TOP, (1, a, order, 0), ((f"{post}|attachments", att), *levels)
    m = _MESSAGE.match(path)
    if m is not None and "attachments[" not in path.lower():
        key = go_field_name(m.group("key"))
        source = _PROPS if key == "message" else _TOP
        return m.group("post"), source, (0, 0, 0, 0), ((f"{m.group('post')}|{key}", m.group("key")),)
    return None


def _variants(members: list[_Member]) -> list[list[_Member]]:
    """The members of each way Go may have kept one spelling of every folded key: one
    list when no key has case variants."""
    spellings: dict[str, list[str]] = {}
    for *_, levels in members:
        for slot, spelling in levels:
            seen = spellings.setdefault(slot, [])
            if spelling not in seen:
                seen.append(spelling)
    for slot, options in spellings.items():
        if slot.startswith(_IN_PROPS) and not any(o.isascii() and o == o.lower() for o in options):
            options.append("")  # read with exact keys, no spelling of this key is shown
    open_slots = [(slot, options) for slot, options in spellings.items() if len(options) > 1]
    if not open_slots:
        return [members]
    count = 1
    for _, options in open_slots:
        count *= len(options)
    if count > MAX_VARIANT_READINGS:
        raise BodyError("too many case variants of the keys of one post's attachments")
    out = []
    for choice in itertools.product(*(options for _, options in open_slots)):
        chosen = {slot: spelling for (slot, _), spelling in zip(open_slots, choice, strict=True)}
        out.append([m for m in members if all(chosen.get(slot, spelling) == spelling for slot, spelling in m[3])])
    return out


class RenderedPost:
    """One reading of a post: its text and the way back to its fields."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.parts: list[str] = []
        self.pos = 0
        #: (start in the text, end, field index)
        self.spans: list[tuple[int, int, int]] = []

    def put(self, text: str, index: int = -1) -> None:
        if index >= 0:
            self.spans.append((self.pos, self.pos + len(text), index))
        self.parts.append(text)
        self.pos += len(text)

    def text(self) -> str:
        return "".join(self.parts)

    def locate(self, start: int, end: int) -> tuple[int, int, int] | None:
        """(field, start, end in the field) of a finding within one field's text."""
        touched = [(a, b, i) for a, b, i in self.spans if a < end and start < b]
        if len(touched) != 1:
            return None
        a, b, index = touched[0]
        return index, max(start, a) - a, min(end, b) - a

    def spans_values(self, start: int, end: int) -> bool:
        return sum(1 for a, b, _ in self.spans if a < end and start < b) > 1


def rendered_posts(items: Iterable[tuple[int, str, str]], label: str) -> list[RenderedPost]:
    """The readings of every post with an attachment among ``items`` ((field index,
    path, text)), ``label`` being the context words to put before the side-by-side lines."""
    posts: dict[tuple[str, str], list[_Member]] = {}
    for index, path, text in items:
        key = _member(path)
        if key is not None and text:
            posts.setdefault((key[0], key[1]), []).append((key[2], index, text, key[3]))
    out: list[RenderedPost] = []
    for (post, _source), all_members in posts.items():
        for members in _variants(all_members):
            if not any(k[0] == 1 for k, *_ in members):
                continue  # a message without attachments is read as it is
            out.extend(_readings(post, sorted(members, key=lambda m: m[0]), label))
    return out


def _readings(post: str, members: list[_Member], label: str) -> list[RenderedPost]:
    shown = RenderedPost(f"{post}#rendered")
    values = RenderedPost(f"{post}#rendered")
    titles = RenderedPost(f"{post}#rendered")
    if label:
        shown.put(label + "\n")
        values.put(label + ": ")
        titles.put(label + ": ")
    last: tuple[int, int] | None = None  # (attachment, part) of the previous member
    for (kind, att, order, _), index, text, _levels in members:
        in_fields = _ORDER["fields"] * 10_000 <= order < _ORDER["footer"] * 10_000
        field_title = in_fields and order % 2 == 0
        if last is not None:
            same_fields = in_fields and last == (att, _ORDER["fields"])
            shown.put(("  " if field_title else " ") if same_fields else "\n")
        shown.put(text, index)
        if field_title:
            shown.put(":")
        last = (att, _ORDER["fields"] if in_fields else order // 10_000 + 100 * kind)
        if len(text) <= VALUES_LINE_MAX_CHARS and "\n" not in text:
            # the values side by side, and the titles of fields side by side on their
            # header row (``getFieldsTable``: titles in one <thead> row, values in the next)
            line = titles if field_title else values
            if line.spans:
                line.put(" ")
            line.put(text, index)
    out = [shown]
    # (without a context word, numbers side by side are a series: read one by one)
    out.extend(line for line in (values, titles) if label and len(line.spans) > 1)
    return out
