"""The admin port: Prometheus ``/metrics``, ``/healthz`` (alive) and ``/readyz``
(every dependency a decision needs answers).  Never served on the proxy port."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dlp_proxy.gateway.metrics import Metrics


def create_admin_app(*, metrics: Metrics, redis: Any, archive: Any, policy_store: Any, addon: Any,
                     quarantine: Any = None) -> Starlette:
    async def metrics_endpoint(request: Request) -> Response:
        metrics.inflight.set(addon.inflight)
        stats = getattr(archive, "stats", None)
        if stats is not None:
            s = stats() if callable(stats) else stats
            pending = getattr(s, "unsealed", None)
            if pending is not None:
                metrics.archive_lag.set(pending)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks: dict[str, str] = {}
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        checks["archive"] = "ok" if not getattr(archive, "failed", False) else "error: archive failed"
        checks["policy"] = policy_store.current.version
        checks["accepting"] = "ok" if addon.accepting else "draining"
        ok = checks["redis"] == "ok" and checks["archive"] == "ok" and addon.accepting
        return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)

    return Starlette(routes=[Route("/metrics", metrics_endpoint), Route("/healthz", healthz), Route("/readyz", readyz)])
