"""UploadStore: encrypted chunk files on a real directory."""

from __future__ import annotations

import os
import threading

import pytest

from dlp_proxy.files import InvalidUploadId, UploadError, UploadLimitExceeded, UploadNotFound, UploadStore
from dlp_proxy.files.uploads import UploadOffsetMismatch

SSN = b"536-22-1234"


@pytest.fixture
def store(tmp_path):
    return UploadStore(tmp_path / "uploads", max_bytes_per_upload=1000, max_total_bytes=3000, key=b"k" * 32)


def test_append_read_discard(store):
    uid = "8xq3mz1kf7bgdqzjz4h1q9w5ra"
    assert store.append(uid, b"name,ssn\n") == 9
    assert store.append(uid, b"Ann," + SSN + b"\n", offset=9) == 25
    assert store.read(uid) == b"name,ssn\nAnn," + SSN + b"\n"
    assert store.size(uid) == 25
    store.discard(uid)
    assert not store.exists(uid)
    with pytest.raises(UploadNotFound):
        store.read(uid)
    store.discard(uid)  # idempotent


def test_nothing_readable_on_disk(store):
    store.append("u1", b"Ann," + SSN)
    raw = (store.directory / "u1.chunks").read_bytes()
    assert SSN not in raw and b"Ann" not in raw
    assert oct(os.stat(store.directory / "u1.chunks").st_mode & 0o777) == "0o600"


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "", "x" * 65, "..", "a b", "abc\x00", "é"])
def test_ids_are_sanitized(store, bad):
    with pytest.raises(InvalidUploadId):
        store.append(bad, b"x")


def test_per_upload_cap(store):
    store.append("u1", b"x" * 900)
    with pytest.raises(UploadLimitExceeded, match="max_bytes_per_upload"):
        store.append("u1", b"x" * 101)
    assert store.size("u1") == 900  # nothing stored by the refused chunk


def test_total_cap(store):
    for uid in ("a", "b", "c"):
        store.append(uid, b"x" * 900)
    with pytest.raises(UploadLimitExceeded, match="max_total_bytes"):
        store.append("d", b"x" * 200)


def test_offset_mismatch(store):
    store.append("u1", b"abc")
    with pytest.raises(UploadOffsetMismatch):
        store.append("u1", b"def", offset=0)


def test_tampering_and_reordering_detected(store):
    store.append("u1", b"first")
    store.append("u1", b"second")
    path = store.directory / "u1.chunks"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(UploadError, match="authentication"):
        store.read("u1")
    # a record moved to another upload fails too
    store.append("u2", b"other")
    (store.directory / "u3.chunks").write_bytes((store.directory / "u2.chunks").read_bytes())
    with pytest.raises(UploadError):
        store.read("u3")


def test_survives_restart_with_same_key(tmp_path):
    a = UploadStore(tmp_path, max_bytes_per_upload=100, max_total_bytes=1000, key=b"k" * 32)
    a.append("u1", b"part1-")
    b = UploadStore(tmp_path, max_bytes_per_upload=100, max_total_bytes=1000, key=b"k" * 32)
    b.append("u1", b"part2")
    assert b.read("u1") == b"part1-part2"
    c = UploadStore(tmp_path, max_bytes_per_upload=100, max_total_bytes=1000, key=b"z" * 32)
    with pytest.raises(UploadError):
        c.read("u1")


def test_default_key_from_quarantine_master(tmp_path, monkeypatch):
    monkeypatch.setenv("DLP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DLP_QUARANTINE_MASTER_KEY", raising=False)
    monkeypatch.delenv("DLP_QUARANTINE_MASTER_KEY_FILE", raising=False)
    s = UploadStore.default(max_bytes_per_upload=100)
    s.append("u1", b"hello")
    assert (tmp_path / "uploads" / "u1.chunks").exists()
    assert (tmp_path / "keys" / "quarantine-master.key").exists()
    assert UploadStore.default().read("u1") == b"hello"


def test_concurrent_appends_keep_every_chunk(store):
    def worker(n):
        store.append("u1", bytes([65 + n]) * 10)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = store.read("u1")
    assert len(data) == 200
    assert sorted(set(data)) == list(range(65, 85))


def test_purge_older_than(store):
    store.append("old", b"x")
    os.utime(store.directory / "old.chunks", (0, 0))
    store.append("new", b"y")
    assert store.purge_older_than(3600) == 1
    assert store.exists("new") and not store.exists("old")
