"""The admin API's own OpenAPI 3.1 document (admins only), built from the registered routes.

Every route under /api/v2/system and /api/v2/user is in it, described by the RouteDoc its view carries
(docs/routes.py): so a new endpoint cannot be left out, and `undocumented` names any view that has none.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, current_app
from pydantic import BaseModel
from werkzeug.routing import Rule

from bastion.docs.common import (
    ADMIN_SECURITY,
    ERROR_SCHEMA,
    SECURITY_SCHEMES,
    error_responses,
    json_body,
    json_response,
)
from bastion.docs.routes import RouteDoc, doc_of, model_schema
from bastion.version import __version__

API_ROOT = "/api/v2"
PREFIXES = (f"{API_ROOT}/system", f"{API_ROOT}/user")
# A URL rule's variable: <name>, <converter:name> or <converter(args):name>.
VARIABLE = re.compile(r"<(?:(\w+)(?:\([^>]*\))?:)?(\w+)>")
OBJECT = {"type": "object"}


def _list_of(item: dict) -> dict:
    return {
        "type": "object",
        "required": ["resource"],
        "properties": {
            "resource": {"type": "array", "items": item},
            "meta": {"type": "object", "properties": {"count": {"type": "integer"}}},
        },
    }


def system_routes(app: Flask) -> Iterator[tuple[Rule, list[str]]]:
    """The admin API's registered rules and their methods (HEAD and OPTIONS are Flask's own)."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIXES):
            yield rule, sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})


def undocumented(app: Flask) -> list[str]:
    """The endpoints under /api/v2/system and /api/v2/user whose view carries no RouteDoc."""
    return [
        rule.endpoint for rule, _ in system_routes(app) if doc_of(app.view_functions[rule.endpoint]) is None
    ]


def _path(rule: Rule) -> tuple[str, list[dict]]:
    """A rule as an OpenAPI path and its path parameters; a record id is `{id}`, as DreamFactory writes it."""
    parameters = []

    def variable(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if converter == "id":
            owner = rule.rule[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            schema, name, text = {"type": "integer", "minimum": 1}, "id", f"The {owner}'s id"
        else:
            schema, text = {"type": "string"}, f"The {name}"
        parameters.append(
            {"name": name, "in": "path", "required": True, "schema": schema, "description": text}
        )
        return "{" + name + "}"

    return VARIABLE.sub(variable, rule.rule)[len(API_ROOT) :], parameters


def _without_time_format(schema: Any) -> Any:
    """A schema whose times are plain strings: SQLite hands them back without an offset, not RFC 3339."""
    if isinstance(schema, list):
        return [_without_time_format(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {k: _without_time_format(v) for k, v in schema.items() if (k, v) != ("format", "date-time")}


def _answer_schema(model: type[BaseModel], defs: dict[str, Any]) -> dict:
    """A public model as a shared schema: no key is required, since `fields` may leave any out."""
    schema = model.model_json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
    schema = _without_time_format(schema)
    defs.update(schema.pop("$defs", {}))
    schema.pop("required", None)
    defs[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _response(doc: RouteDoc, defs: dict[str, Any]) -> dict:
    one = _answer_schema(doc.response, defs) if doc.response is not None else OBJECT
    if doc.many:
        return _list_of(one)
    return {"anyOf": [one, _list_of(one)]} if doc.either else one


def _operation(view: Any, doc: RouteDoc, defs: dict[str, Any]) -> dict:
    """One operation: the view's docstring as summary and description, the rest from its RouteDoc."""
    summary, _, rest = (inspect.getdoc(view) or "").partition("\n")
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            doc.ok: json_response(doc.answer or summary, _response(doc, defs)),
            **error_responses(*doc.errors),
        },
    }
    if rest.strip():
        op["description"] = rest.strip()
    if doc.body is not None:
        body = model_schema(doc.body, defs) if isinstance(doc.body, type) else doc.body(defs)
        op["requestBody"] = json_body(body)
    if doc.parameters:
        op["parameters"] = list(doc.parameters)
    if doc.security is not None:
        op["security"] = list(doc.security)
    return op


def build_system_document(platform_url: str) -> dict:
    """The admin API document, from the routes the running app has registered."""
    defs: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for rule, methods in system_routes(current_app):
        view = current_app.view_functions[rule.endpoint]
        doc = doc_of(view)
        if doc is None:
            continue  # undocumented(): a test names it
        path, parameters = _path(rule)
        item = paths.setdefault(path, {})
        if parameters:
            item["parameters"] = parameters
        for method in methods:
            item[method.lower()] = _operation(view, doc, defs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Bastion admin API", "version": __version__},
        "servers": [{"url": f"{platform_url}{API_ROOT}"}],
        "security": ADMIN_SECURITY,
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA, **defs}, "securitySchemes": SECURITY_SCHEMES},
    }
