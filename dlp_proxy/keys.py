"""Key material: loaded from files (or environment), created on first start.

Layout under ``$DLP_DATA_DIR/keys`` (each file mode 0600, directory 0700):

- ``archive-signing.ed25519``  raw 32-byte Ed25519 private seed, signs archive checkpoints
  (override: ``DLP_ARCHIVE_SIGNING_KEY_FILE``)
- ``archive-content.key``      32-byte AES-256 key-encryption key for archived content
  (override: ``DLP_ARCHIVE_CONTENT_KEY_FILE``)
- ``quarantine-master.key``    32-byte AES-256 key-encryption key for held requests
  (override: ``DLP_QUARANTINE_MASTER_KEY_FILE`` or base64 in ``DLP_QUARANTINE_MASTER_KEY``)
- ``hash.key``                 32-byte HMAC key for content hashes and allow-listed values
  (override: ``DLP_HASH_KEY_FILE``)

In production these files come from the site's secret store; the auto-created
ones make the quick start work and are documented as such (docs/operations.md).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dlp_proxy.settings import Settings

KEY_FILES = {
    "archive-signing": "archive-signing.ed25519",
    "archive-content": "archive-content.key",
    "quarantine-master": "quarantine-master.key",
    "hash": "hash.key",
}


class KeyError_(Exception):
    """A key file exists but is unusable (wrong size, unreadable)."""


def key_dir(base: Path | None = None) -> Path:
    from dlp_proxy.settings import data_dir

    return (base or data_dir()) / "keys"


class KeyRing:
    """The keys of one process, as its settings say where they are."""

    def __init__(self, settings: Settings, *, base: Path | None = None) -> None:
        self.settings = settings
        self.base = base or settings.data_path

    def load(self, name: str, *, create: bool = True) -> bytes:
        return load_key(name, base=self.base, create=create, settings=self.settings)


def load_key(name: str, *, base: Path | None = None, create: bool = True, settings: Settings | None = None) -> bytes:
    """Return the 32-byte key ``name`` (see KEY_FILES), creating it if allowed.

    ``settings``: where the key is configured (``DLP_<NAME>_KEY`` base64, or
    ``DLP_<NAME>_KEY_FILE``); default: the environment (dlp_proxy.settings)."""
    from dlp_proxy.settings import from_env

    cfg = settings or from_env()
    filename = KEY_FILES[name]
    field = name.replace("-", "_") + "_key"
    env_b64 = cfg.secret(field)
    if env_b64:
        raw = base64.b64decode(env_b64)
        if len(raw) != 32:
            raise KeyError_(f"DLP_{field.upper()} must hold 32 bytes, base64-encoded")
        return raw
    configured: Path | None = getattr(cfg, field + "_file")
    path = configured if configured else key_dir(base or cfg.data_path) / filename
    if path.exists():
        raw = path.read_bytes()
        if len(raw) != 32:
            raise KeyError_(f"key file {path} must hold exactly 32 bytes, has {len(raw)}")
        return raw
    if not create:
        raise KeyError_(f"key file {path} does not exist")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    raw = secrets.token_bytes(32)
    # Write a complete temporary file, then link it into place: several workers
    # starting together on a fresh data dir all end up with the one key that won.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, raw)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        raw = path.read_bytes()
        if len(raw) != 32:
            raise KeyError_(f"key file {path} must hold exactly 32 bytes, has {len(raw)}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return raw


#: SHA-256's block size: HMAC pads (or first hashes) its key to it (RFC 2104)
_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
#: keys ``keyed_hash`` has prepared, by key: the SHA-256 states after HMAC's inner and
#: outer padded key (the installation's few keys; cleared when full)
_PREPARED: dict[bytes, tuple[hashlib._Hash, hashlib._Hash]] = {}
_PREPARED_MAX = 64


def _prepared(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    got = _PREPARED.get(key)
    if got is None:
        block = (hashlib.sha256(key).digest() if len(key) > _BLOCK else key).ljust(_BLOCK, b"\0")
        got = (hashlib.sha256(block.translate(_IPAD)), hashlib.sha256(block.translate(_OPAD)))
        if len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.clear()
        _PREPARED[key] = got
    return got


def keyed_hash(key: bytes, data: bytes | str) -> str:
    """HMAC-SHA256, hex.  Used for content hashes and hashed allow-list values so a
    value can be matched without being stored."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    # HMAC from the key's two padded states, hashed once per key and copied (RFC 2104:
    # H(K^opad || H(K^ipad || m))): the same digest as ``hmac.digest``, whose OpenSSL
    # set-up hashes both pads again on every call (~4.3 us a call against ~1.6 us;
    # several a request: the token's and the channel's cache keys, the record's
    # content hash, the split window's names)
    inner, outer = _prepared(key)
    h = inner.copy()
    h.update(data)
    o = outer.copy()
    o.update(h.digest())
    return o.hexdigest()
