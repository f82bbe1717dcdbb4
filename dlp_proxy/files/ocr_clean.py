"""Cleaned views of a picture for OCR: text a person reads at once that Tesseract
misses because of what is drawn over or behind it (attack pass 6, C9).

Each view is ink black on white, made with numpy and Pillow only:

- ``darkest``: the darkest ink only (``darkest_ink``): a textured or periodic
  background lighter than the text (a grey/white checkerboard) drops out;
- ``lines``: long horizontal and vertical ink runs removed (a line struck through the
  text, underlines, table rules), strokes the line cut through joined again;
- ``closed``: the ink dilated by one pixel: text drawn as dots (halftone, dot matrix,
  every third pixel) becomes solid strokes.

``ocr._clean_readings`` reads them (one OCR pass each) only while the readings so far
are weak (no text, a low confidence, or too few characters for the picture's ink).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

#: the darkest level holding at least this share of the pixels is the ink's
INK_SHARE = 0.002
#: the darkest level holding at least this share (and ``INK_GAP`` lighter than the ink)
#: is the lightest background the ink threshold sits halfway to
BACKGROUND_SHARE = 0.1
INK_GAP = 48
#: a run of ink at least this long (and half the picture's smaller side) is a line
MIN_LINE_PX = 40
#: a removed line pixel with ink within this many pixels on both sides across the line
#: was part of a stroke the line crossed: kept
REPAIR_PX = 4


def darkest_ink(gray: Any) -> Any:
    """Boolean ink mask: pixels darker than halfway between the darkest common level
    (the ink) and the darkest level a tenth of the picture has (a background)."""
    import numpy as np

    a = np.asarray(gray, dtype=np.uint8)
    hist = np.bincount(a[::2, ::2].ravel(), minlength=256)
    n = int(hist.sum())
    common = np.nonzero(hist >= max(1, INK_SHARE * n))[0]
    dark = int(common[0]) if len(common) else 0
    big = np.nonzero(hist >= BACKGROUND_SHARE * n)[0]
    big = big[big > dark + INK_GAP]
    light = int(big[0]) if len(big) else 255
    return a < (dark + light) // 2


def _image(ink: Any) -> Any:
    import numpy as np
    from PIL import Image

    return Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))


def long_runs(ink: Any, length: int, axis: int) -> Any:
    """The pixels of ``ink`` inside a run of at least ``length`` ink pixels along
    ``axis`` (1: rows, 0: columns): a morphological opening with a 1 x length line."""
    import numpy as np

    m = ink if axis == 1 else ink.T
    rows, cols = m.shape
    if length > cols:
        return np.zeros_like(ink)
    c = np.zeros((rows, cols + 1), dtype=np.int32)
    np.cumsum(m, axis=1, out=c[:, 1:])
    full = (c[:, length:] - c[:, :-length]) == length  # the window starting here is all ink
    # pixel j lies in a full window starting at j - length + 1 .. j (a dilation back)
    f = np.zeros((rows, full.shape[1] + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=f[:, 1:])
    j = np.arange(cols)
    hi, lo = np.minimum(j, cols - length) + 1, np.maximum(j - length + 1, 0)
    out = (f[:, hi] - f[:, lo]) > 0
    return out if axis == 1 else out.T


def without_lines(gray: Any) -> Any:
    """The darkest ink without its long horizontal and vertical lines; a line pixel
    with ink on both sides across the line (a stroke it crossed) is kept."""
    import numpy as np

    ink = darkest_ink(gray)
    length = max(MIN_LINE_PX, min(gray.size) // 2)
    horizontal, vertical = long_runs(ink, length, 1), long_runs(ink, length, 0)
    left = ink & ~(horizontal | vertical)
    for line, axis in ((horizontal, 0), (vertical, 1)):
        before, after = np.zeros_like(left), np.zeros_like(left)
        for k in range(1, REPAIR_PX + 1):
            if axis == 0:
                before[k:] |= left[:-k]
                after[:-k] |= left[k:]
            else:
                before[:, k:] |= left[:, :-k]
                after[:, :-k] |= left[:, k:]
        left |= line & before & after
    return _image(left)


def views(gray: Any) -> Iterator[tuple[str, Any]]:
    """The cleaned views, cheapest first, each made only when asked for."""
    from PIL import ImageFilter

    ink = darkest_ink(gray)
    yield "darkest", _image(ink)
    yield "lines", without_lines(gray)
    yield "closed", _image(ink).filter(ImageFilter.MinFilter(3))
