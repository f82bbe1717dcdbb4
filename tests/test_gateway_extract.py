from __future__ import annotations

import gzip
import json
import zlib

import brotli
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.gateway.extract import BodyError, decode_content_encoding, extract
from dlp_proxy.gateway.routes import match


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


def test_malformed_json_is_scanned_as_raw_text() -> None:
    ex = extract(POSTS, b'{"message": "abc', "application/json", [])
    assert ex.body_format == "raw" and "abc" in paths(ex)["body"]


def test_webhook_lenient_json_with_raw_newlines() -> None:
    ex = extract(HOOK, b'{"text": "line1\nline2"}', "application/json", [])
    assert ex.body_format == "json-lenient"
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


def test_deep_json_is_refused() -> None:
    body = b'{"a":' * 100 + b'"x"' + b"}" * 100
    with pytest.raises(BodyError):
        extract(POSTS, body, "application/json", [])


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
@settings(max_examples=300, deadline=None)
def test_json_walk_numbers_and_digit_keys_match_their_definition(doc: dict[str, object]) -> None:
    """Every number is scanned as the text json.dumps gives it, and every key with
    a digit (any script: str.isdigit) is scanned as a key."""
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
                if any(c.isdigit() for c in k):
                    expected_keys.append(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(json.loads(json.dumps(doc)))
    for n in expected_numbers:
        assert n in texts
    key_items = [i.text for i in ex.items if i.path.endswith("{key}")]
    assert sorted(key_items) == sorted(expected_keys)


_HEADER_VALUES = st.sampled_from([
    'form-data; name="files"; filename="a.txt"', 'form-data; name="channel_id"',
    "form-data; name=files; filename*=UTF-8''r%C3%A9sum%C3%A9.txt", 'form-data; name="f"; filename="=?utf-8?b?NTM2LTIy?="',
    'form-data; name="x"; filename="a\\"b.txt"', 'attachment; filename="x.pdf"; name="files"', "form-data; name=",
])
_PART = st.tuples(
    st.lists(st.tuples(st.sampled_from(["Content-Disposition", "content-disposition", "Content-Type",
                                        "Content-Transfer-Encoding", "X-Other"]),
                       st.one_of(_HEADER_VALUES, st.sampled_from(["text/plain", "application/pdf; charset=utf-8",
                                                                  "base64", "quoted-printable", "7bit"]),
                                 st.text(alphabet="abc =;\"'*%-/", max_size=20))),
             min_size=1, max_size=4),
    st.binary(max_size=60),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PART, min_size=1, max_size=4))
def test_multipart_parts_read_as_with_the_stock_http_policy(parts: list[tuple[list[tuple[str, str]], bytes]]) -> None:
    """Parsing each header once per body (extract._ParseHeadersOnce) changes no name,
    filename, type or payload, and no refusal, against the standard library's HTTP
    policy (which re-parses every header on every access)."""
    from email.policy import HTTP

    from dlp_proxy.gateway import extract as mod

    body = b"".join(b"--B0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers) + b"\r\n" + payload + b"\r\n"
                    for headers, payload in parts) + b"--B0--\r\n"
    ctype = "multipart/form-data; boundary=B0"

    def read(policy_factory: object) -> object:
        saved = mod._http_policy
        mod._http_policy = policy_factory  # type: ignore[assignment]
        try:
            return list(mod.parse_multipart(body, ctype))
        except BodyError as exc:
            return ("refused", str(exc), exc.status)
        finally:
            mod._http_policy = saved

    assert read(mod._http_policy) == read(lambda: HTTP)
