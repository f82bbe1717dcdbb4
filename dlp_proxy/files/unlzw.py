"""Unix ``compress`` (``.Z``) streams decoded, bounded while they are decoded.

The format (``compress`` 4.x, ncompress; gzip's ``unlzw.c`` reads it too): the magic
``1F 9D``, a flags byte (the maximum code width, 9-16 bits, in its low 5 bits; 0x80:
block mode, where code 256 clears the table), then LZW codes written least significant
bit first.  The writer puts codes out in groups of eight, a group of width ``n`` taking
``n`` bytes, and pads the group it is filling to its full ``n`` bytes whenever the code
width grows or the table is cleared; so the reader starts the next code at the next
group boundary.  The reader here works group by group: each group is one integer,
eight codes are shifts of it.

``decode`` stops with ``Overflow`` when its output passes ``cap`` bytes, checks the
caller's ratio and time after every group, and raises ``ValueError`` for a stream no
``compress`` writes (a code beyond the table, a bad header).
"""

from __future__ import annotations

from collections.abc import Callable

MAGIC = b"\x1f\x9d"
_CLEAR = 256


class Overflow(Exception):
    """The output passed its cap."""


def looks_like(data: bytes) -> bool:
    """The ``compress`` header: the magic and a flags byte with 9-16 bits and no reserved bit."""
    return len(data) >= 3 and data[:2] == MAGIC and not data[2] & 0x60 and 9 <= data[2] & 0x1F <= 16


def decode(data: bytes, cap: int, check: Callable[[int, int], None]) -> bytes:
    """The decompressed bytes of a ``.Z`` stream.  ``check(produced, consumed)`` is
    called after every group of codes (the caller's ratio and time limits); more than
    ``cap`` bytes of output raises ``Overflow``."""
    if not looks_like(data):
        raise ValueError("not a compress stream")
    maxbits = data[2] & 0x1F
    block_mode = bool(data[2] & 0x80)
    maxmaxcode = 1 << maxbits
    prefix = [0] * maxmaxcode
    suffix = list(range(256)) + [0] * (maxmaxcode - 256)
    n_bits = 9
    maxcode = _FIRST_MAXCODE  # (even with 9-bit codes at most: gzip's reading, see _maxcode)
    free_ent = 257 if block_mode else 256
    oldcode = -1
    finchar = 0
    out = bytearray()
    pos = 3
    end = len(data)
    while pos < end:
        group = data[pos:pos + n_bits]
        pos += n_bits
        value = int.from_bytes(group, "little")
        mask = (1 << n_bits) - 1
        count = len(group) * 8 // n_bits  # a short last group holds fewer whole codes
        for i in range(count):
            code = (value >> (i * n_bits)) & mask
            if oldcode == -1:
                if code >= 256:
                    raise ValueError("first code is not a byte")
                oldcode = finchar = code
                out.append(code)
                continue
            if code == _CLEAR and block_mode:
                free_ent = 256  # (the next code adds a dummy entry 256, as compress does)
                n_bits = 9
                maxcode = _FIRST_MAXCODE
                break
            incode = code
            stack = bytearray()
            if code >= free_ent:
                if code > free_ent:
                    raise ValueError("code beyond the table")
                stack.append(finchar)
                code = oldcode
            while code >= 256:
                stack.append(suffix[code])
                code = prefix[code]
            finchar = suffix[code]
            stack.append(finchar)
            stack.reverse()
            out += stack
            if free_ent < maxmaxcode:
                prefix[free_ent] = oldcode
                suffix[free_ent] = finchar
                free_ent += 1
            oldcode = incode
            if free_ent > maxcode:
                # the next code is one bit wider and starts a new group
                n_bits += 1
                maxcode = _maxcode(n_bits, maxbits)
                break
        if len(out) > cap:
            raise Overflow()
        check(len(out), pos)
    return bytes(out)


_FIRST_MAXCODE = (1 << 9) - 1


def _maxcode(n_bits: int, maxbits: int) -> int:
    """The largest table entry before codes grow a bit again (none at the widest width).
    As gzip's ``unlzw.c`` (and ncompress's writer): the widest width is only noticed when
    the width grows to it, so ``-b9`` streams go on in 10-bit codes once the table is full."""
    return 1 << maxbits if n_bits == maxbits else (1 << n_bits) - 1
