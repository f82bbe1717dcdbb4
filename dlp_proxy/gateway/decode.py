"""Every decompression of a request body, behind one bounded helper.

A body is read decompressed in two places (docs/architecture.md, "How bodies are
read"): a Content-Encoding on a route nobody described (``Body.ANY``: a plugin may undo
it itself), and a compressed stream sent *without* a label (zlib, raw deflate, LZMA
alone, zstd) that a plugin may decompress itself (``unlabelled_streams``).  Both decode
into a ``Room``: the bytes the request may produce decoded, all its readings together,
which is the limit its raw body was held to (the route's text cap, or the
unauthenticated cap for a request without valid credentials: a decoded reading is
held to the same limit as a raw one).  Past it the request is refused 413 (a parser
limit refuses, never inspects some weaker way).  Each step of a decoder is given at most
what is left of the room (+1 byte), so no step produces more than the cap: the CPU and
memory one request costs are bounded by its cap, not by the compression ratio (attack
16h F1/F2: a 106-byte brotli body inflated to 63 MiB, a 61 KB zlib stream to 60 MiB,
before any limit was checked).  The one decoder that takes no output limit is brotli
before 1.2 (``Decompressor.process``): it is fed one input byte per step, and a step then
yields at most the decoder's ring buffer (16 MiB at brotli's largest window; measured:
8 MiB for the 63 MiB bomb) before the room is checked.

The callers check the sender's scan budget before they decode (``Pipeline._inspect_in``).
Pure: run inline, in a thread or in a file worker process.
"""

from __future__ import annotations

import lzma
import zlib
from typing import Any

#: the most a request's decoded readings may come to when the caller names no limit
MAX_DECODED_BYTES = 64 * 1024 * 1024
#: input bytes fed to a zlib or LZMA decoder per step (each step's output is capped by the room)
_STEP = 64 * 1024
#: the memory an LZMA decoder may take for the dictionary its header asks for (Go's
#: ulikunitz/xz allocates what the header says; more than this is refused, 413)
LZMA_MEMLIMIT = 128 * 1024 * 1024


class BodyError(ValueError):
    """The body cannot be read safely; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        # raised in a file worker process and pickled back: keep the status
        return (BodyError, (str(self), self.status))


def too_large() -> BodyError:
    return BodyError("decompressed body is too large", 413)


class Room:
    """Decoded bytes one request may still produce (all its readings together)."""

    __slots__ = ("left",)

    def __init__(self, limit: int) -> None:
        self.left = max(0, int(limit))

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise too_large()


# --------------------------------------------------------------------------- Content-Encoding


def decode_content_encoding(raw: bytes, encoding: str, *, limit: int = MAX_DECODED_BYTES,
                            room: Room | None = None) -> bytes:
    """Undo Content-Encoding (gzip, deflate, br, zstd; chained), the result held to
    ``room`` (or ``limit``): every layer is decoded with at most what is left of it."""
    room = room if room is not None else Room(limit)
    data = raw
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        if coding in ("identity", ""):
            continue
        cap = room.left
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + zlib.MAX_WBITS, cap)
        elif coding == "deflate":
            try:
                data = _inflate(data, zlib.MAX_WBITS, cap)
            except BodyError as exc:
                if exc.status == 413:
                    raise
                data = _inflate(data, -zlib.MAX_WBITS, cap)  # raw deflate, as some clients send
        elif coding == "br":
            data = _brotli(data, cap)
        elif coding == "zstd":
            data = _zstd(data, cap)
        else:
            raise BodyError(f"unsupported Content-Encoding {coding!r}", 415)
    if data is not raw:
        room.take(len(data))
    return data


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(data, limit + 1)  # max_length: the step stops at the room (+1)
    except zlib.error as exc:
        raise BodyError(f"body cannot be decompressed: {exc}") from None
    if len(out) > limit or d.unconsumed_tail:
        raise too_large()
    if not d.eof:
        raise BodyError("compressed body is truncated")
    if d.unused_data:
        # gzip allows concatenated members; decode them too rather than ignore them
        if wbits == 16 + zlib.MAX_WBITS:
            return out + _inflate(d.unused_data, wbits, limit - len(out))
        raise BodyError("trailing data after compressed body")
    return out


def _brotli(data: bytes, limit: int) -> bytes:
    try:
        import brotli  # installed with mitmproxy
    except ImportError:  # pragma: no cover - mitmproxy depends on it
        raise BodyError("brotli-encoded bodies are not supported here", 415) from None
    dec = brotli.Decompressor()
    out = bytearray()
    view = memoryview(data)
    try:
        # one input byte per step: the decoder takes no output limit, and a few bytes
        # can stand for megabytes (a step yields at most its ring buffer)
        for i in range(len(view)):
            step = dec.process(view[i:i + 1])
            if len(out) + len(step) > limit:
                raise too_large()  # (checked before it is copied: one step in memory, not two)
            out += step
        if not dec.is_finished():
            raise BodyError("compressed body is truncated")
    except brotli.error as exc:
        raise BodyError(f"body cannot be decompressed: {exc}") from None
    return bytes(out)


def _zstd(data: bytes, limit: int) -> bytes:
    try:
        import zstandard  # installed with mitmproxy
    except ImportError:  # pragma: no cover
        raise BodyError("zstd-encoded bodies are not supported here", 415) from None
    out = bytearray()
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(data)
        while len(out) <= limit:
            chunk = reader.read(min(_STEP, limit + 1 - len(out)))
            if not chunk:
                break
            out += chunk
    except zstandard.ZstdError as exc:
        raise BodyError(f"body cannot be decompressed: {exc}") from None
    if len(out) > limit:
        raise too_large()
    return bytes(out)


# --------------------------------------------------------------------------- unlabelled streams


#: compressed formats the gateway cannot decode, by their magic: a handler may (Go
#: packages exist for each), so such a body on a route read by nobody knows how is refused
_UNDECODABLE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x04\x22\x4d\x18", "lz4"),  # LZ4 frame (pierrec/lz4)
    (b"\xff\x06\x00\x00sNaPpY", "snappy"),  # snappy framing format (golang/snappy)
    (b"\x1f\x9d", "compress"),  # Unix compress, LZW (compress/lzw with the .Z header)
    (b"LZIP", "lzip"),
)
#: nested compressed readings followed (zlib of zlib of ...); deeper is refused
MAX_STREAM_DEPTH = 4


def _zlib_header(data: bytes) -> bool:
    """RFC 1950: CM 8 (deflate), a window of at most 32 KiB, FCHECK, no preset dictionary
    (Go's compress/zlib refuses one it is not given: ErrDictionary)."""
    if len(data) < 3:
        return False
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf << 8 | flg) % 31 == 0 and not flg & 0x20


