"""Screenshots that a single OCR pass misreads (FINDINGS item 9): text turned 90, 180
or 270 degrees, light grey text on white, dim text in dark mode, 9 px text.  Real
images rendered with a TrueType font; the stops go through the real gateway."""

from __future__ import annotations

import io

import httpx
import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import Limits, extract
from dlp_proxy.files.ocr import binarize
from dlp_proxy.policy.testing import CARD, SSN
from tests import filegen
from tests.conftest import Gateway

LINES = filegen.screenshot_lines(ssn=SSN)

HARD: dict[str, dict[str, object]] = {
    "rotated-90": {"px": 14, "rotate": 90},
    "rotated-180": {"px": 14, "rotate": 180},
    "rotated-270": {"px": 14, "rotate": 270},
    "grey-200": {"px": 12, "fg": (200, 200, 200)},
    "grey-225": {"px": 14, "fg": (225, 225, 225)},
    "dark-dim": {"px": 12, "dark": True, "fg": (90, 90, 90)},
    "9px": {"px": 9},
    "9px-grey": {"px": 9, "fg": (200, 200, 200)},
    "rotated-grey": {"px": 12, "rotate": 90, "fg": (200, 200, 200)},
}


def _shot(lines: list[str], spec: dict[str, object]) -> bytes:
    kw = dict(spec)
    px = int(kw.pop("px"))  # type: ignore[call-overload]
    return filegen.screenshot(lines, px, **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _entities(detector: Engine, data: bytes, limits: Limits | None = None) -> set[str]:
    ex = extract(data, filename="shot.png", limits=limits)
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


@pytest.mark.parametrize("case", sorted(HARD))
def test_hard_screenshot_is_read(detector: Engine, case: str) -> None:
    assert "US_SSN" in _entities(detector, _shot(LINES, HARD[case]))


@pytest.mark.parametrize("case", ["grey-200", "rotated-90"])
def test_hard_screenshot_without_identifier_finds_nothing(detector: Engine, case: str) -> None:
    data = _shot(filegen.screenshot_lines(), HARD[case])
    ex = extract(data, filename="shot.png")
    assert ex.complete, ex.problems  # read (not "no-text"), and clean
    assert _entities(detector, data) == set()


def test_clear_screenshot_is_read_once(detector: Engine) -> None:
    """A screenshot read well the first time costs one pass: no retry segment."""
    ex = extract(filegen.screenshot(LINES, 14), filename="shot.png")
    assert [s.location for s in ex.segments] == ["ocr"]


def test_upscaling_stays_within_the_pixel_limit() -> None:
    from PIL import Image

    data = filegen.screenshot(filegen.screenshot_lines(card=CARD), 9)
    w, h = Image.open(io.BytesIO(data)).size
    read = extract(data, filename="shot.png")
    assert "ocr/upscaled" in [s.location for s in read.segments]
    capped = extract(data, filename="shot.png", limits=Limits(ocr_max_pixels=2 * w * h))
    assert "ocr/upscaled" not in [s.location for s in capped.segments]
    assert capped.complete


def test_binarize_makes_faint_and_dark_mode_ink_black_on_white() -> None:
    import numpy as np
    from PIL import Image

    for bg, ink in ((255, 225), (32, 90)):
        a = np.full((20, 20), bg, dtype=np.uint8)
        a[5:8, 5:15] = ink
        out = np.asarray(binarize(Image.fromarray(a)))
        assert out[6, 10] == 0 and out[0, 0] == 255


def _upload(gw: Gateway, data: bytes, name: str) -> httpx.Response:
    gw.sim.clear()
    return httpx.post(f"{gw.url}/api/v4/files", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                      data={"channel_id": gw.sim.channel("town_square")}, files={"files": (name, data)}, timeout=120)


@pytest.mark.parametrize("case", ["rotated-90", "grey-225", "9px"])
def test_hard_screenshot_is_stopped_by_the_gateway(gateway: Gateway, case: str) -> None:
    r = _upload(gateway, _shot(LINES, HARD[case]), "Screenshot 2026-12-04 at 09.12.png")
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]


