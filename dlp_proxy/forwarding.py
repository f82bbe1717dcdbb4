"""Who is the client: the peer, or what a trusted proxy says about it.

One rule for every port (the proxy port in ``gateway/addon.py``, the reviewer
console in ``review/app.py`` and its sign-in, ``review/oidc.py``): forwarding headers
are believed only when the TCP peer is in ``DLP_TRUSTED_PROXIES`` (comma-separated
addresses or networks), and then only the one ``DLP_CLIENT_IP_HEADER`` names:

- ``x-forwarded-for`` (the default): walked from the right past the trusted proxies,
  the first address that is not one of them is the client (the standard algorithm;
  nginx ``real_ip_recursive``).  A proxy that appends (nginx
  ``$proxy_add_x_forwarded_for``, haproxy ``option forwardfor``, cloud load
  balancers) writes the address it saw last, so what a client wrote to the left
  of it is never reached.  ``X-Real-IP`` is ignored: a proxy that only appends
  to X-Forwarded-For passes a client's own ``X-Real-IP`` on untouched (the shipped
  deploy/nginx.conf's websocket location sets none), so preferring it let a client
  choose the address its per-address limits count and the archive records;
- ``x-real-ip``: for proxies that *set* ``X-Real-IP`` on every request (nginx
  ``proxy_set_header X-Real-IP $remote_addr`` in every location) and nothing else:
  one address, believed as it is.

Anything else a client sends about its own address is ignored.  What Mattermost is
sent is another matter (``gateway/addon.py`` ``_add_forward_headers``).
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


#: the forwarding headers ``client_address`` can believe (``DLP_CLIENT_IP_HEADER``)
CLIENT_IP_HEADERS = ("x-forwarded-for", "x-real-ip")


def client_address(
    peer: str,
    headers: Iterable[tuple[str, str]],
    networks: Sequence[Network],
    header: str = "x-forwarded-for",
) -> str:
    """The client's address: the peer itself unless the peer is a trusted proxy; then
    what ``header`` says (module docstring): the right-most ``X-Forwarded-For`` entry
    that is not itself a trusted proxy, or the one ``X-Real-IP`` address.  Every value taken from a header is parsed as an IP
    address and returned in canonical form; an unparsable one is ignored (the peer is
    answered: a garbled chain is trusted in none of its parts), so nothing a client
    typed is passed on."""
    if not peer_is_trusted(peer, networks):
        return peer
    if header not in CLIENT_IP_HEADERS:
        raise ValueError(f"DLP_CLIENT_IP_HEADER: {header!r} is not one of {', '.join(CLIENT_IP_HEADERS)}")
    said: list[str] = []
    for name, value in headers:
        if name.lower() == header:
            said.extend(value.split(",") if header == "x-forwarded-for" else [value])
    if header == "x-real-ip":
        addr = _address(said[0]) if len(said) == 1 and "," not in said[0] else None
        return str(addr) if addr is not None else peer
    for hop in reversed(said):
        addr = _address(hop)
        if addr is None:
            return peer  # a garbled chain: trust none of it
        if not any(addr in net for net in networks):
            return str(addr)
    return peer  # (every hop a trusted proxy: the peer, as before)
