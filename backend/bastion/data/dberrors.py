"""Database errors turned into client errors, without echoing the driver's text.

Two families: a write refused by the database (a constraint, a trigger, a value it cannot store) is the
client's 400/409; an outage (the database cannot be reached, is busy or locked, or did not answer in
time) is 503, 503 with ``Retry-After``, or 504, naming the service. Both kinds are read from each
driver's error code (PostgreSQL's SQLSTATE, MySQL's error number, SQLite's extended error name), never
from its message (bar "timed out" for connection failures that carry no code). The driver text goes to
the log only; the client may see a column name drawn from it only when that column is one it may see.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator

import sqlalchemy as sa

from bastion.data.guard import Target
from bastion.errors import ApiError, BadRequest, Conflict, ValidationError, already_used, request_id
from bastion.system_outage import SystemDatabaseUnavailable, is_system_error, log_failure

log = logging.getLogger("bastion")

_PG_KINDS = {"23505": "unique", "23503": "foreign key", "23502": "not null", "23514": "check"}
_PG_KINDS |= {"P0001": "trigger"}  # RAISE EXCEPTION in a trigger or rule function
# PostgreSQL has no operator for a comparison or an ordering on a column's type (json, money > 1, point).
_PG_NO_OPERATOR = "42883"
_NO_OPERATOR = (
    "A filter or order compares a column whose database type does not support that comparison"
    " (for example: ordering by a json column, or comparing money with a number: quote the value)"
)
_MYSQL_KINDS = {1062: "unique", 1586: "unique", 1216: "foreign key", 1217: "foreign key"}
_MYSQL_KINDS |= {1451: "foreign key", 1452: "foreign key", 1048: "not null", 1364: "not null"}
_MYSQL_KINDS |= {3819: "check", 4025: "check", 1644: "trigger"}  # 1644: SIGNAL in a trigger
_MYSQL_DATA_CODES = {1264, 1265, 1292, 1366, 1367, 1406}  # out of range, truncated, bad value, too long
_SQLITE_KINDS = {"UNIQUE": "unique", "PRIMARYKEY": "unique", "FOREIGNKEY": "foreign key"}
_SQLITE_KINDS |= {"NOTNULL": "not null", "CHECK": "check", "TRIGGER": "trigger"}
# Outages by driver code: PostgreSQL's SQLSTATE, MySQL's error number, SQLite's error name.
_PG_OUTAGES = {"57014": "timeout", "55P03": "busy", "40001": "busy", "40P01": "busy", "53300": "busy"}
_PG_OUTAGES |= {"57P03": "busy", "57P01": "unreachable", "57P02": "unreachable"}
_MYSQL_OUTAGES = {3024: "timeout", 1969: "timeout", 1317: "timeout", 1205: "busy", 1213: "busy"}
_MYSQL_OUTAGES |= {1040: "busy", 1203: "busy", 1053: "unreachable"}
_MYSQL_OUTAGES |= {code: "unreachable" for code in (2002, 2003, 2006, 2013, 2055)}
_SQLITE_OUTAGES = {"SQLITE_BUSY": "busy", "SQLITE_LOCKED": "busy", "SQLITE_INTERRUPT": "timeout"}
_TIMED_OUT = re.compile(r"timed out|timeout expired|did not answer within", re.IGNORECASE)
RETRY_AFTER = "1"
TRACE_EVERY = 60.0  # seconds between tracebacks of one service's outage in the log
_traced: dict[str, float] = {}
_traced_lock = threading.Lock()


class ServiceUnavailable(ApiError):
    code = 503
    default_message = "The database cannot be reached right now"


class GatewayTimeout(ApiError):
    code = 504
    default_message = "The database did not answer in time"


# Where MySQL and SQLite name the column in their messages (PostgreSQL gives it in diag.column_name);
# MariaDB names some as `schema`.`table`.`column` ("Incorrect datetime value: ... for column `d`.`t`.`c`").
_COLUMN_IN_TEXT = re.compile(
    r"column '([^']+)'|column `(?:[^`]*`\.`)*([^`]+)`|constraint failed: [^.\s]+\.(\w+)", re.IGNORECASE
)
# The key a unique violation names: SQLite lists its columns, MySQL names the index (last, after the value).
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
_MYSQL_KEY = re.compile(r"for key '([^']+)'$")
_CHOOSE = "choose another"


@contextlib.contextmanager
def translated(target: Target) -> Iterator[None]:
    """Turn constraint violations and refused values raised inside the block into 400/409 errors."""
    try:
        yield
    except sa.exc.DBAPIError as exc:
        # PyMySQL raises some of these as OperationalError (1364: no default), so the code decides too.
        if isinstance(exc, sa.exc.IntegrityError) or constraint_kind(exc.orig):
            log.warning("write to table %r refused by a constraint: %s", target.name, exc.orig)
            raise integrity_error(exc, target) from None
        if isinstance(exc, sa.exc.DataError) or _mysql_code(exc.orig) in _MYSQL_DATA_CODES:
            log.warning("write to table %r refused a value: %s", target.name, exc.orig)
            raise data_error(exc, target) from None
        if getattr(exc.orig, "sqlstate", None) == _PG_NO_OPERATOR:
            log.warning("table %r: the database has no such operator: %s", target.name, exc.orig)
            raise BadRequest(_NO_OPERATOR) from None
        raise


def integrity_error(exc: sa.exc.DBAPIError, target: Target) -> ApiError:
    """A generic message per constraint kind; unique violations are 409."""
    kind = constraint_kind(exc.orig)
    field = _visible_column(exc.orig, target)
    if kind == "unique":
        return _unique_conflict(exc.orig, target)
    if kind == "not null" and field:
        return ValidationError({field: "may not be null"}, f"Field '{field}' may not be null")
    if kind == "foreign key":
        return BadRequest(
            "Record violates a foreign key constraint: a referenced record is missing or in use"
        )
    return BadRequest(f"Record violates a {kind or 'database'} constraint")


def _unique_conflict(orig: BaseException, target: Target) -> ApiError:
    """The field(s) whose value another record holds, when the caller may see every one of them."""
    columns = unique_columns(orig, target.table)
    if columns and all(name in target.visible for name in columns):
        return already_used(list(columns))
    return Conflict(f"A value that must be unique is already used by another record; {_CHOOSE}")


def unique_columns(orig: BaseException, table: sa.Table) -> tuple[str, ...] | None:
    """The columns of the unique key a driver error names, or None when it cannot be told.

    Only the names are read from the driver's text, never the values it quotes: SQLite names the columns
    (``UNIQUE constraint failed: t.a, t.b``), PostgreSQL and MySQL the constraint or index, looked up in
    the reflected table.
    """
    text = str(orig.args[-1] if _mysql_code(orig) is not None and orig.args else orig)
    found = _SQLITE_UNIQUE.search(text)
    if getattr(orig, "sqlite_errorname", None) and found:
        names = tuple(part.strip().rsplit(".", 1)[-1] for part in found.group(1).split(","))
        return names if all(name in table.c for name in names) else None
    key = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if key is None and (found := _MYSQL_KEY.search(text)):
        key = found.group(1).rsplit(".", 1)[-1]
    return _key_columns(table, key) if key else None


def _key_columns(table: sa.Table, name: str) -> tuple[str, ...] | None:
    if name == "PRIMARY" or name == table.primary_key.name:
        return tuple(c.name for c in table.primary_key.columns)
    keys = [k for k in table.constraints if isinstance(k, sa.UniqueConstraint)] + list(table.indexes)
    for key in keys:
        # An index on an expression names no column the caller could change.
        parts = list(getattr(key, "expressions", key.columns))
        if key.name == name and all(isinstance(part, sa.Column) for part in parts):
            return tuple(part.name for part in parts)
    return None


def data_error(exc: sa.exc.DBAPIError, target: Target) -> ApiError:
    """A value the database cannot store; names the field when the driver tells which."""
    field = _visible_column(exc.orig, target)
    if field:
        problem = "has a value that cannot be stored by the database"
        return ValidationError({field: problem}, f"Field '{field}' {problem}")
    return BadRequest("A value cannot be stored by the database (out of range, too long or malformed)")


def constraint_kind(orig: BaseException) -> str | None:
    """'unique', 'foreign key', 'not null', 'check' or None, from the driver's error code."""
    # MySQL's drivers also carry a SQLSTATE, but only the class ("23000"); its error number is precise.
    code = _mysql_code(orig)
    if code is not None:
        return _MYSQL_KINDS.get(code)
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        return next((kind for key, kind in _SQLITE_KINDS.items() if name.endswith("_" + key)), None)
    return _PG_KINDS.get(getattr(orig, "sqlstate", None) or "")


