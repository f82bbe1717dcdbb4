"""The gateway under a hostile mix: what it costs, and what clean posts see.

    .venv/bin/python bench/bench_hostile.py [--duration 20] [--clean-clients 3] [--rounds 1]
        [--upload-mb 20] [--uploads 6] [--chunk-mb 5] [--phases quiet,hostile,uploads] [--attack-pause 0.05]
        [--attacks unauth,uploads,badtoken,slowloris,digits,compat,cmdhooks[/another set...]]
        [--variants gateway,base --base-root /tmp/base] [--json-out results.json]
        [--variant-env "NAME:DLP_X=1;DLP_Y=2"]...

One simulator and one gateway (``dlp-proxy run``, private Redis, --no-ner, the
shipped policy and the default limits unless the environment sets them).  Phases,
each ``--duration`` seconds:

``quiet``    clean chat posts from ``--clean-clients`` users, nothing else;
``hostile``  the same clean posts while, at the same time,
             - 4 loops send 3 MB posts without credentials (headers and the whole body),
             - 2 loops send 40 MB uploads without credentials,
             - 2 loops send 3 MB posts with a made-up token,
             - 60 slowloris connections trickle a header line every second,
             - 2 loops of an authenticated user post 16,000-character digit-heavy
               messages (scanned in the scan workers, charged to his scan budget),
             - 1 loop of the same user posts 1,024 characters of compatibility
               digits (``⒈``: no ``\\d`` among them; scanned off the event loop);
``single``   ``--upload-mb`` MB uploads one at a time (2 per round): seconds, answer, the
             peak RSS growth of the gateway, of the largest worker and of the tree, and
             what the gateway and the tree still hold a second after each upload;
``uploads``  authenticated ``--upload-mb`` MB text files, ``--uploads`` at a time, with
             the bytes-in-flight cap (``DLP_MAX_INFLIGHT_BYTES``) at twice one upload:
             the process tree's peak RSS growth against the bytes in flight;
``chunked``  the same as ``uploads``, each file sent as a resumable upload
             (``POST /api/v4/uploads``, then ``--chunk-mb`` MB chunks to
             ``/api/v4/uploads/{id}``): the whole file is judged when its last chunk comes;
``single-chunked`` ``single`` with resumable uploads (``--chunk-mb`` MB chunks): the
             peak growth against the file and against one chunk.

``--attacks``: the parts of the hostile mix (names above: ``unauth``, ``uploads``,
``badtoken``, ``slowloris``, ``digits``, ``compat``, ``cmdhooks``: 2 loops of 60 KB
digit-dense answers to slash-command response hooks of random ids); several sets separated by ``/``
each get a quiet phase and a hostile phase (each part's share, side by side).
``--variant-env NAME:K=V;K=V`` (repeatable): one more variant, this checkout with those
settings on top of the environment's, measured in the same rounds as the others (a
setting's effect, side by side).

Reported: clean-post p50/p99 per phase and the hostile/quiet p99 ratio (target
within 2x), the CPU used by the gateway's process tree (process + workers, not
Redis) and by its event-loop thread per second of phase, the time that thread was
ready to run but waited for a core (``loop_wait_per_s``, from schedstat), its peak RSS, what the
attackers got back, and the CPU of the benchmark's own processes on the same cores
(attack clients, clean clients, simulator) and of the whole machine (other jobs
included), with the load average.
Synthetic identifiers only (dlp_proxy.policy.testing).  Two shared cores: the
load, the gateway and the simulator compete; read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from tests.conftest import Gateway, start_gateway, start_simulator, stop  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [pid], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            try:
                if b"redis" in Path(f"/proc/{child}/cmdline").read_bytes():
                    continue
            except OSError:
                continue
            out.append(child)
            todo.append(child)
    return out


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) the process ``pid`` used so far (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def loop_thread_wait(pid: int) -> float:
    """Seconds the process's main thread (the event loop) has spent runnable but
    waiting for a core (/proc/<pid>/task/<pid>/schedstat, second field; 0 without
    schedstats): what the other processes on the cores cost the loop."""
    try:
        return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def loop_thread_cpu(pid: int) -> float:
    """CPU seconds of the process's main thread (the gateway's event loop: its
    thread id is the process id)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat), every core."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


