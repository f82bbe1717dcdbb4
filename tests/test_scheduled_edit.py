"""An edited scheduled post is judged where Mattermost will send it (issue 14 leftovers).

api4/scheduled_post.go ``updateScheduledPost`` -> app/scheduled_post.go
``UpdateScheduledPost`` -> model/scheduled_post.go ``RestoreNonUpdatableFields``: the
stored post's ``channel_id`` and ``root_id`` are kept whatever the body names (the
body's channel is only checked for create_post), and the scheduled-post job posts it
there (app/scheduled_post_job.go ``postScheduledPost``).  The gateway reads the stored
channel (gateway/scheduled.py) and judges the edit in it; the simulator updates as
Mattermost does.  Through the real gateway and the simulator."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlp_proxy.gateway import scheduled
from dlp_proxy.policy.testing import SSN
from tests.conftest import ROOT, Gateway, archive_records, start_gateway, start_simulator, stop

#: an SSN is stopped in public channels and only monitored in direct messages: a
#: public post's edit that names a DM in its body must still be judged as public
POLICY = """schema: 1
defaults: {min_score: 0.5, on_context_error: block, alert_channel_id: null}
rules:
  - id: public-block
    action: block
    match: {entities: [US_SSN]}
    scope: {channel_types: [O]}
  - id: dm-monitor
    action: monitor
    match: {entities: [US_SSN]}
    scope: {channel_types: [D]}
