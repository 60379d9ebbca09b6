"""Login sessions: create, look up, refresh and revoke (DESIGN §3)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import Session, delete, select

from bastion.invalidation import bump
from bastion.models import SessionToken, User, as_utc, utcnow
from bastion.tokens import new_token, token_digest

# Dead sessions deleted by one login at most (see purge_dead_sessions).
PURGE_BATCH = 100


@dataclass(frozen=True)
class ActiveSession:
    """A looked-up session: its row, its user and whether it is past its expiry."""

    row: SessionToken
    user: User
    expired: bool


def create_session(
    db: Session, user: User, ttl_minutes: int, refresh_minutes: int, login_at: datetime | None = None
) -> tuple[str, SessionToken]:
    """Open a session for a user and return the token, shown this once.

    A refresh passes the original session's login_at: the refresh window counts from the login, so a
    token refreshed again and again still dies refresh_minutes after it, and never outlives the window.
    """
    token = new_token()
    now = utcnow()
    login_at = as_utc(login_at) if login_at is not None else now
    refresh_until = login_at + timedelta(minutes=max(refresh_minutes, ttl_minutes))
    row = SessionToken(
        token_hash=token_digest(token),
        user_id=user.id,
        created_at=now,
        login_at=login_at,
        expires_at=min(now + timedelta(minutes=ttl_minutes), refresh_until),
        refresh_until=refresh_until,
    )
    db.add(row)
    db.flush()
    return token, row


def find_session(db: Session, token: str) -> ActiveSession | None:
    """The live session of a token, or None when unknown, past its refresh window or its user inactive."""
    row = db.exec(select(SessionToken).where(SessionToken.token_hash == token_digest(token))).first()
    if row is None:
        return None
    now = utcnow()
    if as_utc(row.refresh_until) <= now:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return ActiveSession(row=row, user=user, expired=as_utc(row.expires_at) <= now)


def recheck(found: ActiveSession) -> ActiveSession | None:
    """A remembered session judged against the clock again: None past its refresh window."""
    now = utcnow()
    if as_utc(found.row.refresh_until) <= now:
        return None
    expired = as_utc(found.row.expires_at) <= now
    return found if expired == found.expired else replace(found, expired=expired)


def revoke_session(db: Session, row: SessionToken) -> None:
    """End one session at once, on every worker (the "sessions" counter drops their caches)."""
    db.exec(delete(SessionToken).where(SessionToken.id == row.id))
    bump(db, "sessions")


def revoke_user_sessions(db: Session, user_id: int) -> None:
    """End every session of a user at once (password change, deactivation, deletion)."""
    db.exec(delete(SessionToken).where(SessionToken.user_id == user_id))
    bump(db, "sessions")


def purge_dead_sessions(db: Session, limit: int | None = None) -> int:
    """Delete up to `limit` (PURGE_BATCH) sessions past their refresh window; how many were deleted.

    Every new session calls it, so dead rows leave without a scheduler, and the bound keeps the cost of
    one login small however many have piled up. They are unusable already, so no cache is bumped.
    """
    dead = select(SessionToken.id).where(SessionToken.refresh_until <= utcnow()).limit(limit or PURGE_BATCH)
    ids = list(db.exec(dead).all())
    if ids:
        db.exec(delete(SessionToken).where(SessionToken.id.in_(ids)))
    return len(ids)
