"""Reflection of the existing schema behind a data service, cached per engine.

Freshness: a cached schema is trusted for CHECK_INTERVAL seconds. After that, the next lookup computes a
cheap fingerprint (SQLite's schema_version; elsewhere one pass over information_schema's columns and
constraints) and reflects again only when it changed. An explicit refresh() (``?refresh=true``) drops the
cache at once; it is also the way to pick up changes the fingerprint cannot see, such as a new index.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from bastion.data import column_types, field_facts
from bastion.data.relationships import relationships
from bastion.errors import NotFound

CHECK_INTERVAL = 30.0

_FINGERPRINT_SQL = {
    "postgresql": (
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
        "SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints"
        " WHERE table_schema = current_schema() ORDER BY table_name, constraint_name",
    ),
    "mysql": (
        "SELECT table_name, column_name, column_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position",
        "SELECT table_name, constraint_name, constraint_type FROM information_schema.table_constraints"
        " WHERE table_schema = DATABASE() ORDER BY table_name, constraint_name",
    ),
}


def fingerprint(engine: sa.Engine) -> str:
    """A short digest that changes when tables, views, columns or constraints change."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows: list[Any] = [connection.exec_driver_sql("PRAGMA schema_version").scalar()]
        else:
            queries = _FINGERPRINT_SQL.get(engine.dialect.name, ())
            rows = [tuple(row) for sql in queries for row in connection.execute(sa.text(sql))]
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


@dataclass
class _Entry:
    engine: sa.Engine
    metadata: sa.MetaData
    by_name: dict[str, sa.Table]
    fingerprint: str
    checked_at: float


def reflect(engine: sa.Engine) -> sa.MetaData:
    """Reflect the tables and views of the engine's default schema; views get info["is_view"]."""
    metadata = sa.MetaData()
    metadata.reflect(bind=engine, views=True)
    column_types.adjust(engine, metadata)
    inspector = sa.inspect(engine)
    view_names = set(inspector.get_view_names())
    if engine.dialect.name == "postgresql":
        view_names.update(inspector.get_materialized_view_names())
    for table in metadata.tables.values():
        table.info["is_view"] = table.schema is None and table.name in view_names
    field_facts.read_extras(engine, metadata)
    return metadata


def _index(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Default-schema tables by exact and lower-case name; a lower-case name two tables share is left out."""
    tables = [t for t in metadata.tables.values() if t.schema is None]
    lowered: dict[str, list[sa.Table]] = {}
    for table in tables:
        lowered.setdefault(table.name.lower(), []).append(table)
    index = {name: found[0] for name, found in lowered.items() if len(found) == 1}
    index.update({table.name: table for table in tables})
    for found in lowered.values():
        for table in found:
            table.info["case_unique"] = len(found) == 1
    return index


def case_unique(table: sa.Table) -> bool:
    """Whether no other table of the schema shares its lower-case name (a grant may then use any case)."""
    return bool(table.info.get("case_unique", True))


class SchemaCache:
    """Reflected schemas keyed by the caller's engine key, typically the service id.

    An entry belongs to the engine that reflected it: passing a different engine under the same key (the
    EnginePool rebuilt it after a config change) reflects again, so a stale schema cannot outlive its engine.
    """

    def __init__(self, check_interval: float = CHECK_INTERVAL, clock: Callable[[], float] = time.monotonic):
        self.check_interval = check_interval
        self._clock = clock
        self._entries: dict[Hashable, _Entry] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def metadata(self, key: Hashable, engine: sa.Engine) -> sa.MetaData:
        """The reflected MetaData of an engine (tables of other schemas appear only as FK targets)."""
        return self._entry(key, engine).metadata

    def tables(self, key: Hashable, engine: sa.Engine) -> list[str]:
        """Names of the tables and views of the default schema, sorted."""
        return sorted({table.name for table in self._entry(key, engine).by_name.values()})

    def table(self, key: Hashable, engine: sa.Engine, name: str, service: str | None = None) -> sa.Table:
        """A table or view by name: exact match first, then case-insensitive if unambiguous; else NotFound."""
        by_name = self._entry(key, engine).by_name
        found = by_name.get(name)
        if found is None:
            found = by_name.get(name.lower())
            # Another spelling reaches a table only when no other table shares its lower-case name.
            if found is not None and not case_unique(found):
                found = None
        if found is None:
            where = f" in service '{service}'" if service else ""
            raise NotFound(f"Table '{name}' not found{where}")
        return found

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def refresh(self, key: Hashable | None = None) -> None:
        """Forget one engine's schema (or every schema when key is None); the next lookup reflects."""
        if key is None:
            for each in list(self._entries):
                self.refresh(each)
            return
        # Taking the key's lock keeps a reflection in progress from putting back what was just dropped.
        with self._lock_for(key), self._guard:
            self._entries.pop(key, None)

    def _lock_for(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, entry: _Entry | None, engine: sa.Engine) -> bool:
        if entry is None or entry.engine is not engine:
            return False
        return self._clock() - entry.checked_at < self.check_interval

    def _entry(self, key: Hashable, engine: sa.Engine) -> _Entry:
        entry = self._entries.get(key)
        if self._fresh(entry, engine):
            return entry  # type: ignore[return-value]
        # One thread per key reflects; the others wait for it rather than reflect the same schema again.
        with self._lock_for(key):
            entry = self._entries.get(key)
            if self._fresh(entry, engine):
                return entry  # type: ignore[return-value]
            # The fingerprint is taken before reflecting, so a change in between is seen on the next check.
            current = fingerprint(engine)
            if entry is not None and entry.engine is engine and entry.fingerprint == current:
                entry = _Entry(engine, entry.metadata, entry.by_name, current, self._clock())
            else:
                metadata = reflect(engine)
                entry = _Entry(engine, metadata, _index(metadata), current, self._clock())
            with self._guard:
                self._entries[key] = entry
            return entry


def primary_key(table: sa.Table) -> list[sa.Column]:
    """The primary-key columns in key order; [] for views and tables without a key."""
    return list(table.primary_key.columns)


def portable_type(type_: sa.types.TypeEngine) -> str:
    """A portable name for a column type, the same on every engine."""
    if isinstance(type_, sa.JSON):
        return "json"
    if isinstance(type_, column_types.Duration):
        return "time"  # MySQL's TIME, a duration read as "[-]HH:MM:SS"
    # MySQL's TEXT family is not a subclass of sa.Text; any string without a length is unbounded text.
    if isinstance(type_, sa.Text) or (
        isinstance(type_, sa.String) and not isinstance(type_, sa.Enum) and type_.length is None
    ):
        return "text"
    try:
        python_type = type_.python_type
    except NotImplementedError:
        return "other"
    for kind, name in _PYTHON_TYPES:
        if issubclass(python_type, kind):
            return name
    return "other"


# datetime is a subclass of date and bool of int, so the narrower type comes first.
_PYTHON_TYPES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "float"),
    (decimal.Decimal, "decimal"),
    (str, "string"),
    (uuid.UUID, "string"),
    (bytes, "binary"),
    (datetime.datetime, "datetime"),
    (datetime.date, "date"),
    (datetime.time, "time"),
)


