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
from flask import Blueprint, request
from werkzeug.exceptions import NotFound as HTTPNotFound

from bastion import access, components, current, tunnel
from bastion.api import download, remote, schema_parts, table_path, write_body
from bastion.api.opened import answer_outages, open_checked
from bastion.api.resource_lists import SERVICE_ROOT, parse_list_options, shaped
from bastion.api.table_grants import on_table, read_grants, write_grants
from bastion.auth import Identity, identify, require_admin
from bastion.components import Component
from bastion.config import current_settings
from bastion.data import cursors
from bastion.data import records as ops
from bastion.data.params import parse_list_params, parse_read_params
from bastion.data.schema import case_unique, describe_table
from bastion.errors import BadRequest, MethodNotAllowed, NotFound
from bastion.models import RESERVED_SERVICE_NAMES
from bastion.registry import OpenService, read_plans
from bastion.service_types import SQL_TYPE
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


def _records(service: str, name: str, verb: str) -> tuple[OpenService, sa.Table, access.Grant]:
    identity = identify()
    opened, table = resolve(identity, service, name, verb, components.table)
    grant = access.ensure(identity=identity, verb=verb, service=service, component=on_table(table))
    return opened, table, grant


def _ensure_reaches(identity: Identity, service: str) -> None:
    """401/403 unless the caller may use some verb on some component of the service (the database
    routes: a remote HTTP service's requests never reach them, see to_remote_service)."""
    if not access.reaches(identity=identity, service=service, kind=SQL_TYPE):
        access.ensure(identity=identity, verb="GET", service=service, component=components.ROOT_COMPONENT)


answer_outages(bp)


# Registered on the app, after the transport and network guards (their blueprint comes last): a remote
# HTTP service's path may match a database route (`_table/...`), or none at all.
@bp.before_app_request
def to_remote_service():
    """Requests under /api/v2/<svc>/ of a remote HTTP service go to the proxy, whatever route matched;
    a path no route names is decided on the service name as sent (401/403), like every data path."""
    asked = current.asked()
    found = REMOTE_PATH.match(asked.path)
    if found is None or asked.method == "OPTIONS":
        return None
    name, rest = found.group(1), found.group(2) or ""
    if name in RESERVED_SERVICE_NAMES:
        return None  # the admin, user and docs APIs: never a service, never a lookup of the rows
    if remote.remote_service(name) is not None:
        return remote.proxy(name, rest)
    if rest and isinstance(asked.routing_exception, HTTPNotFound):
        return remote.proxy(name, rest)
    return None


@bp.get("/<service>")
def get_service_root(service: str):
    """The resources of a service, or (admins, `as_access_list`) every grantable component."""
    identity = identify()
    if request.args.get("as_access_list", "").lower() in ("1", "true"):
        require_admin()
        return {"resource": components.access_list(open_checked(identity, service).tables())}
    _ensure_reaches(identity, service)
    options = parse_list_options(request.args, SERVICE_ROOT)
    open_checked(identity, service)
    names = [name for name in (components.TABLE, components.SCHEMA) if options.wants(name)]
    return shaped([{"name": name} for name in names], options)


@bp.get("/<service>/_table")
def list_tables(service: str):
    """The tables the caller can reach, each with its allowed verbs (DreamFactory's list options apply)."""
    identity = identify()
    _ensure_reaches(identity, service)
    options = parse_list_options(request.args)
    opened = open_checked(identity, service)
    tables = []
    for name in filter(options.wants, opened.tables()):
        verbs = access.allowed_verbs(
            identity=identity, service=service, component=on_table(opened.table(name))
        )
        if verbs:
            access_key = {"access": verbs} if options.include_access else {}
            tables.append({"name": name, "verbs": verbs} | access_key)
    return shaped(tables, options)


@bp.route("/<service>/_table/<path:rest>", methods=list(VERBS))
def table_resource(service: str, rest: str):
    """Records of a table (`_table/<t>`) or one record (`_table/<t>/<id>`); `<t>` may hold `%2F`."""
    table, record_id = table_path.split(rest)
    method = request.method
    method = "GET" if method == "HEAD" else method
    if record_id is None:
        return TABLE_VIEWS[method](service, table)
    if method == "POST":
        raise MethodNotAllowed("POST is not allowed on one record; POST to the table")
    return RECORD_VIEWS[method](service, table, record_id)


def list_records(service: str, table: str):
    """GET _table/<t>: a page of records (with `related` records when asked); `count_only` answers the bare
    number, `include_schema` adds `meta.schema`, `file` makes it a download."""
    opened, target, grant = _records(service, table, "GET")
    args = tunnel.query_args()
    params, attachment = parse_list_params(args, opened.max_records), download.file_name(args)
    identity = identify()
    # The schema is decided before any record is read: a caller who may not see it gets a 403, not rows.
    schema = _described(identity, service, target) if params.include_schema else None
    body = ops.list_records(
        opened.engine,
        target,
        grant,
        params,
        read_plans(),
        read_grants(identity, service),
        opened.max_records,
        cursors.signing_key(current_settings().app_key),
    )
    if params.count_only:
        return download.answer(body["count"], attachment)
    if schema is not None:
        body.setdefault("meta", {})["schema"] = schema
    return download.answer(body, attachment)


