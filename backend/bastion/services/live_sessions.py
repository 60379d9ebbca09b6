"""Live sessions as an admin sees them: who, since when, last seen from where; ending them (audited)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from bastion.errors import NotFound
from bastion.models import SessionToken, User, as_utc, utcnow
from bastion.services import audit
from bastion.services.audit import resource_type_of
from bastion.services.sessions import revoke_session, revoke_user_sessions


def _live(query, user_id: int | None):
    query = query.where(SessionToken.refresh_until > utcnow())
    return query if user_id is None else query.where(SessionToken.user_id == user_id)


def list_live(db: Session, user_id: int | None, limit: int, offset: int) -> list[tuple[SessionToken, User]]:
    """Sessions still inside their refresh window, with their user, most recently opened first."""
    query = select(SessionToken, User).join(User, User.id == SessionToken.user_id)
    query = _live(query, user_id).order_by(SessionToken.id.desc()).offset(offset).limit(limit)
    return list(db.exec(query))


def count_live(db: Session, user_id: int | None) -> int:
    """How many live sessions there are (of one user)."""
    return db.exec(_live(select(func.count()).select_from(SessionToken), user_id)).one()


def _stamp(moment) -> str | None:
    return as_utc(moment).isoformat() if moment is not None else None


def as_dict(row: SessionToken, user: User) -> dict:
    """A session as the admin API shows it: never its token or the token's hash."""
    return {
        "id": row.id,
        "user_id": user.id,
        "email": user.email,
        "name": user.name,
        "is_sys_admin": user.is_sys_admin,
        "created_at": _stamp(row.created_at),
        "login_at": _stamp(row.login_at),
        "last_seen_at": _stamp(row.last_seen_at),
        "expires_at": _stamp(row.expires_at),
        "client_address": row.client_address,
        "user_agent": row.user_agent,
    }


def end_session(db: Session, session_id: int) -> dict:
    """End one session on every worker at once; the ended session as it was."""
    row = db.get(SessionToken, session_id)
    user = db.get(User, row.user_id) if row is not None else None
    if row is None or user is None:
        raise NotFound(f"Session {session_id} not found")
    shown = as_dict(row, user)
    revoke_session(db, row)
    audit.record(db, "end_session", "session", row.id, before={"user_id": user.id, "email": user.email})
    return shown


def end_user_sessions(db: Session, user_id: int) -> int:
    """End every session of a user (admin or not) on every worker at once; how many ended."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found")
    ended = count_live(db, user_id)
    revoke_user_sessions(db, user_id)
    audit.record(db, "end_sessions", resource_type_of(user), user.id, after={"sessions_ended": ended})
    return ended
