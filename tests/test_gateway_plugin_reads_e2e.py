"""atk17p F1 end to end (gateway process, simulator): a plugin's ServeHTTP gets the
whole request whatever its method (server/channels/app/plugin_requests.go
servePluginRequest: ``r.URL.Path`` after ``/plugins/<id>``, every header), so a
body-less GET/HEAD/OPTIONS to ``/plugins/**`` has its path after the plugin id (as Go
decodes it and as written) and its headers judged like its query: a 403 AppError
(never 401), archived, nothing forwarded; the gate in front is the detector's own
(``Engine.could_find``): a number written in words or with look-alike letters in a
query of few digits is read too.  A clean plugin read passes unchanged.
"""

from __future__ import annotations

import base64
import http.client
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import Gateway, archive_records
from tests.filegen import SSN_BODY

STOP_IDS = {"api.dlp.blocked.app_error", "api.dlp.quarantined.app_error"}
SPOKEN = "five three six two two one two three four"  # SSN_BODY in words
PLUGIN = "/plugins/com.mattermost.demo"


def _raw(gw: Gateway, method: str, target: str, headers: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
    u = urlsplit(gw.url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.putrequest(method, target, skip_accept_encoding=True, skip_host=False)
    for k, v in {"Authorization": f"Bearer {gw.sim.token('alice')}", **headers}.items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    out = (r.status, body, {k.lower(): v for k, v in r.getheaders()})
    c.close()
    return out


def _reached(gw: Gateway, prefix: str) -> list[dict[str, Any]]:
    return [r for r in gw.sim.requests() if r["path"].startswith(prefix)
            and b"from_dlp_proxy" not in base64.b64decode(r["body_b64"])]


CASES = [
    ("GET", f"{PLUGIN}/lookup/{SSN_BODY}", {}, "plugin.path"),
    ("GET", f"{PLUGIN}/lookup", {"X-Note": f"SSN {SSN_BODY}"}, "header."),
    ("HEAD", f"{PLUGIN}/card/4111%201111%201111%201111", {}, "plugin.path"),
    ("OPTIONS", f"{PLUGIN}/iban/GB82WEST12345698765432", {}, "plugin.path"),
    ("GET", f"{PLUGIN}/lookup/ssn/{SPOKEN.replace(' ', '-')}", {}, "plugin.path"),
    ("GET", "/plugins/playbooks/api/v0/runs/ssn%20" + SPOKEN.replace(" ", "%20"), {}, "plugin.path"),
    # a query of few digits: number words (routes.query_is_trivial took them as words)
    ("GET", f"{PLUGIN}/lookup?ssn=" + SPOKEN.replace(" ", ","), {}, "plugin.path"),
]


@pytest.mark.parametrize("method,target,headers,where", CASES,
                         ids=["path", "header", "head-card", "options-iban", "words-path", "playbooks", "words-query"])
def test_a_plugin_read_is_judged_on_its_path_and_headers(gateway: Gateway, method: str, target: str,
                                                         headers: dict[str, str], where: str) -> None:
    gateway.sim.clear()
    status, body, rh = _raw(gateway, method, target, headers)
    assert status == 403, (status, body)
    assert _reached(gateway, "/plugins/") == []
    if method == "HEAD":
        return  # (no body to a HEAD: the archive below is checked on the others)
    import json

    err = json.loads(body)
    assert rh["content-type"] == "application/json" and err["id"] in STOP_IDS and err["status_code"] == 403
    assert SSN_BODY not in body.decode() and "X-Note" not in body.decode()
    recs = [x for x in archive_records(gateway.data_dir) if x.get("request_id") == err["request_id"]]
    assert len(recs) == 1 and recs[0]["action"] == "block"
    assert any(f["path"].startswith(where) for f in recs[0]["findings"]), recs[0]["findings"]


def test_a_clean_plugin_read_reaches_the_plugin_unchanged(gateway: Gateway) -> None:
    team = gateway.sim.ids["team"]
    for target in (f"/plugins/focalboard/api/v2/teams/{team}/boards",
                   "/plugins/playbooks/api/v0/runs?page=0&per_page=60&statuses=InProgress",
                   f"{PLUGIN}/lookup/order-4471"):
        for _ in range(2):  # the second time from the clean-text cache
            gateway.sim.clear()
            status, body, _ = _raw(gateway, "GET", target, {"X-Client": "boards"})
            assert status != 403, body
            reached = _reached(gateway, target.split("?")[0])
            assert len(reached) == 1 and reached[0]["raw_path"] == target.split("?")[0]
