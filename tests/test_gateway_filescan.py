"""File scan jobs (dlp_proxy/gateway/filescan.py) as a worker runs them, in process."""

from __future__ import annotations

import random

import pytest

from dlp_proxy.detect import build_detector
from dlp_proxy.files.limits import Limits
from dlp_proxy.gateway import filescan
from dlp_proxy.interfaces import TextSegment

CUSIPS = ["037833100", "594918104", "023135106", "46625H100"]


@pytest.fixture(scope="module", autouse=True)
def _detector() -> None:
    filescan._worker_detector = build_detector()


def _table(rows: int, header: str, row: str, seed: int = 3) -> bytes:
    rnd = random.Random(seed)
    lines = [header] + [row.format(i=i, acc=rnd.randrange(10**5), cusip=rnd.choice(CUSIPS),
                                   n=f"{rnd.randrange(100, 899)}{rnd.randrange(10, 99)}{rnd.randrange(1000, 9999)}")
                        for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_every_block_of_a_table_is_read_with_its_header() -> None:
    # A clean blotter: after the first block, a CUSIP beside an "ACC-" code must not
    # become a bank account because the "cusip" column header is out of sight.
    clean = _table(7000, "trade_id,account,cusip,qty", "T{i:06d},ACC-{acc:05d},{cusip},100")
    extraction, findings = filescan._job(clean, "blotter.csv", Limits(), None)
    assert len(extraction.segments) > 2
    assert {f.entity_type for fs in findings for f in fs} <= {"CUSIP"}
    # The header's context reaches the last block: bare 9-digit SSNs under "ssn".
    dirty = _table(7000, "client,ssn,qty", "C{i:06d},{n},100")
    extraction, findings = filescan._job(dirty, "clients.csv", Limits(), None)
    last = len(extraction.segments) - 1
    assert last >= 2
    hits = [f for f in findings[last] if f.entity_type == "US_SSN"]
    assert hits
    text = extraction.segments[last].text
    for f in hits:  # offsets point into the block itself, not the borrowed header
        assert text[f.start:f.end].isdigit() and len(text[f.start:f.end]) == 9


def test_table_headers_only_for_delimited_blocks_of_one_file() -> None:
    segs = [TextSegment("a.csv/lines=1-2", "name,account\nx,1\n"), TextSegment("a.csv/lines=3-4", "y,2\nz,3\n"),
            TextSegment("b.txt/lines=1-1", "just prose here\n"), TextSegment("b.txt/lines=2-2", "more\n"),
            TextSegment("c.csv/lines=1-1", "1,2,3,4,5,6\n"), TextSegment("c.csv/lines=2-2", "7,8\n")]
    assert filescan.table_headers(segs) == {"a.csv/lines=3-4": "name,account\n"}
