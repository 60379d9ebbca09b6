"""A session as the client sees it, and opening one: for login, refresh, password changes and sign-up."""

from __future__ import annotations

from datetime import datetime

from bastion.access import effective_role
from bastion.access_index import current_index
from bastion.api import login_audit
from bastion.auth import request_app
from bastion.config import current_settings
from bastion.models import SessionToken, User, as_utc
from bastion.services import login


def session_body(user: User, row: SessionToken, token: str | None = None) -> dict:
    """The session as the client sees it, with DreamFactory's keys; the token only when it was just issued
    (or is echoed by GET)."""
    last_login = as_utc(user.last_login_at).isoformat() if user.last_login_at else None
    body = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_sys_admin": user.is_sys_admin,
        "last_login_date": last_login,
        "token_expiry_date": as_utc(row.expires_at).isoformat(),
    }
    app = request_app()
    if app is not None and not user.is_sys_admin:
        role = effective_role(current_index(), user.id, app.id)
        if role is not None:
            body.update(role=role.name, role_id=role.id)
    if token is not None:
        # DreamFactory answers the token under both names (session_id for its 1.x clients).
        body["session_token"] = body["session_id"] = token
    return body


def open_session(db, user: User, login_at: datetime | None = None) -> tuple[str, SessionToken]:
    """A new session for a user; a refresh passes the login time of the session it replaces."""
    settings = current_settings()
    token, row = login.start_session(
        db, user, settings.session_ttl_minutes, settings.session_refresh_ttl_minutes, login_at=login_at
    )
    login_audit.describe_client(row)
    return token, row
