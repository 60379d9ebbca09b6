"""/api/v2/system/admin: list, get, create, update, delete admins (password never returned)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from bastion.api.body import json_body, records, validate
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.models import AdminCreate, AdminPublic, AdminUpdate, User
from bastion.services import admins

bp = Blueprint("admins", __name__, url_prefix="/api/v2/system/admin")


def public(user: User) -> dict:
    """The JSON form of an admin: no password hash, ever."""
    return AdminPublic.model_validate(user, from_attributes=True).model_dump(mode="json")


@bp.get("")
@admin_required
def list_admins():
    with session_scope() as db:
        return {"resource": [public(u) for u in admins.list_admins(db)]}


@bp.get("/<id:admin_id>")
@admin_required
def get_admin(admin_id: int):
    with session_scope() as db:
        return public(admins.get_admin(db, admin_id))


@bp.post("")
@admin_required
def create_admin():
    items, batch = records(json_body())
    payloads = [validate(AdminCreate, item) for item in items]
    with session_scope() as db:
        created = [public(admins.create_admin(db, data)) for data in payloads]
    body = {"resource": created} if batch else created[0]
    return jsonify(body), 201


@bp.route("/<id:admin_id>", methods=["PUT", "PATCH"])
@admin_required
def update_admin(admin_id: int):
    data = validate(AdminUpdate, json_body())
    with session_scope() as db:
        return public(admins.update_admin(db, admin_id, data))


@bp.delete("/<id:admin_id>")
@admin_required
def delete_admin(admin_id: int):
    with session_scope() as db:
        return public(admins.delete_admin(db, admin_id))
