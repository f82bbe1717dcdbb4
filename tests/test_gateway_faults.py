"""Fault and framing tests: every failure stops the request with an AppError, and is archived.

- inspection raising, a hung scan (the real gateway with a detector that
  misbehaves on a marker, via DLP_DETECTOR);
- Redis down (a redis-server of the test's own, killed);
- the archive's disk full (a 1 MiB tmpfs, needs root to mount);
- framing tricks and oversized bodies over raw sockets.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    Gateway,
    Simulator,
    archive_records,
    free_port,
    start_gateway,
    stop,
    wait_for,
    wait_port,
)
from tests.faults import HANG_MARKER, RAISE_MARKER

UNAVAILABLE = "api.dlp.unavailable.app_error"


def _post(gw: Gateway, message: str) -> httpx.Response:
    gw.sim.clear()
    return httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"), "message": message},
                      headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)


def _assert_503_not_forwarded(gw: Gateway, r: httpx.Response) -> dict:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/json"
    err = r.json()
    assert err["id"] == UNAVAILABLE and err["status_code"] == 503
    assert not [x for x in gw.sim.requests() if x["path"] == "/api/v4/posts"]
    return err


@pytest.fixture(scope="module")
def faulty_gateway(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("faulty"), "--scan-deadline", "1.5", "--max-body", "256k",
                       env={"DLP_DETECTOR": "tests.faults:faulty_detector"})
    yield gw
    stop(gw.proc)


def test_inspection_raising_fails_closed_and_is_archived(faulty_gateway: Gateway) -> None:
    err = _assert_503_not_forwarded(faulty_gateway, _post(faulty_gateway, f"hello {RAISE_MARKER}"))
    recs = [r for r in archive_records(faulty_gateway.data_dir) if r.get("request_id") == err["request_id"]]
    assert len(recs) == 1 and recs[0]["type"] == "failure" and recs[0]["action"] == "fail_closed"
    assert recs[0]["reason"] == "inspection-error"
    assert RAISE_MARKER not in faulty_gateway.log()  # the content is not logged


def test_hung_scan_fails_closed_at_the_deadline(faulty_gateway: Gateway) -> None:
    # The scan sleeps 30 s: a 503 archived as scan-deadline is the deadline's doing (a
    # scan that finished would forward the post), without a wall-clock bound to race.
    err = _assert_503_not_forwarded(faulty_gateway, _post(faulty_gateway, f"hello {HANG_MARKER}"))
    recs = [r for r in archive_records(faulty_gateway.data_dir) if r.get("request_id") == err["request_id"]]
    assert recs and recs[0]["reason"] == "scan-deadline" and recs[0]["action"] == "fail_closed"
    # The gateway still serves others: the other scan worker, and the killed one's
    # replacement once started, have run the engine's first-text set-up
    # (filescan.warm_detector), so a short post's scan fits the 1.5 s deadline even
    # at nice 19 on a loaded host.  Waited for with a generous bound, each try by
    # another user, so no one user's scan budget (charged for failed tries) answers
    # 429 instead.
    answers: list[int] = []
    users = itertools.cycle(["bob", "carol", "alice"])

    def served() -> bool:
        gw = faulty_gateway
        gw.sim.clear()
        r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"),
                                                        "message": "all clear"},
                       headers={"Authorization": f"Bearer {gw.sim.token(next(users))}"}, timeout=30)
        answers.append(r.status_code)
        assert r.status_code in (201, 503, 429), r.text
        return r.status_code == 201

    wait_for(served, "a clean post served after the hung scan", timeout=120)


def test_oversized_declared_body_gets_json_413(faulty_gateway: Gateway) -> None:
    with socket.create_connection(("127.0.0.1", int(faulty_gateway.url.rsplit(":", 1)[1])), timeout=10) as s:
        s.sendall(b"POST /api/v4/posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 999999999\r\n\r\n")
        resp = _read_response(s)
    assert resp.startswith(b"HTTP/1.1 413"), resp[:200]
    head, _, body = resp.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["id"] == "api.dlp.request_too_large.app_error"


def test_oversized_chunked_body_gets_json_413(faulty_gateway: Gateway) -> None:
    chunk = b"a" * 65536
    with socket.create_connection(("127.0.0.1", int(faulty_gateway.url.rsplit(":", 1)[1])), timeout=10) as s:
        # (with credentials: a write without them is refused before its body, see test_gateway_hostile.py)
        token = faulty_gateway.sim.token("alice").encode()
        s.sendall(b"POST /api/v4/posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                  b"Authorization: Bearer " + token + b"\r\n\r\n")
        try:
            for _ in range(8):
                s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the gateway may close early; what it answered is what counts
        resp = _read_response(s)
    assert resp.startswith(b"HTTP/1.1 413"), resp[:200]
    head, _, body = resp.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["status_code"] == 413


@pytest.mark.parametrize("headers", [
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Content-Length: 5\r\nContent-Length: 6\r\n",
    b"Content-Length: 5\r\nContent-Length: 5\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n",
    b"Content-Length: -5\r\n",
    b"Content-Length: 5x\r\n",
])
def test_ambiguous_framing_is_refused(faulty_gateway: Gateway, headers: bytes) -> None:
    faulty_gateway.sim.clear()
    with socket.create_connection(("127.0.0.1", int(faulty_gateway.url.rsplit(":", 1)[1])), timeout=10) as s:
        s.sendall(b"POST /api/v4/posts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + headers +
                  b"\r\n0\r\n\r\nPOST /api/v4/posts HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        resp = _read_response(s)
    assert resp.startswith(b"HTTP/1.1 400"), resp[:300]
    head, _, body = resp.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower()
    err, _ = json.JSONDecoder().raw_decode(body.decode())
    assert err["status_code"] == 400
    assert not [x for x in faulty_gateway.sim.requests() if x["path"] == "/api/v4/posts"]


def _read_response(s: socket.socket) -> bytes:
    data = b""
    s.settimeout(10)
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:") and len(body) >= int(line.split(b":")[1]):
                    return data
    return data


# ---------------------------------------------------------------- Redis down


def test_redis_down_fails_closed(simulator: Simulator, tmp_path: Path) -> None:
    port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                              "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, redis)
    gw = start_gateway(simulator, tmp_path / "gw", env={"DLP_REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    try:
        assert _post(gw, "before the outage").status_code == 201
        stop(redis)
        # a hold for review needs Redis; so does resolving a user not seen before
        err = _assert_503_not_forwarded(gw, _hold_dm(gw))
        gw.sim.clear()
        r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"), "message": "hi"},
                       headers={"Authorization": f"Bearer {gw.sim.token('bob')}"}, timeout=30)
        _assert_503_not_forwarded(gw, r)
        recs = [r for r in archive_records(gw.data_dir) if r.get("request_id") == err["request_id"]]
        assert recs and recs[0]["action"] == "fail_closed"
    finally:
        stop(gw.proc)
        stop(redis)


# ---------------------------------------------------------------- archive disk full


def test_archive_disk_full_fails_closed(simulator: Simulator, tmp_path: Path) -> None:
    data = tmp_path / "gw"
    archive = data / "archive"
    archive.mkdir(parents=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(archive)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root to mount a small tmpfs for the archive")
    try:
        gw = start_gateway(simulator, data)
        try:
            assert _post(gw, "plenty of room").status_code == 201
            try:
                with (archive / "filler").open("wb") as fh:
                    while True:
                        fh.write(b"\0" * 4096)
                        fh.flush()
            except OSError:
                pass  # ENOSPC: the disk is full now
            statuses = []
            for i in range(20):
                r = _post(gw, f"no room {i} " + "x" * 4000)
                statuses.append(r.status_code)
                if r.status_code == 503:
                    _assert_503_not_forwarded(gw, r)
                    break
            assert statuses[-1] == 503, statuses
        finally:
            stop(gw.proc)
    finally:
        subprocess.run(["umount", "-l", str(archive)], check=False)
        shutil.rmtree(data, ignore_errors=True)


def _hold_dm(gw: Gateway) -> httpx.Response:
    gw.sim.clear()
    return httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("dm_alice_bob"),
                                                      "message": "client SSN 536-22-4410"},
                      headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)


def _redis_pid(redis_dir: Path) -> int | None:
    """The private redis-server's pid from its pid file, if that process is alive and is one."""
    try:
        pid = int((redis_dir / "redis.pid").read_text().strip())
        alive = b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError):
        return None
    return pid if alive and state != "Z" else None


