"""Child processes that die with the process that started them.

A gateway killed with SIGKILL runs no clean-up, so its private ``redis-server``,
its demo simulator and, under ``run --workers N``, its gateway workers would be
left running (and a left-over Redis would share the AOF with the next one).  On
Linux the kernel can signal a child when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); the file workers watch their owner instead
(dlp_proxy.files.runner), because their parent is a fork server.

The signal is sent when the *thread* that forked the child exits, so children
that must outlive a helper thread are started from the main thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.context
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1

#: DLP_WORKER_SCHEDULING: the Linux scheduling policies a worker may ask for
SCHED_POLICIES: dict[str, str] = {"normal": "SCHED_OTHER", "batch": "SCHED_BATCH", "idle": "SCHED_IDLE"}


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


_LIBC = _libc()  # loaded before any fork: the child only calls into it

#: what the fork server imports once, before it forks any worker: the detector and the
#: file parsers (each worker imported them itself, ~2 s of CPU per worker and again for
#: each replacement of one killed at a deadline).  ``__main__`` as multiprocessing's default.
WORKER_PRELOAD = ("__main__", "dlp_proxy.detect", "dlp_proxy.gateway.filescan", "dlp_proxy.gateway.pipeline",
                  "dlp_proxy.files.archives", "dlp_proxy.files.ooxml", "dlp_proxy.files.pdf")


def worker_context() -> multiprocessing.context.BaseContext:
    """The start method of the scan, file and extraction workers: ``forkserver`` (not
    forked from the gateway's threads; ``WORKER_PRELOAD`` imported once in the server),
    ``spawn`` where there is none.  The preload takes effect if the fork server is not
    running yet; a module that fails to import there is imported by each worker."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(WORKER_PRELOAD))
    return ctx


def start_worker_server() -> None:
    """Start the fork server now, so its preload (``WORKER_PRELOAD``, ~2 s of CPU) runs
    beside the caller's own start-up instead of before the first worker."""
    if worker_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` that asks the kernel to send ``sig`` to the child when its
    parent dies (None where the platform has no such call).  SIGTERM lets Redis
    fsync its AOF and a gateway drain."""
    libc = _LIBC
    if libc is None:
        return None

    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the call took effect
            os.kill(os.getpid(), sig)

    return preexec


def _threads() -> list[int]:
    """Thread ids of this process (Linux), else ``[0]``: the calling thread."""
    try:
        return sorted(int(t) for t in os.listdir("/proc/self/task"))
    except OSError:
        return [0]


def lower_priority(nice: int, policy: str = "normal") -> None:
    """Make every thread of this process ``nice`` steps less favoured than it is
    (capped at 19), under the scheduling ``policy`` (a key of ``SCHED_POLICIES``);
    threads started later inherit both.  ``batch``: the process never preempts a
    woken task; ``idle``: it runs only when no ordinary task of its group wants the
    core, and a woken ordinary task preempts it at once.  A policy the platform
    lacks is skipped; the nice value still applies.  (On Linux a nice value and a
    policy belong to a thread, hence each thread.)"""
    if policy not in SCHED_POLICIES:
        raise ValueError(f"unknown scheduling policy {policy!r}")
    constant = getattr(os, SCHED_POLICIES[policy], None)
    for tid in _threads():
        try:
            if nice > 0:
                os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
            if policy != "normal" and constant is not None and hasattr(os, "sched_setscheduler"):
                os.sched_setscheduler(tid, constant, os.sched_param(0))
        except ProcessLookupError:  # the thread ended meanwhile
            continue
