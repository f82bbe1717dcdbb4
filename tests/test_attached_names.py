"""A post's message read with the names of the files it attaches (gateway/attached.py;
attack pass 9, F15): the web app shows ``client SSN`` over the tiles ``536.txt``,
``22.txt``, ``8710.txt``."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dlp_proxy.gateway import attached
from dlp_proxy.gateway.mentions import Unresolved
from dlp_proxy.model import ContentItem
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway, start_gateway, start_simulator, stop


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = start_simulator()
    gateway = start_gateway(sim, tmp_path_factory.mktemp("attached") / "gw")
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


def _channel(gw: Gateway) -> str:
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                   json={"team_id": gw.sim.ids["team"], "name": "zz-" + secrets.token_hex(4),
                         "display_name": "Desk", "type": "P"}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _upload(gw: Gateway, channel: str, name: str) -> str:
    """A clean file uploaded straight to Mattermost (its name alone holds no identifier)."""
    r = httpx.post(f"{gw.sim.url}/api/v4/files", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                   data={"channel_id": channel}, files={"files": (name, b"hello world notes", "text/plain")},
                   timeout=30)
    assert r.status_code == 201, r.text
    return str(r.json()["file_infos"][0]["id"])


def test_a_posts_message_is_read_with_its_files_names(gw: Gateway) -> None:
    for names in ([f"{p}.txt" for p in SSN.split("-")], [f"{p} (1).txt" for p in SSN.split("-")]):
        channel = _channel(gw)
        ids = [_upload(gw, channel, n) for n in names]
        with gw.client("alice") as c:
            r = c.post("/api/v4/posts", json={"channel_id": channel, "message": "client SSN", "file_ids": ids})
            assert r.status_code == 403, (names, r.text)
    # clean: a label with names that make no number
    channel = _channel(gw)
    ids = [_upload(gw, channel, n) for n in ("notes.txt", "Q3 2026.txt")]
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": channel, "message": "client notes", "file_ids": ids})
        assert r.status_code == 201, r.text


def test_a_file_uploaded_in_another_channel_is_not_attached(gw: Gateway) -> None:
    # Mattermost attaches any unattached file of the sender to a post in any channel
    # (AttachToPost moves it); the gateway judged the upload for the channel it was
    # uploaded in (an exempt channel, a private channel where a reviewer released it)
    private = _channel(gw)
    town = gw.sim.channel("town_square")
    with gw.client("alice") as c:
        r = c.post("/api/v4/files", data={"channel_id": private},
                   files={"files": ("desk notes.txt", b"hello world notes", "text/plain")})
        assert r.status_code == 201, r.text
        fid = r.json()["file_infos"][0]["id"]
        gw.sim.clear()
        for route, body in (("/api/v4/posts", {"channel_id": town, "message": "see file", "file_ids": [fid]}),
                            ("/api/v4/drafts", {"channel_id": town, "message": "see file", "file_ids": [fid]})):
            r = c.post(route, json=body)
            assert r.status_code == 400, (route, r.text)
            assert "another channel" in r.json()["message"] and "upload it again" in r.json()["message"]
        assert not [q for q in gw.sim.requests() if q["method"] == "POST"], gw.sim.requests()
        # in its own channel it is attached
        r = c.post("/api/v4/posts", json={"channel_id": private, "message": "see file", "file_ids": [fid]})
        assert r.status_code == 201, r.text
        # a post edited to attach a file of another channel is refused too
        other = _upload(gw, _channel(gw), "more notes.txt")
        r = c.put(f"/api/v4/posts/{r.json()['id']}/patch", json={"file_ids": [fid, other]})
        assert r.status_code == 400, r.text


def _copy(gw: Gateway, user: str, fid: str) -> str:
    """What a plugin's CopyFileInfos makes of ``fid`` for ``user``: a file of no post and no channel."""
    r = httpx.post(f"{gw.sim.url}/__sim/files/copy", json={"user_id": gw.sim.ids["users"][user], "file_ids": [fid]},
                   timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["file_ids"][0])


def test_a_file_of_no_channel_is_not_attached(gw: Gateway) -> None:
    # app/file.go CopyFileInfos (the plugin API) saves a copy with ChannelId and PostId
    # empty; AttachToPost attaches any unattached file of the sender to a post in any
    # channel, moving it there: its bytes were judged by the gateway for no channel
    # (here: a file of another channel, copied by an integration for the sender)
    private = _channel(gw)
    fid = _upload(gw, private, "desk notes.txt")
    copy = _copy(gw, "alice", fid)
    r = httpx.get(f"{gw.sim.url}/api/v4/files/{copy}/info", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                  timeout=10)
    assert r.status_code == 200 and r.json()["channel_id"] == "" and r.json()["post_id"] == "", r.text
    town = gw.sim.channel("town_square")
    with gw.client("alice") as c:
        gw.sim.clear()
        for channel in (town, private):
            for route, body in (("/api/v4/posts", {"channel_id": channel, "message": "see file", "file_ids": [copy]}),
                                ("/api/v4/drafts", {"channel_id": channel, "message": "see file", "file_ids": [copy]})):
                r = c.post(route, json=body)
                assert r.status_code == 400, (route, r.text)
                message = r.json()["message"]
                assert "belongs to no channel" in message and "upload it again" in message, message
        assert not [q for q in gw.sim.requests() if q["method"] == "POST"], gw.sim.requests()
        # a post edited to attach it is refused too
        r = c.post("/api/v4/posts", json={"channel_id": private, "message": "see file", "file_ids": [fid]})
        assert r.status_code == 201, r.text
        r = c.put(f"/api/v4/posts/{r.json()['id']}/patch", json={"file_ids": [fid, copy]})
        assert r.status_code == 400 and "belongs to no channel" in r.json()["message"], r.text


