"""/api/v2/system/role: roles with their access entries inline (DESIGN §4)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint

from bastion.api import batches
from bastion.api.batches import strip_own_id
from bastion.api.body import json_body, validate
from bastion.api.listing import Resource, get_resource, list_resource, public_page
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.docs.routes import documented, resource_docs
from bastion.errors import ApiError
from bastion.models import Service
from bastion.models_access import Role, RoleCreate, RoleUpdate
from bastion.models_public import RolePublic
from bastion.registry import open_service
from bastion.secrets import get_box
from bastion.services import lookups, roles
from bastion.services.data_services import list_services

bp = Blueprint("roles", __name__, url_prefix="/api/v2/system/role")

DOCS = resource_docs("role", RoleCreate, RoleUpdate, RolePublic)


def public(role: Role) -> dict:
    """The JSON form of a role (the form of a list's page, so the two cannot differ)."""
    return public_page(RolePublic, [role])[0]


def _translate_dreamfactory(item: Any, services: list[Service]) -> Any:
    return roles.from_dreamfactory(item, {s.id: s.name for s in services})


def _schema_context(services: list[Service]):
    names = {s.name.lower(): s.type for s in services}  # name to type: an http service has paths
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


def _dreamfactory_access(db, role: Role) -> list[dict]:
    """The role's entries in DreamFactory's related form, for clients that read them back."""
    return roles.to_dreamfactory(role, {s.name.lower(): s.id for s in list_services(db)})


RESOURCE = Resource(
    model=Role,
    columns=("id", "name", "description", "is_active", "created_at", "updated_at"),
    public=lambda db, role: public(role),
    public_many=lambda db, rows: public_page(RolePublic, rows),
    keys=tuple(RolePublic.model_fields),
    related={
        roles.DREAMFACTORY_ACCESS: _dreamfactory_access,
        **{
            name: (lambda db, role, name=name: lookups.related(db, "role", role.id)[name])
            for name in lookups.KEYS["role"]
        },
    },
)


def _updater(services: list[Service]):
    """The function that updates one role from a body, checked against the services' real schema."""
    names, tables_of = _schema_context(services)

    def update(db, role_id: int, body) -> dict:
        lookup_items = lookups.take_related(body, "role")
        data = validate(RoleUpdate, _translate_dreamfactory(body, services))
        role = roles.update_role(db, role_id, data, names, tables_of)
        lookups.save_related(db, get_box(), "role", role.id, lookup_items)
        return public(role)

    return update


def _services() -> list[Service]:
    with session_scope() as db:
        return list_services(db)


@bp.get("")
@admin_required
@documented(DOCS.list)
def list_roles():
    """List roles."""
    with session_scope() as db:
        return list_resource(db, RESOURCE)


@bp.get("/<id:role_id>")
@admin_required
@documented(DOCS.get)
def get_role(role_id: int):
    """Get a role."""
    with session_scope() as db:
        return get_resource(db, RESOURCE, roles.get_role(db, role_id))


@bp.post("")
@admin_required
@documented(DOCS.create)
def create_role():
    """Create one role, or several in the batch form."""
    services = _services()
    names, tables_of = _schema_context(services)

    def create(db, item) -> dict:
        lookup_items = lookups.take_related(item, "role")
        data = validate(RoleCreate, _translate_dreamfactory(item, services))
        role = roles.create_role(db, data, names, tables_of)
        lookups.save_related(db, get_box(), "role", role.id, lookup_items)
        return public(role)

    return batches.create(create)


@bp.route("/<id:role_id>", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_one)
def update_role(role_id: int):
    """Update a role: the fields sent."""
    update = _updater(_services())
    body = strip_own_id(json_body(), role_id)
    with session_scope() as db:
        return update(db, role_id, body)


@bp.route("", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_many)
def update_roles():
    """Update several roles (ids=, or a resource list with ids)."""
    return batches.run(batches.update_items(), _updater(_services()))


@bp.delete("/<id:role_id>")
@admin_required
@documented(DOCS.delete_one)
def delete_role(role_id: int):
    """Delete a role."""
    with session_scope() as db:
        return public(roles.delete_role(db, role_id))


@bp.delete("")
@admin_required
@documented(DOCS.delete_many)
def delete_roles():
    """Delete several roles."""
    return batches.run(batches.delete_items(), lambda db, role_id, _: public(roles.delete_role(db, role_id)))
