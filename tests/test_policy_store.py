"""PolicyStore: reload keeps the old policy on an invalid file; no half-loaded policy under load."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from dlp_proxy.model import Action
from dlp_proxy.policy import PolicyError, PolicyStore
from dlp_proxy.policy.testing import SSN, ctx, item

BLOCKING = """
rules:
  - {id: a-block, action: block, match: {entities: [US_SSN]}}
  - {id: b-block, action: block, match: {entities: [CREDIT_CARD]}}
"""
HOLDING = """
rules:
  - {id: a-hold, action: quarantine, match: {entities: [US_SSN]}}
  - {id: b-hold, action: quarantine, match: {entities: [CREDIT_CARD]}}
"""


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_reload_swaps_and_keeps_old_on_invalid(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    _write(path, BLOCKING)
    seen: list[tuple[bool, str]] = []
    store = PolicyStore(path, hash_key=b"k" * 32, on_reload=lambda ok, msg: seen.append((ok, msg)))
    v1 = store.version
    msg_item = [item(f"ssn {SSN}", [("US_SSN", SSN)])]
    assert store.current.evaluate(msg_item, ctx()).action == Action.BLOCK

    _write(path, HOLDING)
    ok, message = store.reload()
    assert ok and v1 in message and store.version != v1
    assert store.current.evaluate(msg_item, ctx()).action == Action.QUARANTINE
    v2 = store.version

    _write(path, HOLDING.replace("quarantine", "quarantin", 1))
    ok, message = store.reload()
    assert not ok
    assert f"keeping version {v2}" in message
    assert f"{path}:3:" in message and "rules[0].action" in message
    assert store.version == v2 and store.last_error
    assert store.current.evaluate(msg_item, ctx()).action == Action.QUARANTINE

    path.unlink()
    ok, message = store.reload()
    assert not ok and "cannot read" in message and store.version == v2

    _write(path, HOLDING)
    ok, message = store.reload()
    assert ok and "unchanged" in message and store.last_error is None
    assert [s[0] for s in seen] == [True, False, False]


def test_invalid_at_start_raises(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    _write(path, "rules: [")
    with pytest.raises(PolicyError):
        PolicyStore(path)


def test_check_detects_change_by_stamp_and_content(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    _write(path, BLOCKING)
    store = PolicyStore(path, hash_key=b"k" * 32)
    assert store.check() is None
    # touched but identical content: no reload
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    assert store.check() is None
    _write(path, HOLDING)
    result = store.check()
    assert result is not None and result[0]
    assert store.current.rule("a-hold") is not None


def test_watch_thread_picks_up_changes(tmp_path: Path):
    path = tmp_path / "policy.yaml"
    _write(path, BLOCKING)
    store = PolicyStore(path, hash_key=b"k" * 32)
    store.watch(interval=0.05)
    try:
        v1 = store.version
        _write(path, HOLDING)
        deadline = time.time() + 5
        while store.version == v1 and time.time() < deadline:
            time.sleep(0.02)
        assert store.current.rule("a-hold") is not None
    finally:
        store.stop()


def test_concurrent_reload_never_yields_a_half_loaded_policy(tmp_path: Path):
    """Evaluators race a reloader flipping between two policies (and invalid files).
    Every decision must be wholly from one version: both rules of one file."""
    path = tmp_path / "policy.yaml"
    _write(path, BLOCKING)
    store = PolicyStore(path, hash_key=b"k" * 32)
    v_block = store.version
    _write(path, HOLDING)
    store.reload()
    v_hold = store.version
    expected = {
        v_block: (Action.BLOCK, {"a-block", "b-block"}),
        v_hold: (Action.QUARANTINE, {"a-hold", "b-hold"}),
    }
    scanned = [
        item(f"ssn {SSN}", [("US_SSN", SSN)]),
        item("card 4111 1111 1111 1111", [("CREDIT_CARD", "4111 1111 1111 1111")], path="body.props.x"),
    ]
    stop = threading.Event()
    errors: list[str] = []
    counts = {v_block: 0, v_hold: 0}
    reloads = 0

    def evaluator() -> None:
        while not stop.is_set():
            d = store.current.evaluate(scanned, ctx())
            if d.policy_version not in expected:
                errors.append(f"unknown version {d.policy_version}")
                continue
            action, rules = expected[d.policy_version]
            fired = {m["rule"] for m in d.details["matched_rules"]}
            if d.action != action or fired != rules:
                errors.append(f"{d.policy_version}: {d.action} {fired}")
            counts[d.policy_version] += 1

    def reloader() -> None:
        nonlocal reloads
        texts = [BLOCKING, "rules: [{id: broken", HOLDING]
        i = 0
        while not stop.is_set():
            _write(path, texts[i % 3])
            store.reload()
            reloads += 1
            i += 1

    threads = [threading.Thread(target=evaluator) for _ in range(3)] + [threading.Thread(target=reloader)]
    for t in threads:
        t.start()
    # run until enough swaps have raced the evaluators (at least 1.5 s; on a loaded
    # machine as long as it takes, within a generous bound), not for a fixed time
    started = time.monotonic()
    while not (reloads >= 5 and counts[v_block] > 0 and counts[v_hold] > 0 and time.monotonic() - started > 1.5):
        if time.monotonic() - started > 120:
            break
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    assert reloads >= 5
    assert counts[v_block] > 0 and counts[v_hold] > 0
