"""File extraction throughput per core, and detection over the extracted text
against a loop of stock Presidio.

    .venv/bin/python bench/bench_files.py [--mb 20] [--pages 100] [--presidio-chars 200000]
    .venv/bin/python bench/bench_files.py --mix [--repeat 3] [--posts-seconds 10] [--mix-files 120]
    .venv/bin/python bench/bench_files.py --blotters [--base-root /tmp/base] [--rounds 2] [--only blotter-1mb.csv ...]
    .venv/bin/python bench/bench_files.py --same-findings --base-root /tmp/base [--csv-mb 1 5 20] [--xlsx-rows 20000]

``--mix``: the uploads people really make (screenshots of chat, web pages, spreadsheets
and PDFs; phone photos; scanned and born-digital PDFs; Office files old and new;
Outlook messages; CSV and XLSX blotters of 1-20 MB with dates and ids), all clean.
Each is judged as the gateway's file worker judges it (extract, detect every segment,
the shipped policy in a public channel, the uninspected outcome), in this one process:
files/s per core, p50/p99 inspection time per type, and the share of these clean
uploads that would be held or blocked.  Then, unless ``--posts-seconds 0``, a real
gateway: the p99 of clean posts (wrk, 16 connections) alone and while screenshots and
photos are uploaded and OCR'd back to back (bench/bench_gateway.py's machinery).

``--blotters``: CPU seconds (``time.process_time``) of the XLSX and CSV blotters of the
mix (and an Excel-style XLSX blotter: dates, number formats, shared strings, formulas,
a hidden column), each read in a fresh process of this checkout and of ``--base-root``,
alternating: extraction alone (``extract``, no time limit; the best of ``--rounds``)
and, once, the file worker's whole job (``filescan._job``: extraction and detection of
every segment, no wall time bound: CPU is what is measured), with the segments and
characters each reading gave, and whether both checkouts' findings are the same (a
digest of every finding, in order: type, span, score, recognizer, explanation).

``--same-findings``: every finding of this checkout and of ``--base-root``, compared one by
one (the first difference printed), over tests/data/corpus.jsonl and bd_corpus.jsonl,
tests/tablegen.py's and other generated tables (account words, labels, routing numbers and
CUSIPs in rows and headers) and the mix's CSV and XLSX blotters, judged by
``filescan._job`` without a time limit.

Runs in one process (one core).  Prints MB/s for CSV/text extraction, pages/s for
PDF extraction, and, if dlp_proxy.detect.build_detector is importable, chars/s of
our detector and of a stock presidio AnalyzerEngine (default recognizers, a blank
spaCy English pipeline: nothing is downloaded) over the same extracted text.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import filegen

from dlp_proxy.files import extract, iter_text_windows


def make_csv(mb: float) -> bytes:
    rnd = random.Random(7)
    rows = ["id,name,account,ssn,notes"]
    size = 0
    i = 0
    while size < mb * 1024 * 1024:
        i += 1
        ssn = f"536-22-{rnd.randrange(10000):04d}" if i % 33 == 0 else ""
        row = f"{i},Client {i},ACCT{rnd.randrange(10**8):08d},{ssn},quarterly review of holdings and suitability"
        rows.append(row)
        size += len(row) + 1
    return ("\n".join(rows) + "\n").encode()


def timed(fn, repeat: int = 1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


_BLOTTER_JOB = r"""
import hashlib, json, os, sys, time
root, path, mode = sys.argv[1:4]
sys.path.insert(0, root)
from dlp_proxy.files import Limits, extract
data = open(path, "rb").read()
limits = Limits(max_seconds=3600, max_wall_seconds=36000)  # CPU is measured: no wall bound on a loaded host
if mode == "job":
    from dlp_proxy.detect import build_detector
    from dlp_proxy.gateway import filescan
    filescan._worker_detector = build_detector(None, ner=False)
    filescan._worker_detector.analyze("warm up 123")
    started = time.process_time()
    ex, found = filescan._job(data, os.path.basename(path), limits, None)
    cpu = time.process_time() - started
    findings = sum(len(f) for f in found)
    digest = hashlib.sha256()
    for i, fs in enumerate(found):
        for f in fs:
            digest.update(f"{i} {f!r}\n".encode())
    digest = digest.hexdigest()
