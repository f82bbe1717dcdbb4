"""Who is the client: the peer, or what a trusted proxy says about it.

One rule for every port (the proxy port in ``gateway/addon.py``, the reviewer
console in ``review/app.py``): ``X-Forwarded-For`` and ``X-Real-IP`` are believed
only when the TCP peer is in ``DLP_TRUSTED_PROXIES`` (comma-separated addresses or
networks).  Anything else a client sends about its own address is ignored, so a
client cannot pick the address a rate limit counts or the archive records.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: Iterable[str]) -> tuple[Network, ...]:
    """Networks from addresses or CIDR strings (blank entries skipped); a bad
    entry raises ValueError naming it."""
    out: list[Network] = []
    for raw in spec:
        item = raw.strip()
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ValueError(f"DLP_TRUSTED_PROXIES: {item!r} is not an address or network") from exc
    return tuple(out)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """A plain IP address, or None.  IPv6 zone ids (``fe80::1%anything``) are
    refused: Python keeps the zone text verbatim, so it would carry header text.
    A text of an address's length is remembered (the addresses are immutable
    values): a connection's peer is parsed on each of its requests otherwise."""
    if len(text) <= 64:
        return _remembered_address(text)
    return _parse_address(text)


def _parse_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id is not None:
        return None
    return addr


_remembered_address = functools.lru_cache(maxsize=1024)(_parse_address)


def peer_is_trusted(peer: str, networks: Sequence[Network]) -> bool:
    """True when ``peer`` (the TCP peer's address) is one of the trusted proxies."""
    addr = _address(peer)
    return addr is not None and any(addr in net for net in networks)


def client_address(peer: str, headers: Iterable[tuple[str, str]], networks: Sequence[Network]) -> str:
    """The client's address: the peer itself unless the peer is a trusted proxy;
    then ``X-Real-IP`` (one address) or else the right-most ``X-Forwarded-For``
    entry that is not itself a trusted proxy.  Every value taken from a header is
    parsed as an IP address and returned in canonical form; an unparsable one is
    ignored (the peer is answered), so nothing a client typed is passed on."""
    if not peer_is_trusted(peer, networks):
        return peer
    real: list[str] = []
    forwarded: list[str] = []
    for name, value in headers:
        lname = name.lower()
        if lname == "x-real-ip":
            real.append(value)
        elif lname == "x-forwarded-for":
            forwarded.extend(value.split(","))
    if len(real) == 1 and "," not in real[0]:
        addr = _address(real[0])
        if addr is not None:
            return str(addr)
    for hop in reversed(forwarded):
        addr = _address(hop)
        if addr is None:
            return peer  # a garbled chain: trust none of it
        if not any(addr in net for net in networks):
            return str(addr)
    return peer
