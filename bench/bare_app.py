"""The baseline: a bare Flask handler running the benchmark's queries with the sqlite3 module.

No authentication, no access rules, no query parsing beyond the three parameters used: this is the floor
that Bastion's overhead is measured against. It answers the same JSON shapes as Bastion's data API
(``{"resource": [...]}`` for lists, the bare object by id). Started by data_bench.py as
``gunicorn -c deploy/gunicorn.conf.py bare_app:app`` with BENCH_DB naming the SQLite file.
"""

from __future__ import annotations

import os
import sqlite3
import threading

from flask import Flask, abort, request

COLUMNS = "id, first_name, last_name, email, department_id, hired_on, salary, is_active"
MAX_RECORDS = 1000

app = Flask(__name__)
_local = threading.local()


def _connection() -> sqlite3.Connection:
    # One connection per worker thread, opened after the fork, like an engine pool holding one connection.
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = sqlite3.connect(os.environ["BENCH_DB"])
        connection.row_factory = sqlite3.Row
        _local.connection = connection
    return connection


def _limit() -> int:
    try:
        return max(1, min(int(request.args.get("limit", MAX_RECORDS)), MAX_RECORDS))
    except ValueError:
        abort(400)


@app.get("/employees")
def list_employees():
    """A page of employees in key order, optionally with an equality filter on department_id."""
    where, values = "", []
    if "department_id" in request.args:
        where, values = "WHERE department_id = ?", [request.args["department_id"]]
    sql = f"SELECT {COLUMNS} FROM employees {where} ORDER BY id LIMIT ?"
    rows = _connection().execute(sql, [*values, _limit()]).fetchall()
    records = [dict(row) for row in rows]
    if request.args.get("related"):
        _attach_related(records)
    return {"resource": records}


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
    sql = f"SELECT {COLUMNS} FROM employees WHERE id = ? LIMIT 1"
    row = _connection().execute(sql, [employee_id]).fetchone()
    if row is None:
        abort(404)
    return dict(row)
