"""Compliance export throughput: N stopped posts (content in clear) through each format.

    .venv/bin/python bench/bench_export.py [--records N]

Writes N block decisions with encrypted content to a temporary archive, then times
``build_artifact`` (read + decrypt + build the batch) for actiance, globalrelay, csv
and jsonl, with identities from a fixed snapshot (no Mattermost round trips).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from dlp_proxy.archive import iter_records, open_archive
from dlp_proxy.archive.export.identity import StaticIdentities
from dlp_proxy.archive.export.job import build_artifact

KEYS = {"signing_key": bytes(range(32)), "content_key": b"\x11" * 32, "hash_key": b"\x22" * 32}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000)
    n = ap.parse_args().records
    users = {f"u{i:025d}": {"id": f"u{i:025d}", "username": f"user{i}", "email": f"user{i}@acme.example",
                            "is_bot": False} for i in range(50)}
    bot = "b" * 26
    users[bot] = {"id": bot, "username": "dlp-bot", "email": "dlp-bot@acme.example", "is_bot": True}
    chans = {f"c{i:025d}": {"id": f"c{i:025d}", "name": f"ch{i}", "display_name": f"Channel {i}", "type": "O",
                            "team_id": ""} for i in range(20)}
    ids = StaticIdentities({"me": bot, "users": users, "channels": chans, "teams": {}})
    uk, ck = sorted(users)[:50], sorted(chans)
    d = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        a = open_archive(d, checkpoint_records=1000, **KEYS)
        for i in range(n):
            text = f"please wire to account 12345678 for client {i}"
            a.append_sync({"type": "decision", "time": 1_700_000_000 + i, "action": "block", "rule_id": "npi",
                           "policy_version": "v1", "entity_counts": {"US_BANK_NUMBER": 1},
                           "context": {"user_id": uk[i % 50], "channel_id": ck[i % 20]},
                           "_content": [{"path": "body.message", "text": text, "findings": [
                               {"entity_type": "US_BANK_NUMBER", "start": 23, "end": 31}]}]})
        a.close_sync()
        for fmt in ("actiance", "globalrelay", "csv", "jsonl"):
            t = time.perf_counter()
            art = build_artifact(iter_records(d, decrypt=True, content_key=KEYS["content_key"]), fmt, ids,
                                 clear=True)
            dt = time.perf_counter() - t
            assert art is not None
            print(f"{fmt:<12} {n} stopped posts  {dt:6.2f} s  {n / dt:8.0f} records/s  {len(art.data):>10} bytes")
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