def _run(ids: list[str], answer: Any, channel_id: str | None = None) -> list[ContentItem]:
    async def go() -> list[ContentItem]:
        async with httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(answer)) as upstream:
            return await attached.attached_names(
                [ContentItem(f"body.file_ids[{i}]", f) for i, f in enumerate(ids)], upstream=upstream,
                token="tk", fallback_token="fb", timeout=5, channel_id=channel_id, cache=attached.FileNames())
    return asyncio.run(go())


def test_file_reads_fail_closed_and_are_bounded() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        fid = request.url.path.split("/")[-2]
        if fid.startswith("a"):
            return httpx.Response(200, json={"name": "536.txt", "channel_id": "c" * 26})
        if fid.startswith("f"):
            return httpx.Response(403, json={})
        if fid.startswith("e"):
            return httpx.Response(502, json={})
        return httpx.Response(404, json={})

    got = _run(["a" * 26, "b" * 26, "not an id"], answer, "c" * 26)
    assert [(i.path, i.text) for i in got] == [("body.file_ids[0].name", "536.txt")]
    for bad, status in (("f", 400), ("e", 503)):
        with pytest.raises(Unresolved) as exc:
            _run([bad * 26], answer, "c" * 26)
        assert exc.value.status == status
    with pytest.raises(Unresolved) as exc:
        _run(["a" * 26] * (attached.MAX_FILES + 1), answer, "c" * 26)
    assert exc.value.status == 400


def test_a_file_of_no_channel_is_refused_unless_already_attached() -> None:
    # no channel and no post: AttachToPost would attach it (and move it here) now
    def answer(request: httpx.Request) -> httpx.Response:
        fid = request.url.path.split("/")[-2]
        return httpx.Response(200, json={"name": "notes.txt", "channel_id": "",
                                         "post_id": "p" * 26 if fid.startswith("p") else ""})

    for channel in ("c" * 26, None):
        with pytest.raises(Unresolved) as exc:
            _run(["p" * 26, "a" * 26], answer, channel)
        assert exc.value.status == 400 and str(exc.value) == attached.NO_CHANNEL
        # one already attached to a post is not attached again (AttachToPost needs
        # PostId = ''): shown only by its own post (an edit keeping its files)
        got = _run(["p" * 26], answer, channel)
        assert [(i.path, i.text) for i in got] == [("body.file_ids[0].name", "notes.txt")]


@pytest.mark.parametrize("key", ["File_Ids", "FILE_IDS", "file_id\u017f"])
def test_a_case_variant_of_the_file_ids_key_is_read_as_go_reads_it(gw: Gateway, key: str) -> None:
    # encoding/json matches "File_Ids" (and the long s, U+017F, folded to s) to
    # Post.FileIds: the files' names and channel are read whatever the key's case
    channel = _channel(gw)
    ids = [_upload(gw, channel, f"{p}.txt") for p in SSN.split("-")]
    with gw.client("alice") as c:
        body = json.dumps({"channel_id": channel, "message": "client SSN", key: ids}, ensure_ascii=False)
        r = c.post("/api/v4/posts", content=body.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 403, (key, r.text)
        other = _upload(gw, _channel(gw), "notes.txt")
        body = json.dumps({"channel_id": channel, "message": "see", key: [other]}, ensure_ascii=False)
        r = c.post("/api/v4/posts", content=body.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and "another channel" in r.json()["message"], (key, r.text)


@pytest.mark.parametrize("key", ["Message", "MESSAGE", "me\u017f\u017fage"])
def test_a_case_variant_of_the_message_key_is_joined_with_the_files_text(gw: Gateway, key: str) -> None:
    # an attached file's text is read with the message Go reads (Post.Message)
    channel = _channel(gw)
    area, group, serial = SSN.split("-")
    with gw.client("alice") as c:
        r = c.post("/api/v4/files", data={"channel_id": channel},
                   files={"files": ("a.txt", serial.encode(), "text/plain")})
        assert r.status_code == 201, r.text
        fid = r.json()["file_infos"][0]["id"]
        body = json.dumps({"channel_id": channel, key: f"client SSN {area}-{group}", "file_ids": [fid]},
                          ensure_ascii=False)
        r = c.post("/api/v4/posts", content=body.encode(), headers={"Content-Type": "application/json"})
        assert r.status_code == 403, (key, r.text)
