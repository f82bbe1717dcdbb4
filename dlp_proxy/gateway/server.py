"""Assemble and run one gateway process: mitmproxy (reverse mode) + side services.

Start-up order matters for fail-closed: every dependency (Redis, archive,
detector, policy, quarantine) is ready *before* the proxy port opens, so the
first request is judged like every other.  Shutdown reverses it: the proxy
stops taking requests, in-flight judgments finish (or are answered 503, never
forwarded unjudged), then the archive is closed and the private Redis stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from dlp_proxy.gateway import responses
from dlp_proxy.gateway.addon import DLPAddon, Limits, patch_mitmproxy_early_answer
from dlp_proxy.gateway.context import ContextResolver
from dlp_proxy.gateway.metrics import Metrics
from dlp_proxy.gateway.notify import MattermostNotifier
from dlp_proxy.gateway.pipeline import GatewayConfig, Pipeline
from dlp_proxy.gateway.redis_supervisor import PrivateRedis
from dlp_proxy.keys import load_key

log = logging.getLogger("dlp_proxy.server")


@dataclass
class RunSettings:
    upstream: str
    listen_host: str = "127.0.0.1"
    listen_port: int = 8080
    admin_host: str = "127.0.0.1"
    admin_port: int | None = 9090
    review_host: str = "127.0.0.1"
    review_port: int | None = 8081
    data_dir: Path = field(default_factory=lambda: Path("./var").resolve())
    config_dir: Path | None = None
    redis_url: str | None = None
    notify_token: str | None = None
    worker_id: str = "w0"
    max_body_bytes: int = 100 * 1024 * 1024
    scan_deadline_seconds: float = 5.0
    file_deadline_seconds: float = 120.0
    unknown_write: str = "inspect"
    fail_open_routes: frozenset[str] = frozenset()
    upstream_timeout_seconds: float = 60.0
    drain_seconds: float = 10.0
    ner: bool | None = None
    ready_file: Path | None = None


def _patch_mitmproxy_error_pages() -> None:
    """mitmproxy answers protocol errors (bad framing, body over body_size_limit,
    upstream unreachable) with an HTML page; Mattermost clients need AppError JSON."""
    from mitmproxy.proxy.layers.http import _http1

    _http1.make_error_response = responses.protocol_error_bytes  # type: ignore[assignment]


def skip_mitmproxy_debug_typechecks() -> bool:
    """Drop mitmproxy's per-message runtime type check; True if dropped.

    mitmproxy checks every field of every HTTP request and response it builds
    against the field's type annotation (``MessageData.__post_init__``, defined only
    ``if __debug__``: a development aid that ``python -O`` removes).  It cost a
    no-op mitmproxy ~0.19 of its ~0.71 ms of CPU per proxied request
    (docs/benchmarks.md).  ``python -O`` would also strip every ``assert``, mitmproxy's
    protocol state-machine guards among them, so only this check is dropped.  The
    benchmark's no-op baseline drops it too (bench/noop_proxy.py): same mitmproxy.
    ``DLP_MITMPROXY_TYPECHECKS=1`` keeps it (for debugging an addon).
    """
    if os.environ.get("DLP_MITMPROXY_TYPECHECKS", "") not in ("", "0"):
        return False
    from mitmproxy import http

    if "__post_init__" not in vars(http.MessageData):
        return False  # already off (python -O), or a mitmproxy that no longer has it
    # The dataclass __init__ calls self.__post_init__(): replace it, do not delete it.
    http.MessageData.__post_init__ = _no_post_init  # type: ignore[method-assign,attr-defined]
    return True


def _no_post_init(self: object) -> None:
    return None


async def run(settings: RunSettings) -> int:
    from mitmproxy import options
    from mitmproxy.addons import core, errorcheck, next_layer, proxyserver, tlsconfig
    from mitmproxy.master import Master

    _patch_mitmproxy_error_pages()
    patch_mitmproxy_early_answer()
    skip_mitmproxy_debug_typechecks()
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    if settings.config_dir is not None:
        os.environ["DLP_CONFIG_DIR"] = str(settings.config_dir)
    os.environ["DLP_DATA_DIR"] = str(data_dir)
    hash_key = load_key("hash", base=data_dir)

    private_redis: PrivateRedis | None = None
    redis_url = settings.redis_url
    if not redis_url:
        private_redis = PrivateRedis(data_dir)
        redis_url = await asyncio.to_thread(private_redis.start)
    from dlp_proxy.redis_connect import connect

    redis = connect(redis_url)  # redis://, rediss://, unix://, redis+sentinel://

    from dlp_proxy.archive import open_archive

    archive = open_archive(
        data_dir / "archive",
        worker_id=settings.worker_id,
        # every record is fsync'd before the gateway acts; a signed checkpoint over
        # the Merkle root follows every N records or T seconds (a signature per
        # group commit would cost the event loop's GIL time on every request)
        checkpoint_records=int(os.environ.get("DLP_ARCHIVE_CHECKPOINT_RECORDS", "1000")),
        checkpoint_seconds=float(os.environ.get("DLP_ARCHIVE_CHECKPOINT_SECONDS", "1.0")),
        content_mode=os.environ.get("DLP_ARCHIVE_CONTENT_MODE", "encrypted"),
    )

    from dlp_proxy.gateway.filescan import FileScanner, detector_factory

    detector = await asyncio.to_thread(detector_factory(), None, ner=settings.ner)

    from dlp_proxy.policy import PolicyStore
    from dlp_proxy.policy.split import SplitWindow
    from dlp_proxy.settings import config_dir

    policy_store = PolicyStore(config_dir() / "policy.yaml")

    upstream = httpx.AsyncClient(
        base_url=settings.upstream,
        timeout=httpx.Timeout(settings.upstream_timeout_seconds, connect=3.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
    resolver = ContextResolver(redis, upstream, hash_key=hash_key,
                               negative_ttl_seconds=int(os.environ.get("DLP_AUTH_NEGATIVE_TTL", "10")))

    from dlp_proxy.quarantine import QuarantineService, QuarantineSettings

    quarantine = QuarantineService(
        redis,
        master_key=load_key("quarantine-master", base=data_dir),
        archive=archive,
        upstream_url=settings.upstream,
        settings=QuarantineSettings(
            notify_token=settings.notify_token,
            bot_token=os.environ.get("DLP_RELEASE_BOT_TOKEN") or settings.notify_token,
            four_eyes=os.environ.get("DLP_FOUR_EYES", "") in ("1", "true", "yes"),
            expire_after=float(os.environ.get("DLP_QUARANTINE_EXPIRE_SECONDS", str(24 * 3600))),
            # our own Redis is started with AOF appendfsync always; a configured one is checked
            durability=os.environ.get("DLP_QUARANTINE_DURABILITY", "aof-check"),
        ),
    )

    from dlp_proxy.files import UploadStore
    from dlp_proxy.files.uploads import derive_store_key

    uploads = UploadStore(data_dir / "uploads", max_bytes_per_upload=settings.max_body_bytes,
                          max_total_bytes=int(os.environ.get("DLP_UPLOADS_MAX_TOTAL", str(2 * 1024**3))),
                          key=derive_store_key(load_key("quarantine-master", base=data_dir)))
    # Files are extracted and scanned in worker processes.  NER is off there: a
    # name alone never stops a file, the identifiers do.
    file_scanner = FileScanner(workers=int(os.environ.get("DLP_FILE_WORKERS", "0")) or None, ner=False)
    file_scanner.warm_up()
    # Texts too long (or too digit-heavy) for the event loop are scanned in worker
    # processes of their own, with the gateway's detector configuration: a scan past
    # the deadline kills its worker (a thread could only be abandoned, still burning a core).
    scan_workers = int(os.environ.get("DLP_SCAN_WORKERS", "2"))
    text_scanner = FileScanner(workers=scan_workers, ner=settings.ner,
                               nice=int(os.environ.get("DLP_SCAN_WORKER_NICE", "5"))) if scan_workers > 0 else None
    if text_scanner is not None:
        await text_scanner.start()  # ready before the port opens, like every other dependency
    from dlp_proxy.gateway.budget import ScanBudget

    scan_budget = ScanBudget(float(os.environ.get("DLP_USER_SCAN_SECONDS", "5")),
                             float(os.environ.get("DLP_USER_SCAN_WINDOW", "60")))

    metrics = Metrics()
    config = GatewayConfig(
        scan_deadline_seconds=settings.scan_deadline_seconds,
        unknown_write=settings.unknown_write,
        fail_open_routes=settings.fail_open_routes,
        worker_id=settings.worker_id,
        # a plug-in detector's worst case is unknown: it always runs in a thread
        inline_scan_chars=int(os.environ.get("DLP_INLINE_SCAN_CHARS", "0" if os.environ.get("DLP_DETECTOR") else "1024")),
        file_deadline_seconds=settings.file_deadline_seconds,
        max_text_body_bytes=int(os.environ.get("DLP_MAX_TEXT_BODY", str(4 * 1024 * 1024))),
        max_post_runes=int(os.environ.get("DLP_MAX_POST_RUNES", "16383")),
    )
    pipeline = Pipeline(
        detector=detector,
        policy=lambda: policy_store.current,
        archive=archive,
        context=resolver,
        quarantine=quarantine,
        hash_key=hash_key,
        config=config,
        notifier=MattermostNotifier(upstream, settings.notify_token),
        split_window=SplitWindow(redis, key=hash_key),
        uploads=uploads,
        redis=redis,
        file_scanner=file_scanner,
        text_scanner=text_scanner,
        scan_budget=scan_budget,
    )
    addon = DLPAddon(pipeline, max_body_bytes=settings.max_body_bytes, metrics=metrics,
                     trusted_proxies=tuple(n for n in os.environ.get("DLP_TRUSTED_PROXIES", "").split(",") if n.strip()),
                     upstream_timeout=settings.upstream_timeout_seconds,
                     limits=Limits.from_env(config.max_text_body_bytes))

    opts = options.Options(
        mode=[f"reverse:{settings.upstream}"],
        listen_host=settings.listen_host,
        listen_port=settings.listen_port,
        confdir=str(data_dir / "mitmproxy"),
    )
    master = Master(opts)
    proxy_server = proxyserver.Proxyserver()  # type: ignore[no-untyped-call]
    master.addons.add(  # type: ignore[no-untyped-call]
        core.Core(), proxy_server, next_layer.NextLayer(), tlsconfig.TlsConfig(), errorcheck.ErrorCheck(), addon
    )
    opts.update(  # type: ignore[no-untyped-call]
        keep_host_header=True,  # Mattermost builds links from Host; keep the client's
        body_size_limit=str(settings.max_body_bytes + 1),
        stream_large_bodies=None,  # never: a streamed body is forwarded before it is judged
        connection_strategy="lazy",
        http2=True,
        websocket=True,
    )

    servers: list[Any] = []
    background: list[asyncio.Task[Any]] = []
    loop = asyncio.get_running_loop()
    stop_event = asyncio.Event()

    def _signal(sig: int) -> None:
        log.info("signal received", extra={"signal": signal.Signals(sig).name})
        if sig == signal.SIGHUP:
            ok, message = policy_store.reload()
            log.info("policy reload", extra={"ok": ok, "detail": message, "policy_version": policy_store.current.version})
            return
        stop_event.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, _signal, sig)

    if private_redis is not None:
        background.append(asyncio.create_task(private_redis.supervise()))
    background.append(asyncio.create_task(_policy_watch(policy_store)))
    background.append(asyncio.create_task(_expiry_loop(quarantine)))

    if settings.review_port is not None:
        from dlp_proxy.review import create_app as create_review_app
        from dlp_proxy.review.auth import ReviewSettings

        break_glass = os.environ.get("DLP_REVIEW_BREAK_GLASS_FILE")
        review_app = create_review_app(quarantine, upstream_url=settings.upstream, settings=ReviewSettings(
            # plain-http consoles (a local demo) need non-Secure cookies; production runs behind TLS
            secure_cookies=os.environ.get("DLP_REVIEW_SECURE_COOKIES", "1") not in ("0", "false", "no"),
            break_glass_file=Path(break_glass) if break_glass else None,
        ))
        servers.append(await _serve_asgi(review_app, settings.review_host, settings.review_port))
    if settings.admin_port is not None:
        from dlp_proxy.gateway.admin import create_admin_app

        admin_app = create_admin_app(metrics=metrics, redis=redis, archive=archive, policy_store=policy_store,
                                     addon=addon, quarantine=quarantine)
        servers.append(await _serve_asgi(admin_app, settings.admin_host, settings.admin_port))

    master_task = asyncio.create_task(master.run())
    await _wait_listening(settings.listen_host, settings.listen_port, master_task)
    # The start-up heap (recognizers, Presidio, mitmproxy, the policy) lives as long
    # as the process: frozen, the collector stops walking it.  A full collection of
    # it took ~75 ms (every request stalled alike) and collections cost ~64 us per
    # post in all; ~14 us frozen (in-process, web-app post bodies, 16 concurrent).
    gc.collect()
    gc.freeze()
    log.info("gateway ready", extra={"listen": f"{settings.listen_host}:{settings.listen_port}", "upstream": settings.upstream,
                                     "policy_version": policy_store.current.version, "worker": settings.worker_id,
                                     "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0]})
    if settings.ready_file:
        settings.ready_file.write_text("ready\n")
    stop_waiter = asyncio.create_task(stop_event.wait())
    done, _ = await asyncio.wait({master_task, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
    exit_code = 0
    if master_task in done and master_task.exception() is not None:
        log.error("proxy stopped with an error", extra={"error_type": type(master_task.exception()).__name__})
        exit_code = 1

    # ---- shutdown
    drained = await addon.drain(settings.drain_seconds)
    if not drained:
        log.warning("in-flight requests did not finish in time; they are answered 503, never forwarded")
    master.shutdown()  # type: ignore[no-untyped-call]
    with contextlib.suppress(Exception):
        await asyncio.wait_for(master_task, 10)
    for server in servers:
        server.should_exit = True
    for task in background:
        task.cancel()
    await asyncio.gather(*background, return_exceptions=True)
    for server in servers:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server._dlp_task, 5)
    # a scan abandoned at its deadline may still be running: do not wait for it
    pipeline.scan_pool.shutdown(wait=False, cancel_futures=True)
    file_scanner.shutdown()
    if text_scanner is not None:
        text_scanner.shutdown()
    await upstream.aclose()
    with contextlib.suppress(Exception):
        await quarantine.close()
    await archive.close()
    with contextlib.suppress(Exception):
        await redis.aclose()
    if private_redis is not None:
        await asyncio.to_thread(private_redis.stop)
    policy_store.stop()
    log.info("gateway stopped")
    return exit_code


async def _policy_watch(store: Any) -> None:
    while True:
        await asyncio.sleep(2.0)
        try:
            result = await asyncio.to_thread(store.check)
        except Exception:
            log.exception("policy check failed")
            continue
        if result is not None:
            ok, message = result
            log.info("policy file changed", extra={"ok": ok, "detail": message, "policy_version": store.current.version})


async def _expiry_loop(quarantine: Any) -> None:
    """Expire held items past their deadline.  (Queue depth and age are read at
    scrape time by the admin app.)"""
    while True:
        await asyncio.sleep(15.0)
        try:
            await quarantine.expire_due()
        except Exception:
            log.exception("quarantine housekeeping failed")


async def _serve_asgi(app: Any, host: str, port: int) -> Any:
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # the gateway owns SIGTERM/SIGINT/SIGHUP; uvicorn must not take them
            yield

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config)
    server._dlp_task = asyncio.create_task(server.serve())  # type: ignore[attr-defined]
    return server


async def _wait_listening(host: str, port: int, master_task: asyncio.Task[Any]) -> None:
    for _ in range(300):
        if master_task.done():
            master_task.result()
            raise RuntimeError("proxy stopped during start-up")
        try:
            with socket.create_connection((host if host not in ("0.0.0.0", "") else "127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"proxy did not start listening on {host}:{port}")