else:
    started = time.process_time()
    ex = extract(data, filename=os.path.basename(path), limits=limits)
    cpu = time.process_time() - started
    findings, digest = 0, ""
print(json.dumps({"cpu": cpu, "segments": len(ex.segments), "chars": sum(len(s.text) for s in ex.segments),
                  "findings": findings, "digest": digest, "problems": ex.problems}))
"""


def run_blotters(base_root: str, rounds: int, only: list[str] | None = None) -> int:
    import json
    import subprocess
    import tempfile

    from bench_mix import csv_blotter, xlsx_blotter

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    from tests.test_files_xlsx_fast import blotter as excel_blotter

    here = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    roots = [("now", here)] + ([("base", os.path.abspath(base_root))] if base_root else [])
    files = [("blotter-1mb.xlsx", lambda: xlsx_blotter(20_000)), ("blotter-5mb.xlsx", lambda: xlsx_blotter(100_000)),
             ("excel-blotter.xlsx", lambda: excel_blotter(40_000)), ("blotter-1mb.csv", lambda: csv_blotter(1)),
             ("blotter-5mb.csv", lambda: csv_blotter(5))]
    if only:
        files = [(name, make) for name, make in files if name in only]
    print(f"# {platform.processor() or platform.machine()} python {platform.python_version()} cpus={os.cpu_count()} "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in files:
            path = os.path.join(tmp, name)
            with open(path, "wb") as fh:
                fh.write(make())
            size = os.path.getsize(path) / 1e6
            for mode in ("extract", "job"):
                got: dict[str, list[dict]] = {label: [] for label, _ in roots}
                for _ in range(rounds if mode == "extract" else 1):
                    for label, root in roots:
                        env = dict(os.environ, PYTHONPATH=root, OMP_THREAD_LIMIT="1")
                        out = subprocess.run([sys.executable, "-c", _BLOTTER_JOB, root, path, mode], env=env,
                                             capture_output=True, text=True, check=True, cwd=root)
                        got[label].append(json.loads(out.stdout.strip().splitlines()[-1]))
                cells = []
                for label, _ in roots:
                    runs = got[label]
                    best = min(r["cpu"] for r in runs)
                    r = runs[0]
                    cells.append(f"{label} {best:.2f} s ({r['segments']} segments, {r['chars'] / 1e6:.2f} Mchars"
                                 + (f", {r['findings']} findings" if mode == "job" else "")
                                 + (f", problems {r['problems']}" if r["problems"] else "") + ")")
                ratio = ""
                if len(roots) == 2:
                    ratio = f"  now/base x{min(r['cpu'] for r in got['now']) / min(r['cpu'] for r in got['base']):.2f}"
                    if mode == "job":  # every finding (type, span, score, recognizer, explanation) in order
                        same = got["now"][0]["digest"] == got["base"][0]["digest"]
                        ratio += f", findings {'the same' if same else 'DIFFER'}"
                print(f"{name} {size:.1f} MB {mode}: " + " | ".join(cells) + ratio, flush=True)
    return 0


_FINDINGS_JOB = r"""
import json, os, random, sys
root, out, data_dir = sys.argv[1:4]
sys.path.insert(0, root)
sys.path.insert(0, os.path.join(root, "tests"))
from dlp_proxy.detect import build_detector
from dlp_proxy.files import Limits
from dlp_proxy.gateway import filescan
import tablegen
engine = build_detector(None, ner=False)
filescan._worker_detector = engine
with open(out, "w") as w:
    def emit(tag, found):
        for f in found:
            w.write(f"{tag}\t{f!r}\n")
        w.write(f"{tag}\tcount={len(found)}\n")
    for name in ("corpus.jsonl", "bd_corpus.jsonl"):
        with open(os.path.join(data_dir, name)) as fh:
            for i, line in enumerate(fh):
                emit(f"{name}:{i}", engine.analyze(json.loads(line)["text"]))
    tables = [tablegen.trade_csv(2000), tablegen.trade_csv(500, sep="\t"), tablegen.trade_csv(300, seed=3, sep=";"),
              tablegen.dirty_csv(3000)[0], tablegen.dirty_csv(400, every=7)[0], tablegen.dirty_csv(200, every=1)[0]]
    rnd = random.Random(5)
    for k in range(4):  # account words, labels, routing numbers and CUSIPs in the rows and headers
        rows = ["client,acct no,routing,balance,note" if k % 2 else "id,account,ssn,amount,memo"]
        for i in range(400):
            acct = str(rnd.randrange(10**7, 10**10))
            note = rnd.choice([f"acct {acct}", "wire to account", "bot 100 037833100 @ 99", "cusip 594918104",
                               f"a/c {acct[:8]}", f"chk# {acct}", f"acount {acct}", ""])
            rows.append(f"{i},{acct},{rnd.choice(['021000021', '011000015', '123456789'])},"
                        f"{rnd.randrange(10**6)}.{rnd.randrange(100):02d},{note}")
        tables.append("\n".join(rows) + "\n")
        tables.append("Notes: account 48291037 and acct 1234567890.\n" + "\n".join(rows[:60]) + "\nafter: a/c 99887766\n")
    for i, text in enumerate(tables):
        emit(f"table:{i}", engine.analyze(text))
    for path in sys.argv[4:]:
        with open(path, "rb") as fh:
            data = fh.read()
        ex, found = filescan._job(data, os.path.basename(path), Limits(max_seconds=36000, max_wall_seconds=36000), None)
        for j, (seg, fs) in enumerate(zip(ex.segments, found, strict=True)):
            emit(f"{os.path.basename(path)}:{j}:{seg.location}", fs)
