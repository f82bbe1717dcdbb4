"""Issue 14, bypass classes 1-5 and 9, end to end: the real gateway in front of the
simulator, which reads requests as Mattermost does (dlp_proxy/simulator/gohttp.py).

Each hostile request is first sent to the simulator directly, to show that
Mattermost would store the identifier it carries (the attack is real), then
through the gateway, which must not forward it (the simulator's record proves it).
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from dlp_proxy.policy.testing import SSN
from tests.conftest import Gateway

SECRET = f"client ssn {SSN} please update"
CSV = f"name,ssn,note\njane roe,{SSN},review\n".encode()
STOPPED = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error", "api.dlp.bad_request.app_error"}


def _escaped(text: str) -> str:
    """JSON string content with every digit as a \\uXXXX escape."""
    return "".join(f"\\u{ord(c):04x}" if c.isdigit() else c for c in text)


def _zip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("clients.csv", data)
    return buf.getvalue()


def _headers(gw: Gateway, extra: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {gw.sim.token('alice')}", **extra}


def _direct(gw: Gateway, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    return httpx.request(method, gw.sim.url + path, headers=_headers(gw, headers), content=body, timeout=30)


def _through(gw: Gateway, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
    gw.sim.clear()
    return httpx.request(method, gw.url + path, headers=_headers(gw, headers), content=body, timeout=30)


def _reached(gw: Gateway, path: str) -> list[dict[str, Any]]:
    p = path.split("?", 1)[0]
    return [r for r in gw.sim.requests() if r["path"] == p and r["method"] != "GET"
            and b"from_dlp_proxy" not in base64.b64decode(r["body_b64"])]


def _stored_post_with_secret(gw: Gateway) -> bool:
    return any(SSN in json.dumps(p) for p in gw.sim.posts())


def _assert_stopped(gw: Gateway, r: httpx.Response, path: str) -> None:
    assert r.status_code in (400, 403), (r.status_code, r.text)
    assert r.headers["content-type"] == "application/json" and r.json()["id"] in STOPPED
    assert _reached(gw, path) == []


@pytest.fixture
def webhook_rule(gateway: Gateway) -> Iterator[Any]:
    def set_rule(rule: str) -> None:
        r = httpx.post(f"{gateway.sim.url}/__sim/config", json={"webhook_rule": rule}, timeout=10)
        assert r.status_code == 200, r.text

    yield set_rule
    set_rule("mime")


# --------------------------------------------------------------------------- class 1


def test_class1_json_labelled_form_on_a_json_route(gateway: Gateway) -> None:
    path = "/api/v4/posts"
    body = json.dumps({"channel_id": gateway.sim.channel("town_square"), "message": SECRET}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _direct(gateway, "POST", path, headers, body).status_code == 201  # Mattermost decodes it as JSON
    _assert_stopped(gateway, _through(gateway, "POST", path, headers, body), path)


@pytest.mark.parametrize(("rule", "ctype", "body", "query"), [
    # newer handler: ParseMediaType says form (no space after ';'); the older one would not
    ("mime", "application/x-www-form-urlencoded;charset=utf-8", b"payload=" + quote(json.dumps({"text": SECRET})).encode(), ""),
    # newer handler: not multipart by ParseMediaType -> the body is JSON; the older one says multipart
    ("mime", "multipart/form-data-x; boundary=b", json.dumps({"text": SECRET}).encode(), ""),
    # older handler: a form by strings.Split(ct, "; "); ParseForm could not parse the type, so
    # r.FormValue("payload") comes from the query string
    ("split", "application/x-www-form-urlencoded; a=1; a=2", b"", "?payload=" + quote('{"text":"' + _escaped(SECRET) + '"}')),
])
def test_class1_webhook_read_as_each_version_reads_it(gateway: Gateway, webhook_rule: Any, rule: str, ctype: str,
                                                      body: bytes, query: str) -> None:
    webhook_rule(rule)
    path = f"/hooks/{gateway.sim.ids['incoming_hook']}{query}"
    headers = {"Content-Type": ctype}
    gateway.sim.clear()
    before = len(gateway.sim.posts())
    assert _direct(gateway, "POST", path, headers, body).status_code == 200
    assert any(SSN in json.dumps(p) for p in gateway.sim.posts()[before:])  # that version stores it
    _assert_stopped(gateway, _through(gateway, "POST", path, headers, body), path)


# --------------------------------------------------------------------------- class 2


def test_class2_json_in_front_of_a_dummy_multipart_section(gateway: Gateway) -> None:
    path = "/api/v4/posts"
    doc = json.dumps({"channel_id": gateway.sim.channel("town_square"), "message": SECRET}).encode()
    body = doc + b"\r\n--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nnothing\r\n--b--\r\n"
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    assert _direct(gateway, "POST", path, headers, body).status_code == 201  # json.Decoder reads the JSON
    _assert_stopped(gateway, _through(gateway, "POST", path, headers, body), path)


# --------------------------------------------------------------------------- class 3


@pytest.mark.parametrize("depth", [100, 900])
def test_class3_deep_json_with_escaped_digits(gateway: Gateway, depth: int) -> None:
    path = "/api/v4/posts"
    inner = '"' + _escaped(SECRET) + '"'
    for _ in range(depth):
        inner = '{"a":' + inner + "}"
    body = ('{"channel_id":"' + gateway.sim.channel("town_square") + '","message":"hi","props":{"x":' + inner + "}}").encode()
    headers = {"Content-Type": "application/json"}
    assert _direct(gateway, "POST", path, headers, body).status_code == 201  # encoding/json reads 10000 levels
    _assert_stopped(gateway, _through(gateway, "POST", path, headers, body), path)


# --------------------------------------------------------------------------- class 4


def _b64_decoy_part(name: str, filename: str | None, real: bytes) -> tuple[dict[str, str], bytes]:
    """A part labelled base64 whose body is a short base64 decoy followed by the real
    content in clear: Go's mime/multipart hands the bytes over as they are."""
    disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    body = (b"--b\r\nContent-Disposition: " + disp.encode() + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.b64encode(b"decoy") + b"\r\n" + real + b"\r\n--b--\r\n")
    return {"Content-Type": "multipart/form-data; boundary=b"}, body


