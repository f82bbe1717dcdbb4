"""The gateway says whether NER is on: one start-up log line, ``/readyz`` checks and the
``dlp_ner_enabled`` gauge (atk27 F: without the spaCy model package a gateway started
without ``--no-ner`` ran with NER off and said nothing)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from dlp_proxy.detect import ner_installed
from tests.conftest import start_gateway, stop


def _ner_lines(log_text: str) -> list[dict[str, Any]]:
    out = []
    for line in log_text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and str(rec.get("msg", "")).startswith("NER "):
            out.append(rec)
    return out


def _gauge(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.mark.parametrize("no_ner", [False, True], ids=["default", "no-ner"])
def test_the_gateway_says_whether_ner_is_on(simulator: Any, tmp_path: Any, no_ner: bool) -> None:
    expected = ner_installed() and not no_ner
    gw = start_gateway(simulator, tmp_path / "gw", no_ner=no_ner)
    try:
        ready = httpx.get(gw.admin_url + "/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["checks"]["ner"] == ("on" if expected else "off")
        assert _gauge(httpx.get(gw.admin_url + "/metrics", timeout=10).text, "dlp_ner_enabled") == (1.0 if expected else 0.0)
    finally:
        stop(gw.proc)
    lines = _ner_lines(gw.log_path.read_text())
    assert len(lines) == 1, lines
    assert lines[0]["ner"] == ("on" if expected else "off")
    if not expected and not no_ner:
        # the model package is missing and nobody asked for NER off: said loudly
        assert lines[0]["level"] == "warning" and "not installed" in lines[0]["msg"]
    ready_line = [json.loads(x) for x in gw.log_path.read_text().splitlines() if '"gateway ready"' in x]
    assert ready_line and ready_line[0]["ner"] == ("on" if expected else "off")
