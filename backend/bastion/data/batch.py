"""Batches of record writes in the three modes of DESIGN §5.

- STOP (default): each record in its own transaction, in order; the first failure ends the batch and
  the records before it stay written.
- ROLLBACK: every record in one transaction; the first failure rolls the whole batch back.
- CONTINUE: each record in its own transaction; every record is tried.

A failed batch is a 400 whose context is ``{"errors": [indexes], "resource": [...]}``; each resource entry
is the record's result, ``{"error": {"code", "message", "context"}}`` for a failed record, or null for a
record that is not written (not tried after a STOP, or undone by a ROLLBACK). A batch of one record
raises that record's own error instead (403, 404, 409, ...), as a single-record request would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from bastion.data.dberrors import translated
from bastion.data.guard import Target
from bastion.data.params import BatchMode
from bastion.errors import ApiError, BadRequest

T = TypeVar("T")
Operation = Callable[[sa.Connection, T], dict[str, Any]]


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
        raise batch_error(items, results, failures, mode)
    return results


def _each(conn, target, items, operation, stop: bool):
    results: list[Any] = [None] * len(items)
    failures: dict[int, ApiError] = {}
    for index, item in enumerate(items):
        try:
            with conn.begin(), translated(target):
                results[index] = operation(conn, item)
        except ApiError as exc:
            failures[index] = exc
            results[index] = error_entry(exc)
            if stop:
                break
    return results, failures


def _all_or_nothing(conn, target, items, operation):
    index = 0
    try:
        with conn.begin(), translated(target):
            results = []
            for item in items:
                results.append(operation(conn, item))
                index += 1
    except ApiError as exc:
        # Everything before the failure was rolled back with it, so no entry keeps a result.
        results = [None] * len(items)
        results[index] = error_entry(exc)
        return results, {index: exc}
    return results, {}


def error_entry(exc: ApiError) -> dict[str, Any]:
    """The resource entry of a failed record."""
    return {"error": {"code": exc.code, "message": exc.message, "context": exc.context}}


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
    return BadRequest(message, {"errors": sorted(failures), "resource": results})
