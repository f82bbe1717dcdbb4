"""`dlp-proxy policy replay`: measure a candidate policy before it ships.

Against the archive: every decision record is re-judged by the candidate with the
record's own context.  Where the content was retained (``_content``, decrypted with
the archive content key) the candidate sees the text and findings exactly as they
were; otherwise the findings the record lists (entity type, field, offsets, score)
are used without text, so allow-listed values cannot be matched and distinct values
are counted by position (reported as ``findings-only``).  Findings without a score
are taken as certain (1.0).  ``--rescan`` runs today's detector over retained text
instead, to measure detector and policy together.

Against a labelled corpus (JSONL lines ``{"text", "expect": "stop"|"allow"}``, optional
``"context"``): both the running and the candidate policy judge each text (detector
required); "stop" means not forwarded unchanged (redact, quarantine, block).  A line
that carries its own detection (``"masked": true`` with ``"parts"``: the reviewers'
verdicts exported by ``dlp-proxy quarantine verdicts --jsonl``, whose text is
masked) is judged on its recorded findings, never re-detected.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dlp_proxy.interfaces import Detector
from dlp_proxy.model import Action, ContentItem, Finding, ScannedItem
from dlp_proxy.policy.cases import context_from_dict
from dlp_proxy.policy.engine import Policy

STOP_ACTIONS = frozenset({Action.REDACT, Action.QUARANTINE, Action.BLOCK})


@dataclass
class Change:
    request_id: str
    time: str
    old_action: str
    new_action: str
    old_rule: str | None
    new_rule: str | None
    entity_types: tuple[str, ...]
    basis: str  # content | findings-only | rescan
    channel: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "request_id": self.request_id,
            "time": self.time,
            "old_action": self.old_action,
            "new_action": self.new_action,
            "old_rule": self.old_rule,
            "new_rule": self.new_rule,
            "entity_types": list(self.entity_types),
            "basis": self.basis,
            "channel": self.channel,
        }


@dataclass
class ReplayReport:
    policy_version: str
    records: int = 0
    evaluated: int = 0
    skipped: int = 0
    by_basis: Counter[str] = field(default_factory=Counter)
    transitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    changes: list[Change] = field(default_factory=list)
    old_versions: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "policy_version": self.policy_version,
            "records": self.records,
            "evaluated": self.evaluated,
            "skipped": self.skipped,
            "basis": dict(self.by_basis),
            "old_policy_versions": dict(self.old_versions),
            "transitions": {f"{a}->{b}": n for (a, b), n in sorted(self.transitions.items())},
            "changed": len(self.changes),
            "changes": [c.to_json() for c in self.changes],
        }


def _score_index(record: Mapping[str, Any]) -> dict[tuple[str, str, int, int], float]:
    out = {}
    for f in record.get("findings") or ():
        if isinstance(f, Mapping) and "score" in f:
            key = (
                str(f.get("path", "")),
                str(f.get("entity_type")),
                int(f.get("start", -1)),
                int(f.get("end", -1)),
            )
            out[key] = float(f["score"])
    return out


def scanned_from_record(
    record: Mapping[str, Any], detector: Detector | None = None
) -> tuple[list[ScannedItem], str] | None:
    """Rebuild what the gateway judged.  None when the record carries nothing to judge."""
    content = record.get("_content")
    scores = _score_index(record)
    if isinstance(content, list) and content:
        items = [ContentItem(str(c.get("path", "")), str(c.get("text", ""))) for c in content]
        if detector is not None:
            return list(detector.scan(items)), "rescan"
        scanned = []
        for c, it in zip(content, items, strict=True):
            fs = []
            for f in c.get("findings") or ():
                key = (it.path, str(f["entity_type"]), int(f["start"]), int(f["end"]))
                score = float(f["score"]) if "score" in f else scores.get(key, 1.0)
                fs.append(Finding(str(f["entity_type"]), int(f["start"]), int(f["end"]), score, "archive"))
            scanned.append(ScannedItem(it, tuple(fs)))
        return scanned, "content"
    findings = record.get("findings")
    if isinstance(findings, list):
        by_path: dict[str, list[Finding]] = {}
        for f in findings:
            if not isinstance(f, Mapping) or "entity_type" not in f:
                continue
            by_path.setdefault(str(f.get("path", "")), []).append(
                Finding(
                    str(f["entity_type"]),
                    int(f.get("start", 0)),
                    int(f.get("end", 0)),
                    float(f.get("score", 1.0)),
                    str(f.get("recognizer", "archive")),
                )
            )
        return [ScannedItem(ContentItem(p, ""), tuple(fs)) for p, fs in by_path.items()], "findings-only"
    return None


def scanned_from_example(obj: Mapping[str, Any]) -> list[ScannedItem] | None:
    """The recorded detection of a labelled example whose text is masked
    (``quarantine verdicts``: ``masked`` true, ``parts`` of ``{path, text, findings}``),
    or None for a plain corpus line (the detector judges its text)."""
    parts = obj.get("parts")
    if not obj.get("masked") or not isinstance(parts, list):
        return None
    out = []
    for part in parts:
        if not isinstance(part, Mapping):
            raise ValueError("a masked example's parts must be objects")
        fs = tuple(
            Finding(str(f["entity_type"]), int(f["start"]), int(f["end"]), float(f.get("score", 1.0)),
                    str(f.get("recognizer", "archive")))
            for f in part.get("findings") or () if isinstance(f, Mapping)
        )  # fmt: skip
        out.append(ScannedItem(ContentItem(str(part.get("path", "body.message")), str(part.get("text", ""))), fs))
    return out


def replay_records(
    policy: Policy, records: Iterable[Mapping[str, Any]], *, detector: Detector | None = None
) -> ReplayReport:
    report = ReplayReport(policy.version)
    for record in records:
        report.records += 1
        old_action = record.get("action")
        if record.get("type", "decision") != "decision" or not isinstance(old_action, str):
            report.skipped += 1  # failures, reviewer actions, checkpoints: not policy decisions
            continue
        rebuilt = scanned_from_record(record, detector)
        if rebuilt is None:
            report.skipped += 1
            continue
        scanned, basis = rebuilt
        try:
            ctx = context_from_dict(record.get("context") or {})
        except (TypeError, ValueError):
            report.skipped += 1
            continue
        decision = policy.evaluate(scanned, ctx)
        report.evaluated += 1
        report.by_basis[basis] += 1
        report.old_versions[str(record.get("policy_version", ""))] += 1
        new_action = decision.action.value
        report.transitions[(old_action, new_action)] += 1
        if new_action != old_action:
            report.changes.append(
                Change(
                    request_id=str(record.get("request_id", "")),
                    time=str(record.get("time", record.get("archived_at", ""))),
                    old_action=old_action,
                    new_action=new_action,
                    old_rule=record.get("rule_id"),
                    new_rule=decision.rule_id,
                    entity_types=decision.entity_types
                    or tuple(sorted({f.entity_type for _, f in decision.findings})),
                    basis=basis,
                    channel=str(ctx.channel_name or ctx.channel_id or ""),
                )
            )
    return report


@dataclass
class CorpusReport:
    lines: int = 0
    #: policy label ("running"/"candidate") -> confusion counts tp, fp, fn, tn
    confusion: dict[str, Counter[str]] = field(default_factory=dict)
    changed: list[dict[str, Any]] = field(default_factory=list)

    def metrics(self, label: str) -> dict[str, float]:
        c = self.confusion.get(label, Counter())
        tp, fp, fn = c["tp"], c["fp"], c["fn"]
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            **{k: c[k] for k in ("tp", "fp", "fn", "tn")},
        }


def replay_corpus(
    policies: Mapping[str, Policy],
    lines: Iterable[str],
    detector: Detector,
    *,
    default_context: Mapping[str, Any],
) -> CorpusReport:
    report = CorpusReport(confusion={label: Counter() for label in policies})
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        obj = json.loads(line)
        expect = obj.get("expect")
        if expect not in ("stop", "allow"):
            raise ValueError(f"corpus line {number}: 'expect' must be 'stop' or 'allow'")
        report.lines += 1
        ctx = context_from_dict({**default_context, **(obj.get("context") or {})})
        recorded = scanned_from_example(obj)
        scanned = recorded if recorded is not None else list(
            detector.scan([ContentItem("body.message", str(obj.get("text", "")))]))
        actions: dict[str, str] = {}
        for label, policy in policies.items():
            decision = policy.evaluate(scanned, ctx)
            stop = decision.action in STOP_ACTIONS
            actions[label] = decision.action.value
            key = ("t" if stop == (expect == "stop") else "f") + ("p" if stop else "n")
            report.confusion[label][key] += 1
        if len(set(actions.values())) > 1:
            report.changed.append({"line": number, "id": obj.get("id"), "expect": expect, **actions})
    return report


def iter_jsonl(path: Path) -> Iterable[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                obj = json.loads(line)
                if isinstance(obj, dict):
                    yield obj
