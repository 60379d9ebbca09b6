"""The platform while its system database is out of order: a bounded grace, then 503, one log line each.

Every request reads the cache counters (invalidation.py); with warm caches that is its only read of the
system database. When that read fails, the last counters read are used for SYSTEM_DB_GRACE_SECONDS
(default 60) after the last successful read: requests authenticated by a cached session or API key, with
the cached access index and service rows, are served as before. Whatever needs the database itself (a
login, an admin write or read, a token this worker has not seen) fails, and is answered 503 "The system
database is unavailable", as is everything once the grace has run out. Nothing can be revoked during the
outage, since no write reaches the database; the grace bounds how long a revocation made just before it
may go unseen by a worker. After a failed read the database is not asked again for RETRY_EVERY seconds,
so that a frozen database costs one request per second its timeout, not every request; once the grace
is over, every request asks again, so that the platform is back with the first one after the database.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from bastion import current
from bastion.config import current_settings
from bastion.errors import ApiError, error_response, request_id

log = logging.getLogger("bastion")

RETRY_EVERY = 1.0


class SystemDatabaseUnavailable(ApiError):
    code = 503
    default_message = "The system database is unavailable; retry shortly"

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "5"})


class Grace:
    """The last counters read successfully, and when; serves them while the grace lasts."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, int] | None = None
        self._read_at = 0.0
        self._retry_at = 0.0

    def read(self, reader: Callable[[], dict[str, int]], errors: tuple[type[BaseException], ...]) -> dict:
        """The counters from reader(), or the last ones while the database fails and the grace lasts."""
        now = self._clock()
        with self._lock:
            serving = self._last is not None and now - self._read_at <= self.seconds
            retry = not serving or now >= self._retry_at
        if retry:
            try:
                counters = reader()
            except errors as exc:
                with self._lock:
                    self._retry_at = now + RETRY_EVERY
                if not serving:
                    raise SystemDatabaseUnavailable() from exc  # its handler logs the one line
                log_failure(exc)
            else:
                with self._lock:
                    self._last, self._read_at, self._retry_at = counters, now, 0.0
                return counters
        with self._lock:
            if self._last is None or now - self._read_at > self.seconds:
                raise SystemDatabaseUnavailable()
            return self._last


def log_failure(exc: BaseException) -> None:
    """One line per failure, with the request id and the cause; the driver's text and trace stay out."""
    cause = type(getattr(exc, "orig", None) or exc).__name__
    log.warning("request %s: the system database is unavailable (%s)", request_id(), cause)


def is_system_error(exc: BaseException) -> bool:
    """Whether a database error came from the system database (tagged by its engine's handle_error)."""
    return bool(getattr(exc, "bastion_system_db", False))


def _tag(context: sa.engine.ExceptionContext) -> None:
    if context.sqlalchemy_exception is not None:
        context.sqlalchemy_exception.bastion_system_db = True  # type: ignore[attr-defined]


def _unavailable(exc: sa.exc.SQLAlchemyError):
    # Only errors of the system database reach here: the data blueprints answer their services' own.
    log_failure(exc)
    error = SystemDatabaseUnavailable()
    return error_response(error.code, error.message, None, error.headers)


def answer_quietly(exc: ApiError):
    """An expected outage's answer (503/504) with one log line, where other 5xx errors log their trace."""
    cause = f", {type(exc.__cause__).__name__}" if exc.__cause__ is not None else ""
    log.warning("request %s: %s (%s%s)", request_id(), exc.message, exc.code, cause)
    return error_response(exc.code, exc.message, exc.context, exc.headers)


def init_app(app: Flask) -> None:
    """Give the app its grace and answer the system database's outages 503 in one log line."""
    app.extensions["bastion.grace"] = Grace(current_settings(app).system_db_grace_seconds)
    sa.event.listen(app.extensions["bastion.db"], "handle_error", _tag)
    for error in (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError):
        app.register_error_handler(error, _unavailable)
    app.register_error_handler(SystemDatabaseUnavailable, answer_quietly)


def grace() -> Grace:
    """The current app's grace."""
    return current.extensions()["bastion.grace"]
