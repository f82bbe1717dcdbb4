"""ZIP, TAR and single-file compressed streams (gzip, bzip2, xz, raw LZMA, zstd, Unix
``compress`` .Z, raw zlib), recursively, with bomb and size limits.

Every decompression is bounded *while it runs* (never trusting declared sizes):
output stops at the smaller of the bytes left in the file's uncompressed budget
and ``max_file_bytes``; a stream whose output exceeds ``max_ratio`` times its
input (once past ``ratio_floor_bytes``) is reported as ``zip-bomb`` and dropped.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.bounded import (
    READ_CHUNK,
    Bomb,
    TooBig,
    caps,
    check_ratio,
    read_zip_member,
    zip_directory,
)
from dlp_proxy.files.limits import TimeUp

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

def extract_container(data: bytes, ctx: Ctx, kind: str, name: str) -> None:
    if kind == "zip":
        extract_zip(data, ctx)
    elif kind == "tar":
        extract_tar(data, ctx)
    else:
        extract_stream(data, ctx, kind, name)


def extract_zip(data: bytes, ctx: Ctx, kind: str = "zip", name: str = "") -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt")
        from dlp_proxy.files.text import binary_strings

        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return
    with zf:
        names: list[str] = []
        todo: list[zipfile.ZipInfo] = []
        for info in infos:
            if not ctx.budget.take_entry(ctx.member(info.filename).prefix):
                break
            names.append(info.filename)
            if not info.is_dir():
                todo.append(info)
        ctx.add("members", "\n".join(names))
        # the archive's comment and each entry's (``zipinfo`` and ``unzip -z`` show them),
        # the entries' extra fields
        zip_directory(zf, data, ctx, names=False)
        for info in todo:
            ctx.budget.check_time()
            member = ctx.member(info.filename)
            if member.depth > ctx.limits.max_depth:
                member.problem("depth-limit")
                continue
            content = read_zip_member(zf, info, member)
            if content is None:
                continue
            member.extract(content, name=info.filename)


def extract_tar(data: bytes, ctx: Ctx, kind: str = "tar", name: str = "") -> None:
    """The members, their names, owners and PAX headers (``tar -tv`` and ``tar --pax``
    show them), and the bytes no header or member data covers (a member's padding, what
    follows the end blocks) read as they are (``outside.py``)."""
    names: list[str] = []
    headers: list[str] = []
    covered: list[tuple[int, int]] = []
    finished = False
    try:
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:")
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt")
        return
    try:
        with tf:
            while True:
                ctx.budget.check_time()
                try:
                    info = tf.next()
                except tarfile.TarError:
                    ctx.problem("corrupt")
                    break
                if info is None:
                    finished = True
                    break
                # the header blocks (PAX and GNU long-name blocks before them too) and
                # the data
                covered.append((info.offset, info.offset_data + info.size))
                member = ctx.member(info.name)
                if not ctx.budget.take_entry(member.prefix):
                    break
                names.append(info.name + (f" -> {info.linkname}" if info.linkname else ""))
                owners = " ".join(v for v in (info.uname, info.gname) if v)
                pax = "\n".join(f"{k}={v}" for k, v in info.pax_headers.items()
                                 if k not in ("path", "linkpath", "size", "mtime", "atime", "ctime"))
                headers.append("\n".join(v for v in (f"{info.name}: {owners}" if owners else "", pax) if v))
                if not info.isfile():
                    continue
                if member.depth > ctx.limits.max_depth:
                    member.problem("depth-limit")
                    continue
                if info.size > caps(ctx):
                    member.problem("size-limit")
                    continue
                fh = tf.extractfile(info)
                if fh is None:
                    continue
                content = fh.read(info.size)
                ctx.budget.uncompressed += len(content)
                member.extract(content, name=info.name)
    finally:
        ctx.add("members", "\n".join(names))
        ctx.add("headers", "\n".join(h for h in headers if h))
    _tar_outside(data, ctx, covered, finished)


def _tar_outside(data: bytes, ctx: Ctx, covered: list[tuple[int, int]], finished: bool) -> None:
    """The bytes no member header or data covers: each member's padding to its last
    block, and everything after the last member (end blocks and record padding are
    zeros, which read as nothing).  When the reading stopped early (a limit, a broken
    header: already a problem), only the gaps before where it stopped."""
    from dlp_proxy.files.outside import read_spans, uncovered, with_polyglot_zip

    if not covered:
        return
    gaps = uncovered(len(data), with_polyglot_zip(data, covered))
    if not finished:
        last = max(e for _, e in covered)
        gaps = [(s, e) for s, e in gaps if e <= last]
    read_spans(data, gaps, ctx)


def _gzip_name(data: bytes) -> str:
    # RFC 1952: FLG.FNAME (0x08) means a zero-terminated original file name follows the header.
    if len(data) < 10 or not data[3] & 0x08:
        return ""
    pos = 10
    if data[3] & 0x04:  # FEXTRA
        if len(data) < 12:
            return ""
        pos += 2 + int.from_bytes(data[10:12], "little")
    end = data.find(b"\x00", pos, pos + 1024)
    if end < 0:
        return ""
    return data[pos:end].decode("latin-1")


def gzip_header_text(data: bytes) -> str:
    """FEXTRA, FNAME and FCOMMENT of the first gzip member (RFC 1952): text a
    decompressor skips but the stored file carries (issue 14, class 5)."""
    if len(data) < 10 or data[:2] != b"\x1f\x8b":
        return ""
    flg, pos, out = data[3], 10, []
    if flg & 0x04 and len(data) >= 12:  # FEXTRA
        n = int.from_bytes(data[10:12], "little")
        out.append(data[12:12 + n])
        pos = 12 + n
    for bit in (0x08, 0x10):  # FNAME, FCOMMENT: zero-terminated
        if flg & bit:
            end = data.find(b"\x00", pos)
            end = len(data) if end < 0 else end
            out.append(data[pos:end])
            pos = end + 1
    return "\n".join(b.decode("latin-1") for b in out if b)


def _inner_name(kind: str, data: bytes, outer: str) -> str:
    if kind == "gzip":
        name = _gzip_name(data)
        if name:
            return name
    base = outer.rsplit("/", 1)[-1]
    for ext in (".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".lzma", ".tlz", ".zst", ".tzst", ".z", ".taz",
                ".zz", ".zlib"):
        if base.lower().endswith(ext):
            stem = base[: -len(ext)]
            return stem + ".tar" if ext.startswith(".t") else stem
    return _STREAM_NAMES[kind]


_STREAM_NAMES = {"gzip": "(gunzip)", "bzip2": "(bunzip2)", "xz": "(unxz)", "lzma": "(unlzma)", "zstd": "(unzstd)",
                 "compress": "(uncompress)", "zlib": "(inflate)"}
#: the largest zstd window accepted (zstd's own default limit, ``ZSTD_WINDOWLOG_LIMIT_DEFAULT``:
#: what ``zstd -d`` decodes without ``--memory``); a larger one is ``corrupt``
ZSTD_MAX_WINDOW = 1 << 27
#: zstd input fed at a time: a 4-byte RLE block writes 128 KiB, so one slice writes at
#: most 8 MiB before the size and ratio are checked
_ZSTD_SLICE = 256
_ZSTD_SKIPPABLE = range(0x184D2A50, 0x184D2A60)


def extract_stream(data: bytes, ctx: Ctx, kind: str, name: str) -> None:
    inner = _inner_name(kind, data, name)
    member = ctx.member(inner)
    if not ctx.budget.take_entry(member.prefix):
        return
    if member.depth > ctx.limits.max_depth:
        member.problem("depth-limit")
        return
    try:
        trailing: list[bytes] = []
        out, whole = _decompress(data, ctx, kind, trailing)
    except Bomb:
        member.problem("zip-bomb")
        return
    except TooBig:
        member.problem("size-limit")
        return
    except TimeUp:
        raise
    except Exception:
        member.problem("corrupt")
        return
    ctx.budget.uncompressed += len(out)
    if not whole:
        member.problem("corrupt")  # truncated: what was decompressed is still inspected
    if kind == "gzip":
        header = gzip_header_text(data)
        if header:
            ctx.add("gzip-header", header)
    for extra in trailing:
        # bytes after the stream's end (gzip, zlib) and zstd's skippable frames: text a
        # decompressor skips and the stored file carries
        if extra.strip(b"\0 \r\n\t"):
            ctx.add(f"{kind}-trailing" if kind != "zstd" else "zstd-skippable", extra.decode("utf-8", "replace"))
    member.extract(out, name=inner)


def _decompress(data: bytes, ctx: Ctx, kind: str, trailing: list[bytes] | None = None) -> tuple[bytes, bool]:
    """(output, whether the stream ended properly); bytes after the last gzip member
    or the zlib stream, and the data of zstd's skippable frames, go to ``trailing``."""
    cap = caps(ctx)
    if kind == "zstd":
        return _unzstd(data, ctx, cap, trailing)
    if kind == "compress":
        from dlp_proxy.files import unlzw

        def check(produced: int, consumed: int) -> None:
            ctx.budget.check_time()
            check_ratio(ctx, produced, consumed)

        try:
            return unlzw.decode(data, cap, check), True
        except unlzw.Overflow:
            raise TooBig() from None
    out = bytearray()
    view = memoryview(data)
    pos = 0
    d: Any = _new_decompressor(kind)
    while pos < len(data) or _pending(d, kind):
        ctx.budget.check_time()
        if kind in ("gzip", "zlib"):
            if d.unconsumed_tail:
                chunk = d.decompress(d.unconsumed_tail, READ_CHUNK)
            else:
                piece = bytes(view[pos : pos + READ_CHUNK])
                pos += len(piece)
                chunk = d.decompress(piece, READ_CHUNK)
            if d.eof and d.unused_data:
                # concatenated gzip members: restart on what is left
                rest = d.unused_data
                pos -= len(rest)
                if kind == "zlib" or not rest.startswith(b"\x1f\x8b"):
                    # trailing bytes after the last member: gzip(1) ignores them, the
                    # stored file still carries them (inspected as text by the caller)
                    if trailing is not None:
                        trailing.append(bytes(view[pos:]))
                    pos = len(data)
                d = _new_decompressor(kind)
        else:
            if d.needs_input:
                piece = bytes(view[pos : pos + READ_CHUNK])
                pos += len(piece)
                if not piece:
                    break
            else:
                piece = b""
            chunk = d.decompress(piece, READ_CHUNK)
            if d.eof:
                rest = d.unused_data
                if rest:
                    # concatenated streams (pbzip2, xz with several streams)
                    pos -= len(rest)
                    d = _new_decompressor(kind)
        out += chunk
        if len(out) > cap:
            raise TooBig()
        check_ratio(ctx, len(out), pos)
        if kind in ("gzip", "zlib") and pos >= len(data) and not d.unconsumed_tail and not chunk:
            break
    return bytes(out), bool(d.eof)


