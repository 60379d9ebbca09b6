"""The OpenAPI 3.1 document of one data service, generated from its live, reflected schema.

A Visibility tells, per table, which verbs the caller may use and which columns each verb may see; the
document then mentions nothing else — no other table, operation or column. Table names go into paths
percent-encoded (a `/`, `{` or space in a name must not change the path's shape) and into component
keys sanitized to OpenAPI's `[A-Za-z0-9._-]`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from bastion.components import SCHEMA, TABLE
from bastion.data.column_types import Duration
from bastion.data.schema import portable_type, primary_key
from bastion.docs.common import (
    DATA_SECURITY,
    ERROR_SCHEMA,
    SECURITY_SCHEMES,
    error_responses,
    json_body,
    json_response,
)
from bastion.docs.related_params import related_parameters
from bastion.verbs import VERBS
from bastion.version import __version__


@dataclass(frozen=True)
class TableView:
    """What a caller may do with one table: the columns of each allowed verb (None: every column), and
    whether it may read the table's `_schema`."""

    columns: Mapping[str, frozenset[str] | None]
    schema: bool

    @property
    def verbs(self) -> tuple[str, ...]:
        """The allowed verbs, in the usual order."""
        return tuple(v for v in VERBS if v in self.columns)


Visibility = Callable[[sa.Table], TableView]
FULL = TableView(dict.fromkeys(VERBS), True)

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
_DURATION = {"type": "string", "pattern": r"^-?\d+:[0-5]\d:[0-5]\d(\.\d{1,6})?$"}


def column_schema(column: sa.Column) -> dict[str, Any]:
    """The JSON schema of a column's values."""
    schema = dict(_TYPES.get(portable_type(column.type), {}))
    if isinstance(column.type, Duration):
        schema = dict(_DURATION)  # not a time of day: "-01:30:00" and "100:00:00" are MySQL TIME values
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
    "include_count": (
        "Add meta.count; `estimate` lets a read of the whole table answer the database's row estimate "
        "(then meta.count_estimated says whether it did)",
        {"type": "string", "enum": ["true", "false", "1", "0", "estimate"]},
    ),
    "cursor": (
        "Keyset paging: empty for the first page, then the previous page's meta.next token; "
        "not with offset or ids",
        {"type": "string"},
    ),
    "ids": ("Comma list of ids (`;` between composite ids)", {"type": "string"}),
    "id_field": ("Fields that identify a record, for tables without a primary key", {"type": "string"}),
    "continue": ("Batch: try every record and report each", {"type": "boolean"}),
    "rollback": ("Batch: all or nothing, in one transaction", {"type": "boolean"}),
    "as_list": ("Answer each record's id only", {"type": "boolean"}),
    "count_only": (
        "Answer the bare number of matching records (of groups, with `group`)",
        {"type": "boolean"},
    ),
    "include_schema": ("Add meta.schema: what `_schema/<table>` answers the caller", {"type": "boolean"}),
    "file": ("Answer as a download: true (resource.json) or a name ending in .json", {"type": "string"}),
    "group": (
        "Comma list of columns to group by (alias group_by); `fields` may then hold COUNT(*), COUNT(x), "
        "SUM(x), AVG(x), MIN(x), MAX(x), answered as COUNT_ALL, COUNT_x, SUM_x, ...",
        {"type": "string"},
    ),
    "having": (
        "Filter over the group columns and the aggregates by their answer names, e.g. COUNT_ALL > 2",
        {"type": "string"},
    ),
}
# Described on POST, not declared as a parameter: a tunnelled POST answers as the verb it names, which
# one operation's responses cannot say (and a fuzzer driven by this document would take it at its word).
TUNNEL_NOTE = (
    "A POST with the header `X-HTTP-Method` (or `X-HTTP-Method-Override`, `X-Method-Override`) set to GET, "
    "PUT, PATCH or DELETE is served as that verb, on this path and every other; the role and CORS checks "
    "see that verb. With GET, the query options may be sent as a JSON object in the body (an option in "
    "both is a 400)."
)
IGNORED_FIELDS = {
    "X-Ignored-Fields": {
        "description": "Body keys that name no column of the table and were dropped (comma list)",
        "schema": {"type": "string"},
    }
}


def _params(*names: str) -> list[dict]:
    return [{"$ref": f"#/components/parameters/{n}"} for n in names]


def _many(ref: dict) -> dict:
    return {
        "type": "object",
        "properties": {"resource": {"type": "array", "items": ref}, "meta": {"type": "object"}},
    }


def _listed(ref: dict) -> dict:
    """A list read's answer: the records, their ids (as_list), groups, or a bare count (count_only)."""
    ids = {"type": "array", "items": {"type": ["string", "integer"]}}
    as_list = {"type": "object", "properties": {"resource": ids, "meta": {"type": "object"}}}
    # anyOf, not oneOf: an empty page is both a list of records and a list of ids.
    return {"anyOf": [_many(ref), as_list, {"type": "integer", "minimum": 0}]}


def _writes(ref: dict) -> dict:
    """A write's body: one record, a list, or either wrapped in `resource`."""
    # anyOf, not oneOf: no key is required, so one object matches the record and both wrappers at once,
    # and under oneOf every object body would be invalid (fuzzers then send nothing the API accepts).
    return json_body(
        {
            "anyOf": [
                ref,
                {"type": "array", "items": ref},
                {"type": "object", "properties": {"resource": {"type": "array", "items": ref}}},
                {"type": "object", "properties": {"resource": ref}},
            ]
        }
    )


