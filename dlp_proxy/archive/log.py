"""The writer: an append-only, group-committed, Merkle-hashed log per gateway worker.

One ``FileArchive`` owns one worker's log (``log-<worker>-NNNNNNNN.jsonl``) under a
directory; several workers (processes) write side by side in the same directory
with distinct ``worker_id`` values, and verify/export merge them.  An exclusive
``flock`` on ``<worker>.lock`` stops two processes from using the same id.

Durability: ``append`` hands the record to a dedicated writer thread and returns
its id only after the line is written and ``fdatasync``'d.  Records that arrive
while a sync is in flight are written and synced together (group commit), so N
concurrent awaiters share one sync.  The event loop never blocks on the disk.

Failure: a write or sync error fails every record of the batch with
``ArchiveError``.  A failed write is rolled back with ``ftruncate``; a failed
*sync* poisons the archive (Linux may drop the dirty pages after reporting the
error once, so nothing written since can be trusted) and every later append
raises until the archive is reopened, which re-reads and repairs the tail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import hashlib
import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from dlp_proxy.archive import content as content_mod
from dlp_proxy.archive.format import (
    FORMAT_VERSION,
    ORIGIN_PREFIX,
    canonical,
    check_worker_id,
    key_id,
    list_segments,
    public_key_bytes,
    segment_name,
    sign_checkpoint,
    utc_now_iso,
)
from dlp_proxy.archive.merkle import CompactRange, leaf_hash
from dlp_proxy.archive.segment import parse_lines, torn_tail_start
from dlp_proxy.interfaces import ArchiveError
from dlp_proxy.keys import load_key
from dlp_proxy.randpool import random_hex

log = logging.getLogger("dlp_proxy.archive")

DEFAULT_MAX_SEGMENT_BYTES = 64 * 1024 * 1024


class SegmentShipper(Protocol):
    """A second location (replica directory, S3 Object Lock bucket): see storage.py."""

    name: str

    def put_segment(self, worker: str, number: int, path: Path) -> None: ...

    def put_checkpoint(self, worker: str, line: Mapping[str, Any]) -> None: ...


@dataclass(slots=True)
class ArchiveOptions:
    content_mode: str = "encrypted"
    #: a signed checkpoint after every N records (1: after every group commit) ...
    checkpoint_records: int = 1
    #: ... or after T seconds with unsigned records pending
    checkpoint_seconds: float = 5.0
    max_segment_bytes: int = DEFAULT_MAX_SEGMENT_BYTES
    masked_excerpt_chars: int = 1000
    #: copies of sealed segments and periodic checkpoints (storage.LocalReplica, storage.S3ObjectLock)
    replicas: Sequence[SegmentShipper] = ()
    ship_checkpoint_seconds: float = 5.0
    #: keys (raw bytes); default: dlp_proxy.keys.load_key under the data dir
    signing_key: bytes | None = None
    content_key: bytes | None = None
    hash_key: bytes | None = None
    #: False only for benchmarks that measure the cost of fsync itself
    fsync: bool = True
    #: the clock checkpoint ages are measured on (tests inject one)
    clock: Callable[[], float] = time.monotonic


@dataclass(slots=True)
class _Item:
    record: dict[str, Any]
    #: the caller's future for append_sync (None for an ``await append()``)
    future: concurrent.futures.Future[str] | None
    #: the event loop and future of an ``await append()``: woken once per commit
    #: for all its records (one call_soon_threadsafe, not one per record)
    waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[str]] | None = None


def _resolve(items: Sequence[_Item], value: str | None = None, exc: BaseException | None = None) -> None:
    """Settle ``items`` with their record id (``value=None``) or ``exc``."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[str], str | None, BaseException | None]]] = {}
    for it in items:
        result = it.record["record_id"] if value is None and exc is None else value
        if it.future is not None:
            if exc is None:
                it.future.set_result(str(result))
            else:
                it.future.set_exception(exc)
        if it.waiter is not None:
            by_loop.setdefault(it.waiter[0], []).append((it.waiter[1], result, exc))
    for loop, batch in by_loop.items():
        try:
            loop.call_soon_threadsafe(_deliver, batch)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass


def _deliver(batch: list[tuple[asyncio.Future[str], str | None, BaseException | None]]) -> None:
    for afut, result, exc in batch:
        if afut.done():  # the awaiting request gave up (deadline, shutdown)
            continue
        if exc is None:
            afut.set_result(str(result))
        else:
            afut.set_exception(exc)


