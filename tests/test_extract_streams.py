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

from dlp_proxy.gateway.decode import _lzma_alone_header
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
    layers = []  # what the gateway decodes, layer by layer
    for codec in chain:
        body = CODECS[codec](body, level)
        layers.append(body)
    try:
        texts = _texts(body)
    except BodyError as exc:
        # a layer's first bytes also read as an LZMA-alone header whose dictionary needs
        # more memory than a decoder gets (a deflate stored block can: 0x01, then a length
        # read as a 4 GB dictionary): refused, never read without that reading (decode.py)
        assert exc.status == 413 and any(_lzma_alone_header(x) for x in layers), exc
        return
    assert marker.replace("\r", "") in texts.replace("\r", "") or marker in texts


def test_a_deflate_body_that_also_reads_as_a_huge_lzma_header_is_refused() -> None:
    """The example the full run of 0668192 found: zstd, then deflate at level 1 (a stored
    block whose length bytes read as a 4 GB LZMA dictionary)."""
    body = f"ssn 536-22-8710 {chr(0x90) * 2}ÀÐ{chr(0x91)}ઐ".encode()
    for codec in ("zstd", "deflate"):
        body = CODECS[codec](body, 1)
    assert _lzma_alone_header(body)
    with pytest.raises(BodyError) as refused:
        _texts(body)
    assert refused.value.status == 413


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


@pytest.mark.parametrize("text", [b"plain text", b"x^ looks like zlib", b"payload=x"])
def test_ordinary_bodies_have_no_compressed_reading(text: bytes) -> None:
    assert unlabelled_streams(text) == []


def test_a_body_that_inflates_garbage_is_still_read_as_itself() -> None:
    """'{' (0x7b) opens a final fixed-Huffman block: the trial inflate yields a few bytes
    before it errors; that is an additional reading, the JSON is read as ever."""
    body = b'{"message": "ssn 536-22-8710"}'
    assert [k for k, _ in unlabelled_streams(body)] == ["deflate"]
    ex = extract(UNKNOWN_ROUTE, body, "application/json", [])
    assert ex.json_doc == {"message": "ssn 536-22-8710"}
    assert any(i.path == "body.message" and i.text == "ssn 536-22-8710" for i in ex.items)


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


# --------------------------------------------------------------------------- raw deflate as Go's compress/flate reads it


def _raw_deflate_sync(data: bytes) -> bytes:
    """A raw deflate stream ended by a sync flush: no final block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


_MSG = b'{"text": "client SSN 536-22-8710 please update the account"}'


_CUT_OR_TRAILED: dict[str, bytes] = {
    "trailing-newline": _raw_deflate(_MSG) + b"\n",
    "trailing-nul": _raw_deflate(_MSG) + b"\0",
    "junk": _raw_deflate(_MSG) + b"\x00\x01junk after the stream",
    "truncated": _raw_deflate(_MSG)[:-3],
    "sync-flush": _raw_deflate_sync(_MSG),
    "zlib-junk": zlib.compress(_MSG) + b"\x00junk",
    "lzma-junk": lzma.compress(_MSG, format=lzma.FORMAT_ALONE) + b"junk",
    "lzma-truncated": lzma.compress(_MSG, format=lzma.FORMAT_ALONE)[:-5],
    "zstd-junk": zstandard.ZstdCompressor().compress(_MSG) + b"junk",
    "zstd-truncated": zstandard.ZstdCompressor().compress(_MSG)[:-3],
}


@pytest.mark.parametrize("name", sorted(_CUT_OR_TRAILED))
def test_a_stream_with_trailing_bytes_or_cut_short_is_read_as_go_reads_it(name: str) -> None:
    """compress/flate (inflate.go) returns EOF after the final block without reading on,
    and what it decoded with ErrUnexpectedEOF when input runs out: io.ReadAll has the text."""
    assert "536-22-8710" in _texts(_CUT_OR_TRAILED[name])


@settings(max_examples=500, deadline=None)
@given(st.text(min_size=1, max_size=200), st.binary(max_size=40), st.booleans())
def test_raw_deflate_then_any_bytes_is_read(text: str, tail: bytes, sync: bool) -> None:
    """Whatever follows a raw deflate stream (or however much of its end is missing),
    the text a Go plugin inflating it reads is in the gateway's items."""
    marker = f"ssn 536-22-8710 {text}"
    full = _raw_deflate(marker.encode())
    body = _raw_deflate_sync(marker.encode()) + tail if sync else full + tail
    assert marker in _texts(body) or marker.replace("\r", "") in _texts(body).replace("\r", "")


@settings(max_examples=1500, deadline=None)
@given(st.binary(min_size=2, max_size=2000))
def test_random_bytes_never_crash_extract_nor_exceed_limits(data: bytes) -> None:
    """Random bytes through the unknown-route reading: items, or a BodyError; never
    another exception, never a reading over the limit."""
    try:
        readings = unlabelled_streams(data, limit=1 << 12)
    except BodyError as exc:
        assert exc.status in (400, 413, 415)
    else:
        assert all(len(r) <= 1 << 12 for _, r in readings)
    try:
        extract(UNKNOWN_ROUTE, data, "application/octet-stream", [])
    except BodyError as exc:
        assert exc.status in (400, 413, 415)


def test_a_trial_inflate_over_the_limit_is_refused_not_dropped() -> None:
    """A raw deflate bomb with junk after it is still a bomb: 413, never read weaker."""
    body = _raw_deflate(b"\0" * (1 << 20)) + b"junk"
    with pytest.raises(BodyError) as err:
        unlabelled_streams(body, limit=1 << 16)
    assert err.value.status == 413


def test_a_body_that_errors_in_its_first_bytes_adds_no_reading() -> None:
    assert unlabelled_streams(b"\xff" * 64) == []  # BTYPE 11: an error at bit 1


def test_at_the_nesting_limit_a_trial_inflate_is_dropped_a_stream_refused() -> None:
    """Random bytes inflate a few bytes now and then (and so may their output): at the
    nesting limit such a trial reading is dropped, a real stream refused."""
    import random

    garbage = random.Random(2).randbytes(512)  # inflates 8 bytes, then an error
    assert [k for k, _ in unlabelled_streams(garbage)] == ["deflate"]
    body = garbage
    for _ in range(4):
        body = zlib.compress(body)
    extract(UNKNOWN_ROUTE, body, "application/octet-stream", [])  # not refused
    stream = _raw_deflate(b"ssn 536-22-8710")
    for _ in range(4):
        stream = zlib.compress(stream)
    with pytest.raises(BodyError):
        extract(UNKNOWN_ROUTE, stream, "application/octet-stream", [])
