"""The data API of database services (DESIGN §5): /api/v2, _table, _table/<t>[/<id>], _schema.

Every view asks access.decide() for the caller, verb and component before touching the database, and
passes the grant it returns (row conditions, visible columns) to the record operations.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from bastion import access
from bastion.access_index import AccessIndex, current_index
from bastion.api.body import json_body
from bastion.auth import Identity, identify, require_admin
from bastion.data import records as ops
from bastion.data.dberrors import log_outage
from bastion.data.params import parse_list_params, parse_write_params
from bastion.data.schema import describe_table
from bastion.db import session_scope
from bastion.errors import BadRequest, error_response
from bastion.registry import OpenService, find_active_service, open_service
from bastion.services.data_services import list_services

bp = Blueprint("data", __name__, url_prefix="/api/v2")
log = logging.getLogger("bastion")
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _service(name: str, component: str, verb: str = "GET") -> tuple[OpenService, access.Grant]:
    grant = access.decide(identify(), current_index(), verb, name, component)
    return _open(name), grant


def _open(name: str) -> OpenService:
    opened = open_service(find_active_service(name))
    if request.args.get("refresh", "").lower() in ("1", "true"):
        opened.refresh()
    return opened


def _allowed_verbs(identity: Identity, index: AccessIndex, service: str, component: str) -> list[str]:
    """The verbs the caller may use on a component, each decided like a real request."""
    return [v for v in VERBS if access.decide_for(identity, index, v, service, component).allowed]


def _reachable(service: str) -> tuple[Identity, AccessIndex]:
    """The caller's identity, after checking it may reach the service at all (else 401/403)."""
    identity, index = identify(), current_index()
    if not access.reachable_services(identity, index, [service]):
        access.decide(identity, index, "GET", service, "")  # raises the right 401 or 403
    return identity, index


def unreachable(exc: sa.exc.SQLAlchemyError):
    """A service's database is down, busy or slow: 503/504 naming the service (dberrors), one log line."""
    service = (request.view_args or {}).get("service", "?")
    error = log_outage(exc, service)
    return error_response(error.code, error.message, None, error.headers)


bp.register_error_handler(sa.exc.OperationalError, unreachable)
bp.register_error_handler(sa.exc.InterfaceError, unreachable)
bp.register_error_handler(sa.exc.TimeoutError, unreachable)


@bp.get("")
def list_reachable_services():
    identity, index = identify(), current_index()
    with session_scope() as db:
        services = [s for s in list_services(db) if s.is_active]
    names = set(access.reachable_services(identity, index, [s.name for s in services]))
    body = [
        {"name": s.name, "label": s.label, "description": s.description, "type": s.type}
        for s in services
        if s.name in names
    ]
    return {"resource": body}


@bp.get("/<service>")
def get_service_root(service: str):
    if request.args.get("as_access_list", "").lower() in ("1", "true"):
        require_admin()
        return {"resource": access_list(_open(service).tables())}
    _reachable(service)
    _open(service)
    return {"resource": [{"name": "_table"}, {"name": "_schema"}]}


def access_list(tables: list[str]) -> list[str]:
    """Every grantable component of a database service, for the role editor."""
    components = ["", "*", "_table", "_table/*", "_schema", "_schema/*"]
    for table in tables:
        components += [f"_table/{table}", f"_table/{table}/*", f"_schema/{table}"]
    return components


@bp.get("/<service>/_table")
def list_tables(service: str):
    identity, index = _reachable(service)
    opened = _open(service)
    tables = []
    for name in opened.tables():
        verbs = _allowed_verbs(identity, index, service, f"_table/{name}")
        if verbs:
            tables.append({"name": name, "verbs": verbs})
    return {"resource": tables}


@bp.get("/<service>/_table/<table>")
def list_records(service: str, table: str):
    opened, grant = _service(service, f"_table/{table}")
    params = parse_list_params(request.args, opened.max_records)
    return ops.list_records(opened.engine, opened.table(table), grant, params)


def _body_or_none():
    return json_body() if request.get_data(cache=True) else None


@bp.post("/<service>/_table/<table>")
def create_records(service: str, table: str):
    opened, grant = _service(service, f"_table/{table}", "POST")
    params = parse_write_params(request.args)
    items = ops.records_from_body(json_body())
    body = ops.create_records(opened.engine, opened.table(table), grant, items, params.mode, params.fields)
    return jsonify(body), 201


@bp.route("/<service>/_table/<table>", methods=["PUT", "PATCH"])
def update_records(service: str, table: str):
    opened, grant = _service(service, f"_table/{table}", request.method)
    params = parse_write_params(request.args)
    partial, target, body = request.method == "PATCH", opened.table(table), json_body()
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


@bp.delete("/<service>/_table/<table>")
def delete_records(service: str, table: str):
    opened, grant = _service(service, f"_table/{table}", "DELETE")
    params = parse_write_params(request.args)
    body = _body_or_none()
    items = ops.records_from_body(body) if body is not None else None
    if params.ids is None and params.filter is None and items is None:
        raise BadRequest("Name the records to delete with 'ids', 'filter' or a request body")
    return ops.delete_records(
        opened.engine,
        opened.table(table),
        grant,
        ids=params.ids,
        records=items,
        filter_text=params.filter,
        mode=params.mode,
        fields=params.fields,
        id_field=params.id_field,
    )


@bp.get("/<service>/_table/<table>/<record_id>")
def get_record(service: str, table: str, record_id: str):
    opened, grant = _service(service, f"_table/{table}")
    params = parse_write_params(request.args)
    return ops.get_record(
        opened.engine, opened.table(table), grant, record_id, params.fields, params.id_field
    )


@bp.route("/<service>/_table/<table>/<record_id>", methods=["PUT", "PATCH"])
def update_record(service: str, table: str, record_id: str):
    opened, grant = _service(service, f"_table/{table}", request.method)
    params = parse_write_params(request.args)
    values = json_body()
    if not isinstance(values, dict):
        raise BadRequest("Send one JSON object of the values to set")
    return ops.update_record(
        opened.engine,
        opened.table(table),
        grant,
        record_id,
        values,
        request.method == "PATCH",
        params.fields,
        params.id_field,
    )


@bp.delete("/<service>/_table/<table>/<record_id>")
def delete_record(service: str, table: str, record_id: str):
    opened, grant = _service(service, f"_table/{table}", "DELETE")
    params = parse_write_params(request.args)
    return ops.delete_record(
        opened.engine, opened.table(table), grant, record_id, params.fields, params.id_field
    )


@bp.get("/<service>/_schema")
def list_schema(service: str):
    identity, index = _reachable(service)
    names = [n for n in _open(service).tables() if _allowed_verbs(identity, index, service, f"_schema/{n}")]
    return {"resource": [{"name": n} for n in names]}


@bp.get("/<service>/_schema/<table>")
def get_schema(service: str, table: str):
    opened, grant = _service(service, f"_schema/{table}")
    return describe_table(opened.table(table), grant.allows_column)
