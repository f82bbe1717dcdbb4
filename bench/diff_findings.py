"""Differential check: the detector of another checkout and this one's give the same
findings on the same texts (a speed change must not change what is found).

    git archive 743e6c4 | tar -x -C /tmp/perftext-base
    .venv/bin/python bench/diff_findings.py --base-root /tmp/perftext-base [--mb 1] [--mixes 300]

Texts: the four texts of bench/bench_detect_tables.py and bench_mix.py's CSV trade
blotter (``--mb`` each), every text of
tests/data/corpus.jsonl and tests/data/bd_corpus.jsonl, random tables from
tests/tablegen.py, and ``--mixes`` documents built from random corpus texts (joined
by newlines, some as cells of a CSV around them, some repeated past the window size).
Each checkout runs in its own process (``--root DIR --dump FILE``); every finding's
entity, start, end, score, recognizer, transforms and explanation are compared.
``--base-cache FILE`` keeps the base's findings (they do not change while this
checkout is edited).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ROOT = Path(sys.argv[sys.argv.index("--root") + 1]).resolve() if "--root" in sys.argv[:-1] else HERE


def texts(mb: float, mixes: int) -> dict[str, str]:
    """The named texts: the generators of the checkout measured (bench_detect,
    tests/tablegen.py: the same in both), the corpora of this one."""
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    from bench_detect import clean_message
    from bench_detect_tables import sized
    from bench_mix import csv_blotter

    from tests.tablegen import dirty_csv, trade_csv

    rng = random.Random(7)
    out: dict[str, str] = {
        "bench:clean-csv": sized(trade_csv, mb),
        "bench:clean-tsv": sized(lambda n: trade_csv(n, sep="\t"), mb),
        "bench:dirty-csv": sized(dirty_csv, mb),
        "bench:prose": sized(lambda n: "\n".join(clean_message(rng) for _ in range(n)), mb),
        # the mix's CSV trade blotter (bench_files.py --blotters: ACC- codes, CUSIPs, order numbers)
        "bench:blotter-csv": csv_blotter(mb).decode(),
    }
    corpus: list[str] = []
    for name in ("corpus.jsonl", "bd_corpus.jsonl"):
        for i, line in enumerate((HERE / "tests" / "data" / name).read_text(encoding="utf-8").splitlines()):
            if line.strip():
                t = json.loads(line)["text"]
                out[f"{name}:{i}"] = t
                corpus.append(t)
    r = random.Random(15)
    for i in range(20):
        sep = r.choice([",", "\t", ";", "|"])
        out[f"tablegen:trade:{i}"] = trade_csv(r.randint(1, 400), seed=i, sep=sep)
        out[f"tablegen:dirty:{i}"] = dirty_csv(r.randint(1, 400), seed=i, every=r.randint(1, 30))[0]
    for i in range(mixes):
        k = r.randint(2, 40)
        picked = [r.choice(corpus) for _ in range(k)]
        shape = r.randrange(4)
        if shape == 0:
            doc = "\n".join(picked)
        elif shape == 1:
            doc = " ".join(picked)
        elif shape == 2:
            sep = r.choice([",", "\t"])
            rows = [sep.join(["id", "name", "note", "amount"])]
            for j, t in enumerate(picked):
                cell = t.replace("\n", " ")
                if sep == ",":
                    cell = '"' + cell.replace('"', '""') + '"'
                rows.append(sep.join([str(1000 + j), r.choice(["Ann Lee", "Bo Wu"]), cell,
                                      f"{r.randint(1, 99999)}.{r.randint(0, 99):02d}"]))
            doc = "\n".join(rows) + "\n"
        else:
            # past the detection window: the same texts repeated with clean chat between
            filler = "\n".join(clean_message(r) for _ in range(r.randint(50, 400)))
            doc = "\n".join(picked[: k // 2]) + "\n" + filler + "\n" + "\n".join(picked[k // 2 :])
        out[f"mix:{i}"] = doc
    return out


def dump(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    from dlp_proxy.detect import build_detector

    engine = build_detector(ROOT / "config", ner=False)
    result: dict[str, object] = {}
    t0 = time.process_time()
    for name, text in texts(args.mb, args.mixes).items():
        try:
            found = engine.analyze(text)
        except Exception as exc:  # a limit error is a result too
            result[name] = f"error: {type(exc).__name__}: {exc}"
            continue
        result[name] = sorted(
            [f.entity_type, f.start, f.end, round(f.score, 6), f.recognizer, list(f.transforms), f.explanation]
            for f in found
        )
    Path(args.dump).write_text(json.dumps(result), encoding="utf-8")
    print(f"{ROOT}: {len(result)} texts, {time.process_time() - t0:.1f} s CPU", file=sys.stderr)
    return 0


def run(root: Path, out: Path, args: argparse.Namespace) -> dict[str, object]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--root", str(root), "--dump", str(out),
           "--mb", str(args.mb), "--mixes", str(args.mixes)]
    subprocess.run(cmd, cwd=root, env={**os.environ, "PYTHONPATH": str(root)}, check=True)
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-root", type=Path)
    ap.add_argument("--base-cache", type=Path, help="reuse (or write) the base's findings here")
    ap.add_argument("--mb", type=float, default=1.0)
    ap.add_argument("--mixes", type=int, default=300)
    ap.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--dump", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.dump:
        return dump(args)
    if args.base_root is None:
        ap.error("--base-root is required")
    tag = f"{args.mb}-{args.mixes}"
    cache = args.base_cache
    if cache is not None and cache.exists() and json.loads(cache.read_text())["tag"] == tag:
        base = json.loads(cache.read_text())["found"]
    else:
        base = run(args.base_root.resolve(), Path(f"/tmp/diff-findings-base-{os.getpid()}.json"), args)
        if cache is not None:
            cache.write_text(json.dumps({"tag": tag, "found": base}))
    this = run(HERE, Path(f"/tmp/diff-findings-this-{os.getpid()}.json"), args)
    differ = [name for name in base if base[name] != this.get(name)]
    total = sum(len(v) for v in base.values() if isinstance(v, list))
    print(f"{len(base)} texts, {total} findings in the base; {len(differ)} texts differ")
    for name in differ[:20]:
        b, t = base[name], this.get(name)
        print(f"  {name}:")
        if isinstance(b, list) and isinstance(t, list):
            bs, ts = {json.dumps(x) for x in b}, {json.dumps(x) for x in t}
            for x in sorted(bs - ts)[:5]:
                print(f"    base only: {x}")
            for x in sorted(ts - bs)[:5]:
                print(f"    this only: {x}")
        else:
            print(f"    base {str(b)[:200]} / this {str(t)[:200]}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
