"""GET /api/v2/system/explain: why a user/app/verb/path is allowed or denied, by the request's own code."""

from __future__ import annotations

from urllib.parse import unquote

import sqlalchemy as sa
from flask import Blueprint, request

from bastion import access, components
from bastion.access_index import current_index
from bastion.api.remote import checked_path, remote_service
from bastion.auth import Identity, admin_required
from bastion.components import Component
from bastion.data.schema import case_unique
from bastion.db import session_scope
from bastion.docs import system_params as params
from bastion.docs.routes import documented
from bastion.errors import ApiError, BadRequest, ValidationError
from bastion.models import User
from bastion.registry import find_active_service, open_service
from bastion.secrets import MASK
from bastion.verbs import VERBS

bp = Blueprint("explain", __name__, url_prefix="/api/v2/system/explain")


MAX_ID = 2**63 - 1  # the widest id column of any system database


def component_of(path: str) -> tuple[str, str | None, Component]:
    """Split a data-API path into (service, table or None, component); a record path counts as its table.

    Segments are percent-decoded one by one, so `_table/a%2Fb` names the table `a/b`.
    """
    parts = [unquote(p) for p in path.split("?")[0].split("/") if p]
    if parts[:2] == ["api", "v2"]:
        parts = parts[2:]
    elif parts[:1] == ["api"]:
        parts = parts[1:]
    if not parts:
        raise ValidationError({"path": "must name a service, e.g. /api/v2/demo/_table/employees"})
    service, rest = parts[0], parts[1:]
    if remote_service(service) is not None:
        # A remote HTTP service decides every request on its path, as the proxy checks it (api/remote.py).
        try:
            return service, None, components.path(checked_path("/".join(rest)))
        except BadRequest as exc:
            raise ValidationError({"path": exc.message}) from None
    if len(rest) in (2, 3) and rest[0] == components.TABLE and rest[1] != components.ALL:
        return service, rest[1], components.table(rest[1], folds=False)
    if len(rest) == 2 and rest[0] == components.SCHEMA and rest[1] != components.ALL:
        return service, rest[1], components.schema(rest[1], folds=False)
    parsed = components.parse("/".join(rest))
    if parsed is None or components.is_path(parsed):
        raise ValidationError({"path": "does not name a component of a data service"})
    return service, None, parsed


def _resolved(service: str, component: Component) -> Component:
    """The component the request itself would decide on: its table resolved against the live schema."""
    if component.table is None or components.is_path(component):
        return component
    try:
        table = open_service(find_active_service(service)).table(component.table)
    except (ApiError, sa.exc.SQLAlchemyError):
        return component  # the request would decide on the name as sent, too
    make = components.table if component.resource == components.TABLE else components.schema
    return make(table.name, folds=case_unique(table))


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_ID:
        raise ValidationError({name: "must be an id (a whole number up to 2^63-1)"})
    return int(raw)


@bp.get("")
@admin_required
@documented(errors=(400, 401, 403), parameters=tuple(params.EXPLAIN_PARAMS))
def explain():
    """Whether a user/app may use a verb on a path, and which role entry decided, by the request's code."""
    verb = request.args.get("verb", "GET").upper()
    if verb not in VERBS:
        raise ValidationError({"verb": "must be GET, POST, PUT, PATCH or DELETE"})
    if not request.args.get("path"):
        raise BadRequest("Parameter 'path' is required")
    app_id, user_id = _int_arg("app"), _int_arg("user")
    service, _, component = component_of(request.args["path"])
    component = _resolved(service, component)
    index = current_index()
    app = index.apps.get(app_id) if app_id is not None else None
    if app_id is not None and app is None:
        raise ValidationError({"app": f"app {app_id} does not exist"})
    with session_scope() as db:
        user = db.get(User, user_id) if user_id is not None else None
    if user_id is not None and user is None:
        raise ValidationError({"user": f"user {user_id} does not exist"})
    decision = access.decide_for(Identity(user=user, app=app), index, verb, service, component)
    return _describe(decision, service, str(component), verb)


def _shown(row_filter: access.RowFilter) -> dict:
    """A resolved row filter; a private lookup's value only as the mask."""
    value = MASK if row_filter.private else row_filter.value
    return {"name": row_filter.name, "operator": row_filter.operator, "value": value}


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
        "filters": [_shown(f) for f in grant.filters] if grant else [],
        "filter_op": grant.filter_op if grant else None,
        "fields": sorted(grant.fields) if grant and grant.fields is not None else None,
    }
