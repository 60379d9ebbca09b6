"""Apps: their API keys (generated here, returned once, stored as a hash) and default roles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from bastion.apikeys import api_key_hash, fingerprint, new_api_key
from bastion.errors import NotFound, ValidationError, already_used
from bastion.models import utcnow
from bastion.models_access import APP_NULLABLE, App, AppCreate, AppUpdate, Role
from bastion.services import apply_sent_fields, remove, save


def list_apps(db: Session) -> list[App]:
    """Every app, ordered by name."""
    return list(db.exec(select(App).order_by(App.name)))


def get_app(db: Session, app_id: int) -> App:
    """One app by id, or NotFound."""
    app = db.get(App, app_id)
    if app is None:
        raise NotFound(f"App {app_id} not found")
    return app


def check_app_roles(db: Session, items: Sequence[Any], where: str, repeated: str) -> None:
    """400 naming each (app_id, role_id) pair whose app or role does not exist, or whose app repeats."""
    errors, seen = {}, set()
    for i, item in enumerate(items):
        if db.get(App, item.app_id) is None:
            errors[f"{where}[{i}].app_id"] = f"app {item.app_id} does not exist"
        elif item.app_id in seen:
            errors[f"{where}[{i}].app_id"] = repeated
        if db.get(Role, item.role_id) is None:
            errors[f"{where}[{i}].role_id"] = f"role {item.role_id} does not exist"
        seen.add(item.app_id)
    if errors:
        raise ValidationError(errors)


def _check_role(db: Session, role_id: int | None) -> None:
    if role_id is not None and db.get(Role, role_id) is None:
        raise ValidationError({"role_id": f"role {role_id} does not exist"})


def _ensure_name_free(db: Session, name: str, own_id: int | None = None) -> None:
    existing = db.exec(select(App).where(App.name == name)).first()
    if existing is not None and existing.id != own_id:
        raise already_used(["name"], "app")


def _set_new_key(app: App) -> str:
    key = new_api_key()
    app.api_key_hash = api_key_hash(key)
    app.key_fingerprint = fingerprint(key)
    return key


def create_app_record(db: Session, data: AppCreate) -> tuple[App, str]:
    """Create an app and return it with its API key, shown this once."""
    _ensure_name_free(db, data.name)
    _check_role(db, data.role_id)
    app = App(**data.model_dump(), api_key_hash="", key_fingerprint="")
    key = _set_new_key(app)
    return save(db, app, "access"), key


def update_app(db: Session, app_id: int, data: AppUpdate) -> App:
    """Apply the fields sent; deactivation takes the key out of service on every worker at once."""
    app = get_app(db, app_id)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("name"):
        _ensure_name_free(db, fields["name"], app.id)
    if "role_id" in fields:
        _check_role(db, fields["role_id"])
    apply_sent_fields(app, fields, nullable=APP_NULLABLE)
    app.updated_at = utcnow()
    return save(db, app, "access")


def rotate_key(db: Session, app_id: int) -> tuple[App, str]:
    """Replace an app's key; the old one stops working on the next request everywhere."""
    app = get_app(db, app_id)
    key = _set_new_key(app)
    app.updated_at = utcnow()
    return save(db, app, "access"), key


def delete_app(db: Session, app_id: int) -> App:
    """Delete an app and its user assignments."""
    app = get_app(db, app_id)
    return remove(db, app, "access")
