"""Hyperscan databases compiled once per gateway (dlp_proxy/detect/hsdb.py).

Each check runs in fresh interpreters with different hash seeds, as the gateway and
its workers are: a database is reused only for the same expressions and flags, the
detector's patterns are the same in every process (a set's order once made each
worker's context regexes differ), and a detector built from loaded databases finds
exactly what one built from compiled ones finds.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("hyperscan")

ROOT = Path(__file__).resolve().parent.parent

# synthetic identifiers in the shapes the recognizers read (none is a real person's)
TEXTS = [
    "all clear, see you at the standup",
    "client SSN 536-22-8710 for the transfer form",
    "wire to routing 021000021 acct 483920175532",
    "card 4111 1111 1111 1111 exp 09/29",
    "IBAN GB82 WEST 1234 5698 7654 32 for the payout",
    "social is five three six two two eight seven one oh",
    "| name | account |\n|---|---|\n| j smith | 5512340098 |\n",
]

_BUILD = r"""
import json, pickle, sys
from dlp_proxy.detect import build_detector, gatescan, hsdb
from dlp_proxy.model import ContentItem
mode, blobs_path, texts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if len(sys.argv) > 4:
    hsdb.use_disk(sys.argv[4])
before = dict(hsdb.counts)
if mode == "load":
    hsdb.preload(pickle.loads(open(blobs_path, "rb").read()))
detector = build_detector(None, ner=False)
built = {k: hsdb.counts[k] - before[k] for k in before}
built_keys = sorted(hsdb.exported())  # the build's databases (scans may compile more after it)
if mode == "dump":
    open(blobs_path, "wb").write(pickle.dumps(hsdb.exported()))
result = detector.scan([ContentItem(str(i), t) for i, t in enumerate(texts)])
findings = sorted((item.item.path, f.entity_type, f.start, f.end) for item in result for f in item.findings)
print(json.dumps({"built": built, "built_keys": built_keys, "patterns": [[e.decode("latin-1"), f] for e, f in gatescan._SCANNER.exprs],
                  "findings": findings}))
"""


def _run(mode: str, blobs: Path, seed: str, disk: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", _BUILD, mode, str(blobs), json.dumps(TEXTS),
                          *([str(disk)] if disk is not None else [])], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture(autouse=True)
def _no_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's builds compile, as without the session's cache (tests/conftest.py)."""
    from dlp_proxy.detect import hsdb

    monkeypatch.setattr(hsdb, "_disk", None)


def test_a_worker_loads_the_gateways_databases_and_finds_the_same(tmp_path: Path) -> None:
    blobs = tmp_path / "dbs.pickle"
    gateway = _run("dump", blobs, "1")
    worker = _run("load", blobs, "2")  # another hash seed, as another process has
    alone = _run("none", blobs, "3")
    assert gateway["built"]["compiled"] > 0
    # the worker compiled nothing while building: every database came from the gateway's
    # (the gateway itself loads some it compiled once already: a pattern's probe, then its
    # database of its own, detect/gatescan.py ``partition``)
    assert worker["built"] == {"compiled": 0, "loaded": sum(gateway["built"].values())}, worker["built"]
    assert gateway["patterns"] == worker["patterns"] == alone["patterns"]
    assert gateway["findings"] == worker["findings"] == alone["findings"]
    assert {f[1] for f in alone["findings"]} >= {"US_SSN", "ABA_ROUTING_NUMBER", "CREDIT_CARD", "IBAN_CODE"}


def test_a_database_is_reused_only_for_the_same_expressions_and_flags() -> None:
    from dlp_proxy.detect import hsdb

    hs: Any = pytest.importorskip("hyperscan")
    saved = hsdb.exported()
    try:
        db = hsdb.compile_db([rb"acct\d{4}", b"abc"], [0, hs.HS_FLAG_CASELESS])
        key_count = len(hsdb.exported())

        assert _found(db, b"ACCT1234 ABC acct1234") == [1, 0]
        compiled = hsdb.counts["compiled"]
        again = hsdb.compile_db([rb"acct\d{4}", b"abc"], [0, hs.HS_FLAG_CASELESS])
        assert hsdb.counts["compiled"] == compiled and _found(again, b"ACCT1234 ABC acct1234") == [1, 0]
        # other flags, other order, one more expression: compiled anew, with their own meaning
        other = hsdb.compile_db([rb"acct\d{4}", b"abc"], [hs.HS_FLAG_CASELESS, 0])
        assert _found(other, b"ACCT1234 ABC acct1234") == [0, 0]
        swapped = hsdb.compile_db([b"abc", rb"acct\d{4}"], [hs.HS_FLAG_CASELESS, 0])
        assert _found(swapped, b"ABC acct1234") == [0, 1]
        assert hsdb.counts["compiled"] == compiled + 2 and len(hsdb.exported()) == key_count + 2
    finally:
        hsdb._SERIALIZED.clear()
        hsdb.preload(saved)