def _lzma_alone_header(data: bytes) -> bool:
    """The .lzma ("LZMA alone") header Go's ulikunitz/xz/lzma reads: a properties
    byte (lc, lp, pb) below 225, a dictionary size, the size (or -1), and the range
    coder's first byte, which is always 0."""
    return len(data) >= 18 and data[0] < 225 and data[13] == 0


#: input slice fed to the LZMA decoder at a time (output before a corrupt spot kept to this)
_LZMA_SLICE = 512


def _inflate_until_error(d: Any, data: bytes, room: int) -> bytes:
    """The output of feeding ``data`` to the zlib decompressor ``d`` up to the byte at
    which it fails (at most ``room`` + 1 bytes: the caller checks its limit).  ``d`` is
    consumed: a slice of 256 at a time from a copy, the failing slice a byte at a time."""
    out = bytearray()
    for j in range(0, len(data), 256):
        piece = data[j:j + 256]
        before = d.copy()
        try:
            out += d.decompress(piece, room + 1 - len(out))
            if len(out) > room or d.unconsumed_tail or d.eof:
                return bytes(out)
            continue
        except zlib.error:
            d = before
        for k in range(len(piece)):
            try:
                out += d.decompress(piece[k:k + 1], room + 1 - len(out))
            except zlib.error:
                return bytes(out)
            if len(out) > room or d.unconsumed_tail or d.eof:
                return bytes(out)
        return bytes(out)  # pragma: no cover - the slice failed as a whole
    return bytes(out)


