"""The data API of remote HTTP services: `/api/v2/<svc>/<path>` forwarded to `<base_url>/<path>`.

Every request asks the one access decision on its path component (components.path) and verb before
anything is sent; an unknown service is decided on the path as sent first (403, not 404). The root
`/api/v2/<svc>` is answered by the platform: what the service is, nothing of its config.
"""

from __future__ import annotations

from flask import request

from bastion import access, components, http_proxy
from bastion.auth import identify, require_admin
from bastion.config import current_settings
from bastion.errors import BadRequest, MethodNotAllowed, NotFound
from bastion.models import Service
from bastion.registry import find_active_service, open_upstream
from bastion.service_types import HTTP_TYPE

HTTP = HTTP_TYPE


def remote_service(name: str) -> Service | None:
    """The active HTTP service of this name, or None (a database service, or none at all)."""
    try:
        service = find_active_service(name)
    except NotFound:
        return None
    return service if service.type == HTTP else None


def checked_path(rest: str) -> str:
    """The path as a component names it; `.` and `..` segments could climb out of the base URL."""
    segments = rest.split("/")
    if any(s in (".", "..") for s in segments):
        raise BadRequest("A path segment may not be '.' or '..'")
    return rest.rstrip("/")


def service_root(service: Service):
    """What a caller may know of an HTTP service: its name, label and type; admins ask its components."""
    identity = identify()
    if request.args.get("as_access_list", "").lower() in ("1", "true"):
        require_admin()
        return {"resource": [components.ROOT, components.ALL]}
    if not access.reaches(identity=identity, service=service.name, kind=HTTP):
        access.ensure(
            identity=identity, verb="GET", service=service.name, component=components.ROOT_COMPONENT
        )
    return {"resource": [{"name": service.name, "label": service.label, "type": HTTP}]}


def proxy(name: str, rest: str):
    """Forward one request to the service's upstream, after the access decision on path and verb."""
    identity = identify()
    access.ensure_caller(identity=identity)
    path = checked_path(rest)
    verb = "GET" if request.method == "HEAD" else request.method
    service = remote_service(name)
    if service is None:
        access.ensure(identity=identity, verb=verb, service=name, component=components.path(path))
        raise NotFound(f"Service '{name}' has no resource '{path}'")
    if not path:
        if request.method in ("GET", "HEAD"):
            return service_root(service)
        raise MethodNotAllowed(f"Service '{name}': send requests to a path under /api/v2/{name}/")
    access.ensure(identity=identity, verb=verb, service=service.name, component=components.path(path))
    upstream = open_upstream(service)
    return http_proxy.forward(
        upstream,
        request.method,
        path,
        request.args.items(multi=True),
        request.headers,
        request.get_data() if request.method not in ("GET", "HEAD") else None,
        current_settings().is_production,
        public=f"{request.script_root}/api/v2/{service.name}",
    )
