"""Custom settings, as DreamFactory keeps them: named JSON values of the platform or of one account.

An owner is None (the platform's `system_custom`) or a user id (that account's `user_custom`); every query
names it, so an account reaches only its own settings. Writing a name that exists replaces its value
(DreamFactory's POST does the same). Bounds keep one account from filling the system database: at most
MAX_SETTINGS names per owner, each value at most MAX_VALUE_CHARS of JSON.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, func, select

from bastion.errors import Conflict, NotFound, ValidationError
from bastion.models import utcnow
from bastion.models_custom import CUSTOM_NAME_MAX, SystemCustom, UserCustom

MAX_SETTINGS = 200
MAX_VALUE_CHARS = 16384


def _model(owner: int | None) -> Any:
    return SystemCustom if owner is None else UserCustom


def _query(owner: int | None, names: list[str] | None = None) -> Any:
    model = _model(owner)
    query = select(model) if owner is None else select(model).where(model.user_id == owner)
    if names is not None:
        query = query.where(model.name.in_(names))
    return query.order_by(model.name)


def list_settings(db: Session, owner: int | None, names: list[str] | None = None) -> list[Any]:
    """The owner's settings by name (only those named, when names are given)."""
    return list(db.exec(_query(owner, names)))


def get_setting(db: Session, owner: int | None, name: str) -> Any:
    """One of the owner's settings, or NotFound."""
    found = db.exec(_query(owner, [name])).first()
    if found is None:
        raise NotFound(f"Custom setting '{name}' not found")
    return found


def check_name(name: Any, where: str) -> str:
    """A setting's name: a non-empty string of at most CUSTOM_NAME_MAX characters, else a 400 at `where`."""
    if not isinstance(name, str) or not name.strip() or len(name) > CUSTOM_NAME_MAX:
        raise ValidationError({where: f"must be a non-empty string of at most {CUSTOM_NAME_MAX} characters"})
    return name


def check_value(value: Any, where: str) -> Any:
    """A setting's value, at most MAX_VALUE_CHARS of JSON, else a 400 at `where`."""
    if len(json.dumps(value, ensure_ascii=False)) > MAX_VALUE_CHARS:
        raise ValidationError({where: f"must be at most {MAX_VALUE_CHARS} characters of JSON"})
    return value


def _count(db: Session, owner: int | None) -> int:
    model = _model(owner)
    query = select(func.count()).select_from(model)
    if owner is not None:
        query = query.where(model.user_id == owner)
    return db.exec(query).one()


def put_setting(db: Session, owner: int | None, name: str, value: Any, where: str) -> Any:
    """Create the setting, or replace its value when the name exists."""
    check_value(value, f"{where}.value")
    found = db.exec(_query(owner, [name])).first()
    if found is None:
        if _count(db, owner) >= MAX_SETTINGS:
            raise Conflict(f"At most {MAX_SETTINGS} custom settings per owner; delete one first")
        extra = {} if owner is None else {"user_id": owner}
        found = _model(owner)(name=name, value=value, **extra)
    else:
        found.value = value
        found.updated_at = utcnow()
    db.add(found)
    db.flush()
    return found


def update_setting(db: Session, owner: int | None, name: str, value: Any, where: str) -> Any:
    """Replace an existing setting's value, or NotFound."""
    found = get_setting(db, owner, name)
    found.value = check_value(value, f"{where}.value")
    found.updated_at = utcnow()
    db.add(found)
    db.flush()
    return found


def delete_setting(db: Session, owner: int | None, name: str) -> Any:
    """Delete one of the owner's settings, or NotFound."""
    found = get_setting(db, owner, name)
    db.delete(found)
    db.flush()
    return found
