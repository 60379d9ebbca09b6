"""The OpenAPI document of a remote HTTP service, reduced to what the caller's role allows (issue 20).

With the service's `openapi` (the upstream's document), it is that document with its server set to the
platform's path, the platform's credentials as its security, and each operation kept only when the
caller's role allows its verb on its path (a `{param}` segment is matched as written, so `a/*` covers
`/a/{id}`); a path item that is a local `$ref` is read as the item it names, and every `$ref` served
resolves in the document served (upstream_refs). Without one, a generic document: one path per
component the role names for the service.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from bastion.docs import upstream_refs
from bastion.docs.common import DATA_SECURITY, ERROR_SCHEMA, SECURITY_SCHEMES
from bastion.verbs import VERBS
from bastion.version import __version__

# Given a path (no leading `/`, `""` for the root) and a verb: whether the caller may use it.
Allows = Callable[[str, str], bool]
PLATFORM_COMPONENTS = {"securitySchemes": SECURITY_SCHEMES}
# What a path item keeps besides its allowed operations: never its servers, `$ref` or extensions.
ITEM_FIELDS = ("summary", "description", "parameters")
COMPONENT_REF = "#/components/"


def _operation(verb: str, path: str) -> dict[str, Any]:
    return {
        "summary": f"{verb} {path or '/'} on the remote API",
        "responses": {
            "200": {"description": "The remote API's answer, passed on"},
            "502": {"description": "The remote API cannot be reached or answered too much"},
            "504": {"description": "The remote API did not answer in time"},
        },
    }


def reduce_upstream(document: dict, allows: Allows, server_url: str) -> dict:
    """The upstream's document with only the allowed operations, served from the platform.

    Built up from what it keeps, never by deleting from the whole: the platform's server and security
    (no path or operation may name the upstream's servers or credentials, nor carry its `x-` extensions,
    where gateways keep their backends' addresses), the allowed operations, only the components and tags
    they refer to, and links only to operations kept. No `webhooks` (the upstream's to send) and no
    `x-` extensions at the top: either could describe any path.
    """
    paths, path_items = _kept_paths(document, allows)
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    reduced: dict[str, Any] = {
        "openapi": document.get("openapi", "3.1.0"),
        "info": {k: copy.deepcopy(v) for k, v in info.items() if not k.startswith("x-")},
        "servers": [{"url": server_url}],
        "security": DATA_SECURITY,  # the platform adds the upstream's own credential itself
        "paths": paths,
    }
    if "jsonSchemaDialect" in document:
        reduced["jsonSchemaDialect"] = document["jsonSchemaDialect"]
    components = _referred_components(paths, document.get("components"), path_items)
    reduced["components"] = {**components, **PLATFORM_COMPONENTS}
    _keep_links_to(_operation_ids(paths), paths, reduced["components"])
    named = {t for item in paths.values() for op in _operations(item) for t in op.get("tags") or []}
    tags = [t for t in document.get("tags") or [] if isinstance(t, dict) and t.get("name") in named]
    if tags:
        reduced["tags"] = copy.deepcopy(tags)
    return upstream_refs.without_dangling_refs(reduced)


def _kept_paths(document: dict, allows: Allows) -> tuple[dict[str, Any], set[str]]:
    """The paths with an allowed operation, a `$ref` item read as the item it names; and the names of
    the `pathItems` components any path (kept or not) is read through."""
    paths: dict[str, Any] = {}
    path_items: set[str] = set()
    for key, item in _dict(document.get("paths")).items():
        if not isinstance(item, dict):
            continue
        resolved, through = upstream_refs.resolved_path_item(document, item)
        path_items |= upstream_refs.path_item_names(through)
        if kept := _path_item(str(key).strip("/"), resolved, allows):
            paths[key] = kept
    return paths, path_items


def _path_item(path: str, item: dict, allows: Allows) -> dict:
    """A path item's allowed operations with its summary, description and parameters; {} when none."""
    kept = {
        name.lower(): _kept_operation(op)
        for name, op in item.items()
        if name.upper() in VERBS and isinstance(op, dict) and allows(path, name.upper())
    }
    if not kept:
        return {}
    return {k: copy.deepcopy(item[k]) for k in ITEM_FIELDS if k in item} | kept


def _kept_operation(op: dict) -> dict:
    """An operation without the upstream's servers, security requirements and extensions."""
    return {k: copy.deepcopy(v) for k, v in op.items() if k not in ("servers", "security") and k[:2] != "x-"}


def _operations(item: dict) -> list[dict]:
    return [op for name, op in item.items() if name.upper() in VERBS]


def _operation_ids(paths: dict) -> set[str]:
    return {op["operationId"] for item in paths.values() for op in _operations(item) if "operationId" in op}


def _refs(value: Any) -> set[tuple[str, str]]:
    """The components a value refers to (`$ref`, a discriminator's mapping: any `#/components/...`)."""
    found: set[tuple[str, str]] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item.startswith(COMPONENT_REF):
            parts = item[len(COMPONENT_REF) :].split("/")
            if len(parts) >= 2:
                name = parts[1].replace("~1", "/").replace("~0", "~")
                found.add((parts[0], name))
    return found


def _referred_components(paths: dict, components: Any, path_items: set[str]) -> dict[str, dict]:
    """The upstream's components the kept paths refer to, directly or through other components (a `$ref`
    cycle is followed once); never its securitySchemes, which the platform's replace, nor the
    `path_items` some path is read through (upstream_refs: all that path's operations)."""
    if not isinstance(components, dict):
        return {}
    kept: dict[str, dict] = {}
    todo = _refs(paths)
    while todo:
        kind, name = todo.pop()
        section = components.get(kind)
        if kind == "securitySchemes" or not isinstance(section, dict) or name not in section:
            continue
        if kind == "pathItems" and name in path_items:
            continue
        if name in kept.get(kind, {}):
            continue
        kept.setdefault(kind, {})[name] = copy.deepcopy(section[name])
        todo |= _refs(section[name])
    return kept


def _keep_links_to(operation_ids: set[str], paths: dict, components: dict) -> None:
    """Drop the links that lead to an operation not kept (or name one by `operationRef`, a path), and
    those that refer to a link dropped."""
    shared = _dict(components.get("links"))
    for name, link in list(shared.items()):
        if not isinstance(link, dict) or link.get("operationId") not in operation_ids:
            del shared[name]
    if "links" in components and not shared:
        del components["links"]
    responses = [r for item in paths.values() for op in _operations(item) for r in _values(op, "responses")]
    responses += list(_dict(components.get("responses")).values())
    for links in [_dict(r.get("links")) for r in responses if isinstance(r, dict)]:
        for name, link in list(links.items()):
            if not isinstance(link, dict):
                del links[name]
            elif "$ref" in link:
                if str(link["$ref"]).removeprefix(COMPONENT_REF + "links/") not in shared:
                    del links[name]
            elif link.get("operationId") not in operation_ids:
                del links[name]


def _values(op: dict, key: str) -> list:
    return list(op[key].values()) if isinstance(op.get(key), dict) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def generic_document(service: str, named: Iterable[str], allows: Allows, server_url: str) -> dict:
    """A document of the paths a role names (`a/*` as `/a/{path}`), each with its allowed verbs."""
    paths: dict[str, Any] = {}
    for component in sorted(set(named) - {""}):  # the root is the platform's, not the remote API's
        wildcard = component == "*" or component.endswith("/*")
        base = "" if component == "*" else component.removesuffix("/*")
        probe = f"{base}/\x00" if wildcard and base else ("\x00" if wildcard else base)
        verbs = [v for v in VERBS if allows(probe, v)]
        if not verbs:
            continue
        url = f"/{base}/{{path}}" if wildcard and base else ("/{path}" if wildcard else f"/{base}")
        operations = {v.lower(): _operation(v, base) for v in verbs}
        if wildcard:
            operations["parameters"] = [
                {"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}
            ]
        paths[url.replace("//", "/")] = operations
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{service} API",
            "version": __version__,
            "description": f"Remote HTTP service '{service}' through the platform (no upstream document).",
        },
        "servers": [{"url": server_url}],
        "security": DATA_SECURITY,
        "paths": paths,
        "components": {"schemas": {"Error": ERROR_SCHEMA}, **PLATFORM_COMPONENTS},
    }
