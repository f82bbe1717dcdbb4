"""The shapes Mattermost's compliance exporters work on, in Python.

Mirrors ``model.MessageExport``, ``model.ChannelMemberHistoryResult``,
``model.FileInfo`` and ``shared.MetadataChannel`` as Mattermost's exporters read
them (server/enterprise/message_export/shared/shared.go,
server/public/model/message_export.go), so the Actiance, Global Relay and CSV
writers can be ported line for line and checked against Mattermost's own test
fixtures.  Times are epoch milliseconds, as in Mattermost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: shared.ChannelTypeDisplayName
CHANNEL_TYPE_DISPLAY = {"O": "public", "P": "private", "D": "direct", "G": "group"}


def channel_type_display(channel_type: str) -> str:
    return CHANNEL_TYPE_DISPLAY.get(channel_type, "")


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    display_name: str
    type: str  # "O" | "P" | "D" | "G"
    team_id: str = ""
    team_name: str = ""
    team_display_name: str = ""


@dataclass(frozen=True, slots=True)
class MemberHistory:
    """One row of ChannelMemberHistoryResult."""

    user_id: str
    email: str
    username: str
    join_time: int
    leave_time: int | None = None
    is_bot: bool = False
    user_delete_at: int = 0


@dataclass(frozen=True, slots=True)
class FileRef:
    """model.FileInfo as the exporters use it; ``data`` None = missing from the store."""

    id: str
    name: str
    path: str
    data: bytes | None
    create_at: int = 0
    delete_at: int = 0
    #: why ``data`` is None, for warning.txt (default: Mattermost's missing-file message)
    note: str = ""

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass(frozen=True, slots=True)
class Post:
    """model.MessageExport (the fields the exporters read)."""

    post_id: str
    channel_id: str
    create_at: int
    update_at: int
    message: str
    user_id: str
    user_email: str
    username: str
    is_bot: bool = False
    delete_at: int = 0
    edit_at: int = 0
    original_id: str = ""
    root_id: str = ""
    post_type: str = ""
    props: dict[str, Any] = field(default_factory=dict)
    files: tuple[FileRef, ...] = ()
    #: extra CSV columns (ours); not read by the Actiance or Global Relay writers
    dlp: dict[str, Any] = field(default_factory=dict)

    def preview_id(self) -> str:
        """model.MessageExport.PreviewID: the permalink-previewed post id, if any."""
        value = self.props.get("previewed_post")
        return value if isinstance(value, str) else ""

    def is_deleted(self) -> bool:
        """shared.IsDeletedMsg: deleted (not an edit's original), i.e. props carry deleteBy."""
        return self.delete_at > 0 and "deleteBy" in self.props

    def is_edited_original(self) -> bool:
        return self.delete_at > 0 and self.original_id != ""
