"""The CLI operator's principal and the review deadline, through the real processes
(the gateway, ``dlp-proxy quarantine`` as a subprocess, the Mattermost simulator, a
shared Redis so the queue outlives the gateway):

- attack 21h F6: ``--principal`` is only *claimed*: one shell user gave both four-eyes
  approvals as two people.  A claimed principal never counts as one of two approvals
  (archived as ``approve_request``); ``--token-file`` proves it with the operator's
  own Mattermost token (``users/me``); the archive names the proof, OS user and host.
- attack 21h F5: an item past its deadline was approved and released while no sweep
  ran (gateway stopped): the CLI's approval is refused and the item expired instead.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import redis

from dlp_proxy.archive import iter_records
from tests.conftest import ROOT, Gateway, Simulator, start_gateway, stop, wait_for

SSN = "536-47-2219"  # (its own: test_quarantine_kill looks for 536-41-7702 in the shared simulator)
SHARED = {
    "DLP_REDIS_URL": "redis://127.0.0.1:6379/14",
    "DLP_QUARANTINE_DURABILITY": "trust",
    "DLP_FOUR_EYES": "true",
}


def _cli(gw: Gateway, *args: str, env: dict[str, str | None] | None = None, stdin: str | None = None
         ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``dlp-proxy quarantine ARGS``; ``env`` adds variables (None: the variable unset)."""
    wanted: dict[str, str | None] = {k: v for k, v in os.environ.items() if not k.startswith("DLP_")}
    wanted.update({"DLP_DATA_DIR": str(gw.data_dir), "DLP_UPSTREAM": gw.sim.url, **SHARED, **(env or {})})
    full = {k: v for k, v in wanted.items() if v is not None}
    return subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", *args], cwd=ROOT, env=full,
                          input=stdin, capture_output=True, text=True, timeout=60)  # fmt: skip


def _hold(gw: Gateway, text: str) -> str:
    r = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("dm_alice_bob"), "message": text},
                   headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)  # fmt: skip
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    items = json.loads(_cli(gw, "list", "--json").stdout)
    return next(i["id"] for i in items if i["request_id"] == r.json()["request_id"])


def _state(gw: Gateway, item: str) -> str:
    return str(json.loads(_cli(gw, "show", item, "--json").stdout)["state"])


def _records(gw: Gateway, item: str) -> list[dict[str, Any]]:
    return [
        r
        for r in iter_records(gw.data_dir / "archive")
        if r.get("type") == "review" and r.get("item_id") == item
    ]


def test_cli_principal_must_be_proven_for_four_eyes_and_the_deadline_binds_it(
    simulator: Simulator, tmp_path: Path
) -> None:
    db = redis.Redis.from_url(SHARED["DLP_REDIS_URL"])
    db.flushdb()
    sam, carol = simulator.ids["users"]["sam"], simulator.ids["users"]["carol"]
    sam_token = tmp_path / "sam.token"
    sam_token.write_text(simulator.token("sam") + "\n")
    sam_token.chmod(0o600)
    gw = start_gateway(simulator, tmp_path / "gw", env=SHARED)
    try:
        marker = f"New account for the client, SSN {SSN}, please set it up ({os.urandom(4).hex()})"
        item = _hold(gw, marker)

        # one operator, two claimed principals: neither counts, both are on the record as requests
        for claimed in (sam, carol):
            out = _cli(gw, "approve", item, "--reason", "verified by phone", "--principal", claimed)
            assert out.returncode == 1 and "claimed, not proven" in out.stderr, out.stderr
        assert _state(gw, item) == "held"
        requests = [r for r in _records(gw, item) if r["action"] == "approve_request"]
        assert [r["actor"]["user_id"] for r in requests] == [sam, carol]
        assert {(r["actor"]["proof"], r["actor"]["os_user"], r["actor"]["host"]) for r in requests} == {
            ("claimed", getpass.getuser(), socket.gethostname())}  # fmt: skip

        # proven: sam's own token (a file), carol's on standard input
        first = _cli(
            gw, "approve", item, "--reason", "verified by phone", "--token-file", str(sam_token), "--json"
        )
        assert first.returncode == 0 and json.loads(first.stdout)["state"] == "awaiting_second", first.stderr
        again = _cli(
            gw, "approve", item, "--reason", "me again", "--token-file", str(sam_token), "--principal", carol
        )
        assert again.returncode == 1 and "someone else than the token's holder" in again.stderr
        bot = _cli(
            gw, "approve", item, "--reason", "a bot", "--token-file", "-", stdin=simulator.token("dlp-bot")
        )
        assert bot.returncode == 1 and "proves no operator" in bot.stderr
        wrong = _cli(gw, "approve", item, "--reason", "a guess", "--token-file", "-", stdin="not-a-token")
        assert wrong.returncode == 1 and "did not accept the token" in wrong.stderr
        # a shell's own "Mattermost" proves no one: the token is checked at the one the gateway
        # forwards to (insider attack of 2026-12-07 night, F4: two fake servers, one operator,
        # both approvals "proven"); the server named is never asked
        fake = _cli(gw, "approve", item, "--reason", "a fake server", "--token-file", "-",
                    stdin=simulator.token("carol"), env={"DLP_UPSTREAM": "http://127.0.0.1:9"})
        assert fake.returncode == 1 and "not the Mattermost the gateway forwards to" in fake.stderr, fake.stderr
        assert _state(gw, item) == "awaiting_second"
        # and the operator need not know it: without DLP_UPSTREAM, the gateway's
        second = _cli(
            gw,
            "approve",
            item,
            "--reason",
            "checked too",
            "--token-file",
            "-",
            stdin=simulator.token("carol"),
            env={"DLP_UPSTREAM": None},
        )
        assert second.returncode == 0, second.stderr
        wait_for(lambda: [p for p in simulator.posts() if p.get("message") == marker], "the release")
        decided = {
            r["action"]: r["actor"] for r in _records(gw, item) if r["action"] in ("approve_first", "approve")
        }
        assert (decided["approve_first"]["user_id"], decided["approve_first"]["proof"]) == (
            sam,
            "mattermost-token",
        )
        assert (decided["approve"]["user_id"], decided["approve"]["proof"]) == (carol, "mattermost-token")

        late = _hold(gw, f"Transfer form for the client, SSN {SSN}, thanks ({os.urandom(4).hex()})")
    finally:
        stop(gw.proc)
    # No gateway (so no sweep) while the deadline passes: the approval expires the item instead.
    db.hset(f"dlp:quarantine:item:{late}", "expires_at", "1000.0")
    out = _cli(gw, "approve", late, "--reason", "approved after the deadline", "--token-file", str(sam_token))
    assert out.returncode == 1 and "is expired" in out.stderr, out.stderr
    assert _state(gw, late) == "expired"
    assert [r["action"] for r in _records(gw, late)] == ["expire"]
    db.flushdb()
    db.close()
