"""URL aliases, resolved before routing so that CORS, guards, routing and logs all see one path.

`/api/...` without a version is served as `/api/v2/...` (DESIGN §1), and one trailing slash is dropped
from every API path, as DreamFactory's clients send both forms and expect the same answer. Two trailing
slashes stay, so an empty record id (`/_table/t//`) is still a 404.
"""

from __future__ import annotations

from werkzeug.routing import BaseConverter


class VersionAlias:
    """WSGI middleware that rewrites unversioned API paths to v2 and drops a trailing slash."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/api" or (path.startswith("/api/") and not path.startswith("/api/v2")):
            path = "/api/v2" + path[4:]
        if path.startswith("/api/") and path.endswith("/") and not path.endswith("//"):
            path = path[:-1]
        environ["PATH_INFO"] = path
        return self.wsgi_app(environ, start_response)


class IdConverter(BaseConverter):
    """`<id:x>`: an id of at most 18 digits, so it fits a 64-bit column; anything else is not found.

    The bound lives in the pattern, not in to_python: a value rejected there makes Werkzeug answer 405.
    """

    regex = r"\d{1,18}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        """The id as an int."""
        return int(value)

    def to_url(self, value: int) -> str:
        """The id as URL text."""
        return str(value)
