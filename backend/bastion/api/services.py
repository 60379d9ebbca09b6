"""/api/v2/system/service and /service_type: data services, their config forms, connection tests."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from bastion.api.body import json_body, records, validate
from bastion.auth import admin_required
from bastion.data.engines import test_connection as try_connection
from bastion.data.target_files import SystemTargets
from bastion.data.target_guard import current_targets
from bastion.db import session_scope
from bastion.errors import NotFound, ValidationError
from bastion.models import Service, ServiceCreate, ServicePublic, ServiceUpdate
from bastion.secrets import get_box
from bastion.service_types import SERVICE_TYPES
from bastion.services import audit, data_services
from bastion.services.data_services import ensure_secret_usable, masked_config

bp = Blueprint("services", __name__, url_prefix="/api/v2/system")


def public(service: Service) -> dict:
    """The JSON form of a service, secrets masked."""
    data = ServicePublic.model_validate(service, from_attributes=True).model_dump(mode="json")
    data["config"] = masked_config(service)
    return data


def _targets() -> SystemTargets:
    targets = current_targets()
    assert targets is not None  # a view always runs inside the app
    return targets


def _dispose(service_id: int) -> None:
    current_app.extensions["bastion.engines"].dispose(service_id)


@bp.get("/service_type")
@admin_required
def list_service_types():
    return {"resource": list(SERVICE_TYPES.values())}


@bp.get("/service_type/<name>")
@admin_required
def get_service_type(name: str):
    if name not in SERVICE_TYPES:
        raise NotFound(f"Service type '{name}' not found")
    return SERVICE_TYPES[name]


@bp.get("/service")
@admin_required
def list_services():
    with session_scope() as db:
        return {"resource": [public(s) for s in data_services.list_services(db)]}


@bp.get("/service/<id:service_id>")
@admin_required
def get_service(service_id: int):
    with session_scope() as db:
        return public(data_services.get_service(db, service_id))


@bp.post("/service")
@admin_required
def create_service():
    items, batch = records(json_body())
    payloads = [validate(ServiceCreate, item) for item in items]
    with session_scope() as db:
        created = [public(data_services.create_service(db, get_box(), p, _targets())) for p in payloads]
    return jsonify({"resource": created} if batch else created[0]), 201


@bp.route("/service/<id:service_id>", methods=["PUT", "PATCH"])
@admin_required
def update_service(service_id: int):
    data = validate(ServiceUpdate, json_body())
    with session_scope() as db:
        body = public(data_services.update_service(db, get_box(), service_id, data, _targets()))
    _dispose(service_id)
    return body


@bp.delete("/service/<id:service_id>")
@admin_required
def delete_service(service_id: int):
    with session_scope() as db:
        body = public(data_services.delete_service(db, service_id))
    _dispose(service_id)
    return body


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
def test_service(service_id: int):
    """Try the service's connection, optionally with edited config fields that are not saved."""
    edited = _edited_config()
    with session_scope() as db:
        service = data_services.get_service(db, service_id)
        # Recorded before the attempt: a probe of other hosts through a service shows up, failed or not.
        tried = {"config": edited} if edited else None
        audit.record(db, "test_connection", "service", service.id, after=tried)
    ensure_secret_usable(get_box(), service)
    try_connection(data_services.config_to_test(get_box(), service, edited, _targets()))
    return {"success": True, "message": f"Connected to service '{service.name}'"}
