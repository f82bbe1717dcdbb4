"""``dlp-proxy archive verify|prove|check-proof|consistency|export|public-key``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    from dlp_proxy.progress import progress, wanted

    total = (sum(_count_lines(path) for segs in list_segments(directory).values() for _, path in segs)
             if wanted() else None)
    with progress("archive verify", total=total, unit="lines") as advance:
        report = verify_archive(directory, pub, live=args.live, anchors=list(_anchors(args)), progress=advance)
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


def _count_lines(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def _count_records(directory: Path) -> int:
    """How many records the logs hold (lines that are records): the progress bar's total."""
    n = 0
    for segs in list_segments(directory).values():
        for _, path in segs:
            with open(path, "rb") as f:
                n += sum(1 for line in f if line.startswith(b'{"rec"'))
    return n


def _identities(args: argparse.Namespace) -> Any:
    from dlp_proxy.archive.export.identity import MattermostIdentities, StaticIdentities
    from dlp_proxy.archive.export.job import identities_from_manifest

    if args.identities:
        return identities_from_manifest(Path(args.identities).read_bytes())
    if args.format == "jsonl":
        return StaticIdentities({})
    from dlp_proxy.settings import load_settings

    cfg = load_settings()
    url = args.mattermost_url or cfg.export_mattermost_url or cfg.upstream
    # the flag names the environment variable that holds the token (never the token itself)
    token = os.environ.get(args.token_env)
    if not url or not token:
        raise ValueError(
            f"identities come from Mattermost: set --mattermost-url (or DLP_UPSTREAM) and ${args.token_env} "
            "(a system account's token), or --identities FILE from an earlier export"
        )
    return MattermostIdentities(url.rstrip("/"), token)


def _destination(args: argparse.Namespace) -> Any:
    from dlp_proxy.archive.export.delivery import DirectoryDestination, S3Destination, SmtpDestination

    chosen = [x for x in (args.out, args.s3_bucket, args.smtp_host) if x]
    if len(chosen) != 1:
        raise ValueError("give exactly one destination: --out DIR, --s3-bucket B or --smtp-host H")
    if args.out:
        return DirectoryDestination(Path(args.out))
    if args.s3_bucket:
        kw: dict[str, Any] = {"endpoint_url": args.s3_endpoint_url} if args.s3_endpoint_url else {}
        return S3Destination(args.s3_bucket, args.s3_prefix, kw)
    if args.format != "globalrelay":
        raise ValueError("SMTP delivery carries Global Relay EMLs (--format globalrelay)")
    if not args.smtp_to:
        raise ValueError("--smtp-host needs --smtp-to (the Global Relay ingestion address)")
    return SmtpDestination(args.smtp_host, args.smtp_port, args.smtp_to, username=args.smtp_user,
                           password=os.environ.get(args.smtp_password_env), starttls=not args.smtp_plain,
                           cafile=args.smtp_cafile)


