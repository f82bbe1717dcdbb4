"""CSV with the columns of Mattermost's CSV compliance export, then our decision columns.

Mattermost (server/enterprise/message_export/csv_export/csv_export.go) writes
``posts.csv`` in a zip, its 18 columns in this order, ``Channel Type`` as
public/private/direct/group (``shared.ChannelTypeDisplayName``), ``Post Type``
"message" when the post has none, ``User Type`` user/bot, and one row per
attachment (``Post Message`` = ``<name> (files/<post id>/<file id>-<base name>)``,
``Post Type`` "attachment") with the file in the zip at that path.  Mattermost's
attachment rows have 17 fields (it drops ``Previews Post Id``); ours keep the
empty column so the ``DLP *`` columns stay aligned.

The zip also holds Mattermost's ``metadata.json`` (channels with their message
and attachment counts, the batch window).

Every archive record is a row (reviewer and admin actions too: the chain of
custody); stopped posts carry the sender's real identity and the conversation's
names, and are followed by their attachment rows.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from dlp_proxy.archive.export.build import Conversations
from dlp_proxy.archive.export.fields import decision_fields, message_text
from dlp_proxy.archive.export.model import FileRef, channel_type_display

MM_COLUMNS = (
    "Post Creation Time", "Team Id", "Team Name", "Team Display Name", "Channel Id", "Channel Name",
    "Channel Display Name", "Channel Type", "User Id", "User Email", "Username", "Post Id",
    "Edited By Post Id", "Replied to Post Id", "Post Message", "Post Type", "User Type", "Previews Post Id",
)  # fmt: skip
DLP_COLUMNS = (
    "DLP Record Id", "DLP Record Type", "DLP Time", "DLP Action", "DLP Rule Id", "DLP Policy Version",
    "DLP Entity Types", "DLP Entity Counts", "DLP Max Scores", "DLP Route", "DLP Route Group",
    "DLP Request Id", "DLP Content Hash", "DLP Worker", "DLP Seq", "DLP Error", "DLP Reason",
)  # fmt: skip
CSV_COLUMNS = MM_COLUMNS + DLP_COLUMNS


def attachment_zip_path(post_id: str, f: FileRef) -> str:
    return posixpath.join("files", post_id, f"{f.id}-{posixpath.basename(f.path)}")


def _dlp(d: Mapping[str, Any], reason: Any) -> list[Any]:
    return [d["record_id"], d["type"], d["time"], d["action"] or "", d["rule_id"] or "", d["policy_version"] or "",
            " ".join(d["entity_types"]), json.dumps(d["entity_counts"]), json.dumps(d["scores"]), d["route"] or "",
            d["route_group"] or "", d["request_id"] or "", d["content_hash"] or "", d["worker"], d["seq"],
            d["error"] or "", reason or ""]


def csv_rows(records: Iterable[Mapping[str, Any]], conv: Conversations) -> tuple[bytes, list[tuple[str, FileRef]]]:
    """posts.csv bytes and the (zip path, file) pairs its attachment rows name."""
    posts = {p.post_id: p for p in conv.posts}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    files: list[tuple[str, FileRef]] = []
    for rec in records:
        d = decision_fields(rec)
        rid = str(d["record_id"])
        dlp = _dlp(d, rec.get("reason"))
        post = posts.get(rid)
        if post is None:
            w.writerow([d["time_ms"], d["team_id"] or "", d["team_name"] or "", d["team_name"] or "",
                        d["channel_id"] or "", d["channel_name"] or "", d["channel_name"] or "",
                        channel_type_display(str(d["channel_type"] or "")), d["user_id"] or "",
                        d["user_email"] or "", d["username"] or "", rid, "", d["root_id"] or "",
                        message_text(rec), "dlp_proxy_" + str(d["type"]), "bot" if d["is_bot"] else "user", "",
                        *dlp])
            continue
        ch = conv.channels[post.channel_id]
        ut = "bot" if post.is_bot else "user"
        head = [post.create_at, ch.team_id, ch.team_name, ch.team_display_name, ch.id, ch.name, ch.display_name,
                channel_type_display(ch.type), post.user_id, post.user_email, post.username, post.post_id,
                post.original_id, post.root_id]
        w.writerow([*head, post.message, post.post_type or "message", ut, post.preview_id(), *dlp])
        for f in post.files:
            path = attachment_zip_path(post.post_id, f)
            w.writerow([*head, f"{f.name} ({path})", "attachment", ut, "", *dlp])
            files.append((path, f))
        notice = posts.get(rid + "-dlp")
        if notice is not None:
            w.writerow([notice.create_at, ch.team_id, ch.team_name, ch.team_display_name, ch.id, ch.name,
                        ch.display_name, channel_type_display(ch.type), notice.user_id, notice.user_email,
                        notice.username, notice.post_id, "", "", notice.message, notice.post_type, "bot", "", *dlp])
    return buf.getvalue().encode("utf-8"), files


def metadata_json(conv: Conversations, start: int, end: int) -> bytes:
    """metadata.json of Mattermost's CSV zip: ``json.MarshalIndent(shared.Metadata, "", "  ")``."""
    counts: dict[str, list[int]] = {}
    for p in conv.posts:
        c = counts.setdefault(p.channel_id, [0, 0])
        c[0] += 1
        c[1] += sum(1 for f in p.files if f.data is not None)
    channels = {
        cid: {
            "TeamId": ch.team_id or None, "TeamName": ch.team_name or None,
            "TeamDisplayName": ch.team_display_name or None, "ChannelId": cid, "ChannelName": ch.name,
            "ChannelDisplayName": ch.display_name, "ChannelType": ch.type,
            "RoomId": f"{channel_type_display(ch.type)} - {cid}", "StartTime": start, "EndTime": end,
            "MessagesCount": counts.get(cid, [0, 0])[0], "AttachmentsCount": counts.get(cid, [0, 0])[1],
        }
        for cid, ch in sorted(conv.channels.items())
    }
    doc = {"Channels": channels, "MessagesCount": sum(c[0] for c in counts.values()),
           "AttachmentsCount": sum(c[1] for c in counts.values()), "StartTime": start, "EndTime": end}
    return json.dumps(doc, indent=2, ensure_ascii=False).encode()
