"""Uploaded files are opened *and* scanned in worker processes.

Text extraction already runs in a process pool (dlp_proxy.files.runner), but a
10 MB CSV yields 10 MB of text whose detection, in the gateway process, would
hold the GIL for seconds and stall every other user's post.  So a file's whole
judgement-input work - extract, then detect on every segment - runs in a pool
of ``forkserver`` workers, each with its own detector (built once per worker
from the same configuration).  The event loop only waits on a future.

A worker that overruns the file deadline is killed with its pool (a new pool
starts on the next file); the request then fails closed like any scan over its
deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import os
import re
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from dlp_proxy.interfaces import Extraction, TextSegment
from dlp_proxy.model import ContentItem, Finding, ScannedItem, lines_not_pieces

_worker_detector: Any = None


def detector_factory(spec: str | None = None) -> Any:
    """``DLP_DETECTOR=module:factory`` swaps in another detection engine with the
    same signature as ``dlp_proxy.detect.build_detector`` (an extension point for
    firm-specific engines; the fault tests use it to make inspection fail)."""
    if not spec:
        from dlp_proxy.detect import build_detector

        return build_detector
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr or "build_detector")


def _init_worker(ner: bool | None, memory_limit_mb: int | None, owner_pid: int, config_dir: str | None,
                 detector: str | None, nice: int, scheduling: str = "normal", quick_start: bool = False,
                 hyperscan_dbs: Mapping[str, bytes] | None = None) -> None:
    from dlp_proxy.detect import hsdb
    from dlp_proxy.files import runner
    from dlp_proxy.procs import lower_priority

    # Files and long scans are bulk work; chat posts are interactive.  A lower CPU
    # priority lets the gateway's event loop (and Mattermost beside it) run first when
    # cores are busy, so a large upload or a hostile user's scans slow other users'
    # posts less (docs/benchmarks.md, "Hostile load").  ``quick_start`` (the gateway's
    # scan and file workers): the worker builds and warms its detector (~3-5 s of CPU)
    # at the gateway's priority and lowers it after, so a loaded host holds back neither
    # the gateway's start (it waits for its scan workers), nor a replacement after a
    # deadline kill, nor the first upload.  Without it, the priority is lowered first.
    if not quick_start:
        lower_priority(nice, scheduling)
    # SIGINT ignored, address-space cap, parsers imported, exit with the gateway
    runner._init_worker(memory_limit_mb, owner_pid)
    global _worker_detector
    # the databases the gateway compiled for its own detector (``hyperscan_dbs``): loaded,
    # not compiled again (detect/hsdb.py; compiling is ~90 % of building a detector)
    hsdb.preload(hyperscan_dbs)
    _worker_detector = detector_factory(detector)(config_dir, ner=ner)
    # What the jobs import (the body's extraction, the cross-field constants): at start,
    # not in the first upload's job, so a worker's first upload does not also pay the
    # ~7 MB of these modules (docs/benchmarks.md, "Upload memory").
    import dlp_proxy.gateway.pipeline  # noqa: F401

    warm_detector(_worker_detector)
    hsdb.forget()

    if quick_start:
        lower_priority(nice, scheduling)  # every thread, the owner watch's too


#: texts a new worker scans before it takes a job: prose, digits and times, letters
#: outside ASCII (accented, full-width), a table.  The engine builds some of its
#: tables on the first text that needs them (the confusables, the letters read as
#: digits, the number words' heads): 30-120 ms of CPU, which a worker at nice 19 on a
#: loaded host gets in more than a short scan deadline, so a worker that replaced one
#: killed at the deadline would be killed again on its first post, and so on.
WARM_UP_TEXTS = (
    "all clear, see you at the standup",
    "meet at 10:30 in room 4B, ext 5521, order #12 of 3",
    "café naïve résumé ＡＢＣ ０１２ Привет γειά",
    "| item | qty |\n|---|---|\n| pens | 12 |\n",
)


def warm_detector(detector: Any) -> None:
    """Scan ``WARM_UP_TEXTS`` and a labelled identifier of every kind
    (``detect.warmup.warm_texts``) once, so the first job does not pay the engine's
    first-text set-up; a detector that fails on them is left to fail on the job."""
    from dlp_proxy.detect.warmup import warm_texts

    texts = (*WARM_UP_TEXTS, *warm_texts())
    try:
        detector.scan([ContentItem(f"warm-up[{n}]", text) for n, text in enumerate(texts)])
    except Exception:  # noqa: S110 - a plug-in detector's own business; the job reports it
        pass


class SealedTexts:
    """Texts in a file of a worker's own, each sealed on its own (AES-256-GCM, nonce
    and associated data its index) under a key only this object holds, as the spool
    (``Spooled``): extracted text is never at rest in clear.  ``add`` returns an
    index; ``text`` reads one back (authenticated); ``close`` deletes the file."""

    def __init__(self, directory: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(os.urandom(32))
        fd, self.path = tempfile.mkstemp(dir=directory, suffix=".texts")
        self._file: Any = os.fdopen(fd, "w+b", buffering=0)
        self._where: list[tuple[int, int]] = []
        self._end = 0

    def __len__(self) -> int:
        return len(self._where)

    def add(self, text: str) -> int:
        index = len(self._where)
        nonce = index.to_bytes(12, "big")
        sealed = self._aead.encrypt(nonce, text.encode("utf-8", "surrogatepass"), nonce)
        self._file.seek(self._end)
        self._file.write(sealed)
        self._where.append((self._end, len(sealed)))
        self._end += len(sealed)
        return index

    def text(self, index: int) -> str:
        offset, length = self._where[index]
        self._file.seek(offset)
        sealed = self._file.read(length)
        if len(sealed) != length:
            raise ValueError("a sealed text is truncated")
        nonce = index.to_bytes(12, "big")
        return str(self._aead.decrypt(nonce, sealed, nonce).decode("utf-8", "surrogatepass"))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class SealedSegments(list[TextSegment]):
    """An extraction's segment list (``runner.work``'s ``segments``) that keeps each
    text in ``SealedTexts``, not in memory: it holds the segments with empty texts,
    in order, and the i-th text is ``texts.text(i)``.  So a worker holds the file or
    its text at a time, not both (docs/benchmarks.md, "Upload memory").  A text that
    cannot be written is kept as ``failed`` and raised by ``_job`` (the extractors
    would take the error for a corrupt file)."""

    def __init__(self, texts: SealedTexts) -> None:
        super().__init__()
        self.texts = texts
        self.failed: BaseException | None = None

    def append(self, segment: TextSegment) -> None:
        if self.failed is not None:
            raise self.failed
        try:
            self.texts.add(segment.text)
        except OSError as exc:
            self.failed = exc
            raise
        super().append(TextSegment(segment.location, ""))


#: the clocks of a job's budgets: its CPU time, and wall time (injectable for tests)
_job_clocks: tuple[Callable[[], float], Callable[[], float]] = (time.process_time, time.monotonic)


def _job(data: bytes | list[bytes], filename: str, limits: Any, entities: Collection[str] | None,
         budget_seconds: float | None = None, sealed: SealedSegments | None = None,
         ) -> tuple[Extraction, list[list[Finding]]]:
    """Extract, then detect every segment.  ``budget_seconds`` of the worker's CPU time
    (from the job's start) bound the whole job, and ``limits.max_wall_seconds`` of wall
    time: when either is spent, the segments not yet judged are dropped and the
    extraction gets ``time-limit``, so an upload too large to judge in time is an
    uninspected file (the policy's ``too_large``) rather than a scan killed at the
    request deadline (``gateway_limits`` keeps the wall bound inside it).  ``data`` in a one-item list: the job takes it out, and the
    file's bytes are freed once its text is extracted (not held through detection).
    ``sealed``: the segments' texts go there as they are extracted (the extraction's
    segments come back with empty texts; ``sealed.texts.text(i)`` is the i-th).
    A finding in a reading of bytes no viewer shows as text (a binary's raw bytes, a PDF
    object's values...) counts only when it is written there as text
    (``rawread.judge_raw``: pixels and a font's tables read as digits do not)."""

    from dlp_proxy.files.rawread import RELINE_MAX, is_raw_reading, judge_raw
    from dlp_proxy.files.runner import work

    cpu_clock, wall_clock = _job_clocks
    cpu_deadline = None if budget_seconds is None else cpu_clock() + budget_seconds
    wall = getattr(limits, "max_wall_seconds", None)
    wall_deadline = None if wall is None else wall_clock() + wall

    def deadline() -> bool:
        return ((cpu_deadline is not None and cpu_clock() > cpu_deadline)
                or (wall_deadline is not None and wall_clock() > wall_deadline))

    if isinstance(data, list):
        extraction = work(data.pop(), filename, limits, sealed)
    else:
        extraction = work(data, filename, limits, sealed)
    del data
    if sealed is not None and sealed.failed is not None:
        raise sealed.failed  # fail closed: the file's text could not be kept
    findings: list[list[Finding]] = []

    def text_of(index: int, seg: TextSegment) -> str:
        return seg.text if sealed is None else sealed.texts.text(index)

    def reline(line: str) -> list[Finding]:
        return list(_worker_detector.analyze(line, entities=entities, rendered=False))  # (file text: no KaTeX)

    relines = [RELINE_MAX]  # a raw reading's lines read again, for the whole file
    names = _NameLabels(filename)
    headers = table_headers([TextSegment(seg.location, text_of(i, seg) if _is_first_block(seg.location) else "")
                             for i, seg in enumerate(extraction.segments)])
    for i, seg in enumerate(extraction.segments):
        header = headers.get(seg.location)
        text = text_of(i, seg)
        raw = is_raw_reading(seg.location)
        if header is None:
            found = _analyze_segment(text, entities, deadline, raw=raw)
        else:
            found = _analyze_segment(header + text, entities, deadline, raw=raw)
            if found is not None:
                import dataclasses

                # the header gives context; a finding inside it belongs to the first block
                found = [dataclasses.replace(f, start=f.start - len(header), end=f.end - len(header))
                         for f in found if f.start >= len(header)]
        if found is not None and (label := names.label(seg.location)):
            # the file's (and its member's) name is shown beside it: its context words
            # label the file's numbers as a column header labels its column's
            more = _named_by_the_name(text, label, header, found, entities, deadline)
            found = None if more is None else [*found, *more]
        if found is None:
            break
        findings.append(judge_raw(seg.location, text, found, reline, relines))
    if len(findings) < len(extraction.segments):
        extraction = Extraction(file_type=extraction.file_type, segments=extraction.segments[: len(findings)],
                                complete=False, problems=(*extraction.problems, "time-limit"))
    return extraction, findings


_BLOCK_RE = re.compile(r"^(?P<prefix>(?:.*/)?)lines?=(?P<first>\d+)(?:-\d+)?$")


#: a member's name in a segment's location (``files/context.py`` ``Ctx.member``: nested
#: members' names joined with "/"), up to the next ``/<key>=`` of the location
_MEMBER_NAME = re.compile(r"member=(.+?)(?=/[a-z_]+=|$)")
#: a labelled line (``_named_by_the_name``) is read only up to this many characters: a
#: name labels a value in a row or a short line, not one amid a long paragraph
NAME_LABEL_LINE_MAX = 512
#: a word of a name: an acronym and its plural (``SSNs``), capitals, a (capitalised) word
_NAME_WORD = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


def name_words(name: str) -> str:
    """A file (or member) name as words, as a JSON key's are read
    (``pipeline.key_words``): each path part without its extension, split on ``_``, ``-``,
    ``.``, blanks and camelCase, digits dropped, lower-cased, a plural read as its singular
    (``social_security_numbers.csv`` -> "social security number", ``clientSSNs.xlsx``
    -> "client ssn", ``accounts.csv`` -> "account")."""
    words: list[str] = []
    for part in re.split(r"[/\\]", name):
        stem = os.path.splitext(part)[0] if "." in part.lstrip(".") else part
        for w in _NAME_WORD.findall(stem):
            w = w.lower()
            if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
                w = w[:-1]
            words.append(w)
    return " ".join(words)


class _NameLabels:
    """The context words (``Engine.context_terms`` of the worker's detector) of a file's
    name and of each member's name, as a label, per segment location (the file's
    name labels its members too: ``ssn.zip``)."""

    def __init__(self, filename: str) -> None:
        self.terms_of = getattr(_worker_detector, "context_terms", None)
        self.cache: dict[str, frozenset[str]] = {}
        self.base = self._terms(filename)

    def _terms(self, name: str) -> frozenset[str]:
        if self.terms_of is None or not name:
            return frozenset()
        got = self.cache.get(name)
        if got is None:
            words = name_words(name[:1024])
            # (a one- or two-letter word is a name, not a word: ``_KeyTerms``)
            got = self.cache[name] = frozenset(t for t in self.terms_of(words) if len(t) > 2) if words else frozenset()
        return got

    def label(self, location: str) -> str:
        terms = set(self.base)
        m = _MEMBER_NAME.search(location)
        if m is not None:
            terms |= self._terms(m.group(1))
        out: list[str] = []
        for t in sorted(terms, key=lambda w: (len(w), w)):  # within a context window (``pipeline._label``)
            if sum(len(w) + 1 for w in out) + len(t) + 1 > 48:
                break
            out.append(t)
        return " ".join(out)


def _named_by_the_name(text: str, label: str, header: str | None, found: Sequence[Finding],
                       entities: Collection[str] | None, deadline: Callable[[], bool] | None,
                       ) -> list[Finding] | None:
    """What the file's name adds to ``text``: each line with a digit (of at most
    ``NAME_LABEL_LINE_MAX`` characters) read with ``label`` in front, as
    ``Pipeline._cross_field`` labels a field with another field's words.  Kept: a
    finding within the line that reads a context word (``context='...'``, the label's
    or the line's) and that ``found`` does not hold, unless the number's own words
    name it as another number (``split.names_a_number``: "order 4839201234", a
    column headed ``order_id``, ``qty``, ``price``): the name labels what nothing else
    names.  None when ``deadline`` passed."""
    import dataclasses

    from dlp_proxy.policy.split import names_a_number

    head_line = (header or text.split("\n", 1)[0]).rstrip("\r\n")
    delim = next((d for d in _DELIMITERS if d in head_line), None) if _header_row(head_line) else None
    heads = head_line.split(delim) if delim else []
    parts: list[str] = []
    spans: list[tuple[int, int, int]] = []  # (start in the labelled text, end, offset in ``text``)
    pos = offset = 0
    prefix = f"{label}: "
    for line in text.split("\n"):
        if len(line) <= NAME_LABEL_LINE_MAX and any(c.isdigit() for c in line):
            parts.append(prefix + line + "\n")
            spans.append((pos + len(prefix), pos + len(prefix) + len(line), offset))
            pos += len(prefix) + len(line) + 1
        offset += len(line) + 1
    if not parts:
        return []
    labelled = _analyze_segment("".join(parts), entities, deadline)
    if labelled is None:
        return None
    out: list[Finding] = []
    for f in labelled:
        if "context='" not in f.explanation:
            continue
        hit = next(((lo, hi, at) for lo, hi, at in spans if lo <= f.start and f.end <= hi), None)
        if hit is None:
            continue
        lo, _, at = hit
        start, end = f.start - lo + at, f.end - lo + at
        if any(g.entity_type == f.entity_type and g.start < end and start < g.end for g in (*found, *out)):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start]
        if delim and heads:
            cell = before.count(delim)
            before = before.rsplit(delim, 1)[-1]
            if cell < len(heads) and names_a_number(name_words(heads[cell])):
                continue  # its column's header names it (``order_id``, ``price``)
        if names_a_number(before):
            continue
        out.append(dataclasses.replace(f, start=start, end=end, transforms=(*f.transforms, "file-name-context"),
                                       explanation=f"{f.explanation}; context from the file's name"))
    return out


def _is_first_block(location: str) -> bool:
    """A line block that starts a file (or member): the one ``table_headers`` reads."""
    m = _BLOCK_RE.match(location)
    return m is not None and int(m.group("first")) == 1
_DELIMITERS = (",", "\t", ";", "|")


def _header_row(line: str) -> bool:
    """A first line that reads as a delimited table's header row (``table_headers``)."""
    digits = sum(ch.isdigit() for ch in line)
    return (0 < len(line) <= 4096 and any(d in line for d in _DELIMITERS)
            and digits * 4 <= len(line) and any(ch.isalpha() for ch in line))


def table_headers(segments: Sequence[TextSegment]) -> dict[str, str]:
    """For each later line block of a delimited table (CSV, TSV...), the table's header
    row to read it with: column headers give context to the cells below them
    (docs/detection.md), and a file cut into blocks must not lose them after its first
    block, or a column's neighbour ("ACC-12345" before a CUSIP) stands in for them.
    Keyed by segment location; the value ends with a newline."""
    firsts: dict[str, str] = {}
    out: dict[str, str] = {}
    for seg in segments:
        m = _BLOCK_RE.match(seg.location)
        if m is None:
            continue
        prefix, first = m.group("prefix"), int(m.group("first"))
        if first == 1:
            line = seg.text.split("\n", 1)[0].rstrip("\r")
            if _header_row(line):
                firsts[prefix] = line + "\n"
        elif prefix in firsts:
            out[seg.location] = firsts[prefix]
    return out


#: share of the request's file deadline a scan job may spend in CPU time; what it has not
#: judged by then makes the file ``time-limit`` (held as too large)
JOB_BUDGET_SHARE = 0.8
#: share of the request's file deadline a scan job may take in wall time (however little
#: CPU a loaded host gives it): ``time-limit`` too, before the deadline kills the worker
JOB_WALL_SHARE = 0.9


def gateway_limits(timeout: float, limits: Any = None) -> Any:
    """The file limits of a scan job within a file deadline of ``timeout`` seconds:
    ``limits`` (the operator's) or, by default, half of it in extraction CPU time; the
    wall bound at most ``JOB_WALL_SHARE`` of it."""
    from dlp_proxy.files import Limits

    wall = max(1.0, timeout * JOB_WALL_SHARE)
    if limits is None:
        return Limits(max_seconds=max(1.0, timeout / 2), max_wall_seconds=wall)
    return dataclasses.replace(limits, max_wall_seconds=min(limits.max_wall_seconds, wall))

#: a segment longer than this is judged in overlapping windows of this size: the
#: detector refuses a text over its own limit (5 M characters), and memory stays bounded
SEGMENT_WINDOW = 1_000_000
SEGMENT_OVERLAP = 1_024


def _analyze_segment(text: str, entities: Collection[str] | None,
                     deadline: Callable[[], bool] | None = None, *, raw: bool = False) -> list[Finding] | None:
    """Findings in one extracted segment of any length, offsets in ``text``; None when
    ``deadline()`` said the job's time was spent before the segment was wholly judged.
    ``raw``: a reading of bytes no viewer shows as text (``rawread.is_raw_reading``),
    whose lines are not read as pieces of one message split over lines
    (``Engine._analyze_lines``): ``judge_raw`` keeps no finding read across lines
    (``split-messages``), and on a photo's pixels that reading was most of the job
    (a 6 MB BMP's ~20 k characters of printable runs: ~10 s)."""
    if raw:
        with lines_not_pieces():
            return _analyze_segment(text, entities, deadline)
    if deadline is not None and deadline():
        return None
    if len(text) <= SEGMENT_WINDOW:
        return list(_worker_detector.analyze(text, entities=entities, rendered=False))
    import dataclasses

    from dlp_proxy.files.windows import iter_text_windows
    from dlp_proxy.interfaces import TextSegment

    found: list[Finding] = []
    for w in iter_text_windows([TextSegment("", text)], window=SEGMENT_WINDOW, overlap=SEGMENT_OVERLAP):
        if deadline is not None and deadline():
            return None
        for f in _worker_detector.analyze(w.text, entities=entities, rendered=False):
            if f.end > w.new_from:  # a finding ending inside the overlap was whole in the previous window
                found.append(dataclasses.replace(f, start=f.start + w.offset, end=f.end + w.offset))
    return found


def _extract_job(route: Any, raw: bytes, content_encoding: str, content_type: str, query: str,
                 max_text_bytes: int, defer_files_from: int | None = None) -> tuple[bytes | None, Any]:
    from dlp_proxy.gateway.pipeline import decode_and_extract

    body, extracted = decode_and_extract(route, raw, content_encoding, content_type, query, max_text_bytes,
                                         defer_files_from=defer_files_from)
    return (None if body is raw else body), extracted  # the same bytes are not sent back


#: a Finding as it crosses the process boundary: its fields in order (model.Finding)
PackedFinding = tuple[str, int, int, float, str, tuple[str, ...], str]


def pack_findings(findings: Iterable[Finding]) -> tuple[PackedFinding, ...]:
    """Findings as plain tuples for the trip back from a worker.  Unpickling a frozen,
    slotted dataclass goes through ``dataclasses._dataclass_setstate`` (``fields()``
    and ``object.__setattr__`` per field), several times the cost of tuples rebuilt
    by ``unpack_findings`` (docs/benchmarks.md, ``bench_post_cost.py``).  Equal strings (entity type, recognizer,
    explanation) are sent once."""
    memo: dict[str, str] = {}

    def one(s: str) -> str:
        return memo.setdefault(s, s)

    return tuple((one(f.entity_type), f.start, f.end, f.score, one(f.recognizer), f.transforms, one(f.explanation))
                 for f in findings)


def unpack_findings(packed: Iterable[PackedFinding]) -> tuple[Finding, ...]:
    """The ``Finding`` objects ``pack_findings`` packed (the same types, values and order)."""
    return tuple(Finding(e, s, t, sc, r, tr, ex) for e, s, t, sc, r, tr, ex in packed)


def _packed_job(data: bytes | list[bytes], filename: str, limits: Any, entities: Collection[str] | None,
                budget_seconds: float | None = None, sealed: SealedSegments | None = None,
                ) -> tuple[Extraction, list[tuple[PackedFinding, ...]]]:
    """``_job`` with its findings packed for the trip back (``pack_findings``)."""
    extraction, findings = _job(data, filename, limits, entities, budget_seconds, sealed)
    return extraction, [pack_findings(fs) for fs in findings]


#: in a worker: the file parts of the body its session extracted last, kept here (not
#: sent back to the gateway and out again) until the session's scan jobs take them
_kept: dict[str, bytes | tuple[Spooled, int, int]] = {}


def _trim() -> None:
    """Hand the memory a large job freed back to the system (glibc keeps freed heap
    memory in the process otherwise: a worker's RSS would stay at its largest body's)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


#: bodies at least this large go to a worker through an encrypted spool file, not a pipe
SPOOL_MIN_BYTES = 1024 * 1024
_SPOOL_CHUNK = 1024 * 1024
#: a spool file is a sequence of records ``length(4, big-endian) | AES-256-GCM(chunk) + tag(16)``;
#: record ``i``'s nonce is ``i`` (12 bytes, big-endian; one key per spool), its associated data ``i`` (8 bytes)
_REC_HEAD = 4
_TAG_LEN = 16


def _new_bytes(size: int) -> tuple[bytes | bytearray, memoryview]:
    """A new ``bytes`` object of ``size`` bytes, not yet filled, and a writable view
    of its contents: CPython's ``PyBytes_FromStringAndSize(NULL, size)``, whose
    contents the C API lets its creator fill before anyone else sees the object.
    Elsewhere (no ``ctypes.pythonapi``) a ``bytearray``, which the caller copies."""
    import ctypes

    try:
        new = ctypes.pythonapi.PyBytes_FromStringAndSize
        new.restype, new.argtypes = ctypes.py_object, (ctypes.c_void_p, ctypes.c_ssize_t)
        as_string = ctypes.pythonapi.PyBytes_AsString
        as_string.restype, as_string.argtypes = ctypes.c_void_p, (ctypes.py_object,)
    except AttributeError:
        out = bytearray(size)
        return out, memoryview(out)
    obj: bytes = new(None, size)
    if size == 0:
        return obj, memoryview(bytearray())
    return obj, memoryview((ctypes.c_char * size).from_address(as_string(obj))).cast("B")


class SpoolWriter:
    """A request body written to an encrypted spool file as it arrives
    (``Spooled``): each ``feed`` seals its bytes as one record, so memory holds one
    network read at a time, never the body.  ``finish`` returns the ``Spooled``
    body; ``abort`` deletes the file.  An OSError from ``feed`` means the body
    could not be kept: the request must be refused (fail closed)."""

    def __init__(self, directory: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key = os.urandom(32)
        self._aead = AESGCM(self.key)
        fd, self.path = tempfile.mkstemp(dir=directory, suffix=".spool")
        self._file: Any = os.fdopen(fd, "wb", buffering=0)
        self.size = 0
        self._index = 0

    def feed(self, data: bytes) -> None:
        if not data:
            return
        sealed = self._aead.encrypt(self._index.to_bytes(12, "big"), data, self._index.to_bytes(8, "big"))
        self._file.write(len(sealed).to_bytes(_REC_HEAD, "big"))
        self._file.write(sealed)
        self._index += 1
        self.size += len(data)

    def finish(self) -> Spooled:
        self._file.close()
        return Spooled(self.path, self.key, self.size)

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class Spooled:
    """A request body on disk: in a file only this process and its workers can open
    (mode 0600 in a 0700 directory), AES-256-GCM under a key that exists only in
    memory (this object, pickled into a job's arguments), in authenticated records
    (``SpoolWriter``).  Read whole by a worker (``read``) or chunk by chunk when the
    gateway forwards it (``chunks``); deleted when the request is done."""

    def __init__(self, path: str, key: bytes, size: int) -> None:
        self.path, self.key, self.size = path, key, size

    @classmethod
    def write(cls, directory: str, data: bytes) -> Spooled:
        """``data`` spooled in one go (a body already in memory)."""
        writer = SpoolWriter(directory)
        try:
            view = memoryview(data)
            for i in range(0, len(view), _SPOOL_CHUNK):
                writer.feed(view[i : i + _SPOOL_CHUNK])  # type: ignore[arg-type]  # a buffer: no copy
            return writer.finish()
        except BaseException:
            writer.abort()
            raise

    def chunks(self) -> Iterator[bytes]:
        """The body's bytes, record by record, each authenticated before it is
        given out; raises (``InvalidTag``, ``ValueError``) on a changed, reordered
        or truncated file."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        aead = AESGCM(self.key)
        done = index = 0
        with open(self.path, "rb", buffering=0) as f:
            while head := f.read(_REC_HEAD):
                length = int.from_bytes(head, "big")
                sealed = f.read(length)
                if len(head) != _REC_HEAD or len(sealed) != length or length < _TAG_LEN:
                    raise ValueError("the spooled body is truncated")
                plain = aead.decrypt(index.to_bytes(12, "big"), sealed, index.to_bytes(8, "big"))
                del sealed
                index += 1
                done += len(plain)
                if done > self.size:
                    raise ValueError("the spooled body is not the size written")
                yield plain
        if done != self.size:
            raise ValueError("the spooled body is not the size written")

    def read_range(self, start: int, end: int) -> bytes:
        """Bytes ``start:end`` of the body (in a worker), each record authenticated
        (``chunks``); the records after ``end`` are not read.  Raises when the body
        is shorter."""
        if not 0 <= start <= end <= self.size:
            raise ValueError("the range is not in the spooled body")
        out, view = _new_bytes(end - start)
        done = at = 0
        try:
            for chunk in self.chunks():
                a, b = max(start, at), min(end, at + len(chunk))
                if a < b:
                    view[done : done + b - a] = memoryview(chunk)[a - at : b - at]
                    done += b - a
                at += len(chunk)
                if at >= end:
                    break
        finally:
            view.release()
        if done != end - start:
            raise ValueError("the spooled body is shorter than the range")
        return out if isinstance(out, bytes) else bytes(out)

    def read(self) -> bytes:
        """The whole body (in a worker).  Raises if the file was changed.

        Decrypted straight into the ``bytes`` object returned (``_new_bytes``), not
        into a buffer copied at the end: that copy was a second body in memory."""
        out, view = _new_bytes(self.size)
        done = 0
        try:
            for chunk in self.chunks():
                view[done : done + len(chunk)] = chunk
                done += len(chunk)
        finally:
            view.release()
        return out if isinstance(out, bytes) else bytes(out)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def _extract_keep_job(route: Any, raw: bytes | Spooled, content_encoding: str, content_type: str, query: str,
                      max_text_bytes: int, in_spool: bool = False) -> tuple[bytes | None, Any, list[str]]:
    """``_extract_job``, the file parts' bytes kept in this worker (``_kept``, by part
    path) and sent back empty: the session's ``_scan_kept_job`` judges them here.
    The decoded body is sent back only when it differs from the one received.

    ``in_spool``: ``raw`` is the request's own spool, which stays until the request is
    done: a large multipart file part is not copied out of the body but read from the
    spool when it is judged (``FilePart.span``), once the body is freed, so the worker
    holds the body or the file, never both (docs/benchmarks.md, "Upload memory")."""
    _drop_kept()
    spool = raw if isinstance(raw, Spooled) and in_spool else None
    if spool is not None:
        _seal_dir.append(os.path.dirname(spool.path))
    if isinstance(raw, Spooled):
        raw = raw.read()  # (the gateway deletes the file: it may still forward from it)
    body, extracted = _extract_job(route, raw, content_encoding, content_type, query, max_text_bytes,
                                   SPOOL_MIN_BYTES if spool is not None else None)
    del raw
    kept: list[str] = []
    for i, part in enumerate(extracted.files):
        if part.path not in _kept:
            if part.span is not None:
                if spool is None or body is not None:
                    raise RuntimeError("a file part left in a body that is not the spooled one")
                _kept[part.path] = (spool, *part.span)
            else:
                _kept[part.path] = part.data
            extracted.files[i] = dataclasses.replace(part, data=b"", span=None)
            kept.append(part.path)
    return body, extracted, kept


#: in a worker: the texts of the segments its session's scan jobs left here, by part
#: path: (the text of a segment index, the indexes left), until the session ends
#: (``_drop_kept``)
_texts: dict[str, tuple[Callable[[int], str], frozenset[int]]] = {}
#: in a worker: the sealed text files of its session (``SealedTexts``), deleted with it
_sealed: list[SealedTexts] = []
#: in a worker: the directory of the spool its session's body came from (the gateway's,
#: 0700), where ``_scan_kept_job`` seals extracted texts; None: texts stay in memory
_seal_dir: list[str] = []

#: a segment at most this long comes back to the gateway whole (``_scan_kept_job``)
KEEP_WHOLE_CHARS = 4096


def _lead_chars() -> int:
    """Characters of a file's first segments that come back whole: what the
    cross-field pass reads of file texts when a request has many
    (``Pipeline._cross_field``: the first ``4 * CROSS_FIELD_MAX_CHARS`` of the
    joined fields, each field's first ``CROSS_FIELD_MAX_CHARS``)."""
    from dlp_proxy.gateway.pipeline import CROSS_FIELD_MAX_CHARS

    return 4 * CROSS_FIELD_MAX_CHARS


def _scan_kept_job(path: str, filename: str, limits: Any, entities: Collection[str] | None,
                   budget_seconds: float | None, whole_chars: int | None = None,
                   ) -> tuple[Extraction, list[tuple[PackedFinding, ...]], dict[int, int]]:
    """``_packed_job`` over a part ``_extract_keep_job`` kept, and the segments whose
    text stayed here: {index: length}.

    With ``whole_chars`` None every segment's text comes back.  Otherwise a segment
    comes back with an empty text, its text kept in this worker (``_texts``), when it
    has no finding, is longer than ``whole_chars`` and ``KEEP_WHOLE_CHARS``, and
    follows the file's first ``_lead_chars()`` characters: nothing the gateway reads
    of a file's text without findings is in it (``Pipeline._cross_field`` asks this
    worker for its context words, ``kept_terms``; the split window takes only file
    segments of at most its ``max_chars``), and a held upload, whose reviewer sees
    the whole extracted text, fetches it (``kept_texts``) before it is held."""
    held = _kept.pop(path, None)
    if held is None:
        raise LookupError("the scan worker no longer holds this file part")
    if isinstance(held, tuple):  # left in the spooled body: read from there now
        spool, start, end = held
        held = spool.read_range(start, end)
    box, held = [held], None  # (``_job`` frees the bytes once extracted)
    sealed = None
    if whole_chars is not None and _seal_dir:
        sealed = SealedSegments(SealedTexts(_seal_dir[0]))
        _sealed.append(sealed.texts)
    try:
        extraction, packed = _packed_job(box, filename, limits, entities, budget_seconds, sealed)
        if whole_chars is None:
            return extraction, packed, {}
        whole, lead_chars = max(whole_chars, KEEP_WHOLE_CHARS), _lead_chars()
        segments, lengths, lead = list(extraction.segments), {}, 0
        from dlp_proxy.gateway.pipeline import CROSS_FIELD_MAX_CHARS

        texts: dict[int, str] = {}
        for i, (seg, found) in enumerate(zip(segments, packed, strict=True)):
            text = seg.text if sealed is None else sealed.texts.text(i)
            keep_whole = lead < lead_chars or found or len(text) <= whole
            lead += min(len(text), CROSS_FIELD_MAX_CHARS)
            if keep_whole:
                if sealed is not None:
                    segments[i] = TextSegment(seg.location, text)
                continue
            lengths[i] = len(text)
            if sealed is None:
                texts[i] = text
                segments[i] = TextSegment(seg.location, "")
        if lengths:
            _texts[path] = (texts.__getitem__ if sealed is None else sealed.texts.text, frozenset(lengths))
        if lengths or sealed is not None:
            extraction = dataclasses.replace(extraction, segments=tuple(segments))
        return extraction, packed, lengths
    finally:
        if not _kept:
            _trim()


def _kept_texts_job(path: str) -> dict[int, str]:
    """The texts ``_scan_kept_job`` kept of ``path``'s segments (they stay here)."""
    held = _texts.get(path)
    if held is None:
        raise LookupError("the scan worker no longer holds this file's text")
    text_of, indexes = held
    return {i: text_of(i) for i in sorted(indexes)}


def _kept_ends_job(path: str, indexes: Collection[int], chars: int) -> dict[int, tuple[str, str]]:
    """The first and last ``chars`` characters of kept segments' texts (they stay here):
    an uploaded file's text ends, for the split window (``Pipeline._file_ends``)."""
    held = _texts.get(path)
    if held is None:
        raise LookupError("the scan worker no longer holds this file's text")
    text_of, left = held
    return {i: (text[:chars], text[-chars:]) for i in sorted(set(indexes) & left) if (text := text_of(i))}


def _kept_terms_job(path: str, indexes: Collection[int]) -> dict[int, list[str]]:
    """``Engine.context_terms`` of kept segments as ``Pipeline._cross_field`` reads a
    field's own words: of a text of at most ``CROSS_FIELD_MAX_CHARS`` that is not ASCII
    or has a letter (the others are left out)."""
    from dlp_proxy.gateway.pipeline import _ANY_LETTER, CROSS_FIELD_MAX_CHARS

    held = _texts.get(path)
    if held is None:
        raise LookupError("the scan worker no longer holds this file's text")
    text_of, left = held
    terms_of = getattr(_worker_detector, "context_terms", None)
    if terms_of is None:
        raise RuntimeError("the scan worker's detector reads no context words")
    out: dict[int, list[str]] = {}
    for i in indexes:
        if i not in left:
            raise LookupError("the scan worker holds no text of this segment")
        text = text_of(i)
        if len(text) <= CROSS_FIELD_MAX_CHARS and (not text.isascii() or _ANY_LETTER.search(text)):
            out[i] = list(terms_of(text))
    return out


def _spool_pieces(spool: Spooled, start: int, end: int) -> Iterator[memoryview]:
    """Bytes ``start:end`` of a spooled body, a record at a time (each authenticated)."""
    at = 0
    for chunk in spool.chunks():
        a, b = max(start, at), min(end, at + len(chunk))
        if a < b:
            yield memoryview(chunk)[a - at : b - at]
        at += len(chunk)
        if at >= end:
            return


def _store_kept_job(path: str, store: tuple[str, int, int, bytes, bool], upload_id: str,
                    offset: int | None) -> tuple[int, int]:
    """A resumable upload's chunk this worker holds (``_extract_keep_job``: its bytes,
    or its place in the request's spool) written to the upload store
    (dlp_proxy/files/uploads.py) at ``offset`` (None: at the end), sealed in pieces
    as it is read, so the gateway never holds it and this worker holds it at most
    once.  Returns (the chunk's length, where the stored file now ends)."""
    from dlp_proxy.files.uploads import PIECE_BYTES, UploadStore

    held = _kept.pop(path, None)
    if held is None:
        raise LookupError("the scan worker no longer holds this file part")
    try:
        if isinstance(held, tuple):
            spool, start, end = held
            length, pieces = end - start, _spool_pieces(spool, start, end)
        else:
            view = memoryview(held)
            length, pieces = len(view), (view[i : i + PIECE_BYTES] for i in range(0, len(view), PIECE_BYTES))
        end_of_file = UploadStore.from_spec(store).write_pieces(upload_id, pieces, length, offset)
        return length, end_of_file
    finally:
        del held
        if not _kept:
            _trim()


def _assemble_job(store: tuple[str, int, int, bytes, bool], upload_id: str, size: int | None, path: str,
                  seal_dir: str) -> tuple[int, list[tuple[int, int]]]:
    """A resumable upload's whole file, as Mattermost holds it, assembled from the
    upload store straight into one buffer and kept in this worker as the part
    ``path`` (``_scan_kept_job`` judges it here; its texts are sealed in
    ``seal_dir``).  ``size``: the session's file_size (None: where the stored
    chunks end).  Returns (its size, the byte ranges no chunk covered)."""
    from dlp_proxy.files.uploads import UploadStore

    uploads = UploadStore.from_spec(store)
    if size is None:
        size = uploads.size(upload_id)
    out, view = _new_bytes(size)
    try:
        gaps = uploads.assemble_into(upload_id, view, size)
    finally:
        view.release()
    _kept[path] = out if isinstance(out, bytes) else bytes(out)
    del out
    if not _seal_dir:
        _seal_dir.append(seal_dir)
    return size, gaps


def _drop_kept() -> None:
    _kept.clear()
    _texts.clear()
    _seal_dir.clear()
    while _sealed:
        _sealed.pop().close()
    _trim()


@dataclasses.dataclass(frozen=True, slots=True)
class KeptFileText(ContentItem):
    """A file segment whose text stayed in the scan session's worker
    (``_scan_kept_job``): ``text`` is empty; ``length`` is the text's; ``part`` and
    ``index`` name it for ``ScanSession.kept_texts`` and ``kept_terms``."""

    part: str = ""
    index: int = -1
    length: int = 0


def _scan_texts_job(items: Any, entities: Collection[str] | None) -> tuple[list[tuple[PackedFinding, ...]], float]:
    """Detection over request texts (``Pipeline._scan``), in a worker; the findings of
    each item, packed, and the worker's CPU time (the texts stay where they came from)."""
    started = time.process_time()
    scanned = list(_worker_detector.scan(items, entities=entities))
    return [pack_findings(s.findings) for s in scanned], time.process_time() - started


def _pool_cpu(pool: Any) -> float:
    """CPU seconds (user + system) the pool's worker processes used so far, read from
    /proc (0 where it cannot be read: the job is then charged nothing)."""
    total = 0.0
    for pid in dict(getattr(pool, "_processes", None) or {}):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, ValueError, IndexError):
            continue
    return total


_CLOCK_TICKS = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0


class FileScanner:
    """A pool of worker processes, each in a *slot* of its own (a one-process
    ``ProcessPoolExecutor``), so a job that overruns its deadline - or whose caller
    is cancelled, e.g. by the request's deadline - kills its own worker only: the
    other slots' jobs go on, and the killed slot is restarted at once (in the
    background), so CPU returns to idle and the next job does not pay the start."""

    def __init__(self, *, workers: int | None = None, ner: bool | None = False, memory_limit_mb: int | None = 3072,
                 limits: Any = None, config_dir: Path | None = None, detector: str | None = None,
                 nice: int = 10, scheduling: str = "normal", quick_start: bool = False,
                 spool_dir: Path | None = None) -> None:
        """``config_dir``/``detector``: the gateway's own (its Settings), so the
        workers judge with the same recognizers; ``nice``: DLP_FILE_WORKER_NICE or
        DLP_SCAN_WORKER_NICE; ``scheduling``: DLP_WORKER_SCHEDULING (``procs.lower_priority``);
        ``quick_start``: the workers start at the gateway's priority (``_init_worker``);
        ``spool_dir``: where large bodies wait for a worker (encrypted, see ``Spooled``)."""
        self.config_dir = str(config_dir) if config_dir is not None else None
        self.detector = detector
        self.workers = workers or max(1, (os.cpu_count() or 2) - 0)
        self.ner = ner
        self.memory_limit_mb = memory_limit_mb
        self.limits = limits
        #: CPU priority offset of the workers (DLP_FILE_WORKER_NICE)
        self.nice = nice
        #: Linux scheduling policy of the workers (DLP_WORKER_SCHEDULING)
        self.scheduling = scheduling
        self.quick_start = quick_start
        self._slots: list[ProcessPoolExecutor | None] = [None] * self.workers
        self._idle: list[int] = list(range(self.workers))
        self._waiters: list[asyncio.Future[int]] = []
        #: per slot, the start-up job of its current worker (done: the worker is ready)
        self._warm: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        #: workers killed at a deadline or a cancellation (for tests and metrics)
        self.killed = 0
        self._spool_parent = spool_dir
        self._spool_dir: str | None = None

    def spool_dir(self) -> str:
        """A directory of this scanner's own (0700) for bodies on their way to a worker
        (``Spooled``): under ``spool_dir`` (the gateway's data directory), else the
        system's temporary directory."""
        with self._lock:
            if self._spool_dir is None or not os.path.isdir(self._spool_dir):
                parent = None
                if self._spool_parent is not None:
                    Path(self._spool_parent).mkdir(mode=0o700, parents=True, exist_ok=True)
                    parent = str(self._spool_parent)
                self._spool_dir = tempfile.mkdtemp(prefix="dlp-spool-", dir=parent)
            return self._spool_dir

    def _new_pool(self) -> ProcessPoolExecutor:
        from dlp_proxy.detect import hsdb
        from dlp_proxy.procs import worker_context

        return ProcessPoolExecutor(
            max_workers=1, mp_context=worker_context(),
            initializer=_init_worker, initargs=(self.ner, self.memory_limit_mb, os.getpid(), self.config_dir,
                                                self.detector, self.nice, self.scheduling, self.quick_start,
                                                hsdb.exported()),
        )

    def _pool(self, slot: int) -> ProcessPoolExecutor:
        with self._lock:
            pool = self._slots[slot]
            if pool is None:
                pool = self._slots[slot] = self._new_pool()
            return pool

    def warm_up(self) -> None:
        """Start the workers (and build their detectors) before the first job."""
        for slot in range(self.workers):
            self._warm[slot] = self._pool(slot).submit(int)

    async def start(self) -> None:
        """Start the workers and wait until each has built its detector."""
        self.warm_up()
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self._warm.values()))

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers."""
        with self._lock:
            pools = [p for p in self._slots if p is not None]
        return [pid for p in pools for pid in dict(getattr(p, "_processes", None) or {})]

    def _kill(self, slot: int, pool: ProcessPoolExecutor, *, restart: bool = True) -> None:
        with self._lock:
            if self._slots[slot] is pool:
                self._slots[slot] = None
        for proc in dict(getattr(pool, "_processes", None) or {}).values():
            try:
                proc.kill()
            except Exception:  # noqa: S110 - already gone
                pass
        pool.shutdown(wait=False, cancel_futures=True)
        if restart:
            try:
                # a fresh worker builds its detector now, not on the next job
                self._warm[slot] = self._pool(slot).submit(int)
            except Exception:  # noqa: S110 - started again on the next job
                pass

    def _ready(self, slot: int) -> bool:
        warm = self._warm.get(slot)
        return warm is None or warm.done()

    async def _acquire(self) -> int:
        """A free slot whose worker is ready.  A worker still starting (a replacement
        building its detector) is waited for here, not handed a job: a job's deadline
        kills its worker, and a starting one killed loses its start-up, so on a loaded
        host each request would kill the next replacement before it was ready."""
        loop = asyncio.get_running_loop()
        while True:
            for i in range(len(self._idle) - 1, -1, -1):
                if self._ready(self._idle[i]):
                    return self._idle.pop(i)
            # no free ready slot: wait for a slot to be released or a free one's worker to be ready
            waiter: asyncio.Future[int] = loop.create_future()
            self._waiters.append(waiter)
            starting = [self._warm[s] for s in self._idle if s in self._warm]
            ready: asyncio.Future[None] = loop.create_future()

            def set_ready(ready: asyncio.Future[None] = ready) -> None:
                if not ready.done():
                    ready.set_result(None)

            def fire(_f: Any) -> None:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(set_ready)

            for f in starting:
                f.add_done_callback(fire)
            try:
                either: list[asyncio.Future[Any]] = [waiter, ready]
                await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            except BaseException:
                self._drop_waiter(waiter)
                raise
            finally:
                if not ready.done():
                    ready.cancel()
            if waiter.done():
                slot = waiter.result()
                if self._ready(slot):
                    return slot
                self._idle.append(slot)  # handed a starting one: wait again
            else:
                self._drop_waiter(waiter)

    def _drop_waiter(self, waiter: asyncio.Future[int]) -> None:
        if waiter.done() and not waiter.cancelled():
            self._release(waiter.result())  # handed a slot as it gave up: pass it on
        else:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            waiter.cancel()

    def _release(self, slot: int) -> None:
        while self._waiters:
            waiter = self._waiters.pop(0)
            if not waiter.done():
                waiter.set_result(slot)
                return
        self._idle.append(slot)

    async def scan(self, data: bytes, filename: str, entities: Collection[str] | None,
                   timeout: float) -> tuple[Extraction, list[list[Finding]]]:
        limits = gateway_limits(timeout, self.limits)
        extraction, packed = await self.run(
            _packed_job, bytes(data), filename, limits, frozenset(entities) if entities is not None else None,
            timeout * JOB_BUDGET_SHARE, timeout=timeout)
        return extraction, [list(unpack_findings(fs)) for fs in packed]

    async def scan_texts(self, items: Any, entities: Collection[str] | None,
                         timeout: float, spent: list[float] | None = None) -> tuple[list[ScannedItem], float]:
        """``detector.scan(items)`` in a worker; (scanned items, the worker's CPU seconds).
        ``spent``: see ``run``."""
        items = list(items)
        packed, cost = await self.run(
            _scan_texts_job, items, frozenset(entities) if entities is not None else None, timeout=timeout,
            spent=spent)
        if len(packed) != len(items):
            raise RuntimeError("the scan worker answered for another number of texts")
        return [ScannedItem(item, unpack_findings(fs)) for item, fs in zip(items, packed, strict=True)], cost

    async def extract_body(self, route: Any, raw: bytes, content_encoding: str, content_type: str, query: str,
                           max_text_bytes: int, timeout: float) -> tuple[bytes, Any]:
        """``dlp_proxy.gateway.pipeline.decode_and_extract`` of a large body, in a worker.

        Parsing a 10 MB multipart body takes the standard library's MIME parser a
        few hundred milliseconds of Python; in a thread of the gateway it holds the
        GIL in switch-interval slices, and every other request waits up to a slice
        each time it needs the GIL back.  In a worker (at the workers' lower CPU
        priority), the gateway process only copies the bytes in and out.
        Returns (decoded body, Extracted); a ``BodyError`` comes back as itself.
        """
        decoded, extracted = await self.run(_extract_job, route, raw, content_encoding, content_type, query,
                                            max_text_bytes, timeout=timeout)
        return (raw if decoded is None else decoded), extracted

    @contextlib.asynccontextmanager
    async def session(self, timeout: float) -> AsyncIterator[ScanSession]:
        """One worker for several jobs of one request (``ScanSession``): a large body
        is parsed there and its files stay there to be judged, instead of coming back
        to the gateway and going out again (each trip a copy of the file in the
        gateway's memory).  ``timeout``: for a free worker."""
        async with asyncio.timeout(timeout):
            slot = await self._acquire()
        session = ScanSession(self, slot)
        try:
            yield session
        finally:
            if session.kept or session.texts or session.sealing:
                # left before its files were judged (an error, a refusal): free them
                pool = self._slots[slot]
                if pool is not None:
                    try:
                        pool.submit(_drop_kept)
                    except RuntimeError:  # shut down: the worker goes with the pool
                        pass
            self._release(slot)

    async def run(self, fn: Any, *args: Any, timeout: float, spent: list[float] | None = None) -> Any:
        """``fn(*args)`` in a worker within ``timeout`` seconds (waiting for a free
        worker included).  On timeout, or when the caller is cancelled, the worker
        running the job is killed (a runaway job must not keep a core busy); a
        worker that crashed is replaced and the job retried once.  ``spent``: the CPU
        seconds the worker spent on a job killed this way is appended to it (nothing
        for a job still waiting for a free worker: the wait is not its sender's)."""
        async with asyncio.timeout(timeout):
            slot = await self._acquire()
            try:
                return await self._run_on(slot, fn, *args, spent=spent)
            finally:
                self._release(slot)

    async def _run_on(self, slot: int, fn: Any, *args: Any, retry: bool = True,
                      spent: list[float] | None = None) -> Any:
        loop = asyncio.get_running_loop()
        for attempt in range(2 if retry else 1):
            pool = self._pool(slot)
            before = _pool_cpu(pool) if spent is not None else 0.0
            future = loop.run_in_executor(pool, fn, *args)
            try:
                return await future
            except (TimeoutError, asyncio.CancelledError):
                self.killed += 1
                if spent is not None:
                    spent.append(max(0.0, _pool_cpu(pool) - before))  # measured before the kill
                self._kill(slot, pool)
                raise
            except BrokenProcessPool:
                self._kill(slot, pool, restart=False)
                if attempt == 0 and retry:
                    continue
                raise
        raise RuntimeError("unreachable")

    def shutdown(self) -> None:
        with self._lock:
            pools, self._slots = [(i, p) for i, p in enumerate(self._slots) if p is not None], [None] * self.workers
            spool, self._spool_dir = self._spool_dir, None
        for slot, pool in pools:
            self._kill(slot, pool, restart=False)
        if spool is not None:
            import shutil

            shutil.rmtree(spool, ignore_errors=True)


class ScanSession:
    """A worker held for the jobs of one request (``FileScanner.session``)."""

    def __init__(self, scanner: FileScanner, slot: int) -> None:
        self.scanner = scanner
        self.slot = slot
        #: paths of the file parts the worker holds, not yet judged
        self.kept: set[str] = set()
        #: paths of the file parts some of whose segments' texts the worker holds
        self.texts: set[str] = set()
        #: the worker may hold sealed texts (``SealedTexts``) to delete at the end
        self.sealing = False

    async def extract_body(self, route: Any, raw: bytes | Spooled, content_encoding: str, content_type: str,
                           query: str, max_text_bytes: int, timeout: float, *, keep_files: bool) -> tuple[bytes, Any]:
        """``FileScanner.extract_body`` in this session's worker.  ``keep_files``: the
        file parts come back empty (``FilePart.data`` is ``b""``) and stay in the
        worker for ``scan_kept`` (``self.kept`` names them).  ``raw`` may be a body
        spooled as it arrived (the gateway's ``SpoolWriter``): the worker reads the
        file, and the body comes back as ``b""`` unless its decoding differs (the
        caller keeps the spool and forwards from it)."""
        if isinstance(raw, Spooled):
            if not keep_files:
                raise ValueError("a spooled body is extracted with its files kept in the worker")
            self.sealing = True
            async with asyncio.timeout(timeout):
                decoded, extracted, kept = await self.scanner._run_on(
                    self.slot, _extract_keep_job, route, raw, content_encoding, content_type, query, max_text_bytes,
                    True, retry=False)
                self.kept = set(kept)
            return (b"" if decoded is None else decoded), extracted
        async with asyncio.timeout(timeout):
            if not keep_files:
                decoded, extracted = await self.scanner._run_on(self.slot, _extract_job, route, raw, content_encoding,
                                                                content_type, query, max_text_bytes)
            else:
                spooled = None
                if len(raw) >= SPOOL_MIN_BYTES:
                    spooled = await asyncio.to_thread(Spooled.write, self.scanner.spool_dir(), raw)
                try:
                    # not retried on a new worker: the retry would not hold the parts either
                    decoded, extracted, kept = await self.scanner._run_on(
                        self.slot, _extract_keep_job, route, raw if spooled is None else spooled, content_encoding,
                        content_type, query, max_text_bytes, retry=False)
                finally:
                    if spooled is not None:
                        spooled.remove()  # (the worker removed it already unless it failed first)
                self.kept = set(kept)
        return (raw if decoded is None else decoded), extracted

    async def store_chunk(self, path: str, store: Any, upload_id: str, offset: int | None,
                          timeout: float) -> tuple[int, int]:
        """``_store_kept_job``: the chunk this session's worker holds as ``path`` into
        the upload store ``store`` (an ``UploadStore``); (its length, the file's end)."""
        if path not in self.kept:
            raise LookupError("this file part is not held by the session's worker")
        self.kept.discard(path)
        async with asyncio.timeout(timeout):
            done: tuple[int, int] = await self.scanner._run_on(
                self.slot, _store_kept_job, path, store.spec(), upload_id, offset, retry=False)
        return done

    async def assemble_upload(self, store: Any, upload_id: str, size: int | None, path: str,
                              timeout: float) -> tuple[int, list[tuple[int, int]]]:
        """``_assemble_job``: the upload's whole file kept in this session's worker as
        ``path`` (``scan_kept`` judges it); (its size, the ranges no chunk covered)."""
        self.sealing = True
        self.kept.add(path)  # (dropped with the session if it is never judged)
        async with asyncio.timeout(timeout):
            done: tuple[int, list[tuple[int, int]]] = await self.scanner._run_on(
                self.slot, _assemble_job, store.spec(), upload_id, size, path, self.scanner.spool_dir(), retry=False)
        return done

    async def scan(self, data: bytes, filename: str, entities: Collection[str] | None,
                   timeout: float) -> tuple[Extraction, list[list[Finding]]]:
        """``FileScanner.scan`` in this session's worker (the request holds it: with one
        worker, a scan that waited for another would wait for its own request)."""
        limits = gateway_limits(timeout, self.scanner.limits)
        async with asyncio.timeout(timeout):
            extraction, packed = await self.scanner._run_on(
                self.slot, _packed_job, bytes(data), filename, limits,
                frozenset(entities) if entities is not None else None, timeout * JOB_BUDGET_SHARE)
        return extraction, [list(unpack_findings(fs)) for fs in packed]

    async def scan_kept(self, path: str, filename: str, entities: Collection[str] | None,
                        timeout: float, *, whole_chars: int | None = None,
                        ) -> tuple[Extraction, list[list[Finding]], dict[int, int]]:
        """``FileScanner.scan`` of a part this session's worker holds, and {index:
        length} of the segments whose text stayed in the worker (``_scan_kept_job``;
        none unless ``whole_chars`` is given)."""
        if path not in self.kept:
            raise LookupError("this file part is not held by the session's worker")
        self.kept.discard(path)
        limits = gateway_limits(timeout, self.scanner.limits)
        async with asyncio.timeout(timeout):
            extraction, packed, left = await self.scanner._run_on(
                self.slot, _scan_kept_job, path, filename, limits,
                frozenset(entities) if entities is not None else None, timeout * JOB_BUDGET_SHARE, whole_chars,
                retry=False)
        if left:
            self.texts.add(path)
        return extraction, [list(unpack_findings(fs)) for fs in packed], left

    async def kept_texts(self, path: str, timeout: float) -> dict[int, str]:
        """The texts of ``path``'s segments the worker kept (``scan_kept``), by index."""
        if path not in self.texts:
            raise LookupError("the session's worker holds no text of this file part")
        async with asyncio.timeout(timeout):
            texts: dict[int, str] = await self.scanner._run_on(self.slot, _kept_texts_job, path, retry=False)
        return texts

    async def kept_ends(self, path: str, indexes: Collection[int], chars: int,
                        timeout: float) -> dict[int, tuple[str, str]]:
        """The first and last ``chars`` characters of kept segments (``_kept_ends_job``)."""
        if path not in self.texts:
            raise LookupError("the session's worker holds no text of this file part")
        async with asyncio.timeout(timeout):
            ends: dict[int, tuple[str, str]] = await self.scanner._run_on(
                self.slot, _kept_ends_job, path, list(indexes), chars, retry=False)
        return ends

    async def kept_terms(self, path: str, indexes: Collection[int], timeout: float) -> dict[int, list[str]]:
        """The context words of kept segments, as ``Pipeline._cross_field`` reads a
        field's own (``_kept_terms_job``): by index, for those it reads."""
        if path not in self.texts:
            raise LookupError("the session's worker holds no text of this file part")
        async with asyncio.timeout(timeout):
            terms: dict[int, list[str]] = await self.scanner._run_on(
                self.slot, _kept_terms_job, path, list(indexes), retry=False)
        return terms
