"""Entry points of record writes: create, update and delete, by body records, ids, id or filter.

Each opens its own transactions on the engine (batch.py decides how many); the per-record steps and the
row-condition re-check live in writes.py. Records named by body or ``ids`` run as batches; a write by
filter is one statement set in one transaction and is undone entirely when any record ends up outside.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bastion.access import Grant
from bastion.data import nested, writes
from bastion.data.batch import run_batch
from bastion.data.dberrors import translated
from bastion.data.filters import parse_filter
from bastion.data.guard import Target
from bastion.data.keys import Key, chunks, ids_to_keys, key_columns, keys_condition, parse_id, record_key
from bastion.data.params import BatchMode
from bastion.errors import BadRequest

Fields = tuple[str, ...] | None
Ids = Sequence[Sequence[str]]
Placeholders = Sequence[tuple[str, Any]] | None  # a filter's placeholder names (":n") and values


def create_records(
    engine: sa.Engine,
    table: sa.Table,
    grant: Grant,
    records: Sequence[Mapping[str, Any]],
    mode: BatchMode = BatchMode.STOP,
    fields: Fields = None,
    nesting: nested.Nesting = None,
) -> dict[str, Any]:
    """Insert records; ``{"resource": [key or fields per record]}``; failures as batch.py describes.

    With ``nesting``, records may carry related records (nested.py), written in the record's transaction.
    """
    target = _writable(table, grant, fields)

    def create(conn: sa.Connection, record: Mapping[str, Any]) -> dict:
        plain, write = nested.begin(conn, target, record, nesting)
        key = writes.insert_one(conn, target, plain)
        # Checked before its related records are written, so a record outside the grant is a 403 at once.
        result = writes.checked_result(conn, target, key, fields)
        nested.finish(conn, target, write, (target.primary_key, key), {})
        return result

    return {"resource": run_batch(engine, target, records, create, mode)}


def update_records(
    engine: sa.Engine,
    table: sa.Table,
    grant: Grant,
    records: Sequence[Mapping[str, Any]],
    mode: BatchMode = BatchMode.STOP,
    partial: bool = True,
    fields: Fields = None,
    id_field: Fields = None,
    nesting: nested.Nesting = None,
) -> dict[str, Any]:
    """Update records that each name their key (PUT replaces, PATCH sets only the fields sent)."""
    target = _writable(table, grant, fields)
    key_cols = key_columns(target, id_field)

    def update(conn: sa.Connection, record: Mapping[str, Any]) -> dict:
        plain, write = nested.begin(conn, target, record, nesting)
        values = writes.prepare_values(target, plain)
        key = record_key(values, key_cols)
        for column in key_cols:
            values.pop(column.name)
        result = writes.update_one(conn, target, (key_cols, key), values, partial, fields)
        nested.finish(conn, target, write, (key_cols, key), values)
        return result

    return {"resource": run_batch(engine, target, records, update, mode)}


def update_by_ids(
    engine: sa.Engine,
    table: sa.Table,
    grant: Grant,
    ids: Ids,
    values: Mapping[str, Any],
    mode: BatchMode = BatchMode.STOP,
    partial: bool = True,
    fields: Fields = None,
    id_field: Fields = None,
) -> dict[str, Any]:
    """Apply the same values to each record of a parsed ``ids`` list, as a batch."""
    target = _writable(table, grant, fields)
    key_cols = key_columns(target, id_field)
    keys = ids_to_keys(ids, key_cols)
    prepared = writes.prepare_values(target, values)

    def update(conn: sa.Connection, key: Key) -> dict:
        return writes.update_one(conn, target, (key_cols, key), dict(prepared), partial, fields)

    return {"resource": run_batch(engine, target, keys, update, mode)}


def update_record(
    engine: sa.Engine,
    table: sa.Table,
    grant: Grant,
    id: str,
    values: Mapping[str, Any],
    partial: bool = True,
    fields: Fields = None,
    id_field: Fields = None,
    nesting: nested.Nesting = None,
) -> dict[str, Any]:
    """Update one record by path id; the body may change the key itself. Answers the bare object."""
    target = _writable(table, grant, fields)
    key_cols = key_columns(target, id_field)
    key = parse_id(id, key_cols)
    with engine.begin() as conn, translated(target):
        plain, write = nested.begin(conn, target, values, nesting)
        prepared = writes.prepare_values(target, plain)
        result = writes.update_one(conn, target, (key_cols, key), dict(prepared), partial, fields)
        nested.finish(conn, target, write, (key_cols, key), prepared)
        return result


def update_by_filter(
    engine: sa.Engine,
    table: sa.Table,
    grant: Grant,
    filter_text: str,
    values: Mapping[str, Any],
    fields: Fields = None,
    params: Placeholders = None,
) -> dict[str, Any]:
    """Set the same values on every visible record matching the filter (its placeholders filled from
    ``params``), all or nothing."""
    target = _writable(table, grant, fields)
    condition = _required_filter(target, filter_text, params)
    prepared = writes.prepare_values(target, values)
    changed_keys = [c.name for c in target.primary_key if c.name in prepared]
    if changed_keys:
        raise BadRequest(f"Field '{changed_keys[0]}' is part of the key and cannot be set by a filter update")
    writes.check_identity_always(target, prepared)
    pk_columns = target.primary_key
    with engine.begin() as conn, translated(target):
        keys = writes.matching_keys(conn, target, condition)
        for chunk in chunks(keys):
            if prepared:
                stmt = sa.update(table).where(*target.where(keys_condition(pk_columns, chunk)))
                conn.execute(stmt.values(prepared))
        return {"resource": writes.checked_results(conn, target, keys, fields)}


def delete_record(
    engine: sa.Engine, table: sa.Table, grant: Grant, id: str, fields: Fields = None, id_field: Fields = None
) -> dict[str, Any]:
    """Delete one record by path id; answers its key (or fields) as a bare object."""
    target = _writable(table, grant, fields)
    key_cols = key_columns(target, id_field)
    key = parse_id(id, key_cols)
    with engine.begin() as conn, translated(target):
        return writes.delete_one(conn, target, (key_cols, key), fields)


def delete_records(
    engine: sa.Engine,
    table: sa.Table,
    grant: Grant,
    *,
    ids: Ids | None = None,
    records: Sequence[Mapping[str, Any]] | None = None,
    filter_text: str | None = None,
    mode: BatchMode = BatchMode.STOP,
    fields: Fields = None,
    id_field: Fields = None,
    params: Placeholders = None,
) -> dict[str, Any]:
    """Delete by parsed ``ids``, by body records naming their keys, or by filter (exactly one; its
    placeholders filled from ``params``)."""
    if sum(x is not None for x in (ids, records, filter_text)) != 1:
        raise BadRequest("Name the records to delete with exactly one of 'ids', 'filter' or a request body")
    target = _writable(table, grant, fields)
    if filter_text is not None:
        return _delete_by_filter(engine, target, _required_filter(target, filter_text, params), fields)
    key_cols = key_columns(target, id_field)
    items: Sequence[Any] = ids_to_keys(ids, key_cols) if ids is not None else records or []

    def delete(conn: sa.Connection, item: Any) -> dict:
        key = item if isinstance(item, tuple) else _body_key(target, item, key_cols)
        return writes.delete_one(conn, target, (key_cols, key), fields)

    return {"resource": run_batch(engine, target, items, delete, mode)}


def _delete_by_filter(
    engine: sa.Engine, target: Target, condition: sa.ColumnElement[bool], fields: Fields
) -> dict[str, Any]:
    pk_columns = target.primary_key
    with engine.begin() as conn, translated(target):
        keys = writes.matching_keys(conn, target, condition)
        results = writes.checked_results(conn, target, keys, fields)
        for chunk in chunks(keys):
            conn.execute(sa.delete(target.table).where(*target.where(keys_condition(pk_columns, chunk))))
    return {"resource": results}


def _body_key(target: Target, record: Mapping[str, Any], key_cols: Sequence[sa.Column]) -> Key:
    # A delete body may carry whole records, as DreamFactory clients send them; only the key is read.
    names = {c.name for c in key_cols}
    found = {name: target.find(name) for name in record}
    key_part = {name: value for name, value in record.items() if getattr(found[name], "name", None) in names}
    return record_key(writes.prepare_values(target, key_part), key_cols)


def _required_filter(target: Target, filter_text: str, params: Placeholders) -> sa.ColumnElement[bool]:
    # An empty filter would touch every row; that has to be asked for explicitly, e.g. "id is not null".
    if not filter_text or not filter_text.strip():
        raise BadRequest("Parameter 'filter' must not be empty for a write by filter")
    return parse_filter(filter_text, target.visible, dict(params or ()))


def _writable(table: sa.Table, grant: Grant, fields: Fields) -> Target:
    target = Target(table, grant)
    target.require_writable()
    # Checked before anything is written, so a bad name cannot fail each record after its write.
    target.output(fields, [])
    return target
