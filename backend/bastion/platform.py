"""The platform's Flask class: Flask with orjson responses and two per-request costs taken out.

- Flask asks ``inspect.iscoroutinefunction`` for every hook and view on every request (``ensure_sync``).
  The answer never changes for a function, so it is remembered per function; async views still work.
- Werkzeug's ``MultiDict.get`` builds and catches a KeyError for every absent query parameter, and a data
  request asks for about ten absent ones (filter, order, ids, api_key, ...). QueryArgs checks first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response
from werkzeug.datastructures import ImmutableMultiDict

from bastion.json_provider import OrjsonProvider


class QueryArgs(ImmutableMultiDict):
    """Query and form parameters whose get() of an absent name returns the default directly."""

    def get(self, key: Any, default: Any = None, type: Callable[[str], Any] | None = None) -> Any:  # noqa: A002
        """The first value of a parameter (converted by type), or the default when it is absent."""
        if key not in self:
            return default
        return super().get(key, default, type)


class PlatformRequest(Request):
    """Flask's request with QueryArgs for its parameters."""

    parameter_storage_class = QueryArgs


class Platform(Flask):
    """The Flask application class of Bastion."""

    request_class = PlatformRequest
    json_provider_class = OrjsonProvider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's ensure_sync, remembered per function (hooks and views are the same every request)."""
        wrapped = self._sync.get(func)
        if wrapped is None:
            wrapped = self._sync[func] = super().ensure_sync(func)
        return wrapped

    def make_default_options_response(self) -> Response:
        """A bare OPTIONS (not a CORS preflight): 204 with the URL's methods in Allow and no body.

        Flask's own answer is a 200 typed text/html; an API that answers JSON only has no page to give.
        """
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response
