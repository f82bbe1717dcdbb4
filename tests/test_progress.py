"""Progress bars: drawn on a terminal (a real pty), absent when piped or with --json; a summary line always."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from dlp_proxy.archive import open_archive
from dlp_proxy.progress import CountedList, counted

SEED = bytes(range(32))


def _archive(tmp_path: Path) -> dict[str, str]:
    keys = tmp_path / "data" / "keys"
    keys.mkdir(parents=True)
    (keys / "archive-signing.ed25519").write_bytes(SEED)
    (keys / "archive-content.key").write_bytes(b"\x11" * 32)
    (keys / "hash.key").write_bytes(b"\x22" * 32)
    a = open_archive(tmp_path / "data" / "archive", signing_key=SEED, content_key=b"\x11" * 32, hash_key=b"\x22" * 32)
    for i in range(50):
        a.append_sync({"type": "decision", "time": 1_700_000_000 + i, "action": "block", "route": "posts.create"})
    a.close_sync()
    return {**os.environ, "DLP_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "120"}


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """stderr on a pty (what a person sees), stdout piped."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode() if proc.stdout else ""
    proc.wait(60)
    os.close(master)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


def test_bar_on_a_terminal_quiet_when_piped(tmp_path: Path) -> None:
    env = _archive(tmp_path)
    cmd = [sys.executable, "-m", "dlp_proxy.cli", "archive", "export", "--format", "jsonl", "--out",
           str(tmp_path / "o")]
    rc, out, err = _on_a_terminal(cmd, env)
    assert rc == 0, err
    assert "archive export" in err and "ETA" in err and "/50" in err  # count of the total, time left
    assert out.count("\n") == 1 and out.startswith("archive export: 50 records")  # the one-line summary
    piped = subprocess.run(cmd[:-1] + [str(tmp_path / "p")], env=env, capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == ""
    rc, out, err = _on_a_terminal(cmd[:-1] + [str(tmp_path / "j"), "--json"], env)
    assert rc == 0 and "ETA" not in err and out.startswith("{")
    rc, out, err = _on_a_terminal([sys.executable, "-m", "dlp_proxy.cli", "archive", "verify"], env)
    assert rc == 0 and "archive verify" in err and "ETA" in err
    assert out.splitlines()[-1].startswith("archive verify: OK, 53 records")  # 50 + the 3 export runs


def test_counting_wrappers() -> None:
    seen: list[int] = []
    assert list(counted(iter("abc"), seen.append)) == ["a", "b", "c"] and seen == [1, 1, 1]
    rows = CountedList([1, 2], seen.append)
    assert len(rows) == 2 and rows[1] == 2 and sum(rows) == 3 and len(seen) == 5


def test_replay_and_eval_bars_and_summaries(tmp_path: Path) -> None:
    import json

    from dlp_proxy.policy.testing import SSN

    env = _archive(tmp_path)
    root = Path(__file__).resolve().parent.parent
    replay = [sys.executable, "-m", "dlp_proxy.cli", "policy", "replay", "--policy", str(root / "config" / "policy.yaml"),
              "--archive", str(tmp_path / "data" / "archive")]
    rc, out, err = _on_a_terminal(replay, env)
    assert rc == 0, err
    assert "policy replay" in err  # the bar (records read so far; the archive's size is not counted first)
    assert out.splitlines()[-1].startswith("policy replay: ")
    piped = subprocess.run(replay, env=env, capture_output=True, text=True)
    assert piped.returncode == 0 and "policy replay" not in piped.stderr
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in (
        {"text": f"SSN {SSN}", "expect": "stop", "entities": ["US_SSN"]},
        {"text": "lunch at noon", "expect": "allow", "entities": []})))
    ev = [sys.executable, "-m", "dlp_proxy.cli", "eval", str(corpus), "--no-ner", "--default-decision"]
    rc, out, err = _on_a_terminal(ev, env)
    assert rc == 0, err
    assert "eval" in err and "/2" in err and "ETA" in err
    assert out.splitlines()[-1].startswith("eval: 2 lines, stop precision 1.0000 recall 1.0000")
    rc, out, err = _on_a_terminal(ev + ["--json"], env)
    assert rc == 0 and "ETA" not in err and json.loads(out)["lines"] == 2
