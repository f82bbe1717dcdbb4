"""Helpers on every request's path made cheaper (issue 17 item 9): each gives what the
plain reading gives, for any input (property tests against the reading as first
written), and what they remember stays bounded."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy import forwarding
from dlp_proxy.gateway import extract
from dlp_proxy.keys import keyed_hash


@settings(max_examples=500, deadline=None)
@given(st.binary(min_size=0, max_size=160), st.one_of(st.binary(max_size=300), st.text(max_size=200)))
def test_keyed_hash_is_hmac_sha256(key: bytes, data: bytes | str) -> None:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    assert keyed_hash(key, data) == hmac.new(key, raw, hashlib.sha256).hexdigest()


def test_keyed_hash_prepares_each_key_once_and_keeps_few() -> None:
    # a key's HMAC pads are hashed once and copied after (keys._prepared); the states
    # kept are bounded whatever the number of keys, and a key dropped is prepared again
    from dlp_proxy import keys

    first = keyed_hash(b"p" * 32, "x")
    assert keys._prepared(b"p" * 32) is keys._prepared(b"p" * 32)
    for n in range(3 * keys._PREPARED_MAX):
        assert keyed_hash(n.to_bytes(4, "big"), b"m") == hmac.new(n.to_bytes(4, "big"), b"m", hashlib.sha256).hexdigest()
        assert len(keys._PREPARED) <= keys._PREPARED_MAX
    assert keyed_hash(b"p" * 32, "x") == first == hmac.new(b"p" * 32, b"x", hashlib.sha256).hexdigest()


def test_keyed_hash_keeps_lone_surrogates() -> None:
    # a lone surrogate (JSON "\ud800") is hashed as its surrogatepass bytes, not refused
    assert keyed_hash(b"k" * 32, "\ud800") == hmac.new(b"k" * 32, b"\xed\xa0\x80", hashlib.sha256).hexdigest()


def _address_reference(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id is not None:
        return None
    return addr


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        st.ip_addresses().map(str),
        st.text(max_size=80),
        st.just("fe80::1%eth0"),
        st.ip_addresses().map(lambda a: f"  {a}\t"),
        st.just("1.2.3.4" + " " * 70),
    )
)
def test_a_remembered_address_is_the_parsed_one(text: str) -> None:
    # twice: the second reading comes from what the first remembered
    assert forwarding._address(text) == _address_reference(text)
    assert forwarding._address(text) == _address_reference(text)


def test_only_address_sized_texts_are_remembered() -> None:
    forwarding._remembered_address.cache_clear()
    long = "10.0.0.1" + " " * 100
    assert forwarding._address(long) == ipaddress.ip_address("10.0.0.1")
    assert forwarding._remembered_address.cache_info().currsize == 0
    assert forwarding._address("10.0.0.1") == ipaddress.ip_address("10.0.0.1")
    assert forwarding._remembered_address.cache_info().currsize == 1


def _go_field_name_reference(key: str) -> str:
    if key.isascii():
        return key.lower()
    return "".join(c.lower() if c.isascii() else {"\u212a": "k", "\u017f": "s"}.get(c, c) for c in key)


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(min_size=90, max_size=200),
        st.sampled_from(["Message", "File_Ids", "\u212aey", "\u017fig", "\u0130d", "CHANNEL_ID"]),
    )
)
def test_a_remembered_field_name_is_go_s_fold(key: str) -> None:
    assert extract.go_field_name(key) == _go_field_name_reference(key)
    assert extract.go_field_name(key) == _go_field_name_reference(key)
    assert extract.go_path(key) == _go_field_name_reference(key)


def test_long_keys_are_not_remembered() -> None:
    extract._go_field_name_remembered.cache_clear()
    key = "A" * (extract._REMEMBERED_KEY + 1)
    assert extract.go_field_name(key) == key.lower()
    assert extract._go_field_name_remembered.cache_info().currsize == 0
    assert extract._go_field_name_remembered.cache_info().maxsize is not None
