"""Non-admin users and their role per app (user_app_role)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, delete, select

from bastion.errors import NotFound, ValidationError
from bastion.invalidation import bump
from bastion.models import PERSON_FIELDS, User, utcnow
from bastion.models_access import AppRoleSpec, UserAppRole, UserCreate, UserUpdate
from bastion.passwords import hash_password
from bastion.services import apply_sent_fields, audit
from bastion.services.accounts import add_user, ensure_email_free
from bastion.services.apps import check_app_roles
from bastion.services.sessions import revoke_user_sessions

DREAMFACTORY_APP_ROLES = "user_to_app_to_role_by_user_id"


def from_dreamfactory(item: Any) -> Any:
    """Accept DreamFactory's user_to_app_to_role_by_user_id ({app_id, role_id}) as app_roles."""
    if not isinstance(item, dict) or DREAMFACTORY_APP_ROLES not in item:
        return item
    item = dict(item)
    entries = item.pop(DREAMFACTORY_APP_ROLES)
    if "app_roles" in item:
        raise ValidationError({DREAMFACTORY_APP_ROLES: "send this or app_roles, not both"})
    if entries is not None and not isinstance(entries, list):
        raise ValidationError({DREAMFACTORY_APP_ROLES: "must be a list of {app_id, role_id}"})
    # Its entries also carry their own id and the user's, which the URL or the new record decide here.
    item["app_roles"] = [
        {k: v for k, v in e.items() if k not in ("id", "user_id")} if isinstance(e, dict) else e
        for e in entries or []
    ]
    return item


def dreamfactory_app_roles(db: Session, user_id: int) -> list[dict]:
    """The user's role per app in DreamFactory's related form."""
    return [{"user_id": user_id, **entry} for entry in app_roles(db, user_id)]


def list_users(db: Session) -> list[User]:
    """Every non-admin user, ordered by id."""
    return list(db.exec(select(User).where(User.is_sys_admin == False).order_by(User.id)))  # noqa: E712


def get_user(db: Session, user_id: int) -> User:
    """One non-admin user by id, or NotFound."""
    user = db.get(User, user_id)
    if user is None or user.is_sys_admin:
        raise NotFound(f"User {user_id} not found")
    return user


def app_roles(db: Session, user_id: int) -> list[dict]:
    """A user's role per app."""
    return app_roles_of(db, [user_id])[user_id]


def app_roles_of(db: Session, user_ids: Sequence[int]) -> dict[int, list[dict]]:
    """The role per app of each of several users, in one query (a list page asks for all at once)."""
    found: dict[int, list[dict]] = {user_id: [] for user_id in user_ids}
    if found:
        rows = db.exec(
            select(UserAppRole)
            .where(UserAppRole.user_id.in_(list(found)))
            .order_by(UserAppRole.user_id, UserAppRole.app_id)
        )
        for r in rows:
            found[r.user_id].append({"app_id": r.app_id, "role_id": r.role_id})
    return found


def _set_app_roles(db: Session, user_id: int, specs: list[AppRoleSpec]) -> None:
    check_app_roles(db, specs, "app_roles", "one role per app")
    before = app_roles(db, user_id)
    db.exec(delete(UserAppRole).where(UserAppRole.user_id == user_id))
    for spec in specs:
        db.add(UserAppRole(user_id=user_id, app_id=spec.app_id, role_id=spec.role_id))
    after = [{"app_id": s.app_id, "role_id": s.role_id} for s in sorted(specs, key=lambda s: s.app_id)]
    audit.note_field(db, "user", user_id, "app_roles", before, after)


def create_user(db: Session, data: UserCreate) -> User:
    """Create a non-admin user with a hashed password and their app roles."""
    user = add_user(db, data, data.password, is_sys_admin=False)
    _set_app_roles(db, user.id, data.app_roles)
    bump(db, "access")
    db.flush()
    return user


def update_user(db: Session, user_id: int, data: UserUpdate) -> User:
    """Apply the fields sent; a new password or deactivation ends the user's sessions."""
    user = get_user(db, user_id)
    fields = data.model_dump(exclude_unset=True, exclude={"app_roles", "password"})
    if fields.get("email"):
        ensure_email_free(db, fields["email"], user.id)
    apply_sent_fields(user, fields, nullable=PERSON_FIELDS)
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if data.app_roles is not None:
        _set_app_roles(db, user.id, data.app_roles)
    user.updated_at = utcnow()
    db.add(user)
    bump(db, "access")
    db.flush()
    if not user.is_active or data.password is not None:
        revoke_user_sessions(db, user.id)
    bump(db, "sessions")  # sessions remember their user: let every worker read it again
    return user


def delete_user(db: Session, user_id: int) -> User:
    """Delete a user, their sessions and their app roles."""
    user = get_user(db, user_id)
    revoke_user_sessions(db, user.id)
    db.exec(delete(UserAppRole).where(UserAppRole.user_id == user.id))
    db.delete(user)
    bump(db, "access")
    db.flush()
    return user
