"""/api/v2/system/registration: turn open registration on or off, for which apps, with which roles."""

from __future__ import annotations

from flask import Blueprint

from bastion.api.body import json_body, validate
from bastion.auth import admin_required
from bastion.config import current_settings
from bastion.db import session_scope
from bastion.docs.routes import documented
from bastion.models_self_service import RegistrationUpdate
from bastion.services import mail, registration

bp = Blueprint("registration", __name__, url_prefix="/api/v2/system/registration")


def _public(setting) -> dict:
    body = registration.public(setting)
    # The admin sees at once that confirmation e-mails cannot go out.
    body["mail_missing_setting"] = mail.missing_setting(current_settings())
    return body


@bp.get("")
@admin_required
@documented(errors=(401, 403))
def get_registration():
    """The registration setting."""
    with session_scope() as db:
        return _public(registration.get_setting(db))


@bp.route("", methods=["PUT", "PATCH"])
@admin_required
@documented(body=RegistrationUpdate, errors=(400, 401, 403, 415))
def update_registration():
    """Change the fields sent: enabled, skip_confirmation, apps [{app_id, role_id}]."""
    data = validate(RegistrationUpdate, json_body())
    with session_scope() as db:
        return _public(registration.update_setting(db, data))
