"""File scan jobs (dlp_proxy/gateway/filescan.py) as a worker runs them, in process."""

from __future__ import annotations

import random
from pathlib import Path

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


class _Ticking:
    """A clock that moves ``step`` seconds at every reading."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def _blotter() -> bytes:
    return _table(7000, "trade_id,account,cusip,qty", "T{i:06d},ACC-{acc:05d},{cusip},100")


def test_job_budget_counts_cpu_time_not_a_loaded_hosts_wall_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # each reading of the wall clock: 5 s more (a worker starved of CPU), the CPU clock barely moves
    monkeypatch.setattr(filescan, "_job_clocks", (_Ticking(0.001), _Ticking(5.0)))
    limits = filescan.gateway_limits(10_000.0)
    extraction, findings = filescan._job(_blotter(), "blotter.csv", limits, None, 60.0)
    assert extraction.complete and len(findings) == len(extraction.segments) > 2


def test_job_budget_spent_in_cpu_time_is_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(filescan, "_job_clocks", (_Ticking(5.0), _Ticking(0.0)))
    extraction, findings = filescan._job(_blotter(), "blotter.csv", filescan.gateway_limits(120.0), None, 12.0)
    assert "time-limit" in extraction.problems and not extraction.complete
    assert len(findings) == len(extraction.segments) < 3


def test_job_wall_bound_is_a_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # a job given no CPU at all still ends, inside the file deadline, as time-limit
    monkeypatch.setattr(filescan, "_job_clocks", (_Ticking(0.0), _Ticking(50.0)))
    extraction, _ = filescan._job(_blotter(), "blotter.csv", filescan.gateway_limits(120.0), None, 96.0)
    assert "time-limit" in extraction.problems and not extraction.complete


def test_gateway_limits_keep_the_wall_bound_inside_the_file_deadline() -> None:
    limits = filescan.gateway_limits(120.0)
    assert limits.max_seconds == 60.0 and limits.max_wall_seconds == 120.0 * filescan.JOB_WALL_SHARE
    operator = filescan.gateway_limits(120.0, Limits(max_seconds=20, max_wall_seconds=600, max_pages=7))
    assert (operator.max_seconds, operator.max_wall_seconds, operator.max_pages) == (20, 108.0, 7)
    assert filescan.gateway_limits(120.0, Limits(max_wall_seconds=30)).max_wall_seconds == 30


def test_a_new_scan_worker_has_paid_the_engines_first_text_set_up_before_its_first_job() -> None:
    """A worker's first scan costs what any scan costs: the engine's tables built on a
    first text (30-120 ms of CPU without the warm-up: ~2 s at nice 19 on a loaded
    host, past a short scan deadline, so a worker that replaced one killed at the
    deadline was killed again on its first post) are built before the worker is
    ready.  Measured in the worker's CPU time (``scan_texts``' cost), not wall time."""
    import asyncio

    from dlp_proxy.model import ContentItem

    probes = ["ok, thanks", "lunch at 12:15 in 3C?", "señor Müller ＸＹＺ ３４ Здравствуйте"]
    assert not set(probes) & set(filescan.WARM_UP_TEXTS)

    async def first_scan_cost() -> float:
        scanner = filescan.FileScanner(workers=1, ner=False, nice=0, quick_start=True)
        try:
            await scanner.start()
            _, cost = await scanner.scan_texts([ContentItem(f"p{n}", t) for n, t in enumerate(probes)], None, 300)
            return cost
        finally:
            scanner.shutdown()

    assert asyncio.run(first_scan_cost()) < 0.025


def test_a_deadline_while_the_worker_starts_does_not_kill_it(tmp_path: Path) -> None:
    """A request whose deadline passes while the only worker is still starting (a
    replacement building its detector) fails, and the worker is left to finish its
    start-up: killed, it would lose it, and on a loaded host each request would kill the
    next replacement before it was ready.  The start-up is held by the test (no timer
    raced against it): it ends when the test creates the ``go`` file."""
    import asyncio

    from dlp_proxy.model import ContentItem

    async def run() -> None:
        scanner = filescan.FileScanner(workers=1, ner=False, nice=0, quick_start=True,
                                       detector="tests.faults:gated_detector", config_dir=tmp_path)
        try:
            scanner.warm_up()
            with pytest.raises(TimeoutError):
                await scanner.scan_texts([ContentItem("m", "all clear")], None, 0.5)
            assert scanner.killed == 0
            (tmp_path / "go").touch()
            scanned, _ = await scanner.scan_texts([ContentItem("m", "all clear")], None, 300)
            assert len(scanned) == 1 and scanner.killed == 0
        finally:
            scanner.shutdown()

    asyncio.run(run())
