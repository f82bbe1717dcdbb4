"""Prometheus metrics.  Labels carry entity *types*, routes and actions, never values."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.decisions = Counter(
            "dlp_decisions_total", "Decisions by action and route", ["action", "route"], registry=self.registry
        )
        self.entities = Counter(
            "dlp_entities_total", "Entity types found in judged requests", ["entity_type"], registry=self.registry
        )
        self.scan_seconds = Histogram(
            "dlp_request_inspection_seconds",
            "Time to judge a request (extract, detect, decide, archive)",
            buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "dlp_upstream_errors_total", "Errors talking to Mattermost", ["kind"], registry=self.registry
        )
        self.files_uninspected = Counter(
            "dlp_files_uninspected_total", "Files not fully inspected, by cause and the action the policy took",
            ["cause", "action"], registry=self.registry)
        self.inflight = Gauge("dlp_inflight_requests", "Requests being judged", registry=self.registry)
        self.early_refusals = Counter(
            "dlp_early_refusals_total", "Requests refused before their body was read (or connections refused or "
            "closed): unauthenticated, too-large, busy, framing, connections, read-timeout...", ["reason"],
            registry=self.registry)
        self.queue_depth = Gauge("dlp_quarantine_depth", "Items waiting in quarantine", registry=self.registry)
        self.queue_oldest_age = Gauge(
            "dlp_quarantine_oldest_age_seconds", "Age of the oldest undecided item", registry=self.registry
        )
        self.archive_lag = Gauge(
            "dlp_archive_unsealed_records", "Records not yet covered by a signed checkpoint", registry=self.registry
        )
        # Filled from the archive's own counters at scrape time (admin.py).
        self.archive_records = Gauge("dlp_archive_records", "Records this worker appended since start", registry=self.registry)
        self.archive_commits = Gauge("dlp_archive_commits", "Group commits (fdatasync) since start", registry=self.registry)
        self.archive_checkpoints = Gauge("dlp_archive_checkpoints", "Signed checkpoints since start", registry=self.registry)
        self.archive_sync_seconds = Gauge(
            "dlp_archive_sync_seconds", "Seconds spent in fdatasync since start (divide by commits: the disk's "
            "share of every decision's latency)", registry=self.registry)
        self.archive_ship_failures = Gauge(
            "dlp_archive_ship_failures", "Failed copies to a replica or object store since start", registry=self.registry
        )
        self.archive_failed = Gauge("dlp_archive_failed", "1 when the archive refuses writes (fail closed)",
                                    registry=self.registry)
        self._decision_children: dict[tuple[str, str], Counter] = {}
        self._entity_children: dict[str, Counter] = {}
        self.ner_enabled = Gauge("dlp_ner_enabled", "1 when the gateway's detector finds person names (spaCy NER); "
                                 "0 when it was turned off or its model package is not installed",
                                 registry=self.registry)
        self.redis_up = Gauge("dlp_redis_up", "1 when Redis answered the last readiness/metrics ping", registry=self.registry)

    def decision(self, action: str, route: str, entity_types: Iterable[str]) -> None:
        # the labelled children, looked up once per label set (``labels`` takes a lock
        # and builds its key on every call); actions, route names and entity types are
        # fixed sets of the gateway's own, so these stay small
        key = (action, route or "unknown")
        child = self._decision_children.get(key)
        if child is None:
            child = self._decision_children[key] = self.decisions.labels(action=key[0], route=key[1])
        child.inc()
        for e in entity_types:
            counter = self._entity_children.get(e)
            if counter is None:
                counter = self._entity_children[e] = self.entities.labels(entity_type=e)
            counter.inc()

    def uninspected(self, entries: Iterable[dict[str, str]]) -> None:
        for e in entries:
            self.files_uninspected.labels(cause=e["cause"], action=e["action"]).inc()

    def observe_scan(self, seconds: float) -> None:
        self.scan_seconds.observe(seconds)
