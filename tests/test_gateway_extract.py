from __future__ import annotations

import gzip
import json
import zlib

import brotli
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.extract import BodyError, decode_content_encoding, extract, key_may_hold_number
from dlp_proxy.gateway.routes import match
from dlp_proxy.model import ItemKind


def _route(method: str, path: str):
    m = match(method, path)
    assert m.route is not None
    return m.route


POSTS = _route("POST", "/api/v4/posts")
HOOK = _route("POST", "/hooks/abc")
FILES = _route("POST", "/api/v4/files")
UNKNOWN = _route("POST", "/api/v4/new/thing")


def paths(ex) -> dict[str, str]:
    return {i.path: i.text for i in ex.items}


def test_json_walk_finds_every_string_key_and_number_with_paths() -> None:
    body = json.dumps({
        "channel_id": "c1",
        "message": "hello",
        "props": {"attachments": [{"text": "att", "fields": [{"title": "t", "value": "v"}]}],
                  "custom_123456789": "k", "num": 123456789},
    }).encode()
    ex = extract(POSTS, body, "application/json", [])
    p = paths(ex)
    assert p["body.message"] == "hello"
    assert p["body.props.attachments[0].fields[0].value"] == "v"
    assert p["body.props.num"] == "123456789"
    assert "custom_123456789" in p["body.props{key}"]
    assert ex.fields["body.channel_id"] == "c1"
    assert ex.json_locations["body.props.attachments[0].text"] == ("props", "attachments", 0, "text")


def test_wrong_content_type_still_parsed_as_json() -> None:
    ex = extract(POSTS, b'{"message": "x-1"}', "text/plain", [])
    assert ex.body_format == "json" and paths(ex)["body.message"] == "x-1"


@pytest.mark.parametrize("body", [
    b'{"message": "abc',  # truncated: Mattermost answers 400
    b'{"message": "abc"} trailing',  # json.Decoder would ignore the tail; no client sends one
    b'{"message": NaN}',  # encoding/json refuses NaN
    b"\xef\xbb\xbf{}",  # encoding/json refuses a BOM
    b'{"message": "\\u00zz"}',  # undecodable escape
])
def test_body_that_is_not_one_json_document_is_refused_never_scanned_raw(body: bytes) -> None:
    with pytest.raises(BodyError):
        extract(POSTS, body, "application/json", [])


@pytest.mark.parametrize("ctype", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "text/plain", ""])
def test_json_routes_decode_json_whatever_the_content_type(ctype: str) -> None:
    ex = extract(POSTS, b'{"message": "\\u0035x"}', ctype, [])
    assert paths(ex)["body.message"] == "5x"


def test_webhook_lenient_json_with_raw_newlines() -> None:
    ex = extract(HOOK, b'{"text": "line1\nline2"}', "application/json", [])
    assert ex.body_format == "json"
    assert paths(ex)["body.text"] == "line1\nline2"


def test_webhook_form_payload() -> None:
    body = b"payload=" + json.dumps({"text": "hi there", "attachments": [{"pretext": "pp"}]}).encode().replace(b" ", b"+")
    ex = extract(HOOK, body, "application/x-www-form-urlencoded", [])
    p = paths(ex)
    assert p["form.payload.text"] == "hi there"
    assert p["form.payload.attachments[0].pretext"] == "pp"


def test_multipart_files_and_fields() -> None:
    boundary = "XyZ"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\nchan1\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile one\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"b.csv\"\r\n\r\nx,y\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    ex = extract(FILES, body, f"multipart/form-data; boundary={boundary}", [])
    assert [f.filename for f in ex.files] == ["a.txt", "b.csv"]
    assert ex.files[0].data == b"file one"
    assert ex.fields["query.channel_id"] == "chan1"


def test_raw_body_upload_uses_filename_query() -> None:
    ex = extract(FILES, b"raw bytes", "application/octet-stream", [("channel_id", "c"), ("filename", "r.txt")])
    assert ex.files[0].filename == "r.txt" and ex.files[0].data == b"raw bytes"
    assert paths(ex)["query.filename"] == "r.txt"


