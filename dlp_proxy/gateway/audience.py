"""Requests that widen a channel's audience after a reviewer released messages into it.

A held message that a security reviewer releases was judged for the audience its
channel had then: in the shipped policy an identifier is held only in private
channels, direct and group messages (``npi-private``), and blocked in public ones.
Two writes change who can read a channel's history afterwards, without any new
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

from dlp_proxy.gateway.extract import BodyError, go_json_decode
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


def widened_channel(method: str, path: str, body: bytes) -> str | None:
    """The channel whose audience the request widens (``path`` as the router cleaned
    it), else None."""
    verb = method.upper()
    if verb == "POST" and (m := _SHARE.match(path)):
        return m.group(1)
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
