"""`dlp-proxy policy check|test|replay|hash-value` (docs/policy.md)."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from dlp_proxy.interfaces import Detector
from dlp_proxy.policy.engine import Policy, load_policy
from dlp_proxy.policy.schema import PolicyError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("policy", help="validate, test and measure policy changes")
    sub = p.add_subparsers(dest="policy_command", metavar="SUBCOMMAND")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    c = sub.add_parser("check", help="validate a policy file and show what changed")
    c.add_argument("file", type=Path)
    c.add_argument(
        "--against", type=Path, help="compare with this policy (default: the installed policy.yaml)"
    )
    c.set_defaults(func=cmd_check)

    t = sub.add_parser("test", help="run expected-decision cases against a policy")
    t.add_argument("file", type=Path)
    t.add_argument("--cases", type=Path, required=True)
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_test)

    r = sub.add_parser(
        "replay", help="re-judge archived decisions and a labelled corpus with a candidate policy"
    )
    r.add_argument("--policy", type=Path, required=True, help="candidate policy file")
    r.add_argument(
        "--against", type=Path, help="running policy for the corpus comparison (default: installed)"
    )
    r.add_argument("--archive", type=Path, help="archive directory (default: $DLP_DATA_DIR/archive)")
    r.add_argument("--no-archive", action="store_true", help="only replay the corpus")
    r.add_argument("--since", help="ISO 8601 time or epoch seconds")
    r.add_argument("--until", help="ISO 8601 time or epoch seconds")
    r.add_argument("--corpus", type=Path, help='labelled JSONL: {"text", "expect": "stop"|"allow"}')
    r.add_argument("--rescan", action="store_true", help="re-run the detector over retained content")
    r.add_argument("--limit", type=int, default=50, help="changes to list (default 50; all with --json)")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_replay)

    h = sub.add_parser("hash-value", help="hash an allow-listed value read from stdin")
    h.add_argument("--keyed", action="store_true", help="also print the hmac: form (installation hash key)")
    h.set_defaults(func=cmd_hash_value)


def _default_policy_path() -> Path:
    from dlp_proxy.settings import config_dir

    return config_dir() / "policy.yaml"


def _build_detector() -> Detector:
    detector: Detector = importlib.import_module("dlp_proxy.detect").build_detector()
    return detector


def _load(path: Path) -> Policy | None:
    try:
        return load_policy(path)
    except PolicyError as exc:
        print(f"INVALID {path}", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return None


def cmd_check(args: argparse.Namespace) -> int:
    from dlp_proxy.policy.versions import diff_policies

    new = _load(args.file)
    if new is None:
        return 1
    print(f"OK {args.file}: {len(new.rules)} rules, {len(new.exceptions)} exceptions, version {new.version}")
    against = args.against or _default_policy_path()
    if against.resolve() == args.file.resolve():
        return 0
    try:
        old = load_policy(against)
    except PolicyError as exc:
        print(f"(running policy {against} is itself invalid: {exc.first}; no comparison)")
        return 0
    print(f"changes against {against}:")
    for line in diff_policies(old, new).lines():
        print(f"  {line}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from dlp_proxy.policy.cases import run_cases

    policy = _load(args.file)
    if policy is None:
        return 1
    try:
        results = run_cases(policy, args.cases, _build_detector)
    except PolicyError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    failed = [r for r in results if not r.ok]
    if args.json:
        print(json.dumps([r.__dict__ for r in results], indent=2))
    else:
        for r in results:
            mark = "PASS" if r.ok else "FAIL"
            detail = f"expected {r.expected}" + (f" by {r.expected_rule}" if r.expected_rule else "")
            got = f"got {r.actual}" + (f" by {r.actual_rule}" if r.actual_rule else "")
            line = f"{mark} {r.name}: {detail}, {got}"
            if r.error:
                line += f" ({r.error})"
            print(line)
        print(f"{len(results) - len(failed)}/{len(results)} cases pass (policy {policy.version})")
    return 1 if failed or not results else 0


def cmd_replay(args: argparse.Namespace) -> int:
    from dlp_proxy.policy.replay import replay_corpus, replay_records
    from dlp_proxy.progress import counted, progress

    candidate = _load(args.policy)
    if candidate is None:
        return 1
    out: dict[str, Any] = {"policy": str(args.policy), "policy_version": candidate.version}
    detector = _build_detector() if (args.rescan or args.corpus) else None
    if not args.no_archive:
        iter_records = importlib.import_module("dlp_proxy.archive").iter_records
        from dlp_proxy.settings import data_dir

        directory = args.archive or data_dir() / "archive"
        if not Path(directory).is_dir():
            print(f"no archive at {directory} (use --archive DIR or --no-archive)", file=sys.stderr)
            return 1
        records = iter_records(Path(directory), since=args.since, until=args.until, decrypt=True)
        with progress("policy replay", enabled=not args.json) as advance:
            report = replay_records(candidate, counted(records, advance), detector=detector if args.rescan else None)
        out["archive"] = report.to_json()
        if not args.json:
            print(
                f"archive {directory}: {report.records} records, {report.evaluated} re-judged "
                f"({', '.join(f'{k} {v}' for k, v in sorted(report.by_basis.items())) or 'none'}), "
                f"{report.skipped} skipped"
            )
            for (a, b), n in sorted(report.transitions.items()):
                print(f"  {a:>10} -> {b:<10} {n}{'' if a == b else '   CHANGED'}")
            print(f"{len(report.changes)} decisions would change")
            for c in report.changes[: args.limit]:
                print(
                    f"  {c.time} {c.request_id}: {c.old_action} ({c.old_rule or '-'}) -> "
                    f"{c.new_action} ({c.new_rule or '-'}) {','.join(c.entity_types)} "
                    f"{('~' + c.channel) if c.channel else ''} [{c.basis}]"
                )
    if args.corpus:
        running_path = args.against or _default_policy_path()
        running = _load(running_path)
        if running is None:
            return 1
        assert detector is not None
        default_ctx = {
            "route": "posts.create",
            "route_group": "posts",
            "channel_type": "O",
            "channel_id": "replay",
            "user_id": "replay",
        }
        with open(args.corpus, encoding="utf-8") as f, progress(
            "corpus replay", enabled=not args.json, unit="lines"
        ) as advance:
            corpus = replay_corpus(
                {"running": running, "candidate": candidate}, counted(f, advance), detector,
                default_context=default_ctx,
            )
        out["corpus"] = {
            "lines": corpus.lines,
            "running": corpus.metrics("running"),
            "candidate": corpus.metrics("candidate"),
            "changed": corpus.changed,
        }
        if not args.json:
            print(f"corpus {args.corpus}: {corpus.lines} lines")
            for label in ("running", "candidate"):
                m = corpus.metrics(label)
                print(
                    f"  {label:>9}: precision {m['precision']:.4f} recall {m['recall']:.4f} "
                    f"(tp {m['tp']} fp {m['fp']} fn {m['fn']} tn {m['tn']})"
                )
            print(f"{len(corpus.changed)} corpus decisions would change")
            for ch in corpus.changed[: args.limit]:
                print(f"  line {ch['line']} (expect {ch['expect']}): {ch['running']} -> {ch['candidate']}")
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        arch = out.get("archive") or {}
        print(f"policy replay: {candidate.version}: {arch.get('evaluated', 0)} archive records re-judged, "
              f"{len(arch.get('changes', []))} would change; "
              f"{len(out['corpus']['changed']) if 'corpus' in out else 0} corpus decisions would change")
    return 0


def cmd_hash_value(args: argparse.Namespace) -> int:
    from dlp_proxy.policy.values import hmac_form, normalize_value, sha256_form

    value = sys.stdin.read().strip()
    if not normalize_value(value):
        print("no value on stdin (letters or digits)", file=sys.stderr)
        return 2
    print(sha256_form(value))
    if args.keyed:
        from dlp_proxy.keys import load_key

        print(hmac_form(value, load_key("hash", create=False)))
    return 0
