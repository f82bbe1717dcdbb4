"""Tamper tests: every modification of an archive written by the real writer is detected."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dlp_proxy.archive import open_archive, verify_archive
from dlp_proxy.archive.format import canonical, list_segments, public_key_bytes, sign_checkpoint
from dlp_proxy.archive.storage import LocalReplica
from dlp_proxy.archive.verify import load_worker

SEED = bytes(range(32))
KEYS = {"signing_key": SEED, "content_key": b"\x11" * 32, "hash_key": b"\x22" * 32}
PUB = public_key_bytes(SEED)


def make_records(n: int, rnd: random.Random) -> list[dict]:
    out = []
    for i in range(n):
        out.append(
            {
                "type": rnd.choice(["decision", "failure", "review", "admin"]),
                "time": 1_700_000_000 + i,
                "request_id": f"req-{i}",
                "action": rnd.choice(["allow", "block", "quarantine", "redact"]),
                "context": {"user_id": f"u{rnd.randrange(9)}", "channel_id": f"c{rnd.randrange(4)}"},
                "entity_counts": {"US_SSN": rnd.randrange(3)},
                "note": "".join(rnd.choice("abcdefghij ") for _ in range(rnd.randrange(5, 60))),
            }
        )
    return out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pristine") / "archive"
    rnd = random.Random(1)
    a = open_archive(d, max_segment_bytes=12_000, **KEYS)
    for batch in range(30):
        for rec in make_records(10, rnd):
            rec["batch"] = batch
            a.append_sync(rec)
    a.close_sync()
    assert verify_archive(d, PUB).ok
    return d


def copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for p in dst.iterdir():
        os.chmod(p, 0o644)
    return dst


def segment_lines(d: Path) -> list[tuple[Path, int, dict]]:
    """(file, line index, object) of every line in every segment."""
    out = []
    for _, path in list_segments(d)["w0"]:
        for i, raw in enumerate(path.read_bytes().splitlines()):
            out.append((path, i, json.loads(raw)))
    return out


def rewrite(path: Path, fn) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(fn(lines)))


def first_problem(d: Path, **kw) -> str:
    report = verify_archive(d, PUB, **kw)
    assert not report.ok, "tampering went undetected"
    return str(report.problems[0])


def test_pristine_archive_verifies(pristine: Path) -> None:
    r = verify_archive(pristine, PUB)
    assert r.ok and r.records == 300 and not r.warnings
    assert len(list_segments(pristine)["w0"]) > 3
    for _, p in list_segments(pristine)["w0"][:-1]:
        assert (p.stat().st_mode & 0o777) == 0o444


def test_bit_flips_anywhere_are_detected(pristine: Path, tmp_path: Path) -> None:
    rnd = random.Random(2)
    segs = [p for _, p in list_segments(pristine)["w0"]]
    for trial in range(120):
        d = copy(pristine, tmp_path / f"t{trial}")
        path = d / rnd.choice(segs).name
        data = bytearray(path.read_bytes())
        pos = rnd.randrange(len(data))
        data[pos] ^= 1 << rnd.randrange(8)
        path.write_bytes(bytes(data))
        first_problem(d)
        shutil.rmtree(d)


def test_modified_record_is_named(pristine: Path, tmp_path: Path) -> None:
    rnd = random.Random(3)
    recs = [(p, i, o) for p, i, o in segment_lines(pristine) if "rec" in o]
    for trial in range(40):
        d = copy(pristine, tmp_path / f"m{trial}")
        p, i, o = rnd.choice(recs)
        rec = o["rec"]
        field = rnd.choice(["action", "note", "time", "request_id", "context"])
        rec[field] = {"action": "allow", "note": "edited", "time": 1, "request_id": "x", "context": {}}[field]
        if rec[field] == o["rec"].get(field):
            continue
        rewrite(d / p.name, lambda ls: [*ls[:i], canonical({"rec": rec}) + b"\n", *ls[i + 1 :]])
        msg = first_problem(d)
        assert f"record seq {rec['seq']} " in msg, msg
        shutil.rmtree(d)


def test_deleted_inserted_reordered_records(pristine: Path, tmp_path: Path) -> None:
    rnd = random.Random(4)
    all_lines = segment_lines(pristine)
    recs = [(p, i, o) for p, i, o in all_lines if "rec" in o]
    for trial in range(30):
        p, i, o = rnd.choice(recs)
        seq = o["rec"]["seq"]
        # deletion
        d = copy(pristine, tmp_path / f"d{trial}")
        rewrite(d / p.name, lambda ls: [*ls[:i], *ls[i + 1 :]])
        msg = first_problem(d)
        assert f"seq {seq}" in msg, msg
        shutil.rmtree(d)
        # insertion of a forged record right before it (correct chain from outside is impossible
        # without rewriting everything after it)
        d = copy(pristine, tmp_path / f"i{trial}")
        forged = dict(o["rec"], record_id="forged", note="inserted")
        rewrite(d / p.name, lambda ls: [*ls[:i], canonical({"rec": forged}) + b"\n", *ls[i:]])
        first_problem(d)
        shutil.rmtree(d)
        # duplication of a line
        d = copy(pristine, tmp_path / f"u{trial}")
        rewrite(d / p.name, lambda ls: [*ls[: i + 1], ls[i], *ls[i + 1 :]])
        assert f"seq {seq}" in first_problem(d)
        shutil.rmtree(d)
        # swap with the next line (record, checkpoint or seal)
        d = copy(pristine, tmp_path / f"s{trial}")
        lines = (d / p.name).read_bytes().splitlines(keepends=True)
        if i + 1 < len(lines):
            rewrite(d / p.name, lambda ls: [*ls[:i], ls[i + 1], ls[i], *ls[i + 2 :]])
            first_problem(d)
        shutil.rmtree(d)


def test_truncation(pristine: Path, tmp_path: Path) -> None:
    segs = [p for _, p in list_segments(pristine)["w0"]]
    rnd = random.Random(5)
    for trial in range(20):
        d = copy(pristine, tmp_path / f"c{trial}")
        path = d / rnd.choice(segs).name
        data = path.read_bytes()
        path.write_bytes(data[: rnd.randrange(1, len(data) - 1)])
        first_problem(d)
        shutil.rmtree(d)
    # whole segments deleted: a middle one, the last one
    d = copy(pristine, tmp_path / "seg-mid")
    (d / segs[1].name).unlink()
    assert "segment 2 is missing" in first_problem(d)
    d = copy(pristine, tmp_path / "seg-last")
    (d / segs[-1].name).unlink()
    assert "successor" in first_problem(d)


def test_truncation_at_a_checkpoint_needs_an_anchor(tmp_path: Path) -> None:
    """Cutting the active segment back to an earlier checkpoint leaves a self-consistent
    shorter log; only a checkpoint kept elsewhere (replica, S3) reveals it."""
    d = tmp_path / "a"
    rep = LocalReplica(tmp_path / "replica")
    a = open_archive(d, replicas=[rep], ship_checkpoint_seconds=0.0, **KEYS)
    for rec in make_records(20, random.Random(6)):
        a.append_sync(rec)
    a.close_sync()
    anchors = list(rep.checkpoints())
    assert verify_archive(d, PUB, anchors=anchors).ok
    path = list_segments(d)["w0"][-1][1]
    lines = path.read_bytes().splitlines(keepends=True)
    # keep records 0..9 and the checkpoint after record 9
    cut = next(i for i, ln in enumerate(lines) if b'"cp"' in ln and b'"size":10,' in ln)
    path.write_bytes(b"".join(lines[: cut + 1]))
    assert verify_archive(d, PUB).ok  # undetectable from the files alone
    msg = first_problem(d, anchors=anchors)
    assert "deleted (log truncated)" in msg and "seq 10" in msg


def test_checkpoint_edits_and_forgeries(pristine: Path, tmp_path: Path) -> None:
    cps = [(p, i, o) for p, i, o in segment_lines(pristine) if "cp" in o]
    other = Ed25519PrivateKey.generate().private_bytes_raw()
    rnd = random.Random(8)
    edits = {
        "size": lambda cp: cp["size"] + 1,
        "root": lambda cp: "00" * 32,
        "time": lambda cp: "2020-01-01T00:00:00.000000Z",
        "origin": lambda cp: "dlp-proxy/archive/w9",
        "last_leaf": lambda cp: "11" * 32,
        "sealed": lambda cp: not cp.get("sealed"),
    }
    for trial in range(24):
        p, i, o = rnd.choice(cps)
        field = list(edits)[trial % len(edits)]
        cp = dict(o["cp"])
        cp[field] = edits[field](cp)
        for resign in (False, True):
            d = copy(pristine, tmp_path / f"k{trial}{resign}")
            line = sign_checkpoint(other, cp) if resign else {"cp": cp, "sig": o["sig"]}
            rewrite(d / p.name, lambda ls: [*ls[:i], canonical(line) + b"\n", *ls[i + 1 :]])
            assert "checkpoint" in first_problem(d)
            shutil.rmtree(d)
    # A fully re-signed forged log (attacker rewrote a record and every checkpoint with their key)
    d = copy(pristine, tmp_path / "forged")
    for p, i, o in segment_lines(d):
        if "cp" in o:
            line = sign_checkpoint(other, o["cp"])
            rewrite(p, lambda ls: [*ls[:i], canonical(line) + b"\n", *ls[i + 1 :]])
    assert "bad signature" in first_problem(d)


def test_cli_verify_exit_codes(pristine: Path, tmp_path: Path) -> None:
    keydir = tmp_path / "data" / "keys"
    keydir.mkdir(parents=True)
    (keydir / "archive-signing.ed25519").write_bytes(SEED)
    env = {**os.environ, "DLP_DATA_DIR": str(tmp_path / "data")}
    d = copy(pristine, tmp_path / "data" / "archive")
    ok = subprocess.run(
        [sys.executable, "-m", "dlp_proxy.cli", "archive", "verify"], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK, 300 records" in ok.stdout
    p, i, o = next(x for x in segment_lines(d) if "rec" in x[2] and x[2]["rec"]["seq"] == 42)
    rewrite(p, lambda ls: [*ls[:i], *ls[i + 1 :]])
    bad = subprocess.run(
        [sys.executable, "-m", "dlp_proxy.cli", "archive", "verify", "--dir", str(d)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "record seq 42 is missing (deleted)" in bad.stdout


def test_load_worker_gives_proof_material(pristine: Path) -> None:
    wl = load_worker(pristine, "w0", list_segments(pristine)["w0"], PUB)
    assert len(wl.leaves) == 300 and wl.checkpoints[-1].size == 300