"""
LATER = 4102444800000


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = start_simulator()
    base = tmp_path_factory.mktemp("sched")
    config = base / "config"
    shutil.copytree(Path(ROOT) / "config", config)
    (config / "policy.yaml").write_text(POLICY)
    gateway = start_gateway(sim, base / "gw", config_dir=config)
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


def _stored(gw: Gateway, sid: str) -> dict[str, Any]:
    team = gw.sim.ids["team"]
    r = httpx.get(f"{gw.sim.url}/api/v4/posts/scheduled/team/{team}?includeDirectChannels=true",
                  headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=10)
    r.raise_for_status()
    (sp,) = [p for posts in r.json().values() for p in posts if p["id"] == sid]
    return dict(sp)


def test_an_edit_naming_another_channel_is_judged_where_it_will_be_sent(gw: Gateway) -> None:
    town, dm = gw.sim.channel("town_square"), gw.sim.channel("dm_alice_bob")
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts/schedule", json={"channel_id": town, "message": "clean", "scheduled_at": LATER})
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        # the body names the DM (monitored there); Mattermost keeps the town square
        r = c.put(f"/api/v4/posts/schedule/{sid}", json={"id": sid, "channel_id": dm, "message": f"SSN {SSN}",
                                                         "scheduled_at": LATER})
        assert r.status_code == 403, r.text
        assert _stored(gw, sid)["message"] == "clean"
        # an edit the stored channel's policy allows goes through, and stays in that channel
        r = c.put(f"/api/v4/posts/schedule/{sid}", json={"id": sid, "channel_id": dm, "message": "still clean",
                                                         "scheduled_at": LATER})
        assert r.status_code == 201, r.text
        assert _stored(gw, sid)["message"] == "still clean" and _stored(gw, sid)["channel_id"] == town
        # a scheduled post the caller does not have: Mattermost would refuse it too
        r = c.put(f"/api/v4/posts/schedule/{'s' * 26}", json={"id": "s" * 26, "channel_id": dm, "message": "x",
                                                             "scheduled_at": LATER})
        assert r.status_code == 404, r.text
    with gw.client("bob") as c:  # alice's scheduled post is not bob's to edit: not found among his
        r = c.put(f"/api/v4/posts/schedule/{sid}", json={"id": sid, "channel_id": dm, "message": "x",
                                                         "scheduled_at": LATER})
        assert r.status_code == 404, r.text
    blocked = [r for r in archive_records(gw.data_dir) if r.get("route") == "posts.schedule.update"
               and r.get("action") == "block"]
    assert blocked and SSN not in str(blocked)


def test_a_dm_scheduled_post_is_judged_in_its_dm(gw: Gateway) -> None:
    """Direct channels are listed with the first team (``includeDirectChannels``)."""
    town, dm = gw.sim.channel("town_square"), gw.sim.channel("dm_alice_bob")
    with gw.client("alice") as c:
        sid = c.post("/api/v4/posts/schedule", json={"channel_id": dm, "message": "hi", "scheduled_at": LATER}).json()["id"]
        # named as the town square in the body (where it would be blocked): judged in the DM
        r = c.put(f"/api/v4/posts/schedule/{sid}", json={"id": sid, "channel_id": town, "message": f"SSN {SSN}",
                                                         "scheduled_at": LATER})
        assert r.status_code == 201, r.text
    assert _stored(gw, sid)["channel_id"] == dm


def test_reading_the_stored_place_fails_closed() -> None:
    sid, team = "s" * 26, "t" * 26

    def client(routes: dict[str, Any]) -> httpx.AsyncClient:
        def answer(request: httpx.Request) -> httpx.Response:
            for prefix, (status, body) in routes.items():
                if request.url.path.startswith(prefix):
                    return httpx.Response(status, json=body)
            return httpx.Response(404, json={})
        return httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(answer))

    def place(c: Any, token: str | None = "t", scheduled_id: str = sid) -> Any:
        return asyncio.run(scheduled.stored_place(c, token, scheduled_id, 1.0))

    teams = (200, [{"id": team}])
    found = {"/api/v4/users/me/teams": teams,
             "/api/v4/posts/scheduled/team/": (200, {team: [{"id": sid, "channel_id": "c" * 26, "root_id": ""}],
                                                     "directChannels": []})}
    assert place(client(found)) == ("c" * 26, "")
    for routes, token, scheduled_id, status in (
            ({"/api/v4/users/me/teams": teams, "/api/v4/posts/scheduled/team/": (200, {team: []})}, "t", sid, 404),
            ({"/api/v4/users/me/teams": (500, {})}, "t", sid, 503),
            ({"/api/v4/users/me/teams": (401, {})}, "t", sid, 403),
            ({"/api/v4/users/me/teams": teams, "/api/v4/posts/scheduled/team/": (400, {})}, "t", sid, 400),
            ({"/api/v4/users/me/teams": teams, "/api/v4/posts/scheduled/team/": (
                200, {team: [{"id": sid, "channel_id": "../x"}]})}, "t", sid, 503),
            (found, None, sid, 503), (found, "t", "x/../y", 400)):
        with pytest.raises(scheduled.NotFound) as err:
            place(client(routes), token, scheduled_id)
        assert err.value.status == status, routes


def test_the_simulator_keeps_the_stored_channel() -> None:
    from dlp_proxy.simulator.state import SimError
    from dlp_proxy.simulator.state import Simulator as SimState

    state = SimState()
    alice, bob = state.ids["users"]["alice"], state.ids["users"]["bob"]
    town, dm = state.ids["channels"]["town_square"], state.ids["channels"]["dm_alice_bob"]
    sp = state.create_scheduled({"channel_id": town, "message": "a", "scheduled_at": LATER}, alice)
    out = state.update_scheduled(sp["id"], {"id": sp["id"], "channel_id": dm, "root_id": "r" * 26, "message": "b",
                                            "scheduled_at": LATER}, alice)
    assert (out["channel_id"], out["root_id"], out["message"]) == (town, "", "b")
    for body, actor, status in (({"id": "x", "channel_id": town, "scheduled_at": LATER}, alice, 400),
                                ({"id": sp["id"], "channel_id": town, "scheduled_at": LATER}, bob, 403)):
        with pytest.raises(SimError) as err:
            state.update_scheduled(sp["id"], body, actor)
        assert err.value.status == status
