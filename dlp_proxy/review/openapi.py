"""The OpenAPI 3 document of the review API (served at /api/openapi.json)."""

from __future__ import annotations

from typing import Any

from dlp_proxy.quarantine import State
from dlp_proxy.quarantine.service import MAX_PAGE_SIZE, SEVERITIES, SORTS, VERDICTS


def _err(desc: str) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def openapi_document() -> dict[str, Any]:
    item_id = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
    reason_body = {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Reason"}}},
    }
    errors = {
        "401": _err("missing or unknown Bearer token"),
        "403": _err("the token's role does not allow this, self-approval / same approver twice, or the "
                    "token's holder is deactivated in Mattermost (or no longer holds its roles)"),
        "404": _err("no such item"),
        "409": _err("the item is in a state that does not allow this (someone else acted first; "
                    "state expired: its review deadline passed)"),
        "422": _err("missing or too short reason, bad body"),
        "503": _err("the token's holder cannot be checked in Mattermost now (retried later)"),
    }
    item_ok = {"200": {"description": "the item after the action",
                       "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}  # fmt: skip

    def action(summary: str, desc: str, ok: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"post": {"summary": summary, "description": desc, "parameters": [item_id],
                         "requestBody": reason_body, "responses": {**(ok or item_ok), **errors}}}  # fmt: skip

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "dlp-proxy review API",
            "version": "1",
            "description": "Work the quarantine queue from a SOAR tool. Every call is recorded in the archive "
            "with the token's name as the actor. Tokens are configured as SHA-256 hashes with roles "
            "(reviewer, approver, auditor, admin); see docs/quarantine.md.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"],
                          "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                                         "state": {"type": "string"}}},
                "Reason": {"type": "object", "required": ["reason"],
                           "properties": {"reason": {"type": "string", "description": "why (recorded)"},
                                          "verdict": {"type": "string", "enum": list(VERDICTS),
                                                      "description": "approve and reject: what the hold was "
                                                      "(kept on the item and in the archive record)"},
                                          "force": {"type": "boolean", "description": "retry only"}}},
                "Assign": {"type": "object", "required": ["assignee"],
                           "properties": {"assignee": {"type": "string", "description": "a reviewer's Mattermost "
                                                       "user id or name (GET /api/v1/reviewers)"},
                                          "reason": {"type": "string", "description": "optional note"}}},
                "Reviewer": {"type": "object", "properties": {"user_id": {"type": "string"},
                                                              "name": {"type": "string"},
                                                              "roles": {"type": "array", "items": {"type": "string"}}}},
                "Page": {"type": "object", "required": ["items", "total", "page", "size", "pages"],
                         "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/ItemSummary"}},
                                        "total": {"type": "integer", "description": "matches across all pages"},
                                        "page": {"type": "integer"}, "size": {"type": "integer"},
                                        "pages": {"type": "integer"}, "sort": {"type": "string"}}},
                "ItemSummary": {
                    "type": "object",
                    "required": ["id", "state", "created_at", "age_seconds", "sla", "entity_types"],
                    "properties": {
                        "id": {"type": "string"},
                        "state": {"type": "string", "enum": [s.value for s in State]},
                        "created_at": {"type": "number", "description": "Unix time"},
                        "age_seconds": {"type": "number"},
                        "expires_at": {"type": "number"},
                        "sla": {"type": "string", "enum": ["ok", "warn", "breach", "done"]},
                        "severity": {"type": "string", "enum": list(SEVERITIES),
                                     "description": "from the policy decision at hold time: bulk high, several "
                                     "identifier kinds medium, one kind low"},
                        "sla_due": {"type": "number", "description": "Unix time the review is due (by severity)"},
                        "overdue": {"type": "boolean"},
                        "assignee": {"type": "string", "description": "the assigned reviewer's user id"},
                        "assignee_name": {"type": "string"},
                        "verdict": {"type": "string", "description": "true_positive, false_positive, benign or ''"},
                        "verdict_by": {"type": "string"},
                        "request_id": {"type": "string", "description": "the reference the sender was given"},
                        "route": {"type": "string"},
                        "channel_id": {"type": "string"}, "channel_name": {"type": "string"},
                        "channel_type": {"type": "string"}, "team_id": {"type": "string"},
                        "team_name": {"type": "string"}, "sender_id": {"type": "string"},
                        "sender_username": {"type": "string"},
                        "entity_types": {"type": "array", "items": {"type": "string"}},
                        "entity_counts": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "record_id": {"type": "string", "description": "archive record of the quarantine"},
                        "approvals": {"type": "array", "items": {"type": "string"}},
                        "approvals_required": {"type": "integer", "description": "fixed when held: 2 with four-eyes, "
                                               "or when who controls the sender's identity could not be read"},
                        "controllers_known": {"type": "boolean", "description": "whoever controls the sending identity "
                                              "(a bot's or webhook's owner) was read when it was held"},
                        "decided_by": {"type": "string"},
                        "release_error": {"type": "string"},
                        "release_attempts": {"type": "integer"},
                        "shredded": {"type": "boolean"},
                    },
                },
                "Item": {
                    "allOf": [
                        {"$ref": "#/components/schemas/ItemSummary"},
                        {"type": "object", "properties": {
                            "revealed": {"type": "boolean"},
                            "content": {"type": "array", "nullable": True, "items": {"type": "object", "properties": {
                                "path": {"type": "string"},
                                "segments": {"type": "array", "items": {"type": "object", "properties": {
                                    "text": {"type": "string"}, "entity_type": {"type": "string", "nullable": True}}}},
                                "findings": {"type": "array", "items": {"type": "object"}}}}},
                            "history": {"type": "array", "items": {"type": "object"}},
                        }},
                    ]
                },
            },
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/items": {"get": {
                "summary": "Search, filter, sort and page the queue",
                "description": "With page or size: one page object with the total. Without: every match as a "
                "list (limit/offset still honoured). Either way the X-Total-Count header gives the number of "
                "matches. `dlp-proxy quarantine list --json --search ... --page ...` prints the same.",
                "parameters": [
                    {"name": "search", "in": "query", "schema": {"type": "string"},
                     "description": "words that must all occur in the item id, the request id the sender was "
                     "given, the archive record id, sender, channel, team or assignee (never message content; "
                     "identifier-shaped numbers are refused with 422). Also accepted as q."},
                    {"name": "state", "in": "query", "schema": {"type": "string", "default": "active"},
                     "description": "a state, comma-separated states, active, open or all"},
                    *({"name": n, "in": "query", "schema": {"type": "string"}}
                      for n in ("channel", "team", "entity", "sender")),
                    {"name": "severity", "in": "query", "schema": {"type": "string", "enum": list(SEVERITIES)}},
                    {"name": "assignee", "in": "query", "schema": {"type": "string"},
                     "description": "a reviewer's user id, me (the token's holder) or none"},
                    {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["yes", "no"]}},
                    {"name": "verdict", "in": "query", "schema": {"type": "string",
                                                                  "enum": [*VERDICTS, "any", "none"]}},
                    {"name": "sort", "in": "query", "schema": {"type": "string", "default": "age",
                                                               "enum": [*SORTS, *("-" + x for x in SORTS)]},
                     "description": "age oldest first, severity high first, state, due soonest first; - reverses"},
                    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "size", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                               "maximum": MAX_PAGE_SIZE, "default": 50}},
                    *({"name": n, "in": "query", "schema": {"type": "number"}, "description": "seconds"}
                      for n in ("min_age", "max_age")),
                    {"name": "limit", "in": "query", "schema": {"type": "integer"},
                     "description": "without page/size: at most this many (default all)"},
                    {"name": "offset", "in": "query", "schema": {"type": "integer", "default": 0}},
                ],
                "responses": {"200": {"description": "a page object (page/size given) or a list",
                                      "headers": {"X-Total-Count": {"schema": {"type": "integer"}}},
                                      "content": {"application/json": {"schema": {"oneOf": [
                                          {"$ref": "#/components/schemas/Page"},
                                          {"type": "array", "items": {"$ref": "#/components/schemas/ItemSummary"}},
                                      ]}}}},
                              "401": errors["401"], "422": errors["422"]},
            }},
            "/api/v1/reviewers": {"get": {
                "summary": "People items can be assigned to (who may claim; listed once they signed in)",
                "responses": {"200": {"description": "reviewers", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Reviewer"}}}}}, "401": errors["401"]},
            }},
            "/api/v1/items/{item_id}/assign": {"post": {
                "summary": "Assign or reassign an undecided item",
                "description": "Taking an item yourself needs a reviewer role; giving it to someone else "
                "needs approver or admin.",
                "parameters": [item_id],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/Assign"}}}},
                "responses": {**item_ok, **errors}}},
            "/api/v1/items/{item_id}": {"get": {
                "summary": "One item with its findings masked in context (recorded as a view)",
                "parameters": [item_id], "responses": {**item_ok, **errors}}},
            "/api/v1/items/{item_id}/reveal": action("Reveal the values", "Needs a reason of >= 10 characters; "
                                                     "recorded in the archive before anything is shown."),
            "/api/v1/items/{item_id}/approve": action("Approve (and release)", "Releases once the required "
                                                      "approvals are in (four-eyes: two distinct people; a bot "
                                                      "counts as its owner). Optional verdict."),
            "/api/v1/items/{item_id}/reject": action("Reject", "The sender is told; the content is destroyed. "
                                                     "Optional verdict."),
            "/api/v1/items/{item_id}/comment": action("Comment", "Adds a note (also accepts {text}).", {
                "200": {"description": "archive record id", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"record_id": {"type": "string"}}}}}}}),
            "/api/v1/items/{item_id}/retry": action("Retry a failed release", "force=true also retries a "
                                                    "release whose outcome is unknown (after checking Mattermost)."),
            "/api/v1/bulk": {"post": {
                "summary": "Approve, reject, comment or assign many items; one result per id",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["ids", "action"],
                    "properties": {"ids": {"type": "array", "items": {"type": "string"}},
                                   "action": {"type": "string", "enum": ["approve", "reject", "comment", "assign"]},
                                   "reason": {"type": "string"},
                                   "verdict": {"type": "string", "enum": list(VERDICTS)},
                                   "assignee": {"type": "string", "description": "assign only"}}}}}},
                "responses": {"200": {"description": "per-item results", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "ok": {"type": "boolean"}, "action": {"type": "string"},
                        "state": {"type": "string", "description": "the item's state after the action"},
                        "record_id": {"type": "string", "description": "comment: its archive record"},
                        "error": {"type": "string"}}}}}}}, "401": errors["401"], "422": errors["422"]},
            }},
        },
    }  # fmt: skip
