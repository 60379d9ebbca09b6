"""/api/v2/system/custom (admins) and /api/v2/user/custom (one's own): DreamFactory's custom settings.

The shapes are DreamFactory's (df-system and df-user `Resources/Custom.php`): a list answers
`{"resource": [{"name", "value", "created_date", "last_modified_date"}]}` and takes `ids` as a comma list
of names; GET of one name answers its value itself; writes answer the names written (`fields` asks for
more). POST creates or replaces by name; PUT/PATCH replace existing values; DELETE takes one name, `ids`,
or `{"resource": [{"name": ...}]}`. A request's records are written all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from pydantic import TypeAdapter

from bastion.api import query_args
from bastion.api.batches import drop_read_only
from bastion.api.body import json_body, records, validate
from bastion.api.listing import names_param
from bastion.auth import admin_required, require_session
from bastion.db import session_scope
from bastion.docs.routes import documented
from bastion.errors import BadRequest
from bastion.guards import require_admin_network
from bastion.model_times import DreamFactoryTime
from bastion.models_custom import CustomSettingWrite
from bastion.services import custom_settings as settings

system_bp = Blueprint("system_custom", __name__, url_prefix="/api/v2/system/custom")
user_bp = Blueprint("user_custom", __name__, url_prefix="/api/v2/user/custom")

KEYS = ("name", "value", "created_date", "last_modified_date")
_TIME: TypeAdapter = TypeAdapter(DreamFactoryTime)
WRITE_ERRORS = (400, 401, 403, 404, 409, 415)


def _own() -> int:
    caller = require_session()
    if caller.user.is_sys_admin:
        require_admin_network()  # an admin's session, as on /user/profile
    return caller.user.id


def _time(moment: Any) -> str | None:
    return _TIME.dump_python(_TIME.validate_python(moment))


def _shown(row: Any, fields: tuple[str, ...]) -> dict:
    full = {"name": row.name, "value": row.value}
    full |= {"created_date": _time(row.created_at), "last_modified_date": _time(row.updated_at)}
    return {key: full[key] for key in fields}


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    for i, name in enumerate(names):
        settings.check_name(name, f"ids[{i}]")
    return names


def _list(owner: int | None) -> dict:
    query_args.refuse_unknown({"ids", "fields", "include_count"})
    fields = names_param("fields", KEYS) or KEYS
    wanted = _names(request.args["ids"]) if "ids" in request.args else None
    with session_scope() as db:
        rows = settings.list_settings(db, owner, wanted)
        body: dict = {"resource": [_shown(row, fields) for row in rows]}
    if query_args.flag("include_count"):
        body["meta"] = {"count": len(rows)}
    return body


def _one(owner: int | None, name: str):
    query_args.refuse_unknown(set())
    with session_scope() as db:
        value = settings.get_setting(db, owner, name).value
    return jsonify(value)  # DreamFactory answers the value itself


def _write_fields(*more: str) -> tuple[str, ...]:
    query_args.refuse_unknown({"fields", *more})
    return names_param("fields", KEYS) or ("name",)


def _parsed(item: Any, where: str, name: str | None = None) -> tuple[str, Any]:
    data = validate(CustomSettingWrite, drop_read_only(item))
    settings.check_value(data.value, f"{where}.value")  # before any record of the request is written
    if name is not None:  # DreamFactory keeps the URL's name whatever the body says
        return name, data.value
    if data.name is None:
        raise BadRequest(f"'{where}.name' is required: the setting's name")
    return settings.check_name(data.name, f"{where}.name"), data.value


Write = Callable[[Any, int | None, str, Any, str], Any]


def _write_many(owner: int | None, write: Write) -> dict:
    fields = _write_fields()
    items, batch = records(json_body())
    wheres = [f"resource[{i}]" if batch else "body" for i in range(len(items))]
    parsed = [(*_parsed(item, where), where) for item, where in zip(items, wheres, strict=True)]
    with session_scope() as db:
        rows = [write(db, owner, name, value, where) for name, value, where in parsed]
        shown = [_shown(row, fields) for row in rows]
    return {"resource": shown} if batch else shown[0]


def _update_one(owner: int | None, name: str) -> dict:
    fields = _write_fields()
    _, value = _parsed(json_body(), "body", name)
    with session_scope() as db:
        return _shown(settings.update_setting(db, owner, name, value, "body"), fields)


def _delete_many(owner: int | None) -> dict:
    fields = _write_fields("ids")
    if "ids" in request.args:
        names = _names(request.args["ids"])
    elif request.get_data(cache=True):
        items, _ = records(json_body())
        names = [_parsed(item, f"resource[{i}]")[0] for i, item in enumerate(items)]
    else:
        raise BadRequest('Name the settings to delete: ids=a,b or {"resource": [{"name": "a"}, ...]}')
    with session_scope() as db:
        return {"resource": [_shown(settings.delete_setting(db, owner, name), fields) for name in names]}


def _delete_one(owner: int | None, name: str) -> dict:
    fields = _write_fields()
    with session_scope() as db:
        return _shown(settings.delete_setting(db, owner, name), fields)


# ---- /api/v2/system/custom: the platform's settings, for admins ----


@system_bp.get("")
@admin_required
@documented(many=True, errors=(400, 401, 403))
def list_system_custom():
    """The platform's custom settings (`ids`: a comma list of names)."""
    return _list(None)


