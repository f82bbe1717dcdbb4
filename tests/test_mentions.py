"""~channel mentions read as the web app shows them (gateway/mentions.py; attack pass 8, F5).

The web app renders ``~name`` with the channel's display name
(webapp/channels/src/utils/text_formatting.tsx ``autolinkChannelMentions``): three
channels shown as ``536``, ``22`` and ``8710`` make ``client SSN ~a - ~b - ~c`` an SSN.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dlp_proxy.gateway import mentions
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway, archive_records, start_gateway, start_simulator, stop


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = start_simulator()
    gateway = start_gateway(sim, tmp_path_factory.mktemp("mentions") / "gw")
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


def _name() -> str:
    return "zz-" + secrets.token_hex(4)


def _direct_channel(gw: Gateway, display: str, user: str = "alice") -> dict[str, Any]:
    """A channel made straight in Mattermost (before the gateway, or by an admin tool)."""
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token(user)}"},
                   json={"team_id": gw.sim.ids["team"], "name": _name(), "display_name": display, "type": "O"},
                   timeout=10)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_mentions_of_channels_shown_as_digit_groups_are_read_as_the_number(gw: Gateway) -> None:
    names = [_direct_channel(gw, part)["name"] for part in SSN.split("-")]
    town = gw.sim.channel("town_square")
    message = "client SSN " + " - ".join("~" + n for n in names)
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
        assert r.status_code == 403, r.text
        # trailing punctuation is cut off the name as the web app does (``~name.``)
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "client SSN " + "-".join(
            f"~{n}." for n in names)})
        assert r.status_code == 403, r.text
        # case: the web app lower-cases the name
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "client SSN " + " - ".join(
            "~" + n.upper() for n in names)})
        assert r.status_code == 403, r.text
    blocked = [r for r in archive_records(gw.data_dir) if r.get("route") == "posts.create" and r.get("action") == "block"]
    assert len(blocked) >= 3 and SSN not in str(blocked)


def test_clean_mentions_pass_unchanged(gw: Gateway) -> None:
    desk = _direct_channel(gw, "Rates desk")["name"]
    town = gw.sim.channel("town_square")
    message = f"see ~{desk}, and ~no-such-channel. ~~struck~~ ~"
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": message})
        assert r.status_code == 201, r.text
        assert r.json()["message"] == message


def test_a_digit_only_display_name_is_refused_so_a_rename_cannot_complete_an_earlier_post(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    team = gw.sim.ids["team"]
    with gw.client("alice") as c:
        ids = []
        for _ in range(3):
            r = c.post("/api/v4/channels", json={"team_id": team, "name": _name(), "display_name": "desk", "type": "O"})
            assert r.status_code == 201, r.text
            ids.append((r.json()["id"], r.json()["name"]))
        r = c.post("/api/v4/posts", json={"channel_id": town,
                                          "message": "client SSN " + " - ".join("~" + n for _, n in ids)})
        assert r.status_code == 201, r.text
        for (cid, _), part in zip(ids, SSN.split("-"), strict=True):
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"display_name": part})
            assert r.status_code == 400, r.text
            r = c.put(f"/api/v4/channels/{cid}/patch", json={"Display_Name": f" {part}-"})
            assert r.status_code == 400, r.text
            r = c.post(f"/api/v4/channels/{cid}/bookmarks", json={"display_name": part, "type": "link",
                                                                   "link_url": "https://example.com/"})
            assert r.status_code == 400, r.text
        r = c.post("/api/v4/channels", json={"team_id": team, "name": _name(), "display_name": "٥٣٦", "type": "O"})
        assert r.status_code == 400, r.text  # digits of any script
        # a display name with a letter is a name: accepted
        r = c.put(f"/api/v4/channels/{ids[0][0]}/patch", json={"display_name": "Q3 2026 deals"})
        assert r.status_code == 200, r.text
    for cid, _ in ids[1:]:
        got = httpx.get(f"{gw.sim.url}/api/v4/channels/{cid}",
                        headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=10).json()
        assert got["display_name"] == "desk"


def _client(answer: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(answer))


def test_resolution_fails_closed_and_is_bounded() -> None:
    team = "t" * 26
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        name = request.url.path.rsplit("/", 1)[-1]
        if name == "broken":
            return httpx.Response(500, json={})
        if name.startswith("d"):
            return httpx.Response(200, json={"display_name": name[1:]})
        return httpx.Response(404, json={})

    def run(text: str, **kw: Any) -> list[tuple[str, str]]:
        return asyncio.run(mentions.rendered_mentions([("body.message", text)], team_id=team, upstream=_client(answer),
                                                      token="t", fallback_token=None, timeout=1.0,
                                                      cache=mentions.DisplayNames(), **kw))

    assert run("a ~d536, ~d22-~d8710!") == [("body.message", "a ~536, ~22-~8710!")]
    assert run("nothing ~nope here") == []
    assert run("no mention at all") == [] and asked[-1].endswith("/nope")
    for text, status in (("~broken", 503), (" ".join(f"~n{i}" for i in range(mentions.MAX_LOOKUPS + 1)), 400)):
        with pytest.raises(mentions.Unresolved) as err:
            run(text)
        assert err.value.status == status
    with pytest.raises(mentions.Unresolved):
        asyncio.run(mentions.rendered_mentions([("body.message", "~a")], team_id=team, upstream=None, token="t",
                                               fallback_token=None, timeout=1.0))


def test_mention_syntax_follows_the_web_app() -> None:
    # ``\B~``: no mention right after a word character; the name lower-cased; trailing
    # punctuation cut one character at a time (``~a-b.`` tries ``a-b.``, ``a-b``)
    assert mentions.candidates("x~abc") == []
    assert [t for _, _, t in mentions.candidates("(~Abc-Def.)")] == [["abc-def"]]
    assert [t for _, _, t in mentions.candidates("~a-b-")] == [["a-b-", "a-b"]]
    shown = {"a-b": "536"}
    assert mentions.render("see ~a-b-, ~A-B", shown.get) == "see ~536-, ~536"
    assert mentions.digits_only("536") and mentions.digits_only("22 - 8710") and mentions.digits_only("⑤")
    assert not mentions.digits_only("Desk 5") and not mentions.digits_only("--")
