"""Permalinks read with the linked post's message (gateway/permalinks.py; attack pass 9, F9).

Mattermost shows the message of the post a permalink links to under the post
(server/channels/app/post_metadata.go ``getEmbedForPost``, embed type ``permalink``),
in another channel than the linked post's: ``-8710`` in one channel and
``client SSN 536-22 <permalink to it>`` in another show an SSN.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dlp_proxy.gateway import permalinks
from dlp_proxy.gateway.mentions import Unresolved
from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway, archive_records, start_gateway, start_simulator, stop


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = start_simulator()
    gateway = start_gateway(sim, tmp_path_factory.mktemp("permalinks") / "gw")
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


def _channel(gw: Gateway, user: str = "alice") -> str:
    r = httpx.post(f"{gw.sim.url}/api/v4/channels", headers={"Authorization": f"Bearer {gw.sim.token(user)}"},
                   json={"team_id": gw.sim.ids["team"], "name": "zz-" + secrets.token_hex(4),
                         "display_name": "Desk", "type": "O"}, timeout=10)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_a_permalink_is_read_with_the_linked_posts_message(gw: Gateway) -> None:
    head, tail = SSN.rsplit("-", 1)
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": _channel(gw), "message": "-" + tail})
        assert r.status_code == 201, r.text
        linked = r.json()["id"]
        where = _channel(gw)
        for link in (f"{gw.url}/acme/pl/{linked}", f"[see](https://chat.example/acme/pl/{linked})",
                     f"https://chat.example/acme&#47;pl&#47;{linked}"):
            r = c.post("/api/v4/posts", json={"channel_id": where, "message": f"client SSN {head} {link}"})
            assert r.status_code == 403, (link, r.text)
        # strict previews keep permalinks: props.unsafe_links changes nothing
        r = c.post("/api/v4/posts", json={"channel_id": where, "message": f"client SSN {head} /acme/pl/{linked}",
                                          "props": {"unsafe_links": "true"}})
        assert r.status_code == 403, r.text
        # an edit that adds the permalink
        r = c.post("/api/v4/posts", json={"channel_id": where, "message": f"client SSN {head}"})
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        r = c.put(f"/api/v4/posts/{pid}/patch", json={"message": f"client SSN {head} /acme/pl/{linked}"})
        assert r.status_code == 403, r.text
    blocked = [r for r in archive_records(gw.data_dir) if r.get("action") == "block"]
    assert len(blocked) >= 4 and SSN not in str(blocked)


def test_clean_permalinks_pass_unchanged(gw: Gateway) -> None:
    with gw.client("alice") as c:
        r = c.post("/api/v4/posts", json={"channel_id": _channel(gw), "message": "rates at noon"})
        assert r.status_code == 201, r.text
        message = f"see {gw.url}/acme/pl/{r.json()['id']} and /acme/pl/{'a' * 26} (gone)"
        r = c.post("/api/v4/posts", json={"channel_id": _channel(gw), "message": message})
        assert r.status_code == 201, r.text
        assert r.json()["message"] == message


def _client(answer: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url="http://mm", transport=httpx.MockTransport(answer))


def _run(texts: list[str], answer: Any, cache: permalinks.LinkedPosts | None = None,
         fallback: str | None = "fb") -> list[tuple[str, str]]:
    async def go() -> list[tuple[str, str]]:
        async with _client(answer) as upstream:
            return await permalinks.linked_readings(
                [(f"body.t{i}", t) for i, t in enumerate(texts)], upstream=upstream, token="tk",
                fallback_token=fallback, timeout=5, cache=cache or permalinks.LinkedPosts())
    return asyncio.run(go())


def test_reads_fail_closed_and_are_bounded() -> None:
    asked: list[tuple[str, str]] = []
    a, b = "a" * 26, "b" * 26

    def answer(request: httpx.Request) -> httpx.Response:
        pid = request.url.path.rsplit("/", 1)[-1]
        asked.append((pid, request.headers["Authorization"]))
        if pid == a:
            return httpx.Response(200, json={"message": "-8710"})
        if pid == b:  # the caller may not read it; the fallback account may
            return httpx.Response(403 if request.headers["Authorization"] == "Bearer tk" else 200,
                                  json={"message": "ends 8710"})
        if pid.startswith("f"):
            return httpx.Response(403, json={})
        if pid.startswith("e"):
            return httpx.Response(500, json={})
        return httpx.Response(404, json={})

    assert _run([f"x /pl/{a} y /pl/{b}", "no link", f"/pl/{'c' * 26}"], answer) == [
        ("body.t0", "x   y\n-8710\nends 8710")]
    assert ("b" * 26, "Bearer fb") in asked
    with pytest.raises(Unresolved) as exc:
        _run([f"/pl/{'f' * 26}"], answer)
    assert exc.value.status == 400  # readers of that channel would see it
    with pytest.raises(Unresolved) as exc:
        _run([f"/pl/{'e' * 26}"], answer)
    assert exc.value.status == 503
    with pytest.raises(Unresolved) as exc:
        _run([" ".join(f"/pl/{str(i) * 26}" for i in range(permalinks.MAX_LINKS + 1))], answer)
    assert exc.value.status == 400
    with pytest.raises(Unresolved) as exc:
        asyncio.run(permalinks.linked_readings([("m", f"/pl/{a}")], upstream=None, token=None,
                                               fallback_token=None, timeout=1))
    assert exc.value.status == 503


def test_linked_messages_are_cached_briefly_with_an_injected_clock() -> None:
    now = [0.0]
    cache = permalinks.LinkedPosts(clock=lambda: now[0])
    calls = [0]
    pid = "d" * 26

    def answer(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        return httpx.Response(200, json={"message": f"v{calls[0]} 8710"})

    assert _run([f"/pl/{pid}"], answer, cache)[0][1].endswith("v1 8710")
    assert _run([f"/pl/{pid}"], answer, cache)[0][1].endswith("v1 8710")
    now[0] += permalinks.CACHE_SECONDS
    assert _run([f"/pl/{pid}"], answer, cache)[0][1].endswith("v2 8710")


_ID = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=26, max_size=26)


@given(_ID, st.sampled_from(["/pl/", "&#47;pl&#47;", "&sol;pl&sol;", "\\/pl\\/", "/&#112;l/", "&#x2F;pl/"]),
       st.text(max_size=20), st.sampled_from(["", " ", ")", ".", "\n", "?x"]))
def test_property_every_spelling_of_a_permalink_is_found(pid: str, sep: str, before: str, after: str) -> None:
    text = f"{before} https://h/t{sep}{pid}{after}"
    assert pid in permalinks.linked_ids(text)
