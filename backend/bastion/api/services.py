"""/api/v2/system/service and /service_type: data services, their config forms, connection tests."""

from __future__ import annotations

from flask import Blueprint, request

from bastion.api import batches
from bastion.api.batches import strip_own_id
from bastion.api.body import json_body, validate
from bastion.api.listing import Resource, get_resource, list_fixed, list_resource, public_page
from bastion.auth import admin_required
from bastion.config import current_settings
from bastion.data import service_warnings
from bastion.data.engines import test_connection as try_connection
from bastion.data.target_files import SystemTargets
from bastion.data.target_guard import current_targets
from bastion.db import session_scope
from bastion.docs import system_params as params
from bastion.docs.routes import documented, resource_docs
from bastion.errors import NotFound, ValidationError
from bastion.http_proxy import test_upstream
from bastion.models import Service, ServiceCreate, ServicePublic, ServiceSaved, ServiceUpdate
from bastion.registry import engines, http_pools
from bastion.secrets import get_box
from bastion.service_types import SERVICE_TYPES
from bastion.services import audit, data_services
from bastion.services.data_services import ensure_secret_usable, masked_config
from bastion.services.service_names import from_dreamfactory

bp = Blueprint("services", __name__, url_prefix="/api/v2/system")

DOCS = resource_docs("service", ServiceCreate, ServiceUpdate, ServicePublic)


def public_services(services: list[Service]) -> list[dict]:
    """The JSON forms of a page of services, secrets masked."""
    bodies = public_page(ServicePublic, services)
    for body, service in zip(bodies, services, strict=True):
        body["config"] = masked_config(service)
    return bodies


def public(service: Service) -> dict:
    """The JSON form of a service, secrets masked (the form of a list's page, so the two cannot differ)."""
    return public_services([service])[0]


def _targets() -> SystemTargets:
    targets = current_targets()
    assert targets is not None  # a view always runs inside the app
    return targets


def _dispose(service_id: int) -> None:
    engines().dispose(service_id)
    http_pools().dispose(service_id)


@bp.get("/service_type")
@admin_required
@documented(
    errors=(400, 401, 403),
    parameters=(
        *params.SERVICE_TYPE_PARAMS,
        {**params.query("group"), "description": "Comma list of groups (`Database`, `Remote Service`)"},
        params.flag("as_list", "true: answer the names only"),
    ),
)
def list_service_types():
    """Service types and their config fields; `group` (a comma list, any case) keeps those groups' types."""
    keys = ("name", "label", "group", "description", "config_schema")
    types = list(SERVICE_TYPES.values())
    if "group" in request.args:
        # As df-core's ServiceManager::getServiceTypes: a group with no type here (`File`) lists none.
        groups = {part.strip().lower() for part in request.args["group"].split(",") if part.strip()}
        types = [t for t in types if t["group"].lower() in groups]
    return list_fixed(types, keys, as_list_key="name", consumed=("group",))


@bp.get("/service_type/<name>")
@admin_required
@documented(errors=(401, 403, 404))
def get_service_type(name: str):
    """One service type's config fields, for forms."""
    if name not in SERVICE_TYPES:
        raise NotFound(f"Service type '{name}' not found")
    return SERVICE_TYPES[name]


RESOURCE = Resource(
    model=Service,
    columns=("id", "name", "label", "description", "type", "is_active", "mutable", "deletable")
    + ("created_at", "updated_at"),
    public=lambda db, service: public(service),
    public_many=lambda db, rows: public_services(rows),
    keys=tuple(ServicePublic.model_fields),
)


def saved(service: Service) -> dict:
    """A saved service's JSON form plus `warnings`: what will make it fail although it is valid."""
    return {**public(service), "warnings": service_warnings.warnings(service.type, service.config)}


def _create(db, item) -> dict:
    data = validate(ServiceCreate, from_dreamfactory(item))
    return saved(data_services.create_service(db, get_box(), data, _targets()))


def _update(db, service_id: int, body) -> dict:
    body = from_dreamfactory(body)
    if isinstance(body, dict) and "type" in body:
        # A service's type never changes; DreamFactory clients send it back on every update.
        if body["type"] != data_services.get_service(db, service_id).type:
            raise ValidationError({"type": "a service's type cannot change"})
        body = {k: v for k, v in body.items() if k != "type"}
    data = validate(ServiceUpdate, body)
    return saved(data_services.update_service(db, get_box(), service_id, data, _targets()))


def _delete(db, service_id: int, _body=None) -> dict:
    return public(data_services.delete_service(db, service_id))


@bp.get("/service")
@admin_required
@documented(DOCS.list)
def list_services():
    """List services."""
    with session_scope() as db:
        return list_resource(db, RESOURCE)


@bp.get("/service/<id:service_id>")
@admin_required
@documented(DOCS.get)
def get_service(service_id: int):
    """Get a service, secrets masked."""
    with session_scope() as db:
        return get_resource(db, RESOURCE, data_services.get_service(db, service_id))


@bp.post("/service")
@admin_required
@documented(DOCS.create, response=ServiceSaved)
def create_service():
    """Create one service, or several in the batch form (DreamFactory's types accepted)."""
    return batches.create(_create)


@bp.route("/service/<id:service_id>", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_one, response=ServiceSaved)
def update_service(service_id: int):
    """Update a service: the fields sent, config merged key by key."""
    body = strip_own_id(json_body(), service_id)
    with session_scope() as db:
        result = _update(db, service_id, body)
    _dispose(service_id)
    return result


@bp.route("/service", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_many, response=ServiceSaved)
def update_services():
    """Update several services."""
    items = batches.update_items()
    try:
        return batches.run(items, _update)
    finally:
        for service_id, _ in items:
            _dispose(service_id)


@bp.delete("/service/<id:service_id>")
@admin_required
@documented(DOCS.delete_one)
def delete_service(service_id: int):
    """Delete a service."""
    with session_scope() as db:
        body = _delete(db, service_id)
    _dispose(service_id)
    return body


@bp.delete("/service")
@admin_required
@documented(DOCS.delete_many)
def delete_services():
    """Delete several services."""
    items = batches.delete_items()
    try:
        return batches.run(items, _delete)
    finally:
        for service_id, _ in items:
            _dispose(service_id)


def _edited_config() -> dict:
    """The config fields a test sends over the stored ones (`{"config": {...}}`), or none."""
    if not request.get_data(cache=True):
        return {}
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"config"}:
        raise ValidationError({"body": 'send nothing, or {"config": {...}} with the fields to try'})
    if not isinstance(body.get("config", {}), dict):
        raise ValidationError({"config": "must be an object"})
    return body.get("config", {})


@bp.post("/service/<id:service_id>/test")
@admin_required
@documented()
def test_service(service_id: int):
    """Try the service's connection, optionally with edited config fields that are not saved."""
    edited = _edited_config()
    with session_scope() as db:
        service = data_services.get_service(db, service_id)
        # Recorded before the attempt: a probe of other hosts through a service shows up, failed or not.
        tried = {"config": edited} if edited else None
        audit.record(db, "test_connection", "service", service.id, after=tried)
    ensure_secret_usable(get_box(), service)
    config = data_services.config_to_test(get_box(), service, edited, _targets())
    if service.type == "http":
        status = test_upstream(config, current_settings().http_services_allowed_networks)
        return {"success": True, "message": f"Service '{service.name}': the remote API answered {status}"}
    try_connection(config)
    return {"success": True, "message": f"Connected to service '{service.name}'"}
