"""What judging a read whose query leaves the firm costs (routes.EGRESS_QUERY_ROUTES):
``GET /api/v4/redirect_location?url=``, asked by the web app for every link it previews.

    PYTHONPATH=. .venv/bin/python bench/bench_egress_reads.py [--links 300]

In process (the real pipeline and detector, no network): the cost of a clean link seen
for the first time (the detector's gate passes nearly every URL, so one scan), of the
same link again (remembered clean: ``Pipeline.read_passes`` on the synchronous path),
and of classifying a plain GET for comparison.  Then through one gateway and simulator:
latency of ``redirect_location`` with links seen for the first time, with links seen
before, and of ``GET /api/v4/users/me`` (forwarded unread), alternating.  Shared
machine: read the ratios, not the absolutes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import start_gateway, start_simulator, stop  # noqa: E402

BASES = ["https://www.bloomberg.com/news/articles/2024-05-{a:02d}/fed-holds-rates-steady-{b}",
         "https://github.com/mattermost/mattermost/pull/{a}{b}", "https://youtu.be/dQw4w9WgXcQ?t={a}{b}",
         "https://www.sec.gov/Archives/edgar/data/320193/0000320193240000{a:02d}/aapl-2024{b:04d}.htm"]


def links(n: int, salt: int) -> list[str]:
    return ["/api/v4/redirect_location?url=" + quote(BASES[i % 4].format(a=i % 28 + 1, b=i + salt), safe="")
            for i in range(n)]


def in_process(n: int) -> None:
    from dlp_proxy.detect import build_detector
    from dlp_proxy.gateway.pipeline import GatewayConfig, GatewayRequest, Pipeline
    from dlp_proxy.policy.testing import policy_from
    from tests.inprocess import ListArchive

    engine = build_detector(ROOT / "config", ner=False)
    policy = policy_from("schema: 1\nrules:\n  - id: npi\n    action: block\n    match: {entities: [US_SSN]}\n")
    p = Pipeline(detector=engine, policy=lambda: policy, archive=ListArchive(), context=None,  # type: ignore[arg-type]
                 quarantine=None, hash_key=b"k" * 32, config=GatewayConfig())
    headers = {"authorization": "Bearer " + "x" * 26}
    targets = links(n, 0)

    async def run() -> tuple[float, float, float]:
        await p.handle(GatewayRequest("GET", links(1, 10**6)[0], headers, b""))  # warm up
        t = time.perf_counter()
        for tg in targets:
            c = p.classify("GET", tg)
            if not p.read_passes(tg, headers, c):
                assert (await p.handle(GatewayRequest("GET", tg, headers, b""), c)).forward
        first = (time.perf_counter() - t) / n
        t = time.perf_counter()
        for tg in targets:
            assert p.read_passes(tg, headers, p.classify("GET", tg))
        again = (time.perf_counter() - t) / n
        t = time.perf_counter()
        for _ in targets:
            p.classify("GET", "/api/v4/users/me")
        plain = (time.perf_counter() - t) / n
        return first, again, plain

    try:
        first, again, plain = asyncio.run(run())
    finally:
        p.scan_pool.shutdown()
    print(f"in process: a clean link first seen {first * 1000:.2f} ms, again {again * 1e6:.0f} us, "
          f"classifying a plain GET {plain * 1e6:.0f} us")


def through_gateway(n: int) -> None:
    sim = start_simulator()
    gw = start_gateway(sim, Path(tempfile.mkdtemp()) / "gw")
    try:
        times: dict[str, list[float]] = {"first": [], "again": [], "users/me": []}
        fresh = links(n, 10**5)
        seen = links(20, 10**4)
        with gw.client("alice") as c:
            for tg in seen * 2:  # warm up; ``seen`` is remembered clean
                c.get(tg)
            for i in range(n):
                order = [("first", fresh[i]), ("again", seen[i % len(seen)]), ("users/me", "/api/v4/users/me")]
                for kind, target in (order if i % 2 else list(reversed(order))):
                    t = time.perf_counter()
                    r = c.get(target)
                    times[kind].append(time.perf_counter() - t)
                    if r.status_code != 200:
                        raise SystemExit(f"{kind}: {r.status_code} {r.text}")
        for kind, got in times.items():
            got.sort()
            print(f"{kind:9s} median {statistics.median(got) * 1000:.2f} ms  p90 {got[int(len(got) * 0.9)] * 1000:.2f} ms"
                  f"  n={len(got)}")
    finally:
        stop(gw.proc)
        stop(sim.proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=300, help="links of each kind")
    args = parser.parse_args()
    in_process(args.links)
    through_gateway(args.links)


if __name__ == "__main__":
    main()
