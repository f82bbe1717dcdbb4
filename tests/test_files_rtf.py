"""RTF read as Word shows it (dlp_proxy/files/rtf.py): ``\\bin`` data skipped whatever
it holds (braces that desynchronise striprtf's groups, digits inside an identifier),
``\\u`` characters and ``\\'hh`` bytes decoded in every group, the nonbreaking hyphen,
field instructions apart from field results, and a picture given as ``\\bin`` bytes
read by OCR.  Real files, the real detector; one stop through the real gateway."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.detect import Engine, build_detector
from dlp_proxy.files import extract, rtf
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway
from tests.test_files_ocr_embedded import png


def _u(text: str) -> str:
    return "".join(f"\\u{ord(ch)}?" for ch in text)


DIRTY = {
    # Word skips the 4 bytes after \bin4: it shows 536-22-8710
    "bin-inside": rb"{\rtf1\ansi client SSN 536-22-\bin4 9999" + b"8710\\par}",
    # braces in binary data close no group; striprtf reads nothing after them
    "bin-braces": b"{\\rtf1\\ansi\\uc1 {\\*\\x\\bin3 }}}} client SSN " + _u(SSN).encode() + b"\\par}",
    "unicode": b"{\\rtf1\\ansi\\uc1 client SSN " + _u(SSN).encode() + b"\\par}",
    "unicode-uc0": b"{\\rtf1\\ansi\\uc0 client SSN " + _u(SSN).replace("?", "").encode() + b"\\par}",
    "nonbreaking-hyphen": rb"{\rtf1\ansi client SSN 536\_22\_8710\par}",
    "hex-bytes": rb"{\rtf1\ansi client SSN \'35\'33\'36-22-8710\par}",
    "field-result": rb"{\rtf1\ansi client SSN {\field{\*\fldinst SYMBOL 53}{\fldrslt 536-22-8710}}\par}",
}


@pytest.fixture(scope="module")
def detector() -> Engine:
    return build_detector(ner=False)


def _found(detector: Engine, data: bytes) -> set[tuple[str, str]]:
    ex = extract(data, filename="memo.rtf")
    return {(f.entity_type, s.location) for s in ex.segments for f in detector.analyze(s.text) if f.score >= 0.5}


@pytest.mark.parametrize("case", sorted(DIRTY))
def test_identifier_as_word_shows_it_is_read(detector: Engine, case: str) -> None:
    assert ("US_SSN", "raw") in _found(detector, DIRTY[case]), case


def test_bin_data_and_field_codes_join_no_numbers(detector: Engine) -> None:
    # the bytes skipped and the instruction apart: no 9-digit number is made of them in
    # this reading (striprtf's, line=1, reads the \bin bytes as text: a file made so is
    # stopped, as it holds the digits)
    data = (rb"{\rtf1\ansi order 536-22-\bin4 8710 filled; {\field{\*\fldinst PAGE 536}{\fldrslt 228710}} "
            rb"{\*\bkmkstart 53622}8710 rows\par}")
    assert not {loc for _, loc in _found(detector, data) if loc == "raw"}
    assert rtf.read(data.decode("latin-1")).text.split() == [
        "order", "536-22-", "filled;", "PAGE", "536", "228710", "53622", "8710", "rows"]


def test_picture_given_as_bin_bytes_is_read() -> None:
    picture = png(f"Client SSN {SSN}")
    data = (rb"{\rtf1\ansi memo\par {\*\shppict{\pict\pngblip\bin" + str(len(picture)).encode() + b" " + picture
            + rb"}}{\nonshppict{\pict\pngblip 89504e47}}\par}")
    assert rtf.read(data.decode("latin-1")).pictures == [picture]
    ex = extract(data, filename="memo.rtf")
    assert any(s.location == "image=pict-1/ocr" and SSN in s.text for s in ex.segments), ex.segments


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_escaped_text_reads_back(text: str) -> None:
    body = "".join("\\" + ch if ch in "\\{}" else (f"\\u{ord(ch) - 65536 if ord(ch) > 32767 else ord(ch)}?"
                                                   if ord(ch) > 127 else ch) for ch in text if ord(ch) < 65536)
    want = "".join(ch for ch in text if ord(ch) < 65536)
    assert rtf.read("{\\rtf1\\ansi\\uc1 " + body.replace("\n", "\\line ").replace("\r", "") + "}").text \
        == want.replace("\r", "")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["{", "}", "\\", "\\bin", "\\bin3 ", "\\u", "\\u-4?", "\\uc2", "\\'4", "\\'35",
                                 "\\*", "\\pict", "\\ansicpg932", "\\ansicpg99", "a", "5", " ", "\\par", "\\_",
                                 "\\bin99999999999 "]), max_size=40).map("".join))
def test_hostile_rtf_never_raises(raw: str) -> None:
    rtf.read(raw)
    extract(raw.encode("latin-1"), filename="x.rtf")


def test_bin_identifier_is_stopped_by_the_gateway(gateway: Gateway) -> None:
    gateway.sim.clear()
    r = httpx.post(f"{gateway.url}/api/v4/files", headers={"Authorization": f"Bearer {gateway.sim.token('alice')}"},
                   data={"channel_id": gateway.sim.channel("town_square")},
                   files={"files": ("memo.rtf", DIRTY["bin-braces"])}, timeout=120)
    assert r.status_code == 403, r.text
    assert not [q for q in gateway.sim.requests() if q["path"] == "/api/v4/files"]
