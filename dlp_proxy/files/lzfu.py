"""Outlook's compressed RTF (``PR_RTF_COMPRESSED``) decoded, bounded while it is decoded.

The format ([MS-OXRTFCP] 2.1.3): a 16-byte header (``COMPSIZE``: the bytes after this
field; ``RAWSIZE``; ``COMPTYPE``: ``LZFu`` compressed or ``MELA`` stored; ``CRC``: the
CRC-32 of the bytes after the header, table-driven from 0 with no final inversion, 0 for
``MELA``), then the data: a control byte whose bits, least significant first, say
whether each of the next eight tokens is a literal byte (0) or a big-endian 16-bit
reference (1: a 12-bit offset into a 4096-byte ring dictionary, a 4-bit length + 2).
The dictionary starts with a fixed RTF preamble (``_INIT``) and is written from offset
207; a reference whose offset is the write offset ends the stream.

``decode`` stops with ``Overflow`` when its output passes ``cap`` bytes, checks the
caller's time after every 4096 control bytes, and returns what it decoded with the
reasons the stream is not sound (``Decoded.faults``: a bad CRC, no end reference, an
output shorter or longer than ``RAWSIZE``, ...): Outlook's readers differ on those, so
the caller reads the text and reports the stream.  A stream that cannot be decoded at
all (too short, an unknown ``COMPTYPE``) raises ``ValueError``.
(``compressed_rtf.decompress`` decodes the same, but unbounded and without time checks;
tests/test_files_msg_rtf.py holds the two to the same output.)
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

_INIT = (b"{\\rtf1\\ansi\\mac\\deff0\\deftab720{\\fonttbl;}{\\f0\\fnil \\froman \\fswiss \\fmodern \\fscript "
         b"\\fdecor MS Sans SerifSymbolArialTimes New RomanCourier{\\colortbl\\red0\\green0\\blue0\r\n\\par "
         b"\\pard\\plain\\f0\\fs20\\b\\i\\u\\tab\\tx")
_SIZE = 4096
COMPRESSED, STORED = b"LZFu", b"MELA"
#: control bytes between two calls of the caller's check
_CHECK_EVERY = 4096


class Overflow(Exception):
    """The output passed its cap."""


@dataclass
class Decoded:
    data: bytes
    #: why the stream is not sound (empty: it is)
    faults: list[str] = field(default_factory=list)


def crc(data: bytes) -> int:
    """[MS-OXRTFCP] 2.1.3.2's CRC: zlib's CRC-32 without its initial and final inversion."""
    return zlib.crc32(data, 0xFFFFFFFF) ^ 0xFFFFFFFF


def decode(stream: bytes, cap: int, check: Callable[[], None]) -> Decoded:
    """The RTF a ``PR_RTF_COMPRESSED`` stream holds (see the module's docstring)."""
    if len(stream) < 16:
        raise ValueError("compressed RTF header too short")
    comp_size, raw_size = struct.unpack_from("<II", stream, 0)
    comp_type, crc_value = stream[8:12], struct.unpack_from("<I", stream, 12)[0]
    faults: list[str] = []
    body = stream[16 : 4 + comp_size]
    if comp_size < 12 or 4 + comp_size > len(stream):
        faults.append("COMPSIZE does not match the stream")
    if comp_type == STORED:
        if crc_value != 0:
            faults.append("stored stream with a CRC")
        stored = stream[16 : 16 + raw_size]
        if len(stored) != raw_size:
            faults.append("stream shorter than RAWSIZE")
        if len(stored) > cap:
            raise Overflow()
        return Decoded(bytes(stored), faults)
    if comp_type != COMPRESSED:
        raise ValueError("unknown compressed RTF type")
    if crc(body) != crc_value:
        faults.append("CRC mismatch")
    ring = bytearray(_INIT + b"\x00" * (_SIZE - len(_INIT)))
    write = len(_INIT)
    out = bytearray()
    pos, end, controls, ended = 0, len(body), 0, False
    while pos < end and not ended:
        control = body[pos]
        pos += 1
        controls += 1
        if controls % _CHECK_EVERY == 0:
            check()
            if len(out) > cap:
                raise Overflow()
        for bit in range(8):
            if pos >= end:
                break
            if not control & (1 << bit):
                byte = body[pos]
                pos += 1
                out.append(byte)
                ring[write] = byte
                write = (write + 1) % _SIZE
                continue
            if pos + 2 > end:
                pos = end
                faults.append("reference cut short")
                break
            token = (body[pos] << 8) | body[pos + 1]
            pos += 2
            offset, length = token >> 4, (token & 0xF) + 2
            if offset == write:
                ended = True
                break
            for step in range(length):
                byte = ring[(offset + step) % _SIZE]
                out.append(byte)
                ring[write] = byte
                write = (write + 1) % _SIZE
    if len(out) > cap:
        raise Overflow()
    if not ended:
        faults.append("no end reference")
    if len(out) != raw_size:
        faults.append("output is not RAWSIZE bytes")
    return Decoded(bytes(out), faults)
