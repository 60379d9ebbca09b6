"""The OpenAPI 3.1 document of one data service, generated from its live, reflected schema.

A Visibility tells, per table, which verbs the caller may use and which columns it may see; the
document then mentions nothing else — no other table, operation or column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bastion import __version__
from bastion.data.schema import portable_type, primary_key
from bastion.docs.common import (
    DATA_SECURITY,
    ERROR_SCHEMA,
    SECURITY_SCHEMES,
    error_responses,
    json_body,
    json_response,
)


@dataclass(frozen=True)
class TableView:
    """What a caller may do with one table: verbs on records, schema access, visible columns."""

    verbs: tuple[str, ...]
    schema: bool
    columns: frozenset[str] | None  # None: every column


Visibility = Callable[[str], TableView]
FULL = TableView(("GET", "POST", "PUT", "PATCH", "DELETE"), True, None)

_TYPES = {
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "boolean": {"type": "boolean"},
    "decimal": {"type": "string", "format": "decimal"},
    "string": {"type": "string"},
    "text": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "format": "time"},
    "binary": {"type": "string", "contentEncoding": "base64"},
}


def column_schema(column: sa.Column) -> dict[str, Any]:
    """The JSON schema of a column's values."""
    schema = dict(_TYPES.get(portable_type(column.type), {}))
    length = getattr(column.type, "length", None)
    if "type" in schema and schema["type"] == "string" and isinstance(length, int):
        schema["maxLength"] = length
    if column.nullable and not column.primary_key and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    return schema


def record_schema(table: sa.Table, columns: frozenset[str] | None) -> dict[str, Any]:
    """The schema of one record with the visible columns."""
    shown = [c for c in table.columns if columns is None or c.name in columns]
    return {"type": "object", "properties": {c.name: column_schema(c) for c in shown}}


PARAMS = {
    "fields": ("Comma list of fields to return, or *", {"type": "string"}),
    "filter": ("Filter, e.g. a = 1 and (b > 2 or c is null)", {"type": "string"}),
    "limit": ("Records per page (capped by the service's max_records)", {"type": "integer", "minimum": 1}),
    "offset": ("Records to skip", {"type": "integer", "minimum": 0}),
    "order": ("Comma list of `field [asc|desc]`", {"type": "string"}),
    "include_count": ("Add meta.count", {"type": "boolean"}),
    "ids": ("Comma list of ids (`;` between composite ids)", {"type": "string"}),
    "id_field": ("Fields that identify a record, for tables without a primary key", {"type": "string"}),
    "continue": ("Batch: try every record and report each", {"type": "boolean"}),
    "rollback": ("Batch: all or nothing, in one transaction", {"type": "boolean"}),
}


def _params(*names: str) -> list[dict]:
    return [{"$ref": f"#/components/parameters/{n}"} for n in names]


def _table_ops(name: str, verbs: tuple[str, ...]) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{name}"}
    many = {
        "type": "object",
        "properties": {"resource": {"type": "array", "items": ref}, "meta": {"type": "object"}},
    }
    writes = json_body(
        {
            "oneOf": [
                ref,
                {"type": "array", "items": ref},
                {"type": "object", "properties": {"resource": {"type": "array", "items": ref}}},
            ]
        }
    )
    ops = {
        "GET": {
            "summary": f"List {name} records",
            "parameters": _params(
                "fields", "filter", "limit", "offset", "order", "include_count", "ids", "id_field"
            ),
            "responses": {"200": json_response("Records", many)},
        },
        "POST": {
            "summary": f"Create {name} records",
            "parameters": _params("fields", "continue", "rollback"),
            "requestBody": writes,
            "responses": {"201": json_response("Created", many)},
        },
        "PUT": {
            "summary": f"Replace {name} records",
            "parameters": _params("fields", "filter", "ids", "id_field", "continue", "rollback"),
            "requestBody": writes,
            "responses": {"200": json_response("Replaced", many)},
        },
        "PATCH": {
            "summary": f"Update {name} records",
            "parameters": _params("fields", "filter", "ids", "id_field", "continue", "rollback"),
            "requestBody": writes,
            "responses": {"200": json_response("Updated", many)},
        },
        "DELETE": {
            "summary": f"Delete {name} records",
            "parameters": _params("fields", "filter", "ids", "id_field", "continue", "rollback"),
            "responses": {"200": json_response("Deleted", many)},
        },
    }
    return {
        v.lower(): {
            **ops[v],
            "tags": [name],
            "responses": {**ops[v]["responses"], **error_responses(400, 401, 403, 404)},
        }
        for v in verbs
    }


def _record_ops(name: str, verbs: tuple[str, ...]) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{name}"}
    id_param = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The record's key (composite keys joined by commas)",
    }
    texts = {"GET": "Get", "PUT": "Replace", "PATCH": "Update", "DELETE": "Delete"}
    ops = {}
    for verb in (v for v in verbs if v in texts):
        op: dict[str, Any] = {
            "summary": f"{texts[verb]} one {name} record",
            "tags": [name],
            "parameters": [id_param, *_params("fields", "id_field")],
            "responses": {"200": json_response("The record", ref), **error_responses(400, 401, 403, 404)},
        }
        if verb in ("PUT", "PATCH"):
            op["requestBody"] = json_body(ref)
        ops[verb.lower()] = op
    return ops


def build_service_document(
    service: str, tables: list[sa.Table], visible: Visibility, server_url: str
) -> dict:
    """The document of a service for one caller (FULL for all of it)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for table in tables:
        view = visible(table.name)
        if view.verbs:
            schemas[table.name] = record_schema(table, view.columns)
            paths[f"/_table/{table.name}"] = _table_ops(table.name, view.verbs)
            if primary_key(table) and (record := _record_ops(table.name, view.verbs)):
                paths[f"/_table/{table.name}/{{id}}"] = record
        if view.schema:
            paths[f"/_schema/{table.name}"] = {
                "get": {
                    "summary": f"Columns of {table.name}",
                    "tags": [table.name],
                    "responses": {
                        "200": json_response("Table metadata", {"type": "object"}),
                        **error_responses(401, 403, 404),
                    },
                }
            }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{service} API",
            "version": __version__,
            "description": f"Data API of service '{service}', generated from its live schema.",
        },
        "servers": [{"url": server_url}],
        "security": DATA_SECURITY,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": SECURITY_SCHEMES,
            "parameters": {
                n: {"name": n, "in": "query", "required": False, "description": d, "schema": s}
                for n, (d, s) in PARAMS.items()
            },
        },
    }