# Whether the caller may see these columns of another table (a relation names both ends).
Sees = Callable[[sa.Table, list[str]], bool]


def describe_table(
    table: sa.Table, visible: Callable[[str], bool] | None = None, sees: Sees | None = None
) -> dict[str, Any]:
    """JSON-ready metadata of one table for /_schema/<t>: the columns visible(name) allows, and relations
    and foreign-key targets only to tables and columns that sees() allows (the api passes: the caller may
    read them)."""
    sees = sees or _sees_all
    fields = _fields(table)
    shown = [column for column in table.columns if visible is None or visible(column.name)]
    names = {column.name for column in shown}
    return {
        "name": table.name,
        "is_view": bool(table.info.get("is_view", False)),
        "primary_key": [column.name for column in primary_key(table) if column.name in names],
        "field": [_field(*fields[column.name], sees) for column in shown],
        "related": _related(table, names, sees),
    }


def _sees_all(_table: sa.Table, _columns: list[str]) -> bool:
    return True


_FIELDS = "bastion_fields"
_Field = tuple[dict[str, Any], field_facts.Reference | None]


def _fields(table: sa.Table) -> dict[str, _Field]:
    """What describes each column whoever asks, computed once per reflected table (kept in its info, so
    rebuilt exactly when the schema cache reflects again)."""
    cached = table.info.get(_FIELDS)
    if cached is None:
        cached = {column.name: _static_field(column) for column in table.columns}
        table.info[_FIELDS] = cached
    return cached


def _field(described: dict[str, Any], reference: field_facts.Reference | None, sees: Sees) -> dict[str, Any]:
    return {**described, **field_facts.references(reference, sees)}


def _static_field(column: sa.Column) -> _Field:
    described = _describe_column(column) | field_facts.static_facts(column)
    # DreamFactory's ColumnSchema::getRequired; a generated column cannot be written at all.
    described["required"] = not (
        described["allow_null"]
        or described["default"] is not None
        or described["auto_increment"]
        or column.computed is not None
    )
    return described, field_facts.reference(column)


def _describe_column(column: sa.Column) -> dict[str, Any]:
    default = column.server_default
    return {
        "name": column.name,
        "type": portable_type(column.type),
        "db_type": _db_type(column.type),
        "length": getattr(column.type, "length", None),
        # SQLite reflects key columns as nullable, but a key that may be null is no use to an API client.
        "allow_null": bool(column.nullable) and not column.primary_key,
        "default": str(default.arg) if isinstance(default, sa.DefaultClause) else None,
        "is_primary_key": column.primary_key,
        "auto_increment": _auto_increment(column),
    }


def _db_type(type_: sa.types.TypeEngine) -> str:
    try:
        return str(type_)
    except sa.exc.SQLAlchemyError:
        # Some dialect types render only with their own dialect; the class name still tells the user.
        return type(type_).__name__.upper()


def _auto_increment(column: sa.Column) -> bool:
    """Reflection says True/False on PostgreSQL and MySQL; SQLite leaves "auto" for its rowid alias."""
    if column.autoincrement == "auto":
        return column is column.table.autoincrement_column
    return column.autoincrement is True or column.identity is not None


def _related(table: sa.Table, visible: set[str], sees: Sees) -> list[dict[str, str | None]]:
    """The table's relationships (relationships.py) whose join columns the caller may see on every side."""
    shown = []
    for relation in relationships(table).values():
        if relation.field in visible and all(sees(other, columns) for other, columns in relation.ends()):
            shown.append(relation.describe())
    return shown
