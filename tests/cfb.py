"""A small writer of OLE2 Compound File Binary files (MS-CFB, version 3), for test fixtures.

No Python library writes .doc, .ppt or Outlook .msg files, and LibreOffice is too heavy
for the test machine; the tests build those files themselves: the container with this
writer, the streams inside by the format's own specification (tests/filegen.py).
It writes what the specification asks for: 512-byte sectors, a FAT, a mini FAT and
mini stream for streams under 4096 bytes, a directory whose siblings form a binary
search tree ordered as [MS-CFB] 2.6.4 orders names.

``cfb({"WordDocument": b"...", "1Table": b"...", "sub": {"stream": b"..."}})``:
a value that is bytes is a stream, a dict is a storage.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI = 64
CUTOFF = 4096
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = END
    size: int = 0


def _build(name: str, tree: dict[str, object], kind: int) -> _Entry:
    entry = _Entry(name, kind)
    for key, value in tree.items():
        if isinstance(value, dict):
            entry.children.append(_build(key, value, 1))
        else:
            assert isinstance(value, bytes)
            entry.children.append(_Entry(key, 2, value))
    return entry


def _flatten(root: _Entry) -> list[_Entry]:
    out: list[_Entry] = []

    def visit(e: _Entry) -> None:
        e.sid = len(out)
        out.append(e)
        for c in e.children:
            visit(c)

    visit(root)

    def tree(nodes: list[_Entry]) -> int:
        if not nodes:
            return NOSTREAM
        mid = len(nodes) // 2
        node = nodes[mid]
        node.left = tree(nodes[:mid])
        node.right = tree(nodes[mid + 1 :])
        return node.sid

    for e in out:
        ordered = sorted(e.children, key=lambda c: (len(c.name), c.name.upper()))
        e.child = tree(ordered)
    return out


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else END


def cfb(tree: dict[str, object]) -> bytes:
    root = _build("Root Entry", tree, 5)
    entries = _flatten(root)
    # mini stream: small streams in 64-byte mini sectors
    mini = bytearray()
    minifat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != 2:
            continue
        e.size = len(e.data)
        if e.size == 0:
            e.start = END
        elif e.size < CUTOFF:
            n = -(-e.size // MINI)
            e.start = len(minifat)
            minifat.extend(range(e.start + 1, e.start + n))
            minifat.append(END)
            mini += e.data + b"\x00" * (n * MINI - e.size)
        else:
            big.append(e)
    n_dir = -(-len(entries) * 128 // SECTOR)
    n_minifat = -(-len(minifat) * 4 // SECTOR) if minifat else 0
    n_mini = -(-len(mini) // SECTOR)
    n_big = [-(-e.size // SECTOR) for e in big]
    n_data = n_dir + n_minifat + n_mini + sum(n_big)
    n_fat = 1
    while n_fat * (SECTOR // 4) < n_fat + n_data:
        n_fat += 1
    assert n_fat <= 109, "file too large for this writer (no DIFAT sectors)"
    fat = [FREE] * (n_fat * SECTOR // 4)
    for i in range(n_fat):
        fat[i] = FATSECT
    pos = n_fat
    dir_start = pos
    _chain(fat, pos, n_dir)
    pos += n_dir
    minifat_start = pos if n_minifat else END
    _chain(fat, pos, n_minifat)
    pos += n_minifat
    root.start = pos if n_mini else END
    root.size = len(mini)
    _chain(fat, pos, n_mini)
    pos += n_mini
    for e, n in zip(big, n_big, strict=True):
        e.start = pos
        _chain(fat, pos, n)
        pos += n

    header = bytearray(SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIII", header, 44, n_fat, dir_start, 0, CUTOFF)
    struct.pack_into("<IIII", header, 60, minifat_start, n_minifat, END, 0)
    for i in range(109):
        struct.pack_into("<I", header, 76 + 4 * i, i if i < n_fat else FREE)

    directory = bytearray()
    for e in entries:
        d = bytearray(128)
        raw = e.name.encode("utf-16-le") + b"\x00\x00"
        assert len(raw) <= 64, e.name
        d[0 : len(raw)] = raw
        struct.pack_into("<HBB", d, 64, len(raw), e.kind, 1)
        struct.pack_into("<III", d, 68, e.left, e.right, e.child)
        struct.pack_into("<II", d, 116, e.start, e.size)
        directory += d
    while len(directory) < n_dir * SECTOR:
        empty = bytearray(128)
        struct.pack_into("<III", empty, 68, NOSTREAM, NOSTREAM, NOSTREAM)
        directory += empty

    body = bytearray()
    body += struct.pack(f"<{len(fat)}I", *fat)
    body += directory
    mf = minifat + [FREE] * (n_minifat * SECTOR // 4 - len(minifat))
    body += struct.pack(f"<{len(mf)}I", *mf)
    body += mini + b"\x00" * (n_mini * SECTOR - len(mini))
    for e, n in zip(big, n_big, strict=True):
        body += e.data + b"\x00" * (n * SECTOR - e.size)
    return bytes(header) + bytes(body)
