"""Archive throughput and append latency with durability on (fdatasync before ack).

    .venv/bin/python bench/bench_archive.py [--records N] [--concurrency C] [--dir DIR]

Prints records/s for a single synchronous writer (one sync per record), for C
concurrent asyncio awaiters sharing group commits, and append latency p50/p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from dlp_proxy.archive import open_archive, verify_archive
from dlp_proxy.archive.format import public_key_bytes

KEYS = {"signing_key": bytes(range(32)), "content_key": b"\x11" * 32, "hash_key": b"\x22" * 32}


def record(i: int) -> dict:
    text = f"please wire to account 000123456789 for client {i}"
    return {
        "type": "decision",
        "time": time.time(),
        "request_id": f"req-{i}",
        "worker": "bench",
        "route": "posts.create",
        "route_group": "posts",
        "method": "POST",
        "path": "/api/v4/posts",
        "context": {
            "user_id": "u" * 26,
            "username": "alice",
            "channel_id": "c" * 26,
            "channel_type": "O",
            "team_id": "t" * 26,
        },
        "action": "block",
        "rule_id": "npi-default",
        "policy_version": "a" * 16,
        "findings": [
            {
                "path": "body.message",
                "entity_type": "US_BANK_NUMBER",
                "start": 23,
                "end": 35,
                "score": 0.85,
                "recognizer": "x",
            }
        ],
        "entity_counts": {"US_BANK_NUMBER": 1},
        "content_hash": "f" * 64,
        "_content": [
            {
                "path": "body.message",
                "text": text,
                "findings": [{"entity_type": "US_BANK_NUMBER", "start": 23, "end": 35}],
            }
        ],
    }


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p * len(xs)))]


def bench_sync(d: Path, n: int) -> None:
    a = open_archive(d, worker_id="sync", **KEYS)
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        a.append_sync(record(i))
        lat.append(time.perf_counter() - s)
    el = time.perf_counter() - t0
    a.close_sync()
    print(
        f"single writer (append_sync, 1 fdatasync/record): {n / el:8.0f} records/s  "
        f"p50 {statistics.median(lat) * 1e3:.3f} ms  p99 {pct(lat, 0.99) * 1e3:.3f} ms"
    )


async def bench_async(d: Path, n: int, conc: int, worker: str) -> None:
    a = open_archive(d, worker_id=worker, **KEYS)
    lat: list[float] = []
    counter = iter(range(n))

    async def client() -> None:
        for i in counter:
            s = time.perf_counter()
            await a.append(record(i))
            lat.append(time.perf_counter() - s)

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(conc)))
    el = time.perf_counter() - t0
    await a.close()
    batches = a.stats.batch_sizes
    print(
        f"{conc:3d} concurrent awaiters (group commit):     {n / el:8.0f} records/s  "
        f"p50 {statistics.median(lat) * 1e3:.3f} ms  p99 {pct(lat, 0.99) * 1e3:.3f} ms  "
        f"mean batch {statistics.mean(batches):.1f} records/fdatasync"
    )


async def bench_open_loop(d: Path, n: int, rate: float, worker: str) -> None:
    """Requests arriving at a steady rate (like gateway traffic), each awaiting its own append."""
    a = open_archive(d, worker_id=worker, **KEYS)
    lat: list[float] = []

    async def one(i: int) -> None:
        s = time.perf_counter()
        await a.append(record(i))
        lat.append(time.perf_counter() - s)

    tasks = []
    t0 = time.perf_counter()
    for i in range(n):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    await a.close()
    print(
        f"open loop {rate:6.0f} appends/s offered:           "
        f"p50 {statistics.median(lat) * 1e3:.3f} ms  p99 {pct(lat, 0.99) * 1e3:.3f} ms  "
        f"mean batch {statistics.mean(a.stats.batch_sizes):.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=5000)
    ap.add_argument("--concurrency", type=int, action="append")
    ap.add_argument("--rate", type=float, action="append", help="open-loop arrival rate (appends/s)")
    ap.add_argument("--dir")
    args = ap.parse_args()
    # by default on the disk of the working directory (what the gateway's ./var uses), not /tmp
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="bench-archive-", dir=os.getcwd()))
    print(f"# {platform.platform()} python {platform.python_version()} cpus {os.cpu_count()} dir {base}")
    try:
        bench_sync(base, min(args.records, 2000))
        for c in args.concurrency or [1, 8, 64]:
            asyncio.run(bench_async(base, args.records, c, f"c{c}"))
        for rate in args.rate or [200, 1000, 3000]:
            asyncio.run(bench_open_loop(base, min(args.records, int(rate * 3)), rate, f"r{rate}"))
        r = verify_archive(base, public_key_bytes(KEYS["signing_key"]))
        print(f"verify: {'OK' if r.ok else r.problems[0]}, {r.records} records")
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)  # a directory it made itself: not left in the checkout


if __name__ == "__main__":
    main()
