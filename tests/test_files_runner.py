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
    started = time.monotonic()
    result = await extract_async(data, limits=Limits(max_seconds=0.3))
    assert time.monotonic() - started < 0.3 + runner.HARD_GRACE + 5  # pool start included
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
    result = await extract_async(b"hello", limits=Limits(max_seconds=0.5))
    assert result.problems == ("time-limit",)
    assert time.monotonic() - started < 3
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
