"""What every counter push promises, on each of them: PostgreSQL LISTEN/NOTIFY (cache_push.py) and Redis
pub/sub for MariaDB and SQLite system databases (redis_push.py). A change is in the other worker's
pushed counters when its commit returns, read without a query; changes in a burst are acknowledged in
order; a savepoint that rolled back every bump does not hold the writer for the lease. What differs
(losing a listener, silent listeners, an unreachable Redis) is tested in test_cache_push.py and
test_redis_push.py."""

from __future__ import annotations

import logging
import time

import pytest

from bastion import cache_push, redis_push
from bastion.db import session_scope
from bastion.invalidation import bump, current_version
from bastion.migrate import upgrade
from tests.conftest import make_app
from tests.databases import scratch_database
from tests.push_helpers import REDIS_URL, listening, served

PUSHES = {"notify-postgresql": ("postgresql", None), "redis-mysql": ("mysql", REDIS_URL)}
PUSHES["redis-sqlite"] = ("sqlite", REDIS_URL)


@pytest.fixture(scope="module", params=list(PUSHES))
def system(request, tmp_path_factory):
    engine, redis_url = PUSHES[request.param]
    with scratch_database(engine, str(tmp_path_factory.mktemp("push-common"))) as url:
        upgrade(url)
        yield url, redis_url


@pytest.fixture
def two_apps(system, tmp_path):
    url, redis_url = system
    settings = {"REDIS_URL": redis_url} if redis_url else {}
    apps = [make_app(url, str(tmp_path / name), **settings) for name in ("a", "b")]
    yield apps
    for application in apps:
        application.extensions["bastion.db"].dispose()


def test_a_change_is_in_the_other_apps_pushed_counters_when_its_commit_returns(two_apps, monkeypatch):
    writer, other = two_apps
    for module in (cache_push, redis_push):  # no renewal read in flight to make the request poll
        monkeypatch.setattr(module, "RENEW", 10.0)
        monkeypatch.setattr(module, "LEASE", 20.0)
    listener = listening(other)
    reader, polls = other.extensions["bastion.counters"], []
    poll = reader._query
    monkeypatch.setattr(reader, "_query", lambda connection: polls.append(1) or poll(connection))
    before = served(listener)["access"]
    with writer.app_context(), session_scope() as db:
        bump(db, "access")
    assert served(listener)["access"] == before + 1  # acknowledged before the commit returned
    deadline = time.monotonic() + 10  # the reply to its acknowledgement may still be on its socket
    while listener.fresh() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with other.test_request_context():
        assert current_version("access") == before + 1
    assert polls == []  # the request read nothing from the database


def test_every_change_of_a_burst_is_acknowledged_in_order(two_apps):
    writer, other = two_apps
    listener = listening(other)
    for _ in range(20):
        before = served(listener)["roles"]
        with writer.app_context(), session_scope() as db:
            bump(db, "roles")
        assert served(listener)["roles"] == before + 1


def test_a_savepoint_that_rolled_back_its_only_bump_does_not_make_the_writer_wait(
    two_apps, monkeypatch, caplog
):
    # No counter moved (and on PostgreSQL the notification went with the savepoint): waiting for a
    # version that never committed would hold the writer for the whole lease and log listeners as silent.
    writer, other = two_apps
    listener = listening(other)
    monkeypatch.setattr(cache_push, "LEASE", 20.0)
    monkeypatch.setattr(redis_push, "LEASE", 20.0)
    before = served(listener)["cors"]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, "bastion"), writer.app_context(), session_scope() as db:
        savepoint = db.begin_nested()
        bump(db, "cors")
        savepoint.rollback()
    assert time.monotonic() - started < 10, "the writer waited for a change that never committed"
    assert "did not acknowledge" not in caplog.text
    assert served(listener)["cors"] == before
