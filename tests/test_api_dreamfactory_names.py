"""DreamFactory's names, both ways, on the system and user APIs (issue 15 §2). On each system database."""

from __future__ import annotations

import pytest

from tests.conftest import (
    ADMIN_PASSWORD,
    add_sqlite_service,
    fenced_app,
    fenced_session,
    login,
)

SYS = "/api/v2/system"
USER_SESSION = "/api/v2/user/session"
ACCESS = "role_service_access_by_role_id"


@pytest.fixture
def hr(client, admin_headers, tmp_path):
    schema = ["CREATE TABLE employees (id INTEGER PRIMARY KEY, name TEXT, dept TEXT)"]
    return add_sqlite_service(client, admin_headers, tmp_path / "hr.db", schema)["id"]


def df_entry(service_id, **extra):
    entry = {"service_id": service_id, "component": "_table/employees", "verb_mask": 3, "requestor_mask": 1}
    return {**entry, "filters": [], "filter_op": "AND", **extra}


def _create_role(client, headers, body):
    response = client.post(f"{SYS}/role", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# Roles


def test_role_access_is_returned_in_dreamfactory_form_and_round_trips(client, admin_headers, hr):
    role = _create_role(client, admin_headers, {"name": "sales", ACCESS: [df_entry(hr, filters=None)]})
    read = client.get(f"{SYS}/role/{role['id']}", query_string={"related": ACCESS}, headers=admin_headers)
    entries = read.get_json()[ACCESS]
    assert entries == [
        {
            "role_id": role["id"],
            "service_id": hr,
            "component": "_table/employees",
            "verb_mask": 3,
            "requestor_mask": 1,
            "filters": [],
            "filter_op": "AND",
            "fields": None,
        }
    ]
    # A provisioning tool sends back what it read, id included: nothing changes.
    again = client.put(f"{SYS}/role/{role['id']}", json=read.get_json(), headers=admin_headers)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["access"] == role["access"]
    listed = client.get(
        f"{SYS}/role", query_string={"related": f"{ACCESS},lookup_by_role_id"}, headers=admin_headers
    )
    assert listed.get_json()["resource"][0][ACCESS] == entries
    assert listed.get_json()["resource"][0]["lookup_by_role_id"] == []
    assert ACCESS not in client.get(f"{SYS}/role/{role['id']}", headers=admin_headers).get_json()


@pytest.mark.parametrize("name", ["lookup_by_role_id", "role_lookup_by_role_id"])
def test_role_lookups_are_stored_and_read_back_under_dreamfactory_names(client, admin_headers, name):
    assert client.post(f"{SYS}/role", json={"name": "a", name: []}, headers=admin_headers).status_code == 201
    made = client.post(
        f"{SYS}/role", json={"name": "b", name: [{"name": "region", "value": "eu"}]}, headers=admin_headers
    )
    assert made.status_code == 201, made.get_json()
    read = client.get(
        f"{SYS}/role/{made.get_json()['id']}", query_string={"related": name}, headers=admin_headers
    )
    assert [(x["name"], x["value"]) for x in read.get_json()[name]] == [("region", "eu")]


def test_role_put_id_must_match_the_url(client, admin_headers):
    role = _create_role(client, admin_headers, {"name": "a"})
    wrong = client.put(
        f"{SYS}/role/{role['id']}", json={"id": role["id"] + 1, "name": "b"}, headers=admin_headers
    )
    assert wrong.status_code == 400 and "id" in wrong.get_json()["error"]["context"]["errors"]


def test_requestor_mask_without_api_calls_is_refused(client, admin_headers, hr):
    body = {"name": "scripts", ACCESS: [df_entry(hr, requestor_mask=2)]}
    response = client.post(f"{SYS}/role", json=body, headers=admin_headers)
    assert response.status_code == 400
    assert f"{ACCESS}[0].requestor_mask" in response.get_json()["error"]["context"]["errors"]


# CORS


def test_cors_accepts_and_returns_dreamfactory_fields(client, admin_headers):
    body = {
        "path": "api/v2/*",
        "origin": "https://a.example.com, https://b.example.com",
        "header": "X-Api-Key,Content-Type",
        "exposed_header": "X-Total",
        "method": 1 | 2 | 16,
        "max_age": 60,
        "enabled": True,
    }
    response = client.post(f"{SYS}/cors", json=body, headers=admin_headers)
    assert response.status_code == 201, response.get_json()
    rule = response.get_json()
    assert rule["origins"] == ["https://a.example.com", "https://b.example.com"]
    assert rule["origin"] == "https://a.example.com,https://b.example.com"
    assert rule["methods"] == rule["method"] == ["GET", "POST", "DELETE"]
    assert rule["header"] == "X-Api-Key,Content-Type" and rule["exposed_header"] == "X-Total"
    # Sent back whole, both spellings agree; a list of verbs is DreamFactory's other form of method.
    back = client.put(
        f"{SYS}/cors/{rule['id']}",
        json={**rule, "method": ["GET"], "methods": ["GET"]},
        headers=admin_headers,
    )
    assert back.status_code == 200, back.get_json()
    assert back.get_json()["method"] == ["GET"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"method": 1, "methods": ["POST"]}, "method"),
        ({"method": 4096}, "method"),
        ({"origin": "*", "origins": ["https://x.example.com"]}, "origin"),
    ],
)
def test_cors_spellings_that_disagree_are_refused(client, admin_headers, extra, field):
    response = client.post(f"{SYS}/cors", json={"path": "x", **extra}, headers=admin_headers)
    assert response.status_code == 400 and field in response.get_json()["error"]["context"]["errors"]


