"""Attack pass atk22 through the real gateway process, its Redis and the Mattermost
simulator (the reproducers' logic: an exact body reaches Mattermost or not).

F5: an IBAN with a line break inside its first four characters, in a post and in an
uploaded .txt file.  F6: an unlabelled card broken by one line break in a post.  F3: an
IBAN split over consecutive posts cut inside its letters.  F2: three posts with no label
cut inside digit groups.  Each is stopped and nothing of it reaches Mattermost; the
channel's ordinary multi-line chat with numbers passes.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Gateway, Simulator, start_gateway, start_simulator, stop

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = "api.dlp.blocked.app_error"
POLICY = """
schema: 1
defaults: {min_score: 0.5, on_context_error: block}
exceptions: []
rules:
  - id: npi
    action: block
    match: {entities: [US_SSN, US_ITIN, CREDIT_CARD, US_BANK_NUMBER, IBAN_CODE]}
"""


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    sim: Simulator = start_simulator()
    base = tmp_path_factory.mktemp("split-e2e22")
    config = base / "config"
    config.mkdir()
    (config / "policy.yaml").write_text(POLICY)
    (config / "recognizers.yaml").write_text((ROOT / "config" / "recognizers.yaml").read_text())
    g = start_gateway(sim, base / "data", config_dir=config)
    try:
        yield g
    finally:
        stop(g.proc)
        stop(sim.proc)


def _send(gw: Gateway, method: str, path: str, body: Any) -> tuple[httpx.Response, bytes]:
    gw.sim.clear()
    raw = json.dumps(body).encode()
    r = httpx.request(method, gw.url + path, headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                      content=raw, timeout=90)
    return r, raw


def _reached(gw: Gateway, path: str, raw: bytes) -> bool:
    return any(q["path"] == path and base64.b64decode(q["body_b64"]) == raw for q in gw.sim.requests())


def _channel(gw: Gateway) -> str:
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    name = "atk22-" + uuid.uuid4().hex[:8]
    r, _ = _send(gw, "POST", "/api/v4/channels", {"team_id": team, "name": name, "display_name": name, "type": "O"})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


def _post(gw: Gateway, channel: str, message: str) -> bool:
    """Whether the post passed; a stopped one is Mattermost-shaped and reaches nothing."""
    r, raw = _send(gw, "POST", "/api/v4/posts", {"channel_id": channel, "message": message})
    if r.status_code in (200, 201):
        assert _reached(gw, "/api/v4/posts", raw)
        return True
    assert r.status_code == 403 and r.json()["id"] == BLOCKED, (r.status_code, r.text)
    assert not _reached(gw, "/api/v4/posts", raw)
    return False


F5_POSTS = ["IBAN G\nB82 WEST 1234 5698 7654 32", "GB\n82 WEST 1234 5698 7654 32", "IBAN GB8\n2 WEST 1234 5698 7654 32",
            "G\nB82WEST12345698765432", "IBAN G\r\nB82 WEST 1234 5698 7654 32", "IBAN G\u2028B82 WEST 1234 5698 7654 32",
            "IBAN G\x85B82 WEST 1234 5698 7654 32", "IBAN G\vB82 WEST 1234 5698 7654 32",
            "IBAN G\n\nB82 WEST 1234 5698 7654 32", "IBAN G\n> B82 WEST 1234 5698 7654 32",
            "IBAN D\nE89 3704 0044 0532 0130 00"]


@pytest.mark.parametrize("message", F5_POSTS)
def test_f5_an_iban_broken_in_its_first_four_characters_is_stopped(gw: Gateway, message: str) -> None:
    assert not _post(gw, _channel(gw), message)


def test_f5_the_same_in_an_uploaded_text_file(gw: Gateway) -> None:
    gw.sim.clear()
    data = b"Client wire details\nIBAN G\nB82 WEST 1234 5698 7654 32\n"
    r = httpx.post(f"{gw.url}/api/v4/files", headers={"Authorization": f"Bearer {gw.sim.token('alice')}"},
                   data={"channel_id": _channel(gw)}, files={"files": ("w.txt", data, "text/plain")}, timeout=90)
    assert r.status_code == 403 and r.json()["id"] == BLOCKED, r.text
    assert [q for q in gw.sim.requests() if q["path"].startswith("/api/v4/files")] == []


F6_POSTS = ["4539\n1488 0343 6467", "4\n539 1488 0343 6467", "4539 14\n88 0343 6467", "4539 1488 0343 646\n7",
            "3\n782 822463 10005", "4539148803436\n467", "paid with 4\n111 1111 1111 1111", "5555 5555 5555 444\n4"]


@pytest.mark.parametrize("message", F6_POSTS)
def test_f6_an_unlabelled_card_broken_by_one_line_break_is_stopped(gw: Gateway, message: str) -> None:
    assert not _post(gw, _channel(gw), message)


SPLITS = [
    # F3: an IBAN cut inside its letters
    ["IBAN GB82 WE", "ST 1234 5698 7654 32"],
    ["IBAN G", "B82 WEST 1234 5698 7654 32"],
    ["IBAN GB82 W", "EST12345698765432"],
    ["IBAN GB", "82 WEST 1234 5698 7654 32"],
    ["IBAN GB82 WE", "ST 1234 56", "98 7654 32"],
    # F2: no label, cut inside digit groups
    ["536-2", "2-87", "10"],
    ["4111 11", "11 1111 1", "111"],
]


@pytest.mark.parametrize("posts", SPLITS)
def test_f3_f2_a_split_cut_inside_a_group_is_stopped(gw: Gateway, posts: list[str]) -> None:
    channel = _channel(gw)
    for message in posts[:-1]:
        assert _post(gw, channel, message), message
    assert not _post(gw, channel, posts[-1])


CHAT = [
    ["buy 500 GE\n82 WEST st is the office", "px 101.25\n1200 shares", "meeting at 3:30\nroom 12"],
    ["GB", "82 people on the call", "ok"],
    ["AT&T 12", "34 lots", "5678"],
    ["116-2", "3 sorry 116-23", "5000"],
    ["4500", "1200", "thanks"],
    ["IBAN lookup is down", "ok", "back in 5"],
    ["plan B", "AT 5,948.71 close", "NQ 21000.50"],
]


@pytest.mark.parametrize("posts", CHAT)
def test_ordinary_multi_line_chat_with_numbers_passes(gw: Gateway, posts: list[str]) -> None:
    channel = _channel(gw)
    for message in posts:
        assert _post(gw, channel, message), message
