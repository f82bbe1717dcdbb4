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

``--drop-step filler --drop-step number-words`` (a diagnostic, not the detector as
shipped) replaces the normalizer's filler-words step (detect/filler.py) or number-words
step (detect/words.py) by a no-op, to show what the rest of the detection costs.

``--base-root DIR`` compares with another checkout (``git archive main | tar -x -C DIR``):
this script runs in separate processes on DIR's code and on this checkout's, alternated
``--rounds`` times (the machine is shared: a ratio measured side by side is what
holds), and prints the best MB/s of each, their ratio and both finding counts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
#: the checkout measured: this one, or ``--root DIR`` (a child process of ``--base-root``)
ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve() if "--root" in sys.argv[:-1] else HERE
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
    ap.add_argument("--drop-step", action="append", default=[], choices=["filler", "number-words"],
                    help="diagnostic: replace this normalization step by a no-op")
    ap.add_argument("--base-root", type=Path, help="another checkout, measured alternated with this one")
    ap.add_argument("--rounds", type=int, default=3, help="with --base-root: alternations")
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)  # the checkout a child measures
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.base_root is not None:
        return compare(args)
    if args.drop_step:
        from dlp_proxy.detect import normalize as norm

        if "filler" in args.drop_step:
            norm.filler_edits = lambda _text: []  # type: ignore[assignment]
        if "number-words" in args.drop_step:
            norm.number_word_edits = lambda _text: []  # type: ignore[assignment]
            norm.may_have_number_words = lambda _text: False  # type: ignore[assignment]
        print(f"DIAGNOSTIC: steps dropped: {', '.join(args.drop_step)} (not the shipped detector)")
    engine = build_detector(ROOT / "config", ner=False)
    rng = random.Random(7)
    texts = {
        "clean-csv": sized(trade_csv, args.mb),
        "clean-tsv": sized(lambda n: trade_csv(n, sep="\t"), args.mb),
        "dirty-csv": sized(dirty_csv, args.mb),
        "prose": sized(lambda n: "\n".join(clean_message(rng) for _ in range(n)), args.mb),
    }
    results: dict[str, dict[str, object]] = {}
    if not args.json:
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
        results[name] = {"mb": mb, "mbps": mb / best, "findings": len(findings), "entities": ents}
        if not args.json:
            print(f"{name:10} {mb:6.2f} {mb / best:7.2f} {len(findings):9}  {ents}{extra}")
    if args.json:
        print(json.dumps(results))
    return 0


def compare(args: argparse.Namespace) -> int:
    """This script on ``--base-root``'s code and on this checkout's, in separate processes
    alternated ``--rounds`` times: the best MB/s of each and the ratio."""
    roots = {"base": args.base_root.resolve(), "this": HERE}
    best: dict[str, dict[str, dict[str, object]]] = {"base": {}, "this": {}}
    for _ in range(args.rounds):
        for label, root in roots.items():
            cmd = [sys.executable, str(Path(__file__).resolve()), "--root", str(root), "--json",
                   "--mb", str(args.mb), "--repeat", str(args.repeat)]
            env = {**os.environ, "PYTHONPATH": str(root)}
            out = subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True, text=True).stdout
            for name, r in json.loads(out.strip().splitlines()[-1]).items():
                seen = best[label].get(name)
                if seen is None or float(r["mbps"]) > float(seen["mbps"]):  # type: ignore[arg-type]
                    best[label][name] = r
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load {os.getloadavg()[0]:.1f}; best of {args.rounds} alternated runs x {args.repeat}")
    print(f"base: {roots['base']}")
    print(f"{'text':10} {'MB':>6} {'base MB/s':>10} {'MB/s':>7} {'ratio':>6}  findings (base / this)")
    for name, r in best["this"].items():
        b = best["base"][name]
        ratio = float(r["mbps"]) / float(b["mbps"])  # type: ignore[arg-type]
        print(f"{name:10} {float(r['mb']):6.2f} {float(b['mbps']):10.2f} {float(r['mbps']):7.2f} {ratio:6.2f}x"  # type: ignore[arg-type]
              f"  {b['findings']} {b['entities']} / {r['findings']} {r['entities']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
