"""DreamFactory's facts about a field in `_schema` (df-core ColumnSchema::toArray), from reflection.

The facts of a column that do not depend on the caller (its label, precision, uniqueness, indexes, its
foreign key) are computed once per reflected table (schema.describe_table keeps them in the table's
``info``). Only whether a foreign key's target may be named depends on the caller: ``references()`` decides
it per request with the same ``sees`` as the table's relationships.

What SQLAlchemy's reflection leaves out is read once, when the schema is reflected (``read_extras``):
SQLite's column-level UNIQUE constraints and its foreign keys' ON UPDATE/ON DELETE rules (PRAGMA), the rules
of MariaDB/MySQL (its SHOW CREATE TABLE omits RESTRICT and NO ACTION) and PostgreSQL's database encoding.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

_UNIQUE = "bastion_unique"  # extra single-column-or-more unique sets a dialect's reflection missed
_RULES = "bastion_rules"  # (on_update, on_delete) of a foreign-key constraint
_MULTIBYTE = "bastion_multibyte"  # PostgreSQL: whether the database encoding has multibyte characters

# MySQL/MariaDB character sets whose characters may take more than one byte (SHOW CHARACTER SET, Maxlen > 1).
_MYSQL_MULTIBYTE = frozenset(
    {"big5", "ujis", "sjis", "euckr", "gb2312", "gbk", "utf8", "utf8mb3", "utf8mb4"}
    | {"ucs2", "cp932", "eucjpms", "utf16", "utf16le", "utf32", "gb18030"}
)
_NO_ACTION = "NO ACTION"
_WORD_START = re.compile(r"(^|[ \t\r\n\f\v])([a-z])")

Sees = Callable[[sa.Table, list[str]], bool]


@dataclass(frozen=True)
class Reference:
    """Where a column's foreign key points: a column of a table, with the constraint's rules."""

    column: sa.Column | None  # None when the target is not a table of the reflected schema
    on_update: str
    on_delete: str


def label(name: str) -> str:
    """DreamFactory's label of a name: underscores become spaces and each word starts upper-case
    (df-core NamedResourceSchema::getLabel, camelize(name, '_', true): PHP's ucwords)."""
    return _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), name.replace("_", " "))


def read_extras(engine: sa.Engine, metadata: sa.MetaData) -> None:
    """Read what reflection leaves out (module docstring) into the reflected objects' ``info``."""
    readers = {"sqlite": _sqlite_extras, "mysql": _mysql_extras, "postgresql": _postgresql_extras}
    reader = readers.get(engine.dialect.name)
    if reader is not None:
        with engine.connect() as connection:
            reader(connection, metadata)


def references(reference: Reference | None, sees: Sees) -> dict[str, Any]:
    """DreamFactory's is_foreign_key and ref_* keys; the target is named only when the caller may read that
    table and see that column (sees), else the key says only that it is a foreign key."""
    if (
        reference is None
        or reference.column is None
        or not sees(reference.column.table, [reference.column.name])
    ):
        return {"is_foreign_key": reference is not None, **dict.fromkeys(_REF_KEYS)}
    return {
        "is_foreign_key": True,
        "ref_table": reference.column.table.name,
        "ref_field": reference.column.name,
        "ref_on_update": reference.on_update,
        "ref_on_delete": reference.on_delete,
    }


_REF_KEYS = ("ref_table", "ref_field", "ref_on_update", "ref_on_delete")


def static_facts(column: sa.Column) -> dict[str, Any]:
    """The keys DreamFactory adds to a field that do not depend on the caller."""
    type_ = column.type
    fixed_point = isinstance(type_, sa.Numeric) and not isinstance(type_, sa.Float)
    return {
        "label": label(column.name),
        "precision": type_.precision if fixed_point else None,  # type: ignore[attr-defined]
        "scale": type_.scale if fixed_point else None,  # type: ignore[attr-defined]
        "fixed_length": isinstance(type_, sa.CHAR | sa.NCHAR | sa.BINARY),
        "supports_multibyte": _multibyte(column),
        "is_unique": _unique_alone(column),
        "is_index": _leads_an_index(column),
    }


def _multibyte(column: sa.Column) -> bool:
    """Whether a text column may hold characters of more than one byte in the database's encoding."""
    if not isinstance(column.type, sa.String):
        return False
    dialect = column.table.metadata.info.get("bastion_dialect")
    if dialect == "postgresql":
        return bool(column.table.metadata.info.get(_MULTIBYTE, True))
    if dialect == "mysql":
        collation = getattr(column.type, "collation", None) or ""
        charset = getattr(column.type, "charset", None) or collation.split("_")[0]
        charset = charset or column.table.kwargs.get("mysql_default charset", "")
        return charset.lower() in _MYSQL_MULTIBYTE
    return True  # SQLite keeps all text as UTF-8 or UTF-16


