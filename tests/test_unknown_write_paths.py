"""The path of a write the route table does not describe is read like its query (atk10p F3).

``POST /api/v4/<unknown>/536-22-8710`` and ``DELETE /api/v4/<unknown>/536-22-8710`` went to
Mattermost unread while the same value in the query was judged.
"""

from __future__ import annotations

from tests.conftest import STOPPED_IDS, Gateway


def _reached(gw: Gateway, needle: str) -> bool:
    return any(needle in r["raw_path"] or needle in r["path"] for r in gw.sim.requests())


def test_an_identifier_in_an_unknown_write_path_is_judged(gateway: Gateway) -> None:
    gw = gateway
    with gw.client("alice") as c:
        for method, path, needle in [
            ("POST", "/api/v4/zzunknown/536-22-8710", "8710"),
            ("PUT", "/api/v4/zzunknown/x/4111111111111111/y", "4111111111111111"),
            ("DELETE", "/api/v4/zzunknown/536-22-8710", "8710"),
            ("PATCH", "/plugins/zz/api/%35%33%36-22-8710", "8710"),
            ("DELETE", "/api/v4/zzunknown/%2535%2533%2536-22-8710", "8710"),
        ]:
            gw.sim.clear()
            r = c.request(method, path, json={} if method != "DELETE" else None)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()["id"] in STOPPED_IDS
            assert not _reached(gw, needle), (method, path)
        # nothing to read in the path: forwarded as before (the simulator does not know the route)
        gw.sim.clear()
        r = c.delete("/api/v4/zzunknown/things/v2")
        assert r.status_code != 403, r.text
        assert _reached(gw, "/api/v4/zzunknown/things/v2")


def test_path_items_keep_words_and_ids_out() -> None:
    from dlp_proxy.gateway.pipeline import path_items

    assert path_items("/api/v4/plugins/com.mattermost.calls/x") == []
    assert path_items("/api/v4/zz/abcdefghijkmnopqrstuvwxyz0?x=1") == []
    items = path_items("/api/v4/zz/53%36-22-8710?q=1")
    assert [(i.path, i.text) for i in items] == [("path", "/api/v4/zz/536-22-8710")]
