"""The private Redis a gateway brings when DLP_REDIS_URL is unset (real redis-server processes)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import redis

from dlp_proxy.gateway.redis_supervisor import SUN_PATH_MAX, PrivateRedis
from tests.ports import free_port


def _started(data_dir: Path) -> tuple[PrivateRedis, str]:
    server = PrivateRedis(data_dir)
    return server, server.start()


def test_listens_on_a_socket_only_its_user_can_reach(tmp_path: Path) -> None:
    # a path with characters a URL gives meaning to: the URL written for the CLI still finds it
    server, url = _started(tmp_path / "data dir #1?")
    try:
        assert url.startswith("unix://") and "127.0.0.1" not in url
        assert (server.dir / "url").read_text() == url
        sock = server.dir / "redis.sock"
        assert stat.S_ISSOCK(sock.stat().st_mode)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert stat.S_IMODE(server.dir.stat().st_mode) == 0o700
        client = redis.Redis.from_url(url)
        assert client.ping()
        assert client.config_get("port") == {"port": "0"}  # no TCP listener at all
        assert client.config_get("appendfsync") == {"appendfsync": "always"}
        client.close()
    finally:
        server.stop()


def test_a_password_is_needed(tmp_path: Path) -> None:
    server, url = _started(tmp_path / "d")
    try:
        wrong = redis.Redis(unix_socket_path=str(server.socket_path), password="not-it")
        try:
            wrong.ping()
            raise AssertionError("a wrong password was accepted")
        except redis.AuthenticationError:
            pass
    finally:
        server.stop()


def test_a_path_too_long_for_a_socket_falls_back_to_a_local_port(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * max(1, SUN_PATH_MAX - len(str(tmp_path))))
    server, url = _started(deep)
    try:
        assert len(str(server.socket_path)) > SUN_PATH_MAX
        assert url.startswith("redis://:") and "@127.0.0.1:" in url
        client = redis.Redis.from_url(url)
        assert client.ping()
        client.close()
    finally:
        server.stop()


def test_a_local_port_taken_before_redis_binds_it_is_given_up_for_another(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from dlp_proxy.gateway import redis_supervisor

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    ports = iter([taken.getsockname()[1], free_port()])  # the first "free" port is taken meanwhile
    monkeypatch.setattr(redis_supervisor, "free_port", lambda: next(ports))
    deep = tmp_path / ("d" * max(1, SUN_PATH_MAX - len(str(tmp_path))))
    try:
        server, url = _started(deep)
        try:
            assert server.port != taken.getsockname()[1]
            client = redis.Redis.from_url(url)
            assert client.ping()
            client.close()
        finally:
            server.stop()
    finally:
        taken.close()