def cmd_export(args: argparse.Namespace) -> int:
    from dlp_proxy.archive.export.job import run_export, state_path
    from dlp_proxy.progress import progress, wanted

    directory = _dir(args)
    for label, value in (("--since", args.since), ("--until", args.until)):
        if value is not None and parse_time(value) is None:
            print(
                f"archive export: {label} {value!r} is not a date/time (ISO 8601 or epoch seconds)",
                file=sys.stderr,
            )
            return 2
    if args.incremental and (args.since or args.until):
        # the marks advance over what was read: a time filter could step over a record for good
        print("archive export: --incremental takes no --since/--until", file=sys.stderr)
        return 2
    try:
        dest = _destination(args)
        ids = _identities(args)
    except (ValueError, OSError) as exc:
        print(f"archive export: {exc}", file=sys.stderr)
        return 2
    state_file = None
    if args.incremental:
        state_dir = Path(args.state_dir) if args.state_dir else data_dir() / "export-state"
        state_file = state_path(state_dir, args.format, dest.describe())
    archive = None
    if not args.no_record:
        from dlp_proxy.archive import open_archive

        try:
            archive = open_archive(directory, worker_id=args.record_worker)
        except Exception as exc:  # e.g. the worker id is in use by another export run
            print(f"archive export: cannot record the run in the archive: {exc}", file=sys.stderr)
            return 1
    try:
        records = iter_records(directory, since=args.since, until=args.until, decrypt=args.decrypt)
        total = _count_records(directory) if wanted(not args.json) else None
        with progress("archive export", total=total, enabled=not args.json) as advance:
            result = run_export(
                records, args.format, ids, dest, state_file=state_file,
                append=archive.append_sync if archive is not None else None,
                existing_exports=lambda: (r for r in iter_records(directory) if r.get("type") == "export"),
                clear=args.decrypt, progress=advance,
            )
    except Exception as exc:
        print(f"archive export: failed, nothing recorded as exported: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    finally:
        if archive is not None:
            archive.close_sync()
    art = result.artifact
    if args.json:
        print(json.dumps({
            "exported": art is not None, "name": art.name if art else None, "records": art.records if art else 0,
            "sha256": art.sha256 if art else None, "bytes": len(art.data) if art else 0,
            "withheld": art.withheld if art else 0, "destination": result.destination,
            "export_record": result.record_id, "redelivered": result.redelivered,
        }, sort_keys=True))
    elif art is None:
        print(f"archive export: nothing new to export ({args.format}, {result.destination})")
    else:
        print(
            f"archive export: {art.records} records -> {art.name} ({len(art.data)} bytes, sha256 {art.sha256}) "
            f"to {result.destination}; content {'in clear' if args.decrypt else 'withheld'}"
            + (f" for {art.withheld} stopped post(s)" if art.withheld else "")
            + (f"; export record {result.record_id}" if result.record_id else "; not recorded (--no-record)")
        )
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

    e = sub.add_parser("export", help="export records for compliance pipelines (Actiance, Global Relay, CSV)")
    e.add_argument("--dir", help="archive directory (default: $DLP_DATA_DIR/archive)")
    e.add_argument("--format", required=True, choices=["actiance", "csv", "globalrelay", "jsonl"])
    e.add_argument("--since", help="ISO 8601 or epoch seconds (inclusive)")
    e.add_argument("--until", help="ISO 8601 or epoch seconds (exclusive)")
    e.add_argument("--out", help="destination: a directory")
    e.add_argument("--s3-bucket", help="destination: an S3 bucket")
    e.add_argument("--s3-prefix", default="dlp-exports/")
    e.add_argument("--s3-endpoint-url")
    e.add_argument("--smtp-host", help="destination: an SMTP server (Global Relay ingestion; globalrelay only)")
    e.add_argument("--smtp-port", type=int, default=587)
    e.add_argument("--smtp-to", help="the Global Relay ingestion address")
    e.add_argument("--smtp-user")
    e.add_argument("--smtp-password-env", default="DLP_EXPORT_SMTP_PASSWORD",
                   help="environment variable holding the SMTP password (never on the command line)")
    e.add_argument("--smtp-cafile", help="CA bundle that signs the SMTP server's certificate")
    e.add_argument("--smtp-plain", action="store_true", help="no STARTTLS (refused together with --smtp-user)")
    e.add_argument("--incremental", action="store_true",
                   help="export only records newer than the last run's high-water mark (per worker log)")
    e.add_argument("--state-dir", help="where the high-water marks live (default: $DLP_DATA_DIR/export-state)")
    e.add_argument("--mattermost-url", help="Mattermost base URL for identities (default: $DLP_UPSTREAM)")
    e.add_argument("--token-env", default="DLP_EXPORT_TOKEN",
                   help="environment variable holding a Mattermost system account's token")
    e.add_argument("--identities", help="reuse the identity snapshot of an earlier export (its zip or manifest)")
    e.add_argument("--record-worker", default="export",
                   help="archive worker id the export run records itself under (default: export)")
    e.add_argument("--no-record", action="store_true",
                   help="do not record the run in the archive (an examiner's read-only copy)")
    e.add_argument(
        "--decrypt", action="store_true",
        help="stopped posts and their files in clear (needs the archive content key); else withheld",
    )
    e.add_argument("--json", action="store_true", help="one JSON summary line, no progress bar")
    e.set_defaults(func=cmd_export)

    k = sub.add_parser("public-key", help="print the checkpoint verification key (hex) for examiners")
    k.add_argument("--out")
    k.set_defaults(func=cmd_public_key)


__all__ = ["ORIGIN_PREFIX", "register"]
