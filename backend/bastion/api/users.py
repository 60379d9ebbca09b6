"""/api/v2/system/user (non-admin users and their app roles) and /api/v2/user/password."""

from __future__ import annotations

from flask import Blueprint

from bastion import throttle
from bastion.api import batches, self_service
from bastion.api.batches import strip_own_id
from bastion.api.body import json_body, validate
from bastion.api.listing import Resource, get_resource, list_resource
from bastion.api.session_answer import open_session, session_body
from bastion.auth import admin_required, client_address, require_session
from bastion.config import current_settings
from bastion.db import session_scope
from bastion.docs import system_bodies as bodies
from bastion.docs import system_params as params
from bastion.docs.routes import documented, resource_docs
from bastion.guards import require_admin_network
from bastion.models import PERSON_FIELDS, User
from bastion.models_access import PasswordChange, UserCreate, UserUpdate
from bastion.models_public import UserPublic
from bastion.secrets import get_box
from bastion.services import accounts, invitations, lookups, users

bp = Blueprint("users", __name__, url_prefix="/api/v2/system/user")
self_bp = Blueprint("user_self", __name__, url_prefix="/api/v2/user")

DOCS = resource_docs("user", UserCreate, UserUpdate, UserPublic)


def public(db, user: User, roles: list[dict] | None = None) -> dict:
    """The JSON form of a user: no password, with the role per app (looked up unless given)."""
    # Each field read from its column: DreamFactory's times are read from Bastion's (model_times.py).
    columns = [field.validation_alias or name for name, field in UserPublic.model_fields.items()]
    shown = {column: getattr(user, column) for column in columns if column != "app_roles"}
    shown["app_roles"] = users.app_roles(db, user.id) if roles is None else roles
    return UserPublic.model_validate(shown).model_dump(mode="json")


def public_many(db, rows: list[User]) -> list[dict]:
    """The JSON forms of a page of users, their roles per app read in one query."""
    roles = users.app_roles_of(db, [user.id for user in rows])
    return [public(db, user, roles[user.id]) for user in rows]


RESOURCE = Resource(
    model=User,
    columns=("id", "email", "name", *PERSON_FIELDS, "is_active", "last_login_at", "created_at", "updated_at"),
    public=public,
    public_many=public_many,
    keys=tuple(UserPublic.model_fields),
    where=(User.is_sys_admin == False,),  # noqa: E712 (SQL, not Python)
    related={
        users.DREAMFACTORY_APP_ROLES: lambda db, user: users.dreamfactory_app_roles(db, user.id),
        **{
            name: (lambda db, user, name=name: lookups.related(db, "user", user.id)[name])
            for name in lookups.KEYS["user"]
        },
    },
)


def _create(db, item) -> dict:
    lookup_items = lookups.take_related(item, "user")
    invite = isinstance(item, dict) and item.pop("send_invite", False) is True
    user = users.create_user(db, validate(UserCreate, users.from_dreamfactory(item)))
    lookups.save_related(db, get_box(), "user", user.id, lookup_items)
    if invite:
        # Inside the transaction: a failed send (503 without mail settings, 502 refused) creates no user.
        invitations.send_invite(db, user, current_settings())
    return public(db, user)


def _update(db, user_id: int, body) -> dict:
    lookup_items = lookups.take_related(body, "user")
    data = validate(UserUpdate, users.from_dreamfactory(body))
    user = users.update_user(db, user_id, data)
    lookups.save_related(db, get_box(), "user", user.id, lookup_items)
    return public(db, user)


@bp.get("")
@admin_required
@documented(DOCS.list)
def list_users():
    """List users."""
    with session_scope() as db:
        return list_resource(db, RESOURCE)


@bp.get("/<id:user_id>")
@admin_required
@documented(DOCS.get)
def get_user(user_id: int):
    """Get a user."""
    with session_scope() as db:
        return get_resource(db, RESOURCE, users.get_user(db, user_id))


@bp.post("")
@admin_required
@documented(DOCS.create)
def create_user():
    """Create one user, or several in the batch form; a user without a password cannot log in yet."""
    return batches.create(_create)


@bp.route("/<id:user_id>", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_one)
def update_user(user_id: int):
    """Update a user: the fields sent."""
    body = strip_own_id(json_body(), user_id)
    with session_scope() as db:
        return _update(db, user_id, body)


@bp.route("", methods=["PUT", "PATCH"])
@admin_required
@documented(DOCS.update_many)
def update_users():
    """Update several users."""
    return batches.run(batches.update_items(), _update)


@bp.delete("/<id:user_id>")
@admin_required
@documented(DOCS.delete_one)
def delete_user(user_id: int):
    """Delete a user."""
    with session_scope() as db:
        return public(db, users.delete_user(db, user_id))


@bp.delete("")
@admin_required
@documented(DOCS.delete_many)
def delete_users():
    """Delete several users."""
    return batches.run(
        batches.delete_items(), lambda db, user_id, _: public(db, users.delete_user(db, user_id))
    )


@self_bp.post("/password")
@documented(
    body=bodies.own_password,
    errors=(400, 401, 415, 429, 503),
    parameters=(params.flag("reset", "true: e-mail a reset code"), params.flag("login", params.LOGIN_FLAG)),
)
def change_own_password():
    """Change one's own password: every session ends, and a fresh one is returned.

    Three forms: the old password with a session (old_password, new_password); a request for a reset
    code (reset=true, email); a new password with that e-mailed code (email, code, new_password).
    The old password is a password check like a login: throttled per account and per address, and for
    an admin only from the networks that may reach the admin API.
    """
    if self_service.is_code_flow():
        return self_service.password_by_code()  # reset by e-mailed code: the caller has no session
    caller = require_session()
    if caller.user.is_sys_admin:
        require_admin_network()
    data = validate(PasswordChange, json_body())
    attempt = throttle.begin(caller.user.email, client_address())
    with session_scope() as db:
        user = accounts.change_password(db, caller.user.id, data.old_password, data.new_password)
        token, row = open_session(db, user)
        # DreamFactory answers `success` (its clients test it) with the token; the new session is ours.
        body = {"success": True, **session_body(user, row, token)}
    throttle.succeeded(attempt)
    return body
