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
from collections.abc import Collection
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from dlp_proxy.interfaces import Extraction
from dlp_proxy.model import Finding

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


class FileScanner:
    def __init__(self, *, workers: int | None = None, ner: bool | None = False, memory_limit_mb: int | None = 3072,
                 limits: Any = None, config_dir: Path | None = None, detector: str | None = None,
                 nice: int = 10) -> None:
        """``config_dir``/``detector``: the gateway's own (its Settings), so the
        workers judge with the same recognizers; ``nice``: DLP_FILE_WORKER_NICE."""
        self.config_dir = str(config_dir) if config_dir is not None else None
        self.detector = detector
        self.nice = nice
        self.workers = workers or max(1, (os.cpu_count() or 2) - 0)
        self.ner = ner
        self.memory_limit_mb = memory_limit_mb
        self.limits = limits
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context(method),
                    initializer=_init_worker, initargs=(self.ner, self.memory_limit_mb, os.getpid(), self.config_dir, self.detector,
                              self.nice),
                )
            return self._pool

    def warm_up(self) -> None:
        """Start the workers (and build their detectors) before the first upload."""
        pool = self._get_pool()
        for _ in range(self.workers):
            pool.submit(int)

    def _kill(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for proc in dict(getattr(pool, "_processes", None) or {}).values():
            try:
                proc.kill()
            except Exception:  # noqa: S110 - already gone
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    async def scan(self, data: bytes, filename: str, entities: Collection[str] | None,
                   timeout: float) -> tuple[Extraction, list[list[Finding]]]:
        from dlp_proxy.files import Limits

        limits = self.limits or Limits(max_seconds=max(1.0, timeout / 2))
        result: tuple[Extraction, list[list[Finding]]] = await self.run(
            _job, bytes(data), filename, limits, frozenset(entities) if entities is not None else None,
            timeout * JOB_BUDGET_SHARE, timeout=timeout)
        return result

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
        """``fn(*args)`` in a worker; on timeout the worker is killed (a runaway job must
        not keep a core busy), and a pool broken by a crashed worker is replaced once."""
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            pool = self._get_pool()
            future = loop.run_in_executor(pool, fn, *args)
            try:
                return await asyncio.wait_for(future, timeout)
            except TimeoutError:
                self._kill(pool)
                raise
            except BrokenProcessPool:
                self._kill(pool)
                if attempt == 0:
                    continue
                raise
        raise RuntimeError("unreachable")

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            self._kill(pool)
