"""Detection throughput on file text: tables (clean and dirty) and document prose.

    .venv/bin/python bench/bench_detect_tables.py [--mb 1] [--repeat 3]

One process, CPU time (``time.process_time``), best of ``--repeat``.  Texts:

- ``clean-csv``: a trade blotter export (id, names, a note, an amount, a date:
  tests/tablegen.py), the issue-15 shape whose row boundaries used to fuse into ABA
  routing numbers; it must have no finding;
- ``clean-tsv``: the same with tabs;
- ``dirty-csv``: a client table with a synthetic SSN and account in every 50th row
  (labelled columns): the SSNs found are printed against those planted;
- ``prose``: document text (the bench_detect chat sentences, numbers included).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_detect import clean_message  # noqa: E402

from dlp_proxy.detect import build_detector  # noqa: E402
from tests.tablegen import dirty_csv, trade_csv  # noqa: E402


def sized(make: object, mb: float) -> str:
    rows = 64
    while True:
        text = make(rows)  # type: ignore[operator]
        text = text[0] if isinstance(text, tuple) else text
        if len(text) >= mb * 1_000_000:
            return text
        rows *= 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    engine = build_detector(ROOT / "config", ner=False)
    rng = random.Random(7)
    texts = {
        "clean-csv": sized(trade_csv, args.mb),
        "clean-tsv": sized(lambda n: trade_csv(n, sep="\t"), args.mb),
        "dirty-csv": sized(dirty_csv, args.mb),
        "prose": sized(lambda n: "\n".join(clean_message(rng) for _ in range(n)), args.mb),
    }
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'text':10} {'MB':>6} {'MB/s':>7} {'findings':>9}  entities")
    for name, text in texts.items():
        engine.analyze(text[:20000])
        best = float("inf")
        findings: list = []
        for _ in range(args.repeat):
            t = time.process_time()
            findings = engine.analyze(text)
            best = min(best, time.process_time() - t)
        ents: dict[str, int] = {}
        for f in findings:
            ents[f.entity_type] = ents.get(f.entity_type, 0) + 1
        extra = ""
        if name == "dirty-csv":
            planted = text.count("onboarding")
            extra = f" (SSNs planted: {planted})"
        mb = len(text) / 1e6
        print(f"{name:10} {mb:6.2f} {mb / best:7.2f} {len(findings):9}  {ents}{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
