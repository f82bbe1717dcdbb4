"""Images (PNG, JPEG, GIF, WebP, BMP, Netpbm, XBM, every page of a TIFF, HEIC, every
distinct frame of an animated GIF, PNG or WebP, and any other raster Pillow opens):
decoded within the pixel limit, then read by the OCR engine (``ocr.py``); a picture with
transparency over white and by its alpha channel (``ocr.frame_views``)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.ocr import read_frame

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx


def _open(data: bytes) -> Any:
    from PIL import Image

    if data[4:8] == b"ftyp":
        from pillow_heif import register_heif_opener

        register_heif_opener()
    return Image.open(io.BytesIO(data))


#: PNG chunks that hold pixels or rendering parameters, never text
_PNG_PIXEL_CHUNKS = frozenset({b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
                               b"sBIT", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT"})


def _png_hidden(data: bytes) -> bytes:
    """The bytes of a PNG that are no pixels: every chunk other than pixel and
    rendering chunks (text chunks, private ones) and whatever follows IEND."""
    out: list[bytes] = []
    pos = 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if kind not in _PNG_PIXEL_CHUNKS:
            out.append(data[pos + 8 : min(end - 4, len(data))])
        pos = end
        if kind == b"IEND":
            break
    out.append(data[pos:])
    return b"\n".join(out)


def _jpeg_hidden(data: bytes) -> bytes:
    """The bytes of a JPEG that are no pixels: APPn and COM segments (EXIF, XMP,
    comments) and whatever follows the end of the image."""
    out: list[bytes] = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xD9:  # end of image
            pos += 2
            break
        if marker in (0x01, *range(0xD0, 0xD8)) or marker == 0xFF:  # no length
            pos += 1 if marker == 0xFF else 2
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xFE or 0xE0 <= marker <= 0xEF:
            out.append(data[pos + 4 : pos + 2 + length])
        pos += 2 + length
        if marker == 0xDA:  # entropy-coded data up to the next marker that is no RSTn / stuffing
            from dlp_proxy.files.imagemeta import scan_end

            pos = scan_end(data, pos)
    out.append(data[pos:])
    return b"\n".join(out)


def extract_metadata(data: bytes, ctx: Ctx, img: Any | None) -> None:
    """What an image carries besides its pixels, which Mattermost stores and serves
    with the file: text chunks (compressed ones inflated), comments, EXIF, XMP and the
    ICC profile's text, wherever in the file they are (``imagemeta.container_texts``:
    the file's own containers, not Pillow's partial view), then what Pillow reads of
    the formats walked there by nobody else (TIFF tags, HEIC's EXIF, XMP and profile).
    Private chunks and bytes after the image's end are read as strings(1) reads a
    binary (``binary_strings``).  ``img``: the image as ``extract_image`` opened it
    (None when Pillow could not)."""
    from dlp_proxy.files.imagemeta import container_texts, exif_texts, icc_texts
    from dlp_proxy.files.text import binary_strings

    if data[:8] == b"\x89PNG\r\n\x1a\n":
        hidden = _png_hidden(data)
    elif data[:2] == b"\xff\xd8":
        hidden = _jpeg_hidden(data)
    else:
        hidden = b""
    texts = container_texts(data, ctx)
    walked = data[:8] == b"\x89PNG\r\n\x1a\n" or data[:2] == b"\xff\xd8" or data[:3] == b"GIF" or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    if img is not None and not walked:
        try:
            for key, value in (img.info or {}).items():
                if key in ("exif", "transparency", "dpi", "gamma"):
                    continue
                if key == "icc_profile" and isinstance(value, bytes):
                    icc_texts(value, texts)
                    continue
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                if isinstance(value, str):
                    texts.add(f"{key}: {value}")
            exif_texts(img.getexif(), texts)
        except Exception:  # noqa: S110 - the pixels' reader reports a corrupt image
            pass
    if texts.parts:
        ctx.add("metadata", "\n".join(texts.parts))
    if hidden:
        binary_strings(hidden, ctx.budget, ctx.loc("metadata/strings"))


#: the pages or frames read together (``_Joined``) at most, and the characters of each
JOIN_MAX_PARTS = 64
JOIN_PART_CHARS = 4096


def _recording(ctx: Ctx) -> Any:
    """``ctx`` that also keeps the texts added through it (``texts``): the budget's
    segments may not hold them (the gateway's worker seals each text as it is added)."""
    from dataclasses import dataclass, field

    from dlp_proxy.files.context import Ctx

    @dataclass(frozen=True, slots=True)
    class Recording(Ctx):
        texts: list[str] = field(default_factory=list)

        def add(self, sub: str, text: str) -> bool:
            if text and not text.isspace():
                self.texts.append(text)
            return Ctx.add(self, sub, text)

    return Recording(ctx.budget, ctx.depth, ctx.prefix, ctx.recurse)


class _Joined:
    """The readings of a picture's pages (TIFF) or frames (animation) one after the
    other, one part a line, added as one more reading (``ocr/pages``, ``ocr/frames``):
    a viewer sees them one after another, so an identifier split across two of them
    ("client SSN 536-22-" then "8710") is read whole.  Each page's or frame's first
    reading is its part."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.parts: list[str] = []

    def read(self, frame: Any, where: str) -> None:
        recording = _recording(self.ctx)
        read_frame(frame, recording, where)
        if len(self.parts) < JOIN_MAX_PARTS and recording.texts:
            self.parts.append(recording.texts[0].strip()[:JOIN_PART_CHARS])

    def add(self, sub: str) -> None:
        if len(self.parts) > 1:
            self.ctx.add(sub, "\n".join(self.parts))


def extract_image(data: bytes, ctx: Ctx, kind: str = "png", name: str = "", sub: str = "ocr") -> None:
    from PIL import Image, ImageOps

    img: Any | None = None
    opened = "corrupt"
    try:
        img = _open(data)
        width, height = img.size
        opened = ""
    except Image.DecompressionBombError:
        opened = "ocr-limit"
    except Exception:
        img = None
    extract_metadata(data, ctx, img if not opened else None)
    if kind in ("pnm", "xbm"):
        # a Netpbm header and an X bitmap are text (comments, C source) around the pixels
        from dlp_proxy.files.text import binary_strings

        binary_strings(data, ctx.budget, ctx.loc("strings"))
    limits = ctx.limits
    if not limits.ocr:
        ctx.problem("ocr-disabled", sub)
        return
    if opened or img is None:
        ctx.problem(opened or "corrupt", sub)
        return
    if width * height > limits.ocr_max_pixels:
        ctx.problem("ocr-limit", sub)
        return
    # A multi-page TIFF is a scan or a fax: every page (up to max_pages).
    frames = int(getattr(img, "n_frames", 1) or 1)
    if frames > 1 and img.format != "TIFF":
        _animation(img, frames, ctx, sub)
        return
    if frames > limits.max_pages:
        ctx.problem("page-limit", sub)
    joined = _Joined(ctx)
    for index in range(min(frames, limits.max_pages)):
        where = sub if frames == 1 else f"page={index + 1}/{sub}"
        try:
            img.seek(index)
            if img.size[0] * img.size[1] > limits.ocr_max_pixels:
                ctx.problem("ocr-limit", where)
                continue
            frame = ImageOps.exif_transpose(img) or img
            frame.load()
        except Exception:
            ctx.problem("corrupt", where)
            continue
        joined.read(frame, where)
    joined.add(f"{sub}/pages")


#: distinct frames of an animated image (GIF, APNG, WebP) that are read; an animation
#: with more is ``frame-limit`` (held as too large to inspect), its first ones read
MAX_FRAMES = 24
#: frames decoded at most to find the distinct ones (a long animation of few pictures)
MAX_DECODED_FRAMES = 1000


def _animation(img: Any, frames: int, ctx: Ctx, sub: str) -> None:
    """Every distinct frame of an animation: a later frame shows text the first does not.
    The first frame is read at ``sub``, frame N at ``frame=N/sub``; a frame identical
    to one already read is skipped.  A text-free frame among frames with text is no
    problem (``no-text`` only when no frame had text)."""
    import hashlib

    budget = ctx.budget
    seen: set[bytes] = set()
    joined = _Joined(ctx)
    read = 0
    problems_before = len(budget.problems)
    segments_before = len(budget.segments)
    for index in range(frames):
        where = sub if index == 0 else f"frame={index + 1}/{sub}"
        if index >= MAX_DECODED_FRAMES:
            ctx.problem("frame-limit", sub)
            break
        budget.check_time()
        try:
            img.seek(index)
            if img.size[0] * img.size[1] > ctx.limits.ocr_max_pixels:
                ctx.problem("ocr-limit", where)
                continue
            frame = img.copy()
            gray = frame.convert("L")
        except EOFError:
            break
        except Exception:
            ctx.problem("corrupt", where)
            continue
        digest = hashlib.blake2b(gray.tobytes(), digest_size=16).digest() + gray.size[0].to_bytes(4, "big")
        if digest in seen:
            continue
        seen.add(digest)
        if read >= MAX_FRAMES:
            ctx.problem("frame-limit", sub)
            break
        read += 1
        joined.read(frame, where)
    joined.add(f"{sub}/frames")
    if len(budget.segments) > segments_before:
        # frames without text beside frames with text: the animation was read
        budget.problems[problems_before:] = [
            (code, loc) for code, loc in budget.problems[problems_before:] if code != "no-text"]
    elif any(code == "no-text" for code, _ in budget.problems[problems_before:]):
        budget.problems[problems_before:] = [
            (code, loc) for code, loc in budget.problems[problems_before:] if code != "no-text"]
        ctx.problem("no-text", sub)
