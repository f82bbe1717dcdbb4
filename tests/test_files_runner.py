"""extract_async: a real process pool, a real runaway worker, concurrency."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import filegen as g  # noqa: E402

from dlp_proxy.files import (  # noqa: E402
    Limits,
    extract,
    extract_async,
    runner,  # noqa: E402
    shutdown_pool,
)


@pytest.fixture(autouse=True)
def _pool():
    yield
    shutdown_pool()


async def test_async_matches_sync():
    data = g.xlsx_document()
    assert await extract_async(data, filename="book.xlsx") == extract(data, filename="book.xlsx")


async def test_time_limit_in_worker_returns_partial_text_marked():
    data = g.zip_of({f"{i}.csv": b"a,b\n536-22-1234,2\n" * 40 for i in range(4000)})
    result = await extract_async(data, limits=Limits(max_seconds=0.3))
    # the limit's doing, whatever the wall time a loaded host makes of it
    assert not result.complete and "time-limit" in result.problems


def _spin(data: bytes, filename: str, limits: Limits):  # runs in the worker: C-level sleep ignores nothing
    import signal

    signal.signal(signal.SIGALRM, signal.SIG_IGN)  # a worker stuck where the timer cannot reach
    time.sleep(60)


async def test_runaway_worker_is_killed_and_pool_recovers(monkeypatch):
    monkeypatch.setattr(runner, "HARD_GRACE", 0.5)
    pool = runner.get_pool()
    await extract_async(b"warm up")
    loop = asyncio.get_running_loop()
    # Submit a task that ignores every cooperative limit, through the same path.
    fut = loop.run_in_executor(pool, _spin, b"", "", Limits())
    await asyncio.sleep(0.2)
    started = time.monotonic()
    monkeypatch.setattr(runner, "work", _spin)
    # the parent waits for the wall bound (not the CPU limit) plus the grace
    result = await extract_async(b"hello", limits=Limits(max_seconds=60, max_wall_seconds=0.5))
    assert result.problems == ("time-limit",)
    # well before the 60 s the job sleeps and its 60 s CPU limit: the wall bound's doing
    assert time.monotonic() - started < 30
    with pytest.raises(Exception):
        await fut  # the other runaway was in the killed pool
    monkeypatch.undo()
    assert runner.get_pool() is not pool
    ok = await extract_async(b"ssn 536-22-1234")
    assert ok.complete and "536-22-1234" in ok.segments[0].text


async def test_big_file_does_not_stall_the_event_loop():
    big = g.zip_of({f"{i}.csv": b"name,ssn\nAnn,536-22-1234\n" * 2000 for i in range(200)})
    await extract_async(b"warm")
    task = asyncio.create_task(extract_async(big))
    gaps = []
    last = time.monotonic()
    while not task.done():
        await asyncio.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now
    result = await task
    assert result.complete
    assert max(gaps) < 0.25, max(gaps)


async def test_caller_thread_executor_is_used():
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="caller") as ex:
        result = await extract_async(b"hello 536-22-1234", executor=ex)
    assert result.complete and "536-22-1234" in result.segments[0].text
    assert runner._pool is None  # the shared pool was not started


def _stuck_in_worker(kind: str, limits: Limits) -> tuple[tuple[str, ...], float, float, bool]:
    """Runs in a pool worker: ``runner.work`` over a "parser" that never checks its
    budget, either burning CPU in pure Python or sleeping; (problems, CPU seconds,
    wall seconds, stopped by the wall timer)."""
    from dlp_proxy.files import core

    stopped_by_wall: list[bool] = []

    def stuck(data: bytes, budget: object, filename: str = "") -> object:
        try:
            if kind == "burn":
                n = 0
                while True:
                    n += 1
            while True:
                time.sleep(60)
        finally:
            stopped_by_wall.append(bool(getattr(budget, "wall_expired", False)))

    real = core.run
    core.run = stuck  # type: ignore[assignment]
    try:
        cpu, wall = time.process_time(), time.monotonic()
        ex = runner.work(b"x", "", limits)
        return ex.problems, time.process_time() - cpu, time.monotonic() - wall, stopped_by_wall[0]
    finally:
        core.run = real


async def test_cpu_bound_parse_is_stopped_by_the_cpu_timer():
    # the wall bound is far away: only the worker's CPU timer (ITIMER_PROF) can stop it
    loop = asyncio.get_running_loop()
    limits = Limits(max_seconds=0.3, max_wall_seconds=600)
    problems, cpu, _wall, by_wall = await loop.run_in_executor(runner.get_pool(), _stuck_in_worker, "burn", limits)
    assert problems == ("time-limit",)
    assert cpu >= 0.3 and not by_wall


async def test_sleeping_worker_is_stopped_by_the_wall_deadline():
    # no CPU spent: the CPU limit never comes; the wall timer (ITIMER_REAL) is the outer bound
    loop = asyncio.get_running_loop()
    limits = Limits(max_seconds=600, max_wall_seconds=0.3)
    problems, cpu, wall, by_wall = await loop.run_in_executor(runner.get_pool(), _stuck_in_worker, "sleep", limits)
    assert problems == ("time-limit",)
    assert wall >= 0.3 and cpu < 0.3 and by_wall