def _unique_alone(column: sa.Column) -> bool:
    """Whether the column's value is unique on its own: a unique constraint or a unique index, not partial,
    on that column only (a column of a composite unique key is not; the primary key is is_primary_key)."""
    return (column.name,) in _unique_sets(column.table)


def _leads_an_index(column: sa.Column) -> bool:
    """Whether an index or unique constraint other than the primary key starts with the column (so the
    database can find rows by its value alone)."""
    parts = [_indexed(index) for index in column.table.indexes] + _unique_sets(column.table)
    return any(part[:1] == (column.name,) for part in parts)


def _unique_sets(table: sa.Table) -> list[tuple[str | None, ...]]:
    """The columns of each unique constraint and each unique index that is not partial."""
    sets = [tuple(c.name for c in k.columns) for k in table.constraints if isinstance(k, sa.UniqueConstraint)]
    sets += [_indexed(index) for index in table.indexes if index.unique and not _partial(index)]
    return sets + [tuple(names) for names in table.info.get(_UNIQUE, ())]


def _indexed(index: sa.Index) -> tuple[str | None, ...]:
    """The index's parts in order: a column's name, None for an expression."""
    return tuple(part.name if isinstance(part, sa.Column) else None for part in index.expressions)


def _partial(index: sa.Index) -> bool:
    return any(key.endswith("_where") and value is not None for key, value in index.dialect_kwargs.items())


def reference(column: sa.Column) -> Reference | None:
    """The column's foreign key (a single-column one first, then by constraint name), or None."""
    keys = sorted(column.foreign_keys, key=lambda fk: (len(fk.constraint.elements), fk.constraint.name or ""))
    if not keys:
        return None
    key = keys[0]
    rules = key.constraint.info.get(_RULES)
    if rules is None:
        # PostgreSQL's reflection names every rule but the default; SQLite and MySQL's are read as extras.
        rules = (
            (key.constraint.onupdate or _NO_ACTION).upper(),
            (key.constraint.ondelete or _NO_ACTION).upper(),
        )
    try:
        target: sa.Column | None = key.column
    except sa.exc.SQLAlchemyError:
        target = None
    if target is not None and target.table.schema is not None:
        target = None  # a table of another schema is no table of this service
    return Reference(target, rules[0], rules[1])


def _sqlite_extras(connection: sa.Connection, metadata: sa.MetaData) -> None:
    metadata.info["bastion_dialect"] = "sqlite"
    for table in metadata.tables.values():
        if table.info.get("is_view") or table.schema is not None:
            continue
        quoted = connection.dialect.identifier_preparer.quote(table.name)
        unique = []
        for row in connection.exec_driver_sql(f"PRAGMA index_list({quoted})").mappings():
            if row["origin"] == "u" and row["unique"]:
                index = connection.dialect.identifier_preparer.quote(row["name"])
                info = connection.exec_driver_sql(f"PRAGMA index_info({index})").mappings()
                unique.append([each["name"] for each in sorted(info, key=lambda r: r["seqno"])])
        table.info[_UNIQUE] = unique
        _sqlite_rules(connection, table, quoted)


def _sqlite_rules(connection: sa.Connection, table: sa.Table, quoted: str) -> None:
    """Each foreign key's rules from PRAGMA foreign_key_list, matched to its constraint by its columns."""
    columns: dict[int, list[str]] = {}
    rules: dict[int, tuple[str, str]] = {}
    for row in connection.exec_driver_sql(f"PRAGMA foreign_key_list({quoted})").mappings():
        columns.setdefault(row["id"], []).append(row["from"])
        rules[row["id"]] = (row["on_update"].upper(), row["on_delete"].upper())
    by_columns = {tuple(names): rules[key] for key, names in columns.items()}
    for constraint in table.foreign_key_constraints:
        found = by_columns.get(tuple(constraint.column_keys))
        if found is not None:
            constraint.info[_RULES] = found


_MYSQL_RULES = (
    "SELECT table_name, constraint_name, update_rule, delete_rule"
    " FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()"
)


def _mysql_extras(connection: sa.Connection, metadata: sa.MetaData) -> None:
    metadata.info["bastion_dialect"] = "mysql"
    rules = {(t, name): (u.upper(), d.upper()) for t, name, u, d in connection.exec_driver_sql(_MYSQL_RULES)}
    for table in metadata.tables.values():
        if table.schema is None:
            for constraint in table.foreign_key_constraints:
                found = rules.get((table.name, constraint.name))
                if found is not None:
                    constraint.info[_RULES] = found


def _postgresql_extras(connection: sa.Connection, metadata: sa.MetaData) -> None:
    metadata.info["bastion_dialect"] = "postgresql"
    sql = "SELECT pg_encoding_max_length(encoding) FROM pg_database WHERE datname = current_database()"
    metadata.info[_MULTIBYTE] = (connection.exec_driver_sql(sql).scalar() or 1) > 1
