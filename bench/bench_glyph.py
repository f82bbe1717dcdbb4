"""Extraction time of small pictures with the glyph reading (dlp_proxy/files/glyph.py)
on and off, side by side in one run: CPU ms per picture, median of N rounds.

    PYTHONPATH=. python bench/bench_glyph.py [rounds, default 5]
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time

from PIL import Image, ImageDraw, ImageFilter, ImageFont

import dlp_proxy.files.images as images
from dlp_proxy.files.core import extract

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def photo(size: int) -> bytes:
    rnd = random.Random(size)
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    for _ in range(60):
        x, y, r = rnd.randrange(size), rnd.randrange(size), rnd.randrange(size // 8, size // 2)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    out = io.BytesIO()
    img.filter(ImageFilter.GaussianBlur(size / 64)).save(out, "JPEG", quality=85)
    return out.getvalue()


def icon(text: str, size: int = 128) -> bytes:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((8, 8, size - 8, size - 8), 20, fill=(40, 120, 200, 255))
    draw.text((size // 2, size // 2), text, fill="white", font=ImageFont.truetype(FONT, size // 2), anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    cases = {"photo 256px": (photo(256), "x.jpg"), "photo 1024px": (photo(1024), "x.jpg"),
             "icon 128px, a letter": (icon("Q"), "x.png"), "icon 128px, blank": (icon(""), "x.png")}
    extract(icon("x"), filename="w.png")  # the engine is built once per worker
    on = images.GLYPH_MAX_PX
    print("case | glyph off (CPU ms, median) | glyph on | ratio")
    for name, (data, filename) in cases.items():
        times: dict[int, list[float]] = {0: [], on: []}
        for _ in range(rounds):
            for flag in (0, on):  # side by side, alternating
                images.GLYPH_MAX_PX = flag
                started = time.process_time()
                extract(data, filename=filename)
                times[flag].append(time.process_time() - started)
        images.GLYPH_MAX_PX = on
        off_ms, on_ms = statistics.median(times[0]) * 1000, statistics.median(times[on]) * 1000
        print(f"{name} | {off_ms:.0f} | {on_ms:.0f} | {on_ms / max(off_ms, 0.001):.2f}x")


if __name__ == "__main__":
    main()
