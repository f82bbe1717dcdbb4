"""Nothing client-supplied at rest in clear (issue 14, class 7).

A hostile run through the real gateway puts customer identifiers everywhere a
request lets a client put a string the gateway might copy: root_id, channel_id
(plain and hidden in an id-shaped value), path segments, query keys and values,
JSON keys, header values, the user agent, a Content-Encoding, file names,
upload sessions, websocket actions and fields, a held message's pending_post_id.
Then the whole data dir (archive, the private Redis's AOF and RDB, logs), a
logical dump of every Redis key and value, and the metrics page are scanned for
each identifier, as written and as its digits with any separator (``-``, space,
``%2D``...) between them.  None may be found."""

from __future__ import annotations

import email.message
import io
import json
import re
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
import wsproto
import wsproto.events as wse

from dlp_proxy import atrest
from dlp_proxy.policy.testing import ACCOUNT, CARD, ROUTING, SSN
from tests.conftest import Gateway, archive_records, start_gateway, stop, wait_for

IDENTIFIERS = [SSN, CARD, ACCOUNT, ROUTING]


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _pattern(value: str) -> re.Pattern[bytes]:
    """The identifier's digits, in order, with at most one short separator (up
    to three non-alphanumeric bytes or a percent-escape) between any two."""
    sep = rb"(?:[^0-9A-Za-z]{0,3}|%[0-9A-Fa-f]{2})"
    return re.compile(sep.join(re.escape(d.encode()) for d in _digits(value)))


def find_identifiers(blob: bytes) -> list[str]:
    return [v for v in IDENTIFIERS if v.encode() in blob or _pattern(v).search(blob)]


def _pad_id(value: str) -> str:
    """An id-shaped value (26 x [a-z0-9]) carrying the identifier's digits."""
    d = _digits(value)[:20]
    return ("q" * (26 - len(d))) + d


def test_the_scanner_finds_what_it_looks_for() -> None:
    assert find_identifiers(f"x {SSN} y".encode()) == [SSN]
    assert find_identifiers(b"id qqqqqqqqqqqqqqqq" + _digits(CARD).encode()) == [CARD]
    assert find_identifiers(SSN.replace("-", "%2D").encode()) == [SSN]
    assert find_identifiers(b"nothing here 12-34") == []


