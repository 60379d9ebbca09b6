"""/api/v2/system/environment: what a login screen needs, and more for admins."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from bastion.config import current_settings
from bastion.db import backend_name, get_engine
from bastion.docs import system_params as params
from bastion.docs.routes import documented
from bastion.version import __version__

bp = Blueprint("environment", __name__, url_prefix="/api/v2/system/environment")


@bp.get("")
@documented(errors=(), security=params.PUBLIC)
def get_environment():
    """The platform's name and login paths; admins also get its version, environment and database kind."""
    body = {
        "platform": {"name": "Bastion"},
        "authentication": {
            "admin_login": "/api/v2/system/admin/session",
            "user_login": "/api/v2/user/session",
        },
    }
    if current_user.is_authenticated and current_user.user.is_sys_admin:
        settings = current_settings()
        body["platform"].update(
            version=__version__,
            app_env=settings.app_env,
            debug=settings.app_debug,
            database=backend_name(get_engine()),
        )
    return body
