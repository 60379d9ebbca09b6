"""/api/v2/system/role, /app, /user, /explain, the user session and password endpoints."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import add_sqlite_service, login

SYS = "/api/v2/system"


@pytest.fixture(scope="module")
def system_db_url(sqlite_system_db_url):
    """This module tests the data API, not the system database: one SQLite system database is enough."""
    return sqlite_system_db_url


@pytest.fixture
def hr(client, admin_headers, tmp_path):
    schema = [
        "CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, dept TEXT, salary INT)",
        "INSERT INTO employees VALUES (1, 'Ada', 'Sales', 10), (2, 'Bob', 'Eng', 20)",
    ]
    return add_sqlite_service(client, admin_headers, tmp_path / "hr.db", schema)["id"]


def entry(**extra):
    return {"service": "hr", "component": "_table/employees", "verbs": ["GET"], **extra}


def test_role_crud_with_entries(client, admin_headers, hr):
    body = {
        "name": "sales",
        "description": "Sales rows",
        "access": [
            entry(filters=[{"name": "dept", "operator": "=", "value": "Sales"}], fields=["id", "name"])
        ],
    }
    created = client.post(f"{SYS}/role", json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    role = created.get_json()
    assert role["access"][0]["filter_op"] == "AND" and role["access"][0]["fields"] == ["id", "name"]
    patched = client.patch(
        f"{SYS}/role/{role['id']}", json={"is_active": False}, headers=admin_headers
    ).get_json()
    assert patched["is_active"] is False and patched["access"] == role["access"]
    assert [r["name"] for r in client.get(f"{SYS}/role", headers=admin_headers).get_json()["resource"]] == [
        "sales"
    ]
    assert client.delete(f"{SYS}/role/{role['id']}", headers=admin_headers).status_code == 200


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (entry(service="nope"), "access[0].service"),
        (entry(component="_table/ghosts"), "access[0].component"),
        (entry(component="_tables"), "access[0].component"),
        (entry(verbs=["FETCH"]), "access.0.verbs"),
        (entry(filters=[{"name": "ghost", "operator": "=", "value": 1}]), "access[0].filters[0].name"),
        (entry(filters=[{"name": "dept", "operator": "~=", "value": 1}]), "access[0].filters[0].operator"),
        (entry(fields=["id", "ghost"]), "access[0].fields"),
        (entry(filter_op="XOR"), "access.0.filter_op"),
    ],
)
def test_bad_entries_name_the_entry(client, admin_headers, hr, bad, field):
    response = client.post(f"{SYS}/role", json={"name": "bad", "access": [bad]}, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["context"]["errors"]
    assert client.get(f"{SYS}/role", headers=admin_headers).get_json()["resource"] == []


def test_dreamfactory_role_shape_is_accepted(client, admin_headers, hr):
    body = {
        "name": "df",
        "role_service_access_by_role_id": [
            {"service_id": hr, "component": "_table/*", "verb_mask": 3, "filters": [], "filter_op": "AND"}
        ],
    }
    response = client.post(f"{SYS}/role", json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["access"][0] | {} == {
        "service": "hr",
        "component": "_table/*",
        "verbs": ["GET", "POST"],
        "filters": [],
        "filter_op": "AND",
        "fields": None,
    }


def test_app_key_is_shown_once_and_rotates(client, admin_headers, hr):
    role = client.post(
        f"{SYS}/role", json={"name": "r", "access": [entry()]}, headers=admin_headers
    ).get_json()
    created = client.post(
        f"{SYS}/app", json={"name": "web", "role_id": role["id"]}, headers=admin_headers
    ).get_json()
    key = created["api_key"]
    assert key.startswith("bak_") and created["key_fingerprint"] == key[:10]
    listed = client.get(f"{SYS}/app", headers=admin_headers).get_data(as_text=True)
    assert key not in listed and created["key_fingerprint"] in listed
    assert "api_key" not in client.get(f"{SYS}/app/{created['id']}", headers=admin_headers).get_json()
    assert client.get("/api/v2/hr/_table/employees", headers={"X-Api-Key": key}).status_code == 200
    rotated = client.post(f"{SYS}/app/{created['id']}/rotate-key", headers=admin_headers).get_json()
    assert rotated["api_key"] != key
    assert client.get("/api/v2/hr/_table/employees", headers={"X-Api-Key": key}).status_code == 401
    for source in (
        {"headers": {"X-DreamFactory-API-Key": rotated["api_key"]}},
        {"query_string": {"api_key": rotated["api_key"]}},
    ):
        assert client.get("/api/v2/hr/_table/employees", **source).status_code == 200


def test_deactivating_role_or_app_takes_effect_at_once(client, admin_headers, hr):
    role = client.post(
        f"{SYS}/role", json={"name": "r", "access": [entry()]}, headers=admin_headers
    ).get_json()
    app = client.post(
        f"{SYS}/app", json={"name": "web", "role_id": role["id"]}, headers=admin_headers
    ).get_json()
    key = {"X-Api-Key": app["api_key"]}
    assert client.get("/api/v2/hr/_table/employees", headers=key).status_code == 200
    client.patch(f"{SYS}/role/{role['id']}", json={"is_active": False}, headers=admin_headers)
    assert client.get("/api/v2/hr/_table/employees", headers=key).status_code == 403
    client.patch(f"{SYS}/role/{role['id']}", json={"is_active": True}, headers=admin_headers)
    client.patch(f"{SYS}/app/{app['id']}", json={"is_active": False}, headers=admin_headers)
    assert client.get("/api/v2/hr/_table/employees", headers=key).status_code == 401
    client.delete(f"{SYS}/app/{app['id']}", headers=admin_headers)
    assert client.get("/api/v2/hr/_table/employees", headers=key).status_code == 401


def test_users_sessions_and_passwords(client, admin, admin_headers, hr):
    role = client.post(
        f"{SYS}/role", json={"name": "r", "access": [entry()]}, headers=admin_headers
    ).get_json()
    app = client.post(f"{SYS}/app", json={"name": "web"}, headers=admin_headers).get_json()
    body = {
        "email": "user@example.com",
        "name": "User",
        "password": "user password 1",
        "app_roles": [{"app_id": app["id"], "role_id": role["id"]}],
    }
    user = client.post(f"{SYS}/user", json=body, headers=admin_headers).get_json()
    assert user["app_roles"] == [{"app_id": app["id"], "role_id": role["id"]}] and "password" not in user
    assert login(client, admin["email"], admin["password"], path="/api/v2/user/session").status_code == 401
    assert login(client, body["email"], body["password"]).status_code == 401
    session = client.post(
        "/api/v2/user/session",
        json={"email": body["email"], "password": body["password"]},
        headers={"X-Api-Key": app["api_key"]},
    ).get_json()
    assert session["role"] == "r" and session["role_id"] == role["id"]
    auth = {"Authorization": f"Bearer {session['session_token']}", "X-Api-Key": app["api_key"]}
    assert client.get("/api/v2/hr/_table/employees", headers=auth).status_code == 200
    assert client.get(f"{SYS}/admin", headers=auth).status_code == 403
    wrong = client.post(
        "/api/v2/user/password",
        json={"old_password": "not the password", "new_password": "user password 2"},
        headers=auth,
    )
    # A 400 on old_password, as in DreamFactory: a 401 would read as "your session ended" to every client.
    assert wrong.status_code == 400 and "current password is wrong" in wrong.get_json()["error"]["message"]
    errors = wrong.get_json()["error"]["context"]["errors"]
    assert errors == {"old_password": "does not match the current password"}
    assert client.get("/api/v2/user/session", headers=auth).status_code == 200  # nothing changed
    changed = client.post(
        "/api/v2/user/password",
        json={"old_password": "user password 1", "new_password": "user password 2"},
        headers=auth,
    )
    assert changed.status_code == 200
    assert client.get("/api/v2/user/session", headers=auth).status_code == 401
    fresh = {"Authorization": f"Bearer {changed.get_json()['session_token']}"}
    assert client.get("/api/v2/user/session", headers=fresh).status_code == 200
    client.patch(f"{SYS}/user/{user['id']}", json={"is_active": False}, headers=admin_headers)
    assert client.get("/api/v2/user/session", headers=fresh).status_code == 401


def test_bad_app_roles_name_the_field(client, admin_headers, hr):
    body = {
        "email": "x@example.com",
        "name": "X",
        "password": "long password 1",
        "app_roles": [{"app_id": 999, "role_id": 999}],
    }
    response = client.post(f"{SYS}/user", json=body, headers=admin_headers)
    assert response.status_code == 400
    assert set(response.get_json()["error"]["context"]["errors"]) == {
        "app_roles[0].app_id",
        "app_roles[0].role_id",
    }


def test_access_list_and_explain(client, admin_headers, hr):
    components = client.get("/api/v2/hr?as_access_list=true", headers=admin_headers).get_json()["resource"]
    assert {"", "*", "_table/employees", "_table/employees/*", "_schema/employees"} <= set(components)
    role = client.post(
        f"{SYS}/role",
        json={"name": "r", "access": [entry(filters=[{"name": "dept", "operator": "=", "value": "Sales"}])]},
        headers=admin_headers,
    ).get_json()
    app = client.post(
        f"{SYS}/app", json={"name": "web", "role_id": role["id"]}, headers=admin_headers
    ).get_json()
    query = {"app": app["id"], "verb": "GET", "path": "/api/v2/hr/_table/employees/1"}
    allowed = client.get(f"{SYS}/explain", query_string=query, headers=admin_headers).get_json()
    assert allowed["allowed"] is True and allowed["role"]["name"] == "r"
    assert allowed["component"] == "_table/employees"
    assert allowed["filters"] == [{"name": "dept", "operator": "=", "value": "Sales"}]
    denied = client.get(
        f"{SYS}/explain", query_string={**query, "verb": "DELETE"}, headers=admin_headers
    ).get_json()
    assert denied["allowed"] is False and "verb" in denied["reason"]
    bad = client.get(f"{SYS}/explain", query_string={**query, "verb": "FETCH"}, headers=admin_headers)
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "path", ["/api/v2/hr/_tables/employees", "/api/v2/hr/nothing", "/api/v2/hr/_schema/a/*"]
)
def test_explain_names_a_path_that_is_no_component(client, admin_headers, hr, path):
    response = client.get(f"{SYS}/explain", query_string={"path": path}, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert "path" in response.get_json()["error"]["context"]["errors"]


def test_the_user_list_reads_every_users_app_roles_in_one_query(app, client, admin_headers, hr):
    role = client.post(f"{SYS}/role", json={"name": "r", "access": [entry()]}, headers=admin_headers)
    web = client.post(f"{SYS}/app", json={"name": "web"}, headers=admin_headers).get_json()
    for n in range(5):
        body = {"email": f"u{n}@example.com", "name": f"U{n}"}
        body["app_roles"] = [{"app_id": web["id"], "role_id": role.get_json()["id"]}] if n % 2 else []
        assert client.post(f"{SYS}/user", json=body, headers=admin_headers).status_code == 201
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    engine = app.extensions["bastion.db"]
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        listed = client.get(f"{SYS}/user", headers=admin_headers).get_json()["resource"]
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert [len(user["app_roles"]) for user in listed] == [0, 1, 0, 1, 0]
    assert len([s for s in statements if "user_app_role" in s]) == 1


@pytest.mark.parametrize("hidden", ["\u200b", "\u202e", "\u2060", "\ufeff", "\u00ad", "\x7f", "\u061c"])
def test_an_email_with_a_character_nobody_sees_is_refused(client, admin_headers, hidden):
    """`admin@example.com` + a zero-width space (or a right-to-left override, a soft hyphen...) would be
    another account that reads like the first, in the user list, the audit log and `{user.email}`."""
    body = {"email": f"vic{hidden}tim@example.com", "name": "v", "password": "a long enough password"}
    answer = client.post("/api/v2/system/user", json=body, headers=admin_headers)
    assert answer.status_code == 400 and "email" in answer.get_json()["error"]["context"]["errors"]
    body["email"] = f"victim@example.com{hidden}"
    answer = client.post("/api/v2/user/register", json=body)
    assert answer.status_code == 400 and "email" in answer.get_json()["error"]["context"]["errors"]
    assert (
        client.post(
            "/api/v2/system/user", json=body | {"email": "victim@exämple.com"}, headers=admin_headers
        ).status_code
        == 201
    )
