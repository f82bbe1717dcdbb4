"""`dlp-proxy policy test`: expected decisions for given texts and contexts.

Cases file (YAML)::

    context: {route_group: posts, channel_type: O}    # applied to every case
    cases:
      - name: SSN in a public channel
        text: "client SSN is 536-22-8710"              # scanned by the detector
        expect: block                                  # action
        rule: npi-public                               # optional: the deciding rule
      - name: routing number alone, hand-built finding (no detector needed)
        text: "ABA 011000015"
        findings: [{entity_type: ABA_ROUTING_NUMBER, match: "011000015", score: 0.9}]
        context: {channel_type: D}
        expect: monitor

``items: [{path, text}]`` may replace ``text`` for several fields or files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dlp_proxy.interfaces import Detector
from dlp_proxy.model import Action, ChannelType, ContentItem, Finding, RequestContext, ScannedItem
from dlp_proxy.policy.engine import Policy
from dlp_proxy.policy.schema import PolicyError, PolicyProblem

_TUPLE_FIELDS = {"user_roles", "groups", "context_errors"}


def context_from_dict(data: Mapping[str, Any] | None) -> RequestContext:
    """RequestContext from a record's/case's JSON context (unknown keys rejected)."""
    data = dict(data or {})
    fields = set(RequestContext.__dataclass_fields__)
    unknown = set(data) - fields
    if unknown:
        raise ValueError(f"unknown context field(s): {', '.join(sorted(unknown))}")
    if data.get("channel_type") is not None:
        value = str(data["channel_type"])
        names = {"public": "O", "private": "P", "direct": "D", "group": "G"}
        data["channel_type"] = ChannelType(names.get(value.lower(), value))
    for name in _TUPLE_FIELDS & set(data):
        data[name] = tuple(data[name] or ())
    return RequestContext(**data)


@dataclass
class CaseResult:
    name: str
    expected: str
    actual: str
    expected_rule: str | None
    actual_rule: str | None
    ok: bool
    error: str = ""


def _findings_for(text: str, specs: Sequence[Mapping[str, Any]]) -> tuple[Finding, ...]:
    out = []
    for spec in specs:
        etype = str(spec["entity_type"])
        score = float(spec.get("score", 0.9))
        if "match" in spec:
            start = text.find(str(spec["match"]))
            if start < 0:
                raise ValueError(f"finding {etype}: 'match' text not found in the case text")
            end = start + len(str(spec["match"]))
        else:
            start, end = int(spec["start"]), int(spec["end"])
        out.append(Finding(etype, start, end, score, "case"))
    return tuple(out)


def load_cases(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError([PolicyProblem(str(path), 0, 0, "", f"cannot read cases: {exc}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise PolicyError([PolicyProblem(str(path), 1, 1, "cases", "expected a mapping with a 'cases' list")])
    return dict(data.get("context") or {}), [c for c in data["cases"] if isinstance(c, dict)]


def run_cases(
    policy: Policy,
    cases_path: Path,
    detector_factory: Callable[[], Detector] | None = None,
) -> list[CaseResult]:
    base_ctx, cases = load_cases(cases_path)
    detector: Detector | None = None
    results: list[CaseResult] = []
    for i, case in enumerate(cases):
        name = str(case.get("name") or f"case {i + 1}")
        expected = str(case.get("expect", ""))
        expected_rule = case.get("rule")
        try:
            if expected not in {a.value for a in Action}:
                raise ValueError(
                    f"'expect' must be one of allow, monitor, redact, quarantine, block (got {expected!r})"
                )
            ctx = context_from_dict({**base_ctx, **dict(case.get("context") or {})})
            if "items" in case:
                raw_items = [(str(it["path"]), str(it["text"]), it.get("findings")) for it in case["items"]]
            else:
                raw_items = [("body.message", str(case.get("text", "")), case.get("findings"))]
            if all(f is not None for _, _, f in raw_items):
                scanned = [ScannedItem(ContentItem(p, t), _findings_for(t, f or ())) for p, t, f in raw_items]
            else:
                if detector is None:
                    if detector_factory is None:
                        raise ValueError(
                            "case needs the detector (no 'findings' given) but none is available"
                        )
                    detector = detector_factory()
                scanned = list(
                    detector.scan(
                        [ContentItem(p, t) for p, t, _ in raw_items],
                        entities=policy.required_entities(ctx),
                    )
                )
            decision = policy.evaluate(scanned, ctx)
            ok = decision.action.value == expected and (
                expected_rule is None or expected_rule == decision.rule_id
            )
            results.append(
                CaseResult(name, expected, decision.action.value, expected_rule, decision.rule_id, ok)
            )
        except (KeyError, TypeError, ValueError) as exc:
            results.append(CaseResult(name, expected, "error", expected_rule, None, False, str(exc)))
    return results
