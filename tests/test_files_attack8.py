"""Attack pass 8 image and file findings (F6, F14, F15, F21, F23): pictures a reader reads
an identifier in that the extractor did not.  Real files made here (SVG written out,
pictures drawn with a TrueType font, GIF/TIFF by Pillow, XLSX by openpyxl), read through
the extractor and judged by the real detector; each class also through the real gateway.

- F6: an SVG whose digits are drawn as paths, or whose ``<text>`` pieces are placed by
  transforms in another order than the source's: the SVG is drawn (``rsvg-convert``) and
  the drawing OCR'd (``svg/rendered``); translations move the displayed reading's pieces.
- F21: text blurred (Gaussian, sigma 2.2-2.6: still legible) was taken as text-free by
  the cheap pre-check; digits stacked one per row are read joined (``ocr/column``).
- F23: an identifier split across two frames of an animated GIF (or two TIFF pages) is
  read joined (``ocr/frames``, ``ocr/pages``).
- F15: an XLSX number format with ``%`` (``000-00-0000%%`` shows 53622.871 as
  ``536-22-8710%%``).
- F14: the client-metrics routes take names, versions and ids only.
"""

from __future__ import annotations

import http.server
import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import Limits, extract
from dlp_proxy.files import svg as svgmod
from dlp_proxy.files.cells import format_number
from dlp_proxy.gateway.extract import no_content_shape_error
from tests.conftest import Gateway
from tests.filegen import FONT, photo_like
from tests.test_files_attack6 import _found, _where
from tests.test_files_attack7 import _xlsx_number

SSN = "536-22-8710"


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _png(img: object) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")  # type: ignore[attr-defined]
    return out.getvalue()


def _line(text: str, size: int = 40, width: int = 700) -> object:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (width, size + 50), "white")
    ImageDraw.Draw(img).text((15, 20), text, fill="black", font=ImageFont.truetype(FONT, size))
    return img


# -- F6: SVG drawn ------------------------------------------------------------------------------

#: a hand-drawn stroke font: each digit a path or ellipses in a 10 x 20 box
_GLYPHS = {
    "0": '<ellipse cx="5" cy="10" rx="5" ry="10"/>', "1": '<path d="M5,0 V20 M2,3 L5,0"/>',
    "2": '<path d="M0,4 Q5,-3 10,4 L0,20 H10"/>',
    "3": '<path d="M0,0 H10 L4,9 Q10,9 10,14 Q10,20 5,20 Q1,20 0,17"/>',
    "4": '<path d="M7,20 V0 L0,13 H10"/>', "5": '<path d="M10,0 H1 L0,9 Q10,7 10,14 Q10,20 5,20 Q1,20 0,17"/>',
    "6": '<path d="M9,0 Q0,4 0,14 Q0,20 5,20 Q10,20 10,14 Q10,9 5,9 Q0,9 0,14"/>',
    "7": '<path d="M0,0 H10 L3,20"/>',
    "8": '<ellipse cx="5" cy="5" rx="4" ry="5"/><ellipse cx="5" cy="15" rx="5" ry="5"/>',
    "9": '<path d="M10,6 Q10,0 5,0 Q0,0 0,6 Q0,11 5,11 Q10,11 10,6 V12 Q10,20 2,20"/>', "-": '<path d="M2,10 H8"/>'}


def svg_paths(digits: str = SSN, label: str = "client SSN") -> bytes:
    """``label`` as text, the digits drawn as stroked paths (no text holds them)."""
    strokes = "".join(f'<g transform="translate({10 + 16 * i},10)">{_GLYPHS[c]}</g>' for i, c in enumerate(digits))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="260" height="60" fill="none" stroke="black" '
            f'stroke-width="2"><text x="10" y="50" font-size="12" fill="black" stroke="none">{label}</text>'
            f"{strokes}</svg>").encode()


