"""Images: text through Tesseract (tesserocr, in the file worker process).

Engine, chosen by measurement (docs/files.md, "OCR"): tesserocr's wheel carries the
Tesseract library; the English model comes from Debian's ``tesseract-ocr`` package
(``/usr/share/tesseract-ocr/*/tessdata``, or ``$TESSDATA_PREFIX``).  Nothing is
downloaded at run time.  One engine per worker process, built on first use (~50 ms),
reused for every image: a ``tesseract`` command per image paid process start and
model load each time (~0.6 s against ~0.07 s for a screenshot).

Outcomes, as problem codes of the Extraction (never a silent pass):

- text found: a segment ``ocr`` (``page=3/ocr`` for a scanned PDF page);
- ``no-text``: the image holds no text we could read: the cheap pre-check found no
  sharp strokes (blank, flat, blurred photo), or OCR returned nothing.  The shipped
  policy lets it pass, recorded as uninspected;
- ``ocr-limit``: over ``Limits.ocr_max_pixels`` or ``Limits.ocr_max_seconds``
  (spent across all images of one file): not read, the policy holds it;
- ``ocr-disabled`` (``Limits.ocr`` off), ``ocr-unavailable`` (no engine or model),
  ``ocr-failed`` (the engine failed), ``corrupt`` (not a decodable image).
"""

from __future__ import annotations

import os
from glob import glob
from typing import TYPE_CHECKING, Any

from dlp_proxy.files.glyph import GLYPH_MAX_PX, GLYPH_MAX_READ, read_glyphs

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: a horizontal step of at least this many grey levels between neighbouring pixels is a
#: "sharp" edge: glyph strokes of 12 px text on any usual background give dozens per
#: line; noise, gradients and blur give none (measured: docs/files.md)
EDGE_STEP = 48
#: fewer sharp edges than this (on every second row) and the image is taken as text-free;
#: one 11-character identifier at 12 px gives ~150
MIN_EDGES = 24
#: a blurred picture (a Gaussian blur of sigma 2-3, still legible at 20 px and larger)
#: has no step between neighbours: its strokes are looked for as steps of ``EDGE_STEP``
#: across this many pixels (measured: 40 px text blurred by sigma 2.2-3.0 gives
#: 1,600-3,000 such steps, 20 px text 26-385, a phone photo without text none)
BLUR_SPAN = 4

_engines: dict[str, Any] = {}


def tessdata_dir() -> str | None:
    """The Tesseract model directory (with eng.traineddata), or None."""
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = [env] if env else []
    candidates += sorted(glob("/usr/share/tesseract-ocr/*/tessdata"), reverse=True)
    candidates += ["/usr/share/tessdata", "/usr/local/share/tessdata"]
    for path in candidates:
        if path and os.path.isfile(os.path.join(path, "eng.traineddata")):
            return path
    return None


def engine(languages: str = "eng") -> Any:
    """This process's Tesseract engine for ``languages`` (None when unavailable)."""
    if languages in _engines:
        return _engines[languages]
    api = None
    path = tessdata_dir()
    if path is not None:
        # one worker is one core: Tesseract's OpenMP threads would fight the other workers
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        try:
            import tesserocr

            api = tesserocr.PyTessBaseAPI(path=path.rstrip("/") + "/", lang=languages, psm=tesserocr.PSM.AUTO)
        except Exception:
            api = None
    _engines[languages] = api
    return api


def may_have_text(gray: Any, colour: Any | None = None) -> bool:
    """Cheap check (a few ms for 12 MP): are there sharp strokes such as glyphs make?
    ``colour``: the picture in RGB, when it has colour.  Text whose colour differs from
    its background's while their luminance is close (red on green, blue on black) has
    no step in grey: its strokes are looked for in each of R, G and B as well."""
    import numpy as np

    def sharp(channel: Any, span: int = 1) -> bool:
        rows = np.asarray(channel, dtype=np.int16)[::2]
        if rows.ndim != 2 or rows.shape[1] <= span:
            return False
        steps = np.abs(rows[:, span:] - rows[:, :-span]) >= EDGE_STEP
        return int(np.count_nonzero(steps)) >= MIN_EDGES

    if sharp(gray):
        return True
    if colour is not None and any(sharp(band) for band in colour.split()[:3]):
        return True
    # blurred text: soft strokes, a step across a few pixels (``BLUR_SPAN``)
    return sharp(gray, BLUR_SPAN)


