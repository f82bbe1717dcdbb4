"""The scan and file workers run at the CPU priority their settings give them
(DLP_SCAN_WORKER_NICE, DLP_FILE_WORKER_NICE, DLP_WORKER_SCHEDULING), below the
gateway's event loop, so that a hostile user's scans and uploads wait for the
cores while clean posts are answered (docs/benchmarks.md, "Hostile load").
Read from /proc, through the real gateway: every thread of every worker, and a
worker started again after a deadline killed its predecessor.  Every worker builds
its detector at the gateway's priority and lowers it after (a starved start-up would
hold back the gateway's port, which waits for the scan workers, or the first upload,
which waits for a file worker)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dlp_proxy.procs import SCHED_POLICIES, lower_priority
from tests.conftest import Gateway, Simulator, start_gateway, stop, wait_for
from tests.faults import faulty_detector

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SCAN_NICE, FILE_NICE = 7, 13
SCHED_BATCH = 3  # the policy number in /proc/<pid>/stat (SCHED_OTHER is 0, SCHED_IDLE 5)


def _stat(path: Path) -> list[str]:
    """The fields of a /proc stat file after the command name (field 3 is index 0)."""
    return path.read_text().rsplit(")", 1)[1].split()


def _priority(pid: int, tid: int | None = None) -> tuple[int, int]:
    """(nice, scheduling policy) of a thread (the main thread by default)."""
    fields = _stat(Path(f"/proc/{pid}/task/{tid or pid}/stat"))
    return int(fields[16]), int(fields[38])


def _workers(gateway_pid: int) -> dict[int, list[tuple[int, int]]]:
    """The gateway's worker processes (children of its fork server) and the
    (nice, policy) of each of their threads."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children.setdefault(int(_stat(entry / "stat")[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    out: dict[int, list[tuple[int, int]]] = {}
    for server in children.get(gateway_pid, []):  # the fork server, the resource tracker, redis
        try:
            if b"redis" in Path(f"/proc/{server}/cmdline").read_bytes():
                continue  # its children are its own (an AOF rewrite)
        except OSError:
            continue
        for worker in children.get(server, []):
            try:
                out[worker] = [_priority(worker, int(t.name)) for t in Path(f"/proc/{worker}/task").iterdir()]
            except (OSError, IndexError, ValueError):
                continue  # exited meanwhile
    return out


def recording_detector(config_dir: Any = None, *, ner: bool | None = None) -> Any:
    """``tests.faults.faulty_detector`` (it burns CPU on a marker), built after writing
    the building thread's (nice, policy) to ``$PRIORITY_LOG/<pid>``."""
    Path(os.environ["PRIORITY_LOG"], str(os.getpid())).write_text(
        f"{os.getpriority(os.PRIO_PROCESS, 0)} {os.sched_getscheduler(0)}")
    return faulty_detector(config_dir, ner=ner)


@pytest.fixture(scope="module")
def niced_gw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    # a plug-in detector is never run inline, so every post's scan goes to a scan worker
    log = tmp_path_factory.mktemp("priority-log")
    gw = start_gateway(simulator, tmp_path_factory.mktemp("niced"), "--scan-deadline", "2", env={
        "DLP_SCAN_WORKERS": "2", "DLP_FILE_WORKERS": "1", "DLP_SCAN_WORKER_NICE": str(SCAN_NICE),
        "DLP_FILE_WORKER_NICE": str(FILE_NICE), "DLP_WORKER_SCHEDULING": "batch",
        "DLP_DETECTOR": "tests.test_worker_priority:recording_detector", "PRIORITY_LOG": str(log),
    })
    gw.priority_log = log  # type: ignore[attr-defined]
    yield gw
    stop(gw.proc)


def _scan_and_file(gw: Gateway) -> tuple[tuple[int, int], tuple[int, int]]:
    """The (nice, policy) the scan workers and the file workers should have."""
    own_nice, own_policy = _priority(gw.proc.pid)
    assert own_policy == 0, "the gateway's event loop keeps the ordinary policy"
    return (min(own_nice + SCAN_NICE, 19), SCHED_BATCH), (min(own_nice + FILE_NICE, 19), SCHED_BATCH)


def _expected(gw: Gateway) -> dict[tuple[int, int], int]:
    scan, files = _scan_and_file(gw)
    return {scan: 2, files: 1}


