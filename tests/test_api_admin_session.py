"""Admin login, session read, refresh, logout and revocation (DESIGN §3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bastion.db import session_scope
from bastion.models import SessionToken, User, as_utc, utcnow
from bastion.passwords import dummy_hash, hash_password
from bastion.services import login as login_service
from bastion.tokens import token_digest
from tests.conftest import ADMIN_PASSWORD, _empty_tables, create_admin_user, fenced_app, login, make_app

SESSION = "/api/v2/system/admin/session"
USER_SESSION = "/api/v2/user/session"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_login_returns_the_session(client, admin):
    response = login(client, admin["email"].upper(), admin["password"])
    body = response.get_json()
    assert response.status_code == 200
    assert body["session_token"].startswith("bst_")
    assert body["email"] == admin["email"]
    assert body["is_sys_admin"] is True
    assert body["token_expiry_date"]
    assert "password" not in response.get_data(as_text=True)


def test_login_with_wrong_password_is_401(client, admin):
    response = login(client, admin["email"], "wrong password!!")
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Invalid email or password"


def test_login_of_unknown_account_is_the_same_401(client, admin):
    response = login(client, "nobody@example.com", "wrong password!!")
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Invalid email or password"


def test_the_session_answers_dreamfactory_keys_but_not_the_host(client, admin):
    body = login(client, admin["email"], admin["password"]).get_json()
    assert body["session_id"] == body["session_token"]
    assert {"first_name", "last_name", "last_login_date"} <= set(body)
    assert body["last_login_date"]  # this login's time, as DreamFactory answers it
    # DreamFactory also answers its server's host name: an internal detail Bastion keeps to itself.
    assert "host" not in body
    echoed = client.get(SESSION, headers=bearer(body["session_token"])).get_json()
    assert echoed["session_id"] == echoed["session_token"] == body["session_token"]


@pytest.mark.parametrize("remember_me", [True, False])
def test_dreamfactory_remember_me_is_accepted_and_changes_nothing(client, admin, remember_me):
    plain = login(client, admin["email"], admin["password"]).get_json()
    body = {"email": admin["email"], "password": admin["password"], "remember_me": remember_me}
    response = client.post(SESSION, json=body)
    assert response.status_code == 200, response.get_json()
    # No forever sessions (the environment says allow_forever_sessions: false): the same lifetime.
    assert response.get_json()["token_expiry_date"][:16] == plain["token_expiry_date"][:16]


def test_a_remember_me_that_is_no_flag_is_named(client, admin):
    body = {"email": admin["email"], "password": admin["password"], "remember_me": "forever"}
    response = client.post(SESSION, json=body)
    assert response.status_code == 400
    assert "remember_me" in response.get_json()["error"]["context"]["errors"]


def test_login_body_is_validated(client):
    response = client.post(SESSION, json={"email": "a@b.co"})
    assert response.status_code == 400
    assert "password" in response.get_json()["error"]["context"]["errors"]


def test_get_session_with_each_token_source(client, admin_token):
    for kwargs in (
        {"headers": bearer(admin_token)},
        {"headers": {"X-DreamFactory-Session-Token": admin_token}},
        {"query_string": {"session_token": admin_token}},
    ):
        response = client.get(SESSION, **kwargs)
        assert response.status_code == 200
        # Echoed, as DreamFactory's GET does: its admin app re-reads the token there.
        assert response.get_json()["session_token"] == admin_token


def test_refresh_issues_a_new_token_and_revokes_the_old(client, admin_token):
    response = client.put(SESSION, headers=bearer(admin_token))
    assert response.status_code == 200
    new_token = response.get_json()["session_token"]
    assert new_token != admin_token
    assert client.get(SESSION, headers=bearer(admin_token)).status_code == 401
    assert client.get(SESSION, headers=bearer(new_token)).status_code == 200


def test_logout_revokes_at_once(client, admin_token):
    assert client.delete(SESSION, headers=bearer(admin_token)).status_code == 200
    response = client.get("/api/v2/system/admin", headers=bearer(admin_token))
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Session token is invalid or expired"


def _age_session(app, token: str, expires: timedelta, refresh: timedelta) -> None:
    with app.app_context(), session_scope() as db:
        row = db.exec(select(SessionToken).where(SessionToken.token_hash == token_digest(token))).one()
        row.expires_at = utcnow() + expires
        row.refresh_until = utcnow() + refresh
        db.add(row)


def test_expired_token_is_refused_but_refreshable_in_its_window(app, client, admin_token):
    _age_session(app, admin_token, timedelta(minutes=-1), timedelta(days=1))
    assert client.get("/api/v2/system/admin", headers=bearer(admin_token)).status_code == 401
    refreshed = client.put(SESSION, headers=bearer(admin_token))
    assert refreshed.status_code == 200
    assert (
        client.get("/api/v2/system/admin", headers=bearer(refreshed.get_json()["session_token"])).status_code
        == 200
    )


def test_token_past_its_refresh_window_cannot_be_refreshed(app, client, admin_token):
    _age_session(app, admin_token, timedelta(minutes=-2), timedelta(minutes=-1))
    assert client.put(SESSION, headers=bearer(admin_token)).status_code == 401


def _travel(app, token: str, seconds: int) -> None:
    """Move a session's clock forward: every time it holds is pushed back by that many seconds."""
    with app.app_context(), session_scope() as db:
        row = db.exec(select(SessionToken).where(SessionToken.token_hash == token_digest(token))).one()
        for name in ("created_at", "login_at", "expires_at", "refresh_until"):
            setattr(row, name, getattr(row, name) - timedelta(seconds=seconds))
        db.add(row)


