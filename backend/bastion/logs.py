"""Logging: one line per request with its id; never a query string, body or credential."""

from __future__ import annotations

import logging
import sys
import time

from flask import Flask, g, request

from bastion.errors import request_id

log = logging.getLogger("bastion")


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the current request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


def _configure_logger() -> None:
    if any(isinstance(f, RequestIdFilter) for h in log.handlers for f in h.filters):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = True


def _start_timer() -> None:
    g.started = time.perf_counter()
    request_id()


def _finish(response):
    response.headers["X-Request-Id"] = request_id()
    # The path only: query strings may carry api_key or session_token. DEBUG, because gunicorn's
    # access log already has a line per request with the same id (X-Request-Id).
    if log.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.debug("%s %s %s %.1fms", request.method, request.path, response.status_code, elapsed)
    return response


def init_app(app: Flask) -> None:
    """Attach the request-id stamping and the per-request log line."""
    _configure_logger()
    app.before_request(_start_timer)
    app.after_request(_finish)