def test_class4_base64_file_part_is_judged_as_the_bytes_mattermost_stores(gateway: Gateway) -> None:
    path = f"/api/v4/files?channel_id={gateway.sim.channel('town_square')}"
    headers, body = _b64_decoy_part("files", "clients.csv", CSV)
    r = _direct(gateway, "POST", path, headers, body)
    assert r.status_code == 201, r.text
    fid = r.json()["file_infos"][0]["id"]
    stored = httpx.get(f"{gateway.sim.url}/api/v4/files/{fid}", headers=_headers(gateway, {}), timeout=10).content
    assert SSN.encode() in stored  # stored raw, not base64-decoded
    _assert_stopped(gateway, _through(gateway, "POST", path, headers, body), path)


def test_class4_base64_webhook_value(gateway: Gateway) -> None:
    path = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    headers, body = _b64_decoy_part("text", None, SECRET.encode())
    before = len(gateway.sim.posts())
    assert _direct(gateway, "POST", path, headers, body).status_code == 200
    assert any(SSN in json.dumps(p) for p in gateway.sim.posts()[before:])
    _assert_stopped(gateway, _through(gateway, "POST", path, headers, body), path)


def test_class4_quoted_printable_is_decoded_as_go_decodes_it(gateway: Gateway) -> None:
    path = f"/api/v4/files?channel_id={gateway.sim.channel('town_square')}"
    qp = CSV.replace(b"-", b"=2D").replace(b"5", b"=35")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"c.csv\"\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp + b"\r\n--b--\r\n")
    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    _assert_stopped(gateway, _through(gateway, "POST", path, headers, body), path)


# --------------------------------------------------------------------------- class 5


def _upload_session(gw: Gateway, size: int) -> str:
    r = httpx.post(f"{gw.url}/api/v4/uploads", headers=_headers(gw, {}), timeout=30,
                   json={"channel_id": gw.sim.channel("town_square"), "filename": "c.csv", "file_size": size})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def test_class5_encoded_upload_chunk_and_raw_file_are_refused(gateway: Gateway) -> None:
    # gzip with the text in the header's comment field: Go stores the bytes as sent
    member = bytearray(gzip.compress(b"x"))
    member[3] |= 0x10  # FCOMMENT
    packed = bytes(member[:10]) + CSV + b"\0" + bytes(member[10:])
    uid = _upload_session(gateway, len(packed))
    path = f"/api/v4/uploads/{uid}"
    _assert_stopped(gateway, _through(gateway, "POST", path, {"Content-Encoding": "gzip"}, packed), path)
    raw_path = f"/api/v4/files?channel_id={gateway.sim.channel('town_square')}&filename=c.csv.gz"
    _assert_stopped(gateway, _through(gateway, "POST", raw_path, {"Content-Encoding": "gzip"}, gzip.compress(CSV)), raw_path)


