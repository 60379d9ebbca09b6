"""/api/v2/system/app: apps, their default role, and their API key (returned on create and rotate only)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from bastion.api.body import json_body, records, validate
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.models_access import App, AppCreate, AppUpdate
from bastion.services import apps
from bastion.services.sessions import as_utc

bp = Blueprint("apps", __name__, url_prefix="/api/v2/system/app")


def public(app: App, api_key: str | None = None) -> dict:
    """The JSON form of an app: a key fingerprint, and the key itself only when just issued."""
    body = {
        "id": app.id,
        "name": app.name,
        "description": app.description,
        "role_id": app.role_id,
        "is_active": app.is_active,
        "key_fingerprint": app.key_fingerprint,
        "last_used_at": as_utc(app.last_used_at).isoformat() if app.last_used_at else None,
        "last_used_from": app.last_used_from,
    }
    if api_key is not None:
        body["api_key"] = api_key
    return body


@bp.get("")
@admin_required
def list_apps():
    with session_scope() as db:
        return {"resource": [public(a) for a in apps.list_apps(db)]}


@bp.get("/<id:app_id>")
@admin_required
def get_app(app_id: int):
    with session_scope() as db:
        return public(apps.get_app(db, app_id))


@bp.post("")
@admin_required
def create_app():
    items, batch = records(json_body())
    payloads = [validate(AppCreate, item) for item in items]
    with session_scope() as db:
        created = [public(*apps.create_app_record(db, p)) for p in payloads]
    return jsonify({"resource": created} if batch else created[0]), 201


@bp.route("/<id:app_id>", methods=["PUT", "PATCH"])
@admin_required
def update_app(app_id: int):
    data = validate(AppUpdate, json_body())
    with session_scope() as db:
        return public(apps.update_app(db, app_id, data))


@bp.post("/<id:app_id>/rotate-key")
@admin_required
def rotate_key(app_id: int):
    with session_scope() as db:
        return public(*apps.rotate_key(db, app_id))


@bp.delete("/<id:app_id>")
@admin_required
def delete_app(app_id: int):
    with session_scope() as db:
        return public(apps.delete_app(db, app_id))