@pytest.mark.parametrize("body", [
    b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
    b"no boundary here at all",
])
def test_malformed_multipart_is_refused(body: bytes) -> None:
    with pytest.raises(BodyError):
        extract(FILES, body, "multipart/form-data; boundary=XyZ", [])


@pytest.mark.parametrize("depth", [100, 5000, 100_000])
def test_deep_json_is_refused(depth: int) -> None:
    body = b'{"a":' * depth + b'"x"' + b"}" * depth
    for route in (POSTS, HOOK, UNKNOWN):
        with pytest.raises(BodyError):
            extract(route, body, "application/json", [])


@pytest.mark.parametrize(("encoding", "fn"), [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("br", brotli.compress),
])
def test_content_encodings_decode(encoding: str, fn) -> None:
    assert decode_content_encoding(fn(b"hello world"), encoding) == b"hello world"


def test_chained_and_bomb_and_garbage_encodings() -> None:
    assert decode_content_encoding(gzip.compress(brotli.compress(b"x")), "br, gzip") == b"x"
    bomb = gzip.compress(b"0" * (8 * 1024 * 1024))
    with pytest.raises(BodyError) as exc:
        decode_content_encoding(bomb, "gzip", limit=1024 * 1024)
    assert exc.value.status == 413
    with pytest.raises(BodyError):
        decode_content_encoding(b"not gzip", "gzip")
    with pytest.raises(BodyError):
        decode_content_encoding(gzip.compress(b"abc")[:-6], "gzip")
    with pytest.raises(BodyError) as exc:
        decode_content_encoding(b"x", "compress")
    assert exc.value.status == 415


def test_invalid_utf8_becomes_replacement_not_error() -> None:
    ex = extract(POSTS, b'{"message": "a\xff\xfeb"}', "application/json", [])
    assert paths(ex)["body.message"] == "a\ufffd\ufffdb"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                                   "multipart/form-data; boundary=b"]))
def test_extract_never_crashes_unexpectedly(body: bytes, ctype: str) -> None:
    for route in (POSTS, HOOK, FILES, UNKNOWN):
        try:
            extract(route, body, ctype, [])
        except BodyError:
            pass


def test_reference_ids_are_recognized_only_when_id_shaped_at_id_fields() -> None:
    from dlp_proxy.gateway.extract import is_reference_id
    from dlp_proxy.model import ContentItem

    assert is_reference_id(ContentItem("body.channel_id", "y7kk5cjibi194smnz58ymwypmh"))
    assert is_reference_id(ContentItem("body.file_ids[3]", "y7kk5cjibi194smnz58ymwypmh"))
    # the same shape anywhere else, or anything else at an id field, is content
    assert not is_reference_id(ContentItem("body.message", "y7kk5cjibi194smnz58ymwypmh"))
    assert not is_reference_id(ContentItem("body.channel_id", "SSN 536-22-1234"))
    assert not is_reference_id(ContentItem("body.channel_id", "536221234aaaaaaaaaaaaaaaaaX"))
    assert not is_reference_id(ContentItem("body.props.channel_id", "y7kk5cjibi194smnz58ymwypmh"))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), _json_values, max_size=6))
