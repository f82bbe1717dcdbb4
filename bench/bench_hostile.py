"""The gateway under a hostile mix: what it costs, and what clean posts see.

    .venv/bin/python bench/bench_hostile.py [--duration 20] [--clean-clients 3] [--rounds 1]
        [--upload-mb 20] [--uploads 6] [--json-out results.json]

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
``uploads``  authenticated ``--upload-mb`` MB text files, ``--uploads`` at a time, with
             the bytes-in-flight cap (``DLP_MAX_INFLIGHT_BYTES``) at twice one upload:
             the process tree's peak RSS growth against the bytes in flight.

Reported: clean-post p50/p99 per phase and the hostile/quiet p99 ratio (target
within 2x), the CPU used by the gateway's process tree (process + workers, not
Redis) per second of phase, its peak RSS, and what the attackers got back.
Synthetic identifiers only (dlp_proxy.policy.testing).  Two shared cores: the
load, the gateway and the simulator compete; read ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
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


def cpu_rss(pid: int) -> tuple[float, int, int]:
    """(CPU seconds so far of the living tree, RSS of the tree, RSS of the process)."""
    cpu, rss, own = 0.0, 0, 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / TICK
            r = int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        except OSError:
            continue
        rss += r
        if p == pid:
            own = r
    return cpu, rss, own


class Sampler(threading.Thread):
    """Peak RSS of the tree and of the process, every 0.1 s."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_tree = self.peak_own = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            _, rss, own = cpu_rss(self.pid)
            self.peak_tree, self.peak_own = max(self.peak_tree, rss), max(self.peak_own, own)
            time.sleep(0.1)


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


def raw_attack(addr: tuple[str, int], path: str, size: int, token: str | None, stop_at: float,
               codes: Counter[str], label: str) -> None:
    body = b"7" * size
    head = (f"POST {path} HTTP/1.1\r\nHost: mm\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
            + (f"Authorization: Bearer {token}\r\n" if token else "") + "\r\n").encode()
    while time.monotonic() < stop_at:
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


def phase(gw: Gateway, name: str, duration: float, clean_users: list[str], attackers: bool) -> dict[str, Any]:
    addr = (urlsplit(gw.url).hostname or "127.0.0.1", urlsplit(gw.url).port or 80)
    stop_at = time.monotonic() + duration
    latencies: list[float] = []
    codes: Counter[str] = Counter()
    threads = [threading.Thread(target=clean_loop, args=(gw, u, stop_at, latencies, codes)) for u in clean_users]
    if attackers:
        digits = " ".join(f"acct {i:09d}" for i in range(2000))[:16_000]
        compat = "\u2488" * 1024
        threads += [threading.Thread(target=raw_attack, args=(addr, "/api/v4/posts", 3_000_000, None, stop_at, codes, "unauth-3MB-post"))
                    for _ in range(4)]
        threads += [threading.Thread(target=raw_attack, args=(addr, "/api/v4/files?channel_id=x", 40_000_000, None, stop_at, codes,
                                                              "unauth-40MB-upload")) for _ in range(2)]
        threads += [threading.Thread(target=raw_attack, args=(addr, "/api/v4/posts", 3_000_000, "madeup" + "q" * 20, stop_at, codes,
                                                              "bad-token-3MB-post")) for _ in range(2)]
        threads += [threading.Thread(target=slowloris, args=(addr, 60, stop_at, codes))]
        threads += [threading.Thread(target=digit_posts, args=(gw, "bob", digits, stop_at, codes, "digit-heavy-16k"))
                    for _ in range(2)]
        threads += [threading.Thread(target=digit_posts, args=(gw, "bob", compat, stop_at, codes, "compat-digits-1k"))]
    sampler = Sampler(gw.proc.pid)
    cpu0, rss0, _ = cpu_rss(gw.proc.pid)
    t0 = time.monotonic()
    sampler.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    cpu1, _, _ = cpu_rss(gw.proc.pid)
    sampler.stop_event.set()
    sampler.join()
    result = {
        "phase": name, "seconds": round(elapsed, 1), "clean_posts": len(latencies),
        "clean_p50_ms": round(pct(latencies, 0.5) * 1000, 1), "clean_p99_ms": round(pct(latencies, 0.99) * 1000, 1),
        "tree_cpu_per_s": round((cpu1 - cpu0) / elapsed, 2),
        "tree_rss_start_mb": round(rss0 / 2**20), "tree_rss_peak_mb": round(sampler.peak_tree / 2**20),
        "gateway_rss_peak_mb": round(sampler.peak_own / 2**20),
        "answers": dict(sorted(codes.items())),
    }
    print(json.dumps(result), flush=True)
    return result


def uploads_phase(gw: Gateway, mb: int, concurrent: int, duration: float) -> dict[str, Any]:
    channel = gw.sim.channel("town_square")
    data = (b"quarterly notes, nothing sensitive here\n" * (mb * 2**20 // 40))[: mb * 2**20]
    stop_at = time.monotonic() + duration
    codes: Counter[str] = Counter()

    def loop() -> None:
        with gw.client("carol") as c:
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

    sampler = Sampler(gw.proc.pid)
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
        "answers": dict(codes),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--clean-clients", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--upload-mb", type=int, default=20)
    ap.add_argument("--uploads", type=int, default=6)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    users = ["alice", "carol", "sam", "dlp-bot"][: args.clean_clients]
    os.environ.setdefault("DLP_MAX_INFLIGHT_BYTES", str(2 * args.upload_mb * 2**20 + 2**20))
    sim = start_simulator()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k.startswith("DLP_")}
        gw = start_gateway(sim, Path(tmp) / "gw", env=env)
        try:
            with gw.client("alice") as c:  # warm the context cache
                c.post("/api/v4/posts", json={"channel_id": sim.channel("town_square"), "message": "warm up"})
            time.sleep(2)
            for _ in range(args.rounds):
                results.append(phase(gw, "quiet", args.duration, users, attackers=False))
                results.append(phase(gw, "hostile", args.duration, users, attackers=True))
                time.sleep(3)  # attackers' connections closed, budgets refill
            results.append(uploads_phase(gw, args.upload_mb, args.uploads, args.duration))
        finally:
            stop(gw.proc)
            stop(sim.proc)
    quiet = [r["clean_p99_ms"] for r in results if r["phase"] == "quiet"]
    hostile = [r["clean_p99_ms"] for r in results if r["phase"] == "hostile"]
    print(f"clean p99: quiet {statistics.median(quiet):.1f} ms, hostile {statistics.median(hostile):.1f} ms, "
          f"ratio {statistics.median(hostile) / statistics.median(quiet):.2f}x (target <= 2x)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