# What a data path can answer besides its success: its database failing (503, with Retry-After when busy
# or locked; 504 when timed out) on every path, and for writes a constraint (409) or a body that is not
# JSON (415).
DATABASE_FAULTS = {503: "The database is unreachable, busy or locked", 504: "The database timed out"}
READ_ERRORS = error_responses(400, 401, 403, 404, 503, 504, texts=DATABASE_FAULTS)
WRITE_ERRORS = error_responses(400, 401, 403, 404, 409, 415, 503, 504, texts=DATABASE_FAULTS)


def _errors(verb: str) -> dict:
    return dict(READ_ERRORS if verb == "GET" else WRITE_ERRORS)


_TABLE_OPS = {
    "GET": (
        "List",
        "200",
        "Records",
        ("fields", "filter", "limit", "offset", "cursor", "order", "include_count", "ids", "id_field")
        + ("as_list", "count_only", "include_schema", "group", "having", "file"),
    ),
    "POST": ("Create", "201", "Created", ("fields", "continue", "rollback")),
    "PUT": ("Replace", "200", "Replaced", ("fields", "filter", "ids", "id_field", "continue", "rollback")),
    "PATCH": ("Update", "200", "Updated", ("fields", "filter", "ids", "id_field", "continue", "rollback")),
    "DELETE": ("Delete", "200", "Deleted", ("fields", "filter", "ids", "id_field", "continue", "rollback")),
}


def _table_ops(name: str, refs: Mapping[str, dict], related: list[dict]) -> dict[str, Any]:
    """The operations on `_table/<name>`, each verb's bodies in that verb's own schema (refs); GET also
    takes the `related` parameters."""
    ops = {}
    for verb, ref in refs.items():
        action, status, text, params = _TABLE_OPS[verb]
        answer = json_response(text, _listed(ref) if verb == "GET" else _many(ref))
        op: dict[str, Any] = {
            "summary": f"{action} {name} records",
            "tags": [name],
            "parameters": _params(*params) + (related if verb == "GET" else []),
            "responses": {status: answer, **_errors(verb)},
        }
        if verb in ("POST", "PUT", "PATCH"):
            op["requestBody"] = _writes(ref)
            answer["headers"] = IGNORED_FIELDS
        if verb == "POST":
            op["description"] = TUNNEL_NOTE
        ops[verb.lower()] = op
    return ops


def _record_ops(name: str, refs: Mapping[str, dict], related: list[dict]) -> dict[str, Any]:
    id_param = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string"},
        "description": "The record's key (composite keys joined by commas)",
    }
    texts = {"GET": "Get", "PUT": "Replace", "PATCH": "Update", "DELETE": "Delete"}
    ops = {}
    for verb, ref in ((v, r) for v, r in refs.items() if v in texts):
        op: dict[str, Any] = {
            "summary": f"{texts[verb]} one {name} record",
            "tags": [name],
            "parameters": [id_param, *_params("fields", "id_field"), *(related if verb == "GET" else [])],
            "responses": {"200": json_response("The record", ref), **_errors(verb)},
        }
        if verb in ("PUT", "PATCH"):
            op["requestBody"] = json_body(ref)
            op["responses"]["200"]["headers"] = IGNORED_FIELDS
        ops[verb.lower()] = op
    return ops


def _key(name: str, used: dict) -> str:
    """A component key for a table: its name when OpenAPI allows it and it is free, else a safe variant."""
    if re.fullmatch(r"[A-Za-z0-9_-]+", name) and name not in used:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{re.sub(r'[^A-Za-z0-9_-]', '_', name)}-{digest}"


def _schemas_for(table: sa.Table, view: TableView, schemas: dict) -> dict[str, dict]:
    """One schema per distinct column set; the $ref of each verb's."""
    key = _key(table.name, schemas)
    distinct = set(view.columns.values())
    refs = {}
    for verb in view.verbs:
        columns = view.columns[verb]
        name = key if len(distinct) == 1 else f"{key}.{verb}"
        schemas[name] = record_schema(table, columns)
        refs[verb] = {"$ref": f"#/components/schemas/{name}"}
    return refs


def table_url(name: str) -> str:
    """A table's name as one URL path segment (and never a path template)."""
    return quote(name, safe="")


def _schema_op(name: str) -> dict:
    return {
        "get": {
            "summary": f"Columns of {name}",
            "tags": [name],
            "responses": {
                "200": json_response("Table metadata", {"type": "object"}),
                **error_responses(401, 403, 404, 503, 504, texts=DATABASE_FAULTS),
            },
        }
    }


def build_service_document(
    service: str, tables: list[sa.Table], visible: Visibility, server_url: str
) -> dict:
    """The document of a service for one caller (FULL for all of it)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    views: dict[sa.Table, TableView] = {}

    def view_of(table: sa.Table) -> TableView:
        if table not in views:
            views[table] = visible(table)
        return views[table]

    def get_columns(table: sa.Table) -> frozenset[str] | None | bool:
        return view_of(table).columns.get("GET", False)

    for table in tables:
        view = view_of(table)
        segment = table_url(table.name)
        if view.verbs:
            refs = _schemas_for(table, view, schemas)
            related = related_parameters(table, get_columns)
            paths[f"/{TABLE}/{segment}"] = _table_ops(table.name, refs, related)
            if primary_key(table) and (record := _record_ops(table.name, refs, related)):
                paths[f"/{TABLE}/{segment}/{{id}}"] = record
        if view.schema:
            paths[f"/{SCHEMA}/{segment}"] = _schema_op(table.name)
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
