"""Contract tests with the official JavaScript client @mattermost/client (tests/js/).

The node suite (tests/js/contract.test.mjs) runs createPost, patchPost, updatePost,
createScheduledPost, upsertDraft, patchChannel, executeCommand and uploadFile in
one of two modes:

- CLEAN: clean content, every call must succeed (and reach the upstream);
- STOP: content with a synthetic SSN, every call must end in a ClientError that is
  a 4xx other than 401, carries the expected message (and error id), does not echo
  the identifier, and the identifier never reached the simulator.

Against the simulator alone, CLEAN must pass and STOP must fail (nothing refuses).
A tiny refusing proxy (test double below) shows STOP can pass, and its broken
variants (401, text/plain, echoing the value, forwarding anyway) show that STOP fails
on each of those mistakes. ``test_js_contract_through_gateway`` is the real thing:
it runs both modes through the gateway fixture from tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dlp_proxy.simulator import SimulatorServer, ThreadedServer

pytestmark = pytest.mark.js

JS_DIR = Path(__file__).resolve().parent / "js"
SSN = "536-22-1234"  # synthetic, valid format (see contract.test.mjs)
N_CALLS = 8
# What the gateway's refusal message must contain for an SSN (the lead owns the wording).
GATEWAY_MESSAGE_SUBSTRING = "Social Security number"
GATEWAY_ERROR_ID: str | None = "api.dlp.blocked.app_error"  # the calls post to a public channel: blocked


@pytest.fixture(scope="session")
def js_ready() -> Path:
    node = shutil.which("node")
    npm = shutil.which("npm")
    assert node and npm, "node and npm are needed for the @mattermost/client contract tests"
    if not (JS_DIR / "node_modules" / "@mattermost" / "client").is_dir():
        cmd = ["npm", "ci"] if (JS_DIR / "package-lock.json").exists() else ["npm", "install"]
        proc = subprocess.run(
            [*cmd, "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return JS_DIR


@dataclass
class JsRun:
    returncode: int
    passed: int
    failed: int
    output: str


def run_contract(
    base_url: str,
    *,
    token: str,
    channel_id: str,
    team_id: str,
    mode: str,
    simulator_url: str | None = None,
    expect_message: str | None = None,
    expect_error_id: str | None = None,
) -> JsRun:
    """Run tests/js/contract.test.mjs with node's test runner against ``base_url``."""
    env = {
        **os.environ,
        "BASE_URL": base_url,
        "MM_TOKEN": token,
        "CHANNEL_ID": channel_id,
        "TEAM_ID": team_id,
        "MODE": mode,
        "STOP_SSN": SSN,
    }
    for key in ("SIMULATOR_URL", "EXPECT_MESSAGE_SUBSTRING", "EXPECT_ERROR_ID"):
        env.pop(key, None)
    if simulator_url:
        env["SIMULATOR_URL"] = simulator_url
    if expect_message:
        env["EXPECT_MESSAGE_SUBSTRING"] = expect_message
    if expect_error_id:
        env["EXPECT_ERROR_ID"] = expect_error_id
    proc = subprocess.run(
        ["node", "--test", "--test-reporter=tap", "contract.test.mjs"],
        cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=180,
    )
    out = proc.stdout + proc.stderr

    def count(name: str) -> int:
        m = re.search(rf"^# {name} (\d+)$", proc.stdout, re.M)
        return int(m.group(1)) if m else -1

    return JsRun(proc.returncode, count("pass"), count("fail"), out)


@pytest.fixture
def own_sim():
    with SimulatorServer() as srv:
        yield srv


def test_js_contract_clean_against_simulator(js_ready, own_sim):
    ids = own_sim.sim.ids
    run = run_contract(
        own_sim.url, token=ids["tokens"]["alice"], channel_id=ids["channels"]["town_square"],
        team_id=ids["team"], mode="CLEAN", simulator_url=own_sim.url,
    )
    assert (run.returncode, run.passed, run.failed) == (0, N_CALLS, 0), run.output
    paths = {(r["method"], r["path"]) for r in own_sim.sim.recorded()}
    for expected in [("POST", "/api/v4/posts"), ("POST", "/api/v4/posts/schedule"), ("POST", "/api/v4/drafts"),
                     ("POST", "/api/v4/commands/execute"), ("POST", "/api/v4/files"),
                     ("PUT", f"/api/v4/channels/{ids['channels']['town_square']}/patch")]:
        assert expected in paths
    assert any(m == "PUT" and p.endswith("/patch") and "/posts/" in p for m, p in paths)


