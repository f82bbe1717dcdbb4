"""One place that turns ``DLP_REDIS_URL`` into a ``redis.asyncio.Redis``.

Accepted forms (docs/operations.md):

- ``redis://[[user]:password@]host:port/db``        plain TCP
- ``rediss://[[user]:password@]host:port/db``       TLS (``?ssl_ca_certs=/path/ca.pem`` etc., as redis-py reads them)
- ``unix://[[user]:password@]/path/redis.sock?db=N`` a local socket
- ``redis+sentinel://[[user]:password@]host:port,host:port/service_name/db``
  Redis Sentinel: the sentinels are asked for the current master of
  ``service_name``; after a fail-over the client re-asks on the next connection
  error.  ``?sentinel_password=...`` authenticates to the sentinels when they
  have their own password; ``?ssl=true`` uses TLS to the master.

The password never appears in errors raised here (only the scheme and hosts).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

#: client options the gateway uses for every connection (fail fast, notice dead peers)
DEFAULTS: dict[str, Any] = {"socket_timeout": 2.0, "socket_connect_timeout": 1.0, "health_check_interval": 10}


class RedisURLError(ValueError):
    pass


def connect(url: str, **options: Any) -> aioredis.Redis:
    """A client for ``url`` (see the module doc).  ``options`` override DEFAULTS.
    Nothing is contacted until the first command."""
    opts = {**DEFAULTS, **options}
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("redis", "rediss", "unix"):
        # A blocking pool: a burst of more concurrent requests than connections
        # waits (up to ``pool_timeout``) for a free one instead of failing at once;
        # redis-py's default pool raises "Too many connections" past 100, which
        # the gateway would have to answer 503.
        max_connections = int(opts.pop("max_connections", 256))
        pool_timeout = float(opts.pop("pool_timeout", 5.0))
        pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=pool_timeout, **opts)
        return aioredis.Redis(connection_pool=pool)
    if scheme == "redis+sentinel":
        return _sentinel(url, opts)
    raise RedisURLError(f"unsupported Redis URL scheme {scheme!r}: use redis://, rediss://, unix:// or redis+sentinel://")


def parse_sentinel_url(url: str) -> dict[str, Any]:
    """``redis+sentinel://...`` -> hosts, service name, db, credentials, query options."""
    parts = urlsplit(url)
    netloc = parts.netloc
    username = password = None
    if "@" in netloc:
        creds, netloc = netloc.rsplit("@", 1)
        user, sep, pw = creds.partition(":")
        username = unquote(user) or None
        password = unquote(pw) if sep else None
    hosts: list[tuple[str, int]] = []
    for item in netloc.split(","):
        item = item.strip()
        if not item:
            continue
        if item.startswith("["):  # [ipv6]:port
            host, _, rest = item[1:].partition("]")
            port_text = rest.lstrip(":") or "26379"
        else:
            host, _, port_text = item.partition(":")
            port_text = port_text or "26379"
        try:
            hosts.append((host, int(port_text)))
        except ValueError:
            raise RedisURLError(f"bad sentinel address {host!r}:{port_text!r}") from None
    if not hosts:
        raise RedisURLError("redis+sentinel:// needs at least one host:port")
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        raise RedisURLError("redis+sentinel:// needs a service name: redis+sentinel://host:port/SERVICE/DB")
    service = unquote(segments[0])
    try:
        db = int(segments[1]) if len(segments) > 1 else 0
    except ValueError:
        raise RedisURLError(f"bad database number {segments[1]!r}") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {"hosts": hosts, "service": service, "db": db, "username": username, "password": password, "query": query}


def _sentinel(url: str, opts: dict[str, Any]) -> aioredis.Redis:
    p = parse_sentinel_url(url)
    query: dict[str, str] = p["query"]
    sentinel_kwargs: dict[str, Any] = {k: opts[k] for k in ("socket_timeout", "socket_connect_timeout") if k in opts}
    if query.get("sentinel_password"):
        sentinel_kwargs["password"] = query["sentinel_password"]
    master_kwargs = dict(opts)
    if query.get("ssl", "").lower() in ("1", "true", "yes"):
        master_kwargs["ssl"] = True
    sentinel = Sentinel(p["hosts"], sentinel_kwargs=sentinel_kwargs, **master_kwargs)  # type: ignore[no-untyped-call]
    client: aioredis.Redis = sentinel.master_for(p["service"], db=p["db"], username=p["username"], password=p["password"])
    return client
