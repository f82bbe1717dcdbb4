"""Identifiers split across consecutive messages or built up by edits.

``123-45`` in one post and ``-6789`` in the next are each harmless to the detector;
together they are an SSN.  ``SplitWindow`` keeps, per user and channel (a thread's
posts are in their channel, so one window covers the channel and its threads; a text
outside any channel, a profile field, has a window per route group), the last few
*pieces* in Redis and runs the detector over them joined with the new one.  The
gateway feeds it the digit-bearing texts of every inspected request: posts, edits,
drafts, scheduled posts, slash commands, channel headers and purposes, bookmarks,
the text extracted from files, plugin and unknown writes.  A finding that crosses from earlier messages into the
new one is returned, located in the new message (the part of the identifier it
contributed), with the transform ``split-messages``; the gateway judges it with the
rest of the request's findings.

How pieces are joined (``_candidates_text``):

- an earlier message joins up to its last digit and a separator right after it
  (words after the piece, "536-22 and the rest later", are dropped; words before
  it stay, as context); the new message joins from its first digit and a separator
  right before it ("rest is -8710 ok");
- filler (no digit, or a single digit in a longer text: "one sec", "ok 1") is no
  piece (``may_carry_a_piece``): it never breaks a chain, and the gateway does not
  even put it in the window, so filler cannot push pieces out of it;
- joins scanned: the last one, two and three earlier pieces followed by the new one
  (an identifier in up to four consecutive pieces), and each earlier piece alone
  followed by the new one (two halves with other numbers posted between them), in
  one text, far enough apart that neither digits nor context words cross joins;
- each piece and the new message are also scanned on their own, and a finding
  across a join that shares digits with an identifier one of them holds alone is
  not reported (two complete SSNs in consecutive posts are not a third one made of
  their halves).

Limits (constructor arguments, documented in docs/policy.md):

- ``max_messages`` (default 6; the gateway: ``DLP_SPLIT_MAX_FRAGMENTS``, 12): the new
  piece plus up to ``max_messages - 1`` earlier ones.
- ``ttl_seconds`` (default 300; the gateway: ``DLP_SPLIT_WINDOW_SECONDS``, 1800):
  fragments older than this are forgotten; the Redis key expires after this too.
- ``max_chars`` (default 256): of each earlier message only the last ``max_chars``
  characters are kept, and only the first ``max_chars`` of the new one are joined:
  a split identifier sits at the boundary between messages.  The scanned text is at
  most ``max_messages + 1`` joins of at most ``4 * (max_chars + 1)`` characters.

Nothing readable is stored: each fragment is a small JSON object encrypted with
AES-256-GCM under a key derived (HKDF-SHA256) from the installation's ``hash`` key,
with the Redis key name as associated data, and the key name is an HMAC of user and
channel.  A fragment that cannot be decrypted (key rotated, tampered) is dropped;
a key of the wrong type (tampered, or a window written by an earlier version as one
string) is deleted and the window restarted; the new message itself is still
judged by the normal scan.

One Redis round trip per message: a Lua script reads the window (a Redis list),
appends the new fragment, trims the list to ``max_messages`` and renews its TTL,
atomically (two messages of one user at once cannot both miss each other's
fragment half-way).  Two round trips (GET, then SET) cost a message that ends
with digits about twice the Redis time, and with the gateway's own Redis
(``appendfsync always``) both waited for the disk.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import Awaitable, Collection
from typing import Any, NamedTuple, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.exceptions import ResponseError

from dlp_proxy.keys import keyed_hash
from dlp_proxy.model import SENSITIVE_ENTITIES, Finding
from dlp_proxy.randpool import random_bytes

log = logging.getLogger("dlp_proxy.policy.split")

SEPARATOR = "\n"
SPLIT_TRANSFORM = "split-messages"
#: The longest run of earlier pieces joined with the new message (an identifier in
#: four posts); any older piece is joined with the new message alone.
MAX_CHAIN = 3


#: KEYS[1] the window; ARGV: the new sealed fragment, max_messages, ttl_seconds.
#: Returns the fragments stored before this one.
_PUSH_LUA = """
local before = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return before
"""


def _digit_count(text: str) -> int:
    if text.isascii():
        return sum(text.count(d) for d in "0123456789")
    return sum(1 for c in text if c.isdigit() or c.isnumeric())


#: a text with a single digit is a piece only when it is nothing but that digit and
#: separators ("5", "5-", "-0"): "ok 1", "brb 2 min" are filler, and filler must not
#: push the real pieces out of the window
_SEPARATORS = frozenset(" \t\r\n-./_,:#()+*~|\\")


def may_carry_a_piece(message: str) -> bool:
    """Whether ``message`` may hold a piece of an identifier split across texts: two
    digits or more (or digit forms normalization folds to digits), or one digit with
    nothing but separators around it.  The others (filler) neither enter
    the window nor pay for its Redis round trip, so the window holds the last pieces,
    not the last messages."""
    n = _digit_count(message)
    if n >= 2:
        return True
    return n == 1 and all(c in _SEPARATORS or c.isdigit() or c.isnumeric() for c in message)


class _Analyzer(Protocol):
    """A detector: ``analyze`` returns the findings, or an awaitable of them (the
    gateway's scans a text that may cost more than a few milliseconds in a worker
    process, off the event loop: dlp_proxy/gateway/pipeline.py)."""

    def analyze(
        self, text: str, *, entities: Collection[str] | None = None
    ) -> list[Finding] | Awaitable[list[Finding]]: ...


async def _analyze(detector: _Analyzer, text: str, entities: Collection[str]) -> list[Finding]:
    found = detector.analyze(text, entities=entities)
    if inspect.isawaitable(found):
        return list(await found)
    return list(found)


class SplitWindow:
    def __init__(
        self,
        redis_client: Any,
        *,
        max_messages: int = 6,
        ttl_seconds: int = 300,
        max_chars: int = 256,
        key: bytes | None = None,
        prefix: str = "dlp:split:",
        entities: Collection[str] = SENSITIVE_ENTITIES,
    ) -> None:
        if not 2 <= max_messages <= 32:
            raise ValueError("max_messages must be 2 to 32 (the new piece and up to 31 earlier)")
        if ttl_seconds < 1 or max_chars < 16:
            raise ValueError("ttl_seconds must be >= 1 and max_chars >= 16")
        if key is None:
            from dlp_proxy.keys import load_key

            key = load_key("hash")
        self.redis = redis_client
        self.max_messages = max_messages
        self.ttl_seconds = ttl_seconds
        self.max_chars = max_chars
        self.prefix = prefix
        self.entities = frozenset(entities)
        self._name_key = key
        self._script = redis_client.register_script(_PUSH_LUA)
        self._aead = AESGCM(
            HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dlp-proxy split-window v1").derive(
                key
            )
        )

    def redis_key(self, user_id: str, channel_id: str) -> str:
        return self.prefix + keyed_hash(self._name_key, f"split\0{user_id}\0{channel_id}")[:40]

    # -- storage -------------------------------------------------------------------
    def _seal(self, name: str, fragment: dict[str, Any]) -> bytes:
        nonce = random_bytes(12)
        plain = json.dumps(fragment, separators=(",", ":")).encode("utf-8", "surrogatepass")
        return nonce + self._aead.encrypt(nonce, plain, name.encode())

    def _open(self, name: str, blob: bytes) -> dict[str, Any] | None:
        try:
            plain = self._aead.decrypt(blob[:12], blob[12:], name.encode())
            data = json.loads(plain.decode("utf-8", "surrogatepass"))
        except (InvalidTag, ValueError):
            log.warning("a split-window fragment of %s could not be decrypted; dropped", name)
            return None
        if not isinstance(data, dict) or not isinstance(data.get("s"), str):
            return None
        return data

    async def _push(self, name: str, sealed: bytes) -> list[bytes]:
        """Append ``sealed`` to the window; return the fragments that were there before."""
        args = [sealed, self.max_messages, self.ttl_seconds]
        try:
            return list(await self._script(keys=[name], args=args))
        except ResponseError as exc:
            if "WRONGTYPE" not in str(exc):
                raise
            log.warning("split window %s had the wrong type; starting a new one", name)
            await self.redis.delete(name)
            return list(await self._script(keys=[name], args=args))

    async def clear(self, user_id: str, channel_id: str) -> None:
        await self.redis.delete(self.redis_key(user_id, channel_id))

    # -- the check -----------------------------------------------------------------
    async def check(self, user_id: str, channel_id: str, text: str, detector: _Analyzer) -> list[Finding]:
        """Add ``text`` to the window; return findings completed by it across messages.
        Raises on Redis errors (the gateway fails closed)."""
        name = self.redis_key(user_id, channel_id)
        now = time.time()
        stored = await self._push(name, self._seal(name, {"t": now, "s": text[-self.max_chars :]}))
        opened = (self._open(name, blob) for blob in stored)
        previous = [f for f in opened if f is not None and now - float(f.get("t", 0)) <= self.ttl_seconds]
        previous = previous[-(self.max_messages - 1) :]
        # filler posts (no digit) carry no piece: they neither join nor break a chain
        pieces = [p for p in (_earlier_piece(str(f["s"])) for f in previous) if p]
        head, lead = _new_piece(text[: self.max_chars])
        if not pieces or not head:
            return []
        scan = _candidates_text(pieces, head)
        found = await _analyze(detector, scan.text, self.entities)
        crossing = [f for f in found if any(f.start < j.offset < f.end for j in scan.joins)]
        if not crossing:
            return []
        # identifiers each piece and the new message hold on their own (scanned only now:
        # most messages complete nothing)
        alone = await _analyze(detector, scan.alone_text, self.entities)
        findings: list[Finding] = []
        seen: set[tuple[str, int, int]] = set()
        for f in crossing:
            for join in scan.joins:
                offset = join.offset
                if not f.start < offset < f.end <= offset + len(head):
                    continue
                # the same digits in the pieces scanned alone: a finding there means this
                # one is the tail of one whole identifier and the head of another
                a, b = scan.alone[join.last]
                left = (max(a, b - (join.piece_end - f.start)), b)
                ha, _hb = scan.alone[-1]
                right = (ha, ha + (f.end - offset))
                if any(g.start < hi and lo < g.end for g in alone for lo, hi in (left, right)):
                    continue
                end = lead + min(len(head), f.end - offset)
                if (f.entity_type, 0, end) in seen:
                    break
                seen.add((f.entity_type, 0, end))
                findings.append(
                    Finding(
                        entity_type=f.entity_type,
                        start=0,
                        end=end,
                        score=f.score,
                        recognizer=f.recognizer,
                        transforms=(*f.transforms, SPLIT_TRANSFORM),
                        explanation=f"identifier completed across {join.used + 1} consecutive messages",
                    )
                )
                break
        return findings


#: Between two candidate joins: more line breaks than a separator may hold, and more
#: characters than a context window reaches back (letters that are no context word,
#: not blanks: a YAML pattern scanning blanks would backtrack over them), so joins
#: never touch.  Words of 11 letters, not one of 72: a word of 12 or more token
#: characters makes the engine search the whole text for base64 and hex blobs
#: (detect/decode.py), which was two thirds of a window's scan (docs/benchmarks.md).
_GAP = "\n" * 3 + ("z" * 11 + "\n") * 6 + "\n" * 2


def _dangling(ch: str) -> bool:
    return not ch.isalnum() and not ch.isspace()


def _earlier_piece(fragment: str) -> str:
    """An earlier message as it joins the next one: up to its last digit and a
    separator right after it (words after the piece, "536-22 and the rest later", are
    dropped; words before it stay, as context); empty when it holds no digit."""
    for i in range(len(fragment) - 1, -1, -1):
        if fragment[i].isdigit():
            j = i + 1
            while j < len(fragment) and j - i <= 3 and _dangling(fragment[j]):
                j += 1  # "536-22-": the dash is the writer's separator
            return fragment[:j]
    return ""


def _new_piece(head: str) -> tuple[str, int]:
    """A message from its first digit and the separator right before it (words before
    it, "and the rest:", are dropped), and where that is in the message."""
    for i, ch in enumerate(head):
        if ch.isdigit():
            j = i
            while j > 0 and i - j < 3 and _dangling(head[j - 1]):
                j -= 1  # "-8710": the dash is the writer's separator
            return head[j:], j
    return "", 0


def _joint(left: str, right: str) -> tuple[str, int]:
    """What goes between two pieces, and how many leading characters of ``right`` to
    skip.  A separator the writer left at either end is the one used ("536-22-" then
    "8710", or "536-22" then "-8710"); otherwise the separator before the left
    piece's last digit group is repeated ("536-22" then "8710" reads 536-22-8710),
    else a line break."""
    lead = len(right) - len(right.lstrip("".join(c for c in right[:3] if _dangling(c))))
    if left and _dangling(left[-1]):
        return "\n", lead  # keep the left one, drop a second one on the right
    if lead:
        return "\n", 0
    i = len(left)
    while i > 0 and left[i - 1].isdigit():
        i -= 1
    if 0 < i < len(left) and (left[i - 1] in " \t" or _dangling(left[i - 1])) and (i < 2 or left[i - 2].isdigit()):
        return left[i - 1], 0
    return "\n", 0


class _Join(NamedTuple):
    offset: int  # where the new message starts in the scanned text
    used: int  # earlier messages joined
    last: int  # index of the last earlier piece
    piece_end: int  # where that piece ends in the scanned text


class _Scan(NamedTuple):
    text: str
    joins: list[_Join]
    alone_text: str  # each piece, then the new message, on its own
    alone: list[tuple[int, int]]  # where each is in alone_text


def _candidates_text(pieces: list[str], head: str) -> _Scan:
    """One text holding every join worth scanning, and one holding each piece and the
    new message on their own (a finding across a join that shares digits with an
    identifier one of them holds alone is no split identifier: two complete SSNs in
    consecutive posts are not a third made of their halves).

    Joins: the last one to ``MAX_CHAIN`` earlier pieces followed by the new one (an
    identifier in several consecutive pieces), and each earlier piece alone followed
    by the new one (two halves with other numbers posted between them); the first
    piece of a join keeps its words (context), the later ones join from their first
    digit.  At most ``MAX_CHAIN + len(pieces) - 1`` joins of bounded size.
    """
    n = len(pieces)
    chains: list[list[int]] = [list(range(i, n)) for i in range(max(0, n - MAX_CHAIN), n)]
    chains += [[i] for i in range(n - 1)]
    parts: list[str] = []
    joins: list[_Join] = []
    pos = 0
    for chain in chains:
        text = pieces[chain[0]]
        for k in chain[1:]:
            core = _new_piece(pieces[k])[0]
            sep, skip = _joint(text, core)
            text += sep + core[skip:]
        piece_end = pos + len(text)
        sep, skip = _joint(text, head)
        text += sep
        joins.append(_Join(pos + len(text) - skip, len(chain), chain[-1], piece_end))
        text += head[skip:] + _GAP
        parts.append(text)
        pos += len(text)
    alone: list[tuple[int, int]] = []
    alone_parts: list[str] = []
    pos = 0
    for piece in (*pieces, head):
        alone.append((pos, pos + len(piece)))
        alone_parts.append(piece + _GAP)
        pos += len(piece) + len(_GAP)
    return _Scan("".join(parts), joins, "".join(alone_parts), alone)