def test_js_contract_stop_fails_when_nothing_refuses(js_ready, own_sim):
    """Negative control: straight to the simulator, STOP mode must fail every call."""
    ids = own_sim.sim.ids
    run = run_contract(
        own_sim.url, token=ids["tokens"]["alice"], channel_id=ids["channels"]["town_square"],
        team_id=ids["team"], mode="STOP", simulator_url=own_sim.url, expect_message="Social Security number",
    )
    assert run.returncode != 0 and (run.passed, run.failed) == (0, N_CALLS), run.output
    assert run.output.count("must be refused, but it succeeded") >= N_CALLS


# ------------------------------------------------------------------------------
# A refusing proxy (test double of the gateway's answer, NOT the gateway): it
# refuses any write whose raw body contains the SSN and forwards everything else.
def refusing_proxy(upstream: str, variant: str) -> Starlette:
    digits = SSN.replace("-", "").encode()

    async def handle(request: Request) -> Response:
        body = await request.body()
        hit = SSN.encode() in body or digits in body
        if hit and variant != "forward":
            error = {
                "id": "dlp.blocked.us_ssn",
                "message": "Message not sent: it contains a Social Security number. Remove it and send again.",
                "detailed_error": "",
                "request_id": "r" * 26,
                "status_code": 400,
            }
            status, ctype = 400, "application/json"
            if variant == "401":
                status = error["status_code"] = 401
            elif variant == "text":
                ctype = "text/plain; charset=utf-8"
            elif variant == "echo":
                error["detailed_error"] = f"matched {SSN}"
            return Response(json.dumps(error), status_code=status, media_type=None, headers={"Content-Type": ctype})
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
        async with httpx.AsyncClient(base_url=upstream, timeout=30) as client:
            up = await client.request(request.method, request.url.path, params=request.url.query or None,
                                      headers=headers, content=body)
        out_headers = {k: v for k, v in up.headers.items() if k.lower() in ("content-type", "token", "x-request-id")}
        resp = Response(up.content, status_code=up.status_code, headers=out_headers)
        if variant == "forward" and hit:
            # forwards the identifier and then refuses: the client sees a refusal but the data leaked
            return Response(json.dumps({"id": "dlp.blocked.us_ssn", "message": "Social Security number found",
                                        "detailed_error": "", "request_id": "", "status_code": 400}),
                            status_code=400, media_type="application/json")
        return resp

    return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])


@pytest.mark.parametrize(
    ("variant", "expect_error_id", "should_pass", "why"),
    [
        ("good", "dlp.blocked.us_ssn", True, ""),
        ("good", "some.other.id", False, "some.other.id"),
        ("401", None, False, "logs the web app user out"),
        ("text", None, False, "AppError.status_code matches the HTTP status"),
        ("echo", None, False, "must not echo the identifier"),
        ("forward", None, False, "never reach the upstream"),
    ],
)
def test_js_contract_stop_assertions_are_strict(js_ready, own_sim, variant, expect_error_id, should_pass, why):
    ids = own_sim.sim.ids
    with ThreadedServer(refusing_proxy(own_sim.url, variant)) as proxy:
        run = run_contract(
            proxy.url, token=ids["tokens"]["alice"], channel_id=ids["channels"]["town_square"],
            team_id=ids["team"], mode="STOP", simulator_url=own_sim.url,
            expect_message="Social Security number", expect_error_id=expect_error_id,
        )
    if should_pass:
        assert (run.returncode, run.passed, run.failed) == (0, N_CALLS, 0), run.output
    else:
        assert run.returncode != 0 and run.failed == N_CALLS, run.output
        assert why in run.output


def test_js_contract_network_error_is_a_failure(js_ready, own_sim):
    ids = own_sim.sim.ids
    with ThreadedServer(Starlette()) as dead:
        url = dead.url
    run = run_contract(url, token="alice-token", channel_id=ids["channels"]["town_square"], team_id=ids["team"],
                       mode="STOP", expect_message="Social Security number")
    assert run.returncode != 0, run.output


# ------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["CLEAN", "STOP"])
def test_js_contract_through_gateway(js_ready, request, mode):
    """The official client through the real gateway (fixture ``gateway`` from tests/conftest.py)."""
    try:
        gateway = request.getfixturevalue("gateway")
    except pytest.FixtureLookupError:
        pytest.skip("fixture 'gateway' (tests/conftest.py) is not available yet")
    sim = gateway.sim  # the session simulator behind the gateway (tests/conftest.py)
    sim.clear()
    run = run_contract(
        gateway.url,  # the one line that points the client at the gateway instead of the simulator
        token=sim.token("alice"), channel_id=sim.channel("town_square"), team_id=sim.ids["team"],
        mode=mode, simulator_url=sim.url,
        expect_message=GATEWAY_MESSAGE_SUBSTRING if mode == "STOP" else None,
        expect_error_id=GATEWAY_ERROR_ID if mode == "STOP" else None,
    )
    assert (run.returncode, run.passed, run.failed) == (0, N_CALLS, 0), run.output
