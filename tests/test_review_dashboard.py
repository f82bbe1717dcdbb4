"""The Compliance dashboard (dlp_proxy/review/dashboard.py): the aggregation with
an injected clock, the archive reader on a real archive, the SVG, and the page
and JSON endpoint over real sockets."""

from __future__ import annotations

import calendar
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from hypothesis import given
from hypothesis import settings as settings_h
from hypothesis import strategies as st

from dlp_proxy.archive import open_archive
from dlp_proxy.archive.format import list_segments, record_time, utc_now_iso
from dlp_proxy.quarantine import QuarantineService, QuarantineSettings
from dlp_proxy.review import create_app
from dlp_proxy.review.context import ContextSettings
from dlp_proxy.review.dashboard import (
    COUNTED,
    aggregate,
    archive_records,
    charts,
    iter_directory,
    nearest_rank,
    read_directory,
)
from tests.test_archive_log import KEYS
from tests.test_quarantine_support import MASK_REASONS, MASTER, ServedApp, make_held, redis_server, simulator
from tests.test_review_app import sign_in
from tests.test_review_context import AUDITOR, TOKEN, settings

NOW = float(calendar.timegm((2026, 12, 4, 12, 0, 0)))  # Friday noon UTC
DAY = 86400.0


def decision(t: float, action: str, entities: list[str], rule: str | None, ctype: str | None,
             record_id: str = "") -> dict[str, Any]:  # fmt: skip
    rec: dict[str, Any] = {"type": "decision", "time": utc_now_iso(t), "action": action, "rule_id": rule,
                           "entity_types": entities, "context": {"channel_type": ctype} if ctype else {}}  # fmt: skip
    if record_id:
        rec["record_id"] = record_id
    return rec


def review(t: float, action: str, item_id: str, verdict: str | None = None, **extra: Any) -> dict[str, Any]:
    rec = {"type": "review", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)), "ts": t,
           "action": action, "item_id": item_id, **extra}  # fmt: skip
    if verdict is not None:
        rec["verdict"] = verdict
    return rec


RECORDS = [
    decision(NOW - 3600, "quarantine", ["US_SSN", "IBAN_CODE"], "hold-ssn", "D", "R1"),
    decision(NOW - 2 * 3600, "quarantine", ["US_SSN"], "hold-ssn", "G", "R2"),
    decision(NOW - DAY, "block", ["CREDIT_CARD"], "block-cards", "O"),
    decision(NOW - 3 * DAY, "block", [], None, None),  # no entity, no rule, unknown channel type
    decision(NOW - 3600, "allow", [], None, "O"),  # not a stop
    decision(NOW - 3600, "monitor", ["US_SSN"], "watch", "O"),  # not a stop either
    decision(NOW - 20 * DAY, "quarantine", ["US_SSN"], "hold-ssn", "D", "R0"),  # before the window
    decision(NOW + 60, "block", ["US_SSN"], "hold-ssn", "D"),  # after now (a clock ahead): not counted
    {"type": "failure", "time": utc_now_iso(NOW - 60), "action": "fail_closed"},
    # verdicts
    review(NOW - 1800, "approve", "qA", "false_positive", quarantine_record_id="R1"),  # rule via the hold's record
    review(NOW - 1700, "reject", "qB", "true_positive", rule_id="block-cards"),  # rule on the record
    review(NOW - 1600, "reject", "qC"),  # no verdict: unlabelled, rule from the queue item
    review(NOW - 1500, "approve", "qD", "benign", quarantine_record_id="R2"),  # four eyes: first approval ...
    review(NOW - 1400, "approve", "qD", quarantine_record_id="R2"),  # ... the second keeps its verdict
    review(NOW - 1300, "reject", "qE", "not-a-verdict", rule_id="hold-ssn"),  # unknown word: unlabelled
    review(NOW - 1200, "comment", "qA", "false_positive"),  # a comment is no decision
    review(NOW - 30 * DAY, "reject", "qOld", "false_positive", rule_id="hold-ssn"),  # before the window
    # the senders' own reports from the notice's buttons (QuarantineService.sender_report)
    review(NOW - 900, "sender_false_positive", "qA", quarantine_record_id="R1"),
    review(NOW - 800, "sender_false_positive", "qA", quarantine_record_id="R1"),  # the same item again: once
    review(NOW - 700, "sender_release_request", "q1"),  # rule from the queue item
    review(NOW - 40 * DAY, "sender_release_request", "q2"),  # before the window
]

