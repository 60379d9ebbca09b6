"""One's own account: /api/v2/user/profile, /api/v2/system/admin/profile and /api/v2/system/admin/password.

DreamFactory's admin app reads and edits the admin's profile under /system/admin; its user apps use
/user/profile. An admin's session may use /user/profile too, from the networks that reach the admin API.
"""

from __future__ import annotations

from flask import Blueprint

from bastion.api.batches import strip_own_id
from bastion.api.body import json_body, validate
from bastion.api.users import change_own_password
from bastion.auth import admin_required, require_session
from bastion.db import session_scope
from bastion.docs import system_bodies as bodies
from bastion.docs.routes import documented
from bastion.guards import require_admin_network
from bastion.models import ProfileUpdate
from bastion.models_access import PasswordChange
from bastion.services.profiles import profile, update_profile

user_bp = Blueprint("user_profile", __name__, url_prefix="/api/v2/user/profile")
admin_bp = Blueprint("admin_profile", __name__, url_prefix="/api/v2/system/admin")


def _caller():
    caller = require_session()
    if caller.user.is_sys_admin:
        require_admin_network()
    return caller


def _read() -> dict:
    return profile(_caller().user)


def _write() -> dict:
    caller = _caller()
    data = validate(ProfileUpdate, strip_own_id(json_body(), caller.user.id))
    with session_scope() as db:
        return profile(update_profile(db, caller.user.id, data))


@user_bp.get("")
@documented(errors=(401, 403))
def get_user_profile():
    """One's own profile."""
    return _read()


@user_bp.route("", methods=["POST", "PUT", "PATCH"])
@documented(body=bodies.profile, errors=(400, 401, 403, 415))
def update_user_profile():
    """Change one's own names and phone."""
    return _write()


@admin_bp.get("/profile")
@admin_required
@documented(errors=(401, 403))
def get_admin_profile():
    """The admin's own profile."""
    return _read()


@admin_bp.route("/profile", methods=["POST", "PUT", "PATCH"])
@admin_required
@documented(body=bodies.profile, errors=(400, 401, 403, 415))
def update_admin_profile():
    """Change the admin's own names and phone."""
    return _write()


@admin_bp.post("/password")
@admin_required
@documented(body=PasswordChange, errors=(400, 401, 403, 415, 429))
def change_admin_password():
    """Change the admin's own password (old_password, new_password); a fresh session is returned."""
    return change_own_password()
