"""Extraction off the event loop: a process pool with a hard time limit.

Three layers keep one file from stalling or taking down the gateway:

1. cooperative checks of the limits between pages, members and rows (Budget);
2. in the worker, two timers that raise TimeUp inside whatever pure-Python parser
   is running (pypdf, zipfile, email are Python), so the partial text is still
   returned, marked ``time-limit``: SIGPROF after ``max_seconds`` of the worker's
   CPU time (its own work, which the file controls: a loaded host does not make a
   clean file overrun it), and SIGALRM after ``max_wall_seconds`` of wall time,
   the outer bound however little CPU the host gives the worker;
3. if the worker still has not answered ``HARD_GRACE`` seconds after the wall
   bound (stuck in C, or swapping), the pool's processes are killed and a new pool
   is started; the caller gets ``time-limit``.  Other extractions that were running
   in the killed pool are retried once on the new pool.

Workers also get an address-space limit (``configure_pool(memory_limit_mb=...)``)
so a decompression the limits did not foresee fails with MemoryError inside the
worker instead of pushing the gateway host into swap.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import FrameType
from typing import Any

from dlp_proxy.files.limits import Budget, Limits, TimeUp
from dlp_proxy.interfaces import Extraction

HARD_GRACE = 2.0

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_max_workers: int | None = None
_memory_limit_mb: int | None = 2048


def configure_pool(*, max_workers: int | None = None, memory_limit_mb: int | None = 2048) -> None:
    """Set the size and per-worker memory cap of the shared pool (before first use,
    or it takes effect after ``shutdown_pool``).  ``max_workers`` defaults to the
    number of CPUs."""
    global _max_workers, _memory_limit_mb
    _max_workers = max_workers
    _memory_limit_mb = memory_limit_mb


def _watch_owner(owner_pid: int) -> None:
    """Exit when the process that owns the pool is gone.  With forkserver the
    worker's parent is the fork server, so a gateway that was killed (-9) would
    otherwise leave its idle workers, and their fork server, behind."""
    import time

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()


#: glibc's M_MMAP_THRESHOLD, and the size above which an allocation gets pages of its own
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024


def return_large_allocations() -> bool:
    """Make glibc give every allocation above 128 KiB its own pages, returned to the
    system when freed.  By default glibc raises that threshold to the size of the
    largest block freed so far (up to 32 MiB): after one upload, the next bodies,
    their pickles and extracted texts come from the heap, which keeps its peak, so a
    process's RSS stays at the sum of the largest bodies it has seen (with this, the
    upload benchmark's process tree grew ~1/3 less, docs/benchmarks.md).  Called in
    the gateway process and in every worker; False where the C library is not glibc."""
    try:
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):
        return False


def _init_worker(memory_limit_mb: int | None, owner_pid: int | None = None) -> None:
    return_large_allocations()
    if owner_pid:
        _watch_owner(owner_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit_mb:
        import resource

        limit = memory_limit_mb * 1024 * 1024
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass
    # Import the heavy parsers once per worker, not per file.
    import dlp_proxy.files.archives
    import dlp_proxy.files.ooxml
    import dlp_proxy.files.pdf  # noqa: F401


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise TimeUp()


#: the budget of the extraction running in this process (for the wall timer's handler)
_current: Budget | None = None


def _on_wall(signum: int, frame: FrameType | None) -> None:
    if _current is not None:
        _current.wall_expired = True
        _current.problem("time-limit", "wall")
    raise TimeUp()


def work(data: bytes, filename: str, limits: Limits, segments: list[Any] | None = None) -> Extraction:
    """Runs in a worker process.  ``segments``: the list the extraction's segments are
    appended to (e.g. ``gateway.filescan.SealedSegments``, which keeps their texts
    encrypted on disk); a new list by default."""
    from dlp_proxy.files.core import run

    global _current
    budget = Budget(limits)
    if segments is not None:
        budget.segments = segments
    # The timers need the main thread of a process of its own (a pool worker);
    # in a caller-supplied thread pool only the cooperative checks apply.
    armed = threading.current_thread() is threading.main_thread() and multiprocessing.parent_process() is not None
    previous: tuple[Any, Any] = (None, None)
    if armed:
        _current = budget
        previous = (signal.signal(signal.SIGPROF, _on_alarm), signal.signal(signal.SIGALRM, _on_wall))
        signal.setitimer(signal.ITIMER_PROF, limits.max_seconds + 0.25)
        signal.setitimer(signal.ITIMER_REAL, limits.max_wall_seconds + 0.25)
    try:
        return run(data, budget, filename)
    except TimeUp:
        budget.problem("time-limit", "")
        return budget.result("unknown")
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGPROF, previous[0])
            signal.signal(signal.SIGALRM, previous[1])
            _current = None


def get_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # forkserver: workers are not forked from the gateway's multi-threaded process.
            from dlp_proxy.procs import worker_context

            _pool = ProcessPoolExecutor(
                max_workers=_max_workers or os.cpu_count() or 1,
                mp_context=worker_context(),
                initializer=_init_worker,
                initargs=(_memory_limit_mb, os.getpid()),
            )
        return _pool


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    processes: dict[int, Any] = dict(getattr(pool, "_processes", None) or {})
    for proc in processes.values():
        try:
            proc.kill()
        except Exception:  # noqa: S110 - already gone
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def shutdown_pool(wait: bool = True) -> None:
    """Stop the shared worker pool (a later call to extract_async starts a new one)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=wait, cancel_futures=True)


def _failed(problem: str) -> Extraction:
    return Extraction(file_type="unknown", segments=(), complete=False, problems=(problem,))


async def extract_async(
    data: bytes,
    *,
    filename: str = "",
    limits: Limits | None = None,
    executor: Executor | None = None,
) -> Extraction:
    """``extract`` in a worker process with the time limit enforced.

    With ``executor=None`` the shared pool is used and a runaway worker is killed.
    With a caller-owned executor a runaway task is abandoned (the caller still
    gets ``time-limit`` on time) but not killed.
    """
    limits = limits or Limits()
    loop = asyncio.get_running_loop()
    for attempt in range(2):
        pool = executor or get_pool()
        future = loop.run_in_executor(pool, work, bytes(data), filename, limits)
        try:
            return await asyncio.wait_for(future, limits.max_wall_seconds + HARD_GRACE)
        except TimeoutError:
            if executor is None and isinstance(pool, ProcessPoolExecutor):
                _kill_pool(pool)
            return _failed("time-limit")
        except BrokenProcessPool:
            # Killed because another file ran away, or this file crashed the worker
            # (a parser segfault, the memory cap).  Retry once on a fresh pool.
            if executor is None and isinstance(pool, ProcessPoolExecutor):
                _kill_pool(pool)
            if attempt == 0 and executor is None:
                continue
            return _failed("corrupt")
        except MemoryError:
            return _failed("size-limit")
    return _failed("corrupt")
