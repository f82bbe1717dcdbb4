"""What reading a post's mentions with the names shown costs (gateway/mentions.py).

    PYTHONPATH=. .venv/bin/python bench/bench_mentions.py [--posts 300]

One simulator and one gateway.  Two posts of the same length are sent one at a time,
alternating (the order flipped every pair), through the gateway: one with two
``@user`` mentions (read again with each teammate name display setting, with and
without the ``@``), one with the same words and no ``@``.  Names are looked up once per
30 s (the in-process cache): this is the steady cost, not the first lookup's round trip.
Reported: median and p90 latency of each and the ratio of the medians.  Shared
machine: read the ratio, not the absolutes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import start_gateway, start_simulator, stop  # noqa: E402

POSTS = {"mention": "ask @bob and @sam about the rates desk figures today, thanks",
         "plain": "ask bob and sam about the rates desk figures today, thanks"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=300, help="posts of each kind")
    args = parser.parse_args()
    sim = start_simulator()
    gw = start_gateway(sim, Path(tempfile.mkdtemp()) / "gw")
    try:
        town = sim.channel("town_square")
        times: dict[str, list[float]] = {k: [] for k in POSTS}
        with gw.client("alice") as c:
            for _ in range(20):  # warm up: the name cache, the detector
                for m in POSTS.values():
                    c.post("/api/v4/posts", json={"channel_id": town, "message": m})
            for i in range(args.posts):
                order = list(POSTS.items()) if i % 2 else list(reversed(POSTS.items()))
                for kind, message in order:
                    t = time.perf_counter()
                    r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
                    times[kind].append(time.perf_counter() - t)
                    if r.status_code != 201:
                        raise SystemExit(f"{kind}: {r.status_code} {r.text}")
        for kind, got in times.items():
            got.sort()
            print(f"{kind:8s} median {statistics.median(got) * 1000:.2f} ms  p90 {got[int(len(got) * 0.9)] * 1000:.2f} ms"
                  f"  n={len(got)}")
        print(f"ratio of medians mention/plain: {statistics.median(times['mention']) / statistics.median(times['plain']):.2f}")
    finally:
        stop(gw.proc)
        stop(sim.proc)


if __name__ == "__main__":
    main()