def colour_distance(colour: Any) -> Any:
    """Ink black on white by colour: each pixel's largest channel difference from the
    background colour (the most common one), inverted.  Text in another colour than
    its background comes out dark whatever the two luminances (isoluminant red on
    green, which greyscale turns into one flat grey)."""
    import numpy as np
    from PIL import Image

    a = np.asarray(colour.convert("RGB"), dtype=np.uint8)
    sample = a[::4, ::4].reshape(-1, 3).astype(np.int32) // 8
    keys = sample[:, 0] * 1024 + sample[:, 1] * 32 + sample[:, 2]
    background = a[::4, ::4].reshape(-1, 3)[keys == int(np.bincount(keys).argmax())][0].astype(np.int16)
    distance = np.zeros(a.shape[:2], dtype=np.int16)
    for c in range(3):  # one channel at a time: a 50 MP picture never holds three int16 copies
        np.maximum(distance, np.abs(a[:, :, c].astype(np.int16) - background[c]), out=distance)
    return Image.fromarray((255 - np.clip(distance * 2, 0, 255)).astype(np.uint8))


#: a first reading with a mean word confidence below this is retried (rotated, binarised)
LOW_CONFIDENCE = 60
#: ... and a retry reaching this is taken at once (no further retries)
GOOD_CONFIDENCE = 80
#: text lines at most this many pixels high (median) are read again at twice the size:
#: Tesseract misreads glyphs a few pixels high (9 px text gives 8 px lines)
SMALL_LINE_PX = 10
#: a retry takes at most this many times the first pass (and half the file's time left)
RETRY_TIMES = 5
#: an upscaled image stays under this many pixels (and under ``ocr_max_pixels``)
UPSCALE_MAX_PIXELS = 8_000_000
#: binarisation: a pixel further than this from the background grey level is ink
INK_DELTA = 12
#: retries are for pictures with a flat background (screenshots, scans): at least this
#: share of the pixels within ``INK_DELTA`` of the background level (measured: 0.8-0.85
#: for screenshots, 0.22 for a high-ISO photo, whose binarised retry cost 18 s for nothing)
FLAT_BACKGROUND = 0.4
#: a reading with fewer characters than the binarised picture's ink edges / this is
#: partial (measured: 8-15 edges per character read for screenshots read in full, 40
#: and more when dim text was missed)
INK_PER_CHAR = 25


class _Reading:
    __slots__ = ("conf", "line_px", "text")

    def __init__(self, text: str, conf: int, line_px: int) -> None:
        self.text, self.conf, self.line_px = text, conf, line_px

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def binarize(gray: Any) -> Any:
    """Ink black on white: every pixel further than ``INK_DELTA`` grey levels from the
    background (the most common level) is ink, whatever the polarity.  Light grey text
    on white, grey on grey and dark mode all come out black on white, which a global
    threshold (Tesseract's Otsu) misses when the picture also holds dark areas."""
    import numpy as np
    from PIL import Image

    a = np.asarray(gray, dtype=np.int16)
    background = int(np.bincount(a[::4, ::4].ravel(), minlength=256).argmax())
    return Image.fromarray(np.where(np.abs(a - background) > INK_DELTA, 0, 255).astype(np.uint8))


def _flat_background(gray: Any) -> bool:
    import numpy as np

    a = np.asarray(gray, dtype=np.int16)[::4, ::4]
    background = int(np.bincount(a.ravel(), minlength=256).argmax())
    return float(np.mean(np.abs(a - background) <= INK_DELTA)) >= FLAT_BACKGROUND


def _ink_edges(gray: Any) -> int:
    import numpy as np

    rows = np.asarray(gray, dtype=np.int16)[::2]
    return int(np.count_nonzero(np.abs(np.diff(rows, axis=1)) >= EDGE_STEP)) if rows.shape[1] > 1 else 0


