"""User self-service under /api/v2/user: registration, confirmation, and password reset by e-mailed code.

Answers never tell whether an address has an account: a reset for an unknown address, and a registration
of a known one (when confirmation is on), get the same answer as any other, and the mail goes out in the
background so the answer takes as long either way. Every code check is a password check for the throttle
(per account and per client address, shared by every worker). How many e-mails one address can be sent
is limited too, silently, so nobody can use Bastion to flood a mailbox.
"""

from __future__ import annotations

import hashlib
import time

from flask import Blueprint, current_app, request

from bastion import throttle
from bastion.api.body import json_body, validate
from bastion.api.session_answer import open_session, session_body
from bastion.auth import client_address, request_app
from bastion.config import current_settings
from bastion.db import session_scope
from bastion.docs import system_params as params
from bastion.docs.routes import documented
from bastion.errors import Unauthorized, already_used
from bastion.models import User
from bastion.models_access import Role
from bastion.models_self_service import CodeRedeem, PasswordReset, RegisterRequest, ResetRequest
from bastion.services import accounts, codes, mail, mail_messages, registration

bp = Blueprint("self_service", __name__, url_prefix="/api/v2/user")

MAILS_PER_WINDOW = 5
MAIL_WINDOW_SECONDS = 15 * 60
WRONG_CODE = "The code is wrong, used or expired; ask for a new one"


def _flag(name: str, body: object = None) -> bool:
    raw = request.args.get(name, "")
    in_body = isinstance(body, dict) and body.get(name) is True
    return in_body or raw.strip().lower() in ("true", "1", "yes")


def _may_mail(address: str) -> bool:
    """Count one e-mail to an address; False past MAILS_PER_WINDOW in the window."""
    store, now = current_app.extensions["bastion.throttle"], time.time()
    key = "bastion:mail:" + hashlib.sha256(address.encode()).hexdigest()[:32]
    store.add(key, now, MAIL_WINDOW_SECONDS)
    return len(store.recent(key, now, MAIL_WINDOW_SECONDS)) <= MAILS_PER_WINDOW


def _mail_later(outgoing: mail.Outgoing) -> None:
    mail.send_later(current_settings(), outgoing)


def _open(db, user: User, wanted: bool) -> tuple | None:
    """A new session when `login=true` was asked; its body is built after the commit (_answer)."""
    return (user, *open_session(db, user)) if wanted else None


def _answer(opened: tuple | None, otherwise: dict) -> dict:
    """The session body with DreamFactory's `success` (its role read from the committed snapshot), or the
    plain answer."""
    if opened is None:
        return otherwise
    user, token, row = opened
    return {"success": True, **session_body(user, row, token)}


def _register_body(body: object) -> RegisterRequest:
    """DreamFactory's names too: new_password for password, display_name for name."""
    if isinstance(body, dict):
        body = dict(body)
        for theirs, ours in (("new_password", "password"), ("display_name", "name")):
            if theirs in body and ours not in body:
                body[ours] = body.pop(theirs)
    return validate(RegisterRequest, body)


def _display_name(data: RegisterRequest) -> str:
    joined = " ".join(p for p in (data.first_name, data.last_name) if p)[:255]  # the column's length
    return data.name or joined.strip() or data.email.split("@", 1)[0]


@bp.post("/register")
@documented(
    body=RegisterRequest,
    errors=(400, 401, 403, 409, 415, 502, 503),
    parameters=(params.flag("login", params.LOGIN_FLAG + ", when no confirmation is needed"),),
    security=params.API_KEY,
    answer="Registered (confirmation e-mailed unless skipped)",
)
def register():
    """Open registration through an app (its API key); confirmation by e-mailed code unless skipped."""
    data = _register_body(json_body())
    app = request_app()
    if app is None:
        raise Unauthorized("Authentication required: an API key is required to register")
    with session_scope() as db:
        setting = registration.get_setting(db)
    role_id = registration.role_for(setting, app.id)
    confirm = not setting.skip_confirmation
    if confirm:
        mail.require_configured(current_settings())
    password_hash = registration.hashed(data.password)
    allowed = _may_mail(data.email) if confirm else True  # before the transaction: another connection
    with session_scope() as db:
        existing = accounts.find_user_by_email(db, data.email)
        if existing is not None and not confirm:
            raise already_used(["email"], "account")
        opened = None
        if existing is not None:
            outgoing = _known_address(db, existing) if allowed else None
        else:
            user = registration.create_account(
                db, data.email, _display_name(data), password_hash, app.id, role_id, active=not confirm
            )
            outgoing = _confirmation(db, user) if confirm else None
            opened = _open(db, user, not confirm and _flag("login"))
            role_name = db.get(Role, role_id).name
    if outgoing is not None:
        _mail_later(outgoing)
    body = _answer(opened, {"success": True, "confirmation_required": confirm})
    if opened is not None:
        # This request's access snapshot predates the account: name the role it was just given.
        body.update(role=role_name, role_id=role_id)
    return body


