"""DreamFactory's custom settings: named JSON values kept for the platform (`system_custom`, admins) and
for each account (`user_custom`, its owner only). Kept apart from models.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from bastion.models import timestamp, utcnow

CUSTOM_NAME_MAX = 255


class SystemCustom(SQLModel, table=True):
    """A platform-wide custom setting (DreamFactory's /system/custom)."""

    __tablename__ = "system_custom"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(CUSTOM_NAME_MAX), unique=True, nullable=False))
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    updated_at: datetime = timestamp(nullable=False, default=utcnow)


class UserCustom(SQLModel, table=True):
    """One account's custom setting (DreamFactory's /user/custom); deleted with its account."""

    __tablename__ = "user_custom"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_user_custom_user_name"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False))
    name: str = Field(sa_column=Column(String(CUSTOM_NAME_MAX), nullable=False))
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    updated_at: datetime = timestamp(nullable=False, default=utcnow)


class CustomSettingWrite(SQLModel):
    """A custom setting as a write sends it; on /custom/<name> the URL names it."""

    name: str | None = Field(default=None, min_length=1, max_length=CUSTOM_NAME_MAX)
    value: Any = None