def test_svg_is_drawn_without_a_font_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no fontconfig cache to read (none built yet, or fonts installed after it was),
    fontconfig writes one; the renderer may write no file, and the refused write killed
    it (SIGXFSZ): every SVG upload was held as ``ocr-limit`` on such a machine."""
    cache = tmp_path / "cache"
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f"<dir>/usr/share/fonts</dir><cachedir>{cache}</cachedir></fontconfig>")
    monkeypatch.setattr(svgmod, "RENDER_ENV", {**svgmod.RENDER_ENV, "FONTCONFIG_FILE": str(conf)})
    for _ in range(2):  # the renderer writes no cache: the second render has none either
        ex = extract(svg_paths(), filename="statement.svg")
        assert ex.complete, ex.problems
        assert any(s.location == "svg/rendered" and SSN in s.text for s in ex.segments)


def svg_transform(parts: tuple[str, str, str] = ("SSN 536-", "22-", "8710")) -> bytes:
    """Three ``<text>`` pieces placed by ``translate``, written last piece first."""
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40"><g font-size="20" fill="black">'
            f'<text transform="translate(130,30)">{parts[2]}</text>'
            f'<text transform="translate(10,30)">{parts[0]}</text>'
            f'<text transform="translate(100,30)">{parts[1]}</text></g></svg>').encode()


def test_svg_digits_drawn_as_paths_are_read_from_the_drawing(detector: Engine) -> None:
    data = svg_paths()
    ex = extract(data, filename="statement.svg")
    rendered = [s.text for s in ex.segments if s.location.startswith("svg/rendered")]
    assert rendered and any(SSN in t for t in rendered), _where(data, "statement.svg")
    assert "US_SSN" in _found(detector, data, "statement.svg")
    assert ex.complete, ex.problems


def test_svg_text_placed_by_transforms_is_read_in_drawn_order(detector: Engine) -> None:
    data = svg_transform()
    ex = extract(data, filename="statement.svg")
    displayed = {s.location: s.text for s in ex.segments}.get("svg/displayed")
    assert displayed == f"SSN {SSN}", _where(data, "statement.svg")
    assert "US_SSN" in _found(detector, data, "statement.svg")


@pytest.mark.parametrize(("transform", "shown"), [
    ("translate(5)", (5.0, 0.0)), ("translate(5 7) translate(-1,-1)", (4.0, 6.0)),
    ("matrix(1 0 0 1 30 40)", (30.0, 40.0)), ("scale(2)", (0.0, 0.0)), ("", (0.0, 0.0)), ("translate(x)", (0.0, 0.0)),
])
def test_translation(transform: str, shown: tuple[float, float]) -> None:
    assert svgmod._translation(transform) == shown


def test_clean_svg_is_read_without_problems() -> None:
    data = (b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60"><text x="10" y="40" font-size="20">'
            b'Quarterly volume</text><circle cx="200" cy="30" r="20" fill="red"/></svg>')
    ex = extract(data, filename="chart.svg")
    assert ex.complete, ex.problems
    assert any(s.location == "svg/rendered" and "Quarterly" in s.text for s in ex.segments), _where(data, "x.svg")


def test_svg_icon_without_text_is_complete() -> None:
    data = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="20"/></svg>'
    ex = extract(data, filename="icon.svg")
    assert ex.complete, ex.problems


@pytest.mark.parametrize(("attrs", "size"), [
    ('width="260" height="60"', (260, 60)), ('width="2in" height="1in"', (192, 96)),
    ('viewBox="0 0 400 100"', (400, 100)), ('width="800" viewBox="0 0 400 100"', (800, 200)),
    ('width="50%" height="50%"', None), ("", None), ('width="-5" height="5"', None),
])
def test_intrinsic_size(attrs: str, size: tuple[int, int] | None) -> None:
    root = svgmod.parse_svg(f'<svg xmlns="http://www.w3.org/2000/svg" {attrs}/>'.encode())
    got = svgmod.intrinsic_size(root)
    assert (None if got is None else (round(got[0]), round(got[1]))) == size


def test_a_huge_svg_is_drawn_within_the_pixel_limit() -> None:
    from dlp_proxy.files.context import Ctx
    from dlp_proxy.files.limits import Budget

    data = (b'<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect width="100%" '
            b'height="100%" fill="white"/></svg>')
    budget = Budget(Limits())
    image = svgmod.render(data, svgmod.parse_svg(data), Ctx(budget), "svg/rendered")
    assert image is not None, budget.problems
    assert image.size[0] * image.size[1] <= svgmod.RENDER_MAX_PIXELS * 1.01


class _Hits(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        _Hits.hits.append(self.path)
        body = _png(_line(f"SSN {SSN}"))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hits.hits.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_svg_references_are_never_followed(web: str, tmp_path: Path) -> None:
    """Drawing an SVG loads nothing from outside it: no URL, no file, no XInclude (a file
    of the gateway's host would be read into the upload's findings, a URL fetched)."""
    picture = tmp_path / "pic.png"
    picture.write_bytes(_png(_line(f"SSN {SSN}")))
    hrefs = [f"{web}/a.png", f"file://{picture}", str(picture), "pic.png"]
    images = "".join(f'<image href="{h}" width="700" height="90"/><image xlink:href="{h}" width="700" height="90"/>'
                     for h in hrefs)
    data = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:xi="http://www.w3.org/2001/XInclude" width="700" height="90">'
            f'{images}<text x="5" y="80"><xi:include href="{picture}" parse="text"/></text>'
            f'<style>@import url({web}/x.css);</style></svg>').encode()
    ex = extract(data, filename="refs.svg")
    assert not any(SSN in s.text for s in ex.segments if s.location.startswith("svg/rendered")), ex.segments
    time.sleep(0.2)
    assert _Hits.hits == []


def _fake_renderer(tmp_path: Path, script: str) -> str:
    path = tmp_path / "renderer"
    path.write_text("#!/bin/sh\n" + script + "\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.parametrize(("script", "code"), [
    ("sleep 30", "ocr-limit"),  # out of time: killed
    ("cat >/dev/null; kill -9 $$", "ocr-limit"),  # killed by its CPU or memory limit
    ("cat >/dev/null; echo broken >&2; exit 1", "corrupt"),  # an SVG it cannot draw
    (None, "ocr-unavailable"),  # no renderer installed
])
def test_an_svg_that_cannot_be_drawn_is_not_fully_inspected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                           script: str | None, code: str) -> None:
    program = None if script is None else _fake_renderer(tmp_path, script)
    monkeypatch.setattr(svgmod, "_renderer", lambda: program)
    monkeypatch.setattr(svgmod, "RENDER_SECONDS", 1.0)
    ex = extract(svg_paths(), filename="statement.svg")
    assert code in ex.problems and not ex.complete


def test_svg_with_ocr_off_is_not_fully_inspected() -> None:
    ex = extract(svg_paths(), filename="statement.svg", limits=Limits(ocr=False))
    assert "ocr-disabled" in ex.problems


# -- F21: blurred text, stacked digits ---------------------------------------------------------


def blurred(sigma: float) -> bytes:
    from PIL import ImageFilter

    return _png(_line(f"client SSN {SSN}").filter(ImageFilter.GaussianBlur(sigma)))  # type: ignore[attr-defined]


@pytest.mark.parametrize("sigma", [2.2, 2.6, 3.0])
def test_blurred_text_is_read(detector: Engine, sigma: float) -> None:
    data = blurred(sigma)
    ex = extract(data, filename="shot.png")
    assert "no-text" not in ex.problems, _where(data, "shot.png")
    assert "US_SSN" in _found(detector, data, "shot.png"), _where(data, "shot.png")


def test_a_photo_without_text_is_still_cheap_and_text_free() -> None:
    from PIL import Image, ImageFilter

    from dlp_proxy.files.ocr import may_have_text

    for seed in (1, 2, 3):
        photo = Image.open(io.BytesIO(photo_like(seed=seed)))
        assert not may_have_text(photo.convert("L"), photo.convert("RGB"))
        assert not may_have_text(photo.filter(ImageFilter.GaussianBlur(3)).convert("L"))
    ex = extract(photo_like(seed=4), filename="photo.jpg")
    assert ex.problems == ("no-text",)


def stacked(digits: str = SSN, label: str = "SSN", size: int = 38, step: int = 44) -> bytes:
    """``label``, then the digits one per row under it."""
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (120, len(digits) * step + 60), "white")
    draw = ImageDraw.Draw(img)
    draw.text((10, 5), label, fill="black", font=ImageFont.truetype(FONT, 30))
    for i, ch in enumerate(digits):
        draw.text((40, 50 + i * step), ch, fill="black", font=ImageFont.truetype(FONT, size))
    return _png(img)


@pytest.mark.parametrize(("digits", "entity", "size", "step"), [
    (SSN, "US_SSN", 38, 44), (SSN, "US_SSN", 20, 24), ("4111111111111111", "CREDIT_CARD", 38, 44),
])
def test_digits_stacked_one_per_row_are_read_as_one_line(detector: Engine, digits: str, entity: str, size: int,
                                                         step: int) -> None:
    data = stacked(digits, "SSN" if entity == "US_SSN" else "card", size, step)
    column = [s.text for s in extract(data, filename="v.png").segments if s.location == "ocr/column"]
    assert column and digits in column[0].replace(" ", ""), _where(data, "v.png")
    assert entity in _found(detector, data, "v.png"), _where(data, "v.png")


def test_lines_of_text_are_no_stacked_column() -> None:
    from PIL import Image, ImageDraw, ImageFont

    from dlp_proxy.files.ocr import binarize, stacked_column

    img = Image.new("L", (600, 400), 255)
    draw = ImageDraw.Draw(img)
    for i in range(8):
        draw.text((10, 10 + 45 * i), f"Settlement line {i} for the desk", fill=0, font=ImageFont.truetype(FONT, 24))
    assert stacked_column(binarize(img)) is None
    assert stacked_column(binarize(Image.new("L", (50, 50), 255))) is None
    ex = extract(_png(img), filename="lines.png")
    assert not [s for s in ex.segments if s.location.endswith("/column")]


# -- F23: frames and pages read joined ---------------------------------------------------------


def _animation(parts: list[str], fmt: str) -> bytes:
    frames = [_line(p) for p in parts]
    out = io.BytesIO()
    extra = {"duration": 1500, "loop": 0, "disposal": 2} if fmt == "GIF" else {}
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], **extra)  # type: ignore[attr-defined]
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "where"), [("GIF", "ocr/frames"), ("TIFF", "ocr/pages"), ("WEBP", "ocr/frames")])
def test_an_identifier_split_across_frames_or_pages_is_read_joined(detector: Engine, fmt: str, where: str) -> None:
    data = _animation(["client SSN 536-22-", "8710"], fmt)
    ex = extract(data, filename="anim")
    joined = {s.location: s.text for s in ex.segments}.get(where)
    assert joined is not None and joined.replace("\n", "") == f"client SSN {SSN}", _where(data, "anim")
    assert "US_SSN" in _found(detector, data, "anim")


@pytest.mark.parametrize("fmt", ["GIF", "TIFF"])
def test_frames_are_joined_when_the_worker_seals_each_text(fmt: str, tmp_path: Path) -> None:
    """In the gateway's file worker the extraction's segments come back without their
    texts (``filescan.SealedSegments``): the joined reading is made from the texts as
    they were read, not from the segments."""
    from dlp_proxy.gateway import filescan

    filescan._worker_detector = build_detector(ner=False)
    sealed = filescan.SealedSegments(filescan.SealedTexts(str(tmp_path)))
    try:
        ex, found = filescan._job(_animation(["client SSN 536-22-", "8710"], fmt), "anim", filescan.gateway_limits(120),
                                  None, sealed=sealed)
    finally:
        filescan._worker_detector = None
    where = {s.location: [f.entity_type for f in fs] for s, fs in zip(ex.segments, found, strict=True)}
    assert "US_SSN" in where.get("ocr/frames" if fmt == "GIF" else "ocr/pages", []), where


def test_a_single_frame_has_no_joined_reading() -> None:
    ex = extract(_png(_line("client notes")), filename="one.png")
    assert not [s for s in ex.segments if s.location.endswith(("/frames", "/pages"))]


# -- F15: percent number formats ---------------------------------------------------------------


@pytest.mark.parametrize(("value", "code", "shown"), [
    ("53622.871", "000-00-0000%%", "536-22-8710%%"),
    ("5362287.1", "000-00-0000%", "536-22-8710%"),
    ("0.25", "0%", "25%"),
    ("0.125", "0.0%", "12.5%"),
    ("-0.25", "0%;(0%)", "(25%)"),
    ("1234.5", "#,##0.00%", "123,450.00%"),
    ("0.5", '"%"0', "%0"),  # a quoted % is shown, not a scaling
    ("5", "0" + "%" * 9, None),  # more than MAX_PERCENT signs: not rendered
])
def test_percent_formats(value: str, code: str, shown: str | None) -> None:
    assert format_number(value, code) == shown


def test_xlsx_percent_format_shows_the_identifier(detector: Engine) -> None:
    data = _xlsx_number(53622.871, "000-00-0000%%")
    assert "US_SSN" in _found(detector, data, "book.xlsx"), _where(data, "book.xlsx")


# -- dates and times shown by a number format (after F15: "536-22-"yyyy) -----------------------


@pytest.mark.parametrize(("value", "code", "shown"), [
    # the 1900 date system (Excel's own 29 February 1900 is serial 60), then the 1904 one
    ("2487454", '"536-22-"yyyy', "536-22-8710\n536-22-8714"),
    ("45000", "yyyy-mm-dd", "2023-03-15\n2027-03-16"),
    ("60", "dd-mmm-yy", "29-Feb-00\n01-Mar-04"),
    ("45000.5", "h:mm AM/PM", "12:00 PM"),
    ("45000.75", "hh:mm:ss", "18:00:00"),
    ("1.5", "[h]:mm", "36:00"),
    ("1.5", "[mm]:ss", "2160:00"),
    # an elapsed count alone shows any duration, past 9999-12-31 too (attack pass 9, F11)
    (str(536228710 / 24), "[h]", "536228710"),
    (str(536228710 / 1440), "[m]", "536228710"),
    (str(536228710 / 86400), "[s]", "536228710"),
    ("12", "[Red]0", "12"),  # a colour in brackets is no elapsed count
    ("45000.01", "mm:ss", "14:24"),  # minutes before seconds
    ("45000", "dddd, mmmm d", "Wednesday, March 15\nTuesday, March 16"),
    ("0.123456", "ss.000", "46.598"),
    ("-5", "yyyy", None),  # Excel shows ####
    ("2958466", "yyyy", None),  # past 9999-12-31
    ("2.5", "# ?/?", None),  # a fraction: not rendered
])
def test_date_formats(value: str, code: str, shown: str | None) -> None:
    assert format_number(value, code) == shown


@given(st.integers(1, 2958465), st.sampled_from(["yyyy-mm-dd", "dd/mm/yy", "mmmm d, yyyy"]))
@settings(max_examples=300, deadline=None)
def test_a_date_reads_as_the_calendar_says(serial: int, code: str) -> None:
    """The 1900 reading against Python's calendar: serial 61 onward is 1899-12-30 plus
    the serial (Excel counts a 29 February 1900 that never was)."""
    import datetime

    shown = format_number(str(serial), code)
    assert shown is not None
    d = datetime.date(1899, 12, 30 if serial >= 61 else 31) + datetime.timedelta(days=serial)
    if serial != 60:
        assert shown.split("\n")[0] == d.strftime({"yyyy-mm-dd": "%Y-%m-%d", "dd/mm/yy": "%d/%m/%y",
                                                   "mmmm d, yyyy": f"%B {d.day}, %Y"}[code])


def test_xlsx_date_format_shows_the_identifier(detector: Engine) -> None:
    data = _xlsx_number(2487454, '"536-22-"yyyy')
    assert "US_SSN" in _found(detector, data, "book.xlsx"), _where(data, "book.xlsx")


# -- F14: client metrics -----------------------------------------------------------------------


def _report(**labels: str) -> bytes:
    import json

    return json.dumps({"version": "0.1.0", "client_id": "x", "labels": {"platform": "macos", "agent": "chrome", **labels},
                       "start": 1, "end": 2, "counters": [{"metric": "long_tasks", "value": 3}],
                       "histograms": [{"metric": "TTFB", "value": 12.5, "timestamp": 1733346000000,
                                       "labels": {"page_type": "team_controller"}}]}).encode()


def test_client_metrics_take_names_versions_and_ids() -> None:
    assert no_content_shape_error("telemetry", _report()) is None
    assert no_content_shape_error("telemetry", _report(client="k3xq7ye1fbrh5g9bz4bnpat5gw")) is None


@pytest.mark.parametrize("text", [f"client SSN {SSN}", SSN, "4111-1111-1111-1111", "acct 4839 2011 7",
                                  "５３６－２２－８７１０", "53622871"])
def test_client_metrics_refuse_identifiers(text: str) -> None:
    assert no_content_shape_error("telemetry", _report(platform=text)) is not None


# -- through the gateway -----------------------------------------------------------------------

GATEWAY_CASES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "f6-svg-paths": (svg_paths, "statement.svg", "image/svg+xml"),
    "f6-svg-transform": (svg_transform, "statement2.svg", "image/svg+xml"),
    "f21-blur": (lambda: blurred(2.6), "shot.png", "image/png"),
    "f21-stacked": (stacked, "v.png", "image/png"),
    "f23-gif-frames": (lambda: _animation(["client SSN 536-22-", "8710"], "GIF"), "anim.gif", "image/gif"),
    "f23-tiff-pages": (lambda: _animation(["client SSN 536-22-", "8710"], "TIFF"), "scan.tiff", "image/tiff"),
    "f15-xlsx-percent": (lambda: _xlsx_number(53622.871, "000-00-0000%%"), "clients.xlsx",
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
#: each case its own sender and channel: the split-message window joins pieces per sender
#: and channel, so one case's pieces never complete another's
_SENDERS = [("alice", "town_square"), ("alice", "dm_alice_bob"), ("alice", "group"), ("bob", "town_square"),
            ("bob", "dm_alice_bob"), ("bob", "group"), ("carol", "town_square"), ("carol", "group")]


def _upload(gateway: Gateway, sender: tuple[str, str], name: str, data: bytes, ctype: str) -> httpx.Response:
    user, channel = sender
    return httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token(user)}"},
                      data={"channel_id": gateway.sim.channel(channel)}, files={"files": (name, data, ctype)},
                      timeout=120)


@pytest.mark.parametrize("case", sorted(GATEWAY_CASES))
def test_attack8_files_are_stopped_by_the_gateway(gateway: Gateway, case: str) -> None:
    make, name, ctype = GATEWAY_CASES[case]
    gateway.sim.clear()
    resp = _upload(gateway, _SENDERS[sorted(GATEWAY_CASES).index(case)], name, make(), ctype)
    assert resp.status_code == 403, resp.text
    assert resp.json()["id"] in ("api.dlp.blocked.app_error", "api.dlp.quarantined.app_error")
    assert not [r for r in gateway.sim.requests() if r["path"] == "/api/v4/files"]


@pytest.mark.parametrize(("name", "make", "ctype"), [
    ("chart.svg", lambda: b'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60"><text x="10" y="40" '
                          b'font-size="20">Quarterly volume</text></svg>', "image/svg+xml"),
    ("shot.png", lambda: _png(_line("see you at the 11:00 call")), "image/png"),
])
def test_clean_pictures_are_forwarded(gateway: Gateway, name: str, make: Callable[[], bytes], ctype: str) -> None:
    gateway.sim.clear()
    resp = _upload(gateway, ("carol", "group"), name, make(), ctype)
    assert resp.status_code == 201, resp.text


def test_client_metrics_with_identifiers_are_refused_by_the_gateway(gateway: Gateway) -> None:
    for path in ("/api/v4/client_perf", "/api/v4/perf"):
        gateway.sim.clear()
        resp = httpx.post(f"{gateway.url}{path}", content=_report(platform=f"client SSN {SSN}"),
                          headers={"Authorization": f"Bearer {gateway.sim.token('alice')}",
                                   "Content-Type": "application/json"}, timeout=30)
        assert resp.status_code == 400, resp.text
        assert not [r for r in gateway.sim.requests() if r["path"] == path]
