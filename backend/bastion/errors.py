"""One exception tree and the one function that shapes every error body (DESIGN §6)."""

from __future__ import annotations

import logging
import random
import traceback
from typing import Any

from flask import Flask, has_request_context, jsonify, request
from werkzeug.exceptions import HTTPException

from bastion import current
from bastion.config import current_settings

log = logging.getLogger("bastion")


class ApiError(Exception):
    """An error the client caused or may see; its status is a class attribute."""

    code = 500
    default_message = "Internal server error"

    def __init__(self, message: str | None = None, context: Any = None, headers: dict | None = None):
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.context = context
        self.headers = headers or {}


class BadRequest(ApiError):
    code = 400
    default_message = "Bad request"


# Context keys of Bastion's own; a field of one of these names is listed under "errors" only.
_CONTEXT_KEYS = frozenset({"errors", "error", "resource"})


class ValidationError(BadRequest):
    """A 400 whose context carries per-field messages twice: {"errors": {field: message}} (Bastion's,
    read by the SPA) and {field: [message]} beside it (DreamFactory's, read by its clients)."""

    def __init__(self, errors: dict[str, str], message: str | None = None):
        first = next(iter(errors.items()), ("", "invalid"))
        dreamfactory = {field: [problem] for field, problem in errors.items() if field not in _CONTEXT_KEYS}
        context = {**dreamfactory, "errors": errors}
        super().__init__(message or f"Invalid value for '{first[0]}': {first[1]}", context)


class Unauthorized(ApiError):
    code = 401
    default_message = "Authentication required"


class Forbidden(ApiError):
    code = 403
    default_message = "Forbidden"


class NotFound(ApiError):
    code = 404
    default_message = "Not found"


class MethodNotAllowed(ApiError):
    code = 405
    default_message = "Method not allowed"


class Conflict(ApiError):
    code = 409
    default_message = "Conflict"


def already_used(fields: list[str], owner: str = "record") -> Conflict:
    """The one 409 for values another record (or role, app, ...) already holds: names the fields and says
    what to do, and nothing of the other record, which the caller may not be allowed to see."""
    if len(fields) == 1:
        problem = f"the value is already used by another {owner}; choose another"
    else:
        problem = f"this combination of values is already used by another {owner}; choose another"
    errors = dict.fromkeys(fields, problem)
    dreamfactory = {field: [problem] for field in fields if field not in _CONTEXT_KEYS}
    return Conflict(f"{', '.join(fields)}: {problem}", {**dreamfactory, "errors": errors})


class PayloadTooLarge(ApiError):
    code = 413
    default_message = "Request body too large"


class UnsupportedMediaType(ApiError):
    code = 415
    default_message = "Request body must be JSON (Content-Type: application/json)"


class TooManyRequests(ApiError):
    code = 429
    default_message = "Too many requests"


def request_id() -> str:
    """The id of the current request, made on first use."""
    if not has_request_context():
        return "-"
    state = current.state()
    found = state.get("request_id")
    if found is None:
        # A correlation id, not a secret: random's generator (reseeded in each forked worker) costs a
        # fraction of uuid4's os.urandom call, which showed in every request's profile.
        found = state.request_id = f"{random.getrandbits(128):032x}"
    return found


def error_body(code: int, message: str, context: Any = None, trace: str | None = None) -> dict:
    """The one JSON shape of every error response."""
    body: dict[str, Any] = {
        "code": code,
        "status_code": code,
        "message": message,
        "context": context,
        "request_id": request_id(),
    }
    if trace is not None:
        body["trace"] = trace
    return {"error": body}


def error_response(code: int, message: str, context: Any = None, headers: dict | None = None, trace=None):
    """A Flask response carrying error_body()."""
    response = jsonify(error_body(code, message, context, trace))
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _debug_trace() -> str | None:
    return traceback.format_exc() if current_settings().app_debug else None


def _handle_api_error(exc: ApiError):
    if exc.code >= 500:
        log.error("request %s failed: %s", request_id(), exc.message, exc_info=exc)
    return error_response(exc.code, exc.message, exc.context, exc.headers, _debug_trace())


def _handle_http_exception(exc: HTTPException):
    code = exc.code or 500
    if code == 404:
        message = f"No resource at '{request.path}'"
    elif code == 405:
        message = f"Method {request.method} is not allowed on '{request.path}'"
    elif code == 413:
        message = PayloadTooLarge.default_message
    else:
        message = exc.name
    headers = {}
    if code == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    return error_response(code, message, None, headers)


def _handle_unexpected(exc: Exception):
    # The trace, SQL and driver text go to the log only; the client gets the id to quote.
    log.error("request %s failed with an internal error", request_id(), exc_info=exc)
    return error_response(500, "Internal server error", None, None, _debug_trace())


def init_app(app: Flask) -> None:
    """Register the handlers so that every error, unknown URLs included, is the JSON envelope."""
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
