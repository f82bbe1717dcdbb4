"""What changed between two policies: rules and exceptions added, removed or changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dlp_proxy.policy.engine import Policy


@dataclass
class PolicyDiff:
    old_version: str
    new_version: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: rule id -> list of "field: old -> new"
    changed: dict[str, list[str]] = field(default_factory=dict)
    moved: list[str] = field(default_factory=list)  # order changed (matters for ties)
    exceptions_added: list[str] = field(default_factory=list)
    exceptions_removed: list[str] = field(default_factory=list)
    exceptions_changed: dict[str, list[str]] = field(default_factory=dict)
    settings_changed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.moved
            or self.exceptions_added
            or self.exceptions_removed
            or self.exceptions_changed
            or self.settings_changed
        )

    def lines(self) -> list[str]:
        out = [f"version {self.old_version} -> {self.new_version}"]
        if self.old_version == self.new_version:
            out.append("identical content")
            return out
        out += [f"+ rule {r}" for r in self.added]
        out += [f"- rule {r}" for r in self.removed]
        for r, changes in self.changed.items():
            out.append(f"~ rule {r}")
            out += [f"    {c}" for c in changes]
        if self.moved:
            out.append("~ rule order changed: " + ", ".join(self.moved))
        out += [f"+ exception {e}" for e in self.exceptions_added]
        out += [f"- exception {e}" for e in self.exceptions_removed]
        for e, changes in self.exceptions_changed.items():
            out.append(f"~ exception {e}")
            out += [f"    {c}" for c in changes]
        out += [f"~ {s}" for s in self.settings_changed]
        if self.empty:
            out.append("no rule, exception or setting changed (comments or formatting only)")
        return out


def _flat(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    return {prefix: value}


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = _flat("", old), _flat("", new)
    out = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            out.append(f"{key}: {_show(a.get(key))} -> {_show(b.get(key))}")
    return out


def _show(v: Any) -> str:
    if isinstance(v, tuple | list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return "(unset)" if v is None else str(v)


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    d = PolicyDiff(old.version, new.version)
    old_rules = {r.id: r.model_dump(exclude_defaults=False) for r in old.rules}
    new_rules = {r.id: r.model_dump(exclude_defaults=False) for r in new.rules}
    d.added = [r for r in new_rules if r not in old_rules]
    d.removed = [r for r in old_rules if r not in new_rules]
    for rid in new_rules:
        if rid in old_rules and old_rules[rid] != new_rules[rid]:
            d.changed[rid] = _changes(old_rules[rid], new_rules[rid])
    common_old = [r for r in old_rules if r in new_rules]
    common_new = [r for r in new_rules if r in old_rules]
    if common_old != common_new:
        d.moved = common_new
    old_ex = {e.id: e.model_dump() for e in old.exceptions}
    new_ex = {e.id: e.model_dump() for e in new.exceptions}
    d.exceptions_added = [e for e in new_ex if e not in old_ex]
    d.exceptions_removed = [e for e in old_ex if e not in new_ex]
    for eid in new_ex:
        if eid in old_ex and old_ex[eid] != new_ex[eid]:
            d.exceptions_changed[eid] = _changes(old_ex[eid], new_ex[eid])
    skip = {"rules", "exceptions"}
    d.settings_changed = _changes(
        {k: v for k, v in old.doc.model_dump().items() if k not in skip},
        {k: v for k, v in new.doc.model_dump().items() if k not in skip},
    )
    return d
