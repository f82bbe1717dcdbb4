"""Allow-listed values: normalization and the two hash forms a policy may hold.

A value is normalized before hashing so ``123-45-6789``, ``123 45 6789`` and
full-width digits hash alike: NFKC, then only letters and digits kept, upper-cased.

- ``hmac:<hex>``   HMAC-SHA256 under the installation's hash key (keys/hash.key).
  Recommended: a leaked policy file reveals nothing, because short identifiers
  cannot be brute-forced without the key.  The hash differs per installation, so
  it must be computed on the gateway host (``dlp-proxy policy hash-value --keyed``).
- ``sha256:<hex>`` plain SHA-256 of the normalized value.  Portable (the compliance
  team can compute it anywhere), but a 9-digit identifier can be recovered from it by
  brute force in seconds: use it only for values that are not secret on their own
  (e.g. the firm's own published omnibus account).
"""

from __future__ import annotations

import hashlib

# current Unicode (as dlp_proxy.detect.normalize reads text), not Python 3.11's 14.0: a
# digit added since is the digit the detector found
import unicodedata2 as unicodedata

from dlp_proxy.keys import keyed_hash


def normalize_value(value: str) -> str:
    if value.isascii():  # NFKC leaves ASCII alone, and an ASCII digit is its own digit value
        return "".join(ch for ch in value if ch.isalnum()).upper()
    return normalize_value_general(value)


def normalize_value_general(value: str) -> str:
    """``normalize_value`` without the ASCII shortcut (any text; the reference the
    shortcut is tested against)."""
    text = unicodedata.normalize("NFKC", value)
    out = []
    for ch in text:
        digit = unicodedata.digit(ch, None)
        if digit is not None:
            out.append(str(digit))
        elif ch.isalnum() or unicodedata.category(ch)[0] in "LN":
            out.append(ch.upper())
    return "".join(out)


def sha256_form(value: str) -> str:
    return "sha256:" + hashlib.sha256(normalize_value(value).encode("utf-8")).hexdigest()


def hmac_form(value: str, key: bytes) -> str:
    return "hmac:" + keyed_hash(key, normalize_value(value))
