"""File text extraction for uploads.

``extract(data, filename=..., limits=...) -> Extraction`` decides the type by
content, takes every piece of text with its location, and never raises for
hostile input: whatever it could not inspect is reported through
``complete=False`` and ``problems`` (codes in ``PROBLEM_CODES``).

``extract_async`` runs the same in a process pool with a hard time limit so the
gateway's event loop never waits on a big file; ``iter_text_windows`` cuts the
result into bounded, overlapping windows for the detector; ``UploadStore`` keeps
resumable-upload chunks encrypted on disk until the whole file can be judged.
See docs/files.md.
"""

from __future__ import annotations

from dlp_proxy.files.core import extract
from dlp_proxy.files.limits import PROBLEM_CODES, Limits
from dlp_proxy.files.runner import extract_async, shutdown_pool
from dlp_proxy.files.sniff import sniff
from dlp_proxy.files.text import refine_location
from dlp_proxy.files.uploads import (
    InvalidUploadId,
    UploadError,
    UploadLimitExceeded,
    UploadNotFound,
    UploadStore,
)
from dlp_proxy.files.windows import TextWindow, iter_text_windows, stream_text_windows
from dlp_proxy.interfaces import Extraction, TextSegment

__all__ = [
    "PROBLEM_CODES",
    "Extraction",
    "FileTextExtractor",
    "InvalidUploadId",
    "Limits",
    "TextSegment",
    "TextWindow",
    "UploadError",
    "UploadLimitExceeded",
    "UploadNotFound",
    "UploadStore",
    "extract",
    "extract_async",
    "iter_text_windows",
    "refine_location",
    "shutdown_pool",
    "sniff",
    "stream_text_windows",
]


class FileTextExtractor:
    """The ``FileExtractor`` protocol (dlp_proxy.interfaces) with fixed limits."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def extract(self, data: bytes, *, filename: str = "") -> Extraction:
        return extract(data, filename=filename, limits=self.limits)
