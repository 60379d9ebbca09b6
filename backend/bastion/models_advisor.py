"""The advisor's mutes: a finding an admin decided to accept, with the reason, who and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from bastion.models import timestamp, utcnow

FINDING_ID_LENGTH = 255


class AdvisorMute(SQLModel, table=True):
    """A muted finding, by its stable id (advisor/finding.py); it stays listed, marked muted."""

    __tablename__ = "advisor_mute"

    finding_id: str = Field(sa_column=Column(String(FINDING_ID_LENGTH), primary_key=True))
    reason: str = Field(max_length=1024)
    muted_by: int | None = None  # the admin's user id; None from the CLI
    muted_by_email: str = Field(default="", max_length=255)
    muted_at: datetime = timestamp(nullable=False, default=utcnow)


class MuteRequest(SQLModel):
    id: str = Field(min_length=1, max_length=FINDING_ID_LENGTH)
    reason: str = Field(min_length=1, max_length=1024)


class UnmuteRequest(SQLModel):
    id: str = Field(min_length=1, max_length=FINDING_ID_LENGTH)
