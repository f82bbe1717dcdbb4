"""The extraction dispatcher: content type -> extractor, recursion, polyglots, limits."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from dlp_proxy.files.limits import Budget, Limits, TimeUp
from dlp_proxy.files.sniff import IMAGE_TYPES, sniff
from dlp_proxy.files.text import (
    binary_strings,
    decode,
    iter_decoded,
    json_strings,
    line_blocks,
    strip_markup,
    text_kind,
)
from dlp_proxy.interfaces import Extraction

_MEMBER_TAIL = re.compile(r"(?:^|/)member=[^=]*$")
CONTAINER_TYPES = frozenset({"zip", "tar", "gzip", "bzip2", "xz"})
_ZIP_FAMILY = frozenset({"zip", "docx", "xlsx", "pptx", "ooxml", "odt", "ods", "odp", "odf"})


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where we are: the budget shared by the whole file, nesting depth, location prefix."""

    budget: Budget
    depth: int = 0
    prefix: str = ""

    @property
    def limits(self) -> Limits:
        return self.budget.limits

    def loc(self, sub: str = "") -> str:
        if not sub:
            return self.prefix
        return f"{self.prefix}/{sub}" if self.prefix else sub

    def add(self, sub: str, text: str) -> bool:
        return self.budget.add(self.loc(sub), text)

    def problem(self, code: str, sub: str = "") -> None:
        self.budget.problem(code, self.loc(sub))

    def member(self, name: str) -> Ctx:
        """Context for an archive member: ``member=a.zip/b.csv`` for nested members."""
        if _MEMBER_TAIL.search(self.prefix):
            prefix = f"{self.prefix}/{name}"
        else:
            prefix = self.loc(f"member={name}")
        return Ctx(self.budget, self.depth + 1, prefix)

    def child(self, sub: str) -> Ctx:
        """Context for an embedded file (attachment, OLE object) at ``sub``."""
        return Ctx(self.budget, self.depth + 1, self.loc(sub))


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
        file_type = extract_into(data, Ctx(budget), kind=file_type if data else None, name=filename)
    except TimeUp:
        budget.problem("time-limit", "")
    except (RecursionError, MemoryError):
        budget.problem("corrupt", "")
    except Exception:
        budget.problem("corrupt", "")
    return budget.result(file_type)


def extract_into(data: bytes, ctx: Ctx, *, kind: str | None = None, name: str = "") -> str:
    """Extract ``data`` into ctx's budget; returns the detected type."""
    budget = ctx.budget
    budget.check_time()
    if not data:
        return "empty"
    if ctx.depth > ctx.limits.max_depth:
        ctx.problem("depth-limit")
        return "unknown"
    kind = kind or sniff(data)
    public = _public(kind)
    try:
        public = _dispatch(data, ctx, kind, name) or public
    except TimeUp:
        raise
    except RecursionError:
        ctx.problem("depth-limit")
    except MemoryError:
        ctx.problem("size-limit")
    except Exception:
        ctx.problem("corrupt")
    if kind not in _ZIP_FAMILY:
        _polyglot(data, ctx, kind)
    return public


def _public(kind: str) -> str:
    return "binary" if kind == "text-or-binary" else kind


def _dispatch(data: bytes, ctx: Ctx, kind: str, name: str) -> str | None:
    """Run the extractor for ``kind``; returns a more precise type when it finds one."""
    # Imports are local so a worker process pays only for the formats it meets.
    if kind == "pdf":
        from dlp_proxy.files.pdf import extract_pdf

        extract_pdf(data, ctx)
    elif kind in ("docx", "xlsx", "pptx", "ooxml"):
        from dlp_proxy.files.ooxml import extract_ooxml

        extract_ooxml(data, ctx, kind)
    elif kind in ("odt", "ods", "odp", "odf"):
        from dlp_proxy.files.odf import extract_odf

        extract_odf(data, ctx, kind)
    elif kind in CONTAINER_TYPES:
        from dlp_proxy.files.archives import extract_container

        extract_container(data, ctx, kind, name)
    elif kind == "rtf":
        _extract_rtf(data, ctx)
    elif kind == "eml":
        from dlp_proxy.files.eml import extract_eml

        extract_eml(data, ctx)
    elif kind == "cfb-encrypted":
        ctx.problem("encrypted")
    elif kind == "cfb":
        from dlp_proxy.files.legacy import extract_cfb

        return extract_cfb(data, ctx)
    elif kind in IMAGE_TYPES:
        from dlp_proxy.files.ocr import extract_image

        extract_image(data, ctx)
    elif kind == "text-or-binary":
        return _extract_text(data, ctx)
    else:
        # 7z, rar, executables, ...
        ctx.problem("unsupported-type")
        binary_strings(data, ctx.budget, ctx.loc("strings"))
    return None


def _extract_text(data: bytes, ctx: Ctx) -> str:
    head = decode(data[:8192])
    if head is None:
        ctx.problem("unsupported-type")
        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return "binary"
    kind = text_kind(decode(data) or "" if len(data) <= 8192 else head)
    if kind in ("html", "xml"):
        text = decode(data) or ""
        if kind == "xml":
            from dlp_proxy.files.xmltext import xml_text

            stripped = xml_text(text.encode("utf-8"))
            if stripped is None:
                stripped = strip_markup(text)
        else:
            stripped = strip_markup(text)
        for loc, block in line_blocks([stripped]):
            ctx.budget.check_time()
            if not ctx.add(f"text/{loc}", block):
                return kind
        return kind
    for loc, block in line_blocks(iter_decoded(data)):
        ctx.budget.check_time()
        if not ctx.add(loc, block):
            return kind
    if kind == "json" and b"\\u" in data:
        text = decode(data) or ""
        try:
            ctx.add("json-decoded", json_strings(text))
        except ValueError:
            pass
    return kind


def _extract_rtf(data: bytes, ctx: Ctx) -> None:
    from striprtf.striprtf import rtf_to_text

    raw = data.decode("latin-1")
    try:
        text = str(rtf_to_text(raw, errors="replace"))  # type: ignore[no-untyped-call]
    except Exception:
        ctx.problem("corrupt")
        binary_strings(data, ctx.budget, ctx.loc("strings"))
        return
    for loc, block in line_blocks([text]):
        ctx.budget.check_time()
        if not ctx.add(loc, block):
            return
    # striprtf drops the contents of destinations such as {\*\...} (annotations,
    # hidden fields); a crude pass over the raw control-word-free text keeps them.
    stripped = re.sub(r"\\[a-z]+-?\d* ?|[{}]", " ", raw)
    stripped = re.sub(r"\\'([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), stripped)
    stripped = re.sub(r"\s+", " ", stripped)
    ctx.add("raw", stripped)


def _polyglot(data: bytes, ctx: Ctx, kind: str) -> None:
    """A file valid as two types (e.g. a PDF with a ZIP appended) is inspected as both."""
    if kind != "zip" and b"PK\x05\x06" in data[-(65536 + 22) :] and b"PK\x01\x02" in data:
        try:
            ok = zipfile.is_zipfile(io.BytesIO(data))
        except Exception:
            ok = False
        if ok:
            extract_into(data, ctx.child("polyglot=zip"), kind="zip")
    if kind not in ("pdf", "zip") and kind not in CONTAINER_TYPES:
        at = data.find(b"%PDF-")
        if at > 0:
            extract_into(data[at:], ctx.child("polyglot=pdf"), kind="pdf")
