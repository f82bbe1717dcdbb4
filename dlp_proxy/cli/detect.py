"""``dlp-proxy scan`` and ``dlp-proxy eval``.

scan exit codes: 0 the policy would allow, 1 it would stop (block, quarantine or
redact), 2 usage/config error, 3 the input exceeds a detection limit (the
gateway fails closed on it).  ``--jsonl`` batch mode always exits 0 on success.
Values are never printed unless ``--show-values``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from dlp_proxy.interfaces import DLPError
from dlp_proxy.model import SENSITIVE_ENTITIES, ContentItem, Finding, RequestContext, ScannedItem

STOP_ACTIONS = frozenset({"block", "quarantine", "redact"})

Decider = Callable[[Sequence[ScannedItem]], str]


def register(subparsers: Any) -> None:
    scan = subparsers.add_parser("scan", help="detect identifiers in text, a file, stdin or a JSONL batch")
    scan.add_argument("text", nargs="?", help="text to scan, or - for stdin")
    scan.add_argument("--file", type=Path, help="scan this file (documents go through file extraction)")
    scan.add_argument("--jsonl", type=Path, metavar="FILE",
                      help='batch: lines {"id","text"} in, one {"id","decision","findings"} line out each')
    scan.add_argument("--output", "-o", type=Path, help="write --jsonl results here (default stdout)")
    scan.add_argument("--jobs", type=int, default=0, help="processes for --jsonl (default: all cores)")
    scan.add_argument("--json", action="store_true", help="JSON output")
    scan.add_argument("--show-values", action="store_true", help="print the matched values (sensitive!)")
    scan.add_argument("--explain", action="store_true", help="why each finding scored as it did")
    _common(scan)
    scan.set_defaults(func=cmd_scan)

    ev = subparsers.add_parser("eval", help="precision/recall/F1 on a labelled JSONL corpus")
    ev.add_argument("corpus", type=Path)
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--families", action="store_true", help="also print recall / false stops per category/family")
    ev.add_argument("--errors", type=int, default=0, metavar="N",
                    help="list up to N misclassified lines (line number, expected, entity types; no text)")
    _common(ev)
    ev.set_defaults(func=cmd_eval)


def _common(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--ner", dest="ner", action="store_true", default=None, help="require spaCy NER (PERSON)")
    g.add_argument("--no-ner", dest="ner", action="store_false", help="no NER")
    p.add_argument("--config-dir", type=Path, help="directory with recognizers.yaml (default: settings)")
    p.add_argument("--policy", type=Path, help="policy file for the decision (default: the configured policy)")
    p.add_argument("--default-decision", action="store_true",
                   help=f"ignore the policy; stop when any of {', '.join(sorted(SENSITIVE_ENTITIES))} is found")


# ------------------------------------------------------------------ decisions

def fallback_decision(scanned: Sequence[ScannedItem]) -> str:
    """Interim default (issue 2) while no policy engine is installed."""
    return "block" if any(f.entity_type in SENSITIVE_ENTITIES for s in scanned for f in s.findings) else "allow"


def policy_entities(policy_path: Path | None, force_default: bool) -> frozenset[str] | None:
    """The entity types the gateway asks the detector for on a post (None: all)."""
    if force_default:
        return None
    try:
        from dlp_proxy.policy import load_policy  # type: ignore[attr-defined, unused-ignore]
    except ImportError:
        return None
    ents = load_policy(policy_path).required_entities(RequestContext(route="posts.create", route_group="posts"))
    return None if ents is None else frozenset(ents)


def make_decider(policy_path: Path | None, force_default: bool) -> tuple[Decider, str]:
    if force_default:
        return fallback_decision, "default (sensitive entity => block)"
    try:
        from dlp_proxy.policy import load_policy  # type: ignore[attr-defined, unused-ignore]
    except ImportError as exc:
        if policy_path is not None:
            raise DLPError(f"--policy given but the policy engine is not importable: {exc}") from exc
        return fallback_decision, "default (policy engine not installed)"
    engine = load_policy(policy_path)
    ctx = RequestContext(route="posts.create", route_group="posts")

    def decide(scanned: Sequence[ScannedItem]) -> str:
        action = engine.evaluate(scanned, ctx).action
        return str(getattr(action, "value", action))

    return decide, f"policy {getattr(engine, 'version', '?')}"


# ------------------------------------------------------------------ scan

def _finding_json(f: Finding, text: str, show: bool, explain: bool, location: str | None = None) -> dict[str, Any]:
    out = f.to_json()
    if location is not None:
        out["location"] = location
    if explain:
        out["explanation"] = f.explanation
    if show:
        out["value"] = text[f.start : f.end]
    return out


def _read_text_arg(args: argparse.Namespace) -> list[ContentItem]:
    if args.file is not None:
        # read as the gateway reads an upload (dlp_proxy.files.extract): a CSV's formulas,
        # an XML or HTML file's elements, a declared or legacy charset are what its reader
        # shows, not its bytes as UTF-8 text
        data = args.file.read_bytes()
        try:
            from dlp_proxy.files import extract  # type: ignore[attr-defined, unused-ignore]
        except ImportError as exc:
            raise DLPError(f"{args.file}: file extraction is not available ({exc})") from exc
        ex = extract(data, filename=args.file.name)
        if not ex.complete:
            print(f"warning: {args.file}: extraction incomplete: {', '.join(ex.problems)}", file=sys.stderr)
        return [ContentItem(seg.location, seg.text) for seg in ex.segments]
    if args.text is None:
        raise DLPError("give TEXT, - for stdin, --file FILE or --jsonl FILE")
    if args.text == "-":
        raw = sys.stdin.buffer.read()
        return [ContentItem("stdin", raw.decode("utf-8", errors="surrogateescape"))]
    return [ContentItem("text", args.text)]


def _judge_raw(scanned: list[ScannedItem], args: argparse.Namespace) -> list[ScannedItem]:
    """A file's findings as the gateway's file worker keeps them: in a reading of bytes no
    viewer shows as text, only those written there as text (files/rawread.py ``judge_raw``)."""
    from dlp_proxy.detect import build_detector
    from dlp_proxy.files.rawread import RELINE_MAX, is_raw_reading, judge_raw

    if not any(s.findings and is_raw_reading(s.item.path) for s in scanned):
        return scanned
    engine = build_detector(args.config_dir, ner=False)
    relines = [RELINE_MAX]
    return [ScannedItem(s.item, tuple(judge_raw(s.item.path, s.item.text, s.findings, engine.analyze, relines)))
            for s in scanned]


def cmd_scan(args: argparse.Namespace) -> int:
    from dlp_proxy.detect import DetectionLimitError, build_detector, mask

    try:
        decide, decided_by = make_decider(args.policy, args.default_decision)
        if args.jsonl is not None:
            return _scan_jsonl(args, decide)
        items = _read_text_arg(args)
        if len(items) >= 200:  # a large document: all cores
            results = analyze_many([i.text for i in items], args.config_dir, args.ner, 0)
            limits = [r for r in results if isinstance(r, str)]
            if limits:
                raise DetectionLimitError(limits[0])
            scanned = [ScannedItem(i, tuple(r)) for i, r in zip(items, results, strict=True) if not isinstance(r, str)]
        else:
            engine = build_detector(args.config_dir, ner=args.ner)
            scanned = engine.scan(items)
        if args.file is not None:
            scanned = _judge_raw(scanned, args)
    except DetectionLimitError as exc:
        print(f"fail closed: {exc}", file=sys.stderr)
        return 3
    except (DLPError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    decision = decide(scanned)
    multi = len(items) > 1 or (bool(items) and items[0].path not in ("text", "stdin", "file"))
    if args.json:
        findings = [
            _finding_json(f, s.item.text, args.show_values, args.explain, s.item.path if multi else None)
            for s in scanned for f in s.findings
        ]
        print(json.dumps({"decision": decision, "decided_by": decided_by, "findings": findings}))
    else:
        n = 0
        for s in scanned:
            for f in s.findings:
                n += 1
                value = s.item.text[f.start : f.end] if args.show_values else mask(f.entity_type, s.item.text[f.start : f.end])
                where = f"{s.item.path} " if multi else ""
                line = f"{where}{f.entity_type:<20} [{f.start}:{f.end}] score={f.score:.2f} {f.recognizer} {value}"
                if f.transforms:
                    line += f" transforms={'+'.join(f.transforms)}"
                print(line)
                if args.explain:
                    print(f"    {f.explanation}")
        print(f"decision: {decision} ({decided_by}); {n} finding(s)")
    return 1 if decision in STOP_ACTIONS else 0


_WORKER: Any = None


def _worker_init(config_dir: Path | None, ner: bool | None) -> None:
    global _WORKER
    from dlp_proxy.detect import build_detector

    _WORKER = build_detector(config_dir, ner=ner)


def _worker_scan(texts: list[str]) -> list[list[Finding] | str]:
    from dlp_proxy.detect import DetectionLimitError

    out: list[list[Finding] | str] = []
    for t in texts:
        try:
            out.append(_WORKER.analyze(t))
        except DetectionLimitError as exc:
            out.append(str(exc))
    return out


def _chunks(seq: Sequence[str], n: int) -> Iterable[list[str]]:
    for i in range(0, len(seq), n):
        yield list(seq[i : i + n])


def analyze_many(texts: Sequence[str], config_dir: Path | None, ner: bool | None, jobs: int) -> list[list[Finding] | str]:
    """Analyze texts in order; a string result is a DetectionLimitError message.
    Uses a process pool (all cores) for large batches, in-process otherwise."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(texts) < 200:
        _worker_init(config_dir, ner)
        return _worker_scan(list(texts))
    results: list[list[Finding] | str] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(config_dir, ner)) as pool:
        for part in pool.map(_worker_scan, _chunks(texts, 64)):
            results.extend(part)
    return results


