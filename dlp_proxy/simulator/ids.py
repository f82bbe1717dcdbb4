"""Mattermost-style identifiers.

Mattermost ids (server/public/model/utils.go NewId) are 26 characters: a 16-byte
UUID encoded with base32 using the alphabet below, padding stripped. The simulator
derives them from a name with SHA-256 so the seed data has the same ids on every
run, and from a per-simulator counter for objects created at run time.
"""

from __future__ import annotations

import base64
import hashlib

_STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_MM = "ybndrfg8ejkmcpqxot1uwisza345h769"
_TRANSLATE = str.maketrans(_STD, _MM)


def id_from(name: str) -> str:
    """A deterministic 26-character Mattermost-style id for ``name``."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()[:16]
    return base64.b32encode(digest).decode("ascii").rstrip("=").translate(_TRANSLATE)


def is_valid_id(value: str) -> bool:
    """model.IsValidId: 26 characters, lowercase letters and digits."""
    return len(value) == 26 and all(c.isascii() and (c.islower() or c.isdigit()) for c in value)