def _found(db: Any, data: bytes) -> list[int]:
    """The ids ``db`` matches in ``data``, in order."""
    found: list[int] = []
    db.scan(data, match_event_handler=lambda i, _f, _t, _fl, _c: found.append(i),
            scratch=pytest.importorskip("hyperscan").Scratch(db))
    return found


def test_a_database_hyperscan_will_not_load_is_compiled_again() -> None:
    from dlp_proxy.detect import hsdb

    saved = hsdb.exported()
    try:
        hsdb.compile_db([b"needle"], [0])
        key = next(k for k, v in hsdb.exported().items() if k not in saved)
        hsdb._SERIALIZED[key] = b"\0" * 64  # another platform's, or damaged
        compiled = hsdb.counts["compiled"]
        db = hsdb.compile_db([b"needle"], [0])
        assert _found(db, b"a needle") == [0] and hsdb.counts["compiled"] == compiled + 1
    finally:
        hsdb._SERIALIZED.clear()
        hsdb.preload(saved)


def test_the_exported_databases_pickle_small_enough_for_a_workers_start() -> None:
    from dlp_proxy.detect import build_detector, hsdb

    build_detector(None, ner=False)
    size = len(pickle.dumps(hsdb.exported()))
    assert 0 < size < 64 * 1024 * 1024, size


# -- kept on disk (DLP_DETECTOR_CACHE) ------------------------------------------------------


def test_a_restart_loads_what_the_first_start_kept_on_disk(tmp_path: Path) -> None:
    disk = tmp_path / "cache" / "hyperscan"
    first = _run("none", tmp_path / "unused", "1", disk)
    files = sorted(disk.glob("*.hsdb"))
    # what the build compiled, and what the scans compiled after it (the context spans)
    assert first["built"]["compiled"] > 0 and len(files) >= first["built"]["compiled"]
    assert disk.stat().st_mode & 0o777 == 0o700
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    assert not list(disk.glob(".tmp-*"))
    second = _run("none", tmp_path / "unused", "2", disk)  # another process, another hash seed
    assert second["built"] == {"compiled": 0, "loaded": sum(first["built"].values())}, second["built"]
    assert second["patterns"] == first["patterns"] and second["findings"] == first["findings"]


