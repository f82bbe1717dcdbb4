"""The Compliance dashboard of the reviewer console (docs/quarantine.md, "Dashboard").

Numbers, from the archive and the queue:

- holds (``quarantine``) and blocks per day (UTC), by entity type, by policy rule
  and by channel type (each per day and over the period), from the archive's
  ``decision`` records (a decision with two entity types counts once under each
  type; the day and rule totals count it once);
- reviewers' verdicts by rule (``review`` records of ``approve`` / ``reject``
  with ``verdict`` one of true_positive, false_positive, benign; none is
  "unlabelled"); the last verdict of an item counts; the rule comes from the
  record, else from the hold's decision record, else from the item in the queue;
  false-positive rate = false_positive / labelled;
- the senders' own reports by rule (the notice's "Report a false positive" and
  "Request release" buttons: ``sender_false_positive`` / ``sender_release_request``
  review records), items counted once per kind;
- queue age now: how many items are in each active state, the oldest and the
  median (nearest rank) age of each.

``aggregate`` is a pure function of the records, the items and the time (tests
inject it).  The page draws the numbers as inline SVG made here (no JavaScript,
no chart library; the console's Content-Security-Policy allows no script), each
chart followed by the same numbers as a table; ``/api/v1/dashboard`` returns them
as JSON.  Both need a console role that may view the queue.
"""

from __future__ import annotations

import asyncio
import calendar
import json
import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dlp_proxy.archive.format import list_segments, parse_time, record_time
from dlp_proxy.quarantine import ACTIVE_STATES, Actor, Forbidden

if TYPE_CHECKING:
    from dlp_proxy.review.app import Console

STOP_ACTIONS = ("quarantine", "block")
VERDICTS = ("true_positive", "false_positive", "benign")
#: the sender's own reports from the notice's buttons (QuarantineService.sender_report), archive action -> kind
SENDER_REPORTS = {"sender_false_positive": "false_positive", "sender_release_request": "release_request"}
CHANNEL_TYPES = {"O": "public", "P": "private", "D": "direct", "G": "group", "": "unknown"}
DEFAULT_DAYS = 14
MAX_DAYS = 90
#: archive records of a segment whose file was last written before ``since`` minus this are all older
MTIME_SLACK = 120.0


# ---------------------------------------------------------------- reading the archive


#: what the dashboard counts: a line without one of these cannot matter to it (a
#: record line is canonical JSON, so the bytes appear as written here; the
#: optional whitespace only makes the test tolerant of a hand-made line)
COUNTED = re.compile(rb'"action":\s*"(?:quarantine|block|approve|reject|sender_false_positive|sender_release_request)"')


def _segment_records(path: Path, prefilter: re.Pattern[bytes] | None = None) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as f:
        for raw in f:
            if not raw.endswith(b"\n"):
                return  # a tail being written: not acknowledged yet
            if prefilter is not None and prefilter.search(raw) is None:
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                continue  # damaged: `dlp-proxy archive verify` reports it; the dashboard reads on
            if isinstance(obj, dict) and isinstance(obj.get("rec"), dict):
                yield obj["rec"]


