"""Honest readiness through the real gateway: ``/readyz`` answers 503 while the
archive cannot write (its disk full: a 2 MiB tmpfs, needs root to mount) and
200 again once space is back; a load balancer stops sending traffic that would
all be refused.  Redis going away and coming back is covered by
tests/test_ops_metrics.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Gateway, Simulator, start_gateway, stop


def _ready(gw: Gateway) -> tuple[int, dict[str, Any]]:
    r = httpx.get(f"{gw.admin_url}/readyz", timeout=10)
    return r.status_code, r.json()


def _wait_ready(gw: Gateway, want: int, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = _ready(gw)
        if status == want:
            return body
        assert time.monotonic() < deadline, (status, body)
        time.sleep(0.25)


def _post(gw: Gateway, message: str) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"), "message": message},
                      headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)


def _fill(path: Path) -> None:
    try:
        with path.open("wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError:
        pass  # ENOSPC: the disk is full now


def test_readyz_fails_on_a_full_archive_disk_and_recovers(simulator: Simulator, tmp_path: Path) -> None:
    data = tmp_path / "gw"
    archive = data / "archive"
    archive.mkdir(parents=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(archive)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs for the archive")
    try:
        gw = start_gateway(simulator, data, env={"DLP_READY_MIN_FREE": "256k", "DLP_READY_ERROR_WINDOW": "3"})
        try:
            assert _ready(gw)[0] == 200
            assert _post(gw, "plenty of room").status_code == 201
            # 1. low free space alone: not ready before any write has failed
            filler = archive / "filler"
            with filler.open("wb") as fh:
                fh.write(b"\0" * (shutil.disk_usage(archive).free - 128 * 1024))
            body = _wait_ready(gw, 503)
            assert body["checks"]["archive"].startswith("error: low free space"), body
            assert body["checks"]["redis"] == "ok"
            filler.unlink()
            _wait_ready(gw, 200)
            # 2. the disk completely full: the probe cannot write, posts are refused
            _fill(filler)
            body = _wait_ready(gw, 503)
            assert body["checks"]["archive"].startswith("error: "), body
            statuses = [_post(gw, f"no room {i} " + "x" * 4000).status_code for i in range(3)]
            assert 503 in statuses and 201 not in statuses[statuses.index(503):], statuses
            # 3. space back: ready again on its own (after the write-error window), and posts go through
            filler.unlink()
            body = _wait_ready(gw, 200)
            assert body["checks"]["archive"] == "ok"
            assert _post(gw, "room again").status_code == 201
        finally:
            stop(gw.proc)
    finally:
        subprocess.run(["umount", "-l", str(archive)], check=False)
        shutil.rmtree(data, ignore_errors=True)


def test_readyz_reports_a_recent_archive_write_error(simulator: Simulator, tmp_path: Path) -> None:
    """A write error the probe cannot see (here: the disk freed right after the
    failure) still keeps the gateway out of rotation for the error window."""
    data = tmp_path / "gw"
    archive = data / "archive"
    archive.mkdir(parents=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(archive)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs for the archive")
    try:
        gw = start_gateway(simulator, data, env={"DLP_READY_MIN_FREE": "64k", "DLP_READY_ERROR_WINDOW": "600"})
        try:
            filler = archive / "filler"
            _fill(filler)
            statuses = [_post(gw, f"no room {i} " + "x" * 4000).status_code for i in range(5)]
            assert 503 in statuses, statuses
            filler.unlink()
            status, body = _ready(gw)
            assert status == 503 and body["checks"]["archive"].startswith("error: write error"), body
        finally:
            stop(gw.proc)
    finally:
        subprocess.run(["umount", "-l", str(archive)], check=False)
        shutil.rmtree(data, ignore_errors=True)
