"""Custom emoji whose pictures show digits (gateway/emoji.py, files/glyph.py; attack pass 8, F4).

Ten emoji drawn as the ten digits let a post of shortcodes only show an SSN in the web
app.  The picture of a custom emoji is read as a glyph; one that shows a digit is
refused at creation.  Through the real gateway (its file workers' OCR) and the
simulator, which models POST /api/v4/emoji (api4/emoji.go createEmoji)."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont

from dlp_proxy.files.core import extract
from dlp_proxy.gateway import emoji
from dlp_proxy.model import ContentItem, ItemKind
from tests.conftest import Gateway, archive_records, start_gateway, start_simulator, stop
from tests.filegen import FONT
from tests.test_gateway_e2e import _multipart


def picture(text: str, size: int = 64, px: int = 56, ink: tuple[int, ...] = (0, 0, 0, 255),
            ground: tuple[int, ...] = (255, 255, 255, 255), fmt: str = "PNG") -> bytes:
    img = Image.new("RGBA", (size, size), ground)
    ImageDraw.Draw(img).text((size // 2, size // 2), text, fill=ink, font=ImageFont.truetype(FONT, px), anchor="mm")
    out = io.BytesIO()
    (img if fmt == "PNG" else img.convert("RGB")).save(out, fmt)
    return out.getvalue()


def _glyph_text(data: bytes) -> str:
    return " ".join(s.text for s in extract(data, filename="e.png").segments)


@pytest.mark.parametrize("digit", list("0123456789"))
def test_a_picture_of_one_digit_is_read(digit: str) -> None:
    assert digit in _glyph_text(picture(digit))


def test_glyphs_in_any_colour_size_or_transparency_are_read() -> None:
    clear = (0, 0, 0, 0)
    for data, want in ((picture("7", size=32, px=28), "7"), (picture("5", size=128, px=100), "5"),
                       (picture("3", ink=(255, 0, 0, 255), ground=(255, 255, 0, 255)), "3"),
                       (picture("8", ink=(255, 255, 255, 255), ground=(0, 0, 0, 255)), "8"),
                       (picture("9", ink=(255, 255, 255, 255), ground=clear), "9"),
                       (picture("4", ink=(0, 0, 0, 255), ground=clear), "4"),
                       (picture("22", px=40), "22"), (picture("6", fmt="JPEG"), "6")):
        assert want in _glyph_text(data), want


def test_only_text_read_from_the_picture_counts() -> None:
    def item(path: str, text: str) -> ContentItem:
        return ContentItem(path, text, ItemKind.FILE)

    assert emoji.digit_image_refusal("emoji.create", [item("image:ocr/glyph", "5")])
    assert emoji.digit_image_refusal("emoji.create", [item("image:frame=2/ocr/alpha", "٥")])
    assert emoji.digit_image_refusal("emoji.create", [item("image:metadata", "2026-01-02")]) is None
    assert emoji.digit_image_refusal("emoji.create", [item("image:ocr/glyph", "LGTM")]) is None
    assert emoji.digit_image_refusal("posts.create", [item("file[0]:ocr/glyph", "5")]) is None


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = start_simulator()
    gateway = start_gateway(sim, tmp_path_factory.mktemp("emoji") / "gw")
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


def _create(gw: Gateway, name: str, data: bytes) -> httpx.Response:
    meta = json.dumps({"name": name, "creator_id": gw.sim.ids["users"]["alice"]}).encode()
    headers, body = _multipart([("emoji", None, meta), ("image", f"{name}.png", data)])
    with gw.client("alice") as c:  # (a loaded machine: the file workers' OCR may queue)
        return c.post("/api/v4/emoji", content=body, headers=headers, timeout=120)


def test_digit_emoji_are_refused_and_others_created(gw: Gateway) -> None:
    tag = secrets.token_hex(3)
    for digit in "0123456789":
        r = _create(gw, f"kx{tag}{'qwertyuiop'[int(digit)]}", picture(digit))
        assert r.status_code == 400, (digit, r.text)
        assert "digit" in r.json()["message"]
    refused = [r for r in archive_records(gw.data_dir) if r.get("route") == "emoji.create"
               and r.get("rule_id") == emoji.RULE]
    assert len(refused) == 10
    for name, data in ((f"lgtm{tag}", picture("LGTM", px=18)), (f"a{tag}", picture("A")),
                       (f"blank{tag}", picture(""))):
        r = _create(gw, name, data)
        assert r.status_code == 200, (name, r.text)
        assert r.json()["name"] == name
