"""Policy evaluation: findings + request context in, one Decision out.  Pure.

Order of evaluation (documented in docs/policy.md, tested in tests/test_policy_engine.py):

1. **Exceptions first.**  Each exception whose scope matches the request removes the
   findings it covers (its entity types, and only allow-listed values if it lists
   hashed values).  An exception whose scope cannot be decided (context missing)
   does not apply: missing context never widens what passes.
2. **Every rule is evaluated** on the remaining findings.  A rule fires when its
   match holds and its scope applies.  When the scope cannot be decided because
   context the rule needs is missing, the rule's ``on_context_error`` action is
   taken instead (default ``defaults.on_context_error``, shipped as ``block``).
3. **The most severe action wins** (allow < monitor < redact < quarantine < block);
   ties go to the rule written first.  Nothing fired: allow.

Scope dimensions are three-valued (yes / no / unknown) and combined with Kleene
logic, so ``unless: {channel_types: [P, D, G]}`` on an unresolvable channel is
"unknown", never "yes".

Per-request cost: what the scopes say depends only on a few facts of the context
(channel type, whether a channel/team/user is known, context errors, sender kind,
route group when a scope uses it, and whether a name listed in some scope is the
request's).  ``Policy`` memoizes, per distinct set of those facts (``_scope_key``),
each rule's state, the exceptions that apply and the entity types the detector must
look for (``_ScopeView``), in a bounded dict on the policy object: a reload builds a
new object, so nothing is reused across policies.  Rule states depend on nothing
else (no clock, no randomness); a scope or rule field that did would have to enter
the key (tests/test_policy_engine.py pins the fields).
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlp_proxy.model import SEVERITY, Action, ChannelType, Decision, Finding, RequestContext, ScannedItem
from dlp_proxy.policy.facts import NO_FACTS, InspectionFacts, apply_facts
from dlp_proxy.policy.schema import Exemption, Match, PolicyDoc, Rule, Scope, read_policy_file
from dlp_proxy.policy.values import hmac_form, normalize_value, sha256_form

YES, NO, UNKNOWN = 1, 0, -1

#: Context fields a scope dimension needs, as named in Policy.context_fields.
DIMENSION_FIELDS = {
    "route_groups": "route_group",
    "channel_types": "channel_type",
    "shared": "channel_shared",
    "teams": "team",
    "channels": "channel",
    "users": "user",
    "groups": "groups",
    "senders": "sender",
    "hooks": "hook",
}

_NOTIFY_BY_DEFAULT = {Action.REDACT, Action.QUARANTINE, Action.BLOCK}

#: Bound of each per-policy memo (scope views, context needs per route group).  The
#: key space is small (a few channel types x booleans x route groups x names some
#: scope lists); the bound only guards against a policy listing many names.
MEMO_MAX = 4096


def _and(values: Iterable[int]) -> int:
    result = YES
    for v in values:
        if v == NO:
            return NO
        if v == UNKNOWN:
            result = UNKNOWN
    return result


def _channel_resolved(ctx: RequestContext) -> bool:
    return ctx.channel_type is not None


def _channel_unknown(ctx: RequestContext) -> bool:
    """The request concerns a channel whose attributes could not be resolved."""
    return ctx.channel_type is None and (ctx.channel_id is not None or bool(ctx.context_errors))


def _sender_kind(ctx: RequestContext) -> str | None:
    if ctx.hook_id:
        return "webhooks"
    if ctx.user_id is None:
        return None
    return "bots" if ctx.is_bot else "people"


def scope_state(scope: Scope | None, ctx: RequestContext) -> int:
    """YES / NO / UNKNOWN: does ``scope`` cover this request?"""
    if scope is None:
        return YES
    states: list[int] = []
    if scope.route_groups is not None:
        states.append(YES if ctx.route_group in scope.route_groups else NO)
    if scope.channels is not None:
        names = {ctx.channel_id, ctx.channel_name} - {None}
        states.append(YES if names & set(scope.channels) else NO)
    if scope.hooks is not None:
        states.append(YES if ctx.hook_id is not None and ctx.hook_id in scope.hooks else NO)
    if scope.channel_types is not None:
        if ctx.channel_type is not None:
            states.append(YES if ChannelType(ctx.channel_type).value in scope.channel_types else NO)
        else:
            states.append(UNKNOWN if _channel_unknown(ctx) else NO)
    if scope.shared is not None:
        if ctx.channel_shared is not None:
            shared = bool(ctx.channel_shared)
            states.append(YES if shared == scope.shared else NO)
        elif _channel_resolved(ctx):
            # Mattermost omits "shared" from a channel's JSON when it is not shared.
            states.append(YES if scope.shared is False else NO)
        elif _channel_unknown(ctx):
            states.append(UNKNOWN)
        else:  # no channel at all (profile, command...): not a shared channel
            states.append(YES if scope.shared is False else NO)
    if scope.teams is not None:
        names = {ctx.team_id, ctx.team_name} - {None}
        if names:
            states.append(YES if names & set(scope.teams) else NO)
        elif _channel_unknown(ctx) or (
            ctx.channel_type in (ChannelType.OPEN, ChannelType.PRIVATE) and ctx.channel_id is not None
        ):
            states.append(UNKNOWN)  # a team channel whose team was not resolved
        else:
            states.append(NO)  # direct/group messages and team-less routes belong to no team
    if scope.users is not None:
        names = {ctx.user_id, ctx.username} - {None}
        if names:
            states.append(YES if names & set(scope.users) else NO)
        else:
            states.append(UNKNOWN if ctx.context_errors and not ctx.hook_id else NO)
    if scope.groups is not None:
        if set(ctx.groups) & set(scope.groups):
            states.append(YES)
        else:
            # an empty membership list cannot be told apart from a failed lookup
            states.append(UNKNOWN if ctx.context_errors else NO)
    if scope.senders is not None:
        kind = _sender_kind(ctx)
        if kind is None:
            states.append(UNKNOWN if ctx.context_errors else NO)
        else:
            states.append(YES if kind in scope.senders else NO)
    return _and(states)


def rule_state(rule: Rule, ctx: RequestContext) -> int:
    inside = scope_state(rule.scope, ctx)
    if inside == NO:
        return NO
    if rule.unless is None:
        return inside
    excluded = scope_state(rule.unless, ctx)
    if excluded == YES:
        return NO
    if inside == YES and excluded == NO:
        return YES
    return UNKNOWN


def scope_fields(scope: Scope | None) -> set[str]:
    if scope is None:
        return set()
    return {DIMENSION_FIELDS[name] for name in DIMENSION_FIELDS if getattr(scope, name) is not None}


@dataclass(frozen=True, slots=True)
class _ScopeView:
    """What the policy's scopes say about every context with one ``_scope_key``."""

    #: (order, rule, state) of each rule whose state is YES or UNKNOWN, in rule order
    live_rules: tuple[tuple[int, Rule, int], ...]
    #: exceptions whose scope is YES, in order
    exceptions: tuple[Exemption, ...]
    #: entity types some live rule matches on (Policy.required_entities)
    entities: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Hit:
    item_index: int
    scanned: ScannedItem
    finding: Finding

    def value_key(self) -> tuple[Any, ...]:
        text = self.scanned.item.text
        if 0 <= self.finding.start < self.finding.end <= len(text):
            norm = normalize_value(text[self.finding.start : self.finding.end])
            if norm:
                return (self.finding.entity_type, norm)
        # no text to compare (e.g. findings-only replay): position identifies the occurrence
        return (self.finding.entity_type, self.item_index, self.finding.start, self.finding.end)


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: Rule
    order: int
    action: Action
    entity_types: tuple[str, ...]
    context_failure: bool


