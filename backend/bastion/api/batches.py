"""Writing several system records at once: DreamFactory's batch forms, with the data API's modes.

- `PATCH`/`PUT /api/v2/system/<resource>?ids=1,2` with one object: those fields on each record.
- `PATCH`/`PUT /api/v2/system/<resource>` with `{"resource": [{"id": 1, ...}, ...]}` (or a bare list):
  each object's fields on the record it names.
- `DELETE /api/v2/system/<resource>?ids=1,2`, or with `{"resource": [{"id": 1}, ...]}`: each record.
- `POST` of `{"resource": [...]}`: all or nothing by default (as `rollback=true`); `continue=true` tries each.

Modes (data/batch.py): by default the first failing record ends the batch and those before it stay
written; `rollback=true` writes all in one transaction or none; `continue=true` tries every record.
Each record is written by the same function as a single-record request, audit and cache hooks included.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, jsonify, request
from sqlmodel import Session

from bastion.api.body import json_body, records
from bastion.api.listing import parse_ids
from bastion.data.batch import batch_error, error_entry
from bastion.data.params import BatchMode, parse_batch_mode
from bastion.db import session_scope
from bastion.errors import ApiError, BadRequest, ValidationError
from bastion.model_times import BOOKKEEPING
from bastion.models import MAX_ID

# (record id, fields) for an update; (record id, None) for a delete.
Item = tuple[int, Any]
Operation = Callable[[Session, int, Any], dict]
Create = Callable[[Session, Any], dict]


# Fields of a record's JSON form that no write sets: a client that sends back what it read may keep them.
READ_ONLY = frozenset(
    {"created_at", "updated_at", "last_login_at", "key_fingerprint", "role_by_role_id", "warnings"}
    | {"last_used_at", "last_used_from"}
    | BOOKKEEPING
)


def drop_read_only(body: Any) -> Any:
    """A body without the read-only fields of the JSON form it was read as."""
    if not isinstance(body, dict):
        return body
    return {k: v for k, v in body.items() if k not in READ_ONLY}


def strip_own_id(body: Any, record_id: int) -> Any:
    """A single-record body without its `id` (it must be the URL's) and read-only fields, as read back."""
    if isinstance(body, dict) and "id" in body:
        if body["id"] != record_id:
            raise ValidationError({"id": f"must be {record_id}, the id in the URL, or left out"})
        body = {k: v for k, v in body.items() if k != "id"}
    return drop_read_only(body)


def _refuse_filter() -> None:
    if "filter" in request.args:
        raise BadRequest("Parameter 'filter' is not supported on system batches; name the records with 'ids'")


def _listed(body: Any) -> list | None:
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and set(body) == {"resource"} and isinstance(body["resource"], list):
        return body["resource"]
    return None


def _with_ids(objects: list, need_fields: bool) -> list[Item]:
    if not objects:
        raise BadRequest("'resource' must be a non-empty list")
    items, errors = [], {}
    for i, obj in enumerate(objects):
        record_id = obj.get("id") if isinstance(obj, dict) else obj if not need_fields else None
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            errors[f"resource[{i}].id"] = "each record needs its id"
            continue
        if not 1 <= record_id <= MAX_ID:  # beyond the id columns' range no record has it
            errors[f"resource[{i}].id"] = f"must be a whole number from 1 to {MAX_ID}"
            continue
        rest = drop_read_only({k: v for k, v in obj.items() if k != "id"}) if isinstance(obj, dict) else None
        items.append((record_id, rest))
    if errors:
        raise ValidationError(errors)
    return items


def update_items() -> list[Item]:
    """The (id, fields) pairs of a PATCH or PUT on a collection."""
    _refuse_filter()
    if "ids" in request.args:
        body = json_body()
        if not isinstance(body, dict) or _listed(body) is not None:
            raise BadRequest("With 'ids', send one object: the fields to set on each record")
        return [(record_id, drop_read_only(body)) for record_id in parse_ids(request.args["ids"])]
    objects = _listed(json_body())
    if objects is None:
        raise BadRequest('Name the records: send ids=1,2 or {"resource": [{"id": 1, ...}, ...]}')
    return _with_ids(objects, need_fields=True)


def delete_items() -> list[Item]:
    """The ids of a DELETE on a collection, from `ids` or from a body listing them."""
    _refuse_filter()
    if "ids" in request.args:
        return [(record_id, None) for record_id in parse_ids(request.args["ids"])]
    objects = _listed(json_body()) if request.get_data(cache=True) else None
    if objects is None:
        raise BadRequest('Name the records to delete: ids=1,2 or {"resource": [{"id": 1}, ...]}')
    return _with_ids(objects, need_fields=False)


def create(operation: Create) -> tuple[Response, int]:
    """Create one record from a bare object, or several from `{"resource": [...]}` in the request's mode."""
    objects, batch = records(json_body())
    # A record read from here or from DreamFactory may be sent to make a copy: its times are not input.
    objects = [drop_read_only(item) for item in objects]
    if batch and parse_batch_mode(request.args) is BatchMode.CONTINUE:
        return jsonify(run([(0, item) for item in objects], lambda db, _id, item: operation(db, item))), 201
    # A create batch is all or nothing unless continue=true: one transaction, the first error undoes it.
    with session_scope() as db:
        created = [operation(db, item) for item in objects]
    return jsonify({"resource": created} if batch else created[0]), 201


def run(items: Sequence[Item], operation: Operation) -> dict:
    """Apply operation to each item in the request's mode; `{"resource": [...]}` or a batch error."""
    mode = parse_batch_mode(request.args)
    if mode is BatchMode.ROLLBACK:
        results, failures = _all_or_nothing(items, operation)
    else:
        results, failures = _each(items, operation, stop=mode is BatchMode.STOP)
    if failures:
        raise batch_error(items, results, failures, mode)
    return {"resource": results}


def _each(items: Sequence[Item], operation: Operation, stop: bool):
    results: list[Any] = [None] * len(items)
    failures: dict[int, ApiError] = {}
    for index, (record_id, data) in enumerate(items):
        try:
            with session_scope() as db:
                results[index] = operation(db, record_id, data)
        except ApiError as exc:
            failures[index] = exc
            results[index] = error_entry(exc)
            if stop:
                break
    return results, failures


def _all_or_nothing(items: Sequence[Item], operation: Operation):
    index = 0
    try:
        with session_scope() as db:
            results = []
            for index, (record_id, data) in enumerate(items):  # noqa: B007 (index names the failure)
                results.append(operation(db, record_id, data))
    except ApiError as exc:
        results = [None] * len(items)
        results[index] = error_entry(exc)
        return results, {index: exc}
    return results, {}
