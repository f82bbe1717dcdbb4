"""A new detector's first identifier messages: with and without the warm-up.

    .venv/bin/python bench/bench_first_post.py [--messages 300] [--seed 5]

A detector builds part of its state on the first text that needs it (a recognizer's
context regexes, their Hyperscan span databases).  The gateway warms every detector it
builds (its own, each scan and file worker: ``filescan.warm_detector``, the texts of
``detect/warmup.py``).  This runs, each in a process of its own:

- ``cold``: a detector warmed with the texts without identifiers only
  (``filescan.WARM_UP_TEXTS``, what a worker scanned before ``detect/warmup.py``);
- ``warm``: a detector warmed as the gateway warms it;

then the same ``--messages`` identifier messages (``bench_detect.pii_message``) through
each, and prints the warm-up's CPU, and the wall ms of the first message, the max and the
p99 of the first 100 and of the rest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _run(kind: str, messages: int, seed: int) -> dict[str, float]:
    import random

    from bench_detect import pii_message

    from dlp_proxy.detect import build_detector
    from dlp_proxy.detect.engine import ContentItem
    from dlp_proxy.gateway.filescan import WARM_UP_TEXTS, warm_detector

    engine = build_detector(ROOT / "config", ner=False)
    t = time.process_time()
    if kind == "warm":
        warm_detector(engine)
    else:
        engine.scan([ContentItem(f"warm-up[{n}]", text) for n, text in enumerate(WARM_UP_TEXTS)])
    warm_cpu = time.process_time() - t
    rng = random.Random(seed)
    texts = [pii_message(rng) for _ in range(messages)]
    ms = []
    for text in texts:
        t = time.perf_counter()
        engine.analyze(text)
        ms.append((time.perf_counter() - t) * 1000)

    def p99(xs: list[float]) -> float:
        return sorted(xs)[max(0, int(len(xs) * 0.99) - 1)] if xs else 0.0

    return {"warm_up_cpu_s": warm_cpu, "first_ms": ms[0], "first100_max_ms": max(ms[:100]),
            "first100_p99_ms": p99(ms[:100]), "rest_max_ms": max(ms[100:] or [0.0]), "rest_p99_ms": p99(ms[100:])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--child", choices=["cold", "warm"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_run(args.child, args.messages, args.seed)))
        return 0
    print(f"{'detector':8} {'warm-up CPU s':>13} {'first ms':>9} {'first 100 max / p99 ms':>23} {'rest max / p99 ms':>18}")
    for kind in ("cold", "warm"):
        out = subprocess.run([sys.executable, __file__, "--child", kind, "--messages", str(args.messages),
                              "--seed", str(args.seed)], capture_output=True, text=True, check=True, cwd=ROOT)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{kind:8} {r['warm_up_cpu_s']:13.2f} {r['first_ms']:9.1f} "
              f"{r['first100_max_ms']:11.1f} / {r['first100_p99_ms']:5.1f} {r['rest_max_ms']:8.1f} / {r['rest_p99_ms']:5.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
