"""What no system database can store is a 400 naming the field, on every engine and every system resource.

NUL, unpaired surrogates and numbers beyond what an id column holds once reached the drivers: a 500 on
PostgreSQL (NUL, 10-digit ids), on SQLite (20-digit ids), and silently stored bytes on the others.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import login

SYS = "/api/v2/system"
PASSWORD = "a long enough secret"
NUL, SURROGATE = "\\u0000", "\\ud800"
HUGE = "99999999999999999999"


def _user(name: str = "U", password: str = PASSWORD, app_roles: str = "[]") -> str:
    return (
        f'{{"email": "u@example.com", "name": "{name}", "password": "{password}", "app_roles": {app_roles}}}'
    )


CASES = [
    # (method, path, raw JSON body, the field named)
    ("POST", "/api/v2/user/session", f'{{"email": "a{NUL}@example.com", "password": "x"}}', "email"),
    ("POST", f"{SYS}/admin/session", f'{{"email": "a{SURROGATE}@example.com", "password": "x"}}', "email"),
    ("POST", "/api/v2/user/session", f'{{"email": "a@example.com", "password": "{SURROGATE}"}}', "password"),
    ("POST", f"{SYS}/admin/session", f'{{"email": "a@example.com", "password": "x{NUL}"}}', "password"),
    ("POST", f"{SYS}/user", _user(name=f"a{NUL}b"), "name"),
    ("POST", f"{SYS}/user", _user(name=f"a{SURROGATE}b"), "name"),
    ("POST", f"{SYS}/user", _user(password=f"{PASSWORD}{NUL}"), "password"),
    ("POST", f"{SYS}/user", _user(app_roles=f'[{{"app_id": {HUGE}, "role_id": 1}}]'), "app_roles.0.app_id"),
    ("POST", f"{SYS}/user", _user(app_roles='[{"app_id": 1, "role_id": 9999999999}]'), "app_roles.0.role_id"),
    ("PATCH", f"{SYS}/user/{{user_id}}", f'{{"email": "b{NUL}@example.com"}}', "email"),
    (
        "PATCH",
        f"{SYS}/user/{{user_id}}",
        f'{{"app_roles": [{{"app_id": 1, "role_id": {HUGE}}}]}}',
        "app_roles.0.role_id",
    ),
    (
        "POST",
        f"{SYS}/admin",
        f'{{"email": "n{SURROGATE}@example.com", "name": "N", "password": "{PASSWORD}"}}',
        "email",
    ),
    ("PATCH", f"{SYS}/admin/{{admin_id}}", f'{{"name": "x{NUL}"}}', "name"),
    ("PATCH", f"{SYS}/admin/{{admin_id}}", f'{{"password": "{PASSWORD}{SURROGATE}"}}', "password"),
    ("POST", f"{SYS}/role", f'{{"name": "r{NUL}"}}', "name"),
    (
        "POST",
        f"{SYS}/role",
        f'{{"name": "r", "access": [{{"component": "_table/x{NUL}", "verbs": ["GET"]}}]}}',
        "access.0.component",
    ),
    ("POST", f"{SYS}/app", f'{{"name": "a{NUL}"}}', "name"),
    ("POST", f"{SYS}/app", f'{{"name": "a", "role_id": {HUGE}}}', "role_id"),
    ("POST", f"{SYS}/app", '{"name": "a", "role_id": 9999999999}', "role_id"),
    (
        "POST",
        f"{SYS}/service",
        f'{{"name": "s", "label": "{NUL}", "config": {{"engine": "sqlite"}}}}',
        "label",
    ),
    (
        "POST",
        f"{SYS}/service",
        f'{{"name": "s", "config": {{"engine": "sqlite", "database": "/tmp/x{NUL}.db"}}}}',
        "config.database",
    ),
    (
        "POST",
        f"{SYS}/service",
        f'{{"name": "s", "config": {{"engine": "postgresql", "port": {HUGE}}}}}',
        "config.port",
    ),
    ("POST", f"{SYS}/cors", f'{{"path": "x", "origins": ["https://a{SURROGATE}.example.com"]}}', "origins.0"),
]


@pytest.mark.parametrize(("method", "path", "raw", "field"), CASES)
def test_unstorable_values_are_a_400_naming_the_field(client, admin, admin_headers, method, path, raw, field):
    json.loads(raw)  # the probe itself is valid JSON
    user = client.post(
        f"{SYS}/user",
        data=_user().replace("u@", "other@"),
        headers=admin_headers,
        content_type="application/json",
    )
    url = path.format(user_id=user.get_json()["id"], admin_id=admin["id"])
    response = client.open(
        url, method=method, data=raw, headers=admin_headers, content_type="application/json"
    )
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert field in error["context"]["errors"], error
    assert field in error["message"]


def test_nothing_was_stored_and_the_admin_still_logs_in(client, admin, admin_headers):
    for method, path, raw, _ in CASES:
        url = path.format(user_id=1, admin_id=admin["id"])
        client.open(url, method=method, data=raw, headers=admin_headers, content_type="application/json")
    for resource in ("user", "role", "app", "service", "cors"):
        assert client.get(f"{SYS}/{resource}", headers=admin_headers).get_json()["resource"] == []
    assert login(client, admin["email"], admin["password"]).status_code == 200
