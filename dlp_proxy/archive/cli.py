"""``dlp-proxy archive verify|prove|check-proof|consistency|export|public-key``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dlp_proxy.archive.export import EXPORTERS
from dlp_proxy.archive.format import (
    ORIGIN_PREFIX,
    list_segments,
    load_public_key,
    parse_time,
    public_key_bytes,
)
from dlp_proxy.archive.proofs import ProofError, check_proof, make_consistency_proof, make_inclusion_proof
from dlp_proxy.archive.storage import LocalReplica, S3ObjectLock
from dlp_proxy.archive.verify import WorkerLog, iter_records, load_worker, verify_archive
from dlp_proxy.keys import load_key
from dlp_proxy.settings import data_dir


def _dir(args: argparse.Namespace) -> Path:
    return Path(args.dir) if args.dir else data_dir() / "archive"


def _public_key(args: argparse.Namespace) -> bytes:
    if getattr(args, "public_key", None):
        return load_public_key(Path(args.public_key))
    return public_key_bytes(load_key("archive-signing", create=False))


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", help="archive directory (default: $DLP_DATA_DIR/archive)")
    p.add_argument(
        "--public-key", help="Ed25519 public key file (default: derived from the signing key file)"
    )


def _anchors(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, Any]]]:
    for rep in args.replica or []:
        yield from LocalReplica(Path(rep)).checkpoints()
    if args.s3_bucket:
        yield from _s3(args).checkpoints()


def _s3(args: argparse.Namespace) -> S3ObjectLock:
    kw: dict[str, Any] = {}
    if args.s3_endpoint_url:
        kw["endpoint_url"] = args.s3_endpoint_url
    return S3ObjectLock(args.s3_bucket, prefix=args.s3_prefix, **kw)


def cmd_verify(args: argparse.Namespace) -> int:
    directory = _dir(args)
    try:
        pub = _public_key(args)
    except Exception as exc:
        print(f"archive verify: no public key: {exc}", file=sys.stderr)
        return 2
    report = verify_archive(directory, pub, live=args.live, anchors=list(_anchors(args)))
    # Sealed segments kept in a replica must be byte-identical to the local ones.
    for rep in args.replica or []:
        for copy in LocalReplica(Path(rep)).segment_copies():
            local = directory / copy.name
            if not local.exists():
                report.problems.append(
                    _problem(copy.name, f"segment {copy.name} is in the replica but deleted locally")
                )
            elif local.read_bytes() != copy.read_bytes():
                report.problems.append(
                    _problem(copy.name, f"segment {copy.name} differs from its replica copy")
                )
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if not report.ok:
        for p in report.problems:
            print(f"FAIL {p}")
        print(
            f"archive verify: {len(report.problems)} problem(s) in {directory}; first: {report.problems[0]}"
        )
        return 1
    for name, wl in report.workers.items():
        last = wl.checkpoints[-1] if wl.checkpoints else None
        print(
            f"ok worker {name}: {len(wl.leaves)} records, {wl.segments} segment(s), {len(wl.checkpoints)} checkpoints"
            + (f", root {last.root.hex()} at size {last.size}" if last else "")
        )
    print(
        f"archive verify: OK, {report.records} records in {len(report.workers)} worker log(s) under {directory}"
    )
    return 0


def _problem(where: str, what: str) -> Any:
    from dlp_proxy.archive.verify import Problem

    return Problem("-", where, what)


def _load_all(directory: Path, pub: bytes) -> dict[str, WorkerLog]:
    out = {}
    for worker, segs in list_segments(directory).items():
        out[worker] = load_worker(directory, worker, segs, pub, live=True)
    return out


def cmd_prove(args: argparse.Namespace) -> int:
    directory = _dir(args)
    pub = _public_key(args)
    for wl in _load_all(directory, pub).values():
        idx = wl.index_of(args.record_id)
        if idx is None:
            continue
        if wl.problems:
            print(
                f"archive prove: worker {wl.worker}'s log does not verify: {wl.problems[0]}", file=sys.stderr
            )
            return 1
        rec = next(r for r in iter_records(directory) if r.get("record_id") == args.record_id)
        try:
            proof = make_inclusion_proof(wl, rec, pub)
        except ProofError as exc:
            print(f"archive prove: {exc}", file=sys.stderr)
            return 1
        text = json.dumps(proof, indent=2, sort_keys=True)
        if args.out:
            Path(args.out).write_text(text + "\n")
        if args.json or not args.out:
            print(text if args.json else check_proof(proof, pub))
        if not args.json and not args.out:
            print(
                "(use --json or --out FILE for the proof document; `archive check-proof FILE` checks it offline)"
            )
        return 0
    print(f"archive prove: no record {args.record_id!r} in {directory}", file=sys.stderr)
    return 1


def cmd_check_proof(args: argparse.Namespace) -> int:
    proof = json.loads(Path(args.file).read_text())
    try:
        print("proof OK: " + check_proof(proof, _public_key(args)))
    except ProofError as exc:
        print(f"proof INVALID: {exc}")
        return 1
    return 0


def cmd_consistency(args: argparse.Namespace) -> int:
    directory = _dir(args)
    pub = _public_key(args)
    status = 0
    for name, wl in _load_all(directory, pub).items():
        if args.worker and name != args.worker:
            continue
        if wl.problems:
            print(f"FAIL worker {name}: {wl.problems[0]}")
            status = 1
            continue
        if not wl.checkpoints:
            print(f"worker {name}: no checkpoints")
            continue
        by_size = {c.size: c for c in wl.checkpoints}
        old = by_size.get(args.from_size) if args.from_size else wl.checkpoints[0]
        new = by_size.get(args.to_size) if args.to_size else wl.checkpoints[-1]
        if old is None or new is None or old.size > new.size:
            sizes = sorted(by_size)
            print(
                f"worker {name}: --from/--to must be checkpoint sizes with from <= to; have {sizes[:5]}...{sizes[-5:]}"
            )
            status = 2
            continue
        proof = make_consistency_proof(wl, old, new, pub)
        try:
            msg = check_proof(proof, pub)
        except ProofError as exc:
            print(f"FAIL worker {name}: {exc}")
            status = 1
            continue
        if args.json:
            print(json.dumps(proof, indent=2, sort_keys=True))
        print(f"ok {msg}")
    return status


def cmd_export(args: argparse.Namespace) -> int:
    directory = _dir(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for label, value in (("--since", args.since), ("--until", args.until)):
        if value is not None and parse_time(value) is None:
            print(
                f"archive export: {label} {value!r} is not a date/time (ISO 8601 or epoch seconds)",
                file=sys.stderr,
            )
            return 2
    records = iter_records(directory, since=args.since, until=args.until, decrypt=args.decrypt)
    paths = EXPORTERS[args.format](records, out)
    for p in paths:
        print(p)
    return 0


def cmd_public_key(args: argparse.Namespace) -> int:
    pub = public_key_bytes(load_key("archive-signing", create=False))
    if args.out:
        Path(args.out).write_text(pub.hex() + "\n")
    print(pub.hex())
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("archive", help="verify, prove and export the tamper-evident archive")
    sub = p.add_subparsers(dest="archive_command", metavar="SUBCOMMAND", required=True)

    v = sub.add_parser(
        "verify", help="recompute hashes, roots and signatures; exit 1 naming the first bad record"
    )
    _add_common(v)
    v.add_argument(
        "--live", action="store_true", help="tolerate an unsigned/incomplete tail being written right now"
    )
    v.add_argument("--replica", action="append", help="replica directory to cross-check (repeatable)")
    v.add_argument("--s3-bucket", help="S3 Object Lock bucket whose checkpoints must be contained in the log")
    v.add_argument("--s3-prefix", default="dlp-archive/")
    v.add_argument("--s3-endpoint-url")
    v.set_defaults(func=cmd_verify)

    pr = sub.add_parser("prove", help="inclusion proof of a record against a signed checkpoint")
    _add_common(pr)
    pr.add_argument("record_id")
    pr.add_argument("--json", action="store_true", help="print the proof document")
    pr.add_argument("--out", help="write the proof document to a file")
    pr.set_defaults(func=cmd_prove)

    cp = sub.add_parser("check-proof", help="check an inclusion or consistency proof offline")
    cp.add_argument("file")
    cp.add_argument("--public-key", help="Ed25519 public key file (hex, base64 or raw)")
    cp.set_defaults(func=cmd_check_proof)

    c = sub.add_parser("consistency", help="prove the log only grew between two checkpoints")
    _add_common(c)
    c.add_argument("--worker")
    c.add_argument(
        "--from", dest="from_size", type=int, help="tree size of the older checkpoint (default: first)"
    )
    c.add_argument(
        "--to", dest="to_size", type=int, help="tree size of the newer checkpoint (default: latest)"
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_consistency)

    e = sub.add_parser("export", help="export records for compliance pipelines")
    e.add_argument("--dir", help="archive directory (default: $DLP_DATA_DIR/archive)")
    e.add_argument("--format", required=True, choices=sorted(EXPORTERS))
    e.add_argument("--since", help="ISO 8601 or epoch seconds (inclusive)")
    e.add_argument("--until", help="ISO 8601 or epoch seconds (exclusive)")
    e.add_argument("--out", required=True, help="output directory")
    e.add_argument(
        "--decrypt", action="store_true", help="include decrypted message text (needs the content key)"
    )
    e.set_defaults(func=cmd_export)

    k = sub.add_parser("public-key", help="print the checkpoint verification key (hex) for examiners")
    k.add_argument("--out")
    k.set_defaults(func=cmd_public_key)


__all__ = ["ORIGIN_PREFIX", "register"]
