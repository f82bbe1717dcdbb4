"""Client-to-server websocket frames on ``/api/v4/websocket``, read as Mattermost reads them.

How Mattermost reads a frame (server/channels/app/platform/web_conn.go ``readPump``):

- a TEXT message is decoded with ``json.NewDecoder(rd).Decode(&req)`` into
  ``model.WebSocketRequest`` (``{"seq", "action", "data"}``; encoding/json matches
  field names case-insensitively, a later key overrides an earlier one, trailing
  bytes after the first value are never read); a BINARY message is decoded with
  msgpack into the same struct (the Calls plugin's clients send their SDP offers
  that way: mattermost-plugin-calls webapp/src/websocket.ts, later
  webapp/src/clients/websocket/websocket_client.ts, ``send(action, data, binary)``
  encodes with @msgpack/msgpack, and webapp/src/client.ts sends ``sdp`` as
  ``{data: deflate(JSON.stringify(offer))}``, a zlib stream in a msgpack ``bin``;
  its LiveKit-based client no longer sends binary frames);
- an action prefixed ``custom_`` goes to plugins only; every other action goes
  to the websocket router (server/channels/wsapi/*.go) **and** every request,
  whatever its action, is handed to plugins' ``WebSocketMessageHasBeenPosted``;
- core actions (wsapi/system.go, status.go, user.go): ``ping`` and
  ``get_statuses`` read no data; ``get_statuses_by_ids`` reads ``user_ids``;
  ``user_update_active_status`` reads two booleans; ``authentication_challenge``
  reads ``token``; ``user_typing`` reads ``channel_id`` and ``parent_id``, a free
  string that ``PublishUserTyping`` broadcasts to the channel's members;
  ``posted_notify_ack`` logs ``user_agent``, ``post_id``, ``status``, ``reason``,
  ``data``; ``presence`` (sent by @mattermost/client's WebSocketClient on every
  channel, team or thread switch) carries ids and a boolean.

So the gateway (``classify_frame``, then the addon's ``_judge_frame``):

- passes a frame without inspection only when it has *exactly* the shape of a
  core action that carries no content: a JSON object whose keys are exactly
  ``seq``/``action``/``data`` (no duplicates anywhere, no other spelling that
  Go would fold onto them), an integer ``seq``, and ``data`` limited to the
  fields and types that action reads;
- reads a binary frame as the JSON document it stands for (``msgpack_frame``:
  one msgpack map, nothing after it, string keys, no duplicate key, at most
  ``MAX_MSGPACK_DEPTH`` deep; a ``bin`` value read as the text it holds, zlib
  inflated up to ``MAX_INFLATED_BYTES`` and/or UTF-8) and judges that document
  exactly as a text frame (shape checks, every string, key and number inspected);
  the frame itself is forwarded unchanged when allowed;
- refuses to judge (drops, archived) what it cannot read the way Mattermost
  does: binary frames that are not such a msgpack map (not msgpack, trailing
  bytes, extension types, timestamps, non-string keys, a ``bin`` that is neither
  zlib-compressed text nor UTF-8 text, non-finite floats, a parser limit
  reached), frames that are not one JSON object, duplicate or case-folded keys, an
  ``authentication_challenge`` of any other shape (a credential is never
  scanned or archived), frames above ``MAX_FRAME_BYTES``, and a ``user_typing`` or
  ``posted_notify_ack`` whose ids, enumerations or numbers are not exactly what
  the router reads (``SHAPED_ACTIONS``: a typing frame's ``parent_id`` is
  broadcast to every channel member as it is, so it must be an id
  ``model.NewId`` could have made, with no run of six digits: ``atrest.new_id``),
  and a ``presence`` or ``get_statuses_by_ids`` frame with an id-shaped value
  holding a character NewId never writes (``0``, ``2``, ``l``, ``v``);
- passes a well-shaped ``user_typing`` (two ids carry no content);
- inspects everything else like a JSON body, route ``websocket.<action>``:
  ``posted_notify_ack`` (its user agent and data text), every ``custom_*`` plugin
  action, any action it does not know.  The policy decides; a frame is never held for review
  (there is no request to release later): quarantine becomes a drop.

Server-to-client frames are forwarded unchanged.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgpack

from dlp_proxy import atrest
from dlp_proxy.gateway.extract import go_surrogates
from dlp_proxy.gateway.routes import Body, Route
from dlp_proxy.model import MATTERMOST_ID

WEBSOCKET_PATH = "/api/v4/websocket"

#: Mattermost refuses larger frames (model.SocketMaxMessageSizeKb, 8 KiB); the
#: gateway drops what is far above it
MAX_FRAME_BYTES = 64 * 1024

#: session tokens and personal access tokens are model.NewId() values
_ACTION = re.compile(r"[A-Za-z0-9_.\-]{1,128}")
_DIGITS3 = re.compile(r"\d{3,}")
_TOP_KEYS = ("seq", "action", "data")


def _empty(data: Any) -> bool:
    return data is None or data == {}


def _statuses_by_ids(data: Any) -> bool:
    if not isinstance(data, dict) or set(data) != {"user_ids"}:
        return False
    ids = data["user_ids"]
    return isinstance(ids, list) and 0 < len(ids) <= 1000 and all(isinstance(i, str) and MATTERMOST_ID.fullmatch(i) for i in ids)


def _active_status(data: Any) -> bool:
    return (isinstance(data, dict) and set(data) <= {"user_is_active", "manual"} and "user_is_active" in data
            and all(isinstance(v, bool) for v in data.values()))


def _presence(data: Any) -> bool:
    # @mattermost/client updateActiveChannel / updateActiveTeam / updateActiveThread
    if not isinstance(data, dict) or not data or not set(data) <= {"channel_id", "team_id", "thread_channel_id", "is_thread_view"}:
        return False
    for k, v in data.items():
        if k == "is_thread_view":
            if not isinstance(v, bool):
                return False
        elif not isinstance(v, str) or not (v == "" or MATTERMOST_ID.fullmatch(v)):
            return False
    return True


def _auth(data: Any) -> bool:
    return (isinstance(data, dict) and set(data) == {"token"} and isinstance(data["token"], str)
            and bool(MATTERMOST_ID.fullmatch(data["token"])))


def _typing(data: Any) -> bool:
    """wsapi/user.go userTyping: ``channel_id`` must be an id (model.IsValidId) of a
    channel the sender may post in, ``parent_id`` is any string, broadcast to every
    member of the channel as it is (app/user.go PublishUserTyping): ``channel_id``
    must be an id here, ``parent_id`` empty or an id ``model.NewId`` could have made
    with no long digit run (``atrest.new_id``: a card number glued to an account
    number is 26 characters of ``[a-z0-9]``, and the detector reads no identifier in
    such a run), and nothing else may be there."""
    if not isinstance(data, dict) or not set(data) <= {"channel_id", "parent_id"}:
        return False
    if not isinstance(data.get("channel_id"), str) or not MATTERMOST_ID.fullmatch(data["channel_id"]):
        return False
    parent = data.get("parent_id", "")
    return parent is None or (isinstance(parent, str) and (parent == "" or atrest.new_id(parent)))


def _foreign_ids(data: Any) -> bool:
    """Whether an id-shaped string in a no-content frame's data holds a character
    ``model.NewId`` never writes (``0``, ``2``, ``l``, ``v``): no real client sends it.
    (An id in NewId's alphabet with a digit run passes here: a real user or channel
    id has one in ~0.4 % of cases, and these values reach only Mattermost's debug
    log and the sender's own reply.)"""
    values = data.values() if isinstance(data, dict) else ()
    for v in values:
        for item in (v if isinstance(v, list) else [v]):
            if isinstance(item, str) and item and not atrest.new_id_alphabet(item):
                return True
    return False


_ENUM = re.compile(r"[a-z_]{0,64}")


def _no_numbers(v: Any, depth: int = 0) -> bool:
    if depth > 16:
        return False
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return True
    if isinstance(v, dict):
        return all(_no_numbers(x, depth + 1) for x in v.values())
    if isinstance(v, list):
        return all(_no_numbers(x, depth + 1) for x in v)
    return False  # int, float


def _notify_ack(data: Any) -> bool:
    """wsapi/system.go websocketNotificationAck logs ``user_agent``, ``post_id``,
    ``status``, ``reason`` and ``data`` and counts ``status``/``reason`` as metric
    labels (model.NotificationStatus / NotificationReason, enumerations): the ids and
    enumerations must have their shape and no field may be a number; the text fields
    (``user_agent``, ``data``) are then inspected."""
    if not isinstance(data, dict) or not set(data) <= {"user_agent", "post_id", "status", "reason", "data"}:
        return False
    post_id = data.get("post_id", "")
    if not (post_id is None or (isinstance(post_id, str) and (post_id == "" or atrest.new_id_alphabet(post_id)))):
        return False
    for key in ("status", "reason"):
        v = data.get(key)
        if v is not None and not (isinstance(v, str) and _ENUM.fullmatch(v)):
            return False
    return _no_numbers(data)


#: core actions whose ``data`` must have this exact shape or the frame is dropped
#: (a typing frame that passes the check carries no content and passes; an ack is
#: then inspected for its text fields)
SHAPED_ACTIONS: dict[str, Callable[[Any], bool]] = {
    "user_typing": _typing,
    "posted_notify_ack": _notify_ack,
}

#: core actions that carry no content, and the exact shape of their ``data``
NO_CONTENT_ACTIONS: dict[str, Callable[[Any], bool]] = {
    "ping": _empty,
    "get_statuses": _empty,
    "get_statuses_by_ids": _statuses_by_ids,
    "user_update_active_status": _active_status,
    "presence": _presence,
    "authentication_challenge": _auth,
}

#: core actions whose data is inspected (labels kept as is in metrics)
CONTENT_ACTIONS = frozenset({"user_typing", "posted_notify_ack"})


@dataclass(frozen=True, slots=True)
class FrameJudgment:
    """``kind``: "pass" (shape-checked, no content), "inspect" or "drop"."""

    kind: str
    action_label: str  # shape-checked action, for the route name and the archive
    reason: str = ""
    token: str | None = None  # from a well-formed authentication_challenge (memory only)
    seq: int | None = None  # the frame's seq, for the refusal reply
    body: bytes | None = None  # a binary frame: the JSON document it was read as (what is inspected)


def refusal_reply(seq: int, error_id: str, message: str) -> bytes:
    """What Mattermost answers a failed websocket request with
    (model.WebSocketResponse: ``status`` FAIL, ``seq_reply``, an AppError), so a
    client waiting on ``seq`` hears that its frame was not sent."""
    return json.dumps({"status": "FAIL", "seq_reply": seq,
                       "error": {"id": error_id, "message": message, "detailed_error": "", "status_code": 403}}).encode()


class _Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Duplicate(k)
        out[k] = v
    return out


def _fold(key: str) -> str:
    # Go's encoding/json folds field names with simple Unicode case folding,
    # under which KELVIN SIGN is k and LONG S is s: fold those too
    return key.replace("\u212a", "k").replace("\u017f", "s").casefold()


def action_label(action: str) -> str:
    """The action as archived and as a route name: kept when it is a short name
    without digit runs (none of three digits, none of six joined by short separators
    as ``atrest.digit_run`` reads them: ``custom_53_62_28_71_0``), with at most five
    digits in all and nothing the detector's reading turns into digits
    (``atrest.reads_as_number``: ``custom_ssn_five_three_six_...``, atk27 C); otherwise
    replaced (``~other``)."""
    if _ACTION.fullmatch(action) and not _DIGITS3.search(action) \
            and atrest.digit_run(action) < atrest.MIN_DIGIT_RUN and sum(c.isdigit() for c in action) <= 5 \
            and not atrest.reads_as_number(action):
        return action
    return "~other"


def metric_label(label: str) -> str:
    """Metric label for a frame's route: bounded cardinality."""
    if label in NO_CONTENT_ACTIONS or label in CONTENT_ACTIONS:
        return "websocket." + label
    if label.startswith("custom_"):
        return "websocket.custom"
    return "websocket.other"


#: limits of a binary (msgpack) frame's reading: nesting, and the text its ``bin``
#: values inflate to in all (a frame is at most MAX_FRAME_BYTES before)
MAX_MSGPACK_DEPTH = 32
MAX_INFLATED_BYTES = MAX_FRAME_BYTES  # (the reading is judged as a text frame: same bound)


class _Unreadable(ValueError):
    pass


def _ext(code: int, data: bytes) -> Any:
    raise _Unreadable("a msgpack extension type")


def _bin_text(raw: bytes, budget: list[int]) -> str:
    """What a ``bin`` value may be read as: the text of its zlib stream (pako
    ``deflate``, as the Calls client sends an SDP offer) and/or its bytes as UTF-8;
    both when both read, so nothing a reader could take from it goes uninspected."""
    readings: list[str] = []
    if len(raw) >= 2 and (raw[0] & 0x0F) == 8 and (raw[0] * 256 + raw[1]) % 31 == 0:
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(raw, budget[0] + 1)
        except zlib.error:
            out = None
        if out is not None:
            if len(out) > budget[0] or inflater.unconsumed_tail:
                raise _Unreadable("a msgpack bin value inflates past the limit")
            if not inflater.eof or inflater.unused_data:
                out = None
        if out is not None:
            budget[0] -= len(out)
            try:
                readings.append(out.decode("utf-8"))
            except UnicodeDecodeError:
                raise _Unreadable("a msgpack bin value inflates to bytes that are not text") from None
    try:
        readings.append(raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    if not readings:
        raise _Unreadable("a msgpack bin value that is not text")
    return "\n".join(readings)


def _json_of(v: Any, depth: int, budget: list[int]) -> Any:
    if depth > MAX_MSGPACK_DEPTH:
        raise _Unreadable("msgpack nested too deeply")
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _Unreadable("a msgpack float that JSON cannot carry")
        return v
    if isinstance(v, bytes):
        return _bin_text(v, budget)
    if isinstance(v, list):
        return [_json_of(x, depth + 1, budget) for x in v]
    if isinstance(v, dict):
        out: dict[str, Any] = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise _Unreadable("a msgpack map key that is not a string")
            out[k] = _json_of(x, depth + 1, budget)
        return out
    raise _Unreadable(f"a msgpack value of type {type(v).__name__}")  # Timestamp, ExtType


def _msgpack_pairs(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Unreadable("a repeated key in a msgpack map")
        out[k] = v
    return out


def msgpack_frame(content: bytes) -> bytes:
    """The JSON document a binary frame stands for (``ValueError`` when it is not
    exactly one msgpack map the gateway can read: see the module docstring).
    Bounded: the frame is at most ``MAX_FRAME_BYTES`` (checked before), msgpack's
    stack bounds the parse (``StackError``), the reading ``MAX_MSGPACK_DEPTH`` deep and
    ``MAX_INFLATED_BYTES`` inflated; a limit reached refuses the frame, never passes it."""
    try:
        doc = msgpack.unpackb(content, raw=False, strict_map_key=False, use_list=True, timestamp=0,
                              object_pairs_hook=_msgpack_pairs, ext_hook=_ext)
    except _Unreadable:
        raise
    except (ValueError, TypeError, OverflowError, RecursionError, msgpack.UnpackException) as exc:
        # ExtraData (trailing bytes), StackError (nesting), FormatError, invalid UTF-8...
        raise _Unreadable(f"not one msgpack document ({type(exc).__name__})") from None
    if not isinstance(doc, dict):
        raise _Unreadable("a msgpack frame that is not a map")
    try:
        return json.dumps(_json_of(doc, 0, [MAX_INFLATED_BYTES]), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (RecursionError, UnicodeEncodeError) as exc:
        raise _Unreadable(f"a msgpack frame JSON cannot carry ({type(exc).__name__})") from None


def classify_frame(content: bytes, is_text: bool) -> FrameJudgment:
    """How a client frame is judged (see the module docstring)."""
    if not is_text:
        if len(content) > MAX_FRAME_BYTES:
            return FrameJudgment("drop", "~binary", "websocket frame too large")
        try:
            reading = msgpack_frame(content)
        except ValueError as exc:
            return FrameJudgment("drop", "~binary", f"binary websocket frame not read: {exc}")
        judged = classify_frame(reading, True)
        return FrameJudgment(judged.kind, judged.action_label, judged.reason, judged.token, judged.seq, body=reading)
    if len(content) > MAX_FRAME_BYTES:
        return FrameJudgment("drop", "~large", "websocket frame too large")
    try:
        doc = json.loads(content, object_pairs_hook=_pairs)
    except _Duplicate:
        return FrameJudgment("drop", "~invalid", "repeated key in a websocket frame")
    except (ValueError, RecursionError):
        # Go reads the first JSON value and ignores the rest; a real client sends
        # one object: anything else is not judged, so not forwarded
        return FrameJudgment("drop", "~invalid", "websocket frame is not one JSON document")
    if not isinstance(doc, dict):
        return FrameJudgment("drop", "~invalid", "websocket frame is not a JSON object")
    if b"\\u" in content:
        doc = go_surrogates(doc)  # Go reads a lone \ud800 as U+FFFD
    folded = [_fold(k) for k in doc]
    if len(set(folded)) != len(folded):
        return FrameJudgment("drop", "~invalid", "keys of a websocket frame that Mattermost reads as one")
    # the action Go decodes: the (only) key folding onto "action"
    action_keys = [k for k in doc if _fold(k) == "action"]
    action = doc[action_keys[0]] if action_keys else ""
    if not isinstance(action, str):
        return FrameJudgment("drop", "~invalid", "websocket action is not a string")
    label = action_label(action)
    seq_keys = [k for k in doc if _fold(k) == "seq"]
    seq = doc[seq_keys[0]] if seq_keys and _seq_ok(doc[seq_keys[0]]) else None
    exact = all(k in _TOP_KEYS for k in doc) and bool(action_keys)
    if _fold(action) == "authentication_challenge" or action.lower().startswith("authentication"):
        if exact and action == "authentication_challenge" and _seq_ok(doc.get("seq")) and _auth(doc.get("data")):
            return FrameJudgment("pass", label, token=str(doc["data"]["token"]), seq=seq)
        # a credential is never inspected nor archived
        return FrameJudgment("drop", "authentication_challenge", "malformed authentication frame", seq=seq)
    shaped = SHAPED_ACTIONS.get(_fold(action))
    if shaped is not None:
        # a core action Mattermost's router reads field by field: exactly its shape or dropped
        if not (exact and action in SHAPED_ACTIONS and _seq_ok(doc.get("seq")) and shaped(doc.get("data"))):
            return FrameJudgment("drop", label, f"malformed {label} frame", seq=seq)
        if action == "user_typing":
            return FrameJudgment("pass", label, seq=seq)
        return FrameJudgment("inspect", label, seq=seq)
    shape = NO_CONTENT_ACTIONS.get(action)
    if shape is not None and exact and _seq_ok(doc.get("seq")) and shape(doc.get("data")):
        if action in ("presence", "get_statuses_by_ids") and _foreign_ids(doc.get("data")):
            return FrameJudgment("drop", label, f"{label} frame with an id Mattermost could not have made", seq=seq)
        return FrameJudgment("pass", label, seq=seq)
    return FrameJudgment("inspect", label, seq=seq)


def _seq_ok(seq: Any) -> bool:
    return seq is None or (isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq < 2**53)


def frame_route(label: str) -> Route:
    """The route a frame is judged as.  ``user_typing`` names its channel in
    ``data.channel_id`` (wsapi/user.go); other frames may name none, and the
    policy judges them as outside any channel."""
    channel_from = "body.data.channel_id" if label == "user_typing" else None
    return Route(f"websocket.{label}", "websocket", "WS", WEBSOCKET_PATH, Body.JSON, channel_from=channel_from)
