"""The policy file format: YAML with line numbers, validated by a strict schema.

Every problem is reported as ``FILE:LINE:COL: FIELD: what is wrong`` so the
compliance team can fix a policy without reading code.  Unknown keys, unknown
entity types, unknown actions, duplicate keys and duplicate rule ids are errors:
a typo must never silently widen or narrow what the firm stops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dlp_proxy.interfaces import DLPError
from dlp_proxy.model import ENTITY_TYPES

#: Route families a rule can be scoped to (RequestContext.route_group).
ROUTE_GROUPS: tuple[str, ...] = (
    "posts",
    "edits",
    "scheduled",
    "drafts",
    "files",
    "uploads",
    "channels",
    "headers",
    "bookmarks",
    "teams",
    "pages",
    "webhooks",
    "commands",
    "actions",
    "profile",
    "playbooks",
    "unknown",
)

#: Kinds of sender: a person's session, a bot account's token, an incoming webhook.
SENDERS: tuple[str, ...] = ("people", "bots", "webhooks")

CHANNEL_TYPE_NAMES = {"public": "O", "private": "P", "direct": "D", "group": "G"}

PolicyAction = Literal["allow", "monitor", "redact", "quarantine", "block"]
ContextFailureAction = Literal["allow", "monitor", "redact", "quarantine", "block"]
ChannelTypeCode = Literal["O", "P", "D", "G"]

HASH_RE = re.compile(r"^(sha256|hmac):[0-9a-f]{64}$")
RULE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

DEFAULT_FOOTNOTE = (
    "_Customer identifiers in this message were masked by the firm's data-loss-prevention policy._"
)


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    file: str
    line: int  # 1-based; 0 when unknown
    column: int
    field: str  # dotted path, e.g. rules[2].match.entities[1]
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.field or '(top level)'}: {self.problem}"


class PolicyError(DLPError):
    """An invalid policy file.  ``problems`` lists each error with file, line and field."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems) or "invalid policy")

    @property
    def first(self) -> PolicyProblem | None:
        return self.problems[0] if self.problems else None


# --------------------------------------------------------------------------- schema