def _confirmation(db, user: User) -> mail.Outgoing:
    code = codes.issue(db, user, "confirm", current_settings().code_ttl_minutes, current_settings().app_key)
    return mail_messages.confirmation(current_settings(), user.email, code)


def _known_address(db, user: User) -> mail.Outgoing | None:
    """A pending registrant gets a fresh code; anyone else a note that they already have an account."""
    if user.is_sys_admin:
        return None
    if not user.is_active and codes.has_pending(db, user, "confirm"):
        return _confirmation(db, user)
    return mail_messages.already_registered(current_settings(), user.email)


@bp.post("/confirm")
@documented(
    body=CodeRedeem,
    errors=(400, 401, 415, 429),
    parameters=(params.flag("login", params.LOGIN_FLAG),),
    security=params.PUBLIC,
    answer="Confirmed",
)
def confirm_registration():
    """Confirm a registration with the e-mailed code; `login=true` answers a session."""
    data = validate(CodeRedeem, json_body())
    attempt = throttle.begin(data.email, client_address())
    with session_scope() as db:
        user = registration.find_account(db, data.email)
        found = user and codes.redeem(db, user, ("confirm",), data.code, current_settings().app_key)
        if not found:
            raise Unauthorized(WRONG_CODE)
        registration.activate(db, user)
        opened = _open(db, user, _flag("login"))
    throttle.succeeded(attempt)
    return _answer(opened, {"success": True})


def is_code_flow() -> bool:
    """Whether a POST /user/password asks for a reset code (`reset=true`) or sets a password with a code.

    A body that is not JSON is not looked at here: the password change then says what is wrong with it.
    """
    body = request.get_json(silent=True) if request.is_json else None
    return _flag("reset", body) or (isinstance(body, dict) and "code" in body)


def password_by_code() -> dict:
    """POST /user/password without a session: send a reset code, or set the password with a code."""
    body = json_body()
    if isinstance(body, dict) and "code" in body:
        return _set_password_with_code({k: v for k, v in body.items() if k != "reset"})
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k != "reset"}
    data = validate(ResetRequest, body)
    mail.require_configured(current_settings())
    # Counted for every address, known or not (the same work either way). Past the limit no new code is
    # made: a flood of requests can neither fill a mailbox nor keep voiding the code the owner just got.
    allowed = _may_mail(data.email)
    outgoing = None
    with session_scope() as db:
        user = registration.find_account(db, data.email)
        if allowed and user is not None and user.is_active:
            code = codes.issue(
                db, user, "reset", current_settings().code_ttl_minutes, current_settings().app_key
            )
            outgoing = mail_messages.reset(current_settings(), user.email, code)
    if outgoing is not None:
        _mail_later(outgoing)
    return {"success": True}


def _set_password_with_code(body: dict) -> dict:
    """A reset, invitation or confirmation code and a new password: set it and end every session."""
    data = validate(PasswordReset, body)
    attempt = throttle.begin(data.email, client_address())
    with session_scope() as db:
        user = registration.find_account(db, data.email)
        found = user and codes.redeem(
            db, user, ("reset", "invite", "confirm"), data.code, current_settings().app_key
        )
        if not found:
            raise Unauthorized(WRONG_CODE)
        if found.purpose == "confirm":
            registration.activate(db, user)
        elif not user.is_active:
            raise Unauthorized(WRONG_CODE)
        accounts.set_password(db, user, data.new_password)
        opened = _open(db, user, _flag("login"))
    throttle.succeeded(attempt)
    return _answer(opened, {"success": True})
