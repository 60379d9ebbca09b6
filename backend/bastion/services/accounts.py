"""Accounts of every user (admins and not): create, read, update, delete, e-mail lookup and passwords."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from bastion.errors import Conflict, NotFound, ValidationError, already_used
from bastion.invalidation import bump
from bastion.models import PERSON_FIELDS, AdminCreate, AdminUpdate, User, UserBase, utcnow
from bastion.passwords import hash_password, verify_password
from bastion.services.sessions import revoke_user_sessions

# The stored hash of an account created without a password: no password ever matches it.
NO_PASSWORD = ""


def list_admins(db: Session) -> list[User]:
    """Every admin, ordered by id."""
    return list(db.exec(select(User).where(User.is_sys_admin == True).order_by(User.id)))  # noqa: E712


def get_admin(db: Session, admin_id: int) -> User:
    """One admin by id, or NotFound."""
    user = db.get(User, admin_id)
    if user is None or not user.is_sys_admin:
        raise NotFound(f"Admin {admin_id} not found")
    return user


def find_user_by_email(db: Session, email: str) -> User | None:
    """The user (admin or not) with this email, compared case-insensitively."""
    return db.exec(select(User).where(User.email == email.strip().lower())).first()


def ensure_email_free(db: Session, email: str, own_id: int | None = None) -> None:
    """Conflict (409) unless no other account uses this e-mail."""
    existing = find_user_by_email(db, email)
    if existing is not None and existing.id != own_id:
        raise already_used(["email"], "account")


def add_user(db: Session, data: UserBase, password: str | None, is_sys_admin: bool) -> User:
    """Insert an admin or a user with a hashed password (or none yet), once its email is known to be free."""
    ensure_email_free(db, data.email)
    user = User(
        email=data.email,
        name=data.name,
        is_active=data.is_active,
        is_sys_admin=is_sys_admin,
        password_hash=NO_PASSWORD if password is None else hash_password(password),
        **{name: getattr(data, name, None) for name in PERSON_FIELDS},
    )
    db.add(user)
    db.flush()
    return user


def create_admin(db: Session, data: AdminCreate) -> User:
    """Create an admin with a hashed password."""
    return add_user(db, data, data.password, is_sys_admin=True)


def _active_admin_count(db: Session) -> int:
    query = select(func.count()).select_from(User).where(User.is_sys_admin == True, User.is_active == True)  # noqa: E712
    return db.exec(query).one()


def _ensure_not_last_admin(db: Session, user: User) -> None:
    if user.is_active and _active_admin_count(db) <= 1:
        raise Conflict("The last active admin cannot be deactivated or deleted")


def update_admin(db: Session, admin_id: int, data: AdminUpdate) -> User:
    """Apply the fields sent; a new password or deactivation ends the admin's sessions."""
    user = get_admin(db, admin_id)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("email") is not None:
        ensure_email_free(db, fields["email"], user.id)
        user.email = fields["email"]
    if fields.get("name") is not None:
        user.name = fields["name"]
    for name in PERSON_FIELDS:
        if name in fields:
            setattr(user, name, fields[name])
    if fields.get("is_active") is False:
        _ensure_not_last_admin(db, user)
    if fields.get("is_active") is not None:
        user.is_active = fields["is_active"]
    if fields.get("password") is not None:
        user.password_hash = hash_password(fields["password"])
    user.updated_at = utcnow()
    db.add(user)
    db.flush()
    if not user.is_active or fields.get("password") is not None:
        revoke_user_sessions(db, user.id)
    bump(db, "sessions")  # sessions remember their user: let every worker read it again
    return user


def delete_admin(db: Session, admin_id: int) -> User:
    """Delete an admin and end its sessions."""
    user = get_admin(db, admin_id)
    _ensure_not_last_admin(db, user)
    revoke_user_sessions(db, user.id)
    db.delete(user)
    db.flush()
    return user


def set_password(db: Session, user: User, password: str) -> None:
    """Replace a user's password and end every session of theirs."""
    user.password_hash = hash_password(password)
    user.updated_at = utcnow()
    db.add(user)
    db.flush()
    revoke_user_sessions(db, user.id)


def change_password(db: Session, user_id: int, old_password: str, new_password: str) -> User:
    """Set a new password once the old one is checked; every session of the user ends.

    A wrong old password is a 400 on `old_password`, as in DreamFactory (df-system UserPasswordResource):
    the session is fine, and a 401 reads to every client (the admin SPA among them) as a session ended.
    """
    user = db.get(User, user_id)
    if user is None or not verify_password(old_password, user.password_hash):
        raise ValidationError(
            {"old_password": "does not match the current password"}, "The current password is wrong"
        )
    set_password(db, user, new_password)
    return user
