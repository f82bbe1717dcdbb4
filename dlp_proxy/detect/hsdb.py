"""Hyperscan databases compiled once per gateway, not once per process.

Compiling the detector's Hyperscan databases is nearly all of building a detector
(docs/benchmarks.md, "Scan workers below the event loop"), and a gateway
builds one detector in its own process and one in each scan and file worker, and
again in each replacement of a worker killed at a deadline.  ``compile_db`` keeps
each database it compiles, serialized (``hyperscan.dumpb``), in this process;
``exported()`` hands them to a worker's initializer and ``preload`` installs them
there, so the worker deserializes (``hyperscan.loadb``, milliseconds) what the
gateway compiled from the same expressions and flags.

What is kept is keyed by a SHA-256 of the Hyperscan version and of every expression
and flag, so a database is only ever reused for exactly the patterns it was
compiled from; a serialized database Hyperscan refuses to load (another CPU or
version) is compiled again.  The databases travel from the gateway to the workers it
starts in the pipe that starts them.

``use_disk(directory)`` (the gateway: ``DLP_DETECTOR_CACHE``, in its data directory by
default) also keeps each database in a file of that directory, so a restart, or another
gateway with the same configuration and cache, loads what an earlier one compiled
instead of compiling it again.  The directory is created 0700 and each file 0600,
written to a temporary name and renamed, and holds a SHA-256 of the database: a file
cut short or corrupted is compiled again and rewritten, never loaded.  (A file is only
as trustworthy as the directory: whoever can write it can also replace the gateway's
keys, policy and recognizers beside it.)  The directory is pruned to
``DISK_MAX_BYTES``, least recently used first.  A directory that cannot be read or
written costs the compilation, never the build: the cache is an optimization.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
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
#: where databases are kept on disk too (``use_disk``); None: in this process only
_disk: Path | None = None
#: the bytes of kept files in ``_disk`` as this process last counted them plus what it
#: wrote since: the directory is scanned once, and again only when it is past the bound
_disk_bytes: int | None = None
#: a kept file: this header, the SHA-256 of the database, the serialized database
_MAGIC = b"dlp-hsdb1\n"
#: the disk cache's size bound (a detector's databases take ~15 MB)
DISK_MAX_BYTES = 512 * 1024**2

log = logging.getLogger("dlp_proxy.detect")


def use_disk(directory: Path | None) -> None:
    """Keep compiled databases in ``directory`` too, and load them from there (None:
    in this process only)."""
    global _disk, _disk_bytes
    _disk = Path(directory) if directory is not None else None
    _disk_bytes = None


def _disk_path(key: str) -> Path | None:
    return _disk / f"{key}.hsdb" if _disk is not None else None


def _disk_read(key: str) -> bytes | None:
    path = _disk_path(key)
    if path is None:
        return None
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if len(raw) <= head or not raw.startswith(_MAGIC) or hashlib.sha256(raw[head:]).digest() != raw[len(_MAGIC):head]:
        log.warning("a kept Hyperscan database failed its digest check; compiling it again",
                    extra={"file": path.name})
        return None
    try:
        os.utime(path)  # recently used: pruned last
    except OSError:
        pass
    return raw[head:]


def _disk_write(key: str, blob: bytes) -> None:
    global _disk_bytes
    path = _disk_path(key)
    if path is None:
        return
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(blob).digest() + blob)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if _disk_bytes is not None:
            _disk_bytes += len(_MAGIC) + 32 + len(blob)
        if _disk_bytes is None or _disk_bytes > DISK_MAX_BYTES:
            _disk_bytes = _prune(path.parent)
    except OSError as exc:
        log.warning("could not keep a compiled Hyperscan database on disk; the next start compiles it again",
                    extra={"error": type(exc).__name__})


def _prune(directory: Path) -> int:
    """Remove the least recently used files past ``DISK_MAX_BYTES``; the bytes left."""
    files = []
    for entry in os.scandir(directory):
        if entry.name.endswith(".hsdb"):
            try:
                st = entry.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, entry.path))
    total = sum(size for _, size, _ in files)
    for _, size, name in sorted(files):
        if total <= DISK_MAX_BYTES:
            break
        try:
            os.unlink(name)
            total -= size
        except OSError:
            continue
    return total


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
    for blob in (_SERIALIZED.get(key), _disk_read(key)):
        if blob is None:
            continue
        try:
            loaded = _hs.loadb(blob, _hs.HS_MODE_BLOCK)
        except Exception:  # noqa: S112 - another platform's database: compiled below
            continue
        counts["loaded"] += 1
        _keep_blob(key, blob)
        return loaded
    db = _hs.Database()
    db.compile(expressions=expressions, ids=list(range(len(expressions))), elements=len(expressions), flags=flags)
    counts["compiled"] += 1
    if _keep or _disk is not None:
        blob = bytes(_hs.dumpb(db))
        _keep_blob(key, blob)
        _disk_write(key, blob)
    return db


def _keep_blob(key: str, blob: bytes) -> None:
    if _keep:
        with _LOCK:
            if len(_SERIALIZED) < _MAX_KEPT:
                _SERIALIZED.setdefault(key, blob)


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
