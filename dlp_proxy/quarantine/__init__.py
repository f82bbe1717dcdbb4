"""Quarantine: durable, encrypted held requests and their review (docs/quarantine.md)."""

from __future__ import annotations

from dlp_proxy.quarantine.service import (
    ACTIVE_STATES,
    FINAL_STATES,
    OPEN_STATES,
    PERMISSIONS,
    ROLES,
    SYSTEM,
    Actor,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    QuarantineService,
    QuarantineSettings,
    RedisAuditLog,
    State,
    UnprovenPrincipal,
    is_mattermost_id,
    rotate_master_key,
)

__all__ = [
    "ACTIVE_STATES",
    "FINAL_STATES",
    "OPEN_STATES",
    "PERMISSIONS",
    "ROLES",
    "SYSTEM",
    "Actor",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "QuarantineService",
    "QuarantineSettings",
    "RedisAuditLog",
    "State",
    "UnprovenPrincipal",
    "is_mattermost_id",
    "rotate_master_key",
]
