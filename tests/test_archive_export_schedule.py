"""The scheduled export: schedule parsing, slots under an injected clock, the gateway's job."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlp_proxy.archive import iter_records, open_archive
from dlp_proxy.archive.export.schedule import (
    Schedule,
    job_from_env,
    parse_schedule,
    run_schedule,
    start_scheduled_export,
)

UTC = dt.UTC
KEYS = {"signing_key": bytes(range(32)), "content_key": b"\x11" * 32, "hash_key": b"\x22" * 32}


def at(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=UTC)


def test_parse() -> None:
    assert parse_schedule("daily@02:00") == Schedule("daily", hour=2, minute=0)
    assert parse_schedule("hourly@:15") == Schedule("hourly", minute=15)
    assert parse_schedule("every@30m") == Schedule("every", seconds=1800)
    for bad in ("daily@24:00", "daily@2:00", "weekly@mon", "every@0m", "every@5s", "", "daily@02:00; rm"):
        with pytest.raises(ValueError):
            parse_schedule(bad)


def test_next_slot() -> None:
    d = parse_schedule("daily@02:00")
    assert d.next_after(at("2026-12-03T01:59:59")) == at("2026-12-03T02:00:00")
    assert d.next_after(at("2026-12-03T02:00:00")) == at("2026-12-04T02:00:00")
    assert parse_schedule("hourly@:15").next_after(at("2026-12-03T23:20:00")) == at("2026-12-04T00:15:00")
    assert parse_schedule("every@6h").next_after(at("2026-12-03T13:00:00")) == at("2026-12-03T18:00:00")


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)),
       st.sampled_from(["daily@02:00", "hourly@:59", "every@90s", "every@7h"]))
def test_next_slot_is_after_now_and_within_a_period(now: dt.datetime, text: str) -> None:
    s = parse_schedule(text)
    n = now.replace(tzinfo=UTC)
    nxt = s.next_after(n)
    period = {"daily": 86400, "hourly": 3600}.get(s.kind, s.seconds)
    assert n < nxt <= n + dt.timedelta(seconds=period)


def test_run_schedule_with_an_injected_clock() -> None:
    clock = [at("2026-12-03T01:00:00")]
    ran: list[dt.datetime] = []
    errors: list[BaseException] = []

    async def sleep(seconds: float) -> None:
        clock[0] += dt.timedelta(seconds=seconds)

    def job() -> None:
        ran.append(clock[0])
        if len(ran) == 2:
            raise RuntimeError("destination down")

    asyncio.run(run_schedule(parse_schedule("daily@02:00"), job, now=lambda: clock[0], sleep=sleep,
                             on_error=errors.append, max_runs=3))
    assert ran == [at("2026-12-03T02:00:00"), at("2026-12-04T02:00:00"), at("2026-12-05T02:00:00")]
    assert [str(e) for e in errors] == ["destination down"]  # a failed run does not stop the schedule


def test_the_gateway_job_exports_incrementally_and_records_each_run(tmp_path: Path) -> None:
    arch = tmp_path / "archive"
    a = open_archive(arch, worker_id="w0", **KEYS)
    a.append_sync({"type": "decision", "time": 1_700_000_000, "action": "block", "route": "posts.create"})
    env = {"DLP_EXPORT_SCHEDULE": "daily@02:00", "DLP_EXPORT_FORMAT": "jsonl", "DLP_EXPORT_DIR": str(tmp_path / "o")}
    for other in ("w0-1", "w0-2"):  # `run --workers 3`: only w0-0 runs it
        assert start_scheduled_export(env, worker_id=other, archive=a, archive_dir=arch, state_dir=tmp_path / "s",
                                      upstream="http://127.0.0.1:9") is None
    assert start_scheduled_export({**env, "DLP_EXPORT_WORKER": "gw2"}, worker_id="w0", archive=a, archive_dir=arch,
                                  state_dir=tmp_path / "s", upstream="http://127.0.0.1:9") is None
    first: Any = start_scheduled_export(env, worker_id="w0-0", archive=a, archive_dir=arch,
                                        state_dir=tmp_path / "s", upstream="http://127.0.0.1:9")
    assert first is not None
    first.close()
    coro: Any = start_scheduled_export(env, worker_id="w0", archive=a, archive_dir=arch, state_dir=tmp_path / "s",
                                       upstream="http://127.0.0.1:9")
    assert coro is not None
    coro.close()
    job = job_from_env(env, archive_dir=arch, state_dir=tmp_path / "s", upstream="http://127.0.0.1:9",
                       append=a.append_sync)
    job()
    job()  # nothing new
    a.append_sync({"type": "decision", "time": 1_700_000_060, "action": "block", "route": "posts.create"})
    job()
    a.close_sync()
    out = sorted(p.name for p in (tmp_path / "o").iterdir())
    assert len(out) == 2 and out[0].startswith("batch001-") and out[1].startswith("batch002-")
    runs = [r for r in iter_records(arch) if r.get("type") == "export"]
    assert [r["records"] for r in runs] == [1, 1]
    with pytest.raises(ValueError):
        job_from_env({"DLP_EXPORT_FORMAT": "actiance", "DLP_EXPORT_DIR": "x"}, archive_dir=arch,
                     state_dir=tmp_path, upstream="u", append=a.append_sync)  # no token: no identities
    with pytest.raises(ValueError):
        job_from_env({"DLP_EXPORT_FORMAT": "jsonl"}, archive_dir=arch, state_dir=tmp_path, upstream="u",
                     append=a.append_sync)  # no destination
    with pytest.raises(ValueError, match="globalrelay"):
        job_from_env({"DLP_EXPORT_FORMAT": "csv", "DLP_EXPORT_SMTP_HOST": "h", "DLP_EXPORT_SMTP_TO": "t",
                      "DLP_EXPORT_TOKEN": "x"}, archive_dir=arch, state_dir=tmp_path, upstream="u",
                     append=a.append_sync)  # SMTP carries Global Relay only
