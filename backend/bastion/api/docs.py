"""/api/v2/api_docs: OpenAPI documents per service, each reduced to what the caller's role allows (DESIGN §9).

A role entry on service `api_docs` with component `<svc>` or `*` grants the full document of that service
without any data access (an all-services entry never does). Without one, a caller sees the tables, verbs
and columns (per verb) that the data API's own decision allows them; a caller it allows nothing gets 403.
Admins see everything, and the admin API's own document (`system`).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, request

from bastion import access, components, http_answers
from bastion.access_index import current_index
from bastion.api.opened import answer_outages, open_checked
from bastion.auth import Identity, identify
from bastion.config import current_settings
from bastion.data.schema import case_unique
from bastion.db import session_scope
from bastion.docs.cache import documents
from bastion.docs.http_doc import generic_document, reduce_upstream
from bastion.docs.service_doc import FULL, TableView, build_service_document
from bastion.docs.system_doc import build_system_document
from bastion.docs.upstream_doc import DocumentRefused, check_document, parse_document
from bastion.errors import Forbidden, NotFound
from bastion.http_proxy import BadGateway, UpstreamTimeout, fetch_document
from bastion.models import Service
from bastion.registry import OpenService, find_active_service, schemas, secret_spellings
from bastion.service_types import HTTP_TYPE, SQL_TYPE
from bastion.services.data_services import list_services

bp = Blueprint("docs", __name__, url_prefix="/api/v2/api_docs")
answer_outages(bp)


def docs_enabled(service: Service) -> bool:
    """Whether the service publishes docs at all (config `docs`)."""
    return service.config.get("docs", "follow_role") != "disabled"


def role_view(identity: Identity, service: str):
    """The per-table visibility of a caller without a docs grant: exactly what the data API allows."""
    index = current_index()

    def visible(table: sa.Table) -> TableView:
        found = access.table_access(
            identity=identity, service=service, table=table.name, folds=case_unique(table), index=index
        )
        usable = {
            verb: grant.fields for verb, grant in found.verbs.items() if _usable(verb, grant.fields, table)
        }
        return TableView(usable, found.schema is not None)

    return visible


def _usable(verb: str, fields: frozenset[str] | None, table: sa.Table) -> bool:
    """Whether a granted verb can do anything on the table: a column list naming none of its columns
    makes every read and write of it a 403, so the document does not offer them (DELETE needs none)."""
    return verb == "DELETE" or fields is None or any(column.name in fields for column in table.columns)


def _readable(identity: Identity, service: str, kind: str) -> bool:
    """Whether the caller gets some document of the service: a docs grant, or data access to a table
    (or a path, of a remote HTTP service)."""
    return access.has_docs_grant(identity=identity, service=service) or access.reaches(
        identity=identity, service=service, kind=kind, tables_only=True
    )


def _kind_of(service: str) -> str:
    """The type of the active service of this name; a name that is no service is decided as a database
    service's, so the caller learns it does not exist only if their role reaches such a name."""
    try:
        return find_active_service(service).type
    except NotFound:
        return SQL_TYPE


def _server_url(service: str) -> str:
    return f"{request.url_root.rstrip('/')}/api/v2/{service}"


def _full_document(opened: OpenService) -> dict:
    """The full document, cached until the service or its reflected schema changes."""
    metadata = schemas().metadata(opened.service.id, opened.engine)
    key = (opened.service.id, opened.service.version, id(metadata), request.url_root)

    def build() -> dict:
        tables = [opened.table(name) for name in opened.tables()]
        return build_service_document(opened.name, tables, lambda _t: FULL, _server_url(opened.name))

    return documents().get(key, build)


@bp.get("")
def list_docs():
    """The services whose docs the caller may read."""
    identity = identify()
    access.ensure_caller(identity=identity)
    with session_scope() as db:
        services = [s for s in list_services(db) if s.is_active and docs_enabled(s)]
    names = [s.name for s in services if _readable(identity, s.name, s.type)]
    if identity.is_admin:
        names.append("system")
    return {"resource": [{"name": n, "path": f"/api/v2/api_docs/{n}"} for n in sorted(names)]}


@bp.get("/system")
def get_system_docs():
    """The admin API's own document (admins only)."""
    identity = identify()
    if not identity.is_admin:
        access.ensure_caller(identity=identity)
        raise Forbidden("The admin API's document is for admins only")
    return build_system_document(request.url_root.rstrip("/"))


@bp.get("/<service>")
def get_service_docs(service: str):
    """The document of one service: full with a docs grant, else exactly the caller's data access."""
    identity = identify()
    access.ensure_caller(identity=identity)
    full = access.has_docs_grant(identity=identity, service=service)
    kind = _kind_of(service)
    if not full and not access.reaches(identity=identity, service=service, kind=kind, tables_only=True):
        raise access.denial("GET", access.DOCS_SERVICE, service)
    row = find_active_service(service)
    if not docs_enabled(row):
        raise NotFound(f"Service '{service}' publishes no API docs")
    if row.type == HTTP_TYPE:
        return remote_document(identity, row, full)
    opened = open_checked(identity, service)
    if full:
        return _full_document(opened)
    tables = [opened.table(name) for name in opened.tables()]
    document = build_service_document(service, tables, role_view(identity, service), _server_url(service))
    if not document["paths"]:
        raise access.denial("GET", access.DOCS_SERVICE, service)
    return document


def _upstream_document(service: Service) -> dict | None:
    """The service's `openapi`: the JSON given, or fetched from its URL, with every spelling of the
    service's secrets masked (as in its proxied answers); cached per service version, and a failure to
    fetch or read it for FAILURE_SECONDS (docs/cache.py)."""
    given = service.config.get("openapi")
    if given is None:
        return None

    def load() -> dict:
        if not isinstance(given, dict) and not given.lstrip().startswith("{"):
            allowed = current_settings().http_services_allowed_networks
            document = fetch_document(service.name, given, service.config, allowed)
        else:  # pasted, and checked at save unless saved before the checks
            try:
                document = parse_document(given) if isinstance(given, str) else given
                check_document(document)
            except DocumentRefused as exc:
                raise BadGateway(f"Service '{service.name}': its OpenAPI document {exc}") from None
        return http_answers.redacted_json(document, secret_spellings(service))

    failures = (BadGateway, UpstreamTimeout)  # kept a while: a down upstream costs one timeout, not each
    return documents().get((service.id, service.version, "openapi"), load, failures)


def remote_document(identity: Identity, service: Service, full: bool) -> dict:
    """A remote HTTP service's document, reduced to the paths and verbs the caller's role allows."""
    verbs: dict[str, list[str]] = {}

    def allows(path: str, verb: str) -> bool:
        if full:
            return True
        if path not in verbs:
            component = components.path(path)
            verbs[path] = access.allowed_verbs(identity=identity, service=service.name, component=component)
        return verb in verbs[path]

    upstream = _upstream_document(service)
    url = _server_url(service.name)
    if upstream is not None:
        document = reduce_upstream(upstream, allows, url)
    else:
        named = ["*"] if full else access.named_components(identity=identity, service=service.name)
        document = generic_document(service.name, named, allows, url)
    if not document["paths"] and not full:
        raise access.denial("GET", access.DOCS_SERVICE, service.name)
    return document
