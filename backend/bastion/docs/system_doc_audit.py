"""The admin document's paths for the audit trail and live sessions (kept apart from system_doc's list)."""

from __future__ import annotations

from bastion.docs.common import error_responses, json_response

OBJECT = {"type": "object"}
PAGING = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
    {"name": "include_count", "in": "query", "schema": {"type": "boolean"}},
]
TEXT = {"type": "string", "maxLength": 255}
AUDIT_FILTERS = [
    {"name": name, "in": "query", "schema": TEXT}
    for name in ("actor", "action", "resource_type", "resource_id")
] + [
    {"name": name, "in": "query", "schema": {"type": "string", "format": "date-time"}}
    for name in ("since", "until")
]
USER_ID = {
    "name": "user_id",
    "in": "query",
    "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
}


def _op(summary: str, errors=(400, 401, 403), parameters=()) -> dict:
    op = {
        "summary": summary,
        "responses": {"200": json_response(summary, OBJECT), **error_responses(*errors)},
    }
    if parameters:
        op["parameters"] = list(parameters)
    return op


def audit_paths() -> dict:
    """GET /system/audit, and /system/session with its DELETEs."""
    session_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    return {
        "/system/audit": {"get": _op("Audit events, newest first", parameters=AUDIT_FILTERS + PAGING)},
        "/system/session": {
            "get": _op("Live sessions", parameters=[USER_ID, *PAGING]),
            "delete": _op(
                "End every session of a user", (400, 401, 403, 404), [{**USER_ID, "required": True}]
            ),
        },
        "/system/session/{id}": {
            "parameters": [session_id],
            "delete": _op("End one session", (401, 403, 404)),
        },
    }
