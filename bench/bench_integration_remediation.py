"""How long an integration's answer is visible before the gateway remediates it.

Real gateway, simulator and integration server (tests/conftest.py helpers).  Each
round: a post with an allowlisted button, a click through the gateway, the
integration answers ``update`` with an SSN; measured: the click's round trip, and the
time from the click's answer to the post being gone (read straight from the
simulator every 2 ms).  Also the click's round trip when the answer is clean (same
path, nothing to remediate), to show the check is not on the client's path.

    PYTHONPATH=$PWD python bench/bench_integration_remediation.py [rounds]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dlp_proxy.policy.testing import SSN
from dlp_proxy.simulator import ThreadedServer
from tests.conftest import start_gateway, start_simulator, stop

ANSWER: dict[str, Any] = {}


async def hook(request: Request) -> Response:
    await request.body()
    return JSONResponse(ANSWER)


def main(rounds: int) -> None:
    sim = start_simulator()
    with ThreadedServer(Starlette(routes=[Route("/hook", hook, methods=["POST"])])) as srv, \
            tempfile.TemporaryDirectory() as tmp:
        httpx.post(f"{sim.url}/__sim/config", json={"allowed_untrusted_internal_connections": "127.0.0.1"})
        gw = start_gateway(sim, Path(tmp) / "gw", env={"DLP_INTEGRATION_URLS": srv.url})
        try:
            admin = httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {sim.token('dlp-bot')}"})
            c = gw.client("alice")
            clicks: dict[str, list[float]] = {"clean": [], "ssn": []}
            visible: list[float] = []
            for i in range(rounds * 2):
                kind = "ssn" if i % 2 else "clean"
                post = c.post("/api/v4/posts", json={
                    "channel_id": sim.channel("town_square"), "message": "status",
                    "props": {"attachments": [{"actions": [{"id": "r", "name": "R", "integration": {"url": f"{srv.url}/hook"}}]}]}}).json()
                ANSWER.clear()
                ANSWER["update"] = {"message": f"client SSN {SSN}" if kind == "ssn" else f"all clear {i}"}
                t0 = time.perf_counter()
                assert c.post(f"/api/v4/posts/{post['id']}/actions/r", json={}).status_code == 200
                t1 = time.perf_counter()
                clicks[kind].append(t1 - t0)
                if kind == "ssn":
                    while admin.get(f"/api/v4/posts/{post['id']}").status_code != 404:
                        time.sleep(0.002)
                        if time.perf_counter() - t1 > 10:
                            raise RuntimeError("not remediated")
                    visible.append(time.perf_counter() - t1)
                else:
                    time.sleep(0.05)  # let its check finish before the next round
            ms = lambda xs: f"median {statistics.median(xs) * 1000:.1f} ms, max {max(xs) * 1000:.1f} ms"  # noqa: E731
            print(f"rounds: {rounds}")
            print(f"click round trip, clean answer:  {ms(clicks['clean'])}")
            print(f"click round trip, SSN answer:    {ms(clicks['ssn'])}")
            print(f"SSN visible after the click's answer until deleted: {ms(visible)}")
        finally:
            stop(gw.proc)
            stop(sim.proc)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
