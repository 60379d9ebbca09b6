"""Login throttling shared through Redis: every worker sees the same counts."""

from __future__ import annotations

import uuid

import redis

from tests.conftest import create_admin_user, login, make_app

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_redis_store_is_shared_between_two_apps(system_db_url, tmp_path):
    first = make_app(system_db_url, str(tmp_path), REDIS_URL=REDIS_URL)
    second = make_app(system_db_url, str(tmp_path), REDIS_URL=REDIS_URL)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    admin = create_admin_user(first, email=email)
    try:
        for client in [first.test_client()] * 3 + [second.test_client()] * 2:
            assert login(client, email, "wrong password!!").status_code == 401
        locked = login(second.test_client(), email, admin["password"])
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 0
        keys = redis.Redis.from_url(REDIS_URL).keys("bastion:login:*")
        assert keys and all(email.encode() not in key for key in keys)
    finally:
        redis.Redis.from_url(REDIS_URL).flushdb()
        from tests.conftest import _empty_tables

        _empty_tables(first.extensions["bastion.db"])
        for app in (first, second):
            app.extensions["bastion.db"].dispose()
