"""Batches of record writes in the three modes of DESIGN §5.

- STOP (default): each record in its own transaction, in order; the first failure ends the batch and
  the records before it stay written.
- ROLLBACK: every record in one transaction; the first failure rolls the whole batch back.
- CONTINUE: each record in its own transaction; every record is tried.

A failed batch is a 400 whose context is ``{"errors": [indexes], "error": [indexes], "resource": [...]}``
(``error`` is DreamFactory's name for the failed indexes); each resource entry
is the record's result, ``{"error": {"code", "message", "context"}}`` for a failed record (with the same
values beside it under DreamFactory's flat names, see error_entry), or null for a
record that is not written (not tried after a STOP, or undone by a ROLLBACK). A batch of one record
raises that record's own error instead (403, 404, 409, ...), as a single-record request would.

A driver error on a record (the database went away, is locked, timed out, or failed otherwise) is that
record's failure like any other, so a batch never answers an error for records it committed. When no
record was committed and the cause is an outage, the batch raises the driver's error itself, which the
API answers 503/504 (dberrors): the client may then retry the whole request. In CONTINUE mode, once the
connection is lost or a SQLite file is locked, the remaining records are reported with the same error
rather than each waiting out a timeout of its own; a lock or timeout on one record of a server database
may concern that record only, so the others are still tried. A failure while committing leaves that
record (ROLLBACK: the batch) in doubt, as with any database client; it is reported as failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from bastion.data.dberrors import outage_error, outage_kind, translated
from bastion.data.guard import Target
from bastion.data.params import BatchMode
from bastion.errors import ApiError, BadRequest

T = TypeVar("T")
Operation = Callable[[sa.Connection, T], dict[str, Any]]
DRIVER_ERRORS = (sa.exc.DBAPIError, sa.exc.TimeoutError)
log = logging.getLogger("bastion")


class _Failures(dict[int, ApiError]):
    """Failed records by index, with the first driver error that caused one (re-raised when nothing was
    committed)."""

    cause: BaseException | None = None

    def add(self, index: int, error: ApiError, cause: BaseException | None = None) -> None:
        self[index] = error
        if cause is not None and self.cause is None:
            self.cause = cause


def run_batch(
    engine: sa.Engine, target: Target, items: Sequence[T], operation: Operation, mode: BatchMode
) -> list[dict[str, Any]]:
    """Apply operation to each item in the given mode; returns the per-item results or raises."""
    with engine.connect() as conn:
        if mode is BatchMode.ROLLBACK:
            results, failures = _all_or_nothing(conn, target, items, operation)
        else:
            results, failures = _each(conn, target, items, operation, stop=mode is BatchMode.STOP)
    if failures:
        committed = any(entry is not None and i not in failures for i, entry in enumerate(results))
        if failures.cause is not None and not committed and outage_kind(failures.cause):
            raise failures.cause
        raise batch_error(items, results, failures, mode)
    return results


def _each(conn, target, items, operation, stop: bool):
    results: list[Any] = [None] * len(items)
    failures = _Failures()
    lost: ApiError | None = None
    for index, item in enumerate(items):
        if lost is not None:
            failures.add(index, lost)
            results[index] = error_entry(lost)
            continue
        try:
            with conn.begin(), translated(target):
                results[index] = operation(conn, item)
        except ApiError as exc:
            failures.add(index, exc)
        except DRIVER_ERRORS as exc:
            failures.add(index, driver_error(exc), exc)
            if _ends_batch(exc):
                lost = failures[index]
        if index in failures:
            results[index] = error_entry(failures[index])
            if stop:
                break
    return results, failures


def _all_or_nothing(conn, target, items, operation):
    index, failures = 0, _Failures()
    try:
        with conn.begin(), translated(target):
            results = []
            for item in items:
                results.append(operation(conn, item))
                index += 1
    except ApiError as exc:
        failures.add(index, exc)
    except DRIVER_ERRORS as exc:
        # A failed commit comes after the last record: it is that record's failure.
        failures.add(min(index, len(items) - 1), driver_error(exc), exc)
    if not failures:
        return results, failures
    # Everything before the failure was rolled back with it, so no entry keeps a result.
    results = [None] * len(items)
    for failed, error in failures.items():
        results[failed] = error_entry(error)
    return results, failures


def driver_error(exc: BaseException) -> ApiError:
    """A record's error for a driver error: the outage's 503/504, else a 500 whose cause is logged."""
    if outage_kind(exc):
        return outage_error(exc)
    log.error("a batch record failed with a database error", exc_info=exc)
    return ApiError("The database failed on this record; the server log has the cause")


def _ends_batch(exc: BaseException) -> bool:
    """Whether every further record would wait out the same timeout to fail the same way."""
    if getattr(exc, "connection_invalidated", False) or outage_kind(exc) == "unreachable":
        return True
    # SQLite locks the whole file: once one record found it locked, so would the rest, each after its own
    # busy timeout (a 10-record batch took 50 s). A server's lock may hold one row only: go on there.
    return outage_kind(exc) == "busy" and "database is locked" in str(getattr(exc, "orig", exc))


def error_entry(exc: ApiError) -> dict[str, Any]:
    """The resource entry of a failed record: Bastion's ``error`` object, and next to it the same values
    under DreamFactory's flat names (df-core BatchException::toArray puts each failed record's
    ``code``, ``status_code``, ``message`` and ``context`` straight into its entry)."""
    error = {"code": exc.code, "message": exc.message, "context": exc.context}
    return {"error": error, **error, "status_code": exc.code}


def batch_error(items: Sequence, results: list, failures: dict[int, ApiError], mode: BatchMode) -> ApiError:
    """A failed batch's error: a batch of one raises its record's own, others a 400 with every result."""
    if len(items) == 1:
        return failures[0]
    index, first = next(iter(failures.items()))
    if mode is BatchMode.CONTINUE:
        message = f"{len(failures)} of {len(items)} records failed (first: record {index}: {first.message})"
    elif mode is BatchMode.ROLLBACK:
        message = f"Record {index} failed: {first.message}; the whole batch was rolled back"
    else:
        message = f"Record {index} failed: {first.message}; the records before it were written"
    # "error" is DreamFactory's name for the failed indexes, which its clients read; "errors" is Bastion's.
    return BadRequest(message, {"errors": sorted(failures), "error": sorted(failures), "resource": results})
