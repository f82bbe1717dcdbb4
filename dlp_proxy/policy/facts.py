"""What the gateway learned while reading a request, besides the findings, handed to the
policy so that its decision is final (issue 17: the policy decides once; the gateway
acts on what comes out as is).

The rules decide on the findings and the context (``Policy.evaluate``).  Some facts of
the reading then settle what that decision can be carried out as:

- a file was not fully inspected: the policy's ``uninspected`` section decides per
  cause (``policy/uninspected.py``);
- a redaction needs every finding in a string field of a JSON body (the only thing the
  gateway can rewrite); otherwise the request is blocked, never forwarded unmasked;
- a websocket frame has no request to hold and is never rewritten: dropped (blocked);
- a read whose query is judged (gateway/routes.py ``QUERY_ROUTES``) is never held: a
  held read released later answers nobody; blocked;
- a request nobody signed in sent (a plugin route Mattermost serves without a session)
  is never held: there is no one to notify, no identity for a reviewer to weigh, and
  holding it would let anyone fill the review queue without credentials;
- a chunk that does not complete its upload is kept and forwarded when the rules allow
  it: Mattermost shows nobody an incomplete upload; the whole file is judged with its
  last chunk.

``apply_facts`` applies them in that order; every field of the decision it does not
change is kept (the alert channel, the details, the matched rules), and each fact that
changed the action is named in ``details["facts"]`` for the archive.  Pure.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from dlp_proxy.model import Action, Decision
from dlp_proxy.policy.schema import Messages, Uninspected
from dlp_proxy.policy.uninspected import UninspectedFile, judge_uninspected


@dataclass(frozen=True, slots=True)
class InspectionFacts:
    """The reading's facts the rules' findings do not carry (module doc)."""

    #: files (or upload bytes) that could not be fully inspected
    uninspected: tuple[UninspectedFile, ...] = ()
    #: the action for an uninspected file when the policy has no ``uninspected`` section
    uninspected_fallback: Action = Action.QUARANTINE
    #: the item paths the gateway can rewrite (a JSON body's string fields); ``None``:
    #: no limit is known (replays and the command line, which rewrite nothing)
    rewritable: Collection[str] | None = None
    #: a websocket frame (nothing to hold, nothing to rewrite)
    frame: bool = False
    #: sent by a signed-in user or through an incoming webhook
    signed_in: bool = True
    #: a chunk that does not complete its upload
    partial_upload: bool = False
    #: a request that can be held and released later (a read's query cannot: there is
    #: no write to release; routes.QUERY_ROUTES)
    holdable: bool = True


NO_FACTS = InspectionFacts()


def apply_facts(decision: Decision, facts: InspectionFacts, *, uninspected: Uninspected | None,
                messages: Messages) -> Decision:
    """``decision`` (the rules') as the facts let it be carried out (module doc)."""
    if facts.uninspected:
        decision = judge_uninspected(decision, facts.uninspected, uninspected, messages,
                                     fallback=facts.uninspected_fallback)
    if decision.action is Action.REDACT and facts.rewritable is not None and not all(
            path in facts.rewritable for path, _ in decision.findings):
        # only string fields of a JSON body can be rewritten; anything else (a form, a
        # file, a number, a repeated key) is stopped, never forwarded unmasked
        decision = _override(decision, Action.BLOCK, "unredactable",
                             " (redaction is not possible for this body; blocked)")
    if facts.frame and decision.action in (Action.QUARANTINE, Action.REDACT):
        decision = _override(decision, Action.BLOCK, "websocket-frame", " (websocket frame: dropped)")
    if decision.action is Action.QUARANTINE and not facts.holdable:
        decision = _override(decision, Action.BLOCK, "not-holdable", " (a read's query: never held; blocked)")
    if decision.action is Action.QUARANTINE and not facts.signed_in:
        decision = _override(decision, Action.BLOCK, "not-signed-in",
                             " (sent without signing in: never held; blocked)")
    if facts.partial_upload and decision.action in (Action.ALLOW, Action.MONITOR):
        decision = replace(decision, rule_id=decision.rule_id or "upload-chunk-buffered",
                           reason="partial upload; the file is judged when complete")
    return decision


def _override(decision: Decision, action: Action, fact: str, why: str) -> Decision:
    named: Sequence[str] = decision.details.get("facts", ())
    return replace(decision, action=action, reason=decision.reason + why,
                   details={**decision.details, "facts": [*named, fact]})
