"""Login sessions for admins (/api/v2/system/admin/session) and users (/api/v2/user/session), DESIGN §3.

Both work without an API key. Admins are refused at the user login and users at the admin login, so that
ADMIN_ALLOWED_NETWORKS can fence the admin login alone (an admin's existing session may still be read,
refreshed and ended at the user endpoint, inside that fence); the refusal is the same 401 as a wrong password,
so the user login never tells whether an admin's password was right.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from bastion import throttle
from bastion.api import login_audit
from bastion.api.body import json_body, validate
from bastion.api.session_answer import open_session, session_body
from bastion.auth import (
    SessionUser,
    client_address,
    find_request_session,
    require_session,
    session_token_from_request,
)
from bastion.config import current_settings
from bastion.db import session_scope
from bastion.docs import system_params as params
from bastion.docs.routes import documented
from bastion.errors import Forbidden, Unauthorized
from bastion.guards import require_admin_network
from bastion.models import LoginCredentials
from bastion.services import login
from bastion.services.sessions import revoke_session

ADMIN_LOGIN = "/api/v2/system/admin/session"
USER_LOGIN = "/api/v2/user/session"


def log_in(for_admins: bool) -> dict:
    """Check credentials under the throttle and open a session for the right kind of user."""
    creds = validate(LoginCredentials, json_body())
    email = creds.email.strip().lower()
    attempt = throttle.begin(email, client_address())
    settings = current_settings()
    ttl, refresh = settings.session_ttl_minutes, settings.session_refresh_ttl_minutes
    with session_scope() as db:
        started = login.log_in(db, email, creds.password, for_admins, ttl, refresh)
        if started is not None:
            user, token, row = started
            login_audit.describe_client(row)
            body = session_body(user, row, token)
            login_audit.record(db, "login", user)
    if started is None:
        login_audit.failed(email, for_admins, attempt)  # in its own transaction: nothing else commits
        raise Unauthorized("Invalid email or password")
    throttle.succeeded(attempt)
    return body


def _check_kind(caller: SessionUser, for_admins: bool) -> SessionUser:
    """Refuse a user's session at the admin endpoint, and an admin's outside the admin networks."""
    # An admin's session is welcome at the user endpoint: DreamFactory's admin app checks it there.
    if for_admins and not caller.user.is_sys_admin:
        raise Forbidden("Admin access required")
    if caller.user.is_sys_admin:
        require_admin_network()
    return caller


def _own_session(for_admins: bool) -> SessionUser:
    return _check_kind(require_session(), for_admins)


def make_blueprint(name: str, prefix: str, for_admins: bool) -> Blueprint:
    """The four session endpoints for one kind of account."""
    bp = Blueprint(name, __name__, url_prefix=prefix)

    @bp.post("")
    @documented(body=LoginCredentials, errors=(400, 401, 403, 415, 429), security=params.PUBLIC)
    def create_session_view():
        """Log in with e-mail and password: a new session token."""
        return jsonify(log_in(for_admins)), 200

    @bp.get("")
    @documented(errors=(401, 403))
    def get_session():
        """The caller's own session, its token echoed as DreamFactory does."""
        caller = _own_session(for_admins)
        # DreamFactory's GET echoes the token, and its admin app re-reads it from there.
        return session_body(caller.user, caller.session, session_token_from_request())

    @bp.put("")
    @documented(errors=(401, 403))
    def refresh_session():
        """A new token for the caller's session (the old one is revoked), within the refresh window."""
        caller = find_request_session(allow_expired=True)
        if caller is None:
            caller = require_session()  # raises the 401 that says why
        _check_kind(caller, for_admins)
        with session_scope() as db:
            revoke_session(db, caller.session)
            token, row = open_session(db, caller.user, login_at=caller.session.login_at)
            login_audit.record(db, "refresh", caller.user)
            return session_body(caller.user, row, token)

    @bp.delete("")
    @documented(errors=(401, 403))
    def delete_session():
        """Log out: end the caller's session."""
        caller = _own_session(for_admins)
        with session_scope() as db:
            revoke_session(db, caller.session)
            login_audit.record(db, "logout", caller.user)
        return {"success": True}

    return bp


admin_bp = make_blueprint("admin_session", ADMIN_LOGIN, for_admins=True)
user_bp = make_blueprint("user_session", USER_LOGIN, for_admins=False)
