"""GET /api/v2/system/explain: why a user/app/verb/path is allowed or denied, by the request's own code."""

from __future__ import annotations

from flask import Blueprint, request

from bastion import access
from bastion.access_index import current_index
from bastion.auth import Identity, admin_required
from bastion.db import session_scope
from bastion.errors import BadRequest, ValidationError
from bastion.models import User

bp = Blueprint("explain", __name__, url_prefix="/api/v2/system/explain")


def component_of(path: str) -> tuple[str, str]:
    """Split a data-API path into (service, component); a record path counts as its table."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    if parts[:2] == ["api", "v2"]:
        parts = parts[2:]
    elif parts[:1] == ["api"]:
        parts = parts[1:]
    if not parts:
        raise ValidationError({"path": "must name a service, e.g. /api/v2/demo/_table/employees"})
    service, rest = parts[0], parts[1:]
    if len(rest) >= 3 and rest[0] == "_table":
        rest = rest[:2]
    return service, "/".join(rest)


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise ValidationError({name: "must be an id"})
    return int(raw)


@bp.get("")
@admin_required
def explain():
    verb = request.args.get("verb", "GET").upper()
    if verb not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise ValidationError({"verb": "must be GET, POST, PUT, PATCH or DELETE"})
    if not request.args.get("path"):
        raise BadRequest("Parameter 'path' is required")
    service, component = component_of(request.args["path"])
    index = current_index()
    app_id, user_id = _int_arg("app"), _int_arg("user")
    app = index.apps.get(app_id) if app_id is not None else None
    if app_id is not None and app is None:
        raise ValidationError({"app": f"app {app_id} does not exist"})
    with session_scope() as db:
        user = db.get(User, user_id) if user_id is not None else None
    if user_id is not None and user is None:
        raise ValidationError({"user": f"user {user_id} does not exist"})
    decision = access.decide_for(Identity(user=user, app=app), index, verb, service, component)
    return _describe(decision, service, component, verb)


def _describe(decision: access.Decision, service: str, component: str, verb: str) -> dict:
    grant = decision.grant
    return {
        "allowed": decision.allowed,
        "reason": decision.reason,
        "service": service,
        "component": component,
        "verb": verb,
        "role": {"id": decision.role.id, "name": decision.role.name} if decision.role else None,
        "entry": decision.entry.model_dump(mode="json") if decision.entry else None,
        "filters": [vars(f) for f in grant.filters] if grant else [],
        "filter_op": grant.filter_op if grant else None,
        "fields": sorted(grant.fields) if grant and grant.fields is not None else None,
    }
