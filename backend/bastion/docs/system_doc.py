"""The admin API's own OpenAPI 3.1 document (admins only), built from the request models of each route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bastion.docs.common import (
    ADMIN_SECURITY,
    ERROR_SCHEMA,
    SECURITY_SCHEMES,
    error_responses,
    json_body,
    json_response,
)
from bastion.docs.system_doc_audit import audit_paths
from bastion.docs.system_params import (
    BATCH_PARAMS,
    DREAMFACTORY_CREATE_ONLY,
    DREAMFACTORY_INPUT,
    LIST_PARAMS,
    ONE_PARAMS,
    batch_body,
    with_dreamfactory_names,
)
from bastion.models import (
    AdminCreate,
    AdminUpdate,
    CorsRuleCreate,
    CorsRuleUpdate,
    LoginCredentials,
    ProfileUpdate,
    ServiceCreate,
    ServiceUpdate,
)
from bastion.models_access import (
    AppCreate,
    AppUpdate,
    PasswordChange,
    RoleCreate,
    RoleUpdate,
    UserCreate,
    UserUpdate,
)
from bastion.models_advisor import MuteRequest, UnmuteRequest
from bastion.models_self_service import (
    CodeRedeem,
    LookupCreate,
    LookupUpdate,
    PasswordReset,
    RegisterRequest,
    RegistrationUpdate,
    ResetRequest,
)
from bastion.verbs import VERBS
from bastion.version import __version__

OBJECT = {"type": "object"}
LIST = {
    "type": "object",
    "required": ["resource"],
    "properties": {
        "resource": {"type": "array", "items": OBJECT},
        "meta": {"type": "object", "properties": {"count": {"type": "integer"}}},
    },
}
WRITE_ERRORS = (400, 401, 403, 404, 409, 415)
# (collection path, create model, update model) of each system resource with the usual five routes.
RESOURCES = {
    "admin": (AdminCreate, AdminUpdate),
    "user": (UserCreate, UserUpdate),
    "service": (ServiceCreate, ServiceUpdate),
    "role": (RoleCreate, RoleUpdate),
    "app": (AppCreate, AppUpdate),
    "cors": (CorsRuleCreate, CorsRuleUpdate),
    "lookup": (LookupCreate, LookupUpdate),
}


def _schema(model: type[BaseModel], defs: dict[str, Any]) -> dict:
    """A model's JSON schema with its $defs moved into components (refs rewritten)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs.update(schema.pop("$defs", {}))
    schema["additionalProperties"] = False
    return schema


def _op(summary: str, ok: str, body: dict | None = None, errors=(400, 401, 403, 404)) -> dict:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {ok: json_response(summary, OBJECT), **error_responses(*errors)},
    }
    if body is not None:
        op["requestBody"] = json_body(body)
    return op


def _id_param(name: str) -> dict:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": f"The {name}'s id",
    }


def _resource_paths(name: str, create: type[BaseModel], update: type[BaseModel], defs: dict) -> dict:
    extra = DREAMFACTORY_INPUT.get(name, {})
    create_schema = with_dreamfactory_names(
        _schema(create, defs), {**extra, **DREAMFACTORY_CREATE_ONLY.get(name, {})}
    )
    update_schema = with_dreamfactory_names(_schema(update, defs), extra)
    listed = {"200": json_response("List", LIST), **error_responses(400, 401, 403, 404, 409)}
    return {
        f"/system/{name}": {
            "get": {
                **_op(f"List {name}s", "200"),
                "parameters": LIST_PARAMS,
                "responses": {"200": json_response("List", LIST), **error_responses(400, 401, 403)},
            },
            "post": {
                **_op(f"Create a {name}", "201", create_schema, (400, 401, 403, 409, 415)),
                "parameters": [p for p in BATCH_PARAMS if p["name"] != "ids"],
            },
            "put": {
                **_op(f"Update several {name}s", "200", batch_body(update_schema), WRITE_ERRORS),
                "parameters": BATCH_PARAMS,
                "responses": listed | error_responses(415),
            },
            "patch": {
                **_op(f"Update several {name}s", "200", batch_body(update_schema), WRITE_ERRORS),
                "parameters": BATCH_PARAMS,
                "responses": listed | error_responses(415),
            },
            "delete": {
                **_op(f"Delete several {name}s", "200"),
                "parameters": BATCH_PARAMS,
                "responses": listed,
            },
        },
        f"/system/{name}/{{id}}": {
            "parameters": [_id_param(name)],
            "get": {**_op(f"Get a {name}", "200"), "parameters": ONE_PARAMS},
            "put": _op(f"Update a {name}", "200", update_schema, WRITE_ERRORS),
            "patch": _op(f"Update a {name}", "200", update_schema, WRITE_ERRORS),
            "delete": _op(f"Delete a {name}", "200", None, (401, 403, 404, 409)),
        },
    }


def _profile_paths(defs: dict) -> dict:
    profile = _schema(ProfileUpdate, defs)
    profile["properties"] = {"id": {"type": "integer"}, **profile["properties"]}
    password = _schema(PasswordChange, defs)
    own = {
        "get": _op("One's own profile", "200", None, (401, 403)),
        **{
            verb: _op("Change one's own names and phone", "200", profile, (400, 401, 403, 415))
            for verb in ("post", "put", "patch")
        },
    }
    return {
        "/system/admin/profile": own,
        "/user/profile": own,
        "/system/admin/password": {
            "post": _op("Change the admin's own password", "200", password, (400, 401, 403, 415, 429))
        },
    }


