"""Roles, apps, per-app user roles and the user create/update/password models (DESIGN §4).

Kept apart from models.py (which holds the user table and the rest) to keep each module small.

A role's access entries live inline on the role as a JSON list: they are always read and written with
their role, and validated as a whole on save.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field as PydanticField
from pydantic import field_validator, model_validator
from sqlalchemy import JSON, BigInteger, Column, Connection, ForeignKey, Index, Integer, String, event, select
from sqlmodel import Field, SQLModel

from bastion.models import (
    MAX_ID,
    CacheVersion,
    PersonFields,
    UserBase,
    check_email,
    check_password,
    timestamp,
    utcnow,
)
from bastion.verbs import VERB_MASK, VERBS

# A row id of the system database: its id columns are 32-bit INTEGERs on PostgreSQL and MariaDB.
Id = Annotated[int, PydanticField(ge=1, le=MAX_ID)]


class RowFilterSpec(SQLModel):
    name: str = Field(min_length=1, max_length=128)
    operator: str = Field(min_length=1, max_length=16)
    value: Any = None


class AccessEntry(SQLModel):
    """One grant of a role: service (None = all), component, verbs, row filters, column allow-list."""

    service: str | None = Field(default=None, max_length=63)
    component: str = Field(default="*", max_length=255)
    verbs: list[str] = Field(default_factory=list)
    filters: list[RowFilterSpec] = Field(default_factory=list)
    filter_op: str = "AND"
    fields: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _dreamfactory_alias(cls, data: Any) -> Any:
        """Accept DreamFactory's verb_mask (1,2,4,8,16) in place of verbs."""
        if isinstance(data, dict) and "verb_mask" in data:
            data = dict(data)
            mask = data.pop("verb_mask")
            if not isinstance(mask, int) or isinstance(mask, bool) or not 0 <= mask <= 31:
                raise ValueError("verb_mask must be a whole number from 0 to 31")
            data.setdefault("verbs", [v for v, bit in VERB_MASK.items() if mask & bit])
        return data

    @field_validator("filters", mode="before")
    @classmethod
    def _no_filters(cls, filters: Any) -> Any:
        """DreamFactory sends `filters: null` for an entry without row filters."""
        return [] if filters is None else filters

    @field_validator("verbs")
    @classmethod
    def _known_verbs(cls, verbs: list[str]) -> list[str]:
        upper = [v.upper() for v in verbs]
        unknown = [v for v in upper if v not in VERBS]
        if unknown:
            raise ValueError(f"unknown verb '{unknown[0]}'; use {', '.join(VERBS)}")
        return [v for v in VERBS if v in upper]

    @field_validator("filter_op")
    @classmethod
    def _known_op(cls, op: str) -> str:
        if op.upper() not in ("AND", "OR"):
            raise ValueError("must be AND or OR")
        return op.upper()


class Role(SQLModel, table=True):
    """A named set of access entries."""

    # Serves both reads of a rebuild (access_index.RoleSnapshots): the roles above a revision, and the
    # listing of every id and revision, which then never reads the entries' JSON.
    __table_args__ = (Index("ix_role_revision_id", "revision", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    description: str = Field(default="", max_length=1024)
    is_active: bool = True
    access: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    updated_at: datetime = timestamp(nullable=False, default=utcnow)
    # Stamped on every insert and update from the "roles" cache counter (role_stamp), so a role committed
    # later always carries a higher revision and a rebuild reads only the roles above the highest it saw.
    revision: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


_COUNTERS = CacheVersion.__table__
_ROLES_COUNTER = _COUNTERS.c.name == "roles"
_MOVE_ON = _COUNTERS.update().where(_ROLES_COUNTER).values(version=_COUNTERS.c.version + 1)
_READ_BACK = select(_COUNTERS.c.version).where(_ROLES_COUNTER)


def role_stamp(connection: Connection) -> int:
    """Move the "roles" counter on in the caller's transaction and return its new value.

    The update holds the counter's row (SQLite: the database's write lock) until the transaction ends, so
    a second writer gets its stamp only after the first committed: stamps follow commit order. That is
    what lets a reader ask for "revision > the highest I saw" and miss nothing.
    """
    connection.execute(_MOVE_ON)
    # Read back, not RETURNING: MariaDB has none. The transaction sees its own write on every engine.
    value = connection.execute(_READ_BACK).scalar_one_or_none()
    if value is None:
        raise RuntimeError("the system database has no 'roles' cache counter: run `bastion migrate`")
    return value


@event.listens_for(Role, "before_insert")
@event.listens_for(Role, "before_update")
def _stamp_revision(_mapper, connection: Connection, target: Role) -> None:
    target.revision = role_stamp(connection)


class RoleCreate(SQLModel):
    name: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=1024)
    is_active: bool = True
    access: list[AccessEntry] = Field(default_factory=list)


class RoleUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=1024)
    is_active: bool | None = None
    access: list[AccessEntry] | None = None


