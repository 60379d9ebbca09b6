"""/api/v2/system/admin: list, get, create, update, delete admins (password never returned)."""

from __future__ import annotations

from flask import Blueprint

from bastion.api import batches
from bastion.api.batches import strip_own_id
from bastion.api.body import json_body, validate
from bastion.api.listing import Resource, get_resource, list_resource
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.docs.routes import documented, resource_docs
from bastion.models import PERSON_FIELDS, AdminCreate, AdminPublic, AdminUpdate, User
from bastion.services import accounts

bp = Blueprint("admins", __name__, url_prefix="/api/v2/system/admin")

DOCS = resource_docs("admin", AdminCreate, AdminUpdate, AdminPublic)


def public(user: User) -> dict:
    """The JSON form of an admin: no password hash, ever."""
    return AdminPublic.model_validate(user, from_attributes=True).model_dump(mode="json")


RESOURCE = Resource(
    model=User,
    columns=("id", "email", "name", *PERSON_FIELDS, "is_active", "last_login_at", "created_at", "updated_at"),
    public=lambda db, user: public(user),
    keys=tuple(AdminPublic.model_fields),
    where=(User.is_sys_admin == True,),  # noqa: E712 (SQL, not Python)
)


def _update(db, admin_id: int, body) -> dict:
    return public(accounts.update_admin(db, admin_id, validate(AdminUpdate, body)))


@bp.get("")
@admin_required
@documented(DOCS.list)
def list_admins():
    """List admins."""
    with session_scope() as db:
        return list_resource(db, RESOURCE)


@bp.get("/<id:admin_id>")
@admin_required
@documented(DOCS.get)
def get_admin(admin_id: int):
    """Get an admin."""
    with session_scope() as db:
        return get_resource(db, RESOURCE, accounts.get_admin(db, admin_id))


@bp.post("")
@admin_required
@documented(DOCS.create)
def create_admin():
    """Create one admin, or several in the batch form."""
    return batches.create(lambda db, item: public(accounts.create_admin(db, validate(AdminCreate, item))))


@bp.route("/<id:admin_id>", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_one)
def update_admin(admin_id: int):
    """Update an admin: the fields sent."""
    body = strip_own_id(json_body(), admin_id)
    with session_scope() as db:
        return _update(db, admin_id, body)


@bp.route("", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_many)
def update_admins():
    """Update several admins."""
    return batches.run(batches.update_items(), _update)


@bp.delete("/<id:admin_id>")
@admin_required
@documented(DOCS.delete_one)
def delete_admin(admin_id: int):
    """Delete an admin."""
    with session_scope() as db:
        return public(accounts.delete_admin(db, admin_id))


@bp.delete("")
@admin_required
@documented(DOCS.delete_many)
def delete_admins():
    """Delete several admins; the last active one stays."""
    return batches.run(
        batches.delete_items(), lambda db, admin_id, _: public(accounts.delete_admin(db, admin_id))
    )
