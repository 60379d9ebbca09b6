"""The admin document's query parameters of lists and batches, and DreamFactory's names its bodies accept."""

from __future__ import annotations

from typing import Any

from bastion.models import MAX_ID
from bastion.verbs import VERBS


def _param(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


TEXT = {"type": "string"}
FLAG = {"type": "boolean"}
IDS = _param("ids", TEXT, "Comma list of record ids")
FIELDS = _param("fields", TEXT, "Comma list of the keys to answer with (`*` for all)")
RELATED = _param("related", TEXT, "Comma list of DreamFactory's related records to add (`*` for all)")
LIST_PARAMS = [
    _param("limit", {"type": "integer", "minimum": 1}, "Records per page (at most 1000)"),
    _param("offset", {"type": "integer", "minimum": 0}, "Records to skip"),
    _param("order", TEXT, "Comma list of `field [asc|desc]`"),
    _param("sort", TEXT, "DreamFactory's name of `order`"),
    _param("filter", TEXT, "The data API's filter grammar over the resource's own columns"),
    IDS,
    FIELDS,
    _param("include_count", FLAG, "Answer `meta.count`, the number of matching records"),
    RELATED,
]
ONE_PARAMS = [FIELDS, RELATED]
BATCH_PARAMS = [
    IDS,
    _param("continue", FLAG, "Try every record and report each"),
    _param("rollback", FLAG, "All records in one transaction, or none"),
]

_NULLABLE_LIST = {"anyOf": [{"type": "array", "maxItems": 0}, {"type": "null"}]}
_DF_ACCESS = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "service_id": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "component": TEXT,
            "verb_mask": {"type": "integer", "minimum": 0, "maximum": 31},
            "requestor_mask": {"type": "integer", "enum": [1, 3]},
            "filters": {"anyOf": [{"type": "array"}, {"type": "null"}]},
            "filter_op": {"enum": ["AND", "OR"]},
        },
    },
    "description": "DreamFactory's form of `access`",
}
_LIST_TEXT = {"type": "string", "description": "DreamFactory's comma string"}
# Per resource: DreamFactory's names its create and update bodies accept besides the model's fields.
DREAMFACTORY_INPUT: dict[str, dict[str, Any]] = {
    "role": {
        "role_service_access_by_role_id": _DF_ACCESS,
        "lookup_by_role_id": _NULLABLE_LIST,
        "role_lookup_by_role_id": _NULLABLE_LIST,
    },
    "user": {
        "user_to_app_to_role_by_user_id": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/AppRoleSpec"},
            "description": "DreamFactory's name of `app_roles`",
        }
    },
    "cors": {
        "origin": _LIST_TEXT,
        "header": _LIST_TEXT,
        "exposed_header": _LIST_TEXT,
        "method": {
            "anyOf": [{"type": "array", "items": TEXT}, {"type": "integer", "minimum": 0, "maximum": 127}],
            "description": "Verbs, or DreamFactory's verb mask",
        },
    },
    "service": {"doc": {"type": "null", "description": "Docs are built from the live schema"}},
}
# Only on create: an empty api_key asks for a generated key, as Bastion always does.
DREAMFACTORY_CREATE_ONLY = {"app": {"api_key": {"type": "string", "maxLength": 0}}}


def with_dreamfactory_names(schema: dict, extra: dict[str, Any]) -> dict:
    """A body schema that also lists DreamFactory's names of its fields."""
    if not extra:
        return schema
    return {**schema, "properties": {**schema.get("properties", {}), **extra}}


# A batch record's id: the range of the system database's id columns (api/batches.py refuses others).
RECORD_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def batch_body(update_schema: dict) -> dict:
    """The body of a PATCH/PUT on a collection: one object (with `ids`) or a resource list with ids."""
    listed = {
        **update_schema,
        "properties": {"id": RECORD_ID, **update_schema.get("properties", {})},
        "required": ["id"],
    }
    return {
        "anyOf": [
            update_schema,
            {
                "type": "object",
                "required": ["resource"],
                "properties": {"resource": {"type": "array", "minItems": 1, "items": listed}},
                "additionalProperties": False,
            },
        ]
    }


def query(name: str, required: bool = False, **schema: Any) -> dict:
    """A query parameter (a string unless a schema is given)."""
    return {"name": name, "in": "query", "required": required, "schema": schema or {"type": "string"}}


def flag(name: str, text: str) -> dict:
    """A true/false query parameter."""
    return {"name": name, "in": "query", "schema": FLAG, "description": text}


LOGIN_FLAG = "true: answer a new session (as the user login does)"
SERVICE_TYPE_PARAMS = [p for p in LIST_PARAMS if p["name"] in ("limit", "offset", "fields", "include_count")]
EXPLAIN_PARAMS = [
    query("path", True),
    query("verb", enum=list(VERBS)),
    query("app", type="integer"),
    query("user", type="integer"),
]
CORS_EXPLAIN_PARAMS = [
    query("origin", True),
    query("path", True),
    query("method", enum=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    query("headers"),
]
# Who may call without an admin session: anyone, or the holder of an app's API key.
PUBLIC: tuple[dict, ...] = ()
API_KEY = ({"ApiKey": []}, {"DreamFactoryApiKey": []}, {"ApiKeyQuery": []})
