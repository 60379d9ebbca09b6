"""How records are addressed: key columns, ids in paths and in ``ids=``, key conditions.

An id names a record by its key columns: the primary key in key order, or the columns named by
``id_field``. For a composite key the id is the values joined by commas (``/_table/assignments/3,7``);
in ``ids=`` composite ids are separated by semicolons (``ids=3,7;4,1``), single-column ids by commas.
Each value is converted to its column's Python type first, so a malformed id is a 400 on every engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from bastion.data.convert import to_python
from bastion.data.guard import Target
from bastion.errors import BadRequest

Key = tuple[Any, ...]
CHUNK = 500  # keys per IN list, well under every engine's bound-parameter limit


def key_columns(target: Target, id_field: Sequence[str] | None = None) -> list[sa.Column]:
    """The columns that address records: id_field's columns, else the (visible) primary key."""
    if id_field:
        return target.columns(id_field)
    key = target.primary_key
    # A hidden key and a missing one read the same, so the key's name is not revealed.
    if not key or not all(target.grant.allows_column(c.name) for c in key):
        raise BadRequest(
            f"Table '{target.name}' has no primary key this role may use; name the key fields with 'id_field'"
        )
    return key


def parse_id(raw: str, columns: Sequence[sa.Column]) -> Key:
    """A path id as a key tuple: the whole text for one column, comma-separated values for several."""
    parts = [raw] if len(columns) == 1 else [part.strip() for part in raw.split(",")]
    if len(parts) != len(columns):
        names = ", ".join(c.name for c in columns)
        raise BadRequest(f"Id '{raw}' must have {len(columns)} comma-separated values ({names})")
    return coerce_key(parts, columns, raw)


def ids_to_keys(ids: Sequence[Sequence[str]], columns: Sequence[sa.Column]) -> list[Key]:
    """The parsed ``ids`` parameter as key tuples, checked against the width of the key."""
    if len(columns) == 1:
        return [coerce_key([value], columns, value) for group in ids for value in group]
    keys = []
    for group in ids:
        label = ",".join(group)
        if len(group) != len(columns):
            names = ", ".join(c.name for c in columns)
            raise BadRequest(
                f"Id '{label}' must have {len(columns)} comma-separated values ({names}); "
                "separate composite ids with ';'"
            )
        keys.append(coerce_key(group, columns, label))
    return keys


def coerce_key(values: Sequence[Any], columns: Sequence[sa.Column], label: Any) -> Key:
    """Convert each key value to its column's type; a value that cannot be is a 400."""
    key = []
    for column, value in zip(columns, values, strict=True):
        try:
            converted = to_python(column, value)
        except ValueError as exc:
            raise BadRequest(f"Invalid id '{label}': field '{column.name}' {exc}") from None
        if converted is None:
            raise BadRequest(f"Invalid id '{label}': field '{column.name}' is missing")
        key.append(converted)
    return tuple(key)


def record_key(record: Mapping[str, Any], columns: Sequence[sa.Column]) -> Key:
    """The key of a body record, which must name every key field."""
    missing = [c.name for c in columns if record.get(c.name) is None]
    if missing:
        raise BadRequest(f"Record is missing key field '{missing[0]}'")
    values = [record[c.name] for c in columns]
    return coerce_key(values, columns, label(values))


def label(key: Sequence[Any]) -> str:
    """The id text of a key, as a client would write it in a path."""
    return ",".join(str(value) for value in key)


def key_condition(columns: Sequence[sa.Column], key: Sequence[Any]) -> ColumnElement[bool]:
    """``col1 = v1 AND col2 = v2 ...`` for one key."""
    return sa.and_(*(column == value for column, value in zip(columns, key, strict=True)))


def keys_condition(columns: Sequence[sa.Column], keys: Sequence[Key]) -> ColumnElement[bool]:
    """``col IN (...)`` (or a row-value IN for composite keys) for a list of keys."""
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in keys])
    return sa.tuple_(*columns).in_([tuple(key) for key in keys])


def chunks(keys: Sequence[Key]) -> Iterator[Sequence[Key]]:
    """The keys in slices of CHUNK, so IN lists stay small."""
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]