def _mysql_code(orig: BaseException) -> int | None:
    code = orig.args[0] if orig.args else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _visible_column(orig: BaseException, target: Target) -> str | None:
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "column_name", None)
    if name is None:
        match = _COLUMN_IN_TEXT.search(str(orig))
        name = match and (match.group(1) or match.group(2) or match.group(3))
    return name if name in target.visible else None


def outage_kind(exc: BaseException) -> str | None:
    """'unreachable', 'busy' or 'timeout' for an error that says the database is out of order, else None.

    Accepts SQLAlchemy's wrapper or the driver's own error. The pool's own timeout (every connection in
    use) is 'busy'; a connection or read that timed out is 'timeout', whatever the driver calls it.
    """
    if isinstance(exc, sa.exc.TimeoutError):
        return "busy"
    orig = getattr(exc, "orig", None) or exc
    kind = _coded_outage(orig)
    if kind is None and isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
        kind = "unreachable"
    if kind == "unreachable" and _TIMED_OUT.search(str(orig)):
        return "timeout"
    return kind


def _coded_outage(orig: BaseException) -> str | None:
    code = _mysql_code(orig)
    if code is not None:
        return _MYSQL_OUTAGES.get(code)
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        return next((kind for key, kind in _SQLITE_OUTAGES.items() if name.startswith(key)), None)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if sqlstate.startswith("08"):
        return "unreachable"
    return _PG_OUTAGES.get(sqlstate)


