"""Cleaned views of a picture for OCR: text a person reads at once that Tesseract
misses because of what is drawn over or behind it (attack pass 6, C9).

Each view is ink black on white, made with numpy and Pillow only:

- ``darkest``: the darkest ink only (``darkest_ink``): a textured or periodic
  background lighter than the text (a grey/white checkerboard) drops out;
- ``lines``: long horizontal and vertical ink runs removed (a line struck through the
  text, underlines, table rules), strokes the line cut through joined again;
- ``closed``: the ink dilated by one pixel: text drawn as dots (halftone, dot matrix,
  every third pixel) becomes solid strokes;
- ``noise``: long straight lines at any angle removed (``without_noise``: random
  lines and dots drawn over the text, as on a captcha), strokes the lines cut through
  joined again, then a 3 x 3 median filter for the dots.

``ocr._clean_readings`` reads the first three (one OCR pass each) only while the
readings so far are weak (no text, a low confidence, or too few characters for the
picture's ink).  ``noise`` is read by ``ocr.ocr_image`` after the other retries when
the best reading's confidence is under 60 or the picture is ``speckled`` (dots
scattered over it, where a median-filtered reading can pass for a good one), and kept
beside the best reading when it beats it.
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
#: line angles are looked for in steps of this many degrees (a line half a degree off
#: its step drifts by one pixel every 115 px; 2 degrees missed 1 px lines) ...
ANGLE_STEP = 1
#: ... at most this many of them (the angles with the most ink on one straight line,
#: each the most of the angles within 2 steps of it; 24 left some of 40 lines) ...
MAX_ANGLES = 64
#: ... on at most this many ink pixels (a bigger picture's ink is sampled): the vote
#: costs about this many times 90 angles
HOUGH_POINTS = 10_000
#: ``without_noise`` turns the picture for each direction with a line and back (~50 ms
#: a megapixel): for at most this many pixels in all (~0.2 s; a 40,000 pixel picture
#: gets every direction, a 1 MP one the 4 with the most ink)
TURNED_PIXELS = 2_000_000
#: a pixel of the picture turned (bilinear) with at least this much of an ink pixel in
#: it is ink: a 1 px line turned by an odd angle stays unbroken (at 128 it fell apart
#: into runs shorter than a line; measured: 5 of 24 pictures with 40 thin lines read
#: against 1)
TURNED_INK = 32
#: a speck: ink within ``SPECK_PX`` pixels of a pixel with no ink one pixel further out
SPECK_PX = 2
#: a picture is speckled (dots scattered over it) when its specks' pixels are at least
#: this share of its ink and of the whole picture (measured: 3-7 % of the ink and
#: 0.5-0.9 % of the picture for random dots and lines over 20-34 px text; at most 0.23 %
#: of the ink and 0.04 % of the picture for screenshots of text at 9-26 px, whose specks
#: are dots on i and j, full stops and colons)
SPECKS_OF_INK, SPECKS_OF_PICTURE = 0.01, 0.002


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

    ink = darkest_ink(gray)
    length = max(MIN_LINE_PX, min(gray.size) // 2)
    horizontal, vertical = long_runs(ink, length, 1), long_runs(ink, length, 0)
    left = ink & ~(horizontal | vertical)
    for line, axis in ((horizontal, 0), (vertical, 1)):
        left |= _repaired(line, left, axis)
    return _image(left)


def _repaired(line: Any, left: Any, axis: int) -> Any:
    """The pixels of ``line`` (lines across ``axis``: 0, level lines) to keep: those
    with ink of ``left`` (the ink that is no line) within ``REPAIR_PX`` on both sides
    across the line (a stroke the line crossed)."""
    import numpy as np

    before, after = np.zeros_like(left), np.zeros_like(left)
    for k in range(1, REPAIR_PX + 1):
        if axis == 0:
            before[k:] |= left[:-k]
            after[:-k] |= left[k:]
        else:
            before[:, k:] |= left[:, :-k]
            after[:, :-k] |= left[:, k:]
    return line & before & after


def line_angles(ink: Any, length: int) -> list[int]:
    """The directions (degrees clockwise from the x axis, rows growing downwards; 0-178 in steps of
    ``ANGLE_STEP``) in which ``ink`` may hold a straight line of ``length`` pixels: a
    Hough vote (each ink pixel for every line through it), the ``MAX_ANGLES``
    directions whose best line has at least half of ``length``, most ink first."""
    import numpy as np

    ys, xs = np.nonzero(ink)
    if not len(xs):
        return []
    stride = max(1, len(xs) // HOUGH_POINTS)
    ys, xs = ys[::stride], xs[::stride]
    normals = np.deg2rad(np.arange(0, 180, ANGLE_STEP))
    diag = int(np.hypot(*ink.shape)) + 1
    rho = np.rint(np.outer(xs, np.cos(normals)) + np.outer(ys, np.sin(normals))).astype(np.int64) + diag
    rho += (2 * diag + 1) * np.arange(len(normals))[None, :]
    votes = np.bincount(rho.ravel(), minlength=(2 * diag + 1) * len(normals)).reshape(len(normals), -1)
    peak = votes.max(axis=1) * stride
    # one line votes for the angles next to its own too: only the most of them counts
    top = np.max([np.roll(peak, k) for k in range(-2, 3)], axis=0)
    order = [int(i) for i in np.argsort(-peak, kind="stable") if peak[i] == top[i] and peak[i] >= length // 2]
    # a line's normal at n degrees: the line runs at n + 90 (image rows grow downwards)
    return [(i * ANGLE_STEP + 90) % 180 for i in order[:MAX_ANGLES]]


def _box_sums(ink: Any, radius: int) -> Any:
    """For each pixel, the ink in the square of side ``2 * radius + 1`` around it."""
    import numpy as np

    h, w = ink.shape
    n = 2 * radius + 1
    c = np.zeros((h + n, w + n), dtype=np.int32)
    c[radius + 1:radius + 1 + h, radius + 1:radius + 1 + w] = ink
    np.cumsum(c, axis=0, out=c)
    np.cumsum(c, axis=1, out=c)
    return c[n:, n:] - c[:-n, n:] - c[n:, :-n] + c[:-n, :-n]


def speckled(ink: Any) -> bool:
    """Dots scattered over the picture: enough ink pixels (``SPECKS_OF_INK``,
    ``SPECKS_OF_PICTURE``) lie in specks, blobs no wider than ``SPECK_PX`` pixels either
    way from them with no ink one pixel further out."""
    import numpy as np

    if not ink.any():
        return False
    specks = int(np.count_nonzero(ink & (_box_sums(ink, SPECK_PX + 1) == _box_sums(ink, SPECK_PX))))
    return specks >= SPECKS_OF_INK * int(np.count_nonzero(ink)) and specks >= SPECKS_OF_PICTURE * ink.size


def without_noise(gray: Any, *, weak: bool = True) -> Any | None:
    """A picture scribbled over with dots and lines (as a captcha is), cleaned: the
    darkest ink without its long straight lines at any angle (strokes they crossed
    kept, as in ``without_lines``), median-filtered (the dots).  None when it has no
    such line and is not ``speckled``, or when the readings so far are not ``weak``
    and it is not ``speckled`` (a screenshot read well costs no turning)."""
    import numpy as np
    from PIL import Image, ImageFilter

    ink = darkest_ink(gray)
    dotted = speckled(ink)
    if not (weak or dotted):
        return None
    h, w = ink.shape
    length = max(MIN_LINE_PX, min(gray.size) // 2)
    picture = Image.fromarray(ink.astype(np.uint8) * 255)
    removed = np.zeros_like(ink)
    turns = max(1, TURNED_PIXELS // ink.size)
    for angle in line_angles(ink, length)[:turns]:
        # a line at ``angle`` (clockwise on screen: rows grow downwards) is level once
        # turned that much counter-clockwise (``Image.rotate``)
        level = np.asarray(picture.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)) >= TURNED_INK
        runs = long_runs(level, length, 1)
        if not runs.any():
            continue
        gone = runs & ~_repaired(runs, level & ~runs, 0)
        back = np.asarray(Image.fromarray(gone.astype(np.uint8) * 255)
                          .rotate(-angle, resample=Image.Resampling.BILINEAR, expand=True))
        top, left = (back.shape[0] - h) // 2, (back.shape[1] - w) // 2
        removed |= back[top:top + h, left:left + w] > 0
    if not (dotted or removed.any()):
        return None
    return _image(ink & ~removed).filter(ImageFilter.MedianFilter(3))


def views(gray: Any) -> Iterator[tuple[str, Any]]:
    """The cleaned views, cheapest first, each made only when asked for."""
    from PIL import ImageFilter

    ink = darkest_ink(gray)
    yield "darkest", _image(ink)
    yield "lines", without_lines(gray)
    yield "closed", _image(ink).filter(ImageFilter.MinFilter(3))