def test_class5_upload_is_complete_when_mattermost_counts_it_complete(gateway: Gateway) -> None:
    """A chunk Mattermost failed to store and the client resends must not make the
    gateway think the file is complete one chunk early (and then wave the real
    last chunk through as 'partial')."""
    clean = b"quarterly notes, nothing to see\n" * 4
    tail = CSV + b"#" * (len(clean) - len(CSV)) if len(CSV) < len(clean) else CSV
    uid = _upload_session(gateway, len(clean) + len(tail))
    path = f"/api/v4/uploads/{uid}"
    fault = {"method": "POST", "path_prefix": path, "status": 500, "count": 1}
    assert httpx.post(f"{gateway.sim.url}/__sim/faults", json=fault, timeout=10).status_code == 201
    try:
        r1 = _through(gateway, "POST", path, {"Content-Type": "application/octet-stream"}, clean)
        assert r1.status_code == 500  # Mattermost failed: nothing stored
        r2 = _through(gateway, "POST", path, {"Content-Type": "application/octet-stream"}, clean)
        assert r2.status_code == 204, r2.text  # the resend: Mattermost now holds the first half
    finally:
        httpx.delete(f"{gateway.sim.url}/__sim/faults", timeout=10)
    r3 = _through(gateway, "POST", path, {"Content-Type": "application/octet-stream"}, tail)
    _assert_stopped(gateway, r3, path)


# --------------------------------------------------------------------------- class 9


@pytest.mark.parametrize("pack", [gzip.compress, _zip], ids=["gzip", "zip"])
@pytest.mark.parametrize("path", ["/plugins/com.example.files/api/v1/upload", "/api/v4/some/internal/upload"])
def test_class9_archive_on_an_undescribed_route_is_opened(gateway: Gateway, path: str, pack: Any) -> None:
    body = pack(CSV)
    _assert_stopped(gateway, _through(gateway, "POST", path, {"Content-Type": "application/octet-stream"}, body), path)


def test_class9_remote_cluster_upload_is_a_file_route(gateway: Gateway) -> None:
    path = "/api/v4/remotecluster/upload/abcdefghijklmnopqrstuvwxyz"
    rc = gateway.sim.ids["remote_cluster"]  # (credentials Mattermost refuses never reach the body: admission.py)
    r = httpx.post(gateway.url + path, content=_zip(CSV), timeout=30,
                   headers={"X-RemoteCluster-Token": rc["token"], "X-RemoteCluster-Id": rc["id"],  # model/client4.go
                            "Content-Type": "application/octet-stream"})
    gateway.sim.clear()
    assert r.status_code in (400, 403), r.text
    assert r.json()["id"] in STOPPED
    r = httpx.post(gateway.url + path, content=_zip(CSV), timeout=30,
                   headers={"X-RemoteCluster-Token": "t", "X-RemoteCluster-Id": "r",
                            "Content-Type": "application/octet-stream"})
    assert r.status_code == 403 and r.json()["id"] == "api.dlp.unauthenticated.app_error", r.text


def test_clean_files_and_webhooks_still_go_through(gateway: Gateway) -> None:
    """The stricter reading refuses nothing a real client sends."""
    path = f"/api/v4/files?channel_id={gateway.sim.channel('town_square')}"
    body = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"n.txt\"\r\nContent-Type: text/plain\r\n\r\n"
            b"lunch at noon\r\n--b--\r\n")
    r = _through(gateway, "POST", path, {"Content-Type": "multipart/form-data; boundary=b"}, body)
    assert r.status_code == 201, r.text
    assert [base64.b64decode(x["body_b64"]) for x in _reached(gateway, path)] == [body]
    hook = f"/hooks/{gateway.sim.ids['incoming_hook']}"
    form = b"payload=" + quote(json.dumps({"text": "deploy finished"})).encode()
    r = _through(gateway, "POST", hook, {"Content-Type": "application/x-www-form-urlencoded"}, form)
    assert r.status_code == 200, r.text
    r = _through(gateway, "POST", "/plugins/com.example.files/api/v1/upload", {"Content-Type": "application/octet-stream"},
                 gzip.compress(b"nothing sensitive here\n"))
    assert r.status_code != 403 and r.status_code != 400, r.text
