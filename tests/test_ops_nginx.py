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


# ---------------------------------------------------------------- the deploy config
DEPLOY = ROOT / "deploy"


def _self_signed(directory: Path, name: str) -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))  # fmt: skip
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                              serialization.NoEncryption()))  # fmt: skip


def render_deploy_nginx(prefix: Path, *, review_host: str, console_port: int, gateway_ports: tuple[int, int],
                        tls_port: int, http_port: int) -> Path:  # fmt: skip
    """deploy/nginx.conf and review.conf.template as the compose stack runs them
    (the template rendered from DLP_REVIEW_HOST as the nginx image's envsubst does),
    with only what a test host needs changed: addresses and ports instead of the
    compose service names and 443/80, file paths under ``prefix``, and nginx's
    connections to the console from 127.0.0.2 (so the console can tell nginx from
    a client that connects to it directly)."""
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi", "logs", "conf.d"):
        (prefix / d).mkdir(parents=True, exist_ok=True)
    _self_signed(prefix / "tls", "chat.test")
    _self_signed(prefix / "tls" / "review", review_host)
    review = (DEPLOY / "review.conf.template").read_text().replace("${DLP_REVIEW_HOST}", review_host)
    assert "${" not in review
    review = review.replace("server gateway-a:8081", f"server 127.0.0.1:{console_port}")
    review = review.replace("proxy_pass http://dlp_review;", "proxy_pass http://dlp_review;\n        proxy_bind 127.0.0.2;")
    main = (DEPLOY / "nginx.conf").read_text()
    main = main.replace("server gateway-a:8080", f"server 127.0.0.1:{gateway_ports[0]}")
    main = main.replace("server gateway-b:8080", f"server 127.0.0.1:{gateway_ports[1]}")
    main = main.replace("/etc/nginx/conf.d/", f"{prefix}/conf.d/")
    main = main.replace("pid /tmp/nginx.pid;", f"pid {prefix}/nginx.pid;")
    main = main.replace("http {", "http {\n" + "".join(f"    {kind}_temp_path {prefix}/{d};\n" for kind, d in (
        ("client_body", "body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"), ("uwsgi", "uwsgi"), ("scgi", "scgi"))), 1)
    main = "daemon off;\n" + ("user root;\n" if _is_root() else "") + main
    main = main.replace("listen 443 ", f"listen 127.0.0.1:{tls_port} ").replace("listen 80 ", f"listen 127.0.0.1:{http_port} ")
    review = review.replace("listen 443 ", f"listen 127.0.0.1:{tls_port} ")
    main, review = (t.replace("/etc/nginx/tls", f"{prefix}/tls") for t in (main, review))
    for line in (main + review).splitlines():  # nothing of the container paths or names is left
        code = line.split("#")[0]
        assert "/etc/nginx" not in code and "gateway-" not in code, line
    (prefix / "conf.d" / "review.conf").write_text(review)
    conf = prefix / "nginx.conf"
    conf.write_text(main)
    return conf


def test_deploy_nginx_config_passes_nginx_t(tmp_path: Path) -> None:
    conf = render_deploy_nginx(tmp_path, review_host="review.test", console_port=free_port(),
                               gateway_ports=(free_port(), free_port()), tls_port=free_port(), http_port=free_port())
    check = subprocess.run([str(NGINX), "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr


def test_deploy_nginx_serves_the_console_on_its_own_hostname_over_tls(tmp_path: Path) -> None:
    """The compose stack's nginx in front of a real console: the console's hostname
    reaches it over TLS with HSTS; Mattermost's hostname does not reach it; HTTP is
    redirected; and the client address the console archives is the one nginx saw,
    whatever the client claims in X-Real-IP / X-Forwarded-For, while a client that
    reaches the console directly is not believed at all (DLP_TRUSTED_PROXIES holds
    nginx's address only)."""
    import redis.asyncio as aioredis

    from dlp_proxy.quarantine import QuarantineService, QuarantineSettings
    from dlp_proxy.review import ReviewSettings, create_app
    from tests.test_quarantine_support import MASTER, ServedApp, redis_server
    from tests.test_quarantine_support import simulator as sim_server

    records: list[dict[str, object]] = []

    class ListArchive:
        async def append(self, record: dict[str, object]) -> str:
            records.append(dict(record))
            return f"r{len(records)}"

    tls_port, http_port = free_port(), free_port()
    with redis_server(tmp_path / "redis") as rs, sim_server() as (_sim, sim_url):
        svc = QuarantineService(aioredis.Redis.from_url(rs.url), master_key=MASTER, archive=ListArchive(),  # type: ignore[arg-type]
                                upstream_url=sim_url, settings=QuarantineSettings(notify_token="dlp-bot-token"))  # fmt: skip
        app = create_app(svc, upstream_url=sim_url, settings=ReviewSettings(
            hash_key=b"k" * 32, trusted_proxies=("127.0.0.2/32",), login_limit_ip=1000))  # fmt: skip
        with ServedApp(app) as console:
            prefix = tmp_path / "nginx"
            conf = render_deploy_nginx(prefix, review_host="review.test", console_port=console.port,
                                       gateway_ports=(free_port(), free_port()), tls_port=tls_port,
                                       http_port=http_port)  # fmt: skip
            nginx = subprocess.Popen([str(NGINX), "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)  # fmt: skip
            try:
                wait_port(tls_port, nginx)
                client = httpx.Client(verify=False, transport=httpx.HTTPTransport(verify=False, local_address="127.0.0.3"))
                base = f"https://127.0.0.1:{tls_port}"
                page = client.get(base + "/login", headers={"Host": "review.test"})
                assert page.status_code == 200 and "Security review sign-in" in page.text
                assert page.headers["strict-transport-security"] == "max-age=63072000"
                assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
                # the session cookie is Secure (the console's default behind TLS)
                other = client.get(base + "/login", headers={"Host": "chat.test"})
                assert "Security review sign-in" not in other.text  # Mattermost's name goes to the gateways
                plain = httpx.get(f"http://127.0.0.1:{http_port}/login", headers={"Host": "review.test"})
                assert plain.status_code == 301 and plain.headers["location"] == "https://review.test/login"

                def failed_sign_in(c: httpx.Client, url: str, **headers: str) -> object:
                    import re

                    form = c.get(url + "/login", headers=headers)
                    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
                    assert csrf, form.text
                    c.post(url + "/login", headers=headers, data={"csrf": csrf.group(1), "login_id": "nobody",
                                                                   "password": "wrong"})  # fmt: skip
                    rec = records[-1]
                    assert rec["action"] == "sign_in_failed"
                    return rec["client_ip"]

                spoof = {"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "203.0.113.8"}
                # through nginx: the address nginx saw, never the client's claim
                assert failed_sign_in(client, base, Host="review.test", **spoof) == "127.0.0.3"
                # straight to the console: the headers are not believed from anyone but nginx
                direct = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3"))
                assert failed_sign_in(direct, console.url, **spoof) == "127.0.0.3"
            finally:
                stop(nginx)
        asyncio.run(svc.close())
