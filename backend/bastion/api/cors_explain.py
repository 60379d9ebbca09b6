"""/api/v2/system/cors/explain: what the CORS layer answers an origin on a path (admins only)."""

from __future__ import annotations

from flask import Blueprint, request

from bastion import cors_explain
from bastion.auth import admin_required
from bastion.docs import system_params as params
from bastion.docs.routes import documented

bp = Blueprint("cors_explain", __name__, url_prefix="/api/v2/system/cors")


@bp.get("/explain")
@admin_required
@documented(errors=(400, 401, 403), parameters=tuple(params.CORS_EXPLAIN_PARAMS))
def explain_cors():
    """Allowed or not, the deciding rule, and the preflight and actual response headers."""
    origin, path, method, headers = cors_explain.parse_query(request.args)
    return cors_explain.explain(origin, path, method, headers)
