"""Connections to the databases behind data services: URLs, a pool of engines, connection tests.

Configs reach this module with plaintext secrets; the caller decrypts them only when an engine is
actually built (EnginePool takes a callable for that reason). Nothing here logs or returns a password.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bastion.data import pg_values, target_guard, timeouts
from bastion.errors import ApiError, BadRequest, ValidationError

log = logging.getLogger("bastion")

DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}
POOL_OPTIONS = {"pool_size": 5, "max_overflow": 10, "pool_timeout": 10, "pool_recycle": 1800}


def build_url(config: Mapping[str, Any]) -> sa.URL:
    """Validate a plaintext service config and turn it into a SQLAlchemy URL."""
    engine = config.get("engine")
    errors = _validate(config)
    if errors:
        raise ValidationError(errors)
    query = {str(k): str(v) for k, v in (config.get("options") or {}).items()}
    if engine == "sqlite":
        return _sqlite_url(str(config["database"]), query)
    if engine == "mysql":
        query.setdefault("charset", "utf8mb4")
    return sa.URL.create(
        DRIVERS[engine],
        username=config.get("username") or None,
        password=config.get("password") or None,
        host=config.get("host"),
        port=_port(config.get("port")),
        database=str(config["database"]),
        query=query,
    )


def _validate(config: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    engine = config.get("engine")
    if engine not in DRIVERS:
        errors["engine"] = f"must be one of: {', '.join(DRIVERS)}"
    if not str(config.get("database") or "").strip():
        errors["database"] = (
            "a file path is required" if engine == "sqlite" else "a database name is required"
        )
    if engine in ("postgresql", "mysql") and not str(config.get("host") or "").strip():
        errors["host"] = "a host name or address is required"
    if config.get("port") not in (None, "") and _port(config.get("port")) is None:
        errors["port"] = "must be a whole number from 1 to 65535"
    options = config.get("options")
    if options is not None and (
        not isinstance(options, Mapping)
        or not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in options.values())
    ):
        errors["options"] = "must be an object of names to text values"
    return errors | timeouts.validate(config)


def _port(value: Any) -> int | None:
    """The port as an int, or None when absent or out of range."""
    if isinstance(value, bool):
        return None
    try:
        port = int(str(value).strip())
    except ValueError:
        return None
    return port if 1 <= port <= 65535 else None


def _sqlite_url(path: str, query: dict[str, str]) -> sa.URL:
    # The read-write URI mode makes a misspelled path fail instead of silently creating an empty file.
    uri_path = urllib.parse.quote(os.path.abspath(path), safe="/")
    uri_query = {k: urllib.parse.quote(v, safe="") for k, v in query.items()}
    return sa.URL.create(
        "sqlite", database=f"file:{uri_path}", query={**uri_query, "mode": "rw", "uri": "true"}
    )


def create_engine(config: Mapping[str, Any], **kwargs: Any) -> sa.Engine:
    """A SQLAlchemy engine for a plaintext service config, with Bastion's pool and timeout settings."""
    url = build_url(config)
    # Every DBAPI connection is judged by target_guard; SQL parameters never reach the log.
    kwargs = {"hide_parameters": True, "pool_events": target_guard.connect_events(config), **kwargs}
    limits = timeouts.limits_for(config)
    if url.get_backend_name() == "sqlite":
        # Requests run on gthread workers, so a pooled SQLite connection may move between threads.
        connect_args = {"check_same_thread": False, **timeouts.connect_args(url, limits)}
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
        sa.event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        timeouts.install(engine, limits)
        return engine
    # A caller choosing its own pool class (test_connection uses NullPool) takes no pool sizes.
    options = kwargs if "poolclass" in kwargs else {**POOL_OPTIONS, **kwargs}
    connect_args = timeouts.connect_args(url, limits)
    engine = sa.create_engine(url, connect_args=connect_args, pool_pre_ping=True, **options)
    if url.get_backend_name() == "postgresql":
        sa.event.listen(engine, "connect", pg_values.register)
    timeouts.install(engine, limits)
    return engine


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class EnginePool:
    """One pooled engine per data service, rebuilt when the service's config version moves on.

    Engines are keyed by (service_id, version). Asking with a newer version disposes the old engine;
    asking with an older one (a worker that has not yet seen the update) returns the newer engine.
    """

    def __init__(
        self,
        build: Callable[[Mapping[str, Any]], Any] | None = None,
        close: Callable[[Any], None] | None = None,
    ) -> None:
        # The same versioned cache holds an HTTP service's connection pool (http_proxy builds and closes).
        self._build = build or create_engine
        self._close = close or (lambda engine: engine.dispose())
        self._lock = threading.Lock()
        self._engines: dict[Any, tuple[int, sa.Engine]] = {}

    def get(self, service_id: Any, version: int, load_config: Callable[[], Mapping[str, Any]]) -> sa.Engine:
        """The engine of a service; load_config (which decrypts secrets) is called only to build one."""
        with self._lock:
            current = self._engines.get(service_id)
            if current is not None and current[0] >= version:
                return current[1]
            engine = self._build(load_config())
            self._engines[service_id] = (version, engine)
        if current is not None:
            # Checked-out connections finish their work; they are closed when returned.
            self._close(current[1])
        return engine

    def retain(self, live: Mapping[Any, int]) -> list[tuple[Any, sa.Engine]]:
        """Dispose the engines of services not in live (service id to version) or older than its version.

        Returns what was disposed, so that the caller can drop what else belonged to those engines.
        """
        with self._lock:
            stale = [
                (service_id, engine)
                for service_id, (version, engine) in self._engines.items()
                if service_id not in live or live[service_id] > version
            ]
            for service_id, _ in stale:
                del self._engines[service_id]
        for _, engine in stale:
            self._close(engine)
        return stale

    def versions(self) -> dict[Any, int]:
        """The version of each service that has an engine now."""
        with self._lock:
            return {service_id: version for service_id, (version, _) in self._engines.items()}

    def dispose(self, service_id: Any) -> None:
        """Close a service's connections and forget its engine (on delete or deactivation)."""
        with self._lock:
            current = self._engines.pop(service_id, None)
        if current is not None:
            self._close(current[1])

    def dispose_all(self) -> None:
        """Close every engine (at shutdown, or in a forked worker)."""
        with self._lock:
            engines = [engine for _, engine in self._engines.values()]
            self._engines.clear()
        for engine in engines:
            self._close(engine)