def _combination(hits: Sequence[_Hit], types: Sequence[str], within: int | None) -> bool:
    by_type: dict[str, list[_Hit]] = {t: [] for t in types}
    for h in hits:
        if h.finding.entity_type in by_type:
            by_type[h.finding.entity_type].append(h)
    if any(not v for v in by_type.values()):
        return False
    if within is None:
        return True
    # Same item, and max(start) - min(end) <= within for one finding of each type.
    # Complete search: for each candidate "earliest end" x, every type needs a finding
    # with end >= x.end and start <= x.end + within.
    # Per type, its findings by end and the least start among those ending at or after
    # each: "some finding with end >= x.end and start <= limit" is "that least start <=
    # limit" (a binary search, not a pass over the type's findings for every candidate:
    # a dense post's ~1,000 findings of two types were a million comparisons).
    items = {h.item_index for h in hits if h.finding.entity_type in by_type}
    for idx in items:
        per_type = {t: [h.finding for h in v if h.item_index == idx] for t, v in by_type.items()}
        if any(not v for v in per_type.values()):
            continue
        tables = [_least_start_from(fs) for fs in per_type.values()]
        for candidates in per_type.values():
            for x in candidates:
                limit = x.end + within
                if all(_starts_by(ends, least, x.end) <= limit for ends, least in tables):
                    return True
    return False


