"""Reading the audit trail: filtered, paged, exported as JSON lines, and pruned past its retention."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, delete, select

from bastion.models import utcnow
from bastion.models_audit import AuditEvent


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; None means any."""

    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(query, wanted: AuditFilter):
    if wanted.actor is not None:
        query = query.where(AuditEvent.actor_email == wanted.actor.strip().lower())
    if wanted.action is not None:
        query = query.where(AuditEvent.action == wanted.action)
    if wanted.resource_type is not None:
        query = query.where(AuditEvent.resource_type == wanted.resource_type)
    if wanted.resource_id is not None:
        query = query.where(AuditEvent.resource_id == wanted.resource_id)
    if wanted.since is not None:
        query = query.where(AuditEvent.at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEvent.at < wanted.until)
    return query


def list_events(db: Session, wanted: AuditFilter, limit: int, offset: int) -> list[AuditEvent]:
    """A page of matching events, newest first."""
    query = _where(select(AuditEvent), wanted).order_by(AuditEvent.id.desc()).offset(offset).limit(limit)
    return list(db.exec(query))


def count_events(db: Session, wanted: AuditFilter) -> int:
    """How many events match."""
    return db.exec(_where(select(func.count()).select_from(AuditEvent), wanted)).one()


def as_dict(row: AuditEvent) -> dict:
    """An event as the API and the export show it."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=utcnow().tzinfo)
    return {
        "id": row.id,
        "at": at.isoformat(),
        "actor_id": row.actor_id,
        "actor_email": row.actor_email,
        "address": row.address,
        "request_id": row.request_id,
        "action": row.action,
        "resource_type": row.resource_type,
        "resource_id": row.resource_id,
        "before": row.before,
        "after": row.after,
    }


def export_lines(db: Session, wanted: AuditFilter, batch: int = 1000) -> Iterator[str]:
    """Every matching event as one JSON line, oldest first, read a batch at a time."""
    last_id = 0
    while True:
        query = _where(select(AuditEvent), wanted).where(AuditEvent.id > last_id)
        rows = list(db.exec(query.order_by(AuditEvent.id).limit(batch)))
        for row in rows:
            yield json.dumps(as_dict(row), ensure_ascii=True, sort_keys=True)
        if len(rows) < batch:
            return
        last_id = rows[-1].id


def prune(db: Session, retention_days: int) -> int:
    """Delete the events older than the retention; how many went."""
    cutoff = utcnow() - timedelta(days=retention_days)
    result = db.exec(delete(AuditEvent).where(AuditEvent.at < cutoff))
    return result.rowcount or 0
