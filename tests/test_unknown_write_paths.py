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


def test_an_identifier_spread_over_a_path_and_its_query_is_judged(gateway: Gateway) -> None:
    """atk11 F5: a digit percent-encoded, a number split over segments, a base64 segment,
    a label in the query and the number in the path went to Mattermost."""
    gw = gateway
    with gw.client("alice") as c:
        for method, path, needle in [
            ("POST", "/api/v4/zzunknown/5%336-22-8710", "22-8710"),
            ("POST", "/api/v4/zzunknown/536/22/8710", "8710"),
            ("POST", "/api/v4/zzunknown/update/536/22/8710", "8710"),
            ("POST", "/api/v4/zzunknown/NTM2LTIyLTg3MTA=", "NTM2LTIyLTg3MTA"),
            ("POST", "/api/v4/zzunknown/3533362d32322d38373130", "38373130"),
            ("PATCH", "/api/v4/zzunknown/536228710?ssn", "536228710"),
            ("PUT", "/api/v4/zzunknown/536228710?field=ssn", "536228710"),
            ("PUT", "/api/v4/zzunknown/ssn?value=536228710", "536228710"),
        ]:
            gw.sim.clear()
            r = c.request(method, path, json={})
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()["id"] in STOPPED_IDS
            assert not _reached(gw, needle), (method, path)
        # ids in paths, numeric or Mattermost's, with or without a query: forwarded
        for method, path in [
            ("POST", "/api/v4/zzunknown/123"),
            ("POST", "/api/v4/zzunknown/abcdefghijkmnopqrstuvwxyz0/things"),
            ("PUT", "/api/v4/zzunknown/abcdefghijkmnopqrstuvwxyz0/123?page=2&per_page=60"),
            ("POST", "/api/v4/teams/123/zzunknown/45/posts/6789"),
        ]:
            gw.sim.clear()
            r = c.request(method, path, json={})
            assert r.status_code != 403, (method, path, r.text)
            assert _reached(gw, path.split("?")[0]), (method, path)


def test_path_items_keep_words_and_ids_out() -> None:
    from dlp_proxy.gateway.pipeline import path_items

    assert path_items("/api/v4/plugins/com.mattermost.calls/x") == []
    assert path_items("/api/v4/zz/abcdefghijkmnopqrstuvwxyz0") == []
    items = path_items("/api/v4/zz/53%36-22-8710?q=1")
    assert [(i.path, i.text) for i in items] == [("path", "q 1 /api/v4/zz/536-22-8710")]


def test_path_items_read_a_path_as_one_text() -> None:
    from dlp_proxy.gateway.pipeline import path_items

    def read(target: str) -> list[tuple[str, str]]:
        return [(i.path, i.text) for i in path_items(target)]

    # %33 is "3": 5%3336 is 5336 (Mattermost reads 5336-22-8710, four digits first)
    assert read("/api/v4/zz/5%3336-22-8710") == [("path", "/api/v4/zz/5336-22-8710")]
    assert read("/api/v4/zz/5%25336-22-8710") == [("path", "/api/v4/zz/536-22-8710")]
    assert read("/api/v4/zz/536/22/8710") == [("path", "/api/v4/zz/536/22/8710"), ("path.run", "536/22/8710")]
    assert read("/api/v4/zz/NTM2LTIyLTg3MTA=") == [("path", "/api/v4/zz/536-22-8710")]
    assert read("/api/v4/zz/536228710?field=ssn") == [("path", "field ssn /api/v4/zz/536228710")]