def _least_start_from(findings: Sequence[Finding]) -> tuple[list[int], list[int]]:
    """(ends sorted, least start among the findings from that position on)."""
    ordered = sorted(findings, key=lambda f: f.end)
    least = [0] * len(ordered)
    low = None
    for k in range(len(ordered) - 1, -1, -1):
        start = ordered[k].start
        low = start if low is None or start < low else low
        least[k] = low
    return [f.end for f in ordered], least


def _starts_by(ends: list[int], least: list[int], end: int) -> float:
    """The least start of a finding ending at or after ``end`` (infinity if none)."""
    k = bisect.bisect_left(ends, end)
    return least[k] if k < len(least) else float("inf")


def _distinct_at_least(hits: Sequence[_Hit], n: int, keys: dict[int, tuple[Any, ...]] | None) -> bool:
    """``len({h.value_key() for h in hits}) >= n``, reading values only until ``n`` distinct
    ones are seen (a dense post's ~1,000 findings against a rule's ``min_count: 5``).
    ``keys``: value keys already computed by the request's other rules (by ``id`` of the
    hit, which the caller keeps alive), filled as values are read."""
    seen: set[tuple[Any, ...]] = set()
    for h in hits:
        if keys is None:
            key = h.value_key()
        else:
            got = keys.get(id(h))
            if got is None:
                got = keys[id(h)] = h.value_key()
            key = got
        seen.add(key)
        if len(seen) >= n:
            return True
    return False


def match_rule(match: Match, hits: Sequence[_Hit], default_min_score: float,
               keys: dict[int, tuple[Any, ...]] | None = None) -> tuple[str, ...] | None:
    """Entity types that make ``match`` hold, or None.  ``keys``: a memo of the hits'
    value keys shared by the rules of one evaluation (``_distinct_at_least``)."""
    min_score = default_min_score if match.min_score is None else match.min_score
    relevant = {*(match.entities or ()), *(match.all_of or ())}
    qualifying = [h for h in hits if h.finding.entity_type in relevant and h.finding.score >= min_score]
    if not qualifying:
        return None
    driving: list[str] = []
    if match.entities is not None:
        any_of = [h for h in qualifying if h.finding.entity_type in match.entities]
        # Distinct values never outnumber occurrences, and there is at least one distinct
        # value when there is one occurrence: normalize values only when it can matter.
        if len(any_of) < match.min_count:
            return None
        if match.count == "distinct" and match.min_count > 1:
            if not _distinct_at_least(any_of, match.min_count, keys):
                return None
        driving.extend(h.finding.entity_type for h in any_of)
    if match.all_of is not None:
        if not _combination(qualifying, match.all_of, match.within):
            return None
        if match.entities is None and match.min_count > 1:
            combo = [h for h in qualifying if h.finding.entity_type in match.all_of]
            if len(combo) < match.min_count:
                return None
            if match.count == "distinct" and not _distinct_at_least(combo, match.min_count, keys):
                return None
        driving.extend(match.all_of)
    return tuple(dict.fromkeys(driving))


