"""The admin API's own OpenAPI 3.1 document (admins only), built from the request models of each route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from bastion import __version__
from bastion.docs.common import (
    ADMIN_SECURITY,
    ERROR_SCHEMA,
    SECURITY_SCHEMES,
    error_responses,
    json_body,
    json_response,
)
from bastion.models import (
    AdminCreate,
    AdminUpdate,
    CorsRuleCreate,
    CorsRuleUpdate,
    LoginCredentials,
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
from bastion.models_self_service import (
    CodeRedeem,
    LookupCreate,
    LookupUpdate,
    PasswordReset,
    RegisterRequest,
    RegistrationUpdate,
    ResetRequest,
)

OBJECT = {"type": "object"}
LIST = {
    "type": "object",
    "required": ["resource"],
    "properties": {"resource": {"type": "array", "items": OBJECT}},
}
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
    create_schema, update_schema = _schema(create, defs), _schema(update, defs)
    return {
        f"/system/{name}": {
            "get": {
                **_op(f"List {name}s", "200"),
                "responses": {"200": json_response("List", LIST), **error_responses(401, 403)},
            },
            "post": _op(f"Create a {name}", "201", create_schema, (400, 401, 403, 409, 415)),
        },
        f"/system/{name}/{{id}}": {
            "parameters": [_id_param(name)],
            "get": _op(f"Get a {name}", "200"),
            "put": _op(f"Update a {name}", "200", update_schema, (400, 401, 403, 404, 409, 415)),
            "patch": _op(f"Update a {name}", "200", update_schema, (400, 401, 403, 404, 409, 415)),
            "delete": _op(f"Delete a {name}", "200", None, (401, 403, 404, 409)),
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
            "get": _op("Service types and their config fields", "200", None, (401, 403))
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
                        "schema": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
                    },
                    {"name": "app", "in": "query", "schema": {"type": "integer"}},
                    {"name": "user", "in": "query", "schema": {"type": "integer"}},
                ],
            }
        },
        **_self_service_paths(defs),
    }


def _flag(name: str, text: str) -> dict:
    return {"name": name, "in": "query", "schema": {"type": "boolean"}, "description": text}


LOGIN_FLAG = "true: answer a new session (as the user login does)"


def _self_service_paths(defs: dict) -> dict:
    """Registration, confirmation and password reset by e-mailed code (issue 15)."""
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


def build_system_document(platform_url: str) -> dict:
    """The admin API document."""
    defs: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for name, (create, update) in RESOURCES.items():
        paths.update(_resource_paths(name, create, update, defs))
    paths.update(_session_paths("/system/admin/session", defs))
    paths.update(_session_paths("/user/session", defs))
    paths.update(_other_paths(defs))
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bastion admin API", "version": __version__},
        "servers": [{"url": f"{platform_url}/api/v2"}],
        "security": ADMIN_SECURITY,
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA, **defs}, "securitySchemes": SECURITY_SCHEMES},
    }
