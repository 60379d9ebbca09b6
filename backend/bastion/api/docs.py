"""/api/v2/api_docs: OpenAPI documents per service, each reduced to what the caller's role allows (DESIGN §9).

A role entry on service `api_docs` with component `<svc>` or `*` grants the full document of that service
without any data access. Without one, a caller with data access sees the tables, verbs and columns their
role allows; anyone else gets 403. Admins see everything, and the admin API's own document (`system`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, request

from bastion import access
from bastion.access_index import AccessIndex, current_index
from bastion.api.data import unreachable
from bastion.auth import Identity, identify
from bastion.db import session_scope
from bastion.docs.service_doc import FULL, TableView, build_service_document
from bastion.docs.system_doc import build_system_document
from bastion.errors import Forbidden, NotFound, Unauthorized
from bastion.models import Service
from bastion.registry import OpenService, find_active_service, open_service, schemas
from bastion.services.data_services import list_services

bp = Blueprint("docs", __name__, url_prefix="/api/v2/api_docs")
bp.register_error_handler(sa.exc.OperationalError, unreachable)
bp.register_error_handler(sa.exc.InterfaceError, unreachable)
DOCS = "api_docs"
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def docs_enabled(service: Service) -> bool:
    """Whether the service publishes docs at all (config `docs`)."""
    return service.config.get("docs", "follow_role") != "disabled"


def has_docs_grant(identity: Identity, index: AccessIndex, service: str) -> bool:
    """Whether the caller may read the full document of a service."""
    return identity.is_admin or access.decide_for(identity, index, "GET", DOCS, service).allowed


def role_view(identity: Identity, index: AccessIndex, service: str):
    """The per-table visibility of a caller without a docs grant, from their data access."""

    def visible(table: str) -> TableView:
        verbs, columns = [], None
        for verb in VERBS:
            decision = access.decide_for(identity, index, verb, service, f"_table/{table}")
            if decision.allowed:
                verbs.append(verb)
                if verb == "GET":
                    columns = decision.grant.fields
        schema = access.decide_for(identity, index, "GET", service, f"_schema/{table}")
        if columns is None and not verbs and schema.allowed:
            columns = schema.grant.fields
        return TableView(tuple(verbs), schema.allowed, columns)

    return visible


def _server_url(service: str) -> str:
    return f"{request.url_root.rstrip('/')}/api/v2/{service}"


def _full_document(opened: OpenService) -> dict:
    """The full document, cached until the service or its reflected schema changes."""
    cache = current_app.extensions.setdefault("bastion.docs", {})
    metadata = schemas().metadata(opened.service.id, opened.engine)
    key = (opened.service.id, opened.service.version, id(metadata), request.url_root)
    if key not in cache:
        tables = [opened.table(name) for name in opened.tables()]
        if len(cache) > 256:
            cache.clear()
        cache[key] = build_service_document(opened.name, tables, lambda _t: FULL, _server_url(opened.name))
    return cache[key]


@bp.get("")
def list_docs():
    identity, index = identify(), current_index()
    if identity.user is None and identity.app is None:
        raise Unauthorized("Authentication required: send an API key or a session token")
    with session_scope() as db:
        services = [s for s in list_services(db) if s.is_active and docs_enabled(s)]
    names = [s.name for s in services if has_docs_grant(identity, index, s.name)]
    reachable = access.reachable_services(identity, index, [s.name for s in services])
    names += [n for n in reachable if n not in names]
    if identity.is_admin:
        names.append("system")
    return {"resource": [{"name": n, "path": f"/api/v2/api_docs/{n}"} for n in sorted(names)]}


@bp.get("/system")
def get_system_docs():
    identity = identify()
    if not identity.is_admin:
        access.decide(identity, current_index(), "GET", DOCS, "system")  # 401 when anonymous
        raise Forbidden("The admin API's document is for admins only")
    return build_system_document(request.url_root.rstrip("/"))


@bp.get("/<service>")
def get_service_docs(service: str):
    identity, index = identify(), current_index()
    full = has_docs_grant(identity, index, service)
    if not full and service not in access.reachable_services(identity, index, [service]):
        access.decide(identity, index, "GET", DOCS, service)  # 401 or 403
    row = find_active_service(service)
    if not docs_enabled(row):
        raise NotFound(f"Service '{service}' publishes no API docs")
    opened = open_service(row)
    if request.args.get("refresh", "").lower() in ("1", "true"):
        opened.refresh()
    if full:
        return _full_document(opened)
    tables = [opened.table(name) for name in opened.tables()]
    document = build_service_document(
        service, tables, role_view(identity, index, service), _server_url(service)
    )
    if not document["paths"]:
        raise access.denial("GET", DOCS, service)
    return document
