"""Logging: one line per record, with the request id; never a query string, body or credential.

Every record is written as exactly one line: control characters (C0, DEL, C1 and the Unicode line and
paragraph separators) are escaped after formatting, so a path, header or exception text cannot start a
line of its own and forge a record. A traceback therefore reads as one line with `\n` between its lines.
The same formatter wraps gunicorn's access and error logs (deploy/gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import re
import sys
import time

from flask import Flask, g, request

from bastion import current
from bastion.errors import request_id

log = logging.getLogger("bastion")

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# A credential that a client put in a query string, wherever a log line quotes a URL.
_CREDENTIAL = re.compile(r"(?i)((?:api_key|session_token)=)[^&\s'\"]+")
# Values a database echoes back in its own error text, which hide_parameters cannot reach: PostgreSQL's
# DETAIL lines quote a failing row (password hashes included) or a key's value; MariaDB quotes the
# statement near a syntax error, with the parameters pymysql already put into it.
_DRIVER_VALUES = (
    (re.compile(r"(Failing row contains )\(.*?\)(\.?)$", re.MULTILINE), r"\1(values hidden)\2"),
    (
        re.compile(r"(Key \(.*?\)=)\(.*?\)( already exists| is not present| is still referenced)"),
        r"\1(hidden)\2",
    ),
    (re.compile(r"(near ')(.*?)(' at line \d+)", re.DOTALL), r"\1(hidden)\3"),
)


def _escape_one(match: re.Match) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def hide_driver_values(text: str) -> str:
    """The text without the row and key values a database quotes in its error messages."""
    for pattern, replacement in _DRIVER_VALUES:
        text = pattern.sub(replacement, text)
    return text


def escape_controls(text: str) -> str:
    """The text on one line: each control character written as a visible escape (\\n, \\x00, ...)."""
    return _CONTROL.sub(_escape_one, text)


class OneLineFormatter(logging.Formatter):
    """Wraps a formatter: its output on one line, query-string credentials and driver-quoted values masked."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's text, as one safe line."""
        text = hide_driver_values(self.inner.format(record))
        return escape_controls(_CREDENTIAL.sub(r"\1[hidden]", text))


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
    line = logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    handler.setFormatter(OneLineFormatter(line))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = True


def _start_timer() -> None:
    current.state().started = time.perf_counter()
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
