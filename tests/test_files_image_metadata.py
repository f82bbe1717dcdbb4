"""What an image carries besides its pixels (dlp_proxy/files/images.py
``extract_metadata``): Mattermost stores and serves the file's bytes, so an
identifier in a PNG text chunk, a JPEG comment, EXIF, or after the image's end is
as shared as one in the picture."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from dlp_proxy.detect import build_detector
from dlp_proxy.files import extract

SECRET = "Client SSN 536-22-8710"


def _png(**text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        info.add_text(k, v)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _jpeg(**kw: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "JPEG", **kw)
    return out.getvalue()


def _exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[270] = SECRET  # ImageDescription
    return _jpeg(exif=exif.tobytes())


CASES = {
    "png text chunk": lambda: _png(Description=SECRET),
    "png after IEND": lambda: _png() + SECRET.encode(),
    "png private chunk": lambda: _png()[:-12] + (len(SECRET).to_bytes(4, "big") + b"prVt" + SECRET.encode()
                                                 + b"\0\0\0\0") + _png()[-12:],
    "jpeg comment": lambda: _jpeg(comment=SECRET.encode()),
    "jpeg exif description": _exif_jpeg,
    "jpeg after EOI": lambda: _jpeg() + SECRET.encode(),
}


@pytest.fixture(scope="module")
def detector():  # type: ignore[no-untyped-def]
    return build_detector()


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_identifier_in_an_images_metadata_is_found(detector, case: str) -> None:  # type: ignore[no-untyped-def]
    ex = extract(CASES[case](), filename="pic.png" if "png" in case else "pic.jpg")
    found = [f for seg in ex.segments for f in detector.analyze(seg.text) if f.entity_type == "US_SSN"]
    assert found, (case, [(s.location, s.text[:80]) for s in ex.segments])


def test_a_plain_image_gives_no_metadata_text(detector) -> None:  # type: ignore[no-untyped-def]
    for data in (_png(), _jpeg()):
        ex = extract(data, filename="pic")
        assert not [f for seg in ex.segments for f in detector.analyze(seg.text)]
