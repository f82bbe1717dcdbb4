"""Cost before trust, attack 21h: credentials of the session-less routes checked before
the body (unknown webhooks, invented remote-cluster tokens), scan time charged as CPU
used (never a queue's wait), bodies that stop arriving, the connection cap in all, and
records of bounded size.  Through the real gateway; CPU from ``/proc``; no sleep raced
against a timer (an admitted body is told apart from a refused one by ``100 Continue``)."""

from __future__ import annotations

import json
import secrets
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from dlp_proxy.gateway.addon import connection_cap
from dlp_proxy.gateway.budget import ANONYMOUS, ScanBudget, ScanBudgetExceeded, address_group
from tests.conftest import Gateway, Simulator, archive_records, start_gateway, stop
from tests.test_gateway_hostile import _addr, _closed, _cpu_seconds, _read_response, _wait_idle

MiB = 1024 * 1024

_LIMITS = {
    "DLP_MAX_INFLIGHT_BYTES": str(2 * MiB),
    "DLP_MAX_INFLIGHT_BYTES_PER_CLIENT": str(MiB),
    "DLP_MAX_LARGE_BODIES_PER_CLIENT": "3",
    "DLP_MAX_CLIENT_CONNECTIONS": "60",
    "DLP_CLIENT_BODY_TIMEOUT": "3",
    "DLP_CLIENT_BODY_MIN_RATE": str(64 * 1024),
    "DLP_CLIENT_BODY_IDLE_TIMEOUT": "1",
}


