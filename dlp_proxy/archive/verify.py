"""Recompute everything from the files: hash chain, Merkle roots, signatures, seals.

``verify_archive`` returns a report whose ``problems`` name the first bad record (or
checkpoint) of each worker's log; any problem means the archive was modified,
truncated, reordered, or its checkpoints altered or forged.  ``load_worker`` also
gives the leaf hashes the proof commands need.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlp_proxy.archive.format import (
    ORIGIN_PREFIX,
    Checkpoint,
    canonical,
    checkpoint_signature_ok,
    list_segments,
    parse_time,
    record_time,
)
from dlp_proxy.archive.merkle import CompactRange, leaf_hash, root_of
from dlp_proxy.archive.segment import Line, parse_lines

_ID_RE = re.compile(rb'"record_id":"([0-9A-Za-z_.:-]{1,80})"')


@dataclass(frozen=True, slots=True)
class Problem:
    worker: str
    where: str  # segment file and line
    what: str

    def __str__(self) -> str:
        return f"worker {self.worker}, {self.where}: {self.what}"


@dataclass(slots=True)
class RecordRef:
    seq: int
    record_id: str
    segment_file: str
    line: int


@dataclass(slots=True)
class WorkerLog:
    worker: str
    leaves: list[bytes] = field(default_factory=list)
    records: list[RecordRef] = field(default_factory=list)
    checkpoints: list[Checkpoint] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    segments: int = 0

    def index_of(self, record_id: str) -> int | None:
        for ref in self.records:
            if ref.record_id == record_id:
                return ref.seq
        return None


@dataclass(slots=True)
class VerifyReport:
    workers: dict[str, WorkerLog]
    problems: list[Problem]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def records(self) -> int:
        return sum(len(w.leaves) for w in self.workers.values())


def _name(raw: bytes) -> str:
    m = _ID_RE.search(raw)
    return f" (id {m.group(1).decode()})" if m else ""


def load_worker(
    directory: Path,
    worker: str,
    segments: list[tuple[int, Path]],
    public_key: bytes,
    *,
    live: bool = False,
    progress: Callable[[int], None] | None = None,
) -> WorkerLog:
    """``progress(n)`` is told each segment's line count once that segment is read (a progress bar)."""
    wl = WorkerLog(worker)
    tree = CompactRange()
    last_leaf = ""
    prev_sha = ""
    signed_size = 0
    ids: set[str] = set()
    origin = ORIGIN_PREFIX + worker

    def bad(path: Path, line: Line | None, what: str) -> WorkerLog:
        where = path.name + (f" line {line.number}" if line else "")
        wl.problems.append(Problem(worker, where, what))
        return wl

    def ref(seq: int) -> str:
        if 0 <= seq < len(wl.records):
            return f"record seq {seq} (id {wl.records[seq].record_id})"
        return f"record seq {seq}"

    for idx, (number, path) in enumerate(segments):
        is_last = idx == len(segments) - 1
        wl.segments += 1
        if number != idx + 1:
            return bad(
                path, None, f"segment {idx + 1} is missing (deleted); records from seq {tree.size} are gone"
            )
        data = path.read_bytes()
        lines = parse_lines(data)
        if progress is not None:
            progress(len(lines))
        hdr = lines[0].obj.get("hdr") if lines and lines[0].obj else None
        if not isinstance(hdr, dict):
            return bad(path, lines[0] if lines else None, "segment header is missing or damaged")
        expect = {
            "segment": number,
            "worker": worker,
            "tree_size": tree.size,
            "frontier": [h.hex() for h in tree.hashes],
            "last_leaf": last_leaf,
            "prev_segment_sha256": prev_sha,
        }
        for key, value in expect.items():
            if hdr.get(key) != value:
                return bad(
                    path,
                    lines[0],
                    f"segment header field {key!r} does not match the log before it "
                    f"(a previous segment was modified, truncated or replaced; next expected is {ref(tree.size)})",
                )
        sealed = False
        for ln in lines[1:]:
            obj = ln.obj
            if sealed:
                return bad(path, ln, "data after the segment's seal (inserted)")
            if obj is None:
                if not ln.complete and is_last and ln is lines[-1]:
                    msg = (
                        f"incomplete record at the end after {ref(tree.size - 1)}: a torn write or a "
                        "truncation (the writer truncates a torn tail on its next start and records it)"
                    )
                    if live:
                        wl.warnings.append(f"worker {worker}, {path.name} line {ln.number}: {msg}")
                        break
                    return bad(path, ln, msg)
                return bad(path, ln, f"record seq {tree.size}{_name(ln.raw)} is damaged: {ln.problem}")
            if "rec" in obj:
                rec = obj["rec"]
                seq = rec.get("seq") if isinstance(rec, dict) else None
                if not isinstance(rec, dict) or not isinstance(seq, int) or isinstance(seq, bool):
                    return bad(
                        path, ln, f"record seq {tree.size}{_name(ln.raw)} is damaged: no sequence number"
                    )
                rid = str(rec.get("record_id", ""))
                if seq > tree.size:
                    return bad(
                        path,
                        ln,
                        f"record seq {tree.size} is missing (deleted); found seq {seq} (id {rid}) instead",
                    )
                if seq < tree.size:
                    return bad(
                        path,
                        ln,
                        f"record seq {seq} (id {rid}) is out of order or duplicated (inserted or reordered)",
                    )
                if rec.get("prev_leaf") != last_leaf:
                    if seq == 0:
                        return bad(path, ln, f"record seq 0 (id {rid}) was modified (hash chain start)")
                    return bad(
                        path,
                        ln,
                        f"{ref(seq - 1)} was modified, or a record was inserted before seq {seq} "
                        f"(id {rid}): the hash chain is broken",
                    )
                if rec.get("leaf_index") != seq or rec.get("archive_worker") != worker or not rid:
                    return bad(path, ln, f"record seq {seq} (id {rid}) was modified (index/worker fields)")
                if rid in ids:
                    return bad(
                        path, ln, f"record seq {seq} (id {rid}) duplicates an earlier record id (inserted)"
                    )
                ids.add(rid)
                lh = leaf_hash(canonical(rec))
                tree.append(lh)
                wl.leaves.append(lh)
                wl.records.append(RecordRef(seq, rid, path.name, ln.number))
                last_leaf = lh.hex()
            elif "cp" in obj:
                if not checkpoint_signature_ok(public_key, obj):
                    return bad(
                        path,
                        ln,
                        f"checkpoint after {ref(tree.size - 1)} has a bad signature (altered or forged)",
                    )
                cp = obj["cp"]
                if cp.get("origin") != origin:
                    return bad(
                        path,
                        ln,
                        f"checkpoint origin {cp.get('origin')!r} is not {origin!r} (copied from another log)",
                    )
                if (
                    cp.get("segment") != number
                    or cp.get("segment_header_sha256") != hashlib.sha256(lines[0].raw).hexdigest()
                ):
                    return bad(
                        path, ln, "the segment header was modified (it does not match the signed checkpoint)"
                    )
                signed = cp.get("size")
                if not isinstance(signed, int) or signed != tree.size:
                    if isinstance(signed, int) and signed > tree.size:
                        what = f"record seq {tree.size} is missing (deleted)"
                    else:
                        what = f"{ref(tree.size - 1)} was inserted or the checkpoint altered"
                    return bad(
                        path,
                        ln,
                        f"{what}: the checkpoint signs {signed} records, the log has {tree.size} here",
                    )
                if cp.get("last_leaf") != last_leaf:
                    return bad(
                        path, ln, f"{ref(tree.size - 1)} was modified (does not match the signed checkpoint)"
                    )
                if cp.get("root") != tree.root().hex():
                    return bad(
                        path,
                        ln,
                        f"signed root does not match: a record between seq {signed_size} and {tree.size - 1} "
                        "was modified",
                    )
                wl.checkpoints.append(Checkpoint.from_line(obj))
                signed_size = tree.size
                sealed = bool(cp.get("sealed"))
            else:
                return bad(path, ln, "unexpected line (inserted)")
        if sealed:
            if os.stat(path).st_mode & 0o222:
                wl.warnings.append(
                    f"worker {worker}, {path.name}: sealed segment is writable (expected 0444)"
                )
            if is_last:
                return bad(
                    path, None, f"segment is sealed but its successor {number + 1} is missing (deleted)"
                )
        elif not is_last:
            return bad(path, None, "segment is not sealed but another follows it (truncated)")
        prev_sha = hashlib.sha256(data).hexdigest()
    if tree.size > signed_size:
        msg = (
            f"records seq {signed_size}..{tree.size - 1} after the last checkpoint are not signed "
            "(checkpoint removed by truncation, or an interrupted write; the writer signs them on its next start)"
        )
        if live:
            wl.warnings.append(f"worker {worker}: {msg}")
        else:
            wl.problems.append(Problem(worker, segments[-1][1].name, msg))
    return wl


