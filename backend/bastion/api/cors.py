"""/api/v2/system/cors: list, get, create, update, delete CORS rules (admins only).

A change applies from the next request on every worker and host, without a restart.
"""

from __future__ import annotations

from flask import Blueprint

from bastion import cors_shadows
from bastion.api import batches
from bastion.api.batches import strip_own_id
from bastion.api.body import json_body, validate
from bastion.api.listing import Resource, get_resource, list_resource, public_page
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.docs.routes import documented, resource_docs
from bastion.models import CorsRule, CorsRuleCreate, CorsRulePublic, CorsRuleUpdate
from bastion.services import cors
from bastion.services.cors_names import ALIASES, from_dreamfactory, with_dreamfactory_names

bp = Blueprint("cors", __name__, url_prefix="/api/v2/system/cors")

DOCS = resource_docs("cors", CorsRuleCreate, CorsRuleUpdate, CorsRulePublic)


def public_rules(rules: list[CorsRule]) -> list[dict]:
    """The JSON forms of a page of rules, with DreamFactory's names of their list fields too."""
    return [with_dreamfactory_names(body) for body in public_page(CorsRulePublic, rules)]


def public(rule: CorsRule) -> dict:
    """The JSON form of a rule (the form of a list's page, so the two cannot differ)."""
    return public_rules([rule])[0]


RESOURCE = Resource(
    model=CorsRule,
    columns=(
        "id",
        "path",
        "description",
        "max_age",
        "supports_credentials",
        "enabled",
        "created_at",
        "updated_at",
    ),
    public=lambda db, rule: public(rule),
    public_many=lambda db, rows: public_rules(rows),
    keys=(*CorsRulePublic.model_fields, *ALIASES),
)


def _create(db, item) -> dict:
    return with_warnings(db, cors.create_rule(db, validate(CorsRuleCreate, from_dreamfactory(item))))


def _update(db, rule_id: int, body) -> dict:
    rule = cors.update_rule(db, rule_id, validate(CorsRuleUpdate, from_dreamfactory(body)))
    return with_warnings(db, rule)


def with_warnings(db, rule: CorsRule) -> dict:
    """A saved rule's JSON form plus `warnings`: the enabled rules it shadows or is shadowed by."""
    found = []
    if rule.enabled:
        others = [cors_shadows.RuleView.of(r) for r in cors.list_rules(db) if r.enabled]
        found = cors_shadows.relations(cors_shadows.RuleView.of(rule), others)
    return {**public(rule), "warnings": found}


@bp.get("")
@admin_required
@documented(DOCS.list)
def list_rules():
    """List CORS rules."""
    with session_scope() as db:
        return list_resource(db, RESOURCE)


@bp.get("/<id:rule_id>")
@admin_required
@documented(DOCS.get)
def get_rule(rule_id: int):
    """Get a CORS rule."""
    with session_scope() as db:
        return get_resource(db, RESOURCE, cors.get_rule(db, rule_id))


@bp.post("")
@admin_required
@documented(DOCS.create)
def create_rule():
    """Create one rule, or several in the batch form."""
    return batches.create(_create)


@bp.route("/<id:rule_id>", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_one)
def update_rule(rule_id: int):
    """Update a rule: the fields sent."""
    body = strip_own_id(json_body(), rule_id)
    with session_scope() as db:
        return _update(db, rule_id, body)


@bp.route("", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_many)
def update_rules():
    """Update several rules."""
    return batches.run(batches.update_items(), _update)


@bp.delete("/<id:rule_id>")
@admin_required
@documented(DOCS.delete_one)
def delete_rule(rule_id: int):
    """Delete a rule."""
    with session_scope() as db:
        return public(cors.delete_rule(db, rule_id))


@bp.delete("")
@admin_required
@documented(DOCS.delete_many)
def delete_rules():
    """Delete several rules."""
    return batches.run(batches.delete_items(), lambda db, rule_id, _: public(cors.delete_rule(db, rule_id)))
