"""Tamper-evident compliance archive (see docs/archive.md).

Public API for the gateway and tools:

- ``open_archive(directory, *, worker_id="w0", **options) -> FileArchive``
  (``await archive.append(record) -> record_id``, ``archive.append_sync(record)``,
  ``await archive.close()``)
- ``iter_records(directory, *, since=None, until=None, decrypt=False)``
- ``verify_archive(directory, public_key, ...) -> VerifyReport``
"""

from __future__ import annotations

from dlp_proxy.archive.log import ArchiveOptions, FileArchive, open_archive
from dlp_proxy.archive.verify import VerifyReport, iter_records, verify_archive

__all__ = ["ArchiveOptions", "FileArchive", "VerifyReport", "iter_records", "open_archive", "verify_archive"]