class Policy:
    """A loaded, validated policy.  Immutable once built; implements PolicyEngine."""

    def __init__(
        self, doc: PolicyDoc, *, raw: bytes, source: str = "policy.yaml", hash_key: bytes | None = None
    ) -> None:
        self.doc = doc
        self.raw = raw
        self.source = source
        self._version = "sha256:" + hashlib.sha256(raw).hexdigest()[:16]
        self._hash_key = hash_key
        self._key_lock = threading.Lock()
        self.rules: tuple[Rule, ...] = doc.rules
        self.exceptions: tuple[Exemption, ...] = doc.exceptions
        self.redact_footnote: str = doc.redact_footnote
        self.messages = doc.messages
        fields: set[str] = set()
        for rule in self.rules:
            fields |= scope_fields(rule.scope) | scope_fields(rule.unless)
        for ex in self.exceptions:
            fields |= scope_fields(ex.scope)
        #: context fields some rule or exception scopes on (route_group, channel_type,
        #: channel_shared, team, channel, user, groups, sender, hook)
        self.context_fields: frozenset[str] = frozenset(fields)
        self._needs_values = any(ex.values for ex in self.exceptions)
        self._needs_hmac = any(v.startswith("hmac:") for ex in self.exceptions for v in ex.values or ())
        # Precomputed per rule: the entity types its match looks at, its action and
        # the action it takes when its scope cannot be decided.
        self._rule_entities: tuple[frozenset[str], ...] = tuple(
            frozenset((*(r.match.entities or ()), *(r.match.all_of or ()))) for r in self.rules
        )
        self._actions: tuple[Action, ...] = tuple(Action(r.action) for r in self.rules)
        self._failure_actions: tuple[Action, ...] = tuple(
            Action(r.on_context_error or doc.defaults.on_context_error) for r in self.rules
        )
        # Names some scope lists, per dimension: a context's name matters to the scope
        # states only if it is one of these (see _scope_key).
        scopes = [sc for r in self.rules for sc in (r.scope, r.unless) if sc is not None]
        scopes += [ex.scope for ex in self.exceptions if ex.scope is not None]

        def listed(dimension: str) -> frozenset[str]:
            return frozenset(v for sc in scopes for v in getattr(sc, dimension) or ())

        self._uses_route_groups = any(sc.route_groups is not None for sc in scopes)
        self._channel_names = listed("channels")
        self._hook_names = listed("hooks")
        self._team_names = listed("teams")
        self._user_names = listed("users")
        self._group_names = listed("groups")
        # Memos (bounded, cleared when full; dict get/set are atomic, so concurrent
        # readers at worst compute a view twice).
        self._views: dict[tuple[Any, ...], _ScopeView] = {}
        self._needs_by_group: dict[str, frozenset[str]] = {}

    # -- PolicyEngine protocol -------------------------------------------------------
    @property
    def version(self) -> str:
        return self._version

    @property
    def alert_channel_id(self) -> str | None:
        """The policy's default Compliance alert channel (``defaults.alert_channel_id``)."""
        return self.doc.defaults.alert_channel_id

    def decide(self, scanned: Sequence[ScannedItem], ctx: RequestContext,
               facts: InspectionFacts = NO_FACTS) -> Decision:
        """The final decision: the rules' (``evaluate``) as the reading's facts let it be
        carried out (policy/facts.py).  The gateway acts on it as is."""
        return apply_facts(self.evaluate(scanned, ctx), facts, uninspected=self.doc.uninspected,
                           messages=self.messages)

    def required_entities(self, ctx: RequestContext) -> frozenset[str] | None:
        """Entity types some rule that could apply to ``ctx`` matches on."""
        return self._view(ctx).entities

    def needs_context(self, ctx: RequestContext | None = None) -> frozenset[str]:
        """Context fields the rules that could apply to ``ctx`` scope on (all rules if None).
        The gateway resolves e.g. group membership only when "groups" is listed.
        Only ``ctx.route_group`` is read: see ``needs_context_for``."""
        if ctx is None:
            return self.context_fields
        return self.needs_context_for(ctx.route_group)

    def needs_context_for(self, route_group: str) -> frozenset[str]:
        """``needs_context`` for a request of this route group, without building a
        RequestContext (memoized per policy object)."""
        needs = self._needs_by_group.get(route_group)
        if needs is None:
            fields: set[str] = set()
            for rule in self.rules:
                if rule.scope.route_groups is not None and route_group not in rule.scope.route_groups:
                    continue
                fields |= scope_fields(rule.scope) | scope_fields(rule.unless)
            for ex in self.exceptions:
                fields |= scope_fields(ex.scope)
            needs = frozenset(fields)
            if len(self._needs_by_group) >= MEMO_MAX:
                self._needs_by_group.clear()
            self._needs_by_group[route_group] = needs
        return needs

    # -- memoized scope states ---------------------------------------------------------
    def _scope_key(self, ctx: RequestContext) -> tuple[Any, ...]:
        """Everything ``scope_state`` reads from ``ctx`` for this policy's scopes, and
        nothing more: two contexts with equal keys get equal states for every rule
        and exception.  Names (channel, team, user, group, hook) enter only when some
        scope lists them, and only the listed ones; the rest is booleans, the
        channel type, the sender kind and (when a scope uses it) the route group."""
        shared = ctx.channel_shared
        channels = self._channel_names
        teams = self._team_names
        users = self._user_names
        return (
            ctx.route_group if self._uses_route_groups else None,
            ctx.channel_type,
            ctx.channel_id is not None,
            bool(ctx.context_errors),
            None if shared is None else bool(shared),
            ctx.team_id is not None or ctx.team_name is not None,
            ctx.user_id is not None or ctx.username is not None,
            _sender_kind(ctx),  # also says whether hook_id is set (users scope reads that)
            (
                ctx.channel_id if ctx.channel_id in channels else None,
                ctx.channel_name if ctx.channel_name in channels else None,
            )
            if channels
            else None,
            ctx.hook_id if ctx.hook_id in self._hook_names else None,
            (ctx.team_id if ctx.team_id in teams else None, ctx.team_name if ctx.team_name in teams else None)
            if teams
            else None,
            (ctx.user_id if ctx.user_id in users else None, ctx.username if ctx.username in users else None)
            if users
            else None,
            self._group_names.intersection(ctx.groups) if self._group_names else None,
        )

    def _build_view(self, ctx: RequestContext) -> _ScopeView:
        live: list[tuple[int, Rule, int]] = []
        entities: set[str] = set()
        for order, rule in enumerate(self.rules):
            state = rule_state(rule, ctx)
            if state != NO:
                live.append((order, rule, state))
                entities |= self._rule_entities[order]
        applicable = tuple(ex for ex in self.exceptions if scope_state(ex.scope, ctx) == YES)
        return _ScopeView(tuple(live), applicable, frozenset(entities))

    def _view(self, ctx: RequestContext) -> _ScopeView:
        try:
            key = self._scope_key(ctx)
            view = self._views.get(key)
        except TypeError:  # an unhashable value where a name belongs: judge it uncached
            return self._build_view(ctx)
        if view is None:
            view = self._build_view(ctx)  # raises (e.g. unknown channel type) before anything is stored
            if len(self._views) >= MEMO_MAX:
                self._views.clear()
            self._views[key] = view
        return view

    def context_failure_modes(self) -> dict[str, str]:
        """rule id -> action taken when the context that rule needs is missing."""
        return {
            r.id: (r.on_context_error or self.doc.defaults.on_context_error)
            for r in self.rules
            if scope_fields(r.scope) - {"route_group", "channel", "hook"}
            or scope_fields(r.unless) - {"route_group", "channel", "hook"}
        }

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    # -- evaluation ------------------------------------------------------------------
    def _key(self) -> bytes:
        with self._key_lock:
            if self._hash_key is None:
                from dlp_proxy.keys import load_key

                self._hash_key = load_key("hash")
            return self._hash_key

    def _value_forms(self, hit: _Hit) -> set[str]:
        text = hit.scanned.item.text
        f = hit.finding
        if not (0 <= f.start < f.end <= len(text)):
            return set()
        value = text[f.start : f.end]
        forms = {sha256_form(value)}
        if self._needs_hmac:
            forms.add(hmac_form(value, self._key()))
        return forms

    def _exempt(self, hits: list[_Hit], applicable: Sequence[Exemption]) -> tuple[list[_Hit], list[dict[str, Any]]]:
        """``applicable``: the exceptions whose scope is YES for the request."""
        if not applicable:
            return hits, []
        kept: list[_Hit] = []
        exempted: list[dict[str, Any]] = []
        for hit in hits:
            forms: set[str] | None = None
            covering = None
            for ex in applicable:
                if ex.entities is not None and hit.finding.entity_type not in ex.entities:
                    continue
                if ex.values is not None:
                    if forms is None:
                        forms = self._value_forms(hit)
                    if not forms & set(ex.values):
                        continue
                covering = ex
                break
            if covering is None:
                kept.append(hit)
            else:
                exempted.append(
                    {
                        "exception": covering.id,
                        "entity_type": hit.finding.entity_type,
                        "path": hit.scanned.item.path,
                        "start": hit.finding.start,
                        "end": hit.finding.end,
                    }
                )
        return kept, exempted

    def evaluate(self, scanned: Sequence[ScannedItem], ctx: RequestContext) -> Decision:
        scanned = tuple(scanned)
        view = self._view(ctx)  # also for a clean request: an undecidable context raises alike
        hits = [_Hit(i, s, f) for i, s in enumerate(scanned) for f in s.findings]
        if not hits:  # nothing found: no exception or rule has anything to act on
            return Decision(
                action=Action.ALLOW,
                policy_version=self._version,
                rule_id=None,
                reason="nothing found",
                entity_types=(),
                scanned=scanned,
                details={},
            )
        hits, exempted = self._exempt(hits, view.exceptions)
        fired = self._fire(hits, view)
        details: dict[str, Any] = {}
        if exempted:
            details["exempted"] = exempted
        if fired:
            details["matched_rules"] = [
                {
                    "rule": h.rule.id,
                    "action": h.action.value,
                    **({"context_failure": True} if h.context_failure else {}),
                }
                for h in fired
            ]
        winner = _winner(fired)
        if winner is None:
            reason = "no rule matched" if hits or not exempted else "all findings exempted"
            if not scanned or not any(s.findings for s in scanned):
                reason = "nothing found"
            return Decision(
                action=Action.ALLOW,
                policy_version=self.version,
                rule_id=None,
                reason=reason,
                entity_types=(),
                scanned=scanned,
                details=details,
            )
        rule = winner.rule
        if winner.context_failure:
            details["context_failure"] = {
                "rule": rule.id,
                "errors": list(ctx.context_errors),
                "applied": winner.action.value,
            }
        notify = rule.notify_sender if rule.notify_sender is not None else winner.action in _NOTIFY_BY_DEFAULT
        alert_channel = None
        if rule.alert or rule.alert_channel_id:
            alert_channel = rule.alert_channel_id or self.doc.defaults.alert_channel_id
        reason = rule.description or f"rule {rule.id}"
        if winner.context_failure:
            reason = f"{reason} (context unavailable: rule applied its on_context_error action)"
        return Decision(
            action=winner.action,
            policy_version=self.version,
            rule_id=rule.id,
            reason=reason,
            entity_types=winner.entity_types,
            scanned=scanned,
            notify_sender=notify,
            alert_channel_id=alert_channel,
            details=details,
        )

    def matching_rules(self, hits: Sequence[_Hit], ctx: RequestContext) -> list[RuleHit]:
        return self._fire(hits, self._view(ctx))

    def _fire(self, hits: Sequence[_Hit], view: _ScopeView) -> list[RuleHit]:
        fired: list[RuleHit] = []
        if not hits:
            return fired
        default_min = self.doc.defaults.min_score
        present = {h.finding.entity_type for h in hits}
        keys: dict[int, tuple[Any, ...]] = {}  # value keys, read once for all rules (``hits`` keeps them alive)
        for order, rule, state in view.live_rules:
            if self._rule_entities[order].isdisjoint(present):
                continue  # match_rule would find no qualifying finding
            types = match_rule(rule.match, hits, default_min, keys)
            if types is None:
                continue
            if state == YES:
                fired.append(RuleHit(rule, order, self._actions[order], types, False))
            else:
                fired.append(RuleHit(rule, order, self._failure_actions[order], types, True))
        return fired