def _priorities_once_started(gw: Gateway, expected: dict[tuple[int, int], int]) -> dict[int, list[tuple[int, int]]]:
    deadline = time.monotonic() + 180  # a generous bound for a loaded host
    while True:
        workers = _workers(gw.proc.pid)
        counts: dict[tuple[int, int], int] = {}
        for threads in workers.values():
            counts[threads[0]] = counts.get(threads[0], 0) + 1
        if counts == expected or time.monotonic() > deadline:
            return workers
        time.sleep(0.2)


def test_workers_run_below_the_event_loop_at_their_settings(niced_gw: Gateway) -> None:
    expected = _expected(niced_gw)
    workers = _priorities_once_started(niced_gw, expected)
    counts: dict[tuple[int, int], int] = {}
    for pid, threads in workers.items():
        assert len(set(threads)) == 1, f"worker {pid}'s threads differ: {threads}"
        counts[threads[0]] = counts.get(threads[0], 0) + 1
    assert counts == expected
    # every worker built its detector at the gateway's priority
    def built_all() -> dict[int, tuple[int, ...]] | None:  # each worker's priority at its detector's build
        built = {int(f.name): tuple(map(int, f.read_text().split())) for f in niced_gw.priority_log.iterdir()
                 if f.read_text()}
        return built if set(workers) <= set(built) else None

    built = wait_for(built_all, "every worker's priority at its detector's build", timeout=180)
    _scan_and_file(niced_gw)  # (the gateway keeps the ordinary policy)
    assert sorted(built[pid] for pid in workers) == sorted(
        [_priority(niced_gw.proc.pid)] * 3), {pid: (built[pid], workers[pid][0]) for pid in workers}
    with niced_gw.client("alice") as c:  # and they judge: a clean post passes through a scan worker
        assert c.post("/api/v4/posts", json={"channel_id": niced_gw.sim.channel("town_square"),
                                             "message": "lunch at noon"}).status_code == 201


def test_a_worker_started_after_a_deadline_kill_has_the_same_priority(niced_gw: Gateway) -> None:
    from tests.faults import SPIN_MARKER

    expected = _expected(niced_gw)
    before = set(_priorities_once_started(niced_gw, expected))
    with niced_gw.client("bob") as c:
        r = c.post("/api/v4/posts", json={"channel_id": niced_gw.sim.channel("town_square"),
                                          "message": f"hello {SPIN_MARKER}"})
    assert r.status_code == 503 and r.json()["detailed_error"] == "scan-deadline", r.text
    def replaced() -> tuple[dict[int, list[tuple[int, int]]], set[int]] | None:
        workers = _workers(niced_gw.proc.pid)
        new = set(workers) - before
        ok = new and all(workers[p][0] == _scan_and_file(niced_gw)[0] for p in new)
        return (workers, new) if ok else None

    workers, new = wait_for(replaced, "a replacement at the scan workers' priority", timeout=180)
    assert len(new) == 1 and len(before - set(workers)) == 1  # the killed worker, and its replacement


def _in_child(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}).stdout


@pytest.mark.parametrize("policy", sorted(SCHED_POLICIES))
def test_lower_priority_sets_the_nice_value_and_the_policy(policy: str) -> None:
    out = _in_child(
        "import os, threading\n"
        "from dlp_proxy.procs import lower_priority\n"
        "before = os.getpriority(os.PRIO_PROCESS, 0)\n"
        "go, earlier = threading.Event(), []\n"
        "def wait():\n"
        "    go.wait(); earlier.append((os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)))\n"
        "old = threading.Thread(target=wait); old.start()\n"
        f"lower_priority(4, {policy!r})\n"
        "go.set(); old.join()\n"
        "seen = []\n"
        "t = threading.Thread(target=lambda: seen.append((os.getpriority(os.PRIO_PROCESS, 0), "
        "os.sched_getscheduler(0))))\n"
        "t.start(); t.join()\n"
        "print(os.getpriority(os.PRIO_PROCESS, 0) - before, os.sched_getscheduler(0), seen[0][0] - before, seen[0][1],"
        " earlier[0][0] - before, earlier[0][1])\n")
    constant = str(getattr(os, SCHED_POLICIES[policy]))
    # the calling thread, a thread started later and one started before: all three
    assert out.split() == ["4", constant] * 3


def test_an_unknown_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scheduling policy"):
        lower_priority(0, "realtime")
