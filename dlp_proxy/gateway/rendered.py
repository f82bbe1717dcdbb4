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

``RenderedPost`` builds two readings of one post, each judged as one text:

* *as shown*: the message, then per attachment its pretext, author, title, text,
  one line of fields (``title: value`` side by side), its footer, one per line;
* *the values side by side* (only when the post or the request has a context
  word: numbers side by side with none are a series): the post's context words (its own and the request's,
  as ``_cross_field`` gathers them), then every field value and every short text
  of the post in render order on one line, so digit groups in consecutive fields
  or attachments read as one number.

A finding within one field goes back to that field (located in its own text, so
it can be masked); one that spans several fields belongs to the post
(``spans_values``): the pipeline records it on an item of its own, which no
redaction can rewrite, so a redact decision for it becomes a block.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: a field of a message attachment: ``<post>.[props.]attachments[i].<part>``; Go's
#: decoder matches struct field names case-insensitively (the webhook payload), so
#: the names are matched so too (a superset for ``props``, a map).
_ATTACHMENT_PART = re.compile(
    r"^(?P<post>.*?)\.(?:props\.)?attachments\[(?P<a>[0-9]+)\]\."
    r"(?P<part>pretext|author_name|title|text|footer|actions\[(?P<b>[0-9]+)\]\.name"
    r"|fields\[(?P<f>[0-9]+)\]\.(?P<fk>title|value))$",
    re.IGNORECASE,
)
#: the message of a post (``message``) or of an incoming webhook payload (``text``)
_MESSAGE = re.compile(r"^(?P<post>.*?)\.(?:message|text)$", re.IGNORECASE)
#: render order of an attachment's parts (fields between the text and the footer)
_ORDER = {"pretext": 0, "author_name": 1, "title": 2, "text": 3, "fields": 4, "footer": 5, "actions": 6}
#: a path that may be part of a post with attachments (a cheap test before grouping)
RENDERED_PART = re.compile(r"(?i)attachments\[")
#: a value longer than this is not put on the values line (it is read as shown)
VALUES_LINE_MAX_CHARS = 256


def _key(path: str) -> tuple[str, tuple[int, int, int, int]] | None:
    """(post, sort key in render order) of a message or attachment field, or None."""
    m = _ATTACHMENT_PART.match(path)
    if m is not None:
        part = m.group("part").lower()
        if m.group("f") is not None:
            return m.group("post"), (1, int(m.group("a")), _ORDER["fields"] * 10_000 + int(m.group("f")) * 2
                                     + (m.group("fk").lower() == "value"), 0)
        if m.group("b") is not None:  # the buttons, after the footer (``renderPostActions``)
            return m.group("post"), (1, int(m.group("a")), _ORDER["actions"] * 10_000 + int(m.group("b")), 0)
        return m.group("post"), (1, int(m.group("a")), _ORDER[part] * 10_000, 0)
    m = _MESSAGE.match(path)
    if m is not None and "attachments[" not in path.lower():
        return m.group("post"), (0, 0, 0, 0)
    return None


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
    path, text)), ``label`` being the context words to put before the values line."""
    posts: dict[str, list[tuple[tuple[int, int, int, int], int, str, str]]] = {}
    for index, path, text in items:
        key = _key(path)
        if key is not None and text:
            posts.setdefault(key[0], []).append((key[1], index, path, text))
    out: list[RenderedPost] = []
    for post, members in posts.items():
        if not any(k[0] == 1 for k, *_ in members):
            continue  # a message without attachments is read as it is
        members.sort(key=lambda m: m[0])
        shown = RenderedPost(f"{post}#rendered")
        values = RenderedPost(f"{post}#rendered")
        if label:
            shown.put(label + "\n")
            values.put(label + ": ")
        last: tuple[int, int] | None = None  # (attachment, part) of the previous member
        for (kind, att, order, _), index, _path, text in members:
            field_value = order >= _ORDER["fields"] * 10_000 and order % 2 == 1 and order < _ORDER["footer"] * 10_000
            field_title = order >= _ORDER["fields"] * 10_000 and order % 2 == 0 and order < _ORDER["footer"] * 10_000
            in_fields = field_value or field_title
            if last is not None:
                same_fields = in_fields and last == (att, _ORDER["fields"])
                shown.put(("  " if field_title else " ") if same_fields else "\n")
            if field_title:
                shown.put(text, index)
                shown.put(":")
            else:
                shown.put(text, index)
            last = (att, _ORDER["fields"] if in_fields else order // 10_000 + 100 * kind)
            if not field_title and len(text) <= VALUES_LINE_MAX_CHARS and "\n" not in text:
                if values.spans:
                    values.put(" ")
                values.put(text, index)
        out.append(shown)
        if label and len(values.spans) > 1:
            # (without a context word, numbers side by side are a series: read one by one)
            out.append(values)
    return out
