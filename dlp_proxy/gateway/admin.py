"""The admin port: Prometheus ``/metrics``, ``/healthz`` (alive) and ``/readyz``
(every dependency a decision needs answers).  Never served on the proxy port.

Gauges that describe other parts (quarantine depth and age, the archive's
counters, Redis) are refreshed at scrape time, each under a short timeout so a
dead dependency never hangs a scrape: its gauge keeps the last value and
``dlp_redis_up`` / ``dlp_archive_failed`` say why.
"""

from __future__ import annotations

import asyncio
import logging
import time
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


async def _redis_ok(redis: Any) -> tuple[bool, str]:
    try:
        await asyncio.wait_for(redis.ping(), SCRAPE_TIMEOUT)
        return True, "ok"
    except Exception as exc:  # a readiness answer, not a swallowed failure: reported as not ready
        return False, f"error: {type(exc).__name__}"


def create_admin_app(*, metrics: Metrics, redis: Any, archive: Any, policy_store: Any, addon: Any,
                     quarantine: Any = None) -> Starlette:
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
        failure = archive_failure(archive)
        checks["archive"] = "ok" if failure is None else "error: archive refuses writes"
        checks["policy"] = policy_store.current.version
        checks["accepting"] = "ok" if addon.accepting else "draining"
        ok = redis_ok and failure is None and addon.accepting
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    return Starlette(routes=[Route("/metrics", metrics_endpoint), Route("/healthz", healthz), Route("/readyz", readyz)])
