"""Two gunicorn instances on one system database: a change made through one is seen by the other on its
very next request (role deactivation, key rotation, service password, service deletion). Run on PostgreSQL
(counters pushed by LISTEN/NOTIFY), on MariaDB with Redis (pushed through Redis pub/sub) and on one SQLite
file (a generation mark beside it, sqlite_push.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
import redis
import sqlalchemy as sa

from tests.databases import config_from_url, scratch_database
from tests.live import start_server, stop_server


def call(base, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def admin_headers(server) -> dict:
    """The Authorization header of a fresh admin session on a live server."""
    login = {"email": server.admin_email, "password": server.admin_password}
    _, session = call(server.url, "POST", "/api/v2/system/admin/session", login)
    return {"Authorization": f"Bearer {session['session_token']}"}


def notes_file(path) -> None:
    """A SQLite data file with one table `notes` holding one row."""
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(sa.text("INSERT INTO notes VALUES (1, 'hello')"))
    engine.dispose()


# Its own Redis database number, so that only these servers' listeners are counted (redis_push.channels).
REDIS_URL = "redis://127.0.0.1:6379/13"
PUSHES = {"postgresql": {}, "mysql": {"REDIS_URL": REDIS_URL}, "sqlite": {}}


@pytest.fixture(scope="module", params=sorted(PUSHES))
def two_servers(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multi")
    with scratch_database(request.param, str(tmp)) as system_url:
        settings = {"DATABASE_URL": system_url, **PUSHES[request.param]}
        first = start_server(tmp / "one", **settings)
        second = start_server(tmp / "two", **settings)
        try:
            yield first, second, tmp
        finally:
            stop_server(first)
            stop_server(second)


def test_changes_reach_the_other_instance_at_once(two_servers):
    first, second, tmp = two_servers
    data = tmp / "data.db"
    notes_file(data)
    admin = admin_headers(first)
    call(
        first.url,
        "POST",
        "/api/v2/system/service",
        {"name": "notes", "config": {"engine": "sqlite", "database": str(data)}},
        admin,
    )
    _, role = call(
        first.url,
        "POST",
        "/api/v2/system/role",
        {"name": "reader", "access": [{"service": "notes", "component": "_table/*", "verbs": ["GET"]}]},
        admin,
    )
    _, app = call(first.url, "POST", "/api/v2/system/app", {"name": "web", "role_id": role["id"]}, admin)
    key = {"X-Api-Key": app["api_key"]}
    for _ in range(4):  # hit both workers of the second instance
        assert call(second.url, "GET", "/api/v2/notes/_table/notes", headers=key)[0] == 200
    call(first.url, "PATCH", f"/api/v2/system/role/{role['id']}", {"is_active": False}, admin)
    for _ in range(4):
        assert call(second.url, "GET", "/api/v2/notes/_table/notes", headers=key)[0] == 403
    call(first.url, "PATCH", f"/api/v2/system/role/{role['id']}", {"is_active": True}, admin)
    _, rotated = call(first.url, "POST", f"/api/v2/system/app/{app['id']}/rotate-key", None, admin)
    for _ in range(4):
        assert call(second.url, "GET", "/api/v2/notes/_table/notes", headers=key)[0] == 401
        assert (
            call(second.url, "GET", "/api/v2/notes/_table/notes", headers={"X-Api-Key": rotated["api_key"]})[
                0
            ]
            == 200
        )
    # The admin session made on the first instance is valid on the second, and logout ends it there too.
    assert call(second.url, "GET", "/api/v2/system/admin/session", headers=admin)[0] == 200
    call(first.url, "DELETE", "/api/v2/system/admin/session", headers=admin)
    assert call(second.url, "GET", "/api/v2/system/admin/session", headers=admin)[0] == 401


def test_a_deleted_service_closes_its_connections_in_every_worker_of_the_other_instance(two_servers):
    first, second, tmp = two_servers
    admin = admin_headers(first)
    with scratch_database("postgresql", str(tmp)) as data_url:
        engine = sa.create_engine(data_url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY)"))
        config = config_from_url(data_url)
        _, service = call(
            first.url, "POST", "/api/v2/system/service", {"name": "pgnotes", "config": config}, admin
        )
        for _ in range(8):  # both workers of the second instance open a pool
            assert call(second.url, "GET", "/api/v2/pgnotes/_table/notes", headers=admin)[0] == 200
        database = sa.engine.make_url(data_url).database

        def open_connections() -> int:
            with engine.connect() as conn:
                sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()"
                return conn.execute(sa.text(sql), {"db": database}).scalar_one()

        assert open_connections() >= 1
        assert call(first.url, "DELETE", f"/api/v2/system/service/{service['id']}", headers=admin)[0] == 200
        # Each worker releases on its next request, whatever it asks; a few requests reach both.
        deadline = time.monotonic() + 10
        while open_connections() and time.monotonic() < deadline:
            call(second.url, "GET", "/api/v2/system/environment", headers=admin)
        assert open_connections() == 0
        engine.dispose()


def _listeners(env: dict, terminate: bool = False) -> int:
    """How many cache listeners are connected (cache_push.py, redis_push.py); with terminate, drop them."""
    if "REDIS_URL" in env:
        return _redis_listeners(env["REDIS_URL"], terminate)
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        select = "pg_terminate_backend(pid)" if terminate else "pid"
        # This system database's listeners only: other platforms may share the PostgreSQL server.
        sql = (
            f"SELECT {select} FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'bastion-cache:%%'"
        )
        count = len(conn.exec_driver_sql(sql).fetchall())
    engine.dispose()
    return count


def _redis_listeners(url: str, terminate: bool) -> int:
    client = redis.Redis.from_url(url)
    number = client.connection_pool.connection_kwargs.get("db", 0)
    found = [
        entry["id"]
        for entry in client.client_list(_type="pubsub")
        if entry.get("name", "").startswith("bastion-cache:") and int(entry["db"]) == number
    ]
    if terminate:
        for client_id in found:
            client.client_kill_filter(_id=client_id)
    client.close()
    return len(found)


def _wait_for_listeners(env: dict, count: int = 4, seconds: float = 10) -> None:
    """Until `count` cache listeners are connected, or `seconds` passed (the caller asserts)."""
    deadline = time.monotonic() + seconds
    while _listeners(env) < count and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_revocation_is_refused_by_the_next_request_on_the_other_instance_under_load(two_servers):
    first, second, tmp = two_servers
    env = first.env
    listening = not env["DATABASE_URL"].startswith("sqlite")  # SQLite's workers hold no connection to kill
    admin = admin_headers(first)
    data = tmp / "load.db"
    notes_file(data)
    config = {"engine": "sqlite", "database": str(data)}
    service = {"name": "load", "config": config}
    assert call(first.url, "POST", "/api/v2/system/service", service, admin)[0] == 201
    access = [{"service": "load", "component": "_table/*", "verbs": ["GET"]}]
    _, role = call(first.url, "POST", "/api/v2/system/role", {"name": "loaded", "access": access}, admin)
    _, app = call(first.url, "POST", "/api/v2/system/app", {"name": "loaded", "role_id": role["id"]}, admin)
    key = {"X-Api-Key": app["api_key"]}
    path = "/api/v2/load/_table/notes"
    assert call(second.url, "GET", path, headers=key)[0] == 200
    stop = threading.Event()
    unexpected: list[int] = []

    def background():  # concurrent traffic on both instances, so listeners compete for the GIL
        while not stop.is_set():
            for server in (first, second):
                status = call(server.url, "GET", path, headers=key)[0]
                if status not in (200, 403):
                    unexpected.append(status)

    workers = [threading.Thread(target=background) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        if listening:
            _wait_for_listeners(env)  # started by each worker's first request
            assert _listeners(env) == 4  # one per worker, two workers per instance
        for round_ in range(30):
            if listening and round_ in (10, 20):  # the listeners' connections die: every worker polls
                _wait_for_listeners(env)  # those killed at round 10 reconnect by themselves first
                assert _listeners(env, terminate=True) == 4
            patch = f"/api/v2/system/role/{role['id']}"
            assert call(first.url, "PATCH", patch, {"is_active": False}, admin)[0] == 200
            assert [call(second.url, "GET", path, headers=key)[0] for _ in range(2)] == [403, 403]
            assert call(first.url, "PATCH", patch, {"is_active": True}, admin)[0] == 200
            assert [call(second.url, "GET", path, headers=key)[0] for _ in range(2)] == [200, 200]
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=15)
    assert unexpected == []
    if listening:
        _wait_for_listeners(env)  # the listeners reconnect by themselves
        assert _listeners(env) == 4
