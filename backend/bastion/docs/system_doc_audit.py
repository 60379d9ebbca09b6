"""The admin document's query parameters of the audit trail and of live sessions."""

from __future__ import annotations

from bastion.models import MAX_ID

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
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}

AUDIT_PARAMS = (*AUDIT_FILTERS, *PAGING)
SESSION_LIST_PARAMS = (USER_ID, *PAGING)
END_USER_SESSIONS_PARAMS = ({**USER_ID, "required": True},)
