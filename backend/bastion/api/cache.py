"""/api/v2/system/cache: DreamFactory's cache resource. GET lists the services whose cache can be flushed;
DELETE flushes everything, DELETE /<service> one service's engine, reflected schema and docs, on every
worker (services/cache_flush.py)."""

from __future__ import annotations

from flask import Blueprint

from bastion.api.listing import list_fixed
from bastion.auth import admin_required
from bastion.db import session_scope
from bastion.docs import system_params as params
from bastion.docs.routes import documented
from bastion.services import cache_flush
from bastion.services.data_services import list_services

bp = Blueprint("cache", __name__, url_prefix="/api/v2/system/cache")

# DreamFactory's keys for each service of the list (its Cache::getResources).
KEYS = ("name", "label", "description", "type")
FLUSHED = '`{"success": true}` once every worker will drop what it cached'


@bp.get("")
@admin_required
@documented(many=True, errors=(400, 401, 403), parameters=params.SERVICE_TYPE_PARAMS)
def list_caches():
    """The services whose cache can be flushed: name, label, description and type."""
    with session_scope() as db:
        services = [{key: getattr(service, key) for key in KEYS} for service in list_services(db)]
    return list_fixed(services, KEYS, as_list_key="name")


@bp.delete("")
@admin_required
@documented(errors=(401, 403), answer=FLUSHED)
def flush_all_caches():
    """Flush everything cached: every service's engine, schema and docs, and the access, CORS and session
    caches."""
    with session_scope() as db:
        cache_flush.flush_all(db)
    return {"success": True}


@bp.delete("/<name>")
@admin_required
@documented(errors=(401, 403, 404), answer=FLUSHED)
def flush_service_cache(name: str):
    """Flush one service's cached engine, reflected schema and API docs (by the service's name)."""
    with session_scope() as db:
        cache_flush.flush_service(db, name)
    return {"success": True}
