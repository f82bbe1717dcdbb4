"""``dlp-proxy run``: one gateway process (or N with --workers)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dlp_proxy.logging_setup import setup as setup_logging


def _hostport(value: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = default_host, value
    try:
        return host.strip("[]") or default_host, int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}") from None


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run the gateway in front of Mattermost")
    p.add_argument("--upstream", default=os.environ.get("DLP_UPSTREAM"),
                   help="Mattermost base URL, e.g. http://mattermost:8065 (env DLP_UPSTREAM)")
    p.add_argument("--listen", default=os.environ.get("DLP_LISTEN", "127.0.0.1:8080"),
                   help="proxy address HOST:PORT (env DLP_LISTEN; default 127.0.0.1:8080)")
    p.add_argument("--admin-listen", default=os.environ.get("DLP_ADMIN_LISTEN", "127.0.0.1:9090"),
                   help="metrics/health address (env DLP_ADMIN_LISTEN; 'off' to disable)")
    p.add_argument("--review-listen", default=os.environ.get("DLP_REVIEW_LISTEN", "127.0.0.1:8081"),
                   help="reviewer console address (env DLP_REVIEW_LISTEN; 'off' to disable)")
    p.add_argument("--data-dir", default=os.environ.get("DLP_DATA_DIR", "./var"), help="env DLP_DATA_DIR")
    p.add_argument("--config-dir", default=os.environ.get("DLP_CONFIG_DIR"), help="env DLP_CONFIG_DIR")
    p.add_argument("--worker-id", default=os.environ.get("DLP_WORKER_ID", "w0"))
    p.add_argument("--workers", type=int, default=int(os.environ.get("DLP_WORKERS", "1")),
                   help="run N gateway processes on consecutive ports from --listen (put a load balancer in front)")
    p.add_argument("--scan-deadline", type=float, default=float(os.environ.get("DLP_SCAN_DEADLINE", "5")),
                   help="seconds a request may take to judge before it fails closed (503)")
    p.add_argument("--file-deadline", type=float, default=float(os.environ.get("DLP_FILE_DEADLINE", "120")),
                   help="seconds a request carrying files may take to judge (files are scanned in worker processes)")
    p.add_argument("--drain-seconds", type=float, default=float(os.environ.get("DLP_DRAIN_SECONDS", "10")),
                   help="on SIGTERM/SIGINT, how long in-flight requests may take to finish before they are answered 503")
    p.add_argument("--upstream-timeout", type=float, default=float(os.environ.get("DLP_UPSTREAM_TIMEOUT", "60")),
                   help="seconds Mattermost may take to answer a forwarded request before the connection is closed")
    p.add_argument("--max-body", default=os.environ.get("DLP_MAX_BODY", "100m"), help="largest request body (e.g. 100m)")
    p.add_argument("--unknown-write", choices=("inspect", "block", "allow"),
                   default=os.environ.get("DLP_UNKNOWN_WRITE", "inspect"))
    p.add_argument("--fail-open-route", action="append", default=[],
                   help="route name whose inspection failures forward the request (recorded as fail_open)")
    p.add_argument("--no-ner", dest="ner", action="store_false", default=None, help="never load spaCy NER")
    p.add_argument("--demo", action="store_true",
                   help="start the bundled Mattermost simulator as the upstream (for trying the gateway out)")
    p.add_argument("--ready-file", default=None, help=argparse.SUPPRESS)
    p.add_argument("--log-level", default=os.environ.get("DLP_LOG_LEVEL", "INFO"))
    p.add_argument("--event-loop", choices=("asyncio", "uvloop", "auto"), default=os.environ.get("DLP_EVENT_LOOP", "asyncio"),
                   help="event loop (env DLP_EVENT_LOOP): asyncio's own (default), uvloop (pip install uvloop; "
                        "within noise in docs/benchmarks.md), or auto = uvloop when installed")
    p.set_defaults(func=cmd_run)


def loop_factory(choice: str) -> Any:
    """The event loop factory for ``--event-loop`` (None: asyncio's default)."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        if choice == "uvloop":
            raise SystemExit("dlp-proxy run: --event-loop uvloop, but uvloop is not installed (pip install uvloop)") from None
        return None
    return uvloop.new_event_loop


def _size(text: str) -> int:
    units = {"k": 1024, "m": 1024**2, "g": 1024**3}
    t = text.strip().lower().rstrip("b")
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(t)


def cmd_run(args: argparse.Namespace) -> int:
    setup_logging(args.log_level)
    if args.workers > 1:
        return _run_workers(args)
    from dlp_proxy.gateway.server import RunSettings, run

    sim_proc = None
    demo_channel = "<channel id>"
    upstream = args.upstream
    data_dir = Path(args.data_dir).resolve()
    notify_token = os.environ.get("DLP_NOTIFY_TOKEN")
    if args.demo:
        sim_proc, upstream, notify_token, demo_channel = _start_demo_simulator(notify_token)
    if not upstream:
        print("dlp-proxy run: --upstream (or DLP_UPSTREAM) is required, or use --demo", file=sys.stderr)
        return 2
    host, port = _hostport(args.listen)
    settings = RunSettings(
        upstream=upstream.rstrip("/"),
        listen_host=host,
        listen_port=port,
        data_dir=data_dir,
        config_dir=Path(args.config_dir).resolve() if args.config_dir else None,
        redis_url=os.environ.get("DLP_REDIS_URL") or None,
        notify_token=notify_token,
        worker_id=args.worker_id,
        max_body_bytes=_size(args.max_body),
        scan_deadline_seconds=args.scan_deadline,
        drain_seconds=args.drain_seconds,
        file_deadline_seconds=args.file_deadline,
        upstream_timeout_seconds=args.upstream_timeout,
        unknown_write=args.unknown_write,
        fail_open_routes=frozenset(args.fail_open_route),
        ner=args.ner,
        ready_file=Path(args.ready_file) if args.ready_file else None,
    )
    if args.admin_listen != "off":
        settings.admin_host, settings.admin_port = _hostport(args.admin_listen)
    else:
        settings.admin_port = None
    if args.review_listen != "off":
        settings.review_host, settings.review_port = _hostport(args.review_listen)
    else:
        settings.review_port = None
    if args.demo:
        from dlp_proxy.policy.testing import SSN  # the project's synthetic SSN (made up, valid shape)

        print(f"dlp-proxy demo: gateway on http://{host}:{port} -> simulator {upstream}\n"
              f"  try: curl -s -H 'Authorization: Bearer alice-token' -H 'Content-Type: application/json' \\\n"
              f"         -d '{{\"channel_id\":\"{demo_channel}\",\"message\":\"SSN {SSN}\"}}' http://{host}:{port}/api/v4/posts\n"
              f"  see docs/demo.md; the archive is in {data_dir / 'archive'}", file=sys.stderr)
    factory = loop_factory(args.event_loop)
    try:
        with asyncio.Runner(loop_factory=factory) as runner:
            code = runner.run(run(settings))
    finally:
        if sim_proc is not None:
            sim_proc.terminate()
            sim_proc.wait(10)
    import threading

    if any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        # Everything durable is closed by now; a scan abandoned at its deadline
        # must not hold the process (the interpreter would join its thread).
        import logging

        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _start_demo_simulator(notify_token: str | None) -> tuple[subprocess.Popen[bytes], str, str | None, str]:
    from dlp_proxy.gateway.redis_supervisor import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "dlp_proxy.cli", "simulate", "--listen", f"127.0.0.1:{port}"])
    import socket

    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    import httpx

    ids = httpx.get(f"http://127.0.0.1:{port}/__sim/ids", timeout=5).json()
    # the simulator's seeded bot (system admin) sends the sender notifications
    return proc, f"http://127.0.0.1:{port}", notify_token or ids["tokens"]["dlp-bot"], ids["channels"]["town_square"]


