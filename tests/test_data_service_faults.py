"""A SQLite service over a file that is not a database, and SQL parameters in logs (issue 12, Low)."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from tests.test_system_db_reach import insert_unchecked, sqlite_config

SERVICES = "/api/v2/system/service"


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "hr.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO staff (name) VALUES ('Ada')"))
    engine.dispose()
    return path


@pytest.fixture
def text_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("These are notes, not a database.\n" * 20)
    return path


def test_a_file_that_is_no_database_is_a_400_naming_the_field(client, admin_headers, text_file, tmp_path):
    for path, reason in ((text_file, "is not a SQLite database file"), (tmp_path, "is a directory")):
        body = {"name": "notes", "config": sqlite_config(path)}
        response = client.post(SERVICES, json=body, headers=admin_headers)
        assert response.status_code == 400, response.get_json()
        assert reason in response.get_json()["error"]["context"]["errors"]["config.database"]


def test_testing_an_edited_config_over_a_text_file_is_a_400(client, admin_headers, data_file, text_file):
    body = {"name": "hr", "config": sqlite_config(data_file)}
    service_id = client.post(SERVICES, json=body, headers=admin_headers).get_json()["id"]
    edited = {"config": {"database": str(text_file)}}
    response = client.post(f"{SERVICES}/{service_id}/test", json=edited, headers=admin_headers)
    assert response.status_code == 400
    assert "config.database" in response.get_json()["error"]["context"]["errors"]


def test_a_file_that_stops_being_a_database_is_a_503_at_request_time(
    app, client, admin_headers, data_file, text_file
):
    body = {"name": "hr", "config": sqlite_config(data_file)}
    service_id = client.post(SERVICES, json=body, headers=admin_headers).get_json()["id"]
    assert client.get("/api/v2/hr/_table/staff", headers=admin_headers).status_code == 200
    data_file.write_bytes(text_file.read_bytes())
    app.extensions["bastion.engines"].dispose_all()
    app.extensions["bastion.schemas"].refresh()
    insert_unchecked(app, "notes", sqlite_config(text_file))
    for path in (
        "/api/v2/hr/_table/staff",
        "/api/v2/hr/_table/staff/1",
        "/api/v2/notes/_table",
        "/api/v2/hr/_schema",
    ):
        response = client.get(path, headers=admin_headers)
        assert response.status_code == 503, (path, response.get_json())
        assert "not a SQLite database" in response.get_json()["error"]["message"]
    response = client.post("/api/v2/hr/_table/staff", json={"name": "Bob"}, headers=admin_headers)
    assert response.status_code == 503
    test = client.post(f"{SERVICES}/{service_id}/test", headers=admin_headers)
    assert test.status_code == 400 and "not a SQLite database" in test.get_json()["error"]["message"]


def test_sql_parameters_never_reach_the_log(app, client, admin_headers, data_file, caplog, monkeypatch):
    # A traceback is logged once a minute per service: start this test with none logged yet.
    monkeypatch.setattr("bastion.data.dberrors._traced", {})
    body = {"name": "hr", "config": sqlite_config(data_file)}
    assert client.post(SERVICES, json=body, headers=admin_headers).status_code == 201
    read = "/api/v2/hr/_table/staff?filter=name%3D'Secret-Param-7'"
    assert client.get(read, headers=admin_headers).status_code == 200
    # The column goes away behind the schema cache's back, so the next statements fail in the database.
    engine = sa.create_engine(f"sqlite:///{data_file}")
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE staff RENAME COLUMN name TO full_name"))
    engine.dispose()
    with caplog.at_level(logging.WARNING, logger="bastion"):
        failures = [
            client.get(read, headers=admin_headers),
            client.post("/api/v2/hr/_table/staff", json={"name": "Secret-Param-8"}, headers=admin_headers),
            client.patch("/api/v2/hr/_table/staff/1", json={"name": "Secret-Param-9"}, headers=admin_headers),
        ]
    assert [r.status_code for r in failures] == [503, 503, 503]
    logged = caplog.text
    # Only the first failure per service per minute carries its traceback (dberrors.log_outage).
    assert "[SQL parameters hidden due to hide_parameters=True]" in logged
    for secret in ("Secret-Param-7", "Secret-Param-8", "Secret-Param-9"):
        assert secret not in logged
