"""/api/v2/system/cors: list, get, create, update, delete CORS rules (admins only).

A change applies from the next request on every worker and host, without a restart.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from bastion import cors_shadows
from bastion.api.body import json_body, records, validate
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.models import CorsRule, CorsRuleCreate, CorsRulePublic, CorsRuleUpdate
from bastion.services import cors

bp = Blueprint("cors", __name__, url_prefix="/api/v2/system/cors")


def public(rule: CorsRule) -> dict:
    """The JSON form of a rule."""
    return CorsRulePublic.model_validate(rule, from_attributes=True).model_dump(mode="json")


def with_warnings(db, rule: CorsRule) -> dict:
    """A saved rule's JSON form plus `warnings`: the enabled rules it shadows or is shadowed by."""
    found = []
    if rule.enabled:
        others = [cors_shadows.RuleView.of(r) for r in cors.list_rules(db) if r.enabled]
        found = cors_shadows.relations(cors_shadows.RuleView.of(rule), others)
    return {**public(rule), "warnings": found}


@bp.get("")
@admin_required
def list_rules():
    with session_scope() as db:
        return {"resource": [public(r) for r in cors.list_rules(db)]}


@bp.get("/<id:rule_id>")
@admin_required
def get_rule(rule_id: int):
    with session_scope() as db:
        return public(cors.get_rule(db, rule_id))


@bp.post("")
@admin_required
def create_rule():
    items, batch = records(json_body())
    payloads = [validate(CorsRuleCreate, item) for item in items]
    with session_scope() as db:
        rules = [cors.create_rule(db, data) for data in payloads]
        created = [with_warnings(db, rule) for rule in rules]
    body = {"resource": created} if batch else created[0]
    return jsonify(body), 201


@bp.route("/<id:rule_id>", methods=["PUT", "PATCH"])
@admin_required
def update_rule(rule_id: int):
    data = validate(CorsRuleUpdate, json_body())
    with session_scope() as db:
        return with_warnings(db, cors.update_rule(db, rule_id, data))


@bp.delete("/<id:rule_id>")
@admin_required
def delete_rule(rule_id: int):
    with session_scope() as db:
        return public(cors.delete_rule(db, rule_id))
