"""Actiance (Smarsh Vantage) XML exactly as Mattermost's exporter writes it.

A port of server/enterprise/message_export/actiance_export/actiance_export.go
(``ActianceExport``, ``getPostExport``, ``postToAttachmentsEntries``,
``buildChannelExport``, ``writeExport``) and of
``shared.GetJoinsAndLeavesForChannel`` (shared/shared.go).  The XML is serialised
the way Go's ``encoding/xml`` Encoder does with ``Indent("", "  ")``: the
``xml.Header`` line, two-space indentation, ``<X></X>`` for empty values,
``omitempty`` fields left out, no newline after the root, and Go's escaping
(``EscapeString``: ``" ' & < >`` and tab/newline/CR as character references).
Checked element by element and byte for byte against a fixture taken from
Mattermost's own test (tests/data/actiance/).

Two deliberate differences, both because Go iterates maps in random order:
conversations are written sorted by channel id, and post authors missing from the
member history are added in user-id order (they are then sorted by time and
email, as Mattermost does, so only exact ties could differ).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dlp_proxy.archive.export.model import Channel, FileRef, MemberHistory, Post, channel_type_display

XMLNS = "http://www.w3.org/2001/XMLSchema-instance"
EXPORT_FILENAME = "actiance_export.xml"
WARNING_FILENAME = "warning.txt"
MANIFEST_FILENAME = "dlp-manifest.json"
XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'  # Go's xml.Header
MISSING_FILE_MESSAGE = "File backend read: File missing for post; cannot copy file to archive"
#: zip entries carry this time, so an export is reproducible byte for byte
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# -- Go encoding/xml, the subset the exporter uses ------------------------------------

_ESC = {'"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;", "\t": "&#x9;", "\n": "&#xA;",
        "\r": "&#xD;"}  # fmt: skip


#: what EscapeString replaces: the escaped characters, and any outside XML's Char range (-> U+FFFD)
_NEEDS = re.compile("[\"'&<>\t\n\r]|[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def go_escape(s: str) -> str:
    """encoding/xml (*printer).EscapeString."""
    return _NEEDS.sub(lambda m: _ESC.get(m.group(), "\ufffd"), s)


#: an element: (tag, attributes, children-or-text)
Node = tuple[str, tuple[tuple[str, str], ...], "list[Node] | str"]


def go_marshal(node: Node, depth: int = 0) -> str:
    tag, attrs, body = node
    pad = "\n" + "  " * depth if depth else ""
    start = "<" + tag + "".join(f' {k}="{go_escape(v)}"' for k, v in attrs) + ">"
    if isinstance(body, str):
        return pad + start + go_escape(body) + f"</{tag}>"
    inner = "".join(go_marshal(child, depth + 1) for child in body)
    close = ("\n" + "  " * depth if body else "") + f"</{tag}>"
    return pad + start + inner + close


def _el(tag: str, text: str | int) -> Node:
    return (tag, (), str(text))


# -- the exporter -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    user_id: str
    email: str
    username: str
    is_bot: bool


def _user_type(is_bot: bool) -> str:
    return "bot" if is_bot else "user"


def _message(post: Post, *, updated_type: str = "", update_at: int = 0, edited_new_msg_id: str = "",
             message: str | None = None) -> Node:
    children: list[Node] = [
        _el("MessageId", post.post_id),
        _el("LoginName", post.user_email),
        _el("UserType", _user_type(post.is_bot)),
        _el("DateTimeUTC", post.create_at),
    ]
    if updated_type:
        children.append(_el("UpdatedType", updated_type))
    if update_at:
        children.append(_el("UpdatedDateTimeUTC", update_at))
    if edited_new_msg_id:
        children.append(_el("EditedNewMsgId", edited_new_msg_id))
    children.append(_el("Content", post.message if message is None else message))
    if post.preview_id():
        children.append(_el("PreviewsPost", post.preview_id()))
    return ("Message", (), children)


def post_export(post: Post) -> Node:
    """getPostExport: created, edited (original / new), updated, deleted."""
    if post.is_edited_original():
        return _message(post, updated_type="EditedOriginalMsg", update_at=post.update_at,
                        edited_new_msg_id=post.original_id)
    if post.is_deleted():
        return _message(post, updated_type="Deleted", update_at=post.delete_at, message="delete " + post.message)
    if post.update_at > post.create_at:
        if post.edit_at > 0:
            return _message(post, updated_type="EditedNewMsg", update_at=post.update_at)
        return _message(post, updated_type="UpdatedNoMsgChange", update_at=post.update_at)
    return _message(post)


def attachment_entries(post: Post) -> tuple[list[Node], list[Node], list[Node]]:
    """postToAttachmentsEntries: FileTransferStarted/Ended per file, FileDeleted messages."""
    starts: list[Node] = []
    stops: list[Node] = []
    deletes: list[Node] = []
    for f in post.files:
        common = [_el("LoginName", post.user_email), _el("DateTimeUTC", post.create_at),
                  _el("UserFileName", f.name), _el("FileName", f.path)]
        starts.append(("FileTransferStarted", (), list(common)))
        stops.append(("FileTransferEnded", (), [*common, _el("Status", "Completed")]))
        if f.delete_at > 0 and post.delete_at:
            deletes.append(_message(post, updated_type="FileDeleted", update_at=post.delete_at,
                                    message="delete " + f.path))
    return starts, stops, deletes


def joins_and_leaves(start: int, end: int, history: Sequence[MemberHistory], authors: Mapping[str, Member]
                     ) -> tuple[list[tuple[int, Member]], list[tuple[int, Member]]]:
    """shared.GetJoinsAndLeavesForChannel."""
    joins: list[tuple[int, Member]] = []
    leaves: list[tuple[int, Member]] = []
    joined: set[str] = set()
    for h in history:
        if 0 < h.user_delete_at < start or h.join_time > end:
            continue
        if h.leave_time is not None and h.leave_time < start:
            continue
        m = Member(h.user_id, h.email, h.username, h.is_bot)
        joins.append((h.join_time, m))
        joined.add(h.user_id)
        if h.leave_time is not None and h.leave_time <= end:
            leaves.append((h.leave_time, m))
    for uid in sorted(authors):
        if uid not in joined:
            joins.append((start, authors[uid]))
    return joins, leaves


def _participant(tag: str, when: int, email: str, user_type: str) -> Node:
    return (tag, (), [_el("LoginName", email), _el("UserType", user_type), _el("DateTimeUTC", when),
                      _el("CorporateEmailID", email)])


def channel_export(start: int, end: int, channel: Channel, history: Sequence[MemberHistory],
                   authors: Mapping[str, Member], elements: list[Node]) -> Node:
    """buildChannelExport, with the channel's elements in between joins and leaves."""
    joins, leaves = joins_and_leaves(start, end, history, authors)
    still: dict[str, tuple[int, str]] = {}
    join_rows = []
    for when, m in joins:
        ut = _user_type(m.is_bot)
        join_rows.append((when, m.email, ut))
        if m.email not in still or when > still[m.email][0]:
            still[m.email] = (when, ut)
    leave_rows = []
    for when, m in leaves:
        leave_rows.append((when, m.email, _user_type(m.is_bot)))
        if when > still.get(m.email, (0, ""))[0]:
            still.pop(m.email, None)
    for email, (_, ut) in still.items():
        leave_rows.append((end, email, ut))
    join_rows.sort(key=lambda r: (r[0], r[1]))
    leave_rows.sort(key=lambda r: (r[0], r[1]))
    room = f"{channel_type_display(channel.type)} - {channel.name} - {channel.id}"
    children: list[Node] = [_el("RoomID", room), _el("StartTimeUTC", start)]
    children += [_participant("ParticipantEntered", w, e, ut) for w, e, ut in join_rows]
    children += elements
    children += [_participant("ParticipantLeft", w, e, ut) for w, e, ut in leave_rows]
    children.append(_el("EndTimeUTC", end))
    return ("Conversation", (("Perspective", channel.display_name),), children)


