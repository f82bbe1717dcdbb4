"""End to end (attack pass 25, det25c): a labelled identifier list, a table with its label
below, a small labelled CSV and an SSN in a file name's underscores are stopped by the
real gateway (a post and an uploaded file) and never reach Mattermost (the simulator's
record).  Detector-level cases: tests/test_detect_det25c.py."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Gateway
from tests.test_gateway_e2e import CASES, STOP_IDS, _reached, _send


@pytest.fixture(scope="module")
def gateway(module_gateway: Gateway) -> Gateway:
    """This module's own gateway (conftest ``module_gateway``: its clean posts are not
    joined with the session gateway's window of earlier modules' hostile pieces)."""
    return module_gateway


POST = next(c for c in CASES if c.name == "posts.create")
UPLOAD = next(c for c in CASES if c.name == "files.multipart")

MESSAGES = [
    "Here are the SSNs\nJane Doe 536228710\nJohn Roe 449107324",  # F0
    "account numbers:\nJane Doe 1234567890\nJohn Roe 9876543210",  # F0
    "| first | middle | last |\n| --- | --- | --- |\n| 536 | 22 | 8710 |\n\n"
    "those are the three parts of her social security number",  # F1
    "Name, SSN\nJane Doe, 536228710\nJohn Roe, 449107324",  # F2
    "uploaded scan_536_22_8710.pdf to the share",  # F6
]


@pytest.fixture(scope="module")
def warm(gateway: Gateway) -> Gateway:
    """One clean upload first: the gateway's first file is read while its file reading
    starts (on a loaded machine longer than ``_send``'s 30 s)."""
    method, path, headers, body = UPLOAD.build(gateway, "quarterly notes")
    headers = {**headers, "Authorization": f"Bearer {gateway.sim.token(UPLOAD.user)}"}
    httpx.request(method, gateway.url + path, headers=headers, content=body, timeout=300)
    return gateway


@pytest.mark.parametrize("case", [POST, UPLOAD], ids=["post", "file"])
@pytest.mark.parametrize("message", MESSAGES, ids=["f0-ssn", "f0-acct", "f1-table", "f2-csv", "f6-name"])
def test_labelled_list_is_stopped(warm: Gateway, case: object, message: str) -> None:
    r, _, path = _send(warm, case, message)  # type: ignore[arg-type]
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.json()["id"] in STOP_IDS
    assert _reached(warm, path) == []


def test_clean_list_under_a_heading_reaches_mattermost(gateway: Gateway) -> None:
    r, _, path = _send(gateway, POST, "Margin accounts:\nJane 2500000\nJohn 1250000")
    assert r.status_code == 201, (r.status_code, r.text)
    assert len(_reached(gateway, path)) == 1
