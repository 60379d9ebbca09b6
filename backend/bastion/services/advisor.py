"""Advisor mutes: mute a finding with a reason, unmute it, and read the mutes (no Flask imports)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from bastion.errors import NotFound
from bastion.models import as_utc
from bastion.models_advisor import AdvisorMute, utcnow


def mute_public(mute: AdvisorMute) -> dict[str, Any]:
    """The `muted` object of a finding: reason, by (id and e-mail), at."""
    return {
        "reason": mute.reason,
        "by": {"id": mute.muted_by, "email": mute.muted_by_email},
        "at": as_utc(mute.muted_at).isoformat(),
    }


def list_mutes(db: Session) -> dict[str, dict[str, Any]]:
    """Every mute by finding id."""
    return {m.finding_id: mute_public(m) for m in db.exec(select(AdvisorMute))}


def mute(db: Session, finding_id: str, reason: str, by_id: int | None, by_email: str) -> AdvisorMute:
    """Mute a finding (again: the new reason replaces the old one)."""
    row = db.get(AdvisorMute, finding_id) or AdvisorMute(finding_id=finding_id, reason=reason)
    row.reason, row.muted_by, row.muted_by_email, row.muted_at = reason, by_id, by_email, utcnow()
    db.add(row)
    db.flush()
    return row


def unmute(db: Session, finding_id: str) -> AdvisorMute:
    """Unmute a finding, or NotFound when it is not muted."""
    row = db.get(AdvisorMute, finding_id)
    if row is None:
        raise NotFound(f"Finding '{finding_id}' is not muted")
    db.delete(row)
    db.flush()
    return row
