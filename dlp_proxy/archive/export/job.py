"""One export run: read, build, deliver, record it in the archive, advance the high-water mark.

Incremental runs remember, per worker log, the highest ``seq`` already exported
(``export-state-<format>-<destination hash>.json`` under the state directory,
written temp file + fsync + rename).  A record's ``seq`` only grows within a
worker's log and the log is append-only, so "every record of worker W with seq >
mark[W]" is exactly what is new.  The order of a run is:

1. read the new records (a torn tail being written is not a record yet), build the
   artifact: the same records and identities give the same bytes (fixed zip entry
   times, sorted entries, no run time anywhere in it; the identity snapshot used is
   in its manifest);
2. note the artifact as *pending* in the state file;
3. deliver it (idempotent: same name and bytes, same Message-IDs);
4. append an ``export`` record to the archive: format, destination, batch, record
   count, per-worker seq ranges, SHA-256 and size (the chain of custody);
5. advance the marks and clear *pending*.

A crash before 3 loses nothing (the marks did not move); a crash after 3 re-runs
the same batch to the same name with the same bytes, and step 4 is skipped when
the archive already holds an ``export`` record with that SHA-256 from the pending
run: nothing lost, nothing duplicated.  ``export`` records themselves are not
exported again (they are the custody trail; ``archive verify`` covers them).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlp_proxy.archive.export.actiance import (
    EXPORT_FILENAME,
    actiance_export,
    batch_name,
    batch_zip,
    zip_entry,
)
from dlp_proxy.archive.export.build import conversations, time_ms
from dlp_proxy.archive.export.csvfmt import csv_rows, metadata_json
from dlp_proxy.archive.export.delivery import Destination, write_atomic
from dlp_proxy.archive.export.fields import decision_fields
from dlp_proxy.archive.export.globalrelay import globalrelay_zip
from dlp_proxy.archive.export.identity import Identities, StaticIdentities
from dlp_proxy.archive.export.model import FileRef

FORMATS = ("actiance", "globalrelay", "csv", "jsonl")
CONVERSATION_FORMATS = frozenset({"actiance", "globalrelay", "csv"})


@dataclass(slots=True)
class Artifact:
    name: str
    data: bytes
    emails: dict[str, bytes]
    records: int
    ranges: dict[str, list[int]]
    marks: dict[str, int]
    withheld: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(slots=True)
class RunResult:
    artifact: Artifact | None
    destination: str
    record_id: str | None = None
    redelivered: bool = False
    skipped: dict[str, int] = field(default_factory=dict)


def _new(records: Iterable[Mapping[str, Any]], marks: Mapping[str, int], progress: Callable[[int], None] | None
         ) -> Iterator[Mapping[str, Any]]:
    for rec in records:
        if progress is not None:
            progress(1)
        worker, seq = str(rec.get("archive_worker")), int(rec.get("seq") or 0)
        if seq <= marks.get(worker, -1):
            continue
        yield rec


def build_artifact(records: Iterable[Mapping[str, Any]], fmt: str, ids: Identities, *, batch: int = 1,
                   marks: Mapping[str, int] | None = None, clear: bool = False,
                   progress: Callable[[int], None] | None = None) -> Artifact | None:
    """The export of the records newer than ``marks``; None when there is none."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    new_marks = dict(marks or {})
    ranges: dict[str, list[int]] = {}
    kept: list[Mapping[str, Any]] = []
    for rec in _new(records, marks or {}, progress):
        worker, seq = str(rec.get("archive_worker")), int(rec.get("seq") or 0)
        new_marks[worker] = max(new_marks.get(worker, -1), seq)
        if rec.get("type") == "export":
            continue
        r = ranges.setdefault(worker, [seq, seq])
        r[0], r[1] = min(r[0], seq), max(r[1], seq)
        kept.append(rec)
    if not kept:
        return None
    kept.sort(key=lambda r: (time_ms(r), str(r.get("archive_worker")), int(r.get("seq") or 0)))
    conv = conversations(kept, ids, clear=clear) if fmt in CONVERSATION_FORMATS else None
    manifest: dict[str, Any] = {
        "generator": "dlp-proxy archive export", "format": fmt, "batch": batch, "records": len(kept),
        "seq_ranges": dict(sorted(ranges.items())), "content": "clear" if clear else "withheld",
        "identities": ids.snapshot(),
    }
    emails: dict[str, bytes] = {}
    if fmt in ("actiance", "globalrelay"):
        assert conv is not None
        if not conv.posts:
            start = end = time_ms(kept[0])
        else:
            start, end = conv.start, conv.end
        manifest.update(stopped_posts=conv.records, withheld=conv.withheld)
        name = batch_name(batch, start, end)
        if fmt == "actiance":
            ab = actiance_export(conv.channels, conv.posts, conv.histories, job_start_time=start,
                                 batch_start=start, batch_end=end)
            data = batch_zip((EXPORT_FILENAME, ab.xml), ab.files, manifest)
        else:
            _, emails = globalrelay_zip(conv.channels, conv.posts, conv.histories, start=start, end=end,
                                        exported_on=end)
            data = _zip([(n, e) for n, e in emails.items()], manifest)
        return Artifact(name, data, emails, len(kept), ranges, new_marks, conv.withheld)
    start, end = time_ms(kept[0]), time_ms(kept[-1])
    if fmt == "csv":
        assert conv is not None
        posts_csv, files = csv_rows(kept, conv)
        entries: list[tuple[str, bytes]] = [("posts.csv", posts_csv)]
        entries += [(p, f.data) for p, f in files if f.data is not None]
        entries.append(("metadata.json", metadata_json(conv, conv.start or start, conv.end or end)))
        manifest.update(stopped_posts=conv.records, withheld=conv.withheld)
        return Artifact(batch_name(batch, start, end), _zip(entries, manifest), {}, len(kept), ranges, new_marks,
                        conv.withheld)
    lines = "".join(json.dumps(decision_fields(r), ensure_ascii=False, sort_keys=True) + "\n" for r in kept)
    return Artifact(batch_name(batch, start, end).replace(".zip", ".jsonl"), lines.encode(), {}, len(kept),
                    ranges, new_marks, 0)