def test_refreshing_never_extends_the_window_past_the_original_login(system_db_url, tmp_path):
    short = make_app(system_db_url, str(tmp_path), SESSION_TTL_MINUTES="1", SESSION_REFRESH_TTL_MINUTES="3")
    try:
        admin = create_admin_user(short)
        client = short.test_client()
        token = login(client, admin["email"], admin["password"]).get_json()["session_token"]
        # Refresh every 50 seconds, always before the token expires: the session still ends 3 minutes
        # after the login, not 3 minutes after the latest refresh.
        for _ in range(3):
            _travel(short, token, 50)
            refreshed = client.put(SESSION, headers=bearer(token))
            assert refreshed.status_code == 200
            token = refreshed.get_json()["session_token"]
        with short.app_context(), session_scope() as db:
            row = db.exec(select(SessionToken).where(SessionToken.token_hash == token_digest(token))).one()
            window = row.refresh_until - row.login_at
            left = row.refresh_until - row.created_at
        assert window == timedelta(minutes=3)
        assert left <= timedelta(seconds=30)
        expiry = refreshed.get_json()["token_expiry_date"]
        assert expiry == as_utc(row.refresh_until).isoformat()  # never promised past the window
        _travel(short, token, 31)
        assert client.put(SESSION, headers=bearer(token)).status_code == 401
        assert client.get(SESSION, headers=bearer(token)).status_code == 401
    finally:
        _empty_tables(short.extensions["bastion.db"])
        short.extensions["bastion.db"].dispose()


def test_password_change_revokes_sessions(client, admin, admin_token):
    response = client.patch(
        f"/api/v2/system/admin/{admin['id']}",
        json={"password": "another long password"},
        headers=bearer(admin_token),
    )
    assert response.status_code == 200
    assert client.get(SESSION, headers=bearer(admin_token)).status_code == 401
    assert login(client, admin["email"], "another long password").status_code == 200


def test_deactivation_and_deletion_revoke_sessions(app, client, admin_token):
    other = create_admin_user(app, email="second@example.com", name="Second")
    other_token = login(client, other["email"], other["password"]).get_json()["session_token"]
    third = create_admin_user(app, email="third@example.com", name="Third")
    third_token = login(client, third["email"], third["password"]).get_json()["session_token"]
    deactivate = client.patch(
        f"/api/v2/system/admin/{other['id']}", json={"is_active": False}, headers=bearer(admin_token)
    )
    assert deactivate.status_code == 200
    assert client.get(SESSION, headers=bearer(other_token)).status_code == 401
    assert login(client, other["email"], other["password"]).status_code == 401
    assert (
        client.delete(f"/api/v2/system/admin/{third['id']}", headers=bearer(admin_token)).status_code == 200
    )
    assert client.get(SESSION, headers=bearer(third_token)).status_code == 401


def _plain_user(app, email="user@example.com", password=ADMIN_PASSWORD) -> None:
    with app.app_context(), session_scope() as db:
        db.add(User(email=email, name="U", password_hash=hash_password(password)))


def _refusal(response) -> tuple[int, str, object]:
    error = response.get_json()["error"]
    return response.status_code, error["message"], error["context"]


@pytest.fixture
def password_checks(monkeypatch) -> list[str]:
    """The stored hashes each login compared a password with, in order."""
    seen: list[str] = []
    real = login_service.verify_password

    def spy(password: str, stored: str) -> bool:
        seen.append(stored)
        return real(password, stored)

    monkeypatch.setattr(login_service, "verify_password", spy)
    return seen


def test_wrong_kind_of_account_is_the_same_401_whatever_the_password(app, client, admin, password_checks):
    _plain_user(app)
    wrong_password = _refusal(login(client, admin["email"], "wrong password!!", USER_SESSION))
    for email, password, path in (
        (admin["email"], admin["password"], USER_SESSION),
        ("user@example.com", ADMIN_PASSWORD, SESSION),
        ("user@example.com", "wrong password!!", SESSION),
        ("nobody@example.com", ADMIN_PASSWORD, USER_SESSION),
    ):
        response = login(client, email, password, path)
        assert _refusal(response) == wrong_password == (401, "Invalid email or password", None)
        assert "session_token" not in response.get_data(as_text=True)
    # Each refusal paid for one hash check, against the dummy: never against the other kind's real hash.
    assert password_checks == [dummy_hash()] * 5


def test_fenced_network_refuses_the_admin_login_before_the_password(system_db_url, tmp_path, password_checks):
    with fenced_app(system_db_url, str(tmp_path)) as (fenced, admin):
        client = fenced.test_client()
        for path in (SESSION, "/api/system/admin/session"):
            response = login(client, admin["email"], admin["password"], path)
            assert response.status_code == 403
            assert "session_token" not in response.get_json()
        assert password_checks == []
        # And at the user login, an admin's right password is a plain 401.
        assert login(client, admin["email"], admin["password"], USER_SESSION).status_code == 401


def test_throttling_after_five_failures(client, admin):
    for _ in range(5):
        assert login(client, admin["email"], "wrong password!!").status_code == 401
    locked = login(client, admin["email"], admin["password"])
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert locked.get_json()["error"]["code"] == 429


def test_throttle_key_ignores_client_chosen_headers(client, admin):
    for i in range(5):
        login_headers = {"X-Forwarded-For": f"10.0.0.{i}", "X-Real-Ip": f"10.1.0.{i}"}
        response = client.post(
            SESSION, json={"email": "x@example.com", "password": "wrong password!!"}, headers=login_headers
        )
        assert response.status_code == 401
    # Same real address (no trusted proxy): the address lock applies to any account.
    assert login(client, admin["email"], admin["password"]).status_code == 429


def test_success_clears_the_account_count(client, admin):
    for _ in range(4):
        login(client, admin["email"], "wrong password!!")
    assert login(client, admin["email"], admin["password"]).status_code == 200