def test_private_redis_is_supervised_and_restarted(simulator: Simulator, tmp_path: Path) -> None:
    """The default start brings its own Redis; if it dies, decisions that need it
    (a hold for review) fail closed until the supervisor has it back."""
    gw = start_gateway(simulator, tmp_path / "gw")
    try:
        assert _hold_dm(gw).status_code == 403
        conf = gw.data_dir / "redis" / "redis.conf"
        assert "appendfsync always" in conf.read_text()
        # on a Unix socket in its own directory (no port another connection could take)
        assert (gw.data_dir / "redis" / "url").read_text().startswith("unix://")
        assert stat.S_IMODE((gw.data_dir / "redis").stat().st_mode) == 0o700
        redis_dir = gw.data_dir / "redis"
        pid = _redis_pid(redis_dir)
        assert pid is not None
        os.kill(pid, 9)
        r = _hold_dm(gw)
        new_pid = _redis_pid(redis_dir)
        if r.status_code != 503:
            # only acceptable if the supervisor was faster than this request
            assert new_pid not in (None, pid) and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
        else:
            _assert_503_not_forwarded(gw, r)
        deadline = time.monotonic() + 90  # a generous bound for a loaded host
        while (new_pid := _redis_pid(redis_dir)) in (None, pid):
            assert time.monotonic() < deadline, "the private Redis was not restarted"
            time.sleep(0.2)
        while (r := _hold_dm(gw)).status_code != 403:
            assert time.monotonic() < deadline, f"gateway did not recover: {r.status_code} {r.text}"
            time.sleep(0.3)
        assert r.json()["id"] == "api.dlp.quarantined.app_error"
    finally:
        stop(gw.proc)


