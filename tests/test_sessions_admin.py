"""Live sessions for admins (list, end one, end all of a user) and the last use of sessions and keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from bastion import activity
from bastion.db import session_scope
from bastion.models import SessionToken, utcnow
from bastion.services import sessions as sessions_service
from tests.conftest import make_app

SESSIONS = "/api/v2/system/session"
USER_PASSWORD = "plain user password 9"


@pytest.fixture
def user(client, admin_headers) -> dict:
    body = {"email": "u@example.com", "name": "U", "password": USER_PASSWORD}
    response = client.post("/api/v2/system/user", json=body, headers=admin_headers)
    assert response.status_code == 201
    return response.get_json()


def _user_login(client, agent: str = "pytest") -> str:
    response = client.post(
        "/api/v2/user/session",
        json={"email": "u@example.com", "password": USER_PASSWORD},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["session_token"]


def _list(client, headers, **params) -> dict:
    response = client.get(SESSIONS, query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_lists_live_sessions_with_client_and_escaped_agent(client, admin_headers, user):
    _user_login(client, agent="Evil\x1b[31mAgent\x07" + "x" * 400)
    found = _list(client, admin_headers, user_id=user["id"], include_count="true")
    assert found["meta"]["count"] == 1
    session = found["resource"][0]
    assert session["email"] == "u@example.com" and session["client_address"] == "127.0.0.1"
    assert session["user_agent"].startswith("Evil\\x1b[31mAgent\\x07") and len(session["user_agent"]) == 255
    assert session["last_seen_at"] and session["created_at"]
    assert "token" not in " ".join(session)  # neither the token nor its hash


def test_ending_one_session_or_all_of_a_user(client, admin_headers, user):
    first, second = _user_login(client), _user_login(client)
    ids = [s["id"] for s in _list(client, admin_headers, user_id=user["id"])["resource"]]
    response = client.delete(f"{SESSIONS}/{ids[0]}", headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["id"] == ids[0]
    assert (
        client.get("/api/v2/user/session", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    )
    assert client.get("/api/v2/user/session", headers={"Authorization": f"Bearer {first}"}).status_code == 200
    ended = client.delete(SESSIONS, query_string={"user_id": user["id"]}, headers=admin_headers)
    assert ended.get_json() == {"user_id": user["id"], "sessions_ended": 1}
    assert client.get("/api/v2/user/session", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert _list(client, admin_headers, user_id=user["id"])["resource"] == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", SESSIONS, 400),
        ("DELETE", f"{SESSIONS}?user_id=abc", 400),
        ("DELETE", f"{SESSIONS}?user_id=999999", 404),
        ("DELETE", f"{SESSIONS}/999999", 404),
        ("GET", f"{SESSIONS}?limit=5000", 400),
        ("GET", f"{SESSIONS}?user=1", 400),
    ],
)
def test_bad_requests_are_clear(client, admin_headers, method, path, status):
    response = client.open(path, method=method, headers=admin_headers)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_only_admins(client, user):
    token = _user_login(client)
    assert client.get(SESSIONS, headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert client.delete(f"{SESSIONS}?user_id={user['id']}").status_code == 401


def test_an_ended_session_stops_on_every_instance(app, client, admin_headers, user, system_db_url, tmp_path):
    other_app = make_app(system_db_url, str(tmp_path / "other"))
    other = other_app.test_client()
    token = _user_login(client)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        assert other.get("/api/v2/user/session", headers=headers).status_code == 200  # cached there now
        client.delete(SESSIONS, query_string={"user_id": user["id"]}, headers=admin_headers)
        assert other.get("/api/v2/user/session", headers=headers).status_code == 401
    finally:
        other_app.extensions["bastion.engines"].dispose_all()
        other_app.extensions["bastion.db"].dispose()


def test_memo_allows_one_write_a_minute():
    memo = activity.Memo()
    assert memo.due(("session", 1), 1000.0)
    assert not memo.due(("session", 1), 1059.0)
    assert memo.due(("session", 2), 1059.0)
    assert memo.due(("session", 1), 1060.5)


def _stored(app, model, row_id, *columns):
    with app.app_context(), session_scope() as db:
        return db.exec(sa.select(*[getattr(model, c) for c in columns]).where(model.id == row_id)).one()


def _age(app, model, row_id, column):
    with app.app_context(), session_scope() as db:
        db.exec(sa.update(model).where(model.id == row_id).values({column: utcnow() - timedelta(minutes=5)}))


def test_last_seen_is_written_after_a_minute_and_not_on_every_request(app, client, admin_headers, user):
    token = _user_login(client)
    headers = {"Authorization": f"Bearer {token}"}
    session_id = _list(client, admin_headers, user_id=user["id"])["resource"][0]["id"]
    _age(app, SessionToken, session_id, "last_seen_at")
    # buffered: the test client then closes the response, as a server does once it is sent
    assert client.get("/api/v2/user/session", headers=headers, buffered=True).status_code == 200
    (seen,) = _stored(app, SessionToken, session_id, "last_seen_at")
    assert utcnow() - activity_utc(seen) < timedelta(seconds=30)
    _age(app, SessionToken, session_id, "last_seen_at")
    assert client.get("/api/v2/user/session", headers=headers, buffered=True).status_code == 200
    (again,) = _stored(app, SessionToken, session_id, "last_seen_at")
    assert utcnow() - activity_utc(again) > timedelta(minutes=4)  # this worker wrote a moment ago: no write


def activity_utc(moment):
    from bastion.models import as_utc

    return as_utc(moment)


def test_an_app_shows_when_and_where_its_key_was_last_used(client, admin_headers):
    app_body = client.post("/api/v2/system/app", json={"name": "web"}, headers=admin_headers).get_json()
    assert app_body["last_used_at"] is None
    client.get("/api/v2", headers={"X-Api-Key": app_body["api_key"]}, buffered=True)
    shown = client.get(f"/api/v2/system/app/{app_body['id']}", headers=admin_headers).get_json()
    assert shown["last_used_from"] == "127.0.0.1" and shown["last_used_at"]


def test_a_login_deletes_dead_sessions_a_bounded_batch_at_a_time(app, client, user, monkeypatch):
    for _ in range(3):
        _user_login(client)
    with app.app_context(), session_scope() as db:
        rows = db.exec(sa.select(SessionToken.id).order_by(SessionToken.id)).scalars().all()
        # Two sessions past their refresh window: nothing else would ever delete them.
        db.exec(
            sa.update(SessionToken)
            .where(SessionToken.id.in_(rows[:2]))
            .values(expires_at=utcnow() - timedelta(days=2), refresh_until=utcnow() - timedelta(days=1))
        )
    monkeypatch.setattr(sessions_service, "PURGE_BATCH", 1)
    _user_login(client)
    with app.app_context(), session_scope() as db:
        assert len(db.exec(sa.select(SessionToken.id).where(SessionToken.id.in_(rows[:2]))).all()) == 1
    _user_login(client)
    with app.app_context(), session_scope() as db:
        left = db.exec(sa.select(SessionToken.id)).scalars().all()
    assert not set(rows[:2]) & set(left) and rows[2] in left