@dataclass(slots=True)
class ArchiveStats:
    records: int = 0
    commits: int = 0
    checkpoints: int = 0
    segments_sealed: int = 0
    ship_failures: int = 0
    torn_tails_repaired: int = 0
    last_error: str = ""
    #: write/sync/rotation failures since start, and when the last one happened (time.time())
    write_errors: int = 0
    last_error_at: float = 0.0
    batch_sizes: list[int] = field(default_factory=list)
    #: records written but not yet covered by a signed checkpoint (the writer's own count)
    unsigned: int = 0
    #: seconds spent in fdatasync since start (/ commits = the disk's share of an append)
    sync_seconds: float = 0.0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_record_id() -> str:
    """Time-ordered, unique across workers: 12 hex of epoch millis + 16 random hex."""
    return f"{int(time.time() * 1000):012x}{random_hex(8)}"


class FileArchive:
    """Implements ``dlp_proxy.interfaces.Archive``.  Use ``open_archive``."""

    def __init__(self, directory: Path, worker_id: str, options: ArchiveOptions) -> None:
        if options.content_mode not in content_mod.CONTENT_MODES:
            raise ArchiveError(
                f"content_mode must be one of {content_mod.CONTENT_MODES}, not {options.content_mode!r}"
            )
        self.directory = Path(directory)
        try:
            self.worker_id = check_worker_id(worker_id)
        except ValueError as exc:
            raise ArchiveError(str(exc)) from exc
        self.options = options
        self.origin = ORIGIN_PREFIX + self.worker_id
        self.stats = ArchiveStats()
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._closed = False
        self._broken: str | None = None
        self._lock_fd = -1
        self._fd = -1
        self._ship_queue: queue.SimpleQueue[tuple[str, Any] | None] = queue.SimpleQueue()
        self._last_ship = 0.0
        try:
            self._signing = options.signing_key or load_key("archive-signing")
            self._kek = options.content_key or (
                load_key("archive-content") if options.content_mode == "encrypted" else b""
            )
            self._hash_key = options.hash_key or load_key("hash")
            self._public = public_key_bytes(self._signing)
            self._key_id = key_id(self._public)
            self.directory.mkdir(parents=True, exist_ok=True)
            self._acquire_lock()
            self._recover()
        except ArchiveError:
            self._release()
            raise
        except Exception as exc:  # OSError, key errors...
            self._release()
            raise ArchiveError(f"cannot open archive {self.directory} for worker {worker_id}: {exc}") from exc
        self._shipper = threading.Thread(
            target=self._ship_loop, name=f"archive-ship-{worker_id}", daemon=True
        )
        self._shipper.start()
        self._writer = threading.Thread(
            target=self._write_loop, name=f"archive-writer-{worker_id}", daemon=True
        )
        self._writer.start()

    # -- public API ---------------------------------------------------------------

    @property
    def public_key(self) -> bytes:
        return self._public

    async def append(self, record: Mapping[str, Any]) -> str:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[str] = loop.create_future()
        self._submit(record, (loop, waiter))
        return await waiter

    def append_sync(self, record: Mapping[str, Any], timeout: float | None = 60.0) -> str:
        fut = self._submit(record)
        assert fut is not None
        try:
            return fut.result(timeout=timeout)
        except concurrent.futures.TimeoutError as exc:
            raise ArchiveError("archive write timed out") from exc

    def close_sync(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join()
        self._ship_queue.put(None)
        self._shipper.join()
        self._release()

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.close_sync)

    def __enter__(self) -> FileArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_sync()

    # -- submission (caller's thread) --------------------------------------------

    def _submit(
        self, record: Mapping[str, Any],
        waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[str]] | None = None,
    ) -> concurrent.futures.Future[str] | None:
        if self._closed:
            raise ArchiveError("archive is closed")
        if self._broken:
            raise ArchiveError(f"archive unusable after an earlier failure: {self._broken}")
        try:
            rec = self._prepare(record)
        except ArchiveError:
            raise
        except Exception as exc:
            raise ArchiveError(f"record cannot be archived: {type(exc).__name__}: {exc}") from exc
        fut: concurrent.futures.Future[str] | None = None if waiter is not None else concurrent.futures.Future()
        self._queue.put(_Item(rec, fut, waiter))
        return fut

    def _prepare(self, record: Mapping[str, Any]) -> dict[str, Any]:
        rec = dict(record)
        raw_content = rec.pop("_content", None)
        for reserved in ("seq", "leaf_index", "archive_worker", "archived_at", "prev_leaf", "content"):
            if reserved in rec:
                rec[f"gateway_{reserved}"] = rec.pop(reserved)
        rid = rec.get("record_id") or new_record_id()
        rec["record_id"] = str(rid)
        if raw_content is not None:
            if self.options.content_mode == "encrypted":
                rec["content"] = content_mod.encrypt_content(
                    raw_content, record_id=rec["record_id"], kek=self._kek, hash_key=self._hash_key
                )
            else:
                rec["content"] = content_mod.mask_content(
                    raw_content, hash_key=self._hash_key, max_chars=self.options.masked_excerpt_chars
                )
        # Not normalized here (json round trip): the writer serializes each record
        # once, and a record that cannot be serialized fails alone there.  The
        # caller must not mutate what it passed in after append().
        return rec

    # -- opening and recovery -----------------------------------------------------

    def _acquire_lock(self) -> None:
        path = self.directory / f"{self.worker_id}.lock"
        self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ArchiveError(
                f"archive worker id {self.worker_id!r} is in use by another process in {self.directory}"
            ) from exc

    def _release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def _recover(self) -> None:
        segments = list_segments(self.directory).get(self.worker_id, [])
        pending_admin: list[dict[str, Any]] = []
        if not segments:
            self._tree = CompactRange()
            self._last_leaf = ""
            self._create_segment(1, prev_sha256="")
            return
        number, path = segments[-1]
        data = path.read_bytes()
        lines = parse_lines(data)
        try:
            torn = torn_tail_start(lines)
        except ValueError as exc:
            raise ArchiveError(f"{path.name}: {exc}; run `dlp-proxy archive verify`") from exc
        if torn is not None:
            if torn == 0:
                raise ArchiveError(f"{path.name}: segment header is damaged; run `dlp-proxy archive verify`")
            pending_admin.append(self._save_torn_tail(path, data, torn))
            lines = [ln for ln in lines if ln.offset < torn]
        hdr = lines[0].obj["hdr"] if lines and lines[0].obj and "hdr" in lines[0].obj else None
        if not isinstance(hdr, dict) or hdr.get("segment") != number or hdr.get("worker") != self.worker_id:
            raise ArchiveError(
                f"{path.name}: missing or wrong segment header; run `dlp-proxy archive verify`"
            )
        tree = CompactRange(int(hdr["tree_size"]), [bytes.fromhex(h) for h in hdr["frontier"]])
        last_leaf = str(hdr.get("last_leaf", ""))
        sealed = False
        signed_size = tree.size
        for ln in lines[1:]:
            obj = ln.obj
            assert obj is not None
            if "rec" in obj:
                rec = obj["rec"]
                if rec.get("seq") != tree.size:
                    raise ArchiveError(
                        f"{path.name} line {ln.number}: seq {rec.get('seq')} where {tree.size} was expected; "
                        "run `dlp-proxy archive verify`"
                    )
                lh = leaf_hash(canonical(rec))
                tree.append(lh)
                last_leaf = lh.hex()
            elif "cp" in obj:
                signed_size = int(obj["cp"].get("size", -1))
                sealed = bool(obj["cp"].get("sealed"))
        self._tree = tree
        self._last_leaf = last_leaf
        self.stats.unsigned = tree.size - signed_size
        if sealed:
            if os.stat(path).st_mode & 0o222:
                os.chmod(path, 0o444)
            self._create_segment(number + 1, prev_sha256=hashlib.sha256(data).hexdigest())
        else:
            self._segment = number
            self._segment_path = path
            self._hdr_sha = hashlib.sha256(lines[0].raw).hexdigest()
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            self._offset = os.fstat(self._fd).st_size
        # Records written but never signed (crash between batches with checkpoint_records > 1,
        # or a power loss) and the torn-tail note get signed now, before any new record.
        if pending_admin or self.stats.unsigned:
            items = [_Item(self._prepare(a), concurrent.futures.Future()) for a in pending_admin]
            self._commit(items, force_checkpoint=True)
            if self._broken:
                raise ArchiveError(f"cannot repair archive tail: {self._broken}")

    def _save_torn_tail(self, path: Path, data: bytes, offset: int) -> dict[str, Any]:
        """Keep a copy of the torn bytes, truncate them, and describe it for an admin record."""
        tail = data[offset:]
        digest = hashlib.sha256(tail).hexdigest()
        rdir = self.directory / "recovery"
        rdir.mkdir(exist_ok=True)
        copy = rdir / f"{path.stem}.{offset}.{int(time.time())}.torn"
        with open(copy, "wb") as f:
            f.write(tail)
            f.flush()
            os.fsync(f.fileno())
        _fsync_dir(rdir)
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, offset)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.stats.torn_tails_repaired += 1
        log.warning(
            "archive %s: torn tail of %d bytes truncated (copy kept in %s)", path.name, len(tail), copy
        )
        return {
            "type": "admin",
            "event": "torn_tail_truncated",
            "segment_file": path.name,
            "offset": offset,
            "bytes": len(tail),
            "sha256": digest,
            "copy": str(copy.relative_to(self.directory)),
            "time": utc_now_iso(time.time()),
        }

    def _create_segment(self, number: int, prev_sha256: str) -> None:
        path = self.directory / segment_name(self.worker_id, number)
        header = {
            "hdr": {
                "format": FORMAT_VERSION,
                "worker": self.worker_id,
                "segment": number,
                "tree_size": self._tree.size,
                "frontier": [h.hex() for h in self._tree.hashes],
                "last_leaf": self._last_leaf,
                "prev_segment_sha256": prev_sha256,
                "created": utc_now_iso(time.time()),
                "key_id": self._key_id,
            }
        }
        tmp = path.with_suffix(".tmp")
        data = canonical(header) + b"\n"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, path)
        _fsync_dir(self.directory)
        self._segment = number
        self._segment_path = path
        self._hdr_sha = hashlib.sha256(data.rstrip(b"\n")).hexdigest()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        self._offset = len(data)
        self.stats.unsigned = 0

    # -- writer thread --------------------------------------------------------------

    def _write_loop(self) -> None:
        opts = self.options
        while True:
            timeout = opts.checkpoint_seconds if self.stats.unsigned else None
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                self._commit([], force_checkpoint=True)
                continue
            items: list[_Item] = []
            stop = first is None
            if first is not None:
                items.append(first)
            while not stop:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                else:
                    items.append(nxt)
            if items:
                due = self.stats.unsigned + len(items) >= opts.checkpoint_records or (
                    opts.clock() - self._last_cp_time >= opts.checkpoint_seconds
                )
                self._commit(items, force_checkpoint=due or stop)
            if stop:
                if self.stats.unsigned and not self._broken:
                    self._commit([], force_checkpoint=True)
                if not self._broken and self._latest_cp is not None:
                    self._ship("checkpoint", self._latest_cp)
                # Fail anything that raced with close.
                while True:
                    try:
                        late = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if late is not None:
                        _resolve([late], exc=ArchiveError("archive is closed"))
                return

    _latest_cp: dict[str, Any] | None = None
    _last_cp_time: float = float("-inf")  # no checkpoint yet: the first record is due

    def _checkpoint_line(self, tree: CompactRange, last_leaf: str, *, sealed: bool = False) -> dict[str, Any]:
        cp: dict[str, Any] = {
            "origin": self.origin,
            "size": tree.size,
            "root": tree.root().hex(),
            "last_leaf": last_leaf,
            "time": utc_now_iso(time.time()),
            "segment": self._segment,
            "segment_header_sha256": self._hdr_sha,
            "key_id": self._key_id,
        }
        if sealed:
            cp["sealed"] = True
        return sign_checkpoint(self._signing, cp)

    def _commit(self, items: list[_Item], *, force_checkpoint: bool = False) -> None:
        if self._broken:
            _resolve(items, exc=ArchiveError(f"archive unusable after an earlier failure: {self._broken}"))
            return
        tree = self._tree.copy()
        last_leaf = self._last_leaf
        chunks: list[bytes] = []
        now = time.time()
        stamp = utc_now_iso(now)
        good: list[_Item] = []
        for it in items:
            rec = it.record
            rec["seq"] = tree.size
            rec["leaf_index"] = tree.size
            rec["archive_worker"] = self.worker_id
            rec["archived_at"] = stamp
            rec["prev_leaf"] = last_leaf
            try:
                data = canonical(rec)
            except (TypeError, ValueError) as exc:  # not JSON data (or NaN): this record alone fails
                _resolve([it], exc=ArchiveError(f"record cannot be archived: {type(exc).__name__}: {exc}"))
                continue
            good.append(it)
            lh = leaf_hash(data)
            tree.append(lh)
            last_leaf = lh.hex()
            chunks.append(b'{"rec":' + data + b"}\n")
        items = good  # the failed ones have their answer already
        cp_line = None
        if force_checkpoint and (items or self.stats.unsigned):
            cp_line = self._checkpoint_line(tree, last_leaf)
            chunks.append(canonical(cp_line) + b"\n")
        if not chunks:
            return
        buf = b"".join(chunks)
        start = self._offset
        try:
            view = memoryview(buf)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as exc:
            self._fail(items, f"write failed: {exc}", rollback_to=start)
            return
        try:
            if self.options.fsync:
                synced = time.perf_counter()
                os.fdatasync(self._fd)
                self.stats.sync_seconds += time.perf_counter() - synced
        except OSError as exc:
            self._fail(items, f"fdatasync failed: {exc}", rollback_to=None)
            return
        self._offset = start + len(buf)
        self._tree = tree
        self._last_leaf = last_leaf
        if cp_line is not None:
            self._last_cp_time = self.options.clock()
            self.stats.unsigned = 0
            self._latest_cp = cp_line
            self.stats.checkpoints += 1
        else:
            self.stats.unsigned += len(items)
        self.stats.records += len(items)
        self.stats.commits += 1
        if len(self.stats.batch_sizes) < 100_000:
            self.stats.batch_sizes.append(len(items))
        _resolve(items)
        if cp_line is not None and time.monotonic() - self._last_ship >= self.options.ship_checkpoint_seconds:
            self._last_ship = time.monotonic()
            self._ship("checkpoint", cp_line)
        if self._offset >= self.options.max_segment_bytes:
            try:
                self._rotate()
            except OSError as exc:
                self._broken = f"segment rotation failed: {exc}"
                self.stats.last_error = self._broken
                self.stats.write_errors += 1
                self.stats.last_error_at = time.time()
                log.error("archive %s: %s", self.worker_id, self._broken)

    def _fail(self, items: list[_Item], why: str, *, rollback_to: int | None) -> None:
        self.stats.last_error = why
        self.stats.write_errors += 1
        self.stats.last_error_at = time.time()
        log.error("archive %s: %s", self.worker_id, why)
        if rollback_to is not None:
            try:
                os.ftruncate(self._fd, rollback_to)
            except OSError as exc:
                self._broken = f"{why}; rollback failed: {exc}"
        else:
            self._broken = why
        _resolve(items, exc=ArchiveError(f"archive record not durable: {why}"))

    def _rotate(self) -> None:
        seal = self._checkpoint_line(self._tree, self._last_leaf, sealed=True)
        os.write(self._fd, canonical(seal) + b"\n")
        os.fsync(self._fd)
        os.close(self._fd)
        self._fd = -1
        sealed_path = self._segment_path
        os.chmod(sealed_path, 0o444)
        digest = hashlib.sha256(sealed_path.read_bytes()).hexdigest()
        self._latest_cp = seal
        self.stats.segments_sealed += 1
        self._create_segment(self._segment + 1, prev_sha256=digest)
        self._ship("segment", (self._segment - 1, sealed_path))
        self._ship("checkpoint", seal)

    # -- shipping to replicas ---------------------------------------------------------

    def _ship(self, kind: str, payload: Any) -> None:
        if self.options.replicas:
            self._ship_queue.put((kind, payload))

    def _ship_loop(self) -> None:
        pending: list[tuple[str, Any]] = []
        while True:
            task = self._ship_queue.get()
            if task is not None:
                pending.append(task)
            still: list[tuple[str, Any]] = []
            for kind, payload in pending:
                for rep in self.options.replicas:
                    try:
                        if kind == "segment":
                            rep.put_segment(self.worker_id, payload[0], payload[1])
                        else:
                            rep.put_checkpoint(self.worker_id, payload)
                    except Exception as exc:
                        self.stats.ship_failures += 1
                        log.error(
                            "archive %s: shipping %s to %s failed: %s", self.worker_id, kind, rep.name, exc
                        )
                        if kind == "segment":
                            still.append((kind, payload))
            pending = still
            if task is None:
                return


def open_archive(directory: Path, *, worker_id: str = "w0", **options: Any) -> FileArchive:
    """Open (creating or recovering) worker ``worker_id``'s log under ``directory``.

    Options: see ``ArchiveOptions`` (content_mode="encrypted"|"masked",
    checkpoint_records, checkpoint_seconds, max_segment_bytes, replicas, keys...).
    Raises ArchiveError when the directory is unusable.
    """
    try:
        opts = ArchiveOptions(**options)
    except TypeError as exc:
        raise ArchiveError(f"unknown archive option: {exc}") from exc
    return FileArchive(Path(directory), worker_id, opts)


def copy_tree_readonly(src: Path, dst: Path) -> None:
    """Copy a file and make the copy read-only (used by the local replica)."""
    tmp = dst.with_suffix(dst.suffix + ".tmp")
    shutil.copyfile(src, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, 0o444)
    os.rename(tmp, dst)