def test_hung_mattermost_does_not_hold_the_client_forever(tmp_path: Path) -> None:
    from tests.conftest import start_simulator

    sim = start_simulator()
    gw = start_gateway(sim, tmp_path / "gw", "--upstream-timeout", "2")
    try:
        # Mattermost answers after 120 s, past the client's 30 s: an answer at all, a
        # 502 counted as a timeout, is the gateway's 2 s timeout's doing
        r = httpx.post(f"{sim.url}/__sim/faults", json={"delay_ms": 120_000, "path_prefix": "/api/v4/posts",
                                                        "method": "POST"}, timeout=10)
        assert r.status_code == 201
        r = _post(gw, "waiting on a hung server")
        assert r.status_code == 502 and r.headers["content-type"] == "application/json", r.text
        assert r.json()["id"] == "api.dlp.upstream_unavailable.app_error"
        metrics = httpx.get(f"{gw.admin_url}/metrics", timeout=10).text
        assert 'dlp_upstream_errors_total{kind="timeout"} 1.0' in metrics
    finally:
        stop(gw.proc)
        stop(sim.proc, signal.SIGKILL)  # (this test's own; its delayed answer is still pending)


def test_killed_gateway_leaves_no_file_workers_behind(simulator: Simulator, tmp_path: Path) -> None:
    gw = start_gateway(simulator, tmp_path / "gw")
    try:
        r = httpx.post(f"{gw.url}/api/v4/files?channel_id={simulator.channel('town_square')}&filename=a.txt",
                       content=b"quarterly notes", headers={"Authorization": f"Bearer {simulator.token('alice')}"}, timeout=60)
        assert r.status_code == 201, r.text
        servers = subprocess.run(["pgrep", "-P", str(gw.proc.pid), "-f", "forkserver"], capture_output=True, text=True).stdout.split()
        assert servers, "the file scanner's fork server should be running"
        workers = [p for s in servers for p in subprocess.run(["pgrep", "-P", s], capture_output=True, text=True).stdout.split()]
        assert workers
        gw.proc.kill()
        gw.proc.wait(10)
        # (each worker notices its owner's death on its own; a generous bound for a loaded host)
        deadline = time.monotonic() + 90
        alive = list(servers + workers)
        while alive and time.monotonic() < deadline:
            time.sleep(0.5)
            alive = [p for p in alive if os.path.exists(f"/proc/{p}") and "zombie" not in Path(f"/proc/{p}/status").read_text().lower()]
        assert alive == [], "worker processes outlived their gateway"
    finally:
        stop(gw.proc)


def test_restart_after_kill_stops_the_leftover_private_redis(simulator: Simulator, tmp_path: Path) -> None:
    """Two Redis servers must never write one AOF: a gateway restarted after kill -9
    stops the Redis its predecessor left running, and the held items survive."""
    gw = start_gateway(simulator, tmp_path / "gw")
    assert _hold_dm(gw).status_code == 403
    old_pid = int((gw.data_dir / "redis" / "redis.pid").read_text())
    gw.proc.kill()
    gw.proc.wait(10)
    assert Path(f"/proc/{old_pid}").exists()  # left behind by the kill
    gw2 = start_gateway(simulator, gw.data_dir)
    try:
        assert not Path(f"/proc/{old_pid}").exists() or "zombie" in Path(f"/proc/{old_pid}/status").read_text().lower()
        env = {**os.environ, "DLP_DATA_DIR": str(gw.data_dir)}
        env.pop("DLP_REDIS_URL", None)
        out = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", "list", "--json"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert len(json.loads(out.stdout)) == 1  # the held item survived in the AOF
    finally:
        stop(gw2.proc)
