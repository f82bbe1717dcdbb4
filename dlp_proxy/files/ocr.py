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
import time
from glob import glob
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: a horizontal step of at least this many grey levels between neighbouring pixels is a
#: "sharp" edge: glyph strokes of 12 px text on any usual background give dozens per
#: line; noise, gradients and blur give none (measured: docs/files.md)
EDGE_STEP = 48
#: fewer sharp edges than this (on every second row) and the image is taken as text-free;
#: one 11-character identifier at 12 px gives ~150
MIN_EDGES = 24

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


def may_have_text(gray: Any) -> bool:
    """Cheap check (a few ms for 12 MP): are there sharp strokes such as glyphs make?"""
    import numpy as np

    rows = np.asarray(gray, dtype=np.int16)[::2]
    if rows.shape[1] < 2:
        return False
    edges = int(np.count_nonzero(np.abs(np.diff(rows, axis=1)) >= EDGE_STEP))
    return edges >= MIN_EDGES


def ocr_image(gray: Any, ctx: Ctx, sub: str) -> None:
    """OCR a decoded greyscale image within this file's OCR time budget."""
    budget = ctx.budget
    if not may_have_text(gray):
        ctx.problem("no-text", sub)
        return
    api = engine(ctx.limits.ocr_languages)
    if api is None:
        ctx.problem("ocr-unavailable", sub)
        return
    room = min(ctx.limits.ocr_max_seconds - budget.ocr_seconds, budget.remaining_seconds())
    if room <= 0:
        ctx.problem("ocr-limit", sub)
        return
    started = time.monotonic()
    try:
        api.SetImage(gray)
        ok = bool(api.Recognize(timeout=max(1, int(room * 1000))))
        text = str(api.GetUTF8Text()) if ok else ""
    except Exception:
        ok, text = False, ""
    finally:
        elapsed = time.monotonic() - started
        budget.ocr_seconds += elapsed
        try:
            api.Clear()
        except Exception:  # noqa: S110 - best effort: the next SetImage replaces it anyway
            pass
    budget.check_time()
    if not ok:
        ctx.problem("ocr-limit" if elapsed >= room * 0.9 else "ocr-failed", sub)
        return
    if not text.strip():
        ctx.problem("no-text", sub)
        return
    ctx.add(sub, text)
