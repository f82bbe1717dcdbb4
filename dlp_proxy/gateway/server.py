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
import signal
import socket
from collections.abc import Generator, Iterator
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
from dlp_proxy.gateway.readpause import patch_pause_reads_during_request_headers
from dlp_proxy.gateway.redis_supervisor import PrivateRedis
from dlp_proxy.keys import KeyRing
from dlp_proxy.settings import Settings, parse_hostport, upstream_parts
from dlp_proxy.wiring import context_settings, quarantine_settings, review_settings

log = logging.getLogger("dlp_proxy.server")


def ner_state(requested: bool | None, detector: Any) -> bool:
    """Whether the detector finds person names (spaCy NER), said once at start-up.
    ``requested`` None (no ``--ner``/``--no-ner``) turns NER on only when the model
    package is installed (detect/engine.py build_detector): without it the gateway
    used to start with NER off and say nothing (atk27 F)."""
    on = bool(getattr(detector, "ner", False))
    if on:
        log.info("NER on: person names are detected", extra={"ner": "on"})
    elif requested is False:
        log.info("NER off (--no-ner): person names are not detected", extra={"ner": "off"})
    else:
        from dlp_proxy.detect.engine import NER_MODEL

        log.warning("NER off: the spaCy model package is not installed, person names are not detected "
                    "(install dlp-proxy[ner], or pass --no-ner to say it is meant)",
                    extra={"ner": "off", "model": NER_MODEL})
    return on
#: seconds the start waits for the integration registration audit before it is ready
_AUDIT_READY_WAIT = 10.0


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
    #: everything else, as read once by the entry point
    cfg: Settings = field(default_factory=lambda: Settings.model_validate({}))

    @classmethod
    def from_settings(cls, cfg: Settings, *, upstream: str, notify_token: str | None, **extra: Any) -> RunSettings:
        host, port = parse_hostport(cfg.listen)
        out = cls(
            upstream=upstream.rstrip("/"), listen_host=host, listen_port=port, data_dir=cfg.data_path,
            config_dir=cfg.config_path, redis_url=cfg.secret("redis_url"), notify_token=notify_token,
            worker_id=cfg.worker_id, max_body_bytes=cfg.max_body, scan_deadline_seconds=cfg.scan_deadline,
            file_deadline_seconds=cfg.file_deadline, unknown_write=cfg.unknown_write,
            upstream_timeout_seconds=cfg.upstream_timeout, drain_seconds=cfg.drain_seconds, cfg=cfg, **extra,
        )
        if cfg.admin_listen == "off":
            out.admin_port = None
        else:
            out.admin_host, out.admin_port = parse_hostport(cfg.admin_listen)
        if cfg.review_listen == "off":
            out.review_port = None
        else:
            out.review_host, out.review_port = parse_hostport(cfg.review_listen)
        return out


def _patch_mitmproxy_error_pages() -> None:
    """mitmproxy answers protocol errors (bad framing, body over body_size_limit,
    upstream unreachable) with an HTML page; Mattermost clients need AppError JSON."""
    from mitmproxy.proxy.layers.http import _http1

    _http1.make_error_response = responses.protocol_error_bytes  # type: ignore[assignment]
    _patch_mitmproxy_request_trailers()


#: what the client is told of a chunked request that ends with trailer fields
TRAILERS_REFUSED = "HTTP/1 request trailers are not accepted by the gateway"
#: and of a body whose framing h11 cannot read (a bad chunk size, a bare LF)
BODY_FRAMING = "the request body's HTTP/1 framing could not be read"


