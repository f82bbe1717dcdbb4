"""CPU per Redis command on the event loop: redis-py's pure-Python reply parser against
hiredis's C parser (a runtime dependency through ``redis[hiredis]``), side by side in one
process, on the commands the split window and the context cache send (a GET of a small
value, an LRANGE of 30 short items).

    .venv/bin/python bench/bench_redis_parser.py [--url redis://127.0.0.1:6379/0] [--rounds 3] [--n 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import redis.asyncio as aioredis
from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser


async def cpu_per_command(url: str, parser: type, n: int) -> float:
    pool = aioredis.ConnectionPool.from_url(url, parser_class=parser)
    r = aioredis.Redis(connection_pool=pool)
    try:
        await r.set("dlp:bench:parser:k", b"x" * 300)
        await r.delete("dlp:bench:parser:l")
        await r.rpush("dlp:bench:parser:l", *[b"y" * 200] * 30)
        started = time.process_time()
        for _ in range(n):
            await r.get("dlp:bench:parser:k")
            await r.lrange("dlp:bench:parser:l", 0, -1)
        return (time.process_time() - started) / (2 * n) * 1e6
    finally:
        await r.delete("dlp:bench:parser:k", "dlp:bench:parser:l")
        await r.aclose()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()
    print("round  python parser us/cmd  hiredis us/cmd  ratio")
    for i in range(args.rounds):
        py = await cpu_per_command(args.url, _AsyncRESP2Parser, args.n)
        hi = await cpu_per_command(args.url, _AsyncHiredisParser, args.n)
        print(f"{i + 1:>5}  {py:>20.1f}  {hi:>14.1f}  {hi / py:.2f}x")


if __name__ == "__main__":
    asyncio.run(main())
