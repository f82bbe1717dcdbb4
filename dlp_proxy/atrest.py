"""What of a request may be stored at rest (archive, Redis, logs, metrics), and in what form.

Every value the gateway copies from a request into something that outlives it
either has the shape it must have, or is replaced by a keyed hash, or is masked
(issue 14, class 7).  Nothing here is content: content stopped by a decision is
archived under ``_content``, encrypted (docs/archive.md).

- **Mattermost ids** (channel, root, post, hook, upload ids): kept when they
  have Mattermost's shape (26 characters of ``[a-z0-9]``, model.IsValidId on
  ``NewId()``'s alphabet) *and* either carry no run of six or more digits or
  Mattermost confirmed the object exists (``verified``: a random id has such a
  run in about 0.5 % of cases; a chosen one can hide an account number in it).
  Anything else becomes ``~`` + 20 hex of HMAC-SHA256 under the installation's
  ``hash`` key: equal values still match, the value is gone.
- **Names** (usernames, channel, team and group names in a record's context and in
  the identity cache in Redis): kept when no run of six or more digits is in them
  (``digit_run``: NFKC-folded, short separators joined), else the keyed hash
  (``safe_name``: ``u4111111111111111`` is a username Mattermost accepts).
- **The request path**: the matched route's template with its parameters
  replaced by their shape-checked form (``/api/v4/posts/{post_id}/patch`` ->
  ``/api/v4/posts/<id>/patch``); for a path that matched no template,
  ``mask_path``: segments that are short words (letters, ``_ - .``), API
  versions or ids are kept, every other segment becomes ``*``.
- **Field paths** (``body.props.x``, ``query.filename``, file locations such as
  ``file[0]:sheet=Q1!B2``): keys, sheet and member names come from the client.
  Split at ``. : = ! / , ( )``, spaces and ``{key}`` (the item of a JSON key), a
  component that is not a short identifier-like name (``[A-Za-z_][A-Za-z0-9_-]{0,39}`` with at most two
  digits), an index ``[n]``, a number of at most five digits or a spreadsheet
  cell reference (row at most 1048576) is replaced by its keyed hash; in a text
  people read (the sender's notice, stored by Mattermost as a post) it is withheld
  (``shown_field_path``: ``…``), and names with a long digit run are left out
  (``shown_name``).
- **Free text** that may quote a request (refusal messages built from a parser
  error): quoted substrings are withheld, runs of three or more digits masked,
  the length capped.  Header values are never put in a message in the first place.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from dlp_proxy.keys import keyed_hash
from dlp_proxy.model import MATTERMOST_ID

#: digits in a row (separators joined) from which a value may hold an identifier
MIN_DIGIT_RUN = 6
_DIGIT_RUN = re.compile(r"\d{6,}")
_WORD_SEGMENT = re.compile(r"[a-z_.\-]{1,40}|v\d|\*\*?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,39}")
_INDEX = re.compile(r"\[\d{1,4}\]")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_DIGITS3 = re.compile(r"\d{3,}")
#: six or more digits with separators between them ("536 22 8710", "5.3.6...",
#: "536----22----8710": a run of separators of any length reads as one, as the recognizers
#: read it; the run and the digit are disjoint classes, so the match stays linear)
_SPACED_NUMBER = re.compile(r"\d(?:[^A-Za-z0-9]*\d){5,}")
#: separators of field paths and of file locations (``file[0]:sheet=Q1!B2/comment``)
_FIELD_SPLIT = re.compile(r"(\[\d{1,4}\]|\{key\}|[.:=!/ ,()])")
_SMALL_NUMBER = re.compile(r"\d{1,5}")
_CELL = re.compile(r"[A-Z]{1,3}(\d{1,7})")
#: Excel's last row: a cell reference cannot carry a longer number
_MAX_ROW = 1048576
#: separators between two digits, a run of any length (removed before looking for a long
#: number: ``a536----22----8710`` holds nine digits, as the recognizers read it)
_JOINED_DIGITS = re.compile(r"(?<=\d)[^A-Za-z0-9]+(?=\d)")

MAX_TEXT = 300


def is_id(value: str) -> bool:
    """Mattermost's id shape (26 x [a-z0-9])."""
    return bool(MATTERMOST_ID.fullmatch(value))


def hashed(key: bytes, value: str, kind: str = "v") -> str:
    return "~" + keyed_hash(key, f"{kind}\x00{value}")[:20]


def plain_id(value: str) -> bool:
    """Id-shaped with no run of six digits: safe to keep without asking Mattermost."""
    return is_id(value) and not _DIGIT_RUN.search(value)


