"""System-database tables and their Create/Public/Update families (CONVENTIONS §5)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

from pydantic import field_validator
from sqlalchemy import JSON, BigInteger, Column, DateTime, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from bastion import cors_syntax
from bastion.components import DOCS_SERVICE
from bastion.model_times import DreamFactoryTime, stamp

PASSWORD_MIN_LENGTH = 12
# The largest id a system record can have: the id columns are 32-bit on PostgreSQL and MariaDB.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def timestamp(**kwargs) -> Field:
    """A timezone-aware DateTime column (every system table stores UTC)."""
    return Field(sa_column=Column(DateTime(timezone=True), **kwargs))


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Characters nobody sees: controls, format characters (zero-width spaces and joiners, bidi overrides),
# surrogates, private-use and unassigned code points, line and paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def check_email(value: str | None) -> str | None:
    """An e-mail address trimmed and lower-cased, or ValueError; used by every model that takes one.

    An address is an identity that admins read (users list, audit log) and row filters compare
    (`{user.email}`), so it may hold no character one cannot see: `victim@example.com` followed by a
    zero-width space, or spelled backwards behind a right-to-left override, would register as another
    account that reads like the victim's.
    """
    if value is None:
        return None
    value = value.strip().lower()
    if any(unicodedata.category(c) in INVISIBLE_CATEGORIES for c in value):
        raise ValueError("must not hold invisible or control characters")
    if not EMAIL_PATTERN.match(value):
        raise ValueError("must be an email address such as name@example.com")
    return value


class UserBase(SQLModel):
    email: str = Field(max_length=255)
    name: str = Field(min_length=1, max_length=255)
    is_active: bool = True

    _email = field_validator("email")(check_email)


PERSON_FIELDS = ("first_name", "last_name", "display_name", "phone")


class PersonFields(SQLModel):
    """DreamFactory's name and phone fields of a user or an admin; each may be null."""

    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=32)


class User(SQLModel, table=True):
    """An admin (is_sys_admin) or a non-admin user; the password only as a hash."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    name: str = Field(max_length=255)
    is_active: bool = True
    is_sys_admin: bool = False
    # "" for a user created without a password (DreamFactory's invitation flow): they cannot log in.
    password_hash: str = Field(max_length=255)
    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=32)
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    updated_at: datetime = timestamp(nullable=False, default=utcnow, onupdate=utcnow)
    last_login_at: datetime | None = timestamp(nullable=True)


def check_password(value: str | None) -> str | None:
    """A password within the length bounds, or ValueError; used by every model that takes one."""
    if value is not None and len(value) < PASSWORD_MIN_LENGTH:
        raise ValueError(f"must be at least {PASSWORD_MIN_LENGTH} characters")
    if value is not None and len(value) > 1024:
        raise ValueError("must be at most 1024 characters")
    return value


class AdminCreate(UserBase, PersonFields):
    password: str

    _password = field_validator("password")(check_password)


class AdminUpdate(PersonFields):
    email: str | None = Field(default=None, max_length=255)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    is_active: bool | None = None
    password: str | None = None

    _password = field_validator("password")(check_password)
    _email = field_validator("email")(check_email)


class ProfileUpdate(PersonFields):
    """What one may change of one's own account: names and phone (the e-mail, only to itself)."""

    name: str | None = Field(default=None, min_length=1, max_length=255)
    email: str | None = Field(default=None, max_length=255)

    _email = field_validator("email")(check_email)


class AdminPublic(UserBase, PersonFields):
    id: int
    is_sys_admin: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None
    last_login_date: DreamFactoryTime = stamp("last_login_date")
    created_date: DreamFactoryTime = stamp("created_date")
    last_modified_date: DreamFactoryTime = stamp("last_modified_date")


class SessionToken(SQLModel, table=True):
    """A login session; the token itself is never stored, only its SHA-256."""

    __tablename__ = "session_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), index=True, nullable=False)
    )
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    # The original login, carried across refreshes: the refresh window counts from it and never slides.
    login_at: datetime = timestamp(nullable=False, default=utcnow)
    expires_at: datetime = timestamp(nullable=False)
    refresh_until: datetime = timestamp(nullable=False)
    # Written at login and then at most once a minute (activity.py): who holds the session, from where.
    last_seen_at: datetime | None = timestamp(nullable=True)
    client_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=255)


class ThrottleEvent(SQLModel, table=True):
    """One counted password check under a throttle key (a hash), at a time in milliseconds (throttle.py)."""

    __tablename__ = "throttle_event"
    __table_args__ = (Index("ix_throttle_event_key_at", "key", "at_ms"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(64), nullable=False))
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))


class LoginCredentials(SQLModel):
    email: str = Field(min_length=1, max_length=255)
    password: str = Field(min_length=1, max_length=1024)
    # DreamFactory's clients send it; as in DreamFactory without forever sessions (the environment's
    # allow_forever_sessions is false), it changes nothing: every session lives SESSION_TTL_MINUTES.
    remember_me: bool | None = None


SERVICE_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
RESERVED_SERVICE_NAMES = frozenset({"system", "user", DOCS_SERVICE})


def _check_service_name(value: str | None) -> str | None:
    if value is None:
        return None
    if not SERVICE_NAME_PATTERN.match(value):
        raise ValueError(
            "must be 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit"
        )
    if value in RESERVED_SERVICE_NAMES:
        raise ValueError(f"'{value}' is reserved")
    return value


