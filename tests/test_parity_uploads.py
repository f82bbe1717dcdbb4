"""The upload store assembles the file Mattermost assembles (app/upload.go UploadData:
each chunk appended at the session's file_offset; a chunk it failed to store is
sent again at the same offset), whatever order of failures and resends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.files.uploads import UploadStore


def _store(tmp: Path) -> UploadStore:
    return UploadStore(tmp, max_bytes_per_upload=1 << 20, max_total_bytes=1 << 24, key=b"k" * 32, fsync=False)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=6),
       failures=st.lists(st.booleans(), min_size=6, max_size=6))
def test_assembled_file_is_what_mattermost_stored(tmp_path: Path, chunks: list[bytes], failures: list[bool]) -> None:
    store = _store(tmp_path)
    uid = "u" + str(abs(hash((tuple(chunks), tuple(failures)))))[:20]
    store.discard(uid)
    mattermost = bytearray()
    for chunk, fails in zip(chunks, failures, strict=False):
        # the gateway stores the chunk where Mattermost says the file stands, then forwards it
        store.write_at(uid, chunk, len(mattermost))
        if fails:  # Mattermost did not store it; the client sends it again
            store.write_at(uid, chunk, len(mattermost))
        mattermost += chunk
    data, gaps = store.assemble(uid, len(mattermost))
    assert data == bytes(mattermost) and gaps == []
    store.discard(uid)


def test_bytes_never_seen_are_reported(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write_at("u1", b"abc", 0)
    store.write_at("u1", b"xyz", 10)  # Mattermost holds 10 bytes; the gateway saw 3
    data, gaps = store.assemble("u1", 13)
    assert data[:3] == b"abc" and data[10:] == b"xyz" and gaps == [(3, 10)]


def test_bytes_past_file_size_are_not_judged_as_part_of_the_file(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.write_at("u2", b"0123456789", 0)
    assert store.assemble("u2", 4) == (b"0123", [])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chunks=st.lists(st.binary(min_size=0, max_size=60), min_size=1, max_size=5), data=st.data())
def test_property_a_chunk_in_pieces_is_stored_as_the_chunk_whole(tmp_path: Path, chunks: list[bytes],
                                                                 data: st.DataObject) -> None:
    """``write_pieces`` (a file worker sealing a chunk as it reads it from the spool,
    in records of at most ``PIECE_BYTES``) stores the file ``write_at`` stores,
    however the chunk is cut; ``assemble_into`` assembles the file ``assemble`` does,
    into one buffer, its gaps zeroed."""
    import dlp_proxy.files.uploads as uploads

    whole, cut = _store(tmp_path / "whole"), _store(tmp_path / "cut")
    uid = "u" + os.urandom(6).hex()
    offset = 0
    piece_bytes = data.draw(st.integers(1, 16))
    old, uploads.PIECE_BYTES = uploads.PIECE_BYTES, piece_bytes
    try:
        for chunk in chunks:
            at = data.draw(st.integers(0, offset + 3))  # a resend, or bytes never seen before it
            whole.write_at(uid, chunk, at)
            bounds = sorted(data.draw(st.lists(st.integers(0, len(chunk)), max_size=3)))
            pieces = [chunk[a:b] for a, b in zip([0, *bounds], [*bounds, len(chunk)], strict=True)]
            cut.write_pieces(uid, pieces, len(chunk), at)
            offset = max(offset, at + len(chunk))
    finally:
        uploads.PIECE_BYTES = old
    size = data.draw(st.integers(0, offset + 2))
    expected = whole.assemble(uid, size)
    assert cut.assemble(uid, size) == expected
    buf = bytearray(b"\xaa" * size)
    assert cut.assemble_into(uid, memoryview(buf), size) == expected[1]
    assert bytes(buf) == expected[0].ljust(size, b"\0")  # (``assemble`` stops at the last byte stored)


def test_a_chunk_whose_pieces_fail_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    """Pieces that raise half way (a spool whose check failed), or that do not add up
    to the length said: nothing of the chunk stays, the error is raised."""
    from dlp_proxy.files.uploads import UploadError

    store = _store(tmp_path)
    store.write_at("u3", b"abc", 0)
    before = (tmp_path / "u3.chunks").read_bytes()

    def failing() -> Iterator[bytes]:
        yield b"x" * 10
        raise ValueError("the spooled body failed its check")

    with pytest.raises(ValueError):
        store.write_pieces("u3", failing(), 20, 3)
    with pytest.raises(UploadError, match="shorter"):
        store.write_pieces("u3", [b"12345"], 6, 3)
    with pytest.raises(UploadError, match="longer"):
        store.write_pieces("u3", [b"12345", b"6"], 5, 3)
    assert (tmp_path / "u3.chunks").read_bytes() == before
    assert store.assemble("u3", 3) == (b"abc", [])
