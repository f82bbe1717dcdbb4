"""Pictures the OCR path used to miss (attack pass 4): text on a transparent background
(A4: the alpha channel was dropped onto black), the same in an image-only PDF page (an
image whose soft mask draws the text), and raster formats the sniffer did not take for
images (A16: binary Netpbm, XBM, and any format Pillow opens; PostScript is held).
Real images rendered with a TrueType font; stops go through the real gateway."""

from __future__ import annotations

import io

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract
from dlp_proxy.files.sniff import sniff
from dlp_proxy.policy.testing import SSN
from tests import filegen
from tests.conftest import Gateway

TEXT = f"client SSN {SSN}"
CLEAN = "quarterly notes are in the shared drive"


def picture(mode: str = "RGBA", fg: tuple[int, ...] = (0, 0, 0, 255), bg: tuple[int, ...] = (0, 0, 0, 0),
            text: str = TEXT, px: int = 28) -> object:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new(mode, (40 + px * len(text) * 6 // 10, px * 3), bg)
    ImageDraw.Draw(img).text((20, px), text, font=ImageFont.truetype(filegen.FONT, px), fill=fg)
    return img


def save(img: object, fmt: str = "PNG", **kw: object) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **kw)  # type: ignore[attr-defined]
    return out.getvalue()


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _entities(detector: Engine, data: bytes) -> set[str]:
    ex = extract(data, filename="a.png")
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


def _palette_transparent(text: str = TEXT) -> bytes:
    img = picture("P", fg=1, bg=0, text=text)
    img.putpalette([0, 0, 0] * 2)  # type: ignore[attr-defined]  # both black; index 0 transparent
    return save(img, transparency=0)


TRANSPARENT = {
    "black-on-transparent-black": lambda: save(picture()),
    "white-on-transparent-white": lambda: save(picture(fg=(255, 255, 255, 255), bg=(255, 255, 255, 0))),
    "dark-grey-on-transparent-black": lambda: save(picture(fg=(40, 40, 40, 255))),
    "LA-black-on-transparent": lambda: save(picture("LA", fg=(0, 255), bg=(0, 0))),
    "palette-tRNS": _palette_transparent,
}


@pytest.mark.parametrize("case", sorted(TRANSPARENT))
def test_text_on_a_transparent_background_is_read(detector: Engine, case: str) -> None:
    assert "US_SSN" in _entities(detector, TRANSPARENT[case]())


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ink=st.integers(0, 255), under=st.integers(0, 255))
def test_opaque_text_on_any_transparent_background_is_read(detector: Engine, ink: int, under: int) -> None:
    """Whatever colour the text and the (invisible) pixels under the transparency have."""
    data = save(picture(fg=(ink, ink, ink, 255), bg=(under, under, under, 0)))
    assert "US_SSN" in _entities(detector, data), (ink, under)


def test_clean_transparent_picture_reads_clean(detector: Engine) -> None:
    data = save(picture(text=CLEAN))
    ex = extract(data, filename="a.png")
    assert ex.complete, ex.problems
    assert "quarterly" in " ".join(s.text for s in ex.segments)
    assert _entities(detector, data) == set()


def test_fully_transparent_picture_is_no_text() -> None:
    ex = extract(save(picture(text="")), filename="a.png")
    assert ex.problems == ("no-text",)


