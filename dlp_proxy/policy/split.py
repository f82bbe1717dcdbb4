"""Identifiers split across consecutive messages or built up by edits.

``123-45`` in one post and ``-6789`` in the next are each harmless to the detector;
together they are an SSN.  ``SplitWindow`` keeps, per user and channel, the last few
messages in Redis and runs the detector over them joined with the new one.  A
finding that crosses from earlier messages into the new one is returned, located
in the new message (the part of the identifier it contributed), with the transform
``split-messages``; the gateway judges it with the rest of the request's findings.

Limits (constructor arguments, documented in docs/policy.md):

- ``max_messages`` (default 4): the new message plus up to 3 earlier ones.
- ``ttl_seconds`` (default 300): fragments older than this are forgotten; the Redis
  key expires after this too.
- ``max_chars`` (default 256): of each earlier message only the last ``max_chars``
  characters are kept, and only the first ``max_chars`` of the new one are joined:
  a split identifier sits at the boundary between messages.

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

import json
import logging
import time
from collections.abc import Collection
from typing import Any, Protocol

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
_BOUNDARY = " \t\r\n-./,:;_"


#: KEYS[1] the window; ARGV: the new sealed fragment, max_messages, ttl_seconds.
#: Returns the fragments stored before this one.
_PUSH_LUA = """
local before = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return before
"""


class _Analyzer(Protocol):
    def analyze(self, text: str, *, entities: Collection[str] | None = None) -> list[Finding]: ...


class SplitWindow:
    def __init__(
        self,
        redis_client: Any,
        *,
        max_messages: int = 4,
        ttl_seconds: int = 300,
        max_chars: int = 256,
        key: bytes | None = None,
        prefix: str = "dlp:split:",
        entities: Collection[str] = SENSITIVE_ENTITIES,
    ) -> None:
        if max_messages < 2:
            raise ValueError("max_messages must be at least 2 (the new message and one earlier)")
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
        findings: list[Finding] = []
        raw_head = text[: self.max_chars]
        # separators dangling at a boundary ("536-22-" / "8710") are dropped when joining
        head = raw_head.lstrip(_BOUNDARY)
        lead = len(raw_head) - len(head)
        if previous and head:
            earlier = SEPARATOR.join(str(f["s"]).rstrip(_BOUNDARY) for f in previous) + SEPARATOR
            joined = earlier + head
            offset = len(earlier)
            for f in detector.analyze(joined, entities=self.entities):
                if f.start < offset and f.end > offset:
                    findings.append(
                        Finding(
                            entity_type=f.entity_type,
                            start=0,
                            end=lead + min(len(head), f.end - offset),
                            score=f.score,
                            recognizer=f.recognizer,
                            transforms=(*f.transforms, SPLIT_TRANSFORM),
                            explanation=(
                                f"identifier completed across {len(previous) + 1} consecutive messages"
                            ),
                        )
                    )
        return findings