ITEMS = [
    {"id": "q1", "state": "held", "created_at": NOW - 100, "rule_id": "hold-ssn"},
    {"id": "q2", "state": "held", "created_at": NOW - 300, "rule_id": "hold-ssn"},
    {"id": "q3", "state": "held", "created_at": NOW - 7200, "rule_id": "hold-ssn"},
    {"id": "q4", "state": "awaiting_second", "created_at": NOW - 50, "rule_id": "hold-ssn"},
    {"id": "q5", "state": "release_failed", "created_at": NOW - 1000, "rule_id": "hold-ssn"},
    {"id": "qC", "state": "rejected", "created_at": NOW - 9000, "rule_id": "hold-ssn", "decided_at": NOW - 1600},
    # a verdict kept on the item whose archive record is not in what was read
    {"id": "qF", "state": "released", "created_at": NOW - 9000, "rule_id": "block-cards", "decided_at": NOW - 100,
     "verdict": "false_positive"},
]


def test_aggregate_by_day_entity_rule_channel_type() -> None:
    d = aggregate(RECORDS, ITEMS, now=NOW, days=7)
    assert d["days"] == 7 and [r["day"] for r in d["per_day"]][-1] == "2026-12-04"
    assert d["per_day"][0]["day"] == "2026-11-28" and d["since"] == NOW - 12 * 3600 - 6 * DAY
    assert d["totals"] == {"quarantine": 2, "block": 2}
    by_day = {r["day"]: r for r in d["per_day"]}
    assert by_day["2026-12-04"]["quarantine"] == 2 and by_day["2026-12-04"]["block"] == 0
    assert by_day["2026-12-04"]["by_entity"] == {"US_SSN": 2, "IBAN_CODE": 1}
    assert by_day["2026-12-03"]["block"] == 1 and by_day["2026-12-01"]["by_entity"] == {"none": 1}
    assert by_day["2026-12-04"]["by_rule"] == {"hold-ssn": 2}
    assert by_day["2026-12-04"]["by_channel_type"] == {"direct": 1, "group": 1}
    assert by_day["2026-12-01"]["by_rule"] == {"(no rule)": 1} and by_day["2026-12-01"]["by_channel_type"] == {
        "unknown": 1}
    # one decision with two entity types counts under each type, once in the totals
    assert d["by_entity"] == {"US_SSN": {"quarantine": 2, "block": 0}, "CREDIT_CARD": {"quarantine": 0, "block": 1},
                              "IBAN_CODE": {"quarantine": 1, "block": 0}, "none": {"quarantine": 0, "block": 1}}
    assert list(d["by_rule"]) == ["hold-ssn", "(no rule)", "block-cards"]  # most stops first, then by name
    assert d["by_rule"]["hold-ssn"] == {"quarantine": 2, "block": 0}
    assert d["by_channel_type"] == {"direct": {"quarantine": 1, "block": 0}, "group": {"quarantine": 1, "block": 0},
                                    "public": {"quarantine": 0, "block": 1}, "unknown": {"quarantine": 0, "block": 1}}
    # a 30-day window also sees the hold from 20 days ago
    assert aggregate(RECORDS, ITEMS, now=NOW, days=30)["totals"] == {"quarantine": 3, "block": 2}


def test_aggregate_false_positive_rate_by_rule() -> None:
    v = aggregate(RECORDS, ITEMS, now=NOW, days=7)["verdicts_by_rule"]
    # hold-ssn: qA false positive, qD benign (once, despite two approvals), qC and qE unlabelled
    assert v["hold-ssn"] == {"true_positive": 0, "false_positive": 1, "benign": 1, "unlabelled": 2, "labelled": 2,
                             "false_positive_rate": 0.5, "benign_rate": 0.5}
    # block-cards: qB true positive (rule on the record), qF false positive (from the item)
    assert v["block-cards"]["true_positive"] == 1 and v["block-cards"]["false_positive"] == 1
    assert v["block-cards"]["false_positive_rate"] == 0.5
    assert set(v) == {"hold-ssn", "block-cards"}
    # nothing labelled: no rate, not zero
    only_unlabelled = aggregate([review(NOW - 10, "reject", "qX", rule_id="r")], [], now=NOW)
    assert only_unlabelled["verdicts_by_rule"]["r"]["false_positive_rate"] is None