def test_connection(config: Mapping[str, Any]) -> None:
    """Open one connection and run a trivial query; raise BadRequest saying why it failed."""
    if config.get("engine") == "sqlite" and config.get("database"):
        path = os.path.abspath(str(config["database"]))
        if not os.path.isfile(path):
            raise BadRequest(f"SQLite file '{path}' not found")
    engine = create_engine(config, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            # SQLite opens files lazily; reading its catalog proves the file really is a database.
            probe = "SELECT count(*) FROM sqlite_master" if config["engine"] == "sqlite" else "SELECT 1"
            connection.execute(sa.text(probe))
    except ApiError as exc:
        # The target guard's refusal, already worded for the user: at test time it is a 400.
        log.warning("connection test to %s refused: %s", _describe_target(config), exc.message)
        raise BadRequest(exc.message) from None
    except Exception as exc:
        detail = " ".join(scrub(str(getattr(exc, "orig", None) or exc), config.get("password")).split())
        log.warning("connection test to %s failed: %s", _describe_target(config), detail)
        raise BadRequest(explain_failure(exc, config)) from None
    finally:
        engine.dispose()


# Pytest would otherwise collect this function from any test module that imports it by name.
test_connection.__test__ = False  # type: ignore[attr-defined]


def scrub(text: str, password: Any) -> str:
    """Text with every spelling of the password (plain and URL-quoted) replaced by a mask."""
    if not password:
        return text
    secret = str(password)
    for spelling in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}:
        text = text.replace(spelling, "**********")
    return text


def _describe_target(config: Mapping[str, Any]) -> str:
    if config.get("engine") == "sqlite":
        return f"sqlite file '{config.get('database')}'"
    return f"{config.get('engine')} at {config.get('host')}:{config.get('port') or 'default port'}"


# Patterns in driver messages (psycopg, pymysql, sqlite3) and what they mean to a user. The first match
# wins, so a missing database is recognised before the looser authentication patterns.
FAILURE_REASONS = tuple(
    (re.compile(pattern, re.IGNORECASE), reason)
    for pattern, reason in (
        (r'database ".*" does not exist|unknown database', "database '{database}' does not exist"),
        (
            r'access denied|authentication failed|password|role ".*" does not exist',
            "authentication failed for user '{username}'",
        ),
        (r"connection refused|errno 111", "connection refused (is the server running on that port?)"),
        (r"name or service not known|could not translate host|nodename|getaddrinfo", "host not found"),
        (r"timed out|timeout|no route to host|unreachable", "host unreachable (timed out)"),
        (r"unable to open database file", "the SQLite file could not be opened"),
        (r"file is not a database", "the file is not a SQLite database"),
        (r"invalid connection option|unexpected keyword|invalid dsn", "invalid connection options"),
    )
)


def explain_failure(exc: BaseException, config: Mapping[str, Any]) -> str:
    """A user-facing reason for a failed connection, classified from the driver's error."""
    text = str(getattr(exc, "orig", None) or exc)
    target = _describe_target(config)
    for pattern, reason in FAILURE_REASONS:
        if pattern.search(text):
            details = {"database": config.get("database"), "username": config.get("username") or ""}
            return f"Cannot connect to {target}: {reason.format(**details)}"
    return f"Cannot connect to {target}; the server log has the driver's message"