def _stream_reading(data: bytes, kind: str, limit: int) -> tuple[bytes | None, bool]:
    """``data`` decompressed as ``kind`` (zlib | deflate | lzma | zstd) the way Go's
    readers hand it to ``io.ReadAll``, or None when nothing decodes (an error in the
    first bytes), and whether the stream reached its end (a final block).  Like ``compress/flate`` (inflate.go), which returns EOF after the
    final block without reading on, and the text decoded so far with
    ``ErrUnexpectedEOF`` when input runs out: the output up to the end of the stream
    (trailing bytes ignored), up to where the input ran out (a truncated stream, one
    ended by a sync flush with no final block), or up to a corrupt spot.  Over
    ``limit`` bytes: ``BodyError`` 413 (never a weaker reading)."""
    out = bytearray()
    step = 64 * 1024
    ended = False
    try:
        if kind in ("zlib", "deflate"):
            d = zlib.decompressobj(zlib.MAX_WBITS if kind == "zlib" else -zlib.MAX_WBITS)
            for i in range(0, len(data), step):
                before = d.copy()
                try:
                    out += d.decompress(data[i:i + step], limit + 1 - len(out))
                except zlib.error:
                    # zlib drops the output of a call that fails; Go's reader hands
                    # over what decoded before the error: redo the slice byte by byte
                    out += _inflate_until_error(before, data[i:i + step], limit + 1 - len(out))
                    d = before
                    if len(out) > limit:
                        raise too_large() from None
                    break
                if len(out) > limit or d.unconsumed_tail:
                    raise too_large()
                if d.eof:
                    break
            ended = d.eof
            if not d.eof:
                out += d.flush()  # what zlib holds back of a stream that ran out
                if len(out) > limit:
                    raise too_large()
        elif kind == "lzma":
            dl = lzma.LZMADecompressor(lzma.FORMAT_ALONE, memlimit=LZMA_MEMLIMIT)
            # fed in small slices: a failing call loses its output (and cannot be redone)
            for i in range(0, len(data), _LZMA_SLICE):
                out += dl.decompress(data[i:i + _LZMA_SLICE], limit + 1 - len(out))
                while not dl.eof and not dl.needs_input and len(out) <= limit:
                    out += dl.decompress(b"", limit + 1 - len(out))
                if len(out) > limit:
                    raise too_large()
                if dl.eof:
                    break
            ended = dl.eof
        elif kind == "zstd":
            import zstandard  # installed with mitmproxy

            reader = zstandard.ZstdDecompressor().stream_reader(data)
            try:
                while len(out) <= limit:  # in slices: what decoded before a corrupt block is kept
                    chunk = reader.read(min(step, limit + 1 - len(out)))
                    if not chunk:
                        break
                    out += chunk
            except zstandard.ZstdError:
                pass
            if len(out) > limit:
                raise too_large()
            ended = True
        else:  # pragma: no cover - the callers name the kinds above
            raise ValueError(kind)
    except lzma.LZMAError as exc:
        if "memory" in str(exc).lower():
            # a dictionary larger than the gateway gives a decoder: refused, not skipped
            raise BodyError("compressed body needs more memory than the gateway gives a decoder", 413) from None
        # corrupt: what decoded before it is the reading
    except (zlib.error, EOFError):
        pass  # corrupt: what decoded before it is the reading
    return (bytes(out) if out else None), ended


def unlabelled_streams(body: bytes, *, limit: int = MAX_DECODED_BYTES,
                       room: Room | None = None) -> list[tuple[str, bytes]]:
    """The decompressed readings of a body sent without a Content-Encoding label, as a
    handler that decompresses it itself reads it (``io.ReadAll`` over Go's compress/zlib,
    compress/flate, klauspost zstd, ulikunitz lzma): zlib and zstd by their header, LZMA
    alone by its header, and raw deflate (no magic) whenever inflating the body yields
    output.  Each is what the reader returns before its end or error: trailing bytes
    after the stream ignored, a truncated or corrupt stream read up to where it stops
    (``_stream_reading``).  Every reading is additional: the body is still read as
    itself, so a binary body that happens to inflate a few bytes only adds a reading.
    (Brotli has no magic and no bounded decoder here: not read.)  gzip, bzip2 and xz are
    documents (files/sniff.py): the file scanner opens them.  A compressed format the
    gateway cannot decode: ``BodyError`` 415; more than ``limit`` bytes (or what is left
    of ``room``), all readings together: 413."""
    return [(kind, decoded) for kind, decoded, _ in stream_readings(body, room if room is not None else Room(limit))]


def stream_readings(body: bytes, room: Room) -> list[tuple[str, bytes, bool]]:
    """``unlabelled_streams`` with, for each reading, whether its stream was
    identified by a header or ended in a final block (not a mere trial inflate).
    Each reading is decoded with at most what is left of ``room`` and then taken from
    it: the readings of a body, and of its readings, together never pass it."""
    for magic, name in _UNDECODABLE_MAGIC:
        if body.startswith(magic):
            raise BodyError(f"a {name}-compressed body cannot be inspected here", 415)
    if len(body) < 2:
        return []
    out: list[tuple[str, bytes, bool]] = []
    candidates: list[str] = []
    if _zlib_header(body):
        candidates.append("zlib")
    if body.startswith(b"\x28\xb5\x2f\xfd"):
        candidates.append("zstd")
    if _lzma_alone_header(body):
        candidates.append("lzma")
    # raw deflate has no magic: any body may be one (a document's sniffed magic may
    # sit after a stream that flate.NewReader reads and stops at: tried on it too)
    candidates.append("deflate")
    for kind in candidates:
        decoded, ended = _stream_reading(body, kind, room.left)
        if decoded is not None:
            room.take(len(decoded))
        if decoded is not None and decoded != body:
            out.append((kind, decoded, kind != "deflate" or ended))
    return out
