"""Attack pass atk25, F4 and F5, end to end: the real gateway process, its own Redis and
the Mattermost simulator (policy: every identifier blocked).

F4: the post before an answer is its context.  Bob asks "what's Jane Doe's social
security number?" in the channel; Alice's flat answer "it's 536228710" (no root_id)
was forwarded: the split window reads a label post only over a post that starts with
its number.  The channel's recent context (policy/split.py ``SplitWindow.note`` and
``add``'s ``recent``) now labels a short post's numbers with the words of the posts
before it.  A desk's "which acct?" then "order 4839201234 filled" still passes.

F5: a file's name labels the numbers in it.  ``client_ssn.csv`` holding
``name,value`` over names and bare nine-digit numbers was stored; the name's context
words now label the file's lines in the file worker (gateway/filescan.py
``_named_by_the_name``), a zip member's name its member's.  ``accounts.csv`` holding a
blotter of order ids and prices under their column headers still passes.
"""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import pytest

from dlp_proxy.policy.testing import ACCOUNT, SSN
from tests.conftest import Gateway
from tests.test_split_e2e import BLOCKED, _send, split_gateway

_DIGITS = re.sub(r"\D", "", SSN)
#: a second SSN-valid synthetic number (area 449, group 10, serial 7324)
_OTHER = "449107324"
_names = count()


@pytest.fixture(scope="module")
def gw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    yield from split_gateway(tmp_path_factory, "recent-context")


def _channel(gw: Gateway) -> str:
    team = gw.sim.ids["team"] if "team" in gw.sim.ids else gw.sim.ids["teams"]["main"]
    n = next(_names)
    r = _send(gw, "alice", "POST", "/api/v4/channels",
              {"team_id": team, "name": f"ctx25-{n}", "display_name": f"Desk {n}", "type": "O"})
    assert r.status_code == 201, r.text
    channel = str(r.json()["id"])
    r = _send(gw, "alice", "POST", f"/api/v4/channels/{channel}/members", {"user_id": gw.sim.ids["users"]["bob"]})
    assert r.status_code in (200, 201), r.text
    return channel


def _post(gw: Gateway, user: str, channel: str, message: str, root_id: str = "") -> httpx.Response:
    body: dict[str, Any] = {"channel_id": channel, "message": message}
    if root_id:
        body["root_id"] = root_id
    return _send(gw, user, "POST", "/api/v4/posts", body)


def _passes(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def _reached(gw: Gateway, path: str) -> list[dict[str, Any]]:
    return [q for q in gw.sim.requests() if q["path"] == path and q["method"] != "GET"
            and b"from_dlp_proxy" not in base64.b64decode(q["body_b64"])]


def _stopped(gw: Gateway, r: httpx.Response, path: str = "/api/v4/posts") -> None:
    assert r.status_code == 403 and r.json()["id"] == BLOCKED, (r.status_code, r.text)
    assert _reached(gw, path) == []


# --------------------------------------------------------------------------- F4


def test_a_flat_answer_to_the_question_above_is_stopped(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "bob", ch, "what's Jane Doe's social security number?"))
    _stopped(gw, _post(gw, "alice", ch, f"it's {_DIGITS}"))
    # the stopped answer left nothing behind: the question still labels the next one
    _stopped(gw, _post(gw, "alice", ch, f"Jane Doe {_OTHER}"))


def test_chat_between_the_question_and_the_answer(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "bob", ch, "can you send me Jane Doe's SSN so I can file the form"))
    _passes(_post(gw, "alice", ch, "sure, one sec"))
    _stopped(gw, _post(gw, "alice", ch, f"here you go: Jane Doe {_OTHER}"))


def test_an_answer_in_the_thread_with_words(gw: Gateway) -> None:
    ch = _channel(gw)
    root = _passes(_post(gw, "bob", ch, "what's Jane Doe's social security number?"))["id"]
    _stopped(gw, _post(gw, "alice", ch, f"it's {_DIGITS}", root_id=root))


def test_an_account_number_answering_which_account(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "bob", ch, "what acct should I wire it to?"))
    _stopped(gw, _post(gw, "alice", ch, f"use {ACCOUNT} at Chase"))


def test_which_account_then_an_order_filled_passes(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "bob", ch, "which acct?"))
    _passes(_post(gw, "alice", ch, "order 4839201234 filled"))
    _passes(_post(gw, "alice", ch, "px 101.25, qty 500, ticket 48213"))


def test_a_question_labels_the_first_answer_with_a_number_only(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "bob", ch, "which acct?"))
    _passes(_post(gw, "alice", ch, "order 4839201234 filled"))
    # a later post's number is not the answer to the question: no label reaches it
    _passes(_post(gw, "alice", ch, "and 4839201299 too"))
    # (the control: right after the question, the same post is its answer)
    _passes(_post(gw, "bob", ch, "which acct?"))
    _stopped(gw, _post(gw, "alice", ch, "and 4839201299 too"))


def test_a_long_post_gets_no_recent_context(gw: Gateway) -> None:
    ch = _channel(gw)
    _passes(_post(gw, "bob", ch, "what's the client's SSN?"))
    filler = "the desk moved the Tuesday review to Thursday afternoon, same room as last week, " * 3
    _passes(_post(gw, "alice", ch, f"{filler}and the ticket count was {_DIGITS}"))


# --------------------------------------------------------------------------- F5

_ROWS = f"name,value\nJane Doe,{_DIGITS}\nJohn Roe,{_OTHER}\n".encode()
_BLOTTER = (b"order_id,symbol,side,qty,price,trader\n4839201234,AAPL,B,500,189.25,JL\n"
            b"4839201299,MSFT,S,200,411.10,RS\n4839201301,XOM,B,1500,118.40,JL\n")


def _upload(gw: Gateway, channel: str, name: str, data: bytes) -> httpx.Response:
    boundary = "ctx25bound"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\n{channel}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    gw.sim.clear()
    return httpx.post(gw.url + "/api/v4/files", content=body, timeout=90,
                      headers={"Authorization": f"Bearer {gw.sim.token('alice')}",
                               "Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.mark.parametrize("name", ["client_ssn.csv", "social_security_numbers.csv", "clientSSNs.csv"])
def test_a_files_name_labels_its_numbers(gw: Gateway, name: str) -> None:
    r = _upload(gw, _channel(gw), name, _ROWS)
    assert r.status_code in (400, 403), (r.status_code, r.text)
    assert r.json()["id"] in (BLOCKED, "api.dlp.quarantined.app_error"), r.text
    assert _reached(gw, "/api/v4/files") == []


def test_a_zip_members_name_labels_its_numbers(gw: Gateway) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export/client_ssn.csv", _ROWS)
        z.writestr("readme.txt", "weekly export")
    r = _upload(gw, _channel(gw), "weekly.zip", buf.getvalue())
    assert r.status_code in (400, 403), (r.status_code, r.text)
    assert _reached(gw, "/api/v4/files") == []


def test_a_neutral_name_and_an_accounts_blotter_pass(gw: Gateway) -> None:
    ch = _channel(gw)
    r = _upload(gw, ch, "export.csv", _ROWS)  # no word for an identifier anywhere: bare numbers
    assert r.status_code == 201, r.text
    for name in ("accounts.csv", "account_blotter.csv"):
        r = _upload(gw, ch, name, _BLOTTER)
        assert r.status_code == 201, (name, r.text)
        assert json.loads(r.text)["file_infos"][0]["name"] == name