@dataclass(slots=True)
class ActianceBatch:
    xml: bytes
    files: list[FileRef]
    channels: int
    messages: int


def actiance_export(channels: Mapping[str, Channel], posts: Iterable[Post],
                    histories: Mapping[str, Sequence[MemberHistory]], *, job_start_time: int,
                    batch_start: int, batch_end: int) -> ActianceBatch:
    """ActianceExport: the XML document and the files to put beside it."""
    elements: dict[str, list[Node]] = {}
    authors: dict[str, dict[str, Member]] = {}
    files: list[FileRef] = []
    in_batch: set[str] = set()
    count = 0
    for post in posts:
        cid = post.channel_id
        in_batch.add(cid)
        els = elements.setdefault(cid, [])
        if post.is_deleted() and not post.is_edited_original() and post.create_at >= job_start_time:
            els.append(_message(post))
        els.append(post_export(post))
        starts, stops, deletes = attachment_entries(post)
        els += starts + stops + deletes
        files += list(post.files)
        count += 1
        authors.setdefault(cid, {})[post.user_id] = Member(post.user_id, post.user_email, post.username,
                                                            post.is_bot)
    for cid, hist in histories.items():
        if cid not in in_batch and any(
            batch_start <= h.join_time <= batch_end
            or (h.leave_time is not None and batch_start <= h.leave_time <= batch_end) for h in hist
        ):
            in_batch.add(cid)
    convs = [channel_export(batch_start, batch_end, channels[cid], histories.get(cid, ()), authors.get(cid, {}),
                            elements.get(cid, [])) for cid in sorted(in_batch)]
    root: Node = ("FileDump", (("xmlns:xsi", XMLNS),), convs)
    return ActianceBatch((XML_HEADER + go_marshal(root)).encode("utf-8"), files, len(convs), count)


# -- the batch zip ----------------------------------------------------------------------


def zip_entry(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    """One entry with a fixed time and mode: the same input gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def batch_zip(first: tuple[str, bytes] | None, files: Sequence[FileRef], manifest: Mapping[str, Any],
              warning_name: str = WARNING_FILENAME) -> bytes:
    """writeExport's layout: the export file, then each file at its path, then warning.txt
    for files that could not be read; plus our manifest (SHA-256 of every entry), last."""
    buf = io.BytesIO()
    hashes: dict[str, str] = {first[0]: sha256(first[1])} if first else {}
    missing: list[str] = []
    with zipfile.ZipFile(buf, "w") as zf:
        if first:
            zip_entry(zf, *first)
        seen: set[str] = set()
        for f in files:
            if f.data is None:
                missing.append("Warning:" + (f.note or MISSING_FILE_MESSAGE) + " - " + f.path)
                continue
            if f.path in seen:
                continue
            seen.add(f.path)
            zip_entry(zf, f.path, f.data)
            hashes[f.path] = sha256(f.data)
        if missing:
            text = "\n".join(missing).encode()
            zip_entry(zf, warning_name, text)
            hashes[warning_name] = sha256(text)
        doc = {**manifest, "entries": dict(sorted(hashes.items()))}
        zip_entry(zf, MANIFEST_FILENAME, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())
    return buf.getvalue()


def batch_name(number: int, start: int, end: int) -> str:
    """shared.GetBatchPath's file name."""
    return f"batch{number:03d}-{start}-{end}.zip"
