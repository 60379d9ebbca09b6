"""/api/v2/system/role: roles with their access entries inline (DESIGN §4)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify

from bastion.api.body import json_body, records, validate
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.errors import ApiError
from bastion.models import Service
from bastion.models_access import Role, RoleCreate, RoleUpdate
from bastion.registry import open_service
from bastion.services import roles
from bastion.services.data_services import list_services

bp = Blueprint("roles", __name__, url_prefix="/api/v2/system/role")


def public(role: Role) -> dict:
    """The JSON form of a role."""
    return {
        "id": role.id,
        "name": role.name,
        "description": role.description,
        "is_active": role.is_active,
        "access": role.access,
    }


def _translate_dreamfactory(item: Any, services: list[Service]) -> Any:
    return roles.from_dreamfactory(item, {s.id: s.name for s in services})


def _schema_context(services: list[Service]):
    names = {s.name.lower() for s in services}
    by_name = {s.name.lower(): s for s in services}

    def tables_of(name: str) -> dict[str, sa.Table]:
        try:
            opened = open_service(by_name[name])
            return {t: opened.table(t) for t in opened.tables()}
        except (ApiError, sa.exc.SQLAlchemyError) as exc:
            message = exc.message if isinstance(exc, ApiError) else type(exc).__name__
            raise ValueError(
                f"cannot read the schema of service '{name}' to check the entry: {message}"
            ) from None

    return names, tables_of


@bp.get("")
@admin_required
def list_roles():
    with session_scope() as db:
        return {"resource": [public(r) for r in roles.list_roles(db)]}


@bp.get("/<id:role_id>")
@admin_required
def get_role(role_id: int):
    with session_scope() as db:
        return public(roles.get_role(db, role_id))


@bp.post("")
@admin_required
def create_role():
    with session_scope() as db:
        services = list_services(db)
    items, batch = records(json_body())
    payloads = [validate(RoleCreate, _translate_dreamfactory(i, services)) for i in items]
    names, tables_of = _schema_context(services)
    with session_scope() as db:
        created = [public(roles.create_role(db, p, names, tables_of)) for p in payloads]
    return jsonify({"resource": created} if batch else created[0]), 201


@bp.route("/<id:role_id>", methods=["PUT", "PATCH"])
@admin_required
def update_role(role_id: int):
    with session_scope() as db:
        services = list_services(db)
    data = validate(RoleUpdate, _translate_dreamfactory(json_body(), services))
    names, tables_of = _schema_context(services)
    with session_scope() as db:
        return public(roles.update_role(db, role_id, data, names, tables_of))


@bp.delete("/<id:role_id>")
@admin_required
def delete_role(role_id: int):
    with session_scope() as db:
        return public(roles.delete_role(db, role_id))
