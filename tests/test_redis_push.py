"""Counters pushed through Redis pub/sub (redis_push.py) for MariaDB and SQLite system databases: a dropped
subscription makes its worker poll, a listener that never acknowledges is waited out, and an unreachable
Redis costs the writer the lease. What every push promises is in test_push_common.py."""

from __future__ import annotations

import logging
import time

import pytest
import redis

from bastion import redis_push
from bastion.db import session_scope
from bastion.invalidation import bump, current_version
from bastion.migrate import upgrade
from tests.conftest import make_app
from tests.databases import scratch_database
from tests.push_helpers import REDIS_URL, listening, polls_then_reconnects, served


@pytest.fixture(scope="module", params=["mysql", "sqlite"])
def system_url(request, tmp_path_factory):
    with scratch_database(request.param, str(tmp_path_factory.mktemp("redis-push"))) as url:
        upgrade(url)
        yield url


@pytest.fixture
def two_apps(system_url, tmp_path):
    apps = [make_app(system_url, str(tmp_path / name), REDIS_URL=REDIS_URL) for name in ("a", "b")]
    yield apps
    for application in apps:
        application.extensions["bastion.db"].dispose()


def _kill(name: str) -> int:
    """Drop the Redis connections whose client name is `name`; how many there were."""
    client = redis.Redis.from_url(REDIS_URL)
    ids = [entry["id"] for entry in client.client_list() if entry.get("name") == name]
    for client_id in ids:
        client.client_kill_filter(_id=client_id)
    client.close()
    return len(ids)


def test_a_dropped_subscription_makes_its_worker_poll_until_it_is_back(two_apps):
    writer, other = two_apps
    listener = listening(other)
    assert _kill(listener.name) == 1
    deadline = time.monotonic() + 10
    while listener.fresh() is not None:  # the EOF reaches the socket: the worker stops trusting at once
        assert time.monotonic() < deadline
        time.sleep(0.01)
    polls_then_reconnects(writer, other, listener)


def test_a_listener_that_never_acknowledges_is_waited_out(two_apps, monkeypatch, caplog):
    writer, _ = two_apps
    monkeypatch.setattr(redis_push, "LEASE", 0.3)
    channel, _ = redis_push.channels(REDIS_URL)
    silent = redis.Redis.from_url(REDIS_URL).pubsub()
    silent.subscribe(channel)  # counted by PUBLISH, never acknowledges
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "bastion"), writer.app_context(), session_scope() as db:
        bump(db, "cors")
    silent.close()
    assert time.monotonic() - started >= 0.3
    assert "did not acknowledge" in caplog.text


def test_an_unreachable_redis_costs_the_writer_the_lease_and_readers_poll(system_url, tmp_path, monkeypatch):
    monkeypatch.setattr(redis_push, "LEASE", 0.3)
    nowhere = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    writer, other = (make_app(system_url, str(tmp_path / n), REDIS_URL=nowhere) for n in ("a", "b"))
    try:
        with other.test_request_context():
            before = current_version("services")  # the listener cannot connect: the request polls
        started = time.monotonic()
        with writer.app_context(), session_scope() as db:
            bump(db, "services")
        assert time.monotonic() - started >= 0.3  # every listener's lease has run out meanwhile
        with other.test_request_context():
            assert current_version("services") == before + 1
    finally:
        for application in (writer, other):
            application.extensions["bastion.db"].dispose()


def test_a_rolled_back_change_announces_nothing(two_apps, monkeypatch):
    writer, other = two_apps
    listener = listening(other)
    before = served(listener)["cors"]
    announced = []
    monkeypatch.setattr(redis_push, "_announce_and_wait", lambda *args: announced.append(args))
    with pytest.raises(RuntimeError), writer.app_context(), session_scope() as db:
        bump(db, "cors")
        raise RuntimeError("the change fails after its bump")
    with writer.app_context(), session_scope():
        pass  # a later transaction of the same kind carries nothing over
    assert announced == []
    with other.test_request_context():
        assert current_version("cors") == before


def test_without_redis_url_requests_keep_polling(system_url, tmp_path):
    plain = make_app(system_url, str(tmp_path / "plain"))
    try:
        assert redis_push.url_for(plain.extensions["bastion.db"]) is None
        with plain.test_request_context():
            current_version("access")
        assert plain.extensions["bastion.counters"]._listener is None
    finally:
        plain.extensions["bastion.db"].dispose()
