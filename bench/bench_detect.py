"""Detection engine vs stock Presidio on the same chat mix, in one run.

    .venv/bin/python bench/bench_detect.py [--messages 1000] [--pii-share 0.03] [--json]

Stock Presidio = ``AnalyzerEngine`` with its default recognizers and the same spaCy
model (en_core_web_sm, from the ``ner`` extra) when installed; without a model
both engines get a blank spaCy tokenizer (and stock Presidio then has no NER),
which the output says.  Nothing is downloaded: the spaCy model is loaded from the
installed package and tldextract (used by Presidio's email recognizer) is pointed
at its bundled suffix-list snapshot.

Messages: about 200 characters each.  Clean ones are ordinary business chat, a
third of them carrying harmless numbers (times, prices, tickets, versions);
PII-bearing ones carry an identifier (SSN, card, account+routing, IBAN) in
varied phrasing.  Prints per-engine throughput, p50/p99 per message for clean
and PII messages, the throughput ratio, and this engine's CPU time per clean message
(best of ``--cpu-rounds`` passes: the figure to compare between commits on a shared
machine, e.g. against a checkout of an earlier commit run the same way).

Every engine first reads the same 40 identifier messages of its own; this engine is
also warmed as the gateway warms every detector it builds (``filescan.warm_detector``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "data"))

CLEAN_SENTENCES = [
    "Hey team, quick reminder that the quarterly review moved to Thursday afternoon.",
    "Please bring the updated onboarding checklist and the compliance training notes.",
    "Markets were choppy this morning but the desk handled the flow well.",
    "Can someone take a look at the draft client letter before it goes out?",
    "I'll be out of office on Friday, Sam is covering my book.",
    "The Fed minutes are in the shared drive if anyone wants to skim them.",
    "Thanks all for the great work on the migration, it went smoothly.",
    "Let's sync after lunch about the new account opening workflow.",
    "Reminder: annual attestation is due by the end of the month.",
    "Who has the latest version of the best-execution deck?",
    "Client asked about rebalancing into more fixed income, I'll follow up.",
    "Heads up, the VPN will be down for maintenance tonight.",
]
NUMBERY = [
    "Call moved to 3:30pm ET, dial-in is the usual bridge.",
    "SPX closed at 5,948.71, up 0.4% on the day.",
    "Ticket JIRA-48213 is fixed in v2.14.3, please retest.",
    "Bought 1,500 shares at 182.35, settles T+1.",
    "Invoice INV-2024-00123 was paid on 11/22.",
    "Room 1204 is booked from 10 to 11:30.",
    "The 10-year is at 4.43%, spread to the 2s is 12bps.",
]


def clean_message(rng: random.Random) -> str:
    parts: list[str] = []
    pool = CLEAN_SENTENCES + (NUMBERY if rng.random() < 0.33 else [])
    while sum(len(p) + 1 for p in parts) < 190:
        parts.append(rng.choice(pool))
    return " ".join(parts)[:230]


def pii_message(rng: random.Random) -> str:
    import make_corpus as mc

    mc.R.seed(rng.random())
    core = mc.plain_positive()["text"]
    lead = rng.choice(CLEAN_SENTENCES)
    return f"{lead} {core} {rng.choice(CLEAN_SENTENCES)}"[:260]


def offline_presidio_env() -> None:
    """Presidio without network: tldextract on its bundled snapshot, no spaCy download."""
    import tldextract
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # type: ignore[assignment]

    def no_download(model_name: str) -> None:
        import spacy

        if not spacy.util.is_package(model_name):
            raise RuntimeError(f"spaCy model {model_name} not installed; refusing to download")

    SpacyNlpEngine._download_spacy_model_if_needed = staticmethod(no_download)  # type: ignore[method-assign]


def stock_presidio(model: str | None) -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    if model:
        nlp = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
        nlp.load()
    else:
        import spacy

        from dlp_proxy.detect.engine import _InjectedSpacyEngine

        nlp = _InjectedSpacyEngine(spacy.blank("en"), "blank:en")
    return AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])


def _as_the_gateway_warms(detector: Any) -> Any:
    """``detector`` after the warm-up the gateway gives every detector it builds
    (``filescan.warm_detector``; a checkout without it: as built)."""
    try:
        from dlp_proxy.gateway.filescan import warm_detector
    except ImportError:
        return detector
    warm_detector(detector)
    return detector


def measure(fn: Any, msgs: list[tuple[str, bool]], warm: Sequence[str] = ()) -> dict[str, Any]:
    """Wall time per message over ``msgs``, after ``warm`` (texts of their own: a
    detector's first text with a label of a kind compiles that kind's regexes, 10-500 ms
    once per process, which 9 identifier messages of 300 would each pay as their p50)."""
    for text in [*warm, *(t for t, _ in msgs[:20])]:
        fn(text)  # warm-up
    clean: list[float] = []
    pii: list[float] = []
    t_start = time.perf_counter()
    for text, is_pii in msgs:
        t0 = time.perf_counter()
        fn(text)
        (pii if is_pii else clean).append(time.perf_counter() - t0)
    total = time.perf_counter() - t_start

    def pct(xs: list[float], q: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * q))] * 1e6 if xs else float("nan")

    return {
        "messages": len(msgs),
        "seconds": round(total, 3),
        "msgs_per_s": round(len(msgs) / total, 1),
        "clean_p50_us": round(pct(clean, 0.5), 1),
        "clean_p99_us": round(pct(clean, 0.99), 1),
        "pii_p50_us": round(pct(pii, 0.5), 1),
        "pii_p99_us": round(pct(pii, 0.99), 1),
        "clean_mean_us": round(statistics.mean(clean) * 1e6, 1) if clean else None,
    }


def clean_cpu(fn: Any, msgs: list[tuple[str, bool]], rounds: int) -> float:
    """CPU µs per clean message, the best of ``rounds`` passes over all clean messages
    (process CPU time: less sensitive than wall time to other jobs on a shared machine)."""
    clean = [t for t, pii in msgs if not pii]
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for text in clean:
            fn(text)
        best = min(best, (time.process_time() - t0) / len(clean) * 1e6)
    return round(best, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--pii-share", type=float, default=0.03)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cpu-rounds", type=int, default=5,
                    help="passes over the clean messages for the engine's CPU per clean message (best of)")
    args = ap.parse_args()

    offline_presidio_env()
    from dlp_proxy.detect import build_detector
    from dlp_proxy.detect.engine import ner_package

    rng = random.Random(args.seed)
    msgs = [(pii_message(rng), True) if rng.random() < args.pii_share else (clean_message(rng), False)
            for _ in range(args.messages)]
    model = ner_package()
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "spacy_model": model or "none (blank tokenizer for both; stock Presidio has no NER)",
        "pii_messages": sum(1 for _, p in msgs if p),
        "clean_chars_mean": round(statistics.mean(len(t) for t, p in msgs if not p)),
    }
    warm_rng = random.Random(args.seed + 1)
    warm = [pii_message(warm_rng) for _ in range(40)]  # the same warm-up for every engine
    results["warm_up_pii_messages"] = len(warm)
    stock = stock_presidio(model)
    results["stock_presidio"] = measure(lambda t: stock.analyze(text=t, language="en"), msgs, warm)
    ours_ner = _as_the_gateway_warms(build_detector(ROOT / "config", ner=bool(model)))
    results["engine_ner" if model else "engine"] = measure(ours_ner.analyze, msgs, warm)
    if model:
        ours = _as_the_gateway_warms(build_detector(ROOT / "config", ner=False))
        results["engine_no_ner"] = measure(ours.analyze, msgs, warm)
    for key, eng in (("engine_ner" if model else "engine", ours_ner), ("engine_no_ner", ours if model else None)):
        if eng is not None and args.cpu_rounds > 0:
            results[key]["clean_cpu_us_best"] = clean_cpu(eng.analyze, msgs, args.cpu_rounds)
    base = results["stock_presidio"]["msgs_per_s"]
    for k in ("engine_ner", "engine_no_ner", "engine"):
        if k in results:
            results[k]["ratio_vs_stock"] = round(results[k]["msgs_per_s"] / base, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"machine: {results['machine']}")
    print(f"spaCy model: {results['spacy_model']}")
    print(f"messages: {args.messages} ({results['pii_messages']} with identifiers), clean ~{results['clean_chars_mean']} chars")
    print(f"{'engine':<16} {'msg/s':>9} {'ratio':>6} {'clean p50':>10} {'clean p99':>10} {'pii p50':>10} {'pii p99':>10}  (us)")
    for k in ("stock_presidio", "engine_ner", "engine_no_ner", "engine"):
        if k in results:
            r = results[k]
            print(f"{k:<16} {r['msgs_per_s']:>9.1f} {r.get('ratio_vs_stock', 1.0):>6.1f} {r['clean_p50_us']:>10.1f} "
                  f"{r['clean_p99_us']:>10.1f} {r['pii_p50_us']:>10.1f} {r['pii_p99_us']:>10.1f}")
    for k in ("engine_ner", "engine_no_ner", "engine"):
        if k in results and "clean_cpu_us_best" in results[k]:
            print(f"{k}: CPU per clean message {results[k]['clean_cpu_us_best']:.1f} us "
                  f"(best of {args.cpu_rounds} passes over the clean messages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