def ocr_image(gray: Any, ctx: Ctx, sub: str, colour: Any | None = None) -> None:
    """OCR a decoded greyscale image within this file's OCR time budget.

    A poor first reading of a picture with a flat background (``FLAT_BACKGROUND``:
    screenshots, scans) is read again while the file's OCR time lasts: binarised
    (``binarize``) when it found no text, had a low confidence, or read far fewer
    characters than the picture has ink (faint text, dim text in dark mode); turned
    180, 90, 270 degrees when the confidence stays low (rotated text); twice the size
    when its lines are small (``SMALL_LINE_PX``).  Kept: the first reading, the best
    other one when it beats it, and the upscaled one.

    A middling or partial reading of a flat picture is read again turned level
    (``deskew``: text turned by 4 to 88 degrees), and that level picture turned 180
    degrees (text turned by 92 to 268 degrees levels upside down).  Any picture whose readings found no
    text, or only with a low confidence or far fewer characters than its ink, is read
    again (``_clean_readings``): turned level, by colour distance (``colour``: the
    picture in RGB when it has colour), by local contrast (gradient and rainbow
    backgrounds), and with a median filter, which removes dots and thin lines drawn
    over text (a busy background hides text from Tesseract's first pass), and last
    mirrored (mirrored text).  A flat picture whose best reading still has a low
    confidence, or that has dots scattered over it, is also read without the long
    lines and dots scribbled over it (``ocr_clean.without_noise``), that reading kept
    beside the best one when it beats it."""
    from PIL import Image

    from dlp_proxy.files import ocr_clean

    if not may_have_text(gray, colour):
        ctx.problem("no-text", sub)
        return
    api = engine(ctx.limits.ocr_languages)
    if api is None:
        ctx.problem("ocr-unavailable", sub)
        return
    started = ctx.budget.cpu_clock()
    first = _recognize(api, gray, ctx, sub)
    if first is None:
        return
    # a retry may take a few times the first pass (an upscaled one reads 4x the pixels)
    first_seconds = ctx.budget.cpu_clock() - started
    cap = RETRY_TIMES * max(first_seconds, 0.25)
    best, best_at, base = first, sub, gray
    if not _flat_background(gray):
        best, best_at = _clean_readings(api, gray, colour, ctx, sub, cap, best, best_at)
        return _keep(ctx, sub, first, best_at, best)

    bw = binarize(gray)
    # text written one glyph per row (stacked digits): also read joined into one line
    column = None
    if (joined := stacked_column(bw)) is not None:
        column = _recognize(api, joined, ctx, f"{sub}/column", retry=cap)
    chars = len("".join(first.text.split()))
    if first.conf < LOW_CONFIDENCE or _ink_edges(bw) > INK_PER_CHAR * max(chars, 1):
        reading = _recognize(api, bw, ctx, f"{sub}/binarized", retry=cap)
        if reading is None:
            return _keep(ctx, sub, first, best_at, best, column=column)
        if _beats(reading, best):
            best, best_at, base = reading, f"{sub}/binarized", bw
    if not best.empty and best.conf < LOW_CONFIDENCE:
        # Tesseract reads text turned 270 degrees as lines on their side, and text
        # turned 90 as upside down: 180 first
        turned_base = base
        for angle in (180, 90, 270):
            turned = turned_base.rotate(angle, expand=True)
            reading = _recognize(api, turned, ctx, f"{sub}/rotated={angle}", retry=cap)
            if reading is None:
                return _keep(ctx, sub, first, best_at, best, column=column)
            if _beats(reading, best):
                best, best_at, base = reading, f"{sub}/rotated={angle}", turned
                if best.conf >= GOOD_CONFIDENCE:
                    break
    if best.empty or best.conf < LOW_CONFIDENCE:
        before = best
        best, best_at = _clean_readings(api, gray, colour, ctx, sub, cap, best, best_at)
        if best is not before:
            base = gray
    elif best.conf < GOOD_CONFIDENCE or _ink_edges(bw) > INK_PER_CHAR * max(len("".join(best.text.split())), 1):
        # a middling or partial reading: text turned by a few degrees reads in part
        level = deskew(gray)
        # a row profile cannot tell lines turned by a from a+180: the level picture may
        # be upside down; text turned by less than deskew's least angle from upside down
        # (178-182 degrees) reads as confident garbage and is only turned
        views = ((("deskewed", level), ("deskewed/180", level.rotate(180))) if level is not None
                 else (("rotated=180", base.rotate(180)),))
        for name, view in views:
            reading = _recognize(api, view, ctx, f"{sub}/{name}", retry=cap)
            if reading is None:
                break
            if _more(reading, best):
                best, best_at, base = reading, f"{sub}/{name}", view
            if best.conf >= GOOD_CONFIDENCE and best_at != sub:
                break
        # still partial: an overlay or texture may hide the rest (ocr_clean)
        best, best_at = _clean_readings(api, gray, colour, ctx, sub, cap, best, best_at, overlays_only=True)
    # dots and lines scribbled over the text (ocr_clean.without_noise): kept beside the
    # best reading when it beats it
    noise: _Reading | None = None
    cleaned = ocr_clean.without_noise(gray, weak=best.conf < LOW_CONFIDENCE)
    if cleaned is not None:
        noise = _recognize(api, cleaned, ctx, f"{sub}/clean/noise", retry=cap)
    w, h = base.size
    upscaled: _Reading | None = None
    room = min(ctx.limits.ocr_max_seconds - ctx.budget.ocr_seconds, ctx.budget.remaining_seconds() / 2)
    if (0 < best.line_px <= SMALL_LINE_PX and 4 * w * h <= min(UPSCALE_MAX_PIXELS, ctx.limits.ocr_max_pixels)
            and 4 * first_seconds <= room):  # four times the pixels: about four times the time
        upscaled = _recognize(api, base.resize((2 * w, 2 * h), Image.Resampling.LANCZOS), ctx,
                              f"{sub}/upscaled", retry=cap)
    _keep(ctx, sub, first, best_at, best, upscaled, noise, column)


