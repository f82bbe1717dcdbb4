"""Pictures inside other containers are read like an uploaded image (attack pass 4, A12):
ODF ``Pictures/`` and ``office:binary-data``, RTF ``\\pict`` groups, HTML ``data:``
images and SVG ``<image href="data:...">``.  Real PNGs rendered with a TrueType font;
clean counterparts; one stop through the real gateway."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable

import httpx
import pytest

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import Limits, extract
from dlp_proxy.files.embedded import data_uris, rtf_pictures
from dlp_proxy.policy.testing import SSN
from tests import filegen
from tests.conftest import Gateway

TEXT = f"client SSN {SSN}"
CLEAN = "quarterly notes are in the shared drive"


def png(text: str = TEXT, px: int = 28) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    img = Image.new("RGB", (40 + px * len(text) * 6 // 10, px * 3), (255, 255, 255))
    ImageDraw.Draw(img).text((20, px), text, font=ImageFont.truetype(filegen.FONT, px), fill=(0, 0, 0))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
           'xmlns:xlink="http://www.w3.org/1999/xlink"')


def odt(picture: bytes, *, inline: bool) -> bytes:
    image = (f"<draw:image><office:binary-data>{base64.b64encode(picture).decode()}</office:binary-data></draw:image>"
             if inline else '<draw:image xlink:href="Pictures/a.png"/>')
    content = (f'<?xml version="1.0"?><office:document-content {_ODF_NS}><office:body><office:text>'
               f"<text:p>quarterly memo<draw:frame>{image}</draw:frame></text:p>"
               "</office:text></office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", content)
        if not inline:
            zf.writestr("Pictures/a.png", picture)
    return out.getvalue()


def rtf(picture: bytes, *, fallback: bytes = b"") -> bytes:
    hexed = picture.hex()
    lines = "\n".join(hexed[i : i + 128] for i in range(0, len(hexed), 128))
    body = (r"{\rtf1\ansi quarterly memo\par {\*\shppict{\pict{\*\picprop{\sp{\sn x}{\sv 1}}}\pngblip"
            "\n" + lines + "}}")
    if fallback:
        body += r"{\nonshppict{\pict\pngblip " + fallback.hex() + "}}"
    return (body + "}").encode()


def html(picture: bytes) -> bytes:
    return (f'<html><body><p>quarterly memo</p><img alt="chart" src="data:image/png;base64,'
            f'{base64.b64encode(picture).decode()}"></body></html>').encode()


def svg(picture: bytes) -> bytes:
    return ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="700" '
            f'height="90"><image width="700" height="90" xlink:href="data:image/png;base64,'
            f'{base64.b64encode(picture).decode()}"/></svg>').encode()


CONTAINERS: dict[str, Callable[[bytes], bytes]] = {
    "odt-pictures": lambda p: odt(p, inline=False),
    "odt-binary-data": lambda p: odt(p, inline=True),
    "rtf-pict": rtf,
    "html-data-uri": html,
    "svg-image-data-uri": svg,
}


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _entities(detector: Engine, data: bytes, limits: Limits | None = None) -> set[str]:
    ex = extract(data, filename="memo", limits=limits)
    return {f.entity_type for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


@pytest.mark.parametrize("case", sorted(CONTAINERS))
def test_a_picture_inside_a_container_is_read(detector: Engine, case: str) -> None:
    assert "US_SSN" in _entities(detector, CONTAINERS[case](png()))


@pytest.mark.parametrize("case", sorted(CONTAINERS))
def test_a_clean_picture_inside_a_container_reads_clean(detector: Engine, case: str) -> None:
    data = CONTAINERS[case](png(CLEAN))
    ex = extract(data, filename="memo")
    assert ex.complete, ex.problems
    assert "quarterly" in " ".join(s.text for s in ex.segments if "image=" in s.location)
    assert _entities(detector, data) == set()


@pytest.mark.parametrize("case", sorted(CONTAINERS))
def test_without_ocr_the_container_is_read_as_before(case: str) -> None:
    ex = extract(CONTAINERS[case](png()), filename="memo", limits=Limits(ocr=False))
    # (a picture's bytes are still read as text, as every file's are: no OCR reading)
    assert not [s for s in ex.segments if "image=" in s.location and not s.location.endswith("/bytes")]


def test_the_rtf_fallback_copy_of_a_picture_is_not_read_twice() -> None:
    assert rtf_pictures(rtf(png(), fallback=b"\x89PNG").decode()) == [png()]


def test_data_uris_decode_base64_and_percent_encoding() -> None:
    assert data_uris("x data:image/png;base64,aGVs\n bG8= y") == [b"hello"]
    assert data_uris("url(data:image/svg+xml,%3Csvg%3E)") == [b"<svg>"]
    assert data_uris("no uri here") == []


def test_html_picture_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    gateway.sim.clear()
    r = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                   data={"channel_id": gateway.sim.channel("town_square")},
                   files={"files": ("memo.html", html(png()))}, timeout=120)
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]
