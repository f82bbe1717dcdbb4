"""iter_text_windows / stream_text_windows: bounded pieces, overlaps, locations."""

from __future__ import annotations

import io
import re

import pytest

from dlp_proxy.files import extract, iter_text_windows, stream_text_windows

SSN_RE = re.compile(r"\d{3}-\d{2}-\d{4}")


def big_text(n_lines: int = 30000) -> bytes:
    lines = []
    for i in range(1, n_lines + 1):
        lines.append(f"536-22-{i % 10000:04d}" if i % 997 == 0 else f"row {i} filler text")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("window,overlap", [(1000, 20), (4096, 64), (65536, 256), (333, 11)])
def test_every_identifier_counted_once_with_its_line(window, overlap):
    data = big_text()
    extraction = extract(data)
    found = []
    for w in iter_text_windows(extraction, window=window, overlap=overlap):
        assert len(w.text) <= window
        for m in SSN_RE.finditer(w.text):
            if m.end() > w.new_from:
                found.append((m.group(), w.locate(m.start())))
    expected = [(f"536-22-{i % 10000:04d}", f"line={i}") for i in range(997, 30001, 997)]
    assert found == expected


def test_stream_windows_bounded_and_located():
    data = big_text()
    windows = list(stream_text_windows(io.BytesIO(data), window=4096, chunk_bytes=8192))
    assert max(len(w.text) for w in windows) <= 4096
    hits = [(m.group(), w.locate(m.start())) for w in windows for m in SSN_RE.finditer(w.text)]
    assert hits == [(f"536-22-{i % 10000:04d}", f"line={i}") for i in range(997, 30001, 997)]


def test_stream_rejects_binary():
    with pytest.raises(ValueError):
        list(stream_text_windows(io.BytesIO(bytes(range(256)) * 4)))


def test_bad_window_arguments():
    with pytest.raises(ValueError):
        list(iter_text_windows(extract(b"x"), window=10, overlap=10))
