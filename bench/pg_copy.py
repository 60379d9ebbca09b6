"""The benchmark's employees in PostgreSQL: a scratch database filled from the seeded SQLite file.

The database is created on the machine's PostgreSQL (BENCH_PG_ADMIN, default the tests' server at
127.0.0.1:5432), filled with COPY in one transaction, ANALYZEd, and dropped when the suite ends.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
SCHEMA = """
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    first_name VARCHAR(50) NOT NULL,
    last_name VARCHAR(50) NOT NULL,
    email VARCHAR(120) NOT NULL UNIQUE,
    department_id INTEGER,
    hired_on DATE NOT NULL,
    salary NUMERIC(10, 2) NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT true
);
CREATE INDEX employees_department ON employees (department_id);
"""
COLUMNS = "id, first_name, last_name, email, department_id, hired_on, salary, is_active"


@contextlib.contextmanager
def postgres_copy(sqlite_path: Path) -> Iterator[str]:
    """Yield the URL of a new PostgreSQL database holding the SQLite file's employees; drop it after."""
    name = "bastion_bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        _fill(url, sqlite_path)
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _fill(url: str, sqlite_path: Path) -> None:
    with sqlite3.connect(sqlite_path) as source, psycopg.connect(url) as target:
        target.execute(SCHEMA)
        rows = source.execute(f"SELECT {COLUMNS} FROM employees ORDER BY id")
        with target.cursor().copy(f"COPY employees ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:7], bool(row[7])))
        target.commit()
    with psycopg.connect(url, autocommit=True) as target:
        target.execute("ANALYZE employees")


def service_config(url: str) -> dict:
    """Bastion's service config for the database at url."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return {
        "engine": "postgresql",
        "host": info.get("host", "127.0.0.1"),
        "port": int(info.get("port", 5432)),
        "database": info["dbname"],
        "username": info.get("user", "postgres"),
        "max_records": 1000,
    }
