"""Bounded reads of compressed data, shared by the ZIP-based formats (archives,
OOXML, ODF): output is capped *while it is produced* (never trusting declared sizes)
at the smaller of the file's uncompressed budget and ``max_file_bytes``, and a stream
whose output exceeds ``max_ratio`` times its input (past ``ratio_floor_bytes``) is a
bomb."""

from __future__ import annotations

import zipfile
from typing import TYPE_CHECKING

from dlp_proxy.files.limits import TimeUp

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

READ_CHUNK = 1 << 16
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_WINZIP_AES = 99


class Bomb(Exception):
    pass


class TooBig(Exception):
    pass


def caps(ctx: Ctx) -> int:
    return min(ctx.budget.uncompressed_room(), ctx.limits.max_file_bytes)


def check_ratio(ctx: Ctx, produced: int, consumed: int) -> None:
    if produced > ctx.limits.ratio_floor_bytes and produced > ctx.limits.max_ratio * max(consumed, 1):
        raise Bomb()


def read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: Ctx) -> bytes | None:
    """The bytes of one member, or None with a problem recorded at ``ctx``'s location
    (``ctx`` is the member's context; the budget is shared with the whole file)."""
    if info.flag_bits & 0x1 or info.compress_type == _WINZIP_AES:
        ctx.problem("encrypted")
        return None
    if info.compress_type not in _ZIP_METHODS:
        ctx.problem("unsupported-type")
        return None
    cap = caps(ctx)
    if info.file_size > cap:
        ctx.problem("size-limit")
        return None
    if info.file_size > ctx.limits.ratio_floor_bytes and info.file_size > ctx.limits.max_ratio * max(
        info.compress_size, 1
    ):
        ctx.problem("zip-bomb")
        return None
    out = bytearray()
    try:
        with zf.open(info) as fh:
            while True:
                ctx.budget.check_time()
                chunk = fh.read(READ_CHUNK)
                if not chunk:
                    break
                out += chunk
                if len(out) > cap:
                    raise TooBig()
                check_ratio(ctx, len(out), info.compress_size)
    except Bomb:
        ctx.problem("zip-bomb")
        return None
    except TooBig:
        ctx.problem("size-limit")
        return None
    except TimeUp:
        raise
    except RuntimeError:
        # zipfile raises RuntimeError for encrypted members it cannot read
        ctx.problem("encrypted")
        return None
    except NotImplementedError:
        ctx.problem("unsupported-type")
        return None
    except Exception:
        ctx.problem("corrupt")
        return None
    ctx.budget.uncompressed += len(out)
    return bytes(out)


#: copies of one entry name a package may hold: each copy is read (another reader of
#: the file may take any of them); more copies are not read (``corrupt``)
MAX_ENTRY_COPIES = 4


def entry_copies(zf: zipfile.ZipFile) -> tuple[list[dict[str, zipfile.ZipInfo]], bool]:
    """The package's entries by name, once per copy of a name that occurs more than once:
    the first mapping takes each name's last entry (as Python's zipfile reads it), the
    next ones the first, second ... copy (as Office or LibreOffice may read it).  One
    mapping when no name repeats.  Also: whether a name has more than ``MAX_ENTRY_COPIES``
    copies (those past it are not read)."""
    by_name: dict[str, list[zipfile.ZipInfo]] = {}
    for info in zf.infolist():
        if not info.is_dir():
            by_name.setdefault(info.filename, []).append(info)
    last = {name: infos[-1] for name, infos in by_name.items()}
    copies = max((len(v) for v in by_name.values()), default=1)
    out = [last]
    for k in range(min(copies, MAX_ENTRY_COPIES) - 1):
        out.append({name: infos[min(k, len(infos) - 1)] for name, infos in by_name.items()})
    return out, copies > MAX_ENTRY_COPIES


def zip_directory(zf: zipfile.ZipFile, data: bytes, ctx: Ctx, *, names: bool = True) -> None:
    """What a ZIP (or an OOXML/ODF package) says of its entries, which ``unzip -l``,
    ``zipinfo -v`` and any archive tool show: the entry names (``members``), the
    archive's comment and each entry's (``comment``), and the extra fields of each
    entry's central and local headers (``extra``: their printable runs; a tool prints
    the ones it knows, the stored file holds them all).  ``names``: the caller lists
    the names itself."""
    from dlp_proxy.files.text import printable_runs

    infos = zf.infolist()[: ctx.limits.max_entries]
    if names:
        ctx.add("members", "\n".join(info.filename for info in infos))
    comments = [zf.comment] + [info.comment for info in infos]
    ctx.add("comment", "\n".join(c.decode("utf-8", "replace") for c in comments if c))
    extras: list[bytes] = []
    for info in infos:
        if info.extra:
            extras.append(info.extra)
        h = info.header_offset
        if 0 <= h and data[h:h + 4] == b"PK\x03\x04" and h + 30 <= len(data):
            nlen = int.from_bytes(data[h + 26:h + 28], "little")
            xlen = int.from_bytes(data[h + 28:h + 30], "little")
            if xlen:
                extras.append(data[h + 30 + nlen:h + 30 + nlen + xlen])
    runs = [printable_runs(x) for x in extras]
    ctx.add("extra", "\n".join(r for r in runs if r))