def _unzstd(data: bytes, ctx: Ctx, cap: int, trailing: list[bytes] | None) -> tuple[bytes, bool]:
    """Zstandard frames one after another (``zstd -d`` reads them all), fed a slice at a
    time so output is bounded as it grows; a skippable frame's data goes to ``trailing``.
    A stream that stops inside a frame is not whole (``zstd -d`` writes what it decoded
    before it complains, and that was inspected)."""
    import zstandard

    out = bytearray()
    pos = start = 0
    whole = True
    d = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()
    while pos < len(data):
        ctx.budget.check_time()
        piece = data[pos:pos + _ZSTD_SLICE]
        pos += len(piece)
        whole = False
        try:
            out += d.decompress(piece)
        except zstandard.ZstdError:
            raise ValueError("zstd") from None
        if d.eof:
            pos -= len(d.unused_data)
            if trailing is not None and int.from_bytes(data[start:start + 4], "little") in _ZSTD_SKIPPABLE:
                trailing.append(data[start + 8:pos])
            start, whole = pos, True
            d = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()
        if len(out) > cap:
            raise TooBig()
        check_ratio(ctx, len(out), pos)
    return bytes(out), whole


def _new_decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if kind == "zlib":
        return zlib.decompressobj(zlib.MAX_WBITS)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    if kind == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)
    return lzma.LZMADecompressor()


def _pending(d: Any, kind: str) -> bool:
    if kind in ("gzip", "zlib"):
        return bool(d.unconsumed_tail)
    return not d.eof and not d.needs_input
