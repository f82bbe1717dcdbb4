"""On-disk format of the archive: canonical JSON lines, segment names, signed checkpoints.

A worker's log is a sequence of segment files ``log-<worker>-<NNNNNNNN>.jsonl``.
Every line is the canonical JSON (sorted keys, no spaces, UTF-8) of one object:

- ``{"hdr": {...}}``  first line of every segment: worker, segment number, tree size
  at the start, the Merkle frontier at the start, SHA-256 of the whole previous
  (sealed) segment file.
- ``{"rec": {...}}``  one archived record.  The Merkle leaf is ``canonical(rec)``.
  The archive adds ``record_id`` (if absent), ``seq`` (= ``leaf_index``, the
  position in the worker's tree), ``archive_worker``, ``archived_at`` and
  ``prev_leaf`` (leaf hash of the previous record: lets verify name the exact
  record that was edited).
- ``{"cp": {...}, "sig": "<base64 Ed25519>"}`` a signed checkpoint (origin, size,
  root, last leaf, time); ``"sealed": true`` on the last line of a sealed segment.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

FORMAT_VERSION = 1
CHECKPOINT_CONTEXT = b"dlp-proxy archive checkpoint v1\n"
ORIGIN_PREFIX = "dlp-proxy/archive/"
WORKER_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
SEGMENT_RE = re.compile(r"^log-([A-Za-z0-9_][A-Za-z0-9_.-]{0,63})-(\d{8})\.jsonl$")


def _default(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    raise TypeError(f"archive records must be JSON data; got {type(value).__name__}")


def canonical(obj: Any) -> bytes:
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_default
    ).encode("utf-8")


def normalize(obj: Any) -> Any:
    """The JSON value ``obj`` becomes once stored (enums to values, tuples to lists...)."""
    return json.loads(canonical(obj))


def check_worker_id(worker_id: str) -> str:
    if not WORKER_RE.match(worker_id):
        raise ValueError(f"worker_id {worker_id!r} must match {WORKER_RE.pattern} (it goes into file names)")
    return worker_id


def segment_name(worker: str, number: int) -> str:
    return f"log-{worker}-{number:08d}.jsonl"


def list_segments(directory: Path) -> dict[str, list[tuple[int, Path]]]:
    """Segment files per worker, sorted by segment number."""
    out: dict[str, list[tuple[int, Path]]] = {}
    if not directory.is_dir():
        return out
    for p in directory.iterdir():
        m = SEGMENT_RE.match(p.name)
        if m:
            out.setdefault(m.group(1), []).append((int(m.group(2)), p))
    for segs in out.values():
        segs.sort()
    return dict(sorted(out.items()))


def utc_now_iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: Any) -> float | None:
    """Epoch seconds from an epoch number or an ISO 8601 string (naive means UTC)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) / 1000.0 if value > 1e11 else float(value)  # epoch millis (Mattermost) or secs
    if isinstance(value, dt.datetime):
        d = value
    elif isinstance(value, str):
        s = value.strip()
        try:
            return parse_time(float(s))
        except ValueError:
            pass
        try:
            d = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.UTC)
    return d.timestamp()


def record_time(rec: dict[str, Any]) -> float:
    t = parse_time(rec.get("time"))
    if t is None:
        t = parse_time(rec.get("archived_at"))
    return t or 0.0


# -- keys and checkpoints ------------------------------------------------------------


def public_key_bytes(seed: bytes) -> bytes:
    return (
        Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(b"dlp-proxy ed25519\n" + public_key).hexdigest()[:16]


def load_public_key(path: Path) -> bytes:
    """A public key file: 32 raw bytes, or 64 hex characters, or base64 of 32 bytes."""
    raw = path.read_bytes()
    if len(raw) == 32:
        return raw
    text = raw.decode("ascii", "replace").strip()
    try:
        if len(text) == 64:
            return bytes.fromhex(text)
        b = base64.b64decode(text, validate=True)
        if len(b) == 32:
            return b
    except ValueError:
        pass
    raise ValueError(f"{path}: not an Ed25519 public key (32 raw bytes, 64 hex chars or base64)")


@functools.lru_cache(maxsize=8)
def _private_key(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def sign_checkpoint(seed: bytes, cp: dict[str, Any]) -> dict[str, Any]:
    sig = _private_key(seed).sign(CHECKPOINT_CONTEXT + canonical(cp))
    return {"cp": cp, "sig": base64.b64encode(sig).decode()}


def checkpoint_signature_ok(public_key: bytes, line: dict[str, Any]) -> bool:
    cp, sig = line.get("cp"), line.get("sig")
    if not isinstance(cp, dict) or not isinstance(sig, str):
        return False
    try:
        raw = base64.b64decode(sig, validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(raw, CHECKPOINT_CONTEXT + canonical(cp))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: str
    line: dict[str, Any]  # the signed line as stored

    @classmethod
    def from_line(cls, line: dict[str, Any]) -> Checkpoint:
        cp = line["cp"]
        return cls(str(cp["origin"]), int(cp["size"]), bytes.fromhex(cp["root"]), str(cp["time"]), line)