@pytest.fixture(scope="module")
def hostile(simulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(simulator, tmp_path_factory.mktemp("hostile"))
    try:
        _run_hostile(gw)
        yield gw
    finally:
        stop(gw.proc)


def _run_hostile(gw: Gateway) -> None:
    town = gw.sim.channel("town_square")
    private = gw.sim.channel("private")
    hook = str(gw.sim.ids["incoming_hook"])
    ua = {"User-Agent": f"agent/{SSN}", "X-Requested-With": f"XMLHttpRequest {CARD}",
          "Authorization": f"Bearer {gw.sim.token('alice')}"}
    # (the client waits longer than the gateway's file deadline, 120 s: an upload
    # answered within it, on a loaded host, is the gateway's business)
    with httpx.Client(base_url=gw.url, headers=ua, timeout=150) as c:
        sent: list[httpx.Response] = []
        # ids in the body: plain, and hidden in id-shaped values
        sent.append(c.post("/api/v4/posts", json={"channel_id": town, "message": "hello", "root_id": SSN}))
        sent.append(c.post("/api/v4/posts", json={"channel_id": _pad_id(ACCOUNT), "message": "hello",
                                                  "root_id": _pad_id(SSN)}))
        sent.append(c.post("/api/v4/posts", json={"channel_id": SSN, "message": "hi"}))
        # a held message (private channel): quarantined, its metadata in Redis
        sent.append(c.post("/api/v4/posts", json={"channel_id": private, "message": f"client {SSN}",
                                                  "root_id": _pad_id(CARD),
                                                  "pending_post_id": f"{gw.sim.ids['users']['alice']}:{_digits(CARD)}"}))
        # path segments, query keys and values, JSON keys
        sent.append(c.put(f"/api/v4/posts/{_pad_id(SSN)}/patch", json={"message": "edit"}))
        sent.append(c.post(f"/api/v4/widgets/{_digits(CARD)}/x?{_digits(SSN)}=1&filename={ACCOUNT}.txt",
                           json={_digits(ROUTING): "v", "note": "n"}))
        sent.append(c.post(f"/api/v4/posts/%20../{SSN}", json={"message": "m", "channel_id": town}))
        sent.append(c.post(f"/hooks/{_digits(SSN)}", json={"text": "hi"}))
        sent.append(c.post(f"/hooks/{hook}?x={SSN}", json={"text": "hi", f"k{_digits(ACCOUNT)}": 1}))
        # header values in refusal messages
        sent.append(c.post("/api/v4/posts", content=b'{"message":"x"}',
                           headers={"Content-Encoding": f"x-{SSN}", "Content-Type": "application/json"}))
        sent.append(c.post("/api/v4/posts", content=b'{"message":"x"}',
                           headers={"Content-Type": f"multipart/form-data; boundary={SSN}"}))
        sent.append(c.post(f"/api/v4/posts%zz{_digits(SSN)}", json={"message": "x"}))
        # file names: raw upload, multipart, resumable upload session
        sent.append(c.post(f"/api/v4/files?channel_id={town}&filename={SSN}.txt", content=b"hello",
                           headers={"Content-Type": "application/octet-stream"}))
        sent.append(c.post("/api/v4/files", data={"channel_id": town},
                           files={"files": (f"{ACCOUNT}.txt", b"quarterly notes", "text/plain")}))
        sent.append(c.post(f"/api/v4/files?channel_id={SSN}&filename=a.txt", content=b"hello",
                           headers={"Content-Type": "application/octet-stream"}))
        up = c.post("/api/v4/uploads", json={"channel_id": town, "filename": f"{CARD}.csv", "file_size": 10})
        sent.append(up)
        if up.status_code == 201:
            sent.append(c.post(f"/api/v4/uploads/{up.json()['id']}", content=b"0123", headers={"Content-Type": "application/octet-stream"}))
        sent.append(c.post(f"/api/v4/uploads/{_digits(SSN)}", content=b"x", headers={"Content-Type": "application/octet-stream"}))
    # identifiers in the names inside a stopped file (archive members, an email's
    # attachment), in a JSON key and in a file's extension: the sender's notice names
    # where the data was (a client without the hostile headers: they would be named)
    with httpx.Client(base_url=gw.url, headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=150) as c:
        stopped = [
            c.post("/api/v4/files", data={"channel_id": town},
                   files={"files": ("notes.zip", _zip_with_named_members(), "application/zip")}),
            c.post("/api/v4/files", data={"channel_id": private},
                   files={"files": ("notes.zip", _zip_with_named_members(), "application/zip")}),
            c.post("/api/v4/files", data={"channel_id": town},
                   files={"files": ("mail.eml", _eml_with_named_attachment(), "message/rfc822")}),
            c.post("/api/v4/posts", json={"channel_id": town, "message": "see props",
                                          "props": {f"acct{_digits(ACCOUNT)}": f"card {CARD}"}}),
            c.post("/api/v4/files", data={"channel_id": town},
                   files={"files": (f"notes.a{_digits(ACCOUNT)[:7]}", b"\x00\x01" * 64 + b"\xff", "application/x-bin")}),
        ]
        sent += stopped
    assert all(r.status_code < 500 for r in sent), [(r.request.url.path, r.status_code, r.text[:200]) for r in sent]
    # the gateway's notices about the stopped files and post have reached Mattermost
    for r in stopped[:4]:
        assert r.status_code in (400, 403), (r.status_code, r.text[:300])
        rid = r.json()["request_id"]
        wait_for(lambda rid=rid: any(rid in str(p.get("message", "")) for p in gw.sim.posts()), f"the notice of {rid}")
    _hostile_websocket(gw, town)


def _zip_with_named_members() -> bytes:
    """A member whose name carries an identifier's digits in a form the detector does
    not read as one (the names are scanned too): the finding is in its content, so
    the notice points into the member."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(f"clients/{_digits(SSN)}.txt", f"card {CARD}\n")
    return buf.getvalue()


def _eml_with_named_attachment() -> bytes:
    msg = email.message.EmailMessage()
    msg["Subject"] = "notes"
    msg["From"] = "a@example.com"
    msg.set_content("see attached")
    msg.add_attachment(f"card {CARD}\n".encode(), maintype="text", subtype="plain",
                       filename=f"a{_digits(ACCOUNT)}.txt")
    return bytes(msg)


def _hostile_websocket(gw: Gateway, town: str) -> None:
    host, port = gw.url.removeprefix("http://").split(":")
    # an upgrade whose User-Agent holds a card is refused (a read's stored headers are
    # judged: atk21p F4), its header never echoed nor kept in clear
    ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(ws.send(wse.Request(host=f"{host}:{port}", target=f"/api/v4/websocket?x={SSN}", extra_headers=[
            (b"authorization", f"Bearer {gw.sim.token('alice')}".encode()), (b"user-agent", f"ua {CARD}".encode())])))
        sock.settimeout(60)
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
        assert _digits(CARD).encode() not in answer and CARD.encode() not in answer
    ws = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(ws.send(wse.Request(host=f"{host}:{port}", target=f"/api/v4/websocket?x={SSN}", extra_headers=[
            (b"authorization", f"Bearer {gw.sim.token('alice')}".encode()), (b"user-agent", b"ua")])))
        sock.settimeout(60)  # a generous bound for a loaded host
        accepted = False
        while not accepted:
            ws.receive_data(sock.recv(65536))
            accepted = any(isinstance(ev, wse.AcceptConnection) for ev in ws.events())
        frames = [
            {"seq": 1, "action": "user_typing", "data": {"channel_id": town, "parent_id": SSN}},
            {"seq": 2, "action": f"custom_{_digits(SSN)}", "data": {}},
            # digits in pairs, joined by underscores: no run of three, still the SSN
            {"seq": 6, "action": "custom_" + "_".join(_digits(SSN)[i:i + 2] for i in range(0, 9, 2)),
             "data": {"note": "x"}},
            {"seq": 3, "action": "custom_calls_join", "data": {"channelID": _pad_id(ACCOUNT), "title": "t"}},
            {"seq": 4, "action": "ping", "data": {_digits(CARD): 1}},
            {"seq": 5, "action": "ping"},
        ]
        for f in frames:
            sock.sendall(ws.send(wse.Message(data=json.dumps(f))))
        sock.sendall(ws.send(wse.Message(data=f"not json {SSN}")))
        sock.sendall(ws.send(wse.Ping(payload=f"ping {CARD}".encode())))  # control frames: mitmproxy may log them
        sock.sendall(ws.send(wse.Message(data=json.dumps({"seq": 9, "action": "ping"}))))
        buf = b""
        sock.settimeout(60)  # a generous bound for a loaded host
        while b'"seq_reply": 9' not in buf and b'"seq_reply":9' not in buf:
            chunk = sock.recv(65536)
            assert chunk, "socket closed"
            buf += chunk


def _redis_dump(gw: Gateway) -> bytes:
    url = (gw.data_dir / "redis" / "url").read_text().strip()
    r = redis.Redis.from_url(url)
    out: list[bytes] = []
    for key in r.scan_iter(count=1000):
        out.append(key)
        kind = r.type(key).decode()
        if kind == "string":
            out.append(r.get(key) or b"")
        elif kind == "hash":
            for k, v in r.hgetall(key).items():
                out += [k, v]
        elif kind == "list":
            out += r.lrange(key, 0, -1)
        elif kind == "set":
            out += list(r.smembers(key))
        elif kind == "zset":
            out += [m for m, _ in r.zrange(key, 0, -1, withscores=True)]
        elif kind == "stream":
            for _id, fields in r.xrange(key):
                for k, v in fields.items():
                    out += [k, v]
    r.save()  # the RDB on disk too
    r.close()
    return b"\n".join(out)


def test_hostile_run_leaves_no_identifier_in_clear(hostile: Gateway) -> None:
    gw = hostile
    records = archive_records(gw.data_dir)
    # the run happened: refusals, decisions, a held message, websocket frames
    assert len(records) >= 20, len(records)
    assert any(r.get("action") == "quarantine" for r in records)
    assert any(str(r.get("route", "")).startswith("websocket.") for r in records)
    assert any(r.get("rule_id") == "bad-body" for r in records)
    dump = _redis_dump(gw)
    assert b"dlp:quarantine" in dump or b"quarantine" in dump
    metrics = httpx.get(gw.admin_url + "/metrics", timeout=60).content
    found: dict[str, list[str]] = {}
    for name, blob in [("redis (logical dump)", dump), ("metrics", metrics)]:
        if hits := find_identifiers(blob):
            found[name] = hits
    for path in sorted(Path(gw.data_dir).rglob("*")):
        if path.is_file():
            if hits := find_identifiers(path.read_bytes()):
                found[str(path.relative_to(gw.data_dir))] = hits
    assert not found, found


def test_gateway_posts_carry_no_identifier(hostile: Gateway) -> None:
    """What the gateway itself posts to Mattermost about the hostile run (the sender's
    ephemeral notices and bot DMs, compliance alerts) is stored by Mattermost in
    clear: it names where the data was (``Where: `file[0]:member=clients/….txt```)
    and the file by its kind, never a member's, attachment's or key's name that
    carries an identifier (attack F5: "clients/536-22-8710.txt" was quoted)."""
    rids = {str(r["request_id"]) for r in archive_records(hostile.data_dir) if r.get("request_id")}
    mine = [p for p in hostile.sim.posts() if (p.get("props") or {}).get("from_dlp_proxy")
            and any(rid in str(p.get("message", "")) for rid in rids)]
    assert len(mine) >= 4, [p.get("message") for p in mine]
    shown = "\n\n".join(str(p.get("message")) for p in mine)
    # the notices do point into the member, the attachment and the key (shape-checked)
    for where in ("member=clients/", "attachment=", "body.props"):
        assert where in shown, (where, [line for line in shown.splitlines() if line.startswith("Where")][-6:])
    leaked = [(p.get("message"), hits) for p in mine if (hits := find_identifiers(json.dumps(p).encode()))]
    assert not leaked, leaked


def test_archived_metadata_has_its_documented_form(hostile: Gateway) -> None:
    for rec in archive_records(hostile.data_dir):
        ctx = rec.get("context") or {}
        for name in ("channel_id", "root_id", "hook_id"):
            value = ctx.get(name)
            assert value is None or atrest.is_id(value) or re.fullmatch(r"~[0-9a-f]{20}", value), (name, value)
        path = rec.get("path")
        unhashed = re.sub(r"~[0-9a-f]{20}", "~", path or "")
        assert path is None or path == "<invalid>" or not re.search(r"\d{6,}", unhashed), path


# ------------------------------------------------------------------ the shaping functions
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_KEY = b"k" * 32


@settings(max_examples=1500, deadline=None)
@given(st.text("0123456789", min_size=6, max_size=16),
       st.lists(st.sampled_from([".", ":", "=", "!", "/", " ", ",", "-", "[", "]", "(", ")", "a", "B", "_"]), max_size=6),
       st.sampled_from(["body.", "query.", "form.", "file[0]:sheet=", "file[1]:member=a.zip/"]),
       st.integers(min_value=1, max_value=5))
def test_no_shaped_output_carries_a_long_number(digits: str, seps: list[str], head: str, cut: int) -> None:
    """However the digits are split by separators, names or brackets, neither a
    field path, a masked path nor an id keeps them lined up."""
    pieces = [digits[i:i + cut] for i in range(0, len(digits), cut)]
    body = "".join(p + (seps[i % len(seps)] if seps else "") for i, p in enumerate(pieces))
    for out in (atrest.safe_field_path(_KEY, head + body), atrest.shown_field_path(head + body),
                atrest.mask_path(_KEY, "/api/v4/" + body),
                str(atrest.safe_id(_KEY, body)), atrest.safe_text(body)):
        unhashed = re.sub(r"~[0-9a-f]{20}", "~", out)
        joined = re.sub(r"(?<=\d)[^A-Za-z0-9]{1,3}(?=\d)", "", unhashed)
        assert digits not in joined, (head + body, out)


def test_shapes_kept() -> None:
    ident = "y7kk5cjibi194smnz58ymwypmh"
    assert atrest.safe_id(_KEY, ident) == ident
    assert atrest.safe_id(_KEY, "qqqqqqqqqqqqqqqqq536228710") != "qqqqqqqqqqqqqqqqq536228710"
    assert atrest.safe_id(_KEY, "qqqqqqqqqqqqqqqqq536228710", verified=True) == "qqqqqqqqqqqqqqqqq536228710"
    assert atrest.route_path(_KEY, "/api/v4/posts/{post_id}/patch", {"post_id": ident}) == f"/api/v4/posts/{ident}/patch"
    assert atrest.mask_path(_KEY, "/api/v4/widgets/4111111111111111/x") == "/api/v4/widgets/*/x"
    assert atrest.safe_field_path(_KEY, "file[0]:sheet=Clients!B2") == "file[0]:sheet=Clients!B2"
    assert atrest.safe_text("unsupported Content-Encoding 'x-536-22-8710'") == "unsupported Content-Encoding (value withheld)"
    assert atrest.safe_filename("4111111111111111.csv") == "upload.csv"


@pytest.mark.parametrize("head", [
    f"Content-Length: 12{_digits(SSN)}x",  # not a number
    f"Bad Header{_digits(SSN)}: y",  # invalid header name
    f"Transfer-Encoding: chunked-{_digits(SSN)}",
])
def test_protocol_errors_never_echo_header_values(hostile: Gateway, head: str) -> None:
    host, port = hostile.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(f"POST /api/v4/posts HTTP/1.1\r\nHost: x\r\n{head}\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
    assert b"application/json" in answer
    assert not find_identifiers(answer), answer
