"""What the gateway sends to Mattermost of a request before deciding it, and what it keeps at rest of names.

Attack pass atk10p: ``card ~4111-1111-1111-1111`` was blocked, but the gateway had first
asked Mattermost ``GET /api/v4/teams/<team>/channels/name/4111-1111-1111-1111`` (F2):
Mattermost logs the path of every request (web/handlers.go).  A username that holds a
number (``u4111111111111111``, accepted by model.IsValidUsername) was copied in clear
into archive records and the Redis identity cache (F5).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dlp_proxy import atrest
from dlp_proxy.gateway import lookups
from tests.conftest import Gateway, start_gateway, start_simulator, stop, wait_for

CARD = "4111111111111111"


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim = start_simulator()
    gateway = start_gateway(sim, tmp_path_factory.mktemp("lookups") / "gw")
    try:
        yield gateway
    finally:
        stop(gateway.proc)
        stop(sim.proc)


def _sent(gw: Gateway) -> list[str]:
    """What the gateway asked Mattermost, other than the writes it forwarded: each
    lookup's path and body."""
    out = []
    for r in gw.sim.requests():
        if r["method"] == "GET" or r["path"] == "/api/v4/users/usernames":
            out.append(f"{r['method']} {r['path']}?{r['query']} {base64.b64decode(r['body_b64']).decode(errors='replace')}")
    return out


def test_names_and_ids_holding_an_identifier_are_never_looked_up(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/api/v4/posts", {"channel_id": town, "message": "card ~4111-1111-1111-1111 please"}, "4111-1111-1111-1111"),
        ("/api/v4/posts", {"channel_id": town, "message": "card @4111-1111-1111-1111 please"}, "4111-1111-1111-1111"),
        ("/api/v4/posts", {"channel_id": town, "message": "SSN ~~a~~536-22-8710"}, "536-22-8710"),
        ("/api/v4/posts", {"channel_id": town, "message": "iban ~gb82-west-1234-5698-7654-32"}, "1234-5698"),
        ("/api/v4/drafts", {"channel_id": town, "message": "card ~4111-1111-1111-1111"}, "4111-1111-1111-1111"),
        # glued to a letter (the detector's boundary): the digit run is not sent either
        ("/api/v4/posts", {"channel_id": town, "message": f"ask @u{CARD} or ~c{CARD}"}, CARD),
        ("/api/v4/posts", {"channel_id": town, "message": f"see https://chat.example/t/pl/{CARD}aaaaaaaaaa"}, CARD),
        ("/api/v4/posts", {"channel_id": town, "message": "see the file",
                           "file_ids": ["536228710aaaaaaaaaaaaaaaaa"]}, "536228710"),
    ]
    with gw.client("alice") as c:
        for path, body, needle in cases:
            gw.sim.clear()
            r = c.post(path, json=body)
            assert r.status_code in (201, 400, 403), (body, r.status_code, r.text)
            leaked = [s for s in _sent(gw) if needle in s]
            assert not leaked, (body, leaked)


def test_clean_names_and_ids_are_still_looked_up(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    with gw.client("alice") as c:
        gw.sim.clear()
        r = c.post("/api/v4/posts", json={"channel_id": town, "message": "see ~town-square and @bob"})
        assert r.status_code == 201, r.text
    sent = _sent(gw)
    assert any("/channels/name/town-square" in s for s in sent), sent
    assert any(s.startswith("POST /api/v4/users/usernames") and '"bob"' in s for s in sent), sent


def test_sendable_follows_mattermost_shapes_and_the_screen() -> None:
    import asyncio

    async def screen(values: Any) -> set[str]:
        return {v for v in values if "flag" in v}

    async def run() -> None:
        got = await lookups.sendable(["town-square", "-x", "a" * 65, "ab", "flagged", "q3-2025-12-05", "ok"],
                                     lookups.CHANNEL_NAME, screen)
        assert got == ["town-square", "ab", "ok"]
        got = await lookups.sendable(["bob", "1bob", "all", "b.o_b-", "Bob", "b" * 65, "u536228710"],
                                     lookups.USERNAME, None, excluded=lookups.RESTRICTED_USERNAMES)
        assert got == ["bob", "1bob", "b.o_b-"]

    asyncio.run(run())


def _files(root: Path) -> Iterator[Path]:
    return (p for p in root.rglob("*") if p.is_file())


def test_a_username_holding_a_number_is_not_at_rest_in_clear(gw: Gateway) -> None:
    name = f"u{CARD}"
    me = httpx.get(f"{gw.sim.url}/api/v4/users/me", headers={"Authorization": f"Bearer {gw.sim.token('carol')}"},
                   timeout=10).json()
    r = httpx.put(f"{gw.sim.url}/api/v4/users/me/patch", headers={"Authorization": f"Bearer {gw.sim.token('carol')}"},
                  json={"username": name}, timeout=10)
    assert r.status_code == 200 and r.json()["username"] == name, r.text
    try:
        town = gw.sim.channel("town_square")
        marker = "zq" + secrets.token_hex(4)
        with gw.client("carol") as c:
            r = c.post("/api/v4/posts", json={"channel_id": town, "message": f"clean note {marker}"})
            assert r.status_code == 201, r.text
            r = c.post("/api/v4/posts", json={"channel_id": town, "message": "SSN 536-22-8710"})
            assert r.status_code == 403, r.text
        archive = gw.data_dir / "archive"
        wait_for(lambda: any(me["id"].encode() in p.read_bytes() for p in _files(archive)),
                 what="carol's records in the archive")
        # (Redis wrote its AOF before it answered the gateway, which answered the posts after)
        assert any(p.name.endswith(".aof") and p.stat().st_size for p in _files(gw.data_dir / "redis"))
        holding = [str(p) for p in _files(gw.data_dir) if CARD.encode() in p.read_bytes()]
        assert not holding, holding
    finally:
        httpx.put(f"{gw.sim.url}/api/v4/users/me/patch", headers={"Authorization": f"Bearer {gw.sim.token('carol')}"},
                  json={"username": me["username"]}, timeout=10)


def test_names_holding_a_digit_run_are_hashed_at_rest() -> None:
    key = b"k" * 32
    for name in ("bob", "town-square", "q3-2025", "desk 12345"):
        assert atrest.safe_name(key, name) == name
    for name in (f"u{CARD}", "c536-22-8710", "team 536 22 8710", "u４１１１１１", "x1\u200b2\u200b3456"):
        got = atrest.safe_name(key, name)
        assert got is not None and got != name and got.startswith("~"), (name, got)
