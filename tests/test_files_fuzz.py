"""Random and mutated bytes never raise and never exceed the limits."""

from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import filegen as g  # noqa: E402

from dlp_proxy.files import PROBLEM_CODES, Limits, extract  # noqa: E402

LIMITS = Limits(max_total_extracted_chars=5000, max_entries=50, max_depth=3, max_seconds=5, max_pages=5)
SEEDS = [g.zip_of({"a.csv": b"x,536-22-1234\n"}), g.docx_document(), g.pdf_document(1), g.xlsx_document(), g.gzip_named("a", b"hi")]
# legacy Office and Outlook (OLE2), images, a scanned PDF: their readers meet hostile bytes too
LEGACY_SEEDS = [g.doc_document("Letter 536-22-1234\r", "more"), g.xls_document([["a", 1.5], ["536-22-1234", 2]]),
                g.ppt_document(["one", "two"], "notes"), g.msg_message("s", "b", {"a.txt": b"536-22-1234"}),
                g.screenshot(["hi 536-22-1234"], 12), g.screenshot(["hi"], 12, fmt="GIF"), g.scanned_pdf(["536-22-1234"])]


def check(data: bytes) -> None:
    result = extract(data, limits=LIMITS)
    assert sum(len(s.text) for s in result.segments) <= LIMITS.max_total_extracted_chars
    assert set(result.problems) <= set(PROBLEM_CODES)
    assert result.complete == (not result.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    check(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8), st.floats(0.05, 1.0))
def test_mutated_documents(seed, flips, keep):
    data = bytearray(seed[: max(1, int(len(seed) * keep))])
    for pos, value in flips:
        data[pos % len(data)] = value
    check(bytes(data))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(LEGACY_SEEDS), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=8),
       st.floats(0.05, 1.0))
def test_mutated_legacy_files_and_images(seed, flips, keep):
    data = bytearray(seed[: max(1, int(len(seed) * keep))])
    for pos, value in flips:
        data[pos % len(data)] = value
    check(bytes(data))