def _patch_mitmproxy_request_trailers() -> None:
    """A chunked HTTP/1 request whose last chunk carries trailer fields is answered
    400 (an AppError) and its connection closed, instead of crashing mitmproxy's
    connection handler, which left the client waiting for an answer until the read
    timeout (mitmproxy 11 and 12 raise NotImplementedError for HTTP/1 trailers:
    proxy/layers/http/_http1.py ``read_body``).  Go's net/http reads request trailers
    into ``Request.Trailer`` and no Mattermost handler reads that, so refusing loses
    nothing a Mattermost client sends; the body was never forwarded (the gateway
    forwards a request only once it is whole and judged).  A body whose framing h11
    cannot read (a bad chunk size) is answered 400 too before the close (mitmproxy
    closed it without an answer).  Idempotent."""
    from mitmproxy.proxy import commands
    from mitmproxy.proxy.layers.http import _http1
    from mitmproxy.proxy.layers.http._base import ReceiveHttp
    from mitmproxy.proxy.layers.http._events import ResponseProtocolError

    conn_cls: Any = _http1.Http1Connection
    if getattr(conn_cls, "_dlp_trailers_patched", False):
        return
    original = conn_cls.read_body

    def read_body(self: Any, event: Any) -> Generator[Any, Any, None]:
        if not isinstance(self, _http1.Http1Server):
            yield from original(self, event)
            return
        server: Any = self  # carries the gateway's one-answer flag
        try:
            # read_body's commands take no answer (it yields ReceiveHttp and, on a
            # malformed body, CloseConnection): iterated here so that a malformed
            # chunked body is answered too, as a malformed head is, before the close
            for command in original(self, event):
                if (isinstance(command, commands.CloseConnection) and server.response is None
                        and not getattr(server, "_dlp_answered", False)):
                    # (a request answered already is not answered again when its
                    # connection closes: mitmproxy's own error answers, e.g. the 413 for
                    # a body over the limit, leave ``response`` unset but close the
                    # connection, and the ConnectionClosed that follows reaches this
                    # reader while the socket's writer is still open: ``send`` below
                    # marks them)
                    server._dlp_answered = True
                    yield commands.SendData(self.conn, _http1.make_error_response(400, BODY_FRAMING))
                yield command
        except NotImplementedError:
            # as mitmproxy answers a malformed request head (Http1Server.read_headers):
            # the error response written here, then the connection closed; the stream
            # then runs the error hook (a request protocol error sends nothing itself)
            # one answer per connection: the close that follows is read again as a
            # malformed body by h11 (atk15 F5: two 400s on one connection)
            server._dlp_answered = True
            yield commands.SendData(self.conn, _http1.make_error_response(400, TRAILERS_REFUSED))
            yield commands.CloseConnection(self.conn)
            yield ReceiveHttp(self.ReceiveProtocolError(self.stream_id, TRAILERS_REFUSED))

    original_send = _http1.Http1Server.send

    def send(self: Any, event: Any) -> Generator[Any, Any, None]:
        for command in original_send(self, event):
            if isinstance(command, commands.SendData) and isinstance(event, ResponseProtocolError):
                self._dlp_answered = True  # mitmproxy's own error answer (Http1Server.send)
            yield command

    conn_cls.read_body = read_body
    _http1.Http1Server.send = send  # type: ignore[method-assign]
    conn_cls._dlp_trailers_patched = True