def test_aggregate_sender_reports() -> None:
    d = aggregate(RECORDS, ITEMS, now=NOW, days=7)
    assert d["sender_reports_by_rule"] == {"hold-ssn": {"false_positive": 1, "release_request": 1}}
    assert "sender" not in str(d["verdicts_by_rule"])  # a sender's report is no reviewer verdict


def test_aggregate_queue_age() -> None:
    q = aggregate(RECORDS, ITEMS, now=NOW)["queue"]
    assert q["active"] == 5  # rejected and released are final
    assert q["oldest_seconds"] == 7200 and q["p50_seconds"] == 300  # nearest rank of 50,100,300,1000,7200
    assert q["by_state"]["held"] == {"count": 3, "oldest_seconds": 7200, "p50_seconds": 300}
    assert q["by_state"]["awaiting_second"]["count"] == 1 and q["by_state"]["release_failed"]["oldest_seconds"] == 1000
    assert aggregate([], [], now=NOW)["queue"] == {"active": 0, "oldest_seconds": None, "p50_seconds": None,
                                                  "by_state": {}}  # fmt: skip
    assert nearest_rank([4, 1, 3, 2], 0.5) == 2 and nearest_rank([], 0.5) is None


def test_aggregate_moves_with_the_clock() -> None:
    """The same records a day later: today's holds are yesterday's."""
    later = aggregate(RECORDS, ITEMS, now=NOW + DAY, days=7)
    by_day = {r["day"]: r for r in later["per_day"]}
    assert by_day["2026-12-05"]["quarantine"] == 0 and by_day["2026-12-04"]["quarantine"] == 2
    assert later["queue"]["oldest_seconds"] == 7200 + DAY


def test_svg_is_well_formed_and_escapes_labels() -> None:
    records = [*RECORDS, decision(NOW - 60, "block", ["US_SSN"], '<script>alert("x")</script>&', "P")]
    out = charts(aggregate(records, ITEMS, now=NOW, days=7))
    for name, svg in out.items():
        root = ET.fromstring(str(svg))  # well-formed XML
        assert root.tag.endswith("svg") and root.get("role") == "img", name
        assert not [e for e in root.iter() if e.tag.endswith("script")]
    bars = ET.fromstring(str(out["days_action"])).findall(".//{http://www.w3.org/2000/svg}rect[@class='bar']")
    values = {(b.get("data-day"), b.get("data-key")): int(b.get("data-value") or 0) for b in bars}
    assert values[("2026-12-04", "quarantine")] == 2 and values[("2026-12-04", "block")] == 1
    assert values[("2026-12-03", "block")] == 1
    rates = ET.fromstring(str(out["fp"])).findall(".//{http://www.w3.org/2000/svg}rect[@data-row]")
    assert {r.get("data-row"): float(r.get("data-value") or 0) for r in rates} == {"block-cards": 0.5, "hold-ssn": 0.5}


