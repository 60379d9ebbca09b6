"""Roles, apps and users answer exactly their public models' fields, in order, on every system database."""

from __future__ import annotations

from datetime import UTC, datetime

from bastion.db import session_scope
from bastion.models_access import App
from bastion.models_public import AppIssued, AppPublic, RolePublic, UserPublic
from tests.conftest import login

SYS = "/api/v2/system"


def test_answers_are_the_public_models(app, client, admin_headers):
    role = client.post(
        f"{SYS}/role", json={"name": "r", "access": [{"verbs": ["GET"]}]}, headers=admin_headers
    )
    assert list(role.get_json()) == list(RolePublic.model_fields)
    created = client.post(
        f"{SYS}/app", json={"name": "p", "role_id": role.get_json()["id"]}, headers=admin_headers
    )
    assert list(created.get_json()) == list(AppIssued.model_fields)
    app_id = created.get_json()["id"]
    user = client.post(
        f"{SYS}/user",
        json={
            "email": "u@example.com",
            "password": "user password 12",
            "app_roles": [{"app_id": app_id, "role_id": role.get_json()["id"]}],
        },
        headers=admin_headers,
    ).get_json()
    assert list(user) == list(UserPublic.model_fields) and user["last_login_at"] is None
    assert user["app_roles"] == [{"app_id": app_id, "role_id": role.get_json()["id"]}]
    assert login(client, "u@example.com", "user password 12", path="/api/v2/user/session").status_code == 200
    with app.app_context(), session_scope() as db:
        row = db.get(App, app_id)
        row.last_used_at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        db.add(row)
    listed = client.get(f"{SYS}/app", headers=admin_headers).get_json()["resource"]
    assert [list(a) for a in listed] == [list(AppPublic.model_fields)]
    # isoformat's "+00:00" on every database (SQLite and MariaDB read it back naive), not pydantic's "Z".
    assert listed[0]["last_used_at"] == "2026-01-02T03:04:05+00:00"
    users = client.get(f"{SYS}/user", headers=admin_headers).get_json()["resource"]
    assert datetime.fromisoformat(users[0]["last_login_at"]).year >= 2026
    assert not users[0]["last_login_at"].endswith("Z")
    rotated = client.post(f"{SYS}/app/{app_id}/rotate-key", headers=admin_headers).get_json()
    assert rotated["api_key"] != created.get_json()["api_key"]
    assert "api_key" not in client.get(f"{SYS}/app/{app_id}", headers=admin_headers).get_json()
