"""The bytes a format's reading did not cover, read as they are.

A format read through an index (a ZIP's central directory, a TAR's headers, a PDF's
cross-reference table) reads only what the index reaches; the stored file carries every
byte, and another reader may take what the index skips: clear text before or after a
ZIP (a .csv with a ZIP tail is a ZIP to the sniffer), a second ZIP in front of the one
the central directory names (Java's ``ZipInputStream`` reads local headers in stream
order and extracts it), text after a TAR's end blocks or in a member's padding, a PDF's
earlier revision.  The format module works out which spans of the file its reading
consumed; ``read_spans`` reads the rest:

- local ZIP file headers found in a span are read in stream order (a streaming reader's
  view: bounded by the same size, ratio and entry limits as a listed member);
- what is left, when it is a file of a known type (a gzip stream, a PDF, ...), is read
  as that file; when it decodes as text, as a text file; else its printable runs (ASCII,
  UTF-8, UTF-16) are read, and a zlib stream at its start is inflated and read.

Locations: ``outside=<start>-<end>`` (byte offsets in the file read), members of a local
walk ``outside=<start>-<end>/member=<name>``.
"""

from __future__ import annotations

import bz2
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable
from typing import Any

from dlp_proxy.files.bounded import READ_CHUNK, Bomb, TooBig, caps, check_ratio
from dlp_proxy.files.context import Ctx
from dlp_proxy.files.limits import TimeUp
from dlp_proxy.files.text import MIN_RUN, printable_runs

__all__ = ["MIN_RUN", "printable_runs", "read_span", "read_spans", "read_zip_outside", "uncovered", "zip_covered"]

#: bytes that carry nothing (padding of TAR records, line ends between PDF objects)
_BLANK = b"\x00 \t\r\n\f"
#: a binary span's printable runs are taken this many bytes at a time (time checked between)
RUNS_CHUNK = 1 << 20
RUNS_OVERLAP = 4096
_ZLIB_HEAD = re.compile(rb"\x78[\x01\x5e\x9c\xda]")
_LOCAL = b"PK\x03\x04"
_ZIP_FAMILY = frozenset({"zip", "docx", "xlsx", "pptx", "ooxml", "odt", "ods", "odp", "odf"})


