"""The roots of the API: GET /api/v2 (the caller's services), /api/v2/system and /api/v2/user (their
resources), answered in DreamFactory's forms so that its clients can discover what is there (DESIGN §11).

GET /api/v2 answers the reachable services under `resource` and, as DreamFactory's clients read them,
under `services` with the `service_types` they use; DreamFactory's `fields`, `type` and `group`
parameters work (`fields` offers the public keys: a service's id is for admins). The admin and user API
roots list their resources as DreamFactory lists a service's (`{"resource": [{"name": ...}]}`), derived
from the registered routes so that the list cannot fall behind them.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request

from bastion import access
from bastion.api.listing import list_fixed, names_param
from bastion.auth import admin_required, identify
from bastion.docs import system_params as params
from bastion.docs.routes import documented
from bastion.errors import BadRequest
from bastion.registry import active_services
from bastion.service_types import SERVICE_TYPES

bp = Blueprint("api_roots", __name__, url_prefix="/api/v2")
SERVICE_KEYS = ("name", "label", "description", "type")
TYPE_KEYS = ("name", "label", "group", "description")


def resource_names(app: Flask, prefix: str) -> list[str]:
    """The first path segments of the app's routes under prefix (`/api/v2/system`), sorted."""
    names = set()
    for rule in app.url_map.iter_rules():
        first = rule.rule[len(prefix) + 1 :].split("/", 1)[0] if rule.rule.startswith(prefix + "/") else ""
        if first and "<" not in first:
            names.add(first)
    return sorted(names)


def _chosen(param: str, offered: dict[str, str]) -> str | None:
    """The offered value a parameter names (any case), None when absent; else a 400 listing the choices."""
    text = request.args.get(param)
    if text is None:
        return None
    found = offered.get(text.strip().lower())
    if found is None:
        raise BadRequest(f"Parameter '{param}' must be one of: {', '.join(sorted(set(offered.values())))}")
    return found


@bp.get("")
def list_reachable_services():
    """The services the caller can reach, under `resource` and DreamFactory's `services`."""
    identity = identify()
    fields = names_param("fields", SERVICE_KEYS) or SERVICE_KEYS
    kind = _chosen("type", {name: name for name in SERVICE_TYPES})
    group = _chosen("group", {t["group"].lower(): t["group"] for t in SERVICE_TYPES.values()})
    # The worker's service cache, rebuilt when any service changes, as every data request uses it.
    services = [
        s
        for s in active_services()
        if kind in (None, s.type)
        and group in (None, SERVICE_TYPES[s.type]["group"])
        and access.reaches(identity=identity, service=s.name, kind=s.type)
    ]
    body = [{key: getattr(s, key) for key in fields} for s in services]
    kinds = sorted({s.type for s in services})
    types = [{key: SERVICE_TYPES[name][key] for key in TYPE_KEYS} for name in kinds]
    return {"resource": body, "services": body, "service_types": types}


@bp.get("/system")
@admin_required
@documented(many=True, errors=(400, 401, 403), parameters=params.SERVICE_TYPE_PARAMS)
def list_system_resources():
    """The admin API's resources (`admin`, `app`, `role`, ...), as DreamFactory lists them."""
    names = resource_names(current_app, "/api/v2/system")
    return list_fixed([{"name": name} for name in names], ("name",), as_list_key="name")


@bp.get("/user")
@documented(many=True, errors=(400, 401), parameters=params.SERVICE_TYPE_PARAMS, security=params.API_KEY)
def list_user_resources():
    """The user API's resources (`session`, `profile`, ...), for any caller with an API key or session."""
    access.ensure_caller(identity=identify())
    names = resource_names(current_app, "/api/v2/user")
    return list_fixed([{"name": name} for name in names], ("name",), as_list_key="name")
