"""Bounded, overlapping windows of extracted text for the detector.

A detector given a 50-million-character string needs that much memory again for
its own work; cutting it into windows of ``window`` characters with ``overlap``
characters repeated at each cut keeps memory bounded and still sees every
identifier shorter than ``overlap`` that straddles a cut.  To count each finding
once, keep a finding at window offsets [start, end) only if ``end > new_from``
(anything ending earlier was already whole in the previous window).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from dlp_proxy.files.text import detect_encoding, line_blocks, refine_location
from dlp_proxy.interfaces import Extraction, TextSegment

DEFAULT_WINDOW = 64 * 1024
DEFAULT_OVERLAP = 256


@dataclass(frozen=True, slots=True)
class TextWindow:
    location: str  # the segment's location (a line block location is refined to the window start)
    text: str
    segment_index: int
    offset: int  # offset of text[0] in the segment's text
    new_from: int = 0  # findings ending at or before this window offset were reported already

    def locate(self, start: int) -> str:
        """Precise location of a finding starting at window offset ``start``."""
        return refine_location(self.location, self.text, start)


def iter_text_windows(
    extraction: Extraction | Iterable[TextSegment],
    *,
    window: int = DEFAULT_WINDOW,
    overlap: int = DEFAULT_OVERLAP,
) -> Iterator[TextWindow]:
    if window <= 0 or not 0 <= overlap < window:
        raise ValueError("need window > 0 and 0 <= overlap < window")
    segments = extraction.segments if isinstance(extraction, Extraction) else extraction
    for index, seg in enumerate(segments):
        text = seg.text
        if len(text) <= window:
            yield TextWindow(seg.location, text, index, 0, 0)
            continue
        step = window - overlap
        pos = 0
        while True:
            piece = text[pos : pos + window]
            loc = refine_location(seg.location, text, pos) if pos else seg.location
            if loc != seg.location and "lines=" in seg.location:
                # keep a block address so locate() can still count lines inside the window
                first = int(loc.rsplit("line=", 1)[1])
                last = first + piece.count("\n")
                loc = loc.rsplit("line=", 1)[0] + f"lines={first}-{last}"
            yield TextWindow(loc, piece, index, pos, overlap if pos else 0)
            if pos + window >= len(text):
                break
            pos += step


def stream_text_windows(
    stream: BinaryIO,
    *,
    window: int = DEFAULT_WINDOW,
    chunk_bytes: int = 1 << 20,
    max_chars: int | None = None,
) -> Iterator[TextWindow]:
    """Windows of a (huge) text/CSV file read ``chunk_bytes`` at a time: memory stays
    O(window + chunk_bytes) whatever the file size.  Windows are cut at line ends
    (a line longer than ``window`` is cut inside), located ``lines=N-M``.
    Raises ValueError if the stream is not text (use ``extract`` for documents)."""
    head = stream.read(chunk_bytes)
    at_end = len(head) < chunk_bytes
    found = detect_encoding(head[:65536], whole=at_end and len(head) <= 65536)
    if found is None:
        raise ValueError("not a text file")
    enc, bom = found
    if enc == "utf-8":
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head[bom:], final=at_end)
        except UnicodeDecodeError:
            enc = "cp1252"
    if enc == "cp1252":
        enc = "latin-1" if any(b in head for b in b"\x81\x8d\x8f\x90\x9d") else "cp1252"

    def chunks() -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(enc)(errors="replace")
        data = head[bom:]
        produced = 0
        while data:
            text = decoder.decode(data)
            if max_chars is not None and produced + len(text) > max_chars:
                yield text[: max_chars - produced]
                return
            produced += len(text)
            yield text
            data = stream.read(chunk_bytes)
        yield decoder.decode(b"", final=True)

    for index, (loc, block) in enumerate(line_blocks(chunks(), block_chars=window)):
        yield TextWindow(loc, block, index, 0, 0)
