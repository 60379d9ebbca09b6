"""Faults of the databases behind data services: each answer is a 503/504 naming the service, never a 500.

A stopped database is a TCP proxy in front of the real server that the test closes (tests/tcp_proxy.py);
a locked SQLite file is another connection holding its write lock.
"""

from __future__ import annotations

import sqlite3

import pytest

from tests.databases import config_from_url, scratch_database
from tests.tcp_proxy import TcpProxy

NETWORK = ("postgresql", "mysql")


@pytest.fixture(params=NETWORK)
def proxied_service(request, client, admin_headers, tmp_path):
    """A service 'notes' on PostgreSQL or MariaDB, reached through a proxy the test can stop."""
    with scratch_database(request.param, str(tmp_path)) as url:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(50))"))
            conn.execute(sa.text("INSERT INTO notes (id, body) VALUES (1, 'hello')"))
        engine.dispose()
        config = config_from_url(url)
        proxy = TcpProxy(config["port"]).start()
        config["port"] = proxy.port
        response = client.post(
            "/api/v2/system/service", json={"name": "notes", "config": config}, headers=admin_headers
        )
        assert response.status_code == 201, response.get_json()
        try:
            yield proxy
        finally:
            proxy.stop()
            client.application.extensions["bastion.engines"].dispose_all()


def assert_outage(response, code: int, service: str = "notes") -> dict:
    body = response.get_json()
    assert response.status_code == code, body
    assert f"service '{service}'" in body["error"]["message"]
    assert body["error"]["request_id"]
    return body


READS = (
    "/api/v2/notes/_table/notes",
    "/api/v2/notes/_table/notes/1",
    "/api/v2/notes/_table/notes?filter=id>0",
)


def test_a_stopped_database_answers_503_on_every_path_and_recovers(client, admin_headers, proxied_service):
    for _ in range(3):  # the third request of a shape runs a compiled read plan
        for path in READS:
            assert client.get(path, headers=admin_headers).status_code == 200
    proxied_service.stop()
    for _ in range(3):
        for path in READS:
            assert_outage(client.get(path, headers=admin_headers), 503)
        posted = client.post("/api/v2/notes/_table/notes", json={"id": 2, "body": "x"}, headers=admin_headers)
        assert_outage(posted, 503)
    proxied_service.start()
    for path in READS:
        assert client.get(path, headers=admin_headers).status_code == 200


def test_a_locked_sqlite_file_is_busy_with_retry_after(client, admin_headers, tmp_path):
    path = tmp_path / "locked.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    body = {"name": "locked", "config": {"engine": "sqlite", "database": str(path)}}
    assert client.post("/api/v2/system/service", json=body, headers=admin_headers).status_code == 201
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        posted = client.post(
            "/api/v2/locked/_table/notes", json={"id": 1, "body": "x"}, headers=admin_headers
        )
        assert_outage(posted, 503, "locked")
        assert posted.headers["Retry-After"] == "1"
        assert "busy" in posted.get_json()["error"]["message"]
    finally:
        holder.rollback()
        holder.close()
    posted = client.post("/api/v2/locked/_table/notes", json={"id": 1, "body": "x"}, headers=admin_headers)
    assert posted.status_code == 201
