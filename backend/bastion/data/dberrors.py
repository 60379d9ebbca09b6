"""Database errors of a write turned into client errors, without echoing the driver's text.

The kind of a constraint violation is read from each driver's error code (PostgreSQL's SQLSTATE, MySQL's
error number, SQLite's extended error name), never from its message. The driver text goes to the log only;
the client may see a column name drawn from it only when that column is one it may see anyway.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

import sqlalchemy as sa

from bastion.data.guard import Target
from bastion.errors import ApiError, BadRequest, Conflict, ValidationError

log = logging.getLogger("bastion")

_PG_KINDS = {"23505": "unique", "23503": "foreign key", "23502": "not null", "23514": "check"}
_MYSQL_KINDS = {1062: "unique", 1586: "unique", 1216: "foreign key", 1217: "foreign key"}
_MYSQL_KINDS |= {1451: "foreign key", 1452: "foreign key", 1048: "not null", 1364: "not null"}
_MYSQL_KINDS |= {3819: "check", 4025: "check"}
_MYSQL_DATA_CODES = {1264, 1265, 1292, 1366, 1367, 1406}  # out of range, truncated, bad value, too long
_SQLITE_KINDS = {"UNIQUE": "unique", "PRIMARYKEY": "unique", "FOREIGNKEY": "foreign key"}
_SQLITE_KINDS |= {"NOTNULL": "not null", "CHECK": "check"}
# Where MySQL and SQLite name the column in their messages (PostgreSQL gives it in diag.column_name).
_COLUMN_IN_TEXT = re.compile(r"column '([^']+)'|constraint failed: [^.\s]+\.(\w+)", re.IGNORECASE)


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
        raise


def integrity_error(exc: sa.exc.DBAPIError, target: Target) -> ApiError:
    """A generic message per constraint kind; unique violations are 409."""
    kind = constraint_kind(exc.orig)
    field = _visible_column(exc.orig, target)
    if kind == "unique":
        return Conflict("Record violates a unique constraint: a record with the same value exists")
    if kind == "not null" and field:
        return ValidationError({field: "may not be null"}, f"Field '{field}' may not be null")
    if kind == "foreign key":
        return BadRequest(
            "Record violates a foreign key constraint: a referenced record is missing or in use"
        )
    return BadRequest(f"Record violates a {kind or 'database'} constraint")


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
        name = match and (match.group(1) or match.group(2))
    return name if name in target.visible else None
