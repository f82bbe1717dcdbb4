"""Post props only the gateway sets: a client may not set them.

The gateway and its release workflow tag the posts they make (dlp_proxy/quarantine:
``RELEASE_PROP`` ``dlp_release_id`` on a released post, ``dlp_released`` and
``dlp_original_*`` on a bot's copy; ``from_dlp_proxy``, ``dlp_item_id``,
``dlp_record_id``, ``dlp_outcome`` on notices) and trust those tags: a forced retry
of a release takes a post in the channel carrying ``dlp_release_id`` = the item's id
as the release already delivered (``QuarantineDelivery._find_delivered``: "released
via found", and nothing is sent), and the reviewer's conversation view leaves such
a post out (review/context.py).  Those posts are made on Mattermost directly, never
through the gateway, so a request carrying one of these props is a client setting
them: refused (400), on every route whose body Mattermost stores as a post's props
(model.Post.Props, map keys exact: api4/post.go createPost, updatePost, patchPost,
createEphemeralPost; scheduled_post.go; drafts.go; web/webhook.go incomingWebhook,
commandWebhook: model.IncomingWebhookRequest / CommandResponse ``props``,
``extra_responses``).  The web and mobile apps edit a post with a patch of its
message, without its props, so an edit of a released post is not refused for
carrying its tag back; an API client that sends a released post's props back whole
(``PUT /posts/{id}``) is, and must leave the gateway's keys out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dlp_proxy.gateway.extract import Extracted, go_field_name

#: every prop key that starts with this is the gateway's, and these
RESERVED_PREFIX = "dlp_"
RESERVED = frozenset({"from_dlp_proxy"})
#: route groups whose bodies carry a post's props
PROP_GROUPS = frozenset({"posts", "edits", "scheduled", "drafts", "webhooks"})
REFUSED_ID = "api.dlp.reserved_prop.app_error"
REFUSED_RULE = "reserved-prop"
REFUSED_MESSAGE = "The post carries a property only the data-loss-prevention gateway may set."
_MAX_DEPTH = 16


def is_reserved(key: str) -> bool:
    return key.startswith(RESERVED_PREFIX) or key in RESERVED


def _pairs(doc: dict[str, Any]) -> Iterable[tuple[str, Any]]:
    # every key in document order, repeated ones too (extract._DupDict)
    return getattr(doc, "order", None) or doc.items()


def _carries(doc: Any, depth: int = 0) -> bool:
    if depth > _MAX_DEPTH:
        return False
    # (only a list or an object can carry one: nothing else is called for)
    if isinstance(doc, list):
        return any(_carries(v, depth + 1) for v in doc if isinstance(v, (list, dict)))
    if not isinstance(doc, dict):
        return False
    for key, value in _pairs(doc):
        if not isinstance(value, (list, dict)):
            continue
        if isinstance(value, dict) and go_field_name(str(key)) == "props" and any(
                is_reserved(str(k)) for k, _ in _pairs(value)):
            return True
        if _carries(value, depth + 1):
            return True
    return False


def reserved_prop(group: str, ex: Extracted) -> bool:
    """Whether a request of route group ``group`` sets one of the gateway's props in
    any reading of its body (the JSON document, a webhook's form ``payload`` or JSON
    reading, a command response's JSON)."""
    if group not in PROP_GROUPS:
        return False
    docs = [ex.json_doc, *(doc for kind, doc in ex.webhook_readings if kind in ("json", "form"))]
    return any(_carries(doc) for doc in docs if doc is not None)
