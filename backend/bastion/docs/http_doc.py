"""The OpenAPI document of a remote HTTP service, reduced to what the caller's role allows (issue 20).

With the service's `openapi` (the upstream's document), it is that document with its server set to the
platform's path, the platform's credentials as its security, and each operation kept only when the
caller's role allows its verb on its path (a `{param}` segment is matched as written, so `a/*` covers
`/a/{id}`). Without one, a generic document: one path per component the role names for the service.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

from bastion.docs.common import DATA_SECURITY, ERROR_SCHEMA, SECURITY_SCHEMES
from bastion.verbs import VERBS
from bastion.version import __version__

# Given a path (no leading `/`, `""` for the root) and a verb: whether the caller may use it.
Allows = Callable[[str, str], bool]
PLATFORM_COMPONENTS = {"securitySchemes": SECURITY_SCHEMES}


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
    """The upstream's document with only the allowed operations, served from the platform."""
    reduced = copy.deepcopy(document)
    paths: dict[str, Any] = {}
    for key, item in (document.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        path = str(key).strip("/")
        kept = {
            name: op
            for name, op in item.items()
            if name.upper() not in VERBS or allows(path, name.upper())  # parameters, summary stay
        }
        if any(name.upper() in VERBS for name in kept):
            paths[key] = kept
    reduced["paths"] = paths
    reduced["servers"] = [{"url": server_url}]
    reduced["security"] = DATA_SECURITY  # the platform adds the upstream's own credential itself
    components = dict(reduced.get("components") or {})
    reduced["components"] = {**components, **PLATFORM_COMPONENTS}
    return reduced


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
