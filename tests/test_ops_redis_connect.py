"""DLP_REDIS_URL forms: redis://, unix://, redis+sentinel:// against real servers
(a redis-server and a redis-sentinel of the test's own), and URL errors."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dlp_proxy.redis_connect import RedisURLError, connect, parse_sentinel_url
from tests.conftest import free_port, stop, wait_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")


@pytest.fixture()
def redis_with_sentinel(tmp_path: Path) -> Iterator[tuple[int, int, Path]]:
    port, sport = free_port(), free_port()
    sock = tmp_path / "redis.sock"
    master = subprocess.Popen(["redis-server", "--port", str(port), "--unixsocket", str(sock), "--dir", str(tmp_path),
                               "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    wait_port(port, master)
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"port {sport}\ndir {tmp_path}\nsentinel monitor dlpmaster 127.0.0.1 {port} 1\n")
    sentinel = subprocess.Popen(["redis-server", str(conf), "--sentinel"], stdout=subprocess.DEVNULL)
    wait_port(sport, sentinel)
    yield port, sport, sock
    stop(sentinel)
    stop(master)


@pytest.mark.parametrize(("url", "expected"), [
    ("redis+sentinel://a:26379,b:26380/svc/2",
     {"hosts": [("a", 26379), ("b", 26380)], "service": "svc", "db": 2, "username": None, "password": None}),
    ("redis+sentinel://:s3cret@a/svc", {"hosts": [("a", 26379)], "service": "svc", "db": 0, "password": "s3cret"}),
    ("redis+sentinel://user:p%40ss@[::1]:5000/svc/0?sentinel_password=x",
     {"hosts": [("::1", 5000)], "username": "user", "password": "p@ss", "query": {"sentinel_password": "x"}}),
])
def test_sentinel_url_parsing(url: str, expected: dict[str, object]) -> None:
    parsed = parse_sentinel_url(url)
    for key, value in expected.items():
        assert parsed[key] == value, key


@pytest.mark.parametrize("url", [
    "http://localhost:6379", "redis+sentinel://a:1", "redis+sentinel:///svc", "redis+sentinel://a:x/svc",
    "redis+sentinel://a:1/svc/notanumber", "localhost:6379",
])
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(RedisURLError):
        connect(url)


def test_error_never_echoes_the_password() -> None:
    with pytest.raises(RedisURLError) as info:
        connect("redis+sentinel://:hunter2@a:notaport/svc")
    assert "hunter2" not in str(info.value)


async def test_every_form_reaches_the_same_server(redis_with_sentinel: tuple[int, int, Path]) -> None:
    port, sport, sock = redis_with_sentinel
    writer = connect(f"redis://127.0.0.1:{port}/3")
    await writer.set("dlp:test:k", "v1")
    urls = [f"redis://127.0.0.1:{port}/3", f"unix://{sock}?db=3", f"redis+sentinel://127.0.0.1:{sport}/dlpmaster/3",
            f"redis+sentinel://127.0.0.1:{free_port()},127.0.0.1:{sport}/dlpmaster/3"]  # first sentinel dead
    for url in urls:
        client = connect(url)
        try:
            assert await client.get("dlp:test:k") == b"v1", url
        finally:
            await client.aclose()
    await writer.aclose()


async def test_sentinel_unknown_service_fails_not_hangs(redis_with_sentinel: tuple[int, int, Path]) -> None:
    _, sport, _ = redis_with_sentinel
    client = connect(f"redis+sentinel://127.0.0.1:{sport}/nosuchservice/0")
    t0 = time.monotonic()
    with pytest.raises(Exception) as info:
        await client.ping()
    assert "MasterNotFound" in type(info.value).__name__
    assert time.monotonic() - t0 < 10
    await client.aclose()