def _check_entities(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    if not values:
        raise ValueError("empty list; list at least one entity type or omit the field")
    for v in values:
        if v not in ENTITY_TYPES:
            raise ValueError(f"unknown entity type {v!r}; known types: {', '.join(ENTITY_TYPES)}")
    return tuple(dict.fromkeys(values))


def _non_empty(values: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    if values is not None and not values:
        raise ValueError("empty list would match nothing; omit the field to match any")
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Scope(_Strict):
    """Where a rule or exception applies.  Dimensions are ANDed; values in one
    dimension are ORed; an omitted dimension matches anything."""

    route_groups: tuple[str, ...] | None = None
    channel_types: tuple[ChannelTypeCode, ...] | None = None
    shared: bool | None = None
    teams: tuple[str, ...] | None = None  # team id or name
    channels: tuple[str, ...] | None = None  # channel id or name
    users: tuple[str, ...] | None = None  # user id or username
    groups: tuple[str, ...] | None = None  # Mattermost group id or name
    senders: tuple[Literal["people", "bots", "webhooks"], ...] | None = None
    hooks: tuple[str, ...] | None = None  # incoming webhook ids

    @field_validator("channel_types", mode="before")
    @classmethod
    def _channel_type_names(cls, v: Any) -> Any:
        if isinstance(v, list | tuple):
            return [CHANNEL_TYPE_NAMES.get(x.lower(), x) if isinstance(x, str) else x for x in v]
        return v

    @field_validator("route_groups")
    @classmethod
    def _route_groups(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        _non_empty(v)
        for g in v or ():
            if g not in ROUTE_GROUPS:
                raise ValueError(f"unknown route group {g!r}; known: {', '.join(ROUTE_GROUPS)}")
        return v

    @field_validator("channel_types", "teams", "channels", "users", "groups", "senders", "hooks")
    @classmethod
    def _lists(cls, v: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
        return _non_empty(v)

    def is_empty(self) -> bool:
        return all(getattr(self, name) is None for name in type(self).model_fields)


class Match(_Strict):
    """What findings make a rule fire."""

    #: any of these entity types (each finding at or above min_score counts)
    entities: tuple[str, ...] | None = None
    #: every one of these entity types must be present...
    all_of: tuple[str, ...] | None = None
    #: ...within this many characters of each other in one content item (None: anywhere in the request)
    within: int | None = Field(default=None, ge=0, le=100_000)
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    min_count: int = Field(default=1, ge=1, le=100_000)
    #: count distinct values (the same SSN pasted twice counts once) or every occurrence
    count: Literal["distinct", "all"] = "distinct"

    @field_validator("entities", "all_of")
    @classmethod
    def _entities(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return _check_entities(v)

    @model_validator(mode="after")
    def _shape(self) -> Match:
        if self.entities is None and self.all_of is None:
            raise ValueError("a match needs 'entities' (any of) or 'all_of' (combination)")
        if self.all_of is not None and len(self.all_of) < 2:
            raise ValueError("'all_of' needs at least two entity types; use 'entities' for one")
        if self.within is not None and self.all_of is None:
            raise ValueError("'within' applies to 'all_of' combinations only")
        return self


class Rule(_Strict):
    id: str
    description: str = ""
    action: PolicyAction
    match: Match
    scope: Scope = Scope()
    #: the rule does not apply where this scope matches
    unless: Scope | None = None
    #: what to do when the context this rule's scope needs could not be resolved
    on_context_error: ContextFailureAction | None = None
    #: tell the sender (ephemeral post / bot DM); default: yes for redact, quarantine, block
    notify_sender: bool | None = None
    #: post an alert to the compliance channel
    alert: bool = False
    alert_channel_id: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not RULE_ID_RE.match(v):
            raise ValueError("rule id must be 1-64 characters of letters, digits, '_', '.', '-'")
        return v


class Exemption(_Strict):
    """Findings to disregard before rules are evaluated."""

    id: str
    description: str = ""
    #: requests this exemption covers (exempt channels, service accounts...); None: every request
    scope: Scope | None = None
    #: only findings of these entity types are exempted (None: every type)
    entities: tuple[str, ...] | None = None
    #: only these values, hashed: "hmac:<hex>" (installation key) or "sha256:<hex>"
    values: tuple[str, ...] | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not RULE_ID_RE.match(v):
            raise ValueError("exception id must be 1-64 characters of letters, digits, '_', '.', '-'")
        return v

    @field_validator("entities")
    @classmethod
    def _entities(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return _check_entities(v)

    @field_validator("values")
    @classmethod
    def _values(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        _non_empty(v)
        for h in v or ():
            if not HASH_RE.match(h):
                raise ValueError(
                    "allow-listed values are stored hashed: 'hmac:<64 hex>' or 'sha256:<64 hex>' "
                    "(compute with `dlp-proxy policy hash-value`); never put the value itself here"
                )
        return v

    @model_validator(mode="after")
    def _shape(self) -> Exemption:
        if (self.scope is None or self.scope.is_empty()) and self.values is None:
            raise ValueError("an exception needs a 'scope' (channels, users...) or hashed 'values'")
        return self


class Defaults(_Strict):
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    on_context_error: ContextFailureAction = "block"
    alert_channel_id: str | None = None


UninspectedAction = Literal["allow", "monitor", "quarantine", "block"]

#: Why a file could not be (fully) inspected, as the ``uninspected`` section names it
#: (dlp_proxy.files.limits.PROBLEM_CAUSES maps extraction problems to these).
UNINSPECTED_CAUSES: tuple[str, ...] = ("encrypted", "too_large", "unreadable", "active_content", "no_text")


class Uninspected(_Strict):
    """What happens to a request carrying a file that could not be fully inspected, per
    cause (the most severe cause of all its files wins; findings in the part that was read
    still count).  Defaults fail closed: held for review."""

    #: password-protected documents, encrypted archive members
    encrypted: UninspectedAction = "quarantine"
    #: over a size, page, member, nesting, time or OCR pixel/time limit; bombs
    too_large: UninspectedAction = "quarantine"
    #: corrupt, unsupported type, OCR off, unavailable or failed
    unreadable: UninspectedAction = "quarantine"
    #: what the file shows is computed when it is opened and the gateway cannot work it out:
    #: a spreadsheet formula or a Word field it cannot evaluate and that has no saved
    #: value, a PDF's JavaScript, text a style sheet generates
    active_content: UninspectedAction = "quarantine"
    #: an image (or a scanned page) within the OCR limits in which no text was found
    no_text: UninspectedAction = "quarantine"


class Messages(_Strict):
    """Wording of what senders are told (never contains a value)."""

    secure_channel: str = "the firm's approved secure channel for client information"
    contact: str = "Compliance"
    blocked: str = "Your message was not sent because it contains {entities}."
    quarantined: str = "Your message is held for compliance review because it contains {entities}."
    redacted: str = "Your message was sent with {entities} masked."
    what_to_do: str = (
        "Share customer information only through {secure_channel}. "
        "If you believe this is a mistake, ask {contact} for a review."
    )
    #: a file that could not be inspected: never "contains customer information"
    uninspected: str = "{file} could not be checked: {cause}."
    uninspected_encrypted: str = "it is encrypted"
    uninspected_too_large: str = "it is too large to inspect"
    uninspected_unreadable: str = "it is unreadable"
    uninspected_active_content: str = "it computes what it shows when opened (formulas, fields or scripts)"
    uninspected_no_text: str = "no text could be read in it"
    #: the buttons on a held message's notice and the dialog they open
    #: (DLP_SENDER_ACTIONS_URL; docs/quarantine.md "Sender's side")
    report_false_positive: str = Field(default="Report a false positive", min_length=1, max_length=64)
    request_release: str = Field(default="Request release", min_length=1, max_length=64)
    #: Mattermost limits: dialog title 24, element display name 24, help text 150 characters
    justification_title: str = Field(default="Business justification", min_length=1, max_length=24)
    justification_intro: str = (
        "Tell {contact} why this message should go through. Do not repeat the customer information itself."
    )
    justification_label: str = Field(default="Justification", min_length=1, max_length=24)
    justification_help: str = Field(default="At least 10 characters. Identifiers you type here are masked.", max_length=150)
    report_received: str = "Thank you: {contact} will see your report with the held message (reference {reference})."
    #: a held message's outcome, told to its sender (ephemeral post and bot DM);
    #: {where} is the channel ("~name" or "a direct message"), {entities} the kinds found
    released: str = "Your message in {where} that was held for compliance review has been **released** and delivered."
    not_released: str = "Your message in {where} held for compliance review was **not released**: it contained {entities}."
    expired: str = (
        "Your message in {where} held for compliance review was not reviewed in time and was **not delivered**: "
        "it contained {entities}."
    )
    #: a message whose rendered LaTeX the gateway cannot read (a digit inside a construct
    #: detection does not model: detect/texcheck.py); refused 400, never forwarded
    tex_unreadable: str = (
        "This message uses LaTeX the data-loss-prevention gateway cannot check, so it was not sent. "
        "Send the numbers in it as plain text, or the formula without them."
    )
    reviewer_reason: str = "Reviewer's reason: {reason}"
    send_instead: str = "Send it through {secure_channel}."
    reference: str = "(reference {reference})"


class PolicyDoc(_Strict):
    schema_: Literal[1] = Field(default=1, alias="schema")
    description: str = ""
    defaults: Defaults = Defaults()
    redact_footnote: str = DEFAULT_FOOTNOTE
    messages: Messages = Messages()
    uninspected: Uninspected = Uninspected()
    exceptions: tuple[Exemption, ...] = ()
    rules: tuple[Rule, ...] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --------------------------------------------------------------------------- YAML with marks

Path_ = tuple[str | int, ...]


def _fmt_path(path: Path_) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + p
    return out


class _Composer:
    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[Path_, tuple[int, int]] = {}
        self.problems: list[PolicyProblem] = []
        self._loader: yaml.SafeLoader | None = None

    def load(self, text: str) -> Any:
        loader = yaml.SafeLoader(text)
        self._loader = loader
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
            raise PolicyError(
                [PolicyProblem(self.file, line, col, "", f"YAML syntax error: {exc.problem or exc}")]
            ) from None
        except yaml.YAMLError as exc:
            raise PolicyError([PolicyProblem(self.file, 0, 0, "", f"YAML error: {exc}")]) from None
        finally:
            loader.dispose()
        if node is None:
            raise PolicyError([PolicyProblem(self.file, 1, 1, "", "the policy file is empty")])
        self.marks[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
        return self._convert(node, ())

    def _convert(self, node: yaml.Node, path: Path_) -> Any:
        assert self._loader is not None
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_mark = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(
                        PolicyProblem(self.file, *key_mark, _fmt_path(path), "keys must be plain strings")
                    )
                    continue
                key = str(key_node.value)
                if key in out:
                    self.problems.append(
                        PolicyProblem(self.file, *key_mark, _fmt_path((*path, key)), "duplicate key")
                    )
                    continue
                self.marks[(*path, key)] = key_mark
                out[key] = self._convert(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, child in enumerate(node.value):
                self.marks[(*path, i)] = (child.start_mark.line + 1, child.start_mark.column + 1)
                items.append(self._convert(child, (*path, i)))
            return items
        return self._loader.construct_object(node, deep=True)

    def mark_for(self, loc: Path_) -> tuple[int, int]:
        for n in range(len(loc), -1, -1):
            m = self.marks.get(loc[:n])
            if m is not None:
                return m
        return (0, 0)


def _pydantic_loc(loc: tuple[int | str, ...]) -> Path_:
    # pydantic inserts tags such as 'function-after[...]' or 'literal[...]' for unions/validators
    out: list[str | int] = []
    for p in loc:
        if isinstance(p, str) and ("[" in p or p.startswith("function-")):
            continue
        out.append("schema" if p == "schema_" else p)
    return tuple(out)


def parse_policy_text(text: str, file: str = "policy.yaml") -> PolicyDoc:
    """Parse and validate policy YAML; raise PolicyError naming file, line and field."""
    composer = _Composer(file)
    data = composer.load(text)
    problems = list(composer.problems)
    if not isinstance(data, dict):
        raise PolicyError([PolicyProblem(file, 1, 1, "", "the policy must be a mapping with a 'rules' list")])
    doc: PolicyDoc | None = None
    try:
        doc = PolicyDoc.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        locs = [_pydantic_loc(tuple(e["loc"])) for e in errors]
        for err, loc in zip(errors, locs, strict=True):
            if err["type"] == "too_short" and any(o[: len(loc)] == loc and o != loc for o in locs):
                continue  # pydantic's echo of item errors ("0 items after validation")
            line, col = composer.mark_for(loc)
            msg = str(err["msg"]).removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "required field is missing"
            problems.append(PolicyProblem(file, line, col, _fmt_path(loc), msg))
    seen: set[str] = set()
    for section in ("rules", "exceptions"):
        entries = data.get(section)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            ident = entry.get("id") if isinstance(entry, dict) else None
            if not isinstance(ident, str):
                continue
            if ident in seen:
                line, col = composer.mark_for((section, i, "id"))
                problems.append(
                    PolicyProblem(file, line, col, f"{section}[{i}].id", f"duplicate id {ident!r}")
                )
            seen.add(ident)
    if problems:
        problems.sort(key=lambda p: (p.line, p.column))
        raise PolicyError(problems)
    assert doc is not None
    return doc


def read_policy_file(path: Path) -> tuple[bytes, PolicyDoc]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PolicyError(
            [PolicyProblem(str(path), 0, 0, "", f"cannot read: {exc.strerror or exc}")]
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError([PolicyProblem(str(path), 0, 0, "", f"not UTF-8 ({exc.reason})")]) from None
    return raw, parse_policy_text(text, str(path))