def _zip(entries: list[tuple[str, bytes]], manifest: Mapping[str, Any]) -> bytes:
    if not entries:
        return batch_zip(None, [], manifest)  # a Global Relay batch without a stopped post: the manifest
    first, rest = entries[0], entries[1:]
    return batch_zip(first, [FileRef(p, p, p, d) for p, d in rest], manifest)


# -- state -----------------------------------------------------------------------------


def state_path(state_dir: Path, fmt: str, destination: str) -> Path:
    h = hashlib.sha256(destination.encode()).hexdigest()[:12]
    return state_dir / f"export-state-{fmt}-{h}.json"


def load_state(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"marks": {}, "batches": 0, "pending": None}
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def save_state(path: Path, state: Mapping[str, Any]) -> None:
    write_atomic(path, (json.dumps(state, indent=2, sort_keys=True) + "\n").encode())


def export_record(art: Artifact, fmt: str, destination: str, batch: int) -> dict[str, Any]:
    return {"type": "export", "format": fmt, "destination": destination, "batch": batch, "name": art.name,
            "records": art.records, "seq_ranges": art.ranges, "sha256": art.sha256, "bytes": len(art.data),
            "withheld": art.withheld}


def run_export(records: Iterable[Mapping[str, Any]], fmt: str, ids: Identities, dest: Destination, *,
               state_file: Path | None, append: Callable[[dict[str, Any]], Any] | None,
               existing_exports: Callable[[], Iterable[Mapping[str, Any]]] | None = None, clear: bool = False,
               progress: Callable[[int], None] | None = None,
               after_deliver: Callable[[], None] | None = None) -> RunResult:
    """One run (incremental when ``state_file`` is given).  See the module docstring for the order.

    Raises ``ExportBusy`` when another run holds the same state file."""
    if state_file is None:
        return _run(records, fmt, ids, dest, None, append, existing_exports, clear, progress, after_deliver)
    state_file.parent.mkdir(parents=True, exist_ok=True)
    with open(state_file.with_name(state_file.name + ".lock"), "a+b") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportBusy("another export with the same format and destination is running") from None
        return _run(records, fmt, ids, dest, state_file, append, existing_exports, clear, progress, after_deliver)


class ExportBusy(RuntimeError):
    pass


def _run(records: Iterable[Mapping[str, Any]], fmt: str, ids: Identities, dest: Destination,
         state_file: Path | None, append: Callable[[dict[str, Any]], Any] | None,
         existing_exports: Callable[[], Iterable[Mapping[str, Any]]] | None, clear: bool,
         progress: Callable[[int], None] | None, after_deliver: Callable[[], None] | None) -> RunResult:
    state = load_state(state_file) if state_file else {"marks": {}, "batches": 0, "pending": None}
    batch = int(state.get("batches", 0)) + 1
    art = build_artifact(records, fmt, ids, batch=batch, marks=state.get("marks") or {}, clear=clear,
                         progress=progress)
    if art is None:
        return RunResult(None, dest.describe())
    pending = state.get("pending") or None
    redelivered = bool(pending and pending.get("sha256") == art.sha256)
    if state_file:
        save_state(state_file, {**state, "pending": {"sha256": art.sha256, "name": art.name}})
    dest.deliver(art.name, art.data, art.emails)
    if after_deliver is not None:
        after_deliver()
    record_id = None
    already = redelivered and existing_exports is not None and any(
        r.get("type") == "export" and r.get("sha256") == art.sha256 for r in existing_exports())
    if append is not None and not already:
        record_id = append(export_record(art, fmt, dest.describe(), batch))
    if state_file:
        save_state(state_file, {"marks": art.marks, "batches": batch, "pending": None,
                                "last": {"name": art.name, "sha256": art.sha256, "records": art.records}})
    return RunResult(art, dest.describe(), record_id, redelivered)


def identities_from_manifest(data: bytes) -> StaticIdentities:
    """The identity snapshot an earlier export used (its zip, or its manifest JSON)."""
    import io
    import zipfile

    from dlp_proxy.archive.export.actiance import MANIFEST_FILENAME

    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            data = zf.read(MANIFEST_FILENAME)
    return StaticIdentities(json.loads(data)["identities"])


__all__ = ["FORMATS", "Artifact", "RunResult", "build_artifact", "identities_from_manifest", "run_export",
           "zip_entry"]
