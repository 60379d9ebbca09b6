"""Who logs in: the credentials checked in constant time, last_login_at stamped, a session opened.

Throttling, the audit trail and the client's address stay with the view, which knows the request.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bastion.models import SessionToken, User, utcnow
from bastion.passwords import dummy_hash, verify_password
from bastion.services.accounts import NO_PASSWORD, find_user_by_email
from bastion.services.sessions import create_session, purge_dead_sessions


def authenticate(db: Session, email: str, password: str, admin: bool) -> User | None:
    """The active admin (or non-admin) whose email and password match, else None.

    An unknown, inactive, other-kind or password-less account is checked against a dummy hash: every
    refusal costs as long as a success and says nothing about which part was wrong.
    """
    user = find_user_by_email(db, email)
    if user is None or not user.is_active or user.is_sys_admin != admin or user.password_hash == NO_PASSWORD:
        verify_password(password, dummy_hash())
        return None
    return user if verify_password(password, user.password_hash) else None


def start_session(
    db: Session, user: User, ttl_minutes: int, refresh_minutes: int, login_at: datetime | None = None
) -> tuple[str, SessionToken]:
    """A new session for a user (a refresh passes the login time it keeps), and a batch of dead ones gone."""
    token, row = create_session(db, user, ttl_minutes, refresh_minutes, login_at=login_at)
    purge_dead_sessions(db)
    return token, row


def log_in(
    db: Session, email: str, password: str, admin: bool, ttl_minutes: int, refresh_minutes: int
) -> tuple[User, str, SessionToken] | None:
    """The user, token and session of a successful login, or None when the credentials do not match."""
    user = authenticate(db, email, password, admin)
    if user is None:
        return None
    user.last_login_at = utcnow()
    db.add(user)
    token, row = start_session(db, user, ttl_minutes, refresh_minutes)
    return user, token, row
