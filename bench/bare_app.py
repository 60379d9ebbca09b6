"""The baseline: a bare Flask handler running the benchmark's queries with the sqlite3 or psycopg module.

No authentication, no access rules, no query parsing beyond the parameters used: this is the floor that
Bastion's overhead is measured against. It answers the same JSON shapes as Bastion's data API
(``{"resource": [...]}`` for lists, with ``meta.count`` when asked; the bare object by id). Started by
data_bench.py as ``gunicorn -c deploy/gunicorn.conf.py bare_app:app`` with BENCH_DB naming the SQLite
file, or BENCH_PG naming a PostgreSQL database (``postgresql://...``), which it then reads with psycopg.

Parameters: ``limit``, ``offset``, ``after`` (keyset: rows with id > after, the floor of Bastion's
cursor), ``department_id`` and ``last_name`` (equality filters), ``include_count``, ``related`` (each
employee's department and assignments; SQLite only).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import Any

from flask import Flask, abort, request

COLUMNS = "id, first_name, last_name, email, department_id, hired_on, salary, is_active"
MAX_RECORDS = 1000
FILTERS = {"department_id": int, "last_name": str}
_PLAIN = (str, int, float, type(None))

app = Flask(__name__)
_local = threading.local()
_PG = os.environ.get("BENCH_PG")
MARK = "%s" if _PG else "?"


def _connection() -> Any:
    # One connection per worker thread, opened after the fork, like an engine pool holding one connection.
    connection = getattr(_local, "connection", None)
    if connection is None:
        if _PG:
            import psycopg  # only the PostgreSQL variant needs it
            from psycopg.rows import dict_row

            connection = psycopg.connect(_PG, autocommit=True, row_factory=dict_row)
        else:
            connection = sqlite3.connect(os.environ["BENCH_DB"])
            connection.row_factory = sqlite3.Row
        _local.connection = connection
    return connection


def _rows(sql: str, values: list) -> list[dict]:
    rows = _connection().execute(sql, values).fetchall()
    if not _PG:
        return [dict(row) for row in rows]
    # psycopg returns dates and Decimals as objects; sent as text, as Bastion sends them.
    return [{k: v if isinstance(v, _PLAIN) else str(v) for k, v in row.items()} for row in rows]


def _int(name: str, default: int, most: int | None = None) -> int:
    try:
        value = max(0, int(request.args.get(name, default)))
    except ValueError:
        abort(400)
    return min(value, most) if most is not None else value


@app.get("/employees")
def list_employees():
    """A page of employees in key order, with optional equality filters, offset or keyset, and count."""
    terms = [f"{name} = {MARK}" for name in FILTERS if name in request.args]
    values: list = [kind(request.args[name]) for name, kind in FILTERS.items() if name in request.args]
    where = list(terms)
    if "after" in request.args:
        where.append(f"id > {MARK}")
    condition = f"WHERE {' AND '.join(where)}" if where else ""
    page_values = [*values, *([_int("after", 0)] if "after" in request.args else [])]
    sql = f"SELECT {COLUMNS} FROM employees {condition} ORDER BY id LIMIT {MARK} OFFSET {MARK}"
    paging = [_int("limit", MAX_RECORDS, MAX_RECORDS), _int("offset", 0)]
    body: dict = {"resource": _rows(sql, [*page_values, *paging])}
    if request.args.get("related"):
        _attach_related(body["resource"])
    if request.args.get("include_count") in ("true", "1"):
        count_where = f"WHERE {' AND '.join(terms)}" if terms else ""
        body["meta"] = {"count": _rows(f"SELECT count(*) AS n FROM employees {count_where}", values)[0]["n"]}
    return body


def _attach_related(records: list[dict]) -> None:
    """Each employee's department (belongs-to) and assignments (has-many): one IN query for each."""
    connection = _connection()
    departments = sorted({r["department_id"] for r in records if r["department_id"] is not None})
    marks = ",".join("?" * len(departments))
    sql = f"SELECT id, name, budget FROM departments WHERE id IN ({marks})"
    by_id = {row["id"]: dict(row) for row in connection.execute(sql, departments)} if departments else {}
    ids = [r["id"] for r in records]
    sql = (
        "SELECT employee_id, project_id, role, hours FROM assignments"
        f" WHERE employee_id IN ({','.join('?' * len(ids))}) ORDER BY employee_id, project_id"
    )
    assignments: dict[int, list[dict]] = {}
    for row in connection.execute(sql, ids) if ids else ():
        assignments.setdefault(row["employee_id"], []).append(dict(row))
    for record in records:
        record["departments_by_department_id"] = by_id.get(record["department_id"])
        record["assignments_by_employee_id"] = assignments.get(record["id"], [])


@app.get("/employees/<int:employee_id>")
def get_employee(employee_id: int):
    """One employee by id, or 404."""
    rows = _rows(f"SELECT {COLUMNS} FROM employees WHERE id = {MARK} LIMIT 1", [employee_id])
    if not rows:
        abort(404)
    return rows[0]
