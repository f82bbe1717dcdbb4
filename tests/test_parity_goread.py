"""The gateway's port of Go's readers (dlp_proxy/gateway/goread.py) against the
simulator's, written apart (dlp_proxy/simulator/gohttp.py): on hostile bytes both
give the same media type and parameters, the same parts, or both refuse."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway import goread
from dlp_proxy.simulator import gohttp

_CT_PIECES = st.sampled_from([
    "multipart/form-data", "Multipart/Form-Data", "multipart/form-data-x", "application/x-www-form-urlencoded",
    "text/plain", "", " ", "multipart", "multipart/", "a/b/c", "multİpart/form-data", ";", "; ", ";boundary=b",
    "; boundary=b", "; boundary=\"b c\"", "; boundary=b; boundary=c", "; boundary=b; boundary=b", "; boundary*=utf-8''b%20c",
    "; boundary*0=a; boundary*1=b", "; boundary*0*=utf-8''a%41; boundary*1*=%42", "; charset", "; =x", "; a=\"unterminated",
    "; a=\"x\\\"y\"", "\x1c", "\u00a0", "\t", "; BOUNDARY=Q",
])


def _gateway_mt(v: str) -> Any:
    try:
        return goread.parse_media_type(v)
    except goread.InvalidMediaParameter as exc:
        return ("invalid-param", exc.mediatype)
    except goread.GoReadError:
        return "error"


def _sim_mt(v: str) -> Any:
    try:
        return gohttp.parse_media_type(v)
    except gohttp.ErrInvalidMediaParameter as exc:
        return ("invalid-param", exc.mediatype)
    except gohttp.GoError:
        return "error"


@settings(max_examples=2000, deadline=None)
@given(st.lists(_CT_PIECES, max_size=5).map("".join))
def test_media_types_agree(v: str) -> None:
    assert _gateway_mt(v) == _sim_mt(v)


_LINE = st.sampled_from([
    b"--B", b"--B--", b"--B ", b"--B\t", b"--Bx", b"--B-", b"-B", b"", b"text", b"=3D=41 x=", b"=", b"a=\r",
    b"Content-Disposition: form-data; name=\"a\"", b"Content-Disposition: form-data; name=\"f\"; filename=\"../x.txt\"",
    b"Content-Transfer-Encoding: quoted-printable", b"content-transfer-encoding: Quoted-Printable",
    b"Content-Transfer-Encoding: base64", b" folded", b"Bad Header: x", b"X:", b":x", b"\xff\xfe", b"--B--tail",
])
_NL = st.sampled_from([b"\r\n", b"\n", b"\r\n", b""])


def _gateway_parts(body: bytes) -> Any:
    try:
        mp = goread.read_multipart(body, "B")
    except goread.GoReadError:
        return "error"
    return [(p.headers, p.data, p.form_name(), p.file_name()) for p in mp.parts]


def _sim_parts(body: bytes) -> Any:
    try:
        parts = gohttp.read_all_parts(body, "B")
    except gohttp.GoError:
        return "error"
    return [(p.header, p.data, p.form_name(), p.file_name()) for p in parts]


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(_LINE, _NL), max_size=14))
def test_multipart_readings_agree(lines: list[tuple[bytes, bytes]]) -> None:
    body = b"".join(a + b for a, b in lines)
    assert _gateway_parts(body) == _sim_parts(body)


@settings(max_examples=2000, deadline=None)
@given(st.binary(max_size=80) | st.lists(st.sampled_from([b"=", b"=3D", b"=\r\n", b"=\n", b" \r\n", b"a", b"\t", b"\x01",
                                                          b"=4", b"=zz", b"\xc3\xa9", b"\n"]), max_size=12).map(b"".join))
def test_quoted_printable_agrees(data: bytes) -> None:
    def g() -> Any:
        try:
            return goread.quoted_printable_decode(data)
        except goread.GoReadError:
            return "error"

    def s() -> Any:
        try:
            return gohttp.qp_decode(data)
        except gohttp.GoError:
            return "error"

    assert g() == s()


# --------------------------------------------------------------------------- url.ParseQuery and struct fields

_QUERY_PIECES = st.sampled_from([
    "channel_id", "Channel_Id", "CHANNEL_ID", "=", "&", ";", "%", "%4", "%41", "%zz", "+", "a", "b", "", "%3B", "%26",
    "channel%5Fid", "x=y", "\u00e9", "%C3%A9", "%ff",
])


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(_QUERY_PIECES, max_size=14))
def test_query_readings_agree(pieces: list[str]) -> None:
    """goread.parse_query and gohttp.parse_query (src/net/url/url.go parseQuery), and
    ``Values.Get("channel_id")`` (first value, case-sensitive) on both."""
    raw = "".join(pieces)
    ours = goread.parse_query(raw)
    theirs = [(k.decode("utf-8", "replace"), v.decode("utf-8", "replace")) for k, v in gohttp.parse_query(raw)]
    assert ours == theirs
    first = next((v for k, v in ours if k == "channel_id"), "")
    assert first == gohttp.query_get(raw, "channel_id")


_KEYS = st.sampled_from(["channel_id", "CHANNEL_ID", "Channel_Id", "channel_\u0130d", "channel_\u0131d", "root_id",
                         "ROOT_ID", "post", "Post", "\u212aey", "key", "Key"])
_VALUES = st.sampled_from(["a", "b", "", None, 5, True])


@st.composite
def _objects(draw: st.DrawFn, depth: int = 0) -> str:
    import json

    pairs = []
    for _ in range(draw(st.integers(0, 5))):
        key = draw(_KEYS)
        if depth < 2 and key.lower() == "post" and draw(st.booleans()):
            pairs.append(f"{json.dumps(key)}: {draw(_objects(depth + 1))}")
        else:
            pairs.append(f"{json.dumps(key)}: {json.dumps(draw(_VALUES))}")
    return "{" + ", ".join(pairs) + "}"


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(_objects())
def test_struct_fields_agree(doc: str) -> None:
    """The gateway's channel/root/post fields (extract.go_struct_fields) are the string
    fields the simulator's Go-struct reading (gohttp.GoObject) sets: case-insensitive
    keys, the last one winning, null keeping the earlier value."""
    from dlp_proxy.gateway.extract import go_json_decode, go_struct_fields

    ours = go_struct_fields(go_json_decode(doc)[0], "body")
    sim = gohttp.json_decode(doc.encode())
    for name in ("channel_id", "root_id", "key"):
        value = sim.get(name)
        assert ours.get(f"body.{name}") == (value if isinstance(value, str) else None), (doc, name)
    post = sim.get("post")
    if isinstance(post, dict) and all(isinstance(v, dict) for k, v in sim.pairs if k.lower() == "post"):
        value = post.get("channel_id")
        if isinstance(value, str) and sum(1 for k, _ in sim.pairs if k.lower() == "post") == 1:
            assert ours.get("body.post.channel_id") == value, doc


_ESCAPES = st.sampled_from(["\\ud800", "\\udbff", "\\udc00", "\\udfff", "\\ud83d\\ude00", "\\ud83d", "\\u0041",
                            "\\\\ud800", "\\u00e9", "x", "\u00e9", " ", "\\n"])


@given(st.lists(_ESCAPES, max_size=8), st.lists(_ESCAPES, max_size=4))
@settings(max_examples=300, deadline=None)
def test_lone_surrogate_escapes_read_as_go_reads_them(value: list[str], key: list[str]) -> None:
    """The gateway's JSON reading and the simulator's (written apart, each from
    encoding/json's unquoteBytes) agree on every string, keys included, and neither
    leaves a surrogate that cannot be encoded."""
    from dlp_proxy.gateway.extract import go_json_decode
    from dlp_proxy.simulator.gohttp import json_decode

    text = '{{"k{}": ["{}"], "m": "{}"}}'.format("".join(key), "".join(value), "".join(value))
    ours, _rest = go_json_decode(text)
    theirs = json_decode(text.encode())
    assert json.dumps(ours, ensure_ascii=False) == json.dumps(dict(theirs), ensure_ascii=False)
    json.dumps(ours, ensure_ascii=False).encode("utf-8")  # no lone surrogate left


_COOKIE_PART = st.one_of(
    st.sampled_from(["MMAUTHTOKEN=tok1", "MMAUTHTOKEN=tok2", 'MMAUTHTOKEN="tok3"', "MMAUTHTOKEN=", "MMAUTHTOKEN",
                     'MMAUTHTOKEN=a"b', "MMAUTHTOKEN=a\\b", "mmauthtoken=low", " MMAUTHTOKEN=sp", "MMAUTHTOKEN =x",
                     "MMAUTHTOKEN\t=t", " MMAUTHTOKEN \t= q",
                     "x=1", 'y="q', "=v", ""]),
    st.text(alphabet="MATOKEN=;\" \\t,x1", max_size=12))


@given(st.lists(_COOKIE_PART, max_size=5),
       st.sampled_from(["", "Bearer tokA", "bearer tokA", "BEARER  tokA", "Bearer", "Token tokB", "token\ttokB",
                        "Basic abc", "BearertokA"]),
       st.sampled_from(["", "access_token=tokQ", "access_token=&access_token=tokQ", "a=1;access_token=tokQ",
                        "access_token=tok%51"]))
@settings(max_examples=400, deadline=None)
def test_session_token_read_as_mattermost_reads_it(parts: list[str], auth: str, query: str) -> None:
    """The gateway's token reading against the simulator's (each written from
    app/authentication.go ParseAuthTokenFromRequest and net/http/cookie.go)."""
    from dlp_proxy.gateway.context import token_from_request, token_location

    line = "; ".join(parts)
    headers = {k: v for k, v in (("cookie", line), ("authorization", auth)) if v}
    ours, where = token_location(headers, query)
    assert ours == token_from_request(headers, query)
    theirs, location = gohttp.auth_token([line] if line else [], auth, query)
    assert (ours or "") == theirs
    if ours:
        assert where == location
