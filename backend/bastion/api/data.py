"""The data API of database services (DESIGN §5): /api/v2, _table, _table/<t>[/<id>], _schema.

Every view asks the one access decision (access.ensure and its siblings) before reading records, after
resolving the table against the reflected schema, so the component it decides on names the real table;
the grant it returns (row conditions, visible columns) goes to the record operations. A missing service
or table is decided on the name as sent first, so a caller without access learns nothing (403, not 404).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, jsonify, request
from werkzeug.exceptions import NotFound as HTTPNotFound

from bastion import access, components
from bastion.api import remote, table_path
from bastion.api.body import json_body
from bastion.api.opened import answer_outages, open_checked
from bastion.auth import Identity, identify, require_admin
from bastion.components import Component
from bastion.data import records as ops
from bastion.data.params import parse_list_params, parse_write_params
from bastion.data.schema import case_unique, describe_table
from bastion.db import session_scope
from bastion.errors import BadRequest, MethodNotAllowed, NotFound
from bastion.models import RESERVED_SERVICE_NAMES
from bastion.registry import OpenService, read_plans
from bastion.services.data_services import list_services
from bastion.verbs import VERBS

bp = Blueprint("data", __name__, url_prefix="/api/v2")
REMOTE_PATH = re.compile(r"^/api/v2/([^/]+)(?:/(.*))?$", re.S)
log = logging.getLogger("bastion")


def resolve(
    identity: Identity, service: str, name: str, verb: str, make: Callable[..., Component]
) -> tuple[OpenService, sa.Table]:
    """The service and the real table a URL names; unknown ones are decided on the name as sent first."""
    access.ensure_caller(identity=identity)
    try:
        opened = open_checked(identity, service)
        return opened, opened.table(name)
    except NotFound:
        access.ensure(identity=identity, verb=verb, service=service, component=make(name, folds=False))
        raise


def on_table(table: sa.Table, make: Callable[..., Component] = components.table) -> Component:
    """The component of a real table; its name compares in any case only when no other table shares it."""
    return make(table.name, folds=case_unique(table))


def _records(service: str, name: str, verb: str) -> tuple[OpenService, sa.Table, access.Grant]:
    identity = identify()
    opened, table = resolve(identity, service, name, verb, components.table)
    grant = access.ensure(identity=identity, verb=verb, service=service, component=on_table(table))
    return opened, table, grant


def _ensure_reaches(identity: Identity, service: str) -> None:
    """401/403 unless the caller may use some verb on some component of the service."""
    if not access.reaches(identity=identity, service=service):
        access.ensure(identity=identity, verb="GET", service=service, component=components.ROOT_COMPONENT)


answer_outages(bp)


# Registered on the app, after the transport and network guards (their blueprint comes last): a remote
# HTTP service's path may match a database route (`_table/...`), or none at all.
@bp.before_app_request
def to_remote_service():
    """Requests under /api/v2/<svc>/ of a remote HTTP service go to the proxy, whatever route matched;
    a path no route names is decided on the service name as sent (401/403), like every data path."""
    found = REMOTE_PATH.match(request.path)
    if found is None or request.method == "OPTIONS":
        return None
    name, rest = found.group(1), found.group(2) or ""
    if name in RESERVED_SERVICE_NAMES:
        return None  # the admin, user and docs APIs: never a service, never a lookup of the rows
    if remote.remote_service(name) is not None:
        return remote.proxy(name, rest)
    if rest and isinstance(request.routing_exception, HTTPNotFound):
        return remote.proxy(name, rest)
    return None


@bp.get("")
def list_reachable_services():
    """The services the caller can reach."""
    identity = identify()
    with session_scope() as db:
        services = [s for s in list_services(db) if s.is_active]
    body = [
        {"name": s.name, "label": s.label, "description": s.description, "type": s.type}
        for s in services
        if access.reaches(identity=identity, service=s.name)
    ]
    return {"resource": body}


@bp.get("/<service>")
def get_service_root(service: str):
    """The resources of a service, or (admins, `as_access_list`) every grantable component."""
    identity = identify()
    if request.args.get("as_access_list", "").lower() in ("1", "true"):
        require_admin()
        return {"resource": components.access_list(open_checked(identity, service).tables())}
    _ensure_reaches(identity, service)
    open_checked(identity, service)
    return {"resource": [{"name": components.TABLE}, {"name": components.SCHEMA}]}


@bp.get("/<service>/_table")
def list_tables(service: str):
    """The tables the caller can reach, each with its allowed verbs."""
    identity = identify()
    _ensure_reaches(identity, service)
    opened = open_checked(identity, service)
    tables = []
    for name in opened.tables():
        verbs = access.allowed_verbs(
            identity=identity, service=service, component=on_table(opened.table(name))
        )
        if verbs:
            tables.append({"name": name, "verbs": verbs})
    return {"resource": tables}


@bp.route("/<service>/_table/<path:rest>", methods=list(VERBS))
def table_resource(service: str, rest: str):
    """Records of a table (`_table/<t>`) or one record (`_table/<t>/<id>`); `<t>` may hold `%2F`."""
    table, record_id = table_path.split(rest)
    method = "GET" if request.method == "HEAD" else request.method
    if record_id is None:
        return TABLE_VIEWS[method](service, table)
    if method == "POST":
        raise MethodNotAllowed("POST is not allowed on one record; POST to the table")
    return RECORD_VIEWS[method](service, table, record_id)


def list_records(service: str, table: str):
    opened, target, grant = _records(service, table, "GET")
    params = parse_list_params(request.args, opened.max_records)
    return ops.list_records(opened.engine, target, grant, params, read_plans())


def _body_or_none():
    return json_body() if request.get_data(cache=True) else None


def create_records(service: str, table: str):
    opened, target, grant = _records(service, table, "POST")
    params = parse_write_params(request.args)
    items = ops.records_from_body(json_body())
    body = ops.create_records(opened.engine, target, grant, items, params.mode, params.fields)
    return jsonify(body), 201


def update_records(service: str, table: str):
    opened, target, grant = _records(service, table, request.method)
    params = parse_write_params(request.args)
    partial, body = request.method == "PATCH", json_body()
    if params.filter is not None or params.ids is not None:
        if not isinstance(body, dict) or "resource" in body:
            raise BadRequest("With 'filter' or 'ids', send one JSON object of the values to set")
        if params.filter is not None:
            return ops.update_by_filter(opened.engine, target, grant, params.filter, body, params.fields)
        return ops.update_by_ids(
            opened.engine,
            target,
            grant,
            params.ids,
            body,
            params.mode,
            partial,
            params.fields,
            params.id_field,
        )
    items = ops.records_from_body(body)
    return ops.update_records(
        opened.engine, target, grant, items, params.mode, partial, params.fields, params.id_field
    )


def delete_records(service: str, table: str):
    opened, target, grant = _records(service, table, "DELETE")
    params = parse_write_params(request.args)
    body = _body_or_none()
    items = ops.records_from_body(body) if body is not None else None
    if params.ids is None and params.filter is None and items is None:
        raise BadRequest("Name the records to delete with 'ids', 'filter' or a request body")
    return ops.delete_records(
        opened.engine,
        target,
        grant,
        ids=params.ids,
        records=items,
        filter_text=params.filter,
        mode=params.mode,
        fields=params.fields,
        id_field=params.id_field,
    )


def get_record(service: str, table: str, record_id: str):
    opened, target, grant = _records(service, table, "GET")
    params = parse_write_params(request.args)
    return ops.get_record(
        opened.engine, target, grant, record_id, params.fields, params.id_field, read_plans()
    )


def update_record(service: str, table: str, record_id: str):
    opened, target, grant = _records(service, table, request.method)
    params = parse_write_params(request.args)
    values = json_body()
    if not isinstance(values, dict):
        raise BadRequest("Send one JSON object of the values to set")
    return ops.update_record(
        opened.engine,
        target,
        grant,
        record_id,
        values,
        request.method == "PATCH",
        params.fields,
        params.id_field,
    )


def delete_record(service: str, table: str, record_id: str):
    opened, target, grant = _records(service, table, "DELETE")
    params = parse_write_params(request.args)
    return ops.delete_record(opened.engine, target, grant, record_id, params.fields, params.id_field)


TABLE_VIEWS = {
    "GET": list_records,
    "POST": create_records,
    "PUT": update_records,
    "PATCH": update_records,
    "DELETE": delete_records,
}
RECORD_VIEWS = {"GET": get_record, "PUT": update_record, "PATCH": update_record, "DELETE": delete_record}


@bp.get("/<service>/_schema")
def list_schema(service: str):
    """The tables whose metadata the caller may read."""
    identity = identify()
    _ensure_reaches(identity, service)
    opened = open_checked(identity, service)
    names = [n for n in opened.tables() if _schema_grant(identity, service, opened.table(n)) is not None]
    return {"resource": [{"name": n} for n in names]}


def _schema_grant(identity: Identity, service: str, table: sa.Table) -> access.Grant | None:
    found = access.table_access(
        identity=identity, service=service, table=table.name, folds=case_unique(table)
    )
    return found.schema


@bp.get("/<service>/_schema/<path:rest>")
def get_schema(service: str, rest: str):
    """Metadata of one table: only columns, keys and relations the caller may see."""
    identity = identify()
    name, _ = table_path.split(rest, with_id=False)
    _, table = resolve(identity, service, name, "GET", components.schema)
    grant = _schema_grant(identity, service, table)
    if grant is None:
        raise access.denial("GET", service, on_table(table, components.schema))

    def sees(other: sa.Table, columns: list[str]) -> bool:
        other_grant = _schema_grant(identity, service, other) if other.schema is None else None
        return other_grant is not None and all(other_grant.allows_column(c) for c in columns)

    return describe_table(table, grant.allows_column, None if identity.is_admin else sees)