def _clean_readings(api: Any, gray: Any, colour: Any | None, ctx: Ctx, sub: str, cap: float,
                    best: _Reading, best_at: str, *, overlays_only: bool = False) -> tuple[_Reading, str]:
    """Readings of the picture made plainer, while the best one found no text or has a
    low confidence: turned level (``deskew``, when its lines are turned; and that
    turned 180 degrees), by colour
    distance (when it has colour), by local contrast (``local_contrast``: gradient and
    rainbow backgrounds), then median-filtered (the grey picture, and the colour
    distance), cleaned of overlays and textures (``ocr_clean.views``; only these when
    ``overlays_only``), mirrored (``ImageOps.mirror``, then ``flip``).  Returns the best reading
    and where."""
    from PIL import ImageFilter, ImageOps

    from dlp_proxy.files import ocr_clean

    def views() -> Any:
        if overlays_only:
            for name, view in ocr_clean.views(gray):
                yield f"clean/{name}", view
            return
        level = deskew(gray)
        if level is not None:
            yield "deskewed", level
            # lines turned by a and a+180 level alike: text turned 92-268 degrees is
            # upside down once level
            yield "deskewed/180", level.rotate(180)
        distance = colour_distance(colour) if colour is not None else None
        if distance is not None:
            yield "colour", distance
        yield "local", local_contrast(gray)
        yield "local/light", local_contrast(gray, light=True)
        yield "median", gray.filter(ImageFilter.MedianFilter(3))
        # overlays and textures: struck lines, checkerboards, dotted text (ocr_clean);
        # on a flat background only (a text-free textured photo paid three passes)
        if _flat_background(gray):
            for name, view in ocr_clean.views(gray):
                yield f"clean/{name}", view
        if distance is not None:
            yield "colour/median", distance.filter(ImageFilter.MedianFilter(3))
        # mirrored text (a person reads it at once), level or upside down
        yield "mirrored", ImageOps.mirror(gray)
        yield "mirrored/180", ImageOps.flip(gray)

    def chars(reading: _Reading) -> int:
        return len("".join(reading.text.split()))

    def weak(reading: _Reading) -> bool:
        # no text, a low confidence, or far fewer characters than the picture has ink
        return reading.empty or reading.conf < LOW_CONFIDENCE or INK_PER_CHAR * chars(reading) < ink

    ink = _ink_edges(gray)
    for name, view in views():
        if not weak(best) or (best_at != sub and best.conf >= GOOD_CONFIDENCE and not overlays_only):
            break
        reading = _recognize(api, view, ctx, f"{sub}/{name}", retry=cap)
        if reading is None:
            break
        if _more(reading, best):
            best, best_at = reading, f"{sub}/{name}"
    return best, best_at


