"""How records are addressed: key columns, ids in paths and in ``ids=``, key conditions.

An id names a record by its key columns: the primary key in key order, or the columns named by
``id_field``. For a composite key the id is the values joined by commas (``/_table/assignments/3,7``);
in ``ids=`` composite ids are separated by semicolons (``ids=3,7;4,1``), single-column ids by commas.
Each value is converted to its column's Python type first, so a malformed id is a 400 on every engine.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from bastion.data.batch import error_entry
from bastion.data.convert import to_python
from bastion.data.guard import Target
from bastion.data.params import ListParams
from bastion.errors import BadRequest, NotFound

Key = tuple[Any, ...]
Wanted = tuple[list[sa.Column], list[Key]]  # the key columns, and the keys of ``ids`` in their order
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


def wanted_keys(target: Target, params: ListParams) -> Wanted | None:
    """The key columns and keys of ``ids`` that a read must all find (ensure_found). Not with a filter, an
    offset or a limit below their number: DreamFactory does not combine those with ``ids``, and they
    leave ids out on purpose."""
    if params.ids is None or params.filter is not None or params.offset or params.cursor is not None:
        return None
    columns = key_columns(target, params.id_field)
    keys = ids_to_keys(params.ids, columns)
    return (columns, keys) if len(set(keys)) <= params.limit else None


def ensure_found(
    target: Target, wanted: Wanted, records: list[dict[str, Any]], shown: Collection[str], fold: bool
) -> None:
    """DreamFactory's answer when an id of ``ids`` names no record the caller may read: a 400 batch error
    whose ``resource`` holds, in the order of ``ids``, each record found (its ``shown`` fields) or a 404
    entry for each missing one; an id outside the role's row filter reads as missing. ``fold``: the
    database compares text without case and trailing spaces (MySQL/MariaDB's usual collations)."""
    columns, keys = wanted

    def match(key: Key) -> Key:
        return tuple(v.casefold().rstrip(" ") if fold and isinstance(v, str) else v for v in key)

    found = {match(coerce_key([r[c.name] for c in columns], columns, None)): r for r in records}
    missing = [index for index, key in enumerate(keys) if match(key) not in found]
    if not missing:
        return
    resource: list[Any] = []
    for key in keys:
        record = found.get(match(key))
        if record is None:
            gone = NotFound(f"Record '{label(key)}' not found in table '{target.name}'")
            resource.append(error_entry(gone))
        else:
            resource.append({name: value for name, value in record.items() if name in shown})
    first = f"record {missing[0]}, id '{label(keys[missing[0]])}'"
    raise BadRequest(
        f"{len(missing)} of {len(keys)} requested records not found (first: {first})",
        {"errors": missing, "error": missing, "resource": resource},
    )
