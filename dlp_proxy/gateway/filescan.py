"""Uploaded files are opened *and* scanned in worker processes.

Text extraction already runs in a process pool (dlp_proxy.files.runner), but a
10 MB CSV yields 10 MB of text whose detection, in the gateway process, would
hold the GIL for seconds and stall every other user's post.  So a file's whole
judgement-input work - extract, then detect on every segment - runs in a pool
of ``forkserver`` workers, each with its own detector (built once per worker
from the same configuration).  The event loop only waits on a future.

A worker that overruns the file deadline is killed with its pool (a new pool
starts on the next file); the request then fails closed like any scan over its
deadline.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import threading
import time
from collections.abc import Collection, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from dlp_proxy.interfaces import Extraction
from dlp_proxy.model import Finding, ScannedItem

_worker_detector: Any = None


def detector_factory(spec: str | None = None) -> Any:
    """``DLP_DETECTOR=module:factory`` swaps in another detection engine with the
    same signature as ``dlp_proxy.detect.build_detector`` (an extension point for
    firm-specific engines; the fault tests use it to make inspection fail)."""
    if not spec:
        from dlp_proxy.detect import build_detector

        return build_detector
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr or "build_detector")


def _init_worker(ner: bool | None, memory_limit_mb: int | None, owner_pid: int, config_dir: str | None,
                 detector: str | None, nice: int) -> None:
    from dlp_proxy.files import runner

    # SIGINT ignored, address-space cap, parsers imported, exit with the gateway
    runner._init_worker(memory_limit_mb, owner_pid)
    # Files are bulk work; chat posts are interactive.  A lower CPU priority lets the
    # gateway's own process (and Mattermost beside it) run first when cores are busy,
    # so a large upload slows other users' posts less (docs/benchmarks.md).
    if nice > 0:
        os.nice(nice)
    global _worker_detector
    _worker_detector = detector_factory(detector)(config_dir, ner=ner)


def _job(data: bytes, filename: str, limits: Any, entities: Collection[str] | None,
         budget_seconds: float | None = None) -> tuple[Extraction, list[list[Finding]]]:
    """Extract, then detect every segment.  ``budget_seconds`` (from the job's start)
    bounds the whole job: when it is spent, the segments not yet judged are dropped and
    the extraction gets ``time-limit``, so an upload too large to judge in time is an
    uninspected file (the policy's ``too_large``) rather than a scan killed at the
    request deadline."""
    import time

    from dlp_proxy.files.runner import work

    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    extraction = work(data, filename, limits)
    findings: list[list[Finding]] = []
    for seg in extraction.segments:
        found = _analyze_segment(seg.text, entities, deadline)
        if found is None:
            break
        findings.append(found)
    if len(findings) < len(extraction.segments):
        extraction = Extraction(file_type=extraction.file_type, segments=extraction.segments[: len(findings)],
                                complete=False, problems=(*extraction.problems, "time-limit"))
    return extraction, findings


#: share of the request's file deadline a scan job may spend; what it has not judged by
#: then makes the file ``time-limit`` (held as too large), before the deadline kills it
JOB_BUDGET_SHARE = 0.8

#: a segment longer than this is judged in overlapping windows of this size: the
#: detector refuses a text over its own limit (5 M characters), and memory stays bounded
SEGMENT_WINDOW = 1_000_000
SEGMENT_OVERLAP = 1_024


def _analyze_segment(text: str, entities: Collection[str] | None, deadline: float | None = None) -> list[Finding] | None:
    """Findings in one extracted segment of any length, offsets in ``text``; None when
    ``deadline`` (time.monotonic()) passed before the segment was wholly judged."""
    import time

    if deadline is not None and time.monotonic() > deadline:
        return None
    if len(text) <= SEGMENT_WINDOW:
        return list(_worker_detector.analyze(text, entities=entities))
    import dataclasses

    from dlp_proxy.files.windows import iter_text_windows
    from dlp_proxy.interfaces import TextSegment

    found: list[Finding] = []
    for w in iter_text_windows([TextSegment("", text)], window=SEGMENT_WINDOW, overlap=SEGMENT_OVERLAP):
        if deadline is not None and time.monotonic() > deadline:
            return None
        for f in _worker_detector.analyze(w.text, entities=entities):
            if f.end > w.new_from:  # a finding ending inside the overlap was whole in the previous window
                found.append(dataclasses.replace(f, start=f.start + w.offset, end=f.end + w.offset))
    return found


def _extract_job(route: Any, raw: bytes, content_encoding: str, content_type: str, query: str,
                 max_text_bytes: int) -> tuple[bytes | None, Any]:
    from dlp_proxy.gateway.pipeline import decode_and_extract

    body, extracted = decode_and_extract(route, raw, content_encoding, content_type, query, max_text_bytes)
    return (None if body is raw else body), extracted  # the same bytes are not sent back


#: a Finding as it crosses the process boundary: its fields in order (model.Finding)
PackedFinding = tuple[str, int, int, float, str, tuple[str, ...], str]


def pack_findings(findings: Iterable[Finding]) -> tuple[PackedFinding, ...]:
    """Findings as plain tuples for the trip back from a worker.  Unpickling a frozen,
    slotted dataclass goes through ``dataclasses._dataclass_setstate`` (``fields()``
    and ``object.__setattr__`` per field): ~20 ms on the event loop for the ~1,000
    findings of one 16,000-character post of account numbers, ~2 ms as tuples
    rebuilt by ``unpack_findings``.  Equal strings (entity type, recognizer,
    explanation) are sent once."""
    memo: dict[str, str] = {}

    def one(s: str) -> str:
        return memo.setdefault(s, s)

    return tuple((one(f.entity_type), f.start, f.end, f.score, one(f.recognizer), f.transforms, one(f.explanation))
                 for f in findings)


def unpack_findings(packed: Iterable[PackedFinding]) -> tuple[Finding, ...]:
    """The ``Finding`` objects ``pack_findings`` packed (the same types, values and order)."""
    return tuple(Finding(e, s, t, sc, r, tr, ex) for e, s, t, sc, r, tr, ex in packed)


def _packed_job(data: bytes, filename: str, limits: Any, entities: Collection[str] | None,
                budget_seconds: float | None = None) -> tuple[Extraction, list[tuple[PackedFinding, ...]]]:
    """``_job`` with its findings packed for the trip back (``pack_findings``)."""
    extraction, findings = _job(data, filename, limits, entities, budget_seconds)
    return extraction, [pack_findings(fs) for fs in findings]


def _scan_texts_job(items: Any, entities: Collection[str] | None) -> tuple[list[tuple[PackedFinding, ...]], float]:
    """Detection over request texts (``Pipeline._scan``), in a worker; the findings of
    each item, packed, and the worker's CPU time (the texts stay where they came from)."""
    started = time.process_time()
    scanned = list(_worker_detector.scan(items, entities=entities))
    return [pack_findings(s.findings) for s in scanned], time.process_time() - started


class FileScanner:
    """A pool of worker processes, each in a *slot* of its own (a one-process
    ``ProcessPoolExecutor``), so a job that overruns its deadline - or whose caller
    is cancelled, e.g. by the request's deadline - kills its own worker only: the
    other slots' jobs go on, and the killed slot is restarted at once (in the
    background), so CPU returns to idle and the next job does not pay the start."""

    def __init__(self, *, workers: int | None = None, ner: bool | None = False, memory_limit_mb: int | None = 3072,
                 limits: Any = None, config_dir: Path | None = None, detector: str | None = None,
                 nice: int = 10) -> None:
        """``config_dir``/``detector``: the gateway's own (its Settings), so the
        workers judge with the same recognizers; ``nice``: DLP_FILE_WORKER_NICE."""
        self.config_dir = str(config_dir) if config_dir is not None else None
        self.detector = detector
        self.workers = workers or max(1, (os.cpu_count() or 2) - 0)
        self.ner = ner
        self.memory_limit_mb = memory_limit_mb
        self.limits = limits
        #: CPU priority offset of the workers (DLP_FILE_WORKER_NICE)
        self.nice = nice
        self._slots: list[ProcessPoolExecutor | None] = [None] * self.workers
        self._idle: list[int] = list(range(self.workers))
        self._waiters: list[asyncio.Future[int]] = []
        #: per slot, the start-up job of its current worker (done: the worker is ready)
        self._warm: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        #: workers killed at a deadline or a cancellation (for tests and metrics)
        self.killed = 0

    def _new_pool(self) -> ProcessPoolExecutor:
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        return ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context(method),
            initializer=_init_worker, initargs=(self.ner, self.memory_limit_mb, os.getpid(), self.config_dir,
                                                self.detector, self.nice),
        )

    def _pool(self, slot: int) -> ProcessPoolExecutor:
        with self._lock:
            pool = self._slots[slot]
            if pool is None:
                pool = self._slots[slot] = self._new_pool()
            return pool

    def warm_up(self) -> None:
        """Start the workers (and build their detectors) before the first job."""
        for slot in range(self.workers):
            self._warm[slot] = self._pool(slot).submit(int)

    async def start(self) -> None:
        """Start the workers and wait until each has built its detector."""
        self.warm_up()
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self._warm.values()))

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            pools = [p for p in self._slots if p is not None]
        return [pid for p in pools for pid in dict(getattr(p, "_processes", None) or {})]

    def _kill(self, slot: int, pool: ProcessPoolExecutor, *, restart: bool = True) -> None:
        with self._lock:
            if self._slots[slot] is pool:
                self._slots[slot] = None
        for proc in dict(getattr(pool, "_processes", None) or {}).values():
            try:
                proc.kill()
            except Exception:  # noqa: S110 - already gone
                pass
        pool.shutdown(wait=False, cancel_futures=True)
        if restart:
            try:
                # a fresh worker builds its detector now, not on the next job
                self._warm[slot] = self._pool(slot).submit(int)
            except Exception:  # noqa: S110 - started again on the next job
                pass

    async def _acquire(self) -> int:
        if self._idle:
            # a slot whose worker is ready first (a replaced one may still be starting)
            for i in range(len(self._idle) - 1, -1, -1):
                warm = self._warm.get(self._idle[i])
                if warm is None or warm.done():
                    return self._idle.pop(i)
            return self._idle.pop()
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release(waiter.result())  # handed a slot as it was cancelled: pass it on
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def _release(self, slot: int) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(slot)
                return
        self._idle.append(slot)

    async def scan(self, data: bytes, filename: str, entities: Collection[str] | None,
                   timeout: float) -> tuple[Extraction, list[list[Finding]]]:
        from dlp_proxy.files import Limits

        limits = self.limits or Limits(max_seconds=max(1.0, timeout / 2))
        extraction, packed = await self.run(
            _packed_job, bytes(data), filename, limits, frozenset(entities) if entities is not None else None,
            timeout * JOB_BUDGET_SHARE, timeout=timeout)
        return extraction, [list(unpack_findings(fs)) for fs in packed]

    async def scan_texts(self, items: Any, entities: Collection[str] | None,
                         timeout: float) -> tuple[list[ScannedItem], float]:
        """``detector.scan(items)`` in a worker; (scanned items, the worker's CPU seconds)."""
        items = list(items)
        packed, cost = await self.run(
            _scan_texts_job, items, frozenset(entities) if entities is not None else None, timeout=timeout)
        if len(packed) != len(items):
            raise RuntimeError("the scan worker answered for another number of texts")
        return [ScannedItem(item, unpack_findings(fs)) for item, fs in zip(items, packed, strict=True)], cost

    async def extract_body(self, route: Any, raw: bytes, content_encoding: str, content_type: str, query: str,
                           max_text_bytes: int, timeout: float) -> tuple[bytes, Any]:
        """``dlp_proxy.gateway.pipeline.decode_and_extract`` of a large body, in a worker.

        Parsing a 10 MB multipart body takes the standard library's MIME parser a
        few hundred milliseconds of Python; in a thread of the gateway it holds the
        GIL in switch-interval slices, and every other request waits up to a slice
        each time it needs the GIL back.  In a worker (at the workers' lower CPU
        priority), the gateway process only copies the bytes in and out.
        Returns (decoded body, Extracted); a ``BodyError`` comes back as itself.
        """
        decoded, extracted = await self.run(_extract_job, route, raw, content_encoding, content_type, query,
                                            max_text_bytes, timeout=timeout)
        return (raw if decoded is None else decoded), extracted

    async def run(self, fn: Any, *args: Any, timeout: float) -> Any:
        """``fn(*args)`` in a worker within ``timeout`` seconds (waiting for a free
        worker included).  On timeout, or when the caller is cancelled, the worker
        running the job is killed (a runaway job must not keep a core busy); a
        worker that crashed is replaced and the job retried once."""
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            slot = await self._acquire()
            try:
                for attempt in range(2):
                    pool = self._pool(slot)
                    future = loop.run_in_executor(pool, fn, *args)
                    try:
                        return await future
                    except (TimeoutError, asyncio.CancelledError):
                        self.killed += 1
                        self._kill(slot, pool)
                        raise
                    except BrokenProcessPool:
                        self._kill(slot, pool, restart=False)
                        if attempt == 0:
                            continue
                        raise
            finally:
                self._release(slot)
        raise RuntimeError("unreachable")

    def shutdown(self) -> None:
        with self._lock:
            pools, self._slots = [(i, p) for i, p in enumerate(self._slots) if p is not None], [None] * self.workers
        for slot, pool in pools:
            self._kill(slot, pool, restart=False)
