"""Text a person reads at once but greyscale OCR does not (attack pass 3, F7): text whose
colour differs from its background's while their luminance is close (red on green, blue
on black), and text under dots or thin lines.  Real images rendered with a TrueType font;
one stop goes through the real gateway."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.policy.testing import SSN
from tests import filegen
from tests.conftest import Gateway

TEXT = f"client SSN {SSN}"


def _luma(c: tuple[int, int, int]) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]  # PIL's convert("L") (ITU-R 601)


def render(fg: tuple[int, int, int], bg: tuple[int, int, int], *, dots: int = 0, lines: int = 0,
           text: str = TEXT, px: int = 28, seed: int = 1) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (40 + px * len(text) * 6 // 10, px * 3), bg)
    draw = ImageDraw.Draw(img)
    draw.text((20, px), text, font=ImageFont.truetype(filegen.FONT, px), fill=fg)
    rng = np.random.default_rng(seed)
    for x, y in zip(rng.integers(0, img.width, dots), rng.integers(0, img.height, dots), strict=True):
        draw.point((int(x), int(y)), fill=fg)
    if lines:
        for y in range(0, img.height, lines):
            draw.line((0, y, img.width, y), fill=fg)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _entities(detector: Engine, data: bytes) -> set[str]:
    ex = extract(data, filename="shot.png")
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


CASES = {
    "red-on-green": {"fg": (220, 0, 0), "bg": (0, 160, 0)},
    "isoluminant": {"fg": (200, 0, 0), "bg": (0, 102, 0)},  # one grey level apart
    "blue-on-black": {"fg": (0, 0, 255), "bg": (0, 0, 0)},
    "dots": {"fg": (0, 0, 0), "bg": (255, 255, 255), "dots": 3000},
    "lines-every-3px": {"fg": (0, 0, 0), "bg": (255, 255, 255), "lines": 3},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_a_person_reads_is_read(detector: Engine, case: str) -> None:
    assert "US_SSN" in _entities(detector, render(**CASES[case]))  # type: ignore[arg-type]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hue=st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
       other=st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
def test_any_two_colours_far_apart_are_read_whatever_their_luminance(
        detector: Engine, hue: tuple[int, int, int], other: tuple[int, int, int]) -> None:
    """For any text and background colours a person tells apart (a channel differs by at
    least 128 levels), the text is read, luminance close or not."""
    if max(abs(a - b) for a, b in zip(hue, other, strict=True)) < 128:
        return
    assert "US_SSN" in _entities(detector, render(hue, other)), (hue, other, _luma(hue), _luma(other))


def test_a_clean_coloured_picture_reads_clean(detector: Engine) -> None:
    data = render((220, 0, 0), (0, 160, 0), text="quarterly notes are in the shared drive")
    ex = extract(data, filename="shot.png")
    assert ex.complete, ex.problems
    assert _entities(detector, data) == set()


def test_red_on_green_screenshot_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    gateway.sim.clear()
    resp = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                      data={"channel_id": gateway.sim.channel("town_square")},
                      files={"files": ("shot.png", render(**CASES["isoluminant"]))}, timeout=120)  # type: ignore[arg-type]
    assert resp.status_code == 403, resp.text
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]