@system_bp.get("/<name>")
@admin_required
@documented(errors=(401, 403, 404), answer="The setting's value itself")
def get_system_custom(name: str):
    """One platform setting's value."""
    return _one(None, name)


@system_bp.post("")
@admin_required
@documented(ok="201", errors=WRITE_ERRORS)
def create_system_custom():
    """Create platform settings, or replace the values of names that exist."""
    return _write_many(None, settings.put_setting), 201


@system_bp.route("", methods=["PUT", "PATCH"])
@admin_required
@documented(errors=WRITE_ERRORS)
def update_system_customs():
    """Replace the values of existing platform settings (`{"resource": [{"name", "value"}]}`)."""
    return _write_many(None, settings.update_setting)


@system_bp.route("/<name>", methods=["PUT", "PATCH"])
@admin_required
@documented(errors=WRITE_ERRORS)
def update_system_custom(name: str):
    """Replace one platform setting's value (`{"value": ...}`)."""
    return _update_one(None, name)


@system_bp.delete("")
@admin_required
@documented(errors=(400, 401, 403, 404, 415))
def delete_system_customs():
    """Delete platform settings named by `ids` or a body."""
    return _delete_many(None)


@system_bp.delete("/<name>")
@admin_required
@documented(errors=(401, 403, 404))
def delete_system_custom(name: str):
    """Delete one platform setting."""
    return _delete_one(None, name)


# ---- /api/v2/user/custom: the caller's own settings, with a session ----


@user_bp.get("")
@documented(many=True, errors=(400, 401, 403))
def list_user_custom():
    """One's own custom settings (`ids`: a comma list of names)."""
    return _list(_own())


@user_bp.get("/<name>")
@documented(errors=(401, 403, 404), answer="The setting's value itself")
def get_user_custom(name: str):
    """One of one's own settings' value."""
    return _one(_own(), name)


@user_bp.post("")
@documented(ok="201", errors=WRITE_ERRORS)
def create_user_custom():
    """Create one's own settings, or replace the values of names that exist."""
    return _write_many(_own(), settings.put_setting), 201


@user_bp.route("", methods=["PUT", "PATCH"])
@documented(errors=WRITE_ERRORS)
def update_user_customs():
    """Replace the values of one's own existing settings (`{"resource": [{"name", "value"}]}`)."""
    return _write_many(_own(), settings.update_setting)


@user_bp.route("/<name>", methods=["PUT", "PATCH"])
@documented(errors=WRITE_ERRORS)
def update_user_custom(name: str):
    """Replace one of one's own settings' value (`{"value": ...}`)."""
    return _update_one(_own(), name)


@user_bp.delete("")
@documented(errors=(400, 401, 403, 404, 415))
def delete_user_customs():
    """Delete one's own settings named by `ids` or a body."""
    return _delete_many(_own())


@user_bp.delete("/<name>")
@documented(errors=(401, 403, 404))
def delete_user_custom(name: str):
    """Delete one of one's own settings."""
    return _delete_one(_own(), name)
