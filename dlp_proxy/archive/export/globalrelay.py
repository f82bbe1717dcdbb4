"""Global Relay: one EML per conversation, as Mattermost's Global Relay exporter builds it.

A port of server/enterprise/message_export/global_relay_export/global_relay_export.go
(``GlobalRelayExport``, ``addToExports``, ``getParticipants``, ``generateEmail``,
``addPostToChannelExport``, ``addAttachmentToChannelExport``) and to_html.go, with
the HTML shaped like Mattermost's templates as its test fixtures show them
(server/enterprise/message_export/testdata/grE2E2Batch1.tmpl):

- headers ``From`` (first participant), ``To`` (all participants, comma-joined),
  ``Subject: Mattermost Compliance Export: <channel display name>`` (RFC 2047
  B-encoded), ``Content-Transfer-Encoding: 8bit``, ``Auto-Submitted:
  auto-generated``, ``Precedence: bulk``, ``X-GlobalRelay-MsgType: Mattermost``,
  ``X-Mattermost-ChannelName``/``ChannelID``/``ChannelType``, ``Date`` = the end of
  the batch; plus a ``Message-ID`` derived from the content, so a re-delivered
  message (after a crash between delivery and bookkeeping) is recognisably the same;
- a text/plain body (the HTML rendered as text) and a text/html alternative
  (``<html><body>`` + summary, participants table, messages + ``</body></html>``);
- each file attached under its name, announced by an "Uploaded file <name>" message;
- the EML files in one zip, named ``<channel display name> - (<channel id>) - 0.eml``.

Not ported: splitting a channel over several EMLs past 250 MB (``MaxEmailBytes``);
a stopped post is small, so a batch is one EML per channel.  Mattermost's
``html2text`` is replaced by a small renderer of the same HTML (rows and list items
on their own lines).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from email import charset as email_charset
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime
from html.parser import HTMLParser

from dlp_proxy.archive.export.actiance import Member, joins_and_leaves, zip_entry
from dlp_proxy.archive.export.model import Channel, FileRef, MemberHistory, Post, channel_type_display

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_QP = email_charset.Charset("utf-8")
_QP.body_encoding = email_charset.QP


def timestamp(ms: int) -> str:
    """TimestampConvert: RFC 3339, seconds, UTC."""
    return dt.datetime.fromtimestamp(ms // 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def durafmt(ms: int) -> str:
    """durafmt.Parse(d.Round(time.Minute)).String() for the values the exporter formats."""
    minutes = round(ms / 60000)
    if minutes <= 0:
        return "0 seconds"
    parts = []
    for unit, size in (("year", 525600), ("week", 10080), ("day", 1440), ("hour", 60), ("minute", 1)):
        n, minutes = divmod(minutes, size)
        if n:
            parts.append(f"{n} {unit}" + ("" if n == 1 else "s"))
    return " ".join(parts)


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _participant_row(p: Mapping[str, object]) -> str:
    return (
        "\n<tr>\n"
        f'    <td class="userid">{_e(p["user_id"])}</td>\n'
        f'    <td class="username">@{_e(p["username"])}</td>\n'
        f'    <td class="usertype">{_e(p["user_type"])}</td>\n'
        f'    <td class="email">{_e(p["email"])}</td>\n'
        f'    <td class="joined">{timestamp(int(str(p["join"])))}</td>\n'
        f'    <td class="left">{timestamp(int(str(p["leave"])))}</td>\n'
        f'    <td class="duration">{durafmt(int(str(p["leave"])) - int(str(p["join"])))}</td>\n'
        f'    <td class="messages">{p["messages"]}</td>\n'
        "</tr>\n"
    )


def _message_item(m: Mapping[str, object]) -> str:
    post_username = str(m.get("post_username") or "")
    return (
        '\n<li class="message">\n'
        f'    <span class="post_id">{_e(m["post_id"])}</span>\n'
        f'    <span class="sent_time">{timestamp(int(str(m["sent"])))}</span>\n'
        f'    <span class="username">@{_e(m["username"])}</span>\n'
        f'    <span class="userid">{_e(m["user_id"])}</span>\n'
        f'    <span class="postusername">{_e("@" + post_username if post_username else "@" + str(m["username"]))}'
        "</span>\n"
        f'    <span class="usertype">{_e(m["user_type"])}</span>\n'
        f'    <span class="email">({_e(m["email"])})</span>\n'
        f'    <span class="message">{_e(m["message"])}</span>\n'
        + (f'    <span class="previews_post">{_e(m["previews"])}</span>\n' if m.get("previews") else "")
        + "</li>\n"
    )


def channel_html(channel: Channel, start: int, end: int, participants: Sequence[Mapping[str, object]],
                 messages: Sequence[Mapping[str, object]], exported_on: int) -> str:
    rows = "".join(_participant_row(p) for p in participants)
    items = "".join(_message_item(m) for m in messages)
    return (
        "<h1>Mattermost Compliance Export</h1>\n\n<h2>Conversation Summary</h2>\n"
        '<div class="summary-list">\n    <ul>\n'
        f'        <li><span class="bold">TeamId:</span>{_e(channel.team_id)}</li>\n'
        f'        <li><span class="bold">TeamName:</span>{_e(channel.team_name)}</li>\n'
        f'        <li><span class="bold">TeamDisplayName:</span>{_e(channel.team_display_name)}</li>\n'
        f'        <li><span class="bold">ChannelId:</span>{_e(channel.id)}</li>\n'
        f'        <li><span class="bold">ChannelName:</span>{_e(channel.name)}</li>\n'
        f'        <li><span class="bold">ChannelDisplayName:</span>{_e(channel.display_name)}</li>\n'
        f'        <li><span class="bold">Started:</span>{timestamp(start)}</li>\n'
        f'        <li><span class="bold">Ended:</span>{timestamp(end)}</li>\n'
        f'        <li><span class="bold">Duration:</span>{durafmt(end - start)}</li>\n'
        "    </ul>\n</div>\n"
        '<table class="participants">\n    <tr>\n'
        '        <th class="userid">UserId<br></th>\n        <th class="username">Username<br></th>\n'
        '        <th class="usertype">UserType<br></th>\n        <th class="email">Email</th>\n'
        '        <th class="joined">Joined</th>\n        <th class="left">Left</th>\n'
        '        <th class="duration">Duration</th>\n        <th class="messages">Messages</th>\n'
        f"    </tr>\n    {rows}\n</table>\n\n<h2>Messages</h2>\n"
        f'<div class="message-list">\n    <ul>\n        {items}\n    </ul>\n</div>\n\n'
        f"<p>Exported on {timestamp(exported_on)}</p>\n"
    )


class _Text(HTMLParser):
    BLOCK = frozenset({"h1", "h2", "p", "div", "ul", "li", "tr", "table", "br"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.BLOCK:
            self.out.append("\n")
        elif tag in ("td", "th", "span"):
            self.out.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(" ".join(data.split()) if data.strip() else "")


def html_to_text(body: str) -> str:
    p = _Text()
    p.feed(body)
    lines = [" ".join(line.split()) for line in "".join(p.out).split("\n")]
    return "\n".join(line for line in lines if line) + "\n"


def _b(value: str) -> str:
    """encodeRFC2047Word: mime.BEncoding.Encode("utf-8", s) (plain ASCII stays as is)."""
    if all(32 <= ord(c) < 127 for c in value):
        return value
    return Header(value, "utf-8").encode()


def _qp_text(text: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(text, charset=_QP)
    return part


def channel_email(channel: Channel, posts: Sequence[Post], history: Sequence[MemberHistory], *, start: int,
                  end: int, exported_on: int) -> bytes:
    """generateEmail for one channel's posts."""
    authors = {p.user_id: Member(p.user_id, p.user_email, p.username, p.is_bot) for p in posts}
    joins, leaves = joins_and_leaves(start, end, history, authors)
    left = {m.user_id: when for when, m in leaves}
    counts: dict[str, int] = {}
    messages: list[dict[str, object]] = []
    files: list[FileRef] = []
    for p in posts:
        ut = "bot" if p.is_bot else "user"
        if not p.is_deleted():  # MM-62059: deleted messages are not exported (their files are)
            override = p.props.get("override_username") or p.props.get("webhook_display_name") or ""
            messages.append({"post_id": p.post_id, "sent": p.create_at, "username": p.username, "user_id": p.user_id,
                             "post_username": override, "user_type": ut, "email": p.user_email,
                             "message": p.message, "previews": p.preview_id()})
            counts[p.user_id] = counts.get(p.user_id, 0) + 1
        for f in p.files:
            if f.data is not None:
                files.append(f)
            note = f"Deleted file {f.name}" if f.delete_at else f"Uploaded file {f.name}"
            messages.append({"post_id": p.post_id, "sent": f.delete_at or f.create_at, "username": p.username,
                             "user_id": p.user_id, "user_type": ut, "email": p.user_email, "message": note})
    # stable sort by time; at equal times a post comes before its file notices (to_html.go)
    messages.sort(key=lambda m: (int(str(m["sent"])), str(m["message"]).startswith(("Uploaded file", "Deleted file"))))
    participants = sorted(
        ({"user_id": m.user_id, "username": m.username, "user_type": "bot" if m.is_bot else "user", "email": m.email,
          "join": when, "leave": left.get(m.user_id, end), "messages": counts.get(m.user_id, 0)} for when, m in joins),
        key=lambda r: str(r["username"]),
    )
    emails = [str(p["email"]) for p in participants]
    body = channel_html(channel, start, end, participants, messages, exported_on)
    alt = MIMEMultipart("alternative")
    alt.attach(_qp_text(html_to_text(body), "plain"))
    alt.attach(_qp_text("\r\n<html><body>" + body + "</body></html>", "html"))
    digest = hashlib.sha256(body.encode() + b"".join(f.data or b"" for f in files)).hexdigest()
    msg: MIMEMultipart = alt
    if files:
        msg = MIMEMultipart("mixed")
        msg.attach(alt)
        for f in files:
            part = MIMEApplication(f.data or b"", "octet-stream")
            # a control character in a name would break (or, unchecked, inject into) the MIME header
            part.add_header("Content-Disposition", "attachment", filename=_CONTROL.sub("_", f.name))
            msg.attach(part)
        msg.set_boundary("mixed-" + digest[:32])
    alt.set_boundary("alt-" + digest[:32])
    headers = {
        "From": emails[0] if emails else "",
        "To": ",\r\n ".join(emails) if len(",".join(emails)) > 70 else ",".join(emails),
        "Subject": _b(f"Mattermost Compliance Export: {channel.display_name}"),
        "Content-Transfer-Encoding": "8bit",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
        "X-GlobalRelay-MsgType": "Mattermost",
        "X-Mattermost-ChannelName": _b(channel.display_name),
        "X-Mattermost-ChannelID": _b(channel.id),
        "X-Mattermost-ChannelType": _b(channel_type_display(channel.type)),
        "Date": format_datetime(dt.datetime.fromtimestamp(end // 1000, dt.UTC)),  # gomail: RFC1123Z
        "Message-ID": f"<{digest[:40]}@dlp-proxy.export>",
    }
    for k, v in headers.items():
        msg[k] = v
    # CRLF line ends, as gomail writes them and SMTP carries them
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def eml_name(channel: Channel, batch: int = 0) -> str:
    return f"{channel.display_name} - ({channel.id}) - {batch}.eml"


def globalrelay_zip(channels: Mapping[str, Channel], posts: Iterable[Post],
                    histories: Mapping[str, Sequence[MemberHistory]], *, start: int, end: int,
                    exported_on: int) -> tuple[bytes, dict[str, bytes]]:
    """The zip Mattermost writes (``globalrelay-zip``) and its EMLs by name (for SMTP)."""
    by_channel: dict[str, list[Post]] = {}
    for p in posts:
        by_channel.setdefault(p.channel_id, []).append(p)
    emls = {
        eml_name(channels[cid]): channel_email(channels[cid], ps, histories.get(cid, ()), start=start, end=end,
                                               exported_on=exported_on)
        for cid, ps in sorted(by_channel.items())
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in emls.items():
            zip_entry(zf, name, data)
    return buf.getvalue(), emls