class App(SQLModel, table=True):
    """A client app: its API key (stored as a SHA-256 only) and its default role."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    description: str = Field(default="", max_length=1024)
    role_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("role.id", ondelete="SET NULL"), nullable=True)
    )
    is_active: bool = True
    api_key_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    key_fingerprint: str = Field(max_length=32)
    # DreamFactory's app fields, stored and returned so that its clients and admin app round-trip them.
    type: int = 0
    url: str | None = Field(default=None, max_length=1024)
    storage_service_id: int | None = None
    storage_container: str | None = Field(default=None, max_length=255)
    path: str | None = Field(default=None, max_length=1024)
    launch_url: str | None = Field(default=None, max_length=1024)
    requires_fullscreen: bool = False
    allow_fullscreen_toggle: bool = True
    toggle_location: str = Field(default="top", max_length=32)
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    updated_at: datetime = timestamp(nullable=False, default=utcnow)
    # When and from where the key last came with a request, written at most once a minute (activity.py).
    last_used_at: datetime | None = timestamp(nullable=True)
    last_used_from: str | None = Field(default=None, max_length=64)
    # Requests that carried a key or session token in the query string, and the last one (usage.py).
    query_key_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    query_key_at: datetime | None = timestamp(nullable=True)


APP_TYPES = range(0, 4)  # DreamFactory's: 0 no storage, 1 file storage, 2 a URL, 3 a path on the server
TOGGLE_LOCATIONS = ("top", "bottom", "left", "right")


def _check_app_type(value: int | None) -> int | None:
    if value is not None and value not in APP_TYPES:
        raise ValueError("must be 0 (no storage), 1 (file storage), 2 (URL) or 3 (path)")
    return value


def _check_toggle_location(value: str | None) -> str | None:
    if value is not None and value not in TOGGLE_LOCATIONS:
        raise ValueError(f"must be one of: {', '.join(TOGGLE_LOCATIONS)}")
    return value


class AppCreate(SQLModel):
    name: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=1024)
    role_id: Id | None = None
    is_active: bool = True
    type: int = 0
    url: str | None = Field(default=None, max_length=1024)
    storage_service_id: Id | None = None
    storage_container: str | None = Field(default=None, max_length=255)
    path: str | None = Field(default=None, max_length=1024)
    launch_url: str | None = Field(default=None, max_length=1024)
    requires_fullscreen: bool = False
    allow_fullscreen_toggle: bool = True
    toggle_location: str = "top"

    _type = field_validator("type")(_check_app_type)
    _toggle = field_validator("toggle_location")(_check_toggle_location)


class AppUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=1024)
    role_id: Id | None = None
    is_active: bool | None = None
    type: int | None = None
    url: str | None = Field(default=None, max_length=1024)
    storage_service_id: Id | None = None
    storage_container: str | None = Field(default=None, max_length=255)
    path: str | None = Field(default=None, max_length=1024)
    launch_url: str | None = Field(default=None, max_length=1024)
    requires_fullscreen: bool | None = None
    allow_fullscreen_toggle: bool | None = None
    toggle_location: str | None = None

    _type = field_validator("type")(_check_app_type)
    _toggle = field_validator("toggle_location")(_check_toggle_location)


# The app fields a PATCH may set to null.
APP_NULLABLE = ("role_id", "url", "storage_service_id", "storage_container", "path", "launch_url")


class UserAppRole(SQLModel, table=True):
    """The role a user has when calling through one app."""

    __tablename__ = "user_app_role"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    app_id: int = Field(sa_column=Column(Integer, ForeignKey("app.id", ondelete="CASCADE"), primary_key=True))
    role_id: int = Field(sa_column=Column(Integer, ForeignKey("role.id", ondelete="CASCADE"), nullable=False))


class AppRoleSpec(SQLModel):
    app_id: Id
    role_id: Id


class UserCreate(UserBase, PersonFields):
    """A new user; without a password they cannot log in until one is set."""

    name: str | None = Field(default=None, min_length=1, max_length=255)  # type: ignore[assignment]
    password: str | None = None
    app_roles: list[AppRoleSpec] = Field(default_factory=list)

    _password = field_validator("password")(check_password)

    @model_validator(mode="after")
    def _default_name(self) -> UserCreate:
        """DreamFactory makes `name` optional: the display name, else first and last, else the e-mail."""
        if self.name is None:
            joined = " ".join(p for p in (self.first_name, self.last_name) if p)
            self.name = (self.display_name or joined or self.email)[:255]
        return self


class UserUpdate(PersonFields):
    email: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    is_active: bool | None = None
    password: str | None = None
    app_roles: list[AppRoleSpec] | None = None

    _password = field_validator("password")(check_password)
    _email = field_validator("email")(check_email)


class PasswordChange(SQLModel):
    old_password: str = Field(min_length=1, max_length=1024)
    new_password: str

    _password = field_validator("new_password")(check_password)
