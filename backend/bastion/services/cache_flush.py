"""Flushing what workers cache of data services (DreamFactory's DELETE /system/cache), on every worker.

A flush moves a service's version on without touching its record (updated_at stays): every worker then
drops that service's engine, reflected schema, compiled reads and API docs on its next request
(registry.release_stale), as after an edit. Flushing everything also moves every cache area's counter,
so roles, CORS rules and sessions are read again too.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from bastion.errors import NotFound
from bastion.invalidation import AREAS, bump
from bastion.models import Service
from bastion.services import audit
from bastion.services.data_services import find_service


def _move_versions(db: Session, *where) -> None:
    # A Core UPDATE that names updated_at keeps it: a flush is not a change of the service.
    change = update(Service).where(*where).values(version=Service.version + 1, updated_at=Service.updated_at)
    db.exec(change)


def flush_service(db: Session, name: str) -> Service:
    """Drop every worker's cached engine, schema and docs of the service with this name, or NotFound."""
    service = find_service(db, name)
    if service is None:
        raise NotFound(f"Service '{name}' not found")
    _move_versions(db, Service.id == service.id)
    bump(db, "services")
    audit.record(db, "flush_cache", "service", service.id, after={"name": service.name})
    return service


def flush_all(db: Session) -> None:
    """Drop everything every worker caches: each service's engine, schema and docs, and each cache area."""
    _move_versions(db, Service.id.is_not(None))
    for area in AREAS:
        bump(db, area)
    audit.record(db, "flush_cache", "cache")
