"""The extraction dispatcher: content type -> extractor, recursion, polyglots, limits."""

from __future__ import annotations

import importlib
import io
import zipfile
from collections.abc import Callable
from typing import Any, TypeVar

from dlp_proxy.files.context import Ctx
from dlp_proxy.files.limits import Budget, Limits, TimeUp
from dlp_proxy.files.sniff import IMAGE_TYPES, sniff
from dlp_proxy.files.text import binary_strings
from dlp_proxy.interfaces import Extraction

_T = TypeVar("_T")

__all__ = ["CONTAINER_TYPES", "EXTRACTORS", "Ctx", "extract", "extract_into", "run"]

CONTAINER_TYPES = frozenset({"zip", "tar", "gzip", "bzip2", "xz", "lzma", "zstd", "compress", "zlib"})
_ZIP_FAMILY = frozenset({"zip", "docx", "xlsx", "pptx", "ooxml", "odt", "ods", "odp", "odf"})

#: ``extractor(data, ctx, kind, name) -> a more precise type or None``
Extractor = Callable[[bytes, Ctx, str, str], "str | None"]

#: Content type (``sniff``) -> ``"module:function"`` of its extractor.  The module is
#: imported on first use, so a worker process pays only for the formats it meets.  A
#: format module receives recursion through ``Ctx.extract`` and never imports this one.
EXTRACTORS: dict[str, str] = {
    "pdf": "dlp_proxy.files.pdf:extract_pdf",
    **dict.fromkeys(("docx", "xlsx", "pptx", "ooxml"), "dlp_proxy.files.ooxml:extract_ooxml"),
    **dict.fromkeys(("odt", "ods", "odp", "odf"), "dlp_proxy.files.odf:extract_odf"),
    **dict.fromkeys(CONTAINER_TYPES, "dlp_proxy.files.archives:extract_container"),
    "rtf": "dlp_proxy.files.plain:extract_rtf",
    "eml": "dlp_proxy.files.eml:extract_eml",
    "cfb-encrypted": "dlp_proxy.files.legacy:extract_encrypted",
    "cfb": "dlp_proxy.files.legacy:extract_cfb",
    **dict.fromkeys(IMAGE_TYPES, "dlp_proxy.files.images:extract_image"),
    "text-or-binary": "dlp_proxy.files.plain:extract_text",
}
_loaded: dict[str, Extractor] = {}


def extractor(kind: str) -> Extractor | None:
    """The extractor for ``kind`` (None: no extractor, e.g. 7z, rar, executables)."""
    target = EXTRACTORS.get(kind)
    if target is None:
        return None
    fn = _loaded.get(target)
    if fn is None:
        module, name = target.split(":")
        fn = getattr(importlib.import_module(module), name)
        _loaded[target] = fn
    return fn


def extract(data: bytes, *, filename: str = "", limits: Limits | None = None) -> Extraction:
    """Extract every piece of text from ``data``; never raises for hostile input.

    The type is decided by content (``filename`` is used for nothing but
    locations of nested compressed streams).  ``complete`` is False and
    ``problems`` says why whenever anything could not be inspected.
    """
    limits = limits or Limits()
    budget = Budget(limits)
    return run(data, budget, filename)


def run(data: bytes, budget: Budget, filename: str = "") -> Extraction:
    file_type = "unknown"
    try:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("extract() takes bytes")
        data = bytes(data)
        if len(data) > budget.limits.max_file_bytes:
            budget.problem("size-limit", "")
            # Still read what fits, so a reviewer sees findings in the part we read.
            data = data[: budget.limits.max_file_bytes]
        file_type = sniff(data) if data else "empty"
        file_type = extract_into(data, Ctx(budget, recurse=_recurse), kind=file_type if data else None, name=filename)
    except TimeUp:
        budget.problem("time-limit", "")
    except (RecursionError, MemoryError):
        budget.problem("corrupt", "")
    except Exception:
        budget.problem("corrupt", "")
    return budget.result(file_type)


def extract_into(data: bytes, ctx: Ctx, *, kind: str | None = None, name: str = "", outside: bool = True) -> str:
    """Extract ``data`` into ctx's budget; returns the detected type.  A ZIP (or an
    OOXML/ODF package) is also read outside its central directory (``outside.py``)
    unless ``outside`` is False (a ZIP found inside a file read as another type: the
    rest of that file is that type's).  Every file's bytes are also read as text
    (``rawread.py``) unless ``ctx.covered`` (a slice of a file read so already)."""
    budget = ctx.budget
    budget.check_time()
    if not data:
        return "empty"
    if ctx.depth > ctx.limits.max_depth:
        ctx.problem("depth-limit")
        return "unknown"
    kind = kind or sniff(data)
    public = _guarded(ctx, _dispatch, data, ctx, kind, name) or _public(kind)
    if kind in _ZIP_FAMILY:
        if outside:
            _outside_zip(data, ctx)
    else:
        _polyglot(data, ctx, kind)
    # the union of the format's reading and the bytes read as text (``rawread.py``)
    _guarded(ctx, _raw, data, ctx, kind, public)
    return public


def _raw(data: bytes, ctx: Ctx, kind: str, public: str) -> None:
    from dlp_proxy.files.rawread import read_raw

    read_raw(data, ctx, kind, public)


def _public(kind: str) -> str:
    return "binary" if kind == "text-or-binary" else kind


def _recurse(data: bytes, ctx: Ctx, kind: str | None, name: str) -> str:
    return extract_into(data, ctx, kind=kind, name=name)


def _dispatch(data: bytes, ctx: Ctx, kind: str, name: str) -> str | None:
    """Run the extractor for ``kind``; returns a more precise type when it finds one."""
    fn = extractor(kind)
    if fn is None:
        ctx.problem("unsupported-type")
        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return None
    return fn(data, ctx, kind, name)


def _outside_zip(data: bytes, ctx: Ctx) -> None:
    from dlp_proxy.files.outside import read_zip_outside

    _guarded(ctx, read_zip_outside, data, ctx)


def _guarded(ctx: Ctx, fn: Callable[..., _T], *args: Any) -> _T | None:
    """``fn(*args)``; a failure becomes the extraction's problem (nesting too deep:
    ``depth-limit``, out of memory: ``size-limit``, anything else: ``corrupt``), never a
    crash; a time limit goes on up."""
    try:
        return fn(*args)
    except TimeUp:
        raise
    except RecursionError:
        ctx.problem("depth-limit")
    except MemoryError:
        ctx.problem("size-limit")
    except Exception:
        ctx.problem("corrupt")
    return None


def _polyglot(data: bytes, ctx: Ctx, kind: str) -> None:
    """A file valid as two types (e.g. a PDF with a ZIP appended) is inspected as both."""
    if kind != "zip" and b"PK\x05\x06" in data[-(65536 + 22) :] and b"PK\x01\x02" in data:
        try:
            ok = zipfile.is_zipfile(io.BytesIO(data))
        except Exception:
            ok = False
        if ok:
            extract_into(data, ctx.span("polyglot=zip"), kind="zip", outside=False)
    if kind not in ("pdf", "zip") and kind not in CONTAINER_TYPES:
        at = data.find(b"%PDF-")
        if at > 0:
            extract_into(data[at:], ctx.span("polyglot=pdf"), kind="pdf")
