"""A channel's audience widened after a reviewer released a message into it (attack
pass 6, C12; dlp_proxy/gateway/audience.py), through the running gateway: made
public or shared with another organisation, it is refused once the quarantine has
released a message there, and left to Mattermost before."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import httpx
import pytest

from dlp_proxy.gateway import audience
from tests.conftest import Gateway, Simulator, archive_records, start_gateway, stop
from tests.test_quarantine_gateway import _cli, released_by_gateway


@pytest.fixture(scope="module")
def agw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("agw"))
    yield gw
    stop(gw.proc)


def _privacy(gw: Gateway, channel: str, body: bytes, user: str = "carol") -> httpx.Response:
    return httpx.put(f"{gw.url}/api/v4/channels/{channel}/privacy", content=body,
                     headers={"Authorization": f"Bearer {gw.sim.token(user)}", "Content-Type": "application/json"},
                     timeout=30)


def _type(gw: Gateway, channel: str) -> str:
    r = httpx.get(f"{gw.sim.url}/api/v4/channels/{channel}",
                  headers={"Authorization": f"Bearer {gw.sim.token('carol')}"}, timeout=30)
    return str(r.json()["type"])


def test_widening_is_refused_only_after_a_release(agw: Gateway) -> None:
    channel = agw.sim.channel("private")
    # no message released there yet: Mattermost decides
    assert _privacy(agw, channel, b'{"privacy":"O"}').status_code == 200
    assert _type(agw, channel) == "O"
    assert _privacy(agw, channel, b'{"privacy":"P"}').status_code == 200
    assert _type(agw, channel) == "P"

    needle = "536-22-4471"
    r = httpx.post(f"{agw.url}/api/v4/posts",
                   json={"channel_id": channel, "message": f"client SSN {needle} for the transfer form",
                         "pending_post_id": os.urandom(8).hex()},
                   headers={"Authorization": f"Bearer {agw.sim.token('alice')}"}, timeout=30)
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    listed = _cli(agw, "list", "--json")
    import json

    item = next(i for i in json.loads(listed.stdout) if i.get("channel_id") == channel)
    ok = _cli(agw, "approve", item["id"], "--reason", "verified with the client", "--principal",
              agw.sim.ids["users"]["carol"])
    assert ok.returncode == 0, ok.stderr
    assert len(released_by_gateway(agw, needle)) == 1

    # every spelling Go reads as "O": the last duplicate key, data after the document
    for body in (b'{"privacy":"O"}', b'{"privacy":"P","privacy":"O"}', b'{"privacy":"O"} trailing',
                 b' \n{"privacy" : "O"}'):
        refused = _privacy(agw, channel, body)
        assert refused.status_code == 403, (body, refused.text)
        assert refused.json()["id"] == audience.WIDENED_ID
        assert "Compliance" in refused.json()["message"]
    assert _type(agw, channel) == "P"
    shared = httpx.post(f"{agw.url}/api/v4/remotecluster/{'r' * 26}/channels/{channel}/invite",
                        headers={"Authorization": f"Bearer {agw.sim.token('carol')}"}, timeout=30)
    assert shared.status_code == 403 and shared.json()["id"] == audience.WIDENED_ID
    # the same sharing as a slash command (app/slashcommands/command_share.go doInviteRemote)
    for command in (f"/share-channel invite --connectionID {'r' * 26}", "/SHARE-CHANNEL  share"):
        executed = httpx.post(f"{agw.url}/api/v4/commands/execute", json={"channel_id": channel, "command": command},
                              headers={"Authorization": f"Bearer {agw.sim.token('carol')}"}, timeout=30)
        assert executed.status_code == 403 and executed.json()["id"] == audience.WIDENED_ID, executed.text
    status = httpx.post(f"{agw.url}/api/v4/commands/execute",
                        json={"channel_id": channel, "command": "/share-channel status"},
                        headers={"Authorization": f"Bearer {agw.sim.token('carol')}"}, timeout=30)
    assert status.json().get("id") != audience.WIDENED_ID, status.text
    # made private again (no widening) and another channel: not refused
    assert _privacy(agw, channel, b'{"privacy":"P"}').status_code == 200
    deadline = time.monotonic() + 10
    while not (recs := [r for r in archive_records(agw.data_dir) if r.get("rule_id") == audience.WIDENED_RULE]) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(recs) == 7
    assert all(r["action"] == "block" for r in recs)


CHANNEL = "fi6g55gu8w4oq8szb9u547ec4c"


@pytest.mark.parametrize(("method", "path", "body", "widened"), [
    ("PUT", f"/api/v4/channels/{CHANNEL}/privacy", b'{"privacy":"O"}', True),
    ("put", f"/api/v4/channels/{CHANNEL}/privacy", b'{"privacy":"P","privacy":"O"}', True),  # Go: the last wins
    ("PUT", f"/api/v4/channels/{CHANNEL}/privacy", b'{"privacy":"O","privacy":"P"}', False),
    ("PUT", f"/api/v4/channels/{CHANNEL}/privacy", b'{"Privacy":"O"}', False),  # a map's keys are exact
    ("PUT", f"/api/v4/channels/{CHANNEL}/privacy", b'{"privacy":"O"}{"privacy":"P"}', True),  # the first value
    ("PUT", f"/api/v4/channels/{CHANNEL}/privacy", b'not json', False),  # Mattermost: 400
    ("PUT", f"/api/v4/channels/{CHANNEL}/privacy", b'{"privacy":"O","x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
     True),  # deeper than read here: Go may read it
    ("POST", f"/api/v4/remotecluster/{'r' * 26}/channels/{CHANNEL}/invite", b"", True),
    ("PUT", f"/api/v4/channels/{CHANNEL}/patch", b'{"privacy":"O"}', False),
])
def test_widened_channel_reads_the_body_as_go(method: str, path: str, body: bytes, widened: bool) -> None:
    assert (audience.widened_channel(method, path, body) == CHANNEL) is widened


def _execute(command: str, **extra: str) -> bytes:
    import json

    return json.dumps({"channel_id": CHANNEL, "command": command, **extra}).encode()


@pytest.mark.parametrize(("body", "widened"), [
    (_execute(f"/share-channel invite --connectionID {'r' * 26}"), True),
    (_execute("/Share-Channel invite --connectionID x --readonly Y"), True),   # the trigger is lower-cased
    (_execute("/share-channel\tinvite"), False),           # the trigger ends at a space only: no such command
    (_execute("/share-channel \u3000invite"), True),       # the action: strings.Fields (Unicode spaces)
    (_execute("/share-channel share"), True),
    (_execute("/share-channel bogus"), True),               # unknown: refused by Mattermost anyway
    (_execute("/share-channel uninvite --connectionID x"), False),
    (_execute("/share-channel unshare"), False),
    (_execute("/share-channel status"), False),
    (_execute("/share-channel --connectionID x invite"), False),  # no action: Mattermost asks for one
    (_execute(" /share-channel invite"), False),            # not starting with "/": 400
    (_execute("/echo /share-channel invite"), False),
    (b'{"channel_id":"' + CHANNEL.encode() + b'","command":"/share-channel status","Command":"/share-channel invite"}',
     True),                                                 # struct fields: any case, the last wins
    (b'{"CHANNEL_ID":"' + CHANNEL.encode() + b'","command":"/share-channel invite"}', True),
    (b'{"channel_id":"' + CHANNEL.encode() + b'","command":"/share-channel invite","command":"/away"}', False),
])
def test_a_share_channel_command_is_read_as_mattermost_runs_it(body: bytes, widened: bool) -> None:
    assert (audience.widened_channel("POST", "/api/v4/commands/execute", body) == CHANNEL) is widened
