"""Single-record writes inside a caller's transaction, each checked against the grant's row condition.

Every record created or updated is re-selected by primary key with the row condition in the same
transaction; when it falls outside, Forbidden is raised and the caller's transaction rolls back, so the
record is not written. Records are found (for update and delete) only within the row condition, so a
record the caller may not see is NotFound, never touched.

Replacing (PUT) versus patching (PATCH): a replace sets every visible, writable column that the body does
not send to null; a not-null column without a database default must then be sent (400 otherwise), and a
not-null column with a default is left unchanged. Keys and computed columns are never reset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bastion.data.convert import row_to_json, to_python
from bastion.data.guard import Target
from bastion.data.keys import Key, chunks, key_condition, keys_condition, label
from bastion.errors import BadRequest, Forbidden, NotFound, ValidationError

Fields = tuple[str, ...] | None


def prepare_values(target: Target, record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's values keyed by column name and converted to Python; unknown names are a 400."""
    values: dict[str, Any] = {}
    unknown: list[str] = []
    errors: dict[str, str] = {}
    for name, value in record.items():
        column = target.find(name)
        if column is None:
            unknown.append(name)
        elif column.computed is not None:
            errors[column.name] = "is computed by the database and cannot be written"
        elif column.name in values:
            errors[column.name] = "is given twice"
        else:
            try:
                values[column.name] = to_python(column, value)
            except ValueError as exc:
                errors[column.name] = str(exc)
    if unknown:
        quoted = ", ".join(f"'{name}'" for name in unknown)
        message = f"Unknown field{'s' if len(unknown) > 1 else ''} {quoted}"
        raise ValidationError(dict.fromkeys(unknown, "unknown field"), message)
    _raise_field_errors(errors)
    return values


def _raise_field_errors(errors: dict[str, str]) -> None:
    if errors:
        field, problem = next(iter(errors.items()))
        raise ValidationError(errors, f"Field '{field}' {problem}")


def _generated(column: sa.Column) -> bool:
    """Whether the database fills the column when it is not sent (default, sequence, identity, rowid)."""
    return (
        column.server_default is not None
        or column.computed is not None
        or column.identity is not None
        or column.autoincrement is True
        or column is column.table.autoincrement_column
    )


def check_required(target: Target, values: Mapping[str, Any]) -> None:
    """A create must send every visible column that is not null and has no default."""
    # SQLite reflects key columns as nullable, so a key counts as not null here.
    missing = {
        name: "is required"
        for name, column in target.visible.items()
        if name not in values and (column.primary_key or not column.nullable) and not _generated(column)
    }
    _raise_field_errors(missing)


def replace_values(target: Target, values: dict[str, Any], keep: set[str]) -> dict[str, Any]:
    """For PUT: the values with every unsent, visible, writable column set to null (see module doc)."""
    errors: dict[str, str] = {}
    full = dict(values)
    for name, column in target.visible.items():
        if name in values or name in keep or column.primary_key or column.computed is not None:
            continue
        if column.nullable:
            full[name] = None
        elif not _generated(column):
            errors[name] = "is required when a record is replaced (PUT); use PATCH to change some fields"
    _raise_field_errors(errors)
    return full


def create_one(conn: sa.Connection, target: Target, record: Mapping[str, Any], fields: Fields) -> dict:
    """Insert one record and return its key (or the asked fields) once it is checked to be inside."""
    values = prepare_values(target, record)
    check_required(target, values)
    result = conn.execute(sa.insert(target.table).values(values))
    key = tuple(result.inserted_primary_key or ())
    if len(key) != len(target.primary_key) or any(value is None for value in key):
        raise BadRequest(f"The key of the record created in table '{target.name}' could not be determined")
    return checked_result(conn, target, key, fields)


def update_one(
    conn: sa.Connection,
    target: Target,
    where: tuple[Sequence[sa.Column], Key],
    values: dict[str, Any],
    partial: bool,
    fields: Fields,
) -> dict:
    """Update the one record whose key columns equal the key, within the row condition."""
    key_columns, key = where
    pk = locate(conn, target, key_columns, key)
    if not partial:
        values = replace_values(target, values, {c.name for c in key_columns})
    pk_columns = target.primary_key
    if values:
        stmt = sa.update(target.table).where(*target.where(key_condition(pk_columns, pk))).values(values)
        conn.execute(stmt)
    # The key itself may have been changed by the update; the re-check must follow it.
    new_pk = tuple(values.get(c.name, old) for c, old in zip(pk_columns, pk, strict=True))
    return checked_result(conn, target, new_pk, fields)


def delete_one(
    conn: sa.Connection, target: Target, where: tuple[Sequence[sa.Column], Key], fields: Fields
) -> dict:
    """Delete the one record whose key columns equal the key, within the row condition."""
    pk = locate(conn, target, *where)
    result = checked_result(conn, target, pk, fields)
    pk_condition = key_condition(target.primary_key, pk)
    conn.execute(sa.delete(target.table).where(*target.where(pk_condition)))
    return result


def locate(conn: sa.Connection, target: Target, key_columns: Sequence[sa.Column], key: Key) -> Key:
    """The primary key of the one visible record with this key, locked for the transaction."""
    stmt = sa.select(*target.primary_key).where(*target.where(key_condition(key_columns, key)))
    rows = conn.execute(stmt.limit(2).with_for_update()).all()
    if not rows:
        raise NotFound(f"Record '{label(key)}' not found in table '{target.name}'")
    if len(rows) > 1:
        raise BadRequest(f"Id '{label(key)}' matches more than one record of table '{target.name}'")
    return tuple(rows[0])


def visible_key(target: Target) -> list[sa.Column]:
    """The primary-key columns the caller may see: what a write returns by default."""
    return [c for c in target.primary_key if c.name in target.visible]


def checked_result(conn: sa.Connection, target: Target, pk: Key, fields: Fields) -> dict:
    """Re-select a written record by primary key within the row condition; Forbidden when outside."""
    return checked_results(conn, target, [pk], fields)[0]


def checked_results(conn: sa.Connection, target: Target, pks: Sequence[Key], fields: Fields) -> list[dict]:
    """Re-select written records by primary key within the row condition, in the order given."""
    shown = target.output(fields, visible_key(target))
    pk_columns = target.primary_key
    pk_names = {c.name for c in pk_columns}
    stmt = sa.select(*pk_columns, *[c for c in shown if c.name not in pk_names])
    found: dict[Key, dict] = {}
    for chunk in chunks(pks):
        for row in conn.execute(stmt.where(*target.where(keys_condition(pk_columns, chunk)))).mappings():
            found[tuple(row[c.name] for c in pk_columns)] = row_to_json({c.name: row[c.name] for c in shown})
    if len(pks) == 1 and len(found) == 1:
        # The database may hand a key back in another form than it was sent (a time zone dropped,
        # trailing spaces kept); one row for one key is the record either way.
        return list(found.values())
    for pk in pks:
        if pk not in found:
            raise Forbidden(f"Record '{label(pk)}' is outside the rows this role may write")
    return [found[pk] for pk in pks]


def matching_keys(conn: sa.Connection, target: Target, condition: sa.ColumnElement[bool]) -> list[Key]:
    """The primary keys of the visible records matching a condition, locked, in key order."""
    pk_columns = target.primary_key
    stmt = sa.select(*pk_columns).where(*target.where(condition)).order_by(*pk_columns)
    return [tuple(row) for row in conn.execute(stmt.with_for_update())]