@example({"": {"{key}": 0}})  # a value under a key named "{key}": its path is a key item's (CI, 2026-12-07)
@settings(max_examples=300, deadline=None)
def test_json_walk_numbers_and_digit_keys_match_their_definition(doc: dict[str, object]) -> None:
    """Every number is scanned as the text json.dumps gives it, and every key with
    a digit (any script: str.isdigit) or that may read as one is scanned as a key."""
    ex = extract(match("POST", "/api/v4/posts").route, json.dumps(doc).encode(), "application/json", [])  # type: ignore[arg-type]
    texts = [i.text for i in ex.items]
    expected_numbers: list[str] = []
    expected_keys: list[str] = []

    def walk(v: object) -> None:
        if isinstance(v, bool) or v is None:
            return
        if isinstance(v, int | float):
            expected_numbers.append(json.dumps(v))
        elif isinstance(v, dict):
            for k, x in v.items():
                # a digit (any script), or what the detector's reading turns into one
                # (number words, look-alike letters: extract.key_may_hold_number, atk27 A)
                if any(c.isdigit() for c in k) or key_may_hold_number(k):
                    expected_keys.append(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(json.loads(json.dumps(doc)))
    for n in expected_numbers:
        assert n in texts
    key_items = [i.text for i in ex.items if i.kind is ItemKind.KEY]
    assert sorted(key_items) == sorted(expected_keys)


def test_multipart_reads_as_go_base64_raw_quoted_printable_decoded_preamble_inspected() -> None:
    body = (b'{"message": "in the preamble"}\r\n'
            b"--B\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
            b"--B\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\nc=3D1\r\n"
            b"--B--\r\nafter the end")
    ex = extract(FILES, body, "multipart/form-data; boundary=B", [])
    assert [(f.path, f.data) for f in ex.files] == [("file[0]", b"aGVsbG8="), ("file[0]~base64", b"hello")]
    p = paths(ex)
    assert p["form.channel_id"] == "c=1"
    assert "in the preamble" in p["multipart.preamble"] and p["multipart.epilogue"] == "after the end"


def test_unknown_transfer_encoding_is_refused() -> None:
    body = b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nv\r\n--B--\r\n"
    with pytest.raises(BodyError):
        extract(FILES, body, "multipart/form-data; boundary=B", [])


def test_files_route_not_multipart_by_go_rules_is_the_raw_file() -> None:
    body = b"--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\nx\r\n--B--\r\n"
    # a repeated boundary with different values: mime.ParseMediaType fails -> ErrNotMultipart -> raw body
    ex = extract(FILES, body, "multipart/form-data; boundary=B; boundary=C", [("filename", "r.txt")])
    assert [f.data for f in ex.files] == [body]


@pytest.mark.parametrize(("ctype", "form_read", "json_read"), [
    ("application/x-www-form-urlencoded", True, False),
    ("application/x-www-form-urlencoded; charset=utf-8", True, False),
    ("application/x-www-form-urlencoded;charset=utf-8", True, False),  # newer: form; older: JSON of a consumed body
    ("Application/X-WWW-Form-Urlencoded", True, False),
    ("application/json", False, True),
    ("", False, True),
    ("text/plain", False, True),
])
def test_webhook_takes_every_version_s_reading(ctype: str, form_read: bool, json_read: bool) -> None:
    payload = json.dumps({"text": "from payload"})
    form_body = b"payload=" + payload.encode().replace(b" ", b"+")
    ex = extract(HOOK, form_body if form_read else payload.encode(), ctype, [])
    assert ("form.payload.text" in paths(ex)) is form_read
    assert ("body.text" in paths(ex)) is json_read


def test_webhook_query_payload_is_read_for_forms() -> None:
    # r.FormValue("payload") falls back to the query string
    ex = extract(HOOK, b"x=1", "application/x-www-form-urlencoded", [("payload", '{"text": "\\u0035"}')])
    assert paths(ex)["form.payload.text"] == "5"


def test_command_webhook_reads_json_and_plain_text() -> None:
    route = _route("POST", "/hooks/commands/abc")
    ex = extract(route, b'{"text": "\\u0035"}', "text/plain", [])
    assert paths(ex)["body.text"] == "5" and paths(ex)["body.text#plain"] == '{"text": "\\u0035"}'


@pytest.mark.parametrize("make", [
    lambda d: gzip.compress(d),
    lambda d: _zip_of(d),
])
def test_unknown_route_body_that_is_an_archive_goes_to_the_file_scanner(make) -> None:
    data = make(b"ssn,name\n1,x\n")
    ex = extract(UNKNOWN, data, "application/octet-stream", [])
    assert [f.data for f in ex.files] == [data]


def _zip_of(data: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("x.csv", data)
    return buf.getvalue()
