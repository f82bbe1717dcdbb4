"""The admin port: Prometheus ``/metrics``, ``/healthz`` (alive) and ``/readyz``
(every dependency a decision needs answers).  Never served on the proxy port.

``/readyz`` is honest about the archive, without which nothing is forwarded: it
answers 503 while the archive refuses writes, for ``DLP_READY_ERROR_WINDOW``
seconds (default 30) after any archive write error, while the archive's disk has
less than ``DLP_READY_MIN_FREE`` free (default 64m), or while a small write +
fsync in the archive directory fails or hangs; and while Redis does not answer.
It turns 200 again by itself once all of them pass.  Its ``checks`` also say
whether the detector finds person names (``ner``: ``on``/``off``, also the
``dlp_ner_enabled`` gauge); readiness does not depend on it.

Gauges that describe other parts (quarantine depth and age, the archive's
counters, Redis) are refreshed at scrape time, each under a short timeout so a
dead dependency never hangs a scrape: its gauge keeps the last value and
``dlp_redis_up`` / ``dlp_archive_failed`` say why.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dlp_proxy.gateway.metrics import Metrics

log = logging.getLogger("dlp_proxy.admin")

#: seconds a scrape waits for Redis (ping, quarantine depth)
SCRAPE_TIMEOUT = 1.0
#: items read to compute the quarantine depth (beyond this the gauge says "at least")
QUEUE_SCAN_LIMIT = 100_000


def archive_failure(archive: Any) -> str | None:
    """Why the archive refuses writes, or None.  ``failed`` is the documented
    attribute; FileArchive keeps the reason in ``_broken`` until it exposes one."""
    failed = getattr(archive, "failed", None)
    if failed:
        return str(failed) if not isinstance(failed, bool) else "archive failed"
    broken = getattr(archive, "_broken", None)
    return "archive failed" if broken else None


#: /readyz defaults (overridden by DLP_READY_MIN_FREE and DLP_READY_ERROR_WINDOW)
READY_MIN_FREE_BYTES = 64 * 1024**2
READY_ERROR_WINDOW = 30.0
#: bytes written and fsync'd by the readiness probe
PROBE_BYTES = 4096


class ArchiveReadiness:
    """Can the archive take the next record?  ``check`` answers None (yes) or a
    short reason (no) naming no path and echoing no OS text beyond an errno name."""

    def __init__(self, archive: Any, *, min_free_bytes: int = READY_MIN_FREE_BYTES,
                 error_window: float = READY_ERROR_WINDOW, clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.archive = archive
        directory = getattr(archive, "directory", None)
        self.directory = Path(directory) if directory is not None else None
        self.min_free_bytes = min_free_bytes
        self.error_window = error_window
        self.clock = clock
        self._probing = threading.Lock()  # held while a probe runs (a hung disk keeps it)

    def _probe(self) -> str | None:
        assert self.directory is not None
        path = self.directory / f".readyz-probe-{os.getpid()}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"\0" * PROBE_BYTES)
                os.fsync(fd)
            finally:
                os.close(fd)
            free = shutil.disk_usage(self.directory).free
        except OSError as exc:
            return f"cannot write: {errno.errorcode.get(exc.errno or 0, 'OSError')}"
        finally:
            try:
                path.unlink()
            except OSError:
                pass
            self._probing.release()
        if free < self.min_free_bytes:
            return f"low free space: {free} bytes free, {self.min_free_bytes} needed"
        return None

    async def check(self) -> str | None:
        failure = archive_failure(self.archive)
        if failure is not None:
            return "refuses writes"
        stats = getattr(self.archive, "stats", None)
        last = getattr(stats() if callable(stats) else stats, "last_error_at", 0.0)
        if isinstance(last, int | float) and last and self.clock() - last < self.error_window:
            return f"write error {self.clock() - last:.0f}s ago"
        if self.directory is None:
            return None
        if not self._probing.acquire(blocking=False):
            return "archive disk does not answer"  # the previous probe is still stuck
        try:
            task = asyncio.get_running_loop().run_in_executor(None, self._probe)
        except BaseException:
            self._probing.release()
            raise
        try:
            return await asyncio.wait_for(asyncio.shield(task), SCRAPE_TIMEOUT)
        except TimeoutError:
            return "archive disk does not answer"


async def _redis_ok(redis: Any) -> tuple[bool, str]:
    try:
        await asyncio.wait_for(redis.ping(), SCRAPE_TIMEOUT)
        return True, "ok"
    except Exception as exc:  # a readiness answer, not a swallowed failure: reported as not ready
        return False, f"error: {type(exc).__name__}"


def create_admin_app(*, metrics: Metrics, redis: Any, archive: Any, policy_store: Any, addon: Any,
                     quarantine: Any = None, readiness: ArchiveReadiness | None = None,
                     ner: bool | None = None) -> Starlette:
    archive_ready = readiness or ArchiveReadiness(archive)
    state = {"ready": True}

    async def refresh() -> None:
        metrics.inflight.set(addon.inflight)
        stats = getattr(archive, "stats", None)
        if stats is not None:
            s = stats() if callable(stats) else stats
            for gauge, name in ((metrics.archive_records, "records"), (metrics.archive_commits, "commits"),
                                (metrics.archive_checkpoints, "checkpoints"),
                                (metrics.archive_ship_failures, "ship_failures"),
                                (metrics.archive_lag, "unsigned"), (metrics.archive_sync_seconds, "sync_seconds")):
                value = getattr(s, name, None)
                if isinstance(value, int | float):
                    gauge.set(value)
        metrics.archive_failed.set(1 if archive_failure(archive) else 0)
        ok, _ = await _redis_ok(redis)
        metrics.redis_up.set(1 if ok else 0)
        if ok and quarantine is not None and hasattr(quarantine, "list_items"):
            try:
                items = await asyncio.wait_for(quarantine.list_items(state="open", limit=QUEUE_SCAN_LIMIT), SCRAPE_TIMEOUT)
            except Exception as exc:
                log.warning("quarantine depth unavailable", extra={"error_type": type(exc).__name__})
            else:
                metrics.queue_depth.set(len(items))
                now = time.time()
                oldest = min((float(i.get("created_at") or now) for i in items), default=now)
                metrics.queue_oldest_age.set(max(0.0, now - oldest))

    async def metrics_endpoint(request: Request) -> Response:
        await refresh()
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}
        redis_ok, checks["redis"] = await _redis_ok(redis)
        metrics.redis_up.set(1 if redis_ok else 0)
        failure = await archive_ready.check()
        checks["archive"] = "ok" if failure is None else f"error: {failure}"
        checks["policy"] = policy_store.current.version
        checks["accepting"] = "ok" if addon.accepting else "draining"
        if ner is not None:
            checks["ner"] = "on" if ner else "off"  # informative: readiness does not depend on it
        ok = redis_ok and failure is None and addon.accepting
        if ok != state["ready"]:  # transitions only: a load balancer polls every few seconds
            state["ready"] = ok
            (log.info if ok else log.warning)("ready" if ok else "not ready", extra={"checks": checks})
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    return Starlette(routes=[Route("/metrics", metrics_endpoint), Route("/healthz", healthz), Route("/readyz", readyz)])
