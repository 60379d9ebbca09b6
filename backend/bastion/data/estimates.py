"""Row estimates for ``include_count=estimate``: what the database already knows, without counting.

An exact ``count(*)`` reads every row (or every index entry) the filter matches, which on a table of a
million rows costs more than the page itself. When the caller says an estimate will do, and nothing
narrows the rows (no filter, no ids, no row filter of the role), the answer may come from the catalogue:

- PostgreSQL: ``pg_class.reltuples``, kept by VACUUM, ANALYZE and autovacuum (-1 until the first one);
- MariaDB/MySQL: ``information_schema.TABLES.TABLE_ROWS``, InnoDB's sampled estimate (may be 40% off);
- SQLite: the first number of ``sqlite_stat1.stat``, written by ANALYZE.

When there is no estimate (never analysed, a view, another engine) the count is exact, and the answer
says which it was (``meta.count_estimated``). A row filter or a filter always gets an exact count: the
catalogue knows nothing of which rows a role may see, and an estimate of the whole table would tell a
restricted role how many rows it cannot read.
"""

from __future__ import annotations

import sqlalchemy as sa

_QUERIES = {
    "postgresql": sa.text(
        "SELECT c.reltuples FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = :table AND n.nspname = COALESCE(:schema, current_schema()) AND c.relkind = 'r'"
    ),
    "mysql": sa.text(
        "SELECT TABLE_ROWS FROM information_schema.TABLES "
        "WHERE TABLE_NAME = :table AND TABLE_SCHEMA = COALESCE(:schema, DATABASE()) "
        "AND TABLE_TYPE = 'BASE TABLE'"
    ),
    "sqlite": sa.text("SELECT stat FROM sqlite_stat1 WHERE tbl = :table AND :schema IS NULL LIMIT 1"),
}
_QUERIES["mariadb"] = _QUERIES["mysql"]


def estimate_rows(bind: sa.Engine | sa.Connection, table: sa.Table) -> int | None:
    """The catalogue's row estimate of a table, or None when the database has none."""
    query = _QUERIES.get(bind.dialect.name)
    if query is None:
        return None
    values = {"table": table.name, "schema": table.schema}
    try:
        if isinstance(bind, sa.Connection):
            found = bind.execute(query, values).scalar()
        else:
            with bind.connect() as connection:
                found = connection.execute(query, values).scalar()
    except sa.exc.OperationalError:
        # SQLite has no sqlite_stat1 until the first ANALYZE; that is "no estimate", not an error.
        if bind.dialect.name != "sqlite":
            raise
        return None
    return _rows(found)


def _rows(found: object) -> int | None:
    if found is None:
        return None
    if isinstance(found, str):  # sqlite_stat1: "rows [rows per distinct index prefix ...]"
        first = found.split()[0] if found.split() else ""
        return int(first) if first.isdecimal() else None
    number = int(float(found))  # type: ignore[arg-type]
    return number if number >= 0 else None
