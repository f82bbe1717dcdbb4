"""Answers Mattermost clients understand: AppError JSON, never 401.

The web app parses an error body only when ``Content-Type`` is exactly
``application/json`` (client4.ts doFetchWithResponse), and logs the user out on
any 401 - so a 401 from the gateway (or ``status_code: 401`` in a body) would
turn a blocked post into a forced sign-out.  ``app_error`` refuses to build one.
"""

from __future__ import annotations

import json
from typing import Final

from dlp_proxy.model import BLOCK_ERROR_ID, QUARANTINE_ERROR_ID
from dlp_proxy.randpool import random_hex

# one set of AppError ids (dlp_proxy/model.py), the policy's wording uses the same
BLOCKED_ID: Final = BLOCK_ERROR_ID
QUARANTINED_ID: Final = QUARANTINE_ERROR_ID
UNAVAILABLE_ID: Final = "api.dlp.unavailable.app_error"
TOO_LARGE_ID: Final = "api.dlp.request_too_large.app_error"
BAD_REQUEST_ID: Final = "api.dlp.bad_request.app_error"
DENIED_ID: Final = "api.dlp.route_denied.app_error"
UPSTREAM_ID: Final = "api.dlp.upstream_unavailable.app_error"
UPSTREAM_TIMEOUT_ID: Final = "api.dlp.upstream_timeout.app_error"
#: Mattermost's own 404 AppError id (web/handlers.go Handle404)
NOT_FOUND_ID: Final = "api.context.404.app_error"


def new_request_id() -> str:
    """26-character lower-case id, the shape of Mattermost's request ids."""
    return random_hex(13)


def app_error(
    status: int, error_id: str, message: str, *, request_id: str, detailed_error: str = ""
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of a Mattermost AppError response."""
    if status == 401:
        status = 403  # never 401: the web app would sign the user out
    if not 400 <= status <= 599:
        raise ValueError(f"an AppError needs a 4xx/5xx status, not {status}")
    body = json.dumps(
        {
            "id": error_id,
            "message": message,
            "detailed_error": detailed_error,
            "request_id": request_id,
            "status_code": status,
        },
        ensure_ascii=False,
    ).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "X-Request-ID": request_id,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return status, headers, body


_PROTOCOL_ERRORS: dict[int, tuple[str, str]] = {
    400: (BAD_REQUEST_ID, "The request could not be read by the data-loss-prevention gateway."),
    413: (TOO_LARGE_ID, "The request is larger than the data-loss-prevention gateway accepts."),
    502: (UPSTREAM_ID, "Mattermost could not be reached through the data-loss-prevention gateway. Try again shortly."),
    504: (UPSTREAM_TIMEOUT_ID, "Mattermost did not answer in time. Try again shortly."),
}


#: what ``DLPAddon`` answers when the bytes in flight are spent (before or during a body)
MIDBODY_BUSY_ID = "api.dlp.busy.app_error"
MIDBODY_BUSY_MESSAGE = "The data-loss-prevention gateway is busy. Try again in a moment."


def protocol_error_bytes(status: int, message: str = "") -> bytes:
    """A complete HTTP/1.1 AppError response for mitmproxy's own protocol errors
    (malformed framing, body over the size limit, upstream unreachable), which
    mitmproxy otherwise answers with an HTML page."""
    if status == 401 or status == 407:
        status = 403
    error_id, text = _PROTOCOL_ERRORS.get(
        status, (BAD_REQUEST_ID if status < 500 else UPSTREAM_ID, "The gateway could not handle the request.")
    )
    if status == 503 and message == MIDBODY_BUSY_MESSAGE:
        # a body refused as it arrives past the bytes in flight (addon ``refuse_busy``):
        # the same AppError as the refusal before the body
        error_id, text = MIDBODY_BUSY_ID, MIDBODY_BUSY_MESSAGE
    request_id = new_request_id()
    # mitmproxy's message may quote the offending header or request line: quoted
    # values are withheld and digit runs masked (header values are never echoed)
    from dlp_proxy.atrest import safe_text

    status, headers, body = app_error(status, error_id, text, request_id=request_id,
                                      detailed_error=safe_text(message)[:200])
    from http import HTTPStatus

    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    head = [f"HTTP/1.1 {status} {reason}"]
    for k, v in headers.items():
        head.append(f"{k}: {v}")
    head.append(f"Content-Length: {len(body)}")
    head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
