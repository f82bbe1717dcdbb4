"""Images (PNG, JPEG, GIF first frame, WebP, BMP, every page of a TIFF, HEIC): decoded
within the pixel limit, then read by the OCR engine (``ocr.py``)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.ocr import ocr_image

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx


def _open(data: bytes) -> Any:
    from PIL import Image

    if data[4:8] == b"ftyp":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    return Image.open(io.BytesIO(data))


def extract_image(data: bytes, ctx: Ctx, kind: str = "png", name: str = "", sub: str = "ocr") -> None:
    limits = ctx.limits
    if not limits.ocr:
        ctx.problem("ocr-disabled", sub)
        return
    from PIL import Image, ImageOps

    try:
        img = _open(data)
        width, height = img.size
    except Image.DecompressionBombError:
        ctx.problem("ocr-limit", sub)
        return
    except Exception:
        ctx.problem("corrupt", sub)
        return
    if width * height > limits.ocr_max_pixels:
        ctx.problem("ocr-limit", sub)
        return
    # A multi-page TIFF is a scan or a fax: every page (up to max_pages).  Animated
    # GIF and WebP frames are one picture moving: the first frame.
    if img.format == "JPEG":
        img.draft("L", img.size)  # libjpeg decodes straight to grey: 70 ms instead of 200 for 12 MP
    frames = int(getattr(img, "n_frames", 1) or 1) if img.format == "TIFF" else 1
    if frames > limits.max_pages:
        ctx.problem("page-limit", sub)
    for index in range(min(frames, limits.max_pages)):
        where = sub if frames == 1 else f"page={index + 1}/{sub}"
        try:
            img.seek(index)
            if img.size[0] * img.size[1] > limits.ocr_max_pixels:
                ctx.problem("ocr-limit", where)
                continue
            gray = (ImageOps.exif_transpose(img) or img).convert("L")
        except Exception:
            ctx.problem("corrupt", where)
            continue
        ocr_image(gray, ctx, where)
