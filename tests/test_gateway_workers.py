"""`dlp-proxy run --workers N`: N gateway processes on consecutive ports sharing one
Redis and one archive directory (one log per worker), stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT, Simulator, archive_records, free_port, wait_port


def _two_free_ports() -> int:
    """A port P with P+1 free too (the workers take consecutive ports)."""
    import socket

    for _ in range(50):
        base = free_port()
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", base))
                b.bind(("127.0.0.1", base + 1))
            return base
        except OSError:
            continue
    raise RuntimeError("no two consecutive free ports")


def test_two_workers_judge_alike_share_redis_and_stop_together(simulator: Simulator, tmp_path: Path) -> None:
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "yes", "--appendfsync", "always", "--dir", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(redis_port, redis)
    base = _two_free_ports()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DLP_")},
           "DLP_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "DLP_NOTIFY_TOKEN": simulator.token("dlp-bot")}
    log = (tmp_path / "workers.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "dlp_proxy.cli", "run", "--workers", "2", "--upstream", simulator.url,
                             "--listen", f"127.0.0.1:{base}", "--admin-listen", "off", "--review-listen", "off",
                             "--data-dir", str(tmp_path / "data"), "--no-ner"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        for port in (base, base + 1):
            wait_port(port, proc, timeout=90)
        results = {}
        for port in (base, base + 1):
            url = f"http://127.0.0.1:{port}/api/v4/posts"
            auth = {"Authorization": f"Bearer {simulator.token('alice')}"}
            clean = httpx.post(url, json={"channel_id": simulator.channel("town_square"), "message": "hello"}, headers=auth, timeout=30)
            dirty = httpx.post(url, json={"channel_id": simulator.channel("dm_alice_bob"), "message": "SSN 536-22-1234"},
                               headers=auth, timeout=30)
            results[port] = (clean.status_code, dirty.status_code, dirty.json()["id"])
        assert results[base] == results[base + 1] == (201, 403, "api.dlp.quarantined.app_error")
        workers = {r.get("worker") for r in archive_records(tmp_path / "data")}
        assert {"w0-0", "w0-1"} <= workers
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        for port in (base, base + 1):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v4/system/ping", timeout=2)
                raise AssertionError(f"worker on {port} still answers after SIGTERM")
            except httpx.TransportError:
                pass
    finally:
        if proc.poll() is None:
            proc.kill()
        redis.terminate()
        redis.wait(10)
        log.close()
        time.sleep(0.1)
