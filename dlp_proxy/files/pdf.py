"""PDF: every page's text layer (visible or not), annotations, form fields, metadata,
embedded files.

pypdf's text extraction ignores fill colour, rendering mode 3 (invisible text)
and the page boxes, so white-on-white text, invisible OCR layers and text placed
outside the visible page are all returned: exactly what a DLP scanner wants.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.limits import TimeUp

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

for _name in ("pypdf", "pypdf._reader", "pypdf.generic", "pypdf._page"):
    logging.getLogger(_name).setLevel(logging.ERROR)


def _s(value: Any) -> str:
    try:
        obj = value.get_object() if hasattr(value, "get_object") else value
    except Exception:
        return ""
    if isinstance(obj, bytes):
        return obj.decode("latin-1", "replace")
    if isinstance(obj, (list, tuple)):
        return " ".join(_s(v) for v in obj)
    return str(obj) if obj is not None else ""


def extract_pdf(data: bytes, ctx: Ctx, kind: str = "pdf", name: str = "") -> None:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    budget = ctx.budget
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt")
        from dlp_proxy.files.text import binary_strings

        binary_strings(data, budget, ctx.loc("strings"))
        return
    if reader.is_encrypted:
        # Owner-password-only PDFs (no password to open) decrypt with "".
        try:
            opened = bool(reader.decrypt(""))
        except Exception:
            opened = False
        if not opened:
            ctx.problem("encrypted")
            return
    try:
        pages = reader.pages
        n_pages = len(pages)
    except (FileNotDecryptedError, PdfReadError, Exception):
        ctx.problem("corrupt")
        return
    _metadata(reader, ctx)
    if n_pages > ctx.limits.max_pages:
        ctx.problem("page-limit")
    for index in range(min(n_pages, ctx.limits.max_pages)):
        budget.check_time()
        loc = f"page={index + 1}"
        try:
            page = pages[index]
            text = page.extract_text() or ""
        except TimeUp:
            raise
        except Exception:
            ctx.problem("corrupt", loc)
            continue
        if not ctx.add(loc, text):
            return
        if len("".join(text.split())) < IMAGE_ONLY_CHARS and ctx.limits.ocr:
            try:
                _ocr_page(page, loc, ctx)
            except TimeUp:
                raise
            except Exception:
                ctx.problem("corrupt", f"{loc}/ocr")
        try:
            _annotations(page, index + 1, ctx)
        except TimeUp:
            raise
        except Exception:
            ctx.problem("corrupt", f"{loc}/annotations")
    _form_fields(reader, ctx)
    _attachments(reader, ctx)


#: a page whose text layer has fewer non-blank characters than this is taken as a scan:
#: its images are OCR'd (a scan with an OCR text layer is read through that layer)
IMAGE_ONLY_CHARS = 16
#: images OCR'd per page at most (a scan is one image; more are logos and icons)
MAX_IMAGES_PER_PAGE = 8
#: images smaller than this on either side are icons, never text worth reading
MIN_IMAGE_SIDE = 32


def _ocr_page(page: Any, loc: str, ctx: Ctx) -> None:
    """OCR the images of an image-only page (sizes checked before anything is decoded)."""
    from dlp_proxy.files.ocr import ocr_image

    res: Any = page.get("/Resources")
    res = res.get_object() if res is not None else None
    xobjects = res.get("/XObject") if hasattr(res, "get") else None
    if xobjects is None:
        return
    xobjects = xobjects.get_object()
    images = []
    for name in list(xobjects.keys())[:10000]:
        xobj = xobjects[name].get_object()
        if hasattr(xobj, "get") and xobj.get("/Subtype") == "/Image":
            images.append((name, int(xobj.get("/Width", 0)), int(xobj.get("/Height", 0))))
    images = [i for i in images if min(i[1], i[2]) >= MIN_IMAGE_SIDE]
    for n, (name, width, height) in enumerate(images[:MAX_IMAGES_PER_PAGE]):
        sub = f"{loc}/ocr" if len(images) == 1 else f"{loc}/ocr{n + 1}"
        if width * height > ctx.limits.ocr_max_pixels:
            ctx.problem("ocr-limit", sub)
            continue
        ctx.budget.check_time()
        ocr_image(page.images[name].image.convert("L"), ctx, sub)
    if len(images) > MAX_IMAGES_PER_PAGE:
        ctx.problem("ocr-limit", f"{loc}/ocr")


def _metadata(reader: Any, ctx: Ctx) -> None:
    try:
        meta = reader.metadata or {}
        values = [_s(v) for v in meta.values()]
    except Exception:
        return
    ctx.add("metadata", "\n".join(v for v in values if v.strip()))


def _annotations(page: Any, number: int, ctx: Ctx) -> None:
    annots = page.get("/Annots")
    if annots is None:
        return
    annots = annots.get_object()
    parts: list[str] = []
    for ref in list(annots)[:10000]:
        annot = ref.get_object()
        if not hasattr(annot, "get"):
            continue
        if annot.get("/Subtype") == "/Widget":
            continue  # form fields are reported by _form_fields with their page
        for key in ("/Contents", "/T", "/Subj", "/RC"):
            if key in annot:
                parts.append(_s(annot[key]))
        action = annot.get("/A")
        if action is not None:
            action = action.get_object()
            if hasattr(action, "get") and "/URI" in action:
                parts.append(_s(action["/URI"]))
    ctx.add(f"page={number}/annotations", "\n".join(p for p in parts if p.strip()))


def _form_fields(reader: Any, ctx: Ctx) -> None:
    try:
        fields = reader.get_fields() or {}
    except TimeUp:
        raise
    except Exception:
        ctx.problem("corrupt", "form")
        return
    page_by_name: dict[str, int] = {}
    # Map fully qualified names to pages through the widgets seen on each page.
    for number, page in enumerate(reader.pages[: ctx.limits.max_pages], start=1):
        try:
            annots = page.get("/Annots")
            if annots is None:
                continue
            for ref in list(annots.get_object())[:10000]:
                annot = ref.get_object()
                if annot.get("/Subtype") != "/Widget":
                    continue
                name_parts: list[str] = []
                node: Any = annot
                for _ in range(32):
                    if "/T" in node:
                        name_parts.append(_s(node["/T"]))
                    parent = node.get("/Parent")
                    if parent is None:
                        break
                    node = parent.get_object()
                page_by_name.setdefault(".".join(reversed(name_parts)), number)
        except TimeUp:
            raise
        except Exception:  # noqa: S112 - a broken widget only loses the page number of a field
            continue
    for name, field in list(fields.items())[: ctx.limits.max_entries]:
        ctx.budget.check_time()
        value = field.get("/V") if hasattr(field, "get") else None
        default = field.get("/DV") if hasattr(field, "get") else None
        texts = [t for t in (_s(value), _s(default) if default != value else "") if t.strip()]
        opts = field.get("/Opt") if hasattr(field, "get") else None
        if opts is not None:
            texts.append(_s(opts))
        if not texts:
            continue
        page = page_by_name.get(name)
        sub = f"page={page}/form:{name}" if page else f"form:{name}"
        ctx.add(sub, "\n".join(texts))


def _attachments(reader: Any, ctx: Ctx) -> None:
    try:
        attachments = reader.attachments
        items = list(attachments.items())
    except TimeUp:
        raise
    except Exception:
        return
    for name, blobs in items[: ctx.limits.max_entries]:
        for blob in blobs:
            if not ctx.budget.take_entry(ctx.loc(f"attachment={name}")):
                return
            ctx.child(f"attachment={name}").extract(bytes(blob), name=name)