def _run_workers(args: argparse.Namespace) -> int:
    """N independent gateway processes on consecutive ports, sharing Redis and the
    archive directory (one log per worker).  A load balancer (nginx, haproxy) in
    front spreads connections; see docs/operations.md."""
    host, port = _hostport(args.listen)
    redis_url = os.environ.get("DLP_REDIS_URL")
    if not redis_url:
        print("dlp-proxy run --workers N needs a shared Redis: set DLP_REDIS_URL", file=sys.stderr)
        return 2
    procs: list[subprocess.Popen[bytes]] = []
    base: list[str] = []
    skip = False
    for a in sys.argv[1:]:
        if skip:
            skip = False
            continue
        if a == "--workers":
            skip = True
            continue
        if a.startswith("--workers="):
            continue
        base.append(a)
    for i in range(args.workers):
        argv = [sys.executable, "-m", "dlp_proxy.cli", *base, "--listen", f"{host}:{port + i}",
                "--worker-id", f"{args.worker_id}-{i}", "--admin-listen", "off" if i else args.admin_listen,
                "--review-listen", "off" if i else args.review_listen]
        procs.append(subprocess.Popen(argv))

    def _forward(sig: int, _frame: Any) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(sig)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _forward)
    codes = [p.wait() for p in procs]
    return max(codes)
