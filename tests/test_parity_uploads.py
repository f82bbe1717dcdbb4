"""The upload store assembles the file Mattermost assembles (app/upload.go UploadData:
each chunk appended at the session's file_offset; a chunk it failed to store is
sent again at the same offset), whatever order of failures and resends."""

from __future__ import annotations

from pathlib import Path

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
