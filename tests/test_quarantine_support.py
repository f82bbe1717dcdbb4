"""Real parts for the quarantine and review tests: an own redis-server (AOF, fsync
always, temp dir) that can be killed with SIGKILL and restarted on the same files,
and the Mattermost simulator served by uvicorn on a real socket.

(No tests here; imported by tests/test_quarantine_*.py, test_review_*.py, browser/.)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
import uvicorn

from dlp_proxy.interfaces import HeldRequest
from dlp_proxy.model import (
    Action,
    ChannelType,
    ContentItem,
    Decision,
    Finding,
    RequestContext,
    ScannedItem,
)
from dlp_proxy.quarantine.masking import reason_masker
from dlp_proxy.simulator.app import create_app as create_sim_app
from dlp_proxy.simulator.state import Simulator
from tests.ports import free_port

# Synthetic identifiers (valid shapes, made up).
SSN = "536-22-8841"
SSN_DIGITS = "536228841"
IBAN = "GB82WEST12345698765432"

MASTER = bytes(range(32))


def _reason_detector() -> Any:
    from dlp_proxy.detect import build_detector

    return build_detector(ner=False)


#: the gateway's reason masker (QuarantineService mask_text) on the shipped detector
#: configuration, built on the first reason it masks
MASK_REASONS = reason_masker(_reason_detector)


class Clock:
    """A frozen clock for the quarantine service (``now=``): tests move ``t`` by hand."""

    def __init__(self) -> None:
        self.t = time.time()

    def __call__(self) -> float:
        return self.t


class RedisServer:
    """redis-server on a free port with AOF (appendfsync always) in ``dir``."""

    def __init__(self, directory: Path, *, appendfsync: str = "always") -> None:
        self.dir = directory
        self.port = free_port()
        self.appendfsync = appendfsync
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--appendonly", "yes", "--appendfsync", self.appendfsync, "--save", "",
                "--dbfilename", "dump.rdb", "--daemonize", "no", "--protected-mode", "yes",
                "--loglevel", "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():
                    break
            except redis.exceptions.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        # wait until the AOF is loaded
        while client.info("persistence").get("loading"):
            time.sleep(0.05)
        client.close()

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def files_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in sorted(self.dir.rglob("*")) if p.is_file())


@contextlib.contextmanager
def redis_server(directory: Path, **kw: Any) -> Iterator[RedisServer]:
    server = RedisServer(directory, **kw)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class ServedApp:
    """An ASGI app on a real socket (uvicorn in a thread)."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                          proxy_headers=False)  # as the gateway serves the console
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServedApp:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@contextlib.contextmanager
def simulator() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator()
    with ServedApp(create_sim_app(sim)) as served:
        yield sim, served.url


def released_posts(sim: Simulator) -> list[dict[str, Any]]:
    """Posts in Mattermost, except the gateway's own notices (the outcome DMs of
    dlp_proxy/quarantine/notices.py carry ``from_dlp_proxy``)."""
    with sim.lock:
        return [dict(p) for p in sim.posts.values() if not (p.get("props") or {}).get("from_dlp_proxy")]


def all_posts(sim: Simulator) -> list[dict[str, Any]]:
    """Every post in Mattermost, the gateway's own alerts and notices included."""
    with sim.lock:
        return [dict(p) for p in sim.posts.values()]


def ephemerals(sim: Simulator) -> list[dict[str, Any]]:
    with sim.lock:
        return [dict(p) for p in sim.ephemeral_posts]


def make_held(
    sim: Simulator,
    *,
    sender: str = "alice",
    channel: str = "private",
    text: str | None = None,
    pending: str | None = None,
    token: str | None = None,
    root_id: str = "",
    created_at: float = 0.0,
) -> HeldRequest:
    """A POST /api/v4/posts held by policy, as the gateway would hand it over."""
    ids = sim.ids
    uid = ids["users"][sender]
    cid = ids["channels"][channel]
    text = text if text is not None else f"Client SSN is {SSN}, wire to {IBAN} today"
    pending = pending or f"{uid}:{time.time_ns()}"
    body: dict[str, Any] = {"channel_id": cid, "message": text, "pending_post_id": pending}
    if root_id:
        body["root_id"] = root_id
    import json

    raw = json.dumps(body).encode()
    start = text.find(SSN)
    findings = []
    if start >= 0:
        findings.append(Finding("US_SSN", start, start + len(SSN), 0.85, "UsSsnRecognizer"))
    istart = text.find(IBAN)
    if istart >= 0:
        findings.append(Finding("IBAN_CODE", istart, istart + len(IBAN), 1.0, "IbanRecognizer"))
    scanned = (ScannedItem(ContentItem("body.message", text), tuple(findings)),)
    ctype = {"private": ChannelType.PRIVATE, "town_square": ChannelType.OPEN}.get(channel, ChannelType.DIRECT)
    chan = sim.channels[cid]
    ctx = RequestContext(
        route="posts.create",
        route_group="posts",
        method="POST",
        path="/api/v4/posts",
        request_id=f"req{time.time_ns()}",
        user_id=uid,
        username=sender,
        channel_id=cid,
        channel_name=chan["name"],
        channel_type=ctype,
        team_id=ids["team"],
        team_name="acme",
        root_id=root_id or None,
    )
    decision = Decision(
        action=Action.QUARANTINE,
        policy_version="test-policy",
        rule_id="quarantine-private",
        reason="single identifier in a private channel",
        entity_types=tuple(dict.fromkeys(f.entity_type for f in findings)),
        scanned=scanned,
    )
    return HeldRequest(
        method="POST",
        path="/api/v4/posts?set_online=true",
        headers=(
            ("Content-Type", "application/json"),
            ("Authorization", f"Bearer {token or ids['tokens'][sender]}"),
        ),
        body=raw,
        context=ctx,
        decision=decision,
        record_id=f"rec-{time.time_ns()}",
        idempotency_key=pending,
        created_at=created_at,
    )