def uncovered(size: int, covered: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans of ``[0, size)`` outside every ``covered`` span (half-open, any order)."""
    out: list[tuple[int, int]] = []
    pos = 0
    for start, end in sorted((max(0, s), min(size, e)) for s, e in covered):
        if start > pos:
            out.append((pos, start))
        pos = max(pos, end)
    if pos < size:
        out.append((pos, size))
    return out


def read_spans(data: bytes, spans: Iterable[tuple[int, int]], ctx: Ctx) -> None:
    """Read each ``data[start:end]`` of ``spans`` (see the module's docstring)."""
    for start, end in spans:
        ctx.budget.check_time()
        if start >= end or not data[start:end].strip(_BLANK):
            continue
        read_span(data[start:end], start, ctx)


def read_span(span: bytes, base: int, ctx: Ctx) -> None:
    """Read ``span`` (at offset ``base`` in the file read): local ZIP entries in stream
    order, then what is left between them."""
    rest = [(0, len(span))]
    if _LOCAL in span:
        taken = _walk_local(span, base, ctx)
        rest = uncovered(len(span), taken)
    for start, end in rest:
        piece = span[start:end]
        if piece.strip(_BLANK):
            _read_piece(piece, base + start, ctx)


def _read_piece(piece: bytes, base: int, ctx: Ctx) -> None:
    from dlp_proxy.files.sniff import sniff
    from dlp_proxy.files.text import decode

    body = piece.strip(_BLANK)
    base += len(piece) - len(piece.lstrip(_BLANK))
    loc = f"outside={base}-{base + len(body)}"
    kind = sniff(body)
    if kind not in ("text-or-binary", "text") and kind not in _ZIP_FAMILY:
        # a file of a known type (gzip, PDF, TAR, an image ...): read as that file
        ctx.span(loc).extract(body, kind=kind)
        return
    if decode(body[:8192]) is not None:
        ctx.span(loc).extract(body, kind="text-or-binary")
        return
    for at in range(0, len(body), RUNS_CHUNK):
        ctx.budget.check_time()
        # chunks overlap, so a run across a boundary is read whole in one of them
        if not ctx.add(loc, printable_runs(body[at:at + RUNS_CHUNK + RUNS_OVERLAP])):
            return
    head = _ZLIB_HEAD.search(body[:64])
    if head is not None:
        try:
            out = _inflate(body[head.start():], ctx, wbits=zlib.MAX_WBITS)
        except (Bomb, TooBig):
            ctx.problem("size-limit", loc)
            return
        except zlib.error:
            return  # not a zlib stream after all: its printable runs were read
        if out:
            ctx.budget.uncompressed += len(out)
            ctx.child(f"{loc}/zlib").extract(out)


def _inflate(raw: bytes, ctx: Ctx, *, wbits: int) -> bytes:
    """``raw`` inflated, bounded as every decompression is (``bounded.py``)."""
    d = zlib.decompressobj(wbits)
    return _bounded(d, raw, ctx)[0]


def _bounded(d: Any, raw: bytes, ctx: Ctx) -> tuple[bytes, int]:
    """(output, input bytes consumed) of decompressor ``d`` over ``raw``; stops at the
    end of its stream."""
    cap = caps(ctx)
    out = bytearray()
    pos = 0
    view = memoryview(raw)
    while pos < len(raw) and not d.eof:
        ctx.budget.check_time()
        piece = bytes(view[pos:pos + READ_CHUNK])
        pos += len(piece)
        out += d.decompress(piece)
        if len(out) > cap:
            raise TooBig()
        check_ratio(ctx, len(out), pos)
    if d.eof:
        pos -= len(d.unused_data)
    return bytes(out), pos


def _zip64_sizes(extra: bytes, csize: int, usize: int) -> tuple[int, int]:
    i = 0
    while i + 4 <= len(extra):
        tag, n = struct.unpack_from("<HH", extra, i)
        if tag == 1:
            body = extra[i + 4:i + 4 + n]
            vals = [struct.unpack_from("<Q", body, k)[0] for k in range(0, len(body) - 7, 8)]
            if usize == 0xFFFFFFFF and vals:
                usize = vals.pop(0)
            if csize == 0xFFFFFFFF and vals:
                csize = vals.pop(0)
            break
        i += 4 + n
    return csize, usize


def _walk_local(span: bytes, base: int, ctx: Ctx) -> list[tuple[int, int]]:
    """Read the local ZIP entries in ``span`` in stream order; the spans they took."""
    taken: list[tuple[int, int]] = []
    pos = 0
    while True:
        ctx.budget.check_time()
        i = span.find(_LOCAL, pos)
        if i < 0 or i + 30 > len(span):
            return taken
        _v, flag, method, _t, _d, _crc, csize, usize, nlen, xlen = struct.unpack_from("<HHHHHIIIHH", span, i + 4)
        start = i + 30 + nlen + xlen
        if start > len(span):
            pos = i + 4
            continue
        csize, usize = _zip64_sizes(span[i + 30 + nlen:start], csize, usize)
        name = span[i + 30:i + 30 + nlen].decode("utf-8" if flag & 0x800 else "cp437", "replace") or "(unnamed)"
        member = Ctx(ctx.budget, ctx.depth + 1, ctx.loc(f"outside={base + i}/member={name}"), ctx.recurse)
        end = _read_local(span, start, flag, method, csize, member, ctx, name)
        if end is None:
            pos = i + 4
            continue
        if flag & 0x8:  # data descriptor: optional signature, CRC, sizes
            end += 4 if span[end:end + 4] == b"PK\x07\x08" else 0
            end += 12
        end = min(end, len(span))
        taken.append((i, end))
        pos = max(end, i + 4)


def _read_local(span: bytes, start: int, flag: int, method: int, csize: int, member: Ctx, ctx: Ctx,
                name: str) -> int | None:
    """Read one local entry's data at ``span[start:]``; the offset after its data, or None
    when nothing there reads as the entry's data."""
    streamed = bool(flag & 0x8) and csize == 0
    if flag & 0x1:
        member.problem("encrypted")
        return None if streamed else start + csize
    if not ctx.budget.take_entry(member.prefix):
        return None if streamed else start + csize
    try:
        if method == 0:
            if streamed:
                # stored with a descriptor: the data runs to the next header
                nxt = [j for j in (span.find(b"PK\x07\x08", start), span.find(_LOCAL, start),
                                   span.find(b"PK\x01\x02", start)) if j >= 0]
                end = min(nxt) if nxt else len(span)
            else:
                end = min(start + csize, len(span))
            out = span[start:end]
            if len(out) > caps(ctx):
                raise TooBig()
        elif method == 8:
            raw = span[start:] if streamed else span[start:start + csize]
            out, used = _bounded(zlib.decompressobj(-zlib.MAX_WBITS), raw, ctx)
            end = start + used
        elif method == 12:
            raw = span[start:] if streamed else span[start:start + csize]
            out, used = _bounded(bz2.BZ2Decompressor(), raw, ctx)
            end = start + used
        else:
            member.problem("unsupported-type")
            return None if streamed else start + csize
    except Bomb:
        member.problem("zip-bomb")
        return None if streamed else start + csize
    except TooBig:
        member.problem("size-limit")
        return None if streamed else start + csize
    except TimeUp:
        raise
    except Exception:
        member.problem("corrupt")
        return None if streamed else start + csize
    ctx.budget.uncompressed += len(out)
    if member.depth > ctx.limits.max_depth:
        member.problem("depth-limit")
    else:
        member.extract(out, name=name)
    return end


def zip_covered(data: bytes) -> list[tuple[int, int]] | None:
    """The spans of ``data`` its ZIP reading consumes: each listed entry's local header,
    data and descriptor, the central directory through the end record and its comment;
    None when the file does not open as a ZIP."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except TimeUp:
        raise
    except Exception:
        return None
    with zf:
        spans: list[tuple[int, int]] = []
        for info in zf.infolist():
            h = info.header_offset
            if data[h:h + 4] != _LOCAL:
                continue
            nlen, xlen = struct.unpack_from("<HH", data, h + 26)
            end = h + 30 + nlen + xlen + info.compress_size
            if info.flag_bits & 0x8:
                wide = info.compress_size > 0xFFFFFFFF or info.file_size > 0xFFFFFFFF
                end += (4 if data[end:end + 4] == b"PK\x07\x08" else 0) + (20 if wide else 12)
            spans.append((h, end))
        start_dir = int(getattr(zf, "start_dir", len(data)))
        spans.append((start_dir, _eocd_end(data, len(zf.comment))))
    return spans


def _eocd_end(data: bytes, comment: int) -> int:
    """The offset after the end-of-central-directory record and its comment, found as
    Python's zipfile finds it (the last record in the last 64 KiB)."""
    if data[-22:-18] == b"PK\x05\x06" and data[-2:] == b"\x00\x00":
        return len(data)
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - (1 << 16) - 22))
    return len(data) if at < 0 else min(len(data), at + 22 + comment)


def with_polyglot_zip(data: bytes, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``covered`` and, when ``data`` also opens as a ZIP (a non-ZIP file the dispatcher
    reads as a ZIP too: ``polyglot=zip``), what that reading consumes."""
    if b"PK\x05\x06" not in data[-(65536 + 22):]:
        return covered
    return covered + (zip_covered(data) or [])


def read_zip_outside(data: bytes, ctx: Ctx) -> None:
    """Read the bytes of a ZIP (or an OOXML/ODF package) its central directory does not
    reach."""
    covered = zip_covered(data)
    if covered is not None:
        read_spans(data, uncovered(len(data), covered), ctx)
