"""Hyperscan databases compiled once per gateway, not once per process.

Compiling the detector's Hyperscan databases is about 90 % of building a detector
(~5 s of CPU of ~5.5 s, measured with cProfile on ``build_detector``), and a gateway
builds one detector in its own process and one in each scan and file worker, and
again in each replacement of a worker killed at a deadline.  ``compile_db`` keeps
each database it compiles, serialized (``hyperscan.dumpb``), in this process;
``exported()`` hands them to a worker's initializer and ``preload`` installs them
there, so the worker deserializes (``hyperscan.loadb``, milliseconds) what the
gateway compiled from the same expressions and flags.

What is kept is keyed by a SHA-256 of the Hyperscan version and of every expression
and flag, so a database is only ever reused for exactly the patterns it was
compiled from; a serialized database Hyperscan refuses to load (another CPU or
version) is compiled again.  Nothing is written to disk: the databases travel only
from the gateway to the workers it starts, in the pipe that starts them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

_hs: Any
try:  # a dependency on x86-64; optional elsewhere (the callers then do not compile)
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised where the wheel is missing
    _hs = None

_LOCK = threading.Lock()
#: key -> serialized database, every database compiled or loaded in this process
_SERIALIZED: dict[str, bytes] = {}
#: at most this many databases kept (a detector has a few dozen; the context-span
#: databases compiled lazily while scanning are bounded by their own cache)
_MAX_KEPT = 512
#: databases compiled and loaded in this process (for the tests and the start-up log)
counts: dict[str, int] = {"compiled": 0, "loaded": 0}
#: False once ``forget`` ran (a worker, after building its detector): nothing kept
_keep = True


def _key(expressions: Sequence[bytes], flags: Sequence[int]) -> str:
    digest = hashlib.sha256(str(getattr(_hs, "__version__", "")).encode())
    digest.update(len(expressions).to_bytes(4, "big"))
    for expression, flag in zip(expressions, flags, strict=True):
        digest.update(len(expression).to_bytes(4, "big"))
        digest.update(expression)
        digest.update(flag.to_bytes(8, "big"))
    return digest.hexdigest()


def compile_db(expressions: Sequence[bytes], flags: Sequence[int]) -> Any:
    """A block-mode database of ``expressions`` (ids 0..n-1) with ``flags``, each
    its own; loaded from this process's kept copy when one was compiled (here or
    in the gateway that started this worker) from the same expressions and flags.
    Raises what ``Database.compile`` raises for a pattern Hyperscan refuses."""
    expressions, flags = list(expressions), list(flags)
    key = _key(expressions, flags)
    blob = _SERIALIZED.get(key)
    if blob is not None:
        try:
            loaded = _hs.loadb(blob, _hs.HS_MODE_BLOCK)
        except Exception:  # noqa: S110 - another platform's database: compiled below
            pass
        else:
            counts["loaded"] += 1
            return loaded
    db = _hs.Database()
    db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    counts["compiled"] += 1
    if _keep:
        with _LOCK:
            if len(_SERIALIZED) < _MAX_KEPT:
                _SERIALIZED[key] = bytes(_hs.dumpb(db))
    return db


def exported() -> dict[str, bytes]:
    """Every database kept in this process (for a worker's ``preload``)."""
    with _LOCK:
        return dict(_SERIALIZED)


def preload(serialized: Mapping[str, bytes] | None) -> None:
    """Keep ``serialized`` (another process's ``exported()``): ``compile_db`` loads
    from it instead of compiling."""
    if not serialized:
        return
    with _LOCK:
        for key, blob in serialized.items():
            if len(_SERIALIZED) >= _MAX_KEPT:
                break
            _SERIALIZED.setdefault(key, blob)


def forget() -> None:
    """Drop what is kept and keep nothing more (a worker, once its detector is
    built: it starts no other process, and ~11 MB of serialized databases would
    only take its memory)."""
    global _keep
    with _LOCK:
        _keep = False
        _SERIALIZED.clear()