# Apps


def test_app_dreamfactory_fields_related_role_and_empty_api_key(client, admin_headers):
    role = _create_role(client, admin_headers, {"name": "reader"})
    body = {
        "name": "web",
        "role_id": role["id"],
        "api_key": "",
        "type": 2,
        "url": "https://app.example.com",
        "storage_service_id": None,
        "storage_container": None,
        "path": None,
        "launch_url": "https://app.example.com/start",
        "requires_fullscreen": True,
        "allow_fullscreen_toggle": False,
        "toggle_location": "bottom",
    }
    created = client.post(f"{SYS}/app", json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    app = created.get_json()
    assert len(app["api_key"]) > 30  # generated here, shown this once
    read = client.get(
        f"{SYS}/app/{app['id']}", query_string={"related": "role_by_role_id"}, headers=admin_headers
    )
    got = read.get_json()
    assert {k: got[k] for k in body if k != "api_key"} == {k: v for k, v in body.items() if k != "api_key"}
    assert got["role_by_role_id"]["name"] == "reader" and "api_key" not in got
    listed = client.get(
        f"{SYS}/app",
        query_string={"filter": "type = 2 and requires_fullscreen = true"},
        headers=admin_headers,
    )
    assert [a["id"] for a in listed.get_json()["resource"]] == [app["id"]]


@pytest.mark.parametrize(
    "key", ["my-own-key", "6498a8ad1beb9d84d63035c5d1120c007fad6de706734db9689f8996707e0f7d"]
)
def test_app_key_chosen_by_the_client_is_refused(client, admin_headers, key):
    response = client.post(f"{SYS}/app", json={"name": "web", "api_key": key}, headers=admin_headers)
    assert response.status_code == 400 and "api_key" in response.get_json()["error"]["context"]["errors"]


def test_app_bad_dreamfactory_values_name_the_field(client, admin_headers):
    for body, field in (({"type": 9}, "type"), ({"toggle_location": "middle"}, "toggle_location")):
        response = client.post(f"{SYS}/app", json={"name": "web", **body}, headers=admin_headers)
        assert response.status_code == 400 and field in response.get_json()["error"]["context"]["errors"]


# Users


def test_user_dreamfactory_fields_and_app_roles_alias(client, admin_headers):
    role = _create_role(client, admin_headers, {"name": "reader"})
    app = client.post(f"{SYS}/app", json={"name": "web"}, headers=admin_headers).get_json()
    body = {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "display_name": "Ada L.",
        "phone": "+44 20 7946 0000",
        "password": "a long enough password",
        "user_to_app_to_role_by_user_id": [{"app_id": app["id"], "role_id": role["id"]}],
    }
    created = client.post(f"{SYS}/user", json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    user = created.get_json()
    assert user["name"] == "Ada L." and user["first_name"] == "Ada" and user["phone"] == body["phone"]
    assert user["app_roles"] == [{"app_id": app["id"], "role_id": role["id"]}]
    alias = "user_to_app_to_role_by_user_id"
    read = client.get(
        f"{SYS}/user/{user['id']}", query_string={"related": alias}, headers=admin_headers
    ).get_json()
    assert read[alias] == [{"user_id": user["id"], "app_id": app["id"], "role_id": role["id"]}]
    cleared = client.patch(
        f"{SYS}/user/{user['id']}", json={"id": user["id"], alias: [], "phone": None}, headers=admin_headers
    ).get_json()
    assert cleared["app_roles"] == [] and cleared["phone"] is None
    found = client.get(
        f"{SYS}/user", query_string={"filter": "last_name = 'Lovelace'"}, headers=admin_headers
    )
    assert [u["id"] for u in found.get_json()["resource"]] == [user["id"]]


def test_user_without_password_is_created_and_cannot_log_in(client, admin_headers):
    created = client.post(
        f"{SYS}/user", json={"email": "new@example.com", "first_name": "New"}, headers=admin_headers
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["name"] == "New"
    for password in ("", "x" * 12, "anything at all"):
        response = login(client, "new@example.com", password or "-", USER_SESSION)
        assert response.status_code == 401
    user_id = created.get_json()["id"]
    client.patch(f"{SYS}/user/{user_id}", json={"password": "now it is set"}, headers=admin_headers)
    assert login(client, "new@example.com", "now it is set", USER_SESSION).status_code == 200


def test_login_of_a_password_less_user_costs_a_password_check(client, admin_headers, monkeypatch):
    client.post(f"{SYS}/user", json={"email": "new@example.com"}, headers=admin_headers)
    checked = []
    import bastion.services.login as login_module

    real = login_module.verify_password
    monkeypatch.setattr(login_module, "verify_password", lambda p, h: checked.append(h) or real(p, h))
    assert login(client, "new@example.com", "whatever password", USER_SESSION).status_code == 401
    assert len(checked) == 1 and checked[0].startswith("scrypt$")


# Services


def test_service_with_dreamfactory_type_and_config_names(client, admin_headers, tmp_path):
    path = tmp_path / "df.db"
    add_sqlite_service(client, admin_headers, tmp_path / "seed.db", ["CREATE TABLE t (id INTEGER)"], "seed")
    path.write_bytes((tmp_path / "seed.db").read_bytes())
    body = {
        "name": "legacy",
        "label": "Legacy",
        "type": "sqlite",
        "mutable": True,
        "deletable": False,
        "doc": None,
        "config": {
            "database": str(path),
            "max_records": 50,
            "cache_enabled": False,
            "cache_ttl": 0,
            "statements": [],
        },
    }
    created = client.post(f"{SYS}/service", json=body, headers=admin_headers)
    assert created.status_code == 201, created.get_json()
    service = created.get_json()
    assert (
        service["type"] == "sql" and service["config"]["engine"] == "sqlite" and service["deletable"] is False
    )
    refused = client.delete(f"{SYS}/service/{service['id']}", headers=admin_headers)
    assert refused.status_code == 409 and "deletable" in refused.get_json()["error"]["message"]
    # Sent back as DreamFactory's admin app does: its type, its id.
    back = client.put(
        f"{SYS}/service/{service['id']}",
        json={"id": service["id"], "type": "sqlite", "mutable": False},
        headers=admin_headers,
    )
    assert back.status_code == 200, back.get_json()
    frozen = client.patch(f"{SYS}/service/{service['id']}", json={"label": "x"}, headers=admin_headers)
    assert frozen.status_code == 409 and "mutable" in frozen.get_json()["error"]["message"]
    thawed = client.patch(
        f"{SYS}/service/{service['id']}", json={"mutable": True, "deletable": True}, headers=admin_headers
    )
    assert thawed.status_code == 200
    assert client.delete(f"{SYS}/service/{service['id']}", headers=admin_headers).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"type": "pgsql", "config": {"host": "db", "database": "x", "statements": ["SET x=1"]}},
            "config.statements",
        ),
        ({"type": "mysql", "config": {"host": "db", "database": "x", "dsn": "mysql:host=db"}}, "config.dsn"),
        ({"type": "sqlite", "config": {"database": "/x.db", "charset": "utf8"}}, "config.charset"),
        ({"type": "pgsql", "config": {"engine": "mysql", "host": "db", "database": "x"}}, "config.engine"),
        ({"type": "sqlite", "doc": {"format": 0, "content": "{}"}, "config": {"database": "/x.db"}}, "doc"),
    ],
)
def test_service_dreamfactory_fields_without_a_meaning_here_are_refused(client, admin_headers, body, field):
    response = client.post(f"{SYS}/service", json={"name": "legacy", **body}, headers=admin_headers)
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["context"]["errors"]


