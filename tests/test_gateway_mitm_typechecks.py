"""mitmproxy's debug-only per-message type check is dropped, and only that.

Run in fresh interpreters: the switch changes a mitmproxy class for the whole
process, and the other tests build flows with mitmproxy's checks on.
"""

from __future__ import annotations

import os
import subprocess
import sys

_PROBE = """
import sys
from mitmproxy import http
from dlp_proxy.gateway.server import skip_mitmproxy_debug_typechecks
from dlp_proxy.settings import load_settings
# as the gateway does: DLP_MITMPROXY_TYPECHECKS read once into the settings
dropped = skip_mitmproxy_debug_typechecks(keep=load_settings().mitmproxy_typechecks)
try:  # a field of the wrong type: mitmproxy's check raises TypeError
    http.ResponseData(b"HTTP/1.1", http.Headers(), b"", None, 0.0, None, "200", b"OK")
    checked = False
except TypeError:
    checked = True
# messages still work (and asserts elsewhere are untouched: python is not -O)
r = http.Response.make(403, b"{}", {"Content-Type": "application/json"})
assert r.status_code == 403 and r.headers["content-type"] == "application/json"
print(dropped, checked, __debug__)
"""


def _run(**env: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60,
                         env={**{k: v for k, v in os.environ.items() if not k.startswith("DLP_")}, **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_dropped_by_default_and_asserts_kept() -> None:
    assert _run() == ["True", "False", "True"]


def test_kept_with_the_environment_switch() -> None:
    assert _run(DLP_MITMPROXY_TYPECHECKS="1") == ["False", "True", "True"]
