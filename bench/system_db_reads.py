"""What the system database sees per data request: statements counted by the database server itself.

    PYTHONPATH=backend:. .venv/bin/python bench/system_db_reads.py [--requests 1000]
        [--system postgresql|mysql] [--redis redis://127.0.0.1:6379/12]

Starts one instance (tests/live.py, 2 workers) on a scratch system database, registers a SQLite data
service and an app key, warms both workers, then sends --requests sequential GETs with the key and
counts what the system database served before and after (2 s apart from the run, so the statistics are
flushed), and over 5 idle seconds after it. PostgreSQL: `xact_commit + xact_rollback` of the database in
`pg_stat_database`. MariaDB: the server's `Com_select` (every SELECT on the server: run it on a quiet one).
With --redis, the instance gets REDIS_URL (MariaDB then has its counters pushed, redis_push.py).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from tests.databases import scratch_database
from tests.live import start_server, stop_server
from tests.test_multi_instance import admin_headers, call, notes_file


def transactions(admin: sa.Engine, database: str) -> int:
    """Committed and rolled-back transactions of the database so far, as the statistics show them."""
    with admin.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        sql = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s"
        return conn.exec_driver_sql(sql, (database,)).scalar_one()


def selects(admin: sa.Engine, _database: str) -> int:
    """SELECT statements the MariaDB server ran so far (all databases)."""
    with admin.connect() as conn:
        return int(conn.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'Com_select'").fetchone()[1])


COUNTERS = {"postgresql": ("transactions", transactions), "mysql": ("SELECT statements", selects)}


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--system", choices=sorted(COUNTERS), default="postgresql")
    parser.add_argument("--redis", default="", help="REDIS_URL for the instance (none by default)")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    what, count = COUNTERS[args.system]
    tmp = Path(tempfile.mkdtemp(prefix="system-db-reads-"))
    with scratch_database(args.system, str(tmp)) as url:
        settings = {"DATABASE_URL": url, **({"REDIS_URL": args.redis} if args.redis else {})}
        server = start_server(tmp / "instance", **settings)
        try:
            data = tmp / "data.db"
            notes_file(data)
            admin = admin_headers(server)
            service = {"name": "notes", "config": {"engine": "sqlite", "database": str(data)}}
            call(server.url, "POST", "/api/v2/system/service", service, admin)
            access = [{"service": "notes", "component": "_table/*", "verbs": ["GET"]}]
            _, role = call(server.url, "POST", "/api/v2/system/role", {"name": "r", "access": access}, admin)
            _, app = call(
                server.url, "POST", "/api/v2/system/app", {"name": "w", "role_id": role["id"]}, admin
            )
            key, path = {"X-Api-Key": app["api_key"]}, "/api/v2/notes/_table/notes"
            for _ in range(50):
                call(server.url, "GET", path, headers=key)
            database = sa.engine.make_url(url).database
            home = "postgres" if args.system == "postgresql" else "mysql"
            stats = sa.create_engine(sa.engine.make_url(url).set(database=home))
            time.sleep(2)
            before, started = count(stats, database), time.monotonic()
            for _ in range(args.requests):
                call(server.url, "GET", path, headers=key)
            elapsed = time.monotonic() - started
            time.sleep(2)
            after = count(stats, database)
            time.sleep(5)
            idle = (count(stats, database) - after) / 5
            stats.dispose()
        finally:
            stop_server(server)
    used = after - before
    print(f"{args.requests} requests in {elapsed:.1f} s: {used} system-database {what}")
    print(f"  {used / args.requests:.3f} per request; idle: {idle:.1f} per second (2 workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
