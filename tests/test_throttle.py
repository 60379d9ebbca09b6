"""Throttling of every password check, with counts every worker shares: the system database, or Redis."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import sqlalchemy as sa

from bastion import throttle
from bastion.models import ThrottleEvent
from tests.conftest import _empty_tables, create_admin_user, fenced_app, login, make_app

REDIS_URL = "redis://127.0.0.1:6379/15"
WRONG = "wrong password!!"
PASSWORD = "/api/v2/user/password"


@pytest.fixture
def two_workers(system_db_url, tmp_path):
    """Two apps on one system database, as two gunicorn workers (or hosts) are; emptied afterwards."""
    apps = [make_app(system_db_url, str(tmp_path)) for _ in range(2)]
    yield apps
    _empty_tables(apps[0].extensions["bastion.db"])
    for app in apps:
        app.extensions["bastion.db"].dispose()


def _rows(app) -> list:
    with app.extensions["bastion.db"].connect() as conn:
        return list(conn.execute(sa.select(ThrottleEvent.__table__)))


def test_database_counts_are_shared_between_workers(two_workers):
    first, second = two_workers
    admin = create_admin_user(first)
    for client in [first.test_client()] * 3 + [second.test_client()] * 2:
        assert login(client, admin["email"], WRONG).status_code == 401
    for app in (first, second):
        locked = login(app.test_client(), admin["email"], admin["password"])
        assert locked.status_code == 429
        assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    # Stored under hashed keys: neither the email nor the address is written down.
    rows = _rows(first)
    assert len(rows) == 10
    assert all(admin["email"] not in row.key and "127.0.0.1" not in row.key for row in rows)


def test_racing_checks_on_two_workers_cannot_pass_the_limit_together(two_workers):
    first, second = two_workers
    admin = create_admin_user(first)

    def attempt(i: int) -> int:
        return login((first if i % 2 else second).test_client(), admin["email"], WRONG).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(16)))
    assert statuses.count(401) <= throttle.MAX_FAILURES
    assert statuses.count(429) >= 16 - throttle.MAX_FAILURES


def test_a_refused_check_counts_nothing_and_old_rows_are_purged(two_workers):
    first, _ = two_workers
    admin = create_admin_user(first)
    old = int((time.time() - throttle.WINDOW_SECONDS - 5) * 1000)
    with first.extensions["bastion.db"].begin() as conn:
        conn.execute(sa.insert(ThrottleEvent.__table__), [{"key": "stale", "at_ms": old}] * 3)
    client = first.test_client()
    for _ in range(throttle.MAX_FAILURES):
        assert login(client, admin["email"], WRONG).status_code == 401
    for _ in range(3):
        assert login(client, admin["email"], WRONG).status_code == 429
    rows = _rows(first)
    assert {row.key for row in rows if row.at_ms == old} == set()
    assert len(rows) == 2 * throttle.MAX_FAILURES


def test_successes_take_back_their_address_count(two_workers):
    first, _ = two_workers
    admin = create_admin_user(first)
    client = first.test_client()
    for _ in range(throttle.MAX_FAILURES - 1):
        assert login(client, "someone@example.com", WRONG).status_code == 401
    # An office behind one address: its colleagues' logins do not add up to a lock-out.
    for _ in range(10):
        assert login(client, admin["email"], admin["password"]).status_code == 200


def _change(client, token: str, old: str, new: str = "a brand new password"):
    body = {"old_password": old, "new_password": new}
    return client.post(PASSWORD, json=body, headers={"Authorization": f"Bearer {token}"})


def test_password_change_is_throttled_like_a_login(two_workers):
    first, second = two_workers
    admin = create_admin_user(first)
    token = login(first.test_client(), admin["email"], admin["password"]).get_json()["session_token"]
    statuses = []
    for i in range(8):
        response = _change((first if i % 2 else second).test_client(), token, WRONG)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) > 0
    assert statuses == [400] * 5 + [429] * 3
    # The same account and address counts: the login and the right old password are refused as well.
    assert login(second.test_client(), admin["email"], admin["password"]).status_code == 429
    assert _change(first.test_client(), token, admin["password"]).status_code == 429


def test_wrong_old_passwords_and_logins_share_one_count(two_workers):
    first, second = two_workers
    admin = create_admin_user(first)
    token = login(first.test_client(), admin["email"], admin["password"]).get_json()["session_token"]
    for _ in range(3):
        assert _change(first.test_client(), token, WRONG).status_code == 400
    for _ in range(2):
        assert login(second.test_client(), admin["email"], WRONG).status_code == 401
    assert _change(second.test_client(), token, admin["password"]).status_code == 429


def test_an_admin_changes_a_password_only_from_the_admin_networks(system_db_url, tmp_path):
    with fenced_app(system_db_url, str(tmp_path)) as (fenced, admin):
        client = fenced.test_client()
        inside = {"REMOTE_ADDR": "10.1.2.3"}
        body = {"email": admin["email"], "password": admin["password"]}
        token = client.post("/api/v2/system/admin/session", json=body, environ_base=inside).get_json()
        token = token["session_token"]
        for old in (WRONG, admin["password"]):
            refused = _change(client, token, old)
            assert refused.status_code == 403
            assert (
                refused.get_json()["error"]["message"] == "The admin API is not reachable from this network"
            )
        assert _rows(fenced) == []  # refused before any password was looked at
        auth = {"Authorization": f"Bearer {token}"}
        changed = client.post(
            PASSWORD,
            json={"old_password": admin["password"], "new_password": "a brand new password"},
            headers=auth,
            environ_base=inside,
        )
        assert changed.status_code == 200


def test_redis_store_is_shared_between_two_apps(system_db_url, tmp_path):
    first = make_app(system_db_url, str(tmp_path), REDIS_URL=REDIS_URL)
    second = make_app(system_db_url, str(tmp_path), REDIS_URL=REDIS_URL)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    admin = create_admin_user(first, email=email)
    try:
        for client in [first.test_client()] * 3 + [second.test_client()] * 2:
            assert login(client, email, WRONG).status_code == 401
        locked = login(second.test_client(), email, admin["password"])
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 0
        keys = redis.Redis.from_url(REDIS_URL).keys("bastion:login:*")
        assert keys and all(email.encode() not in key for key in keys)
        assert _rows(first) == []  # with Redis, nothing goes to the system database
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()
        _empty_tables(first.extensions["bastion.db"])
        for app in (first, second):
            app.extensions["bastion.db"].dispose()
