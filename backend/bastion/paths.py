"""URL aliases: `/api/...` without a version is served as `/api/v2/...` (DESIGN §1)."""

from __future__ import annotations


class VersionAlias:
    """WSGI middleware that rewrites unversioned API paths to v2 before routing."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/api" or (path.startswith("/api/") and not path.startswith("/api/v2")):
            environ["PATH_INFO"] = "/api/v2" + path[4:]
        return self.wsgi_app(environ, start_response)