def skip_mitmproxy_debug_typechecks(keep: bool = False) -> bool:
    """Drop mitmproxy's per-message runtime type check; True if dropped.

    mitmproxy checks every field of every HTTP request and response it builds
    against the field's type annotation (``MessageData.__post_init__``, defined only
    ``if __debug__``: a development aid that ``python -O`` removes), a large share of a
    no-op mitmproxy's CPU per proxied request (docs/benchmarks.md).  ``python -O`` would also strip every ``assert``, mitmproxy's
    protocol state-machine guards among them, so only this check is dropped.  The
    benchmark's no-op baseline drops it too (bench/noop_proxy.py): same mitmproxy.
    ``DLP_MITMPROXY_TYPECHECKS=1`` keeps it (for debugging an addon).
    """
    if keep:
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

    cfg = settings.cfg
    _patch_mitmproxy_error_pages()
    patch_mitmproxy_early_answer()
    # a body is not read while the gateway decides whether it wants it (a refusal closes first)
    patch_pause_reads_during_request_headers()
    skip_mitmproxy_debug_typechecks(keep=cfg.mitmproxy_typechecks)
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = settings.config_dir or cfg.config_path
    keys = KeyRing(cfg, base=data_dir)
    hash_key = keys.load("hash")
    from dlp_proxy.archive.export.schedule import check_export_env

    check_export_env(cfg.export_env())  # a bad DLP_EXPORT_* stops the start-up before anything runs

    private_redis: PrivateRedis | None = None
    redis_url = settings.redis_url
    if not redis_url:
        private_redis = PrivateRedis(data_dir, binary=cfg.redis_server)
        redis_url = await private_redis.start_async()
    from dlp_proxy.redis_connect import connect

    redis = connect(redis_url)  # redis://, rediss://, unix://, redis+sentinel://

    from dlp_proxy.archive import open_archive

    archive = open_archive(
        data_dir / "archive",
        worker_id=settings.worker_id,
        # every record is fsync'd before the gateway acts; a signed checkpoint over
        # the Merkle root follows every N records or T seconds (a signature per
        # group commit would cost the event loop's GIL time on every request)
        checkpoint_records=cfg.archive_checkpoint_records,
        checkpoint_seconds=cfg.archive_checkpoint_seconds,
        content_mode=cfg.archive_content_mode,
        signing_key=keys.load("archive-signing"),
        content_key=keys.load("archive-content") if cfg.archive_content_mode == "encrypted" else None,
        hash_key=hash_key,
    )

    from dlp_proxy.gateway.filescan import FileScanner, detector_factory, warm_detector
    from dlp_proxy.procs import start_worker_server

    # the workers' fork server imports the detector while this process builds its own;
    # the workers then load the databases this one compiled (detect/hsdb.py), or an
    # earlier start compiled (DLP_DETECTOR_CACHE)
    start_worker_server()
    from dlp_proxy.detect import hsdb

    hsdb.use_disk(cfg.detector_cache_path)
    detector = await asyncio.to_thread(detector_factory(cfg.detector), config_path, ner=settings.ner)
    # this process scans short posts on its event loop: its first post with a labelled
    # identifier of a kind would pay the detector's first-text set-up there (20-270 ms),
    # so it is paid now; the databases it compiles are the workers' too (hsdb.exported)
    await asyncio.to_thread(warm_detector, detector)
    ner_on = ner_state(settings.ner, detector)

    from dlp_proxy.policy import PolicyStore
    from dlp_proxy.policy.split import SplitWindow

    policy_store = PolicyStore(config_path / "policy.yaml", hash_key=hash_key)

    upstream = httpx.AsyncClient(
        base_url=settings.upstream,
        timeout=httpx.Timeout(settings.upstream_timeout_seconds, connect=3.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )
    resolver = ContextResolver(redis, upstream, hash_key=hash_key,
                               negative_ttl_seconds=cfg.auth_negative_ttl,
                               channel_ttl_seconds=cfg.channel_context_ttl, post_ttl_seconds=cfg.post_channel_ttl,
                               fallback_token=cfg.release_token)

    from dlp_proxy.quarantine import QuarantineService
    from dlp_proxy.quarantine.common import GATEWAY_UPSTREAM_KEY
    from dlp_proxy.quarantine.masking import reason_masker

    # the Mattermost operators' tokens and a stand-alone console's sign-ins are checked at
    # (``checked_upstream``): this gateway's own
    await redis.set(GATEWAY_UPSTREAM_KEY, settings.upstream)

    quarantine = QuarantineService(
        redis,
        master_key=keys.load("quarantine-master"),
        archive=archive,
        upstream_url=settings.upstream,
        settings=quarantine_settings(cfg, notify_token=settings.notify_token),
        # reviewers' reasons are masked by the gateway's detector before they are
        # archived or sent to the sender (a reviewer may paste the identifier)
        mask_text=reason_masker(lambda: detector),
        # outcome notices in the current policy's wording (messages:)
        messages=lambda: policy_store.current.messages,
    )

    from dlp_proxy.files import UploadStore
    from dlp_proxy.files.uploads import derive_store_key

    uploads = UploadStore(data_dir / "uploads", max_bytes_per_upload=settings.max_body_bytes,
                          max_total_bytes=cfg.uploads_max_total,
                          key=derive_store_key(keys.load("quarantine-master")))
    # Files are extracted and scanned in worker processes.  NER is off there: a
    # name alone never stops a file, the identifiers do.
    file_scanner = FileScanner(workers=cfg.file_workers or None, ner=False, config_dir=config_path,
                               detector=cfg.detector, nice=cfg.file_worker_nice, scheduling=cfg.worker_scheduling,
                               quick_start=True, spool_dir=data_dir / "spool")
    # Texts too long (or too digit-heavy) for the event loop are scanned in worker
    # processes of their own, with the gateway's detector configuration: a scan past
    # the deadline kills its worker (a thread could only be abandoned, still burning a core).
    text_scanner = FileScanner(workers=cfg.scan_workers, ner=settings.ner, config_dir=config_path,
                               detector=cfg.detector, nice=cfg.scan_worker_nice,
                               scheduling=cfg.worker_scheduling, quick_start=True) if cfg.scan_workers > 0 else None
    if text_scanner is not None:
        await text_scanner.start()  # ready before the port opens, like every other dependency
    # The file workers start once the scan workers are ready (so they do not hold back
    # the port), also building their detector at the gateway's priority and lowering it
    # after (``quick_start``): built at nice 10 they took minutes on a loaded host, and
    # the first upload waited for them.
    file_scanner.warm_up()
    from dlp_proxy.gateway.budget import ScanBudget

    scan_budget = ScanBudget(cfg.user_scan_seconds, cfg.user_scan_window,
                             anonymous_seconds=cfg.unauthenticated_scan_seconds)

    from dlp_proxy.gateway.actions import SenderActions, SenderTokens

    # the held notice's buttons and their endpoint on this listener (docs/quarantine.md "Sender's side")
    sender_actions = SenderActions(
        base_url=cfg.sender_actions_url, tokens=SenderTokens(hash_key), redis=redis, quarantine=quarantine,
        detector=detector, upstream=upstream, notify_token=settings.notify_token,
        policy=lambda: policy_store.current,
        lifetime=quarantine.settings.expire_after + quarantine.settings.escalate_after)

    metrics = Metrics()
    metrics.ner_enabled.set(1 if ner_on else 0)
    from dlp_proxy.gateway.actions import PREFIX as SENDER_PREFIX
    from dlp_proxy.gateway.integrations import Allowlist, ResponseWatch

    # the gateway's own buttons (held-message notices) are an allowlisted integration
    own = (cfg.sender_actions_url.rstrip("/") + SENDER_PREFIX,) if cfg.sender_actions_url else ()
    config = GatewayConfig(
        integration_allowlist=Allowlist(cfg.integration_urls + own),
        scan_deadline_seconds=settings.scan_deadline_seconds,
        unknown_write=settings.unknown_write,
        fail_open_routes=settings.fail_open_routes,
        worker_id=settings.worker_id,
        inline_scan_chars=cfg.inline_chars,
        file_deadline_seconds=settings.file_deadline_seconds,
        upstream_timeout_seconds=settings.upstream_timeout_seconds,
        max_text_body_bytes=cfg.max_text_body,
        max_post_runes=cfg.max_post_runes,
        link_previews=cfg.link_previews,
        link_preview_hosts=frozenset(cfg.link_preview_hosts),
        upstream_subpath=upstream_parts(settings.upstream)[1],
    )
    pipeline = Pipeline(
        detector=detector,
        policy=lambda: policy_store.current,
        archive=archive,
        context=resolver,
        quarantine=quarantine,
        hash_key=hash_key,
        config=config,
        notifier=MattermostNotifier(upstream, settings.notify_token, sender_actions),
        split_window=SplitWindow(redis, key=hash_key, max_messages=cfg.split_max_fragments,
                                 ttl_seconds=cfg.split_window_seconds, max_bytes=cfg.split_window_bytes,
                                 recent_posts=cfg.recent_context_posts, recent_seconds=cfg.recent_context_seconds),
        uploads=uploads,
        redis=redis,
        file_scanner=file_scanner,
        text_scanner=text_scanner,
        scan_budget=scan_budget,
    )
    from dlp_proxy.gateway.rejudge import ReleaseJudge

    # a release is judged again under the channel as it is then (a conversion since the hold)
    quarantine.release_check = ReleaseJudge(pipeline)
    addon = DLPAddon(pipeline, max_body_bytes=settings.max_body_bytes, metrics=metrics,
                     trusted_proxies=cfg.trusted_proxies, client_ip_header=cfg.client_ip_header,
                     upstream_timeout=settings.upstream_timeout_seconds,
                     limits=Limits.from_settings(cfg))
    addon.sender_actions = sender_actions
    from dlp_proxy.gateway.admission import CredentialCheck

    # incoming-webhook ids and remote-cluster credentials checked before their bodies
    addon.credentials = CredentialCheck(upstream, settings.notify_token)
    if not settings.notify_token:
        log.warning("no DLP_NOTIFY_TOKEN: incoming webhooks are judged without checking that the hook exists")
    log.info("client connection caps", extra={"total": addon.limits.max_client_connections,
                                               "per_address": addon.limits.max_connections_per_ip})
    # what integrations post after an action, dialog or command: checked after the fact
    addon.integration_watch = ResponseWatch(pipeline, upstream, cfg.release_token or settings.notify_token,
                                              max_queue=cfg.integration_check_queue)
    if isinstance(quarantine.release_check, ReleaseJudge):
        quarantine.release_check.watch = addon.integration_watch  # a released move is read back too
    addon.integration_watch.start()
    # registrations made where the gateway could not check them: archived and alerted once
    audit = asyncio.get_running_loop().create_task(addon.integration_watch.audit_registrations(
        pipeline.config.integration_allowlist or Allowlist(), responses.new_request_id()))

    def _audit_done(task: asyncio.Task[int]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("integration registration audit failed", exc_info=task.exception())
    audit.add_done_callback(_audit_done)

    opts = options.Options(
        mode=[f"reverse:{upstream_parts(settings.upstream)[0]}"],
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
    background.append(asyncio.create_task(_housekeeping(quarantine, settings.worker_id)))
    # Scheduled compliance export (DLP_EXPORT_SCHEDULE; docs/archive.md): one task, in one worker.
    from dlp_proxy.archive.export.schedule import start_scheduled_export

    scheduled_export = start_scheduled_export(
        cfg.export_env(), worker_id=settings.worker_id, archive=archive, archive_dir=data_dir / "archive",
        state_dir=data_dir / "export-state", upstream=settings.upstream)
    if scheduled_export is not None:
        background.append(asyncio.ensure_future(scheduled_export))

    if settings.review_port is not None:
        from dlp_proxy.gateway.integrations import policy_alert_channel
        from dlp_proxy.review import create_app as create_review_app

        # break-glass alerts go to DLP_REVIEW_ALERT_CHANNEL_ID, else the policy's compliance alert channel
        review_app = create_review_app(quarantine, upstream_url=settings.upstream, settings=review_settings(
            cfg, hash_key=hash_key, alert_channel_id=policy_alert_channel(policy_store.current)),
            context=context_settings(cfg), detector=detector)
        servers.append(await _serve_asgi(review_app, settings.review_host, settings.review_port))
    if settings.admin_port is not None:
        from dlp_proxy.gateway.admin import ArchiveReadiness, create_admin_app

        admin_app = create_admin_app(metrics=metrics, redis=redis, archive=archive, policy_store=policy_store,
                                     addon=addon, quarantine=quarantine, ner=ner_on, readiness=ArchiveReadiness(
                                         archive, min_free_bytes=cfg.ready_min_free,
                                         error_window=cfg.ready_error_window))
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
                                     "ner": "on" if ner_on else "off",
                                     "event_loop": type(asyncio.get_running_loop()).__module__.split(".")[0]})
    # the registration audit's few reads are done before the gateway says it is ready
    # (bounded: a slow Mattermost lets it finish in the background)
    await asyncio.wait({audit}, timeout=_AUDIT_READY_WAIT)
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
    await addon.integration_watch.stop(settings.drain_seconds)
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


#: how often the gateway sweeps the quarantine: releases approved elsewhere (the
#: CLI, a stand-alone console), retries, expiry.  A CLI approval is released
#: within about this long.
HOUSEKEEPING_SECONDS = 2.0


async def _housekeeping(quarantine: Any, worker_id: str, interval: float = HOUSEKEEPING_SECONDS) -> None:
    """Announce this gateway as a deliverer, then release what is approved and due,
    retry failed releases and expire held items past their deadline.  (Queue depth
    and age are read at scrape time by the admin app.)"""
    while True:
        try:
            await quarantine.heartbeat(worker_id)
            await quarantine.expire_due()
        except Exception:
            log.exception("quarantine housekeeping failed")
        await asyncio.sleep(interval)


async def _serve_asgi(app: Any, host: str, port: int) -> Any:
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # the gateway owns SIGTERM/SIGINT/SIGHUP; uvicorn must not take them
            yield

    # proxy_headers off: uvicorn would otherwise take X-Forwarded-For from any loopback peer as the
    # client address; the console applies DLP_TRUSTED_PROXIES itself (dlp_proxy/forwarding.py)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
                            proxy_headers=False)
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