@pytest.fixture(scope="module")
def gw21(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = start_gateway(
        simulator,
        tmp_path_factory.mktemp("hostile21h"),
        "--max-body",
        "200m",
        "--scan-deadline",
        "30",
        env=_LIMITS,
    )
    yield gw
    stop(gw.proc)


def _digits_body(size: int = 60_000) -> bytes:
    """The attack's body: account-number context and many digit runs (a 60 KB JSON)."""
    import random
    import string

    rnd = random.Random(1)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < size:
        words.append("acct " + "".join(rnd.choice(string.digits) for _ in range(rnd.choice([9, 10, 12, 16]))))
    return json.dumps({"text": " ".join(words)}).encode()


def _random_id() -> str:
    return "".join(secrets.choice("abcdefghijkmnopqrstuwxyz13456789") for _ in range(26))


def _send(gw: Gateway, head: bytes, body: bytes = b"") -> tuple[int, dict[str, object]]:
    with socket.create_connection(_addr(gw)) as sock:
        sock.sendall(head)
        try:
            sock.sendall(body)
        except OSError:
            pass  # answered (and closed) before the body
        return _read_response(sock, timeout=60)


def _post_head(path: str, length: int, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: mm.example\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


# ---------------------------------------------------------------- F1: hooks and services


def test_an_unknown_hook_costs_no_scan_and_no_archive_record(gw21: Gateway) -> None:
    """Attack 21h F1: POST /hooks/<random id> with a 60 KB digit-dense body was decoded,
    scanned (~0.4 s of CPU each), blocked 403 and archived (780 KB a record).  Now the
    hook is looked up first (as Mattermost does, app/webhook.go HandleIncomingWebhook):
    400 web.incoming_webhook.invalid.app_error before the body is read, no record, and
    the lookup is remembered (the same id twice: one lookup)."""
    sim = gw21.sim
    body = _digits_body()
    ids = [_random_id() for _ in range(10)]
    _send(gw21, _post_head(f"/hooks/{_random_id()}", len(body)), body)  # warm the code path
    records = len(archive_records(gw21.data_dir))
    sim.clear()
    cpu0 = _cpu_seconds(gw21.proc.pid)
    answers = [
        _send(gw21, _post_head(f"/hooks/{hook}", len(body)), body) for hook in ids + ids[:3] + ["x" * 5]
    ]
    used = _cpu_seconds(gw21.proc.pid) - cpu0
    print(f"{len(answers)} unknown-hook posts of {len(body)} B: gateway CPU {used:.2f} s")
    assert {(s, b["id"]) for s, b in answers} == {(400, "web.incoming_webhook.invalid.app_error")}
    assert used < 0.05 * len(answers), f"{used:.2f} s of gateway CPU"  # one scan of one was ~0.4 s
    assert len(archive_records(gw21.data_dir)) == records
    seen = sim.requests()
    lookups = [r for r in seen if r.get("path", "").startswith("/api/v4/hooks/incoming/")]
    assert len(lookups) == len(ids)  # remembered; a non-id ("xxxxx") is never looked up
    assert not [r for r in seen if r.get("path", "").startswith("/hooks/")]
    # the real hook still posts (looked up once, then judged and forwarded)
    r = httpx.post(
        f"{gw21.url}/hooks/{sim.ids['incoming_hook']}", json={"text": "deploy finished"}, timeout=60
    )
    assert r.status_code == 200 and r.text == "ok", r.text


def test_invented_remote_cluster_credentials_are_refused_before_the_body(gw21: Gateway) -> None:
    """Attack 21h F1 (remotecluster_unauth.py): an invented X-RemoteCluster-Id/Token was
    admitted to 64 KiB, scanned (0.45 s) and archived (848 KB).  Mattermost refuses it
    before reading the body (web/handlers.go RequireRemoteClusterToken): the gateway asks
    it (a ping with the same headers) and answers 403 (never 401) without reading the body;
    the cluster's own credential is accepted and its message judged."""
    sim = gw21.sim
    rc = sim.ids["remote_cluster"]
    body = json.dumps(
        {"id": "x", "topic": "sharedchannel", "payload": {"posts": [{"message": _digits_body().decode()}]}}
    ).encode()
    records = len(archive_records(gw21.data_dir))
    sim.clear()
    cpu0 = _cpu_seconds(gw21.proc.pid)
    for cluster, token in ((_random_id(), "guessed"), (rc["id"], "guessed"), (rc["id"], "guessed")):
        status, answer = _send(
            gw21,
            _post_head(
                "/api/v4/remotecluster/msg",
                len(body),
                f"X-RemoteCluster-Id: {cluster}\r\nX-RemoteCluster-Token: {token}\r\n",
            ),
            body,
        )
        assert status == 403 and answer["id"] == "api.dlp.unauthenticated.app_error", answer
    used = _cpu_seconds(gw21.proc.pid) - cpu0
    assert used < 0.3, f"{used:.2f} s of gateway CPU"
    assert len(archive_records(gw21.data_dir)) == records
    seen = sim.requests()
    assert (
        len([r for r in seen if r.get("path") == "/api/v4/remotecluster/ping"]) == 2
    )  # the repeat was remembered
    assert not [r for r in seen if r.get("path") == "/api/v4/remotecluster/msg"]
    clean = json.dumps({"id": "y", "topic": "sharedchannel", "payload": {"posts": [{"message": "hello"}]}})
    r = httpx.post(
        f"{gw21.url}/api/v4/remotecluster/msg",
        content=clean,
        timeout=60,
        headers={
            "X-RemoteCluster-Id": rc["id"],
            "X-RemoteCluster-Token": rc["token"],
            "Content-Type": "application/json",
        },
    )
    assert r.status_code != 403, r.text
    assert [x for x in sim.requests() if x.get("path") == "/api/v4/remotecluster/msg"]


@pytest.mark.asyncio
async def test_a_lookup_that_fails_is_not_remembered_and_refuses() -> None:
    """Mattermost unreachable or answering oddly: ``LookupFailed`` (the addon answers 503),
    not remembered; 404 is an unknown hook (400), remembered; 200 a known one."""
    from dlp_proxy.gateway.admission import CredentialCheck, LookupFailed

    answers = {"a" * 26: 200, "b" * 26: 404, "c" * 26: 500}
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(answers[request.url.path.rsplit("/", 1)[1]], json={})

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://mm") as client:
        check = CredentialCheck(client, "admin-token")
        for _ in range(2):
            assert await check.hook("a" * 26) == 200
            assert await check.hook("b" * 26) == 400
            with pytest.raises(LookupFailed):
                await check.hook("c" * 26)
        assert await check.hook("not an id") == 400
    assert sorted(asked) == sorted([f"/api/v4/hooks/incoming/{c * 26}" for c in "abcc"])


def test_a_decision_record_lists_a_bounded_number_of_findings(gw21: Gateway) -> None:
    """A refused post with hundreds of findings: its record lists at most 200, counts all
    (``entity_counts``) and says how many it left out."""
    from dlp_proxy.gateway.pipeline import ARCHIVE_FINDINGS_MAX
    from dlp_proxy.policy.testing import SSN

    _wait_idle(gw21.proc.pid)  # (the workers build their detectors after start-up)
    before = len(archive_records(gw21.data_dir))
    with gw21.client("sam") as c:
        c.timeout = 120
        r = c.post(
            "/api/v4/posts",
            json={"channel_id": gw21.sim.channel("town_square"), "message": " ".join([f"ssn {SSN}"] * 300)},
        )
    assert r.status_code >= 400, r.text  # stopped
    new = [
        x
        for x in archive_records(gw21.data_dir)[before:]
        if x.get("type") == "decision" and x.get("findings")
    ]
    assert new, "no decision record"
    rec = new[-1]
    assert len(rec["findings"]) == ARCHIVE_FINDINGS_MAX
    total = sum(rec["entity_counts"].values())
    assert total >= 300 and rec["findings_omitted"] == total - ARCHIVE_FINDINGS_MAX


def test_addresses_without_a_user_share_one_total_and_a_64_is_one_address() -> None:
    now = [0.0]
    budget = ScanBudget(2.0, 60.0, clock=lambda: now[0], anonymous_seconds=3.0)
    assert (
        address_group("2001:db8:1:2:aaaa::1") == address_group("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    )
    assert address_group("::ffff:192.0.2.7") == "192.0.2.7" and address_group("192.0.2.7") == "192.0.2.7"
    assert address_group("2001:db8:1:3::1") != address_group("2001:db8:1:2::1")
    budget.charge("ip:" + address_group("2001:db8:1:2::1"), 2.0)
    with pytest.raises(ScanBudgetExceeded):  # the same /64, another address
        budget.check("ip:" + address_group("2001:db8:1:2::99"))
    budget.charge("ip:192.0.2.1", 1.5)
    with pytest.raises(ScanBudgetExceeded):  # a fresh address, but all of them spent the total
        budget.check("ip:192.0.2.2")
    budget.check("u:alice")  # users are not in it
    now[0] = 30.0  # half the window: 1.5 s back in the total
    budget.check("ip:192.0.2.2")
    assert budget.remaining(ANONYMOUS) == pytest.approx(1.0)


# ---------------------------------------------------------------- F7: bodies that stop arriving


def _upload(gw: Gateway, user: str, declared: int = 100 * MiB) -> tuple[socket.socket, int]:
    """An upload's headers (``Expect: 100-continue``), no body: (socket, 100 when admitted,
    else the refusal's status)."""
    sock = socket.create_connection(_addr(gw))
    sock.sendall(
        (
            f"POST /api/v4/files?channel_id={gw.sim.channel('town_square')}&filename=a.txt HTTP/1.1\r\n"
            f"Host: mm.example\r\nAuthorization: Bearer {gw.sim.token(user)}\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {declared}\r\nExpect: 100-continue\r\n\r\n"
        ).encode()
    )
    sock.settimeout(60)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed unanswered")
        head += chunk
    return sock, int(head.split(b" ", 2)[1])


def test_silent_uploads_hold_no_room_and_a_user_has_few_large_ones(gw21: Gateway) -> None:
    """Attack 21h F7: uploads declaring 100 MB that send nothing each held a 256 KiB first
    share of the bytes in flight: a few users filled it and everyone's writes were 503.
    Now a body holds what arrived (nothing here), and a user may have 3 large bodies
    arriving (here): alice's, bob's and sam's fourth are refused 503 at once, their
    first three admitted (2 MiB budget: 9 first shares were 2.25 MiB), and carol posts."""
    socks: list[socket.socket] = []
    try:
        for user in ("alice", "bob", "sam"):
            statuses = []
            for _ in range(4):
                sock, status = _upload(gw21, user)
                socks.append(sock)
                statuses.append(status)
            assert statuses == [100, 100, 100, 503], (user, statuses)
        with gw21.client("carol") as c:
            c.timeout = 60
            r = c.post(
                "/api/v4/posts", json={"channel_id": gw21.sim.channel("town_square"), "message": "lunch?"}
            )
        assert r.status_code == 201, r.text
    finally:
        for sock in socks:
            sock.close()


def test_a_stalled_upload_is_closed_by_the_idle_timeout(gw21: Gateway) -> None:
    """A 100 MB upload that sends 10 bytes and stops: its total deadline is 3 s + 100 MiB
    at 64 KiB/s (~27 min); the idle timeout (1 s here) closes it."""
    sock, status = _upload(gw21, "alice")
    with sock:
        assert status == 100
        sock.sendall(b"0123456789")
        started = time.monotonic()
        assert _closed(sock, 60), "a stalled upload was not closed"
        print(f"closed after {time.monotonic() - started:.2f} s")


def test_a_trickling_upload_is_closed_by_the_minimum_rate(gw21: Gateway) -> None:
    """A body that keeps sending (a byte every 0.2 s: never idle) but far below the
    minimum rate (64 KiB/s after a 3 s grace here) is closed long before its total
    deadline (~27 min)."""
    sock, status = _upload(gw21, "bob")
    with sock:
        assert status == 100
        for _ in range(600):  # 2 minutes at most
            try:
                sock.sendall(b"x")
            except OSError:
                break
            if _closed(sock, 0.2):
                break
        else:
            raise AssertionError("a trickling upload was not closed in 2 minutes")


# ---------------------------------------------------------------- F3: connections in all


def test_client_connections_are_capped_in_all(gw21: Gateway) -> None:
    """Over the cap in all (60 here), a new connection is closed before a byte is read,
    whatever its address; the gateway serves again once they go."""
    socks: list[socket.socket] = []
    try:
        for i in range(70):
            socks.append(socket.create_connection(_addr(gw21), timeout=10))
        closed = sum(_closed(s, 0.5) for s in socks[-15:])
        assert closed >= 10, closed  # (the cap counts the test's other clients' connections too)
    finally:
        for s in socks:
            s.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            with gw21.client() as c:
                if c.get("/api/v4/users/me").status_code == 200:
                    break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_the_connection_cap_leaves_room_under_the_file_limit() -> None:
    assert connection_cap(None, 20_000) == (20_000 - 1024) // 3
    assert connection_cap(None, 1024) == (1024 - 256) // 3
    assert connection_cap(100_000, 20_000) == (20_000 - 1024) // 3  # lowered to what the limit allows
    assert connection_cap(500, 20_000) == 500 and connection_cap(0, 20_000) == 0


# ---------------------------------------------------------------- F2: a queue's wait is not charged


@pytest.fixture(scope="module")
def queued_gw(simulator: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    # one scan worker, a plug-in detector (never run inline: every post is scanned there)
    # that spins on a marker; 1 ms of scan time per hour
    gw = start_gateway(
        simulator,
        tmp_path_factory.mktemp("queued"),
        "--scan-deadline",
        "2",
        env={
            "DLP_DETECTOR": "tests.faults:faulty_detector",
            "DLP_SCAN_WORKERS": "1",
            "DLP_USER_SCAN_SECONDS": "0.001",
            "DLP_USER_SCAN_WINDOW": "3600",
        },
    )
    yield gw
    stop(gw.proc)


def test_a_scan_that_waited_for_a_worker_is_not_charged_its_wait(queued_gw: Gateway) -> None:
    """Attack 21h F2: a post that waited for the scan worker a flood held and reached its
    deadline before it started was charged its wall time (the whole budget): 429 for the
    sender's next posts.  Here bob's post spins the only worker until the 2 s deadline
    kills it; carol's, sent while it spins, waits and reaches its deadline (503) without
    running.  Carol is charged nothing (her next post goes through); bob the CPU his
    scan used (at least 50 ms, over his 1 ms: his next post is 429)."""
    import threading

    from tests.faults import SPIN_MARKER
    from tests.test_gateway_hostile import _worker_cpu_by_pid

    pid = queued_gw.proc.pid
    town = queued_gw.sim.channel("town_square")
    _wait_idle(pid)
    before = sum(_worker_cpu_by_pid(pid).values())
    answers: dict[str, httpx.Response] = {}

    def post(user: str, message: str) -> None:
        with queued_gw.client(user) as c:
            c.timeout = 120
            answers[user] = c.post("/api/v4/posts", json={"channel_id": town, "message": message})

    spinner = threading.Thread(target=post, args=("bob", f"hello {SPIN_MARKER}"))
    spinner.start()
    deadline = time.monotonic() + 60
    while sum(_worker_cpu_by_pid(pid).values()) - before < 0.05:  # the worker is spinning on bob's
        assert time.monotonic() < deadline, "the worker never started bob's scan"
        time.sleep(0.05)
    post("carol", "see you at 10")
    spinner.join()
    assert answers["bob"].status_code == 503, answers["bob"].text
    assert (
        answers["carol"].status_code == 503 and answers["carol"].json()["detailed_error"] == "scan-deadline"
    ), answers["carol"].text
    _wait_idle(pid)  # the replacement worker is ready
    post("carol", "see you at 10")
    assert answers["carol"].status_code == 201, answers["carol"].text
    post("bob", "hello again")
    assert (
        answers["bob"].status_code == 429 and answers["bob"].json()["id"] == "api.dlp.scan_budget.app_error"
    )