def _scan_jsonl(args: argparse.Namespace, decide: Decider) -> int:
    ids: list[Any] = []
    texts: list[str] = []
    with args.jsonl.open(encoding="utf-8", errors="surrogateescape") as fh:
        for no, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                text = obj["text"]
                if not isinstance(text, str):
                    raise TypeError("text must be a string")
            except (ValueError, KeyError, TypeError) as exc:
                raise DLPError(f"{args.jsonl}:{no}: expected {{\"id\", \"text\"}}: {exc}") from exc
            ids.append(obj.get("id", no))
            texts.append(text)
    results = analyze_many(texts, args.config_dir, args.ner, args.jobs)
    out: TextIO = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        for ident, text, res in zip(ids, texts, results, strict=True):
            if isinstance(res, str):
                out.write(json.dumps({"id": ident, "decision": "fail_closed", "error": res, "findings": []}) + "\n")
                continue
            scanned = [ScannedItem(ContentItem("text", text), tuple(res))]
            row = {
                "id": ident,
                "decision": decide(scanned),
                "findings": [
                    {k: v for k, v in _finding_json(f, text, args.show_values, args.explain).items() if k != "transforms"}
                    | ({"transforms": list(f.transforms)} if f.transforms else {})
                    for f in res
                ],
            }
            out.write(json.dumps(row) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


# ------------------------------------------------------------------ eval

def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4), "tp": tp, "fp": fp, "fn": fn}