"""


def run_same_findings(base_root: str, csv_mb: list[float], xlsx_rows: list[int]) -> int:
    """Every finding of this checkout and of ``base_root``, one by one, over the corpora,
    generated tables and the given blotters (no time limit): 0 when they are the same."""
    import subprocess
    import tempfile

    from bench_mix import csv_blotter, xlsx_blotter

    here = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for mb in csv_mb:
            paths.append(os.path.join(tmp, f"blotter-{mb:g}mb.csv"))
            with open(paths[-1], "wb") as fh:
                fh.write(csv_blotter(mb))
        for rows in xlsx_rows:
            paths.append(os.path.join(tmp, f"blotter-{rows}.xlsx"))
            with open(paths[-1], "wb") as fh:
                fh.write(xlsx_blotter(rows))
        outs = []
        for label, root in (("now", here), ("base", os.path.abspath(base_root))):
            out = os.path.join(tmp, f"{label}.txt")
            env = dict(os.environ, PYTHONPATH=root, OMP_THREAD_LIMIT="1")
            subprocess.run([sys.executable, "-c", _FINDINGS_JOB, root, out, os.path.join(here, "tests", "data"), *paths],
                           env=env, check=True, cwd=root)
            with open(out) as fh:
                outs.append(fh.read().splitlines())
    now, base = outs
    counted = sum(1 for line in now if "\tcount=" not in line)
    print(f"now {counted} findings in {len(now) - counted} texts and segments; base "
          f"{sum(1 for line in base if chr(9) + 'count=' not in line)}")
    for i, (a, b) in enumerate(zip(now, base, strict=False)):
        if a != b:
            print(f"DIFFER at line {i}:\n  now  {a}\n  base {b}")
            return 1
    if len(now) != len(base):
        print(f"DIFFER: {len(now)} lines against {len(base)}")
        return 1
    print("the same findings, one by one")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20)
    ap.add_argument("--pages", type=int, default=100)
    ap.add_argument("--presidio-chars", type=int, default=200_000)
    ap.add_argument("--mix", action="store_true", help="the realistic upload mix (see the module docstring)")
    ap.add_argument("--repeat", type=int, default=3, help="--mix: judgements of each file")
    ap.add_argument("--posts-seconds", type=float, default=10, help="--mix: wrk run length; 0 skips the gateway part")
    ap.add_argument("--rounds", type=int, default=3, help="--mix: alternating alone/during-OCR pairs; --blotters: readings of each file per checkout")
    ap.add_argument("--posts-only", action="store_true", help="--mix: only the clean-post p99 part")
    ap.add_argument("--only", nargs="*", default=None, help="--mix, --blotters: only these files (names)")
    ap.add_argument("--mix-files", type=int, default=0,
                    help="--mix: this many files in all, the 24 fixed ones then generated everyday uploads "
                         "(bench_mix.generated_uploads, deterministic)")
    ap.add_argument("--blotters", action="store_true", help="CPU per blotter file, this checkout and --base-root")
    ap.add_argument("--base-root", default="", help="--blotters, --same-findings: another checkout to compare with")
    ap.add_argument("--same-findings", action="store_true",
                    help="every finding of this checkout and --base-root over the corpora, generated tables and blotters")
    ap.add_argument("--csv-mb", type=float, nargs="*", default=[1, 5], help="--same-findings: CSV blotters (MB)")
    ap.add_argument("--xlsx-rows", type=int, nargs="*", default=[20_000], help="--same-findings: XLSX blotters (rows)")
    args = ap.parse_args()
    if args.same_findings:
        return run_same_findings(args.base_root, args.csv_mb, args.xlsx_rows)
    if args.blotters:
        return run_blotters(args.base_root, max(1, args.rounds), args.only)
    if args.mix:
        from bench_mix import run_mix

        return run_mix(args)
    print(f"# {platform.processor() or platform.machine()} python {platform.python_version()} cpus={os.cpu_count()}")

    csv = make_csv(args.mb)
    secs, ex = timed(lambda: extract(csv), 3)
    mb = len(csv) / 1e6
    print(f"csv extract: {mb:.1f} MB in {secs:.3f}s = {mb / secs:.1f} MB/s per core ({len(ex.segments)} segments)")

    xlsx = filegen.xlsx_document()
    secs_x, _ = timed(lambda: extract(xlsx), 5)
    print(f"small xlsx extract: {secs_x * 1000:.1f} ms")

    pdf = filegen.pdf_pages(args.pages)
    secs_p, pex = timed(lambda: extract(pdf), 1)
    print(f"pdf extract: {args.pages} pages ({len(pdf) / 1e6:.2f} MB) in {secs_p:.2f}s = {args.pages / secs_p:.1f} pages/s per core")

    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    class BlankSpacy(SpacyNlpEngine):
        def load(self) -> None:
            self.nlp = {"en": spacy.blank("en")}

    from presidio_analyzer import RecognizerRegistry

    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    nlp = BlankSpacy(models=[{"lang_code": "en", "model_name": "blank"}])
    engine = AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])
    # (built before dlp_proxy.detect is imported: importing it changes presidio's
    # predefined recognizer loading in this version, see the report)

    try:
        from dlp_proxy.detect import build_detector  # type: ignore[attr-defined]
    except Exception:
        try:
            from dlp_proxy.detect.engine import build_detector
        except Exception as exc:
            print(f"detection: skipped (build_detector not importable: {exc})")
            return 0
    detector = build_detector(ner=False)
    text_windows = [w.text for w in iter_text_windows(ex)]
    total_chars = sum(len(t) for t in text_windows)
    detector.analyze(text_windows[0])  # warm up
    t = time.perf_counter()
    ours = sum(len(detector.analyze(w)) for w in text_windows)
    ours_secs = time.perf_counter() - t
    ours_rate = total_chars / ours_secs
    print(f"ours detect over csv text: {total_chars / 1e6:.1f} Mchars in {ours_secs:.2f}s = {ours_rate / 1e6:.2f} Mchars/s, {ours} findings")
    end_to_end = len(csv) / (secs + ours_secs)
    print(f"ours extract+detect csv: {end_to_end / 1e6:.2f} MB/s per core")

    sample, n = [], 0
    for w in text_windows:
        sample.append(w)
        n += len(w)
        if n >= args.presidio_chars:
            break
    engine.analyze(text=sample[0][:1000], language="en")
    t = time.perf_counter()
    theirs = sum(len(engine.analyze(text=w, language="en")) for w in sample)
    p_secs = time.perf_counter() - t
    p_rate = n / p_secs
    print(f"stock presidio over {n / 1e6:.2f} Mchars of the same text: {p_secs:.2f}s = {p_rate / 1e6:.3f} Mchars/s, {theirs} findings")
    print(f"ratio ours/presidio (detection chars/s): {ours_rate / p_rate:.1f}x")

    pdf_text = [w.text for w in iter_text_windows(pex)]
    t = time.perf_counter()
    for w in pdf_text:
        detector.analyze(w)
    pd_secs = time.perf_counter() - t
    print(f"ours extract+detect pdf: {args.pages / (secs_p + pd_secs):.1f} pages/s per core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