def cpu_rss(pid: int, each: dict[int, int] | None = None) -> tuple[float, int, int]:
    """(CPU seconds so far of the living tree, RSS of the tree, RSS of the process);
    ``each``: filled with the RSS of every process of the tree."""
    cpu, rss, own = 0.0, 0, 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICK
            r = int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
        rss += r
        if each is not None:
            each[p] = r
        if p == pid:
            own = r
    return cpu, rss, own


class Sampler(threading.Thread):
    """Peak RSS of the tree, of the process and of each other process of the tree
    (the file workers), every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_tree = self.peak_own = 0
        #: per process of the tree: (RSS when first seen, peak RSS)
        self.each: dict[int, tuple[int, int]] = {}
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            now: dict[int, int] = {}
            _, rss, own = cpu_rss(self.pid, now)
            self.peak_tree, self.peak_own = max(self.peak_tree, rss), max(self.peak_own, own)
            for p, r in now.items():
                first, peak = self.each.get(p, (r, r))
                self.each[p] = (first, max(peak, r))
            time.sleep(self.interval)

    def worker_growth(self) -> int:
        """The largest RSS growth of any process of the tree but the gateway's own."""
        return max((peak - first for p, (first, peak) in self.each.items() if p != self.pid), default=0)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def clean_loop(gw: Gateway, user: str, stop_at: float, out: list[float], codes: Counter[str]) -> None:
    channel = gw.sim.channel("town_square")
    texts = ["Can you review the model portfolio before the 2pm call?", "Sounds good, thanks!",
             "Desk meeting moved to 3:30, room 12", "Please send the Q3 deck when you have it"]
    with gw.client(user) as c:
        i = 0
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            r = c.post("/api/v4/posts", json={"channel_id": channel, "message": texts[i % len(texts)]})
            out.append(time.perf_counter() - t0)
            codes[f"clean {r.status_code}"] += 1
            i += 1


PAUSE = 0.0
ATTACKS = "unauth,uploads,badtoken,slowloris,digits,compat,cmdhooks"