def _more(reading: _Reading, best: _Reading) -> bool:
    """``reading`` beats ``best``: more characters at about the confidence (``best`` read
    part of the text), or a higher confidence without losing half the characters, or a
    confident reading of more than twice the characters."""
    if reading.empty:
        return False
    if best.empty:
        return True
    mine, theirs = len("".join(reading.text.split())), len("".join(best.text.split()))
    if reading.conf < LOW_CONFIDENCE:
        return reading.conf > best.conf and 2 * mine >= theirs
    return ((mine > theirs and reading.conf >= best.conf - 10) or mine > 2 * theirs
            or (reading.conf > best.conf and 2 * mine >= theirs))


#: local contrast: a pixel at least this many grey levels darker (or lighter) than the
#: mean of its neighbourhood is ink (text on a gradient or rainbow background)
LOCAL_DELTA = 24
#: deskew: text lines turned by at most this many degrees either way are looked for,
#: in steps of ``SKEW_STEP``; turned less than ``MIN_SKEW``, Tesseract reads them as they are
MAX_SKEW, SKEW_STEP, MIN_SKEW = 88, 2, 4
#: the edge map the skew is estimated on is scaled down to at most this many pixels a side
SKEW_SIDE = 480


def local_contrast(gray: Any, *, light: bool = False) -> Any:
    """Ink black on white by local contrast: a pixel further than ``LOCAL_DELTA`` from
    the mean of its neighbourhood (a box about a tenth of the picture's smaller side) is
    ink.  A background whose colour changes across the line (a gradient, a rainbow) has
    no one background level for ``binarize``; its local mean follows it.  ``light``:
    the ink is lighter than around it (white text), else darker."""
    import numpy as np
    from PIL import Image, ImageFilter

    radius = max(6, min(gray.size) // 10)
    a = np.asarray(gray, dtype=np.int16)
    mean = np.asarray(gray.filter(ImageFilter.BoxBlur(radius)), dtype=np.int16)
    ink = ((a - mean) if light else (mean - a)) > LOCAL_DELTA
    return Image.fromarray(np.where(ink, 0, 255).astype(np.uint8))


def skew_angle(gray: Any) -> int:
    """The angle (degrees, counter-clockwise as ``Image.rotate``) text lines are turned
    by, estimated by projection profile: the picture's sharp edges (``EDGE_STEP``)
    turned back by each candidate angle give the sharpest row profile (lines of text
    and the gaps between them) at the text's angle.  0 when no angle beats upright."""
    import numpy as np
    from PIL import Image

    img = gray
    scale = SKEW_SIDE / max(img.size)
    if scale < 1:
        img = img.resize((max(1, int(img.width * scale)), max(1, int(img.height * scale))))
    a = np.asarray(img, dtype=np.int16)
    if a.shape[0] < 3 or a.shape[1] < 3:
        return 0
    edges = np.zeros(a.shape, dtype=np.uint8)
    edges[:, 1:] |= (np.abs(np.diff(a, axis=1)) >= EDGE_STEP).astype(np.uint8)
    edges[1:, :] |= (np.abs(np.diff(a, axis=0)) >= EDGE_STEP).astype(np.uint8)
    if not edges.any():
        return 0
    pic = Image.fromarray(edges * 255)

    def score(angle: int) -> float:
        rows = np.asarray(pic.rotate(-angle, expand=True), dtype=np.float64).sum(axis=1)
        return float(np.sum(np.diff(rows) ** 2))

    best, best_score = 0, score(0)
    for angle in range(-MAX_SKEW, MAX_SKEW + 1, SKEW_STEP):
        if angle == 0:
            continue
        value = score(angle)
        if value > best_score * 1.05:
            best, best_score = angle, value
    return best if abs(best) >= MIN_SKEW else 0


def deskew(gray: Any) -> Any | None:
    """The picture turned so that its text lines are level, or None when they are."""
    import numpy as np

    angle = skew_angle(gray)
    if not angle:
        return None
    background = int(np.bincount(np.asarray(gray, dtype=np.uint8)[::4, ::4].ravel(), minlength=256).argmax())
    return gray.rotate(-angle, expand=True, fillcolor=background)


#: a stacked column: at least this many text rows that are one glyph wide...
MIN_STACKED = 5
#: ... a glyph wide: at most this many times the rows' median height
STACKED_WIDTH = 1.6
#: ... and pictures with more text rows than this are pages, not a column (not joined)
MAX_STACKED_ROWS = 64


def _ink_rows(ink: Any) -> list[tuple[int, int]]:
    """The text rows of a binary ink map: runs of rows holding ink, a gap of less than a
    fifth of the rows' median height (the dot of an i, a colon) closing no row."""
    import numpy as np

    on = np.concatenate(([False], ink.any(axis=1), [False]))
    edges = np.flatnonzero(on[1:] != on[:-1])
    runs = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]
    if not runs:
        return []
    heights = sorted(b - a for a, b in runs)
    close = max(2, heights[len(heights) // 2] // 5)
    rows = [runs[0]]
    for a, b in runs[1:]:
        if a - rows[-1][1] < close:
            rows[-1] = (rows[-1][0], b)
        else:
            rows.append((a, b))
    return rows


def stacked_column(bw: Any) -> Any | None:
    """A picture whose text is written one glyph per row (digits stacked under a label)
    as one line: every row's ink cut out and set side by side, centred on one baseline,
    a word's width apart after and before a row wider than a glyph (the label).
    Tesseract reads a stacked column as one line per glyph, misreading lone digits, and
    the detector needs them joined.  ``bw``: ink black on white (``binarize``).  None
    when the picture is no such column (fewer than ``MIN_STACKED`` glyph-wide rows,
    or most of its rows wider, or more than ``MAX_STACKED_ROWS`` rows)."""
    import numpy as np
    from PIL import Image

    ink = np.asarray(bw, dtype=np.uint8) < 128
    rows = _ink_rows(ink)
    if len(rows) < MIN_STACKED or len(rows) > MAX_STACKED_ROWS:
        return None
    heights = sorted(b - a for a, b in rows)
    height = heights[len(heights) // 2]
    boxes: list[tuple[int, int, int, int]] = []
    for a, b in rows:
        cols = np.flatnonzero(ink[a:b].any(axis=0))
        boxes.append((int(cols[0]), a, int(cols[-1]) + 1, b))
    narrow = sum(1 for x0, _, x1, _ in boxes if x1 - x0 <= STACKED_WIDTH * max(height, 1))
    if narrow < MIN_STACKED or 2 * narrow < len(boxes):
        return None
    tall = max(b - a for _, a, _, b in boxes)
    pad, glyph_gap = tall // 2 + 2, max(2, tall // 8)
    wide = [x1 - x0 > STACKED_WIDTH * tall for x0, _, x1, _ in boxes]
    gaps = [tall if wide[i] or wide[i + 1] else glyph_gap for i in range(len(boxes) - 1)]
    out = Image.new("L", (sum(x1 - x0 for x0, _, x1, _ in boxes) + sum(gaps) + 2 * pad, tall + 2 * pad), 255)
    x = pad
    for i, box in enumerate(boxes):
        piece = bw.crop(box)
        out.paste(piece, (x, pad + (tall - piece.size[1]) // 2))
        x += piece.size[0] + (gaps[i] if i < len(gaps) else 0)
    return out


def _beats(reading: _Reading, best: _Reading) -> bool:
    return not reading.empty and (best.empty or reading.conf > best.conf)


def _keep(ctx: Ctx, sub: str, first: _Reading, best_at: str, best: _Reading,
          upscaled: _Reading | None = None, noise: _Reading | None = None,
          column: _Reading | None = None) -> None:
    kept = [(sub, first.text)] if not first.empty else []
    if best is not first:
        kept.append((best_at, best.text))
    if noise is not None and _more(noise, best):
        kept.append((f"{sub}/clean/noise", noise.text))
    if upscaled is not None and not upscaled.empty:
        kept.append((f"{sub}/upscaled", upscaled.text))
    if column is not None and not column.empty:
        kept.append((f"{sub}/column", column.text))
    if not kept:
        ctx.problem("no-text", sub)
        return
    for where, text in kept:
        if not ctx.add(where, text):
            return


def _recognize(api: Any, image: Any, ctx: Ctx, sub: str, *, retry: float = 0.0) -> _Reading | None:
    """One Tesseract pass within the OCR time left; None when it could not run or
    finish (with a problem, unless it is a retry).  A retry (``retry``: the seconds it
    may take at most) also leaves half of the file's remaining time, so a retry that
    runs out of time never makes the whole file ``time-limit``: the first reading stands.

    The OCR time is CPU time (Tesseract runs in this process, one thread with
    OMP_THREAD_LIMIT=1).  Tesseract's own timeout counts wall time: it gets the CPU
    seconds left times the extraction's slowdown so far (wall per CPU second, at least
    2x), within the wall time left; a pass that spent more CPU than it had is
    ``ocr-limit`` however it ended."""
    budget = ctx.budget
    room = min(ctx.limits.ocr_max_seconds - budget.ocr_seconds, budget.remaining_seconds())
    if retry:
        room = min(room, retry, budget.remaining_seconds() / 2)
    wall_room = min(room * max(2.0, 1.5 * budget.slowdown()), budget.remaining_wall_seconds())
    if room <= (0.05 if retry else 0.0) or wall_room <= 0.0:
        if not retry:
            ctx.problem("ocr-limit", sub)
        return None
    started, wall_started = budget.cpu_clock(), budget.wall_clock()
    line_px = 0
    try:
        api.SetImage(image)
        ok = bool(api.Recognize(timeout=max(1, int(wall_room * 1000))))
        text = str(api.GetUTF8Text()) if ok else ""
        conf = int(api.MeanTextConf()) if ok and text.strip() else 0
        if ok and text.strip():
            line_px = _median_line_px(api)
    except Exception:
        ok, text, conf = False, "", 0
    finally:
        elapsed = budget.cpu_clock() - started
        waited = budget.wall_clock() - wall_started
        budget.ocr_seconds += elapsed
        try:
            api.Clear()
        except Exception:  # noqa: S110 - best effort: the next SetImage replaces it anyway
            pass
    budget.check_time()
    if not ok:
        # a retry that fails or runs out of time only ends the retries
        if not retry:
            over = elapsed >= room * 0.9 or waited >= wall_room * 0.9
            ctx.problem("ocr-limit" if over else "ocr-failed", sub)
        return None
    return _Reading(text, conf, line_px)


def _median_line_px(api: Any) -> int:
    import tesserocr

    level = tesserocr.RIL.TEXTLINE
    heights: list[int] = []
    iterator = api.GetIterator()
    for r in tesserocr.iterate_level(iterator, level):
        box = r.BoundingBox(level)
        if box:
            heights.append(box[3] - box[1])
        if len(heights) >= 512:
            break
    heights.sort()
    return heights[len(heights) // 2] if heights else 0


#: modes whose pixels carry no colour: read in grey only
GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def grey_and_colour(img: Any) -> tuple[Any, Any | None]:
    """The picture in grey, and in RGB when it has colour (``ocr.may_have_text`` and the
    colour-distance reading look for text that differs from its background in colour
    rather than in luminance).  A JPEG is decoded in colour for this (not straight to
    grey, ~3x the decoding time of a 12 MP photo: still small beside OCR)."""
    if img.mode in GREY_MODES:
        return img.convert("L"), None
    colour = img.convert("RGB")
    return colour.convert("L"), colour


def read_block(image: Any, ctx: Ctx) -> str | None:
    """Tesseract's reading of ``image`` as one block of lines (page segmentation mode 6:
    no layout analysis), within the file's OCR time; None when no engine could read it.
    For pictures this module draws itself (``pdf.py``'s font specimens), not uploads."""
    import tesserocr

    api = engine(ctx.limits.ocr_languages)
    if api is None:
        return None
    budget = ctx.budget
    room = min(ctx.limits.ocr_max_seconds - budget.ocr_seconds, budget.remaining_seconds())
    wall_room = min(room * max(2.0, 1.5 * budget.slowdown()), budget.remaining_wall_seconds())
    if room <= 0.0 or wall_room <= 0.0:
        return None
    started = budget.cpu_clock()
    try:
        api.SetPageSegMode(tesserocr.PSM.SINGLE_BLOCK)
        api.SetImage(image)
        ok = bool(api.Recognize(timeout=max(1, int(wall_room * 1000))))
        text = str(api.GetUTF8Text()) if ok else None
    except Exception:
        text = None
    finally:
        budget.ocr_seconds += budget.cpu_clock() - started
        try:
            api.Clear()
            api.SetPageSegMode(tesserocr.PSM.AUTO)
        except Exception:  # noqa: S110 - best effort: the engine is set up again on its next use
            pass
    budget.check_time()
    return text


def _has_alpha(img: Any) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in (img.info or {})


def frame_views(img: Any) -> list[tuple[str, Any, Any | None]]:
    """The pictures of one frame OCR reads: ``(suffix, grey, colour or None)``.

    A picture with transparency is shown on the viewer's background, white in a light
    theme and dark in a dark one: it is read composited over white, and its alpha
    channel is read as a picture of its own (opaque = ink), which shows whatever is
    drawn on the transparent parts whatever its colour (black text on a transparent
    black background, white text on a transparent white one)."""
    from PIL import Image, ImageOps

    if not _has_alpha(img):
        return [("", *grey_and_colour(img))]
    rgba = img.convert("RGBA")
    alpha = rgba.getchannel("A")
    low, high = alpha.getextrema()
    grey_only = img.mode in GREY_MODES or img.mode in ("LA", "La")
    if low == 255:
        return [("", *grey_and_colour(rgba.convert("L") if grey_only else rgba.convert("RGB")))]
    white = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
    out: list[tuple[str, Any, Any | None]] = [
        ("", *grey_and_colour(white.convert("L") if grey_only else white.convert("RGB")))]
    if high > low:
        out.append(("/alpha", ImageOps.invert(alpha), None))
    return out


def read_frame(img: Any, ctx: Ctx, where: str) -> None:
    """OCR every view (``frame_views``) of one decoded frame at ``where``: ``no-text`` only
    when no view had text."""
    budget = ctx.budget
    problems_before = len(budget.problems)
    segments_before = len(budget.segments)
    pictures = frame_views(img)
    for suffix, gray, colour in pictures:
        ocr_image(gray, ctx, where + suffix, colour)
    if max(img.size) <= GLYPH_MAX_PX and sum(
            ch.isalnum() for seg in budget.segments[segments_before:] for ch in seg.text) < GLYPH_MAX_READ:
        # little or nothing read from a small picture: one character or a short word (a
        # custom emoji), which page reading misses or misreads: read as a glyph (files/glyph.py)
        read_glyphs(pictures, ctx, where, engine(ctx.limits.ocr_languages))
    if any(code == "no-text" for code, _ in budget.problems[problems_before:]):
        budget.problems[problems_before:] = [
            (code, loc) for code, loc in budget.problems[problems_before:] if code != "no-text"]
        if len(budget.segments) == segments_before:
            ctx.problem("no-text", where)
