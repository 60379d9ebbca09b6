"""Timeouts on every wait for a database, so that a slow or frozen server costs a worker at most seconds.

Each wait has its bound:
- connect: the driver's connect timeout (a service's own ``connect_timeout`` option wins);
- statement: enforced by the server where it can be, so the connection stays usable: PostgreSQL's
  ``statement_timeout``, MariaDB's ``max_statement_time`` or MySQL's ``max_execution_time`` (SELECTs),
  and for SQLite a progress handler that interrupts a statement past its deadline;
- read: the client stops waiting a little after the statement timeout, for a server that cannot cancel
  anything because it is frozen or cut off: psycopg's waits get a deadline (DeadlineConnection), PyMySQL
  its read and write timeouts. The connection is then closed and the pool discards it;
- TCP keepalive: a dead peer is noticed on an idle pooled connection too;
- SQLite's lock wait (busy timeout) is the shorter of its default and the statement timeout.

A service sets its statement timeout with the config field ``query_timeout`` (seconds); the system
database uses SYSTEM while serving requests and MIGRATIONS in the CLI (db.py).
"""

from __future__ import annotations

import functools
import socket
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

DEFAULT_QUERY_TIMEOUT = 30
QUERY_TIMEOUT_RANGE = (1, 3600)
READ_GRACE = 1.0  # the server's own cancellation of a statement gets this long to arrive
SQLITE_STEPS = 10_000  # virtual machine steps between two deadline checks (microseconds of work)
KEEPALIVE = {"idle": 10, "interval": 5, "count": 3}  # a silent peer is dropped after ~25 s idle


@dataclass(frozen=True)
class Limits:
    """The bounds of one engine's waits, in seconds."""

    connect: float = 5
    query: float = DEFAULT_QUERY_TIMEOUT
    busy: float = 5

    @property
    def read(self) -> float:
        """How long the client waits for any answer: the statement timeout plus a grace."""
        return self.query + READ_GRACE


SYSTEM = Limits(connect=5, query=15, busy=15)  # the platform's own reads and writes are small
MIGRATIONS = Limits(connect=5, query=3600, busy=15)  # the CLI and migrations may rewrite big tables


def validate(config: Mapping[str, Any]) -> dict[str, str]:
    """An error for a query_timeout that is not a whole number of seconds in range, else nothing."""
    value = config.get("query_timeout")
    low, high = QUERY_TIMEOUT_RANGE
    if value in (None, "") or (
        isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    ):
        return {}
    return {"query_timeout": f"must be a whole number of seconds from {low} to {high}"}


def limits_for(config: Mapping[str, Any]) -> Limits:
    """The limits of a (validated) service config."""
    query = config.get("query_timeout")
    return Limits(query=float(query) if query not in (None, "") else DEFAULT_QUERY_TIMEOUT)


def connect_args(url: sa.URL, limits: Limits) -> dict[str, Any]:
    """Driver arguments for the connect, read and keepalive bounds; options in the URL win over them."""
    backend, given = url.get_backend_name(), url.query
    if backend == "sqlite":
        return {"timeout": min(limits.busy, limits.query), "factory": DeadlineSQLite}
    args: dict[str, Any] = {"connect_timeout": int(limits.connect)}
    if backend == "postgresql":
        args |= {"keepalives": 1, **{f"keepalives_{name}": value for name, value in KEEPALIVE.items()}}
    elif backend == "mysql":
        args |= {"read_timeout": int(limits.read + 0.5), "write_timeout": int(limits.read + 0.5)}
    return {name: value for name, value in args.items() if name not in given}


def install(engine: sa.Engine, limits: Limits) -> None:
    """Have every new connection of the engine apply the limits."""
    backend = engine.dialect.name
    if backend == "postgresql":
        sa.event.listen(engine, "connect", functools.partial(_postgresql_session, limits), insert=True)
    elif backend == "mysql":
        sa.event.listen(engine, "connect", functools.partial(_mysql_session, limits))
    elif backend == "sqlite":
        sa.event.listen(engine, "connect", functools.partial(_sqlite_session, limits))


def _postgresql_session(limits: Limits, dbapi_connection: Any, _record: Any) -> None:
    # The deadline class is put on the new connection rather than built by a do_connect listener: the
    # first do_connect listener that returns a connection ends the chain, and others (a connect-time
    # guard) must still see every connect. The subclass adds behaviour only, no state of its own.
    dbapi_connection.__class__ = _deadline_connection_class()
    dbapi_connection.read_timeout = limits.read
    cursor = dbapi_connection.cursor()
    cursor.execute("SELECT set_config('statement_timeout', %s, false)", (str(int(limits.query * 1000)),))
    cursor.close()
    dbapi_connection.commit()


def _mysql_session(limits: Limits, dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    if "mariadb" in dbapi_connection.get_server_info().lower():
        cursor.execute("SET SESSION max_statement_time = %s", (limits.query,))
    else:
        cursor.execute("SET SESSION max_execution_time = %s", (int(limits.query * 1000),))
    cursor.close()
    sock = getattr(dbapi_connection, "_sock", None)
    if sock is not None:  # PyMySQL turns keepalive on; the kernel's default waits two hours to probe.
        _keepalive(sock)


def _keepalive(sock: socket.socket) -> None:
    options = {"idle": "TCP_KEEPIDLE", "interval": "TCP_KEEPINTVL", "count": "TCP_KEEPCNT"}
    for name, option in options.items():
        if hasattr(socket, option):
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, option), KEEPALIVE[name])


def _sqlite_session(limits: Limits, dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, DeadlineSQLite):
        dbapi_connection.query_timeout = limits.query


class DeadlineSQLite(sqlite3.Connection):
    """A SQLite connection that interrupts a statement still running query_timeout seconds after it began."""

    query_timeout = float(DEFAULT_QUERY_TIMEOUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = float("inf")
        self.set_progress_handler(self._past_deadline, SQLITE_STEPS)

    def _past_deadline(self) -> bool:
        return time.monotonic() > self.deadline

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        """A cursor whose statements each get the deadline."""
        return super().cursor(factory or DeadlineCursor)


class DeadlineCursor(sqlite3.Cursor):
    """Starts its connection's deadline at each statement; fetching rows counts against it too."""

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:  # type: ignore[override]
        """Execute one statement under the deadline."""
        self.connection.deadline = time.monotonic() + self.connection.query_timeout
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:  # type: ignore[override]
        """Execute a statement for each parameter set, all under one deadline."""
        self.connection.deadline = time.monotonic() + self.connection.query_timeout
        return super().executemany(sql, parameters)


@functools.cache
def _deadline_connection_class() -> type:
    import psycopg
    from psycopg import errors

    class DeadlineConnection(psycopg.Connection):
        """A psycopg connection whose every wait on the server ends after read_timeout seconds.

        libpq has no read timeout, and keepalives do not help against a frozen server (its kernel still
        answers them), so the wait itself gets a deadline; the connection is closed when it passes.
        """

        read_timeout: float | None = None

        def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
            """Consume a generator operating on the connection, for at most read_timeout seconds."""
            limit = timeout if timeout is not None else self.read_timeout
            try:
                return super().wait(gen, interval, limit)
            except errors._WaitTimeout:
                if timeout is not None:
                    raise
                self.close()
                raise errors.OperationalError(f"the server did not answer within {limit:g} s") from None

    return DeadlineConnection
