"""Requests that widen a channel's audience after a reviewer released messages into it.

A held message that a security reviewer releases was judged for the audience its
channel had then: in the shipped policy an identifier is held only in private
channels, direct and group messages (``npi-private``), and blocked in public ones.
These writes change who can read a channel's history afterwards, without any new
content passing the gateway:

- ``PUT /api/v4/channels/{channel_id}/privacy`` with ``{"privacy": "O"}``: a private
  channel made public (server/channels/api4/channel.go ``updateChannelPrivacy``:
  ``model.StringInterfaceFromJSON(r.Body)``, i.e. ``json.NewDecoder(...).Decode`` of
  the first JSON value into a map, exact key ``privacy``, the last duplicate wins;
  any other value than ``"O"`` or ``"P"`` is refused by Mattermost with a 400);
- ``POST /api/v4/remotecluster/{remote_id}/channels/{channel_id}/invite``: the channel
  shared with another organisation (api4/shared_channel.go
  ``inviteRemoteClusterToChannel``), where the shipped policy blocks every identifier
  (``npi-shared-channel``).

- ``POST /api/v4/commands/execute`` running ``/share-channel invite`` (or ``share``):
  the same sharing as a slash command (app/slashcommands/command_share.go
  ``DoCommand``/``doInviteRemote``, which shares the command's channel first when it
  is not yet shared).  The body is read as api4/command.go ``executeCommand`` reads
  it (``json.NewDecoder(r.Body).Decode(&commandArgs)``: struct fields, keys matched
  case-insensitively, the last duplicate wins; ``channel_id`` is the channel), the
  command as app/command.go ``ExecuteCommand`` does (the trigger is the text before
  the first space, without its first character, lower-cased) and the action as
  slashcommands ``parseNamedArgs`` does (the second ``strings.Fields`` word, unless it
  starts with ``--``).  Every ``/share-channel`` action but ``uninvite``, ``unshare``
  and ``status`` (which narrow the audience or read it) counts as widening: an unknown
  one is refused by Mattermost anyway.  The websocket carries no slash command (a
  client runs them through this route only), so no other route needs this.

When the quarantine holds a message released into that channel (states from
approved to released, or a release whose outcome is unknown), such a request is
refused with a 403 AppError that says why and what to do, and archived as its own
decision (rule ``audience-widened-after-release``).  A channel with no released
message is left to Mattermost.  Adding members to a private channel also widens its
audience, but it is the ordinary course of work and is not refused.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Any

from dlp_proxy.gateway.extract import BodyError, go_field_name, go_json_decode
from dlp_proxy.interfaces import QuarantineStore

WIDENED_ID = "api.dlp.audience_widened.app_error"
WIDENED_RULE = "audience-widened-after-release"
WIDENED_MESSAGE = (
    "This channel holds messages that the security review released for its current members only. "
    "Making it public or sharing it with another organisation would show them to more people: "
    "ask Compliance to review the channel first."
)

_PRIVACY = re.compile(r"^/api/v4/channels/([a-z0-9]{26})/privacy$")
_SHARE = re.compile(r"^/api/v4/remotecluster/[a-z0-9]{26}/channels/([a-z0-9]{26})/invite$")
_EXECUTE = "/api/v4/commands/execute"
#: /share-channel actions that do not widen the channel's audience
_SHARE_KEEPS = frozenset({"uninvite", "unshare", "status"})
#: Go's unicode.IsSpace (strings.Fields)
_GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


def shares_channel(command: str) -> bool:
    """Whether Mattermost runs ``command`` as a /share-channel action that widens the
    channel's audience (app/command.go ``ExecuteCommand``, slashcommands ``parseNamedArgs``)."""
    if len(command) <= 1 or not command.startswith("/"):
        return False  # api4/command.go executeCommand: 400
    if command.split(" ")[0][1:].lower() != "share-channel":
        return False
    words = [w for w in re.split(f"[{_GO_SPACE}]+", command) if w]
    action = words[1] if len(words) >= 2 and not words[1].startswith("--") else None
    return action is not None and action not in _SHARE_KEEPS


def _command_channel(body: bytes) -> str | None:
    """The channel of a /share-channel command that widens it, read as
    api4/command.go ``executeCommand`` decodes ``model.CommandArgs``."""
    try:
        doc, _rest = go_json_decode(body.decode("utf-8", "replace"))
    except ValueError:  # BodyError included: refused as unreadable by the inspection
        return None
    if not isinstance(doc, dict):
        return None
    command: Any = None
    channel: Any = None
    for key, value in getattr(doc, "order", None) or list(doc.items()):
        name = go_field_name(str(key))
        if name == "command":
            command = value
        elif name == "channel_id":
            channel = value
    if isinstance(command, str) and isinstance(channel, str) and shares_channel(command):
        return channel
    return None


def widened_channel(method: str, path: str, body: bytes) -> str | None:
    """The channel whose audience the request widens (``path`` as the router cleaned
    it), else None."""
    verb = method.upper()
    if verb == "POST" and (m := _SHARE.match(path)):
        return m.group(1)
    if verb == "POST" and path == _EXECUTE:
        return _command_channel(body)
    if verb == "PUT" and (m := _PRIVACY.match(path)):
        try:
            doc, _rest = go_json_decode(body.decode("utf-8", "replace"))
        except BodyError:
            return m.group(1)  # nested deeper than read here: Go may still read "O"
        except ValueError:
            return None  # encoding/json refuses it: Mattermost reads an empty map, 400
        if isinstance(doc, dict) and doc.get("privacy") == "O":
            return m.group(1)
    return None


def released_into(store: QuarantineStore, channel_id: str) -> Awaitable[bool]:
    """Whether the quarantine released (or may have released) a message into ``channel_id``."""
    return store.released_into(channel_id)
