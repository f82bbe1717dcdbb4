"""Envelope encryption for held requests.

Each item gets its own random AES-256-GCM *data key*.  The content is encrypted
with the data key; the data key is *wrapped* (AES-256-GCM again) by the master
key.  Redis only ever holds ciphertext and the wrapped key:

- rotating the master key re-wraps the 32-byte data keys, the content is not
  touched;
- deleting the wrapped key (crypto-shred) makes the content unrecoverable even
  from an old AOF file or RDB snapshot, as long as the master key is not paired
  with an old copy of the wrapped key -- which is why shredding also rotates out
  of the AOF on the next rewrite (see docs/quarantine.md, "Limits").

Every ciphertext is bound to its item id and purpose through the AEAD associated
data, so a blob moved to another item (or a credential blob swapped for the
content blob) fails to decrypt instead of decrypting to the wrong thing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dlp_proxy.interfaces import QuarantineError

NONCE = 12


class DecryptError(QuarantineError):
    """A blob or wrapped key could not be decrypted (wrong key, tampered, shredded)."""


def key_id(master_key: bytes) -> str:
    """A short public fingerprint of a master key (which key wrapped an item)."""
    return hashlib.sha256(b"dlp-quarantine-master-key-id\x00" + master_key).hexdigest()[:16]


def check_key(master_key: bytes) -> bytes:
    if not isinstance(master_key, bytes) or len(master_key) != 32:
        raise QuarantineError("the quarantine master key must be exactly 32 bytes (AES-256)")
    return master_key


def new_data_key() -> bytes:
    return secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise DecryptError("malformed ciphertext encoding") from exc


def wrap_key(master_key: bytes, data_key: bytes, item_id: str) -> str:
    """``<key id>:<base64(nonce | AES-GCM(master, data key))>``."""
    nonce = secrets.token_bytes(NONCE)
    aad = b"dlp-quarantine-wrap\x00" + item_id.encode()
    sealed = AESGCM(check_key(master_key)).encrypt(nonce, data_key, aad)
    return f"{key_id(master_key)}:{_b64(nonce + sealed)}"


def wrapped_key_id(wrapped: str) -> str:
    return wrapped.split(":", 1)[0]


def unwrap_key(master_keys: dict[str, bytes], wrapped: str, item_id: str) -> bytes:
    kid, _, payload = wrapped.partition(":")
    master = master_keys.get(kid)
    if master is None:
        raise DecryptError(f"item {item_id} is wrapped by master key {kid}, which is not loaded")
    raw = _unb64(payload)
    aad = b"dlp-quarantine-wrap\x00" + item_id.encode()
    try:
        return AESGCM(master).decrypt(raw[:NONCE], raw[NONCE:], aad)
    except InvalidTag as exc:
        raise DecryptError(f"wrapped data key of item {item_id} does not verify") from exc


def seal(data_key: bytes, plaintext: bytes, item_id: str, purpose: str) -> str:
    nonce = secrets.token_bytes(NONCE)
    aad = f"dlp-quarantine\x00{purpose}\x00{item_id}".encode()
    return _b64(nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad))


def open_sealed(data_key: bytes, blob: str, item_id: str, purpose: str) -> bytes:
    raw = _unb64(blob)
    aad = f"dlp-quarantine\x00{purpose}\x00{item_id}".encode()
    try:
        return AESGCM(data_key).decrypt(raw[:NONCE], raw[NONCE:], aad)
    except InvalidTag as exc:
        raise DecryptError(f"{purpose} of item {item_id} does not verify") from exc
