"""Every system endpoint × every kind of credential → the right status, and never data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bastion.db import session_scope
from bastion.models import SessionToken, User, utcnow
from bastion.passwords import hash_password
from bastion.services.sessions import create_session
from bastion.tokens import token_digest
from tests.conftest import login

ENDPOINTS = [
    ("GET", "/api/v2/system/admin"),
    ("POST", "/api/v2/system/admin"),
    ("GET", "/api/v2/system/admin/{admin_id}"),
    ("PATCH", "/api/v2/system/admin/{admin_id}"),
    ("PUT", "/api/v2/system/admin/{admin_id}"),
    ("DELETE", "/api/v2/system/admin/{other_id}"),
    ("GET", "/api/v2/system/admin/session"),
    ("DELETE", "/api/v2/system/admin/session"),
]
CREDENTIALS = ["none", "garbage", "expired", "revoked", "logged_out", "non_admin", "admin"]
DENIED = {"none": 401, "garbage": 401, "expired": 401, "revoked": 401, "logged_out": 401, "non_admin": 403}
BODY = {"name": "Matrix Name", "email": "matrix@example.com", "password": "matrix password 1"}


def _token_for(app, client, admin, kind: str) -> str | None:
    if kind == "none":
        return None
    if kind == "garbage":
        return "bst_" + "x" * 43
    if kind == "non_admin":
        with app.app_context(), session_scope() as db:
            user = User(
                email="plain@example.com", name="Plain", password_hash=hash_password("plain password 1")
            )
            db.add(user)
            db.flush()
            return create_session(db, user, 60, 120)[0]
    token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
    if kind == "expired":
        with app.app_context(), session_scope() as db:
            row = db.exec(select(SessionToken).where(SessionToken.token_hash == token_digest(token))).one()
            row.expires_at = row.refresh_until = utcnow() - timedelta(seconds=1)
            db.add(row)
    elif kind == "revoked":
        client.put("/api/v2/system/admin/session", headers={"Authorization": f"Bearer {token}"})
    elif kind == "logged_out":
        client.delete("/api/v2/system/admin/session", headers={"Authorization": f"Bearer {token}"})
    return token


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
@pytest.mark.parametrize("kind", CREDENTIALS)
def test_matrix(app, client, admin, method, path, kind):
    other = client.application.test_client()
    token = _token_for(app, client, admin, kind)
    admin_token = login(other, admin["email"], admin["password"]).get_json()["session_token"]
    other_id = other.post(
        "/api/v2/system/admin",
        json={**BODY, "email": "other@example.com"},
        headers={"Authorization": f"Bearer {admin_token}"},
    ).get_json()["id"]
    url = path.format(admin_id=admin["id"], other_id=other_id)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    json_body = BODY if method in ("POST", "PUT", "PATCH") else None
    response = client.open(url, method=method, headers=headers, json=json_body)
    text = response.get_data(as_text=True)
    if kind == "admin":
        assert response.status_code in (200, 201), text
    else:
        assert response.status_code == DENIED[kind], text
        assert set(response.get_json()) == {"error"}
        assert admin["email"] not in text and "scrypt" not in text


KEY_PATHS = [
    ("GET", "/api/v2/system/admin"),
    ("GET", "/api/v2/system/role"),
    ("GET", "/api/v2/system/app"),
    ("GET", "/api/v2/system/user"),
    ("GET", "/api/v2/system/environment"),
    ("GET", "/api/v2/system/admin/session"),
    ("GET", "/api/v2/system/service"),
    ("GET", "/api/v2"),
    ("GET", "/api/v2/no_such_thing"),
]


@pytest.fixture
def inactive_key(client, admin_headers) -> str:
    """The API key of an app that has been deactivated."""
    created = client.post("/api/v2/system/app", json={"name": "gone"}, headers=admin_headers).get_json()
    response = client.patch(
        f"/api/v2/system/app/{created['id']}", json={"is_active": False}, headers=admin_headers
    )
    assert response.status_code == 200
    return created["api_key"]


@pytest.mark.parametrize(("method", "path"), KEY_PATHS)
@pytest.mark.parametrize("kind", ["unknown", "inactive"])
def test_a_bad_api_key_is_401_even_next_to_an_admin_session(
    client, admin_headers, inactive_key, method, path, kind
):
    key = "bk_unknown_" + "x" * 30 if kind == "unknown" else inactive_key
    for sent in ({"X-Api-Key": key}, {"X-DreamFactory-API-Key": key}):
        response = client.open(path, method=method, headers={**admin_headers, **sent})
        assert response.status_code == 401, response.get_data(as_text=True)
        assert response.get_json()["error"]["message"] == "API key is invalid or its app is inactive"
    response = client.open(path, method=method, headers=admin_headers, query_string={"api_key": key})
    assert response.status_code == 401


def test_a_bad_api_key_is_401_at_the_logins(client, admin):
    for path in ("/api/v2/system/admin/session", "/api/v2/user/session"):
        response = client.post(
            path, json={"email": admin["email"], "password": admin["password"]}, headers={"X-Api-Key": "nope"}
        )
        assert response.status_code == 401
        assert "session_token" not in response.get_json()
