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
from dlp_proxy.procs import die_with_parent
from dlp_proxy.settings import Settings, SettingsError, load_settings, parse_hostport


def register(sub: Any) -> None:
    # Flag defaults are None: the value then comes from the environment or the
    # settings model's default (dlp_proxy.settings), read once in cmd_run.  So a
    # bad DLP_* value never breaks ``run --help``.
    p = sub.add_parser("run", help="run the gateway in front of Mattermost")
    p.add_argument("--upstream", help="Mattermost base URL, e.g. http://mattermost:8065 (env DLP_UPSTREAM)")
    p.add_argument("--listen", help="proxy address HOST:PORT (env DLP_LISTEN; default 127.0.0.1:8080)")
    p.add_argument("--admin-listen", help="metrics/health address (env DLP_ADMIN_LISTEN; 'off' to disable)")
    p.add_argument("--review-listen", help="reviewer console address (env DLP_REVIEW_LISTEN; 'off' to disable)")
    p.add_argument("--data-dir", help="env DLP_DATA_DIR")
    p.add_argument("--config-dir", help="env DLP_CONFIG_DIR")
    p.add_argument("--worker-id", help="env DLP_WORKER_ID")
    p.add_argument("--workers", help="run N gateway processes on consecutive ports from --listen (put a load balancer in front)")
    p.add_argument("--scan-deadline", help="seconds a request may take to judge before it fails closed (503)")
    p.add_argument("--file-deadline", help="seconds a request carrying files may take to judge (files are scanned in worker processes)")
    p.add_argument("--drain-seconds", help="on SIGTERM/SIGINT, how long in-flight requests may take to finish before they are answered 503")
    p.add_argument("--upstream-timeout", help="seconds Mattermost may take to answer a forwarded request before the connection is closed")
    p.add_argument("--max-body", help="largest request body (e.g. 100m)")
    p.add_argument("--unknown-write", choices=("inspect", "block", "allow"))
    p.add_argument("--fail-open-route", action="append", default=[],
                   help="route name whose inspection failures forward the request (recorded as fail_open)")
    p.add_argument("--no-ner", dest="ner", action="store_false", default=None, help="never load spaCy NER")
    p.add_argument("--demo", action="store_true",
                   help="start the bundled Mattermost simulator as the upstream (for trying the gateway out)")
    p.add_argument("--ready-file", default=None, help=argparse.SUPPRESS)
    p.add_argument("--log-level", help="env DLP_LOG_LEVEL")
    p.add_argument("--event-loop", choices=("asyncio", "uvloop", "auto"),
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


#: settings a ``run`` flag may set (flag dest -> settings field)
RUN_FLAGS = ("upstream", "listen", "admin_listen", "review_listen", "data_dir", "config_dir", "worker_id", "workers",
             "scan_deadline", "file_deadline", "drain_seconds", "upstream_timeout", "max_body", "unknown_write",
             "log_level", "event_loop")


def run_settings(args: argparse.Namespace) -> Settings:
    """The settings of ``run``: its flags over the environment (SettingsError on a bad value)."""
    return load_settings({name: getattr(args, name) for name in RUN_FLAGS})


def cmd_run(args: argparse.Namespace) -> int:
    cfg = run_settings(args)
    from dlp_proxy.archive.export.schedule import check_export_env

    try:
        check_export_env(cfg.export_env())  # DLP_EXPORT_* that do not fit together
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    setup_logging(cfg.log_level)
    busy = busy_addresses(cfg)
    if busy:
        address, variable = busy[0]
        print(f"dlp-proxy run: {address} is already in use; set {variable} to a free HOST:PORT (or 'off')",
              file=sys.stderr)
        return 2
    if cfg.workers > 1:
        return _run_workers(args, cfg)
    from dlp_proxy.gateway.server import RunSettings, run

    sim_proc = None
    demo_channel = "<channel id>"
    upstream = cfg.upstream
    notify_token = cfg.secret("notify_token")
    if args.demo:
        sim_proc, upstream, notify_token, demo_channel = _start_demo_simulator(notify_token)
    if not upstream:
        print("dlp-proxy run: --upstream (or DLP_UPSTREAM) is required, or use --demo", file=sys.stderr)
        return 2
    settings = RunSettings.from_settings(cfg, upstream=upstream, notify_token=notify_token,
                                         fail_open_routes=frozenset(args.fail_open_route), ner=args.ner,
                                         ready_file=Path(args.ready_file) if args.ready_file else None)
    host, port = settings.listen_host, settings.listen_port
    data_dir = settings.data_dir
    if args.demo:
        from dlp_proxy.policy.testing import SSN  # the project's synthetic SSN (made up, valid shape)

        print(f"dlp-proxy demo: gateway on http://{host}:{port} -> simulator {upstream}\n"
              f"  try: curl -s -H 'Authorization: Bearer alice-token' -H 'Content-Type: application/json' \\\n"
              f"         -d '{{\"channel_id\":\"{demo_channel}\",\"message\":\"SSN {SSN}\"}}' http://{host}:{port}/api/v4/posts\n"
              f"  see docs/demo.md; the archive is in {data_dir / 'archive'}", file=sys.stderr)
    factory = loop_factory(cfg.event_loop)
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


def busy_addresses(cfg: Settings) -> list[tuple[str, str]]:
    """Addresses ``run`` would listen on that another process already holds, with
    the variable that moves each: checked at once, before anything starts, so a
    busy side port is one clear line instead of a traceback seconds later."""
    wanted: list[tuple[str, str]] = []
    host, port = parse_hostport(cfg.listen)
    wanted += [(f"{host}:{port + i}", "DLP_LISTEN (--listen)") for i in range(cfg.workers)]
    for value, variable in ((cfg.admin_listen, "DLP_ADMIN_LISTEN (--admin-listen)"),
                            (cfg.review_listen, "DLP_REVIEW_LISTEN (--review-listen)")):
        if value != "off":
            h, p = parse_hostport(value)
            wanted.append((f"{h}:{p}", variable))
    return [(address, variable) for address, variable in wanted if not _can_bind(address)]


def _can_bind(address: str) -> bool:
    import socket

    host, port = parse_hostport(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        try:
            s.bind((host, port))
        except OSError as exc:
            import errno

            return exc.errno != errno.EADDRINUSE
    return True


def _start_demo_simulator(notify_token: str | None) -> tuple[subprocess.Popen[bytes], str, str | None, str]:
    """The bundled simulator on a port it picks itself (``--listen 127.0.0.1:0``), read
    from its ready file: a port found free here and handed to it could be taken by any
    connection in between (the ephemeral range every outgoing connection draws from)."""
    import json
    import shutil
    import tempfile

    where = Path(tempfile.mkdtemp(prefix="dlp-demo-sim-"))  # 0700
    ready = where / "ready.json"
    try:
        proc = subprocess.Popen([sys.executable, "-m", "dlp_proxy.cli", "simulate", "--listen", "127.0.0.1:0",
                                 "--ready-file", str(ready)], preexec_fn=die_with_parent())
        deadline = time.monotonic() + 60
        while not ready.exists():
            if proc.poll() is not None:
                raise SystemExit(f"dlp-proxy run --demo: the simulator exited with {proc.returncode}")
            if time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("dlp-proxy run --demo: the simulator did not start within 60 s")
            time.sleep(0.05)
        started = json.loads(ready.read_text())
    finally:
        shutil.rmtree(where, ignore_errors=True)
    url, ids = str(started["url"]), started["ids"]
    # the simulator's seeded bot (system admin) sends the sender notifications
    return proc, url, notify_token or ids["tokens"]["dlp-bot"], ids["channels"]["town_square"]


def _run_workers(args: argparse.Namespace, cfg: Settings) -> int:
    """N independent gateway processes on consecutive ports, sharing Redis and the
    archive directory (one log per worker).  A load balancer (nginx, haproxy) in
    front spreads connections; see docs/operations.md."""
    host, port = parse_hostport(cfg.listen)
    if not cfg.secret("redis_url"):
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
    for i in range(cfg.workers):
        # one reviewer console and one admin endpoint for the host: worker 0's
        argv = [sys.executable, "-m", "dlp_proxy.cli", *base, "--workers", "1", "--listen", f"{host}:{port + i}",
                "--worker-id", f"{cfg.worker_id}-{i}", "--admin-listen", "off" if i else cfg.admin_listen,
                "--review-listen", "off" if i else cfg.review_listen]
        # die_with_parent: a supervisor killed with -9 leaves no gateway behind
        procs.append(subprocess.Popen(argv, preexec_fn=die_with_parent()))

    def _forward(sig: int, _frame: Any) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(sig)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _forward)
    codes = [p.wait() for p in procs]
    return max(codes)
