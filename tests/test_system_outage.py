"""The system database stopped under a running platform (a PostgreSQL cluster of the test's own).

Requests authenticated by an API key and a session the worker has cached keep being served for
SYSTEM_DB_GRACE_SECONDS (3 here); logins, admin writes and tokens never seen answer 503 "The system
database is unavailable" at once; after the grace everything does; each failure is one log line; and the
platform is back as soon as the database is.
"""

from __future__ import annotations

import sqlite3
import time

import pytest

from tests.live import start_server, stop_server
from tests.pg_cluster import PgCluster, pg_bin
from tests.test_faults import fetch

GRACE = 3


@pytest.fixture(scope="module")
def outage(tmp_path_factory):
    """(cluster, server, admin headers, app key headers) with a service 'notes' readable by the key."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL's server binaries are not installed")
    cluster = PgCluster().init()
    server = None
    try:
        instance = tmp_path_factory.mktemp("outage") / "instance"
        server = start_server(
            instance, DATABASE_URL=cluster.url, SYSTEM_DB_GRACE_SECONDS=str(GRACE), BASTION_WORKERS="1"
        )
        login = {"email": server.admin_email, "password": server.admin_password}
        token = fetch(server.url + "/api/v2/system/admin/session", {}, login)[1]["session_token"]
        admin = {"Authorization": f"Bearer {token}"}
        notes = instance.parent / "notes.db"
        with sqlite3.connect(notes) as conn:
            conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
        service = {"name": "notes", "config": {"engine": "sqlite", "database": str(notes)}}
        assert fetch(server.url + "/api/v2/system/service", admin, service)[0] == 201
        role = {"name": "reader", "access": [{"service": "notes", "component": "_table/*", "verbs": ["GET"]}]}
        role_id = fetch(server.url + "/api/v2/system/role", admin, role)[1]["id"]
        app = fetch(server.url + "/api/v2/system/app", admin, {"name": "web", "role_id": role_id})[1]
        yield cluster, server, admin, {"X-Api-Key": app["api_key"]}
    finally:
        if server is not None:
            stop_server(server)
        cluster.destroy()


def test_cached_credentials_are_served_for_the_grace_then_503_and_back_at_once(outage):
    cluster, server, admin, key = outage
    read = server.url + "/api/v2/notes/_table/notes"
    for headers in (key, admin, key, admin):  # the worker now knows the key, the session and the service
        assert fetch(read, headers)[0] == 200
    logged = len(server.log())
    cluster.stop()
    stopped = time.monotonic()
    for headers in (key, admin):
        assert fetch(read, headers)[0] == 200
    login = {"email": server.admin_email, "password": server.admin_password}
    refusals = [
        fetch(server.url + "/api/v2/system/admin/session", {}, login),
        fetch(server.url + "/api/v2/system/role", admin, {"name": "late", "access": []}),
        fetch(read, {"Authorization": "Bearer never-seen-token"}),
    ]
    for status, body in refusals:
        assert status == 503, body
        assert body["error"]["message"].startswith("The system database is unavailable")
    assert time.monotonic() - stopped < GRACE
    time.sleep(max(0.0, GRACE + 0.5 - (time.monotonic() - stopped)))
    status, body = fetch(read, key)
    assert status == 503 and body["error"]["message"].startswith("The system database is unavailable")
    log = server.log()[logged:]
    assert "Traceback" not in log
    assert log.count("the system database is unavailable") >= 4
    cluster.start()
    started = time.monotonic()
    assert fetch(read, key)[0] == 200
    assert fetch(server.url + "/api/v2/system/role", admin, {"name": "after", "access": []})[0] == 201
    assert time.monotonic() - started < 1.0
