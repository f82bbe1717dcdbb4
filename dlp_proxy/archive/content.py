"""What a stopped message said: envelope-encrypted, or masked plus a keyed hash.

The gateway hands the raw content under ``record["_content"]`` as a list of
``{"path", "text", "findings": [{"entity_type", "start", "end"}]}``.  It never
reaches the disk as given:

- ``encrypted`` (default): the list is encrypted with a fresh AES-256-GCM data key
  per record; the data key is wrapped (AES-256-GCM) by the archive content key
  (``archive-content``).  Whoever holds that key can produce the exact message to
  a regulator or replay a policy against it; destroying the key shreds all content.
- ``masked``: only an excerpt with every finding replaced by a type placeholder
  (last 4 characters kept for account-like identifiers), any long digit run the
  detector missed masked too, plus an HMAC (``hash`` key) of each original text.
  Nothing recoverable is kept: the firm can prove *that* a known text was the one
  stopped (same HMAC) but cannot reproduce it.

Both modes store the field paths and HMACs, so duplicates can be matched without
decrypting.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dlp_proxy.keys import keyed_hash

CONTENT_MODES = ("encrypted", "masked")
ENVELOPE_ALG = "AES-256-GCM/A256GCMKW"
#: identifiers whose last four characters are customarily shown (statements, receipts)
LAST4_TYPES = frozenset(
    {"CREDIT_CARD", "US_BANK_NUMBER", "IBAN_CODE", "US_SSN", "US_ITIN", "ABA_ROUTING_NUMBER", "PHONE_NUMBER"}
)
# Safety net for masked excerpts: a run of 7+ digits (with separators) the detector missed.
_DIGIT_RUN = re.compile(r"(?:\d[\s\-./]?){6,}\d")


def kek_id(kek: bytes) -> str:
    return hashlib.sha256(b"dlp-proxy archive kek\n" + kek).hexdigest()[:16]


def _aad(record_id: str) -> bytes:
    return b"dlp-proxy archive content v1|" + record_id.encode()


def _items(content: Any) -> list[dict[str, Any]]:
    if not isinstance(content, Sequence) or isinstance(content, (str, bytes)):
        raise TypeError("_content must be a list of {path, text, findings}")
    out = []
    for item in content:
        if not isinstance(item, Mapping) or not isinstance(item.get("text"), str):
            raise TypeError("each _content item needs a str 'text'")
        out.append(
            {
                "path": str(item.get("path", "")),
                "text": item["text"],
                "findings": [
                    {"entity_type": str(f["entity_type"]), "start": int(f["start"]), "end": int(f["end"])}
                    for f in item.get("findings", ()) or ()
                ],
            }
        )
    return out


def encrypt_content(content: Any, *, record_id: str, kek: bytes, hash_key: bytes) -> dict[str, Any]:
    items = _items(content)
    plaintext = json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()
    dek = AESGCM.generate_key(256)
    nonce, knonce = os.urandom(12), os.urandom(12)
    ct = AESGCM(dek).encrypt(nonce, plaintext, _aad(record_id))
    wrapped = AESGCM(kek).encrypt(knonce, dek, b"dlp-proxy archive dek v1|" + record_id.encode())
    return {
        "mode": "encrypted",
        "alg": ENVELOPE_ALG,
        "kek_id": kek_id(kek),
        "wrapped_key": base64.b64encode(knonce + wrapped).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ct).decode(),
        "items": [
            {"path": i["path"], "length": len(i["text"]), "hmac": keyed_hash(hash_key, i["text"])}
            for i in items
        ],
    }


def decrypt_content(enc: Mapping[str, Any], *, record_id: str, kek: bytes) -> list[dict[str, Any]]:
    """Raises ``cryptography.exceptions.InvalidTag`` for a wrong key or altered ciphertext."""
    wrapped = base64.b64decode(enc["wrapped_key"])
    dek = AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], b"dlp-proxy archive dek v1|" + record_id.encode())
    pt = AESGCM(dek).decrypt(
        base64.b64decode(enc["nonce"]), base64.b64decode(enc["ciphertext"]), _aad(record_id)
    )
    items: list[dict[str, Any]] = json.loads(pt)
    return items


def _placeholder(entity_type: str, value: str) -> str:
    alnum = [c for c in value if c.isalnum()]
    if entity_type in LAST4_TYPES and len(alnum) >= 8:
        return f"[{entity_type} ***{''.join(alnum[-4:])}]"
    return f"[{entity_type}]"


def mask_text(text: str, findings: Sequence[Mapping[str, Any]], *, max_chars: int = 1000) -> str:
    spans = sorted(
        (max(0, int(f["start"])), min(len(text), int(f["end"])), str(f["entity_type"]))
        for f in findings
        if int(f["end"]) > int(f["start"])
    )
    out: list[str] = []
    pos = 0
    for start, end, etype in spans:
        if end <= pos:
            continue
        start = max(start, pos)
        out.append(_DIGIT_RUN.sub("[NUMBER]", text[pos:start]))
        out.append(_placeholder(etype, text[start:end]))
        pos = end
    out.append(_DIGIT_RUN.sub("[NUMBER]", text[pos:]))
    masked = "".join(out)
    if len(masked) > max_chars:
        masked = masked[:max_chars] + "…"
    return masked


def mask_content(content: Any, *, hash_key: bytes, max_chars: int = 1000) -> dict[str, Any]:
    items = _items(content)
    return {
        "mode": "masked",
        "items": [
            {
                "path": i["path"],
                "length": len(i["text"]),
                "hmac": keyed_hash(hash_key, i["text"]),
                "excerpt": mask_text(i["text"], i["findings"], max_chars=max_chars),
            }
            for i in items
        ],
    }
