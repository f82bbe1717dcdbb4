"""Pictures a person reads at once that a plain OCR pass misses because of what is drawn
over or behind the text (attack pass 6, C9): a line struck through it, a grey/white
checkerboard behind it, text drawn as dots (every third pixel).  Real images rendered
with a TrueType font at two sizes; one stop goes through the real gateway."""

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
from dlp_proxy.files.ocr_clean import darkest_ink, long_runs
from dlp_proxy.policy.testing import SSN
from tests import filegen
from tests.conftest import Gateway

OVERLAYS = ("strike", "checker", "dotted")
SIZES = (26, 34)


def overlaid(text: str, px: int, overlay: str) -> bytes:
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
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlaid_identifier_is_read(detector: Engine, overlay: str, px: int) -> None:
    assert "US_SSN" in _entities(detector, overlaid(f"Client SSN {SSN}", px, overlay))


@pytest.mark.parametrize("px", SIZES)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlaid_text_without_identifier_finds_nothing(detector: Engine, overlay: str, px: int) -> None:
    data = overlaid("Client notes reviewed on Monday", px, overlay)
    ex = extract(data, filename="note.png")
    assert ex.segments, ex.problems  # the text is read (not "no-text")
    assert _entities(detector, data) == set()


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
