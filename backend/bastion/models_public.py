"""The public (answer) models of roles, apps and users: what the admin API sends and documents.

The JSON they give is the form clients already read: a role's `access` as stored, times as ISO 8601
strings the way `datetime.isoformat` writes them, and an app's key only in the answer that issued it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import PlainSerializer, field_validator
from sqlmodel import SQLModel

from bastion.model_times import DreamFactoryTime, stamp
from bastion.models import as_utc
from bastion.models_access import AppRoleSpec

# A time as `isoformat()` writes it ("+00:00", not pydantic's "Z"): the form clients already parse.
IsoTime = Annotated[
    datetime | None,
    PlainSerializer(lambda moment: None if moment is None else moment.isoformat(), return_type=str | None),
]


class RolePublic(SQLModel):
    """A role with its access entries inline."""

    id: int
    name: str
    description: str
    is_active: bool
    # As stored: entries saved through AccessEntry, answered exactly as they were saved.
    access: list[dict[str, Any]]
    created_date: DreamFactoryTime = stamp("created_date")
    last_modified_date: DreamFactoryTime = stamp("last_modified_date")


class AppPublic(SQLModel):
    """An app: its key's fingerprint, never the key."""

    id: int
    name: str
    description: str
    role_id: int | None
    is_active: bool
    key_fingerprint: str
    type: int
    url: str | None
    storage_service_id: int | None
    storage_container: str | None
    path: str | None
    launch_url: str | None
    requires_fullscreen: bool
    allow_fullscreen_toggle: bool
    toggle_location: str
    last_used_at: IsoTime
    last_used_from: str | None
    created_date: DreamFactoryTime = stamp("created_date")
    last_modified_date: DreamFactoryTime = stamp("last_modified_date")

    # SQLite and MariaDB hand timezone-aware columns back naive: they hold UTC.
    _utc = field_validator("last_used_at")(lambda moment: as_utc(moment) if moment is not None else None)


class AppIssued(AppPublic):
    """An app just created or given a new key: the key itself, shown this once."""

    api_key: str


class UserPublic(SQLModel):
    """A non-admin user: no password, with their role per app."""

    id: int
    email: str
    name: str
    first_name: str | None
    last_name: str | None
    display_name: str | None
    phone: str | None
    is_active: bool
    # As the system database returns it (naive on SQLite): the form the SPA and clients already read.
    last_login_at: IsoTime
    app_roles: list[AppRoleSpec]
    last_login_date: DreamFactoryTime = stamp("last_login_date")
    created_date: DreamFactoryTime = stamp("created_date")
    last_modified_date: DreamFactoryTime = stamp("last_modified_date")