def _winner(fired: Sequence[RuleHit]) -> RuleHit | None:
    best: RuleHit | None = None
    for hit in fired:  # in rule order, so a tie keeps the rule written first
        if best is None or SEVERITY[hit.action] > SEVERITY[best.action]:
            best = hit
    return best


def load_policy(path: Path | None = None, *, hash_key: bytes | None = None) -> Policy:
    """Load and validate a policy file (default: config_dir()/policy.yaml).  Raises PolicyError."""
    if path is None:
        from dlp_proxy.settings import config_dir

        path = config_dir() / "policy.yaml"
    raw, doc = read_policy_file(path)
    return Policy(doc, raw=raw, source=str(path), hash_key=hash_key)


def findings_to_redact(decision: Decision, policy: Policy | None = None) -> dict[str, list[Finding]]:
    """Findings the gateway masks for a REDACT decision, by content item path:
    every finding of the entity types that drove the decision, minus exempted ones."""
    exempt = {
        (e["path"], e["entity_type"], e["start"], e["end"])
        for e in decision.details.get("exempted", ())
        if isinstance(e, dict)
    }
    types = set(decision.entity_types)
    out: dict[str, list[Finding]] = {}
    for s in decision.scanned:
        fs = [
            f
            for f in s.findings
            if f.entity_type in types and (s.item.path, f.entity_type, f.start, f.end) not in exempt
        ]
        if fs:
            out.setdefault(s.item.path, []).extend(fs)
    return out


def entity_union(rules: Collection[Rule]) -> set[str]:
    out: set[str] = set()
    for r in rules:
        out.update(r.match.entities or ())
        out.update(r.match.all_of or ())
    return out
