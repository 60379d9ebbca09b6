"""/api/v2/system/admin/session: admin login, session read, refresh and logout (DESIGN §3)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from bastion import throttle
from bastion.api.body import json_body, validate
from bastion.auth import client_address, find_request_session, require_admin
from bastion.db import session_scope
from bastion.errors import Forbidden, TooManyRequests, Unauthorized
from bastion.models import LoginCredentials, SessionToken, User, utcnow
from bastion.services import admins
from bastion.services.sessions import as_utc, create_session, revoke_session

bp = Blueprint("admin_session", __name__, url_prefix="/api/v2/system/admin/session")


def session_body(user: User, row: SessionToken, token: str | None = None) -> dict:
    """The session as the client sees it; the token only when it was just issued."""
    body = {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "is_sys_admin": user.is_sys_admin,
        "token_expiry_date": as_utc(row.expires_at).isoformat(),
    }
    if token is not None:
        body["session_token"] = token
    return body


def _open_session(db, user: User) -> tuple[str, SessionToken]:
    settings = current_app.config["SETTINGS"]
    return create_session(db, user, settings.session_ttl_minutes, settings.session_refresh_ttl_minutes)


def login(expect_admin: bool):
    """Check credentials with throttling and open a session for the right kind of user."""
    creds = validate(LoginCredentials, json_body())
    email, address = creds.email.strip().lower(), client_address()
    wait = throttle.retry_after(email, address)
    if wait is not None:
        raise TooManyRequests("Too many failed logins; try again later", headers={"Retry-After": str(wait)})
    with session_scope() as db:
        user = admins.authenticate(db, email, creds.password)
        if user is None:
            throttle.record_failure(email, address)
            raise Unauthorized("Invalid email or password")
        throttle.clear_account(email)
        if user.is_sys_admin != expect_admin:
            where = "/api/v2/user/session" if user.is_sys_admin else "/api/v2/system/admin/session"
            raise Forbidden(f"This account must log in at {where}")
        user.last_login_at = utcnow()
        db.add(user)
        token, row = _open_session(db, user)
        return session_body(user, row, token)


@bp.post("")
def create_session_view():
    return jsonify(login(expect_admin=True)), 200


@bp.get("")
def get_session():
    caller = require_admin()
    return session_body(caller.user, caller.session)


@bp.put("")
def refresh_session():
    caller = find_request_session(allow_expired=True)
    if caller is None:
        require_admin()  # raises the right 401
    if not caller.user.is_sys_admin:
        raise Forbidden("Admin access required")
    with session_scope() as db:
        revoke_session(db, caller.session)
        token, row = _open_session(db, caller.user)
        return session_body(caller.user, row, token)


@bp.delete("")
def delete_session():
    caller = require_admin()
    with session_scope() as db:
        revoke_session(db, caller.session)
    return {"success": True}
