"""Small pictures of one glyph or a short word: custom emoji, icons, stickers.

Tesseract's page reading (``ocr.ocr_image``) finds no text in a picture of a single
character (a 64 x 64 ``5`` reads as nothing: no lines to lay out, too few strokes for
``may_have_text``).  A custom emoji is such a picture, and the web app shows it inline
at text size, so ten emoji drawn as the ten digits write any number with shortcodes
alone (attack pass 8, F4).  So a frame whose views gave no text or a few characters (``GLYPH_MAX_READ``), no larger
than Mattermost keeps an emoji's original (``MaxEmojiOriginalWidth`` x ``Height``,
1028 px: server/channels/app/emoji.go), is read once more as a glyph: each view
(``ocr.frame_views``: over white, and the alpha channel as ink) contrast-stretched, turned
dark-on-light, scaled to ``GLYPH_HEIGHT`` px with a white margin, and read by Tesseract
as one character (page segmentation mode 10) and as one word (8).  What either reads with
a letter or digit in it is a segment ``<where>/glyph``.  It costs a few tens of ms of the
file's OCR time, within the same budget (``Limits.ocr_max_seconds``), each reading bounded
as a page's is (``ocr._recognize``: Tesseract's timeout)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlp_proxy.files.context import Ctx

#: server/channels/app/emoji.go MaxEmojiOriginalWidth / MaxEmojiOriginalHeight
GLYPH_MAX_PX = 1028
#: a page reading of fewer letters and digits than this is read again as a glyph (a
#: misread glyph comes out as a few odd characters: red ``3`` on yellow as ``(uy)``)
GLYPH_MAX_READ = 8
#: the height a glyph is read at (Tesseract reads 30-100 px glyphs best)
GLYPH_HEIGHT = 96
#: the white margin around it
GLYPH_MARGIN = 24


def _prepared(gray: Any) -> Any | None:
    from PIL import Image, ImageOps, ImageStat

    low, high = gray.getextrema()
    if high - low < 32:
        return None  # flat: nothing drawn
    gray = ImageOps.autocontrast(gray)
    if ImageStat.Stat(gray).mean[0] < 128:
        gray = ImageOps.invert(gray)  # light ink on a dark ground
    width = max(1, round(gray.width * GLYPH_HEIGHT / max(gray.height, 1)))
    gray = gray.resize((min(width, 4 * GLYPH_HEIGHT), GLYPH_HEIGHT), Image.Resampling.LANCZOS)
    return ImageOps.expand(gray, border=GLYPH_MARGIN, fill=255)


def read_glyphs(views: list[tuple[str, Any, Any | None]], ctx: Ctx, where: str, api: Any) -> bool:
    """Read each view as one glyph and one word with ``api`` (the caller's Tesseract
    engine, ``ocr.engine``: this module imports no other reader); True when a reading
    was kept."""
    import tesserocr

    if api is None:
        return False
    budget = ctx.budget
    found: list[str] = []
    started = budget.cpu_clock()
    stopped = False
    try:
        for _suffix, gray, _colour in views:
            if stopped:
                break
            if gray.width > GLYPH_MAX_PX or gray.height > GLYPH_MAX_PX:
                continue
            picture = _prepared(gray)
            if picture is None:
                continue
            for mode in (tesserocr.PSM.SINGLE_CHAR, tesserocr.PSM.SINGLE_WORD):
                # the page OCR's bound (ocr._recognize): the OCR CPU seconds left, and
                # Tesseract's own (wall) timeout stretched by the host's slowdown
                room = min(ctx.limits.ocr_max_seconds - budget.ocr_seconds - (budget.cpu_clock() - started),
                           budget.remaining_seconds())
                wall_room = min(room * max(2.0, 1.5 * budget.slowdown()), budget.remaining_wall_seconds())
                if room <= 0.0 or wall_room <= 0.0:
                    stopped = True
                    break
                api.SetPageSegMode(mode)
                api.SetImage(picture)
                if not api.Recognize(timeout=max(1, int(wall_room * 1000))):
                    stopped = True  # stopped at its timeout (or failed): no more glyphs
                    break
                text = " ".join(str(api.GetUTF8Text() or "").split())
                if any(c.isalnum() for c in text) and text not in found:
                    found.append(text)
    except Exception:  # noqa: S110 - a failed glyph reading leaves the page reading's outcome
        pass
    finally:
        budget.ocr_seconds += budget.cpu_clock() - started
        try:
            api.Clear()
            api.SetPageSegMode(tesserocr.PSM.AUTO)
        except Exception:  # noqa: S110 - best effort: the engine is set up again on its next use
            pass
    budget.check_time()
    if found:
        ctx.add(where + "/glyph", "\n".join(found))
    return bool(found)
