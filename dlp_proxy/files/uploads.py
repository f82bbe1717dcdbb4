"""Chunks of resumable uploads (``POST /api/v4/uploads`` then ``POST /api/v4/uploads/{id}``)
kept on disk, encrypted, until the whole file can be judged.

Layout: ``<directory>/<upload_id>.chunks``, mode 0600, an append-only sequence of
records ``len(4, big-endian) | nonce(12) | AES-256-GCM(offset(8) | chunk) + tag(16)``.
``offset`` is where the chunk starts in the file *as Mattermost holds it* (the
session's ``file_offset`` when the chunk was sent, ``write_at``): a chunk retried
after Mattermost failed to store it lands where Mattermost will put it, so the
file assembled here (``assemble``) is the file Mattermost assembles
(app/upload.go UploadData appends at ``file_offset``).  The associated data binds
each record to its upload id and sequence number, so records cannot be swapped
between uploads or reordered without failing authentication.

Key choice: one store key derived (HKDF-SHA256, info ``dlp-proxy upload chunks v1``)
from the ``quarantine-master`` key file (dlp_proxy.keys).  A per-upload key kept
only in memory would make a gateway restart lose every upload in progress and
would not work across several gateway instances sharing the directory; the
derived key keeps uploads resumable across restarts and instances while no
customer identifier is ever readable on disk.  Destroying the quarantine master
key makes leftover chunk files unreadable.

Concurrency: appends to one upload are serialised with ``flock`` (several
gateway processes may share the directory) and a process-local lock.

Memory: a large chunk is written as several records of at most ``PIECE_BYTES``
(``write_pieces``, from a file worker reading the request's spool) and the whole
file is assembled straight into one buffer (``assemble_into``), so neither a chunk
nor the file is ever held twice (docs/benchmarks.md, "Upload memory").  ``spec``
and ``from_spec`` carry a store to a file worker process.
"""

from __future__ import annotations

import fcntl
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dlp_proxy.interfaces import DLPError

_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HEADER = 4 + 12
_TAG = 16
_OFFSET = 8
_SUFFIX = ".chunks"
#: a chunk is sealed in records of at most this many bytes (``write_pieces``)
PIECE_BYTES = 1 << 20


class UploadError(DLPError):
    """An upload session could not be stored or read."""


class InvalidUploadId(UploadError):
    """The upload id is not 1-64 characters of [A-Za-z0-9_-] (Mattermost ids are 26 [a-z0-9])."""


class UploadNotFound(UploadError):
    pass


class UploadLimitExceeded(UploadError):
    """The chunk would take the upload or the whole store over its cap (the request is refused)."""


class UploadOffsetMismatch(UploadError):
    """The chunk does not continue the upload where it stands (a retried or out-of-order chunk)."""


def derive_store_key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dlp-proxy upload chunks v1").derive(master)


