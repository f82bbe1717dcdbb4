"""Unlabelled compressed bodies on routes the gateway cannot know the reading of
(plugins, unknown writes): read decompressed, bounded, refused when unreadable
(attack F7; dlp_proxy.gateway.extract.unlabelled_streams)."""

from __future__ import annotations

import lzma
import zlib
from typing import Any

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.extract import BodyError, extract, unlabelled_streams
from dlp_proxy.gateway.routes import UNKNOWN_ROUTE


def _raw_deflate(data: bytes, level: int = 6) -> bytes:
    c = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush()


CODECS: dict[str, Any] = {
    "zlib": lambda d, lv: zlib.compress(d, lv),
    "deflate": _raw_deflate,
    "lzma": lambda d, lv: lzma.compress(d, format=lzma.FORMAT_ALONE, preset=min(lv, 9)),
    "zstd": lambda d, lv: zstandard.ZstdCompressor(level=lv).compress(d),
}


def _texts(body: bytes, content_type: str = "application/octet-stream") -> str:
    ex = extract(UNKNOWN_ROUTE, body, content_type, [])
    return "\n".join(i.text for i in ex.items)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=300),
       st.lists(st.sampled_from(sorted(CODECS)), min_size=1, max_size=3),
       st.integers(min_value=1, max_value=9))
def test_every_chain_of_codecs_is_read_back(text: str, chain: list[str], level: int) -> None:
    """Whatever the text and however it is compressed (up to three layers, no label),
    the gateway's items of the body hold the text as a handler decompressing it reads it."""
    marker = f"ssn 536-22-8710 {text}"
    body = marker.encode()
    for codec in chain:
        body = CODECS[codec](body, level)
    assert marker.replace("\r", "") in _texts(body).replace("\r", "") or marker in _texts(body)


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=400))
def test_hostile_bytes_give_a_reading_or_a_refusal(data: bytes) -> None:
    """Any bytes: readings within the limit, or a BodyError (400/413/415); nothing else."""
    try:
        readings = unlabelled_streams(data, limit=1 << 16)
    except BodyError as exc:
        assert exc.status in (400, 413, 415)
        return
    assert all(len(r) <= 1 << 16 for _, r in readings)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["zlib", "deflate", "lzma", "zstd"]), st.integers(min_value=1 << 16, max_value=1 << 20))
def test_a_stream_over_the_limit_is_refused(codec: str, size: int) -> None:
    body = CODECS[codec](b"\0" * (size + 1), 9)
    with pytest.raises(BodyError) as err:
        unlabelled_streams(body, limit=size)
    assert err.value.status == 413


@pytest.mark.parametrize("text", [b'{"message": "lunch"}', b"plain text", b"x^ looks like zlib", b"payload=x"])
def test_ordinary_bodies_have_no_compressed_reading(text: bytes) -> None:
    assert unlabelled_streams(text) == []


def test_too_deep_a_nest_is_refused() -> None:
    body = b"ssn 536-22-8710"
    for _ in range(6):
        body = zlib.compress(body)
    with pytest.raises(BodyError):
        extract(UNKNOWN_ROUTE, body, "application/octet-stream", [])


# --------------------------------------------------------------------------- the file scanner


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=200), st.sampled_from(["zlib", "lzma"]), st.integers(min_value=1, max_value=9),
       st.binary(max_size=20))
def test_the_file_scanner_opens_zlib_and_lzma_alone(text: str, codec: str, level: int, junk: bytes) -> None:
    """A file that is a zlib or .lzma stream (``zlib-flate``, ``lzma``; Go's
    compress/zlib, ulikunitz lzma) is opened like gzip, anywhere a file is read
    (uploads, archive members, plugin bodies); bytes after a zlib stream are read too."""
    from dlp_proxy.files.core import extract as extract_file

    marker = f"ssn 536-22-8710 {text}"
    data = CODECS[codec](marker.encode(), level)
    if codec == "zlib":
        data += junk
    ex = extract_file(data)
    assert ex.file_type == codec, (ex.file_type, ex.problems)
    got = "".join(s.text for s in ex.segments)
    assert "536-22-8710" in got, (got[:200], ex.problems)


@pytest.mark.parametrize("text", [b"x^ a caret", b"x\x01", b"]\x00\x00\x80\x00 not lzma"])
def test_text_that_looks_like_a_stream_stays_text(text: bytes) -> None:
    from dlp_proxy.files.sniff import sniff

    assert sniff(text) not in ("zlib", "lzma")
