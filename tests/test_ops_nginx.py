"""Two gateways behind a real nginx, sharing one Redis and one data directory.

- the same requests get the same decisions through gateway A, gateway B and nginx;
- nginx spreads requests over both (each gateway's /metrics counts some);
- a DM post held via gateway A is in the one shared quarantine: gateway B's
  metrics count it and the quarantine service over the same Redis lists it;
- after both stop, ``dlp-proxy archive verify`` over the shared archive exits 0
  and holds records from both workers.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import (
    ROOT,
    Gateway,
    Simulator,
    archive_records,
    free_port,
    start_gateway,
    stop,
    wait_port,
)
from tests.test_ops_metrics import OwnRedis

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = [
    pytest.mark.skipif(NGINX is None, reason="nginx not installed (apt-get install -y nginx-light)"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed"),
]

SSN = "536-22-1234"  # synthetic
NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
user {user};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream dlp_gateways {{
        server 127.0.0.1:{a};
        server 127.0.0.1:{b};
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 100m;
        location / {{
            proxy_pass http://dlp_gateways;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream off;
        }}
    }}
}}
"""


@dataclass
class Cluster:
    a: Gateway
    b: Gateway
    nginx_url: str
    redis: OwnRedis
    data_dir: Path


@pytest.fixture(scope="module")
def cluster(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("nginx-cluster")
    redis = OwnRedis(base / "redis")
    redis.start()
    data = base / "data"
    env = {"DLP_REDIS_URL": redis.url}
    a = start_gateway(simulator, data, "--worker-id", "gw-a", env=env)
    b = start_gateway(simulator, data, "--worker-id", "gw-b", env=env)
    prefix = base / "nginx"
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
        (prefix / d).mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(NGINX_CONF.format(prefix=prefix, a=a.url.rsplit(":", 1)[1], b=b.url.rsplit(":", 1)[1], port=port,
                                      user="root" if _is_root() else "nobody"))
    check = subprocess.run([str(NGINX), "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True)
    if check.returncode != 0:
        pytest.fail(f"nginx -t failed: {check.stderr}")
    nginx = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    wait_port(port, nginx)
    yield Cluster(a, b, f"http://127.0.0.1:{port}", redis, data)
    stop(nginx)
    stop(a.proc)
    stop(b.proc)
    redis.kill()


def _is_root() -> bool:
    return os.geteuid() == 0


CASES = [
    # (channel, message, expected status, expected AppError id or None)
    ("town_square", "Lunch at noon? Order #4471 ships Friday.", 201, None),
    ("town_square", f"Client SSN is {SSN}, please update the account", 403, "api.dlp.blocked.app_error"),
    ("town_square", "Wire to routing 021000021 today, account 4099 1234 5678", None, None),
    ("dm_alice_bob", f"Her SSN is {SSN}, can you open the IRA?", None, "api.dlp.quarantined.app_error"),
    ("dm_alice_bob", "see you at the 3pm", 201, None),
]


def _post(url: str, sim: Simulator, channel: str, message: str) -> tuple[int, str | None]:
    r = httpx.post(f"{url}/api/v4/posts", json={"channel_id": sim.channel(channel), "message": message},
                   headers={"Authorization": f"Bearer {sim.token('alice')}"}, timeout=30)
    err = r.json().get("id") if r.status_code >= 400 and r.headers.get("content-type", "").startswith("application/json") \
        else None
    return r.status_code, err


def _decisions(gw: Gateway) -> float:
    text = httpx.get(f"{gw.admin_url}/metrics", timeout=10).text
    return sum(s.value for f in text_string_to_metric_families(text) if f.name == "dlp_decisions"
               for s in f.samples if s.name == "dlp_decisions_total")


def test_identical_decisions_through_each_gateway_and_nginx(cluster: Cluster) -> None:
    sim = cluster.a.sim
    before = (_decisions(cluster.a), _decisions(cluster.b))
    for channel, message, status, err_id in CASES:
        answers = {name: _post(url, sim, channel, message)
                   for name, url in (("a", cluster.a.url), ("b", cluster.b.url), ("nginx", cluster.nginx_url))}
        assert len(set(answers.values())) == 1, (message[:12], answers)
        got_status, got_err = answers["a"]
        if status is not None:
            assert got_status == status, answers
        if err_id is not None:
            assert got_err == err_id, answers
    # nginx round-robins: more requests through it, then each gateway judged some of them
    for _ in range(6):
        assert _post(cluster.nginx_url, sim, "town_square", "status update, all green")[0] == 201
    after = (_decisions(cluster.a), _decisions(cluster.b))
    through_nginx = len(CASES) + 6
    grew = (after[0] - before[0] - len(CASES), after[1] - before[1] - len(CASES))
    assert grew[0] > 0 and grew[1] > 0 and sum(grew) == through_nginx, grew


def test_one_shared_quarantine(cluster: Cluster) -> None:
    sim = cluster.a.sim
    r = httpx.post(f"{cluster.a.url}/api/v4/posts",
                   json={"channel_id": sim.channel("dm_alice_bob"), "message": f"SSN {SSN} for the transfer form"},
                   headers={"Authorization": f"Bearer {sim.token('alice')}"}, timeout=30)
    assert r.json()["id"] == "api.dlp.quarantined.app_error", r.text
    request_id = r.json()["request_id"]

    # the CLI, when the quarantine part registers it; the service over the same Redis otherwise
    cli = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "quarantine", "list", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "DLP_REDIS_URL": cluster.redis.url, "DLP_DATA_DIR": str(cluster.data_dir)})
    if cli.returncode == 0:
        items = json.loads(cli.stdout)
        items = items["items"] if isinstance(items, dict) else items
    else:
        items = asyncio.run(_list_items(cluster))
    assert request_id in {i.get("request_id") for i in items}, items
    # gateway B reads the same queue
    text = httpx.get(f"{cluster.b.admin_url}/metrics", timeout=10).text
    depth = [s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == "dlp_quarantine_depth"]
    assert depth and depth[0] >= 1
    assert SSN.replace("-", "") not in cli.stdout.replace("-", "")


async def _list_items(cluster: Cluster) -> list[dict[str, object]]:
    from dlp_proxy.keys import load_key
    from dlp_proxy.quarantine import QuarantineService
    from dlp_proxy.redis_connect import connect

    redis = connect(cluster.redis.url)
    try:
        svc = QuarantineService(redis, master_key=load_key("quarantine-master", base=cluster.data_dir, create=False),
                                archive=None, upstream_url=cluster.a.sim.url)
        return await svc.list_items(state="all")
    finally:
        await redis.aclose()


def test_shared_archive_verifies_after_stop(cluster: Cluster) -> None:
    stop(cluster.a.proc)
    stop(cluster.b.proc)
    assert cluster.a.proc.returncode == 0 and cluster.b.proc.returncode == 0
    verify = subprocess.run([sys.executable, "-m", "dlp_proxy.cli", "archive", "verify", "--dir",
                             str(cluster.data_dir / "archive")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "DLP_DATA_DIR": str(cluster.data_dir)})
    assert verify.returncode == 0, verify.stdout + verify.stderr
    workers = {str(r.get("worker") or r.get("worker_id") or r.get("origin", "")) for r in archive_records(cluster.data_dir)}
    joined = " ".join(workers)
    assert "gw-a" in joined and "gw-b" in joined, workers