def outage_error(exc: BaseException, service: str | None = None) -> ApiError:
    """The client's error for an outage: 503 (unreachable), 503 with Retry-After (busy), 504 (timeout)."""
    kind = outage_kind(exc) or "unreachable"
    subject = f"The database of service '{service}'" if service else "The database"
    if kind == "busy":
        message = f"{subject} is busy (locked or at its connection limit); retry shortly"
        return ServiceUnavailable(message, headers={"Retry-After": RETRY_AFTER})
    if kind == "timeout":
        return GatewayTimeout(f"{subject} did not answer within its timeout")
    return ServiceUnavailable(f"{subject} cannot be reached right now")


def log_outage(exc: BaseException, service: str) -> ApiError:
    """Log an outage in one line (request id, service, cause); a traceback once a minute per service."""
    if is_system_error(exc):
        log_failure(exc)  # the system database failed during a data request: not the service's fault
        return SystemDatabaseUnavailable()
    error = outage_error(exc, service)
    now = time.monotonic()
    with _traced_lock:
        trace = now - _traced.get(service, -TRACE_EVERY) >= TRACE_EVERY
        if trace:
            _traced[service] = now
    cause = type(getattr(exc, "orig", None) or exc).__name__
    log.warning(
        "request %s: service %r: %s (%s, %s)",
        request_id(),
        service,
        error.message,
        error.code,
        cause,
        exc_info=exc if trace else None,
    )
    return error