def _digit_text(size: int) -> bytes:
    """``size`` bytes of ``acct`` and digit runs (a JSON text, as a slash command answers)."""
    words = " ".join(f"acct {i * 7919 % 10**10:010d}" for i in range(size // 16 + 1))
    return json.dumps({"text": words[: size - 12]}).encode()


def raw_attack(addr: tuple[str, int], path: str, size: int, token: str | None, stop_at: float,
               codes: Counter[str], label: str, body: bytes | None = None) -> None:
    """``path`` may hold ``{id}``: a new random Mattermost-shaped id each request."""
    body = b"7" * size if body is None else body
    size = len(body)
    while time.monotonic() < stop_at:
        target = path.replace("{id}", "".join(random.choice("abcdefghijkmnopqrstuwxyz13456789") for _ in range(26)))
        head = (f"POST {target} HTTP/1.1\r\nHost: mm\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
                + (f"Authorization: Bearer {token}\r\n" if token else "") + "\r\n").encode()
        try:
            with socket.create_connection(addr, timeout=10) as s:
                s.sendall(head)
                try:
                    s.sendall(body)
                except OSError:
                    pass
                data = b""
                try:
                    while b"\r\n" not in data:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                codes[f"{label} {data.split(b' ', 2)[1].decode() if data.startswith(b'HTTP/') else 'closed'}"] += 1
            time.sleep(PAUSE)
        except OSError:
            codes[f"{label} refused"] += 1
            time.sleep(0.05)


def slowloris(addr: tuple[str, int], n: int, stop_at: float, codes: Counter[str]) -> None:
    socks: list[socket.socket] = []
    i = 0
    while time.monotonic() < stop_at:
        while len(socks) < n:
            try:
                s = socket.create_connection(addr, timeout=5)
                s.sendall(b"POST /api/v4/posts HTTP/1.1\r\nHost: mm\r\n")
                socks.append(s)
            except OSError:
                codes["slowloris refused"] += 1
                break
        for s in list(socks):
            try:
                s.sendall(f"X-Pad-{i}: {i}\r\n".encode())
            except OSError:
                codes["slowloris closed by the gateway"] += 1
                socks.remove(s)
                s.close()
        i += 1
        time.sleep(1.0)
    for s in socks:
        s.close()


def digit_posts(gw: Gateway, user: str, text: str, stop_at: float, codes: Counter[str], label: str) -> None:
    channel = gw.sim.channel("town_square")
    with gw.client(user) as c:
        while time.monotonic() < stop_at:
            r = c.post("/api/v4/posts", json={"channel_id": channel, "message": text})
            codes[f"{label} {r.status_code}"] += 1
            time.sleep(PAUSE)


def attack(gw: Gateway, duration: float, queue: Any, pause: float, kinds: set[str]) -> None:
    """The hostile mix, in a process of its own (its threads must not slow the
    process that times the clean posts).  ``pause``: seconds each loop waits between
    attempts (on two shared cores an unpaced attacker's own CPU use is what slows
    everything; a real one runs elsewhere)."""
    global PAUSE
    PAUSE = pause
    addr = (urlsplit(gw.url).hostname or "127.0.0.1", urlsplit(gw.url).port or 80)
    stop_at = time.monotonic() + duration
    codes: Counter[str] = Counter()
    digits = " ".join(f"acct {i:09d}" for i in range(2000))[:16_000]
    compat = "\u2488" * 1024
    threads: list[threading.Thread] = []
    if "unauth" in kinds:
        threads += [threading.Thread(target=raw_attack, args=(addr, "/api/v4/posts", 3_000_000, None, stop_at, codes,
                                                              "unauth-3MB-post")) for _ in range(4)]
    if "uploads" in kinds:
        threads += [threading.Thread(target=raw_attack, args=(addr, "/api/v4/files?channel_id=x", 40_000_000, None, stop_at, codes,
                                                              "unauth-40MB-upload")) for _ in range(2)]
    if "badtoken" in kinds:
        threads += [threading.Thread(target=raw_attack, args=(addr, "/api/v4/posts", 3_000_000, "madeup" + "q" * 20, stop_at, codes,
                                                              "bad-token-3MB-post")) for _ in range(2)]
    if "slowloris" in kinds:
        threads += [threading.Thread(target=slowloris, args=(addr, 60, stop_at, codes))]
    if "digits" in kinds:
        threads += [threading.Thread(target=digit_posts, args=(gw, "bob", digits, stop_at, codes, "digit-heavy-16k"))
                    for _ in range(2)]
    if "cmdhooks" in kinds:
        # slash-command response hooks that do not exist (no API reads them): 60 KB of digits each
        threads += [threading.Thread(target=raw_attack, args=(addr, "/hooks/commands/{id}", 0, None, stop_at, codes,
                                                              "unknown-command-hook-60KB", _digit_text(60_000)))
                    for _ in range(2)]
    if "compat" in kinds:
        threads += [threading.Thread(target=digit_posts, args=(gw, "bob", compat, stop_at, codes, "compat-digits-1k"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    queue.put((dict(codes), usage.ru_utime + usage.ru_stime))


def phase(gw: Gateway, name: str, duration: float, clean_users: list[str], attackers: str = "",
          pause: float = 0.0) -> dict[str, Any]:
    """``attackers``: the attacks (comma-separated, of ``ATTACKS``) run during the phase."""
    import multiprocessing

    stop_at = time.monotonic() + duration
    latencies: list[float] = []
    codes: Counter[str] = Counter()
    threads = [threading.Thread(target=clean_loop, args=(gw, u, stop_at, latencies, codes)) for u in clean_users]
    queue: Any = multiprocessing.get_context("fork").Queue()
    attacker = multiprocessing.get_context("fork").Process(
        target=attack, args=(gw, duration, queue, pause, set(attackers.split(",")))) if attackers else None
    sampler = Sampler(gw.proc.pid)
    cpu0, rss0, _ = cpu_rss(gw.proc.pid)
    loop0, sim0, own0 = loop_thread_cpu(gw.proc.pid), proc_cpu(gw.sim.proc.pid), time.process_time()
    wait0 = loop_thread_wait(gw.proc.pid)
    busy0, total0 = machine_busy()
    attack_cpu = 0.0
    t0 = time.monotonic()
    sampler.start()
    if attacker is not None:
        attacker.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if attacker is not None:
        attack_codes, attack_cpu = queue.get(timeout=120)
        codes.update(attack_codes)
        attacker.join(30)
    elapsed = time.monotonic() - t0
    cpu1, _, _ = cpu_rss(gw.proc.pid)
    loop1, sim1, own1 = loop_thread_cpu(gw.proc.pid), proc_cpu(gw.sim.proc.pid), time.process_time()
    wait1 = loop_thread_wait(gw.proc.pid)
    busy1, total1 = machine_busy()
    sampler.stop_event.set()
    sampler.join()
    result = {
        "phase": name, "attacks": attackers, "seconds": round(elapsed, 1), "clean_posts": len(latencies),
        "clean_p50_ms": round(pct(latencies, 0.5) * 1000, 1), "clean_p99_ms": round(pct(latencies, 0.99) * 1000, 1),
        "tree_cpu_per_s": round((cpu1 - cpu0) / elapsed, 2),
        # the gateway's event-loop thread alone (the rest of the tree: its other threads, the workers)
        "loop_cpu_per_s": round((loop1 - loop0) / elapsed, 2),
        # seconds a second it was ready to run but waited for a core (the workers, the
        # benchmark's processes and other jobs had them)
        "loop_wait_per_s": round((wait1 - wait0) / elapsed, 2),
        # the benchmark's own processes, on the same cores: no gateway change makes these cheaper
        "attack_clients_cpu_per_s": round(attack_cpu / elapsed, 2),
        "clean_clients_cpu_per_s": round((own1 - own0) / elapsed, 2),  # (and the sampler)
        "simulator_cpu_per_s": round((sim1 - sim0) / elapsed, 2),
        # every process of the machine (other jobs included), in cores
        "machine_busy_cores": round((busy1 - busy0) / elapsed, 2),
        "machine_cores": round((total1 - total0) / elapsed, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "tree_rss_start_mb": round(rss0 / 2**20), "tree_rss_peak_mb": round(sampler.peak_tree / 2**20),
        "gateway_rss_peak_mb": round(sampler.peak_own / 2**20),
        "answers": dict(sorted(codes.items())),
        "attack_requests_per_s": round(sum(v for k, v in codes.items() if not k.startswith("clean")) / elapsed, 1),
    }
    return result


def uploads_phase(gw: Gateway, mb: int, concurrent: int, duration: float) -> dict[str, Any]:
    channel = gw.sim.channel("town_square")
    data = (b"quarterly notes, nothing sensitive here\n" * (mb * 2**20 // 40))[: mb * 2**20]
    stop_at = time.monotonic() + duration
    codes: Counter[str] = Counter()

    def loop() -> None:
        with gw.client("carol") as c:
            c.timeout = httpx.Timeout(300)  # judging 20 MB takes a while on a loaded machine
            while time.monotonic() < stop_at:
                try:
                    r = c.post("/api/v4/files", params={"channel_id": channel},
                               files={"files": ("notes.txt", data, "text/plain")})
                except httpx.HTTPError:
                    # refused (503 busy) before the body: the connection closes under the upload
                    codes["closed while sending"] += 1
                    time.sleep(0.2)
                    continue
                codes[str(r.status_code)] += 1
                if r.status_code == 503:
                    time.sleep(0.2)

    sampler = Sampler(gw.proc.pid, interval=0.05)
    _, rss0, own0 = cpu_rss(gw.proc.pid)
    sampler.start()
    threads = [threading.Thread(target=loop) for _ in range(concurrent)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sampler.stop_event.set()
    sampler.join()
    cap = int(os.environ["DLP_MAX_INFLIGHT_BYTES"])
    result = {
        "phase": "uploads", "upload_mb": mb, "concurrent": concurrent, "inflight_cap_mb": round(cap / 2**20),
        "tree_rss_growth_mb": round((sampler.peak_tree - rss0) / 2**20),
        "gateway_rss_growth_mb": round((sampler.peak_own - own0) / 2**20),
        "tree_growth_per_inflight_byte": round((sampler.peak_tree - rss0) / cap, 2),
        "gateway_growth_per_inflight_byte": round((sampler.peak_own - own0) / cap, 2),
        "largest_worker_growth_mb": round(sampler.worker_growth() / 2**20),
        "answers": dict(codes),
    }
    return result


def resumable_upload(c: httpx.Client, channel: str, data: bytes, chunk: int) -> str:
    """``data`` as a resumable upload in ``chunk``-byte raw chunks (api4/upload.go): the
    last answer's status, or what ended it (a refused chunk ends the upload)."""
    r = c.post("/api/v4/uploads", json={"channel_id": channel, "filename": "notes.txt", "file_size": len(data)})
    if r.status_code != 201:
        return f"create {r.status_code}"
    uid = r.json()["id"]
    for at in range(0, len(data), chunk):
        r = c.post(f"/api/v4/uploads/{uid}", content=data[at : at + chunk],
                   headers={"Content-Type": "application/octet-stream"})
        if r.status_code != 204:
            return str(r.status_code) if at + chunk >= len(data) else f"chunk {r.status_code}"
    return "204 at the end"


def chunked_phase(gw: Gateway, mb: int, chunk_mb: int, concurrent: int, duration: float) -> dict[str, Any]:
    """``uploads_phase`` with every file sent as a resumable upload."""
    channel = gw.sim.channel("town_square")
    data = (b"quarterly notes, nothing sensitive here\n" * (mb * 2**20 // 40))[: mb * 2**20]
    stop_at = time.monotonic() + duration
    codes: Counter[str] = Counter()

    def loop() -> None:
        with gw.client("carol") as c:
            c.timeout = httpx.Timeout(300)
            while time.monotonic() < stop_at:
                try:
                    codes[resumable_upload(c, channel, data, chunk_mb * 2**20)] += 1
                except httpx.HTTPError:
                    codes["closed while sending"] += 1
                    time.sleep(0.2)

    sampler = Sampler(gw.proc.pid, interval=0.05)
    _, rss0, own0 = cpu_rss(gw.proc.pid)
    sampler.start()
    threads = [threading.Thread(target=loop) for _ in range(concurrent)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sampler.stop_event.set()
    sampler.join()
    cap = int(os.environ["DLP_MAX_INFLIGHT_BYTES"])
    return {
        "phase": "chunked", "upload_mb": mb, "chunk_mb": chunk_mb, "concurrent": concurrent,
        "inflight_cap_mb": round(cap / 2**20), "load_average": round(os.getloadavg()[0], 1),
        "tree_rss_growth_mb": round((sampler.peak_tree - rss0) / 2**20),
        "gateway_rss_growth_mb": round((sampler.peak_own - own0) / 2**20),
        "tree_growth_per_inflight_byte": round((sampler.peak_tree - rss0) / cap, 2),
        "gateway_growth_per_inflight_byte": round((sampler.peak_own - own0) / cap, 2),
        "largest_worker_growth_mb": round(sampler.worker_growth() / 2**20),
        "answers": dict(codes),
    }


def single_chunked_phase(gw: Gateway, mb: int, chunk_mb: int, count: int) -> dict[str, Any]:
    """``single_phase`` with resumable uploads: the peak growth against the file
    (``*_x``) and against one chunk (``tree_per_chunk_x``)."""
    channel = gw.sim.channel("town_square")
    data = (b"quarterly notes, nothing sensitive here\n" * (mb * 2**20 // 40))[: mb * 2**20]
    chunk = chunk_mb * 2**20
    rows = []
    with gw.client("carol") as c:
        c.timeout = httpx.Timeout(600)
        resumable_upload(c, channel, data[: 2 * chunk], chunk)  # warm the code paths
        for _ in range(count):
            time.sleep(1.0)
            _, rss0, own0 = cpu_rss(gw.proc.pid)
            sampler = Sampler(gw.proc.pid, interval=0.02)
            sampler.start()
            t0 = time.perf_counter()
            status = resumable_upload(c, channel, data, chunk)
            seconds = time.perf_counter() - t0
            sampler.stop_event.set()
            sampler.join()
            time.sleep(1.0)
            _, rss1, own1 = cpu_rss(gw.proc.pid)
            rows.append({"status": status, "seconds": round(seconds, 1),
                         "gateway_x": round((sampler.peak_own - own0) / len(data), 2),
                         "worker_x": round(sampler.worker_growth() / len(data), 2),
                         "tree_x": round((sampler.peak_tree - rss0) / len(data), 2),
                         "tree_per_chunk_x": round((sampler.peak_tree - rss0) / min(chunk, len(data)), 2),
                         "gateway_kept_x": round((own1 - own0) / len(data), 2),
                         "tree_kept_x": round((rss1 - rss0) / len(data), 2)})
    return {"phase": "single-chunked", "upload_mb": mb, "chunk_mb": chunk_mb, "uploads": rows,
            "load_average": round(os.getloadavg()[0], 1)}


def single_phase(gw: Gateway, mb: int, count: int) -> dict[str, Any]:
    """``count`` uploads of ``mb`` MB, one at a time: each one's seconds, answer, and the
    peak RSS growth (sampled every 20 ms) of the gateway process, of the largest file
    worker and of the tree, against the upload's size."""
    channel = gw.sim.channel("town_square")
    data = (b"quarterly notes, nothing sensitive here\n" * (mb * 2**20 // 40))[: mb * 2**20]
    rows = []
    with gw.client("carol") as c:
        c.timeout = httpx.Timeout(600)
        c.post("/api/v4/files", params={"channel_id": channel},  # warm the code paths
               files={"files": ("a.txt", data[: 2 * 2**20], "text/plain")})
        for _ in range(count):
            time.sleep(1.0)
            _, rss0, own0 = cpu_rss(gw.proc.pid)
            sampler = Sampler(gw.proc.pid, interval=0.02)
            sampler.start()
            t0 = time.perf_counter()
            r = c.post("/api/v4/files", params={"channel_id": channel}, files={"files": ("notes.txt", data, "text/plain")})
            seconds = time.perf_counter() - t0
            sampler.stop_event.set()
            sampler.join()
            time.sleep(1.0)
            _, rss1, own1 = cpu_rss(gw.proc.pid)  # what the processes kept once the upload was done
            rows.append({"status": r.status_code, "seconds": round(seconds, 1),
                         "gateway_x": round((sampler.peak_own - own0) / len(data), 2),
                         "worker_x": round(sampler.worker_growth() / len(data), 2),
                         "tree_x": round((sampler.peak_tree - rss0) / len(data), 2),
                         "gateway_kept_x": round((own1 - own0) / len(data), 2),
                         "tree_kept_x": round((rss1 - rss0) / len(data), 2)})
    return {"phase": "single", "upload_mb": mb, "uploads": rows}


def start_variant(sim: Any, data_dir: Path, env: dict[str, str], root: Path) -> Gateway:
    """``tests.conftest.start_gateway``, run from the checkout ``root`` (``-m`` imports
    dlp_proxy from the working directory first): the variant ``base`` is an earlier
    commit, measured side by side with this one."""
    if root == ROOT:
        return start_gateway(sim, data_dir, env=env)
    import subprocess

    from tests.conftest import free_port

    port, admin = free_port(), free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DLP_") and k != "PYTHONPATH"}
    full_env.update({"DLP_NOTIFY_TOKEN": sim.token("dlp-bot"), **env})
    ready = data_dir / "ready"
    log_path = data_dir / "gateway.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dlp_proxy.cli", "run", "--upstream", sim.url, "--listen", f"127.0.0.1:{port}",
             "--admin-listen", f"127.0.0.1:{admin}", "--review-listen", "off", "--data-dir", str(data_dir),
             "--ready-file", str(ready), "--no-ner"], cwd=root, env=full_env, stdout=log, stderr=log)
    deadline = time.monotonic() + 300  # as tests.conftest.start_gateway: a loaded host
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"gateway did not start: {log_path.read_text()[-3000:]}")
        time.sleep(0.1)
    return Gateway(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{admin}", proc, data_dir, sim, log_path)


def summary(results: list[dict[str, Any]], variants: list[str], attack_sets: list[str]) -> None:
    """Per variant and attack set: the clean p99 of the hostile phases against the quiet
    phases run just before them (medians of the rounds), and what the CPU went to."""
    for kinds in attack_sets:
        for v in variants:
            # every hostile phase follows its quiet phase (same variant, same set)
            rows = [r for r in results if r["variant"] == v and r["phase"] in ("quiet", "hostile")]
            pairs = [(q, h) for q, h in itertools.pairwise(rows)
                     if q["phase"] == "quiet" and h["phase"] == "hostile" and h["attacks"] == kinds]
            if not pairs:
                continue
            quiet = [q["clean_p99_ms"] for q, _ in pairs]
            hostile = [h["clean_p99_ms"] for _, h in pairs]
            rounds = ", ".join(f"{h / q:.2f}x" for q, h in zip(quiet, hostile, strict=True))

            def med(key: str) -> float:
                return float(statistics.median(h[key] for _, h in pairs))

            print(f"{v} [{kinds}]: clean p99 quiet {statistics.median(quiet):.1f} ms, hostile "
                  f"{statistics.median(hostile):.1f} ms, ratio {statistics.median(hostile) / statistics.median(quiet):.2f}x "
                  f"(rounds {rounds}; target <= 2x); hostile CPU (cores): gateway tree {med('tree_cpu_per_s'):.2f} "
                  f"(event loop {med('loop_cpu_per_s'):.2f}, waiting for a core {med('loop_wait_per_s'):.2f}; "
                  f"quiet {statistics.median(q.get('loop_wait_per_s', 0.0) for q, _ in pairs):.2f}), attack clients {med('attack_clients_cpu_per_s'):.2f}, "
                  f"clean clients {med('clean_clients_cpu_per_s'):.2f}, simulator {med('simulator_cpu_per_s'):.2f}, "
                  f"machine {med('machine_busy_cores'):.2f}; load average {min(h['load_average'] for _, h in pairs)}-"
                  f"{max(h['load_average'] for _, h in pairs)}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--clean-clients", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--upload-mb", type=int, default=20)
    ap.add_argument("--uploads", type=int, default=6)
    ap.add_argument("--chunk-mb", type=int, default=5,
                    help="chunk size of the resumable uploads (Mattermost wants a first chunk of at least 5 MB)")
    ap.add_argument("--phases", default="quiet,hostile,uploads")
    ap.add_argument("--attack-pause", type=float, default=0.05,
                    help="seconds each attack loop waits between attempts (0: as fast as this process can)")
    ap.add_argument("--attacks", default=ATTACKS,
                    help="which of " + ATTACKS + "; several sets separated by '/' (e.g. unauth/slowloris/"
                         + ATTACKS + "): a hostile phase per set, each after its own quiet phase")
    ap.add_argument("--variants", default="gateway",
                    help="gateway (this checkout) and/or base (--base-root), alternated within each round")
    ap.add_argument("--base-root", help="variant 'base': the gateway run from this checkout (an earlier commit)")
    ap.add_argument("--variant-env", action="append", default=[], metavar="NAME:K=V;K=V",
                    help="one more variant: this checkout with these DLP_ settings (repeatable)")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    variants = args.variants.split(",")
    if "base" in variants and not args.base_root:
        ap.error("variant 'base' needs --base-root")
    variant_env: dict[str, dict[str, str]] = {}
    for spec in args.variant_env:
        name, sep, pairs = spec.partition(":")
        settings = dict(pair.split("=", 1) for pair in pairs.split(";") if "=" in pair)
        if not sep or not name or name in variants or not settings or not all(k.startswith("DLP_") for k in settings):
            ap.error(f"--variant-env {spec!r}: NAME:DLP_KEY=VALUE;... with a new name")
        variants.append(name)
        variant_env[name] = settings
    attack_sets = args.attacks.split("/")
    unknown = {a for kinds in attack_sets for a in kinds.split(",")} - set(ATTACKS.split(","))
    if unknown:
        ap.error(f"unknown attacks {sorted(unknown)}")
    users = ["alice", "carol", "sam", "dlp-bot"][: args.clean_clients]
    os.environ.setdefault("DLP_MAX_INFLIGHT_BYTES", str(2 * args.upload_mb * 2**20 + 2**20))
    sim = start_simulator()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k.startswith("DLP_")}
        gws: dict[str, Gateway] = {}
        try:
            for v in variants:
                root = Path(args.base_root).resolve() if v == "base" else ROOT
                gws[v] = start_variant(sim, Path(tmp) / v, {**env, **variant_env.get(v, {})}, root)
                with gws[v].client("alice") as c:  # warm the context cache
                    c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": "warm up"})
            time.sleep(2)
            phases = args.phases.split(",")
            for _ in range(args.rounds):
                for kinds in attack_sets:
                    for v, gw in gws.items():
                        if "quiet" in phases:
                            results.append({"variant": v, **phase(gw, "quiet", args.duration, users)})
                            print(json.dumps(results[-1]), flush=True)
                        if "hostile" in phases:
                            results.append({"variant": v, **phase(gw, "hostile", args.duration, users, attackers=kinds,
                                                                  pause=args.attack_pause)})
                            print(json.dumps(results[-1]), flush=True)
                            time.sleep(3)  # attackers' connections closed, budgets refill
            if "single" in phases:
                for _ in range(args.rounds):
                    for v, gw in gws.items():
                        results.append({"variant": v, **single_phase(gw, args.upload_mb, 2)})
                        print(json.dumps(results[-1]), flush=True)
            if "single-chunked" in phases:
                for _ in range(args.rounds):
                    for v, gw in gws.items():
                        results.append({"variant": v, **single_chunked_phase(gw, args.upload_mb, args.chunk_mb, 2)})
                        print(json.dumps(results[-1]), flush=True)
            if "uploads" in phases:
                for v, gw in gws.items():
                    results.append({"variant": v, **uploads_phase(gw, args.upload_mb, args.uploads, args.duration)})
                    print(json.dumps(results[-1]), flush=True)
            if "chunked" in phases:
                for _ in range(args.rounds):
                    for v, gw in gws.items():
                        results.append({"variant": v, **chunked_phase(gw, args.upload_mb, args.chunk_mb, args.uploads,
                                                                      args.duration)})
                        print(json.dumps(results[-1]), flush=True)
        finally:
            for gw in gws.values():
                stop(gw.proc)
            stop(sim.proc)
    summary(results, variants, attack_sets if "quiet" in args.phases.split(",") else [])
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
