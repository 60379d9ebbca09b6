"""/api/v2/system/user (non-admin users and their app roles) and /api/v2/user/password."""

from __future__ import annotations

from flask import Blueprint, jsonify

from bastion import throttle
from bastion.api import self_service
from bastion.api.body import json_body, records, validate
from bastion.api.sessions import open_session, session_body
from bastion.auth import admin_required, client_address, require_session
from bastion.db import session_scope
from bastion.errors import Unauthorized
from bastion.guards import require_admin_network
from bastion.models import User
from bastion.models_access import PasswordChange, UserCreate, UserUpdate
from bastion.passwords import verify_password
from bastion.services import admins, users

bp = Blueprint("users", __name__, url_prefix="/api/v2/system/user")
self_bp = Blueprint("user_self", __name__, url_prefix="/api/v2/user")


def public(db, user: User) -> dict:
    """The JSON form of a user: no password, with the role per app."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "is_active": user.is_active,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        "app_roles": users.app_roles(db, user.id),
    }


@bp.get("")
@admin_required
def list_users():
    with session_scope() as db:
        return {"resource": [public(db, u) for u in users.list_users(db)]}


@bp.get("/<id:user_id>")
@admin_required
def get_user(user_id: int):
    with session_scope() as db:
        return public(db, users.get_user(db, user_id))


@bp.post("")
@admin_required
def create_user():
    items, batch = records(json_body())
    payloads = [validate(UserCreate, item) for item in items]
    with session_scope() as db:
        created = [public(db, users.create_user(db, p)) for p in payloads]
    return jsonify({"resource": created} if batch else created[0]), 201


@bp.route("/<id:user_id>", methods=["PUT", "PATCH"])
@admin_required
def update_user(user_id: int):
    data = validate(UserUpdate, json_body())
    with session_scope() as db:
        return public(db, users.update_user(db, user_id, data))


@bp.delete("/<id:user_id>")
@admin_required
def delete_user(user_id: int):
    with session_scope() as db:
        return public(db, users.delete_user(db, user_id))


@self_bp.post("/password")
def change_own_password():
    """Change one's own password: every session ends, and a fresh one is returned.

    The old password is a password check like a login: throttled per account and per address, and for
    an admin only from the networks that may reach the admin API.
    """
    if self_service.is_code_flow():
        return self_service.password_by_code()  # reset by e-mailed code, no session (issue 15)
    caller = require_session()
    if caller.user.is_sys_admin:
        require_admin_network()
    data = validate(PasswordChange, json_body())
    attempt = throttle.begin(caller.user.email, client_address())
    with session_scope() as db:
        user = db.get(User, caller.user.id)
        if not verify_password(data.old_password, user.password_hash):
            raise Unauthorized("The current password is wrong")
        admins.set_password(db, user, data.new_password)
        token, row = open_session(db, user)
        body = session_body(user, row, token)
    throttle.succeeded(attempt)
    return body
