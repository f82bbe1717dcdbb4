"""CPU per picture of the upload mix (bench/bench_mix.py: screenshots and phone photos)
and of an SVG chart, extraction with OCR (``extract``: Tesseract runs in this process),
the best of ``--repeat`` readings, for this checkout and ``--base-root`` side by side:
the two run at the same time in two processes, so both see the same load.

    PYTHONPATH=$PWD OMP_THREAD_LIMIT=1 .venv/bin/python bench/bench_image_cost.py --base-root /tmp/base [--repeat 3]

Prints each picture's CPU ms in both and the ratio (docs/benchmarks.md, "Files people
upload": what attack pass 8's OCR views cost a picture).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

SVG_CHART = (b'<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400">' + b"".join(
    b'<rect x="%d" y="%d" width="30" height="%d" fill="steelblue"/><text x="%d" y="390" font-size="12">Q%d</text>'
    % (40 + 60 * i, 380 - 20 * i, 20 * i, 40 + 60 * i, i) for i in range(1, 13))
    + b'<text x="300" y="30" font-size="18">Trading volume by quarter</text></svg>')


def measure(repeat: int) -> None:
    """In the child: one line per picture, ``name cpu_ms problems``."""
    # the checkout measured is the one on PYTHONPATH: imported before bench_mix puts
    # this script's checkout on sys.path for its test files
    from dlp_proxy.files import extract

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_mix import upload_mix

    mix = [(name, data) for kind, name, data in upload_mix() if kind in ("screenshot", "photo")]
    mix.append(("chart.svg", SVG_CHART))
    extract(mix[0][1], filename=mix[0][0])  # the engine is built once per worker
    for name, data in mix:
        best = float("inf")
        for _ in range(repeat):
            started = time.process_time()
            ex = extract(data, filename=name)
            best = min(best, time.process_time() - started)
        print(f"{name}\t{best * 1000:.0f}\t{','.join(ex.problems) or '-'}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-root", required=False, default="")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        measure(args.repeat)
        return 0
    here = Path(__file__).resolve().parent.parent
    roots = [("now", here)] + ([("base", Path(args.base_root))] if args.base_root else [])
    procs = {}
    for label, root in roots:
        env = {**os.environ, "PYTHONPATH": str(root), "OMP_THREAD_LIMIT": "1"}
        procs[label] = subprocess.Popen(
            [sys.executable, __file__, "--child", "--repeat", str(args.repeat)], env=env, cwd=str(root),
            stdout=subprocess.PIPE, text=True)
    out = {label: [line.split("\t") for line in p.communicate()[0].splitlines()] for label, p in procs.items()}
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"{'picture':16} {'now ms':>8} " + (f"{'base ms':>8} {'ratio':>6} " if "base" in out else "") + "problems now")
    base = {row[0]: row for row in out.get("base", [])}
    for name, ms, problems in out["now"]:
        line = f"{name:16} {ms:>8} "
        if name in base:
            ratio = int(ms) / max(int(base[name][1]), 1)
            line += f"{base[name][1]:>8} {ratio:>6.2f} "
        print(line + problems)
    return 0


if __name__ == "__main__":
    sys.exit(main())