#: model.NewId's alphabet (server/public/model/utils.go: base32 with
#: "ybndrfg8ejkmcpqxot1uwisza345h769"): never 0, 2, l or v
_NEW_ID = re.compile(r"[13-9a-km-uw-z]{26}")


def new_id(value: str) -> bool:
    """An id ``model.NewId`` could have made (26 characters of its base32 alphabet:
    no ``0``, ``2``, ``l`` or ``v``) with no run of ``MIN_DIGIT_RUN`` digits: a value
    that may be shown to other users as an id and carry nothing.  Mattermost's
    model.IsValidId accepts any 26 letters or digits, so an id-shaped value that fails
    this was made by hand (a card number glued to an account number is 26 digits).
    A random id has such a digit run in about 0.4 % of cases."""
    return bool(_NEW_ID.fullmatch(value)) and not _DIGIT_RUN.search(value)


def new_id_alphabet(value: str) -> bool:
    """26 characters of ``model.NewId``'s alphabet (digit runs allowed)."""
    return bool(_NEW_ID.fullmatch(value))


def digit_run(value: str) -> int:
    """The longest run of digits in ``value`` as a reader may take it: NFKC-folded,
    format characters (zero-width) dropped, digits of any script read as digits and
    a run of separators of any length between two digits joined (``u4111-1111``,
    ``536 22 8710``, ``a536----22----8710``)."""
    folded = []
    for ch in unicodedata.normalize("NFKC", value):
        if unicodedata.category(ch) == "Cf":
            continue
        d = unicodedata.digit(ch, None)
        folded.append(str(d) if d is not None else ch)
    joined = _JOINED_DIGITS.sub("", "".join(folded))
    return max((len(m) for m in re.findall(r"[0-9]+", joined)), default=0)


def safe_name(key: bytes, value: str | None) -> str | None:
    """A name copied from Mattermost or a request (user, channel, team, group, file
    name) kept as is when no run of ``MIN_DIGIT_RUN`` digits is in it (nothing the
    detector could read as a number), else its keyed hash (equal names still match)."""
    if value is None or value == "" or digit_run(value) < MIN_DIGIT_RUN:
        return value
    return hashed(key, value, "name")


#: the names a request's context carries (``RequestContext.to_json``)
_CONTEXT_NAMES = ("username", "channel_name", "team_name")


def safe_context(key: bytes, doc: dict[str, Any]) -> dict[str, Any]:
    """A request context (``RequestContext.to_json``) with its names shape-checked
    (``safe_name``): usernames, channel, team and group names."""
    out = dict(doc)
    for name in _CONTEXT_NAMES:
        if isinstance(out.get(name), str):
            out[name] = safe_name(key, out[name])
    if isinstance(out.get("groups"), list):
        out["groups"] = [safe_name(key, g) if isinstance(g, str) else g for g in out["groups"]]
    return out


def safe_id(key: bytes, value: str | None, *, verified: bool = False) -> str | None:
    """An id kept as is when it has Mattermost's shape (and no long digit run,
    unless ``verified``: Mattermost knows the object), else its keyed hash."""
    if value is None or value == "":
        return value
    if is_id(value) and (verified or not _DIGIT_RUN.search(value)):
        return value
    return hashed(key, value, "id")


def route_path(key: bytes, template: str, params: dict[str, str]) -> str:
    """The route template with each ``{param}`` replaced by its shape-checked value."""
    def sub(m: re.Match[str]) -> str:
        value = params.get(m.group(1))
        return safe_id(key, value) or "" if value is not None else m.group(0)

    return re.sub(r"\{([a-z_]+)\}", sub, template)


def mask_path(key: bytes, path: str) -> str:
    """A path that matched no template: word-like segments and ids kept, others ``*``."""
    out: list[str] = []
    for seg in path.split("/"):
        if seg == "" or _WORD_SEGMENT.fullmatch(seg):
            out.append(seg)
        elif is_id(seg) and not _DIGIT_RUN.search(seg):
            out.append(seg)
        else:
            out.append("*")
    return "/".join(out)[:512]


def safe_field_path(key: bytes, path: str) -> str:
    """A content item's field path with every client-chosen component shape-checked."""
    return _shaped_field_path(path, lambda part: hashed(key, part, "field"))


#: what a field path shown to people (a notice, an alert) has instead of a component
#: it may not repeat
WITHHELD = "\u2026"


def shown_field_path(path: str) -> str:
    """``safe_field_path`` for texts people read (the sender's notice, which Mattermost
    stores as a post): every component it would hash is withheld (``…``) instead, so
    no key is needed and no hash is shown (``file[0]:member=clients/NNN-NN-NNNN.txt``
    -> ``file[0]:member=clients/….txt``)."""
    return _shaped_field_path(path, lambda part: WITHHELD)