async def test_reads_a_real_archive(tmp_path: Path) -> None:
    a = open_archive(tmp_path, max_segment_bytes=2000, **KEYS)
    t0 = time.time()
    for i in range(12):
        a.append_sync(decision(t0 - (11 - i) * DAY, "block", ["US_SSN"], f"r{i}", "O"))
    a.close_sync()
    assert sum(len(s) for s in list_segments(tmp_path).values()) > 2  # several segments
    recs = read_directory(tmp_path, since=t0 - 4.5 * DAY)
    assert [r["rule_id"] for r in recs] == ["r7", "r8", "r9", "r10", "r11"]
    assert len(read_directory(tmp_path)) == 12
    # a segment last written long before `since` is not read at all
    first = sorted(p for segs in list_segments(tmp_path).values() for _, p in segs)[0]
    os.utime(first, (t0 - 30 * DAY, t0 - 30 * DAY))
    assert len(read_directory(tmp_path, since=t0 - 20 * DAY)) < 12  # its records (r0 at -11 days) would count
    assert read_directory(tmp_path, since=t0 - 20 * DAY)[0]["rule_id"] != "r0"
    # an unfinished last line (a write in progress) is not read; a damaged one is skipped
    last = sorted(p for segs in list_segments(tmp_path).values() for _, p in segs)[-1]
    os.chmod(last, 0o644)
    with open(last, "ab") as f:
        f.write(b'{"rec": {"type": "decision"')
    assert len(read_directory(tmp_path, since=t0 - 4.5 * DAY)) == 5

    # the prefilter keeps every line the dashboard counts, as the archive writes it (canonical JSON)
    b = open_archive(tmp_path / "b", **KEYS)
    kinds = [decision(t0, "quarantine", ["US_SSN"], "r", "D"), decision(t0, "block", [], None, "O"),
             decision(t0, "allow", [], None, "O"), review(t0, "approve", "q1", "benign"), review(t0, "reject", "q2"),
             review(t0, "comment", "q3"), {"type": "failure", "time": utc_now_iso(t0), "action": "fail_closed"},
             review(t0, "sender_false_positive", "q4")]
    for rec in kinds:
        b.append_sync(rec)
    b.close_sync()
    kept = [(r["type"], r["action"]) for r in iter_directory(tmp_path / "b", prefilter=COUNTED)]
    assert sorted(kept) == [("decision", "block"), ("decision", "quarantine"), ("review", "approve"),
                            ("review", "reject"), ("review", "sender_false_positive")]  # fmt: skip

    class FakeArchive:
        async def records(self) -> list[dict[str, Any]]:
            return [review(t0 - 10, "reject", "q1"), review(t0 - 5 * DAY, "reject", "q2")]

    assert [r["item_id"] for r in await archive_records(FakeArchive(), since=t0 - DAY)] == ["q1"]
    assert await archive_records(object()) == []


# ------------------------------------------------------------------ over real sockets


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    with redis_server(tmp_path / "redis") as rs, simulator() as (sim, sim_url):
        archive = open_archive(tmp_path / "archive", **KEYS)
        now = time.time()
        archive.append_sync(decision(now - 60, "quarantine", ["US_SSN"], "hold-ssn", "D", "R1"))
        archive.append_sync(decision(now - 50, "block", ["CREDIT_CARD"], "block-cards", "O"))
        archive.append_sync(review(now - 40, "reject", "qA", "false_positive", quarantine_record_id="R1"))
        qs = QuarantineSettings(notify_token="dlp-bot-token")
        svc = QuarantineService(aioredis.Redis.from_url(rs.url), master_key=MASTER, mask_text=MASK_REASONS, archive=archive,
                                upstream_url=sim_url, settings=qs)  # fmt: skip

        async def hold() -> str:
            r = aioredis.Redis.from_url(rs.url)
            q = QuarantineService(r, master_key=MASTER, mask_text=MASK_REASONS, archive=None, upstream_url=sim_url, settings=qs)
            item = await q.hold(make_held(sim, created_at=now - 7200))
            await q.close()
            await r.aclose()
            return item

        import asyncio

        item = asyncio.run(hold())
        app = create_app(svc, upstream_url=sim_url, settings=settings(),
                         context=ContextSettings(token="dlp-bot-token"))  # fmt: skip
        with ServedApp(app) as s:
            yield {"url": s.url, "item": item, "archive": archive}
        archive.close_sync()


