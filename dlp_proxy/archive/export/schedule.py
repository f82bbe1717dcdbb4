"""Scheduled incremental exports, run by the gateway (``DLP_EXPORT_SCHEDULE``).

Schedules (UTC): ``daily@02:00``, ``hourly@:15`` (minute past each hour),
``every@30m`` / ``every@6h`` / ``every@90s``.  Each slot runs one incremental export
(``job.run_export``) in a thread; a failed run is logged and archived as an
``export`` record with ``status: failed`` (the custody trail shows the gap) and the
next slot retries: the high-water mark did not move, so nothing is lost.

Configuration (environment of the gateway, read once at start-up; a bad value stops
the start-up):

=============================  ==========================================================
``DLP_EXPORT_SCHEDULE``        the schedule; unset = no scheduled export
``DLP_EXPORT_FORMAT``          actiance (default) | globalrelay | csv | jsonl
``DLP_EXPORT_DIR``             destination directory, or
``DLP_EXPORT_S3_BUCKET``       an S3 bucket (``DLP_EXPORT_S3_PREFIX``, ``DLP_EXPORT_S3_ENDPOINT_URL``), or
``DLP_EXPORT_SMTP_HOST``       an SMTP server (``_PORT`` 587, ``_TO``, ``_USER``, ``_PASSWORD``, ``_CAFILE``)
``DLP_EXPORT_TOKEN``           a Mattermost system account's token (identities); URL = the upstream
``DLP_EXPORT_DECRYPT``         1 = stopped posts in clear (the gateway holds the content key)
``DLP_EXPORT_WORKER``          the gateway worker that runs it (default: the only one, or ``<id>-0`` of ``--workers``)
=============================  ==========================================================

Only one export runs per state file at a time (an ``flock`` in ``job.run_export``),
so a CLI run and the scheduled one cannot interleave.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("dlp_proxy.export")

_DAILY = re.compile(r"^daily@([01]\d|2[0-3]):([0-5]\d)$")
_HOURLY = re.compile(r"^hourly@:([0-5]\d)$")
_EVERY = re.compile(r"^every@([1-9]\d{0,5})([smh])$")


@dataclass(frozen=True, slots=True)
class Schedule:
    kind: str  # daily | hourly | every
    hour: int = 0
    minute: int = 0
    seconds: int = 0

    def next_after(self, now: dt.datetime) -> dt.datetime:
        """The first slot strictly after ``now`` (aware, UTC)."""
        now = now.astimezone(dt.UTC)
        if self.kind == "every":
            epoch = int(now.timestamp())
            return dt.datetime.fromtimestamp((epoch // self.seconds + 1) * self.seconds, dt.UTC)
        if self.kind == "hourly":
            slot = now.replace(minute=self.minute, second=0, microsecond=0)
            return slot if slot > now else slot + dt.timedelta(hours=1)
        slot = now.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        return slot if slot > now else slot + dt.timedelta(days=1)


def parse_schedule(text: str) -> Schedule:
    s = text.strip()
    if m := _DAILY.match(s):
        return Schedule("daily", hour=int(m.group(1)), minute=int(m.group(2)))
    if m := _HOURLY.match(s):
        return Schedule("hourly", minute=int(m.group(1)))
    if m := _EVERY.match(s):
        n = int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]
        if n < 10:
            raise ValueError("an export schedule shorter than 10 seconds")
        return Schedule("every", seconds=n)
    raise ValueError("DLP_EXPORT_SCHEDULE must be daily@HH:MM, hourly@:MM or every@N(s|m|h) (UTC)")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def run_schedule(schedule: Schedule, job: Callable[[], Any], *,
                       now: Callable[[], dt.datetime] = utc_now,
                       sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                       on_error: Callable[[BaseException], Any] | None = None,
                       max_runs: int | None = None) -> None:
    """Sleep to each slot, run ``job`` in a thread; errors go to ``on_error`` and the loop goes on."""
    runs = 0
    while max_runs is None or runs < max_runs:
        target = schedule.next_after(now())
        while (delay := (target - now()).total_seconds()) > 0:
            await sleep(min(delay, 60.0))  # re-reads the clock: a suspended host does not skip a slot
        runs += 1
        try:
            await asyncio.to_thread(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("scheduled export failed", extra={"error_type": type(exc).__name__})
            if on_error is not None:
                on_error(exc)


def job_from_env(env: Mapping[str, str], *, archive_dir: Path, state_dir: Path, upstream: str,
                 append: Callable[[dict[str, Any]], Any]) -> Callable[[], Any]:
    """The export job the environment describes; raises ValueError for a bad configuration."""
    from dlp_proxy.archive.export.delivery import DirectoryDestination, S3Destination, SmtpDestination
    from dlp_proxy.archive.export.identity import MattermostIdentities
    from dlp_proxy.archive.export.job import FORMATS, run_export, state_path
    from dlp_proxy.archive.verify import iter_records

    fmt = env.get("DLP_EXPORT_FORMAT", "actiance")
    if fmt not in FORMATS:
        raise ValueError(f"DLP_EXPORT_FORMAT must be one of {', '.join(FORMATS)}")
    dest: Any
    if env.get("DLP_EXPORT_DIR"):
        dest = DirectoryDestination(Path(env["DLP_EXPORT_DIR"]))
    elif env.get("DLP_EXPORT_S3_BUCKET"):
        kw = {"endpoint_url": env["DLP_EXPORT_S3_ENDPOINT_URL"]} if env.get("DLP_EXPORT_S3_ENDPOINT_URL") else {}
        dest = S3Destination(env["DLP_EXPORT_S3_BUCKET"], env.get("DLP_EXPORT_S3_PREFIX", "dlp-exports/"), kw)
    elif env.get("DLP_EXPORT_SMTP_HOST"):
        if fmt != "globalrelay":
            raise ValueError("SMTP delivery carries Global Relay EMLs: DLP_EXPORT_FORMAT=globalrelay")
        if not env.get("DLP_EXPORT_SMTP_TO"):
            raise ValueError("DLP_EXPORT_SMTP_HOST needs DLP_EXPORT_SMTP_TO")
        dest = SmtpDestination(env["DLP_EXPORT_SMTP_HOST"], int(env.get("DLP_EXPORT_SMTP_PORT", "587")),
                               env["DLP_EXPORT_SMTP_TO"], username=env.get("DLP_EXPORT_SMTP_USER") or None,
                               password=env.get("DLP_EXPORT_SMTP_PASSWORD") or None,
                               cafile=env.get("DLP_EXPORT_SMTP_CAFILE") or None)
    else:
        raise ValueError("a scheduled export needs DLP_EXPORT_DIR, DLP_EXPORT_S3_BUCKET or DLP_EXPORT_SMTP_HOST")
    token = env.get("DLP_EXPORT_TOKEN")
    if fmt != "jsonl" and not token:
        raise ValueError("a scheduled export needs DLP_EXPORT_TOKEN (identities come from Mattermost)")
    clear = env.get("DLP_EXPORT_DECRYPT", "") == "1"
    state = state_path(state_dir, fmt, dest.describe())
    from dlp_proxy.archive.export.identity import IdentityCache, StaticIdentities

    cache = IdentityCache(float(env.get("DLP_EXPORT_IDENTITY_TTL", "3600")))

    def job() -> None:
        ids: Any = MattermostIdentities(upstream, token, cache=cache) if token else StaticIdentities({})
        try:
            result = run_export(
                iter_records(archive_dir, decrypt=clear), fmt, ids, dest, state_file=state, append=append,
                existing_exports=lambda: (r for r in iter_records(archive_dir) if r.get("type") == "export"),
                clear=clear,
            )
        finally:
            if isinstance(ids, MattermostIdentities):
                ids.close()
        art = result.artifact
        log.info("scheduled export", extra={"records": art.records if art else 0,
                                            "name": art.name if art else None, "destination": result.destination})

    job.destination = dest.describe()  # type: ignore[attr-defined]
    job.format = fmt  # type: ignore[attr-defined]
    return job


def start_scheduled_export(env: Mapping[str, str], *, worker_id: str, archive: Any, archive_dir: Path,
                           state_dir: Path, upstream: str) -> Awaitable[None] | None:
    """The coroutine the gateway runs as a background task, or None when no schedule is set
    (or another worker runs it).  Raises ValueError for a bad configuration."""
    text = env.get("DLP_EXPORT_SCHEDULE")
    if not text:
        return None
    schedule = parse_schedule(text)
    chosen = env.get("DLP_EXPORT_WORKER")
    if chosen is not None and worker_id != chosen:
        return None
    if chosen is None and "-" in worker_id and not worker_id.endswith("-0"):
        return None  # `run --workers N` names its processes <id>-0..N-1: the first one runs it
    job = job_from_env(env, archive_dir=archive_dir, state_dir=state_dir, upstream=upstream,
                       append=archive.append_sync)

    def failed(exc: BaseException) -> None:
        try:
            archive.append_sync({"type": "export", "status": "failed", "format": job.format,  # type: ignore[attr-defined]
                                 "destination": job.destination,  # type: ignore[attr-defined]
                                 "error_type": type(exc).__name__, "error": str(exc)[:300]})
        except Exception:
            log.exception("could not archive a failed scheduled export")

    return run_schedule(schedule, job, on_error=failed)


def check_export_env(env: Mapping[str, str]) -> None:
    """Raise ValueError for a bad scheduled-export configuration (called before anything starts)."""
    if env.get("DLP_EXPORT_SCHEDULE"):
        parse_schedule(env["DLP_EXPORT_SCHEDULE"])
        job_from_env(env, archive_dir=Path("."), state_dir=Path("."), upstream="", append=lambda r: None)