class ServiceBase(SQLModel):
    name: str = Field(max_length=63)
    label: str = Field(default="", max_length=255)
    description: str = Field(default="", max_length=1024)
    type: str = Field(default="sql", max_length=32)
    is_active: bool = True
    mutable: bool = True
    deletable: bool = True


class Service(SQLModel, table=True):
    """A data service; secret config fields are stored sealed (AES-256-GCM)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(63), unique=True, nullable=False))
    label: str = Field(default="", max_length=255)
    description: str = Field(default="", max_length=1024)
    type: str = Field(default="sql", max_length=32)
    is_active: bool = True
    # DreamFactory's flags: a service that is not mutable refuses changes, one not deletable refuses DELETE.
    mutable: bool = True
    deletable: bool = True
    config: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Bumped on every change so that every worker drops its engine and schema cache.
    version: int = 1
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    updated_at: datetime = timestamp(nullable=False, default=utcnow, onupdate=utcnow)


class ServiceCreate(ServiceBase):
    config: dict

    _name = field_validator("name")(_check_service_name)


class ServiceUpdate(SQLModel):
    name: str | None = Field(default=None, max_length=63)
    label: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=1024)
    is_active: bool | None = None
    mutable: bool | None = None
    deletable: bool | None = None
    config: dict | None = None

    _name = field_validator("name")(_check_service_name)


class ServicePublic(ServiceBase):
    id: int
    config: dict
    created_at: datetime
    updated_at: datetime
    created_date: DreamFactoryTime = stamp("created_date")
    last_modified_date: DreamFactoryTime = stamp("last_modified_date")


class ServiceWarning(SQLModel):
    """Something that will make a saved service fail although its config is valid (a missing file)."""

    field: str = Field(description="the config field concerned, e.g. `config.database`")
    message: str = Field(description="a sentence that names the field and says what will fail")


class ServiceSaved(ServicePublic):
    """A service as a create or update answers it: with `warnings` (empty when nothing will fail)."""

    warnings: list[ServiceWarning]


class CacheVersion(SQLModel, table=True):
    """A counter per cached area (access, cors), bumped on every change so all workers reload."""

    __tablename__ = "cache_version"

    name: str = Field(sa_column=Column(String(32), primary_key=True))
    version: int = 0


CORS_LIST_FIELDS = ("origins", "headers", "exposed_headers", "methods")


def _optional(check):
    """A field check that lets None (a field not sent in a partial update) through."""

    def run(value):
        return None if value is None else check(value)

    return run


class CorsRuleBase(SQLModel):
    path: str = Field(max_length=255)
    description: str = Field(default="", max_length=1024)
    origins: list[str] = Field(default_factory=list)
    headers: list[str] = Field(default_factory=list)
    exposed_headers: list[str] = Field(default_factory=list)
    max_age: int = 0
    methods: list[str] = Field(default_factory=lambda: list(cors_syntax.DEFAULT_METHODS))
    supports_credentials: bool = False
    enabled: bool = True


class CorsRule(SQLModel, table=True):
    """A CORS rule for a path glob (DESIGN §7); the longest matching enabled path wins."""

    __tablename__ = "cors_rule"

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    description: str = Field(default="", max_length=1024)
    origins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    headers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    exposed_headers: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    max_age: int = 0
    methods: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    supports_credentials: bool = False
    enabled: bool = True
    created_at: datetime = timestamp(nullable=False, default=utcnow)
    updated_at: datetime = timestamp(nullable=False, default=utcnow, onupdate=utcnow)
    # When the rule last admitted a request's origin, written at most once a minute (usage.py).
    last_admitted_at: datetime | None = timestamp(nullable=True)


class CorsRuleCreate(CorsRuleBase):
    """A new CORS rule; methods default to GET POST PUT PATCH DELETE, everything else to nothing."""

    _split = field_validator(*CORS_LIST_FIELDS, mode="before")(cors_syntax.split_list)
    _path = field_validator("path")(cors_syntax.check_path)
    _description = field_validator("description")(cors_syntax.check_text)
    _origins = field_validator("origins")(cors_syntax.check_origins)
    _headers = field_validator("headers", "exposed_headers")(cors_syntax.check_headers)
    _methods = field_validator("methods")(cors_syntax.check_methods)
    _max_age = field_validator("max_age")(cors_syntax.check_max_age)


class CorsRuleUpdate(SQLModel):
    path: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=1024)
    origins: list[str] | None = None
    headers: list[str] | None = None
    exposed_headers: list[str] | None = None
    max_age: int | None = None
    methods: list[str] | None = None
    supports_credentials: bool | None = None
    enabled: bool | None = None

    _split = field_validator(*CORS_LIST_FIELDS, mode="before")(cors_syntax.split_list)
    _path = field_validator("path")(_optional(cors_syntax.check_path))
    _description = field_validator("description")(_optional(cors_syntax.check_text))
    _origins = field_validator("origins")(_optional(cors_syntax.check_origins))
    _headers = field_validator("headers", "exposed_headers")(_optional(cors_syntax.check_headers))
    _methods = field_validator("methods")(_optional(cors_syntax.check_methods))
    _max_age = field_validator("max_age")(_optional(cors_syntax.check_max_age))


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands timezone-aware columns back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class CorsRulePublic(CorsRuleBase):
    id: int
    created_at: datetime
    updated_at: datetime
    created_date: DreamFactoryTime = stamp("created_date")
    last_modified_date: DreamFactoryTime = stamp("last_modified_date")

    _utc = field_validator("created_at", "updated_at")(as_utc)