async def test_dashboard_api_and_page(served: dict[str, Any]) -> None:
    url = served["url"]
    async with httpx.AsyncClient(base_url=url) as c:
        assert (await c.get("/api/v1/dashboard")).status_code == 401
        assert (await c.get("/api/v1/dashboard", headers={"Authorization": "Bearer nope"})).status_code == 401
        for token in (TOKEN, AUDITOR):  # approver and the read-only auditor (Compliance)
            resp = await c.get("/api/v1/dashboard?days=7", headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
        d = resp.json()
        assert d["days"] == 7 and d["totals"] == {"quarantine": 1, "block": 1}
        assert d["by_channel_type"]["direct"]["quarantine"] == 1
        assert d["verdicts_by_rule"]["hold-ssn"]["false_positive_rate"] == 1.0
        assert d["queue"]["active"] == 1 and d["queue"]["by_state"]["held"]["oldest_seconds"] >= 7200
        # the page needs a session; without one it sends to the sign-in
        assert (await c.get("/dashboard")).headers["location"] == "/login"
        assert (await sign_in(c, "sam", "sam-password")).status_code == 303  # a reviewer
        page = await c.get("/dashboard?days=7")
        assert page.status_code == 200
        assert "default-src 'none'" in page.headers["content-security-policy"]
        html = page.text
        assert "<script" not in html and html.count("<svg") == 8
        assert '<b class="dash-holds">1</b>' in html and '<b class="dash-blocks">1</b>' in html
        assert '<td class="fp-rate">100%</td>' in html
        spec = (await c.get("/api/openapi.json")).json()
        assert {"/api/v1/dashboard", "/api/v1/items/{item_id}/context", "/api/v1/items"} <= set(spec["paths"])
        bad = await c.get("/dashboard?days=abc")  # a bad period falls back to the default
        assert bad.status_code == 200 and 'value="14" selected' in bad.text


ACTIONS = ("quarantine", "block", "allow", "monitor", "redact")


@settings_h(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.floats(-40 * DAY, 2 * DAY), st.sampled_from(ACTIONS),
                          st.lists(st.sampled_from(["US_SSN", "CREDIT_CARD", "IBAN_CODE"]), max_size=3),
                          st.sampled_from(["r1", "r2", None]), st.sampled_from(["O", "P", "D", "G", None])),
                max_size=40),
       st.lists(st.tuples(st.floats(-40 * DAY, 0), st.sampled_from(["approve", "reject"]),
                          st.sampled_from(["q1", "q2", "q3", "q4"]),
                          st.sampled_from([*("true_positive", "false_positive", "benign"), None, "x"])), max_size=20),
       st.integers(1, 90))  # fmt: skip
def test_aggregate_invariants(decisions: list[Any], reviews: list[Any], days: int) -> None:
    """Whatever the records: every breakdown adds up to the totals, nothing outside
    [since, now] counts, rates are fractions of what was labelled."""
    records = [decision(NOW + dt, a, e, r, c) for dt, a, e, r, c in decisions]
    records += [review(NOW + dt, a, i, v, rule_id="r1") for dt, a, i, v in reviews]
    d = aggregate(records, ITEMS, now=NOW, days=days)
    # the archive keeps microseconds: the record's own time decides, as in the dashboard
    inside = [x for x, rec in zip(decisions, records, strict=False)
              if x[1] in ("quarantine", "block") and d["since"] <= record_time(rec) <= NOW]
    for action in ("quarantine", "block"):
        n = sum(1 for x in inside if x[1] == action)
        assert d["totals"][action] == n
        assert sum(r[action] for r in d["per_day"]) == n
        assert sum(r[action] for r in d["by_rule"].values()) == n
        assert sum(r[action] for r in d["by_channel_type"].values()) == n
        assert sum(r[action] for r in d["by_entity"].values()) >= n  # a decision counts under each of its types
    for row in d["per_day"]:
        assert sum(row["by_rule"].values()) == sum(row["by_channel_type"].values()) == row["quarantine"] + row["block"]
    assert len(d["per_day"]) == days
    for row in d["verdicts_by_rule"].values():
        labelled = row["true_positive"] + row["false_positive"] + row["benign"]
        assert row["labelled"] == labelled
        assert row["false_positive_rate"] is None if not labelled else 0 <= row["false_positive_rate"] <= 1
    assert sum(r["labelled"] + r["unlabelled"] for r in d["verdicts_by_rule"].values()) <= len(
        {i for dt, _, i, _ in reviews if d["since"] <= NOW + dt} | {"qF"})


def test_openapi_document_with_the_new_paths_is_valid() -> None:
    import openapi_spec_validator as validator

    from dlp_proxy.review.context import context_openapi
    from dlp_proxy.review.dashboard import dashboard_openapi
    from dlp_proxy.review.openapi import openapi_document

    doc = openapi_document()
    doc["paths"].update({**context_openapi(), **dashboard_openapi()})  # as /api/openapi.json serves it
    validator.validate(doc)
