"""One rule for the client's address on every port (dlp_proxy/forwarding.py):
forwarding headers count only from a peer in DLP_TRUSTED_PROXIES, and what they
say is taken only as a parsed IP address.  Property tests over hostile header
values, then the proxy port through the real gateway (the console's side is in
tests/test_review_trust.py)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from dlp_proxy.forwarding import client_address, parse_networks, peer_is_trusted
from tests.conftest import Simulator, archive_records, start_gateway, stop

TRUSTED = parse_networks(["10.0.0.0/8", "127.0.0.1"])
header_names = st.sampled_from(["X-Forwarded-For", "x-forwarded-for", "X-Real-IP", "x-real-ip", "Forwarded"])
header_values = st.one_of(st.text(max_size=60), st.ip_addresses().map(str), st.just("fe80::1%<b>"),
                          st.lists(st.ip_addresses().map(str), max_size=4).map(", ".join))  # fmt: skip
headers = st.lists(st.tuples(header_names, header_values), max_size=6)


@settings(max_examples=400, deadline=None)
@given(peer=st.ip_addresses().map(str), hdrs=headers)
def test_an_untrusted_peer_is_its_own_address(peer: str, hdrs: list[tuple[str, str]]) -> None:
    if peer_is_trusted(peer, TRUSTED):
        return
    assert client_address(peer, hdrs, TRUSTED) == peer


@settings(max_examples=400, deadline=None)
@given(peer=st.sampled_from(["127.0.0.1", "10.1.2.3"]), hdrs=headers)
def test_behind_a_trusted_proxy_only_addresses_come_out(peer: str, hdrs: list[tuple[str, str]]) -> None:
    out = client_address(peer, hdrs, TRUSTED)
    parsed = ipaddress.ip_address(out)
    assert str(parsed) == out and "%" not in out  # never header text that is not an address, canonical form
    said = set()
    for name, value in hdrs:
        if name.lower() in ("x-forwarded-for", "x-real-ip"):  # never "Forwarded" or anything else
            for part in value.split(","):
                try:
                    said.add(str(ipaddress.ip_address(part.strip())))
                except ValueError:
                    pass
    assert out == peer or out in said


@settings(max_examples=400, deadline=None)
@given(peer=st.sampled_from(["127.0.0.1", "10.1.2.3"]), hdrs=headers, real=st.ip_addresses().map(str))
def test_a_client_x_real_ip_is_never_the_address_by_default(peer: str, hdrs: list[tuple[str, str]],
                                                             real: str) -> None:
    """Behind a proxy that appends to X-Forwarded-For and passes other headers on (nginx
    ``$proxy_add_x_forwarded_for``) without setting X-Real-IP itself, a client's own
    X-Real-IP is what it chose: never believed by default."""
    hdrs = [(n, v) for n, v in hdrs if n.lower() != "x-real-ip"]
    without = client_address(peer, hdrs, TRUSTED)
    assert client_address(peer, [("X-Real-IP", real), *hdrs], TRUSTED) == without


def test_examples() -> None:
    # X-Forwarded-For walked from the right past the trusted proxies; X-Real-IP ignored
    assert client_address("127.0.0.1", [("X-Real-IP", "203.0.113.5")], TRUSTED) == "127.0.0.1"
    assert client_address("127.0.0.1", [("X-Real-IP", "203.0.113.5"), ("X-Forwarded-For", "198.51.100.1, 10.0.0.7")],
                          TRUSTED) == "198.51.100.1"
    assert client_address("127.0.0.1", [("X-Forwarded-For", "10.0.0.8, 10.0.0.7")], TRUSTED) == "127.0.0.1"
    # X-Real-IP only when configured (proxies that set it on every request)
    assert client_address("127.0.0.1", [("X-Real-IP", "203.0.113.5")], TRUSTED, "x-real-ip") == "203.0.113.5"
    assert client_address("127.0.0.1", [("X-Real-IP", "203.0.113.5"), ("X-Forwarded-For", "198.51.100.1")],
                          TRUSTED, "x-real-ip") == "203.0.113.5"
    assert client_address("127.0.0.1", [("X-Forwarded-For", "198.51.100.1")], TRUSTED, "x-real-ip") == "127.0.0.1"
    assert client_address("127.0.0.1", [("X-Real-IP", "a, b")], TRUSTED, "x-real-ip") == "127.0.0.1"
    assert client_address("127.0.0.1", [("X-Real-IP", "203.0.113.5")] * 2, TRUSTED, "x-real-ip") == "127.0.0.1"
    assert client_address("127.0.0.1", [("X-Forwarded-For", "1.2.3.4, 203.0.113.6, 10.0.0.7")], TRUSTED) == "203.0.113.6"
    assert client_address("127.0.0.1", [("X-Forwarded-For", "garbage, 10.0.0.7")], TRUSTED) == "127.0.0.1"
    assert client_address("192.0.2.1", [("X-Real-IP", "203.0.113.5")], TRUSTED, "x-real-ip") == "192.0.2.1"
    assert not peer_is_trusted("not-an-ip", TRUSTED)
    # an IPv6 zone id is free text: refused, not passed on
    assert client_address("127.0.0.1", [("X-Real-IP", "fe80::1%<script>")], TRUSTED, "x-real-ip") == "127.0.0.1"
    assert client_address("127.0.0.1", [("X-Forwarded-For", "fe80::1%x")], TRUSTED) == "127.0.0.1"


def _archived_client_ip(simulator: Simulator, data: Path, env: dict[str, str]) -> set[str]:
    gw = start_gateway(simulator, data, env=env)
    try:
        resp = httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel("town_square"),
                                                          "message": "hello, no identifiers here"},
                          headers={"Authorization": f"Bearer {gw.sim.token('alice')}", "X-Real-IP": "203.0.113.77",
                                   "X-Forwarded-For": "198.51.100.77"}, timeout=30)  # fmt: skip
        assert resp.status_code == 201, resp.text
    finally:
        stop(gw.proc)
    return {r["context"]["client_ip"] for r in archive_records(data) if r.get("context", {}).get("client_ip")}


def test_proxy_port_archives_the_peer_unless_it_is_a_trusted_proxy(simulator: Simulator, tmp_path: Path) -> None:
    assert _archived_client_ip(simulator, tmp_path / "plain", {}) == {"127.0.0.1"}
    # a proxy that appends to X-Forwarded-For passes the client's own X-Real-IP on: the
    # right-most untrusted X-Forwarded-For hop is the client, X-Real-IP is not believed
    trusted = _archived_client_ip(simulator, tmp_path / "behind", {"DLP_TRUSTED_PROXIES": "127.0.0.1/32"})
    assert trusted == {"198.51.100.77"}
    # ... unless the site says its proxies set X-Real-IP on every request
    real = _archived_client_ip(simulator, tmp_path / "real", {"DLP_TRUSTED_PROXIES": "127.0.0.1/32",
                                                             "DLP_CLIENT_IP_HEADER": "x-real-ip"})
    assert real == {"203.0.113.77"}