def _session_paths(prefix: str, defs: dict) -> dict:
    login = _schema(LoginCredentials, defs)
    return {
        prefix: {
            "post": {**_op("Log in", "200", login, (400, 401, 403, 415, 429)), "security": []},
            "get": _op("The current session", "200", None, (401, 403)),
            "put": _op("Refresh the session (new token, old one revoked)", "200", None, (401, 403)),
            "delete": _op("Log out", "200", None, (401, 403)),
        }
    }


def _other_paths(defs: dict) -> dict:
    return {
        "/system/environment": {"get": {**_op("Platform environment", "200", None, ()), "security": []}},
        "/system/service_type": {
            "get": {
                **_op("Service types and their config fields", "200", None, (400, 401, 403)),
                "parameters": [
                    p for p in LIST_PARAMS if p["name"] in ("limit", "offset", "fields", "include_count")
                ],
            }
        },
        "/system/service/{id}/test": {
            "parameters": [_id_param("service")],
            "post": _op("Test the service's connection", "200"),
        },
        "/system/app/{id}/rotate-key": {
            "parameters": [_id_param("app")],
            "post": _op("Issue a new API key (shown once)", "200"),
        },
        "/system/explain": {
            "get": {
                **_op("Why a request would be allowed or denied", "200", None, (400, 401, 403)),
                "parameters": [
                    {"name": "path", "in": "query", "required": True, "schema": {"type": "string"}},
                    {
                        "name": "verb",
                        "in": "query",
                        "schema": {"enum": list(VERBS)},
                    },
                    {"name": "app", "in": "query", "schema": {"type": "integer"}},
                    {"name": "user", "in": "query", "schema": {"type": "integer"}},
                ],
            }
        },
        **_advisor_paths(defs),
        **_self_service_paths(defs),
    }


def _flag(name: str, text: str) -> dict:
    return {"name": name, "in": "query", "schema": {"type": "boolean"}, "description": text}


LOGIN_FLAG = "true: answer a new session (as the user login does)"


def _self_service_paths(defs: dict) -> dict:
    """Registration, confirmation and password reset by e-mailed code."""
    reset_request = _schema(ResetRequest, defs)
    reset_request["properties"]["reset"] = {"type": "boolean"}
    change, by_code = _schema(PasswordChange, defs), _schema(PasswordReset, defs)
    password = {"anyOf": [change, reset_request, by_code]}
    update = _schema(RegistrationUpdate, defs)
    return {
        "/system/registration": {
            "get": _op("Open registration: on or off, apps and their roles", "200", None, (401, 403)),
            "put": _op("Change the registration setting", "200", update, (400, 401, 403, 415)),
            "patch": _op("Change the registration setting", "200", update, (400, 401, 403, 415)),
        },
        "/user/register": {
            "post": {
                **_op("Register through an app (its API key)", "200", _schema(RegisterRequest, defs)),
                "responses": {
                    "200": json_response("Registered (confirmation e-mailed unless skipped)", OBJECT),
                    **error_responses(400, 401, 403, 409, 415, 502, 503),
                },
                "parameters": [_flag("login", LOGIN_FLAG + ", when no confirmation is needed")],
                "security": [{"ApiKey": []}, {"DreamFactoryApiKey": []}, {"ApiKeyQuery": []}],
            }
        },
        "/user/confirm": {
            "post": {
                **_op("Confirm a registration with the e-mailed code", "200", _schema(CodeRedeem, defs)),
                "responses": {
                    "200": json_response("Confirmed", OBJECT),
                    **error_responses(400, 401, 415, 429),
                },
                "parameters": [_flag("login", LOGIN_FLAG)],
                "security": [],
            }
        },
        "/user/password": {
            "post": {
                **_op(
                    "Change one's own password (old_password, with a session); ask for a reset code "
                    "(reset=true, email); or set a new password with an e-mailed code (email, code, "
                    "new_password)",
                    "200",
                    password,
                    (400, 401, 415, 429, 503),
                ),
                "parameters": [_flag("reset", "true: e-mail a reset code"), _flag("login", LOGIN_FLAG)],
            }
        },
    }


def _query(name: str, required: bool = False, **schema: Any) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema or {"type": "string"}}


def _advisor_paths(defs: dict) -> dict:
    """The CORS tester and the security advisor."""
    mute, unmute = _schema(MuteRequest, defs), _schema(UnmuteRequest, defs)
    return {
        "/system/cors/explain": {
            "get": {
                **_op("What the CORS layer answers an origin on a path", "200", None, (400, 401, 403)),
                "parameters": [
                    _query("origin", True),
                    _query("path", True),
                    _query("method", enum=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
                    _query("headers"),
                ],
            }
        },
        "/system/advisor": {
            "get": _op("Security findings of the live configuration", "200", None, (401, 403))
        },
        "/system/advisor/mute": {
            "post": _op("Mute a finding with a reason", "200", mute, (400, 401, 403, 404, 415))
        },
        "/system/advisor/unmute": {"post": _op("Unmute a finding", "200", unmute, (400, 401, 403, 404, 415))},
    }


def build_system_document(platform_url: str) -> dict:
    """The admin API document."""
    defs: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for name, (create, update) in RESOURCES.items():
        paths.update(_resource_paths(name, create, update, defs))
    paths.update(_session_paths("/system/admin/session", defs))
    paths.update(_session_paths("/user/session", defs))
    paths.update(_other_paths(defs))
    paths.update(audit_paths())
    paths.update(_profile_paths(defs))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bastion admin API", "version": __version__},
        "servers": [{"url": f"{platform_url}/api/v2"}],
        "security": ADMIN_SECURITY,
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA, **defs}, "securitySchemes": SECURITY_SCHEMES},
    }
