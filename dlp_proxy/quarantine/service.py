"""The quarantine queue: durable, encrypted held requests and their review workflow.

``QuarantineService`` is the one public face.  It is built in layers, each a
module that uses only the layers below it:

- quarantine/common.py    states, roles, permissions, settings, errors, parsers
- quarantine/store.py     Redis layout, keys and scripts, sealing, hold, read, search,
                          the archive record and history note of an action
- quarantine/delivery.py  release to Mattermost, retries, settle, tell the sender
- quarantine/workflow.py  show/reveal, claim, assign, comment, approve, reject, bulk,
                          purge, retry a release, the sender's reports
- quarantine/expiry.py    the periodic sweep (expiry, escalation, retries), key rotation

Redis layout: see quarantine/store.py.

State machine (``State``)::

    held --approve--> approved --release--> releasing --> released
      |  \\--approve (four-eyes)--> awaiting_second --approve (2nd person)--> approved
      |                                 releasing --> release_failed (retried, visible)
      |                                 releasing --> release_unknown (crash mid-send; a human decides)
      |                                 releasing --> release_refused (judged again, now stopped; nothing sent:
      |                                               rejected, or retried once the channel is back)
      +--reject--> rejected      +--expiry--> expired (or escalated once)

``released``, ``rejected`` and ``expired`` are final: the data key is deleted
(crypto-shred) and only the archive keeps the record.
"""

from __future__ import annotations

from dlp_proxy.quarantine.common import (
    ACTIVE_STATES,
    AUTH_HEADERS,
    BULK_FINDINGS,
    DEFAULT_SLA,
    FINAL_STATES,
    MATTERMOST_ID,
    MAX_PAGE_SIZE,
    OPEN_STATES,
    PERMISSIONS,
    RELEASE_PROP,
    ROLES,
    SEVERITIES,
    SORTS,
    STATE_ORDER,
    SYSTEM,
    VERDICTS,
    Actor,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    QuarantineSettings,
    State,
    UnprovenPrincipal,
    check_search,
    is_mattermost_id,
    parse_duration,
    parse_sla,
    severity_of,
)
from dlp_proxy.quarantine.delivery import QuarantineDelivery
from dlp_proxy.quarantine.expiry import QuarantineExpiry, rotate_master_key
from dlp_proxy.quarantine.store import (
    SEARCH_FIELDS,
    QuarantineStore,
    RedisAuditLog,
    mask_for_export,
    sort_items,
)
from dlp_proxy.quarantine.workflow import QuarantineWorkflow

__all__ = [
    "ACTIVE_STATES",
    "AUTH_HEADERS",
    "BULK_FINDINGS",
    "DEFAULT_SLA",
    "FINAL_STATES",
    "MATTERMOST_ID",
    "MAX_PAGE_SIZE",
    "OPEN_STATES",
    "PERMISSIONS",
    "RELEASE_PROP",
    "ROLES",
    "SEARCH_FIELDS",
    "SEVERITIES",
    "SORTS",
    "STATE_ORDER",
    "SYSTEM",
    "VERDICTS",
    "Actor",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "QuarantineDelivery",
    "QuarantineExpiry",
    "QuarantineService",
    "QuarantineSettings",
    "QuarantineStore",
    "QuarantineWorkflow",
    "RedisAuditLog",
    "State",
    "UnprovenPrincipal",
    "check_search",
    "is_mattermost_id",
    "mask_for_export",
    "parse_duration",
    "parse_sla",
    "rotate_master_key",
    "severity_of",
    "sort_items",
]


class QuarantineService(QuarantineExpiry):
    """Held requests in Redis, their review, release and expiry.  See the module doc:
    the methods come from the layers (store, delivery, workflow, expiry); this class
    adds nothing, so every caller keeps one name and one set of signatures."""