def test_a_damaged_file_is_compiled_again_and_rewritten_never_loaded(tmp_path: Path) -> None:
    import hashlib

    from dlp_proxy.detect import hsdb

    disk = tmp_path / "hs"
    first = _run("none", tmp_path / "unused", "1", disk)
    # four of the build's own databases (one a scan compiled after it is not rebuilt at a start)
    files = sorted((f for f in disk.glob("*.hsdb") if f.stem in set(first["built_keys"])), key=lambda f: f.stat().st_size)
    assert len(files) >= 4
    head = len(hsdb._MAGIC) + 32
    cut, flipped, magic, foreign = files[-1], files[-2], files[-3], files[-4]
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # a write cut short
    raw = bytearray(flipped.read_bytes())
    raw[head + len(raw[head:]) // 2] ^= 0x01  # one bit of the database
    flipped.write_bytes(bytes(raw))
    magic.write_bytes(b"x" + magic.read_bytes()[1:])
    garbage = b"\x7f" * 256  # its digest is right, but Hyperscan refuses it (another version's)
    foreign.write_bytes(hsdb._MAGIC + hashlib.sha256(garbage).digest() + garbage)
    again = _run("none", tmp_path / "unused", "2", disk)
    assert again["built"]["compiled"] == 4, again["built"]
    assert again["findings"] == first["findings"] and again["patterns"] == first["patterns"]
    third = _run("none", tmp_path / "unused", "3", disk)  # rewritten whole
    assert third["built"]["compiled"] == 0, third["built"]


def test_the_disk_is_pruned_least_recently_used_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dlp_proxy.detect import hsdb

    monkeypatch.setattr(hsdb, "_SERIALIZED", {})
    hsdb.use_disk(tmp_path)
    hsdb.compile_db([b"first-needle"], [0])
    one = next(tmp_path.glob("*.hsdb"))
    monkeypatch.setattr(hsdb, "DISK_MAX_BYTES", one.stat().st_size * 2 + 1)
    hsdb.compile_db([b"second-needle"], [0])
    os.utime(one, (1, 1))  # used long ago
    hsdb.compile_db([b"third-needle"], [0])  # three files past the bound: the oldest goes
    assert not one.exists() and len(list(tmp_path.glob("*.hsdb"))) == 2
    monkeypatch.setattr(hsdb, "_SERIALIZED", {})
    compiled = hsdb.counts["compiled"]
    hsdb.compile_db([b"third-needle"], [0])
    assert hsdb.counts["compiled"] == compiled  # loaded from the disk


def test_a_cache_that_cannot_be_written_costs_the_compilation_not_the_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from dlp_proxy.detect import hsdb

    monkeypatch.setattr(hsdb, "_SERIALIZED", {})
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    hsdb.use_disk(blocked / "hyperscan")
    compiled = hsdb.counts["compiled"]
    db = hsdb.compile_db([b"lonely-needle"], [0])
    assert _found(db, b"a lonely-needle") == [0] and hsdb.counts["compiled"] == compiled + 1
    assert "could not keep a compiled Hyperscan database" in caplog.text


def test_the_setting_and_its_default_place() -> None:
    from dlp_proxy.settings import Settings, load_settings

    cfg = load_settings(env={"DLP_DATA_DIR": "/srv/dlp"})
    assert cfg.detector_cache_path == Path("/srv/dlp/cache/hyperscan")
    assert load_settings(env={"DLP_DATA_DIR": "/srv/dlp", "DLP_DETECTOR_CACHE": "off"}).detector_cache_path is None
    assert load_settings(env={"DLP_DETECTOR_CACHE_DIR": "/var/cache/dlp"}).detector_cache_path == Path("/var/cache/dlp")
    assert Settings.model_validate({}).detector_cache is True


def test_a_gateway_keeps_its_databases_for_its_next_start(simulator: Any, tmp_path: Path) -> None:
    from tests.conftest import assert_post_stopped, start_gateway, stop

    cache = tmp_path / "cache"
    gw = start_gateway(simulator, tmp_path / "gw", env={"DLP_DETECTOR_CACHE_DIR": str(cache)})
    try:
        kept = {f.name for f in cache.glob("*.hsdb")}
        assert len(kept) > 10
    finally:
        stop(gw.proc)
    gw = start_gateway(simulator, tmp_path / "gw", env={"DLP_DETECTOR_CACHE_DIR": str(cache)})
    try:
        assert {f.name for f in cache.glob("*.hsdb")} == kept  # nothing compiled anew
        assert_post_stopped(gw, "wire to routing 021000021 acct 483920175532")  # judged by the detector built from them
    finally:
        stop(gw.proc)


_CLI_DETECTOR = r"""
import json
from dlp_proxy.cli.quarantine import _gateway_detector
from dlp_proxy.detect import hsdb
from dlp_proxy.settings import load_settings
before = dict(hsdb.counts)
_gateway_detector(load_settings())
print(json.dumps({k: hsdb.counts[k] - before[k] for k in before}))
"""


def test_the_quarantine_commands_detector_loads_the_gateways_databases(tmp_path: Path) -> None:
    # ``dlp-proxy quarantine approve`` masks the reason with the gateway's detector: built
    # from the gateway's cache of compiled databases (DLP_DETECTOR_CACHE_DIR), not compiled
    cache = tmp_path / "hs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLP_")}
    env.update({"DLP_DATA_DIR": str(tmp_path / "data"), "DLP_DETECTOR_CACHE_DIR": str(cache)})

    def build(extra: dict[str, str]) -> dict[str, int]:
        out = subprocess.run([sys.executable, "-c", _CLI_DETECTOR], cwd=ROOT, env={**env, **extra},
                             capture_output=True, text=True, timeout=300, check=True).stdout
        return dict(json.loads(out.strip().splitlines()[-1]))

    first = build({})
    assert first["compiled"] > 0 and any(cache.glob("*.hsdb"))
    again = build({})
    assert again == {"compiled": 0, "loaded": first["compiled"] + first["loaded"]}, again
    off = build({"DLP_DETECTOR_CACHE": "false"})  # the gateway keeps none: compiled
    assert off["compiled"] == first["compiled"] + first["loaded"], off