def check_anchor(wl: WorkerLog, line: Mapping[str, Any], public_key: bytes, source: str) -> str | None:
    """A checkpoint kept elsewhere (replica, S3, a regulator's copy): the log must still contain it."""
    if not checkpoint_signature_ok(public_key, dict(line)):
        return f"{source}: checkpoint has a bad signature (altered or forged)"
    cp = line["cp"]
    size = int(cp["size"])
    if size > len(wl.leaves):
        return (
            f"{source}: a checkpoint signed {size} records but the log has only {len(wl.leaves)}: "
            f"records from seq {len(wl.leaves)} were deleted (log truncated)"
        )
    if root_of(wl.leaves[:size]).hex() != cp["root"]:
        return (
            f"{source}: the log's first {size} records do not match a checkpoint signed earlier (rewritten)"
        )
    return None


def verify_archive(
    directory: Path,
    public_key: bytes,
    *,
    live: bool = False,
    anchors: Iterable[tuple[str, Mapping[str, Any]]] = (),
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verify every worker log under ``directory``; ``anchors`` are (source, signed checkpoint line)."""
    directory = Path(directory)
    workers: dict[str, WorkerLog] = {}
    problems: list[Problem] = []
    warnings: list[str] = []
    if not directory.is_dir():
        problems.append(Problem("-", str(directory), "archive directory does not exist"))
        return VerifyReport(workers, problems, warnings)
    for worker, segs in list_segments(directory).items():
        wl = load_worker(directory, worker, segs, public_key, live=live, progress=progress)
        workers[worker] = wl
        problems.extend(wl.problems)
        warnings.extend(wl.warnings)
    for source, line in anchors:
        origin = str(line.get("cp", {}).get("origin", ""))
        worker = origin.removeprefix(ORIGIN_PREFIX)
        wl_ = workers.get(worker)
        if wl_ is None:
            problems.append(Problem(worker or "?", source, "log of this worker is missing (deleted)"))
            continue
        err = check_anchor(wl_, line, public_key, source)
        if err:
            problems.append(Problem(worker, source, err))
    if not workers and not problems:
        warnings.append(f"no archive segments in {directory}")
    return VerifyReport(workers, problems, warnings)


# -- reading records -------------------------------------------------------------------


def _worker_records(segments: list[tuple[int, Path]]) -> Iterator[dict[str, Any]]:
    for _, path in segments:
        with open(path, "rb") as f:
            for number, raw in enumerate(f, start=1):
                if not raw.endswith(b"\n"):
                    return  # a tail being written (or torn): not acknowledged
                try:
                    obj = json.loads(raw)
                except ValueError as exc:
                    raise ValueError(
                        f"{path.name} line {number} is damaged; run `dlp-proxy archive verify`"
                    ) from exc
                if isinstance(obj, dict) and isinstance(obj.get("rec"), dict):
                    yield obj["rec"]


def iter_records(
    directory: Path,
    *,
    since: Any = None,
    until: Any = None,
    decrypt: bool = False,
    content_key: bytes | None = None,
) -> Iterator[dict[str, Any]]:
    """All records of all workers, merged in archive time order.

    ``since``/``until`` (epoch seconds, ISO 8601 string or datetime) filter on the
    record's ``time`` (``archived_at`` when absent), half-open [since, until).
    ``decrypt=True`` restores ``_content`` for records stored encrypted (needs the
    ``archive-content`` key).  This reads; it does not verify: run verify for that.
    """
    from dlp_proxy.archive.content import decrypt_content

    lo = parse_time(since) if since is not None else None
    hi = parse_time(until) if until is not None else None
    kek = None
    if decrypt:
        if content_key is None:
            from dlp_proxy.keys import load_key

            content_key = load_key("archive-content", create=False)
        kek = content_key
    streams = [_worker_records(segs) for segs in list_segments(Path(directory)).values()]
    for rec in heapq.merge(
        *streams, key=lambda r: (str(r.get("archived_at", "")), str(r.get("archive_worker")))
    ):
        t = record_time(rec)
        if lo is not None and t < lo:
            continue
        if hi is not None and t >= hi:
            continue
        if kek is not None:
            enc = rec.get("content")
            if isinstance(enc, dict) and enc.get("mode") == "encrypted":
                rec = dict(rec)
                rec["_content"] = decrypt_content(enc, record_id=str(rec["record_id"]), kek=kek)
        yield rec