def smask_pdf(text: str = TEXT, *, base: int = 0, px: int = 28) -> bytes:
    """A one-page PDF whose only drawing is an image of one grey level ``base`` with a
    soft mask (``/SMask``) holding ``text``: the page shows the text in that grey on
    white, and the image's own pixels are flat."""
    import zlib

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(filegen.FONT, px)
    w, h = 40 + int(font.getlength(text)), px * 3
    mask = Image.new("L", (w, h), 0)
    ImageDraw.Draw(mask).text((20, px), text, font=font, fill=255)

    def image(data: bytes, extra: bytes = b"") -> bytes:
        packed = zlib.compress(data)
        return (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8 %s/Filter /FlateDecode /Length %d >>\nstream\n" % (w, h, extra, len(packed))
                + packed + b"\nendstream")

    content = b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % (w, h)
    objects = [
        image(mask.tobytes()),
        image(bytes([base]) * (w * h), b"/SMask 1 0 R "),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Page /Parent 5 0 R /MediaBox [0 0 %d %d] /Resources << /XObject << /Im1 2 0 R >> >> "
        b"/Contents 3 0 R >>" % (w, h),
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Catalog /Pages 5 0 R >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.mark.parametrize("base", [0, 90, 255])
def test_pdf_page_drawn_by_an_image_soft_mask_is_read(detector: Engine, base: int) -> None:
    """Black or grey text on the page (base 0, 90) and, as for a PNG's alpha channel,
    white text on the white page (255), which the mask still holds."""
    ex = extract(smask_pdf(base=base), filename="scan.pdf")
    assert any(f.entity_type == "US_SSN" for s in ex.segments for f in detector.analyze(s.text)), ex.segments


def test_clean_pdf_page_drawn_by_a_soft_mask_reads_clean(detector: Engine) -> None:
    ex = extract(smask_pdf(CLEAN), filename="scan.pdf")
    assert ex.complete, ex.problems
    assert "quarterly" in " ".join(s.text for s in ex.segments)
    assert not [f for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5]


def _pnm(kind: str) -> bytes:
    img = picture("RGB", fg=(0, 0, 0), bg=(255, 255, 255))
    return save(img.convert("L") if kind == "pgm" else img, "PPM")  # type: ignore[attr-defined]


FORMATS = {
    "ppm-binary": lambda: _pnm("ppm"),
    "pgm-binary": lambda: _pnm("pgm"),
    "xbm": lambda: save(picture("1", fg=0, bg=1), "XBM"),
    "tga": lambda: save(picture("RGB", fg=(0, 0, 0), bg=(255, 255, 255)), "TGA"),
    "pcx": lambda: save(picture("RGB", fg=(0, 0, 0), bg=(255, 255, 255)), "PCX"),
    "sgi": lambda: save(picture("RGB", fg=(0, 0, 0), bg=(255, 255, 255)), "SGI"),
}


@pytest.mark.parametrize("case", sorted(FORMATS))
def test_every_raster_pillow_opens_is_read(detector: Engine, case: str) -> None:
    assert "US_SSN" in _entities(detector, FORMATS[case]())


def test_netpbm_and_xbm_are_sniffed_as_images() -> None:
    assert sniff(FORMATS["ppm-binary"]()) == "pnm"
    assert sniff(FORMATS["xbm"]()) == "xbm"
    assert sniff(b"P1 priority: call the client back\n") == "text-or-binary"
    assert sniff(b"#define VERSION 3\nint main() {}\n") == "text-or-binary"


def test_postscript_is_held_not_read_as_text() -> None:
    eps = save(picture("RGB", fg=(0, 0, 0), bg=(255, 255, 255)), "EPS")
    assert sniff(eps) == "postscript"
    ex = extract(eps, filename="a.eps")
    assert "unsupported-type" in ex.problems
    assert not ex.complete


def test_text_after_an_xbm_header_is_still_read(detector: Engine) -> None:
    data = save(picture("1", fg=0, bg=1, text="x"), "XBM") + f"/* {TEXT} */\n".encode()
    assert "US_SSN" in _entities(detector, data)


def _upload(gw: Gateway, data: bytes, name: str) -> httpx.Response:
    gw.sim.clear()
    return httpx.post(f"{gw.url}/api/v4/files", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                      data={"channel_id": gw.sim.channel("town_square")}, files={"files": (name, data)}, timeout=120)


def test_transparent_picture_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    r = _upload(gateway, TRANSPARENT["black-on-transparent-black"](), "a.png")
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]


def test_binary_ppm_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    r = _upload(gateway, FORMATS["ppm-binary"](), "a.ppm")
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]


def test_soft_mask_pdf_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    r = _upload(gateway, smask_pdf(), "scan.pdf")
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]


def test_clean_transparent_picture_is_forwarded(gateway: Gateway) -> None:
    r = _upload(gateway, save(picture(text=CLEAN)), "a.png")
    assert r.status_code == 201, r.text