def iter_directory(directory: Path, since: float | None = None, until: float | None = None, *,
                   prefilter: re.Pattern[bytes] | None = None) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The records of every worker's log in ``directory`` whose time is in
    [since, until), segment by segment (not in time order).  Segments last
    modified before ``since`` are skipped unread: every line of a segment was
    written, hence timed, before its mtime.  ``prefilter``: lines that do not
    match it are not parsed (``COUNTED``: the dashboard's)."""
    for segs in list_segments(directory).values():
        for _, path in segs:
            try:
                if since is not None and path.stat().st_mtime < since - MTIME_SLACK:
                    continue
                for rec in _segment_records(path, prefilter):
                    t = record_time(rec)
                    if (since is None or t >= since) and (until is None or t < until):
                        yield rec
            except OSError:
                continue


def read_directory(directory: Path, since: float | None = None, until: float | None = None) -> list[dict[str, Any]]:
    """``iter_directory`` as a list in time order."""
    return sorted(iter_directory(directory, since, until), key=record_time)


async def archive_records(archive: Any, *, since: float | None = None,
                          until: float | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Records of the service's archive: a file archive is read from its
    directory (in a thread), the Redis fallback log (quarantine.RedisAuditLog,
    review records only) through its ``records``."""
    directory = getattr(archive, "directory", None)
    if isinstance(directory, Path):
        return await asyncio.to_thread(read_directory, directory, since, until)
    records = getattr(archive, "records", None)
    if records is None:
        return []
    out = []
    for rec in await records():
        t = parse_time(rec.get("time")) or parse_time(rec.get("ts")) or 0.0
        if (since is None or t >= since) and (until is None or t < until):
            out.append(rec)
    return out


# ---------------------------------------------------------------- aggregation


def day_of(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def _rtime(rec: Mapping[str, Any]) -> float:
    return record_time(dict(rec)) or parse_time(rec.get("ts")) or 0.0


def aggregate(records: Iterable[Mapping[str, Any]], items: Iterable[Mapping[str, Any]], *, now: float,
              days: int = DEFAULT_DAYS) -> dict[str, Any]:  # fmt: skip
    """The dashboard's numbers for the ``days`` UTC days up to ``now``."""
    days = max(1, min(MAX_DAYS, int(days)))
    first_day = day_of(now - (days - 1) * 86400)
    since = float(calendar.timegm(time.strptime(first_day, "%Y-%m-%d")))  # midnight UTC
    day_list = [day_of(since + i * 86400) for i in range(days)]
    per_day: dict[str, dict[str, Any]] = {
        d: {"quarantine": 0, "block": 0, "by_entity": {}, "by_rule": {}, "by_channel_type": {}} for d in day_list}
    by_entity: dict[str, dict[str, int]] = {}
    by_rule: dict[str, dict[str, int]] = {}
    by_ctype: dict[str, dict[str, int]] = {}
    rule_of_record: dict[str, str] = {}
    verdict_of_item: dict[str, tuple[float, str, str, str]] = {}  # item -> (time, verdict, rule, record)
    items = list(items)
    rule_of_item = {str(i.get("id")): str(i.get("rule_id") or "") for i in items}
    totals = {"quarantine": 0, "block": 0}

    def bump(table: dict[str, dict[str, int]], key: str, action: str) -> None:
        row = table.setdefault(key, {"quarantine": 0, "block": 0})
        row[action] += 1

    reviews = []
    reports: list[Mapping[str, Any]] = []
    for rec in records:
        t = _rtime(rec)
        if rec.get("type") == "decision":
            if rec.get("action") == "quarantine" and rec.get("record_id"):
                rule_of_record[str(rec["record_id"])] = str(rec.get("rule_id") or "")
            action = str(rec.get("action", ""))
            if action not in STOP_ACTIONS or not since <= t <= now:
                continue
            day = day_of(t)
            if day not in per_day:
                continue
            totals[action] += 1
            row = per_day[day]
            row[action] += 1
            entities = sorted({str(e) for e in rec.get("entity_types") or [] if e}) or ["none"]
            for e in entities:
                bump(by_entity, e, action)
                row["by_entity"][e] = row["by_entity"].get(e, 0) + 1
            rule = str(rec.get("rule_id") or "(no rule)")
            bump(by_rule, rule, action)
            row["by_rule"][rule] = row["by_rule"].get(rule, 0) + 1
            ctx = rec.get("context")
            ctx = ctx if isinstance(ctx, dict) else {}
            ctype = str(ctx.get("channel_type") or "")
            label = CHANNEL_TYPES.get(ctype, ctype)
            bump(by_ctype, label, action)
            row["by_channel_type"][label] = row["by_channel_type"].get(label, 0) + 1
        elif rec.get("type") == "review" and rec.get("action") in ("approve", "reject") and since <= t <= now:
            reviews.append((t, rec))
        elif rec.get("type") == "review" and rec.get("action") in SENDER_REPORTS and since <= t <= now:
            reports.append(rec)
    for t, rec in sorted(reviews, key=lambda x: x[0]):
        item_id = str(rec.get("item_id") or "")
        if not item_id:
            continue
        verdict = rec.get("verdict")
        verdict = verdict if verdict in VERDICTS else ""
        prev = verdict_of_item.get(item_id)
        if prev is not None and not verdict:
            verdict = prev[1]  # a later record without a verdict (a second approval) keeps the first's
        rule = str(rec.get("rule_id") or "") or rule_of_record.get(str(rec.get("quarantine_record_id") or ""), "") \
            or rule_of_item.get(item_id, "")  # fmt: skip
        verdict_of_item[item_id] = (t, str(verdict), rule or "(unknown rule)", str(rec.get("record_id", "")))
    for item in items:  # a verdict kept on the item but not (yet) found in the archive
        v = item.get("verdict")
        item_id = str(item.get("id"))
        if v in VERDICTS and item_id not in verdict_of_item:
            decided = float(item.get("decided_at") or 0)
            if since <= decided <= now:
                verdict_of_item[item_id] = (decided, str(v), str(item.get("rule_id") or "(unknown rule)"), "")
    verdicts: dict[str, dict[str, Any]] = {}
    for _t, verdict, rule, _rec in verdict_of_item.values():
        row = verdicts.setdefault(rule, {v: 0 for v in VERDICTS} | {"unlabelled": 0})
        row[verdict or "unlabelled"] += 1
    for row in verdicts.values():
        labelled = sum(row[v] for v in VERDICTS)
        row["labelled"] = labelled
        row["false_positive_rate"] = round(row["false_positive"] / labelled, 4) if labelled else None
        row["benign_rate"] = round(row["benign"] / labelled, 4) if labelled else None

    sender: dict[str, dict[str, set[str]]] = {}  # rule -> kind -> items (a report counts once per item)
    for rec in reports:
        item_id = str(rec.get("item_id") or "")
        rule = rule_of_record.get(str(rec.get("quarantine_record_id") or ""), "") or rule_of_item.get(item_id, "")
        kind = SENDER_REPORTS[str(rec.get("action"))]
        sender.setdefault(rule or "(unknown rule)", {k: set() for k in SENDER_REPORTS.values()})[kind].add(item_id)
    sender_reports = {rule: {k: len(v) for k, v in kinds.items()} for rule, kinds in sorted(sender.items())}

    by_state: dict[str, dict[str, Any]] = {}
    ages: list[float] = []
    for item in items:
        state = str(item.get("state", ""))
        if state not in ACTIVE_STATES:
            continue
        age = max(0.0, now - float(item.get("created_at") or now))
        ages.append(age)
        by_state.setdefault(state, {"ages": []})["ages"].append(age)
    queue_states = {}
    for state, row in sorted(by_state.items()):
        a = row["ages"]
        queue_states[state] = {"count": len(a), "oldest_seconds": round(max(a), 1),
                               "p50_seconds": round(nearest_rank(a, 0.5) or 0.0, 1)}  # fmt: skip

    def ordered(table: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        return dict(sorted(table.items(), key=lambda kv: (-(kv[1]["quarantine"] + kv[1]["block"]), kv[0])))

    return {
        "generated_at": now,
        "days": days,
        "since": since,
        "until": now,
        "totals": totals,
        "per_day": [{"day": d, **per_day[d]} for d in day_list],
        "by_entity": ordered(by_entity),
        "by_rule": ordered(by_rule),
        "by_channel_type": ordered(by_ctype),
        "verdicts_by_rule": dict(sorted(verdicts.items())),
        "sender_reports_by_rule": sender_reports,
        "queue": {
            "active": len(ages),
            "oldest_seconds": round(max(ages), 1) if ages else None,
            "p50_seconds": round(nearest_rank(ages, 0.5) or 0.0, 1) if ages else None,
            "by_state": queue_states,
        },
    }


# ---------------------------------------------------------------- SVG

PALETTE = ("#1f5fbf", "#b34700", "#1d7a3c", "#7a2a8a", "#a61b1b", "#0f7b8a", "#8a6d00", "#4a5261",
           "#d16ba5", "#5a7d2b")  # fmt: skip
ACTION_COLOURS = {"quarantine": "#1f5fbf", "block": "#a61b1b"}


def _svg_open(width: int, height: int, title: str, desc: str, cls: str) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in title.lower())
    return (f'<svg class="chart {cls}" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'aria-labelledby="t-{slug}" aria-describedby="d-{slug}" xmlns="http://www.w3.org/2000/svg">'
            f'<title id="t-{slug}">{escape(title)}</title><desc id="d-{slug}">{escape(desc)}</desc>')  # fmt: skip


def stacked_days(per_day: Sequence[Mapping[str, Any]], keys: Sequence[str], value: Any, title: str,
                 colours: Mapping[str, str] | None = None) -> Markup:  # fmt: skip
    """Vertical stacked bars, one per day; ``value(day_row, key)`` -> count."""
    w, h, left, bottom, top = 760, 230, 36, 34, 10
    n = max(1, len(per_day))
    plot_w, plot_h = w - left - 10, h - bottom - top
    totals = [sum(int(value(d, k)) for k in keys) for d in per_day]
    peak = max([*totals, 1])
    bar = plot_w / n
    colours = colours or {k: PALETTE[i % len(PALETTE)] for i, k in enumerate(keys)}
    total = sum(totals)
    parts = [_svg_open(w, h + 18 * math.ceil(len(keys) / 4), title, f"{total} in {n} days", "days")]
    for frac in (0.0, 0.5, 1.0):  # y axis: 0, half, peak
        y = top + plot_h * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{w - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d8dce3"/>'
                     f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#5d6576">'
                     f'{round(peak * frac)}</text>')  # fmt: skip
    for i, d in enumerate(per_day):
        x = left + i * bar
        y = top + plot_h
        for k in keys:
            v = int(value(d, k))
            if not v:
                continue
            bh = plot_h * v / peak
            y -= bh
            parts.append(f'<rect class="bar" data-key="{escape(k)}" data-day="{escape(d["day"])}" data-value="{v}" '
                         f'x="{x + 1:.1f}" y="{y:.1f}" width="{max(bar - 2, 1):.1f}" height="{bh:.1f}" '
                         f'fill="{colours[k]}"><title>{escape(d["day"])} {escape(k)}: {v}</title></rect>')  # fmt: skip
        if n <= 16 or i % math.ceil(n / 16) == 0:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" font-size="10" '
                         f'fill="#5d6576">{escape(d["day"][5:])}</text>')  # fmt: skip
    for j, k in enumerate(keys):  # legend
        lx, ly = left + (j % 4) * 180, h + 4 + (j // 4) * 18
        parts.append(f'<rect x="{lx}" y="{ly}" width="10" height="10" fill="{colours[k]}"/>'
                     f'<text x="{lx + 14}" y="{ly + 9}" font-size="11" fill="#1c2230">{escape(k)}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every label is escape()d, every number formatted here


def hbars(rows: Mapping[str, Mapping[str, Any]], keys: Sequence[str], title: str,
          colours: Mapping[str, str], *, limit: int = 12) -> Markup:  # fmt: skip
    """Horizontal stacked bars, one per row label."""
    shown = list(rows.items())[:limit]
    w, label_w, row_h = 560, 190, 22
    h = max(1, len(shown)) * row_h + 26
    peak = max([sum(int(r.get(k, 0)) for k in keys) for _, r in shown] + [1])
    parts = [_svg_open(w, h, title, f"{len(rows)} rows", "hbars")]
    for i, (label, r) in enumerate(shown):
        y = i * row_h + 4
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="11" fill="#1c2230">'
                     f'{escape(short)}</text>')  # fmt: skip
        x = float(label_w)
        for k in keys:
            v = int(r.get(k, 0))
            if not v:
                continue
            bw = (w - label_w - 50) * v / peak
            parts.append(f'<rect class="bar" data-key="{escape(k)}" data-row="{escape(label)}" data-value="{v}" '
                         f'x="{x:.1f}" y="{y}" width="{bw:.1f}" height="{row_h - 6}" fill="{colours[k]}">'
                         f'<title>{escape(label)} {escape(k)}: {v}</title></rect>')  # fmt: skip
            x += bw
        total = sum(int(r.get(k, 0)) for k in keys)
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11" fill="#5d6576">{total}</text>')
    ly = len(shown) * row_h + 10
    for j, k in enumerate(keys):
        parts.append(f'<rect x="{label_w + j * 110}" y="{ly}" width="10" height="10" fill="{colours[k]}"/>'
                     f'<text x="{label_w + j * 110 + 14}" y="{ly + 9}" font-size="11">{escape(k)}</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every label is escape()d, every number formatted here


def rate_bars(verdicts: Mapping[str, Mapping[str, Any]], title: str) -> Markup:
    """False-positive rate per rule, 0-100 %, with the number of labelled items."""
    rows = [(rule, r) for rule, r in verdicts.items() if r.get("labelled")]
    w, label_w, row_h = 560, 190, 22
    h = max(1, len(rows)) * row_h + 8
    parts = [_svg_open(w, h, title, f"{len(rows)} rules with verdicts", "rates")]
    for i, (rule, r) in enumerate(rows):
        y = i * row_h + 4
        rate = float(r["false_positive_rate"] or 0.0)
        bw = (w - label_w - 120) * rate
        short = rule if len(rule) <= 28 else rule[:27] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="11">{escape(short)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w - label_w - 120}" height="{row_h - 6}" fill="#eceef2"/>'
                     f'<rect class="bar rate" data-row="{escape(rule)}" data-value="{rate}" x="{label_w}" y="{y}" '
                     f'width="{bw:.1f}" height="{row_h - 6}" fill="#b34700"><title>{escape(rule)}: '
                     f'{rate:.0%} false positive of {r["labelled"]} labelled</title></rect>'
                     f'<text x="{w - 114}" y="{y + 13}" font-size="11" fill="#5d6576">{rate:.0%} of {r["labelled"]}'
                     f'</text>')  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every label is escape()d, every number formatted here


def charts(data: Mapping[str, Any]) -> dict[str, Markup]:
    entity_keys = list(data["by_entity"])[: len(PALETTE)]
    return {
        "days_action": stacked_days(data["per_day"], STOP_ACTIONS, lambda d, k: d[k],
                                    "Holds and blocks per day", ACTION_COLOURS),
        "days_entity": stacked_days(data["per_day"], entity_keys, lambda d, k: d["by_entity"].get(k, 0),
                                    "Stops per day by entity type"),
        "days_rule": stacked_days(data["per_day"], list(data["by_rule"])[: len(PALETTE)],
                                  lambda d, k: d["by_rule"].get(k, 0), "Stops per day by rule"),
        "days_ctype": stacked_days(data["per_day"], list(data["by_channel_type"])[: len(PALETTE)],
                                   lambda d, k: d["by_channel_type"].get(k, 0), "Stops per day by channel type"),
        "rules": hbars(data["by_rule"], STOP_ACTIONS, "By policy rule", ACTION_COLOURS),
        "ctypes": hbars(data["by_channel_type"], STOP_ACTIONS, "By channel type", ACTION_COLOURS),
        "entities": hbars(data["by_entity"], STOP_ACTIONS, "By entity type", ACTION_COLOURS),
        "fp": rate_bars(data["verdicts_by_rule"], "False-positive rate by rule"),
    }  # fmt: skip


# ---------------------------------------------------------------- web


class Dashboard:
    """Reads the archive and the queue; caches the numbers for ``cache_seconds``."""

    def __init__(self, console: Console, *, clock: Any = time.time, cache_seconds: float = 30.0) -> None:
        self.c = console
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[int, tuple[float, dict[str, Any]]] = {}

    @staticmethod
    def _days(request: Request) -> int:
        try:
            return max(1, min(MAX_DAYS, int(request.query_params.get("days", DEFAULT_DAYS))))
        except ValueError:
            return DEFAULT_DAYS

    async def numbers(self, days: int) -> dict[str, Any]:
        now = self.clock()
        hit = self._cache.get(days)
        if hit is not None and now - hit[0] < self.cache_seconds:
            return hit[1]
        since = now - days * 86400 - 86400
        items = await self.c.q.list_items(state="all", limit=1_000_000)
        directory = getattr(self.c.q.archive, "directory", None)
        if isinstance(directory, Path):  # a file archive: streamed through the aggregation in a thread
            data = await asyncio.to_thread(
                lambda: aggregate(iter_directory(directory, since, prefilter=COUNTED), items, now=now, days=days))
        else:
            data = aggregate(await archive_records(self.c.q.archive, since=since), items, now=now, days=days)
        self._cache = {d: v for d, v in self._cache.items() if now - v[0] < self.cache_seconds}
        self._cache[days] = (now, data)
        return data

    async def page(self, request: Request, actor: Actor, csrf: str) -> Response:
        if not actor.can("view"):
            return self.c.render("error.html", 403, title="Not allowed", message="No console role.", actor=actor,
                                 csrf=csrf)  # fmt: skip
        days = self._days(request)
        data = await self.numbers(days)
        return self.c.render("dashboard.html", actor=actor, csrf=csrf, d=data, charts=charts(data), days=days,
                             day_choices=(7, 14, 30, 90))  # fmt: skip

    async def api(self, request: Request, actor: Actor) -> Any:
        if not actor.can("view"):
            raise Forbidden(f"{actor.name} may not view the dashboard")
        return await self.numbers(self._days(request))


def dashboard_routes(console: Console, dashboard: Dashboard) -> list[Route]:
    return [
        Route("/dashboard", console.page(dashboard.page), methods=["GET"]),
        Route("/api/v1/dashboard", console.api(dashboard.api), methods=["GET"]),
    ]


def dashboard_openapi() -> dict[str, Any]:
    """The OpenAPI path of the dashboard endpoint (merged into /api/openapi.json)."""
    counts = {"type": "object", "additionalProperties": {"type": "object", "properties": {
        "quarantine": {"type": "integer"}, "block": {"type": "integer"}}}}  # fmt: skip
    return {"/api/v1/dashboard": {"get": {
        "summary": "The Compliance dashboard's numbers (the /dashboard page draws the same)",
        "description": "Holds (quarantine) and blocks per UTC day by entity type, by rule and by channel type "
                       "from the archive's decision records; reviewers' verdicts and the false-positive rate "
                       "(false_positive / labelled, null when nothing is labelled) by rule; queue age now.",
        "parameters": [{"name": "days", "in": "query", "schema": {"type": "integer", "default": DEFAULT_DAYS,
                                                                   "minimum": 1, "maximum": MAX_DAYS}}],
        "responses": {
            "200": {"description": "the numbers", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "generated_at": {"type": "number"}, "days": {"type": "integer"}, "since": {"type": "number"},
                    "until": {"type": "number"},
                    "totals": {"type": "object", "properties": {"quarantine": {"type": "integer"},
                                                                "block": {"type": "integer"}}},
                    "per_day": {"type": "array", "items": {"type": "object", "properties": {
                        "day": {"type": "string", "format": "date"}, "quarantine": {"type": "integer"},
                        "block": {"type": "integer"},
                        **{k: {"type": "object", "additionalProperties": {"type": "integer"}}
                           for k in ("by_entity", "by_rule", "by_channel_type")}}}},
                    "by_entity": counts, "by_rule": counts, "by_channel_type": counts,
                    "verdicts_by_rule": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                        **{v: {"type": "integer"} for v in (*VERDICTS, "unlabelled", "labelled")},
                        "false_positive_rate": {"type": "number", "nullable": True},
                        "benign_rate": {"type": "number", "nullable": True}}}},
                    "sender_reports_by_rule": {"type": "object", "additionalProperties": {
                        "type": "object", "description": "items whose sender reported a false positive or "
                        "asked for release, from the notice's buttons", "properties": {
                            "false_positive": {"type": "integer"}, "release_request": {"type": "integer"}}}},
                    "queue": {"type": "object", "properties": {
                        "active": {"type": "integer"},
                        "oldest_seconds": {"type": "number", "nullable": True},
                        "p50_seconds": {"type": "number", "nullable": True},
                        "by_state": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                            "count": {"type": "integer"}, "oldest_seconds": {"type": "number"},
                            "p50_seconds": {"type": "number"}}}}}},
                }}}}},
            "401": {"description": "missing or unknown Bearer token"},
            "403": {"description": "the token's role may not view"},
        },
    }}}  # fmt: skip
