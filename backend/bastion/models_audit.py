"""The audit trail's table: one append-only row per change, login, logout or refusal (README "Audit log")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from bastion.models import timestamp, utcnow


class AuditEvent(SQLModel, table=True):
    """Who did what to which resource, from where, with the fields that changed (secrets masked)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_resource", "resource_type", "resource_id"),
        Index("ix_audit_event_actor", "actor_email"),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    )
    at: datetime = timestamp(nullable=False, default=utcnow, index=True)
    # No foreign key: the trail outlives the accounts it names.
    actor_id: int | None = None
    actor_email: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=64)
    action: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    resource_type: str = Field(sa_column=Column(String(32), nullable=False))
    resource_id: str | None = Field(default=None, max_length=64)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
