"""Policy: what the firm does about findings, where and for whom (docs/policy.md).

Public API used by the gateway::

    policy = load_policy()                      # config_dir()/policy.yaml; PolicyError if invalid
    store = PolicyStore(path); store.reload()   # SIGHUP; (ok, message), old policy kept on error
    decision = store.current.evaluate(scanned, ctx)
    redact_text(text, findings); policy.redact_footnote
    sender_notice(decision, ctx, message_excerpt_path=...); alert_text(decision, ctx)
    user_message(decision); error_id(decision) in (BLOCK_ERROR_ID, QUARANTINE_ERROR_ID)
    SplitWindow(redis, ...).check(user_id, channel_id, text, detector)
"""

from __future__ import annotations

from dlp_proxy.policy.engine import Policy, findings_to_redact, load_policy
from dlp_proxy.policy.notify import (
    BLOCK_ERROR_ID,
    QUARANTINE_ERROR_ID,
    alert_text,
    error_id,
    sender_notice,
    user_message,
)
from dlp_proxy.policy.redact import redact_text, with_footnote
from dlp_proxy.policy.schema import PolicyError, PolicyProblem
from dlp_proxy.policy.store import PolicyStore

__all__ = [
    "BLOCK_ERROR_ID",
    "QUARANTINE_ERROR_ID",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "PolicyStore",
    "SplitWindow",
    "alert_text",
    "error_id",
    "findings_to_redact",
    "load_policy",
    "redact_text",
    "sender_notice",
    "user_message",
    "with_footnote",
]


def __getattr__(name: str) -> object:
    # SplitWindow pulls in redis.asyncio; import it only when asked for
    if name == "SplitWindow":
        from dlp_proxy.policy.split import SplitWindow

        return SplitWindow
    raise AttributeError(name)
