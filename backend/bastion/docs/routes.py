"""What the admin document says of each view, recorded on the view itself (`@documented`).

The admin API's OpenAPI document is built from the registered routes (docs/system_doc.py): each view under
/api/v2/system and /api/v2/user carries a RouteDoc with its body, its answer's model, its parameters and
its error statuses; its docstring's first line is the summary and the rest the description. A view
without one is missing from the document, and a test fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from bastion.docs.system_params import (
    BATCH_PARAMS,
    DREAMFACTORY_CREATE_ONLY,
    DREAMFACTORY_INPUT,
    LIST_PARAMS,
    ONE_PARAMS,
    batch_body,
    with_dreamfactory_names,
)

ATTRIBUTE = "route_doc"
# A request body: a model, or a function of the document's shared schemas that builds one.
Body = type[BaseModel] | Callable[[dict], dict] | None
WRITE_ERRORS = (400, 401, 403, 404, 409, 415)


@dataclass(frozen=True)
class RouteDoc:
    """One view's operation in the admin document."""

    body: Body = None
    response: type[BaseModel] | None = None  # the model of one record answered, else any object
    many: bool = False  # the answer is a list: {"resource": [...], "meta": {...}}
    either: bool = False  # one record, or a list in the batch form
    ok: str = "200"
    errors: tuple[int, ...] = (400, 401, 403, 404)
    parameters: tuple[dict, ...] = ()
    security: tuple[dict, ...] | None = None  # None: an admin's session, the document's default
    answer: str | None = None  # the success response's description, when the summary does not say it


def documented(doc: RouteDoc | None = None, **fields: Any) -> Callable:
    """Record a view's operation for the admin document (a RouteDoc, or its fields)."""
    route_doc = replace(doc, **fields) if doc is not None else RouteDoc(**fields)

    def mark(view: Callable) -> Callable:
        setattr(view, ATTRIBUTE, route_doc)
        return view

    return mark


def doc_of(view: Callable) -> RouteDoc | None:
    """The RouteDoc recorded on a view, through the decorators that wrap it."""
    while view is not None:
        found = getattr(view, ATTRIBUTE, None)
        if found is not None:
            return found
        view = getattr(view, "__wrapped__", None)
    return None


def model_schema(model: type[BaseModel], defs: dict[str, Any]) -> dict:
    """A request model's JSON schema with its $defs moved into components (refs rewritten)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs.update(schema.pop("$defs", {}))
    schema["additionalProperties"] = False
    return schema


@dataclass(frozen=True)
class ResourceDocs:
    """The RouteDocs of a system resource's seven usual views (list, get, create, update, delete)."""

    list: RouteDoc
    get: RouteDoc
    create: RouteDoc
    update_one: RouteDoc
    update_many: RouteDoc
    delete_one: RouteDoc
    delete_many: RouteDoc


def resource_docs(
    name: str, create: type[BaseModel], update: type[BaseModel], public: type[BaseModel] | None = None
) -> ResourceDocs:
    """The usual views of /system/<name>: bodies with DreamFactory's names, answers of the public model."""
    extra = DREAMFACTORY_INPUT.get(name, {})
    create_extra = {**extra, **DREAMFACTORY_CREATE_ONLY.get(name, {})}

    def create_body(defs: dict) -> dict:
        return with_dreamfactory_names(model_schema(create, defs), create_extra)

    def update_body(defs: dict) -> dict:
        return with_dreamfactory_names(model_schema(update, defs), extra)

    def many_body(defs: dict) -> dict:
        return batch_body(update_body(defs))

    batch = dict(response=public, many=True, parameters=tuple(BATCH_PARAMS))
    return ResourceDocs(
        list=RouteDoc(response=public, many=True, errors=(400, 401, 403), parameters=tuple(LIST_PARAMS)),
        get=RouteDoc(response=public, parameters=tuple(ONE_PARAMS)),
        create=RouteDoc(
            body=create_body,
            response=public,
            either=True,
            ok="201",
            errors=(400, 401, 403, 409, 415),
            parameters=tuple(p for p in BATCH_PARAMS if p["name"] != "ids"),
        ),
        update_one=RouteDoc(body=update_body, response=public, errors=WRITE_ERRORS),
        update_many=RouteDoc(body=many_body, errors=WRITE_ERRORS, **batch),
        delete_one=RouteDoc(response=public, errors=(401, 403, 404, 409)),
        delete_many=RouteDoc(errors=(400, 401, 403, 404, 409), **batch),
    )