def test_postgres_driver_extras_become_options(client, admin_headers):
    from bastion.services.service_names import from_dreamfactory

    body = {
        "type": "pgsql",
        "config": {"host": "db", "database": "x", "sslmode": "require", "charset": "utf8", "timezone": None},
    }
    assert from_dreamfactory(body)["config"] == {
        "host": "db",
        "database": "x",
        "engine": "postgresql",
        "options": {"sslmode": "require", "client_encoding": "utf8"},
    }


# Sessions and profiles


def test_admin_session_at_the_user_endpoint(client, admin, admin_token):
    headers = {"Authorization": f"Bearer {admin_token}"}
    read = client.get(USER_SESSION, headers=headers)
    assert read.status_code == 200 and read.get_json()["session_token"] == admin_token
    assert read.get_json()["is_sys_admin"] is True
    refreshed = client.put(USER_SESSION, headers=headers)
    assert refreshed.status_code == 200
    token = refreshed.get_json()["session_token"]
    assert client.get(USER_SESSION, headers=headers).status_code == 401  # the old token is revoked
    assert client.delete(USER_SESSION, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # Logging in there stays for non-admins.
    assert login(client, admin["email"], admin["password"], USER_SESSION).status_code == 401


def test_user_session_is_refused_at_the_admin_endpoint(client, admin_headers):
    client.post(
        f"{SYS}/user",
        json={"email": "u@example.com", "name": "U", "password": "p" * 12},
        headers=admin_headers,
    )
    token = login(client, "u@example.com", "p" * 12, USER_SESSION).get_json()["session_token"]
    assert client.get(f"{SYS}/admin/session", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_admin_profile_and_password(client, admin, admin_headers):
    profile = client.get(f"{SYS}/admin/profile", headers=admin_headers)
    assert profile.status_code == 200 and profile.get_json()["email"] == admin["email"]
    changed = client.post(
        f"{SYS}/admin/profile",
        json={**profile.get_json(), "first_name": "Grace", "phone": "123"},
        headers=admin_headers,
    )
    # Sent back whole, as read: id and e-mail unchanged.
    assert changed.status_code == 200 and changed.get_json()["first_name"] == "Grace"
    moved = client.patch(f"{SYS}/admin/profile", json={"email": "else@example.com"}, headers=admin_headers)
    assert moved.status_code == 400 and "email" in moved.get_json()["error"]["context"]["errors"]
    new = "a brand new password"
    response = client.post(
        f"{SYS}/admin/password",
        json={"old_password": ADMIN_PASSWORD, "new_password": new},
        headers=admin_headers,
    )
    assert response.status_code == 200 and response.get_json()["session_token"]
    assert login(client, admin["email"], new).status_code == 200


def test_user_profile(client, admin_headers):
    client.post(
        f"{SYS}/user",
        json={"email": "u@example.com", "name": "U", "password": "p" * 12},
        headers=admin_headers,
    )
    token = login(client, "u@example.com", "p" * 12, USER_SESSION).get_json()["session_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v2/user/profile", headers=headers).get_json()["name"] == "U"
    updated = client.post(
        "/api/v2/user/profile", json={"display_name": "You", "last_name": "Me"}, headers=headers
    )
    assert updated.status_code == 200 and updated.get_json()["display_name"] == "You"
    assert client.get("/api/v2/user/profile").status_code == 401
    # A user's session is no key to the admin's profile.
    assert client.get(f"{SYS}/admin/profile", headers=headers).status_code == 403


def test_admin_session_outside_the_admin_networks_is_refused_on_user_paths(system_db_url, tmp_path):
    with fenced_app(system_db_url, str(tmp_path)) as (fenced, admin):
        headers = fenced_session(fenced, admin)
        client = fenced.test_client()
        for method, path in (("get", USER_SESSION), ("put", USER_SESSION), ("get", "/api/v2/user/profile")):
            response = getattr(client, method)(path, headers=headers)
            assert response.status_code == 403, (method, path, response.get_json())
