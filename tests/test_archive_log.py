"""The writer: durability, group commit, content protection, failures, crashes, two workers."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dlp_proxy.archive import iter_records, open_archive, verify_archive
from dlp_proxy.archive.format import list_segments, public_key_bytes
from dlp_proxy.interfaces import ArchiveError

SEED = bytes(range(32))
KEYS = {"signing_key": SEED, "content_key": b"\x11" * 32, "hash_key": b"\x22" * 32}
PUB = public_key_bytes(SEED)
# Synthetic identifiers (valid shapes, made up).
SSN = "123-45-6789"
CARD = "4111 1111 1111 1111"


def content_record(i: int) -> dict:
    text = f"client {i} ssn {SSN} card {CARD} thanks"
    s1 = text.index(SSN)
    s2 = text.index(CARD)
    return {
        "type": "decision",
        "time": 1_700_000_000 + i,
        "request_id": f"r{i}",
        "action": "block",
        "_content": [
            {
                "path": "body.message",
                "text": text,
                "findings": [
                    {"entity_type": "US_SSN", "start": s1, "end": s1 + len(SSN)},
                    {"entity_type": "CREDIT_CARD", "start": s2, "end": s2 + len(CARD)},
                ],
            }
        ],
    }


def all_bytes(d: Path) -> bytes:
    return b"".join(p.read_bytes() for p in d.rglob("*") if p.is_file())


async def test_concurrent_appends_group_commit_and_order(tmp_path: Path) -> None:
    a = open_archive(tmp_path, **KEYS)
    ids = await asyncio.gather(*(a.append({"type": "decision", "n": i}) for i in range(400)))
    await a.close()
    assert len(set(ids)) == 400
    assert a.stats.records == 400
    assert a.stats.commits < 400, "concurrent awaiters must share syncs"
    recs = list(iter_records(tmp_path))
    assert [r["record_id"] for r in recs if r["type"] == "decision"] == [r["record_id"] for r in recs]
    assert sorted(r["seq"] for r in recs) == list(range(400))
    assert {r["record_id"] for r in recs} == set(ids)
    assert all(r["archive_worker"] == "w0" and r["leaf_index"] == r["seq"] for r in recs)
    assert verify_archive(tmp_path, PUB).ok


async def test_append_does_not_block_the_event_loop(tmp_path: Path) -> None:
    a = open_archive(tmp_path, **KEYS)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    t = asyncio.create_task(ticker())
    for i in range(50):
        await a.append({"type": "decision", "n": i})
    t.cancel()
    await a.close()
    assert ticks > 50  # the loop kept running while appends waited for fdatasync


@pytest.mark.parametrize("mode", ["encrypted", "masked"])
def test_raw_content_never_reaches_disk(tmp_path: Path, mode: str) -> None:
    a = open_archive(tmp_path, content_mode=mode, **KEYS)
    rid = a.append_sync(content_record(1))
    a.close_sync()
    raw = all_bytes(tmp_path)
    for secret in (SSN, CARD, "123456789", "4111111111111111", "thanks client"):
        assert secret.encode() not in raw
    (rec,) = iter_records(tmp_path)
    assert rec["record_id"] == rid and "_content" not in rec
    assert rec["content"]["mode"] == mode
    assert len(rec["content"]["items"][0]["hmac"]) == 64
    (dec,) = iter_records(tmp_path, decrypt=True, content_key=KEYS["content_key"])
    if mode == "encrypted":
        assert dec["_content"][0]["text"] == content_record(1)["_content"][0]["text"]
        assert dec["_content"][0]["findings"][0]["entity_type"] == "US_SSN"
    else:
        assert "_content" not in dec
        excerpt = rec["content"]["items"][0]["excerpt"]
        assert excerpt == "client 1 ssn [US_SSN ***6789] card [CREDIT_CARD ***1111] thanks"


def test_masked_mode_masks_missed_digit_runs(tmp_path: Path) -> None:
    a = open_archive(tmp_path, content_mode="masked", **KEYS)
    a.append_sync(
        {"type": "decision", "_content": [{"path": "m", "text": "acct 12345678 ok 42", "findings": []}]}
    )
    a.close_sync()
    (rec,) = iter_records(tmp_path)
    assert rec["content"]["items"][0]["excerpt"] == "acct [NUMBER] ok 42"


def test_wrong_content_key_fails(tmp_path: Path) -> None:
    a = open_archive(tmp_path, **KEYS)
    a.append_sync(content_record(2))
    a.close_sync()
    with pytest.raises(Exception, match="InvalidTag|"):
        list(iter_records(tmp_path, decrypt=True, content_key=b"\x99" * 32))


def test_since_until_filters(tmp_path: Path) -> None:
    a = open_archive(tmp_path, **KEYS)
    for i in range(10):
        a.append_sync({"type": "decision", "time": 1_700_000_000 + i})
    a.close_sync()
    got = [r["time"] for r in iter_records(tmp_path, since=1_700_000_003, until="2023-11-14T22:13:27Z")]
    assert got == [1_700_000_003, 1_700_000_004, 1_700_000_005, 1_700_000_006]


def test_reserved_keys_are_kept_not_clobbered(tmp_path: Path) -> None:
    a = open_archive(tmp_path, **KEYS)
    a.append_sync({"type": "x", "seq": 99, "record_id": "given-id"})
    a.close_sync()
    (rec,) = iter_records(tmp_path)
    assert rec["record_id"] == "given-id" and rec["seq"] == 0 and rec["gateway_seq"] == 99


def test_unusable_directory_and_bad_records_raise_archive_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ArchiveError):
        open_archive(blocker / "archive", **KEYS)
    a = open_archive(tmp_path / "ok", **KEYS)
    with pytest.raises(ArchiveError):
        a.append_sync({"type": "x", "bad": object()})
    with pytest.raises(ArchiveError):
        a.append_sync({"type": "x", "_content": "not a list"})
    with pytest.raises(ArchiveError):
        open_archive(tmp_path / "ok", **KEYS)  # same worker id in use
    a.close_sync()
    with pytest.raises(ArchiveError):
        a.append_sync({"type": "x"})


def test_disk_full_fails_closed(tmp_path: Path) -> None:
    """A write that hits a file size limit (EFBIG, like ENOSPC) fails the append; nothing half-written stays."""
    code = textwrap.dedent(
        """
        import resource, signal, sys, json
        from pathlib import Path
        from dlp_proxy.archive import open_archive
        from dlp_proxy.interfaces import ArchiveError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        a = open_archive(Path(sys.argv[1]), signing_key=bytes(range(32)), content_key=b"\\x11"*32, hash_key=b"\\x22"*32)
        resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000))
        ok = failed = 0
        for i in range(100):
            try:
                a.append_sync({"type": "decision", "pad": "x" * 200, "i": i})
                ok += 1
            except ArchiveError as e:
                failed += 1
        a.close_sync()
        print(json.dumps({"ok": ok, "failed": failed}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["ok"] > 5 and res["failed"] > 0 and res["ok"] + res["failed"] == 100
    # Every acknowledged record is there and the archive verifies after reopening.
    a = open_archive(tmp_path, **KEYS)
    a.close_sync()
    assert verify_archive(tmp_path, PUB).ok
    assert sum(1 for r in iter_records(tmp_path) if r["type"] == "decision") == res["ok"]


def test_rotation_seals_read_only_and_reopen_continues(tmp_path: Path) -> None:
    a = open_archive(tmp_path, max_segment_bytes=4000, **KEYS)
    for i in range(60):
        a.append_sync({"type": "decision", "i": i, "pad": "y" * 100})
    a.close_sync()
    segs = list_segments(tmp_path)["w0"]
    assert len(segs) > 3
    assert all(p.stat().st_mode & 0o777 == 0o444 for _, p in segs[:-1])
    b = open_archive(tmp_path, max_segment_bytes=4000, **KEYS)
    b.append_sync({"type": "decision", "i": 60})
    b.close_sync()
    r = verify_archive(tmp_path, PUB)
    assert r.ok and r.records == 61


@pytest.mark.parametrize(
    "tail",
    [
        b'{"rec":{"action":"block","seq":',  # interrupted write
        b"\x00" * 300,  # power loss: size extended, data never written
        b'\x00\x00{"rec":{"act\n{"rec":{"se',  # a damaged line ended by a newline, then a torn one
    ],
)
def test_torn_tail_is_kept_truncated_and_recorded(tmp_path: Path, tail: bytes) -> None:
    a = open_archive(tmp_path, **KEYS)
    ids = [a.append_sync({"type": "decision", "i": i}) for i in range(5)]
    a.close_sync()
    seg = list_segments(tmp_path)["w0"][-1][1]
    with open(seg, "ab") as f:
        f.write(tail)
    assert not verify_archive(tmp_path, PUB).ok
    b = open_archive(tmp_path, **KEYS)
    b.close_sync()
    assert verify_archive(tmp_path, PUB).ok
    recs = list(iter_records(tmp_path))
    assert [r["record_id"] for r in recs[:5]] == ids
    admin = [r for r in recs if r.get("event") == "torn_tail_truncated"]
    assert len(admin) == 1 and admin[0]["bytes"] == len(tail)
    assert (tmp_path / admin[0]["copy"]).read_bytes() == tail


def test_damage_in_the_middle_refuses_to_open(tmp_path: Path) -> None:
    a = open_archive(tmp_path, **KEYS)
    for i in range(5):
        a.append_sync({"type": "decision", "i": i})
    a.close_sync()
    seg = list_segments(tmp_path)["w0"][-1][1]
    lines = seg.read_bytes().splitlines(keepends=True)
    lines[2] = b"garbage\n"
    seg.write_bytes(b"".join(lines))
    with pytest.raises(ArchiveError, match="damaged"):
        open_archive(tmp_path, **KEYS)


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from dlp_proxy.archive import open_archive
    KEYS = dict(signing_key=bytes(range(32)), content_key=b"\\x11"*32, hash_key=b"\\x22"*32)

    async def main():
        a = open_archive(Path(sys.argv[1]), worker_id=sys.argv[2], max_segment_bytes=int(sys.argv[3]), **KEYS)
        n = 0
        limit = int(sys.argv[4])
        async def one(i):
            rid = await a.append({"type": "decision", "worker_n": i, "pad": "z" * 150,
                                  "_content": [{"path": "m", "text": "hello " + str(i), "findings": []}]})
            sys.stdout.write(rid + "\\n")
            sys.stdout.flush()
        while limit < 0 or n < limit:
            await asyncio.gather(*(one(n + k) for k in range(40)))
            n += 40
        await a.close()

    asyncio.run(main())
    """
)


@pytest.mark.slow
def test_kill_9_during_bursts_loses_no_acknowledged_record(tmp_path: Path) -> None:
    rnd = random.Random(11)
    acked: list[str] = []
    for _round in range(6):
        p = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), "w0", "20000", "-1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        target = rnd.randrange(30, 400)
        got = 0
        assert p.stdout is not None
        while got < target:
            line = p.stdout.readline()
            assert line, p.stderr.read() if p.stderr else ""
            acked.append(line.strip())
            got += 1
        time.sleep(rnd.random() * 0.05)
        os.kill(p.pid, signal.SIGKILL)
        rest, _ = p.communicate()
        acked.extend(x for x in rest.split() if x)
    # restart: recovery, then verify
    a = open_archive(tmp_path, **KEYS)
    a.close_sync()
    report = verify_archive(tmp_path, PUB)
    assert report.ok, report.problems
    stored = {r["record_id"] for r in iter_records(tmp_path)}
    missing = [x for x in acked if x not in stored]
    assert not missing, f"{len(missing)} acknowledged records lost"
    assert len(list_segments(tmp_path)["w0"]) > 1


@pytest.mark.slow
def test_two_worker_processes_write_concurrently(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), w, "30000", "400"], stdout=subprocess.PIPE, text=True
        )
        for w in ("gw1", "gw2")
    ]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert [len(o) for o in outs] == [400, 400]
    report = verify_archive(tmp_path, PUB)
    assert report.ok, report.problems
    assert set(report.workers) == {"gw1", "gw2"} and report.records == 800
    recs = list(iter_records(tmp_path, decrypt=True, content_key=KEYS["content_key"]))
    assert {r["record_id"] for r in recs} == set(outs[0]) | set(outs[1])
    stamps = [r["archived_at"] for r in recs]
    assert stamps == sorted(stamps)  # merged in archive time order
    assert {r["archive_worker"] for r in recs} == {"gw1", "gw2"}
    assert recs[0]["_content"][0]["text"].startswith("hello ")


def test_checkpoint_every_n_records_or_t_seconds(tmp_path: Path) -> None:
    now = [1000.0]  # the checkpoint clock, moved by the test (T is far longer than the run)
    a = open_archive(tmp_path, checkpoint_records=100, checkpoint_seconds=3600.0, clock=lambda: now[0], **KEYS)
    for i in range(10):
        a.append_sync({"type": "decision", "i": i})
    unsigned = verify_archive(tmp_path, PUB)
    assert not unsigned.ok and "not signed" in str(unsigned.problems[0])
    assert verify_archive(tmp_path, PUB, live=True).ok
    assert a.stats.unsigned == 9  # the first record was signed at once (T seconds since none)
    now[0] += 3600.0  # T seconds later: the next record brings a checkpoint over all 11
    a.append_sync({"type": "decision", "i": 10})
    r = verify_archive(tmp_path, PUB)
    assert r.ok and r.workers["w0"].checkpoints[-1].size == 11
    assert a.stats.unsigned == 0 and a.stats.sync_seconds > 0
    for i in range(149):
        a.append_sync({"type": "decision", "i": i})
    a.close_sync()
    r = verify_archive(tmp_path, PUB)
    sizes = [c.size for c in r.workers["w0"].checkpoints]
    # 11: first record after T seconds; 111: 100 records later; 160: close
    assert r.ok and sizes[-3:] == [11, 111, 160], sizes


def test_checkpoint_timer_signs_pending_records_without_new_ones(tmp_path: Path) -> None:
    a = open_archive(tmp_path, checkpoint_records=100, checkpoint_seconds=0.05, **KEYS)
    for i in range(3):
        a.append_sync({"type": "decision", "i": i})
    deadline = time.monotonic() + 30  # waits for an effect; never races the workload
    while a.stats.unsigned and time.monotonic() < deadline:
        time.sleep(0.01)
    assert a.stats.unsigned == 0
    r = verify_archive(tmp_path, PUB)
    assert r.ok and r.workers["w0"].checkpoints[-1].size == 3
    a.close_sync()


@pytest.mark.parametrize("worker", ["w0", "gw-1", "gw-00000001", "host.a_b-2"])
def test_worker_ids_with_hyphens_and_dots(tmp_path: Path, worker: str) -> None:
    a = open_archive(tmp_path, worker_id=worker, max_segment_bytes=1500, **KEYS)
    for i in range(20):
        a.append_sync({"type": "decision", "i": i})
    a.close_sync()
    b = open_archive(tmp_path, worker_id="other", **KEYS)
    b.append_sync({"type": "decision"})
    b.close_sync()
    r = verify_archive(tmp_path, PUB)
    assert r.ok and set(r.workers) == {worker, "other"} and r.workers[worker].segments > 1


@pytest.mark.parametrize("worker", ["", "a/b", "-x", "x" * 65, "a b"])
def test_bad_worker_ids_raise_archive_error(tmp_path: Path, worker: str) -> None:
    with pytest.raises(ArchiveError):
        open_archive(tmp_path, worker_id=worker, **KEYS)


def test_a_record_that_is_not_json_fails_alone(tmp_path: Path) -> None:
    import math

    with open_archive(tmp_path, **KEYS) as arc:
        ok1 = arc.append_sync({"type": "t", "n": 1})
        with pytest.raises(ArchiveError, match="cannot be archived"):
            arc.append_sync({"type": "t", "bad": object()})
        with pytest.raises(ArchiveError, match="cannot be archived"):
            arc.append_sync({"type": "t", "bad": math.nan})
        ok2 = arc.append_sync({"type": "t", "n": 2})
    assert verify_archive(tmp_path, PUB).ok
    assert [r["record_id"] for r in iter_records(tmp_path)] == [ok1, ok2]
    assert [r["seq"] for r in iter_records(tmp_path)] == [0, 1]


async def test_an_append_abandoned_by_its_request_does_not_stop_the_writer(tmp_path: Path) -> None:
    """A request that gives up waiting (its deadline, shutdown) cancels its await;
    the record is still written and the writer goes on serving the others."""
    arc = open_archive(tmp_path, **KEYS)
    try:
        tasks = [asyncio.create_task(arc.append({"type": "t", "n": i})) for i in range(50)]
        await asyncio.sleep(0)
        for t in tasks[::2]:
            t.cancel()
        done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        assert sum(isinstance(d, str) for d in done) == 25
        assert isinstance(await asyncio.wait_for(arc.append({"type": "t", "n": "after"}), 10), str)
    finally:
        await arc.close()
    assert verify_archive(tmp_path, PUB).ok
    assert len(list(iter_records(tmp_path))) == 51
