"""Tables whose names hold URL-special characters (`/ % ? # space {}`) are browsed, granted and documented."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from tests.conftest import add_sqlite_service

SYS = "/api/v2/system"
NAMES = ["a/b", "50% off", "q?x", "h#1", "sp ace", "{id}", "a"]


def _schema(names: list[str]) -> list[str]:
    statements = []
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        statements += [
            f"CREATE TABLE {quoted} (id INTEGER PRIMARY KEY, label TEXT)",
            f"INSERT INTO {quoted} (label) VALUES ('{name.replace(chr(39), chr(39) * 2)}')",
        ]
    return statements


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """This module tests URLs, not the system database: one SQLite system database is enough."""
    return sqlite_system_db_url


@pytest.fixture
def odd(client, admin_headers, tmp_path):
    add_sqlite_service(client, admin_headers, tmp_path / "odd.db", _schema(NAMES))
    return "/api/v2/hr"


@pytest.mark.parametrize("name", NAMES)
def test_a_table_with_special_characters_is_browsed_and_described(client, admin_headers, odd, name):
    segment = quote(name, safe="")
    rows = client.get(f"{odd}/_table/{segment}", headers=admin_headers)
    assert rows.status_code == 200, rows.get_json()
    assert rows.get_json()["resource"] == [{"id": 1, "label": name}]
    one = client.get(f"{odd}/_table/{segment}/1", headers=admin_headers)
    assert one.status_code == 200 and one.get_json()["label"] == name
    patched = client.patch(f"{odd}/_table/{segment}/1", json={"label": "new"}, headers=admin_headers)
    assert patched.status_code == 200, patched.get_json()
    schema = client.get(f"{odd}/_schema/{segment}", headers=admin_headers)
    assert schema.status_code == 200 and schema.get_json()["name"] == name
    listed = client.get(f"{odd}/_schema", headers=admin_headers).get_json()["resource"]
    assert {"name": name} in listed


def test_a_slash_in_a_name_is_not_a_record_path(client, admin_headers, odd):
    # `a/b` is table `a`, record `b` (not an integer key); `a%2Fb` is the table `a/b`.
    assert client.get(f"{odd}/_table/a/b", headers=admin_headers).status_code == 400
    assert (
        client.get(f"{odd}/_table/a%2Fb", headers=admin_headers).get_json()["resource"][0]["label"] == "a/b"
    )
    assert client.get(f"{odd}/_table/a/1", headers=admin_headers).get_json()["label"] == "a"
    assert client.get(f"{odd}/_table/a%2Fb/1/2", headers=admin_headers).status_code == 404
    assert client.post(f"{odd}/_table/a/1", json={}, headers=admin_headers).status_code == 405
    assert client.head(f"{odd}/_table/a%2Fb/1", headers=admin_headers).status_code == 200


def test_a_grant_on_a_slash_table_covers_it_and_nothing_else(client, admin_headers, odd):
    role = client.post(
        f"{SYS}/role",
        json={"name": "r", "access": [{"service": "hr", "component": "_table/a/b", "verbs": ["GET"]}]},
        headers=admin_headers,
    ).get_json()
    key = {
        "X-Api-Key": client.post(
            f"{SYS}/app", json={"name": "a", "role_id": role["id"]}, headers=admin_headers
        ).get_json()["api_key"]
    }
    assert client.get(f"{odd}/_table/a%2Fb", headers=key).status_code == 200
    assert client.get(f"{odd}/_table/a", headers=key).status_code == 403
    assert client.get(f"{odd}/_table/a/1", headers=key).status_code == 403
    tables = client.get(f"{odd}/_table", headers=key).get_json()["resource"]
    assert tables == [{"name": "a/b", "verbs": ["GET"]}]
    doc = client.get("/api/v2/api_docs/hr", headers=key).get_json()
    validate(doc)
    assert set(doc["paths"]) == {"/_table/a%2Fb", "/_table/a%2Fb/{id}"}
    explained = client.get(
        f"{SYS}/explain",
        query_string={"path": "/api/v2/hr/_table/a%2Fb/1", "app": "1"},
        headers=admin_headers,
    ).get_json()
    assert explained["component"] == "_table/a/b"


def test_the_document_encodes_names_in_paths_and_keys(client, admin_headers, odd):
    doc = client.get("/api/v2/api_docs/hr", headers=admin_headers).get_json()
    validate(doc)
    for name in NAMES:
        segment = quote(name, safe="")
        assert f"/_table/{segment}" in doc["paths"] and f"/_schema/{segment}" in doc["paths"]
        assert f"/_table/{segment}/{{id}}" in doc["paths"]
    # Only the record path has a template; a `{id}` table is encoded, not a parameter.
    assert "/_table/%7Bid%7D" in doc["paths"]
    for key in doc["components"]["schemas"]:
        assert all(c.isalnum() or c in "._-" for c in key), key


def _call(server, path: str, token: str | None = None, body: dict | None = None, method: str = "GET"):
    request = urllib.request.Request(server.url + path, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(request, data=data, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())


def test_gunicorn_delivers_an_encoded_slash(live_server, tmp_path):
    token = _call(
        live_server,
        "/api/v2/system/admin/session",
        body={"email": live_server.admin_email, "password": live_server.admin_password},
        method="POST",
    )["session_token"]
    path = tmp_path / "live_odd.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        for statement in _schema(["a/b", "a"]):
            conn.execute(sa.text(statement))
    engine.dispose()
    body = {"name": "slashes", "config": {"engine": "sqlite", "database": str(path)}}
    _call(live_server, "/api/v2/system/service", token, body, method="POST")
    rows = _call(live_server, "/api/v2/slashes/_table/a%2Fb", token)
    assert rows["resource"] == [{"id": 1, "label": "a/b"}]
    assert _call(live_server, "/api/slashes/_table/a%2Fb/1", token)["label"] == "a/b"  # the unversioned alias
    assert _call(live_server, "/api/v2/slashes/_table/a/1", token)["label"] == "a"