def test_clean_faint_screenshot_is_forwarded(gateway: Gateway) -> None:
    r = _upload(gateway, _shot(filegen.screenshot_lines(), HARD["grey-225"]), "Screenshot 2026-12-04 at 09.13.png")
    assert r.status_code == 201, r.text


class _FakeEngine:
    """A Tesseract stand-in that reads a poor first line (confidence 30) and records the
    time each pass was given."""

    def __init__(self) -> None:
        self.timeouts: list[int] = []

    def SetImage(self, image: object) -> None:  # noqa: N802 - tesserocr's names
        pass

    def Recognize(self, timeout: int = 0) -> bool:  # noqa: N802
        self.timeouts.append(timeout)
        return True

    def GetUTF8Text(self) -> str:  # noqa: N802
        return "ab3 x9 qq" if len(self.timeouts) == 1 else "ab3 x9"

    def MeanTextConf(self) -> int:  # noqa: N802
        return 30

    def Clear(self) -> None:  # noqa: N802
        pass


def test_retries_leave_the_first_reading_standing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries get a bounded share of the time (a few times the first pass, at most half
    of the file's time left), so a slow retry can never turn a read screenshot into a
    time-limit; a retry that reads no better is not kept."""
    from dlp_proxy.files import ocr

    fake = _FakeEngine()
    monkeypatch.setattr(ocr, "engine", lambda languages="eng": fake)
    monkeypatch.setattr(ocr, "_median_line_px", lambda api: 14)
    # the host as fast as the worker's CPU clock: Tesseract's wall timeout is twice the CPU time left
    from dlp_proxy.files.limits import Budget

    monkeypatch.setattr(Budget, "slowdown", lambda self: 1.0)
    limits = Limits(max_seconds=20, ocr_max_seconds=45)
    ex = extract(_shot(filegen.screenshot_lines(), {"px": 14}), filename="shot.png", limits=limits)
    assert ex.complete and [s.location for s in ex.segments] == ["ocr"]
    first, *retries = fake.timeouts
    assert 2 * 19_000 <= first <= 2 * 20_000
    # binarised, turned 180, 90, 270, then by colour distance, by local contrast (dark
    # and light ink), median-filtered, cleaned (ocr_clean: darkest ink, lines removed,
    # closed), the colour distance median-filtered, then mirrored and mirrored upside
    # down (the screenshot has colour; its lines are level: no deskewed reading), then
    # without its long lines and dots (ocr_clean.without_noise: the reading stays weak);
    # none better
    assert len(retries) == 15
    assert all(t <= 2 * (ocr.RETRY_TIMES * 0.25 * 1000 + 50) for t in retries), retries


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _TimedEngine(_FakeEngine):
    """Each pass spends ``cpu`` seconds of the worker's CPU while ``wall`` seconds go by."""

    def __init__(self, cpu_clock: _Clock, wall_clock: _Clock, cpu: float, wall: float, ok: bool = True) -> None:
        super().__init__()
        self.cpu_clock, self.wall_clock, self.cpu, self.wall, self.ok = cpu_clock, wall_clock, cpu, wall, ok

    def Recognize(self, timeout: int = 0) -> bool:  # noqa: N802
        super().Recognize(timeout)
        self.cpu_clock.now += self.cpu
        self.wall_clock.now += self.wall
        return self.ok


def test_ocr_time_is_the_workers_cpu_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass that takes 40 s of wall time on a loaded host for 4 s of CPU is within a
    10 s OCR budget; Tesseract's (wall) timeout stretches with the host's slowdown."""
    from dlp_proxy.files import ocr
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget

    monkeypatch.setattr(ocr, "_median_line_px", lambda api: 14)
    cpu, wall = _Clock(), _Clock()
    budget = Budget(Limits(max_seconds=60, max_wall_seconds=110, ocr_max_seconds=10), cpu_clock=cpu, wall_clock=wall)
    cpu.now, wall.now = 2.0, 10.0  # the file so far: 2 s of CPU in 10 s
    api = _TimedEngine(cpu, wall, cpu=4.0, wall=40.0)
    reading = ocr._recognize(api, object(), Ctx(budget), "ocr")
    assert reading is not None and reading.text == "ab3 x9 qq"
    assert budget.ocr_seconds == 4.0 and not budget.problems
    assert api.timeouts == [int(10 * 1.5 * 5.0 * 1000)]  # 10 s of CPU left, 5x slower than the CPU clock
    # the next pass has 6 s of CPU left and a wall timeout within the 60 s of wall time left
    ocr._recognize(api, object(), Ctx(budget), "ocr2")
    assert api.timeouts[1] == int(min(6 * 1.5 * 50 / 6, 60) * 1000)


def test_ocr_pass_over_its_cpu_time_is_an_ocr_limit() -> None:
    from dlp_proxy.files import ocr
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget

    cpu, wall = _Clock(), _Clock()
    budget = Budget(Limits(max_seconds=60, ocr_max_seconds=10), cpu_clock=cpu, wall_clock=wall)
    api = _TimedEngine(cpu, wall, cpu=10.0, wall=10.0, ok=False)  # Tesseract stopped at its timeout
    assert ocr._recognize(api, object(), Ctx(budget), "ocr") is None
    assert budget.problems == [("ocr-limit", "ocr")]
    # nothing left: the next image is not read at all
    second = _TimedEngine(cpu, wall, cpu=1, wall=1)
    assert ocr._recognize(second, object(), Ctx(budget), "page=2") is None
    assert ("ocr-limit", "page=2") in budget.problems and second.timeouts == []


def test_ocr_pass_that_fails_early_is_ocr_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    from dlp_proxy.files import ocr
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget

    cpu, wall = _Clock(), _Clock()
    budget = Budget(Limits(max_seconds=60, ocr_max_seconds=10), cpu_clock=cpu, wall_clock=wall)
    assert ocr._recognize(_TimedEngine(cpu, wall, cpu=1.0, wall=1.0, ok=False), object(), Ctx(budget), "ocr") is None
    assert budget.problems == [("ocr-failed", "ocr")]


class _GlyphEngine(_TimedEngine):
    def __init__(self, cpu_clock: _Clock, wall_clock: _Clock, cpu: float, wall: float, ok: bool = True) -> None:
        super().__init__(cpu_clock, wall_clock, cpu, wall, ok)
        self.modes: list[object] = []

    def SetPageSegMode(self, mode: object) -> None:  # noqa: N802
        self.modes.append(mode)

    def GetUTF8Text(self) -> str:  # noqa: N802
        return "5"


def test_glyph_reading_has_the_page_ocrs_time_limit() -> None:
    """Each glyph reading is a Recognize with Tesseract's timeout, as a page's is (the
    OCR CPU seconds left stretched by the host's slowdown); one stopped at its timeout
    ends the glyph readings (GetUTF8Text alone recognized with no time limit)."""
    from PIL import Image, ImageDraw

    from dlp_proxy.files import glyph
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget

    gray = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(gray).rectangle((20, 10, 40, 50), fill=0)
    views = [("", gray, None), ("/alpha", gray, None)]
    cpu, wall = _Clock(), _Clock()
    budget = Budget(Limits(max_seconds=60, max_wall_seconds=110, ocr_max_seconds=10), cpu_clock=cpu, wall_clock=wall)
    cpu.now, wall.now = 2.0, 10.0  # the file so far: 2 s of CPU in 10 s
    api = _GlyphEngine(cpu, wall, cpu=1.0, wall=5.0)
    assert glyph.read_glyphs(views, Ctx(budget), "img", api)
    assert api.timeouts[0] == int(10 * 1.5 * 5.0 * 1000)  # 10 s of OCR CPU left, 5x slower than the CPU clock
    assert len(api.timeouts) == 4 and api.timeouts[1] < api.timeouts[0]
    assert budget.ocr_seconds == 4.0

    cpu, wall = _Clock(), _Clock()
    budget = Budget(Limits(max_seconds=60, ocr_max_seconds=10), cpu_clock=cpu, wall_clock=wall)
    api = _GlyphEngine(cpu, wall, cpu=10.0, wall=10.0, ok=False)  # Tesseract stopped at its timeout
    assert not glyph.read_glyphs(views, Ctx(budget), "img", api)
    assert len(api.timeouts) == 1 and budget.ocr_seconds == 10.0