class UploadStore:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes_per_upload: int,
        max_total_bytes: int,
        key: bytes | None = None,
        fsync: bool = True,
    ) -> None:
        """``key``: 32 bytes; default derived from ``load_key("quarantine-master")``."""
        if max_bytes_per_upload <= 0 or max_total_bytes <= 0:
            raise ValueError("upload caps must be > 0")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        if key is None:
            from dlp_proxy.keys import load_key

            key = derive_store_key(load_key("quarantine-master"))
        if len(key) != 32:
            raise ValueError("upload store key must be 32 bytes")
        self._key = key
        self._aead = AESGCM(key)
        self.max_bytes_per_upload = max_bytes_per_upload
        self.max_total_bytes = max_total_bytes
        self.fsync = fsync
        self._lock = threading.Lock()

    @classmethod
    def default(cls, *, max_bytes_per_upload: int = 100 * 1024 * 1024, max_total_bytes: int = 2 * 1024**3) -> UploadStore:
        """The store under ``$DLP_DATA_DIR/uploads``."""
        from dlp_proxy.settings import data_dir

        return cls(data_dir() / "uploads", max_bytes_per_upload=max_bytes_per_upload, max_total_bytes=max_total_bytes)

    def spec(self) -> tuple[str, int, int, bytes, bool]:
        """What ``from_spec`` needs to open this store in another process (a file
        worker; the key travels as the spool keys do, in the job's arguments)."""
        return str(self.directory), self.max_bytes_per_upload, self.max_total_bytes, self._key, self.fsync

    @classmethod
    def from_spec(cls, spec: tuple[str, int, int, bytes, bool]) -> UploadStore:
        directory, per_upload, total, key, fsync = spec
        return cls(Path(directory), max_bytes_per_upload=per_upload, max_total_bytes=total, key=key, fsync=fsync)

    # -- paths ----------------------------------------------------------------
    def _path(self, upload_id: str) -> Path:
        if not isinstance(upload_id, str) or not _ID_RE.fullmatch(upload_id):
            raise InvalidUploadId("upload id must be 1-64 characters of A-Z a-z 0-9 _ -")
        return self.directory / (upload_id + _SUFFIX)

    # -- sizes ----------------------------------------------------------------
    @staticmethod
    def _records(fd: int) -> Iterator[tuple[int, int]]:
        """(offset of ciphertext, ciphertext length) of each record."""
        size = os.fstat(fd).st_size
        pos = 0
        while pos < size:
            head = os.pread(fd, _HEADER, pos)
            if len(head) < _HEADER:
                raise UploadError("upload chunk file is truncated")
            length = int.from_bytes(head[:4], "big")
            if pos + _HEADER + length > size:
                raise UploadError("upload chunk file is truncated")
            yield pos + 4, length
            pos += _HEADER + length

    def _plain_size(self, fd: int) -> tuple[int, int]:
        """(bytes of chunk data, number of records)."""
        total = count = 0
        for _, length in self._records(fd):
            total += length - _TAG - _OFFSET
            count += 1
        return total, count

    def _extent(self, upload_id: str, fd: int) -> tuple[int, int]:
        """(end of the furthest chunk, number of records)."""
        end = count = 0
        for index, (pos, length) in enumerate(self._records(fd)):
            offset, chunk = self._open(upload_id, fd, index, pos, length)
            end = max(end, offset + len(chunk))
            count += 1
        return end, count

    def _open(self, upload_id: str, fd: int, index: int, pos: int, length: int) -> tuple[int, bytes]:
        raw = os.pread(fd, 12 + length, pos)
        try:
            plain = self._aead.decrypt(raw[:12], raw[12:], self._aad(upload_id, index))
        except InvalidTag:
            raise UploadError("upload chunk failed authentication (tampered or wrong key)") from None
        return int.from_bytes(plain[:_OFFSET], "big"), plain[_OFFSET:]

    def size(self, upload_id: str) -> int:
        """Where the file ends: the end of its furthest chunk."""
        path = self._path(upload_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise UploadNotFound("no such upload") from None
        try:
            return self._extent(upload_id, fd)[0]
        finally:
            os.close(fd)

    def total_bytes(self) -> int:
        """Bytes on disk across all uploads (ciphertext, i.e. plaintext + 32 bytes per chunk)."""
        total = 0
        for entry in os.scandir(self.directory):
            if entry.name.endswith(_SUFFIX):
                try:
                    total += entry.stat().st_size
                except FileNotFoundError:
                    continue
        return total

    # -- operations -------------------------------------------------------------
    def append(self, upload_id: str, chunk: bytes, *, offset: int | None = None) -> int:
        """Store ``chunk`` durably at the end of the upload; returns the upload's size.

        ``offset``: where the client says the chunk starts; a mismatch raises
        UploadOffsetMismatch.  Over a cap raises UploadLimitExceeded and stores nothing.
        """
        return self._write(upload_id, chunk, offset, at_end=True)

    def write_at(self, upload_id: str, chunk: bytes, offset: int) -> int:
        """Store ``chunk`` durably as the bytes at ``offset`` of the file (what
        Mattermost's session says it holds before this chunk); a later chunk at the
        same place replaces it in ``assemble``.  Returns where the file now ends."""
        if offset < 0:
            raise UploadOffsetMismatch("negative chunk offset")
        return self._write(upload_id, chunk, offset, at_end=False)

    def _write(self, upload_id: str, chunk: bytes, offset: int | None, *, at_end: bool) -> int:
        return self._write_pieces(upload_id, (chunk,), len(chunk), offset, at_end=at_end)

    def write_pieces(self, upload_id: str, pieces: Iterable[bytes | memoryview], length: int,
                     offset: int | None) -> int:
        """``write_at`` (``offset`` given) or ``append`` (None) of a chunk of ``length``
        bytes handed over in ``pieces``, each sealed as records of at most
        ``PIECE_BYTES`` at their own offsets: the chunk is never whole in memory.  The
        caps are checked for the whole chunk before anything is written; when the
        pieces fail (raise) or do not add up to ``length``, the records written for
        this chunk are cut off again and the error raised (UploadError for a length
        that does not match)."""
        if offset is not None and offset < 0:
            raise UploadOffsetMismatch("negative chunk offset")
        return self._write_pieces(upload_id, pieces, length, offset, at_end=offset is None)

    def _write_pieces(self, upload_id: str, pieces: Iterable[bytes | memoryview], length: int, offset: int | None,
                      *, at_end: bool) -> int:
        path = self._path(upload_id)
        with self._lock:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                current, count = self._extent(upload_id, fd)
                if at_end:
                    if offset is not None and offset != current:
                        raise UploadOffsetMismatch(f"chunk offset {offset} but the upload holds {current} bytes")
                    offset = current
                assert offset is not None
                stored = self._plain_size(fd)[0]
                if max(current, offset + length) > self.max_bytes_per_upload or \
                        stored + length > 2 * self.max_bytes_per_upload:
                    raise UploadLimitExceeded(
                        f"upload would exceed max_bytes_per_upload ({self.max_bytes_per_upload} bytes)"
                    )
                records = max(1, -(-length // PIECE_BYTES))
                if self.total_bytes() + length + records * (_HEADER + _TAG + _OFFSET) > self.max_total_bytes:
                    raise UploadLimitExceeded(
                        f"upload store would exceed max_total_bytes ({self.max_total_bytes} bytes)"
                    )
                before = os.fstat(fd).st_size
                at = offset
                try:
                    for piece in pieces:
                        view = memoryview(piece)
                        for i in range(0, len(view), PIECE_BYTES):
                            part = view[i : i + PIECE_BYTES]
                            if at + len(part) > offset + length:
                                raise UploadError("the chunk is longer than it said")
                            self._seal(fd, upload_id, count, at, part)
                            count += 1
                            at += len(part)
                    if at != offset + length:
                        raise UploadError("the chunk is shorter than it said")
                    if length == 0:
                        self._seal(fd, upload_id, count, at, b"")
                except BaseException:
                    os.ftruncate(fd, before)  # none of this chunk: the file is as it was
                    raise
                if self.fsync:
                    os.fsync(fd)
                return max(current, offset + length)
            finally:
                os.close(fd)

    def _seal(self, fd: int, upload_id: str, index: int, offset: int, data: bytes | memoryview) -> None:
        nonce = secrets.token_bytes(12)
        plain = offset.to_bytes(_OFFSET, "big") + bytes(data)
        sealed = self._aead.encrypt(nonce, plain, self._aad(upload_id, index))
        del plain
        os.write(fd, len(sealed).to_bytes(4, "big") + nonce + sealed)

    @staticmethod
    def _aad(upload_id: str, index: int) -> bytes:
        return f"dlp-upload:{upload_id}:{index}".encode()

    def iter_records(self, upload_id: str) -> Iterator[tuple[int, bytes]]:
        """(offset, chunk) of every stored chunk, in the order they were stored."""
        path = self._path(upload_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise UploadNotFound("no such upload") from None
        try:
            for index, (pos, length) in enumerate(self._records(fd)):
                yield self._open(upload_id, fd, index, pos, length)
        finally:
            os.close(fd)

    def iter_chunks(self, upload_id: str) -> Iterator[bytes]:
        for _, chunk in self.iter_records(upload_id):
            yield chunk

    def assemble(self, upload_id: str, size: int | None = None) -> tuple[bytes, list[tuple[int, int]]]:
        """The file as Mattermost holds it: each chunk written at its offset, a later
        one over an earlier; cut at ``size`` (Mattermost reads no byte past the
        session's file_size).  Also returns the byte ranges no chunk covered."""
        buf = bytearray()
        covered: list[tuple[int, int]] = []
        for offset, chunk in self.iter_records(upload_id):
            end = offset + len(chunk)
            if len(buf) < end:
                buf.extend(b"\0" * (end - len(buf)))
            buf[offset:end] = chunk
            covered.append((offset, end))
        total = len(buf) if size is None else size
        del buf[total:]
        return bytes(buf), _gaps(covered, total)

    def assemble_into(self, upload_id: str, view: memoryview, size: int) -> list[tuple[int, int]]:
        """``assemble`` of the first ``size`` bytes straight into ``view`` (at least
        ``size`` bytes, e.g. a file worker's new ``bytes``), one record in memory at a
        time; the ranges no chunk covered are zeroed and returned."""
        if len(view) < size:
            raise ValueError("the buffer is smaller than the file")
        covered: list[tuple[int, int]] = []
        for offset, chunk in self.iter_records(upload_id):
            a, b = min(offset, size), min(offset + len(chunk), size)
            if a < b:
                view[a:b] = memoryview(chunk)[: b - a]
            covered.append((offset, offset + len(chunk)))
            del chunk
        gaps = _gaps(covered, size)
        for start, end in gaps:
            view[start:end] = bytes(end - start)
        return gaps

    def read(self, upload_id: str) -> bytes:
        return self.assemble(upload_id)[0]

    def discard(self, upload_id: str) -> None:
        """Delete the upload's chunks (no error if there are none)."""
        path = self._path(upload_id)
        try:
            path.unlink()
        except FileNotFoundError:
            pass

    def exists(self, upload_id: str) -> bool:
        return self._path(upload_id).exists()

    def purge_older_than(self, seconds: float) -> int:
        """Delete uploads untouched for ``seconds`` (abandoned sessions); returns how many."""
        cutoff = time.time() - seconds
        removed = 0
        for entry in os.scandir(self.directory):
            if entry.name.endswith(_SUFFIX):
                try:
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed


def _gaps(covered: list[tuple[int, int]], total: int) -> list[tuple[int, int]]:
    """The ranges of ``[0, total)`` no ``(start, end)`` of ``covered`` covers."""
    gaps: list[tuple[int, int]] = []
    pos = 0
    for start, end in sorted(covered):
        if start > pos:
            gaps.append((pos, min(start, total)))
        pos = max(pos, end)
    if pos < total:
        gaps.append((pos, total))
    return [g for g in gaps if g[0] < g[1]]
