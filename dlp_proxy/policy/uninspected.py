"""Files that could not be inspected: a distinct outcome, decided per cause by the policy.

A file the gateway could not fully read is not "customer information": it is
*uninspected*.  ``judge_uninspected`` takes the decision the rules reached on what
was read, and each file's problem codes (``Extraction.problems``), maps every code
to a cause (``dlp_proxy.files.limits.PROBLEM_CAUSES``: encrypted, too_large, active_content,
unreadable, no_text) and takes the policy's ``uninspected`` action for it.  The most
severe action wins; when it is more severe than the rules' decision, it becomes the
decision (rule ``uninspected-<cause>``) and the sender is told, in the policy's
``messages.uninspected*`` wording, that the file *could not be checked* and why.
Either way the decision's details carry an ``uninspected`` entry per file and cause,
archived with the record (and counted by the gateway's metrics).

No file name reaches the record or the message: a name is the sender's own text and
may itself carry an identifier.  Files are named by position ("the .pdf file",
"file 2 of 3") and, in the record, by the request part (``files[1]``).  Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from dlp_proxy.model import SEVERITY, Action, Decision
from dlp_proxy.policy.schema import UNINSPECTED_CAUSES, Messages, Uninspected

_EXTENSION = re.compile(r"\.([A-Za-z][A-Za-z0-9]{0,7})$")
_DEFAULT_MESSAGES = Messages()


@dataclass(frozen=True, slots=True)
class UninspectedFile:
    path: str  # the request part, e.g. "files[0]"
    problems: tuple[str, ...]
    filename: str = ""  # used only for its extension
    index: int = 0  # position among the request's files
    count: int = 1  # files in the request


def cause_of(problem: str) -> str:
    from dlp_proxy.files.limits import PROBLEM_CAUSES

    return PROBLEM_CAUSES.get(problem, "unreadable")


def file_label(f: UninspectedFile) -> str:
    m = _EXTENSION.search(f.filename)
    # an extension is the sender's text too: shown only with at most two digits (".mp4", not ".a5362287")
    shown = m is not None and sum(c.isdigit() for c in m.group(1)) <= 2
    kind = f"the .{m.group(1).lower()} file" if m and shown else "the file"  # capitalised at a sentence start
    if f.count > 1:
        return f"{kind} ({f.index + 1} of {f.count})"
    return kind


def judge_uninspected(decision: Decision, files: Sequence[UninspectedFile], section: Uninspected | None = None,
                      messages: Messages = _DEFAULT_MESSAGES, *, fallback: Action = Action.QUARANTINE) -> Decision:
    """``decision`` amended for the files that were not fully inspected (see module doc).
    ``section``: the policy's ``uninspected`` actions, or None: every cause takes
    ``fallback``; ``messages``: the policy's wording.  The gateway reaches this through
    ``Policy.decide`` (policy/facts.py)."""
    if not files:
        return decision
    entries: list[dict[str, Any]] = []
    worst: tuple[Action, str, UninspectedFile] | None = None
    for f in files:
        by_cause: dict[str, list[str]] = {}
        for problem in f.problems or ("incomplete",):
            by_cause.setdefault(cause_of(problem), []).append(problem)
        for cause in UNINSPECTED_CAUSES:
            if cause not in by_cause:
                continue
            action = Action(getattr(section, cause)) if section is not None else fallback
            entries.append({"file": f.path, "cause": cause, "action": action.value, "problems": sorted(by_cause[cause])})
            if worst is None or SEVERITY[action] > SEVERITY[worst[0]]:
                worst = (action, cause, f)
    assert worst is not None
    details = {**decision.details, "uninspected": entries}
    action, cause, f = worst
    if SEVERITY[action] <= SEVERITY[decision.action]:
        return replace(decision, details=details)
    sentence = messages.uninspected.format_map(_Safe(file=file_label(f), cause=getattr(messages, f"uninspected_{cause}")))
    details["uninspected_message"] = sentence[:1].upper() + sentence[1:]
    problems = sorted({p for e in entries if e["cause"] == cause for p in e["problems"]})
    return Decision(
        action=action,
        policy_version=decision.policy_version,
        rule_id=f"uninspected-{cause.replace('_', '-')}",
        reason=f"a file could not be checked ({cause.replace('_', ' ')}: {', '.join(problems)})",
        entity_types=decision.entity_types,
        scanned=decision.scanned,
        notify_sender=action in (Action.QUARANTINE, Action.BLOCK),
        alert_channel_id=decision.alert_channel_id,
        details=details,
    )


class _Safe(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