def _rates(v: list[int]) -> dict[str, Any]:
    return {"lines": v[0], "decision_accuracy": round(v[1] / v[0], 4),
            "recall": round(v[3] / v[2], 4) if v[2] else None, "positives": v[2],
            "false_stop_rate": round(v[5] / v[4], 5) if v[4] else None, "negatives": v[4]}


#: Lines of this category are reported on their own and left out of the overall figures.
AMBIGUOUS = "ambiguous"


def evaluate_corpus(rows: Sequence[dict[str, Any]], engine: Any, decide: Decider,
                    entities: frozenset[str] | None = None) -> dict[str, Any]:
    """Decision and per-entity figures over labelled lines.

    The decision is the one the policy (``decide``) would take: a line "stops" when it
    is blocked, quarantined, redacted or fails closed.  Per category: lines, decision
    accuracy, recall (stopped / expected to stop) and false-stop rate (stopped /
    expected to pass).  Lines of the ``ambiguous`` category are evaluated and reported
    under ``ambiguous`` only: they count in no overall decision or entity figure.
    ``entities`` (the policy's, as the gateway asks) restricts the decision's
    detection; the per-entity figures always come from a full analysis.  Lines
    exported by ``dlp-proxy quarantine verdicts --jsonl`` (``masked``, ``parts``)
    are judged on their recorded findings (their text is masked).
    """
    from dlp_proxy.policy.replay import scanned_from_example

    per: dict[str, list[int]] = {}
    dec = [0, 0, 0, 0]  # tp fp fn tn (positive = stop)
    amb = [0, 0, 0, 0]
    by_cat: dict[str, list[int]] = {}  # lines, correct, stop expected, stopped of those, pass expected, stopped of those
    by_family: dict[str, list[int]] = {}  # the same per "category/family"
    errors: list[dict[str, Any]] = []
    times: list[float] = []
    for no, row in enumerate(rows, 1):
        text = row["text"]
        t0 = time.perf_counter()
        # a reviewer's verdict (quarantine verdicts --jsonl) carries masked text and the
        # detection made when it was held: judged on that, never re-detected
        recorded = scanned_from_example(row)
        try:
            if recorded is not None:
                judged = [f for s in recorded for f in s.findings]
                scanned = recorded
            else:
                judged = engine.analyze(text, entities=entities)
                scanned = [ScannedItem(ContentItem("text", text), tuple(judged))]
            decision = decide(scanned)
        except DLPError:
            judged, decision = [], "fail_closed"
        times.append(time.perf_counter() - t0)  # the gateway's work: the policy's entities, the decision
        try:
            findings = judged if entities is None or recorded is not None else engine.analyze(text)
        except DLPError:
            findings = []
        stop = decision in STOP_ACTIONS or decision == "fail_closed"
        want_stop = row.get("expect") == "stop"
        category = str(row.get("category", "all"))
        counts = amb if category == AMBIGUOUS else dec
        counts[0 if stop and want_stop else 1 if stop else 2 if want_stop else 3] += 1
        cat = by_cat.setdefault(category, [0, 0, 0, 0, 0, 0])
        cat[0] += 1
        cat[1] += int(stop == want_stop)
        cat[2 if want_stop else 4] += 1
        cat[3 if want_stop else 5] += int(stop)
        fam = by_family.setdefault(f"{category}/{row.get('family', '')}", [0, 0, 0, 0, 0, 0])
        fam[0] += 1
        fam[1] += int(stop == want_stop)
        fam[2 if want_stop else 4] += 1
        fam[3 if want_stop else 5] += int(stop)
        found = {f.entity_type for f in findings}
        expected = set(row.get("entities", []))
        if category != AMBIGUOUS:
            for ent in found | expected:
                c = per.setdefault(ent, [0, 0, 0])
                c[0 if ent in found and ent in expected else 1 if ent in found else 2] += 1
        if stop != want_stop or found != expected:
            errors.append({"line": no, "expect": row.get("expect"), "decision": decision, "category": row.get("category"),
                           "family": row.get("family"), "expected": sorted(expected), "found": sorted(found)})
    times.sort()
    n = len(times) or 1
    benign = dec[1] + dec[3]
    report: dict[str, Any] = {
        "lines": len(rows),
        "decision": _prf(dec[0], dec[1], dec[2]) | {"tn": dec[3], "false_stop_rate": round(dec[1] / (benign or 1), 5)},
        "entities": {e: _prf(*c) for e, c in sorted(per.items())},
        "categories": {c: _rates(v) for c, v in sorted(by_cat.items())},
        "families": {f: _rates(v) for f, v in sorted(by_family.items())},
        "ms_per_message": {"mean": round(sum(times) / n * 1000, 4), "p50": round(times[n // 2] * 1000, 4),
                           "p99": round(times[min(n - 1, int(n * 0.99))] * 1000, 4)},
        "errors": errors,
    }
    if sum(amb):
        report[AMBIGUOUS] = _prf(amb[0], amb[1], amb[2]) | {
            "tn": amb[3], "false_stop_rate": round(amb[1] / ((amb[1] + amb[3]) or 1), 5)}
    return report


def cmd_eval(args: argparse.Namespace) -> int:
    from dlp_proxy.detect import build_detector

    try:
        decide, decided_by = make_decider(args.policy, args.default_decision)
        entities = policy_entities(args.policy, args.default_decision)
        engine = build_detector(args.config_dir, ner=args.ner)
        rows = []
        with args.corpus.open(encoding="utf-8") as fh:
            for no, raw in enumerate(fh, 1):
                if raw.strip():
                    try:
                        rows.append(json.loads(raw))
                    except ValueError as exc:
                        raise DLPError(f"{args.corpus}:{no}: {exc}") from exc
    except (DLPError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from dlp_proxy.progress import CountedList, progress

    with progress("eval", total=len(rows), enabled=not args.json, unit="lines") as advance:
        report = evaluate_corpus(CountedList(rows, advance), engine, decide, entities)
    report["decided_by"] = decided_by
    report["ner"] = engine.ner
    errors = report.pop("errors")
    families = report.pop("families")
    if args.families:
        report["families"] = families
    if args.errors:
        report["errors"] = errors[: args.errors]
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    d = report["decision"]
    print(f"corpus: {args.corpus} ({report['lines']} lines); decisions by {decided_by}; NER {'on' if engine.ner else 'off'}")
    print(f"decision (stop)  precision {d['precision']:.4f}  recall {d['recall']:.4f}  F1 {d['f1']:.4f}  "
          f"false-stop rate {d['false_stop_rate']:.4%}  (tp {d['tp']} fp {d['fp']} fn {d['fn']} tn {d['tn']})")
    print(f"{'entity':<20} {'precision':>9} {'recall':>7} {'f1':>7} {'tp':>5} {'fp':>5} {'fn':>5}")
    for ent, m in report["entities"].items():
        print(f"{ent:<20} {m['precision']:>9.4f} {m['recall']:>7.4f} {m['f1']:>7.4f} {m['tp']:>5} {m['fp']:>5} {m['fn']:>5}")
    for cat, m in report["categories"].items():
        line = f"category {cat:<14} lines {m['lines']:>5}  decision accuracy {m['decision_accuracy']:.4f}"
        if m["recall"] is not None:
            line += f"  recall {m['recall']:.4f} ({m['positives']})"
        if m["false_stop_rate"] is not None:
            line += f"  false stops {m['false_stop_rate']:.2%} ({m['negatives']})"
        print(line)
    for fam, m in report.get("families", {}).items():
        line = f"  family {fam:<40} lines {m['lines']:>5}"
        if m["recall"] is not None:
            line += f"  recall {m['recall']:.4f}"
        if m["false_stop_rate"] is not None:
            line += f"  false stops {m['false_stop_rate']:.2%}"
        print(line)
    if AMBIGUOUS in report:
        a = report[AMBIGUOUS]
        print(f"{AMBIGUOUS} (not in the figures above): stopped {a['tp'] + a['fp']} of {a['tp'] + a['fp'] + a['fn'] + a['tn']}; "
              f"as labelled: recall {a['recall']:.4f}, false-stop rate {a['false_stop_rate']:.2%}")
    t = report["ms_per_message"]
    print(f"ms/message: mean {t['mean']:.3f}  p50 {t['p50']:.3f}  p99 {t['p99']:.3f}")
    for e in report.get("errors", []):
        print(f"  line {e['line']}: {e['category']}/{e['family']} expect {e['expect']} got {e['decision']}; "
              f"expected {e['expected']} found {e['found']}")
    print(f"eval: {report['lines']} lines, stop precision {d['precision']:.4f} recall {d['recall']:.4f}, "
          f"{len(errors)} line(s) with a wrong decision or entity set, {t['mean']:.3f} ms/message")
    return 0
