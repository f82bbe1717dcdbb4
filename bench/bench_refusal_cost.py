"""What one request costs the gateway's event loop: a clean post, and refusals before the body.

    .venv/bin/python bench/bench_refusal_cost.py [--requests 200] [--variants gateway,base --base-root /tmp/base]

One simulator and one gateway per variant (as bench_hostile.py).  Requests are sent one
at a time; reported: CPU milliseconds of the gateway's event-loop thread (its main
thread, /proc/<pid>/task/<pid>/stat) and of its process tree per request, for

- a clean authenticated post (httpx, keep-alive);
- a 3 MB post without credentials: headers only (the client sends no body), and headers
  then the body (the client pushes it until the gateway closes);
- a 40 MB upload without credentials, body pushed;
- a 3 MB post with a made-up token, body pushed;
- a 16,000-character post of account numbers (~1,000 findings, blocked) and a post of
  1,024 ``⒈`` (compatibility digits), by another user.

Clock ticks are 10 ms: use enough requests.  Two shared cores: compare variants run
side by side, not absolutes.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_hostile import cpu_rss, loop_thread_cpu, start_variant  # noqa: E402

from tests.conftest import start_simulator, stop  # noqa: E402


def refuse(addr: tuple[str, int], path: str, size: int, body: bool, token: str | None = None) -> str:
    head = (f"POST {path} HTTP/1.1\r\nHost: mm\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n"
            + (f"Authorization: Bearer {token}\r\n" if token else "") + "\r\n").encode()
    data = b""
    with socket.create_connection(addr, timeout=30) as s:
        s.sendall(head)
        if body:
            try:
                s.sendall(b"7" * size)
            except OSError:
                pass  # closed by the gateway under the body
        try:
            while chunk := s.recv(4096):
                data += chunk
        except OSError:
            pass
    return data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "closed"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--variants", default="gateway")
    ap.add_argument("--base-root")
    args = ap.parse_args()
    n = args.requests
    sim = start_simulator()
    channel = sim.channel("town_square")
    digits = " ".join(f"acct {i:09d}" for i in range(2000))[:16_000]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for v in args.variants.split(","):
                root = ROOT if v == "gateway" else Path(args.base_root).resolve()
                gw = start_variant(sim, Path(tmp) / v, {}, root)
                try:
                    pid = gw.proc.pid
                    u = urlsplit(gw.url)
                    addr = (u.hostname or "127.0.0.1", u.port or 80)
                    with gw.client("alice") as alice, gw.client("bob") as bob:
                        for _ in range(20):  # warm up
                            alice.post("/api/v4/posts", json={"channel_id": channel, "message": "warm up"})
                        cases = [
                            ("clean post", n, lambda: str(alice.post("/api/v4/posts", json={
                                "channel_id": channel, "message": "Sounds good, thanks!"}).status_code)),
                            ("3 MB post, no credentials, headers only", n,
                             lambda: refuse(addr, "/api/v4/posts", 3_000_000, False)),
                            ("3 MB post, no credentials, body pushed", n,
                             lambda: refuse(addr, "/api/v4/posts", 3_000_000, True)),
                            ("40 MB upload, no credentials, body pushed", n // 2,
                             lambda: refuse(addr, "/api/v4/files?channel_id=x", 40_000_000, True)),
                            ("3 MB post, made-up token, body pushed", n,
                             lambda: refuse(addr, "/api/v4/posts", 3_000_000, True, "madeup" + "q" * 20)),
                            ("16,000 characters of account numbers", max(1, n // 10), lambda: str(bob.post(
                                "/api/v4/posts", json={"channel_id": channel, "message": digits}).status_code)),
                            ("1,024 compatibility digits", max(1, n // 5), lambda: str(bob.post(
                                "/api/v4/posts", json={"channel_id": channel, "message": "\u2488" * 1024}).status_code)),
                        ]
                        for label, count, send in cases:
                            time.sleep(0.5)
                            loop0, tree0 = loop_thread_cpu(pid), cpu_rss(pid)[0]
                            answers = {send() for _ in range(count)}
                            loop_ms = (loop_thread_cpu(pid) - loop0) / count * 1000
                            tree_ms = (cpu_rss(pid)[0] - tree0) / count * 1000
                            print(f"{v}: {label} ({count}, answered {'/'.join(sorted(answers))}): "
                                  f"event loop {loop_ms:.2f} ms, tree {tree_ms:.2f} ms", flush=True)
                finally:
                    stop(gw.proc)
    finally:
        stop(sim.proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