def create_records(service: str, table: str):
    """POST _table/<t>: create records (and the related records they carry); keys naming no column are
    dropped and listed in X-Ignored-Fields."""
    opened, target, grant = _records(service, table, "POST")
    params, body, _ = write_body.write_request(target, grant)
    items, ignored = write_body.known_records(target, grant, ops.records_from_body(body))
    nesting = write_grants(identify(), service, params.allow_related_delete)
    body = ops.create_records(opened.engine, target, grant, items, params.mode, params.fields, nesting)
    return write_body.answer(body, ignored, 201)


def update_records(service: str, table: str):
    """PUT/PATCH _table/<t>: update the body's records (with their related records), or set one object of
    values on records named by `filter` or `ids` (in the query string or the body)."""
    opened, target, grant = _records(service, table, request.method)
    params, body, _ = write_body.write_request(target, grant)
    partial = request.method == "PATCH"
    if params.filter is not None or params.ids is not None:
        try:
            values, ignored = write_body.known_values(target, grant, body)
        except BadRequest:
            raise BadRequest("With 'filter' or 'ids', send one JSON object of the values to set") from None
        if params.filter is not None:
            result = ops.update_by_filter(
                opened.engine, target, grant, params.filter, values, params.fields, params.filter_params
            )
            return write_body.answer(result, ignored)
        result = ops.update_by_ids(
            opened.engine,
            target,
            grant,
            params.ids,
            values,
            params.mode,
            partial,
            params.fields,
            params.id_field,
        )
        return write_body.answer(result, ignored)
    items, ignored = write_body.known_records(target, grant, ops.records_from_body(body))
    nesting = write_grants(identify(), service, params.allow_related_delete)
    result = ops.update_records(
        opened.engine, target, grant, items, params.mode, partial, params.fields, params.id_field, nesting
    )
    return write_body.answer(result, ignored)


def delete_records(service: str, table: str):
    """DELETE _table/<t>: delete the body's records, or the records named by `ids` or `filter` (in the
    query string or the body)."""
    opened, target, grant = _records(service, table, "DELETE")
    params, body, from_body = write_body.write_request(target, grant, required=False)
    items = write_body.records_to_delete(body, from_body, params)
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
        params=params.filter_params,
    )


def get_record(service: str, table: str, record_id: str):
    """GET _table/<t>/<id>: one record, with `related` records when asked."""
    opened, target, grant = _records(service, table, "GET")
    args = tunnel.query_args()
    (params, related), attachment = parse_read_params(args), download.file_name(args)
    record = ops.get_record(
        opened.engine,
        target,
        grant,
        record_id,
        params.fields,
        params.id_field,
        read_plans(),
        related,
        read_grants(identify(), service),
        opened.max_records,
    )
    return download.answer(record, attachment)


def update_record(service: str, table: str, record_id: str):
    """PUT/PATCH _table/<t>/<id>: update one record, and the related records its body carries."""
    opened, target, grant = _records(service, table, request.method)
    params, body, _ = write_body.write_request(target, grant)
    values, ignored = write_body.known_values(target, grant, body)
    result = ops.update_record(
        opened.engine,
        target,
        grant,
        record_id,
        values,
        request.method == "PATCH",
        params.fields,
        params.id_field,
        write_grants(identify(), service, params.allow_related_delete),
    )
    return write_body.answer(result, ignored)


def delete_record(service: str, table: str, record_id: str):
    """DELETE _table/<t>/<id>: delete one record."""
    opened, target, grant = _records(service, table, "DELETE")
    params, _, _ = write_body.write_request(target, grant, required=False)
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
    """The tables whose metadata the caller may read; with `ids`, the description of each named table."""
    identity = identify()
    _ensure_reaches(identity, service)
    options = parse_list_options(request.args)
    opened = open_checked(identity, service)
    # Reading the schema is all `_schema` offers, so that is the access a caller who sees a table has.
    seen = {"access": ["GET"]} if options.include_access else {}
    if options.ids is not None:
        described = []
        for name in dict.fromkeys(options.ids):
            _, table = resolve(identity, service, name, "GET", components.schema)
            described.append(_described(identity, service, table) | seen)
        return shaped(described, options)
    names = [n for n in opened.tables() if _schema_grant(identity, service, opened.table(n)) is not None]
    return shaped([{"name": n} | seen for n in names], options)


def _schema_grant(identity: Identity, service: str, table: sa.Table) -> access.Grant | None:
    found = access.table_access(
        identity=identity, service=service, table=table.name, folds=case_unique(table)
    )
    return found.schema


@bp.get("/<service>/_schema/<path:rest>")
def get_schema(service: str, rest: str):
    """Metadata of one table: only columns, keys and relations the caller may see; DreamFactory's
    `_field`, `_field/<f>`, `<f>`, `_related` and `_related/<r>` answer those parts of it."""
    identity = identify()
    name, part = table_path.split_schema(rest)
    _, table = resolve(identity, service, name, "GET", components.schema)
    return schema_parts.part_of(_described(identity, service, table), part)


def _described(identity: Identity, service: str, table: sa.Table) -> dict:
    """What `_schema/<table>` answers this caller: only what the role may see, else its 403."""
    grant = _schema_grant(identity, service, table)
    if grant is None:
        raise access.denial("GET", service, on_table(table, components.schema))

    grant_of = read_grants(identity, service)

    def sees(other: sa.Table, columns: list[str]) -> bool:
        # A relationship is listed only when `related=` could read it: GET on the other table's component.
        other_grant = grant_of(other)
        return other_grant is not None and all(other_grant.allows_column(c) for c in columns)

    return describe_table(table, grant.allows_column, None if identity.is_admin else sees)