#: a field path's keys (its components between ``.``, ``[n]``, ``{key}`` and the other
#: separators, spaces inside a key kept: ``body.props.ssn five three ...`` has the key
#: ``ssn five three ...``)
_KEY_SPLIT = re.compile(r"(\[\d{1,4}\]|\{key\}|[.:=!/,()])")


@functools.lru_cache(maxsize=2048)
def reads_as_number(name: str) -> bool:
    """A client-chosen name (a JSON key, a query name, a websocket action) whose reading
    may turn words or letters into digits (the detector's own gate,
    ``normalize.may_read_as_digits``: ``ssn five three six ...``,
    ``custom_ssn_five_three_...``), so it is not kept in clear at rest; digits
    themselves are judged by the shape rules (``digit_run``, ``_NAME``) as before (atk27 C)."""
    from dlp_proxy.detect.normalize import may_read_as_digits

    return name.isascii() and may_read_as_digits(name)


#: digits in a JSON path's keys (array indices aside) from which every key with a digit is
#: replaced: digit groups as nested keys (``body.props.ssn.AAA.GG{key}``) never at rest,
#: whatever each group's size (atk27r C2)
KEY_DIGITS_HIDDEN = 3


def _keys_hold_digits(path: str) -> bool:
    """A JSON body's path whose keys together hold ``KEY_DIGITS_HIDDEN`` digits or more."""
    if not path.startswith(("body", "form")):
        return False
    digits: int = sum(1 for key in _KEY_SPLIT.split(path) if key and not _KEY_SPLIT.fullmatch(key)
                      for c in key if c.isdigit())
    return digits >= KEY_DIGITS_HIDDEN


def _shaped_field_path(path: str, replace: Callable[[str], str]) -> str:
    out: list[str] = []
    digits_hidden = _keys_hold_digits(path)
    for key in _KEY_SPLIT.split(path):
        if key and not _KEY_SPLIT.fullmatch(key) and (
                (not _CELL.fullmatch(key) and reads_as_number(key)) or (digits_hidden and any(c.isdigit() for c in key))):
            out.append(replace(key))  # one hash for the whole key: its words never at rest
        else:
            _shaped_parts(key, replace, out)
    result = "".join(out)
    # kept pieces must not line up into a long number ("AAA GG SSSS" keeps three
    # small numbers): then only the path's source is kept, the rest is replaced
    if digit_run(re.sub(r"~[0-9a-f]{20}", "~", result).replace(WITHHELD, "~")) >= MIN_DIGIT_RUN:
        head = re.match(r"[A-Za-z_]+(?:\[\d{1,4}\])?", path)
        return (head.group(0) if head else "") + ":" + replace(path)
    return result


def _shaped_parts(key: str, replace: Callable[[str], str], out: list[str]) -> None:
    for part in _FIELD_SPLIT.split(key):
        if (len(part) <= 1 and not part.isdigit()) or _INDEX.fullmatch(part) or _SMALL_NUMBER.fullmatch(part) \
                or part == "{key}":
            out.append(part)
        elif _NAME.fullmatch(part) and sum(c.isdigit() for c in part) <= 2:
            out.append(part)
        elif (cell := _CELL.fullmatch(part)) and int(cell.group(1)) <= _MAX_ROW:
            out.append(part)
        else:
            out.append(replace(part))


def shown_name(value: str | None) -> str | None:
    """A name (channel, team, user) as a text people read may show it: as is when no
    run of ``MIN_DIGIT_RUN`` digits is in it, else None (the caller says "a channel",
    or shows the object's id)."""
    if not value or digit_run(value) >= MIN_DIGIT_RUN:
        return None
    return value


def safe_text(text: str) -> str:
    """Free text that may quote the request: quotes withheld, digit runs masked, capped."""
    text = _QUOTED.sub("(value withheld)", text)
    text = _SPACED_NUMBER.sub("#", text)
    text = _DIGITS3.sub(lambda m: "#" * len(m.group(0)), text)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text[:MAX_TEXT]


_EXT = re.compile(r"\.[A-Za-z0-9]{1,10}")


def safe_filename(name: str) -> str:
    """A client's filename reduced to ``upload`` + its extension (when the
    extension is short and carries no digit run)."""
    dot = name.rfind(".")
    ext = name[dot:] if dot >= 0 else ""
    if _EXT.fullmatch(ext) and not _DIGITS3.search(ext):
        return "upload" + ext.lower()
    return "upload"
