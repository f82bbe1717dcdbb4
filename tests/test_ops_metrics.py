"""The admin port of a real gateway (own Redis): /metrics families filled by real
traffic, /healthz, /readyz turning 503 when Redis dies and 200 when it is back,
and no identifier in the metrics or the gateway's log after posting some."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Gateway, Simulator, free_port, start_gateway, stop, wait_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")

SSN = "536-22-1234"  # synthetic
SSN_DIGITS = SSN.replace("-", "")
CARD = "4111 1111 1111 1111"  # the standard test card number


class OwnRedis:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                                      "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
                                     stdout=subprocess.DEVNULL)
        wait_port(self.port, self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        stop(self.proc, timeout=5)


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRedis]:
    r = OwnRedis(tmp_path_factory.mktemp("metrics-redis"))
    r.start()
    yield r
    r.kill()


@pytest.fixture(scope="module")
def gw(simulator: Simulator, own_redis: OwnRedis, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    g = start_gateway(simulator, tmp_path_factory.mktemp("metrics-gw"), env={"DLP_REDIS_URL": own_redis.url})
    yield g
    stop(g.proc)


def _post(gw: Gateway, channel_key: str, message: str) -> httpx.Response:
    return httpx.post(f"{gw.url}/api/v4/posts", json={"channel_id": gw.sim.channel(channel_key), "message": message},
                      headers={"Authorization": f"Bearer {gw.sim.token('alice')}"}, timeout=30)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_after_real_traffic(gw: Gateway) -> None:
    before = _samples(httpx.get(f"{gw.admin_url}/metrics", timeout=10).text)
    assert _post(gw, "town_square", "Lunch at noon? Order #4471 ships Friday.").status_code == 201
    blocked = _post(gw, "town_square", f"Client SSN is {SSN}, card {CARD}")
    assert blocked.status_code == 403, blocked.text
    held = _post(gw, "dm_alice_bob", f"Her SSN is {SSN}, can you open the IRA?")
    assert held.status_code in (202, 403) and held.json()["id"] == "api.dlp.quarantined.app_error", held.text
    r = httpx.get(f"{gw.admin_url}/metrics", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    after = _samples(r.text)

    def delta(name: str, **labels: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    cases = [
        ("dlp_decisions_total", {"action": "allow", "route": "posts.create"}, 1),
        ("dlp_decisions_total", {"action": "block", "route": "posts.create"}, 1),
        ("dlp_decisions_total", {"action": "quarantine", "route": "posts.create"}, 1),
        ("dlp_entities_total", {"entity_type": "US_SSN"}, 2),
        ("dlp_request_inspection_seconds_count", {}, 3),
    ]
    for name, labels, at_least in cases:
        assert delta(name, **labels) >= at_least, (name, labels, delta(name, **labels))
    # histogram buckets are cumulative and end at +Inf == count
    assert _value(after, "dlp_request_inspection_seconds_bucket", le="+Inf") == _value(
        after, "dlp_request_inspection_seconds_count")
    assert _value(after, "dlp_quarantine_depth") >= 1
    assert _value(after, "dlp_quarantine_oldest_age_seconds") >= 0
    assert _value(after, "dlp_archive_records") >= 3
    assert _value(after, "dlp_archive_failed") == 0
    # filled from the archive's own counters (the unsigned count was never set before)
    assert _value(after, "dlp_archive_commits") >= 1 and _value(after, "dlp_archive_sync_seconds") > 0
    assert 0 <= _value(after, "dlp_archive_unsealed_records") <= _value(after, "dlp_archive_records")
    assert _value(after, "dlp_redis_up") == 1
    families = {f.name for f in text_string_to_metric_families(r.text)}
    for fam in ("dlp_upstream_errors", "dlp_inflight_requests", "dlp_archive_unsealed_records"):
        assert fam in families, fam

    # no identifier in the metrics, nor in the gateway's log
    for text, where in ((r.text, "metrics"), (gw.log(), "log")):
        flat = re.sub(r"[\s-]", "", text)
        assert SSN_DIGITS not in flat, where
        assert CARD.replace(" ", "") not in flat, where
    # the log is structured JSON, one object a line
    import json

    lines = [ln for ln in gw.log().splitlines() if ln.strip().startswith("{")]
    assert lines and all(isinstance(json.loads(ln), dict) for ln in lines)


def test_healthz_and_readyz_follow_redis(gw: Gateway, own_redis: OwnRedis) -> None:
    assert httpx.get(f"{gw.admin_url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = httpx.get(f"{gw.admin_url}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["checks"]["redis"] == "ok", ready.text
    own_redis.kill()
    try:
        t0 = time.monotonic()
        down = httpx.get(f"{gw.admin_url}/readyz", timeout=10)
        assert time.monotonic() - t0 < 5  # a scrape never hangs on a dead Redis
        assert down.status_code == 503, down.text
        body = down.json()
        assert body["status"] == "unavailable" and body["checks"]["redis"].startswith("error")
        assert httpx.get(f"{gw.admin_url}/healthz", timeout=5).status_code == 200  # alive, just not ready
        m = _samples(httpx.get(f"{gw.admin_url}/metrics", timeout=10).text)
        assert _value(m, "dlp_redis_up") == 0
    finally:
        own_redis.start()  # same port, same AOF directory
    deadline = time.monotonic() + 90  # a generous bound for a loaded host
    while True:
        back = httpx.get(f"{gw.admin_url}/readyz", timeout=10)
        if back.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert back.status_code == 200, back.text
    # the quarantined item survived the restart (AOF, appendfsync always)
    m = _samples(httpx.get(f"{gw.admin_url}/metrics", timeout=10).text)
    assert _value(m, "dlp_quarantine_depth") >= 1
