"""Pictures a person reads at once that a plain OCR pass misses because of what is drawn
over or behind the text (attack pass 6, C9): a line struck through it, a grey/white
checkerboard behind it, text drawn as dots (every third pixel), random dots and lines
scribbled over it (``noise``, as on a captcha).  Real images rendered with a TrueType
font at two sizes; one stop goes through the real gateway."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.ocr_clean import ANGLE_STEP, darkest_ink, line_angles, long_runs, speckled
from dlp_proxy.policy.testing import SSN
from tests import filegen
from tests.conftest import Gateway

OVERLAYS = ("strike", "checker", "dotted", "noise")
SIZES = (26, 34)


def scribble(img: object, seed: int, lines: int = 12) -> None:
    """Random dots and ``lines`` random black lines drawn over ``img`` (a Pillow image):
    12 lines 1-2 px wide and dots 1 and 3 px wide over 3 % of the picture, or (more
    than 12 lines) thin ones: 1 px lines and 1 px dots (the attack file noise.png had
    40 thin lines at several angles)."""
    from PIL import ImageDraw

    rng = np.random.default_rng(seed)
    draw = ImageDraw.Draw(img)  # type: ignore[arg-type]
    w, h = img.size  # type: ignore[attr-defined]
    thin = lines > 12
    for _ in range(int(0.03 * w * h / 4)):
        x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(0, 1 if thin else 2))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
    for _ in range(lines):
        x0, x1 = (int(v) for v in rng.integers(0, w, 2))
        y0, y1 = (int(v) for v in rng.integers(0, h, 2))
        draw.line((x0, y0, x1, y1), fill=0, width=int(rng.integers(1, 2 if thin else 3)))


def overlaid(text: str, px: int, overlay: str, seed: int = 0, lines: int = 12) -> bytes:
    """``text`` black on white in DejaVuSans ``px`` px, with ``overlay`` drawn on it."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(filegen.FONT, px)
    w, h = 40 + int(font.getlength(text)), px * 3
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    if overlay == "checker":
        for y in range(0, h, 8):
            for x in range(0, w, 8):
                if (x // 8 + y // 8) % 2:
                    draw.rectangle((x, y, x + 7, y + 7), fill=120)
    draw.text((10, px), text, font=font, fill=0)
    if overlay == "strike":
        top, bottom = draw.textbbox((10, px), text, font=font)[1::2]
        mid = (top + bottom) // 2
        draw.rectangle((0, mid - 1, w - 10, mid + 1), fill=0)
    if overlay == "noise":
        scribble(img, seed, lines)
    a = np.asarray(img).copy()
    if overlay == "dotted":
        yy, xx = np.indices(a.shape)
        a[(xx + yy) % 3 != 0] = 255
    out = io.BytesIO()
    Image.fromarray(a).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _entities(detector: Engine, data: bytes) -> set[str]:
    ex = extract(data, filename="note.png")
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


@pytest.mark.parametrize("px", SIZES)
@pytest.mark.parametrize("overlay", [o for o in OVERLAYS if o != "noise"])
def test_overlaid_identifier_is_read(detector: Engine, overlay: str, px: int) -> None:
    assert "US_SSN" in _entities(detector, overlaid(f"Client SSN {SSN}", px, overlay))


@pytest.mark.parametrize("px", SIZES)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlaid_text_without_identifier_finds_nothing(detector: Engine, overlay: str, px: int) -> None:
    data = overlaid("Client notes reviewed on Monday", px, overlay)
    ex = extract(data, filename="note.png")
    assert ex.segments, ex.problems  # the text is read (not "no-text")
    assert _entities(detector, data) == set()


#: of 16 pictures (seeds 0-7 at 26 and 34 px), an SSN under random dots and lines is
#: found in at least: measured 14 (12 lines) and 5 (40 thin lines); 11 and 1 before
#: ``ocr_clean.without_noise``.  At 20 px, where strokes are as thin as the lines: 3 of 8
#: (12 lines; none before).  A person reads all of them.
NOISE_FOUND = {12: 13, 40: 4}


@pytest.mark.parametrize("lines", sorted(NOISE_FOUND))
def test_identifier_under_random_dots_and_lines_is_read(detector: Engine, lines: int) -> None:
    found = [(px, seed) for px in SIZES for seed in range(8)
             if "US_SSN" in _entities(detector, overlaid(f"Client SSN {SSN}", px, "noise", seed, lines))]
    assert len(found) >= NOISE_FOUND[lines], found


@pytest.mark.parametrize("lines", sorted(NOISE_FOUND))
def test_random_dots_and_lines_over_text_without_identifier_find_nothing(detector: Engine, lines: int) -> None:
    for px in SIZES:
        for seed in range(4):
            assert _entities(detector, overlaid("Client notes reviewed on Monday", px, "noise", seed, lines)) == set()


def test_random_dots_and_lines_over_screenshots_only_are_speckled() -> None:
    from PIL import Image

    for px in (9, 12, 16, 26):
        shot = Image.open(io.BytesIO(filegen.screenshot(filegen.screenshot_lines(ssn=SSN) * 4, px)))
        assert not speckled(darkest_ink(shot.convert("L"))), px
        scribble(shot, px)
        assert speckled(darkest_ink(shot.convert("L"))), px


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 179), st.integers(1, 3))
def test_line_angles_finds_a_line_drawn_at_any_angle(angle: int, width: int) -> None:
    from math import cos, radians, sin

    from PIL import Image, ImageDraw

    img = Image.new("L", (240, 240), 255)
    dx, dy = 100 * cos(radians(angle)), 100 * sin(radians(angle))  # rows grow downwards
    ImageDraw.Draw(img).line((120 - dx, 120 - dy, 120 + dx, 120 + dy), fill=0, width=width)
    found = line_angles(darkest_ink(img), 120)[0]
    assert min(abs(found - angle), 180 - abs(found - angle)) <= ANGLE_STEP


def test_overlaid_identifier_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    gateway.sim.clear()
    r = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                   data={"channel_id": gateway.sim.channel("town_square")},
                   files={"files": ("note.png", overlaid(f"Client SSN {SSN}", 28, "strike"))}, timeout=120)
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]


@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 40))), st.integers(1, 12), st.integers(0, 1))
def test_long_runs_is_an_opening_with_a_line(ink: np.ndarray, length: int, axis: int) -> None:
    out = long_runs(ink, length, axis)
    m, o = (ink, out) if axis == 1 else (ink.T, out.T)
    for row, got in zip(m, o, strict=True):
        want = np.zeros_like(row)
        start = None
        for i, v in enumerate([*row.tolist(), False]):
            if v and start is None:
                start = i
            elif not v and start is not None:
                if i - start >= length:
                    want[start:i] = True
                start = None
        assert got.tolist() == want.tolist()


def test_darkest_ink_drops_a_lighter_checkerboard() -> None:
    a = np.full((32, 32), 255, dtype=np.uint8)
    a[(np.indices(a.shape) // 8).sum(axis=0) % 2 == 1] = 120
    a[10:14, 4:28] = 0
    from PIL import Image

    ink = darkest_ink(Image.fromarray(a))
    assert ink[10:14, 4:28].all() and ink.sum() == 4 * 24
