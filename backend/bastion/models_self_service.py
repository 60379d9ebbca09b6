"""Lookups, one-time codes and the registration setting (self-service); kept apart from models.py.

A lookup belongs to one owner: everyone (`global`), a role (`role:<id>`) or a user (`user:<id>`); the owner
string makes (owner, name) unique on every engine (a unique index over nullable ids would not be).
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import field_validator
from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bastion.models import check_email, check_password, timestamp, utcnow
from bastion.models_access import Id

LOOKUP_NAME = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}"
LOOKUP_NAME_PATTERN = re.compile(rf"^{LOOKUP_NAME}$")
LOOKUP_VALUE_MAX = 4096


class Lookup(SQLModel, table=True):
    """A named value; a private one is stored sealed (AES-256-GCM) and never returned."""

    __table_args__ = (UniqueConstraint("owner", "name", name="uq_lookup_owner_name"),)

    id: int | None = Field(default=None, primary_key=True)
    owner: str = Field(sa_column=Column(String(32), nullable=False))
    name: str = Field(sa_column=Column(String(64), nullable=False))
    value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    private: bool = False
    description: str = Field(default="", max_length=1024)
    # The owner's row, so that deleting a role or user deletes its lookups with it.
    role_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("role.id", ondelete="CASCADE"), nullable=True)
    )
    user_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=True)
    )


def _check_lookup_name(value: str | None) -> str | None:
    if value is not None and not LOOKUP_NAME_PATTERN.match(value):
        raise ValueError("must be 1-64 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
    return value


class LookupCreate(SQLModel):
    name: str
    value: str | None = Field(default=None, max_length=LOOKUP_VALUE_MAX)
    private: bool = False
    description: str = Field(default="", max_length=1024)

    _name = field_validator("name")(_check_lookup_name)


class LookupUpdate(SQLModel):
    name: str | None = None
    value: str | None = Field(default=None, max_length=LOOKUP_VALUE_MAX)
    private: bool | None = None
    description: str | None = Field(default=None, max_length=1024)

    _name = field_validator("name")(_check_lookup_name)


class OneTimeCode(SQLModel, table=True):
    """A code sent by e-mail (confirm, reset, invite): only its keyed hash, single use, expiring."""

    __tablename__ = "one_time_code"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(sa_column=Column(String(16), nullable=False))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    code_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    expires_at: datetime = timestamp(nullable=False)
    used_at: datetime | None = timestamp(nullable=True)


class RegistrationSetting(SQLModel, table=True):
    """Open registration (one row): off by default; the apps it applies to and each one's role."""

    __tablename__ = "registration_setting"

    id: int | None = Field(default=None, primary_key=True)
    enabled: bool = False
    skip_confirmation: bool = False
    apps: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RegistrationApp(SQLModel):
    app_id: Id
    role_id: Id


class RegistrationUpdate(SQLModel):
    enabled: bool | None = None
    skip_confirmation: bool | None = None
    apps: list[RegistrationApp] | None = None


class RegisterRequest(SQLModel):
    email: str = Field(max_length=255)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    first_name: str | None = Field(default=None, max_length=255)
    last_name: str | None = Field(default=None, max_length=255)
    password: str = Field(alias="new_password")

    model_config = {"populate_by_name": True}

    _email = field_validator("email")(check_email)
    _password = field_validator("password")(check_password)


class CodeRedeem(SQLModel):
    email: str = Field(max_length=255)
    code: str = Field(min_length=1, max_length=64)

    _email = field_validator("email")(check_email)


class PasswordReset(CodeRedeem):
    new_password: str

    _password = field_validator("new_password")(check_password)


class ResetRequest(SQLModel):
    email: str = Field(max_length=255)

    _email = field_validator("email")(check_email)
