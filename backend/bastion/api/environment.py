"""/api/v2/system/environment: what a login screen needs, and more for admins."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from bastion.auth import request_app
from bastion.config import current_settings
from bastion.db import backend_name, get_engine, session_scope
from bastion.docs import system_params as params
from bastion.docs.routes import documented
from bastion.services import registration
from bastion.version import __version__

bp = Blueprint("environment", __name__, url_prefix="/api/v2/system/environment")


# A login's body as DreamFactory's environment describes it to its clients.
LOGIN_PAYLOAD = {"email": "string", "password": "string", "remember_me": "bool"}


def _login_api(path: str) -> dict:
    return {"path": path, "verb": "POST", "payload": LOGIN_PAYLOAD}


def _authentication() -> dict:
    """The login paths, in Bastion's form and in DreamFactory's (which its login screens read)."""
    return {
        "admin_login": "/api/v2/system/admin/session",
        "user_login": "/api/v2/user/session",
        "admin": _login_api("system/admin/session"),
        "user": _login_api("user/session"),
        "oauth": [],
        "adldap": [],
        "saml": [],
        "allow_open_registration": _registration_open(),
        "open_reg_email_service_id": None,
        "allow_forever_sessions": False,
        "login_attribute": "email",
    }


def _registration_open() -> bool:
    """Whether POST /api/v2/user/register accepts accounts through the caller's app (its API key)."""
    app = request_app()  # a bad key never gets here: refuse_bad_api_key answered 401
    if app is None:
        return False
    with session_scope() as db:
        setting = registration.get_setting(db)
    return setting.enabled and any(item["app_id"] == app.id for item in setting.apps)


@bp.get("")
@documented(errors=(), security=params.PUBLIC)
def get_environment():
    """The platform's name and login paths (also in DreamFactory's form); admins also get its version,
    environment and database kind."""
    body = {"platform": {"name": "Bastion"}, "authentication": _authentication()}
    if current_user.is_authenticated and current_user.user.is_sys_admin:
        settings = current_settings()
        body["platform"].update(
            version=__version__,
            app_env=settings.app_env,
            debug=settings.app_debug,
            database=backend_name(get_engine()),
        )
    return body
