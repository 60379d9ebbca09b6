"""/api/v2/system/lookup: global lookups (admins only); private values are sealed and come back masked.

A role's and a user's lookups travel with the role or user (`lookup_by_role_id`, `lookup_by_user_id`).
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from bastion.api import batches
from bastion.api.body import json_body, records, validate
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.docs.routes import documented, resource_docs
from bastion.models_self_service import LookupCreate, LookupUpdate
from bastion.secrets import get_box
from bastion.services import lookups

bp = Blueprint("lookups", __name__, url_prefix="/api/v2/system/lookup")
DOCS = resource_docs("lookup", LookupCreate, LookupUpdate)


@bp.get("")
@admin_required
@documented(DOCS.list)
def list_lookups():
    """Every global lookup."""
    with session_scope() as db:
        return {"resource": [lookups.public(row) for row in lookups.list_lookups(db)]}


@bp.get("/<id:lookup_id>")
@admin_required
@documented(DOCS.get)
def get_lookup(lookup_id: int):
    """One global lookup."""
    with session_scope() as db:
        return lookups.public(lookups.get_lookup(db, lookup_id))


@bp.post("")
@admin_required
@documented(DOCS.create)
def create_lookup():
    """Create one lookup, or several in DreamFactory's batch form."""
    items, batch = records(json_body())
    payloads = [validate(LookupCreate, item) for item in items]
    with session_scope() as db:
        created = [lookups.public(lookups.create_lookup(db, get_box(), p)) for p in payloads]
    return jsonify({"resource": created} if batch else created[0]), 201


@bp.route("/<id:lookup_id>", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_one)
def update_lookup(lookup_id: int):
    """Change the fields sent; the mask as the value keeps the stored one."""
    body = json_body()
    with session_scope() as db:
        return _update(db, lookup_id, body)


@bp.delete("/<id:lookup_id>")
@admin_required
@documented(DOCS.delete_one)
def delete_lookup(lookup_id: int):
    """Delete one lookup."""
    with session_scope() as db:
        return lookups.public(lookups.delete_lookup(db, lookups.get_lookup(db, lookup_id)))


def _update(db, lookup_id: int, body) -> dict:
    data = validate(LookupUpdate, body)
    return lookups.public(lookups.update_lookup(db, get_box(), lookups.get_lookup(db, lookup_id), data))


@bp.route("", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_many)
def update_lookups():
    """Update several lookups (ids=, or a resource list with ids), as every system resource does."""
    return batches.run(batches.update_items(), _update)


@bp.delete("")
@admin_required
@documented(DOCS.delete_many)
def delete_lookups():
    """Delete several lookups (ids=)."""
    return batches.run(
        batches.delete_items(),
        lambda db, lookup_id, _: lookups.public(lookups.delete_lookup(db, lookups.get_lookup(db, lookup_id))),
    )
